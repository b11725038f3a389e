"""The report: one self-contained HTML page and an Excel workbook for advisors.

:func:`report_tables` computes every table once (pure, from a CaseLog and an
explicit ``as_of``); :func:`write_html` and :func:`write_workbook` only render
them. Identifiers that look like a social security number are masked in both.
Text cells that Excel would run as formulas (starting with ``=``, ``+``, ``-``
or ``@``) are written as plain text.
"""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from ._version import __version__
from .caselog import CaseLog
from .cases import CaseTable, case_table
from .conformance import CONFORMANCE_KINDS, conformance
from .errors import CaseLogError
from .flow import throughput, waiting_on_summary
from .labels import with_next_actions, with_trigger_labels
from .masking import printable
from .privacy import mask_identifiers, mask_text
from .stalls import phase_thresholds, stalled
from .summaries import phase_summary, trigger_summary
from .timeutil import AsOf

__all__ = ["ReportTables", "add_sheet", "report_charts", "report_tables", "write_html", "write_workbook",
           "write_report", "prepare_out_dir", "readable", "format_date", "HEADERS", "DAYS_COLUMNS", "SHEET_ROWS"]

#: Readable column headers, per language.
HEADERS = {
    "en": {
        "case_id": "Dossier", "office": "Office", "phase": "Phase", "phase_label": "Phase",
        "days_in_phase": "Days in phase", "threshold_days": "Threshold (days)", "days_over": "Days over",
        "waiting_on": "Waiting on", "last_event": "Last event", "last_event_at": "Last event on",
        "days_since_last_event": "Days since last event", "reason": "Why", "next_action": "Next action",
        "n": "Dossiers", "n_finished": "Finished", "n_open": "Still open", "n_closed": "Closed in phase",
        "n_no_duration": "Out of order / missing step", "median_days": "Median (days, Kaplan–Meier)",
        "p75_days": "75th percentile (days)", "p90_days": "90th percentile (days)",
        "median_days_completed_only": "Median of finished only (days)",
        "trigger": "Trigger key", "label": "Delay trigger", "events": "Times raised",
        "cases_affected": "Dossiers affected", "share": "Share of dossiers",
        "median_days_to_next_milestone": "Median days to next milestone",
        "median_days_affected": "Median days in phase, with it", "median_days_unaffected": "Median days in phase, without it",
        "extra_days": "Extra days (median)", "extra_days_ci_low": "Extra days, CI low",
        "extra_days_ci_high": "Extra days, CI high", "total_days_attributable": "Days attributable (total)",
        "prevention": "How to prevent it", "kind": "Problem", "detail": "What happened",
        "first_event": "First event", "first_at": "First on", "second_event": "Second event",
        "second_at": "Second on", "days_apart": "Days apart", "row": "Row", "column": "Column",
        "check": "Check", "value": "Value", "action": "Action", "count": "Count", "description": "Meaning",
    },
    "fr": {
        "case_id": "Dossier", "office": "Caisse", "phase": "Phase", "phase_label": "Phase",
        "days_in_phase": "Jours dans la phase", "threshold_days": "Seuil (jours)", "days_over": "Jours de dépassement",
        "waiting_on": "En attente de", "last_event": "Dernier événement", "last_event_at": "Date du dernier événement",
        "days_since_last_event": "Jours depuis le dernier événement", "reason": "Motif", "next_action": "Prochaine action",
        "n": "Dossiers", "n_finished": "Terminés", "n_open": "En cours", "n_closed": "Clos dans la phase",
        "n_no_duration": "Hors ordre / étape manquante", "median_days": "Médiane (jours, Kaplan–Meier)",
        "p75_days": "75e centile (jours)", "p90_days": "90e centile (jours)",
        "median_days_completed_only": "Médiane des seuls terminés (jours)",
        "trigger": "Code du motif", "label": "Motif de retard", "events": "Occurrences",
        "cases_affected": "Dossiers concernés", "share": "Part des dossiers",
        "median_days_to_next_milestone": "Médiane jusqu'à l'étape suivante (jours)",
        "median_days_affected": "Médiane dans la phase, avec", "median_days_unaffected": "Médiane dans la phase, sans",
        "extra_days": "Jours en plus (médiane)", "extra_days_ci_low": "Jours en plus, IC bas",
        "extra_days_ci_high": "Jours en plus, IC haut", "total_days_attributable": "Jours attribuables (total)",
        "prevention": "Comment l'éviter", "kind": "Problème", "detail": "Ce qui s'est passé",
        "first_event": "Premier événement", "first_at": "Date", "second_event": "Second événement",
        "second_at": "Date", "days_apart": "Jours d'écart", "row": "Ligne", "column": "Colonne",
        "check": "Contrôle", "value": "Valeur", "action": "Traitement", "count": "Nombre", "description": "Signification",
    },
}
_TEXT = {
    "en": {
        "title": "Carte Vitale caseload report", "as_of": "as of", "population": "{n:,} dossiers: {open:,} open, {complete:,} complete, {closed:,} closed",
        "quality": "Data quality", "phases": "Time per phase", "stalled": "Dossiers to follow up",
        "triggers": "Delay triggers", "order": "Steps out of order", "flow": "Flow over time",
        "rows": "{read:,} rows read = {kept:,} kept + {aside:,} set aside.",
        "phases_note": "Medians count the dossiers still open for the days they have waited so far (Kaplan–Meier); the median of finished dossiers only is shown beside it. “not yet”: too many dossiers are still open to know.",
        "stalled_note": "{n:,} open dossiers are past their phase's threshold (the caseload's 90th percentile), follow-up interval {f:g} days. The {top} longest overdue:",
        "triggers_note": "Ranked by days attributable. These are associations, not proof of cause: dossiers meeting a trigger may differ in other ways.",
        "order_note": "Doing steps out of order is the main cause of long delays.",
        "none": "None.", "not_yet": "not yet", "source": "Source", "made": "Computed by vitale-analysis {v} from {src}, {as_of}. Every figure depends only on the log and this date.",
        "workbook": "The Excel workbook beside this page holds the full tables.",
        "more_rows": "{n:,} more rows not shown (the first {shown:,} are above); the whole table is in Python: "
                     "log.quality.failures, or the function that made it.",
    },
    "fr": {
        "title": "Rapport sur les dossiers Carte Vitale", "as_of": "au", "population": "{n:,} dossiers : {open:,} en cours, {complete:,} terminés, {closed:,} clos",
        "quality": "Qualité des données", "phases": "Durée de chaque phase", "stalled": "Dossiers à relancer",
        "triggers": "Motifs de retard", "order": "Étapes dans le désordre", "flow": "Flux dans le temps",
        "rows": "{read:,} lignes lues = {kept:,} gardées + {aside:,} mises de côté.",
        "phases_note": "Les médianes comptent les dossiers encore en cours pour les jours déjà attendus (Kaplan–Meier) ; la médiane des seuls dossiers terminés est donnée à côté. « pas encore » : trop de dossiers sont encore en cours pour la connaître.",
        "stalled_note": "{n:,} dossiers en cours dépassent le seuil de leur phase (90e centile des dossiers), délai de relance {f:g} jours. Les {top} plus en retard :",
        "triggers_note": "Classés par jours attribuables. Ce sont des associations, pas des preuves de cause : les dossiers concernés peuvent différer par ailleurs.",
        "order_note": "Faire les étapes dans le désordre est la première cause des longs délais.",
        "none": "Aucun.", "not_yet": "pas encore", "source": "Source", "made": "Calculé par vitale-analysis {v} à partir de {src}, {as_of}. Chaque chiffre ne dépend que du journal et de cette date.",
        "workbook": "Le classeur Excel à côté de cette page contient les tableaux complets.",
        "more_rows": "{n:,} lignes de plus non affichées (les {shown:,} premières sont au-dessus) ; le tableau "
                     "complet est en Python : log.quality.failures, ou la fonction qui l'a produit.",
    },
}
_MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December"]
_MONTHS_FR = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
              "novembre", "décembre"]


