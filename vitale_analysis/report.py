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
import re
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from ._version import __version__
from .caselog import CaseLog
from .cases import CaseTable, case_table
from .conformance import conformance
from .errors import CaseLogError
from .flow import throughput, waiting_on_summary
from .labels import with_next_actions, with_trigger_labels
from . import i18n
from .display import DAYS_COLUMNS, FORECAST_CONFIDENCE, readable, with_expected_dates, with_interval_text
from .forecast import forecast, forecast_completions
from .masking import printable
from .privacy import mask_text
from .processmap import END, OPEN, START, REWORK_EVENTS, ProcessMap, process_map, rework, rework_summary, variants
from .stalls import phase_thresholds, stalled
from .summaries import phase_summary, trigger_summary
from .timeutil import AsOf

__all__ = ["ReportTables", "add_sheet", "report_charts", "report_tables", "write_html", "write_workbook",
           "write_report", "prepare_out_dir", "readable", "format_date", "HEADERS", "DAYS_COLUMNS", "SHEET_ROWS",
           "PMAP_MIN_SHARE", "VARIANTS_SHOWN", "VARIANTS_KEPT"]

#: Readable column headers, per language (the catalogue's, :data:`vitale_analysis.i18n.HEADERS`).
HEADERS = i18n.HEADERS
#: The page's process map keeps the moves made by at least this share of the dossiers (legible on A4;
#: the workbook's sheet holds every move).
PMAP_MIN_SHARE = 0.02
#: Paths (milestones level) on the page and in the workbook.
VARIANTS_SHOWN, VARIANTS_KEPT = 10, 20


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
    #: ``forecast(cases)`` (rights opening) and ``forecast_completions(cases)`` (per week): estimates from
    #: past dossiers; None for a process without a ``rights_opened`` milestone.
    forecast: pd.DataFrame | None = None
    completions: pd.DataFrame | None = None
    #: ``process_map(cases, min_share=PMAP_MIN_SHARE)`` (the page's chart) and ``process_map(cases)`` (every
    #: move, the workbook); ``variants(cases, level="milestones", top=VARIANTS_KEPT)``; ``rework(cases)`` per
    #: dossier and ``rework_summary(cases, by="channel")`` (the whole caseload without a channel column).
    pmap: ProcessMap | None = None
    pmap_all: ProcessMap | None = None
    variants: pd.DataFrame | None = None
    rework: pd.DataFrame | None = None
    rework_summary: pd.DataFrame | None = None


def report_tables(log: CaseLog, *, as_of=None, lang: str = "en", followup_days: float = 14,
                  progress=None) -> ReportTables:
    """Compute every table of the report (pure: the log and ``as_of`` decide everything).

    Every table is computed from the one case table, so all share its as-of cut.
    """
    step = progress.update if progress is not None else (lambda n=1: None)
    cases = case_table(log, as_of=as_of)
    step()
    phases = phase_summary(cases)
    own = log.labels.get("trigger")  # (the user's own words for the triggers, from their mapping)
    triggers = with_trigger_labels(trigger_summary(cases), log.process, lang=lang, labels=own)
    step()
    thresholds = phase_thresholds(cases)
    worklist = with_next_actions(stalled(cases, followup_days=followup_days), log.process, lang=lang, labels=own)
    order = conformance(cases)
    flow = throughput(cases, freq="M")
    waiting = waiting_on_summary(cases, by="channel" if "channel" in cases else None)
    ahead = weeks = None
    if _RIGHTS in log.process.milestones and cases.days == "calendar":
        ahead = forecast(cases, target=_RIGHTS, confidence=FORECAST_CONFIDENCE)
        weeks = forecast_completions(cases, target=_RIGHTS, confidence=FORECAST_CONFIDENCE)
    pmap_all = process_map(cases)
    pmap = _on_kept_moves(process_map(cases, min_share=PMAP_MIN_SHARE))
    paths = variants(cases, level="milestones", top=VARIANTS_KEPT)
    cohorts = [c for c in ("office", "channel") if c in cases]
    per_dossier = rework(cases, by=cohorts or None)
    loops = rework_summary(cases, by="channel" if "channel" in cases else None)
    step()
    return ReportTables(log=log, cases=cases, phases=phases, triggers=triggers, worklist=worklist,
                        thresholds=thresholds, order=order, flow=flow, waiting=waiting, as_of=cases.as_of,
                        lang=lang, followup_days=followup_days, forecast=ahead, completions=weeks,
                        pmap=pmap, pmap_all=pmap_all, variants=paths, rework=per_dossier, rework_summary=loops)


