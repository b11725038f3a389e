"""Time "Run all" of each notebook on the bundled sample (issue 9: "Notebook run-all on the bundled sample ≤ 10 s").

Run from the project folder::

    python benchmarks/bench_notebooks.py [NOTEBOOK ...] [--repeat 3] [--write]

With no NOTEBOOK, every ``notebooks/*.ipynb`` is timed. Each run executes one notebook
as an advisor's "Restart Kernel and Run All Cells" does: a fresh kernel (the
notebook's kernelspec, ``python3``) started in ``notebooks/``, then every code cell
in order, with nbclient. The executed copy stays in memory: the notebooks on disk are
never written. Side effect: as in the test suite's nbval run, ``05_report_charts``
writes the report into ``report/`` (git-ignored).

For each notebook, the median over ``--repeat`` runs (the notebooks are taken in turn,
round after round) of:

* kernel start – from asking for a kernel to the kernel answering (ready);
* cells – from sending the first code cell to the reply of the last one;
* run all – the two together: what the advisor waits for after "Restart and Run All".

Shutting the kernel down afterwards is not counted. Drawing the outputs in a browser is
not included either. The Markdown table is printed; ``--write`` also writes it to
benchmarks/RESULTS_notebooks.md. Timings are measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import nbformat
from nbclient import NotebookClient


sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
OUT = Path(__file__).resolve().parent / "RESULTS_notebooks.md"
TARGET_S = 10.0
TIMEOUT_S = 600  # per cell


@dataclass
class Run:
    kernel_s: float
    cells_s: float
    cell_s: list[float]  # each code cell, in order

    @property
    def total_s(self) -> float:
        return self.kernel_s + self.cells_s


@dataclass
class Timing:
    path: Path
    code_cells: int = 0
    runs: list[Run] = field(default_factory=list)


def run_all(path: Path) -> Run:
    """Execute a notebook in a fresh kernel started in notebooks/; the notebook on disk is not written."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=TIMEOUT_S, resources={"metadata": {"path": str(NOTEBOOKS)}})
    cell_s = []
    start = time.perf_counter()
    with client.setup_kernel():  # starts the kernel and waits until it answers
        ready = time.perf_counter()
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            cell_start = time.perf_counter()
            client.execute_cell(cell, index)  # raises CellExecutionError if the cell fails
            cell_s.append(time.perf_counter() - cell_start)
        done = time.perf_counter()
    return Run(kernel_s=ready - start, cells_s=done - ready, cell_s=cell_s)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def machine() -> str:
    info = _common.machine("ipywidgets", "matplotlib", "ipykernel", "nbclient")
    return f"{info['machine']}; {info['versions']}"


def revision() -> str:
    return _common.revision()


def markdown(args, timings: list[Timing]) -> str:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = "python benchmarks/bench_notebooks.py" + "".join(f" {n}" for n in args.notebooks) + \
              f" --repeat {args.repeat}" + (" --write" if args.write else "")
    lines = [
        "# Notebook \"Run all\" on the bundled sample (issue 9)",
        "",
        f"Target: notebook run-all on the bundled sample ≤ {TARGET_S:.0f} s.",
        "",
        f"- Command: `{command}` (measured {when})",
        "- Sample: `data/sample_caselog.csv` (3,000 dossiers), as the notebooks' parameters cells say",
        f"- Machine: {machine()}",
        f"- Code: commit {revision()}",
        "- Each run: a fresh kernel started in `notebooks/` (nbclient), then every code cell in order, as "
        "\"Restart Kernel and Run All Cells\" does. *Kernel start*: until the kernel answers. *Cells*: from "
        "sending the first code cell to the reply of the last one. *Run all* = both. Kernel shutdown and "
        "the browser drawing the outputs are not counted.",
        "",
        f"| notebook | code cells | kernel start (s) | cells (s) | run all (s), median of {args.repeat} "
        f"| run all, min–max (s) | slowest cell (s) | ≤ {TARGET_S:.0f} s |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for t in timings:
        totals = [run.total_s for run in t.runs]
        per_cell = [median([run.cell_s[i] for run in t.runs]) for i in range(t.code_cells)]
        slowest = max(range(t.code_cells), key=per_cell.__getitem__)
        met = "yes" if median(totals) <= TARGET_S else "**no**"
        lines.append(
            f"| `{t.path.name}` | {t.code_cells} | {median([r.kernel_s for r in t.runs]):.2f} "
            f"| {median([r.cells_s for r in t.runs]):.2f} | {median(totals):.2f} "
            f"| {min(totals):.2f}–{max(totals):.2f} | code cell {slowest + 1}: {per_cell[slowest]:.2f} | {met} |"
        )
    lines += ["", "Slowest cell: the code cell (counted from 1) with the largest median time.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks to time (default: notebooks/*.ipynb)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each notebook (default 3)")
    parser.add_argument("--write", action="store_true", help="also write benchmarks/RESULTS_notebooks.md")
    args = parser.parse_args()

    paths = [Path(p).resolve() for p in args.notebooks] or sorted(NOTEBOOKS.glob("*.ipynb"))
    timings = [Timing(path) for path in paths]
    for round_ in range(1, args.repeat + 1):
        for t in timings:
            run = run_all(t.path)
            t.code_cells = len(run.cell_s)
            t.runs.append(run)
            print(f"round {round_}/{args.repeat} {t.path.name}: kernel {run.kernel_s:.2f} s + cells "
                  f"{run.cells_s:.2f} s = {run.total_s:.2f} s", file=sys.stderr, flush=True)

    table = markdown(args, timings)
    print(table)
    if args.write:
        OUT.write_text(table, encoding="utf-8")
        print(f"Wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
