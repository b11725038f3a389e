"""Time per phase (median and interquartile range, updated in place for the explorers) and survival curves."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .. import i18n
from ..chartdata import Population
from ..errors import CaseLogError
from ..process import ProcessModel
from ._style import (
    _masked, _COHORT_COLOURS, _COHORT_LINESTYLES, _MUTED, phase_colours,
)
from ._axes import (
    _t, _milestone_phrase, _fmt_num, _fmt_days, _fmt_date, _number_axis, _days_word, _group_label, _population,
    _population_text, _title, _new_axes, _nothing_to_show, _too_few, _require, _clean_axes, _legend_below,
    _named, _check,
)


_PHASE_SUMMARY_COLUMNS = {"phase", "n", "n_finished", "n_open", "n_closed", "n_no_duration", "p25_days",
                          "median_days", "median_days_ci_low", "median_days_ci_high", "p75_days", "p90_days",
                          "median_days_completed_only"}
_CI_COLUMNS = ("median_days_ci_low", "median_days_ci_high")


@_masked
def plot_phase_durations(
    table: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    lang: str = "en",
    process: ProcessModel | None = None,
    population=None,
    ax: Axes | None = None,
) -> Axes:
    """Time per phase: Kaplan–Meier median, interquartile range, and the completed-only median.

    Parameters
    ----------
    table : DataFrame
        From :func:`vitale_analysis.chartdata.phase_quartiles` (median with
        the 25th–75th percentile box) or :func:`~vitale_analysis.phase_summary`
        (no ``p25_days``: the box runs from the median to the 75th percentile).
    by : str or list of str, optional
        Cohort columns of the table; default every column that is not a
        summary column (so a table made with ``by="channel"`` is split by
        channel). Each phase then gets a header row and one row per cohort,
        named on the axis.
    lang : {"en", "fr"}
    process : ProcessModel, optional
        For phase labels and colours (default Carte Vitale).
    population : DataFrame or chartdata.Population, optional
        What the title states; default the table's ``attrs``.
    ax : Axes, optional

    Returns
    -------
    Axes
        One row per phase (and cohort): a box in the phase's colour from
        ``p25_days`` to ``p75_days``, a black bar at ``median_days``, a white
        dot at ``median_days_completed_only``; when the table has the
        median's interval (``median_days_ci_low`` / ``median_days_ci_high``),
        a thin black whisker across it (one that runs off the right edge with
        an arrow when its upper end is ``inf``). A median Kaplan–Meier cannot
        reach yet (``inf``) is an arrow at the right edge marked "median not
        reached"; an ``inf`` 75th percentile is a box that runs off the right
        edge with an arrow. Each row is annotated with its ``n`` and
        ``n_open``.
    """
    process = _check(lang, process)
    _require(table, ["phase", "median_days", "p75_days", "median_days_completed_only"],
             "phase_summary() or chartdata.phase_quartiles()")
    groups = ([by] if isinstance(by, str) else list(by)) if by is not None else \
        [c for c in table.columns if c not in _PHASE_SUMMARY_COLUMNS]
    missing = [g for g in groups if g not in table.columns]
    if missing:
        raise CaseLogError(f"by={by!r}: the table has no column(s) {missing}; its columns are {list(table.columns)}.")
    has_p25 = "p25_days" in table.columns
    has_ci = all(c in table.columns for c in _CI_COLUMNS)
    days_word = _days_word(table.attrs, lang)
    colours = phase_colours(process)
    labels = process.phase_labels(lang)

    group_values = (table[groups].drop_duplicates().reset_index(drop=True) if groups
                    else pd.DataFrame(index=[0]))
    n_groups = len(group_values)
    present = set(table["phase"].astype(object))  # once, not once per phase
    phases = [p for p in process.phase_keys if p in present]
    n_rows = len(phases) * (n_groups + (1 if groups else 0))
    ax = _new_axes(ax, (8.5, max(3.2, 0.34 * n_rows + 2.2)))
    pop = _population(table, population)
    _title(ax, f"{_t('phase_title', lang)} ({days_word})", _population_text(pop, lang, table.attrs.get("as_of")))
    reason = _phase_reason(table, pop)
    if reason:
        return _nothing_to_show(ax, lang, reason)

    right = _phase_right(table)

    # Rows: top to bottom, one per phase; with cohorts, a header row per phase then one row per cohort.
    y_ticks, y_labels, bold = [], [], []
    y = 0.0
    key_rows = []
    for phase in phases:
        if groups:
            y_ticks.append(y)
            y_labels.append(labels[phase])
            bold.append(True)
            y += 1
        for g in range(n_groups):
            sel = table["phase"].astype(object) == phase
            for name in groups:
                value = group_values.loc[g, name]
                sel &= table[name].isna() if pd.isna(value) else (table[name] == value)
            rows = table[sel.to_numpy()]
            if rows.empty:
                continue
            record = rows.iloc[0]
            y_ticks.append(y)
            y_labels.append(_group_label(group_values.iloc[g], groups, lang, table.attrs.get("labels"))
                            if groups else labels[phase])
            bold.append(False)
            key_rows.append((y, phase, g, record))
            y += 1
    n_drawn = y

    box_height = 0.5
    any_not_reached = any_ci = False
    for y, phase, g, rec in key_rows:
        colour = colours[phase]
        # (artists are named by the codes, not the shown words: the same in every language)
        key = f"{phase}|{' · '.join(str(v) for v in group_values.iloc[g])}" if groups else phase
        median = float(rec["median_days"])
        low = float(rec["p25_days"]) if has_p25 else median
        high = float(rec["p75_days"])
        if np.isfinite(low):
            box_right = high if np.isfinite(high) else right
            _named(ax.barh(y, box_right - low, left=low, height=box_height, color=colour, edgecolor="#333333",
                           linewidth=0.8), f"_iqr|{key}")
            if not np.isfinite(high):
                any_not_reached = True
                ax.plot([right], [y], marker=">", markersize=9, color=colour, markeredgecolor="#333333",
                        clip_on=False, label=f"_p75_not_reached|{key}")
        if np.isfinite(median):
            ax.plot([median, median], [y - box_height / 2 - 0.06, y + box_height / 2 + 0.06], color="black",
                    linewidth=2.6, solid_capstyle="butt", label=f"_median|{key}")
            ci_low, ci_high = (float(rec[c]) for c in _CI_COLUMNS) if has_ci else (np.nan, np.nan)
            if np.isfinite(ci_low):
                any_ci = True
                open_ended = not np.isfinite(ci_high)
                ax.plot([ci_low, right if open_ended else ci_high], [y, y], color="black", linewidth=1.1,
                        marker="|", markersize=9, markeredgewidth=1.4, markevery=[0] if open_ended else None,
                        zorder=3.5, label=f"_median_ci|{key}")
                if open_ended:
                    ax.plot([right], [y], marker=">", markersize=6, color="black", linestyle="none", clip_on=False,
                            zorder=3.5, label=f"_median_ci_open|{key}")
        elif not np.isnan(median):
            any_not_reached = True
            ax.annotate("", xy=(right, y), xytext=(right * 0.86, y),
                        arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.6})
            ax.plot([right], [y], linestyle="none", marker="", label=f"_median_not_reached|{key}")
            ax.text(right * 0.85, y, _t("median_not_reached", lang), ha="right", va="center",
                    fontsize=8.5, fontstyle="italic", zorder=5,
                    bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.9})
        completed = float(rec["median_days_completed_only"])
        if np.isfinite(completed):
            ax.plot([completed], [y], linestyle="none", marker="o", markersize=6.5, markerfacecolor="white",
                    markeredgecolor="black", markeredgewidth=1.2, zorder=4, label=f"_completed|{key}")
        ax.annotate(_phase_note(rec, lang), xy=(1.03, y), xycoords=("axes fraction", "data"), va="center", ha="left",
                    fontsize=8, color=_MUTED)

    ax.set_yticks(y_ticks, y_labels)
    for label, is_bold in zip(ax.get_yticklabels(), bold):
        if is_bold:
            label.set_fontweight("bold")
    ax.set_ylim(n_drawn - 0.5, -0.7)
    ax.set_xlim(0, right)
    _clean_axes(ax)
    _number_axis(ax.xaxis, lang)
    ax.set_xlabel(_t("phase_x" if has_p25 else "phase_x_p75", lang, days=days_word.capitalize()))
    handles = [
        Patch(facecolor="#BBBBBB", edgecolor="#333333", label=_t("iqr" if has_p25 else "median_p75", lang)),
        Line2D([], [], color="black", linewidth=2.6, marker="|", markersize=0, label=_t("km_median", lang)),
        Line2D([], [], linestyle="none", marker="o", markerfacecolor="white", markeredgecolor="black",
               label=_t("completed_median", lang)),
    ]
    if any_ci:
        handles.append(Line2D([], [], color="black", linewidth=1.1, marker="|", markersize=9, markeredgewidth=1.4,
                                 label=_t("median_ci", lang, level=_ci_level(table, lang))))
    if any_not_reached:
        handles.append(Line2D([], [], linestyle="none", marker=">", markersize=8, color="#BBBBBB",
                              markeredgecolor="#333333", label=_t("beyond", lang)))
    _legend_below(ax, handles, ncol=3 if len(handles) == 3 else 2)
    return ax


def _phase_reason(table: pd.DataFrame, pop: Population | None) -> str | None:
    empty = len(table) == 0 or ("n" in table.columns and not (table["n"] > 0).any())
    return _too_few(pop) or ("no_dossier" if empty else None)


def _ci_level(table: pd.DataFrame, lang: str) -> str:
    """The interval's level as the reader sees it: ``95%`` / ``95 %``."""
    confidence = table.attrs.get("confidence") or 0.95
    level = round(float(confidence) * 100, 1)
    return i18n.percent(level, lang, 0 if level.is_integer() else 1)


