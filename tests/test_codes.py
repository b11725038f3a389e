"""Integer-code helpers against plain-Python loops."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vitale_analysis.codes import used_text_codes


def _reference(values: list) -> tuple[list[int], list[str]]:
    """Trim each value, drop empty and missing ones (code -1), number the rest in text order."""
    texts = [None if v is None or v is pd.NA else str(v).strip() or None for v in values]
    cats = sorted({t for t in texts if t is not None})
    position = {t: i for i, t in enumerate(cats)}
    return [-1 if t is None else position[t] for t in texts], cats


WORDS = ["Lyon", " Lyon", "Paris ", "Évry", "Nice", "", "  ", None, "Arles"]


@pytest.mark.parametrize("kind", ["object", "string", "categorical", "categorical_extra", "categorical_clean"])
def test_used_text_codes_matches_a_python_loop(kind):
    rng = np.random.default_rng(7)
    for trial in range(40):
        n = int(rng.integers(0, 60))
        values = [WORDS[i] for i in rng.integers(0, len(WORDS), n)]
        if kind == "object":
            series = pd.Series(values, dtype=object)
        elif kind == "string":
            series = pd.Series(values, dtype="string")
        elif kind == "categorical":
            series = pd.Series(values, dtype="category")
        elif kind == "categorical_extra":  # categories no row uses, untrimmed ones among them
            present = [v for v in WORDS if v is not None]
            series = pd.Series(pd.Categorical(values, categories=list(dict.fromkeys(present + ["Zut ", "Agen"]))))
        else:  # already trimmed, non-empty and sorted: the codes may stand as they are
            clean = sorted({v.strip() for v in WORDS if v and v.strip()})
            values = [clean[i] for i in rng.integers(0, len(clean), n)]
            series = pd.Series(pd.Categorical(values, categories=clean if trial % 2 else clean + ["Zz"]))
        want_codes, want_cats = _reference(values)
        # With a first look at some rows (as validation looks at each case's first row):
        # all of them, none, or a few, which may or may not show every value.
        for first_look in (None, np.arange(n), np.zeros(0, dtype=np.int64), np.arange(0, n, 3)):
            codes, cats = used_text_codes(series, first_look=first_look)
            assert list(cats) == want_cats, (kind, trial)
            assert codes.tolist() == want_codes, (kind, trial)


def test_violation_counts_match_a_python_loop():
    """Per case: milestones first reached strictly before the latest first time of the earlier ones,
    with times (missing: NaT, the smallest int64) or first rows (missing: -1)."""
    from vitale_analysis.codes import order_violation_counts
    from vitale_analysis.timeutil import NAT

    rng = np.random.default_rng(5)
    for missing in (NAT, -1):
        for n_m in (1, 2, 3, 8):
            first = rng.integers(0, 6, size=(300, n_m)).astype(np.int64)
            first[rng.random((300, n_m)) < 0.3] = missing  # milestones never reached
            want = []
            for row in first.tolist():
                reached_before = []
                count = 0
                for value in row:
                    if value != missing and reached_before and value < max(reached_before):
                        count += 1
                    if value != missing:
                        reached_before.append(value)
                want.append(count)
            assert order_violation_counts(first, missing).tolist() == want


def test_case_runs_match_a_python_loop():
    """Sorted case codes: renumbered from 0 without the unused ones, the old codes present, each
    case's first row; None for unsorted codes or a -1."""
    from vitale_analysis.codes import case_runs

    rng = np.random.default_rng(3)
    for trial in range(60):
        n_codes = int(rng.integers(1, 30))
        present = np.sort(rng.choice(n_codes, int(rng.integers(1, n_codes + 1)), replace=False))
        if trial % 4 == 0:
            present = np.arange(n_codes)  # every code used: they stand
        codes = np.repeat(present, rng.integers(1, 5, len(present))).astype(np.int32)
        got = case_runs(codes)
        rank = {old: new for new, old in enumerate(sorted(set(codes.tolist())))}
        firsts = [i for i in range(len(codes)) if i == 0 or codes[i] != codes[i - 1]]
        assert got[0].tolist() == [rank[v] for v in codes.tolist()]
        assert got[1].tolist() == sorted(set(codes.tolist()))
        assert got[2].tolist() == firsts
        if len(present) > 1:
            assert case_runs(codes[::-1].copy()) is None  # (unsorted: a case comes back)
    assert case_runs(np.array([-1, 0, 0, 1], dtype=np.int32)) is None
    empty = case_runs(np.zeros(0, dtype=np.int32))
    assert [len(a) for a in empty] == [0, 0, 0]


