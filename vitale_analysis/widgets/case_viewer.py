"""One dossier: its timeline and its events, its number masked: :class:`CaseViewer`."""

from __future__ import annotations

import re

import ipywidgets as W
import numpy as np
import pandas as pd

from .. import chartdata, i18n, plots
from ..caselog import CaseLog
from ..display import FORECAST_CONFIDENCE, forecast_day, html_table, readable, safe_text
from ..errors import CaseLogError
from ..privacy import mask_text
from ..timeutil import AsOf
from ._base import _STYLE, _CaseTables, _Explorer, _local_times, _mask_ids, _paragraph
from ._render import _chart_title, _new_figure, _png, _show_png

__all__ = ["CaseViewer", "FORECAST_TARGETS"]

_SPACES = re.compile(r"\s+")

#: The milestones whose expected date the viewer shows for an open dossier that has not reached them.
FORECAST_TARGETS = ("rights_opened", "card_received")


def _key(text: str) -> str:
    """A dossier number as typed or listed, compared without case or spaces."""
    return _SPACES.sub("", str(text)).upper()


def _number_part(case_id: str) -> int | None:
    """The number in an id made of letters then digits (``D000425`` → 425), else None."""
    match = re.fullmatch(r"[A-Za-z]*[-_ ]?0*(\d+)", str(case_id).strip())
    return int(match.group(1)) if match else None


