"""Composite schedules against the per-second oracle, for profiles of both OCPP versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chargeplane.domain.chargepoints import Protocol
from chargeplane.domain.smartcharging import (
    ActiveTransaction,
    ChargingProfile,
    InstalledProfile,
    RateUnit,
    composite_schedule,
)

from .oracle import oracle

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday
VOLTAGE = 230.0


@st.composite
def periods(draw: st.DrawFn, v16: bool) -> list[dict[str, object]]:
    starts = sorted(draw(st.sets(st.integers(1, 900), max_size=4)))
    out = []
    for start in [0, *starts]:
        phases = draw(st.sampled_from([None, 1, 3]))
        period: dict[str, object] = {"start_period": start, "limit": draw(st.integers(0, 640)) / 10}
        if phases is not None:
            period["number_phases"] = phases
        out.append(period)
    return out


@st.composite
def profiles(draw: st.DrawFn, protocol: Protocol, n_id: int) -> InstalledProfile:
    v16 = protocol is Protocol.OCPP16
    purposes = ["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"]
    if not v16:
        purposes = ["ChargingStationMaxProfile", "TxDefaultProfile", "TxProfile", "ChargingStationExternalConstraints"]
    purpose = draw(st.sampled_from(purposes))
    kind = draw(st.sampled_from(["Absolute", "Recurring", "Relative"]))
    if purpose in ("ChargePointMaxProfile", "ChargingStationMaxProfile"):
        evse = 0
    elif purpose == "TxProfile":
        evse = draw(st.sampled_from([1, 2]))
    else:
        evse = draw(st.sampled_from([0, 1, 2]))
    schedules = []
    for i in range(1 if v16 else draw(st.integers(1, 2))):
        schedule: dict[str, object] = {
            "rate_unit": draw(st.sampled_from(["A", "W"])),
            "periods": draw(periods(v16)),
            "id": i + 1,
        }
        if draw(st.booleans()):
            schedule["duration"] = draw(st.integers(1, 1500))
        if kind != "Relative":
            # Near T0; recurring ones first ran days (or weeks) earlier, so the window
            # shows how they repeat.
            back = 0
            if kind == "Recurring":
                back = draw(st.integers(0, 3))
            offset = draw(st.integers(-1200, 1200))
            start = T0 + timedelta(seconds=offset)
            schedule["start"] = start.isoformat()
            schedule["_back"] = back
        if draw(st.booleans()):
            schedule["min_charging_rate"] = draw(st.integers(0, 100)) / 10
        schedules.append(schedule)
    recurrency = draw(st.sampled_from(["Daily", "Weekly"])) if kind == "Recurring" else None
    if recurrency:
        every = timedelta(days=1 if recurrency == "Daily" else 7)
        for schedule in schedules:
            start = datetime.fromisoformat(str(schedule["start"]))
            schedule["start"] = (start - every * int(schedule["_back"])).isoformat()  # type: ignore[call-overload]
    for schedule in schedules:
        schedule.pop("_back", None)
    data: dict[str, object] = {
        "id": n_id,
        "stack_level": draw(st.integers(0, 3)),
        "purpose": purpose,
        "kind": kind,
        "schedules": schedules,
    }
    if recurrency:
        data["recurrency"] = recurrency
    if draw(st.booleans()):
        data["valid_from"] = (T0 + timedelta(seconds=draw(st.integers(-1500, 1500)))).isoformat()
    if draw(st.booleans()):
        lo = datetime.fromisoformat(str(data.get("valid_from", (T0 - timedelta(seconds=2000)).isoformat())))
        data["valid_to"] = (lo + timedelta(seconds=draw(st.integers(1, 2500)))).isoformat()
    if purpose == "TxProfile" and draw(st.booleans()):
        data["transaction_id"] = draw(st.sampled_from(["7", "8"]))
    installed_at = T0 + timedelta(seconds=draw(st.integers(-2000, 0)))
    return InstalledProfile(evse, ChargingProfile.parse(data), installed_at)


@st.composite
def scenarios(
    draw: st.DrawFn, protocol: Protocol
) -> tuple[list[InstalledProfile], int, datetime, int, RateUnit, ActiveTransaction | None]:
    n = draw(st.integers(0, 6))
    installed = [draw(profiles(protocol, i + 1)) for i in range(n)]
    evse = draw(st.sampled_from([0, 1, 2]))
    start = T0 + timedelta(seconds=draw(st.integers(-1500, 1500)), microseconds=draw(st.sampled_from([0, 500_000])))
    duration = draw(st.integers(1, 1800))
    unit = draw(st.sampled_from([RateUnit.AMPS, RateUnit.WATTS]))
    transaction = None
    if draw(st.booleans()):
        started = start - timedelta(seconds=draw(st.integers(0, 1200)))
        transaction = ActiveTransaction(draw(st.sampled_from(["7", "8"])), started)
    return installed, evse, start, duration, unit, transaction


def _check(scenario: tuple[list[InstalledProfile], int, datetime, int, RateUnit, ActiveTransaction | None]) -> None:
    installed, evse, start, duration, unit, transaction = scenario
    got = composite_schedule(installed, evse, start, duration, unit, transaction=transaction, voltage=VOLTAGE)
    expected = oracle(installed, evse, start, duration, unit, transaction, VOLTAGE)
    assert got.periods[0].start == 0
    assert all(a.start < b.start for a, b in zip(got.periods, got.periods[1:], strict=False))
    for second, (limit, phases) in enumerate(expected):
        period = got.period_at(second)
        if limit is None:
            assert period.limit is None, f"second {second}: expected no limit, got {period}"
        else:
            assert period.limit == pytest.approx(limit, rel=1e-12, abs=1e-9), f"second {second}: {period} vs {limit}"
            assert period.number_phases == phases, f"second {second}: phases {period.number_phases} vs {phases}"


@pytest.mark.parametrize("protocol", [Protocol.OCPP16, Protocol.OCPP201])
def test_composite_matches_per_second_oracle(protocol: Protocol) -> None:
    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(scenarios(protocol))
    def run(scenario: tuple[list[InstalledProfile], int, datetime, int, RateUnit, ActiveTransaction | None]) -> None:
        _check(scenario)

    run()
