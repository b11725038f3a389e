"""When will it arrive? Forecasts per open dossier, estimated from the dossiers before it.

For a dossier still under way, the date it reaches a milestone (its rights
opened, its card) is the end of its current phase plus the phases after it.
Each part is drawn from past dossiers' durations, counted honestly:

* **the current phase, conditional on the days already waited.** A dossier
  40 days into the rights phase is not a new one: of the past dossiers, only
  those still waiting after 40 days say how much longer it takes. The draw
  comes from that phase's Kaplan–Meier curve S cut at 40 days,
  S(t) / S(40) for t > 40 (inverse transform: the first t with
  S(t) ≤ u · S(40), u uniform);
* **the later phases, from their own curves** (unconditional draws, one per
  phase, added up), the phases assumed independent;
* **open dossiers count** in those curves for the days they have waited
  (censored), as everywhere in the package.

A fixed number of draws (:data:`FORECAST_DRAWS`, seeded) gives the middle of
the distribution (the expected date: half the draws before it) and the
``confidence`` interval (its two tails). Dossiers that wait in the same phase,
in the same cohort, between the same two steps of the curve share one
distribution; the draws are made once for them, seeded from ``seed`` and that
shared position (cohort, phase, step), so a forecast does not depend on the
order of the rows or on which other dossiers are forecast alongside it.

**Cohorts** (``by=``): a dossier's own cohort (its office, say) is used when it
has at least ``min_history`` dossiers that finished each phase still ahead;
otherwise the next coarser cohort (with ``by=["office", "channel"]``: the
office alone), and finally the whole caseload. The ``basis`` column says which.

**Recent history** (``history_days=``): delays drift (an office gets slower,
a backlog clears). With ``history_days=365`` the curves learn from the last
year only: each phase counts from the window's start (a late entry, as
lifelines' ``entry=``), so long phases still inform the tail. The default
uses the whole log.

These are estimates from past dossiers, not promises: the wording in tables,
reports and widgets says so. :func:`backtest_forecast` measures how often
the intervals held on this log's own past.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from .caselog import CaseLog
from .cases import PHASE_STATES, TIMED_STATES, CaseTable, as_case_table, case_table
from .cohorts import by_names, cohort_columns, group_codes
from .errors import CaseLogError, closest_names
from .km import km_curve, km_inverse, normal_quantile
from .timeutil import NAT, from_ns, to_ns

__all__ = ["forecast", "forecast_completions", "backtest_forecast", "FORECAST_DRAWS", "FORECAST_COLUMNS"]

#: Draws per shared distribution (see the module's notes). The 10 % and 90 %
#: points of 1,000 draws are within about ±1 percentage point of the true ones
#: (binomial standard error √(0.1 · 0.9 / 1000) ≈ 0.0095).
FORECAST_DRAWS = 1000

#: Columns of :func:`forecast`, after ``case_id`` and the ``by`` columns.
FORECAST_COLUMNS = {
    "current_phase": "the phase the dossier is in (phase key)",
    "days_in_phase": "days waited in it so far, at as_of",
    "expected_date": "half the draws arrive before it (the middle estimate)",
    "low_date": "the interval's early end: (1 − confidence) / 2 of the draws arrive before it",
    "high_date": "the interval's late end; empty when past dossiers do not reach that far (see beyond_history)",
    "expected_days": "days from as_of to expected_date",
    "low_days": "days from as_of to low_date",
    "high_days": "days from as_of to high_date (inf: beyond history)",
    "basis": "the cohort whose history was used: its values (e.g. 'CPAM 75'), or 'all' for the whole caseload",
    "basis_by": "the by columns of that cohort (e.g. 'office'), empty for the whole caseload",
    "basis_dossiers": "dossiers of that cohort with a duration in the current phase (finished, open or closed)",
    "beyond_history": "True when the interval's late end is past anything the history shows",
}

_DAY_NS = 86_400 * 10**9
_STATES = list(PHASE_STATES)
_FINISHED = _STATES.index("finished")
_TIMED = [_STATES.index(s) for s in TIMED_STATES]


# ============================================================================ the model
@dataclass(frozen=True)
class _Curve:
    times: np.ndarray
    survival: np.ndarray
    n: int  # dossiers with a duration (in the window)


class _Model:
    """What the forecasts of one case table share: each phase's durations, the cohorts, the curves."""

    def __init__(self, table: CaseTable, *, target: str, by, min_history: int, min_waiting: int,
                 history_days: float | None):
        process = table.process
        self.phases = list(process.phase_keys)
        self.target_index = _target_index(process, target)  # milestone index: phases 0 … index − 1 lead to it
        frame = table.to_frame()
        cases, names = cohort_columns(frame, by)
        self.names = names
        self.cases = cases
        self.min_waiting = min_waiting
        as_of_ns = table.as_of.ns
        window_ns = None if history_days is None else as_of_ns - int(round(history_days * _DAY_NS))
        milestones = process.milestones
        started = to_ns(frame["started_at"])
        self.days, self.finished, self.entry, self.timed = [], [], [], []
        for j in range(self.target_index):
            phase = self.phases[j]
            state = table.state_codes(phase)
            days = frame[f"{phase}_days"].to_numpy(dtype=float)
            timed = np.isin(state, _TIMED) & ~np.isnan(days)
            entry = None
            if window_ns is not None:
                start = to_ns(frame[f"{milestones[j]}_at"])
                if j == 0:
                    start = np.where(start == NAT, started, start)
                entry = np.clip((window_ns - start) / _DAY_NS, 0, None)
                entry[start == NAT] = np.nan
                # Over by the window's start: not history (km_curve leaves them out too).
                timed &= (days > np.nan_to_num(entry, nan=np.inf)) | (entry == 0)
            self.days.append(days)
            self.finished.append(state == _FINISHED)
            self.entry.append(entry)
            self.timed.append(timed)
        # Cohort levels, finest first: by, by without its last column, …, the whole caseload.
        self.levels = [names[:k] for k in range(len(names), -1, -1)]
        self.codes, self.values, self.enough = [], [], []
        for level in self.levels:
            codes, values = group_codes(cases, level)
            n_groups = len(values) if len(cases) else 0
            self.codes.append(codes)
            self.values.append(values)
            self.enough.append([
                np.bincount(codes[self.timed[j] & self.finished[j]], minlength=n_groups) >= min_history
                for j in range(self.target_index)
            ])
        self._curves: dict[tuple[int, int, int], _Curve] = {}

    def curve(self, level: int, group: int, phase: int) -> _Curve:
        key = (level, group, phase)
        curve = self._curves.get(key)
        if curve is None:
            mine = self.timed[phase] & (self.codes[level] == group)
            entry = self.entry[phase]
            times, survival = km_curve(self.days[phase][mine], self.finished[phase][mine],
                                       None if entry is None else entry[mine])
            curve = self._curves[key] = _Curve(times, survival, int(mine.sum()))
        return curve

    def open_positions(self) -> np.ndarray:
        """Rows of the open dossiers that have not reached the target, in table order."""
        frame = self.cases
        current = frame["current_phase"].cat.codes.to_numpy()
        waited = frame["days_in_phase"].to_numpy(dtype=float)
        is_open = (frame["status"] == "open").to_numpy()
        return np.flatnonzero(is_open & (current >= 0) & (current < self.target_index) & ~np.isnan(waited))

    def basis_levels(self, rows: np.ndarray, current: np.ndarray, waited: np.ndarray) -> np.ndarray:
        """Per dossier, the finest cohort level with enough history: ``min_history`` dossiers that
        finished each phase still ahead, and ``min_waiting`` that waited at least as long as this one
        in its current phase (itself included) — else the long waits of a small cohort rest on a
        handful of dossiers."""
        chosen = np.full(len(rows), len(self.levels) - 1)
        decided = np.zeros(len(rows), dtype=bool)
        for level in range(len(self.levels) - 1):
            codes = self.codes[level][rows]
            ok = np.ones(len(rows), dtype=bool)
            for j in range(self.target_index):
                ok &= (j < current) | self.enough[level][j][codes]
            ok &= self.waiting_as_long(level, codes, current, waited) >= self.min_waiting
            take = ok & ~decided
            chosen[take] = level
            decided |= ok
        return chosen

    def waiting_as_long(self, level: int, codes: np.ndarray, current: np.ndarray, waited: np.ndarray) -> np.ndarray:
        """Per dossier, its cohort's dossiers with a duration of at least ``waited`` in its current phase."""
        out = np.zeros(len(codes), dtype=np.int64)
        pairs = np.unique(np.stack([codes, current], axis=1), axis=0) if len(codes) else np.empty((0, 2), int)
        for g, c in pairs:
            mine = (codes == g) & (current == c)
            history = self.timed[c] & (self.codes[level] == g)
            days = np.sort(self.days[c][history])
            out[mine] = len(days) - np.searchsorted(days, waited[mine], side="left")
        return out


