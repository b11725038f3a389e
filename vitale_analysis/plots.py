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
>>> log = va.load("data/sample_caselog.csv")  # doctest: +SKIP
>>> cases = va.case_table(log)  # doctest: +SKIP
>>> ax = plots.plot_phase_durations(chartdata.phase_quartiles(cases, by="channel"), lang="fr")  # doctest: +SKIP
>>> plots.save_figure(ax.figure, "phases.png")  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import io
import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.ticker import Formatter, FuncFormatter, MaxNLocator
from matplotlib.transforms import offset_copy

from .cases import CaseTable
from .chartdata import DossierTimeline, Population, population as _population_of
from .errors import CaseLogError
from .masking import printable
from .privacy import mask_text
from .process import CARTE_VITALE, ProcessModel, check_lang
from .timeutil import AsOf

__all__ = [
    "OKABE_ITO",
    "PARTY_COLOURS",
    "PHASE_COLOURS",
    "phase_colours",
    "canvas_png",
    "figure_png",
    "mask_figure_texts",
    "plot_dossier_timeline",
    "plot_open_by_age",
    "plot_phase_durations",
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

def _masked(draw):
    """Wrap a chart function: every text of the figure it drew (titles, tick labels, legends,
    annotations) gets any social-security-like number masked, whatever the label held."""
    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        result = draw(*args, **kwargs)
        axes = result if isinstance(result, Axes) else kwargs.get("ax") if isinstance(kwargs.get("ax"), Axes) else None
        if axes is None and args and isinstance(args[0], Axes):  # (update_phase_durations(ax, …))
            axes = args[0]
        if axes is not None:
            mask_figure_texts(axes.figure)
        return result

    return wrapper


def mask_figure_texts(fig: Figure) -> None:
    """Mask social-security-like numbers in every Text artist of a figure, in place (control
    characters shown as ``\ufffd``)."""
    for text in fig.findobj(Text):
        value = text.get_text()
        masked = printable(mask_text(value))
        if masked != value:
            text.set_text(masked)
    for ax in fig.axes:  # tick labels are written again by the axis' formatters at each draw
        for axis in (ax.xaxis, ax.yaxis):
            if not isinstance(axis.get_major_formatter(), _MaskedFormatter):
                axis.set_major_formatter(_MaskedFormatter(axis.get_major_formatter()))
            if not isinstance(axis.get_minor_formatter(), _MaskedFormatter):
                axis.set_minor_formatter(_MaskedFormatter(axis.get_minor_formatter()))


class _MaskedFormatter(Formatter):
    """Another tick formatter's labels, masked (tick labels given as a list live in a
    formatter, not in Text artists, and are written again at each draw)."""

    def __init__(self, inner: Formatter):
        self.inner = inner

    def __call__(self, x, pos=None):
        return printable(mask_text(str(self.inner(x, pos))))

    def format_ticks(self, values):
        return [printable(mask_text(str(label))) for label in self.inner.format_ticks(values)]

    def set_axis(self, axis):
        super().set_axis(axis)
        self.inner.set_axis(axis)

    def set_locs(self, locs):
        self.inner.set_locs(locs)

    def get_offset(self):
        return self.inner.get_offset()


# ============================================================================ palette
#: The Okabe–Ito palette (Okabe & Ito, 2008): distinguishable with the common colour-vision deficiencies.
OKABE_ITO: Mapping[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: One colour per Carte Vitale phase, the same in every chart. Black is kept
#: for totals and text; completion (the end of ``reimbursement``) is green.
PHASE_COLOURS: Mapping[str, str] = {
    "registration": OKABE_ITO["sky_blue"],
    "ssn": OKABE_ITO["orange"],
    "dossier": OKABE_ITO["yellow"],
    "rights": OKABE_ITO["blue"],
    "card": OKABE_ITO["vermillion"],
    "activation": OKABE_ITO["reddish_purple"],
    "reimbursement": OKABE_ITO["bluish_green"],
}

#: Who a dossier waits on (:func:`~vitale_analysis.waiting_on_summary`).
PARTY_COLOURS: Mapping[str, str] = {
    "applicant": OKABE_ITO["orange"],
    "office": OKABE_ITO["blue"],
    "third_party": OKABE_ITO["reddish_purple"],
    "unassigned": "#BBBBBB",
}

# Cohorts (channel, office…) are told apart by colour *and* line style / marker,
# so that they survive a black-and-white print.
_COHORT_COLOURS = ("#000000", OKABE_ITO["blue"], OKABE_ITO["vermillion"], OKABE_ITO["bluish_green"],
                   OKABE_ITO["reddish_purple"], OKABE_ITO["orange"], OKABE_ITO["sky_blue"], "#777777")
_COHORT_LINESTYLES = ("-", "--", "-.", ":")
_TRIGGER_COLOUR = OKABE_ITO["vermillion"]
_SEQUENTIAL = "Blues"  # single hue, lightness ordered: safe for colour-blind readers and greyscale
_GRID = "#DDDDDD"
_MUTED = "#555555"
_MIN_DOSSIERS = 2  # below this, a summary of durations says nothing


def phase_colours(process: ProcessModel | None = None) -> dict[str, str]:
    """Phase key → colour: :data:`PHASE_COLOURS` for the Carte Vitale, Okabe–Ito in order otherwise."""
    process = process if process is not None else CARTE_VITALE
    spare = [c for k, c in OKABE_ITO.items() if k != "black" and c not in PHASE_COLOURS.values()]
    cycle = [*OKABE_ITO.values()][1:] + spare
    out = {}
    for i, key in enumerate(process.phase_keys):
        out[key] = PHASE_COLOURS.get(key, cycle[i % len(cycle)])
    return out


# ============================================================================ words
_T = {
    "nothing": ("Nothing to show", "Rien à afficher"),
    "no_dossier": ("no dossier in this selection", "aucun dossier dans cette sélection"),
    "one_dossier": ("only one dossier: too few for a summary — see its timeline instead",
                    "un seul dossier : trop peu pour un résumé — voir plutôt sa chronologie"),
    "no_stalled": ("no stalled dossier", "aucun dossier bloqué"),
    "no_open": ("no open dossier", "aucun dossier en cours"),
    "no_trigger": ("no delay trigger recorded", "aucune cause de retard enregistrée"),
    "no_event": ("no event recorded for this dossier", "aucun événement pour ce dossier"),
    "days": ("days", "jours"),
    "working days": ("working days", "jours ouvrés"),
    "day": ("day", "jour"),
    "working day": ("working day", "jour ouvré"),
    "dossiers": ("dossiers", "dossiers"),
    "dossier": ("dossier", "dossier"),
    "beyond": ("not reached yet: too many dossiers still open", "pas encore atteint : trop de dossiers en cours"),
    "open": ("open", "en cours"),
    "not_reached": ("not reached", "non atteinte"),
    "missing": ("(missing)", "(non renseigné)"),
    "all_dossiers": ("all dossiers", "tous les dossiers"),
    "yes": ("yes", "oui"),
    "no": ("no", "non"),
    # phase durations
    "phase_title": ("Time per phase", "Durée de chaque phase"),
    "phase_x": ("{days} in phase — median and interquartile range", "{days} dans la phase — médiane et écart interquartile"),
    "phase_x_p75": ("{days} in phase — median to 75th percentile", "{days} dans la phase — de la médiane au 75e centile"),
    "km_median": ("median (Kaplan–Meier: open dossiers count)", "médiane (Kaplan–Meier : dossiers en cours comptés)"),
    "completed_median": ("median of finished dossiers only", "médiane des seuls dossiers terminés"),
    "iqr": ("25th to 75th percentile", "du 25e au 75e centile"),
    "median_p75": ("median to 75th percentile", "de la médiane au 75e centile"),
    "median_not_reached": ("median not reached", "médiane non atteinte"),
    "row_n": ("n = {n} · {open} open", "n = {n} · {open} en cours"),
    # survival
    "surv_phase_title": ("Time in {phase}: share of dossiers still in the phase",
                         "{phase} : part des dossiers encore dans la phase"),
    "surv_milestone_title": ("{milestone}: share of dossiers still waiting",
                             "{milestone} : part des dossiers encore en attente"),
    "surv_y": ("dossiers still waiting (%)", "dossiers encore en attente (%)"),
    "surv_y_phase": ("dossiers still in the phase (%)", "dossiers encore dans la phase (%)"),
    "surv_x_phase": ("{days} in the phase", "{days} dans la phase"),
    "surv_x_milestone": ("{days} {start}", "{days} {start}"),
    "surv_legend": ("Kaplan–Meier; open dossiers count until {as_of}", "Kaplan–Meier ; dossiers en cours comptés jusqu'au {as_of}"),
    "surv_legend_plain": ("Kaplan–Meier; open dossiers counted", "Kaplan–Meier ; dossiers en cours comptés"),
    "surv_entry": ("{group} (n = {n}, median {median})", "{group} (n = {n}, médiane {median})"),
    "surv_entry_nr": ("{group} (n = {n}, median not reached)", "{group} (n = {n}, médiane non atteinte)"),
    "half": ("half of the dossiers", "la moitié des dossiers"),
    # stalls
    "stall_title": ("Where dossiers stall now: stalled dossiers by {rows} and phase",
                    "Où les dossiers bloquent : dossiers bloqués par {rows} et par phase"),
    "stall_pop": ("{n} stalled of {open} open dossiers (days in phase above its threshold)",
                  "{n} dossiers bloqués sur {open} en cours (jours dans la phase au-delà du seuil)"),
    "stall_pop_plain": ("{n} stalled dossiers (days in phase above its threshold)",
                        "{n} dossiers bloqués (jours dans la phase au-delà du seuil)"),
    "stall_bar": ("stalled dossiers", "dossiers bloqués"),
    "threshold": ("> {days} d", "> {days} j"),
    "age_title": ("Open dossiers by phase and days in the current phase",
                  "Dossiers en cours par phase et ancienneté dans la phase"),
    "age_x": ("open dossiers", "dossiers en cours"),
    "age_legend": ("{days} in the current phase", "{days} dans la phase actuelle"),
    "age_last": ("{lo} or more", "{lo} et plus"),
    # triggers
    "pareto_days_title": ("Delay triggers: extra days attributable", "Causes de retard : jours de retard attribuables"),
    "pareto_cases_title": ("Delay triggers: dossiers affected", "Causes de retard : dossiers concernés"),
    "pareto_days_x": ("extra {days} × dossiers affected (whiskers: 95% interval)",
                      "{days} en plus × dossiers concernés (moustaches : intervalle à 95 %)"),
    "pareto_cases_x": ("dossiers affected", "dossiers concernés"),
    "pareto_cum": ("cumulative share (%)", "part cumulée (%)"),
    "pareto_note": ("Associations, not proof of cause: compare cohorts before concluding.",
                    "Associations, pas preuve de causalité : comparer les cohortes avant de conclure."),
    "not_estimable": ("not estimable (a median not reached)", "non estimable (médiane non atteinte)"),
    "n_dossiers": ("{n} dossiers", "{n} dossiers"),
    "n_days": ("{n} extra {days}", "{n} {days} de retard"),
    "phase_legend": ("phase where raised", "phase où elle survient"),
    # flow
    "flow_title": ("Dossiers started and finished per {period}", "Dossiers commencés et terminés par {period}"),
    "flow_y": ("dossiers per {period}", "dossiers par {period}"),
    "wip_title": ("Work in progress: open dossiers at the end of each {period}, by phase",
                  "Dossiers en cours à la fin de chaque {period}, par phase"),
    "wip_y": ("open dossiers", "dossiers en cours"),
    "started": ("started", "commencés"),
    "rights_opened": ("rights opened (attestation de droits)", "droits ouverts (attestation de droits)"),
    "completed": ("completed (first reimbursement)", "terminés (premier remboursement)"),
    "closed": ("closed (abandoned, moved away)", "clos (abandon, déménagement)"),
    "waiting_title": ("Who the dossiers wait on: share of elapsed time",
                      "Qui fait attendre les dossiers : part du temps écoulé"),
    "waiting_x": ("share of the dossiers' elapsed {days} (%)", "part des {days} écoulés (%)"),
    # timeline
    "timeline_title": ("Dossier {label}: {status}", "Dossier {label} : {status}"),
    "timeline_sub": ("phases and events, as of {as_of}", "phases et événements, au {as_of}"),
    "phase_finished": ("phase finished", "phase terminée"),
    "phase_open": ("phase still open", "phase en cours"),
    "phase_closed": ("dossier closed in this phase", "dossier clos dans cette phase"),
    "trigger": ("delay trigger", "cause de retard"),
    "event": ("event", "événement"),
    "out_of_order": ("out of order: no duration", "hors ordre : pas de durée"),
    "still_open": ("open for {days}", "en cours depuis {days}"),
    "events_row": ("events", "événements"),
}

_STATUS = {"open": ("still open", "en cours"), "complete": ("complete", "terminé"), "closed": ("closed", "clos")}
_PARTIES = {"applicant": ("applicant", "demandeur"), "office": ("office (CPAM, CGSS)", "caisse (CPAM, CGSS)"),
            "third_party": ("third party", "tiers"), "unassigned": ("not assigned", "non attribué")}
_PERIODS = {"D": ("day", "jour"), "W": ("week", "semaine"), "M": ("month", "mois"), "Q": ("quarter", "trimestre"),
            "Y": ("year", "an")}
_MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"),
}
_MONTHS_SHORT = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."),
}