@dataclass(frozen=True)
class ReportTables:
    """Everything the report shows, computed once, all of it as of one cut (``as_of``)."""

    log: CaseLog
    cases: CaseTable
    phases: pd.DataFrame
    triggers: pd.DataFrame  # with labels and prevention hints in ``lang``
    worklist: pd.DataFrame  # with the phase label and the next action in ``lang``
    thresholds: dict  # days per phase the worklist used
    order: pd.DataFrame
    flow: pd.DataFrame  # throughput per month
    waiting: pd.DataFrame  # waiting_on_summary (by channel when the log has it)
    as_of: AsOf
    lang: str
    followup_days: float
    extra: dict = field(default_factory=dict)


def report_tables(log: CaseLog, *, as_of=None, lang: str = "en", followup_days: float = 14,
                  progress=None) -> ReportTables:
    """Compute every table of the report (pure: the log and ``as_of`` decide everything).

    Every table is computed from the one case table, so all share its as-of cut.
    """
    step = progress.update if progress is not None else (lambda n=1: None)
    cases = case_table(log, as_of=as_of)
    step()
    phases = phase_summary(cases)
    triggers = with_trigger_labels(trigger_summary(cases), log.process, lang=lang)
    step()
    thresholds = phase_thresholds(cases)
    worklist = with_next_actions(stalled(cases, followup_days=followup_days), log.process, lang=lang)
    order = conformance(cases)
    flow = throughput(cases, freq="M")
    waiting = waiting_on_summary(cases, by="channel" if "channel" in cases else None)
    step()
    return ReportTables(log=log, cases=cases, phases=phases, triggers=triggers, worklist=worklist,
                        thresholds=thresholds, order=order, flow=flow, waiting=waiting, as_of=cases.as_of,
                        lang=lang, followup_days=followup_days)


