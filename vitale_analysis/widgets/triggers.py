"""One delay trigger: how often, the days it goes with, the dossiers it hit: :class:`TriggerExplorer`."""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from .. import i18n
from ..caselog import CaseLog
from ..display import html_table, readable, safe_text
from ..labels import with_trigger_labels
from ..summaries import trigger_events, trigger_summary
from ..timeutil import AsOf
from ._base import _STYLE, _CaseTables, _Explorer, _local_times, _paragraph

__all__ = ["TriggerExplorer"]


class TriggerExplorer(_Explorer):
    """One delay trigger: how often, the days it goes with, the dossiers it hit, by office.

    Parameters
    ----------
    log : CaseLog
    as_of : date-like, optional
        Default: the log's latest event.
    lang : {"en", "fr"}

    Attributes
    ----------
    controls : dict
        ``trigger``: a Dropdown of the triggers recorded, most costly first
        (values are trigger keys; labels: the log's own from its mapping, else
        the process model's).
    summary : DataFrame
        ``trigger_summary(cases)`` with labels and prevention hints in ``lang``
        (``labels.with_trigger_labels``), computed once per ``as_of``.
    row : Series
        The chosen trigger's row of ``summary`` (its median days to the next
        step is the one shown).
    result : DataFrame
        Every time the chosen trigger was raised (one row each, longest wait
        first): ``case_id``, ``office``, ``trigger``, ``raised_at``, ``phase``,
        ``status``, ``days_to_next_milestone``, ``next_milestone_reached``.
    by_office : DataFrame or None
        The trigger's rows of ``trigger_summary(cases, by="office", n_boot=0)``:
        dossiers affected, share of the office's dossiers, median days to the
        next step (no bootstrap interval: not shown).
    shown : DataFrame
        The first ``top`` rows of ``result`` as the table shows them.

    Notes
    -----
    The days to the next step of ``result`` follow the definitions of
    ``trigger_summary``: their Kaplan–Meier median (dossiers still waiting
    censored) is the summary's ``median_days_to_next_milestone``.

    Examples
    --------
    >>> from vitale_analysis import load
    >>> from vitale_analysis.widgets import TriggerExplorer
    >>> explorer = TriggerExplorer(load("data/sample_caselog.csv"), lang="fr")
    >>> explorer.controls["trigger"].value = "missing_translation"
    >>> explorer.by_office["trigger"].unique().tolist()  # one row per office, for this trigger
    ['missing_translation']
    """

    kind = "trigger-explorer"

    def __init__(self, log: CaseLog, *, as_of=None, lang: str = "en", top: int = 25,
                 _tables: _CaseTables | None = None):
        super().__init__(log, lang=lang, tables=_tables)
        self.top = int(top)
        self._quiet = False
        picker = W.Dropdown(options=[], value=None, description=self._t("trigger"), style=_STYLE,
                            layout=W.Layout(width="640px"))
        self._control("trigger", picker)
        self._status = self._html("vitale-status")
        self._offices = self._html("vitale-table")
        self._offices.add_class("vitale-by-office")
        self._table = self._html("vitale-table")
        self._table.add_class("vitale-affected")
        self.widget = self._root([picker, self._status, self._offices, self._table])
        self._load(log.as_of(as_of))
        self._observe(self._update, "trigger")
        self._update()

    def _load(self, cut: AsOf) -> None:
        """The summaries of ``cut``'s case table, and the picker's options (the trigger chosen is kept)."""
        self.cases = self._case_table(cut)
        summary = with_trigger_labels(trigger_summary(self.cases), self.process, lang=self.lang)
        own = self.labels.get("trigger") or {}
        if own:  # the user's own words from their mapping win over the model's
            summary = summary.assign(label=[own.get(k) or label for k, label in zip(summary["trigger"],
                                                                                      summary["label"])])
        self.summary = summary
        self.summary_by_office = (trigger_summary(self.cases, by="office", n_boot=0)
                                  if "office" in self.cases else None)
        self.events = trigger_events(self.cases)
        options = [(safe_text(f"{row.label} ({i18n.number(int(row.cases_affected), self.lang)})"), row.trigger)
                   for row in self.summary.itertuples(index=False)]
        self._refill(self.controls["trigger"], options)

    def _update(self, _change=None) -> None:
        if self._quiet:
            return
        key = self.controls["trigger"].value
        if key is None:
            self.row, self.result, self.by_office = None, self.events.iloc[0:0], None
            self.shown = None
            self._status.value = _paragraph(self._t("trigger_as_of", day=i18n.day(self.as_of, self.lang))) \
                + _paragraph(self._t("no_trigger"))
            self._table.value = self._offices.value = ""
            return
        lang = self.lang
        self.row = self.summary.loc[self.summary["trigger"] == key].iloc[0]
        mine = self.events[(self.events["trigger"] == key).to_numpy()]
        self.result = mine.sort_values(["days_to_next_milestone", "case_id"], ascending=[False, True],
                                       kind="mergesort").reset_index(drop=True)
        self.result.attrs.update(self.events.attrs)

        row = self.row
        median = float(row["median_days_to_next_milestone"])
        median_text = (self._t("not_reached") if np.isinf(median)
                       else self._t("days", d=i18n.number(median, lang, 1)) if np.isfinite(median) else "–")
        phase = self._phase_label(row["phase"])
        lines = [
            self._t("trigger_as_of", day=i18n.day(self.as_of, lang)),
            self._t("trigger_head", label=row["label"], cases=int(row["cases_affected"]),
                    share=i18n.share(row["share"], lang), events=int(row["events"]), phase=phase),
            self._t("trigger_days", median=median_text),
        ]
        if np.isfinite(row["extra_days"]):
            lines.append(self._t("trigger_extra", extra=self._t("days", d=i18n.number(row["extra_days"], lang, 1)),
                                 phase=phase))
        if row["prevention"]:
            lines.append(self._t("prevention", text=row["prevention"]))
        self._status.value = "".join(_paragraph(line) for line in lines)

        if self.summary_by_office is not None:
            office = self.summary_by_office[self.summary_by_office["trigger"] == key]
            self.by_office = office.sort_values(["cases_affected", "office"], ascending=[False, True],
                                                kind="mergesort").reset_index(drop=True)
            shown = self._readable(self.by_office[["office", "cases_affected", "share",
                                                   "median_days_to_next_milestone"]])
            self._offices.value = html_table(shown, caption=self._t("by_office"))
        else:
            self.by_office = None
            self._offices.value = ""
        self.shown = self._readable(self.result.drop(columns=["trigger"]).head(self.top))
        self._table.value = html_table(self.shown, caption=self._t("affected", n=len(self.result)), shown=self.unmasked)

    def _readable(self, frame):
        return readable(_local_times(frame), self.lang, process=self.process, labels=self.labels,
                        headers=self._headers(), shown=self.unmasked)

    def __repr__(self) -> str:
        key = self.controls["trigger"].value
        return f"TriggerExplorer({key!r}, {len(self.result):,} times raised, lang={self.lang!r})"
