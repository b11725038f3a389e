"""What every explorer shares: the log, the language, the kept case tables, the "As of" field, layout hooks."""

from __future__ import annotations

import re
from collections import OrderedDict
from datetime import date
from html import escape
from pathlib import PurePath

import ipywidgets as W
import numpy as np
import pandas as pd

from .. import i18n
from ..caselog import CaseLog
from ..cases import CaseTable, case_table
from ..display import FORECAST_CONFIDENCE, safe_text
from ..errors import CaseLogError
from ..forecast import forecast
from ..privacy import mask_identifiers
from ..process import check_lang
from ..timeutil import AsOf

#: The value of the "All …" option of a filter (``controls["office"].value = ALL``).
ALL = "__all__"

_CACHE_SIZE = 32
_CASE_TABLES_KEPT = 4  # as_of dates whose case table is kept (about 27 MB each per 100,000 dossiers)
_STYLE = {"description_width": "initial"}


# ============================================================================ helpers
def _paragraph(text: str, shown=(), **attributes) -> str:
    """``text`` as an HTML paragraph, masked (but the numbers in ``shown``) and escaped."""
    extra = "".join(f' {name.rstrip("_").replace("_", "-")}="{escape(value, quote=True)}"'
                    for name, value in attributes.items())
    return f"<p{extra}>{escape(safe_text(text, shown))}</p>"


def _month_number(month: str) -> int:
    year, number = str(month).split("-")
    return int(year) * 12 + int(number) - 1


def _mask_ids(values: pd.Series, shown=()) -> pd.Series:
    """Identifiers for the screen (any social-security-like number masked, but those in ``shown``: the
    log's ids declared not personal), on a fresh index."""
    return mask_identifiers(pd.Series(values, dtype=object).reset_index(drop=True), shown).astype(object)


def _dropdown_all(values, all_label: str, description: str, labels=None) -> W.Dropdown:
    """A filter: "All …" first, then each value under its label (``labels``: value → label shown)."""
    labels = labels or {}
    options = [(all_label, ALL)] + [(safe_text(labels.get(v, v)), v) for v in values]  # (label shown, value kept)
    return W.Dropdown(options=options, value=ALL, description=description, disabled=len(options) == 1,
                      style=_STYLE)


def _source_name(log: CaseLog, source=None) -> str:
    """The file a log came from, as a reader names it: its file name, any social security number masked."""
    text = str(source if source is not None else log.quality.source)
    return safe_text(PurePath(text).name or text)


def _log_days(log: CaseLog) -> tuple[date, date]:
    """The first and the last day of the log (the last as the default as-of takes it: the latest event)."""
    return AsOf(log.events["timestamp"].min(), True).day(), log.as_of(None).day()


def _cut_for(log: CaseLog, given: AsOf, day: date) -> AsOf:
    """The as-of cut of a day picked in a date field, by the one rule the report uses (``log.as_of``):
    a day means the end of that day; the day of the cut the view was opened with stands for that cut
    (the log's latest event, by default), so coming back to it shows the first numbers again."""
    return given if day == given.day() else log.as_of(day.isoformat())


def _local_times(frame: pd.DataFrame) -> pd.DataFrame:
    """Times stored in UTC shown in Paris time (naive), as advisors read them."""
    out = frame
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values) and values.dt.tz is not None:
            if out is frame:
                out = frame.copy()
            out[column] = values.dt.tz_convert("Europe/Paris").dt.tz_localize(None)
    return out


# ============================================================================ the date field
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")  # two digits each: "2025-03-3" is not yet a day
_FRENCH_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_day(text: str, lang: str) -> date | None:
    """A day typed in the "As of" field, or None when it is not one.

    French: ``31/03/2025`` (day/month/year; ``1/4/2025`` too), or ``2025-03-31``; English:
    ``2025-03-31`` (year-month-day: ``03/04/2025`` would read as 3 April in France and 4 March
    in the United States, so English takes no slashes). The year has four digits, a
    year-month-day has two-digit months and days, and the day must exist (no 31/02): no
    part of a day being typed is a day.
    """
    text = str(text).strip()
    match = _FRENCH_DAY.match(text) if lang == "fr" else None
    if match:
        day, month, year = match.groups()
    else:
        match = _ISO_DAY.match(text)
        if not match:
            return None
        year, month, day = match.groups()
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