def format_date(day, lang: str) -> str:
    """A day in words: ``30 June 2025`` / ``30 juin 2025`` (an AsOf: the last day it covers)."""
    if isinstance(day, AsOf):
        day = day.day()
    if lang == "fr":
        return f"{day.day} {_MONTHS_FR[day.month - 1]} {day.year}"
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


# --------------------------------------------------------------------------- display tables
_REASONS = {
    "en": {"mediator": "Médiateur seized", "complaint": "Complaint filed", "nia_only": "Only an NIA",
           "complement_pending": "Complement not sent", "no_movement": "No movement", "phase_action": "Past threshold"},
    "fr": {"mediator": "Médiateur saisi", "complaint": "Réclamation déposée", "nia_only": "NIA seulement",
           "complement_pending": "Complément non envoyé", "no_movement": "Sans nouvelles", "phase_action": "Seuil dépassé"},
}


def readable(frame: pd.DataFrame, lang: str, *, days_columns=(), share_columns=(), numbers: bool = False) -> pd.DataFrame:
    """Readable copy: masked ids, rounded days, 'not yet' for unreached medians, readable headers.

    With ``numbers`` (the workbook), days and shares stay numbers so that they
    sort and sum in Excel; otherwise they become text for the page.
    """
    out = frame.copy()
    not_yet = _TEXT[lang]["not_yet"]
    for column in out.columns:
        if column == "case_id":
            out[column] = mask_identifiers(out[column]).astype(object).map(
                lambda v: "" if pd.isna(v) else printable(str(v)))
        elif column in days_columns:
            values = out[column].astype(float)
            if numbers:
                out[column] = [None if np.isnan(v) else (not_yet if np.isinf(v) else round(v, 1)) for v in values]
            else:
                out[column] = values.map(lambda v: "" if np.isnan(v) else (not_yet if np.isinf(v) else f"{v:,.1f}"))
        elif column in share_columns:
            if numbers:
                out[column] = out[column].astype(float).round(4)
            else:
                out[column] = out[column].map(lambda v: "" if pd.isna(v) else f"{v:.1%}")
        elif column == "reason":
            out[column] = out[column].astype(str).map(_REASONS[lang])
        elif pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d %H:%M").fillna("")
        elif out[column].dtype == object or isinstance(out[column].dtype, (pd.StringDtype, pd.CategoricalDtype)):
            out[column] = out[column].astype(object).map(lambda v: "" if pd.isna(v) else printable(mask_text(str(v))))
    return out.rename(columns=HEADERS[lang])


