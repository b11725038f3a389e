"""Forecasts: how many open dossiers should reach a milestone each week, with a band."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from .. import i18n
from ..process import check_lang
from ._axes import _clean_axes, _date_axis, _fmt_num, _legend_below, _new_axes, _nothing_to_show, _number_axis, \
    _require, _t, _title
from ._style import PHASE_COLOURS, _masked

__all__ = ["plot_forecast_completions"]


@_masked
def plot_forecast_completions(
    table: pd.DataFrame,
    *,
    lang: str = "en",
    ax: Axes | None = None,
) -> Axes:
    """Open dossiers expected to reach the forecast's milestone, period by period, with the band.

    Parameters
    ----------
    table : DataFrame
        From :func:`~vitale_analysis.forecast_completions` (its ``attrs``
        name the milestone, the confidence, the period and the dossiers
        forecast); the last row (``later``) is written on the chart, not drawn.

    Returns
    -------
    Axes
        ``ax.get_lines()[0]``: the expected count at the middle of each period
        (``get_ydata()`` equals the table's ``expected``, the ``later`` row
        left out); ``ax.collections[0]``: the band from ``low`` to ``high``.

    Examples
    --------
    >>> import vitale_analysis as va
    >>> from vitale_analysis import plots
    >>> weeks = va.forecast_completions(va.load("data/sample_caselog.csv"), as_of="2025-06-30", periods=4)
    >>> ax = plots.plot_forecast_completions(weeks, lang="fr")
    >>> len(ax.get_lines()[0].get_ydata())
    4
    """
    check_lang(lang)
    _require(table, ["period_start", "period_end", "expected", "low", "high"], "forecast_completions(log)")
    attrs = table.attrs
    freq = str(attrs.get("freq", "W"))
    period = i18n.t(f"period.{freq[:1].upper()}", lang) if i18n.has(f"period.{freq[:1].upper()}") else freq
    share = i18n.percent(100 * float(attrs.get("confidence", 0.8)), lang)
    milestone = i18n.event_label(attrs.get("target", "rights_opened"), lang)
    weeks = table[table["period_start"].notna()]
    later = table[table["period_start"].isna()]
    n_open = int(attrs.get("n_open", 0))
    ax = _new_axes(ax, (9, 4.6))
    as_of = attrs.get("as_of")
    who = _t("forecast_subtitle", lang, n=n_open, day=i18n.day(as_of, lang)) if as_of is not None else ""
    _title(ax, _t("forecast_title", lang, milestone=milestone, period=period), who)
    if not len(weeks) or n_open == 0:
        return _nothing_to_show(ax, lang, "no_dossier")
    starts = pd.DatetimeIndex(weeks["period_start"]).to_numpy()
    ends = (pd.DatetimeIndex(weeks["period_end"]) + pd.Timedelta(days=1)).to_numpy()
    middles = starts + (ends - starts) / 2
    colour = PHASE_COLOURS["rights"]
    ax.plot(middles, weeks["expected"].to_numpy(dtype=float), color=colour, marker="o", markersize=4,
            linewidth=1.8, label=_t("forecast_expected", lang))
    ax.fill_between(middles, weeks["low"].to_numpy(dtype=float), weeks["high"].to_numpy(dtype=float),
                    color=colour, alpha=0.2, linewidth=0, label=_t("forecast_band", lang, share=share))
    if len(later):
        ax.text(0.99, 0.97, _t("forecast_later", lang, n=_fmt_num(float(later["expected"].iloc[0]), lang)),
                transform=ax.transAxes, ha="right", va="top", fontsize=9)
    ax.set_xlim(starts[0], ends[-1])
    ax.set_ylim(0, None)
    ax.margins(y=0.12)
    _date_axis(ax.xaxis, lang, (ends[-1] - starts[0]) / np.timedelta64(1, "D"))
    _clean_axes(ax, "y")
    _number_axis(ax.yaxis, lang)
    ax.set_ylabel(_t("forecast_y", lang, period=period))
    _legend_below(ax, ncol=2, below_pt=48)
    return ax
