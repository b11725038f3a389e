"""Differential tests: the package's analyses against the plain-Python references of ``tests/reference.py``.

Every expected value comes from the references (a loop per dossier, written
from DESIGN.md and the docstrings, importing nothing from the package); the
package is only ever the side under test. Logs are generated from a seed with
NumPy (:func:`random_log`): random milestone orders per dossier (some out of
order, missing or repeated), same-time ties, closed dossiers, other events
(some mapped in ``waiting_on``, some unknown), triggers (known and unknown),
and the case attributes ``office``, ``channel`` and ``route``.

Three groups of tests:

* random logs of 1 to 256 dossiers drawn by hypothesis, on three process
  models and five kinds of ``as_of`` (derandomized: the same examples every
  run; no shrinking, to keep the run short);
* big logs (32,767, 32,768 and 40,000 dossiers: 32-bit case codes), built once
  per module;
* integer-width edges: logs whose numbers of dossiers, event names and
  trigger names put the package's categorical codes at the top of 8 bits, the
  bottom of 16 bits, inside 16 bits (5,000 dossiers), the top of 16 bits and
  in 32 bits.

Every call into the package goes through the adapters below: its API is being
reshaped (``case_table`` may return an object with ``.to_frame()``), and only
these few lines would need to follow. ``DataFrame.attrs`` is never read.
"""

from __future__ import annotations

import functools
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

import vitale_analysis as va

try:
    import reference as ref
except ImportError:  # (pytest run with --import-mode=importlib: tests/ is not on sys.path)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import reference as ref


# ============================================================================ adapters (the package's API)
def _frame(result) -> pd.DataFrame:
    """A plain DataFrame of a result that may become an object with ``.to_frame()``."""
    frame = result.to_frame() if hasattr(result, "to_frame") else result
    if "case_id" not in frame.columns and frame.index.name == "case_id":
        frame = frame.reset_index()
    return frame


def _validate(raw: pd.DataFrame, model) -> object:
    with warnings.catch_warnings():  # (duplicates set aside: reported in the quality report, expected here)
        warnings.simplefilter("ignore", va.DataQualityWarning)
        return va.validate(raw, model)


def _events(log) -> pd.DataFrame:
    """The validated events, a plain DataFrame (what the references take)."""
    return log.events


def _spec(model) -> dict:
    """The process model's plain attributes, as the references take them."""
    return dict(milestones=list(model.milestones), phase_keys=list(model.phase_keys),
                close_events=list(model.close_events), waiting_on=dict(model.waiting_on),
                provisional=model.provisional_number_event, permanent=model.permanent_number_event,
                trigger_keys=list(model.triggers), submission_phase=model.submission_phase,
                checks=list(model.checks))


def _cases(log, as_of):
    return _frame(va.case_table(log, as_of=as_of))


def _durations(log, as_of):
    return _frame(va.phase_durations(log, as_of=as_of))


def _phase_summary(log, as_of, by=None):
    return _frame(va.phase_summary(log, as_of=as_of, by=by))


def _trigger_summary(log, as_of, by=None):
    return _frame(va.trigger_summary(log, as_of=as_of, by=by, n_boot=0))  # (counts only: no bootstrap)


def _stalled(log, as_of, thresholds, followup_days):
    return _frame(va.stalled(log, as_of=as_of, thresholds=thresholds, followup_days=followup_days))


def _conformance(log, as_of):
    return _frame(va.conformance(log, as_of=as_of))


def _throughput(log, as_of, freq):
    return _frame(va.throughput(log, as_of=as_of, freq=freq))


def _waiting_on(log, as_of):
    return _frame(va.waiting_on(log, as_of=as_of))


