"""Billing domain: OCPI 2.2.1 tariffs and CDRs, and the pure pricing engine.

No I/O here (import-linter): the billing service (services/chargeplane/services/billing)
stores, numbers and publishes what these functions compute.
"""
