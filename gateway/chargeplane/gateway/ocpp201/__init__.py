"""OCPP 2.0.1: both directions of translation, one module per functional block;
`routes.py` is the table."""
