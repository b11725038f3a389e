"""Flow of dossiers over time (throughput) and who each dossier waits on (waiting_on).

Both functions work from the validated events and the process model, with an
explicit ``as_of`` (default: the log's latest timestamp, never today's date).
They share the case table's definitions (see :mod:`vitale_analysis.cases`):
milestone times are first times, a case is *complete* once it reached the last
milestone, *closed* when a closing event (``case_closed``) comes at or after its
latest milestone event and it is not complete, and *open* otherwise; an open
case is in the phase after the furthest milestone it reached (the first phase
when it reached none).

Everything is computed on NumPy arrays of the events, sorted by case and time:
there is no Python loop per case or per period, so a national caseload
(a million dossiers, ten million events) takes seconds, not minutes.
"""

from __future__ import annotations


import numpy as np
import pandas as pd

from .caselog import CaseLog
from .cases import CaseTable, log_and_cut
from .codes import flat_index, run_starts, widen
from .cohorts import by_names
from .cohorts import group_codes as _group_codes
from .errors import CaseLogError
from .eventcore import STATUSES, EventCore, case_calendars, cohort_frame, event_codes, event_core, started_ns
from .process import WAITING_PARTIES
from .timeutil import DAY_NS, NAT, elapsed_days

__all__ = ["throughput", "waiting_on", "waiting_on_summary", "WAITING_COLUMNS"]

#: Who the time of a dossier is attributed to in :func:`waiting_on`.
WAITING_COLUMNS = (*WAITING_PARTIES, "unassigned")

_PARIS = "Europe/Paris"


# ============================================================================ throughput
def _period_grid(core: EventCore, freq: str) -> tuple[pd.PeriodIndex, np.ndarray]:
    """The periods from the first event to as_of, and their start instants as int64 ns.

    Periods follow local (Paris) calendar time for aware logs. The last period
    is the one holding ``as_of`` (for a bare date: that day's).
    """

    def local(ns: int) -> pd.Timestamp:
        ts = pd.Timestamp(ns)
        return ts.tz_localize("UTC").tz_convert(_PARIS).tz_localize(None) if core.aware else ts

    first = local(int(core.first_ns.min()))
    last_moment = core.as_of_ns if core.as_of.inclusive else core.as_of_ns - 1  # (the moment as_of counts up to)
    last = local(max(last_moment, int(core.last_ns.max())))
    try:
        periods = pd.period_range(first.to_period(freq), last.to_period(freq), freq=freq)
    except (ValueError, TypeError) as exc:
        raise CaseLogError(
            f"freq={freq!r} is not a period length pandas knows ({exc}). "
            "Use 'D' (day), 'W' (week, Monday to Sunday), 'M' (month), 'Q' (quarter) or 'Y' (year)."
        ) from None
    starts = periods.start_time
    if core.aware:
        starts = starts.tz_localize(_PARIS).tz_convert("UTC").tz_localize(None)
    return periods, starts.to_numpy(dtype="datetime64[ns]").astype(np.int64)


def _period_of(starts_ns: np.ndarray, t_ns: np.ndarray) -> np.ndarray:
    """Index of the period each time falls in (-1 for a missing time)."""
    idx = np.searchsorted(starts_ns, t_ns, side="right") - 1
    return np.where(t_ns == NAT, -1, idx)


def _count(group: np.ndarray, period: np.ndarray, n_groups: int, n_periods: int) -> np.ndarray:
    ok = period >= 0
    flat = flat_index(group[ok], n_periods, period[ok])
    return np.bincount(flat, minlength=n_groups * n_periods).reshape(n_groups, n_periods)


