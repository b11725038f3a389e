"""Where the loops are: the process map, the paths dossiers take, and rework.

Definitions (DESIGN.md, "Directly-follows")
-------------------------------------------
* A dossier's **steps** are its events up to ``as_of``, in the validated log's
  order: by time, same-time events in the process model's order (events the
  model does not know come after, in file order). **Exact duplicates** — the
  same event of the same dossier at the same time, whatever its note or
  trigger — are counted once.
* ``level="events"`` keeps every event; ``level="milestones"`` keeps only the
  process model's milestones (the skeleton). Repeats are **not collapsed** at
  either level: a dossier submitted twice shows ``dossier_submitted`` twice
  (a loop stays visible; at milestones level, as a self-loop).
* Two steps **directly follow** each other when they are consecutive steps of
  one dossier. Each dossier also gets a synthetic first and last step:
  :data:`START` (``"__start__"``) before its first step, and after its last
  one :data:`END` (``"__end__"``) when it is complete or closed at ``as_of``,
  :data:`OPEN` (``"__open__"``) when it is still open (it has not ended: its
  last step so far leads there). A dossier without any step at the level
  (no milestone yet) goes straight from ``__start__`` to ``__end__`` /
  ``__open__``.
* Days between two steps are calendar days (float) between their times: every
  pair is observed, so their median and 90th percentile are plain quantiles
  (linear interpolation, NumPy's and pandas' default). Edges from
  ``__start__`` or to ``__end__`` / ``__open__`` have no days.

Everything is computed on the event arrays at once (NumPy sorts of small
integer keys), never one dossier at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .caselog import CaseLog
from .cases import CaseTable, log_and_cut
from .codes import stable_argsort, widen
from .cohorts import by_names, group_codes
from .errors import CaseLogError
from .eventcore import STATUSES, EventCore, cohort_frame, event_codes, event_core
from .km import km_grouped_quantiles
from .masking import mask_identifiers
from .timeutil import DAY_NS, NAT, AsOf

__all__ = ["ProcessMap", "process_map", "variants", "rework", "rework_summary", "START", "END", "OPEN", "LEVELS",
           "REWORK_EVENTS"]

#: The synthetic first step of every dossier.
START = "__start__"
#: The synthetic last step of a dossier complete or closed at ``as_of``.
END = "__end__"
#: The synthetic last step of a dossier still open at ``as_of`` (it has not ended).
OPEN = "__open__"

#: ``level=``: every event, or the process model's milestones only.
LEVELS = ("events", "milestones")

#: The events :func:`rework` counts, used only when the process model knows them
#: (its vocabulary); the resubmitted milestone is the one that starts the model's
#: ``submission_phase`` (``dossier_submitted`` for the Carte Vitale).
REWORK_EVENTS = {
    "complement_requested": "a complement round starts (the office asks for a document)",
    "complement_sent": "the complement is sent: the round ends",
    "card_requested": "a card is ordered; again after the first, or after a card_lost, it is a re-order",
    "card_lost": "the card was lost: the next card_requested is a re-order",
}

_STATUS_OPEN = STATUSES.index("open")
#: Dossiers (the first, by case id) that place each step beside its usual milestone (``after_milestone``).
_PLACING_DOSSIERS = 100_000


# ============================================================================ shared steps
@dataclass(frozen=True)
class _Steps:
    """The steps of every dossier at one level (rows sorted by case, then order)."""

    core: EventCore
    log: CaseLog
    names: list[str]  # event names (codes index them)
    case: np.ndarray  # int64 case code per step
    event: np.ndarray  # int64 event code per step
    t_ns: np.ndarray  # int64 time per step
    rows: np.ndarray  # position of each step in core.ev
    groups: np.ndarray  # int64 cohort per case
    group_values: pd.DataFrame  # one row per cohort
    by: tuple[str, ...]


def _steps(log_or_table, as_of, level: str, by) -> _Steps:
    if level not in LEVELS:
        raise CaseLogError(f"level={level!r}: choose one of {list(LEVELS)}.")
    log, cut, _ = log_and_cut(log_or_table, as_of=as_of)
    core = event_core(log, cut)
    codes, names = event_codes(core.ev)
    case = widen(core.codes)
    keep = codes >= 0
    if level == "milestones":
        wanted = [names.index(m) for m in core.process.milestones if m in names]
        keep &= np.isin(codes, wanted)
    if keep.all():  # (every event, as mostly: no copies)
        rows, event, t_ns = np.arange(len(codes)), widen(codes), core.t_ns
    else:
        rows = np.flatnonzero(keep)
        case, event, t_ns = case[rows], widen(codes[rows]), core.t_ns[rows]
    dup = _exact_duplicates(case, event, t_ns)
    if dup.any():
        rows, case, event, t_ns = rows[~dup], case[~dup], event[~dup], t_ns[~dup]
    if by_names(by):
        frame, names_by = cohort_frame(log, core, by)
        groups, values = group_codes(frame, names_by)
    else:  # (one cohort: no per-dossier frame to build)
        names_by, groups, values = [], np.zeros(core.n_cases, dtype=np.int64), pd.DataFrame(index=[0])
    return _Steps(core=core, log=log, names=names, case=case, event=event, t_ns=t_ns, rows=rows,
                  groups=widen(groups), group_values=values, by=tuple(names_by))


def _exact_duplicates(case: np.ndarray, event: np.ndarray, t_ns: np.ndarray) -> np.ndarray:
    """Steps repeating an earlier step of the same dossier (same event, same time): the first copy stays.

    Only steps tied on case and time can repeat one another; the validated order puts
    copies side by side, except between events the model does not know (file order), so
    the tied steps are sorted by (case, time, event, position) to find them all.
    """
    dup = np.zeros(len(case), dtype=bool)
    if len(case) < 2:
        return dup
    same = (case[1:] == case[:-1]) & (t_ns[1:] == t_ns[:-1])
    if not same.any():
        return dup
    tied = np.zeros(len(case), dtype=bool)
    tied[1:] |= same
    tied[:-1] |= same
    idx = np.flatnonzero(tied)
    s = idx[np.lexsort((idx, event[idx], t_ns[idx], case[idx]))]
    again = (case[s][1:] == case[s][:-1]) & (t_ns[s][1:] == t_ns[s][:-1]) & (event[s][1:] == event[s][:-1])
    dup[s[1:][again]] = True
    return dup


def _bounds(steps: _Steps) -> tuple[np.ndarray, np.ndarray]:
    """Per case: its first step's position and its number of steps (0: none at this level)."""
    n = steps.core.n_cases
    count = np.bincount(steps.case, minlength=n)
    first = np.concatenate([[0], np.cumsum(count)[:-1]]) if n else np.zeros(0, dtype=np.int64)
    return first, count


