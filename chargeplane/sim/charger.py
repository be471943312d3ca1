"""One virtual charger: a slotted state machine driven by socket callbacks and timers.

It knows its host (the engine) and its link only through the Protocols in `ports`, and
gets the shared configuration and statistics passed in.

OCPP-J allows one outstanding CALL per direction, so a charger keeps at most one
pending CALL and a short queue (None when empty, to stay small). Timers go on the
event loop's shared heap (`loop.call_at`), one handle per armed timer; call timeouts
are found by the engine's periodic sweep, so no timer is armed per message.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import orjson

from chargeplane.sim.answers import answer
from chargeplane.sim.config import Scenario, SimConfig
from chargeplane.sim.messages import V16, V201, Dialect, Payload, meter_values_201
from chargeplane.sim.ports import Host, Link
from chargeplane.sim.states import (
    AUTHORIZING,
    BOOTING,
    CHARGING,
    HANDSHAKE,
    IDLE_PHASE,
    OFFLINE,
    READY,
    STARTING,
    STEP_METER,
    STEP_NONE,
    STEP_START,
    STEP_STOP,
    STOPPING,
)
from chargeplane.sim.stats import Stats


class Charger:
    __slots__ = (
        "act_timer",
        "attempt",
        "booted_once",
        "config",
        "connect_deadline",
        "cp_id",
        "dialect",
        "hb_interval",
        "hb_timer",
        "host",
        "id_tag",
        "index",
        "link",
        "meter_interval",
        "meter_wh",
        "overrides",
        "pending_action",
        "pending_deadline",
        "pending_step",
        "pending_t0",
        "pending_uid",
        "phase",
        "power_w",
        "queue",
        "seq_no",
        "session_end",
        "state",
        "stats",
        "tx_id",
        "uid_seq",
    )

    def __init__(
        self, host: Host[Charger], config: SimConfig, stats: Stats, index: int, cp_id: str, dialect: Dialect
    ) -> None:
        self.host = host
        self.config = config
        self.stats = stats
        self.index = index
        self.cp_id = cp_id
        self.dialect = dialect
        self.link: Link | None = None
        self.state = OFFLINE
        self.connect_deadline = 0.0
        self.pending_uid: str | None = None
        self.pending_action = ""
        self.pending_step = STEP_NONE
        self.pending_t0 = 0.0
        self.pending_deadline = 0.0
        self.queue: list[tuple[str, Payload, int]] | None = None
        self.uid_seq = 0
        self.hb_interval = 300.0
        self.meter_interval = config.meter_interval
        self.hb_timer: asyncio.TimerHandle | None = None
        self.act_timer: asyncio.TimerHandle | None = None
        self.booted_once = False
        self.attempt = 0
        self.phase = IDLE_PHASE
        self.tx_id: int | str | None = None
        self.id_tag = config.id_tag
        self.meter_wh = 1000 + index
        self.power_w = 11000.0
        self.seq_no = 0
        self.session_end = 0.0
        self.overrides: dict[str, str] | None = None  # set by ChangeConfiguration / SetVariables

    # -- outgoing CALLs -----------------------------------------------------------------
    def call(self, action: str, payload: Payload, step: int = STEP_NONE) -> None:
        if self.state < BOOTING or self.host.stopping:
            return  # offline: a real charger would queue; the scenario restarts on boot
        if self.pending_uid is not None:
            if self.queue is None:
                self.queue = []
            self.queue.append((action, payload, step))
            return
        self._send_call(action, payload, step)

    def _send_call(self, action: str, payload: Payload, step: int) -> None:
        link = self.link
        if link is None:
            return
        self.uid_seq += 1
        uid = str(self.uid_seq)
        if not link.send(orjson.dumps([2, uid, action, payload])):
            if not (link.closing or self.host.stopping):  # our own close is not a loss
                self.stats.lost_in_flight[action] += 1
            return
        now = time.monotonic()
        self.pending_uid = uid
        self.pending_action = action
        self.pending_step = step
        self.pending_t0 = now
        self.pending_deadline = now + self.config.call_timeout
        self.stats.sent += 1

    def _send_next(self) -> None:
        queue = self.queue
        if queue:
            action, payload, step = queue.pop(0)
            if not queue:
                self.queue = None
            self._send_call(action, payload, step)

    def _answer(self, frame: list[Any]) -> None:
        if self.link is not None and self.link.send(orjson.dumps(frame)):
            self.stats.sent += 1

    # -- transport callbacks --------------------------------------------------------------
    def on_tcp_connected(self, link: Link) -> None:
        self.link = link
        self.host.on_link(+1)
        self.state = HANDSHAKE

    def on_handshake_failed(self, reason: str) -> None:
        self.stats.connect_failures[reason] += 1
        if self.link is not None:
            self.link.abort()

    def on_open(self, subprotocol: str | None) -> None:
        stats = self.stats
        if subprotocol != self.dialect.subprotocol:
            stats.protocol_errors[f"subprotocol_{subprotocol}"] += 1
            if self.link is not None:
                self.link.close(1002)
            return
        stats.connects += 1
        if self.booted_once:
            stats.reconnects += 1
        self.state = BOOTING
        self.call("BootNotification", self._boot_payload())

    def _boot_payload(self) -> Payload:
        payload = self.dialect.boot(self.cp_id)
        reset = self.overrides is not None and self.overrides.pop("reset", None) is not None
        if self.dialect is V201 and self.booted_once:
            payload["reason"] = "RemoteReset" if reset else "Unknown"
        return payload

    def on_connection_lost(self, link: Link, reason: str) -> None:
        if link is not self.link:
            return
        host = self.host
        stats = self.stats
        was_connected = self.state >= BOOTING
        was_ready = self.state == READY
        self.link = None
        host.on_link(-1)
        self.state = OFFLINE
        self._cancel_timers()
        if self.pending_uid is not None and not link.closing:
            stats.lost_in_flight[self.pending_action] += 1
        self.pending_uid = None
        self.queue = None
        if self.phase != IDLE_PHASE:
            stats.sessions_failed += 1
            self.phase = IDLE_PHASE
        if was_connected:
            stats.disconnects[reason] += 1
        host.on_offline(self, link.closing, was_ready)

    # -- incoming frames -----------------------------------------------------------------
    def on_text(self, data: bytes | bytearray | memoryview) -> None:
        stats = self.stats
        stats.received += 1
        try:
            msg = orjson.loads(data)
        except orjson.JSONDecodeError:
            stats.protocol_errors["invalid_json"] += 1
            return
        if not isinstance(msg, list) or len(msg) < 3:
            stats.protocol_errors["malformed_frame"] += 1
            return
        kind = msg[0]
        if kind in (3, 4):
            if msg[1] != self.pending_uid:
                stats.protocol_errors["unexpected_or_late_result"] += 1
                return
            action = self.pending_action
            step = self.pending_step
            elapsed = time.monotonic() - self.pending_t0
            self.pending_uid = None
            if self.host.recording:
                stats.latency(action).add(elapsed)
            self._send_next()
            if kind == 3:
                if self.host.recording:
                    stats.results[action] += 1
                payload = msg[2]
                self.on_result(action, step, payload if isinstance(payload, dict) else {})
            else:
                code = str(msg[2]) if len(msg) > 2 else "?"
                stats.call_errors[(action, code)] += 1
                self.on_call_error(action, step, code)
        elif kind == 2 and len(msg) >= 4:
            payload = msg[3]
            self.on_csms_call(str(msg[1]), str(msg[2]), payload if isinstance(payload, dict) else {})
        else:
            stats.protocol_errors["unknown_message_type"] += 1

    def check_timeout(self, now: float) -> None:
        """Called by the engine's sweep. A CALL without answer counts as a timeout."""
        if self.pending_uid is not None and now > self.pending_deadline:
            action, step = self.pending_action, self.pending_step
            self.stats.timeouts[action] += 1
            self.pending_uid = None
            self._send_next()
            self.on_call_error(action, step, "Timeout")
        elif self.state == HANDSHAKE and self.link is not None and 0 < self.connect_deadline < now:
            # TCP is up but the server never answered the upgrade request.
            self.stats.timeouts["handshake"] += 1
            self.connect_deadline = 0.0
            self.link.abort()

    # -- results of our CALLs ---------------------------------------------------------------
    def on_result(self, action: str, step: int, payload: Payload) -> None:
        config = self.config
        if action == "BootNotification":
            self._on_boot_result(payload)
        elif config.scenario is Scenario.THROUGHPUT and action == config.load_action:
            self._send_load()
        elif action == "Authorize":
            self._on_authorized(payload)
        elif step == STEP_START:
            self._on_started(payload)
        elif step == STEP_STOP:
            self._end_session(failed=False)

    def _on_boot_result(self, payload: Payload) -> None:
        status = str(payload.get("status", "?"))
        self.stats.boot_status[status] += 1
        interval = payload.get("interval")
        if status != "Accepted":  # Pending / Rejected: retry after the interval the CSMS asked for
            retry = float(interval) if isinstance(interval, int) and interval > 0 else 10.0
            self._arm_activity(retry, self._retry_boot)
            return
        config = self.config
        first, was_ready = not self.booted_once, self.state == READY
        if config.heartbeat_interval is not None:
            self.hb_interval = config.heartbeat_interval
        elif isinstance(interval, int) and interval > 0:
            self.hb_interval = float(interval)
        self.state = READY
        self.booted_once = True
        self.attempt = 0
        for connector in range(0 if self.dialect is V16 else 1, config.connectors + 1):
            self.call("StatusNotification", self.dialect.status(connector, self.dialect.available))
        self._arm_heartbeat()
        if not was_ready:  # a triggered re-boot is not a new connection
            self.host.on_booted(self, first)

    def _on_authorized(self, payload: Payload) -> None:
        status = self.dialect.auth_status("Authorize", payload)
        self.stats.auth_status[status] += 1
        if self.phase != AUTHORIZING:
            return
        if status == "Accepted":
            self._start_transaction()
        else:
            self._end_session(failed=True)

    def on_call_error(self, action: str, step: int, code: str) -> None:
        if action == "BootNotification":
            self._arm_activity(10.0, self._retry_boot)
        elif self.config.scenario is Scenario.THROUGHPUT and action == self.config.load_action:
            self._send_load()
        elif action == "Authorize" and self.phase == AUTHORIZING:
            # The CSMS could not decide (e.g. Authorize not implemented): try the
            # transaction anyway, as a charger with unknown-id offline rules would.
            self._start_transaction()
        elif step in (STEP_START, STEP_STOP):
            self._end_session(failed=True)

    def _retry_boot(self) -> None:
        self.act_timer = None
        if self.state == BOOTING:
            self.call("BootNotification", self._boot_payload())

    # -- timers -------------------------------------------------------------------------
    def _arm_heartbeat(self) -> None:
        if self.hb_timer is not None:
            self.hb_timer.cancel()
        self.hb_timer = self.host.loop.call_later(self.hb_interval, self._heartbeat)

    def _heartbeat(self) -> None:
        self.hb_timer = None
        if self.state == READY:
            self.call("Heartbeat", {})
            self._arm_heartbeat()

    def _arm_activity(self, delay: float, callback: Callable[[], Any]) -> None:
        if self.act_timer is not None:
            self.act_timer.cancel()
        self.act_timer = self.host.loop.call_later(delay, callback)

    def _cancel_timers(self) -> None:
        if self.hb_timer is not None:
            self.hb_timer.cancel()
            self.hb_timer = None
        if self.act_timer is not None:
            self.act_timer.cancel()
            self.act_timer = None

    # -- scenario activity ----------------------------------------------------------------
    def begin_scenario(self) -> None:
        """Called by the engine once the charger is booted (and after a warm-up if any)."""
        config = self.config
        scenario = config.scenario
        rand = self.host.rand
        if scenario is Scenario.SESSIONS:
            self._arm_activity(rand.expovariate(1.0 / config.session_interval), self.start_session)
        elif scenario is Scenario.STATUS_CHURN:
            self._arm_activity(rand.uniform(0, config.status_interval), self._churn)
        elif scenario is Scenario.RECONNECT:
            self._arm_activity(rand.expovariate(1.0 / config.reconnect_interval), self._drop)
        elif scenario is Scenario.THROUGHPUT:
            self._send_load()

    def _send_load(self) -> None:
        if self.state != READY or self.host.stopping:
            return
        action = self.config.load_action
        if action == "MeterValues":
            self.meter_wh += 10
            if self.dialect is V16:
                payload = V16.meter(1, None, self.meter_wh, self.power_w, 0)
            else:
                payload = meter_values_201(1, self.meter_wh, self.power_w)
        elif action == "StatusNotification":
            payload = self.dialect.status(1, self.dialect.available)
        elif action == "Authorize":  # the same token every time: an auth-cache hit (G7)
            payload = self.dialect.authorize(self.config.id_tag)
        else:
            payload = {}
        self.call(action, payload)

    def _churn(self) -> None:
        self.act_timer = None
        if self.state != READY:
            return
        states = self.dialect.churn_states
        self.seq_no += 1
        self.call("StatusNotification", self.dialect.status(1, states[self.seq_no % len(states)]))
        self._arm_activity(self.host.rand.expovariate(1.0 / self.config.status_interval), self._churn)

    def _drop(self) -> None:
        """Reconnect scenario: the connection drops (e.g. cellular loss)."""
        self.act_timer = None
        if self.link is not None and self.state == READY:
            self.link.abort()

    def start_session(self, id_tag: str | None = None, authorize: bool = True) -> bool:
        self.act_timer = None
        if self.state != READY or self.phase != IDLE_PHASE:
            return False
        self.id_tag = id_tag or f"{self.config.id_tag}{self.index % 1000}"
        self.power_w = self.host.rand.choice((3700.0, 7400.0, 11000.0, 22000.0))
        self.stats.sessions_started += 1
        if self.dialect is V16:
            self.call("StatusNotification", V16.status(1, "Preparing"))
        else:
            self.call("StatusNotification", V201.status(1, V201.occupied))
        if authorize:
            self.phase = AUTHORIZING
            self.call("Authorize", self.dialect.authorize(self.id_tag))
        else:
            self._start_transaction()
        return True

    def _start_transaction(self) -> None:
        self.phase = STARTING
        self.seq_no = 0
        self.tx_id = f"{self.cp_id}-{self.uid_seq}-{int(time.time())}" if self.dialect is V201 else None
        key = str(self.tx_id)
        self.call(self.dialect.start_action, self.dialect.start(1, self.id_tag, self.meter_wh, key), STEP_START)

    def _on_started(self, payload: Payload) -> None:
        if self.phase != STARTING:
            return
        dialect = self.dialect
        if dialect is V16:
            status = dialect.auth_status("StartTransaction", payload)
            tx_id = dialect.parse_tx_id("StartTransaction", payload)
            if status != "Accepted" or tx_id is None:
                self.stats.auth_status[f"start_{status}"] += 1
                # 1.6 §5.17: a rejected idTag still has a transaction id; stop it properly.
                if tx_id is not None:
                    self.tx_id = tx_id
                    self._stop_transaction("DeAuthorized")
                else:
                    self._end_session(failed=True)
                return
            self.tx_id = tx_id
            self.call("StatusNotification", V16.status(1, "Charging"))
        self.phase = CHARGING
        self.session_end = time.monotonic() + self.config.session_duration
        self._arm_activity(self.meter_interval, self._meter_tick)

    def _meter_tick(self) -> None:
        self.act_timer = None
        if self.phase != CHARGING or self.state != READY:
            return
        self.meter_wh += int(self.power_w * self.meter_interval / 3600.0)
        if time.monotonic() >= self.session_end:
            self._stop_transaction("Local")
            return
        self.seq_no += 1
        payload = self.dialect.meter(1, self.tx_id, self.meter_wh, self.power_w, self.seq_no)
        self.call(self.dialect.meter_action, payload, STEP_METER)
        self._arm_activity(self.meter_interval, self._meter_tick)

    def _stop_transaction(self, reason: str) -> None:
        self.phase = STOPPING
        self.seq_no += 1
        payload = self.dialect.stop(1, self.tx_id, self.id_tag, self.meter_wh, self.seq_no, reason)
        self.call(self.dialect.stop_action, payload, STEP_STOP)

    def _end_session(self, failed: bool) -> None:
        stats = self.stats
        if failed:
            stats.sessions_failed += 1
        else:
            stats.sessions_completed += 1
        self.phase = IDLE_PHASE
        self.tx_id = None
        if self.dialect is V16 and not failed:
            self.call("StatusNotification", V16.status(1, "Finishing"))
        self.call("StatusNotification", self.dialect.status(1, self.dialect.available))
        if self.config.scenario is Scenario.SESSIONS and self.state == READY:
            gap = self.host.rand.expovariate(1.0 / self.config.session_interval)
            self._arm_activity(gap, self.start_session)

    # -- CALLs from the CSMS ---------------------------------------------------------------
    def on_csms_call(self, uid: str, action: str, payload: Payload) -> None:
        stats = self.stats
        stats.csms_calls[action] += 1
        if action not in self.dialect.csms_actions:
            stats.csms_not_implemented[action] += 1
            self._answer([4, uid, "NotImplemented", f"{action} is not implemented by chargeplane sim", {}])
            return
        response, follow_up = answer(self, action, payload)
        self._answer([3, uid, response])
        if follow_up is not None:
            self.host.loop.call_soon(follow_up)

    def set_override(self, key: str, value: str) -> None:
        if self.overrides is None:
            self.overrides = {}
        self.overrides[key] = value
        if key == "HeartbeatInterval":
            try:
                self.hb_interval = max(1.0, float(value))
            except ValueError:
                return
            if self.state == READY:
                self._arm_heartbeat()
        elif key in ("MeterValueSampleInterval", "TxUpdatedInterval"):
            try:
                self.meter_interval = max(1.0, float(value))
            except ValueError:
                return

    def remote_stop(self) -> None:
        if self.phase == CHARGING:
            self._stop_transaction("Remote")

    def backoff_delay(self) -> float:
        """OCPP 2.0.1 back-off, honouring RetryBackOff* set by the CSMS via SetVariables."""
        base = self.config.backoff
        wait, spread, repeat = base.wait_minimum, base.random_range, base.repeat_times
        if self.overrides:
            try:
                wait = float(self.overrides.get("RetryBackOffWaitMinimum", wait))
                spread = float(self.overrides.get("RetryBackOffRandomRange", spread))
                repeat = int(self.overrides.get("RetryBackOffRepeatTimes", repeat))
            except ValueError:
                pass
        doublings = min(self.attempt, repeat)
        return wait * (1 << doublings) + self.host.rand.random() * spread

    def reboot(self) -> None:
        """Reset: drop the connection; the engine reconnects after a short boot delay."""
        self.set_override("reset", "1")
        if self.phase in (CHARGING, STARTING, STOPPING):
            self._stop_transaction("HardReset" if self.dialect is V16 else "ImmediateReset")
            self.host.loop.call_later(0.5, self._close_for_reboot)
        else:
            self._close_for_reboot()

    def _close_for_reboot(self) -> None:
        if self.link is not None:
            self.host.on_reboot(self)
            self.link.close(1000)

    def trigger(self, message: str) -> None:
        """TriggerMessage follow-up: send the requested message now."""
        if self.state < BOOTING:
            return
        if message == "BootNotification":
            self.call("BootNotification", self._boot_payload())
        elif message == "Heartbeat":
            self.call("Heartbeat", {})
        elif message == "StatusNotification":
            status = self.dialect.occupied if self.phase == CHARGING else self.dialect.available
            self.call("StatusNotification", self.dialect.status(1, status))
        elif message == "MeterValues":
            if self.dialect is V16:
                payload = V16.meter(1, self.tx_id, self.meter_wh, self.power_w, 0)
                for sample in payload["meterValue"][0]["sampledValue"]:
                    sample["context"] = "Trigger"
            else:
                payload = meter_values_201(1, self.meter_wh, self.power_w)
                for sample in payload["meterValue"][0]["sampledValue"]:
                    sample["context"] = "Trigger"
            self.call("MeterValues", payload)

    @property
    def in_session(self) -> bool:
        return self.phase != IDLE_PHASE
