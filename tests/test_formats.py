"""The same case log, written in every format an advisor's tool exports, gives the same case table.

The reference is a small canonical log built here as a DataFrame (4 dossiers, 16
events) → ``validate`` → ``case_table(as_of="2025-04-30")``; a few of its values are
checked by hand first, so that the reference itself is not taken on trust. Every
other test writes THE SAME events in another shape (French export with a mapping
file, sniffed delimiters / encodings / day-first dates, Excel, Parquet, a separate
cases table) into ``tmp_path`` and asserts the case table is equal.

The last part reads the real public log ``receipt.xes.gz`` (4TU.ResearchData, CC BY 4.0,
vendored in tests/data/external/ with its source and licence) with a user-given process
model and checks it against an independent plain-Python parse of the XML.
"""

from __future__ import annotations

import gzip
import json
import warnings
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from vitale_analysis import (
    AsOf,
    CaseLog,
    CaseTable,
    DataQualityWarning,
    ProcessModel,
    case_table,
    load,
    read_caselog,
    validate,
)

AS_OF = "2025-04-30"  # a bare date: the end of 30 April, i.e. 2025-05-01 00:00

# --------------------------------------------------------------------------- the canonical log
# (case_id, event, timestamp, trigger, note); case attributes per case below.
EVENTS = [
    ("A001", "registration_submitted", "2025-01-06 09:00", None, None),
    ("A001", "registration_accepted", "2025-01-10 10:00", None, None),
    ("A001", "nir_permanent", "2025-01-20 11:00", None, None),
    ("A001", "dossier_submitted", "2025-01-31 14:30", None, None),
    ("A001", "complement_requested", "2025-02-14 09:15", "missing_translation", "Acte de naissance à traduire"),
    ("A001", "rights_opened", "2025-03-03 08:00", None, None),
    # A002: dossier submitted before the permanent number (an order violation).
    ("A002", "registration_submitted", "2025-01-13 10:00", None, None),
    ("A002", "registration_accepted", "2025-01-15 16:45", None, None),
    ("A002", "dossier_submitted", "2025-02-03 09:00", None, None),
    ("A002", "nir_permanent", "2025-02-17 13:00", None, None),
    # A003: closed (moved away) while waiting for the number.
    ("A003", "registration_submitted", "2025-02-05 08:30", None, None),
    ("A003", "registration_accepted", "2025-02-12 12:00", None, None),
    ("A003", "case_closed", "2025-03-20 17:00", None, "Départ à l'étranger"),
    ("A004", "registration_submitted", "2025-03-14 10:00", None, None),
    ("A004", "registration_accepted", "2025-03-21 11:30", None, None),
    ("A004", "nir_permanent", "2025-04-25 15:00", None, "NIR reçu après relance"),
]
CASES = {
    "A001": ("CPAM 75", "ameli", True),
    "A002": ("CPAM 69", "postal", False),
    "A003": ("CGSS 974", "ameli", True),
    "A004": ("CPAM 75", "postal", False),
}
CANONICAL_HEADER = ["case_id", "event", "timestamp", "trigger", "note", "office", "channel", "born_abroad"]

# French export: headers and labels as a French tool writes them.
FR_HEADER = ["N° dossier", "Étape", "Date", "Motif de retard", "Commentaire", "Caisse", "Canal", "Né à l'étranger"]
FR_EVENTS = {
    "registration_submitted": "Immatriculation déposée",
    "registration_accepted": "Immatriculation acceptée",
    "nir_permanent": "NIR définitif reçu",
    "dossier_submitted": "Dossier envoyé",
    "complement_requested": "Complément demandé",
    "rights_opened": "Droits ouverts",
    "case_closed": "Dossier clôturé",
}
FR_TRIGGERS = {"missing_translation": "Traduction manquante"}
FR_YESNO = {True: "oui", False: "non"}


