"""process_map, variants, rework: a hand-built log worked out by hand, and a plain-Python count.

The reference (:func:`reference_steps` and the counters below) is a loop over each
dossier's events with ``sorted()`` and ``collections.Counter``; it does not call the
module. It orders same-time events by the process model's vocabulary (then the source
row, as the file gave them) and drops a repeated (event, time) within a dossier.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import vitale_analysis as va
from vitale_analysis import CARTE_VITALE, read_caselog, validate
from vitale_analysis.processmap import END, OPEN, START

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample_caselog.csv"
EXTERNAL = Path("/work/shared/data/external")  # (this machine's copies; the vendored ones below run anywhere)
VENDORED = Path(__file__).resolve().parent / "data" / "external"
DAY = pd.Timedelta(days=1)


def ev(case, event, day, trigger=None, note=None, time="09:00"):
    return {"case_id": case, "event": event, "timestamp": f"{day} {time}", "trigger": trigger, "note": note}


def quiet_validate(rows, process=CARTE_VITALE):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        return validate(read_caselog(pd.DataFrame(rows)), process)


def quiet_load(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        return va.load(path)


ROWS = [
    # A: complete; two complement rounds (a loop requested → sent → requested); a same-time tie
    # given in the wrong order (card_requested before rights_opened); a repeated complement_sent.
    ev("A", "registration_submitted", "2025-01-06"),
    ev("A", "registration_accepted", "2025-01-09"),
    ev("A", "nir_permanent", "2025-01-20"),
    ev("A", "dossier_submitted", "2025-02-03"),
    ev("A", "complement_requested", "2025-02-10", "missing_translation"),
    ev("A", "complement_sent", "2025-02-20"),
    ev("A", "complement_sent", "2025-02-20", note="sent again by mistake"),  # same event, same time
    ev("A", "complement_requested", "2025-02-25", "rib_mismatch"),
    ev("A", "complement_sent", "2025-03-01"),
    ev("A", "card_requested", "2025-03-10"),
    ev("A", "rights_opened", "2025-03-10"),  # same time: the process order puts it first
    ev("A", "card_received", "2025-03-24"),
    ev("A", "card_activated", "2025-03-27"),
    ev("A", "first_reimbursement", "2025-04-10"),
    # B: open; submitted twice; a round ended by the resubmission, one still unanswered.
    ev("B", "registration_submitted", "2025-01-13"),
    ev("B", "registration_accepted", "2025-01-15"),
    ev("B", "nir_permanent", "2025-01-27"),
    ev("B", "dossier_submitted", "2025-02-10"),
    ev("B", "complement_requested", "2025-02-17", "unreadable_scan"),
    ev("B", "dossier_submitted", "2025-03-03"),
    ev("B", "complement_requested", "2025-03-17", "address_proof_expired"),
    # C: closed.
    ev("C", "registration_submitted", "2025-02-03"),
    ev("C", "case_closed", "2025-02-20"),
    # D: complete; card refused and ordered again, then lost and ordered again after completion.
    ev("D", "registration_submitted", "2025-01-06"),
    ev("D", "registration_accepted", "2025-01-08"),
    ev("D", "nir_permanent", "2025-01-10"),
    ev("D", "dossier_submitted", "2025-01-15"),
    ev("D", "rights_opened", "2025-02-01"),
    ev("D", "card_requested", "2025-02-02"),
    ev("D", "card_requested", "2025-02-12"),
    ev("D", "card_received", "2025-02-20"),
    ev("D", "card_activated", "2025-02-21"),
    ev("D", "first_reimbursement", "2025-03-01"),
    ev("D", "card_lost", "2025-04-01"),
    ev("D", "card_requested", "2025-04-05"),
]
AS_OF = "2025-04-30 09:00"


@pytest.fixture(scope="module")
def hand_log():
    return quiet_validate(ROWS)


def edge(pm, source, target):
    rows = pm.edges[(pm.edges["source"] == source) & (pm.edges["target"] == target)]
    assert len(rows) == 1, (source, target)
    return rows.iloc[0]


# =========================================================================== by hand
def test_edges_by_hand(hand_log):
    pm = va.process_map(hand_log, as_of=AS_OF)
    assert pm.n_dossiers == 4 and pm.level == "events"
    # A: 02-10 → 02-20 (10 days) and 02-25 → 03-01 (4 days): one dossier, two transitions.
    row = edge(pm, "complement_requested", "complement_sent")
    assert (row["dossiers"], row["transitions"]) == (1, 2)
    assert row["median_days"] == pytest.approx(7.0) and row["p90_days"] == pytest.approx(4 + 0.9 * 6)
    # The loop back: A 02-20 → 02-25 (the repeated complement_sent counted once).
    row = edge(pm, "complement_sent", "complement_requested")
    assert (row["dossiers"], row["transitions"], row["median_days"]) == (1, 1, 5.0)
    # A 7 days; B 7 (02-10 → 02-17) and 14 days (03-03 → 03-17): [7, 7, 14].
    row = edge(pm, "dossier_submitted", "complement_requested")
    assert (row["dossiers"], row["transitions"]) == (2, 3)
    assert row["median_days"] == 7.0 and row["p90_days"] == pytest.approx(7 + 0.8 * 7)
    # The tie: rights_opened then card_requested (0 days) in A; 1 day in D.
    row = edge(pm, "rights_opened", "card_requested")
    assert (row["dossiers"], row["median_days"]) == (2, 0.5)
    assert not ((pm.edges["source"] == "card_requested") & (pm.edges["target"] == "rights_opened")).any()
    # Synthetic steps: every dossier starts; A, C, D ended (complete, closed, complete); B is open.
    assert edge(pm, START, "registration_submitted")["dossiers"] == 4
    assert edge(pm, "first_reimbursement", END)["dossiers"] == 1  # A
    assert edge(pm, "card_requested", END)["dossiers"] == 1  # D, after its lost card
    assert edge(pm, "case_closed", END)["dossiers"] == 1
    assert edge(pm, "complement_requested", OPEN)["dossiers"] == 1
    assert math.isnan(edge(pm, START, "registration_submitted")["median_days"])
    nodes = pm.nodes.set_index("event")
    assert (nodes.loc["complement_sent", "occurrences"], nodes.loc["complement_sent", "dossiers"]) == (2, 1)
    assert (nodes.loc["card_requested", "occurrences"], nodes.loc["card_requested", "dossiers"]) == (4, 2)
    assert (nodes.loc[START, "dossiers"], nodes.loc[END, "dossiers"], nodes.loc[OPEN, "dossiers"]) == (4, 3, 1)
    assert edge(pm, "first_reimbursement", END)["share_of_dossiers"] == 0.25


def test_milestones_level_keeps_a_repeated_milestone(hand_log):
    pm = va.process_map(hand_log, as_of=AS_OF, level="milestones")
    assert set(pm.nodes["event"]) == set(CARTE_VITALE.milestones) | {START, END, OPEN}
    row = edge(pm, "dossier_submitted", "dossier_submitted")  # B: 02-10 → 03-03
    assert (row["dossiers"], row["median_days"]) == (1, 21.0)
    assert edge(pm, "registration_submitted", END)["dossiers"] == 1  # C: its only milestone
    assert edge(pm, "dossier_submitted", OPEN)["dossiers"] == 1  # B


def test_filters_and_cohorts(hand_log):
    full = va.process_map(hand_log, as_of=AS_OF)
    kept = va.process_map(hand_log, as_of=AS_OF, min_share=0.5)
    assert (kept.edges["dossiers"] >= 2).all()
    assert len(kept.edges) == int((full.edges["dossiers"] >= 2).sum())
    top = va.process_map(hand_log, as_of=AS_OF, top_edges=3)
    assert top.edges["dossiers"].tolist() == sorted(full.edges["dossiers"], reverse=True)[:3]
    with pytest.raises(va.CaseLogError, match="min_share"):
        va.process_map(hand_log, min_share=5)
    with pytest.raises(va.CaseLogError, match="level"):
        va.process_map(hand_log, level="activities")
    by = va.process_map(hand_log, as_of=AS_OF, by="start_month")
    assert list(by.edges.columns[:3]) == ["start_month", "source", "target"]
    january = by.edges[by.edges["start_month"] == "2025-01"]
    assert january.loc[january["source"] == START, "dossiers"].tolist() == [3]  # A, B, D
    assert by.nodes.groupby("start_month")["occurrences"].sum().sum() == full.nodes["occurrences"].sum()


def test_as_of_ignores_later_events(hand_log):
    pm = va.process_map(hand_log, as_of="2025-02-15 09:00")
    assert not (pm.edges["target"] == "complement_sent").any()  # A's first answer came on 02-20
    assert edge(pm, "dossier_submitted", "complement_requested")["dossiers"] == 1  # A only (B's came 02-17)
    assert edge(pm, "registration_submitted", OPEN)["dossiers"] == 1  # C: closed only on 02-20
    table = va.case_table(hand_log, as_of=AS_OF)
    only_b = va.process_map(table[table["case_id"] == "B"])
    assert edge(only_b, START, "registration_submitted")["dossiers"] == 1 and only_b.n_dossiers == 1


def test_variants_by_hand(hand_log):
    paths = va.variants(hand_log, as_of=AS_OF)
    full = tuple(CARTE_VITALE.milestones)
    assert paths["path"].tolist() == [
        full,  # A and D
        ("registration_submitted",),  # C (ties: by the path's text, and a prefix comes first)
        ("registration_submitted", "registration_accepted", "nir_permanent", "dossier_submitted",
         "dossier_submitted"),  # B
    ]
    assert paths["dossiers"].tolist() == [2, 1, 1] and paths["share"].tolist() == [0.5, 0.25, 0.25]
    assert paths["rank"].tolist() == [1, 2, 3]
    # A: 01-06 → 04-10 = 94 days, D: 01-06 → 04-05 (its last event) = 89 days, both complete:
    # S falls to 1/2 at 89 days.
    assert paths["median_total_days"].iloc[0] == 89.0
    assert math.isinf(paths["median_total_days"].iloc[1]) and math.isinf(paths["median_total_days"].iloc[2])
    assert paths["n_complete"].tolist() == [2, 0, 0]
    assert paths["example_cases"].tolist() == [("A", "D"), ("C",), ("B",)]
    events_level = va.variants(hand_log, as_of=AS_OF, level="events", top=1)
    assert len(events_level) == 1 and events_level.attrs["n_variants"] == 4


def test_rework_by_hand(hand_log):
    table = va.rework(hand_log, as_of=AS_OF).set_index("case_id")
    assert table["complement_rounds"].to_dict() == {"A": 2, "B": 2, "C": 0, "D": 0}
    assert table["resubmissions"].to_dict() == {"A": 0, "B": 1, "C": 0, "D": 0}
    assert table["card_reorders"].to_dict() == {"A": 0, "B": 0, "C": 0, "D": 2}
    # A: 10 + 4 days; B: 02-17 → 03-03 (the resubmission, a milestone) 14, then 03-17 → as_of 04-30: 44.
    assert table["days_in_loops"].to_dict() == {"A": 14.0, "B": 58.0, "C": 0.0, "D": 0.0}
    assert table["in_loop"].to_dict() == {"A": False, "B": True, "C": False, "D": False}
    summary = va.rework_summary(hand_log, as_of=AS_OF)
    assert summary[["dossiers", "dossiers_with_rework", "complement_rounds", "resubmissions",
                    "card_reorders"]].iloc[0].tolist() == [4, 3, 4, 1, 2]
    assert summary["days_in_loops"].iloc[0] == 72.0
    triggers = va.rework_summary(hand_log, as_of=AS_OF, by="trigger").set_index("trigger")
    assert triggers["rounds"].sum() == 4 and triggers["answered"].sum() == 3
    assert triggers.loc["missing_translation", "median_days_to_answer"] == 10.0
    assert triggers.loc["unreadable_scan", "median_days_to_answer"] == 14.0
    assert math.isinf(triggers.loc["address_proof_expired", "median_days_to_answer"])


def test_a_nested_request_is_not_counted_twice():
    rows = [ev("E", "registration_submitted", "2025-01-01"), ev("E", "complement_requested", "2025-01-10"),
            ev("E", "complement_requested", "2025-01-12"), ev("E", "complement_sent", "2025-01-20")]
    table = va.rework(quiet_validate(rows))
    assert table["complement_rounds"].tolist() == [2] and table["days_in_loops"].tolist() == [10.0]


def test_a_model_without_the_rework_events_gives_zeros():
    process = va.ProcessModel.from_dict({"name": "tiny", "milestones": ["a", "b"], "phases": ["ab"],
                                         "events": ["complement_x"]})
    log = quiet_validate([ev("X", "a", "2025-01-01"), ev("X", "complement_x", "2025-01-02"),
                          ev("X", "b", "2025-01-03")], process)
    table = va.rework(log)
    assert table[["complement_rounds", "resubmissions", "card_reorders", "days_in_loops"]].iloc[0].tolist() == [0] * 4


# =========================================================================== plain-Python reference
def reference_steps(log, as_of=None, level="events"):
    """{case: [(event, timestamp)]}, each dossier's steps by a plain loop."""
    vocabulary = {e: i for i, e in enumerate(log.process.vocabulary)}
    milestones = set(log.process.milestones)
    cut = None if as_of is None else pd.Timestamp(as_of)
    per_case = defaultdict(list)
    events = log.events
    for case, event, when, row in zip(events["case_id"].astype(str), events["event"].astype(str),
                                      events["timestamp"], events["row"]):
        if cut is not None and when.tz_localize(None) > cut:
            continue
        if level == "milestones" and event not in milestones:
            continue
        per_case[case].append((when, vocabulary.get(event, len(vocabulary)), row, event))
    steps = {}
    for case in sorted(set(events["case_id"].astype(str))):
        seen, kept = set(), []
        for when, _, _, event in sorted(per_case.get(case, [])):
            if (event, when) not in seen:
                seen.add((event, when))
                kept.append((event, when))
        steps[case] = kept
    return steps