def test_distinct_categorical_equals_the_checked_constructor(monkeypatch):
    """The unchecked path makes what pandas' checked constructor makes; without pandas' fast
    path (an older or newer pandas), the checked constructor is used."""
    from vitale_analysis.codes import distinct_categorical

    categories = pd.Index(["D001", "D002", "D010", "Évry"], dtype="string")
    codes = np.array([0, 3, -1, 2, 2, 1], dtype=np.int8)
    want = pd.Categorical.from_codes(codes, categories=categories)
    got = distinct_categorical(codes, categories)
    assert got.dtype == want.dtype and got.categories.dtype == want.categories.dtype
    pd.testing.assert_extension_array_equal(got, want)
    monkeypatch.delattr(pd.CategoricalDtype, "_from_fastpath")
    pd.testing.assert_extension_array_equal(distinct_categorical(codes, categories), want)
    with pytest.raises(ValueError, match="unique"):  # (the checked path does check)
        distinct_categorical(codes, pd.Index(["a", "a", "b", "c"], dtype="string"))


def test_set_aside_rows_as_objects_equal_pandas_astype_object():
    """The set-aside rows' values, made from a categorical's codes, equal ``astype(object)``'s:
    texts, a missing value, numbers, times, booleans."""
    from vitale_analysis.validate import _as_objects

    part = pd.DataFrame({
        "case_id": pd.Categorical(["D2", None, "D1", "D2"], categories=["D1", "D2", "D3"]),
        "office": pd.Series(["CPAM 75", None, "CPAM 13", "CPAM 75"], dtype="category"),
        "timestamp": pd.to_datetime(["2025-01-02 09:00", None, "2025-03-01 00:00", "2025-01-02 09:00"]),
        "amount": [1.5, np.nan, 3.0, 4.0],
        "flag": [True, False, True, False],
        "note": pd.Series(["a", None, "c", "d"], dtype="string"),
    }, index=[7, 3, 9, 1])
    got, want = _as_objects(part), part.astype(object)
    pd.testing.assert_frame_equal(got, want)
    assert [type(v) for v in got["case_id"]] == [type(v) for v in want["case_id"]]


def test_run_starts_match_a_python_loop():
    from vitale_analysis.codes import run_starts

    rng = np.random.default_rng(9)
    for n in range(0, 40):
        values = rng.integers(0, 3, n).astype(np.int16)
        want = [i for i in range(n) if i == 0 or values[i] != values[i - 1]]
        assert run_starts(values).tolist() == want


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32])
def test_flat_index_never_wraps_around_at_the_narrow_types_edges(dtype):
    from vitale_analysis.codes import flat_index, widen

    top = np.iinfo(dtype).max
    outer = np.array([0, 1, top - 1, top], dtype=dtype)
    inner = np.array([0, 3, 1, 4], dtype=dtype)
    expected = [0 * 5 + 0, 1 * 5 + 3, (int(top) - 1) * 5 + 1, int(top) * 5 + 4]  # worked out in Python ints
    got = flat_index(outer, 5, inner)
    assert got.dtype == np.int64 and got.tolist() == expected
    assert widen(outer).dtype == np.int64 and widen(outer).tolist() == outer.tolist()
    wide = np.arange(3, dtype=np.int64)
    assert widen(wide) is wide  # (no copy when already wide)


