"""Charts: what each Axes holds, compared with the tables the pure functions compute.

Layer 2 of TESTING.md: no pixels. Each test computes the table a chart draws by
calling the package's pure functions (or builds it by hand), draws it, and
checks bar widths, line data, tick labels, titles and legends against that
table, in English and French. The Agg backend is used and every figure is
closed after each test.

The hand-built log is the one of ``test_chartdata.py`` (six dossiers, as of
2025-03-01 09:00; see there for the table of its phases).
"""

from __future__ import annotations

import importlib.util
import math
import re
import warnings
from html.parser import HTMLParser
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.text import Text  # noqa: E402

import vitale_analysis as va  # noqa: E402
from vitale_analysis import CARTE_VITALE, case_table, read_caselog, validate  # noqa: E402
from vitale_analysis import chartdata, plots  # noqa: E402
from vitale_analysis.chartdata import DossierTimeline, Population  # noqa: E402
from vitale_analysis.plots import PHASE_COLOURS  # noqa: E402
from vitale_analysis.timeutil import AsOf  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample_caselog.csv"
M = CARTE_VITALE.milestones
PHASES = list(CARTE_VITALE.phase_keys)
AS_OF = "2025-03-01 09:00"
CUT = AsOf(pd.Timestamp(AS_OF), inclusive=True)  # an explicit time: events at 09:00 that day count
NNBSP = "\u202f"


# ============================================================================ fixtures
def ev(case, event, day, trigger=None, office="CPAM 75", channel="ameli"):
    return {"case_id": case, "event": event, "timestamp": f"{day} 09:00", "trigger": trigger,
            "office": office, "channel": channel}


def make_log(rows):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        return validate(read_caselog(pd.DataFrame(rows)))


def head(case, submitted, **kw):
    return [ev(case, M[0], "2025-01-01", **kw), ev(case, M[1], "2025-01-02", **kw),
            ev(case, M[2], "2025-01-03", **kw), ev(case, M[3], submitted, **kw)]


POSTAL = {"channel": "postal", "office": "CPAM 13"}
LOG_ROWS = [
    *head("R1", "2025-01-10"),
    ev("R1", "complement_requested", "2025-01-12", trigger="missing_translation"),
    ev("R1", "complement_sent", "2025-01-15"),
    ev("R1", "rights_opened", "2025-01-20"),
    *head("R2", "2025-01-10", **POSTAL), ev("R2", "rights_opened", "2025-01-30", **POSTAL),
    *head("R3", "2025-01-10"), ev("R3", "rights_opened", "2025-02-09"),
    *head("R4", "2025-02-14", **POSTAL),
    *head("R5", "2025-02-04"),
    *head("R6", "2025-01-10"), ev("R6", "case_closed", "2025-01-25"),
]


@pytest.fixture(scope="module")
def log():
    return make_log(LOG_ROWS)


@pytest.fixture(scope="module")
def cases(log):
    return case_table(log, as_of=AS_OF)


def none_of(cases):
    """The case table filtered to no dossier at all."""
    return cases[np.zeros(len(cases), dtype=bool)]


@pytest.fixture(scope="module")
def sample():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        log = va.load(SAMPLE)
    return log, case_table(log, as_of="2025-06-30")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def all_text(fig) -> list[str]:
    """Every string drawn in the figure (titles, ticks, legends, annotations), after a draw."""
    fig.canvas.draw()
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def labelled(artists, label):
    found = [a for a in artists if a.get_label() == label]
    assert len(found) == 1, f"{label}: {[a.get_label() for a in artists]}"
    return found[0]


def ticks(ax, axis="y"):
    labels = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
    return [t.get_text() for t in labels]


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def is_nothing_to_show(ax, lang="en"):
    words = "Nothing to show" if lang == "en" else "Rien à afficher"
    return ax.get_gid() == "nothing-to-show" and words in [t.get_text() for t in ax.texts]


# ============================================================================ time per phase
def test_phase_durations_boxes_and_medians_equal_the_table(cases):
    table = chartdata.phase_quartiles(cases)
    ax = plots.plot_phase_durations(table)
    rows = table.set_index(table["phase"].astype(str))
    for phase in ("registration", "ssn", "dossier", "rights"):
        p25, median, p75, completed = rows.loc[phase, ["p25_days", "median_days", "p75_days",
                                                       "median_days_completed_only"]]
        box = labelled(ax.patches, f"_iqr|{phase}")
        assert (box.get_x(), box.get_width()) == pytest.approx((p25, p75 - p25))
        assert box.get_facecolor() == to_rgba(PHASE_COLOURS[phase])
        assert list(labelled(ax.get_lines(), f"_median|{phase}").get_xdata()) == [median, median]
        assert list(labelled(ax.get_lines(), f"_completed|{phase}").get_xdata()) == [completed]
    # By hand, rights: 25th percentile 20, Kaplan–Meier median 30, finished-only median 20.
    assert labelled(ax.patches, "_iqr|rights").get_x() == 20.0
    assert labelled(ax.get_lines(), "_median|rights").get_xdata()[0] == 30.0
    assert ticks(ax) == [CARTE_VITALE.phase(p).label_in("en") for p in PHASES]
    assert ax.get_title() == "Time per phase (days)\nn = 6 dossiers, 5 still open, as of 1 March 2025"
    assert "n = 6 · 2 open" in [t.get_text() for t in ax.texts]  # rights: R4, R5 open
    assert math.isfinite(ax.get_xlim()[1])


def test_phase_durations_median_not_reached_is_an_arrow(cases):
    table = chartdata.phase_quartiles(cases)
    assert math.isinf(table.set_index("phase").loc["card", "median_days"])  # R1–R3 all still waiting
    ax = plots.plot_phase_durations(table)
    labels = [line.get_label() for line in ax.get_lines()]
    assert "_median_not_reached|card" in labels and "_median|card" not in labels
    assert "median not reached" in [t.get_text() for t in ax.texts]
    assert "not reached yet: too many dossiers still open" in legend_texts(ax)
    # Every drawn coordinate is finite.
    for line in ax.get_lines():
        assert np.isfinite(np.asarray(line.get_xdata(), dtype=float)).all()
    ax_fr = plots.plot_phase_durations(table, lang="fr")
    assert "médiane non atteinte" in [t.get_text() for t in ax_fr.texts]


