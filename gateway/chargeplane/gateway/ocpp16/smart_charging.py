"""Smart charging, OCPP 1.6: SetChargingProfile, ClearChargingProfile and
GetCompositeSchedule out; the 1.6 shape of a charging profile (one schedule)."""

from __future__ import annotations

from typing import Any

from chargeplane.domain.charging_profile import ChargingProfile, ChargingSchedule, SchedulePeriod
from chargeplane.domain.commands import ClearChargingProfile, CommandResult, GetCompositeSchedule, SetChargingProfile
from chargeplane.gateway.ocpp16.datatypes import cannot, transaction_id
from chargeplane.gateway.translation import OcppCall, Translation, schedule_periods, status_result, translations
from chargeplane.gateway.wire import drop_none, to_iso

EXTERNAL = "ChargingStationExternalConstraints"


def purpose(value: str) -> str:
    if value == EXTERNAL:
        raise cannot("the ChargingStationExternalConstraints purpose")
    return "ChargePointMaxProfile" if value == "ChargingStationMaxProfile" else value


def _period(p: SchedulePeriod) -> dict[str, Any]:
    if p.phase_to_use is not None:
        raise cannot("phase_to_use in a charging schedule")
    return drop_none({"startPeriod": p.start_period, "limit": p.limit, "numberPhases": p.number_phases})


def _schedule(s: ChargingSchedule) -> dict[str, Any]:
    return drop_none(
        {
            "startSchedule": to_iso(s.start) if s.start else None,
            "duration": s.duration,
            "chargingRateUnit": s.rate_unit,
            "chargingSchedulePeriod": [_period(p) for p in s.periods],
            "minChargingRate": s.min_charging_rate,
        }
    )


def charging_profile(profile: ChargingProfile) -> dict[str, Any]:
    if len(profile.schedules) != 1:
        raise cannot("a charging profile with more than one schedule")
    return drop_none(
        {
            "chargingProfileId": profile.id,
            "transactionId": transaction_id(profile.transaction_id),
            "stackLevel": profile.stack_level,
            "chargingProfilePurpose": purpose(profile.purpose),
            "chargingProfileKind": profile.kind,
            "recurrencyKind": profile.recurrency,
            "validFrom": to_iso(profile.valid_from) if profile.valid_from else None,
            "validTo": to_iso(profile.valid_to) if profile.valid_to else None,
            "chargingSchedule": _schedule(profile.schedules[0]),
        }
    )


def set_charging_profile(c: SetChargingProfile) -> OcppCall:
    return "SetChargingProfile", {"connectorId": c.evse_id, "csChargingProfiles": charging_profile(c.profile)}


def clear_charging_profile(c: ClearChargingProfile) -> OcppCall:
    return "ClearChargingProfile", drop_none(
        {
            "id": c.profile_id,
            "connectorId": c.evse_id,
            "chargingProfilePurpose": purpose(c.purpose) if c.purpose else None,
            "stackLevel": c.stack_level,
        }
    )


def get_composite_schedule(c: GetCompositeSchedule) -> OcppCall:
    return "GetCompositeSchedule", drop_none(
        {"connectorId": c.evse_id, "duration": c.duration, "chargingRateUnit": c.rate_unit}
    )


def composite_schedule(c: GetCompositeSchedule, p: dict[str, Any]) -> CommandResult:
    schedule = p.get("chargingSchedule")
    if schedule is None:
        return status_result(p)
    return status_result(
        p,
        evse_id=p.get("connectorId", c.evse_id),
        schedule_start=p.get("scheduleStart") or schedule.get("startSchedule"),
        duration=schedule.get("duration"),
        rate_unit=schedule["chargingRateUnit"],
        periods=schedule_periods(schedule["chargingSchedulePeriod"]),
        min_charging_rate=schedule.get("minChargingRate"),
    )


COMMANDS = translations(
    Translation(SetChargingProfile, set_charging_profile),
    Translation(ClearChargingProfile, clear_charging_profile),
    Translation(GetCompositeSchedule, get_composite_schedule, composite_schedule),
)
