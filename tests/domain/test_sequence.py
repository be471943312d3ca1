"""seqNo rules of the one lifecycle as pure functions (property-based): order never moves state
backwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chargeplane.domain.transactions import (
    EventType,
    TransactionEvent,
    TxSnapshot,
    TxState,
    apply_event,
    sequence_after,
)
from chargeplane.domain.transactions import Sequence as Seq

T0 = datetime(2026, 11, 23, tzinfo=UTC)


def ev(seq: int, kind: EventType, state: str | None = None, offline: bool = False) -> TransactionEvent:
    return TransactionEvent(
        charge_point_id="CP",
        protocol="ocpp2.0.1",
        event_type=kind,
        transaction_ref="T",
        seq_no=seq,
        timestamp=T0 + timedelta(seconds=seq),
        trigger_reason="MeterValuePeriodic",
        charging_state=state,
        offline=offline,
    )


@given(st.permutations(list(range(12))))
def test_any_arrival_order_ends_with_the_newest_state_and_no_gaps(order: list[int]) -> None:
    """Events 0..11 (Started, Updated..., Ended) in any order: the result is the same as in order."""
    events = {0: ev(0, EventType.STARTED, "EVConnected"), 11: ev(11, EventType.ENDED, "Idle")}
    for n in range(1, 11):
        events[n] = ev(n, EventType.UPDATED, f"S{n}")
    tx = TxSnapshot()
    for i, n in enumerate(order):
        tx, _ = apply_event(tx, events[n], fresh=i == 0)
    assert tx.state is TxState.ENDED
    assert tx.sequence == Seq(11, ())
    assert tx.started_at == T0 and tx.stopped_at == T0 + timedelta(seconds=11)


@given(st.lists(st.integers(0, 50), min_size=1, max_size=30, unique=True))
def test_missing_numbers_are_exactly_the_unseen_ones(seen: list[int]) -> None:
    seq = Seq()
    for n in seen:
        seq = sequence_after(seq, n).sequence
    assert seq.max_seq == max(seen)
    assert set(seq.missing) == set(range(max(seen))) - set(seen)


def test_late_and_offline_events_do_not_move_the_charging_state() -> None:
    tx, _ = apply_event(TxSnapshot(), ev(0, EventType.STARTED, "Charging"), fresh=True)
    tx, verdict = apply_event(tx, ev(3, EventType.UPDATED, "SuspendedEV"), fresh=False)
    assert verdict.gap == (1, 2) and tx.charging_state == "SuspendedEV"
    tx, verdict = apply_event(tx, ev(1, EventType.UPDATED, "Charging"), fresh=False)
    assert not verdict.advances and tx.charging_state == "SuspendedEV" and tx.sequence.missing == (2,)
    tx, _ = apply_event(tx, ev(4, EventType.UPDATED, "Idle", offline=True), fresh=False)
    assert tx.charging_state == "SuspendedEV" and "offline" in tx.flags
    tx, _ = apply_event(tx, ev(5, EventType.ENDED), fresh=False)
    tx, _ = apply_event(tx, ev(6, EventType.UPDATED, "Charging"), fresh=False)
    assert tx.state is TxState.ENDED and "event_after_end" in tx.flags
