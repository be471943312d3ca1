"""What the version packages' handlers are built with: one implementation per port.

The authorization and transaction ports are optional: a gateway built without them (no
auth / transactions service configured) does not serve that block, and a charger's CALL
of it is answered NotSupported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chargeplane.gateway.ports import (
    Authorizer,
    BootService,
    DeviceModel,
    MeterStream,
    NotificationLog,
    StatusService,
    TransactionRecorder,
)
from chargeplane.gateway.post_boot import PostBootHooks


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