def linear_quantile(values, q):
    values = sorted(values)
    h = (len(values) - 1) * q
    low = math.floor(h)
    return values[low] + (h - low) * (values[min(low + 1, len(values) - 1)] - values[low])


def reference_edges(steps, ended):
    """{(source, target): (dossiers, transitions, median, p90)} with the synthetic steps."""
    transitions, dossiers, gaps = Counter(), Counter(), defaultdict(list)
    for case, path in steps.items():
        names = [START] + [e for e, _ in path] + [END if ended[case] else OPEN]
        pairs = list(zip(names[:-1], names[1:]))
        transitions.update(pairs)
        dossiers.update(set(pairs))
        for (a, ta), (b, tb) in zip(path[:-1], path[1:]):
            gaps[(a, b)].append((tb - ta) / DAY)
    return {pair: (dossiers[pair], transitions[pair],
                   linear_quantile(gaps[pair], 0.5) if gaps[pair] else None,
                   linear_quantile(gaps[pair], 0.9) if gaps[pair] else None) for pair in transitions}


def assert_map_matches(pm, steps, ended):
    expected = reference_edges(steps, ended)
    got = {(r.source, r.target): (r.dossiers, r.transitions, r.median_days, r.p90_days)
           for r in pm.edges.itertuples()}
    assert set(got) == set(expected)
    for pair, (dossiers, transitions, median, p90) in expected.items():
        assert got[pair][:2] == (dossiers, transitions), pair
        if median is None:
            assert math.isnan(got[pair][2]) and math.isnan(got[pair][3])
        else:
            assert got[pair][2] == pytest.approx(median, abs=1e-9) and got[pair][3] == pytest.approx(p90, abs=1e-9)
    occurrences = Counter(e for path in steps.values() for e, _ in path)
    nodes = pm.nodes.set_index("event")
    for event, n in occurrences.items():
        assert nodes.loc[event, "occurrences"] == n
        assert nodes.loc[event, "dossiers"] == sum(any(e == event for e, _ in p) for p in steps.values())