def test_phase_durations_p75_not_reached_runs_off_the_edge(cases):
    table = chartdata.phase_quartiles(cases)
    table.loc[table["phase"] == "rights", "p75_days"] = np.inf
    ax = plots.plot_phase_durations(table)
    right = ax.get_xlim()[1]
    box = labelled(ax.patches, "_iqr|rights")
    assert box.get_x() + box.get_width() == pytest.approx(right)
    assert labelled(ax.get_lines(), "_p75_not_reached|rights").get_xdata()[0] == pytest.approx(right)


def test_phase_durations_in_french(cases):
    ax = plots.plot_phase_durations(chartdata.phase_quartiles(cases), lang="fr")
    assert ticks(ax) == [CARTE_VITALE.phase(p).label_in("fr") for p in PHASES]
    assert ax.get_title() == "Durée de chaque phase (jours)\nn = 6 dossiers, dont 5 en cours, au 1er mars 2025"
    assert ax.get_xlabel() == "Jours dans la phase — médiane et écart interquartile"
    assert legend_texts(ax)[:3] == ["du 25e au 75e centile", "médiane (Kaplan–Meier : dossiers en cours comptés)",
                                    "médiane des seuls dossiers terminés"]


def test_phase_durations_by_cohort(cases):
    table = chartdata.phase_quartiles(cases, by="channel")
    ax = plots.plot_phase_durations(table)
    labels = ticks(ax)
    # (the channel codes shown with their words: "ameli" is the ameli account, "postal" the post)
    assert labels[:3] == ["Registration", "ameli account", "post"]
    bold = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert bold == [CARTE_VITALE.phase(p).label_in("en") for p in PHASES]
    for rec in table.itertuples(index=False):
        if math.isfinite(rec.p25_days) and math.isfinite(rec.p75_days):
            box = labelled(ax.patches, f"_iqr|{rec.phase}|{rec.channel}")
            assert (box.get_x(), box.get_width()) == pytest.approx((rec.p25_days, rec.p75_days - rec.p25_days))
    assert labelled(ax.get_lines(), "_median|rights|postal").get_xdata()[0] == 20.0


def test_phase_durations_draw_the_median_interval(sample):
    _log, cases = sample
    table = chartdata.phase_quartiles(cases)
    summary = va.phase_summary(cases).set_index("phase")  # (the interval as phase_summary gives it)
    ax = plots.plot_phase_durations(table)
    for phase in PHASES:
        low, high = summary.loc[phase, ["median_days_ci_low", "median_days_ci_high"]]
        assert np.isfinite(high)
        assert list(labelled(ax.get_lines(), f"_median_ci|{phase}").get_xdata()) == [low, high]
        assert low <= labelled(ax.get_lines(), f"_median|{phase}").get_xdata()[0] <= high
    assert "95% confidence interval of the median" in legend_texts(ax)
    assert "intervalle de confiance à 95\u202f% de la médiane" in legend_texts(plots.plot_phase_durations(table,
                                                                                                      lang="fr"))
    level_90 = plots.plot_phase_durations(va.phase_summary(cases, confidence=0.9))
    assert "90% confidence interval of the median" in legend_texts(level_90)
    # Without the interval (confidence=None): no whisker, no legend entry.
    plain = plots.plot_phase_durations(va.phase_summary(cases, confidence=None))
    assert not [line for line in plain.get_lines() if line.get_label().startswith("_median_ci")]
    assert not [t for t in legend_texts(plain) if "interval" in t]


def test_phase_durations_open_interval_runs_off_the_edge(sample):
    _log, cases = sample
    table = chartdata.phase_quartiles(cases)
    table.loc[table["phase"] == "rights", "median_days_ci_high"] = np.inf
    ax = plots.plot_phase_durations(table)
    right = ax.get_xlim()[1]
    whisker = labelled(ax.get_lines(), "_median_ci|rights")
    assert whisker.get_xdata()[1] == pytest.approx(right)
    assert labelled(ax.get_lines(), "_median_ci_open|rights").get_xdata()[0] == pytest.approx(right)
    assert not plots.update_phase_durations(ax, chartdata.phase_quartiles(cases))  # an arrow: drawn afresh


