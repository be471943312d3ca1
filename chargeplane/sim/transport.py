"""One WebSocket client connection = one asyncio.Protocol over websockets' Sans-I/O core.

Why not `websockets.connect()`: its asyncio connection keeps a reader, an assembler, a
keepalive task and futures per connection, and the caller needs a task per charger
blocked in `recv()`. Driving `websockets.client.ClientProtocol` from `data_received`
keeps the RFC 6455 work (handshake checks, masking, fragmentation, ping/pong, closing
handshake) in the library and leaves one small object per charger, no task at all.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from websockets.client import ClientProtocol
from websockets.exceptions import InvalidState, InvalidStatus
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.headers import build_authorization_basic
from websockets.http11 import Response
from websockets.protocol import OPEN
from websockets.typing import Subprotocol
from websockets.uri import WebSocketURI

if TYPE_CHECKING:
    from chargeplane.sim.charger import Charger

_LOGGER = logging.getLogger("chargeplane.sim.ws")
MAX_MESSAGE = 1 << 20


def deflate_factory() -> ClientPerMessageDeflateFactory:
    # Small window, as the gateway is expected to negotiate (DESIGN.md §5 "choices").
    return ClientPerMessageDeflateFactory(client_max_window_bits=11, compress_settings={"memLevel": 4})


class WsLink(asyncio.Protocol):
    __slots__ = ("charger", "closing", "transport", "ws")

    def __init__(self, charger: Charger) -> None:
        self.charger = charger
        self.transport: asyncio.Transport | None = None
        self.ws: ClientProtocol | None = None
        self.closing = False  # the simulator decided to close (not a failure)

    # -- asyncio.Protocol -------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        charger = self.charger
        sim = charger.sim
        uri: WebSocketURI = sim.uri_for(charger.cp_id)
        ws = ClientProtocol(
            uri,
            subprotocols=[Subprotocol(charger.dialect.subprotocol)],
            extensions=[deflate_factory()] if sim.config.compression else None,
            max_size=MAX_MESSAGE,
            logger=_LOGGER,
        )
        request = ws.connect()
        if sim.config.password is not None:
            # OCPP security profile 1/2: the username is the charge point identity.
            request.headers["Authorization"] = build_authorization_basic(charger.cp_id, sim.config.password)
        request.headers["User-Agent"] = "chargeplane-sim"
        ws.send_request(request)
        self.ws = ws
        self._flush()
        charger.on_tcp_connected(self)

    def data_received(self, data: bytes) -> None:
        ws = self.ws
        assert ws is not None
        ws.receive_data(data)
        for event in ws.events_received():
            if isinstance(event, Frame):
                if event.opcode is Opcode.TEXT:
                    self.charger.on_text(event.data)
                elif event.opcode is Opcode.BINARY:
                    self.charger.sim.stats.protocol_errors["binary_frame"] += 1
            elif isinstance(event, Response):
                exc = ws.handshake_exc
                if exc is None:
                    self.charger.on_open(ws.subprotocol)
                else:
                    if isinstance(exc, InvalidStatus):
                        reason = f"http_{exc.response.status_code}"
                    else:
                        reason = type(exc).__name__
                    self.charger.on_handshake_failed(reason)
        self._flush()

    def eof_received(self) -> bool | None:
        if self.ws is not None:
            self.ws.receive_eof()
            self._flush()
        return None  # let the transport close itself

    def connection_lost(self, exc: Exception | None) -> None:
        ws = self.ws
        if self.closing:
            reason = "closed_by_sim"
        elif ws is not None and ws.close_rcvd is not None:
            reason = f"close_{ws.close_rcvd.code}"
        elif exc is not None:
            reason = type(exc).__name__
        else:
            reason = "tcp_closed"
        self.transport = None
        self.charger.on_connection_lost(self, reason)

    # -- used by the charger ----------------------------------------------------------
    def send(self, text: bytes) -> bool:
        ws = self.ws
        if ws is None or ws.state is not OPEN or self.transport is None:
            return False
        try:
            ws.send_text(text)
        except InvalidState:
            return False
        self._flush()
        return True

    def close(self, code: int = 1000) -> None:
        """Start the closing handshake; the server closes TCP, then connection_lost runs."""
        self.closing = True
        ws = self.ws
        if ws is not None and ws.state is OPEN:
            ws.send_close(code)
            self._flush()
        elif self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.abort()

    def _flush(self) -> None:
        ws = self.ws
        transport = self.transport
        if ws is None or transport is None:
            return
        for chunk in ws.data_to_send():
            if chunk:
                transport.write(chunk)
            elif transport.can_write_eof():
                transport.write_eof()