def ended_cases(log, as_of=None):
    table = va.case_table(log, as_of=as_of)
    return dict(zip(table["case_id"].astype(str), table["status"] != "open"))


def reference_variants(steps):
    return Counter(tuple(e for e, _ in path) for path in steps.values())


def assert_variants_match(paths, steps):
    expected = reference_variants(steps)
    assert paths.attrs["n_variants"] == len(expected)
    assert dict(zip(paths["path"], paths["dossiers"])) == dict(expected)


def test_hand_log_matches_the_reference(hand_log):
    steps = reference_steps(hand_log, AS_OF)
    assert len(steps["A"]) == 13  # the repeated complement_sent counted once
    ended = ended_cases(hand_log, AS_OF)
    assert_map_matches(va.process_map(hand_log, as_of=AS_OF), steps, ended)
    assert_variants_match(va.variants(hand_log, as_of=AS_OF, level="events", top=None), steps)


@pytest.fixture(scope="module")
def sample_log():
    return quiet_load(SAMPLE)


@pytest.mark.parametrize("level", ["events", "milestones"])
def test_sample_matches_the_reference(sample_log, level):
    as_of = "2025-06-30 23:59:59.999999999"
    steps = reference_steps(sample_log, as_of, level)
    ended = ended_cases(sample_log, "2025-06-30")
    assert_map_matches(va.process_map(sample_log, as_of="2025-06-30", level=level), steps, ended)
    assert_variants_match(va.variants(sample_log, as_of="2025-06-30", level=level, top=None), steps)


