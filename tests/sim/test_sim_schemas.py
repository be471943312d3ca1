"""Every message the simulator sends validates against the official OCPP JSON schemas."""

from __future__ import annotations

from typing import Any

import pytest

from chargeplane.sim import Scenario, SimConfig, Simulation
from chargeplane.sim.config import Protocol
from chargeplane.sim.messages import V16, V201, meter_values_201


@pytest.mark.parametrize("dialect", [V16, V201], ids=["1.6", "2.0.1"])
def test_builders_validate(dialect: Any, schema_check: Any) -> None:
    validate_request, _ = schema_check
    v = dialect.version
    validate_request(v, "BootNotification", dialect.boot("CP-" + "X" * 40))
    validate_request(v, "Heartbeat", {})
    for status in {dialect.available, dialect.occupied, dialect.unavailable, *dialect.churn_states}:
        validate_request(v, "StatusNotification", dialect.status(1, status))
    validate_request(v, "Authorize", dialect.authorize("T" * 50))
    tx: int | str = 7 if v == "1.6" else "tx-1"
    validate_request(v, dialect.start_action, dialect.start(1, "TAG", 1000, "tx-1"))
    validate_request(v, dialect.meter_action, dialect.meter(1, tx, 1200, 11000.0, 1))
    for reason in ("Local", "Remote", "DeAuthorized", "HardReset" if v == "1.6" else "ImmediateReset"):
        validate_request(v, dialect.stop_action, dialect.stop(1, tx, "TAG", 1500, 2, reason))
    if v == "2.0.1":
        validate_request(v, "MeterValues", meter_values_201(1, 1000, 7400.0))


def test_builders_reject_is_possible(schema_check: Any) -> None:
    """The validator is real: a wrong enum value fails (guards against a vacuous check)."""
    import jsonschema

    validate_request, _ = schema_check
    bad = V16.status(1, "Charging")
    bad["status"] = "Plugged"
    with pytest.raises(jsonschema.ValidationError):
        validate_request("1.6", "StatusNotification", bad)


@pytest.mark.parametrize("protocol", [Protocol.V16, Protocol.V201])
async def test_every_frame_on_the_wire_validates(
    protocol: Protocol, start_csms: Any, fake_csms_class: Any, schema_check: Any
) -> None:
    """Sessions + every CSMS-initiated command; check all CALLs and answers on the wire."""
    validate_request, validate_response = schema_check
    csms = await start_csms(fake_csms_class(send_commands=True))
    config = SimConfig(
        url=csms.url,
        chargers=3,
        protocol=protocol,
        scenario=Scenario.SESSIONS,
        seed=3,
        duration=5.0,
        session_interval=0.3,
        session_duration=1.2,
        meter_interval=0.3,
        call_timeout=3.0,
    )
    report = await Simulation(config).run()

    version = str(protocol)
    seen: set[tuple[str, str]] = set()
    for _cp, v, action, payload in csms.calls:
        assert v == version
        validate_request(v, action, payload)
        kind = payload.get("eventType", "") if action == "TransactionEvent" else ""
        seen.add((action, kind))
    for _cp, v, action, payload in csms.command_results:
        validate_response(v, action, payload)

    if protocol is Protocol.V16:
        wanted = {
            "BootNotification",
            "Heartbeat",
            "StatusNotification",
            "Authorize",
            "StartTransaction",
            "MeterValues",
            "StopTransaction",
        }
        assert wanted <= {a for a, _ in seen}
    else:
        wanted = {"BootNotification", "Heartbeat", "StatusNotification", "Authorize", "MeterValues"}
        assert wanted <= {a for a, _ in seen}
        assert {("TransactionEvent", k) for k in ("Started", "Updated", "Ended")} <= seen

    answered = {a for _, _, a, _ in csms.command_results}
    start, stop = (
        ("RemoteStartTransaction", "RemoteStopTransaction")
        if version == "1.6"
        else ("RequestStartTransaction", "RequestStopTransaction")
    )
    expected = {"SetChargingProfile", "TriggerMessage", start, stop, "Reset"}
    expected |= {"ChangeConfiguration", "GetConfiguration"} if version == "1.6" else {"SetVariables"}
    assert expected <= answered, expected - answered
    # Unknown actions get CALLERROR NotImplemented, which the simulator also counts.
    assert ("UnlockConnector", "NotImplemented") in {(a, code) for _, _, a, code in csms.command_errors}
    assert report["csms_not_implemented"] == {"UnlockConnector": 3}
    # Reset made every charger reboot and come back.
    assert report["reconnects"] >= 3
    assert report["errors_total"] == 0, report
    assert report["sessions"]["completed"] >= 3
