"""OCPP 2.0.1 routing table: which handler answers each charger CALL, and how each
version-neutral command is sent. Blocks whose services this gateway was not built with
are left out (their CALLs are answered NotSupported)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chargeplane.gateway.connection import Handler
from chargeplane.gateway.ocpp201 import (
    authorization,
    availability,
    data_transfer,
    diagnostics,
    display,
    firmware,
    local_auth_list,
    meter_values,
    provisioning,
    remote_control,
    reservation,
    security,
    smart_charging,
    transactions,
)
from chargeplane.gateway.translation import Translations

if TYPE_CHECKING:
    from chargeplane.gateway.dependencies import Dependencies


def handlers(deps: Dependencies) -> dict[str, Handler]:
    table: dict[str, Handler] = {
        **provisioning.Provisioning(deps.boot, deps.after_boot, deps.device_model).handlers(),
        **availability.Availability(deps.status).handlers(),
        **reservation.handlers(deps.notifications),
        **smart_charging.handlers(deps.notifications),
        **firmware.handlers(deps.notifications),
        **diagnostics.Diagnostics(deps.notifications, deps.device_model).handlers(),
        **security.handlers(deps.notifications),
        **display.handlers(deps.notifications),
        **data_transfer.handlers(),
    }
    if deps.auth is not None:
        table.update(authorization.Authorization(deps.auth).handlers())
    if deps.meters is not None:
        table.update(meter_values.MeterValues(deps.meters).handlers())
    if deps.auth is not None and deps.transactions is not None and deps.meters is not None:
        table.update(transactions.Transactions(deps.auth, deps.transactions, deps.meters).handlers())
    return table


COMMANDS: Translations = {
    **provisioning.COMMANDS,
    **authorization.COMMANDS,
    **local_auth_list.COMMANDS,
    **remote_control.COMMANDS,
    **availability.COMMANDS,
    **reservation.COMMANDS,
    **smart_charging.COMMANDS,
    **firmware.COMMANDS,
    **diagnostics.COMMANDS,
    **data_transfer.COMMANDS,
}
