"""Advisors see the forecasts (issue 21): the worklist, the one-dossier tab, the report, the workbook, the chart.

Expected values come from calling ``forecast`` / ``forecast_completions`` directly and formatting the
dates here by hand (month names written out below), never from the presentation code under test.
"""

from __future__ import annotations

import re
import warnings
from html import unescape
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from openpyxl import load_workbook  # noqa: E402

import vitale_analysis as va  # noqa: E402
from vitale_analysis import plots  # noqa: E402
from vitale_analysis.report import report_tables, write_html, write_workbook  # noqa: E402
from vitale_analysis.widgets import CaseViewer, StallExplorer  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample_caselog.csv"
AS_OF = "2025-06-30"
MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"],
}


def in_words(when, lang: str) -> str:
    """A day as the viewer writes it, by hand: "27 July 2025", "1er juillet 2025"."""
    d = pd.Timestamp(when)
    first = "1er" if lang == "fr" and d.day == 1 else str(d.day)
    return f"{first} {MONTHS[lang][d.month - 1]} {d.year}"


def in_figures(when, lang: str) -> str:
    d = pd.Timestamp(when)
    return f"{d.day:02d}/{d.month:02d}/{d.year}" if lang == "fr" else f"{d.year}-{d.month:02d}-{d.day:02d}"


@pytest.fixture(scope="module")
def log():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        return va.load(SAMPLE)


@pytest.fixture(scope="module")
def ahead(log):
    return va.forecast(log, as_of=AS_OF)  # the whole caseload's history, 80 %: what advisors see


@pytest.fixture(scope="module")
def weeks(log):
    return va.forecast_completions(log, as_of=AS_OF)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------------------- the chart
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_chart_draws_the_expected_counts_and_their_band(weeks, lang):
    ax = plots.plot_forecast_completions(weeks, lang=lang)
    dated = weeks[weeks["period_start"].notna()]
    assert len(dated) == 12 and len(weeks) == 13  # twelve weeks, then "later"
    line = ax.get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), dated["expected"].to_numpy())
    # Each point at the middle of its week: Monday + 3.5 days.
    middles = pd.to_datetime(pd.Series(line.get_xdata()))
    assert middles.tolist() == [s + pd.Timedelta(hours=84) for s in dated["period_start"]]
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert np.isclose(band.min(), dated["low"].min()) and np.isclose(band.max(), dated["high"].max())
    title = ax.get_title()
    if lang == "fr":
        assert "par semaine" in title and "pas une promesse" in title and "677 dossiers en cours" in title
    else:
        assert "per week" in title and "not a promise" in title and "677 open dossiers" in title
    later = round(float(weeks.loc["later", "expected"]))
    assert any(str(later) in t.get_text() for t in ax.texts)


def test_the_chart_of_nothing_says_so(weeks):
    empty = weeks.iloc[-1:].copy()
    empty.attrs = {**weeks.attrs, "n_open": 0}
    ax = plots.plot_forecast_completions(empty, lang="fr")
    assert ax.get_gid() == "nothing-to-show" and not ax.get_lines()


# ---------------------------------------------------------------------------- the report and the workbook
@pytest.fixture(scope="module")
def pages(log, tmp_path_factory):
    out = tmp_path_factory.mktemp("forecast_report")
    found = {}
    for lang in ("en", "fr"):
        tables = report_tables(log, as_of=AS_OF, lang=lang)
        html = write_html(tables, out / f"report_{lang}.html").read_text(encoding="utf-8")
        found[lang] = (tables, unescape(html), write_workbook(tables, out / f"report_{lang}.xlsx"))
    return found


def _section(html: str, key: str) -> str:
    start = html.index(f'<section id="{key}">')
    return html[start:html.index("</section>", start)]


