"""A scriptable in-test CSMS speaking raw OCPP-J frames, used to check the simulator.

It records every frame the simulator sends, can answer with CALLRESULTs or
CALLERRORs or not at all, and sends CSMS-initiated CALLs one at a time (OCPP-J allows
one outstanding CALL per direction) so the simulator's answers can be validated.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import ocpp
import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.typing import Subprotocol

# `bench` (the server harness) lives at the repository root, which is not on sys.path
# when pytest runs from the venv's entry point.
REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SCHEMA_DIRS = {
    "1.6": Path(ocpp.__file__).parent / "v16" / "schemas",
    "2.0.1": Path(ocpp.__file__).parent / "v201" / "schemas",
}


@cache
def _validator(version: str, name: str) -> Any:
    schema = json.loads((SCHEMA_DIRS[version] / f"{name}.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def validate_request(version: str, action: str, payload: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError unless `payload` is a valid `action` request."""
    name = action if version == "1.6" else f"{action}Request"
    _validator(version, name).validate(payload)


def validate_response(version: str, action: str, payload: dict[str, Any]) -> None:
    _validator(version, f"{action}Response").validate(payload)


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def ok_response(version: str, action: str, payload: dict[str, Any], tx_ids: itertools.count[int]) -> dict[str, Any]:
    if action == "BootNotification":
        return {"currentTime": now(), "interval": 1, "status": "Accepted"}
    if action == "Heartbeat":
        return {"currentTime": now()}
    if action == "Authorize":
        key = "idTagInfo" if version == "1.6" else "idTokenInfo"
        return {key: {"status": "Accepted"}}
    if action == "StartTransaction":
        return {"transactionId": next(tx_ids), "idTagInfo": {"status": "Accepted"}}
    if action == "StopTransaction":
        return {"idTagInfo": {"status": "Accepted"}}
    return {}


