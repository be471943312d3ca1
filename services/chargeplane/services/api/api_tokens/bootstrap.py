"""The first admin token, so a fresh install can be used without extra steps."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
from pathlib import Path

import asyncpg

from chargeplane.config import Settings

from .store import new_token
from .verifier import SCOPES, token_hash

log = logging.getLogger(__name__)

TOKEN_FILE = "api-token"

_STORE = """
    INSERT INTO api_tokens (name, token_hash, scopes) VALUES ('bootstrap', $1, $2)
    ON CONFLICT (token_hash) DO NOTHING
"""


def _read_or_create(path: Path) -> str:
    """The token in `path`, creating it (mode 0600) when absent. Safe when several
    processes start at once: the file appears atomically and the first one wins."""
    try:
        token = path.read_text().strip()
    except FileNotFoundError:
        token = ""
    else:
        if path.stat().st_mode & 0o077:
            log.warning("%s was readable by others; restricting it to its owner", path)
            path.chmod(0o600)
    if token:
        return token
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = new_token()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(token + "\n")
        try:
            os.link(tmp, path)  # fails if another process got there first
        except FileExistsError:
            return path.read_text().strip()
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    log.info("created an admin API token in %s", path)
    return token


async def ensure_bootstrap_token(pool: asyncpg.Pool, settings: Settings) -> str:
    """A usable admin token: settings.api_token, else the one in <data_dir>/api-token
    (created on first start). Only its sha256 is stored in the database."""
    token = settings.api_token or await asyncio.to_thread(_read_or_create, settings.data_dir / TOKEN_FILE)
    # Re-stored if absent (a new database, an old token file); a revoked one stays revoked.
    await pool.execute(_STORE, token_hash(token), list(SCOPES))
    return token
