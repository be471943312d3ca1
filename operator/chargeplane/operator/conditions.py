"""metav1.Condition helpers: what `kubectl wait --for=condition=Ready` relies on."""

from __future__ import annotations

import datetime
from typing import Any

Condition = dict[str, Any]


def now() -> str:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def make(type_: str, ok: bool | None, reason: str, message: str = "", *, generation: int | None) -> Condition:
    cond: Condition = {
        "type": type_,
        "status": "Unknown" if ok is None else ("True" if ok else "False"),
        "reason": reason,
        "message": message,
        "lastTransitionTime": now(),
    }
    if generation is not None:
        cond["observedGeneration"] = generation
    return cond


def merge(existing: list[Condition] | None, updates: list[Condition]) -> list[Condition]:
    """Apply updates by type; lastTransitionTime moves only when the status flips."""
    by_type = {c["type"]: dict(c) for c in existing or []}
    for update in updates:
        old = by_type.get(update["type"])
        if old is not None and old.get("status") == update["status"] and "lastTransitionTime" in old:
            by_type[update["type"]] = {**update, "lastTransitionTime": old["lastTransitionTime"]}
        else:
            by_type[update["type"]] = update
    return sorted(by_type.values(), key=lambda c: str(c["type"]))


def find(conditions: list[Condition] | None, type_: str) -> Condition | None:
    return next((c for c in conditions or [] if c.get("type") == type_), None)


def is_true(conditions: list[Condition] | None, type_: str) -> bool:
    cond = find(conditions, type_)
    return cond is not None and cond.get("status") == "True"