def _state_after_events(core: EventCore, t_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The case's state just after each event that can change it.

    Returns ``(rows, state, case)``: positions into the events, the state code
    (``0 … n_phases - 1`` = open in that phase, ``n_phases`` = closed,
    ``n_phases + 1`` = complete) and the case code. The state follows the
    case-table rules at every moment, using only the events up to that moment.
    """
    process = core.process
    n_m = len(process.milestones)
    n_phases = n_m - 1
    codes = widen(core.codes)  # (offsets below: never in the codes' narrow width)
    n_ev = len(codes)
    ev_codes, names = event_codes(core.ev)
    milestone_code = np.full(len(names) + 1, -1, dtype=np.int64)  # last slot: code -1 (NaN)
    for j, name in enumerate(process.milestones):
        if name in names:
            milestone_code[names.index(name)] = j
    m_idx = milestone_code[ev_codes]  # -1 for non-milestones (and code -1 maps to the last slot)
    is_m = m_idx >= 0
    is_close = np.isin(ev_codes, [names.index(c) for c in process.close_events if c in names])

    case_first = run_starts(codes)
    first_of_case = np.zeros(n_ev, dtype=bool)
    first_of_case[case_first] = True
    case_start_row = np.repeat(case_first, np.diff(np.r_[case_first, n_ev]))

    # Running maxima within a case: offset by the case code so that a new case
    # always starts above the previous one (codes are increasing).
    width = n_m + 1
    base = flat_index(codes, width, 0)
    furthest = np.maximum.accumulate(base + (m_idx + 1)) - base - 1
    base = flat_index(codes, 2, 0)
    done = np.maximum.accumulate(base + (m_idx == n_m - 1)) - base
    arange = np.arange(n_ev)
    last_m_row = np.maximum.accumulate(np.where(is_m, arange, -1))
    last_c_row = np.maximum.accumulate(np.where(is_close, arange, -1))
    has_m = last_m_row >= case_start_row
    has_c = last_c_row >= case_start_row
    last_m_t = np.where(has_m, t_ns[np.maximum(last_m_row, 0)], NAT)
    last_c_t = np.where(has_c, t_ns[np.maximum(last_c_row, 0)], NAT)
    closed = has_c & (last_c_t >= last_m_t) & (done == 0)

    state = np.clip(furthest, 0, n_phases - 1)
    state = np.where(closed, n_phases, state)
    state = np.where(done == 1, n_phases + 1, state)
    rows = np.flatnonzero(is_m | is_close | first_of_case)
    return rows, state[rows], codes[rows]


def throughput(log_or_table: CaseLog | CaseTable, *, freq: str = "W", as_of=None, by=None) -> pd.DataFrame:
    """Dossiers started, finished and still open, period by period.

    Parameters
    ----------
    log_or_table : CaseLog or CaseTable
        From :func:`load` or :func:`validate`, or a case table of it (possibly
        filtered: its own dossiers, as of its own ``as_of``).
    freq : str
        Period length, as pandas writes it: ``"D"`` (day), ``"W"`` (week,
        Monday to Sunday), ``"M"`` (month), ``"Q"`` (quarter), ``"Y"`` (year).
    as_of : date-like, optional
        Default: the log's latest timestamp. A bare date means the end of that
        day. Events after it are ignored.
    by : str or list of str, optional
        A case attribute (``office``, ``channel``, …) or ``start_month`` /
        ``start_quarter`` / ``start_year``: one block of periods per group.
        A missing attribute value is a group of its own.

    Returns
    -------
    DataFrame
        One row per period (per group), every period from the one holding the
        first event to the one holding ``as_of``, empty periods included, in
        time order. Columns:

        * the ``by`` columns, if any;
        * ``period_start``: the first day of the period (local date);
        * ``started``: dossiers whose start milestone (else first event) falls
          in the period;
        * ``rights_opened``: dossiers that first reached the milestone ending
          the model's ``submission_phase`` in the period (``rights_opened`` for
          the Carte Vitale); left out when the model names no submission phase;
        * ``completed``: dossiers that first reached the last milestone in the
          period;
        * ``closed``: dossiers closed (abandoned, moved away) in the period,
          counted at their closing date as the case table gives it;
        * ``open_<phase>`` for each phase, in process order: dossiers open at
          the end of the period and in that phase at that moment (for the last
          period: at ``as_of``);
        * ``wip``: all dossiers open at the end of the period (the sum of the
          ``open_`` columns).

        ``df.attrs`` holds ``as_of``, ``freq`` and ``process``.

    Notes
    -----
    The open columns apply the case table's rules at each period end, using
    only the events recorded by then: ``throughput(log)["open_rights"]`` in a
    period equals the number of ``case_table(log, as_of=<end of period>)``
    rows that are open with ``current_phase == "rights"``. A dossier counts
    as open from its first event; if events were logged before its start
    milestone, it appears in ``wip`` before it is counted as ``started``.
    A dossier closed and later reopened leaves ``wip`` while closed and comes
    back; ``closed`` counts only closings that still stand at ``as_of``.
    Periods follow local French time (Europe/Paris) for logs with UTC times.

    Examples
    --------
    >>> from vitale_analysis import load
    >>> from vitale_analysis.flow import throughput
    >>> log = load("data/sample_caselog.csv")
    >>> list(throughput(log, freq="M").columns[:5])
    ['period_start', 'started', 'rights_opened', 'completed', 'closed']
    """
    log, cut, _ = log_and_cut(log_or_table, as_of=as_of)
    core = event_core(log, cut)
    process = core.process
    phases = list(process.phase_keys)
    n_phases = len(phases)
    if core.n_cases == 0:  # a case table's empty selection: no period at all
        columns = ["period_start", "started", *(["rights_opened"] if process.submission_phase else []), "completed",
                   "closed", *[f"open_{p}" for p in phases], "wip"]
        out = pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "period_start" else np.int64)
                            for c in [*cohort_frame(log, core, by)[1], *columns]})
        out.attrs.update(as_of=core.as_of, freq=freq, process=process.name)  # (for display)
        return out
    periods, starts_ns = _period_grid(core, freq)
    n_periods = len(periods)
    t_ns = core.t_ns

    frame, names = cohort_frame(log, core, by)
    group, keys = _group_codes(frame, names)
    n_groups = len(keys)

    columns: dict[str, np.ndarray] = {}
    columns["started"] = _count(group, _period_of(starts_ns, started_ns(core)), n_groups, n_periods)
    if process.submission_phase:  # (the end of the phase that sends the dossier: rights opened)
        j = process.milestones.index(process.phase(process.submission_phase).end)
        columns["rights_opened"] = _count(group, _period_of(starts_ns, core.times[:, j]), n_groups, n_periods)
    columns["completed"] = _count(group, _period_of(starts_ns, core.times[:, -1]), n_groups, n_periods)
    columns["closed"] = _count(group, _period_of(starts_ns, core.closed_ns), n_groups, n_periods)

    # Open by phase: the state after the last state-changing event of each
    # case in each period holds until the next such event (a step function):
    # +1 where a state starts, -1 where it ends, then a running sum.
    rows, state, case = _state_after_events(core, t_ns)
    period = _period_of(starts_ns, t_ns[rows])
    last_in_period = np.r_[(case[1:] != case[:-1]) | (period[1:] != period[:-1]), True]
    keep = last_in_period
    rows, state, case, period = rows[keep], state[keep], case[keep], period[keep]
    same_case_next = np.r_[case[1:] == case[:-1], False]
    until = np.where(same_case_next, np.r_[period[1:], 0], n_periods)
    n_states = n_phases + 2
    width = n_periods + 1
    g = group[case]
    start_flat = flat_index(flat_index(g, n_states, state), width, period)
    stop_flat = flat_index(flat_index(g, n_states, state), width, until)
    size = n_groups * n_states * width
    steps = np.bincount(start_flat, minlength=size) - np.bincount(stop_flat, minlength=size)
    stock = np.cumsum(steps.reshape(n_groups, n_states, width), axis=2)[:, :, :n_periods]
    for k, key in enumerate(phases):
        columns[f"open_{key}"] = stock[:, k, :]
    columns["wip"] = stock[:, :n_phases, :].sum(axis=1)

    out = pd.DataFrame(
        {
            "period_start": np.tile(periods.start_time.to_numpy().astype("datetime64[ns]"), n_groups),
            **{name: values.reshape(-1).astype(np.int64) for name, values in columns.items()},
        }
    )
    if names:
        group_values = keys.loc[np.repeat(np.arange(n_groups), n_periods)].reset_index(drop=True)
        out = pd.concat([group_values, out], axis=1)
    out.attrs.update(as_of=core.as_of, freq=freq, process=process.name)  # (for display)
    return out


# ============================================================================ waiting on
def _case_end_ns(core: EventCore) -> np.ndarray:
    """Where a dossier's elapsed time stops: completion, closing, or as_of while open."""
    return np.where(
        core.status == "complete", core.times[:, -1],
        np.where(core.status == "closed", core.closed_ns, core.as_of_ns),
    )


