"""Small constructors for structural OpenAPI v3 schemas, so the CRDs in crds.py read like a spec.

Every helper demands a description: `kubectl explain` is the first documentation a platform
engineer reads, and a property without one is a hole in it.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]


def obj(
    description: str,
    properties: dict[str, Schema],
    *,
    required: list[str] | None = None,
    rules: list[Schema] | None = None,
    default: dict[str, Any] | None = None,
) -> Schema:
    out: Schema = {"type": "object", "description": description, "properties": properties}
    if required:
        out["required"] = required
    if rules:
        out["x-kubernetes-validations"] = rules
    if default is not None:
        out["default"] = default
    return out


def string(description: str, **extra: Any) -> Schema:
    return {"type": "string", "description": description, **extra}


def integer(description: str, **extra: Any) -> Schema:
    return {"type": "integer", "description": description, **extra}


def number(description: str, **extra: Any) -> Schema:
    return {"type": "number", "description": description, **extra}


def boolean(description: str, **extra: Any) -> Schema:
    return {"type": "boolean", "description": description, **extra}


def array(description: str, items: Schema, **extra: Any) -> Schema:
    return {"type": "array", "description": description, "items": items, **extra}


def string_map(description: str, value_description: str, **extra: Any) -> Schema:
    return {
        "type": "object",
        "description": description,
        "additionalProperties": {"type": "string", "description": value_description},
        **extra,
    }


def rule(expression: str, message: str) -> Schema:
    return {"rule": expression, "message": message}


_NUMBER = r"(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))"
_QUANTITY = rf"^(\+|-)?{_NUMBER}(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?{_NUMBER}))?$"


def quantity(description: str) -> Schema:
    # The apiserver's own representation of resource.Quantity in CRDs.
    return {
        "description": description,
        "anyOf": [{"type": "integer"}, {"type": "string"}],
        "x-kubernetes-int-or-string": True,
        "pattern": _QUANTITY,
    }


def resources(description: str) -> Schema:
    """A subset of core/v1 ResourceRequirements: requests and limits."""
    return obj(
        description,
        {
            "requests": {
                "type": "object",
                "description": "Minimum compute resources, e.g. cpu: 100m, memory: 128Mi.",
                "additionalProperties": quantity("A quantity of the named resource."),
            },
            "limits": {
                "type": "object",
                "description": "Maximum compute resources, e.g. memory: 512Mi.",
                "additionalProperties": quantity("A quantity of the named resource."),
            },
        },
    )


def local_ref(description: str, *, key: bool = False, key_default: str = "") -> Schema:
    props: dict[str, Schema] = {
        "name": string("Name of the object in the same namespace.", minLength=1, maxLength=253),
    }
    if key:
        props["key"] = string("Key inside the Secret's data.", minLength=1, default=key_default)
    return obj(description, props, required=["name"])


def conditions() -> Schema:
    """metav1.Condition, with the apiserver's own validation numbers."""
    return array(
        "Standard conditions (metav1.Condition); the latest observation of each type.",
        obj(
            "One aspect of the resource's state.",
            {
                "type": string(
                    "Condition type in CamelCase, e.g. Ready.",
                    maxLength=316,
                    pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
                ),
                "status": string("True, False or Unknown.", enum=["True", "False", "Unknown"]),
                "observedGeneration": integer(
                    "metadata.generation the condition was computed from.", format="int64", minimum=0
                ),
                "lastTransitionTime": string(
                    "When the status last changed (not when it was last checked).", format="date-time"
                ),
                "reason": string(
                    "Machine-readable CamelCase reason for the last transition.",
                    minLength=1,
                    maxLength=1024,
                    pattern=r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
                ),
                "message": string("Human-readable details; may be empty.", maxLength=32768),
            },
            required=["type", "status", "lastTransitionTime", "reason", "message"],
        ),
        **{"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
    )


def observed_generation() -> Schema:
    return integer("metadata.generation of the spec the status was last reconciled from.", format="int64", minimum=0)
