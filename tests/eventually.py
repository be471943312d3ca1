"""The one way tests wait for a condition: a bounded poll that tolerates transient errors.

CI runs on a busy 2-core machine. A fixed `sleep` followed by an assert fails whenever the
machine is slower than the sleep assumed, so tests never use one as synchronisation. They
poll with `eventually` instead: it re-evaluates `check` (sync or async) until it returns a
truthy value without raising, and fails with the last error once `timeout` has passed.

`still` is the negative counterpart: it asserts that a condition keeps holding for a
while (e.g. "the victim is still connected"); it is the only place a bounded wait is
the assertion itself.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar, overload

T = TypeVar("T")

# Errors a check may raise while the system under test is still settling: a failed
# assert, a missing key or row, a connection refused or reset during a restart.
TRANSIENT: tuple[type[BaseException], ...] = (
    AssertionError,
    KeyError,
    IndexError,
    LookupError,
    ConnectionError,
    OSError,
    TimeoutError,
)


async def _evaluate(check: Callable[[], T | Awaitable[T]]) -> T:
    result = check()
    if inspect.isawaitable(result):
        return await result
    return result


@overload
async def eventually(
    check: Callable[[], Awaitable[T]],
    timeout: float = ...,
    interval: float = ...,
    transient: tuple[type[BaseException], ...] = ...,
) -> T: ...


@overload
async def eventually(
    check: Callable[[], T],
    timeout: float = ...,
    interval: float = ...,
    transient: tuple[type[BaseException], ...] = ...,
) -> T: ...


async def eventually(
    check: Callable[[], T | Awaitable[T]],
    timeout: float = 10.0,
    interval: float = 0.05,
    transient: tuple[type[BaseException], ...] = TRANSIENT,
) -> T:
    """Poll `check` until it returns a truthy value without raising; return that value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: BaseException | None = None
    while True:
        try:
            result = await _evaluate(check)
            if result:
                return result
            last = AssertionError(f"{getattr(check, '__qualname__', check)} returned {result!r}")
        except transient as exc:
            last = exc
        if loop.time() >= deadline:
            raise AssertionError(f"not within {timeout}s: {last!r}") from last
        await asyncio.sleep(interval)


async def still(check: Callable[[], object | Awaitable[object]], duration: float, interval: float = 0.05) -> None:
    """Assert that `check` stays truthy (and does not raise) for `duration` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + duration
    while True:
        result = await _evaluate(check)
        assert result, f"{getattr(check, '__qualname__', check)} stopped holding: {result!r}"
        if loop.time() >= deadline:
            return
        await asyncio.sleep(interval)
