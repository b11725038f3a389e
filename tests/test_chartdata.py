"""chartdata: the tables charts draw, on a hand-built log whose answers were worked out by hand.

Every event is at 09:00 and ``as_of`` is 2025-03-01 09:00, so every duration is
a whole number of days. The log (``LOG_ROWS``), rights phase = from
``dossier_submitted`` to ``rights_opened``:

====  =======  ==========================  ===========================  ======
case  channel  dossier submitted           then                         rights
====  =======  ==========================  ===========================  ======
R1    ameli    01-10                       rights 01-20                 10 done
R2    postal   01-10                       rights 01-30                 20 done
R3    ameli    01-10                       rights 02-09                 30 done
R4    postal   02-14                       (open)                       15 open
R5    ameli    02-04                       (open)                       25 open
R6    ameli    01-10                       case_closed 01-25            15 closed
====  =======  ==========================  ===========================  ======

Every dossier starts (registration_submitted) on 01-01, number on 01-03.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import vitale_analysis as va
from vitale_analysis import CARTE_VITALE, case_table, read_caselog, validate
from vitale_analysis.chartdata import (
    DEFAULT_AGE_BINS,
    DossierTimeline,
    Population,
    dossier_timeline,
    km_curves,
    mask_identifier,
    milestone_times,
    open_by_age,
    phase_quartiles,
    phase_times,
    population,
    stalled_matrix,
    trigger_pareto,
)
from vitale_analysis.km import km_quantiles, km_survival
from vitale_analysis.summaries import phase_summary
from vitale_analysis.timeutil import AsOf

M = CARTE_VITALE.milestones
PHASES = list(CARTE_VITALE.phase_keys)
AS_OF = "2025-03-01 09:00"
CUT = AsOf(pd.Timestamp(AS_OF), inclusive=True)  # an explicit time: events at 09:00 that day count


def ev(case, event, day, trigger=None, office="CPAM 75", channel="ameli"):
    return {"case_id": case, "event": event, "timestamp": f"{day} 09:00", "trigger": trigger,
            "office": office, "channel": channel}


def make_log(rows):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        return validate(read_caselog(pd.DataFrame(rows)))


def head(case, submitted, **kw):
    """Registration 1 day, number 1 day, then the dossier submitted on `submitted`."""
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


# ============================================================================ population
def test_population_by_hand(log, cases):
    assert population(cases) == Population(6, 5, CUT)
    assert population(cases[cases["channel"] == "postal"]) == Population(2, 2, CUT)
    assert population(none_of(cases)) == Population(0, 0, CUT)
    # A bare date is the end of that day: the next midnight, left out.
    end_of_february = AsOf(pd.Timestamp("2025-03-01 00:00"), inclusive=False)
    assert population(case_table(log, as_of="2025-02-28")).as_of == end_of_february


# ============================================================================ phase quartiles
def test_phase_quartiles_adds_p25_by_hand(cases):
    table = phase_quartiles(cases).set_index("phase")
    # Rights: 10 done, 15 open, 15 closed, 20 done, 25 open, 30 done.
    # S(10) = 5/6, S(20) = 5/6 · 2/3 = 0.556, S(30) = 0 → p25 (S ≤ 0.75) = 20, median 30.
    assert table.loc["rights", "p25_days"] == 20.0
    assert table.loc["rights", "median_days"] == 30.0
    assert table.loc["rights", "median_days_completed_only"] == 20.0
    # Registration: everyone 1 day → every quantile is 1.
    assert table.loc["registration", ["p25_days", "median_days", "p75_days"]].tolist() == [1.0, 1.0, 1.0]
    # Phases nobody reached: no quantile at all.
    assert math.isnan(table.loc["activation", "p25_days"])


def test_phase_quartiles_is_phase_summary_plus_one_column(cases, log):
    for by in (None, "channel"):
        table = phase_quartiles(cases, by=by)
        expected = phase_summary(cases, by=by)
        assert list(table.columns) == [*[c for c in expected.columns if c != "median_days"][: list(expected.columns).index("median_days")],
                                       "p25_days", "median_days",
                                       *list(expected.columns)[list(expected.columns).index("median_days") + 1:]]
        pd.testing.assert_frame_equal(table.drop(columns="p25_days"), expected)
        assert table.attrs["n_cases"] == 6 and table.attrs["n_open"] == 5
    # From the log itself, the same numbers.
    pd.testing.assert_frame_equal(phase_quartiles(log, as_of=AS_OF), phase_quartiles(cases))


def test_phase_quartiles_by_channel_by_hand(cases):
    table = phase_quartiles(cases, by="channel").set_index(["channel", "phase"])
    # ameli: 10 done (S = 3/4), 15 closed, 25 open, 30 done (S = 0) → median 30. (Its p25 sits on
    # the tie S = 0.75 exactly, which floating point decides: checked against km_quantiles below.)
    assert table.loc[("ameli", "rights"), "median_days"] == 30.0
    # postal: 15 open, 20 done → S(20) = 0: p25 = median = 20.
    assert table.loc[("postal", "rights"), "p25_days"] == 20.0
    assert table.loc[("postal", "rights"), "median_days"] == 20.0


def test_phase_quartiles_agrees_with_km_quantiles_per_cohort(cases):
    table = phase_quartiles(cases, by="channel")
    frame = cases.to_frame()
    for rec in table.itertuples(index=False):
        sel = (frame["channel"] == rec.channel).to_numpy()
        state = frame.loc[sel, f"{rec.phase}_state"].astype(object)
        timed = state.isin(["finished", "open", "closed"]).to_numpy()
        days = frame.loc[sel, f"{rec.phase}_days"].to_numpy()[timed]
        expected = km_quantiles(days, (state[timed] == "finished").to_numpy(), (0.75,))[0]
        assert (rec.p25_days == expected) or (math.isnan(rec.p25_days) and math.isnan(expected))


def test_phase_quartiles_empty_selection(cases):
    table = phase_quartiles(none_of(cases))
    assert len(table) == 0 and "p25_days" in table.columns and table.attrs["n_cases"] == 0


# ============================================================================ durations and curves
def test_phase_times_by_hand(cases):
    times = phase_times(cases, "rights", by="channel")
    assert times["case_id"].tolist() == ["R1", "R2", "R3", "R4", "R5", "R6"]
    assert times["days"].tolist() == [10.0, 20.0, 30.0, 15.0, 25.0, 15.0]
    assert times["observed"].tolist() == [True, True, True, False, False, False]
    assert times["channel"].tolist() == ["ameli", "postal", "ameli", "postal", "ameli", "ameli"]
    assert times.attrs["curve"] == "phase" and times.attrs["phase"] == "rights" and times.attrs["by"] == ["channel"]
    assert (times.attrs["n_cases"], times.attrs["n_open"]) == (6, 5)


def test_phase_times_unknown_phase(cases):
    with pytest.raises(va.CaseLogError, match="No phase 'right'"):
        phase_times(cases, "right")


def test_milestone_times_by_hand(cases):
    times = milestone_times(cases, "rights_opened")
    # From the start (01-01): R1 19, R2 29, R3 39 reached; R4, R5 open → as_of (03-01): 59 days;
    # R6 closed on 01-25 → censored at 24 days.
    assert times["case_id"].tolist() == ["R1", "R2", "R3", "R4", "R5", "R6"]
    assert times["days"].tolist() == [19.0, 29.0, 39.0, 59.0, 59.0, 24.0]
    assert times["observed"].tolist() == [True, True, True, False, False, False]
    assert times.attrs["milestone"] == "rights_opened" and times.attrs["start"] is None


def test_milestone_times_from_another_start_equals_the_phase(cases):
    from_submission = milestone_times(cases, "rights_opened", start="dossier_submitted")
    phase = phase_times(cases, "rights")
    assert from_submission["days"].tolist() == phase["days"].tolist()
    assert from_submission["observed"].tolist() == phase["observed"].tolist()


def test_milestone_times_complete_without_the_milestone_and_order_violation():
    rows = [
        # C1 completes without ever recording rights_opened: censored at its completion (01-31).
        ev("C1", M[0], "2025-01-01"), ev("C1", M[1], "2025-01-02"), ev("C1", M[2], "2025-01-03"),
        ev("C1", M[3], "2025-01-04"), ev("C1", M[5], "2025-01-20"), ev("C1", M[6], "2025-01-25"),
        ev("C1", M[7], "2025-01-31"),
        # V1: the attestation is recorded before the registration: no duration, counted.
        ev("V1", "rights_opened", "2025-01-03"), ev("V1", M[0], "2025-01-05"),
        # N1: an ordinary one, reached after 10 days.
        ev("N1", M[0], "2025-01-01"), ev("N1", "rights_opened", "2025-01-11"),
    ]
    cases = case_table(make_log(rows), as_of="2025-02-01 09:00")
    times = milestone_times(cases, "rights_opened")
    assert times["case_id"].tolist() == ["C1", "N1"]
    assert times["days"].tolist() == [30.0, 10.0]
    assert times["observed"].tolist() == [False, True]
    assert times.attrs["n_no_duration"] == 1


def test_milestone_times_errors(cases):
    with pytest.raises(va.CaseLogError, match="not a milestone"):
        milestone_times(cases, "rights_open")
    with pytest.raises(va.CaseLogError, match="start='x'"):
        milestone_times(cases, start="x")


def test_km_curves_equal_km_survival_per_cohort(cases):
    times = milestone_times(cases, "rights_opened", by="channel")
    curves = km_curves(times, by="channel")
    assert curves["channel"].drop_duplicates().tolist() == ["ameli", "postal"]
    for channel, part in curves.groupby("channel", observed=True):
        sel = times["channel"] == channel
        expected = km_survival(times.loc[sel, "days"], times.loc[sel, "observed"])
        # First row: the start of the curve, everyone still waiting.
        first = part.iloc[0]
        assert (first["days"], first["survival"], first["at_risk"], first["events"]) == (0.0, 1.0, sel.sum(), 0)
        got = part.iloc[1:][["days", "at_risk", "events", "censored", "survival"]].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)
        assert (part["n"] == sel.sum()).all()
    # By hand. ameli: 19 done (S = 3/4), 24 closed, 39 done (S = 3/8), 59 open → median 39.
    ameli = curves[curves["channel"] == "ameli"]
    assert ameli["days"].tolist() == [0.0, 19.0, 24.0, 39.0, 59.0]
    assert ameli["survival"].tolist() == pytest.approx([1.0, 0.75, 0.75, 0.375, 0.375])
    assert (ameli["median_days"] == 39.0).all()
    # postal: 29 done (S = 1/2) → median 29; 59 open.
    assert (curves.loc[curves["channel"] == "postal", "median_days"] == 29.0).all()
    assert curves.attrs["by"] == ["channel"] and curves.attrs["n_cases"] == 6


def test_km_curves_default_is_one_curve_for_all(cases):
    # The times keep their channel column, but without by= the curve is everyone's.
    curves = km_curves(milestone_times(cases, "rights_opened", by="channel"))
    assert "channel" not in curves.columns and curves.attrs["by"] == []
    # 19 done (S = 5/6), 24 closed, 29 done (S = 5/6 · 3/4 = 5/8), 39 done (S = 5/8 · 2/3 = 5/12), 59 open ×2.
    assert curves["days"].tolist() == [0.0, 19.0, 24.0, 29.0, 39.0, 59.0]
    assert curves["survival"].tolist() == pytest.approx([1.0, 5 / 6, 5 / 6, 5 / 8, 5 / 12, 5 / 12])
    assert (curves["median_days"] == 39.0).all() and (curves["n"] == 6).all()


def test_km_curves_median_not_reached_and_no_cohort(cases):
    # Card issuance: R1, R2, R3 all still waiting → the curve never falls: median inf.
    curves = km_curves(phase_times(cases, "card"))
    assert curves["survival"].tolist() == [1.0, 1.0, 1.0, 1.0]
    assert np.isinf(curves["median_days"]).all() and (curves["n"] == 3).all()


def test_km_curves_empty(cases):
    curves = km_curves(phase_times(none_of(cases), "rights"))
    assert len(curves) == 0 and {"days", "survival", "median_days"} <= set(curves.columns)


# ============================================================================ stalls
def test_stalled_matrix_by_hand():
    worklist = pd.DataFrame({
        "case_id": ["a", "b", "c", "d", "e"],
        "office": ["CPAM 75", "CPAM 13", "CPAM 13", "CPAM 13", None],
        "phase": ["rights", "rights", "ssn", "rights", "card"],
    })
    matrix = stalled_matrix(worklist, thresholds={"rights": 45.0})
    assert list(matrix.columns) == PHASES
    # Most stalled first: CPAM 13 (3), then the 1-dossier rows by name: the missing office ("") first.
    assert matrix.index[0] == "CPAM 13" and pd.isna(matrix.index[1]) and matrix.index[2] == "CPAM 75"
    assert matrix.loc["CPAM 13", "rights"] == 2 and matrix.loc["CPAM 13", "ssn"] == 1
    assert matrix.loc["CPAM 75"].sum() == 1 and matrix.to_numpy().sum() == 5
    assert matrix.attrs["n_stalled"] == 5 and matrix.attrs["thresholds"] == {"rights": 45.0}
    assert matrix.attrs["as_of"] is None  # no case table given: nothing says when


def test_stalled_matrix_from_stalled_with_every_office(cases):
    # Threshold 20 days in rights: R5 (25 days, CPAM 75) is stalled; R4 (15 days, CPAM 13) is not.
    # (Card: 100 days, so that R1's 40 days there do not count.)
    given = {"rights": 20, "card": 100}
    worklist = va.stalled(cases, thresholds=given)
    matrix = stalled_matrix(worklist, cases=cases, thresholds=va.phase_thresholds(cases, thresholds=given))
    assert matrix.index.tolist() == ["CPAM 75", "CPAM 13"]
    assert matrix.loc["CPAM 75", "rights"] == 1 and matrix.loc["CPAM 13"].sum() == 0
    assert (matrix.attrs["n_cases"], matrix.attrs["n_open"], matrix.attrs["n_stalled"]) == (6, 5, 1)
    assert matrix.attrs["as_of"] == CUT
    assert (matrix.attrs["thresholds"]["rights"], matrix.attrs["thresholds"]["card"]) == (20.0, 100.0)


def test_stalled_matrix_empty_and_bad_column():
    empty = pd.DataFrame({"office": pd.Series([], dtype=object), "phase": pd.Series([], dtype=object)})
    matrix = stalled_matrix(empty)
    assert matrix.shape == (0, len(PHASES))
    with pytest.raises(va.CaseLogError, match="'ofice'.*did you mean 'office'"):
        stalled_matrix(empty, rows="ofice")


def test_open_by_age_by_hand(cases):
    table = open_by_age(cases, bins=(0, 20, 60))
    rights = table[table["phase"] == "rights"]
    # Open in rights: R4 after 15 days, R5 after 25 days. R6 is closed: not counted.
    assert rights["n"].tolist() == [1, 1, 0]
    assert rights["days_from"].tolist() == [0.0, 20.0, 60.0]
    assert rights["days_to"].tolist() == [20.0, 60.0, math.inf]
    assert (rights["n_phase"] == 2).all()
    # Card: R1–R3 opened their card phase on 01-20, 01-30, 02-09: 40, 30, 20 days (20 goes in [20, 60)).
    assert table.loc[table["phase"] == "card", "n"].tolist() == [0, 3, 0]
    assert table["n"].sum() == 5 == table.attrs["n_open"]
    assert table["phase"].astype(str).drop_duplicates().tolist() == PHASES


def test_open_by_age_defaults_and_bad_bins(cases):
    assert open_by_age(cases)["days_from"].drop_duplicates().tolist() == list(map(float, DEFAULT_AGE_BINS))
    for bad in ((5, 10), (0, 10, 10), (0, math.inf)):
        with pytest.raises(va.CaseLogError, match="bins="):
            open_by_age(cases, bins=bad)


# ============================================================================ triggers
def hand_trigger_summary():
    summary = pd.DataFrame({
        "trigger": ["a", "b", "c", "d"],
        "label": ["A", "B", "C", "D"],
        "phase": ["rights", "ssn", "rights", "card"],
        "cases_affected": [12, 10, 5, 10],
        "extra_days": [10.0, 30.0, np.nan, -5.0],
        "extra_days_ci_low": [5.0, 20.0, np.nan, -8.0],
        "extra_days_ci_high": [15.0, 40.0, np.nan, -1.0],
        "total_days_attributable": [100.0, 300.0, np.nan, -50.0],
    })
    summary.attrs.update(n_cases=50, as_of=AsOf(pd.Timestamp("2025-03-02"), inclusive=False))  # end of 03-01
    return summary


def test_trigger_pareto_days_by_hand():
    pareto = trigger_pareto(hand_trigger_summary())
    assert pareto["trigger"].tolist() == ["b", "a", "d", "c"]
    assert pareto["value"].tolist()[:3] == [300.0, 100.0, -50.0]
    # Cumulative share of the positive days: 300 / 400, 400 / 400; a negative value adds nothing.
    assert pareto["cumulative_share"].tolist()[:3] == [0.75, 1.0, 1.0]
    assert math.isnan(pareto["cumulative_share"].iloc[3])
    # Interval: extra-days interval × dossiers affected in the phase (300 / 30 = 10; 100 / 10 = 10).
    assert pareto["value_ci_low"].tolist()[:2] == [200.0, 50.0]
    assert pareto["value_ci_high"].tolist()[:2] == [400.0, 150.0]
    assert pareto.attrs["value"] == "total_days_attributable" and pareto.attrs["n_cases"] == 50


def test_trigger_pareto_cases_by_hand():
    pareto = trigger_pareto(hand_trigger_summary(), value="cases_affected")
    assert pareto["trigger"].tolist() == ["a", "b", "d", "c"]  # tie 10 = 10: by name
    np.testing.assert_allclose(pareto["cumulative_share"], [12 / 37, 22 / 37, 32 / 37, 1.0])


def test_trigger_pareto_of_a_case_table(cases):
    summary = va.trigger_summary(cases)
    pareto = trigger_pareto(summary)
    assert pareto["trigger"].tolist() == summary["trigger"].tolist() == ["missing_translation"]
    assert pareto["cases_affected"].tolist() == [1]


def test_trigger_pareto_errors():
    with pytest.raises(va.CaseLogError, match="value='days'"):
        trigger_pareto(hand_trigger_summary(), value="days")
    grouped = pd.concat([hand_trigger_summary().assign(channel="ameli"), hand_trigger_summary().assign(channel="postal")])
    with pytest.raises(va.CaseLogError, match="several groups"):
        trigger_pareto(grouped)
    with pytest.raises(va.CaseLogError, match="trigger_summary"):
        trigger_pareto(pd.DataFrame({"x": [1]}))


# ============================================================================ one dossier
def test_dossier_timeline_by_hand(cases):
    timeline = dossier_timeline(cases[cases["case_id"] == "R1"])
    assert isinstance(timeline, DossierTimeline)
    assert (timeline.case_id, timeline.label, timeline.status, timeline.current_phase) == ("R1", "R1", "open", "card")
    assert timeline.as_of == CUT
    phases = timeline.phases
    assert phases["phase"].astype(str).tolist() == ["registration", "ssn", "dossier", "rights", "card"]
    assert phases["state"].tolist() == ["finished"] * 4 + ["open"]
    assert phases["days"].tolist() == [1.0, 1.0, 7.0, 10.0, 40.0]
    assert phases["start"].iloc[3] == pd.Timestamp("2025-01-10 09:00")
    assert phases["end"].iloc[3] == pd.Timestamp("2025-01-20 09:00")
    assert phases["end"].iloc[4] == pd.Timestamp(AS_OF)  # open: drawn up to as_of
    events = timeline.events
    assert len(events) == 7
    assert events.loc[events["trigger"].notna(), "event"].tolist() == ["complement_requested"]
    assert events["milestone"].sum() == 5


def test_dossier_timeline_closed_and_by_case_id(cases):
    timeline = dossier_timeline(cases, "R6")
    assert timeline.status == "closed"
    rights = timeline.phases[timeline.phases["phase"] == "rights"].iloc[0]
    assert rights["state"] == "closed" and rights["end"] == pd.Timestamp("2025-01-25 09:00")
    assert len(timeline.events) == 5  # four milestones and the closing


def test_dossier_timeline_events_stop_at_as_of(log):
    # As of the end of 2025-01-15: R1's rights_opened (01-20) is not known yet; the complement sent is.
    timeline = dossier_timeline(case_table(log, as_of="2025-01-15"), "R1")
    assert timeline.events["event"].tolist() == [*M[:4], "complement_requested", "complement_sent"]
    assert timeline.phases["state"].tolist()[-1] == "open"
    assert timeline.phases["end"].iloc[-1] == pd.Timestamp("2025-01-16 00:00")  # drawn up to the cut
    assert timeline.phases["days"].iloc[-1] == 5.625  # 01-10 09:00 → 01-16 00:00: 5 days 15 hours


def test_dossier_timeline_needs_one_row(cases):
    with pytest.raises(va.CaseLogError, match="got 2 rows"):
        dossier_timeline(cases[np.arange(len(cases)) < 2])
    with pytest.raises(va.CaseLogError, match="No dossier 'X9'"):
        dossier_timeline(cases, "X9")


# ============================================================================ privacy
@pytest.mark.parametrize(
    "value, masked",
    [
        ("295057512345693", "2 95 •• •• ••• ••• 93"),
        (295057512345693, "2 95 •• •• ••• ••• 93"),
        ("2950575123456", "2 95 •• •• ••• •••"),  # 13 digits: no key
        ("2 95 05 75 123 456 93", "2 95 •• •• ••• ••• 93"),
        ("1.85.05.2A.123.456.78", "1 85 •• •• ••• ••• 78"),  # Corsica
        ("client 295057512345693 (NIR)", "client 2 95 •• •• ••• ••• 93 (NIR)"),
        ("D000123", "D000123"),
        ("12345678901234567", "12345678901234567"),  # 17 digits: not a social security number
        ("123456789012", "123456789012"),  # 12 digits: neither
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_mask_identifier(value, masked):
    assert mask_identifier(value) == masked


def test_timeline_of_a_social_security_number_never_shows_it():
    nir = "295057512345693"
    log = make_log([ev(nir, M[0], "2025-01-01"), ev(nir, M[1], "2025-01-05")])
    timeline = dossier_timeline(case_table(log))
    assert timeline.label == "2 95 •• •• ••• ••• 93"
    assert nir not in repr(timeline)
