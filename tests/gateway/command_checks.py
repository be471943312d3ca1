"""The checks each version package's command tests run (tests/gateway/ocpp16, ocpp201)."""

from __future__ import annotations

from typing import Any

import pytest

from chargeplane.domain.chargepoints import Protocol
from chargeplane.domain.commands import CommandResult, UnsupportedCommand, parse_command
from chargeplane.gateway.command_sender import prepare
from chargeplane.gateway.validation import validate
from tests.gateway.command_cases import ANSWERS, CASES, EXPECTED_PAYLOADS, NO

Case = tuple[str, dict[str, Any], str, str]


def cases() -> list[Case]:
    return CASES


def case_id(case: Case) -> str:
    return f"{case[0]}-{CASES.index(case)}"


def check_translation(case: Case, protocol: Protocol) -> None:
    """The translated CALL validates against the version's official schema, or the version
    cannot express the command (refused before anything is sent, with a reason)."""
    name, params, on16, on201 = case
    command = parse_command(name, params)
    expected = on16 if protocol is Protocol.OCPP16 else on201
    if expected == NO:
        with pytest.raises(UnsupportedCommand, match=r"OCPP|use get-base-report|id tags|transaction ids"):
            prepare(protocol, command)
        return
    prepared = prepare(protocol, command)
    validate(protocol, prepared.action, "request", prepared.payload)  # raises OcppError when invalid


def payloads(protocol: Protocol) -> list[tuple[str, dict[str, Any], str, dict[str, Any]]]:
    return [(n, p, a, payload) for n, p, v, a, payload in EXPECTED_PAYLOADS if v is protocol]


def check_payload(protocol: Protocol, name: str, params: dict[str, Any], action: str, payload: dict[str, Any]) -> None:
    prepared = prepare(protocol, parse_command(name, params))
    assert (prepared.action, prepared.payload) == (action, payload)


def answers(protocol: Protocol) -> list[tuple[str, dict[str, Any], dict[str, Any], CommandResult]]:
    return [(n, p, answer, expected) for n, p, v, answer, expected in ANSWERS if v is protocol]


def check_answer(
    protocol: Protocol, name: str, params: dict[str, Any], answer: dict[str, Any], expected: CommandResult
) -> None:
    prepared = prepare(protocol, parse_command(name, params))
    validate(protocol, prepared.action, "response", answer)  # the answer is one a real charger may send
    assert prepared.read(answer) == expected
