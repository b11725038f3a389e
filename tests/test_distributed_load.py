"""Loading on a Dask cluster (issue 22): ``load(..., engine="dask")`` gives what ``load`` gives.

Every expected value comes from the in-memory path (a second method: one validation of the
whole log) or is worked out by hand. A two-worker ``LocalCluster`` (one thread each) runs
the whole module and is closed at its end.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import vitale_analysis as va
from vitale_analysis.distributed import DistributedLog, union_categories
from vitale_analysis.distributed import _by_case, _case_partition, _rest, _seams

distributed = pytest.importorskip("distributed")
dd = pytest.importorskip("dask.dataframe")

from test_malformed import CATALOGUE, HERE as MALFORMED, Error, Loads  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLE = DATA / "sample_caselog.csv"
FRENCH = DATA / "sample_export_fr.csv"
FRENCH_MAPPING = DATA / "sample_export_fr.mapping.toml"
EXTERNAL = Path("/work/shared/data/external")
VENDORED = Path(__file__).resolve().parent / "data" / "external"
PARTITIONS = [1, 3, 7]


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def quiet(call, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        return call(*args, **kw)


def by_case(frame: pd.DataFrame, extra=("row",)) -> pd.DataFrame:
    """Rows in case-id order (the ids as text: each partition has its own categories), then ``extra``."""
    out = frame.assign(case_id=frame["case_id"].astype(str))
    return out.sort_values(["case_id", *extra], kind="mergesort").reset_index(drop=True)


def assert_same_log(got: DistributedLog, want: va.CaseLog) -> None:
    """Events, report counts and every failure of the distributed log equal the in-memory one's."""
    events = got.events.compute()
    assert list(events.columns) == list(want.events.columns)
    assert list(map(str, events.dtypes.drop("case_id"))) == list(map(str, want.events.dtypes.drop("case_id")))
    pd.testing.assert_frame_equal(by_case(events), by_case(want.events))
    q, r = got.quality, want.quality
    assert (q.rows_read, q.rows_kept, q.set_aside, q.n_cases) == (r.rows_read, r.rows_kept, r.set_aside, r.n_cases)
    assert q.rows_read == q.rows_kept + q.n_set_aside
    assert (q.first_event, q.last_event, q.time_zone) == (r.first_event, r.last_event, r.time_zone)
    assert (q.plausible_end is None) == (r.plausible_end is None) and (
        q.plausible_end is None or q.plausible_end == r.plausible_end)
    assert got.last_event == want.last_timestamp and got.as_of() == want.as_of()
    failures = got.failures.compute()
    assert sorted(map(tuple, failures.astype(str).to_numpy())) == sorted(map(tuple, r.failures.astype(str).to_numpy()))
    assert len(q.failures) == min(len(r.failures), 10_000)
    assert set(q.notes) == set(r.notes)


def assert_same_cases(got: DistributedLog, want: va.CaseLog, as_of) -> None:
    table = va.case_table(got, as_of=as_of)
    expected = va.case_table(want, as_of=as_of)
    assert table.as_of == expected.as_of
    frame = table.frame.compute()
    pd.testing.assert_frame_equal(by_case(frame, ()), by_case(expected.to_frame(), ()))


