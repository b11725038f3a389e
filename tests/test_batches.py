"""The batched case table equals the whole-log case table (a second method), whatever the batch size."""

from __future__ import annotations

import sys
import warnings

import pandas as pd
import pyarrow.parquet as pq
import pytest
from pandas.testing import assert_frame_equal

import vitale_analysis as va
from vitale_analysis import batches
from vitale_analysis import CaseLogError, DataQualityWarning, case_table_batched, chartdata, iter_case_batches

AS_OF = "2025-06-15"


def assert_same_table(cases, expected) -> None:
    """The same rows, as of the same cut (a bare date: the next midnight, left out), in the same days."""
    assert cases.as_of == expected.as_of == va.AsOf(pd.Timestamp("2025-06-16 00:00"), inclusive=False)
    assert cases.days == expected.days
    assert_frame_equal(cases.to_frame(), expected.to_frame())


@pytest.fixture(scope="module")
def log_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("batches") / "log.parquet"
    va.write_events(va.simulate(1500, seed=11, as_of="2025-06-30"), path)
    return path


@pytest.fixture(scope="module", autouse=True, params=["dask", "loop"])
def engine(request):
    """Every test twice: over Dask (the extra installed: a 2-worker cluster as the default client) and by
    the batch loop (the import of ``distributed`` made to fail, as without the extra)."""
    if request.param == "loop":
        with pytest.MonkeyPatch.context() as patch:
            patch.setitem(sys.modules, "distributed", None)  # (import distributed → ImportError)
            assert not batches.dask_installed()
            yield "loop"
        return
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = distributed.Client(cluster)  # (the default client: case_table_batched runs on it)
    assert batches.dask_installed()
    yield "dask"
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def whole(log_file):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        log = va.load(log_file, as_of=AS_OF)
    return log, va.case_table(log, as_of=AS_OF)


@pytest.mark.parametrize("batch_rows", [150, 997, 10**7])
def test_batched_case_table_equals_the_whole_log_one(log_file, whole, batch_rows):
    log, expected = whole
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        cases, quality = case_table_batched(log_file, as_of=AS_OF, batch_rows=batch_rows)
    assert_same_table(cases, expected)
    assert quality.rows_read == log.quality.rows_read
    assert quality.rows_kept == log.quality.rows_kept
    assert quality.set_aside == log.quality.set_aside
    assert quality.rows_read == quality.rows_kept + quality.n_set_aside
    assert_frame_equal(quality.failures, log.quality.failures)
    assert quality.n_cases == log.quality.n_cases


def test_a_batched_table_feeds_the_summaries_and_charts(log_file, whole):
    """A table built in batches has no log: the summaries and the chart tables still take it
    (no labels of the user's to show) and give what the whole log's table gives."""
    _, expected = whole
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        cases, _ = case_table_batched(log_file, as_of=AS_OF, batch_rows=997)
    assert cases.log is None and cases.labels == {}
    assert_frame_equal(va.phase_summary(cases), va.phase_summary(expected))
    assert_frame_equal(chartdata.phase_quartiles(cases), chartdata.phase_quartiles(expected))
    assert chartdata.population(cases) == chartdata.population(expected)
    assert_frame_equal(chartdata.open_by_age(cases), chartdata.open_by_age(expected))


def test_batches_hold_whole_cases_and_every_row_once(log_file):
    seen_rows, seen_cases = [], set()
    for frame in iter_case_batches(log_file, batch_rows=700):
        ids = set(frame["case_id"].astype(str))
        assert not (ids & seen_cases), "a case was split across batches"
        seen_cases |= ids
        seen_rows.extend(frame["row"].tolist())
    n = pq.ParquetFile(log_file).metadata.num_rows
    assert seen_rows == list(range(1, n + 1))


def test_a_folder_of_parquet_files_reads_in_name_order(tmp_path, log_file, whole):
    table = pq.read_table(log_file)
    folder = tmp_path / "parts"
    folder.mkdir()
    # Split at case boundaries and inside a case: a case's rows straddle two files.
    cut = [0, 4000, 4003, 9000, table.num_rows]
    for i, (a, b) in enumerate(zip(cut, cut[1:])):
        pq.write_table(table.slice(a, b - a), folder / f"part-{i:02d}.parquet")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        cases, _ = case_table_batched(folder, as_of=AS_OF, batch_rows=3000)
    assert_same_table(cases, whole[1])


def test_a_file_out_of_case_order_is_refused(tmp_path, engine):
    frame = pd.DataFrame({
        "case_id": ["B", "B", "A"],
        "event": ["registration_submitted", "registration_accepted", "registration_submitted"],
        "timestamp": pd.to_datetime(["2025-01-02 09:00", "2025-01-03 09:00", "2025-01-04 09:00"]),
    })
    path = tmp_path / "unsorted.parquet"
    frame.to_parquet(path, index=False)
    if engine == "dask":  # shuffled by case on Dask: the file's order does not matter
        cases, _ = case_table_batched(path, as_of="2025-02-01", batch_rows=2)
        expected = va.case_table(va.load(path), as_of="2025-02-01")
        assert_frame_equal(cases.to_frame(), expected.to_frame())
        return
    with pytest.raises(CaseLogError, match=r"grouped by case in case-id order.*'A'.*ORDER BY case_id"):
        case_table_batched(path, as_of="2025-02-01", batch_rows=2)


def test_as_of_is_required_and_bad_paths_are_named(tmp_path, log_file):
    with pytest.raises(CaseLogError, match="needs as_of="):
        case_table_batched(log_file, as_of=None)
    with pytest.raises(CaseLogError, match="no such file"):
        case_table_batched(tmp_path / "nope.parquet", as_of=AS_OF)
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 not really")
    with pytest.raises(CaseLogError, match="cannot read it as a Parquet"):
        case_table_batched(bad, as_of=AS_OF)
    no_event = tmp_path / "no_event.parquet"
    pd.DataFrame({"case_id": ["A"], "timestamp": pd.to_datetime(["2025-01-01"])}).to_parquet(no_event, index=False)
    with pytest.raises(CaseLogError, match=r"required column\(s\) \['event'\]"):
        case_table_batched(no_event, as_of=AS_OF)


def test_a_batch_with_every_row_set_aside_is_counted(tmp_path):
    # Case A is entirely after as_of; case B is not: the batch holding A keeps nothing.
    frame = pd.DataFrame({
        "case_id": ["A", "A", "B", "B"],
        "event": ["registration_submitted", "registration_accepted"] * 2,
        "timestamp": pd.to_datetime(["2025-03-02 09:00", "2025-03-03 09:00", "2025-01-02 09:00", "2025-01-03 09:00"]),
    })
    path = tmp_path / "late.parquet"
    frame.to_parquet(path, index=False)
    with pytest.warns(DataQualityWarning, match="2 of 4 rows set aside"):
        cases, quality = case_table_batched(path, as_of="2025-02-01", batch_rows=2)
    assert cases["case_id"].tolist() == ["B"]
    assert quality.set_aside == {"after_as_of": 2}
    assert quality.failures.loc[quality.failures["check"] == "after_as_of", "row"].tolist() == [1, 2]
