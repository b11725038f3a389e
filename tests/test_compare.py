"""Intervals on medians and differences between cohorts, checked against lifelines and by hand.

lifelines is the independent method: its ``confidence_interval_`` read by
``median_survival_times`` for the median's interval, ``logrank_test`` and
``multivariate_logrank_test`` for the tests. Hand computations check the
formulas on samples small enough to follow.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test, multivariate_logrank_test
from lifelines.utils import median_survival_times

import vitale_analysis as va
from vitale_analysis import CARTE_VITALE, case_table
from vitale_analysis.km import chi2_sf, km_grouped_summary, km_median_ci, logrank

TOL = 1e-6


def lifelines_median_ci(days, observed, confidence=0.95) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter = KaplanMeierFitter(alpha=1 - confidence).fit(np.asarray(days, dtype=float), np.asarray(observed))
        return median_survival_times(fitter.confidence_interval_).to_numpy(dtype=float).ravel()


def assert_same(got, expected):
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    assert np.array_equal(np.isinf(got), np.isinf(expected)), (got, expected)
    assert np.array_equal(np.isnan(got), np.isnan(expected)), (got, expected)
    finite = np.isfinite(expected)
    np.testing.assert_allclose(got[finite], expected[finite], rtol=0, atol=TOL)


# ------------------------------------------------------------------ the median's interval
def test_median_interval_by_hand():
    # 1, 2, 3, 4 days, all finished. S = .75, .5, .25, 0; Greenwood V = 1/12, 1/4, 3/4.
    # At 1 day the lower band is exp(-exp(log .2877 + 1.96 √(1/12) / .2877)) = 0.128 ≤ .5: low = 1.
    # The upper band: .96 at 1, .845 at 2, exp(-exp(log 1.386 - 1.96 √.75 / 1.386)) = .665 at 3,
    # 0 at 4 (S = 0): high = 4.
    assert km_median_ci([1, 2, 3, 4], [True] * 4) == (1.0, 4.0)
    assert km_median_ci([5], [True]) == (5.0, 5.0)
    low, high = km_median_ci([5, 9], [False, False])  # nobody finished: the band stays at 1
    assert math.isinf(low) and math.isinf(high)
    assert all(math.isnan(v) for v in km_median_ci([], []))


samples = st.integers(1, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 15), min_size=n, max_size=n),  # small integers: many ties
        st.lists(st.booleans(), min_size=n, max_size=n),
    )
)


@settings(max_examples=300, deadline=None)
@given(samples, st.sampled_from([0.95, 0.9, 0.8]))
def test_median_interval_equals_lifelines_with_ties(sample, confidence):
    days, observed = np.array(sample[0], dtype=float), np.array(sample[1])
    assert_same(km_median_ci(days, observed, confidence), lifelines_median_ci(days, observed, confidence))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(0.01, 400, allow_nan=False), min_size=1, max_size=80), st.integers(0, 2**32 - 1))
def test_median_interval_equals_lifelines_continuous(days, seed):
    days = np.array(days)
    observed = np.random.default_rng(seed).random(len(days)) < 0.7
    assert_same(km_median_ci(days, observed), lifelines_median_ci(days, observed))


@pytest.mark.parametrize("seed", range(30))
def test_grouped_intervals_equal_lifelines_per_group(seed):
    """Many groups at once, with one-dossier groups, all-open groups and empty groups among them."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    days = rng.integers(0, 40, n).astype(float) if seed % 2 else rng.exponential(25, n).round(2)
    observed = rng.random(n) < rng.uniform(0.2, 0.9)
    groups = rng.integers(-1, 8, n)  # -1: ignored
    groups[groups == 5] = 4  # group 5: empty
    observed[groups == 6] = False  # group 6: nobody finished
    singles = np.flatnonzero(groups == 7)[1:]  # group 7: one dossier
    groups[singles] = 3
    _, intervals = km_grouped_summary(days, observed, groups, 8, confidence=0.95)
    for g in range(8):
        sel = groups == g
        expected = lifelines_median_ci(days[sel], observed[sel]) if sel.any() else [np.nan, np.nan]
        assert_same(intervals[g], expected)


@pytest.fixture(scope="module")
def sample(sample_log):
    return sample_log, case_table(sample_log)


