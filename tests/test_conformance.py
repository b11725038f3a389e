"""conformance(): out-of-order steps, on a small log whose answers were worked out by hand.

Every event is at 09:00 unless said otherwise, so ``days_apart`` is a whole number
of calendar days. A second, plain-Python implementation (a loop over each case's
events) checks the vectorised one on random logs and on the bundled sample.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vitale_analysis as va
from vitale_analysis import CARTE_VITALE, AsOf, read_caselog, validate
from vitale_analysis.conformance import CONFORMANCE_COLUMNS, CONFORMANCE_KINDS, conformance


def ev(case, event, day, trigger=None, office="CPAM 75", route="self_employed", time="09:00"):
    return {"case_id": case, "event": event, "timestamp": f"{day} {time}", "trigger": trigger,
            "office": office, "route": route}


def quiet_validate(frame, process=CARTE_VITALE):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        return validate(read_caselog(frame), process)


C_OK = [
    ev("C_OK", "registration_submitted", "2025-01-06"),
    ev("C_OK", "registration_accepted", "2025-01-09"),
    ev("C_OK", "nia_assigned", "2025-01-10"),
    ev("C_OK", "nir_permanent", "2025-01-20"),
    ev("C_OK", "dossier_submitted", "2025-02-03"),
    ev("C_OK", "rights_opened", "2025-03-03"),
]

ROWS = [
    *C_OK,
    # Dossier sent on an NIA, before the permanent number.
    ev("C_VIOL", "registration_submitted", "2025-01-06", office="CPAM 13"),
    ev("C_VIOL", "registration_accepted", "2025-01-08", office="CPAM 13"),
    ev("C_VIOL", "nia_assigned", "2025-01-10", office="CPAM 13"),
    ev("C_VIOL", "dossier_submitted", "2025-01-20", "nia_not_permanent", office="CPAM 13"),
    ev("C_VIOL", "complement_requested", "2025-02-03", "nia_not_permanent", office="CPAM 13"),
    ev("C_VIOL", "nir_permanent", "2025-03-10", office="CPAM 13"),
    ev("C_VIOL", "rights_opened", "2025-04-14", office="CPAM 13"),
    # Sent on an NIA and still no permanent number (open dossier).
    ev("C_NIA_OPEN", "registration_submitted", "2025-01-27"),
    ev("C_NIA_OPEN", "registration_accepted", "2025-01-29"),
    ev("C_NIA_OPEN", "nia_assigned", "2025-02-03"),
    ev("C_NIA_OPEN", "dossier_submitted", "2025-02-17"),
    # No accepted registration at all.
    ev("C_NOREG", "registration_submitted", "2025-03-03"),
    ev("C_NOREG", "nir_permanent", "2025-03-05"),
    ev("C_NOREG", "dossier_submitted", "2025-03-10"),
    # Registration accepted only after the number and the dossier.
    ev("C_LATEREG", "registration_submitted", "2025-04-01"),
    ev("C_LATEREG", "nir_permanent", "2025-04-02"),
    ev("C_LATEREG", "dossier_submitted", "2025-04-07"),
    ev("C_LATEREG", "registration_accepted", "2025-04-10"),
    # Salaried: by route and trigger, by route only, by trigger only.
    ev("C_SAL", "registration_submitted", "2025-03-03", route="salaried"),
    ev("C_SAL", "case_closed", "2025-03-10", "salaried_route", route="salaried"),
    ev("C_SAL_ROUTE", "registration_submitted", "2025-05-05", route="salaried"),
    ev("C_SAL_TRIG", "registration_submitted", "2025-05-12"),
    ev("C_SAL_TRIG", "complement_requested", "2025-05-20", "salaried_route"),
    # Ties. NIA assigned at the very moment of submission: it was held.
    ev("C_TIE_NIA", "registration_submitted", "2025-06-02"),
    ev("C_TIE_NIA", "registration_accepted", "2025-06-04"),
    ev("C_TIE_NIA", "nia_assigned", "2025-06-10"),
    ev("C_TIE_NIA", "dossier_submitted", "2025-06-10"),
    # Permanent number and dossier at the same time, registration and dossier too: in order.
    ev("C_TIE_OK", "registration_submitted", "2025-06-02"),
    ev("C_TIE_OK", "nia_assigned", "2025-06-03"),
    ev("C_TIE_OK", "registration_accepted", "2025-06-16"),
    ev("C_TIE_OK", "nir_permanent", "2025-06-16"),
    ev("C_TIE_OK", "dossier_submitted", "2025-06-16"),
]

T = pd.Timestamp


def at(day):
    return T(f"{day} 09:00")


# (case_id, kind, first_event, first_at, second_event, second_at, days_apart, office)
EXPECTED = [
    ("C_LATEREG", "dossier_before_registration", "dossier_submitted", at("2025-04-07"),
     "registration_accepted", at("2025-04-10"), 3.0, "CPAM 75"),
    # nir_permanent (index 2) on 04-02 precedes registration_accepted (index 1) on 04-10: 8 days.
    ("C_LATEREG", "milestone_order", "nir_permanent", at("2025-04-02"), "registration_accepted",
     at("2025-04-10"), 8.0, "CPAM 75"),
    # dossier_submitted on 04-07: the latest earlier milestone is registration_accepted (04-10): 3 days.
    ("C_LATEREG", "milestone_order", "dossier_submitted", at("2025-04-07"), "registration_accepted",
     at("2025-04-10"), 3.0, "CPAM 75"),
    # No permanent number yet: 2025-02-03 → 2025-02-17 = 14 days.
    ("C_NIA_OPEN", "submitted_on_nia", "nia_assigned", at("2025-02-03"), "dossier_submitted",
     at("2025-02-17"), 14.0, "CPAM 75"),
    ("C_NOREG", "dossier_before_registration", "dossier_submitted", at("2025-03-10"),
     "registration_accepted", pd.NaT, math.nan, "CPAM 75"),
    ("C_SAL", "salaried_route", "case_closed", at("2025-03-10"), None, pd.NaT, math.nan, "CPAM 75"),
    ("C_SAL_ROUTE", "salaried_route", "registration_submitted", at("2025-05-05"), None, pd.NaT, math.nan,
     "CPAM 75"),
    ("C_SAL_TRIG", "salaried_route", "complement_requested", at("2025-05-20"), None, pd.NaT, math.nan,
     "CPAM 75"),
    ("C_TIE_NIA", "submitted_on_nia", "nia_assigned", at("2025-06-10"), "dossier_submitted",
     at("2025-06-10"), 0.0, "CPAM 75"),
    # 2025-01-20 → 2025-03-10: 11 days left in January + 28 in February + 10 = 49 days.
    ("C_VIOL", "milestone_order", "dossier_submitted", at("2025-01-20"), "nir_permanent",
     at("2025-03-10"), 49.0, "CPAM 13"),
    # 2025-01-10 → 2025-01-20 = 10 days.
    ("C_VIOL", "submitted_on_nia", "nia_assigned", at("2025-01-10"), "dossier_submitted",
     at("2025-01-20"), 10.0, "CPAM 13"),
]
COLUMNS = ["case_id", "kind", "first_event", "first_at", "second_event", "second_at", "days_apart", "office"]


def raw_frame(rows=ROWS) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["case_id", "event", "timestamp", "trigger", "office", "route"])


@pytest.fixture(scope="module")
def log():
    return quiet_validate(raw_frame())


@pytest.fixture(scope="module")
def problems(log):
    return conformance(log)


def plain(table: pd.DataFrame) -> list[tuple]:
    """Rows as plain tuples, with every missing value as None, to compare with EXPECTED."""
    out = []
    for rec in table[COLUMNS].itertuples(index=False):
        out.append(tuple(None if (not isinstance(v, str) and pd.isna(v)) else v for v in rec))
    return out


def expected_plain(rows=EXPECTED) -> list[tuple]:
    return [tuple(None if (not isinstance(v, str) and pd.isna(v)) else v for v in r) for r in rows]


# ---------------------------------------------------------------- hand-worked table
def test_every_row_as_worked_out_by_hand(problems):
    assert list(problems.columns) == [*CONFORMANCE_COLUMNS, "office"]
    assert plain(problems) == expected_plain()
    assert "C_OK" not in set(problems["case_id"]) and "C_TIE_OK" not in set(problems["case_id"])


def test_sorted_by_case_then_kind(problems):
    keys = list(zip(problems["case_id"], problems["kind"].cat.codes))
    assert keys == sorted(keys)
    assert list(problems["kind"].cat.categories) == sorted(CONFORMANCE_KINDS)


def test_detail_is_a_plain_sentence(problems):
    by_key = problems.set_index(["case_id", "kind"])["detail"]

    class One:  # the single detail of a (case, kind) pair
        def __getitem__(self, key):
            found = by_key.loc[[key]]
            assert len(found) == 1, key
            return found.iloc[0]

    detail = One()
    assert detail[("C_VIOL", "milestone_order")] == (
        "dossier_submitted (2025-01-20) came before nir_permanent (2025-03-10); "
        "the process expects nir_permanent first."
    )
    assert detail[("C_VIOL", "submitted_on_nia")] == (
        "dossier_submitted (2025-01-20) while only a provisional number was held "
        "(nia_assigned 2025-01-10); nir_permanent came later (2025-03-10)."
    )
    assert detail[("C_NIA_OPEN", "submitted_on_nia")].endswith("; no nir_permanent recorded yet.")
    assert detail[("C_NOREG", "dossier_before_registration")] == (
        "dossier_submitted (2025-03-10) with no registration_accepted recorded."
    )
    assert detail[("C_LATEREG", "dossier_before_registration")] == (
        "dossier_submitted (2025-04-07) came before registration_accepted (2025-04-10)."
    )
    assert "route is 'salaried' and trigger salaried_route raised on case_closed (2025-03-10)" in detail[
        ("C_SAL", "salaried_route")]
    assert "route is 'salaried' (first event registration_submitted, 2025-05-05)" in detail[
        ("C_SAL_ROUTE", "salaried_route")]
    assert "trigger salaried_route raised on complement_requested (2025-05-20)" in detail[
        ("C_SAL_TRIG", "salaried_route")]
    assert not by_key.str.contains("nan|NaT|<NA>").any()


def test_days_apart_never_negative(problems):
    apart = problems["days_apart"].dropna()
    assert (apart >= 0).all()
    # Empty exactly where the second event is missing or does not apply.
    assert problems["days_apart"].isna().tolist() == problems["second_at"].isna().tolist()


def test_milestone_order_rows_are_the_quality_reports_order_violations(log, problems):
    failures = log.quality.failures
    flagged = failures[failures["check"] == "order_violation"]
    rows = problems[problems["kind"] == "milestone_order"]
    assert sorted(zip(rows["case_id"], rows["first_event"] + " before " + rows["second_event"])) == sorted(
        zip(flagged["case_id"], flagged["value"])
    )


def test_working_days(log):
    table = conformance(log, days="working").set_index(["case_id", "kind", "first_event"])
    # Mon 2025-01-20 → Mon 2025-03-10: 7 whole weeks, no public holiday = 35 working days.
    assert table.loc[("C_VIOL", "milestone_order", "dossier_submitted"), "days_apart"] == 35.0
    # Wed 2025-04-02 → Thu 2025-04-10: 2, 3, 4, 7, 8, 9 April = 6 working days.
    assert table.loc[("C_LATEREG", "milestone_order", "nir_permanent"), "days_apart"] == 6.0
    # Fri 2025-01-10 → Mon 2025-01-20: 10, 13, 14, 15, 16, 17 January = 6.
    assert table.loc[("C_VIOL", "submitted_on_nia", "nia_assigned"), "days_apart"] == 6.0
    assert table.loc[("C_TIE_NIA", "submitted_on_nia", "nia_assigned"), "days_apart"] == 0.0


def test_as_of_shows_what_could_be_seen_then(log):
    then = conformance(log, as_of="2025-02-28")
    viol = then[then["case_id"] == "C_VIOL"]
    # On 28 February the permanent number (10 March) was not there yet: no order
    # violation could be seen, only a dossier sent on an NIA with no permanent number.
    assert viol["kind"].tolist() == ["submitted_on_nia"]
    assert viol["detail"].iloc[0].endswith("; no nir_permanent recorded yet.")
    assert set(then["case_id"]) == {"C_VIOL", "C_NIA_OPEN"}
    # A bare date: up to the end of 28 February, so the next midnight, left out.
    assert then.attrs["as_of"] == AsOf(T("2025-03-01 00:00"), inclusive=False)
    # The default: the latest event (C_TIE_OK's and C_TIE_NIA's on 2025-06-16 09:00), included.
    assert conformance(log).attrs["as_of"] == AsOf(at("2025-06-16"), inclusive=True)


def test_a_filtered_case_table_gives_its_dossiers_rows(log, problems):
    cases = va.case_table(log)
    mine = ["C_LATEREG", "C_OK", "C_SAL", "C_VIOL"]
    table = conformance(cases[cases["case_id"].isin(mine)])
    # Exactly the rows of the whole log for those dossiers (C_OK has none).
    pd.testing.assert_frame_equal(table, problems[problems["case_id"].isin(mine)].reset_index(drop=True))
    assert plain(table) == expected_plain([r for r in EXPECTED if r[0] in mine])
    cpam13 = conformance(cases[cases["office"] == "CPAM 13"])
    assert plain(cpam13) == expected_plain([r for r in EXPECTED if r[0] == "C_VIOL"])
    # The table's as_of and days are used: on 28 February, in working days.
    then = va.case_table(log, as_of="2025-02-28", days="working")
    viol = conformance(then[then["case_id"] == "C_VIOL"])
    # Fri 2025-01-10 → Mon 2025-01-20: 6 working days (see test_working_days).
    assert viol[["kind", "days_apart"]].values.tolist() == [["submitted_on_nia", 6.0]]
    assert viol.attrs["as_of"] == AsOf(T("2025-03-01"), inclusive=False) and viol.attrs["days"] == "working"
    with pytest.raises(va.CaseLogError, match="computed as of"):
        conformance(then, as_of="2025-06-30")
    with pytest.raises(va.CaseLogError, match="plain DataFrame"):
        conformance(cases.to_frame())


def test_no_violation_gives_an_empty_table_with_the_columns():
    log = quiet_validate(raw_frame(C_OK))
    table = conformance(log)
    assert table.empty
    assert list(table.columns) == [*CONFORMANCE_COLUMNS, "office"]
    reference = conformance(quiet_validate(raw_frame()))
    # Same types as a table with rows (the office categories differ: another log).
    assert [str(d) for d in table.dtypes] == [str(d) for d in reference.dtypes]
    assert list(table["kind"].cat.categories) == list(reference["kind"].cat.categories)


def test_by_adds_cohort_columns(log, problems):
    table = conformance(log, by=["start_month", "route"])
    assert list(table.columns) == [*CONFORMANCE_COLUMNS, "office", "start_month", "route"]
    months = dict(zip(table["case_id"], table["start_month"]))
    assert months["C_VIOL"] == "2025-01" and months["C_LATEREG"] == "2025-04"
    assert table.loc[table["case_id"] == "C_SAL_ROUTE", "route"].tolist() == ["salaried"]
    pd.testing.assert_frame_equal(table[problems.columns], problems)
    with pytest.raises(va.CaseLogError, match="offic"):
        conformance(log, by="ofice")


def test_utc_aware_log_counts_exact_hours():
    rows = [
        {"case_id": "Z", "event": "registration_submitted", "timestamp": "2025-03-20T10:00:00+01:00"},
        {"case_id": "Z", "event": "registration_accepted", "timestamp": "2025-03-21T10:00:00+01:00"},
        # Summer time starts on 2025-03-30: the 10:00 → 10:00 local two days later is 47 hours.
        {"case_id": "Z", "event": "dossier_submitted", "timestamp": "2025-03-29T10:00:00+01:00"},
        {"case_id": "Z", "event": "nir_permanent", "timestamp": "2025-03-31T10:00:00+02:00"},
    ]
    log = quiet_validate(pd.DataFrame(rows))
    table = conformance(log)
    assert table["kind"].tolist() == ["milestone_order"]
    assert str(table["first_at"].dtype) == "datetime64[ns, UTC]"
    assert table["first_at"].iloc[0] == T("2025-03-29 09:00", tz="UTC")
    assert table["days_apart"].iloc[0] == pytest.approx(47 / 24)
    assert "office" not in table.columns


def test_process_without_number_events_or_rights_phase_skips_those_checks():
    permit = va.ProcessModel.from_dict({
        "name": "permit", "milestones": ["received", "checked", "decided"], "phases": ["intake", "decision"],
    })
    rows = [
        {"case_id": "P1", "event": "received", "timestamp": "2024-05-01 10:00"},
        {"case_id": "P1", "event": "decided", "timestamp": "2024-05-03 10:00"},
        {"case_id": "P1", "event": "checked", "timestamp": "2024-05-10 16:00"},
    ]
    table = conformance(quiet_validate(pd.DataFrame(rows), permit))
    # Decided on 05-03 10:00, checked on 05-10 16:00: 7 days and 6 hours apart.
    assert table[["case_id", "kind", "first_event", "second_event"]].values.tolist() == [
        ["P1", "milestone_order", "decided", "checked"]]
    assert table["days_apart"].iloc[0] == 7.25


# ---------------------------------------------------------------- a second, plain-Python implementation
def reference_conformance(log) -> list[tuple]:
    """Loop over each case's events (already sorted by time), following the definitions in words."""
    process = log.process
    milestones = process.milestones
    out = []
    events = log.events
    for case_id, group in events.groupby("case_id", sort=True, observed=True):
        first: dict[str, pd.Timestamp] = {}
        for name, when in zip(group["event"].astype(str), group["timestamp"]):
            first.setdefault(name, when)
        for j in range(1, len(milestones)):
            if milestones[j] not in first:
                continue
            earlier = [(first[milestones[i]], i) for i in range(j) if milestones[i] in first]
            if not earlier:
                continue
            latest = max(t for t, _ in earlier)
            if first[milestones[j]] < latest:
                overtaken = min(i for t, i in earlier if t == latest)
                out.append((case_id, "milestone_order", milestones[j], first[milestones[j]],
                            milestones[overtaken], latest))
        sub = first.get("dossier_submitted")
        nia, perm = first.get("nia_assigned"), first.get("nir_permanent")
        if sub is not None and nia is not None and nia <= sub and (perm is None or perm > sub):
            out.append((case_id, "submitted_on_nia", "nia_assigned", nia, "dossier_submitted", sub))
        reg = first.get("registration_accepted")
        if sub is not None and (reg is None or sub < reg):
            out.append((case_id, "dossier_before_registration", "dossier_submitted", sub,
                        "registration_accepted", reg))
        routes = group["route"].dropna().astype(str) if "route" in group else pd.Series([], dtype=str)
        salaried = len(routes) > 0 and routes.iloc[0].strip().casefold() == "salaried"
        trig = group[group["trigger"].astype(object) == "salaried_route"]
        if len(trig):
            out.append((case_id, "salaried_route", str(trig["event"].iloc[0]), trig["timestamp"].iloc[0], None, None))
        elif salaried:
            out.append((case_id, "salaried_route", str(group["event"].iloc[0]), group["timestamp"].iloc[0],
                        None, None))
    return sorted(out, key=_key)