def shuffled_copy(path: Path, tmp_path: Path, seed: int, **csv) -> Path:
    """The same file with its data rows in another order (header first)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, **csv)
    out = tmp_path / f"shuffled_{path.name}"
    frame.sample(frac=1, random_state=seed).to_csv(out, index=False, **{k: v for k, v in csv.items() if k == "sep"},
                                                   encoding=csv.get("encoding", "utf-8"))
    return out


# --------------------------------------------------------------------------- the bundled samples
@pytest.mark.parametrize("npartitions", PARTITIONS)
@pytest.mark.parametrize("shuffle", [False, True], ids=["file order", "shuffled rows"])
def test_the_sample_loads_as_in_memory(client, tmp_path, npartitions, shuffle):
    path = shuffled_copy(SAMPLE, tmp_path, seed=npartitions) if shuffle else SAMPLE
    want = quiet(va.load, path)
    got = quiet(va.load, path, engine="dask", client=client, npartitions=npartitions)
    assert got.npartitions == npartitions
    assert_same_log(got, want)
    for as_of in (None, "2024-09-30", "2025-03-15 12:00"):
        assert_same_cases(got, want, as_of)


@pytest.mark.parametrize("npartitions", PARTITIONS)
@pytest.mark.parametrize("shuffle", [False, True], ids=["file order", "shuffled rows"])
def test_the_french_export_loads_as_in_memory(client, tmp_path, npartitions, shuffle):
    path = (shuffled_copy(FRENCH, tmp_path, seed=npartitions, sep=";", encoding="cp1252") if shuffle else FRENCH)
    want = quiet(va.load, path, mapping=FRENCH_MAPPING)
    got = quiet(va.load, path, mapping=FRENCH_MAPPING, engine="dask", client=client, npartitions=npartitions)
    assert_same_log(got, want)
    for as_of in (None, "2025-03-31"):
        assert_same_cases(got, want, as_of)


@pytest.mark.parametrize("npartitions", PARTITIONS)
def test_a_real_xes_log_loads_as_in_memory(client, npartitions):
    name = "receipt.xes.gz"  # (its events are not Carte Vitale's: every one is flagged unknown_event)
    path = EXTERNAL / name if (EXTERNAL / name).exists() else VENDORED / name
    if not path.exists():
        pytest.skip(f"{name} is absent (see tests/data/external/README.md)")
    want = quiet(va.load, path)
    got = quiet(va.load, path, engine="dask", client=client, npartitions=npartitions)
    assert_same_log(got, want)
    assert_same_cases(got, want, None)


LOADING = sorted(k for k, v in CATALOGUE.items() if isinstance(v, Loads))


@pytest.mark.parametrize("npartitions", PARTITIONS)
@pytest.mark.parametrize("name", LOADING)
def test_malformed_files_load_as_in_memory(client, name, npartitions):
    kw = CATALOGUE[name].kw
    want = quiet(va.load, MALFORMED / name, **kw)
    got = quiet(va.load, MALFORMED / name, engine="dask", client=client, npartitions=npartitions, **kw)
    assert_same_log(got, want)
    assert_same_cases(got, want, None)


@pytest.mark.parametrize("name", ["mixed_time_zones.csv", "dayfirst_and_monthfirst.csv", "header_only.csv",
                                  "missing_event_column.csv", "timestamp_as_int.parquet"])
def test_fatal_files_fail_the_same_way(client, name):
    assert isinstance(CATALOGUE[name], Error)
    with pytest.raises(va.CaseLogError) as in_memory:
        quiet(va.load, MALFORMED / name)
    with pytest.raises(va.CaseLogError) as on_dask:
        quiet(va.load, MALFORMED / name, engine="dask", client=client, npartitions=3)
    assert str(in_memory.value).split(":")[0] == str(on_dask.value).split(":")[0]


# --------------------------------------------------------------------------- other sources
@pytest.fixture(scope="module")
def sample_raw() -> pd.DataFrame:
    return pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)


def test_a_dask_frame_loads_as_the_pandas_frame(client, sample_raw):
    shuffled = sample_raw.sample(frac=1, random_state=3).reset_index(drop=True)
    want = quiet(va.load, shuffled)
    got = quiet(va.load, dd.from_pandas(shuffled, npartitions=4), engine="dask", client=client, npartitions=3)
    assert_same_log(got, want)
    assert_same_cases(got, want, "2025-01-01")


def test_a_parquet_folder_numbers_rows_across_files(client, sample_raw, tmp_path):
    # Three files in name order: rows are numbered on from one file to the next, as one concatenation is.
    folder = tmp_path / "parts"
    folder.mkdir()
    cuts = [0, 10_000, 20_000, len(sample_raw)]
    shuffled = sample_raw.sample(frac=1, random_state=5).reset_index(drop=True)
    for k, (a, b) in enumerate(zip(cuts[:-1], cuts[1:])):
        shuffled.iloc[a:b].to_parquet(folder / f"part-{k}.parquet", index=False)
    want = quiet(va.load, shuffled)
    got = quiet(va.load, folder, engine="dask", client=client, npartitions=4)
    assert got.quality.source == str(folder)
    events = got.events.compute()
    pd.testing.assert_frame_equal(by_case(events).astype(object), by_case(want.events).astype(object))
    assert got.quality.rows_read == want.quality.rows_read and got.quality.set_aside == want.quality.set_aside


def test_a_parquet_file_loads_as_in_memory(client, tmp_path):
    path = va.write_events(quiet(va.load, SAMPLE).events.sample(frac=1, random_state=2), tmp_path / "log.parquet")
    want = quiet(va.load, path)
    got = quiet(va.load, path, engine="dask", client=client, npartitions=3)
    assert_same_log(got, want)
    assert_same_cases(got, want, "2025-06-01")


def test_partitions_already_by_case_are_not_shuffled(client, sample_raw, tmp_path):
    folder = tmp_path / "by_case"
    folder.mkdir()
    first = sample_raw["case_id"] < "D001500"  # two files, each holding whole dossiers
    sample_raw[first].to_parquet(folder / "a.parquet", index=False)
    sample_raw[~first].to_parquet(folder / "b.parquet", index=False)
    want = quiet(va.load, pd.concat([sample_raw[first], sample_raw[~first]], ignore_index=True))
    got = quiet(va.load, folder, engine="dask", client=client, partitioned_by_case=True)
    assert got.npartitions == 2
    assert "shuffle" not in str(got.events.dask.keys())
    events = got.events.compute()
    pd.testing.assert_frame_equal(by_case(events).astype(object), by_case(want.events).astype(object))
    assert_same_cases(got, want, None)


def test_seams_move_each_cut_dossier_to_the_piece_it_starts_in():
    def piece(n, first=None, last=None, lead=None):
        return {"n": n, "by_case": None if first is None else {"first": first, "last": last, "lead": lead}}

    # Worked by hand: "c" starts in piece 0, fills piece 1 and opens piece 2; piece 3 is empty.
    infos = [piece(3, "a", "c", 1), piece(2, "c", "c", 2), piece(4, "c", "f", 1), piece(0), piece(2, "g", "h", 1)]
    assert _seams(infos) == [(1, 2, 0), (2, 1, 0)]
    assert _seams([piece(3, "a", "c", 1), piece(2, "d", "e", 1)]) == []  # no dossier cut
    assert _seams([piece(3, "a", "c", 1), piece(2, "b", "e", 1)]) is None  # ranges overlap: shuffle
    assert _seams([piece(3, "a", "c", 1), piece(2)]) is None  # a piece not sorted by case: shuffle


def test_rest_appends_the_leads_with_their_categories():
    piece = pd.DataFrame({"case_id": pd.Categorical(["a", "a", "b", "b"]), "office": pd.Categorical(["X"] * 4),
                          "trigger": pd.Categorical([None, "t", None, None]), "row": [1, 2, 3, 4]})
    lead = pd.DataFrame({"case_id": pd.Categorical(["b"]), "office": pd.Categorical(["Y"]),
                         "trigger": pd.Categorical([None]), "row": [5]})
    out = _rest(piece, 2, lead)  # its first dossier gone to the piece before; the next piece's lead added
    assert out["case_id"].astype(object).tolist() == ["b", "b", "b"]
    assert out["office"].astype(object).tolist() == ["X", "X", "Y"]
    assert out["trigger"].isna().tolist() == [True, True, True]
    assert out["row"].tolist() == [3, 4, 5]
    assert list(out["office"].cat.categories) == ["X", "Y"]


def test_a_piece_is_by_case_when_its_trimmed_ids_are_sorted():
    assert _by_case(pd.Series(pd.Categorical([" D2", "D2", "D3", "D3", "D3"]))) == {
        "first": "D2", "last": "D3", "lead": 2}
    assert _by_case(pd.Series(["D1", "D1", "D2"], dtype=object)) == {"first": "D1", "last": "D2", "lead": 2}
    assert _by_case(pd.Series(pd.Categorical(["D2", "D1"]))) is None
    assert _by_case(pd.Series(pd.Categorical(["D1", None]))) is None
    assert _by_case(pd.Series([], dtype=object)) is None


def test_the_case_partition_is_the_same_for_trimmed_ids_and_any_dtype():
    ids = ["D1", " D1", "D2 ", "D2", None, "D3"]
    plain = _case_partition(pd.Series(ids, dtype=object), 7)
    coded = _case_partition(pd.Series(pd.Categorical(ids)), 7)
    np.testing.assert_array_equal(plain, coded)
    assert plain[0] == plain[1] and plain[2] == plain[3]
    assert ((plain >= 0) & (plain < 7)).all()


def test_a_source_sorted_by_case_moves_only_the_cut_dossiers(client, sample_raw, tmp_path):
    raw = sample_raw.reset_index(drop=True)  # (the sample is sorted by case id)
    ids = raw["case_id"]
    assert ids.is_monotonic_increasing
    sizes = ids.value_counts()
    long = sizes[sizes >= 6].index[0]
    start = int(np.flatnonzero(ids == long)[0])
    # Files cut inside dossiers: one file is the middle of a dossier (it spans three files),
    # and the next file's copy of that id has a space before it (trimmed, the same dossier).
    cuts = [0, start + 1, start + 3, 15_001, len(raw)]
    assert ids[15_000] == ids[15_001]
    folder = tmp_path / "sorted"
    folder.mkdir()
    pieces = [raw.iloc[a:b].copy() for a, b in zip(cuts[:-1], cuts[1:])]
    pieces[2].loc[pieces[2]["case_id"] == long, "case_id"] = " " + long
    for k, frame in enumerate(pieces):
        frame.to_parquet(folder / f"part-{k}.parquet", index=False)
    want = quiet(va.load, pd.concat(pieces, ignore_index=True))
    got = quiet(va.load, folder, engine="dask", client=client)
    # The files are the partitions, less the file that was all one cut dossier.
    assert got.npartitions == 3
    parts = [p.compute()["case_id"].astype(str) for p in got.events.partitions]
    assert all(p.str.strip().is_monotonic_increasing for p in parts)
    assert [p.iloc[0].strip() for p in parts] == [ids[0], ids[start + 3 + (ids[start + 3:] == long).sum()],
                                                 ids[15_001 + (ids[15_001:] == ids[15_000]).sum()]]
    assert_same_log(got, want)
    assert_same_cases(got, want, "2025-06-01")


def test_pieces_sorted_but_interleaved_are_shuffled(client, sample_raw, tmp_path):
    folder = tmp_path / "interleaved"
    folder.mkdir()
    odd = sample_raw["case_id"].str[-1].astype(int) % 2 == 1  # each file sorted, their ranges overlapping
    sample_raw[odd].to_parquet(folder / "a.parquet", index=False)
    sample_raw[~odd].to_parquet(folder / "b.parquet", index=False)
    want = quiet(va.load, pd.concat([sample_raw[odd], sample_raw[~odd]], ignore_index=True))
    got = quiet(va.load, folder, engine="dask", client=client)
    parts = [p.compute()["case_id"].astype(str).str[-1].astype(int) % 2 for p in got.events.partitions]
    assert any(p.nunique() == 2 for p in parts)  # odd and even dossiers together: hashed, not kept apart
    assert_same_log(got, want)
    assert_same_cases(got, want, "2025-06-01")


def nir(k: int, good: bool = True) -> str:
    """A 15-digit social security number, its key right (97 − number mod 97) or one off."""
    body = f"1850575123{k:03d}"
    key = 97 - int(body) % 97
    return body + f"{key if good else key % 97 + 1:02d}"


def nir_files(sample_raw, folder, declare: bool):
    """Two files by case: the first's dossiers carry NIRs (a few with a wrong key); in the
    second's, half the dossiers carry a text reference and half NIRs with a wrong key. The
    whole log's column is 90 % NIR-shaped (a NIR column); the second file alone is not."""
    raw = sample_raw.reset_index(drop=True)
    ids = raw["case_id"].drop_duplicates().tolist()
    cut = ids[int(len(ids) * 0.8)]
    k = raw["case_id"].map({c: i for i, c in enumerate(ids)})
    first = (raw["case_id"] < cut).to_numpy()
    ref = np.where(first, [nir(i % 1000, good=i % 50 != 0) for i in k],
                   np.where(k % 2 == 0, [f"REF-{i}" for i in k], [nir(i % 1000, good=False) for i in k]))
    raw = raw.assign(ref=ref)
    folder.mkdir()
    raw[first].to_parquet(folder / "a.parquet", index=False)
    raw[~first].to_parquet(folder / "b.parquet", index=False)
    reading = {"not_personal": ["ref"]} if declare else {}
    return raw, reading