def _party_per_event(core: EventCore) -> np.ndarray:
    """Who the dossier waits on after each event: 0..2 = WAITING_PARTIES, 3 = unassigned.

    An event the process does not map carries forward the party of the latest
    mapped event of the same case; before any mapped event it is unassigned.
    """
    ev_codes, names = event_codes(core.ev)
    lookup = np.full(len(names) + 1, -1, dtype=np.int64)  # last slot: code -1 (NaN)
    for name, party in core.process.waiting_on.items():
        if name in names:
            lookup[names.index(name)] = WAITING_PARTIES.index(party)
    party = lookup[ev_codes]
    n_ev = len(party)
    last_mapped = np.maximum.accumulate(np.where(party >= 0, np.arange(n_ev), -1))
    case_first = run_starts(core.codes)
    case_start_row = np.repeat(case_first, np.diff(np.r_[case_first, n_ev]))
    unassigned = len(WAITING_PARTIES)
    return np.where(last_mapped >= case_start_row, party[np.maximum(last_mapped, 0)], unassigned)


def waiting_on(log_or_table: CaseLog | CaseTable, *, as_of=None, days: str | None = None,
               by=None) -> pd.DataFrame:
    """Each dossier's elapsed time, split by who it was waiting on.

    Parameters
    ----------
    log_or_table : CaseLog or CaseTable
        From :func:`load` or :func:`validate`, or a case table of it (possibly
        filtered: its own dossiers, as of its own ``as_of``, in its own days).
    as_of : date-like, optional
        Default: the log's latest timestamp. A bare date means the end of that
        day. Events after it are ignored.
    days : {"calendar", "working"}
        Calendar days (float) or whole French working days.
    by : str or list of str, optional
        Case attributes or ``start_month`` / ``start_quarter`` / ``start_year``
        to add as columns (see :func:`waiting_on_summary` for group totals).

    Returns
    -------
    DataFrame
        One row per dossier, sorted by ``case_id``: ``case_id``, ``status``
        (``open`` / ``complete`` / ``closed``), the ``by`` columns if any,
        ``applicant_days``, ``office_days``, ``third_party_days``,
        ``unassigned_days`` and ``total_days`` (their sum).
        ``df.attrs`` holds ``as_of``, ``days`` and ``process``.

    Notes
    -----
    How the time is split:

    * A dossier's elapsed time runs from its first event to its end: the
      first time it reached the last milestone (complete), its closing
      (closed), or ``as_of`` (still open). Events after the end do not count.
    * The time from each event to the next one (the last one: to the end)
      goes to the party the process's ``waiting_on`` table names for that
      event: after ``dossier_submitted`` the office, after
      ``complement_requested`` the applicant, and so on.
    * An event the table does not name (``first_reimbursement``, an unknown
      event, …) changes nothing: the time stays with the party named by the
      latest event before it. Time before any named event is ``unassigned``.
    * Two events at the same time share a zero-length interval; the later
      one in the log's order (process order, then source row) decides who
      the dossier waits on next.

    ``total_days`` equals the dossier's span from its first event to its
    end. With ``days="working"`` each interval counts the French working
    days from its start date up to, not including, its end date; because the
    intervals meet end to start, these counts add up exactly to the working
    days of the whole span (no rounding is lost between intervals).

    Examples
    --------
    >>> from vitale_analysis import load
    >>> from vitale_analysis.flow import waiting_on
    >>> list(waiting_on(load("data/sample_caselog.csv")).columns[:4])
    ['case_id', 'status', 'applicant_days', 'office_days']
    """
    log, cut, days = log_and_cut(log_or_table, as_of=as_of, days=days)
    core = event_core(log, cut)
    n = core.n_cases
    codes = core.codes
    t_ns = core.t_ns
    end = _case_end_ns(core)[codes]

    n_ev = len(codes)
    next_same_case = np.r_[codes[1:] == codes[:-1], False]
    nxt = np.where(next_same_case, np.r_[t_ns[1:], 0], end)
    interval_start = np.minimum(t_ns, end)
    interval_stop = np.minimum(nxt, end)
    party = _party_per_event(core)

    n_parties = len(WAITING_COLUMNS)
    if days == "calendar":
        length = (interval_stop - interval_start) / DAY_NS
    else:
        calendars = case_calendars(core, days)
        if calendars is not None:
            calendars = calendars.take(codes)
        length = elapsed_days(interval_start, interval_stop, days="working", aware=core.aware, calendars=calendars)
    sums = np.bincount(flat_index(codes, n_parties, party), weights=length, minlength=n * n_parties).reshape(n, n_parties)
    assert n_ev == 0 or (interval_stop >= interval_start).all(), "negative interval"

    out = pd.DataFrame(
        {
            "case_id": pd.array(core.case_ids, dtype="string"),
            "status": pd.Categorical(core.status, categories=list(STATUSES)),
        }
    )
    if by is not None:
        frame, names = cohort_frame(log, core, by)
        for name in names:
            out[name] = frame[name]
    for k, party_name in enumerate(WAITING_COLUMNS):
        out[f"{party_name}_days"] = sums[:, k]
    out["total_days"] = sums.sum(axis=1)
    out.attrs.update(as_of=core.as_of, days=days, process=core.process.name, labels=log.labels)  # (for display)
    return out


