"""Widgets without a browser: set ``control.value``, compare with the pure function called directly.

Each explorer is built on the bundled sample (or a small hand-built log), a
control is changed as a user would, and what the explorer rendered (its
``.result`` table, the data in the ``.figure`` it drew, the HTML it shows) is
compared with the package's pure functions called with the same arguments
and with rows filtered in plain pandas here. The privacy tests walk the state
of every widget an explorer sends to the browser.
"""

from __future__ import annotations

import base64
import json
import warnings
from datetime import date
from html import unescape
from pathlib import Path

import ipywidgets as W
import numpy as np
import pandas as pd
import pytest
from matplotlib.layout_engine import ConstrainedLayoutEngine
from openpyxl import load_workbook
from pandas.testing import assert_frame_equal

import vitale_analysis as va
from vitale_analysis import chartdata, plots
from vitale_analysis.km import km_quantiles
from vitale_analysis.labels import with_next_actions, with_trigger_labels
from vitale_analysis.privacy import mask_identifier
from vitale_analysis.report import HEADERS
from vitale_analysis.timeutil import AsOf
from vitale_analysis.widgets import ALL, CaseloadExplorer, CaseViewer, StallExplorer, TriggerExplorer, _TableView

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample_caselog.csv"


@pytest.fixture(scope="module")
def log():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)  # the sample has duplicated rows on purpose
        return va.load(SAMPLE)


@pytest.fixture(scope="module")
def cases(log):
    return va.case_table(log)


def end_of(day: str) -> AsOf:
    """The cut of a bare date: the next midnight, left out."""
    return AsOf(pd.Timestamp(day) + pd.Timedelta(days=1), inclusive=False)


def assert_same_table(table, expected):
    """Two case tables: the same rows, as of the same cut."""
    assert table.as_of == expected.as_of
    assert_frame_equal(table.to_frame(), expected.to_frame())


def png_of(explorer) -> str:
    """The base64 PNG the explorer's chart Output holds (what the browser shows as <img>)."""
    chart = find(explorer.widget, "vitale-chart")
    (output,) = chart.outputs
    data = output["data"]["image/png"]
    assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    return data


def find(widget, css):
    """The first widget in the tree carrying a CSS class."""
    if css in getattr(widget, "_dom_classes", ()):
        return widget
    for child in getattr(widget, "children", ()):
        found = find(child, css)
        if found is not None:
            return found
    return None


def every_state(widget) -> str:
    """Everything the explorer sends to the browser: the state of every widget in the tree, as text."""
    states = [json.dumps(widget.get_state(), default=str, ensure_ascii=False)]
    for child in getattr(widget, "children", ()):
        states.append(every_state(child))
    return "\n".join(states)


def median_lines(figure) -> dict[str, float]:
    """Kaplan–Meier medians the phase chart drew (a black bar per phase, named ``_median|phase``)."""
    ax = figure.axes[0]
    return {line.get_label().split("|")[1]: line.get_xdata()[0]
            for line in ax.get_lines() if line.get_label().startswith("_median|")}


# ============================================================================ CaseloadExplorer
def test_caseload_explorer_starts_with_the_whole_caseload(log, cases):
    explorer = CaseloadExplorer(log)
    expected = va.phase_summary(cases)
    assert_frame_equal(explorer.result, expected)
    assert explorer.result.attrs["n_cases"] == 3000
    assert explorer.controls["as_of"].value == date(2025, 6, 30)
    # The log's last day is taken up to its latest event, included.
    assert explorer.as_of == explorer.cases.as_of == AsOf(log.events["timestamp"].max(), inclusive=True)
    # The chart draws the same medians as the table.
    drawn = median_lines(explorer.figure)
    finite = expected[np.isfinite(expected["median_days"])]
    assert drawn == pytest.approx(dict(zip(finite["phase"].astype(str), finite["median_days"])))
    assert "3,000 dossiers in this selection, 975 still open, as of 30 June 2025." in find(
        explorer.widget, "vitale-status").value