def drawn_pixels(ax) -> np.ndarray:
    """The figure of ``ax`` rendered by Agg at a fixed place (no layout engine), as an RGBA array."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = ax.figure
    fig.set_layout_engine("none")
    ax.set_position([0.22, 0.3, 0.6, 0.55])
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_update_phase_durations_draws_what_a_fresh_chart_draws(sample, lang):
    """Second method: a chart updated in place and a chart drawn afresh from the same table hold the same
    marks, texts and range, and render to the same pixels."""
    _log, cases = sample
    tables = [chartdata.phase_quartiles(cases[(cases["office"] == office).to_numpy()])
              for office in sorted(cases["office"].astype(str).unique())[:6]]
    first = plt.figure(figsize=(9.6, 4.6)).add_subplot()
    plots.plot_phase_durations(tables[0], lang=lang, ax=first)
    updated = 0
    for table in tables[1:]:
        if not plots.update_phase_durations(first, table, lang=lang):
            continue
        updated += 1
        fresh = plt.figure(figsize=(9.6, 4.6)).add_subplot()
        plots.plot_phase_durations(table, lang=lang, ax=fresh)
        assert first.get_title() == fresh.get_title() and first.get_xlim() == fresh.get_xlim()
        assert [t.get_text() for t in first.texts] == [t.get_text() for t in fresh.texts]
        for phase in PHASES:
            for kind in ("_median", "_completed", "_median_ci"):
                assert list(labelled(first.get_lines(), f"{kind}|{phase}").get_xdata()) == \
                    list(labelled(fresh.get_lines(), f"{kind}|{phase}").get_xdata())
            old, new = labelled(first.patches, f"_iqr|{phase}"), labelled(fresh.patches, f"_iqr|{phase}")
            assert (old.get_x(), old.get_width()) == (new.get_x(), new.get_width())
        np.testing.assert_array_equal(drawn_pixels(first), drawn_pixels(fresh))
    assert updated >= 3


def test_update_phase_durations_leaves_other_charts_alone(cases):
    table = chartdata.phase_quartiles(cases)  # card: median not reached (an arrow, not a bar)
    ax = plots.plot_phase_durations(table)
    before = [t.get_text() for t in ax.texts], ax.get_title()
    finite = table.copy()
    finite.loc[~np.isfinite(finite["median_days"]), "median_days"] = 5.0
    assert not plots.update_phase_durations(ax, finite)  # the arrow cannot become a bar in place
    assert ([t.get_text() for t in ax.texts], ax.get_title()) == before
    assert not plots.update_phase_durations(ax, table.iloc[0:0])  # nothing to show
    assert not plots.update_phase_durations(ax, chartdata.phase_quartiles(cases, by="channel"))  # cohorts
    assert not plots.update_phase_durations(plots.plot_phase_durations(table, lang="fr"), table)  # language
    assert not plots.update_phase_durations(plots.plot_phase_durations(table.iloc[0:0]), table)


def test_phase_durations_from_phase_summary_draw_median_to_p75(sample):
    _log, cases = sample
    table = va.phase_summary(cases)
    ax = plots.plot_phase_durations(table)
    for rec in table.itertuples(index=False):
        box = labelled(ax.patches, f"_iqr|{rec.phase}")
        assert (box.get_x(), box.get_width()) == pytest.approx((rec.median_days, rec.p75_days - rec.median_days))
    assert ax.get_xlabel() == "Days in phase — median to 75th percentile"
    assert ax.get_title().endswith("n = 3,000 dossiers, 975 still open, as of 30 June 2025")
    ax_fr = plots.plot_phase_durations(table, lang="fr")
    assert ax_fr.get_title().endswith(f"n = 3{NNBSP}000 dossiers, dont 975 en cours, au 30 juin 2025")


# ============================================================================ survival
def test_survival_lines_equal_km_curves(cases):
    curves = chartdata.km_curves(chartdata.milestone_times(cases, "rights_opened", by="channel"), by="channel")
    ax = plots.plot_survival(curves)
    lines = [line for line in ax.get_lines() if not line.get_label().startswith("_")]
    assert [line.get_label() for line in lines] == ["ameli account (n = 4, median 39 days)",
                                                    "post (n = 2, median 29 days)"]
    for line, channel in zip(lines, ["ameli", "postal"]):
        part = curves[curves["channel"] == channel]
        np.testing.assert_array_equal(line.get_xdata(), part["days"].to_numpy())
        np.testing.assert_allclose(line.get_ydata(), part["survival"].to_numpy() * 100)
        assert line.get_drawstyle() == "steps-post"
    assert ax.get_title() == ("Time to the attestation de droits: share of dossiers still waiting\n"
                              "n = 6 dossiers, 5 still open, as of 1 March 2025")
    assert ax.get_ylabel() == "dossiers still waiting (%)"
    assert ax.get_xlabel() == "Days since the dossier's start"
    assert ax.get_legend().get_title().get_text() == "Kaplan–Meier; open dossiers count until 1 March 2025"
    assert lines[0].get_linestyle() != lines[1].get_linestyle()  # tell cohorts apart in greyscale too


def test_survival_in_french_and_median_not_reached(cases):
    curves = chartdata.km_curves(chartdata.phase_times(cases, "card"))
    ax = plots.plot_survival(curves, lang="fr")
    line = [line for line in ax.get_lines() if not line.get_label().startswith("_")]
    assert [x.get_label() for x in line] == ["tous les dossiers (n = 3, médiane non atteinte)"]
    assert line[0].get_color() == PHASE_COLOURS["card"]
    assert ax.get_title().startswith("Délivrance de la carte : part des dossiers encore dans la phase\n")
    assert ax.get_ylabel() == "dossiers encore dans la phase (%)"
    assert ticks(ax)[:3] == [f"0{NNBSP}%", f"20{NNBSP}%", f"40{NNBSP}%"]
    by_channel = chartdata.km_curves(chartdata.milestone_times(cases, "rights_opened", by="channel"), by="channel")
    ax = plots.plot_survival(by_channel, lang="fr")
    assert legend_texts(ax) == ["Compte ameli (n = 4, médiane 39 jours)", "Courrier (n = 2, médiane 29 jours)"]
    assert ax.get_title().startswith("Délai jusqu'à l'attestation de droits : part des dossiers encore en attente\n")
    assert ax.get_xlabel() == "Jours depuis le début du dossier"
    from_submission = chartdata.km_curves(chartdata.milestone_times(cases, "card_received", start="dossier_submitted"))
    ax = plots.plot_survival(from_submission, lang="fr")
    assert ax.get_xlabel() == "Jours depuis l'envoi du dossier"
    assert ax.get_title().startswith("Délai jusqu'à la réception de la carte : ")


def test_survival_boolean_cohort_is_named_in_both_languages():
    born_abroad = {"R1": True, "R2": False, "R3": True, "R4": False, "R5": True, "R6": False}
    log = make_log([{**row, "born_abroad": born_abroad[row["case_id"]]} for row in LOG_ROWS])
    cases = case_table(log, as_of=AS_OF)
    curves = chartdata.km_curves(chartdata.phase_times(cases, "rights", by="born_abroad"), by="born_abroad")
    en = legend_texts(plots.plot_survival(curves))
    fr = legend_texts(plots.plot_survival(curves, lang="fr"))
    assert [t.split(" (")[0] for t in en] == ["born abroad: no", "born abroad: yes"]
    assert [t.split(" (")[0] for t in fr] == [f"né(e) à l'étranger{NNBSP}: non", f"né(e) à l'étranger{NNBSP}: oui"]


# ============================================================================ stalls
def hand_matrix():
    """Four stalled dossiers; the thresholds they were found with (as phase_thresholds gives them)."""
    worklist = pd.DataFrame({
        "case_id": ["a", "b", "c", "d"],
        "office": ["CPAM 75", "CPAM 13", "CPAM 13", "CPAM 13"],
        "phase": ["rights", "rights", "ssn", "rights"],
    })
    return chartdata.stalled_matrix(worklist, thresholds={"rights": 45.0, "ssn": 60.5})


# No case table behind the hand-built worklist: the chart is told its population and day.
HAND_POPULATION = Population(50, None, CUT)


def test_stalled_heatmap_holds_the_matrix():
    matrix = hand_matrix()
    ax = plots.plot_stalled_heatmap(matrix, population=HAND_POPULATION)
    np.testing.assert_array_equal(ax.images[0].get_array().filled(0), matrix.to_numpy())
    assert ticks(ax) == ["CPAM 13", "CPAM 75"]
    columns = [t.replace("\n", " ") for t in ticks(ax, "x")]
    assert columns[3] == "Rights opening > 45 d" and columns[1] == "Social security number > 60 d"
    assert sorted(t.get_text() for t in ax.texts) == ["1", "1", "2"]  # zeros are left blank
    ax_fr = plots.plot_stalled_heatmap(matrix, lang="fr", population=HAND_POPULATION)
    assert [t.replace("\n", " ") for t in ticks(ax_fr, "x")][3] == "Ouverture des droits > 45 j"
    assert ax_fr.get_title().startswith("Où les dossiers bloquent : dossiers bloqués par caisse et par phase\n")
    assert ax_fr.get_ylabel() == "caisse"
    assert ax.get_title() == ("Where dossiers stall now: stalled dossiers by office and phase\n"
                              "4 stalled dossiers (days in phase above its threshold), as of 1 March 2025")


def stalled_matrix_of(cases):
    """The stall matrix of the hand-built log: rights above 20 days (R5), card above 100 days (nobody)."""
    given = {"rights": 20, "card": 100}
    return chartdata.stalled_matrix(va.stalled(cases, thresholds=given), cases=cases,
                                    thresholds=va.phase_thresholds(cases, thresholds=given))


def test_stalled_heatmap_from_stalled(cases):
    matrix = stalled_matrix_of(cases)
    ax = plots.plot_stalled_heatmap(matrix)
    np.testing.assert_array_equal(ax.images[0].get_array().filled(0), matrix.to_numpy())
    assert ax.get_title().endswith("1 stalled of 5 open dossiers (days in phase above its threshold), "
                                   "as of 1 March 2025")
    assert [t.replace("\n", " ") for t in ticks(ax, "x")][3] == "Rights opening > 20 d"


def test_stalled_heatmap_names_the_day_asked_for(log):
    """A bare date is the end of that day (its cut, the next midnight, is left out): the title names the day."""
    cases = case_table(log, as_of="2025-02-28")
    for lang, day in (("en", "as of 28 February 2025"), ("fr", "au 28 février 2025")):
        ax = plots.plot_stalled_heatmap(stalled_matrix_of(cases), lang=lang)
        assert ax.get_title().endswith(day)


class _Grid(HTMLParser):
    """The rows of an HTML table as (tag, style, text) cells, and the caption's text."""

    def __init__(self, html: str):
        super().__init__()
        self.rows, self.caption, self._cell, self._in_caption = [], "", None, False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = [tag, dict(attrs).get("style", ""), ""]
        elif tag == "caption":
            self._in_caption = True
        elif tag == "br" and self._cell is not None:
            self._cell[2] += "\n"
        elif tag == "br" and self._in_caption:
            self.caption += "\n"

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.rows[-1].append(tuple(self._cell))
            self._cell = None
        elif tag == "caption":
            self._in_caption = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[2] += data
        elif self._in_caption:
            self.caption += data


