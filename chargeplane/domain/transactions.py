"""Transactions of both OCPP versions: one event model, one lifecycle, rules written once.

Every charger message about a transaction becomes a `TransactionEvent` -- Started, Updated
or Ended, with a sequence number -- at the gateway's edge:
- 2.0.1 TransactionEvent maps one to one (the charger names the transaction and numbers
  its events);
- 1.6 StartTransaction is a Started event with seqNo 0 and StopTransaction an Ended event
  with seqNo 1 (1.6 has no numbering; a session has exactly these two lifecycle events).

What really differs between the versions is carried as data, not as a second code path:
- `id_assigned_by_csms`: the CSMS assigns the (integer) transaction id when the Started
  event arrives (1.6). An event naming an id we do not know cannot create a transaction:
  an Ended one is reconciled with the charger's only open transaction of that kind, or
  kept as an anomaly -- always answered.
- `idempotency_key`: a Started event without a charger-side reference is recognised on a
  retry (new message id, same content) by this key (1.6: connector, idTag, meterStart,
  timestamp), never by message id.

The sequence rules are pure functions here; storage applies them under a row lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
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
    DUPLICATE_STOP_CONFLICT = "duplicate_stop_conflict"  # an Ended event repeated with other content
    DUPLICATE_EVENT_CONFLICT = "duplicate_event_conflict"  # another event repeated with other content
    OFFLINE = "offline"


class EventOutcome(StrEnum):
    APPLIED = "applied"  # the event moved (or created) its transaction
    DUPLICATE = "duplicate"  # already recorded with this content: answered, nothing changes
    CONFLICT = "conflict"  # its seqNo was recorded with other content: answered, kept as an anomaly
    RECONCILED = "reconciled"  # an unknown CSMS-assigned id matched the charger's only open transaction
    UNKNOWN = "unknown"  # an unknown CSMS-assigned id, no unambiguous match: answered, kept as an anomaly


@dataclass(frozen=True, slots=True)
class TransactionEvent:
    charge_point_id: str
    protocol: str  # the charger's OCPP version, kept with the transaction
    event_type: EventType
    # The charger's reference; None when the CSMS assigns the id with this (Started) event.
    transaction_ref: str | None
    seq_no: int
    timestamp: datetime
    trigger_reason: str = ""
    offline: bool = False
    charging_state: str | None = None
    stopped_reason: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None
    id_token: str | None = None
    id_token_type: str | None = None
    remote_start_id: int | None = None
    reservation_id: int | None = None
    meter_register_wh: float | None = None  # Energy.Active.Import.Register in this event (1.6 meterStart/Stop)
    id_assigned_by_csms: bool = False
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class EventRecorded:
    """What recording an event did, for the answer to the charger."""

    transaction_id: int  # 0 when no transaction was found (outcome UNKNOWN)
    transaction_ref: str
    outcome: EventOutcome
    created: bool  # this event created the transaction
    state: TxState
    auth_status: str | None = None  # the status stored with the transaction (a retry gets the first)
    group_id: str | None = None
    gap: tuple[int, ...] = ()
    flags: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Sequence:
    """The seqNo bookkeeping of one transaction."""

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
        gap = tuple(range(max(0, seq_no - MAX_TRACKED_GAPS), seq_no)) if seq_no > 0 else ()
        # A transaction's first seen event with seqNo > 0 may just be a charger that
        # numbers per station, not per transaction: reported, only the range is unknown.
        return EventVerdict(Sequence(seq_no, gap), True, ())
    if seq_no > seq.max_seq:
        gap = tuple(range(max(seq.max_seq + 1, seq_no - MAX_TRACKED_GAPS), seq_no))
        missing = (seq.missing + gap)[-MAX_TRACKED_GAPS:]
        return EventVerdict(Sequence(seq_no, missing), True, gap)
    return EventVerdict(Sequence(seq.max_seq, tuple(n for n in seq.missing if n != seq_no)), False, ())


@dataclass(frozen=True, slots=True)
class TxSnapshot:
    """The live fields of a transaction that events move."""

    state: TxState = TxState.ACTIVE
    charging_state: str | None = None
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    stopped_reason: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None
    id_token: str | None = None
    stop_id_token: str | None = None
    meter_start_wh: float | None = None
    meter_stop_wh: float | None = None
    sequence: Sequence = field(default_factory=Sequence)
    flags: frozenset[str] = frozenset()


def apply_event(
    tx: TxSnapshot, ev: TransactionEvent, *, fresh: bool, now: datetime | None = None
) -> tuple[TxSnapshot, EventVerdict]:
    """Move a transaction by one event (a duplicate seqNo never gets here).

    Rules (TX-05, TX-06): Ended is terminal -- nothing after it reopens the transaction; an
    older seqNo never moves live fields backwards; offline events do not change the live
    charging state; gaps are flagged; seqNo 0 starts a transaction normally; a timestamp
    far ahead of `now` and a meter stop below the meter start are flagged.
    """
    verdict = sequence_after(tx.sequence, ev.seq_no)
    flags = _event_flags(tx, ev, verdict, fresh=fresh, now=now)
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
        out = replace(
            out,
            state=TxState.ENDED,
            stopped_at=ev.timestamp,
            stopped_reason=ev.stopped_reason or "Local",
            stop_id_token=ev.id_token,
        )
    elif verdict.advances and tx.state is TxState.ACTIVE and not ev.offline and ev.charging_state is not None:
        out = replace(out, charging_state=ev.charging_state)
    if ev.event_type is EventType.ENDED and ev.charging_state is not None and not ev.offline:
        out = replace(out, charging_state=ev.charging_state)
    if out.meter_start_wh is not None and out.meter_stop_wh is not None and out.meter_stop_wh < out.meter_start_wh:
        flags.add(Flag.METER_STOP_BELOW_START)
    return replace(out, flags=frozenset(flags)), verdict


def _event_flags(
    tx: TxSnapshot, ev: TransactionEvent, verdict: EventVerdict, *, fresh: bool, now: datetime | None
) -> set[str]:
    """The transaction's flags after `ev`: the ones it had plus what this event reveals."""
    flags = set(tx.flags)
    if verdict.gap or verdict.sequence.missing:
        flags.add(Flag.SEQ_GAP)
    if ev.offline:
        flags.add(Flag.OFFLINE)
    if fresh and ev.event_type is not EventType.STARTED:
        flags.add(Flag.STARTED_EVENT_MISSING)
    if tx.state is TxState.ENDED and ev.event_type is not EventType.ENDED:
        flags.add(Flag.EVENT_AFTER_END)
    if now is not None and ev.timestamp > now.astimezone(UTC) + FUTURE_TOLERANCE:
        flags.add(Flag.FUTURE_TIMESTAMP)
    return flags


def conflict_flag(event_type: EventType) -> Flag:
    """The flag of an event that repeats a recorded seqNo with other content."""
    return Flag.DUPLICATE_STOP_CONFLICT if event_type is EventType.ENDED else Flag.DUPLICATE_EVENT_CONFLICT
