"""The advisors' page: the five explorers in tabs under one "As of" field: :class:`Dashboard`."""

from __future__ import annotations

import json
from datetime import date
from html import escape
from pathlib import Path

import ipywidgets as W

from .. import i18n
from ..caselog import CaseLog
from ..display import safe_text
from ..errors import CaseLogError
from ..process import CARTE_VITALE, check_lang
from ..timeutil import AsOf
from ._base import _CaseTables, _cut_for, _DateField, _log_days, _source_name
from .case_viewer import CaseViewer
from .caseload import CaseloadExplorer
from .processmap import ProcessMapExplorer
from .source import STYLE as SOURCE_STYLE
from .source import SourceStep, find_file
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
    """The five explorers in tabs, one "As of" field for all of them, a headline and a short introduction,
    under a first step that opens another case log (:class:`~vitale_analysis.widgets.source.SourceStep`).

    Parameters
    ----------
    log : CaseLog, optional
        From :func:`~vitale_analysis.load`. Without it, the page shows only
        the first step, to send or pick a file (see also :meth:`open`).
    as_of : date-like, optional
        The cut every tab shows, read by ``log.as_of`` as the report reads it
        (a bare date: the end of that day). Default: the log's latest event.
    lang : {"en", "fr"}
        Language of every word, number and date on the page.
    source : str, optional
        The name of the log's file as the page and the workbook state it
        (default: the file the log was read from; only its name is shown).
    folder : path, optional
        Where paths typed in the page start (default:
        :func:`~vitale_analysis.widgets.source.start_folder`, the folder the
        dashboard was started from).

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
        :class:`ProcessMapExplorer`, the tabs' order. They share their case tables: a new date computes one.
    as_of : AsOf
        The cut every tab shows.
    headline : str
        The line above the tabs: dossiers, open, complete and closed as of
        that cut, and rows of the file set aside.
    source_step : SourceStep
        The first step: send a file, type its path or pick it, say how to
        read it; its progress and messages (``vitale-source``, inside an
        accordion, ``vitale-source-accordion``, folded while a log is shown).
        A file read there replaces the log in every tab (:meth:`show`).
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

    def __init__(self, log: CaseLog | None = None, *, as_of=None, lang: str = "en", source: str | None = None,
                 folder=None):
        if log is not None and not isinstance(log, CaseLog):
            raise CaseLogError(f"Dashboard needs the CaseLog from load(path) or validate(raw), got {type(log).__name__}.")
        self.lang = check_lang(lang)
        self.log: CaseLog | None = None
        self.source: str | None = None
        self.explorers: list = []
        self.controls: dict = {}
        self.tabs: W.Tab | None = None
        self._given = self._cut = None
        self._first_as_of = None  # (the as_of of Dashboard.open, for the first log it reads)
        self.source_step = SourceStep(lang=self.lang, folder=folder, on_read=self._read)
        self._title = W.HTML()
        self._accordion = W.Accordion(children=[self.source_step.box], titles=(self._t("ui.source.title_none"),),
                                      selected_index=None if log is not None else 0)  # (folded: the tabs first)
        self._accordion.add_class("vitale-source-accordion")
        self._style = W.HTML("<style>.vitale-dashboard h1.vitale-title{font-size:1.6em;margin:0.2em 0 0.3em}"
                             ".vitale-dashboard .vitale-intro p{margin:0 0 0.4em;max-width:70em}"
                             ".vitale-dashboard .vitale-headline p{margin:0.3em 0}"
                             ".vitale-date-error{color:#b00020;margin:0 0.6em}"
                             ".vitale-date-hint{color:#555;margin:0 0.6em;font-size:0.9em}</style>" + SOURCE_STYLE)
        self.widget = W.VBox([self._style, self._title, self._accordion])
        self.widget.add_class("vitale-dashboard")
        self._show_title()
        if log is not None:
            self.show(log, as_of=as_of, source=source)

    @classmethod
    def open(cls, path, *, mapping=None, as_of=None, lang: str = "en", folder=None) -> Dashboard:
        """The dashboard of the case log at ``path`` (and its ``mapping`` file), read through the first step:
        its progress is shown, and a file that cannot be used is said in the page (the error's own text),
        which stays usable to open another one. The notebook ``dashboard.ipynb`` opens with it.

        A relative ``path`` or ``mapping`` is looked for in the kernel's working folder (the notebook's
        folder), then in ``folder`` (the folder the dashboard was started from).

        Examples
        --------
        >>> dashboard = Dashboard.open("data/sample_export_fr.csv", mapping="data/sample_export_fr.mapping.toml",
        ...                            lang="fr")
        >>> dashboard.headline[:40]
        '164 dossiers au 30 juin 2025 : 129 en co'
        >>> Dashboard.open("data/no_such_file.csv").source_step.error[:36]
        'No file no_such_file.csv in folder /'
        """
        dashboard = cls(None, lang=lang, folder=folder)
        dashboard._first_as_of = as_of
        step = dashboard.source_step
        if mapping is not None and str(mapping).strip():
            found = dashboard._find(mapping)
            if found is None or not step.use_mapping_file(found):
                return dashboard
        found = dashboard._find(path)
        if found is not None:
            step.open_file(found)
        if dashboard.log is not None:
            dashboard._accordion.selected_index = None  # (read: folded, the tabs first; else open, with why)
        return dashboard

    def _find(self, path):
        """``path`` in the working folder, else in the start folder; None (and the message shown) when absent."""
        text = str(path).strip()
        if Path(text).expanduser().is_file():
            return Path(text).expanduser()
        try:
            return find_file(text, self.source_step.folder, self.lang)
        except CaseLogError as error:
            self.source_step.fail(Path(text).name, error)
            return None

    def show(self, log: CaseLog, *, as_of=None, source: str | None = None) -> None:
        """Show ``log`` in every tab, the headline and the date field (as of ``as_of``: default, its last
        event). Nothing on the page changes until everything new is built."""
        if not isinstance(log, CaseLog):
            raise CaseLogError(f"Dashboard needs the CaseLog from load(path) or validate(raw), got {type(log).__name__}.")
        lang = self.lang
        given = log.as_of(as_of)
        tables = _CaseTables(log)
        tables.view(given)  # the case table of the first cut, made once for every tab
        self.source_step.step(3)
        explorers = [
            CaseloadExplorer(log, as_of=given, lang=lang, as_of_field=False, _tables=tables),
            StallExplorer(log, as_of=given, lang=lang, source=source, _tables=tables),
            TriggerExplorer(log, as_of=given, lang=lang, _tables=tables),
            CaseViewer(log, as_of=given, lang=lang, _tables=tables),
            ProcessMapExplorer(log, as_of=given, lang=lang, _tables=tables),
        ]
        first_day, last_day = _log_days(log)
        field = _DateField(lang, first_day=first_day, last_day=last_day, day=given.day(), on_apply=self._apply_day)
        field.text.add_class("vitale-control-as-of")
        tabs = W.Tab(children=[explorer.widget for explorer in explorers],
                     titles=[self._t(f"ui.tab.{name}") for name in ("caseload", "stalls", "triggers", "dossier",
                                                                   "process_map")])
        tabs.add_class("vitale-tabs")

        self.log, self.source = log, _source_name(log, source)
        self._given = self._cut = given
        self._tables, self.explorers, self._field, self.tabs = tables, explorers, field, tabs
        self.controls = {"as_of": field.text}
        intro = W.HTML(f"<p>{escape(self._t('ui.dashboard.intro', source=self.source))}</p>")
        intro.add_class("vitale-intro")
        self._headline = W.HTML()
        self._headline.add_class("vitale-headline")
        self._show_headline()
        self._show_title()
        self._accordion.set_title(0, self._t("ui.source.title", source=self.source))
        self.widget.children = [self._style, self._title, self._accordion, intro, field.box, self._headline, tabs]

    def _read(self, log: CaseLog, name: str) -> None:
        """A file read in the first step: shown in every tab."""
        as_of, self._first_as_of = self._first_as_of, None
        self.show(log, as_of=as_of, source=name)

    def _t(self, key: str, **fields) -> str:
        return i18n.t(key, self.lang, **fields)

    @property
    def title(self) -> str:
        """The page's title: the process model's own name when it is not the Carte Vitale one."""
        return i18n.title("ui.dashboard.title", self.log.process if self.log is not None else CARTE_VITALE, self.lang)

    def _show_title(self) -> None:
        self._title.value = f'<h1 class="vitale-title">{escape(self.title)}</h1>'

    # ------------------------------------------------------------------ the date
    @property
    def as_of(self) -> AsOf:
        """The cut every tab shows."""
        return self._cut

    def _apply_day(self, day: date) -> None:
        self._set(_cut_for(self.log, self._given, day))

    def set_as_of(self, as_of) -> None:
        """Show every tab and the headline as of another cut (read by ``log.as_of``)."""
        if self.log is None:
            raise CaseLogError("The dashboard shows no case log yet: open one first (Dashboard.open(path)).")
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
        """The line above the tabs ("" while no case log is shown)."""
        if self.log is None:
            return ""
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
        if self.log is None:
            return f"Dashboard(no case log yet, lang={self.lang!r})"
        return f"Dashboard({safe_text(self.source)!r}, as of {self._cut}, lang={self.lang!r})"
