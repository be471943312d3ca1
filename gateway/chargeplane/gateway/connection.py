"""One charger's OCPP-J RPC session over a WebSocket.

Rules (OCPP-J 1.6 / 2.0.1 Part 4 §4):
- every malformed frame gets a CALLERROR in the connection's own spelling, and the socket
  stays open; when the message id cannot be read the CALLERROR carries "-1";
- at most one CSMS CALL is outstanding; further CSMS calls wait their turn (bounded);
- a charger CALL that arrives while our CALL waits is handled at once (calls may cross);
- a charger's CALLs are handled one at a time in arrival order: a second CALL while the
  first is being handled is queued, not rejected (real multi-connector 1.6 chargers do
  send them back to back); a duplicate of a message id still in the queue is dropped, so
  a handler never runs twice for one message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from typing import Protocol as TypingProtocol

import orjson
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from chargeplane.domain.chargepoints import Protocol, RegistrationStatus
from chargeplane.gateway import metrics, validation
from chargeplane.gateway.errors import VALID_CODES, ErrorKind, OcppError, error_code
from chargeplane.tasks import spawn
from chargeplane.telemetry.logs import cp_id_var
from chargeplane.telemetry.tracing import tracer

log = logging.getLogger(__name__)

CALL, CALLRESULT, CALLERROR = 2, 3, 4
MAX_MESSAGE_ID = 36
UNREADABLE_ID = "-1"

Handler = Callable[["OcppConnection", dict[str, Any]], Awaitable[dict[str, Any]]]


class Dispatcher(TypingProtocol):
    """Maps a charger-initiated action to its handler for one protocol version."""

    @property
    def protocol(self) -> Protocol: ...

    def handler(self, action: str) -> Handler | None: ...


@dataclass(frozen=True, slots=True)
class CallResult:
    message_id: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CallErrorReply:
    message_id: str
    code: str
    description: str
    details: dict[str, Any]


class CallRejected(Exception):
    """A CSMS CALL could not be sent or answered."""


class InvalidCall(CallRejected):
    """The action or payload is not valid for the charger's protocol version."""


class ChargerBusy(CallRejected):
    """Too many CSMS CALLs are already waiting for this charger."""


