"""Forecasts per open dossier, checked by hand and against a second method.

Hand logs make the draws' outcome known in advance: when every past dossier
took exactly 10 days in a phase, every draw is 10 days; when the ones still
waiting past 25 days took 30 or 40, half the draws are each. The second method
is a plain Monte Carlo on lifelines' Kaplan–Meier curves (200,000 draws, a
loop of its own), against which the package's 1,000-draw quantiles must land
within the spread a 1,000-draw estimate has.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

import vitale_analysis as va
from vitale_analysis import CARTE_VITALE, backtest_forecast, forecast, forecast_completions
from vitale_analysis.km import km_curve, km_inverse

M = CARTE_VITALE.milestones  # registration_submitted … first_reimbursement
DAY = pd.Timedelta(days=1)
T0 = pd.Timestamp("2025-01-06 09:00")  # a Monday


def ev(case, event, at, office="CPAM 75", channel="ameli"):
    return {"case_id": case, "event": event, "timestamp": at.strftime("%Y-%m-%d %H:%M"), "office": office,
            "channel": channel}


def dossier(case, submitted, rights_days=None, card_days=None, **kw):
    """Registration and number before ``submitted``; rights after ``rights_days``, the card ``card_days`` later."""
    rows = [ev(case, M[0], submitted - 3 * DAY, **kw), ev(case, M[1], submitted - 2 * DAY, **kw),
            ev(case, M[2], submitted - DAY, **kw), ev(case, M[3], submitted, **kw)]
    if rights_days is not None:  # (to the minute, as the timestamps are written)
        rights_at = submitted + pd.Timedelta(minutes=round(rights_days * 1440))
        rows.append(ev(case, M[4], rights_at, **kw))
        if card_days is not None:
            rows.append(ev(case, M[5], rights_at + pd.Timedelta(minutes=round(card_days * 1440)), **kw))
    return rows


def make_log(rows):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        return va.validate(va.read_caselog(pd.DataFrame(rows)))


def one(frame, case):
    row = frame[frame["case_id"] == case]
    assert len(row) == 1, (case, frame["case_id"].tolist())
    return row.iloc[0]


# ------------------------------------------------------------------ by hand
def test_every_past_dossier_took_the_same_time():
    # 40 past dossiers: rights in exactly 10 days, then the card 5 days later. The open one
    # was submitted 3 days before as_of: every draw says 10 days for rights, 15 for the card.
    rows = [r for k in range(40) for r in dossier(f"P{k:02d}", T0 + k * DAY, 10, 5)]
    submitted = T0 + 60 * DAY
    rows += dossier("OPEN", submitted)
    log = make_log(rows)
    as_of = submitted + 3 * DAY
    rights = one(forecast(log, as_of=as_of), "OPEN")
    assert rights["current_phase"] == "rights"
    assert rights["days_in_phase"] == pytest.approx(3)
    for column in ("low_date", "expected_date", "high_date"):
        assert rights[column] == submitted + 10 * DAY
    assert (rights["low_days"], rights["expected_days"], rights["high_days"]) == pytest.approx((7, 7, 7))
    assert rights["basis"] == "all" and rights["basis_by"] == ""
    assert rights["basis_dossiers"] == 41  # the 40 finished and the open one (censored at 3 days)
    assert not rights["beyond_history"]
    card = one(forecast(log, as_of=as_of, target="card_received"), "OPEN")
    assert card["expected_date"] == card["low_date"] == card["high_date"] == submitted + 15 * DAY
    # The past dossiers are past rights: nothing to forecast for them (they wait for the card).
    assert forecast(log, as_of=as_of)["case_id"].tolist() == ["OPEN"]
    assert set(forecast(log, as_of=as_of, target="card_received")["case_id"]) == {"OPEN"}


def test_times_with_a_zone():
    # The same as the first test, written in UTC with offsets: dates come back in UTC.
    rows = [r for k in range(40) for r in dossier(f"P{k:02d}", T0 + k * DAY, 10, 5)]
    submitted = T0 + 60 * DAY
    rows += dossier("OPEN", submitted)
    frame = pd.DataFrame(rows)
    frame["timestamp"] = frame["timestamp"] + "+00:00"
    log = make_log(frame.to_dict("records"))
    got = one(forecast(log, as_of=(submitted + 3 * DAY).tz_localize("UTC")), "OPEN")
    assert got["expected_date"] == got["high_date"] == (submitted + 10 * DAY).tz_localize("UTC")
    weeks = forecast_completions(log, as_of=(submitted + 3 * DAY).tz_localize("UTC"), periods=2)
    assert weeks["expected"].tolist() == [0, 1, 0]  # (as_of Monday 10 March; arrival Monday 17 March)


def test_the_days_already_waited_count():
    # Past rights phases of 10, 20, 30 and 40 days; the open dossier has waited 25. Those still
    # waiting after 25 days took 30 or 40: S(25) = 1/2, S(30) = 1/4, S(40) = 0, so the remaining
    # phase is 30 or 40 days with probability 1/2 each (the open one itself leaves the risk set at 25).
    # 80 % interval: the 10 % point is 30, the 90 % point 40.
    rows = [r for k, d in enumerate((10, 20, 30, 40)) for r in dossier(f"P{k}", T0 + k * DAY, d)]
    submitted = T0 + 100 * DAY
    rows += dossier("OPEN", submitted)
    log = make_log(rows)
    got = one(forecast(log, as_of=submitted + 25 * DAY), "OPEN")
    assert got["low_date"] == submitted + 30 * DAY
    assert got["high_date"] == submitted + 40 * DAY
    assert got["expected_date"] in (submitted + 30 * DAY, submitted + 40 * DAY)
    assert got["low_days"] == pytest.approx(5) and got["high_days"] == pytest.approx(15)
    # Waited 45 days: longer than any past dossier (S = 0 from 40 on) — beyond history, no date.
    late = one(forecast(log, as_of=submitted + 45 * DAY), "OPEN")
    assert late["beyond_history"] and pd.isna(late["high_date"]) and pd.isna(late["expected_date"])
    assert late["high_days"] == np.inf


def test_a_cohort_with_too_little_history_falls_back():
    # Office A: 40 dossiers, 10 days each. Office B: 10 dossiers, 50 days each — under min_history=30,
    # so B's open dossier uses the whole caseload: 40 of 50 past dossiers took 10 days, 10 took 50
    # (P(50) = 0.2): its 10 % point is 10 days, its 90 % point 50.
    rows = [r for k in range(40) for r in dossier(f"A{k:02d}", T0 + k * DAY, 10, office="A")]
    rows += [r for k in range(10) for r in dossier(f"B{k:02d}", T0 + k * DAY, 50, office="B")]
    submitted = T0 + 120 * DAY
    rows += dossier("OA", submitted, office="A") + dossier("OB", submitted, office="B")
    log = make_log(rows)
    got = forecast(log, as_of=submitted + DAY, by="office", min_history=30)
    a, b = one(got, "OA"), one(got, "OB")
    assert a["office"] == "A" and a["basis"] == "A" and a["basis_by"] == "office"
    assert a["basis_dossiers"] == 41
    assert a["low_date"] == a["high_date"] == submitted + 10 * DAY
    assert b["basis"] == "all" and b["basis_by"] == ""
    assert b["basis_dossiers"] == 52
    assert b["low_date"] == submitted + 10 * DAY and b["high_date"] == submitted + 50 * DAY
    # With min_history=10, B has enough of its own: 50 days exactly.
    b10 = one(forecast(log, as_of=submitted + DAY, by="office", min_history=10), "OB")
    assert b10["basis"] == "B" and b10["low_date"] == b10["high_date"] == submitted + 50 * DAY


def test_a_long_wait_needs_enough_dossiers_that_waited_as_long():
    # Office A: 40 dossiers in 10 days, 3 in 60. Office B: 40 in 10, 20 in 45. A's open dossier has
    # waited 30 days: in A only 3 past dossiers (and itself) waited that long — under min_waiting=10,
    # so the whole caseload speaks: of the 23 past dossiers past 30 days, 20 took 45 and 3 took 60
    # (P(60) = 3/23 = 0.13 > 0.1): the 10 % point is 45, the 90 % point 60.
    rows = [r for k in range(40) for r in dossier(f"A{k:02d}", T0 + k * DAY, 10, office="A")]
    rows += [r for k in range(3) for r in dossier(f"AL{k}", T0 + k * DAY, 60, office="A")]
    rows += [r for k in range(40) for r in dossier(f"B{k:02d}", T0 + k * DAY, 10, office="B")]
    rows += [r for k in range(20) for r in dossier(f"BL{k:02d}", T0 + k * DAY, 45, office="B")]
    submitted = T0 + 150 * DAY
    rows += dossier("OA", submitted, office="A")
    log = make_log(rows)
    as_of = submitted + 30 * DAY
    got = one(forecast(log, as_of=as_of, by="office"), "OA")
    assert got["basis"] == "all" and got["basis_dossiers"] == 104
    assert got["low_date"] == submitted + 45 * DAY and got["high_date"] == submitted + 60 * DAY
    own = one(forecast(log, as_of=as_of, by="office", min_waiting=1), "OA")
    assert own["basis"] == "A" and own["low_date"] == own["high_date"] == submitted + 60 * DAY


def test_recent_history_only():
    # Dossiers submitted in January took 50 days; those submitted from June on, 10. With a 120-day
    # window as of mid-September, the January ones (over by late February) are not history at all.
    rows = [r for k in range(40) for r in dossier(f"OLD{k:02d}", T0 + k * DAY / 4, 50)]
    june = pd.Timestamp("2025-06-02 09:00")
    rows += [r for k in range(40) for r in dossier(f"NEW{k:02d}", june + k * DAY, 10)]
    submitted = pd.Timestamp("2025-09-15 09:00")
    rows += dossier("OPEN", submitted)
    log = make_log(rows)
    as_of = submitted + DAY
    recent = one(forecast(log, as_of=as_of, history_days=120), "OPEN")
    assert recent["low_date"] == recent["high_date"] == submitted + 10 * DAY
    assert recent["basis_dossiers"] == 41
    everything = one(forecast(log, as_of=as_of), "OPEN")  # half took 50 days: the 90 % point is 50
    assert everything["low_date"] == submitted + 10 * DAY and everything["high_date"] == submitted + 50 * DAY


def test_nothing_to_forecast_and_wrong_arguments():
    rows = [r for k in range(5) for r in dossier(f"P{k}", T0 + k * DAY, 10, 5)]
    log = make_log(rows)
    empty = forecast(log)
    assert len(empty) == 0 and "expected_date" in empty.columns
    weeks = forecast_completions(log, periods=3)
    assert weeks["expected"].sum() == 0 and weeks.attrs["n_open"] == 0
    with pytest.raises(va.CaseLogError, match="rights_openned.*did you mean 'rights_opened'"):
        forecast(log, target="rights_openned")
    with pytest.raises(va.CaseLogError, match="where dossiers start"):
        forecast(log, target=M[0])
    with pytest.raises(va.CaseLogError, match="working days"):
        forecast(va.case_table(log, days="working"))
    with pytest.raises(va.CaseLogError, match="confidence"):
        forecast(log, confidence=80)
    for wrong in (-1, 2.5, "10", True):  # (a text 10 crashed deep in the model before it was checked)
        with pytest.raises(va.CaseLogError, match=r"min_waiting=.*whole number of dossiers ≥ 0"):
            forecast(log, min_waiting=wrong)
        with pytest.raises(va.CaseLogError, match="min_waiting="):
            forecast_completions(log, min_waiting=wrong)
    with pytest.raises(va.CaseLogError, match="before until"):
        backtest_forecast(log, cuts=["2030-01-01"])


# ------------------------------------------------------------------ a second method
def lifelines_draws(days, observed, n, rng, waited=0.0):
    """Plain Monte Carlo from lifelines' curve: a loop over draws, conditional on lasting ``waited``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        curve = KaplanMeierFitter().fit(days, observed).survival_function_.iloc[:, 0]
    times, survival = curve.index.to_numpy(), curve.to_numpy()
    s_w = survival[times <= waited][-1]
    out = np.empty(n)
    for i, u in enumerate(rng.random(n)):
        below = np.flatnonzero(survival <= u * s_w)
        out[i] = times[below[0]] if len(below) else np.inf
    return out


