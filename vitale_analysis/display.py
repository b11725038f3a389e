"""Tables as an advisor reads them: one way for the report, the workbook and the explorers.

:func:`readable` turns a table the package computed (keys and codes: ``phase``,
``reason``, ``check``, ``kind``, ``waiting_on``, event names, booleans, days,
shares, times) into words in English or French, with the user's own labels
from their mapping where they exist, identifiers that look like a social
security number masked, and readable headers. :func:`html_table` writes such a
table as HTML, escaped.

>>> import pandas as pd
>>> from vitale_analysis.display import readable
>>> table = pd.DataFrame({"case_id": ["D1"], "reason": ["no_movement"], "median_days": [float("inf")],
...                       "waiting_on": ["office"], "share": [0.125]})
>>> readable(table, "fr", share_columns=("share",)).iloc[0].tolist()
['D1', 'Sans nouvelles', 'pas encore', 'caisse (CPAM, CGSS)', '12,5\u202f%']
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from html import escape

import numpy as np
import pandas as pd

from . import i18n
from .masking import printable
from .privacy import mask_identifiers, mask_text
from .process import CARTE_VITALE, ProcessModel, check_lang
from .validate import unknown_labels

__all__ = ["DAYS_COLUMNS", "EVENT_COLUMNS", "LogSummary", "describe", "readable", "html_table", "safe_text",
           "order_detail", "failure_value", "with_interval_text", "interval_text", "DAY_COLUMNS",
           "FORECAST_CONFIDENCE", "forecast_day", "forecast_range", "with_expected_dates"]

#: Columns that hold days (numbers with one decimal; ``inf``: "not yet").
DAYS_COLUMNS = ("median_days", "median_days_ci_low", "median_days_ci_high", "p75_days", "p90_days", "median_days_completed_only", "days_in_phase", "threshold_days",
                "days_over", "days_since_last_event", "median_days_to_next_milestone", "median_days_affected",
                "median_days_unaffected", "extra_days", "extra_days_ci_low", "extra_days_ci_high",
                "total_days_attributable", "days_apart", "days_to_next_milestone", "median_total_days",
                "days_in_loops")
#: Columns that hold a forecast's day (:func:`~vitale_analysis.forecast`): shown as a day, never to the minute
#: (the estimate is not that precise); empty (NaT) reads "beyond past dossiers".
DAY_COLUMNS = ("expected_date", "low_date", "high_date")
#: The share of past dossiers the forecasts' intervals hold wherever advisors see them (the headers say "8 in 10").
#: Those forecasts learn from the whole caseload (no ``by``): a stalled dossier has waited longer than most,
#: and one office's history rarely holds enough dossiers that waited as long to say how much longer it takes.
FORECAST_CONFIDENCE = 0.8
#: Columns that hold an event name (shown with its label).
EVENT_COLUMNS = ("event", "last_event", "first_event", "second_event")
# Columns whose values are codes with a label in the catalogue (``value.<column>.<code>``), and the
# catalogue prefix of each.
_CODED = {"reason": "reason.", "waiting_on": "value.waiting_on.", "status": "value.status.",
          "action": "value.action.", "check": "check_name.", "kind": "kind_name.", "number_status": "value.number_status."}
_INTEGER_COLUMNS = ("n", "n_finished", "n_open", "n_closed", "n_no_duration", "events", "cases_affected", "count",
                    "dossiers", "transitions", "rank", "n_steps", "n_complete", "dossiers_with_rework",
                    "complement_rounds", "resubmissions", "card_reorders")


def safe_text(value, shown: Collection[str] = ()) -> str:
    """Text for a reader: social-security-like numbers masked (but those in ``shown``: the ids a
    mapping declared not personal, :attr:`CaseLog.unmasked`), control characters shown as \ufffd."""
    return printable(mask_text(str(value), shown))


def readable(frame: pd.DataFrame, lang: str, *, process: ProcessModel | None = None,
             labels: Mapping[str, Mapping] | None = None, days_columns=DAYS_COLUMNS, share_columns=("share",),
             numbers: bool = False, headers: Mapping[str, str] | None = None,
             shown: Collection[str] = ()) -> pd.DataFrame:
    """A copy of ``frame`` in words, with readable headers.

    * ``case_id``: masked where it looks like a social security number;
    * days: one decimal in the language's notation; ``inf`` (a median not reached) reads "not yet";
    * shares: per cent; times: to the minute (``03/01/2025 13:14`` in French);
    * ``phase``: the process model's label; events and triggers: the user's own label (``labels``:
      column → code → label, from the mapping), else the catalogue's;
    * codes (``reason``, ``waiting_on``, ``status``, ``action``, ``check``, ``kind``): their label;
      ``description`` of a check and ``detail`` of a step out of order: in the language;
    * booleans: yes / no; other text: masked.

    With ``numbers`` (the workbook), days, shares and counts stay numbers so that they sort and sum in Excel.
    ``headers`` (column → header) overrides the catalogue's headers. ``process`` defaults to the
    Carte Vitale model unless ``frame.attrs["process"]`` names another (then phases keep their keys);
    ``labels`` to ``frame.attrs["labels"]`` (the summaries put the mapping's labels there).
    ``shown``: numbers left unmasked (the log's :attr:`~vitale_analysis.CaseLog.unmasked`: ids the
    mapping declared not personal).
    """
    check_lang(lang)
    if process is None and frame.attrs.get("process") in (None, CARTE_VITALE.name):
        process = CARTE_VITALE  # (the summaries name their model in attrs; an unnamed table: the default one)
    labels = labels if labels is not None else frame.attrs.get("labels") or {}
    out = frame.copy()
    not_yet = i18n.t("report.not_yet", lang)
    for column in out.columns:
        values = out[column]
        if column == "case_id":
            out[column] = mask_identifiers(values, shown).astype(object).map(lambda v: "" if pd.isna(v) else printable(str(v)))
        elif column in days_columns:
            floats = values.astype(float)
            if numbers:
                out[column] = [None if np.isnan(v) else (not_yet if np.isinf(v) else round(v, 1)) for v in floats]
            else:
                out[column] = floats.map(lambda v: "" if np.isnan(v) else (not_yet if np.isinf(v)
                                                                           else i18n.number(v, lang, 1)))
        elif column in share_columns:
            floats = values.astype(float)
            out[column] = floats.round(4) if numbers else floats.map(lambda v: i18n.share(v, lang))
        elif column in _INTEGER_COLUMNS and not numbers and pd.api.types.is_numeric_dtype(values):
            out[column] = values.map(lambda v: "" if pd.isna(v) else i18n.number(int(v), lang))
        elif column in ("phase", "current_phase") and process is not None:
            known = set(process.phase_keys)
            out[column] = values.astype(object).map(
                lambda v: "" if pd.isna(v) else process.phase(v).label_in(lang) if v in known else safe_text(v, shown))
        elif column in DAY_COLUMNS and pd.api.types.is_datetime64_any_dtype(values):
            beyond = i18n.t("forecast.beyond", lang)
            days = _paris_days(values)
            out[column] = [beyond if pd.isna(d) else (d.date() if numbers else i18n.short_day(d, lang))
                           for d in days]
        elif column in EVENT_COLUMNS:
            own = labels.get("event")
            out[column] = values.astype(object).map(
                lambda v: "" if pd.isna(v) else safe_text(i18n.event_label(v, lang, labels=own), shown))
        elif column == "trigger":
            own = labels.get("trigger") or {}
            out[column] = values.astype(object).map(lambda v: "" if pd.isna(v) else safe_text(
                own.get(v) or (process.triggers[v].label_in(lang) if process is not None and v in process.triggers
                               else v)))
        elif column in _CODED:
            prefix = _CODED[column]
            out[column] = values.astype(object).map(
                lambda v: "" if pd.isna(v) else i18n.t(prefix + str(v), lang) if i18n.has(prefix + str(v))
                else safe_text(v, shown))
        elif column == "description" and "check" in frame.columns:
            out[column] = [i18n.t(f"check.{c}", lang) if i18n.has(f"check.{c}") else safe_text(d, shown)
                           for c, d in zip(frame["check"].astype(object), values.astype(object))]
        elif column == "value" and "check" in frame.columns:
            out[column] = [failure_value(c, v, lang, labels.get("event"), shown)
                           for c, v in zip(frame["check"].astype(object), values.astype(object))]
        elif column == "column" and "check" in frame.columns:
            out[column] = values.astype(object).map(lambda v: _column_header(v, lang))
        elif column == "detail" and "kind" in frame.columns:
            out[column] = order_detail(frame, lang, labels=labels.get("event"))
        elif pd.api.types.is_bool_dtype(values):
            out[column] = values.map(lambda v: "" if pd.isna(v) else i18n.t(f"value.bool.{str(bool(v)).lower()}", lang))
        elif pd.api.types.is_datetime64_any_dtype(values):
            out[column] = i18n.date_time(values, lang).to_numpy()
        elif values.dtype == object or isinstance(values.dtype, (pd.StringDtype, pd.CategoricalDtype)):
            out[column] = values.astype(object).map(
                lambda v: "" if v is None or (not isinstance(v, str) and pd.isna(v))
                else i18n.value_label(column, v, lang, labels) if not isinstance(v, str) or column in labels
                or i18n.has(f"value.{column}.{v}") else safe_text(v, shown))
    names = {**i18n.headers(lang), **(headers or {})}
    return out.rename(columns=names)


def interval_text(low: float, high: float, lang: str) -> str:
    """An interval in days as a reader sees it: ``38.0–47.0``, ``38.0 or more`` (upper end ``inf``), "" if unknown."""
    if np.isnan(low) or np.isinf(low):
        return ""
    if np.isinf(high):
        return i18n.t("report.interval_open", lang, low=i18n.number(low, lang, 1))
    return i18n.t("report.interval", lang, low=i18n.number(low, lang, 1), high=i18n.number(high, lang, 1))


def with_interval_text(frame: pd.DataFrame, lang: str, *, column: str = "median_days") -> pd.DataFrame:
    """``frame`` with ``{column}_ci_low`` / ``_ci_high`` as one text column ``{column}_ci`` beside ``column``
    (``38.0–47.0``), for a page; a frame without them is returned as it is."""
    low, high = f"{column}_ci_low", f"{column}_ci_high"
    if low not in frame.columns or high not in frame.columns:
        return frame
    text = [interval_text(a, b, lang) for a, b in zip(frame[low].to_numpy(dtype=float), frame[high].to_numpy(dtype=float))]
    out = frame.drop(columns=[low, high])
    out.insert(list(out.columns).index(column) + 1 if column in out.columns else len(out.columns), f"{column}_ci",
               pd.Series(text, index=frame.index, dtype=object))
    out.attrs = dict(frame.attrs)
    return out


def _paris_days(values) -> pd.Series:
    """Times as days in Paris (times stored in UTC are converted first; naive times are taken as they are)."""
    values = pd.Series(values)
    if values.dt.tz is not None:
        values = values.dt.tz_convert("Europe/Paris").dt.tz_localize(None)
    return values.dt.normalize()


def forecast_day(when, lang: str, *, words: bool = False) -> str:
    """A forecast's day in Paris: ``2025-07-27`` / ``27/07/2025`` (``words``: ``27 July 2025`` /
    ``27 juillet 2025``); missing (beyond past dossiers): the catalogue's "beyond past dossiers"."""
    if when is None or pd.isna(when):
        return i18n.t("forecast.beyond", lang)
    day = _paris_days([pd.Timestamp(when)]).iloc[0]
    return i18n.day(day, lang) if words else i18n.short_day(day, lang)


