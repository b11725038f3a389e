"""The process map: steps as boxes, the moves between them as arrows, laid out along the process.

Drawn with matplotlib alone (no Graphviz): the milestones stand on a main
line, top to bottom in the process's order; every other step stands beside
the milestone it usually follows (left and right columns); moves back up the
page — a complement requested again, a dossier resubmitted — are drawn as
arcs, so the loops show. Arrow width says how many dossiers made the move,
colour how long it took (median days) or again how many. Box sizes come from
the text they hold, measured by the renderer, so no two boxes overlap; edge
labels that would cover a box or another label are left out (the colour
still tells).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.patches import FancyArrowPatch

from .. import i18n
from ..errors import CaseLogError
from ..masking import printable
from ..privacy import mask_text
from ..process import ProcessModel
from ..processmap import END, OPEN, START
from ._axes import _check, _event_label, _fmt_num, _nothing_to_show, _population_text, _t, _title
from ._style import _MUTED, _masked

__all__ = ["plot_process_map"]

_SYNTHETIC = (START, END, OPEN)

_METRICS = ("median_days", "dossiers")
_FONT = 8.5
_WRAP = 22  # characters per line of a box
_GAP_X, _GAP_Y = 0.55, 0.32  # inches between boxes
_MARGIN = 0.35


def _label(event: str, lang: str, labels: Mapping | None) -> str:
    if event in _SYNTHETIC:
        return _t({START: "pmap_start", END: "pmap_end", OPEN: "pmap_open"}[event], lang)
    text = i18n.event_label(event, lang, labels=labels) if labels else _event_label(event, lang)
    return printable(mask_text(str(text)))  # (a user's label: control characters shown, numbers masked)


def _anchors(nodes: pd.DataFrame, edges: pd.DataFrame, milestones: list[str]) -> dict[str, int]:
    """For each other step, the milestone (its position) it usually follows.

    ``after_milestone`` in the nodes table when the map has it (the milestone
    its dossiers had last reached); otherwise, from the arrows: the milestone
    whose neighbourhood sends it the most moves — a milestone counts for
    itself, another step for the milestone it is placed by (a few rounds, until
    nothing moves); the start counts as the first milestone.
    """
    others = [e for e in nodes["event"] if e not in milestones and e not in _SYNTHETIC]
    if "after_milestone" in nodes.columns:
        after = dict(zip(nodes["event"], nodes["after_milestone"], strict=True))
        return {e: milestones.index(after[e]) if after.get(e) in milestones else 0 for e in others}
    home = {m: i for i, m in enumerate(milestones)}
    home[START] = 0
    anchor = dict.fromkeys(others, 0)
    incoming = edges[edges["target"].isin(others) & (edges["source"] != edges["target"])]
    for _ in range(len(others) + 1):
        moved = False
        for e, part in incoming.groupby("target", sort=True):
            votes: dict[int, float] = {}
            for source, n in zip(part["source"], part["transitions"], strict=True):
                where = home.get(source, anchor.get(source))
                if where is not None:
                    votes[where] = votes.get(where, 0.0) + float(n)
            if votes:
                best = max(sorted(votes), key=lambda k: votes[k])
                moved |= best != anchor[e]
                anchor[e] = best
        if not moved:
            break
    return anchor


def _on_edge(centre: tuple[float, float], size: tuple[float, float], toward: tuple[float, float]):
    """Where the line from a box's centre toward a point leaves the box (sizes in the axes' units)."""
    (x, y), (w, h), (tx, ty) = centre, size, toward
    dx, dy = tx - x, ty - y
    if dx == 0 and dy == 0:
        return x, y
    scale = min(w / 2 / abs(dx) if dx else np.inf, h / 2 / abs(dy) if dy else np.inf)
    return x + dx * scale, y + dy * scale


@_masked
def plot_process_map(
    pmap,
    *,
    lang: str = "en",
    metric: str = "median_days",
    process: ProcessModel | None = None,
    labels: Mapping | None = None,
    edge_labels: int = 14,
    ax: Axes | None = None,
    figure=None,
) -> Axes:
    """Draw a process map: boxes for steps, arrows for the moves between them.

    Parameters
    ----------
    pmap : ProcessMap
        From :func:`~vitale_analysis.process_map` (its ``nodes`` and ``edges``
        tables; filter the edges there, e.g. ``min_share=0.02``).
    lang : {"en", "fr"}
    metric : {"median_days", "dossiers"}
        What the arrows' colour and labels say: the median days between the
        two steps, or how many dossiers made the move. Width is always dossiers.
    process : ProcessModel, optional
        Its milestones make the main line (default: the map's own, else Carte Vitale).
    labels : mapping, optional
        Your own words for the steps (a log's ``labels``).
    edge_labels : int
        Label at most this many arrows, the most travelled first (0: none).
    ax : Axes, optional
        Draw there; by default a new figure sized to the boxes (best for a report).
    figure : Figure, optional
        An empty figure to draw on instead of a new pyplot one (resized to the
        boxes): the widgets pass one that pyplot does not manage.

    Returns
    -------
    Axes
        Each box is a Text artist with gid ``node:<event>``, each arrow a
        FancyArrowPatch with gid ``edge:<source>-><target>``, each arrow label
        a Text with gid ``edge-label:<source>-><target>``.
    """
    process = _check(lang, process if process is not None else getattr(pmap, "process", None))
    if metric not in _METRICS:
        raise CaseLogError(f"metric={metric!r}: use one of {list(_METRICS)}.")
    nodes, edges = getattr(pmap, "nodes", None), getattr(pmap, "edges", None)
    if not isinstance(nodes, pd.DataFrame) or not isinstance(edges, pd.DataFrame):
        raise CaseLogError("plot_process_map draws the result of process_map(log): an object with .nodes and .edges.")
    attrs = dict(getattr(pmap, "attrs", None) or edges.attrs or {})
    for name in ("as_of", "n_dossiers"):  # (a ProcessMap holds them as fields)
        if getattr(pmap, name, None) is not None:
            attrs[name] = getattr(pmap, name)
    who = _population_text(None, lang, attrs.get("as_of")) if attrs.get("as_of") is not None else ""
    n_dossiers = attrs.get("n_dossiers")
    if n_dossiers is not None:
        who = f"n = {i18n.count(int(n_dossiers), 'dossier', lang)}" + (f", {who}" if who else "")
    if len(edges) == 0 or len(nodes) == 0:
        if ax is None:
            fig = figure if figure is not None else plt.figure(figsize=(8, 4))
            fig.set_size_inches(8, 4)
            ax = fig.add_subplot()
        _title(ax, _t("pmap_title", lang), who)
        return _nothing_to_show(ax, lang, "no_dossier")

    milestones = [m for m in process.milestones if m in set(nodes["event"])]
    anchors = _anchors(nodes, edges, milestones)
    count = dict(zip(nodes["event"], nodes["dossiers"], strict=True))
    loops = edges[edges["source"] == edges["target"]].set_index("source")["transitions"].to_dict()

    def box_text(event: str) -> str:
        text = "\n".join(textwrap.wrap(_label(event, lang, labels), _WRAP, break_long_words=False))
        if event != START and event in count:
            text += "\n" + i18n.count(int(count[event]), "dossier", lang)
        if event in loops:
            text += "\n" + _t("pmap_repeats", lang, n=_fmt_num(loops[event], lang))
        return text

    # ------------------------------------------------------------------ grid: (column, row)
    place: dict[str, tuple[int, int]] = {}
    row = 0
    if START in count or (edges["source"] == START).any():
        place[START] = (0, row)
        row += 1
    for i, milestone in enumerate(milestones):
        place[milestone] = (0, row)
        side = sorted((e for e, a in anchors.items() if a == i), key=lambda e: (-count.get(e, 0), e))
        for k, event in enumerate(side):  # right, left, right, left… from the milestone's own row down
            place[event] = (1 if k % 2 == 0 else -1, row + k // 2)
        row += max(1, (len(side) + 1) // 2)  # (a short chart: it prints on one page at a readable size)
    if not milestones:  # (a map without the model's milestones: one column of steps, busiest first)
        for event in sorted(anchors, key=lambda e: (-count.get(e, 0), e)):
            place[event] = (0, row)
            row += 1
    ends = [e for e in (END, OPEN) if e in count or (edges["target"] == e).any()]
    for event in ends:  # the last row: ended in the middle, still open beside it
        place[event] = (0 if event == END else (1 if END in ends else 0), row)
    row += 1 if ends else 0
    n_rows = row

    # ------------------------------------------------------------------ box sizes, from the renderer
    own_figure = ax is None
    fig = (figure if figure is not None else plt.figure(figsize=(8, 8))) if own_figure else ax.figure
    renderer = fig.canvas.get_renderer()
    bbox_style = {"boxstyle": "round,pad=0.35", "linewidth": 1.0}
    probe = {e: fig.text(0, 0, box_text(e), fontsize=_FONT, ha="center", va="center", bbox=bbox_style)
             for e in place}
    sizes = {}
    for e, text in probe.items():
        text.update_bbox_position_size(renderer)
        extent = text.get_bbox_patch().get_window_extent(renderer)
        sizes[e] = (extent.width / fig.dpi, extent.height / fig.dpi)
        text.remove()
    col_w = max(w for w, _ in sizes.values()) + _GAP_X
    row_h = max(h for _, h in sizes.values()) + _GAP_Y
    width_in = 3 * col_w + 2 * _MARGIN + 1.2  # (+ the colour bar)
    # The title wrapped to the figure's width (at most about 0.1 in a character at its size): a report draws
    # the figure as it is, nothing may stick out; the figure is as tall as its lines need.
    columns = max(40, int((width_in if own_figure else fig.get_size_inches()[0]) / 0.105))
    title = "\n".join(textwrap.fill(line, columns) for line in (_t("pmap_title", lang), who, _t("pmap_reading", lang))
                      if line)
    title_in = 0.3 + 0.21 * (title.count("\n") + 1)
    height_in = n_rows * row_h + 2 * _MARGIN + title_in
    if own_figure:
        fig.set_size_inches(width_in, height_in)
        ax = fig.add_axes((0, 0, (width_in - 1.2) / width_in, (height_in - title_in) / height_in))
    plot_w, plot_h = 3 * col_w + 2 * _MARGIN, n_rows * row_h + 2 * _MARGIN
    ax.set_xlim(0, plot_w)
    ax.set_ylim(0, plot_h)
    ax.set_axis_off()
    if own_figure:
        ax.set_aspect("equal")

    def centre(event: str) -> tuple[float, float]:
        col, r = place[event]
        return _MARGIN + (col + 1.5) * col_w, plot_h - _MARGIN - (r + 0.5) * row_h

    milestone_set = set(milestones)
    boxes = {}
    for event in place:
        x, y = centre(event)
        main = event in milestone_set
        face = "#F2F2F2" if event in _SYNTHETIC else ("#FFFFFF" if main else "#FAFAFA")
        style = dict(bbox_style, facecolor=face, edgecolor="#222222" if main else "#888888",
                     linestyle="-" if main or event in _SYNTHETIC else "--")
        boxes[event] = ax.text(x, y, box_text(event), fontsize=_FONT, ha="center", va="center", zorder=3,
                               fontweight="bold" if main else "normal", bbox=style, gid=f"node:{event}")

    # ------------------------------------------------------------------ arrows
    drawn = edges[(edges["source"] != edges["target"]) & edges["source"].isin(place) & edges["target"].isin(place)]
    drawn = drawn.sort_values("dossiers", ascending=False, kind="mergesort")
    most = float(drawn["dossiers"].max()) if len(drawn) else 1.0
    values = drawn[metric].to_numpy(dtype=float) if metric in drawn.columns else np.zeros(len(drawn))
    finite = values[np.isfinite(values)]
    norm = Normalize(vmin=float(finite.min()) if len(finite) else 0.0,
                     vmax=float(finite.max()) if len(finite) and finite.max() > finite.min() else
                     (float(finite.min()) + 1 if len(finite) else 1.0))
    # cividis (readable with any colour vision), its palest quarter left out so that thin arrows still show.
    cmap = ListedColormap(plt.get_cmap("cividis_r")(np.linspace(0.25, 1.0, 256)))
    midpoints = []
    for (_, edge), value in zip(drawn.iterrows(), values, strict=True):
        source, target = edge["source"], edge["target"]
        (x1, y1), (x2, y2) = centre(source), centre(target)
        (c1, r1), (c2, r2) = place[source], place[target]
        if r2 == r1 and abs(c2 - c1) == 1:  # to the box beside: a slight bow (a move back bows the other way)
            rad = 0.18
        elif r2 < r1 or (r2 == r1 and c2 != c1):  # back up the page (a loop) or across a box: a visible arc
            rad = -0.45 if c2 >= c1 else 0.45
        elif c1 == c2 and r2 - r1 > 1:  # skipping boxes on the same column: bow out around them
            rad = 0.25 if c1 <= 0 else -0.25
        else:
            rad = 0.0
        width = 0.6 + 5.4 * float(edge["dossiers"]) / most
        colour = cmap(norm(value)) if np.isfinite(value) else _MUTED
        # From box edge to box edge (the boxes' sizes are known: no clipping against patches that
        # are only placed at draw time); an arc leaves its box where the straight line would.
        start = _on_edge((x1, y1), sizes[source], (x2, y2))
        end = _on_edge((x2, y2), sizes[target], (x1, y1))
        arrow = FancyArrowPatch(start, end, shrinkA=0, shrinkB=1, connectionstyle=f"arc3,rad={rad}",
                                arrowstyle="-|>", mutation_scale=8 + width * 1.5, linewidth=width, color=colour,
                                alpha=0.85, zorder=2, gid=f"edge:{source}->{target}")
        ax.add_patch(arrow)
        # The arc's middle (a quadratic Bézier: a quarter of each end, half the control point).
        midpoints.append((source, target, x1 / 2 + x2 / 2 + rad * (y2 - y1) / 2,
                          y1 / 2 + y2 / 2 - rad * (x2 - x1) / 2, value, int(edge["dossiers"])))

    # ------------------------------------------------------------------ arrow labels, without overlaps
    renderer = fig.canvas.get_renderer()
    taken = []
    for text in boxes.values():
        text.update_bbox_position_size(renderer)
        taken.append(text.get_bbox_patch().get_window_extent(renderer))
    placed = 0
    for source, target, x, y, value, dossiers in midpoints:
        if placed >= edge_labels:
            break
        if not np.isfinite(value) or source in _SYNTHETIC or target in _SYNTHETIC:
            continue  # (the synthetic steps take no time)
        word = i18n.days(value, lang) if metric == "median_days" else i18n.count(dossiers, "dossier", lang)
        label = ax.text(x, y, word, fontsize=_FONT - 1, ha="center", va="center", zorder=4, color="#222222",
                        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none",
                              "alpha": 0.9}, gid=f"edge-label:{source}->{target}")
        label.update_bbox_position_size(renderer)
        extent = label.get_bbox_patch().get_window_extent(renderer)
        if any(extent.overlaps(other) for other in taken):
            label.remove()
            continue
        taken.append(extent)
        placed += 1

    # ------------------------------------------------------------------ legend and title
    if own_figure:
        cax = fig.add_axes(((width_in - 1.0) / width_in, 0.25, 0.18 / width_in, 0.45))
    else:
        cax = ax.inset_axes((1.01, 0.25, 0.02, 0.45))
    bar = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), cax=cax)
    bar.set_label(_t("pmap_colour_days" if metric == "median_days" else "pmap_colour_dossiers", lang),
                  fontsize=_FONT)
    bar.ax.tick_params(labelsize=_FONT - 1)
    ax.set_title(title, fontsize=10.5, linespacing=1.4)
    ax.set_gid("process-map")
    return ax