# ============================================================================ process models
CARTE_VITALE = va.CARTE_VITALE  # 8 milestones
PERMIT3 = va.ProcessModel.from_dict({
    "name": "permit3",
    "milestones": ["received", "checked", "decided"],
    "phases": ["intake", "decision"],
    "events": ["info_requested", "info_sent", "reminder_sent"],
    "close_events": ["withdrawn"],
    "waiting_on": {"received": "office", "info_requested": "applicant", "info_sent": "office"},
    "triggers": {"missing_document": {"phase": "intake"}, "late_payment": {"phase": "decision"}},
})
RIGHTS5 = va.ProcessModel.from_dict({  # a submission phase (throughput's rights_opened), number events, the checks
    "name": "rights5",
    "milestones": ["applied", "accepted", "filed", "granted", "used"],
    "phases": ["intake", "preparation", "rights", "use"],
    "events": ["temporary_number", "final_number", "complement_requested", "complement_sent", "complaint_filed",
               "reminder_sent"],
    "close_events": ["withdrawn", "moved_away"],
    "waiting_on": {"applied": "third_party", "accepted": "applicant", "filed": "office",
                   "complement_requested": "applicant", "complement_sent": "office", "granted": "applicant",
                   "final_number": "applicant"},
    "provisional_number_event": "temporary_number",
    "permanent_number_event": "final_number",
    "triggers": {"bad_scan": {"phase": "preparation"}, "no_answer": {"phase": "rights"},
                 "salaried_route": {"phase": "intake"}},
    "submission_phase": "rights",
    "checks": ["submitted_on_nia", "dossier_before_registration", "salaried_route"],
})
MODELS = {"carte_vitale": CARTE_VITALE, "permit3": PERMIT3, "rights5": RIGHTS5}
ATTRIBUTES = ("office", "channel", "route")


# ============================================================================ random logs
#: Events outside some vocabularies: unknown names are kept by validation; the stall reasons look
#: for mediator_referral, complaint_filed and the complement events by name, whatever the process.
EXTRA_EVENTS = ("phone_note", "mediator_referral", "complaint_filed", "complement_requested", "complement_sent")
EXTRA_TRIGGERS = ("unknown_delay",)
_BASE = np.datetime64("2024-01-01T00:00", "ns")
_MINUTES = np.array([0, 9 * 60, 14 * 60 + 30, 17 * 60 + 45])  # 00:00 (midnight events), 09:00, 14:30, 17:45
_MINUTE_P = [0.15, 0.5, 0.2, 0.15]
_DAY = np.timedelta64(1, "D")


