"""throughput() and waiting_on() on small logs whose answers were worked out by hand.

Every event is at 09:00 unless said otherwise. ``as_of="2025-06-30"`` means the
end of that day, 2025-07-01 00:00, so an interval from 09:00 on day D to as_of
lasts ``(2025-07-01 - D)`` days minus 9 hours: ``whole_days - 0.375``.

Second methods: the open-by-phase columns of throughput are checked against
case_table() computed at each period end; waiting_on against a plain-Python
loop over each case's events.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vitale_analysis as va
from vitale_analysis import CARTE_VITALE, AsOf, case_table, read_caselog, validate
from vitale_analysis.flow import WAITING_COLUMNS, throughput, waiting_on, waiting_on_summary
from vitale_analysis.timeutil import french_holidays

PHASES = list(CARTE_VITALE.phase_keys)
OPEN = [f"open_{p}" for p in PHASES]
FLOW_COLUMNS = ["period_start", "started", "rights_opened", "completed", "closed", *OPEN, "wip"]
WAIT_COLUMNS = ["case_id", "status", "applicant_days", "office_days", "third_party_days", "unassigned_days",
                "total_days"]


def ev(case, event, day, trigger=None, office="CPAM 75", time="09:00"):
    return {"case_id": case, "event": event, "timestamp": f"{day} {time}", "trigger": trigger, "office": office}


def quiet_validate(frame, process=CARTE_VITALE):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        return validate(read_caselog(frame), process)


def frame_of(rows):
    return pd.DataFrame(rows, columns=["case_id", "event", "timestamp", "trigger", "office"])


# ============================================================================ throughput
# Weeks (Monday to Sunday) of January 2025: W0 = 6–12, W1 = 13–19, W2 = 20–26,
# W3 = 27 Jan–2 Feb, W4 = 3–9 Feb (no event: an empty period).
FLOW_ROWS = [
    # A: complete. Started W0, rights opened W2 (22nd), completed W3 (29th).
    ev("A", "registration_submitted", "2025-01-06"),
    ev("A", "registration_accepted", "2025-01-08"),
    ev("A", "nir_permanent", "2025-01-14"),
    ev("A", "dossier_submitted", "2025-01-15"),
    ev("A", "rights_opened", "2025-01-22"),
    ev("A", "card_received", "2025-01-23"),
    ev("A", "card_activated", "2025-01-28"),
    ev("A", "first_reimbursement", "2025-01-29"),
    # B: closed in W2 (21st) while in the ssn phase.
    ev("B", "registration_submitted", "2025-01-07", office="CPAM 13"),
    ev("B", "registration_accepted", "2025-01-09", office="CPAM 13"),
    ev("B", "case_closed", "2025-01-21", office="CPAM 13"),
    # C: open, started W1, in the dossier phase from the 21st.
    ev("C", "registration_submitted", "2025-01-13", office="CPAM 13"),
    ev("C", "registration_accepted", "2025-01-20", office="CPAM 13"),
    ev("C", "nir_permanent", "2025-01-21", office="CPAM 13"),
    # D: two milestones at the same time (a tie), started W3, then an NIA.
    ev("D", "registration_submitted", "2025-01-27"),
    ev("D", "registration_accepted", "2025-01-27"),
    ev("D", "nia_assigned", "2025-01-28"),
]
FLOW_AS_OF = "2025-02-09"


def expected_flow() -> pd.DataFrame:
    zeros = [0, 0, 0, 0, 0]
    table = {
        "period_start": pd.to_datetime(["2025-01-06", "2025-01-13", "2025-01-20", "2025-01-27", "2025-02-03"]),
        "started": [2, 1, 0, 1, 0],  # A, B | C | – | D | –
        "rights_opened": [0, 0, 1, 0, 0],  # A on the 22nd
        "completed": [0, 0, 0, 1, 0],  # A on the 29th
        "closed": [0, 0, 1, 0, 0],  # B on the 21st
        # End of W0 (13th 00:00): A and B accepted, no number yet → ssn.
        # End of W1: A submitted its dossier (15th) → rights; B ssn; C submitted → registration.
        # End of W2: A has its card (23rd) → activation; B closed; C has its number (21st) → dossier.
        # End of W3: A complete; C dossier; D accepted (27th) → ssn. W4: unchanged.
        "open_registration": [0, 1, 0, 0, 0],
        "open_ssn": [2, 1, 0, 1, 1],
        "open_dossier": [0, 0, 1, 1, 1],
        "open_rights": [0, 1, 0, 0, 0],
        "open_card": zeros,
        "open_activation": [0, 0, 1, 0, 0],
        "open_reimbursement": zeros,
    }
    table["wip"] = [2, 3, 2, 2, 2]
    out = pd.DataFrame(table)
    out["period_start"] = out["period_start"].astype("datetime64[ns]")
    return out.astype({c: "int64" for c in out.columns if c != "period_start"})


@pytest.fixture(scope="module")
def flow_log():
    return quiet_validate(frame_of(FLOW_ROWS))


def test_throughput_weekly_by_hand(flow_log):
    table = throughput(flow_log, freq="W", as_of=FLOW_AS_OF)
    assert list(table.columns) == FLOW_COLUMNS
    pd.testing.assert_frame_equal(table, expected_flow())
    # A bare date: up to the end of 9 February, so the next midnight, left out.
    assert table.attrs["as_of"] == AsOf(pd.Timestamp("2025-02-10 00:00"), inclusive=False)
    assert table.attrs["freq"] == "W"


def test_throughput_default_as_of_is_the_last_event(flow_log):
    # The last event is A's first_reimbursement on the 29th (W3): no W4.
    table = throughput(flow_log)
    pd.testing.assert_frame_equal(table, expected_flow().iloc[:4])
    assert table.attrs["as_of"] == AsOf(pd.Timestamp("2025-01-29 09:00"), inclusive=True)


def test_throughput_monthly_and_sums(flow_log):
    table = throughput(flow_log, freq="M", as_of=FLOW_AS_OF)
    assert table["period_start"].tolist() == [pd.Timestamp("2025-01-01"), pd.Timestamp("2025-02-01")]
    assert table["started"].tolist() == [4, 0]
    assert table["wip"].tolist() == [2, 2]  # C (dossier) and D (ssn) at the end of January and at as_of
    assert table[["open_ssn", "open_dossier"]].values.tolist() == [[1, 1], [1, 1]]
    assert table[["rights_opened", "completed", "closed"]].sum().tolist() == [1, 1, 1]


def test_throughput_by_office(flow_log):
    table = throughput(flow_log, freq="W", as_of=FLOW_AS_OF, by="office")
    assert list(table.columns) == ["office", *FLOW_COLUMNS]
    assert table["office"].astype(str).tolist() == ["CPAM 13"] * 5 + ["CPAM 75"] * 5
    cpam13 = table[table["office"] == "CPAM 13"].set_index("period_start")
    assert cpam13["started"].tolist() == [1, 1, 0, 0, 0]  # B, C
    assert cpam13["wip"].tolist() == [1, 2, 1, 1, 1]
    # The offices add up to the whole caseload.
    summed = table.groupby("period_start", observed=True)[FLOW_COLUMNS[1:]].sum().reset_index()
    pd.testing.assert_frame_equal(summed, expected_flow())


def test_throughput_by_start_month_has_empty_cohort_periods():
    rows = [ev("J", "registration_submitted", "2025-01-20"), ev("F", "registration_submitted", "2025-02-10")]
    table = throughput(quiet_validate(frame_of(rows)), freq="M", by="start_month")
    # The February cohort has a January row of zeros; the periods are complete for every cohort.
    assert table[["start_month", "started", "wip"]].values.tolist() == [
        ["2025-01", 1, 1], ["2025-01", 0, 1], ["2025-02", 0, 0], ["2025-02", 1, 1]]


def test_throughput_utc_periods_follow_paris_time():
    rows = [
        # 23:30 UTC on Sunday 12 January is 00:30 on Monday 13 January in Paris: week W1.
        {"case_id": "U", "event": "registration_submitted", "timestamp": "2025-01-06T10:00:00Z"},
        {"case_id": "V", "event": "registration_submitted", "timestamp": "2025-01-12T23:30:00Z"},
    ]
    log = quiet_validate(pd.DataFrame(rows))
    table = throughput(log, freq="W")
    assert table.attrs["as_of"] == AsOf(pd.Timestamp("2025-01-12 23:30", tz="UTC"), inclusive=True)
    assert table["period_start"].tolist() == [pd.Timestamp("2025-01-06"), pd.Timestamp("2025-01-13")]
    assert table["started"].tolist() == [1, 1]
    assert table["wip"].tolist() == [1, 2]
    from_case_tables = open_by_phase_from_case_tables(log, table, table.attrs["as_of"])
    pd.testing.assert_frame_equal(table[OPEN], from_case_tables)


def test_wip_is_started_minus_finished(flow_log):
    # With no reopened dossier and no event before a start milestone, the stock is the
    # running balance of the flows: cumulative started [2, 3, 3, 4, 4] minus completed
    # [0, 0, 0, 1, 1] minus closed [0, 0, 1, 1, 1] = [2, 3, 2, 2, 2].
    table = throughput(flow_log, freq="W", as_of=FLOW_AS_OF)
    balance = table["started"].cumsum() - table["completed"].cumsum() - table["closed"].cumsum()
    assert balance.tolist() == table["wip"].tolist() == [2, 3, 2, 2, 2]


def test_event_before_the_start_milestone_counts_in_wip_first():
    # Documented: a dossier is open from its first event, started at its start milestone.
    rows = [ev("E", "documents_collected", "2025-01-08"), ev("E", "registration_submitted", "2025-01-14")]
    table = throughput(quiet_validate(frame_of(rows)), freq="W")
    assert table[["started", "wip", "open_registration"]].values.tolist() == [[0, 1, 1], [1, 1, 1]]


def test_throughput_bad_freq(flow_log):
    with pytest.raises(va.CaseLogError, match="freq='fortnight'"):
        throughput(flow_log, freq="fortnight")


def test_throughput_rights_column_needs_a_rights_phase():
    permit = va.ProcessModel.from_dict({
        "name": "permit", "milestones": ["received", "checked", "decided"], "phases": ["intake", "decision"],
    })
    rows = [{"case_id": "P", "event": "received", "timestamp": "2024-05-01 10:00"},
            {"case_id": "P", "event": "checked", "timestamp": "2024-05-03 10:00"}]
    table = throughput(quiet_validate(pd.DataFrame(rows), permit), freq="D")
    assert list(table.columns) == ["period_start", "started", "completed", "closed", "open_intake",
                                   "open_decision", "wip"]
    assert table["open_decision"].tolist() == [0, 0, 1] and table["open_intake"].tolist() == [1, 1, 0]


def open_by_phase_from_case_tables(log, table, as_of) -> pd.DataFrame:
    """Second method: case_table at each period end, open dossiers counted per current phase."""
    rows = []
    starts = list(table["period_start"])
    for i, start in enumerate(starts):
        end = as_of if i == len(starts) - 1 else starts[i + 1] - pd.Timedelta(1, "ns")
        if log.events["timestamp"].dt.tz is not None and i < len(starts) - 1:
            end = (starts[i + 1].tz_localize("Europe/Paris") - pd.Timedelta(1, "ns")).tz_convert("UTC")
        cases = case_table(log, as_of=end)
        open_cases = cases[cases["status"] == "open"]
        counts = open_cases["current_phase"].value_counts()
        rows.append([int(counts.get(p, 0)) for p in PHASES])
    return pd.DataFrame(rows, columns=OPEN)


def test_throughput_agrees_with_case_tables(flow_log):
    table = throughput(flow_log, freq="W", as_of=FLOW_AS_OF)
    pd.testing.assert_frame_equal(table[OPEN], open_by_phase_from_case_tables(flow_log, table, FLOW_AS_OF))


def test_throughput_of_a_filtered_case_table(flow_log):
    cases = case_table(flow_log, as_of=FLOW_AS_OF)
    table = throughput(cases[cases["office"] == "CPAM 13"], freq="W")
    # B and C only (CPAM 13), worked out as in expected_flow(): B started W0, in ssn until its
    # closing on the 21st (W2); C started W1, in registration at the end of W1, then dossier.
    expected = expected_flow()
    zeros = [0, 0, 0, 0, 0]
    for column, values in {
        "started": [1, 1, 0, 0, 0], "rights_opened": zeros, "completed": zeros, "closed": [0, 0, 1, 0, 0],
        "open_registration": [0, 1, 0, 0, 0], "open_ssn": [1, 1, 0, 0, 0], "open_dossier": [0, 0, 1, 1, 1],
        "open_rights": zeros, "open_activation": zeros, "wip": [1, 2, 1, 1, 1],
    }.items():
        expected[column] = np.array(values, dtype="int64")
    pd.testing.assert_frame_equal(table, expected)
    assert table.attrs["as_of"] == cases.as_of == AsOf(pd.Timestamp("2025-02-10"), inclusive=False)
    # The same as the log of those dossiers' events, validated on its own.
    own = quiet_validate(frame_of([r for r in FLOW_ROWS if r["case_id"] in ("B", "C")]))
    pd.testing.assert_frame_equal(table, throughput(own, freq="W", as_of=FLOW_AS_OF))
    # The table's as_of is used; another one is refused.
    earlier = case_table(flow_log, as_of="2025-01-19")
    pd.testing.assert_frame_equal(throughput(earlier, freq="W"), throughput(flow_log, freq="W", as_of="2025-01-19"))
    with pytest.raises(va.CaseLogError, match="computed as of"):
        throughput(cases, as_of="2025-01-19")


# ============================================================================ waiting_on
WAIT_ROWS = [
    # Two complement loops, complete on 2025-03-20. By hand (09:00 to 09:00, whole days):
    #   third_party: 01-06 → 01-08 = 2
    #   office:      01-08 → 01-14 = 6, 01-20 → 01-27 = 7, 01-30 → 02-05 = 6, 02-10 → 02-24 = 14,
    #                02-25 → 03-10 = 13, 03-12 → 03-20 = 8                         → 54
    #   applicant:   01-14 → 01-16 = 2, 01-16 → 01-20 = 4, 01-27 → 01-30 = 3, 02-05 → 02-10 = 5,
    #                02-24 → 02-25 = 1, 03-10 → 03-12 = 2                          → 17
    #   2 + 54 + 17 = 73 = 25 days left in January + 28 + 20 (01-06 → 03-20).
    ev("LOOPS", "registration_submitted", "2025-01-06"),
    ev("LOOPS", "registration_accepted", "2025-01-08"),
    ev("LOOPS", "nir_permanent", "2025-01-14"),
    ev("LOOPS", "documents_collected", "2025-01-16"),
    ev("LOOPS", "dossier_submitted", "2025-01-20"),
    ev("LOOPS", "complement_requested", "2025-01-27", "missing_translation"),
    ev("LOOPS", "complement_sent", "2025-01-30"),
    ev("LOOPS", "complement_requested", "2025-02-05", "address_proof_expired"),
    ev("LOOPS", "complement_sent", "2025-02-10"),
    ev("LOOPS", "rights_opened", "2025-02-24"),
    ev("LOOPS", "card_requested", "2025-02-25"),
    ev("LOOPS", "card_received", "2025-03-10"),
    ev("LOOPS", "card_activated", "2025-03-12"),
    ev("LOOPS", "first_reimbursement", "2025-03-20"),
    ev("LOOPS", "followup_message", "2025-04-01"),  # after completion: not counted
    # Closed on 03-17. third_party 2 (02-03 → 02-05), office 12 (→ 02-17), applicant 28
    # (02-17 → 03-17; case_closed is not mapped, the applicant keeps the time until the end).
    # 42 = 02-03 → 03-17. The follow-up after the closing is not counted.
    ev("CLOSED", "registration_submitted", "2025-02-03"),
    ev("CLOSED", "registration_accepted", "2025-02-05"),
    ev("CLOSED", "nir_permanent", "2025-02-17"),
    ev("CLOSED", "documents_collected", "2025-02-20"),
    ev("CLOSED", "case_closed", "2025-03-17"),
    ev("CLOSED", "followup_message", "2025-03-20"),
    # Open at as_of (2025-07-01 00:00). third_party 2, applicant 6 (06-10 → 06-16),
    # office 6 (06-04 → 06-10) + 15 - 0.375 (06-16 09:00 → 07-01 00:00) = 20.625; total 29 - 0.375.
    ev("OPEN", "registration_submitted", "2025-06-02"),
    ev("OPEN", "registration_accepted", "2025-06-04"),
    ev("OPEN", "nir_permanent", "2025-06-10"),
    ev("OPEN", "dossier_submitted", "2025-06-16"),
    # Ties: registration submitted and accepted at once (0 days to the third party); dossier
    # and complement request at once (the complement, later in process order, decides).
    # office 05-12 → 05-19 = 7, applicant 05-19 → 05-26 = 7 and 05-26 → 06-02 = 7,
    # office 06-02 09:00 → 07-01 00:00 = 29 - 0.375. Total 49.625 = 05-12 09:00 → 07-01 00:00.
    ev("TIES", "registration_submitted", "2025-05-12"),
    ev("TIES", "registration_accepted", "2025-05-12"),
    ev("TIES", "nir_permanent", "2025-05-19"),
    ev("TIES", "complement_requested", "2025-05-26", "unreadable_scan"),
    ev("TIES", "dossier_submitted", "2025-05-26"),
    ev("TIES", "complement_sent", "2025-06-02"),
    # An unknown first event: 2 days unassigned before the registration (third party from 05-07 09:00
    # to 07-01 00:00 = 55 - 0.375).
    ev("UNASSIGNED", "phone_note", "2025-05-05"),
    ev("UNASSIGNED", "registration_submitted", "2025-05-07"),
]
WAIT_AS_OF = "2025-06-30"

# case: (status, applicant, office, third_party, unassigned)
WAIT_EXPECTED = {
    "CLOSED": ("closed", 28.0, 12.0, 2.0, 0.0),
    "LOOPS": ("complete", 17.0, 54.0, 2.0, 0.0),
    "OPEN": ("open", 6.0, 20.625, 2.0, 0.0),
    "TIES": ("open", 14.0, 7.0 + 29 - 0.375, 0.0, 0.0),
    "UNASSIGNED": ("open", 0.0, 0.0, 55 - 0.375, 2.0),
}


@pytest.fixture(scope="module")
def wait_log():
    return quiet_validate(frame_of(WAIT_ROWS))


def test_waiting_on_by_hand(wait_log):
    table = waiting_on(wait_log, as_of=WAIT_AS_OF)
    assert list(table.columns) == WAIT_COLUMNS
    assert table["case_id"].tolist() == sorted(WAIT_EXPECTED)
    for case, (status, applicant, office, third, unassigned) in WAIT_EXPECTED.items():
        row = table.set_index("case_id").loc[case]
        assert row["status"] == status, case
        assert row[["applicant_days", "office_days", "third_party_days", "unassigned_days"]].tolist() == \
            pytest.approx([applicant, office, third, unassigned]), case
        assert row["total_days"] == pytest.approx(applicant + office + third + unassigned)
    assert table.set_index("case_id").loc["LOOPS", "total_days"] == 73.0
    assert table.set_index("case_id").loc["CLOSED", "total_days"] == 42.0
    assert table.set_index("case_id").loc["OPEN", "total_days"] == pytest.approx(29 - 0.375)


def test_waiting_on_working_days(wait_log):
    table = waiting_on(wait_log, as_of=WAIT_AS_OF, days="working").set_index("case_id")
    # LOOPS in working days (no public holiday from January to March 2025):
    #   third_party: Mon 01-06 → Wed 01-08 = 2
    #   office: Wed 01-08 → Tue 01-14 = 4, 01-20 → 01-27 = 5, Thu 01-30 → Wed 02-05 = 4,
    #           02-10 → 02-24 = 10, Tue 02-25 → Mon 03-10 = 9, Wed 03-12 → Thu 03-20 = 6 → 38
    #   applicant: 2 + 2 (Thu 01-16 → Mon 01-20) + 3 + 3 (Wed 02-05 → Mon 02-10) + 1 + 2 → 13
    #   53 = ten weeks (01-06 → 03-17) + 17, 18, 19 March.
    assert table.loc["LOOPS", ["applicant_days", "office_days", "third_party_days"]].tolist() == [13, 38, 2]
    assert table.loc["LOOPS", "total_days"] == 53
    # OPEN: office 06-04 → 06-10 skips Whit Monday (9 June 2025): Wed, Thu, Fri = 3;
    # then Mon 06-16 → Tue 07-01: 11 working days. Applicant Tue 06-10 → Mon 06-16: 4.
    assert table.loc["OPEN", ["applicant_days", "office_days", "third_party_days"]].tolist() == [4, 14, 2]


def test_waiting_on_by_adds_cohort_columns(wait_log):
    table = waiting_on(wait_log, as_of=WAIT_AS_OF, by=["office", "start_month"])
    assert list(table.columns) == [*WAIT_COLUMNS[:2], "office", "start_month", *WAIT_COLUMNS[2:]]
    assert dict(zip(table["case_id"], table["start_month"])) == {
        "CLOSED": "2025-02", "LOOPS": "2025-01", "OPEN": "2025-06", "TIES": "2025-05", "UNASSIGNED": "2025-05"}


def test_waiting_on_summary_by_start_month(wait_log):
    summary = waiting_on_summary(wait_log, by="start_month", as_of=WAIT_AS_OF).set_index("start_month")
    may = summary.loc["2025-05"]  # TIES and UNASSIGNED
    assert may["n_cases"] == 2 and may["n_open"] == 2
    assert may["total_applicant_days"] == 14.0
    assert may["total_unassigned_days"] == 2.0
    assert may["median_third_party_days"] == pytest.approx((0 + 55 - 0.375) / 2)
    total = 49.625 + 56.625  # TIES + UNASSIGNED spans
    assert may["share_applicant"] == pytest.approx(14 / total)
    shares = summary[[f"share_{p}" for p in WAITING_COLUMNS]].sum(axis=1)
    assert np.allclose(shares, 1.0)
    whole = waiting_on_summary(wait_log, as_of=WAIT_AS_OF)
    assert len(whole) == 1 and whole["n_cases"].iloc[0] == 5 and whole["n_open"].iloc[0] == 3
    # Median applicant days over 28, 17, 6, 14, 0 is 14.
    assert whole["median_applicant_days"].iloc[0] == 14.0


def reference_waiting_on(log, as_of_ts, inclusive) -> dict[str, dict[str, float]]:
    """Second method: walk each case's events in order, in plain Python.

    Events up to ``as_of_ts`` count (at it too when ``inclusive``); an open case runs to it.
    """
    process = log.process
    last = process.milestones[-1]
    out = {}
    for case_id, group in log.events.groupby("case_id", sort=True, observed=True):
        events = [(str(e), t) for e, t in zip(group["event"], group["timestamp"])
                  if (t <= as_of_ts if inclusive else t < as_of_ts)]
        if not events:
            continue
        # Where the case ends: completion, else its standing closing, else as_of.
        end = next((t for e, t in events if e == last), None)
        if end is None:
            latest_milestone = max((t for e, t in events if e in process.milestones), default=None)
            closings = [t for e, t in events if e in process.close_events]
            if closings and (latest_milestone is None or max(closings) >= latest_milestone):
                end = max(closings)
        if end is None:
            end = as_of_ts
        totals = dict.fromkeys(WAITING_COLUMNS, 0.0)
        party = "unassigned"
        for i, (name, when) in enumerate(events):
            party = process.waiting_on.get(name, party)
            nxt = events[i + 1][1] if i + 1 < len(events) else end
            start, stop = min(when, end), min(nxt, end)
            totals[party] += (stop - start) / pd.Timedelta(days=1)
        totals["span"] = (end - events[0][1]) / pd.Timedelta(days=1)
        out[case_id] = totals
    return out


def check_against_reference(log, as_of=None):
    """waiting_on as of the latest event (``as_of`` None) or the end of a day (a bare date)."""
    table = waiting_on(log, as_of=as_of)
    if as_of is None:  # the latest event, included
        as_of_ts, inclusive = log.events["timestamp"].max(), True
    else:  # a bare date: up to the next midnight, left out
        as_of_ts, inclusive = pd.Timestamp(as_of) + pd.Timedelta(days=1), False
    assert table.attrs["as_of"] == AsOf(as_of_ts, inclusive)
    reference = reference_waiting_on(log, as_of_ts, inclusive)
    assert sorted(reference) == table["case_id"].tolist()
    for rec in table.itertuples(index=False):
        expected = reference[rec.case_id]
        for party in WAITING_COLUMNS:
            assert getattr(rec, f"{party}_days") == pytest.approx(expected[party], abs=1e-9), (rec.case_id, party)
        # The invariant: the parties add up to the span from the first event to the end.
        assert rec.total_days == pytest.approx(expected["span"], abs=1e-9)
    return table


def test_reference_agrees_on_the_hand_built_log(wait_log):
    check_against_reference(wait_log)
    check_against_reference(wait_log, as_of=WAIT_AS_OF)


def test_waiting_on_of_a_filtered_case_table(wait_log):
    whole = waiting_on(wait_log, as_of=WAIT_AS_OF)
    cases = case_table(wait_log, as_of=WAIT_AS_OF)
    mine = ["CLOSED", "OPEN", "TIES"]
    table = waiting_on(cases[cases["case_id"].isin(mine)])
    # Exactly the rows of the whole caseload for those dossiers (worked out in WAIT_EXPECTED).
    pd.testing.assert_frame_equal(table, whole[whole["case_id"].isin(mine)].reset_index(drop=True))
    assert table["case_id"].tolist() == mine
    assert table["applicant_days"].tolist() == [WAIT_EXPECTED[c][1] for c in mine]
    assert table.attrs["as_of"] == AsOf(pd.Timestamp("2025-07-01"), inclusive=False)
    # The table's own days: a working-day table gives working days.
    working = case_table(wait_log, as_of=WAIT_AS_OF, days="working")
    got = waiting_on(working[working["case_id"] == "OPEN"])
    assert got[["applicant_days", "office_days", "third_party_days"]].values.tolist() == [[4, 14, 2]]
    with pytest.raises(va.CaseLogError, match="working"):
        waiting_on(cases, days="working")
    # The summary of a filtered table is that of its dossiers: TIES and UNASSIGNED (May).
    may = cases[cases["case_id"].isin(["TIES", "UNASSIGNED"])]
    summary = waiting_on_summary(may)
    assert summary["n_cases"].tolist() == [2] and summary["total_applicant_days"].tolist() == [14.0]


def test_waiting_on_utc_aware():
    rows = [
        {"case_id": "Z", "event": "registration_submitted", "timestamp": "2025-03-28T10:00:00+01:00"},
        # Summer time starts on 2025-03-30: 10:00 local on the 29th to 10:00 local on the 31st is 47 h.
        {"case_id": "Z", "event": "registration_accepted", "timestamp": "2025-03-29T10:00:00+01:00"},
        {"case_id": "Z", "event": "nir_permanent", "timestamp": "2025-03-31T10:00:00+02:00"},
    ]
    table = waiting_on(quiet_validate(pd.DataFrame(rows))).set_index("case_id")
    assert table.loc["Z", "third_party_days"] == 1.0
    assert table.loc["Z", "office_days"] == pytest.approx(47 / 24)
    assert table.loc["Z", "applicant_days"] == 0.0  # the last event is as_of
    working = waiting_on(quiet_validate(pd.DataFrame(rows)), days="working").set_index("case_id")
    # Fri 28 → Sat 29: 1 working day; Sat 29 → Mon 31: none.
    assert working.loc["Z", ["third_party_days", "office_days"]].tolist() == [1.0, 0.0]


# ============================================================================ invariants
EVENTS = ["registration_submitted", "registration_accepted", "nia_assigned", "nir_permanent",
          "documents_collected", "dossier_submitted", "complement_requested", "complement_sent",
          "rights_opened", "card_received", "card_activated", "first_reimbursement", "case_closed",
          "phone_note"]


@st.composite
def random_frames(draw):
    rows = []
    for case in range(draw(st.integers(1, 5))):
        office = draw(st.sampled_from(["CPAM 13", "CPAM 75"]))
        for _ in range(draw(st.integers(1, 9))):
            rows.append({
                "case_id": f"R{case}",
                "event": draw(st.sampled_from(EVENTS)),
                # Few distinct times: ties are frequent; a few weeks so periods matter.
                "timestamp": f"2025-03-{draw(st.integers(1, 28)):02d} {draw(st.sampled_from(['09:00', '16:45']))}",
                "trigger": None,
                "office": office,
            })
    return frame_of(rows)


def reshuffled(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The same rows in another order, some written twice (validate removes exact copies)."""
    rng = np.random.default_rng(seed)
    extra = frame.iloc[rng.integers(0, len(frame), size=rng.integers(0, len(frame) + 1))]
    return pd.concat([frame, extra]).sample(frac=1, random_state=seed).reset_index(drop=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=random_frames(), seed=st.integers(0, 2**16))
