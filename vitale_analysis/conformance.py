"""Steps done out of order: one row per problem found in a dossier's history.

Out-of-order steps are the main cause of long delays (DESIGN.md, question 4).
:func:`conformance` lists them, kind by kind, with the two events involved and
how many days apart they were, so that an advisor can see what happened and a
summary can count them.

The checks work on the validated events, vectorised over all dossiers at once
(no Python loop per dossier).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .caselog import CaseLog
from .cases import CaseTable, log_and_cut
from .codes import first_row_per_case, order_violations, run_starts
from .eventcore import (case_calendars, case_values, code_of, cohort_frame, event_codes, event_core, first_time_of,
                        times_of)
from .process import ProcessModel
from .timeutil import NAT, elapsed_days

__all__ = ["conformance", "CONFORMANCE_KINDS", "CONFORMANCE_COLUMNS"]

#: Every kind of problem :func:`conformance` reports, with what it means
#: (in the order rows are sorted within a dossier).
CONFORMANCE_KINDS: dict[str, str] = {
    "dossier_before_registration": (
        "the dossier was submitted before the activity registration was accepted, "
        "or with no accepted registration recorded"
    ),
    "milestone_order": "a milestone was reached before a milestone the process expects earlier",
    "salaried_route": "a salaried person on the self-employed route (route 'salaried' or trigger salaried_route)",
    "submitted_on_nia": (
        "the dossier was submitted while only a provisional number (NIA) was held: "
        "after the NIA and before the permanent number, or with no permanent number yet"
    ),
}

#: Columns of :func:`conformance` (then ``office`` when the log has it, then the ``by`` columns).
CONFORMANCE_COLUMNS = [
    "case_id", "kind", "detail", "first_event", "first_at", "second_event", "second_at", "days_apart",
]

_SALARIED = "salaried"
_SALARIED_TRIGGER = "salaried_route"


def _submission_milestone(process: ProcessModel) -> str | None:
    """The milestone that sends the dossier: the start of the model's ``submission_phase``.

    For the Carte Vitale this is ``dossier_submitted`` (the phase ``rights``). A
    model that names no submission phase has no submission step to check: it is
    set in the model file, never guessed from a phase's name.
    """
    if process.submission_phase is None:
        return None
    return process.phase(process.submission_phase).start


def _dates(ns: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD`` text for int64 ns times (in the clock of the log's columns)."""
    return np.datetime_as_string(ns.astype("datetime64[ns]").astype("datetime64[D]"), unit="D").astype(object)


def _block(kind, case, detail, first_event, first_ns, second_event, second_ns) -> dict:
    n = len(case)

    def as_array(value) -> np.ndarray:  # one name for the whole block, or one per row
        if value is None or isinstance(value, str):
            return np.full(n, value, dtype=object)
        return np.asarray(value, dtype=object)

    return {
        "case": np.asarray(case, dtype=np.int64),
        "kind": np.full(n, kind, dtype=object),
        "detail": np.asarray(detail, dtype=object),
        "first_event": as_array(first_event),
        "first_ns": np.asarray(first_ns, dtype=np.int64),
        "second_event": as_array(second_event),
        "second_ns": np.broadcast_to(np.asarray(second_ns, dtype=np.int64), (n,)).copy(),
    }


