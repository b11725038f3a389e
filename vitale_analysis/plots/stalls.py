"""Where dossiers stall: the stalled heat map (drawn, or as an HTML table) and open dossiers by age."""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from ..errors import CaseLogError
from ..privacy import mask_text
from ..process import ProcessModel
from ._style import (
    _masked, _SEQUENTIAL, _GRID, phase_colours,
)
from ._axes import (
    _NNBSP, _t, _fmt_num, _fmt_date, _number_axis, _days_word, _wrap, _column_label, _cohort_label, _population,
    _population_text, _title, _new_axes, _nothing_to_show, _too_few, _require, _clean_axes, _check,
)


@dataclass(frozen=True)
class _HeatmapWords:
    """What the stall heat map says, worked out once for the Agg and the HTML versions."""

    title: str
    who: str
    rows_word: str
    reason: str | None  # "no_dossier" / "no_stalled": a message instead of the grid
    column_labels: list[list[str]]  # per phase: its label's lines, then its threshold
    row_labels: list[str]
    counts: np.ndarray  # float, as the image holds it
    vmax: float


def _stalled_heatmap_words(matrix: pd.DataFrame, lang: str, process: ProcessModel, population) -> _HeatmapWords:
    if not isinstance(matrix, pd.DataFrame):
        raise CaseLogError(f"matrix: expected a DataFrame from chartdata.stalled_matrix(), got {type(matrix).__name__}.")
    unknown = [c for c in matrix.columns if c not in process.phase_keys]
    if unknown:
        raise CaseLogError(f"matrix: column(s) {unknown} are not phases of {process.name!r}; "
                           "expected a table from chartdata.stalled_matrix().")
    attrs = matrix.attrs
    rows_name = attrs.get("rows", matrix.index.name or "office")
    rows_word = _column_label(rows_name, lang)
    pop = _population(matrix, population)
    n_stalled = int(attrs.get("n_stalled", 0))
    if pop is not None and pop.n_open is not None:
        who = _t("stall_pop", lang, n=int(n_stalled), open=int(pop.n_open))
    else:
        who = _t("stall_pop_plain", lang, n=int(n_stalled))
    as_of = pop.as_of if pop is not None and pop.as_of is not None else attrs.get("as_of")
    if as_of is not None:
        who += ", " + _t("as_of", lang, day=_fmt_date(as_of, lang))
    counts = matrix.to_numpy(dtype=float)
    reason = None
    if pop is not None and pop.n_cases == 0:
        reason = "no_dossier"
    elif len(matrix) == 0 or not (counts > 0).any():
        reason = "no_stalled"
    thresholds = attrs.get("thresholds", {})
    column_labels = []
    for key in matrix.columns:
        lines = _wrap(process.phase(key).label_in(lang), 14).split("\n")
        if key in thresholds and np.isfinite(thresholds[key]):
            lines.append(_t("threshold", lang, days=_fmt_num(thresholds[key], lang)))
        column_labels.append(lines)
    return _HeatmapWords(
        title=_t("stall_title", lang, rows=rows_word), who=who, rows_word=rows_word, reason=reason,
        column_labels=column_labels, row_labels=[_cohort_label(v, rows_name, lang, attrs.get("labels")) for v in matrix.index],
        counts=counts, vmax=max(1.0, float(counts.max())) if counts.size else 1.0,
    )


def _heatmap_cmap():
    # Zero cells are masked (white): "no stalled dossier here" must not look like "a few".
    return matplotlib.colormaps[_SEQUENTIAL].with_extremes(bad="white")


def _dark_cell(value: float, vmax: float) -> bool:
    """White text on the cells dark enough for it (the same rule in both versions)."""
    return value > 0.55 * vmax


