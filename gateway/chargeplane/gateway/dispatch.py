"""Which handler answers which charger CALL, per protocol version.

Each functional block (provisioning, transactions, ...) has a class per version that
translates that version's messages into version-neutral domain calls and returns its
handler table; this module merges the tables. An action with no handler is answered
NotSupported (known to the version) or NotImplemented (unknown).
"""

from __future__ import annotations

from dataclasses import dataclass

from chargeplane.domain.chargepoints import Protocol
from chargeplane.gateway.backend import Backend
from chargeplane.gateway.configuration import ConfigurationPush
from chargeplane.gateway.connection import Dispatcher, Handler
from chargeplane.gateway.ocpp16 import Ocpp16Provisioning
from chargeplane.gateway.ocpp16_transactions import Ocpp16Transactions
from chargeplane.gateway.ocpp201 import Ocpp201Provisioning
from chargeplane.gateway.ocpp201_transactions import Ocpp201Transactions
from chargeplane.gateway.ocpp_device import Ocpp16Device, Ocpp201Device
from chargeplane.gateway.tx_backend import TxBackend


@dataclass(frozen=True, slots=True)
class HandlerTable:
    protocol: Protocol
    handlers: dict[str, Handler]

    def handler(self, action: str) -> Handler | None:
        return self.handlers.get(action)


def build_dispatchers(backend: Backend, tx: TxBackend | None = None) -> dict[str, Dispatcher]:
    """The dispatcher of each subprotocol, keyed by its name ("ocpp1.6", "ocpp2.0.1").
    Without `tx` (the auth/transactions client) the transaction block is not served."""
    v16: dict[str, Handler] = {}
    v201: dict[str, Handler] = {}
    v16.update(Ocpp16Provisioning(backend).handlers())
    v201.update(Ocpp201Provisioning(backend).handlers())
    if tx is not None:
        t16 = Ocpp16Transactions(tx)
        v16.update(t16.handlers())
        v201.update(Ocpp201Transactions(tx).handlers())
        # An accepted boot flags the charger's open transactions (both versions).
        v16["BootNotification"] = t16.wrap_boot(v16["BootNotification"])
        v201["BootNotification"] = t16.wrap_boot(v201["BootNotification"])
    # Device state reported by chargers; desired configuration pushed after an accepted boot.
    v16.update(Ocpp16Device(backend).handlers())
    v201.update(Ocpp201Device(backend).handlers())
    push = ConfigurationPush(backend)
    v16["BootNotification"] = push.wrap_boot(v16["BootNotification"])
    v201["BootNotification"] = push.wrap_boot(v201["BootNotification"])
    return {
        Protocol.OCPP16.value: HandlerTable(Protocol.OCPP16, v16),
        Protocol.OCPP201.value: HandlerTable(Protocol.OCPP201, v201),
    }
