"""Flow over time: dossiers started and finished, work in progress, who the dossiers wait on."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from .. import i18n
from ..errors import CaseLogError
from ..process import ProcessModel, check_lang
from ._style import (
    _masked, PHASE_COLOURS, PARTY_COLOURS, _MIN_DOSSIERS, phase_colours,
)
from ._axes import (
    _t, _fmt_num, _fmt_pct, _number_axis, _date_axis, _days_word, _group_label, _population, _population_text,
    _title, _new_axes, _nothing_to_show, _too_few, _require, _clean_axes, _legend_below, _check,
)


def _periods(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, str]:
    """Start and end of each period (for drawing), from ``period_start`` and ``attrs["freq"]``."""
    freq = str(table.attrs.get("freq", "W"))
    starts = pd.DatetimeIndex(table["period_start"])
    ends = pd.PeriodIndex(starts, freq=freq).end_time.ceil("D")
    return starts.to_numpy(), ends.to_numpy(), freq


def _period_word(freq: str, lang: str) -> str:
    key = freq[:1].upper()
    return i18n.t(f"period.{key}", lang) if i18n.has(f"period.{key}") else freq


@_masked
def plot_throughput(
    table: pd.DataFrame,
    *,
    lang: str = "en",
    population=None,
    ax: Axes | None = None,
) -> Axes:
    """Dossiers started, rights opened, completed and closed, period by period.

    Parameters
    ----------
    table : DataFrame
        From :func:`~vitale_analysis.throughput` (without ``by``), e.g.
        ``throughput(log, freq="M")``.
    population : DataFrame or chartdata.Population, optional
        The case table, for the title's "n = … dossiers, … still open".

    Returns
    -------
    Axes
        One line per measure, a point per period at the middle of the period
        (``get_ydata()`` equals the table's column).
    """
    check_lang(lang)
    _require(table, ["period_start", "started", "completed"], "throughput(log)")
    if len([c for c in table.columns if c not in _FLOW_COLUMNS and not c.startswith("open_")]):
        raise CaseLogError("table: made with by=…; draw one group at a time (filter its rows) "
                           "or use throughput(log) without by.")
    starts, ends, freq = _periods(table) if len(table) else (np.array([]), np.array([]), "W")
    word = _period_word(freq, lang)
    ax = _new_axes(ax, (9, 4.6))
    pop = _population(table, population)
    _title(ax, _t("flow_title", lang, period=word), _population_text(pop, lang, table.attrs.get("as_of")))
    reason = _too_few(pop) or ("no_dossier" if len(table) == 0 or int(table["started"].max()) == 0 else None)
    if reason:
        return _nothing_to_show(ax, lang, reason)
    middles = starts + (ends - starts) / 2
    series = [("started", "black", "-", "o"), ("rights_opened", PHASE_COLOURS["rights"], "-", "s"),
              ("completed", PHASE_COLOURS["reimbursement"], "-", "^"), ("closed", "#777777", "--", "x")]
    for column, colour, style, marker in series:
        if column in table.columns:
            ax.plot(middles, table[column].to_numpy(), color=colour, linestyle=style, marker=marker, markersize=4,
                    linewidth=1.8, label=_t(column, lang))
    ax.set_xlim(starts[0], ends[-1])
    ax.set_ylim(0, None)
    ax.margins(y=0.08)
    _date_axis(ax.xaxis, lang, (ends[-1] - starts[0]) / np.timedelta64(1, "D"))
    _clean_axes(ax, "y")
    _number_axis(ax.yaxis, lang)
    ax.set_ylabel(_t("flow_y", lang, period=word))
    _legend_below(ax, ncol=2, below_pt=48)
    return ax


_FLOW_COLUMNS = {"period_start", "started", "rights_opened", "completed", "closed", "wip"}


@_masked
def plot_wip(
    table: pd.DataFrame,
    *,
    lang: str = "en",
    process: ProcessModel | None = None,
    population=None,
    ax: Axes | None = None,
) -> Axes:
    """Work in progress: dossiers open at the end of each period, stacked by phase.

    Parameters
    ----------
    table : DataFrame
        From :func:`~vitale_analysis.throughput` (``open_<phase>`` columns).

    Returns
    -------
    Axes
        One stacked bar per period spanning the period; ``ax.containers[k]``
        holds phase ``k`` (process order, from the bottom) with heights equal
        to ``open_<phase>``.
    """
    process = _check(lang, process)
    phases = [p for p in process.phase_keys if f"open_{p}" in table.columns]
    _require(table, ["period_start", *[f"open_{p}" for p in process.phase_keys]], "throughput(log)")
    if len([c for c in table.columns if c not in _FLOW_COLUMNS and not c.startswith("open_")]):
        raise CaseLogError("table: made with by=…; draw one group at a time (filter its rows) "
                           "or use throughput(log) without by.")
    starts, ends, freq = _periods(table) if len(table) else (np.array([]), np.array([]), "W")
    word = _period_word(freq, lang)
    ax = _new_axes(ax, (9, 4.6))
    pop = _population(table, population)
    _title(ax, _t("wip_title", lang, period=word), _population_text(pop, lang, table.attrs.get("as_of")))
    opened = table[[f"open_{p}" for p in phases]].to_numpy() if len(table) else np.zeros((0, 1))
    reason = _too_few(pop) or ("no_dossier" if len(table) == 0 or not (opened > 0).any() else None)
    if reason:
        return _nothing_to_show(ax, lang, reason)
    colours = phase_colours(process)
    widths = (ends - starts) * 0.86
    bottom = np.zeros(len(table))
    for phase in phases:
        heights = table[f"open_{phase}"].to_numpy(dtype=float)
        ax.bar(starts + (ends - starts) * 0.07, heights, width=widths, bottom=bottom, align="edge",
               color=colours[phase], edgecolor="white", linewidth=0.3, label=process.phase(phase).label_in(lang))
        bottom = bottom + heights
    ax.set_xlim(starts[0], ends[-1])
    _date_axis(ax.xaxis, lang, (ends[-1] - starts[0]) / np.timedelta64(1, "D"))
    _clean_axes(ax, "y")
    _number_axis(ax.yaxis, lang)
    ax.set_ylabel(_t("wip_y", lang))
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8.5, frameon=False)
    return ax


@_masked
def plot_waiting_on(
    summary: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    lang: str = "en",
    population=None,
    ax: Axes | None = None,
) -> Axes:
    """Who the dossiers wait on: each party's share of the elapsed time, per group.

    Parameters
    ----------
    summary : DataFrame
        From :func:`~vitale_analysis.waiting_on_summary` (with or without ``by``).
    by : str or list of str, optional
        Group columns; default every column that is not a summary column.

    Returns
    -------
    Axes
        One 100 % bar per group (row label with its ``n_cases``);
        ``ax.containers[k]`` holds party ``k`` (applicant, office, third
        party, unassigned) with widths ``share_<party>`` × 100.
    """
    check_lang(lang)
    parties = [p for p in PARTY_COLOURS if f"share_{p}" in summary.columns]
    _require(summary, ["n_cases", *[f"share_{p}" for p in ("applicant", "office", "third_party")]],
             "waiting_on_summary(log)")
    groups = ([by] if isinstance(by, str) else list(by)) if by is not None else [
        c for c in summary.columns
        if c not in {"n_cases", "n_open"} and not c.startswith(("median_", "total_", "share_"))]
    days_word = _days_word(summary.attrs, lang)
    n_rows = len(summary)
    ax = _new_axes(ax, (8.5, max(2.6, 0.55 * n_rows + 2.2)))
    pop = _population(summary, population)
    _title(ax, _t("waiting_title", lang), _population_text(pop, lang, summary.attrs.get("as_of")))
    reason = _too_few(pop) or ("no_dossier" if n_rows == 0 or not (summary["n_cases"] > 0).any() else None)
    if reason is None and pop is None and int(summary["n_cases"].max()) < _MIN_DOSSIERS and n_rows == 1:
        reason = "one_dossier"
    if reason:
        return _nothing_to_show(ax, lang, reason)
    ys = np.arange(n_rows)
    left = np.zeros(n_rows)
    for party in parties:
        widths = np.nan_to_num(summary[f"share_{party}"].to_numpy(dtype=float)) * 100
        if party == "unassigned" and not (widths > 0).any():
            continue
        bars = ax.barh(ys, widths, left=left, height=0.6, color=PARTY_COLOURS[party], edgecolor="white",
                       linewidth=0.8, label=i18n.t(f"party.{party}", lang))
        for rect, width in zip(bars, widths):
            if width >= 6:
                ax.text(rect.get_x() + width / 2, rect.get_y() + rect.get_height() / 2, _fmt_pct(width, lang),
                        ha="center", va="center", fontsize=8.5,
                        color="white" if party in ("office", "third_party") else "black", in_layout=False)  # inside
        left = left + widths
    labels = []
    for rec in summary.to_dict("records"):
        name = _group_label(rec, groups, lang, summary.attrs.get("labels")) if groups else _t("all_dossiers", lang)
        labels.append(f"{name}\n(n = {_fmt_num(rec['n_cases'], lang)})")
    ax.set_yticks(ys, labels, fontsize=9)
    ax.set_ylim(n_rows - 0.5, -0.5)
    ax.set_xlim(0, 100)
    _clean_axes(ax)
    _number_axis(ax.xaxis, lang, percent=True)
    ax.set_xlabel(_t("waiting_x", lang, days=days_word))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14 - 0.5 / max(1, n_rows + 2)), ncol=4, fontsize=8.5,
              frameon=False)
    return ax


