"""The seams between the simulator's parts, as Protocols, so no part imports another in
a circle: the engine (host) drives chargers, a charger drives its link, the link reports
socket events to its charger, and CSMS-initiated CALLs are answered against a charger.

    engine -> charger -> answers
       \\         \\
        +-> transport (WsLink)        all of them -> ports, states, config, stats, messages
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from chargeplane.sim.messages import Dialect

ChargerT_contra = TypeVar("ChargerT_contra", contravariant=True)


class Link(Protocol):
    """A charger's WebSocket connection, as the charger uses it."""

    closing: bool  # the simulator decided to close it (not a failure)

    def send(self, text: bytes) -> bool: ...  # False: not sent (not open)

    def close(self, code: int = 1000) -> None: ...  # closing handshake

    def abort(self) -> None: ...  # drop TCP at once


class LinkEvents(Protocol):
    """What a link reports to the charger it carries."""

    @property
    def cp_id(self) -> str: ...

    @property
    def dialect(self) -> Dialect: ...

    def on_tcp_connected(self, link: Link) -> None: ...

    def on_handshake_failed(self, reason: str) -> None: ...

    def on_open(self, subprotocol: str | None) -> None: ...

    def on_text(self, data: bytes | bytearray | memoryview) -> None: ...

    def on_connection_lost(self, link: Link, reason: str) -> None: ...


class Host(Protocol[ChargerT_contra]):
    """What a charger needs from the simulation that holds it (the engine)."""

    @property
    def loop(self) -> asyncio.AbstractEventLoop: ...

    @property
    def rand(self) -> random.Random: ...

    @property
    def recording(self) -> bool: ...  # latencies and results count (warm-up over)

    @property
    def stopping(self) -> bool: ...

    def on_link(self, delta: int) -> None: ...  # a socket was opened (+1) or lost (-1)

    def on_booted(self, charger: ChargerT_contra, first: bool) -> None: ...

    def on_offline(self, charger: ChargerT_contra, closed_by_sim: bool, was_ready: bool) -> None: ...

    def on_reboot(self, charger: ChargerT_contra) -> None: ...  # reconnect after a reboot delay, not a back-off


class Answering(Protocol):
    """A charger as the answers to CSMS-initiated CALLs see it."""

    @property
    def dialect(self) -> Dialect: ...

    @property
    def state(self) -> int: ...

    @property
    def in_session(self) -> bool: ...

    @property
    def tx_id(self) -> int | str | None: ...

    @property
    def overrides(self) -> dict[str, str] | None: ...

    def start_session(self, id_tag: str | None = None, authorize: bool = True) -> bool: ...

    def remote_stop(self) -> None: ...

    def reboot(self) -> None: ...

    def set_override(self, key: str, value: str) -> None: ...

    def trigger(self, message: str) -> None: ...


FollowUp = Callable[[], Any] | None  # runs right after the answer is sent