def test_the_columns_holding_nirs_are_decided_over_the_whole_log(client, sample_raw, tmp_path):
    raw, _ = nir_files(sample_raw, tmp_path / "nir", declare=False)
    raw.to_parquet(tmp_path / "whole.parquet", index=False)  # (the same rows, one file, in memory)
    want = quiet(va.load, tmp_path / "whole.parquet")
    got = quiet(va.load, tmp_path / "nir", engine="dask", client=client)
    assert got.npartitions == 2
    in_first = len(pd.read_parquet(tmp_path / "nir" / "a.parquet"))
    bad = want.quality.failures.query("check == 'nir_bad_key'")["row"]
    # (the second file's wrong keys are flagged too: alone, it would not be a NIR column)
    assert (bad <= in_first).any() and (bad > in_first).any()
    assert_same_log(got, want)


def test_a_column_declared_not_personal_holding_nirs_is_refused_in_every_partition(client, sample_raw, tmp_path):
    raw, reading = nir_files(sample_raw, tmp_path / "nir", declare=True)
    raw.to_parquet(tmp_path / "whole.parquet", index=False)
    want = quiet(va.load, tmp_path / "whole.parquet", **reading)
    got = quiet(va.load, tmp_path / "nir", engine="dask", client=client, **reading)
    assert want.quality.not_personal == () and want.quality.unmasked == frozenset()
    assert got.quality.not_personal == () and got.quality.unmasked == frozenset()  # (nothing shown in full)
    failures = got.failures.compute()
    assert sorted(map(tuple, failures.astype(str).to_numpy())) == sorted(
        map(tuple, want.quality.failures.astype(str).to_numpy()))


