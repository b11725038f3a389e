"""phase_summary, trigger_summary and stalled on hand-built logs with answers worked out by hand.

All events are at 09:00 and as_of is given as a time at 09:00, so every duration is a
whole number of days.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vitale_analysis as va
from vitale_analysis import CARTE_VITALE, AsOf, CaseTable, case_table, read_caselog, validate
from vitale_analysis.labels import with_next_actions, with_trigger_labels
from vitale_analysis.stalls import phase_thresholds, stalled
from vitale_analysis.summaries import phase_summary, trigger_summary

M = CARTE_VITALE.milestones
T = pd.Timestamp


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


# Rights phase: R1–R3 finished in 10, 20, 30 days; R4, R5 still open after 15 and 25.
KM_ROWS = [
    *head("R1", "2025-01-10"), ev("R1", "rights_opened", "2025-01-20"),
    *head("R2", "2025-01-10", channel="postal"), ev("R2", "rights_opened", "2025-01-30", channel="postal"),
    *head("R3", "2025-01-10"), ev("R3", "rights_opened", "2025-02-09"),
    *head("R4", "2025-02-14", channel="postal"),
    *head("R5", "2025-02-04"),
]
KM_AS_OF = "2025-03-01 09:00"


@pytest.fixture(scope="module")
def km_log():
    return make_log(KM_ROWS)


def test_phase_summary_by_hand(km_log):
    summary = phase_summary(km_log, as_of=KM_AS_OF).set_index("phase")
    rights = summary.loc["rights"]
    # Sorted: 10 done, 15 open, 20 done, 25 open, 30 done. S(10)=0.8, S(20)=0.533, S(30)=0.
    assert (rights["n"], rights["n_finished"], rights["n_open"], rights["n_closed"]) == (5, 3, 2, 0)
    assert rights["median_days"] == 30.0
    assert rights["median_days_completed_only"] == 20.0
    assert rights["p75_days"] == 30.0 and rights["p90_days"] == 30.0
    # Dossier preparation: 7, 7, 7 (R1–R3), 42 (R4, from 01-03 to 02-14), 32 (R5), all done:
    # S(7)=0.4 → median 7; S(32)=0.2 → p75 32; S(42)=0 → p90 42.
    dossier = summary.loc["dossier"]
    assert (dossier["median_days"], dossier["p75_days"], dossier["p90_days"]) == (7.0, 32.0, 42.0)
    assert dossier["median_days_completed_only"] == 7.0
    # Card: R1–R3 all still waiting (40, 30, 20 days): no median yet.
    card = summary.loc["card"]
    assert (card["n"], card["n_open"], card["n_finished"]) == (3, 3, 0)
    assert math.isinf(card["median_days"]) and math.isnan(card["median_days_completed_only"])
    # Phases nobody reached have n = 0.
    assert summary.loc["activation", "n"] == 0 and math.isnan(summary.loc["activation", "median_days"])
    assert summary.attrs["n_cases"] == 5 and summary.attrs["n_open"] == 5


def test_phase_summary_by_cohort(km_log):
    summary = phase_summary(km_log, as_of=KM_AS_OF, by="channel")
    rights = summary[summary["phase"] == "rights"].set_index("channel")
    # ameli: R1 10 done, R3 30 done, R5 25 open → S(10)=2/3, S(30)=0 → median 30.
    # postal: R2 20 done, R4 15 open → at 15 one leaves, S(20)=0 → median 20.
    assert rights.loc["ameli", "median_days"] == 30.0 and rights.loc["ameli", "n"] == 3
    assert rights.loc["postal", "median_days"] == 20.0 and rights.loc["postal", "n_open"] == 1
    assert rights.loc["ameli", "median_days_completed_only"] == 20.0  # (10 + 30) / 2


def test_phase_summary_from_a_filtered_case_table(km_log):
    cases = case_table(km_log, as_of=KM_AS_OF)
    # An explicit time is inclusive: the table is as of 2025-03-01 09:00, events then included.
    assert cases.as_of == AsOf(T("2025-03-01 09:00"), inclusive=True)
    postal = phase_summary(cases[cases["channel"] == "postal"]).set_index("phase")
    assert postal.loc["rights", "median_days"] == 20.0  # R2 20 done, R4 15 open (see by cohort)
    assert postal.attrs["n_cases"] == 2 and postal.attrs["as_of"] == cases.as_of
    empty = phase_summary(cases[cases["channel"] == "nowhere"])
    assert empty.empty and "median_days" in empty.columns


def test_phase_summary_takes_a_case_log_or_table_only(km_log):
    cases = case_table(km_log, as_of=KM_AS_OF)
    # The table's own as_of, given again, is no conflict: the same summary as without it.
    pd.testing.assert_frame_equal(phase_summary(cases, as_of=KM_AS_OF), phase_summary(cases))
    pd.testing.assert_frame_equal(phase_summary(cases), phase_summary(km_log, as_of=KM_AS_OF))
    # Another as_of or day count than the table's is an error, not a silent mismatch.
    with pytest.raises(va.CaseLogError, match="computed as of"):
        phase_summary(cases, as_of="2025-02-01")
    with pytest.raises(va.CaseLogError, match="computed as of"):
        phase_summary(cases, as_of="2025-03-01")  # a bare date: the end of the day, not 09:00
    with pytest.raises(va.CaseLogError, match="working"):
        phase_summary(cases, days="working")
    # A plain DataFrame says nothing of its as_of, days or process.
    with pytest.raises(va.CaseLogError, match="plain DataFrame"):
        phase_summary(cases.to_frame())


def test_phase_summary_start_month_and_bad_by(km_log):
    summary = phase_summary(km_log, as_of=KM_AS_OF, by="start_month")
    assert set(summary["start_month"]) == {"2025-01"}
    with pytest.raises(va.CaseLogError, match="did you mean 'channel'"):
        phase_summary(km_log, by="chanel")


def test_working_days(km_log):
    summary = phase_summary(km_log, as_of=KM_AS_OF, days="working").set_index("phase")
    # Registration 2025-01-01 (holiday) → 01-02: working days in [01-01, 01-02) = 0.
    assert summary.loc["registration", "median_days"] == 0.0
    # R1 rights 2025-01-10 (Fri) → 01-20 (Mon): 6 working days (10, 13–17).
    cases = case_table(km_log, as_of=KM_AS_OF, days="working")
    assert cases.days == "working"
    assert cases.to_frame().set_index("case_id").loc["R1", "rights_days"] == 6.0


# --------------------------------------------------------------------- triggers
TRIGGER_ROWS = [
    # A: two complement loops for a missing translation; rights opened after 40 days.
    *head("A", "2025-01-10"),
    ev("A", "complement_requested", "2025-01-15", "missing_translation"),
    ev("A", "complement_sent", "2025-01-20"),
    ev("A", "complement_requested", "2025-02-04", "missing_translation"),
    ev("A", "complement_sent", "2025-02-07"),
    ev("A", "rights_opened", "2025-02-19"),
    # U1–U3 without the trigger: 10, 20, 30 days.
    *head("U1", "2025-01-10"), ev("U1", "rights_opened", "2025-01-20"),
    *head("U2", "2025-01-10"), ev("U2", "rights_opened", "2025-01-30"),
    *head("U3", "2025-01-10"), ev("U3", "rights_opened", "2025-02-09"),
    # B: an RIB problem raised at the very time the dossier is submitted (a tie);
    # still open at as_of.
    *head("B", "2025-02-20"),
    ev("B", "complement_requested", "2025-02-20", "rib_mismatch"),
]
TRIGGER_AS_OF = "2025-03-02 09:00"


@pytest.fixture(scope="module")
def trigger_log():
    return make_log(TRIGGER_ROWS)


def test_trigger_raised_twice_by_hand(trigger_log):
    summary = trigger_summary(trigger_log, as_of=TRIGGER_AS_OF).set_index("trigger")
    row = summary.loc["missing_translation"]
    assert row["events"] == 2 and row["cases_affected"] == 1
    assert row["share"] == pytest.approx(1 / 5)
    assert row["phase"] == "rights"
    # Trigger to next milestone (rights_opened 02-19): from 01-15 → 35, from 02-04 → 15.
    # Both observed: S(15) = 0.5 → median 15.
    assert row["median_days_to_next_milestone"] == 15.0
    # Rights phase: A 40 days. Without the trigger: U1–U3 10, 20, 30 done and B open for 10
    # days (02-20 → 03-02). At 10 the event comes first: S(10) = 3/4; B then leaves censored,
    # so 2 at risk at 20: S(20) = 3/4 × 1/2 = 0.375 ≤ 0.5 → median 20.
    assert row["median_days_affected"] == 40.0
    assert row["median_days_unaffected"] == 20.0
    assert row["extra_days"] == 20.0
    assert row["total_days_attributable"] == 20.0
    # Resampling one affected case always gives 40; the unaffected medians are 10, 20, 30 or
    # none (all-open resample) → the interval lies within [10, 30].
    assert 10.0 <= row["extra_days_ci_low"] <= 20.0 <= row["extra_days_ci_high"] <= 30.0
    assert "label" not in summary.columns and "prevention" not in summary.columns  # (keys only)
    labelled = with_trigger_labels(summary.reset_index(), trigger_log.process).set_index("trigger")
    assert labelled.loc["missing_translation", "label"] == "Missing sworn translation"
    assert "sworn translation" in labelled.loc["missing_translation", "prevention"]


def test_trigger_raised_at_the_same_time_as_a_milestone(trigger_log):
    row = trigger_summary(trigger_log, as_of=TRIGGER_AS_OF).set_index("trigger").loc["rib_mismatch"]
    # Raised at the submission itself: the dossier is then in the rights phase.
    assert row["phase"] == "rights"
    # No next milestone by as_of: censored at 10 days → no median yet.
    assert math.isinf(row["median_days_to_next_milestone"])
    assert math.isnan(row["extra_days"])  # B is still open: no affected median


def test_trigger_summary_ranking_and_language(trigger_log):
    summary = trigger_summary(trigger_log, as_of=TRIGGER_AS_OF)
    assert summary["trigger"].tolist() == ["missing_translation", "rib_mismatch"]  # NaN ranks last
    french = with_trigger_labels(summary, trigger_log.process, lang="fr")
    # The words go after the key and at the end; the figures are left as they were.
    assert list(french.columns) == ["trigger", "label", *summary.columns[1:], "prevention"]
    pd.testing.assert_frame_equal(french[summary.columns], summary)
    assert french.iloc[0]["label"] == "Traduction assermentée manquante"
    assert with_trigger_labels(summary, trigger_log.process).iloc[0]["label"] == "Missing sworn translation"


def test_trigger_summary_is_seeded(trigger_log):
    a = trigger_summary(trigger_log, as_of=TRIGGER_AS_OF, seed=5)
    b = trigger_summary(trigger_log, as_of=TRIGGER_AS_OF, seed=5)
    pd.testing.assert_frame_equal(a, b)


def test_trigger_summary_empty_cohort(trigger_log):
    cases = case_table(trigger_log, as_of=TRIGGER_AS_OF)
    out = trigger_summary(cases[cases["office"] == "CPAM 13"])
    assert out.empty and "extra_days" in out.columns


# --------------------------------------------------------------------- stalled
STALL_AS_OF = "2025-06-30 09:00"
STALL_ROWS = [
    # S1: rights for 30 days, nothing since the submission → no movement past 14 days.
    *head("S1", "2025-05-31"),
    # S2: rights for 25 days, a translation asked 5 days ago and not sent.
    *head("S2", "2025-06-05"), ev("S2", "complement_requested", "2025-06-25", "missing_translation"),
    # S3: rights for 40 days, a complaint filed 3 days ago.
    *head("S3", "2025-05-21"), ev("S3", "complaint_filed", "2025-06-27"),
    # S4: rights for 15 days: under the threshold.
    *head("S4", "2025-06-15"),
    # S5: only an NIA for 60 days in the ssn phase.
    ev("S5", M[0], "2025-04-25"), ev("S5", M[1], "2025-05-01"), ev("S5", "nia_assigned", "2025-05-05"),
    # S6: rights for 22 days, a complement asked and sent 8 days ago.
    *head("S6", "2025-06-08"), ev("S6", "complement_requested", "2025-06-18", "rib_mismatch"),
    ev("S6", "complement_sent", "2025-06-22"),
    # S7: closed: never on the worklist.
    *head("S7", "2025-01-10"), ev("S7", "case_closed", "2025-02-10"),
]


@pytest.fixture(scope="module")
def stall_log():
    return make_log(STALL_ROWS)


STALL_COLUMNS = ["case_id", "office", "phase", "days_in_phase", "threshold_days", "days_over", "waiting_on",
                 "last_event", "last_event_at", "days_since_last_event", "reason", "document"]


def test_stalled_worklist_ties_are_in_case_id_order():
    """Dossiers as late as each other come in case-id (text) order, after the later ones: by
    hand, T10, T2 and T9 were all submitted on 31 May (30 days in rights, 10 over a 20-day
    threshold), T1 on 21 May (20 over), T3 on 5 June (5 over)."""
    rows = [*head("T9", "2025-05-31"), *head("T1", "2025-05-21"), *head("T2", "2025-05-31"),
            *head("T3", "2025-06-05"), *head("T10", "2025-05-31")]
    work = stalled(make_log(rows), as_of=STALL_AS_OF, thresholds={"rights": 20, "ssn": 30}, followup_days=60)
    assert work["case_id"].tolist() == ["T1", "T10", "T2", "T9", "T3"]
    assert work["days_over"].tolist() == [20.0, 10.0, 10.0, 10.0, 5.0]


def test_stalled_worklist_by_hand(stall_log):
    work = stalled(stall_log, as_of=STALL_AS_OF, thresholds={"rights": 20, "ssn": 30}, followup_days=14)
    assert list(work.columns) == STALL_COLUMNS  # keys only: the words come from with_next_actions
    assert work["case_id"].tolist() == ["S5", "S3", "S1", "S2", "S6"]
    assert work["days_over"].tolist() == [30.0, 20.0, 10.0, 5.0, 2.0]
    assert work["reason"].astype(str).tolist() == ["nia_only", "complaint", "no_movement",
                                                   "complement_pending", "phase_action"]
    # The document asked for: only for the pending complement (S2's missing translation).
    assert work["document"].tolist() == [pd.NA, pd.NA, pd.NA, "missing_translation", pd.NA]
    assert work.attrs["as_of"] == AsOf(T("2025-06-30 09:00"), inclusive=True)
    labelled = with_next_actions(work, stall_log.process)
    assert list(labelled.columns) == [*STALL_COLUMNS[:3], "phase_label", *STALL_COLUMNS[3:], "next_action"]
    pd.testing.assert_frame_equal(labelled[STALL_COLUMNS], work)
    by_case = labelled.set_index("case_id")
    assert by_case.loc["S2", "phase_label"] == "Rights opening"
    assert by_case.loc["S2", "next_action"].startswith("A complement was requested")
    assert "Missing sworn translation" in by_case.loc["S2", "next_action"]
    assert "médiateur" in by_case.loc["S3", "next_action"]
    assert "3646" in by_case.loc["S1", "next_action"] and "Evidence pack" in by_case.loc["S1", "next_action"]
    assert by_case.loc["S6", "next_action"] == CARTE_VITALE.phase("rights").next_action["en"]
    assert by_case.loc["S1", "days_since_last_event"] == 30.0
    assert by_case.loc["S6", "days_since_last_event"] == 8.0
    assert by_case.loc["S1", "waiting_on"] == "office"
    assert by_case.loc["S2", "waiting_on"] == "applicant"
    assert by_case.loc["S5", "threshold_days"] == 30.0


def test_stalled_followup_interval_is_a_parameter(stall_log):
    work = stalled(stall_log, as_of=STALL_AS_OF, thresholds={"rights": 20, "ssn": 30}, followup_days=40)
    # S1's 30 quiet days are now within the interval: the phase's own action.
    assert work.set_index("case_id").loc["S1", "reason"] == "phase_action"


def test_stalled_in_french(stall_log):
    work = stalled(stall_log, as_of=STALL_AS_OF, thresholds={"rights": 20, "ssn": 30})
    by_case = with_next_actions(work, stall_log.process, lang="fr").set_index("case_id")
    assert by_case.loc["S2", "phase_label"] == "Ouverture des droits"
    assert "Traduction assermentée manquante" in by_case.loc["S2", "next_action"]


def test_default_thresholds_are_the_caseload_p90(km_log):
    cases = case_table(km_log, as_of=KM_AS_OF)
    limits = phase_thresholds(cases)
    assert list(limits) == list(CARTE_VITALE.phase_keys)
    assert limits["rights"] == 30.0  # Kaplan–Meier p90 of 10, 15+, 20, 25+, 30 (see above)
    assert limits["dossier"] == 42.0
    # Card: all three still open (40, 30, 20): no KM p90, so the p90 of the observed days:
    # numpy's linear interpolation of [20, 30, 40] at 90 % = 38.
    assert limits["card"] == pytest.approx(38.0)
    assert math.isnan(limits["activation"])  # nobody reached it
    assert phase_thresholds(km_log, as_of=KM_AS_OF) == pytest.approx(limits, nan_ok=True)
    # The advisor's own days replace a phase's percentile; the others stay.
    given_days = phase_thresholds(cases, thresholds={"rights": 45})
    assert given_days["rights"] == 45.0 and given_days["dossier"] == 42.0
    # Kaplan–Meier p50 of the rights phase: 30 (see test_phase_summary_by_hand).
    assert phase_thresholds(cases, percentile=50)["rights"] == 30.0
    work = stalled(km_log, as_of=KM_AS_OF)
    assert work.empty or (work["days_over"] > 0).all()
    with pytest.raises(va.CaseLogError, match="unknown phase"):
        stalled(km_log, thresholds={"rigths": 3})
    with pytest.raises(va.CaseLogError, match="unknown phase"):
        phase_thresholds(cases, thresholds={"rigths": 3})


def test_stalled_by_adds_columns_and_keeps_the_dossiers(stall_log):
    rows = [dict(r, office="CPAM 13", channel="postal") if r["case_id"] in ("S2", "S5") else r for r in STALL_ROWS]
    log = make_log(rows)
    limits = {"rights": 20, "ssn": 30}
    plain = stalled(log, as_of=STALL_AS_OF, thresholds=limits)
    # The same five dossiers as with a single office (see test_stalled_worklist_by_hand).
    assert plain["case_id"].tolist() == ["S5", "S3", "S1", "S2", "S6"]
    by_office = stalled(log, as_of=STALL_AS_OF, thresholds=limits, by="office")
    assert list(by_office.columns) == STALL_COLUMNS  # the office column, once
    assert dict(zip(by_office["case_id"], by_office["office"])) == {
        "S5": "CPAM 13", "S3": "CPAM 75", "S1": "CPAM 75", "S2": "CPAM 13", "S6": "CPAM 75"}
    pd.testing.assert_frame_equal(by_office, plain)
    by_two = stalled(log, as_of=STALL_AS_OF, thresholds=limits, by=["channel", "start_month"])
    assert list(by_two.columns) == [*STALL_COLUMNS[:2], "channel", "start_month", *STALL_COLUMNS[2:]]
    assert dict(zip(by_two["case_id"], by_two["channel"])) == {
        "S5": "postal", "S3": "ameli", "S1": "ameli", "S2": "postal", "S6": "ameli"}
    # S5 started on 2025-04-25, the others on 2025-01-01 (head()).
    assert dict(zip(by_two["case_id"], by_two["start_month"])) == {
        "S5": "2025-04", "S3": "2025-01", "S1": "2025-01", "S2": "2025-01", "S6": "2025-01"}
    pd.testing.assert_frame_equal(by_two[STALL_COLUMNS], plain)
    # The thresholds stay the caseload's with by=: a group is not measured against itself.
    default = stalled(log, as_of=STALL_AS_OF, by="channel")
    assert default["case_id"].tolist() == stalled(log, as_of=STALL_AS_OF)["case_id"].tolist()


def test_stalled_from_a_case_table(stall_log):
    limits = {"rights": 20, "ssn": 30}
    cases = case_table(stall_log, as_of=STALL_AS_OF)
    pd.testing.assert_frame_equal(stalled(cases, thresholds=limits),
                                  stalled(stall_log, as_of=STALL_AS_OF, thresholds=limits))
    # A filtered table lists its own dossiers only, with the same reasons and documents.
    mine = cases[cases["case_id"].isin(["S2", "S3", "S4"])]
    work = stalled(mine, thresholds=limits)
    assert work["case_id"].tolist() == ["S3", "S2"]  # S4 (15 days) is under the threshold
    assert work["reason"].astype(str).tolist() == ["complaint", "complement_pending"]
    assert work["document"].tolist() == [pd.NA, "missing_translation"]
    with pytest.raises(va.CaseLogError, match="computed as of"):
        stalled(cases, as_of="2025-06-30")


# --------------------------------------------------------------------- invariants
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), duplicate_share=st.floats(0, 0.3))
def test_shuffling_or_duplicating_rows_changes_nothing(seed, duplicate_share):
    raw = va.simulate(80, seed=11, as_of="2025-06-30")
    base = make_log(raw)
    rng = np.random.default_rng(seed)
    extra = raw.sample(frac=duplicate_share, random_state=seed)
    other = make_log(pd.concat([raw, extra]).sample(frac=1, random_state=int(rng.integers(1 << 30))))
    pd.testing.assert_frame_equal(phase_summary(other), phase_summary(base))
    pd.testing.assert_frame_equal(phase_summary(other, by="channel"), phase_summary(base, by="channel"))
    pd.testing.assert_frame_equal(trigger_summary(other), trigger_summary(base))
    pd.testing.assert_frame_equal(stalled(other), stalled(base))


# --------------------------------------------------------------------- on the bundled sample
@pytest.fixture(scope="module")
def sample(sample_log):
    """The bundled sample (loaded once for the session, tests/conftest.py) and its case table."""
    return sample_log, case_table(sample_log)


def test_sample_phase_summary_against_lifelines(sample):
    from lifelines import KaplanMeierFitter

    log, cases = sample
    summary = phase_summary(cases).set_index("phase")
    durations = va.phase_durations(log)
    for phase in CARTE_VITALE.phase_keys:
        rows = durations[(durations["phase"] == phase) & durations["state"].isin(["finished", "open", "closed"])]
        assert summary.loc[phase, "n"] == len(rows)
        assert summary.loc[phase, "n_open"] == (rows["state"] == "open").sum()
        fitter = KaplanMeierFitter().fit(rows["days"], rows["state"] == "finished")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert summary.loc[phase, "median_days"] == fitter.percentile(0.5)
            assert summary.loc[phase, "p90_days"] == fitter.percentile(0.1)
        finished = rows.loc[rows["state"] == "finished", "days"]
        assert summary.loc[phase, "median_days_completed_only"] == pytest.approx(finished.median())
        # Open dossiers make the honest median at least as long as the finished-only one here.
        assert summary.loc[phase, "median_days"] >= summary.loc[phase, "median_days_completed_only"]


def test_sample_trigger_counts_match_the_events(sample):
    log, cases = sample
    summary = trigger_summary(cases, n_boot=20).set_index("trigger")
    events = log.events[log.events["trigger"].notna()]
    for key, row in summary.iterrows():
        mine = events[events["trigger"] == key]
        assert row["events"] == len(mine)
        assert row["cases_affected"] == mine["case_id"].nunique() == cases[f"trigger_{key}"].sum()
        assert row["share"] == pytest.approx(row["cases_affected"] / len(cases))
    ranked = summary["total_days_attributable"].dropna().to_numpy()
    assert (np.diff(ranked) <= 0).all()


def test_sample_worklist_against_a_plain_loop(sample):
    log, cases = sample
    work = stalled(cases)
    limits = phase_thresholds(cases)
    expected = sorted(
        row.case_id
        for row in cases.to_frame().itertuples()
        if row.status == "open" and row.days_in_phase > limits[row.current_phase]
    )
    assert sorted(work["case_id"]) == expected
    assert work["threshold_days"].tolist() == [limits[p] for p in work["phase"]]
    # Each threshold is the phase's Kaplan–Meier p90 (lifelines), else the p90 of the days seen.
    durations = va.phase_durations(log)
    for phase in CARTE_VITALE.phase_keys:
        rows = durations[(durations["phase"] == phase) & durations["state"].isin(["finished", "open", "closed"])]
        p90 = _lifelines_percentile(rows["days"], rows["state"] == "finished", 0.1)
        assert limits[phase] == pytest.approx(p90 if np.isfinite(p90) else np.percentile(rows["days"], 90))
    assert (work["days_over"] > 0).all()
    assert work["days_over"].is_monotonic_decreasing


def _lifelines_percentile(days, finished, survival) -> float:
    """lifelines' Kaplan–Meier time where the survival falls to ``survival`` (0.5: the median)."""
    from lifelines import KaplanMeierFitter

    if len(days) == 0:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter = KaplanMeierFitter().fit(np.asarray(days, dtype=float), np.asarray(finished))
        return float(fitter.percentile(survival))


