"""Billing errors that name what is wrong, so every interface can say it precisely."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One invalid field: its path in the submitted object and why."""

    path: str  # e.g. "elements[0].price_components[1].step_size"
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class TariffInvalid(ValueError):
    """The submitted tariff is not a valid OCPI 2.2.1 Tariff; `problems` lists every field."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems) or "invalid tariff")


class SessionInvalid(ValueError):
    """The session data cannot be priced (e.g. it ends before it starts)."""