def test_caseload_filters_equal_plain_pandas_filtering(log, cases):
    explorer = CaseloadExplorer(log)
    before = png_of(explorer)
    months = [value for _label, value in explorer.controls["start_period"].options]
    assert months[0] == "2024-01" and months == sorted(months)
    c = explorer.controls
    c["office"].value = "CPAM 59"
    c["channel"].value = "ameli"
    c["born_abroad"].value = False
    c["start_period"].value = (months[2], months[9])

    start_month = cases["started_at"].dt.to_period("M").astype(str)
    keep = ((cases["office"] == "CPAM 59") & (cases["channel"] == "ameli")
            & (cases["born_abroad"] == False).fillna(False)  # noqa: E712 (a pandas mask)
            & (start_month >= months[2]) & (start_month <= months[9]))
    expected_cases = cases[keep.to_numpy()]
    assert 20 < len(expected_cases) < 200
    assert explorer.filtered_cases["case_id"].tolist() == expected_cases["case_id"].tolist()
    expected = va.phase_summary(expected_cases)
    assert_frame_equal(explorer.result, expected)
    assert median_lines(explorer.figure) == pytest.approx(
        {p: m for p, m in zip(expected["phase"].astype(str), expected["median_days"]) if np.isfinite(m)})
    assert png_of(explorer) != before
    assert f"{len(expected_cases)} dossiers in this selection" in find(explorer.widget, "vitale-status").value

    # Back to every office: only the office filter is lifted.
    c["office"].value = ALL
    keep_all_offices = keep | (cases["office"] != "CPAM 59")
    keep_all_offices &= ((cases["channel"] == "ameli") & (cases["born_abroad"] == False).fillna(False)  # noqa: E712
                         & (start_month >= months[2]) & (start_month <= months[9]))
    assert_frame_equal(explorer.result, va.phase_summary(cases[keep_all_offices.to_numpy()]))


def test_caseload_as_of_picker_recomputes_the_case_table(log):
    explorer = CaseloadExplorer(log)
    explorer.controls["as_of"].value = date(2025, 1, 31)
    then = va.case_table(log, as_of="2025-01-31")
    assert explorer.as_of == explorer.cases.as_of == end_of("2025-01-31")
    assert len(explorer.cases) == len(then) < 3000
    assert_frame_equal(explorer.result, va.phase_summary(then))
    assert "as of 31 January 2025" in find(explorer.widget, "vitale-status").value
    # The log's last day means up to its latest event, as case_table's default.
    explorer.controls["as_of"].value = date(2025, 6, 30)
    assert explorer.as_of == AsOf(log.events["timestamp"].max(), inclusive=True)
    assert_frame_equal(explorer.result, va.phase_summary(va.case_table(log)))


@pytest.mark.parametrize("as_of, cut, day", [
    ("2025-06-30", AsOf(pd.Timestamp("2025-07-01 00:00"), inclusive=False), date(2025, 6, 30)),
    ("2025-06-30 09:00", AsOf(pd.Timestamp("2025-06-30 09:00"), inclusive=True), date(2025, 6, 30)),
    ("2025-03-15", AsOf(pd.Timestamp("2025-03-16 00:00"), inclusive=False), date(2025, 3, 15)),
])
def test_caseload_explorer_built_with_an_as_of_shows_that_snapshot(log, as_of, cut, day):
    """The as_of given is the snapshot shown, exactly as case_table takes it (a bare date is the end of
    that day, a time is that time), as the other explorers do; another day picked, then the first one
    again, brings it back."""
    explorer = CaseloadExplorer(log, as_of=as_of)
    expected = va.case_table(log, as_of=as_of)
    assert explorer.as_of == cut and explorer.controls["as_of"].value == day
    assert_same_table(explorer.cases, expected)
    assert_frame_equal(explorer.result, va.phase_summary(expected))
    first_day = explorer.controls["as_of"].value
    explorer.controls["as_of"].value = date(2025, 2, 28)
    assert explorer.cases.as_of == end_of("2025-02-28")
    assert_same_table(explorer.cases, va.case_table(log, as_of="2025-02-28"))
    explorer.controls["as_of"].value = first_day
    assert explorer.as_of == cut
    assert_same_table(explorer.cases, expected)


