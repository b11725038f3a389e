"""Does PM4Py read what write_xes writes? Counts compared, PM4Py in its own venv.

    bash benchmarks/pm4py_env.sh                       # once: PM4Py in its own venv (never a dependency)
    python benchmarks/interop_pm4py.py                 # → benchmarks/RESULTS_interop.md
    python benchmarks/interop_pm4py.py --sizes 1000 --write-only --out /tmp/r.md   # a quick run

For each log (the bundled sample, the real receipt log of tests/data/external, and a
simulated caseload of --sizes dossiers), in the project's venv: load it, write it with
``write_xes`` (``.xes.gz``, timed), write ``to_pm4py(log)`` to Parquet, and count what the
log holds: dossiers, events, distinct activities, events per activity, events per
dossier, first and last time, resources. Then, in the PM4Py venv (a child process, one
JSON line back): ``pm4py.read_xes`` on the file (timed), and the same counts on its
DataFrame; ``pm4py.discover_dfg`` on that frame and on the Parquet copy of ``to_pm4py``
(read with pandas, no ``format_dataframe``), whose edges must agree. Every comparison is
written to the results file as equal or not, with the numbers.

``--write-only N …`` (default 1,000,000) also writes a simulated caseload of N dossiers
with ``write_xes`` alone (no PM4Py: reading ten million events there takes too long and
too much memory for these machines), sampling the process's resident memory during the
write: what the streaming write adds on top of the loaded log.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import pandas as pd  # noqa: E402

import vitale_analysis as va  # noqa: E402
from _common import machine  # noqa: E402

RECEIPT = HERE.parent / "tests" / "data" / "external" / "receipt.xes.gz"
SAMPLE = HERE.parent / "data" / "sample_caselog.csv"

# Run by the PM4Py venv's interpreter: argv = XES file, Parquet file.
PM4PY_SIDE = r"""
import json, resource, sys, time, warnings
import importlib.metadata as md
import pandas as pd
import pm4py

