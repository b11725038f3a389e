"""The ``lifecycle`` setting: which lifecycle transitions of an event log become steps.

Part 1: a small hand-written XES (three traces with schedule / start / complete), and the
same events as PM4Py-style CSV and Parquet files; every count and first-reached time below
is worked out by hand from the events listed in ``TRACES``.

Part 2: the setting in a mapping file, its checks and its texts (notes, the fix that
``vitale-analysis validate --details`` prints).

Part 3: the real BPI Challenge 2012 log (``tests/data/external/bpic2012.xes.gz``, see the
README there), checked against a plain ElementTree reading of the same file and, for the
case table with a process model written for it (``tests/data/bpic2012_process.toml``),
against the plain-Python reference of ``tests/reference.py`` fed with that reading.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import warnings
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import pandas as pd
import pytest

import vitale_analysis as va
from vitale_analysis import (
    CaseLogError,
    DataQualityWarning,
    ProcessModel,
    case_table,
    load,
    read_caselog,
)

try:
    import reference as ref
except ImportError:  # (pytest run with --import-mode=importlib: tests/ is not on sys.path)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import reference as ref

HERE = Path(__file__).resolve().parent
BPIC = HERE / "data" / "external" / "bpic2012.xes.gz"
BPIC_MODEL = HERE / "data" / "bpic2012_process.toml"


# =========================================================================== part 1: a small log by hand
# (case, activity, transition or None for no lifecycle attribute, time in UTC). File order = row order.
TRACES = [
    ("c1", "A_SUBMITTED", "complete", "2024-01-01T09:00:00"),   # row 1
    ("c1", "W_Check", "schedule", "2024-01-01T10:00:00"),       # row 2  set aside by "complete"
    ("c1", "W_Check", "start", "2024-01-02T09:00:00"),          # row 3  set aside
    ("c1", "W_Check", "complete", "2024-01-03T09:00:00"),       # row 4
    ("c1", "A_APPROVED", "complete", "2024-01-05T09:00:00"),    # row 5
    ("c2", "A_SUBMITTED", "complete", "2024-01-02T09:00:00"),   # row 6
    ("c2", "W_Check", "schedule", "2024-01-02T12:00:00"),       # row 7  set aside
    ("c2", "W_Check", "start", "2024-01-04T09:00:00"),          # row 8  set aside (never completed)
    ("c3", "A_SUBMITTED", None, "2024-01-03T09:00:00"),         # row 9  no transition: kept
    ("c3", "W_Check", "schedule", "2024-01-03T09:30:00"),       # row 10 set aside
    ("c3", "W_Check", "COMPLETE", "2024-01-06T09:00:00"),       # row 11 (upper case: still complete)
    ("c3", "W_Check", "start", "2024-01-08T09:00:00"),          # row 12 set aside (a second round)
    ("c3", "W_Check", "complete", "2024-01-09T09:00:00"),       # row 13
    ("c3", "A_APPROVED", "COMPLETE", "2024-01-10T09:00:00"),    # row 14
]
SET_ASIDE_ROWS = [2, 3, 7, 8, 10, 12]
AS_OF = "2024-01-12"  # a bare date: up to 13 January 00:00 (UTC, the log's times being UTC)
SMALL = ProcessModel.from_dict({"name": "small", "milestones": ["A_SUBMITTED", "W_Check", "A_APPROVED"],
                                "phases": ["check", "approval"]})
H = 1 / 24  # an hour, in days


def _xes_text(traces=TRACES) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8" ?>', '<log xes.version="1.0" xmlns="http://www.xes-standard.org/">']
    cases = list(dict.fromkeys(c for c, *_ in traces))
    for case in cases:
        out.append(f'<trace><string key="concept:name" value="{case}"/>')
        for c, name, transition, at in traces:
            if c != case:
                continue
            life = f'<string key="lifecycle:transition" value="{transition}"/>' if transition is not None else ""
            out.append(f'<event><string key="concept:name" value="{name}"/>{life}'
                       f'<date key="time:timestamp" value="{at}+00:00"/></event>')
        out.append("</trace>")
    out.append("</log>")
    return "\n".join(out)


def _pm4py_frame(traces=TRACES) -> pd.DataFrame:
    """The same events with PM4Py's column names (as ``pm4py.write`` puts them in CSV / Parquet)."""
    return pd.DataFrame({
        "case:concept:name": [c for c, *_ in traces],
        "concept:name": [n for _, n, _, _ in traces],
        "lifecycle:transition": [t for _, _, t, _ in traces],
        "time:timestamp": [f"{at}+00:00" for *_, at in traces],
    })


@pytest.fixture(params=["xes", "csv", "parquet"])
def small_log(request, tmp_path) -> Path:
    if request.param == "xes":
        path = tmp_path / "small.xes"
        path.write_text(_xes_text(), encoding="utf-8")
    elif request.param == "csv":
        path = tmp_path / "small.csv"
        _pm4py_frame().to_csv(path, index=False)
    else:
        path = tmp_path / "small.parquet"
        frame = _pm4py_frame()
        frame["lifecycle:transition"] = frame["lifecycle:transition"].astype("category")  # as PM4Py may write it
        frame.to_parquet(path, index=False)
    return path


def quiet_load(*args, **kw) -> va.CaseLog:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return load(*args, **kw)


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def _row_of(table, case: str) -> dict:
    frame = table.to_frame()
    return frame[frame["case_id"] == case].iloc[0].to_dict()


@pytest.mark.parametrize("setting", [None, "complete"])
def test_complete_keeps_complete_transitions_and_counts_the_rest(small_log, setting):
    with pytest.warns(DataQualityWarning, match="6 of 14 rows set aside"):
        log = load(small_log, SMALL, lifecycle=setting)
    q = log.quality
    assert (q.rows_read, q.rows_kept, q.n_set_aside) == (14, 8, 6)
    assert q.set_aside == {"lifecycle_not_complete": 6}
    assert sorted(q.set_aside_rows["row"]) == SET_ASIDE_ROWS
    assert set(q.set_aside_rows["reason"]) == {"lifecycle_not_complete"}
    failures = q.failures[q.failures["check"] == "lifecycle_not_complete"]
    assert failures["row"].tolist() == SET_ASIDE_ROWS
    assert failures["value"].tolist() == ["schedule", "start", "schedule", "start", "schedule", "start"]
    assert set(failures["column"]) == {"lifecycle:transition"}
    assert sorted(log.events["row"]) == [1, 4, 5, 6, 9, 11, 13, 14]
    lifecycle_notes = [n for n in q.notes if "lifecycle" in n.lower()]
    assert len(lifecycle_notes) == 1
    note = lifecycle_notes[0]
    assert "6 events" in note and "schedule: 3" in note and "start: 3" in note
    if setting is None:  # chosen by default: said loudly, with how to choose
        assert note.startswith("LIFECYCLE:") and "by default" in note
        assert 'lifecycle = "all"' in note and "name+lifecycle" in note and "load()" in note
    else:
        assert "by default" not in note


def test_complete_first_reached_times_by_hand(small_log):
    table = case_table(quiet_load(small_log, SMALL, lifecycle="complete"), as_of=AS_OF)
    c1, c2, c3 = (_row_of(table, c) for c in ("c1", "c2", "c3"))
    # c1: submitted 1 Jan 09:00, check completed 3 Jan 09:00 (not scheduled 1 Jan 10:00), approved 5 Jan 09:00.
    assert c1["W_Check_at"] == utc("2024-01-03 09:00")
    assert (c1["check_days"], c1["approval_days"], c1["status"]) == (2.0, 2.0, "complete")
    # c2: the check was scheduled and started, never completed: still in the check phase since
    # 2 Jan 09:00, open until 13 Jan 00:00 = 10 days 15 h.
    assert pd.isna(c2["W_Check_at"])
    assert (c2["status"], c2["current_phase"], c2["check_state"]) == ("open", "check", "open")
    assert c2["days_in_phase"] == pytest.approx(10 + 15 * H)
    # c3: the first COMPLETE (6 Jan 09:00), not the second round's (9 Jan); submitted without a transition.
    assert c3["A_SUBMITTED_at"] == utc("2024-01-03 09:00")
    assert c3["W_Check_at"] == utc("2024-01-06 09:00")
    assert (c3["check_days"], c3["approval_days"]) == (3.0, 4.0)


