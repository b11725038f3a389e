"""How often do the forecasts' 80 % intervals hold? Backtests on three caseloads (issue 21).

Run from the project folder::

    python benchmarks/backtest_forecast.py [--out benchmarks/RESULTS_forecast.md]
    python benchmarks/backtest_forecast.py --explore    # other arguments, printed only

Target (issue 21): coverage of the 80 % intervals between 0.75 and 0.85. Caseloads:

* ``sample``: the bundled ``data/sample_caselog.csv`` (3,000 dossiers, 18 months to 30 June 2025);
* ``drift``: ``simulate(25_000, seed=101, start="2023-07-01", as_of="2025-06-30")`` with
  ``delay_drift_per_year=ln 1.4`` (the fund's waits 40 % longer each year; offices differ as by
  default, ``office_speed_sigma=0.25``);
* ``offices``: ``simulate(25_000, seed=202, …)`` with ``office_speed_sigma=0.5`` (offices twice
  as far apart as by default), no drift.

Each is backtested with ``by`` None and ``"office"``, ``history_days`` None and 365, the other
arguments at their defaults (``confidence=0.8, seed=0, draws=1000, min_history=30,
min_waiting=10``), at cuts every quarter (the sample: every two months) ending six months before
the log's end. Writes its section of the
results file (between ``<!-- backtest_forecast.py -->`` markers; other sections are kept).

Besides the package's summary, the script reads the ``detail=True`` rows to split the judged
dossiers: arrived early (before ``low_date``), arrived inside, arrived late (after
``high_date``), still waiting at the end with the interval running past it (counted inside:
the generous part of the scoring), still waiting with the whole interval over (outside).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, machine

import vitale_analysis as va

MARK = "backtest_forecast.py"
SETTINGS = [(None, None), (None, 365), ("office", None), ("office", 365)]


@dataclass
class Caseload:
    name: str
    how: str
    cuts: list[str]
    how_known: str = ""

    def log(self) -> va.CaseLog:
        if self.name == "sample":
            return va.load(ROOT / "data" / "sample_caselog.csv")
        params = {
            "drift": replace(va.SimulationParams(), delay_drift_per_year=math.log(1.4)),
            "offices": replace(va.SimulationParams(), office_speed_sigma=0.5),
        }[self.name]
        seed = {"drift": 101, "offices": 202}[self.name]
        return va.load(va.simulate(25_000, seed=seed, start="2023-07-01", as_of="2025-06-30", params=params))

    def params(self) -> va.SimulationParams:
        return {
            "sample": va.SimulationParams(),
            "drift": replace(va.SimulationParams(), delay_drift_per_year=math.log(1.4)),
            "offices": replace(va.SimulationParams(), office_speed_sigma=0.5),
        }[self.name]

    def oracle(self) -> va.CaseLog:
        """The same kind of caseload simulated a year further, to 30 June 2026: the same cuts, the outcomes known.

        As many dossiers per day as the caseload itself (so the history at each cut is alike); another
        draw of the same parameters, not the same dossiers.
        """
        if self.name == "sample":  # 3,000 over 18 months → 5,000 over 30
            return va.load(va.simulate(5_000, seed=20251, start="2023-12-31", as_of="2026-06-30", params=self.params()))
        seed = {"drift": 101, "offices": 202}[self.name]
        return va.load(va.simulate(37_500, seed=seed, start="2023-07-01", as_of="2026-06-30", params=self.params()))


# Cuts at least six months before the log's end: the permanent number alone can take about nine
# months (DOMAIN), and a dossier still waiting at the end is scored generously (see the module notes).
QUARTERS = ["2023-12-31", "2024-03-31", "2024-06-30", "2024-09-30", "2024-12-31"]
CASELOADS = [
    Caseload("sample", '`va.load("data/sample_caselog.csv")` (3,000 dossiers, seed 20251, 2024-01-01 → 2025-06-30)',
             ["2024-04-30", "2024-06-30", "2024-08-31", "2024-10-31", "2024-12-31"],
             "`simulate(5_000, seed=20251, start=\"2023-12-31\", as_of=\"2026-06-30\")` (the sample's parameters)"),
    Caseload("drift", "`simulate(25_000, seed=101, start=\"2023-07-01\", as_of=\"2025-06-30\", "
             "params=replace(SimulationParams(), delay_drift_per_year=math.log(1.4)))`", QUARTERS,
             "the same with `37_500` dossiers and `as_of=\"2026-06-30\"`"),
    Caseload("offices", "`simulate(25_000, seed=202, start=\"2023-07-01\", as_of=\"2025-06-30\", "
             "params=replace(SimulationParams(), office_speed_sigma=0.5))`", QUARTERS,
             "the same with `37_500` dossiers and `as_of=\"2026-06-30\"`"),
]


def label(by, history_days) -> str:
    return f"by={by!r}, history_days={history_days!r}"


def split(detail: pd.DataFrame) -> dict[str, float]:
    """Shares of the judged dossiers: early, inside (arrived), late, waiting inside, waiting outside."""
    judged = detail["inside"].notna().to_numpy()
    d = detail[judged]
    arrived = (d["outcome"] == "arrived").to_numpy()
    act = d["actual_date"].astype("datetime64[ns]").to_numpy()
    low = d["low_date"].astype("datetime64[ns]").to_numpy()
    inside = d["inside"].astype(bool).to_numpy()
    n = len(d)
    early = arrived & ~inside & (act < low)
    late = arrived & ~inside & ~(act < low)
    waiting_in = ~arrived & inside
    waiting_out = ~arrived & ~inside
    return {
        "n_judged": n,
        "early": early.sum() / n, "arrived_inside": (arrived & inside).sum() / n, "late": late.sum() / n,
        "waiting_inside": waiting_in.sum() / n, "waiting_outside": waiting_out.sum() / n,
    }


def run(caseload: Caseload) -> dict:
    out = {}
    for which, log in (("runs", caseload.log()), ("known", caseload.oracle())):
        offices = va.case_table(log).to_frame().set_index("case_id")["office"].astype(str)
        runs = {}
        for by, history_days in SETTINGS:
            start = time.perf_counter()
            summary = va.backtest_forecast(log, caseload.cuts, by=by, history_days=history_days)
            seconds = time.perf_counter() - start
            detail = va.backtest_forecast(log, caseload.cuts, by=by, history_days=history_days, detail=True)
            detail["office_of_case"] = offices.reindex(detail["case_id"].astype(str)).to_numpy()
            runs[by, history_days] = {"summary": summary, "detail": detail, "seconds": seconds}
            s = summary.iloc[0]
            print(f"{caseload.name:8s} {which:5s} {label(by, history_days):40s} coverage {s['coverage']:.3f} "
                  f"({int(s['n_judged'])} judged) in {seconds:.1f} s", flush=True)
        out[which] = {"log": log, "runs": runs, "until": str(summary.attrs["until"])}
    return out


def fmt(x, digits=3) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def flag(c: float) -> str:
    return fmt(c) if 0.75 <= c <= 0.85 else f"**{fmt(c)}**"


def office_spread(detail: pd.DataFrame) -> str:
    """Min–max coverage over the offices with at least 100 judged dossiers (whatever ``by``)."""
    judged = detail[detail["inside"].notna()]
    per = judged.groupby("office_of_case")["inside"].agg(["size", lambda x: x.astype(bool).mean()])
    per = per[per["size"] >= 100].iloc[:, 1]
    return f"{per.min():.3f}–{per.max():.3f} ({len(per)})" if len(per) else "–"


def tables(runs: dict) -> list[str]:
    lines = ["| setting | coverage | judged | early | arrived in | late | waiting in | waiting out | MAE (d) "
             "| width (d) | per office: min–max coverage (offices) | run (s) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
    for key in SETTINGS:
        r = runs[key]
        s = r["summary"].iloc[0]
        sp = split(r["detail"])
        lines.append(
            f"| {label(*key)} | {flag(s['coverage'])} | {int(s['n_judged']):,} | {fmt(sp['early'])} | "
            f"{fmt(sp['arrived_inside'])} | {fmt(sp['late'])} | {fmt(sp['waiting_inside'])} | "
            f"{fmt(sp['waiting_outside'])} | {fmt(s['median_abs_error_days'], 1)} | "
            f"{fmt(s['median_width_days'], 1)} | {office_spread(r['detail'])} | {r['seconds']:.1f} |")
    for what, column, detail_column in (("phase at the cut", "phase", "current_phase"), ("cut", "cut", "cut")):
        first = runs[SETTINGS[0]]["summary"]
        other = "phase" if column == "cut" else "cut"
        keys = [k for k in first[column].unique() if k != "all"]
        lines += ["", f"Coverage per {what} (judged dossiers in brackets; then early / late / waiting-in shares "
                  f"of the first setting):", "",
                  f"| {column} | " + " | ".join(label(*k) for k in SETTINGS) + " | early / late / waiting in |",
                  "|---|" + "---:|" * (len(SETTINGS) + 1)]
        base = runs[SETTINGS[0]]["detail"]
        for k in keys:
            cells = []
            for key in SETTINGS:
                rows = runs[key]["summary"]
                row = rows[(rows[column] == k) & (rows[other] == "all")]
                if key[0] == "office":
                    row = row[row["office"] == "all"]
                cells.append(flag(float(row["coverage"].iloc[0])))
            n = int(first[(first[column] == k) & (first[other] == "all")]["n_judged"].iloc[0])
            sp = split(base[base[detail_column].astype(str) == k])
            lines.append(f"| {k} ({n:,}) | " + " | ".join(cells)
                         + f" | {fmt(sp['early'])} / {fmt(sp['late'])} / {fmt(sp['waiting_inside'])} |")
    return lines


def section(results: dict[str, dict], info: dict) -> str:
    lines = [
        f"<!-- {MARK} -->",
        "## Backtests: coverage of the 80 % intervals",
        "",
        f"`python benchmarks/backtest_forecast.py` — {info['when']}, commit {info['commit']}; "
        f"{info['machine']}; {info['versions']}.",
        "",
        "`backtest_forecast(log, cuts, by=…, history_days=…)`, other arguments at their defaults "
        "(`confidence=0.8, seed=0, draws=1000, min_history=30`, `target=\"rights_opened\"`, "
        "`until` = the log's latest event). Target of issue 21: coverage 0.75–0.85 "
        "(values outside in **bold**). Coverage = share of the judged dossiers inside their interval; "
        "a dossier still waiting at `until` whose interval runs past `until` counts as inside "
        "(\"waiting in\": the generous part of the scoring), one whose whole interval is over "
        "counts as outside (\"waiting out\"); \"arrived in\" is the floor the true coverage cannot go "
        "below. Early = arrived before `low_date`, late = arrived after `high_date` (an honest 80 % "
        "interval has about 0.10 of each). MAE = median |actual − expected| over the arrived, in days; "
        "width = median `high_days − low_days`. Per office: coverage of each office's dossiers "
        "(offices with ≥ 100 judged), whatever `by` was. Run = seconds of one `backtest_forecast` "
        "call (summary).",
        "",
        "Each caseload is backtested twice: as it is (`until` = its end, so the last cuts leave many "
        "dossiers still waiting, scored generously), and with **the outcomes known**: the same kind "
        "of caseload simulated a year further, to 30 June 2026 (as many dossiers per day, the same "
        "seed, another draw), with the same cuts, so that hardly any dossier is still waiting at "
        "`until`. The second is the honest measure of the intervals.",
        "",
    ]
    for caseload in CASELOADS:
        res = results[caseload.name]
        for which, title in (("runs", "as it is"), ("known", "outcomes known")):
            r = res[which]
            how = caseload.how if which == "runs" else caseload.how_known
            lines += [f"### {caseload.name}, {title}: {how}", "",
                      f"{r['log'].events['case_id'].nunique():,} dossiers; cuts {', '.join(caseload.cuts)}; "
                      f"until {r['until']}.", ""]
            lines += tables(r["runs"])
            lines.append("")
    lines.append(f"<!-- /{MARK} -->")
    return "\n".join(lines) + "\n"


def write_section(path: Path, text: str, mark: str) -> None:
    """Replace the section between ``<!-- mark -->`` and ``<!-- /mark -->`` (or append it)."""
    old = path.read_text(encoding="utf-8") if path.exists() else "# Forecasts: backtests and timings (issue 21)\n\n"
    begin, end = f"<!-- {mark} -->", f"<!-- /{mark} -->"
    if begin in old and end in old:
        new = old[:old.index(begin)] + text.rstrip("\n") + old[old.index(end) + len(end):]
    else:
        new = old.rstrip("\n") + "\n\n" + text
    path.write_text(new.rstrip("\n") + "\n", encoding="utf-8")


EXPLORE = [("drift", {"history_days": 180}), ("drift", {"history_days": 90}),
           ("offices", {"by": "office", "min_history": 100}), ("offices", {"by": "office", "min_history": 300}),
           ("sample", {"by": "office", "min_history": 100})]


def explore() -> None:
    """Other arguments on the outcomes-known caseloads (printed only): shorter windows, larger min_history."""
    caseloads = {c.name: c for c in CASELOADS}
    for name, kwargs in EXPLORE:
        log = caseloads[name].oracle()
        summary = va.backtest_forecast(log, caseloads[name].cuts, **kwargs).iloc[0]
        sp = split(va.backtest_forecast(log, caseloads[name].cuts, detail=True, **kwargs))
        print(f"| {name}, outcomes known | {kwargs} | {summary['coverage']:.3f} | {sp['early']:.3f} | "
              f"{sp['late']:.3f} | {summary['median_abs_error_days']:.1f} | {summary['median_width_days']:.1f} |",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "RESULTS_forecast.md"))
    parser.add_argument("--only", nargs="*", help="caseload names to run (default all)")
    parser.add_argument("--explore", action="store_true", help="print the EXPLORE runs only (writes nothing)")
    args = parser.parse_args()
    warnings.simplefilter("ignore", va.DataQualityWarning)
    np.seterr(all="ignore")
    if args.explore:
        explore()
        return
    global CASELOADS
    if args.only:
        CASELOADS = [c for c in CASELOADS if c.name in args.only]
    info = machine()
    results = {c.name: run(c) for c in CASELOADS}
    write_section(Path(args.out), section(results, info), MARK)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
