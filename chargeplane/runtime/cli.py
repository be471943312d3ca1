"""`chargeplane run`, `chargeplane serve <component>` and `chargeplane migrate`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import click

from chargeplane.config import BootPolicy, Settings
from chargeplane.telemetry.logs import setup_logging
from chargeplane.telemetry.tracing import setup_tracing

log = logging.getLogger("chargeplane")


def _settings(**overrides: Any) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def _run_until_signal(main: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run `main` on uvloop; SIGINT/SIGTERM set the stop event for a clean shutdown."""
    import uvloop

    async def runner() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await main(stop)

    uvloop.run(runner())


@click.command()
@click.option("--data-dir", type=click.Path(path_type=Path), help="Where embedded PostgreSQL/Redis keep data.")
@click.option("--postgres-url", help="Use this PostgreSQL instead of the embedded one.")
@click.option("--redis-url", help="Use this Redis instead of the embedded one.")
@click.option("--host", help="Address the gateway and the REST API listen on (default 127.0.0.1).")
@click.option("--gateway-port", type=int, help="OCPP WebSocket port (default 9000).")
@click.option("--api-port", type=int, help="REST API port (default 8080).")
@click.option("--grpc-port", type=int, help="gRPC port of the services (default 50051).")
@click.option("--ocpi-port", type=int, help="OCPI 2.2.1 REST port for roaming partners (default 8090).")
@click.option("--boot-policy", type=click.Choice([p.value for p in BootPolicy]), help="dev or production.")
def run(
    data_dir: Path | None,
    postgres_url: str | None,
    redis_url: str | None,
    host: str | None,
    gateway_port: int | None,
    api_port: int | None,
    grpc_port: int | None,
    ocpi_port: int | None,
    boot_policy: str | None,
) -> None:
    """Start the whole CSMS in one process (embedded PostgreSQL and Redis by default)."""
    from chargeplane.embedded import EmbeddedPostgres, EmbeddedRedis
    from chargeplane.runtime.components import all_in_one

    settings = _settings(
        data_dir=data_dir,
        postgres_url=postgres_url,
        redis_url=redis_url,
        gateway_host=host,
        api_host=host,
        ocpi_host=host,
        gateway_port=gateway_port,
        api_port=api_port,
        grpc_port=grpc_port,
        ocpi_port=ocpi_port,
        boot_policy=boot_policy,
    )
    setup_logging(settings.log_level, settings.log_json)
    setup_tracing("chargeplane")
    started: list[EmbeddedPostgres | EmbeddedRedis] = []
    try:
        # Embedded servers are started from the main thread: they die with this process.
        if not settings.postgres_url:
            pg = EmbeddedPostgres(settings.data_dir / "postgres")
            started.append(pg)
            settings.postgres_url = pg.start()
            log.info("embedded PostgreSQL at %s", settings.postgres_url)
        if not settings.redis_url:
            redis = EmbeddedRedis(settings.data_dir / "redis")
            started.append(redis)
            settings.redis_url = redis.start()
            log.info("embedded Redis at %s", settings.redis_url)

        async def main(stop: asyncio.Event) -> None:
            async with all_in_one(settings) as parts:
                host_shown = "127.0.0.1" if settings.gateway_host in ("0.0.0.0", "::") else settings.gateway_host
                api_host = "127.0.0.1" if settings.api_host in ("0.0.0.0", "::") else settings.api_host
                charger_url = settings.gateway_public_url or f"ws://{host_shown}:{parts.gateway_port}/ocpp"
                from chargeplane.runtime.ocpi import versions_url

                ocpi_url = versions_url(parts.settings)
                ocpi_party = f"{settings.ocpi_country_code}-{settings.ocpi_party_id}"
                click.echo(
                    "\nchargeplane is running\n"
                    f"  charger URL:  {charger_url}/<chargePointId>   (subprotocols ocpp2.0.1, ocpp1.6)\n"
                    f"  REST API:     http://{api_host}:{parts.api_port}/v1/chargepoints"
                    f"   (OpenAPI at /openapi.json)\n"
                    f"  OCPI 2.2.1:   {ocpi_url}   (CPO {ocpi_party})\n"
                    f"  gRPC:         {settings.grpc_host}:{parts.grpc_port}\n"
                    f"  API token:    {parts.api_token}\n"
                    f"  boot policy:  {settings.boot_policy.value}\n"
                    "Press Ctrl-C to stop.\n",
                    err=False,
                )
                sys.stdout.flush()
                await stop.wait()
                log.info("stopping")

        _run_until_signal(main)
    finally:
        for server in reversed(started):
            server.stop()


