"""Fuzzing the readers: whatever the file holds, the user gets a result or a CaseLogError.

Random CSV text (headers among the canonical names and near names, any of the
delimiters, cells with dates in several formats, empty cells, quotes, very long
cells) and random bytes. ``read_caselog``, ``validate`` and ``load`` either
succeed — and then every row read is kept or set aside — or raise
:class:`vitale_analysis.CaseLogError`. Nothing else may escape. Derandomised,
so CI sees the same examples every run.
"""

from __future__ import annotations

import warnings

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vitale_analysis import CaseLogError, load, read_caselog, validate
from vitale_analysis.errors import DataQualityWarning

FUZZ = settings(
    max_examples=200,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

HEADERS = [
    "case_id", "event", "timestamp", "trigger", "note", "office", "channel", "route", "born_abroad", "advisor",
    "Case ID", "case id", "dossier", "N° dossier", "Event", "activity", "Timestamp", "date", "time", "nir",
    "", "x", "case_id ", "évènement",
]
EVENTS = ["registration_submitted", "registration_accepted", "nir_permanent", "dossier_submitted",
          "complement_requested", "rendez_vous", ""]

dates = st.one_of(
    st.datetimes(min_value=pd.Timestamp("1890-01-01").to_pydatetime(),
                 max_value=pd.Timestamp("2300-01-01").to_pydatetime()).flatmap(
        lambda d: st.sampled_from([
            d.strftime("%Y-%m-%d %H:%M"), d.strftime("%d/%m/%Y"), d.strftime("%m/%d/%Y %H:%M"),
            d.strftime("%d.%m.%y %Hh%M"), d.isoformat(), d.strftime("%Y-%m-%dT%H:%M:%S") + "Z",
            d.strftime("%Y-%m-%dT%H:%M:%S+02:00"), d.strftime("%d-%m-%Y %H:%M:%S"),
        ])
    ),
    st.sampled_from(["31/02/2025", "2025-13-01", "25:00", "00/00/0000", "2025-01-06 09:00", "06/01/2025",
                     "13/13/2025", "1/2/25 7h05", "9999-12-31", "0001-01-01"]),
)
cells = st.one_of(
    st.just(""),
    st.sampled_from(EVENTS),
    st.sampled_from(["D1", "D2", "A", " ", "oui", "non", "CPAM 75", "185057512345673", "2 85 06 99 123 457 00"]),
    dates,
    st.text(max_size=12),
    st.text(alphabet=st.sampled_from(list("ab,;\t\"'\n\r ")), max_size=10),
    st.text(alphabet="xyz", min_size=2000, max_size=5000),  # very long
)


def _quote(cell: str, delim: str, quoting: str) -> str:
    if quoting == "always" or (quoting == "needed" and any(c in cell for c in (delim, '"', "\n", "\r"))):
        return '"' + cell.replace('"', '""') + '"'
    return cell  # "never": broken rows on purpose


@st.composite
def csv_texts(draw):
    delim = draw(st.sampled_from([",", ";", "\t", "|"]))
    quoting = draw(st.sampled_from(["needed", "always", "never"]))
    required = draw(st.booleans())
    headers = draw(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=7))
    if required:
        headers = ["case_id", "event", "timestamp"] + headers
    n_rows = draw(st.integers(0, 8))
    lines = [delim.join(_quote(h, delim, quoting) for h in headers)]
    for _ in range(n_rows):
        width = len(headers) + draw(st.sampled_from([0, 0, 0, -1, 1]))
        row = draw(st.lists(cells, min_size=max(width, 0), max_size=max(width, 0)))
        lines.append(delim.join(_quote(c, delim, quoting) for c in row))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(lines) + draw(st.sampled_from(["", newline]))


def _check_log(log):
    q = log.quality
    assert q.rows_read == q.rows_kept + q.n_set_aside
    assert q.rows_kept == len(log.events)
    repr(log), log._repr_html_(), repr(q)


def _exercise(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        try:
            raw = read_caselog(path)
        except CaseLogError:
            raw = None
        if raw is not None:
            try:
                _check_log(validate(raw))
            except CaseLogError:
                pass
        try:
            _check_log(load(path))
        except CaseLogError:
            pass


@FUZZ
@given(text=csv_texts(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
       suffix=st.sampled_from([".csv", ".txt", ".tsv"]))
def test_random_csv_text(tmp_path, text, encoding, suffix):
    path = tmp_path / f"log{suffix}"
    path.write_bytes(text.encode(encoding, errors="replace"))
    _exercise(path)


@FUZZ
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".xlsx", ".parquet", ".xes", ".txt"]))
def test_random_bytes(tmp_path, data, suffix):
    path = tmp_path / f"log{suffix}"
    path.write_bytes(data)
    _exercise(path)


@FUZZ
@given(prefix=st.sampled_from([b"case_id,event,timestamp\n", b"case_id;event;timestamp\r\n",
                               b"\xef\xbb\xbfcase_id\tevent\ttimestamp\n"]),
       data=st.binary(max_size=300))
def test_random_bytes_after_a_good_header(tmp_path, prefix, data):
    path = tmp_path / "log.csv"
    path.write_bytes(prefix + data)
    _exercise(path)


@FUZZ
@given(rows=st.lists(st.tuples(st.sampled_from(["D1", "D2", "", None, "185057512345673"]),
                               st.sampled_from(EVENTS + [None]),
                               st.one_of(dates, st.none(), st.just(""))), max_size=10))
def test_random_dataframes(rows):
    raw = pd.DataFrame(rows, columns=["case_id", "event", "timestamp"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        try:
            _check_log(validate(raw))
        except CaseLogError:
            pass
