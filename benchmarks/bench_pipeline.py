"""End-to-end pipeline benchmark (issue 9): Parquet → validate → case_table → summaries.

Each size runs in a fresh Python process (peak resident memory belongs to that
run alone). The child times each stage and prints one JSON line.

Run from the project folder::

    python benchmarks/bench_pipeline.py 10000 100000 1000000

Logs are made by the seeded simulator (seed 1, as_of 2025-06-30) into a
temporary folder. PM4Py, for comparison, runs in its own environment:
``bash benchmarks/pm4py_env.sh`` then
``benchmarks/.venv-pm4py/bin/python benchmarks/pm4py_stages.py LOG.parquet pandas|polars``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, resource, sys, time, warnings
t0 = time.perf_counter()
import vitale_analysis as va
def mb(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out = {"import_s": time.perf_counter() - t0}
path, as_of = sys.argv[1], "2025-06-30"
t = time.perf_counter(); raw = va.read_caselog(path); out["read_s"] = time.perf_counter() - t
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    t = time.perf_counter(); log = va.validate(raw, as_of=as_of); out["validate_s"] = time.perf_counter() - t
del raw
t = time.perf_counter(); cases = va.case_table(log, as_of=as_of); out["case_table_s"] = time.perf_counter() - t
t = time.perf_counter(); va.phase_summary(cases); out["phase_summary_s"] = time.perf_counter() - t
t = time.perf_counter(); va.trigger_summary(log, cases=cases, as_of=as_of); out["trigger_summary_s"] = time.perf_counter() - t
t = time.perf_counter(); va.stalled(log, cases=cases, as_of=as_of); out["stalled_s"] = time.perf_counter() - t
out["total_s"] = sum(v for k, v in out.items() if k != "import_s")
out["events"] = log.quality.rows_read
out["cases"] = len(cases)
out["peak_mb"] = mb()
print(json.dumps(out))
"""

MAKE = r"""
import sys
from vitale_analysis.simulate import simulate, write_events
write_events(simulate(int(sys.argv[1]), seed=1, as_of="2025-06-30"), sys.argv[2])
"""


def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"log_{n}.parquet"
            subprocess.run([sys.executable, "-c", MAKE, str(n), str(path)], check=True)
            res = subprocess.run([sys.executable, "-c", CHILD, str(path)], check=True, capture_output=True, text=True)
            print(n, res.stdout.strip(), flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000])