def background(style: str) -> str:
    return re.search(r"background:(#[0-9a-f]{6})", style).group(1)


def ink(style: str) -> str | None:
    found = re.search(r";color:(#[0-9a-f]{6})", style)
    return found.group(1) if found else None


def test_stalled_heatmap_html_worked_out_by_hand():
    # hand_matrix: CPAM 13 has 2 stalled in rights and 1 in ssn, CPAM 75 1 in rights; the largest count is 2.
    matrix = hand_matrix()
    grid = _Grid(plots.stalled_heatmap_html(matrix, population=HAND_POPULATION))
    header, *rows = grid.rows
    assert [text for _tag, _style, text in header] == [
        "Office", "Registration", "Social\nsecurity\nnumber\n> 60 d", "Dossier\npreparation",
        "Rights opening\n> 45 d", "Card issuance", "Card\nactivation", "First\nreimbursement"]
    assert [[cell[0] for cell in row] for row in rows] == [["th"] + ["td"] * 7] * 2
    assert [row[0][2] for row in rows] == ["CPAM 13", "CPAM 75"]
    # Zero cells: white, no number shown (a "0" kept for screen readers only).
    texts = [[text for _tag, _style, text in row[1:]] for row in rows]
    assert texts == [["0", "1", "0", "2", "0", "0", "0"], ["0", "0", "0", "1", "0", "0", "0"]]
    assert grid.rows[2][1][1] == "background:#ffffff"
    # The largest count gets the darkest blue of ColorBrewer's "Blues" (#08306b) and white text;
    # a count of 1 (half the largest) the middle blue (ColorBrewer #6baed6, give or take the
    # 256-step table) and black text: 1 is not above 0.55 × 2.
    two, one = rows[0][4][1], rows[0][2][1]
    assert background(two) == "#08306b" and ink(two) == "#ffffff"
    middle = [int(background(one)[i:i + 2], 16) for i in (1, 3, 5)]
    assert np.abs(np.array(middle) - [0x6b, 0xae, 0xd6]).max() <= 2 and ink(one) == "#000000"
    assert rows[1][4][1] == one
    assert grid.caption == ("Where dossiers stall now: stalled dossiers by office and phase\n"
                            "4 stalled dossiers (days in phase above its threshold), as of 1 March 2025")