def test_two_phases_agree_with_a_plain_monte_carlo():
    rng = np.random.default_rng(7)
    n = 300
    rights = np.round(rng.lognormal(np.log(25), 0.5, n) * 1440) / 1440  # (whole minutes, as written)
    card = np.round(rng.lognormal(np.log(14), 0.4, n) * 1440) / 1440
    rows = []
    for k in range(n):
        submitted = T0 + k * DAY / 2
        rows += dossier(f"P{k:03d}", submitted, rights[k], card[k])
    submitted = T0 + 400 * DAY
    rows += dossier("OPEN", submitted)
    log = make_log(rows)
    as_of = submitted + 18.5 * DAY
    got = one(forecast(log, as_of=as_of, target="card_received"), "OPEN")
    # The reference: the same histories (the open dossier censored at 18.5 days in rights).
    r_days = np.append(rights, 18.5)
    r_obs = np.append(np.ones(n, bool), False)
    big = 200_000
    rng2 = np.random.default_rng(1)
    total = lifelines_draws(r_days, r_obs, big, rng2, waited=18.5) + lifelines_draws(card, np.ones(n, bool), big, rng2)
    for column, q in (("low_date", 0.1), ("expected_date", 0.5), ("high_date", 0.9)):
        days = (got[column] - submitted) / DAY
        low, high = np.quantile(total, [q - 0.04, q + 0.04])  # a 1,000-draw quantile's spread is ±0.01–0.016
        assert low <= days <= high, (column, days, low, high)