def _with_groups(steps: _Steps, frame: pd.DataFrame, group_pos: np.ndarray) -> pd.DataFrame:
    """``frame`` with the cohort columns (the values of ``group_pos``, one per row) in front."""
    if not steps.by:
        return frame
    values = steps.group_values.iloc[group_pos].reset_index(drop=True)
    return pd.concat([values, frame.reset_index(drop=True)], axis=1)


def _after_milestones(steps: _Steps) -> list[str | None]:
    """Per event name, the milestone it usually follows: the one most often the furthest a dossier had
    reached at the step (a milestone: itself; None when most took it before any milestone). Over the
    first :data:`_PLACING_DOSSIERS` dossiers, whatever the cohorts: it says where a step sits in the
    process, for the chart's layout."""
    milestones = list(steps.core.process.milestones)
    index_of = np.array([milestones.index(n) if n in milestones else -1 for n in steps.names] + [-1],
                        dtype=np.int64)
    width = len(milestones) + 1
    # A layout needs no census: the first _PLACING_DOSSIERS dossiers (the steps are sorted by dossier:
    # a prefix) say where each step usually sits, at a fraction of the cost on a national caseload.
    upto = int(np.searchsorted(steps.case, _PLACING_DOSSIERS, side="left"))
    case, event = steps.case[:upto], steps.event[:upto]
    reached = index_of[event] if len(event) else np.zeros(0, dtype=np.int64)
    base = case * width  # (each case's values lie above the previous case's: one running max)
    furthest = np.maximum.accumulate(np.where(reached >= 0, base + reached + 1, base)) - base if len(base) \
        else np.zeros(0, dtype=np.int64)  # 0: no milestone yet, else 1 + the furthest milestone's index
    votes = np.bincount(event * width + furthest, minlength=len(steps.names) * width)
    votes = votes.reshape(len(steps.names), width)
    out = []
    for code, name in enumerate(steps.names):
        if name in milestones:
            out.append(name)
        elif votes[code].sum() == 0:
            out.append(None)
        else:
            best = int(np.argmax(votes[code]))  # (ties: the earlier milestone)
            out.append(milestones[best - 1] if best > 0 else None)
    return out


# ============================================================================ the map
def _key_type(n_keys: int) -> type:
    """The integer type for packed keys below ``n_keys``: 32 bits when they fit (half the memory
    traffic over ten million transitions), else 64. Chosen from the largest key, never assumed."""
    return np.int32 if n_keys < 2**31 else np.int64


