"""Answers to CSMS-initiated CALLs, for both versions: one handler per action.

Each handler returns the CALLRESULT payload and an optional follow-up that runs right
after the answer is sent (a charger answers RemoteStart first, then starts). The tables
cover exactly the dialects' `csms_actions`; anything else is answered NotImplemented by
the charger before it gets here.
"""

from __future__ import annotations

from collections.abc import Callable

from chargeplane.sim.messages import CSMS_ACTIONS_16, CSMS_ACTIONS_201, V16, Payload
from chargeplane.sim.ports import Answering, FollowUp
from chargeplane.sim.states import KNOWN_KEYS_16, KNOWN_VARIABLES_201, READY, TRIGGERABLE

Answer = tuple[Payload, FollowUp]
Handler = Callable[[Answering, Payload], Answer]


def answer(charger: Answering, action: str, payload: Payload) -> Answer:
    handlers = _HANDLERS_16 if charger.dialect is V16 else _HANDLERS_201
    return handlers[action](charger, payload)


def _status(ok: bool) -> Payload:
    return {"status": "Accepted" if ok else "Rejected"}


def _remote_start(ch: Answering, tag: str) -> Answer:
    ok = ch.state == READY and not ch.in_session and bool(tag)
    return _status(ok), (lambda: ch.start_session(tag, authorize=False)) if ok else None


def _remote_stop(ch: Answering, payload: Payload) -> Answer:
    ok = ch.in_session and payload.get("transactionId") == ch.tx_id
    return _status(ok), ch.remote_stop if ok else None


def _reset(ch: Answering, payload: Payload) -> Answer:
    return {"status": "Accepted"}, ch.reboot


def _trigger(ch: Answering, payload: Payload) -> Answer:
    message = str(payload.get("requestedMessage", ""))
    if message not in TRIGGERABLE:
        return {"status": "NotImplemented"}, None
    return {"status": "Accepted"}, lambda: ch.trigger(message)


# -- OCPP 1.6 ------------------------------------------------------------------------------
def _remote_start_16(ch: Answering, payload: Payload) -> Answer:
    return _remote_start(ch, str(payload.get("idTag", "")))


def _change_configuration(ch: Answering, payload: Payload) -> Answer:
    key, value = str(payload.get("key", "")), str(payload.get("value", ""))
    if key not in KNOWN_KEYS_16:
        return {"status": "NotSupported"}, None
    ch.set_override(key, value)
    return {"status": "Accepted"}, None


def _get_configuration(ch: Answering, payload: Payload) -> Answer:
    wanted = payload.get("key")
    keys = [str(k) for k in wanted] if isinstance(wanted, list) and wanted else list(KNOWN_KEYS_16)
    overrides = ch.overrides or {}
    known = [
        {"key": k, "readonly": False, "value": overrides.get(k, KNOWN_KEYS_16[k])} for k in keys if k in KNOWN_KEYS_16
    ]
    unknown = [k for k in keys if k not in KNOWN_KEYS_16]
    result: Payload = {"configurationKey": known}
    if unknown:
        result["unknownKey"] = unknown
    return result, None


def _set_charging_profile_16(ch: Answering, payload: Payload) -> Answer:
    return _status(isinstance(payload.get("csChargingProfiles"), dict)), None


_HANDLERS_16: dict[str, Handler] = {
    "RemoteStartTransaction": _remote_start_16,
    "RemoteStopTransaction": _remote_stop,
    "Reset": _reset,
    "ChangeConfiguration": _change_configuration,
    "GetConfiguration": _get_configuration,
    "SetChargingProfile": _set_charging_profile_16,
    "TriggerMessage": _trigger,
}


# -- OCPP 2.0.1 ----------------------------------------------------------------------------
def _request_start_201(ch: Answering, payload: Payload) -> Answer:
    token = payload.get("idToken")
    return _remote_start(ch, str(token.get("idToken", "")) if isinstance(token, dict) else "")


def _set_variable(ch: Answering, item: object) -> Payload:
    fields: Payload = item if isinstance(item, dict) else {}
    component = fields.get("component", {})
    variable = fields.get("variable", {})
    key = (str(component.get("name", "")), str(variable.get("name", "")))
    if key in KNOWN_VARIABLES_201:
        ch.set_override(key[1], str(fields.get("attributeValue", "")))
        status = "Accepted"
    elif key[0] in {c for c, _ in KNOWN_VARIABLES_201}:
        status = "UnknownVariable"
    else:
        status = "UnknownComponent"
    return {"attributeStatus": status, "component": component, "variable": variable}


def _set_variables(ch: Answering, payload: Payload) -> Answer:
    data = payload.get("setVariableData")
    items = data if isinstance(data, list) else []
    return {"setVariableResult": [_set_variable(ch, item) for item in items]}, None


def _set_charging_profile_201(ch: Answering, payload: Payload) -> Answer:
    return _status(isinstance(payload.get("chargingProfile"), dict)), None


_HANDLERS_201: dict[str, Handler] = {
    "RequestStartTransaction": _request_start_201,
    "RequestStopTransaction": _remote_stop,
    "Reset": _reset,
    "SetVariables": _set_variables,
    "SetChargingProfile": _set_charging_profile_201,
    "TriggerMessage": _trigger,
}

# The dialects announce what they answer; the tables must answer exactly that.
assert set(_HANDLERS_16) == CSMS_ACTIONS_16 and set(_HANDLERS_201) == CSMS_ACTIONS_201
