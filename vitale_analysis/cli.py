"""Command line: ``vitale-analysis report|summary|validate|mapping|simulate``.

``report`` writes the HTML report and the Excel workbook; ``summary`` prints a
readable overview in the terminal (both use the bundled sample when no file is
given); ``validate`` prints the quality report (``--details``: every problem with
its fix; ``--details-csv FILE``: the same as CSV); ``mapping`` proposes the mapping
file that reads an export (``--out FILE`` writes it); ``simulate`` writes a synthetic
caseload.

Exit status: 0 done; 2 the log cannot be read or used (the message says why and
the fix); 3 (``validate`` only) the log was read but more than half of its rows
were set aside, which nearly always means a wrong mapping (the notes say which
setting).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from . import i18n
from .cases import case_table
from .display import describe
from .conformance import conformance
from .caselog import CHECKS
from .errors import CaseLogError, DataQualityWarning, interface
from .forecast import forecast_completions
from .labels import with_trigger_labels
from .masking import mask_text
from .process import CARTE_VITALE, ProcessModel
from .stalls import phase_thresholds, stalled
from .summaries import phase_summary, trigger_summary
from .distributed import load

SAMPLE_NAME = "sample_caselog.csv"

#: Exit statuses (see the module docstring).
EXIT_UNUSABLE = 2
EXIT_MOSTLY_SET_ASIDE = 3
#: Problems ``validate --details`` prints at most (``--details-csv`` writes them all).
DETAILS_SHOWN = 1000


def _say(text: str, file=None, shown=()) -> None:
    """Print, with any social-security-like number masked (a file name, a label, a value), but the
    ids the mapping declared not personal (``shown``: the log's ``unmasked``)."""
    print(mask_text(str(text), shown), file=file)


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


LOCAL_CLUSTER = "local"  # (--dask without an address)


def _process(path: str | None) -> ProcessModel:
    return ProcessModel.from_toml(path) if path else CARTE_VITALE


def _load(args) -> tuple:
    source = Path(args.log) if args.log else bundled_sample()
    dask = getattr(args, "dask", None)
    with warnings.catch_warnings():
        # The quality report printed below says the same, with the details.
        warnings.simplefilter("ignore", DataQualityWarning)
        if dask is None:
            log = load(source, _process(args.process), mapping=args.mapping)
        else:  # read and validated on the cluster (global checks included), then gathered for the analyses
            address = None if dask == LOCAL_CLUSTER else dask
            distributed_log = load(str(source) if args.log else source, _process(args.process), mapping=args.mapping,
                                   engine="dask", client=address)
            try:
                log = distributed_log.to_caselog()
            finally:
                distributed_log.close()
    return source, log


def _fmt_days(value: float, lang: str = "en") -> str:
    if np.isnan(value):
        return "—"
    if np.isinf(value):
        return i18n.t("cli.not_yet", lang)
    return i18n.number(value, lang, 1)


def quality_text(log, lang: str = "en") -> str:
    """The quality report in a few lines, in ``lang``; in English with how the file was read (the notes)."""
    lines = [str(describe(log, lang=lang))]
    if lang == "en":  # (the reader's notes are written in English)
        lines += [f"  {mask_text(note, log.unmasked)}" for note in log.quality.notes]
    return "\n".join(lines)


def summary_text(log, *, as_of=None, lang: str = "en", followup_days: float = 14) -> str:
    """A plain-text overview, in ``lang``: quality, dossiers, time per phase, stalls, triggers, order problems."""
    cases = case_table(log, as_of=as_of)
    process = log.process
    labels = process.phase_labels(lang)
    status = cases["status"].value_counts()
    n = len(cases)

    def col(key: str) -> str:
        return i18n.t(f"cli.col.{key}", lang)

    lines = [
        quality_text(log, lang),
        "",
        i18n.t("cli.header", lang, day=i18n.day(cases.as_of, lang), n=n, open=int(status.get("open", 0)),
               complete=int(status.get("complete", 0)), closed=int(status.get("closed", 0))),
        "",
        i18n.t("cli.phases_intro", lang),
    ]
    summary = phase_summary(cases)
    lines.append(
        f"  {col('phase'):<26}{col('dossiers'):>9}{col('open'):>9}{col('median'):>11}{col('p75'):>11}"
        f"{col('p90'):>11}{col('finished_only'):>16}"
    )
    for row in summary.itertuples(index=False):
        lines.append(
            f"  {labels[row.phase]:<26}{i18n.number(row.n, lang):>9}{i18n.number(row.n_open, lang):>9}"
            f"{_fmt_days(row.median_days, lang):>11}{_fmt_days(row.p75_days, lang):>11}{_fmt_days(row.p90_days, lang):>11}"
            f"{_fmt_days(row.median_days_completed_only, lang):>16}"
        )

    work = stalled(cases, followup_days=followup_days)
    lines += ["", i18n.t("cli.stalled", lang, n=i18n.count(len(work), "dossier", lang), f=followup_days)]
    if len(work):
        per_phase = work.groupby("phase", observed=True).size()
        thresholds = phase_thresholds(cases)
        for key, count in per_phase.items():
            past = i18n.t("cli.past", lang, d=i18n.days(thresholds[key], lang, decimals=0))
            lines.append(f"  {labels[key]:<26}{i18n.number(int(count), lang):>6} {past}")
        reasons = work["reason"].value_counts()
        said = ", ".join(f"{i18n.t(f'reason.{k}', lang)} {i18n.number(int(v), lang)}" for k, v in reasons.items() if v)
        lines.append("  " + i18n.t("cli.next_actions", lang, list=said))

    triggers = with_trigger_labels(trigger_summary(cases, n_boot=0), process, lang=lang, labels=log.labels.get("trigger"))
    if len(triggers):
        lines += ["", i18n.t("cli.triggers", lang),
                  f"  {col('trigger'):<62}{col('dossiers'):>9}{col('share'):>9}{col('extra_days'):>14}"]
        for row in triggers.itertuples(index=False):
            lines.append(
                f"  {row.label:<62}{i18n.number(row.cases_affected, lang):>9}{i18n.share(row.share, lang):>9}"
                f"{_fmt_days(row.extra_days, lang):>14}"
            )

    weeks = forecast_completions(cases, target="rights_opened", periods=6) if "rights" in process.phase_keys \
        else None
    if weeks is not None and weeks.attrs["n_open"]:
        level = i18n.share(weeks.attrs["confidence"], lang, decimals=0)
        lines += ["", i18n.t("cli.forecast", lang, n=i18n.number(weeks.attrs["n_open"], lang), level=level)]
        for when, row in weeks.iterrows():
            what = (i18n.t("cli.forecast_week", lang, day=i18n.day(row["period_start"], lang)) if when != "later"
                    else i18n.t("cli.forecast_later", lang))
            lines.append(f"  {what:<34}{i18n.number(row['expected'], lang):>6}   "
                         + i18n.t("cli.forecast_band", lang, low=i18n.number(row["low"], lang),
                                  high=i18n.number(row["high"], lang)))

    problems = conformance(cases)
    if len(problems):
        lines += ["", i18n.t("cli.order", lang)]
        per_kind = problems.groupby("kind", observed=True)["case_id"].nunique()
        for kind, count in per_kind.items():
            lines.append(f"  {i18n.t(f'kind_name.{kind}', lang):<38}{i18n.number(int(count), lang):>6}  "
                         f"{i18n.t(f'kind.{kind}', lang)}")
    return "\n".join(lines)


def _cmd_summary(args) -> int:
    source, log = _load(args)
    _say(i18n.t("cli.source", args.lang, source=source))
    _say(summary_text(log, as_of=args.as_of, lang=args.lang, followup_days=args.followup_days), shown=log.unmasked)
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
    _say(i18n.t("cli.report_written", args.lang, source=source, day=i18n.day(tables.as_of, args.lang),
                n=i18n.count(len(tables.cases), "dossier", args.lang)))
    _say(f"  {html}")
    _say(f"  {xlsx}")
    return 0


def details_frame(quality, lang: str = "en") -> pd.DataFrame:
    """The quality report's problems, one per row, with the fix for each in ``lang``
    (``validate --details-csv``)."""
    out = quality.failures.copy()
    out["fix"] = out["check"].map({check: i18n.t(f"fix.{check}", lang) for check in CHECKS})
    return out


def details_text(quality, *, limit: int = DETAILS_SHOWN, lang: str = "en") -> str:
    """Every problem (up to ``limit``), grouped by check: its count and fix, then row, dossier, column, value."""
    frame = details_frame(quality, lang)
    if frame.empty:
        return i18n.t("cli.details_none", lang)
    lines, shown = [], 0
    for check in [c for c in CHECKS if c in set(frame["check"])]:
        part = frame[frame["check"] == check]
        name = check if lang == "en" else i18n.t(f"check_name.{check}", lang)
        action = CHECKS[check][0] if lang == "en" else i18n.t(f"value.action.{CHECKS[check][0]}", lang)
        lines.append(i18n.t("cli.details_check", lang, check=name, rows=i18n.count(len(part), "row", lang),
                            action=action, fix=i18n.t(f"fix.{check}", lang)))
        for rec in part.itertuples(index=False):
            if shown >= limit:
                break
            value = "" if pd.isna(rec.value) else str(rec.value)
            value = value if len(value) <= 60 else value[:57] + "…"
            case = "" if pd.isna(rec.case_id) else rec.case_id
            lines.append(f"  {i18n.t('cli.details_row', lang, row=str(rec.row))}  {case}  {rec.column}: {value!r}")
            shown += 1
    if len(frame) > shown:
        lines.append(i18n.t("cli.details_more", lang, n=len(frame) - shown))
    return "\n".join(lines)


def _cmd_validate(args) -> int:
    _, log = _load(args)
    quality, lang = log.quality, args.lang
    more = i18n.t("cli.validate_more", lang)
    _say(quality.summary(more=more) if lang == "en" else f"{quality_text(log, lang)}\n  {more}", shown=log.unmasked)
    if args.details:
        _say("")
        _say(details_text(quality, lang=lang), shown=log.unmasked)
    if args.details_csv:
        path = Path(args.details_csv)
        try:
            details_frame(quality, lang).to_csv(path, index=False, encoding="utf-8-sig")
        except OSError as exc:
            raise CaseLogError(f"--details-csv {path}: cannot be written ({exc.strerror or exc}). "
                               "Give a file in a folder you can write to.") from None
        _say(i18n.t("cli.details_written", lang, path=str(path), n=len(quality.failures)))
    if 2 * quality.n_set_aside > quality.rows_read:
        _say(i18n.t("cli.mostly_set_aside", lang, n=quality.n_set_aside, total=quality.rows_read,
                    code=EXIT_MOSTLY_SET_ASIDE), file=sys.stderr)
        return EXIT_MOSTLY_SET_ASIDE
    return 0


def _cmd_mapping(args) -> int:
    from .assistant import suggest_mapping

    process = ProcessModel.from_toml(args.process) if args.process else CARTE_VITALE
    out = Path(args.out) if args.out else None
    if out is not None:
        if out.suffix.lower() != ".toml":
            raise CaseLogError(f"--out {out}: the mapping is written as TOML; give a file name ending in .toml.")
        if out.exists() and not args.force:
            raise CaseLogError(f"--out {out} already exists (perhaps a mapping you edited): give another name, "
                               "or add --force to replace it.")
    suggestion = suggest_mapping(args.log, process, sheet=args.sheet)
    text = suggestion.to_toml()
    counts = suggestion.counts()
    if out is None:
        _say(text.rstrip("\n"))
    else:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CaseLogError(f"--out {out}: cannot be written ({exc.strerror or exc}).") from None
    # What the file gives with this mapping as it is (the TODO lines left out).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        try:
            log = load(args.log, mapping=suggestion.mapping, process=process)
            result = (f"With it as it is: {log.quality.rows_kept:,} of {log.quality.rows_read:,} rows kept, "
                      f"{log.events['case_id'].nunique():,} dossiers; "
                      f"{log.quality.count('unknown_event'):,} rows with a step the mapping does not place.")
        except CaseLogError as exc:
            result = f"With it as it is, the file cannot be read yet: {exc}"
    where = f"Wrote {out}" if out is not None else "Mapping above"
    _say(f"{where}: {counts['sure']} sure, {counts['check']} to check, {counts['todo']} TODO. {result}",
         file=sys.stderr if out is None else None)
    target = out or "the mapping file"
    _say(f"Next: check the lines marked 'check', fill in the TODO lines, then run "
         f"vitale-analysis validate {args.log} --mapping {target}",
         file=sys.stderr if out is None else None)
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
        p.add_argument("--dask", nargs="?", const=LOCAL_CLUSTER, metavar="ADDRESS",
                       help="read and validate the log on a Dask cluster (the extra vitale-analysis[dask]): its "
                            "scheduler's ADDRESS (tcp://host:8786), or a local cluster without ADDRESS; the log "
                            "may then be a folder or a glob of Parquet or CSV files, which the workers must see")

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

    p = sub.add_parser("validate", help="print the data-quality report of a case log",
                       epilog="Exit status: 0 read (problems, if any, listed); 2 the log cannot be read or used; "
                              "3 more than half of the rows were set aside (a wrong mapping, most often).")
    add_log_args(p, optional_log=False)
    p.add_argument("--lang", choices=["en", "fr"], default="en")
    p.add_argument("--details", action="store_true",
                   help=f"also list every problem (row, dossier, column, value) with its fix (the first "
                        f"{DETAILS_SHOWN:,})")
    p.add_argument("--details-csv", metavar="FILE", help="write every problem, with its fix, to a CSV file")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("mapping", help="propose the mapping file that reads your export (headers, labels, "
                                       "encoding, delimiter, date order)",
                       epilog="Without --out the mapping is printed; each line says how sure it is "
                              "(sure / check / TODO).")
    p.add_argument("log", help="your export (.csv, .xlsx, .parquet, .xes, .xes.gz)")
    p.add_argument("--out", metavar="FILE", help="write the mapping to FILE (.toml)")
    p.add_argument("--force", action="store_true", help="replace --out FILE if it exists")
    p.add_argument("--sheet", help="Excel: the sheet to read (default: the one Excel opens on)")
    p.add_argument("--process", help="process model (.toml) when the log is not the Carte Vitale route")
    p.set_defaults(func=_cmd_mapping)

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
        with interface("cli"):  # (the messages name --mapping FILE, not mapping=)
            return args.func(args)
    except CaseLogError as exc:
        _say(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except BrokenPipeError:  # (the output piped into `head` or a pager that was closed: not an error)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # (no second error at exit)
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