def test_caseload_explorer_keeps_a_few_case_tables_and_their_months_right(log):
    """Picking many days keeps only the last few case tables (memory stays bounded), each kept with the
    months and codes the filters read (a _TableView), and the start-period filter uses the months of the
    table shown (not those of an evicted day)."""
    explorer = CaseloadExplorer(log)
    explorer.controls["start_period"].value = ("2025-02", "2025-03")
    for day in range(1, 11):
        explorer.controls["as_of"].value = date(2025, 5, day)
    assert 1 < len(explorer._case_tables) <= 4
    kept = list(explorer._case_tables)
    assert kept == [end_of(f"2025-05-{day:02d}") for day in range(11 - len(kept), 11)]  # the last days picked
    for cut, view in explorer._case_tables.items():
        assert isinstance(view, _TableView) and view.table.as_of == cut
    expected = va.case_table(log, as_of="2025-05-10")
    view = explorer._case_tables[end_of("2025-05-10")]
    assert view.table is explorer.cases
    started = expected["started_at"]
    assert view.month_numbers().tolist() == (started.dt.year * 12 + started.dt.month - 1).tolist()
    codes, code_of = view.codes("office")
    np.testing.assert_array_equal(codes == code_of["CPAM 59"],
                                  (expected["office"] == "CPAM 59").to_numpy(dtype=bool, na_value=False))
    months = started.dt.strftime("%Y-%m")
    chosen = expected[((months >= "2025-02") & (months <= "2025-03")).to_numpy()]
    assert_same_table(explorer.filtered_cases, chosen)
    explorer.controls["as_of"].value = date(2025, 5, 1)  # evicted: computed again, same answer
    assert_same_table(explorer.cases, va.case_table(log, as_of="2025-05-01"))


def test_caseload_start_months_are_paris_months_worked_out_by_hand():
    """The start-period filter's month of a dossier started in UTC is its Paris month (the start_month
    cohort's definition), worked out here by hand around midnight at month ends, summer and winter."""
    def months_of(times: list[str]) -> list[int]:
        log = make_log([{"case_id": f"S{i}", "event": "registration_submitted", "timestamp": t}
                        for i, t in enumerate(times)])
        return _TableView(va.case_table(log)).month_numbers().tolist()

    utc = ["2025-01-31 23:30+00:00", "2024-12-31 22:59+00:00", "2024-06-30 22:30+00:00", "2024-06-30 21:59+00:00"]
    assert months_of(utc) == [2025 * 12 + 1, 2024 * 12 + 11, 2024 * 12 + 6, 2024 * 12 + 5]
    assert months_of(["2025-03-15 09:00", "2024-01-01 00:00"]) == [2025 * 12 + 2, 2024 * 12]


def test_caseload_explorer_in_french(log, cases):
    explorer = CaseloadExplorer(log, lang="fr")
    c = explorer.controls
    assert c["office"].options[0] == ("Toutes les caisses", ALL)
    assert [label for label, _ in c["born_abroad"].options] == ["Tous", "oui", "non"]
    assert c["as_of"].description == "Au"
    assert c["start_period"].options[0][0] == "janv. 2024"
    french = [p.label_in("fr") for p in log.process.phases]
    assert [t.get_text() for t in explorer.figure.axes[0].get_yticklabels()] == french
    table = find(explorer.widget, "vitale-table").value
    assert "Ouverture des droits" in table and HEADERS["fr"]["median_days"] in table
    assert "au 30 juin 2025" in find(explorer.widget, "vitale-status").value


