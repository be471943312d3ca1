"""Which changes of a transaction its change feed reports (pure; the transactions service
writes them to its outbox in the same database transaction as the change).

A change is what a consumer (billing, smart charging, OCPI) acts on:
- STARTED: the transaction came into being (whatever event created it);
- UPDATED: an active transaction's charging state, meter register or authorization was
  reported or changed. The charging state counts whenever the charger reports one, also in
  an offline event that does not move the live state: consumers rebuild the state timeline
  from these changes (a 2.0.1 charger reports the state on its events);
- ENDED: the transaction ended (normally, offline, reconciled with an unknown stop, or
  flagged as anomalous: the lifecycle ended it, so it is billed).
An event that created the transaction and ended it at once is STARTED then ENDED. Events
on an ended transaction report nothing: Ended is terminal.
"""

from __future__ import annotations

from enum import IntEnum

from .transactions import TransactionEvent, TxSnapshot, TxState


class ChangeKind(IntEnum):
    """Values of chargeplane.transactions.v1.ChangeKind (stored as they are)."""

    STARTED = 1
    UPDATED = 2
    ENDED = 3


def change_kinds(
    before: TxSnapshot, after: TxSnapshot, ev: TransactionEvent, *, created: bool, auth_changed: bool
) -> tuple[ChangeKind, ...]:
    """The feed's changes for one applied event, in order."""
    if created:
        return (ChangeKind.STARTED, ChangeKind.ENDED) if after.state is TxState.ENDED else (ChangeKind.STARTED,)
    if before.state is TxState.ENDED:
        return ()
    if after.state is TxState.ENDED:
        return (ChangeKind.ENDED,)
    reported = ev.charging_state is not None or ev.meter_register_wh is not None
    moved = after.charging_state != before.charging_state or after.id_token != before.id_token
    return (ChangeKind.UPDATED,) if reported or moved or auth_changed else ()


__all__ = ["ChangeKind", "change_kinds"]
