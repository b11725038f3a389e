"""How long phases take, and which delay triggers cost the most days.

Both summaries count open dossiers honestly (Kaplan–Meier, see :mod:`.km`)
and accept ``by=`` for cohorts (any case attribute, or ``start_month``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .cases import _DURATION_CODES, _FINISHED, _NO_DURATION_CODES, _STATES, _sorted_phase, _state_codes, case_table
from .codes import case_positions
from .cohorts import as_cases, cohort_columns
from .cohorts import group_codes as _group_codes
from .errors import CaseLogError
from .km import (km_bootstrap_medians, km_grouped_quantiles, km_quantiles, km_quantiles_sorted, sort_durations,
                 thread_map, without_sorted)
from .timeutil import NAT, elapsed_days
from .validate import CaseLog, _to_as_of

__all__ = ["phase_summary", "trigger_summary"]


def _process_of(log_or_cases, process):
    if isinstance(log_or_cases, CaseLog):
        return log_or_cases.process
    if process is None:
        from .process import CARTE_VITALE

        return CARTE_VITALE
    return process


def phase_summary(
    log_or_cases: CaseLog | pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    as_of=None,
    days: str = "calendar",
    process=None,
    _p25: bool = False,
) -> pd.DataFrame:
    """Time per phase, counting dossiers still open honestly.

    Parameters
    ----------
    log_or_cases : CaseLog or DataFrame
        A validated log, or a case table from :func:`case_table` (possibly
        filtered: widgets compute it once and filter rows).
    by : str or list of str, optional
        Cohorts: a case attribute (``office``, ``channel``, ``born_abroad``…)
        or ``start_month`` / ``start_quarter`` / ``start_year``.
    as_of : date-like, optional
        Default: the log's latest event.
    days : {"calendar", "working"}
    process : ProcessModel, optional
        Only needed with a case table of another process than Carte Vitale.

    Returns
    -------
    DataFrame
        One row per (group and) phase, in process order: ``n`` dossiers with a
        duration in the phase (finished, still open, or closed in it),
        ``n_finished``, ``n_open``, ``n_closed``, ``n_no_duration`` (entered or
        finished it out of order, or a milestone missing: counted, not timed),
        ``median_days``, ``p75_days``, ``p90_days`` (Kaplan–Meier: open and
        closed dossiers count as censored; ``inf`` when too many are still open
        for the curve to fall that low) and ``median_days_completed_only``.

    Notes
    -----
    Why two medians? ``median_days_completed_only`` looks only at dossiers
    that finished the phase. The ones still waiting — often the longest — are
    left out, so it is too short, the more so the more dossiers are open.
    ``median_days`` (Kaplan–Meier) keeps every open dossier for what is known
    about it: it had waited at least its days so far. When few dossiers are
    open the two agree; when they differ, trust ``median_days``.

    Examples
    --------
    >>> from vitale_analysis import load, phase_summary
    >>> phase_summary(load("data/sample_caselog.csv"), by="channel")  # doctest: +SKIP
    """
    cases = as_cases(log_or_cases, as_of=as_of, days=days)
    process = _process_of(log_or_cases, process)
    cases, groups = cohort_columns(cases, by)
    phases = list(process.phase_keys)
    missing = [f"{p}_days" for p in phases if f"{p}_days" not in cases.columns]
    if missing:
        raise CaseLogError(
            f"The case table has no column(s) {missing}: it was made with another process model. "
            "Pass process= the model it was made with."
        )
    group_codes, group_values = _group_codes(cases, groups)
    n_groups = len(group_values) if len(cases) else 0
    n_phases = len(phases)

    # One phase at a time (a national case table has millions of rows): cell = group × phase.
    n_cells = n_groups * n_phases
    stats = {name: np.zeros(n_cells, dtype=np.int64) for name in ("n", "n_finished", "n_open", "n_closed",
                                                                  "n_no_duration")}
    levels = (0.5, 0.25, 0.10, 0.75) if _p25 else (0.5, 0.25, 0.10)  # (p25: chartdata.phase_quartiles)
    km = np.full((n_cells, len(levels)), np.nan)
    completed = np.full(n_cells, np.nan)
    open_code, closed_code = _STATES.index("open"), _STATES.index("closed")

    def one_phase(j: int) -> None:
        """Counts and estimates of phase j, written into its cells (phases run side by side)."""
        phase = phases[j]
        state = _state_codes(cases, [phase])[:, 0]
        days_j = cases[f"{phase}_days"].to_numpy(dtype=float)
        cells = np.arange(n_groups) * n_phases + j  # where this phase's groups go in the output

        def count(mask):
            if n_groups == 1:  # (no cohorts) no per-row codes to gather
                return np.array([np.count_nonzero(mask)])
            return np.bincount(group_codes[mask], minlength=n_groups)

        timed = np.isin(state, _DURATION_CODES)
        finished = state == _FINISHED
        stats["n"][cells] = count(timed)
        stats["n_finished"][cells] = count(finished)
        stats["n_open"][cells] = count(state == open_code)
        stats["n_closed"][cells] = count(state == closed_code)
        stats["n_no_duration"][cells] = count(np.isin(state, _NO_DURATION_CODES))
        if n_groups == 1:  # (no cohorts) the phase's sorted sample, which the trigger summary and stalls reuse
            days_sorted, finished_sorted = _sorted_phase(cases, phase)
            km[cells] = km_quantiles_sorted(days_sorted, finished_sorted, levels=levels)
            if finished.any():  # (the finished ones, in order: the median is the middle, no second sort)
                completed[cells[0]] = _median_of_sorted(days_sorted[finished_sorted])
        else:
            km[cells] = km_grouped_quantiles(days_j[timed], finished[timed], group_codes[timed], n_groups,
                                             levels=levels)
        if finished.any() and n_groups > 1:
            done = pd.Series(days_j[finished]).groupby(group_codes[finished]).median()
            completed[cells[done.index.to_numpy()]] = done.to_numpy()

    if len(cases):
        thread_map(one_phase, range(n_phases))  # each phase writes its own cells only
    out = pd.DataFrame(
        {
            "phase": pd.Categorical.from_codes(np.tile(np.arange(n_phases), n_groups), categories=phases, ordered=True),
            **stats,
            **({"p25_days": km[:, 3]} if _p25 else {}),
            "median_days": km[:, 0],
            "p75_days": km[:, 1],
            "p90_days": km[:, 2],
            "median_days_completed_only": completed,
        }
    )
    if groups:
        values = group_values.loc[np.repeat(np.arange(n_groups), n_phases)].reset_index(drop=True)
        out = pd.concat([values, out], axis=1)
    out.attrs.update(as_of=cases.attrs.get("as_of"), days=cases.attrs.get("days", days), n_cases=len(cases),
                     n_open=int((cases["status"] == "open").sum()))
    return out


def trigger_summary(
    log: CaseLog,
    *,
    by: str | Sequence[str] | None = None,
    as_of=None,
    days: str = "calendar",
    cases: pd.DataFrame | None = None,
    n_boot: int = 200,
    seed: int = 0,
    confidence: float = 0.95,
    bootstrap_cap: int = 2000,
    lang: str = "en",
) -> pd.DataFrame:
    """Which delay triggers are common, where they are raised, and the days they go with.

    Parameters
    ----------
    log : CaseLog
    by : str or list of str, optional
        Cohorts, as in :func:`phase_summary`.
    as_of : date-like, optional
    days : {"calendar", "working"}
    cases : DataFrame, optional
        A precomputed (and possibly filtered) case table of this log; only
        these dossiers are summarised.
    n_boot, seed, confidence, bootstrap_cap : bootstrap settings
        The confidence interval of the extra days comes from ``n_boot`` seeded
        resamples of each group (at most ``bootstrap_cap`` dossiers a resample:
        for larger groups the interval is slightly wider than it could be).
    lang : {"en", "fr"}
        Language of ``label`` and ``prevention``.

    Returns
    -------
    DataFrame
        One row per (group and) trigger that occurs, ranked by
        ``total_days_attributable``: ``trigger``, ``label``, ``phase`` (the
        phase it was most often raised in), ``events`` (times raised),
        ``cases_affected``, ``share`` (of the dossiers), ``median_days_to_next_milestone``
        (Kaplan–Meier, from the trigger to the case's next milestone; open
        dossiers censored), ``median_days_affected`` / ``median_days_unaffected``
        (Kaplan–Meier time in that phase for dossiers with the trigger raised
        there vs dossiers in that phase without it), ``extra_days`` (their
        difference) with ``extra_days_ci_low`` / ``extra_days_ci_high``,
        ``total_days_attributable`` (``extra_days`` × dossiers affected in that
        phase) and ``prevention``.

    Notes
    -----
    These figures are **associations, not proof of cause**: dossiers that meet
    a trigger may differ in other ways (born abroad, postal channel…), and
    those differences can explain part of the extra days. Compare cohorts with
    ``by=`` before drawing conclusions.
    """
    if not isinstance(log, CaseLog):
        raise CaseLogError(
            f"trigger_summary needs the events: pass the CaseLog from load(), got {type(log).__name__}. "
            "A filtered case table can be given as cases=."
        )
    process = log.process
    if cases is None:
        cases = case_table(log, as_of=as_of, days=days)
    else:
        cases = as_cases(cases, as_of=as_of, days=days)
    days = cases.attrs.get("days", days)
    cases, groups = cohort_columns(cases, by)
    phases = list(process.phase_keys)
    n_phases = len(phases)
    columns = ["trigger", "label", "phase", "events", "cases_affected", "share", "median_days_to_next_milestone",
               "median_days_affected", "median_days_unaffected", "extra_days", "extra_days_ci_low",
               "extra_days_ci_high", "total_days_attributable", "prevention"]
    as_of_ts = cases.attrs.get("as_of")
    inclusive = cases.attrs.get("as_of_inclusive", True)

    events = log.events
    trig = events[events["trigger"].notna()]
    times = trig["timestamp"]
    trig = trig[(times <= as_of_ts) if inclusive else (times < as_of_ts)]
    case_pos = case_positions(trig["case_id"], cases["case_id"])
    trig = trig[case_pos >= 0]
    case_pos = case_pos[case_pos >= 0]
    if len(trig) == 0 or len(cases) == 0:
        return pd.DataFrame(columns=(groups + columns))

    def ns(series: pd.Series) -> np.ndarray:
        if series.dt.tz is not None:
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        values = series.to_numpy(dtype="datetime64[ns]").astype(np.int64)
        return values

    aware = cases["started_at"].dt.tz is not None
    milestones = np.column_stack([ns(cases[f"{m}_at"]) for m in process.milestones])  # (n_cases, n_m)
    t = ns(trig["timestamp"])
    m_at = milestones[case_pos]
    reached = (m_at != NAT) & (m_at <= t[:, None])
    furthest = np.where(reached.any(axis=1), m_at.shape[1] - 1 - np.argmax(reached[:, ::-1], axis=1), 0)
    raised_in = np.clip(furthest, 0, n_phases - 1)
    later = np.where((m_at != NAT) & (m_at > t[:, None]), m_at, np.iinfo(np.int64).max)
    next_at = later.min(axis=1)
    has_next = next_at != np.iinfo(np.int64).max
    closed = ns(cases["closed_at"])[case_pos]
    as_of_ns = int(pd.Timestamp(_naive_utc(as_of_ts)).as_unit("ns").value)
    end_at = np.where(has_next, next_at, np.where(closed != NAT, closed, as_of_ns))
    to_next = elapsed_days(t, end_at, days=days, aware=aware)

    group_codes, group_values = _group_codes(cases, groups)
    n_groups = len(group_values)
    trig_keys = list(trig["trigger"].cat.categories)
    key_code = trig["trigger"].cat.codes.to_numpy()
    tg = group_codes[case_pos]
    group_size = np.bincount(group_codes, minlength=n_groups)

    # Each trigger is compared within the phase it is most often raised in (ties → the
    # earlier phase).
    cells = {}
    for g in range(n_groups):
        for k in range(len(trig_keys)):
            sel = (tg == g) & (key_code == k)
            if sel.any():
                cells[g, k] = sel, int(np.argmax(np.bincount(raised_in[sel], minlength=n_phases)))
    used = sorted({p for _, p in cells.values()})
    state_cols = _state_codes(cases, [phases[p] for p in used])
    day_of = {p: cases[f"{phases[p]}_days"].to_numpy(dtype=float) for p in used}
    in_phase = {p: np.isin(state_cols[:, j], _DURATION_CODES) & ~np.isnan(day_of[p]) for j, p in enumerate(used)}
    done_of = {p: state_cols[:, j] == _FINISHED for j, p in enumerate(used)}

    def timed_in(g: int, p: int) -> np.ndarray:
        """Which dossiers of group g have a duration in phase p."""
        return in_phase[p] if n_groups == 1 else in_phase[p] & (group_codes == g)

    def sorted_sample(cell: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """Durations of group g in phase p, sorted (without cohorts: the phase's own sorted
        sample, which phase_summary may have made already)."""
        g, p = cell
        if n_groups == 1:
            return _sorted_phase(cases, phases[p])
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
        key = trig_keys[k]
        next_median = km_quantiles(to_next[sel], has_next[sel])[0]
        timed = timed_in(g, p)
        aff_mask = np.zeros(len(cases), dtype=bool)  # raised in phase p
        aff_mask[case_pos[sel & (raised_in == p)]] = True
        any_mask = np.zeros(len(cases), dtype=bool)  # raised at all
        any_mask[case_pos[sel]] = True
        n_affected = int(np.count_nonzero(any_mask))
        days_p, done_p = day_of[p], done_of[p]
        aff = np.flatnonzero(timed & aff_mask)  # affected: raised in the phase
        aff_days, aff_done = sort_durations(days_p[aff], done_p[aff])
        # Unaffected: the sample less the dossiers with the trigger raised at all (few, sorted
        # on their own), which keeps it sorted; a sample with negative days is sorted anew.
        raised = np.flatnonzero(timed & any_mask)
        rest = without_sorted(*samples[g, p], *sort_durations(days_p[raised], done_p[raised]))
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
            boot_aff = km_bootstrap_medians(aff_days, aff_done, n_boot=n_boot, rng=rng, cap=bootstrap_cap,
                                            presorted=True)
            boot_unaff = km_bootstrap_medians(unaff_days, unaff_done, n_boot=n_boot, rng=rng, cap=bootstrap_cap,
                                              presorted=True)
            diff = boot_aff - boot_unaff
            diff = diff[np.isfinite(diff)]
            if len(diff) >= 0.9 * n_boot:  # too many resamples without a median: no interval
                ci_low, ci_high = np.percentile(diff, [lower, upper])
        model = process.triggers.get(key)
        return {
            **{col: group_values.iloc[g][col] for col in groups},
            "trigger": key,
            "label": model.label_in(lang) if model else key,
            "phase": phases[p],
            "events": int(sel.sum()),
            "cases_affected": n_affected,
            "share": n_affected / group_size[g],
            "median_days_to_next_milestone": next_median,
            "median_days_affected": med_aff,
            "median_days_unaffected": med_unaff,
            "extra_days": extra,
            "extra_days_ci_low": ci_low,
            "extra_days_ci_high": ci_high,
            "total_days_attributable": extra * len(aff) if np.isfinite(extra) else np.nan,
            "prevention": model.prevention[lang] if model else "",
        }

    rows = thread_map(cell_row, cells.items())  # by group, then trigger
    out = pd.DataFrame(rows, columns=groups + columns)
    out["phase"] = pd.Categorical(out["phase"], categories=phases, ordered=True)
    sort_cols = groups + ["total_days_attributable", "cases_affected", "trigger"]
    ascending = [True] * len(groups) + [False, False, True]
    out = out.sort_values(sort_cols, ascending=ascending, na_position="last", kind="mergesort").reset_index(drop=True)
    out.attrs.update(as_of=as_of_ts, days=days, n_cases=len(cases))
    return out


def _median_of_sorted(values: np.ndarray) -> float:
    """``np.median`` of values sorted ascending (no NaN): the middle one, or the mean of the two."""
    n = len(values)
    if n == 0:
        return float("nan")
    return float(values[n // 2]) if n % 2 else float(np.mean(values[n // 2 - 1:n // 2 + 1]))


def _naive_utc(ts: pd.Timestamp) -> pd.Timestamp:
    return ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts
