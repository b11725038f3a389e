"""Plain-Python reference implementations of the analyses, written from DESIGN.md and the docstrings.

Nothing here is imported from ``vitale_analysis``: each function walks the
validated events dossier by dossier, event by event, in plain Python, and says
which definition it follows. The differential tests (``tests/test_reference.py``)
compare the package's vectorised functions with these.

Inputs
------
``events``
    The validated events as a plain DataFrame (``log.events``): columns
    ``case_id``, ``event``, ``timestamp``, ``trigger`` and the case attributes,
    rows already sorted by case, time, then the process order of same-time
    events, then source row. The references rely on that order and never
    re-sort.
``as_of``
    Exactly as a user gives it to the package. DESIGN: "As of is one value,
    parsed once: a bare date means up to the end of that day" and "as_of
    defaults to the latest timestamp in the log". So a bare date string
    (``"2025-06-30"``) or a ``datetime.date`` means "up to the next midnight,
    excluded"; a ``Timestamp`` or a string with a time means "up to and
    including that instant"; ``None`` means the latest event time, inclusive.
    Durations that run "to as_of" end at that instant (the next midnight for a
    bare date).
The process model
    Its plain attributes only: ``milestones`` (in order), ``phase_keys`` (one
    per consecutive pair of milestones), ``close_events``, ``waiting_on``
    (event → party), ``provisional`` / ``permanent`` (number event names),
    ``trigger_keys``.

Times are handled as integer nanoseconds (naive wall-clock time, or UTC for an
aware log) and turned into ``datetime64[ns]`` columns at the end. Durations are
calendar days: ``(end - start) / 24 h``.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections import Counter

import numpy as np
import pandas as pd

__all__ = [
    "resolve_as_of", "case_table", "phase_durations", "phase_summary_counts", "trigger_summary_counts",
    "stalled", "conformance", "throughput", "waiting_on", "PHASE_STATES", "WAITING_PARTIES",
]

DAY_NS = 86_400 * 10**9
_NAT = np.iinfo(np.int64).min
_BARE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_EPOCH = _dt.date(1970, 1, 1)

#: The states a (dossier, phase) pair can be in (cases.py, phase_durations docstring).
PHASE_STATES = ("finished", "open", "closed", "out_of_order", "start_missing", "end_missing")
TIMED_STATES = ("finished", "open", "closed")
UNTIMED_STATES = ("out_of_order", "start_missing", "end_missing")
#: Who a dossier can wait on (process model), then the time before any event that says so.
WAITING_PARTIES = ("applicant", "office", "third_party")
#: Stall reasons in the order the stalls.py module docstring checks them.
STALL_REASONS = ("mediator", "complaint", "nia_only", "complement_pending", "no_movement", "phase_action")


# ============================================================================ as_of and dossiers
def _ns(ts) -> int:
    ts = pd.Timestamp(ts)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return int(ts.as_unit("ns").value)


def _event_times(events: pd.DataFrame) -> list[int]:
    ts = events["timestamp"]
    if ts.dt.tz is not None:
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    return ts.to_numpy(dtype="datetime64[ns]").view(np.int64).tolist()


def resolve_as_of(as_of, events: pd.DataFrame) -> tuple[int, bool]:
    """``(limit_ns, inclusive)``: the instant the analysis describes and whether an event at it counts.

    DESIGN: a bare date means up to the end of that day (the next midnight,
    which itself belongs to the next day); ``None`` is the latest timestamp in
    the log, never the wall clock; anything with a time is that instant,
    included.
    """
    if as_of is None:
        return max(_event_times(events)), True
    bare = (isinstance(as_of, str) and _BARE_DATE.fullmatch(as_of.strip()) is not None) or (
        isinstance(as_of, _dt.date) and not isinstance(as_of, _dt.datetime))
    if bare:
        day = _dt.date.fromisoformat(as_of.strip()) if isinstance(as_of, str) else as_of
        return (day - _EPOCH).days * DAY_NS + DAY_NS, False
    return _ns(as_of), True


def _text(value):
    """A categorical/string cell as a Python str, or None when missing or empty."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    value = str(value)
    return value if value.strip() != "" else None


