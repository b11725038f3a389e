"""Tables that charts draw, computed apart from the drawing.

:mod:`vitale_analysis.plots` never aggregates: every number a chart shows comes
from a summary of the package (``phase_summary``, ``trigger_summary``,
``stalled``, ``throughput``, ``waiting_on_summary``) or from one of the pure
functions here, which add what a chart needs and a summary does not give:

* :func:`phase_quartiles` – ``phase_summary`` plus the Kaplan–Meier 25th
  percentile, for an interquartile range;
* :func:`phase_times`, :func:`milestone_times` – one duration per dossier
  (time in a phase, or from the start to a milestone), open dossiers censored;
  :func:`km_curves` turns them into survival curves per cohort;
* :func:`stalled_matrix` – stalled dossiers counted by office × phase;
* :func:`open_by_age` – open dossiers by current phase and days in it;
* :func:`trigger_pareto` – a trigger summary ranked, with cumulative shares;
* :func:`dossier_timeline` – one dossier's phases and events;
* :func:`population` – how many dossiers a chart describes, how many are open;
* :func:`mask_identifier` – never show a full social security number.

Nothing here imports matplotlib. Every table carries ``attrs`` describing the
population it shows (``n_cases``, ``n_open``, ``as_of``) so that a chart title
can state it without counting anything; no computation reads them back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .caselog import CaseLog
from .cases import CaseTable, as_case_table
from .codes import flat_index
from .cohorts import cohort_columns, group_codes
from .errors import CaseLogError, closest_names
from .km import km_quantiles, km_survival
from .privacy import mask_identifier
from .process import CARTE_VITALE, ProcessModel
from .summaries import phase_summary
from .timeutil import NAT, AsOf, elapsed_days, to_ns

__all__ = [
    "DEFAULT_AGE_BINS",
    "DossierTimeline",
    "Population",
    "dossier_timeline",
    "km_curves",
    "mask_identifier",
    "milestone_times",
    "open_by_age",
    "phase_quartiles",
    "phase_times",
    "population",
    "stalled_matrix",
    "trigger_pareto",
]

#: Edges (days) of the age bins of :func:`open_by_age`; the last bin is open-ended.
DEFAULT_AGE_BINS = (0, 30, 60, 90, 180, 365)

_TIMED = ("finished", "open", "closed")


# ============================================================================ helpers
def _require_columns(frame: pd.DataFrame, columns: Sequence[str], argument: str, made_by: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        hints = "; ".join(
            f"{m!r}" + (f" (did you mean {closest_names(m, frame.columns)[0]!r}?)" if closest_names(m, frame.columns) else "")
            for m in missing
        )
        raise CaseLogError(
            f"{argument}: no column {hints}. Expected a table from {made_by}; its columns are {list(frame.columns)}."
        )


def _population_attrs(table: CaseTable) -> dict:
    return {
        "n_cases": int(len(table)),
        "n_open": int((table["status"] == "open").sum()),
        "as_of": table.as_of,
        "days": table.days,
        "labels": table.labels,  # (the user's own words for the values: chart labels)
    }


# ============================================================================ population
@dataclass(frozen=True)
class Population:
    """How many dossiers a chart describes: for its title ("n = 3,000 dossiers, 975 still open")."""

    n_cases: int
    n_open: int | None = None
    as_of: AsOf | None = None


def population(cases: CaseTable) -> Population:
    """The population of a case table (possibly filtered): dossiers, open ones, ``as_of``.

    Examples
    --------
    >>> from vitale_analysis import load, case_table
    >>> from vitale_analysis.chartdata import population
    >>> population(case_table(load("data/sample_caselog.csv"), as_of="2025-06-30"))
    Population(n_cases=3000, n_open=975, as_of=AsOf(at=Timestamp('2025-07-01 00:00:00'), inclusive=False))
    """
    attrs = _population_attrs(as_case_table(cases))
    return Population(n_cases=attrs["n_cases"], n_open=attrs["n_open"], as_of=attrs["as_of"])


# ============================================================================ phase quartiles
def phase_quartiles(
    log_or_table: CaseLog | CaseTable,
    *,
    by: str | Sequence[str] | None = None,
    as_of=None,
    days: str | None = None,
) -> pd.DataFrame:
    """:func:`~vitale_analysis.phase_summary` plus ``p25_days``, for an interquartile range.

    ``p25_days`` is the Kaplan–Meier 25th percentile of the time in the phase
    (the time by which a quarter of the dossiers had finished it), computed
    over exactly the dossiers ``phase_summary`` uses (finished, open and
    closed in the phase; open and closed ones censored). It is inserted just
    before ``median_days``; every other column and ``attrs`` are
    ``phase_summary``'s.

    Examples
    --------
    >>> from vitale_analysis import load
    >>> from vitale_analysis.chartdata import phase_quartiles
    >>> table = phase_quartiles(load("data/sample_caselog.csv"), by="channel")
    >>> list(table.columns[table.columns.get_loc("p25_days"):][:6])
    ['p25_days', 'median_days', 'median_days_ci_low', 'median_days_ci_high', 'p75_days', 'p90_days']
    """
    # The same Kaplan–Meier curves as phase_summary's, read at one more level.
    return phase_summary(log_or_table, by=by, as_of=as_of, days=days, percentiles=(25, 50, 75, 90))


# ============================================================================ durations per dossier
def phase_times(
    cases: CaseTable,
    phase: str,
    *,
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Each dossier's time in one phase, for a survival curve: ``days`` and ``observed``.

    Parameters
    ----------
    cases : CaseTable
        A case table from :func:`~vitale_analysis.case_table` (possibly filtered).
    phase : str
        A phase key (``"rights"``…).
    by : str or list of str, optional
        Cohort columns to keep (a case attribute or ``start_month`` …).

    Returns
    -------
    DataFrame
        One row per dossier that entered the phase and has a duration in it:
        ``case_id``, the ``by`` columns, ``days`` (the case table's
        ``<phase>_days``), ``observed`` (True when the phase is finished;
        False for a dossier still open in it or closed in it: censored) and
        ``state``. Dossiers with an order violation in the phase have no
        duration and are left out (counted in ``attrs["n_no_duration"]``).
        ``attrs`` also hold ``n_cases`` / ``n_open`` / ``as_of`` of the case
        table, ``curve="phase"``, ``phase`` and ``by``.
    """
    table = as_case_table(cases)
    table.process.phase(phase)  # raises with the list of phases
    attrs = _population_attrs(table)
    cases, groups = cohort_columns(table.to_frame(), by)
    state = cases[f"{phase}_state"].astype(object)
    timed = state.isin(_TIMED).to_numpy()
    entered = state.notna().to_numpy()
    out = cases.loc[timed, ["case_id", *groups]].reset_index(drop=True)
    out["days"] = cases.loc[timed, f"{phase}_days"].to_numpy(dtype=float)
    out["observed"] = (state[timed] == "finished").to_numpy()
    out["state"] = state[timed].to_numpy()
    out.attrs.update(attrs, curve="phase", phase=phase, by=groups,
                     n_no_duration=int((entered & ~timed).sum()))
    return out


