"""``python -m bench`` (or ``make bench``): every benchmark on one embedded stack, one report.

    python -m bench [--scale 0.1] [--only api_reads iot_pipeline] [--out bench/results]

``BENCH_SCALE`` sets the default scale (1 = the full workloads, about 10 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from bench.suite import RESULTS_DIR, run_suite


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="tradeledger benchmark suite")
    parser.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_SCALE", "1")))
    parser.add_argument("--only", nargs="*", help="benchmark names (default: all)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    results, paths = run_suite(args.scale, args.out, only=args.only)
    for kind, path in paths.items():
        print(f"{kind}: {path}")
    missed = sum(1 for r in results for f in r.figures if f.met is False)
    failed = [r.name for r in results if r.status == "failed"]
    print(f"{len(results)} benchmarks, {missed} targets missed" + (f", failed: {failed}" if failed else ""))


if __name__ == "__main__":
    main()