def waiting_on_summary(log_or_table: CaseLog | CaseTable, *, by=None, as_of=None,
                       days: str | None = None) -> pd.DataFrame:
    """Per group of dossiers: median and total days per party, and each party's share of the time.

    Parameters
    ----------
    log_or_table : CaseLog or CaseTable
    by : str or list of str, optional
        A case attribute or ``start_month`` / ``start_quarter`` / ``start_year``;
        without it, one row for the whole caseload. A missing attribute value
        is a group of its own.
    as_of, days
        As in :func:`waiting_on`.

    Returns
    -------
    DataFrame
        One row per group: the ``by`` columns, ``n_cases``, ``n_open``, then for
        each party (``applicant``, ``office``, ``third_party``, ``unassigned``)
        ``median_<party>_days`` (the median dossier's days waiting on that
        party, zeros included), ``total_<party>_days`` (summed over the
        group's dossiers), and ``share_<party>`` (that total over the group's
        total days: the shares add up to 1). Open dossiers count with their
        time so far.
    """
    per_case = waiting_on(log_or_table, as_of=as_of, days=days, by=by)
    names = by_names(by)
    value_columns = [f"{p}_days" for p in WAITING_COLUMNS]
    per_case = per_case.assign(_open=(per_case["status"] == "open").to_numpy())
    if names:
        grouped = per_case.groupby(names, sort=True, dropna=False, observed=True)
    else:
        grouped = per_case.groupby(np.zeros(len(per_case), dtype=int))
    out = pd.DataFrame({"n_cases": grouped.size(), "n_open": grouped["_open"].sum().astype(np.int64)})
    medians = grouped[value_columns].median()
    totals = grouped[value_columns].sum()
    grand = totals.sum(axis=1)
    for party in WAITING_COLUMNS:
        out[f"median_{party}_days"] = medians[f"{party}_days"]
    for party in WAITING_COLUMNS:
        out[f"total_{party}_days"] = totals[f"{party}_days"]
    for party in WAITING_COLUMNS:
        out[f"share_{party}"] = (totals[f"{party}_days"] / grand.where(grand > 0)).to_numpy()
    out = out.reset_index(drop=not names)
    out.attrs.update(per_case.attrs)
    return out