def _dossiers(events: pd.DataFrame, limit: int, inclusive: bool, attributes=()):
    """Yield ``(case_id, rows, attrs)`` per dossier with at least one event up to as_of, in case order.

    ``rows`` is the dossier's events up to as_of, in the log's order, as
    ``(event, t_ns, trigger or None)``; ``attrs`` maps each case attribute to
    its first non-empty value among those events (case_table docstring).
    """
    case = events["case_id"].astype(object).tolist()
    name = events["event"].astype(object).tolist()
    times = _event_times(events)
    trigger = [_text(v) for v in events["trigger"].astype(object).tolist()]
    attr_values = {a: events[a].astype(object).tolist() for a in attributes}
    n = len(case)
    i = 0
    while i < n:
        cid = case[i]
        j = i
        while j < n and case[j] == cid:
            j += 1
        rows = []
        attrs = dict.fromkeys(attributes)
        for k in range(i, j):
            t = times[k]
            if t < limit or (inclusive and t == limit):
                rows.append((str(name[k]), t, trigger[k]))
                for a in attributes:
                    if attrs[a] is None:
                        attrs[a] = _text(attr_values[a][k])
        if rows:
            yield str(cid), rows, attrs
        i = j


class _Dossier:
    """One dossier's standing, updated event by event (the shared definitions of cases.py and DESIGN).

    * Milestone times are the **first** time each milestone is reached.
    * **complete**: the last milestone was reached.
    * **closed**: not complete, and a closing event came after its last
      milestone event (in the log's order: same-time events follow the
      process order, where milestones come before closing events).
    * **open** otherwise; an open or closed dossier is in the phase after the
      furthest milestone it reached (the first phase when it reached none),
      which started at that milestone's first time (else at its first event).
    """

    def __init__(self, milestones, close_events):
        self.position = {m: j for j, m in enumerate(milestones)}
        self.n_milestones = len(milestones)
        self.closing = set(close_events)
        self.first = {}  # milestone index → first time reached
        self.furthest = -1
        self.first_t = None
        self.n = 0
        self.last_milestone_row = -1
        self.last_close_row = -1
        self.last_close_t = None

    def add(self, event: str, t: int) -> None:
        if self.first_t is None:
            self.first_t = t
        j = self.position.get(event)
        if j is not None:
            if j not in self.first:
                self.first[j] = t
                self.furthest = max(self.furthest, j)
            self.last_milestone_row = self.n
        if event in self.closing:
            self.last_close_row = self.n
            self.last_close_t = t
        self.n += 1

    @property
    def complete(self) -> bool:
        return (self.n_milestones - 1) in self.first

    @property
    def closed(self) -> bool:
        return not self.complete and self.last_close_row > self.last_milestone_row

    @property
    def status(self) -> str:
        return "complete" if self.complete else "closed" if self.closed else "open"

    @property
    def phase(self):
        """Index of the current phase, None when complete."""
        return None if self.complete else max(self.furthest, 0)

    @property
    def phase_start(self):
        if self.complete:
            return None
        return self.first[self.furthest] if self.furthest >= 0 else self.first_t

    def violations(self) -> list[tuple[int, int]]:
        """DESIGN: a milestone first reached (strictly) before an earlier one is an order violation.

        ``(j, k)`` per violating milestone j: k is the earlier-expected
        milestone reached latest (the smallest such index on a tie).
        """
        out = []
        for j in sorted(self.first):
            earlier = [(self.first[i], i) for i in range(j) if i in self.first]
            if not earlier:
                continue
            latest = max(t for t, _ in earlier)
            if self.first[j] < latest:
                out.append((j, min(i for t, i in earlier if t == latest)))
        return out


