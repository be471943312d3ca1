"""datetime <-> google.protobuf.Timestamp: the one conversion every service and client uses.

Datetimes read from a message are always timezone-aware (UTC). Writing a naive datetime
takes it as UTC, as protobuf does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

__all__ = ["Timestamp", "optional_datetime", "to_datetime", "to_timestamp"]


@overload
def to_timestamp(value: datetime) -> Timestamp: ...


@overload
def to_timestamp(value: None) -> None: ...


@overload
def to_timestamp(value: datetime | None) -> Timestamp | None: ...


def to_timestamp(value: datetime | None) -> Timestamp | None:
    """A Timestamp for `value`; None stays None (an unset message field)."""
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


def to_datetime(ts: Timestamp) -> datetime:
    """An aware UTC datetime. Raises ValueError/OverflowError when `ts` is out of range."""
    return ts.ToDatetime(tzinfo=UTC)


def optional_datetime(message: Message, field: str) -> datetime | None:
    """The Timestamp field `field` of `message` as an aware UTC datetime; None when unset."""
    if not message.HasField(field):
        return None
    ts: Timestamp = getattr(message, field)
    return to_datetime(ts)
