"""The operator's kopf registry, start-up settings, login and shared plumbing.

Handlers are registered on our own OperatorRegistry (not kopf's global one) so that
embedding the operator, or testing it, runs exactly these handlers and nothing else.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import kopf

from chargeplane.operator import resources as r
from chargeplane.operator.kube import Credentials, KubeClient, KubeError
from chargeplane.operator.options import OperatorOptions
from chargeplane.operator.registry import RegistryClient

REGISTRY = kopf.OperatorRegistry()

SA_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"
ANNOTATION_PREFIX = f"operator.{r.GROUP}"


def configure(settings: kopf.OperatorSettings) -> None:
    """kopf settings that are policy, not deployment-specific (kept here so tests share them)."""
    # kopf's own bookkeeping goes to annotations: status belongs to users and is pruned
    # by the apiserver to what the CRD schema declares.
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=ANNOTATION_PREFIX)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=ANNOTATION_PREFIX, key="last-handled-configuration"
    )
    settings.persistence.finalizer = r.FINALIZER
    # kopf would turn every INFO log line into a Kubernetes Event; we post the notable ones ourselves.
    settings.posting.level = logging.WARNING
    settings.watching.server_timeout = 300
    # We serve exact namespaces (or all) and our CRDs ship with the operator: no need to watch
    # Namespaces and CRDs, which would need cluster-wide read RBAC. Resources are discovered once
    # at start (the bootstrap has waited for our CRDs by then).
    settings.scanning.disabled = True


def kube(memo: kopf.Memo) -> KubeClient:
    client = memo.get("kube")
    if client is None:
        client = memo["kube"] = KubeClient()
    assert isinstance(client, KubeClient)
    return client


def options(memo: kopf.Memo) -> OperatorOptions:
    opts = memo.get("options")
    if opts is None:
        from chargeplane.config import Settings

        opts = memo["options"] = OperatorOptions.from_settings(Settings())
    assert isinstance(opts, OperatorOptions)
    return opts


def registry(memo: kopf.Memo) -> RegistryClient:
    client = memo.get("registry")
    if client is None:
        opts = options(memo)
        client = memo["registry"] = RegistryClient(opts.registry_address, deadline=opts.registry_deadline)
    assert isinstance(client, RegistryClient)
    return client


@kopf.on.startup(registry=REGISTRY)
async def startup(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    configure(settings)
    kube(memo)
    registry(memo)


@kopf.on.cleanup(registry=REGISTRY)
async def cleanup(memo: kopf.Memo, **_: Any) -> None:
    if memo.get("kube") is not None:
        await kube(memo).close()
    if memo.get("registry") is not None:
        await registry(memo).close()


def _text(value: object) -> str | None:
    if value is None:
        return None
    return os.fsdecode(value) if isinstance(value, bytes | os.PathLike) else str(value)


def credentials_from(info: kopf.ConnectionInfo) -> Credentials:
    ca_data = info.ca_data.encode() if isinstance(info.ca_data, str) else info.ca_data
    return Credentials(
        server=info.server,
        token=info.token,
        token_path=SA_TOKEN if os.path.exists(SA_TOKEN) else None,
        username=info.username,
        password=info.password,
        ca_path=_text(info.ca_path),
        ca_data=ca_data,
        certificate_path=_text(info.certificate_path),
        private_key_path=_text(info.private_key_path),
        insecure=bool(info.insecure),
    )


@kopf.on.login(registry=REGISTRY)
def login(settings: kopf.OperatorSettings, memo: kopf.Memo, **kwargs: Any) -> kopf.ConnectionInfo | None:
    """In-cluster service account first, then kubeconfig; our child client shares the result."""
    info = kopf.login_with_service_account(settings=settings, **kwargs) or kopf.login_with_kubeconfig(
        settings=settings, **kwargs
    )
    if info is not None:
        kube(memo).credentials = credentials_from(info)
    return info


def temporary(exc: Exception, delay: float) -> kopf.TemporaryError:
    """What kopf should retry: API hiccups and unavailable dependencies."""
    return kopf.TemporaryError(str(exc), delay=delay)


async def patch_status(memo: kopf.Memo, plural: str, namespace: str, name: str, status: dict[str, Any]) -> None:
    """Write status from daemons, where kopf applies no patch of ours."""
    try:
        await kube(memo).patch(r.API_VERSION, plural, namespace, name, {"status": status}, sub="status")
    except KubeError as exc:
        if exc.status != 404:  # deleted meanwhile: nothing to report on
            raise