def _phase_states(d: _Dossier, n_phases: int, as_of_ns: int) -> list[tuple]:
    """Per phase ``(state or None, days, start, end)`` (DESIGN "Phases and time", cases.py docstring).

    Phase i runs from milestone i to milestone i + 1 (first times). A dossier
    that reached no milestone at all is taken to start the first phase at its
    first event.

    * ``finished``: start and end reached, in order; days = end - start.
    * ``open`` / ``closed``: the current phase of an open / closed dossier,
      start reached, end not; days so far (to as_of / to the closing).
    * ``out_of_order``: start and end reached, but the phase was entered or
      finished out of order: its end came before its start, or its end
      milestone is an order violation (DESIGN: "a phase entered or finished
      out of order ... is counted but not timed"; cases.py: a violating
      milestone is counted "and the phase it ends gets no duration"). Not
      timed. (``cases.PHASE_STATES`` words it more narrowly, "end milestone
      reached before the start milestone", and so does the code; DESIGN and
      the module docstring are followed here.)
    * ``start_missing``: end reached, start never recorded. Not timed.
    * ``end_missing``: start reached, end never recorded, a later milestone was.
      Not timed.
    * None: the phase was never entered nor finished (no row).
    """
    violating = {j for j, _ in d.violations()}
    status = d.status
    current = d.phase
    out = []
    for i in range(n_phases):
        start = d.first.get(i)
        if start is None and i == 0 and d.furthest < 0:
            start = d.first_t
        end = d.first.get(i + 1)
        if start is None and end is None:
            out.append((None, None, None, None))
        elif start is None:
            out.append(("start_missing", None, None, end))
        elif end is not None:
            if end < start or (i + 1) in violating:
                out.append(("out_of_order", None, start, end))
            else:
                out.append(("finished", (end - start) / DAY_NS, start, end))
        elif i == current and status == "open":
            out.append(("open", (as_of_ns - start) / DAY_NS, start, None))
        elif i == current and status == "closed":
            out.append(("closed", (d.last_close_t - start) / DAY_NS, start, None))
        else:
            out.append(("end_missing", None, start, None))
    return out


def _times(values) -> np.ndarray:
    """int ns / None → datetime64[ns] array (NaT for None)."""
    return np.array([_NAT if v is None else v for v in values], dtype=np.int64).view("datetime64[ns]")


