"""Explorers for JupyterLab and Voilà: controls, an output, one callback.

Each explorer wraps the package's pure functions; it computes nothing of its
own beyond filtering rows. The per-case table is computed once per ``as_of``
and kept; a control change filters its rows and calls the summary again, so
the explorers stay responsive on a large caseload.

* :class:`CaseloadExplorer` – time per phase (chart and table), by office,
  channel, born abroad, start period and ``as_of``;
* :class:`StallExplorer` – the follow-up worklist and where dossiers stall,
  with a button that saves the worklist to Excel;
* :class:`TriggerExplorer` – one delay trigger: the dossiers it hit, the days
  it goes with, its offices;
* :class:`CaseViewer` – one dossier: its timeline and its events.

Every explorer has ``.controls`` (name → ipywidgets control), ``.widget``
(the box a notebook shows: a cell ending in ``CaseloadExplorer(log)`` shows
it), ``.result`` (the table behind what is shown, as the pure function
returns it), ``.shown`` (the same rows as the advisor reads them: masked ids,
words, readable headers) and, where a chart is drawn, ``.figure`` (the last
matplotlib Figure). Tests and scripts can set
``explorer.controls["office"].value = "CPAM 75"`` and read ``.result``.

Charts are drawn without pyplot (a plain :class:`matplotlib.figure.Figure`,
rendered by Agg) and shown as a static PNG image in an ``ipywidgets.Output``:
they look the same whatever ``%matplotlib`` backend the notebook uses, and
Voilà needs no extension. Tables are HTML, and so is the stall heat map (a
table of coloured cells, ``plots.stalled_heatmap_html``: hundreds of numbers
drawn by Agg took longer than a control change may). Identifiers that look
like a social security number are masked in every table, chart and picker.

Classes a browser test can rely on: the root box has ``vitale-explorer`` and
``vitale-<kind>`` (``vitale-caseload-explorer``, ``vitale-stall-explorer``,
``vitale-trigger-explorer``, ``vitale-case-viewer``); each control has
``vitale-control-<key>`` (its ``.controls`` key with ``_`` as ``-``); the chart
Output has ``vitale-chart`` (the image is ``.vitale-chart img``; the stall heat
map's HTML widget has it too, its table is ``.vitale-heatmap table``); tables
are in HTML widgets with ``vitale-table``; one-line summaries in ``vitale-status``.

Examples
--------
>>> from vitale_analysis import load
>>> from vitale_analysis.widgets import CaseloadExplorer
>>> log = load("data/sample_caselog.csv")  # doctest: +SKIP
>>> explorer = CaseloadExplorer(log, lang="fr")  # doctest: +SKIP
>>> explorer.controls["office"].value = "CPAM 75"  # doctest: +SKIP
>>> explorer.result  # the phase summary of CPAM 75's dossiers  # doctest: +SKIP
"""

from __future__ import annotations

import base64
from collections import OrderedDict
from datetime import date
from html import escape
from pathlib import Path

import ipywidgets as W
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.text import Annotation

from . import chartdata, plots
from .caselog import CaseLog
from .cases import CaseTable, case_table
from .errors import CaseLogError
from .labels import with_next_actions, with_trigger_labels
from .masking import printable
from .privacy import mask_identifiers, mask_text
from .process import check_lang
from .report import DAYS_COLUMNS, add_sheet, readable
from .stalls import phase_thresholds, stalled
from .summaries import trigger_events, trigger_summary
from .timeutil import AsOf

__all__ = ["ALL", "CaseloadExplorer", "CaseViewer", "StallExplorer", "TriggerExplorer"]

#: The value of the "All …" option of a filter (``controls["office"].value = ALL``).
ALL = "__all__"

_DPI = 90  # on screen; plots.save_figure writes 300 dpi files for reports
_CACHE_SIZE = 32
_CASE_TABLES_KEPT = 4  # as_of dates whose case table an explorer keeps (about 27 MB each per 100,000 dossiers)
# plots.plot_phase_durations draws 8.5 in wide; its legend below the axes, in French, needs a little more.
_PHASE_CHART_WIDTH = 9.6
_NNBSP = "\u202f"

