"""Version-neutral domain model: what both OCPP versions translate into.

Nothing here imports an I/O library (enforced by import-linter).
"""