def _lifelines_median(days, finished) -> float:
    return _lifelines_percentile(days, finished, 0.5)


def _trigger_medians_by_loop(log, cases, key, phase, group=None):
    """Affected / unaffected medians of one trigger, worked out dossier by dossier with lifelines.

    Affected: dossiers with ``key`` raised while in ``phase`` (the furthest milestone reached
    at the event's time starts it); unaffected: dossiers without ``key`` at all; both among
    the dossiers of the group with a duration in the phase.
    """
    phases = list(CARTE_VITALE.phase_keys)
    at = cases.to_frame().set_index("case_id")
    raised_in, raised_at_all = set(), set()
    for row in log.events[log.events["trigger"] == key].itertuples():
        reached = [j for j, m in enumerate(CARTE_VITALE.milestones)
                   if pd.notna(at.loc[row.case_id, f"{m}_at"]) and at.loc[row.case_id, f"{m}_at"] <= row.timestamp]
        raised_at_all.add(row.case_id)
        if phases[min(max(reached, default=0), len(phases) - 1)] == phase:
            raised_in.add(row.case_id)
    affected, unaffected = ([], []), ([], [])
    for case_id, row in at.iterrows():
        if row[f"{phase}_state"] not in ("finished", "open", "closed") or (group and row[group[0]] != group[1]):
            continue
        pair = affected if case_id in raised_in else unaffected if case_id not in raised_at_all else None
        if pair is not None:
            pair[0].append(row[f"{phase}_days"])
            pair[1].append(row[f"{phase}_state"] == "finished")
    return _lifelines_median(*affected), _lifelines_median(*unaffected), len(affected[0])