DAYS_COLUMNS = ("median_days", "p75_days", "p90_days", "median_days_completed_only", "days_in_phase", "threshold_days",
         "days_over", "days_since_last_event", "median_days_to_next_milestone", "median_days_affected",
         "median_days_unaffected", "extra_days", "extra_days_ci_low", "extra_days_ci_high",
         "total_days_attributable", "days_apart")


def display_tables(tables: ReportTables, *, numbers: bool = False) -> dict[str, pd.DataFrame]:
    """The tables as an advisor reads them (text for the page; ``numbers`` for the workbook)."""
    lang = tables.lang
    labels = tables.log.process.phase_labels(lang)
    phases = tables.phases.assign(phase=tables.phases["phase"].astype(str).map(labels))
    worklist = tables.worklist.drop(columns=["phase", "document"]).rename(columns={"phase_label": "phase"})
    triggers = tables.triggers.drop(columns=["trigger"]).assign(
        phase=tables.triggers["phase"].astype(str).map(labels))
    quality = tables.log.quality
    failures = quality.failures
    kw = {"days_columns": DAYS_COLUMNS, "numbers": numbers}
    return {
        "worklist": readable(worklist, lang, **kw),
        "phases": readable(phases, lang, **kw),
        "triggers": readable(triggers, lang, share_columns=("share",), **kw),
        "order": readable(tables.order, lang, **kw),
        "quality_counts": readable(quality.counts(), lang, **kw),
        "quality_failures": readable(failures, lang, **kw),
    }


