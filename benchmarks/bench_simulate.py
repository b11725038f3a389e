"""Benchmark the simulator: generation time and peak memory at 10k, 100k and 1M dossiers.

Each size runs in a fresh Python process, so that the peak resident memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) belongs to that size alone.
The child reports: events generated, seconds to generate, peak memory after
generating, then seconds to write Parquet and CSV and the peak after writing.
The import of the package and the interpreter's own memory are included in the
peak (they are part of what a user pays); the baseline after imports is shown
separately.

Run from the project folder::

    python benchmarks/bench_simulate.py            # 10k, 100k, 1M
    python benchmarks/bench_simulate.py 1300000    # other sizes (1.3M dossiers: ~14M events)

and copy the table into ``benchmarks/RESULTS_simulate.md``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SIZES = (10_000, 100_000, 1_000_000)
SEED = 1
AS_OF = "2025-06-30"
REPEATS = 3  # fresh processes per size; the table shows the median time and the largest peak

CHILD = r"""
import json, resource, sys, time
from pathlib import Path

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes

from vitale_analysis.simulate import simulate, write_events
n, seed, as_of, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
baseline = peak_mb()
t0 = time.perf_counter()
events = simulate(n, seed=seed, as_of=as_of)
generate_s = time.perf_counter() - t0
generate_peak = peak_mb()
t0 = time.perf_counter()
write_events(events, out / "log.parquet")
parquet_s = time.perf_counter() - t0
t0 = time.perf_counter()
write_events(events, out / "log.csv")
csv_s = time.perf_counter() - t0
print(json.dumps({
    "dossiers": n, "events": len(events), "baseline_mb": baseline,
    "generate_s": generate_s, "generate_peak_mb": generate_peak,
    "frame_mb": events.memory_usage(deep=True).sum() / 2**20,
    "parquet_s": parquet_s, "csv_s": csv_s, "peak_after_writing_mb": peak_mb(),
    "csv_mb": (out / "log.csv").stat().st_size / 2**20,
    "parquet_mb": (out / "log.parquet").stat().st_size / 2**20,
}))
"""


def run_one(n: int) -> dict:
    """Simulate ``n`` dossiers in a fresh interpreter and return its measurements."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(n), str(SEED), AS_OF, tmp],
            check=True, capture_output=True, text=True, env=env,
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def machine() -> str:
    info = _common.machine()
    return f"{info['machine']}; {info['versions']}"


def measure(n: int, repeats: int = REPEATS) -> dict:
    """Median times and largest peaks over ``repeats`` fresh processes."""
    runs = [run_one(n) for _ in range(repeats)]
    out = dict(runs[0])
    for key in out:
        values = sorted(r[key] for r in runs)
        out[key] = values[-1] if key.endswith("_mb") else values[len(values) // 2]
    out["generate_range"] = (min(r["generate_s"] for r in runs), max(r["generate_s"] for r in runs))
    return out


def main(sizes) -> None:
    print(machine())
    print(f"Seed {SEED}, as_of {AS_OF} (start: 18 months earlier); median of {REPEATS} fresh processes per size.")
    print()
    print("| dossiers | events | generate (s), median (min-max) | peak RSS after generate (MB) | DataFrame (MB) "
          "| write Parquet (s) | write CSV (s) | peak RSS after writing (MB) | CSV (MB) | Parquet (MB) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        r = measure(n)
        print(
            f"| {r['dossiers']:,} | {r['events']:,} | {r['generate_s']:.2f} "
            f"({r['generate_range'][0]:.2f}-{r['generate_range'][1]:.2f}) | {r['generate_peak_mb']:,.0f} "
            f"| {r['frame_mb']:,.0f} | {r['parquet_s']:.2f} | {r['csv_s']:.2f} | {r['peak_after_writing_mb']:,.0f} "
            f"| {r['csv_mb']:,.1f} | {r['parquet_mb']:,.1f} |",
            flush=True,
        )
    print()
    print(f"Peak RSS of the interpreter after importing the package (baseline): {r['baseline_mb']:,.0f} MB")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or SIZES)