class CaseViewer(_Explorer):
    """One dossier: its timeline chart and its events, its number masked.

    Parameters
    ----------
    log : CaseLog
    as_of : date-like, optional
        Default: the log's latest event.
    lang : {"en", "fr"}
    case_id : str, optional
        The dossier to open with (default: the first).

    Attributes
    ----------
    controls : dict
        ``dossier``: a Combobox of the dossiers' masked numbers (a number
        that looks like a social security number shows as
        ``2 95 •• •• ••• ••• 51``; two dossiers whose masks coincide are told
        apart with `` (2)``, `` (3)`` …). The real ids stay in Python. What is
        typed is looked up on Enter or when the field is left: in any case and
        with spaces around (``d000425``), or as the bare number when exactly one
        dossier's number is that number (``425`` → ``D000425``); a number that
        matches no dossier gets a message, and the dossier shown before is no
        longer shown.
    timeline : DossierTimeline or None
        ``chartdata.dossier_timeline(cases, case_id)`` of the dossier shown.
    result : DataFrame or None
        The dossier's events up to ``as_of`` as the table shows them, before
        the headers are translated: ``case_id`` masked, ``timestamp``,
        ``event``, ``trigger``, ``note`` (any social security number in it
        masked) and the log's event attributes.
    shown : DataFrame or None
        ``result`` as the table shows it (events and triggers in words).
    figure : Figure or None
        ``plots.plot_dossier_timeline(timeline)``.
    forecasts : dict
        For an open dossier: milestone (of :data:`FORECAST_TARGETS`, those it
        has not reached) → its row of ``forecast(cases, target=…)`` (expected
        date and interval, estimates from the whole caseload's past dossiers);
        empty for a complete or closed dossier.
    forecast_lines : list of str
        Those forecasts in a sentence each, as shown under the dossier's line
        ("Expected rights opening: 27 July 2025 (80% of similar past
        dossiers got there between … and …; an estimate from … past
        dossiers, …, not a promise)").

    Notes
    -----
    A Combobox sends every label to the browser: with tens of thousands of
    dossiers the list is a few megabytes; typing narrows it.

    Examples
    --------
    >>> from vitale_analysis import load
    >>> from vitale_analysis.widgets import CaseViewer
    >>> viewer = CaseViewer(load("data/sample_caselog.csv"), case_id="D000025")
    >>> viewer.controls["dossier"].value = "26"  # (a bare number, as an advisor may type it)
    >>> viewer.timeline.case_id
    'D000026'
    """

    kind = "case-viewer"

    def __init__(self, log: CaseLog, *, as_of=None, lang: str = "en", case_id: str | None = None,
                 _tables: _CaseTables | None = None):
        super().__init__(log, lang=lang, tables=_tables)
        self.timeline = self.figure = None
        # (ensure_option off: a number typed in another case or without its letters is looked up here)
        picker = W.Combobox(options=[], value="", ensure_option=False, continuous_update=False,
                            placeholder=self._t("dossier_placeholder"), description=self._t("dossier"),
                            style=_STYLE, layout=W.Layout(width="420px"))
        self._control("dossier", picker)
        self.forecasts, self.forecast_lines = {}, []
        self._status = self._html("vitale-status")
        self._forecast = self._html("vitale-forecast")
        self._chart = self._html("vitale-chart")
        self._table = self._html("vitale-table")
        self.widget = self._root([picker, self._status, self._forecast, self._chart, self._table])
        self._load(log.as_of(as_of))
        start = 0
        if case_id is not None:
            where = np.flatnonzero(self._ids == case_id)
            if not len(where):
                raise CaseLogError(f"case_id: no dossier {mask_text(str(case_id))!r} in this log "
                                   f"(as of {self.cases.as_of}); pick one in the list instead.")
            start = int(where[0])
        picker.value = self._labels[start] if len(self._labels) else ""
        self._observe(self._update, "dossier")
        self._update()

    def _load(self, cut: AsOf) -> None:
        """The dossiers of ``cut``'s case table: their masked labels (the picker's options) and lookups."""
        self.cases = self._case_table(cut)
        ids = self.cases["case_id"].astype(object).to_numpy()
        masked = _mask_ids(pd.Series(ids, dtype=object), self.unmasked).astype(str).to_numpy()
        labels, seen = [], {}
        for label in masked:
            seen[label] = seen.get(label, 0) + 1
            labels.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
        self._ids, self._labels = ids, labels
        self._rows = {label: i for i, label in enumerate(labels)}  # masked label → row of the case table
        by_key: dict[str, int] = {}
        for i, label in enumerate(labels):
            by_key.setdefault(_key(label), i)
        for i, case_id in enumerate(ids):  # the real number typed in full (never sent to the page)
            by_key.setdefault(_key(case_id), i)
        self._by_key = by_key
        by_number: dict[int, list[int]] = {}
        for i, case_id in enumerate(ids):
            number = _number_part(case_id)
            if number is not None:
                by_number.setdefault(number, []).append(i)
        self._by_number = by_number
        self.controls["dossier"].options = labels

    def find(self, text: str) -> int | list[int] | None:
        """The row of the case table of the dossier ``text`` names: exactly as listed, in any case and
        spacing, or by its bare number when one dossier alone has that number; a list of rows when
        several have it; None when none."""
        if text in self._rows:
            return self._rows[text]
        row = self._by_key.get(_key(text))
        if row is not None:
            return row
        digits = _SPACES.sub("", str(text))
        if digits.isdigit():
            rows = self._by_number.get(int(digits), [])
            return rows[0] if len(rows) == 1 else (rows or None)
        return None

    def _clear(self, message: str) -> None:
        """Say ``message`` and show no dossier (never the one shown before, as if it were the one asked for)."""
        self.timeline = self.figure = self.result = self.shown = None
        self.forecasts, self.forecast_lines = {}, []
        self._forecast.value = ""
        self._status.value = _paragraph(message, role="alert")
        self._chart.value = ""
        self._table.value = ""

    def _update(self, _change=None) -> None:
        typed = self.controls["dossier"].value
        if not typed.strip():
            self._clear(self._t("pick"))
            return
        row = self.find(typed)
        if row is None or isinstance(row, list):
            number = safe_text(typed.strip())
            self._clear(self._t("no_dossier", number=number) if row is None
                        else self._t("several_dossiers", n=len(row), number=number))
            return
        label = self._labels[row]
        one = np.zeros(len(self.cases), dtype=bool)
        one[row] = True
        self.timeline = chartdata.dossier_timeline(self.cases.filter(one))
        timeline = self.timeline
        events = self.log.events
        as_of = self.cases.as_of
        mine = events[(events["case_id"] == timeline.case_id).to_numpy(dtype=bool)]
        mine = mine[as_of.keeps(mine["timestamp"])]
        columns = ["case_id", "timestamp", "event", "trigger"] + [c for c in ("note",) if c in mine.columns] \
            + [c for c in self.log.event_attributes if c != "note"]
        result = mine[columns].reset_index(drop=True)
        result["case_id"] = _mask_ids(result["case_id"], self.unmasked).to_numpy()
        for column in columns[4:]:
            result[column] = result[column].astype(object).map(
                lambda v: None if pd.isna(v) else mask_text(str(v), self.unmasked))
        self.result = result
        self.shown = readable(_local_times(result), self.lang, process=self.process, labels=self.labels,
                              headers=self._headers(), shown=self.unmasked)

        n_rows = len(timeline.phases) + timeline.events.loc[~timeline.events["milestone"], "event"].nunique() \
            + timeline.events["trigger"].dropna().nunique()
        fig, ax = _new_figure(9.5, max(3.2, 0.36 * n_rows + 2.2))
        plots.plot_dossier_timeline(timeline, lang=self.lang, ax=ax)
        self.figure = fig
        status = self._t(f"status.{timeline.status}") if i18n.has(f"ui.status.{timeline.status}") \
            else safe_text(timeline.status)
        self._status.value = _paragraph(self._t("dossier_head", label=label, status=status, n=len(result),
                                                day=i18n.day(as_of, self.lang)), self.unmasked)
        self._show_forecasts(timeline.case_id)
        _show_png(self._chart, _png(fig), mask_text(_chart_title(ax)))
        self._table.value = html_table(self.shown, shown=self.unmasked)

    def _show_forecasts(self, case_id: str) -> None:
        """The expected dates of the milestones the dossier has not reached, from past dossiers (open dossiers only)."""
        self.forecasts, self.forecast_lines = {}, []
        view = self._view(self.as_of)
        for target in FORECAST_TARGETS:
            ahead = view.forecast(target)
            if ahead is None:
                continue
            mine = ahead[(ahead["case_id"] == case_id).to_numpy(dtype=bool)]
            if len(mine):
                self.forecasts[target] = mine.iloc[0]
                self.forecast_lines.append(self._forecast_line(target, mine.iloc[0]))
        self._forecast.value = "".join(_paragraph(line, self.unmasked) for line in self.forecast_lines)

    def _forecast_line(self, target: str, row: pd.Series) -> str:
        """One forecast in words: the expected day, the interval and its share, the history it came from."""
        lang = self.lang
        key = f"forecast.what.{target}"
        what = i18n.t(key, lang) if i18n.has(key) else i18n.t("forecast.what.other", lang,
                                                               milestone=i18n.event_label(target, lang))
        if row["basis_by"]:
            column = ", ".join(i18n.column_label(c.strip(), lang) for c in str(row["basis_by"]).split(","))
            basis = i18n.t("forecast.basis_cohort", lang, column=column, value=safe_text(row["basis"]))
        else:
            basis = i18n.t("forecast.basis_all", lang)
        fields = {"what": what, "n": int(row["basis_dossiers"]), "basis": basis,
                  "share": i18n.percent(100 * FORECAST_CONFIDENCE, lang)}
        if pd.isna(row["expected_date"]) or pd.isna(row["low_date"]):
            return i18n.t("forecast.line_beyond", lang, **fields)
        day, low = forecast_day(row["expected_date"], lang, words=True), forecast_day(row["low_date"], lang, words=True)
        if pd.isna(row["high_date"]):
            return i18n.t("forecast.line_open", lang, date=day, low=low, **fields)
        return i18n.t("forecast.line", lang, date=day, low=low,
                      high=forecast_day(row["high_date"], lang, words=True), **fields)

    def __repr__(self) -> str:
        return f"CaseViewer({safe_text(self.controls['dossier'].value)!r}, lang={self.lang!r})"
