"""Five million dossiers in bounded memory: ``case_table_batched`` over a folder of Parquet parts.

From the project folder::

    python benchmarks/bench_batched.py --write            # 5 parts of 1,000,000 dossiers

Generates (once; ``--folder`` keeps them, default a temporary folder) ``--parts``
seeded simulator logs of ``--cases`` dossiers each (seed 100 + k, case ids
prefixed with k so that the parts follow each other in case-id order, as one
national log split into files would), then, in a fresh process, builds the case
table batch by batch (``--batch-rows`` events per batch) and the phase summary
from it, recording wall time and peak resident memory (``ru_maxrss``). With
``--write`` the table replaces the ``batched`` part of ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine  # noqa: E402
from bench_pipeline import AS_OF, write  # noqa: E402

MAKE = r"""
import sys
from vitale_analysis.simulate import simulate
k, n, out, as_of = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
events = simulate(n, seed=100 + k, as_of=as_of)
events["case_id"] = f"{k}" + events["case_id"]  # part k's ids sort after part k-1's
events.to_parquet(out, index=False)
"""

RUN = r"""
import json, resource, sys, time, warnings
import vitale_analysis as va
def peak(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # the simulated duplicates are in the quality report
    cases, quality = va.case_table_batched(sys.argv[1], as_of=sys.argv[2], batch_rows=int(sys.argv[3]))
out = {"case_table_s": time.perf_counter() - t, "peak_after_case_table_mb": peak()}
t = time.perf_counter()
summary = va.phase_summary(cases)
out.update(phase_summary_s=time.perf_counter() - t, peak_mb=peak(), cases=len(cases), events=quality.rows_read,
           set_aside=quality.n_set_aside, table_mb=cases.to_frame().memory_usage(deep=True).sum() / 2**20,
           quality_mb=(quality.failures.memory_usage(deep=True).sum()
                       + quality.set_aside_rows.memory_usage(deep=True).sum()) / 2**20,
           median_days=dict(zip(summary["phase"].astype(str), summary["median_days"].round(1))))
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", type=int, default=5)
    parser.add_argument("--cases", type=int, default=1_000_000, help="dossiers per part")
    parser.add_argument("--batch-rows", type=int, default=1_000_000)
    parser.add_argument("--folder", type=Path, help="where the parts are written (and kept)")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    info = machine()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for k in range(args.parts):
            part = folder / f"part-{k}.parquet"
            if not part.exists():
                subprocess.run([sys.executable, "-c", MAKE, str(k), str(args.cases), str(part), AS_OF], check=True)
        res = subprocess.run([sys.executable, "-c", RUN, str(folder), AS_OF, str(args.batch_rows)],
                             capture_output=True, text=True)
        if res.returncode != 0:
            raise SystemExit(res.stderr[-3000:])
        r = json.loads(res.stdout.strip().splitlines()[-1])
    command = "python benchmarks/bench_batched.py " + " ".join(sys.argv[1:])
    text = "\n".join([
        f"Command: `{command.strip()}` — {info['when']}. {info['machine']}. {info['versions']}. "
        f"Code: commit {info['commit']}.",
        "",
        "| dossiers | events | batch (events) | case_table_batched (s) | phase_summary (s) | peak (MB) | "
        "case table (MB) | quality report (MB) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {r['cases']:,} | {r['events']:,} | {args.batch_rows:,} | {r['case_table_s']:.1f} | "
        f"{r['phase_summary_s']:.1f} | **{r['peak_mb']:,.0f}** | {r['table_mb']:,.0f} | {r['quality_mb']:,.0f} |",
        "",
        f"Rows set aside (simulated duplicates): {r['set_aside']:,}. Median days per phase (Kaplan–Meier): "
        + ", ".join(f"{k} {v}" for k, v in r["median_days"].items()) + ".",
    ])
    print(text)
    if args.write:
        write(text, "batched")


if __name__ == "__main__":
    main()
