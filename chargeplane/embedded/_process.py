"""Child-process helpers shared by the embedded servers."""

from __future__ import annotations

import ctypes
import logging
import os
import pwd
import signal
import socket
import stat
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
UNPRIVILEGED_USER = "nobody"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float, alive: Callable[[], bool]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"server on {host}:{port} exited during start-up")
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"server on {host}:{port} did not start within {timeout}s")


def child_setup(uid: int | None, gid: int | None, death_signal: int) -> Callable[[], None]:
    """preexec_fn: die with the parent (even on SIGKILL), then drop privileges.

    The death signal is tied to the spawning *thread*: spawn from the main thread.
    """

    def setup() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, death_signal)
        os.setpgid(0, 0)  # Ctrl-C in the terminal reaches us, not the servers directly
        if gid is not None:
            os.setgroups([])
            os.setgid(gid)
        if uid is not None:
            os.setuid(uid)

    return setup


def unprivileged_identity() -> tuple[int, int] | None:
    """(uid, gid) to run PostgreSQL as when we are root (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return None
    entry = pwd.getpwnam(UNPRIVILEGED_USER)
    return entry.pw_uid, entry.pw_gid


def make_traversable(path: Path) -> None:
    """Let the unprivileged server user reach `path`: add o+x to parents that lack it."""
    for parent in [path, *path.parents]:
        try:
            mode = parent.stat().st_mode
        except FileNotFoundError:
            continue
        if not mode & stat.S_IXOTH:
            log.warning("adding o+x to %s so the unprivileged PostgreSQL user can reach it", parent)
            parent.chmod(mode | stat.S_IXOTH)


def terminate(proc_wait: Callable[[float], object], send: Callable[[int], None]) -> None:
    send(signal.SIGINT)
    try:
        proc_wait(15.0)
    except Exception:  # noqa: BLE001 - escalate on any wait failure
        send(signal.SIGKILL)
        proc_wait(5.0)
