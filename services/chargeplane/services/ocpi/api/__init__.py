"""The OCPI 2.2.1 REST interfaces, one module per OCPI module."""
