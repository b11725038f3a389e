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
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vitale_analysis import CaseLogError, load, read_caselog, validate
from vitale_analysis.errors import DataQualityWarning

pytestmark = pytest.mark.slow  # hundreds of random files per test: about 15 s in all

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


# --------------------------------------------------------------------------- mutated exports
# A valid French export (the shape advisors have), then one mutation. Each mutation says
# whether the file must still load (and how many rows it must then read), so that a test
# swallowing every CaseLogError cannot pass: only the mutations marked "may refuse" may fail,
# and then with a CaseLogError whose message holds no full social security number.

NIR = "185057512345673"  # a valid key: 97 - 1850575123456 % 97 = 73
NIR_FORMS = [NIR, "1 85 05 75 123 456 73", "1\u00a085\u00a005\u00a075\u00a0123\u00a0456\u00a073",
             "1\u202f85\u202f05\u202f75\u202f123\u202f456\u202f73", "1.85.05.75.123.456.73", "NIR" + NIR,
             "".join(chr(0xFF10 + int(d)) for d in NIR)]
BASE_ROWS = [("D1", "Déclaration d'activité déposée", "02/01/2025 10:00", "", "CPAM 75"),
             ("D1", "Déclaration d'activité acceptée", "10/01/2025 11:00", "", "CPAM 75"),
             ("D2", "Déclaration d'activité déposée", "03/01/2025 09:30", "", "CPAM 92"),
             ("D2", "Déclaration d'activité acceptée", "15/01/2025 16:45", "Traduction assermentée manquante", "CPAM 92"),
             ("D3", "Déclaration d'activité déposée", "06/01/2025 08:00", "", "CPAM 13")]
HEADER_FR = ["N° dossier", "Étape", "Date", "Motif de retard", "Caisse"]
MAPPING_FR = {"columns": {"N° dossier": "case_id", "Étape": "event", "Date": "timestamp",
                          "Motif de retard": "trigger", "Caisse": "office"},
              "values": {"event": {"Déclaration d'activité déposée": "registration_submitted",
                                   "Déclaration d'activité acceptée": "registration_accepted"},
                         "trigger": {"Traduction assermentée manquante": "missing_translation"}},
              "dayfirst": True}


def _export(rows, delim=";", quote_all=False) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, delimiter=delim, lineterminator="\r\n",
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerow(HEADER_FR)
    writer.writerows(rows)
    return out.getvalue()


@FUZZ
@given(
    mutation=st.sampled_from(["nir_in_note", "control_char", "unicode_spaces_in_ids", "quote_all", "comma",
                              "tab", "blank_lines", "stray_quote_pair", "extra_field", "short_row",
                              "truncate", "cut_bytes"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    nir_form=st.sampled_from(NIR_FORMS),
    where=st.integers(0, 4),
    control=st.sampled_from(["\x00", "\x0b", "\x1b", "\x0c"]),
    cut=st.integers(1, 200),
)
def test_mutated_french_exports_load_or_refuse_clearly(tmp_path, mutation, encoding, nir_form, where, control, cut):
    from vitale_analysis.masking import NIR_PATTERN

    rows = [list(r) for r in BASE_ROWS]
    delim, quote_all, must_load, expect_rows = ";", False, True, len(rows)
    if mutation == "nir_in_note":
        rows[where][3] = f"NIR {nir_form} à vérifier"
    elif mutation == "control_char":
        rows[where][3] = f"motif{control}x"
    elif mutation == "unicode_spaces_in_ids":
        rows[where][0] = f"D\u00a0{where}"
    elif mutation == "quote_all":
        quote_all = True
    elif mutation in ("comma", "tab"):
        delim = "," if mutation == "comma" else "\t"
    elif mutation == "stray_quote_pair":
        rows[where][3] = '"ouvert'
        rows[min(where + 2, 4)][3] = 'fermé"'
    elif mutation == "extra_field":
        rows[where].append("en trop")
    elif mutation == "short_row":
        rows[where] = rows[where][:3]
    text = _export(rows, delim, quote_all)
    if mutation == "stray_quote_pair":  # written by hand: csv.writer would quote them properly
        text = text.replace('"""ouvert"', '"ouvert').replace('"fermé"""', 'fermé"')
    if mutation == "blank_lines":
        text = text.replace("\r\n", "\r\n\r\n", 2)
    if mutation == "truncate":
        text, must_load = text[: len(text) - cut], False
    if encoding == "cp1252" and any(ord(ch) > 0xFF and ch not in "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ" for ch in text):
        encoding = "utf-8"  # (full-width digits and narrow spaces have no cp1252 byte)
    data = text.encode(encoding)
    if mutation == "cut_bytes":
        data, must_load = data[: max(1, len(data) - cut)], False
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            log = load(path, mapping=MAPPING_FR)
    except CaseLogError as exc:
        assert not must_load, f"{mutation}: a file that must load was refused: {exc}"
        assert not NIR_PATTERN.search(str(exc))
        return
    q = log.quality
    assert q.rows_read == q.rows_kept + q.n_set_aside
    if must_load:
        assert q.rows_read == expect_rows, (mutation, q.rows_read)
        if mutation not in ("extra_field",):
            assert q.rows_kept >= 4
    for text_out in (str(q), q._repr_html_(), repr(log)):
        assert not NIR_PATTERN.search(text_out)
    assert not NIR_PATTERN.search(q.failures.to_string())