def test_pandas_engine_is_unchanged(sample_raw):
    with pytest.warns(va.DataQualityWarning) as caught:
        log = va.load(SAMPLE)
    assert caught[0].filename == __file__  # the user's line, through the wrapper too
    assert isinstance(log, va.CaseLog)
    with pytest.raises(va.CaseLogError, match="engine='spark'"):
        va.load(SAMPLE, engine="spark")


# --------------------------------------------------------------------------- global checks
def events_frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["case_id", "event", "timestamp"])


def dossier(case: str, start: str, n: int = 4) -> list[tuple[str, str, str]]:
    steps = ["registration_submitted", "registration_accepted", "nia_assigned", "nir_permanent"][:n]
    day = pd.Timestamp(start)
    return [(case, step, str(day + pd.Timedelta(days=7 * k))) for k, step in enumerate(steps)]


def two_partitions(first: pd.DataFrame, second: pd.DataFrame):
    """A Dask frame of exactly these two partitions (each whole dossiers), and their concatenation."""
    both = pd.concat([first, second], ignore_index=True)
    frame = dd.concat([dd.from_pandas(first, npartitions=1), dd.from_pandas(second, npartitions=1)])
    return frame, both


def test_a_future_date_in_one_partition_moves_the_as_of_of_all(client):
    # Partition 1: 6 dossiers in 2025 and one step typed 2099; partition 2: 6 dossiers in 2025.
    # 53 events: the bulk ends in 2025, so 2099 is past the horizon: flagged, and the as-of of the
    # whole log is the latest 2025 time, worked out by hand: D12 starts 2025-05-13, + 21 days.
    first = events_frame([r for k in range(6) for r in dossier(f"D{k:02d}", f"2025-01-{k + 1:02d}")]
                         + [("D05", "dossier_submitted", "2099-01-01 10:00")])
    second = events_frame([r for k in range(6, 13) for r in dossier(f"D{k:02d}", f"2025-0{k // 3 + 1}-{k + 1:02d}")])
    frame, both = two_partitions(first, second)
    want = quiet(va.load, both)
    got = quiet(va.load, frame, engine="dask", client=client, partitioned_by_case=True)
    assert got.npartitions == 2
    assert got.last_event == pd.Timestamp("2025-05-13") + pd.Timedelta(days=21) == want.last_timestamp
    assert_same_log(got, want)
    # the second partition's dossiers are cut at the whole log's as-of, not at their own last event
    table = va.case_table(got).frame.compute()
    assert (table["last_event_at"] <= got.last_event).all()
    assert_same_cases(got, want, None)


