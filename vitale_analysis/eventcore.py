"""The per-dossier arrays every analysis starts from, as of one cut.

:func:`event_core` turns a validated log and an :class:`~vitale_analysis.timeutil.AsOf`
into integer codes and int64 nanosecond times: each dossier's first time at each
milestone, its first and last events, its status (open, complete or closed) and the
furthest milestone it reached. The case table, the flow over time and the conformance
checks read these arrays; the helpers below are what they share.

Definitions (DESIGN.md): milestone times are **first** times; a case is
**complete** once it reached the last milestone, **closed** when a closing event
(``case_closed``) came at or after its latest milestone event and it is not
complete, **open** otherwise. Events after the as-of cut do not exist here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .caselog import CaseLog
from .cohorts import DERIVED_COHORTS, by_names, cohort_columns
from .codes import case_runs, drop_unused, first_per_case, first_row_per_case, milestone_rows, run_starts
from .errors import CaseLogError
from .process import ProcessModel
from .timeutil import NAT, AsOf, WorkingCalendars, from_ns, to_ns

__all__ = ["EventCore", "STATUSES", "event_core", "event_codes", "code_of", "first_time_of", "first_values",
           "case_values", "started_ns", "times_of", "cohort_frame", "case_calendars", "OFFICE"]

#: The case attribute that names a dossier's fund: it picks the public holidays of its working days.
OFFICE = "office"

#: A dossier's status, in the order of its codes.
STATUSES = ("open", "complete", "closed")


@dataclass(frozen=True)
class EventCore:
    """Per-case arrays of one log cut at one as-of (see the module docstring)."""

    case_ids: pd.Index  # case id per case, sorted (string)
    times: np.ndarray  # (n_cases, n_milestones) int64 ns, NAT when not reached; times[:, j] contiguous
    first_ns: np.ndarray  # each case's first event
    last_ns: np.ndarray  # each case's last event
    first_idx: np.ndarray  # row of the first event per case (into ev)
    last_idx: np.ndarray  # row of the last event per case (into ev)
    closed_ns: np.ndarray  # time of the closing event, NAT unless closed
    status: pd.Categorical  # STATUSES
    furthest: np.ndarray  # index of the furthest milestone reached, -1 if none
    as_of: AsOf
    aware: bool  # times are UTC (as_of too)
    codes: np.ndarray  # case code per event of ev (stored narrow: widen before arithmetic)
    t_ns: np.ndarray  # event times of ev, int64 ns
    ev: pd.DataFrame  # the events up to as_of
    process: ProcessModel

    @property
    def n_cases(self) -> int:
        return len(self.case_ids)

    @property
    def as_of_ns(self) -> int:
        return self.as_of.ns


def event_core(log: CaseLog, as_of: AsOf) -> EventCore:
    """The arrays of ``log`` as of ``as_of`` (already parsed: see :meth:`CaseLog.as_of`)."""
    if not isinstance(log, CaseLog):
        raise CaseLogError(
            f"Expected a CaseLog (from load() or validate()), got {type(log).__name__}. "
            "Run vitale_analysis.load(path) first."
        )
    process = log.process
    events = log.events
    t_all = to_ns(events["timestamp"])
    keep = as_of.keeps(t_all)
    ev, t_ns = events, t_all
    if not keep.all():  # a copy only when the as_of cuts the log
        ev, t_ns = events[keep].reset_index(drop=True), t_all[keep]
    if ev.empty and not events.empty:  # (a log with no event at all is a case table's empty selection)
        first = events["timestamp"].min()
        raise CaseLogError(
            f"No event on or before as_of {as_of}; the log starts on {first}. Choose a later as_of."
        )
    codes, case_ids, first_idx = _case_codes(ev["case_id"])  # ev is sorted by case, then time
    n = len(case_ids)
    ev_codes, ev_names = event_codes(ev)
    first_rows, last_milestone_row = milestone_rows(codes, n, ev_codes, ev_names, process.milestones)
    by_milestone = first_rows.T  # (stored milestone by milestone: each milestone's times are one block)
    times = np.where(by_milestone >= 0, t_ns[np.maximum(by_milestone, 0)], NAT).T
    # The time of each case's last milestone row (a repeated one included): the latest, as rows are in time order.
    last_ms_any = np.where(last_milestone_row >= 0, t_ns[np.maximum(last_milestone_row, 0)], NAT)
    last_idx = np.append(first_idx[1:] - 1, len(codes) - 1) if n else np.zeros(0, dtype=np.int64)

    n_m = len(process.milestones)
    reached = times != NAT
    furthest = np.where(reached.any(axis=1), n_m - 1 - np.argmax(reached[:, ::-1], axis=1), -1)
    last_milestone_ns = times.max(axis=1)  # NAT is the smallest int64: never wins

    close = [code for code in (code_of(ev_names, e) for e in process.close_events) if code >= 0]
    last_close = np.full(n, NAT, dtype=np.int64)
    if close:
        rows = np.flatnonzero(np.isin(ev_codes, close))
        last = first_per_case(rows[::-1], codes)
        last_close[codes[last]] = t_ns[last]
    complete = reached[:, -1]
    closed = ~complete & (last_close != NAT) & (last_close >= np.maximum(last_milestone_ns, last_ms_any))
    status = pd.Categorical.from_codes(np.where(complete, 1, np.where(closed, 2, 0)).astype(np.int8),
                                       categories=list(STATUSES))
    return EventCore(
        case_ids=case_ids,
        times=times,
        first_ns=t_ns[first_idx],
        last_ns=t_ns[last_idx],
        first_idx=first_idx,
        last_idx=last_idx,
        closed_ns=np.where(closed, last_close, NAT),
        status=status,
        furthest=furthest,
        as_of=as_of,
        aware=log.aware,
        codes=codes,
        t_ns=t_ns,
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
            return codes, pd.Index(case_id.cat.categories[used], dtype="string"), starts
        codes, used = drop_unused(case_id.cat.codes.to_numpy())
        case_ids = pd.Index(case_id.cat.categories[used], dtype="string")
    else:
        codes, uniques = pd.factorize(case_id, sort=False)
        case_ids = pd.Index(uniques, dtype="string")
    return codes, case_ids, run_starts(codes)


def event_codes(ev: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Per event, the code of its name (-1: none), and the names (the categories)."""
    names = ev["event"]
    if not isinstance(names.dtype, pd.CategoricalDtype):
        names = names.astype("category")
    return names.cat.codes.to_numpy(), [str(c) for c in names.cat.categories]


