"""End-to-end pipeline benchmark (issue 9), with PM4Py's two backends side by side.

One command, from the project folder::

    bash benchmarks/pm4py_env.sh            # once: PM4Py in its own venv (never a dependency)
    python benchmarks/bench_pipeline.py --write

For each size (default 10,000, 100,000 and 1,000,000 dossiers) it generates a seeded
log with the simulator (seed 1, as_of 2025-06-30) and writes it to Parquet, then runs,
``--repeat`` times (default 3) and interleaved so that the machine's noise falls on
all alike, each in a fresh Python process:

* vitale-analysis: ``read_caselog`` → ``validate`` → ``case_table`` →
  ``phase_summary`` + ``trigger_summary`` + ``stalled``, each stage timed;
* PM4Py, pandas backend, and PM4Py, polars backend (``benchmarks/pm4py_stages.py``
  in the PM4Py venv): read, ``format_dataframe``, case durations, performance DFG.

Wall times are medians over the repeats (the range is shown); peak memory is the
largest resident set of the runs (``ru_maxrss`` of the child).

Memory, cold and prefaulted. On a VM whose memory the host backs lazily and takes back
when the guest frees it (here: Firecracker with virtio-balloon free-page reporting), the
first touch of a page the host does not back costs about 2.5 s per GB, and memory freed
for a few seconds goes cold again; the same program then takes seconds more or less
depending on what ran before. ``--memory both`` (the default) runs every measured
process twice per repeat: *cold* (as it comes), and *prefaulted* (just before it, a
separate process touches ``--prefault-gb`` GB per million dossiers, at least 1 GB, and
exits, so the pages the measured process gets are backed, as on a physical machine).
Every tool gets the same treatment in the same round. With ``--write`` the
tables replace the generated part of ``benchmarks/RESULTS.md`` (between the
``<!-- generated:start/end -->`` markers); the rest of that file is written by hand.

Options: sizes as arguments; ``--repeat N``; ``--pm4py PYTHON`` (default
``benchmarks/.venv-pm4py/bin/python``; ``--pm4py none`` skips PM4Py);
``--keep DIR`` keeps the generated logs there; ``--memory cold|prefaulted|both``;
``--prefault-gb G`` (default 6: PM4Py's largest peak at 1M is about 5 GB).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import machine  # noqa: E402
RESULTS = HERE / "RESULTS.md"
AS_OF = "2025-06-30"

OURS = r"""
import json, resource, sys, time, warnings
t0 = time.perf_counter()
import vitale_analysis as va
out = {"import_s": time.perf_counter() - t0}
path, as_of = sys.argv[1], sys.argv[2]
def stage(name, fn):
    t = time.perf_counter(); result = fn(); out[name + "_s"] = time.perf_counter() - t
    return result
raw = stage("read", lambda: va.read_caselog(path))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # the simulated log's duplicates are reported in .quality
    log = stage("validate", lambda: va.validate(raw, as_of=as_of))
del raw
cases = stage("case_table", lambda: va.case_table(log, as_of=as_of))
stage("phase_summary", lambda: va.phase_summary(cases))
if hasattr(va, "CaseTable"):  # (the API since issue 16; the older one for A/B runs of earlier commits)
    stage("trigger_summary", lambda: va.trigger_summary(cases, as_of=as_of))
    stage("stalled", lambda: va.stalled(cases, as_of=as_of))
else:
    stage("trigger_summary", lambda: va.trigger_summary(log, cases=cases, as_of=as_of))
    stage("stalled", lambda: va.stalled(log, cases=cases, as_of=as_of))
