"""What every chart shares: words and numbers from the catalogue, axes, titles with the population, legends, "Nothing to show"."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter
from matplotlib.transforms import offset_copy

from .. import i18n
from ..cases import CaseTable
from ..chartdata import Population, population as _population_of
from ..errors import CaseLogError
from ..masking import printable
from ..privacy import mask_text
from ..process import CARTE_VITALE, ProcessModel, check_lang
from ._style import (
    _GRID, _MUTED, _MIN_DOSSIERS,
)


# Every word comes from the one catalogue (vitale_analysis.i18n); these names stay public here.
EVENT_LABELS = i18n.EVENT_LABELS
MILESTONE_PHRASES = i18n.MILESTONE_PHRASES
COLUMN_LABELS = i18n.COLUMN_LABELS
_NNBSP = i18n.NNBSP


def _t(key: str, lang: str, **fields) -> str:
    """A chart's text (the catalogue's ``chart.`` keys)."""
    return i18n.t(f"chart.{key}", lang, **fields)


def _milestone_phrase(milestone: str | None, which: int, lang: str) -> str:
    """``which`` 0: "Time to X"; 1: "since X". Unknown milestones get a generic phrase with their label."""
    key = (f"milestone_to.{milestone or 'end'}" if which == 0 else f"milestone_since.{milestone or 'start'}")
    if i18n.has(key):
        return i18n.t(key, lang)
    return i18n.t("chart.time_to" if which == 0 else "chart.since", lang, label=_event_label(milestone, lang))


def _event_label(name: str, lang: str) -> str:
    return i18n.event_label(name, lang)


# ============================================================================ formatting
def _fmt_num(value: float, lang: str, decimals: int = 0) -> str:
    return i18n.number(value, lang, decimals)


def _fmt_days(value: float, lang: str, working: bool = False) -> str:
    """Days for a label: whole days from 10 on, one decimal below ("36 days", "4,3 jours")."""
    return i18n.days(value, lang, working=working)


def _fmt_pct(value: float, lang: str) -> str:
    return i18n.percent(value, lang)


def _fmt_date(when, lang: str) -> str:
    """A date in words; an :class:`AsOf` reads as the last day it covers (a bare date
    ``"2025-06-30"`` reads "30 June 2025", although its cut is 1 July 00:00, excluded)."""
    return i18n.day(when, lang)


def _number_axis(axis, lang: str, percent: bool = False) -> None:
    def fmt(x, _pos):
        if percent:
            return _fmt_pct(x, lang)
        decimals = 0 if float(x).is_integer() else 1
        return _fmt_num(x, lang, decimals)

    axis.set_major_formatter(FuncFormatter(fmt))


def _date_axis(axis, lang: str, span_days: float) -> None:
    """Month ticks with month names in the chart's language (not the machine's locale)."""
    if span_days <= 120:
        locator = mdates.MonthLocator()
        step = 1
    else:
        months = span_days / 30.4
        step = next((s for s in (1, 2, 3, 6, 12, 24) if months / s <= 9), None)
        if step is None:  # decades (a typo date like 1970 in the log): a tick every few years, at most 9
            step = 12 * math.ceil(months / 12 / 9)
        locator = mdates.MonthLocator(interval=step) if step < 12 else mdates.YearLocator(step // 12)

    def fmt(x, _pos):
        d = mdates.num2date(x)
        if step >= 12:
            return str(d.year)
        name = i18n.month(d.month, lang, short=True)
        # The year under the first tick and under the first tick of each new year.
        return f"{name}\n{d.year}" if (_pos == 0 or d.month <= step) else name

    axis.set_major_locator(locator)
    axis.set_major_formatter(FuncFormatter(fmt))


def _days_word(attrs: Mapping, lang: str) -> str:
    return _t("working days" if attrs.get("days") == "working" else "days", lang)


def _wrap(text: str, width: int) -> str:
    text = printable(mask_text(str(text)))  # (before wrapping: a wrapped number is harder to find)
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=False)) or text


def _column_label(column: str, lang: str) -> str:
    return i18n.column_label(column, lang)


def _cohort_label(value, column: str, lang: str, labels: Mapping | None = None) -> str:
    """A cohort's value as shown: the user's own label (``labels``, from their mapping, which a chartdata
    table carries in ``attrs["labels"]``), else the catalogue's; a yes/no value with its column's name."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return _t("missing", lang)
    if isinstance(value, (bool, np.bool_)):
        return f"{_column_label(column, lang)}{i18n.colon(lang)} {_t('yes' if value else 'no', lang)}"
    return i18n.value_label(column, value, lang, labels)


