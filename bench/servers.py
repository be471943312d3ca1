"""Systems under test, started as subprocesses: the baseline and `chargeplane run`."""

from __future__ import annotations

import collections
import contextlib
import ctypes
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from bench import procstat

REPO = Path(__file__).resolve().parent.parent


def _summarise(line: str) -> str:
    """A JSON log record's message plus the last line of its traceback (the exception)."""
    try:
        record = json.loads(line)
    except ValueError:
        return line.rstrip()[:500]
    lines = str(record.get("exc_info", "")).strip().splitlines()
    # The exception line(s), e.g. "asyncpg.exceptions.TooManyConnectionsError: ..."
    raised = [ln.strip() for ln in lines if re.match(r"^\s*[\w.]*(Error|Exception|Timeout\w*)\b", ln)]
    exc = raised[-1] if raised else (lines[-1].strip() if lines else "")
    if status := re.search(r"StatusCode\.\w+", record.get("exc_info", "") or ""):
        exc += f" {status.group(0)}"  # gRPC failures name their status on a later line
    return f"{record.get('logger', '')}: {record.get('message', '')}" + (f" -- {exc[:300]}" if exc else "")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _preexec(cpus: set[int] | None) -> Any:
    def setup() -> None:
        # The same environment for every server: the open-files limit at its hard
        # maximum (10,000 chargers = 10,000 sockets) and, if asked, a dedicated core.
        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        if cpus:
            with contextlib.suppress(OSError):
                os.sched_setaffinity(0, cpus)
        # If the suite dies (Ctrl-C, a test timeout's SIGKILL), take the server with it
        # instead of leaving it holding ports and CPU: PR_SET_PDEATHSIG on Linux.
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)

    return setup


def chargeplane_run_available() -> tuple[bool, str]:
    exe = shutil.which("chargeplane", path=str(Path(sys.executable).parent)) or shutil.which("chargeplane")
    if exe is None:
        return False, "the chargeplane command is not installed"
    proc = subprocess.run([exe, "run", "--help"], capture_output=True, text=True, timeout=60, check=False)
    if proc.returncode != 0:
        return False, f"`chargeplane run` is not available yet: {proc.stderr.strip()[-200:]}"
    return True, exe


class Server:
    """A server subprocess whose stdout is scanned for the lines it prints at start-up."""

    name = "server"

    def __init__(self, cpus: set[int] | None = None) -> None:
        self.cpus = cpus
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.api_url = ""
        self.token = ""
        self.lines: collections.deque[str] = collections.deque(maxlen=400)  # the log's tail
        self._ready = threading.Event()

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return dict(os.environ)

    def start(self, timeout: float = 120.0) -> None:
        self.proc = subprocess.Popen(
            self.command(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=REPO,
            env=self.env(),
            preexec_fn=_preexec(self.cpus),
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: {''.join(list(self.lines)[-20:])}")
            if self._ready.wait(0.1) and self.is_ready():
                if self.cpus:
                    procstat.pin(self.proc.pid, self.cpus)  # children started after fork, too
                return
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {timeout}s: {''.join(list(self.lines)[-20:])}")

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            self.parse(line)

    def parse(self, line: str) -> None:
        if m := re.search(r"charger URL:\s*(\S+)", line):
            # "ws://host:port/ocpp/<chargePointId>": keep the base the simulator extends.
            self.url = re.sub(r"/<[^>]*>$", "", m.group(1)).rstrip("/")
            self._ready.set()

    def is_ready(self) -> bool:
        return bool(self.url)

    def tail(self, n: int = 40, pattern: str = r"ERROR|Error|Traceback|exception") -> list[str]:
        """The last `n` log lines that look like errors (for the JSON document)."""
        found = [_summarise(line) for line in list(self.lines) if re.search(pattern, line)]
        return found[-n:]

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class BaselineServer(Server):
    name = "baseline"

    def __init__(self, cpus: set[int] | None = None) -> None:
        super().__init__(cpus)
        self.port = free_port()

    def command(self) -> list[str]:
        return [sys.executable, "-m", "bench.baseline_csms", "--port", str(self.port)]


class NullServer(BaselineServer):
    name = "null"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "bench.null_csms", "--port", str(self.port)]


class ChargeplaneServer(Server):
    name = "chargeplane"

    def __init__(self, exe: str, cpus: set[int] | None = None, extra_env: dict[str, str] | None = None) -> None:
        super().__init__(cpus)
        self.exe = exe
        self.ports = (free_port(), free_port(), free_port())
        self.data_dir = tempfile.mkdtemp(prefix="cp-bench-")
        self.extra_env = extra_env or {}

    def command(self) -> list[str]:
        gw, api, grpc = self.ports
        return [
            self.exe, "run", "--data-dir", self.data_dir,
            "--gateway-port", str(gw), "--api-port", str(api), "--grpc-port", str(grpc),
        ]  # fmt: skip

    def env(self) -> dict[str, str]:
        return {**os.environ, **self.extra_env}

    def parse(self, line: str) -> None:
        if m := re.search(r"REST API:\s*(\S+)", line):
            parts = urllib.parse.urlsplit(m.group(1))
            self.api_url = f"{parts.scheme}://{parts.netloc}"  # /readyz and /openapi.json live at the root
        if m := re.search(r"API token:\s*(\S+)", line):
            self.token = m.group(1)
        super().parse(line)

    def is_ready(self) -> bool:
        base = self.api_url or f"http://127.0.0.1:{self.ports[1]}"
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=2) as resp:
                return bool(self.url) and resp.status == 200
        except OSError:
            time.sleep(0.2)
            return False

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)