class _DateField:
    """The "As of" field: a day typed as text, applied on Enter or on leaving the field.

    Nothing is applied while the day is being typed (``continuous_update=False``:
    the browser sends the text only on Enter or when the field loses focus) and
    the text is never rewritten under the user's fingers. A text that is not a
    day, or a day outside the log's range, is refused with a message saying why
    and what is still shown; it is never moved to the nearest day.
    """

    def __init__(self, lang: str, *, first_day: date, last_day: date, day: date, on_apply):
        self.lang, self.first_day, self.last_day, self.day = lang, first_day, last_day, day
        self._on_apply = on_apply
        self._quiet = False
        t = lambda key, **kw: i18n.t(key, lang, **kw)
        self.text = W.Text(value=i18n.short_day(day, lang), description=t("ui.as_of"),
                           placeholder=t("ui.date_placeholder"), tooltip=t("ui.date_hint"),
                           continuous_update=False, style=_STYLE, layout=W.Layout(width="16em"))
        self.message = W.HTML()
        self.message.add_class("vitale-date-message")
        self._hint = f'<span class="vitale-date-hint">{escape(t("ui.date_hint"))}</span>'
        self.message.value = self._hint
        self.box = W.HBox([self.text, self.message], layout=W.Layout(align_items="center"))
        self.text.observe(self._changed, names="value")

    def _t(self, key: str, **fields) -> str:
        return i18n.t(key, self.lang, **fields)

    def check(self, text: str) -> date | str:
        """The day ``text`` means, or the message that says why it is refused."""
        day = parse_day(text, self.lang)
        example = i18n.short_day(self.last_day, self.lang)
        if day is None:
            return self._t("ui.date_invalid", text=safe_text(str(text).strip()), example=example)
        if not self.first_day <= day <= self.last_day:
            return self._t("ui.date_out_of_range", day=i18n.short_day(day, self.lang),
                           first=i18n.day(self.first_day, self.lang), last=i18n.day(self.last_day, self.lang),
                           shown=i18n.day(self.day, self.lang))
        return day

    def _changed(self, change) -> None:
        if self._quiet:
            return
        day = self.check(change["new"])
        if isinstance(day, str):
            self.message.value = _paragraph(day, role="alert", class_="vitale-date-error")
            return
        self.message.value = self._hint
        if day != self.day:
            self.day = day
            self._on_apply(day)

    def show(self, day: date) -> None:
        """Show ``day`` (applied from Python), without applying it again."""
        self._quiet = True
        try:
            self.day = day
            self.text.value = i18n.short_day(day, self.lang)
            self.message.value = self._hint
        finally:
            self._quiet = False


# ============================================================================ case tables
class _TableView:
    """A case table and the arrays an explorer filters it with, made once and kept with it."""

    def __init__(self, table: CaseTable):
        self.table = table
        self._codes: dict[str, tuple[np.ndarray, dict]] = {}
        self._months: np.ndarray | None = None
        self._forecasts: dict[str, pd.DataFrame | None] = {}

    def forecast(self, target: str) -> pd.DataFrame | None:
        """``forecast(table, target=target)`` (estimates from the whole caseload's past dossiers), made once;
        None when the process has no such milestone or the table counts working days."""
        if target not in self._forecasts:
            usable = target in self.table.process.milestones[1:] and self.table.days == "calendar"
            self._forecasts[target] = forecast(self.table, target=target, confidence=FORECAST_CONFIDENCE) \
                if usable else None
        return self._forecasts[target]

    def codes(self, column: str) -> tuple[np.ndarray, dict]:
        """A column as integer codes and value → code (missing values: -1).

        Comparing codes is a few times faster than comparing the column's values on every change.
        """
        if column not in self._codes:
            codes, uniques = pd.factorize(self.table[column].astype(object))
            self._codes[column] = codes, {value: code for code, value in enumerate(uniques)}
        return self._codes[column]

    def month_numbers(self) -> np.ndarray:
        """Start month of each dossier as an integer (year × 12 + month − 1), as the ``start_month`` cohort
        defines it (the month of ``started_at``, in Paris time for UTC times), read straight from the times."""
        if self._months is None:
            started = self.table["started_at"]
            if started.dt.tz is not None:
                started = started.dt.tz_convert("Europe/Paris").dt.tz_localize(None)
            months = started.to_numpy(dtype="datetime64[ns]").astype("datetime64[M]").astype(np.int64)
            self._months = months + 1970 * 12  # months since January 1970 → year × 12 + month − 1
        return self._months