def test_all_keeps_every_event_and_reaches_at_the_first_transition(small_log):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)  # nothing set aside: no warning
        log = load(small_log, SMALL, lifecycle="all")
    q = log.quality
    assert (q.rows_read, q.rows_kept, q.n_set_aside) == (14, 14, 0)
    assert any(n.startswith('lifecycle = "all"') and "6 are not 'complete'" in n for n in q.notes)
    table = case_table(log, as_of=AS_OF)
    c1, c2, c3 = (_row_of(table, c) for c in ("c1", "c2", "c3"))
    # Reached when scheduled: c1 1 Jan 10:00 (1 h after submission; then 3 days 23 h to approval).
    assert c1["W_Check_at"] == utc("2024-01-01 10:00")
    assert c1["check_days"] == pytest.approx(H)
    assert c1["approval_days"] == pytest.approx(3 + 23 * H)
    # c2: scheduled 2 Jan 12:00 (3 h), then waiting for approval until 13 Jan 00:00: 10.5 days.
    assert c2["check_days"] == pytest.approx(3 * H)
    assert (c2["current_phase"], c2["approval_state"]) == ("approval", "open")
    assert c2["days_in_phase"] == pytest.approx(10.5)
    # c3: scheduled 3 Jan 09:30 (half an hour), approved 10 Jan 09:00: 6 days 23.5 h.
    assert c3["W_Check_at"] == utc("2024-01-03 09:30")
    assert c3["check_days"] == pytest.approx(0.5 * H)
    assert c3["approval_days"] == pytest.approx(6 + 23.5 * H)


def test_name_and_lifecycle_makes_each_transition_a_step(small_log):
    log = quiet_load(small_log, lifecycle="name+lifecycle")
    q = log.quality
    assert (q.rows_read, q.rows_kept, q.n_set_aside) == (14, 14, 0)
    # As written, trimmed: "COMPLETE" and "complete" are two spellings, so two steps; row 9 (no
    # transition) keeps its plain name.
    expected = Counter({"A_SUBMITTED+complete": 2, "A_SUBMITTED": 1, "W_Check+schedule": 3, "W_Check+start": 3,
                        "W_Check+complete": 2, "W_Check+COMPLETE": 1, "A_APPROVED+complete": 1,
                        "A_APPROVED+COMPLETE": 1})
    assert Counter(log.events["event"].astype(str)) == expected
    by_row = dict(zip(log.events["row"], log.events["event"].astype(str)))
    assert (by_row[2], by_row[9], by_row[11]) == ("W_Check+schedule", "A_SUBMITTED", "W_Check+COMPLETE")
    assert any(n.startswith('lifecycle = "name+lifecycle"') and "'A_SUBMITTED+complete'" in n for n in q.notes)