def random_log(n_cases: int, seed: int, model, *, span_days: int = 400, other_slots: int = 4,
               extra_events=EXTRA_EVENTS, extra_triggers=EXTRA_TRIGGERS) -> pd.DataFrame:
    """A raw case log (canonical columns plus office, channel, route), vectorised: no loop per dossier.

    Per dossier: a start day; milestones in order up to a random progress
    (about a third complete), each missing with 6 % chance, pulled back by 1–39
    days with 6 % chance (out of order), separated by 0–24 days (0 often: ties
    and same-day inversions between the four times of day); 3 % of dossiers
    reach no milestone at all; sometimes a repeated milestone; up to
    ``other_slots`` other events (the model's, closing events excluded, and
    ``extra_events``) anywhere in the dossier's span; a closing event for 15 %
    (sometimes before the last milestone, so not closing it). A trigger on 8 %
    of rows. Case ids ``D000000``-style (they sort as text); rows shuffled.
    """
    rng = np.random.default_rng(seed)
    milestones = list(model.milestones)
    closes = list(model.close_events)
    others = list(dict.fromkeys([e for e in model.events if e not in milestones and e not in closes]
                                + list(extra_events)))
    names = np.array(milestones + others + (closes or ["-"]), dtype=object)
    n, n_m = n_cases, len(milestones)

    day0 = rng.integers(0, span_days, n)
    progress = np.where(rng.random(n) < 0.3, n_m, rng.integers(0, n_m + 1, n))
    gaps = rng.integers(0, 25, (n, n_m))
    gaps[rng.random((n, n_m)) < 0.15] = 0
    gaps[:, 0] = 0
    m_day = day0[:, None] + np.cumsum(gaps, axis=1)
    m_day -= np.where(rng.random((n, n_m)) < 0.06, rng.integers(1, 40, (n, n_m)), 0)
    m_present = (np.arange(n_m)[None, :] < progress[:, None]) & (rng.random((n, n_m)) > 0.06)
    m_present[rng.random(n) < 0.03] = False
    m_code = np.broadcast_to(np.arange(n_m), (n, n_m))
    last_day = np.where(m_present, m_day, day0[:, None]).max(axis=1)

    rows = np.arange(n)
    rep_code = rng.integers(0, n_m, n)
    rep_present = (rng.random(n) < 0.08) & m_present[rows, rep_code]
    rep_day = m_day[rows, rep_code] + rng.integers(0, 20, n)

    o_code = n_m + rng.integers(0, len(others), (n, other_slots))
    o_day = (day0[:, None] - rng.integers(0, 4, (n, other_slots))
             + (rng.random((n, other_slots)) * (last_day - day0 + 15)[:, None]).astype(np.int64))
    o_present = rng.random((n, other_slots)) < 0.4
    o_present[:, 0] |= ~m_present.any(axis=1)  # every dossier has an event

    c_code = n_m + len(others) + rng.integers(0, max(len(closes), 1), n)
    c_present = (rng.random(n) < 0.15) & bool(closes)
    c_day = last_day + rng.integers(-10, 25, n)

    code = np.concatenate([m_code, rep_code[:, None], o_code, c_code[:, None]], axis=1)
    day = np.concatenate([m_day, rep_day[:, None], o_day, c_day[:, None]], axis=1)
    present = np.concatenate([m_present, rep_present[:, None], o_present, c_present[:, None]], axis=1)
    minute = _MINUTES[rng.choice(len(_MINUTES), size=code.shape, p=_MINUTE_P)]
    case = np.broadcast_to(rows[:, None], code.shape)
    case, code, day, minute = case[present], code[present], day[present], minute[present]
    n_rows = len(case)

    ids = np.array([f"D{i:06d}" for i in rng.choice(10**6, n, replace=False)], dtype=object)
    trigger_names = np.array(list(model.triggers) + list(extra_triggers), dtype=object)
    trigger = np.where(rng.random(n_rows) < 0.08, trigger_names[rng.integers(0, len(trigger_names), n_rows)], None)
    offices = np.array(["CPAM 75", "CPAM 13", "CGSS 974", "CPAM 69", None], dtype=object)
    office = offices[rng.choice(len(offices), n, p=[0.35, 0.3, 0.15, 0.17, 0.03])][case]
    office = np.where(rng.random(n_rows) < 0.04, None, office)  # first non-empty value per dossier
    channel = np.array(["ameli", "postal"], dtype=object)[rng.integers(0, 2, n)][case]
    route = np.array(["self_employed", "salaried", None], dtype=object)[rng.choice(3, n, p=[0.85, 0.05, 0.1])][case]
    timestamp = _BASE + day * _DAY + minute.astype("timedelta64[m]")
    frame = pd.DataFrame({"case_id": ids[case], "event": names[code], "timestamp": timestamp,
                          "trigger": trigger, "office": office, "channel": channel, "route": route})
    return frame.iloc[rng.permutation(n_rows)].reset_index(drop=True)


