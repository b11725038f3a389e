"""Time per phase for a part of the caseload: :class:`CaseloadExplorer`."""

from __future__ import annotations

from collections import OrderedDict
from html import escape

import ipywidgets as W
import numpy as np
import pandas as pd

from .. import chartdata, i18n, plots
from ..caselog import CaseLog
from ..cases import CaseTable
from ..display import DAYS_COLUMNS, html_table, readable
from ..errors import CaseLogError
from ..privacy import mask_text
from ..timeutil import AsOf
from ._base import (
    _CACHE_SIZE,
    _STYLE,
    ALL,
    _CaseTables,
    _cut_for,
    _DateField,
    _dropdown_all,
    _Explorer,
    _log_days,
    _month_number,
    _paragraph,
    _TableView,
)
from ._render import (
    _DPI,
    _PHASE_CHART_WIDTH,
    _chart_title,
    _FrozenLayout,
    _new_figure,
    _png,
    _show_png,
    _StaticParts,
)

__all__ = ["CaseloadExplorer"]

class CaseloadExplorer(_Explorer):
    """Time per phase for a part of the caseload: office, channel, born abroad, start period, as of.

    Parameters
    ----------
    log : CaseLog
        From :func:`~vitale_analysis.load`.
    as_of : date-like, optional
        The cut the caseload is looked at, read by ``log.as_of`` exactly as
        :func:`~vitale_analysis.case_table` and the report read it: a bare date
        is the end of that day; default, the log's latest event. The "As of"
        field changes it.
    lang : {"en", "fr"}
        Language of every label, the chart and the table.
    as_of_field : bool
        Whether the explorer shows an "As of" field of its own (a
        :class:`Dashboard` shows one for every tab and calls :meth:`set_as_of`).

    Attributes
    ----------
    controls : dict
        ``office``, ``channel``, ``born_abroad`` (Dropdowns whose first option,
        :data:`ALL`, keeps every dossier; ``born_abroad`` then ``True`` /
        ``False``; channels and other coded values are shown with the labels of
        the log's mapping), ``start_period`` (SelectionRangeSlider over start
        months, values ``"YYYY-MM"``; both ends included) and ``as_of`` (a Text
        field: a day typed ``2025-06-30`` in English, ``30/06/2025`` in French,
        applied on Enter or when the field is left; a day outside the log is
        refused with a message). A filter whose column the log lacks is disabled.
    as_of : AsOf
        The cut shown.
    cases : CaseTable
        The case table for the current ``as_of`` (all dossiers).
    filtered_cases : CaseTable
        Its rows that pass the filters.
    result : DataFrame
        ``phase_summary(filtered_cases)``: the table shown.
    quartiles : DataFrame
        The same with ``p25_days`` (``chartdata.phase_quartiles``): what the chart draws.
    shown : DataFrame
        ``result`` as the table shows it (phase names, readable headers).
    figure : Figure
        The time-per-phase chart of ``quartiles`` (``plots.plot_phase_durations``).
    widget : ipywidgets.VBox
        What the notebook shows.

    Notes
    -----
    The case table is computed once per ``as_of``; other changes filter its
    rows and summarise them. The last views are kept, so going back to an
    earlier selection is immediate. One chart figure is kept and given each
    new selection's numbers in place (``plots.update_phase_durations``), in the
    frame the first chart was laid out in; its row labels, axis title and
    legend, which do not change, are drawn once and pasted back.

    Examples
    --------
    >>> from vitale_analysis import load, phase_summary
    >>> from vitale_analysis.widgets import CaseloadExplorer
    >>> explorer = CaseloadExplorer(load("data/sample_caselog.csv"))
    >>> explorer  # in a notebook: the filters, the chart and the table
    CaseloadExplorer(3,000 of 3,000 dossiers, lang='en')
    >>> explorer.controls["channel"].value = "postal"
    >>> explorer.result.equals(phase_summary(explorer.filtered_cases))
    True
    """

    kind = "caseload-explorer"

    def __init__(self, log: CaseLog, *, as_of=None, lang: str = "en", as_of_field: bool = True,
                 _tables: _CaseTables | None = None):
        super().__init__(log, lang=lang, tables=_tables)
        first_day, last_day = _log_days(log)
        self._given = log.as_of(as_of)  # the as_of asked for, exactly: it stands for its own day
        self._cut = self._given
        self._views: OrderedDict = OrderedDict()
        self._layout = _FrozenLayout(_DPI)
        self._drawn: tuple | None = None  # (quartiles, Figure): the chart drawn last
        self._static: _StaticParts | None = None  # what its next draws need not draw again
        cases = self._case_table(self._cut)
        t = self._t

        offices = self._values(cases, "office")
        office = self._control("office", _dropdown_all(
            offices, t("all_offices"), t("office"), {v: i18n.value_label("office", v, lang, self.labels)
                                                     for v in offices}))
        channels = self._values(cases, "channel")
        channel = self._control("channel", _dropdown_all(
            channels, t("all_channels"), t("channel"), {v: i18n.value_label("channel", v, lang, self.labels)
                                                        for v in channels}))
        born = W.Dropdown(options=[(t("all"), ALL), (t("yes"), True), (t("no"), False)], value=ALL,
                          description=t("born_abroad"), disabled="born_abroad" not in cases.columns, style=_STYLE)
        self._control("born_abroad", born)
        # Every month of the log, so that the full range keeps every dossier whatever the as_of.
        months = [str(m) for m in pd.period_range(first_day, last_day, freq="M")]
        period = W.SelectionRangeSlider(
            options=[(self._month_label(m), m) for m in months], index=(0, len(months) - 1),
            description=t("start_period"), continuous_update=False, style=_STYLE, layout=W.Layout(width="520px"),
        )
        self._control("start_period", period)
        self._field = None
        if as_of_field:
            self._field = _DateField(self.lang, first_day=first_day, last_day=last_day, day=self._cut.day(),
                                     on_apply=lambda day: self._apply(_cut_for(self.log, self._given, day)))
            self._control("as_of", self._field.text)

        self._status = self._html("vitale-status")
        self._chart = self._html("vitale-chart")
        self._table = self._html("vitale-table")
        note = self._html("vitale-note")
        note.value = f"<small>{escape(t('phase_note'))}</small>"
        rows = [W.HBox([office, channel, born]), W.HBox([period] + ([self._field.box] if self._field else []))]
        self.widget = self._root([*rows, self._status, self._chart, note, self._table])
        self._observe(self._update, "office", "channel", "born_abroad", "start_period")
        self._update()

    # ------------------------------------------------------------------ data
    @staticmethod
    def _values(cases: CaseTable, column: str) -> list:
        if column not in cases:
            return []
        return sorted(str(v) for v in cases[column].dropna().unique())

    def _month_label(self, month: str) -> str:
        year, number = month.split("-")
        return f"{i18n.month(int(number), self.lang, short=True)} {year}"

    @property
    def as_of(self) -> AsOf:
        """The as-of cut shown."""
        return self._cut

    def set_as_of(self, as_of) -> None:
        """Show the caseload as of another cut (read by ``log.as_of``: a bare date is the end of that day)."""
        self._apply(self.log.as_of(as_of))
        if self._field is not None:
            self._field.show(self._cut.day())

    def _apply(self, cut: AsOf) -> None:
        # (from the field: what was typed stays as typed)
        self._cut = cut
        self._update()

    def _selection(self) -> tuple:
        c = self.controls
        return (self._cut, c["office"].value, c["channel"].value, c["born_abroad"].value,
                tuple(c["start_period"].value))

    def _filter(self, view: _TableView, selection: tuple) -> CaseTable:
        _as_of, office, channel, born, (first, last) = selection
        cases = view.table
        keep = np.ones(len(cases), dtype=bool)
        for column, value in (("office", office), ("channel", channel)):
            if value != ALL:
                codes, code_of = view.codes(column)
                keep &= codes == code_of.get(value, -2)  # -2: no such value, nothing kept
        if born != ALL:
            keep &= (cases["born_abroad"] == born).to_numpy(dtype=bool, na_value=False)
        months = view.month_numbers()
        keep &= (months >= _month_number(first)) & (months <= _month_number(last))
        return cases.filter(keep)

    # ------------------------------------------------------------------ chart
    def _draw(self, quartiles: pd.DataFrame) -> tuple[bytes, str]:
        """The phase chart of ``quartiles`` as PNG bytes, and its title (the image's alt text).

        The figure drawn last is kept and, when it can be, shown the new numbers
        in place (``plots.update_phase_durations``) rather than drawn anew. Its
        place in the figure is the kept frame (:class:`_FrozenLayout`).
        """
        fig = self._drawn[1] if self._drawn is not None else None
        updated = fig is not None and plots.update_phase_durations(fig.axes[0], quartiles, lang=self.lang,
                                                                   process=self.process)
        if not updated:
            fig, ax = _new_figure(_PHASE_CHART_WIDTH, max(3.2, 0.34 * len(self.process.phases) + 2.2), layout=None)
            plots.plot_phase_durations(quartiles, lang=self.lang, process=self.process, ax=ax)
        ax = fig.axes[0]
        kept = self._layout.apply(fig, ax)
        static = self._static
        if updated and kept and static is not None and static.fig is fig and static.position == ax.get_position().bounds:
            png = static.png()
        else:
            png = _png(fig)
            if not kept:
                self._layout.keep(fig, ax)
                fig.set_layout_engine("none")  # its next draws keep this place
            self._static = _StaticParts.capture(fig, ax)
        self._drawn = (quartiles, fig)
        return png, _chart_title(ax)

    @property
    def figure(self):
        """The time-per-phase chart of :attr:`quartiles` (``plots.plot_phase_durations``).

        The explorer keeps one figure and redraws it for each new selection; after a
        selection already seen (its image kept), the figure is brought up to date when asked for.
        """
        if self._drawn is None or self._drawn[0] is not self.quartiles:
            self._draw(self.quartiles)
        return self._drawn[1]

    # ------------------------------------------------------------------ callback
    def _update(self, _change=None) -> None:
        selection = self._selection()
        try:
            table_view = self._view(selection[0])
        except CaseLogError as error:
            self._status.value = _paragraph(mask_text(str(error)))
            return
        self.cases = table_view.table
        self.filtered_cases = self._filter(table_view, selection)
        view = self._views.get(selection)
        if view is None:
            quartiles = chartdata.phase_quartiles(self.filtered_cases)
            view = (quartiles, *self._draw(quartiles))
            self._views[selection] = view
            if len(self._views) > _CACHE_SIZE:
                self._views.popitem(last=False)
        else:
            self._views.move_to_end(selection)
        self.quartiles, png, alt = view
        self.result = self.quartiles.drop(columns="p25_days")
        self.shown = readable(self.result, self.lang, process=self.process, labels=self.labels,
                              days_columns=DAYS_COLUMNS)
        n, n_open = len(self.filtered_cases), int((self.filtered_cases["status"] == "open").sum())
        status = self._t("selection", n=n, open=n_open, day=i18n.day(self.cases.as_of, self.lang))
        self._status.value = _paragraph(status if n else self._t("empty"))
        _show_png(self._chart, png, alt)
        self._table.value = html_table(self.shown)

    def __repr__(self) -> str:
        return f"CaseloadExplorer({len(self.filtered_cases):,} of {len(self.cases):,} dossiers, lang={self.lang!r})"