@dataclass(frozen=True)
class ProcessMap:
    """Nodes and edges of the directly-follows map (see the module docstring).

    Attributes
    ----------
    nodes : DataFrame
        ``[by columns,] event, dossiers, occurrences, after_milestone``: each
        step's dossiers (that took it at least once) and occurrences; the
        synthetic ``__start__`` (every dossier), ``__end__`` and ``__open__``
        included; ``after_milestone``: the milestone the step usually follows
        (the furthest one its dossiers had reached when they took it, most
        often; a milestone: itself; over the first 100,000 dossiers), for
        the chart.
        Nodes are not filtered by ``min_share`` / ``top_edges``.
    edges : DataFrame
        ``[by columns,] source, target, dossiers, transitions, median_days,
        p90_days, share_of_dossiers``, most frequent first (per cohort).
    as_of : AsOf
    level : {"events", "milestones"}
    by : tuple of str
    n_dossiers : int
        Dossiers in the map (all cohorts).
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    as_of: AsOf
    level: str
    by: tuple[str, ...]
    n_dossiers: int

    def __repr__(self) -> str:
        cohorts = f", by {list(self.by)}" if self.by else ""
        return (f"ProcessMap ({self.level}): {self.n_dossiers:,} dossiers, {len(self.nodes):,} nodes, "
                f"{len(self.edges):,} edges as of {self.as_of}{cohorts} → .nodes, .edges")


def process_map(log_or_table: CaseLog | CaseTable, *, as_of=None, by: str | Sequence[str] | None = None,
                level: str = "events", min_share: float = 0.0, top_edges: int | None = None) -> ProcessMap:
    """The directly-follows map: which step follows which, in how many dossiers, after how many days.

    Parameters
    ----------
    log_or_table : CaseLog or CaseTable
        A table's own dossiers, as of its own ``as_of``.
    as_of : date-like, optional
        Default: the log's latest event. Events after it are ignored.
    by : str or list of str, optional
        Cohorts (a case attribute or ``start_month`` / ``start_quarter`` /
        ``start_year``): one map per cohort, rows carry the cohort columns.
    level : {"events", "milestones"}
        Every event, or the process model's milestones only.
    min_share : float
        Keep the edges taken by at least this share of the dossiers (of the cohort).
    top_edges : int, optional
        Keep the ``top_edges`` edges taken by most dossiers (per cohort; ties:
        more transitions, then source and target names).

    Returns
    -------
    ProcessMap
        ``.nodes`` and ``.edges`` (see :class:`ProcessMap`); ``dossiers``
        counts each dossier once per edge, ``transitions`` every time it took
        the edge (a loop taken twice: 2); ``median_days`` / ``p90_days``: plain
        quantiles of the calendar days between the two steps over all
        transitions (NaN on the synthetic edges); ``share_of_dossiers``:
        ``dossiers`` over the cohort's dossiers.

    Examples
    --------
    >>> from vitale_analysis import load, process_map
    >>> pm = process_map(load("data/sample_caselog.csv"), as_of="2025-06-30", level="milestones")
    >>> list(pm.edges.columns)
    ['source', 'target', 'dossiers', 'transitions', 'median_days', 'p90_days', 'share_of_dossiers']
    >>> pm.edges.iloc[0][["source", "target"]].tolist()
    ['__start__', 'registration_submitted']
    """
    if not 0 <= min_share <= 1:
        raise CaseLogError(f"min_share={min_share!r}: give a share of the dossiers between 0 and 1, e.g. 0.05.")
    if top_edges is not None and (not isinstance(top_edges, (int, np.integer)) or top_edges < 1):
        raise CaseLogError(f"top_edges={top_edges!r}: give a whole number of edges (at least 1) or None for all.")
    steps = _steps(log_or_table, as_of, level, by)
    core = steps.core
    n, n_groups = core.n_cases, len(steps.group_values) if core.n_cases else 0
    n_events = len(steps.names)
    start, end, still_open = n_events, n_events + 1, n_events + 2
    k = n_events + 3  # node ids: the events, then the three synthetic steps
    node_names = np.array([*steps.names, START, END, OPEN], dtype=object)
    first, count = _bounds(steps)
    open_case = np.asarray(core.status.codes) == _STATUS_OPEN
    last_node = np.where(open_case, still_open, end)
    group_of_case = steps.groups if n else np.zeros(0, dtype=np.int64)
    dossiers_per_group = np.bincount(group_of_case, minlength=n_groups)

    # Steps that follow one another within a dossier.
    case, event = steps.case, steps.event
    repeating = _repeating_cases(steps, first, count)
    inner = case[1:] == case[:-1]
    source, target = event[:-1][inner], event[1:][inner]
    inner_case = case[1:][inner]
    gap_ns = (steps.t_ns[1:] - steps.t_ns[:-1])[inner]  # (>= 0: steps are in time order within a dossier)
    key_type = _key_type(n_groups * k * k)
    key = source.astype(key_type) * key_type(k) + target.astype(key_type)
    if n_groups > 1:
        key += group_of_case[inner_case].astype(key_type) * key_type(k * k)
    run_keys, transitions, dossiers, quantiles = _edge_statistics(key, inner_case, gap_ns, n_groups * k * k, repeating)

    # Synthetic edges: one per dossier from __start__, one to __end__ / __open__.
    has = count > 0
    padded = np.append(event, 0)  # (a dossier without steps reads position 0 or -1: replaced below)
    first_node = np.where(has, padded[first], last_node)
    last_step = np.where(has, padded[first + count - 1], start)
    synthetic = np.concatenate([group_of_case * (k * k) + start * k + first_node,
                                group_of_case[has] * (k * k) + last_step[has] * k + last_node[has]])
    syn_keys, syn_counts = np.unique(synthetic, return_counts=True)

    all_keys = np.concatenate([run_keys.astype(np.int64), syn_keys])
    group = all_keys // (k * k)
    edges = pd.DataFrame({
        "source": node_names[(all_keys % (k * k)) // k],
        "target": node_names[all_keys % k],
        "dossiers": np.concatenate([dossiers, syn_counts]),
        "transitions": np.concatenate([transitions, syn_counts]),
        "median_days": np.concatenate([quantiles[:, 0], np.full(len(syn_keys), np.nan)]),
        "p90_days": np.concatenate([quantiles[:, 1], np.full(len(syn_keys), np.nan)]),
    })
    edges["share_of_dossiers"] = edges["dossiers"] / np.maximum(dossiers_per_group[group], 1)
    edges["_group"] = group
    edges = edges.sort_values(["_group", "dossiers", "transitions", "source", "target"],
                              ascending=[True, False, False, True, True], kind="mergesort")
    edges = edges[edges["share_of_dossiers"] >= min_share]
    if top_edges is not None:
        edges = edges.groupby("_group", sort=False).head(int(top_edges))
    group_pos = edges.pop("_group").to_numpy()
    edges = _with_groups(steps, edges.reset_index(drop=True), group_pos)

    # Nodes: occurrences and dossiers of each step, per cohort.
    node_type = _key_type(n_groups * k)
    node_key = event.astype(node_type)
    if n_groups > 1:
        node_key += group_of_case[case].astype(node_type) * node_type(k)
    occurrences = np.bincount(node_key, minlength=n_groups * k)
    node_dossiers = _distinct_per_key(node_key, case, occurrences, repeating)
    cells = np.arange(n_groups * k)
    per_group = np.zeros(n_groups * k, dtype=np.int64)
    per_group[cells % k == start] = dossiers_per_group
    ended = np.bincount(group_of_case[~open_case], minlength=n_groups)
    opened = np.bincount(group_of_case[open_case], minlength=n_groups)
    occurrences[cells % k == start] = node_dossiers[cells % k == start] = dossiers_per_group
    occurrences[cells % k == end] = node_dossiers[cells % k == end] = ended
    occurrences[cells % k == still_open] = node_dossiers[cells % k == still_open] = opened
    present = occurrences > 0
    after = np.array([*_after_milestones(steps), None, None, None], dtype=object)
    nodes = pd.DataFrame({"event": node_names[cells[present] % k], "dossiers": node_dossiers[present],
                          "occurrences": occurrences[present], "after_milestone": after[cells[present] % k]})
    nodes = _with_groups(steps, nodes, cells[present] // k)
    return ProcessMap(nodes=nodes, edges=edges, as_of=core.as_of, level=level, by=steps.by, n_dossiers=n)


def _repeating_cases(steps: _Steps, first: np.ndarray, count: np.ndarray) -> np.ndarray | None:
    """Per case, whether one of its steps repeats an earlier one (same event): the only dossiers in
    which a step, or a move between two steps, can be counted twice. From each case's set of events
    as a 64-bit mask (None for a model with more than 64 events: then every case is looked at)."""
    if len(steps.names) > 64:
        return None
    mask = np.zeros(steps.core.n_cases, dtype=np.uint64)
    has = count > 0
    if has.any():
        mask[has] = np.bitwise_or.reduceat(np.left_shift(np.uint64(1), steps.event.astype(np.uint64)),
                                           first[has])
    return np.bitwise_count(mask) < count


def _distinct_per_key(key: np.ndarray, case: np.ndarray, counts: np.ndarray,
                      repeating: np.ndarray | None) -> np.ndarray:
    """Per key (integers below ``len(counts)``; ``counts``: the rows per key), the number of
    distinct cases among its rows.

    Only the rows of ``repeating`` cases (None: all) can repeat a (case, key) pair: those are
    sorted as packed values ``case << b | key`` (NumPy's vectorised sort of 64-bit integers, no
    positions carried) and each pair's copies after the first are taken off the row counts.
    """
    n_keys = len(counts)
    rows = np.flatnonzero(repeating[case]) if repeating is not None else slice(None)
    sub_key, sub_case = key[rows], case[rows]
    if not len(sub_key):
        return counts.copy()
    shift = max(int(n_keys - 1).bit_length(), 1)
    if (int(sub_case.max()) + 1).bit_length() + shift <= 63:
        packed = np.sort((sub_case.astype(np.int64) << np.int64(shift)) | sub_key.astype(np.int64))
        again = packed[1:][packed[1:] == packed[:-1]] & np.int64((1 << shift) - 1)
    else:
        order = np.lexsort((sub_case, sub_key))
        ks, cs = sub_key[order], sub_case[order]
        again = ks[1:][(ks[1:] == ks[:-1]) & (cs[1:] == cs[:-1])]
    return counts - np.bincount(again, minlength=n_keys)


def _sorted_gaps_by_key(key: np.ndarray, gap_ns: np.ndarray, n_keys: int) -> tuple[np.ndarray, int, int]:
    """The gaps sorted by (key, gap) as ``(values, low_bits, unit)``: each value packs the key in its
    high bits and the gap, counted in ``unit`` ns, in its ``low_bits`` low bits (one sort of 63-bit
    integers), the unit being the finest (ns, µs, ms, s) that leaves room for both and divides every
    gap. When none does: ``(gaps in ns sorted by key then gap, 0, 1)``, by a slower lexsort."""
    longest = int(gap_ns.max()) if len(gap_ns) else 0
    high_bits = max(int(n_keys - 1).bit_length(), 1)
    if len(gap_ns) and int(gap_ns.min()) >= 0:
        for unit in (1, 10**3, 10**6, 10**9):
            low_bits = max((longest // unit).bit_length(), 1)
            if low_bits + high_bits <= 63:
                counted = gap_ns // unit if unit > 1 else gap_ns
                if unit == 1 or np.array_equal(counted * np.int64(unit), gap_ns):
                    return np.sort((key.astype(np.int64) << np.int64(low_bits)) | counted), low_bits, unit
                break  # (times finer than the unit: a coarser one would not divide them either)
    return gap_ns[np.lexsort((gap_ns, key))], 0, 1


def _sorted_quantiles(values_at, starts: np.ndarray, sizes: np.ndarray, q: float) -> np.ndarray:
    """``np.quantile(values[a:a + n], q)`` (its default "linear" method) for each run of sorted
    values, all runs at once (``values_at(positions)`` reads the values): the same index, weight
    and interpolation as NumPy's, so the same floats to the last bit."""
    virtual = (sizes - 1) * q
    previous = np.floor(virtual)
    above = virtual >= sizes - 1
    gamma = virtual - np.where(above, -1.0, previous)
    lo = np.where(above, sizes - 1, previous.astype(np.int64))
    hi = np.where(above, sizes - 1, previous.astype(np.int64) + 1)
    a, b = values_at(starts + lo), values_at(starts + hi)
    diff = b - a
    out = a + diff * gamma
    np.subtract(b, diff * (1 - gamma), out=out, where=gamma >= 0.5)
    return out