def forecast_range(low, high, lang: str, *, words: bool = False) -> str:
    """A forecast's interval in days: ``2025-07-04 to 2025-12-06`` / ``du 04/07/2025 au 06/12/2025``;
    an open end (beyond past dossiers) says so; nothing known: "beyond past dossiers"."""
    if low is None or pd.isna(low):
        return i18n.t("forecast.beyond", lang)
    first = forecast_day(low, lang, words=words)
    if high is None or pd.isna(high):
        return i18n.t("forecast.range_open", lang, low=first)
    return i18n.t("forecast.range", lang, low=first, high=forecast_day(high, lang, words=words))


def _short_range(low, high, lang: str) -> str:
    """A forecast's interval for a narrow cell: ``du 04/07/2025 au 06/12/2025``, ``04/07/2025 or later``
    (in words between the days: two dates joined by a dash read as one long number, which is masked)."""
    if low is None or pd.isna(low):
        return ""
    first = forecast_day(low, lang)
    if high is None or pd.isna(high):
        return i18n.t("forecast.range_short_open", lang, low=first)
    return i18n.t("forecast.range", lang, low=first, high=forecast_day(high, lang))


def with_expected_dates(frame: pd.DataFrame, ahead: pd.DataFrame | None, lang: str, *,
                        name: str = "expected_rights", after: str | None = "days_over",
                        compact: bool = False) -> pd.DataFrame:
    """``frame`` (a table with ``case_id``) with two text columns from the forecast ``ahead`` of the same
    dossiers (:func:`~vitale_analysis.forecast`): ``name`` (the expected day) and ``{name}_range`` (its
    interval), placed after the column ``after`` (at the end when ``frame`` has no such column).
    ``compact`` (a printed page, where width is short): one column ``name``, the interval in brackets
    (``27/07/2025 (du 04/07/2025 au 06/12/2025)``). Dossiers ``ahead`` does not hold (already there, closed)
    get empty cells. ``ahead`` None (a process without that milestone): ``frame`` as it is.

    >>> import pandas as pd
    >>> ahead = pd.DataFrame({"case_id": ["D2"], "expected_date": [pd.Timestamp("2025-07-27 13:27")],
    ...                       "low_date": [pd.Timestamp("2025-07-04")], "high_date": [pd.NaT]})
    >>> with_expected_dates(pd.DataFrame({"case_id": ["D1", "D2"]}), ahead, "fr").iloc[1].tolist()
    ['D2', '27/07/2025', 'le 04/07/2025 ou plus tard (au-delà des dossiers passés)']
    """
    if ahead is None:
        return frame
    out = frame.copy()
    expected, interval = [""] * len(frame), [""] * len(frame)
    if ahead is not None and len(ahead) and len(frame):
        rows = ahead.set_index(ahead["case_id"].astype(object))[["expected_date", "low_date", "high_date"]]
        mine = rows.reindex(frame["case_id"].astype(object).to_numpy())
        found = mine.index.isin(rows.index)
        expected = [forecast_day(e, lang) if f else "" for e, f in zip(mine["expected_date"], found)]
        interval = [(_short_range(lo, hi, lang) if compact else forecast_range(lo, hi, lang)) if f else ""
                    for lo, hi, f in zip(mine["low_date"], mine["high_date"], found)]
    added = [name] if compact else [name, f"{name}_range"]
    if compact:
        expected = [f"{e} ({r})" if r else e for e, r in zip(expected, interval)]  # (no range: beyond history)
    out[name] = pd.Series(expected, index=frame.index, dtype=object)
    if not compact:
        out[f"{name}_range"] = pd.Series(interval, index=frame.index, dtype=object)
    columns = list(frame.columns)
    at = columns.index(after) + 1 if after in columns else len(columns)
    out = out[columns[:at] + added + columns[at:]]
    out.attrs = dict(frame.attrs)
    return out