def _floats(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _frame(records: list[dict], times=(), floats=(), columns=None) -> pd.DataFrame:
    """Records (dicts, or tuples with ``columns``) → DataFrame, column by column: times stay exact
    integers until they become ``datetime64[ns]`` (never floats on the way), None is missing."""
    if columns is not None:
        records = [dict(zip(columns, r)) for r in records]
    names = columns or (list(records[0]) if records else [])
    data = {}
    for name in names:
        values = [r[name] for r in records]
        if name in times:
            data[name] = _times(values)
        elif name in floats:
            data[name] = _floats(values)
        else:
            data[name] = pd.Series(values, dtype=object) if any(v is None for v in values) else values
    return pd.DataFrame(data, columns=names)


def _model(milestones, phase_keys):
    milestones, phase_keys = list(milestones), list(phase_keys)
    assert len(phase_keys) == len(milestones) - 1, "one phase per consecutive pair of milestones"
    return milestones, phase_keys


# ============================================================================ case_table
def case_table(events: pd.DataFrame, as_of=None, *, milestones, phase_keys, close_events=(), waiting_on=None,
               provisional=None, permanent=None, trigger_keys=(), attributes=(), **_) -> pd.DataFrame:
    """One row per dossier with an event up to as_of, sorted by case_id (case_table docstring).

    ``status``, ``current_phase`` (empty when complete), ``phase_started_at``,
    ``days_in_phase`` (to as_of when open, to the closing when closed, empty
    when complete), ``started_at`` (start milestone, else first event),
    ``last_event`` / ``last_event_at`` (the last event in the log's order),
    ``closed_at``, ``completed_at``, ``n_events``, ``order_violations``,
    ``number_status`` (``permanent`` once the permanent-number event is seen,
    else ``nia`` once the provisional one is, else ``none``; only when the
    process names one), ``waiting_on`` (party of the last event the process
    maps; open dossiers only; only when the process maps any), ``n_triggers``
    (events carrying any trigger), ``<milestone>_at`` (first times),
    ``trigger_<key>`` (raised at least once), ``<phase>_days`` /
    ``<phase>_state`` (see :func:`_phase_states`), then the attributes (first
    non-empty value).
    """
    milestones, phase_keys = _model(milestones, phase_keys)
    limit, inclusive = resolve_as_of(as_of, events)
    waiting_on = dict(waiting_on or {})
    numbered = bool(provisional or permanent)
    records = []
    for case_id, rows, attrs in _dossiers(events, limit, inclusive, attributes):
        d = _Dossier(milestones, close_events)
        party = None
        seen = set()
        triggers = set()
        n_triggers = 0
        for name, t, trig in rows:
            d.add(name, t)
            seen.add(name)
            party = waiting_on.get(name, party)
            if trig is not None:
                n_triggers += 1
                triggers.add(trig)
        status = d.status
        phase = d.phase
        started = d.phase_start
        end = limit if status == "open" else d.last_close_t
        rec = {
            "case_id": case_id,
            "status": status,
            "current_phase": None if phase is None else phase_keys[phase],
            "phase_started_at": started,
            "days_in_phase": None if phase is None else (end - started) / DAY_NS,
            "started_at": d.first.get(0, d.first_t),
            "last_event": rows[-1][0],
            "last_event_at": rows[-1][1],
            "closed_at": d.last_close_t if status == "closed" else None,
            "completed_at": d.first.get(len(milestones) - 1),
            "n_events": len(rows),
            "order_violations": len(d.violations()),
        }
        if numbered:
            rec["number_status"] = ("permanent" if permanent in seen else "nia" if provisional in seen else "none")
        if waiting_on:
            rec["waiting_on"] = party if status == "open" else None
        rec["n_triggers"] = n_triggers
        for j, m in enumerate(milestones):
            rec[f"{m}_at"] = d.first.get(j)
        for key in trigger_keys:
            rec[f"trigger_{key}"] = key in triggers
        for key, (state, days, _, _) in zip(phase_keys, _phase_states(d, len(phase_keys), limit)):
            rec[f"{key}_days"] = days
            rec[f"{key}_state"] = state
        rec.update(attrs)
        records.append(rec)
    return _frame(records, times=["phase_started_at", "started_at", "last_event_at", "closed_at", "completed_at",
                                  *[f"{m}_at" for m in milestones]],
                  floats=["days_in_phase", *[f"{p}_days" for p in phase_keys]]).sort_values(
        "case_id", kind="stable").reset_index(drop=True)


# ============================================================================ phase_durations
def phase_durations(events: pd.DataFrame, as_of=None, *, milestones, phase_keys, close_events=(), **_) -> pd.DataFrame:
    """One row per (dossier, phase) entered or finished, by case then phase order (phase_durations docstring).

    ``days``: the duration when ``finished``, the censored time so far when
    ``open`` or ``closed``, empty otherwise. ``finished`` is True only for the
    state ``finished``: DESIGN, "a phase entered or finished out of order, or
    with its start missing, is counted but not timed: its days is missing and
    it is not finished"; an open or closed phase is not finished either.
    """
    milestones, phase_keys = _model(milestones, phase_keys)
    limit, inclusive = resolve_as_of(as_of, events)
    records = []
    for case_id, rows, _attrs in _dossiers(events, limit, inclusive):
        d = _Dossier(milestones, close_events)
        for name, t, _trig in rows:
            d.add(name, t)
        for key, (state, days, start, end) in zip(phase_keys, _phase_states(d, len(phase_keys), limit)):
            if state is not None:
                records.append((case_id, key, start, end, days, state == "finished", state))
    out = _frame(records, columns=["case_id", "phase", "start", "end", "days", "finished", "state"],
                 times=("start", "end"), floats=("days",))
    out["finished"] = out["finished"].astype(bool)
    return out


# ============================================================================ phase_summary (counts)
def phase_summary_counts(events: pd.DataFrame, as_of=None, *, by=None, milestones, phase_keys, close_events=(),
                         attributes=(), **_) -> pd.DataFrame:
    """Per phase (and per value of one case attribute ``by``, missing values a group of their own): the counts
    of phase_summary's docstring.

    ``n``: dossiers with a duration in the phase (finished, still open, or
    closed in it); ``n_finished``, ``n_open``, ``n_closed``; ``n_no_duration``:
    entered or finished out of order, or a milestone missing (counted, not
    timed). Groups sorted by value (missing last), phases in process order.
    """
    milestones, phase_keys = _model(milestones, phase_keys)
    limit, inclusive = resolve_as_of(as_of, events)
    counts: dict = {}
    attrs_needed = (by,) if by is not None else ()
    for _case_id, rows, attrs in _dossiers(events, limit, inclusive, attrs_needed):
        d = _Dossier(milestones, close_events)
        for name, t, _trig in rows:
            d.add(name, t)
        group = attrs[by] if by is not None else None
        per_phase = counts.setdefault(group, [Counter() for _ in phase_keys])
        for j, (state, _, _, _) in enumerate(_phase_states(d, len(phase_keys), limit)):
            if state is not None:
                per_phase[j][state] += 1
    records = []
    for group in sorted(counts, key=lambda g: (g is None, g or "")):
        for key, c in zip(phase_keys, counts[group]):
            rec = {by: group} if by is not None else {}
            rec.update(phase=key, n=sum(c[s] for s in TIMED_STATES), n_finished=c["finished"], n_open=c["open"],
                       n_closed=c["closed"], n_no_duration=sum(c[s] for s in UNTIMED_STATES))
            records.append(rec)
    return pd.DataFrame.from_records(records)


# ============================================================================ trigger_summary (counts)
def trigger_summary_counts(events: pd.DataFrame, as_of=None, *, by=None, milestones, phase_keys, attributes=(),
                           **_) -> pd.DataFrame:
    """Per trigger raised up to as_of (and per ``by`` group): ``events`` (times raised), ``cases_affected``,
    ``share`` (of the group's dossiers) and ``phase`` (trigger_summary docstring and code).

    A trigger event at time t is raised in the phase after the furthest
    milestone the dossier had first reached at or before t (the first phase
    when none; the last phase once complete). ``phase`` is the phase a trigger
    was most often raised in; a tie goes to the earlier phase. Sorted by group
    then trigger name.
    """
    milestones, phase_keys = _model(milestones, phase_keys)
    limit, inclusive = resolve_as_of(as_of, events)
    position = {m: j for j, m in enumerate(milestones)}
    n_phases = len(phase_keys)
    group_size: Counter = Counter()
    raised: dict = {}  # (group, trigger) → [events, set of cases, Counter of phases]
    attrs_needed = (by,) if by is not None else ()
    for case_id, rows, attrs in _dossiers(events, limit, inclusive, attrs_needed):
        group = attrs[by] if by is not None else None
        group_size[group] += 1
        first = {}
        for name, t, _trig in rows:  # the dossier's first milestone times as of the analysis
            j = position.get(name)
            if j is not None and j not in first:
                first[j] = t
        for name, t, trig in rows:
            if trig is None:
                continue
            reached = [j for j, tj in first.items() if tj <= t]
            phase = min(max(reached, default=0), n_phases - 1)
            cell = raised.setdefault((group, trig), [0, set(), Counter()])
            cell[0] += 1
            cell[1].add(case_id)
            cell[2][phase] += 1
    records = []
    for (group, trig) in sorted(raised, key=lambda k: (k[0] is None, k[0] or "", k[1])):
        n_events, cases, phases = raised[(group, trig)]
        top = max(phases.values())
        phase = min(p for p, c in phases.items() if c == top)
        rec = {by: group} if by is not None else {}
        rec.update(trigger=trig, phase=phase_keys[phase], events=n_events, cases_affected=len(cases),
                   share=len(cases) / group_size[group])
        records.append(rec)
    columns = ([by] if by is not None else []) + ["trigger", "phase", "events", "cases_affected", "share"]
    return pd.DataFrame.from_records(records, columns=columns)


# ============================================================================ stalled
def stalled(events: pd.DataFrame, as_of=None, *, thresholds, followup_days=14, milestones, phase_keys,
            close_events=(), provisional=None, permanent=None, submission_phase=None, mediator_event="mediator_referral",
            complaint_event="complaint_filed", complement_requested="complement_requested",
            complement_sent="complement_sent", **_) -> pd.DataFrame:
    """The worklist with user-given thresholds (days per phase), sorted by case_id (stalls.py).

    A dossier is stalled when it is **open** and its days in the current phase
    are strictly more than that phase's threshold. ``days_over`` = days in
    phase - threshold. The reason is the first that holds, in the module
    docstring's order, from the dossier's events up to as_of:

    1. ``mediator``: a ``mediator_referral`` was recorded;
    2. ``complaint``: a ``complaint_filed`` was recorded;
    3. ``nia_only``: only the provisional number is held (number status
       ``nia``, when the process names number events) and the dossier is not
       yet sent: its phase comes before the model's ``submission_phase``
       (every phase when the model names none, as the code does);
    4. ``complement_pending``: the last ``complement_requested`` comes after
       the last ``complement_sent`` (or none was sent);
    5. ``no_movement``: more than ``followup_days`` days from the last event
       to as_of;
    6. ``phase_action`` otherwise.
    """
    milestones, phase_keys = _model(milestones, phase_keys)
    limit, inclusive = resolve_as_of(as_of, events)
    submit = phase_keys.index(submission_phase) if submission_phase else len(phase_keys)
    numbered = bool(provisional or permanent)
    records = []
    for case_id, rows, _attrs in _dossiers(events, limit, inclusive):
        d = _Dossier(milestones, close_events)
        seen = set()
        pending = False
        for name, t, _trig in rows:
            d.add(name, t)
            seen.add(name)
            if name == complement_requested:
                pending = True
            elif name == complement_sent:
                pending = False
        if d.status != "open":
            continue
        phase = d.phase
        days = (limit - d.phase_start) / DAY_NS
        threshold = float(thresholds[phase_keys[phase]])
        if not days > threshold:
            continue
        nia = numbered and permanent not in seen and provisional in seen
        if mediator_event in seen:
            reason = "mediator"
        elif complaint_event in seen:
            reason = "complaint"
        elif nia and phase < submit:
            reason = "nia_only"
        elif pending:
            reason = "complement_pending"
        elif (limit - rows[-1][1]) / DAY_NS > followup_days:
            reason = "no_movement"
        else:
            reason = "phase_action"
        records.append((case_id, phase_keys[phase], days, threshold, days - threshold, reason))
    return pd.DataFrame.from_records(
        records, columns=["case_id", "phase", "days_in_phase", "threshold_days", "days_over", "reason"])


# ============================================================================ conformance
def conformance(events: pd.DataFrame, as_of=None, *, milestones, phase_keys, provisional=None, permanent=None,
                submission_phase=None, checks=(), route_attribute="route", salaried="salaried",
                salaried_trigger="salaried_route", **_) -> pd.DataFrame:
    """One row per problem, sorted by case_id, kind, then times (conformance docstring).

    * ``milestone_order``: per milestone first reached strictly before an
      earlier-expected one; the other event is the earlier-expected milestone
      reached latest (the first of them in process order on a tie).
    * ``submitted_on_nia``: the dossier was submitted (first time of the
      milestone starting the model's ``submission_phase``) at or after the first
      provisional number and before the first permanent one, or with no
      permanent number yet; only when the model's ``checks`` name it (it then has
      a submission phase and both number events).
    * ``dossier_before_registration``: submitted strictly before the milestone
      ending the first phase was first reached, or with none recorded; only when
      ``checks`` name it and the submission phase starts after that milestone.
    * ``salaried_route``: the dossier's ``route`` (first non-empty value,
      trimmed, case-folded) is ``salaried``, or an event carries the trigger
      ``salaried_route``; the first event is where the trigger was first
      raised, else the dossier's first event; no second event; only when
      ``checks`` name it.

    ``days_apart`` = second_at - first_at, empty when there is no second time.
    """
    milestones, phase_keys = _model(milestones, phase_keys)
    limit, inclusive = resolve_as_of(as_of, events)
    submission = milestones[phase_keys.index(submission_phase)] if submission_phase else None
    registration = milestones[1]
    attrs_needed = (route_attribute,) if route_attribute in events.columns else ()
    kinds = ["dossier_before_registration", "milestone_order", "salaried_route", "submitted_on_nia"]
    records = []
    for case_id, rows, attrs in _dossiers(events, limit, inclusive, attrs_needed):
        first: dict[str, int] = {}
        trigger_at = None
        for name, t, trig in rows:
            first.setdefault(name, t)
            if trig == salaried_trigger and trigger_at is None:
                trigger_at = (name, t)
        d = _Dossier(milestones, ())
        for name, t, _trig in rows:
            d.add(name, t)
        for j, k in d.violations():
            records.append((case_id, "milestone_order", milestones[j], d.first[j], milestones[k], d.first[k]))
        sub = first.get(submission) if submission else None
        if "submitted_on_nia" in checks and submission and provisional and permanent and sub is not None:
            nia, perm = first.get(provisional), first.get(permanent)
            if nia is not None and nia <= sub and (perm is None or perm > sub):
                records.append((case_id, "submitted_on_nia", provisional, nia, submission, sub))
        if "dossier_before_registration" in checks and submission and milestones.index(submission) > 1 \
                and sub is not None:
            reg = first.get(registration)
            if reg is None or sub < reg:
                records.append((case_id, "dossier_before_registration", submission, sub, registration, reg))
        if "salaried_route" not in checks:
            continue
        route = attrs.get(route_attribute)
        by_route = route is not None and route.strip().casefold() == salaried
        if trigger_at is not None:
            records.append((case_id, "salaried_route", trigger_at[0], trigger_at[1], None, None))
        elif by_route:
            records.append((case_id, "salaried_route", rows[0][0], rows[0][1], None, None))
    records.sort(key=lambda r: (r[0], kinds.index(r[1]), r[3], _NAT if r[5] is None else r[5], r[2]))
    records = [(*r, None if r[5] is None else (r[5] - r[3]) / DAY_NS) for r in records]
    return _frame(records, columns=["case_id", "kind", "first_event", "first_at", "second_event", "second_at",
                                    "days_apart"], times=("first_at", "second_at"), floats=("days_apart",))


# ============================================================================ throughput
def _period_start(day_number: int, freq: str) -> _dt.date:
    """First day of the period (W: Monday to Sunday; M: calendar month) holding a day (days since 1970-01-01)."""
    day = _EPOCH + _dt.timedelta(days=day_number)
    if freq == "W":
        return day - _dt.timedelta(days=day.weekday())
    if freq == "M":
        return day.replace(day=1)
    raise ValueError(f"reference throughput knows freq 'W' and 'M', not {freq!r}")


def _next_period(start: _dt.date, freq: str) -> _dt.date:
    if freq == "W":
        return start + _dt.timedelta(days=7)
    return _dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)


