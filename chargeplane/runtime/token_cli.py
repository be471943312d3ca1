"""`chargeplane token create|list|revoke`: operator-API bearer tokens (stored hashed)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

T = TypeVar("T")

_DB = click.option(
    "--postgres-url", envvar="CHARGEPLANE_POSTGRES_URL", required=True, help="Or CHARGEPLANE_POSTGRES_URL."
)


def _with_pool(url: str, work: Callable[..., Awaitable[T]]) -> T:
    # No migration here: the schema is the services' to apply (`chargeplane migrate`).
    from chargeplane.db.pool import create_pool

    async def main() -> T:
        pool = await create_pool(url, min_size=1, max_size=2)
        try:
            return await work(pool)
        finally:
            await pool.close()

    return asyncio.run(main())


@click.group()
def token() -> None:
    """Manage API tokens (scopes: read, operate, admin)."""


@token.command()
@click.option("--name", required=True, help="Who or what uses the token.")
@click.option("--scopes", default="read", show_default=True, help="Comma-separated: read,operate,admin.")
@_DB
def create(name: str, scopes: str, postgres_url: str) -> None:
    """Create a token and print it (it is stored hashed: this is the only time it is shown)."""
    from chargeplane.services.api.api_tokens import create_token

    try:
        secret, info = _with_pool(postgres_url, lambda pool: create_token(pool, name, scopes.split(",")))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    click.echo(secret)
    click.echo(f"id {info.id}, scopes {','.join(info.scopes)}", err=True)


@token.command(name="list")
@_DB
def list_(postgres_url: str) -> None:
    """List tokens (never their secrets)."""
    from chargeplane.services.api.api_tokens import list_tokens

    for info in _with_pool(postgres_url, list_tokens):
        state = f"revoked {info.revoked_at:%Y-%m-%d}" if info.revoked_at else "active"
        click.echo(f"{info.id}  {info.name:<20} {','.join(info.scopes):<20} {state}")


@token.command()
@click.argument("token_id")
@_DB
def revoke(token_id: str, postgres_url: str) -> None:
    """Revoke a token by id (API processes stop accepting it within 30 s)."""
    from chargeplane.services.api.api_tokens import revoke_token

    if not _with_pool(postgres_url, lambda pool: revoke_token(pool, token_id)):
        raise click.ClickException(f"no active token {token_id}")
    click.echo(f"revoked {token_id}")
