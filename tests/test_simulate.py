"""The simulator: format, working time, reproducibility, and its parameters in its output.

Expected values are computed here from the :class:`SimulationParams` fields
(shares, log-normal medians and means), never copied from a printed run.
Shares are checked within ``Z`` binomial standard errors, so a check fails by
chance about once in a hundred thousand runs, and the seeds are fixed anyway.

Most checks use a *mature cohort*: dossiers opened at least three years before
``as_of`` on a long window, so they all had time to finish (no censoring), on
the self-employed route and not abandoned. Abandonment and the salaried route
are drawn independently of the triggers, so this selection does not bias the
trigger shares.
"""

from __future__ import annotations

import importlib.util
import math
import tomllib
from dataclasses import replace
from pathlib import Path

import holidays
import numpy as np
import pandas as pd
import pytest

from vitale_analysis import CARTE_VITALE, CaseLogError, ProcessModel
from vitale_analysis.simulate import SIMULATED_COLUMNS, Delay, SimulationParams, simulate, write_events

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
DEFAULT = SimulationParams()
Z = 4.5  # standard errors allowed on a share or a mean

LONG_START, LONG_AS_OF = "2018-01-02", "2025-06-30"
MATURE_BEFORE = pd.Timestamp("2022-06-30")  # opened at least 3 years before LONG_AS_OF
PAPERWORK = ("identity_inconsistency", "missing_translation", "address_proof_expired", "unreadable_scan", "rib_mismatch")
RIGHTS_TRIGGERS = ("wrong_office", *PAPERWORK, "no_response", "nia_not_permanent")


# ------------------------------------------------------------------ helpers
def first_times(events: pd.DataFrame) -> pd.DataFrame:
    """First time of each event per dossier: one row per case, one column per event."""
    first = events.drop_duplicates(["case_id", "event"], keep="first")
    return first.pivot(index="case_id", columns="event", values="timestamp")


def days_between(times: pd.DataFrame, a: str, b: str) -> pd.Series:
    return (times[b] - times[a]) / pd.Timedelta(days=1)


def case_info(events: pd.DataFrame) -> pd.DataFrame:
    """Per dossier: attributes, the set of triggers, and the events it has."""
    attrs = events.groupby("case_id")[["office", "channel", "route", "born_abroad", "advisor"]].first()
    hits = pd.crosstab(events["case_id"], events["trigger"]).reindex(columns=list(CARTE_VITALE.triggers), fill_value=0) > 0
    hits = hits.reindex(attrs.index, fill_value=False).add_prefix("t_")
    present = pd.crosstab(events["case_id"], events["event"]) > 0
    present = present.reindex(columns=list(CARTE_VITALE.vocabulary), fill_value=False).add_prefix("has_")
    opened = events.groupby("case_id")["timestamp"].min().rename("opened")
    return attrs.join(hits).join(present).join(opened)


def as_text(values: pd.Series) -> pd.Series:
    """Values as text with missing values as "" (NaN never equals NaN)."""
    return values.astype("string").fillna("")


def assert_share(observed: pd.Series, expected: float, what: str) -> None:
    """The mean of a boolean series is within Z binomial standard errors of ``expected``."""
    n = len(observed)
    assert n >= 100, f"{what}: only {n} dossiers to check"
    share = float(observed.mean())
    se = math.sqrt(max(expected * (1 - expected), 1e-4) / n)
    assert abs(share - expected) <= Z * se, f"{what}: {share:.4f} over {n} dossiers, expected {expected:.4f} ± {Z * se:.4f}"


def lognormal_mean(delay: Delay, scale: float = 1.0) -> float:
    return scale * delay.median_days * math.exp(delay.sigma**2 / 2)


def assert_mean_days(observed: pd.Series, expected: float, what: str, rel: float = 0.0) -> None:
    """Mean within Z standard errors (plus ``rel`` for the rounding of times onto working hours)."""
    n = len(observed)
    assert n >= 100, f"{what}: only {n} dossiers to check"
    se = observed.std() / math.sqrt(n)
    tolerance = Z * se + rel * expected
    assert abs(observed.mean() - expected) <= tolerance, (
        f"{what}: mean {observed.mean():.2f} days over {n}, expected {expected:.2f} ± {tolerance:.2f}"
    )


def assert_median_days(observed: pd.Series, delay: Delay, what: str, scale: float = 1.0) -> None:
    """Median within Z standard errors of the log-normal median (log scale) plus 3 % for rounding."""
    n = len(observed)
    assert n >= 100, f"{what}: only {n} dossiers to check"
    expected = delay.median_days * scale
    log_se = 1.2533 * delay.sigma / math.sqrt(n)  # asymptotic s.e. of a sample median, log scale
    ratio = observed.median() / expected
    assert abs(math.log(ratio)) <= Z * log_se + 0.03, f"{what}: median {observed.median():.1f} days, expected {expected:.1f}"


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def long_run() -> pd.DataFrame:
    """40,000 dossiers over seven and a half years, default parameters."""
    return simulate(40_000, seed=11, start=LONG_START, as_of=LONG_AS_OF)


@pytest.fixture(scope="module")
def long_cases(long_run) -> pd.DataFrame:
    return case_info(long_run)