_TIE = re.compile(r"^(\w+) and (\w+) at (.+)$")
_BEFORE = re.compile(r"^(\w+) before (\w+)$")


def failure_value(check, value, lang: str, labels: Mapping | None = None, shown: Collection[str] = ()) -> str:
    """The ``value`` of a quality failure as a reader sees it: event names with their labels, and the
    checks' own sentences (``"a and b at …"``, ``"a before b"``) in ``lang``; masked."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = str(value)
    label = lambda name: i18n.event_label(name, lang, labels=labels)  # noqa: E731
    if check == "same_time_tie" and (m := _TIE.match(text)):
        at = pd.Timestamp(m.group(3)) if _is_time(m.group(3)) else None
        when = i18n.date_time(pd.Series([at]), lang).iloc[0] if at is not None else m.group(3)
        return safe_text(i18n.t("failure.tie", lang, a=label(m.group(1)), b=label(m.group(2)), at=when), shown)
    if check == "order_violation" and (m := _BEFORE.match(text)):
        return safe_text(i18n.t("failure.before", lang, a=label(m.group(1)), b=label(m.group(2))), shown)
    if check in ("duplicate_row", "after_as_of", "same_time_tie") and i18n.has(f"event.{text}"):
        return safe_text(label(text), shown)
    return safe_text(text, shown)


def _is_time(text: str) -> bool:
    try:
        pd.Timestamp(text)
    except (ValueError, TypeError):
        return False
    return True


def _column_header(column, lang: str) -> str:
    """A column named in a quality failure, as a reader knows it ("timestamp" → "Date")."""
    if column is None or (not isinstance(column, str) and pd.isna(column)):
        return ""
    if column == "(whole row)":
        return i18n.t("failure.whole_row", lang)
    key = f"failure.column.{column}"
    return i18n.t(key, lang) if i18n.has(key) else safe_text(i18n.column_label(column, lang))


def order_detail(frame: pd.DataFrame, lang: str, *, labels: Mapping | None = None) -> list[str]:
    """The sentence of each row of a :func:`~vitale_analysis.conformance` table, in ``lang``, from its
    structured columns (``kind``, ``first_event``, ``first_at``, ``second_event``, ``second_at``)."""
    out = []
    for kind, first, first_at, second, second_at in zip(
            frame["kind"].astype(object), frame["first_event"].astype(object), frame["first_at"],
            frame["second_event"].astype(object), frame["second_at"]):
        def name(event):
            return "" if event is None or (not isinstance(event, str) and pd.isna(event)) \
                else i18n.event_label(event, lang, labels=labels)

        def when(at):
            return "" if pd.isna(at) else i18n.short_day(at, lang)

        if kind == "dossier_before_registration" and (second is None or pd.isna(second_at)):
            out.append(i18n.t("order.dossier_before_registration_none", lang, first=name(first), first_at=when(first_at)))
            continue
        key = f"order.{kind}"
        if not i18n.has(key):
            out.append("")
            continue
        second_when = f" ({when(second_at)})" if not pd.isna(second_at) else ""
        out.append(i18n.t(key, lang, first=name(first), first_at=when(first_at), second=name(second),
                          second_at=when(second_at), second_when=second_when))
    return out


_TABLE_CSS = (
    "<style>.vitale-data{border-collapse:collapse;font-size:12px;margin:4px 0}"
    ".vitale-data th,.vitale-data td{border:1px solid #ccc;padding:2px 6px;vertical-align:top;text-align:left}"
    ".vitale-data th{background:#eef4fa}.vitale-data caption{text-align:left;font-weight:600;padding:2px 0}</style>"
)


def html_table(frame: pd.DataFrame, *, caption: str | None = None, css: bool = True,
               classes: str = "vitale-data", shown: Collection[str] = ()) -> str:
    """A readable table as HTML: every text cell masked (but ``shown``) and escaped; ``caption`` says what it shows."""
    if frame.empty:
        return ""
    safe = frame.map(lambda v: safe_text(v, shown) if isinstance(v, str) else v)
    html = safe.to_html(index=False, border=0, escape=True, na_rep="", classes=classes)
    if caption:
        html = html.replace(">\n  <thead>", f">\n  <caption>{escape(safe_text(caption))}</caption>\n  <thead>", 1)
    return (_TABLE_CSS if css else "") + html


# ============================================================================ a log in a few lines
@dataclass(frozen=True)
class LogSummary:
    """What a case log holds and what reading it found, in one language: a notebook shows it as a short
    paragraph and the table of checks; ``str()`` gives the same as plain text (the command line's)."""

    log: object
    lang: str = "en"

    def lines(self) -> list[str]:
        q, lang = self.log.quality, self.lang
        first = i18n.short_day(q.first_event, lang) if q.first_event is not None and not pd.isna(q.first_event) else "—"
        last = i18n.short_day(q.last_event, lang) if q.last_event is not None and not pd.isna(q.last_event) else "—"
        return [i18n.t("summary.head", lang, source=safe_text(q.source)),
                i18n.t("report.rows", lang, read=q.rows_read, kept=q.rows_kept, aside=q.n_set_aside),
                i18n.t("summary.span", lang, n=i18n.count(q.n_cases, "dossier", lang),
                       events=i18n.count(len(self.log.events), "event", lang), first=first, last=last)]

    def checks(self) -> pd.DataFrame:
        """The quality report's counts, in words (empty when nothing was set aside or flagged)."""
        return readable(self.log.quality.counts(), self.lang)

    def unknown(self, shown: int = 10) -> list[str]:
        """A sentence per step or delay-trigger label the process model does not know (the most rows first,
        at most ``shown``), with the closest known names and the fix, in the summary's language."""
        log, lang = self.log, self.lang
        found = unknown_labels(log.quality.failures, log.process, getattr(log, "labels", None) or {}, limit=shown)
        out = []
        for rec in found.head(shown).itertuples(index=False):
            if rec.column == "event":
                close = [i18n.event_label(c, lang, log.process) for c in rec.closest]
            else:
                close = [log.process.triggers[c].label_in(lang) for c in rec.closest]
            closest = ", ".join(f"« {c} »" if lang == "fr" else f'"{c}"' for c in close)
            near = i18n.t("summary.unknown.near", lang, closest=closest) if close else i18n.t("summary.unknown.none", lang)
            out.append(i18n.t(f"summary.unknown.{rec.column}", lang, label=safe_text(rec.label), rows=rec.rows,
                              near=near))
        if len(found) > shown:
            out.append(i18n.t("summary.unknown.more", lang, n=len(found) - shown))
        return out

    def __str__(self) -> str:
        lines = self.lines()
        checks = self.log.quality.counts()
        out = [lines[0], *("  " + line for line in lines[1:])]
        for rec in checks.itertuples(index=False):
            out.append(f"  {i18n.t(f'check_name.{rec.check}', self.lang):<32}{i18n.number(int(rec.count), self.lang):>8}  "
                       f"{i18n.t(f'value.action.{rec.action}', self.lang)}")
        out += ["  " + line for line in self.unknown()]
        return "\n".join(out)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        lines = self.lines()
        head = f"<p><b>{escape(lines[0])}</b><br>{escape(lines[1])}<br>{escape(lines[2])}</p>"
        checks = self.checks()
        if checks.empty:
            return head + f"<p>{escape(i18n.t('summary.clean', self.lang))}</p>"
        unknown = "".join(f"<li>{escape(line)}</li>" for line in self.unknown())
        return head + html_table(checks, caption=i18n.t("summary.checks", self.lang)) + (
            f"<ul>{unknown}</ul>" if unknown else "")


def describe(log, *, lang: str = "en") -> LogSummary:
    """A case log in a few lines, in ``lang``: the file, rows read = kept + set aside, dossiers, events and
    their dates, and what validation set aside or flagged (the table of checks)."""
    check_lang(lang)
    return LogSummary(log, lang)