def _key(row):
    return tuple("" if v is None else str(v) for v in row)


def as_reference(table: pd.DataFrame) -> list[tuple]:
    rows = []
    for rec in table[["case_id", "kind", "first_event", "first_at", "second_event", "second_at"]].itertuples(
            index=False):
        rows.append(tuple(None if (not isinstance(v, str) and pd.isna(v)) else v for v in rec))
    return sorted(rows, key=_key)


def test_reference_agrees_on_the_hand_built_log(log, problems):
    assert as_reference(problems) == reference_conformance(log)


EVENTS = ["registration_submitted", "registration_accepted", "nia_assigned", "nir_permanent",
          "dossier_submitted", "complement_requested", "rights_opened", "case_closed", "card_received"]


@st.composite
def random_rows(draw):
    rows = []
    for case in range(draw(st.integers(1, 4))):
        route = draw(st.sampled_from(["self_employed", "salaried", None]))
        for _ in range(draw(st.integers(1, 8))):
            rows.append({
                "case_id": f"R{case}",
                "event": draw(st.sampled_from(EVENTS)),
                # Few distinct days and hours: ties are frequent.
                "timestamp": f"2025-02-{draw(st.integers(1, 6)):02d} {draw(st.sampled_from(['09:00', '14:30']))}",
                "trigger": draw(st.sampled_from([None, None, "salaried_route"])),
                "route": route,
            })
    return rows


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=random_rows(), seed=st.integers(0, 2**16))
def test_random_logs_agree_with_the_reference_and_ignore_row_order(rows, seed):
    frame = pd.DataFrame(rows, columns=["case_id", "event", "timestamp", "trigger", "route"])
    log = quiet_validate(frame)
    table = conformance(log)
    assert as_reference(table) == reference_conformance(log)
    assert (table["days_apart"].dropna() >= 0).all()
    # Shuffled rows, with some rows written twice: validate sorts and removes the copies.
    rng = np.random.default_rng(seed)
    extra = frame.iloc[rng.integers(0, len(frame), size=rng.integers(0, len(frame) + 1))]
    shuffled = pd.concat([frame, extra]).sample(frac=1, random_state=seed).reset_index(drop=True)
    pd.testing.assert_frame_equal(conformance(quiet_validate(shuffled)), table)


