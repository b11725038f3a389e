"""A caseload past one machine's comfort on the Dask engine, run by hand (issue 22).

    python benchmarks/bench_dask_big.py --files 10 --dir /tmp/vitale_big   # 10M dossiers, ~107M events

Writes ``--files`` Parquet files of ``--cases`` dossiers each (default 10 × 1,000,000),
one ``va.simulate`` call at a time (seed 100 + k, case ids prefixed ``Pk-`` so they are
distinct and each file's ids sort after the previous file's), kept in ``--dir`` between
runs. Then, on a ``LocalCluster`` of ``--workers`` workers (1 thread each, Dask's
default settings, ``--memory-limit`` each), times each stage: ``va.load(folder,
engine="dask")``, ``case_table(log).persist()``, ``phase_summary``, ``trigger_summary``,
``stalled`` (the worklist, counted). Every half second it samples the resident memory
of each worker process and of the whole process tree (this client, the scheduler,
the nannies, the workers), and the machine's used memory; the peaks are printed with
the times as a Markdown table (``--write``: into benchmarks/RESULTS_dask_big.md).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine  # noqa: E402

import vitale_analysis as va  # noqa: E402

AS_OF = "2025-06-30"


def write_files(folder: Path, files: int, cases: int) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for k in range(files):
        path = folder / f"part-{k:03d}.parquet"
        if path.exists():
            continue
        start = time.perf_counter()
        events = va.simulate(cases, seed=100 + k, as_of=AS_OF)
        events["case_id"] = f"P{k:03d}-" + events["case_id"].astype(str)
        va.write_events(events, path)
        total += len(events)
        print(f"wrote {path.name}: {len(events):,} events in {time.perf_counter() - start:.0f} s", flush=True)
        del events
    return total


class Sampler(threading.Thread):
    """Peak resident memory of the workers (each), of the process tree, and machine-wide used memory."""

    def __init__(self, worker_pids):
        super().__init__(daemon=True)
        import psutil

        self.psutil = psutil
        self.me = psutil.Process()
        self.worker_pids = set(worker_pids)
        self.peak_worker = 0
        self.peak_tree = 0
        self.base_used = psutil.virtual_memory().used
        self.peak_used = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            procs = [self.me, *self.me.children(recursive=True)]
            rss = {}
            for p in procs:
                try:
                    rss[p.pid] = p.memory_info().rss
                except self.psutil.Error:
                    pass
            self.peak_tree = max(self.peak_tree, sum(rss.values()))
            self.peak_worker = max([self.peak_worker] + [v for pid, v in rss.items() if pid in self.worker_pids])
            self.peak_used = max(self.peak_used, self.psutil.virtual_memory().used - self.base_used)
            self.stop.wait(0.5)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--cases", type=int, default=1_000_000, help="dossiers per file")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/vitale_big"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-limit", default="3GB")
    parser.add_argument("--write", action="store_true", help="write benchmarks/RESULTS_dask_big.md")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", va.DataQualityWarning)
    write_files(args.dir, args.files, args.cases)

    import distributed

    gb = 1 << 30
    with distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                                  dashboard_address=None, memory_limit=args.memory_limit) as cluster, \
            distributed.Client(cluster) as client:
        client.run(lambda: __import__("vitale_analysis"))  # (start-up)
        pids = client.run(lambda: __import__("os").getpid()).values()
        sampler = Sampler(pids)
        sampler.start()
        stages = []

        def stage(name, call):
            start = time.perf_counter()
            out = call()
            stages.append((name, time.perf_counter() - start))
            print(f"{name}: {stages[-1][1]:.1f} s (peak worker {sampler.peak_worker / gb:.2f} GB, tree "
                  f"{sampler.peak_tree / gb:.2f} GB)", flush=True)
            return out

        log = stage("load (read, dossiers made whole, validate, global checks)",
                    lambda: va.load(args.dir, engine="dask", client=client))
        events = log.quality.rows_read
        table = stage("case_table (.persist(): kept on the workers)",
                      lambda: _persisted(va.case_table(log), distributed))
        n_cases = int(table.frame.map_partitions(len).sum().compute())
        phases = stage("phase_summary", lambda: va.phase_summary(table))
        triggers = stage("trigger_summary", lambda: va.trigger_summary(table))
        worklist = stage("stalled (worklist counted)", lambda: len(va.stalled(table)))
        sampler.stop.set()
        sampler.join()
    total = sum(s for _, s in stages)
    m = machine("dask", "distributed")
    lines = [f"Run {m['when']} on {m['machine']} ({m['versions']}). Command: `python benchmarks/bench_dask_big.py "
             f"--files {args.files} --cases {args.cases} --workers {args.workers} --memory-limit {args.memory_limit}`: "
             f"{n_cases:,} dossiers, {events:,} events in {args.files} Parquet files, {log.npartitions} partitions.",
             "", "| stage | seconds |", "|---|---:|"]
    lines += [f"| {name} | {s:.1f} |" for name, s in stages]
    lines += [f"| **total** | **{total:.1f}** |", "",
              f"Peak resident memory: one worker {sampler.peak_worker / gb:.2f} GB (limit {args.memory_limit}); "
              f"the whole process tree (client, scheduler, nannies, workers) {sampler.peak_tree / gb:.2f} GB; "
              f"the machine's used memory rose by at most {sampler.peak_used / gb:.2f} GB.",
              f"Phase summary {phases.shape}, trigger summary {triggers.shape}, worklist {worklist:,} dossiers."]
    text = "\n".join(["# The Dask engine past one machine's comfort (issue 22, run by hand)", "", *lines]) + "\n"
    print(text)
    if args.write:
        (Path(__file__).resolve().parent / "RESULTS_dask_big.md").write_text(text, encoding="utf-8")
    return 0


def _persisted(table, distributed):
    table = table.persist()
    distributed.wait(table.tables)
    return table


if __name__ == "__main__":
    sys.exit(main())