def _group_label(record: Mapping, groups: Sequence[str], lang: str, labels: Mapping | None = None) -> str:
    return " · ".join(_cohort_label(record[g], g, lang, labels) for g in groups)


# ============================================================================ population and titles
def _population(table: pd.DataFrame | None, given) -> Population | None:
    """The population a title states: ``population=`` if given, else the table's attrs."""
    if isinstance(given, Population):
        return given
    if isinstance(given, CaseTable):
        return _population_of(given)
    if given is not None:
        raise CaseLogError(
            f"population: expected a case table or a chartdata.Population, got {type(given).__name__}."
        )
    attrs = table.attrs if table is not None else {}
    if attrs.get("n_cases") is None:
        return None
    return Population(int(attrs["n_cases"]), attrs.get("n_open"), attrs.get("as_of"))


def _population_text(pop: Population | None, lang: str, as_of=None) -> str:
    if pop is None:
        return _t("as_of", lang, day=_fmt_date(as_of, lang)) if as_of is not None else ""
    parts = [f"n = {i18n.count(pop.n_cases, 'dossier', lang)}"]
    if pop.n_open is not None:
        parts.append(_t("still_open_n", lang, n=pop.n_open))
    when = pop.as_of if pop.as_of is not None else as_of
    if when is not None:
        parts.append(_t("as_of", lang, day=_fmt_date(when, lang)))
    return ", ".join(parts)


def _title(ax: Axes, what: str, who: str) -> None:
    ax.set_title(f"{what}\n{who}" if who else what, loc="center", fontsize=11, linespacing=1.5)


def _new_axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        if not isinstance(ax, Axes):
            raise CaseLogError(f"ax: expected a matplotlib Axes, got {type(ax).__name__}.")
        return ax
    _fig, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _nothing_to_show(ax: Axes, lang: str, reason: str) -> Axes:
    """A clear message in place of a chart (the title, with the population, stays)."""
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.text(0.5, 0.56, _t("nothing", lang), transform=ax.transAxes, ha="center", va="center",
            fontsize=14, fontweight="bold", color=_MUTED)
    ax.text(0.5, 0.42, _t(reason, lang), transform=ax.transAxes, ha="center", va="center",
            fontsize=10, color=_MUTED, wrap=True)
    ax.set_gid("nothing-to-show")
    return ax


def _too_few(pop: Population | None) -> str | None:
    if pop is None:
        return None
    if pop.n_cases == 0:
        return "no_dossier"
    if pop.n_cases < _MIN_DOSSIERS:
        return "one_dossier"
    return None


def _require(table, columns: Sequence[str], made_by: str) -> None:
    if not isinstance(table, pd.DataFrame):
        raise CaseLogError(f"table: expected a DataFrame from {made_by}, got {type(table).__name__}.")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise CaseLogError(
            f"table: no column(s) {missing}; expected a table from {made_by}. Its columns are {list(table.columns)}."
        )


def _clean_axes(ax: Axes, grid_axis: str = "x") -> None:
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.grid(axis=grid_axis, color=_GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=9)


def _legend_below(ax: Axes, handles=None, *, ncol: int = 3, below_pt: float = 42, **kw):
    """A legend under the x axis label, whatever the figure's height (offset in points, not axes fractions)."""
    if handles is None:
        handles, _labels = ax.get_legend_handles_labels()
    transform = offset_copy(ax.transAxes, fig=ax.figure, x=0, y=-below_pt, units="points")
    return ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0), bbox_transform=transform,
                     ncol=ncol, fontsize=8.5, frameon=False, **kw)


def _named(bars, label: str):
    """Label a single bar (a label starting with "_" stays out of legends): tests and users find it by name."""
    bars.patches[0].set_label(label)
    return bars


def _check(lang: str, process: ProcessModel | None) -> ProcessModel:
    check_lang(lang)
    return process if process is not None else CARTE_VITALE


