"""Delay triggers: the Pareto chart of days attributable or dossiers affected."""

from __future__ import annotations


import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..process import ProcessModel
from ._style import (
    _masked, _MUTED, phase_colours,
)
from ._axes import (
    _t, _fmt_num, _number_axis, _days_word, _wrap, _population, _population_text, _title, _new_axes,
    _nothing_to_show, _too_few, _require, _clean_axes, _legend_below, _check,
)


@_masked
def plot_trigger_pareto(
    table: pd.DataFrame,
    *,
    lang: str = "en",
    process: ProcessModel | None = None,
    population=None,
    ax: Axes | None = None,
) -> Axes:
    """Delay triggers ranked: days attributable (or dossiers affected), with the cumulative share.

    Parameters
    ----------
    table : DataFrame
        From :func:`vitale_analysis.chartdata.trigger_pareto` (its
        ``attrs["value"]`` says which measure the bars show).

    Returns
    -------
    Axes
        One horizontal bar per trigger, largest on top, coloured by the phase
        where it is raised (widths = ``value``; for days, error bars from
        ``value_ci_low`` to ``value_ci_high``); each bar annotated with the
        other measure; the cumulative share (%) as a line on a second x axis
        at the top. A trigger whose value could not be estimated (a median
        not reached) is listed with "not estimable".
    """
    process = _check(lang, process)
    _require(table, ["trigger", "phase", "value", "cumulative_share", "cases_affected", "total_days_attributable"],
             "chartdata.trigger_pareto()")
    value = table.attrs.get("value", "total_days_attributable")
    days_word = _days_word(table.attrs, lang)
    n_rows = len(table)
    ax = _new_axes(ax, (9, max(3.2, 0.42 * n_rows + 2.6)))
    pop = _population(table, population)
    _title(ax, _t("pareto_days_title" if value == "total_days_attributable" else "pareto_cases_title", lang),
           _population_text(pop, lang, table.attrs.get("as_of")))
    reason = _too_few(pop)
    if reason:
        return _nothing_to_show(ax, lang, reason)
    if n_rows == 0:
        return _nothing_to_show(ax, lang, "no_trigger")

    colours = phase_colours(process)
    ys = np.arange(n_rows)
    values = table["value"].to_numpy(dtype=float)
    bar_colours = [colours.get(str(p), "#999999") for p in table["phase"].astype(object)]
    ax.barh(ys, np.nan_to_num(values), height=0.66, color=bar_colours, edgecolor="#333333", linewidth=0.6)
    if value == "total_days_attributable" and {"value_ci_low", "value_ci_high"} <= set(table.columns):
        low = table["value_ci_low"].to_numpy(dtype=float)
        high = table["value_ci_high"].to_numpy(dtype=float)
        ok = np.isfinite(low) & np.isfinite(high) & np.isfinite(values)
        if ok.any():
            ax.errorbar(values[ok], ys[ok], xerr=[values[ok] - low[ok], high[ok] - values[ok]], fmt="none",
                        ecolor="#333333", elinewidth=1, capsize=3, label="_ci")
    finite = values[np.isfinite(values)]
    span = max(1.0, float(np.max(np.abs(finite)))) if finite.size else 1.0
    top = float(np.nanmax(np.r_[values, table.get("value_ci_high", pd.Series(dtype=float)).to_numpy(dtype=float), 0]))
    for y, rec, v in zip(ys, table.itertuples(index=False), values):
        if value == "total_days_attributable":
            note = _t("n_dossiers", lang, n=int(rec.cases_affected))
        else:
            total = rec.total_days_attributable
            note = (_t("n_days", lang, n=_fmt_num(total, lang), days=days_word) if np.isfinite(total)
                    else _t("not_estimable", lang))
        if not np.isfinite(v):
            note = _t("not_estimable", lang)
        x = max(v if np.isfinite(v) else 0, 0)
        if value == "total_days_attributable" and np.isfinite(getattr(rec, "value_ci_high", np.nan)):
            x = max(x, rec.value_ci_high)
        ax.text(x + span * 0.015, y, note, va="center", ha="left", fontsize=8, color=_MUTED)
    labels = []
    for rec in table.itertuples(index=False):
        model = process.triggers.get(str(rec.trigger))
        labels.append(_wrap(model.label_in(lang) if model else str(rec.trigger).replace("_", " "), 38))
    ax.set_yticks(ys, labels, fontsize=8.5)
    ax.set_ylim(n_rows - 0.5, -0.6)
    left = min(0.0, float(np.nanmin(np.r_[values, 0])) * 1.1)
    ax.set_xlim(left, max(top, 1.0) * 1.22)
    ax.axvline(0, color="#333333", linewidth=0.8)
    _clean_axes(ax)
    _number_axis(ax.xaxis, lang)
    ax.set_xlabel(_t("pareto_days_x", lang, days=days_word) if value == "total_days_attributable"
                  else _t("pareto_cases_x", lang))

    cumulative = ax.twiny()
    shares = table["cumulative_share"].to_numpy(dtype=float) * 100
    cumulative.plot(shares, ys, color="black", marker="o", markersize=4, linewidth=1.2, label="_cumulative")
    cumulative.set_xlim(0, 105)
    cumulative.set_xlabel(_t("pareto_cum", lang), fontsize=9, color=_MUTED)
    cumulative.tick_params(labelsize=8.5, colors=_MUTED)
    _number_axis(cumulative.xaxis, lang, percent=True)
    cumulative.spines["right"].set_visible(False)
    cumulative.spines["bottom"].set_visible(False)
    cumulative.set_ylim(ax.get_ylim())

    seen = []
    for p in table["phase"].astype(object):
        if p in colours and p not in seen:
            seen.append(p)
    seen.sort(key=list(process.phase_keys).index)
    handles = [Patch(facecolor=colours[p], edgecolor="#333333", label=process.phase(p).label_in(lang)) for p in seen]
    handles.append(Line2D([], [], color="black", marker="o", markersize=4, label=_t("pareto_cum", lang)))
    _legend_below(ax, handles, ncol=3, title=_t("phase_legend", lang), title_fontsize=8.5)
    if value == "total_days_attributable":
        ax.annotate(_t("pareto_note", lang), xy=(0, 0), xycoords="axes fraction", xytext=(0, -104),
                    textcoords="offset points", fontsize=8, fontstyle="italic", color=_MUTED, va="top")
    return ax


