"""Regressions: wrong numbers or crashes found at caseload sizes the other tests did not use.

Each test failed on commit a33976c. The expected values come from a second method
(the case table computed directly, the events grouped with pandas, a log validated
with the other process model), never from the function under test.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

import vitale_analysis as va
from vitale_analysis import CARTE_VITALE


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        return fn(*args, **kwargs)


def simulated(n, seed):
    return quiet(va.validate, va.simulate(n, seed=seed, as_of="2025-06-30"))


FIVE = va.ProcessModel.from_dict({
    "name": "five", "milestones": ["m0", "m1", "m2", "m3", "m4"], "phases": ["a", "b", "c", "d"],
    "close_events": ["closed"],
})


def five_milestone_log(n_cases: int) -> va.CaseLog:
    """Dossiers that stop after m0 or m1 (so never in phases ``c`` or ``d``), some closed."""
    rows = []
    for i in range(n_cases):
        reached = 1 + i % 2
        for j in range(reached):
            rows.append({"case_id": f"C{i:05d}", "event": f"m{j}", "timestamp": pd.Timestamp("2025-01-01")
                         + pd.Timedelta(days=i % 17 + 3 * j, hours=9)})
        if i % 7 == 0:
            rows.append({"case_id": f"C{i:05d}", "event": "closed",
                         "timestamp": pd.Timestamp("2025-03-01") + pd.Timedelta(days=i % 5)})
    return quiet(va.validate, pd.DataFrame(rows), FIVE)


def open_by_phase(cases: pd.DataFrame, phases) -> dict[str, int]:
    open_cases = cases[cases["status"] == "open"]
    return {p: int((open_cases["current_phase"] == p).sum()) for p in phases}


def last_period(flow: pd.DataFrame, phases) -> dict[str, int]:
    return {p: int(flow[f"open_{p}"].iloc[-1]) for p in phases}


def as_frame(table):
    return table.to_frame() if hasattr(table, "to_frame") else table


# ---------------------------------------------------------------------------- 1. throughput's open columns
@pytest.mark.parametrize("n, seed", [(100, 3), (5_000, 7)])  # 8- and 16-bit case codes
def test_throughput_open_columns_equal_the_case_table_at_as_of(n, seed):
    log = simulated(n, seed)
    phases = list(CARTE_VITALE.phase_keys)
    flow = va.throughput(log, freq="M", as_of="2025-06-30")
    cases = as_frame(va.case_table(log, as_of="2025-06-30"))
    expected = open_by_phase(cases, phases)
    assert last_period(flow, phases) == expected
    assert int(flow["wip"].iloc[-1]) == sum(expected.values())


def test_throughput_open_columns_of_a_five_milestone_process():
    log = five_milestone_log(100)
    flow = va.throughput(log, freq="W")
    cases = as_frame(va.case_table(log))
    expected = open_by_phase(cases, FIVE.phase_keys)
    assert expected["c"] == expected["d"] == 0  # (by construction: nobody reaches m3)
    assert last_period(flow, FIVE.phase_keys) == expected


# ---------------------------------------------------------------------------- 2. waiting_on at 33 to 127 dossiers
@pytest.mark.parametrize("n", [33, 126])  # 8-bit case codes
def test_waiting_on_at_small_caseloads_adds_up_to_each_span(n):
    log = simulated(n, 1)
    per_case = va.waiting_on(log, as_of="2025-06-30").set_index("case_id")
    cases = as_frame(va.case_table(log, as_of="2025-06-30")).set_index("case_id")
    # The span, worked out from the events with pandas: first event to completion,
    # closing, or the end of 30 June for an open dossier.
    first = log.events.groupby("case_id", observed=True)["timestamp"].min()
    end = cases["completed_at"].fillna(cases["closed_at"]).fillna(pd.Timestamp("2025-07-01"))
    span = (end - first.reindex(cases.index)) / pd.Timedelta(days=1)
    np.testing.assert_allclose(per_case["total_days"].to_numpy(), span.to_numpy(), rtol=0, atol=1e-9)
    summary = va.waiting_on_summary(log, as_of="2025-06-30")
    assert int(summary["n_cases"].iloc[0]) == n


# ---------------------------------------------------------------------------- 3. dataclasses.replace(log, process=…)
CARD_FIRST = va.ProcessModel.from_dict({
    "name": "card first",
    "milestones": ["registration_submitted", "registration_accepted", "nir_permanent", "dossier_submitted",
                   "card_received", "rights_opened", "card_activated", "first_reimbursement"],
    "phases": ["registration", "ssn", "dossier", "card", "rights", "activation", "reimbursement"],
    "close_events": ["case_closed"],
})


def test_replacing_the_process_model_gives_that_models_case_table():
    raw = va.simulate(300, seed=5, as_of="2025-06-30")
    log = quiet(va.validate, raw)
    swapped = dataclasses.replace(log, process=CARD_FIRST)
    expected = as_frame(va.case_table(quiet(va.validate, raw, CARD_FIRST), as_of="2025-06-30"))
    got = as_frame(va.case_table(swapped, as_of="2025-06-30"))
    for column in ("rights_opened_at", "card_received_at", "order_violations", "current_phase", "card_days"):
        pd.testing.assert_series_equal(got[column], expected[column], check_names=False)


# ---------------------------------------------------------------------------- 4. one as-of cut in the report
def test_report_flow_charts_use_the_report_as_of(monkeypatch):
    from vitale_analysis import plots, report

    rows = [
        {"case_id": "A", "event": "registration_submitted", "timestamp": "2025-03-03 09:00"},
        {"case_id": "A", "event": "registration_accepted", "timestamp": "2025-03-10 09:00"},
        {"case_id": "B", "event": "registration_submitted", "timestamp": "2025-03-20 09:00"},
        # Exactly the midnight that ends 31 March: after the report's as_of day.
        {"case_id": "C", "event": "registration_submitted", "timestamp": "2025-04-01 00:00"},
    ]
    log = quiet(va.validate, pd.DataFrame(rows))
    tables = report.report_tables(log, as_of="2025-03-31")
    assert len(tables.cases) == 2  # A and B
    drawn = {}

    def keep(name, draw):
        def wrapper(table, *args, **kwargs):
            drawn[name] = table
            return draw(table, *args, **kwargs)
        return wrapper

    monkeypatch.setattr(plots, "plot_throughput", keep("flow", plots.plot_throughput))
    monkeypatch.setattr(plots, "plot_waiting_on", keep("waiting", plots.plot_waiting_on))
    report.report_charts(tables)
    flow = drawn["flow"]
    assert list(flow["period_start"].dt.strftime("%Y-%m")) == ["2025-03"]
    assert int(flow["started"].sum()) == 2
    assert int(drawn["waiting"]["n_cases"].sum()) == 2


# ---------------------------------------------------------------------------- 5. finished only when timed
def test_phase_durations_finished_only_where_there_is_a_duration():
    rows = [
        # Dossier submitted before the permanent number: phase "ssn" out of order.
        {"case_id": "V", "event": "registration_submitted", "timestamp": "2025-01-06 09:00"},
        {"case_id": "V", "event": "registration_accepted", "timestamp": "2025-01-08 09:00"},
        {"case_id": "V", "event": "dossier_submitted", "timestamp": "2025-01-20 09:00"},
        {"case_id": "V", "event": "nir_permanent", "timestamp": "2025-03-10 09:00"},
        # Rights opened with no dossier recorded: phase "rights" has its start missing.
        {"case_id": "M", "event": "registration_submitted", "timestamp": "2025-01-06 09:00"},
        {"case_id": "M", "event": "registration_accepted", "timestamp": "2025-01-08 09:00"},
        {"case_id": "M", "event": "nir_permanent", "timestamp": "2025-01-20 09:00"},
        {"case_id": "M", "event": "rights_opened", "timestamp": "2025-03-10 09:00"},
    ]
    durations = va.phase_durations(quiet(va.validate, pd.DataFrame(rows)), as_of="2025-06-30")
    by = durations.set_index(["case_id", "phase"])
    assert by.loc[("V", "dossier"), "state"] == "out_of_order"
    assert by.loc[("M", "rights"), "state"] == "start_missing"
    untimed = durations["days"].isna()
    assert untimed.sum() >= 2
    assert not durations.loc[untimed, "finished"].any()
    assert (durations["finished"] == (durations["state"] == "finished")).all()


# ---------------------------------------------------------------------------- a case table's empty selection
def test_an_empty_selection_gives_empty_tables_with_the_full_ones_columns():
    log = simulated(60, 4)
    cases = va.case_table(log, as_of="2025-06-30")
    none = cases[np.zeros(len(cases), dtype=bool)]
    analyses = {
        "throughput": lambda t: va.throughput(t, freq="W", by="office"),
        "waiting_on": lambda t: va.waiting_on(t, by="start_month"),
        "waiting_on_summary": lambda t: va.waiting_on_summary(t, by="channel"),
        "conformance": lambda t: va.conformance(t, by="channel"),
        "phase_durations": va.phase_durations,
        "trigger_events": va.trigger_events,
        "stalled": va.stalled,
    }
    for name, analysis in analyses.items():
        full, empty = analysis(cases), analysis(none)
        assert len(full) > 0 and len(empty) == 0, name
        assert list(empty.columns) == list(full.columns), name