def test_random_logs_waiting_on(frame, seed):
    log = quiet_validate(frame)
    table = check_against_reference(log)
    other = quiet_validate(reshuffled(frame, seed))
    pd.testing.assert_frame_equal(waiting_on(other), table)
    # Working days: the intervals meet end to start, so they add up exactly to the
    # working days of the whole span (first event to end).
    working = waiting_on(log, days="working")
    first = log.events.groupby("case_id", observed=True)["timestamp"].min()
    table = case_table(log)
    latest = log.events["timestamp"].max()
    assert table.as_of == AsOf(latest, inclusive=True)
    cases = table.to_frame().set_index("case_id")
    end = cases["completed_at"].fillna(cases["closed_at"]).fillna(latest)
    span = np.busday_count(first.to_numpy().astype("datetime64[D]"),
                           end[first.index].to_numpy().astype("datetime64[D]"), weekmask="1111100",
                           holidays=french_holidays(2025, 2025))
    assert working["total_days"].tolist() == span.astype(float).tolist()
    summed = working[[f"{p}_days" for p in WAITING_COLUMNS]].sum(axis=1)
    assert (summed == working["total_days"]).all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=random_frames(), seed=st.integers(0, 2**16), freq=st.sampled_from(["W", "D"]))
def test_random_logs_throughput(frame, seed, freq):
    log = quiet_validate(frame)
    table = throughput(log, freq=freq)
    as_of = table.attrs["as_of"]
    pd.testing.assert_frame_equal(table[OPEN], open_by_phase_from_case_tables(log, table, as_of))
    assert (table["wip"] == table[OPEN].sum(axis=1)).all()
    cases = case_table(log)
    assert table["started"].sum() == len(cases)
    assert table["completed"].sum() == (cases["status"] == "complete").sum()
    assert table["closed"].sum() == (cases["status"] == "closed").sum()
    assert table["rights_opened"].sum() == cases["rights_opened_at"].notna().sum()
    assert table["period_start"].is_monotonic_increasing and table["period_start"].is_unique
    other = quiet_validate(reshuffled(frame, seed))
    pd.testing.assert_frame_equal(throughput(other, freq=freq), table)
    by_office = throughput(log, freq=freq, by="office")
    summed = by_office.groupby("period_start", observed=True)[FLOW_COLUMNS[1:]].sum().reset_index()
    pd.testing.assert_frame_equal(summed, table)