def milestone_times(
    cases: CaseTable,
    milestone: str = "rights_opened",
    *,
    start: str | None = None,
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Each dossier's time from its start to a milestone, for a survival curve.

    The time to the attestation de droits by channel, for example, is
    ``km_curves(milestone_times(cases, "rights_opened", by="channel"))``.

    Parameters
    ----------
    cases : CaseTable
        A case table from :func:`~vitale_analysis.case_table` (possibly filtered).
    milestone : str
        The milestone reached at the end (``rights_opened``, ``card_received``…).
    start : str, optional
        The milestone the clock starts at; default the dossier's start
        (``started_at``: its start milestone, else its first event). Dossiers
        that have not reached ``start`` are left out.
    by : str or list of str, optional
        Cohort columns to keep.

    Returns
    -------
    DataFrame
        ``case_id``, the ``by`` columns, ``days`` and ``observed``: a dossier
        that reached the milestone is observed at its first time; one that did
        not is censored at ``as_of`` when open, at its closing when closed, and
        at its completion when it completed without recording the milestone.
        A milestone recorded before the start (an order violation) gives no
        duration: the dossier is left out and counted in
        ``attrs["n_no_duration"]``. Durations count calendar or working days
        as the case table does.
    """
    table = as_case_table(cases)
    process = table.process
    for name, value in (("milestone", milestone), ("start", start)):
        if value is not None and value not in process.milestones:
            raise CaseLogError(
                f"{name}={value!r} is not a milestone of process {process.name!r}; "
                f"milestones are {list(process.milestones)}."
            )
    start_column = "started_at" if start is None else f"{start}_at"
    attrs = _population_attrs(table)
    cases, groups = cohort_columns(table.to_frame(), by)
    aware = table.as_of.at.tzinfo is not None
    start_ns = to_ns(cases[start_column])
    reached_ns = to_ns(cases[f"{milestone}_at"])
    status = cases["status"].astype(object).to_numpy()
    reached = reached_ns != NAT
    end_ns = np.where(
        reached, reached_ns,
        np.where(status == "closed", to_ns(cases["closed_at"]),
                 np.where(status == "complete", to_ns(cases["completed_at"]), table.as_of.ns)),
    )
    days = elapsed_days(start_ns, end_ns, days=table.days, aware=aware, calendars=table.calendars)
    has_start = start_ns != NAT
    keep = has_start & ~np.isnan(days) & (days >= 0)
    out = cases.loc[keep, ["case_id", *groups]].reset_index(drop=True)
    out["days"] = days[keep]
    out["observed"] = reached[keep]
    out.attrs.update(attrs, curve="milestone", milestone=milestone, start=start, by=groups,
                     n_no_duration=int((has_start & ~keep).sum()))
    return out


def km_curves(times: pd.DataFrame, *, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Kaplan–Meier survival curves per cohort, from :func:`phase_times` or :func:`milestone_times`.

    Parameters
    ----------
    times : DataFrame
        One row per dossier with ``days`` and ``observed``.
    by : str or list of str, optional
        Cohort columns (those the times were made with, or fewer); default one
        curve for all.

    Returns
    -------
    DataFrame
        Per cohort, the rows of :func:`~vitale_analysis.km.km_survival`
        (``days``, ``at_risk``, ``events``, ``censored``, ``survival``: the
        share still waiting just after ``days``) preceded by a starting row
        (``days`` 0, ``survival`` 1, nobody finished yet) so that a step line
        starts at 100 %; plus ``n`` (dossiers in the cohort) and
        ``median_days`` (Kaplan–Meier median; ``inf`` when the curve never
        falls to one half). A missing cohort value is a cohort of its own.
        ``attrs`` are the times' attrs, with ``by``.
    """
    _require_columns(times, ["days", "observed"], "times", "phase_times() or milestone_times()")
    names = [] if by is None else ([by] if isinstance(by, str) else list(by))
    _require_columns(times, names, "by", "phase_times(..., by=...) or milestone_times(..., by=...)")
    columns = [*names, "days", "at_risk", "events", "censored", "survival", "n", "median_days"]
    codes, values = group_codes(times, names)
    pieces = []
    if len(times):
        days = times["days"].to_numpy(dtype=float)
        observed = times["observed"].to_numpy(dtype=bool)
        for g in range(len(values)):
            sel = codes == g
            curve = km_survival(days[sel], observed[sel])
            start = pd.DataFrame({"days": [0.0], "at_risk": [int(sel.sum())], "events": [0], "censored": [0],
                                  "survival": [1.0]})
            curve = pd.concat([start, curve], ignore_index=True)
            for name in names:
                curve.insert(names.index(name), name, values.iloc[g][name])
            curve["n"] = int(sel.sum())
            curve["median_days"] = km_quantiles(days[sel], observed[sel])[0]
            pieces.append(curve)
    out = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=columns)
    out = out[columns]
    for name in names:
        if name in times.columns and isinstance(times[name].dtype, pd.CategoricalDtype):
            out[name] = pd.Categorical(out[name], categories=times[name].cat.categories)
    out.attrs.update({k: v for k, v in times.attrs.items()}, by=names)
    return out