def _phase_right(table: pd.DataFrame) -> float:
    """The x axis' right end: the largest finite day drawn, plus room."""
    values = table[[c for c in ("p25_days", "median_days", "p75_days", "median_days_completed_only", *_CI_COLUMNS)
                    if c in table]]
    finite = values.to_numpy(dtype=float)
    finite = finite[np.isfinite(finite)]
    right = float(finite.max()) * 1.12 if finite.size else 10.0
    return max(right, 1.0)


def _phase_note(rec, lang: str) -> str:
    return _t("row_n", lang, n=_fmt_num(int(rec.get("n", 0)), lang), open=_fmt_num(int(rec.get("n_open", 0)), lang))


@_masked
def update_phase_durations(
    ax: Axes,
    table: pd.DataFrame,
    *,
    lang: str = "en",
    process: ProcessModel | None = None,
) -> bool:
    """Show another table on a chart :func:`plot_phase_durations` drew, in place, when it can.

    Moving the boxes, bars and dots of a chart already drawn, and changing its
    notes and title, is much quicker than drawing a new chart (an explorer does
    it on each filter change). It is done only when the result is the chart
    ``plot_phase_durations(table, lang=lang, process=process, ax=fresh_axes)``
    would draw: both the table and the chart on ``ax`` are of
    :func:`~vitale_analysis.chartdata.phase_quartiles` (with ``p25_days``),
    without cohorts, with the same phases, language and days, and every row
    of both has a box, a median bar and a finished-only dot (no "not
    reached" mark, no "Nothing to show"), and, when the table has the
    median's interval, a whisker with both ends finite.

    Parameters
    ----------
    ax : Axes
        Drawn by :func:`plot_phase_durations` (no ``by``, no ``population``).
    table : DataFrame
        As for :func:`plot_phase_durations`, without cohort columns.
    lang, process
        As ``ax`` was drawn with.

    Returns
    -------
    bool
        True when ``ax`` now shows ``table``; False when it was left as it was
        (draw the table on a new Axes instead).
    """
    process = _check(lang, process)
    if not isinstance(table, pd.DataFrame) or ax.get_gid() == "nothing-to-show":
        return False
    if [c for c in table.columns if c not in _PHASE_SUMMARY_COLUMNS] or "p25_days" not in table.columns:
        return False
    days_word = _days_word(table.attrs, lang)
    if ax.get_xlabel() != _t("phase_x", lang, days=days_word.capitalize()):
        return False
    pop = _population(table, None)
    if _phase_reason(table, pop):
        return False
    labels = process.phase_labels(lang)
    rows = {str(phase): rec for phase, rec in zip(table["phase"].astype(object), table.to_dict("records"))}
    phases = [p for p in process.phase_keys if p in rows]
    if len(rows) != len(table) or [t.get_text() for t in ax.get_yticklabels()] != [labels[p] for p in phases]:
        return False
    marks = {}
    for artist in [*ax.patches, *ax.lines]:
        kind, _, key = artist.get_label().partition("|")
        if kind.startswith("_") and key:
            marks[kind, key] = artist
    has_ci = all(c in table.columns for c in _CI_COLUMNS)
    kinds = ("_iqr", "_median", "_completed", "_median_ci") if has_ci else ("_iqr", "_median", "_completed")
    if set(marks) != {(kind, p) for p in phases for kind in kinds}:
        return False  # a "not reached" mark, a row without a box, bar or dot, or whiskers not as the table's
    notes = {round(t.xy[1]): t for t in ax.texts if getattr(t, "xy", None) is not None and t.xy[0] == 1.03}
    if len(notes) != len(phases):
        return False
    columns = ("p25_days", "median_days", "p75_days", "median_days_completed_only", *(_CI_COLUMNS if has_ci else ()))
    values = {p: [float(rows[p][c]) for c in columns] for p in phases}
    if not all(np.isfinite(v).all() for v in values.values()):
        return False

    for y, phase in enumerate(phases):
        low, median, high, completed = values[phase][:4]
        if has_ci:
            marks["_median_ci", phase].set_xdata(values[phase][4:])
        box = marks["_iqr", phase]
        box.set_x(low)
        box.set_width(high - low)
        marks["_median", phase].set_xdata([median, median])
        marks["_completed", phase].set_xdata([completed])
        notes[y].set_text(_phase_note(rows[phase], lang))
    _title(ax, f"{_t('phase_title', lang)} ({days_word})", _population_text(pop, lang, table.attrs.get("as_of")))
    ax.set_xlim(0, _phase_right(table))
    return True


