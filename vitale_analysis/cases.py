"""The per-case table and phase durations, as defined in DESIGN.md.

Definitions every function shares
---------------------------------
* Milestone times are the **first** time each milestone is reached.
* Phase ``i`` runs from milestone ``i`` to milestone ``i + 1`` (first times), in
  days (float).
* ``as_of`` defaults to the log's latest timestamp, never the wall clock.
  Events after ``as_of`` are ignored: the table is the caseload as it stood then.
* A case is **complete** when it reached the last milestone, **closed** when a
  closing event (``case_closed``) came after its last milestone and it is not
  complete, **open** otherwise.
* An open case is in the phase after the furthest milestone it reached; a
  closed case stays in the phase it was in when closed. A case that never
  reached the start milestone is taken to start, in the first phase, at its
  first event (validation flags it ``no_start_milestone``).
* A milestone first reached before an earlier milestone is an **order
  violation**: it is counted, and the phase it ends gets no duration (never a
  negative one).

The vectorised core works on integer codes and an ``(n_cases, n_milestones)``
array of nanosecond times; there is no Python loop per case.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import CaseLogError
from .process import ProcessModel
from .timeutil import NAT, check_days, elapsed_days
from .validate import CaseLog, _after_as_of, _is_bare_date, _to_as_of

__all__ = ["case_table", "phase_durations", "PHASE_STATES"]

_NAT = NAT

#: States of a (case, phase) row in :func:`phase_durations`.
PHASE_STATES = {
    "finished": "start and end milestones reached in order; days = end - start",
    "open": "start reached, still in this phase at as_of; days so far (censored)",
    "closed": "start reached, case closed in this phase; days until closing (censored)",
    "out_of_order": "end milestone reached before the start milestone; no duration",
    "start_missing": "end milestone reached, start milestone never recorded; no duration",
    "end_missing": "start reached, end never recorded but a later milestone was; no duration",
}


def _violations_from_times(times: np.ndarray):
    """Order violations from an int64 array of first milestone times (NaT = int64 min).

    Returns ``(viol, culprit)``: ``viol[c, j]`` is True when milestone ``j`` was
    first reached strictly before some earlier milestone ``i < j``; ``culprit``
    is the earlier milestone reached latest (the one it "jumped").
    """
    n_cases, n_m = times.shape
    viol = np.zeros((n_cases, n_m), dtype=bool)
    culprit = np.full((n_cases, n_m), -1, dtype=np.int64)
    if n_m < 2:
        return viol, culprit
    run_max = times[:, 0].copy()
    run_arg = np.zeros(n_cases, dtype=np.int64)
    for j in range(1, n_m):
        t = times[:, j]
        reached = t != _NAT
        viol[:, j] = reached & (run_max != _NAT) & (t < run_max)
        culprit[:, j] = np.where(viol[:, j], run_arg, -1)
        later = t > run_max
        run_arg = np.where(later, j, run_arg)
        run_max = np.maximum(run_max, t)
    return viol, culprit


@dataclass(frozen=True)
class _Core:
    """Per-case arrays shared by the case table and the phase durations."""

    case_ids: np.ndarray  # case id per case, sorted
    times: np.ndarray  # (n_cases, n_milestones) int64 ns, _NAT when not reached
    first_ns: np.ndarray
    last_ns: np.ndarray
    last_idx: np.ndarray  # row of the last event per case (into ev)
    closed_ns: np.ndarray  # time of the closing event, _NAT unless closed
    status: np.ndarray  # "open" / "complete" / "closed"
    furthest: np.ndarray  # index of the furthest milestone reached, -1 if none
    as_of_ns: int
    as_of: pd.Timestamp
    aware: bool
    codes: np.ndarray  # case code per event of ev
    ev: pd.DataFrame  # events up to as_of
    process: ProcessModel


def _core(log: CaseLog, as_of) -> _Core:
    if not isinstance(log, CaseLog):
        raise CaseLogError(
            f"Expected a CaseLog (from load() or validate()), got {type(log).__name__}. "
            "Run vitale_analysis.load(path) first."
        )
    process = log.process
    events = log.events
    tz = events["timestamp"].dt.tz
    as_of_ts = _to_as_of(as_of, tz is not None)
    if as_of_ts is None:
        as_of_ts = events["timestamp"].max()
    ev = events[~_after_as_of(events["timestamp"], as_of, as_of_ts)] if as_of is not None else events
    if ev.empty:
        raise CaseLogError(
            f"No event on or before as_of={as_of_ts}; the log starts on {events['timestamp'].min()}. "
            "Choose a later as_of."
        )
    ts = ev["timestamp"]
    if tz is not None:
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    t_ns = ts.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    as_of_naive = as_of_ts.tz_convert("UTC").tz_localize(None) if as_of_ts.tzinfo is not None else as_of_ts
    as_of_ns = int(pd.Timestamp(as_of_naive).as_unit("ns").value)

    codes, case_ids = pd.factorize(ev["case_id"], sort=False)  # ev is sorted by case_id
    n = len(case_ids)
    n_m = len(process.milestones)
    boundary = np.flatnonzero(np.diff(codes)) + 1
    first_idx = np.r_[0, boundary]
    last_idx = np.r_[boundary - 1, len(codes) - 1]

    ev_names = ev["event"].astype(object).to_numpy()
    m_index = pd.Series(range(n_m), index=list(process.milestones))
    midx = pd.Series(ev_names).map(m_index).to_numpy()
    is_m = ~np.isnan(midx)
    times = np.full((n, n_m), _NAT, dtype=np.int64)
    # Events are sorted by time within a case: the first occurrence is the first time.
    mc, mm, mt = codes[is_m], midx[is_m].astype(np.int64), t_ns[is_m]
    flat = mc * n_m + mm
    _, first_pos = np.unique(flat, return_index=True)
    times[mc[first_pos], mm[first_pos]] = mt[first_pos]

    reached = times != _NAT
    furthest = np.where(reached.any(axis=1), n_m - 1 - np.argmax(reached[:, ::-1], axis=1), -1)
    last_milestone_ns = np.where(reached, times, _NAT).max(axis=1)
    last_ms_any = np.full(n, _NAT, dtype=np.int64)
    if is_m.any():
        np.maximum.at(last_ms_any, mc, mt)  # latest milestone event of any repeat

    close_mask = np.isin(ev_names, list(process.close_events))
    last_close = np.full(n, _NAT, dtype=np.int64)
    if close_mask.any():
        np.maximum.at(last_close, codes[close_mask], t_ns[close_mask])
    complete = reached[:, -1]
    closed = ~complete & (last_close != _NAT) & (last_close >= np.maximum(last_milestone_ns, last_ms_any))
    status = np.where(complete, "complete", np.where(closed, "closed", "open"))
    closed_ns = np.where(closed, last_close, _NAT)
    return _Core(
        case_ids=np.asarray(case_ids, dtype=object),
        times=times,
        first_ns=t_ns[first_idx],
        last_ns=t_ns[last_idx],
        last_idx=last_idx,
        closed_ns=closed_ns,
        status=status,
        furthest=furthest,
        as_of_ns=as_of_ns,
        as_of=as_of_ts,
        aware=tz is not None,
        codes=codes,
        ev=ev,
        process=process,
    )


def _to_time(ns: np.ndarray, like: pd.Series) -> pd.Series:
    out = pd.Series(ns.astype("datetime64[ns]"))
    out[ns == _NAT] = pd.NaT
    tz = like.dt.tz
    return out.dt.tz_localize("UTC") if tz is not None else out


@dataclass(frozen=True)
class _Phases:
    """Per (case, phase): state, days, start and end times (int64 ns)."""

    state: np.ndarray  # (n_cases, n_phases) object: a PHASE_STATES key, or "" (never entered)
    days: np.ndarray  # (n_cases, n_phases) float
    starts: np.ndarray
    ends: np.ndarray


def _phase_matrix(core: _Core, days: str) -> _Phases:
    n_m = len(core.process.milestones)
    starts = core.times[:, :-1].copy()
    ends = core.times[:, 1:]
    # A case without any milestone starts, in the first phase, at its first event.
    no_milestone = core.furthest < 0
    starts[no_milestone, 0] = core.first_ns[no_milestone]
    furthest = np.where(no_milestone, 0, core.furthest)

    s_ok = starts != _NAT
    e_ok = ends != _NAT
    current = np.arange(n_m - 1)[None, :] == furthest[:, None]
    is_open = (core.status == "open")[:, None]
    is_closed = (core.status == "closed")[:, None]
    state = np.full(starts.shape, "", dtype=object)
    state[s_ok & e_ok & (ends >= starts)] = "finished"
    state[s_ok & e_ok & (ends < starts)] = "out_of_order"
    state[~s_ok & e_ok] = "start_missing"
    state[s_ok & ~e_ok & current & is_open] = "open"
    state[s_ok & ~e_ok & current & is_closed] = "closed"
    state[s_ok & ~e_ok & ~current] = "end_missing"

    until = np.where(state == "finished", ends, _NAT)
    until = np.where(state == "open", core.as_of_ns, until)
    until = np.where(state == "closed", core.closed_ns[:, None], until)
    values = elapsed_days(np.where(until != _NAT, starts, _NAT), until, days=days, aware=core.aware)
    return _Phases(state=state, days=values, starts=np.where(s_ok, starts, _NAT), ends=ends)


def case_table(log: CaseLog, *, as_of=None, days: str = "calendar") -> pd.DataFrame:
    """One row per dossier: status, current phase, days in phase, milestones, triggers.

    Parameters
    ----------
    log : CaseLog
        From :func:`load` or :func:`validate`.
    as_of : date-like, optional
        The date the table describes; default the log's latest timestamp.
        A bare date (``"2025-06-30"``) means the end of that day.
    days : {"calendar", "working"}
        Durations in calendar days (float) or whole French working days.

    Returns
    -------
    DataFrame
        Sorted by ``case_id``, with columns

        ``case_id``; ``status`` (``open`` / ``complete`` / ``closed``);
        ``current_phase`` (phase key; empty when complete), ``phase_started_at``,
        ``days_in_phase`` (to ``as_of`` when open, to the closing when closed);
        ``started_at`` (start milestone, else first event), ``last_event``,
        ``last_event_at``, ``closed_at``, ``completed_at``, ``n_events``;
        ``order_violations`` (milestones reached before an earlier one);
        ``number_status`` (``none`` / ``nia`` / ``permanent``, from events,
        when the process defines them); ``waiting_on`` (after the last event
        that says so; open cases only); ``n_triggers``; ``<milestone>_at`` for
        each milestone (first time reached); ``trigger_<key>`` (bool) for each
        trigger of the process; then the case attributes (first non-empty value).
        ``df.attrs["as_of"]`` holds the as_of used.

    Examples
    --------
    >>> from vitale_analysis import load, case_table
    >>> cases = case_table(load("data/sample_caselog.csv"), as_of="2025-06-30")  # doctest: +SKIP
    >>> cases["status"].value_counts()  # doctest: +SKIP
    """
    check_days(days)
    core = _core(log, as_of)
    process = core.process
    ev = core.ev
    n = len(core.case_ids)
    n_m = len(process.milestones)
    phases = list(process.phase_keys)
    like = ev["timestamp"]

    furthest = core.furthest
    in_phase = core.status != "complete"
    phase_idx = np.where(in_phase, np.clip(furthest, 0, n_m - 2), -1)
    phase_start = np.where(
        furthest >= 0,
        core.times[np.arange(n), np.clip(furthest, 0, n_m - 1)],
        core.first_ns,
    )
    phase_start = np.where(in_phase, phase_start, _NAT)
    phase_end = np.where(core.status == "open", core.as_of_ns, core.closed_ns)
    days_in_phase = elapsed_days(np.where(in_phase, phase_start, _NAT), phase_end, days=days, aware=core.aware)

    viol, _ = _violations_from_times(core.times)
    counts = np.bincount(core.codes, minlength=n)

    out = pd.DataFrame({"case_id": pd.array(core.case_ids, dtype="string")})
    out["status"] = pd.Categorical(core.status, categories=["open", "complete", "closed"])
    out["current_phase"] = pd.Categorical.from_codes(phase_idx, categories=phases, ordered=True)
    out["phase_started_at"] = _to_time(phase_start, like)
    out["days_in_phase"] = days_in_phase
    started = np.where(core.times[:, 0] != _NAT, core.times[:, 0], core.first_ns)
    out["started_at"] = _to_time(started, like)
    out["last_event"] = pd.Categorical(
        ev["event"].to_numpy()[core.last_idx], categories=ev["event"].cat.categories
    )
    out["last_event_at"] = _to_time(core.last_ns, like)
    out["closed_at"] = _to_time(core.closed_ns, like)
    out["completed_at"] = _to_time(core.times[:, -1], like)
    out["n_events"] = counts
    out["order_violations"] = viol.sum(axis=1)

    names = ev["event"].astype(object).to_numpy()
    if process.permanent_number_event or process.provisional_number_event:
        has_perm = _any_per_case(names == process.permanent_number_event, core.codes, n)
        has_prov = _any_per_case(names == process.provisional_number_event, core.codes, n)
        out["number_status"] = pd.Categorical(
            np.where(has_perm, "permanent", np.where(has_prov, "nia", "none")),
            categories=["none", "nia", "permanent"],
        )

    if process.waiting_on:
        party = pd.Series(names).map(dict(process.waiting_on)).to_numpy(dtype=object)
        mapped = pd.notna(party)
        last_party = np.full(n, None, dtype=object)
        # Events are in time order: the last assignment per case wins.
        idx = np.flatnonzero(mapped)
        last_party[core.codes[idx]] = party[idx]
        last_party[core.status != "open"] = None
        out["waiting_on"] = pd.Categorical(last_party, categories=["applicant", "office", "third_party"])

    trig = ev["trigger"]
    out["n_triggers"] = np.bincount(core.codes[trig.notna().to_numpy()], minlength=n)
    for j, milestone in enumerate(process.milestones):
        out[f"{milestone}_at"] = _to_time(core.times[:, j], like)
    trig_codes = trig.cat.codes.to_numpy()
    for j, key in enumerate(process.triggers):
        out[f"trigger_{key}"] = _any_per_case(trig_codes == j, core.codes, n)
    matrix = _phase_matrix(core, days)
    states = list(PHASE_STATES)
    for j, key in enumerate(phases):
        out[f"{key}_days"] = matrix.days[:, j]
        col = matrix.state[:, j]
        codes = np.full(n, -1, dtype=np.int8)
        for k, name in enumerate(states):
            codes[col == name] = k
        out[f"{key}_state"] = pd.Categorical.from_codes(codes, categories=states)

    attrs = list(log.case_attributes)
    if attrs:
        first = ev[attrs].groupby(core.codes, sort=True, observed=True).first()
        for column in attrs:
            values = first[column].reindex(range(n))
            out[column] = values.to_numpy() if not isinstance(values.dtype, pd.CategoricalDtype) else values.values
            if isinstance(ev[column].dtype, pd.CategoricalDtype):
                out[column] = pd.Categorical(out[column], categories=ev[column].cat.categories)
            elif str(ev[column].dtype) in ("boolean", "string"):
                out[column] = out[column].astype(ev[column].dtype)
    out.attrs.update(as_of=core.as_of, as_of_inclusive=not _is_bare_date(as_of) if as_of is not None else True,
                     process=process.name, days=days)
    return out


def _any_per_case(mask: np.ndarray, codes: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(codes[mask], minlength=n) > 0


def phase_durations(log: CaseLog, *, as_of=None, days: str = "calendar") -> pd.DataFrame:
    """One row per (case, phase) the case entered or finished.

    Returns
    -------
    DataFrame
        ``case_id``, ``phase`` (ordered categorical), ``start``, ``end``,
        ``days`` (float), ``finished`` (the end milestone was reached; False =
        still open at ``as_of``, closed in the phase, or end never recorded) and
        ``state`` (one of :data:`PHASE_STATES`). ``days`` is the duration for
        ``finished``, the censored time so far for ``open`` and ``closed``, and
        empty for ``out_of_order``, ``start_missing`` and ``end_missing``: an
        order violation never yields a negative number. ``days="working"``
        counts whole French working days instead of calendar days.

    Examples
    --------
    >>> from vitale_analysis import load, phase_durations
    >>> durations = phase_durations(load("data/sample_caselog.csv"))  # doctest: +SKIP
    """
    check_days(days)
    core = _core(log, as_of)
    matrix = _phase_matrix(core, days)
    like = core.ev["timestamp"]
    keep = matrix.state != ""
    case_pos, phase_pos = np.nonzero(keep)  # row-major: by case, then phase order
    out = pd.DataFrame(
        {
            "case_id": pd.array(core.case_ids[case_pos], dtype="string"),
            "phase": pd.Categorical.from_codes(phase_pos, categories=list(core.process.phase_keys), ordered=True),
            "start": _to_time(matrix.starts[keep], like),
            "end": _to_time(matrix.ends[keep], like),
            "days": matrix.days[keep],
            "finished": (matrix.ends != _NAT)[keep],
            "state": pd.Categorical(matrix.state[keep], categories=list(PHASE_STATES)),
        }
    )
    out.attrs.update(as_of=core.as_of, process=core.process.name, days=days)
    return out
