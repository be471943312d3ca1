"""OCPP 1.6J: both directions of translation, one module per functional block
(named after the OCPP 2.0.1 blocks so both versions line up); `routes.py` is the table."""
