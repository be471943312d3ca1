"""Malformed input gets the spec's CALLERROR, spelled per version, and the socket survives."""

from __future__ import annotations

from typing import Any

import pytest

from chargeplane.config import BootPolicy, Settings
from chargeplane.runtime.components import all_in_one
from tests.chargers import RawCharger, raw_charger

BOOT16 = {"chargePointVendor": "V", "chargePointModel": "M"}
BOOT201 = {"reason": "PowerUp", "chargingStation": {"vendorName": "V", "model": "M"}}

# (name, frame, expected message id, 1.6 code, 2.0.1 code)
FRAME_CASES: list[tuple[str, str | list[Any], str, str, str]] = [
    ("invalid json", '[2,"a1","Heartbeat",{', "-1", "FormationViolation", "RpcFrameworkError"),
    ("binary junk", "\x00\x01garbage", "-1", "FormationViolation", "RpcFrameworkError"),
    ("not an array", "{}", "-1", "FormationViolation", "RpcFrameworkError"),
    ("empty array", "[]", "-1", "FormationViolation", "RpcFrameworkError"),
    ("numeric id", [2, 123, "Heartbeat", {}], "-1", "FormationViolation", "RpcFrameworkError"),
    ("id too long", [2, "x" * 37, "Heartbeat", {}], "x" * 37, "FormationViolation", "RpcFrameworkError"),
    ("missing payload", [2, "a2", "Heartbeat"], "a2", "ProtocolError", "ProtocolError"),
    ("unknown message type", [7, "a3", {}], "a3", "ProtocolError", "MessageTypeNotSupported"),
    ("unknown action", [2, "a4", "FooBar", {}], "a4", "NotImplemented", "NotImplemented"),
    ("csms-only action", [2, "a5", "Reset", {"type": "Hard"}], "a5", "NotSupported", "NotSupported"),
    ("payload not an object", [2, "a6", "Heartbeat", []], "a6", "FormationViolation", "FormatViolation"),
    ("extra property", [2, "a7", "Heartbeat", {"x": 1}], "a7", "FormationViolation", "FormatViolation"),
]


def _schema_cases(version: str) -> list[tuple[str, list[Any], str]]:
    occurrence = "OccurenceConstraintViolation" if version == "1.6" else "OccurrenceConstraintViolation"
    if version == "1.6":
        return [
            ("missing required", [2, "s1", "BootNotification", {"chargePointVendor": "V"}], occurrence),
            (
                "wrong type",
                [
                    2,
                    "s2",
                    "StatusNotification",
                    {"connectorId": "1", "errorCode": "NoError", "status": "Available"},
                ],
                "TypeConstraintViolation",
            ),
            (
                "bad enum",
                [
                    2,
                    "s3",
                    "StatusNotification",
                    {"connectorId": 1, "errorCode": "NoError", "status": "Dancing"},
                ],
                "PropertyConstraintViolation",
            ),
            (
                "too long",
                [2, "s4", "BootNotification", {"chargePointVendor": "V" * 21, "chargePointModel": "M"}],
                "PropertyConstraintViolation",
            ),
            (
                "bad date",
                [
                    2,
                    "s5",
                    "StatusNotification",
                    {
                        "connectorId": 1,
                        "errorCode": "NoError",
                        "status": "Available",
                        "timestamp": "yesterday",
                    },
                ],
                "PropertyConstraintViolation",
            ),
        ]
    return [
        ("missing required", [2, "s1", "BootNotification", {"reason": "PowerUp"}], occurrence),
        (
            "wrong type",
            [
                2,
                "s2",
                "StatusNotification",
                {
                    "timestamp": "2026-01-01T00:00:00Z",
                    "connectorStatus": "Available",
                    "evseId": "1",
                    "connectorId": 1,
                },
            ],
            "TypeConstraintViolation",
        ),
        (
            "bad enum",
            [
                2,
                "s3",
                "BootNotification",
                {"reason": "Bored", "chargingStation": {"vendorName": "V", "model": "M"}},
            ],
            "PropertyConstraintViolation",
        ),
        (
            "too long",
            [
                2,
                "s4",
                "BootNotification",
                {"reason": "PowerUp", "chargingStation": {"vendorName": "V" * 51, "model": "M"}},
            ],
            "PropertyConstraintViolation",
        ),
        (
            "null optional",
            [
                2,
                "s5",
                "BootNotification",
                {
                    "reason": "PowerUp",
                    "chargingStation": {"vendorName": "V", "model": "M", "serialNumber": None},
                },
            ],
            "TypeConstraintViolation",
        ),
    ]


async def _still_alive(charger: RawCharger) -> None:
    reply = await charger.call("Heartbeat", {})
    assert reply[0] == 3 and "currentTime" in reply[2]


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
@pytest.mark.parametrize(
    ("name", "frame", "message_id", "code16", "code201"), FRAME_CASES, ids=[c[0] for c in FRAME_CASES]
)
async def test_frame_errors(
    ocpp_url: str, version: str, name: str, frame: str | list[Any], message_id: str, code16: str, code201: str
) -> None:
    async with raw_charger(ocpp_url, f"ERR-{version}", version) as charger:
        await charger.send(frame)
        reply = await charger.recv()
        assert reply[0] == 4
        assert reply[1] == message_id
        assert reply[2] == (code16 if version == "1.6" else code201)
        assert isinstance(reply[3], str) and 0 < len(reply[3]) <= 255
        assert isinstance(reply[4], dict)
        await _still_alive(charger)


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_schema_violations(ocpp_url: str, version: str) -> None:
    async with raw_charger(ocpp_url, f"SCHEMA-{version}", version) as charger:
        for name, frame, code in _schema_cases(version):
            await charger.send(frame)
            reply = await charger.recv()
            assert reply[:3] == [4, frame[1], code], (name, reply)
        await _still_alive(charger)


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_reply_to_unknown_call_is_dropped_silently(ocpp_url: str, version: str) -> None:
    async with raw_charger(ocpp_url, f"STRAY-{version}", version) as charger:
        await charger.send([3, "never-sent", {}])
        await charger.send([4, "never-sent", "GenericError", "", {}])
        await _still_alive(charger)  # the next frame we get is the Heartbeat's answer


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_rejected_boot_blocks_other_messages(settings: Settings, version: str) -> None:
    settings.boot_policy = BootPolicy.PRODUCTION
    boot = BOOT16 if version == "1.6" else BOOT201
    async with all_in_one(settings) as running:
        url = f"ws://127.0.0.1:{running.gateway_port}/ocpp"
        async with raw_charger(url, f"UNKNOWN-{version}", version) as charger:
            reply = await charger.call("BootNotification", boot)
            assert reply[2]["status"] == "Rejected"
            assert reply[2]["interval"] == settings.pending_retry_interval
            reply = await charger.call("Heartbeat", {})
            assert reply[0] == 4 and reply[2] == "SecurityError"
            reply = await charger.call("BootNotification", boot)  # a new boot is still heard
            assert reply[2]["status"] == "Rejected"