def wide_log(n_cases: int, seed: int, model, *, event_categories: int | None = None,
             trigger_categories: int | None = None, n_early: int = 30) -> pd.DataFrame:
    """:func:`random_log` plus rows of unknown event names and trigger values (one row per name), so that the
    validated log has exactly ``event_categories`` event names and ``trigger_categories`` trigger names.

    Validation keeps unknown names as categories: the vocabulary first, then
    the unknown names used. All but ``n_early`` of the added rows fall in
    2027, after :data:`WIDE_CUTOFF`: :func:`va.trigger_summary` compares each
    trigger raised up to ``as_of`` on its own, so it is run as of the cutoff
    (a few dozen triggers, still coded in the full width).
    """
    raw = random_log(n_cases, seed, model, extra_triggers=EXTRA_TRIGGERS)
    rng = np.random.default_rng(seed + 1)
    used_events = set(raw["event"]) | set(_vocab(model))  # (the vocabulary is always among the categories)
    used_triggers = set(raw["trigger"].dropna()) | set(model.triggers)
    n_events = 0 if event_categories is None else event_categories - len(used_events)
    n_triggers = 0 if trigger_categories is None else trigger_categories - len(used_triggers)
    assert n_events >= 0 and n_triggers >= 0
    k = max(n_events, n_triggers)
    ids = raw["case_id"].unique()
    late = np.datetime64("2027-01-04T09:00", "ns") + rng.integers(0, 300, k) * _DAY
    early = np.datetime64("2024-03-01T09:00", "ns") + rng.integers(0, 500, k) * _DAY
    is_early = np.zeros(k, dtype=bool)
    is_early[rng.choice(k, min(n_early, k), replace=False)] = True
    extra = pd.DataFrame({
        "case_id": ids[rng.integers(0, len(ids), k)],
        "event": [f"zz_event_{i:05d}" if i < n_events else "phone_note" for i in range(k)],
        "timestamp": np.where(is_early, early, late),
        "trigger": [f"zz_trigger_{i:05d}" if i < n_triggers else None for i in range(k)],
    })
    return pd.concat([raw, extra], ignore_index=True)  # (attributes empty on the added rows)


def _vocab(model) -> list[str]:
    """Every event name the model knows (milestones, other events, closing and number events)."""
    return list(dict.fromkeys([*model.milestones, *model.events, *model.close_events,
                               *[e for e in (model.provisional_number_event, model.permanent_number_event) if e]]))


WIDE_CUTOFF = "2026-12-31"


# ============================================================================ as_of as a user gives it
AS_OF_KINDS = ("none", "bare_date", "event_time", "midnight", "bare_date_before_midnight_event")


