"""Command line: ``vitale-analysis summary|validate|simulate``.

``summary`` prints a readable overview of a case log (the bundled sample when no
file is given); ``validate`` prints the quality report and exits non-zero when
the log cannot be used; ``simulate`` writes a synthetic caseload.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .cases import case_table, phase_durations
from .errors import CaseLogError, DataQualityWarning
from .process import CARTE_VITALE, ProcessModel
from .validate import load

SAMPLE_NAME = "sample_caselog.csv"


def bundled_sample() -> Path:
    """The bundled sample log: ./data/ first, then the project folder beside the package."""
    for folder in (Path.cwd() / "data", Path(__file__).resolve().parents[1] / "data"):
        candidate = folder / SAMPLE_NAME
        if candidate.exists():
            return candidate
    raise CaseLogError(
        f"No case log given and the bundled sample data/{SAMPLE_NAME} was not found. "
        "Run the command from the project folder, or give the path of your log."
    )


def _process(path: str | None) -> ProcessModel:
    return ProcessModel.from_toml(path) if path else CARTE_VITALE


def _load(args) -> tuple:
    source = Path(args.log) if args.log else bundled_sample()
    with warnings.catch_warnings():
        # The quality report printed below says the same, with the details.
        warnings.simplefilter("ignore", DataQualityWarning)
        log = load(source, _process(args.process), mapping=args.mapping)
    return source, log


def summary_text(log, *, as_of=None, lang: str = "en") -> str:
    """A plain-text overview: quality, status of the dossiers, phases, where open ones are."""
    cases = case_table(log, as_of=as_of)
    durations = phase_durations(log, as_of=as_of)
    process = log.process
    labels = process.phase_labels(lang)
    as_of_ts = cases.attrs["as_of"]
    status = cases["status"].value_counts()
    n = len(cases)
    lines = [
        repr(log.quality),
        "",
        f"Dossiers as of {as_of_ts:%Y-%m-%d %H:%M}: {n:,} in all — "
        f"{status.get('open', 0):,} open, {status.get('complete', 0):,} complete, "
        f"{status.get('closed', 0):,} closed (abandoned or moved away).",
        f"Order violations: {int((cases['order_violations'] > 0).sum()):,} dossiers reached a milestone "
        "before an earlier one.",
        "",
        "Time per phase (days). 'finished' counts only dossiers that finished the phase; the",
        "'open' ones are still in it and would make the medians longer (Kaplan–Meier estimates",
        "that count them come with phase_summary).",
    ]
    header = f"  {'phase':<28}{'finished':>9}{'median':>9}{'p90':>9}{'open':>7}{'open median so far':>20}"
    lines.append(header)
    for key in process.phase_keys:
        rows = durations[durations["phase"] == key]
        done = rows.loc[rows["state"] == "finished", "days"]
        still = rows.loc[rows["state"] == "open", "days"]
        med = f"{done.median():.1f}" if len(done) else "—"
        p90 = f"{np.percentile(done, 90):.1f}" if len(done) else "—"
        still_med = f"{still.median():.1f}" if len(still) else "—"
        lines.append(f"  {labels[key]:<28}{len(done):>9,}{med:>9}{p90:>9}{len(still):>7,}{still_med:>20}")
    open_cases = cases[cases["status"] == "open"]
    if len(open_cases):
        lines += ["", "Open dossiers by current phase (days in phase as of the date above):"]
        grouped = open_cases.groupby("current_phase", observed=True)["days_in_phase"]
        for key, days in grouped:
            lines.append(
                f"  {labels[key]:<28}{len(days):>7,} dossiers, median {days.median():.1f} days, "
                f"longest {days.max():.1f}"
            )
    trig_cols = [c for c in cases.columns if c.startswith("trigger_")]
    if trig_cols:
        counts = cases[trig_cols].sum().sort_values(ascending=False)
        counts = counts[counts > 0]
        if len(counts):
            lines += ["", "Delay triggers (dossiers affected):"]
            for column, count in counts.items():
                trigger = process.triggers[column.removeprefix("trigger_")]
                lines.append(f"  {trigger.label_in(lang):<62}{int(count):>6,}  ({count / n:.1%})")
    return "\n".join(lines)


def _cmd_summary(args) -> int:
    source, log = _load(args)
    print(f"Case log: {source}")
    print(summary_text(log, as_of=args.as_of, lang=args.lang))
    return 0


def _cmd_validate(args) -> int:
    _, log = _load(args)
    print(repr(log.quality))
    return 0


def _cmd_simulate(args) -> int:
    from .simulate import simulate, write_events

    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise CaseLogError(f"--out {out}: write a .csv or a .parquet file.")
    events = simulate(args.cases, seed=args.seed, start=args.start, as_of=args.as_of)
    write_events(events, out)
    print(f"Wrote {len(events):,} events for {events['case_id'].nunique():,} dossiers to {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vitale-analysis",
        description="Analyse Carte Vitale case logs: phases, stalls, delay triggers, data quality.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def add_log_args(p, *, optional_log: bool) -> None:
        if optional_log:
            p.add_argument("log", nargs="?", help="case log (.csv, .xlsx, .parquet, .xes, .xes.gz); "
                           "default: the bundled sample")
        else:
            p.add_argument("log", help="case log (.csv, .xlsx, .parquet, .xes, .xes.gz)")
        p.add_argument("--mapping", help="mapping file (.toml or .json) for your export's headers and labels")
        p.add_argument("--process", help="process model (.toml) when the log is not the Carte Vitale route")

    p = sub.add_parser("summary", help="print a readable summary of a case log")
    add_log_args(p, optional_log=True)
    p.add_argument("--as-of", help="date the summary describes (default: the log's last event)")
    p.add_argument("--lang", choices=["en", "fr"], default="en")
    p.set_defaults(func=_cmd_summary)

    p = sub.add_parser("validate", help="print the data-quality report of a case log")
    add_log_args(p, optional_log=False)
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("simulate", help="write a synthetic, seeded caseload")
    p.add_argument("--cases", type=int, required=True, help="number of dossiers")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--as-of", required=True, help="last date of the simulated log, e.g. 2025-06-30")
    p.add_argument("--start", help="first start date (default: 18 months before as-of)")
    p.add_argument("--out", required=True, help="output file (.csv or .parquet)")
    p.set_defaults(func=_cmd_simulate)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    pd.set_option("display.width", 120)
    try:
        return args.func(args)
    except CaseLogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
