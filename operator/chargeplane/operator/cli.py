"""`chargeplane operator`: run the kopf operator for ChargingSites, ChargePoints and ControlPlanes."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import socket
from pathlib import Path

import click


@click.command()
@click.option("-n", "--namespace", "namespaces", multiple=True, help="Namespace to serve (repeatable).")
@click.option("-A", "--all-namespaces", is_flag=True, help="Serve every namespace (needs cluster-wide RBAC).")
@click.option(
    "--liveness",
    "liveness_endpoint",
    default="http://0.0.0.0:8080/healthz",
    show_default=True,
    help="kopf liveness endpoint; empty to disable.",
)
@click.option(
    "--priority", type=int, default=100, show_default=True, help="Peering priority; the highest replica is active."
)
@click.option("--peering", "peering_name", default="chargeplane", show_default=True, help="KopfPeering object name.")
@click.option("--standalone", is_flag=True, help="No peering: for a single replica or local development only.")
@click.option(
    "--registry-address", help="host:port of the registry gRPC service (default: CHARGEPLANE_REGISTRY_ADDRESS)."
)
@click.option("--status-interval", type=float, help="Seconds between live status refreshes (default 10).")
@click.option(
    "--apply",
    "apply_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Create or update the resources in this YAML file before starting (the chart's ControlPlane).",
)
def operator(
    namespaces: tuple[str, ...],
    all_namespaces: bool,
    liveness_endpoint: str,
    priority: int,
    peering_name: str,
    standalone: bool,
    registry_address: str | None,
    status_interval: float | None,
    apply_files: tuple[Path, ...],
) -> None:
    """Run the kopf operator (one active replica via kopf peering; see docs/kubernetes.md)."""
    import kopf

    from chargeplane.config import Settings
    from chargeplane.operator.handlers import REGISTRY
    from chargeplane.operator.options import OperatorOptions
    from chargeplane.telemetry.logs import setup_logging

    if bool(namespaces) == all_namespaces:
        raise click.UsageError("give either --namespace (one or more) or --all-namespaces")
    settings = Settings()
    setup_logging(settings.log_level, settings.log_json)
    opts = OperatorOptions.from_settings(settings)
    if registry_address:
        opts = dataclasses.replace(opts, registry_address=registry_address)
    if status_interval:
        opts = dataclasses.replace(opts, status_interval=status_interval)
    pod = os.environ.get("CHARGEPLANE_POD_NAME") or socket.gethostname()
    home = os.environ.get("CHARGEPLANE_POD_NAMESPACE") or (namespaces[0] if namespaces else "default")

    async def main() -> None:
        if not standalone or apply_files:
            await _bootstrap(
                apply_files, home, peering_name, list(namespaces), all_namespaces, with_peering=not standalone
            )
        await kopf.operator(
            registry=REGISTRY,
            clusterwide=all_namespaces,
            namespaces=list(namespaces),
            liveness_endpoint=liveness_endpoint or None,
            # Naming a peering makes kopf require it, even when told to run standalone.
            priority=None if standalone else _priority(priority, pod),
            peering_name=None if standalone else peering_name,
            standalone=standalone,
            memo=kopf.Memo(options=opts),
        )

    asyncio.run(main())


def _priority(base: int, pod: str) -> int:
    from chargeplane.operator.bootstrap import effective_priority

    return effective_priority(base, pod)


async def _bootstrap(
    files: tuple[Path, ...],
    home: str,
    peering: str,
    namespaces: list[str],
    clusterwide: bool,
    *,
    with_peering: bool,
) -> None:
    """Peering objects and --apply files, with the same credentials kopf will use."""
    import kopf

    from chargeplane.operator import bootstrap
    from chargeplane.operator.handlers.base import credentials_from
    from chargeplane.operator.kube import KubeClient

    settings = kopf.OperatorSettings()
    info = kopf.login_with_service_account(settings=settings) or kopf.login_with_kubeconfig(settings=settings)
    if info is None:
        raise click.ClickException("no Kubernetes credentials (in-cluster service account or kubeconfig)")
    client = KubeClient(credentials_from(info))
    try:
        objs = bootstrap.peering_objects(peering, namespaces, clusterwide=clusterwide) if with_peering else []
        for path in files:
            objs += bootstrap.load_manifests(path, home)
        await bootstrap.ensure_all(client, objs)
    finally:
        await client.close()
