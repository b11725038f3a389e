"""Explorers for JupyterLab and Voilà: controls, an output, one callback.

Each explorer wraps the package's pure functions; it computes nothing of its
own beyond filtering rows. The per-case table is computed once per ``as_of``
and kept; a control change filters its rows and calls the summary again, so
the explorers stay responsive on a large caseload.

* :class:`CaseloadExplorer` – time per phase (chart and table), by office,
  channel, born abroad, start period and ``as_of``;
* :class:`StallExplorer` – the follow-up worklist and where dossiers stall,
  with a button that offers the worklist as an Excel download;
* :class:`TriggerExplorer` – one delay trigger: the dossiers it hit, the days
  it goes with, its offices;
* :class:`CaseViewer` – one dossier: its timeline and its events;
* :class:`ProcessMapExplorer` – the process map (every step or the
  milestones), with a frequency slider, a cohort filter and the commonest
  paths;
* :class:`Dashboard` – the five in tabs under one "As of" field, with a
  headline and a short introduction: the advisors' Voilà page.

Every explorer has ``.controls`` (name → ipywidgets control), ``.widget``
(the box a notebook shows: a cell ending in ``CaseloadExplorer(log)`` shows
it), ``.result`` (the table behind what is shown, as the pure function
returns it), ``.shown`` (the same rows as the advisor reads them: masked ids,
words, readable headers), ``.as_of`` and ``.set_as_of(…)``, and, where a chart
is drawn, ``.figure`` (the last matplotlib Figure). Tests and scripts can set
``explorer.controls["office"].value = "CPAM 75"`` and read ``.result``.

Every word, number and date comes from :mod:`vitale_analysis.i18n` and every
table is made readable by :func:`vitale_analysis.display.readable`, with the
user's own labels from their mapping (``CaseLog.labels``). An ``as_of`` is
always read by ``log.as_of``, as the report reads it, so the same date gives
the same days in both.

Charts are drawn without pyplot (a plain :class:`matplotlib.figure.Figure`,
rendered by Agg) and shown as a static PNG ``<img>`` whose alt text is the
chart's title: they look the same whatever ``%matplotlib`` backend the
notebook uses, and Voilà needs no extension. Tables are HTML, and so is the
stall heat map (``plots.stalled_heatmap_html``). Identifiers that look like a
social security number are masked in every table, chart, picker and message.

Classes a browser test can rely on: the root box has ``vitale-explorer`` and
``vitale-<kind>`` (``vitale-caseload-explorer``, ``vitale-stall-explorer``,
``vitale-trigger-explorer``, ``vitale-case-viewer``, ``vitale-process-map``), the dashboard's
``vitale-dashboard``; each control has ``vitale-control-<key>`` (its
``.controls`` key with ``_`` as ``-``); the chart (an HTML widget holding the
``<img>``, or the stall heat map's table, ``.vitale-heatmap table``) has
``vitale-chart``; tables are in HTML widgets with ``vitale-table``; one-line
summaries in ``vitale-status``; the download link is ``a.vitale-download``.

Examples
--------
>>> from vitale_analysis import load
>>> from vitale_analysis.widgets import CaseloadExplorer
>>> log = load("data/sample_caselog.csv")
>>> explorer = CaseloadExplorer(log, lang="fr")
>>> explorer.controls["office"].value = "CPAM 75"
>>> explorer.result[["phase", "n"]].head(2)  # the phase summary of CPAM 75's dossiers
          phase    n
0  registration  197
1           ssn  185
"""

# (the private names tests import from here: re-exported explicitly)
from ._base import ALL
from ._base import _TableView as _TableView
from ._render import _FrozenLayout as _FrozenLayout
from ._render import _png as _png
from .case_viewer import CaseViewer
from .caseload import CaseloadExplorer
from .dashboard import Dashboard
from .mapping import MappingEditor
from .processmap import ProcessMapExplorer
from .stalls import StallExplorer
from .triggers import TriggerExplorer

__all__ = ["ALL", "CaseViewer", "CaseloadExplorer", "Dashboard", "MappingEditor", "ProcessMapExplorer", "StallExplorer",
           "TriggerExplorer"]