# ---------------------------------------------------------------- the bundled sample (tests/conftest.py)
def test_sample_matches_the_quality_report_and_the_reference(sample_log):
    table = conformance(sample_log)
    flagged = sample_log.quality.failures
    flagged = flagged[flagged["check"] == "order_violation"]
    rows = table[table["kind"] == "milestone_order"]
    assert len(rows) == len(flagged) > 0
    assert sorted(zip(rows["case_id"], rows["first_event"] + " before " + rows["second_event"])) == sorted(
        zip(flagged["case_id"], flagged["value"]))
    assert as_reference(table) == reference_conformance(sample_log)
    cases = va.case_table(sample_log).to_frame()
    # Every salaried dossier of the case table is listed, and no other.
    salaried = cases.loc[(cases["route"] == "salaried") | cases["trigger_salaried_route"], "case_id"]
    assert sorted(table.loc[table["kind"] == "salaried_route", "case_id"]) == sorted(salaried)
    # Order violations per case agree with the case table's count.
    per_case = rows.groupby("case_id").size()
    counted = cases.set_index("case_id")["order_violations"]
    assert per_case.to_dict() == counted[counted > 0].to_dict()
    assert (table["days_apart"].dropna() >= 0).all()


def test_carte_vitale_checks_are_turned_on_by_the_model_never_by_a_phase_name():
    """A model with a phase called "rights", number events and a salaried route, but no `checks`: only
    milestone_order (and no rights_opened column); the same model naming its submission phase and the
    checks: all of them, as for the Carte Vitale."""
    base = {"name": "grant", "milestones": ["applied", "accepted", "filed", "granted"],
            "phases": ["intake", "preparation", "rights"], "events": ["temporary_number", "final_number"],
            "provisional_number_event": "temporary_number", "permanent_number_event": "final_number"}
    flagged = {**base, "submission_phase": "rights",
               "checks": ["submitted_on_nia", "dossier_before_registration", "salaried_route"]}
    rows = [  # G1: filed on a temporary number, before "accepted"; salaried route
        {"case_id": "G1", "event": "applied", "timestamp": "2025-01-06 09:00", "route": "salaried"},
        {"case_id": "G1", "event": "temporary_number", "timestamp": "2025-01-07 09:00", "route": "salaried"},
        {"case_id": "G1", "event": "filed", "timestamp": "2025-01-08 09:00", "route": "salaried"},
        {"case_id": "G1", "event": "accepted", "timestamp": "2025-01-09 09:00", "route": "salaried"},
    ]
    plain = conformance(quiet_validate(pd.DataFrame(rows), va.ProcessModel.from_dict(base)))
    assert set(plain["kind"]) == {"milestone_order"}
    assert "rights_opened" not in va.throughput(quiet_validate(pd.DataFrame(rows), va.ProcessModel.from_dict(base)))
    on = conformance(quiet_validate(pd.DataFrame(rows), va.ProcessModel.from_dict(flagged)))
    assert set(on["kind"]) == {"milestone_order", "submitted_on_nia", "dossier_before_registration",
                               "salaried_route"}
    assert "rights_opened" in va.throughput(quiet_validate(pd.DataFrame(rows), va.ProcessModel.from_dict(flagged)))
    assert va.CARTE_VITALE.submission_phase == "rights" and len(va.CARTE_VITALE.checks) == 3

    with pytest.raises(va.CaseLogError, match=r"unknown check\(s\) \['sent_on_nia'\]"):
        va.ProcessModel.from_dict({**flagged, "checks": ["sent_on_nia"]})
    with pytest.raises(va.CaseLogError, match="submission_phase must name one of the phases"):
        va.ProcessModel.from_dict({**flagged, "submission_phase": "decision"})
    with pytest.raises(va.CaseLogError, match=r"need `submission_phase`"):
        va.ProcessModel.from_dict({**base, "checks": ["dossier_before_registration"]})
