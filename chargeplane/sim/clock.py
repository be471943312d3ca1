"""Cheap wall-clock timestamps for message payloads.

Formatting a datetime costs a few microseconds; at tens of thousands of messages per
second that is measurable load-generator CPU, so the string is cached per second.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

_cached_second = -1
_cached_text = ""


def now_iso() -> str:
    """The current UTC time as RFC 3339 (`2026-01-01T00:00:00Z`), second resolution."""
    global _cached_second, _cached_text
    second = int(time.time())
    if second != _cached_second:
        _cached_second = second
        _cached_text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return _cached_text
