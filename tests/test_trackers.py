"""Trackers (one row per dossier, a date column per step) read as the same event log (issue 18).

The long equivalent of each tracker is written here by a plain-Python loop from the same
dossiers; both files are loaded and their case tables must be equal. The Excel tracker has a
merged title and a date line above its header, as advisors' sheets do.
"""

from __future__ import annotations

import csv
import warnings
from datetime import datetime

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import vitale_analysis as va

AS_OF = "2025-06-30"
# Date columns in process order: header → step.
STEPS = {
    "Date de dépôt": "registration_submitted",
    "Date acceptation": "registration_accepted",
    "Date NIR": "nir_permanent",
    "Date envoi dossier": "dossier_submitted",
    "Date attestation": "rights_opened",
    "Date carte": "card_received",
}
TRIGGERS = {"Traduction manquante": "missing_translation", "RIB non conforme": "rib_mismatch"}
# (dossier, office, dates by step header as dd/mm/yyyy, blocking reason)
DOSSIERS = [
    ("T001", "CPAM 75", ["06/01/2025", "20/01/2025", "03/02/2025", "10/02/2025", "14/03/2025", "02/04/2025"], ""),
    ("T002", "CPAM 13", ["07/01/2025", "15/01/2025", "", "", "", ""], ""),
    ("T003", "CPAM 75", ["08/01/2025", "22/01/2025", "12/02/2025", "20/02/2025", "", ""], "Traduction manquante"),
    ("T004", "CGSS 971", ["13/01/2025", "27/01/2025", "17/02/2025", "", "", ""], "RIB non conforme"),
    ("T005", "CPAM 13", ["", "", "", "", "", ""], ""),  # no date at all: set aside, named
    ("T006", "CPAM 59", ["02/02/2025", "", "", "", "", ""], "Traduction manquante"),
]
HEADER = ["N° dossier", "Caisse", *STEPS, "Motif de blocage"]
MAPPING = {
    "dayfirst": True,
    "columns": {"N° dossier": "case_id", "Caisse": "office", "Motif de blocage": "trigger"},
    "milestone_columns": STEPS,
    "values": {"trigger": TRIGGERS},
}


def write_tracker(path) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(HEADER)
        for case, office, dates, reason in DOSSIERS:
            writer.writerow([case, office, *dates, reason])


def write_long_equivalent(path) -> int:
    """The same dossiers as an event log, one row per filled date; the blocking reason on the last
    filled step. Returns how many events were written."""
    rows = []
    for case, office, dates, reason in DOSSIERS:
        filled = [(step, date) for step, date in zip(STEPS.values(), dates) if date]
        for k, (step, date) in enumerate(filled):
            trigger = TRIGGERS[reason] if reason and k == len(filled) - 1 else ""
            rows.append([case, step, date, trigger, office])
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["case_id", "event", "timestamp", "trigger", "office"])
        writer.writerows(rows)
    return len(rows)


