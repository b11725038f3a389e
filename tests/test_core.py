"""Case table and phase durations on a small log whose answers were worked out by hand.

Every event is at 09:00, so finished phases last whole days. ``as_of="2025-06-30"``
means the end of that day, 2025-07-01 00:00: a phase started at 09:00 on day D
has lasted (2025-07-01 - D) days minus 9 hours, i.e. ``whole_days - 0.375``.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vitale_analysis as va
from vitale_analysis import CARTE_VITALE, AsOf, case_table, phase_durations, read_caselog, validate

AS_OF = "2025-06-30"
MILESTONES = CARTE_VITALE.milestones
PHASES = ["registration", "ssn", "dossier", "rights", "card", "activation", "reimbursement"]
# A coarser model of the same route, given to a validated log in place of CARTE_VITALE.
COARSE = va.ProcessModel.from_dict({
    "name": "coarse",
    "milestones": ["registration_submitted", "dossier_submitted", "rights_opened", "first_reimbursement"],
    "phases": ["preparation", "instruction", "payment"],
    "close_events": ["case_closed"],
})


def ev(case, event, day, trigger=None, office="CPAM 75", route="self_employed"):
    return {"case_id": case, "event": event, "timestamp": f"{day} 09:00", "trigger": trigger,
            "office": office, "route": route}


def chain(case, days, office="CPAM 75"):
    """Milestones in order, one per given day."""
    return [ev(case, m, d, office=office) for m, d in zip(MILESTONES, days)]


ROWS = [
    # A complete dossier: phases 3, 11, 14, 28, 21, 2, 12 days (91 in all).
    ev("C_COMPLETE", "registration_submitted", "2025-01-06"),
    ev("C_COMPLETE", "registration_accepted", "2025-01-09"),
    ev("C_COMPLETE", "nir_permanent", "2025-01-20"),
    ev("C_COMPLETE", "documents_collected", "2025-01-25"),
    ev("C_COMPLETE", "dossier_submitted", "2025-02-03"),
    ev("C_COMPLETE", "complement_requested", "2025-02-10", "missing_translation"),
    ev("C_COMPLETE", "complement_sent", "2025-02-14"),
    ev("C_COMPLETE", "rights_opened", "2025-03-03"),
    ev("C_COMPLETE", "card_requested", "2025-03-04"),
    ev("C_COMPLETE", "card_received", "2025-03-24"),
    ev("C_COMPLETE", "card_activated", "2025-03-26"),
    ev("C_COMPLETE", "first_reimbursement", "2025-04-07"),
    # Open dossiers, one in each phase.
    *chain("O_1_REG", ["2025-06-02"], office="CPAM 13"),
    *chain("O_2_SSN", ["2025-05-05", "2025-05-12"], office="CPAM 13"),
    *chain("O_3_DOS", ["2025-04-01", "2025-04-04", "2025-05-02"], office="CPAM 13"),
    *chain("O_4_RIG", ["2025-04-01", "2025-04-04", "2025-05-02", "2025-06-16"]),
    *chain("O_5_CAR", ["2025-04-01", "2025-04-04", "2025-05-02", "2025-06-02", "2025-06-20"]),
    *chain("O_6_ACT", ["2025-04-01", "2025-04-04", "2025-05-02", "2025-06-02", "2025-06-09", "2025-06-27"]),
    *chain("O_7_REI", ["2025-04-01", "2025-04-04", "2025-05-02", "2025-06-02", "2025-06-09", "2025-06-27",
                       "2025-06-30"]),
    # Born abroad: an NIA first, the permanent number 97 days after registration.
    ev("C_NIA", "registration_submitted", "2025-01-06"),
    ev("C_NIA", "registration_accepted", "2025-01-08"),
    ev("C_NIA", "nia_assigned", "2025-01-15"),
    ev("C_NIA", "nir_permanent", "2025-04-15"),
    ev("C_NIA", "dossier_submitted", "2025-04-22"),
    ev("C_NIA", "rights_opened", "2025-05-20"),
    # Dossier submitted on an NIA, before the permanent number: an order violation.
    ev("C_VIOL", "registration_submitted", "2025-01-06"),
    ev("C_VIOL", "registration_accepted", "2025-01-08"),
    ev("C_VIOL", "nia_assigned", "2025-01-10"),
    ev("C_VIOL", "dossier_submitted", "2025-01-20", "nia_not_permanent"),
    ev("C_VIOL", "complement_requested", "2025-02-03", "nia_not_permanent"),
    ev("C_VIOL", "nir_permanent", "2025-03-10"),
    ev("C_VIOL", "rights_opened", "2025-04-14"),
    # Abandoned while preparing the dossier.
    ev("C_CLOSED", "registration_submitted", "2025-02-03"),
    ev("C_CLOSED", "registration_accepted", "2025-02-05"),
    ev("C_CLOSED", "nir_permanent", "2025-02-17"),
    ev("C_CLOSED", "documents_collected", "2025-02-20"),
    ev("C_CLOSED", "case_closed", "2025-03-17"),
    # A salaried person who tried to self-file: stopped at registration.
    ev("C_SAL", "registration_submitted", "2025-03-03", route="salaried"),
    ev("C_SAL", "case_closed", "2025-03-10", "salaried_route", route="salaried"),
]


def raw_frame(rows=ROWS) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["case_id", "event", "timestamp", "trigger", "office", "route"])


@pytest.fixture(scope="module")
def log():
    return validate(read_caselog(raw_frame()))


@pytest.fixture(scope="module")
def cases(log):
    return case_table(log, as_of=AS_OF).to_frame().set_index("case_id")


@pytest.fixture(scope="module")
def durations(log):
    return phase_durations(log, as_of=AS_OF)


def phase_rows(durations, case):
    return durations[durations["case_id"] == case].set_index("phase", drop=False)


# ---------------------------------------------------------------- a complete dossier
def test_complete_case_phases(durations):
    rows = phase_rows(durations, "C_COMPLETE")
    assert list(rows["phase"].astype(str)) == PHASES
    assert rows["days"].tolist() == [3.0, 11.0, 14.0, 28.0, 21.0, 2.0, 12.0]
    assert rows["finished"].all()
    assert (rows["state"] == "finished").all()
    assert rows["days"].sum() == 91.0  # 2025-01-06 → 2025-04-07


def test_complete_case_row(cases):
    row = cases.loc["C_COMPLETE"]
    assert row["status"] == "complete"
    assert pd.isna(row["current_phase"]) and math.isnan(row["days_in_phase"])
    assert row["completed_at"] == pd.Timestamp("2025-04-07 09:00")
    assert row["started_at"] == pd.Timestamp("2025-01-06 09:00")
    assert row["n_events"] == 12
    assert row["order_violations"] == 0
    assert row["number_status"] == "permanent"
    assert row["trigger_missing_translation"] and row["n_triggers"] == 1
    assert not row["trigger_rib_mismatch"]
    assert row["rights_opened_at"] == pd.Timestamp("2025-03-03 09:00")
    assert row["office"] == "CPAM 75"


# ---------------------------------------------------------------- an open case in each phase
@pytest.mark.parametrize(
    "case, phase, started, days",
    [
        ("O_1_REG", "registration", "2025-06-02", 29 - 0.375),
        ("O_2_SSN", "ssn", "2025-05-12", 50 - 0.375),
        ("O_3_DOS", "dossier", "2025-05-02", 60 - 0.375),
        ("O_4_RIG", "rights", "2025-06-16", 15 - 0.375),
        ("O_5_CAR", "card", "2025-06-20", 11 - 0.375),
        ("O_6_ACT", "activation", "2025-06-27", 4 - 0.375),
        ("O_7_REI", "reimbursement", "2025-06-30", 1 - 0.375),
    ],
)
def test_open_case_in_each_phase(cases, durations, case, phase, started, days):
    row = cases.loc[case]
    assert row["status"] == "open"
    assert row["current_phase"] == phase
    assert row["phase_started_at"] == pd.Timestamp(f"{started} 09:00")
    assert row["days_in_phase"] == pytest.approx(days)
    rows = phase_rows(durations, case)
    # The current phase is open (censored) with the same days; the ones before finished.
    assert rows["phase"].iloc[-1] == phase and rows["state"].iloc[-1] == "open"
    assert rows["days"].iloc[-1] == pytest.approx(days)
    assert not rows["finished"].iloc[-1]
    assert (rows["state"].iloc[:-1] == "finished").all()
    assert len(rows) == PHASES.index(phase) + 1


def test_open_case_waiting_on(cases):
    # After dossier_submitted the dossier waits on the office; after nir_permanent on the applicant.
    assert cases.loc["O_4_RIG", "waiting_on"] == "office"
    assert cases.loc["O_3_DOS", "waiting_on"] == "applicant"
    assert pd.isna(cases.loc["C_COMPLETE", "waiting_on"])


# ---------------------------------------------------------------- NIA then permanent number
def test_nia_then_permanent(log, cases, durations):
    rows = phase_rows(durations, "C_NIA")
    assert rows.loc["ssn", "days"] == 97.0  # 2025-01-08 → 2025-04-15
    assert cases.loc["C_NIA", "number_status"] == "permanent"
    assert cases.loc["C_NIA", "current_phase"] == "card"
    assert cases.loc["C_NIA", "days_in_phase"] == pytest.approx(42 - 0.375)  # since 2025-05-20
    before = case_table(log, as_of="2025-03-01").to_frame().set_index("case_id")
    assert before.loc["C_NIA", "number_status"] == "nia"
    assert before.loc["C_NIA", "current_phase"] == "ssn"
    at_start = case_table(log, as_of="2025-01-10").to_frame().set_index("case_id")
    assert at_start.loc["C_NIA", "number_status"] == "none"


# ---------------------------------------------------------------- dossier before the permanent number
def test_dossier_before_permanent_number(log, cases, durations):
    row = cases.loc["C_VIOL"]
    assert row["order_violations"] == 1
    assert row["status"] == "open" and row["current_phase"] == "card"
    assert row["days_in_phase"] == pytest.approx(78 - 0.375)  # since 2025-04-14
    rows = phase_rows(durations, "C_VIOL")
    assert rows.loc["registration", "days"] == 2.0
    assert rows.loc["ssn", "days"] == 61.0  # 2025-01-08 → 2025-03-10
    assert rows.loc["dossier", "state"] == "out_of_order"
    assert math.isnan(rows.loc["dossier", "days"])
    assert rows.loc["rights", "days"] == 84.0  # 2025-01-20 → 2025-04-14
    assert (durations["days"].dropna() >= 0).all()
    failures = log.quality.failures
    viol = failures[failures["check"] == "order_violation"]
    assert viol["case_id"].tolist() == ["C_VIOL"]
    assert viol["value"].tolist() == ["dossier_submitted before nir_permanent"]
    # The flagged row is the dossier_submitted row of the input (1-based).
    expected_row = 1 + next(i for i, r in enumerate(ROWS)
                            if r["case_id"] == "C_VIOL" and r["event"] == "dossier_submitted")
    assert viol["row"].tolist() == [expected_row]
    assert cases["order_violations"].drop("C_VIOL").eq(0).all()


# ---------------------------------------------------------------- abandoned and salaried route
def test_abandoned_case(cases, durations):
    row = cases.loc["C_CLOSED"]
    assert row["status"] == "closed"
    assert row["closed_at"] == pd.Timestamp("2025-03-17 09:00")
    assert row["current_phase"] == "dossier"
    assert row["days_in_phase"] == 28.0  # 2025-02-17 → 2025-03-17, censored at the closing
    rows = phase_rows(durations, "C_CLOSED")
    assert rows.loc["dossier", "state"] == "closed"
    assert rows.loc["dossier", "days"] == 28.0
    assert not rows.loc["dossier", "finished"]
    assert rows.loc["ssn", "days"] == 12.0 and rows.loc["ssn", "finished"]


def test_salaried_route_trigger(cases):
    row = cases.loc["C_SAL"]
    assert row["trigger_salaried_route"]
    assert row["route"] == "salaried"
    assert row["status"] == "closed" and row["current_phase"] == "registration"
    assert row["days_in_phase"] == 7.0
    assert cases["trigger_salaried_route"].sum() == 1
    trigger_cols = [c for c in cases.columns if c.startswith("trigger_")]
    assert len(trigger_cols) == len(CARTE_VITALE.triggers)
    assert cases.loc["C_SAL", trigger_cols].sum() == 1


def test_status_counts(cases):
    # 7 open + C_NIA + C_VIOL open; C_COMPLETE complete; C_CLOSED, C_SAL closed.
    assert cases["status"].value_counts().to_dict() == {"open": 9, "complete": 1, "closed": 2}
    assert len(cases) == 12


# ---------------------------------------------------------------- duplicates, order, snapshot
def test_duplicated_rows_are_removed_and_counted():
    dup = [r for r in ROWS if r["case_id"] == "C_COMPLETE" and r["event"] == "card_received"][0]
    rows = ROWS + [dup, dup]
    with pytest.warns(va.DataQualityWarning, match="2 of"):
        log = validate(read_caselog(raw_frame(rows)))
    q = log.quality
    assert q.rows_read == len(ROWS) + 2
    assert q.rows_kept == len(ROWS)
    assert q.set_aside == {"duplicate_row": 2}
    assert q.count("duplicate_row") == 2
    assert q.failures.loc[q.failures["check"] == "duplicate_row", "row"].tolist() == [len(ROWS) + 1, len(ROWS) + 2]
    assert len(q.set_aside_rows) == 2
    reference = case_table(validate(read_caselog(raw_frame())), as_of=AS_OF)
    pd.testing.assert_frame_equal(case_table(log, as_of=AS_OF).to_frame(), reference.to_frame())


def test_rows_out_of_time_order_give_the_same_tables(log):
    shuffled = raw_frame().sample(frac=1, random_state=7).reset_index(drop=True)
    other = validate(read_caselog(shuffled))
    pd.testing.assert_frame_equal(case_table(other, as_of=AS_OF).to_frame(), case_table(log, as_of=AS_OF).to_frame())
    pd.testing.assert_frame_equal(phase_durations(other, as_of=AS_OF), phase_durations(log, as_of=AS_OF))
    # Events come out sorted by case, then time.
    events = other.events
    assert events["case_id"].is_monotonic_increasing
    assert all(g["timestamp"].is_monotonic_increasing for _, g in events.groupby("case_id"))


def test_as_of_is_a_snapshot(log):
    table = case_table(log, as_of="2025-03-01")
    then = table.to_frame().set_index("case_id")
    # C_COMPLETE was in the rights phase since 2025-02-03 09:00, to 2025-03-02 00:00.
    assert then.loc["C_COMPLETE", "status"] == "open"
    assert then.loc["C_COMPLETE", "current_phase"] == "rights"
    assert then.loc["C_COMPLETE", "days_in_phase"] == pytest.approx(27 - 0.375)
    # Cases not started by then are not in the table.
    assert "O_1_REG" not in then.index and "C_SAL" not in then.index
    # A bare date: up to the next midnight, which itself is left out.
    assert table.as_of == AsOf(pd.Timestamp("2025-03-02 00:00"), inclusive=False)


def test_as_of_defaults_to_last_event(log):
    table = case_table(log)
    # The latest event (O_7_REI's card_activated), itself included.
    assert table.as_of == AsOf(pd.Timestamp("2025-06-30 09:00"), inclusive=True)
    row = table.to_frame().set_index("case_id").loc["O_1_REG"]
    assert row["days_in_phase"] == 28.0  # 2025-06-02 09:00 → 2025-06-30 09:00


def test_same_time_tie_is_flagged_and_ordered_by_process():
    rows = [
        ev("T", "registration_submitted", "2025-01-06"),
        # Written in the wrong order and at the same time: the process order decides.
        ev("T", "registration_accepted", "2025-01-08"),
        ev("T", "nia_assigned", "2025-01-08"),
    ]
    rows[1], rows[2] = rows[2], rows[1]
    log = validate(read_caselog(raw_frame(rows)))
    assert log.quality.count("same_time_tie") == 1
    assert log.events["event"].astype(str).tolist() == ["registration_submitted", "registration_accepted",
                                                        "nia_assigned"]
    assert log.quality.rows_kept == 3


def test_event_columns_are_typed(log):
    events = log.events
    assert isinstance(events["event"].dtype, pd.CategoricalDtype)
    assert isinstance(events["trigger"].dtype, pd.CategoricalDtype)
    assert list(events["event"].cat.categories[: len(MILESTONES)]) == list(MILESTONES)
    assert str(events["timestamp"].dtype) == "datetime64[ns]"
    assert list(events.columns[:4]) == ["case_id", "event", "timestamp", "trigger"]
    assert log.case_attributes == ("office", "route")


def test_aware_timestamps_are_converted_to_utc():
    rows = [
        {"case_id": "Z", "event": "registration_submitted", "timestamp": "2025-03-29T10:00:00+01:00"},
        # Summer time starts on 2025-03-30: 2 days later at 10:00 local is 47 hours later.
        {"case_id": "Z", "event": "registration_accepted", "timestamp": "2025-03-31T10:00:00+02:00"},
    ]
    log = validate(read_caselog(pd.DataFrame(rows)))
    assert str(log.events["timestamp"].dtype) == "datetime64[ns, UTC]"
    durations = phase_durations(log)
    assert durations["days"].iloc[0] == pytest.approx(47 / 24)
    assert case_table(log)["registration_days"].iloc[0] == pytest.approx(47 / 24)


# ---------------------------------------------------------------- invariants
@settings(max_examples=40, deadline=None)
@given(
    gaps=st.lists(st.integers(min_value=0, max_value=200 * 24 * 60), min_size=7, max_size=7),
    seed=st.integers(0, 2**16),
)
def test_complete_in_order_phases_add_up_to_span(gaps, seed):
    start = pd.Timestamp("2024-01-01 08:00")
    times = [start]
    for minutes in gaps:
        times.append(times[-1] + pd.Timedelta(minutes=minutes))
    rows = [{"case_id": "X", "event": m, "timestamp": t.isoformat()} for m, t in zip(MILESTONES, times)]
    frame = pd.DataFrame(rows).sample(frac=1, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        log = validate(read_caselog(frame))
    durations = phase_durations(log)
    span = (times[-1] - times[0]) / pd.Timedelta(days=1)
    assert durations["days"].sum() == pytest.approx(span, abs=1e-9)
    assert np.allclose(durations["days"], np.array(gaps) / (24 * 60))
    assert case_table(log)["status"].tolist() == ["complete"]


# ---------------------------------------------------------------- process model
def test_carte_vitale_model_matches_design():
    assert list(CARTE_VITALE.phase_keys) == PHASES
    assert CARTE_VITALE.phase("rights").label_in("en") == "Rights opening"
    assert CARTE_VITALE.phase("rights").label_in("fr") == "Ouverture des droits"
    assert set(CARTE_VITALE.triggers) == {
        "missing_translation", "address_proof_expired", "unreadable_scan", "rib_mismatch",
        "birth_certificate_format", "identity_inconsistency", "nia_not_permanent",
        "registration_missing", "wrong_office", "salaried_route", "no_response", "activation_failed",
    }
    for trigger in CARTE_VITALE.triggers.values():
        assert trigger.phase in PHASES and trigger.prevention["en"] and trigger.prevention["fr"]
    for phase in CARTE_VITALE.phases:
        assert phase.next_action["en"] and phase.next_action["fr"]
    assert set(CARTE_VITALE.waiting_on.values()) == {"applicant", "office", "third_party"}
    assert "3646" in CARTE_VITALE.followup_action["en"]


def test_user_process_from_toml(tmp_path):
    path = tmp_path / "permit.toml"
    path.write_text(
        'name = "permit"\nmilestones = ["received", "checked", "decided"]\n'
        '[[phases]]\nkey = "intake"\n[[phases]]\nkey = "decision"\nlabel = { en = "Decision", fr = "Décision" }\n',
        encoding="utf-8",
    )
    permit = va.ProcessModel.from_toml(path)
    assert permit.phase_keys == ("intake", "decision")
    assert permit.phase("decision").label_in("fr") == "Décision"
    rows = [
        {"case_id": "P1", "event": "received", "timestamp": "2024-05-01 10:00"},
        {"case_id": "P1", "event": "checked", "timestamp": "2024-05-03 10:00"},
        {"case_id": "P1", "event": "decided", "timestamp": "2024-05-10 16:00"},
        {"case_id": "P2", "event": "received", "timestamp": "2024-05-02 10:00"},
    ]
    log = validate(read_caselog(pd.DataFrame(rows)), permit)
    table = case_table(log, as_of="2024-05-11").to_frame().set_index("case_id")
    assert table.loc["P1", "status"] == "complete"
    assert table.loc["P2", "current_phase"] == "intake"
    assert table.loc["P2", "days_in_phase"] == pytest.approx(9 + 14 / 24)  # to 2024-05-12 00:00
    assert phase_durations(log)["days"].tolist()[:2] == [2.0, 7.25]
    assert "number_status" not in table.columns and "waiting_on" not in table.columns


def test_case_table_reads_the_events_as_they_are_now():
    """The case table finds the milestones in the log's events when it is called: an edit made
    to the events after validation shows in the table, which equals the table of the edited
    rows validated afresh (a second method)."""
    log = validate(read_caselog(raw_frame()))
    before = case_table(log, as_of=AS_OF).to_frame().set_index("case_id")
    row = log.events.index[log.events["event"] == "rights_opened"][0]
    case = log.events.loc[row, "case_id"]
    assert case == "C_COMPLETE"  # (events are sorted by case: C_CLOSED never opened rights)
    log.events.loc[row, "event"] = "followup_message"  # (a known name: the order is unchanged)
    after = case_table(log, as_of=AS_OF).to_frame()
    edited = [dict(r, event="followup_message") if (r["case_id"], r["event"]) == (case, "rights_opened") else r
              for r in ROWS]
    fresh = case_table(validate(read_caselog(raw_frame(edited))), as_of=AS_OF).to_frame()
    pd.testing.assert_frame_equal(after, fresh)
    got = after.set_index("case_id").loc[case]
    assert before.loc[case, "rights_opened_at"] == pd.Timestamp("2025-03-03 09:00")
    assert pd.isna(got["rights_opened_at"])
    # Rights never recorded, later milestones reached: neither phase around it has a duration.
    assert got["rights_state"] == "end_missing" and math.isnan(got["rights_days"])
    assert got["card_state"] == "start_missing" and math.isnan(got["card_days"])
    assert got["status"] == "complete"


def test_case_table_follows_the_log_process():
    """A log given another process model after validation (dataclasses.replace) gets that
    model's milestones and phases: values worked out by hand for a coarser model, and equal
    to the table of the rows validated with that model."""
    log = dataclasses.replace(validate(read_caselog(raw_frame())), process=COARSE)
    table = case_table(log, as_of=AS_OF)
    assert table.process is COARSE
    frame = table.to_frame()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        fresh = case_table(validate(read_caselog(raw_frame()), COARSE), as_of=AS_OF).to_frame()
    # (Equal values; last_event's categories are each validating model's vocabulary, in its order.)
    pd.testing.assert_frame_equal(frame, fresh, check_categorical=False)
    cases = frame.set_index("case_id")
    assert [c for c in cases.columns if c.endswith("_state")] == [
        "preparation_state", "instruction_state", "payment_state"]
    assert "number_status" not in cases.columns and "waiting_on" not in cases.columns
    assert not any(c.startswith("trigger_") for c in cases.columns)
    # C_COMPLETE: 01-06 → 02-03 → 03-03 → 04-07.
    assert cases.loc["C_COMPLETE", ["preparation_days", "instruction_days", "payment_days"]].tolist() == [
        28.0, 28.0, 35.0]
    assert cases.loc["C_COMPLETE", "status"] == "complete"
    # C_VIOL's dossier before its permanent number is no violation here (nir_permanent is no milestone).
    assert cases.loc["C_VIOL", "order_violations"] == 0
    assert cases.loc["C_VIOL", "current_phase"] == "payment"
    assert cases.loc["C_VIOL", "days_in_phase"] == pytest.approx(78 - 0.375)  # since 2025-04-14
    # O_3_DOS never submitted its dossier: still preparing, since 2025-04-01.
    assert cases.loc["O_3_DOS", "current_phase"] == "preparation"
    assert cases.loc["O_3_DOS", "days_in_phase"] == pytest.approx(91 - 0.375)
    # C_CLOSED: closed while preparing, 2025-02-03 → 2025-03-17.
    assert cases.loc["C_CLOSED", "status"] == "closed"
    assert cases.loc["C_CLOSED", "current_phase"] == "preparation"
    assert cases.loc["C_CLOSED", "days_in_phase"] == 42.0


def test_a_filtered_table_keeps_the_logs_own_words(french_log):
    # The analyses that read events (trigger_summary, stalled…) get a filtered table's dossiers with
    # the user's labels and the rest of the log kept.
    cases = va.case_table(french_log)
    one_office = cases[cases["office"] == cases["office"].iloc[0]]
    events = one_office.dossier_log
    assert events.labels == french_log.labels and events.labels  # (the mapping's own words)
    assert events.quality is french_log.quality and events.process is french_log.process
    assert set(events.events["case_id"]) == set(one_office["case_id"])


def test_a_log_and_its_model_survive_pickling():
    """Dask ships the model and the log to worker processes by pickling (cloudpickle): the read-only
    mappings inside the model travel as dicts and come back read-only, equal to the original."""
    import pickle
    from types import MappingProxyType

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        log = va.load("data/sample_caselog.csv")
    again = pickle.loads(pickle.dumps(log))
    assert again.events.equals(log.events) and again.process == log.process
    model = again.process
    assert isinstance(model.label, MappingProxyType) and isinstance(model.triggers, MappingProxyType)
    trigger = next(iter(model.triggers.values()))
    assert isinstance(trigger.label, MappingProxyType)
    with pytest.raises(TypeError):
        model.label["en"] = "changed"  # (still read-only)


def test_a_case_table_survives_pickling():
    """A Dask worker spills a persisted partition's case table to disk, or sends it to another
    worker, by pickling it: it comes back equal, with its log, and its summaries still work."""
    import pickle

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        log = va.load("data/sample_caselog.csv")
    table = va.case_table(log, as_of="2025-06-30")
    expected = va.phase_summary(table)  # (fills the table's cache of sorted durations first)
    again = pickle.loads(pickle.dumps(table))
    assert again.to_frame().equals(table.to_frame()) and again.as_of == table.as_of and again.days == table.days
    assert again.log.events.equals(log.events)
    pd.testing.assert_frame_equal(va.phase_summary(again), expected)
    pd.testing.assert_frame_equal(va.stalled(again), va.stalled(table))


@pytest.mark.parametrize("layout", ["shuffled", "by_case"])
def test_every_column_follows_its_row_through_the_sort(layout):
    """A log past the size where validation gathers columns on threads (250,000 rows): each
    kept event carries its own row's values in every column (text, categorical, integers,
    floats, booleans). Expected order worked in plain Python: case id, time, the event's place
    in the process, then source row; in "by_case" one row has no time and is set aside."""
    rng = np.random.default_rng(5)
    n = 250_000
    vocabulary = list(CARTE_VITALE.vocabulary)
    cases = [f"D{k:06d}" for k in rng.integers(0, 30_000, n)]
    seconds = rng.integers(0, 86_400 * 365, n)
    times = (pd.Timestamp("2025-01-01") + pd.to_timedelta(seconds, unit="s")).strftime("%Y-%m-%d %H:%M:%S")
    frame = pd.DataFrame({
        "case_id": cases, "event": rng.choice(vocabulary[:6], n), "timestamp": times,
        "office": pd.Categorical(rng.choice(["CPAM 44", "CPAM 69", "CPAM 75"], n)),
        "amount": rng.permutation(n).astype(np.int64), "score": rng.random(n),
        "flag": rng.random(n) < 0.5, "note": [f"n{k}" for k in range(n)],
    })
    if layout == "by_case":
        frame = frame.sort_values(["case_id", "timestamp"], kind="mergesort").reset_index(drop=True)
        frame["amount"] = np.arange(n)  # (still one value per row)
        frame.loc[n // 2, "timestamp"] = ""
    rank = {e: i for i, e in enumerate(vocabulary)}
    rows = frame.to_dict("records")
    keys = sorted((r["case_id"], r["timestamp"], rank[r["event"]], i + 1) for i, r in enumerate(rows)
                  if r["timestamp"] != "")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        log = validate(frame)
    events = log.events
    assert events["row"].tolist() == [k[3] for k in keys]
    for column in ("case_id", "event", "office", "amount", "score", "flag", "note"):
        want = [rows[k[3] - 1][column] for k in keys]
        assert events[column].tolist() == want, column
    assert events["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S").tolist() == [k[1] for k in keys]


def test_phase_state_lookup_gives_what_the_rules_give():
    """The lookup of a cell's phase state from its six facts, against the rules applied one by
    one as masked assignments (the way the case table used to apply them), on all 64 cells."""
    from vitale_analysis.cases import _CODE, _STATE_OF

    bits = ((np.arange(64)[:, None] >> np.arange(6)) & 1).astype(bool)
    s_ok, e_ok, early, current, is_open, is_closed = bits.T
    state = np.full(64, -1, dtype=np.int8)
    state[s_ok & e_ok & ~early] = _CODE["finished"]
    state[s_ok & e_ok & early] = _CODE["out_of_order"]
    state[~s_ok & e_ok] = _CODE["start_missing"]
    state[s_ok & ~e_ok & current & is_open] = _CODE["open"]
    state[s_ok & ~e_ok & current & is_closed] = _CODE["closed"]
    state[s_ok & ~e_ok & ~current] = _CODE["end_missing"]
    np.testing.assert_array_equal(_STATE_OF, state)
