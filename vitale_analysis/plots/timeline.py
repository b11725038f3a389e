"""One dossier: its phases and events on a timeline."""

from __future__ import annotations


import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .. import i18n
from ..chartdata import DossierTimeline
from ..errors import CaseLogError
from ..process import check_lang
from ._style import (
    _masked, _TRIGGER_COLOUR, _MUTED, phase_colours,
)
from ._axes import (
    _t, _fmt_days, _fmt_date, _date_axis, _wrap, _title, _new_axes, _nothing_to_show, _clean_axes,
    _legend_below, _named,
)


@_masked
def plot_dossier_timeline(
    timeline: DossierTimeline,
    *,
    lang: str = "en",
    ax: Axes | None = None,
) -> Axes:
    """One dossier's timeline: a bar per phase, its events and delay triggers marked.

    Parameters
    ----------
    timeline : DossierTimeline
        From :func:`vitale_analysis.chartdata.dossier_timeline`. The title
        shows its masked ``label``, never a full social security number.

    Returns
    -------
    Axes
        Dates across. Top rows: one per phase, a bar from its start to its
        end (finished: solid; still open: hatched up to ``as_of``; closed:
        grey hatched up to the closing); a phase done out of order is marked
        "out of order" without a bar. Below: one row per kind of event (not
        the milestones, which are the bar ends), a dot at each occurrence;
        events that raised a delay trigger are vermillion diamonds labelled
        with the trigger.
    """
    check_lang(lang)
    if not isinstance(timeline, DossierTimeline):
        raise CaseLogError(
            f"timeline: expected chartdata.dossier_timeline(cases, case_id), got {type(timeline).__name__}."
        )
    process = timeline.process
    status = i18n.t(f"status.{timeline.status}", lang) if i18n.has(f"status.{timeline.status}") else timeline.status
    events = timeline.events
    others = events[~events["milestone"].to_numpy(dtype=bool)] if len(events) else events
    kinds = list(dict.fromkeys(others["event"]))
    triggers = list(dict.fromkeys(events["trigger"].dropna())) if len(events) else []
    n_rows = len(timeline.phases) + len(kinds) + len(triggers)
    ax = _new_axes(ax, (9.5, max(3.2, 0.36 * n_rows + 2.2)))
    _title(ax, _t("timeline_title", lang, label=timeline.label, status=status),
           _t("timeline_sub", lang, as_of=_fmt_date(timeline.as_of, lang)))
    if len(events) == 0 and len(timeline.phases) == 0:
        return _nothing_to_show(ax, lang, "no_event")

    colours = phase_colours(process)
    y_labels, label_colours = [], []
    y = 0
    for rec in timeline.phases.itertuples(index=False):
        phase = str(rec.phase)
        y_labels.append(process.phase(phase).label_in(lang))
        label_colours.append("black")
        start, end = _local(rec.start), _local(rec.end)
        drawable = pd.notna(start) and pd.notna(end) and end >= start and rec.state in ("finished", "open", "closed")
        if drawable:
            s, e = mdates.date2num(start), mdates.date2num(end)
            kw = {"color": colours[phase], "edgecolor": "#333333", "linewidth": 0.8}
            if rec.state == "open":
                kw.update(hatch="///", alpha=0.75)
            elif rec.state == "closed":
                kw.update(color="#CCCCCC", hatch="xx")
            _named(ax.barh(y, max(e - s, 0.4), left=s, height=0.6, **kw), f"_phase|{phase}|{rec.state}")
            if rec.state == "open":  # written before the bar: the open phase is the latest, at the right edge
                ax.text(s, y, _t("still_open", lang, days=_fmt_days(rec.days, lang)) + "  ", va="center",
                        ha="right", fontsize=8, fontstyle="italic")
        else:
            anchor = start if pd.notna(start) else end
            if pd.notna(anchor):
                ax.text(mdates.date2num(anchor), y, " " + _t("out_of_order", lang), va="center",
                        ha="left", fontsize=8, fontstyle="italic", color=_TRIGGER_COLOUR)
        y += 1
    first_event_row = y
    for kind in kinds:
        y_labels.append(i18n.event_label(kind, lang, labels=timeline.labels.get("event")))
        label_colours.append(_MUTED)
        times = mdates.date2num(_local(others.loc[others["event"] == kind, "timestamp"]))
        ax.plot(times, np.full(len(times), y), linestyle="none", marker="o", markersize=6, color="#333333",
                label=f"_event|{kind}")
        y += 1
    # One row per delay trigger (its label in the chart's language), a diamond each time it was raised:
    # labels on rows of their own never overlap, however close in time the triggers are.
    for key in triggers:
        model = process.triggers.get(str(key))
        own = (timeline.labels.get("trigger") or {}).get(key)
        y_labels.append(_wrap(own or (model.label_in(lang) if model else str(key).replace("_", " ")), 40))
        label_colours.append(_TRIGGER_COLOUR)
        times = mdates.date2num(_local(events.loc[events["trigger"] == key, "timestamp"]))
        ax.plot(times, np.full(len(times), y), linestyle="none", marker="D", markersize=7, color=_TRIGGER_COLOUR,
                markeredgecolor="black", label=f"_trigger|{key}")
        y += 1
    if kinds or triggers:
        ax.axhline(first_event_row - 0.5, color="#999999", linewidth=0.8)
    ax.set_yticks(range(len(y_labels)), y_labels, fontsize=8.5)
    for tick, colour in zip(ax.get_yticklabels(), label_colours):
        tick.set_color(colour)
    ax.set_ylim(len(y_labels) - 0.5, -0.6)
    moments = [*_local(events["timestamp"]), *_local(timeline.phases["start"].dropna()), _local(timeline.as_of.at)]
    first, last = min(moments), max(moments)
    span = max((last - first).days, 1)
    pad = pd.Timedelta(days=max(3, span * 0.03))
    ax.set_xlim(mdates.date2num(first - pad), mdates.date2num(last + pad))
    _date_axis(ax.xaxis, lang, span)
    _clean_axes(ax)
    handles = [Patch(facecolor="#BBBBBB", edgecolor="#333333", label=_t("phase_finished", lang)),
               Patch(facecolor="#BBBBBB", edgecolor="#333333", hatch="///", label=_t("phase_open", lang)),
               Line2D([], [], linestyle="none", marker="o", color="#333333", label=_t("event", lang)),
               Line2D([], [], linestyle="none", marker="D", color=_TRIGGER_COLOUR, markeredgecolor="black",
                      label=_t("trigger", lang))]
    if (timeline.phases["state"] == "closed").any():
        handles.insert(2, Patch(facecolor="#CCCCCC", edgecolor="#333333", hatch="xx", label=_t("phase_closed", lang)))
    _legend_below(ax, handles, ncol=len(handles), below_pt=46)
    return ax


def _local(value):
    """Times as naive local (Paris) times for a date axis: aware times converted, naive ones kept."""
    if isinstance(value, pd.Series):
        value = pd.DatetimeIndex(value)
    if isinstance(value, pd.DatetimeIndex):
        return value.tz_convert("Europe/Paris").tz_localize(None) if value.tz is not None else value
    if value is None or pd.isna(value):
        return pd.NaT
    value = pd.Timestamp(value)
    return value.tz_convert("Europe/Paris").tz_localize(None) if value.tzinfo is not None else value


