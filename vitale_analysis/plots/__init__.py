"""Charts for reports: they draw tables the package computed, and return the Axes.

Every function takes an already computed table first (from a summary of the
package or from :mod:`vitale_analysis.chartdata`), draws it on ``ax`` (a new
figure when ``ax`` is None) and returns the Axes. None of them aggregates or
calls ``plt.show()``: what a chart shows is what the table holds, and the
tables are tested in ``tests/``.

One look for every chart:

* colour-blind-safe Okabe–Ito colours; each phase has one colour everywhere
  (:data:`PHASE_COLOURS`);
* titles say what is shown and the population ("n = 3,000 dossiers,
  975 still open, as of 30 June 2025"); axes say units ("days");
* ``lang="en"`` or ``"fr"`` for every label, title and legend (phase and
  trigger labels come from the process model);
* a median that Kaplan–Meier cannot reach yet (``inf``: too many dossiers
  still open) is drawn as an arrow marked "not reached", never as a number;
* an empty selection, or a single dossier where a summary is meaningless,
  draws a "Nothing to show" message instead of failing or leaving a blank axis.

Example
-------
>>> import vitale_analysis as va
>>> from vitale_analysis import chartdata, plots
>>> import tempfile
>>> from pathlib import Path
>>> log = va.load("data/sample_caselog.csv")
>>> cases = va.case_table(log)
>>> ax = plots.plot_phase_durations(chartdata.phase_quartiles(cases, by="channel"), lang="fr")
>>> ax.get_title().splitlines()[0]
'Durée de chaque phase (jours)'
>>> plots.save_figure(ax.figure, Path(tempfile.mkdtemp()) / "phases.png").name
'phases.png'
"""

from ._axes import COLUMN_LABELS, EVENT_LABELS, MILESTONE_PHRASES
from ._style import OKABE_ITO, PARTY_COLOURS, PHASE_COLOURS, mask_figure_texts, phase_colours
from .export import canvas_png, figure_png, save_figure
from .flow import plot_throughput, plot_waiting_on, plot_wip
from .forecast import plot_forecast_completions
from .processmap import plot_process_map
from .phases import plot_phase_durations, plot_survival, update_phase_durations
from .stalls import plot_open_by_age, plot_stalled_heatmap, stalled_heatmap_html
from .timeline import plot_dossier_timeline
from .triggers import plot_trigger_pareto

__all__ = [
    "COLUMN_LABELS",
    "EVENT_LABELS",
    "MILESTONE_PHRASES",
    "OKABE_ITO",
    "PARTY_COLOURS",
    "PHASE_COLOURS",
    "phase_colours",
    "canvas_png",
    "figure_png",
    "mask_figure_texts",
    "plot_dossier_timeline",
    "plot_forecast_completions",
    "plot_open_by_age",
    "plot_phase_durations",
    "plot_process_map",
    "plot_stalled_heatmap",
    "plot_survival",
    "plot_throughput",
    "plot_trigger_pareto",
    "plot_waiting_on",
    "plot_wip",
    "save_figure",
    "stalled_heatmap_html",
    "update_phase_durations",
]
