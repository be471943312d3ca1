"""One WebSocket client connection = one asyncio.Protocol over websockets' Sans-I/O core.

Why not `websockets.connect()`: its asyncio connection keeps a reader, an assembler, a
keepalive task and futures per connection, and the caller needs a task per charger
blocked in `recv()`. Driving `websockets.client.ClientProtocol` from `data_received`
keeps the RFC 6455 work (handshake checks, masking, fragmentation, ping/pong, closing
handshake) in the library and leaves one small object per charger, no task at all.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from typing import cast
from urllib.parse import quote

from websockets.client import ClientProtocol
from websockets.exceptions import InvalidState, InvalidStatus
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.headers import build_authorization_basic
from websockets.http11 import Response
from websockets.protocol import OPEN
from websockets.typing import Subprotocol
from websockets.uri import WebSocketURI, parse_uri

from chargeplane.sim import handshake
from chargeplane.sim.config import SimConfig
from chargeplane.sim.ports import LinkEvents
from chargeplane.sim.stats import Stats

_LOGGER = logging.getLogger("chargeplane.sim.ws")
MAX_MESSAGE = 1 << 20


def deflate_factory() -> ClientPerMessageDeflateFactory:
    # Small window, as the gateway is expected to negotiate (DESIGN.md §5 "choices").
    return ClientPerMessageDeflateFactory(client_max_window_bits=11, compress_settings={"memLevel": 4})


class Endpoint:
    """Where and how every link of one simulation connects (shared, one per simulation)."""

    def __init__(self, config: SimConfig, stats: Stats) -> None:
        self.uri: WebSocketURI = parse_uri(config.url)
        self.password = config.password
        self.compression = config.compression
        self.stats = stats

    @functools.cached_property
    def host_header(self) -> str:
        uri = self.uri
        default = 443 if uri.secure else 80
        return uri.host if uri.port == default else f"{uri.host}:{uri.port}"

    def resource_for(self, cp_id: str) -> str:
        uri = self.uri
        resource = uri.path.rstrip("/") + "/" + quote(cp_id, safe="")
        return f"{resource}?{uri.query}" if uri.query else resource

    def uri_for(self, cp_id: str) -> WebSocketURI:
        path = self.uri.path.rstrip("/") + "/" + quote(cp_id, safe="")
        return dataclasses.replace(self.uri, path=path)


class WsLink(asyncio.Protocol):
    __slots__ = ("charger", "closing", "endpoint", "head", "key", "transport", "ws")

    def __init__(self, charger: LinkEvents, endpoint: Endpoint) -> None:
        self.charger = charger
        self.endpoint = endpoint
        self.transport: asyncio.Transport | None = None
        self.ws: ClientProtocol | None = None
        self.closing = False  # the simulator decided to close (not a failure)
        self.key: str | None = None  # set while our own handshake is in progress
        self.head = b""

    # -- asyncio.Protocol -------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCPTransport is not an asyncio.Transport subclass but has its API.
        self.transport = cast(asyncio.Transport, transport)
        charger = self.charger
        endpoint = self.endpoint
        auth = None
        if endpoint.password is not None:
            # OCPP security profile 1/2: the username is the charge point identity.
            auth = build_authorization_basic(charger.cp_id, endpoint.password)
        if not endpoint.compression:
            self.key = key = handshake.new_key()
            resource = endpoint.resource_for(charger.cp_id)
            raw = handshake.build_request(endpoint.host_header, resource, key, charger.dialect.subprotocol, auth)
            self.transport.write(raw)
            charger.on_tcp_connected(self)
            return
        uri: WebSocketURI = endpoint.uri_for(charger.cp_id)
        ws = ClientProtocol(
            uri,
            subprotocols=[Subprotocol(charger.dialect.subprotocol)],
            extensions=[deflate_factory()],
            max_size=MAX_MESSAGE,
            logger=_LOGGER,
        )
        request = ws.connect()
        if auth is not None:
            request.headers["Authorization"] = auth
        request.headers["User-Agent"] = "chargeplane-sim"
        ws.send_request(request)
        self.ws = ws
        self._flush()
        charger.on_tcp_connected(self)

    def data_received(self, data: bytes) -> None:
        ws = self.ws
        if ws is None:
            ws = self._handshake(data)
            if ws is None:
                return
            data = self.head
            self.head = b""
            if not data:
                return
        ws.receive_data(data)
        for event in ws.events_received():
            if isinstance(event, Frame):
                if event.opcode is Opcode.TEXT:
                    self.charger.on_text(event.data)
                elif event.opcode is Opcode.BINARY:
                    self.endpoint.stats.protocol_errors["binary_frame"] += 1
            elif isinstance(event, Response):
                self._on_response(ws)
        self._flush()

    def _on_response(self, ws: ClientProtocol) -> None:
        """The server answered the opening handshake websockets drove (compression on)."""
        exc = ws.handshake_exc
        if exc is None:
            self.charger.on_open(ws.subprotocol)
        elif isinstance(exc, InvalidStatus):
            self.charger.on_handshake_failed(f"http_{exc.response.status_code}")
        else:
            self.charger.on_handshake_failed(type(exc).__name__)

    def _handshake(self, data: bytes) -> ClientProtocol | None:
        """Our own opening handshake (no extensions); the ClientProtocol starts OPEN."""
        key = self.key
        if key is None:
            return None
        self.head += data
        outcome = handshake.parse_response(self.head, key)
        if outcome is None:
            return None
        self.key = None
        if not outcome.ok:
            self.head = b""
            self.charger.on_handshake_failed(outcome.reason)
            return None
        self.head = self.head[outcome.consumed :]  # frames that came with the response
        ws = ClientProtocol(self.endpoint.uri, state=OPEN, max_size=MAX_MESSAGE, logger=_LOGGER)
        ws.subprotocol = Subprotocol(outcome.subprotocol) if outcome.subprotocol else None
        self.ws = ws
        self.charger.on_open(outcome.subprotocol)
        return ws

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
            self.transport.close()  # not open (yet): nothing to hand-shake

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
