"""OCPP 2.0.1 commands (gateway/ocpp201): every command translates into a CALL the official
2.0.1 schema accepts, or is refused as not expressible; answers read version-neutrally."""

from __future__ import annotations

from typing import Any

import pytest

from chargeplane.domain.chargepoints import Protocol
from chargeplane.domain.commands import CommandResult, parse_command
from chargeplane.gateway.command_sender import prepare
from tests.gateway import command_checks as checks
from tests.gateway.command_cases import PROFILE

V201 = Protocol.OCPP201


@pytest.mark.parametrize("case", checks.cases(), ids=[checks.case_id(c) for c in checks.cases()])
def test_translation_validates_against_the_official_schema(case: checks.Case) -> None:
    checks.check_translation(case, V201)


@pytest.mark.parametrize(("name", "params", "action", "payload"), checks.payloads(V201))
def test_exact_translation(name: str, params: dict[str, Any], action: str, payload: dict[str, Any]) -> None:
    checks.check_payload(V201, name, params, action, payload)


@pytest.mark.parametrize(("name", "params", "answer", "expected"), checks.answers(V201))
def test_answers_read(name: str, params: dict[str, Any], answer: dict[str, Any], expected: CommandResult) -> None:
    checks.check_answer(V201, name, params, answer, expected)


def test_charging_profile_numbers_its_schedules() -> None:
    command = parse_command("set-charging-profile", {"evse_id": 1, "profile": PROFILE})
    profile = prepare(V201, command).payload["chargingProfile"]
    assert profile["id"] == 7 and profile["recurrencyKind"] == "Daily"
    assert profile["chargingSchedule"] == [
        {
            "id": 1,
            "startSchedule": "2026-01-01T00:00:00.000Z",
            "duration": 86400,
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": 16.0, "numberPhases": 3},
                {"startPeriod": 3600, "limit": 10.5},
            ],
            "minChargingRate": 6.0,
        }
    ]
    assert profile["validTo"] == "2026-12-31T23:00:00.000Z"


def test_reported_configuration() -> None:
    get = prepare(V201, parse_command("get-configuration", {"keys": ["HeartbeatInterval", "EVSE[1]/Power"]}))
    answer = {
        "getVariableResult": [
            {
                "attributeStatus": "Accepted",
                "attributeValue": "300",
                "component": {"name": "OCPPCommCtrlr"},
                "variable": {"name": "HeartbeatInterval"},
            },
            {
                "attributeStatus": "UnknownVariable",
                "component": {"name": "EVSE", "evse": {"id": 1}},
                "variable": {"name": "Power"},
            },
        ]
    }
    [read] = get.reported(answer)
    assert (read.key, read.value) == ("OCPPCommCtrlr/HeartbeatInterval", "300")
    # The base report itself comes as NotifyReport messages, stored by the gateway.
    assert prepare(V201, parse_command("get-base-report", {})).reported({"status": "Accepted"}) == []
    change = prepare(V201, parse_command("change-configuration", {"key": "HeartbeatInterval", "value": "60"}))
    accepted = {
        "setVariableResult": [
            {
                "attributeStatus": "Accepted",
                "component": {"name": "OCPPCommCtrlr"},
                "variable": {"name": "HeartbeatInterval"},
            }
        ]
    }
    [changed] = change.reported(accepted)
    assert (changed.key, changed.value) == ("OCPPCommCtrlr/HeartbeatInterval", "60")