# ============================================================================ words
_UI = {
    "en": {
        "all_offices": "All offices", "all_channels": "All channels", "all": "All", "all_phases": "All phases",
        "yes": "yes", "no": "no",
        "office": "Office", "channel": "Channel", "born_abroad": "Born abroad", "start_period": "Started",
        "as_of": "As of", "percentile": "Stalled above percentile", "followup_days": "Follow up after (days)",
        "phase": "Phase", "save": "Save worklist to Excel", "trigger": "Delay trigger", "dossier": "Dossier",
        "dossier_placeholder": "Type or pick a dossier number",
        "selection": "{n} dossiers in this selection, {open} still open, as of {day}.",
        "empty": "No dossier in this selection: widen the filters.",
        "phase_note": "Medians count the dossiers still open for the days they have waited so far "
                      "(Kaplan–Meier); the median of finished dossiers only is shown beside it.",
        "worklist": "{n} dossiers to follow up (of {open} open dossiers), as of {day}.",
        "worklist_top": " The {top} most overdue:",
        "no_stalled": "No dossier to follow up with these settings.",
        "saved": "Saved {n} dossiers to {path}",
        "not_saved": "Could not save the worklist: {error}. Close the file if it is open in Excel, or choose "
                     "another output_dir.",
        "sheet": "Worklist",
        "no_trigger": "No delay trigger recorded in this caseload.",
        "trigger_head": "{label}: {cases} dossiers ({share}), raised {events} times, most often in {phase}.",
        "trigger_days": "Median days from the trigger to the dossier's next step: {median} "
                        "(Kaplan–Meier: dossiers still waiting count).",
        "trigger_extra": "Dossiers with it stayed {extra} longer in {phase} (median) than dossiers without it "
                         "— an association, not proof of cause.",
        "prevention": "How to prevent it: {text}",
        "affected": "Dossiers it hit ({n} times raised), longest wait first:",
        "by_office": "By office:",
        "not_reached": "not reached yet (too many dossiers still waiting)",
        "days": "{d} days",
        "pick": "Pick a dossier from the list.",
        "dossier_head": "Dossier {label}: {status}, {n} events up to {day}.",
        "status": {"open": "still open", "complete": "complete", "closed": "closed (abandoned or moved away)"},
        "col": {
            "case_id": "Dossier", "office": "Office", "phase": "Phase where raised", "raised_at": "Raised on",
            "status": "Status", "days_to_next_milestone": "Days to next step",
            "next_milestone_reached": "Next step reached",
            "timestamp": "Date", "event": "Event", "trigger": "Delay trigger", "note": "Note",
            "cases_affected": "Dossiers affected", "share": "Share of the office's dossiers",
            "median_days_to_next_milestone": "Median days to next step",
        },
        "months": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        "months_long": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                        "October", "November", "December"),
    },
    "fr": {
        "all_offices": "Toutes les caisses", "all_channels": "Tous les canaux", "all": "Tous",
        "all_phases": "Toutes les phases", "yes": "oui", "no": "non",
        "office": "Caisse", "channel": "Canal", "born_abroad": "Né(e) à l'étranger", "start_period": "Commencés",
        "as_of": "Au", "percentile": "Bloqué au-delà du centile", "followup_days": "Relancer après (jours)",
        "phase": "Phase", "save": "Enregistrer la liste (Excel)", "trigger": "Motif de retard", "dossier": "Dossier",
        "dossier_placeholder": "Saisir ou choisir un numéro de dossier",
        "selection": "{n} dossiers dans cette sélection, dont {open} en cours, au {day}.",
        "empty": "Aucun dossier dans cette sélection : élargir les filtres.",
        "phase_note": "Les médianes comptent les dossiers encore en cours pour les jours déjà attendus "
                      "(Kaplan–Meier) ; la médiane des seuls dossiers terminés est donnée à côté.",
        "worklist": "{n} dossiers à relancer (sur {open} dossiers en cours), au {day}.",
        "worklist_top": " Les {top} plus en retard :",
        "no_stalled": "Aucun dossier à relancer avec ces réglages.",
        "saved": "{n} dossiers enregistrés dans {path}",
        "not_saved": "Impossible d'enregistrer la liste : {error}. Fermer le fichier s'il est ouvert dans Excel, "
                     "ou choisir un autre output_dir.",
        "sheet": "À relancer",
        "no_trigger": "Aucun motif de retard enregistré dans ces dossiers.",
        "trigger_head": "{label} : {cases} dossiers ({share}), signalé {events} fois, "
                        "le plus souvent en phase « {phase} ».",
        "trigger_days": "Médiane entre le signalement et l'étape suivante du dossier : {median} "
                        "(Kaplan–Meier : les dossiers encore en attente comptent).",
        "trigger_extra": "Les dossiers concernés sont restés {extra} de plus en phase « {phase} » (médiane) que les "
                         "autres — une association, pas une preuve de cause.",
        "prevention": "Comment l'éviter : {text}",
        "affected": "Dossiers concernés ({n} signalements), attente la plus longue d'abord :",
        "by_office": "Par caisse :",
        "not_reached": "pas encore atteinte (trop de dossiers encore en attente)",
        "days": "{d} jours",
        "pick": "Choisir un dossier dans la liste.",
        "dossier_head": "Dossier {label} : {status}, {n} événements jusqu'au {day}.",
        "status": {"open": "en cours", "complete": "terminé", "closed": "clos (abandon ou déménagement)"},
        "col": {
            "case_id": "Dossier", "office": "Caisse", "phase": "Phase du signalement", "raised_at": "Signalé le",
            "status": "Statut", "days_to_next_milestone": "Jours jusqu'à l'étape suivante",
            "next_milestone_reached": "Étape suivante atteinte",
            "timestamp": "Date", "event": "Événement", "trigger": "Motif de retard", "note": "Note",
            "cases_affected": "Dossiers concernés", "share": "Part des dossiers de la caisse",
            "median_days_to_next_milestone": "Médiane jusqu'à l'étape suivante (jours)",
        },
        "months": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."),
        "months_long": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
                        "octobre", "novembre", "décembre"),
    },
}

_TABLE_CSS = (
    "<style>.vitale-data{border-collapse:collapse;font-size:12px;margin:4px 0}"
    ".vitale-data th,.vitale-data td{border:1px solid #ccc;padding:2px 6px;vertical-align:top;text-align:left}"
    ".vitale-data th{background:#eef4fa}</style>"
)


# ============================================================================ helpers
def _num(value, lang: str, decimals: int = 0) -> str:
    text = f"{value:,.{decimals}f}"
    return text.replace(",", _NNBSP).replace(".", ",") if lang == "fr" else text


def _pct(value: float, lang: str) -> str:
    return f"{_num(100 * value, lang, 1)}{_NNBSP}%" if lang == "fr" else f"{100 * value:.1f}%"


def _fmt_day(day: date, lang: str) -> str:
    month = _UI[lang]["months_long"][day.month - 1]
    first = "1er" if lang == "fr" and day.day == 1 else str(day.day)
    return f"{first} {month} {day.year}"


def _month_number(month: str) -> int:
    year, number = str(month).split("-")
    return int(year) * 12 + int(number) - 1


def _safe(text: str) -> str:
    """Text for the screen: social-security-like numbers masked, control characters shown."""
    return printable(mask_text(text))


def _safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A display frame with every text cell :func:`_safe` (whatever column it came from)."""
    return frame.map(lambda v: _safe(v) if isinstance(v, str) else v)


def _html_table(frame: pd.DataFrame) -> str:
    """A display frame (labelled) as an HTML table; text masked and escaped."""
    if frame.empty:
        return ""
    return _TABLE_CSS + _safe_frame(frame).to_html(index=False, border=0, escape=True, na_rep="",
                                                   classes="vitale-data")


def _paragraph(text: str) -> str:
    return f"<p>{escape(_safe(text))}</p>"


def _png(fig: Figure) -> bytes:
    """The figure as PNG bytes, drawn once.

    ``savefig`` lays a constrained-layout figure out in an extra drawing pass
    before the real one; drawing on the canvas once (layout included) and
    encoding its pixels with a light compression, as the canvas's own
    ``print_png`` does, suits an image sent to the browser right away
    (measured on the stall heat map of 100,000 dossiers: 480 → about 200 ms).
    The figures are sized so that their legends fit (see _PHASE_CHART_WIDTH),
    so no "tight" bounding box either.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig.set_dpi(_DPI)
    fig.set_facecolor("white")
    # A figure drawn again keeps its canvas (and the canvas its renderer, which remembers text sizes).
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    return _encoded(canvas)


