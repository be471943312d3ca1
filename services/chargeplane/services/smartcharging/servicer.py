"""The SmartChargingService gRPC servicer."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from chargeplane.domain.chargepoints import Protocol
from chargeplane.domain.smartcharging import ProfileRuleViolation, Purpose, RateUnit
from chargeplane.pb.smartcharging.v1 import smartcharging_pb2 as pb
from chargeplane.pb.smartcharging.v1 import smartcharging_pb2_grpc as pb_grpc
from chargeplane.rpc.errors import InvalidArgument, NotFound, translate_errors

from .convert import (
    composite_to_pb,
    from_ts,
    profile_from_pb,
    profile_to_pb,
    site_from_pb,
    site_to_pb,
    steps_from_pb,
    ts,
)
from .engine import CHARGER_LIMIT_ID_BASE, Engine
from .sender import ClearCriteria
from .state import EvseSpec
from .store import ActiveProfile, PushRow

MAX_ID = 48
_Req = TypeVar("_Req")
_Resp = TypeVar("_Resp")


def _rules(
    handler: Callable[[Any, _Req, Any], Awaitable[_Resp]],
) -> Callable[[Any, _Req, Any], Awaitable[_Resp]]:
    """A profile rule violation is a bad request whose message names the rule."""

    @functools.wraps(handler)
    async def rpc(self: Any, request: _Req, context: Any) -> _Resp:
        try:
            return await handler(self, request, context)
        except ProfileRuleViolation as exc:
            raise InvalidArgument(str(exc)) from None

    return rpc


def _cp(value: str) -> str:
    if not value or len(value) > MAX_ID or ":" in value:
        raise InvalidArgument("charge_point_id must be 1 to 48 characters without ':'")
    return value


def _push_pb(row: PushRow) -> pb.Push:
    out = pb.Push(
        id=row.id,
        charge_point_id=row.charge_point_id,
        evse_id=row.evse_id,
        action=row.action,
        profile_id=row.profile_id or 0,
        status=row.status,
        detail=row.detail or "",
        source=row.source,
    )
    out.requested_at.CopyFrom(ts(row.requested_at))
    if row.answered_at:
        out.answered_at.CopyFrom(ts(row.answered_at))
    return out


def _installed_pb(a: ActiveProfile) -> pb.InstalledProfile:
    out = pb.InstalledProfile(
        charge_point_id=a.charge_point_id,
        evse_id=a.evse_id,
        profile=profile_to_pb(a.profile),
        source=a.source,
        cleared_reason=a.cleared_reason or "",
    )
    out.installed_at.CopyFrom(ts(a.installed_at))
    if a.cleared_at:
        out.cleared_at.CopyFrom(ts(a.cleared_at))
    return out


class SmartChargingServicer(pb_grpc.SmartChargingServiceServicer):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @translate_errors
    @_rules
    async def SetChargingProfile(
        self, request: pb.SetChargingProfileRequest, context: Any
    ) -> pb.SetChargingProfileResponse:
        if request.evse_id < 0:
            raise InvalidArgument("evse_id must not be negative")
        profile = profile_from_pb(request.profile)
        row, installed = await self.engine.set_profile(_cp(request.charge_point_id), request.evse_id, profile)
        return pb.SetChargingProfileResponse(push=_push_pb(row), installed=installed)

    @translate_errors
    @_rules
    async def ClearChargingProfiles(
        self, request: pb.ClearChargingProfilesRequest, context: Any
    ) -> pb.ClearChargingProfilesResponse:
        try:
            purpose = Purpose.parse(request.purpose) if request.purpose else None
        except ValueError:
            raise InvalidArgument(f"purpose: unknown {request.purpose!r}") from None
        criteria = ClearCriteria(
            request.profile_id if request.HasField("profile_id") else None,
            request.evse_id if request.HasField("evse_id") else None,
            purpose,
            request.stack_level if request.HasField("stack_level") else None,
        )
        row, cleared = await self.engine.clear_profiles(_cp(request.charge_point_id), criteria)
        return pb.ClearChargingProfilesResponse(push=_push_pb(row), cleared_profile_ids=cleared)

    @translate_errors
    async def ListChargingProfiles(
        self, request: pb.ListChargingProfilesRequest, context: Any
    ) -> pb.ListChargingProfilesResponse:
        cp = _cp(request.charge_point_id)
        store = self.engine.store
        rows = await store.history(cp) if request.history else await store.active_from_cache(cp)
        if not request.history and not rows and self.engine.state.installed.get(cp):
            rows = [a for a in await store.load_active() if a.charge_point_id == cp]  # cache lost: rebuilt
        return pb.ListChargingProfilesResponse(profiles=[_installed_pb(a) for a in rows])

    @translate_errors
    async def GetCompositeSchedule(
        self, request: pb.GetCompositeScheduleRequest, context: Any
    ) -> pb.GetCompositeScheduleResponse:
        try:
            unit = RateUnit(request.rate_unit or "A")
        except ValueError:
            raise InvalidArgument("rate_unit must be A or W") from None
        if request.evse_id < 0:
            raise InvalidArgument("evse_id must not be negative")
        cp = _cp(request.charge_point_id)
        schedule = self.engine.composite(cp, request.evse_id, from_ts(request.start), request.duration, unit)
        return composite_to_pb(cp, schedule)

    @translate_errors
    async def ListPushes(self, request: pb.ListPushesRequest, context: Any) -> pb.ListPushesResponse:
        limit = min(request.limit or 100, 1000)
        rows = await self.engine.store.pushes(_cp(request.charge_point_id), limit)
        return pb.ListPushesResponse(pushes=[_push_pb(r) for r in rows])

    @translate_errors
    async def PutSite(self, request: pb.PutSiteRequest, context: Any) -> pb.PutSiteResponse:
        data = site_from_pb(request.site)
        await self.engine.put_site(data)
        return pb.PutSiteResponse(site=site_to_pb(data))

    @translate_errors
    async def GetSite(self, request: pb.GetSiteRequest, context: Any) -> pb.GetSiteResponse:
        return pb.GetSiteResponse(site=site_to_pb(self.engine.site(request.id)))

    @translate_errors
    async def SetExternalLimits(
        self, request: pb.SetExternalLimitsRequest, context: Any
    ) -> pb.SetExternalLimitsResponse:
        if not request.source or len(request.source) > 128:
            raise InvalidArgument("source must be 1 to 128 characters")
        await self.engine.set_external(request.site_id, request.source, steps_from_pb(request.steps))
        return pb.SetExternalLimitsResponse()

    @translate_errors
    async def GetExternalLimits(
        self, request: pb.GetExternalLimitsRequest, context: Any
    ) -> pb.GetExternalLimitsResponse:
        self.engine.site(request.site_id)
        out = pb.GetExternalLimitsResponse()
        for source, steps in sorted(self.engine.state.external.get(request.site_id, {}).items()):
            item = out.sources.add(source=source)
            for s in steps:
                from datetime import datetime

                step = item.steps.add(unit=s["unit"])
                step.start.CopyFrom(ts(datetime.fromisoformat(s["start"])))
                if s["limit"] is not None:
                    step.limit = s["limit"]
        return out

    @translate_errors
    async def ReportSiteLoad(self, request: pb.ReportSiteLoadRequest, context: Any) -> pb.ReportSiteLoadResponse:
        at = from_ts(request.at) or self.engine.clock()
        amps = list(request.amps)
        if len(amps) not in (1, 3) or any(a < 0 for a in amps):
            raise InvalidArgument("amps: one value (1-phase site) or three (L1, L2, L3), not negative")
        load = (amps[0], amps[0], amps[0]) if len(amps) == 1 else (amps[0], amps[1], amps[2])
        self.engine.report_load(request.site_id, at, load)
        return pb.ReportSiteLoadResponse()

    @translate_errors
    async def GetSitePlan(self, request: pb.GetSitePlanRequest, context: Any) -> pb.GetSitePlanResponse:
        self.engine.site(request.site_id)
        loop = self.engine.loops.get(request.site_id)
        out = pb.GetSitePlanResponse()
        if loop is None:
            return out
        snap = loop.preview()  # the site as it is now (in-flight pushes counted), not the last loop run
        out.planned_at.CopyFrom(ts(snap.planned_at))
        now_limits = snap.plan.segments[0].limits if snap.plan.segments else {}
        for e in snap.evses:
            cp, evse_id = e.key.rsplit("/", 1)
            out.evses.add(
                charge_point_id=cp,
                evse_id=int(evse_id),
                planned_a=now_limits.get(e.key, e.fallback_a),
                reserved_a=e.reserved_at(snap.planned_at),
                online=e.online,
                charging=e.session is not None,
            )
        out.reserved_a.extend(snap.reserved_a[p] for p in (1, 2, 3))
        out.limit_a.extend(-1.0 if snap.limit_a.get(p) is None else float(snap.limit_a[p] or 0.0) for p in (1, 2, 3))
        out.headroom_a = snap.headroom_a if snap.headroom_a != float("inf") else 0.0
        out.overcommitted = snap.plan.overcommitted
        return out

    @translate_errors
    async def UpsertCharger(self, request: pb.UpsertChargerRequest, context: Any) -> pb.UpsertChargerResponse:
        try:
            protocol = Protocol(request.protocol)
        except ValueError:
            raise InvalidArgument("protocol must be ocpp1.6 or ocpp2.0.1") from None
        evses = []
        for e in request.evses:
            if (
                e.evse_id <= 0
                or not e.phases
                or any(p not in (1, 2, 3) for p in e.phases)
                or len(set(e.phases)) != len(e.phases)
            ):
                raise InvalidArgument("evses: evse_id > 0, phases a list of distinct site phases 1-3")
            if e.max_a <= 0 or e.min_a < 0:
                raise InvalidArgument("evses: max_a must be positive, min_a not negative")
            evses.append(EvseSpec(e.evse_id, tuple(e.phases), e.max_a, e.min_a or 6.0))
        await self.engine.upsert_charger(_cp(request.charge_point_id), request.site_id or None, protocol, evses)
        return pb.UpsertChargerResponse()

    @translate_errors
    async def SetChargerOnline(self, request: pb.SetChargerOnlineRequest, context: Any) -> pb.SetChargerOnlineResponse:
        await self.engine.set_online(_cp(request.charge_point_id), request.online)
        return pb.SetChargerOnlineResponse()

    @translate_errors
    async def ReportSession(self, request: pb.ReportSessionRequest, context: Any) -> pb.ReportSessionResponse:
        if request.evse_id <= 0 or not request.transaction_id:
            raise InvalidArgument("evse_id (> 0) and transaction_id are required")
        needs: dict[str, Any] = {}
        if request.event == "started" or request.priority:
            needs["priority"] = request.priority
        departure = from_ts(request.departure)
        if departure is not None:
            needs["departure"] = departure.isoformat()
        for name in ("energy_need_wh", "delivered_wh", "soc", "ev_max_a", "ev_phases"):
            if request.HasField(name):
                needs[name] = getattr(request, name)
        if "ev_phases" in needs and needs["ev_phases"] not in (1, 2, 3):
            raise InvalidArgument("ev_phases must be 1 to 3")
        at = from_ts(request.at) or self.engine.clock()
        await self.engine.report_session(
            _cp(request.charge_point_id), request.evse_id, request.transaction_id, request.event, at, needs
        )
        return pb.ReportSessionResponse()

    @translate_errors
    @_rules
    async def ReportChargingLimit(
        self, request: pb.ReportChargingLimitRequest, context: Any
    ) -> pb.ReportChargingLimitResponse:
        if request.evse_id < 0 or not request.schedules:
            raise InvalidArgument("evse_id (>= 0) and at least one schedule are required")
        # Kept as the charger holds it: an Absolute external-constraints profile (a schedule
        # without a start runs from the moment it is reported).
        holder = pb.ChargingProfile(
            id=CHARGER_LIMIT_ID_BASE + request.evse_id,
            stack_level=0,
            purpose="ChargingStationExternalConstraints",
            kind="Absolute",
        )
        holder.schedules.extend(request.schedules)
        profile = profile_from_pb(holder)
        await self.engine.report_charging_limit(_cp(request.charge_point_id), request.evse_id, profile)
        return pb.ReportChargingLimitResponse()

    @translate_errors
    async def ClearChargingLimit(
        self, request: pb.ClearChargingLimitRequest, context: Any
    ) -> pb.ClearChargingLimitResponse:
        evse = request.evse_id if request.HasField("evse_id") else None
        await self.engine.clear_charging_limit(_cp(request.charge_point_id), evse)
        return pb.ClearChargingLimitResponse()


_ = NotFound
