"""The Dask engine against the in-memory path on one machine (issue 22), in one run.

From the project folder (not in the tests; it loads the machine for minutes)::

    python benchmarks/bench_dask.py --write          # 1,000,000 dossiers
    python benchmarks/bench_dask.py --cases 200000   # a quicker look

Writes ``va.simulate(cases, seed=1, as_of="2025-06-30")`` to Parquet twice: by case
with ``va.write_events`` (row groups sorted by case id: only the dossiers cut at the
pieces' ends move), and by date (rows in the order events happened, as an export
by date is: every piece holds every dossier, so the events are shuffled). The row
groups are the pieces the workers read. Then, for each file, times:

* in memory: ``va.load(path)`` + ``va.case_table(log)``;
* Dask with 1 worker, then with 2 workers (1 thread each, ``processes=True``):
  ``va.load(path, engine="dask", client=...)`` (read, dossiers made whole, validation,
  global checks) + ``case_table(...).frame`` persisted and counted on the cluster.
  Cluster start-up is not counted; the shuffle is.

With ``--write`` the results go to ``benchmarks/RESULTS_dask.md``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine  # noqa: E402

import vitale_analysis as va  # noqa: E402


def timed(call):
    start = time.perf_counter()
    out = call()
    return out, time.perf_counter() - start


def in_memory(path):
    log = va.load(path)
    cases = va.case_table(log)
    return len(cases)


def on_dask(path, workers: int, client_kw: dict):
    import distributed

    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                                  **client_kw) as cluster, distributed.Client(cluster) as client:
        def run():
            log = va.load(path, engine="dask", client=client)
            table = va.case_table(log).frame.persist()
            return int(table.map_partitions(len).sum().compute()), log.npartitions
        (n, parts), seconds = timed(run)
    return n, parts, seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--memory-limit", default="3GB", help="per worker (default 3GB)")
    parser.add_argument("--write", action="store_true", help="write benchmarks/RESULTS_dask.md")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", va.DataQualityWarning)
    with tempfile.TemporaryDirectory() as folder:
        by_case, by_date = Path(folder) / "by_case.parquet", Path(folder) / "by_date.parquet"
        events, made = timed(lambda: va.simulate(args.cases, seed=1, as_of="2025-06-30"))
        va.write_events(events, by_case)
        events.sort_values("timestamp", kind="stable").to_parquet(by_date, index=False, row_group_size=1 << 20)
        n_events = len(events)
        del events
        rows = []
        for order, path in (("by case", by_case), ("by date", by_date)):
            n, seconds = timed(lambda: in_memory(path))
            rows.append((order, "in memory (load + case_table)", "-", n, seconds))
            for workers in (1, 2):
                n, parts, seconds = on_dask(path, workers, {"memory_limit": args.memory_limit})
                rows.append((order, f"Dask, {workers} worker{'s' if workers > 1 else ''} (load + case_table)", parts,
                             n, seconds))
    base = {order: seconds for order, name, _, _, seconds in rows if name.startswith("in memory")}
    m = machine("dask", "distributed")
    lines = [f"# The Dask engine on one machine ({args.cases:,} dossiers, {n_events:,} events)", "",
             f"Run {m['when']} on {m['machine']} ({m['versions']}). Command: `python benchmarks/bench_dask.py --cases "
             f"{args.cases}`. Simulation took {made:.0f} s (not counted). Cluster start-up not counted; moving the "
             "rows is (only the cut dossiers for the file by case, a shuffle of every row for the file by date).", "",
             "| file | path | partitions | dossiers | seconds | × in memory |", "|---|---|---:|---:|---:|---:|"]
    lines += [f"| {order} | {name} | {parts} | {n:,} | {s:.1f} | {s / base[order]:.2f} |"
              for order, name, parts, n, s in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        (Path(__file__).resolve().parent / "RESULTS_dask.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