def test_name_and_lifecycle_after_the_values_mapping(small_log):
    """The values table of the transition column (one spelling) applies first, then the names are joined."""
    model = ProcessModel.from_dict({
        "name": "small_steps", "milestones": ["A_SUBMITTED+complete", "W_Check+start", "W_Check+complete",
                                             "A_APPROVED+complete"],
        "phases": ["waiting", "work", "approval"],
        "events": ["A_SUBMITTED", "W_Check+schedule"],
    })
    log = quiet_load(small_log, model, lifecycle="name+lifecycle",
                     values={"lifecycle:transition": {"complete": "complete"}})  # (labels match in any case)
    names = Counter(log.events["event"].astype(str))
    assert len(names) == 6 and names["W_Check+complete"] == 3 and names["A_APPROVED+complete"] == 2
    assert log.quality.count("unknown_event") == 0
    table = case_table(log, as_of=AS_OF)
    c1, c2, c3 = (_row_of(table, c) for c in ("c1", "c2", "c3"))
    # c1: submitted 1 Jan 09:00, started 2 Jan 09:00, completed 3 Jan 09:00, approved 5 Jan 09:00.
    assert (c1["waiting_days"], c1["work_days"], c1["approval_days"]) == (1.0, 1.0, 2.0)
    # c2: started 4 Jan 09:00, never completed: in "work" until 13 Jan 00:00 = 8 days 15 h.
    assert (c2["current_phase"], c2["work_state"]) == ("work", "open")
    assert c2["days_in_phase"] == pytest.approx(8 + 15 * H)
    # c3: its first start is the second round's (8 Jan), after its first complete (6 Jan); its
    # submission has no transition, so the start milestone is never reached.
    assert c3["W_Check+start_at"] == utc("2024-01-08 09:00")
    assert c3["W_Check+complete_at"] == utc("2024-01-06 09:00")
    assert pd.isna(c3["A_SUBMITTED+complete_at"])
    assert (c3["waiting_state"], c3["work_state"]) == ("start_missing", "out_of_order")


def test_a_log_without_transitions_is_read_as_before(tmp_path):
    path = tmp_path / "plain.xes"
    path.write_text(_xes_text([(c, n, None, at) for c, n, _, at in TRACES]), encoding="utf-8")
    for setting in (None, "complete", "all", "name+lifecycle"):
        with warnings.catch_warnings():
            warnings.simplefilter("error", DataQualityWarning)
            log = load(path, SMALL, lifecycle=setting)
        assert (log.quality.rows_read, log.quality.rows_kept) == (14, 14), setting
        assert set(log.events["event"].astype(str)) == {"A_SUBMITTED", "W_Check", "A_APPROVED"}
        notes = [n for n in log.quality.notes if "lifecycle" in n.lower()]
        if setting is None:
            assert notes == []  # nothing to say
        else:
            assert notes and "no 'lifecycle:transition' column" in notes[0], setting