def test_sample_rework_matches_a_plain_count(sample_log):
    steps = reference_steps(sample_log)
    table = va.rework(sample_log).set_index("case_id")
    for case, path in steps.items():
        names = [e for e, _ in path]
        rounds = names.count("complement_requested")
        reorders = sum(1 for i, e in enumerate(names)
                       if e == "card_requested" and {"card_requested", "card_lost"} & set(names[:i]))
        assert (table.loc[case, "complement_rounds"], table.loc[case, "card_reorders"],
                table.loc[case, "resubmissions"]) == (rounds, reorders, max(names.count("dossier_submitted") - 1, 0))


@pytest.mark.slow
def test_sample_variant_medians_equal_lifelines(sample_log):
    from lifelines import KaplanMeierFitter

    paths = va.variants(sample_log, as_of="2025-06-30", top=20)
    steps = reference_steps(sample_log, "2025-06-30 23:59:59.999999999", "milestones")
    table = va.case_table(sample_log, as_of="2025-06-30").to_frame().set_index("case_id")
    end_of_day = pd.Timestamp("2025-06-30 23:59:59.999999999")
    events = sample_log.events[sample_log.events["timestamp"] <= end_of_day]
    first = events.groupby("case_id", observed=True)["timestamp"].min()
    last = events.groupby("case_id", observed=True)["timestamp"].max()
    for path, median in zip(paths["path"], paths["median_total_days"]):
        cases = [c for c, p in steps.items() if tuple(e for e, _ in p) == path]
        status = table.loc[cases, "status"]
        until = np.where(status == "open", end_of_day, np.where(status == "closed", table.loc[cases, "closed_at"],
                                                                last.loc[cases]))
        days = (pd.to_datetime(until) - first.loc[cases].to_numpy()) / DAY
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = KaplanMeierFitter().fit(np.asarray(days), (status == "complete").to_numpy()).median_survival_time_
        assert median == pytest.approx(expected, abs=1e-9) or (math.isinf(median) and math.isinf(expected)), path


