"""The summaries on a Dask cluster equal the in-memory ones (issue 22).

Expected values come from a second method: the in-memory functions on the same
log (the reference), lifelines, NumPy, or a hand computation. The Kaplan–Meier
merge is checked on plain NumPy first (no cluster); the rest on a small
2-worker LocalCluster shared by this module.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times

import vitale_analysis as va
from vitale_analysis.errors import CaseLogError
from vitale_analysis.km import (km_counts, km_counts_summary, km_grouped_counts_summary, km_grouped_summary,
                                km_summary_sorted, median_from_counts, merge_km_counts, percentile_from_counts,
                                sort_durations)

distributed = pytest.importorskip("distributed")
from vitale_analysis.distributed import DistributedLog, DistributedWorklist

AS_OF = "2025-06-30"
LEVELS = (0.5, 0.25, 0.1)


# ============================================================================ the merge, no cluster
def merged(days, observed, n_parts, keys=None, rng=None):
    """Count frames of ``n_parts`` random parts (by position), merged."""
    rng = rng or np.random.default_rng(0)
    cuts = np.sort(rng.integers(0, len(days) + 1, n_parts - 1))
    parts = np.split(rng.permutation(len(days)), cuts)
    frames = [km_counts(days[p], observed[p], keys={k: v[p] for k, v in (keys or {}).items()}) for p in parts]
    return merge_km_counts(frames, keys=list(keys or {}))


def arrays(frame):
    return frame["days"].to_numpy(), frame["events"].to_numpy(), frame["censored"].to_numpy()


def test_counts_and_estimates_by_hand():
    # Part A: 2 (ended), 3 (ended), 8 (open); part B: 2 (open), 5 (ended), 5 (open).
    a = km_counts(np.array([2.0, 3.0, 8.0]), np.array([True, True, False]))
    b = km_counts(np.array([5.0, 2.0, 5.0]), np.array([True, False, False]))
    counts = merge_km_counts([a, b])
    assert counts.to_dict("list") == {"days": [2.0, 3.0, 5.0, 8.0], "events": [1, 1, 1, 0],
                                      "censored": [1, 0, 1, 1]}
    # S: at 2, 1 - 1/6 = 5/6; at 3, 5/6 · 3/4 = 0.625; at 5, 0.625 · 2/3 = 0.4167; at 8, no event.
    # Median: first time S ≤ 0.5 → 5; 75th percentile (S ≤ 0.25): never → inf.
    quantiles, _ = km_counts_summary(*arrays(counts), levels=(0.5, 0.25), confidence=None)
    assert list(quantiles) == [5.0, np.inf]
    assert median_from_counts(counts["days"].to_numpy(), counts["events"].to_numpy()) == 3.0  # of 2, 3, 5
    # 90th percentile of 2, 2, 3, 5, 5, 8: position 4.5 → halfway between 5 and 8.
    assert percentile_from_counts(counts["days"].to_numpy(), (counts["events"] + counts["censored"]).to_numpy(),
                                  90) == 6.5


def lifelines_summary(days, observed, confidence):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter = KaplanMeierFitter(alpha=1 - confidence).fit(days, observed)
        quantiles = [fitter.percentile(q) for q in LEVELS]
        interval = median_survival_times(fitter.confidence_interval_).to_numpy(dtype=float).ravel()
    return np.array(quantiles, dtype=float), interval


@pytest.mark.parametrize("seed", range(40))
def test_merged_counts_equal_the_whole_sample(seed):
    """Random samples with ties and censoring, split into 1–8 parts: the estimates from the merged
    counts are the in-memory functions' numbers exactly, and lifelines' to 1e-9."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 500))
    days = rng.integers(0, 30, n).astype(float) if seed % 2 else rng.exponential(20, n).round(3)
    observed = rng.random(n) < rng.uniform(0.1, 0.95)
    counts = merged(days, observed, int(rng.integers(1, 9)), rng=rng)
    got_q, got_ci = km_counts_summary(*arrays(counts), levels=LEVELS, confidence=0.9)
    want_q, want_ci = km_summary_sorted(*sort_durations(days, observed), levels=LEVELS, confidence=0.9)
    np.testing.assert_array_equal(got_q, want_q)
    np.testing.assert_array_equal(got_ci, want_ci)
    life_q, life_ci = lifelines_summary(days, observed, 0.9)
    np.testing.assert_allclose(got_q, life_q, rtol=1e-9)
    np.testing.assert_allclose(got_ci, life_ci, rtol=1e-9)
    d, e, c = arrays(counts)
    expected_median = np.median(days[observed]) if observed.any() else np.nan
    np.testing.assert_array_equal(median_from_counts(d, e), expected_median)
    for percentile in (90, 75, 50, 33.3, 1, 99.9):
        assert percentile_from_counts(d, e + c, percentile) == np.percentile(days, percentile)