def test_last_phase_before_the_target_is_exact():
    # In its last phase before the target, a dossier's points are exact (no draws): the q point of a
    # wait conditional on w days is the first time at which lifelines' curve falls to (1 − q)·S(w).
    rng = np.random.default_rng(11)
    n = 120
    rights = np.round(rng.lognormal(np.log(25), 0.6, n) * 1440) / 1440  # (whole minutes, as written)
    rows = [r for k in range(n) for r in dossier(f"P{k:03d}", T0 + k * DAY / 3, rights[k])]
    waits = {"A": 2.0, "B": 21.25, "C": 44.5}
    as_of = T0 + 200 * DAY
    for case, w in waits.items():
        rows += dossier(case, as_of - w * DAY)
    log = make_log(rows)
    got = forecast(log, as_of=as_of, confidence=0.8).set_index("case_id")
    days = np.append(rights, list(waits.values()))
    observed = np.append(np.ones(n, bool), np.zeros(len(waits), bool))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        curve = KaplanMeierFitter().fit(days, observed).survival_function_.iloc[:, 0]
    times, survival = curve.index.to_numpy(), curve.to_numpy()
    for case, w in waits.items():
        s_w = survival[times <= w][-1]
        for column, q in (("low_days", 0.1), ("expected_days", 0.5), ("high_days", 0.9)):
            first = next((t for t, s in zip(times, survival, strict=True) if s <= (1 - q) * s_w), np.inf)
            assert got.loc[case, column] == pytest.approx(first - w, abs=1e-6), (case, column)


