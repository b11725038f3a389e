"""Fatal errors and non-fatal quality checks.

Part 1: everything the toolkit cannot use raises exactly ``CaseLogError`` (a
``ValueError``) whose message names the file, the column or row, and the fix —
never a bare pandas / parser / zip / XML traceback (the chained context is
suppressed).

Part 2: every check of ``CHECKS`` on a small file with problems planted by hand:
the count, the rows and cases listed in ``failures``, and the row accounting
``rows_read == rows_kept + n_set_aside`` with the exact numbers.
"""

from __future__ import annotations

import gzip
import warnings
from pathlib import Path

import pandas as pd
import pytest

import vitale_analysis
from vitale_analysis import (
    CHECKS,
    CaseLogError,
    DataQualityWarning,
    ProcessModel,
    case_table,
    load,
    read_caselog,
    read_mapping,
    validate,
)

# A real public log, vendored with its source and licence (tests/data/external/README.md).
RECEIPT = Path(__file__).resolve().parent / "data" / "external" / "receipt.xes.gz"


def fails(fn, *args, **kw) -> str:
    """Call fn; assert it raises exactly CaseLogError with its context suppressed; return the message."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        with pytest.raises(CaseLogError) as info:
            fn(*args, **kw)
    exc = info.value
    assert type(exc) is CaseLogError
    assert type(exc) is vitale_analysis.CaseLogError
    assert isinstance(exc, ValueError)
    assert exc.__cause__ is None
    assert exc.__context__ is None or exc.__suppress_context__, f"chained traceback: {exc.__context__!r}"
    return str(exc)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


GOOD_CSV = (
    "case_id,event,timestamp\n"
    "A,registration_submitted,2025-01-06 09:00\n"
    "A,registration_accepted,2025-01-10 10:00\n"
)


# =========================================================================== part 1: fatal errors
# --------------------------------------------------------------------------- the file itself
def test_missing_file_names_it_and_suggests_a_near_miss(tmp_path):
    write(tmp_path / "dossiers_2025.csv", GOOD_CSV)
    wanted = tmp_path / "dossier_2025.csv"
    msg = fails(load, wanted)
    assert str(wanted) in msg
    assert "does not exist" in msg
    assert "Did you mean 'dossiers_2025.csv'?" in msg
    assert "Check the path" in msg


def test_missing_file_without_near_miss(tmp_path):
    write(tmp_path / "notes.txt", "x")
    wanted = tmp_path / "journal.csv"
    msg = fails(load, wanted)
    assert str(wanted) in msg and "does not exist" in msg
    assert "Did you mean" not in msg


def test_missing_folder(tmp_path):
    wanted = tmp_path / "nowhere" / "journal.csv"
    msg = fails(read_caselog, wanted)
    assert str(wanted) in msg and "does not exist" in msg


def test_folder_instead_of_file(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    msg = fails(load, folder)
    assert str(folder) in msg
    assert "is a folder" in msg and "file inside it" in msg


@pytest.mark.parametrize("suffix", [".pdf", ".docx", ""])
def test_unsupported_format(tmp_path, suffix):
    path = write(tmp_path / f"journal{suffix}", GOOD_CSV)
    msg = fails(load, path)
    assert str(path) in msg
    assert "unsupported file format" in msg
    assert (repr(suffix) if suffix else "(no suffix)") in msg
    assert ".csv" in msg and ".xlsx" in msg and ".parquet" in msg and ".xes" in msg


def test_old_excel_xls(tmp_path):
    path = tmp_path / "journal.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)  # OLE2 header
    msg = fails(load, path)
    assert str(path) in msg
    assert ".xls" in msg and "save it as .xlsx" in msg


def test_not_a_path_or_frame():
    msg = fails(read_caselog, 42)
    assert "int" in msg and "DataFrame" in msg


@pytest.mark.parametrize("content", [b"", b"\n\n  \r\n"], ids=["zero bytes", "blank lines"])
def test_empty_file(tmp_path, content):
    path = tmp_path / "journal.csv"
    path.write_bytes(content)
    msg = fails(load, path)
    assert str(path) in msg
    assert "empty" in msg and "header" in msg


def test_header_only(tmp_path):
    path = write(tmp_path / "journal.csv", "case_id;event;timestamp\n")
    raw = read_caselog(path)  # reading a header is fine: there is simply nothing in it
    assert len(raw) == 0
    msg = fails(validate, raw)
    assert str(path) in msg
    assert "no usable rows" in msg
    assert fails(load, path) == msg


# --------------------------------------------------------------------------- columns
def test_missing_required_column_lists_columns_found_and_closest(tmp_path):
    path = write(tmp_path / "journal.csv", "CaseID;Event name;Timestamps\nA;registration_submitted;2025-01-06\n")
    msg = fails(load, path)
    assert str(path) in msg
    assert "required column(s)" in msg
    assert "Columns found: ['CaseID', 'Event name', 'Timestamps']" in msg
    assert "'case_id' (closest: 'CaseID')" in msg
    assert "'event' (closest: 'Event name')" in msg
    assert "'timestamp' (closest: 'Timestamps')" in msg
    assert "columns=" in msg  # the fix


def test_missing_required_column_suggests_french_headers(tmp_path):
    """A French export's 'dossier' and 'Date' are what 'case_id' and 'timestamp' are missing.

    The message lists the columns found; it should also point at the likely
    ones (spelling similarity alone finds nothing here).
    """
    path = write(tmp_path / "journal.csv", "dossier;Étape;Date\nA;registration_submitted;06/01/2025\n")
    msg = fails(load, path)
    assert str(path) in msg
    assert "Columns found: ['dossier', 'Étape', 'Date']" in msg
    assert "'case_id' (closest: 'dossier')" in msg
    assert "'timestamp' (closest: 'Date')" in msg


def test_one_missing_column_only(tmp_path):
    path = write(tmp_path / "journal.csv", "case_id,event,when\nA,registration_submitted,2025-01-06\n")
    msg = fails(load, path)
    assert "'timestamp'" in msg and "'case_id'" not in msg.split("not found")[0]
    assert "Columns found: ['case_id', 'event', 'when']" in msg


def test_wrong_delimiter_forced(tmp_path):
    path = write(tmp_path / "journal.csv", "case_id;event;timestamp\nA;registration_submitted;2025-01-06\n")
    msg = fails(load, path, delimiter=",")
    assert str(path) in msg
    assert "read as one column" in msg
    assert "delimiter=';'" in msg


def test_wrong_delimiter_from_mapping(tmp_path):
    path = write(tmp_path / "journal.csv", "case_id;event;timestamp\nA;registration_submitted;2025-01-06\n")
    mapping = write(tmp_path / "m.json", '{"delimiter": ","}')
    msg = fails(load, path, mapping=mapping)
    assert "read as one column" in msg and "delimiter" in msg


def test_unsupported_delimiter_header_read_as_one_column(tmp_path):
    """A pipe-separated export: its header is read as one column; say so."""
    path = write(tmp_path / "journal.csv", "case_id|event|timestamp\nA|registration_submitted|2025-01-06\n")
    msg = fails(load, path)
    assert str(path) in msg
    assert "one column" in msg and "delimiter" in msg


def test_unsupported_delimiter_argument(tmp_path):
    path = write(tmp_path / "journal.csv", GOOD_CSV)
    msg = fails(load, path, delimiter="|")
    assert "delimiter='|'" in msg and "';'" in msg


# --------------------------------------------------------------------------- mappings
def test_mapping_names_a_column_the_file_lacks(tmp_path):
    path = write(tmp_path / "journal.csv", "No dossier;Étape;Date\nA;registration_submitted;06/01/2025\n")
    msg = fails(load, path, columns={"N° dossier": "case_id", "Étape": "event", "Date": "timestamp"})
    assert str(path) in msg
    assert "'N° dossier' (closest: 'No dossier')" in msg
    assert "Columns found: ['No dossier', 'Étape', 'Date']" in msg
    assert "mapping's `columns`" in msg


def test_value_mapping_for_a_column_the_file_lacks(tmp_path):
    path = write(tmp_path / "journal.csv", GOOD_CSV)
    msg = fails(load, path, values={"born_abroad": {"oui": True}})
    assert str(path) in msg and "'born_abroad'" in msg and "Columns:" in msg


@pytest.mark.parametrize(
    "name, text",
    [("m.toml", "[columns\n'N° dossier' = 'case_id'\n"), ("m.json", '{"columns": {"N° dossier": "case_id",}}')],
)
def test_mapping_file_bad_syntax(tmp_path, name, text):
    mapping = write(tmp_path / name, text)
    msg = fails(read_mapping, mapping)
    assert str(mapping) in msg and "cannot be parsed" in msg and "Fix its syntax" in msg
    path = write(tmp_path / "journal.csv", GOOD_CSV)
    assert fails(load, path, mapping=mapping) == msg


def test_mapping_file_unknown_key(tmp_path):
    mapping = write(tmp_path / "m.toml", "[colums]\n'N° dossier' = 'case_id'\n")
    msg = fails(read_mapping, mapping)
    assert str(mapping) in msg
    assert "unknown mapping setting(s) ['colums']" in msg
    assert "'columns'" in msg  # the known settings are listed


def test_mapping_file_wrong_shapes(tmp_path):
    msg = fails(read_mapping, write(tmp_path / "a.json", '["case_id"]'))
    assert "a.json" in msg and "table of settings" in msg
    msg = fails(read_mapping, write(tmp_path / "b.json", '{"columns": "case_id"}'))
    assert "b.json" in msg and "`columns` must be a table" in msg
    msg = fails(read_mapping, write(tmp_path / "c.toml", "[values]\nevent = 'x'\n"))
    assert "c.toml" in msg and "values.event" in msg


@pytest.mark.parametrize(
    "line, key, shown",
    [
        ('dayfirst = "false"', "dayfirst", "'false' (str)"),  # a string "false" would have meant true
        ("dayfirst = 1", "dayfirst", "1 (int)"),
        ("encoding = 5", "encoding", "5 (int)"),
        ("delimiter = 59", "delimiter", "59 (int)"),
        ("sheet = true", "sheet", "True (bool)"),
        ("sheet = 1.5", "sheet", "1.5 (float)"),
        ('[columns]\n"N° dossier" = 3', "columns.'N° dossier'", "got 3"),
    ],
)
def test_mapping_values_of_the_wrong_type_are_named(tmp_path, line, key, shown):
    msg = fails(read_mapping, write(tmp_path / "m.toml", line + "\n"))
    assert "m.toml" in msg and key in msg and shown in msg


def test_reading_arguments_of_the_wrong_type_are_named(tmp_path):
    path = write(tmp_path / "log.csv", "case_id,event,timestamp\nA,registration_submitted,2025-01-02\n")
    msg = fails(read_caselog, path, dayfirst="no")
    assert "read_caselog()" in msg and "`dayfirst` must be true or false" in msg and "'no' (str)" in msg
    msg = fails(read_caselog, path, encoding=8)
    assert "`encoding` must be" in msg


@pytest.mark.parametrize("suffix", [".yaml", ".ini", ""])
def test_mapping_file_unsupported_suffix(tmp_path, suffix):
    mapping = write(tmp_path / f"mapping{suffix}", "columns: {}\n")
    msg = fails(read_mapping, mapping)
    assert str(mapping) in msg
    assert "unsupported format" in msg and ".toml" in msg and ".json" in msg


def test_mapping_file_missing(tmp_path):
    mapping = tmp_path / "mapping.toml"
    msg = fails(load, write(tmp_path / "journal.csv", GOOD_CSV), mapping=mapping)
    assert str(mapping) in msg and "does not exist" in msg


# --------------------------------------------------------------------------- timestamps
def test_mixed_aware_and_naive_timestamps_names_both_rows(tmp_path):
    path = write(
        tmp_path / "journal.csv",
        "case_id,event,timestamp\n"
        ",registration_submitted,2025-01-05 08:00\n"  # row 1: set aside (no case id), not the culprit
        "A,registration_submitted,2025-01-06 09:00\n"  # row 2: naive
        "A,registration_accepted,2025-01-10T10:00:00+01:00\n",  # row 3: aware
    )
    msg = fails(load, path)
    assert str(path) in msg
    assert "'timestamp'" in msg
    assert "row 3: '2025-01-10T10:00:00+01:00'" in msg
    assert "row 2: '2025-01-06 09:00'" in msg
    assert "Fix:" in msg


def test_dayfirst_and_monthfirst_mixed(tmp_path):
    path = write(
        tmp_path / "journal.csv",
        "case_id;event;timestamp\n"
        "A;registration_submitted;13/01/2025 10:00\n"  # 13 January: day first
        "A;registration_accepted;01/20/2025 10:00\n",  # 20 January: month first
    )
    msg = fails(load, path)
    assert str(path) in msg and "'timestamp'" in msg
    assert "'13/01/2025 10:00'" in msg and "'01/20/2025 10:00'" in msg
    assert "dayfirst=" in msg


def test_all_rows_unusable(tmp_path):
    path = write(
        tmp_path / "journal.csv",
        "case_id,event,timestamp\nA,registration_submitted,hier\nA,registration_accepted,\n,nir_permanent,2025-01-02\n",
    )
    msg = fails(load, path)
    assert str(path) in msg
    assert "no usable rows" in msg and "all 3 rows" in msg
    assert "unparseable_timestamp" in msg and "missing_timestamp" in msg and "empty_case_id" in msg


def test_all_rows_after_as_of(tmp_path):
    path = write(tmp_path / "journal.csv", GOOD_CSV)
    msg = fails(load, path, as_of="2024-12-31")
    assert "no usable rows" in msg and "after_as_of" in msg and "as_of" in msg


def test_bad_as_of(tmp_path):
    path = write(tmp_path / "journal.csv", GOOD_CSV)
    assert "as_of='fin mars'" in fails(load, path, as_of="fin mars")
    log = load(path)
    msg = fails(case_table, log, as_of="2024-01-01")
    assert "as_of" in msg and "later" in msg


# --------------------------------------------------------------------------- Excel, Parquet, XES
def test_broken_xlsx(tmp_path):
    path = tmp_path / "journal.xlsx"
    path.write_bytes(bytes(range(256)) * 8)
    msg = fails(load, path)
    assert str(path) in msg
    assert "cannot open it as an Excel workbook" in msg and "re-save" in msg


def _two_sheet_book(path: Path) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Journal 2025"
    book.active.append(["case_id", "event", "timestamp"])
    book.active.append(["A", "registration_submitted", "06/01/2025 09:00"])
    book.create_sheet("Notes")
    book.save(path)
    return path


def test_missing_sheet_name_suggests_near_miss(tmp_path):
    path = _two_sheet_book(tmp_path / "classeur.xlsx")
    msg = fails(load, path, sheet="Journal 2024")
    assert str(path) in msg
    assert "no sheet 'Journal 2024'" in msg
    assert "Did you mean 'Journal 2025'?" in msg
    assert "['Journal 2025', 'Notes']" in msg


def test_missing_sheet_number(tmp_path):
    path = _two_sheet_book(tmp_path / "classeur.xlsx")
    msg = fails(load, path, sheet=5)
    assert str(path) in msg and "no sheet number 5" in msg and "['Journal 2025', 'Notes']" in msg


def test_broken_parquet(tmp_path):
    path = tmp_path / "journal.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 50)
    msg = fails(load, path)
    assert str(path) in msg and "cannot read it as Parquet" in msg


def test_truncated_xes_gz(tmp_path):
    data = RECEIPT.read_bytes()
    path = tmp_path / "receipt.xes.gz"
    path.write_bytes(data[: len(data) // 2])
    msg = fails(load, path)
    assert str(path) in msg
    assert "truncated" in msg


def test_truncated_plain_xes(tmp_path):
    with gzip.open(RECEIPT, "rb") as fh:
        data = fh.read()
    path = tmp_path / "receipt.xes"
    path.write_bytes(data[: len(data) // 2])
    msg = fails(load, path)
    assert str(path) in msg
    assert "not a well-formed XES" in msg and "truncated" in msg


def test_xes_without_events(tmp_path):
    path = write(tmp_path / "empty.xes", '<log xmlns="http://www.xes-standard.org/"><trace></trace></log>')
    msg = fails(load, path)
    assert str(path) in msg and "no events" in msg


# --------------------------------------------------------------------------- process model
def test_process_missing_phases():
    msg = fails(ProcessModel.from_dict, {"milestones": ["a", "b"]}, source="my_process.toml")
    assert "my_process.toml" in msg and "missing required setting(s) ['phases']" in msg


def test_process_wrong_phase_count():
    msg = fails(ProcessModel.from_dict, {"milestones": ["a", "b", "c"], "phases": ["only_one"]})
    assert "3 milestones need 2 phases" in msg and "got 1" in msg


def test_process_trigger_in_unknown_phase():
    msg = fails(
        ProcessModel.from_dict,
        {"milestones": ["a", "b"], "phases": ["intake"], "triggers": {"late_scan": {"phase": "review"}}},
    )
    assert "trigger 'late_scan'" in msg and "'review'" in msg and "['intake']" in msg


@pytest.mark.parametrize(
    "spec, words",
    [
        ({"milestones": ["a"], "phases": []}, "at least two milestones"),
        ({"milestones": ["a", "a"], "phases": ["p"]}, "listed more than once"),
        ({"milestones": "a,b", "phases": ["p"]}, "must be a list of names"),
        ({"milestones": ["a", "b"], "phases": ["p"], "phase": []}, "unknown setting(s) ['phase']"),
        ({"milestones": ["a", "b", "c"], "phases": ["p", "p"]}, "used more than once"),
        ({"milestones": ["a", "b"], "phases": ["p"], "waiting_on": {"a": "nobody"}}, "waiting_on values"),
        ({"milestones": ["a", "b"], "phases": ["p"], "waiting_on": {"zzz": "office"}}, "neither milestones"),
        ({"milestones": ["a", "b"], "phases": [{"label": "x"}]}, "needs a `key`"),
    ],
)
def test_process_other_mistakes(spec, words):
    assert words in fails(ProcessModel.from_dict, spec)


def test_process_toml_file_errors(tmp_path):
    msg = fails(ProcessModel.from_toml, tmp_path / "absent.toml")
    assert "absent.toml" in msg and "does not exist" in msg
    bad = write(tmp_path / "bad.toml", "milestones = [\n")
    msg = fails(ProcessModel.from_toml, bad)
    assert str(bad) in msg and "not valid TOML" in msg


# --------------------------------------------------------------------------- encodings
def test_unknown_encoding_given(tmp_path):
    path = write(tmp_path / "journal.csv", GOOD_CSV)
    msg = fails(load, path, encoding="klingon")
    assert str(path) in msg and "unknown encoding 'klingon'" in msg and "'utf-8'" in msg


def test_wrong_encoding_given_names_the_line(tmp_path):
    path = write(
        tmp_path / "journal.csv",
        "case_id;event;timestamp;note\n"
        "A;registration_submitted;06/01/2025;ok\n"
        "A;registration_accepted;10/01/2025;reçu\n",  # line 3 holds the only non-ASCII byte
        encoding="cp1252",
    )
    msg = fails(load, path, encoding="utf-8")
    assert str(path) in msg
    assert "line 3 is not valid utf-8" in msg and r"b'\xe7'" in msg
    assert "encoding" in msg


def test_bytes_neither_utf8_nor_cp1252(tmp_path):
    path = tmp_path / "journal.csv"
    path.write_bytes(
        b"case_id;event;timestamp\n"
        b"A;registration_submitted;06/01/2025\n"
        b"A\x81;registration_accepted;10/01/2025\n"  # line 3: 0x81 is undefined in cp1252
    )
    msg = fails(load, path)
    assert str(path) in msg
    assert "line 3" in msg and r"b'\x81'" in msg
    assert "UTF-8" in msg and "cp1252" in msg and "encoding=" in msg


def test_stray_byte_in_an_otherwise_cp1252_file_is_located(tmp_path):
    """A cp1252 export (accents on line 2) with one undefined byte on line 3.

    The byte to blame is the 0x81 on line 3: the accented 'é' on line 2 is valid
    cp1252 and must not be reported as "neither UTF-8 nor Windows-1252".
    """
    path = tmp_path / "journal.csv"
    path.write_bytes(
        "case_id;event;timestamp;note\nA;registration_submitted;06/01/2025;déposé\n".encode("cp1252")
        + b"A;registration_accepted;10/01/2025;x\x81y\n"
    )
    msg = fails(load, path)
    assert str(path) in msg
    assert "line 3" in msg and r"b'\x81'" in msg
    assert r"b'\xe9'" not in msg


# =========================================================================== part 2: quality checks
HEADER = "case_id,event,timestamp,trigger,office,born_abroad"


def _row(case="A", event="registration_submitted", ts="2025-01-06 09:00", trigger="", office="CPAM 75", abroad="oui"):
    return ",".join([case, event, ts, trigger, office, abroad])


# check → (data rows, expected failing rows, their case ids, rows_read, rows_kept, kwargs for validate
# [, header when it is not HEADER])
# Each file is otherwise clean: the planted check is the only problem found.
PLANTED = {
    "malformed_row": (
        [
            _row(),
            _row(event="registration_accepted", ts="2025-01-10 10:00") + ",EXTRA",
            _row(event="nir_permanent", ts="2025-01-20 11:00"),
            _row(event="dossier_submitted", ts="2025-01-31 14:30") + ",x,y",
        ],
        [2, 4], [None, None], 4, 2, {},
    ),
    "empty_case_id": (
        [
            _row(),
            _row(case="", event="registration_accepted", ts="2025-01-10 10:00"),
            _row(case="   ", event="registration_accepted", ts="2025-01-11 10:00"),
            _row(event="nir_permanent", ts="2025-01-20 11:00"),
        ],
        [2, 3], [None, None], 4, 2, {},
    ),
    "empty_event": (
        [_row(), _row(event="", ts="2025-01-10 10:00"), _row(event="nir_permanent", ts="2025-01-20 11:00")],
        [2], ["A"], 3, 2, {},
    ),
    # A PM4Py-style CSV with a lifecycle column, no lifecycle setting: only "complete" (any case) and
    # an empty transition are kept; the scheduled and started events (rows 2 and 3) are set aside.
    "lifecycle_not_complete": (
        [
            _row() + ",complete",
            _row(event="registration_accepted", ts="2025-01-08 10:00") + ",SCHEDULE",
            _row(event="registration_accepted", ts="2025-01-09 10:00") + ", start ",
            _row(event="registration_accepted", ts="2025-01-10 10:00") + ",COMPLETE",
            _row(event="nir_permanent", ts="2025-01-20 11:00") + ",",
        ],
        [2, 3], ["A", "A"], 5, 3, {}, HEADER + ",lifecycle:transition",
    ),
    "missing_timestamp": (
        [
            _row(),
            _row(event="registration_accepted", ts=""),
            _row(event="nir_permanent", ts="  "),
            _row(event="dossier_submitted", ts="2025-01-31 14:30"),
        ],
        [2, 3], ["A", "A"], 4, 2, {},
    ),
    "unparseable_timestamp": (
        [
            _row(ts="06/01/2025 09:00"),
            _row(event="registration_accepted", ts="31/02/2025 10:00"),  # 31 February does not exist
            _row(event="nir_permanent", ts="pas de date"),
            _row(event="dossier_submitted", ts="2025-13-01 10:00"),  # month 13
            _row(event="rights_opened", ts="15/03/2025 08:00"),
            _row(event="card_received", ts="20/03/2025 25:00"),  # hour 25
        ],
        [2, 3, 4, 6], ["A"] * 4, 6, 2, {},
    ),
    "duplicate_row": (
        [
            _row(),
            _row(event="registration_accepted", ts="2025-01-10 10:00"),
            _row(event="registration_accepted", ts="2025-01-10 10:00"),
            _row(event="nir_permanent", ts="2025-01-20 11:00"),
            _row(event="registration_accepted", ts="2025-01-10 10:00"),
        ],
        [3, 5], ["A", "A"], 5, 3, {},
    ),
    "after_as_of": (
        [
            _row(),
            _row(event="registration_accepted", ts="2025-01-31 23:59"),
            _row(event="nir_permanent", ts="2025-02-01 10:00"),
            _row(event="dossier_submitted", ts="2025-02-10 10:00"),
        ],
        [3, 4], ["A", "A"], 4, 2, {"as_of": "2025-01-31"},
    ),
    "unknown_event": (
        [_row(), _row(event="rendez_vous_caf", ts="2025-01-08 10:00"),
         _row(event="registration_accepted", ts="2025-01-10 10:00")],
        [2], ["A"], 3, 3, {},
    ),
    "unknown_trigger": (
        [
            _row(),
            _row(event="complement_requested", ts="2025-01-08 10:00", trigger="tampon_manquant"),
            _row(event="complement_requested", ts="2025-01-09 10:00", trigger="missing_translation"),
        ],
        [2], ["A"], 3, 3, {},
    ),
    "same_time_tie": (
        [
            # Written in the wrong order at the same minute: the process order puts
            # registration_submitted first, so the tie is reported on documents_collected (row 1).
            _row(event="documents_collected", ts="2025-01-06 09:00"),
            _row(event="registration_submitted", ts="2025-01-06 09:00"),
            _row(event="registration_accepted", ts="2025-01-10 10:00"),
        ],
        [1], ["A"], 3, 3, {},
    ),
    "no_start_milestone": (
        [
            _row(),
            _row(case="B", event="registration_accepted", ts="2025-01-10 10:00"),
            _row(case="B", event="nir_permanent", ts="2025-01-20 11:00"),
        ],
        [2], ["B"], 3, 3, {},
    ),
    "order_violation": (
        [
            _row(),
            _row(event="registration_accepted", ts="2025-01-10 10:00"),
            _row(event="dossier_submitted", ts="2025-01-15 10:00"),  # before the permanent number
            _row(event="nir_permanent", ts="2025-01-20 11:00"),
        ],
        [3], ["A"], 4, 4, {},
    ),
    "conflicting_attribute": (
        [
            _row(),
            _row(event="registration_accepted", ts="2025-01-10 10:00", office="CPAM 92"),
            _row(event="nir_permanent", ts="2025-01-20 11:00", office=""),  # empty: no conflict
            _row(event="dossier_submitted", ts="2025-01-31 14:30", abroad="non"),
        ],
        [2, 4], ["A", "A"], 4, 4, {},
    ),
    "unreadable_value": (
        [
            _row(abroad="peut-être"),
            _row(event="registration_accepted", ts="2025-01-10 10:00", abroad="oui"),
            _row(event="nir_permanent", ts="2025-01-20 11:00", abroad="oui"),
        ],
        [1], ["A"], 3, 3, {},
    ),
    # Case ids are social security numbers: 97 - 1850575123456 % 97 = 73 (right key);
    # 2850699123457 has key 69, written 00 here (wrong key). Reported masked.
    "nir_bad_key": (
        [
            _row(case="185057512345673"),
            _row(case="185057512345673", event="registration_accepted", ts="2025-01-10 10:00"),
            _row(case="285069912345700", ts="2025-01-07 09:00"),
        ],
        [3], ["2 85 •• •• ••• ••• 00"], 3, 3, {},
    ),
    # Ten events (the fewest the check looks at), sorted in time: 99 % of the way along is position
    # int(0.99 × 9) = 8, 21 Feb 2025; the bulk spans 6 Jan–21 Feb (46 days), less than a year, so
    # the horizon is 21 Feb 2026: only the 2099 event (row 10) is past it.
    "future_timestamp": (
        [
            _row(),
            _row(event="registration_accepted", ts="2025-01-10 10:00"),
            _row(event="nir_permanent", ts="2025-01-20 11:00"),
            _row(event="documents_collected", ts="2025-01-22 11:00"),
            _row(event="s1106_completed", ts="2025-01-24 11:00"),
            _row(event="dossier_submitted", ts="2025-01-31 14:30"),
            _row(event="submission_confirmed", ts="2025-02-03 10:00"),
            _row(event="rights_opened", ts="2025-02-20 10:00"),
            _row(event="card_requested", ts="2025-02-21 10:00"),
            _row(event="followup_message", ts="2099-01-20 11:00"),
        ],
        [10], ["A"], 10, 10, {},
    ),
}


def test_every_check_has_a_planted_case():
    assert set(PLANTED) == set(CHECKS)


@pytest.mark.parametrize("check", list(CHECKS))
def test_quality_check_counts_rows_and_accounting(tmp_path, check):
    rows, bad_rows, bad_cases, rows_read, rows_kept, kw, *header = PLANTED[check]
    path = write(tmp_path / f"{check}.csv", (header or [HEADER])[0] + "\n" + "\n".join(rows) + "\n")
    raw = read_caselog(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        log = validate(raw, **kw)
    q = log.quality
    action = CHECKS[check][0]

    assert q.count(check) == len(bad_rows)
    fail = q.failures
    assert set(fail["check"]) == {check}, fail  # the planted problem is the only one
    assert fail["row"].tolist() == bad_rows
    got_cases = [None if pd.isna(c) or c == "" else c for c in fail["case_id"]]
    assert got_cases == bad_cases
    assert set(fail["action"]) == {action}

    assert q.rows_read == rows_read
    assert q.rows_kept == rows_kept == len(log.events)
    n_aside = rows_read - rows_kept
    assert q.n_set_aside == n_aside
    assert q.rows_read == q.rows_kept + q.n_set_aside
    if action == "set aside":
        assert q.set_aside == {check: len(bad_rows)}
        assert sorted(q.set_aside_rows["row"].tolist()) == bad_rows
        assert set(q.set_aside_rows["reason"]) == {check}
        assert not set(bad_rows) & set(log.events["row"])  # set-aside rows are not in the events
        assert any(issubclass(w.category, DataQualityWarning) for w in caught)
    else:
        assert q.set_aside == {}
        assert set(bad_rows) <= set(log.events["row"])  # flagged rows are kept
        assert not any(issubclass(w.category, DataQualityWarning) for w in caught)
    # Every other row is kept, with its own source row number.
    assert sorted(log.events["row"]) == [r for r in range(1, rows_read + 1) if r not in (bad_rows if action == "set aside" else [])]
    counts = q.counts().set_index("check")
    assert counts.loc[check, "count"] == len(bad_rows)
    assert counts.loc[check, "action"] == action


def test_failure_values_say_what_was_wrong(tmp_path):
    """Spot-check the `value` and `column` of a few failures (worked out by hand)."""
    def failures(check):
        rows, _, _, _, _, kw = PLANTED[check]
        path = write(tmp_path / f"{check}.csv", HEADER + "\n" + "\n".join(rows) + "\n")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            return validate(read_caselog(path), **kw).quality.failures

    f = failures("order_violation")
    assert f.loc[0, "value"] == "dossier_submitted before nir_permanent" and f.loc[0, "column"] == "event"
    f = failures("unparseable_timestamp")
    assert f["value"].tolist() == ["31/02/2025 10:00", "pas de date", "2025-13-01 10:00", "20/03/2025 25:00"]
    assert set(f["column"]) == {"timestamp"}
    f = failures("conflicting_attribute")
    assert f["column"].tolist() == ["office", "born_abroad"]
    assert f.loc[0, "value"] == "CPAM 92"
    # The file says "non"; the typed value False is acceptable too (it names the same thing).
    assert f.loc[1, "value"] in ("non", "False")
    f = failures("unreadable_value")
    assert f[["column", "value"]].values.tolist() == [["born_abroad", "peut-être"]]
    f = failures("malformed_row")
    assert f["value"].str.startswith("line 3: 7 fields, expected 6").tolist() == [True, False]
    assert f["value"].str.startswith("line 5: 8 fields, expected 6").tolist() == [False, True]
    f = failures("unknown_trigger")
    assert f[["column", "value"]].values.tolist() == [["trigger", "tampon_manquant"]]


def test_unreadable_and_conflicting_values_in_the_case_table(tmp_path):
    rows = PLANTED["unreadable_value"][0]
    log = load(write(tmp_path / "u.csv", HEADER + "\n" + "\n".join(rows) + "\n"))
    assert log.events.set_index("row")["born_abroad"].isna().tolist() == [True, False, False]
    assert bool(case_table(log).to_frame().loc[0, "born_abroad"]) is True  # first non-empty value
    rows = PLANTED["conflicting_attribute"][0]
    log = load(write(tmp_path / "c.csv", HEADER + "\n" + "\n".join(rows) + "\n"))
    table = case_table(log).to_frame()
    assert table.loc[0, "office"] == "CPAM 75" and bool(table.loc[0, "born_abroad"]) is True


def test_all_checks_in_one_file(tmp_path):
    """One file with several problems: the counts add up and nothing is lost."""
    rows = [
        _row(),                                                                # 1 ok
        _row(event="registration_accepted", ts="2025-01-10 10:00") + ",x",     # 2 malformed
        _row(case="", event="registration_accepted", ts="2025-01-10 10:00"),   # 3 empty case id
        _row(event="", ts="2025-01-11 10:00"),                                 # 4 empty event
        _row(event="registration_accepted", ts=""),                            # 5 missing time
        _row(event="registration_accepted", ts="2025-02-30 10:00"),            # 6 unparseable
        _row(event="registration_accepted", ts="2025-01-10 10:00"),            # 7 ok
        _row(event="registration_accepted", ts="2025-01-10 10:00"),            # 8 duplicate of 7
        _row(event="rendez_vous_caf", ts="2025-01-12 10:00"),                  # 9 unknown event
        _row(case="B", event="nir_permanent", ts="2025-01-12 10:00"),          # 10 no start (B)
        _row(event="card_received", ts="2025-03-01 10:00"),                    # 11 after as_of
    ]
    path = write(tmp_path / "tout.csv", HEADER + "\n" + "\n".join(rows) + "\n")
    with pytest.warns(DataQualityWarning, match="7 of 11 rows set aside"):
        log = validate(read_caselog(path), as_of="2025-02-28")
    q = log.quality
    assert (q.rows_read, q.rows_kept, q.n_set_aside) == (11, 4, 7)
    assert q.set_aside == {
        "malformed_row": 1, "empty_case_id": 1, "empty_event": 1, "missing_timestamp": 1,
        "unparseable_timestamp": 1, "duplicate_row": 1, "after_as_of": 1,
    }
    assert sorted(log.events["row"]) == [1, 7, 9, 10]
    assert q.count("unknown_event") == 1 and q.count("no_start_milestone") == 1
    assert q.failures["row"].tolist() == [2, 3, 4, 5, 6, 8, 9, 10, 11]
    assert q.n_cases == 2


# --------------------------------------------------------------------------- the as_of boundary
def test_as_of_bare_date_excludes_the_next_day(tmp_path):
    """as_of='2025-01-31' includes all of 31 January and nothing of 1 February.

    Logs written with dates only (no time) are common; an event dated
    2025-02-01 is on 1 February and must be set aside as after_as_of.
    """
    path = write(
        tmp_path / "dates.csv",
        "case_id,event,timestamp\n"
        "A,registration_submitted,2025-01-06\n"
        "A,registration_accepted,2025-01-31\n"
        "A,nir_permanent,2025-02-01\n",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        log = validate(read_caselog(path), as_of="2025-01-31")
    assert log.quality.count("after_as_of") == 1
    assert sorted(log.events["row"]) == [1, 2]


def test_case_table_as_of_bare_date_excludes_the_next_day(tmp_path):
    path = write(
        tmp_path / "dates.csv",
        "case_id,event,timestamp\n"
        "A,registration_submitted,2025-01-06\n"
        "A,registration_accepted,2025-01-31\n"
        "A,nir_permanent,2025-02-01\n",
    )
    table = case_table(load(path), as_of="2025-01-31").to_frame()
    assert table.loc[0, "n_events"] == 2
    assert table.loc[0, "current_phase"] == "ssn"
    assert pd.isna(table.loc[0, "nir_permanent_at"])


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_a_column_named_row_in_the_file_is_kept_under_another_name(tmp_path, suffix):
    """The file's own 'row' column (its line numbers, say 101 and 102) is neither overwritten by the
    loader's row numbers nor lost: it becomes 'file_row', and a note says so."""
    frame = pd.DataFrame({"row": ["101", "102"], "case_id": ["A", "A"],
                          "event": ["registration_submitted", "registration_accepted"],
                          "timestamp": ["2025-01-02 10:00:00", "2025-01-03 10:00:00"]})
    path = tmp_path / f"log{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_excel(path, index=False)
    raw = read_caselog(path)
    assert raw.frame["file_row"].astype(str).tolist() == ["101", "102"]
    assert raw.frame["row"].tolist() == [1, 2]
    assert any("'file_row'" in note for note in raw.notes)


