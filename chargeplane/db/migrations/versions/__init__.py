"""Schema revisions. Raw SQL through op.execute; no ORM models."""