def conformance(log_or_table: CaseLog | CaseTable, *, as_of=None, days: str | None = None,
                by=None) -> pd.DataFrame:
    """Steps done out of order, one row per problem found in a dossier.

    Parameters
    ----------
    log_or_table : CaseLog or CaseTable
        From :func:`load` or :func:`validate`, or a case table of it (possibly
        filtered: its own dossiers, as of its own ``as_of``, in its own days).
    as_of : date-like, optional
        Default: the log's latest timestamp. A bare date means the end of that
        day. Events after it are ignored: the list is what could be seen then.
    days : {"calendar", "working"}
        ``days_apart`` in calendar days (float) or whole French working days.
    by : str or list of str, optional
        Case attributes or ``start_month`` / ``start_quarter`` / ``start_year``
        to add as columns, to count problems per group.

    Returns
    -------
    DataFrame
        One row per problem, sorted by ``case_id`` then ``kind`` (then time).
        Columns:

        * ``case_id``;
        * ``kind`` (categorical, see :data:`CONFORMANCE_KINDS`):

          - ``milestone_order``: a milestone first reached before a milestone
            the process expects earlier, e.g. ``dossier_submitted`` before
            ``nir_permanent``. One row per milestone that came too early; the
            other event is the earlier-expected milestone reached latest (the
            one it overtook). These are exactly the ``order_violation`` rows of
            the quality report when ``as_of`` is the log's end.
          - ``submitted_on_nia``: the dossier was submitted (first
            ``dossier_submitted``) at or after the provisional number
            (first ``nia_assigned``) and before the permanent one (first
            ``nir_permanent``), or with no permanent number yet. Skipped when
            the process names no provisional or permanent number event.
          - ``dossier_before_registration``: the dossier was submitted
            strictly before the registration was accepted (the milestone that
            ends the first phase, ``registration_accepted``), or with none
            recorded.
          - ``salaried_route``: the dossier's ``route`` is ``"salaried"``, or
            an event carries the trigger ``salaried_route``: a salaried person
            is registered through the employer and does not self-file.

          "The dossier was submitted" means the first time the milestone that
          starts the model's ``submission_phase`` was reached (``rights`` for
          the Carte Vitale). These three kinds are the Carte Vitale's: a model
          turns each on by name in its ``checks`` list, never by its phase
          names; ``milestone_order`` is always on.
        * ``detail``: a plain sentence saying what happened, with dates;
        * ``first_event``, ``first_at``: the event that came first;
        * ``second_event``, ``second_at``: the event that came after it, or
          that is missing (``second_at`` empty); empty for ``salaried_route``;
        * ``days_apart``: ``second_at - first_at`` (≥ 0), empty when the
          second event is missing or does not apply;
        * ``office``, when the log has it; then the ``by`` columns.

        No problem found: an empty table with the same columns.
        ``df.attrs`` holds ``as_of``, ``days`` and ``process``.

    Notes
    -----
    A dossier can appear under several kinds for one mistake: a dossier sent
    on an NIA before the permanent number is both ``milestone_order``
    (``dossier_submitted before nir_permanent``) and ``submitted_on_nia``.
    Count dossiers per kind, not rows, to size a problem. Events at the same
    time count as in order, except that an NIA assigned at the very moment of
    submission counts as held.

    Examples
    --------
    >>> from vitale_analysis import load
    >>> from vitale_analysis.conformance import conformance
    >>> problems = conformance(load("data/sample_caselog.csv"))
    >>> sorted(problems["kind"].unique())
    ['milestone_order', 'salaried_route', 'submitted_on_nia']
    """
    log, cut, days = log_and_cut(log_or_table, as_of=as_of, days=days)
    core = event_core(log, cut)
    process = core.process
    milestones = process.milestones
    n = core.n_cases
    t_ns = core.t_ns
    _, names_of_events = event_codes(core.ev)
    blocks: list[dict] = []

    # -- milestone_order: the same rule as the case table and the quality report.
    viol, culprit = order_violations(core.times, NAT)
    case, early = np.nonzero(viol)
    if case.size:
        late = culprit[case, early]
        names = np.asarray(milestones, dtype=object)
        first_ns, second_ns = core.times[case, early], core.times[case, late]
        detail = (
            names[early] + " (" + _dates(first_ns) + ") came before " + names[late] + " ("
            + _dates(second_ns) + "); the process expects " + names[late] + " first."
        )
        blocks.append(_block("milestone_order", case, detail, names[early], first_ns, names[late], second_ns))

    submission = _submission_milestone(process)
    sub_ns = core.times[:, milestones.index(submission)] if submission else None

    # -- submitted_on_nia
    provisional, permanent = process.provisional_number_event, process.permanent_number_event
    if "submitted_on_nia" in process.checks and submission and provisional and permanent:
        nia_ns = first_time_of(core, code_of(names_of_events, provisional))
        perm_ns = first_time_of(core, code_of(names_of_events, permanent))
        hit = (sub_ns != NAT) & (nia_ns != NAT) & (nia_ns <= sub_ns) & ((perm_ns == NAT) | (perm_ns > sub_ns))
        case = np.flatnonzero(hit)
        if case.size:
            later = perm_ns[case] != NAT
            tail = np.where(
                later,
                "; " + permanent + " came later (" + _dates(np.where(later, perm_ns[case], 0)) + ").",
                "; no " + permanent + " recorded yet.",
            )
            detail = (
                submission + " (" + _dates(sub_ns[case]) + ") while only a provisional number was held ("
                + provisional + " " + _dates(nia_ns[case]) + ")" + tail
            )
            blocks.append(_block("submitted_on_nia", case, detail, provisional, nia_ns[case], submission, sub_ns[case]))

    # -- dossier_before_registration
    registration = milestones[1]
    if "dossier_before_registration" in process.checks and submission and milestones.index(submission) > 1:
        reg_ns = core.times[:, 1]
        hit = (sub_ns != NAT) & ((reg_ns == NAT) | (sub_ns < reg_ns))
        case = np.flatnonzero(hit)
        if case.size:
            missing = reg_ns[case] == NAT
            detail = submission + " (" + _dates(sub_ns[case]) + np.where(
                missing,
                ") with no " + registration + " recorded.",
                ") came before " + registration + " (" + _dates(np.where(missing, 0, reg_ns[case])) + ").",
            )
            blocks.append(
                _block("dossier_before_registration", case, detail, submission, sub_ns[case],
                       registration, reg_ns[case])
            )

    # -- salaried_route
    flagged = np.zeros(n, dtype=bool)
    by_route = np.zeros(n, dtype=bool)
    salaried_check = "salaried_route" in process.checks
    if salaried_check and "route" in log.case_attributes:
        route = case_values(core, "route").astype("string").str.strip().str.casefold()
        by_route = (route == _SALARIED).fillna(False).to_numpy(dtype=bool)
        flagged |= by_route
    trigger = core.ev["trigger"]
    trigger_pos = np.full(n, -1, dtype=np.int64)
    if salaried_check and _SALARIED_TRIGGER in trigger.cat.categories:
        is_trigger = (trigger.cat.codes == trigger.cat.categories.get_loc(_SALARIED_TRIGGER)).to_numpy()
        trigger_pos = first_row_per_case(is_trigger, core.codes, n)
        flagged |= trigger_pos >= 0
    case = np.flatnonzero(flagged)
    if case.size:
        has_trigger = trigger_pos[case] >= 0
        # The event where it was detected; with the route alone, the dossier's first event.
        first_row = np.where(has_trigger, trigger_pos[case], run_starts(core.codes)[case])
        event_names = core.ev["event"].astype(object).to_numpy()[first_row]
        when = _dates(t_ns[first_row])
        reason = np.where(
            by_route[case] & has_trigger,
            "route is 'salaried' and trigger salaried_route raised on " + event_names + " (" + when + ")",
            np.where(
                has_trigger,
                "trigger salaried_route raised on " + event_names + " (" + when + ")",
                "route is 'salaried' (first event " + event_names + ", " + when + ")",
            ),
        )
        detail = (
            "Salaried person on the self-employed route: " + reason
            + "; a salaried person is registered through the employer and does not self-file."
        )
        blocks.append(_block("salaried_route", case, detail, event_names, t_ns[first_row], None, NAT))

    if blocks:
        parts = {key: np.concatenate([b[key] for b in blocks]) for key in blocks[0]}
    else:
        parts = {key: np.array([], dtype=np.int64 if key.endswith(("ns", "case")) else object)
                 for key in ("case", "kind", "detail", "first_event", "first_ns", "second_event", "second_ns")}

    kinds = list(CONFORMANCE_KINDS)
    order = np.lexsort((parts["second_ns"], parts["first_ns"],
                        pd.Categorical(parts["kind"], categories=kinds).codes, parts["case"]))
    parts = {key: values[order] for key, values in parts.items()}
    case = parts["case"]
    second_ok = parts["second_ns"] != NAT
    calendars = case_calendars(core, days)
    if calendars is not None:
        calendars = calendars.take(case)
    apart = elapsed_days(parts["first_ns"], parts["second_ns"], days=days, aware=core.aware, calendars=calendars)

    out = pd.DataFrame(
        {
            "case_id": pd.array(core.case_ids[case], dtype="string"),
            "kind": pd.Categorical(parts["kind"], categories=kinds),
            "detail": pd.array(parts["detail"], dtype="string"),
            "first_event": pd.array(parts["first_event"], dtype="string"),
            "first_at": times_of(core, parts["first_ns"]),
            "second_event": pd.array(np.where(pd.isna(parts["second_event"]), None, parts["second_event"]),
                                     dtype="string"),
            "second_at": times_of(core, np.where(second_ok, parts["second_ns"], NAT)),
            "days_apart": apart,
        }
    )
    extra = ["office"] if "office" in log.case_attributes else []
    if extra or by is not None:
        frame, names = cohort_frame(log, core, by, extra=extra)
        for column in dict.fromkeys([*extra, *names]):
            out[column] = frame[column].take(case).reset_index(drop=True)
    out.attrs.update(as_of=core.as_of, days=days, process=process.name)  # (for display)
    return out