def texts_outside(figure) -> list[str]:
    """Texts of a drawn figure that do not lie wholly inside it (a label cut at the edge)."""
    renderer = figure.canvas.get_renderer()
    box = figure.bbox
    out = []
    for text in figure.findobj(lambda a: hasattr(a, "get_window_extent") and hasattr(a, "get_text")):
        if not text.get_visible() or not text.get_text():
            continue
        extent = text.get_window_extent(renderer)
        if extent.x0 < box.x0 - 0.5 or extent.x1 > box.x1 + 0.5 or extent.y0 < box.y0 - 0.5 or extent.y1 > box.y1 + 0.5:
            out.append(text.get_text())
    return out


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_caseload_charts_keep_their_frame_and_cut_no_label(log, cases, lang):
    """The phase chart of a filter change is placed where constrained layout placed the first one
    (the frame stays still), and none of its texts is cut at the figure's edge; an empty selection
    ("Nothing to show") is laid out on its own."""
    explorer = CaseloadExplorer(log, lang=lang)
    first = explorer.figure.axes[0].get_position().bounds
    assert texts_outside(explorer.figure) == []
    for office in [value for _label, value in explorer.controls["office"].options[1:]]:
        explorer.controls["office"].value = office
        assert not isinstance(explorer.figure.get_layout_engine(), ConstrainedLayoutEngine)  # the kept frame
        assert explorer.figure.axes[0].get_position().bounds == pytest.approx(first)
        assert texts_outside(explorer.figure) == []
    explorer.controls["as_of"].value = date(2025, 1, 31)
    assert texts_outside(explorer.figure) == []
    months = [value for _label, value in explorer.controls["start_period"].options]
    explorer.controls["start_period"].value = (months[-1], months[-1])
    explorer.controls["as_of"].value = date(2024, 1, 31)  # nobody started in the last month yet
    assert explorer.figure.axes[0].get_gid() == "nothing-to-show"
    assert texts_outside(explorer.figure) == []


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_caseload_chart_image_equals_a_full_drawing_of_its_figure(log, lang):
    """Second method: the image shown after a change (the kept figure given new numbers, the unchanged
    labels and legend pasted back) has the pixels of the same figure drawn in full, and that figure
    holds the selection's medians."""
    from io import BytesIO

    from PIL import Image

    from vitale_analysis.widgets import _png

    def pixels(data: bytes) -> np.ndarray:
        return np.asarray(Image.open(BytesIO(data)).convert("RGBA"))

    explorer = CaseloadExplorer(log, lang=lang)
    offices = [value for _label, value in explorer.controls["office"].options[1:]]
    pasted = 0
    for office in offices[:6]:
        explorer.controls["office"].value = office
        pasted += explorer._static is not None and explorer._static.fig is explorer.figure
        shown = pixels(base64.b64decode(png_of(explorer)))
        np.testing.assert_array_equal(shown, pixels(_png(explorer.figure)))
        assert median_lines(explorer.figure) == pytest.approx(
            {p: m for p, m in zip(explorer.result["phase"].astype(str), explorer.result["median_days"])
             if np.isfinite(m)})
    assert pasted >= 3  # the quick way was taken


def test_frozen_layout_lays_out_again_when_a_text_is_wider():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from vitale_analysis.widgets import _FrozenLayout

    def chart(note: str, title: str = "Title"):
        fig = Figure(figsize=(6, 3), dpi=90)
        ax = fig.add_subplot()
        ax.set_title(title)
        ax.set_yticks([0], ["a row label"])
        ax.annotate(note, xy=(1.03, 0), xycoords=("axes fraction", "data"))
        return fig, ax

    layout = _FrozenLayout(90)
    fig, ax = chart("n = 1,000")
    assert layout.apply(fig, ax) is False and fig.get_layout_engine() is not None  # nothing kept yet
    FigureCanvasAgg(fig).draw()
    layout.keep(fig, ax)
    kept = ax.get_position().bounds
    narrower, ax2 = chart("n = 99")
    assert layout.apply(narrower, ax2) is True and ax2.get_position().bounds == pytest.approx(kept)
    wider, ax3 = chart("n = 1,000 · and much more text")
    assert layout.apply(wider, ax3) is False  # the note would not fit: laid out again
    FigureCanvasAgg(wider).draw()
    layout.keep(wider, ax3)
    assert ax3.get_position().width < kept[2]  # constrained layout made room for the longer note
    long_title, ax4 = chart("n = 99", title="A title much wider than the axes it sits on, by far, " * 2)
    assert layout.apply(long_title, ax4) is False


def test_caseload_explorer_with_nobody_selected(log, cases):
    explorer = CaseloadExplorer(log)
    months = [value for _label, value in explorer.controls["start_period"].options]
    started = set(zip(cases["office"].astype(str), cases["started_at"].dt.strftime("%Y-%m")))
    office, month = next((o, m) for o in sorted(cases["office"].astype(str).unique()) for m in months
                         if (o, m) not in started)  # an office where nobody started that month
    explorer.controls["office"].value = office
    explorer.controls["start_period"].value = (month, month)
    assert len(explorer.filtered_cases) == 0
    assert len(explorer.result) == 0
    assert "No dossier in this selection" in find(explorer.widget, "vitale-status").value
    assert explorer.figure.axes[0].get_gid() == "nothing-to-show"


# ============================================================================ StallExplorer
def worklist_of(cases, lang="en", **settings):
    """The worklist a stall explorer shows: stalled(cases, ...) with its next actions in words."""
    return with_next_actions(va.stalled(cases, **settings), cases.process, lang=lang)


