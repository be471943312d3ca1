"""G4: schema validation cost per action, measured in-process.

Reference points: the `ocpp` library's jsonschema path (what the baseline pays) and a
fastjsonschema-compiled validator (the floor). chargeplane's own figure comes from
`chargeplane.gateway.validation` when that module exists; until then G4 is reported as
not landed for chargeplane.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastjsonschema
import ocpp
from ocpp.messages import Call, _validate_payload

from chargeplane.sim.messages import V16, V201

SCHEMAS = Path(ocpp.__file__).parent


def payloads() -> dict[str, tuple[str, str, dict[str, Any]]]:
    """The two volume leaders, as the simulator sends them (5 sampled values)."""
    return {
        "MeterValues": ("1.6", "MeterValues", V16.meter(1, 42, 123456, 11000.0, 0)),
        "TransactionEvent": ("2.0.1", "TransactionEvent", V201.meter(1, "tx-1", 123456, 11000.0, 3)),
    }


def time_us(fn: Callable[[], Any], runs: int, number: int) -> float:
    """Median over `runs` of the mean time per call, in microseconds."""
    fn()  # warm caches (the library caches validators per action)
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number * 1e6)
    return round(statistics.median(samples), 2)


def _schema(version: str, action: str) -> dict[str, Any]:
    folder = SCHEMAS / ("v16" if version == "1.6" else "v201") / "schemas"
    name = action if version == "1.6" else f"{action}Request"
    return dict(json.loads((folder / f"{name}.json").read_text()))


def find_chargeplane_validator() -> tuple[Callable[[str, str, dict[str, Any]], Any] | None, str]:
    """Locate the gateway's compiled validators at run time (their API is the gateway's)."""
    if importlib.util.find_spec("chargeplane.gateway") is None:
        return None, "package chargeplane.gateway is not installed"
    if importlib.util.find_spec("chargeplane.gateway.validation") is None:
        return None, "module chargeplane.gateway.validation does not exist yet"
    module = importlib.import_module("chargeplane.gateway.validation")
    version, action, payload = payloads()["MeterValues"]
    enum = getattr(module, "Protocol", None)

    def sub(v: str) -> Any:  # the gateway's protocol type, if it has one
        try:
            return enum("ocpp" + v) if callable(enum) else "ocpp" + v
        except (ValueError, TypeError):
            return "ocpp" + v

    # Accept the obvious shapes; the protocol may be "1.6" or the subprotocol "ocpp1.6".
    shapes: list[tuple[str, Callable[..., Any], Callable[[str], Any]]] = []
    for name in ("validate", "validate_request", "validate_call"):
        fn = getattr(module, name, None)
        if callable(fn):
            shapes += [
                (f"{name}(subprotocol, action, 'request', payload)", fn, lambda v: (sub(v), "request")),
                (f"{name}(version, action, payload)", fn, lambda v: (v, None)),
            ]
    for name in ("validator_for", "request_validator", "get_validator"):
        factory = getattr(module, name, None)
        if callable(factory):
            shapes.append((f"{name}(subprotocol, action, 'request')(payload)", factory, lambda v: (sub(v), "factory")))
    for label, fn, args in shapes:
        proto, mode = args(version)
        try:
            if mode == "factory":
                checker = fn(proto, action, "request")
                checker(payload)
                return (lambda v, a, p, _f=fn: _f(sub(v), a, "request")(p)), f"{module.__name__}.{label}"
            if mode == "request":
                fn(proto, action, "request", payload)
                return (lambda v, a, p, _f=fn: _f(sub(v), a, "request", p)), f"{module.__name__}.{label}"
            fn(proto, action, payload)
            return (lambda v, a, p, _f=fn: _f(v, a, p)), f"{module.__name__}.{label}"
        except Exception:  # noqa: BLE001 - wrong shape (or a rejection): try the next one
            continue
    public = sorted(n for n in dir(module) if not n.startswith("_"))
    return None, f"chargeplane.gateway.validation has no recognised validator API (public names: {public})"


def run(runs: int = 5, number: int = 2000) -> dict[str, Any]:
    out: dict[str, Any] = {}
    cp_validate, how = find_chargeplane_validator()
    for label, (version, action, payload) in payloads().items():
        call = Call(unique_id="1", action=action, payload=payload)
        compiled = fastjsonschema.compile(_schema(version, action))
        row: dict[str, Any] = {
            "ocpp_library_jsonschema_us": time_us(
                functools.partial(_validate_payload, call, version), runs, max(200, number // 10)
            ),
            "fastjsonschema_compiled_us": time_us(functools.partial(compiled, payload), runs, number),
            "payload_bytes": len(json.dumps(payload, separators=(",", ":"))),
        }
        if cp_validate is not None:
            # The validators are cached per action by the gateway, as in production.
            row["chargeplane_us"] = time_us(functools.partial(cp_validate, version, action, payload), runs, number)
        out[label] = row
    return {
        "chargeplane_api": how if cp_validate else None,
        "not_landed_reason": None if cp_validate else how,
        "actions": out,
    }