@pytest.fixture(scope="module")
def mature(long_cases) -> pd.DataFrame:
    """Dossiers opened 3+ years before as_of, self-employed route, not abandoned."""
    c = long_cases
    return c[(c["opened"] < MATURE_BEFORE) & (c["route"] == "self_employed") & ~c["has_case_closed"]]


@pytest.fixture(scope="module")
def flat_run() -> pd.DataFrame:
    """Like ``long_run`` but every office works at the same speed, so durations follow the Delay fields."""
    return simulate(40_000, seed=12, start=LONG_START, as_of=LONG_AS_OF, params=replace(DEFAULT, office_speed_sigma=0.0))


@pytest.fixture(scope="module")
def flat(flat_run) -> tuple[pd.DataFrame, pd.DataFrame]:
    cases = case_info(flat_run)
    cases = cases[(cases["opened"] < MATURE_BEFORE) & (cases["route"] == "self_employed") & ~cases["has_case_closed"]]
    return cases, first_times(flat_run[flat_run["case_id"].isin(cases.index)])


@pytest.fixture(scope="module")
def sample_run() -> pd.DataFrame:
    """The size and window of the bundled sample, another seed."""
    return simulate(3_000, seed=5, as_of="2025-06-30")


# ------------------------------------------------------------------ format
def test_canonical_columns_and_types(sample_run):
    ev = sample_run
    assert tuple(ev.columns) == SIMULATED_COLUMNS
    assert ev["timestamp"].dtype == np.dtype("datetime64[ns]")
    assert ev["born_abroad"].dtype == bool
    for column in ("case_id", "event", "trigger", "office", "channel", "route", "advisor"):
        assert pd.api.types.is_string_dtype(ev[column]), column
    assert ev["case_id"].str.fullmatch(r"D\d{6}").all()
    assert ev["advisor"].str.fullmatch(r"A\d{2}").all()
    assert set(ev["event"]) <= set(CARTE_VITALE.vocabulary)
    assert set(ev["trigger"].dropna()) <= set(CARTE_VITALE.triggers)
    assert set(ev["channel"]) == {"ameli", "postal"}
    assert set(ev["route"]) == {"self_employed", "salaried"}
    assert set(ev["office"]) <= {name for name, _ in DEFAULT.offices}
    assert ev["case_id"].nunique() == 3_000
    # Sorted by case then time; every dossier starts with its registration.
    assert ev["case_id"].is_monotonic_increasing
    assert (ev.groupby("case_id")["timestamp"].diff().dropna() >= pd.Timedelta(0)).all()
    assert (ev.groupby("case_id")["event"].first() == "registration_submitted").all()
    # Case attributes are the same on every row of a dossier.
    assert (ev.groupby("case_id")[["office", "channel", "route", "born_abroad", "advisor"]].nunique() == 1).all().all()


def test_case_ids_follow_the_opening_order(sample_run):
    opened = sample_run.groupby("case_id")["timestamp"].min()
    assert opened.index[0] == "D000001" and opened.index[-1] == "D003000"
    assert opened.is_monotonic_increasing


def test_every_vocabulary_event_and_trigger_occurs(long_run):
    assert set(long_run["event"]) == set(CARTE_VITALE.vocabulary)
    assert set(long_run["trigger"].dropna()) == set(CARTE_VITALE.triggers)


def test_each_trigger_sits_on_the_event_that_detects_it(long_run):
    carriers = long_run.dropna(subset=["trigger"]).groupby("trigger")["event"].unique()
    expected = {t: {"complement_requested"} for t in CARTE_VITALE.triggers}
    expected["no_response"] = {"followup_message"}
    expected["activation_failed"] = {"activation_failed"}
    assert {t: set(e) for t, e in carriers.items()} == expected


# ------------------------------------------------------------------ working time
def test_events_only_in_working_time_and_not_after_as_of(long_run, sample_run):
    for ev, as_of in ((long_run, LONG_AS_OF), (sample_run, "2025-06-30")):
        ts = ev["timestamp"]
        assert ts.max() < pd.Timestamp(as_of) + pd.Timedelta(days=1)  # a bare date is the end of that day
        assert not (ts.dt.day_of_week == 6).any(), "event on a Sunday"
        assert ts.dt.day_of_week.isin(DEFAULT.working_weekdays).all()
        french = holidays.France(years=range(ts.min().year, ts.max().year + 1))
        on_holiday = ts.dt.date.isin(set(french))
        assert not on_holiday.any(), f"events on public holidays: {sorted(set(ts[on_holiday].dt.date))[:5]}"
        opening, closing = DEFAULT.working_hours
        assert ts.dt.hour.between(opening, closing - 1).all()
        assert (ts.dt.second == 0).all()


def test_as_of_with_a_time_cuts_the_log_there():
    as_of = pd.Timestamp("2025-06-18 11:30")
    ev = simulate(2_000, seed=3, start="2025-01-02", as_of=as_of)
    assert ev["timestamp"].max() <= as_of
    assert ev["timestamp"].max() >= pd.Timestamp("2025-06-18 09:00")  # the morning of that day is there


def test_a_bare_as_of_date_keeps_that_day_but_not_the_next_midnight():
    params = replace(DEFAULT, working_hours=(0, 24), working_weekdays=tuple(range(7)))
    ev = simulate(3_000, seed=6, start="2025-06-01", as_of="2025-06-29", params=params)
    assert ev["timestamp"].max() < pd.Timestamp("2025-06-30")
    assert ev["timestamp"].max() >= pd.Timestamp("2025-06-29 23:00")  # the evening of the day is there


