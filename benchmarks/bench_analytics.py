"""Time every analytics function on the bundled sample (issue 4: "well under a second").

Run from the project folder:  python benchmarks/bench_analytics.py [LOG] [--repeat N]
Prints a Markdown table (best of N runs, after one warm-up) to paste into
benchmarks/RESULTS_analytics.md. Timings are measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings

import numpy as np
import pandas as pd

import vitale_analysis as va


def best_of(fn, repeat: int) -> float:
    fn()  # warm-up: imports, caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("log", nargs="?", default="data/sample_caselog.csv")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    warnings.simplefilter("ignore", va.DataQualityWarning)

    log = va.load(args.log)
    cases = va.case_table(log)
    steps = {
        "load (read + validate)": lambda: va.load(args.log),
        "case_table": lambda: va.case_table(log),
        "phase_durations": lambda: va.phase_durations(log),
        "phase_summary (from the log)": lambda: va.phase_summary(log),
        "phase_summary (precomputed cases, by office)": lambda: va.phase_summary(cases, by="office"),
        "trigger_summary (200 bootstrap resamples)": lambda: va.trigger_summary(cases),
        "compare_cohorts (by channel, 7 phases, 500 resamples)": lambda: va.compare_cohorts(cases, by="channel"),
        "phase_trend (monthly)": lambda: va.phase_trend(cases),
        "stalled": lambda: va.stalled(cases),
        "conformance": lambda: va.conformance(log),
        "throughput (weekly)": lambda: va.throughput(log),
        "waiting_on": lambda: va.waiting_on(log),
        "case_table (working days)": lambda: va.case_table(log, days="working"),
    }
    print(f"Log: {args.log} — {len(log.events):,} events, {len(cases):,} dossiers")
    print(f"Machine: {platform.platform()}, {platform.processor() or platform.machine()}; "
          f"Python {platform.python_version()}, pandas {pd.__version__}, NumPy {np.__version__}")
    print()
    print("| function | seconds (best of %d) |" % args.repeat)
    print("|---|---:|")
    for name, fn in steps.items():
        print(f"| {name} | {best_of(fn, args.repeat):.3f} |")


if __name__ == "__main__":
    main()
