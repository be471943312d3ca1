"""The meter-stream record: one codec for the gateway (writer) and the transactions
service (reader); entries already in a stream before the format had a version still read."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chargeplane.domain.meter import Sample, sample_v16, sample_v201
from chargeplane.domain.meter_stream import FIELD, MalformedEntry, MeterStreamEntry, content_key

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def entry(*samples: Sample, ref: str | None = "TX-1") -> MeterStreamEntry:
    return MeterStreamEntry(content_key("CP", b"msg"), "CP", 1, None, ref, samples)


def test_round_trip() -> None:
    original = entry(
        sample_v16(T0, {"value": "12.5", "unit": "kWh", "context": "Sample.Periodic", "location": "Outlet"}),
        sample_v201(T0, {"value": 11, "measurand": "Power.Active.Import", "phase": "L1"}, '{"signedMeterData":"x"}'),
        sample_v16(T0, {"value": "AB12", "format": "SignedData"}),
    )
    assert MeterStreamEntry.decode(original.encode(), "1-0") == original


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12), max_size=20))
def test_values_survive_exactly(values: list[float]) -> None:
    original = entry(*(sample_v201(T0, {"value": v}, None) for v in values), ref=None)
    assert MeterStreamEntry.decode(original.encode(), "1-0") == original


def test_an_entry_without_version_or_key_reads_as_version_1_keyed_by_its_id() -> None:
    legacy = {
        "cp": "CP",
        "evse": None,
        "conn": None,
        "tx": None,
        "s": [
            [
                "2026-11-23T10:00:00+00:00",
                "1",
                "Energy.Active.Import.Register",
                None,
                None,
                None,
                None,
                None,
                None,
                1.0,
                "Wh",
            ]
        ],
    }
    decoded = MeterStreamEntry.decode({FIELD: orjson.dumps(legacy)}, "1700000000000-0")
    assert decoded.key == "1700000000000-0" and decoded.samples[0].value == 1.0 and decoded.samples[0].timestamp == T0


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {FIELD: b"not json"},
        {FIELD: orjson.dumps({"v": 2, "cp": "CP", "s": []})},
        {FIELD: orjson.dumps({"cp": "CP", "s": [["2026-11-23T10:00:00Z", "1"]]})},
        {FIELD: orjson.dumps({"s": []})},
        {FIELD: orjson.dumps([1, 2])},
    ],
)
def test_malformed_entries_are_refused_with_a_reason(fields: dict[bytes, bytes]) -> None:
    with pytest.raises(MalformedEntry, match="meter stream"):
        MeterStreamEntry.decode(fields, "5-0")


def test_the_content_key_names_the_message_per_charger() -> None:
    assert content_key("CP", b"m1") == content_key("CP", b"m1")
    assert len({content_key("CP", b"m1"), content_key("CP", b"m2"), content_key("CP2", b"m1")}) == 3
