"""OCPI DateTime (chapter 16.2): RFC 3339 in UTC, "Z" or no designator, fractions allowed."""

from __future__ import annotations

from datetime import UTC, datetime


def format_datetime(value: datetime) -> str:
    """UTC with a "Z"; milliseconds only when there are any (at most 24 characters)."""
    utc = value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond // 1000:03d}"
    return text + "Z"


def as_utc(value: datetime) -> datetime:
    """A timestamp without a designator is UTC (chapter 16.2); others are converted."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_datetime(text: str) -> datetime:
    """Parse what peers send: with or without "Z", with fractions, tolerating offsets."""
    value = text.strip()
    if not value or len(value) > 35:
        raise ValueError(f"not an OCPI DateTime: {text!r}")
    if "T" not in value:
        raise ValueError(f"not an OCPI DateTime (no time part): {text!r}")
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        raise ValueError(f"not an OCPI DateTime: {text!r}") from None
