"""A session cut into segments on which nothing that matters for the price changes.

Breakpoints are every instant where a restriction can change its verdict or a volume its
rate: meter readings, state changes, current readings, duration and energy thresholds of
the tariff (energy thresholds interpolated between readings), local boundary times,
midnights and DST changes. Inside a segment the state, the power, the current and every
restriction are constant, so each segment has one active price component per dimension:
the first element (in tariff order) that has that dimension and whose restrictions match
(mod_tariffs: "the first Tariff Element with that Dimension in the list with matching
Tariff Restrictions will be used").

All arithmetic is exact (`Fraction`): times are seconds since the session start, energy
is kWh. Segments are a pure function of (tariff, session, zone, window), and cutting the
window at any instant cuts the segments there and nowhere else (tests/billing rely on it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from fractions import Fraction
from itertools import pairwise
from zoneinfo import ZoneInfo

from .errors import SessionInvalid
from .restrictions import Moment, calendar_breakpoints, matches, threshold_breakpoints
from .session import ChargingState, EnergyCurve, Session, current_at, energy_curve, instant, offset, state_at
from .tariff import PriceComponent, ReservationRestrictionType, Tariff, TariffDimensionType


class SegmentKind(StrEnum):
    SESSION = "SESSION"
    RESERVATION = "RESERVATION"


@dataclass(frozen=True, slots=True)
class Applied:
    """A price component in force: which element (index in the tariff) and which component."""

    element: int
    component: PriceComponent


@dataclass(frozen=True, slots=True)
class Segment:
    start: Fraction  # seconds since the session start (negative: a reservation before it)
    end: Fraction
    kind: SegmentKind
    state: ChargingState | None  # None for reservation time
    energy_kwh: Fraction
    power_kw: Fraction
    current_a: Fraction | None
    energy: Applied | None  # ENERGY component pricing this segment's energy
    time: Applied | None  # TIME component (charging, or reservation time)
    parking: Applied | None  # PARKING_TIME component
    flat: Applied | None  # the FLAT component that would apply if first charged here

    @property
    def seconds(self) -> Fraction:
        return self.end - self.start


def _first(
    tariff: Tariff,
    dimension: TariffDimensionType,
    active: list[bool],
    reservation: tuple[ReservationRestrictionType | None, ...],
) -> Applied | None:
    """The first active element pricing `dimension`, preferring the reservation kinds in
    the order given (session time: (None,); expired reservation: EXPIRES then RESERVATION)."""
    for kind in reservation:
        for index, element in enumerate(tariff.elements):
            if not active[index] or element.reservation != kind:
                continue
            for component in element.price_components:
                if component.type == dimension:
                    return Applied(index, component)
    return None


def _active(tariff: Tariff, moment: Moment) -> list[bool]:
    return [matches(e.restrictions, moment) for e in tariff.elements]


def _local(origin: datetime, a: Fraction, b: Fraction, tz: ZoneInfo) -> datetime:
    # Wall clock inside the segment: every calendar boundary is a breakpoint, so any
    # interior instant sees the same restriction verdicts as the whole half-open segment.
    probe = a + (b - a) / 2 if b - a > Fraction(2, 1_000_000) else a
    return instant(origin, probe).astimezone(tz)


def session_breakpoints(
    tariff: Tariff, session: Session, curve: EnergyCurve, end: Fraction, tz: ZoneInfo
) -> list[Fraction]:
    origin = session.started_at
    points = {Fraction(0), end}
    points.update(t for t, _ in curve.knots)
    points.update(offset(origin, c.at) for c in session.states)
    points.update(offset(origin, s.at) for s in session.samples if s.current_a is not None)
    durations, energies = threshold_breakpoints(tariff)
    points.update(durations)
    for kwh in energies:
        crossing = curve.crossing(kwh)
        if crossing is not None:
            points.add(crossing)
    points.update(calendar_breakpoints(tariff, origin, Fraction(0), end, tz))
    return sorted(p for p in points if 0 <= p <= end)


def _session_segments(tariff: Tariff, session: Session, end: Fraction, tz: ZoneInfo) -> list[Segment]:
    origin = session.started_at
    curve = energy_curve(session, end)
    changes = sorted((offset(origin, c.at), c.state) for c in session.states)
    currents = sorted((offset(origin, s.at), Fraction(s.current_a)) for s in session.samples if s.current_a is not None)
    points = session_breakpoints(tariff, session, curve, end, tz)
    if len(points) == 1:  # a session of no duration still has a start fee
        points = [points[0], points[0]]
    out: list[Segment] = []
    for a, b in pairwise(points):
        if b == a and out:
            continue
        state = state_at(session, changes, a)
        power = curve.power_kw(a)
        current = current_at(currents, a)
        moment = Moment(_local(origin, a, b, tz), a, curve.at(a), power, current)
        active = _active(tariff, moment)
        charging = state == ChargingState.CHARGING
        out.append(
            Segment(
                start=a,
                end=b,
                kind=SegmentKind.SESSION,
                state=state,
                energy_kwh=curve.at(b) - curve.at(a),
                power_kw=power,
                current_a=current,
                energy=_first(tariff, TariffDimensionType.ENERGY, active, (None,)),
                time=_first(tariff, TariffDimensionType.TIME, active, (None,)) if charging else None,
                parking=None if charging else _first(tariff, TariffDimensionType.PARKING_TIME, active, (None,)),
                flat=_first(tariff, TariffDimensionType.FLAT, active, (None,)),
            )
        )
    return out


def _reservation_segments(tariff: Tariff, session: Session, tz: ZoneInfo) -> list[Segment]:
    reservation = session.reservation
    if reservation is None:
        return []
    origin = session.started_at
    lo, hi = offset(origin, reservation.reserved_at), offset(origin, reservation.ended_at)
    kinds: tuple[ReservationRestrictionType | None, ...] = (
        (ReservationRestrictionType.RESERVATION_EXPIRES, ReservationRestrictionType.RESERVATION)
        if reservation.expired
        else (ReservationRestrictionType.RESERVATION,)
    )
    points = sorted({lo, hi} | calendar_breakpoints(tariff, origin, lo, hi, tz))
    if len(points) == 1:
        points = [lo, lo]
    out: list[Segment] = []
    for a, b in pairwise(points):
        if b == a and out:
            continue
        moment = Moment(_local(origin, a, b, tz), a - lo, Fraction(0), Fraction(0), None)
        active = _active(tariff, moment)
        out.append(
            Segment(
                start=a,
                end=b,
                kind=SegmentKind.RESERVATION,
                state=None,
                energy_kwh=Fraction(0),
                power_kw=Fraction(0),
                current_a=None,
                energy=None,
                time=_first(tariff, TariffDimensionType.TIME, active, kinds),
                parking=None,
                flat=_first(tariff, TariffDimensionType.FLAT, active, kinds),
            )
        )
    return out


def segments(
    tariff: Tariff,
    session: Session,
    tz: ZoneInfo,
    *,
    now: datetime | None = None,
    window: tuple[datetime, datetime] | None = None,
) -> list[Segment]:
    """The priced segments of `session` (up to `now` while it runs), optionally only
    those inside `window` (cut exactly at its edges; restrictions still see the whole
    session: the duration and energy since its start)."""
    end_at = session.ended_at or now
    if end_at is None:
        raise SessionInvalid("a running session is priced up to a given moment (now)")
    end = offset(session.started_at, end_at)
    if end < 0:
        raise SessionInvalid("the session ends before it starts")
    out = _reservation_segments(tariff, session, tz)
    if session.reservation is None or not session.reservation.expired:
        out += _session_segments(tariff, session, end, tz)
    if window is None:
        return out
    lo, hi = offset(session.started_at, window[0]), offset(session.started_at, window[1])
    return [clipped for s in out if (clipped := clip(s, lo, hi)) is not None]


def clip(segment: Segment, lo: Fraction, hi: Fraction) -> Segment | None:
    """The part of `segment` inside [lo, hi): volumes scale linearly (energy flows evenly
    inside a segment); a zero-length segment belongs to the window holding its instant."""
    if segment.start == segment.end:
        return segment if lo <= segment.start < hi else None
    a, b = max(segment.start, lo), min(segment.end, hi)
    if b <= a:
        return None
    share = (b - a) / segment.seconds
    return Segment(
        start=a,
        end=b,
        kind=segment.kind,
        state=segment.state,
        energy_kwh=segment.energy_kwh * share,
        power_kw=segment.power_kw,
        current_a=segment.current_a,
        energy=segment.energy,
        time=segment.time,
        parking=segment.parking,
        flat=segment.flat,
    )