def test_mapping_a_column_to_row_is_refused_with_the_fix(tmp_path):
    path = write(tmp_path / "log.csv", "n,case_id,event,timestamp\n1,A,registration_submitted,2025-01-02\n")
    msg = fails(read_caselog, path, columns={"n": "row"})
    assert "'n' to 'row'" in msg and "map it to another name" in msg


XES_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0" xmlns="http://www.xes-standard.org/">\n'


def _xes_event(name: str, when: str) -> str:
    return (f'<event><string key="concept:name" value="{name}"/>'
            f'<date key="time:timestamp" value="{when}"/></event>\n')


def test_xes_event_outside_any_trace_is_counted_and_set_aside(tmp_path):
    """Three events: two in trace A, one between traces (position 2 in the file). Worked by hand:
    rows read 3 = kept 2 + set aside 1 (malformed_row, row 2, named as outside any trace)."""
    text = (XES_HEAD + '<trace><string key="concept:name" value="A"/>\n'
            + _xes_event("registration_submitted", "2025-01-02T10:00:00+00:00") + "</trace>\n"
            + _xes_event("registration_accepted", "2025-01-03T10:00:00+00:00")
            + '<trace><string key="concept:name" value="A2"/>\n'
            + _xes_event("registration_submitted", "2025-01-04T10:00:00+00:00") + "</trace>\n</log>\n")
    path = write(tmp_path / "orphan.xes", text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        log = load(path)
    q = log.quality
    assert (q.rows_read, q.rows_kept, q.set_aside) == (3, 2, {"malformed_row": 1})
    row = q.failures[q.failures["check"] == "malformed_row"].iloc[0]
    assert row["row"] == 2 and "outside any <trace>" in row["value"] and "registration_accepted" in row["value"]
    assert sorted(log.events["row"].tolist()) == [1, 3]


def test_xes_case_ids_written_as_int_keep_their_text(tmp_path):
    """<int key="concept:name" value="012"/> and value="12" are two dossiers, not one."""
    traces = "".join(
        f'<trace><int key="concept:name" value="{case}"/>\n'
        + _xes_event("registration_submitted", "2025-01-02T10:00:00+00:00") + "</trace>\n"
        for case in ("012", "12"))
    path = write(tmp_path / "ids.xes", XES_HEAD + traces + "</log>\n")
    log = load(path)
    assert sorted(log.events["case_id"].astype(str)) == ["012", "12"]


def test_a_typo_year_is_flagged_and_kept_out_of_the_default_as_of(tmp_path):
    """100 events in January–April 2025 and one written 2099: the 2099 event is kept and flagged
    future_timestamp, and the default as-of is the latest 2025 event (worked by hand: case C99's
    second event, 2025-04-10 10:00), not 19 January 2099."""
    lines = ["case_id,event,timestamp"]
    for i in range(100):
        lines.append(f"C{i:02d},registration_submitted,2025-{1 + i % 4:02d}-{1 + i % 9:02d} 10:00:00")
    lines.append("C99,registration_accepted,2025-04-10 10:00:00")
    lines.append("C00,registration_accepted,2099-01-19 10:00:00")
    path = write(tmp_path / "typo.csv", "\n".join(lines) + "\n")
    log = load(path)
    failures = log.quality.failures
    future = failures[failures["check"] == "future_timestamp"]
    assert future["row"].tolist() == [102] and future["value"].iloc[0].startswith("2099-01-19 10:00")
    assert log.quality.rows_kept == 102
    assert log.last_timestamp == pd.Timestamp("2025-04-10 10:00")
    assert log.as_of().at == pd.Timestamp("2025-04-10 10:00")


def test_small_or_resumed_logs_flag_nothing():
    """Two events 14 months apart (too few to judge), and a three-year log whose last event comes
    two years after the rest (within the log's own span): nothing flagged, the last event is the
    default as-of."""
    two = load(pd.DataFrame({"case_id": ["S0", "S1"], "event": "registration_submitted",
                             "timestamp": ["2025-03-15 09:00", "2024-01-01 00:00"]}))
    assert "future_timestamp" not in set(two.quality.failures["check"])
    assert two.last_timestamp == pd.Timestamp("2025-03-15 09:00")
    times = list(pd.date_range("2020-01-01", "2022-12-31", periods=200)) + [pd.Timestamp("2024-12-01")]
    resumed = load(pd.DataFrame({"case_id": [f"C{i}" for i in range(201)], "event": "registration_submitted",
                                 "timestamp": times}))
    assert "future_timestamp" not in set(resumed.quality.failures["check"])


def test_a_long_log_without_outliers_flags_nothing():
    """Two years of events, one a day: nothing is a year past 99 % of them."""
    days = pd.date_range("2023-01-01", periods=730, freq="D")
    frame = pd.DataFrame({"case_id": [f"C{i}" for i in range(730)], "event": "registration_submitted",
                          "timestamp": days})
    log = load(frame)
    assert "future_timestamp" not in set(log.quality.failures["check"])
    assert log.last_timestamp == days[-1]


def test_parquet_with_a_column_twice_says_so(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table([pa.array(["A"]), pa.array(["registration_submitted"]), pa.array(["2025-01-02"]),
                      pa.array(["x"])], names=["case_id", "event", "timestamp", "case_id"])
    path = tmp_path / "dup.parquet"
    pq.write_table(table, path)
    msg = fails(load, path)
    assert "['case_id'] more than once" in msg and "each column name once" in msg and "truncated" not in msg


@pytest.mark.parametrize("tail, path_kind", [("", "fast"), ('A;registration_accepted;2025-01-03 10:00;"open\n', "tolerant")])
def test_excel_sep_line_names_the_delimiter(tmp_path, tail, path_kind):
    """Excel's first line 'sep=;' is the delimiter, not the header, on both reading paths (the
    second file has an unclosed quote, so the tolerant path reads it and refuses it clearly)."""
    text = "sep=;\ncase_id;event;timestamp;note\nA;registration_submitted;2025-01-02 10:00;\n" + tail
    path = write(tmp_path / "sep.csv", text)
    if path_kind == "tolerant":
        msg = fails(read_caselog, path)
        assert "line 4" in msg and "never closed" in msg  # the sep= line counted as the file's line 1
        return
    raw = read_caselog(path)
    assert list(raw.frame.columns[:4]) == ["case_id", "event", "timestamp", "note"]
    assert any("'sep=;'" in n for n in raw.notes)


def test_lookalike_case_ids_are_reported(tmp_path):
    """'A12', 'A１２' (full-width digits) and 'A\u200b12' (a zero-width space) are three dossiers as
    written; the notes name them as one group, the invisible character shown."""
    lines = ["case_id,event,timestamp", "A12,registration_submitted,2025-01-02 10:00:00",
             "A１２,registration_submitted,2025-01-03 10:00:00", "A\u200b12,registration_submitted,2025-01-04 10:00:00",
             "B7,registration_submitted,2025-01-05 10:00:00"]
    log = load(write(tmp_path / "alike.csv", "\n".join(lines) + "\n"))
    assert log.quality.n_cases == 4
    note = next(n for n in log.quality.notes if "differ only in how they are written" in n)
    assert note.startswith("1 group(s)")
    assert "'A12'" in note and "'A１２'" in note and "'A<U+200B>12'" in note and "B7" not in note


def test_stray_quotes_do_not_swallow_events(tmp_path):
    """Two stray quotes (an even number): the first opens a note on line 3 that would close on
    line 5, swallowing the events of lines 4 and 5. Worked by hand: 5 data lines, 5 rows read,
    all kept; the note names lines 3–5; the quote characters stay in the text."""
    lines = ["case_id;event;timestamp;note",
             "A;registration_submitted;2025-01-02 10:00;",
             'A;registration_accepted;2025-01-03 10:00;"urgent',
             "A;nir_permanent;2025-01-10 10:00;",
             'B;registration_submitted;2025-01-04 10:00;fin"',
             "B;registration_accepted;2025-01-05 10:00;",
             'C;registration_submitted;2025-01-06 10:00;"quoted; fine"']
    path = write(tmp_path / "stray.csv", "\n".join(lines) + "\n")
    log = load(path)
    q = log.quality
    assert (q.rows_read, q.rows_kept) == (6, 6)
    notes = [n for n in q.notes if n.startswith("stray quotes")]
    assert len(notes) == 1 and "lines 3–5" in notes[0] and "3 lines" in notes[0]
    by_row = dict(zip(log.events["row"], log.events["note"]))
    assert by_row[2] == '"urgent' and by_row[4] == 'fin"' and by_row[6] == "quoted; fine"


def test_a_quoted_line_break_in_a_note_is_not_a_stray_quote(tmp_path):
    """A note over two lines whose second line has no delimiters: one cell, no stray-quote note."""
    text = ('case_id;event;timestamp;note\nA;registration_submitted;2025-01-02 10:00;"line one\nline two"\n'
            "A;registration_accepted;2025-01-03 10:00;\n")
    log = load(write(tmp_path / "multi.csv", text))
    assert log.events["note"].iloc[0] == "line one\nline two"
    assert not [n for n in log.quality.notes if n.startswith("stray quotes")]


# --------------------------------------------------------------------------- bounds
def _xes_with(n_events: int, value: str = "registration_submitted") -> str:
    events = "".join(_xes_event(value, "2025-01-02T10:00:00+00:00") for _ in range(n_events))
    return XES_HEAD + '<trace><string key="concept:name" value="A"/>\n' + events + "</trace>\n</log>\n"


def test_xes_bounds_stop_a_large_file_with_the_override_named(tmp_path):
    import gzip

    from vitale_analysis.read import DEFAULT_LIMITS

    assert DEFAULT_LIMITS["events"] >= 100_000_000 and DEFAULT_LIMITS["bytes"] >= 2**32
    text = _xes_with(50)
    path = tmp_path / "log.xes.gz"
    path.write_bytes(gzip.compress(text.encode()))
    msg = fails(load, path, limits={"events": 20})
    assert "limits['events']" in msg and "limits={'events': …}" in msg and "20" in msg
    msg = fails(load, path, limits={"bytes": 1000})
    assert "decompressed" in msg and "limits['bytes']" in msg
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        assert load(path, limits={"events": 50}).quality.rows_read == 50  # at the limit: read


def test_one_huge_xes_value_is_refused_before_parsing(tmp_path):
    """A 3 MB attribute value (expat parses such a token in quadratic time) is refused by the
    scan of the raw bytes, with the limit named; a value under the limit is read."""
    path = write(tmp_path / "huge.xes", _xes_with(1, value="x" * 3_000_000))
    msg = fails(load, path)
    assert "limits['value_chars']" in msg
    path = write(tmp_path / "ok.xes", _xes_with(1, value="y" * 1000))
    assert load(path, limits={"value_chars": 5000}).events["event"].astype(str).iloc[0] == "y" * 1000


def test_column_and_size_bounds_for_text_and_excel(tmp_path):
    header = ",".join(["case_id", "event", "timestamp"] + [f"extra{i}" for i in range(30)])
    row = ",".join(["A", "registration_submitted", "2025-01-02 10:00"] + [""] * 30)
    path = write(tmp_path / "wide.csv", header + "\n" + row + "\n")
    msg = fails(load, path, limits={"columns": 20})
    assert "33 columns" in msg and "limits['columns']" in msg
    msg = fails(load, path, limits={"bytes": 100})
    assert "limits['bytes']" in msg
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["case_id", "event", "timestamp"])
    book.active.append(["A", "registration_submitted", "2025-01-02 10:00"])
    book.save(tmp_path / "small.xlsx")
    msg = fails(load, tmp_path / "small.xlsx", limits={"bytes": 2000})
    assert "once unzipped" in msg


def test_limits_are_checked(tmp_path):
    path = write(tmp_path / "log.csv", "case_id,event,timestamp\nA,registration_submitted,2025-01-02\n")
    assert "unknown limit 'rows'" in fails(load, path, limits={"rows": 5})
    assert "whole number above 0" in fails(load, path, limits={"events": 0})


def test_a_header_of_many_columns_is_read_in_linear_time(tmp_path):
    """5,000 columns (the issue measured 24–31 s): within the default limit, and the duplicate
    check after renaming is one pass (Counter). Times are benchmarks' business; this checks the
    result: every column kept, in order."""
    names = ["case_id", "event", "timestamp"] + [f"c{i}" for i in range(5000)]
    text = ",".join(names) + "\n" + ",".join(["A", "registration_submitted", "2025-01-02 10:00"] + ["x"] * 5000) + "\n"
    raw = read_caselog(write(tmp_path / "wide.csv", text))
    assert list(raw.frame.columns) == names + ["row"]
    log = validate(raw)  # (validation builds its frame at once: column by column was quadratic)
    assert list(log.events.columns) == ["case_id", "event", "timestamp", "trigger"] + names[3:] + ["row"]


def test_a_lone_quote_inside_an_unquoted_cell_is_a_plain_character(tmp_path):
    """'dit "urgent' holds one quote, not at the start of its cell: valid CSV (the quote is a
    character), so the file loads and the note keeps it; the fast reader hands the odd quote
    count to the tolerant path, which decides cell by cell."""
    text = ('case_id;event;timestamp;note\nA;registration_submitted;2025-01-02 10:00;dit "urgent\n'
            "A;registration_accepted;2025-01-03 10:00;\n")
    log = load(write(tmp_path / "lone.csv", text))
    assert log.events["note"].iloc[0] == 'dit "urgent' and log.quality.rows_kept == 2


def test_a_compression_bomb_is_refused_early(tmp_path, monkeypatch):
    """20,000 identical events compress far more than a real export (a real XES compresses 5 to
    40 times): past the floor (lowered here from 64 MB to 1 MB) the ratio limit stops it, named;
    raised with limits={'ratio': …} the file loads."""
    import gzip

    import vitale_analysis.read as read_module

    monkeypatch.setattr(read_module, "_RATIO_FLOOR", 1 << 20)
    data = gzip.compress(_xes_with(20_000).encode(), compresslevel=9)
    path = tmp_path / "bomb.xes.gz"
    path.write_bytes(data)
    assert len(_xes_with(20_000)) > 200 * len(data)  # (the premise: a ratio above the default 200)
    msg = fails(load, path)
    assert "limits['ratio']" in msg and "compression bomb" in msg
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        assert load(path, limits={"ratio": 100_000}).quality.rows_read == 20_000


def test_a_header_wider_than_the_sample_is_refused_before_reading(tmp_path):
    """200,000 columns (the issue's file never finished): the header alone is longer than the
    1 MB sample, so the count is a lower bound, said as such."""
    names = ["case_id", "event", "timestamp"] + [f"c{i}" for i in range(200_000)]
    path = write(tmp_path / "very_wide.csv", ",".join(names) + "\n" + "A,registration_submitted,2025-01-02\n")
    msg = fails(load, path)
    assert "at least" in msg and "limits['columns']" in msg