# ============================================================================ survival curves
@_masked
def plot_survival(
    curves: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    lang: str = "en",
    process: ProcessModel | None = None,
    population=None,
    ax: Axes | None = None,
) -> Axes:
    """Survival curves: the share of dossiers still waiting after so many days, per cohort.

    Parameters
    ----------
    curves : DataFrame
        From :func:`vitale_analysis.chartdata.km_curves` (over
        ``phase_times`` or ``milestone_times``): what is measured (a phase,
        or the time to a milestone) is read from its ``attrs``.
    by : str or list of str, optional
        Cohort columns; default the curves' ``by``.
    lang, process, population, ax
        As in :func:`plot_phase_durations`.

    Returns
    -------
    Axes
        One step line per cohort (``get_xdata()`` = ``days``,
        ``get_ydata()`` = ``survival`` × 100), legend entries with the
        cohort's ``n`` and Kaplan–Meier median ("median not reached" when
        ``inf``), and a dotted line at 50 %.
    """
    process = _check(lang, process)
    _require(curves, ["days", "survival", "n", "median_days"], "chartdata.km_curves()")
    groups = curves.attrs.get("by", []) if by is None else ([by] if isinstance(by, str) else list(by))
    attrs = curves.attrs
    days_word = _days_word(attrs, lang)
    if attrs.get("curve") == "phase" and attrs.get("phase"):
        phase = attrs["phase"]
        what = _t("surv_phase_title", lang, phase=process.phase(phase).label_in(lang))
        x_label = _t("surv_x_phase", lang, days=days_word.capitalize())
        line_colour = phase_colours(process).get(phase, "black")
        y_label = _t("surv_y_phase", lang)
    else:
        what = _t("surv_milestone_title", lang, milestone=_milestone_phrase(attrs.get("milestone"), 0, lang))
        x_label = _t("surv_x_milestone", lang, days=days_word.capitalize(),
                     start=_milestone_phrase(attrs.get("start"), 1, lang))
        line_colour = "black"
        y_label = _t("surv_y", lang)
    ax = _new_axes(ax, (8, 5))
    pop = _population(curves, population)
    _title(ax, what, _population_text(pop, lang, attrs.get("as_of")))
    reason = _too_few(pop) or ("no_dossier" if len(curves) == 0 else None)
    if reason:
        return _nothing_to_show(ax, lang, reason)

    keys = curves[groups].drop_duplicates().reset_index(drop=True) if groups else pd.DataFrame(index=[0])
    for g in range(len(keys)):
        sel = np.ones(len(curves), dtype=bool)
        for name in groups:
            value = keys.loc[g, name]
            sel &= (curves[name].isna() if pd.isna(value) else (curves[name] == value)).to_numpy()
        part = curves[sel]
        n = int(part["n"].iloc[0])
        median = float(part["median_days"].iloc[0])
        name = _group_label(keys.iloc[g], groups, lang, attrs.get("labels")) if groups else _t("all_dossiers", lang)
        if np.isfinite(median):
            label = _t("surv_entry", lang, group=name, n=_fmt_num(n, lang), median=_fmt_days(median, lang, attrs.get("days") == "working"))
        else:
            label = _t("surv_entry_nr", lang, group=name, n=_fmt_num(n, lang))
        colour = _COHORT_COLOURS[g % len(_COHORT_COLOURS)] if groups else line_colour
        style = _COHORT_LINESTYLES[g % len(_COHORT_LINESTYLES)] if groups else "-"
        ax.plot(part["days"].to_numpy(dtype=float), part["survival"].to_numpy(dtype=float) * 100,
                drawstyle="steps-post", color=colour, linestyle=style, linewidth=2, label=label)
    ax.axhline(50, color=_MUTED, linestyle=":", linewidth=1)
    ax.text(0.995, 50, _t("half", lang), transform=ax.get_yaxis_transform(), ha="right", va="bottom",
            fontsize=8, color=_MUTED)
    ax.set_ylim(0, 102)
    ax.set_xlim(0, float(curves["days"].max()) * 1.02 or 1.0)
    _clean_axes(ax, "both")
    _number_axis(ax.xaxis, lang)
    _number_axis(ax.yaxis, lang, percent=True)
    ax.set_ylabel(y_label)
    ax.set_xlabel(x_label)
    as_of = attrs.get("as_of")
    legend_title = (_t("surv_legend", lang, as_of=_fmt_date(as_of, lang)) if as_of is not None
                    else _t("surv_legend_plain", lang))
    ax.legend(title=legend_title, loc="upper right", fontsize=9, title_fontsize=8.5, frameon=True, framealpha=0.9)
    return ax


