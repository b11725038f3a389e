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
import io
import json
import re
import warnings
from datetime import date
from html import unescape

import ipywidgets as W
import numpy as np
import pandas as pd
import pytest
from matplotlib.layout_engine import ConstrainedLayoutEngine
from openpyxl import load_workbook
from pandas.testing import assert_frame_equal
from test_languages import (  # (the word lists of the language checks, shared)
    check,
    visible_text,
)

import vitale_analysis as va
from vitale_analysis import chartdata, i18n, plots
from vitale_analysis.km import km_quantiles
from vitale_analysis.labels import with_next_actions, with_trigger_labels
from vitale_analysis.privacy import mask_identifier
from vitale_analysis.report import HEADERS
from vitale_analysis.timeutil import AsOf
from vitale_analysis.widgets import (
    ALL,
    CaseloadExplorer,
    CaseViewer,
    StallExplorer,
    TriggerExplorer,
    _TableView,
)


@pytest.fixture(scope="module")
def log(sample_log):
    return sample_log  # the bundled sample, loaded once for the session (tests/conftest.py)


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


IMG = re.compile(r'^<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="([^"]*)"')


def png_of(explorer) -> str:
    """The base64 PNG the explorer's chart shows (an <img> in its HTML widget, with an alt text)."""
    chart = find(explorer.widget, "vitale-chart")
    assert isinstance(chart, W.HTML)
    match = IMG.match(chart.value)
    assert match, chart.value[:200]
    data = match.group(1)
    assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    return data


def alt_of(explorer) -> str:
    """The alt text of the explorer's chart image, as a screen reader reads it."""
    return unescape(IMG.match(find(explorer.widget, "vitale-chart").value).group(2))


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
    assert explorer.controls["as_of"].value == "2025-06-30"  # the day shown, year-month-day in English
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
            & (cases["born_abroad"] == False).fillna(False)
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
    keep_all_offices &= ((cases["channel"] == "ameli") & (cases["born_abroad"] == False).fillna(False)
                         & (start_month >= months[2]) & (start_month <= months[9]))
    assert_frame_equal(explorer.result, va.phase_summary(cases[keep_all_offices.to_numpy()]))


def test_caseload_as_of_picker_recomputes_the_case_table(log):
    explorer = CaseloadExplorer(log)
    explorer.controls["as_of"].value = "2025-01-31"
    then = va.case_table(log, as_of="2025-01-31")
    assert explorer.as_of == explorer.cases.as_of == end_of("2025-01-31")
    assert len(explorer.cases) == len(then) < 3000
    assert_frame_equal(explorer.result, va.phase_summary(then))
    assert "as of 31 January 2025" in find(explorer.widget, "vitale-status").value
    # The log's last day, the day it was opened on, means the cut it was opened with: the latest event.
    explorer.controls["as_of"].value = "2025-06-30"
    assert explorer.as_of == AsOf(log.events["timestamp"].max(), inclusive=True)
    assert_frame_equal(explorer.result, va.phase_summary(va.case_table(log)))