_RIGHTS = "rights_opened"  # the milestone the report forecasts (the attestation de droits)


def _forecast_sheet(tables: ReportTables) -> pd.DataFrame:
    """The per-dossier forecast as the workbook shows it: soonest first, the office beside the dossier."""
    ahead = tables.forecast
    keep = ["case_id", "current_phase", "days_in_phase", "expected_date", "low_date", "high_date", "basis",
            "basis_dossiers", "beyond_history"]
    out = ahead[keep].copy()
    if "office" in tables.cases:
        frame = tables.cases.to_frame()
        office = frame.set_index(frame["case_id"].astype(object))["office"]
        out.insert(1, "office", office.reindex(out["case_id"].astype(object)).to_numpy())
    out = out.sort_values(["expected_date", "case_id"], na_position="last", kind="mergesort")
    return out.reset_index(drop=True)


def _completions_page(tables: ReportTables) -> pd.DataFrame:
    """The weeks of :func:`forecast_completions` as the page shows them: the week, the expected count, its band."""
    lang, weeks = tables.lang, tables.completions
    rows = []
    for start, end, expected, low, high in zip(weeks["period_start"], weeks["period_end"], weeks["expected"],
                                               weeks["low"], weeks["high"]):
        week = (i18n.t("report.forecast_later", lang) if pd.isna(start)
                else i18n.t("report.week", lang, start=i18n.short_day(start, lang), end=i18n.short_day(end, lang)))
        band = i18n.t("report.interval", lang, low=i18n.number(low, lang), high=i18n.number(high, lang))
        rows.append({"week": week, "expected": i18n.number(expected, lang), "band": band})
    return pd.DataFrame(rows, columns=["week", "expected", "band"]).rename(columns=i18n.headers(lang))


def _on_kept_moves(pmap: ProcessMap) -> ProcessMap:
    """``pmap`` with only the steps that a kept move (edge) starts or ends at: a box without an arrow
    (a step made by fewer dossiers than ``min_share``) takes a row of the page and says nothing of the flow."""
    used = set(pmap.edges["source"]) | set(pmap.edges["target"])
    nodes = pmap.nodes[pmap.nodes["event"].isin(used)].reset_index(drop=True)
    return replace(pmap, nodes=nodes)


def _step_label(event: str, lang: str, labels) -> str:
    """A step's name for a reader: the synthetic start / end / still open in words, else the event's label."""
    synthetic = {START: "chart.pmap_start", END: "chart.pmap_end", OPEN: "chart.pmap_open"}
    return i18n.t(synthetic[event], lang) if event in synthetic else i18n.event_label(event, lang, labels=labels)


def _path_text(path, lang: str, labels) -> str:
    """A path as its steps' labels joined by arrows (no step yet: said so)."""
    if not len(path):
        return i18n.t("report.variants_no_step", lang)
    return " → ".join(_step_label(e, lang, labels) for e in path)


def _pmap_sheet(tables: ReportTables) -> pd.DataFrame:
    """Every move of the process map, most dossiers first, with the steps' names in the report's language."""
    edges, own = tables.pmap_all.edges, tables.log.labels.get("event")
    out = pd.DataFrame({
        "from_step": [_step_label(e, tables.lang, own) for e in edges["source"]],
        "to_step": [_step_label(e, tables.lang, own) for e in edges["target"]],
    })
    for column in ("dossiers", "transitions", "share_of_dossiers", "median_days", "p90_days"):
        out[column] = edges[column].to_numpy()
    return out