# --------------------------------------------------------------------------- HTML
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1180px;margin:2em auto;padding:0 1em;color:#1b1b1b;line-height:1.45}
h1{margin-bottom:.2em} h2{margin-top:2em;border-bottom:2px solid #0072B2;padding-bottom:.2em}
.sub{color:#444;font-size:1.05em} .note{color:#444;font-size:.95em}
table{border-collapse:collapse;font-size:.88em;margin:.6em 0} th,td{border:1px solid #ccc;padding:.3em .5em;vertical-align:top}
th{background:#eef4fa;text-align:left} td.num{text-align:right;white-space:nowrap}
img{max-width:100%;height:auto;display:block;margin:.8em 0;border:1px solid #ddd}
footer{margin-top:3em;color:#555;font-size:.85em}
"""


def _html_table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return ""
    html = frame.to_html(index=False, border=0, escape=True, na_rep="")
    return html


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}">'


def write_html(tables: ReportTables, path: str | Path, *, charts: dict[str, list[tuple[str, bytes]]] | None = None,
               top: int = 25, source: str = "") -> Path:
    """Write the self-contained HTML page (charts embedded as PNG)."""
    lang = tables.lang
    text = _TEXT[lang]
    charts = charts or {}
    shown = display_tables(tables)
    status = tables.cases["status"].value_counts()
    population = text["population"].format(n=len(tables.cases), open=int(status.get("open", 0)),
                                           complete=int(status.get("complete", 0)), closed=int(status.get("closed", 0)))
    as_of = format_date(tables.as_of, lang)
    q = tables.log.quality

    def section(key: str, body: str) -> str:
        images = "".join(_img(png, alt) for alt, png in charts.get(key, []))
        return f"<h2>{escape(text[key])}</h2>{images}{body}"

    order_counts = tables.order.groupby("kind", observed=True)["case_id"].nunique() if len(tables.order) else pd.Series(dtype=int)
    order_body = (
        "<ul>" + "".join(f"<li><b>{int(c):,}</b> — {escape(CONFORMANCE_KINDS[k])}</li>" for k, c in order_counts.items()) + "</ul>"
        if len(order_counts) else f"<p>{text['none']}</p>"
    )
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8"><title>{escape(text["title"])}</title>',
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{escape(text['title'])}</h1>",
        f'<p class="sub">{escape(population)} — {escape(text["as_of"])} {escape(as_of)}.</p>',
        section("quality", f"<p>{escape(text['rows'].format(read=q.rows_read, kept=q.rows_kept, aside=q.n_set_aside))}</p>"
                + _html_table(shown["quality_counts"])),
        section("phases", f'<p class="note">{escape(text["phases_note"])}</p>' + _html_table(shown["phases"])),
        section("stalled", f'<p class="note">{escape(text["stalled_note"].format(n=len(tables.worklist), f=tables.followup_days, top=min(top, len(tables.worklist))))}</p>'
                + _html_table(shown["worklist"].head(top))),
        section("triggers", f'<p class="note">{escape(text["triggers_note"])}</p>' + _html_table(shown["triggers"])),
        section("order", f'<p class="note">{escape(text["order_note"])}</p>' + order_body
                + _html_table(shown["order"].head(top))),
    ]
    if charts.get("flow"):
        parts.append(section("flow", ""))
    made = mask_text(text["made"].format(v=__version__, src=source or q.source, as_of=as_of))
    parts += [f"<footer><p>{escape(text['workbook'])}</p><p>{escape(made)}</p></footer>", "</body></html>"]
    path = Path(path)
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- Excel
_SHEETS = {
    "en": {"worklist": "Worklist", "phases": "Phase summary", "triggers": "Delay triggers",
           "order": "Out of order", "quality_failures": "Quality failures"},
    "fr": {"worklist": "À relancer", "phases": "Durées par phase", "triggers": "Motifs de retard",
           "order": "Hors ordre", "quality_failures": "Qualité des données"},
}


def _excel_value(value):
    """A cell value Excel shows as data, never runs: formulas-looking text stays text."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        value = float(value)
    if isinstance(value, float):
        return None if np.isnan(value) else value
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, str):
        return printable(value)
    return value


#: Rows a sheet of the workbook holds at most (Excel's own limit is 1,048,576): a longer table
#: is cut there, and its last row says how many rows are not shown.
SHEET_ROWS = 100_000


def add_sheet(book, title: str, frame: pd.DataFrame, *, percent_columns=(), max_rows: int = SHEET_ROWS,
              more: str = "{n:,} more rows not shown (the first {shown:,} are above).") -> None:
    """One readable sheet: bold shaded header, sized columns, frozen header row, a filter.

    Text that starts like a formula (``=``, ``+``, ``-``, ``@``) is stored as
    text: openpyxl would otherwise store it as a formula that Excel runs.
    Control characters, which a workbook cannot hold, are shown as ``\ufffd``.
    At most ``max_rows`` rows are written; then a last row says how many more
    there are (``more``, with ``{n}`` and ``{shown}``).
    """
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title)
    sheet.append(list(frame.columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    hidden = max(len(frame) - max_rows, 0)
    for record in frame.iloc[:max_rows].itertuples(index=False):
        sheet.append([_excel_value(v) for v in record])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.value[:1] in ("=", "+", "-", "@"):
                cell.data_type = "s"
    for i, column in enumerate(frame.columns, start=1):
        if column in percent_columns:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = "0.0%"
        longest = max([len(str(column))] + [len(str(v)) for v in frame.iloc[:200, i - 1]])
        sheet.column_dimensions[get_column_letter(i)].width = min(max(10, longest + 2), 60)
    sheet.freeze_panes = "A2"
    if len(frame):
        sheet.auto_filter.ref = sheet.dimensions
    if hidden:
        sheet.append([more.format(n=hidden, shown=max_rows)])
        sheet.cell(row=sheet.max_row, column=1).font = Font(italic=True)


def write_workbook(tables: ReportTables, path: str | Path) -> Path:
    """Write the Excel workbook: one sheet per table (see :func:`add_sheet`)."""
    from openpyxl import Workbook

    lang = tables.lang
    shown = display_tables(tables, numbers=True)
    book = Workbook()
    book.remove(book.active)
    for key, title in _SHEETS[lang].items():
        add_sheet(book, title, shown[key], percent_columns=(HEADERS[lang]["share"],), max_rows=SHEET_ROWS,
                  more=_TEXT[lang]["more_rows"])
    path = Path(path)
    book.save(path)
    return path


# --------------------------------------------------------------------------- all of it
def prepare_out_dir(out_dir: str | Path) -> Path:
    """``out_dir`` made if needed and checked writable, before any work is done for it."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise CaseLogError(f"--out {out_dir}: this is a file, not a folder. Give a folder for the report.")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=".write-check-"):
            pass
    except OSError as exc:
        raise CaseLogError(f"--out {out_dir}: the report cannot be written there ({exc.strerror or exc}). "
                           "Give a folder you can write to.") from None
    return out_dir


def write_report(tables: ReportTables, out_dir: str | Path, *, charts=None, source: str = "") -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.xlsx`` into ``out_dir`` (created if needed), both or neither.

    Both are written in a temporary folder inside ``out_dir`` first, then moved
    into place: a failure leaves the files of an earlier run as they were,
    never a new page beside an old workbook.
    """
    out_dir = prepare_out_dir(out_dir)
    suffix = "" if tables.lang == "en" else "_fr"
    names = (f"report{suffix}.html", f"report{suffix}.xlsx")
    work = Path(tempfile.mkdtemp(prefix=".report-", dir=out_dir))
    try:
        write_html(tables, work / names[0], charts=charts, source=source)
        write_workbook(tables, work / names[1])
        for name in names:
            os.replace(work / name, out_dir / name)
    except OSError as exc:
        raise CaseLogError(f"The report could not be written to {out_dir} ({exc.strerror or exc}); "
                           "no file was changed there.") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out_dir / names[0], out_dir / names[1]


def report_charts(tables: ReportTables) -> dict[str, list[tuple[str, bytes]]]:
    """The report's charts as PNG bytes, per section, drawn from the computed tables."""
    import matplotlib.pyplot as plt

    from . import chartdata, plots  # (matplotlib only when charts are drawn)

    cases, lang, process = tables.cases, tables.lang, tables.log.process
    charts: dict[str, list[tuple[str, bytes]]] = {}

    def add(section: str, alt: str, draw) -> None:
        ax = draw()
        charts.setdefault(section, []).append((alt, figure_png(ax.figure)))
        plt.close(ax.figure)

    add("phases", "time per phase",
        lambda: plots.plot_phase_durations(chartdata.phase_quartiles(cases), lang=lang, process=process))
    rights = "rights_opened"
    by = "channel" if "channel" in cases else None
    if rights in process.milestones:
        add("phases", "time to the attestation de droits",
            lambda: plots.plot_survival(chartdata.km_curves(
                chartdata.milestone_times(cases, rights, by=by), by=by), by=by, lang=lang, process=process))
    if "office" in cases:
        add("stalled", "stalled dossiers by office and phase",
            lambda: plots.plot_stalled_heatmap(chartdata.stalled_matrix(tables.worklist, cases=cases,
                                                                        thresholds=tables.thresholds),
                                               lang=lang, process=process))
    add("stalled", "open dossiers by phase and days",
        lambda: plots.plot_open_by_age(chartdata.open_by_age(cases), lang=lang, process=process))
    if len(tables.triggers):
        add("triggers", "delay triggers",
            lambda: plots.plot_trigger_pareto(chartdata.trigger_pareto(tables.triggers), lang=lang, process=process))
    add("flow", "dossiers started and finished per month",
        lambda: plots.plot_throughput(tables.flow, lang=lang, population=cases))
    add("flow", "work in progress", lambda: plots.plot_wip(tables.flow, lang=lang, process=process, population=cases))
    add("flow", "time waiting on each party",
        lambda: plots.plot_waiting_on(tables.waiting, by=by, lang=lang, population=cases))
    return charts


def figure_png(fig, *, dpi: int = 150) -> bytes:
    """PNG bytes of a matplotlib figure, for embedding (:func:`vitale_analysis.plots.figure_png`: drawn once)."""
    from .plots import figure_png as draw

    return draw(fig, dpi=dpi)