#: Labels of the Carte Vitale events (the process model labels phases and
#: triggers, not events); an unknown event shows its name.
EVENT_LABELS: Mapping[str, tuple[str, str]] = {
    "registration_submitted": ("Registration submitted", "Déclaration d'activité déposée"),
    "registration_accepted": ("Registration accepted", "Déclaration acceptée"),
    "nir_permanent": ("Permanent number received", "Numéro définitif attribué"),
    "dossier_submitted": ("Dossier submitted", "Dossier envoyé"),
    "rights_opened": ("attestation de droits (rights opened)", "attestation de droits (droits ouverts)"),
    "card_received": ("Card received", "Carte reçue"),
    "card_activated": ("Card activated", "Carte activée"),
    "first_reimbursement": ("First reimbursement", "Premier remboursement"),
    "nia_assigned": ("NIA assigned (provisional number)", "NIA attribué (numéro provisoire)"),
    "documents_collected": ("Documents collected", "Pièces réunies"),
    "s1106_completed": ("S1106 form completed", "Formulaire S1106 rempli"),
    "submission_confirmed": ("Submission confirmed (Démarches)", "Envoi confirmé (Mes démarches)"),
    "complement_requested": ("Complement requested", "Complément demandé"),
    "complement_sent": ("Complement sent", "Complément envoyé"),
    "card_requested": ("Card requested", "Carte commandée"),
    "followup_message": ("Follow-up message", "Message de relance"),
    "followup_call": ("Follow-up call (3646)", "Appel de relance (3646)"),
    "complaint_filed": ("Complaint filed", "Réclamation déposée"),
    "mediator_referral": ("Referred to the médiateur", "Médiateur saisi"),
    "activation_failed": ("Activation failed", "Échec de l'activation"),
    "card_updated": ("Card updated", "Carte mise à jour"),
    "card_lost": ("Card lost", "Carte perdue"),
    "case_closed": ("Dossier closed", "Dossier clos"),
}
#: Per milestone: "time to it" (survival titles) and "since it" (x labels), in both languages.
MILESTONE_PHRASES: Mapping[str | None, tuple[tuple[str, str], tuple[str, str]]] = {
    None: (("Time to the end", "Délai jusqu'à la fin"), ("since the dossier's start", "depuis le début du dossier")),
    "registration_submitted": (("Time to the registration", "Délai jusqu'au dépôt de la déclaration"),
                               ("since the registration was submitted", "depuis le dépôt de la déclaration")),
    "registration_accepted": (("Time to the registration's acceptance", "Délai jusqu'à l'acceptation de la déclaration"),
                              ("since the registration was accepted", "depuis l'acceptation de la déclaration")),
    "nir_permanent": (("Time to the permanent number", "Délai jusqu'au numéro définitif"),
                      ("since the permanent number", "depuis le numéro définitif")),
    "dossier_submitted": (("Time to submitting the dossier", "Délai jusqu'à l'envoi du dossier"),
                          ("since the dossier was submitted", "depuis l'envoi du dossier")),
    "rights_opened": (("Time to the attestation de droits", "Délai jusqu'à l'attestation de droits"),
                      ("since the rights opened", "depuis l'ouverture des droits")),
    "card_received": (("Time to receiving the card", "Délai jusqu'à la réception de la carte"),
                      ("since the card arrived", "depuis la réception de la carte")),
    "card_activated": (("Time to the card's activation", "Délai jusqu'à l'activation de la carte"),
                       ("since the card was activated", "depuis l'activation de la carte")),
    "first_reimbursement": (("Time to the first reimbursement", "Délai jusqu'au premier remboursement"),
                            ("since the first reimbursement", "depuis le premier remboursement")),
}