def test_stall_explorer_default_equals_stalled(log, cases, tmp_path):
    explorer = StallExplorer(log, output_dir=tmp_path)
    assert explorer.as_of == cases.as_of == AsOf(log.events["timestamp"].max(), inclusive=True)
    expected = worklist_of(cases, percentile=90, followup_days=14)
    assert_frame_equal(explorer.result, expected)
    matrix = chartdata.stalled_matrix(expected, cases=cases, thresholds=va.phase_thresholds(cases, percentile=90))
    assert_frame_equal(explorer.matrix, matrix)
    assert explorer.matrix.attrs["thresholds"] == matrix.attrs["thresholds"]
    image = explorer.figure.axes[0].images[0].get_array()
    np.testing.assert_array_equal(np.ma.filled(image, 0), matrix.to_numpy())
    status = find(explorer.widget, "vitale-status").value
    assert f"{len(expected)} dossiers to follow up (of 975 open dossiers), as of 30 June 2025." in status
    table = find(explorer.widget, "vitale-table").value
    assert table.count("<tr") == 1 + 25  # header + the 25 most overdue
    assert expected["case_id"].iloc[0] in table and expected["case_id"].iloc[30] not in table


def heatmap_of(explorer) -> str:
    """The stall heat map the explorer shows (an HTML table in the widget with ``vitale-chart``)."""
    chart = find(explorer.widget, "vitale-chart")
    assert isinstance(chart, W.HTML) and '<div class="vitale-heatmap"><table>' in chart.value
    return chart.value


def test_stall_explorer_controls(log, cases, tmp_path):
    explorer = StallExplorer(log, output_dir=tmp_path)
    before = heatmap_of(explorer)
    explorer.controls["percentile"].value = 75
    explorer.controls["followup_days"].value = 30
    worklist = worklist_of(cases, percentile=75, followup_days=30)
    assert_frame_equal(explorer.result, worklist)
    assert heatmap_of(explorer) != before
    assert explorer.result.attrs["followup_days"] == 30

    explorer.controls["phase"].value = "rights"
    expected = worklist[worklist["phase"] == "rights"].reset_index(drop=True)
    assert 0 < len(expected) < len(worklist)
    assert_frame_equal(explorer.result, expected)
    # The heat map now counts the rights column only.
    matrix = explorer.matrix
    assert matrix["rights"].sum() == len(expected) and matrix.drop(columns="rights").to_numpy().sum() == 0
    assert heatmap_of(explorer) == plots.stalled_heatmap_html(matrix)


def test_stall_explorer_heat_map_is_the_matrix_as_a_table(log, cases, tmp_path):
    """What the heat map shows is plots.stalled_heatmap_html of the matrix, whose counts are the worklist's,
    counted here by office and phase in plain pandas; the figure, drawn when asked for, holds the same."""
    for lang in ("en", "fr"):
        explorer = StallExplorer(log, output_dir=tmp_path, lang=lang)
        explorer.controls["percentile"].value = 80
        worklist = worklist_of(cases, lang=lang, percentile=80)
        counted = worklist.groupby(["office", "phase"], observed=True).size()
        matrix = explorer.matrix
        assert matrix.to_numpy().sum() == len(worklist)
        for (office, phase), n in counted.items():
            assert matrix.loc[office, phase] == n
        assert heatmap_of(explorer) == plots.stalled_heatmap_html(matrix, lang=lang, process=log.process)
        assert set(matrix.index) == set(cases["office"].astype(str))  # every office gets a row, zeros included
        figure = explorer.figure
        np.testing.assert_array_equal(np.ma.filled(figure.axes[0].images[0].get_array(), 0), matrix.to_numpy())
        assert explorer.figure is figure  # drawn once per matrix
        explorer.controls["phase"].value = "rights"
        assert explorer.figure is not figure and explorer.figure.axes[0].images[0].get_array().sum() == \
            explorer.matrix["rights"].sum()


def test_save_button_writes_the_worklist(log, cases, tmp_path):
    explorer = StallExplorer(log, output_dir=tmp_path / "out")
    explorer.controls["save"].click()
    path = tmp_path / "out" / "worklist_2025-06-30.xlsx"
    assert explorer.last_saved == path.resolve() and path.exists()
    assert str(path.resolve()) in find(explorer.widget, "vitale-save-status").value
    rows = list(load_workbook(path).active.values)
    h = HEADERS["en"]
    header, body = rows[0], rows[1:]
    expected = worklist_of(cases)
    assert len(body) == len(expected)
    sheet = pd.DataFrame(body, columns=header)
    assert sheet[h["case_id"]].tolist() == expected["case_id"].tolist()
    assert sheet[h["phase"]].tolist() == expected["phase_label"].tolist()
    assert sheet[h["next_action"]].tolist() == expected["next_action"].tolist()
    np.testing.assert_allclose(sheet[h["days_over"]].astype(float), expected["days_over"].round(1))
    np.testing.assert_allclose(sheet[h["threshold_days"]].astype(float), expected["threshold_days"].round(1))