def code_of(names: list[str], name: str | None) -> int:
    """The code of an event name among ``names``; -2 (matches no event) when absent."""
    if name is None or name not in names:
        return -2
    return names.index(name)


def first_time_of(core: EventCore, event_code: int) -> np.ndarray:
    """Per case, the first time (int64 ns, NAT if never) it recorded the event with this code."""
    codes, _ = event_codes(core.ev)
    pos = first_row_per_case(codes == event_code, core.codes, core.n_cases)
    return np.where(pos >= 0, core.t_ns[np.maximum(pos, 0)], NAT)


def first_values(values: pd.Series, core: EventCore):
    """Per case, the first non-empty value of an attribute (a column of ``core.ev``), with its dtype."""
    present = values.notna().to_numpy(dtype=bool)
    if present.all():  # (most attributes): each case's first row
        pos = core.first_idx
    else:
        pos = first_row_per_case(present, core.codes, core.n_cases)
    array = values.array
    if isinstance(array, pd.arrays.NumpyExtensionArray):  # plain NumPy: take() would fill ints with NaN
        array = array.to_numpy()
    return pd.api.extensions.take(array, pos, allow_fill=True)


def case_values(core: EventCore, column: str) -> pd.Series:
    """A case attribute per case: its first non-empty value (as the case table gives it)."""
    return pd.Series(first_values(core.ev[column], core), name=column)


def case_calendars(core: EventCore, days: str) -> WorkingCalendars | None:
    """Per case, the public holidays its working days skip (the process model's ``holidays`` rules
    applied to its office); None when ``days`` is "calendar" or the model has no rules (metropolitan France)."""
    rules = core.process.holidays
    if days != "working" or rules is None:
        return None
    if OFFICE not in core.ev.columns:
        return rules.calendars_for(None, n=core.n_cases)
    return rules.calendars_for(first_values(core.ev[OFFICE], core))


def started_ns(core: EventCore) -> np.ndarray:
    """Start of each dossier: the start milestone's first time, else its first event."""
    return np.where(core.times[:, 0] != NAT, core.times[:, 0], core.first_ns)


def times_of(core: EventCore, ns: np.ndarray) -> pd.Series:
    """int64 ns of this core (NAT = missing) as times in the log's clock."""
    return from_ns(ns, core.aware)


def cohort_frame(log: CaseLog, core: EventCore, by, extra: Sequence[str] = ()) -> tuple[pd.DataFrame, list[str]]:
    """Per-case cohort columns for ``by`` (a case attribute or a derived cohort) plus ``extra`` attributes.

    Returns a frame with one row per case (in the core's case order) and the
    list of group column names. Only the needed attributes are computed, so
    that grouping a million dossiers by office does not compute every
    attribute of the case table.
    """
    names = by_names(by)
    attributes = set(log.case_attributes)
    unknown = [b for b in names if b not in attributes and b not in DERIVED_COHORTS]
    if unknown:
        # Let cohort_columns word the error, with every column a user could group by.
        skeleton = pd.DataFrame(columns=["case_id", "status", "started_at", *log.case_attributes])
        cohort_columns(skeleton, by)
    wanted = [c for c in dict.fromkeys([*names, *extra]) if c in attributes]
    frame = pd.DataFrame({"case_id": pd.array(core.case_ids, dtype="string")})
    for column in wanted:
        frame[column] = case_values(core, column)
    if any(b in DERIVED_COHORTS for b in names):
        frame["started_at"] = times_of(core, started_ns(core))
        frame, names = cohort_columns(frame, names)
        frame = frame.drop(columns="started_at")
    return frame, names