@pytest.mark.slow  # lifelines per trigger and group on 3,000 dossiers: about 7 s
@pytest.mark.parametrize("by", [None, "channel"])
def test_sample_trigger_medians_against_lifelines(sample, by):
    """Each trigger's affected / unaffected medians (and the days attributable) equal lifelines'
    on dossiers picked one by one, with and without cohorts."""
    log, cases = sample
    summary = trigger_summary(cases, by=by, n_boot=0)
    assert len(summary) >= 5
    for row in summary.itertuples():
        group = (by, getattr(row, by)) if by else None
        aff, unaff, n_aff = _trigger_medians_by_loop(log, cases, row.trigger, row.phase, group)
        assert (row.median_days_affected, row.median_days_unaffected) == pytest.approx((aff, unaff), nan_ok=True)
        if np.isfinite(aff) and np.isfinite(unaff):
            assert row.total_days_attributable == pytest.approx((aff - unaff) * n_aff)


def _edited(cases: CaseTable, edit) -> CaseTable:
    """A case table made from an edited copy of ``cases``' rows (as a hand-built table would be)."""
    frame = cases.to_frame()
    edit(frame)
    return CaseTable(frame, as_of=cases.as_of, days=cases.days, process=cases.process, log=cases.log)


def test_trigger_medians_with_a_negative_duration(sample):
    """A hand-edited case table with a negative duration (never made by case_table) takes the
    plain sort for the unaffected dossiers: still lifelines' medians."""
    log, cases = sample
    summary = trigger_summary(cases, n_boot=0)
    row = summary.iloc[0]
    phase = str(row.phase)

    def negative(frame):
        finished = frame.index[frame[f"{phase}_state"] == "finished"]
        frame.loc[finished[:60], f"{phase}_days"] = -5.0

    edited = _edited(cases, negative)
    assert (edited[f"{phase}_days"] == -5.0).sum() == 60 and not (cases[f"{phase}_days"] < 0).any()
    got = trigger_summary(edited, n_boot=0).set_index("trigger").loc[row.trigger]
    aff, unaff, _ = _trigger_medians_by_loop(log, edited, row.trigger, phase)
    assert (got["median_days_affected"], got["median_days_unaffected"]) == pytest.approx((aff, unaff))


