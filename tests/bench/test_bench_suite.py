"""The benchmark harness: feature detection, budget verdicts, and a real short run."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from bench import validation
from bench.__main__ import IDS
from bench.probe import probe_features
from bench.servers import REPO, BaselineServer
from bench.suite import Options, Suite, assemble


def test_validation_reference_figures_are_real() -> None:
    g4 = validation.run(runs=2, number=200)
    for row in g4["actions"].values():
        # jsonschema is an order of magnitude slower than compiled code; both are > 0.
        assert row["ocpp_library_jsonschema_us"] > row["fastjsonschema_compiled_us"] > 0
    if g4["chargeplane_api"] is None:
        assert g4["not_landed_reason"]
    else:
        assert all(row["chargeplane_us"] > 0 for row in g4["actions"].values())


def test_probe_sees_notimplemented_on_the_baseline() -> None:
    with BaselineServer() as server:
        found = probe_features(server.url)
    assert set(found) == {"Authorize/1.6", "StartTransaction/1.6", "Authorize/2.0.1", "TransactionEvent/2.0.1"}
    assert all(v.startswith("CALLERROR NotImplemented") for v in found.values()), found


def _tput(us: float, p50: float = 0.5, p99: float = 2.0) -> dict[str, Any]:
    return {
        "results": 1000,
        "server_cpu_us_per_msg": us,
        "server_tree_cpu_us_per_msg": us,
        "msgs_per_second": 1e6 / us,
        "p50_ms": p50,
        "p99_ms": p99,
        "call_errors": 0,
        "errors_total": 0,
    }


def _fleet(kib: float, storm_s: float) -> dict[str, Any]:
    return {
        "all_connected": True,
        "server_kib_per_connection": kib,
        "server_cpu_ms_per_connect": 0.3,
        "sim_footprint": {"kib_per_charger": 4.0, "connects_per_cpu_second": 4000.0, "connects_per_second": 2000.0},
        "storm": {"seconds": storm_s, "all_accepted": True, "failures": 0, "server_cpu_ms_per_reconnect": 0.4},
    }


def _suite(probes: dict[str, str]) -> Suite:
    suite = Suite(Options())
    suite.probes = {"chargeplane": probes}
    suite.runs = {
        "chargeplane": {
            "fleet": [_fleet(16.0, 6.0), _fleet(18.0, 7.0), _fleet(30.0, 20.0)],
            "G2": [_tput(30.0), _tput(50.0), _tput(35.0)],
            "G3": [_tput(120.0)],
            "G7": [_tput(200.0, p50=0.8, p99=6.0)],
            "G8": [
                {
                    "commands": 300,
                    "answered": 300,
                    "delivered_to_chargers": 300,
                    "p50_ms": 2.0,
                    "p99_ms": 8.0,
                    "outcomes": {"http_200:answered": 300},
                    "server_tree_cpu_ms_per_command": 1.0,
                },
                {
                    "commands": 300,
                    "answered": 299,
                    "delivered_to_chargers": 300,
                    "p50_ms": 2.5,
                    "p99_ms": 9.0,
                    "outcomes": {"http_200:answered": 299, "http_504:?": 1},
                    "server_tree_cpu_ms_per_command": 1.0,
                },
            ],
        },
        "baseline": {"fleet": [_fleet(19.0, 12.0)], "G2": [_tput(105.0)], "G3": [_tput(330.0)]},
        "simulator": {"G12": [_fleet(0, 0)]},
    }
    return suite


def test_verdicts_use_medians_and_ratios() -> None:
    nope = "CALLERROR NotImplemented: x"
    res = assemble(_suite(dict.fromkeys(("Authorize/1.6", "StartTransaction/1.6"), nope)), None, True, "")
    assert res["G1"]["chargeplane"]["kib_per_connection"] == 18.0 and res["G1"]["pass"] is True
    assert res["G2"]["chargeplane"]["server_cpu_us_per_msg"] == 35.0 and res["G2"]["pass"] is True
    assert res["G2"]["ratio_chargeplane_over_baseline"] == round(35 / 105, 3)
    assert res["G3"]["pass"] is False  # 120 us -> 8,333 msg/s per core < 10,000
    assert res["G10"]["chargeplane"]["seconds"] == 7.0 and res["G10"]["pass"] is True
    assert res["G12"]["pass"] is True
    assert res["G8"]["chargeplane"]["delivered_pct"] == round(100 * 599 / 600, 2)
    assert res["G8"]["pass"] is False  # one command was not answered: 100% delivery is the budget
    suite = _suite({})
    suite.runs["simulator"]["G12"][0]["sim_footprint"]["connects_per_cpu_second"] = 1500.0
    assert assemble(suite, None, True, "")["G12"]["pass"] is False
    for gid in ("G5", "G6", "G7"):
        assert res[gid]["status"] == "not_landed" and "NotImplemented" in res[gid]["reason"]


def test_a_refused_action_is_not_landed_not_a_throughput_figure() -> None:
    suite = _suite({})
    refused = {
        **_tput(20.0),
        "results": 0,
        "call_errors": 500,
        "errors": {"call_errors": {"MeterValues:NotSupported": 500}},
    }
    suite.runs["chargeplane"]["G3"] = [refused]
    g3 = assemble(suite, None, True, "")["G3"]
    assert g3["status"] == "not_landed" and "MeterValues:NotSupported" in g3["reason"]
    assert "pass" not in g3


def test_authorize_lights_up_when_the_server_serves_it() -> None:
    res = assemble(_suite({"Authorize/1.6": "ok", "Authorize/2.0.1": "ok"}), None, True, "")
    assert res["G7"]["status"] == "measured"
    assert res["G7"]["pass"] is False  # p99 6 ms > 5 ms


def test_without_chargeplane_run_every_chargeplane_figure_is_not_landed() -> None:
    suite = _suite({})
    del suite.runs["chargeplane"]
    res = assemble(suite, None, False, "`chargeplane run` is not available yet")
    for gid in ("G1", "G2", "G3", "G10"):
        assert res[gid]["status"] == "not_landed" and res[gid]["baseline"]
    assert res["G12"]["sim"]["kib_per_charger"] == 4.0  # measured against the null CSMS


@pytest.mark.slow
def test_python_m_bench_produces_one_json_document_with_every_id(tmp_path: Any) -> None:
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "G2,G4", "--measure", "1", "--output", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    doc = json.loads(proc.stdout)
    assert json.loads(out.read_text()) == doc
    assert list(doc["results"]) == list(IDS)
    for gid, r in doc["results"].items():
        assert r.get("status") in {"measured", "not_landed", "not_measured", "failed", "skipped"}, gid
        if r["status"] in {"not_landed", "not_measured"}:
            assert r["reason"]
    g2 = doc["results"]["G2"]["baseline"]
    assert g2["msgs_per_core"] > 0 and g2["errors_total"] == 0
    assert "G2" in proc.stderr and "budget" in proc.stderr  # the table


def test_feature_driver_output_is_parsed_and_failures_are_reported(monkeypatch: Any) -> None:
    from bench import external

    text = 'log line {not json}\n{"id": "G6", "measured": {"p50_ms": 1.0}, "pass": true}\n'
    assert external._last_json_object(text) == {"id": "G6", "measured": {"p50_ms": 1.0}, "pass": True}
    assert external._last_json_object("no json here") is None
    # A "driver" that prints nothing (bench.probe has no __main__ block) is a failure, not a pass.
    monkeypatch.setitem(external.DRIVERS, "G6", "probe")
    outcome = external.run("G6", quick=True, timeout=60)
    assert outcome["status"] == "failed" and "pass" not in outcome
