"""Median intervals, cohort comparisons and trends on a national caseload (issue 21).

Run from the project folder::

    python benchmarks/bench_medians.py LOG.parquet [--rounds 6]

LOG is a Parquet log such as ``bench_pipeline.py --keep DIR`` leaves (``simulate(1_000_000,
seed=1, as_of="2025-06-30")``). In one process: ``phase_summary`` with and without the
median's interval (``confidence=0.95`` / ``None``: the second is the code path from before
the intervals), without cohorts, by office and by start month, each on a fresh case table
(so the sorted samples a table caches are made in the timing, as in the pipeline), the
order alternating by round; then ``compare_cohorts`` and ``phase_trend``. Prints a Markdown
table (median and minimum of the rounds) to paste into ``benchmarks/RESULTS_medians.md``.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import vitale_analysis as va


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("log")
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    warnings.simplefilter("ignore", va.DataQualityWarning)
    log = va.validate(va.read_caselog(args.log))
    print(f"Log: {args.log} — {len(log.events):,} events")
    times: dict[tuple, list[float]] = {}
    for r in range(args.rounds):
        for confidence in ([None, 0.95] if r % 2 == 0 else [0.95, None]):
            for by in (None, "office", "start_month"):
                cases = va.case_table(log)
                times.setdefault((by, confidence), []).append(
                    timed(lambda: va.phase_summary(cases, by=by, confidence=confidence)))
    print()
    print("| phase_summary | without the interval (s) | with the 95 % interval (s) |")
    print("|---|---:|---:|")
    for by in (None, "office", "start_month"):
        cells = [f"{statistics.median(times[by, c]):.3f} (min {min(times[by, c]):.3f})" for c in (None, 0.95)]
        print(f"| by={by!r} | {cells[0]} | {cells[1]} |")
    cases = va.case_table(log)
    print()
    print("| call (7 phases unless said) | seconds |")
    print("|---|---:|")
    for name, fn in {
        'compare_cohorts(by="channel")': lambda: va.compare_cohorts(cases, by="channel"),
        'compare_cohorts(by="office")': lambda: va.compare_cohorts(cases, by="office"),
        'compare_cohorts("rights", by="office")': lambda: va.compare_cohorts(cases, "rights", by="office"),
        'compare_cohorts(by="office", n_boot=0)': lambda: va.compare_cohorts(cases, by="office", n_boot=0),
        "phase_trend() (monthly)": lambda: va.phase_trend(cases),
    }.items():
        print(f"| {name} | {timed(fn):.2f} |")


if __name__ == "__main__":
    main()