# ============================================================================ stalls
def stalled_matrix(
    worklist: pd.DataFrame,
    *,
    rows: str = "office",
    cases: CaseTable | None = None,
    thresholds: dict[str, float] | None = None,
    process: ProcessModel | None = None,
) -> pd.DataFrame:
    """Stalled dossiers counted by ``rows`` (office) × phase, from :func:`~vitale_analysis.stalled`.

    Parameters
    ----------
    worklist : DataFrame
        The worklist ``stalled(log)`` returns (possibly filtered).
    rows : str
        The worklist column to count by: ``office`` (default) or any column
        the worklist has (``waiting_on``, ``reason``…).
    cases : CaseTable, optional
        The case table the worklist came from: then ``attrs`` hold its
        ``n_cases`` / ``n_open`` / ``as_of``, and when ``rows`` is one of its
        columns every value of it gets a row (zeros included).
    thresholds : dict, optional
        Days per phase the worklist was made with (``phase_thresholds(...)``),
        for the chart to state.
    process : ProcessModel, optional
        The phases' model; default the case table's, else Carte Vitale.

    Returns
    -------
    DataFrame
        Index: the ``rows`` values (a missing value is a row of its own),
        most stalled dossiers first (ties by name); columns: every phase key
        in process order; values: stalled dossiers (int). ``attrs`` hold
        ``n_stalled``, ``as_of`` and ``thresholds`` (days per phase), for display.
    """
    if process is None:
        process = cases.process if isinstance(cases, CaseTable) else CARTE_VITALE
    phases = list(process.phase_keys)
    _require_columns(worklist, [rows, "phase"], "worklist", "stalled(log)")
    frame = pd.DataFrame({
        rows: worklist[rows].astype(object).where(worklist[rows].notna(), None).to_numpy(),
        "phase": worklist["phase"].astype(object).to_numpy(),
    })
    counts = (
        frame.groupby([rows, "phase"], dropna=False, sort=True).size().unstack("phase", fill_value=0)
        if len(frame) else pd.DataFrame(index=pd.Index([], name=rows, dtype=object))
    )
    counts = counts.reindex(columns=phases, fill_value=0)
    attrs = {"n_stalled": int(len(worklist)), "as_of": None, "thresholds": dict(thresholds or {}), "rows": rows}
    if cases is not None:
        cases = as_case_table(cases)
        attrs.update(_population_attrs(cases))
        if rows in cases:  # every value of a case attribute gets a row (a reason, say, is no case column)
            every = pd.Index(pd.unique(cases[rows].astype(object).where(cases[rows].notna(), None).to_numpy()))
            counts = counts.reindex(counts.index.union(every, sort=False), fill_value=0)
    counts = counts.astype(np.int64)
    total = counts.sum(axis=1).to_numpy()
    names = np.array(["" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in counts.index])
    order = np.lexsort((names, -total))
    counts = counts.iloc[order]
    counts.index.name = rows
    counts.columns.name = "phase"
    counts.attrs.update(attrs)
    return counts


