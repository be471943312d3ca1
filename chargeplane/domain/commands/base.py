"""What every CSMS-initiated operation shares: the model base, the neutral result, and the
error for operations a charger's OCPP version cannot express."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from chargeplane.domain.fields import InputModel


class Command(InputModel):
    """A version-neutral operation. `name` is its URL-friendly name (``reset``); the
    gateway's version packages translate it for a charger and interpret the answer."""

    name: ClassVar[str]


class UnsupportedCommand(ValueError):
    """The operation (or one of its parameters) cannot be expressed in the charger's
    OCPP version. The message says what and why."""


@dataclass(frozen=True, slots=True)
class CommandResult:
    """The charger's answer, version-neutral: `status` is the charger's status word
    (for answers without one, "Accepted"), `details` the rest, in snake_case."""

    status: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "details": self.details}
