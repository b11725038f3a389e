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
from vitale_analysis import CARTE_VITALE, case_table, read_caselog, validate
from vitale_analysis.stalls import phase_thresholds, stalled
from vitale_analysis.summaries import phase_summary, trigger_summary

M = CARTE_VITALE.milestones


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
    postal = phase_summary(cases[cases["channel"] == "postal"]).set_index("phase")
    assert postal.loc["rights", "median_days"] == 20.0
    empty = phase_summary(cases[cases["channel"] == "nowhere"])
    assert empty.empty and "median_days" in empty.columns
    with pytest.raises(va.CaseLogError, match="computed as of"):
        phase_summary(cases, as_of="2025-02-01")


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
    cases = case_table(km_log, as_of=KM_AS_OF, days="working").set_index("case_id")
    assert cases.loc["R1", "rights_days"] == 6.0


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
    assert "sworn translation" in row["prevention"]


def test_trigger_raised_at_the_same_time_as_a_milestone(trigger_log):
    row = trigger_summary(trigger_log, as_of=TRIGGER_AS_OF).set_index("trigger").loc["rib_mismatch"]
    # Raised at the submission itself: the dossier is then in the rights phase.
    assert row["phase"] == "rights"
    # No next milestone by as_of: censored at 10 days → no median yet.
    assert math.isinf(row["median_days_to_next_milestone"])
    assert math.isnan(row["extra_days"])  # B is still open: no affected median


def test_trigger_summary_ranking_and_language(trigger_log):
    summary = trigger_summary(trigger_log, as_of=TRIGGER_AS_OF, lang="fr")
    assert summary["trigger"].tolist() == ["missing_translation", "rib_mismatch"]  # NaN ranks last
    assert summary.iloc[0]["label"] == "Traduction assermentée manquante"


def test_trigger_summary_is_seeded(trigger_log):
    a = trigger_summary(trigger_log, as_of=TRIGGER_AS_OF, seed=5)
    b = trigger_summary(trigger_log, as_of=TRIGGER_AS_OF, seed=5)
    pd.testing.assert_frame_equal(a, b)


def test_trigger_summary_empty_cohort(trigger_log):
    cases = case_table(trigger_log, as_of=TRIGGER_AS_OF)
    out = trigger_summary(trigger_log, cases=cases[cases["office"] == "CPAM 13"])
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


def test_stalled_worklist_by_hand(stall_log):
    work = stalled(stall_log, as_of=STALL_AS_OF, thresholds={"rights": 20, "ssn": 30}, followup_days=14)
    assert work["case_id"].tolist() == ["S5", "S3", "S1", "S2", "S6"]
    assert work["days_over"].tolist() == [30.0, 20.0, 10.0, 5.0, 2.0]
    assert work["reason"].astype(str).tolist() == ["nia_only", "complaint", "no_movement",
                                                   "complement_pending", "phase_action"]
    by_case = work.set_index("case_id")
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
    work = stalled(stall_log, as_of=STALL_AS_OF, thresholds={"rights": 20, "ssn": 30}, lang="fr")
    by_case = work.set_index("case_id")
    assert by_case.loc["S2", "phase_label"] == "Ouverture des droits"
    assert "Traduction assermentée manquante" in by_case.loc["S2", "next_action"]


def test_default_thresholds_are_the_caseload_p90(km_log):
    cases = case_table(km_log, as_of=KM_AS_OF)
    limits = phase_thresholds(cases, CARTE_VITALE.phase_keys)
    assert limits["rights"] == 30.0  # Kaplan–Meier p90 of 10, 15+, 20, 25+, 30 (see above)
    assert limits["dossier"] == 42.0
    # Card: all three still open (40, 30, 20): no KM p90, so the p90 of the observed days:
    # numpy's linear interpolation of [20, 30, 40] at 90 % = 38.
    assert limits["card"] == pytest.approx(38.0)
    work = stalled(km_log, as_of=KM_AS_OF)
    assert work.empty or (work["days_over"] > 0).all()
    with pytest.raises(va.CaseLogError, match="unknown phase"):
        stalled(km_log, thresholds={"rigths": 3})


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
def sample():
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "data" / "sample_caselog.csv"
    log = make_log(read_caselog(path))
    return log, case_table(log)


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
    summary = trigger_summary(log, cases=cases, n_boot=20).set_index("trigger")
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
    work = stalled(log, cases=cases)
    limits = work.attrs["thresholds"]
    expected = sorted(
        row.case_id
        for row in cases.itertuples()
        if row.status == "open" and row.days_in_phase > limits[row.current_phase]
    )
    assert sorted(work["case_id"]) == expected
    assert (work["days_over"] > 0).all()
    assert work["days_over"].is_monotonic_decreasing


