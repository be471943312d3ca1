"""Validation of a SetChargingProfile against the rules of the charger's OCPP version.

`check_profile` raises `ProfileRuleViolation` naming the rule (a 2.0.1 requirement id such
as ``K01.FR.16``, or the 1.6 clause); `replaced_profiles` says which installed profiles the
new one replaces on the charger, so the CSMS's store stays what the charger holds.

1.6 (§3.13, §5.16, §7.8-7.9): one schedule; ChargePointMaxProfile only on connector 0; a
TxProfile only on a connector > 0 with a transaction in progress (and its integer id when
it names one); a profile with the same id, or the same stack level and purpose on the
same connector, replaces the existing one; ChargeProfileMaxStackLevel,
ChargingScheduleMaxPeriods and ChargingScheduleAllowedChargingRateUnit bound the rest.
2.0.1 (K01): the numbered requirements below; a different profile with the same stack
level, purpose and EVSE and an overlapping validity is refused, not replaced (K01.FR.06),
as is one with the same stack level and transaction for TxProfiles (K01.FR.39).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from chargeplane.domain.chargepoints import Protocol

from .composite import InstalledProfile
from .model import ChargingProfile, Kind, ProfileRuleViolation, Purpose, RateUnit

__all__ = ["StationContext", "check_profile", "replaced_profiles"]


@dataclass(frozen=True, slots=True)
class StationContext:
    """What the CSMS knows about the charger a profile is for."""

    protocol: Protocol
    now: datetime
    installed: Sequence[InstalledProfile] = ()
    transactions: Mapping[int, str] = field(default_factory=dict)  # evse id -> active transaction id
    evse_ids: frozenset[int] | None = None  # None: not known (not checked)
    rate_units: frozenset[RateUnit] | None = None  # allowed chargingRateUnits; None: both
    max_periods: int | None = None  # ChargingScheduleMaxPeriods / PeriodsPerSchedule
    max_stack_level: int | None = None  # ChargeProfileMaxStackLevel / ProfileStackLevel
    phase_switching: bool = False  # 2.0.1 ACPhaseSwitchingSupported
    charging_needs: frozenset[str] = frozenset()  # transactions with NotifyEVChargingNeeds


def _overlap(a: ChargingProfile, b: ChargingProfile) -> bool:
    a_from = a.valid_from.timestamp() if a.valid_from else float("-inf")
    a_to = a.valid_to.timestamp() if a.valid_to else float("inf")
    b_from = b.valid_from.timestamp() if b.valid_from else float("-inf")
    b_to = b.valid_to.timestamp() if b.valid_to else float("inf")
    return a_from < b_to and b_from < a_to


def _common(evse_id: int, profile: ChargingProfile, ctx: StationContext, v16: bool) -> None:
    if evse_id < 0:
        raise ProfileRuleViolation("evseId", "must be 0 (the whole station) or an EVSE id")
    if ctx.evse_ids is not None and evse_id != 0 and evse_id not in ctx.evse_ids:
        raise ProfileRuleViolation(
            "1.6 §5.16 connectorId" if v16 else "K01.FR.28", f"the charger has no EVSE {evse_id}"
        )
    if profile.valid_to is not None and profile.valid_to <= ctx.now:
        raise ProfileRuleViolation("validity", "valid_to is in the past: the profile would never apply")
    if ctx.max_stack_level is not None and profile.stack_level > ctx.max_stack_level:
        rule = "1.6 ChargeProfileMaxStackLevel" if v16 else "SmartChargingCtrlr.ProfileStackLevel"
        raise ProfileRuleViolation(rule, f"stack_level must be at most {ctx.max_stack_level}")
    for schedule in profile.schedules:
        if ctx.rate_units is not None and schedule.rate_unit not in ctx.rate_units:
            rule = "1.6 ChargingScheduleAllowedChargingRateUnit" if v16 else "K01.FR.26"
            allowed = ", ".join(sorted(ctx.rate_units))
            raise ProfileRuleViolation(rule, f"the charger accepts only rate unit {allowed}")
        if ctx.max_periods is not None and len(schedule.periods) > ctx.max_periods:
            rule = "1.6 ChargingScheduleMaxPeriods" if v16 else "SmartChargingCtrlr.PeriodsPerSchedule"
            raise ProfileRuleViolation(rule, f"at most {ctx.max_periods} periods per schedule")
        needs_start = profile.kind is Kind.RECURRING or (profile.kind is Kind.ABSOLUTE and not v16)
        if needs_start and schedule.start is None:
            rule = "1.6 §7.9 startSchedule" if v16 else "K01.FR.40"
            raise ProfileRuleViolation(rule, f"an {profile.kind.value} profile's schedule needs a start")
    if profile.purpose is Purpose.TX:
        rule = "1.6 §3.13.2 TxProfile" if v16 else "K01.FR.16"
        if evse_id == 0:
            raise ProfileRuleViolation(rule, "a TxProfile is set on an EVSE (> 0), never on the whole station")
        active = ctx.transactions.get(evse_id)
        if not v16 and profile.transaction_id is None:
            raise ProfileRuleViolation("K01.FR.03", "a TxProfile names its transaction (transaction_id)")
        if active is None:
            rule = "1.6 §5.16.3 TxProfile" if v16 else "K01.FR.09"
            raise ProfileRuleViolation(rule, f"no transaction is in progress on EVSE {evse_id}")
        if profile.transaction_id is not None and profile.transaction_id != active:
            rule = "1.6 §5.16.3 transactionId" if v16 else "K01.FR.33"
            raise ProfileRuleViolation(rule, f"transaction {profile.transaction_id} is not the one on EVSE {evse_id}")


def _check_16(evse_id: int, profile: ChargingProfile, ctx: StationContext) -> None:
    if profile.purpose is Purpose.EXTERNAL:
        raise ProfileRuleViolation("1.6 §7.10 ChargingProfilePurposeType", "1.6 has no external-constraints purpose")
    if len(profile.schedules) != 1:
        raise ProfileRuleViolation("1.6 §7.8 chargingSchedule", "a 1.6 profile has exactly one schedule")
    if profile.purpose is Purpose.STATION_MAX and evse_id != 0:
        raise ProfileRuleViolation("1.6 §3.13.1 ChargePointMaxProfile", "only on connector 0")
    if profile.transaction_id is not None and not profile.transaction_id.lstrip("-").isdigit():
        raise ProfileRuleViolation("1.6 §7.8 transactionId", "a 1.6 transaction id is an integer")
    for period in profile.schedule.periods:
        if period.phase_to_use is not None:
            raise ProfileRuleViolation("1.6 §7.9 ChargingSchedulePeriod", "1.6 has no phase_to_use")
        if abs(period.limit * 10 - round(period.limit * 10)) > 1e-6:
            raise ProfileRuleViolation("1.6 §7.9 limit", "a 1.6 limit is a multiple of 0.1")
    _common(evse_id, profile, ctx, v16=True)


def _check_201(evse_id: int, profile: ChargingProfile, ctx: StationContext) -> None:
    if profile.purpose is Purpose.EXTERNAL:
        raise ProfileRuleViolation("K01.FR.22", "only an external system sets ChargingStationExternalConstraints")
    if profile.purpose is Purpose.STATION_MAX:
        if profile.kind is Kind.RELATIVE:
            raise ProfileRuleViolation("K01.FR.38", "a ChargingStationMaxProfile is not Relative")
        if evse_id != 0:
            raise ProfileRuleViolation(
                "SetChargingProfileRequest.evseId", "a ChargingStationMaxProfile is set on EVSE 0"
            )
    if len(profile.schedules) > 1 and (
        profile.purpose is not Purpose.TX or profile.transaction_id not in ctx.charging_needs
    ):
        raise ProfileRuleViolation(
            "K01.FR.34", "more than one schedule only in a TxProfile answering the EV's charging needs"
        )
    ids = [s.id for s in profile.schedules if s.id is not None]
    if len(ids) != len(set(ids)):
        raise ProfileRuleViolation("ChargingScheduleType.id", "schedule ids within a profile are unique")
    for schedule in profile.schedules:
        for period in schedule.periods:
            if period.phase_to_use is not None:
                if period.number_phases != 1:
                    raise ProfileRuleViolation("K01.FR.19", "phase_to_use needs number_phases = 1")
                if not ctx.phase_switching:
                    raise ProfileRuleViolation("K01.FR.20", "the charger does not support AC phase switching")
    _common(evse_id, profile, ctx, v16=False)
    for other in ctx.installed:
        old = other.profile
        if old.id == profile.id or old.purpose is not profile.purpose or old.stack_level != profile.stack_level:
            continue
        if profile.purpose is Purpose.TX:
            if old.transaction_id == profile.transaction_id:
                raise ProfileRuleViolation(
                    "K01.FR.39",
                    f"profile {old.id} already has stack level {old.stack_level} for transaction {old.transaction_id}",
                )
        elif other.evse_id == evse_id and _overlap(old, profile):
            raise ProfileRuleViolation(
                "K01.FR.06",
                f"profile {old.id} already has stack level {old.stack_level} and purpose {old.purpose.value} "
                f"on EVSE {evse_id} for an overlapping validity period",
            )


def check_profile(evse_id: int, profile: ChargingProfile, ctx: StationContext) -> None:
    """Raise ProfileRuleViolation when the charger's version does not allow `profile` on `evse_id`."""
    if ctx.protocol is Protocol.OCPP16:
        _check_16(evse_id, profile, ctx)
    else:
        _check_201(evse_id, profile, ctx)


def replaced_profiles(evse_id: int, profile: ChargingProfile, ctx: StationContext) -> list[InstalledProfile]:
    """The installed profiles the charger drops when it accepts `profile`: the same id
    (both versions, K01.FR.05), and in 1.6 the same stack level and purpose on the same
    connector (for a TxProfile: of the same transaction)."""
    out = []
    for other in ctx.installed:
        old = other.profile
        if old.id == profile.id or (
            ctx.protocol is Protocol.OCPP16
            and other.evse_id == evse_id
            and old.purpose is profile.purpose
            and old.stack_level == profile.stack_level
            and (profile.purpose is not Purpose.TX or old.transaction_id in (None, profile.transaction_id))
        ):
            out.append(other)
    return out