@pytest.mark.parametrize("as_of, cut, day", [
    ("2025-06-30", AsOf(pd.Timestamp("2025-07-01 00:00"), inclusive=False), "2025-06-30"),
    ("2025-06-30 09:00", AsOf(pd.Timestamp("2025-06-30 09:00"), inclusive=True), "2025-06-30"),
    ("2025-03-15", AsOf(pd.Timestamp("2025-03-16 00:00"), inclusive=False), "2025-03-15"),
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
    explorer.controls["as_of"].value = "2025-02-28"
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
        explorer.controls["as_of"].value = f"2025-05-{day:02d}"
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
    explorer.controls["as_of"].value = "2025-05-01"  # evicted: computed again, same answer
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
    explorer.controls["as_of"].value = "2025-01-31"
    assert texts_outside(explorer.figure) == []
    months = [value for _label, value in explorer.controls["start_period"].options]
    explorer.controls["start_period"].value = (months[-1], months[-1])
    explorer.controls["as_of"].value = "2024-01-31"  # nobody started in the last month yet
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


DOWNLOAD = re.compile(r'<a class="vitale-download" download="([^"]+)" '
                      r'href="data:application/vnd\.openxmlformats-officedocument\.spreadsheetml\.sheet;base64,'
                      r'([A-Za-z0-9+/=]+)">([^<]*)</a>')


def downloaded(explorer) -> tuple[str, bytes, str]:
    """The download link the stall explorer shows: the file's name, its bytes and the link's text."""
    match = DOWNLOAD.search(find(explorer.widget, "vitale-save-status").value)
    assert match, find(explorer.widget, "vitale-save-status").value[:300]
    return unescape(match.group(1)), base64.b64decode(match.group(2)), unescape(match.group(3))


def worksheet(data) -> tuple[list, list, list, object]:
    """A worklist workbook (bytes or a path): the settings lines above its table, the header, the rows."""
    book = load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data)
    assert len(book.worksheets) == 1
    sheet = book.active
    rows = list(sheet.values)
    blank = next(i for i, row in enumerate(rows) if all(v is None for v in row))
    assert all(row[1:] == (None,) * (len(row) - 1) for row in rows[:blank])  # one line each, in column A
    return [row[0] for row in rows[:blank]], list(rows[blank + 1]), rows[blank + 2:], sheet


def test_save_button_offers_the_worklist_as_a_download(log, cases, tmp_path):
    """The button writes nothing on the server: it builds the workbook in memory and shows a link that
    downloads it, named after the settings; the sheet states the date, the source and the settings above
    the table. A settings change takes the link away (it would download another list)."""
    explorer = StallExplorer(log, output_dir=tmp_path / "out")
    assert find(explorer.widget, "vitale-save-status").value == ""
    explorer.controls["save"].click()
    assert not (tmp_path / "out").exists() and explorer.last_saved is None
    name, data, text = downloaded(explorer)
    expected = worklist_of(cases)
    assert name == explorer.file_name == "worklist_all-phases_p90_followup14d_as-of_2025-06-30.xlsx"
    assert text == f"Download {name} ({len(expected)} dossiers)"
    lines, header, body, sheet = worksheet(data)
    assert lines == [
        "Dossiers to follow up, as of 30 June 2025",
        "Source: sample_caselog.csv",
        ("Phase: All phases; stalled: more days in the phase than the 90th percentile of its dossiers; "
        "follow-up after 14 days without news."),
        f"{len(expected)} dossiers, most overdue first.",
        f"Made by vitale-analysis {va.__version__}: every figure depends only on the case log and this date.",
    ]
    assert sheet.freeze_panes == f"A{len(lines) + 3}"  # under the header row
    assert sheet.auto_filter.ref.startswith(f"A{len(lines) + 2}:")
    h = HEADERS["en"]
    assert len(body) == len(expected)
    table = pd.DataFrame(body, columns=header)
    assert table[h["case_id"]].tolist() == expected["case_id"].tolist()
    assert table[h["phase"]].tolist() == expected["phase_label"].tolist()
    assert table[h["next_action"]].tolist() == expected["next_action"].tolist()
    np.testing.assert_allclose(table[h["days_over"]].astype(float), expected["days_over"].round(1))
    np.testing.assert_allclose(table[h["threshold_days"]].astype(float), expected["threshold_days"].round(1))

    explorer.controls["followup_days"].value = 30
    assert find(explorer.widget, "vitale-save-status").value == ""


def test_stall_explorer_in_french_offers_the_filtered_list(log, cases, tmp_path):
    explorer = StallExplorer(log, lang="fr", output_dir=tmp_path)
    assert explorer.controls["save"].description == "Enregistrer la liste (Excel)"
    assert explorer.controls["phase"].options[4] == ("Ouverture des droits", "rights")
    explorer.controls["phase"].value = "ssn"
    explorer.controls["percentile"].value = 80
    explorer.controls["followup_days"].value = 7
    explorer.controls["save"].click()
    name, data, text = downloaded(explorer)
    assert name == "a_relancer_numero-de-securite-sociale_p80_relance7j_au_2025-06-30.xlsx"
    expected = worklist_of(cases, lang="fr", percentile=80, followup_days=7)
    expected = expected[expected["phase"] == "ssn"]
    assert text == f"Télécharger {name} ({len(expected)} dossiers)"
    lines, header, body, sheet = worksheet(data)
    assert sheet.title == "À relancer"
    assert lines[:4] == [
        "Dossiers à relancer, au 30 juin 2025",
        "Source : sample_caselog.csv",
        ("Phase : Numéro de sécurité sociale ; bloqué : plus de jours dans la phase que le 80e centile de ses "
        "dossiers ; relance après 7 jours sans nouvelles."),
        f"{len(expected)} dossiers, les plus en retard d'abord.",
    ]
    assert [row[0] for row in body] == expected["case_id"].tolist()
    assert header[header.index(HEADERS["fr"]["next_action"])] == "Prochaine action"
    assert {row[header.index("Prochaine action")] for row in body} == set(expected["next_action"])
    assert "Numéro de sécurité sociale" in find(explorer.widget, "vitale-table").value


def test_save_writes_where_asked(log, cases, tmp_path):
    """For Python users: save() writes the same workbook to a file or into a folder (the default: output_dir)."""
    explorer = StallExplorer(log, output_dir=tmp_path / "out")
    explorer.controls["phase"].value = "rights"
    default = explorer.save()
    assert default == (tmp_path / "out" / explorer.file_name).resolve() == explorer.last_saved
    assert explorer.file_name == "worklist_rights-opening_p90_followup14d_as-of_2025-06-30.xlsx"
    named = explorer.save(tmp_path / "mine.xlsx")
    assert named == (tmp_path / "mine.xlsx").resolve()
    into = explorer.save(tmp_path / "folder")
    assert into == (tmp_path / "folder" / explorer.file_name).resolve()
    expected = worklist_of(cases)
    expected = expected[expected["phase"] == "rights"]
    for path in (default, named, into):
        lines, _header, body, _sheet = worksheet(path)
        assert lines[0] == "Dossiers to follow up, as of 30 June 2025"
        assert [row[0] for row in body] == expected["case_id"].tolist()
    assert find(explorer.widget, "vitale-save-status").value == ""  # (no link: the button was not used)


def test_save_button_says_why_it_could_not_make_the_file(log, monkeypatch):
    def broken(self):
        raise ValueError("no room left")

    explorer = StallExplorer(log)
    monkeypatch.setattr(StallExplorer, "workbook", broken)
    explorer.controls["save"].click()
    value = find(explorer.widget, "vitale-save-status").value
    assert "Could not make the Excel file: no room left" in value and "<a " not in value


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


def test_case_viewer_looks_up_what_is_typed(log):
    """What an advisor types, sent on Enter: any case, spaces around, or the bare number when it is one
    dossier's; an unknown number says so and no longer shows the dossier shown before."""
    viewer = CaseViewer(log, case_id="D000002")
    dossier = viewer.controls["dossier"]
    assert (dossier.continuous_update, dossier.ensure_option) == (False, False)  # nothing sent while typing
    for typed in ("d000425", " D000425 ", "425", "0425", "D000425"):
        dossier.value = "D000002"
        dossier.value = typed
        assert viewer.timeline.case_id == "D000425", typed
        assert "Dossier D000425: " in find(viewer.widget, "vitale-status").value
        assert set(viewer.result["case_id"]) == {"D000425"}
    png_of(viewer)
    dossier.value = "D009999"
    assert unescape(find(viewer.widget, "vitale-status").value) == \
        '<p role="alert">No dossier D009999 — check the number.</p>'
    assert viewer.timeline is None and viewer.result is None and viewer.figure is None
    assert find(viewer.widget, "vitale-chart").value == "" and find(viewer.widget, "vitale-table").value == ""
    assert "D000425" not in find(viewer.widget, "vitale-status").value
    dossier.value = "  "
    assert "Pick a dossier from the list." in find(viewer.widget, "vitale-status").value


def test_case_viewer_in_french_and_numbers_shared_by_several(log):
    viewer = CaseViewer(log, lang="fr")
    viewer.controls["dossier"].value = "d000007"
    assert "Dossier D000007 : " in unescape(find(viewer.widget, "vitale-status").value)
    viewer.controls["dossier"].value = "x12"
    assert unescape(find(viewer.widget, "vitale-status").value) == \
        '<p role="alert">Aucun dossier x12 — vérifier le numéro.</p>'
    assert viewer.controls["dossier"].description == "Dossier"
    two = make_log([ev("A-7", "registration_submitted", "2025-01-02"), ev("B-7", "registration_submitted", "2025-01-03"),
                    ev("C-8", "registration_submitted", "2025-01-04")])
    viewer = CaseViewer(two, as_of=AS_OF)
    viewer.controls["dossier"].value = "7"
    assert viewer.timeline is None
    assert "2 dossiers have the number 7: type it in full." in find(viewer.widget, "vitale-status").value
    viewer.controls["dossier"].value = "8"
    assert viewer.timeline.case_id == "C-8"
    viewer.controls["dossier"].value = "b-7"
    assert viewer.timeline.case_id == "B-7"


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
    assert path.name == "worklist_all-phases_p90_followup14d_as-of_2025-03-01.xlsx"
    lines, header, body, sheet = worksheet(path)
    office = header.index(HEADERS["en"]["office"]) + 1
    ids = [row[0] for row in body]
    assert ids == [mask_identifier(i) for i in explorer.result["case_id"]]
    cell = sheet.cell(row=len(lines) + 2 + 1 + ids.index(mask_identifier(N3)), column=office)
    assert cell.value == "=1+1" and cell.data_type == "s"
    assert N3 not in json.dumps([[c.value for c in row] for row in sheet.iter_rows()], default=str)


# ============================================================================ notebook display, inputs
def test_explorers_display_as_their_widget_with_css_hooks(log, tmp_path):
    explorer = CaseloadExplorer(log)
    bundle = explorer._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.widget.model_id
    assert {"vitale-explorer", "vitale-caseload-explorer"} <= set(explorer.widget._dom_classes)
    assert isinstance(find(explorer.widget, "vitale-chart"), W.HTML)
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


def test_case_viewer_masks_a_typed_social_security_number(nir_log):
    """A full number typed finds its dossier (the real id stays in Python); an unknown one is named
    masked in the message; neither reaches the page in full."""
    viewer = CaseViewer(nir_log, as_of=AS_OF)
    viewer.controls["dossier"].value = N2  # typed in full, as the advisor knows it
    assert viewer.timeline.case_id == N2
    assert mask_identifier(N2) in find(viewer.widget, "vitale-status").value
    viewer.controls["dossier"].value = "2 95 01 75 123 456 51"  # N1, spaced
    assert viewer.timeline.case_id == N1
    unknown = "295017512345750"[:-2] + "44"  # not in the log
    viewer.controls["dossier"].value = unknown
    assert viewer.timeline is None
    status = find(viewer.widget, "vitale-status").value
    assert f"No dossier {mask_identifier(unknown)} — check the number." in unescape(status)
    sent = every_state(viewer.widget).replace(json.dumps(unknown), "")  # (the field holds what was typed)
    for number in NUMBERS + [unknown]:
        assert number not in sent and number not in repr(viewer)


# ============================================================================ the "As of" field
@pytest.mark.parametrize("lang, typed, day", [
    ("fr", "31/03/2025", date(2025, 3, 31)), ("fr", " 1/4/2025 ", date(2025, 4, 1)),
    ("fr", "2025-03-31", date(2025, 3, 31)), ("en", "2025-03-31", date(2025, 3, 31)),
])
def test_a_day_is_read_strictly(lang, typed, day):
    from vitale_analysis.widgets._base import parse_day

    assert parse_day(typed, lang) == day


@pytest.mark.parametrize("lang, typed", [
    ("fr", "31/02/2025"), ("fr", "31/03/25"), ("fr", "31/03/0202"[:8]), ("fr", "2025"), ("fr", "31.03.2025"),
    ("en", "03/31/2025"), ("en", "31/03/2025"), ("en", "2025-13-01"), ("en", "202-03-31"), ("en", ""),
    ("en", "2025-03-3"), ("en", "2025-4-1"), ("fr", "2025-03-3"),
])
def test_what_is_not_a_day_is_refused(lang, typed):
    from vitale_analysis.widgets._base import parse_day

    assert parse_day(typed, lang) is None


@pytest.mark.parametrize("lang, typed", [("fr", "31/03/2025"), ("en", "2025-03-31")])
def test_typing_a_day_key_by_key_applies_only_the_whole_day(log, lang, typed):
    """Even if each keystroke reached the kernel (the field sends only on Enter or when left), no part
    of a day is applied, nothing is moved to the log's first day, and the text is never rewritten."""
    explorer = CaseloadExplorer(log, lang=lang)
    field = explorer.controls["as_of"]
    assert field.continuous_update is False
    applied = []
    original = explorer._apply
    explorer._apply = lambda cut: (applied.append(cut), original(cut))[1]
    for end in range(1, len(typed) + 1):
        field.value = typed[:end]
        assert field.value == typed[:end]  # never rewritten
    assert applied == [end_of("2025-03-31")]
    assert explorer.as_of == end_of("2025-03-31")
    assert_same_table(explorer.cases, va.case_table(log, as_of="2025-03-31"))


@pytest.mark.parametrize("lang, typed, message", [
    ("en", "2023-12-31", ("No data for 2023-12-31: the case log runs from 2 January 2024 to 30 June 2025. "
                         "Still shown: as of 30 June 2025.")),
    ("fr", "01/07/2025", ("Pas de données au 01/07/2025 : le journal des dossiers va du 2 janvier 2024 au "
                         "30 juin 2025. Toujours affiché : au 30 juin 2025.")),
    ("en", "03/31/2025", ("“03/31/2025” is not a day written year-month-day: write it like 2025-06-30, then press "
                         "Enter.")),
    ("fr", "31/02/2025", ("« 31/02/2025 » n'est pas une date jour/mois/année : l'écrire comme 30/06/2025, puis "
                         "appuyer sur Entrée.")),
])
def test_a_day_outside_the_log_or_not_a_day_gets_a_message(log, lang, typed, message):
    explorer = CaseloadExplorer(log, lang=lang)
    before = explorer.as_of
    explorer.controls["as_of"].value = typed
    assert explorer.as_of == before  # not moved to the nearest day
    assert explorer.controls["as_of"].value == typed  # what was typed stays, to be corrected
    shown = unescape(find(explorer.widget, "vitale-date-message").value)
    assert message in shown and 'role="alert"' in shown
    explorer.controls["as_of"].value = "2025-03-31"
    assert explorer.as_of == end_of("2025-03-31") and "alert" not in find(explorer.widget, "vitale-date-message").value


def test_the_field_shows_the_day_in_the_language(log):
    assert CaseloadExplorer(log, lang="fr", as_of="2025-03-31").controls["as_of"].value == "31/03/2025"
    assert CaseloadExplorer(log, lang="en", as_of="2025-03-31").controls["as_of"].value == "2025-03-31"
    field = CaseloadExplorer(log, lang="fr").controls["as_of"]
    assert (field.description, field.placeholder) == ("Au", "jj/mm/aaaa")


# ============================================================================ Dashboard
from vitale_analysis.report import report_tables
from vitale_analysis.widgets import Dashboard, ProcessMapExplorer


def cuts_shown(dashboard) -> set:
    return {dashboard.as_of} | {explorer.as_of for explorer in dashboard.explorers}


def test_dashboard_default_is_the_last_event_in_every_tab(log, cases):
    dashboard = Dashboard(log)
    assert cuts_shown(dashboard) == {log.as_of(None)} == {cases.as_of}
    assert dashboard.controls["as_of"].value == "2025-06-30"
    for explorer in dashboard.explorers:
        assert_same_table(explorer.cases, cases)
    headline = "3,000 dossiers as of 30 June 2025: 975 still open, 1,833 complete, 192 closed. Rows of " \
        "sample_caselog.csv set aside (exact duplicates, unreadable values): 162."
    assert dashboard.headline == headline and headline in unescape(find(dashboard.widget, "vitale-headline").value)
    assert dashboard.tabs.titles == ("Time per phase", "Stalled dossiers", "Delay triggers", "One dossier",
                                     "Process map")
    assert [type(e) for e in dashboard.explorers] == [CaseloadExplorer, StallExplorer, TriggerExplorer, CaseViewer,
                                                      ProcessMapExplorer]
    assert "as_of" not in dashboard.explorers[0].controls  # one field for every tab
    assert len({id(e._tables) for e in dashboard.explorers}) == 1  # one case table per date, shared
    assert {"vitale-dashboard"} <= set(dashboard.widget._dom_classes)
    assert "vitale-control-as-of" in dashboard.controls["as_of"]._dom_classes


@pytest.mark.parametrize("lang, typed", [("fr", "31/03/2025"), ("en", "2025-03-31")])
def test_dashboard_date_applies_to_every_tab_and_the_headline(log, lang, typed):
    dashboard = Dashboard(log, lang=lang)
    for end in range(1, len(typed)):
        dashboard.controls["as_of"].value = typed[:end]
        assert cuts_shown(dashboard) == {log.as_of(None)}, typed[:end]  # nothing of a part applied
    dashboard.controls["as_of"].value = typed
    then = va.case_table(log, as_of="2025-03-31")
    assert cuts_shown(dashboard) == {end_of("2025-03-31")}
    for explorer in dashboard.explorers:
        assert_same_table(explorer.cases, then)
    stall, trigger = dashboard.explorers[1], dashboard.explorers[2]
    assert_frame_equal(stall.result, worklist_of(then, lang=lang))
    assert_frame_equal(trigger.summary.drop(columns="label"),
                       with_trigger_labels(va.trigger_summary(then), log.process, lang=lang).drop(columns="label"))
    assert_frame_equal(dashboard.explorers[0].result, va.phase_summary(then))
    day = "31 mars 2025" if lang == "fr" else "31 March 2025"
    texts = [find(dashboard.widget, "vitale-headline").value] + [find(e.widget, "vitale-status").value
                                                                 for e in dashboard.explorers]
    assert all(day in unescape(text) for text in texts), texts
    assert dashboard.headline.startswith(f"{i18n.number(len(then), lang)} dossiers")
    dashboard.set_as_of(None)  # back from Python: the field follows
    assert cuts_shown(dashboard) == {log.as_of(None)}
    assert dashboard.controls["as_of"].value == ("30/06/2025" if lang == "fr" else "2025-06-30")


def test_dashboard_date_changes_the_tab_on_screen_and_the_headline_first(log):
    """A new date re-renders the tab on screen, then the headline, then the hidden tabs: in the page each
    widget's new state is sent as soon as it is set, so what the advisor looks at changes first."""
    dashboard = Dashboard(log)
    dashboard.tabs.selected_index = 2  # the delay triggers on screen
    order = []
    for i, explorer in enumerate(dashboard.explorers):
        def traced(as_of, i=i, original=explorer.set_as_of):
            original(as_of)
            order.append(i)
        explorer.set_as_of = traced
    dashboard._headline.observe(lambda change: order.append("headline"), names="value")
    dashboard.controls["as_of"].value = "2025-03-31"
    assert order == [2, "headline", 0, 1, 3, 4]
    assert cuts_shown(dashboard) == {end_of("2025-03-31")}


@pytest.mark.parametrize("as_of", [None, "2025-03-31", "2025-06-30"])
def test_dashboard_and_report_count_the_same_days(log, as_of):
    """One day-count rule: the same dossier's days in its phase are the same in the report and in the
    dashboard at the same as_of, opened with it, or typed into its field (the log's last day typed means
    the end of that day, as report_tables(as_of="2025-06-30") counts, not its latest event)."""
    tables = report_tables(log, as_of=as_of)
    opened = Dashboard(log, as_of=as_of)
    typed = Dashboard(log, as_of="2025-01-15")
    if as_of is None:
        typed.set_as_of(None)
    else:
        typed.controls["as_of"].value = as_of
    for dashboard in (opened, typed):
        for explorer in dashboard.explorers:
            assert explorer.cases.as_of == tables.as_of
        shown = dashboard.explorers[0].cases.to_frame().set_index("case_id")["days_in_phase"]
        expected = tables.cases.to_frame().set_index("case_id")["days_in_phase"]
        pd.testing.assert_series_equal(shown, expected)
        stall = dashboard.explorers[1].result.set_index("case_id")["days_in_phase"]
        pd.testing.assert_series_equal(stall, tables.worklist.set_index("case_id")["days_in_phase"])
    if as_of is None:  # the report counts to the latest event; so does the dashboard by default
        dossier = tables.worklist["case_id"].iloc[0]
        end = log.events["timestamp"].max()
        started = tables.cases.to_frame().set_index("case_id").loc[dossier, "phase_started_at"]
        assert stall.loc[dossier] == pytest.approx((end - started) / pd.Timedelta(days=1))


def test_dashboard_in_french_speaks_french(french_log):
    dashboard = Dashboard(french_log, lang="fr")
    caseload, stall, trigger, viewer, _process_map = dashboard.explorers
    assert dashboard.tabs.titles == ("Durée des phases", "Dossiers bloqués", "Motifs de retard", "Un dossier",
                                     "Carte du processus")
    assert caseload.controls["channel"].options[1:] == (("Compte ameli", "ameli"), ("Courrier", "postal"))
    stall.controls["save"].click()
    texts = []

    def collect():
        stack = [dashboard.widget]
        while stack:
            w = stack.pop()
            if isinstance(w, W.HTML):
                texts.extend(visible_text(w.value))
            elif isinstance(w, W.Text):
                texts.append(w.value)
            for attr in ("description", "placeholder", "tooltip"):
                if isinstance(getattr(w, attr, None), str):
                    texts.append(getattr(w, attr))
            texts.extend(str(label) for label in getattr(w, "_options_labels", ()) or ())
            texts.extend(getattr(w, "titles", ()) or ())
            stack.extend(getattr(w, "children", ()) or ())
        for explorer in dashboard.explorers:
            if explorer.figure is not None:
                explorer.figure.canvas.draw()
                texts.extend(t.get_text() for t in explorer.figure.findobj(lambda a: hasattr(a, "get_text")))

    collect()
    for key in [value for _label, value in trigger.controls["trigger"].options][:4]:
        trigger.controls["trigger"].value = key
        collect()
    viewer.controls["dossier"].value = "2116"
    collect()
    dashboard.controls["as_of"].value = "31/13/2025"
    collect()
    check(texts, "fr", "the dashboard")
    page = unescape(find(dashboard.widget, "vitale-headline").value + find(stall.widget, "vitale-table").value
                    + find(viewer.widget, "vitale-table").value + find(viewer.widget, "vitale-status").value
                    + find(trigger.widget, "vitale-status").value)
    for french in ("164 dossiers au 30 juin 2025 : 129 en cours, 24 terminés, 11 clos.",
                   "caisse (CPAM, CGSS)", "demandeur", "17/04/2025 17:38", "74,0", "Carte Vitale activée",
                   "Dossier D002116 : en cours, 11 événements"):
        assert french in page, french
    assert "Télécharger a_relancer_toutes-phases_p90_relance14j_au_2025-06-30.xlsx" in \
        unescape(find(stall.widget, "vitale-save-status").value)


def test_dashboard_in_english_has_no_french(log):
    dashboard = Dashboard(log)
    dashboard.explorers[1].controls["save"].click()
    texts = []
    stack = [dashboard.widget]
    while stack:
        w = stack.pop()
        if isinstance(w, W.HTML):
            texts.extend(visible_text(w.value))
        texts.extend(str(label) for label in getattr(w, "_options_labels", ()) or ())
        stack.extend(getattr(w, "children", ()) or ())
    check(texts + list(dashboard.tabs.titles), "en", "the dashboard")


def test_dashboard_intro_is_short_and_its_page_script_says_the_language(french_log):
    dashboard = Dashboard(french_log, lang="fr", source="/somewhere/mon_export.csv")
    intro = unescape(find(dashboard.widget, "vitale-intro").value)
    assert "mon_export.csv" in intro and "/somewhere" not in intro and "3 000" not in intro
    assert len(intro) < 520  # three or four lines on a 1024-pixel screen
    script = dashboard.page_script()
    assert '"lang": "fr"' in script and '"title": "Tableau de bord des dossiers Carte Vitale"' in script
    assert "aria-label" in script


def test_chart_images_have_their_title_as_alt_text(log):
    explorer = CaseloadExplorer(log, lang="fr")
    title = " — ".join(line for line in explorer.figure.axes[0].get_title().splitlines() if line)
    assert alt_of(explorer) == title and title.startswith("Durée de chaque phase")
    viewer = CaseViewer(log, case_id="D000025")
    assert alt_of(viewer).startswith("Dossier D000025")