def test_stalled_heatmap_html_says_what_the_chart_draws(cases):
    """Second method: every label, number and colour against plot_stalled_heatmap's Axes and image."""
    for lang in ("en", "fr"):
        matrix = stalled_matrix_of(cases)
        ax = plots.plot_stalled_heatmap(matrix, lang=lang)
        grid = _Grid(plots.stalled_heatmap_html(matrix, lang=lang))
        header, *rows = grid.rows
        assert [text for _tag, _style, text in header[1:]] == ticks(ax, "x")
        assert header[0][2].lower() == ax.get_ylabel()
        assert [row[0][2] for row in rows] == ticks(ax)
        assert grid.caption == ax.get_title()
        image = ax.images[0]
        colours = image.to_rgba(image.get_array(), bytes=True)
        drawn = {(round(t.get_position()[1]), round(t.get_position()[0])): t for t in ax.texts}
        for i, row in enumerate(rows):
            for j, (_tag, style, text) in enumerate(row[1:]):
                if matrix.iloc[i, j] == 0:
                    assert style == "background:#ffffff" and text == "0" and (i, j) not in drawn
                    continue
                assert background(style) == "#{:02x}{:02x}{:02x}".format(*colours[i, j][:3])
                assert text == drawn[i, j].get_text()
                assert to_rgba(ink(style)) == to_rgba(drawn[i, j].get_color())


def test_stalled_heatmap_html_in_french_escaped_and_masked():
    worklist = pd.DataFrame({
        "case_id": [f"c{i}" for i in range(1235)],
        "office": ["<b>CPAM</b> 2 95 05 75 123 456 93"] + ["CPAM 75"] * 1234,
        "phase": ["card"] * 1235,
    })
    html = plots.stalled_heatmap_html(chartdata.stalled_matrix(worklist), lang="fr")
    grid = _Grid(html)
    assert [row[0][2] for row in grid.rows[1:]] == ["CPAM 75", "<b>CPAM</b> 2 95 •• •• ••• ••• 93"]
    assert "<b>CPAM</b>" not in html and "123 456" not in html  # escaped; the number masked
    assert grid.rows[1][5][2] == f"1{NNBSP}234"
    assert grid.rows[0][0][2] == "Caisse" and grid.rows[0][5][2] == "Délivrance de\nla carte"  # wrapped as on the chart
    assert grid.caption.startswith("Où les dossiers bloquent : dossiers bloqués par caisse et par phase\n"
                                   f"1{NNBSP}235 dossiers bloqués")


def test_stalled_heatmap_html_nothing_to_show(cases):
    few = cases[cases["case_id"] == "R2"]
    matrix = chartdata.stalled_matrix(va.stalled(few), cases=few)
    html = plots.stalled_heatmap_html(matrix, lang="fr")
    assert "<td" not in html and f"Rien à afficher</b>{NNBSP}: aucun dossier bloqué" in html


def test_open_by_age_bars_equal_the_table(cases):
    table = chartdata.open_by_age(cases, bins=(0, 20, 60))
    ax = plots.plot_open_by_age(table)
    assert len(ax.containers) == 3
    for k, container in enumerate(ax.containers):
        part = table.iloc[k::3]
        assert [bar.get_width() for bar in container] == part["n"].tolist()
    # Stacked: each bin starts where the previous ones end.
    rights = PHASES.index("rights")
    assert ax.containers[1][rights].get_x() == ax.containers[0][rights].get_width()
    assert ticks(ax) == [CARTE_VITALE.phase(p).label_in("en") for p in PHASES]
    assert legend_texts(ax) == ["0–20", "20–60", "60 or more"]
    assert ax.get_legend().get_title().get_text() == "Days in the current phase"
    assert "  2" in [t.get_text() for t in ax.texts]  # the rights bar ends with its total
    ax_fr = plots.plot_open_by_age(table, lang="fr")
    assert legend_texts(ax_fr)[-1] == "60 et plus"
    assert ax_fr.get_xlabel() == "dossiers en cours"


# ============================================================================ triggers
def hand_pareto(value="total_days_attributable"):
    summary = pd.DataFrame({
        "trigger": ["missing_translation", "birth_certificate_format", "rib_mismatch", "no_response"],
        "label": ["", "", "", ""],
        "phase": pd.Categorical(["rights", "ssn", "rights", "rights"], categories=PHASES, ordered=True),
        "cases_affected": [12, 10, 5, 10],
        "extra_days": [10.0, 30.0, np.nan, 2.5],
        "extra_days_ci_low": [5.0, 20.0, np.nan, 1.0],
        "extra_days_ci_high": [15.0, 40.0, np.nan, 4.0],
        "total_days_attributable": [100.0, 300.0, np.nan, 25.0],
    })
    summary.attrs.update(n_cases=50, as_of=CUT)
    return chartdata.trigger_pareto(summary, value=value)


def test_trigger_pareto_bars_equal_the_table():
    table = hand_pareto()
    ax = plots.plot_trigger_pareto(table)
    bars = ax.containers[0]
    assert [bar.get_width() for bar in bars] == [300.0, 100.0, 25.0, 0.0]  # NaN: no bar
    assert [bar.get_facecolor() for bar in bars][:2] == [to_rgba(PHASE_COLOURS["ssn"]), to_rgba(PHASE_COLOURS["rights"])]
    assert ticks(ax) == ["Birth certificate not accepted\n(filiation, format, apostille)",
                         "Missing sworn translation", "No response from the fund", "RIB not in the applicant's name"]
    cumulative = ax.figure.axes[1].get_lines()[0]
    np.testing.assert_allclose(cumulative.get_xdata(), table["cumulative_share"].to_numpy() * 100)
    notes = [t.get_text() for t in ax.texts]
    assert notes[:4] == ["10 dossiers", "12 dossiers", "10 dossiers", "not estimable (a median not reached)"]
    assert notes[4] == "Associations, not proof of cause: compare cohorts before concluding."
    assert ax.get_title() == "Delay triggers: extra days attributable\nn = 50 dossiers, as of 1 March 2025"
    assert ax.get_legend().get_title().get_text() == "phase where raised"
    assert legend_texts(ax) == ["Social security number", "Rights opening", "cumulative share (%)"]


