"""Validate custom resources the way an apiserver would: defaults, schema, CEL rules.

No apiserver exists on these machines (ecosystem.md §1), so this does the three steps an
apiserver performs for a CRD with a structural schema, in its order: apply `default`s, check
the OpenAPI schema (jsonschema, Draft 4 semantics like OpenAPI 3.0's boolean exclusiveMinimum),
then evaluate every `x-kubernetes-validations` CEL rule (cel-python). Transition rules (those
using oldSelf) run only on updates, as on a real server. What it cannot do: list-type map key
uniqueness, pruning of unknown fields, and the Kubernetes CEL library extensions.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import celpy
import celpy.adapter
import celpy.evaluation
import jsonschema

from chargeplane.operator.crds import all_crds

_CEL = celpy.Environment()


def schema_for(kind: str) -> dict[str, Any]:
    for crd in all_crds():
        if crd["spec"]["names"]["kind"] == kind:
            schema: dict[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
            return schema
    raise KeyError(kind)


def apply_defaults(schema: dict[str, Any], value: Any) -> Any:
    if isinstance(value, dict) and schema.get("type") == "object":
        out = dict(value)
        for key, sub in schema.get("properties", {}).items():
            if key not in out and "default" in sub:
                out[key] = copy.deepcopy(sub["default"])
            if key in out:
                out[key] = apply_defaults(sub, out[key])
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key in set(out) - set(schema.get("properties", {})):
                out[key] = apply_defaults(extra, out[key])
        return out
    if isinstance(value, list) and "items" in schema:
        return [apply_defaults(schema["items"], item) for item in value]
    return value


def _rules(schema: dict[str, Any], value: Any, old: Any, where: str) -> Iterator[tuple[str, dict[str, Any], Any, Any]]:
    for rule in schema.get("x-kubernetes-validations", []):
        yield where, rule, value, old
    if isinstance(value, dict):
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                old_sub = old.get(key) if isinstance(old, dict) else None
                yield from _rules(sub, value[key], old_sub, f"{where}.{key}")
    elif isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            # Transition rules inside lists would need the map-key correlation; ours have none.
            yield from _rules(schema["items"], item, None, f"{where}[{i}]")


def cel(expression: str, self_value: Any, old_value: Any = None) -> bool:
    activation = {"self": celpy.adapter.json_to_cel(self_value)}
    if old_value is not None:
        activation["oldSelf"] = celpy.adapter.json_to_cel(old_value)
    result = _CEL.program(_CEL.compile(expression)).evaluate(activation)
    if isinstance(result, celpy.evaluation.CELEvalError):
        raise result
    return bool(result)


def errors(obj: dict[str, Any], old: dict[str, Any] | None = None) -> list[str]:
    """Every reason the apiserver would reject `obj` (an update of `old` when given)."""
    schema = schema_for(obj["kind"])
    value = apply_defaults(schema, obj)
    old_value = apply_defaults(schema, old) if old is not None else None
    found = [
        f"{'.'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
        for e in jsonschema.Draft4Validator(schema).iter_errors(value)
    ]
    if found:
        return found  # CEL assumes a schema-valid object, as the apiserver does
    for where, rule, self_value, old_self in _rules(schema, value, old_value, "self"):
        if "oldSelf" in rule["rule"] and old_self is None:
            continue
        if not cel(rule["rule"], self_value, old_self):
            found.append(f"{where}: {rule['message']}")
    return found
