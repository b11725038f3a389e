"""Kaplan–Meier: equal to lifelines on random censored samples, and to a hand computation."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter

from vitale_analysis.km import km_bootstrap_medians, km_curve, km_grouped_quantiles, km_quantiles, km_survival

LEVELS = (0.5, 0.25, 0.1)


def lifelines_quantiles(days, observed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines' ApproximationWarning on percentile()
        fitter = KaplanMeierFitter().fit(days, observed)
        return np.array([fitter.percentile(q) for q in LEVELS], dtype=float)


samples = st.integers(1, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 15), min_size=n, max_size=n),  # small integers: many ties
        st.lists(st.booleans(), min_size=n, max_size=n),
    )
)


@settings(max_examples=300, deadline=None)
@given(samples)
def test_quantiles_equal_lifelines_with_ties(sample):
    days, observed = np.array(sample[0], dtype=float), np.array(sample[1])
    assert np.array_equal(km_quantiles(days, observed, LEVELS), lifelines_quantiles(days, observed))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(0, 400, allow_nan=False), min_size=1, max_size=60),
    st.lists(st.booleans(), min_size=60, max_size=60),
)
def test_quantiles_equal_lifelines_continuous(days, flags):
    days = np.array(days)
    observed = np.array(flags[: len(days)])
    assert np.array_equal(km_quantiles(days, observed, LEVELS), lifelines_quantiles(days, observed))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**6))
def test_survival_curve_equals_lifelines(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80))
    days = rng.integers(0, 30, n).astype(float)
    observed = rng.random(n) < 0.6
    curve = km_survival(days, observed)
    fitter = KaplanMeierFitter().fit(days, observed)
    reference = fitter.survival_function_["KM_estimate"]
    reference = reference[reference.index.isin(curve["days"])]
    np.testing.assert_allclose(curve["survival"].to_numpy(), reference.to_numpy(), rtol=0, atol=1e-12)
    table = fitter.event_table.loc[curve["days"]]
    assert curve["at_risk"].tolist() == table["at_risk"].tolist()
    assert curve["events"].tolist() == table["observed"].tolist()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**6))
def test_grouped_equals_one_group_at_a_time(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 200))
    days = rng.integers(0, 20, n).astype(float)
    observed = rng.random(n) < 0.5
    groups = rng.integers(-1, 4, n)  # -1: ignored
    grouped = km_grouped_quantiles(days, observed, groups, 4, LEVELS)
    for g in range(4):
        sel = groups == g
        expected = km_quantiles(days[sel], observed[sel], LEVELS) if sel.any() else np.full(3, np.nan)
        np.testing.assert_array_equal(grouped[g], expected)


@pytest.mark.parametrize("seed", range(20))
def test_one_group_without_codes_equals_km_quantiles(seed):
    """group_codes=None (every row in the one group): what km_quantiles gives, missing days ignored."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    days = rng.integers(0, 30, n).astype(float)
    days[rng.random(n) < 0.1] = np.nan
    observed = rng.random(n) < 0.6
    expected = km_quantiles(days, observed, LEVELS)  # (drops the missing days itself)
    np.testing.assert_array_equal(km_grouped_quantiles(days, observed, None, 1, LEVELS)[0], expected)
    np.testing.assert_array_equal(km_grouped_quantiles(days, observed, np.zeros(n, dtype=int), 1, LEVELS)[0], expected)


def test_hand_computation():
    # 10 (done), 15 (open), 20 (done), 25 (open), 30 (done):
    # S(10) = 4/5 = 0.8; at 15 one leaves censored; S(20) = 0.8 × 2/3 = 0.533;
    # at 25 one leaves; S(30) = 0.533 × 0/1 = 0. Median = first t with S ≤ 0.5 = 30,
    # while the finished-only median is 20.
    days = [10, 15, 20, 25, 30]
    observed = [True, False, True, False, True]
    curve = km_survival(days, observed)
    np.testing.assert_allclose(curve["survival"], [0.8, 0.8, 0.8 * 2 / 3, 0.8 * 2 / 3, 0.0])
    assert curve["at_risk"].tolist() == [5, 4, 3, 2, 1]
    assert km_quantiles(days, observed, LEVELS).tolist() == [30.0, 30.0, 30.0]


def test_all_open_gives_infinity_and_empty_gives_nan():
    assert km_quantiles([5, 9], [False, False]).tolist() == [float("inf")]
    assert np.isnan(km_quantiles([], [])[0])
    assert np.isnan(km_quantiles([np.nan], [True])[0])