def test_km_inverse_draws_from_the_curve():
    times, survival = km_curve([1, 2, 3, 4], [True] * 4)  # S = .75, .5, .25, 0
    assert km_inverse(times, survival, [0.9, 0.76, 0.74, 0.51, 0.3, 0.1]).tolist() == [1, 1, 2, 2, 3, 4]
    times, survival = km_curve([1, 2, 3], [True, False, False])  # S = 2/3 after 1, then flat
    assert km_inverse(times, survival, [0.7, 0.5]).tolist() == [1, np.inf]


# ------------------------------------------------------------------ completions per week
def test_completions_per_week_by_hand():
    # 40 past dossiers took exactly 10 days. Open dossiers submitted (as_of − 3 days) → arrive in 7
    # days; (as_of − 1 day) → 9 days; as_of is Wednesday 2025-06-04 (end of day): the week of
    # 2 June holds nothing (arrivals are after as_of), the week of 9 June the +7 (Wed 11) and
    # the +9 (Fri 13) ones, the week of 16 June none.
    rows = [r for k in range(40) for r in dossier(f"P{k:02d}", T0 + k * DAY, 10)]
    as_of = pd.Timestamp("2025-06-04 18:00")
    rows += dossier("O1", as_of - 3 * DAY) + dossier("O2", as_of - 3 * DAY) + dossier("O3", as_of - DAY)
    log = make_log(rows)
    weeks = forecast_completions(log, as_of=as_of, periods=3)
    assert list(weeks.index) == ["2025-06-02", "2025-06-09", "2025-06-16", "later"]
    assert weeks["expected"].tolist() == [0, 3, 0, 0]
    assert weeks["low"].tolist() == weeks["expected"].tolist() == weeks["high"].tolist()  # no doubt at all
    assert weeks.attrs["n_open"] == 3


def test_completions_add_up_on_the_sample(sample_log):
    weeks = forecast_completions(sample_log, as_of="2025-06-30", periods=8, by="channel")
    ahead = forecast(sample_log, as_of="2025-06-30", by="channel")
    assert weeks.attrs["n_open"] == len(ahead)
    assert weeks["expected"].sum() == pytest.approx(len(ahead))  # every dossier arrives in some period or later
    assert (weeks["low"] <= weeks["expected"]).all() and (weeks["expected"] <= weeks["high"]).all()


