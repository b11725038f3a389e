"""Load and pipeline time on the files advisors actually have (issue 17), side by side.

    bash benchmarks/pm4py_env.sh                      # once: PM4Py in its own venv
    python benchmarks/bench_inputs.py 100000 1000000 --write

For each size it writes the inputs with benchmarks/make_inputs.py (an independent
generator: string columns, rows by date rather than by dossier, re-logged events,
other column and label names) into ``--dir`` (kept between runs), then, for each
input, runs in fresh processes one after the other, ``--repeat`` times, interleaved:

* **bare**: a bare pandas read of the same file. CSV: ``pd.read_csv`` with the file's
  delimiter and encoding, C engine and pyarrow engine (the faster one is the
  reference; pandas 3.1's C engine splits a large UTF-8 file across threads, so the
  C engine on one thread, ``mode.max_threads=1``, is also shown, as context);
  Parquet: ``pd.read_parquet``; Excel: ``pd.read_excel(engine="calamine")``;
* **ours**: ``read_caselog`` + ``validate`` (= load, with the mapping where the file
  needs one), then ``case_table``, ``phase_summary``, ``trigger_summary``, ``stalled``
  (the worklist); each stage timed, peak resident memory of the process;
* **PM4Py** (pandas path, where it reads the format): ``pd.read_csv`` /
  ``pd.read_parquet`` + ``format_dataframe`` + case durations + performance DFG
  (benchmarks/pm4py_stages.py in the PM4Py venv).

Times are medians over the repeats; imports are not counted. ``--write`` replaces
benchmarks/RESULTS_inputs.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import machine, revision  # noqa: E402

AS_OF = "2026-01-01"

#: input kind → (file name pattern, needs the mapping, bare-read recipe, PM4Py arguments or None)
KINDS = {
    "fr": ("fr_{n}.csv", True, "csv;cp1252",
           ["--sep", ";", "--encoding", "cp1252", "--case", "N° dossier", "--activity", "Étape",
            "--timestamp", "Date", "--timest-format", "%d/%m/%Y %H:%M"]),
    "csv": ("canonical_{n}.csv", False, "csv,utf-8", []),
    "pq_fr": ("pq_fr_{n}.parquet", True, "parquet", None),
    "parquet": ("canonical_{n}.parquet", False, "parquet", []),
    "xlsx": ("export_{n}.xlsx", True, "xlsx", None),
}
TITLES = {
    "fr": "French export CSV (cp1252, `;`, day-first, French labels, the sample's mapping)",
    "csv": "canonical-name CSV (UTF-8, `,`, ISO times, string columns)",
    "pq_fr": "Parquet, plain string columns, French names and labels + mapping (times as text)",
    "parquet": "Parquet, canonical names, plain string columns, timestamp column",
    "xlsx": "Excel .xlsx, the French export as one sheet",
}

BARE = r"""
import json, resource, sys, time
import pandas as pd
path, recipe = sys.argv[1], sys.argv[2]
out = {}
if recipe.startswith("csv"):
    sep, enc = recipe[3], recipe[4:]
    for engine in ("c", "pyarrow"):
        t = time.perf_counter(); pd.read_csv(path, sep=sep, encoding=enc, engine=engine)
        out[engine] = time.perf_counter() - t
    out["bare_s"] = min(out["c"], out["pyarrow"])
    with pd.option_context("mode.max_threads", 1):  # (context: pandas 3.1's C engine reads on threads)
        t = time.perf_counter(); pd.read_csv(path, sep=sep, encoding=enc, engine="c")
        out["c_1thread"] = time.perf_counter() - t
elif recipe == "parquet":
    t = time.perf_counter(); pd.read_parquet(path); out["bare_s"] = time.perf_counter() - t
else:
    t = time.perf_counter(); pd.read_excel(path, engine="calamine"); out["bare_s"] = time.perf_counter() - t
out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""

OURS = r"""
import json, resource, sys, time, warnings
t0 = time.perf_counter()
import vitale_analysis as va
out = {"import_s": time.perf_counter() - t0}
path, mapping, as_of = sys.argv[1], sys.argv[2] or None, sys.argv[3]
def stage(name, fn):
    t = time.perf_counter(); result = fn(); out[name + "_s"] = time.perf_counter() - t
    return result
raw = stage("read", lambda: va.read_caselog(path, mapping=mapping))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # re-logged events are reported in .quality
    log = stage("validate", lambda: va.validate(raw, as_of=as_of))
del raw
cases = stage("case_table", lambda: va.case_table(log, as_of=as_of))
stage("phase_summary", lambda: va.phase_summary(cases))
stage("trigger_summary", lambda: va.trigger_summary(cases, as_of=as_of))
stage("stalled", lambda: va.stalled(cases, as_of=as_of))
out["load_s"] = out["read_s"] + out["validate_s"]
out["total_s"] = sum(v for k, v in out.items() if k not in ("import_s", "load_s"))
out.update(events=log.quality.rows_read, kept=log.quality.rows_kept, cases=len(cases),
           set_aside=log.quality.set_aside, peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(json.dumps(out))
"""