def _milestone_phrase(milestone: str | None, which: int, lang: str) -> str:
    """``which`` 0: "Time to X"; 1: "since X". Unknown milestones get a generic phrase with their label."""
    pair = MILESTONE_PHRASES.get(milestone)
    if pair:
        return pair[which][0 if lang == "en" else 1]
    label = _event_label(milestone, lang)
    if which == 0:
        return f"Time to: {label}" if lang == "en" else f"Délai jusqu'à : {label}"
    return f"since: {label}" if lang == "en" else f"depuis : {label}"


__all__ += ["COLUMN_LABELS", "EVENT_LABELS", "MILESTONE_PHRASES"]


def _t(key: str, lang: str, **fields) -> str:
    text = _T[key][0 if lang == "en" else 1]
    return text.format(**fields) if fields else text


def _event_label(name: str, lang: str) -> str:
    pair = EVENT_LABELS.get(name)
    return pair[0 if lang == "en" else 1] if pair else str(name).replace("_", " ")


# ============================================================================ formatting
_NNBSP = "\u202f"  # narrow no-break space: French thousands separator and before % and :


def _fmt_num(value: float, lang: str, decimals: int = 0) -> str:
    text = f"{value:,.{decimals}f}"
    if lang == "fr":
        text = text.replace(",", _NNBSP).replace(".", ",")
    return text


def _fmt_days(value: float, lang: str, working: bool = False) -> str:
    """Days for a label: whole days from 10 on, one decimal below ("36 days", "4,3 jours")."""
    decimals = 0 if abs(value) >= 10 else 1
    text = _fmt_num(value, lang, decimals)
    unit = ("working day" if working else "day") if text == "1" else ("working days" if working else "days")
    return f"{text} {_t(unit, lang)}"


def _fmt_pct(value: float, lang: str) -> str:
    return f"{_fmt_num(value, lang)}{_NNBSP}%" if lang == "fr" else f"{_fmt_num(value, lang)}%"


def _fmt_date(when, lang: str) -> str:
    """A date in words; an :class:`AsOf` reads as the last day it covers (a bare date
    ``"2025-06-30"`` reads "30 June 2025", although its cut is 1 July 00:00, excluded)."""
    ts = pd.Timestamp(when.day() if isinstance(when, AsOf) else when)
    day = "1er" if (lang == "fr" and ts.day == 1) else str(ts.day)
    return f"{day} {_MONTHS[lang][ts.month - 1]} {ts.year}"


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
        name = _MONTHS_SHORT[lang][d.month - 1]
        # The year under the first tick and under the first tick of each new year.
        return f"{name}\n{d.year}" if (_pos == 0 or d.month <= step) else name

    axis.set_major_locator(locator)
    axis.set_major_formatter(FuncFormatter(fmt))


def _days_word(attrs: Mapping, lang: str) -> str:
    return _t("working days" if attrs.get("days") == "working" else "days", lang)


def _wrap(text: str, width: int) -> str:
    text = printable(mask_text(str(text)))  # (before wrapping: a wrapped number is harder to find)
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=False)) or text


#: Words for the usual case attributes, used where a cohort needs its column's name.
COLUMN_LABELS: Mapping[str, tuple[str, str]] = {
    "office": ("office", "caisse"),
    "channel": ("channel", "canal"),
    "route": ("route", "parcours"),
    "born_abroad": ("born abroad", "né(e) à l'étranger"),
    "advisor": ("advisor", "conseiller"),
    "waiting_on": ("waiting on", "en attente de"),
    "reason": ("next-action reason", "motif de l'action"),
    "start_month": ("start month", "mois de début"),
    "start_quarter": ("start quarter", "trimestre de début"),
    "start_year": ("start year", "année de début"),
}


def _column_label(column: str, lang: str) -> str:
    pair = COLUMN_LABELS.get(column)
    return pair[0 if lang == "en" else 1] if pair else str(column).replace("_", " ")


def _cohort_label(value, column: str, lang: str) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return _t("missing", lang)
    if isinstance(value, (bool, np.bool_)):
        colon = f"{_NNBSP}:" if lang == "fr" else ":"
        return f"{_column_label(column, lang)}{colon} {_t('yes' if value else 'no', lang)}"
    return str(value)


def _group_label(record: Mapping, groups: Sequence[str], lang: str) -> str:
    return " · ".join(_cohort_label(record[g], g, lang) for g in groups)


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
        return (("as of " if lang == "en" else "au ") + _fmt_date(as_of, lang)) if as_of is not None else ""
    parts = [f"n = {_fmt_num(pop.n_cases, lang)} {_t('dossiers' if pop.n_cases != 1 else 'dossier', lang)}"]
    if pop.n_open is not None:
        parts.append(f"{_fmt_num(pop.n_open, lang)} still open" if lang == "en"
                     else f"dont {_fmt_num(pop.n_open, lang)} en cours")
    when = pop.as_of if pop.as_of is not None else as_of
    if when is not None:
        parts.append(("as of " if lang == "en" else "au ") + _fmt_date(when, lang))
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


