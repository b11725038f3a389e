"""A/B runs of the 1M-dossier pipeline on two commits, interleaved, in one sitting.

One command, from the project folder::

    python benchmarks/bench_ab.py A_COMMIT B_COMMIT --rounds 7 --write

Each commit is checked out in a temporary git worktree (the checkout is left as it is);
the pipeline of ``bench_pipeline.py`` (read Parquet → validate → case_table →
phase_summary + trigger_summary + stalled) runs in a fresh Python process that imports
that worktree's package, on the same seeded Parquet log (``simulate(n, seed=1,
as_of="2025-06-30")``, made once with the B commit's simulator). Rounds alternate the
order (A then B, then B then A) so that drift in the machine falls on both alike, and
each process follows a prefault (a separate process touches ``--prefault-gb`` GB and
exits, see ``bench_pipeline.py``). Per commit: the median and range of each stage's wall
time, of the total, of the process's CPU time (user + system, from the parent's
``RUSAGE_CHILDREN``), and the largest peak resident set. ``--write`` puts the table in
``benchmarks/RESULTS.md`` between the ``ab`` markers.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from _common import machine  # noqa: E402
from bench_pipeline import MAKE, OUR_STAGES, OURS, PREFAULT, write  # noqa: E402

AS_OF = "2025-06-30"


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()


def run(worktree: Path, path: Path) -> dict:
    """One pipeline run importing ``worktree``'s package: stage times, CPU seconds, peak MB."""
    code = f"import sys; sys.path.insert(0, {str(worktree)!r})\n" + OURS
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = subprocess.run([sys.executable, "-c", code, str(path), AS_OF], capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode != 0:
        raise SystemExit(f"failed in {worktree}:\n{res.stderr[-3000:]}")
    out = json.loads(res.stdout.strip().splitlines()[-1])
    imported = subprocess.run([sys.executable, "-c", code.split("\n")[0] + "\nimport vitale_analysis as va; "
                               "print(va.__file__)"], capture_output=True, text=True).stdout.strip()
    if not imported.startswith(str(worktree)):
        raise SystemExit(f"the run imported {imported}, not the worktree {worktree}")
    out["cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return out


def cell(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def table(results: dict, labels: dict, n: int, rounds: int, info: dict, command: str) -> str:
    lines = [
        f"Command: `{command}` — {info['when']}.",
        f"Machine: {info['machine']}. {info['versions']}.",
        f"Log: `simulate({n:,}, seed=1, as_of=\"{AS_OF}\")` → Parquet, {results['events']:,} events. "
        f"{rounds} rounds, the order alternating (A B, B A, …), each process after a prefault; "
        "cells: median (min–max) in seconds; CPU: user + system time of the whole process "
        "(start, import and reading included); peak: largest resident set.",
        "",
        "| commit | " + " | ".join(OUR_STAGES) + " | **total** | CPU (s) | peak (MB) |",
        "|---|" + "---:|" * (len(OUR_STAGES) + 3),
    ]
    for key in ("A", "B"):
        runs = results[key]
        lines.append(
            f"| {labels[key]} | " + " | ".join(cell([r[f"{s}_s"] for r in runs]) for s in OUR_STAGES)
            + f" | **{cell([r['total_s'] for r in runs])}** | {cell([r['cpu_s'] for r in runs])} | "
            f"{max(r['peak_mb'] for r in runs):,.0f} |")
    a, b = (statistics.median(r["total_s"] for r in results[k]) for k in ("A", "B"))
    ca, cb = (statistics.median(r["cpu_s"] for r in results[k]) for k in ("A", "B"))
    lines += ["", f"B ÷ A, medians: total {b / a:.3f}, CPU {cb / ca:.3f}."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="commit A (e.g. the code before a change)")
    parser.add_argument("b", help="commit B")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--prefault-gb", type=float, default=6.0)
    parser.add_argument("--log", type=Path, help="a Parquet log made earlier (default: made now, then deleted)")
    parser.add_argument("--write", action="store_true", help="write the table into benchmarks/RESULTS.md")
    args = parser.parse_args()
    commits = {"A": git("rev-parse", "--short", args.a), "B": git("rev-parse", "--short", args.b)}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        trees = {}
        for key, commit in commits.items():
            trees[key] = tmp / f"tree_{key}"
            git("worktree", "add", "--detach", str(trees[key]), commit)
        try:
            path = args.log or tmp / f"log_{args.cases}.parquet"
            if not path.exists():
                make = f"import sys; sys.path.insert(0, {str(trees['B'])!r})\n" + MAKE
                subprocess.run([sys.executable, "-c", make, str(args.cases), str(path), AS_OF], check=True)
            results: dict = {"A": [], "B": []}
            for r in range(args.rounds):
                for key in ("A", "B") if r % 2 == 0 else ("B", "A"):
                    subprocess.run([sys.executable, "-c", PREFAULT, str(max(1.0, args.prefault_gb * args.cases / 1e6))],
                                   check=True)
                    out = run(trees[key], path)
                    results[key].append(out)
                    print(f"round {r + 1} {key} ({commits[key]}): total {out['total_s']:.2f} s, "
                          f"CPU {out['cpu_s']:.2f} s, peak {out['peak_mb']:,.0f} MB", flush=True)
            results["events"] = results["A"][0]["events"]
        finally:
            for tree in trees.values():
                git("worktree", "remove", "--force", str(tree))
    labels = {key: f"{key}: {commit} ({git('log', '-1', '--format=%s', commit)[:60]})" for key, commit in commits.items()}
    command = "python benchmarks/bench_ab.py " + " ".join(sys.argv[1:])
    text = table(results, labels, args.cases, args.rounds, machine(), command)
    print(text)
    if args.write:
        write(text, marker="ab")
        print("written to benchmarks/RESULTS.md")


if __name__ == "__main__":
    main()