# ------------------------------------------------------------------ the sample
def test_on_the_sample(sample_log):
    table = va.case_table(sample_log, as_of="2025-06-30")
    frame = table.to_frame()
    ahead = forecast(table)
    # Exactly the open dossiers before rights opening.
    phase_index = frame["current_phase"].cat.codes
    expected_ids = frame.loc[(frame["status"] == "open") & (phase_index >= 0) & (phase_index < 4), "case_id"]
    assert ahead["case_id"].tolist() == expected_ids.tolist()
    dated = ahead.dropna(subset=["high_date"])
    assert ((dated["low_date"] <= dated["expected_date"]) & (dated["expected_date"] <= dated["high_date"])).all()
    assert (ahead["low_days"] > 0).all()  # nothing arrives before as_of
    # Same data, same seed: the same forecast; a table in another order: the same too.
    pd.testing.assert_frame_equal(ahead, forecast(sample_log, as_of="2025-06-30"))
    other = forecast(table, seed=1)
    assert not other["expected_date"].equals(ahead["expected_date"])
    # A filtered table's dossiers are forecast from that table's own history.
    ameli = table[table["channel"] == "ameli"]
    assert set(forecast(ameli)["case_id"]) <= set(ahead["case_id"])


# ------------------------------------------------------------------ the backtest, by hand
def test_backtest_scores_by_hand():
    # History: 40 dossiers, rights in exactly 10 days, over before the cut. At the cut four open
    # dossiers were submitted 2 days before: each forecast is the point cut + 8 days.
    rows = [r for k in range(40) for r in dossier(f"P{k:02d}", T0 + k * DAY, 10)]
    cut = pd.Timestamp("2025-04-01 12:00")
    s = cut - 2 * DAY
    rows += dossier("X", s, 10)  # arrives at cut + 8: inside
    rows += dossier("Y", s, 22)  # arrives at cut + 20: outside (late)
    rows += dossier("Z", s) + [ev("Z", "case_closed", cut + 5 * DAY)]  # closed: left out
    rows += dossier("W", s) + [ev("W", "followup_message", cut + 30 * DAY)]  # still waiting at cut + 30: outside
    log = make_log(rows)
    detail = backtest_forecast(log, cuts=[cut], detail=True)
    by_case = detail.set_index("case_id")
    assert by_case.loc["X", "expected_date"] == cut + 8 * DAY
    assert by_case["outcome"].to_dict() == {"W": "waiting", "X": "arrived", "Y": "arrived", "Z": "closed"}
    assert by_case.loc["X", "inside"] == True  # noqa: E712 (a nullable boolean)
    assert by_case.loc["Y", "inside"] == False  # noqa: E712
    assert by_case.loc["W", "inside"] == False  # noqa: E712
    assert pd.isna(by_case.loc["Z", "inside"])
    assert by_case.loc["Y", "error_days"] == pytest.approx(12)
    summary = backtest_forecast(log, cuts=[cut])
    overall = summary.iloc[0]
    assert (overall["n_forecast"], overall["n_arrived"], overall["n_waiting"], overall["n_closed"],
            overall["n_judged"], overall["n_undecided"]) == (4, 2, 1, 1, 3, 0)
    assert overall["coverage"] == pytest.approx(1 / 3)
    assert overall["median_abs_error_days"] == pytest.approx(6)  # |0| and |12|
    # Known only up to cut + 5 days: W and Y still waiting, their interval (cut + 8) starts later —
    # not judged yet; X has not arrived either. Z is closed. Nothing can be judged.
    early = backtest_forecast(log, cuts=[cut], until=cut + 5 * DAY).iloc[0]
    assert (early["n_judged"], early["n_undecided"], early["n_closed"]) == (0, 3, 1)
    assert np.isnan(early["coverage"])
    # Known up to cut + 9 days: X arrived inside; Y and W waiting with their interval over: outside.
    mid = backtest_forecast(log, cuts=[cut], until=cut + 9 * DAY).iloc[0]
    assert (mid["n_judged"], mid["coverage"]) == (3, pytest.approx(1 / 3))


def test_backtest_on_the_sample_is_calibrated(sample_log):
    # The 80 % intervals hold about 80 % of the outcomes on the sample's own past (wide bounds: the
    # benchmark writes the exact figures; this guards against gross miscalibration, either way).
    summary = backtest_forecast(sample_log, cuts=["2024-09-30", "2024-12-31"])
    overall = summary.iloc[0]
    assert overall["n_judged"] > 1000
    assert 0.7 <= overall["coverage"] <= 0.92
