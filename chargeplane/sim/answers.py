"""Answers to CSMS-initiated CALLs, for both versions.

Each handler returns the CALLRESULT payload and an optional follow-up that runs right
after the answer is sent (a charger answers RemoteStart first, then starts).
"""

from __future__ import annotations

from chargeplane.sim.messages import V16, Payload
from chargeplane.sim.ports import Answering, FollowUp
from chargeplane.sim.states import KNOWN_KEYS_16, KNOWN_VARIABLES_201, READY, TRIGGERABLE


def answer(charger: Answering, action: str, payload: Payload) -> tuple[Payload, FollowUp]:
    if charger.dialect is V16:
        return _answer_16(charger, action, payload)
    return _answer_201(charger, action, payload)


def _status(ok: bool) -> Payload:
    return {"status": "Accepted" if ok else "Rejected"}


def _answer_16(ch: Answering, action: str, payload: Payload) -> tuple[Payload, FollowUp]:
    if action == "RemoteStartTransaction":
        tag = str(payload.get("idTag", ""))
        ok = ch.state == READY and not ch.in_session and bool(tag)
        return _status(ok), (lambda: ch.start_session(tag, authorize=False)) if ok else None
    if action == "RemoteStopTransaction":
        ok = ch.in_session and payload.get("transactionId") == ch.tx_id
        return _status(ok), ch.remote_stop if ok else None
    if action == "Reset":
        return {"status": "Accepted"}, ch.reboot
    if action == "ChangeConfiguration":
        key, value = str(payload.get("key", "")), str(payload.get("value", ""))
        if key not in KNOWN_KEYS_16:
            return {"status": "NotSupported"}, None
        ch.set_override(key, value)
        return {"status": "Accepted"}, None
    if action == "GetConfiguration":
        wanted = payload.get("key")
        keys = [str(k) for k in wanted] if isinstance(wanted, list) and wanted else list(KNOWN_KEYS_16)
        overrides = ch.overrides or {}
        known = [
            {"key": k, "readonly": False, "value": overrides.get(k, KNOWN_KEYS_16[k])}
            for k in keys
            if k in KNOWN_KEYS_16
        ]
        unknown = [k for k in keys if k not in KNOWN_KEYS_16]
        result: Payload = {"configurationKey": known}
        if unknown:
            result["unknownKey"] = unknown
        return result, None
    if action == "SetChargingProfile":
        return _status(isinstance(payload.get("csChargingProfiles"), dict)), None
    if action == "TriggerMessage":
        message = str(payload.get("requestedMessage", ""))
        if message not in TRIGGERABLE:
            return {"status": "NotImplemented"}, None
        return {"status": "Accepted"}, lambda: ch.trigger(message)
    raise AssertionError(f"unhandled 1.6 action {action}")  # csms_actions and this list agree


def _answer_201(ch: Answering, action: str, payload: Payload) -> tuple[Payload, FollowUp]:
    if action == "RequestStartTransaction":
        token = payload.get("idToken")
        tag = str(token.get("idToken", "")) if isinstance(token, dict) else ""
        ok = ch.state == READY and not ch.in_session and bool(tag)
        return _status(ok), (lambda: ch.start_session(tag, authorize=False)) if ok else None
    if action == "RequestStopTransaction":
        ok = ch.in_session and payload.get("transactionId") == ch.tx_id
        return _status(ok), ch.remote_stop if ok else None
    if action == "Reset":
        return {"status": "Accepted"}, ch.reboot
    if action == "SetVariables":
        results = []
        data = payload.get("setVariableData")
        for item in data if isinstance(data, list) else []:
            component = item.get("component", {}) if isinstance(item, dict) else {}
            variable = item.get("variable", {}) if isinstance(item, dict) else {}
            key = (str(component.get("name", "")), str(variable.get("name", "")))
            if key in KNOWN_VARIABLES_201:
                ch.set_override(key[1], str(item.get("attributeValue", "")))
                status = "Accepted"
            elif key[0] in {c for c, _ in KNOWN_VARIABLES_201}:
                status = "UnknownVariable"
            else:
                status = "UnknownComponent"
            results.append({"attributeStatus": status, "component": component, "variable": variable})
        return {"setVariableResult": results}, None
    if action == "SetChargingProfile":
        return _status(isinstance(payload.get("chargingProfile"), dict)), None
    if action == "TriggerMessage":
        message = str(payload.get("requestedMessage", ""))
        if message not in TRIGGERABLE:
            return {"status": "NotImplemented"}, None
        return {"status": "Accepted"}, lambda: ch.trigger(message)
    raise AssertionError(f"unhandled 2.0.1 action {action}")