# ============================================================================ time per phase
_PHASE_SUMMARY_COLUMNS = {"phase", "n", "n_finished", "n_open", "n_closed", "n_no_duration", "p25_days",
                          "median_days", "p75_days", "p90_days", "median_days_completed_only"}


@_masked
def plot_phase_durations(
    table: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    lang: str = "en",
    process: ProcessModel | None = None,
    population=None,
    ax: Axes | None = None,
) -> Axes:
    """Time per phase: Kaplan–Meier median, interquartile range, and the completed-only median.

    Parameters
    ----------
    table : DataFrame
        From :func:`vitale_analysis.chartdata.phase_quartiles` (median with
        the 25th–75th percentile box) or :func:`~vitale_analysis.phase_summary`
        (no ``p25_days``: the box runs from the median to the 75th percentile).
    by : str or list of str, optional
        Cohort columns of the table; default every column that is not a
        summary column (so a table made with ``by="channel"`` is split by
        channel). Each phase then gets a header row and one row per cohort,
        named on the axis.
    lang : {"en", "fr"}
    process : ProcessModel, optional
        For phase labels and colours (default Carte Vitale).
    population : DataFrame or chartdata.Population, optional
        What the title states; default the table's ``attrs``.
    ax : Axes, optional

    Returns
    -------
    Axes
        One row per phase (and cohort): a box in the phase's colour from
        ``p25_days`` to ``p75_days``, a black bar at ``median_days``, a white
        dot at ``median_days_completed_only``. A median Kaplan–Meier cannot
        reach yet (``inf``) is an arrow at the right edge marked "median not
        reached"; an ``inf`` 75th percentile is a box that runs off the right
        edge with an arrow. Each row is annotated with its ``n`` and
        ``n_open``.
    """
    process = _check(lang, process)
    _require(table, ["phase", "median_days", "p75_days", "median_days_completed_only"],
             "phase_summary() or chartdata.phase_quartiles()")
    groups = ([by] if isinstance(by, str) else list(by)) if by is not None else \
        [c for c in table.columns if c not in _PHASE_SUMMARY_COLUMNS]
    missing = [g for g in groups if g not in table.columns]
    if missing:
        raise CaseLogError(f"by={by!r}: the table has no column(s) {missing}; its columns are {list(table.columns)}.")
    has_p25 = "p25_days" in table.columns
    days_word = _days_word(table.attrs, lang)
    colours = phase_colours(process)
    labels = process.phase_labels(lang)

    group_values = (table[groups].drop_duplicates().reset_index(drop=True) if groups
                    else pd.DataFrame(index=[0]))
    n_groups = len(group_values)
    present = set(table["phase"].astype(object))  # once, not once per phase
    phases = [p for p in process.phase_keys if p in present]
    n_rows = len(phases) * (n_groups + (1 if groups else 0))
    ax = _new_axes(ax, (8.5, max(3.2, 0.34 * n_rows + 2.2)))
    pop = _population(table, population)
    _title(ax, f"{_t('phase_title', lang)} ({days_word})", _population_text(pop, lang, table.attrs.get("as_of")))
    reason = _phase_reason(table, pop)
    if reason:
        return _nothing_to_show(ax, lang, reason)

    right = _phase_right(table)

    # Rows: top to bottom, one per phase; with cohorts, a header row per phase then one row per cohort.
    y_ticks, y_labels, bold = [], [], []
    y = 0.0
    key_rows = []
    for phase in phases:
        if groups:
            y_ticks.append(y)
            y_labels.append(labels[phase])
            bold.append(True)
            y += 1
        for g in range(n_groups):
            sel = table["phase"].astype(object) == phase
            for name in groups:
                value = group_values.loc[g, name]
                sel &= table[name].isna() if pd.isna(value) else (table[name] == value)
            rows = table[sel.to_numpy()]
            if rows.empty:
                continue
            record = rows.iloc[0]
            y_ticks.append(y)
            y_labels.append(_group_label(group_values.iloc[g], groups, lang) if groups else labels[phase])
            bold.append(False)
            key_rows.append((y, phase, g, record))
            y += 1
    n_drawn = y

    box_height = 0.5
    any_not_reached = False
    for y, phase, g, rec in key_rows:
        colour = colours[phase]
        key = f"{phase}|{_group_label(group_values.iloc[g], groups, lang)}" if groups else phase
        median = float(rec["median_days"])
        low = float(rec["p25_days"]) if has_p25 else median
        high = float(rec["p75_days"])
        if np.isfinite(low):
            box_right = high if np.isfinite(high) else right
            _named(ax.barh(y, box_right - low, left=low, height=box_height, color=colour, edgecolor="#333333",
                           linewidth=0.8), f"_iqr|{key}")
            if not np.isfinite(high):
                any_not_reached = True
                ax.plot([right], [y], marker=">", markersize=9, color=colour, markeredgecolor="#333333",
                        clip_on=False, label=f"_p75_not_reached|{key}")
        if np.isfinite(median):
            ax.plot([median, median], [y - box_height / 2 - 0.06, y + box_height / 2 + 0.06], color="black",
                    linewidth=2.6, solid_capstyle="butt", label=f"_median|{key}")
        elif not np.isnan(median):
            any_not_reached = True
            ax.annotate("", xy=(right, y), xytext=(right * 0.86, y),
                        arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.6})
            ax.plot([right], [y], linestyle="none", marker="", label=f"_median_not_reached|{key}")
            ax.text(right * 0.85, y, _t("median_not_reached", lang), ha="right", va="center",
                    fontsize=8.5, fontstyle="italic", zorder=5,
                    bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.9})
        completed = float(rec["median_days_completed_only"])
        if np.isfinite(completed):
            ax.plot([completed], [y], linestyle="none", marker="o", markersize=6.5, markerfacecolor="white",
                    markeredgecolor="black", markeredgewidth=1.2, zorder=4, label=f"_completed|{key}")
        ax.annotate(_phase_note(rec, lang), xy=(1.03, y), xycoords=("axes fraction", "data"), va="center", ha="left",
                    fontsize=8, color=_MUTED)

    ax.set_yticks(y_ticks, y_labels)
    for label, is_bold in zip(ax.get_yticklabels(), bold):
        if is_bold:
            label.set_fontweight("bold")
    ax.set_ylim(n_drawn - 0.5, -0.7)
    ax.set_xlim(0, right)
    _clean_axes(ax)
    _number_axis(ax.xaxis, lang)
    ax.set_xlabel(_t("phase_x" if has_p25 else "phase_x_p75", lang, days=days_word.capitalize()))
    handles = [
        Patch(facecolor="#BBBBBB", edgecolor="#333333", label=_t("iqr" if has_p25 else "median_p75", lang)),
        Line2D([], [], color="black", linewidth=2.6, marker="|", markersize=0, label=_t("km_median", lang)),
        Line2D([], [], linestyle="none", marker="o", markerfacecolor="white", markeredgecolor="black",
               label=_t("completed_median", lang)),
    ]
    if any_not_reached:
        handles.append(Line2D([], [], linestyle="none", marker=">", markersize=8, color="#BBBBBB",
                              markeredgecolor="#333333", label=_t("beyond", lang)))
    _legend_below(ax, handles, ncol=3 if len(handles) == 3 else 2)
    return ax