def test_the_future_horizon_is_the_whole_logs(client):
    # Partition 1: dossiers over five years (2020-2025); partition 2: 11 events in January 2025 and one in
    # mid-2026. Alone, partition 2 would flag 2026 (more than a year past its own bulk); with the whole
    # log's bulk (a span of five years) it is not far: nothing is flagged, as in memory.
    first = events_frame([r for k in range(30) for r in dossier(f"A{k:02d}", f"{2020 + k // 6}-03-{k % 6 + 1:02d}")])
    second = events_frame([r for k in range(3) for r in dossier(f"B{k}", f"2025-01-0{k + 1}")]
                          + [("B0", "dossier_submitted", "2026-07-01")])
    frame, both = two_partitions(first, second)
    alone = quiet(va.load, second)
    assert alone.quality.failures["check"].eq("future_timestamp").any()  # (the per-partition rule would flag it)
    want = quiet(va.load, both)
    assert not want.quality.failures["check"].eq("future_timestamp").any()
    got = quiet(va.load, frame, engine="dask", client=client, partitioned_by_case=True)
    assert not got.failures.compute()["check"].eq("future_timestamp").any()
    assert got.last_event == pd.Timestamp("2026-07-01")
    assert_same_log(got, want)


def test_look_alike_ids_split_across_partitions_are_found(client):
    # "A1" in one partition, its full-width twin "Ａ１" in the other: one note, as in memory.
    first = events_frame(dossier("A1", "2025-01-06"))
    second = events_frame(dossier("Ａ１", "2025-01-13") + dossier("B2", "2025-01-20"))
    frame, both = two_partitions(first, second)
    want = quiet(va.load, both)
    got = quiet(va.load, frame, engine="dask", client=client, partitioned_by_case=True)
    notes = [n for n in got.quality.notes if "differ only in how they are written" in n]
    assert len(notes) == 1 and "'A1' / 'Ａ１'" in notes[0]
    assert_same_log(got, want)


