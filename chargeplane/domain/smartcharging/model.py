"""The charging-profile model shared by OCPP 1.6 and 2.0.1 (version-neutral).

One structure for both versions; the version decides which values are allowed
(`rules.check_profile`). Field names and JSON form follow the operator API of
`chargeplane.domain.commands.ChargingProfile` (snake_case: `stack_level`, `schedules`,
`rate_unit`, `periods`, ...), so that command model can be derived from this one.

Purposes use the 2.0.1 names; 1.6 `ChargePointMaxProfile` is accepted as an alias of
`ChargingStationMaxProfile`. EVSE 0 means the charging station as a whole (1.6 connector 0).
Datetimes must carry a timezone; schedules are evaluated at whole seconds.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from itertools import pairwise
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

__all__ = [
    "ChargingProfile",
    "ChargingSchedule",
    "Kind",
    "ProfileRuleViolation",
    "Purpose",
    "RateUnit",
    "Recurrency",
    "SchedulePeriod",
]

INT32_MAX = 2**31 - 1


class ProfileRuleViolation(ValueError):
    """A profile (or a request about one) breaks a rule of the OCPP version it is for.

    `rule` names the rule: the spec's requirement id where it has one (``K01.FR.16``),
    else a short name of the 1.6 clause (``1.6 §3.13.2 TxProfile``). REST maps this to 4xx.
    """

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule
        self.detail = message


class Purpose(StrEnum):
    STATION_MAX = "ChargingStationMaxProfile"  # 1.6 ChargePointMaxProfile
    TX_DEFAULT = "TxDefaultProfile"
    TX = "TxProfile"
    EXTERNAL = "ChargingStationExternalConstraints"  # 2.0.1 only, set by a local EMS, never by the CSMS

    @classmethod
    def parse(cls, value: str) -> Purpose:
        return cls.STATION_MAX if value == "ChargePointMaxProfile" else cls(value)

    def name_16(self) -> str:
        return "ChargePointMaxProfile" if self is Purpose.STATION_MAX else self.value


class Kind(StrEnum):
    ABSOLUTE = "Absolute"
    RECURRING = "Recurring"
    RELATIVE = "Relative"


class Recurrency(StrEnum):
    DAILY = "Daily"
    WEEKLY = "Weekly"

    @property
    def seconds(self) -> int:
        return 86_400 if self is Recurrency.DAILY else 7 * 86_400


class RateUnit(StrEnum):
    AMPS = "A"  # current per phase
    WATTS = "W"  # total power


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.utcoffset() is None:
        raise ValueError("must carry a timezone (e.g. 2026-01-01T00:00:00Z)")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]

_FROZEN = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class SchedulePeriod(BaseModel):
    model_config = _FROZEN

    start_period: int = Field(ge=0, le=INT32_MAX)  # seconds from the schedule start
    limit: float = Field(ge=0)  # in the schedule's rate unit (A per phase, or W)
    number_phases: int | None = Field(default=None, ge=1, le=3)
    phase_to_use: int | None = Field(default=None, ge=1, le=3)  # 2.0.1 only


class ChargingSchedule(BaseModel):
    model_config = _FROZEN

    rate_unit: RateUnit
    periods: tuple[SchedulePeriod, ...] = Field(min_length=1, max_length=1024)
    id: int | None = Field(default=None, ge=0, le=INT32_MAX)  # 2.0.1 schedule id
    start: AwareDatetime | None = None  # startSchedule
    duration: int | None = Field(default=None, ge=0, le=INT32_MAX)  # seconds; None: open-ended
    min_charging_rate: float | None = Field(default=None, ge=0)

    @field_validator("periods")
    @classmethod
    def _ordered(cls, periods: tuple[SchedulePeriod, ...]) -> tuple[SchedulePeriod, ...]:
        # Both versions: the first period starts the schedule, the others follow in order
        # (1.6 §7.9 ChargingSchedulePeriod; 2.0.1 K01.FR.31 and K01.FR.35).
        if periods[0].start_period != 0:
            raise ProfileRuleViolation("K01.FR.31", "the first period must have start_period 0")
        for before, after in pairwise(periods):
            if after.start_period <= before.start_period:
                raise ProfileRuleViolation("K01.FR.35", "periods must be in strictly increasing start_period order")
        return periods


class ChargingProfile(BaseModel):
    """A charging profile as the CSMS keeps it. 1.6 takes exactly one schedule, 2.0.1 one to
    three (K01.FR.34: more than one only as an answer to ISO 15118 charging needs)."""

    model_config = _FROZEN

    id: int = Field(ge=0, le=INT32_MAX)
    stack_level: int = Field(ge=0, le=INT32_MAX)
    purpose: Purpose
    kind: Kind
    schedules: tuple[ChargingSchedule, ...] = Field(min_length=1, max_length=3)
    recurrency: Recurrency | None = None
    valid_from: AwareDatetime | None = None
    valid_to: AwareDatetime | None = None
    transaction_id: str | None = Field(default=None, min_length=1, max_length=36)

    @field_validator("purpose", mode="before")
    @classmethod
    def _purpose_alias(cls, value: Any) -> Any:
        return Purpose.parse(value) if isinstance(value, str) else value

    @field_validator("transaction_id", mode="before")
    @classmethod
    def _transaction_id(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ChargingProfile:
        if self.kind is Kind.RECURRING and self.recurrency is None:
            raise ProfileRuleViolation("recurrency", "a Recurring profile needs recurrency (Daily or Weekly)")
        if self.kind is not Kind.RECURRING and self.recurrency is not None:
            raise ProfileRuleViolation("recurrency", "recurrency is only allowed on a Recurring profile")
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            raise ProfileRuleViolation("validity", "valid_to must be after valid_from")
        if self.transaction_id is not None and self.purpose is not Purpose.TX:
            raise ProfileRuleViolation("transactionId", "only a TxProfile names a transaction")
        for schedule in self.schedules:
            if self.kind is Kind.RELATIVE and schedule.start is not None:
                raise ProfileRuleViolation("K01.FR.41", "a Relative profile's schedule has no start")
        return self

    @classmethod
    def parse(cls, data: Any) -> ChargingProfile:
        """Validate JSON-like `data`; every error is a ProfileRuleViolation naming the rule
        (or the field, for a malformed value)."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise _violation(exc) from None

    @property
    def schedule(self) -> ChargingSchedule:
        """The schedule in force: the first (an ISO 15118 EV may select another, which
        the charger then reports; until then chargers apply the first)."""
        return self.schedules[0]


def _violation(exc: ValidationError) -> ProfileRuleViolation:
    errors = exc.errors()
    for error in errors:  # a rule of ours, raised inside a validator
        found = (error.get("ctx") or {}).get("error")
        if isinstance(found, ProfileRuleViolation):
            return found
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or "profile"
    return ProfileRuleViolation(where, first["msg"])