# ============================================================================ the bundled sample (tests/conftest.py)
def test_sample_throughput(sample_log):
    cases = case_table(sample_log)
    weekly = throughput(sample_log, freq="W")
    assert weekly["started"].sum() == len(cases) == 3000
    assert weekly["completed"].sum() == (cases["status"] == "complete").sum()
    assert weekly["closed"].sum() == (cases["status"] == "closed").sum()
    assert weekly["rights_opened"].sum() == cases["rights_opened_at"].notna().sum()
    # Weeks run without a gap from the first event's week (Monday 2024-01-01) to as_of's.
    assert weekly["period_start"].iloc[0] == pd.Timestamp("2024-01-01")
    assert (weekly["period_start"].diff().dropna() == pd.Timedelta(days=7)).all()
    assert weekly["period_start"].iloc[-1] == pd.Timestamp("2025-06-30")
    # At as_of the last row is the case table's open dossiers per phase.
    last = weekly.iloc[-1]
    counts = cases[cases["status"] == "open"]["current_phase"].value_counts()
    assert [last[f"open_{p}"] for p in PHASES] == [counts.get(p, 0) for p in PHASES]
    # The sample has no reopened dossier and no event before a start milestone, so the
    # weekly stock is the running balance of the flows.
    balance = weekly["started"].cumsum() - weekly["completed"].cumsum() - weekly["closed"].cumsum()
    assert balance.tolist() == weekly["wip"].tolist()
    monthly = throughput(sample_log, freq="M")
    from_case_tables = open_by_phase_from_case_tables(sample_log, monthly, monthly.attrs["as_of"])
    pd.testing.assert_frame_equal(monthly[OPEN], from_case_tables)
    for column in ["started", "rights_opened", "completed", "closed"]:
        assert monthly[column].sum() == weekly[column].sum()
    by_channel = throughput(sample_log, freq="M", by="channel")
    summed = by_channel.groupby("period_start", observed=True)[FLOW_COLUMNS[1:]].sum().reset_index()
    pd.testing.assert_frame_equal(summed, monthly)


def test_sample_waiting_on(sample_log):
    table = check_against_reference(sample_log)
    assert len(table) == 3000
    assert (table[[f"{p}_days" for p in WAITING_COLUMNS]] >= 0).all().all()
    # The Carte Vitale process maps its first event: nothing is unassigned in the sample.
    assert (table["unassigned_days"] == 0).all()
    summary = waiting_on_summary(sample_log, by="channel")
    assert summary["n_cases"].sum() == 3000
    assert summary["total_office_days"].sum() == pytest.approx(table["office_days"].sum())
