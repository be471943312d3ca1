"""Put a gateway's handlers together: the ports' implementations and the post-boot hooks,
registered once here for every OCPP version."""

from __future__ import annotations

from chargeplane.gateway.configuration_push import ConfigurationPush
from chargeplane.gateway.dependencies import Dependencies
from chargeplane.gateway.ports import Authorizer, MeterStream, Registry, TransactionsService
from chargeplane.gateway.post_boot import PostBootHooks, flag_open_transactions


def dependencies(
    registry: Registry,
    *,
    auth: Authorizer | None = None,
    transactions: TransactionsService | None = None,
    meters: MeterStream | None = None,
) -> Dependencies:
    """Without `auth`, `transactions` and `meters` the authorization, transaction and
    meter-value blocks are not served."""
    after_boot = PostBootHooks()
    if transactions is not None:
        after_boot.register("flag open transactions", flag_open_transactions(transactions))
    after_boot.register("push desired configuration", ConfigurationPush(registry))
    return Dependencies(
        boot=registry,
        status=registry,
        notifications=registry,
        device_model=registry,
        after_boot=after_boot,
        auth=auth,
        transactions=transactions,
        meters=meters,
    )
