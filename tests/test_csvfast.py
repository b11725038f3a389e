"""The fast CSV reader (csvfast.py) against a plain-Python reference, and the fast time parser.

The reference reads a file the slow, obvious way: decode the whole text, split it with
Python's csv module, skip empty lines, pad short rows, set aside rows with too many
fields with their line. The fast reader must give the same cells, row numbers and rows
set aside, and must really be the one used for every file of the first list (a test that
passed because everything fell back to the tolerant path would prove nothing). The
second list holds the files it must hand to the tolerant path.
"""

from __future__ import annotations

import csv
import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from vitale_analysis import load, read_caselog
from vitale_analysis.csvfast import header_names, read_csv_strict


def reference(data: bytes, encoding: str, delim: str):
    """(header, rows as lists with None for empty cells, row numbers, malformed [(row, line, fields)])."""
    text = data.decode(encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    header = next(reader)
    while not header:
        header = next(reader)
    rows, numbers, malformed = [], [], []
    n = 0
    for record in reader:
        if not record:
            continue
        n += 1
        if len(record) > len(header):
            malformed.append((n, reader.line_num, len(record)))
            continue
        record = record + [""] * (len(header) - len(record))
        rows.append([c if c != "" else None for c in record])
        numbers.append(n)
    return header_names(header), rows, numbers, malformed


def fast_frame(path: Path, **kw):
    out = read_csv_strict(path, delimiter=kw.get("delimiter"), encoding=kw.get("encoding"))
    assert out is not None, "the fast reader handed this file to the tolerant path"
    table, names, used, delim, rows, malformed = out
    cells = [[None if v is None else str(v) for v in table.column(i).to_pylist()] for i in range(table.num_columns)]
    rows_out = list(zip(*cells)) if cells else []
    numbers = list(range(1, table.num_rows + 1)) if rows is None else [int(r) for r in rows]
    return names, [list(r) for r in rows_out], numbers, [(m["row"], m["line"], m["fields"]) for m in malformed], used


HEADER = "case_id;event;timestamp;note"
FAST_CASES = {
    "plain": (HEADER + "\nA;registration_submitted;2025-01-02 10:00:00;\nB;x;2025-01-03 10:00:00;n\n", "utf-8"),
    "crlf_bom": ("\ufeff" + HEADER + "\r\nA;e;t;\r\nB;f;u;v\r\n", "utf-8"),
    "accents_utf8": (HEADER + "\nA;Étape déposée;02/01/2025 10:00;é\nB;Reçu;03/01/2025;\n", "utf-8"),
    "accents_cp1252": ("N° dossier;Étape;Date;Remarque\nA;Étape déposée;02/01/2025 10:00;é\nB;Reçu;x;€\n", "cp1252"),
    "blank_lines": ("\n\n" + HEADER + "\n\nA;e;t;\n\n\nB;f;u;\n\n", "utf-8"),
    "quoted_newline": (HEADER + '\nA;e;t;"line one\nline two"\nB;f;u;"say ""hi"""\nC;g;v;\n', "utf-8"),
    "short_rows": (HEADER + "\nA;e;t;n\nB;f\n   \nC;g;v;w\n", "utf-8"),
    "long_rows_no_quotes": (HEADER + "\nA;e;t;n\nB;f;u;v;extra\n\nC;g;v;w\nD;h;w;x;y;z\n", "utf-8"),
    "short_and_long_cp1252": ("N° dossier;Étape;Date;Remarque\nA;é;t\nB;f;u;v\nC;é;u;v;w\n", "cp1252"),
    "empty_and_repeated_headers": ("case_id;event;timestamp;;note;note\nA;e;t;;n;m\n", "utf-8"),
    "only_delimiters": (HEADER + "\n;;;\nA;e;t;\n", "utf-8"),
    "comma": ("case_id,event,timestamp\nA,e,t\nB,\"f,g\",u\n", "utf-8"),
    "tab": ("case_id\tevent\ttimestamp\nA\te\tt\n", "utf-8"),
}


@pytest.mark.parametrize("case", sorted(FAST_CASES))
def test_fast_reader_matches_the_reference(case, tmp_path):
    text, encoding = FAST_CASES[case]
    data = text.encode(encoding)
    path = tmp_path / f"{case}.csv"
    path.write_bytes(data)
    delim = ";" if ";" in text.splitlines()[-1] or ";" in text else ("\t" if "\t" in text else ",")
    names, rows, numbers, malformed, used = fast_frame(path)
    want = reference(data, encoding, delim)
    assert names == want[0]
    assert rows == want[1]
    assert numbers == want[2]
    assert malformed == want[3]
    assert used.replace("-sig", "") == encoding


SLOW_CASES = {
    "unclosed_quote": (HEADER + '\nA;e;t;"open\nB;f;u;v\n', "utf-8"),
    "long_row_with_quotes": (HEADER + '\nA;e;t;"q"\nB;f;u;v;w\n', "utf-8"),
    "utf16": (HEADER + "\nA;e;t;\n", "utf-16"),
    "mixed_utf8_and_cp1252": None,
    "header_over_two_lines": ('"case\nid";event;timestamp\nA;e;t\n', "utf-8"),
}


@pytest.mark.parametrize("case", sorted(SLOW_CASES))
def test_fast_reader_hands_odd_files_to_the_tolerant_path(case, tmp_path):
    if case == "mixed_utf8_and_cp1252":
        data = (HEADER + "\nA;Étape;t;\n").encode("utf-8") + "B;Étape;u;\n".encode("cp1252")
    else:
        text, encoding = SLOW_CASES[case]
        data = text.encode(encoding)
    path = tmp_path / f"{case}.csv"
    path.write_bytes(data)
    assert read_csv_strict(path, delimiter=None, encoding=None) is None


def test_the_tolerant_path_still_reads_what_the_fast_one_hands_over(tmp_path):
    """A UTF-8 file with one cp1252 line: read line by line, and the line named in the notes."""
    path = tmp_path / "mixed.csv"
    path.write_bytes((HEADER + "\nA;registration_submitted;2025-01-02;Étape\n").encode("utf-8")
                     + "B;registration_submitted;2025-01-03;Étape\n".encode("cp1252"))
    raw = read_caselog(path)
    assert list(raw.frame["note"]) == ["Étape", "Étape"]
    assert any("line(s) 3" in n for n in raw.notes)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cells=st.lists(
        st.lists(st.text(alphabet=st.sampled_from(list("ab é;\"\n,Ç€ 1")), max_size=6), min_size=1, max_size=6),
        min_size=1, max_size=12),
    encoding=st.sampled_from(["utf-8", "cp1252"]),
)
@example(cells=[["", "", "\n;"]], encoding="utf-8")  # (found by hypothesis: a line break, then a delimiter)
def test_fast_reader_matches_the_reference_on_random_files(tmp_path, cells, encoding):
    """Random cells (quotes, delimiters, line breaks, accents) written by Python's csv module,
    rows of any length: the fast reader, when it reads the file, agrees with the reference."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(["case_id", "event", "timestamp"])
    for row in cells:
        writer.writerow(row)
    data = buffer.getvalue().encode(encoding)
    path = tmp_path / "random.csv"
    path.write_bytes(data)
    out = read_csv_strict(path, delimiter=";", encoding=encoding)
    if out is None:  # allowed only for what the tolerant path must take
        too_long = any(len(r) > 3 for r in cells)
        # a cell with a line break then a line holding a delimiter: perhaps a stray quote (csvfast._swallowed_rows)
        swallowing = any(";" in line for r in cells for c in r for line in c.split("\n")[1:])
        assert data.count(b'"') and (too_long or swallowing) or encoding == "cp1252" and too_long, cells
        return
    names, rows, numbers, malformed, _ = fast_frame(path, delimiter=";", encoding=encoding)
    want = reference(data, encoding, ";")
    assert (names, rows, numbers, malformed) == want


# --------------------------------------------------------------------------- times
def _times_both_ways(values, dayfirst=None, dtype="string"):
    """Load one event per value, its timestamp as text (the fast parser's input); ``dtype``
    "category" as the CSV reader gives it (each distinct value parsed once)."""
    frame = pd.DataFrame({"case_id": [f"C{i}" for i in range(len(values))], "event": "registration_submitted",
                          "timestamp": values})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = load(frame.astype({"timestamp": dtype}), dayfirst=dayfirst)
    return fast


@pytest.mark.parametrize(
    "text, expected",
    [
        ("02/01/2025 14:18", "2025-01-02 14:18"),
        ("2/1/2025 9:05", "2025-01-02 09:05"),
        ("02/01/25 10:00", "2025-01-02 10:00"),  # two-digit year: the general way reads it
        ("2025-01-02 10:00:00", "2025-01-02 10:00"),
        ("2025-01-02T10:00:00", "2025-01-02 10:00"),
        ("2025-01-02", "2025-01-02 00:00"),
        (" 02/01/2025 ", "2025-01-02 00:00"),
        ("02.01.2025 10:00", "2025-01-02 10:00"),
        ("02-01-2025", "2025-01-02 00:00"),
        ("02/01/2025 14h18", "2025-01-02 14:18"),
    ],
)
def test_fast_times_read_each_form_as_written(text, expected):
    # Worked by hand: day-first (French), and each value as its own row among clean ones.
    values = ["15/03/2025 10:00"] * 5 + [text]
    log = _times_both_ways(values)
    got = log.events.loc[log.events["case_id"] == "C5", "timestamp"]
    assert str(got.iloc[0])[:16] == expected


@pytest.mark.parametrize("text", ["31/02/2025 10:00", "2/1/2025 9:5", "02/01/2025 25:00", "2025-02-31",
                                  "02/01/1850", "not a date"])
def test_fast_times_refuse_what_the_general_way_refuses(text):
    values = ["15/03/2025 10:00"] * 5 + [text]
    log = _times_both_ways(values)
    assert log.quality.set_aside == {"unparseable_timestamp": 1}
    failure = log.quality.failures
    assert failure.loc[failure["check"] == "unparseable_timestamp", "value"].tolist() == [text]


@pytest.mark.parametrize("clean, text", [
    ("15/03/2025 10:00:00", "02/01/2025 10:00:60"), ("15.03.2025 10:00:00", "02.01.2025 10:00:60"),
    ("2025-03-15 10:00:00", "2025-01-02 10:00:60"), ("2025-03-15T10:00:00", "2025-01-02T10:00:60"),
    ("15/03/2025 10:00:00", "02/01/2025 10:00:59"), ("2025-03-15 10:00:00", "2025-01-02 10:00:59"),
])
@pytest.mark.parametrize("dtype", ["string", "category"])
def test_second_60_is_refused_in_the_format_that_reads_seconds(clean, text, dtype):
    """Second 60 does not exist (Python's datetime refuses it): among times with seconds in the
    same format, it is set aside, not read as the next minute; second 59 is read (by hand: 2 January
    2025, 10:00:59)."""
    log = _times_both_ways([clean] * 5 + [text], dtype=dtype)
    if text.endswith("59"):
        assert log.quality.set_aside == {}
        assert str(log.events.loc[log.events["row"] == 6, "timestamp"].iloc[0]) == "2025-01-02 10:00:59"
    else:
        assert log.quality.set_aside == {"unparseable_timestamp": 1}
        failure = log.quality.failures
        assert failure.loc[failure["check"] == "unparseable_timestamp", "value"].tolist() == [text]


def test_day_first_is_decided_on_every_value_not_the_sample():
    """The sample (the first 2000 values) is ambiguous; a value far down is month-first only
    (13 as second number): every ambiguous date is then month-first, as the general way says."""
    values = ["02/01/2025 10:00"] * 3000 + ["01/13/2025 10:00"]
    log = _times_both_ways(values)
    times = log.events.sort_values("row")["timestamp"]
    assert str(times.iloc[0])[:10] == "2025-02-01"
    assert str(times.iloc[-1])[:10] == "2025-01-13"
    assert any("month-first" in n for n in log.quality.notes)


def test_both_orders_far_apart_are_refused():
    from vitale_analysis import CaseLogError

    values = ["25/01/2025 10:00"] * 3000 + ["01/13/2025 10:00"]
    with pytest.raises(CaseLogError, match="day-first .* and month-first"):
        _times_both_ways(values)


def test_offsets_after_naive_times_far_down_are_refused():
    from vitale_analysis import CaseLogError

    values = ["2025-01-02 10:00:00"] * 3000 + ["2025-01-02T10:00:00+01:00"]
    with pytest.raises(CaseLogError, match="mixes times with a UTC offset"):
        _times_both_ways(values)


@pytest.mark.parametrize("odd, read_as", [
    (None, None),
    ("2025-02-31 10:00", None), ("2025-01-02 24:00", None), ("1850-01-02", None),  # refused
    ("2025-01-02 10", "2025-01-02 10:00"), ("2025-1-2 10:00", "2025-01-02 10:00"),  # read the general way
])
@pytest.mark.parametrize("dtype", ["string", "category"])
def test_iso_times_read_by_the_cast_or_the_way_before(odd, read_as, dtype):
    """ISO times in their three lengths (date, minutes, seconds; space or T) are read by Arrow's
    cast, each with the value Python's ``datetime.fromisoformat`` gives it. A log holding any
    other value is read the general way, as before: a value it refuses (by hand: 31 February,
    hour 24, a year before 1900) is set aside, one it reads keeps the value worked by hand."""
    from datetime import datetime

    import pyarrow as pa

    from vitale_analysis.validate import _iso_times

    values = ["2025-01-02", "2025-01-02 10:05", "2025-01-02T10:05", "2025-03-04 23:59:58", " 2024-02-29 00:00 ", ""]
    expected = {row: datetime.fromisoformat(v.strip()) for row, v in enumerate(values, start=1) if v}
    if odd is not None:
        values.append(odd)
        if read_as is not None:
            expected[len(values)] = datetime.fromisoformat(read_as)
    text = pa.compute.utf8_trim_whitespace(pa.array(values))
    present = pa.compute.not_equal(text, "")
    assert (_iso_times(text, present) is None) == (odd is not None)
    log = _times_both_ways(values + values[:2], dtype=dtype)  # (values twice: one category, several rows)
    expected.update({len(values) + 1: expected[1], len(values) + 2: expected[2]})
    kept = {row: t.to_pydatetime() for row, t in zip(log.events["row"].tolist(), log.events["timestamp"].tolist())}
    assert kept == expected
    assert log.quality.set_aside == {"missing_timestamp": 1, **({"unparseable_timestamp": 1} if odd and not read_as
                                                                 else {})}


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 31), st.integers(1, 12), st.integers(1890, 2210), st.integers(0, 24),
                          st.integers(0, 60), st.sampled_from(["/", "-", "."]), st.booleans()),
                min_size=1, max_size=30))
def test_fast_times_agree_with_a_plain_python_reference(parts):
    """Day-first text with and without a time: Python's datetime builds the expected value
    (or refuses it: 31 February, hour 24, minute 60, a year outside 1900–2200)."""
    from datetime import datetime

    texts, expected = [], []
    for d, m, y, hh, mm, sep, with_time in parts:
        texts.append(f"{d:02d}{sep}{m:02d}{sep}{y}" + (f" {hh:02d}:{mm:02d}" if with_time else ""))
        try:
            value = datetime(y, m, d, hh if with_time else 0, mm if with_time else 0)
            ok = 1900 <= y <= 2200
        except ValueError:
            ok = False
        expected.append(value if ok else None)
    if all(want is None for want in expected):
        from vitale_analysis import CaseLogError

        with pytest.raises(CaseLogError, match="no usable rows"):
            _times_both_ways(texts, dayfirst=True)
        return
    log = _times_both_ways(texts, dayfirst=True)
    kept = dict(zip(log.events["row"].tolist(), log.events["timestamp"].tolist()))
    for row, want in enumerate(expected, start=1):
        if want is None:
            assert row not in kept
        else:
            assert kept[row].to_pydatetime() == want


@pytest.mark.parametrize("chunked", [False, True])
def test_fast_times_read_on_two_threads_agree_with_python(chunked):
    """Past the size where the two halves are read on threads (120,000 values), each day-first
    time with seconds is what Python's datetime makes of it, or null where Python refuses it
    (31 February, hour 24, second 60) or the year is outside 1900–2200."""
    from datetime import datetime

    import pyarrow as pa

    from vitale_analysis.validate import _FAST_FORMATS, _THREADED_TIMES, _strict_times

    rng = np.random.default_rng(3)
    n = _THREADED_TIMES + 20_000
    parts = np.column_stack([rng.integers(1, 32, n), rng.integers(1, 13, n), rng.integers(1895, 2206, n),
                             rng.integers(0, 25, n), rng.integers(0, 60, n), rng.integers(0, 61, n)])
    texts, expected = [], []
    for d, m, y, hh, mm, ss in parts.tolist():
        texts.append(f"{d:02d}/{m:02d}/{y} {hh:02d}:{mm:02d}:{ss:02d}")
        try:
            value = datetime(y, m, d, hh, mm, ss)
        except ValueError:
            value = None
        ok = value is not None and 1900 <= y <= 2200
        expected.append(int((np.datetime64(value, "ns") - np.datetime64(0, "ns")).astype(np.int64)) if ok else None)
    fmt, pattern = _FAST_FORMATS["dmy/"][1]
    assert fmt == "%d/%m/%Y %H:%M:%S"
    text = pa.chunked_array([texts[:70_000], texts[70_000:]]) if chunked else pa.array(texts)
    got = _strict_times(text, fmt, pattern)
    assert got.to_pylist() == expected
    assert sum(v is None for v in expected) > 1_000  # (refusals of every kind are among them)


def test_quoted_line_break_after_the_sample_is_read_as_one_cell(tmp_path):
    """The first megabyte has no quote (read as single-line rows), a quoted line break comes
    after it: the file is read again as multi-line, and the note keeps its two lines."""
    filler = "".join(f"C{i:06d};registration_submitted;2025-01-02 10:00:00;plain\n" for i in range(25_000))
    assert len(filler) > 1 << 20
    text = HEADER + "\n" + filler + 'Z;registration_submitted;2025-01-03 10:00:00;"two\nlines"\nY;e;t;\n'
    path = tmp_path / "late_quote.csv"
    path.write_bytes(text.encode("utf-8"))
    names, rows, numbers, malformed, _ = fast_frame(path)
    assert len(rows) == 25_002 and numbers[-1] == 25_002 and not malformed
    assert rows[-2][3] == "two\nlines" and rows[-1][0] == "Y"


def test_unclosed_quote_after_the_sample_goes_the_tolerant_way(tmp_path):
    filler = "".join(f"C{i:06d};registration_submitted;2025-01-02 10:00:00;plain\n" for i in range(25_000))
    path = tmp_path / "late_open_quote.csv"
    path.write_bytes((HEADER + "\n" + filler + 'Z;e;t;"open\nY;e;t;\n').encode("utf-8"))
    assert read_csv_strict(path, delimiter=None, encoding=None) is None
    from vitale_analysis import CaseLogError

    with pytest.raises(CaseLogError, match="never closed"):
        read_caselog(path)


ROOT = Path(__file__).resolve().parents[1]
CATALOGUE_TEXT = sorted((ROOT / "tests" / "data" / "malformed").glob("*.csv")) + sorted(
    (ROOT / "tests" / "data" / "malformed").glob("*.tsv")) + [ROOT / "data" / "sample_caselog.csv",
                                                            ROOT / "data" / "sample_export_fr.csv"]


# What the fast reader hands to the tolerant path, and why: nothing to read, a byte neither
# UTF-8 nor cp1252, a delimiter it does not take, an unclosed quote, UTF-16, mixed encodings.
HANDED_OVER = {"empty.csv", "only_blank_lines.csv", "neither_utf8_nor_cp1252.csv", "pipe_delimiter.csv",
               "unclosed_quote.csv", "utf16.csv", "utf8_with_stray_cp1252_byte.csv"}


def test_the_fast_reader_takes_every_catalogue_file_but_the_odd_ones():
    handed = {p.name for p in CATALOGUE_TEXT if read_csv_strict(p, delimiter=None, encoding=None) is None}
    assert handed == HANDED_OVER


@pytest.mark.parametrize("path", [p for p in CATALOGUE_TEXT if p.name not in HANDED_OVER], ids=lambda p: p.name)
def test_both_reading_paths_agree_on_the_catalogue_and_the_samples(path):
    """Every text file of the catalogue the fast reader takes, and both samples: the frame
    (cells as text, row numbers) and the rows set aside equal the tolerant reader's."""
    from vitale_analysis import CaseLogError
    from vitale_analysis import read as read_module

    frame, malformed, _ = read_module._read_csv(path, delimiter=None, encoding=None)
    try:
        slow, slow_malformed, _ = read_module._read_csv_text(path, delimiter=None, encoding=None)
    except CaseLogError as exc:  # pragma: no cover - would be a disagreement
        pytest.fail(f"the fast reader read what the tolerant one refuses: {exc}")

    def cells(f):
        return f.astype(object).where(f.notna(), None).astype(str).reset_index(drop=True)

    assert list(frame.columns) == list(slow.columns)
    pd.testing.assert_frame_equal(cells(frame), cells(slow))
    assert [(m["row"], m.get("line")) for m in malformed] == [(m["row"], m.get("line")) for m in slow_malformed]


@pytest.mark.parametrize("data", [b"", b"a,b\n1,2\n", b'a,"b"\n' * 3_000_000 + b'"', b'"' + b"x" * (16 << 20) + b'"'])
def test_quotes_are_counted_through_the_map_as_python_counts_them(tmp_path, data):
    """The quote count (its parity says whether one is left open): none, several blocks' worth,
    one on each side of a block's end; the expected count is Python's own bytes.count."""
    from vitale_analysis.csvfast import _count_quotes

    path = tmp_path / "q.csv"
    path.write_bytes(data)
    assert _count_quotes(path) == data.count(b'"')