def test_default_start_is_18_months_before_as_of(sample_run):
    # 2024-01-01 is a public holiday: the first working day of the window is 2 January.
    assert sample_run["timestamp"].min().date() == pd.Timestamp("2024-01-02").date()
    openings = sample_run.groupby("case_id")["timestamp"].min()
    assert openings.max() >= pd.Timestamp("2025-06-01")  # spread over the whole window


def test_custom_working_time_is_respected():
    params = replace(DEFAULT, working_weekdays=(0, 1, 2, 3, 4, 5), working_hours=(8, 12))
    ev = simulate(2_000, seed=4, as_of="2025-06-30", params=params)
    assert (ev["timestamp"].dt.day_of_week == 5).any()  # Saturdays now allowed
    assert ev["timestamp"].dt.hour.between(8, 11).all()


# ------------------------------------------------------------------ reproducibility
def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    paths = []
    for i, seed in enumerate((42, 42, 43)):
        path = tmp_path / f"log{i}.csv"
        write_events(simulate(1_500, seed=seed, as_of="2025-06-30"), path)
        paths.append(path)
    first, again, other = (p.read_bytes() for p in paths)
    assert first == again
    assert first != other
    assert first.startswith(b"case_id,event,timestamp,trigger,office,channel,route,born_abroad,advisor\n")
    assert b"\r\n" not in first