@_masked
def plot_stalled_heatmap(
    matrix: pd.DataFrame,
    *,
    lang: str = "en",
    process: ProcessModel | None = None,
    population=None,
    ax: Axes | None = None,
) -> Axes:
    """Where dossiers stall now: stalled counts by office (rows) × phase (columns).

    Parameters
    ----------
    matrix : DataFrame
        From :func:`vitale_analysis.chartdata.stalled_matrix`.
    lang, process, population, ax
        As in :func:`plot_phase_durations`.

    Returns
    -------
    Axes
        An image whose array equals ``matrix.to_numpy()``, each cell written
        out (blank for 0), columns labelled with the phase and its threshold
        in days, and a colour bar.

    See Also
    --------
    stalled_heatmap_html : the same table as an HTML heat map (what the
        StallExplorer shows: drawn in a millisecond, text a screen reader reads).
    """
    process = _check(lang, process)
    words = _stalled_heatmap_words(matrix, lang, process, population)
    n_rows = len(matrix)
    ax = _new_axes(ax, (8.5, max(3.5, 0.3 * n_rows + 2.6)))
    _title(ax, words.title, words.who)
    if words.reason:
        return _nothing_to_show(ax, lang, words.reason)

    counts, vmax = words.counts, words.vmax
    image = ax.imshow(np.ma.masked_equal(counts, 0), cmap=_heatmap_cmap(), vmin=0, vmax=vmax, aspect="auto",
                      interpolation="nearest")
    for (i, j), value in np.ndenumerate(counts):
        if value > 0:
            ax.text(j, i, _fmt_num(value, lang), ha="center", va="center", fontsize=8.5,
                    color="white" if _dark_cell(value, vmax) else "black",
                    in_layout=False)  # inside its cell: the layout need not measure it (hundreds of cells)
    ax.set_xticks(range(len(matrix.columns)), ["\n".join(lines) for lines in words.column_labels], fontsize=8.5)
    ax.xaxis.tick_top()
    ax.set_yticks(range(n_rows), words.row_labels, fontsize=8.5)
    ax.set_ylabel(words.rows_word)
    ax.set_xticks(np.arange(-0.5, len(matrix.columns)), minor=True)
    ax.set_yticks(np.arange(-0.5, n_rows), minor=True)
    ax.grid(which="minor", color=_GRID, linewidth=0.8)
    ax.tick_params(which="minor", length=0)
    ax.tick_params(which="major", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    bar = ax.figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label(_t("stall_bar", lang))
    bar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    _number_axis(bar.ax.yaxis, lang)
    return ax


_HEATMAP_CSS = (
    "<style>"
    ".vitale-heatmap table{border-collapse:collapse;font-size:12px;margin:4px 0}"
    ".vitale-heatmap caption{caption-side:top;text-align:left;padding:2px 0 6px}"
    ".vitale-heatmap caption b{font-size:14px}"
    ".vitale-heatmap th{font-weight:normal;padding:2px 6px;vertical-align:bottom}"
    ".vitale-heatmap thead th{text-align:center;line-height:1.25}"
    ".vitale-heatmap tbody th{text-align:right;white-space:nowrap}"
    ".vitale-heatmap td{border:1px solid #DDDDDD;min-width:64px;padding:2px 6px;text-align:center;"
    "font-variant-numeric:tabular-nums}"
    ".vitale-heatmap .vitale-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);"
    "white-space:nowrap}"
    ".vitale-heatmap .vitale-scale{display:flex;align-items:center;gap:6px;font-size:12px;margin:2px 0 4px}"
    ".vitale-heatmap .vitale-ramp{display:inline-block;width:160px;height:10px;border:1px solid #DDDDDD}"
    "</style>"
)


def stalled_heatmap_html(
    matrix: pd.DataFrame,
    *,
    lang: str = "en",
    process: ProcessModel | None = None,
    population=None,
) -> str:
    """The stall heat map as an HTML table: what :func:`plot_stalled_heatmap` draws, as text.

    Parameters
    ----------
    matrix : DataFrame
        From :func:`vitale_analysis.chartdata.stalled_matrix`.
    lang, process, population
        As in :func:`plot_stalled_heatmap`.

    Returns
    -------
    str
        A ``<div class="vitale-heatmap">`` holding a ``<table>``: its caption
        is the chart's title and population; one column per phase (its label
        and threshold, as the chart's axis), one row per office (``th``
        cells); each count in its cell, on the background colour the chart
        gives it (the same colour map and scale, ``vmin`` 0, ``vmax`` the
        largest count) with white text on the dark cells. A zero cell is white
        and shows nothing, as in the chart (a "0" is kept for screen readers).
        Below the table, the colour scale from 0 to the largest count. When
        there is nothing to show, the caption and the chart's message instead.
        All text is escaped; numbers that look like a social security number
        are masked.

    Examples
    --------
    >>> import vitale_analysis as va
    >>> from vitale_analysis import chartdata, plots
    >>> cases = va.case_table(va.load("data/sample_caselog.csv"))
    >>> html = plots.stalled_heatmap_html(chartdata.stalled_matrix(va.stalled(cases), cases=cases), lang="fr")
    >>> "<table" in html and "CPAM 75" in html
    True
    """
    from html import escape

    from matplotlib.colors import Normalize, to_hex

    process = _check(lang, process)
    words = _stalled_heatmap_words(matrix, lang, process, population)

    def text(value: str) -> str:
        return escape(mask_text(str(value)))

    colon = f"{_NNBSP}:" if lang == "fr" else ":"

    caption = f"<caption><b>{text(words.title)}</b><br>{text(words.who)}</caption>"
    if words.reason:
        return (f'{_HEATMAP_CSS}<div class="vitale-heatmap"><table>{caption}</table>'
                f'<p><b>{text(_t("nothing", lang))}</b>{colon} {text(_t(words.reason, lang))}</p></div>')

    cmap, vmax = _heatmap_cmap(), words.vmax
    # The colour map over the whole grid at once, as imshow maps it (one call, not one per cell).
    rgb = np.rint(cmap(Normalize(vmin=0, vmax=vmax)(words.counts))[..., :3] * 255).astype(int)
    corner = words.rows_word[:1].upper() + words.rows_word[1:]
    head = "".join(f'<th scope="col">{"<br>".join(text(line) for line in lines)}</th>'
                   for lines in words.column_labels)
    rows = []
    for label, values, colours in zip(words.row_labels, words.counts, rgb):
        cells = []
        for value, (red, green, blue) in zip(values, colours):
            if value > 0:
                ink = "#ffffff" if _dark_cell(value, vmax) else "#000000"
                cells.append(f'<td style="background:#{red:02x}{green:02x}{blue:02x};color:{ink}">'
                             f"{text(_fmt_num(value, lang))}</td>")
            else:
                cells.append('<td style="background:#ffffff"><span class="vitale-sr">0</span></td>')
        rows.append(f'<tr><th scope="row">{text(label)}</th>{"".join(cells)}</tr>')
    ramp = ", ".join(to_hex(colour) for colour in cmap(np.linspace(0, 1, 9)))
    scale = (f'<div class="vitale-scale" aria-hidden="true"><span>{text(_t("stall_bar", lang))}{colon}</span>'
             f"<span>0</span>"
             f'<span class="vitale-ramp" style="background:linear-gradient(to right, {ramp})"></span>'
             f"<span>{text(_fmt_num(vmax, lang))}</span></div>")
    return (f'{_HEATMAP_CSS}<div class="vitale-heatmap"><table>{caption}'
            f'<thead><tr><th scope="col">{text(corner)}</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>{scale}</div>')


@_masked
def plot_open_by_age(
    table: pd.DataFrame,
    *,
    lang: str = "en",
    process: ProcessModel | None = None,
    population=None,
    ax: Axes | None = None,
) -> Axes:
    """Open dossiers by current phase, stacked by days already spent in that phase.

    Parameters
    ----------
    table : DataFrame
        From :func:`vitale_analysis.chartdata.open_by_age`.

    Returns
    -------
    Axes
        One horizontal bar per phase (top: the first phase); one stacked
        segment per age bin (light: recent, dark: old), ``ax.containers[k]``
        holding bin ``k`` with widths equal to the table's ``n``; each bar
        ends with the phase's ``n_phase``.
    """
    process = _check(lang, process)
    _require(table, ["phase", "days_from", "days_to", "n", "n_phase"], "chartdata.open_by_age()")
    days_word = _days_word(table.attrs, lang)
    present = set(table["phase"].astype(object))  # once, not once per phase
    phases = [p for p in process.phase_keys if p in present]
    ax = _new_axes(ax, (8.5, max(3.2, 0.45 * len(phases) + 2.4)))
    pop = _population(table, population)
    _title(ax, _t("age_title", lang), _population_text(pop, lang, table.attrs.get("as_of")))
    reason = _too_few(pop) or ("no_open" if len(table) == 0 or not (table["n"] > 0).any() else None)
    if reason:
        return _nothing_to_show(ax, lang, reason)

    edges = table.drop_duplicates(["days_from", "days_to"])[["days_from", "days_to"]].sort_values("days_from")
    cmap = matplotlib.colormaps[_SEQUENTIAL]
    shades = cmap(np.linspace(0.2, 0.95, len(edges)))
    positions = {p: i for i, p in enumerate(phases)}
    left = np.zeros(len(phases))
    for k, (lo, hi) in enumerate(edges.itertuples(index=False)):
        part = table[(table["days_from"] == lo) & (table["days_to"] == hi)]
        widths = np.zeros(len(phases))
        for phase, n in zip(part["phase"].astype(object), part["n"]):
            if phase in positions:
                widths[positions[phase]] = n
        if np.isfinite(hi):
            label = f"{_fmt_num(lo, lang)}–{_fmt_num(hi, lang)}"
        else:
            label = _t("age_last", lang, lo=_fmt_num(lo, lang))
        bars = ax.barh(range(len(phases)), widths, left=left, height=0.62, color=shades[k], edgecolor="white",
                       linewidth=0.8, label=label)
        for rect, width in zip(bars, widths):
            if width >= 0.045 * max(1, table["n_phase"].max()) and width > 0:
                ax.text(rect.get_x() + width / 2, rect.get_y() + rect.get_height() / 2, _fmt_num(width, lang),
                        ha="center", va="center", fontsize=8, color="white" if k >= len(edges) / 2 else "black",
                        in_layout=False)  # inside its bar
        left = left + widths
    totals = table.drop_duplicates("phase").set_index(table.drop_duplicates("phase")["phase"].astype(object))["n_phase"]
    for i, phase in enumerate(phases):
        ax.text(float(totals[phase]), i, "  " + _fmt_num(int(totals[phase]), lang), va="center", ha="left",
                fontsize=9, fontweight="bold")
    labels = process.phase_labels(lang)
    ax.set_yticks(range(len(phases)), [labels[p] for p in phases])
    for tick, phase in zip(ax.get_yticklabels(), phases):
        tick.set_color("black")
    # A coloured swatch beside each phase name, so the phase colours stay recognisable here too.
    colours = phase_colours(process)
    for i, phase in enumerate(phases):
        ax.add_patch(matplotlib.patches.Rectangle((-0.012, i - 0.31), 0.008, 0.62, transform=ax.get_yaxis_transform(),
                                                  color=colours[phase], clip_on=False))
    ax.invert_yaxis()
    ax.set_xlim(0, float(table["n_phase"].max()) * 1.12)
    _clean_axes(ax)
    _number_axis(ax.xaxis, lang)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(_t("age_x", lang))
    ax.legend(title=_t("age_legend", lang, days=days_word.capitalize()), loc="lower right", fontsize=8.5,
              title_fontsize=8.5, ncol=1, frameon=True, framealpha=0.95)
    return ax


