"""The advisors' page: the four explorers in tabs under one "As of" field: :class:`Dashboard`."""

from __future__ import annotations

import json
from datetime import date
from html import escape

import ipywidgets as W

from .. import i18n
from ..caselog import CaseLog
from ..display import safe_text
from ..errors import CaseLogError
from ..process import check_lang
from ..timeutil import AsOf
from ._base import _CaseTables, _cut_for, _DateField, _log_days, _source_name
from .case_viewer import CaseViewer
from .caseload import CaseloadExplorer
from .stalls import StallExplorer
from .triggers import TriggerExplorer

__all__ = ["Dashboard"]

# Run once in the page: the page's language and title, and an accessible name on every slider
# handle (ipywidgets 8 labels text fields and lists with <label for>, but a slider's handle is a
# div with role="slider" and no name). New handles (a tab drawn later) are named as they appear.
_PAGE_SCRIPT = """(function () {
  var words = %s;
  document.documentElement.lang = words.lang;
  document.title = words.title;
  function nameSliders() {
    document.querySelectorAll(".vitale-dashboard .widget-hslider, .vitale-dashboard .widget-vslider")
      .forEach(function (widget) {
        var label = widget.querySelector(".widget-label");
        var text = label ? label.textContent.trim() : "";
        if (!text) return;
        var handles = widget.querySelectorAll("[role=slider]");
        handles.forEach(function (handle, i) {
          var name = handles.length > 1 ? text + " — " + (i ? words.last : words.first) : text;
          if (handle.getAttribute("aria-label") !== name) handle.setAttribute("aria-label", name);
        });
      });
  }
  nameSliders();
  new MutationObserver(nameSliders).observe(document.body, {childList: true, subtree: true});
})();"""


