"""Work that follows an accepted BootNotification, registered once here for every OCPP version.

The boot handlers of both versions call `PostBootHooks.run` with the registry's decision;
each registered hook then runs as a task of its own, after the BootNotification's
CALLRESULT has been written (the task starts once the handler returned, and websockets
writes the answer synchronously), so a hook may send CALLs to the charger. The tasks are
tracked: `stop()` cancels and awaits what is still running. A failing hook is logged and
never touches the boot answer or the other hooks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from chargeplane.domain.chargepoints import BootDecision, RegistrationStatus
from chargeplane.gateway.configuration_push import ConfigurationPush
from chargeplane.gateway.connection import OcppConnection
from chargeplane.gateway.ports import ConfigurationResults, OpenTransactions

log = logging.getLogger(__name__)

Hook = Callable[[OcppConnection, BootDecision], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class _Registered:
    name: str
    hook: Hook


class PostBootHooks:
    def __init__(self) -> None:
        self._hooks: list[_Registered] = []
        self._running: set[asyncio.Task[None]] = set()

    def register(self, name: str, hook: Hook) -> None:
        self._hooks.append(_Registered(name, hook))

    @property
    def names(self) -> list[str]:
        return [h.name for h in self._hooks]

    def run(self, conn: OcppConnection, decision: BootDecision) -> None:
        """Start every hook for an accepted boot (nothing for Pending / Rejected)."""
        if decision.status is not RegistrationStatus.ACCEPTED:
            return
        for registered in self._hooks:
            task = asyncio.create_task(self._guarded(registered, conn, decision), name=f"post-boot:{registered.name}")
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _guarded(self, registered: _Registered, conn: OcppConnection, decision: BootDecision) -> None:
        try:
            await registered.hook(conn, decision)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("post-boot hook %r failed", registered.name, exc_info=True, extra={"cp_id": conn.cp_id})

    async def stop(self) -> None:
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)


def flag_open_transactions(transactions: OpenTransactions) -> Hook:
    """A reboot ends the charger's transactions on its side: flag the ones still open here
    (stops it queued while offline still reconcile them)."""

    async def hook(conn: OcppConnection, decision: BootDecision) -> int:
        return await transactions.charger_booted(conn.cp_id)

    return hook


def gateway_hooks(configuration: ConfigurationResults, transactions: OpenTransactions | None) -> PostBootHooks:
    """The hooks every gateway runs after an accepted boot (without a transactions
    service there are no open transactions to flag)."""
    hooks = PostBootHooks()
    if transactions is not None:
        hooks.register("flag open transactions", flag_open_transactions(transactions))
    hooks.register("push desired configuration", ConfigurationPush(configuration))
    return hooks
