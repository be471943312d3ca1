"""Any frame a charger sends gets a CALLRESULT or a well-formed CALLERROR (or, for a stray
reply, nothing), and the connection keeps working (FZ-01 in the reliability notes)."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chargeplane.domain.chargepoints import Protocol
from chargeplane.gateway.errors import VALID_CODES
from tests.chargers import RawCharger, raw_charger

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
actions = st.sampled_from(["Heartbeat", "BootNotification", "StatusNotification", "MeterValues", "Nope", ""])
calls = st.tuples(st.just(2), st.text(min_size=1, max_size=40), actions, json_values).map(list)
frames = st.one_of(
    calls,
    st.lists(json_values, max_size=6),
    json_values,
    st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
)


async def _probe(charger: RawCharger, frame: Any, codes: set[str]) -> None:
    text = frame if isinstance(frame, str) else orjson.dumps(frame).decode()
    await charger.send(text)
    await charger.send([2, "probe", "Heartbeat", {}])
    while True:
        reply = await charger.recv(timeout=5)
        if reply[1] == "probe" and reply[0] == 3:
            return
        assert reply[0] in (3, 4), reply
        if reply[0] == 4:
            assert len(reply) == 5 and isinstance(reply[3], str) and isinstance(reply[4], dict)
            assert len(reply[3]) <= 255
            codes.add(reply[2])


async def test_arbitrary_frames_never_break_the_connection(ocpp_url: str) -> None:
    collected: list[Any] = []

    @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(frames)
    def gather(frame: Any) -> None:
        collected.append(frame)

    gather()
    for version, protocol in (("1.6", Protocol.OCPP16), ("2.0.1", Protocol.OCPP201)):
        codes: set[str] = set()
        async with raw_charger(ocpp_url, f"FUZZ-{version}", version) as charger:
            for frame in collected:
                await _probe(charger, frame, codes)
        assert codes, "the fuzzer produced no invalid frame at all"
        assert codes <= VALID_CODES[protocol], codes - VALID_CODES[protocol]
