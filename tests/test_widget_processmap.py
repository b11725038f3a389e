"""The process-map tab: what it draws is process_map of the dossiers chosen, with the slider's share."""

from __future__ import annotations

import re
import warnings
from html import unescape

import pandas as pd
import pytest

import vitale_analysis as va
from vitale_analysis.widgets import Dashboard, ProcessMapExplorer


@pytest.fixture(scope="module")
def explorer(sample_log):
    return ProcessMapExplorer(sample_log, as_of="2025-06-30", lang="en")


def test_the_map_is_that_of_the_dossiers_chosen(sample_log, explorer):
    explorer.controls["column"].value = "channel"
    explorer.controls["value"].value = "postal"
    explorer.controls["share"].value = 5
    explorer.controls["level"].value = "events"
    cases = va.case_table(sample_log, as_of="2025-06-30")
    postal = cases[cases["channel"] == "postal"]
    expected = va.process_map(postal, min_share=0.05)
    assert explorer.map.n_dossiers == (cases["channel"] == "postal").sum() == expected.n_dossiers
    pd.testing.assert_frame_equal(explorer.map.edges, expected.edges)
    assert (explorer.map.edges["share_of_dossiers"] >= 0.05).all()
    # The chart drew every move kept, and says the share in the status line.
    drawn = {p.get_gid() for p in explorer.figure.axes[0].patches if (p.get_gid() or "").startswith("edge:")}
    kept = expected.edges[expected.edges["source"] != expected.edges["target"]]
    assert drawn == {f"edge:{a}->{b}" for a, b in zip(kept["source"], kept["target"], strict=True)}
    assert "fewer than 5% of these dossiers" in explorer._status.value
    assert '<img alt="Process map' in explorer._chart.value
    # The commonest paths: variants of the same dossiers, in words (the steps' labels, arrows between).
    paths = va.variants(postal, level="milestones", top=10)
    html = explorer._variants.value
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", html, flags=re.S)
    assert len(rows) == len(paths)
    words = {m: va.i18n.event_label(m, "en") for m in va.CARTE_VITALE.milestones}
    for (path, dossiers), (_, variant) in zip(rows, paths.iterrows(), strict=True):
        assert unescape(path) == " → ".join(words[step] for step in variant["path"])
        assert dossiers == f"{int(variant['dossiers']):,}"


def test_milestones_level_and_back_to_everyone(explorer):
    explorer.controls["level"].value = "milestones"
    explorer.controls["column"].value = None
    assert explorer.controls["value"].disabled
    steps = set(explorer.map.nodes["event"]) - {"__start__", "__end__", "__open__"}
    assert steps <= set(va.CARTE_VITALE.milestones)
    assert explorer.map.n_dossiers == 3000


def test_in_french_and_in_the_dashboard(sample_log):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dashboard = Dashboard(sample_log, lang="fr")
    tab = dashboard.explorers[4]
    assert isinstance(tab, ProcessMapExplorer)
    assert dashboard.tabs.titles[4] == "Carte du processus"
    assert "Comment les dossiers sont passés" in tab._status.value
    assert "Les parcours les plus fréquents entre jalons" in tab._variants.value
    dashboard.set_as_of("2024-12-31")
    assert tab.as_of == dashboard.as_of
    assert tab.map.as_of == dashboard.as_of