def test_stall_explorer_in_french_saves_the_filtered_list(log, cases, tmp_path):
    explorer = StallExplorer(log, lang="fr", output_dir=tmp_path)
    assert explorer.controls["save"].description == "Enregistrer la liste (Excel)"
    assert explorer.controls["phase"].options[4] == ("Ouverture des droits", "rights")
    explorer.controls["phase"].value = "ssn"
    path = explorer.save()
    book = load_workbook(path)
    assert book.sheetnames == ["À relancer"]
    rows = list(book.active.values)
    expected = worklist_of(cases, lang="fr")
    expected = expected[expected["phase"] == "ssn"]
    assert [r[0] for r in rows[1:]] == expected["case_id"].tolist()
    assert rows[0][rows[0].index(HEADERS["fr"]["next_action"])] == "Prochaine action"
    assert {r[rows[0].index("Prochaine action")] for r in rows[1:]} == set(expected["next_action"])
    assert "Numéro de sécurité sociale" in find(explorer.widget, "vitale-table").value


def test_save_button_says_why_it_could_not_save(log, tmp_path):
    blocked = tmp_path / "not_a_folder"
    blocked.write_text("a file where the folder should be")
    explorer = StallExplorer(log, output_dir=blocked)
    explorer.controls["save"].click()
    assert explorer.last_saved is None
    assert "Could not save the worklist" in find(explorer.widget, "vitale-save-status").value


# ============================================================================ TriggerExplorer
def test_trigger_explorer_equals_trigger_summary(log, cases):
    explorer = TriggerExplorer(log)
    summary = with_trigger_labels(va.trigger_summary(cases), log.process, lang="en")
    assert_frame_equal(explorer.summary, summary)
    assert [value for _label, value in explorer.controls["trigger"].options] == summary["trigger"].tolist()
    key = summary["trigger"].iloc[1]
    explorer.controls["trigger"].value = key
    row = summary.iloc[1]
    assert explorer.row["cases_affected"] == row["cases_affected"]
    assert explorer.row["median_days_to_next_milestone"] == row["median_days_to_next_milestone"]

    # One row each time it was raised, on exactly the dossiers flagged in the case table.
    result = explorer.result
    assert len(result) == row["events"]
    assert set(result["case_id"]) == set(cases["case_id"][cases[f"trigger_{key}"]])
    assert result["days_to_next_milestone"].is_monotonic_decreasing
    # Its days to the next step give trigger_summary's Kaplan–Meier median.
    (median,) = km_quantiles(result["days_to_next_milestone"], result["next_milestone_reached"])
    assert median == pytest.approx(row["median_days_to_next_milestone"])
    status = find(explorer.widget, "vitale-status").value
    assert f"{row['median_days_to_next_milestone']:.1f} days" in status
    assert row["label"] in status and row["prevention"] in status

    by_office = va.trigger_summary(cases, by="office", n_boot=0)
    by_office = by_office[by_office["trigger"] == key]
    assert explorer.by_office["cases_affected"].sum() == row["cases_affected"]
    assert (dict(zip(explorer.by_office["office"], explorer.by_office["cases_affected"]))
            == dict(zip(by_office["office"], by_office["cases_affected"])))
    assert explorer.by_office["cases_affected"].is_monotonic_decreasing


def test_trigger_explorer_in_french(log):
    explorer = TriggerExplorer(log, lang="fr")
    label, key = explorer.controls["trigger"].options[0]
    assert label.startswith(log.process.triggers[key].label_in("fr"))
    html = unescape("".join(find(explorer.widget, css).value for css in ("vitale-status", "vitale-affected")))
    assert "Comment l'éviter" in html and "Phase du signalement" in html


AS_OF = "2025-03-01 09:00"


def ev(case, event, day, trigger=None, note=None, office="CPAM 75"):
    return {"case_id": case, "event": event, "timestamp": f"{day} 09:00", "trigger": trigger, "note": note,
            "office": office, "channel": "ameli", "born_abroad": False}


def make_log(rows):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        return va.validate(va.read_caselog(pd.DataFrame(rows)))