@pytest.mark.parametrize("high", [1, 127, 128, 32_767, 32_768, 65_535, 65_536, 2**20, 2**31 - 1])
def test_stable_argsort_is_numpys_stable_sort(high):
    """The radix passes give exactly NumPy's stable order, at every code width (ties kept in
    row order: many rows per code)."""
    from vitale_analysis.codes import stable_argsort

    rng = np.random.default_rng(high)
    for dtype in (np.int8, np.int16, np.int32, np.int64):
        if high > np.iinfo(dtype).max:
            continue
        keys = rng.integers(0, high + 1, 5_000).astype(dtype)
        np.testing.assert_array_equal(stable_argsort(keys), np.argsort(keys, kind="stable"))
    with_negative = np.array([3, -1, 2, 3, -1], dtype=np.int32)
    np.testing.assert_array_equal(stable_argsort(with_negative), np.argsort(with_negative, kind="stable"))


@pytest.mark.parametrize("layout", ["by_case", "by_time", "any", "rows_shuffled"])
@pytest.mark.parametrize("seed", range(6))
def test_sort_order_is_the_lexicographic_order(layout, seed):
    """Every path of sort_order (sorted by case, by time, neither, rows not in file order) gives
    np.lexsort's order: case, time, event rank, row; many ties on case and time."""
    from vitale_analysis.codes import sort_order

    rng = np.random.default_rng(seed)
    n = 3_000
    case = rng.integers(0, 70_000 if seed % 2 else 40, n).astype(np.int32)
    time = rng.integers(0, 50, n).astype(np.int64)
    event = rng.integers(0, 6, n).astype(np.int8)
    rank = rng.permutation(7).astype(np.int64)
    row = np.arange(1, n + 1, dtype=np.int32)
    if layout == "by_case":
        keep = np.lexsort((time, case))
        case, time, event = case[keep], time[keep], event[keep]
    elif layout == "by_time":
        keep = np.argsort(time, kind="stable")
        case, time, event = case[keep], time[keep], event[keep]
    elif layout == "rows_shuffled":
        row = rng.permutation(row)
    expected = np.lexsort((row, rank[event], time, case))
    np.testing.assert_array_equal(sort_order(case, time, event, rank, row), expected)
    order, c, t = sort_order(case, time, event, rank, row, with_keys=True)  # the keys it hands back
    np.testing.assert_array_equal(order, expected)
    np.testing.assert_array_equal(c, case[expected])
    np.testing.assert_array_equal(t, time[expected])


