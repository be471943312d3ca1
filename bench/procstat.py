"""CPU and memory of the system under test, read from the OS (not from the load generator)."""

from __future__ import annotations

from dataclasses import dataclass

import psutil


@dataclass(frozen=True)
class CpuSample:
    process: float  # the server process itself (the gateway in `chargeplane run`)
    tree: float  # plus every live descendant and reaped children (Postgres, Redis, ...)


def cpu(pid: int) -> CpuSample:
    proc = psutil.Process(pid)
    times = proc.cpu_times()
    own = times.user + times.system
    tree = own + times.children_user + times.children_system
    for child in proc.children(recursive=True):
        try:
            t = child.cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue  # exited between listing and reading; its time is in children_* once reaped
        tree += t.user + t.system
    return CpuSample(own, tree)


def rss(pid: int) -> int:
    return int(psutil.Process(pid).memory_info().rss)


def pin(pid: int, cpus: set[int]) -> bool:
    """Pin a process and its descendants; False where affinity is unavailable."""
    try:
        proc = psutil.Process(pid)
        for p in [proc, *proc.children(recursive=True)]:
            p.cpu_affinity(sorted(cpus))
        return True
    except (psutil.Error, AttributeError, OSError):
        return False
