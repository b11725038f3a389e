"""How long phases take, and which delay triggers cost the most days.

Both summaries count open dossiers honestly (Kaplan–Meier, see :mod:`.km`)
and accept ``by=`` for cohorts (any case attribute, or ``start_month``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .caselog import CaseLog
from .cases import PHASE_STATES, TIMED_STATES, UNTIMED_STATES, CaseTable, as_case_table
from .codes import case_positions, flat_index, run_starts
from .cohorts import cohort_columns
from .cohorts import group_codes as _group_codes
from .errors import CaseLogError
from .km import (km_bootstrap_deviations, km_grouped_summary, km_quantiles, km_quantiles_sorted, km_summary_sorted,
                 normal_quantile, sort_durations, thread_map, without_sorted)
from .timeutil import NAT, elapsed_days, to_ns

__all__ = ["phase_summary", "trigger_summary", "trigger_events", "DEFAULT_PERCENTILES", "percentile_column"]
# (Also public, for the distributed summaries: percentile_levels, check_confidence, phase_summary_frame,
# RaisedTriggers, raised_triggers, summarise_triggers.)

#: The Kaplan–Meier percentiles phase_summary gives by default.
DEFAULT_PERCENTILES = (50, 75, 90)

_STATES = list(PHASE_STATES)
_TIMED_CODES = [_STATES.index(s) for s in TIMED_STATES]
_UNTIMED_CODES = [_STATES.index(s) for s in UNTIMED_STATES]
_FINISHED = _STATES.index("finished")


def percentile_column(percentile: float) -> str:
    """The column :func:`phase_summary` gives a percentile in: ``median_days``, ``p75_days``, …"""
    return "median_days" if percentile == 50 else f"p{percentile:g}_days"


def phase_summary(
    log_or_table: CaseLog | CaseTable,
    *,
    by: str | Sequence[str] | None = None,
    as_of=None,
    days: str | None = None,
    percentiles: Sequence[float] = DEFAULT_PERCENTILES,
    confidence: float | None = 0.95,
) -> pd.DataFrame:
    """Time per phase, counting dossiers still open honestly.

    Parameters
    ----------
    log_or_table : CaseLog or CaseTable
        A validated log, or a case table from :func:`case_table` (possibly
        filtered: widgets compute it once and filter rows). A distributed log
        or table (:mod:`vitale_analysis.distributed`) gives the same frame,
        merged from its partitions' counts.
    by : str or list of str, optional
        Cohorts: a case attribute (``office``, ``channel``, ``born_abroad``…)
        or ``start_month`` / ``start_quarter`` / ``start_year``.
    as_of : date-like, optional
        Default: the log's latest event (a case table keeps its own).
    days : {"calendar", "working"}, optional
        Default calendar days (a case table keeps its own).
    percentiles : sequence of numbers in (0, 100)
        Which Kaplan–Meier percentiles to give (default 50, 75, 90).
    confidence : float or None
        Level of the median's confidence interval (default 0.95); None: no
        interval columns.

    Returns
    -------
    DataFrame
        One row per (group and) phase, in process order: ``n`` dossiers with a
        duration in the phase (finished, still open, or closed in it),
        ``n_finished``, ``n_open``, ``n_closed``, ``n_no_duration`` (entered or
        finished it out of order, or a milestone missing: counted, not timed),
        then a column per percentile, ascending (``median_days``, ``p75_days``,
        ``p90_days`` by default; see :func:`percentile_column`): Kaplan–Meier,
        open and closed dossiers count as censored, ``inf`` when too many are
        still open for the curve to fall that low; with a ``confidence``,
        ``median_days_ci_low`` and ``median_days_ci_high`` (the interval of
        the Kaplan–Meier median, see Notes); and
        ``median_days_completed_only``.

    Notes
    -----
    Why two medians? ``median_days_completed_only`` looks only at dossiers
    that finished the phase. The ones still waiting — often the longest — are
    left out, so it is too short, the more so the more dossiers are open.
    ``median_days`` (Kaplan–Meier) keeps every open dossier for what is known
    about it: it had waited at least its days so far. When few dossiers are
    open the two agree; when they differ, trust ``median_days``.

    The interval of the median is lifelines' (Brookmeyer–Crowley): the days
    at which the ``confidence`` band of the survival curve (Greenwood
    variance, log(−log) scale) falls to one half. ``median_days_ci_high`` is
    ``inf`` when the band's upper edge never falls that low (too few dossiers
    finished to bound the median from above). The level is in
    ``attrs["confidence"]``.

    Examples
    --------
    >>> from vitale_analysis import load, phase_summary
    >>> summary = phase_summary(load("data/sample_caselog.csv"), by="channel")
    >>> list(summary.columns[:3]), list(summary["channel"].unique())
    (['channel', 'phase', 'n'], ['ameli', 'postal'])
    """
    if getattr(log_or_table, "distributed", False):  # a Dask log or table (vitale_analysis.distributed)
        return log_or_table.phase_summary(by=by, as_of=as_of, days=days, percentiles=percentiles,
                                          confidence=confidence)
    table = as_case_table(log_or_table, as_of=as_of, days=days)
    process = table.process
    levels = percentile_levels(percentiles)
    if confidence is not None:
        check_confidence(confidence)
    cases, groups = cohort_columns(table.to_frame(), by)
    phases = list(process.phase_keys)
    group_codes, group_values = _group_codes(cases, groups)
    n_groups = len(group_values) if len(table) else 0
    n_phases = len(phases)

    # One phase at a time (a national case table has millions of rows): cell = group × phase.
    n_cells = n_groups * n_phases
    stats = {name: np.zeros(n_cells, dtype=np.int64) for name in ("n", "n_finished", "n_open", "n_closed",
                                                                  "n_no_duration")}
    km = np.full((n_cells, len(levels)), np.nan)
    median_ci = np.full((n_cells, 2), np.nan)
    completed = np.full(n_cells, np.nan)
    open_code, closed_code = _STATES.index("open"), _STATES.index("closed")

    def one_phase(j: int) -> None:
        """Counts and estimates of phase j, written into its cells (phases run side by side)."""
        phase = phases[j]
        state = table.state_codes(phase)
        days_j = table[f"{phase}_days"].to_numpy(dtype=float)
        cells = np.arange(n_groups) * n_phases + j  # where this phase's groups go in the output

        def count(mask):
            if n_groups == 1:  # (no cohorts) no per-row codes to gather
                return np.array([np.count_nonzero(mask)])
            return np.bincount(group_codes[mask], minlength=n_groups)

        timed = np.isin(state, _TIMED_CODES)
        finished = state == _FINISHED
        stats["n"][cells] = count(timed)
        stats["n_finished"][cells] = count(finished)
        stats["n_open"][cells] = count(state == open_code)
        stats["n_closed"][cells] = count(state == closed_code)
        stats["n_no_duration"][cells] = count(np.isin(state, _UNTIMED_CODES))
        if n_groups == 1:  # (no cohorts) the phase's sorted sample, which the trigger summary and stalls reuse
            days_sorted, finished_sorted = table.sorted_durations(phase)
            if confidence is None:
                km[cells] = km_quantiles_sorted(days_sorted, finished_sorted, levels=levels)
            else:
                km[cells], median_ci[cells] = km_summary_sorted(days_sorted, finished_sorted, levels=levels,
                                                                confidence=confidence)
            if finished.any():  # (the finished ones, in order: the median is the middle, no second sort)
                completed[cells[0]] = _median_of_sorted(days_sorted[finished_sorted])
        else:
            km[cells], intervals = km_grouped_summary(days_j[timed], finished[timed], group_codes[timed], n_groups,
                                                      levels=levels, confidence=confidence)
            if intervals is not None:
                median_ci[cells] = intervals
        if finished.any() and n_groups > 1:
            done = pd.Series(days_j[finished]).groupby(group_codes[finished]).median()
            completed[cells[done.index.to_numpy()]] = done.to_numpy()

    if len(table):
        thread_map(one_phase, range(n_phases))  # each phase writes its own cells only
    return phase_summary_frame(stats, km, median_ci, completed, phases=phases, n_groups=n_groups,
                               groups=groups, group_values=group_values, percentiles=percentiles,
                               confidence=confidence,
                               attrs=dict(as_of=table.as_of, days=table.days, n_cases=len(table),
                                          n_open=int((table["status"] == "open").sum()), labels=table.labels))


def phase_summary_frame(stats: dict, km: np.ndarray, median_ci: np.ndarray, completed: np.ndarray, *,
                        phases: list, n_groups: int, groups: list, group_values: pd.DataFrame,
                        percentiles: Sequence[float], confidence: float | None, attrs: dict) -> pd.DataFrame:
    """The :func:`phase_summary` frame from its cells (group × phase, phases fastest): the counts,
    the Kaplan–Meier percentiles and median interval, the completed-only median."""
    n_phases = len(phases)
    estimates = {percentile_column(p): km[:, k] for k, p in enumerate(sorted(set(percentiles)))}
    if confidence is not None:  # (beside the median, or after the percentiles when the median is not asked for)
        position = list(estimates).index("median_days") + 1 if "median_days" in estimates else len(estimates)
        items = list(estimates.items())
        estimates = dict(items[:position] + [("median_days_ci_low", median_ci[:, 0]),
                                             ("median_days_ci_high", median_ci[:, 1])] + items[position:])
    out = pd.DataFrame(
        {
            "phase": pd.Categorical.from_codes(np.tile(np.arange(n_phases), n_groups), categories=phases, ordered=True),
            **stats,
            **estimates,
            "median_days_completed_only": completed,
        }
    )
    if groups:
        values = group_values.loc[np.repeat(np.arange(n_groups), n_phases)].reset_index(drop=True)
        out = pd.concat([values, out], axis=1)
    out.attrs.update(**attrs, confidence=confidence)  # (for display)
    return out


def check_confidence(confidence) -> None:
    """A :class:`CaseLogError` unless ``confidence`` is a level in (0, 1)."""
    try:
        normal_quantile(confidence)
    except ValueError:
        raise CaseLogError(f"confidence={confidence!r}: give a level between 0 and 1, e.g. 0.95 "
                           "(or None for no interval).") from None


def percentile_levels(percentiles: Sequence[float]) -> tuple[float, ...]:
    """Survival levels of the percentiles, ascending percentiles (the 90th: where 10 % still wait)."""
    values = sorted(set(percentiles))
    bad = [p for p in values if not (isinstance(p, (int, float)) and 0 < p < 100)]
    if not values or bad:
        raise CaseLogError(f"percentiles={list(percentiles)!r}: give numbers between 0 and 100, e.g. (50, 75, 90).")
    return tuple(1 - p / 100 for p in values)


def trigger_summary(
    log_or_table: CaseLog | CaseTable,
    *,
    by: str | Sequence[str] | None = None,
    as_of=None,
    days: str | None = None,
    n_boot: int = 200,
    seed: int = 0,
    confidence: float = 0.95,
    bootstrap_cap: int = 2000,
) -> pd.DataFrame:
    """Which delay triggers are common, where they are raised, and the days they go with.

    Parameters
    ----------
    log_or_table : CaseLog or CaseTable
        A validated log, or a case table of it (possibly filtered: only its
        dossiers are summarised). A distributed log or table
        (:mod:`vitale_analysis.distributed`) gives the same frame.
    by : str or list of str, optional
        Cohorts, as in :func:`phase_summary`.
    as_of : date-like, optional
    days : {"calendar", "working"}, optional
    n_boot, seed, confidence, bootstrap_cap : bootstrap settings
        The confidence interval of the extra days comes from ``n_boot`` seeded
        resamples of each group (a percentile interval). A group larger than
        ``bootstrap_cap`` is resampled ``bootstrap_cap`` dossiers at a time and
        its medians' spread scaled by √(cap / n) (the m-out-of-n bootstrap, as
        :func:`~vitale_analysis.compare_cohorts` does), so the cost stays
        bounded and the interval keeps its width.

    Returns
    -------
    DataFrame
        One row per (group and) trigger that occurs, ranked by
        ``total_days_attributable``: ``trigger`` (its key: the labels and
        prevention hints are in the process model, see
        :func:`vitale_analysis.labels.with_trigger_labels`), ``phase`` (the phase
        it was most often raised in; ties → the earlier phase), ``events``
        (times raised), ``cases_affected``, ``share`` (of the dossiers),
        ``median_days_to_next_milestone`` (Kaplan–Meier, from the trigger to the
        case's next milestone; open dossiers censored), ``median_days_affected``
        / ``median_days_unaffected`` (Kaplan–Meier time in that phase for
        dossiers with the trigger raised there vs dossiers in that phase
        without it), ``extra_days`` (their difference) with
        ``extra_days_ci_low`` / ``extra_days_ci_high`` and
        ``total_days_attributable`` (``extra_days`` × dossiers affected in that
        phase).

    Notes
    -----
    These figures are **associations, not proof of cause**: dossiers that meet
    a trigger may differ in other ways (born abroad, postal channel…), and
    those differences can explain part of the extra days. Compare cohorts with
    ``by=`` before drawing conclusions.
    """
    if getattr(log_or_table, "distributed", False):  # a Dask log or table (vitale_analysis.distributed)
        return log_or_table.trigger_summary(by=by, as_of=as_of, days=days, n_boot=n_boot, seed=seed,
                                            confidence=confidence, bootstrap_cap=bootstrap_cap)
    table = as_case_table(log_or_table, as_of=as_of, days=days)
    return summarise_triggers(table, raised_triggers(table), by=by, n_boot=n_boot, seed=seed,
                              confidence=confidence, bootstrap_cap=bootstrap_cap)


def summarise_triggers(table: CaseTable, raised: "RaisedTriggers", *, by=None, n_boot: int = 200, seed: int = 0,
                       confidence: float = 0.95, bootstrap_cap: int = 2000) -> pd.DataFrame:
    """:func:`trigger_summary` of a case table and its raised triggers (:func:`raised_triggers`).

    What it reads of the table: the ``by`` columns (or ``started_at``),
    ``<phase>_days`` and ``<phase>_state``, its as_of and day count; the
    table needs no log (the distributed summary passes one gathered from
    its partitions).
    """
    process = table.process
    cases, groups = cohort_columns(table.to_frame(), by)
    phases = list(process.phase_keys)
    n_phases = len(phases)
    columns = ["trigger", "phase", "events", "cases_affected", "share", "median_days_to_next_milestone",
               "median_days_affected", "median_days_unaffected", "extra_days", "extra_days_ci_low",
               "extra_days_ci_high", "total_days_attributable"]
    if raised.n == 0 or len(table) == 0:
        out = pd.DataFrame(columns=(groups + columns))
        out.attrs.update(as_of=table.as_of, days=table.days, n_cases=len(table))
        return out
    case_pos, key_code, raised_in, to_next, has_next = (raised.case_pos, raised.key_code, raised.raised_in,
                                                        raised.to_next, raised.has_next)

    group_codes, group_values = _group_codes(cases, groups)
    n_groups = len(group_values)
    trig_keys = raised.keys
    tg = group_codes[case_pos]
    group_size = np.bincount(group_codes, minlength=n_groups)

    # Each trigger is compared within the phase it is most often raised in (ties → the earlier phase).
    # Cells (group, trigger) that occur: the raised events grouped by cell, each cell's in event order.
    n_keys = len(trig_keys)
    cell_of = flat_index(tg, n_keys, key_code)
    by_cell = np.argsort(cell_of, kind="stable")
    bounds = np.append(run_starts(cell_of[by_cell]), len(by_cell))
    cells = {}
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        sel = by_cell[lo:hi]  # the cell's raised events (positions, ascending)
        g, k = divmod(int(cell_of[sel[0]]), n_keys)
        cells[g, k] = sel, int(np.argmax(np.bincount(raised_in[sel], minlength=n_phases)))
    used = sorted({p for _, p in cells.values()})
    day_of = {p: table[f"{phases[p]}_days"].to_numpy(dtype=float) for p in used}
    state_of = {p: table.state_codes(phases[p]) for p in used}
    in_phase = {p: np.isin(state_of[p], _TIMED_CODES) & ~np.isnan(day_of[p]) for p in used}
    done_of = {p: state_of[p] == _FINISHED for p in used}

    def timed_in(g: int, p: int) -> np.ndarray:
        """Which dossiers of group g have a duration in phase p."""
        return in_phase[p] if n_groups == 1 else in_phase[p] & (group_codes == g)

    def sorted_sample(cell: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """Durations of group g in phase p, sorted (without cohorts: the phase's own sorted
        sample, which phase_summary may have made already)."""
        g, p = cell
        if n_groups == 1:
            return table.sorted_durations(phases[p])
        rows = np.flatnonzero(timed_in(g, p))
        return sort_durations(day_of[p][rows], done_of[p][rows])

    # The (group, phase) samples the cells compare against, sorted first, side by side.
    wanted = sorted({(g, p) for (g, _), (_, p) in cells.items()})
    samples = dict(zip(wanted, thread_map(sorted_sample, wanted)))
    lower, upper = (1 - confidence) / 2 * 100, (1 + confidence) / 2 * 100

    def cell_row(cell) -> dict:
        """One (group, trigger) row; cells are independent (each has its own seeded
        generator), so they run side by side on threads (NumPy's work releases the GIL)."""
        (g, k), (sel, p) = cell
        next_median = km_quantiles(to_next[sel], has_next[sel])[0]
        timed = timed_in(g, p)
        aff_mask = np.zeros(len(table), dtype=bool)  # raised in phase p
        aff_mask[case_pos[sel[raised_in[sel] == p]]] = True
        any_mask = np.zeros(len(table), dtype=bool)  # raised at all
        any_mask[case_pos[sel]] = True
        n_affected = int(np.count_nonzero(any_mask))
        days_p, done_p = day_of[p], done_of[p]
        aff = np.flatnonzero(timed & aff_mask)  # affected: raised in the phase
        aff_days, aff_done = sort_durations(days_p[aff], done_p[aff])
        # Unaffected: the sample less the dossiers with the trigger raised at all (few, sorted
        # on their own), which keeps it sorted; a sample with negative days is sorted anew.
        raised_rows = np.flatnonzero(timed & any_mask)
        rest = without_sorted(*samples[g, p], *sort_durations(days_p[raised_rows], done_p[raised_rows]))
        if rest is None:
            unaff = np.flatnonzero(timed & ~any_mask)
            rest = sort_durations(days_p[unaff], done_p[unaff])
        unaff_days, unaff_done = rest
        med_aff = km_quantiles_sorted(aff_days, aff_done)[0]
        med_unaff = km_quantiles_sorted(unaff_days, unaff_done)[0]
        extra = med_aff - med_unaff if np.isfinite(med_aff) and np.isfinite(med_unaff) else np.nan
        ci_low = ci_high = np.nan
        if np.isfinite(extra) and n_boot > 0:
            rng = np.random.default_rng([seed, g, k])
            dev_aff = km_bootstrap_deviations(aff_days, aff_done, med_aff, n_boot=n_boot, rng=rng,
                                              cap=bootstrap_cap, presorted=True)
            dev_unaff = km_bootstrap_deviations(unaff_days, unaff_done, med_unaff, n_boot=n_boot, rng=rng,
                                                cap=bootstrap_cap, presorted=True)
            diff = extra + dev_aff - dev_unaff
            diff = diff[np.isfinite(diff)]
            if len(diff) >= 0.9 * n_boot:  # too many resamples without a median: no interval
                ci_low, ci_high = np.percentile(diff, [lower, upper])
        return {
            **{col: group_values.iloc[g][col] for col in groups},
            "trigger": trig_keys[k],
            "phase": phases[p],
            "events": len(sel),
            "cases_affected": n_affected,
            "share": n_affected / group_size[g],
            "median_days_to_next_milestone": next_median,
            "median_days_affected": med_aff,
            "median_days_unaffected": med_unaff,
            "extra_days": extra,
            "extra_days_ci_low": ci_low,
            "extra_days_ci_high": ci_high,
            "total_days_attributable": extra * len(aff) if np.isfinite(extra) else np.nan,
        }

    rows = thread_map(cell_row, cells.items())  # by group, then trigger
    out = pd.DataFrame(rows, columns=groups + columns)
    out["phase"] = pd.Categorical(out["phase"], categories=phases, ordered=True)
    sort_cols = groups + ["total_days_attributable", "cases_affected", "trigger"]
    ascending = [True] * len(groups) + [False, False, True]
    out = out.sort_values(sort_cols, ascending=ascending, na_position="last", kind="mergesort").reset_index(drop=True)
    out.attrs.update(as_of=table.as_of, days=table.days, n_cases=len(table))  # (for display)
    return out


class RaisedTriggers:
    """Every trigger raised on a table's dossiers up to its as_of, as arrays (see :func:`trigger_events`).

    ``rows`` (the events, or None), ``case_pos`` (the dossier's row in the
    table), ``keys`` (trigger keys: the log's trigger categories),
    ``key_code`` (position in ``keys``), ``raised_in`` (phase position),
    ``to_next`` (days to the next milestone) and ``has_next`` (reached).
    """

    def __init__(self, rows: pd.DataFrame | None, case_pos, keys, key_code, raised_in, to_next, has_next):
        self.rows, self.case_pos, self.keys, self.key_code = rows, case_pos, keys, key_code
        self.raised_in, self.to_next, self.has_next = raised_in, to_next, has_next
        self.n = len(case_pos)


def raised_triggers(table: CaseTable) -> RaisedTriggers:
    """The triggers raised on a table's dossiers (its log's events), as :class:`RaisedTriggers`."""
    return _raised(table.dossier_log, table)


def _raised(log: CaseLog, table: CaseTable) -> RaisedTriggers:
    """The phase each trigger was raised in (after the furthest milestone reached then) and the
    days to the dossier's next milestone (or, with none yet, to its closing or as_of: censored)."""
    events = log.events
    raised = events[events["trigger"].notna()]
    raised = raised[table.as_of.keeps(raised["timestamp"])]
    case_pos = case_positions(raised["case_id"], table["case_id"])
    raised = raised[case_pos >= 0]
    case_pos = case_pos[case_pos >= 0]
    process = table.process
    n_phases = len(process.phases)
    milestones = np.column_stack([to_ns(table[f"{m}_at"]) for m in process.milestones])  # (n_cases, n_m)
    t = to_ns(raised["timestamp"])
    m_at = milestones[case_pos]
    reached = (m_at != NAT) & (m_at <= t[:, None])
    furthest = np.where(reached.any(axis=1), m_at.shape[1] - 1 - np.argmax(reached[:, ::-1], axis=1), 0)
    raised_in = np.clip(furthest, 0, n_phases - 1)
    never = np.iinfo(np.int64).max
    later = np.where((m_at != NAT) & (m_at > t[:, None]), m_at, never)
    next_at = later.min(axis=1) if len(t) else np.zeros(0, dtype=np.int64)
    has_next = next_at != never
    closed = to_ns(table["closed_at"])[case_pos]
    end_at = np.where(has_next, next_at, np.where(closed != NAT, closed, table.as_of.ns))
    aware = table.as_of.at.tzinfo is not None
    calendars = table.calendars.take(case_pos) if table.calendars is not None else None
    to_next = elapsed_days(t, end_at, days=table.days, aware=aware, calendars=calendars)
    trigger = raised["trigger"]
    return RaisedTriggers(raised, case_pos, [str(k) for k in trigger.cat.categories], trigger.cat.codes.to_numpy(),
                   raised_in, to_next, has_next)


def trigger_events(log_or_table: CaseLog | CaseTable, *, as_of=None, days: str | None = None) -> pd.DataFrame:
    """Every time a delay trigger was raised on a dossier, up to ``as_of``.

    The same definitions as :func:`trigger_summary`: the phase a trigger was
    raised in is the phase after the furthest milestone reached at that time;
    the days to the next milestone run from the trigger to the dossier's next
    milestone or, when there is none yet, to its closing or ``as_of``
    (``next_milestone_reached`` False: still waiting, censored). So the
    Kaplan–Meier median of ``days_to_next_milestone`` over one trigger's rows
    is that trigger's ``median_days_to_next_milestone``.

    Returns
    -------
    DataFrame
        ``case_id``, ``office`` (when the log has it), ``trigger``,
        ``raised_at``, ``phase`` (phase key), ``status`` (the dossier's, at
        ``as_of``), ``days_to_next_milestone``, ``next_milestone_reached``; in
        the log's order (case, time).
    """
    table = as_case_table(log_or_table, as_of=as_of, days=days)
    raised = _raised(table.dossier_log, table)
    pos = raised.case_pos
    out = pd.DataFrame({"case_id": pd.array(np.asarray(raised.rows["case_id"], dtype=object), dtype="string")})
    if "office" in table:
        out["office"] = table["office"].iloc[pos].to_numpy()
    out["trigger"] = raised.rows["trigger"].astype(object).to_numpy()
    out["raised_at"] = raised.rows["timestamp"].reset_index(drop=True)
    out["phase"] = pd.Categorical.from_codes(raised.raised_in, categories=list(table.process.phase_keys),
                                             ordered=True)
    out["status"] = table["status"].iloc[pos].to_numpy()
    out["days_to_next_milestone"] = raised.to_next
    out["next_milestone_reached"] = raised.has_next
    out.attrs.update(as_of=table.as_of, days=table.days)  # (for display)
    return out


def _median_of_sorted(values: np.ndarray) -> float:
    """``np.median`` of values sorted ascending (no NaN): the middle one, or the mean of the two."""
    n = len(values)
    if n == 0:
        return float("nan")
    return float(values[n // 2]) if n % 2 else float(np.mean(values[n // 2 - 1:n // 2 + 1]))
