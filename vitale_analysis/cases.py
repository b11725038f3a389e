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

import threading
import weakref
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import CaseLogError
from .km import sort_durations
from .process import ProcessModel
from .timeutil import NAT, check_days, elapsed_days
from .codes import (case_runs, drop_unused, earliest_per_milestone, first_per_case, first_row_per_case,
                    order_violation_counts, run_starts)
from .validate import CaseLog, _after_as_of, _is_bare_date, _to_as_of, _same_column

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


_STATES = list(PHASE_STATES)
_DURATION_CODES = [_STATES.index(s) for s in ("finished", "open", "closed")]
_NO_DURATION_CODES = [_STATES.index(s) for s in ("out_of_order", "start_missing", "end_missing")]
_FINISHED = _STATES.index("finished")
_STATUS_NAMES = ["open", "complete", "closed"]


def _state_codes(cases: pd.DataFrame, phases: list[str]) -> np.ndarray:
    """(n_cases, n_phases) codes into PHASE_STATES (-1: never entered) of the case table's state columns."""
    if not len(cases):
        return np.zeros((0, len(phases)), dtype=np.int8)
    columns = []
    for p in phases:
        state = cases[f"{p}_state"]
        if not (isinstance(state.dtype, pd.CategoricalDtype) and list(state.cat.categories) == _STATES):
            state = pd.Categorical(state.astype(object), categories=_STATES)
        else:
            state = state.array
        columns.append(np.asarray(state.codes))
    return np.column_stack(columns)


_SORTED: dict[int, dict] = {}  # id(case table) → {phase: (days column, state column, sorted days, sorted flags)}
_SORTED_LOCK = threading.Lock()