def _variants_frame(tables: ReportTables, *, page: bool) -> pd.DataFrame:
    """The paths: on the page the first :data:`VARIANTS_SHOWN` (rank, path, dossiers, share, median total days),
    in the workbook all kept, with the milestones counted, the complete dossiers and example dossiers (masked)."""
    paths, own = tables.variants, tables.log.labels.get("event")
    if page:
        paths = paths.head(VARIANTS_SHOWN)
    out = paths.drop(columns=["path", "example_cases"])
    out.insert(out.columns.get_loc("rank") + 1, "path", [_path_text(p, tables.lang, own) for p in paths["path"]])
    if page:
        return out[["rank", "path", "dossiers", "share", "median_total_days"]]
    out["example_cases"] = [", ".join(str(c) for c in cases) for cases in paths["example_cases"]]
    return out


def _rework_sheet(tables: ReportTables) -> pd.DataFrame:
    """The dossiers with rework (a complement round, a resubmission or a card re-order), most days in loops first."""
    per = tables.rework
    done = (per[["complement_rounds", "resubmissions", "card_reorders"]] > 0).any(axis=1)
    out = per[done].sort_values(["days_in_loops", "case_id"], ascending=[False, True], kind="mergesort")
    columns = ["case_id"] + [c for c in out.columns if c != "case_id"]
    return out[columns].reset_index(drop=True)


def _shows_rework(process) -> bool:
    """Whether the process model knows any rework (its vocabulary has the events, or it has a submission)."""
    return bool(set(REWORK_EVENTS) & set(process.vocabulary)) or bool(process.submission_phase)


def format_date(day, lang: str) -> str:
    """A day in words: ``30 June 2025`` / ``30 juin 2025``, ``1er juillet 2025`` (an AsOf: the last day it covers)."""
    return i18n.day(day, lang)


def display_tables(tables: ReportTables, *, numbers: bool = False) -> dict[str, pd.DataFrame]:
    """The tables as an advisor reads them (text for the page; ``numbers`` for the workbook): words in the
    report's language, the user's own labels from their mapping where they exist (see :func:`display.readable`)."""
    lang, process = tables.lang, tables.log.process
    worklist = tables.worklist.drop(columns=["phase", "document"]).rename(columns={"phase_label": "phase"})
    # (the expected rights opening beside the days over: an estimate from past dossiers, as text)
    # (a page: one column, the range in brackets, so that the worklist still fits a landscape A4 page;
    # the workbook: the day and the range in two columns)
    worklist = with_expected_dates(worklist, tables.forecast, lang, name="expected_rights", after="days_over",
                                   compact=not numbers)
    # (the trigger table holds the label in ``lang`` beside the key: the key is for Python, not for readers)
    triggers = tables.triggers.drop(columns=["trigger"])
    quality = tables.log.quality
    kw = {"numbers": numbers, "labels": tables.log.labels, "shown": tables.log.unmasked}
    out = {
        "worklist": readable(worklist, lang, **kw),
        "phases": readable(tables.phases if numbers else with_interval_text(tables.phases, lang), lang,
                           process=process, **kw),
        "triggers": readable(triggers, lang, process=process, **kw),
        "order": readable(tables.order, lang, process=process, **kw),
        "quality_counts": readable(quality.counts(), lang, **kw),
        "quality_failures": readable(quality.failures, lang, **kw),
    }
    if tables.forecast is not None:
        out["forecast"] = readable(_forecast_sheet(tables), lang, process=process, **kw)
    if tables.variants is not None:
        shares = ("share", "share_of_dossiers", "share_with_rework")
        out["variants"] = readable(_variants_frame(tables, page=not numbers), lang, share_columns=shares, **kw)
        out["rework_summary"] = readable(tables.rework_summary.drop(columns=["rounds_per_dossier"]), lang,
                                         share_columns=shares, **kw)
        if numbers:
            out["pmap"] = readable(_pmap_sheet(tables), lang, share_columns=shares, process=process,
                                   headers={"median_days": i18n.t("col.pmap_median_days", lang),
                                            "p90_days": i18n.t("col.pmap_p90_days", lang)}, **kw)
            out["rework"] = readable(_rework_sheet(tables), lang, process=process, **kw)
    return out