def pick_as_of(raw: pd.DataFrame, kind: str, seed: int):
    """An as_of of the given kind, chosen from the raw log's times (never from the package's output).

    ``bare_date``: the date of some event, as ``"YYYY-MM-DD"`` (up to the next
    midnight, excluded); ``event_time``: a Timestamp exactly on some event
    (included); ``midnight``: a Timestamp at an exact midnight some event sits
    on (included); ``bare_date_before_midnight_event``: the day before such an
    event, as a bare date, so that the event sits exactly on the excluded end.
    """
    rng = np.random.default_rng(seed)
    times = pd.Series(raw["timestamp"].to_numpy(dtype="datetime64[ns]"))
    if kind == "none":
        return None
    midnights = times[(times == times.dt.normalize()) & (times > times.min())]
    if kind in ("midnight", "bare_date_before_midnight_event") and len(midnights):
        at = pd.Timestamp(midnights.iloc[rng.integers(len(midnights))])
        return at if kind == "midnight" else (at - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    at = pd.Timestamp(times.iloc[rng.integers(len(times))])
    return at.strftime("%Y-%m-%d") if kind == "bare_date" else at


def thresholds_for(model, seed: int) -> tuple[dict, float]:
    """User-given stall thresholds (days per phase, some 0, some whole) and a follow-up interval."""
    rng = np.random.default_rng(seed)
    days = [0, 2.5, 7, 15, 30, 60]
    return ({p: float(days[rng.integers(len(days))]) for p in model.phase_keys},
            float([0, 7, 14, 30][rng.integers(4)]))


# ============================================================================ comparing
def _plain(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """Columns in comparable form: text (categoricals, strings) as Python str or None; times as
    datetime64[ns]; bools; integers as int64; floats."""
    out = {}
    for c in columns:
        s = frame[c]
        if isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(s.dtype) or s.dtype == object:
            out[c] = pd.Series([None if (v is None or (not isinstance(v, str) and pd.isna(v))) else str(v)
                                for v in s.tolist()], dtype=object)
        elif pd.api.types.is_datetime64_any_dtype(s.dtype):
            out[c] = pd.Series(s.to_numpy(dtype="datetime64[ns]"))
        elif pd.api.types.is_bool_dtype(s.dtype):
            out[c] = pd.Series(s.to_numpy(dtype=bool))
        elif pd.api.types.is_integer_dtype(s.dtype):
            out[c] = pd.Series(s.to_numpy(dtype=np.int64))
        else:
            out[c] = pd.Series(s.to_numpy(dtype=float))
    return pd.DataFrame(out)


def assert_matches(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str], what: str,
                   columns: list[str] | None = None) -> None:
    """Package (``actual``) equals reference (``expected``) on ``columns`` (default: the reference's), both
    sorted by ``keys``; floats within 1e-9 days. On failure, name the first rows that differ."""
    columns = list(expected.columns) if columns is None else columns
    missing = [c for c in columns if c not in actual.columns]
    assert not missing, f"{what}: the package's output has no column(s) {missing}"
    if len(actual) == 0 and len(expected) == 0:
        return
    a = _plain(actual, columns).sort_values(keys, kind="stable", na_position="last").reset_index(drop=True)
    e = _plain(expected, columns).sort_values(keys, kind="stable", na_position="last").reset_index(drop=True)
    if len(a) != len(e) or not a[keys].equals(e[keys]):
        only_a = pd.concat([a[keys], e[keys], e[keys]]).drop_duplicates(keep=False)
        only_e = pd.concat([e[keys], a[keys], a[keys]]).drop_duplicates(keep=False)
        raise AssertionError(f"{what}: rows differ ({len(a)} in the package, {len(e)} in the reference).\n"
                             f"Only in the package:\n{only_a.head(8)}\nOnly in the reference:\n{only_e.head(8)}")
    problems = []
    for c in columns:
        x, y = a[c], e[c]
        if x.dtype == float and y.dtype == float:
            bad = ~((np.isnan(x) & np.isnan(y)) | (np.abs(x - y) <= 1e-9))
        else:
            bad = ~((x.isna() & y.isna()) | (x == y).fillna(False).astype(bool))
        if bad.any():
            rows = pd.DataFrame({**{k: a[k][bad] for k in keys}, "package": x[bad], "reference": y[bad]})
            problems.append(f"column {c!r}: {int(bad.sum())} row(s) differ, e.g.\n{rows.head(6).to_string()}")
    if problems:
        raise AssertionError(f"{what}: " + "\n".join(problems))
    pd.testing.assert_frame_equal(a, e, check_exact=False, atol=1e-9, rtol=0)  # (dtypes and all, once more)


# ============================================================================ the checks, one per analysis
def _case_columns(spec: dict) -> tuple[list[str], list[str]]:
    """(per-dossier columns, phase columns) the case_table docstring names for this process."""
    per_case = ["case_id", "status", "current_phase", "phase_started_at", "days_in_phase", "started_at",
                "last_event", "last_event_at", "closed_at", "completed_at", "n_events", "order_violations"]
    if spec["provisional"] or spec["permanent"]:
        per_case.append("number_status")
    if spec["waiting_on"]:
        per_case.append("waiting_on")
    per_case += ["n_triggers", *[f"{m}_at" for m in spec["milestones"]],
                 *[f"trigger_{k}" for k in spec["trigger_keys"]], *ATTRIBUTES]
    phases = ["case_id", *[f"{p}_{x}" for p in spec["phase_keys"] for x in ("days", "state")]]
    return per_case, phases


class Subject:
    """One validated log with its raw frame, its model and its references (each computed once)."""

    def __init__(self, raw: pd.DataFrame, model, label: str):
        self.raw, self.model, self.label = raw, model, label
        self.log = _validate(raw, model)
        self.events = _events(self.log)
        self.spec = _spec(model)
        self._refs: dict = {}

    def reference(self, name: str, *args, **kw):
        key = (name, args, tuple(sorted(kw.items(), key=lambda kv: kv[0])) if kw else ())
        key = repr(key)
        if key not in self._refs:
            self._refs[key] = getattr(ref, name)(self.events, *args, attributes=ATTRIBUTES, **self.spec, **kw)
        return self._refs[key]


def check_case_table(s: Subject, as_of, seed: int) -> None:
    per_case, _ = _case_columns(s.spec)
    assert_matches(_cases(s.log, as_of), s.reference("case_table", as_of), ["case_id"],
                   f"case_table[{s.label}, as_of={as_of!r}]", per_case)


def check_case_table_phases(s: Subject, as_of, seed: int) -> None:
    _, phases = _case_columns(s.spec)
    assert_matches(_cases(s.log, as_of), s.reference("case_table", as_of), ["case_id"],
                   f"case_table phase columns[{s.label}, as_of={as_of!r}]", phases)


def check_phase_durations(s: Subject, as_of, seed: int) -> None:
    assert_matches(_durations(s.log, as_of), s.reference("phase_durations", as_of), ["case_id", "phase"],
                   f"phase_durations[{s.label}, as_of={as_of!r}]")


def check_phase_summary(s: Subject, as_of, seed: int) -> None:
    assert_matches(_phase_summary(s.log, as_of), s.reference("phase_summary_counts", as_of), ["phase"],
                   f"phase_summary[{s.label}, as_of={as_of!r}]")
    assert_matches(_phase_summary(s.log, as_of, by="office"),
                   s.reference("phase_summary_counts", as_of, by="office"), ["office", "phase"],
                   f"phase_summary by office[{s.label}, as_of={as_of!r}]")


def check_trigger_summary(s: Subject, as_of, seed: int) -> None:
    assert_matches(_trigger_summary(s.log, as_of), s.reference("trigger_summary_counts", as_of), ["trigger"],
                   f"trigger_summary[{s.label}, as_of={as_of!r}]")
    assert_matches(_trigger_summary(s.log, as_of, by="office"),
                   s.reference("trigger_summary_counts", as_of, by="office"), ["office", "trigger"],
                   f"trigger_summary by office[{s.label}, as_of={as_of!r}]")


def check_stalled(s: Subject, as_of, seed: int) -> None:
    thresholds, followup = thresholds_for(s.model, seed)
    expected = ref.stalled(s.events, as_of, thresholds=thresholds, followup_days=followup, **s.spec)
    assert_matches(_stalled(s.log, as_of, thresholds, followup), expected, ["case_id"],
                   f"stalled[{s.label}, as_of={as_of!r}, thresholds={thresholds}, followup_days={followup}]")


def check_conformance(s: Subject, as_of, seed: int) -> None:
    assert_matches(_conformance(s.log, as_of), s.reference("conformance", as_of),
                   ["case_id", "kind", "first_at", "second_at", "first_event"],
                   f"conformance[{s.label}, as_of={as_of!r}]")


def check_throughput_weekly(s: Subject, as_of, seed: int) -> None:
    assert_matches(_throughput(s.log, as_of, "W"), s.reference("throughput", as_of, freq="W"), ["period_start"],
                   f"throughput W[{s.label}, as_of={as_of!r}]")


def check_throughput_monthly(s: Subject, as_of, seed: int) -> None:
    assert_matches(_throughput(s.log, as_of, "M"), s.reference("throughput", as_of, freq="M"), ["period_start"],
                   f"throughput M[{s.label}, as_of={as_of!r}]")


def check_waiting_on(s: Subject, as_of, seed: int) -> None:
    assert_matches(_waiting_on(s.log, as_of), s.reference("waiting_on", as_of), ["case_id"],
                   f"waiting_on[{s.label}, as_of={as_of!r}]")


CHECKS = {
    "case_table": check_case_table,
    "case_table_phases": check_case_table_phases,
    "phase_durations": check_phase_durations,
    "phase_summary": check_phase_summary,
    "trigger_summary": check_trigger_summary,
    "stalled": check_stalled,
    "conformance": check_conformance,
    "throughput_W": check_throughput_weekly,
    "throughput_M": check_throughput_monthly,
    "waiting_on": check_waiting_on,
}


# ============================================================================ random logs (hypothesis)
SIZES = [1, 2, 33, 127, 128, 129, 255, 256]


@functools.lru_cache(maxsize=32)
def _random_subject(n: int, seed: int, model_name: str) -> Subject:
    """Built once per draw and shared by every analysis (the examples repeat across the parametrized tests)."""
    return Subject(random_log(n, seed, MODELS[model_name]), MODELS[model_name], f"{model_name}, {n} dossiers, seed {seed}")


@pytest.mark.parametrize("analysis", list(CHECKS))
@settings(max_examples=20, deadline=None, derandomize=True, database=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
@given(n=st.sampled_from(SIZES), seed=st.integers(0, 2**32 - 1), model=st.sampled_from(list(MODELS)),
       as_of_kind=st.sampled_from(AS_OF_KINDS))
@example(n=33, seed=1, model="carte_vitale", as_of_kind="none")  # 8-bit case codes, as_of cutting nothing
@example(n=256, seed=2, model="rights5", as_of_kind="bare_date_before_midnight_event")
@example(n=128, seed=3, model="permit3", as_of_kind="midnight")
def test_random_logs_agree_with_the_reference(analysis, n, seed, model, as_of_kind):
    subject = _random_subject(n, seed, model)
    as_of = pick_as_of(subject.raw, as_of_kind, seed)
    CHECKS[analysis](subject, as_of, seed)


# ============================================================================ big logs (32-bit case codes)
#: (dossiers, seed, as_of kind): 32,767 is the first count pandas codes in 32 bits.
BIG = [(32_767, 11, "none"), (32_768, 12, "none"), (40_000, 13, "bare_date")]
BIG_CHECKS = ["case_table", "case_table_phases", "phase_durations", "throughput_M", "waiting_on", "conformance",
              "stalled"]


@pytest.fixture(scope="module")
def big_subjects():
    return {n: Subject(random_log(n, seed, CARTE_VITALE), CARTE_VITALE, f"carte_vitale, {n} dossiers")
            for n, seed, _ in BIG}


@pytest.mark.slow  # logs of up to 32,768 dossiers: about 10 s
@pytest.mark.parametrize("analysis", BIG_CHECKS)
@pytest.mark.parametrize("n, seed, as_of_kind", BIG, ids=[str(n) for n, _, _ in BIG])
def test_big_logs_agree_with_the_reference(big_subjects, analysis, n, seed, as_of_kind):
    subject = big_subjects[n]
    case_id = _events(subject.log)["case_id"]
    assert case_id.nunique() == n and str(case_id.cat.codes.dtype) == "int32"  # (what these logs are for)
    CHECKS[analysis](subject, pick_as_of(subject.raw, as_of_kind, seed), seed)


# ============================================================================ integer-width edges
#: label → (dossiers, event names, trigger names, code widths the validated log must have).
WIDE = {
    "8-bit top: 126 dossiers, 126 events, 126 triggers": (126, 126, 126, ("int8", "int8", "int8")),
    "16-bit bottom: 127 dossiers, 127 events, 127 triggers": (127, 127, 127, ("int16", "int16", "int16")),
    "16-bit: 5,000 dossiers": (5_000, None, None, ("int16", "int8", "int8")),
    "16-bit top: 32,766 dossiers, events, triggers": (32_766, 32_766, 32_766, ("int16", "int16", "int16")),
    "32-bit events and triggers: 32,767 each, 2,000 dossiers": (2_000, 32_767, 32_767, ("int16", "int32", "int32")),
}


@pytest.fixture(scope="module")
def wide_subjects():
    built: dict[str, Subject] = {}

    def get(label: str) -> Subject:
        if label not in built:
            n, n_events, n_triggers, _ = WIDE[label]
            raw = wide_log(n, 100 + n, CARTE_VITALE, event_categories=n_events, trigger_categories=n_triggers)
            built[label] = Subject(raw, CARTE_VITALE, label)
        return built[label]

    return get


@pytest.mark.parametrize("label", list(WIDE))
def test_wide_log_has_the_intended_code_widths(wide_subjects, label):
    n, n_events, n_triggers, widths = WIDE[label]
    events = _events(wide_subjects(label).log)
    assert events["case_id"].nunique() == n
    if n_events is not None:
        assert len(events["event"].cat.categories) == n_events
    if n_triggers is not None:
        assert len(events["trigger"].cat.categories) == n_triggers
    assert tuple(str(events[c].cat.codes.dtype) for c in ("case_id", "event", "trigger")) == widths


@pytest.mark.slow  # every analysis at each code width: about 10 s
@pytest.mark.parametrize("analysis", list(CHECKS))
@pytest.mark.parametrize("label", list(WIDE))
def test_wide_logs_agree_with_the_reference(wide_subjects, label, analysis):
    subject = wide_subjects(label)
    # as_of=None keeps the validated codes as they are (no cut); the trigger summary compares each
    # trigger raised up to as_of on its own, so it stops before the thousands of added ones.
    as_of = WIDE_CUTOFF if analysis == "trigger_summary" else None
    CHECKS[analysis](subject, as_of, 0)


# ============================================================================ presentation at every code width
PRESENTATION_WIDTHS = ["8-bit top: 126 dossiers, 126 events, 126 triggers",
                       "16-bit bottom: 127 dossiers, 127 events, 127 triggers", "16-bit: 5,000 dossiers"]


@pytest.mark.slow  # charts, a report and the explorers per width: about 9 s
@pytest.mark.parametrize("label", PRESENTATION_WIDTHS)
def test_charts_report_and_widgets_at_every_code_width(wide_subjects, label, tmp_path):
    """The chart tables, the report and the explorers on logs whose codes are 8- and 16-bit: each
    shows what the analyses (checked against the references above) give for the same table."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from vitale_analysis import chartdata, plots, report
    from vitale_analysis.labels import with_next_actions
    from vitale_analysis.widgets import CaseloadExplorer, CaseViewer, StallExplorer, TriggerExplorer

    log = wide_subjects(label).log
    cases = va.case_table(log, as_of=WIDE_CUTOFF)
    open_cases = _frame(cases)["status"] == "open"
    ages = chartdata.open_by_age(cases)
    assert int(ages["n"].sum()) == int(open_cases.sum())
    worklist = va.stalled(cases)
    matrix = chartdata.stalled_matrix(worklist, cases=cases, thresholds=va.phase_thresholds(cases))
    assert int(matrix.to_numpy().sum()) == len(worklist)
    first = str(cases["case_id"].iloc[0])
    for ax in (plots.plot_phase_durations(chartdata.phase_quartiles(cases)), plots.plot_open_by_age(ages),
               plots.plot_stalled_heatmap(matrix), plots.plot_dossier_timeline(chartdata.dossier_timeline(cases, first)),
               plots.plot_wip(va.throughput(cases, freq="M"), population=cases)):
        plt.close(ax.figure)

    tables = report.report_tables(log, as_of=WIDE_CUTOFF)
    pd.testing.assert_frame_equal(tables.cases.to_frame(), cases.to_frame())
    assert len(tables.worklist) == len(worklist)
    html, xlsx = report.write_report(tables, tmp_path, charts=report.report_charts(tables))
    assert html.stat().st_size > 0 and xlsx.stat().st_size > 0
    plt.close("all")

    explorer = CaseloadExplorer(log, as_of=WIDE_CUTOFF)
    pd.testing.assert_frame_equal(explorer.result, va.phase_summary(cases))
    stall = StallExplorer(log, as_of=WIDE_CUTOFF, output_dir=tmp_path)
    pd.testing.assert_frame_equal(stall.result, with_next_actions(worklist, log.process))
    TriggerExplorer(log, as_of=WIDE_CUTOFF)
    CaseViewer(log, as_of=WIDE_CUTOFF, case_id=first)
    plt.close("all")