def test_each_case_table_sorts_its_phase_durations_once(sample):
    """The sorted per-phase sample that phase_summary, trigger_summary and the stall thresholds
    share is made once per case table and kept; a filtered table makes its own from its own
    dossiers; the rows handed out by to_frame() are a copy, so no edit can reach the table."""
    log, cases = sample
    days, finished = cases.sorted_durations("rights")
    assert cases.sorted_durations("rights")[0] is days  # (made once, then shared)
    assert not days.flags.writeable and not finished.flags.writeable
    # Second method: the timed dossiers of the phase, sorted by days, events before censorings.
    frame = cases.to_frame()
    timed = frame[frame["rights_state"].isin(["finished", "open", "closed"]) & frame["rights_days"].notna()]
    expected = sorted(zip(timed["rights_days"], timed["rights_state"] != "finished"))
    assert list(zip(days, ~finished)) == expected
    before = phase_summary(cases)
    trigger_summary(cases, n_boot=0)
    phase_thresholds(cases)
    assert cases.sorted_durations("rights")[0] is days  # (the summaries reuse it)
    # A filtered table has its own sample, of its own dossiers.
    postal = cases[cases["channel"] == "postal"]
    own = postal.sorted_durations("rights")
    mine = timed[timed["channel"] == "postal"]
    assert list(zip(own[0], ~own[1])) == sorted(zip(mine["rights_days"], mine["rights_state"] != "finished"))
    assert len(own[0]) < len(days)
    pd.testing.assert_frame_equal(phase_summary(postal), phase_summary(log, by="channel").query(
        "channel == 'postal'").drop(columns="channel").reset_index(drop=True), check_dtype=False)
    # Editing the rows handed out changes nothing in the table or its results.
    frame.loc[frame["rights_state"] == "finished", "rights_days"] = 500.0
    assert not (cases["rights_days"] == 500.0).any()
    assert cases.sorted_durations("rights")[0] is days and not (days == 500.0).any()
    pd.testing.assert_frame_equal(phase_summary(cases), before)
    # A table made from edited rows sorts its own sample: its results follow the edit, and
    # equal those of another table made from the same rows.
    edited = _edited(cases, _half_the_finished_rights_take_500_days)
    after = phase_summary(edited)
    median = "median_days"
    assert after.set_index("phase").loc["rights", median] != before.set_index("phase").loc["rights", median]
    again = _edited(edited, lambda rows: None)
    pd.testing.assert_frame_equal(after, phase_summary(again))
    assert phase_thresholds(edited) == phase_thresholds(again)


