"""Delivers the outbox to partners: concurrently across partners and ordering keys, one at a
time within a key, at most `ocpi_push_concurrency` requests in flight per partner, each
bounded by the request timeout, so a partner that is down only delays its own pushes.

Outcomes: 2xx with an OCPI 1xxx (or no envelope) is delivered. An EVSE push the partner
cannot apply (HTTP 404, or OCPI 2003 unknown location: it lost or never got the location)
becomes a PUT of the whole location, as the transport chapter asks for a failed PATCH ("if
the object doesn't exist, the client should do a PUT"). Other
client errors (the partner rejects the content) are dead at once; everything else
(unreachable, timeout, 5xx, 3xxx, 401 while a token is being rotated) is retried with
backoff until `ocpi_push_max_attempts`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import Counter as Tally
from collections.abc import Callable
from datetime import UTC, datetime

import asyncpg
from prometheus_client import Counter, Gauge

from chargeplane.config import Settings
from chargeplane.domain.ocpi.credentials import endpoint_url, push_audience
from chargeplane.domain.ocpi.enums import InterfaceRole, ModuleID, StatusCode
from chargeplane.domain.ocpi.locations import Party, Push, location_object, location_path

from .client import OcpiClient, PeerError, Routing
from .credential_tokens import TokenCipher
from .location_store import LocationStore
from .outbox import Outbox, OutboxItem, backoff
from .partners import Partner, PartnerRepository, PartnerState

log = logging.getLogger(__name__)

PUSHES = Counter("chargeplane_ocpi_pushes_total", "Pushes to partners by outcome.", ["partner", "module", "outcome"])
PUSH_LAG = Gauge("chargeplane_ocpi_push_lag_seconds", "Age of the oldest undelivered push, per partner.", ["partner"])
PUSH_PENDING = Gauge("chargeplane_ocpi_push_pending", "Undelivered pushes per partner.", ["partner"])
PUSH_DEAD = Gauge("chargeplane_ocpi_push_dead", "Pushes given up on (kept for inspection), per partner.", ["partner"])

POLL_INTERVAL = 0.5
STATS_INTERVAL = 5.0
PRUNE_INTERVAL = 3600.0
CLAIM_LIMIT = 200


class Pusher:
    def __init__(
        self,
        settings: Settings,
        outbox: Outbox,
        partners: PartnerRepository,
        store: LocationStore,
        client: OcpiClient,
        cipher: TokenCipher,
        party: Party,
    ) -> None:
        self.settings = settings
        self.outbox = outbox
        self.partners = partners
        self.store = store
        self.client = client
        self.cipher = cipher
        self.party = party
        self._wake = asyncio.Event()
        self._in_flight: Tally[uuid.UUID] = Tally()
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._names: dict[uuid.UUID, str] = {}

    def wake(self) -> None:
        """New rows were committed: look now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name="ocpi-pusher")

    async def stop(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_stats = next_prune = 0.0
        while True:
            try:
                if loop.time() >= next_stats:
                    await self._export_stats()
                    next_stats = loop.time() + STATS_INTERVAL
                if loop.time() >= next_prune:
                    await self.outbox.prune_dead()
                    next_prune = loop.time() + PRUNE_INTERVAL
                await self._dispatch()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                log.warning("OCPI push loop: storage unavailable, retrying", exc_info=True)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), POLL_INTERVAL)

    async def _dispatch(self) -> None:
        per_partner = self.settings.ocpi_push_concurrency
        free = {p: per_partner - n for p, n in self._in_flight.items() if n}
        lease = self.settings.ocpi_request_timeout * 3 + 5
        for item in await self.outbox.claim(lease=lease, limit=CLAIM_LIMIT, per_partner=per_partner, free=free):
            self._in_flight[item.partner_id] += 1
            task = asyncio.create_task(self._deliver(item))
            self._tasks.add(task)
            task.add_done_callback(self._done(item.partner_id))

    def _done(self, partner_id: uuid.UUID) -> Callable[[asyncio.Task[None]], None]:
        def done(task: asyncio.Task[None]) -> None:
            self._tasks.discard(task)
            self._in_flight[partner_id] -= 1
            if self._in_flight[partner_id] <= 0:
                del self._in_flight[partner_id]
            if not task.cancelled() and task.exception() is not None:
                log.error("OCPI push task failed", exc_info=task.exception())
            self._wake.set()  # the next row of this key may go now

        return done

    async def _deliver(self, item: OutboxItem) -> None:
        partner = await self.partners.get(item.partner_id)
        if partner is None or partner.state is not PartnerState.REGISTERED:
            await self.outbox.drop(item)
            return
        self._names[partner.id] = partner.name
        if item.path.startswith(("https://", "http://")):
            # An address the partner gave (a command's response_url): used as it is.
            target: str | None = item.path
        else:
            endpoint = endpoint_url(partner.endpoints, item.module, InterfaceRole.RECEIVER)
            target = endpoint.rstrip("/") + item.path if endpoint else None
        blob = await self.partners.peer_token(partner.id)
        if target is None or blob is None:
            await self._fail(partner, item, f"partner has no {item.module} receiver endpoint", retry=False)
            return
        audience = push_audience(partner.roles)
        routing = Routing(self.party, Party(audience.country_code, audience.party_id) if audience else None)
        try:
            await self.client.request(
                item.method,
                target,
                self.cipher.decrypt(blob),
                body=item.body,
                routing=routing,
                correlation_id=str(item.correlation_id),
            )
        except PeerError as exc:
            below_location = item.ordering_key.startswith("location:") and item.path.count("/") > 3
            if below_location and (exc.http_status == 404 or exc.status_code == StatusCode.UNKNOWN_LOCATION):
                await self._put_location_instead(partner, item)
                return
            retry = exc.server_side or exc.http_status in (401, 403, 408, 429)
            await self._fail(partner, item, str(exc), retry=retry)
            return
        await self.outbox.delivered(item)
        PUSHES.labels(partner.name, item.module, "delivered").inc()

    async def _fail(self, partner: Partner, item: OutboxItem, message: str, *, retry: bool) -> None:
        give_up = not retry or item.attempts >= self.settings.ocpi_push_max_attempts
        retry_in = None if give_up else backoff(item.attempts, self.settings.ocpi_push_max_backoff)
        dead = await self.outbox.failed(item, message, retry_in=retry_in)
        PUSHES.labels(partner.name, item.module, "dead" if dead else "retry").inc()
        log.log(
            logging.WARNING if dead else logging.INFO,
            "push %s %s to partner %s failed (attempt %d)%s: %s",
            item.method,
            item.path,
            partner.name,
            item.attempts,
            ", given up" if dead else f", retry in {retry_in:.1f}s",
            message,
        )

    async def _put_location_instead(self, partner: Partner, item: OutboxItem) -> None:
        location_id = item.ordering_key.removeprefix("location:")
        async with self.outbox.pool.acquire() as conn, conn.transaction():
            await conn.execute("DELETE FROM ocpi_outbox WHERE id = $1", item.id)
            state = await self.store.state(conn, location_id)
            if state is not None:
                body = location_object(state.body, state.evses, state.last_updated)
                push = Push("PUT", location_path(self.party, location_id), body, item.ordering_key, "location")
                await Outbox.enqueue(conn, partner.id, ModuleID.LOCATIONS.value, push, item.ordering_key)
        PUSHES.labels(partner.name, item.module, "replaced_by_put").inc()
        log.info("partner %s did not know location %s: sending all of it", partner.name, location_id)
        self._wake.set()

    async def _export_stats(self) -> None:
        stats = await self.outbox.stats()
        now = datetime.now(UTC)
        for partner_id, name in list(self._names.items()):
            if partner_id not in stats:
                PUSH_LAG.labels(name).set(0)
                PUSH_PENDING.labels(name).set(0)
        for partner_id, s in stats.items():
            if partner_id not in self._names:
                partner = await self.partners.get(partner_id)
                if partner is None:
                    continue
                self._names[partner_id] = partner.name
            name = self._names[partner_id]
            PUSH_LAG.labels(name).set((now - s.oldest_pending_at).total_seconds() if s.oldest_pending_at else 0)
            PUSH_PENDING.labels(name).set(s.pending)
            PUSH_DEAD.labels(name).set(s.dead)
