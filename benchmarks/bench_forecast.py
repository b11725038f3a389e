"""Time ``forecast`` and ``forecast_completions`` on about 100,000 open dossiers (issue 21: ≤ 3 s).

Run from the project folder::

    python benchmarks/bench_forecast.py [--cases 450000] [--repeats 5] [--out benchmarks/RESULTS_forecast.md]

The log is ``simulate(CASES, seed=7, as_of="2025-06-30")`` (default parameters, 18 months), loaded
with ``va.load`` — not timed. About a fifth of the dossiers have not reached their rights at
``as_of``: 450,000 dossiers give about 100,000 open ones to forecast. Timed, ``repeats`` times
each, in one process: ``case_table(log)`` (the table the forecasts start from), then on that
table ``forecast`` and ``forecast_completions`` with ``by=None`` and ``by="office"``, and
``forecast`` straight from the log (table included). Then, once each with ``tracemalloc`` on
(slower; not in the timings), the peak of memory allocated during the call. Writes its section
of the results file (between ``<!-- bench_forecast.py -->`` markers; other sections are kept).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, machine
from backtest_forecast import write_section

import vitale_analysis as va

MARK = "bench_forecast.py"


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def peak_mb(fn) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=450_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "RESULTS_forecast.md"))
    args = parser.parse_args()
    warnings.simplefilter("ignore", va.DataQualityWarning)
    info = machine()
    start = time.perf_counter()
    log = va.load(va.simulate(args.cases, seed=7, as_of="2025-06-30"))
    build = time.perf_counter() - start
    print(f"log: {args.cases:,} dossiers, {len(log.events):,} events, built in {build:.1f} s (not timed)", flush=True)

    calls = {
        "case_table(log)": lambda table: va.case_table(log),
        "forecast(table)": lambda table: va.forecast(table),
        'forecast(table, by="office")': lambda table: va.forecast(table, by="office"),
        "forecast_completions(table)": lambda table: va.forecast_completions(table),
        'forecast_completions(table, by="office")': lambda table: va.forecast_completions(table, by="office"),
        "forecast(table, history_days=365)": lambda table: va.forecast(table, history_days=365),
        "forecast(log) (table included)": lambda table: va.forecast(log),
    }
    times: dict[str, list[float]] = {name: [] for name in calls}
    table = va.case_table(log)
    n_open = len(va.forecast(table))  # (warm-up too)
    print(f"open dossiers forecast: {n_open:,}", flush=True)
    for r in range(args.repeats):
        for name, fn in calls.items():
            seconds, _ = timed(lambda fn=fn: fn(table))
            times[name].append(seconds)
        print(f"round {r + 1}: " + ", ".join(f"{n} {t[-1]:.2f}" for n, t in times.items()), flush=True)
    peaks = {name: peak_mb(lambda fn=fn: fn(table)) for name, fn in calls.items()}
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    lines = [
        f"<!-- {MARK} -->",
        "## Timings: forecast on about 100,000 open dossiers",
        "",
        f"`python benchmarks/bench_forecast.py --cases {args.cases} --repeats {args.repeats}` — {info['when']}, "
        f"commit {info['commit']}; {info['machine']}; {info['versions']}.",
        "",
        f"Log: `va.load(va.simulate({args.cases:_}, seed=7, as_of=\"2025-06-30\"))`, {len(log.events):,} events "
        f"(built in {build:.0f} s, not timed); **{n_open:,} open dossiers** forecast at `as_of` (the log's "
        "latest event), `target=\"rights_opened\"`, defaults otherwise (`draws=1000`, `confidence=0.8`, "
        "`min_history=30`). One process, calls in the order below, "
        f"{args.repeats} rounds; the table from `case_table(log)` is made once and shared. Peak = the most memory "
        "allocated at once during one call (tracemalloc, a separate run); the process's peak resident "
        f"memory at the end was {rss:,.0f} MB (the log included).",
        "",
        "| call | median (s) | min–max (s) | peak allocated (MB) |",
        "|---|---:|---:|---:|",
    ]
    for name, t in times.items():
        lines.append(f"| `{name}` | {statistics.median(t):.2f} | {min(t):.2f}–{max(t):.2f} | {peaks[name]:,.0f} |")
    lines += ["", f"<!-- /{MARK} -->"]
    text = "\n".join(lines) + "\n"
    print(text)
    write_section(Path(args.out), text, MARK)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
