"""A webhook receiver for the G15 bench, run as its own process (so it does not share the
billing process's event loop or GIL): it checks every delivery's signature the way the
documentation tells a receiver to (chargeplane.services.billing.webhooks.verify), counts
distinct event ids and times the flow in its own clock.

    python -m bench.billing_receiver     # prints its port, then serves until killed

POST /secret  the subscription's secret (the body), known once the webhook is created
POST /reset   forget first/last (the next run's span starts afresh)
POST /hook    a delivery: 204 when the signature is valid, 400 otherwise
GET  /stats   {"events", "duplicates", "bad_signatures", "first", "last"} (monotonic s)
"""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from chargeplane.services.billing.webhooks import verify


class Receiver:
    def __init__(self) -> None:
        self.secret = ""
        self.seen: set[str] = set()
        self.duplicates = 0
        self.bad_signatures = 0
        self.first: float | None = None
        self.last: float | None = None

    async def set_secret(self, request: web.Request) -> web.Response:
        self.secret = (await request.read()).decode()
        return web.Response(status=204)

    async def reset(self, request: web.Request) -> web.Response:
        self.first = self.last = None
        return web.Response(status=204)

    async def hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not verify(self.secret, request.headers.get("Chargeplane-Signature", ""), body):
            self.bad_signatures += 1
            return web.Response(status=400)
        event_id = request.headers.get("Idempotency-Key", "")
        if event_id in self.seen:
            self.duplicates += 1
        else:
            self.seen.add(event_id)
        now = time.monotonic()
        self.first = now if self.first is None else self.first
        self.last = now
        return web.Response(status=204)

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "events": len(self.seen),
                "duplicates": self.duplicates,
                "bad_signatures": self.bad_signatures,
                "first": self.first,
                "last": self.last,
            }
        )


async def serve() -> None:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/secret", receiver.set_secret)
    app.router.add_post("/reset", receiver.reset)
    app.router.add_post("/hook", receiver.hook)
    app.router.add_get("/stats", receiver.stats)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
    print(port, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(serve())