# --------------------------------------------------------------------------- HTML
# Screen first; the phone rules (≤ 600 px) and the print rules follow. Every table sits in a
# ``.table-wrap`` that scrolls sideways on a narrow screen, so the page itself never does. On A4
# paper headings, captions and table headers stay with what follows them, no row or figure is
# split across pages, table headers repeat on each page, and the wide tables (the worklist, the
# delay triggers, the steps out of order) go on landscape pages (a named page): their 9 to 13
# columns do not fit portrait's 186 mm without breaking words, and there a long "Next action"
# takes 3 to 7 lines. A browser without named pages prints them in portrait, in smaller type with
# headers free to break inside words (:data:`_PORTRAIT_WIDE_CSS`), so that they still fit the page.
_PORTRAIT_WIDE_CSS = ".wide table{font-size:7pt} .wide th,.wide td{padding:.15em .25em} .wide th{overflow-wrap:anywhere}"
_CSS = """
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1180px;margin:2em auto;padding:0 1em;color:#1b1b1b;line-height:1.45;overflow-wrap:break-word}
h1{margin-bottom:.2em} h2{margin-top:2em;border-bottom:2px solid #0072B2;padding-bottom:.2em}
.sub{color:#444;font-size:1.05em} .note{color:#444;font-size:.95em} .footnote{color:#444;font-size:.9em}
.table-wrap{max-width:100%;overflow-x:auto;margin:.6em 0}
table{border-collapse:collapse;font-size:.88em} th,td{border:1px solid #ccc;padding:.3em .5em;vertical-align:top;text-align:left}
caption{caption-side:top;text-align:left;font-weight:600;padding:.2em 0 .4em}
th{background:#eef4fa} .num{text-align:right;white-space:nowrap} td.long{min-width:16em}
figure{margin:.8em 0} img{max-width:100%;height:auto;display:block;border:1px solid #ddd}
footer{margin-top:3em;color:#555;font-size:.85em}
@media (max-width:600px){
 body{margin:1em auto;padding:0 .75em} h1{font-size:1.5em} h2{font-size:1.25em;margin-top:1.5em}
 table{font-size:.82em} td.long{min-width:18em}
 caption{position:sticky;left:0;max-width:calc(100vw - 1.5em)}
}
@page{size:A4;margin:10mm 12mm 12mm}
@page wide{size:A4 landscape;margin:11mm 12mm 12mm}
@media print{
 html,body{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 body{max-width:none;margin:0;padding:0;font-size:10pt;line-height:1.3}
 h1{font-size:17pt;margin:0 0 .2em} h2{font-size:13pt;margin:1.1em 0 .4em}
 h1,h2,h3,caption,.note{break-after:avoid;page-break-after:avoid}
 .keep,tr,img,figure,li,footer{break-inside:avoid;page-break-inside:avoid}
 thead{display:table-header-group;break-after:avoid} tbody tr:first-child{break-before:avoid}
 .table-wrap{overflow:visible;max-width:none;margin:.3em 0}
 table{width:100%;font-size:8pt;line-height:1.25}
 th,td{padding:.2em .35em;overflow-wrap:break-word;word-break:normal}
 td.long{min-width:0;width:34%} .num{white-space:normal}
 .wide{page:wide}
 figure{margin:.4em 0} img{max-height:230mm;width:auto;max-width:min(100%,160mm);margin:0 auto}
 footer{margin-top:1.5em}
}
""" + "@supports not (page:wide){@media print{" + _PORTRAIT_WIDE_CSS + "}}\n"

_NUMBER = re.compile(r"[−+-]?\d[\d.,\u202f\u00a0 ]*(?:\s?%)?")