def _iso_to_dayfirst(text: str) -> str:
    """'2025-01-31 14:30' → '31/01/2025 14:30' (independent of the package)."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").strftime("%d/%m/%Y %H:%M")


def canonical_records():
    """Rows as lists in CANONICAL_HEADER order (timestamps as ISO text)."""
    out = []
    for case, event, ts, trigger, note in EVENTS:
        office, channel, abroad = CASES[case]
        out.append([case, event, ts, trigger, note, office, channel, abroad])
    return out


def canonical_frame() -> pd.DataFrame:
    frame = pd.DataFrame(canonical_records(), columns=CANONICAL_HEADER)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], format="%Y-%m-%d %H:%M")
    return frame


def text_rows(*, dates: str = "iso", french: bool = False):
    """Header + rows as lists of strings, for CSV-like writers."""
    header = FR_HEADER if french else CANONICAL_HEADER
    rows = [header]
    for case, event, ts, trigger, note, office, channel, abroad in canonical_records():
        if dates == "dayfirst":
            ts = _iso_to_dayfirst(ts)
        if french:
            event = FR_EVENTS[event]
            trigger = FR_TRIGGERS.get(trigger, trigger)
            abroad = FR_YESNO[abroad]
        else:
            abroad = "true" if abroad else "false"
        rows.append([case, event, ts, trigger or "", note or "", office, channel, abroad])
    return rows


def write_text(path: Path, rows, *, delimiter: str, encoding: str, bom: bool = False) -> Path:
    text = "\r\n".join(delimiter.join(r) for r in rows) + "\r\n"
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)
    return path


def load_quietly(*args, **kw) -> CaseLog:
    """load() with DataQualityWarning turned into an error: a clean log sets nothing aside."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        return load(*args, **kw)


def assert_only_planted_flag(log: CaseLog) -> None:
    """Nothing set aside; the only problem is the planted order violation (row 9, A002)."""
    q = log.quality
    assert (q.rows_read, q.rows_kept, q.n_set_aside) == (16, 16, 0)
    found = list(q.failures[["row", "case_id", "check"]].itertuples(index=False, name=None))
    assert found == [(9, "A002", "order_violation")], q.failures


def assert_same_table(table: CaseTable, expected: CaseTable, **kw) -> None:
    """The same rows (``assert_frame_equal`` options in ``kw``), as of the same cut."""
    assert table.as_of == expected.as_of
    assert_frame_equal(table.to_frame(), expected.to_frame(), **kw)


@pytest.fixture(scope="module")
def reference() -> CaseTable:
    log = validate(canonical_frame())
    assert_only_planted_flag(log)
    return case_table(log, as_of=AS_OF)


# --------------------------------------------------------------------------- the reference, by hand
def test_reference_case_table_values_worked_out_by_hand(reference):
    assert reference.as_of == AsOf(pd.Timestamp("2025-05-01 00:00"), inclusive=False)
    cases = reference.to_frame().set_index("case_id")
    assert list(cases.index) == ["A001", "A002", "A003", "A004"]
    assert cases["status"].astype(str).to_dict() == {
        "A001": "open", "A002": "open", "A003": "closed", "A004": "open",
    }
    # Furthest milestone: A001 rights_opened → card; A002 dossier_submitted → rights;
    # A003 registration_accepted → ssn (closed in it); A004 nir_permanent → dossier.
    assert cases["current_phase"].astype(str).to_dict() == {
        "A001": "card", "A002": "rights", "A003": "ssn", "A004": "dossier",
    }
    # as_of 2025-04-30 (bare date) = 2025-05-01 00:00.
    # A001: 03-03 08:00 → 05-01 00:00 = 58 d 16 h; A002: 02-03 09:00 → 05-01 00:00 = 86 d 15 h;
    # A003: 02-12 12:00 → closed 03-20 17:00 = 36 d 5 h; A004: 04-25 15:00 → 05-01 00:00 = 5 d 9 h.
    expected_days = {"A001": 58 + 16 / 24, "A002": 86 + 15 / 24, "A003": 36 + 5 / 24, "A004": 5 + 9 / 24}
    for case, days in expected_days.items():
        assert cases.loc[case, "days_in_phase"] == pytest.approx(days, abs=1e-9)
    assert cases["order_violations"].to_dict() == {"A001": 0, "A002": 1, "A003": 0, "A004": 0}
    assert cases["n_events"].to_dict() == {"A001": 6, "A002": 4, "A003": 3, "A004": 3}
    assert cases["trigger_missing_translation"].to_dict() == {
        "A001": True, "A002": False, "A003": False, "A004": False,
    }
    assert cases.loc["A003", "closed_at"] == pd.Timestamp("2025-03-20 17:00")
    assert cases.loc["A002", "dossier_submitted_at"] == pd.Timestamp("2025-02-03 09:00")
    assert cases.loc["A002", "nir_permanent_at"] == pd.Timestamp("2025-02-17 13:00")
    assert cases["office"].astype(str).to_dict() == {
        "A001": "CPAM 75", "A002": "CPAM 69", "A003": "CGSS 974", "A004": "CPAM 75",
    }
    assert cases["channel"].astype(str).to_dict() == {
        "A001": "ameli", "A002": "postal", "A003": "ameli", "A004": "postal",
    }
    assert cases["born_abroad"].to_dict() == {"A001": True, "A002": False, "A003": True, "A004": False}


