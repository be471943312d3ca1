"""Compiled JSON-schema validators over the official schemas bundled in the `ocpp` package.

fastjsonschema turns each schema into Python code once, which is ~18x faster than the
`ocpp` library's jsonschema validation (DESIGN.md §5, G4), so validation stays on for
every message in both directions.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, Literal

import fastjsonschema

from chargeplane.domain.chargepoints import Protocol
from chargeplane.gateway.errors import ErrorKind, OcppError

Kind = Literal["request", "response"]
Validator = Callable[[Any], Any]

# Real 1.6 chargers often send timestamps without a UTC offset; accept them (read as UTC)
# rather than refuse every message of such a charger. Anything else must be ISO 8601.
_DATE_TIME = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|z|[+-]\d\d(:?\d\d)?)?$",
)


def _is_date_time(value: str) -> bool:
    return _DATE_TIME.match(value) is not None


# Schema keyword that failed -> the CALLERROR kind (OCPP-J §4.3 definitions).
_RULE_KIND = {
    "type": ErrorKind.TYPE_CONSTRAINT,
    "required": ErrorKind.OCCURRENCE_CONSTRAINT,
    "minItems": ErrorKind.OCCURRENCE_CONSTRAINT,
    "maxItems": ErrorKind.OCCURRENCE_CONSTRAINT,
    "additionalProperties": ErrorKind.FORMAT,
}


def _schema_dir(protocol: Protocol) -> Path:
    spec = importlib.util.find_spec("ocpp")
    assert spec is not None and spec.submodule_search_locations
    root = Path(next(iter(spec.submodule_search_locations)))
    return root / ("v16" if protocol is Protocol.OCPP16 else "v201") / "schemas"


def _schema_name(protocol: Protocol, action: str, kind: Kind) -> str:
    if kind == "response":
        return f"{action}Response"
    return action if protocol is Protocol.OCPP16 else f"{action}Request"


@cache
def known_actions(protocol: Protocol) -> frozenset[str]:
    """Every action the protocol version defines (either direction)."""
    suffix = "Request.json" if protocol is Protocol.OCPP201 else ".json"
    names = {p.name for p in _schema_dir(protocol).glob("*.json")}
    actions = set()
    for name in names:
        if name.endswith("Response.json"):
            continue
        if name.endswith(suffix):
            actions.add(name[: -len(suffix)])
    return frozenset(actions)


def _strip_multiple_of(node: Any) -> Any:
    # 1.6 schemas say multipleOf 0.1 for decimals; binary floats (21.4/0.1 = 213.999...)
    # would fail a correct value, so the constraint is dropped (the ocpp library works
    # around the same thing with Decimal parsing).
    if isinstance(node, dict):
        return {k: _strip_multiple_of(v) for k, v in node.items() if k != "multipleOf"}
    if isinstance(node, list):
        return [_strip_multiple_of(v) for v in node]
    return node


@cache
def validator_for(protocol: Protocol, action: str, kind: Kind) -> Validator:
    """The compiled validator of one message; KeyError if the schema does not exist."""
    path = _schema_dir(protocol) / f"{_schema_name(protocol, action, kind)}.json"
    if not path.exists():
        raise KeyError(f"no {kind} schema for {action} in {protocol}")
    schema = _strip_multiple_of(json.loads(path.read_text(encoding="utf-8-sig")))
    return fastjsonschema.compile(schema, formats={"date-time": _is_date_time})


def validate(protocol: Protocol, action: str, kind: Kind, payload: Any) -> None:
    """Raise OcppError with the spec's error kind when `payload` violates the schema."""
    if not isinstance(payload, dict):
        raise OcppError(ErrorKind.FORMAT, f"{action} payload must be a JSON object")
    try:
        validator_for(protocol, action, kind)(payload)
    except fastjsonschema.JsonSchemaValueException as exc:
        kind_ = _RULE_KIND.get(exc.rule or "", ErrorKind.PROPERTY_CONSTRAINT)
        field = (exc.name or "data").removeprefix("data").lstrip(".") or "(payload)"
        raise OcppError(
            kind_,
            f"{action}: {exc.message.replace('data.', '').replace('data ', 'payload ')}",
            {"field": field, "constraint": exc.rule or ""},
        ) from None


def warm_up(protocol: Protocol, actions: list[str]) -> None:
    """Compile the hot validators at start-up instead of on a charger's first message."""
    for action in actions:
        for kind in ("request", "response"):
            with contextlib.suppress(KeyError):  # not every action has both directions
                validator_for(protocol, action, kind)