def test_many_event_names_cross_the_16_bit_keys():
    """260 event names: (names + 3)² edge keys pass 65,535, so the keys sort in two radix passes."""
    rng = np.random.default_rng(7)
    names = [f"step_{k:03d}" for k in range(260)]
    process = va.ProcessModel.from_dict({"name": "wide", "milestones": ["step_000", "step_001"], "phases": ["p"],
                                         "events": names[2:]})
    rows = []
    for case in range(300):
        day = pd.Timestamp("2025-01-01")
        for _ in range(int(rng.integers(1, 12))):
            day += pd.Timedelta(hours=int(rng.integers(0, 60)))
            rows.append({"case_id": f"K{case:04d}", "event": names[int(rng.integers(0, 260))],
                         "timestamp": day.isoformat()})
    log = quiet_validate(rows, process)
    steps = reference_steps(log)
    assert_map_matches(va.process_map(log), steps, ended_cases(log))
    assert_variants_match(va.variants(log, level="events", top=None), steps)


PUBLIC = ["running-example.xes", "receipt.xes.gz", "hospital_billing_one_trace_per_variant.xes.gz",
          "permit_bpic2020_one_trace_per_variant.xes.gz"]


@pytest.mark.parametrize("name", PUBLIC)
def test_public_logs_match_the_reference(name):
    path = EXTERNAL / name if (EXTERNAL / name).exists() else VENDORED / name
    if not path.exists():
        pytest.skip(f"{name} is absent (see tests/data/external/README.md)")
    log = quiet_load(path)
    steps = reference_steps(log)
    assert_map_matches(va.process_map(log), steps, ended_cases(log))
    assert_variants_match(va.variants(log, level="events", top=None), steps)


@pytest.mark.slow
def test_bpic2012_matches_the_reference():
    path = VENDORED / "bpic2012.xes.gz"
    if not path.exists():
        pytest.skip(f"{path} is absent (see tests/data/external/README.md)")
    log = quiet_load(path)
    steps = reference_steps(log)
    assert_map_matches(va.process_map(log), steps, ended_cases(log))
    assert_variants_match(va.variants(log, level="events", top=None), steps)


