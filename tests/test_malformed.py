"""A catalogue of malformed case logs, one small real file each (tests/data/malformed/).

The files are written once by ``tests/data/malformed/make_catalogue.py``. Each
entry of ``CATALOGUE`` says what loading the file must give:

* ``Error(phrases)``: exactly ``CaseLogError`` (no chained pandas/zip/XML
  traceback) whose message names the file and holds every key phrase (what is
  wrong and what to fix);
* ``Loads(rows_read, rows_kept, {check: count})``: the load succeeds and the
  quality report holds exactly these counts (every other check 0), with
  ``rows_read == rows_kept + n_set_aside``. The numbers were worked out by hand
  from the file contents (see make_catalogue.py).

tests/test_errors.py covers the same families with inline text; this is the
systematic, file-based list.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from vitale_analysis import CHECKS, CaseLogError, DataQualityWarning, load

HERE = Path(__file__).resolve().parent / "data" / "malformed"


@dataclass(frozen=True)
class Error:
    phrases: tuple[str, ...]
    kw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Loads:
    rows_read: int
    rows_kept: int
    counts: dict = field(default_factory=dict)
    kw: dict = field(default_factory=dict)
    cases: tuple[str, ...] | None = None


FIX_COLUMNS = ("required column(s)", "not found", "Columns found", "Fix: rename them", "columns={")
NO_ROWS = ("no usable rows", "header but no data rows")

CATALOGUE: dict[str, Error | Loads] = {
    # ---------------------------------------------------------------- columns
    "missing_timestamp_column.csv": Error((*FIX_COLUMNS, "'timestamp'", "['case_id', 'event']")),
    "missing_event_column.csv": Error((*FIX_COLUMNS, "'event'")),
    "renamed_columns_french.csv": Error((*FIX_COLUMNS, "(closest: 'N° dossier')", "(closest: 'Étape')",
                                        "(closest: 'Date')", "'N° dossier': 'case_id'")),
    "renamed_case_column.csv": Error((*FIX_COLUMNS, "'case_id'", "'dossier_id'")),
    # a second header that only differs in case is kept as an ordinary column
    "duplicate_header_after_rename.csv": Loads(1, 1, {"no_start_milestone": 0}, cases=("A",)),
    "headers_with_tabs_and_spaces.csv": Loads(4, 4, cases=("A", "B")),
    "trailing_empty_columns.csv": Loads(4, 4, cases=("A", "B")),
    # ---------------------------------------------------------------- empty / blank
    "empty.csv": Error(("the file is empty", "Export the case log again")),
    "only_blank_lines.csv": Error(("the file is empty", "Export the case log again")),
    "header_only.csv": Error(NO_ROWS),
    "header_then_blank_lines.csv": Error(NO_ROWS),
    # ---------------------------------------------------------------- delimiter and fields
    "pipe_delimiter.csv": Error(("The header was read as one column", "'case_id|event|timestamp'",
                                 "Pass delimiter=")),
    "semicolon_delimiter.csv": Loads(4, 4, cases=("A", "B")),
    "tab_delimiter.tsv": Loads(4, 4, cases=("A", "B")),
    "too_many_fields.csv": Loads(3, 2, {"malformed_row": 1}, cases=("A", "B")),
    "quoted_newline_in_note.csv": Loads(2, 2, cases=("A",)),
    # A quote never closed would swallow the rest of the file into one cell: refused, line named.
    "unclosed_quote.csv": Error(("line 2 opens a quote", "never closed", "close the quote")),
    # ---------------------------------------------------------------- encodings
    "bom_utf8.csv": Loads(4, 4, cases=("A", "B")),
    "cp1252_accents.csv": Loads(1, 1, cases=("A",)),
    "utf8_with_stray_cp1252_byte.csv": Loads(2, 2, cases=("A",)),
    "neither_utf8_nor_cp1252.csv": Error(("line 3", r"b'\x81'", "neither UTF-8 nor Windows-1252",
                                          "re-export the file as 'CSV UTF-8'", "encoding=")),
    # UTF-16 (here with a byte-order mark) is detected and read; see also test_utf16_without_bom_is_read.
    "utf16.csv": Loads(4, 4, cases=("A", "B")),
    # ---------------------------------------------------------------- dates and times
    "mixed_time_zones.csv": Error(("mixes times with a UTC offset", "row 1", "row 2",
                                   "export every time the same way")),
    "all_aware_two_offsets.csv": Loads(2, 2, cases=("A",)),
    "impossible_dates.csv": Loads(6, 2, {"unparseable_timestamp": 4}, cases=("A", "B")),
    "dayfirst_and_monthfirst.csv": Error(("day-first (row 1: '13/01/2025')", "month-first (row 2: '01/14/2025')",
                                          "pass dayfirst=True/False")),
    "missing_timestamps.csv": Loads(4, 2, {"missing_timestamp": 2}, cases=("A", "B")),
    "future_dates.csv": Loads(4, 2, {"after_as_of": 2}, kw={"as_of": "2025-06-30"}, cases=("A",)),
    "year_out_of_range.csv": Loads(3, 1, {"unparseable_timestamp": 2}, cases=("A",)),
    # ---------------------------------------------------------------- rows
    "duplicated_rows.csv": Loads(5, 3, {"duplicate_row": 2}, cases=("A", "B")),
    "conflicting_rows.csv": Loads(3, 3, {"conflicting_attribute": 1}, cases=("A",)),
    "same_time_tie.csv": Loads(2, 2, {"same_time_tie": 1}, cases=("A",)),
    "unknown_events_and_triggers.csv": Loads(4, 4, {"unknown_event": 1, "unknown_trigger": 1}, cases=("A",)),
    "negative_span.csv": Loads(5, 5, {"order_violation": 1}, cases=("A",)),
    "no_start_milestone.csv": Loads(3, 3, {"no_start_milestone": 1}, cases=("A", "B")),
    "empty_ids_and_events.csv": Loads(5, 2, {"empty_case_id": 2, "empty_event": 1}, cases=("A", "B")),
    "leading_zero_ids.csv": Loads(3, 3, cases=("00012", "012")),
    # an Excel number cell 12 is the id "12", the text cell "00012" stays "00012"
    "leading_zero_ids.xlsx": Loads(2, 2, {"no_start_milestone": 1}, cases=("00012", "12")),
    "unreadable_yes_no.csv": Loads(2, 2, {"unreadable_value": 1}, cases=("A",)),
    # ---------------------------------------------------------------- cell contents
    "formulas_in_cells.csv": Loads(4, 4, cases=("A", "B")),
    "formula_text_cells.xlsx": Loads(3, 3, {"unknown_event": 1}, cases=("A",)),
    "formula_cell.xlsx": Loads(2, 2, cases=("A",)),
    "huge_cell.csv": Loads(2, 2, cases=("A",)),
    "nir_bad_key.csv": Loads(4, 4, {"nir_bad_key": 1}, cases=("A", "B")),
    # ---------------------------------------------------------------- other formats
    "old_excel.xls": Error(("old Excel .xls format is not supported", "save it as .xlsx")),
    "unknown_suffix.log": Error(("unsupported file format '.log'", ".csv", ".xlsx", ".parquet", ".xes.gz")),
    "fake_parquet.parquet": Error(("cannot read it as Parquet", "truncated or not Parquet")),
    "timestamp_as_int.parquet": Error(("no usable rows", "all 2 rows were set aside",
                                       "'unparseable_timestamp': 2", "Check the column mapping, the date format")),
    "truncated.xlsx": Error(("cannot open it as an Excel workbook", "re-save it in Excel", "export CSV")),
    "data_on_second_sheet.xlsx": Loads(2, 2, kw={"sheet": "Journal"}, cases=("A",)),
    "truncated.xes.gz": Error(("cannot be read to the end", "probably truncated", "export it again")),
    "truncated_plain.xes": Error(("not a well-formed XES file", "truncated or damaged", "export it again")),
    "xes_without_events.xes": Error(("holds no events",)),
}


def _load(name: str, kw: dict):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return load(HERE / name, **kw)


def test_catalogue_is_complete_and_large_enough():
    on_disk = {p.name for p in HERE.iterdir() if p.is_file() and p.suffix != ".py"}
    assert on_disk == set(CATALOGUE), "every file has an expected outcome and every entry a file"
    assert len(CATALOGUE) >= 40
    assert sum(isinstance(v, Error) for v in CATALOGUE.values()) >= 15
    assert sum(isinstance(v, Loads) for v in CATALOGUE.values()) >= 15


@pytest.mark.parametrize("name", sorted(k for k, v in CATALOGUE.items() if isinstance(v, Error)))
def test_fatal_files_raise_a_clear_error(name):
    expected = CATALOGUE[name]
    with pytest.raises(CaseLogError) as info:
        _load(name, expected.kw)
    exc = info.value
    assert type(exc) is CaseLogError
    assert exc.__context__ is None or exc.__suppress_context__, f"chained traceback: {exc.__context__!r}"
    msg = str(exc)
    assert str(HERE / name) in msg, "the message names the file"
    for phrase in expected.phrases:
        assert phrase in msg, f"{phrase!r} not in {msg!r}"


@pytest.mark.parametrize("name", sorted(k for k, v in CATALOGUE.items() if isinstance(v, Loads)))
def test_loadable_files_count_every_problem(name):
    expected = CATALOGUE[name]
    log = _load(name, expected.kw)
    q = log.quality
    assert (q.rows_read, q.rows_kept) == (expected.rows_read, expected.rows_kept)
    assert q.rows_read == q.rows_kept + q.n_set_aside
    for check in CHECKS:
        assert q.count(check) == expected.counts.get(check, 0), check
    set_aside = {c: n for c, n in expected.counts.items() if CHECKS[c][0] == "set aside" and n}
    assert q.set_aside == set_aside
    assert len(log.events) == expected.rows_kept
    assert q.source == str(HERE / name)
    if expected.cases is not None:
        assert tuple(sorted(log.events["case_id"].unique())) == expected.cases


# --------------------------------------------------------------------------- details per file
def test_leading_zero_case_ids_stay_text():
    log = _load("leading_zero_ids.csv", {})
    assert log.events["case_id"].tolist().count("00012") == 2
    assert "12" not in set(log.events["case_id"])


def test_huge_cell_is_kept_whole():
    log = _load("huge_cell.csv", {})
    notes = log.events["note"].tolist()
    assert len(notes[0]) == 1_048_576 and set(notes[0]) == {"x"}
    assert notes[1] == "short"


def test_quoted_newline_stays_inside_the_cell():
    log = _load("quoted_newline_in_note.csv", {})
    assert log.events["note"].iloc[0] == "line one\nline two"


def test_bom_is_not_part_of_the_first_header():
    log = _load("bom_utf8.csv", {})
    assert "case_id" in log.events.columns
    assert not any("\ufeff" in c for c in log.events.columns)


def test_cp1252_accents_are_read():
    log = _load("cp1252_accents.csv", {})
    assert log.events["note"].iloc[0] == "reçu à l'accueil"
    assert any("cp1252" in n for n in log.quality.notes)


def test_aware_times_are_converted_to_utc():
    log = _load("all_aware_two_offsets.csv", {})
    times = log.events["timestamp"]
    assert str(times.dt.tz) == "UTC"
    # +01:00 before the DST change, +02:00 after it: both 1 or 2 hours behind in UTC
    assert times.tolist() == [pd.Timestamp("2025-03-29 08:00", tz="UTC"), pd.Timestamp("2025-03-31 07:00", tz="UTC")]


def test_headers_with_tabs_and_spaces_and_trailing_empty_columns():
    for name in ("headers_with_tabs_and_spaces.csv", "trailing_empty_columns.csv"):
        log = _load(name, {})
        assert {"case_id", "event", "timestamp"} <= set(log.events.columns)


def test_second_sheet_needs_the_sheet_argument():
    # without sheet=, the first sheet (a read-me) has no case log columns
    with pytest.raises(CaseLogError, match="required column"):
        _load("data_on_second_sheet.xlsx", {})


def test_formulas_in_csv_cells_are_kept_as_text():
    log = _load("formulas_in_cells.csv", {})
    assert log.events["note"].tolist() == ["=cmd|' /C calc'!A0", "+1+1", "@SUM(A1:A2)", "-2+3"]


def test_formula_cell_in_xlsx_is_never_executed():
    """A real formula cell (never computed, so no cached value) is not run: it is read as empty,
    and the quality report names the cell (D2: column D, the sheet's second row)."""
    log = _load("formula_cell.xlsx", {})
    assert pd.isna(log.events["note"].iloc[0])
    assert log.events["note"].iloc[1] == "ok"
    notes = [n for n in log.quality.notes if "formula" in n]
    assert len(notes) == 1 and "1 formula cell(s)" in notes[0] and ": D2." in notes[0] and "'Journal'" in notes[0]


def _with_sheet_xml(tmp_path, source: str, edit) -> Path:
    """A copy of a catalogue workbook whose first sheet's XML went through ``edit``."""
    import zipfile

    out = tmp_path / source
    with zipfile.ZipFile(HERE / source) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = edit(data)
            dst.writestr(item, data)
    return out


def test_formula_cell_with_a_saved_value_gives_that_value(tmp_path):
    """What Excel saves: the formula and its last value (<v>7</v>): the value is read, no note."""
    path = _with_sheet_xml(tmp_path, "formula_cell.xlsx", lambda xml: xml.replace(b"<v />", b"<v>7</v>"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        log = load(path)
    assert log.events["note"].tolist() == ["7", "ok"]
    assert not [n for n in log.quality.notes if "formula" in n]


def test_many_unsaved_formula_cells_are_named_up_to_twenty(tmp_path):
    """25 formula cells without a value (the same cell XML repeated on 25 rows): 20 named, then the count."""
    def edit(xml: bytes) -> bytes:
        start = xml.index(b'<row r="3">')
        end = xml.index(b"</sheetData>")
        rows = b"".join(
            f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>A</t></is></c>'
            f'<c r="B{r}" t="inlineStr"><is><t>followup_call</t></is></c>'
            f'<c r="C{r}" t="inlineStr"><is><t>2025-01-{r:02d} 10:00</t></is></c>'
            f'<c r="D{r}"><f>1+1</f></c></row>'.encode() for r in range(3, 27))
        return xml[:start] + rows + xml[end:]

    path = _with_sheet_xml(tmp_path, "formula_cell.xlsx", edit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        log = load(path)
    note = next(n for n in log.quality.notes if "formula" in n)
    assert note.startswith("25 formula cell(s)")
    assert "D2, D3, D4" in note and "D21 and 5 more" in note


def test_formula_text_is_escaped_when_written_back_to_excel(tmp_path):
    """Text that looks like a formula goes out as text (openpyxl data_type 's'), never as a formula."""
    import openpyxl

    from vitale_analysis.report import report_tables, write_report

    log = _load("formula_text_cells.xlsx", {})
    assert log.events["note"].iloc[0] == "=cmd|' /C calc'!A0"
    tables = report_tables(log, as_of="2025-01-31")
    _, xlsx = write_report(tables, tmp_path)
    book = openpyxl.load_workbook(xlsx)
    hits = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and "cmd|" in cell.value:
                    hits.append(cell)
    assert hits, "the formula text (an unknown event) is listed in the quality sheet"
    assert all(c.data_type == "s" and c.value.startswith("=cmd|") for c in hits)


def test_nir_with_a_bad_key_loads():
    log = _load("nir_bad_key.csv", {})
    assert len(log.events) == 4
    bad = log.quality.failures[log.quality.failures["check"] == "nir_bad_key"]
    assert bad["row"].tolist() == [4]
    assert bad["column"].tolist() == ["nir"]
    assert "•" in bad["value"].iloc[0], "the bad number is shown masked"


# --------------------------------------------------------------------------- mixed encodings and broken quotes
def test_stray_cp1252_byte_does_not_garble_utf8_text():
    log = _load("utf8_with_stray_cp1252_byte.csv", {})
    # Line 2 is UTF-8 and keeps its accents; line 3 was cp1252 ("re\x92u") and is named in the notes.
    assert log.events["note"].tolist() == ["déjà reçu", "re\u2019u"]
    assert any("line(s) 3 were not UTF-8 and were read as cp1252" in note for note in log.quality.notes)


@pytest.mark.parametrize("active", [0, 1])
def test_a_hidden_first_sheet_is_passed_over_with_a_note(tmp_path, active):
    """Sheet 1 'Brouillon' is hidden (old rows), sheet 2 'Journal' visible: whether the file was
    saved with the hidden or the visible sheet active, the visible one is read, and the note
    names the hidden one. sheet= still reads any sheet."""
    import openpyxl

    book = openpyxl.Workbook()
    draft = book.active
    draft.title = "Brouillon"
    draft.append(["case_id", "event", "timestamp"])
    draft.append(["OLD", "registration_submitted", "2020-01-02 10:00"])
    draft.sheet_state = "hidden"
    journal = book.create_sheet("Journal")
    journal.append(["case_id", "event", "timestamp"])
    journal.append(["A", "registration_submitted", "2025-01-02 10:00"])
    book.active = active
    path = tmp_path / "hidden.xlsx"
    book.save(path)
    log = load(path)
    assert log.events["case_id"].astype(str).tolist() == ["A"]
    assert any("hidden sheet(s) ['Brouillon']" in n and "'Journal'" in n for n in log.quality.notes)
    assert load(path, sheet="Brouillon").events["case_id"].astype(str).tolist() == ["OLD"]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-16"])
def test_utf16_without_bom_is_read_and_named(tmp_path, encoding):
    """UTF-16 as Windows tools write it, with or without a byte-order mark, little- or big-endian:
    read, and the note says UTF-16 was detected (it used to fail as 'columns not found' with
    garbled names like 'þÿ\\x00c')."""
    text = "case_id;event;timestamp;note\nA;registration_submitted;2025-01-06 09:00;Étape déposée\n"
    path = tmp_path / "u16.csv"
    path.write_bytes(text.encode(encoding))
    log = load(path)
    assert log.events["note"].tolist() == ["Étape déposée"]
    assert any("UTF-16 detected" in n for n in log.quality.notes)
