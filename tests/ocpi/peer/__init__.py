"""Independent OCPI 2.2.1 counterparts (eMSP, CPO) for tests, each a separate process that
speaks only HTTP and imports nothing of chargeplane."""