def _half_the_finished_rights_take_500_days(rows: pd.DataFrame) -> None:
    finished = rows.index[rows["rights_state"] == "finished"]
    rows.loc[finished[::2], "rights_days"] = 500.0


def test_trigger_interval_keeps_its_width_when_resampled_in_batches():
    """Groups larger than bootstrap_cap are resampled cap at a time and scaled back (m-out-of-n):
    the interval is about as wide as with full-size resamples (unscaled, 500 of 2,000 would make it
    twice as wide)."""
    rng = np.random.default_rng(5)
    rows = []
    for i in range(4000):
        start = pd.Timestamp("2025-01-01") + pd.Timedelta(days=int(rng.integers(0, 60)))
        hit = i % 2 == 0
        rights = start + pd.Timedelta(days=float(rng.exponential(45 if hit else 30)))
        rows += [{"case_id": f"C{i}", "event": "dossier_submitted", "timestamp": start, "trigger": None}]
        if hit:
            rows += [{"case_id": f"C{i}", "event": "complement_requested", "timestamp": start + pd.Timedelta(hours=1),
                      "trigger": "rib_mismatch"}]
        rows += [{"case_id": f"C{i}", "event": "rights_opened", "timestamp": rights, "trigger": None}]
    log = make_log(rows)
    full = trigger_summary(log, n_boot=300, bootstrap_cap=5000).set_index("trigger").loc["rib_mismatch"]
    capped = trigger_summary(log, n_boot=300, bootstrap_cap=500).set_index("trigger").loc["rib_mismatch"]
    width = full["extra_days_ci_high"] - full["extra_days_ci_low"]
    capped_width = capped["extra_days_ci_high"] - capped["extra_days_ci_low"]
    assert 0.7 < capped_width / width < 1.4
    assert capped["extra_days_ci_low"] < capped["extra_days"] < capped["extra_days_ci_high"]
