"""What the handlers need from the services, as narrow interfaces in domain terms.

Each functional-block handler depends on the one or two of these it uses, never on a
whole backend; `clients/` holds their gRPC / Redis implementations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol as Interface

from chargeplane.domain.auth import AuthDecision
from chargeplane.domain.chargepoints import BootDecision, BootRequest, Protocol, StatusReport
from chargeplane.domain.device import DeviceVariable, Notification
from chargeplane.domain.meter import Sample
from chargeplane.domain.transactions import EventRecorded, TransactionEvent


class BootService(Interface):
    async def boot(self, request: BootRequest) -> BootDecision: ...


class StatusService(Interface):
    async def record_status(self, report: StatusReport) -> None: ...


class ActivityTracker(Interface):
    def touch(self, cp_id: str) -> None:
        """The charger was heard from (batched; never a write per message)."""
        ...


class NotificationLog(Interface):
    async def record_notification(self, notification: Notification) -> None: ...


class DeviceModel(Interface):
    async def record_device_variables(self, cp_id: str, variables: Sequence[DeviceVariable]) -> None: ...


class ConfigurationResults(Interface):
    async def record_configuration_results(
        self, cp_id: str, protocol: Protocol, results: Sequence[tuple[str, str, str]]
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class Authorization:
    decision: AuthDecision
    cache_expiry: datetime | None = None


class Authorizer(Interface):
    async def authorize(
        self,
        cp_id: str,
        site: str | None,
        id_token: str,
        token_type: str = "",
        own_transaction: str = "",
        *,
        record_unknown: bool = False,
    ) -> Authorization: ...


class TransactionRecorder(Interface):
    async def record_event(
        self, event: TransactionEvent, site: str | None, auth: AuthDecision | None, payload: object
    ) -> EventRecorded: ...


class OpenTransactions(Interface):
    async def charger_booted(self, cp_id: str) -> int:
        """Flag the charger's open transactions; returns how many."""
        ...


class MeterStream(Interface):
    async def publish(
        self,
        cp_id: str,
        evse_id: int | None,
        connector_id: int | None,
        transaction_ref: str | None,
        samples: Sequence[Sample],
        message_key: bytes,
    ) -> None:
        """Append one message's samples to the meter stream; returns once Redis has them.
        `message_key` names the message (its content): the writer stores its samples once,
        however often the charger retries it or the stream redelivers it."""
        ...


class Registry(
    BootService, StatusService, ActivityTracker, NotificationLog, DeviceModel, ConfigurationResults, Interface
):
    """Everything the gateway asks of the registry service."""


class TransactionsService(TransactionRecorder, OpenTransactions, Interface):
    """Everything the gateway asks of the transactions service."""