def _column_kinds(frame: pd.DataFrame, words: tuple[str, ...]) -> list[str]:
    """A CSS class per column: ``num`` (every filled cell a number, or one of ``words``), ``long``
    (free text, some cell longer than 60 characters), else none."""
    kinds = []
    for i in range(frame.shape[1]):
        values = [str(v) for v in frame.iloc[:, i] if not pd.isna(v) and str(v).strip()]
        if values and all(_NUMBER.fullmatch(v) or v in words for v in values):
            kinds.append("num")
        elif any(len(v) > 60 for v in values):
            kinds.append("long")
        else:
            kinds.append("")
    return kinds


def _html_table(frame: pd.DataFrame, caption: str = "", *, words: tuple[str, ...] = ()) -> str:
    """The table in a sideways-scrolling wrapper, with its ``caption``; cells escaped (already masked).

    Numeric columns (see :func:`_column_kinds`; ``words`` such as "not yet" count as numbers) are
    right-aligned; long-text columns get room to wrap.
    """
    if frame.empty:
        return ""
    kinds = _column_kinds(frame, words)

    def cls(kind: str) -> str:
        return f' class="{kind}"' if kind else ""

    head = "".join(f'<th scope="col"{cls(k)}>{escape(str(c))}</th>' for c, k in zip(frame.columns, kinds))
    rows = "".join(
        "<tr>" + "".join(f"<td{cls(k)}>{'' if pd.isna(v) else escape(str(v))}</td>" for v, k in zip(row, kinds))
        + "</tr>"
        for row in frame.itertuples(index=False, name=None))
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f'<div class="table-wrap"><table>{cap}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>'


def _img(png: bytes, alt: str) -> str:
    """An embedded PNG; ``alt`` says what the chart shows (a reader who cannot see it gets this)."""
    if not alt.strip():
        raise ValueError("_img: alt is empty; say what the chart shows")
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}">'


