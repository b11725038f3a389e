"""Differences that are real: cohorts compared phase by phase, and the trend of each phase's median.

A median of 41 days at one office and 47 at another may be noise. Here each
phase's durations are compared between cohorts with the log-rank test (open
dossiers count for the days they have waited, as in Kaplan–Meier), each
cohort's median comes with its confidence interval, and the difference of two
medians with a bootstrap interval.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .caselog import CaseLog
from .cases import PHASE_STATES, TIMED_STATES, CaseTable, as_case_table
from .cohorts import DERIVED_COHORTS, by_names, cohort_columns, group_codes
from .errors import CaseLogError, closest_names
from .km import chi2_sf, km_bootstrap_deviations, logrank, thread_map
from .summaries import phase_summary

__all__ = ["compare_cohorts", "phase_trend", "TREND_FREQUENCIES"]

#: ``freq`` of :func:`phase_trend` → the cohort of the dossiers' start period.
TREND_FREQUENCIES = {freq: name for name, freq in DERIVED_COHORTS.items()}

_STATE_NAMES = list(PHASE_STATES)
_COMPARE_COLUMNS = ["n", "n_open", "median_days", "median_days_ci_low", "median_days_ci_high", "reference",
                    "difference_days", "difference_days_ci_low", "difference_days_ci_high", "logrank_statistic",
                    "logrank_df", "p_value"]


def compare_cohorts(
    log_or_table: CaseLog | CaseTable,
    phase: str | Sequence[str] | None = None,
    *,
    by: str | Sequence[str],
    as_of=None,
    days: str | None = None,
    confidence: float = 0.95,
    reference=None,
    n_boot: int = 500,
    seed: int = 0,
    bootstrap_cap: int = 2000,
) -> pd.DataFrame:
    """Do cohorts differ in how long a phase takes? Log-rank test, medians and their difference.

    Parameters
    ----------
    log_or_table : CaseLog or CaseTable
    phase : str or list of str, optional
        Phase key(s) (``"rights"``…); default every phase of the process.
    by : str or list of str
        The cohorts, as in :func:`phase_summary` (``office``, ``channel``,
        ``start_month``…).
    as_of, days
        As in :func:`phase_summary`.
    confidence : float
        Level of the intervals (default 0.95).
    reference : optional
        The cohort the others are compared with (its value; a tuple with
        several ``by`` columns); default the first cohort in sorted order.
    n_boot, seed, bootstrap_cap : bootstrap settings of the median difference
        ``n_boot`` seeded resamples of each cohort. A cohort larger than
        ``bootstrap_cap`` is resampled ``bootstrap_cap`` dossiers at a time and
        its resampled medians' spread is scaled by √(cap / n) (the m-out-of-n
        bootstrap, which holds for medians), so that the cost stays bounded.

    Returns
    -------
    DataFrame
        One row per phase and cohort, in process order: the cohort columns,
        ``n`` (dossiers with a duration in the phase), ``n_open``,
        ``median_days`` (Kaplan–Meier) with ``median_days_ci_low`` /
        ``median_days_ci_high`` (as :func:`phase_summary`'s: Brookmeyer–Crowley,
        lifelines' interval), ``reference`` (True on the reference cohort's
        row), ``difference_days`` (this cohort's median minus the
        reference's; ``nan`` when either is not reached) with
        ``difference_days_ci_low`` / ``difference_days_ci_high`` (bootstrap
        percentile interval, see Notes), and the phase's log-rank test over all
        its cohorts with durations, repeated on each row: ``logrank_statistic``
        (χ²), ``logrank_df`` (cohorts − 1) and ``p_value``. ``attrs`` hold
        ``as_of``, ``days``, ``by``, ``confidence`` and ``reference``.

    Notes
    -----
    The log-rank test asks whether the cohorts' whole survival curves differ
    in the phase (equal to lifelines' ``logrank_test`` for two cohorts,
    ``multivariate_logrank_test`` for more). A small ``p_value`` (below
    0.05, say) means a difference this large would be rare if the cohorts
    took equally long; a large one means the data cannot tell them apart —
    not that they are equal. The difference's interval comes from resampling
    the dossiers of each cohort (with replacement) and taking the middle
    ``confidence`` share of the resampled medians' differences; when more
    than a tenth of the resamples have no median (too many still open), no
    interval is given.

    Examples
    --------
    >>> from vitale_analysis import load, compare_cohorts
    >>> table = compare_cohorts(load("data/sample_caselog.csv"), "rights", by="channel")
    >>> table[["channel", "reference"]].values.tolist()
    [['ameli', True], ['postal', False]]
    >>> bool(table["p_value"].between(0, 1).all())
    True
    """
    if by is None or not by_names(by):
        raise CaseLogError("compare_cohorts needs by=: the cohorts to compare, e.g. by='office' or by='channel'.")
    if not (isinstance(n_boot, int) and n_boot >= 0) or not (isinstance(bootstrap_cap, int) and bootstrap_cap >= 2):
        raise CaseLogError(f"n_boot={n_boot!r}, bootstrap_cap={bootstrap_cap!r}: give whole numbers "
                           "(n_boot ≥ 0, e.g. 500; bootstrap_cap ≥ 2, e.g. 2000).")
    table = as_case_table(log_or_table, as_of=as_of, days=days)
    phases = _phases(table, phase)
    medians = phase_summary(table, by=by, percentiles=(50,), confidence=confidence)
    cases, groups = cohort_columns(table.to_frame(), by)
    codes, values = group_codes(cases, groups)
    n_groups = len(values) if len(table) else 0
    ref = _reference(values, groups, reference) if n_groups else 0
    lower, upper = (1 - confidence) / 2 * 100, (1 + confidence) / 2 * 100
    all_phases = list(table.process.phase_keys)
    timed_codes = [i for i, s in enumerate(_STATE_NAMES) if s in TIMED_STATES]
    rows = []
    for phase_key in phases:
        j = all_phases.index(phase_key)
        state = table.state_codes(phase_key)
        timed = np.isin(state, timed_codes)
        days_j = table[f"{phase_key}_days"].to_numpy(dtype=float)
        timed &= ~np.isnan(days_j)
        finished = state == _STATE_NAMES.index("finished")
        statistic, df, _ = logrank(days_j[timed], finished[timed], codes[timed], n_groups) if n_groups else \
            (float("nan"), 0, None)
        p_value = chi2_sf(statistic, df)
        cells = medians[medians["phase"].astype(object) == phase_key].reset_index(drop=True)  # (in group order)
        median = cells["median_days"].to_numpy(dtype=float)
        compared = [g for g in range(n_groups) if g != ref and np.isfinite(median[g])]
        resampled = [ref, *compared] if n_boot > 0 and compared and np.isfinite(median[ref]) else []

        def deviations(h: int, j=j, timed=timed, days_j=days_j, finished=finished, median=median) -> np.ndarray:
            rows_h = np.flatnonzero(timed & (codes == h))
            return km_bootstrap_deviations(days_j[rows_h], finished[rows_h], median[h], n_boot=n_boot,
                                           rng=np.random.default_rng([seed, j, h]), cap=bootstrap_cap)

        # (each cohort has its own seeded generator: the same draws on one thread or two)
        samples = dict(zip(resampled, thread_map(deviations, resampled)))
        for g in range(n_groups):
            difference = ci_low = ci_high = np.nan
            if g != ref and np.isfinite(median[g]) and np.isfinite(median[ref]):
                difference = median[g] - median[ref]
                if n_boot > 0:
                    spread = samples[g] - samples[ref]
                    spread = spread[np.isfinite(spread)]
                    if len(spread) >= 0.9 * n_boot:
                        ci_low, ci_high = difference + np.percentile(spread, [lower, upper])
            rows.append({
                "phase": phase_key,
                **{name: values.iloc[g][name] for name in groups},
                **{c: cells.loc[g, c] for c in ("n", "n_open", "median_days", "median_days_ci_low",
                                                "median_days_ci_high")},
                "reference": g == ref,
                "difference_days": difference,
                "difference_days_ci_low": ci_low,
                "difference_days_ci_high": ci_high,
                "logrank_statistic": statistic,
                "logrank_df": df,
                "p_value": p_value,
            })
    out = pd.DataFrame(rows, columns=["phase", *groups, *_COMPARE_COLUMNS])
    out["phase"] = pd.Categorical(out["phase"], categories=all_phases, ordered=True)
    for column in ("n", "n_open", "logrank_df"):
        out[column] = out[column].astype(np.int64)
    out["reference"] = out["reference"].astype(bool)
    ref_value = tuple(values.iloc[ref]) if n_groups else None
    out.attrs.update(as_of=table.as_of, days=table.days, n_cases=len(table), labels=table.labels, by=groups,
                     confidence=confidence,
                     reference=(ref_value[0] if ref_value is not None and len(ref_value) == 1 else ref_value))
    return out


def phase_trend(
    log_or_table: CaseLog | CaseTable,
    phase: str | Sequence[str] | None = None,
    *,
    freq: str = "M",
    by: str | Sequence[str] | None = None,
    as_of=None,
    days: str | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Is a phase getting slower? Its Kaplan–Meier median by the month (quarter, year) dossiers started.

    Parameters
    ----------
    log_or_table : CaseLog or CaseTable
    phase : str or list of str, optional
        Phase key(s); default every phase.
    freq : {"M", "Q", "Y"}
        Start month (default), quarter or year.
    by : str or list of str, optional
        Cohorts to follow separately (``office``…).
    as_of, days, confidence
        As in :func:`phase_summary`.

    Returns
    -------
    DataFrame
        One row per phase, (cohort,) and start period (``start_month``,
        ``start_quarter`` or ``start_year``: ``"2025-03"``, ``"2025Q1"``,
        ``"2025"``), in order: ``n``, ``n_finished``, ``n_open``, ``n_closed``,
        ``median_days`` with ``median_days_ci_low`` / ``median_days_ci_high``
        and ``median_days_completed_only``, as :func:`phase_summary` gives
        them for that cohort of dossiers.

    Notes
    -----
    Dossiers that started recently are mostly still open: their median is
    often not reached (``inf``) and its interval wide. Whether the periods
    really differ is :func:`compare_cohorts` with ``by="start_month"``.

    Examples
    --------
    >>> from vitale_analysis import load, phase_trend
    >>> trend = phase_trend(load("data/sample_caselog.csv"), "rights", freq="Q")
    >>> list(trend.columns[:3]), trend["start_quarter"].is_monotonic_increasing
    (['phase', 'start_quarter', 'n'], True)
    """
    if freq not in TREND_FREQUENCIES:
        raise CaseLogError(f"freq={freq!r}: give one of {list(TREND_FREQUENCIES)} (month, quarter, year).")
    period = TREND_FREQUENCIES[freq]
    table = as_case_table(log_or_table, as_of=as_of, days=days)
    phases = _phases(table, phase)
    cohorts = [name for name in by_names(by) if name != period]
    summary = phase_summary(table, by=[*cohorts, period], percentiles=(50,), confidence=confidence)
    summary = summary[summary["phase"].astype(object).isin(phases)]
    order = ["phase", *cohorts, period]
    summary = summary.sort_values(order, kind="mergesort").reset_index(drop=True)
    out = summary[order + [c for c in summary.columns if c not in order]]
    out.attrs.update(summary.attrs, by=[*cohorts, period])
    return out


def _phases(table: CaseTable, phase) -> list[str]:
    """The phase keys asked for (all by default), in process order, or an error naming the unknown ones."""
    keys = list(table.process.phase_keys)
    if phase is None:
        return keys
    asked = [phase] if isinstance(phase, str) else list(phase)
    unknown = [p for p in asked if p not in keys]
    if unknown:
        hints = "; ".join(f"{u!r}" + (f" (did you mean {closest_names(str(u), keys)[0]!r}?)"
                                      if closest_names(str(u), keys) else "") for u in unknown)
        raise CaseLogError(f"phase={phase!r}: no phase {hints}. The phases are {keys}.")
    return [p for p in keys if p in asked]


def _reference(values: pd.DataFrame, groups: list[str], reference) -> int:
    """The position of the reference cohort among the groups (the first by default)."""
    if reference is None:
        return 0
    wanted = reference if isinstance(reference, tuple) else (reference,)
    if len(wanted) != len(groups):
        raise CaseLogError(f"reference={reference!r}: give one value per cohort column {groups}.")
    for g in range(len(values)):
        row = tuple(values.iloc[g][name] for name in groups)
        if all((pd.isna(a) and pd.isna(b)) if pd.isna(a) or pd.isna(b) else a == b for a, b in zip(row, wanted)):
            return g
    shown = [tuple(r) if len(groups) > 1 else r[0] for r in values[groups].itertuples(index=False)]
    raise CaseLogError(f"reference={reference!r}: no such cohort; the cohorts are {shown}.")