class Dashboard:
    """The four explorers in tabs, one "As of" field for all of them, a headline and a short introduction.

    Parameters
    ----------
    log : CaseLog
        From :func:`~vitale_analysis.load`.
    as_of : date-like, optional
        The cut every tab shows, read by ``log.as_of`` as the report reads it
        (a bare date: the end of that day). Default: the log's latest event.
    lang : {"en", "fr"}
        Language of every word, number and date on the page.
    source : str, optional
        The name of the log's file as the page and the workbook state it
        (default: the file the log was read from; only its name is shown).

    Attributes
    ----------
    controls : dict
        ``as_of``: the one "As of" field (a Text: ``2025-06-30`` in English,
        ``30/06/2025`` in French; applied to every tab and the headline on
        Enter or when the field is left; a text that is not a day of the log
        is refused with a message, never moved to another day).
    explorers : list
        :class:`CaseloadExplorer` (without a date field of its own),
        :class:`StallExplorer`, :class:`TriggerExplorer`, :class:`CaseViewer`,
        the tabs' order. They share their case tables: a new date computes one.
    as_of : AsOf
        The cut every tab shows.
    headline : str
        The line above the tabs: dossiers, open, complete and closed as of
        that cut, and rows of the file set aside.
    widget : ipywidgets.VBox
        What the notebook shows (CSS class ``vitale-dashboard``; the headline
        has ``vitale-headline``, the tabs ``vitale-tabs``).

    Notes
    -----
    Shown in a notebook or Voilà, the dashboard also sets the page's
    ``lang`` and title, and names each slider for screen readers (a small
    script, run once; see ``_PAGE_SCRIPT``).

    Examples
    --------
    >>> import vitale_analysis as va
    >>> from vitale_analysis.widgets import Dashboard
    >>> dashboard = Dashboard(va.load("data/sample_caselog.csv"), lang="fr")
    >>> dashboard.controls["as_of"].value
    '30/06/2025'
    >>> dashboard.controls["as_of"].value = "31/03/2025"  # (as typed, then Enter)
    >>> dashboard.explorers[1].as_of.day()
    datetime.date(2025, 3, 31)
    """

    def __init__(self, log: CaseLog, *, as_of=None, lang: str = "en", source: str | None = None):
        if not isinstance(log, CaseLog):
            raise CaseLogError(f"Dashboard needs the CaseLog from load(path) or validate(raw), got {type(log).__name__}.")
        self.log = log
        self.lang = check_lang(lang)
        self.source = _source_name(log, source)
        self._given = log.as_of(as_of)
        self._cut = self._given
        tables = self._tables = _CaseTables(log)
        self.explorers = [
            CaseloadExplorer(log, as_of=self._cut, lang=lang, as_of_field=False, _tables=tables),
            StallExplorer(log, as_of=self._cut, lang=lang, source=source, _tables=tables),
            TriggerExplorer(log, as_of=self._cut, lang=lang, _tables=tables),
            CaseViewer(log, as_of=self._cut, lang=lang, _tables=tables),
        ]
        first_day, last_day = _log_days(log)
        self._field = _DateField(self.lang, first_day=first_day, last_day=last_day, day=self._cut.day(),
                                 on_apply=self._apply_day)
        self._field.text.add_class("vitale-control-as-of")
        self.controls = {"as_of": self._field.text}

        title = W.HTML(f'<h1 class="vitale-title">{escape(self.title)}</h1>')
        intro = W.HTML(f"<p>{escape(self._t('ui.dashboard.intro', source=self.source))}</p>")
        intro.add_class("vitale-intro")
        self._headline = W.HTML()
        self._headline.add_class("vitale-headline")
        tabs = W.Tab(children=[explorer.widget for explorer in self.explorers],
                     titles=[self._t(f"ui.tab.{name}") for name in ("caseload", "stalls", "triggers", "dossier")])
        tabs.add_class("vitale-tabs")
        self.tabs = tabs
        style = W.HTML("<style>.vitale-dashboard h1.vitale-title{font-size:1.6em;margin:0.2em 0 0.3em}"
                       ".vitale-dashboard .vitale-intro p{margin:0 0 0.4em;max-width:70em}"
                       ".vitale-dashboard .vitale-headline p{margin:0.3em 0}"
                       ".vitale-date-error{color:#b00020;margin:0 0.6em}"
                       ".vitale-date-hint{color:#555;margin:0 0.6em;font-size:0.9em}</style>")
        self.widget = W.VBox([style, title, intro, self._field.box, self._headline, tabs])
        self.widget.add_class("vitale-dashboard")
        self._show_headline()

    def _t(self, key: str, **fields) -> str:
        return i18n.t(key, self.lang, **fields)

    @property
    def title(self) -> str:
        """The page's title: the process model's own name when it is not the Carte Vitale one."""
        return i18n.title("ui.dashboard.title", self.log.process, self.lang)

    # ------------------------------------------------------------------ the date
    @property
    def as_of(self) -> AsOf:
        """The cut every tab shows."""
        return self._cut

    def _apply_day(self, day: date) -> None:
        self._set(_cut_for(self.log, self._given, day))

    def set_as_of(self, as_of) -> None:
        """Show every tab and the headline as of another cut (read by ``log.as_of``)."""
        self._set(self.log.as_of(as_of))
        self._field.show(self._cut.day())

    def _set(self, cut: AsOf) -> None:
        # The tab on screen and the headline first: in a notebook or Voilà each widget's new state is
        # sent as soon as it is set, so the advisor sees them change while the hidden tabs follow.
        self._cut = cut
        shown = self.tabs.selected_index or 0
        self.explorers[shown].set_as_of(cut)
        self._show_headline()
        for i, explorer in enumerate(self.explorers):
            if i != shown:
                explorer.set_as_of(cut)

    # ------------------------------------------------------------------ words
    @property
    def headline(self) -> str:
        cases = self._tables.view(self._cut).table  # (shared with the tabs: the one case table of this cut)
        status = cases["status"].value_counts()
        return self._t("ui.dashboard.headline", n=len(cases), day=i18n.day(self._cut, self.lang),
                       open=int(status.get("open", 0)), complete=int(status.get("complete", 0)),
                       closed=int(status.get("closed", 0)), source=self.source,
                       aside=int(self.log.quality.n_set_aside))

    def _show_headline(self) -> None:
        self._headline.value = f"<p><b>{escape(safe_text(self.headline))}</b></p>"

    def page_script(self) -> str:
        """The script that sets the page's language and title and names the sliders (see the Notes)."""
        words = {"lang": self.lang, "title": self.title,
                 "first": self._t("ui.range_first"), "last": self._t("ui.range_last")}
        return _PAGE_SCRIPT % json.dumps(words, ensure_ascii=False)

    # ------------------------------------------------------------------ display
    def _ipython_display_(self):
        from IPython.display import display

        # (text/plain: what a front end that runs no script shows instead, the title and the headline)
        display({"application/javascript": self.page_script(),
                 "text/plain": f"{self.title}\n{self.headline}"}, raw=True)
        display(self.widget)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"Dashboard({safe_text(self.source)!r}, as of {self._cut}, lang={self.lang!r})"