def _lifelines_median(days, finished) -> float:
    from lifelines import KaplanMeierFitter

    if len(days) == 0:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(KaplanMeierFitter().fit(np.asarray(days, dtype=float), np.asarray(finished)).percentile(0.5))


def _trigger_medians_by_loop(log, cases, key, phase, group=None):
    """Affected / unaffected medians of one trigger, worked out dossier by dossier with lifelines.

    Affected: dossiers with ``key`` raised while in ``phase`` (the furthest milestone reached
    at the event's time starts it); unaffected: dossiers without ``key`` at all; both among
    the dossiers of the group with a duration in the phase.
    """
    phases = list(CARTE_VITALE.phase_keys)
    at = cases.set_index("case_id")
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


@pytest.mark.parametrize("by", [None, "channel"])
def test_sample_trigger_medians_against_lifelines(sample, by):
    """Each trigger's affected / unaffected medians (and the days attributable) equal lifelines'
    on dossiers picked one by one, with and without cohorts."""
    log, cases = sample
    summary = trigger_summary(log, cases=cases, by=by, n_boot=0)
    assert len(summary) >= 5
    for row in summary.itertuples():
        group = (by, getattr(row, by)) if by else None
        aff, unaff, n_aff = _trigger_medians_by_loop(log, cases, row.trigger, row.phase, group)
        assert (row.median_days_affected, row.median_days_unaffected) == pytest.approx((aff, unaff), nan_ok=True)
        if np.isfinite(aff) and np.isfinite(unaff):
            assert row.total_days_attributable == pytest.approx((aff - unaff) * n_aff)


def test_trigger_medians_with_a_negative_duration(sample):
    """A hand-edited case table with a negative duration (never made by case_table) takes the
    plain sort for the unaffected dossiers: still lifelines' medians."""
    log, cases = sample
    cases = cases.copy()
    summary = trigger_summary(log, cases=cases, n_boot=0)
    row = summary.iloc[0]
    phase = str(row.phase)
    finished = cases.index[cases[f"{phase}_state"] == "finished"]
    cases.loc[finished[:60], f"{phase}_days"] = -5.0
    edited = trigger_summary(log, cases=cases, n_boot=0).set_index("trigger").loc[row.trigger]
    aff, unaff, _ = _trigger_medians_by_loop(log, cases, row.trigger, phase)
    assert (edited["median_days_affected"], edited["median_days_unaffected"]) == pytest.approx((aff, unaff))


def test_the_shared_phase_sort_follows_edits_of_the_case_table(sample):
    """The sorted per-phase sample phase_summary, trigger_summary and stalled share is made
    again when the table is edited: results equal those of a fresh copy of the edited table."""
    import gc

    from vitale_analysis.cases import _SORTED, _sorted_phase

    log, cases = sample
    cases = cases.copy()
    before = phase_summary(cases)
    assert _sorted_phase(cases, "rights")[0] is _sorted_phase(cases, "rights")[0]  # (made once, then shared)
    finished = cases.index[cases["rights_state"] == "finished"]
    cases.loc[finished[: len(finished) // 2], "rights_days"] = 500.0
    after = phase_summary(cases)
    pd.testing.assert_frame_equal(after, phase_summary(cases.copy()))
    median = "median_days"
    assert after.set_index("phase").loc["rights", median] != before.set_index("phase").loc["rights", median]
    assert phase_thresholds(cases, CARTE_VITALE.phase_keys) == phase_thresholds(cases.copy(), CARTE_VITALE.phase_keys)
    cases["card_state"] = cases["card_state"].where(cases["card_state"] != "finished", "open")
    assert phase_thresholds(cases, ["card"]) == phase_thresholds(cases.copy(), ["card"])
    key = id(cases)
    assert key in _SORTED
    del cases, before, after
    gc.collect()
    assert key not in _SORTED  # (gone with its table)