def open_by_age(
    cases: CaseTable,
    *,
    bins: Sequence[float] = DEFAULT_AGE_BINS,
) -> pd.DataFrame:
    """Open dossiers by current phase and days in that phase, binned.

    Parameters
    ----------
    cases : CaseTable
        A case table (possibly filtered).
    bins : sequence of float
        Increasing bin edges in days, starting at 0; a dossier with ``d`` days
        in its phase falls in the bin ``[edge_k, edge_k+1)``; the last bin has
        no upper edge.

    Returns
    -------
    DataFrame
        One row per (phase, bin), every phase in process order and every bin
        (zeros included): ``phase`` (ordered categorical), ``days_from``,
        ``days_to`` (``inf`` for the last bin), ``n`` (open dossiers) and
        ``n_phase`` (open dossiers in that phase, all bins).
    """
    cases = as_case_table(cases)
    process = cases.process
    edges = np.asarray(list(bins), dtype=float)
    if len(edges) < 1 or edges[0] != 0 or np.any(np.diff(edges) <= 0) or not np.all(np.isfinite(edges)):
        raise CaseLogError(f"bins={list(bins)!r}: give increasing, finite day edges starting at 0, e.g. {list(DEFAULT_AGE_BINS)}.")
    phases = list(process.phase_keys)
    is_open = (cases["status"] == "open").to_numpy()
    phase = cases["current_phase"].astype(object).to_numpy()[is_open]
    days = cases["days_in_phase"].to_numpy(dtype=float)[is_open]
    phase_idx = pd.Index(phases).get_indexer(phase)
    bin_idx = np.clip(np.searchsorted(edges, days, side="right") - 1, 0, len(edges) - 1)
    ok = phase_idx >= 0
    counts = np.bincount(flat_index(phase_idx[ok], len(edges), bin_idx[ok]), minlength=len(phases) * len(edges))
    counts = counts.reshape(len(phases), len(edges))
    out = pd.DataFrame({
        "phase": pd.Categorical(np.repeat(phases, len(edges)), categories=phases, ordered=True),
        "days_from": np.tile(edges, len(phases)),
        "days_to": np.tile(np.r_[edges[1:], np.inf], len(phases)),
        "n": counts.ravel().astype(np.int64),
        "n_phase": np.repeat(counts.sum(axis=1), len(edges)).astype(np.int64),
    })
    out.attrs.update(_population_attrs(cases))
    return out


