"""The Dask engine against the in-memory path on one machine (issue 22), in one run.

From the project folder (not in the tests; it loads the machine for minutes)::

    python benchmarks/bench_dask.py --write          # 1,000,000 dossiers
    python benchmarks/bench_dask.py --cases 200000   # a quicker look

Writes ``va.simulate(cases, seed=1, as_of="2025-06-30")`` to Parquet twice: by case
with ``va.write_events`` (row groups sorted by case id: only the dossiers cut at the
pieces' ends move), and by date (rows in the order events happened, as an export
by date is: every piece holds every dossier, so every row is moved). The row groups
are the pieces the workers read. Then, for each file, in fresh processes:

* in memory: ``va.load(path)`` + ``va.case_table(log)``, ``--repeat`` times in one
  new process;
* Dask with 1 worker, then with 2 workers (1 thread each, ``processes=True``, Dask's
  default settings), then 2 workers without Dask's ``MALLOC_TRIM_THRESHOLD_`` (see
  docs/dask.md): ``va.load(path, engine="dask", client=...)`` (read, dossiers made
  whole, validation, global checks) + ``case_table(...).frame`` persisted and
  counted on the cluster, ``--repeat`` times on one new cluster.

Cluster start-up (and the workers' ``import vitale_analysis``) is not counted; moving
the rows is. The first run of each process or cluster is reported apart ("cold": its
memory is new to it), and the median of the others ("warm").

With ``--write`` the results go to ``benchmarks/RESULTS_dask.md``.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine  # noqa: E402

import vitale_analysis as va  # noqa: E402

RUN = r"""
import importlib, json, sys, time, warnings
import vitale_analysis as va
warnings.simplefilter("ignore", va.DataQualityWarning)
path, mode, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])

def in_memory():
    log = va.load(path)
    return len(va.case_table(log)), None

def run_all(run):
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        n, parts = run()
        out.append(time.perf_counter() - start)
    return {"n": n, "parts": parts, "seconds": out}

if mode == "memory":
    print(json.dumps(run_all(in_memory)))
else:
    import dask, distributed
    workers, trim = mode.split(":")
    if trim == "off":
        dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})
    with distributed.LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True,
                                  dashboard_address=None, memory_limit=sys.argv[4]) as cluster, \
            distributed.Client(cluster) as client:
        client.run(lambda: importlib.import_module("vitale_analysis"))  # (start-up)

        def on_dask():
            log = va.load(path, engine="dask", client=client)
            table = va.case_table(log).frame.persist()
            n = int(table.map_partitions(len).sum().compute())
            parts = log.npartitions
            del table, log
            return n, parts
        print(json.dumps(run_all(on_dask)))
"""

PATHS = [("in memory (load + case_table)", "memory"),
         ("Dask, 1 worker", "1:default"),
         ("Dask, 2 workers", "2:default"),
         ("Dask, 2 workers, MALLOC_TRIM_THRESHOLD_ unset", "2:off")]


def timed(call):
    start = time.perf_counter()
    out = call()
    return out, time.perf_counter() - start


def measure(path: Path, mode: str, repeat: int, memory_limit: str) -> dict:
    res = subprocess.run([sys.executable, "-c", RUN, str(path), mode, str(repeat), memory_limit],
                         capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"failed: {mode} on {path}\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per process or cluster (default 3)")
    parser.add_argument("--memory-limit", default="3GB", help="per worker (default 3GB)")
    parser.add_argument("--write", action="store_true", help="write benchmarks/RESULTS_dask.md")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", va.DataQualityWarning)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        by_case, by_date = Path(folder) / "by_case.parquet", Path(folder) / "by_date.parquet"
        events, made = timed(lambda: va.simulate(args.cases, seed=1, as_of="2025-06-30"))
        va.write_events(events, by_case)
        events.sort_values("timestamp", kind="stable").to_parquet(by_date, index=False, row_group_size=1 << 20)
        n_events = len(events)
        del events
        for order, path in (("by case", by_case), ("by date", by_date)):
            for name, mode in PATHS:
                got = measure(path, mode, args.repeat, args.memory_limit)
                cold, warm = got["seconds"][0], statistics.median(got["seconds"][1:] or got["seconds"])
                rows.append((order, name, got["parts"], got["n"], cold, warm))
                print(f"{order}: {name}: {', '.join(f'{s:.2f}' for s in got['seconds'])} s", flush=True)
    base = {order: (cold, warm) for order, name, _, _, cold, warm in rows if name.startswith("in memory")}
    m = machine("dask", "distributed")
    lines = [f"# The Dask engine on one machine ({args.cases:,} dossiers, {n_events:,} events)", "",
             f"Run {m['when']} on {m['machine']} ({m['versions']}). Command: `python benchmarks/bench_dask.py "
             f"--cases {args.cases} --repeat {args.repeat}`. Simulation took {made:.0f} s (not counted). "
             "Cluster start-up not counted; moving the rows is (only the cut dossiers for the file by case, "
             "every row for the file by date). Cold: the first run of a new process or cluster; warm: the "
             "median of the others.", "",
             "| file | path | partitions | dossiers | cold s | warm s | × in memory, cold | × in memory, warm |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {order} | {name} | {parts if parts is not None else '-'} | {n:,} | {cold:.1f} | {warm:.1f} | "
              f"{cold / base[order][0]:.2f} | {warm / base[order][1]:.2f} |"
              for order, name, parts, n, cold, warm in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        (Path(__file__).resolve().parent / "RESULTS_dask.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