def _phase_reason(table: pd.DataFrame, pop: Population | None) -> str | None:
    empty = len(table) == 0 or ("n" in table.columns and not (table["n"] > 0).any())
    return _too_few(pop) or ("no_dossier" if empty else None)


def _phase_right(table: pd.DataFrame) -> float:
    """The x axis' right end: the largest finite day drawn, plus room."""
    values = table[[c for c in ("p25_days", "median_days", "p75_days", "median_days_completed_only") if c in table]]
    finite = values.to_numpy(dtype=float)
    finite = finite[np.isfinite(finite)]
    right = float(finite.max()) * 1.12 if finite.size else 10.0
    return max(right, 1.0)


def _phase_note(rec, lang: str) -> str:
    return _t("row_n", lang, n=_fmt_num(int(rec.get("n", 0)), lang), open=_fmt_num(int(rec.get("n_open", 0)), lang))


@_masked
def update_phase_durations(
    ax: Axes,
    table: pd.DataFrame,
    *,
    lang: str = "en",
    process: ProcessModel | None = None,
) -> bool:
    """Show another table on a chart :func:`plot_phase_durations` drew, in place, when it can.

    Moving the boxes, bars and dots of a chart already drawn, and changing its
    notes and title, is much quicker than drawing a new chart (an explorer does
    it on each filter change). It is done only when the result is the chart
    ``plot_phase_durations(table, lang=lang, process=process, ax=fresh_axes)``
    would draw: both the table and the chart on ``ax`` are of
    :func:`~vitale_analysis.chartdata.phase_quartiles` (with ``p25_days``),
    without cohorts, with the same phases, language and days, and every row
    of both has a box, a median bar and a finished-only dot (no "not
    reached" mark, no "Nothing to show").

    Parameters
    ----------
    ax : Axes
        Drawn by :func:`plot_phase_durations` (no ``by``, no ``population``).
    table : DataFrame
        As for :func:`plot_phase_durations`, without cohort columns.
    lang, process
        As ``ax`` was drawn with.

    Returns
    -------
    bool
        True when ``ax`` now shows ``table``; False when it was left as it was
        (draw the table on a new Axes instead).
    """
    process = _check(lang, process)
    if not isinstance(table, pd.DataFrame) or ax.get_gid() == "nothing-to-show":
        return False
    if [c for c in table.columns if c not in _PHASE_SUMMARY_COLUMNS] or "p25_days" not in table.columns:
        return False
    days_word = _days_word(table.attrs, lang)
    if ax.get_xlabel() != _t("phase_x", lang, days=days_word.capitalize()):
        return False
    pop = _population(table, None)
    if _phase_reason(table, pop):
        return False
    labels = process.phase_labels(lang)
    rows = {str(phase): rec for phase, rec in zip(table["phase"].astype(object), table.to_dict("records"))}
    phases = [p for p in process.phase_keys if p in rows]
    if len(rows) != len(table) or [t.get_text() for t in ax.get_yticklabels()] != [labels[p] for p in phases]:
        return False
    marks = {}
    for artist in [*ax.patches, *ax.lines]:
        kind, _, key = artist.get_label().partition("|")
        if kind.startswith("_") and key:
            marks[kind, key] = artist
    if set(marks) != {(kind, p) for p in phases for kind in ("_iqr", "_median", "_completed")}:
        return False  # a "not reached" mark, or a row without a box, bar or dot
    notes = {round(t.xy[1]): t for t in ax.texts if getattr(t, "xy", None) is not None and t.xy[0] == 1.03}
    if len(notes) != len(phases):
        return False
    values = {p: [float(rows[p][c]) for c in ("p25_days", "median_days", "p75_days", "median_days_completed_only")]
              for p in phases}
    if not all(np.isfinite(v).all() for v in values.values()):
        return False

    for y, phase in enumerate(phases):
        low, median, high, completed = values[phase]
        box = marks["_iqr", phase]
        box.set_x(low)
        box.set_width(high - low)
        marks["_median", phase].set_xdata([median, median])
        marks["_completed", phase].set_xdata([completed])
        notes[y].set_text(_phase_note(rows[phase], lang))
    _title(ax, f"{_t('phase_title', lang)} ({days_word})", _population_text(pop, lang, table.attrs.get("as_of")))
    ax.set_xlim(0, _phase_right(table))
    return True


# ============================================================================ survival curves
@_masked
def plot_survival(
    curves: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    lang: str = "en",
    process: ProcessModel | None = None,
    population=None,
    ax: Axes | None = None,
) -> Axes:
    """Survival curves: the share of dossiers still waiting after so many days, per cohort.

    Parameters
    ----------
    curves : DataFrame
        From :func:`vitale_analysis.chartdata.km_curves` (over
        ``phase_times`` or ``milestone_times``): what is measured (a phase,
        or the time to a milestone) is read from its ``attrs``.
    by : str or list of str, optional
        Cohort columns; default the curves' ``by``.
    lang, process, population, ax
        As in :func:`plot_phase_durations`.

    Returns
    -------
    Axes
        One step line per cohort (``get_xdata()`` = ``days``,
        ``get_ydata()`` = ``survival`` × 100), legend entries with the
        cohort's ``n`` and Kaplan–Meier median ("median not reached" when
        ``inf``), and a dotted line at 50 %.
    """
    process = _check(lang, process)
    _require(curves, ["days", "survival", "n", "median_days"], "chartdata.km_curves()")
    groups = curves.attrs.get("by", []) if by is None else ([by] if isinstance(by, str) else list(by))
    attrs = curves.attrs
    days_word = _days_word(attrs, lang)
    if attrs.get("curve") == "phase" and attrs.get("phase"):
        phase = attrs["phase"]
        what = _t("surv_phase_title", lang, phase=process.phase(phase).label_in(lang))
        x_label = _t("surv_x_phase", lang, days=days_word.capitalize())
        line_colour = phase_colours(process).get(phase, "black")
        y_label = _t("surv_y_phase", lang)
    else:
        what = _t("surv_milestone_title", lang, milestone=_milestone_phrase(attrs.get("milestone"), 0, lang))
        x_label = _t("surv_x_milestone", lang, days=days_word.capitalize(),
                     start=_milestone_phrase(attrs.get("start"), 1, lang))
        line_colour = "black"
        y_label = _t("surv_y", lang)
    ax = _new_axes(ax, (8, 5))
    pop = _population(curves, population)
    _title(ax, what, _population_text(pop, lang, attrs.get("as_of")))
    reason = _too_few(pop) or ("no_dossier" if len(curves) == 0 else None)
    if reason:
        return _nothing_to_show(ax, lang, reason)

    keys = curves[groups].drop_duplicates().reset_index(drop=True) if groups else pd.DataFrame(index=[0])
    for g in range(len(keys)):
        sel = np.ones(len(curves), dtype=bool)
        for name in groups:
            value = keys.loc[g, name]
            sel &= (curves[name].isna() if pd.isna(value) else (curves[name] == value)).to_numpy()
        part = curves[sel]
        n = int(part["n"].iloc[0])
        median = float(part["median_days"].iloc[0])
        name = _group_label(keys.iloc[g], groups, lang) if groups else _t("all_dossiers", lang)
        if np.isfinite(median):
            label = _t("surv_entry", lang, group=name, n=_fmt_num(n, lang), median=_fmt_days(median, lang, attrs.get("days") == "working"))
        else:
            label = _t("surv_entry_nr", lang, group=name, n=_fmt_num(n, lang))
        colour = _COHORT_COLOURS[g % len(_COHORT_COLOURS)] if groups else line_colour
        style = _COHORT_LINESTYLES[g % len(_COHORT_LINESTYLES)] if groups else "-"
        ax.plot(part["days"].to_numpy(dtype=float), part["survival"].to_numpy(dtype=float) * 100,
                drawstyle="steps-post", color=colour, linestyle=style, linewidth=2, label=label)
    ax.axhline(50, color=_MUTED, linestyle=":", linewidth=1)
    ax.text(0.995, 50, _t("half", lang), transform=ax.get_yaxis_transform(), ha="right", va="bottom",
            fontsize=8, color=_MUTED)
    ax.set_ylim(0, 102)
    ax.set_xlim(0, float(curves["days"].max()) * 1.02 or 1.0)
    _clean_axes(ax, "both")
    _number_axis(ax.xaxis, lang)
    _number_axis(ax.yaxis, lang, percent=True)
    ax.set_ylabel(y_label)
    ax.set_xlabel(x_label)
    as_of = attrs.get("as_of")
    legend_title = (_t("surv_legend", lang, as_of=_fmt_date(as_of, lang)) if as_of is not None
                    else _t("surv_legend_plain", lang))
    ax.legend(title=legend_title, loc="upper right", fontsize=9, title_fontsize=8.5, frameon=True, framealpha=0.9)
    return ax