# --------------------------------------------------------------------------- French export + mapping
def _mapping_spec() -> dict:
    return {
        "delimiter": ";",
        "encoding": "cp1252",
        "dayfirst": True,
        "columns": {
            "N° dossier": "case_id",
            "Étape": "event",
            "Date": "timestamp",
            "Motif de retard": "trigger",
            "Commentaire": "note",
            "Caisse": "office",
            "Canal": "channel",
            "Né à l'étranger": "born_abroad",
        },
        "values": {
            "event": {fr: key for key, fr in FR_EVENTS.items()},
            "trigger": {fr: key for key, fr in FR_TRIGGERS.items()},
            "born_abroad": {"oui": True, "non": False},
        },
    }


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _write_toml_mapping(path: Path) -> Path:
    spec = _mapping_spec()
    lines = [
        f"delimiter = {_toml_string(spec['delimiter'])}",
        f"encoding = {_toml_string(spec['encoding'])}",
        "dayfirst = true",
        "",
        "[columns]",
        *(f"{_toml_string(k)} = {_toml_string(v)}" for k, v in spec["columns"].items()),
    ]
    for column in ("event", "trigger"):
        lines += ["", f"[values.{column}]"]
        lines += [f"{_toml_string(k)} = {_toml_string(v)}" for k, v in spec["values"][column].items()]
    lines += ["", "[values.born_abroad]", "oui = true", "non = false", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def french_export(tmp_path) -> Path:
    path = write_text(tmp_path / "export_dossiers.csv", text_rows(dates="dayfirst", french=True),
                      delimiter=";", encoding="cp1252")
    raw = path.read_bytes()
    # It really is a cp1252 file with accented headers and labels (not valid UTF-8).
    assert "Étape".encode("cp1252") in raw and "Dossier envoyé".encode("cp1252") in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert b"31/01/2025 14:30" in raw
    return path


def test_french_export_with_toml_mapping(tmp_path, french_export, reference):
    mapping = _write_toml_mapping(tmp_path / "export_mapping.toml")
    log = load_quietly(french_export, mapping=mapping)
    assert_only_planted_flag(log)
    assert_same_table(case_table(log, as_of=AS_OF), reference)
    # The note keeps its accents (decoded as cp1252, not mojibake).
    notes = log.events.set_index("row")["note"]
    assert notes[13] == "Départ à l'étranger"


def test_french_export_with_json_mapping(tmp_path, french_export, reference):
    mapping = tmp_path / "export_mapping.json"
    mapping.write_text(json.dumps(_mapping_spec(), ensure_ascii=False, indent=2), encoding="utf-8")
    log = load_quietly(french_export, mapping=mapping)
    assert_only_planted_flag(log)
    assert_same_table(case_table(log, as_of=AS_OF), reference)


def test_french_export_with_mapping_as_arguments(french_export, reference):
    spec = _mapping_spec()
    log = load_quietly(french_export, columns=spec["columns"], values=spec["values"], dayfirst=True)
    assert_same_table(case_table(log, as_of=AS_OF), reference)


# --------------------------------------------------------------------------- sniffing, no mapping
def test_semicolon_cp1252_dayfirst_detected_without_mapping(tmp_path, reference):
    path = write_text(tmp_path / "journal.csv", text_rows(dates="dayfirst"), delimiter=";", encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):  # the accented notes make it non-UTF-8
        path.read_bytes().decode("utf-8")
    log = load_quietly(path)
    assert_only_planted_flag(log)
    assert_same_table(case_table(log, as_of=AS_OF), reference)
    assert log.events.set_index("row")["note"][5] == "Acte de naissance à traduire"


def test_tab_delimited_utf8_with_bom_detected(tmp_path, reference):
    path = write_text(tmp_path / "journal.tsv", text_rows(), delimiter="\t", encoding="utf-8", bom=True)
    assert path.read_bytes().startswith(b"\xef\xbb\xbfcase_id\t")
    log = load_quietly(path)
    assert_only_planted_flag(log)
    assert_same_table(case_table(log, as_of=AS_OF), reference)


def test_comma_iso_dates_detected(tmp_path, reference):
    path = write_text(tmp_path / "journal.csv", text_rows(), delimiter=",", encoding="utf-8")
    log = load_quietly(path)
    assert_only_planted_flag(log)
    assert_same_table(case_table(log, as_of=AS_OF), reference)


def test_ambiguous_dayfirst_dates_follow_dayfirst_setting(tmp_path):
    """01/02/2025 is 1 February by default (French) and 2 January with dayfirst=False."""
    path = write_text(
        tmp_path / "ambigu.csv",
        [["case_id", "event", "timestamp"], ["A", "registration_submitted", "01/02/2025 10:00"],
         ["A", "registration_accepted", "03/02/2025 10:00"]],
        delimiter=";", encoding="utf-8",
    )
    french = load_quietly(path)
    assert list(french.events["timestamp"]) == [pd.Timestamp("2025-02-01 10:00"), pd.Timestamp("2025-02-03 10:00")]
    us = load_quietly(path, dayfirst=False)
    assert list(us.events["timestamp"]) == [pd.Timestamp("2025-01-02 10:00"), pd.Timestamp("2025-03-02 10:00")]


# --------------------------------------------------------------------------- Excel
def _write_xlsx(path: Path, *, dates: str, sheet_title: str = "Journal", extra_first_sheet: str | None = None):
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    if extra_first_sheet:
        ws.title = extra_first_sheet
        ws.append(["Lisez-moi", "ce classeur contient le journal des dossiers"])
        ws.append([42, "pas un journal"])
        ws = book.create_sheet(sheet_title)
    else:
        ws.title = sheet_title
    ws.append(CANONICAL_HEADER)
    for case, event, ts, trigger, note, office, channel, abroad in canonical_records():
        when = datetime.strptime(ts, "%Y-%m-%d %H:%M")
        cell = when if dates == "datetime" else when.strftime("%d/%m/%Y %H:%M")
        ws.append([case, event, cell, trigger, note, office, channel, abroad])
    book.save(path)
    return path


def test_excel_with_datetime_cells(tmp_path, reference):
    path = _write_xlsx(tmp_path / "journal.xlsx", dates="datetime")
    import openpyxl

    cell = openpyxl.load_workbook(path)["Journal"]["C2"]
    assert cell.is_date and cell.value == datetime(2025, 1, 6, 9, 0)
    log = load_quietly(path)
    assert_only_planted_flag(log)
    assert_same_table(case_table(log, as_of=AS_OF), reference)


def test_excel_with_dayfirst_text_dates(tmp_path, reference):
    path = _write_xlsx(tmp_path / "journal.xlsx", dates="text")
    import openpyxl

    cell = openpyxl.load_workbook(path)["Journal"]["C5"]
    assert cell.data_type == "s" and cell.value == "31/01/2025 14:30"
    log = load_quietly(path)
    assert_only_planted_flag(log)
    assert_same_table(case_table(log, as_of=AS_OF), reference)


def test_excel_second_sheet_by_name_and_number(tmp_path, reference):
    path = _write_xlsx(tmp_path / "classeur.xlsx", dates="datetime", sheet_title="Journal 2025",
                       extra_first_sheet="Notes")
    by_name = load_quietly(path, sheet="Journal 2025")
    assert_same_table(case_table(by_name, as_of=AS_OF), reference)
    by_number = load_quietly(path, sheet=1)
    assert_same_table(case_table(by_number, as_of=AS_OF), reference)


def test_excel_reading_uses_no_deprecated_pandas_api(tmp_path):
    """Reading .xlsx must not depend on an API pandas has deprecated.

    With warnings as errors (``-W error``, or a project's ``filterwarnings``), a
    deprecation warning raised inside the reader is caught by its ``except
    Exception`` and reported as "sheet cannot be read": a valid workbook then
    cannot be loaded at all, and pandas 4 will remove the API.
    """
    path = _write_xlsx(tmp_path / "journal.xlsx", dates="datetime")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        log = load(path)
    assert log.quality.rows_kept == 16


# --------------------------------------------------------------------------- Parquet
def test_parquet(tmp_path, reference):
    import pyarrow  # noqa: F401  (a dependency: imported, never skipped)

    path = tmp_path / "journal.parquet"
    canonical_frame().to_parquet(path, engine="pyarrow", index=False)
    log = load_quietly(path)
    assert_only_planted_flag(log)
    assert_same_table(case_table(log, as_of=AS_OF), reference)


# --------------------------------------------------------------------------- separate cases table
def test_separate_cases_table_is_joined(tmp_path, reference):
    rows = text_rows()
    keep = [CANONICAL_HEADER.index(c) for c in ("case_id", "event", "timestamp", "trigger", "note", "born_abroad")]
    events = write_text(tmp_path / "evenements.csv", [[r[i] for i in keep] for r in rows],
                        delimiter=",", encoding="utf-8")
    cases_rows = [["case_id", "office", "channel"]] + [[c, o, ch] for c, (o, ch, _) in CASES.items()]
    cases = write_text(tmp_path / "dossiers.csv", cases_rows, delimiter=",", encoding="utf-8")
    assert b"office" not in events.read_bytes()

    log = load_quietly(events, cases=cases)
    assert {"office", "channel", "born_abroad"} <= set(log.case_attributes)
    table = case_table(log, as_of=AS_OF)
    cases_by_id = table.to_frame().set_index("case_id")
    assert cases_by_id["office"].astype(str).to_dict() == {c: v[0] for c, v in CASES.items()}
    assert cases_by_id["channel"].astype(str).to_dict() == {c: v[1] for c, v in CASES.items()}
    # Same table as the reference; only the attribute columns' order may differ.
    assert_same_table(table, reference, check_like=True)


# --------------------------------------------------------------------------- the real XES log
# Vendored with its source and licence: tests/data/external/README.md.
RECEIPT = Path(__file__).resolve().parent / "data" / "external" / "receipt.xes.gz"
XES = "{http://www.xes-standard.org/}"
MILESTONES = [
    "Confirmation of receipt",
    "T02 Check confirmation of receipt",
    "T04 Determine confirmation of receipt",
    "T05 Print and send confirmation of receipt",
    "T06 Determine necessity of stop advice",
    "T10 Determine necessity to stop indication",
]


def _parse_receipt_independently():
    """Plain-Python reading of the XES: {case: {"attrs": {...}, "events": [(name, datetime, resource)]}}."""
    with gzip.open(RECEIPT, "rb") as fh:
        root = ET.parse(fh).getroot()
    traces = {}
    for trace in root.findall(f"{XES}trace"):
        attrs = {child.get("key"): child.get("value") for child in trace if child.tag != f"{XES}event"}
        events = []
        for ev in trace.findall(f"{XES}event"):
            values = {child.get("key"): child.get("value") for child in ev}
            events.append(
                (values["concept:name"], datetime.fromisoformat(values["time:timestamp"]), values.get("org:resource"))
            )
        case = attrs.pop("concept:name")
        assert case not in traces
        traces[case] = {"attrs": attrs, "events": events}
    return traces


@pytest.fixture(scope="module")
def receipt_xml():
    return _parse_receipt_independently()


@pytest.fixture(scope="module")
def receipt_process(receipt_xml):
    activities = sorted({name for t in receipt_xml.values() for name, _, _ in t["events"]})
    assert len(activities) == 27  # as the data README says
    assert set(MILESTONES) <= set(activities)
    return ProcessModel.from_dict(
        {
            "name": "wabo_receipt",
            "milestones": MILESTONES,
            "phases": ["check", "determine", "send", "stop_advice", "stop_indication"],
            "events": [a for a in activities if a not in MILESTONES],
        }
    )


@pytest.fixture(scope="module")
def receipt_log(receipt_process):
    return load(RECEIPT, receipt_process)


def test_receipt_counts(receipt_log, receipt_xml):
    q = receipt_log.quality
    assert len(receipt_xml) == 1434
    assert sum(len(t["events"]) for t in receipt_xml.values()) == 8577
    assert q.n_cases == 1434
    assert q.rows_read == 8577 and q.rows_kept == 8577 and q.n_set_aside == 0
    assert len(receipt_log.events) == 8577
    assert receipt_log.events["case_id"].nunique() == 1434
    assert q.count("unknown_event") == 0
    assert q.time_zone.startswith("UTC")


def _receipt_model(activities, milestones):
    return ProcessModel.from_dict(
        {
            "name": "wabo_receipt",
            "milestones": milestones,
            "phases": [f"phase_{i}" for i in range(1, len(milestones))],
            "events": [a for a in activities if a not in milestones],
        }
    )


@pytest.mark.parametrize("first_milestone", [0, 1], ids=["start=Confirmation", "start=T02"])
def test_receipt_spans_match_independent_parse(receipt_log, receipt_xml, first_milestone):
    """last_event_at - started_at per case, against a plain-Python reading of the XML.

    Every trace begins with "Confirmation of receipt", so with it as the start
    milestone started_at is simply the first event. Starting the model at "T02
    Check confirmation of receipt" instead (absent from 118 cases, and never
    the first event) exercises the rest of the definition: started_at is the
    start milestone's first time when reached, else the case's first event.
    """
    milestones = MILESTONES[first_milestone:]
    if first_milestone == 0:
        log = receipt_log
    else:
        activities = sorted({n for t in receipt_xml.values() for n, _, _ in t["events"]})
        log = load(RECEIPT, _receipt_model(activities, milestones))
    table = case_table(log)
    assert len(table) == 1434
    got = dict(zip(table["case_id"], (table["last_event_at"] - table["started_at"]) / pd.Timedelta(days=1)))
    start = milestones[0]
    expected, n_without_start = {}, 0
    for case, trace in receipt_xml.items():
        times = [t for _, t, _ in trace["events"]]
        starts = [t for name, t, _ in trace["events"] if name == start]
        n_without_start += not starts
        began = min(starts) if starts else min(times)
        expected[case] = (max(times) - began).total_seconds() / 86400
    assert n_without_start == (0 if first_milestone == 0 else 118)
    assert set(got) == set(expected)
    bad = {c: (got[c], expected[c]) for c in expected if abs(got[c] - expected[c]) > 1e-6}
    assert not bad, f"{len(bad)} cases differ, e.g. {list(bad.items())[:3]}"
    # The end points themselves, in UTC.
    first_last = {
        c: (min(t for _, t, _ in tr["events"]), max(t for _, t, _ in tr["events"])) for c, tr in receipt_xml.items()
    }
    for rec in table.to_frame().itertuples(index=False):
        assert rec.last_event_at == pd.Timestamp(first_last[rec.case_id][1]).tz_convert("UTC")
    if first_milestone == 1:
        # A case without T02 starts at its first event; one with T02 later than its first event does not.
        no_start = [c for c, tr in receipt_xml.items() if not any(n == start for n, _, _ in tr["events"])]
        started = dict(zip(table["case_id"], table["started_at"]))
        for case in no_start:
            assert started[case] == pd.Timestamp(first_last[case][0]).tz_convert("UTC")
        assert log.quality.count("no_start_milestone") == 118


def test_receipt_trace_attributes_become_case_attributes(receipt_log, receipt_xml):
    assert "channel" in receipt_log.case_attributes
    assert "department" in receipt_log.case_attributes
    assert "org:resource" in receipt_log.event_attributes
    assert "org:resource" not in receipt_log.case_attributes
    table = case_table(receipt_log).to_frame().set_index("case_id")
    for column in ("channel", "department", "responsible"):
        got = table[column].astype(object).to_dict()
        want = {case: t["attrs"].get(column) for case, t in receipt_xml.items()}
        assert got == want, column
    # org:resource stays per event: compare the multiset of (case, resource) pairs.
    ev = receipt_log.events
    got_pairs = sorted(zip(ev["case_id"].astype(str), ev["org:resource"].astype(object)))
    want_pairs = sorted((c, r) for c, t in receipt_xml.items() for _, _, r in t["events"])
    assert got_pairs == want_pairs
    # At least one case really has several resources (otherwise the test proves nothing).
    per_case = defaultdict(set)
    for c, r in want_pairs:
        per_case[c].add(r)
    assert any(len(s) > 1 for s in per_case.values())


def test_receipt_uncompressed_xes_loads_the_same(tmp_path, receipt_log, receipt_process):
    plain = tmp_path / "receipt.xes"
    with gzip.open(RECEIPT, "rb") as src:
        plain.write_bytes(src.read())
    log = load(plain, receipt_process)
    assert log.quality.rows_kept == 8577 and log.quality.n_cases == 1434
    assert_frame_equal(log.events, receipt_log.events)
    assert_same_table(case_table(log), case_table(receipt_log))


@pytest.mark.parametrize("order", ["by_case", "shuffled"])
def test_parquet_text_columns_read_as_categoricals_equal_the_text(tmp_path, order):
    """Case ids read as one categorical from many row groups (each with its own dictionary,
    a case straddling two of them, empty ids) give back exactly the text in the file,
    whether the file is sorted by case (the fast merge) or not (Arrow's unification)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(5)
    ids = [f"C{k:04d}" for k in rng.integers(0, 300, 2000)]
    ids[7] = None
    ids[1500] = ""
    if order == "by_case":
        ids = sorted(ids, key=lambda v: (v is None, v or ""))
    events = [["registration_submitted", "dossier_submitted", None][k % 3] for k in range(len(ids))]
    path = tmp_path / "log.parquet"
    table = pa.table({"case_id": pa.array(ids, pa.large_string()), "event": pa.array(events, pa.large_string()),
                      "timestamp": pa.array(pd.date_range("2025-01-01", periods=len(ids), freq="h").to_numpy())})
    pq.write_table(table, path, row_group_size=137, data_page_size=200)
    raw = read_caselog(path)
    assert isinstance(raw["case_id"].dtype, pd.CategoricalDtype)
    for column, expected in (("case_id", ids), ("event", events)):
        got = raw[column].astype(object).where(raw[column].notna(), None).tolist()
        assert got == expected


def test_dictionary_chunks_sharing_a_dictionary_read_as_their_values():
    """Chunks of one Parquet row group share its dictionary (hashed once, not once per chunk);
    a dictionary may hold a value twice or a null. The categorical holds, row by row, the
    value each chunk's index names (worked in plain Python), each value as one category, in
    order of first appearance as Arrow's unify_dictionaries gives them."""
    import pyarrow as pa

    from vitale_analysis.read import _unified_categorical

    shared = pa.array(["b", "a", None, "b", "c"])  # "b" twice, a null entry
    other = pa.array(["d", "a"])
    chunks = [pa.DictionaryArray.from_arrays(pa.array(idx, pa.int32()), d) for idx, d in [
        ([0, 1, 2, None, 3], shared), ([4, 4, 1], shared), ([1, 0, None], other), ([3, 0], shared)]]
    col = pa.chunked_array(chunks)
    expected = [None if i is None else d[i] for idx, d in [([0, 1, 2, None, 3], ["b", "a", None, "b", "c"]),
                                                            ([4, 4, 1], ["b", "a", None, "b", "c"]),
                                                            ([1, 0, None], ["d", "a"]),
                                                            ([3, 0], ["b", "a", None, "b", "c"])] for i in idx]
    got = _unified_categorical(col)
    assert [None if pd.isna(v) else v for v in got] == expected
    assert list(got.categories) == ["b", "a", "c", "d"]

    distinct = pa.chunked_array([pa.DictionaryArray.from_arrays(pa.array([0, 1], pa.int32()), pa.array(v))
                                 for v in (["x", "y"], ["z", "x"], ["y", "w"])])
    unified = distinct.unify_dictionaries().chunks[0].dictionary.to_pylist()
    assert list(_unified_categorical(distinct).categories) == unified == ["x", "y", "z", "w"]


def test_columns_converted_on_threads_hold_the_values_of_the_table():
    """A table big enough for the threaded conversion (dictionary chunks of their own, shared
    ones, plain numbers): each column holds, row by row, what Arrow's own to_pandas gives."""
    import numpy as np
    import pyarrow as pa

    from vitale_analysis.read import _THREADED_ROWS, arrow_to_frame

    n = _THREADED_ROWS + 1234
    rng = np.random.default_rng(11)
    ids = [f"D{k:06d}" for k in rng.integers(0, 90_000, n)]
    own = pa.chunked_array([pa.array(ids[i:i + 50_000]).dictionary_encode() for i in range(0, n, 50_000)])
    events = pa.array(rng.choice(["a", "b", None], n).tolist()).dictionary_encode()
    shared = pa.chunked_array([events.slice(i, 30_000) for i in range(0, n, 30_000)])  # one dictionary
    table = pa.table({"case_id": own, "event": shared, "x": pa.array(rng.integers(0, 9, n))})
    frame = arrow_to_frame(table)
    for name in table.column_names:
        want = [None if v is None else v for v in table[name].to_pylist()]
        got = frame[name].astype(object).where(frame[name].notna(), None).tolist()
        assert got == want, name


def test_row_numbers_are_32_bit_while_they_fit():
    """Row numbers take 32 bits up to 2,147,483,647 and 64 past it (a batch far into a huge file)."""
    from vitale_analysis.read import number_rows

    frame = pd.DataFrame({"x": [1, 2, 3]})
    number_rows(frame)
    assert frame["row"].tolist() == [1, 2, 3] and frame["row"].dtype == np.int32
    number_rows(frame, first=2**31 - 2)
    assert frame["row"].tolist() == [2**31 - 2, 2**31 - 1, 2**31] and frame["row"].dtype == np.int64


def test_excel_through_calamine_reads_what_openpyxl_read(tmp_path):
    """The switch to calamine keeps the cells as they were read before: openpyxl, each cell
    through the same rules (a whole float is its integer's text, text stays text, an empty cell
    is missing). Dates, times, whole and decimal numbers, booleans, leading zeros, empty cells."""
    from datetime import datetime

    import numpy as np
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["case_id", "event", "timestamp", "amount", "born_abroad", "note"])
    rows = [
        ["00012", "registration_submitted", datetime(2025, 1, 6, 9, 0), 12, True, "texte"],
        [12, "registration_accepted", datetime(2025, 1, 10, 10, 30), 12.5, False, None],
        [12.0, "nir_permanent", "2025-01-20 11:00", -3, None, "=1+1 (text)"],
        ["A B", None, datetime(2025, 2, 1), 1e6, "oui", 7],
    ]
    for row in rows:
        sheet.append(row)
    sheet["F4"].data_type = "s"
    path = tmp_path / "typed.xlsx"
    book.save(path)

    def cell(value):  # the rules the reader applied to openpyxl's values before the switch
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return None
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return str(value)
        return value

    before = pd.read_excel(path, engine="openpyxl", dtype=object)
    raw = read_caselog(path)
    for column in before.columns:
        want = [cell(v) for v in before[column]]
        got = [None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in raw.frame[column]]
        got = [v.to_pydatetime() if isinstance(v, pd.Timestamp) else v for v in got]
        want = [v.to_pydatetime() if isinstance(v, pd.Timestamp) else v for v in want]
        assert got == want, column