def _timed(durations: pd.DataFrame, phase: str) -> pd.DataFrame:
    return durations[(durations["phase"] == phase) & durations["state"].isin(["finished", "open", "closed"])]


def test_sample_median_intervals_equal_lifelines(sample):
    log, cases = sample
    summary = va.phase_summary(cases).set_index("phase")
    durations = va.phase_durations(log)
    for phase in CARTE_VITALE.phase_keys:
        rows = _timed(durations, phase)
        expected = lifelines_median_ci(rows["days"], rows["state"] == "finished")
        assert_same(summary.loc[phase, ["median_days_ci_low", "median_days_ci_high"]], expected)
        assert summary.loc[phase, "median_days_ci_low"] <= summary.loc[phase, "median_days"] \
            <= summary.loc[phase, "median_days_ci_high"]
    assert summary.attrs["confidence"] == 0.95


@pytest.mark.slow
def test_sample_median_intervals_by_office_equal_lifelines(sample):
    log, cases = sample
    summary = va.phase_summary(cases, by="office", confidence=0.9)
    durations = va.phase_durations(log).merge(cases.to_frame()[["case_id", "office"]], on="case_id")
    for row in summary.itertuples():
        rows = _timed(durations, row.phase)
        rows = rows[rows["office"] == row.office]
        expected = lifelines_median_ci(rows["days"], rows["state"] == "finished", 0.9) if len(rows) else [np.nan] * 2
        assert_same([row.median_days_ci_low, row.median_days_ci_high], expected)


def test_interval_columns_sit_beside_the_median(sample):
    _, cases = sample
    assert list(va.phase_summary(cases).columns[6:]) == [
        "median_days", "median_days_ci_low", "median_days_ci_high", "p75_days", "p90_days",
        "median_days_completed_only"]
    plain = va.phase_summary(cases, confidence=None)
    assert "median_days_ci_low" not in plain and plain.attrs["confidence"] is None
    no_median = va.phase_summary(cases, percentiles=(75,))
    assert list(no_median.columns[6:]) == ["p75_days", "median_days_ci_low", "median_days_ci_high",
                                           "median_days_completed_only"]
    with pytest.raises(va.CaseLogError, match="confidence=1.5"):
        va.phase_summary(cases, confidence=1.5)


# ------------------------------------------------------------------ log-rank
def test_chi2_sf_known_values():
    assert chi2_sf(3.841458820694124, 1) == pytest.approx(0.05, abs=1e-12)  # the 5 % point of χ²(1)
    assert chi2_sf(5.991464547107979, 2) == pytest.approx(0.05, abs=1e-12)  # of χ²(2)
    for x in (0.3, 2.0, 17.5):
        assert chi2_sf(x, 2) == pytest.approx(math.exp(-x / 2), abs=1e-15)  # χ²(2) is exponential
        assert chi2_sf(x, 1) == pytest.approx(math.erfc(math.sqrt(x / 2)), abs=1e-15)
        # χ²(3): erfc(√(x/2)) + √(2x/π) e^(−x/2)
        assert chi2_sf(x, 3) == pytest.approx(math.erfc(math.sqrt(x / 2)) + math.sqrt(2 * x / math.pi)
                                              * math.exp(-x / 2), abs=1e-15)
    assert chi2_sf(0.0, 4) == 1.0 and math.isnan(chi2_sf(float("nan"), 1))