def test_trigger_rows_worked_out_by_hand():
    """T1: raised 2 days after registration accepted, number 28 days later: ssn, 28 days, reached.
    T2: raised before any acceptance, nothing since; as of 03-01: registration, 17 days, still waiting."""
    log = make_log([
        ev("T1", "registration_submitted", "2025-01-01"),
        ev("T1", "registration_accepted", "2025-01-11"),
        ev("T1", "complement_requested", "2025-01-13", trigger="birth_certificate_format"),
        ev("T1", "nir_permanent", "2025-02-10"),
        ev("T2", "registration_submitted", "2025-02-01", office="CPAM 13"),
        ev("T2", "complement_requested", "2025-02-12", trigger="birth_certificate_format", office="CPAM 13"),
    ])
    explorer = TriggerExplorer(log, as_of=AS_OF)
    label = "Birth certificate not accepted (filiation, format, apostille) (2)"
    assert explorer.controls["trigger"].options == ((label, "birth_certificate_format"),)
    result = explorer.result.set_index("case_id")
    assert result.loc["T1", "phase"] == "ssn" and result.loc["T2", "phase"] == "registration"
    assert result.loc["T1", "days_to_next_milestone"] == 28 and result.loc["T1", "next_milestone_reached"]
    assert result.loc["T2", "days_to_next_milestone"] == 17 and not result.loc["T2", "next_milestone_reached"]
    assert result.loc["T2", "office"] == "CPAM 13" and result.loc["T2", "status"] == "open"
    assert explorer.result["case_id"].tolist() == ["T1", "T2"]  # longest wait first


# ============================================================================ CaseViewer
def test_case_viewer_shows_the_dossier(log, cases):
    viewer = CaseViewer(log)
    assert viewer.controls["dossier"].value == "D000001"
    before = png_of(viewer)
    viewer.controls["dossier"].value = "D000025"
    expected = log.events[log.events["case_id"] == "D000025"]
    assert viewer.result["event"].astype(str).tolist() == expected["event"].astype(str).tolist()
    assert viewer.result["timestamp"].tolist() == expected["timestamp"].tolist()
    timeline = chartdata.dossier_timeline(cases[cases["case_id"] == "D000025"])
    assert_frame_equal(viewer.timeline.phases, timeline.phases)
    drawn = [p.get_label() for p in viewer.figure.axes[0].patches if p.get_label().startswith("_phase|")]
    assert drawn == [f"_phase|{r.phase}|{r.state}" for r in timeline.phases.itertuples()]
    assert png_of(viewer) != before
    assert "Card requested" in find(viewer.widget, "vitale-table").value  # events in words


def test_case_viewer_partial_text_waits_for_a_dossier(log):
    viewer = CaseViewer(log, lang="fr", case_id="D000002")
    shown = viewer.result
    viewer.controls["dossier"].value = "D0000"  # being typed
    assert viewer.result is shown
    assert "Choisir un dossier" in find(viewer.widget, "vitale-status").value
    assert viewer.controls["dossier"].description == "Dossier"


# A small log whose dossier numbers look like social security numbers (valid keys), one 13 digits long,
# one inside a longer id, with the number repeated in notes, an office written like a spreadsheet
# formula, one dossier far overdue (the worklist is not empty) and delay triggers.
N1, N2, N3, N4, N5, N6 = ("295017512345651", "1840275123456", "295017512345750", "177069912378982",
                          "288021305501209", "C-192044400032111")
NUMBERS = [n.removeprefix("C-") for n in (N1, N2, N3, N4, N5, N6)]
NIR_ROWS = [
    ev(N1, "registration_submitted", "2024-11-01"),
    ev(N1, "registration_accepted", "2024-11-11"),
    ev(N1, "complement_requested", "2024-11-13", trigger="birth_certificate_format",
       note=f"Acte de naissance de {N1} refusé"),
    ev(N1, "nir_permanent", "2024-12-20", note="NIR 2 95 01 75 123 456 51"),  # N1, spaced
    ev(N2, "registration_submitted", "2025-01-01"),
    ev(N2, "registration_accepted", "2025-01-10"),
    ev(N2, "nir_permanent", "2025-01-20", note=f"number {N2} received"),
    ev(N2, "dossier_submitted", "2025-01-25"),
    ev(N3, "registration_submitted", "2024-06-01", office="=1+1"),
    ev(N3, "followup_call", "2024-07-01", trigger="registration_missing", note=f"called about {N3}", office="=1+1"),
    ev(N4, "registration_submitted", "2025-01-15"),
    ev(N5, "registration_submitted", "2025-02-01"),
    ev(N6, "registration_submitted", "2025-02-10"),
    ev(N6, "registration_accepted", "2025-02-20"),
]


