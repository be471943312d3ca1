"""Schema migrations: alembic with its scripts shipped inside this package.

`upgrade` is synchronous (alembic's API is) and drives SQLAlchemy's async engine on the
asyncpg driver, so no second PostgreSQL driver is needed. Several processes may upgrade the
same database at once (pods starting together): env.py serialises them with an advisory lock.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

# A package resource, not a path: resolves the same from a checkout and from a wheel.
SCRIPT_LOCATION = "chargeplane.db:migrations"
# pg_advisory_xact_lock key shared by every chargeplane process ("cpmigrat" in ASCII).
MIGRATION_LOCK_KEY = 0x63706D6967726174

_T = TypeVar("_T")

# alembic keeps its running environment in module globals, so two commands in one process
# would share a context: serialise them here (the advisory lock covers other processes).
_alembic_lock = threading.Lock()


def async_url(url: str) -> str:
    """postgresql://... -> postgresql+asyncpg://... (what SQLAlchemy's async engine needs)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"not a database URL: {url!r}")
    if scheme in ("postgresql", "postgres", "postgresql+asyncpg"):
        return f"postgresql+asyncpg://{rest}"
    raise ValueError(f"unsupported database URL scheme {scheme!r} (expected postgresql://)")


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    # Passed as an attribute, not an option: ConfigParser would choke on '%' in passwords.
    cfg.attributes["url"] = async_url(url)
    return cfg


def _outside_event_loop(fn: Callable[[], _T]) -> _T:
    """Run `fn` here, or in a helper thread when this thread already runs an event loop
    (env.py needs `asyncio.run`, which refuses to nest)."""
    fn = _serialised(fn)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="chargeplane-migrate") as pool:
        return pool.submit(fn).result()


def _serialised(fn: Callable[[], _T]) -> Callable[[], _T]:
    def run() -> _T:
        with _alembic_lock:
            return fn()

    return run


def head_revision() -> str:
    """The newest revision the code knows (the one `upgrade` goes to by default)."""
    head = ScriptDirectory.from_config(alembic_config("postgresql://unused/")).get_current_head()
    assert head is not None, "no migrations found"
    return head


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision`. Idempotent; safe to run concurrently."""
    _outside_event_loop(lambda: command.upgrade(alembic_config(url), revision))


def downgrade(url: str, revision: str) -> None:
    _outside_event_loop(lambda: command.downgrade(alembic_config(url), revision))


def _read_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def _current(url: str) -> str | None:
    engine = create_async_engine(async_url(url), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_read_revision)
    finally:
        await engine.dispose()


def current(url: str) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    return _outside_event_loop(lambda: asyncio.run(_current(url)))