def _target_index(process, target: str) -> int:
    milestones = list(process.milestones)
    if target not in milestones:
        hint = closest_names(str(target), milestones)
        raise CaseLogError(
            f"target={target!r} is not a milestone of the process {process.name!r}"
            + (f" (did you mean {hint[0]!r}?)" if hint else "")
            + f". Forecast one of {milestones[1:]}."
        )
    index = milestones.index(target)
    if index == 0:
        raise CaseLogError(f"target={target!r} is where dossiers start: forecast a later milestone, "
                           f"one of {milestones[1:]}.")
    return index


def _check(confidence, draws, min_history, history_days, min_waiting) -> None:
    if not (isinstance(confidence, (int, float)) and 0 < confidence < 1):
        raise CaseLogError(f"confidence={confidence!r}: give a level between 0 and 1, e.g. 0.8.")
    if not (isinstance(draws, int) and draws >= 10):
        raise CaseLogError(f"draws={draws!r}: give a whole number of draws ≥ 10 (default {FORECAST_DRAWS}).")
    if not (isinstance(min_history, int) and min_history >= 1):
        raise CaseLogError(f"min_history={min_history!r}: give a whole number of dossiers ≥ 1, e.g. 30.")
    if not (isinstance(min_waiting, int) and not isinstance(min_waiting, bool) and min_waiting >= 0):
        raise CaseLogError(f"min_waiting={min_waiting!r}: give a whole number of dossiers ≥ 0, e.g. 10 "
                           "(0: however long a dossier has waited, its cohort's history is used).")
    if history_days is not None and not (isinstance(history_days, (int, float)) and history_days > 0):
        raise CaseLogError(f"history_days={history_days!r}: give a number of days > 0 (e.g. 365), or None "
                           "for the whole log.")


