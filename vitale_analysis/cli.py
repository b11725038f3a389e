"""Command line: ``vitale-analysis report|summary|validate|simulate``.

``report`` writes the HTML report and the Excel workbook; ``summary`` prints a
readable overview in the terminal (both use the bundled sample when no file is
given); ``validate`` prints the quality report and exits non-zero when the log
cannot be used; ``simulate`` writes a synthetic caseload.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .cases import case_table
from .conformance import CONFORMANCE_KINDS, conformance
from .errors import CaseLogError, DataQualityWarning
from .labels import with_trigger_labels
from .masking import mask_text
from .process import CARTE_VITALE, ProcessModel
from .stalls import phase_thresholds, stalled
from .summaries import phase_summary, trigger_summary
from .validate import load

SAMPLE_NAME = "sample_caselog.csv"


def _say(text: str, file=None) -> None:
    """Print, with any social-security-like number masked (a file name, a label, a value)."""
    print(mask_text(str(text)), file=file)


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


def _fmt_days(value: float) -> str:
    if np.isnan(value):
        return "—"
    if np.isinf(value):
        return "not yet"
    return f"{value:.1f}"


def summary_text(log, *, as_of=None, lang: str = "en", followup_days: float = 14) -> str:
    """A plain-text overview: quality, dossiers, time per phase, stalls, triggers, order problems."""
    cases = case_table(log, as_of=as_of)
    process = log.process
    labels = process.phase_labels(lang)
    status = cases["status"].value_counts()
    n = len(cases)
    lines = [
        repr(log.quality),
        "",
        f"Dossiers as of {cases.as_of}: {n:,} in all — "
        f"{status.get('open', 0):,} open, {status.get('complete', 0):,} complete, "
        f"{status.get('closed', 0):,} closed (abandoned or moved away).",
        "",
        "Time per phase, in days. Kaplan–Meier counts the dossiers still open for the days they",
        "have waited so far; 'finished only' leaves them out and so looks shorter.",
    ]
    summary = phase_summary(cases)
    lines.append(
        f"  {'phase':<26}{'dossiers':>9}{'open':>7}{'median':>9}{'p75':>9}{'p90':>9}{'finished only':>15}"
    )
    for row in summary.itertuples(index=False):
        lines.append(
            f"  {labels[row.phase]:<26}{row.n:>9,}{row.n_open:>7,}{_fmt_days(row.median_days):>9}"
            f"{_fmt_days(row.p75_days):>9}{_fmt_days(row.p90_days):>9}"
            f"{_fmt_days(row.median_days_completed_only):>15}"
        )

    work = stalled(cases, followup_days=followup_days)
    lines += ["", f"Stalled: {len(work):,} open dossiers are past their phase's threshold "
                  f"(the caseload's 90th percentile; follow-up interval {followup_days:g} days)."]
    if len(work):
        per_phase = work.groupby("phase", observed=True).size()
        thresholds = phase_thresholds(cases)
        for key, count in per_phase.items():
            lines.append(f"  {labels[key]:<26}{count:>6,} past {thresholds[key]:.0f} days")
        reasons = work["reason"].value_counts()
        lines.append("  next actions: " + ", ".join(f"{k} {v:,}" for k, v in reasons.items() if v))

    triggers = with_trigger_labels(trigger_summary(cases, n_boot=0), process, lang=lang)
    if len(triggers):
        lines += ["", "Delay triggers, by days attributable (an association, not proof of cause):",
                  f"  {'trigger':<62}{'dossiers':>9}{'share':>8}{'extra days':>12}"]
        for row in triggers.itertuples(index=False):
            lines.append(
                f"  {row.label:<62}{row.cases_affected:>9,}{row.share:>8.1%}{_fmt_days(row.extra_days):>12}"
            )

    problems = conformance(cases)
    if len(problems):
        lines += ["", "Steps out of order (dossiers):"]
        per_kind = problems.groupby("kind", observed=True)["case_id"].nunique()
        for kind, count in per_kind.items():
            lines.append(f"  {kind:<30}{count:>6,}  {CONFORMANCE_KINDS[kind]}")
    return "\n".join(lines)


def _cmd_summary(args) -> int:
    source, log = _load(args)
    _say(f"Case log: {source}")
    _say(summary_text(log, as_of=args.as_of, lang=args.lang, followup_days=args.followup_days))
    return 0


def _cmd_report(args) -> int:
    import matplotlib

    matplotlib.use("Agg")  # the command line draws to files, never to a window
    from tqdm import tqdm

    from .report import prepare_out_dir, report_charts, report_tables, write_report

    prepare_out_dir(args.out)  # (a wrong --out is said at once, not after the whole report is computed)

    # Shown only after 2 seconds, and only on a terminal (disable=None).
    with tqdm(total=6, desc="report", unit="step", delay=2, disable=None, file=sys.stderr, leave=False) as bar:
        source, log = _load(args)
        bar.update()
        tables = report_tables(log, as_of=args.as_of, lang=args.lang, followup_days=args.followup_days, progress=bar)
        charts = report_charts(tables)
        bar.update()
        html, xlsx = write_report(tables, args.out, charts=charts, source=str(source))
        bar.update()
    _say(f"Report written for {source} (as of {tables.as_of}, {len(tables.cases):,} dossiers):")
    _say(f"  {html}")
    _say(f"  {xlsx}")
    return 0


def _cmd_validate(args) -> int:
    _, log = _load(args)
    _say(repr(log.quality))
    return 0


def _cmd_simulate(args) -> int:
    from .simulate import simulate, write_events

    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise CaseLogError(f"--out {out}: write a .csv or a .parquet file.")
    events = simulate(args.cases, seed=args.seed, start=args.start, as_of=args.as_of)
    write_events(events, out)
    _say(f"Wrote {len(events):,} events for {events['case_id'].nunique():,} dossiers to {out}")
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
    p.add_argument("--followup-days", type=float, default=14,
                   help="follow-up interval in days for the next actions (default 14)")
    p.set_defaults(func=_cmd_summary)

    p = sub.add_parser("report", help="write the HTML report and the Excel workbook")
    add_log_args(p, optional_log=True)
    p.add_argument("--as-of", help="date the report describes (default: the log's last event)")
    p.add_argument("--lang", choices=["en", "fr"], default="en")
    p.add_argument("--out", default="report", help="folder for report.html and report.xlsx (default: ./report)")
    p.add_argument("--followup-days", type=float, default=14,
                   help="follow-up interval in days for the next actions (default 14)")
    p.set_defaults(func=_cmd_report)

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
        _say(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