def _encoded(canvas) -> bytes:
    """What the canvas holds, as PNG bytes, lightly compressed (what its ``print_png`` writes)."""
    return plots.canvas_png(canvas, compress_level=1)


class _StaticParts:
    """The parts of a kept phase chart that a new selection leaves as they are, drawn once and pasted back.

    Once an explorer's chart is shown new numbers in place, its row labels, the
    x axis' title and the legend are the same text at the same place; drawing
    text is most of the cost of a chart. So after a full draw their pixels are
    kept, and the next draws leave them out and paste them back. Only regions
    that nothing else can reach are kept: the row labels lie left of the axes,
    between the tick numbers under it and the title above it; the axis title
    and the legend lie below the tick numbers (which move only sideways).
    Otherwise nothing is kept and every draw is a full one.
    """

    def __init__(self, fig: Figure, ax, regions: list):
        self.fig, self.ax, self.regions = fig, ax, regions
        self.position = ax.get_position().bounds

    @classmethod
    def capture(cls, fig: Figure, ax):
        """From a figure just drawn in full; None when a region could meet a changing part."""
        renderer = fig.canvas.get_renderer()
        legend = ax.get_legend()
        row_labels = [t for t in ax.get_yticklabels() if t.get_visible() and t.get_text()]
        ticks = [t for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
        if ax.get_gid() == "nothing-to-show" or legend is None or not row_labels or not ticks:
            return None
        from matplotlib.transforms import Bbox

        def extent(artists):
            return Bbox.union([a.get_window_extent(renderer) for a in artists]).padded(2)

        axes, title = ax.get_window_extent(renderer), ax.title.get_window_extent(renderer)
        tick_band = extent(ticks)
        rows, below = extent(row_labels), [extent([ax.xaxis.label]), extent([legend])]
        if not (rows.x1 < axes.x0 and rows.y0 > tick_band.y1 and rows.y1 < title.y0
                and all(box.y1 < tick_band.y0 for box in below)):
            return None
        canvas = fig.canvas
        return cls(fig, ax, [canvas.copy_from_bbox(box) for box in (rows, *below)])

    def png(self) -> bytes:
        """Draw the figure without the kept parts, paste them back, and encode it."""
        ax, legend, label = self.ax, self.ax.get_legend(), self.ax.xaxis.label
        ax.yaxis.set_tick_params(labelleft=False)
        legend.set_visible(False)
        label.set_visible(False)
        try:
            canvas = self.fig.canvas
            canvas.draw()
            for region in self.regions:
                canvas.restore_region(region)
        finally:
            ax.yaxis.set_tick_params(labelleft=True)
            legend.set_visible(True)
            label.set_visible(True)
        return _encoded(canvas)


def _show_png(out: W.Output, png: bytes, alt: str) -> None:
    """Replace what the Output shows with one static PNG image (``<img src="data:image/png…">``).

    The outputs are set directly rather than through ``with out: display(...)``:
    this works from a callback, in a kernel or not, and the image is the only
    thing the Output holds.
    """
    out.outputs = (
        {
            "output_type": "display_data",
            "data": {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": alt},
            "metadata": {},
        },
    )


def _new_figure(width: float, height: float, layout: str | None = "constrained"):
    # Not pyplot: nothing is registered with the notebook's backend, so the
    # chart only appears where the explorer puts it, and nothing is left open.
    fig = Figure(figsize=(width, height), layout=layout)
    return fig, fig.add_subplot()


class _FrozenLayout:
    """One constrained layout per kind of chart, reused by the charts that fit it.

    Constrained layout measures every label of a figure before drawing it,
    which on the phase chart cost about as much as drawing it. An explorer's
    successive charts differ only in numbers: same rows, same axis label and
    legend, a title and ``n = …`` notes of about the same width. So the axes'
    place that constrained layout found for the first chart of a kind (its
    legend entries) is kept and given to the next ones, as long as their
    variable texts (the title's lines, the notes beside the rows) are no wider
    than those it was found for (or, for the title, than the axes); a wider
    one is laid out afresh, and its place kept instead. The frame stays still
    while filters change, and no label is cut.
    """

    def __init__(self, dpi: float):
        from matplotlib.backends.backend_agg import RendererAgg

        self._renderer = RendererAgg(1, 1, dpi)  # measures text only (its metrics at the charts' dpi)
        self._frames: dict = {}  # kind → (axes position, widest note, widest title line, axes width), pixels
        self._measured: dict = {}  # (line, font) → width in pixels: titles and notes repeat

    def _line_width(self, line: str, prop) -> float:
        key = line, prop
        if key not in self._measured:
            if len(self._measured) > 4096:
                self._measured.clear()
            self._measured[key] = self._renderer.get_text_width_height_descent(line, prop, ismath=False)[0]
        return self._measured[key]

    def _widths(self, ax) -> tuple[float, float]:
        def width(text) -> float:
            prop = text.get_fontproperties().copy()  # a snapshot: the key must not change under the cache
            return max((self._line_width(line, prop) for line in text.get_text().split("\n") if line),
                       default=0.0)

        notes = [child for child in ax.get_children() if isinstance(child, Annotation) and child.get_text()]
        return max((width(t) for t in notes), default=0.0), width(ax.title)

    @staticmethod
    def _kind(ax) -> tuple:
        legend = ax.get_legend()
        return (ax.get_gid(), len(legend.legend_handles) if legend is not None else 0)

    def apply(self, fig: Figure, ax) -> bool:
        """Place ``ax`` (of a figure made without a layout engine) as the kept frame of its kind if its
        texts fit it; else give the figure constrained layout.

        Returns True when the kept frame was used. After a fresh layout, call :meth:`keep` once drawn.
        """
        frame = self._frames.get(self._kind(ax))
        notes, title = self._widths(ax)
        if frame is not None:
            position, widest_note, widest_title, axes_width = frame
            if notes <= widest_note and title <= max(widest_title, axes_width):
                ax.set_position(position)
                return True
        fig.set_layout_engine("constrained")
        return False

    def keep(self, fig: Figure, ax) -> None:
        """Keep the place constrained layout gave ``ax`` (call after the figure was drawn)."""
        notes, title = self._widths(ax)
        position = ax.get_position()
        self._frames[self._kind(ax)] = (position, notes, title, position.width * fig.bbox.width)


def _chart_title(ax) -> str:
    return " — ".join(part for part in ax.get_title().splitlines() if part)


def _dropdown_all(values, all_label: str, description: str) -> W.Dropdown:
    options = [(all_label, ALL)] + [(printable(mask_text(str(v))), v) for v in values]  # (labels shown, values kept)
    return W.Dropdown(options=options, value=ALL, description=description, disabled=len(options) == 1,
                      style={"description_width": "initial"})


def _mask_ids(values: pd.Series) -> pd.Series:
    """Identifiers for the screen (any social-security-like number masked), on a fresh index."""
    return mask_identifiers(pd.Series(values, dtype=object).reset_index(drop=True)).astype(object)


def _time_text(times: pd.Series) -> pd.Series:
    """Times as text, in Paris time for times stored in UTC."""
    if times.dt.tz is not None:
        times = times.dt.tz_convert("Europe/Paris")
    return times.dt.strftime("%Y-%m-%d %H:%M").fillna("")


def _event_label(name, lang: str) -> str:
    """An event in words (the chart's labels); an unknown event shows its name."""
    if name is None or (not isinstance(name, str) and pd.isna(name)):
        return ""
    pair = plots.EVENT_LABELS.get(str(name))
    return pair[0 if lang == "en" else 1] if pair else _safe(str(name).replace("_", " "))


# ============================================================================ base
class _TableView:
    """A case table and the arrays an explorer filters it with, made once and kept with it."""

    def __init__(self, table: CaseTable):
        self.table = table
        self._codes: dict[str, tuple[np.ndarray, dict]] = {}
        self._months: np.ndarray | None = None

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


class _Explorer:
    """What every explorer shares: the log, the language, cached case tables, display hooks."""

    kind = "explorer"
    figure: Figure | None = None  # the chart's last matplotlib Figure, where a chart is drawn

    def __init__(self, log: CaseLog, *, lang: str = "en"):
        if not isinstance(log, CaseLog):
            raise CaseLogError(
                f"{type(self).__name__} needs the CaseLog from load(path) or validate(raw), "
                f"got {type(log).__name__}."
            )
        self.log = log
        self.lang = check_lang(lang)
        self.process = log.process
        self.controls: dict[str, W.Widget] = {}
        self.result: pd.DataFrame | None = None
        self.shown: pd.DataFrame | None = None
        self.widget: W.Box | None = None
        self._case_tables: OrderedDict = OrderedDict()  # AsOf → _TableView

    # ------------------------------------------------------------------ data
    def _view(self, as_of) -> "_TableView":
        """The case table for ``as_of`` (a date, an AsOf or None), computed once and kept with
        what the explorer derives from it (only filtering happens on a change)."""
        cut = self.log.as_of(as_of)
        if cut not in self._case_tables:
            self._case_tables[cut] = _TableView(case_table(self.log, as_of=cut))
            if len(self._case_tables) > _CASE_TABLES_KEPT:  # a table per day picked would grow without end
                self._case_tables.popitem(last=False)
        self._case_tables.move_to_end(cut)
        return self._case_tables[cut]

    def _case_table(self, as_of) -> CaseTable:
        return self._view(as_of).table

    def _t(self, key: str, **fields) -> str:
        text = _UI[self.lang][key]
        return text.format(**fields) if fields else text

    def _phase_label(self, key) -> str:
        return self.process.phase(str(key)).label_in(self.lang)

    def _trigger_label(self, key) -> str:
        model = self.process.triggers.get(str(key))
        return model.label_in(self.lang) if model else _safe(str(key).replace("_", " "))

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
    def _chart_output() -> W.Output:
        out = W.Output()
        out.add_class("vitale-chart")
        return out

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


# ============================================================================ caseload
class CaseloadExplorer(_Explorer):
    """Time per phase for a part of the caseload: office, channel, born abroad, start period, as of.

    Parameters
    ----------
    log : CaseLog
        From :func:`~vitale_analysis.load`.
    as_of : date-like, optional
        The day the caseload is looked at, as of the end of that day. Default:
        the log's last day, taken up to the log's latest event (nothing later
        is known), exactly as :func:`~vitale_analysis.case_table` does by
        default. The date picker changes it.
    lang : {"en", "fr"}
        Language of every label, the chart and the table.

    Attributes
    ----------
    controls : dict
        ``office``, ``channel``, ``born_abroad`` (Dropdowns whose first option,
        :data:`ALL`, keeps every dossier; ``born_abroad`` then ``True`` /
        ``False``), ``start_period`` (SelectionRangeSlider over start months,
        values ``"YYYY-MM"``; both ends included) and ``as_of``
        (DatePicker). A filter whose column the log lacks is disabled.
    cases : DataFrame
        The case table for the current ``as_of`` (all dossiers).
    filtered_cases : DataFrame
        Its rows that pass the filters.
    result : DataFrame
        ``phase_summary(filtered_cases, process=log.process)``: the table shown.
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
    rows and summarise them. The table comes from ``phase_quartiles``, which
    is ``phase_summary`` plus one column, so the Kaplan–Meier medians are
    computed once per change; the last views are kept, so going back to an
    earlier selection is immediate. One chart figure is kept and given each
    new selection's numbers in place (``plots.update_phase_durations``), in
    the frame the first chart was laid out in; its row labels, axis title and
    legend, which do not change, are drawn once and pasted back (a chart
    drawn anew, laid out and all its text drawn, took about 150 ms on
    100,000 dossiers, most of a change's time).

    Examples
    --------
    >>> from vitale_analysis import load, phase_summary
    >>> from vitale_analysis.widgets import CaseloadExplorer
    >>> explorer = CaseloadExplorer(load("data/sample_caselog.csv"))  # doctest: +SKIP
    >>> explorer  # in a notebook: the filters, the chart and the table  # doctest: +SKIP
    >>> explorer.controls["channel"].value = "postal"  # doctest: +SKIP
    >>> explorer.result.equals(phase_summary(explorer.filtered_cases))  # doctest: +SKIP
    True
    """

    kind = "caseload-explorer"

    def __init__(self, log: CaseLog, *, as_of=None, lang: str = "en"):
        super().__init__(log, lang=lang)
        self._last_day = log.as_of().day()
        first_day = AsOf(log.events["timestamp"].min(), True).day()
        given = log.as_of(as_of)
        day = given.day()
        self._given = (day, given)  # the as_of asked for, exactly, on its own day
        self._views: OrderedDict = OrderedDict()
        self._layout = _FrozenLayout(_DPI)
        self._drawn: tuple | None = None  # (quartiles, Figure): the chart drawn last
        self._static: _StaticParts | None = None  # what its next draws need not draw again
        cases = self._case_table(self._cut_for(day))
        t = self._t

        office = self._control("office", _dropdown_all(self._values(cases, "office"), t("all_offices"), t("office")))
        channel = self._control("channel", _dropdown_all(self._values(cases, "channel"), t("all_channels"),
                                                         t("channel")))
        born = W.Dropdown(options=[(t("all"), ALL), (t("yes"), True), (t("no"), False)], value=ALL,
                          description=t("born_abroad"), disabled="born_abroad" not in cases.columns,
                          style={"description_width": "initial"})
        self._control("born_abroad", born)
        # Every month of the log, so that the full range keeps every dossier whatever the as_of.
        months = [str(m) for m in pd.period_range(first_day, self._last_day, freq="M")]
        period = W.SelectionRangeSlider(
            options=[(self._month_label(m), m) for m in months], index=(0, len(months) - 1),
            description=t("start_period"), continuous_update=False, style={"description_width": "initial"},
            layout=W.Layout(width="520px"),
        )
        self._control("start_period", period)
        picker = W.DatePicker(value=day, min=first_day, max=self._last_day, description=t("as_of"),
                              style={"description_width": "initial"})
        self._control("as_of", picker)

        self._status = self._html("vitale-status")
        self._chart = self._chart_output()
        self._table = self._html("vitale-table")
        note = self._html("vitale-note")
        note.value = f"<small>{escape(t('phase_note'))}</small>"
        self.widget = self._root([
            W.HBox([office, channel, born]),
            W.HBox([period, picker]),
            self._status, self._chart, note, self._table,
        ])
        self._observe(self._update, "office", "channel", "born_abroad", "start_period", "as_of")
        self._update()

    # ------------------------------------------------------------------ data
    @staticmethod
    def _values(cases: CaseTable, column: str) -> list:
        if column not in cases:
            return []
        return sorted(str(v) for v in cases[column].dropna().unique())

    def _cut_for(self, day: date) -> AsOf:
        # The as_of the explorer was built with stands for its own day (as the other
        # explorers take it: a bare date is the end of that day, a time is that time).
        # Otherwise the log's last day is taken up to its latest event (case_table's
        # own default), and an earlier day means the end of that day.
        given_day, given = self._given
        if day == given_day:
            return given
        return self.log.as_of(None if day == self._last_day else day.isoformat())

    def _month_label(self, month: str) -> str:
        year, number = month.split("-")
        return f"{self._t('months')[int(number) - 1]} {year}"

    @property
    def as_of(self) -> AsOf:
        """The as-of cut of the picked day (the log's latest event on its last day)."""
        return self._cut_for(self.controls["as_of"].value or self._last_day)

    def _selection(self) -> tuple:
        c = self.controls
        return (self.as_of, c["office"].value, c["channel"].value, c["born_abroad"].value,
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
        """The phase chart of ``quartiles`` as PNG bytes, and its title (the image's text).

        The figure drawn last is kept and, when it can be, shown the new numbers
        in place (``plots.update_phase_durations``) rather than drawn anew:
        making the axes, ticks and legend of a new chart cost as much as the
        data work. Its place in the figure is the kept frame (:class:`_FrozenLayout`).
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
    def figure(self) -> Figure:
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
        labels = self.process.phase_labels(self.lang)
        self.shown = readable(self.result.assign(phase=self.result["phase"].astype(str).map(labels)), self.lang,
                              days_columns=DAYS_COLUMNS)
        n, n_open = len(self.filtered_cases), int((self.filtered_cases["status"] == "open").sum())
        day = self.cases.as_of.day()
        status = self._t("selection", n=_num(n, self.lang), open=_num(n_open, self.lang),
                         day=_fmt_day(day, self.lang))
        self._status.value = _paragraph(status if n else self._t("empty"))
        _show_png(self._chart, png, alt)
        self._table.value = _html_table(self.shown)

    def __repr__(self) -> str:
        return f"CaseloadExplorer({len(self.filtered_cases):,} of {len(self.cases):,} dossiers, lang={self.lang!r})"


# ============================================================================ stalls
class StallExplorer(_Explorer):
    """The follow-up worklist: which dossiers are stalled now, where, and what to do next.

    Parameters
    ----------
    log : CaseLog
    as_of : date-like, optional
        Default: the log's latest event (as :func:`~vitale_analysis.stalled`).
    lang : {"en", "fr"}
    output_dir : str or Path
        Where "Save worklist to Excel" writes ``worklist_<as_of day>.xlsx``
        (created if needed).
    top : int
        How many of the most overdue dossiers the table shows (the count
        above it and the saved file cover them all).

    Attributes
    ----------
    controls : dict
        ``percentile`` (IntSlider 50–99: a dossier is stalled past this
        percentile of its phase's durations in the caseload), ``followup_days``
        (IntSlider, days without news after which the next action is a
        follow-up), ``phase`` (Dropdown, :data:`ALL` or a phase key) and
        ``save`` (Button).
    cases : CaseTable
        The case table (computed once).
    worklist : DataFrame
        ``stalled(cases, percentile=…, followup_days=…)`` with its next actions in
        words (``labels.with_next_actions(…, lang=…)``).
    result : DataFrame
        The worklist rows of the chosen phase (all rows for :data:`ALL`):
        the table shown (its first ``top`` rows), the heat map and the file
        saved.
    shown : DataFrame
        The first ``top`` rows as the table shows them (masked ids, events
        in words, readable headers, as in the report).
    matrix : DataFrame
        ``chartdata.stalled_matrix(result, cases=cases, thresholds=…)``: what the heat map shows.
    figure : Figure
        The same heat map drawn by matplotlib (``plots.plot_stalled_heatmap``
        of ``matrix``), for saving or a report; drawn when first asked for.
    last_saved : Path or None
        The file the button wrote last.

    Notes
    -----
    The heat map on screen is an HTML table (``plots.stalled_heatmap_html``:
    the chart's colours, numbers and labels, in text a screen reader reads),
    not a picture: drawing the picture's few hundred numbers took Agg
    250–450 ms per change on 100,000 dossiers, the table takes a few ms.

    Examples
    --------
    >>> from vitale_analysis import load
    >>> from vitale_analysis.widgets import StallExplorer
    >>> explorer = StallExplorer(load("data/sample_caselog.csv"), output_dir="out")  # doctest: +SKIP
    >>> explorer.controls["phase"].value = "rights"  # doctest: +SKIP
    >>> explorer.save()  # doctest: +SKIP
    PosixPath('.../out/worklist_2025-06-30.xlsx')
    """

    kind = "stall-explorer"

    def __init__(self, log: CaseLog, *, as_of=None, lang: str = "en", output_dir=".", top: int = 25):
        super().__init__(log, lang=lang)
        self.output_dir = Path(output_dir)
        self.top = int(top)
        self.last_saved: Path | None = None
        self.cases = self._case_table(as_of)
        self._n_open = int((self.cases["status"] == "open").sum())
        self._worklists: OrderedDict = OrderedDict()
        self._views: OrderedDict = OrderedDict()
        self._drawn: tuple | None = None  # (matrix, Figure): the last heat map asked for as a figure
        t = self._t
        style = {"description_width": "initial"}
        percentile = self._control("percentile", W.IntSlider(value=90, min=50, max=99, step=1,
                                                              description=t("percentile"),
                                                              continuous_update=False, style=style))
        followup = self._control("followup_days", W.IntSlider(value=14, min=0, max=90, step=1,
                                                              description=t("followup_days"),
                                                              continuous_update=False, style=style))
        phase = self._control("phase", W.Dropdown(
            options=[(t("all_phases"), ALL)] + [(p.label_in(self.lang), p.key) for p in self.process.phases],
            value=ALL, description=t("phase"), style=style))
        save = self._control("save", W.Button(description=t("save"), icon="download",
                                              layout=W.Layout(width="auto")))
        self._status = self._html("vitale-status")
        self._saved = self._html("vitale-save-status")
        self._chart = self._html("vitale-chart")
        self._table = self._html("vitale-table")
        self.widget = self._root([
            W.HBox([percentile, followup]),
            W.HBox([phase, save]),
            self._saved, self._status, self._table, self._chart,
        ])
        self._observe(self._update, "percentile", "followup_days", "phase")
        save.on_click(self._on_save)
        self._update()

    @property
    def as_of(self) -> AsOf:
        return self.cases.as_of

    @property
    def figure(self) -> Figure:
        """The heat map of :attr:`matrix` drawn by ``plots.plot_stalled_heatmap`` (once per matrix shown)."""
        if self._drawn is None or self._drawn[0] is not self.matrix:
            fig, ax = _new_figure(8.5, max(3.5, 0.3 * len(self.matrix) + 2.6))
            plots.plot_stalled_heatmap(self.matrix, lang=self.lang, process=self.process, ax=ax)
            self._drawn = (self.matrix, fig)
        return self._drawn[1]

    def _worklist(self, percentile: int, followup_days: int) -> tuple[pd.DataFrame, dict]:
        """The worklist in words and the thresholds it used, for these settings (kept)."""
        key = (percentile, followup_days)
        if key not in self._worklists:
            work = stalled(self.cases, percentile=percentile, followup_days=followup_days)
            self._worklists[key] = (with_next_actions(work, self.process, lang=self.lang),
                                    phase_thresholds(self.cases, percentile=percentile))
            if len(self._worklists) > _CACHE_SIZE:
                self._worklists.popitem(last=False)
        return self._worklists[key]

    def _update(self, _change=None) -> None:
        c = self.controls
        key = (c["percentile"].value, c["followup_days"].value, c["phase"].value)
        view = self._views.get(key)
        if view is None:
            worklist, thresholds = self._worklist(*key[:2])
            phase = key[2]
            if phase == ALL:
                result = worklist
            else:
                result = worklist[(worklist["phase"].astype(object) == phase).to_numpy()].reset_index(drop=True)
                result.attrs.update(worklist.attrs)
            by_office = "office" in result.columns

            def chart_key(view_key):
                # Offices × phases does not depend on the follow-up delay (only the reasons do):
                # a follow-up change reuses the chart drawn for the same percentile and phase.
                percentile, followup_days, phase = view_key
                return percentile, phase, None if by_office else followup_days

            chart = next((v[2:] for k, v in self._views.items() if chart_key(k) == chart_key(key)), None)
            if chart is None:
                if by_office:
                    matrix = chartdata.stalled_matrix(result, cases=self.cases, thresholds=thresholds)
                else:  # a log without offices: where they stall by next-action reason instead
                    matrix = chartdata.stalled_matrix(result, rows="reason", cases=self.cases, thresholds=thresholds)
                chart = (matrix, plots.stalled_heatmap_html(matrix, lang=self.lang, process=self.process))
            view = (worklist, result, *chart)
            self._views[key] = view
            if len(self._views) > _CACHE_SIZE:
                self._views.popitem(last=False)
        else:
            self._views.move_to_end(key)
        self.worklist, self.result, self.matrix, heatmap = view
        self.shown = self._display(self.result.head(self.top), numbers=False)  # what the table shows
        if len(self.result):
            text = self._t("worklist", n=_num(len(self.result), self.lang), open=_num(self._n_open, self.lang),
                           day=_fmt_day(self.as_of.day(), self.lang))
            if len(self.result) > self.top:
                text += self._t("worklist_top", top=self.top)
        else:
            text = self._t("no_stalled")
        self._status.value = _paragraph(text)
        self._table.value = _html_table(self.shown)
        self._chart.value = heatmap

    def _display(self, worklist: pd.DataFrame, *, numbers: bool) -> pd.DataFrame:
        """The worklist as an advisor reads it (masked ids, readable headers), as the report shows it."""
        words = worklist.drop(columns=["phase", "document"]).rename(columns={"phase_label": "phase"})
        words["case_id"] = _mask_ids(words["case_id"]).to_numpy()
        words["last_event"] = [_event_label(e, self.lang) for e in words["last_event"].astype(object)]
        return readable(words, self.lang, days_columns=DAYS_COLUMNS, numbers=numbers)

    def _on_save(self, _button) -> None:
        try:
            self.save()
        except OSError as error:  # e.g. the file is open in Excel, or the folder is read-only
            self._saved.value = _paragraph(self._t("not_saved", error=mask_text(str(error))))

    def save(self) -> Path:
        """Write the current worklist (:attr:`result`) to ``output_dir/worklist_<as_of day>.xlsx``.

        One sheet, readable headers, identifiers masked, days as numbers;
        text that starts like a formula (``=``, ``+``, ``-``, ``@``) is kept as
        text. Returns the path, also shown under the button.
        """
        from openpyxl import Workbook

        frame = self._display(self.result, numbers=True)
        self.output_dir.mkdir(parents=True, exist_ok=True)
        path = (self.output_dir / f"worklist_{self.as_of.day().isoformat()}.xlsx").resolve()
        book = Workbook()
        book.remove(book.active)
        add_sheet(book, self._t("sheet"), frame)
        book.save(path)
        self.last_saved = path
        self._saved.value = _paragraph(self._t("saved", n=_num(len(frame), self.lang), path=str(path)))
        return path

    def __repr__(self) -> str:
        return f"StallExplorer({len(self.result):,} dossiers to follow up, lang={self.lang!r})"


# ============================================================================ triggers
class TriggerExplorer(_Explorer):
    """One delay trigger: how often, the days it goes with, the dossiers it hit, by office.

    Parameters
    ----------
    log : CaseLog
    as_of : date-like, optional
        Default: the log's latest event.
    lang : {"en", "fr"}

    Attributes
    ----------
    controls : dict
        ``trigger``: a Dropdown of the triggers recorded, most costly first
        (values are trigger keys, labels from the process model).
    summary : DataFrame
        ``trigger_summary(cases)`` with labels and prevention hints in ``lang``
        (``labels.with_trigger_labels``), computed once.
    row : Series
        The chosen trigger's row of ``summary`` (its median days to the next
        step is the one shown).
    result : DataFrame
        Every time the chosen trigger was raised (one row each, longest wait
        first): ``case_id``, ``office``, ``trigger``, ``raised_at``, ``phase``,
        ``status``, ``days_to_next_milestone``, ``next_milestone_reached``.
    by_office : DataFrame or None
        The trigger's rows of ``trigger_summary(cases, by="office", n_boot=0)``:
        dossiers affected, share of the office's dossiers,
        median days to the next step (no bootstrap interval: not shown).
    shown : DataFrame
        The first ``top`` rows of ``result`` as the table shows them.

    Notes
    -----
    The days to the next step of ``result`` follow the definitions of
    ``trigger_summary``: their Kaplan–Meier median (dossiers still waiting
    censored) is the summary's ``median_days_to_next_milestone``.

    Examples
    --------
    >>> from vitale_analysis import load
    >>> from vitale_analysis.widgets import TriggerExplorer
    >>> explorer = TriggerExplorer(load("data/sample_caselog.csv"), lang="fr")  # doctest: +SKIP
    >>> explorer.controls["trigger"].value = "missing_translation"  # doctest: +SKIP
    >>> explorer.by_office.head()  # doctest: +SKIP
    """

    kind = "trigger-explorer"

    def __init__(self, log: CaseLog, *, as_of=None, lang: str = "en", top: int = 25):
        super().__init__(log, lang=lang)
        self.top = int(top)
        self.cases = self._case_table(as_of)
        self.summary = with_trigger_labels(trigger_summary(self.cases), self.process, lang=self.lang)
        self.summary_by_office = (trigger_summary(self.cases, by="office", n_boot=0)
                                  if "office" in self.cases else None)
        self.events = trigger_events(self.cases)
        options = [(printable(mask_text(f"{row.label} ({_num(row.cases_affected, self.lang)})")), row.trigger)
                   for row in self.summary.itertuples(index=False)]
        picker = W.Dropdown(options=options, value=options[0][1] if options else None,
                            description=self._t("trigger"), disabled=not options,
                            style={"description_width": "initial"}, layout=W.Layout(width="640px"))
        self._control("trigger", picker)
        self._status = self._html("vitale-status")
        self._offices = self._html("vitale-table")
        self._offices.add_class("vitale-by-office")
        self._table = self._html("vitale-table")
        self._table.add_class("vitale-affected")
        self.widget = self._root([picker, self._status, self._offices, self._table])
        self._observe(self._update, "trigger")
        self._update()

    def _update(self, _change=None) -> None:
        key = self.controls["trigger"].value
        if key is None:
            self.row, self.result, self.by_office = None, self.events.iloc[0:0], None
            self._status.value = _paragraph(self._t("no_trigger"))
            self._table.value = self._offices.value = ""
            return
        lang = self.lang
        self.row = self.summary.loc[self.summary["trigger"] == key].iloc[0]
        mine = self.events[(self.events["trigger"] == key).to_numpy()]
        self.result = mine.sort_values(["days_to_next_milestone", "case_id"], ascending=[False, True],
                                       kind="mergesort").reset_index(drop=True)
        self.result.attrs.update(self.events.attrs)

        row = self.row
        median = float(row["median_days_to_next_milestone"])
        median_text = (self._t("not_reached") if np.isinf(median)
                       else self._t("days", d=_num(median, lang, 1)) if np.isfinite(median) else "–")
        lines = [
            self._t("trigger_head", label=row["label"], cases=_num(row["cases_affected"], lang),
                    share=_pct(row["share"], lang), events=_num(row["events"], lang),
                    phase=self._phase_label(row["phase"])),
            self._t("trigger_days", median=median_text),
        ]
        if np.isfinite(row["extra_days"]):
            lines.append(self._t("trigger_extra", extra=self._t("days", d=_num(row["extra_days"], lang, 1)),
                                 phase=self._phase_label(row["phase"])))
        if row["prevention"]:
            lines.append(self._t("prevention", text=row["prevention"]))
        self._status.value = "".join(_paragraph(mask_text(line)) for line in lines)

        if self.summary_by_office is not None:
            office = self.summary_by_office[self.summary_by_office["trigger"] == key]
            self.by_office = office.sort_values(["cases_affected", "office"], ascending=[False, True],
                                                kind="mergesort").reset_index(drop=True)
            shown = self._readable(self.by_office[["office", "cases_affected", "share",
                                                   "median_days_to_next_milestone"]])
            self._offices.value = _paragraph(self._t("by_office")) + _html_table(shown)
        else:
            self.by_office = None
            self._offices.value = ""
        self.shown = self._readable(self.result.drop(columns=["trigger"]).head(self.top))
        self._table.value = (_paragraph(self._t("affected", n=_num(len(self.result), lang)))
                             + _html_table(self.shown))

    def _readable(self, frame: pd.DataFrame) -> pd.DataFrame:
        lang = self.lang
        out = pd.DataFrame(index=frame.index)
        for column in frame.columns:
            values = frame[column]
            if column == "case_id":
                values = _mask_ids(values)
            elif column == "phase":
                values = values.astype(object).map(self._phase_label)
            elif column == "status":
                values = values.astype(object).map(self._t("status"))
            elif column == "next_milestone_reached":
                values = values.map({True: self._t("yes"), False: self._t("no")})
            elif column == "share":
                values = values.map(lambda v: _pct(v, lang))
            elif column in ("days_to_next_milestone", "median_days_to_next_milestone"):
                values = values.map(lambda v: "" if np.isnan(v) else self._t("not_reached") if np.isinf(v)
                                    else _num(v, lang, 1))
            elif pd.api.types.is_datetime64_any_dtype(values):
                values = _time_text(values)
            elif column == "cases_affected":
                values = values.map(lambda v: _num(v, lang))
            else:
                values = values.astype(object).map(lambda v: "" if pd.isna(v) else mask_text(str(v)))
            out[self._t("col").get(column, column)] = values.to_numpy()
        return _safe_frame(out.reset_index(drop=True))

    def __repr__(self) -> str:
        key = self.controls["trigger"].value
        return f"TriggerExplorer({key!r}, {len(self.result):,} times raised, lang={self.lang!r})"


# ============================================================================ one dossier
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
        apart with `` (2)``, `` (3)`` …). The real ids stay in Python.
    timeline : DossierTimeline
        ``chartdata.dossier_timeline(cases, case_id)`` of the dossier shown.
    result : DataFrame
        The dossier's events up to ``as_of`` as the table shows them, before
        the headers are translated: ``case_id`` masked, ``timestamp``,
        ``event``, ``trigger``, ``note`` (any social security number in it
        masked) and the log's event attributes.
    shown : DataFrame
        ``result`` as the table shows it (events and triggers in words).
    figure : Figure
        ``plots.plot_dossier_timeline(timeline)``.

    Notes
    -----
    A Combobox sends every label to the browser: with tens of thousands of
    dossiers the list is a few megabytes; typing narrows it.

    Examples
    --------
    >>> from vitale_analysis import load
    >>> from vitale_analysis.widgets import CaseViewer
    >>> viewer = CaseViewer(load("data/sample_caselog.csv"), case_id="D000025")  # doctest: +SKIP
    >>> viewer.controls["dossier"].value = "D000026"  # doctest: +SKIP
    """

    kind = "case-viewer"

    def __init__(self, log: CaseLog, *, as_of=None, lang: str = "en", case_id: str | None = None):
        super().__init__(log, lang=lang)
        self.cases = self._case_table(as_of)
        ids = self.cases["case_id"].astype(object).to_numpy()
        masked = _mask_ids(pd.Series(ids, dtype=object)).astype(str).to_numpy()
        labels, seen = [], {}
        for label in masked:
            seen[label] = seen.get(label, 0) + 1
            labels.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
        self._rows = {label: i for i, label in enumerate(labels)}  # masked label → row of the case table
        start = 0
        if case_id is not None:
            where = np.flatnonzero(ids == case_id)
            if not len(where):
                raise CaseLogError(f"case_id: no dossier {mask_text(str(case_id))!r} in this log "
                                   f"(as of {self.cases.as_of}); pick one in the list instead.")
            start = int(where[0])
        picker = W.Combobox(options=labels, value=labels[start] if labels else "", ensure_option=True,
                            placeholder=self._t("dossier_placeholder"), description=self._t("dossier"),
                            style={"description_width": "initial"}, layout=W.Layout(width="420px"))
        self._control("dossier", picker)
        self._status = self._html("vitale-status")
        self._chart = self._chart_output()
        self._table = self._html("vitale-table")
        self.widget = self._root([picker, self._status, self._chart, self._table])
        self._observe(self._update, "dossier")
        self._update()

    def _update(self, _change=None) -> None:
        label = self.controls["dossier"].value
        row = self._rows.get(label)
        if row is None:  # partly typed text: wait for a dossier of the list
            self._status.value = _paragraph(self._t("pick"))
            return
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
        result["case_id"] = _mask_ids(result["case_id"]).to_numpy()
        for column in columns[4:]:
            result[column] = result[column].astype(object).map(lambda v: None if pd.isna(v) else mask_text(str(v)))
        self.result = result
        self.shown = self._readable(result)

        n_rows = len(timeline.phases) + timeline.events.loc[~timeline.events["milestone"], "event"].nunique() \
            + timeline.events["trigger"].dropna().nunique()
        fig, ax = _new_figure(9.5, max(3.2, 0.36 * n_rows + 2.2))
        plots.plot_dossier_timeline(timeline, lang=self.lang, ax=ax)
        self.figure = fig
        status = self._t("status").get(timeline.status, timeline.status)
        self._status.value = _paragraph(self._t("dossier_head", label=label, status=status,
                                                n=_num(len(result), self.lang),
                                                day=_fmt_day(as_of.day(), self.lang)))
        _show_png(self._chart, _png(fig), mask_text(_chart_title(ax)))
        self._table.value = _html_table(self.shown)

    def _readable(self, frame: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame({
            "case_id": frame["case_id"].astype(str),
            "timestamp": _time_text(frame["timestamp"]),
            "event": [_event_label(e, self.lang) for e in frame["event"].astype(object)],
            "trigger": ["" if pd.isna(k) else self._trigger_label(k) for k in frame["trigger"].astype(object)],
        })
        for column in frame.columns[4:]:
            out[column] = frame[column].map(lambda v: "" if v is None else v)
        return _safe_frame(out.rename(columns=self._t("col")))

    def __repr__(self) -> str:
        return f"CaseViewer({self.controls['dossier'].value!r}, lang={self.lang!r})"