@pytest.mark.parametrize("lang, heading, words", [
    ("en", "When will open dossiers get their rights?", ("estimates from past dossiers", "not promises")),
    ("fr", "Quand les dossiers en cours auront-ils leurs droits ?", ("estimations d’après les dossiers passés",
                                                                    "pas des promesses")),
])
def test_the_report_has_the_forecast_section(pages, weeks, ahead, lang, heading, words):
    _, html, _ = pages[lang]
    section = _section(html, "forecast")
    assert f"<h2>{heading}</h2>" in section
    assert all(w in section for w in words)
    # It comes right after the worklist.
    assert html.index('<section id="stalled">') < html.index('<section id="forecast">') < html.index(
        '<section id="triggers">')
    # The weeks' table: each week's expected count rounded, and its band.
    cells = re.findall(r"<tr><td>([^<]*)</td><td[^>]*>([^<]*)</td><td>([^<]*)</td></tr>", section)
    assert len(cells) == 13
    for (week, expected, band), (_, row) in zip(cells, weeks.iterrows()):
        if pd.isna(row["period_start"]):
            assert week == ("Later, or beyond past dossiers" if lang == "en"
                            else "Plus tard, ou au-delà des dossiers passés")
        else:
            start, end = in_figures(row["period_start"], lang), in_figures(row["period_end"], lang)
            assert week == (f"{start} to {end}" if lang == "en" else f"du {start} au {end}")
        assert expected == str(int(round(row["expected"])))
        assert band == f"{int(round(row['low']))}–{int(round(row['high']))}"
    beyond = int(ahead["beyond_history"].sum())
    n = len(ahead)
    assert (f"{n} open dossiers waiting for their rights" if lang == "en"
            else f"{n} dossiers en cours attendent leurs droits") in section
    assert (f"; {beyond} with an interval" if lang == "en" else f"; {beyond} avec une fourchette") in section


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_worklist_shows_the_expected_rights_opening(pages, log, ahead, lang):
    _, html, _ = pages[lang]
    section = _section(html, "stalled")
    head = re.search(r"<thead><tr>(.*?)</tr></thead>", section).group(1)
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", head)
    name = "Expected rights opening (estimate)" if lang == "en" else "Ouverture des droits prévue (estimation)"
    at = headers.index(name)
    assert headers[at - 1] == ("Days over" if lang == "en" else "Jours de dépassement")
    rows = [re.findall(r"<td[^>]*>([^<]*)</td>", r) for r in re.findall(r"<tr>(<td.*?)</tr>", section)]
    worklist = va.stalled(va.case_table(log, as_of=AS_OF)).head(25)
    by_case = ahead.set_index(ahead["case_id"].astype(object))
    seen_dated = 0
    for row, case_id in zip(rows, worklist["case_id"]):
        assert row[0] == case_id
        if case_id not in by_case.index:  # rights already open (or closed): nothing
            assert row[at] == ""
            continue
        rec = by_case.loc[case_id]
        if pd.isna(rec["expected_date"]):
            assert row[at] == ("beyond past dossiers" if lang == "en" else "au-delà des dossiers passés")
            continue
        # On the page one column: the expected day, the range in brackets (in words between the days).
        day, low = in_figures(rec["expected_date"], lang), in_figures(rec["low_date"], lang)
        if pd.isna(rec["high_date"]):
            assert row[at] == (f"{day} ({low} or later)" if lang == "en" else f"{day} ({low} ou plus tard)")
        else:
            high = in_figures(rec["high_date"], lang)
            assert row[at] == (f"{day} ({low} to {high})" if lang == "en" else f"{day} (du {low} au {high})")
        seen_dated += 1
    assert seen_dated >= 10  # (the sample's worklist: mostly dossiers waiting for their rights)
    note = "not a promise" if lang == "en" else "pas une promesse"
    assert note in section


def test_the_workbook_has_the_per_dossier_forecast(pages, ahead, log):
    _, _, xlsx = pages["fr"]
    book = load_workbook(xlsx)
    assert book.sheetnames[-4:] == ["Dates prévues", "Carte du processus", "Chemins", "Reprises"]
    rows = list(book["Dates prévues"].values)
    frame = pd.DataFrame(rows[1:], columns=rows[0])
    assert len(frame) == len(ahead)
    assert set(frame["Dossier"]) == set(ahead["case_id"])
    assert "Caisse" in frame.columns and "Date prévue (estimation)" in frame.columns
    one = frame.set_index("Dossier").loc["D000673"]
    rec = ahead.set_index("case_id").loc["D000673"]
    assert pd.Timestamp(one["Date prévue (estimation)"]) == rec["expected_date"].normalize()
    assert pd.Timestamp(one["Fourchette : du"]) == rec["low_date"].normalize()
    assert one["Dossiers passés utilisés"] == rec["basis_dossiers"]
    assert one["Estimé d’après"] == "tous les dossiers"
    beyond = frame[frame["Au-delà des dossiers passés"] == "oui"]
    assert len(beyond) == int(ahead["beyond_history"].sum())
    assert (beyond["Fourchette : au"] == "au-delà des dossiers passés").all()