# ============================================================================ triggers
_PARETO_VALUES = ("total_days_attributable", "cases_affected")


def trigger_pareto(summary: pd.DataFrame, *, value: str = "total_days_attributable") -> pd.DataFrame:
    """A trigger summary ranked for a Pareto chart, with the cumulative share.

    Parameters
    ----------
    summary : DataFrame
        From :func:`~vitale_analysis.trigger_summary` without ``by`` (or one
        group's rows of it).
    value : {"total_days_attributable", "cases_affected"}

    Returns
    -------
    DataFrame
        The summary's rows, largest ``value`` first (missing values last),
        with ``value`` (a copy of the chosen column), ``value_ci_low`` /
        ``value_ci_high`` (for days: the extra-days interval times the
        dossiers affected in that phase; for cases: equal to the value) and
        ``cumulative_share`` (running sum of the positive values over their
        total; missing where the value is missing or nothing is positive).
    """
    if value not in _PARETO_VALUES:
        raise CaseLogError(f"value={value!r}: choose one of {list(_PARETO_VALUES)}.")
    _require_columns(summary, ["trigger", "cases_affected", "total_days_attributable", "extra_days"],
                     "summary", "trigger_summary(log)")
    known = {"trigger", "label", "phase", "events", "cases_affected", "share", "median_days_to_next_milestone",
             "median_days_affected", "median_days_unaffected", "extra_days", "extra_days_ci_low",
             "extra_days_ci_high", "total_days_attributable", "prevention"}
    groups = [c for c in summary.columns if c not in known]
    if groups and summary.groupby(groups, dropna=False, observed=True).ngroups > 1:
        raise CaseLogError(
            f"summary has several groups ({groups}); a Pareto ranks one group's triggers. "
            f"Filter one group first, e.g. summary[summary[{groups[0]!r}] == ...]."
        )
    out = summary.copy()
    out["value"] = out[value].astype(float)
    if value == "total_days_attributable":
        extra = out["extra_days"].astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            affected_in_phase = np.round(out["value"] / extra)
        out["value_ci_low"] = out.get("extra_days_ci_low", np.nan) * affected_in_phase
        out["value_ci_high"] = out.get("extra_days_ci_high", np.nan) * affected_in_phase
    else:
        out["value_ci_low"] = out["value"]
        out["value_ci_high"] = out["value"]
    out = out.sort_values(["value", "trigger"], ascending=[False, True], na_position="last",
                          kind="mergesort").reset_index(drop=True)
    positive = out["value"].clip(lower=0).fillna(0).to_numpy()
    total = positive.sum()
    share = np.cumsum(positive) / total if total > 0 else np.full(len(out), np.nan)
    out["cumulative_share"] = np.where(out["value"].isna(), np.nan, share)
    out.attrs.update(summary.attrs, value=value)
    return out