def write_html(tables: ReportTables, path: str | Path, *, charts: dict[str, list[tuple[str, bytes]]] | None = None,
               top: int = 25, source: str = "") -> Path:
    """Write the self-contained HTML page (charts embedded as PNG), for a screen, a phone and A4 paper."""
    lang = tables.lang

    def text(key: str, **fields) -> str:
        return i18n.t(f"report.{key}", lang, **fields)

    charts = charts or {}
    shown = display_tables(tables)
    status = tables.cases["status"].value_counts()
    population = text("population", n=len(tables.cases), open=int(status.get("open", 0)),
                      complete=int(status.get("complete", 0)), closed=int(status.get("closed", 0)))
    as_of = format_date(tables.as_of, lang)
    q = tables.log.quality
    words = (text("not_yet"),)
    title = i18n.title("report.title", tables.log.process, lang)
    share = i18n.percent(100 * FORECAST_CONFIDENCE, lang)

    def table(key: str, caption: str, limit: int | None = None) -> str:
        frame = shown[key]
        if limit is not None and len(frame) > limit:
            caption += text("shown_of", shown=limit, n=len(frame))
            frame = frame.head(limit)
        return _html_table(frame, caption, words=words)

    def section(key: str, intro: str, body: str = "", *, wide: bool = False) -> str:
        # The heading is kept on one page with what comes first under it: a chart, else the intro.
        # ``wide``: the intro and the table go on landscape pages (the charts stay on portrait ones).
        figures = [f"<figure>{_img(png, alt if alt.strip() else text(key))}</figure>"
                   for alt, png in charts.get(key, [])]
        heading = f"<h2>{escape(text(key))}</h2>"
        if figures:
            lead, rest = f'<div class="keep">{heading}{figures[0]}</div>' + "".join(figures[1:]), intro + body
        else:
            lead, rest = "", f'<div class="keep">{heading}{intro}</div>{body}'
        if wide and rest:
            rest = f'<div class="wide">{rest}</div>'
        return f'<section id="{key}">{lead}{rest}</section>'

    order_counts = tables.order.groupby("kind", observed=True)["case_id"].nunique() if len(tables.order) else pd.Series(dtype=int)
    order_body = (
        "<ul>" + "".join(f"<li><b>{i18n.number(int(c), lang)}</b> — {escape(i18n.t(f'kind.{k}', lang))}</li>"
                         for k, c in order_counts.items()) + "</ul>"
        if len(order_counts) else f"<p>{text('none')}</p>"
    )
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{escape(lang)}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)} — {escape(text('as_of'))} {escape(as_of)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<header><h1>{escape(title)}</h1>",
        f'<p class="sub">{escape(population)} — {escape(text("as_of"))} {escape(as_of)}.</p></header><main>',
        section("quality", f"<p>{escape(text('rows', read=q.rows_read, kept=q.rows_kept, aside=q.n_set_aside))}</p>",
                table("quality_counts", text("caption_quality"))),
        section("phases", f'<p class="note">{escape(text("phases_note"))}</p>', table("phases", text("caption_phases"))),
        section("stalled", f'<p class="note">{escape(text("stalled_note", n=len(tables.worklist), f=tables.followup_days, top=min(top, len(tables.worklist))))}</p>',
                # (what the expected dates are, under the table: above it, it pushed a row off the first page;
                # a footnote, not a .note, which print keeps with what follows it)
                table("worklist", text("caption_worklist"), top)
                + (f'<p class="footnote">{escape(text("forecast_worklist_note_page", share=share))}</p>'
                   if tables.forecast is not None and len(tables.worklist) else ""), wide=True),
        *([_forecast_section(tables, section, text)] if tables.forecast is not None else []),
        section("triggers", f'<p class="note">{escape(text("triggers_note"))}</p>',
                table("triggers", text("caption_triggers")), wide=True),
        section("order", f'<p class="note">{escape(text("order_note"))}</p>' + order_body,
                table("order", text("caption_order"), top), wide=True),
        *([_pmap_section(tables, section, text, shown)] if tables.variants is not None else []),
    ]
    if charts.get("flow"):
        parts.append(section("flow", ""))
    made = mask_text(text("made", v=__version__, src=source or q.source, as_of=as_of))
    parts += [f"</main><footer><p>{escape(text('workbook'))}</p><p>{escape(made)}</p></footer>", "</body></html>"]
    path = Path(path)
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def _forecast_section(tables: ReportTables, section, text) -> str:
    """"When will open dossiers get their rights?": the chart, what the estimate is and its band means,
    the counts (after the weeks shown, beyond past dossiers), the weeks in a table."""
    lang, weeks, ahead = tables.lang, tables.completions, tables.forecast
    share = i18n.percent(100 * float(weeks.attrs.get("confidence", FORECAST_CONFIDENCE)), lang)
    later = float(weeks["expected"].iloc[-1]) if len(weeks) else 0.0
    counts = text("forecast_counts", n=len(ahead), later=int(round(later)), beyond=int(ahead["beyond_history"].sum()))
    intro = f'<p class="note">{escape(text("forecast_note", share=share))}</p><p>{escape(counts)}</p>'
    return section("forecast", intro, _html_table(_completions_page(tables), text("caption_forecast")))


def _pmap_section(tables: ReportTables, section, text, shown: dict) -> str:
    """"Where the loops are": the map (the moves of at least :data:`PMAP_MIN_SHARE` of the dossiers), how to
    read it, the most common paths through the milestones and, where the process has any, the rework."""
    lang = tables.lang
    words = (text("not_yet"),)
    intro = (f'<p class="note">{escape(text("pmap_note", share=i18n.share(PMAP_MIN_SHARE, lang, 0), sheet=i18n.t("sheet.pmap", lang)))}</p>')
    body = (f'<p class="note">{escape(text("variants_note"))}</p>'
            + _html_table(shown["variants"], text("caption_variants"), words=words))
    if _shows_rework(tables.log.process):
        by = tables.rework_summary.attrs.get("by") or ()
        caption = (text("caption_rework_by", column=i18n.column_label(by[0], lang)) if by
                   else text("caption_rework_all"))
        body += (f'<p class="note">{escape(text("rework_note", sheet=i18n.t("sheet.rework", lang)))}</p>'
                 + _html_table(shown["rework_summary"], caption, words=words))
    return section("pmap", intro, body)


