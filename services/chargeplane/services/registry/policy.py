"""The boot decision: pure, so every rule is testable without I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chargeplane.config import BootPolicy, Settings
from chargeplane.domain.chargepoints import BootDecision, BootRequest, RegistrationStatus


@dataclass(frozen=True, slots=True)
class Registration:
    """What the registry already knows about a charge point that boots."""

    registered: bool  # pre-registered by an operator (not merely discovered)
    allowed_protocols: tuple[str, ...]  # empty: any


@dataclass(frozen=True, slots=True)
class BootOutcome:
    decision: BootDecision
    create: bool  # insert a row for a charger the registry has never seen
    record: bool  # write what the charger said (only rows that exist or are created)


def decide_boot(settings: Settings, request: BootRequest, known: Registration | None, now: datetime) -> BootOutcome:
    dev = settings.boot_policy == BootPolicy.DEV
    if known is None:
        status = RegistrationStatus.ACCEPTED if dev else RegistrationStatus(settings.unknown_boot_status)
        # Production never inserts unknown ids: a stray or hostile charger must not grow the table.
        create = dev
    else:
        create = False
        if known.allowed_protocols and request.protocol.value not in known.allowed_protocols:
            status = RegistrationStatus.REJECTED
        elif known.registered or dev:
            status = RegistrationStatus.ACCEPTED
        else:  # discovered earlier under the dev policy, never registered by an operator
            status = RegistrationStatus(settings.unknown_boot_status)
    accepted = status == RegistrationStatus.ACCEPTED
    interval = settings.heartbeat_interval if accepted else settings.pending_retry_interval
    return BootOutcome(
        decision=BootDecision(status=status, current_time=now, interval=interval),
        create=create,
        record=create or known is not None,
    )
