"""Stalled dossiers: the follow-up worklist, with the next action for each.

A dossier is **stalled** when it is open and its days in the current phase
exceed that phase's threshold: by default the caseload's 90th percentile for
the phase (Kaplan–Meier, so open dossiers count), or days given per phase.

The next action depends on the dossier's history, checked in this order:

1. the médiateur already has it → wait for the médiateur (``mediator``);
2. a complaint is filed → refer to the médiateur (``complaint``);
3. only a provisional number (NIA) is held, before the dossier is sent →
   wait for or chase the permanent number, do not submit (``nia_only``);
4. a complement was requested and not yet sent → chase the applicant for the
   named document (``complement_pending``);
5. nothing has happened for longer than the follow-up interval → secure
   message or 3646 with the evidence pack (``no_movement``);
6. otherwise the phase's own next action (``phase_action``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .cases import _sorted_phase, case_table
from .codes import case_positions
from .cohorts import as_cases
from .errors import CaseLogError
from .km import km_quantiles_sorted, thread_map
from .timeutil import elapsed_days
from .validate import CaseLog

__all__ = ["stalled", "phase_thresholds", "NEXT_ACTION_REASONS"]

NEXT_ACTION_REASONS = ("mediator", "complaint", "nia_only", "complement_pending", "no_movement", "phase_action")
_COLUMNS = ["case_id", "office", "phase", "phase_label", "days_in_phase", "threshold_days", "days_over",
            "waiting_on", "last_event", "last_event_at", "days_since_last_event", "reason", "next_action"]


def phase_thresholds(cases: pd.DataFrame, phases, *, percentile: float = 90,
                     thresholds: Mapping[str, float] | None = None) -> dict[str, float]:
    """Days after which a dossier counts as stalled, per phase.

    Default: the caseload's ``percentile`` for the phase, from Kaplan–Meier
    (finished dossiers, and open or closed ones as censored). When too many are
    still open for the curve to fall that low, the same percentile of all the
    days observed in the phase is used instead. ``thresholds`` overrides any
    phase with the advisor's own number of days.
    """
    given = dict(thresholds or {})
    unknown = sorted(set(given) - set(phases))
    if unknown:
        raise CaseLogError(f"thresholds: unknown phase(s) {unknown}; phases are {list(phases)}.")
    bad = {k: v for k, v in given.items() if not (isinstance(v, (int, float)) and v >= 0)}
    if bad:
        raise CaseLogError(f"thresholds: days must be numbers ≥ 0, got {bad}.")
    if not 0 < percentile < 100:
        raise CaseLogError(f"percentile={percentile} must be between 0 and 100.")
    def estimate(phase: str) -> float:
        if phase in given:
            return float(given[phase])
        days, finished = _sorted_phase(cases, phase)  # (sorted once, shared with phase_summary)
        value = km_quantiles_sorted(days, finished, (1 - percentile / 100,))[0]
        if np.isinf(value):
            value = float(np.percentile(days, percentile))
        return float(value)

    return dict(zip(phases, thread_map(estimate, phases)))  # phases are independent


def _history(log: CaseLog, cases: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """Per case of ``cases[keep]``, from its events up to as_of: complaint, médiateur, pending complement."""
    events = log.events
    as_of = cases.attrs["as_of"]
    inclusive = cases.attrs.get("as_of_inclusive", True)
    times = events["timestamp"]
    pos = case_positions(events["case_id"], cases["case_id"])
    pos[~((times <= as_of) if inclusive else (times < as_of)).to_numpy(dtype=bool)] = -1
    n = len(cases)
    event = events["event"]
    names = list(event.cat.categories)
    codes = event.cat.codes.to_numpy()

    def rows_of(name):
        if name not in names:
            return np.zeros(0, dtype=np.int64)
        rows = np.flatnonzero(codes == names.index(name))
        return rows[pos[rows] >= 0]

    def any_of(name):
        return np.bincount(pos[rows_of(name)], minlength=n) > 0

    def last_index(name):
        idx = np.full(n, -1, dtype=np.int64)
        rows = rows_of(name)
        idx[pos[rows]] = rows  # events are in time order: the last one wins
        return idx

    req, sent = last_index("complement_requested")[keep], last_index("complement_sent")[keep]
    pending = (req >= 0) & (req > sent)
    trigger = np.full(len(req), None, dtype=object)
    if pending.any():
        taken = events["trigger"].array.take(req[pending])
        trigger[pending] = np.where(taken.isna(), None, np.asarray(taken, dtype=object))
    return pd.DataFrame(
        {
            "mediator": any_of("mediator_referral")[keep],
            "complaint": any_of("complaint_filed")[keep],
            "complement_pending": pending,
            "complement_trigger": pd.array(trigger, dtype=object),
        }
    )


def stalled(
    log: CaseLog,
    *,
    as_of=None,
    thresholds: Mapping[str, float] | None = None,
    percentile: float = 90,
    followup_days: float = 14,
    cases: pd.DataFrame | None = None,
    days: str = "calendar",
    lang: str = "en",
) -> pd.DataFrame:
    """The follow-up worklist: open dossiers past their phase's threshold, with the next action.

    Parameters
    ----------
    log : CaseLog
        The validated log (its events decide the next action).
    as_of : date-like, optional
        Default: the log's latest event.
    thresholds : dict, optional
        Days per phase key, e.g. ``{"rights": 45}``; phases not given use the
        default (see :func:`phase_thresholds`).
    percentile : float
        The caseload percentile used as the default threshold (90).
    followup_days : float
        The follow-up interval: with no event for longer than this, the next
        action is a secure message or a 3646 call with the evidence pack. There
        is no published value; 14 days is this toolkit's default assumption.
    cases : DataFrame, optional
        A precomputed, possibly filtered, case table of this log.
    days : {"calendar", "working"}
    lang : {"en", "fr"}

    Returns
    -------
    DataFrame
        ``case_id``, ``office`` (when the log has it), ``phase``,
        ``phase_label``, ``days_in_phase``, ``threshold_days``, ``days_over``,
        ``waiting_on``, ``last_event``, ``last_event_at``,
        ``days_since_last_event``, ``reason`` (one of
        :data:`NEXT_ACTION_REASONS`) and ``next_action``, sorted by
        ``days_over`` (largest first). ``attrs["thresholds"]`` holds the
        thresholds used.
    """
    if not isinstance(log, CaseLog):
        raise CaseLogError(
            f"stalled needs the events: pass the CaseLog from load(), got {type(log).__name__}. "
            "A filtered case table can be given as cases=."
        )
    if not (isinstance(followup_days, (int, float)) and followup_days >= 0):
        raise CaseLogError(f"followup_days={followup_days!r} must be a number of days ≥ 0.")
    process = log.process
    cases = case_table(log, as_of=as_of, days=days) if cases is None else as_cases(cases, as_of=as_of, days=days)
    days = cases.attrs.get("days", days)
    phases = list(process.phase_keys)
    limits = phase_thresholds(cases, phases, percentile=percentile, thresholds=thresholds)

    open_cases = (cases["status"] == "open").to_numpy(dtype=bool)
    phase = cases["current_phase"]
    if isinstance(phase.dtype, pd.CategoricalDtype):  # one lookup per phase, not per dossier
        per_code = np.array([limits.get(str(p), np.nan) for p in phase.cat.categories] + [np.nan], dtype=float)
        threshold = per_code[phase.cat.codes.to_numpy()]
    else:
        threshold = phase.astype(object).map(limits).to_numpy(dtype=float)
    over = open_cases & (cases["days_in_phase"].to_numpy(dtype=float) > threshold)
    work = cases[over].reset_index(drop=True)
    history = _history(log, cases, over)

    as_of_ts = cases.attrs["as_of"]
    last_at = work["last_event_at"]
    aware = last_at.dt.tz is not None

    def ns(series):
        if aware:
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        return series.to_numpy(dtype="datetime64[ns]").astype(np.int64)

    as_of_naive = as_of_ts.tz_convert("UTC").tz_localize(None) if as_of_ts.tzinfo is not None else as_of_ts
    since_last = elapsed_days(ns(last_at), int(pd.Timestamp(as_of_naive).as_unit("ns").value), days=days, aware=aware)

    number = work["number_status"].astype(object).to_numpy() if "number_status" in work else np.full(len(work), None)
    submit_index = phases.index("rights") if "rights" in phases else len(phases)
    before_submission = np.array([phases.index(p) < submit_index for p in work["current_phase"].astype(object)], dtype=bool)
    reason = np.select(
        [
            history["mediator"].to_numpy(),
            history["complaint"].to_numpy(),
            (number == "nia") & before_submission,
            history["complement_pending"].to_numpy(),
            since_last > followup_days,
        ],
        list(NEXT_ACTION_REASONS[:-1]),
        default="phase_action",
    )
    current = work["current_phase"].astype(object).to_numpy()
    said: dict = {}  # (reason, phase, trigger) → the action: a few dozen distinct ones
    actions = [said[k] if k in said else said.setdefault(k, _action(process, *k, lang))
               for k in zip(reason.tolist(), current.tolist(), history["complement_trigger"].tolist())]
    label_of = {p: process.phase(p).label_in(lang) for p in set(current.tolist())}

    out = pd.DataFrame(
        {
            "case_id": work["case_id"],
            "office": work["office"] if "office" in work else pd.Series(pd.NA, index=work.index, dtype="string"),
            "phase": work["current_phase"],
            "phase_label": [label_of[p] for p in current.tolist()],
            "days_in_phase": work["days_in_phase"],
            "threshold_days": threshold[over],
            "days_over": work["days_in_phase"] - threshold[over],
            "waiting_on": work["waiting_on"] if "waiting_on" in work else pd.NA,
            "last_event": work["last_event"],
            "last_event_at": last_at,
            "days_since_last_event": since_last,
            "reason": pd.Categorical(reason, categories=list(NEXT_ACTION_REASONS)),
            "next_action": actions,
        },
        columns=_COLUMNS,
    )
    if "office" not in cases:
        out = out.drop(columns="office")
    out = out.sort_values(["days_over", "case_id"], ascending=[False, True], kind="mergesort").reset_index(drop=True)
    out.attrs.update(as_of=as_of_ts, thresholds=limits, followup_days=followup_days, days=days)
    return out


def _action(process, reason: str, phase: str, trigger, lang: str) -> str:
    if reason == "mediator":
        return process.mediator_action[lang] or process.complaint_action[lang]
    if reason == "complaint":
        return process.complaint_action[lang]
    if reason == "nia_only":
        return process.nia_action[lang]
    if reason == "complement_pending":
        model = process.triggers.get(trigger) if isinstance(trigger, str) else None
        document = model.label_in(lang) if model else ("document demandé" if lang == "fr" else "the requested document")
        return process.complement_action[lang].replace("{document}", document)
    if reason == "no_movement":
        pack = process.evidence_pack[lang]
        label = "Dossier de preuves" if lang == "fr" else "Evidence pack"
        return f"{process.followup_action[lang]} {label} : {pack}." if lang == "fr" else f"{process.followup_action[lang]} {label}: {pack}."
    return process.phase(phase).next_action[lang]
