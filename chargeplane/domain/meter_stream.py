"""The meter-value stream record: what the gateway appends to the Redis Stream and the
transactions service's writer reads back. One schema, one codec, used by both sides.

An entry is one charger message's samples (a MeterValues, the meter values of a
TransactionEvent, a 1.6 StopTransaction's transactionData), with the charger's addressing
and a content key. The key names the message: the writer stores one message's samples
once however often the charger retries it or the stream redelivers it.

Encoding (field ``d`` of the stream entry, JSON): ``{"v": 1, "k": key, "cp": ..., "evse":
..., "conn": ..., "tx": ..., "s": [sample, ...]}`` with each sample a positional list in
the order of `SAMPLE_FIELDS` (compact: a busy stream holds many of them). Entries written
before the version tag existed have no ``"v"`` and the same layout.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from chargeplane.domain.meter import Sample

FORMAT_VERSION = 1
FIELD = b"d"
SAMPLE_FIELDS = Sample._fields  # timestamp (ISO 8601), raw_value, measurand, phase, ..., value, base_unit


class MalformedEntry(ValueError):
    """A stream entry this codec cannot read."""


def content_key(cp_id: str, message_key: bytes) -> str:
    """The dedup key of a message: a short hash of the charger and the message's content."""
    digest = hashlib.blake2b(cp_id.encode() + b"\x00" + message_key, digest_size=12).digest()
    return base64.urlsafe_b64encode(digest).decode()


@dataclass(frozen=True, slots=True)
class MeterStreamEntry:
    key: str
    charge_point_id: str
    evse_id: int | None
    connector_id: int | None
    transaction_ref: str | None
    samples: tuple[Sample, ...]

    def encode(self) -> dict[bytes, bytes]:
        """The stream entry's fields (for XADD)."""
        doc = {
            "v": FORMAT_VERSION,
            "k": self.key,
            "cp": self.charge_point_id,
            "evse": self.evse_id,
            "conn": self.connector_id,
            "tx": self.transaction_ref,
            "s": [[s.timestamp.isoformat(), *s[1:]] for s in self.samples],
        }
        return {FIELD: orjson.dumps(doc)}

    @classmethod
    def decode(cls, fields: dict[bytes, bytes], stream_id: str) -> MeterStreamEntry:
        """Read an entry; one without a content key is keyed by its stream id."""
        try:
            doc: Any = orjson.loads(fields[FIELD])
            if doc.get("v", FORMAT_VERSION) != FORMAT_VERSION:
                raise MalformedEntry(f"unknown meter stream format {doc['v']!r}")
            make, when = Sample._make, datetime.fromisoformat
            samples = []
            for values in doc["s"]:  # a list just decoded, ours to change
                values[0] = when(values[0])
                samples.append(make(values))
            return cls(
                key=doc.get("k") or stream_id,
                charge_point_id=doc["cp"],
                evse_id=doc.get("evse"),
                connector_id=doc.get("conn"),
                transaction_ref=doc.get("tx"),
                samples=tuple(samples),
            )
        except MalformedEntry:
            raise
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise MalformedEntry(f"meter stream entry {stream_id} is malformed: {exc}") from None