def test_trigger_pareto_cases_in_french():
    table = hand_pareto("cases_affected")
    ax = plots.plot_trigger_pareto(table, lang="fr")
    assert [bar.get_width() for bar in ax.containers[0]] == [12, 10, 10, 5]
    assert ticks(ax)[0] == "Traduction assermentée manquante"
    assert [t.get_text() for t in ax.texts][:2] == ["100 jours de retard", "300 jours de retard"]
    assert ax.get_xlabel() == "dossiers concernés"
    assert ax.get_title().startswith("Causes de retard : dossiers concernés\n")


def test_trigger_pareto_from_the_sample(sample):
    log, cases = sample
    table = chartdata.trigger_pareto(va.trigger_summary(cases))
    ax = plots.plot_trigger_pareto(table)
    np.testing.assert_allclose([bar.get_width() for bar in ax.containers[0]], table["value"].to_numpy())
    assert len(ticks(ax)) == len(table)


# ============================================================================ flow
def test_throughput_lines_equal_the_table(log, cases):
    table = va.throughput(log, freq="W", as_of=AS_OF)
    ax = plots.plot_throughput(table, population=cases)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines) == ["started", "rights opened (attestation de droits)", "completed (first reimbursement)",
                           "closed (abandoned, moved away)"]
    for label, column in zip(lines, ["started", "rights_opened", "completed", "closed"]):
        np.testing.assert_array_equal(lines[label].get_ydata(), table[column].to_numpy())
    # Each point sits in the middle of its week.
    x = pd.DatetimeIndex(lines["started"].get_xdata())
    assert ((x - pd.DatetimeIndex(table["period_start"])) == pd.Timedelta(days=3.5)).all()
    assert ax.get_title() == ("Dossiers started and finished per week\n"
                              "n = 6 dossiers, 5 still open, as of 1 March 2025")
    ax_fr = plots.plot_throughput(table, population=cases, lang="fr")
    assert legend_texts(ax_fr) == ["commencés", "droits ouverts (attestation de droits)",
                                   "terminés (premier remboursement)", "clos (abandon, déménagement)"]
    assert ax_fr.get_ylabel() == "dossiers par semaine"


def test_throughput_month_ticks_are_in_the_chart_language(sample):
    log, cases = sample
    table = va.throughput(log, freq="M", as_of="2025-06-30")
    for lang, january in (("en", "Jan\n2025"), ("fr", "janv.\n2025")):
        ax = plots.plot_throughput(table, population=cases, lang=lang)
        ax.figure.canvas.draw()
        assert january in ticks(ax, "x")


def test_wip_bars_equal_the_table(log):
    table = va.throughput(log, freq="W", as_of=AS_OF)
    ax = plots.plot_wip(table)
    assert len(ax.containers) == len(PHASES)
    bottom = np.zeros(len(table))
    for phase, container in zip(PHASES, ax.containers):
        heights = [bar.get_height() for bar in container]
        assert heights == table[f"open_{phase}"].tolist()
        assert [bar.get_y() for bar in container] == bottom.tolist()
        assert container[0].get_facecolor() == to_rgba(PHASE_COLOURS[phase])
        bottom += heights
    assert legend_texts(ax) == [CARTE_VITALE.phase(p).label_in("en") for p in reversed(PHASES)]
    ax_fr = plots.plot_wip(table, lang="fr")
    assert ax_fr.get_title().startswith("Dossiers en cours à la fin de chaque semaine, par phase")


def test_waiting_on_bars_equal_the_summary(log, cases):
    summary = va.waiting_on_summary(log, by="channel", as_of=AS_OF)
    ax = plots.plot_waiting_on(summary, population=cases)
    parties = ["applicant", "office", "third_party"]
    assert legend_texts(ax) == ["applicant", "office (CPAM, CGSS)", "third party"]  # no unassigned time
    for party, container in zip(parties, ax.containers):
        np.testing.assert_allclose([bar.get_width() for bar in container], summary[f"share_{party}"] * 100)
    assert ticks(ax) == ["ameli account\n(n = 4)", "post\n(n = 2)"]
    ax_fr = plots.plot_waiting_on(summary, population=cases, lang="fr")
    assert legend_texts(ax_fr) == ["demandeur", "caisse (CPAM, CGSS)", "tiers"]
    assert ax_fr.get_title() == ("Qui fait attendre les dossiers : part du temps écoulé\n"
                                 "n = 6 dossiers, dont 5 en cours, au 1er mars 2025")


# ============================================================================ one dossier
def test_dossier_timeline_bars_and_events(cases):
    timeline = chartdata.dossier_timeline(cases[cases["case_id"] == "R1"])
    ax = plots.plot_dossier_timeline(timeline)
    for rec in timeline.phases.itertuples(index=False):
        bar = labelled(ax.patches, f"_phase|{rec.phase}|{rec.state}")
        assert bar.get_x() == pytest.approx(mdates.date2num(rec.start))
        assert bar.get_width() == pytest.approx(rec.days)  # whole days; date numbers count days
        assert bar.get_facecolor()[:3] == to_rgba(PHASE_COLOURS[str(rec.phase)])[:3]
    assert labelled(ax.patches, "_phase|card|open").get_hatch() == "///"
    trigger = labelled(ax.get_lines(), "_trigger|missing_translation")
    assert trigger.get_xdata()[0] == pytest.approx(mdates.date2num(pd.Timestamp("2025-01-12 09:00")))
    labels = ticks(ax)
    assert labels[:5] == [CARTE_VITALE.phase(p).label_in("en") for p in PHASES[:5]]
    assert labels[5:] == ["Complement requested", "Complement sent", "Missing sworn translation"]
    assert ax.get_title() == "Dossier R1: still open\nphases and events, as of 1 March 2025"
    ax_fr = plots.plot_dossier_timeline(timeline, lang="fr")
    assert ticks(ax_fr)[5:] == ["Complément demandé", "Complément envoyé", "Traduction assermentée manquante"]
    assert ax_fr.get_title() == "Dossier R1 : en cours\nphases et événements, au 1er mars 2025"


