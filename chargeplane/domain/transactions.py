"""Transactions of both versions: one record, rules written once.

1.6: the CSMS assigns transactionId (a database sequence); a retried StartTransaction is
recognised by (charger, connector, idTag, meterStart, timestamp), never by message id.
2.0.1: the charger names the transaction (transactionId string); events are ordered by
seqNo. The sequence rules are pure functions here; storage applies them under a row lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

# seqNo gaps are reported as the missing numbers; cap what one transaction keeps.
MAX_TRACKED_GAPS = 64
# A charger clock this far ahead of ours is flagged (TX-06 "timestamp in the future").
FUTURE_TOLERANCE = timedelta(minutes=5)


class TxState(StrEnum):
    ACTIVE = "Active"
    ENDED = "Ended"


class EventType(StrEnum):
    STARTED = "Started"
    UPDATED = "Updated"
    ENDED = "Ended"


class Flag(StrEnum):
    """Anomalies kept on the transaction (never a reason to drop data or withhold an answer)."""

    METER_STOP_BELOW_START = "meter_stop_below_start"
    FUTURE_TIMESTAMP = "future_timestamp"
    OPEN_AT_REBOOT = "open_at_reboot"
    SEQ_GAP = "seq_gap"
    STARTED_EVENT_MISSING = "started_event_missing"
    EVENT_AFTER_END = "event_after_end"
    RECONCILED_STOP = "reconciled_stop"
    DUPLICATE_STOP_CONFLICT = "duplicate_stop_conflict"
    OFFLINE = "offline"


class StopOutcome(StrEnum):
    STOPPED = "stopped"  # this stop ended the transaction
    DUPLICATE = "duplicate"  # the same stop again: answered, nothing changes
    CONFLICT = "conflict"  # a different stop for an ended transaction: kept in stop_anomalies
    RECONCILED = "reconciled"  # unknown id matched to the charger's only open transaction
    UNKNOWN = "unknown"  # no transaction of this charger: kept in stop_anomalies


@dataclass(frozen=True, slots=True)
class StartTransaction16:
    charge_point_id: str
    connector_id: int
    id_tag: str
    meter_start: int
    timestamp: datetime
    reservation_id: int | None = None


@dataclass(frozen=True, slots=True)
class StopTransaction16:
    charge_point_id: str
    transaction_id: int
    meter_stop: int
    timestamp: datetime
    id_tag: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class TransactionEvent:
    charge_point_id: str
    event_type: EventType
    transaction_ref: str  # the charger's transactionId
    seq_no: int
    timestamp: datetime
    trigger_reason: str
    offline: bool = False
    charging_state: str | None = None
    stopped_reason: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None
    id_token: str | None = None
    id_token_type: str | None = None
    remote_start_id: int | None = None
    meter_register_wh: float | None = None  # Energy.Active.Import.Register in this event


@dataclass(frozen=True, slots=True)
class Sequence:
    """The seqNo bookkeeping of one 2.0.1 transaction."""

    max_seq: int | None = None
    missing: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class EventVerdict:
    sequence: Sequence
    advances: bool  # newest event so far: may move live fields (state, charging state)
    gap: tuple[int, ...] = ()  # numbers this event showed to be missing


def sequence_after(seq: Sequence, seq_no: int) -> EventVerdict:
    """Apply one (not duplicate) seqNo. A newer number advances; a skipped range is a gap;
    a late number fills its gap and does not advance."""
    if seq.max_seq is None:
        gap = tuple(range(0, seq_no)) if seq_no > 0 else ()
        # A transaction's first seen event with seqNo > 0 may just be a charger that
        # numbers per station, not per transaction: reported, only the range is unknown.
        return EventVerdict(Sequence(seq_no, gap[-MAX_TRACKED_GAPS:]), True, ())
    if seq_no > seq.max_seq:
        gap = tuple(range(seq.max_seq + 1, seq_no))
        missing = (seq.missing + gap)[-MAX_TRACKED_GAPS:]
        return EventVerdict(Sequence(seq_no, missing), True, gap)
    return EventVerdict(Sequence(seq.max_seq, tuple(n for n in seq.missing if n != seq_no)), False, ())


@dataclass(frozen=True, slots=True)
class TxSnapshot:
    """The live fields of a 2.0.1 transaction that events move."""

    state: TxState = TxState.ACTIVE
    charging_state: str | None = None
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    stopped_reason: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None
    id_token: str | None = None
    meter_start_wh: float | None = None
    meter_stop_wh: float | None = None
    sequence: Sequence = field(default_factory=Sequence)
    flags: frozenset[str] = frozenset()


def apply_event(tx: TxSnapshot, ev: TransactionEvent, *, fresh: bool) -> tuple[TxSnapshot, EventVerdict]:
    """Move a transaction by one event (a duplicate seqNo never gets here).

    Rules (TX-05): Ended is terminal — nothing after it reopens the transaction; an older
    seqNo never moves live fields backwards; offline events do not change the live
    charging state; gaps are flagged; seqNo 0 starts a transaction normally.
    """
    verdict = sequence_after(tx.sequence, ev.seq_no)
    flags = set(tx.flags)
    if verdict.gap or verdict.sequence.missing:
        flags.add(Flag.SEQ_GAP)
    if ev.offline:
        flags.add(Flag.OFFLINE)
    if fresh and ev.event_type is not EventType.STARTED:
        flags.add(Flag.STARTED_EVENT_MISSING)
    if tx.state is TxState.ENDED and ev.event_type is not EventType.ENDED:
        flags.add(Flag.EVENT_AFTER_END)
    out = replace(tx, sequence=verdict.sequence)
    # Facts that only fill in blanks, whatever the order.
    if out.started_at is None or ev.event_type is EventType.STARTED:
        out = replace(out, started_at=ev.timestamp if out.started_at is None else min(out.started_at, ev.timestamp))
    out = replace(
        out,
        evse_id=out.evse_id if out.evse_id is not None else ev.evse_id,
        connector_id=out.connector_id if out.connector_id is not None else ev.connector_id,
        id_token=out.id_token if out.id_token is not None else ev.id_token,
    )
    if ev.meter_register_wh is not None:
        if ev.event_type is EventType.STARTED and out.meter_start_wh is None:
            out = replace(out, meter_start_wh=ev.meter_register_wh)
        if ev.event_type is EventType.ENDED:
            out = replace(out, meter_stop_wh=ev.meter_register_wh)
    if ev.event_type is EventType.ENDED and tx.state is TxState.ACTIVE:
        out = replace(out, state=TxState.ENDED, stopped_at=ev.timestamp, stopped_reason=ev.stopped_reason or "Local")
    elif verdict.advances and tx.state is TxState.ACTIVE and not ev.offline and ev.charging_state is not None:
        out = replace(out, charging_state=ev.charging_state)
    if ev.event_type is EventType.ENDED and ev.charging_state is not None and not ev.offline:
        out = replace(out, charging_state=ev.charging_state)
    return replace(out, flags=frozenset(flags)), verdict


def stop_flags(meter_start: int | None, stop: StopTransaction16, now: datetime) -> set[str]:
    flags: set[str] = set()
    if meter_start is not None and stop.meter_stop < meter_start:
        flags.add(Flag.METER_STOP_BELOW_START)
    if stop.timestamp > now + FUTURE_TOLERANCE:
        flags.add(Flag.FUTURE_TIMESTAMP)
    return flags


def start_flags(start: StartTransaction16, now: datetime) -> set[str]:
    return {Flag.FUTURE_TIMESTAMP} if start.timestamp > now + FUTURE_TOLERANCE else set()