def _edge_statistics(key: np.ndarray, case: np.ndarray, gap_ns: np.ndarray, n_keys: int,
                     repeating: np.ndarray | None):
    """Per edge key present: ``(keys, transitions, dossiers, quantiles)``, the last (n, 2): the
    median and p90 of the days between the two steps (``np.quantile``'s values)."""
    counts = np.bincount(key, minlength=n_keys) if len(key) else np.zeros(n_keys, dtype=np.int64)
    present = np.flatnonzero(counts)
    transitions = counts[present]
    dossiers = _distinct_per_key(key, case, counts, repeating)[present]
    if not len(present):
        return present, transitions, dossiers, np.zeros((0, 2))
    packed, low_bits, unit = _sorted_gaps_by_key(key, gap_ns, n_keys)
    starts = np.cumsum(transitions) - transitions

    def days_at(positions: np.ndarray) -> np.ndarray:
        values = packed[positions]
        if low_bits:
            values = (values & np.int64((1 << low_bits) - 1)) * np.int64(unit)
        return values / DAY_NS  # (as each gap's days would be: ns over DAY_NS)

    quantiles = np.column_stack([_sorted_quantiles(days_at, starts, transitions, q) for q in (0.5, 0.9)])
    return present, transitions, dossiers, quantiles


# ============================================================================ variants
def _path_hashes(steps: _Steps, first: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Per case, a (length, hash, hash) row naming its sequence of steps.

    Two independent 64-bit polynomial hashes (wrapping arithmetic) of the event codes
    by position, with the length: two different paths share all three with a chance of
    about 2**-128.
    """
    n = steps.core.n_cases
    out = np.zeros((n, 3), dtype=np.uint64)
    out[:, 0] = count
    if not len(steps.case):
        return out
    position = np.arange(len(steps.case)) - first[steps.case]
    longest = int(count.max())
    with np.errstate(over="ignore"):
        for column, (base, mix) in enumerate(((0x100000001B3, 0x9E3779B97F4A7C15),
                                              (0xC2B2AE3D27D4EB4F, 0xFF51AFD7ED558CCD)), start=1):
            powers = np.cumprod(np.full(longest, np.uint64(base)), dtype=np.uint64)
            value = (steps.event.astype(np.uint64) + np.uint64(1)) * np.uint64(mix)
            value ^= value >> np.uint64(29)
            value *= powers[position]
            has = np.flatnonzero(count > 0)
            out[has, column] = np.add.reduceat(value, first[has], dtype=np.uint64)
    return out


def _total_days(core: EventCore) -> tuple[np.ndarray, np.ndarray]:
    """Per dossier, the days from its first event and whether they are observed.

    Complete: to its last event (observed); open: to ``as_of`` (censored);
    closed: to its closing event (censored).
    """
    status = np.asarray(core.status.codes)
    until = np.where(status == _STATUS_OPEN, core.as_of_ns, core.last_ns)
    until = np.where(status == STATUSES.index("closed"), core.closed_ns, until)
    return (until - core.first_ns) / DAY_NS, status == STATUSES.index("complete")


def variants(log_or_table: CaseLog | CaseTable, *, as_of=None, level: str = "milestones", top: int | None = 20,
             by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """The paths dossiers took: each sequence of steps, its dossiers and how long they took.

    Parameters
    ----------
    log_or_table : CaseLog or CaseTable
    as_of : date-like, optional
    level : {"milestones", "events"}
        Steps as in :func:`process_map` (exact duplicates removed, repeats kept:
        a milestone reached twice appears twice in the path).
    top : int or None
        The ``top`` paths taken by most dossiers (per cohort); None: all.
    by : str or list of str, optional
        Cohorts: paths counted within each.

    Returns
    -------
    DataFrame
        One row per path (and cohort), most dossiers first (ties: the path's
        text): ``[by columns,] rank`` (1 = most common), ``path`` (tuple of
        event keys; empty for dossiers with no step at the level, e.g. no
        milestone yet), ``n_steps``, ``dossiers``, ``share`` (of the cohort's
        dossiers), ``n_complete`` (dossiers on the path complete at
        ``as_of``), ``median_total_days`` and ``example_cases``.

        ``median_total_days`` is the Kaplan–Meier median of the dossiers'
        total days, first event to last event (every event, whatever the
        level): observed for complete dossiers; an open dossier is censored at
        ``as_of``, a closed one at its closing. ``inf`` when fewer than half
        are known to have finished. ``example_cases``: up to three case ids
        (the first in case order), masked as the package masks identifiers
        (unless the log declares them not personal). ``attrs``: ``as_of``,
        ``level``, ``by``, ``n_dossiers``, ``n_variants`` (before ``top``).

    Examples
    --------
    >>> from vitale_analysis import load, variants
    >>> paths = variants(load("data/sample_caselog.csv"), as_of="2025-06-30", top=3)
    >>> list(paths.columns)
    ['rank', 'path', 'n_steps', 'dossiers', 'share', 'n_complete', 'median_total_days', 'example_cases']
    """
    if top is not None and (not isinstance(top, (int, np.integer)) or top < 1):
        raise CaseLogError(f"top={top!r}: give a whole number of paths (at least 1) or None for all.")
    steps = _steps(log_or_table, as_of, level, by)
    core = steps.core
    n = core.n_cases
    first, count = _bounds(steps)
    hashes = _path_hashes(steps, first, count)
    combined = np.column_stack([steps.groups.astype(np.uint64) if n else np.zeros(0, np.uint64), hashes])
    if n:
        uniques, cell = np.unique(combined, axis=0, return_inverse=True)
        cell = cell.ravel()
    else:
        uniques, cell = np.zeros((0, 4), dtype=np.uint64), np.zeros(0, dtype=np.int64)
    n_cells = len(uniques)
    dossiers = np.bincount(cell, minlength=n_cells)
    days, observed = _total_days(core)
    median = km_grouped_quantiles(days, observed, cell, n_cells, levels=(0.5,))[:, 0] if n_cells else np.zeros(0)
    complete = np.bincount(cell[observed], minlength=n_cells)
    group = uniques[:, 0].astype(np.int64)
    by_cell = stable_argsort(cell) if n else np.zeros(0, dtype=np.int64)  # dossiers of each cell, in case order
    cell_first = np.searchsorted(cell[by_cell], np.arange(n_cells))
    names = np.array(steps.names, dtype=object)

    def path_of(c: int) -> tuple[str, ...]:
        dossier = by_cell[cell_first[c]]
        return tuple(names[steps.event[first[dossier]:first[dossier] + count[dossier]]])

    paths = [path_of(c) for c in range(n_cells)]
    per_group = np.bincount(steps.groups, minlength=len(steps.group_values)) if n else np.zeros(0, np.int64)
    table = pd.DataFrame({
        "_group": group,
        "_text": [" → ".join(p) for p in paths],
        "_cell": np.arange(n_cells),
        "dossiers": dossiers,
    }).sort_values(["_group", "dossiers", "_text"], ascending=[True, False, True], kind="mergesort")
    table["rank"] = table.groupby("_group", sort=False).cumcount() + 1
    if top is not None:
        table = table[table["rank"] <= top]
    chosen = table["_cell"].to_numpy()
    shown = steps.log.unmasked
    case_ids = core.case_ids
    examples = []
    for c in chosen:
        ids = case_ids[by_cell[cell_first[c]:cell_first[c] + min(3, dossiers[c])]]
        examples.append(tuple(mask_identifiers(pd.Series(np.asarray(ids, dtype=object)), shown).astype(str)))
    out = pd.DataFrame({
        "rank": table["rank"].to_numpy(),
        "path": [paths[c] for c in chosen],
        "n_steps": [len(paths[c]) for c in chosen],
        "dossiers": dossiers[chosen],
        "share": dossiers[chosen] / np.maximum(per_group[group[chosen]], 1) if n else np.zeros(0),
        "n_complete": complete[chosen],
        "median_total_days": median[chosen],
        "example_cases": examples,
    })
    out = _with_groups(steps, out, group[chosen])
    out.attrs.update(as_of=core.as_of, level=level, by=steps.by, n_dossiers=n, n_variants=n_cells)
    return out


# ============================================================================ rework
def _rework_names(steps: _Steps) -> dict[str, int]:
    """Code of each rework event the process model knows and the log holds (-2: none)."""
    process = steps.core.process
    vocabulary = set(process.vocabulary)
    wanted = {name: name for name in REWORK_EVENTS}
    submitted = process.phase(process.submission_phase).start if process.submission_phase else None
    wanted["resubmitted"] = submitted
    return {role: (steps.names.index(name) if name in vocabulary and name in steps.names else -2)
            for role, name in wanted.items()}


def _rounds(steps: _Steps, codes: dict[str, int]) -> pd.DataFrame:
    """One row per complement round: its case, step (and row of ``core.ev``), times, end step, answered.

    A round runs from a ``complement_requested`` to the dossier's next
    ``complement_sent`` or next milestone (whichever comes first); unanswered at
    ``as_of``, it runs to ``as_of`` (open dossiers) or to the dossier's last event.
    """
    core = steps.core
    event, case, t_ns = steps.event, steps.case, steps.t_ns
    milestone_codes = [steps.names.index(m) for m in core.process.milestones if m in steps.names]
    is_request = event == codes["complement_requested"]
    ends = (event == codes["complement_sent"]) | np.isin(event, milestone_codes)
    ends &= ~is_request
    requests = np.flatnonzero(is_request)
    end_pos = np.flatnonzero(ends)
    nxt = np.searchsorted(end_pos, requests, side="right")
    end_row = np.append(end_pos, -1)[nxt]  # (-1: no end after it in the whole log)
    rq_case = case[requests]
    answered = (end_row >= 0) & (np.append(case, -1)[end_row] == rq_case)
    open_case = np.asarray(core.status.codes)[rq_case] == _STATUS_OPEN
    fallback = np.where(open_case, core.as_of_ns, core.last_ns[rq_case])
    end_ns = np.where(answered, np.append(t_ns, NAT)[end_row], fallback)
    return pd.DataFrame({"case": rq_case, "step": requests, "row": steps.rows[requests], "start_ns": t_ns[requests],
                         "end_ns": end_ns, "end_step": np.where(answered, end_row, -1), "answered": answered})


def rework(log_or_table: CaseLog | CaseTable, *, as_of=None, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Per dossier, the work done twice: complement rounds, resubmissions, card re-orders, days in loops.

    Parameters
    ----------
    log_or_table : CaseLog or CaseTable
    as_of : date-like, optional
    by : str or list of str, optional
        Cohort columns added to each row.

    Returns
    -------
    DataFrame
        One row per dossier, by ``case_id``: ``[by columns,] case_id,
        status``,

        * ``complement_rounds``: its ``complement_requested`` events;
        * ``resubmissions``: its submissions after the first (the milestone
          that starts the model's ``submission_phase``: ``dossier_submitted``);
        * ``card_reorders``: its ``card_requested`` events after an earlier
          ``card_requested`` or ``card_lost``;
        * ``days_in_loops``: calendar days in complement rounds. A round runs
          from a ``complement_requested`` to the next ``complement_sent`` or
          the next milestone, whichever comes first; a request made while a
          round is still running does not start a second one (its days are
          counted once). A round unanswered at ``as_of`` runs to ``as_of`` for
          an open dossier, to its last event (the closing) otherwise;
        * ``in_loop``: a round is still unanswered at ``as_of``.

        Steps are as in :func:`process_map` (every event, exact duplicates
        removed). An event the process model does not have (in its
        vocabulary) counts nothing: with another process model the columns
        are 0.
    """
    steps = _steps(log_or_table, as_of, "events", by)
    core = steps.core
    n = core.n_cases
    codes = _rework_names(steps)
    event, case = steps.event, steps.case
    rounds = np.bincount(case[event == codes["complement_requested"]], minlength=n)
    submitted = np.bincount(case[event == codes["resubmitted"]], minlength=n)
    card = (event == codes["card_requested"]) | (event == codes["card_lost"])
    before = np.cumsum(card) - card  # card events before each step, whole log…
    first, count = _bounds(steps)
    at_start = np.zeros(n, dtype=np.int64)
    has = count > 0
    at_start[has] = before[first[has]]
    reorder = (event == codes["card_requested"]) & (before - at_start[case] > 0)  # …less the earlier dossiers'
    reorders = np.bincount(case[reorder], minlength=n)

    loops = _rounds(steps, codes)
    # Days counted once: only a request that does not fall inside a running round starts one.
    fresh = np.ones(len(loops), dtype=bool)
    if len(loops) > 1:
        same_case = loops["case"].to_numpy()[1:] == loops["case"].to_numpy()[:-1]
        previous_end = loops["end_step"].to_numpy()[:-1]
        inside = same_case & ((previous_end < 0) | (previous_end > loops["step"].to_numpy()[1:]))
        fresh[1:] = ~inside
    loop_days = (loops["end_ns"].to_numpy() - loops["start_ns"].to_numpy()) / DAY_NS
    days_in_loops = np.bincount(loops["case"].to_numpy()[fresh], weights=loop_days[fresh], minlength=n)
    open_case = np.asarray(core.status.codes) == _STATUS_OPEN
    in_loop = np.bincount(loops["case"].to_numpy()[~loops["answered"].to_numpy()], minlength=n) > 0
    out = pd.DataFrame({
        "case_id": pd.array(core.case_ids, dtype="string"),
        "status": core.status,
        "complement_rounds": rounds,
        "resubmissions": np.maximum(submitted - 1, 0),
        "card_reorders": reorders,
        "days_in_loops": days_in_loops,
        "in_loop": in_loop & open_case,
    })
    out = _with_groups(steps, out, steps.groups if n else np.zeros(0, dtype=np.int64))
    out.attrs.update(as_of=core.as_of, by=steps.by, n_dossiers=n)
    return out


def rework_summary(log_or_table: CaseLog | CaseTable, *, as_of=None,
                   by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Rework per cohort, or per delay trigger of the complement rounds.

    Parameters
    ----------
    log_or_table : CaseLog or CaseTable
    as_of : date-like, optional
    by : str or list of str, optional
        Cohorts (``office``, ``channel``, ``start_month``, …) and/or
        ``"trigger"``: the trigger carried by each ``complement_requested``
        (the document asked for; missing when none).

    Returns
    -------
    DataFrame
        Without ``"trigger"`` in ``by``: one row per cohort (one row in all
        without ``by``) with ``dossiers``, ``dossiers_with_rework`` (any
        complement round, resubmission or card re-order), ``share_with_rework``,
        the totals ``complement_rounds``, ``resubmissions``, ``card_reorders``,
        ``rounds_per_dossier`` (mean over the cohort's dossiers) and
        ``days_in_loops`` (total; see :func:`rework`).

        With ``"trigger"``: one row per trigger (and cohort) of the complement
        rounds: ``rounds``, ``dossiers`` (with such a round), ``share`` (of
        the cohort's dossiers), ``answered`` (rounds ended by a
        ``complement_sent`` or a milestone) and ``median_days_to_answer``:
        Kaplan–Meier over the rounds, each from its request to its end,
        unanswered ones censored at ``as_of`` (or at the dossier's last event
        when it is no longer open); ``inf`` when fewer than half are known to
        be answered.
    """
    names = by_names(by)
    if "trigger" not in names:
        per_dossier = rework(log_or_table, as_of=as_of, by=by)
        rework_any = (per_dossier[["complement_rounds", "resubmissions", "card_reorders"]] > 0).any(axis=1)
        grouped = per_dossier.assign(_any=rework_any, _one=1).groupby(names, sort=True, dropna=False, observed=True) \
            if names else per_dossier.assign(_any=rework_any, _one=1).groupby(np.zeros(len(per_dossier)))
        out = grouped.agg(dossiers=("_one", "sum"), dossiers_with_rework=("_any", "sum"),
                          complement_rounds=("complement_rounds", "sum"), resubmissions=("resubmissions", "sum"),
                          card_reorders=("card_reorders", "sum"), days_in_loops=("days_in_loops", "sum"))
        out = out.reset_index(drop=not names)
        out.insert(len(names) + 2, "share_with_rework", out["dossiers_with_rework"] / out["dossiers"].clip(lower=1))
        out.insert(len(names) + 6, "rounds_per_dossier", out["complement_rounds"] / out["dossiers"].clip(lower=1))
        out.attrs.update(as_of=per_dossier.attrs["as_of"], by=tuple(names))
        return out
    cohorts = [b for b in names if b != "trigger"]
    steps = _steps(log_or_table, as_of, "events", cohorts or None)
    core = steps.core
    loops = _rounds(steps, _rework_names(steps))
    trigger = core.ev["trigger"].iloc[loops["row"].to_numpy()].to_numpy(dtype=object) if len(loops) else []
    frame = pd.DataFrame({"trigger": pd.Series(trigger, dtype=object), "_case": loops["case"].to_numpy(),
                          "_group": steps.groups[loops["case"].to_numpy()] if len(loops) else []})
    cell, cell_values = group_codes(frame, ["_group", "trigger"])
    n_cells = len(cell_values) if len(frame) else 0
    days = (loops["end_ns"].to_numpy() - loops["start_ns"].to_numpy()) / DAY_NS
    answered = loops["answered"].to_numpy()
    first_per = pd.Series(frame["_case"]).groupby(cell).nunique() if len(frame) else pd.Series(dtype=np.int64)
    per_group = np.bincount(steps.groups, minlength=len(steps.group_values)) if core.n_cases else np.zeros(0)
    group = cell_values["_group"].to_numpy(dtype=np.int64) if n_cells else np.zeros(0, dtype=np.int64)
    out = pd.DataFrame({
        "trigger": cell_values["trigger"].to_numpy(dtype=object) if n_cells else np.zeros(0, dtype=object),
        "rounds": np.bincount(cell, minlength=n_cells) if n_cells else np.zeros(0, dtype=np.int64),
        "dossiers": first_per.reindex(range(n_cells)).to_numpy(dtype=np.int64) if n_cells else np.zeros(0, np.int64),
    })
    out["share"] = out["dossiers"] / np.maximum(per_group[group], 1) if n_cells else np.zeros(0)
    out["answered"] = np.bincount(cell[answered], minlength=n_cells) if n_cells else np.zeros(0, dtype=np.int64)
    out["median_days_to_answer"] = (km_grouped_quantiles(days, answered, cell, n_cells, levels=(0.5,))[:, 0]
                                    if n_cells else np.zeros(0))
    out["_group"] = group
    out = out.sort_values(["_group", "rounds", "trigger"], ascending=[True, False, True], kind="mergesort",
                          na_position="last")
    out = _with_groups(steps, out.drop(columns="_group").reset_index(drop=True), out["_group"].to_numpy())
    out.attrs.update(as_of=core.as_of, by=tuple(names))
    return out
