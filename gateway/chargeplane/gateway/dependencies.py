"""What the version packages' handlers are built with: one implementation per port, and
the post-boot hooks.

The authorization, transaction and meter-value ports are optional: a gateway built without
them (no auth / transactions service configured) does not serve those blocks, and a
charger's CALL of one is answered NotSupported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chargeplane.gateway.ports import (
    Authorizer,
    BootService,
    DeviceModel,
    MeterStream,
    NotificationLog,
    Registry,
    StatusService,
    TransactionRecorder,
    TransactionsService,
)
from chargeplane.gateway.post_boot import PostBootHooks, gateway_hooks


@dataclass(frozen=True, slots=True)
class Dependencies:
    boot: BootService
    status: StatusService
    notifications: NotificationLog
    device_model: DeviceModel
    after_boot: PostBootHooks = field(default_factory=PostBootHooks)
    auth: Authorizer | None = None
    transactions: TransactionRecorder | None = None
    meters: MeterStream | None = None


def dependencies(
    registry: Registry,
    *,
    auth: Authorizer | None = None,
    transactions: TransactionsService | None = None,
    meters: MeterStream | None = None,
) -> Dependencies:
    return Dependencies(
        boot=registry,
        status=registry,
        notifications=registry,
        device_model=registry,
        after_boot=gateway_hooks(registry, transactions),
        auth=auth,
        transactions=transactions,
        meters=meters,
    )