def test_dossier_timeline_never_shows_a_social_security_number():
    nir = "295057512345693"
    rows = [ev(nir, M[0], "2025-01-01"), ev(nir, M[1], "2025-01-05"), ev(nir, "case_closed", "2025-01-09")]
    log = make_log(rows)
    timeline = chartdata.dossier_timeline(case_table(log))
    ax = plots.plot_dossier_timeline(timeline)
    texts = all_text(ax.figure)
    assert ax.get_title().startswith("Dossier 2 95 •• •• ••• ••• 93: closed")
    assert not any(nir in t or "9505751234" in t.replace(" ", "") for t in texts)
    labelled(ax.patches, "_phase|ssn|closed")


def test_dossier_timeline_out_of_order_phase_is_marked(sample):
    _log, cases = sample
    timeline = chartdata.dossier_timeline(cases, "D000425")
    assert "out_of_order" in timeline.phases["state"].tolist()
    ax = plots.plot_dossier_timeline(timeline)
    assert "out of order: no duration" in [t.get_text().strip() for t in ax.texts]
    assert not [p for p in ax.patches if p.get_label().startswith("_phase|dossier")]


# ============================================================================ nothing to show
def empty_timeline():
    return DossierTimeline("x", "x", "open", None, CUT,
                           pd.DataFrame(columns=["phase", "start", "end", "state", "days"]),
                           pd.DataFrame(columns=["timestamp", "event", "trigger", "milestone"]))


def charts_of(log, cases):
    """Every chart, drawn for a selection of the case table (the flow charts: the log's, told the selection)."""
    return {
        "phase_durations": lambda lang: plots.plot_phase_durations(chartdata.phase_quartiles(cases), lang=lang),
        "survival": lambda lang: plots.plot_survival(
            chartdata.km_curves(chartdata.milestone_times(cases, by="channel"), by="channel"), lang=lang),
        "open_by_age": lambda lang: plots.plot_open_by_age(chartdata.open_by_age(cases), lang=lang),
        "stalled": lambda lang: plots.plot_stalled_heatmap(
            chartdata.stalled_matrix(va.stalled(cases), cases=cases, thresholds=va.phase_thresholds(cases)),
            lang=lang),
        "pareto": lambda lang: plots.plot_trigger_pareto(
            chartdata.trigger_pareto(va.trigger_summary(cases)), lang=lang),
        "throughput": lambda lang: plots.plot_throughput(va.throughput(log, freq="W"), population=cases, lang=lang),
        "wip": lambda lang: plots.plot_wip(va.throughput(log, freq="W"), population=cases, lang=lang),
        "waiting_on": lambda lang: plots.plot_waiting_on(va.waiting_on_summary(log), population=cases, lang=lang),
    }


@pytest.mark.parametrize("chart", ["phase_durations", "survival", "open_by_age", "stalled", "pareto",
                                   "throughput", "wip", "waiting_on"])
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_empty_selection_says_nothing_to_show(log, cases, chart, lang):
    ax = charts_of(log, none_of(cases))[chart](lang)
    assert is_nothing_to_show(ax, lang)
    assert not ax.patches and not ax.images


@pytest.mark.parametrize("chart", ["phase_durations", "survival", "open_by_age", "throughput", "wip", "waiting_on"])
def test_single_dossier_says_nothing_to_show(chart):
    log = make_log([*head("S1", "2025-01-10"), ev("S1", "rights_opened", "2025-01-20")])
    cases = case_table(log)
    ax = charts_of(log, cases)[chart]("en")
    assert is_nothing_to_show(ax)
    assert "only one dossier" in " ".join(t.get_text() for t in ax.texts)
    assert "n = 1 dossier," in ax.get_title()


def test_no_stalled_dossier_and_no_trigger_say_so(log, cases):
    ax = charts_of(log, cases[cases["case_id"] == "R2"])["stalled"]("fr")
    assert is_nothing_to_show(ax, "fr") and "aucun dossier bloqué" in [t.get_text() for t in ax.texts]
    ax = charts_of(log, cases[cases["case_id"].isin(["R2", "R3"])])["pareto"]("en")
    assert is_nothing_to_show(ax) and "no delay trigger recorded" in [t.get_text() for t in ax.texts]


def test_no_open_dossier_says_so():
    closed = [*head("R6", "2025-01-10"), ev("R6", "case_closed", "2025-01-25"),  # R6 of the log, twice
              *head("R6b", "2025-01-10"), ev("R6b", "case_closed", "2025-01-25")]
    done = case_table(make_log(closed), as_of=AS_OF)
    assert len(done) == 2 and (done["status"] == "closed").all()
    ax = plots.plot_open_by_age(chartdata.open_by_age(done), lang="fr")
    assert is_nothing_to_show(ax, "fr") and "aucun dossier en cours" in [t.get_text() for t in ax.texts]


def test_timeline_without_events_says_nothing_to_show():
    assert is_nothing_to_show(plots.plot_dossier_timeline(empty_timeline()))


def test_population_can_be_given(cases):
    table = chartdata.phase_quartiles(cases)
    noon = AsOf(pd.Timestamp("2025-06-30 12:00"), inclusive=True)
    ax = plots.plot_phase_durations(table, population=Population(1234, 56, noon))
    assert ax.get_title().endswith("n = 1,234 dossiers, 56 still open, as of 30 June 2025")
    # A bare date: its cut is 1 July 00:00, left out; the day named is the one asked for.
    end_of_june = AsOf(pd.Timestamp("2025-07-01 00:00"), inclusive=False)
    ax = plots.plot_phase_durations(table, population=Population(1234, 56, end_of_june), lang="fr")
    assert ax.get_title().endswith(f"n = 1{NNBSP}234 dossiers, dont 56 en cours, au 30 juin 2025")
    ax = plots.plot_phase_durations(table, population=cases)  # a case table: its own population
    assert ax.get_title().endswith("n = 6 dossiers, 5 still open, as of 1 March 2025")
    with pytest.raises(va.CaseLogError, match="population: expected a case table"):
        plots.plot_phase_durations(table, population=cases.to_frame())
    ax = plots.plot_phase_durations(table, population=Population(1, 0, None))
    assert is_nothing_to_show(ax)