def run_json(cmd: list[str]) -> dict:
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def bench(sizes, kinds, repeat, folder: Path, pm4py: str | None) -> dict:
    results: dict = {}
    for n in sizes:
        wanted = [k for k in kinds if not (folder / KINDS[k][0].format(n=n)).exists()]
        if wanted:
            subprocess.run([sys.executable, str(HERE / "make_inputs.py"), str(n), "--out", str(folder),
                            "--kinds", ",".join(wanted)], check=True)
        for kind in kinds:
            pattern, mapped, recipe, pm4py_args = KINDS[kind]
            path = folder / pattern.format(n=n)
            mapping = str(folder / "fr.mapping.toml") if mapped else ""
            runs: dict = {"bare": [], "ours": [], "pm4py": []}
            for r in range(repeat):
                runs["bare"].append(run_json([sys.executable, "-c", BARE, str(path), recipe]))
                runs["ours"].append(run_json([sys.executable, "-c", OURS, str(path), mapping, AS_OF]))
                if pm4py and pm4py_args is not None:
                    runs["pm4py"].append(run_json([pm4py, str(HERE / "pm4py_stages.py"), str(path), "pandas",
                                                   *pm4py_args]))
                o, b = runs["ours"][-1], runs["bare"][-1]
                p = runs["pm4py"][-1]["total_with_read_s"] if runs["pm4py"] else None
                print(f"{n:>9,} {kind:>8} run {r + 1}: bare {b['bare_s']:.2f} s | ours load {o['load_s']:.2f} s, "
                      f"whole {o['total_s']:.2f} s, {o['peak_mb'] / 1024:.2f} GB"
                      + (f" | PM4Py {p:.2f} s" if p is not None else ""), flush=True)
            results.setdefault(str(n), {})[kind] = runs
    return results


def med(values):
    return statistics.median(values) if values else None


def report(results: dict, command: str, repeat: int) -> str:
    info = machine()
    lines = [
        "# Load time on the files advisors have (issue 17)",
        "",
        f"Command: `{command}` — {info['when']}.",
        f"Machine: {info['machine']}. {info['versions']}. Code: commit {revision()}.",
        f"Each cell: median of {repeat} fresh process(es), run one after the other in this one run "
        "(bare read, ours, PM4Py, for each input). Inputs: `benchmarks/make_inputs.py` (independent of the "
        f"simulator). as_of {AS_OF}. Load = `read_caselog` + `validate`; whole = load + `case_table` + "
        "`phase_summary` + `trigger_summary` + `stalled`. Bare = the faster of pandas' C and pyarrow engines "
        "(CSV, with the file's delimiter and encoding), `pd.read_parquet`, or `pd.read_excel(engine=\"calamine\")`. "
        "PM4Py = its pandas path: read + `format_dataframe` + case durations + performance DFG. "
        "C, 1 thread (context, not the reference): pandas' C engine with `mode.max_threads=1`; pandas 3.1 "
        "splits a large UTF-8 file across threads, a cp1252 one not.",
        "",
        "| dossiers | input | rows | bare read s | C, 1 thread s | load s | load ÷ bare | whole s | peak GB "
        "| PM4Py s | PM4Py ÷ whole |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, kinds in results.items():
        for kind, runs in kinds.items():
            bare = med([r["bare_s"] for r in runs["bare"]])
            load = med([r["load_s"] for r in runs["ours"]])
            whole = med([r["total_s"] for r in runs["ours"]])
            peak = max(r["peak_mb"] for r in runs["ours"]) / 1024
            rows = runs["ours"][0]["events"]
            pm = med([r["total_with_read_s"] for r in runs["pm4py"]])
            serial = med([r["c_1thread"] for r in runs["bare"] if "c_1thread" in r])
            lines.append(
                f"| {int(n):,} | {TITLES[kind]} | {rows:,} | {bare:.2f} | "
                + (f"{serial:.2f}" if serial is not None else "—") + f" | {load:.2f} | {load / bare:.1f}× | "
                f"{whole:.2f} | {peak:.2f} | " + (f"{pm:.1f} | {pm / whole:.1f}× |" if pm else "— | — |"))
    lines += ["", "Stages of ours (median s):", "",
              "| dossiers | input | read | validate | case_table | phase_summary | trigger_summary | stalled |",
              "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for n, kinds in results.items():
        for kind, runs in kinds.items():
            cells = " | ".join(f"{med([r[s + '_s'] for r in runs['ours']]):.2f}" for s in
                               ("read", "validate", "case_table", "phase_summary", "trigger_summary", "stalled"))
            lines.append(f"| {int(n):,} | {kind} | {cells} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[100_000, 1_000_000])
    parser.add_argument("--kinds", default="fr,csv,pq_fr,parquet")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/vitale_inputs"))
    parser.add_argument("--pm4py", default=str(HERE / ".venv-pm4py" / "bin" / "python"))
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    pm4py = None if args.pm4py == "none" or not Path(args.pm4py).exists() else args.pm4py
    args.dir.mkdir(parents=True, exist_ok=True)
    results = bench(args.sizes, args.kinds.split(","), args.repeat, args.dir, pm4py)
    text = report(results, "python benchmarks/bench_inputs.py " + " ".join(sys.argv[1:]), args.repeat)
    print(text)
    if args.write:
        (HERE / "RESULTS_inputs.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