# --------------------------------------------------------------------------- Excel
#: The workbook's sheets, in order: table key → catalogue key of the sheet name.
_SHEETS = ("worklist", "phases", "triggers", "order", "quality_failures")


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
              lang: str = "en") -> None:
    """One readable sheet: bold shaded header, sized columns, frozen header row, a filter.

    Text that starts like a formula (``=``, ``+``, ``-``, ``@``) is stored as
    text: openpyxl would otherwise store it as a formula that Excel runs.
    Control characters, which a workbook cannot hold, are shown as ``\ufffd``.
    At most ``max_rows`` rows are written; then a last row says how many more
    there are, in ``lang``.
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
        sheet.append([i18n.t("report.more_rows", lang, n=hidden, shown=max_rows)])
        sheet.cell(row=sheet.max_row, column=1).font = Font(italic=True)


def write_workbook(tables: ReportTables, path: str | Path) -> Path:
    """Write the Excel workbook: one sheet per table (see :func:`add_sheet`)."""
    from openpyxl import Workbook

    lang = tables.lang
    shown = display_tables(tables, numbers=True)
    book = Workbook()
    book.remove(book.active)
    later = tuple(key for key in ("forecast", "pmap", "variants", "rework") if key in shown)
    percent = tuple(HEADERS[lang][c] for c in ("share", "share_of_dossiers", "share_with_rework"))
    for key in _SHEETS + later:
        add_sheet(book, i18n.t(f"sheet.{key}", lang), shown[key], percent_columns=percent,
                  max_rows=SHEET_ROWS, lang=lang)
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

    add("phases", i18n.t("alt.phases", lang),
        lambda: plots.plot_phase_durations(chartdata.phase_quartiles(cases), lang=lang, process=process))
    rights = "rights_opened"
    by = "channel" if "channel" in cases else None
    if rights in process.milestones:
        add("phases", i18n.t("alt.time_to_rights", lang),
            lambda: plots.plot_survival(chartdata.km_curves(
                chartdata.milestone_times(cases, rights, by=by), by=by), by=by, lang=lang, process=process))
    if "office" in cases:
        add("stalled", i18n.t("alt.stalled", lang),
            lambda: plots.plot_stalled_heatmap(chartdata.stalled_matrix(tables.worklist, cases=cases,
                                                                        thresholds=tables.thresholds),
                                               lang=lang, process=process))
    add("stalled", i18n.t("alt.open_by_age", lang),
        lambda: plots.plot_open_by_age(chartdata.open_by_age(cases), lang=lang, process=process))
    if len(tables.triggers):
        add("triggers", i18n.t("alt.triggers", lang),
            lambda: plots.plot_trigger_pareto(chartdata.trigger_pareto(tables.triggers), lang=lang, process=process))
    if tables.completions is not None:
        add("forecast", i18n.t("alt.forecast", lang),
            lambda: plots.plot_forecast_completions(tables.completions, lang=lang))
    if tables.pmap is not None:
        add("pmap", i18n.t("alt.pmap", lang),
            lambda: plots.plot_process_map(tables.pmap, lang=lang, process=process,
                                           labels=tables.log.labels.get("event")))
    add("flow", i18n.t("alt.throughput", lang),
        lambda: plots.plot_throughput(tables.flow, lang=lang, population=cases))
    add("flow", i18n.t("alt.wip", lang), lambda: plots.plot_wip(tables.flow, lang=lang, process=process, population=cases))
    add("flow", i18n.t("alt.waiting_on", lang),
        lambda: plots.plot_waiting_on(tables.waiting, by=by, lang=lang, population=cases))
    return charts


def figure_png(fig, *, dpi: int = 150) -> bytes:
    """PNG bytes of a matplotlib figure, for embedding (:func:`vitale_analysis.plots.figure_png`: drawn once)."""
    from .plots import figure_png as draw

    return draw(fig, dpi=dpi)


