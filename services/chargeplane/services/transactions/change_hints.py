"""Wake-ups for long polls of the change feed: best effort, the table is the truth.

After a commit that wrote changes, the writing process wakes its own waiting readers at
once and publishes a hint on a Redis channel (coalesced: one PUBLISH in flight at a time);
every transactions-service process subscribes and wakes its readers. A lost hint (Redis
down, a subscription being re-established) only delays a reader until its next re-read
(`transaction_changes_poll_interval`).

Readers take a `token` before reading the table and wait on it: a hint that arrives
between their read and their wait still wakes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class ChangeHints:
    def __init__(self, redis: Redis, channel: str) -> None:
        self.redis = redis
        self.channel = channel
        self._event = asyncio.Event()
        self._publishing = False
        self._again = False
        self._listener: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def token(self) -> asyncio.Event:
        """What a reader waits on, taken before it reads the table."""
        self._ensure_listening()
        return self._event

    async def wait(self, token: asyncio.Event, timeout: float) -> None:
        """Until a change was committed after `token` was taken, or `timeout` seconds."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(token.wait(), timeout)

    def committed(self) -> None:
        """This process committed changes: wake local readers, hint the other processes."""
        self._wake()
        if self._publishing:
            self._again = True
            return
        self._publishing = True
        self._spawn(self._publish())

    async def stop(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._listener = None

    def _wake(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _publish(self) -> None:
        try:
            while True:
                self._again = False
                try:
                    await self.redis.publish(self.channel, b"1")
                except (RedisError, OSError) as exc:
                    log.debug("change hint not published: %s", exc)
                if not self._again:
                    return
        finally:
            self._publishing = False

    def _ensure_listening(self) -> None:
        if self._listener is None or self._listener.done():
            self._listener = self._spawn(self._listen())

    async def _listen(self) -> None:
        backoff = 0.1
        while True:
            try:
                async with self.redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self.channel)
                    self._wake()  # anything committed while not subscribed is re-read now
                    backoff = 0.1
                    async for _message in pubsub.listen():
                        self._wake()
            except (RedisError, OSError) as exc:
                log.debug("change hints: %s; resubscribing in %.1fs", exc, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)