# ============================================================================ one look
def test_phase_colours_are_the_same_everywhere(log, cases):
    boxes = plots.plot_phase_durations(chartdata.phase_quartiles(cases))
    wip = plots.plot_wip(va.throughput(log, freq="W", as_of=AS_OF))
    for k, phase in enumerate(PHASES):
        assert wip.containers[k][0].get_facecolor() == to_rgba(PHASE_COLOURS[phase])
        if phase in ("registration", "ssn", "dossier", "rights"):
            assert labelled(boxes.patches, f"_iqr|{phase}").get_facecolor() == to_rgba(PHASE_COLOURS[phase])
    assert len(set(PHASE_COLOURS.values())) == len(PHASES)
    assert plots.phase_colours() == dict(PHASE_COLOURS)
    assert set(PHASE_COLOURS.values()) <= set(plots.OKABE_ITO.values())


def test_a_given_axes_is_drawn_on_and_returned(cases):
    fig, (left, right) = plt.subplots(1, 2)
    table = chartdata.phase_quartiles(cases)
    assert plots.plot_phase_durations(table, ax=right) is right
    assert not left.patches and right.patches


def test_errors_name_the_argument(cases):
    with pytest.raises(va.CaseLogError, match="lang='de'"):
        plots.plot_phase_durations(chartdata.phase_quartiles(cases), lang="de")
    with pytest.raises(va.CaseLogError, match=r"median_days.*phase_summary"):
        plots.plot_phase_durations(pd.DataFrame({"phase": ["rights"]}))
    with pytest.raises(va.CaseLogError, match="by='office'"):
        plots.plot_phase_durations(chartdata.phase_quartiles(cases), by="office")
    with pytest.raises(va.CaseLogError, match="dossier_timeline"):
        plots.plot_dossier_timeline(cases)


def test_no_plot_calls_show(monkeypatch, cases):
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("plt.show() called"))
    plots.plot_phase_durations(chartdata.phase_quartiles(cases))
    plots.plot_survival(chartdata.km_curves(chartdata.phase_times(cases, "rights")))


# ============================================================================ saving
def test_save_figure_png_at_300_dpi(tmp_path, cases):
    from PIL import Image

    ax = plots.plot_phase_durations(chartdata.phase_quartiles(cases))
    path = plots.save_figure(ax.figure, tmp_path / "sub" / "phases.png")
    assert path == tmp_path / "sub" / "phases.png"
    with Image.open(path) as image:
        assert tuple(round(d) for d in image.info["dpi"]) == (300, 300)
        assert image.size[0] > 2000  # 8.5 inches wide at 300 dpi


@pytest.mark.parametrize("suffix", [".svg", ".pdf"])
def test_save_figure_vector_files_are_reproducible(tmp_path, cases, suffix):
    table = chartdata.phase_quartiles(cases)
    first = plots.save_figure(plots.plot_phase_durations(table), tmp_path / f"a{suffix}")  # an Axes is accepted
    second = plots.save_figure(plots.plot_phase_durations(table).figure, tmp_path / f"b{suffix}")
    assert first.read_bytes() == second.read_bytes()
    content = first.read_bytes()
    assert b"CreationDate" not in content and b"<dc:date>" not in content


def test_save_figure_refuses_other_formats(tmp_path, cases):
    ax = plots.plot_phase_durations(chartdata.phase_quartiles(cases))
    with pytest.raises(va.CaseLogError, match=r"\.png, \.svg or \.pdf"):
        plots.save_figure(ax.figure, tmp_path / "chart.jpg")
    with pytest.raises(va.CaseLogError, match="Figure"):
        plots.save_figure("chart", tmp_path / "chart.png")


# ============================================================================ docs/make_charts.py
def test_make_charts_draws_every_chart_from_the_sample(tmp_path):
    spec = importlib.util.spec_from_file_location("make_charts", ROOT / "docs" / "make_charts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = module.draw_all(tmp_path, langs=("fr",), dpi=30)
    assert len(written) == 14 and all(p.exists() and p.stat().st_size > 0 for p in written)
    committed = sorted(p.name for p in (ROOT / "docs" / "charts").glob("*.png"))
    assert committed == sorted([p.name.replace("_fr.png", f"_{lang}.png") for p in written for lang in ("en", "fr")])
    # --only: that chart alone, in each language asked; a name it does not know is an error naming the charts
    one = module.draw_all(tmp_path / "one", langs=("en", "fr"), dpi=30, only=["process_map"])
    assert [p.name for p in one] == ["process_map_en.png", "process_map_fr.png"]
    with pytest.raises(SystemExit, match="no such chart.*process_map"):
        module.draw_all(tmp_path, dpi=30, only=["process_mpa"])


def test_save_figure_png_of_a_constrained_chart_is_the_figure_drawn_once(tmp_path, cases):
    """The PNG of a chart laid out by constrained layout: the whole figure at the dpi asked,
    its pixels those savefig draws without a tight box, and the figure left as it was."""
    import io

    from PIL import Image

    table = chartdata.phase_quartiles(cases)
    fig = plots.plot_phase_durations(table).figure
    width, height = fig.get_size_inches()
    dpi_before, canvas_before = fig.dpi, fig.canvas
    path = plots.save_figure(fig, tmp_path / "phases.png", dpi=120)
    assert fig.dpi == dpi_before and fig.canvas is canvas_before
    reference = io.BytesIO()  # the same chart, saved matplotlib's own way without a tight box
    plots.plot_phase_durations(table).figure.savefig(reference, format="png", dpi=120, facecolor="white")
    with Image.open(path) as ours, Image.open(reference) as theirs:
        assert ours.size == theirs.size
        assert abs(ours.size[0] - width * 120) < 1 and abs(ours.size[1] - height * 120) < 1  # the whole figure
        assert tuple(round(d) for d in ours.info["dpi"]) == (120, 120)
        assert "Software" not in ours.info
        assert np.array_equal(np.asarray(ours.convert("RGBA")), np.asarray(theirs.convert("RGBA")))