def test_parquet_keeps_the_log(tmp_path):
    ev = simulate(500, seed=8, as_of="2025-06-30")
    path = write_events(ev, tmp_path / "log.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(path), ev)


def test_csv_round_trip(tmp_path):
    ev = simulate(500, seed=8, as_of="2025-06-30")
    path = write_events(ev, tmp_path / "log.csv")
    back = pd.read_csv(path, parse_dates=["timestamp"], dtype={"born_abroad": bool})
    assert len(back) == len(ev)
    assert (back["timestamp"].to_numpy() == ev["timestamp"].to_numpy()).all()
    assert back["trigger"].isna().sum() == ev["trigger"].isna().sum()
    assert (back["born_abroad"].to_numpy() == ev["born_abroad"].to_numpy()).all()


def test_write_events_refuses_other_suffixes(tmp_path):
    with pytest.raises(CaseLogError, match=r"\.csv or \.parquet"):
        write_events(simulate(5, seed=1, as_of="2025-06-30"), tmp_path / "log.xlsx")


# ------------------------------------------------------------------ who the dossiers are
def test_case_mix_follows_the_params(long_cases):
    c = long_cases
    assert_share(c["born_abroad"], DEFAULT.born_abroad_share, "born abroad")
    assert_share(c["route"] == "salaried", DEFAULT.salaried_share, "salaried route")
    born_abroad = c[c["born_abroad"]]
    born_here = c[~c["born_abroad"]]
    assert_share(born_abroad["channel"] == "postal", DEFAULT.postal_share_born_abroad, "postal, born abroad")
    assert_share(born_here["channel"] == "postal", DEFAULT.postal_share, "postal, born in France")
    assert c["advisor"].nunique() == DEFAULT.n_advisors


def test_offices_weighted_by_size(long_cases):
    weights = pd.Series(dict(DEFAULT.offices))
    expected = weights / weights.sum()
    observed = long_cases["office"].value_counts(normalize=True).reindex(expected.index, fill_value=0)
    n = len(long_cases)
    se = np.sqrt(expected * (1 - expected) / n)
    assert (abs(observed - expected) <= Z * se).all(), (observed - expected)[abs(observed - expected) > Z * se]
    assert {"CGSS 971", "CGSS 972", "CGSS 973", "CGSS 974", "CSS 976"} <= set(observed[observed > 0].index)
    # The largest funds come first.
    assert set(observed.nlargest(4).index) == {"CPAM 59", "CPAM 75", "CPAM 13", "CPAM 69"}


def test_nia_share_among_people_born_abroad(mature):
    born_abroad = mature[mature["born_abroad"]]
    assert_share(born_abroad["has_nia_assigned"], DEFAULT.nia_share_born_abroad, "NIA among born abroad")
    assert not mature.loc[~mature["born_abroad"], "has_nia_assigned"].any()


# ------------------------------------------------------------------ triggers
def expected_trigger_share(trigger: str, postal: bool, params: SimulationParams = DEFAULT) -> float:
    p = params.trigger_probability[trigger]
    factor = params.postal_complement_factor if postal and trigger in PAPERWORK else 1.0
    return min(1.0, p * factor)


@pytest.mark.parametrize("trigger", ["registration_missing", "wrong_office", "identity_inconsistency",
                                     "address_proof_expired", "unreadable_scan", "rib_mismatch",
                                     "no_response", "activation_failed"])
def test_trigger_share_for_every_dossier(mature, trigger):
    for channel in ("ameli", "postal"):
        group = mature[mature["channel"] == channel]
        assert_share(group[f"t_{trigger}"], expected_trigger_share(trigger, channel == "postal"), f"{trigger}, {channel}")


def test_birth_certificate_and_translation_triggers(mature):
    nia = mature[mature["has_nia_assigned"]]
    assert_share(nia["t_birth_certificate_format"], DEFAULT.trigger_probability["birth_certificate_format"],
                 "birth certificate among NIA holders")
    assert not mature.loc[~mature["has_nia_assigned"], "t_birth_certificate_format"].any()
    for channel in ("ameli", "postal"):
        born_abroad = mature[mature["born_abroad"] & (mature["channel"] == channel)]
        assert_share(born_abroad["t_missing_translation"], expected_trigger_share("missing_translation", channel == "postal"),
                     f"translation, born abroad, {channel}")
    assert not mature.loc[~mature["born_abroad"], "t_missing_translation"].any()


def test_birth_certificate_problems_are_the_most_common(long_run, long_cases):
    """DOMAIN ranks birth-certificate problems (format, translation) far above the rest."""
    shares = long_cases.filter(regex="^t_").mean().sort_values(ascending=False)
    assert set(shares.index[:2]) == {"t_birth_certificate_format", "t_missing_translation"}
    assert shares.iloc[:2].sum() > 1.5 * shares.iloc[2:4].sum()


def test_complement_loops_add_days_to_their_phase(flat):
    """Mean rights-phase days with exactly one paperwork trigger = review + reply + base (means of log-normals)."""
    cases, times = flat
    rights_days = days_between(times, "dossier_submitted", "rights_opened")
    no_rights_trigger = ~cases[[f"t_{t}" for t in RIGHTS_TRIGGERS]].any(axis=1)
    ameli = cases["channel"] == "ameli"
    base = lognormal_mean(DEFAULT.rights_ameli)
    assert_mean_days(rights_days[cases.index[ameli & no_rights_trigger]], base, "rights, no trigger, ameli", rel=0.03)
    for trigger in ("unreadable_scan", "missing_translation"):
        others = [f"t_{t}" for t in RIGHTS_TRIGGERS if t != trigger]
        only = ameli & cases[f"t_{trigger}"] & ~cases[others].any(axis=1)
        expected = lognormal_mean(DEFAULT.rights_review) + lognormal_mean(DEFAULT.reply_delay[trigger]) + base
        assert_mean_days(rights_days[cases.index[only]], expected, f"rights with {trigger} only, ameli", rel=0.03)


def test_each_complement_request_is_answered(long_run, mature):
    """Every request is answered once; loops alternate request, reply (the permanent-number
    request and a rights dossier sent on the NIA are two démarches and may overlap)."""
    events = long_run[long_run["case_id"].isin(mature.index)].drop_duplicates()
    loop = events[events["event"].isin(["complement_requested", "complement_sent"])]
    counts = pd.crosstab(loop["case_id"], loop["event"])
    assert (counts["complement_requested"] == counts["complement_sent"]).all()
    assert loop.loc[loop["event"] == "complement_requested", "trigger"].notna().all()
    assert loop.loc[loop["event"] == "complement_sent", "trigger"].isna().all()
    single = loop[~loop["case_id"].isin(mature.index[mature["t_nia_not_permanent"]])]
    previous = single.groupby("case_id")["event"].shift()
    assert (single.loc[previous.isna(), "event"] == "complement_requested").all()
    assert (single["event"] != previous)[previous.notna()].all()


# ------------------------------------------------------------------ durations
def test_postal_rights_opening_is_slower(flat, sample_run):
    cases, times = flat
    rights_days = days_between(times, "dossier_submitted", "rights_opened")
    clean = ~cases[[f"t_{t}" for t in RIGHTS_TRIGGERS]].any(axis=1)
    for channel, delay in (("ameli", DEFAULT.rights_ameli), ("postal", DEFAULT.rights_postal)):
        group = rights_days[cases.index[clean & (cases["channel"] == channel)]]
        assert_median_days(group, delay, f"rights opening, {channel}, no trigger")
    # And with the default (uneven) offices, on a sample-sized log, all dossiers.
    sample_times = first_times(sample_run)
    sample_days = days_between(sample_times, "dossier_submitted", "rights_opened").dropna()
    channel = sample_run.groupby("case_id")["channel"].first().reindex(sample_days.index)
    medians = sample_days.groupby(channel).median()
    assert medians["postal"] > 1.2 * medians["ameli"], medians


def test_card_delivery_by_channel(flat_run, flat):
    """DOMAIN: a card ordered online takes about 2 weeks, by post about 3 (from the last request)."""
    cases, times = flat
    events = flat_run[flat_run["case_id"].isin(cases.index)].drop_duplicates()
    requests = events.loc[events["event"] == "card_requested", ["case_id", "timestamp"]]
    received = times["card_received"].rename("received").dropna()
    requests = requests.join(received, on="case_id", how="inner")
    last_request = requests[requests["timestamp"] <= requests["received"]].groupby("case_id")["timestamp"].max()
    delivery = (received[last_request.index] - last_request) / pd.Timedelta(days=1)
    for channel, delay in (("ameli", DEFAULT.card_delivery_ameli), ("postal", DEFAULT.card_delivery_postal)):
        group = delivery[cases.loc[delivery.index, "channel"] == channel]
        assert_median_days(group, delay, f"card delivery, {channel}")
    # A refused first request means a second one, at the stated rate.
    n_before = requests[requests["timestamp"] <= requests["received"]].groupby("case_id").size()
    assert_share(n_before == 2, DEFAULT.card_rejection_share, "card request refused once")
    assert n_before.max() == 2


def test_permanent_number_wait_up_to_about_nine_months(flat):
    cases, times = flat
    wait = days_between(times, "nia_assigned", "nir_permanent").dropna()
    plain = wait[cases.index[cases["has_nia_assigned"] & ~cases["t_birth_certificate_format"]].intersection(wait.index)]
    assert_median_days(plain, DEFAULT.nir_permanent_wait, "NIA to permanent number, no birth-certificate problem")
    assert wait.median() > 60  # months, not days
    assert wait.quantile(0.95) <= 274  # DOMAIN: "up to about 9 months"
    assert wait.quantile(0.99) > 180


# ------------------------------------------------------------------ out of order, stalls, closing
def test_dossiers_sent_on_an_nia_are_out_of_order_and_pay_for_it(long_run, mature):
    times = first_times(long_run[long_run["case_id"].isin(mature.index)])
    early = days_between(times, "nir_permanent", "dossier_submitted") < 0
    flagged = mature["t_nia_not_permanent"].reindex(times.index)
    assert (early == flagged).all(), "out-of-order submission and the nia_not_permanent trigger must coincide"
    # Only NIA holders who send by post (no compte ameli on an NIA), at the stated rate.
    nia_postal = mature[mature["has_nia_assigned"] & (mature["channel"] == "postal")]
    assert_share(nia_postal["t_nia_not_permanent"], DEFAULT.trigger_probability["nia_not_permanent"], "sent on the NIA")
    assert not mature.loc[mature["channel"] == "ameli", "t_nia_not_permanent"].any()
    # Paying for it: from the permanent number to rights opened takes longer than for
    # the NIA holders who waited for it before sending the dossier.
    to_rights = days_between(times, "nir_permanent", "rights_opened")
    in_order = nia_postal.index[~nia_postal["t_nia_not_permanent"] & ~nia_postal[[f"t_{t}" for t in RIGHTS_TRIGGERS]].any(axis=1)]
    out_of_order = nia_postal.index[nia_postal["t_nia_not_permanent"]]
    assert to_rights[out_of_order].median() > to_rights[in_order].median() + 0.5 * DEFAULT.out_of_order_penalty.median_days


def test_no_response_stalls_escalate(long_run, mature):
    stalled = mature[mature["t_no_response"]]
    assert stalled["has_followup_message"].all() and stalled["has_followup_call"].all()
    calm = mature[~mature["t_no_response"]]
    assert not calm[["has_followup_message", "has_followup_call", "has_complaint_filed", "has_mediator_referral"]].any().any()
    assert_share(stalled["has_complaint_filed"], DEFAULT.complaint_share, "complaint after a stall")
    complaints = stalled[stalled["has_complaint_filed"]]
    assert_share(complaints["has_mediator_referral"], DEFAULT.mediator_share, "médiateur after a complaint")
    assert not stalled.loc[~stalled["has_complaint_filed"], "has_mediator_referral"].any()
    times = first_times(long_run[long_run["case_id"].isin(stalled.index)])
    order = ["dossier_submitted", "followup_message", "followup_call", "rights_opened"]
    for a, b in zip(order, order[1:], strict=False):
        assert (times[b] >= times[a]).all(), f"{a} after {b}"
    silence = days_between(times, "dossier_submitted", "followup_message")
    assert silence.median() >= DEFAULT.followup_after.median_days  # the stall comes on top of any complement loop


def test_salaried_dossiers_are_mostly_closed(long_cases):
    salaried = long_cases[(long_cases["route"] == "salaried") & (long_cases["opened"] < MATURE_BEFORE)]
    assert salaried["t_salaried_route"].all()
    expected_closed = DEFAULT.salaried_closed_share + (1 - DEFAULT.salaried_closed_share) * DEFAULT.abandon_share
    assert_share(salaried["has_case_closed"], expected_closed, "salaried dossiers closed")
    assert not long_cases.loc[long_cases["route"] == "self_employed", "t_salaried_route"].any()


def test_abandoned_dossiers_end_with_case_closed(long_run, long_cases, mature):
    old = long_cases[(long_cases["opened"] < MATURE_BEFORE) & (long_cases["route"] == "self_employed")]
    assert_share(old["has_case_closed"], DEFAULT.abandon_share, "abandoned")
    last = long_run.drop_duplicates().groupby("case_id")["event"].last()
    closed = long_cases.index[long_cases["has_case_closed"]]
    assert (last[closed] == "case_closed").all()
    # Closed at a uniform point of the life the dossier would have had: the share closed
    # after rights opened is the mean share of life left after rights opening, E[1 - r],
    # with r = (rights - start) / (first reimbursement - start) in finished dossiers.
    times = first_times(long_run[long_run["case_id"].isin(mature.index)])
    r = days_between(times, "registration_submitted", "rights_opened") / days_between(
        times, "registration_submitted", "first_reimbursement")
    abandoned = old[old["has_case_closed"]]
    assert_share(abandoned["has_rights_opened"], float((1 - r).mean()), "abandoned after rights opened")


def test_a_realistic_share_is_still_open(sample_run):
    c = case_info(sample_run)
    done = c["has_first_reimbursement"] | c["has_case_closed"]
    open_share = 1 - done.mean()
    assert 0.15 <= open_share <= 0.45, open_share
    as_of_end = pd.Timestamp("2025-07-01")
    recent = c["opened"] >= as_of_end - pd.Timedelta(days=30)
    early = c["opened"] < pd.Timestamp("2024-04-01")
    # Nobody completes the whole route in a month; almost everyone opened 15+ months ago has finished.
    assert recent.sum() > 100 and not c.loc[recent, "has_first_reimbursement"].any()
    assert (~done[early]).mean() < 0.05
    # The older the dossier, the less likely it is still open (quarter by quarter).
    by_quarter = (~done).groupby(c["opened"].dt.to_period("Q")).mean()
    assert by_quarter.is_monotonic_increasing, by_quarter


def test_typical_complete_dossier_has_about_14_events(long_run, mature):
    counts = long_run[long_run["case_id"].isin(mature.index)].groupby("case_id").size()
    assert 12 <= counts.mean() <= 15, counts.mean()


# ------------------------------------------------------------------ planted data problems
def test_planted_duplicates_and_ties_at_their_rates(long_run):
    ev = long_run
    duplicated = ev.duplicated()
    clean = ev[~duplicated]
    n = len(clean)
    dup_rate = duplicated.sum() / n
    se = math.sqrt(DEFAULT.duplicate_row_share / n)
    assert abs(dup_rate - DEFAULT.duplicate_row_share) <= Z * se, dup_rate
    same_case = clean["case_id"].eq(clean["case_id"].shift())
    tie = same_case & clean["timestamp"].eq(clean["timestamp"].shift()) & clean["event"].ne(clean["event"].shift())
    tie_rate = tie.sum() / n
    se = math.sqrt(DEFAULT.same_time_tie_share / n)
    assert abs(tie_rate - DEFAULT.same_time_tie_share) <= Z * se, tie_rate
    # No tie is accidental: with the planting switched off there are none.
    off = simulate(5_000, seed=11, as_of="2025-06-30", params=replace(DEFAULT, duplicate_row_share=0.0, same_time_tie_share=0.0))
    assert not off.duplicated().any()
    assert not (off["case_id"].eq(off["case_id"].shift()) & off["timestamp"].eq(off["timestamp"].shift())).any()


# ------------------------------------------------------------------ parameters and errors
def test_params_reject_impossible_values():
    with pytest.raises(CaseLogError, match="abandon_share"):
        SimulationParams(abandon_share=1.5)
    with pytest.raises(CaseLogError, match="unknown trigger"):
        SimulationParams(trigger_probability={"missing_translaton": 0.3})
    with pytest.raises(CaseLogError, match="median_days"):
        Delay(0, 0.5)
    with pytest.raises(CaseLogError, match="working_hours"):
        SimulationParams(working_hours=(18, 9))
    with pytest.raises(CaseLogError, match="Delay"):
        SimulationParams(registration=10)
    with pytest.raises(TypeError):  # read-only, even when given as a plain dict
        SimulationParams(trigger_probability={"no_response": 0.1}).trigger_probability["no_response"] = 0.5


def test_a_trigger_left_out_never_happens():
    params = replace(DEFAULT, trigger_probability={"no_response": 0.5})
    ev = simulate(2_000, seed=9, as_of="2025-06-30", params=params)
    assert set(ev["trigger"].dropna()) == {"no_response", "salaried_route"}


def test_simulate_rejects_bad_arguments():
    with pytest.raises(CaseLogError, match="n_cases"):
        simulate(0, seed=1, as_of="2025-06-30")
    with pytest.raises(CaseLogError, match="before as_of"):
        simulate(10, seed=1, start="2025-07-02", as_of="2025-06-30")
    with pytest.raises(CaseLogError, match="not a date"):
        simulate(10, seed=1, as_of="someday")
    permit = ProcessModel.from_dict({"name": "permit", "milestones": ["a", "b"], "phases": ["p"]})
    with pytest.raises(CaseLogError, match="lacks event"):
        simulate(10, seed=1, as_of="2025-06-30", process=permit)


def test_every_params_field_is_documented():
    """Each field of SimulationParams carries a ``#:`` comment saying where its number comes from."""
    source = (ROOT / "vitale_analysis" / "simulate.py").read_text(encoding="utf-8")
    body = source[source.index("class SimulationParams"):]
    body = body[:body.index("def __post_init__")]
    lines = body.splitlines()
    for name in SimulationParams.__dataclass_fields__:
        at = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{name}:"))
        comment = []
        for line in reversed(lines[:at]):
            if not line.strip().startswith("#:"):
                break
            comment.append(line)
        text = " ".join(comment)
        assert comment, f"{name} has no #: comment"
        assert ("ssumption" in text) or ("DOMAIN" in text) or ("lanted" in text), f"{name}: source not named"


# ------------------------------------------------------------------ the bundled sample
def _make_sample_module():
    spec = importlib.util.spec_from_file_location("make_sample", DATA / "make_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bundled_sample_is_what_the_documented_command_writes(tmp_path):
    paths = _make_sample_module().make_sample(tmp_path)
    for path in paths.values():
        assert path.read_bytes() == (DATA / path.name).read_bytes(), f"data/{path.name} is stale: run python data/make_sample.py"


def test_french_export_reads_back_to_the_canonical_slice():
    """Read the export with pandas and the mapping file only (no package reader): same events."""
    make_sample = _make_sample_module()
    mapping = tomllib.loads((DATA / "sample_export_fr.mapping.toml").read_text(encoding="utf-8"))
    raw_bytes = (DATA / "sample_export_fr.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw_bytes.decode("utf-8")  # really cp1252, as a French Excel export
    fr = pd.read_csv(DATA / "sample_export_fr.csv", sep=mapping["delimiter"], encoding=mapping["encoding"], dtype=str,
                     keep_default_na=False)
    assert list(fr.columns) == list(mapping["columns"])
    assert fr["Date"].str.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}").all()
    assert set(fr["Né à l'étranger"]) == {"oui", "non"}
    back = fr.rename(columns=mapping["columns"])
    for column, table in mapping["values"].items():
        labels = back[column]
        unmapped = set(labels[labels != ""]) - set(table)
        assert not unmapped, f"labels without a mapping in {column}: {unmapped}"
        back[column] = labels.map(table)
    back["timestamp"] = pd.to_datetime(back["timestamp"], format="%d/%m/%Y %H:%M")
    canonical = pd.read_csv(DATA / "sample_caselog.csv", parse_dates=["timestamp"])
    expected = make_sample.export_slice(canonical)
    assert len(back) == len(expected) > 500
    for column in SIMULATED_COLUMNS:
        left, right = back[column].reset_index(drop=True), expected[column].reset_index(drop=True)
        assert (as_text(left) == as_text(right)).all(), column


def test_sample_passes_validation_with_the_planted_problems(sample_log, french_log):
    log, fr = sample_log, french_log  # (loaded once for the session, tests/conftest.py)
    q = log.quality
    assert q.n_cases == 3_000
    assert set(q.set_aside) == {"duplicate_row"}, q.set_aside  # nothing else set aside
    assert q.count("unknown_event") == 0 and q.count("unknown_trigger") == 0 and q.count("unparseable_timestamp") == 0
    kept = q.rows_kept
    for check, share in (("duplicate_row", DEFAULT.duplicate_row_share), ("same_time_tie", DEFAULT.same_time_tie_share)):
        se = math.sqrt(share / kept)
        assert abs(q.count(check) / kept - share) <= Z * se, (check, q.count(check), kept)
    # Order violations are the dossiers sent on an NIA (and only those).
    sample = pd.read_csv(DATA / "sample_caselog.csv", parse_dates=["timestamp"])
    times = first_times(sample)
    submitted = times["dossier_submitted"]
    before_number = (submitted < times["nir_permanent"]) | (submitted.notna() & times["nir_permanent"].isna())
    early = set(times.index[before_number])
    flagged = set(q.failures.loc[q.failures["check"] == "order_violation", "case_id"])
    assert flagged and flagged <= early
    # The French export of a slice validates to the same events as that slice of the canonical file.
    assert set(fr.quality.set_aside) <= {"duplicate_row"}
    assert fr.quality.count("unknown_event") == 0 and fr.quality.count("unknown_trigger") == 0
    cols = ["case_id", "event", "timestamp", "trigger", "office", "channel", "route", "born_abroad", "advisor"]
    ours = log.events[log.events["case_id"].isin(set(fr.events["case_id"]))][cols].reset_index(drop=True)
    theirs = fr.events[cols].reset_index(drop=True)
    assert len(ours) == len(theirs)
    for column in cols:
        assert (as_text(ours[column]) == as_text(theirs[column])).all(), column


# ------------------------------------------------------------------ drift over time
# SimulationParams.delay_drift_per_year. The expected growth is worked out from the
# parameter alone: a wait begun y years after start is exp(drift · y) times longer, so
# two cohorts whose waits begin, in distribution, Δ years apart differ by exp(drift · Δ)
# in their median (the log of the wait is its log-normal draw plus drift · y; shifting
# every y by Δ shifts every quantile of the log by drift · Δ).
DRIFT_START, DRIFT_AS_OF = "2024-01-01", "2025-06-30"
FIRST_QUARTER = (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-04-01"))
LAST_QUARTER = (pd.Timestamp("2024-10-01"), pd.Timestamp("2025-01-01"))
DRIFT_N = 20_000
DRIFT = 0.5

# One kind of dossier, so that the rights phase is a single log-normal wait:
# no triggers (no complement loop, no stall), everyone online with a permanent
# number already, offices at one speed, nobody abandons or takes the salaried route.
PLAIN = replace(
    SimulationParams(), trigger_probability={}, born_abroad_share=0.0, postal_share=0.0,
    office_speed_sigma=0.0, salaried_share=0.0, abandon_share=0.0,
)


def rights_days_by_quarter(params: SimulationParams, seed: int) -> tuple[pd.Series, pd.Series]:
    events = simulate(DRIFT_N, seed=seed, start=DRIFT_START, as_of=DRIFT_AS_OF, params=params)
    times = first_times(events)
    rights = (times["rights_opened"] - times["dossier_submitted"]) / pd.Timedelta(days=1)
    opened = times["registration_submitted"]
    first = rights[(opened >= FIRST_QUARTER[0]) & (opened < FIRST_QUARTER[1])]
    last = rights[(opened >= LAST_QUARTER[0]) & (opened < LAST_QUARTER[1])]
    return first, last


def expected_log_ratio(drift: float) -> float:
    # Starts are spread evenly, so each quarter's starts are centred on its middle; the
    # preparation before the rights phase is the same wait in both (its only drifting part,
    # nir_existing, a 3-day median, moves it by well under a day: negligible).
    first_middle = FIRST_QUARTER[0] + (FIRST_QUARTER[1] - FIRST_QUARTER[0]) / 2
    last_middle = LAST_QUARTER[0] + (LAST_QUARTER[1] - LAST_QUARTER[0]) / 2
    years = (last_middle - first_middle) / pd.Timedelta(days=365.25)
    return drift * years  # 0.5 × 0.75 years ≈ 0.375, a factor of about 1.45


def tolerance(first: pd.Series, last: pd.Series) -> float:
    """Z standard errors of the difference of two log medians, plus 0.03 for the working-time clock.

    The s.e. of a sample median of a log-normal wait, on the log scale, is about
    1.2533 σ / √n (σ = 0.5 for rights_ameli; the spread of start dates within a
    quarter adds drift × 0.072 years of s.d., about 0.04: negligible). 0.03 allows for the
    conversion of calendar days to working time (holidays fall differently in the two quarters)
    and the rounding to the minute, as ``assert_median_days`` in test_simulate does.
    """
    sigma = SimulationParams().rights_ameli.sigma
    se = 1.2533 * sigma * math.sqrt(1 / len(first) + 1 / len(last))
    return Z * se + 0.03


@pytest.mark.parametrize("drift", [DRIFT, -DRIFT, 0.0])
def test_rights_phase_grows_by_the_drift_factor(drift):
    first, last = rights_days_by_quarter(replace(PLAIN, delay_drift_per_year=drift), seed=31)
    assert len(first) > 2_500 and len(last) > 2_500
    # A handful of the last quarter's slowest waits are still running at as_of: they are
    # longer than the median whatever they turn out to be, so count them as infinitely long.
    assert first.isna().mean() < 0.002 and last.isna().mean() < 0.002
    observed = math.log(last.fillna(np.inf).median() / first.fillna(np.inf).median())
    expected = expected_log_ratio(drift)
    tol = tolerance(first, last)
    assert tol < 0.15 < abs(expected_log_ratio(DRIFT))  # the check tells drift from no drift
    assert abs(observed - expected) <= tol, (
        f"drift {drift}: last/first quarter median {math.exp(observed):.3f}, expected {math.exp(expected):.3f} "
        f"(log ± {tol:.3f})")


def test_the_first_dossiers_barely_drift():
    """At the start the factor is 1: the first weeks' rights phase is the parameter's own median."""
    events = simulate(DRIFT_N, seed=32, start=DRIFT_START, as_of=DRIFT_AS_OF, params=replace(PLAIN, delay_drift_per_year=DRIFT))
    times = first_times(events)
    early = times[times["registration_submitted"] < pd.Timestamp("2024-01-15")]
    rights = (early["rights_opened"] - early["dossier_submitted"]) / pd.Timedelta(days=1)
    # Submitted about a month in: factor exp(0.5 × ~0.1) ≈ 1.05; allow the sampling error and rounding.
    expected = SimulationParams().rights_ameli.median_days * math.exp(DRIFT * 30 / 365.25)
    se = 1.2533 * 0.5 / math.sqrt(len(rights))
    assert abs(math.log(rights.median() / expected)) <= Z * se + 0.05


def test_drift_zero_is_the_log_from_before(tmp_path):
    """An explicit drift of 0 writes the bundled sample byte for byte (data/make_sample.py's arguments)."""
    events = simulate(3_000, seed=20251, as_of="2025-06-30", params=replace(SimulationParams(), delay_drift_per_year=0.0))
    path = write_events(events, tmp_path / "sample_caselog.csv")
    assert path.read_bytes() == (DATA / "sample_caselog.csv").read_bytes()


def test_drift_changes_only_the_fund_side_waits():
    """Drift takes no random draws: registration (not the fund) is unchanged, each rights phase is longer."""
    # (No planted ties: they are drawn per emitted event, and drift changes which events are emitted.)
    clean = replace(PLAIN, duplicate_row_share=0.0, same_time_tie_share=0.0)
    plain = simulate(2_000, seed=33, start=DRIFT_START, as_of=DRIFT_AS_OF, params=clean)
    drifted = simulate(2_000, seed=33, start=DRIFT_START, as_of=DRIFT_AS_OF, params=replace(clean, delay_drift_per_year=DRIFT))
    a, b = first_times(plain), first_times(drifted)
    # Registration (guichet unique) does not drift: identical.
    accepted = a["registration_accepted"].dropna()
    assert len(accepted) > 1_900 and (accepted == b["registration_accepted"].reindex(accepted.index)).all()
    # The rights phase of each dossier is longer with a positive drift.
    ra = (a["rights_opened"] - a["dossier_submitted"]).dropna()
    rb = (b["rights_opened"] - b["dossier_submitted"]).reindex(ra.index).dropna()
    # (a day of slack: the same working time can span a weekend more or less in wall time)
    assert (rb >= ra.reindex(rb.index) - pd.Timedelta(days=1)).mean() > 0.99


def test_drift_must_be_a_finite_number():
    with pytest.raises(CaseLogError, match="delay_drift_per_year"):
        SimulationParams(delay_drift_per_year=float("nan"))
