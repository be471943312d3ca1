"""`python -m bench` / `make bench`: one JSON document on stdout, a table on stderr."""

from __future__ import annotations

import argparse
import json
import sys

import orjson

from bench.suite import Options, Suite
from bench.table import render, render_markdown

IDS = ("G1", "G2", "G3", "G4", "G5", "G6", "G7", "G8", "G10", "G11", "G12", "G14", "G15")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="CI smoke run (< 60 s): 500 chargers, 1 repeat, no feature drivers"
    )
    parser.add_argument("--repeat", type=int, help="runs per benchmark (median is reported); default 3")
    parser.add_argument("--fleet-repeat", type=int, help="10k-fleet runs (G1/G10) on chargeplane; default 2")
    parser.add_argument("--chargers", type=int, help="fleet size for G1/G10/G12; default 10,000")
    parser.add_argument("--measure", type=float, help="seconds measured per throughput run; default 8")
    parser.add_argument("--protocol", choices=["1.6", "2.0.1"], default="2.0.1")
    parser.add_argument("--only", default="", help="comma-separated ids, e.g. G2,G3")
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline server")
    parser.add_argument("--table", action="store_true", help="print the table on stdout instead of JSON")
    parser.add_argument("--output", help="also write the JSON document to this file")
    parser.add_argument("--markdown", metavar="JSON", help="print an earlier run's results as Markdown and exit")
    args = parser.parse_args(argv)
    if args.markdown:
        with open(args.markdown) as f:
            print(render_markdown(json.load(f)))
        return 0
    opts = Options.quick_mode() if args.quick else Options()
    if args.repeat:
        opts.repeat = args.repeat
    if args.fleet_repeat:
        opts.fleet_repeat = args.fleet_repeat
    if args.chargers:
        opts.chargers = args.chargers
    if args.measure:
        opts.measure = args.measure
    opts.protocol = args.protocol
    opts.skip_baseline = args.no_baseline
    if args.only:
        wanted = {x.strip().upper() for x in args.only.split(",") if x.strip()}
        unknown = wanted - set(IDS)
        if unknown:
            parser.error(f"unknown benchmark ids: {sorted(unknown)}")
        opts.only = frozenset(wanted)
    doc = Suite(opts).run()
    text = orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode()
    if args.output:
        with open(args.output, "w") as f:
            f.write(text + "\n")
    table = render(doc)
    if args.table:
        print(table)
    else:
        print(text)
        print(table, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
