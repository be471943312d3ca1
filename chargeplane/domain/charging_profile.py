"""The charging profile, version-neutral: what both OCPP versions' profiles share.

A profile limits charging over time: `schedules` of `periods` (offsets in seconds from the
schedule start, a limit in A or W each). OCPP 1.6 takes exactly one schedule per profile;
2.0.1 up to three. Purposes use the 2.0.1 names (the 1.6 name ChargePointMaxProfile is
accepted as ChargingStationMaxProfile). The gateway translates a profile for each version
(gateway/ocpp16/smart_charging.py, gateway/ocpp201/smart_charging.py).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from chargeplane.domain.fields import (
    InputModel,
    Int32,
    Items,
    Moment,
    Number,
    Phase,
    TransactionId,
    invalid,
    one_of,
)

__all__ = ["PURPOSES", "RATE_UNITS", "ChargingProfile", "ChargingSchedule", "SchedulePeriod"]

PURPOSES = ("ChargingStationMaxProfile", "TxDefaultProfile", "TxProfile", "ChargingStationExternalConstraints")
Purpose = Annotated[str, one_of(*PURPOSES, ChargePointMaxProfile="ChargingStationMaxProfile")]
RATE_UNITS = ("A", "W")
RateUnit = Annotated[str, one_of(*RATE_UNITS)]


class SchedulePeriod(InputModel):
    start_period: Int32 = Field(description="Seconds from the schedule's start.")
    limit: Number = Field(description="In the schedule's rate unit (A or W).")
    number_phases: Phase | None = None
    phase_to_use: Phase | None = Field(default=None, description="OCPP 2.0.1 only.")


class ChargingSchedule(InputModel):
    rate_unit: RateUnit
    periods: Annotated[tuple[SchedulePeriod, ...], Items(1024)]
    id: Int32 | None = Field(default=None, description="2.0.1 schedule id; defaults to its position (1, 2, 3).")
    start: Moment | None = None
    duration: Int32 | None = Field(default=None, description="Seconds.")
    min_charging_rate: Number | None = None

    @field_validator("periods")
    @classmethod
    def _some_periods(cls, periods: tuple[SchedulePeriod, ...]) -> tuple[SchedulePeriod, ...]:
        if not periods:
            raise invalid("at least one period is required")
        return periods


class ChargingProfile(InputModel):
    """The structure both versions share. 1.6 takes exactly one schedule; 2.0.1 up to three."""

    id: Int32
    stack_level: Int32
    purpose: Purpose
    kind: Annotated[str, one_of("Absolute", "Recurring", "Relative")]
    schedules: Annotated[tuple[ChargingSchedule, ...], Items(3)]
    recurrency: Annotated[str, one_of("Daily", "Weekly")] | None = None
    valid_from: Moment | None = None
    valid_to: Moment | None = None
    transaction_id: TransactionId | None = Field(default=None, description="OCPP 1.6: must be an integer.")

    @field_validator("schedules")
    @classmethod
    def _some_schedules(cls, schedules: tuple[ChargingSchedule, ...]) -> tuple[ChargingSchedule, ...]:
        if not schedules:
            raise invalid("one to three schedules are required")
        return schedules

    @model_validator(mode="after")
    def _recurring_needs_recurrency(self) -> ChargingProfile:
        if self.kind == "Recurring" and self.recurrency is None:
            raise invalid("a Recurring profile needs recurrency (Daily or Weekly)")
        return self
