"""`chargeplane operator` as a real process against the API emulator: bootstrap, peering, liveness."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from click.testing import CliRunner

from chargeplane.operator import bootstrap
from chargeplane.operator.cli import operator as operator_command
from chargeplane.operator.kube import PLURALS, KubeClient
from tests.eventually import eventually
from tests.operator.emulator import ApiServerEmulator
from tests.operator.test_operator_sites import CPLANES, NS, exists, obj

CHARGEPLANE = str(Path(sys.executable).parent / "chargeplane")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_namespace_flags_are_required_and_exclusive() -> None:
    for args in ([], ["-n", "a", "--all-namespaces"]):
        result = CliRunner().invoke(operator_command, args)
        assert result.exit_code == 2 and "--namespace" in result.output


def test_replicas_get_distinct_priorities() -> None:
    pods = [f"chargeplane-operator-7d9f-{i}" for i in range(20)]
    priorities = {bootstrap.effective_priority(100, p) for p in pods}
    assert len(priorities) == 20
    assert all(100_000 <= p < 101_000 for p in priorities)
    assert bootstrap.effective_priority(101, pods[0]) > max(priorities)  # the base still orders deployments
    assert bootstrap.effective_priority(100, pods[0]) == bootstrap.effective_priority(100, pods[0])


async def test_ensure_all_waits_for_a_late_crd(
    k8s: ApiServerEmulator, api: KubeClient, caplog: pytest.LogCaptureFixture
) -> None:
    # A resource the emulator does not serve yet answers 404, as before a CRD is established.
    obj_ = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": NS}}
    PLURALS["Widget"] = "widgets"
    caplog.set_level(logging.INFO, logger=bootstrap.__name__)
    ensuring = asyncio.create_task(bootstrap.ensure_all(api, [obj_], attempts=400, delay=0.05))
    # It met the 404 and waits: only now is the CRD established.
    await eventually(lambda: "waiting for the Widget API" in caplog.text)
    assert not ensuring.done() and not exists(k8s, "example.com/v1/widgets", "w")
    k8s.resources["example.com/v1/widgets"] = k8s.ResourceInfo(kind="Widget", namespaced=True)
    await ensuring
    assert exists(k8s, "example.com/v1/widgets", "w")


async def test_operator_process_applies_its_control_plane_and_peers(
    k8s: ApiServerEmulator, tmp_path: Path, examples: list[dict[str, Any]]
) -> None:
    cplane = next(d for d in examples if d["kind"] == "ControlPlane")
    apply = tmp_path / "controlplane.yaml"
    apply.write_text(yaml.safe_dump(cplane))
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        CHARGEPLANE,
        *["operator", "-n", NS, f"--apply={apply}", f"--liveness=http://127.0.0.1:{port}/healthz", "--peering=cp"],
        env={**os.environ, "CHARGEPLANE_LOG_JSON": "false", "CHARGEPLANE_POD_NAME": "op-0"},
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        # Bootstrap: the peering object and the ControlPlane, then kopf (not frozen by peering) acts.
        await eventually(lambda: exists(k8s, "kopf.dev/v1/kopfpeerings", "cp"), 30)
        await eventually(lambda: exists(k8s, CPLANES, "chargeplane"), 30)
        await eventually(lambda: exists(k8s, "apps/v1/deployments", "chargeplane-registry"), 30)
        peers = await eventually(lambda: obj(k8s, "kopf.dev/v1/kopfpeerings", "cp").get("status"), 30)
        assert peers is not None
        (peer,) = peers.values()
        assert peer["priority"] == bootstrap.effective_priority(100, "op-0")

        async def healthy() -> bool:
            async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                return resp.status == 200

        assert await eventually(healthy, 10)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, stderr.decode()[-3000:]