def counts(df):
    ts = df["time:timestamp"]
    per_case = df.groupby("case:concept:name").size()
    return {
        "traces": int(df["case:concept:name"].nunique()),
        "events": int(len(df)),
        "activities": int(df["concept:name"].nunique()),
        "per_activity": {str(k): int(v) for k, v in df["concept:name"].value_counts().items()},
        "events_per_trace": {str(k): int(v) for k, v in per_case.value_counts().items()},
        "first": ts.min().tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "last": ts.max().tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "resources": int(df["org:resource"].nunique()) if "org:resource" in df else None,
        "case_columns": sorted(c for c in df.columns if c.startswith("case:")),
    }

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    t = time.perf_counter()
    df = pm4py.read_xes(sys.argv[1])
    read_s = time.perf_counter() - t
    out = {"read_s": read_s, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    out.update(counts(df))
    dfg_xes, _, _ = pm4py.discover_dfg(df)
    frame = pd.read_parquet(sys.argv[2])
    dfg_frame, _, _ = pm4py.discover_dfg(frame, case_id_key="case:concept:name",
                                         activity_key="concept:name", timestamp_key="time:timestamp")
out["dfg_edges"] = len(dfg_xes)
out["dfg_same"] = dict(dfg_xes) == dict(dfg_frame)
out["dfg_transitions"] = int(sum(dfg_xes.values()))
out["versions"] = {"pm4py": md.version("pm4py"), "pandas": pd.__version__}
from pm4py.util import constants
from pm4py.util.rustxes_utils import get_rustxes_backend_name
out["importer"] = get_rustxes_backend_name() or constants.DEFAULT_XES_PARSER  # what read_xes chose
out["warnings"] = sorted({f"{w.category.__name__}: {str(w.message)[:160]}" for w in caught})
print(json.dumps(out))
"""


def our_counts(log: va.CaseLog) -> dict:
    ev = log.events
    ts = ev["timestamp"]
    aware = ts.dt.tz is not None
    per_case = ev.groupby("case_id", observed=True).size()
    frame = va.to_pm4py(log)
    return {
        "traces": int(ev["case_id"].nunique()),
        "events": int(len(ev)),
        "activities": int(ev["event"].astype(str).nunique()),
        "per_activity": {str(k): int(v) for k, v in ev["event"].astype(str).value_counts().items()},
        "events_per_trace": {str(k): int(v) for k, v in per_case.value_counts().items()},
        "first": (ts.min().tz_convert("UTC") if aware else ts.min()).strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "last": (ts.max().tz_convert("UTC") if aware else ts.max()).strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "resources": int(frame["org:resource"].nunique()) if "org:resource" in frame else None,
        "case_columns": sorted(["case:concept:name", *(c for c in frame.columns if c.startswith("case:")
                                                        and c != "case:concept:name")]),
    }


def measure(name: str, log: va.CaseLog, folder: Path, pm4py: Path) -> dict:
    xes = folder / f"{name}.xes.gz"
    t = time.perf_counter()
    va.write_xes(log, xes)
    write_s = time.perf_counter() - t
    plain = folder / f"{name}.xes"
    t = time.perf_counter()
    va.write_xes(log, plain)
    write_plain_s = time.perf_counter() - t
    parquet = folder / f"{name}.parquet"
    va.to_pm4py(log).to_parquet(parquet)
    ours = our_counts(log)
    res = subprocess.run([str(pm4py), "-c", PM4PY_SIDE, str(xes), str(parquet)], capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"PM4Py failed on {xes}:\n{res.stderr[-3000:]}")
    theirs = json.loads(res.stdout.strip().splitlines()[-1])
    return {"name": name, "write_s": write_s, "write_plain_s": write_plain_s, "gz_mb": xes.stat().st_size / 1e6,
            "xes_mb": plain.stat().st_size / 1e6, "ours": ours, "pm4py": theirs}


def _rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize() / 2**20


def write_only(n: int, folder: Path) -> dict:
    """write_xes alone on n simulated dossiers: seconds, file size, resident memory before and at most during."""
    log = va.validate(va.simulate(n, seed=20, as_of="2025-06-30"))
    out = {"dossiers": n, "events": len(log.events)}
    for suffix in (".xes.gz", ".xes"):
        path = folder / f"big{suffix}"
        before, peak, done = _rss_mb(), [0.0], threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], _rss_mb())
                time.sleep(0.02)

        watcher = threading.Thread(target=sample)
        watcher.start()
        t = time.perf_counter()
        va.write_xes(log, path)
        seconds = time.perf_counter() - t
        done.set()
        watcher.join()
        out[suffix] = {"s": seconds, "mb": path.stat().st_size / 1e6, "rss_before": before, "rss_peak": peak[0]}
        path.unlink()
    return out


def report(results: list[dict], info: dict, pm4py_versions: dict) -> str:
    keys = ["traces", "events", "activities", "per_activity", "events_per_trace", "first", "last", "resources",
            "case_columns"]
    lines = [
        "# write_xes read by PM4Py",
        "",
        "Made by `python benchmarks/interop_pm4py.py` (PM4Py in its own venv: `bash benchmarks/pm4py_env.sh`;",
        "never a dependency of vitale-analysis). Each log is loaded and validated, written with",
        "`va.write_xes(log, X.xes.gz)` (and `.xes`), read back with `pm4py.read_xes(X.xes.gz)` in the",
        "PM4Py venv, and counted on both sides. `first` / `last`: UTC for aware logs, wall-clock time for",
        "naive ones (PM4Py labels naive times UTC). DFG: `pm4py.discover_dfg` on PM4Py's frame of the XES",
        "and on `va.to_pm4py(log)` (saved to Parquet, read with pandas, no `format_dataframe`).",
        "",
        f"- When: {info['when']}; commit {info['commit']}",
        f"- Machine: {info['machine']} (shared with other jobs: times are indicative)",
        f"- Versions: {info['versions']}; PM4Py venv: pm4py {pm4py_versions.get('pm4py')}, "
        f"pandas {pm4py_versions.get('pandas')}, built by `bash benchmarks/pm4py_env.sh` (pip, no error); "
        f"`pm4py.read_xes` used its `{results[0]['pm4py']['importer']}` importer (no Rust importer installed)",
        "",
        "| log | dossiers | events | activities | write .xes.gz s | .xes.gz MB | write .xes s | .xes MB "
        "| pm4py.read_xes s | PM4Py peak MB | every count equal | DFG edges (same from to_pm4py) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        o, p = r["ours"], r["pm4py"]
        same = all(o[k] == p[k] for k in keys)
        lines.append(
            f"| {r['name']} | {o['traces']:,} | {o['events']:,} | {o['activities']} | {r['write_s']:.2f} | "
            f"{r['gz_mb']:.1f} | {r['write_plain_s']:.2f} | {r['xes_mb']:.1f} | {p['read_s']:.1f} | "
            f"{p['peak_mb']:,.0f} | {'yes' if same else 'NO'} | {p['dfg_edges']} ({'yes' if p['dfg_same'] else 'NO'}) |"
        )
    lines += ["", "## Comparisons, count by count", ""]
    for r in results:
        o, p = r["ours"], r["pm4py"]
        lines.append(f"### {r['name']}")
        lines.append("")
        for k in keys:
            if o[k] == p[k]:
                shown = o[k] if not isinstance(o[k], dict) else f"{len(o[k])} values, all equal"
                lines.append(f"- `{k}`: equal ({shown})")
            else:
                lines.append(f"- `{k}`: **differ** — ours {o[k]!r}; PM4Py {p[k]!r}")
        lines.append(f"- DFG: {p['dfg_edges']} edges, {p['dfg_transitions']:,} transitions; "
                     f"to_pm4py's frame gives {'the same' if p['dfg_same'] else 'a DIFFERENT'} DFG")
        if p["warnings"]:
            lines.append(f"- PM4Py's warnings: {'; '.join(p['warnings'])}")
        lines.append("")
    return "\n".join(lines)


def report_write_only(rows: list[dict]) -> str:
    lines = ["## write_xes alone on a large caseload", "",
             "Resident memory sampled every 20 ms during the write; the log itself (validated) is already "
             "loaded before it.", "",
             "| dossiers | events | file | seconds | file MB | RSS before MB | RSS peak during MB | added MB |",
             "|---:|---:|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        for suffix in (".xes.gz", ".xes"):
            w = r[suffix]
            lines.append(f"| {r['dossiers']:,} | {r['events']:,} | {suffix} | {w['s']:.1f} | {w['mb']:,.0f} | "
                         f"{w['rss_before']:,.0f} | {w['rss_peak']:,.0f} | {w['rss_peak'] - w['rss_before']:,.0f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pm4py", default=str(HERE / ".venv-pm4py" / "bin" / "python"))
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000], help="simulated dossiers")
    parser.add_argument("--write-only", type=int, nargs="*", default=[1_000_000], help="dossiers, write_xes alone")
    parser.add_argument("--out", default=str(HERE / "RESULTS_interop.md"))
    args = parser.parse_args()
    pm4py = Path(args.pm4py)
    if not pm4py.exists():
        raise SystemExit(f"{pm4py}: no PM4Py environment. Make it with `bash benchmarks/pm4py_env.sh`.")
    info = machine()
    results = []
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        folder = Path(tmp)
        logs = [("sample (data/sample_caselog.csv)", lambda: va.load(SAMPLE))]
        if RECEIPT.exists():
            logs.append(("receipt.xes.gz (real, UTC)", lambda: va.load(RECEIPT)))
        for n in args.sizes:
            logs.append((f"simulated {n:,} dossiers",
                         lambda n=n: va.validate(va.simulate(n, seed=20, as_of="2025-06-30"))))
        for k, (name, make) in enumerate(logs):
            log = make()
            r = measure(f"log{k}", log, folder, pm4py)
            r["name"] = name
            results.append(r)
            print(f"{name}: written in {r['write_s']:.2f} s, PM4Py read in {r['pm4py']['read_s']:.1f} s", flush=True)
            del log
        big = [write_only(n, folder) for n in args.write_only]
    text = report(results, info, results[0]["pm4py"]["versions"])
    text += "\n" + report_write_only(big) if big else ""
    Path(args.out).write_text(text, encoding="utf-8")
    print(f"→ {args.out}")


if __name__ == "__main__":
    main()