class ConnectionGone(CallRejected):
    """The socket closed before the charger answered. `sent` tells whether the CALL went
    out: if it did, the charger may have acted on it, so it must not be sent again."""

    def __init__(self, message: str, *, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent


class ChargerTimeout(Exception):
    """The charger did not answer a CSMS CALL in time."""


class OcppConnection:
    # Thousands live per process (G1 budget: <= 20 KiB each, sockets included): no
    # per-instance __dict__, and per-connection structures stay small or are made lazily.
    __slots__ = (
        "_call_lock",
        "_call_waiters",
        "_inbox",
        "_inbox_limit",
        "_m",
        "_on_activity",
        "_pending",
        "_pending_action",
        "_pending_id",
        "_span_prefix",
        "_worker",
        "boot_status",
        "call_timeout",
        "connected_at",
        "cp_id",
        "dispatcher",
        "epoch",
        "protocol",
        "site",
        "ws",
    )

    def __init__(
        self,
        ws: ServerConnection,
        *,
        cp_id: str,
        site: str | None,
        dispatcher: Dispatcher,
        call_queue_limit: int,
        call_timeout: float,
        on_activity: Callable[[str], None],
    ) -> None:
        self.ws = ws
        self.cp_id = cp_id
        self.site = site
        self.protocol = dispatcher.protocol
        self.dispatcher = dispatcher
        self.call_timeout = call_timeout
        self._on_activity = on_activity
        self.boot_status: RegistrationStatus | None = None  # last boot answer on this socket
        self.epoch = 0  # fencing token from the connection registry
        self.connected_at = time.time()
        self._inbox: list[tuple[str, str, Any]] = []  # short (<= call_queue_limit)
        self._inbox_limit = call_queue_limit
        self._worker: asyncio.Task[None] | None = None
        # CSMS -> charger: one outstanding CALL; others wait on the lock (FIFO).
        self._call_lock: asyncio.Lock | None = None
        self._call_waiters = 0
        self._pending_id: str | None = None
        self._pending_action = ""
        self._pending: asyncio.Future[CallResult | CallErrorReply] | None = None
        self._m = metrics.for_protocol(self.protocol)
        self._span_prefix = "Ocpp16" if self.protocol is Protocol.OCPP16 else "Ocpp201"

    # ---------------------------------------------------------------- receiving
    async def run(self) -> None:
        """Read frames until the socket closes."""
        cp_id_var.set(self.cp_id)
        try:
            async for frame in self.ws:
                self.on_frame(frame)
        except ConnectionClosed:
            pass
        finally:
            if self._pending is not None and not self._pending.done():
                self._pending.set_exception(ConnectionGone("the charger disconnected before answering", sent=True))

    def on_frame(self, frame: str | bytes) -> None:
        try:
            msg = orjson.loads(frame)
        except orjson.JSONDecodeError:
            self._reject_frame(UNREADABLE_ID, ErrorKind.RPC_FRAMEWORK, "message is not valid JSON")
            return
        if not isinstance(msg, list) or not msg:
            self._reject_frame(UNREADABLE_ID, ErrorKind.RPC_FRAMEWORK, "message must be a non-empty JSON array")
            return
        type_id = msg[0]
        message_id = msg[1] if len(msg) > 1 and isinstance(msg[1], str) else None
        if type_id == CALL:
            self._on_call(msg, message_id)
        elif type_id in (CALLRESULT, CALLERROR):
            self._on_reply(msg, message_id)
        elif type(type_id) is int:
            self._reject_frame(
                message_id or UNREADABLE_ID,
                ErrorKind.MESSAGE_TYPE_NOT_SUPPORTED,
                f"MessageTypeId {type_id} is not supported",
            )
        else:
            self._reject_frame(message_id or UNREADABLE_ID, ErrorKind.RPC_FRAMEWORK, "MessageTypeId must be a number")

    def _on_call(self, msg: list[Any], message_id: str | None) -> None:
        if message_id is None:
            self._reject_frame(UNREADABLE_ID, ErrorKind.RPC_FRAMEWORK, "message id must be a string")
            return
        if not message_id or len(message_id) > MAX_MESSAGE_ID:
            self._reject_frame(message_id, ErrorKind.RPC_FRAMEWORK, "message id must be 1 to 36 characters")
            return
        if len(msg) != 4:
            kind = ErrorKind.PROTOCOL if len(msg) < 4 else ErrorKind.RPC_FRAMEWORK
            self._reject_frame(message_id, kind, "a CALL has exactly 4 elements: [2, id, action, payload]")
            return
        action = msg[2]
        if not isinstance(action, str):
            self._reject_frame(message_id, ErrorKind.RPC_FRAMEWORK, "action must be a string")
            return
        if any(queued[0] == message_id for queued in self._inbox):
            log.warning("dropping duplicate CALL %s (%s) still being handled", message_id, action)
            return
        if len(self._inbox) >= self._inbox_limit:
            self._reject_frame(message_id, ErrorKind.GENERIC, "too many CALLs queued for this connection")
            return
        self._inbox.append((message_id, action, msg[3]))
        if self._worker is None:
            self._worker = asyncio.create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self._inbox:
                message_id, action, payload = self._inbox[0]
                try:
                    await self._handle_call(message_id, action, payload)
                finally:
                    del self._inbox[0]
        finally:
            self._worker = None

    async def _handle_call(self, message_id: str, action: str, payload: Any) -> None:
        started = time.perf_counter()
        self._on_activity(self.cp_id)  # any CALL counts as "seen"; batched by the backend
        known = action in validation.known_actions(self.protocol)
        label = action if known else "(unknown)"  # bounded metric labels, whatever chargers send
        self._m.received(label)
        span = tracer.start_span(
            f"{self._span_prefix}/{label}",
            kind=SpanKind.SERVER,
            attributes={
                "rpc.system": "ocpp",
                "rpc.method": label,
                "ocpp.message_id": message_id,
                "ocpp.charge_point_id": self.cp_id,
            },
        )
        try:
            with trace.use_span(span, end_on_exit=True):
                await self._dispatch(message_id, action, label, known, payload, started, span)
        except ConnectionClosed:
            pass

    async def _dispatch(
        self, message_id: str, action: str, label: str, known: bool, payload: Any, started: float, span: Span
    ) -> None:
        try:
            handler = self.dispatcher.handler(action)
            if handler is None:
                if known:
                    raise OcppError(ErrorKind.NOT_SUPPORTED, f"{action} is not supported by this CSMS")
                raise OcppError(ErrorKind.NOT_IMPLEMENTED, f"unknown action {action!r}")
            validation.validate(self.protocol, action, "request", payload)
            if self.boot_status is RegistrationStatus.REJECTED and action != "BootNotification":
                raise OcppError(ErrorKind.SECURITY, "the charger's boot was rejected; send BootNotification first")
            result = await handler(self, payload)
            validation.validate(self.protocol, action, "response", result)
        except OcppError as exc:
            span.set_attribute("rpc.response.status_code", error_code(exc.kind, self.protocol))
            await self._send_error(message_id, exc.kind, exc.description, exc.details, label)
        except ConnectionClosed:
            raise
        except Exception as exc:
            span.record_exception(exc)
            span.set_attribute("error.type", type(exc).__name__)
            log.exception("handler for %s failed", action)
            await self._send_error(message_id, ErrorKind.INTERNAL, "internal error while handling the CALL", {}, label)
        else:
            await self._send([CALLRESULT, message_id, result])
            self._m.handled(action, time.perf_counter() - started)

    def _on_reply(self, msg: list[Any], message_id: str | None) -> None:
        pending = self._pending
        if message_id is None or pending is None or pending.done() or message_id != self._pending_id:
            # A CALLERROR only ever answers a CALL (EVerest libocpp #995): log and drop.
            log.warning("dropping a reply to unknown or expired CALL %r", message_id)
            return
        if msg[0] == CALLRESULT:
            payload = msg[2] if len(msg) == 3 else None
            try:
                validation.validate(self.protocol, self._pending_action, "response", payload)
            except OcppError as exc:
                pending.set_result(
                    CallErrorReply(message_id, error_code(exc.kind, self.protocol), exc.description, exc.details)
                )
                return
            assert isinstance(payload, dict)
            pending.set_result(CallResult(message_id, payload))
            return
        if len(msg) != 5 or not isinstance(msg[2], str):
            pending.set_result(CallErrorReply(message_id, "ProtocolError", "malformed CALLERROR from charger", {}))
            return
        code, description, details = msg[2], msg[3], msg[4]
        if code not in VALID_CODES[self.protocol]:
            log.warning("charger sent an unknown CALLERROR code %r", code)
        pending.set_result(
            CallErrorReply(
                message_id,
                code,
                description if isinstance(description, str) else "",
                details if isinstance(details, dict) else {},
            )
        )

    # ---------------------------------------------------------------- sending
    async def call(
        self, action: str, payload: dict[str, Any], timeout: float | None = None
    ) -> CallResult | CallErrorReply:
        """Send a CSMS-initiated CALL and wait for the charger's answer."""
        try:
            validation.validate(self.protocol, action, "request", payload)
        except (OcppError, KeyError) as exc:
            detail = exc.description if isinstance(exc, OcppError) else f"unknown action {action!r}"
            raise InvalidCall(f"invalid {action} for {self.protocol.value}: {detail}") from exc
        if self._call_waiters >= self._inbox_limit:
            raise ChargerBusy("too many commands queued for this charger")
        if self._call_lock is None:
            self._call_lock = asyncio.Lock()
        self._call_waiters += 1
        try:
            async with self._call_lock:
                message_id = str(uuid.uuid4())
                loop = asyncio.get_running_loop()
                future: asyncio.Future[CallResult | CallErrorReply] = loop.create_future()
                self._pending = future
                self._pending_id, self._pending_action = message_id, action
                try:
                    try:
                        await self._send([CALL, message_id, action, payload])
                    except ConnectionClosed as exc:
                        raise ConnectionGone("the charger disconnected", sent=False) from exc
                    self._m.sent(action)
                    return await asyncio.wait_for(future, timeout or self.call_timeout)
                except TimeoutError:
                    raise ChargerTimeout(f"{self.cp_id} did not answer {action} in time") from None
                finally:
                    self._pending = None
                    self._pending_id = None
        finally:
            self._call_waiters -= 1

    async def _send(self, msg: list[Any]) -> None:
        await self.ws.send(orjson.dumps(msg).decode())

    async def _send_error(
        self, message_id: str, kind: ErrorKind, description: str, details: dict[str, Any], action: str
    ) -> None:
        code = error_code(kind, self.protocol)
        self._m.error(action, code)
        await self._send([CALLERROR, message_id, code, description[:255], details])

    def _reject_frame(self, message_id: str, kind: ErrorKind, description: str) -> None:
        """Answer a frame that never reached a handler. Sent without awaiting: the
        receive loop must not stall behind a slow writer."""
        code = error_code(kind, self.protocol)
        self._m.error("(frame)", code)
        log.warning("malformed frame: %s", description)
        spawn(self._send_quietly([CALLERROR, message_id, code, description, {}]))

    async def _send_quietly(self, msg: list[Any]) -> None:
        with contextlib.suppress(ConnectionClosed):
            await self._send(msg)