# ============================================================================ stalls
@dataclass(frozen=True)
class _HeatmapWords:
    """What the stall heat map says, worked out once for the Agg and the HTML versions."""

    title: str
    who: str
    rows_word: str
    reason: str | None  # "no_dossier" / "no_stalled": a message instead of the grid
    column_labels: list[list[str]]  # per phase: its label's lines, then its threshold
    row_labels: list[str]
    counts: np.ndarray  # float, as the image holds it
    vmax: float


def _stalled_heatmap_words(matrix: pd.DataFrame, lang: str, process: ProcessModel, population) -> _HeatmapWords:
    if not isinstance(matrix, pd.DataFrame):
        raise CaseLogError(f"matrix: expected a DataFrame from chartdata.stalled_matrix(), got {type(matrix).__name__}.")
    unknown = [c for c in matrix.columns if c not in process.phase_keys]
    if unknown:
        raise CaseLogError(f"matrix: column(s) {unknown} are not phases of {process.name!r}; "
                           "expected a table from chartdata.stalled_matrix().")
    attrs = matrix.attrs
    rows_name = attrs.get("rows", matrix.index.name or "office")
    rows_word = _column_label(rows_name, lang)
    pop = _population(matrix, population)
    n_stalled = int(attrs.get("n_stalled", 0))
    if pop is not None and pop.n_open is not None:
        who = _t("stall_pop", lang, n=_fmt_num(n_stalled, lang), open=_fmt_num(pop.n_open, lang))
    else:
        who = _t("stall_pop_plain", lang, n=_fmt_num(n_stalled, lang))
    as_of = pop.as_of if pop is not None and pop.as_of is not None else attrs.get("as_of")
    if as_of is not None:
        who += (", as of " if lang == "en" else ", au ") + _fmt_date(as_of, lang)
    counts = matrix.to_numpy(dtype=float)
    reason = None
    if pop is not None and pop.n_cases == 0:
        reason = "no_dossier"
    elif len(matrix) == 0 or not (counts > 0).any():
        reason = "no_stalled"
    thresholds = attrs.get("thresholds", {})
    column_labels = []
    for key in matrix.columns:
        lines = _wrap(process.phase(key).label_in(lang), 14).split("\n")
        if key in thresholds and np.isfinite(thresholds[key]):
            lines.append(_t("threshold", lang, days=_fmt_num(thresholds[key], lang)))
        column_labels.append(lines)
    return _HeatmapWords(
        title=_t("stall_title", lang, rows=rows_word), who=who, rows_word=rows_word, reason=reason,
        column_labels=column_labels, row_labels=[_cohort_label(v, rows_name, lang) for v in matrix.index],
        counts=counts, vmax=max(1.0, float(counts.max())) if counts.size else 1.0,
    )


def _heatmap_cmap():
    # Zero cells are masked (white): "no stalled dossier here" must not look like "a few".
    return matplotlib.colormaps[_SEQUENTIAL].with_extremes(bad="white")


def _dark_cell(value: float, vmax: float) -> bool:
    """White text on the cells dark enough for it (the same rule in both versions)."""
    return value > 0.55 * vmax


