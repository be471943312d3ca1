"""Reading the database in assertions: a row that must be there."""

from __future__ import annotations

from typing import Any

import asyncpg


async def one(db: asyncpg.Pool | asyncpg.Connection, query: str, *args: Any) -> asyncpg.Record:
    """The one row `query` returns; fails the test when there is none."""
    row: asyncpg.Record | None = await db.fetchrow(query, *args)
    assert row is not None, f"no row: {query}"
    return row