@pytest.fixture(scope="module")
def nir_log():
    return make_log(NIR_ROWS)


def test_case_viewer_never_shows_a_full_number(nir_log):
    viewer = CaseViewer(nir_log, as_of=AS_OF)
    labels = list(viewer.controls["dossier"].options)
    assert len(labels) == 6 and mask_identifier(N1) in labels and mask_identifier(N2) in labels
    assert "C-1 92 •• •• ••• ••• 11" in labels
    for label in labels:
        viewer.controls["dossier"].value = label
        sent = every_state(viewer.widget)
        drawn = " ".join(t.get_text() for ax in viewer.figure.axes
                         for t in ax.findobj(lambda a: hasattr(a, "get_text")))
        for number in NUMBERS:
            assert number not in sent and number not in drawn and number not in repr(viewer)
            assert number[3:13] not in sent  # not even the middle digits
        assert label in find(viewer.widget, "vitale-table").value
    viewer.controls["dossier"].value = mask_identifier(N1)
    table = find(viewer.widget, "vitale-table").value
    assert mask_identifier(N1) in table
    assert "Acte de naissance de 2 95 •• •• ••• ••• 51 refusé" in table and "NIR 2 95 •• •• ••• ••• 51" in table
    assert viewer.timeline.case_id == N1  # the real id stays in Python
    assert viewer.result["case_id"].unique().tolist() == [mask_identifier(N1)]


@pytest.mark.parametrize("explorer_class", [CaseloadExplorer, StallExplorer, TriggerExplorer])
def test_other_explorers_never_show_a_full_number(nir_log, explorer_class, tmp_path):
    kw = {"output_dir": tmp_path} if explorer_class is StallExplorer else {}
    explorer = explorer_class(nir_log, as_of=AS_OF, **kw)
    sent = every_state(explorer.widget)
    for number in NUMBERS:
        assert number not in sent
    if explorer_class is StallExplorer:
        assert N3 in explorer.result["case_id"].tolist()  # far overdue: on the worklist...
        assert mask_identifier(N3) in sent  # ...and shown masked
    if explorer_class is TriggerExplorer:
        assert mask_identifier(N1) in sent


def test_saved_worklist_keeps_formula_like_text_as_text(nir_log, tmp_path):
    explorer = StallExplorer(nir_log, as_of=AS_OF, output_dir=tmp_path)
    path = explorer.save()
    assert path.name == "worklist_2025-03-01.xlsx"
    sheet = load_workbook(path).active
    header = [cell.value for cell in sheet[1]]
    office = header.index(HEADERS["en"]["office"]) + 1
    ids = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert ids == [mask_identifier(i) for i in explorer.result["case_id"]]
    cell = sheet.cell(row=ids.index(mask_identifier(N3)) + 2, column=office)
    assert cell.value == "=1+1" and cell.data_type == "s"
    assert N3 not in json.dumps([[c.value for c in row] for row in sheet.iter_rows()], default=str)


# ============================================================================ notebook display, inputs
def test_explorers_display_as_their_widget_with_css_hooks(log, tmp_path):
    explorer = CaseloadExplorer(log)
    bundle = explorer._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.widget.model_id
    assert {"vitale-explorer", "vitale-caseload-explorer"} <= set(explorer.widget._dom_classes)
    assert isinstance(find(explorer.widget, "vitale-chart"), W.Output)
    for key, control in explorer.controls.items():
        assert f"vitale-control-{key.replace('_', '-')}" in control._dom_classes
    assert set(explorer.controls) == {"office", "channel", "born_abroad", "start_period", "as_of"}
    assert set(StallExplorer(log, output_dir=tmp_path).controls) == {"percentile", "followup_days", "phase", "save"}


def test_bad_inputs_get_a_clear_error(log, cases):
    with pytest.raises(va.CaseLogError, match="needs the CaseLog"):
        CaseloadExplorer(cases)
    with pytest.raises(va.CaseLogError, match="lang='de'"):
        TriggerExplorer(log, lang="de")
    with pytest.raises(va.CaseLogError, match="no dossier 'X1'"):
        CaseViewer(log, case_id="X1")
