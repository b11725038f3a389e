"""Time process_map (and variants, rework) on a simulated caseload, beside PM4Py's performance DFG.

Run from the project folder:

    python benchmarks/bench_processmap.py [N_DOSSIERS] [--repeat R] [--pm4py VENV/bin/python]

1. ``simulate(N, seed=20, as_of="2025-06-30")`` then ``validate`` (not timed).
2. Ours, best and median of R runs after a warm-up, in this process:
   ``process_map(log)`` (events level), ``process_map(log, level="milestones")``,
   ``variants(log)`` (milestones), ``rework(log)``.
3. PM4Py, with the PM4Py venv's interpreter (``bash benchmarks/pm4py_env.sh``; PM4Py is
   never a dependency): the validated events' ``case_id, event, timestamp`` are written
   to a temporary Parquet file (same events, same order) and
   ``benchmarks/pm4py_stages.py FILE BACKEND --key-columns`` runs once per backend; its
   ``perf_dfg_s`` is ``pm4py.discover_performance_dfg`` alone (after ``format_dataframe``,
   timed apart as ``format_s``).

Prints a Markdown block to paste into benchmarks/RESULTS_processmap.md. Timings are
measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import vitale_analysis as va  # noqa: E402
from _common import ROOT, machine  # noqa: E402


def timed(fn, repeat: int) -> tuple[float, float, object]:
    result = fn()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pm4py", default=None, help="the PM4Py venv's python (benchmarks/pm4py_env.sh)")
    args = parser.parse_args()
    warnings.simplefilter("ignore", va.DataQualityWarning)

    start = time.perf_counter()
    raw = va.simulate(args.n, seed=20, as_of="2025-06-30")
    log = va.validate(raw)
    del raw
    setup_s = time.perf_counter() - start
    n_events = len(log.events)

    rows = []
    runs = {
        "process_map(log) — events": lambda: va.process_map(log),
        "process_map(log, level=\"milestones\")": lambda: va.process_map(log, level="milestones"),
        "process_map(log, by=\"office\")": lambda: va.process_map(log, by="office"),
        "variants(log) — milestones, top 20": lambda: va.variants(log),
        "rework(log)": lambda: va.rework(log),
    }
    results = {}
    for name, fn in runs.items():
        best, median, results[name] = timed(fn, args.repeat)
        rows.append((name, best, median))

    pm = results["process_map(log) — events"]
    inner = pm.edges[~pm.edges["source"].isin([va.START]) & ~pm.edges["target"].isin([va.END, va.OPEN])]
    ours_edge = inner.iloc[0]

    pm4py_rows = []
    if args.pm4py:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "events.parquet"
            events = log.events[["case_id", "event", "timestamp"]]
            pd.DataFrame({"case_id": events["case_id"].astype(str), "event": events["event"].astype(str),
                          "timestamp": events["timestamp"]}).to_parquet(path, index=False)
            for backend in ("pandas", "polars"):
                done = subprocess.run([args.pm4py, str(ROOT / "benchmarks" / "pm4py_stages.py"), str(path), backend,
                                       "--key-columns"], capture_output=True, text=True, check=False)
                if done.returncode != 0:
                    pm4py_rows.append((backend, None, done.stderr.strip().splitlines()[-1:]))
                    continue
                pm4py_rows.append((backend, json.loads(done.stdout.strip().splitlines()[-1]), None))

    info = machine()
    print(f"## {args.n:,} dossiers, {n_events:,} events (simulate seed 20, as of 2025-06-30)\n")
    print(f"- When: {info['when']}; commit {info['commit']}")
    print(f"- Machine: {info['machine']}")
    print(f"- Versions: {info['versions']}")
    print(f"- Command: `python benchmarks/bench_processmap.py {args.n} --repeat {args.repeat}"
          + (f" --pm4py {args.pm4py}`" if args.pm4py else "`"))
    print(f"- Setup (simulate + validate, not timed below): {setup_s:.1f} s\n")
    print(f"| ours (one process, after a warm-up, {args.repeat} runs) | best (s) | median (s) |")
    print("|---|---:|---:|")
    for name, best, median in rows:
        print(f"| `{name}` | {best:.2f} | {median:.2f} |")
    print(f"\nOurs: {len(pm.edges)} edges, {len(inner)} between events; most common: "
          f"{ours_edge['source']} → {ours_edge['target']}, {ours_edge['transitions']:,} transitions, "
          f"median {ours_edge['median_days']:.4f} days.\n")
    if pm4py_rows:
        print("| PM4Py (its own venv, one run per backend, key columns only) | format_dataframe (s) | "
              "discover_performance_dfg (s) | peak RSS (MB) | DFG edges |")
        print("|---|---:|---:|---:|---:|")
        for backend, out, error in pm4py_rows:
            if out is None:
                print(f"| {backend} | failed: {error} | | | |")
            else:
                print(f"| {backend} (pm4py {out['pm4py']}) | {out['format_s']:.2f} | {out['perf_dfg_s']:.2f} | "
                      f"{out['peak_mb']:.0f} | {out['sanity']['dfg_edges']} |")
        for backend, out, _ in pm4py_rows:
            if out is not None:
                print(f"\nPM4Py {backend} sanity: {json.dumps(out['sanity'])}")
                same = out["sanity"]["edge_from_top_start"]
                if same:
                    mine = inner[(inner["source"] == same["edge"][0]) & (inner["target"] == same["edge"][1])]
                    print(f"Ours on that edge: median {mine['median_days'].iloc[0]:.4f} days "
                          f"({mine['transitions'].iloc[0]:,} transitions).")


if __name__ == "__main__":
    main()
