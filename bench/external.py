"""Feature benchmarks written by the feature owners, run by the suite when they exist.

The transactions, routing and billing work ship their own drivers in `bench/`
(`tx_g5_meter_values`, `tx_g6_start`, `tx_g7_authorize`, `tx_g11_copy`, `route_g8`,
`billing_g15`). Each runs as
`python -m bench.<module> [--quick]` and prints one JSON object with at least "pass". The
suite finds them at run time, so a benchmark lights up the day its driver lands, and
reports a driver that crashes or prints no JSON as failed rather than hiding it.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
from typing import Any

from bench.servers import REPO

DRIVERS = {
    "G5": "tx_g5_meter_values",
    "G6": "tx_g6_start",
    "G7": "tx_g7_authorize",
    "G8": "route_g8",
    "G11": "tx_g11_copy",
    "G15": "billing_g15",
    "G14": "smartcharging_g14",
}


def available(gid: str) -> str | None:
    module = DRIVERS.get(gid)
    if module is None or importlib.util.find_spec(f"bench.{module}") is None:
        return None
    return module


def _last_json_object(text: str) -> dict[str, Any] | None:
    """The last top-level JSON object in `text` (drivers may log before it)."""
    decoder = json.JSONDecoder()
    found: dict[str, Any] | None = None
    i = text.find("{")
    while i >= 0:
        try:
            obj, end = decoder.raw_decode(text, i)
        except ValueError:
            i = text.find("{", i + 1)
            continue
        if isinstance(obj, dict):
            found = obj
        i = text.find("{", end)
    return found


def run(gid: str, quick: bool, timeout: float) -> dict[str, Any]:
    module = available(gid)
    assert module is not None
    cmd = [sys.executable, "-m", f"bench.{module}", *(["--quick"] if quick else [])]
    started = time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"status": "failed", "driver": module, "reason": f"bench.{module} did not finish in {timeout:.0f}s"}
    doc = _last_json_object(proc.stdout)
    seconds = round(time.monotonic() - started, 1)
    if proc.returncode != 0 or doc is None or "pass" not in doc:
        tail = (proc.stderr or proc.stdout).strip()[-600:]
        return {"status": "failed", "driver": module, "seconds": seconds, "reason": f"exit {proc.returncode}: {tail}"}
    return {"status": "measured", "driver": module, "seconds": seconds, "pass": bool(doc["pass"]), "report": doc}
