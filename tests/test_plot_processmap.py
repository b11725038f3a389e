"""The process map chart: every step and move drawn, legible (no two text boxes overlap), both languages.

The map drawn here is counted by a plain-Python loop over the sample's dossiers
(sorted by time, ties by the process order), independent of the package's own
``process_map``, so the chart is tested on its own.
"""

from __future__ import annotations

import itertools
from collections import Counter
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import FancyArrowPatch

import vitale_analysis as va
from vitale_analysis import plots
from vitale_analysis.processmap import END, OPEN, START


def plain_map(log, min_share=0.01):
    process = log.process
    rank = {e: i for i, e in enumerate([*process.milestones, *process.events, *process.close_events])}
    moves, dossiers, gaps, present, occurrences = Counter(), Counter(), {}, Counter(), Counter()
    for _, rows in log.events.groupby("case_id", sort=False, observed=True):
        path = sorted(zip(rows["timestamp"], rows["event"].astype(str), strict=True),
                      key=lambda r: (r[0], rank.get(r[1], len(rank))))
        steps = [START, *[e for _, e in path], END]
        times = [path[0][0], *[t for t, _ in path], path[-1][0]]
        present.update(set(steps[1:-1]))
        occurrences.update(steps[1:-1])
        seen = set()
        for a, b, ta, tb in zip(steps, steps[1:], times, times[1:], strict=False):
            moves[a, b] += 1
            gaps.setdefault((a, b), []).append((tb - ta).total_seconds() / 86400)
            if (a, b) not in seen:
                dossiers[a, b] += 1
                seen.add((a, b))
    n = log.events["case_id"].nunique()
    nodes = pd.DataFrame({"event": list(present), "dossiers": [present[e] for e in present],
                          "occurrences": [occurrences[e] for e in present]})
    edges = pd.DataFrame([{"source": a, "target": b, "dossiers": dossiers[a, b], "transitions": k,
                           "median_days": float(np.median(gaps[a, b]))} for (a, b), k in moves.items()])
    edges = edges[edges["dossiers"] >= min_share * n].reset_index(drop=True)
    return SimpleNamespace(nodes=nodes, edges=edges, attrs={"n_dossiers": n, "as_of": log.as_of(None)})


@pytest.fixture(scope="module")
def sample_map(sample_log):
    return plain_map(sample_log)


def text_boxes(ax):
    """Every text of the map with its box on screen (node boxes, arrow labels, the title)."""
    renderer = ax.figure.canvas.get_renderer()
    out = []
    for text in [*ax.texts, ax.title]:
        if not text.get_text() or not text.get_visible():
            continue
        patch = text.get_bbox_patch()
        if patch is not None:
            text.update_bbox_position_size(renderer)
            out.append((text.get_gid() or "title", patch.get_window_extent(renderer)))
        else:
            out.append((text.get_gid() or "title", text.get_window_extent(renderer)))
    return out


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_no_two_text_boxes_overlap(sample_map, lang):
    ax = plots.plot_process_map(sample_map, lang=lang)
    try:
        ax.figure.canvas.draw()
        boxes = text_boxes(ax)
        assert len(sample_map.nodes) >= 20  # (the sample's event types: a crowded map)
        for (name_a, a), (name_b, b) in itertools.combinations(boxes, 2):
            assert not a.overlaps(b), f"{name_a} overlaps {name_b}"
        labels = [name for name, _ in boxes if name.startswith("edge-label:")]
        assert len(labels) >= 6  # the busiest moves keep their labels
        axes_box = ax.get_window_extent()
        for name, box in boxes:
            if name != "title":
                assert axes_box.x0 - 1 <= box.x0 and box.x1 <= axes_box.x1 + 1, name  # nothing cut off
    finally:
        plt.close(ax.figure)