def load_quietly(path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        return va.load(path, **kwargs)


@pytest.fixture
def long_log(tmp_path):
    path = tmp_path / "long.csv"
    write_long_equivalent(path)
    return load_quietly(path, dayfirst=True)


def test_a_tracker_gives_the_case_table_of_its_long_equivalent(tmp_path, long_log):
    path = tmp_path / "tracker.csv"
    write_tracker(path)
    log = load_quietly(path, mapping=MAPPING)
    assert_frame_equal(va.case_table(log, as_of=AS_OF).to_frame(), va.case_table(long_log, as_of=AS_OF).to_frame())
    assert_frame_equal(va.phase_summary(log, as_of=AS_OF), va.phase_summary(long_log, as_of=AS_OF))
    assert_frame_equal(va.trigger_summary(log, as_of=AS_OF, n_boot=0),
                       va.trigger_summary(long_log, as_of=AS_OF, n_boot=0))

    # Every tracker row is accounted for: 5 dossiers with dates (16 filled dates) and one without.
    filled = sum(bool(d) for _, _, dates, _ in DOSSIERS for d in dates)
    q = log.quality
    assert (q.rows_read, q.rows_kept, q.set_aside) == (filled + 1, filled, {"missing_timestamp": 1})
    aside = q.failures[q.failures["check"] == "missing_timestamp"]
    assert list(aside["case_id"]) == ["T005"] and list(aside["row"]) == [5]  # (its tracker row)
    assert any(note.startswith(f"tracker: 6 dossier rows read as {filled} events") for note in q.notes)
    # The copied attribute stays a case attribute; the events keep their tracker row.
    events = log.events
    assert set(events.loc[events["case_id"] == "T004", "row"]) == {4}
    assert va.case_table(log).to_frame().set_index("case_id").loc["T004", "office"] == "CGSS 971"


def test_an_excel_tracker_with_title_rows_above_its_header(tmp_path, long_log):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet["A1"] = "Suivi des dossiers Carte Vitale — Maison France Services"
    sheet.merge_cells("A1:I1")
    sheet["A2"] = "Export du 30/06/2025"
    sheet.append([])  # (row 3: blank)
    sheet.append(HEADER)  # row 4
    for case, office, dates, reason in DOSSIERS:
        cells = [datetime.strptime(d, "%d/%m/%Y") if d else None for d in dates]
        sheet.append([case, office, *cells, reason or None])
    path = tmp_path / "suivi.xlsx"
    book.save(path)

    found = load_quietly(path, mapping=MAPPING)
    assert any(note.startswith("the header is on row 4 of the sheet: the 3 rows above") for note in found.quality.notes)
    given = load_quietly(path, mapping={**MAPPING, "header_row": 4})
    assert not any("header is on row" in note for note in given.quality.notes)
    expected = va.case_table(long_log, as_of=AS_OF).to_frame()
    for log in (found, given):
        assert_frame_equal(va.case_table(log, as_of=AS_OF).to_frame(), expected)


def test_tracker_mistakes_are_named(tmp_path):
    path = tmp_path / "tracker.csv"
    write_tracker(path)
    wrong = {**MAPPING, "milestone_columns": {**STEPS, "Date attestaton": "rights_opened"}}
    with pytest.raises(va.CaseLogError, match=r"'Date attestaton' \(closest: 'Date attestation'\)"):
        va.load(path, mapping=wrong)
    with pytest.raises(va.CaseLogError, match=r"milestone_columns\.'Date NIR' must name the step"):
        va.load(path, mapping={**MAPPING, "milestone_columns": {**STEPS, "Date NIR": 3}})
    with pytest.raises(va.CaseLogError, match=r"read_caselog\(\): `milestone_columns` must be a table"):
        va.read_caselog(path, milestone_columns=list(STEPS))  # (given in Python: checked as a mapping's)
    both = {**MAPPING, "columns": {**MAPPING["columns"], "Date carte": "timestamp"}}
    with pytest.raises(va.CaseLogError, match="a tracker's steps and dates come from its date columns"):
        va.load(path, mapping={**both, "milestone_columns": {k: v for k, v in STEPS.items() if k != "Date carte"}})
    with pytest.raises(va.CaseLogError, match="header_row=2 applies to Excel sheets only"):
        va.load(path, mapping={**MAPPING, "header_row": 2})
    with pytest.raises(va.CaseLogError, match="`header_row` must be the sheet's row number"):
        va.load(path, mapping={**MAPPING, "header_row": 0})


def test_a_sheet_whose_first_row_is_the_header_is_read_as_before(tmp_path):
    frame = pd.DataFrame({"case_id": ["A", "A"], "event": ["registration_submitted", "registration_accepted"],
                          "timestamp": [datetime(2025, 1, 6, 9), datetime(2025, 1, 20, 9)]})
    path = tmp_path / "log.xlsx"
    frame.to_excel(path, index=False)
    log = load_quietly(path)
    assert len(log.events) == 2 and not any("header is on row" in note for note in log.quality.notes)