def test_only_complete_transitions_need_no_note(tmp_path):
    path = tmp_path / "complete.csv"
    frame = _pm4py_frame()
    frame["lifecycle:transition"] = "complete"
    frame.to_csv(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        log = load(path, SMALL)
    assert log.quality.rows_kept == 14
    assert not [n for n in log.quality.notes if "lifecycle" in n.lower()]


def test_a_data_frame_with_the_column_is_read_the_same():
    frame = _pm4py_frame()
    log = quiet_load(frame, SMALL)  # (the default: as "complete")
    assert log.quality.set_aside == {"lifecycle_not_complete": 6}
    assert sorted(log.quality.set_aside_rows["row"]) == SET_ASIDE_ROWS
    named = quiet_load(frame, lifecycle="name+lifecycle")
    assert named.events["event"].nunique() == 8


# =========================================================================== part 2: the setting
def test_setting_in_a_toml_mapping_and_arguments_win(tmp_path):
    path = tmp_path / "small.csv"
    _pm4py_frame().to_csv(path, index=False)
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('lifecycle = "all"\n', encoding="utf-8")
    assert quiet_load(path, SMALL, mapping=mapping).quality.rows_kept == 14
    assert quiet_load(path, SMALL, mapping=mapping, lifecycle="complete").quality.rows_kept == 8
    assert read_caselog(path, mapping=mapping).lifecycle == "all"
    assert read_caselog(path).lifecycle is None
    mapping.write_text('lifecycle = "name+lifecycle"\n', encoding="utf-8")
    assert quiet_load(path, mapping={"lifecycle": "name+lifecycle"}).events["event"].nunique() == 8
    assert quiet_load(path, mapping=mapping).events["event"].nunique() == 8


def test_another_header_and_spellings_through_the_mapping(tmp_path):
    """A CSV whose transition column is called "Transition", its spellings unified by the mapping."""
    path = tmp_path / "export.csv"
    _pm4py_frame().rename(columns={"lifecycle:transition": "Transition"}).to_csv(path, index=False)
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('lifecycle = "name+lifecycle"\n[columns]\n"Transition" = "lifecycle:transition"\n'
                       '[values."lifecycle:transition"]\n"COMPLETE" = "complete"\n', encoding="utf-8")
    log = quiet_load(path, mapping=mapping)
    assert log.events["event"].nunique() == 6  # the 8 steps of the file, "COMPLETE" read as "complete"
    mapping.write_text('[columns]\n"Transition" = "lifecycle:transition"\n', encoding="utf-8")
    assert quiet_load(path, SMALL, mapping=mapping).quality.set_aside == {"lifecycle_not_complete": 6}


@pytest.mark.parametrize("bad, phrase", [
    ("completed", 'did you mean "complete"'),
    ("COMPLETE ONLY", '"complete", "all", "name+lifecycle"'),
    (True, "(bool)"),
    (["complete"], "(list)"),
])
def test_a_bad_setting_is_refused_with_the_choices(tmp_path, bad, phrase):
    path = tmp_path / "small.csv"
    _pm4py_frame().to_csv(path, index=False)
    with pytest.raises(CaseLogError) as info:
        load(path, lifecycle=bad)
    assert "`lifecycle` must be one of" in str(info.value) and phrase in str(info.value)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"lifecycle": bad}), encoding="utf-8")
    with pytest.raises(CaseLogError) as info:
        load(path, mapping=mapping)
    assert str(mapping) in str(info.value) and "`lifecycle` must be one of" in str(info.value)


def test_the_check_is_listed_with_its_fix():
    assert va.CHECKS["lifecycle_not_complete"][0] == "set aside"
    from vitale_analysis.caselog import FIXES
    assert 'lifecycle = "all"' in FIXES["lifecycle_not_complete"]