def test_every_step_and_move_is_drawn(sample_map):
    ax = plots.plot_process_map(sample_map, lang="en")
    try:
        nodes = {t.get_gid().removeprefix("node:") for t in ax.texts if (t.get_gid() or "").startswith("node:")}
        assert nodes == set(sample_map.nodes["event"]) | {START, END}
        arrows = {p.get_gid(): p for p in ax.patches if isinstance(p, FancyArrowPatch)}
        moves = sample_map.edges[sample_map.edges["source"] != sample_map.edges["target"]]
        assert set(arrows) == {f"edge:{a}->{b}" for a, b in zip(moves["source"], moves["target"], strict=True)}
        # Wider for more dossiers.
        widths = [(n, arrows[f"edge:{a}->{b}"].get_linewidth())
                  for a, b, n in zip(moves["source"], moves["target"], moves["dossiers"], strict=True)]
        widths.sort()
        assert all(w1 <= w2 for (_, w1), (_, w2) in zip(widths, widths[1:], strict=False))
        # A step repeated in a row (card requested again) is said in its box.
        loops = sample_map.edges[sample_map.edges["source"] == sample_map.edges["target"]]
        for event, n in zip(loops["source"], loops["transitions"], strict=True):
            box = next(t for t in ax.texts if t.get_gid() == f"node:{event}")
            assert f"↻ {n:,} times in a row" in box.get_text()
        # Milestones go down the middle, in the process's order.
        centres = {t.get_gid().removeprefix("node:"): t.get_position() for t in ax.texts
                   if (t.get_gid() or "").startswith("node:")}
        main = [m for m in va.CARTE_VITALE.milestones if m in centres]
        assert len({centres[m][0] for m in main}) == 1
        ys = [centres[m][1] for m in main]
        assert ys == sorted(ys, reverse=True)
    finally:
        plt.close(ax.figure)


def test_french_words_and_the_dossiers_metric(sample_map):
    ax = plots.plot_process_map(sample_map, lang="fr", metric="dossiers")
    try:
        title = ax.get_title()
        assert title.startswith("Carte du processus")
        box = next(t for t in ax.texts if t.get_gid() == "node:rights_opened")
        assert "dossiers" in box.get_text() and "rights" not in box.get_text().lower()
        labels = [t.get_text() for t in ax.texts if (t.get_gid() or "").startswith("edge-label:")]
        assert labels and all(text.endswith("dossiers") for text in labels)
    finally:
        plt.close(ax.figure)


def test_an_empty_map_says_so():
    empty = SimpleNamespace(nodes=pd.DataFrame({"event": [], "dossiers": [], "occurrences": []}),
                            edges=pd.DataFrame({"source": [], "target": [], "dossiers": [], "transitions": [],
                                                "median_days": []}), attrs={"n_dossiers": 0})
    ax = plots.plot_process_map(empty, lang="en")
    assert ax.get_gid() == "nothing-to-show"
    plt.close(ax.figure)
    with pytest.raises(va.CaseLogError, match="metric"):
        plots.plot_process_map(empty, metric="p90")
    with pytest.raises(va.CaseLogError, match="process_map"):
        plots.plot_process_map(pd.DataFrame())


@pytest.mark.parametrize(("lang", "level"), [("en", "events"), ("fr", "events"), ("fr", "milestones")])
def test_the_packages_own_map_is_legible(sample_log, lang, level):
    pm = va.process_map(sample_log, level=level, min_share=0.01)
    ax = plots.plot_process_map(pm, lang=lang)
    try:
        ax.figure.canvas.draw()
        boxes = text_boxes(ax)
        for (name_a, a), (name_b, b) in itertools.combinations(boxes, 2):
            assert not a.overlaps(b), f"{name_a} overlaps {name_b}"
        title = ax.title.get_window_extent()  # (a report draws the figure as it is: nothing sticks out)
        figure = ax.figure.bbox
        assert figure.x0 <= title.x0 and title.x1 <= figure.x1 and title.y1 <= figure.y1
        nodes = {t.get_gid().removeprefix("node:") for t in ax.texts if (t.get_gid() or "").startswith("node:")}
        assert nodes == set(pm.nodes["event"])
        assert {END, OPEN} <= nodes
        # Each step beside the milestone it usually follows (on its row or below, before the next milestone):
        # complement requests after the dossier is sent.
        if level == "events":
            y = {t.get_gid().removeprefix("node:"): t.get_position()[1] for t in ax.texts
                 if (t.get_gid() or "").startswith("node:")}
            assert y["dossier_submitted"] >= y["complement_requested"] > y["rights_opened"]
            assert y["rights_opened"] >= y["card_requested"] > y["card_received"]
    finally:
        plt.close(ax.figure)
