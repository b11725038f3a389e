"""Where the loops are: the process map with a frequency slider and a cohort filter: :class:`ProcessMapExplorer`."""

from __future__ import annotations

import base64

import ipywidgets as W
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .. import i18n
from ..caselog import CaseLog
from ..display import html_table, safe_text
from ..plots import plot_process_map
from ..processmap import process_map, variants
from ..timeutil import AsOf
from ._base import _STYLE, _CaseTables, _Explorer, _paragraph
from ._render import _png

__all__ = ["ProcessMapExplorer"]

#: Cohort columns offered in the filter, when the log has them.
_COHORTS = ("office", "channel", "route", "born_abroad", "advisor")


class ProcessMapExplorer(_Explorer):
    """The process map of a caseload, or of one cohort, with the moves few dossiers made hidden.

    Parameters
    ----------
    log : CaseLog
    as_of : date-like, optional
        Default: the log's latest event.
    lang : {"en", "fr"}

    Attributes
    ----------
    controls : dict
        ``level``: every step (``"events"``) or the milestones only;
        ``share``: hide the moves fewer than this per cent of the dossiers
        made (a slider, 0–20, default 2); ``column`` and ``value``: the
        cohort shown (``column`` None: every dossier); ``metric``: what the
        arrows' colour says (``"median_days"`` or ``"dossiers"``).
    map : ProcessMap
        ``process_map`` of the dossiers shown, with the slider's ``min_share``.
    variants : DataFrame
        The ten most common paths through the milestones of those dossiers.
    figure : Figure
        The chart last drawn.

    Examples
    --------
    >>> from vitale_analysis import load
    >>> from vitale_analysis.widgets import ProcessMapExplorer
    >>> explorer = ProcessMapExplorer(load("data/sample_caselog.csv"), lang="fr")
    >>> explorer.controls["column"].value = "channel"
    >>> explorer.controls["value"].value = "postal"
    >>> explorer.map.n_dossiers < 3000
    True
    """

    kind = "process-map"

    def __init__(self, log: CaseLog, *, as_of=None, lang: str = "en", _tables: _CaseTables | None = None):
        super().__init__(log, lang=lang, tables=_tables)
        self._quiet = False
        t = self._t
        level = W.ToggleButtons(options=[(t("pmap.events"), "events"), (t("pmap.milestones"), "milestones")],
                                value="events", description=t("pmap.level"), style=_STYLE)
        share = W.IntSlider(value=2, min=0, max=20, step=1, description=t("pmap.share"), style=_STYLE,
                            layout=W.Layout(width="520px"), readout_format="d")
        columns = [c for c in _COHORTS if c in log.case_attributes]
        column = W.Dropdown(options=[(t("pmap.everyone"), None)] + [(i18n.column_label(c, lang).capitalize(), c)
                                                                    for c in columns],
                            value=None, description=t("pmap.cohort"), style=_STYLE)
        value = W.Dropdown(options=[], value=None, description=t("pmap.value"), style=_STYLE, disabled=True)
        metric = W.ToggleButtons(options=[(t("pmap.days"), "median_days"), (t("pmap.dossiers"), "dossiers")],
                                 value="median_days", description=t("pmap.colour"), style=_STYLE)
        for key, control in (("level", level), ("share", share), ("column", column), ("value", value),
                             ("metric", metric)):
            self._control(key, control)
        self._status = self._html("vitale-status")
        self._chart = self._html("vitale-chart")
        self._variants = self._html("vitale-table")
        self._variants.add_class("vitale-variants")
        self.figure = None
        self._counted = (None, None)  # what map and variants were last counted for
        self.widget = self._root([W.HBox([level, metric]), share, W.HBox([column, value]), self._status,
                                  self._chart, self._variants])
        self._load(log.as_of(as_of))
        self._observe(self._column_changed, "column")
        self._observe(self._update, "level", "share", "value", "metric")
        self._update()

    def _load(self, cut: AsOf) -> None:
        self.cases = self._case_table(cut)
        self._fill_values()

    def _fill_values(self) -> None:
        """The chosen column's values, most dossiers first (the value chosen is kept when it is still there)."""
        column, options = self.controls["column"].value, []
        if column is not None:
            counts = self.cases[column].astype(object).value_counts(dropna=True)
            options = [(safe_text(f"{i18n.value_label(column, v, self.lang, self.labels)} "
                                  f"({i18n.number(int(n), self.lang)})"), v) for v, n in counts.items()]
        self._refill(self.controls["value"], options)

    def _column_changed(self, _change=None) -> None:
        self._fill_values()
        self._update()

    def _shown_table(self):
        column, value = self.controls["column"].value, self.controls["value"].value
        if column is None or value is None:
            return self.cases
        return self.cases[(self.cases[column].astype(object) == value).to_numpy()]

    def _update(self, _change=None) -> None:
        if self._quiet:
            return
        lang = self.lang
        # The paths change with the dossiers only, the map with the level and the slider too; the colour
        # alone redraws the chart without counting again.
        dossiers = (self.as_of, self.controls["column"].value, self.controls["value"].value)
        if dossiers != self._counted[0]:
            self._table = self._shown_table()
            self.variants = variants(self._table, level="milestones", top=10)
        drawn = (dossiers, self.controls["level"].value, self.controls["share"].value)
        if drawn != self._counted[1]:
            self.map = process_map(self._table, level=self.controls["level"].value,
                                   min_share=self.controls["share"].value / 100)
        self._counted = (dossiers, drawn)
        lines = [self._t("pmap.head", day=i18n.day(self.as_of, lang),
                         n=i18n.count(self.map.n_dossiers, "dossier", lang)),
                 self._t("pmap.hidden", share=i18n.percent(self.controls["share"].value, lang, 0))]
        self._status.value = "".join(_paragraph(line) for line in lines)
        fig = Figure()
        FigureCanvasAgg(fig)
        ax = plot_process_map(self.map, lang=lang, metric=self.controls["metric"].value,
                                    process=self.process, labels=self.labels.get("event"), figure=fig)
        self.figure = ax.figure
        alt = safe_text(" — ".join(part for part in ax.get_title().splitlines() if part))
        png = _png(self.figure)
        self._chart.value = (f'<img alt="{alt}" style="max-width:100%;height:auto" '
                             f'src="data:image/png;base64,{base64.b64encode(png).decode()}"/>')
        self._variants.value = self._variants_html()

    def _variants_html(self) -> str:
        """The ten commonest paths through the milestones, in words (the steps' labels joined by arrows)."""
        lang, t = self.lang, self._t
        if not len(self.variants):
            return ""
        own = self.labels.get("event")
        frame = pd.DataFrame({
            t("pmap.col.path"): [" → ".join(i18n.event_label(step, lang, labels=own) for step in path)
                                 for path in self.variants["path"]],
            t("pmap.col.dossiers"): [i18n.number(int(n), lang) for n in self.variants["dossiers"]],
            t("pmap.col.share"): [i18n.share(v, lang) for v in self.variants["share"]],
            t("pmap.col.median"): [t("pmap.not_yet") if np.isinf(v) else i18n.number(v, lang, 0)
                                   if np.isfinite(v) else "–" for v in self.variants["median_total_days"]],
        })
        return html_table(frame, caption=t("pmap.variants"), shown=self.unmasked)