class _CaseTables:
    """The case tables of the last few as-of cuts, one :class:`_TableView` each; the dashboard's
    explorers share one, so that a new date computes one case table, not four."""

    def __init__(self, log: CaseLog):
        self.log = log
        self.kept: OrderedDict = OrderedDict()  # AsOf → _TableView

    def view(self, as_of) -> _TableView:
        cut = self.log.as_of(as_of)
        if cut not in self.kept:
            self.kept[cut] = _TableView(case_table(self.log, as_of=cut))
            if len(self.kept) > _CASE_TABLES_KEPT:  # a table per day picked would grow without end
                self.kept.popitem(last=False)
        self.kept.move_to_end(cut)
        return self.kept[cut]


# ============================================================================ the explorer
class _Explorer:
    """What every explorer shares: the log, the language, cached case tables, display hooks."""

    kind = "explorer"
    figure = None  # the chart's last matplotlib Figure, where a chart is drawn

    def __init__(self, log: CaseLog, *, lang: str = "en", tables: _CaseTables | None = None):
        if not isinstance(log, CaseLog):
            raise CaseLogError(
                f"{type(self).__name__} needs the CaseLog from load(path) or validate(raw), "
                f"got {type(log).__name__}."
            )
        self.log = log
        self.lang = check_lang(lang)
        self.process = log.process
        self.labels = log.labels  # the user's own words from their mapping: they win over the catalogue's
        self.unmasked = log.unmasked  # the ids the mapping declared not personal: shown in full
        self.controls: dict[str, W.Widget] = {}
        self.result: pd.DataFrame | None = None
        self.shown: pd.DataFrame | None = None
        self.widget: W.Box | None = None
        self._tables = tables if tables is not None else _CaseTables(log)

    # ------------------------------------------------------------------ data
    @property
    def _case_tables(self) -> OrderedDict:
        """AsOf → _TableView: the case tables kept (shared with the other tabs of a dashboard)."""
        return self._tables.kept

    def _view(self, as_of) -> _TableView:
        """The case table for ``as_of`` (a date, an AsOf or None), computed once and kept with
        what the explorer derives from it (only filtering happens on a change)."""
        return self._tables.view(as_of)

    def _case_table(self, as_of) -> CaseTable:
        return self._view(as_of).table

    @property
    def as_of(self) -> AsOf:
        """The cut the explorer shows."""
        return self.cases.as_of

    def set_as_of(self, as_of) -> None:
        """Show the explorer as of another cut (a date, a date and time, an AsOf; None: the latest event),
        read by ``log.as_of``: a bare date is the end of that day. The case table of a new cut is made
        once (``_load``), then the explorer re-renders (``_update``)."""
        cut = self.log.as_of(as_of)
        if cut != self.cases.as_of:
            self._load(cut)
        self._update()

    # ------------------------------------------------------------------ words
    def _t(self, key: str, **fields) -> str:
        return i18n.t(f"ui.{key}", self.lang, **fields)

    def _headers(self) -> dict[str, str]:
        """The explorers' own column headers (``ui.col.*``), over the report's."""
        return {key[len("ui.col."):]: i18n.t(key, self.lang) for key in i18n.CATALOGUE if key.startswith("ui.col.")}

    def _phase_label(self, key) -> str:
        return self.process.phase(str(key)).label_in(self.lang)

    def _trigger_label(self, key) -> str:
        own = (self.labels.get("trigger") or {}).get(key)
        if own:
            return safe_text(own)
        model = self.process.triggers.get(str(key))
        return model.label_in(self.lang) if model else safe_text(str(key).replace("_", " "))

    def _refill(self, picker: W.Dropdown, options: list) -> None:
        """New ``(label, value)`` options for a picker: its value kept when still offered, else the first
        (disabled when there is none), without running the explorer's callbacks (``_quiet``) meanwhile."""
        chosen = picker.value
        self._quiet = True
        try:
            picker.options = options
            values = [value for _label, value in options]
            picker.value = chosen if chosen in values else (values[0] if values else None)
            picker.disabled = not options
        finally:
            self._quiet = False

    # ------------------------------------------------------------------ layout
    def _control(self, key: str, control: W.Widget) -> W.Widget:
        control.add_class(f"vitale-control-{key.replace('_', '-')}")
        self.controls[key] = control
        return control

    def _root(self, children) -> W.VBox:
        box = W.VBox(children)
        box.add_class("vitale-explorer")
        box.add_class(f"vitale-{self.kind}")
        return box

    @staticmethod
    def _html(css: str) -> W.HTML:
        html = W.HTML()
        html.add_class(css)
        return html

    # ------------------------------------------------------------------ display
    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def _observe(self, callback, *keys):
        for key in keys:
            self.controls[key].observe(callback, names="value")
