"""OCPP 1.6 commands (gateway/ocpp16): every command translates into a CALL the official
1.6 schema accepts, or is refused as not expressible; answers read version-neutrally."""

from __future__ import annotations

from typing import Any

import pytest

from chargeplane.domain.chargepoints import Protocol
from chargeplane.domain.commands import CommandResult, parse_command
from chargeplane.gateway.command_sender import prepare
from tests.gateway import command_checks as checks
from tests.gateway.command_cases import PROFILE

V16 = Protocol.OCPP16


@pytest.mark.parametrize("case", checks.cases(), ids=[checks.case_id(c) for c in checks.cases()])
def test_translation_validates_against_the_official_schema(case: checks.Case) -> None:
    checks.check_translation(case, V16)


@pytest.mark.parametrize(("name", "params", "action", "payload"), checks.payloads(V16))
def test_exact_translation(name: str, params: dict[str, Any], action: str, payload: dict[str, Any]) -> None:
    checks.check_payload(V16, name, params, action, payload)


@pytest.mark.parametrize(("name", "params", "answer", "expected"), checks.answers(V16))
def test_answers_read(name: str, params: dict[str, Any], answer: dict[str, Any], expected: CommandResult) -> None:
    checks.check_answer(V16, name, params, answer, expected)


def test_charging_profile_has_one_schedule_and_the_16_purpose_name() -> None:
    command = parse_command("set-charging-profile", {"evse_id": 1, "profile": PROFILE})
    profile = prepare(V16, command).payload["csChargingProfiles"]
    assert profile["chargingProfileId"] == 7
    assert profile["chargingSchedule"] == {
        "startSchedule": "2026-01-01T00:00:00.000Z",
        "duration": 86400,
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [
            {"startPeriod": 0, "limit": 16.0, "numberPhases": 3},
            {"startPeriod": 3600, "limit": 10.5},
        ],
        "minChargingRate": 6.0,
    }
    assert profile["validTo"] == "2026-12-31T23:00:00.000Z" and profile["recurrencyKind"] == "Daily"
    max_profile = {**PROFILE, "purpose": "ChargingStationMaxProfile"}
    sent = prepare(V16, parse_command("set-charging-profile", {"evse_id": 0, "profile": max_profile})).payload
    assert sent["csChargingProfiles"]["chargingProfilePurpose"] == "ChargePointMaxProfile"


def test_reported_configuration() -> None:
    """1.6 GetConfiguration values (also get-base-report) and accepted changes are kept
    as device variables, the way 2.0.1's are."""
    answer = {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]}
    [read] = prepare(V16, parse_command("get-configuration", {})).reported(answer)
    assert (read.component, read.variable, read.value, read.readonly, read.key) == (
        "",
        "HeartbeatInterval",
        "300",
        False,
        "HeartbeatInterval",
    )
    assert prepare(V16, parse_command("get-base-report", {})).reported(answer) == [read]
    change = prepare(
        V16, parse_command("change-configuration", {"key": "OCPPCommCtrlr/HeartbeatInterval", "value": "60"})
    )
    [changed] = change.reported({"status": "Accepted"})
    assert (changed.component, changed.variable, changed.value) == ("", "HeartbeatInterval", "60")
    assert change.reported({"status": "Rejected"}) == []
    assert prepare(V16, parse_command("clear-cache", {})).reported({"status": "Accepted"}) == []