PROFILE_16 = {
    "chargingProfileId": 1,
    "stackLevel": 0,
    "chargingProfilePurpose": "TxDefaultProfile",
    "chargingProfileKind": "Absolute",
    "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}]},
}
PROFILE_201 = {
    "id": 1,
    "stackLevel": 0,
    "chargingProfilePurpose": "TxDefaultProfile",
    "chargingProfileKind": "Absolute",
    "chargingSchedule": [
        {"id": 1, "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}]}
    ],
}

# CSMS-initiated CALLs sent after boot; RemoteStop/RequestStop and Reset follow later.
COMMANDS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "1.6": [
        ("ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "1"}),
        ("ChangeConfiguration", {"key": "NoSuchKey", "value": "x"}),
        ("GetConfiguration", {}),
        ("GetConfiguration", {"key": ["HeartbeatInterval", "NoSuchKey"]}),
        ("SetChargingProfile", {"connectorId": 1, "csChargingProfiles": PROFILE_16}),
        ("TriggerMessage", {"requestedMessage": "MeterValues", "connectorId": 1}),
        ("TriggerMessage", {"requestedMessage": "Heartbeat"}),
        ("TriggerMessage", {"requestedMessage": "StatusNotification", "connectorId": 1}),
        ("TriggerMessage", {"requestedMessage": "BootNotification"}),
        ("TriggerMessage", {"requestedMessage": "DiagnosticsStatusNotification"}),
        ("UnlockConnector", {"connectorId": 1}),
        ("RemoteStartTransaction", {"connectorId": 1, "idTag": "REMOTE1"}),
    ],
    "2.0.1": [
        (
            "SetVariables",
            {
                "setVariableData": [
                    {
                        "attributeValue": "1",
                        "component": {"name": "SampledDataCtrlr"},
                        "variable": {"name": "TxUpdatedInterval"},
                    },
                    {"attributeValue": "x", "component": {"name": "NoSuchCtrlr"}, "variable": {"name": "Foo"}},
                    {"attributeValue": "x", "component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "Foo"}},
                ]
            },
        ),
        ("SetChargingProfile", {"evseId": 1, "chargingProfile": PROFILE_201}),
        ("TriggerMessage", {"requestedMessage": "MeterValues", "evse": {"id": 1}}),
        ("TriggerMessage", {"requestedMessage": "Heartbeat"}),
        ("TriggerMessage", {"requestedMessage": "StatusNotification", "evse": {"id": 1, "connectorId": 1}}),
        ("TriggerMessage", {"requestedMessage": "BootNotification"}),
        ("TriggerMessage", {"requestedMessage": "LogStatusNotification"}),
        ("UnlockConnector", {"evseId": 1, "connectorId": 1}),
        ("RequestStartTransaction", {"idToken": {"idToken": "REMOTE1", "type": "ISO14443"}, "remoteStartId": 7}),
    ],
}


@dataclass
class FakeCsms:
    """answer(version, action, payload) -> ("result", payload) | ("error", code) | None (no answer)."""

    answer: Callable[[str, str, dict[str, Any]], tuple[str, Any] | None] | None = None
    send_commands: bool = False
    garbage: bool = False  # send an unknown-id CALLRESULT and invalid JSON after boot
    calls: list[tuple[str, str, str, dict[str, Any]]] = field(default_factory=list)  # (cp, version, action, payload)
    command_results: list[tuple[str, str, str, dict[str, Any]]] = field(default_factory=list)
    command_errors: list[tuple[str, str, str, str]] = field(default_factory=list)
    commanded: set[str] = field(default_factory=set)
    url: str = ""
    _tx_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(100))

    async def handler(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        cp_id = ws.request.path.rsplit("/", 1)[-1]
        version = "1.6" if ws.subprotocol == "ocpp1.6" else "2.0.1"
        pending: dict[str, str] = {}
        plan: list[tuple[str, dict[str, Any]]] = []
        tx_for_stop: list[Any] = []
        uid = itertools.count(1)

        async def send_next() -> None:
            if plan and not pending:
                action, payload = plan.pop(0)
                key = f"csms-{next(uid)}"
                pending[key] = action
                await ws.send(json.dumps([2, key, action, payload]))

        async for raw in ws:
            msg = json.loads(raw)
            if msg[0] == 2:
                _, msg_id, action, payload = msg
                self.calls.append((cp_id, version, action, payload))
                reply = (self.answer or self._ok)(version, action, payload)
                if reply is not None:
                    kind, body = reply
                    frame = [3, msg_id, body] if kind == "result" else [4, msg_id, body, "test", {}]
                    await ws.send(json.dumps(frame))
                if action == "BootNotification" and cp_id not in self.commanded:
                    self.commanded.add(cp_id)
                    if self.garbage:
                        await ws.send(json.dumps([3, "no-such-id", {}]))
                        await ws.send("{not json")
                    if self.send_commands:
                        plan.extend(COMMANDS[version])
                        await send_next()
                # Stop the remotely started session once it reports meter values.
                if self.send_commands and not tx_for_stop:
                    tx = _charging_tx(version, action, payload)
                    if tx is not None:
                        tx_for_stop.append(tx)
                        stop = "RemoteStopTransaction" if version == "1.6" else "RequestStopTransaction"
                        plan.append((stop, {"transactionId": tx}))
                        plan.append(("Reset", {"type": "Soft" if version == "1.6" else "Immediate"}))
                        await send_next()
            elif msg[0] in (3, 4):
                action = pending.pop(msg[1])
                if msg[0] == 3:
                    self.command_results.append((cp_id, version, action, msg[2]))
                else:
                    self.command_errors.append((cp_id, version, action, msg[2]))
                await send_next()

    def _ok(self, version: str, action: str, payload: dict[str, Any]) -> tuple[str, Any]:
        return ("result", ok_response(version, action, payload, self._tx_ids))


def _charging_tx(version: str, action: str, payload: dict[str, Any]) -> Any:
    if version == "1.6" and action == "MeterValues" and "transactionId" in payload:
        return payload["transactionId"]
    if version == "2.0.1" and action == "TransactionEvent" and payload.get("eventType") == "Updated":
        return payload["transactionInfo"]["transactionId"]
    return None


@pytest.fixture
async def start_csms() -> AsyncIterator[Callable[..., Any]]:
    """Factory: `csms = await start_csms(FakeCsms(...))` serves it on a free port."""
    stack = contextlib.AsyncExitStack()

    async def start(csms: FakeCsms) -> FakeCsms:
        server = await stack.enter_async_context(
            serve(
                csms.handler,
                "127.0.0.1",
                0,
                subprotocols=[Subprotocol("ocpp1.6"), Subprotocol("ocpp2.0.1")],
                compression=None,
            )
        )
        port = next(iter(server.sockets)).getsockname()[1]
        csms.url = f"ws://127.0.0.1:{port}/ocpp"
        return csms

    async with stack:
        yield start


@pytest.fixture
def fake_csms_class() -> type[FakeCsms]:
    return FakeCsms


@pytest.fixture
def schema_check() -> tuple[Callable[..., None], Callable[..., None]]:
    return validate_request, validate_response