def test_each_step_is_placed_after_the_milestone_it_usually_follows():
    # nia_assigned comes after registration_accepted in D1 and D3, before it in D2: the furthest
    # milestone reached is accepted, submitted, accepted → registration_accepted. D4's only step,
    # case_closed, comes before any milestone → None.
    t = pd.Timestamp("2025-01-06 09:00")
    day = pd.Timedelta(days=1)
    rows = []
    for case, order in (("D1", ["registration_submitted", "registration_accepted", "nia_assigned"]),
                        ("D2", ["registration_submitted", "nia_assigned", "registration_accepted"]),
                        ("D3", ["registration_submitted", "registration_accepted", "nia_assigned"])):
        rows += [{"case_id": case, "event": e, "timestamp": t + k * day} for k, e in enumerate(order)]
    rows.append({"case_id": "D4", "event": "case_closed", "timestamp": t})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        log = va.validate(va.read_caselog(pd.DataFrame(rows)))
    after = va.process_map(log).nodes.set_index("event")["after_milestone"]
    assert after["nia_assigned"] == "registration_accepted"
    assert after["registration_accepted"] == "registration_accepted"
    assert pd.isna(after["case_closed"]) and pd.isna(after["__start__"])


# =========================================================================== the fast counting paths
def random_log(seed, n_cases, *, resolution, longest_days, n_extra_events=0):
    """Dossiers walking the milestones with loops (complements asked and sent again, events repeated),
    times at ``resolution`` ("s" or "ns") with gaps up to ``longest_days``; ``n_extra_events`` more
    event names (unknown to the model) scattered in."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-02 08:00")
    loop = ["complement_requested", "complement_sent"]
    extra = [f"step_{i:03d}" for i in range(n_extra_events)]
    rows = []
    for c in range(n_cases):
        path = list(CARTE_VITALE.milestones[: rng.integers(1, len(CARTE_VITALE.milestones) + 1)])
        if len(path) > 3 and rng.random() < 0.5:
            path[3:3] = loop * int(rng.integers(1, 4))
        if extra:
            path[1:1] = list(rng.choice(extra, size=int(rng.integers(1, 4))))
        when = start + pd.Timedelta(days=int(rng.integers(0, 30)))
        for event in path:
            if resolution == "ns":
                step = pd.Timedelta(int(rng.integers(0, int(longest_days * 86_400e9))), unit="ns")
            else:
                step = pd.Timedelta(int(rng.integers(0, int(longest_days * 86_400))), unit="s")
            if rng.random() < 0.1:
                step = pd.Timedelta(0)  # a tie, ordered by the model
            when = when + step
            rows.append({"case_id": f"R{c:05d}", "event": event, "timestamp": when})
    rows = [rows[i] for i in rng.permutation(len(rows))]  # (the file's order is not the time order)
    return quiet_validate(rows)


@pytest.mark.parametrize("resolution, longest_days, n_extra", [
    ("s", 400, 0),    # whole seconds, gaps over a year: packed in microseconds
    ("ns", 30, 0),    # nanoseconds, short gaps: packed in nanoseconds
    ("ns", 400, 0),   # nanoseconds and gaps over a year: too wide to pack, sorted another way
    ("s", 60, 70),    # more than 64 event names: every dossier checked for repeats
])
def test_the_counting_paths_match_the_reference_to_the_last_bit(resolution, longest_days, n_extra):
    """Each way the map counts dossiers and sorts gaps (chosen from the times' resolution, the longest
    gap and the number of event names) gives the plain-Python counts, and medians and p90s equal to
    the last bit to ``np.quantile`` over the reference's own gaps."""
    log = random_log(7, 300, resolution=resolution, longest_days=longest_days, n_extra_events=n_extra)
    steps = reference_steps(log)
    ended = ended_cases(log)
    pm = va.process_map(log)
    assert_map_matches(pm, steps, ended)
    gaps = defaultdict(list)
    for path in steps.values():
        for (a, ta), (b, tb) in zip(path[:-1], path[1:]):
            # (days as float64 division of the nanoseconds, as a NumPy array of gaps divides: Python's
            # int / int rounds once and can differ in the last bit past 2**53 ns, about 104 days)
            gaps[(a, b)].append(float((tb - ta).value) / float(86_400 * 10**9))
    looped = 0
    for r in pm.edges.itertuples():
        if (r.source, r.target) in gaps:
            values = gaps[(r.source, r.target)]
            assert r.median_days == np.quantile(values, 0.5) and r.p90_days == np.quantile(values, 0.9)
            looped += r.transitions > r.dossiers
    assert looped  # (some move was taken twice by one dossier: the repeat count was exercised)