def test_cli_validate_details_lists_the_check_and_its_fix(tmp_path):
    path = tmp_path / "small.xes"
    path.write_text(_xes_text(), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "vitale_analysis", "validate", str(path), "--details"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "rows read 14 = kept 8 + set aside 6" in out
    assert "lifecycle_not_complete (6 rows, set aside): fix: nothing to do if a step counts when it completes" in out
    assert "--mapping" in out  # the note's fix in the command line's words
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('lifecycle = "all"\n', encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "vitale_analysis", "validate", str(path), "--mapping",
                             str(mapping)], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "rows read 14 = kept 14 + set aside 0" in result.stdout


# =========================================================================== part 3: BPI Challenge 2012
XES = "{http://www.xes-standard.org/}"
needs_bpic = pytest.mark.skipif(not BPIC.exists(), reason=f"{BPIC} is absent (see tests/data/external/README.md)")


@pytest.fixture(scope="module")
def bpic_xml():
    """Plain ElementTree reading: [(case, [(position, name, transition, UTC datetime)])], in file order."""
    with gzip.open(BPIC, "rb") as fh:
        root = ET.parse(fh).getroot()
    traces, position = [], 0
    for trace in root.findall(f"{XES}trace"):
        case = next(c.get("value") for c in trace if c.tag != f"{XES}event" and c.get("key") == "concept:name")
        events = []
        for ev in trace.findall(f"{XES}event"):
            position += 1
            attrs = {c.get("key"): c.get("value") for c in ev}
            events.append((position, attrs["concept:name"], attrs.get("lifecycle:transition"),
                           datetime.fromisoformat(attrs["time:timestamp"]).astimezone(UTC)))
        traces.append((case, events))
    return traces


@pytest.fixture(scope="module")
def bpic_complete():
    return quiet_load(BPIC, ProcessModel.from_toml(BPIC_MODEL), lifecycle="complete")


@needs_bpic
@pytest.mark.slow
def test_bpic_complete_counts_match_an_independent_count(bpic_complete, bpic_xml):
    events = [e for _, evs in bpic_xml for e in evs]
    transitions = Counter(t for _, _, t, _ in events)
    # The dataset description: 13,087 cases, 262,200 events.
    assert len(bpic_xml) == 13_087 and len(events) == 262_200
    assert transitions == {"COMPLETE": 164_506, "START": 71_376, "SCHEDULE": 26_318}
    q = bpic_complete.quality
    n_complete = transitions["COMPLETE"]
    assert (q.rows_read, q.rows_kept) == (len(events), n_complete)
    assert q.set_aside == {"lifecycle_not_complete": len(events) - n_complete}
    assert q.n_cases == 13_087
    other = sorted(p for p, _, t, _ in events if t != "COMPLETE")
    assert q.set_aside_rows["row"].tolist() == other  # the very events, by their position in the file
    # The one activity only ever scheduled is named as gone.
    assert any("'W_Wijzigen contractgegevens'" in n for n in q.notes)
    assert "W_Wijzigen contractgegevens" not in set(bpic_complete.events["event"].astype(str))


@needs_bpic
@pytest.mark.slow
def test_bpic_default_is_complete_with_a_loud_note(bpic_xml):
    with pytest.warns(DataQualityWarning, match="97,694 of 262,200 rows set aside"):
        log = load(BPIC, ProcessModel.from_toml(BPIC_MODEL))
    assert log.quality.set_aside == {"lifecycle_not_complete": 97_694}  # 71,376 START + 26,318 SCHEDULE
    assert log.quality.notes[0].startswith("LIFECYCLE:")
    assert "START: 71,376" in log.quality.notes[0] and "SCHEDULE: 26,318" in log.quality.notes[0]


@needs_bpic
@pytest.mark.slow
def test_bpic_name_and_lifecycle_distinct_activities(bpic_xml):
    log = quiet_load(BPIC, lifecycle="name+lifecycle")
    pairs = Counter(f"{n}+{t}" for _, evs in bpic_xml for _, n, t, _ in evs)
    assert len(pairs) == 36  # the file's own header: different_classified_total = 36
    assert log.events["event"].nunique() == len(pairs)
    assert Counter(log.events["event"].astype(str)) == pairs
    assert log.quality.rows_kept == 262_200 and log.quality.n_set_aside == 0


# Case 173688 (the file's first trace), read by eye from the XML (times +02:00, here in UTC):
# A_FINALIZED           COMPLETE  2011-10-01 09:45:09.243
# W_Valideren aanvraag  SCHEDULE  2011-10-10 09:33:04.560
# W_Valideren aanvraag  START     2011-10-13 08:05:26.925
# A_APPROVED, A_ACTIVATED COMPLETE 2011-10-13 08:37:29.226
# W_Valideren aanvraag  COMPLETE  2011-10-13 08:37:37.026  (8 s after the approval)
CASE = "173688"


@needs_bpic
@pytest.mark.slow
def test_bpic_milestone_reached_at_complete_not_schedule(bpic_complete, bpic_xml):
    events = dict(bpic_xml)[CASE]
    validation = [(t, at) for _, n, t, at in events if n == "W_Valideren aanvraag"]
    assert [t for t, _ in validation] == ["SCHEDULE", "START", "COMPLETE"]
    assert validation[2][1] == datetime(2011, 10, 13, 8, 37, 37, 26_000, tzinfo=UTC)
    row = _row_of(case_table(bpic_complete), CASE)
    assert row["W_Valideren aanvraag_at"] == utc("2011-10-13 08:37:37.026")
    # Validation: 1 Oct 09:45:09.243 → 13 Oct 08:37:37.026 = 11 days 22:52:27.783.
    assert row["validation_state"] == "finished"
    assert row["validation_days"] == pytest.approx(11 + (22 * 3600 + 52 * 60 + 27.783) / 86400)
    # Approved 8 s before the validation completed: approval and activation are out of order.
    assert row["order_violations"] == 2
    assert (row["approval_state"], row["activation_state"]) == ("out_of_order", "out_of_order")
    assert row["status"] == "complete"
    # With "all", the same milestone is reached when scheduled, and the approval follows in order.
    scheduled = _row_of(case_table(quiet_load(BPIC, ProcessModel.from_toml(BPIC_MODEL), lifecycle="all")), CASE)
    assert scheduled["W_Valideren aanvraag_at"] == utc("2011-10-10 09:33:04.560")
    # 1 Oct 09:45:09.243 → 10 Oct 09:33:04.560 = 8 days 23:47:55.317; then → 13 Oct 08:37:29.226 =
    # 2 days 23:04:24.666; the activation at the approval's time: 0 days.
    assert scheduled["validation_days"] == pytest.approx(8 + (23 * 3600 + 47 * 60 + 55.317) / 86400)
    assert scheduled["approval_days"] == pytest.approx(2 + (23 * 3600 + 4 * 60 + 24.666) / 86400)
    assert scheduled["activation_days"] == 0.0 and scheduled["order_violations"] == 0


@needs_bpic
@pytest.mark.slow
def test_bpic_case_table_with_its_process_model_matches_the_reference(bpic_complete, bpic_xml):
    """The case table of the loan model, against tests/reference.py fed with the ElementTree reading.

    The reference's input is built here without the package: the COMPLETE events (all events
    have a transition), sorted by case, time, then the process order of same-time events
    (milestones in order, other events, closing events), then file position.
    """
    model = ProcessModel.from_toml(BPIC_MODEL)
    milestones, closing = list(model.milestones), set(model.close_events)
    rank = {m: j for j, m in enumerate(milestones)}
    rows = []
    for case, events in bpic_xml:
        for position, name, transition, at in events:
            if transition == "COMPLETE":
                order = rank.get(name, len(milestones) + (name in closing))
                rows.append((case, at, order, position, name))
    rows.sort()
    frame = pd.DataFrame({"case_id": [r[0] for r in rows], "event": [r[4] for r in rows],
                          "timestamp": pd.to_datetime([r[1] for r in rows], utc=True), "trigger": None})
    as_of = "2012-03-14"
    expected = ref.case_table(frame, as_of, milestones=milestones, phase_keys=list(model.phase_keys),
                              close_events=list(model.close_events)).set_index("case_id")
    got = case_table(bpic_complete, as_of=as_of).to_frame().set_index("case_id")
    assert len(got) == len(expected) == 13_087
    assert sorted(got.index) == sorted(expected.index)
    got = got.loc[expected.index]
    for column in ["status", "current_phase", "order_violations",
                   *[f"{p}_state" for p in model.phase_keys]]:
        assert got[column].astype(object).where(got[column].notna(), None).tolist() == \
            expected[column].astype(object).where(expected[column].notna(), None).tolist(), column
    for column in ["days_in_phase", *[f"{p}_days" for p in model.phase_keys]]:
        pd.testing.assert_series_equal(got[column].astype(float), expected[column].astype(float),
                                       check_names=False, check_index=False, rtol=1e-9, atol=1e-9)
    for m in milestones:
        assert (got[f"{m}_at"].dt.tz_convert("UTC") == expected[f"{m}_at"].dt.tz_localize("UTC")).where(
            expected[f"{m}_at"].notna(), got[f"{m}_at"].isna()).all(), m
    # Phase counts (dossiers per phase and state): the same, and plausible for this log.
    def counts(states: pd.Series) -> dict:
        return {k: v for k, v in states.astype(object).value_counts().items() if v}

    for p in model.phase_keys:
        assert counts(got[f"{p}_state"]) == counts(expected[f"{p}_state"]), p
    assert (expected["status"] == "complete").sum() == 2_246  # A_ACTIVATED: 2,246 cases
