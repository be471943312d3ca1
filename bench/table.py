"""The human-readable table of a suite result (stderr, or stdout with --table)."""

from __future__ import annotations

import json
from typing import Any


def _f(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.1f}" if abs(v) >= 100 else f"{v:,.2f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v)


# (key, label) shown per benchmark
FIELDS = {
    "G1": [
        ("kib_per_connection", "KiB/conn"),
        ("server_cpu_ms_per_connect", "CPU ms/connect"),
        ("all_connected", "all up"),
    ],
    "G2": [
        ("msgs_per_core", "msg/s/core"),
        ("server_cpu_us_per_msg", "CPU us/msg"),
        ("msgs_per_second_wall", "msg/s wall"),
        ("p50_ms", "p50 ms"),
        ("p99_ms", "p99 ms"),
    ],
    "G3": [
        ("msgs_per_core", "msg/s/core"),
        ("server_cpu_us_per_msg", "CPU us/msg"),
        ("msgs_per_second_wall", "msg/s wall"),
        ("p99_ms", "p99 ms"),
    ],
    "G7": [("p50_ms", "p50 ms"), ("p99_ms", "p99 ms"), ("msgs_per_second_wall", "msg/s")],
    "G8": [("p50_ms", "p50 ms"), ("p99_ms", "p99 ms"), ("delivered_pct", "delivered %"), ("outcomes", "outcomes")],
    "G10": [("seconds", "seconds"), ("failures", "failures"), ("server_cpu_ms_per_reconnect", "CPU ms/reconnect")],
}


def render(doc: dict[str, Any]) -> str:
    meta = doc["meta"]
    lines = [
        f"chargeplane benchmarks  {meta['date']}  {meta['machine']['cpu_model']} x{meta['machine']['cpus']}"
        f"  python {meta['machine']['python']}  ({meta['duration_seconds']}s)",
        f"server on CPU {meta['pinning']['server_cpus']}, load generator on CPU {meta['pinning']['loadgen_cpu']};"
        f" medians of {meta['options']['repeat']} run(s)",
        "",
    ]
    for gid, r in doc["results"].items():
        status = r.get("status", "?")
        verdict = {True: "PASS", False: "FAIL"}.get(r.get("pass"), status.upper().replace("_", " "))
        lines.append(f"{gid:<4} {verdict:<13} {r.get('name', '')}  [budget: {r.get('budget', '-')}]")
        if r.get("driver"):
            lines.append(f"       driver: python -m bench.{r['driver']} ({r.get('seconds', '?')}s)")
            report = r.get("report") or {}
            for key in ("measured", "round_trip", "hop"):
                if isinstance(report.get(key), dict):
                    shown = {k: v for k, v in report[key].items() if not isinstance(v, dict | list)}
                    lines.append(f"       {key}: {json.dumps(shown)[:400]}")
        if status in ("not_landed", "not_measured", "failed") and r.get("reason"):
            lines.append(f"       reason: {r['reason'][:160]}")
        if gid in FIELDS:
            for kind in ("chargeplane", "baseline"):
                fig = r.get(kind)
                if fig:
                    cells = "  ".join(f"{label} {_f(fig.get(key))}" for key, label in FIELDS[gid])
                    lines.append(f"       {kind:<12} {cells}")
                    if fig.get("not_run"):
                        lines.append(f"       {kind:<12} storm not run: {fig['not_run'][0]}")
                    if fig.get("failure_kinds"):
                        lines.append(f"       {kind:<12} errors by kind: {fig['failure_kinds']}")
                    if fig.get("loadgen_errors"):
                        lines.append(f"       {kind:<12} load generator errors: {fig['loadgen_errors'][0][:150]}")
            if r.get("ratio_chargeplane_over_baseline") is not None:
                lines.append(f"       ratio chargeplane/baseline: {r['ratio_chargeplane_over_baseline']}")
        if gid == "G4" and "reference" in r:
            for action, row in r["reference"].items():
                cp = (r.get("chargeplane") or {}).get(f"{action}_us")
                lines.append(
                    f"       {action:<17} chargeplane {_f(cp)} us"
                    f"  ocpp-lib jsonschema {_f(row['ocpp_library_jsonschema_us'])} us"
                    f"  fastjsonschema {_f(row['fastjsonschema_compiled_us'])} us"
                )
        if gid == "G12" and r.get("sim"):
            s = r["sim"]
            lines.append(
                f"       sim          KiB/charger {_f(s['kib_per_charger'])}"
                f"  connects/CPU-s {_f(s['connects_per_cpu_second'])}"
                f"  connects/s wall {_f(s['connects_per_second_wall'])}"
            )
    for note in doc.get("notes", []):
        lines.append(f"note: {note[:300]}")
    return "\n".join(lines)


def _fig(r: dict[str, Any], kind: str, gid: str) -> str:
    fig = r.get(kind)
    if not fig or gid not in FIELDS:
        return "-"
    return ", ".join(f"{label} {_f(fig.get(key))}" for key, label in FIELDS[gid][:3])


def render_markdown(doc: dict[str, Any]) -> str:
    """The results as a Markdown table (for bench/RESULTS.md)."""
    rows = [
        "| id | benchmark | budget | chargeplane | baseline (`ocpp` docs style) | chargeplane / baseline | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for gid, r in doc["results"].items():
        status = r.get("status", "?")
        verdict = {True: "**holds**", False: "**does not hold**"}.get(r.get("pass"), status.replace("_", " "))
        cp = _fig(r, "chargeplane", gid)
        if gid == "G4" and r.get("chargeplane"):
            c = r["chargeplane"]
            cp = f"MeterValues {_f(c['MeterValues_us'])} us, TransactionEvent {_f(c['TransactionEvent_us'])} us"
        if gid == "G12" and r.get("sim"):
            s = r["sim"]
            cp = f"{_f(s['kib_per_charger'])} KiB/charger, {_f(s['connects_per_cpu_second'])} connects/CPU-s"
        if r.get("driver") and r.get("report"):
            rep = r["report"]
            meas = rep.get("measured") if isinstance(rep.get("measured"), dict) else rep.get("round_trip", {})
            flat = {k: v for k, v in (meas or {}).items() if isinstance(v, int | float | str)}
            cp = f"`bench.{r['driver']}`: " + ", ".join(f"{k} {_f(v)}" for k, v in list(flat.items())[:6])
        if cp == "-" and r.get("reason"):
            cp = f"({r['reason'][:120]})"
        base = _fig(r, "baseline", gid)
        if gid == "G4" and r.get("reference"):
            ref = r["reference"]
            base = (
                f"ocpp jsonschema: MeterValues {_f(ref['MeterValues']['ocpp_library_jsonschema_us'])} us,"
                f" TransactionEvent {_f(ref['TransactionEvent']['ocpp_library_jsonschema_us'])} us"
            )
        ratio = _f(r.get("ratio_chargeplane_over_baseline"))
        rows.append(f"| {gid} | {r.get('name', '')} | {r.get('budget', '')} | {cp} | {base} | {ratio} | {verdict} |")
    return "\n".join(rows)
