"""Between the gRPC messages, the stored JSON and the domain model."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from chargeplane.domain.smartcharging import ChargingProfile, CompositeSchedule
from chargeplane.domain.smartcharging.planner import LimitStep, LimitUnit, PeakShaving, PeakWindow, Site, Strategy
from chargeplane.pb.smartcharging.v1 import smartcharging_pb2 as pb
from chargeplane.rpc.errors import InvalidArgument


def ts(value: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(value.astimezone(UTC))
    return out


def from_ts(value: Timestamp) -> datetime | None:
    if not value.seconds and not value.nanos:
        return None
    return value.ToDatetime(tzinfo=UTC)


def profile_from_pb(msg: pb.ChargingProfile) -> ChargingProfile:
    """A profile message as the domain model (raises ProfileRuleViolation)."""
    schedules = []
    for s in msg.schedules:
        periods = []
        for p in s.periods:
            period: dict[str, Any] = {"start_period": p.start_period, "limit": p.limit}
            if p.HasField("number_phases"):
                period["number_phases"] = p.number_phases
            if p.HasField("phase_to_use"):
                period["phase_to_use"] = p.phase_to_use
            periods.append(period)
        schedule: dict[str, Any] = {"rate_unit": s.rate_unit, "periods": periods}
        if s.HasField("id"):
            schedule["id"] = s.id
        if s.HasField("start"):
            schedule["start"] = from_ts(s.start)
        if s.HasField("duration"):
            schedule["duration"] = s.duration
        if s.HasField("min_charging_rate"):
            schedule["min_charging_rate"] = s.min_charging_rate
        schedules.append(schedule)
    data: dict[str, Any] = {
        "id": msg.id,
        "stack_level": msg.stack_level,
        "purpose": msg.purpose,
        "kind": msg.kind,
        "schedules": schedules,
    }
    if msg.recurrency:
        data["recurrency"] = msg.recurrency
    if msg.HasField("valid_from"):
        data["valid_from"] = from_ts(msg.valid_from)
    if msg.HasField("valid_to"):
        data["valid_to"] = from_ts(msg.valid_to)
    if msg.transaction_id:
        data["transaction_id"] = msg.transaction_id
    return ChargingProfile.parse(data)


def profile_to_pb(profile: ChargingProfile) -> pb.ChargingProfile:
    out = pb.ChargingProfile(
        id=profile.id,
        stack_level=profile.stack_level,
        purpose=profile.purpose.value,
        kind=profile.kind.value,
        recurrency=profile.recurrency.value if profile.recurrency else "",
        transaction_id=profile.transaction_id or "",
    )
    if profile.valid_from:
        out.valid_from.CopyFrom(ts(profile.valid_from))
    if profile.valid_to:
        out.valid_to.CopyFrom(ts(profile.valid_to))
    for s in profile.schedules:
        sched = out.schedules.add(rate_unit=s.rate_unit.value)
        if s.id is not None:
            sched.id = s.id
        if s.start is not None:
            sched.start.CopyFrom(ts(s.start))
        if s.duration is not None:
            sched.duration = s.duration
        if s.min_charging_rate is not None:
            sched.min_charging_rate = s.min_charging_rate
        for p in s.periods:
            period = sched.periods.add(start_period=p.start_period, limit=p.limit)
            if p.number_phases is not None:
                period.number_phases = p.number_phases
            if p.phase_to_use is not None:
                period.phase_to_use = p.phase_to_use
    return out


def composite_to_pb(charge_point_id: str, schedule: CompositeSchedule) -> pb.GetCompositeScheduleResponse:
    out = pb.GetCompositeScheduleResponse(
        charge_point_id=charge_point_id,
        evse_id=schedule.evse_id,
        duration=schedule.duration,
        rate_unit=schedule.rate_unit.value,
    )
    out.schedule_start.CopyFrom(ts(schedule.start))
    for p in schedule.periods:
        period = out.periods.add(start_period=p.start)
        if p.limit is not None:
            period.limit = p.limit
        if p.number_phases is not None:
            period.number_phases = p.number_phases
    return out


# -- sites ------------------------------------------------------------------------------


def _hhmm(value: str, what: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise InvalidArgument(f"{what}: must be HH:MM") from None


def site_from_pb(msg: pb.Site) -> dict[str, Any]:
    """Validated site settings as stored JSON."""
    if not msg.id or len(msg.id) > 64:
        raise InvalidArgument("site.id must be 1 to 64 characters")
    data: dict[str, Any] = {
        "id": msg.id,
        "grid_limit": msg.grid_limit,
        "grid_unit": msg.grid_unit or "A",
        "phases": msg.phases or 3,
        "voltage": msg.voltage or 230.0,
        "strategy": msg.strategy or "static",
        "safety_margin": msg.safety_margin,
        "peak_target_kw": msg.peak_target_kw,
        "peak_windows": [
            {"weekdays": sorted(set(w.weekdays)), "start": w.start, "end": w.end} for w in msg.peak_windows
        ],
        "month_peak_kw": msg.month_peak_kw,
        "default_limit_a": msg.default_limit_a,
        "static_building_a": msg.static_building_a,
    }
    site_from_json(data, ())  # validates
    return data


def site_to_pb(data: dict[str, Any]) -> pb.Site:
    out = pb.Site(
        id=data["id"],
        grid_limit=data["grid_limit"],
        grid_unit=data["grid_unit"],
        phases=data["phases"],
        voltage=data["voltage"],
        strategy=data["strategy"],
        safety_margin=data["safety_margin"],
        peak_target_kw=data["peak_target_kw"],
        month_peak_kw=data["month_peak_kw"],
        default_limit_a=data["default_limit_a"],
        static_building_a=data["static_building_a"],
    )
    for w in data["peak_windows"]:
        out.peak_windows.add(weekdays=w["weekdays"], start=w["start"], end=w["end"])
    return out


def site_from_json(data: dict[str, Any], external: tuple[LimitStep, ...]) -> Site:
    """The planner's view of stored settings plus the merged external limit steps."""
    try:
        unit = LimitUnit(data["grid_unit"])
        strategy = Strategy(data["strategy"])
    except ValueError as exc:
        raise InvalidArgument(f"site: {exc}") from None
    for w in data["peak_windows"]:
        if not w["weekdays"] or any(not 0 <= d <= 6 for d in w["weekdays"]):
            raise InvalidArgument("peak_windows.weekdays: 0 (Monday) to 6 (Sunday), at least one")
    windows = tuple(
        PeakWindow(
            frozenset(w["weekdays"]), _hhmm(w["start"], "peak_windows.start"), _hhmm(w["end"], "peak_windows.end")
        )
        for w in data["peak_windows"]
    )
    peak = None
    if data["peak_target_kw"] > 0:
        peak = PeakShaving(data["peak_target_kw"], windows, data["month_peak_kw"])
    if data["default_limit_a"] < 0 or data["static_building_a"] < 0:
        raise InvalidArgument("default_limit_a and static_building_a must not be negative")
    try:
        return Site(
            data["id"],
            data["grid_limit"],
            unit,
            phases=data["phases"],
            voltage=data["voltage"],
            strategy=strategy,
            safety_margin=data["safety_margin"],
            peak_shaving=peak,
            external=external,
            default_limit_a=data["default_limit_a"],
            static_building_a=data["static_building_a"],
            measurement_max_age=timedelta(seconds=120),
        )
    except ValueError as exc:
        raise InvalidArgument(f"site: {exc}") from None


def steps_from_pb(steps: Any) -> list[dict[str, Any]]:
    out = []
    for s in steps:
        start = from_ts(s.start)
        if start is None:
            raise InvalidArgument("steps.start is required")
        unit = s.unit or "kW"
        if unit not in ("A", "kW"):
            raise InvalidArgument("steps.unit must be A or kW")
        if s.HasField("limit") and s.limit < 0:
            raise InvalidArgument("steps.limit must not be negative")
        out.append({"start": start.isoformat(), "limit": s.limit if s.HasField("limit") else None, "unit": unit})
    out.sort(key=lambda s: str(s["start"]))
    return out


def steps_to_domain(steps: list[dict[str, Any]], source: str = "") -> list[LimitStep]:
    return [LimitStep(datetime.fromisoformat(s["start"]), s["limit"], LimitUnit(s["unit"]), source) for s in steps]