@_masked
def plot_stalled_heatmap(
    matrix: pd.DataFrame,
    *,
    lang: str = "en",
    process: ProcessModel | None = None,
    population=None,
    ax: Axes | None = None,
) -> Axes:
    """Where dossiers stall now: stalled counts by office (rows) × phase (columns).

    Parameters
    ----------
    matrix : DataFrame
        From :func:`vitale_analysis.chartdata.stalled_matrix`.
    lang, process, population, ax
        As in :func:`plot_phase_durations`.

    Returns
    -------
    Axes
        An image whose array equals ``matrix.to_numpy()``, each cell written
        out (blank for 0), columns labelled with the phase and its threshold
        in days, and a colour bar.

    See Also
    --------
    stalled_heatmap_html : the same table as an HTML heat map (what the
        StallExplorer shows: drawn in a millisecond, text a screen reader reads).
    """
    process = _check(lang, process)
    words = _stalled_heatmap_words(matrix, lang, process, population)
    n_rows = len(matrix)
    ax = _new_axes(ax, (8.5, max(3.5, 0.3 * n_rows + 2.6)))
    _title(ax, words.title, words.who)
    if words.reason:
        return _nothing_to_show(ax, lang, words.reason)

    counts, vmax = words.counts, words.vmax
    image = ax.imshow(np.ma.masked_equal(counts, 0), cmap=_heatmap_cmap(), vmin=0, vmax=vmax, aspect="auto",
                      interpolation="nearest")
    for (i, j), value in np.ndenumerate(counts):
        if value > 0:
            ax.text(j, i, _fmt_num(value, lang), ha="center", va="center", fontsize=8.5,
                    color="white" if _dark_cell(value, vmax) else "black",
                    in_layout=False)  # inside its cell: the layout need not measure it (hundreds of cells)
    ax.set_xticks(range(len(matrix.columns)), ["\n".join(lines) for lines in words.column_labels], fontsize=8.5)
    ax.xaxis.tick_top()
    ax.set_yticks(range(n_rows), words.row_labels, fontsize=8.5)
    ax.set_ylabel(words.rows_word)
    ax.set_xticks(np.arange(-0.5, len(matrix.columns)), minor=True)
    ax.set_yticks(np.arange(-0.5, n_rows), minor=True)
    ax.grid(which="minor", color=_GRID, linewidth=0.8)
    ax.tick_params(which="minor", length=0)
    ax.tick_params(which="major", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    bar = ax.figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label(_t("stall_bar", lang))
    bar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    _number_axis(bar.ax.yaxis, lang)
    return ax


_HEATMAP_CSS = (
    "<style>"
    ".vitale-heatmap table{border-collapse:collapse;font-size:12px;margin:4px 0}"
    ".vitale-heatmap caption{caption-side:top;text-align:left;padding:2px 0 6px}"
    ".vitale-heatmap caption b{font-size:14px}"
    ".vitale-heatmap th{font-weight:normal;padding:2px 6px;vertical-align:bottom}"
    ".vitale-heatmap thead th{text-align:center;line-height:1.25}"
    ".vitale-heatmap tbody th{text-align:right;white-space:nowrap}"
    ".vitale-heatmap td{border:1px solid #DDDDDD;min-width:64px;padding:2px 6px;text-align:center;"
    "font-variant-numeric:tabular-nums}"
    ".vitale-heatmap .vitale-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);"
    "white-space:nowrap}"
    ".vitale-heatmap .vitale-scale{display:flex;align-items:center;gap:6px;font-size:12px;margin:2px 0 4px}"
    ".vitale-heatmap .vitale-ramp{display:inline-block;width:160px;height:10px;border:1px solid #DDDDDD}"
    "</style>"
)


def stalled_heatmap_html(
    matrix: pd.DataFrame,
    *,
    lang: str = "en",
    process: ProcessModel | None = None,
    population=None,
) -> str:
    """The stall heat map as an HTML table: what :func:`plot_stalled_heatmap` draws, as text.

    Parameters
    ----------
    matrix : DataFrame
        From :func:`vitale_analysis.chartdata.stalled_matrix`.
    lang, process, population
        As in :func:`plot_stalled_heatmap`.

    Returns
    -------
    str
        A ``<div class="vitale-heatmap">`` holding a ``<table>``: its caption
        is the chart's title and population; one column per phase (its label
        and threshold, as the chart's axis), one row per office (``th``
        cells); each count in its cell, on the background colour the chart
        gives it (the same colour map and scale, ``vmin`` 0, ``vmax`` the
        largest count) with white text on the dark cells. A zero cell is white
        and shows nothing, as in the chart (a "0" is kept for screen readers).
        Below the table, the colour scale from 0 to the largest count. When
        there is nothing to show, the caption and the chart's message instead.
        All text is escaped; numbers that look like a social security number
        are masked.

    Examples
    --------
    >>> import vitale_analysis as va
    >>> from vitale_analysis import chartdata, plots
    >>> log = va.load("data/sample_caselog.csv")  # doctest: +SKIP
    >>> cases = va.case_table(log)  # doctest: +SKIP
    >>> html = plots.stalled_heatmap_html(chartdata.stalled_matrix(va.stalled(log, cases=cases), cases=cases))  # doctest: +SKIP
    """
    from html import escape

    from matplotlib.colors import Normalize, to_hex

    process = _check(lang, process)
    words = _stalled_heatmap_words(matrix, lang, process, population)

    def text(value: str) -> str:
        return escape(mask_text(str(value)))

    colon = f"{_NNBSP}:" if lang == "fr" else ":"

    caption = f"<caption><b>{text(words.title)}</b><br>{text(words.who)}</caption>"
    if words.reason:
        return (f'{_HEATMAP_CSS}<div class="vitale-heatmap"><table>{caption}</table>'
                f'<p><b>{text(_t("nothing", lang))}</b>{colon} {text(_t(words.reason, lang))}</p></div>')

    cmap, vmax = _heatmap_cmap(), words.vmax
    # The colour map over the whole grid at once, as imshow maps it (one call, not one per cell).
    rgb = np.rint(cmap(Normalize(vmin=0, vmax=vmax)(words.counts))[..., :3] * 255).astype(int)
    corner = words.rows_word[:1].upper() + words.rows_word[1:]
    head = "".join(f'<th scope="col">{"<br>".join(text(line) for line in lines)}</th>'
                   for lines in words.column_labels)
    rows = []
    for label, values, colours in zip(words.row_labels, words.counts, rgb):
        cells = []
        for value, (red, green, blue) in zip(values, colours):
            if value > 0:
                ink = "#ffffff" if _dark_cell(value, vmax) else "#000000"
                cells.append(f'<td style="background:#{red:02x}{green:02x}{blue:02x};color:{ink}">'
                             f"{text(_fmt_num(value, lang))}</td>")
            else:
                cells.append('<td style="background:#ffffff"><span class="vitale-sr">0</span></td>')
        rows.append(f'<tr><th scope="row">{text(label)}</th>{"".join(cells)}</tr>')
    ramp = ", ".join(to_hex(colour) for colour in cmap(np.linspace(0, 1, 9)))
    scale = (f'<div class="vitale-scale" aria-hidden="true"><span>{text(_t("stall_bar", lang))}{colon}</span>'
             f"<span>0</span>"
             f'<span class="vitale-ramp" style="background:linear-gradient(to right, {ramp})"></span>'
             f"<span>{text(_fmt_num(vmax, lang))}</span></div>")
    return (f'{_HEATMAP_CSS}<div class="vitale-heatmap"><table>{caption}'
            f'<thead><tr><th scope="col">{text(corner)}</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>{scale}</div>')


@_masked
def plot_open_by_age(
    table: pd.DataFrame,
    *,
    lang: str = "en",
    process: ProcessModel | None = None,
    population=None,
    ax: Axes | None = None,
) -> Axes:
    """Open dossiers by current phase, stacked by days already spent in that phase.

    Parameters
    ----------
    table : DataFrame
        From :func:`vitale_analysis.chartdata.open_by_age`.

    Returns
    -------
    Axes
        One horizontal bar per phase (top: the first phase); one stacked
        segment per age bin (light: recent, dark: old), ``ax.containers[k]``
        holding bin ``k`` with widths equal to the table's ``n``; each bar
        ends with the phase's ``n_phase``.
    """
    process = _check(lang, process)
    _require(table, ["phase", "days_from", "days_to", "n", "n_phase"], "chartdata.open_by_age()")
    days_word = _days_word(table.attrs, lang)
    present = set(table["phase"].astype(object))  # once, not once per phase
    phases = [p for p in process.phase_keys if p in present]
    ax = _new_axes(ax, (8.5, max(3.2, 0.45 * len(phases) + 2.4)))
    pop = _population(table, population)
    _title(ax, _t("age_title", lang), _population_text(pop, lang, table.attrs.get("as_of")))
    reason = _too_few(pop) or ("no_open" if len(table) == 0 or not (table["n"] > 0).any() else None)
    if reason:
        return _nothing_to_show(ax, lang, reason)

    edges = table.drop_duplicates(["days_from", "days_to"])[["days_from", "days_to"]].sort_values("days_from")
    cmap = matplotlib.colormaps[_SEQUENTIAL]
    shades = cmap(np.linspace(0.2, 0.95, len(edges)))
    positions = {p: i for i, p in enumerate(phases)}
    left = np.zeros(len(phases))
    for k, (lo, hi) in enumerate(edges.itertuples(index=False)):
        part = table[(table["days_from"] == lo) & (table["days_to"] == hi)]
        widths = np.zeros(len(phases))
        for phase, n in zip(part["phase"].astype(object), part["n"]):
            if phase in positions:
                widths[positions[phase]] = n
        if np.isfinite(hi):
            label = f"{_fmt_num(lo, lang)}–{_fmt_num(hi, lang)}"
        else:
            label = _t("age_last", lang, lo=_fmt_num(lo, lang))
        bars = ax.barh(range(len(phases)), widths, left=left, height=0.62, color=shades[k], edgecolor="white",
                       linewidth=0.8, label=label)
        for rect, width in zip(bars, widths):
            if width >= 0.045 * max(1, table["n_phase"].max()) and width > 0:
                ax.text(rect.get_x() + width / 2, rect.get_y() + rect.get_height() / 2, _fmt_num(width, lang),
                        ha="center", va="center", fontsize=8, color="white" if k >= len(edges) / 2 else "black",
                        in_layout=False)  # inside its bar
        left = left + widths
    totals = table.drop_duplicates("phase").set_index(table.drop_duplicates("phase")["phase"].astype(object))["n_phase"]
    for i, phase in enumerate(phases):
        ax.text(float(totals[phase]), i, "  " + _fmt_num(int(totals[phase]), lang), va="center", ha="left",
                fontsize=9, fontweight="bold")
    labels = process.phase_labels(lang)
    ax.set_yticks(range(len(phases)), [labels[p] for p in phases])
    for tick, phase in zip(ax.get_yticklabels(), phases):
        tick.set_color("black")
    # A coloured swatch beside each phase name, so the phase colours stay recognisable here too.
    colours = phase_colours(process)
    for i, phase in enumerate(phases):
        ax.add_patch(matplotlib.patches.Rectangle((-0.012, i - 0.31), 0.008, 0.62, transform=ax.get_yaxis_transform(),
                                                  color=colours[phase], clip_on=False))
    ax.invert_yaxis()
    ax.set_xlim(0, float(table["n_phase"].max()) * 1.12)
    _clean_axes(ax)
    _number_axis(ax.xaxis, lang)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(_t("age_x", lang))
    ax.legend(title=_t("age_legend", lang, days=days_word.capitalize()), loc="lower right", fontsize=8.5,
              title_fontsize=8.5, ncol=1, frameon=True, framealpha=0.95)
    return ax


# ============================================================================ triggers
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
            note = _t("n_dossiers", lang, n=_fmt_num(rec.cases_affected, lang))
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


# ============================================================================ flow over time
def _periods(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, str]:
    """Start and end of each period (for drawing), from ``period_start`` and ``attrs["freq"]``."""
    freq = str(table.attrs.get("freq", "W"))
    starts = pd.DatetimeIndex(table["period_start"])
    ends = pd.PeriodIndex(starts, freq=freq).end_time.ceil("D")
    return starts.to_numpy(), ends.to_numpy(), freq


def _period_word(freq: str, lang: str) -> str:
    key = freq[:1].upper()
    pair = _PERIODS.get(key)
    return pair[0 if lang == "en" else 1] if pair else freq


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
    parties = [p for p in _PARTIES if f"share_{p}" in summary.columns]
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
                       linewidth=0.8, label=_PARTIES[party][0 if lang == "en" else 1])
        for rect, width in zip(bars, widths):
            if width >= 6:
                ax.text(rect.get_x() + width / 2, rect.get_y() + rect.get_height() / 2, _fmt_pct(width, lang),
                        ha="center", va="center", fontsize=8.5,
                        color="white" if party in ("office", "third_party") else "black", in_layout=False)  # inside
        left = left + widths
    labels = []
    for rec in summary.to_dict("records"):
        name = _group_label(rec, groups, lang) if groups else _t("all_dossiers", lang)
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