def throughput(events: pd.DataFrame, as_of=None, *, freq="W", milestones, phase_keys, close_events=(),
               submission_phase=None, **_) -> pd.DataFrame:
    """Per period, every one from the period holding the first event to the period holding as_of (throughput
    docstring; a bare date's as_of is the end of that day, so its period is that day's):

    * ``started``: dossiers whose start milestone (else first event) falls in the period;
    * ``rights_opened``: dossiers first reaching the milestone that ends the
      model's ``submission_phase`` in the period (only when it names one);
    * ``completed``: first reaching the last milestone in the period;
    * ``closed``: dossiers closed at as_of, counted at their closing date;
    * ``open_<phase>``: dossiers open at the end of the period (at as_of for
      the last one) and in that phase then, by the case-table rules applied to
      the events recorded before the period's end; ``wip``: their sum.
    """
    milestones, phase_keys = _model(milestones, phase_keys)
    limit, inclusive = resolve_as_of(as_of, events)
    dossiers = list(_dossiers(events, limit, inclusive))
    first_t = min(rows[0][1] for _, rows, _ in dossiers)
    last_moment = limit if inclusive else limit - 1

    starts = [_period_start(first_t // DAY_NS, freq)]
    last_start = _period_start(last_moment // DAY_NS, freq)
    while starts[-1] < last_start:
        starts.append(_next_period(starts[-1], freq))
    n_periods = len(starts)
    index_of = {s: k for k, s in enumerate(starts)}
    period_cache: dict[int, int] = {}

    def period(t: int) -> int:
        day = t // DAY_NS
        if day not in period_cache:
            period_cache[day] = index_of[_period_start(day, freq)]
        return period_cache[day]

    rights_end = milestones[phase_keys.index(submission_phase) + 1] if submission_phase else None
    n_phases = len(phase_keys)
    counts = {name: [0] * n_periods for name in ("started", "rights_opened", "completed", "closed")}
    steps = [[0] * (n_periods + 1) for _ in range(n_phases)]  # +1 where an open stretch begins, -1 after it

    def hold(phase, from_p, to_p):
        if phase is not None and from_p < to_p:
            steps[phase][from_p] += 1
            steps[phase][to_p] -= 1

    for _case_id, rows, _attrs in dossiers:
        d = _Dossier(milestones, close_events)
        current = period(rows[0][1])
        for name, t, _trig in rows:
            p = period(t)
            if p > current:  # the standing after the earlier periods' events held until now
                hold(d.phase if d.status == "open" else None, current, p)
                current = p
            d.add(name, t)
        hold(d.phase if d.status == "open" else None, current, n_periods)
        counts["started"][period(d.first.get(0, d.first_t))] += 1
        if rights_end is not None and milestones.index(rights_end) in d.first:
            counts["rights_opened"][period(d.first[milestones.index(rights_end)])] += 1
        if d.complete:
            counts["completed"][period(d.first[len(milestones) - 1])] += 1
        if d.closed:
            counts["closed"][period(d.last_close_t)] += 1

    out = {"period_start": pd.to_datetime([s.isoformat() for s in starts]).astype("datetime64[ns]")}
    out["started"] = counts["started"]
    if rights_end is not None:
        out["rights_opened"] = counts["rights_opened"]
    out["completed"] = counts["completed"]
    out["closed"] = counts["closed"]
    wip = [0] * n_periods
    for j, key in enumerate(phase_keys):
        running, column = 0, []
        for k in range(n_periods):
            running += steps[j][k]
            column.append(running)
            wip[k] += running
        out[f"open_{key}"] = column
    out["wip"] = wip
    return pd.DataFrame(out)


# ============================================================================ waiting_on
def waiting_on(events: pd.DataFrame, as_of=None, *, milestones, close_events=(), waiting_on=None,
               **_) -> pd.DataFrame:
    """Per dossier, its elapsed time split by who it waited on, in calendar days (flow.waiting_on docstring).

    The time runs from the first event to the end: the first time of the last
    milestone (complete), the closing (closed), else as_of. Each event's
    interval (to the next event, the last one to the end; clipped at the end)
    goes to the party named for the latest event so far that the process maps
    (the event itself included); before any, ``unassigned``.
    ``total_days`` is the sum. Sorted by case_id.
    """
    milestones = list(milestones)
    mapping = dict(waiting_on or {})
    limit, inclusive = resolve_as_of(as_of, events)
    columns = [*WAITING_PARTIES, "unassigned"]
    records = []
    for case_id, rows, _attrs in _dossiers(events, limit, inclusive):
        d = _Dossier(milestones, close_events)
        for name, t, _trig in rows:
            d.add(name, t)
        end = d.first[len(milestones) - 1] if d.complete else d.last_close_t if d.closed else limit
        totals = dict.fromkeys(columns, 0.0)
        party = "unassigned"
        for k, (name, t, _trig) in enumerate(rows):
            party = mapping.get(name, party)
            nxt = rows[k + 1][1] if k + 1 < len(rows) else end
            totals[party] += (min(nxt, end) - min(t, end)) / DAY_NS
        records.append((case_id, d.status, *[totals[c] for c in columns], sum(totals.values())))
    return pd.DataFrame.from_records(
        records, columns=["case_id", "status", *[f"{c}_days" for c in columns], "total_days"])
