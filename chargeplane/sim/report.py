"""The human-readable summary printed at the end of a run."""

from __future__ import annotations

from typing import Any


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def summary_table(report: dict[str, Any]) -> str:
    cfg = report["config"]
    lines = [
        f"chargeplane sim: {cfg['chargers']} chargers, protocol {cfg['protocol']}, scenario {cfg['scenario']},"
        f" {report['elapsed_seconds']:.1f}s, {report['booted']} booted, {report['connects']} connects,"
        f" {report['reconnects']} reconnects, {report['sent']:,} sent / {report['received']:,} received",
    ]
    fp = report["footprint"]
    if "kib_per_charger" in fp or "connects_per_second" in fp:
        lines.append(
            f"footprint: {fp.get('kib_per_charger', '?')} KiB/charger,"
            f" all booted in {fp.get('all_booted_seconds', '?')}s"
            f" ({fp.get('connects_per_second', '?')} connects/s wall,"
            f" {fp.get('connects_per_cpu_second', '?')} per CPU-second)"
        )
    header = f"{'action':<26}{'count':>10}{'ok':>10}{'errors':>8}{'timeouts':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}"
    lines += ["", header, "-" * len(header)]
    for action, row in report["actions"].items():
        lines.append(
            f"{action:<26}{row['count']:>10,}{row['results']:>10,}{row['errors']:>8,}{row['timeouts']:>9,}"
            + "".join(f"{row[k]:>9.2f}" if k in row else f"{'-':>9}" for k in ("p50_ms", "p90_ms", "p99_ms"))
        )
    sections = [
        ("CALLERRORs received (action:code)", report["call_errors"]),
        ("timeouts", report["timeouts"]),
        ("connect failures", report["connect_failures"]),
        ("calls lost in flight (disconnected)", report["lost_in_flight"]),
        ("server protocol errors", report["protocol_errors"]),
        ("disconnects", report["disconnects"]),
        ("boot status", report["boot_status"]),
        ("authorization status", report["auth_status"]),
        ("CALLs from the CSMS", report["csms_calls"]),
        ("CSMS CALLs answered NotImplemented", report["csms_not_implemented"]),
    ]
    for title, counts in sections:
        if counts:
            lines.append("")
            lines.append(f"{title}:")
            lines += [f"  {key:<50}{_fmt(n):>10}" for key, n in counts.items()]
    sessions = report["sessions"]
    if any(sessions.values()):
        lines.append("")
        lines.append(
            f"sessions: {sessions['started']} started, {sessions['completed']} completed, {sessions['failed']} failed"
        )
    lines.append("")
    total = report["errors_total"]
    lines.append(f"ERRORS: {total}" if total else "errors: none")
    return "\n".join(lines)