def _sorted_phase(cases: pd.DataFrame, phase: str) -> tuple[np.ndarray, np.ndarray]:
    """The durations of the dossiers timed in ``phase`` (finished, open or closed;
    no NaN), sorted by :func:`.km.sort_durations`: ``(days, finished)``, read-only.

    The phase summary, the trigger summary and the stall thresholds all start
    from this sample; on a national case table each sort is tens of
    milliseconds per phase, so it is kept for the life of the case table (it
    goes when the table goes) and made again whenever the phase's days or
    state column is not the one it was made from. Copy-on-write makes that
    check safe: the snapshot of a column held here is never written in place,
    so a table edited since (``cases.loc[i, "rights_days"] = …``) has a new
    column and gets a new sort.
    """
    days_col, state_col = cases[f"{phase}_days"], cases[f"{phase}_state"]
    entry = None
    if len(cases):
        with _SORTED_LOCK:
            entry = _SORTED.get(id(cases))
            if entry is None:
                try:
                    weakref.finalize(cases, _SORTED.pop, id(cases), None)
                except TypeError:  # (a frame that takes no weak reference: no cache)
                    pass
                else:
                    entry = _SORTED[id(cases)] = {}
        kept = entry.get(phase) if entry is not None else None
        if kept is not None and _same_column(kept[0], days_col) and _same_column(kept[1], state_col):
            return kept[2], kept[3]
    state = _state_codes(cases, [phase])[:, 0]
    days = days_col.to_numpy(dtype=float)
    timed = np.isin(state, _DURATION_CODES) & ~np.isnan(days)
    sorted_days, sorted_finished = sort_durations(days[timed], state[timed] == _FINISHED)
    sorted_days.flags.writeable = sorted_finished.flags.writeable = False
    if entry is not None:
        entry[phase] = (days_col, state_col, sorted_days, sorted_finished)
    return sorted_days, sorted_finished


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

    case_ids: pd.Index  # case id per case, sorted (string)
    times: np.ndarray  # (n_cases, n_milestones) int64 ns, _NAT when not reached
    first_ns: np.ndarray
    last_ns: np.ndarray
    first_idx: np.ndarray  # row of the first event per case (into ev)
    last_idx: np.ndarray  # row of the last event per case (into ev)
    closed_ns: np.ndarray  # time of the closing event, _NAT unless closed
    status: pd.Categorical  # "open" / "complete" / "closed"
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
    ev = events
    if as_of is not None:
        after = _after_as_of(events["timestamp"], as_of, as_of_ts)
        if after.any():  # a copy only when the as_of cuts the log
            ev = events[~after].reset_index(drop=True)
    if ev.empty:
        raise CaseLogError(
            f"No event on or before as_of={as_of_ts}; the log starts on {events['timestamp'].min()}. "
            "Choose a later as_of."
        )
    ts = ev["timestamp"]
    if tz is not None:
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    t_ns = ts.to_numpy(dtype="datetime64[ns]").view(np.int64)
    as_of_naive = as_of_ts.tz_convert("UTC").tz_localize(None) if as_of_ts.tzinfo is not None else as_of_ts
    as_of_ns = int(pd.Timestamp(as_of_naive).as_unit("ns").value)

    n_m = len(process.milestones)
    ev_codes, ev_names = _event_codes(ev)
    code_of = {name: i for i, name in enumerate(ev_names)}
    # Per (case, milestone) the earliest time, which is the first occurrence (events are
    # sorted by time within a case), and per case the latest time of any milestone row
    # (a repeated one included).
    known = log._milestone_rows
    if ev is events and known is not None and known.holds_for(ev):  # found by validation: its rows' times
        codes = ev["case_id"].cat.codes.to_numpy()  # (validated: every case id is used)
        case_ids = pd.Index(ev["case_id"].cat.categories, dtype="string")
        first_idx = known.starts
        times = np.where(known.first >= 0, t_ns[known.first], _NAT)
        last_ms_any = np.where(known.last >= 0, t_ns[known.last], _NAT)
    else:
        codes, case_ids, first_idx = _case_codes(ev["case_id"])  # ev is sorted by case_id
        times, rows = earliest_per_milestone(t_ns, codes, len(case_ids), ev_codes, ev_names, process.milestones,
                                             missing=_NAT)
        last_ms_any = np.full(len(case_ids), _NAT, dtype=np.int64)
        np.maximum.at(last_ms_any, codes[rows], t_ns[rows])
        del rows
    n = len(case_ids)
    last_idx = np.append(first_idx[1:] - 1, len(codes) - 1)

    reached = times != _NAT
    furthest = np.where(reached.any(axis=1), n_m - 1 - np.argmax(reached[:, ::-1], axis=1), -1)
    last_milestone_ns = times.max(axis=1)  # _NAT is the smallest int64: never wins

    close_codes = [code_of[e] for e in process.close_events if e in code_of]
    last_close = np.full(n, _NAT, dtype=np.int64)
    if close_codes:
        rows = np.flatnonzero(np.isin(ev_codes, close_codes))
        last = first_per_case(rows[::-1], codes)
        last_close[codes[last]] = t_ns[last]
    complete = reached[:, -1]
    closed = ~complete & (last_close != _NAT) & (last_close >= np.maximum(last_milestone_ns, last_ms_any))
    status = pd.Categorical.from_codes(np.where(complete, 1, np.where(closed, 2, 0)).astype(np.int8),
                                       categories=_STATUS_NAMES)
    closed_ns = np.where(closed, last_close, _NAT)
    return _Core(
        case_ids=case_ids,
        times=times,
        first_ns=t_ns[first_idx],
        last_ns=t_ns[last_idx],
        first_idx=first_idx,
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


def _case_codes(case_id: pd.Series) -> tuple[np.ndarray, pd.Index, np.ndarray]:
    """Per event, the code of its case (0, 1, … in case order), the case ids (a string Index)
    and each case's first row (events are sorted by case)."""
    if isinstance(case_id.dtype, pd.CategoricalDtype):
        runs = case_runs(case_id.cat.codes.to_numpy())  # (the as_of may cut some cases away)
        if runs is not None:
            codes, used, starts = runs
            return codes.astype(np.int64, copy=False), pd.Index(case_id.cat.categories[used], dtype="string"), starts
        codes, used = drop_unused(case_id.cat.codes.to_numpy())
        codes, case_ids = codes.astype(np.int64, copy=False), pd.Index(case_id.cat.categories[used], dtype="string")
    else:
        codes, uniques = pd.factorize(case_id, sort=False)
        case_ids = pd.Index(uniques, dtype="string")
    return codes, case_ids, run_starts(codes)


def _event_codes(ev: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Per event, the code of its name, and the names (the categories)."""
    events = ev["event"]
    if not isinstance(events.dtype, pd.CategoricalDtype):
        events = events.astype("category")
    return events.cat.codes.to_numpy(), [str(c) for c in events.cat.categories]


def _to_time(ns: np.ndarray, like: pd.Series) -> pd.Series:
    out = pd.Series(ns.astype("datetime64[ns]"), copy=False)  # (astype made it fresh)
    out[ns == _NAT] = pd.NaT
    tz = like.dt.tz
    return out.dt.tz_localize("UTC") if tz is not None else out


@dataclass(frozen=True)
class _Phases:
    """Per (case, phase): state, days, start and end times (int64 ns)."""

    state: np.ndarray  # (n_cases, n_phases) int8: position in PHASE_STATES, -1 = never entered
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
    code = {name: np.int8(k) for k, name in enumerate(PHASE_STATES)}
    state = np.full(starts.shape, -1, dtype=np.int8)
    state[s_ok & e_ok & (ends >= starts)] = code["finished"]
    state[s_ok & e_ok & (ends < starts)] = code["out_of_order"]
    state[~s_ok & e_ok] = code["start_missing"]
    state[s_ok & ~e_ok & current & is_open] = code["open"]
    state[s_ok & ~e_ok & current & is_closed] = code["closed"]
    state[s_ok & ~e_ok & ~current] = code["end_missing"]

    until = np.where(state == code["finished"], ends, _NAT)
    until = np.where(state == code["open"], core.as_of_ns, until)
    until = np.where(state == code["closed"], core.closed_ns[:, None], until)
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

    counts = np.diff(np.append(core.first_idx, len(core.codes)))  # (events are sorted by case: run lengths)

    # The columns are gathered in a dict and made a frame once, without copying them
    # (a column assigned to a frame as an ndarray is copied).
    out = {"case_id": pd.array(core.case_ids, dtype="string")}
    out["status"] = core.status
    out["current_phase"] = pd.Categorical.from_codes(phase_idx, categories=phases, ordered=True)
    out["phase_started_at"] = _to_time(phase_start, like)
    out["days_in_phase"] = days_in_phase
    started = np.where(core.times[:, 0] != _NAT, core.times[:, 0], core.first_ns)
    out["started_at"] = _to_time(started, like)
    ev_codes, ev_names = _event_codes(ev)
    out["last_event"] = pd.Categorical.from_codes(ev_codes[core.last_idx], categories=ev_names)
    out["last_event_at"] = _to_time(core.last_ns, like)
    out["closed_at"] = _to_time(core.closed_ns, like)
    out["completed_at"] = _to_time(core.times[:, -1], like)
    out["n_events"] = counts
    out["order_violations"] = order_violation_counts(core.times, _NAT)

    def code(name):
        return ev_names.index(name) if name in ev_names else -2  # -2 matches no event

    if process.permanent_number_event or process.provisional_number_event:
        has_perm = _any_per_case(ev_codes == code(process.permanent_number_event), core.codes, n)
        has_prov = _any_per_case(ev_codes == code(process.provisional_number_event), core.codes, n)
        out["number_status"] = pd.Categorical.from_codes(
            np.where(has_perm, 2, np.where(has_prov, 1, 0)), categories=["none", "nia", "permanent"],
        )

    if process.waiting_on:
        parties = ["applicant", "office", "third_party"]
        party_of = dict(process.waiting_on)
        lookup = np.array([parties.index(party_of[e]) if e in party_of else -1 for e in ev_names] + [-1],
                          dtype=np.int8)
        party = lookup[ev_codes]
        # Events are in time order: the last assignment per case wins.
        last = first_per_case(np.flatnonzero(party >= 0)[::-1], core.codes)
        last_party = np.full(n, -1, dtype=np.int8)
        last_party[core.codes[last]] = party[last]
        last_party[core.status != "open"] = -1
        out["waiting_on"] = pd.Categorical.from_codes(last_party, categories=parties)

    trig_codes = ev["trigger"].cat.codes.to_numpy()
    with_trigger = np.flatnonzero(trig_codes >= 0)  # a few rows in a hundred
    trig_codes, trig_cases = trig_codes[with_trigger], core.codes[with_trigger]
    out["n_triggers"] = np.bincount(trig_cases, minlength=n)
    for j, milestone in enumerate(process.milestones):
        out[f"{milestone}_at"] = _to_time(core.times[:, j], like)
    for j, key in enumerate(process.triggers):
        out[f"trigger_{key}"] = _any_per_case(trig_codes == j, trig_cases, n)
    matrix = _phase_matrix(core, days)
    states = list(PHASE_STATES)
    for j, key in enumerate(phases):
        out[f"{key}_days"] = np.ascontiguousarray(matrix.days[:, j])
        out[f"{key}_state"] = pd.Categorical.from_codes(matrix.state[:, j], categories=states)

    for column in log.case_attributes:
        out[column] = _first_values(ev[column], core)
    out = pd.DataFrame(out, copy=False)
    out.attrs.update(as_of=core.as_of, as_of_inclusive=not _is_bare_date(as_of) if as_of is not None else True,
                     process=process.name, days=days)
    return out


def _first_values(values: pd.Series, core: _Core):
    """Per case, the first non-empty value of an attribute (a column of ``core.ev``), with its dtype."""
    present = values.notna().to_numpy(dtype=bool)
    if present.all():  # (most attributes): each case's first row
        pos = core.first_idx
    else:
        pos = first_row_per_case(present, core.codes, len(core.case_ids))
    array = values.array
    if isinstance(array, pd.arrays.NumpyExtensionArray):  # plain NumPy: take() would fill ints with NaN
        array = array.to_numpy()
    return pd.api.extensions.take(array, pos, allow_fill=True)


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
    keep = matrix.state >= 0
    case_pos, phase_pos = np.nonzero(keep)  # row-major: by case, then phase order
    out = pd.DataFrame(
        {
            "case_id": pd.array(core.case_ids[case_pos], dtype="string"),
            "phase": pd.Categorical.from_codes(phase_pos, categories=list(core.process.phase_keys), ordered=True),
            "start": _to_time(matrix.starts[keep], like),
            "end": _to_time(matrix.ends[keep], like),
            "days": matrix.days[keep],
            "finished": (matrix.state == _FINISHED)[keep],
            "state": pd.Categorical.from_codes(matrix.state[keep], categories=list(PHASE_STATES)),
        }
    )
    out.attrs.update(as_of=core.as_of, process=core.process.name, days=days)
    return out