@pytest.mark.parametrize("seed", range(20))
def test_grouped_merge_equals_the_grouped_estimate(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(1, 600))
    days = rng.integers(0, 25, n).astype(float)
    observed = rng.random(n) < 0.6
    groups = rng.integers(0, 6, n)
    groups[groups == 4] = 3  # group 4: empty
    counts = merged(days, observed, int(rng.integers(1, 6)), keys={"group": groups}, rng=rng)
    got, got_ci = km_grouped_counts_summary(counts["group"].to_numpy(), *arrays(counts), 6, LEVELS, 0.95)
    want, want_ci = km_grouped_summary(days, observed, groups, 6, LEVELS, 0.95)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got_ci, want_ci)


@pytest.mark.parametrize("size", [1, 127, 128, 255, 256, 32_767, 32_768, 40_000])
def test_sizes_crossing_integer_widths(size):
    """Count frames of ``size`` distinct durations, and ``size`` dossiers tied at one duration
    (counts past 8 and 16 bits), merged from parts: the same estimates as the whole sample."""
    rng = np.random.default_rng(size)
    distinct = np.arange(size, dtype=float) + 0.5
    tied = np.full(size, 7.0)
    for days in (distinct, np.r_[tied, distinct[: size // 3]]):
        observed = rng.random(len(days)) < 0.7
        counts = merged(days, observed, 3, rng=rng)
        assert counts["events"].sum() + counts["censored"].sum() == len(days)
        got_q, got_ci = km_counts_summary(*arrays(counts), levels=LEVELS, confidence=0.95)
        want_q, want_ci = km_summary_sorted(*sort_durations(days, observed), levels=LEVELS, confidence=0.95)
        np.testing.assert_array_equal(got_q, want_q)
        np.testing.assert_array_equal(got_ci, want_ci)
        d, e, c = arrays(counts)
        assert percentile_from_counts(d, e + c, 90) == np.percentile(days, 90)


# ============================================================================ on a cluster
@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def simulated():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return va.validate(va.simulate(3000, seed=7, as_of=AS_OF))


def dist(log, client, k):
    return DistributedLog.from_caselog(log, npartitions=k, client=client)


@pytest.mark.parametrize("k", [1, 3, 7])
@pytest.mark.parametrize("by", [None, "office", "channel", ["channel", "born_abroad"], "start_month"])
def test_phase_summary_on_the_sample(sample_log, client, k, by):
    got = va.phase_summary(dist(sample_log, client, k), by=by, as_of=AS_OF)
    expected = va.phase_summary(sample_log, by=by, as_of=AS_OF)
    pd.testing.assert_frame_equal(got, expected, rtol=1e-9)
    assert {key: str(v) for key, v in got.attrs.items()} == {key: str(v) for key, v in expected.attrs.items()}


@pytest.mark.parametrize("k", [1, 3, 7])
def test_phase_summary_on_a_simulated_log(simulated, client, k):
    dlog = dist(simulated, client, k)
    for by, days in [(None, "calendar"), ("office", "working"), (["channel", "born_abroad"], "calendar")]:
        got = va.phase_summary(va.case_table(dlog, as_of="2025-03-31", days=days), by=by, percentiles=(10, 50, 95),
                               confidence=0.8)
        expected = va.phase_summary(va.case_table(simulated, as_of="2025-03-31", days=days), by=by,
                                    percentiles=(10, 50, 95), confidence=0.8)
        pd.testing.assert_frame_equal(got, expected, rtol=1e-9)


def test_a_table_keeps_its_cut(sample_log, client):
    table = va.case_table(dist(sample_log, client, 2), as_of=AS_OF)
    with pytest.raises(CaseLogError, match="as of"):
        va.phase_summary(table, as_of="2025-01-31")
    with pytest.raises(CaseLogError, match="working"):
        va.stalled(table, days="working")
    with pytest.raises(CaseLogError, match="offise"):
        va.phase_summary(table, by="offise")
    with pytest.raises(CaseLogError, match="percentiles"):
        va.phase_summary(table, percentiles=(150,))


@pytest.mark.parametrize("as_of", [AS_OF, "2025-01-15"])
def test_thresholds_from_the_merged_curves(simulated, client, as_of):
    dlog = dist(simulated, client, 3)
    # (99.5 % as of 2025-01-15: the ssn curve never falls that low, the plain percentile is used)
    for kw in [{}, {"percentile": 50}, {"percentile": 99.5, "thresholds": {"rights": 30}}]:
        assert va.phase_thresholds(dlog, as_of=as_of, **kw) == va.phase_thresholds(simulated, as_of=as_of, **kw)


def test_a_partition_with_no_event_by_as_of(simulated, client):
    as_of = "2024-03-15"  # (the log starts 2024-01-02; its last dossiers start later)
    expected = va.phase_summary(simulated, as_of=as_of)
    log = dist(simulated, client, 3)
    pd.testing.assert_frame_equal(va.phase_summary(log, as_of=as_of), expected, rtol=1e-9)
    pd.testing.assert_frame_equal(va.stalled(log, as_of=as_of).compute(), va.stalled(simulated, as_of=as_of))
    pd.testing.assert_frame_equal(va.trigger_summary(log, as_of=as_of), va.trigger_summary(simulated, as_of=as_of),
                                  rtol=1e-9)


@pytest.mark.parametrize("k", [1, 3, 7])
def test_worklist_equals_the_in_memory_one(sample_log, simulated, client, k, tmp_path):
    for log, kw in [(sample_log, {"by": "channel"}), (simulated, {"days": "working", "followup_days": 7})]:
        worklist = va.stalled(dist(log, client, k), as_of=AS_OF, **kw)
        expected = va.stalled(log, as_of=AS_OF, **kw)
        assert isinstance(worklist, DistributedWorklist) and len(expected) > 20
        assert worklist.thresholds == va.phase_thresholds(log, as_of=AS_OF, days=kw.get("days"))
        pd.testing.assert_frame_equal(worklist.compute(), expected)
        assert worklist.compute().attrs == expected.attrs
        pd.testing.assert_frame_equal(worklist.head(12), expected.head(12))
        assert len(worklist) == len(expected)
    worklist.to_parquet(tmp_path / "worklist")
    back = pd.concat([pd.read_parquet(p) for p in sorted((tmp_path / "worklist").glob("*.parquet"))])
    assert sorted(back["case_id"]) == sorted(expected["case_id"])


@pytest.mark.parametrize("k", [1, 3, 7])
def test_trigger_summary_equals_the_in_memory_one(sample_log, simulated, client, k):
    for log, kw in [(sample_log, {}), (sample_log, {"by": "channel", "seed": 4, "n_boot": 50}),
                    (simulated, {"by": "start_quarter", "days": "working", "bootstrap_cap": 100})]:
        got = va.trigger_summary(dist(log, client, k), as_of=AS_OF, **kw)
        expected = va.trigger_summary(log, as_of=AS_OF, **kw)
        assert len(expected) and expected["extra_days_ci_low"].notna().any()
        pd.testing.assert_frame_equal(got, expected, rtol=1e-9)


@pytest.mark.parametrize("k", [1, 3])
def test_a_persisted_table_gives_the_same_summaries_without_remaking_itself(simulated, client, k):
    table = va.case_table(dist(simulated, client, k), as_of=AS_OF, days="working").persist()
    assert table.persist() is table and len(table.tables) == k
    distributed.wait(table.tables)
    expected = va.case_table(simulated, as_of=AS_OF, days="working")
    with distributed.get_task_stream(client) as stream:
        summary = va.phase_summary(table, by="office")
        worklist = va.stalled(table).compute()
        triggers = va.trigger_summary(table, by="channel")
    # The events were not turned into case tables again: no task ran the per-partition builder.
    ran = {str(t["key"][0] if isinstance(t["key"], tuple) else t["key"]).rsplit("-", 1)[0] for t in stream.data}
    assert not ran & {"one", "_itself"}, ran
    pd.testing.assert_frame_equal(summary, va.phase_summary(expected, by="office"), rtol=1e-9)
    pd.testing.assert_frame_equal(worklist, va.stalled(expected))
    pd.testing.assert_frame_equal(triggers, va.trigger_summary(expected, by="channel"), rtol=1e-9)
    frame = table.frame.compute()
    pd.testing.assert_frame_equal(frame.assign(case_id=frame["case_id"].astype(str)).sort_values("case_id")
                                  .reset_index(drop=True),
                                  expected.to_frame().assign(case_id=lambda f: f["case_id"].astype(str))
                                  .sort_values("case_id").reset_index(drop=True))


def test_a_trigger_outside_the_model_keeps_its_seed(simulated, client):
    """Unknown trigger keys come after the model's, sorted, as validation orders them: the
    seeded resampling of each (group, trigger) is the same as in memory."""
    raw = va.simulate(800, seed=9, as_of=AS_OF)
    raw["trigger"] = raw["trigger"].astype(object)
    rows = np.flatnonzero(raw["trigger"].notna().to_numpy())
    raw.loc[raw.index[rows[::3]], "trigger"] = "zz_local_rule"
    raw.loc[raw.index[rows[1::5]], "trigger"] = "aa_local_rule"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        log = va.validate(raw)
    got = va.trigger_summary(dist(log, client, 3), as_of=AS_OF)
    expected = va.trigger_summary(log, as_of=AS_OF)
    assert {"zz_local_rule", "aa_local_rule"} <= set(expected["trigger"])
    pd.testing.assert_frame_equal(got, expected, rtol=1e-9)


def test_missing_attribute_values_are_groups_of_their_own(client):
    raw = va.simulate(1500, seed=3, as_of=AS_OF)
    last_digit = raw["case_id"].astype(str).str[-1]
    raw["office"] = raw["office"].astype(object).where(~last_digit.isin(["3", "7"]), None)
    raw["born_abroad"] = raw["born_abroad"].astype(object).where(last_digit != "5", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        log = va.validate(raw)
    dlog = dist(log, client, 3)
    for by in ["office", ["born_abroad", "channel"], ["office", "start_year"]]:
        expected = va.phase_summary(log, by=by)
        assert expected[by if isinstance(by, str) else by[0]].isna().any()
        pd.testing.assert_frame_equal(va.phase_summary(dlog, by=by), expected, rtol=1e-9)
        pd.testing.assert_frame_equal(va.trigger_summary(dlog, by=by), va.trigger_summary(log, by=by), rtol=1e-9)
        pd.testing.assert_frame_equal(va.stalled(dlog, by=by).compute(), va.stalled(log, by=by))