def test_the_forecast_sheet_masks_a_social_security_number(tmp_path):
    nir = "295017512345651"  # a made-up number with a valid key
    rows = []
    for i, case in enumerate([nir] + [f"D{i:03d}" for i in range(40)]):
        day = pd.Timestamp("2025-01-01") + pd.Timedelta(days=i)
        rows.append({"case_id": case, "event": "registration_submitted", "timestamp": day})
        if i % 3:  # two in three finished their registration, the rest (the NIR's among them) still open
            rows.append({"case_id": case, "event": "registration_accepted", "timestamp": day + pd.Timedelta(days=10 + i)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        small = va.validate(va.read_caselog(pd.DataFrame(rows)))
    tables = report_tables(small, as_of="2025-03-01")
    assert nir in set(tables.forecast["case_id"])
    book = load_workbook(write_workbook(tables, tmp_path / "r.xlsx"))
    ids = [r[0] for r in list(book["Expected dates"].values)[1:]]
    assert nir not in ids and "2 95 •• •• ••• ••• 51" in ids


# ---------------------------------------------------------------------------- the one-dossier tab
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_viewer_says_the_expected_date_of_an_open_dossier(log, ahead, lang):
    case_id = "D000673"  # open, in the rights phase on 30 June 2025
    rec = ahead.set_index("case_id").loc[case_id]
    assert rec["current_phase"] == "rights" and not rec["beyond_history"]
    viewer = CaseViewer(log, as_of=AS_OF, lang=lang, case_id=case_id)
    assert set(viewer.forecasts) == {"rights_opened", "card_received"}
    line = viewer.forecast_lines[0]
    day, low, high = (in_words(rec[c], lang) for c in ("expected_date", "low_date", "high_date"))
    n = f"{rec['basis_dossiers']:,}".replace(",", "\u202f" if lang == "fr" else ",")
    if lang == "en":
        assert line == (f"Expected rights opening: {day} (80% of similar past dossiers got there between {low} "
                        f"and {high}; an estimate from {n} past dossiers of the whole caseload, not a promise).")
    else:
        assert line.startswith(f"Ouverture des droits prévue : {day} (80\u202f% des dossiers passés semblables")
        assert f"entre le {low} et le {high}" in line and "pas une promesse" in line
        assert not re.search(r"\b(Expected|between|estimate|promise)\b", line)
    card = va.forecast(log, as_of=AS_OF, target="card_received").set_index("case_id").loc[case_id]
    assert in_words(card["expected_date"], lang) in viewer.forecast_lines[1]
    assert unescape(viewer._forecast.value).count("<p>") == 2


def test_the_viewer_says_nothing_for_a_complete_dossier_and_plainly_beyond_history(log, ahead):
    viewer = CaseViewer(log, as_of=AS_OF, lang="fr")
    cases = va.case_table(log, as_of=AS_OF).to_frame()
    complete = cases.loc[cases["status"] == "complete", "case_id"].iloc[0]
    viewer.controls["dossier"].value = complete
    assert viewer.timeline.case_id == complete
    assert viewer.forecasts == {} and viewer.forecast_lines == [] and viewer._forecast.value == ""
    beyond = ahead.loc[ahead["expected_date"].isna(), "case_id"].iloc[0]
    viewer.controls["dossier"].value = beyond
    assert viewer.forecast_lines[0].startswith("Ouverture des droits prévue : pas d’estimation.")
    # A dossier whose rights are open but whose card has not come: the card only.
    card_phase = ahead[ahead["current_phase"] == "card"]
    assert card_phase.empty  # (rights forecasts stop at the rights)
    in_card = cases.loc[(cases["status"] == "open") & (cases["current_phase"] == "card"), "case_id"].iloc[0]
    viewer.controls["dossier"].value = in_card
    assert list(viewer.forecasts) == ["card_received"]
    assert viewer.forecast_lines[0].startswith("Réception de la carte prévue : ")


def test_the_stall_explorer_shows_the_same_dates_as_the_report(log, pages):
    explorer = StallExplorer(log, as_of=AS_OF, lang="fr", top=25)
    _, html, _ = pages["fr"]
    name = "Ouverture des droits prévue (estimation)"
    rows = [re.findall(r"<td[^>]*>([^<]*)</td>", r) for r in re.findall(r"<tr>(<td.*?)</tr>", _section(html, "stalled"))]
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", re.search(r"<thead><tr>(.*?)</tr></thead>",
                                                             _section(html, "stalled")).group(1))
    # (the explorer: the day and its range in two columns; the page: one, the range in brackets)
    at = headers.index(name)
    def page_cell(day, span):
        if span.startswith("du "):
            return f"{day} ({span})"
        if span.startswith("le "):  # "le 04/07/2025 ou plus tard (au-delà des dossiers passés)"
            return f"{day} ({span[3:13]} ou plus tard)"
        return day  # (beyond past dossiers, or nothing)

    assert [page_cell(day, span) for day, span in zip(explorer.shown[name],
                                                      explorer.shown["Fourchette, 8 dossiers passés sur 10"])] \
        == [r[at] for r in rows]
    assert "pas une promesse" in unescape(explorer._status.value)
    assert list(explorer.result.columns[:3]) == ["case_id", "office", "phase"]  # stalled's own columns kept
    assert "expected_rights" not in explorer.result.columns