# ============================================================================ one dossier
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
    status = _STATUS.get(timeline.status, (timeline.status, timeline.status))[0 if lang == "en" else 1]
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
        y_labels.append(_event_label(kind, lang))
        label_colours.append(_MUTED)
        times = mdates.date2num(_local(others.loc[others["event"] == kind, "timestamp"]))
        ax.plot(times, np.full(len(times), y), linestyle="none", marker="o", markersize=6, color="#333333",
                label=f"_event|{kind}")
        y += 1
    # One row per delay trigger (its label in the chart's language), a diamond each time it was raised:
    # labels on rows of their own never overlap, however close in time the triggers are.
    for key in triggers:
        model = process.triggers.get(str(key))
        y_labels.append(_wrap(model.label_in(lang) if model else str(key).replace("_", " "), 40))
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


# ============================================================================ saving
_SAVE_METADATA = {
    ".png": {"Software": None},
    ".svg": {"Date": None, "Creator": None},
    ".pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
}


def save_figure(fig: Figure | Axes, path: str | Path, *, dpi: int = 300) -> Path:
    """Save a chart for a report: PNG (``dpi``, 300 by default), SVG or PDF, by the file's suffix.

    SVG and PDF files are byte-for-byte reproducible (no dates, no tool
    versions, fixed SVG ids), so regenerated charts only change when the
    data do. Parent folders are created. Returns the path written.

    Parameters
    ----------
    fig : Figure or Axes
        The figure (``ax.figure``); an Axes is taken as its figure.
    path : str or Path
        Ends in ``.png``, ``.svg`` or ``.pdf``.
    dpi : int
        Resolution of a PNG (ignored by SVG and PDF, which are vector).
    """
    if isinstance(fig, Axes):
        fig = fig.figure
    if not isinstance(fig, Figure):
        raise CaseLogError(f"fig: expected a matplotlib Figure (ax.figure), got {type(fig).__name__}.")
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _SAVE_METADATA:
        raise CaseLogError(f"{str(path)!r}: save charts as .png, .svg or .pdf (got {suffix or 'no suffix'!r}).")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".png" and isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine):
        path.write_bytes(figure_png(fig, dpi=dpi))  # (the charts here: drawn once, see figure_png)
        return path
    with matplotlib.rc_context({"svg.hashsalt": "vitale-analysis", "svg.fonttype": "path", "pdf.fonttype": 42}):
        fig.savefig(path, dpi=dpi, metadata=_SAVE_METADATA[suffix], bbox_inches="tight", facecolor="white")
    return path


def figure_png(fig: Figure, *, dpi: int = 150) -> bytes:
    """PNG bytes of a figure drawn once at ``dpi``, on a white ground; the figure is left as it was.

    ``savefig(bbox_inches="tight")`` draws a figure twice, once to measure it.
    The charts of this package are laid out by constrained layout, which
    already keeps every artist inside the figure with a small pad: drawing
    once on an Agg canvas and encoding its pixels gives the same chart (the 6
    charts of ``05_report_charts`` at 300 dpi: 4.3 → 2.3 s). The PNG records
    the dpi and has no text chunk (no tool version), so regenerated charts
    change only when the data do.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    original, old_dpi, old_face = fig.canvas, fig.dpi, fig.get_facecolor()
    try:
        fig.set_dpi(dpi)
        fig.set_facecolor("white")
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        return canvas_png(canvas)
    finally:
        fig.set_dpi(old_dpi)
        fig.set_facecolor(old_face)
        fig.set_canvas(original)


def canvas_png(canvas, *, compress_level: int = 6) -> bytes:
    """What an Agg canvas just drew, as PNG bytes: its dpi recorded, no text chunk.

    ``compress_level`` is zlib's (6, PIL's default, for files; 1 for an image
    sent to a browser at once).
    """
    from matplotlib.image import imsave

    buffer = io.BytesIO()
    imsave(buffer, canvas.buffer_rgba(), format="png", origin="upper", dpi=canvas.figure.dpi,
           metadata={"Software": None}, pil_kwargs={"compress_level": compress_level})
    return buffer.getvalue()