# ============================================================================ one dossier
@dataclass(frozen=True)
class DossierTimeline:
    """One dossier's phases and events, as :func:`dossier_timeline` gives them.

    ``label`` is the case id masked by :func:`mask_identifier` (charts show
    it; ``case_id`` is kept for joining back).
    """

    case_id: str
    label: str
    status: str
    current_phase: str | None
    as_of: AsOf
    phases: pd.DataFrame
    events: pd.DataFrame
    process: ProcessModel = field(repr=False, default=CARTE_VITALE)
    #: The user's own labels (column → code → label, from their mapping): the chart shows these first.
    labels: Mapping = field(repr=False, default_factory=dict)

    def __repr__(self) -> str:  # never the raw id: it can be a social security number
        return (f"DossierTimeline({self.label!r}, {self.status}, {len(self.phases)} phases, "
                f"{len(self.events)} events, as of {self.as_of})")


def dossier_timeline(cases: CaseTable, case_id: str | None = None) -> DossierTimeline:
    """One dossier's phases (from its case-table row) and events (from the log, up to the table's ``as_of``).

    Parameters
    ----------
    cases : CaseTable
        A case table from :func:`~vitale_analysis.case_table` (made from a
        log, not in batches), e.g. ``cases[cases["case_id"] == "D000001"]``.
    case_id : str, optional
        The dossier; default the table's only row.

    Returns
    -------
    DossierTimeline
        ``phases``: one row per phase the dossier entered or finished, with
        ``phase``, ``start``, ``end`` (the end milestone; ``as_of`` for a
        phase still open, the closing date for a phase closed),
        ``state`` (as in the case table) and ``days``. ``events``:
        ``timestamp``, ``event``, ``trigger``, ``milestone`` (bool).
    """
    table = as_case_table(cases)
    process = table.process
    if case_id is not None:
        table = table[table["case_id"] == str(case_id)]
        if len(table) == 0:
            raise CaseLogError(f"No dossier {mask_identifier(case_id)!r} in this case table (as of {cases.as_of}).")
    elif len(table) != 1:
        raise CaseLogError(
            f"cases: expected one dossier's row of the case table, got {len(table)} rows. "
            "Give case_id=, or select it with cases[cases['case_id'] == '<id>']."
        )
    case = table.to_frame().iloc[0]
    events = table.dossier_log.events
    as_of = table.as_of
    case_id = str(case["case_id"])
    mine = events[(events["case_id"] == case_id).to_numpy(dtype=bool) & as_of.keeps(events["timestamp"])]
    status = str(case["status"])
    rows = []
    for phase in process.phases:
        state = case.get(f"{phase.key}_state")
        if state is None or (not isinstance(state, str) and pd.isna(state)) or state == "":
            continue
        start = case.get(f"{phase.start}_at", pd.NaT)
        end = case.get(f"{phase.end}_at", pd.NaT)
        if state == "open":
            end = as_of.at  # (the cut the days in phase run to)
        elif state == "closed":
            end = case["closed_at"]
        rows.append({"phase": phase.key, "start": start, "end": end, "state": str(state),
                     "days": float(case.get(f"{phase.key}_days", np.nan))})
    phases = pd.DataFrame(rows, columns=["phase", "start", "end", "state", "days"])
    phases["phase"] = pd.Categorical(phases["phase"], categories=list(process.phase_keys), ordered=True)
    timeline = pd.DataFrame({
        "timestamp": mine["timestamp"].reset_index(drop=True),
        "event": mine["event"].astype(object).to_numpy(),
        "trigger": mine["trigger"].astype(object).where(mine["trigger"].notna(), None).to_numpy(),
    })
    timeline["milestone"] = timeline["event"].isin(process.milestones)
    current = case["current_phase"]
    return DossierTimeline(
        case_id=case_id,
        label=mask_identifier(case_id),
        status=status,
        current_phase=None if pd.isna(current) else str(current),
        as_of=as_of,
        phases=phases,
        events=timeline,
        process=process,
        labels=cases.labels,
    )