out["total_s"] = sum(v for k, v in out.items() if k != "import_s")
out.update(events=log.quality.rows_read, cases=len(cases),
           peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(json.dumps(out))
"""

MAKE = r"""
import sys
from vitale_analysis.simulate import simulate, write_events
write_events(simulate(int(sys.argv[1]), seed=1, as_of=sys.argv[3]), sys.argv[2])
"""

OUR_STAGES = ["read", "validate", "case_table", "phase_summary", "trigger_summary", "stalled"]
PM4PY_STAGES = ["read", "format", "case_durations", "perf_dfg"]


def run_json(cmd: list[str]) -> dict:
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def median_range(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


PREFAULT = r"""
import sys, numpy as np
np.ones(int(float(sys.argv[1]) * 2**30) // 8)  # every page written once, then handed back
"""

MODES = ("prefaulted", "cold")

# The stages doing the work PM4Py does in its run (read, format, case durations,
# performance DFG); trigger_summary and stalled have no counterpart there.
COMPARABLE = ["read", "validate", "case_table", "phase_summary"]


def bench(sizes: list[int], repeat: int, pm4py: str | None, keep: Path | None, modes: tuple[str, ...],
          prefault_gb: float) -> dict:
    results: dict = {"sizes": {}, "pm4py_versions": None, "repeat": repeat, "modes": modes,
                     "prefault_gb": prefault_gb}
    tools = ["ours"] + (["pandas", "polars"] if pm4py else [])
    with tempfile.TemporaryDirectory() as tmp:
        folder = keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for n in sizes:
            path = folder / f"log_{n}.parquet"
            if not path.exists():
                subprocess.run([sys.executable, "-c", MAKE, str(n), str(path), AS_OF], check=True)
            gb = max(1.0, prefault_gb * n / 1_000_000)
            runs = {mode: {tool: [] for tool in tools} for mode in modes}
            for r in range(repeat):
                for mode in modes:
                    for tool in tools:
                        if mode == "prefaulted":
                            subprocess.run([sys.executable, "-c", PREFAULT, str(gb)], check=True)
                        if tool == "ours":
                            out = run_json([sys.executable, "-c", OURS, str(path), AS_OF])
                            total = out["total_s"]
                        else:
                            out = run_json([pm4py, str(HERE / "pm4py_stages.py"), str(path), tool])
                            total = out["total_with_read_s"]
                        runs[mode][tool].append(out)
                        name = "vitale-analysis" if tool == "ours" else f"PM4Py {tool}"
                        print(f"{n:>9,} run {r + 1} {mode:>10}: {name} {total:.2f} s", flush=True)
            if pm4py:
                first = runs[modes[0]]["polars"][0]
                results["pm4py_versions"] = {k: first[k] for k in ("pm4py", "polars", "pandas", "pyarrow")}
            results["sizes"][n] = runs
    return results


def fmt_s(values: list[float]) -> str:
    med, lo, hi = median_range(values)
    return f"{med:.2f}" if len(values) == 1 or hi - lo < 0.005 else f"{med:.2f} ({lo:.2f}–{hi:.2f})"


def stage_cells(runs: list[dict], stages: list[str]) -> str:
    """The table cells of each stage's time over the runs: median (min–max)."""
    return " | ".join(fmt_s([r[f"{s}_s"] for r in runs]) for s in stages)


def report(results: dict, info: dict, command: str) -> str:
    lines = [
        f"Command: `{command}` — {info['when']}.",
        f"Machine: {info['machine']}. {info['versions']}. Code: commit {info['commit']}.",
    ]
    if results["pm4py_versions"]:
        v = results["pm4py_versions"]
        lines.append(f"PM4Py environment (`benchmarks/pm4py_env.sh`): pm4py {v['pm4py']}, polars {v['polars']}, "
                     f"pandas {v['pandas']}, pyarrow {v['pyarrow']}.")
    lines.append(
        f"Each cell: median of {results['repeat']} fresh processes (min–max); peak = largest resident set of "
        "those runs. Logs: `simulate(n, seed=1, as_of=\"2025-06-30\")`, written to Parquet. Memory: *prefaulted* = "
        f"a separate process touched {results['prefault_gb']:g} GB per million dossiers (at least 1 GB) just before "
        "each measured process; *cold* = without it (see the script's docstring).")
    for mode in results["modes"]:
        lines += _mode_tables(results, mode)
    return "\n".join(lines)


def _mode_tables(results: dict, mode: str) -> list[str]:
    lines = [
        "",
        f"### vitale-analysis, per stage (s), {mode} memory",
        "",
        "| dossiers | events | " + " | ".join(OUR_STAGES) + " | **total** | peak (MB) |",
        "|---:|---:|" + "---:|" * (len(OUR_STAGES) + 2),
    ]
    for n, runs in results["sizes"].items():
        ours = runs[mode]["ours"]
        lines.append(f"| {n:,} | {ours[0]['events']:,} | " + stage_cells(ours, OUR_STAGES)
                     + f" | **{fmt_s([r['total_s'] for r in ours])}** | {max(r['peak_mb'] for r in ours):,.0f} |")
    if not results["pm4py_versions"]:
        return lines
    lines += [
        "",
        f"### PM4Py on the same files, same run (s), {mode} memory",
        "",
        "| dossiers | backend | " + " | ".join(PM4PY_STAGES) + " | total with read | peak (MB) |",
        "|---:|---|" + "---:|" * (len(PM4PY_STAGES) + 2),
    ]
    for n, runs in results["sizes"].items():
        for backend in ("pandas", "polars"):
            rr = runs[mode][backend]
            lines.append(f"| {n:,} | {backend} | " + stage_cells(rr, PM4PY_STAGES)
                         + f" | {fmt_s([r['total_with_read_s'] for r in rr])} | {max(r['peak_mb'] for r in rr):,.0f} |")
    lines += [
        "",
        f"### Ratios, {mode} memory (PM4Py time ÷ vitale-analysis time, medians, reading included on both sides)",
        "",
        "*whole*: our whole pipeline (" + ", ".join(OUR_STAGES) + "); *comparable*: our stages doing the work "
        "PM4Py does here (" + ", ".join(COMPARABLE) + "; per run, then the median).",
        "",
        "| dossiers | vitale-analysis whole (s) | comparable (s) | PM4Py pandas (s) | PM4Py polars (s) | "
        "× faster PM4Py, whole | × faster PM4Py, comparable |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, runs in results["sizes"].items():
        whole = statistics.median(r["total_s"] for r in runs[mode]["ours"])
        comparable = statistics.median(sum(r[f"{s}_s"] for s in COMPARABLE) for r in runs[mode]["ours"])
        pd_t = statistics.median(r["total_with_read_s"] for r in runs[mode]["pandas"])
        pl_t = statistics.median(r["total_with_read_s"] for r in runs[mode]["polars"])
        faster = min(pd_t, pl_t)
        lines.append(f"| {n:,} | {whole:.2f} | {comparable:.2f} | {pd_t:.2f} | {pl_t:.2f} | "
                     f"**{faster / whole:.1f}×** | **{faster / comparable:.1f}×** |")
    return lines


def write(text: str, marker: str = "generated") -> None:
    """Replace the part of RESULTS.md between ``<!-- marker:start -->`` and ``<!-- marker:end -->``."""
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Pipeline performance\n"
    if start not in old or end not in old:
        old = old.rstrip() + f"\n\n{start}\n{end}\n"
    head, rest = old.split(start, 1)
    tail = rest.split(end, 1)[1]
    RESULTS.write_text(f"{head}{start}\n{text}\n{end}{tail}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pm4py", default=str(HERE / ".venv-pm4py" / "bin" / "python"),
                        help="the PM4Py venv's python ('none' to skip)")
    parser.add_argument("--keep", type=Path, help="keep the generated logs in this folder")
    parser.add_argument("--write", action="store_true", help="write the tables into benchmarks/RESULTS.md")
    parser.add_argument("--memory", choices=["both", *MODES], default="both",
                        help="measure on cold memory, prefaulted memory, or both (default)")
    parser.add_argument("--prefault-gb", type=float, default=6.0,
                        help="GB touched per million dossiers before each prefaulted run (at least 1 GB)")
    args = parser.parse_args()
    pm4py = None if args.pm4py == "none" else args.pm4py
    if pm4py and not Path(pm4py).exists():
        raise SystemExit(f"{pm4py}: no PM4Py environment. Make it with `bash benchmarks/pm4py_env.sh`, "
                         "or pass --pm4py none to skip PM4Py.")
    info = machine()
    modes = MODES if args.memory == "both" else (args.memory,)
    results = bench(args.sizes, args.repeat, pm4py, args.keep, modes, args.prefault_gb)
    command = "python benchmarks/bench_pipeline.py " + " ".join(sys.argv[1:])
    text = report(results, info, command.strip())
    print(text)
    if args.write:
        write(text)
        print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