@click.command()
@click.argument(
    "component",
    type=click.Choice(["gateway", "registry", "auth", "transactions", "billing", "smartcharging", "api", "ocpi"]),
)
def serve(component: str) -> None:
    """Run one component per process (as the Kubernetes pods do); configured by CHARGEPLANE_* env."""
    from chargeplane.runtime import components as c

    settings = Settings()
    setup_logging(settings.log_level, settings.log_json)
    setup_tracing(f"chargeplane-{component}")
    if not settings.postgres_url and component != "gateway":
        raise click.UsageError("CHARGEPLANE_POSTGRES_URL is required")
    if not settings.redis_url:
        raise click.UsageError("CHARGEPLANE_REDIS_URL is required")

    async def main(stop: asyncio.Event) -> None:
        async with contextlib.AsyncExitStack() as stack:
            if component == "registry":
                pool = await c.open_pool(stack, settings)
                grpc_srv = c.grpc_server(settings, settings.grpc_port)
                c.add_registry(grpc_srv, settings, pool, c.open_redis(stack, settings))
                await c.start_grpc(stack, grpc_srv)
                log.info("registry serving gRPC on %s:%d", settings.grpc_host, grpc_srv.port)
            elif component in ("auth", "transactions"):
                pool = await c.open_pool(stack, settings)
                grpc_srv = c.grpc_server(settings, settings.grpc_port)
                if component == "auth":
                    c.add_auth(grpc_srv, settings, pool, c.open_redis(stack, settings))
                else:
                    c.add_transactions(stack, grpc_srv, settings, pool, c.open_redis(stack, settings))
                await c.start_grpc(stack, grpc_srv)
                log.info("%s serving gRPC on %s:%d", component, settings.grpc_host, grpc_srv.port)
            elif component == "billing":
                pool = await c.open_pool(stack, settings)
                grpc_srv = c.grpc_server(settings, settings.grpc_port)
                c.add_billing(stack, grpc_srv, settings, pool)
                await c.start_grpc(stack, grpc_srv)
                log.info("billing serving gRPC on %s:%d", settings.grpc_host, grpc_srv.port)
            elif component == "smartcharging":
                pool = await c.open_pool(stack, settings)
                grpc_srv = c.grpc_server(settings, settings.grpc_port)
                await c.add_smartcharging(stack, grpc_srv, settings, pool, c.open_redis(stack, settings))
                await c.start_grpc(stack, grpc_srv)
                log.info("smartcharging serving gRPC on %s:%d", settings.grpc_host, grpc_srv.port)
            elif component == "gateway":
                grpc_srv = c.grpc_server(settings, settings.gateway_grpc_port)
                port = grpc_srv.port
                own = settings.model_copy(
                    update={"gateway_grpc_address": settings.gateway_grpc_address or f"{socket.getfqdn()}:{port}"}
                )
                registry = await c.open_channel(stack, settings.registry_target())
                gateway = c.build_gateway(
                    own,
                    c.open_redis(stack, settings),
                    registry,
                    auth=await c.open_channel(stack, settings.auth_target()),
                    transactions=await c.open_channel(stack, settings.transactions_target()),
                )
                c.add_gateway_service(grpc_srv, gateway)
                await c.start_grpc(stack, grpc_srv)
                await c.start_gateway(stack, gateway)
                log.info("gateway serving OCPP on %s:%d, gRPC on %d", settings.gateway_host, gateway.port, port)
            elif component == "ocpi":
                from chargeplane.runtime import ocpi as o

                pool = await c.open_pool(stack, settings)
                grpc_srv = c.grpc_server(settings, settings.ocpi_grpc_port)
                registry = await c.open_channel(stack, settings.registry_target())
                redis = c.open_redis(stack, settings)
                try:
                    ocpi = await o.add_ocpi(stack, settings, pool, redis, registry, grpc_srv, generate_key=False)
                except ValueError as exc:
                    raise click.UsageError(str(exc)) from None
                await c.start_grpc(stack, grpc_srv)
                port = await o.start_ocpi(stack, ocpi)
                log.info("ocpi serving OCPI on %s:%d, gRPC on %d", settings.ocpi_host, port, grpc_srv.port)
            else:
                pool = await c.open_pool(stack, settings)
                registry = await c.open_channel(stack, settings.registry_target())
                api = await c.build_api(stack, settings, pool, registry, c.open_redis(stack, settings))
                grpc_srv = c.grpc_server(settings, settings.api_grpc_port)
                c.add_operator_service(grpc_srv, api)
                await c.start_grpc(stack, grpc_srv)
                port = await c.serve_rest(stack, settings, api)
                log.info("api serving REST on %s:%d, gRPC on %d", settings.api_host, port, grpc_srv.port)
            if settings.metrics_port and component not in ("gateway", "api", "ocpi"):
                # A gRPC-only process serves /metrics on its own port (gateway, api, ocpi: on their HTTP port).
                from prometheus_client import start_http_server

                start_http_server(settings.metrics_port, addr=settings.grpc_host)
            await stop.wait()

    _run_until_signal(main)


@click.command()
@click.option("--postgres-url", envvar="CHARGEPLANE_POSTGRES_URL", required=True)
def migrate(postgres_url: str) -> None:
    """Apply database migrations (alembic) up to the newest revision."""
    from chargeplane.db.migrate import current, upgrade

    upgrade(postgres_url)
    click.echo(f"database at revision {current(postgres_url)}")
