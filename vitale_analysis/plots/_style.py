"""Colours and the privacy mask every chart gets: Okabe–Ito palette, one colour per phase, masked texts."""

from __future__ import annotations

import functools
from collections.abc import Mapping

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import Formatter

from ..masking import printable
from ..privacy import mask_text
from ..process import CARTE_VITALE, ProcessModel


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