@pytest.mark.parametrize("n", [0, 1, 199_999, 200_000, 200_001])
@pytest.mark.parametrize("kind", ["indices", "mask"])
def test_take_all_gives_what_indexing_gives(n, kind):
    """take_all (threads from 200,000 positions) against NumPy's own indexing, one array at a
    time, for every width the columns come in: narrow codes, row numbers, times, booleans, floats."""
    from vitale_analysis.codes import take_all

    rng = np.random.default_rng(n)
    arrays = [rng.integers(-1, 100, n).astype(np.int8), rng.integers(0, 40_000, n).astype(np.int16),
              np.arange(1, n + 1, dtype=np.int32), rng.integers(0, 2**62, n),
              rng.integers(0, 2**40, n).view("datetime64[ns]"), rng.random(n) < 0.5, rng.random(n)]
    positions = rng.permutation(n)[: n - n // 3] if kind == "indices" else rng.random(n) < 0.7
    got = take_all(arrays, positions)
    assert len(got) == len(arrays)
    for array, taken in zip(arrays, got):
        assert taken.dtype == array.dtype
        np.testing.assert_array_equal(taken, array[positions])


@pytest.mark.parametrize("case", ["same_width", "prefixes", "accents", "nine_to_sixteen", "longer", "zero_byte",
                                  "ties", "large_string", "sliced", "empty_text", "chunked"])
def test_text_order_is_the_order_of_the_utf8_bytes(case):
    """text_order against Python's sort of each value's UTF-8 bytes (a prefix first; ties in
    their place), on text its integer keys take and text Arrow sorts (longer than 16 bytes, a
    zero byte)."""
    import pyarrow as pa

    from vitale_analysis.codes import text_order

    rng = np.random.default_rng(len(case))
    values = {
        "same_width": [f"D{k:07d}" for k in rng.permutation(5_000)],
        "prefixes": ["D1", "D10", "D1A", "D", "D0", "E", "D1 ", "Z", "D100"] * 3,
        "accents": ["Élodie", "Eloi", "éloi", "Zoé", "zoe", "Ève", "Œuvre", "日本", "a"],
        "nine_to_sixteen": [f"CPAM-{k:06d}-X{'y' * (k % 4)}" for k in rng.permutation(2_000)],
        "longer": [f"dossier numéro {k:08d}" for k in rng.permutation(1_000)],
        "zero_byte": ["ab", "ab\x00", "a\x00b", "a", "b"],
        "ties": ["b", "a", "b", "a", "c", "a"],
        "large_string": [f"N{k}" for k in rng.permutation(3_000)],
        "sliced": [f"S{k:04d}" for k in rng.permutation(4_000)],
        "empty_text": ["", "b", "", "a"],
        "chunked": [f"C{k:05d}" for k in rng.permutation(3_000)],
    }[case]
    text = pa.array(values, type=pa.large_string() if case == "large_string" else pa.string())
    if case == "chunked":  # (as an Arrow-backed pandas Index may hold it)
        text = pa.chunked_array([text.slice(0, 1_000), text.slice(1_000, 1_500), text.slice(2_500)])
    if case == "sliced":
        text, values = text.slice(7, 3_000), values[7:3_007]
    want = sorted(range(len(values)), key=lambda i: (values[i].encode("utf-8"), i))
    assert text_order(text).tolist() == want


_NARROW = [np.int8, np.int16, np.int32, np.uint32, np.int64, np.uint64]


@pytest.mark.parametrize("layout, dtype", [(layout, dtype) for layout in
                                           ("random", "few_values", "sorted", "reversed", "one_value")
                                           for dtype in _NARROW]
                         + [("above_16_bits", np.int32), ("above_16_bits", np.uint32), ("above_16_bits", np.int64)])
def test_stable_argsort_on_two_threads_is_numpy_stable_order(monkeypatch, layout, dtype):
    """The halves sorted on two threads and merged by counting give np.argsort's stable order
    (ties keep their positions), whatever the codes' width and order; odd lengths; codes above
    2**16 (two radix passes per half)."""
    import vitale_analysis.codes as codes

    monkeypatch.setattr(codes, "_THREADED_SORT", 50)
    rng = np.random.default_rng(len(layout))
    n = {np.int8: 127}.get(dtype, 1_001)  # (codes stay below the count: an int8 count is < 128)
    if layout == "above_16_bits":
        n = 70_001
    keys = {"random": lambda: rng.integers(0, n, n), "few_values": lambda: rng.integers(0, 3, n),
            "sorted": lambda: np.sort(rng.integers(0, n, n)), "reversed": lambda: np.sort(rng.integers(0, n, n))[::-1],
            "one_value": lambda: np.zeros(n, dtype=np.int64),
            "above_16_bits": lambda: rng.integers(2**16 - 300, n, n)}[layout]().astype(dtype)
    np.testing.assert_array_equal(codes.stable_argsort(keys), np.argsort(keys, kind="stable"))


def test_stable_argsort_past_the_thread_threshold():
    """At the real threshold (two million codes, a million distinct, as a million dossiers' events)."""
    from vitale_analysis.codes import _THREADED_SORT, stable_argsort

    rng = np.random.default_rng(9)
    keys = rng.integers(0, 1_000_000, _THREADED_SORT + 1).astype(np.int32)
    np.testing.assert_array_equal(stable_argsort(keys), np.argsort(keys, kind="stable"))