def test_bootstrap_is_seeded_and_centred():
    rng = np.random.default_rng(3)
    days = rng.exponential(20, 500)
    observed = rng.random(500) < 0.8
    a = km_bootstrap_medians(days, observed, n_boot=300, rng=np.random.default_rng(1))
    b = km_bootstrap_medians(days, observed, n_boot=300, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    # Each resample's median is the median of a real resample: check a few against km_quantiles.
    # The resamples are drawn as sorted uniforms from exponential spacings (Rényi):
    # they must be sorted draws with replacement, each index equally likely.
    gaps = np.random.default_rng(1).standard_exponential((300, 501))
    sums = np.cumsum(gaps, axis=1)
    picks = np.minimum((sums[:, :-1] / sums[:, -1:] * 500).astype(np.int64), 499)
    assert (np.diff(picks, axis=1) >= 0).all()
    counts = np.bincount(picks.ravel(), minlength=500)  # 300 expected each, sd about 17
    assert 200 < counts.min() and counts.max() < 400
    order = np.lexsort((~observed, days))
    for i in range(3):
        sample = order[picks[i]]
        assert a[i] == pytest.approx(km_quantiles(days[sample], observed[sample])[0])
    point = km_quantiles(days, observed)[0]
    low, high = np.percentile(a, [2.5, 97.5])
    assert low < point < high


def test_sort_durations_matches_lexsort():
    """The packed-key sort gives what np.lexsort((~observed, days)) gives, negatives and -0.0 included."""
    from vitale_analysis.km import sort_durations

    rng = np.random.default_rng(11)
    for trial in range(50):
        n = int(rng.integers(0, 200))
        days = rng.choice([0.0, -0.0, 1.5, 2.0, 30.25, 1e9], n) if trial % 2 else rng.exponential(20, n).round(1)
        if trial % 5 == 0 and n:
            days[0] = -3.0  # not made by the case table; takes the plain sort
        observed = rng.random(n) < 0.6
        order = np.lexsort((~observed, days))
        got_days, got_observed = sort_durations(days, observed)
        assert np.array_equal(got_days, days[order]) and np.array_equal(got_observed, observed[order])


def test_without_sorted_is_the_sorted_rest():
    """Taking a part out of a sorted sample gives the rest, sorted: compared with sorting the rest
    itself (np.lexsort), on samples with many ties, both flags at one time, and -0.0."""
    from vitale_analysis.km import without_sorted

    rng = np.random.default_rng(12)
    for trial in range(60):
        n = int(rng.integers(1, 300))
        days = rng.choice([0.0, -0.0, 1.5, 2.0, 30.25], n) if trial % 2 else rng.exponential(20, n).round(1)
        observed = rng.random(n) < 0.6
        part = rng.random(n) < (0.0 if trial % 7 == 0 else 1.0 if trial % 11 == 0 else 0.3)
        order = np.lexsort((~observed, days))
        sub = np.lexsort((~observed[part], days[part]))
        got = without_sorted(days[order], observed[order], days[part][sub], observed[part][sub])
        rest = np.lexsort((~observed[~part], days[~part]))
        # (compared as numbers: -0.0 == 0.0, as the estimate sees them)
        assert np.array_equal(got[0], days[~part][rest]) and np.array_equal(got[1], observed[~part][rest])


def test_without_sorted_refuses_what_is_not_in_the_sample():
    from vitale_analysis.km import without_sorted

    days, observed = np.array([1.0, 2.0, 2.0, 5.0]), np.array([True, True, False, True])
    with pytest.raises(ValueError, match="not all in the sample"):
        without_sorted(days, observed, np.array([2.0, 2.0]), np.array([False, False]))  # one censored 2.0 only
    with pytest.raises(ValueError, match="not all in the sample"):
        without_sorted(days, observed, np.array([6.0]), np.array([True]))
    assert without_sorted(np.array([-1.0, 2.0]), np.array([True, True]), np.array([2.0]), np.array([True])) is None


late_entries = st.integers(1, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(1, 15), min_size=n, max_size=n),  # durations (ties)
        st.lists(st.booleans(), min_size=n, max_size=n),
        st.lists(st.floats(0, 1), min_size=n, max_size=n),  # entry as a share of the duration
        st.booleans(),  # entries on whole days (ties with durations) or not
    )
)


@settings(max_examples=300, deadline=None)
@given(late_entries)
def test_curve_with_late_entry_equals_lifelines(sample):
    days, observed = np.array(sample[0], dtype=float), np.array(sample[1])
    entry = np.array(sample[2]) * days
    entry = np.floor(entry) if sample[3] else entry
    # A dossier that enters when it leaves (entry = duration > 0) was never at risk: km_curve leaves it
    # out, lifelines counts its event against a risk set it is not in. Such entries are not compared.
    entry = np.where((entry >= days) & (entry > 0), days / 2, entry)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fitter = KaplanMeierFitter().fit(days, observed, entry=entry)
        except Exception:  # lifelines refuses logs where the risk set empties early (StatError)
            return
    times, survival = km_curve(days, observed, entry)
    expected = fitter.survival_function_.iloc[:, 0].reindex(times).to_numpy()
    np.testing.assert_allclose(survival, expected, rtol=0, atol=1e-12)
    # Without late entries, the curve is lifelines' plain one.
    times, survival = km_curve(days, observed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = KaplanMeierFitter().fit(days, observed).survival_function_.iloc[:, 0]
    np.testing.assert_allclose(survival, plain.reindex(times).to_numpy(), rtol=0, atol=1e-12)
