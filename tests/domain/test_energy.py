"""Energy per transaction: property-based tests (hypothesis) and worked examples."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from chargeplane.domain.energy import Reading, energy_wh
from chargeplane.domain.meter import normalise

T0 = datetime(2026, 11, 23, tzinfo=UTC)

deltas = st.lists(st.integers(min_value=0, max_value=50_000), min_size=1, max_size=60)
starts = st.integers(min_value=0, max_value=10**9)


def series(start: int, steps: list[int]) -> list[Reading]:
    out = [Reading(T0, float(start))]
    value = start
    for i, d in enumerate(steps, 1):
        value += d
        out.append(Reading(T0 + timedelta(seconds=i * 10), float(value)))
    return out


@given(starts, deltas, st.randoms(use_true_random=False))
def test_monotonic_register_energy_is_last_minus_first_in_any_order(
    start: int, steps: list[int], rnd: random.Random
) -> None:
    readings = series(start, steps)
    shuffled = readings[:]
    rnd.shuffle(shuffled)
    result = energy_wh(shuffled)
    assert result.wh == readings[-1].wh - readings[0].wh
    assert result.resets == 0


@given(starts, deltas, st.integers(min_value=1, max_value=5))
def test_duplicated_samples_count_once(start: int, steps: list[int], copies: int) -> None:
    readings = series(start, steps)
    assert energy_wh(readings * copies).wh == energy_wh(readings).wh


@given(starts, deltas, st.data())
def test_missing_start_or_stop_reading_uses_the_samples(start: int, steps: list[int], data: st.DataObject) -> None:
    readings = series(start, steps)
    with_both = energy_wh(readings[1:-1], start=readings[0], stop=readings[-1]).wh
    assert with_both == readings[-1].wh - readings[0].wh
    # Without the start reading, the first sample stands in: never more energy than with it.
    no_start = energy_wh(readings[1:-1], stop=readings[-1]).wh
    assert 0 <= no_start <= with_both
    no_stop = energy_wh(readings[1:-1], start=readings[0]).wh
    assert 0 <= no_stop <= with_both


@given(starts, deltas, deltas)
def test_a_register_reset_counts_both_segments(start: int, before: list[int], after: list[int]) -> None:
    first = series(start, before)
    # The meter was replaced: its register restarts from a small value, 1 s after the last.
    restart_at = first[-1].timestamp + timedelta(seconds=1)
    second = [Reading(restart_at + (r.timestamp - T0), r.wh) for r in series(sum(after) % 7, after)]
    result = energy_wh(first + second)
    expected = (first[-1].wh - first[0].wh) + second[-1].wh
    if second[0].wh < first[-1].wh:
        assert result.resets == 1
        assert result.wh == expected
    assert result.wh >= 0


@given(st.lists(st.tuples(st.integers(0, 10_000), st.floats(0, 1e9, allow_nan=False)), max_size=40))
@settings(max_examples=200)
def test_never_negative_and_order_independent(points: list[tuple[int, float]]) -> None:
    readings = [Reading(T0 + timedelta(seconds=s), v) for s, v in points]
    result = energy_wh(readings)
    assert result.wh >= 0
    assert energy_wh(list(reversed(readings))).wh == result.wh


def test_samples_outside_the_transaction_are_ignored() -> None:
    start, stop = Reading(T0, 1000.0), Reading(T0 + timedelta(hours=1), 3000.0)
    before = Reading(T0 - timedelta(minutes=5), 900.0)
    after = Reading(T0 + timedelta(hours=2), 9000.0)
    inside = Reading(T0 + timedelta(minutes=30), 2000.0)
    assert energy_wh([after, inside, before], start=start, stop=stop).wh == 2000.0


def test_unit_normalisation() -> None:
    assert normalise("1.5", "kWh", "Energy.Active.Import.Register") == (1500.0, "Wh")
    assert normalise(7.2, "kW", "Power.Active.Import") == (7200.0, "W")
    assert normalise(11, "W", "Power.Active.Import", multiplier=3) == (11000.0, "W")
    assert normalise("42", None, "Energy.Active.Import.Register") == (42.0, "Wh")  # default unit
    assert normalise("3", None, "Energy.Reactive.Import.Register") == (3.0, "varh")
    assert normalise("21", "Celcius", "Temperature") == (21.0, "Celsius")  # 1.6 schema spelling
    assert normalise("abc", "Wh", "Energy.Active.Import.Register") == (None, None)
    assert normalise("inf", "Wh", "Energy.Active.Import.Register") == (None, None)
