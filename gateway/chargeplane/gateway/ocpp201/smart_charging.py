"""Smart charging, OCPP 2.0.1: NotifyChargingLimit, ClearedChargingLimit and
ReportChargingProfiles in (kept as notifications); SetChargingProfile, ClearChargingProfile
and GetCompositeSchedule out; the 2.0.1 shape of a charging profile (up to three schedules)."""

from __future__ import annotations

from typing import Any

from chargeplane.domain.charging_profile import ChargingProfile, ChargingSchedule, SchedulePeriod
from chargeplane.domain.commands import ClearChargingProfile, CommandResult, GetCompositeSchedule, SetChargingProfile
from chargeplane.gateway.connection import Handler
from chargeplane.gateway.notifications import kept_as
from chargeplane.gateway.ports import NotificationLog
from chargeplane.gateway.translation import OcppCall, Translation, schedule_periods, status_result, translations
from chargeplane.gateway.wire import drop_none, to_iso


def handlers(log: NotificationLog) -> dict[str, Handler]:
    return {
        "NotifyChargingLimit": kept_as(
            log, "NotifyChargingLimit", lambda p: str(p["chargingLimit"]["chargingLimitSource"])
        ),
        "ClearedChargingLimit": kept_as(log, "ClearedChargingLimit", lambda p: str(p["chargingLimitSource"])),
        "ReportChargingProfiles": kept_as(log, "ReportChargingProfiles", lambda p: str(p["chargingLimitSource"])),
    }


def _period(p: SchedulePeriod) -> dict[str, Any]:
    return drop_none(
        {
            "startPeriod": p.start_period,
            "limit": p.limit,
            "numberPhases": p.number_phases,
            "phaseToUse": p.phase_to_use,
        }
    )


def _schedule(s: ChargingSchedule, position: int) -> dict[str, Any]:
    return drop_none(
        {
            "id": s.id if s.id is not None else position,
            "startSchedule": to_iso(s.start) if s.start else None,
            "duration": s.duration,
            "chargingRateUnit": s.rate_unit,
            "chargingSchedulePeriod": [_period(p) for p in s.periods],
            "minChargingRate": s.min_charging_rate,
        }
    )


def charging_profile(profile: ChargingProfile) -> dict[str, Any]:
    return drop_none(
        {
            "id": profile.id,
            "transactionId": profile.transaction_id,
            "stackLevel": profile.stack_level,
            "chargingProfilePurpose": profile.purpose,
            "chargingProfileKind": profile.kind,
            "recurrencyKind": profile.recurrency,
            "validFrom": to_iso(profile.valid_from) if profile.valid_from else None,
            "validTo": to_iso(profile.valid_to) if profile.valid_to else None,
            "chargingSchedule": [_schedule(s, i) for i, s in enumerate(profile.schedules, 1)],
        }
    )


def set_charging_profile(c: SetChargingProfile) -> OcppCall:
    return "SetChargingProfile", {"evseId": c.evse_id, "chargingProfile": charging_profile(c.profile)}


def clear_charging_profile(c: ClearChargingProfile) -> OcppCall:
    criteria = drop_none({"evseId": c.evse_id, "chargingProfilePurpose": c.purpose, "stackLevel": c.stack_level})
    return "ClearChargingProfile", drop_none(
        {"chargingProfileId": c.profile_id, "chargingProfileCriteria": criteria or None}
    )


def get_composite_schedule(c: GetCompositeSchedule) -> OcppCall:
    return "GetCompositeSchedule", drop_none(
        {"evseId": c.evse_id, "duration": c.duration, "chargingRateUnit": c.rate_unit}
    )


def composite_schedule(c: GetCompositeSchedule, p: dict[str, Any]) -> CommandResult:
    schedule = p.get("schedule")
    if schedule is None:
        return status_result(p)
    return status_result(
        p,
        evse_id=schedule["evseId"],
        schedule_start=schedule["scheduleStart"],
        duration=schedule["duration"],
        rate_unit=schedule["chargingRateUnit"],
        periods=schedule_periods(schedule["chargingSchedulePeriod"]),
    )


COMMANDS = translations(
    Translation(SetChargingProfile, set_charging_profile),
    Translation(ClearChargingProfile, clear_charging_profile),
    Translation(GetCompositeSchedule, get_composite_schedule, composite_schedule),
)