def test_logrank_by_hand():
    # A: 1, 3 (both finished); B: 2, 4 (both finished). At 1: 4 at risk, 2 of A: E_A = 1/2,
    # V = 1·3/3·(2/4)(2/4) = 1/4. At 2: 3 at risk, 1 of A: E_A = 1/3, V = (1/3)(2/3) = 2/9.
    # At 3: 2 at risk, 1 of A: E_A = 1/2, V = 1/4. At 4: none of A. O_A − E_A = 2 − 4/3 = 2/3,
    # V = 1/4 + 2/9 + 1/4 = 13/18; χ² = (4/9) / (13/18) = 8/13.
    statistic, df, o_minus_e = logrank([1, 3, 2, 4], [True] * 4, [0, 0, 1, 1], 2)
    assert statistic == pytest.approx(8 / 13, abs=1e-12) and df == 1
    np.testing.assert_allclose(o_minus_e, [2 / 3, -2 / 3], atol=1e-12)
    assert math.isnan(logrank([1, 2], [True, True], [0, 0], 2)[0])  # one group present: no test


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_logrank_equals_lifelines(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 120))
    n_groups = int(rng.integers(2, 6))
    days = rng.integers(0, 12, n).astype(float) if seed % 2 else rng.exponential(10, n).round(1)
    observed = rng.random(n) < rng.uniform(0, 1)
    groups = rng.integers(0, n_groups, n)
    present = np.unique(groups)
    statistic, df, _ = logrank(days, observed, groups, n_groups)
    if len(present) < 2:
        assert math.isnan(statistic)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if len(present) == 2:
            a, b = groups == present[0], groups == present[1]
            reference = logrank_test(days[a], days[b], observed[a], observed[b])
        else:
            reference = multivariate_logrank_test(days, groups, observed)
    assert df == len(present) - 1
    assert statistic == pytest.approx(reference.test_statistic, abs=TOL)
    assert chi2_sf(statistic, df) == pytest.approx(reference.p_value, abs=TOL)


def test_logrank_in_chunks_equals_one_block():
    rng = np.random.default_rng(4)
    days = rng.exponential(30, 3000).round(2)
    observed = rng.random(3000) < 0.8
    groups = rng.integers(0, 4, 3000)
    whole = logrank(days, observed, groups, 4)
    chunked = logrank(days, observed, groups, 4, chunk=7)
    assert chunked[0] == pytest.approx(whole[0], rel=1e-12)
    np.testing.assert_allclose(chunked[2], whole[2], atol=1e-9)


# ------------------------------------------------------------------ compare_cohorts
def _phase_groups(log, cases, phase, by):
    durations = va.phase_durations(log).merge(cases.to_frame()[["case_id", by]], on="case_id")
    return _timed(durations, phase)


