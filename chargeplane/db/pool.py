"""The asyncpg connection pool every component uses for PostgreSQL."""

from __future__ import annotations

import asyncpg

# A statement that cannot finish in this time is a bug or an outage; fail instead of hanging.
COMMAND_TIMEOUT = 30.0


async def _no_reset(connection: asyncpg.Connection) -> None:
    """Connections go back to the pool without asyncpg's default reset (advisory unlock,
    CLOSE ALL, UNLISTEN, RESET ALL: a round trip per release). Our queries leave no session
    state behind: no LISTEN, no session advisory locks (migrations use transaction-level
    ones), no SET outside a transaction (SET LOCAL only)."""


async def create_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """Open a pool on `url` (postgresql://...). The caller closes it (`await pool.close()`)."""
    pool = await asyncpg.create_pool(
        url,
        min_size=min(min_size, max_size),
        max_size=max_size,
        command_timeout=COMMAND_TIMEOUT,
        # Idle connections are recycled so a failed-over server is picked up eventually.
        max_inactive_connection_lifetime=300.0,
        server_settings={"application_name": "chargeplane"},
        reset=_no_reset,
    )
    if pool is None:  # only when called without awaiting; keeps the return type honest
        raise RuntimeError("asyncpg.create_pool returned no pool")
    return pool