#: Dossiers drawn by Monte Carlo (phases ahead of the current one) share a distribution when
#: their S(w) rounds down to the same point of a grid with this ratio: 0.5 % of probability at
#: most, below the ±1 % of the draws themselves.
_LEVEL_RATIO = 1.005


@dataclass
class _Batch:
    """Open dossiers of one cohort in one phase: ``rows`` of the table, and their distribution.

    Exact when the current phase is the last before the target (``totals`` is
    None): the ``q`` point of a wait conditional on ``w`` is the first time
    with S ≤ (1 − q) · S(w). Otherwise ``totals`` holds sorted draws, one row
    per ``slot`` (dossiers whose S(w) rounds to the same grid point).
    All in days from the start of the current phase.
    """

    rows: np.ndarray
    level: int
    group: int
    phase: int
    curve: _Curve
    s_waited: np.ndarray  # per row, S(w) of its current phase's curve
    slot: np.ndarray | None = None
    totals: np.ndarray | None = None

    def quantiles(self, levels: Sequence[float], draws: int) -> np.ndarray:
        """(rows, levels): days from the phase's start (inf: beyond history)."""
        if self.totals is not None:
            picks = [_quantile_index(q, draws) for q in levels]
            return self.totals[:, picks][self.slot]
        curve, s_w = self.curve, self.s_waited
        out = np.column_stack([km_inverse(curve.times, curve.survival, (1 - q) * s_w) for q in levels])
        out = np.nan_to_num(out, nan=np.inf, posinf=np.inf)
        out[s_w <= 0] = np.inf  # waited past every dossier the history shows
        return out

    def below(self, reach: np.ndarray) -> np.ndarray:
        """(rows, k): each row's chance of arriving before ``reach`` days from its phase's start."""
        if self.totals is not None:
            out = np.empty(reach.shape)
            by_slot = np.argsort(self.slot, kind="stable")
            bounds = np.searchsorted(self.slot[by_slot], np.arange(len(self.totals) + 1))
            for k, (a, b) in enumerate(pairwise(bounds)):
                mine = by_slot[a:b]
                out[mine] = np.searchsorted(self.totals[k], reach[mine], side="left") / self.totals.shape[1]
            return out
        curve, s_w = self.curve, self.s_waited
        pos = np.searchsorted(curve.times, reach, side="left") - 1  # the curve just before `reach`
        s_at = np.where(pos >= 0, curve.survival[np.maximum(pos, 0)], 1.0) if len(curve.times) else np.ones(reach.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.clip(1 - s_at / s_w[:, None], 0, 1)
        out[s_w <= 0] = 0.0
        return out


def _batches(model: _Model, *, seed: int, draws: int) -> Iterator[_Batch]:
    """The open dossiers, one batch per (cohort, current phase), with their distributions."""
    frame = model.cases
    rows = model.open_positions()
    if not len(rows):
        return
    current = frame["current_phase"].cat.codes.to_numpy()[rows].astype(np.int64)
    waited = frame["days_in_phase"].to_numpy(dtype=float)[rows]
    level = model.basis_levels(rows, current, waited)
    group = np.empty(len(rows), dtype=np.int64)
    for lv in np.unique(level):
        group[level == lv] = model.codes[lv][rows[level == lv]]
    order = np.lexsort((current, group, level))
    keys = np.stack([level[order], group[order], current[order]], axis=1)
    bounds = np.flatnonzero(np.r_[True, (np.diff(keys, axis=0) != 0).any(axis=1), True])
    for a, b in pairwise(bounds):
        lv, g, c = (int(x) for x in keys[a])
        mine = order[a:b]
        here = model.curve(lv, g, c)
        # S(w): the curve at the days already waited (1 before its first step).
        step = np.searchsorted(here.times, waited[mine], side="right")
        s_w = np.where(step > 0, here.survival[np.maximum(step - 1, 0)], 1.0) if len(here.times) \
            else np.zeros(len(mine))
        batch = _Batch(rows=rows[mine], level=lv, group=g, phase=c, curve=here, s_waited=s_w)
        if c + 1 < model.target_index:
            batch.slot, batch.totals = _draws(model, lv, g, c, s_w, seed=seed, draws=draws)
        yield batch


def _draws(model: _Model, lv: int, g: int, c: int, s_w: np.ndarray, *, seed: int, draws: int):
    """Monte Carlo: the current phase conditional on S(w) (rounded down to the grid), plus the phases
    ahead from their own curves; the same uniform draws for every slot of the batch (seeded by the
    batch), so a dossier's forecast depends on its cohort, phase and S(w) only."""
    here = model.curve(lv, g, c)
    later = np.zeros(draws)
    for j in range(c + 1, model.target_index):
        ahead = model.curve(lv, g, j)
        u = np.random.default_rng([seed, lv, g, c, 0, j]).random(draws)
        later += np.nan_to_num(km_inverse(ahead.times, ahead.survival, u), nan=np.inf, posinf=np.inf)
    with np.errstate(divide="ignore"):
        grid = np.ceil(-np.log(s_w) / np.log(_LEVEL_RATIO) - 1e-9)  # (S(w) = 0: inf)
    points, slot = np.unique(grid, return_inverse=True)
    s_level = np.where(np.isfinite(points), _LEVEL_RATIO ** -np.nan_to_num(points, posinf=0), 0.0)
    u = np.random.default_rng([seed, lv, g, c, 1]).random(draws)
    totals = km_inverse(here.times, here.survival, s_level[:, None] * u[None, :])
    totals = np.nan_to_num(totals, nan=np.inf, posinf=np.inf) + later[None, :]
    totals[s_level <= 0] = np.inf  # waited past every dossier the history shows
    totals.sort(axis=1)
    return slot.ravel(), totals


def _quantile_index(q: float, draws: int) -> int:
    """The order statistic of the ``q`` quantile of ``draws`` sorted values (no interpolation)."""
    return min(max(int(np.ceil(q * draws)) - 1, 0), draws - 1)


def _basis(model: _Model, level: int, group: int) -> tuple[str, str]:
    names = model.levels[level]
    if not names:
        return "all", ""
    values = model.values[level].iloc[group]
    return " / ".join("" if pd.isna(values[n]) else str(values[n]) for n in names), ", ".join(names)


# ============================================================================ forecast
def forecast(
    log_or_table: CaseLog | CaseTable,
    *,
    as_of=None,
    target: str = "rights_opened",
    by: str | Sequence[str] | None = None,
    confidence: float = 0.8,
    seed: int = 0,
    draws: int = FORECAST_DRAWS,
    min_history: int = 30,
    min_waiting: int = 10,
    history_days: float | None = None,
) -> pd.DataFrame:
    """When will each open dossier reach ``target``? An expected date and an interval, per dossier.

    Parameters
    ----------
    log_or_table : CaseLog or CaseTable
        A case table must count calendar days (forecasts are dates).
    as_of : date-like, optional
        The day the forecast is made; default the log's latest event.
    target : str
        The milestone to forecast (default ``"rights_opened"``, the
        attestation de droits; ``"card_received"``, ``"first_reimbursement"``…).
    by : str or list of str, optional
        Cohorts whose own history is used when they have enough of it
        (``"office"``, ``["office", "channel"]``…); see ``min_history``.
    confidence : float
        Share of the draws the interval holds (default 0.8: one dossier in
        ten arrives earlier than ``low_date``, one in ten later than
        ``high_date``, if the coming months are like the past).
    seed : int
        Seed of the draws (same data, same seed: same forecast).
    draws : int
        Draws per distribution (default :data:`FORECAST_DRAWS`).
    min_history, min_waiting : int
        A cohort's own history is used when at least ``min_history`` of its
        dossiers (default 30) finished each phase still ahead, and at least
        ``min_waiting`` (default 10) waited as long as this dossier in its
        current phase; otherwise the next coarser cohort, and at last the
        whole caseload.
    history_days : number, optional
        Learn from the last ``history_days`` days only (see the module's
        notes on drift); default the whole log.

    Returns
    -------
    DataFrame
        One row per open dossier that has not reached ``target`` (closed and
        complete dossiers have nothing to forecast), in ``case_id`` order:
        ``case_id``, the ``by`` columns, then :data:`FORECAST_COLUMNS`. Dates
        are times in the log's clock (the expected date can fall on any day;
        show the day). ``attrs``: ``as_of``, ``target``, ``confidence``,
        ``draws``, ``seed``, ``by``, ``min_history``, ``history_days``.

    Notes
    -----
    The interval is about the dossier's outcome, not about the median: if the
    future is like the past, about ``confidence`` of the dossiers arrive
    inside their interval (:func:`backtest_forecast` checks that on the log's
    own past). A dossier that has already waited longer than nearly every past
    dossier gets a wide interval, and ``beyond_history`` when the history
    cannot say how long such waits last.

    Examples
    --------
    >>> from vitale_analysis import load, forecast
    >>> ahead = forecast(load("data/sample_caselog.csv"), as_of="2025-06-30")
    >>> list(ahead.columns[:4])
    ['case_id', 'current_phase', 'days_in_phase', 'expected_date']
    >>> dated = ahead.dropna(subset=["high_date"])  # (the rest: beyond_history)
    >>> bool(((dated["low_date"] <= dated["expected_date"]) & (dated["expected_date"] <= dated["high_date"])).all())
    True
    """
    _check(confidence, draws, min_history, history_days, min_waiting)
    table = _calendar_table(log_or_table, as_of)
    model = _Model(table, target=target, by=by, min_history=min_history, min_waiting=min_waiting,
                   history_days=history_days)
    levels = ((1 - confidence) / 2, 0.5, (1 + confidence) / 2)
    n = len(table)
    quantiles = np.full((n, 3), np.nan)
    basis = np.full(n, "", dtype=object)
    basis_by = np.full(n, "", dtype=object)
    basis_n = np.zeros(n, dtype=np.int64)
    for batch in _batches(model, seed=seed, draws=draws):
        quantiles[batch.rows] = batch.quantiles(levels, draws)
        basis[batch.rows], basis_by[batch.rows] = _basis(model, batch.level, batch.group)
        basis_n[batch.rows] = batch.curve.n
    rows = model.open_positions()
    frame = model.cases
    waited = frame["days_in_phase"].to_numpy(dtype=float)[rows]
    start_ns = table.as_of.ns - np.round(waited * _DAY_NS)
    remaining = quantiles[rows] - waited[:, None]  # (days from as_of: the phase began `waited` days before)
    aware = table.as_of.at.tzinfo is not None

    def dates(k: int) -> pd.Series:
        total = quantiles[rows, k]
        ns = np.where(np.isfinite(total), start_ns + np.round(np.nan_to_num(total, posinf=0) * _DAY_NS), NAT)
        return from_ns(ns.astype(np.int64), aware)

    def taken(column: str) -> pd.Series:  # (the column's own dtype: categories, strings, booleans)
        return frame[column].iloc[rows].reset_index(drop=True)

    out = {"case_id": taken("case_id").astype("string")}
    for name in model.names:  # (derived cohorts such as start_month included)
        out[name] = taken(name)
    out["current_phase"] = taken("current_phase")
    out["days_in_phase"] = waited
    out["expected_date"] = dates(1)
    out["low_date"] = dates(0)
    out["high_date"] = dates(2)
    out["expected_days"] = remaining[:, 1]
    out["low_days"] = remaining[:, 0]
    out["high_days"] = remaining[:, 2]
    out["basis"] = basis[rows].astype(str)
    out["basis_by"] = basis_by[rows].astype(str)
    out["basis_dossiers"] = basis_n[rows]
    out["beyond_history"] = ~np.isfinite(remaining[:, 2])
    result = pd.DataFrame(out)
    result.attrs = {"as_of": table.as_of, "target": target, "confidence": confidence, "draws": draws,
                    "seed": seed, "by": by_names(by), "min_history": min_history, "min_waiting": min_waiting,
                    "history_days": history_days}
    return result


def _calendar_table(log_or_table, as_of) -> CaseTable:
    table = as_case_table(log_or_table, as_of=as_of)
    if table.days != "calendar":
        raise CaseLogError(
            "Forecasts are dates, counted in calendar days; this case table counts working days. "
            "Pass the log, or case_table(log) without days='working'."
        )
    return table


# ============================================================================ completions per period
def forecast_completions(
    log_or_table: CaseLog | CaseTable,
    *,
    as_of=None,
    target: str = "rights_opened",
    by: str | Sequence[str] | None = None,
    freq: str = "W",
    periods: int = 12,
    confidence: float = 0.8,
    seed: int = 0,
    draws: int = FORECAST_DRAWS,
    min_history: int = 30,
    min_waiting: int = 10,
    history_days: float | None = None,
) -> pd.DataFrame:
    """How many open dossiers should reach ``target`` each week (or month), with a band.

    The same draws as :func:`forecast`. For each period, each open dossier's
    chance of arriving in it is the share of its draws that fall there; the
    expected count is the sum of those chances, and the band the
    ``confidence`` interval of a sum of independent yes/no outcomes with
    those chances (normal approximation: expected ± z·√Σ p(1 − p)).

    Parameters
    ----------
    freq : {"W", "M"}
        Weeks (Monday to Sunday) or calendar months, starting with the one
        that holds ``as_of``.
    periods : int
        How many periods (default 12).
    Others as in :func:`forecast`.

    Returns
    -------
    DataFrame
        One row per period: ``period_start``, ``period_end`` (the last day),
        ``expected``, ``low``, ``high`` (dossiers; ``low`` ≥ 0), then one row
        ``later`` (``period_start`` empty) with the dossiers expected after
        the last period or beyond history. ``attrs`` as :func:`forecast`'s,
        plus ``n_open`` (dossiers forecast).

    Examples
    --------
    >>> from vitale_analysis import load, forecast_completions
    >>> weeks = forecast_completions(load("data/sample_caselog.csv"), as_of="2025-06-30", periods=4)
    >>> len(weeks), list(weeks.columns)
    (5, ['period_start', 'period_end', 'expected', 'low', 'high'])
    """
    _check(confidence, draws, min_history, history_days, min_waiting)
    if freq not in ("W", "M"):
        raise CaseLogError(f"freq={freq!r}: use 'W' (weeks) or 'M' (months).")
    if not (isinstance(periods, int) and periods >= 1):
        raise CaseLogError(f"periods={periods!r}: give a whole number of periods ≥ 1.")
    table = _calendar_table(log_or_table, as_of)
    model = _Model(table, target=target, by=by, min_history=min_history, min_waiting=min_waiting,
                   history_days=history_days)
    aware = table.as_of.at.tzinfo is not None
    day = pd.Timestamp(table.as_of.day())
    first = day - pd.Timedelta(days=day.weekday()) if freq == "W" else day.replace(day=1)
    starts = pd.date_range(first, periods=periods + 1, freq="7D" if freq == "W" else "MS")
    edges_ns = starts.as_unit("ns").asi8.astype(np.int64)
    if aware:  # (period edges are midnights in Paris; the log's times are UTC)
        edges_ns = starts.tz_localize("Europe/Paris").tz_convert("UTC").as_unit("ns").asi8.astype(np.int64)
    frame = model.cases
    waited_all = frame["days_in_phase"].to_numpy(dtype=float)
    as_of_ns = table.as_of.ns
    chance = np.zeros(periods + 1)  # the last: later than the last period, or beyond history
    spread = np.zeros(periods + 1)
    n_open = 0
    for batch in _batches(model, seed=seed, draws=draws):
        start_ns = as_of_ns - np.round(waited_all[batch.rows] * _DAY_NS)
        # Days from each dossier's phase start to each edge; the share of its draws up to there.
        reach = (edges_ns[None, :] - start_ns[:, None]) / _DAY_NS
        cumulative = batch.below(reach)
        # Nothing arrives before as_of: the first period starts at as_of for these chances.
        cumulative = np.clip(cumulative, cumulative[:, :1], None)
        probs = np.diff(cumulative, axis=1)
        probs = np.concatenate([probs, 1 - cumulative[:, -1:]], axis=1)
        chance += probs.sum(axis=0)
        spread += (probs * (1 - probs)).sum(axis=0)
        n_open += len(batch.rows)
    z = normal_quantile(confidence)
    half = z * np.sqrt(spread)
    ends = (starts[1:] - pd.Timedelta(days=1))
    out = pd.DataFrame({
        "period_start": list(starts[:-1]) + [pd.NaT],
        "period_end": list(ends) + [pd.NaT],
        "expected": chance,
        "low": np.clip(chance - half, 0, None),
        "high": chance + half,
    })
    out.index = [f"{s:%Y-%m-%d}" for s in starts[:-1]] + ["later"]
    out.attrs = {"as_of": table.as_of, "target": target, "confidence": confidence, "draws": draws, "seed": seed,
                 "by": by_names(by), "min_history": min_history, "min_waiting": min_waiting,
                    "history_days": history_days, "freq": freq,
                 "n_open": n_open}
    return out


# ============================================================================ backtest
def backtest_forecast(
    log: CaseLog,
    cuts: Sequence,
    *,
    until=None,
    target: str = "rights_opened",
    by: str | Sequence[str] | None = None,
    confidence: float = 0.8,
    seed: int = 0,
    draws: int = FORECAST_DRAWS,
    min_history: int = 30,
    min_waiting: int = 10,
    history_days: float | None = None,
    detail: bool = False,
) -> pd.DataFrame:
    """How often did the intervals hold? Forecast at earlier dates, compare with what happened next.

    Parameters
    ----------
    log : CaseLog
        The whole log (what happened after each cut is read from it).
    cuts : sequence of date-like
        The dates the forecasts are made as of (each before ``until``).
    until : date-like, optional
        What is known: default the log's latest event.
    detail : bool
        True: one row per (cut, dossier) instead of the summary.
    Others as in :func:`forecast`.

    Returns
    -------
    DataFrame
        The summary: one row per group, with ``cut`` (the date, or ``"all"``),
        ``phase`` (the dossiers' phase at the cut, or ``"all"``) and the ``by``
        columns (or ``"all"``): overall, per cut, per phase and per cohort.
        Columns: ``n_forecast``; ``n_arrived`` (reached the target by
        ``until``); ``n_waiting`` (still under way at ``until``);
        ``n_closed`` (closed without reaching it: left out, the forecast is
        of an arrival); ``n_undecided`` (still under way, the interval
        starting after ``until``: cannot be judged yet, left out);
        ``n_judged``, ``coverage`` (share of the judged inside their
        interval), ``median_abs_error_days`` (|actual − expected| over the
        arrived), ``median_width_days``. ``attrs``: ``confidence``, ``until``,
        ``target``.

        With ``detail=True``: ``cut``, ``case_id``, the ``by`` columns, the
        forecast's columns, ``actual_date``, ``outcome`` (``arrived`` /
        ``waiting`` / ``closed``), ``inside`` (True / False / missing when
        not judged) and ``error_days``.

    Notes
    -----
    A dossier that arrived is inside when ``low_date ≤ actual ≤ high_date``.
    One still waiting at ``until`` is inside when its interval starts by
    ``until`` and reaches past it (it may yet arrive inside), outside when
    the whole interval is over by ``until`` (it should have arrived), and not
    judged when the interval starts after ``until``. Cuts close to ``until``
    leave many dossiers not judged: choose cuts at least the phase's usual
    length before it.

    Examples
    --------
    >>> from vitale_analysis import load, backtest_forecast
    >>> log = load("data/sample_caselog.csv")
    >>> result = backtest_forecast(log, cuts=["2024-12-31"])
    >>> overall = result.iloc[0]
    >>> overall["cut"], overall["phase"], bool(0 <= overall["coverage"] <= 1)
    ('all', 'all', True)
    """
    if not isinstance(log, CaseLog):
        raise CaseLogError("backtest_forecast takes the whole CaseLog (from load): what happened after each "
                           "cut is read from it.")
    _check(confidence, draws, min_history, history_days, min_waiting)
    if isinstance(cuts, (str, pd.Timestamp)) or not len(cuts):
        raise CaseLogError(f"cuts={cuts!r}: give a list of dates, e.g. cuts=['2024-06-30', '2024-12-31'].")
    _target_index(log.process, target)
    end = log.as_of(until)
    final = case_table(log, as_of=end).to_frame().set_index("case_id")
    actual = final[f"{target}_at"]
    closed = final["status"] == "closed"
    rows = []
    for cut in cuts:
        at = log.as_of(cut)
        if at.ns >= end.ns:
            raise CaseLogError(f"cut {cut!r} is not before until ({end}): a backtest needs time after each cut.")
        ahead = forecast(log, as_of=at, target=target, by=by, confidence=confidence, seed=seed, draws=draws,
                         min_history=min_history, min_waiting=min_waiting, history_days=history_days)
        ahead.insert(0, "cut", str(at))
        ids = pd.Index(ahead["case_id"].astype(object))
        ahead["actual_date"] = actual.reindex(ids).to_numpy()
        was_closed = closed.reindex(ids).fillna(False).to_numpy(dtype=bool)
        arrived = ahead["actual_date"].notna().to_numpy()
        outcome = np.where(arrived, "arrived", np.where(was_closed, "closed", "waiting"))
        ahead["outcome"] = outcome
        low, high, act = (to_ns(ahead[c]) for c in ("low_date", "high_date", "actual_date"))
        low_inf, high_inf = low == NAT, high == NAT  # (NaT: past anything the history shows)
        is_arrived, is_waiting = outcome == "arrived", outcome == "waiting"
        judged = is_arrived | (is_waiting & ~low_inf & (low <= end.ns))
        inside = np.where(is_arrived, ~low_inf & (act >= low) & (high_inf | (act <= high)),
                          high_inf | (high > end.ns))
        ahead["inside"] = pd.array(np.where(judged, inside, False), dtype="boolean")
        ahead.loc[~judged, "inside"] = pd.NA
        expected = to_ns(ahead["expected_date"])
        ahead["error_days"] = np.where(arrived & (expected != NAT), np.abs(act - expected) / _DAY_NS, np.nan)
        rows.append(ahead)
    detail_frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if detail:
        detail_frame.attrs = {"confidence": confidence, "until": end, "target": target}
        return detail_frame
    names = by_names(by)
    summary = _backtest_summary(detail_frame, names)
    summary.attrs = {"confidence": confidence, "until": end, "target": target}
    return summary


def _backtest_summary(detail: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    def stats(part: pd.DataFrame) -> dict:
        judged = part["inside"].notna()
        arrived = part["outcome"] == "arrived"
        width = (part["high_days"] - part["low_days"]).replace(np.inf, np.nan)
        return {
            "n_forecast": len(part),
            "n_arrived": int(arrived.sum()),
            "n_waiting": int((part["outcome"] == "waiting").sum()),
            "n_closed": int((part["outcome"] == "closed").sum()),
            "n_undecided": int(((part["outcome"] == "waiting") & ~judged).sum()),
            "n_judged": int(judged.sum()),
            "coverage": float(part.loc[judged, "inside"].astype(bool).mean()) if judged.any() else np.nan,
            "median_abs_error_days": float(part.loc[arrived, "error_days"].median()) if arrived.any() else np.nan,
            "median_width_days": float(width.median()) if width.notna().any() else np.nan,
        }

    keys = ["cut", "phase", *names]
    everything = dict.fromkeys(keys, "all")
    out = [{**everything, **stats(detail)}]
    for cut, part in detail.groupby("cut", sort=True):
        out.append({**everything, "cut": cut, **stats(part)})
    for phase, part in detail.groupby("current_phase", sort=True, observed=True):
        out.append({**everything, "phase": str(phase), **stats(part)})
    if names:
        for values, part in detail.groupby(names, sort=True, dropna=False, observed=True):
            values = values if isinstance(values, tuple) else (values,)
            out.append({**everything, **{n: ("" if pd.isna(v) else str(v)) for n, v in zip(names, values, strict=True)},
                        **stats(part)})
    return pd.DataFrame(out)