@pytest.mark.parametrize("phase", ["ssn", "rights", "card"])
def test_two_cohorts_equal_lifelines_logrank(sample, phase):
    log, cases = sample
    table = va.compare_cohorts(cases, phase, by="channel", n_boot=50)
    rows = _phase_groups(log, cases, phase, "channel")
    a, b = rows[rows["channel"] == "ameli"], rows[rows["channel"] == "postal"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = logrank_test(a["days"], b["days"], a["state"] == "finished", b["state"] == "finished")
    assert table["channel"].tolist() == ["ameli", "postal"]
    assert table["logrank_statistic"].iloc[0] == pytest.approx(reference.test_statistic, abs=TOL)
    assert table["p_value"].iloc[0] == pytest.approx(reference.p_value, abs=TOL)
    assert table["logrank_df"].tolist() == [1, 1]
    # Per-cohort medians and intervals: lifelines on each cohort's durations.
    for cohort, rows_c in (("ameli", a), ("postal", b)):
        rec = table.set_index("channel").loc[cohort]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            median = KaplanMeierFitter().fit(rows_c["days"], rows_c["state"] == "finished").median_survival_time_
        assert rec["median_days"] == pytest.approx(median, abs=TOL)
        assert_same([rec["median_days_ci_low"], rec["median_days_ci_high"]],
                    lifelines_median_ci(rows_c["days"], rows_c["state"] == "finished"))
        assert rec["n"] == len(rows_c) and rec["n_open"] == (rows_c["state"] == "open").sum()
    # The difference: postal's median less ameli's (the reference: first in order).
    assert table["reference"].tolist() == [True, False]
    postal = table.iloc[1]
    assert postal["difference_days"] == pytest.approx(postal["median_days"] - table.iloc[0]["median_days"])
    assert postal["difference_days_ci_low"] <= postal["difference_days"] <= postal["difference_days_ci_high"]
    assert np.isnan(table.iloc[0]["difference_days"])


def test_many_cohorts_equal_lifelines_multivariate(sample):
    log, cases = sample
    table = va.compare_cohorts(cases, "rights", by="office", n_boot=0)
    rows = _phase_groups(log, cases, "rights", "office")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = multivariate_logrank_test(rows["days"], rows["office"], rows["state"] == "finished")
    assert table["logrank_statistic"].iloc[0] == pytest.approx(reference.test_statistic, abs=TOL)
    assert table["p_value"].iloc[0] == pytest.approx(reference.p_value, abs=TOL)
    assert (table["logrank_df"] == rows["office"].nunique() - 1).all()
    assert table["difference_days_ci_low"].isna().all()  # n_boot=0: no interval


def test_compare_cohorts_is_seeded_and_takes_a_reference(sample):
    _, cases = sample
    one = va.compare_cohorts(cases, ["rights", "card"], by="channel", n_boot=200, seed=3)
    again = va.compare_cohorts(cases, ["rights", "card"], by="channel", n_boot=200, seed=3)
    pd.testing.assert_frame_equal(one, again)
    assert one["phase"].astype(str).tolist() == ["rights", "rights", "card", "card"]
    flipped = va.compare_cohorts(cases, ["rights", "card"], by="channel", n_boot=200, seed=3, reference="postal")
    assert flipped["reference"].tolist() == [False, True, False, True]
    np.testing.assert_allclose(flipped["difference_days"].iloc[[0, 2]], -one["difference_days"].iloc[[1, 3]])
    assert flipped.attrs["reference"] == "postal"


def test_bootstrap_cap_keeps_the_interval_width():
    """Resampled in smaller batches, the interval is scaled back to the full sample's width (m-out-of-n)."""
    rng = np.random.default_rng(8)
    n = 4000
    rows = []
    for i in range(n):
        office = "A" if i % 2 else "B"
        start = pd.Timestamp("2025-01-01") + pd.Timedelta(days=int(rng.integers(0, 60)))
        rights = start + pd.Timedelta(days=float(rng.exponential(30 if office == "A" else 40)))
        rows += [{"case_id": f"C{i}", "event": "dossier_submitted", "timestamp": start, "office": office},
                 {"case_id": f"C{i}", "event": "rights_opened", "timestamp": rights, "office": office}]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        log = va.validate(va.read_caselog(pd.DataFrame(rows)))
    full = va.compare_cohorts(log, "rights", by="office", n_boot=400, bootstrap_cap=5000).iloc[1]
    capped = va.compare_cohorts(log, "rights", by="office", n_boot=400, bootstrap_cap=500).iloc[1]
    width = full["difference_days_ci_high"] - full["difference_days_ci_low"]
    capped_width = capped["difference_days_ci_high"] - capped["difference_days_ci_low"]
    assert 0.7 < capped_width / width < 1.4  # unscaled, 500 of 2000 a cohort would be twice as wide
    assert capped["difference_days_ci_low"] < capped["difference_days"] < capped["difference_days_ci_high"]


def test_compare_cohorts_errors(sample):
    _, cases = sample
    with pytest.raises(va.CaseLogError, match="needs by="):
        va.compare_cohorts(cases, "rights", by=None)
    with pytest.raises(va.CaseLogError, match="did you mean 'rights'"):
        va.compare_cohorts(cases, "right", by="channel")
    with pytest.raises(va.CaseLogError, match="no such cohort.*ameli"):
        va.compare_cohorts(cases, "rights", by="channel", reference="email")


# ------------------------------------------------------------------ phase_trend
def test_phase_trend_is_phase_summary_by_start_period(sample):
    _, cases = sample
    trend = va.phase_trend(cases, "rights")
    summary = va.phase_summary(cases, by="start_month", percentiles=(50,))
    expected = summary[summary["phase"] == "rights"].reset_index(drop=True)
    assert trend["start_month"].tolist() == sorted(expected["start_month"])
    pd.testing.assert_frame_equal(trend.drop(columns="phase"), expected.drop(columns="phase")[trend.columns[1:]],
                                  check_like=False)
    by_quarter = va.phase_trend(cases, ["ssn", "rights"], freq="Q", by="channel")
    assert list(by_quarter.columns[:4]) == ["phase", "channel", "start_quarter", "n"]
    assert by_quarter["phase"].astype(str).unique().tolist() == ["ssn", "rights"]
    with pytest.raises(va.CaseLogError, match="freq='W'"):
        va.phase_trend(cases, freq="W")