def test_one_warning_for_the_whole_log(client):
    with pytest.warns(va.DataQualityWarning) as caught:
        log = va.load(SAMPLE, engine="dask", client=client, npartitions=3)
    assert len([w for w in caught if issubclass(w.category, va.DataQualityWarning)]) == 1
    assert "162 of 31,641 rows set aside (duplicate_row: 162)" in str(caught[0].message)
    assert caught[0].filename == __file__
    assert log.client is client and not log.owns_client


# --------------------------------------------------------------------------- the case table
def test_the_case_table_has_one_category_list_and_writes_parquet(client, tmp_path):
    want = quiet(va.load, SAMPLE)
    got = quiet(va.load, SAMPLE, engine="dask", client=client, npartitions=3)
    table = va.case_table(got, as_of="2025-06-30")
    expected = va.case_table(want, as_of="2025-06-30").to_frame()
    for column in ("office", "channel", "status", "last_event"):
        assert table.frame[column].cat.known
        assert list(table.frame[column].cat.categories) == list(expected[column].cat.categories)
    assert len(table.head(5)) == 5
    table.to_parquet(tmp_path / "cases")
    back = pd.read_parquet(tmp_path / "cases")
    assert len(back) == 3000 and set(back["case_id"].astype(str)) == set(expected["case_id"].astype(str))


def test_union_categories_puts_the_vocabulary_first():
    per_part = [pd.Index(["b", "z_unknown"]), pd.Index(["a", "b", "c_unknown"])]
    assert list(union_categories(per_part, ["b", "a"])) == ["b", "a", "c_unknown", "z_unknown"]
    # other columns: in the order of the rows that first hold them (z at row 3, c at row 5, b at row 8)
    rows = [np.array([8, 3]), np.array([9, 12, 5])]
    assert list(union_categories([pd.Index(["b", "z"]), pd.Index(["a", "b", "c"])], rows=rows)) == ["z", "c", "b", "a"]
    assert list(union_categories(per_part, rows=rows, ordered_as_text=True)) == ["a", "b", "c_unknown", "z_unknown"]


# --------------------------------------------------------------------------- the command line
@pytest.mark.parametrize("command", [["validate", "--details"], ["summary", "--as-of", "2025-03-31"]])
def test_the_command_line_says_the_same_on_a_cluster(client, capsys, command):
    from vitale_analysis.cli import main

    assert main([*command, str(SAMPLE)]) == 0
    in_memory = capsys.readouterr().out
    assert main([*command, str(SAMPLE), "--dask", client.scheduler.address]) == 0
    on_dask = capsys.readouterr().out
    assert on_dask == in_memory
    assert client.status == "running"  # (a client of its own was closed, not the cluster given by address)


def test_no_client_given_takes_the_default_one(client):
    from vitale_analysis.distributed import get_client

    assert distributed.default_client() is client  # (the module's client, the latest made)
    assert get_client(None) == (client, False)
    log = quiet(va.load, MALFORMED / "same_time_tie.csv", engine="dask")
    assert log.client is client and not log.owns_client
    log.close()  # (not ours: nothing closed)
    assert client.status == "running"
