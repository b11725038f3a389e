"""Past one machine: the analyses on a Dask cluster (the optional extra ``vitale-analysis[dask]``).

A :class:`DistributedLog` holds validated events in a Dask DataFrame whose
partitions each hold whole dossiers; :class:`DistributedCaseTable` holds the
case table the same way. Each partition is computed by the in-memory code
(``validate_part``, ``case_table``) through ``map_partitions``; the summaries
are merged from per-partition statistics that merge exactly (counts of events
and censorings at each distinct duration for Kaplan–Meier), so the results
equal the in-memory path's.

The in-memory analyses (``case_table``, ``phase_summary``, ``trigger_summary``,
``stalled``) accept these objects: they see ``distributed = True`` and call
the object's method of the same name (this module sits above them and they
never import it).

Dask is imported only when this module's functions run: ``import
vitale_analysis`` works without the extra.
"""

from __future__ import annotations

import glob
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from .caselog import CaseLog, QualityReport, merge_reports
from .cases import PHASE_STATES, TIMED_STATES, UNTIMED_STATES, CaseTable, case_table
from .codes import text_codes
from .cohorts import DERIVED_COHORTS, by_names, cohort_columns
from .errors import CaseLogError, DataQualityWarning
from .km import (km_counts, km_counts_summary, km_grouped_counts_summary, median_from_counts, merge_km_counts,
                 percentile_from_counts)
from .privacy import nir_column_counts, nir_columns_from_counts
from .process import CARTE_VITALE, ProcessModel
from .read import RawLog, arrow_to_frame, read_caselog
from .stalls import checked_thresholds, stalled
from .summaries import (DEFAULT_PERCENTILES, RaisedTriggers, check_confidence, percentile_levels, phase_summary_frame,
                        raised_triggers, summarise_triggers)
from .timeutil import AsOf, check_days, from_ns
from .validate import (DAY_ORDER_NOTES, FUTURE_MIN_EVENTS, NO_HORIZON, SORTED_ATTRIBUTES, day_order,
                       future_bulk_position, future_horizon, lookalike_key, lookalike_note, unknown_label_notes,
                       validate_part)
from .validate import load as load_in_memory

DASK_EXTRA = 'pip install "vitale-analysis[dask]"'
#: Failures (and rows set aside) kept in the merged report; every one is in ``DistributedLog.failures``.
REPORT_HEAD = 10_000
_DAY_NS = 86_400 * 10**9
_META_ROWS = 10_000  # rows of the first partition a table's column types are read from


def import_dask():
    """``(dask.dataframe, distributed)``, or a clear error naming the extra to install."""
    try:
        import dask.dataframe as dd
        import distributed
    except ImportError as err:  # pragma: no cover - the dev extra installs dask
        raise CaseLogError(f"The Dask engine needs the dask extra: {DASK_EXTRA} ({err}).") from None
    return dd, distributed


def get_client(client=None):
    """``(client, started)``: ``client`` itself, else the current default client, else a new
    ``LocalCluster`` and its client (``started`` True: close both with ``log.close()``).
    ``client`` may also be a scheduler address (``"tcp://host:8786"``)."""
    _, distributed = import_dask()
    if client is not None and not isinstance(client, str):
        return client, False
    if isinstance(client, str):
        return distributed.Client(client), True
    try:
        return distributed.default_client(), False
    except ValueError:
        cluster = distributed.LocalCluster(dashboard_address=None)
        return distributed.Client(cluster), True


def load(
    source,
    process: ProcessModel = CARTE_VITALE,
    *,
    engine: str = "pandas",
    client=None,
    npartitions: int | None = None,
    partitioned_by_case: bool = False,
    as_of=None,
    mapping=None,
    columns=None,
    values=None,
    cases=None,
    dayfirst: bool | None = None,
    sheet=None,
    delimiter: str | None = None,
    encoding: str | None = None,
    limits=None,
    milestone_columns=None,
    header_row: int | None = None,
    lifecycle: str | None = None,
    not_personal=None,
):
    """Read and validate a case log in one call (for notebooks).

    The reading arguments are :func:`read_caselog`'s; ``process`` and
    ``as_of`` are :func:`validate`'s.

    ``engine="dask"`` (the extra ``vitale-analysis[dask]``) reads it on a Dask
    cluster into a :class:`~vitale_analysis.distributed.DistributedLog`:
    ``source`` may then also be a folder of Parquet or CSV files, a glob
    (``"exports/*.csv"``) or a Dask DataFrame. ``client``: a
    ``distributed.Client`` or a scheduler address; None takes the current
    default client, else starts a ``LocalCluster`` for the log (close it with
    ``log.close()``). ``npartitions``: partitions of the events (default: one
    per piece read). ``partitioned_by_case=True`` says each piece (Parquet
    file's row groups, CSV file, Dask partition) already holds whole dossiers:
    no shuffle.

    Examples
    --------
    >>> from vitale_analysis import load
    >>> log = load("data/sample_caselog.csv")
    >>> log.quality.rows_read == log.quality.rows_kept + log.quality.n_set_aside
    True
    """
    reading = dict(mapping=mapping, columns=columns, values=values, cases=cases, dayfirst=dayfirst, sheet=sheet,
                   delimiter=delimiter, encoding=encoding, limits=limits, milestone_columns=milestone_columns,
                   header_row=header_row, lifecycle=lifecycle, not_personal=not_personal)
    if engine == "pandas":
        with warnings.catch_warnings(record=True) as caught:  # (re-given at the caller's line)
            warnings.simplefilter("always")
            log = load_in_memory(source, process, as_of=as_of, **reading)
        for w in caught:
            warnings.warn(w.message, w.category, stacklevel=2)
        return log
    if engine != "dask":
        raise CaseLogError(f"engine={engine!r}: use 'pandas' (in memory) or 'dask' (a Dask cluster).")
    return load_distributed(source, process, client=client, npartitions=npartitions,
                            partitioned_by_case=partitioned_by_case, as_of=as_of, stacklevel=3, **reading)


# --------------------------------------------------------------------------- reading pieces
def _parquet_pieces(path: Path, rows_per_piece: int) -> list[tuple[str, list[int]]]:
    """(file, row groups) of about ``rows_per_piece`` rows each, files in name order."""
    import pyarrow.parquet as pq

    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.suffix.lower() in (".parquet", ".pq"))
    pieces = []
    for file in files:
        meta = pq.ParquetFile(file).metadata
        groups, n = [], 0
        for g in range(meta.num_row_groups):
            groups.append(g)
            n += meta.row_group(g).num_rows
            if n >= rows_per_piece:
                pieces.append((str(file), groups))
                groups, n = [], 0
        if groups or not meta.num_row_groups:
            pieces.append((str(file), groups))
    return pieces


def _read_parquet_piece(file: str, groups: list[int]) -> pd.DataFrame:
    """Row groups of a Parquet file as :func:`read_caselog` reads the whole file (text as categoricals)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    handle = pq.ParquetFile(file)
    schema = handle.schema_arrow
    text = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    handle = pq.ParquetFile(file, read_dictionary=text)
    table = handle.read_row_groups(groups) if groups else schema.empty_table()
    if schema.pandas_metadata:
        index_columns = [c for c in schema.pandas_metadata.get("index_columns", []) if isinstance(c, str)]
        table = table.drop_columns([c for c in index_columns if c in table.column_names])
    frame = arrow_to_frame(table)
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _read_piece(what, source_name: str, reading: dict) -> RawLog:
    """One piece of the source, read by :func:`read_caselog` (rows numbered from 1 within it)."""
    if isinstance(what, tuple):
        what = _read_parquet_piece(*what)
    raw = read_caselog(what, **reading)
    return replace(raw, source=source_name) if isinstance(what, pd.DataFrame) else raw


def _piece_info(raw: RawLog) -> dict:
    rows = [int(raw.frame["row"].max())] if len(raw.frame) else []
    rows += [int(m["row"]) for m in raw.malformed_rows]
    return {"rows": max(rows, default=0), "n": len(raw.frame), "malformed": list(raw.malformed_rows),
            "notes": list(raw.notes), "dayfirst": raw.dayfirst, "case_attributes": raw.case_attributes,
            "labels": raw.labels, "lifecycle": raw.lifecycle, "not_personal": raw.not_personal, "source": raw.source,
            "columns": list(raw.frame.columns), "by_case": _by_case(raw.frame["case_id"])}


def _numbered(raw: RawLog, offset: int, columns: list[str], row_type) -> pd.DataFrame:
    """The piece's frame, its rows numbered in the whole source."""
    frame = raw.frame.reindex(columns=columns)  # (every piece the same columns, in the same order)
    frame["row"] = (frame["row"].astype(np.int64) + offset).astype(row_type)  # (as read.number_rows types them)
    return frame


def _case_partition(ids: pd.Series, n_out: int) -> np.ndarray:
    """The output partition of each row: a hash of the case id as validation compares it
    (:func:`~vitale_analysis.codes.text_codes`: trimmed; empty or missing counts as ""),
    modulo ``n_out``. Only the distinct ids are hashed (pandas' fixed-key hash: the same in
    every process)."""
    codes, distinct = text_codes(ids)
    text = np.append(np.asarray(distinct, dtype=object), "")  # (the last: code -1)
    return (pd.util.hash_array(text) % np.uint64(n_out)).astype(np.intp)[codes]


def _split_by_case(frame: pd.DataFrame, n_out: int) -> list[pd.DataFrame]:
    """The frame's rows in ``n_out`` groups by case (rows in file order within each), each
    categorical with many categories cut to those its group uses (so the case ids of a
    piece do not travel to every partition)."""
    part = _case_partition(frame["case_id"], n_out)
    order = np.argsort(part, kind="stable")
    bounds = np.searchsorted(part[order], np.arange(n_out + 1))
    groups = []
    for j in range(n_out):
        group = frame.take(order[bounds[j]:bounds[j + 1]])
        for column in group.columns:
            if isinstance(group[column].dtype, pd.CategoricalDtype) and len(group[column].cat.categories) > 1_000:
                group[column] = group[column].cat.remove_unused_categories()
        groups.append(group)
    return groups


def _group(groups: list[pd.DataFrame], j: int) -> pd.DataFrame:
    return groups[j]


def _join_groups(*groups: pd.DataFrame) -> pd.DataFrame:
    """One output partition: its groups from every piece, in piece order (a source sorted by
    case stays sorted); categoricals joined by their categories (union, in order of appearance)."""
    kept = [g for g in groups if len(g)] or list(groups[:1])
    if len(kept) == 1:
        return kept[0].reset_index(drop=True)
    columns = {}
    for column in kept[0].columns:
        values = [g[column] for g in kept]
        if all(isinstance(v.dtype, pd.CategoricalDtype) for v in values):
            columns[column] = pd.Series(union_categoricals(values, ignore_order=True))
        else:
            columns[column] = pd.concat(values, ignore_index=True)
    return pd.DataFrame(columns)


def _by_case(ids: pd.Series) -> dict | None:
    """For a piece sorted by case id (as validation compares it: trimmed): its first and last
    ids and how many leading rows hold the first. None if the piece is empty, not sorted, or
    has an empty or missing id."""
    if not len(ids):
        return None
    positions, distinct = text_codes(ids, sort=True)
    if (positions < 0).any() or (np.diff(positions) < 0).any():
        return None
    lead = int(np.searchsorted(positions, positions[0], side="right"))
    return {"first": str(distinct[positions[0]]), "last": str(distinct[positions[-1]]), "lead": lead}


def _seams(infos: list[dict]) -> list[tuple[int, int, int]] | None:
    """For pieces each sorted by case id and in id order one after the other: the moves that
    make every dossier whole, (from piece, its leading rows, to piece): a dossier cut by a
    piece's end goes to the piece it starts in. None if the pieces are not so ordered (then
    they are shuffled)."""
    moves, last, owner = [], None, None
    for k, info in enumerate(infos):
        seam = info["by_case"]
        if info["n"] and seam is None:
            return None
        if seam is None:
            continue
        if last is not None and seam["first"] < last:
            return None
        if seam["first"] == last:
            moves.append((k, seam["lead"], owner))
            if seam["lead"] == info["n"]:
                continue  # (the whole piece is that dossier: the next may go on with it)
        last, owner = seam["last"], k
    return moves


def _lead(frame: pd.DataFrame, n: int) -> pd.DataFrame:
    return frame.iloc[:n]


def _rest(frame: pd.DataFrame, n: int, *leads: pd.DataFrame) -> pd.DataFrame:
    """A piece without its ``n`` leading rows (gone to the piece before), with the leading rows
    of the pieces after it that continue its last dossier (their few categories added to the
    piece's, rather than the piece's many recoded)."""
    frame = frame.iloc[n:]
    leads = tuple(lead for lead in leads if len(lead))
    if not leads:
        return frame.reset_index(drop=True)
    if not len(frame):
        return _join_groups(*leads)
    extra = pd.concat(leads, ignore_index=True) if len(leads) > 1 else leads[0]
    columns = {}
    for column in frame.columns:
        ours, theirs = frame[column], extra[column]
        if isinstance(ours.dtype, pd.CategoricalDtype) and isinstance(theirs.dtype, pd.CategoricalDtype):
            categories = ours.cat.categories
            at = categories.get_indexer(theirs.cat.categories)
            new = theirs.cat.categories[at < 0]
            at[at < 0] = np.arange(len(categories), len(categories) + len(new))
            categories = categories.append(new) if len(new) else categories
            theirs_codes = np.append(at, -1)[theirs.cat.codes.to_numpy()]  # (-1, a missing value, stays -1)
            codes = np.concatenate([ours.cat.codes.to_numpy(), theirs_codes]).astype(
                np.int32 if len(categories) > np.iinfo(np.int16).max else np.int16)
            columns[column] = pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories))
        else:
            columns[column] = pd.concat([ours, theirs], ignore_index=True)
    return pd.DataFrame(columns)


def _sources(source, rows_per_piece: int):
    """What to read, one item a piece: a path, (Parquet file, row groups), or a Dask partition; and the name."""
    dd, _ = import_dask()
    if isinstance(source, dd.DataFrame):
        return list(source.to_delayed()), "DataFrame"
    if isinstance(source, pd.DataFrame):
        return [source], "DataFrame"
    text = str(source)
    if any(ch in text for ch in "*?["):
        files = sorted(glob.glob(text))
        if not files:
            raise CaseLogError(f"{text}: no file matches this pattern. Check the path.")
        name = text
    else:
        path = Path(source)
        if not path.exists():
            raise CaseLogError(f"Case log {text!r} does not exist. Check the path.")
        if path.is_file() and path.suffix.lower() not in (".parquet", ".pq"):
            return [str(path)], text
        files = sorted(str(p) for p in path.rglob("*") if p.is_file()) if path.is_dir() else [str(path)]
        name = text
    parquet = [f for f in files if Path(f).suffix.lower() in (".parquet", ".pq")]
    if parquet and len(parquet) == len(files):
        return [piece for f in parquet for piece in _parquet_pieces(Path(f), rows_per_piece)], name
    if parquet:
        raise CaseLogError(f"{name}: mixes Parquet and other files; give a folder of one kind.")
    return files, name


# --------------------------------------------------------------------------- per partition
@dataclass
class _Part:
    """A validated partition: its log (every failure) and what the global pass needs."""

    log: CaseLog
    local_notes: tuple[str, ...]  # notes the global pass redoes for the whole log (removed from log's)
    declared_nir: dict = field(default_factory=dict)  # nir_column_counts of the declared not_personal columns


def _validate_one(frame: pd.DataFrame, raw_info: dict, process: ProcessModel, as_of, horizon, nir=None) -> _Part:
    frame = frame.reset_index(drop=True)
    raw = RawLog(frame, source=raw_info["source"], dayfirst=raw_info["dayfirst"],
                 case_attributes=raw_info["case_attributes"], malformed_rows=tuple(raw_info["malformed"]),
                 labels=raw_info["labels"], lifecycle=raw_info["lifecycle"],
                 not_personal=raw_info["not_personal"])
    log = validate_part(raw, process, as_of=as_of, horizon=horizon, nir=nir)
    declared = [c for c in raw_info["not_personal"] or () if c in frame.columns and c != "row"]
    ids = log.events["case_id"].cat.categories if len(log.events) else pd.Index([], dtype=object)
    local = set(lookalike_note(ids)) | set(unknown_label_notes(log.quality.failures, process, raw.labels))
    notes = [n for n in log.quality.notes if n not in local]
    return _Part(replace(log, quality=replace(log.quality, notes=notes)), tuple(local),
                 nir_column_counts(frame[declared]) if declared else {})


def _part_stats(part: _Part) -> dict:
    q = part.log.quality
    t = part.log.events["timestamp"]
    ns = (t.dt.tz_localize(None) if getattr(t.dtype, "tz", None) is not None else t).to_numpy(
        dtype="datetime64[ns]").view(np.int64)
    day = ns // _DAY_NS
    first = int(day.min()) if len(day) else 0
    counts = np.bincount(day - first) if len(day) else np.zeros(0, dtype=np.intp)
    days = np.flatnonzero(counts) + first
    counts = counts[days - first]
    ids = part.log.events["case_id"].cat.categories if len(ns) else pd.Index([], dtype=object)
    odd = [str(v) for v in ids[~ids.astype("string").str.isascii().to_numpy(dtype=bool)]] if len(ids) else []
    n_future = int((q.failures["check"] == "future_timestamp").sum())
    return {"n": len(ns), "days": days, "counts": counts, "min": int(ns.min()) if len(ns) else None,
            "max": int(ns.max()) if len(ns) else None, "odd": odd, "n_future": n_future,
            "zone": q.time_zone if len(ns) else "", "aware": getattr(t.dtype, "tz", None) is not None,
            # (and what the merge needs, in the same trip)
            "report": _head_report(part), "unknown": _unknown_failures(part),
            "categories": _categories(part) if len(ns) else {}, "case_attributes": part.log.case_attributes,
            "nir": (part.declared_nir, nir_column_counts(part.log.events.drop(columns=["row"])) if len(ns) else {})}


def _values_in_day(part: _Part, day: int) -> np.ndarray:
    t = part.log.events["timestamp"]
    ns = (t.dt.tz_localize(None) if getattr(t.dtype, "tz", None) is not None else t).to_numpy(
        dtype="datetime64[ns]").view(np.int64)
    return ns[ns // _DAY_NS == day]


def _present(part: _Part, keys: list[str]) -> list[str]:
    ids = part.log.events["case_id"].cat.categories if len(part.log.events) else pd.Index([])
    return [k for k in keys if k in ids]


def _unknown_failures(part: _Part) -> pd.DataFrame:
    f = part.log.quality.failures
    return f[f["check"].isin(["unknown_event", "unknown_trigger"])]


def _head_report(part: _Part) -> QualityReport:
    q = part.log.quality
    return replace(q, failures=q.failures.head(REPORT_HEAD), set_aside_rows=q.set_aside_rows.head(REPORT_HEAD),
                   time_zone=q.time_zone if q.rows_kept else "")


def _categories(part: _Part) -> dict:
    """Each categorical column's categories (but the case ids) and the first row holding each (-1: none)."""
    ev = part.log.events
    rows = ev["row"].to_numpy(dtype=np.int64)
    out = {}
    for c in ev.columns:
        if c != "case_id" and isinstance(ev[c].dtype, pd.CategoricalDtype):
            codes = ev[c].cat.codes.to_numpy()
            first = np.full(len(ev[c].cat.categories), np.iinfo(np.int64).max, dtype=np.int64)
            np.minimum.at(first, codes[codes >= 0], rows[codes >= 0])
            out[c] = (ev[c].cat.categories, first)
    return out


def _with_categories(frame: pd.DataFrame, categories: Mapping[str, pd.Index]) -> pd.DataFrame:
    out = frame.copy(deep=False)
    for column, cats in categories.items():
        if column in out.columns:
            out[column] = out[column].cat.set_categories(cats)
    return out


def union_categories(per_part: list[pd.Index], first: list | tuple = (), rows: list[np.ndarray] | None = None,
                     ordered_as_text: bool = False) -> pd.Index:
    """One category list for a column from each partition's, in the order one validation of the
    whole log gives: the names of ``first`` (a process vocabulary) in their order, then the others
    sorted as text (``ordered_as_text``, or a vocabulary) or, given ``rows`` (per partition, the
    first row holding each category), in the order the file first has them."""
    joined = union_categoricals([pd.Categorical([], categories=c) for c in per_part]).categories
    known = [v for v in first if v in set(joined)]
    others = [v for v in joined if v not in set(known)]
    if rows is None or first or ordered_as_text:
        rest = sorted(others, key=str)
    else:
        seen = pd.concat([pd.Series(r, index=c) for c, r in zip(per_part, rows)]).groupby(level=0).min()
        rest = sorted(others, key=lambda v: (int(seen.get(v, np.iinfo(np.int64).max)), str(v)))
    return pd.Index(known + rest, dtype=joined.dtype)


# --------------------------------------------------------------------------- the load
def load_distributed(source, process: ProcessModel = CARTE_VITALE, *, client=None, npartitions: int | None = None,
                     partitioned_by_case: bool = False, as_of=None, rows_per_piece: int = 2_000_000,
                     stacklevel: int = 2, **reading) -> "DistributedLog":
    """:func:`load` with ``engine="dask"`` (see there)."""
    dd, distributed = import_dask()
    from dask import delayed

    client, started = get_client(client)
    try:
        return _load_on(client, started, source, process, npartitions, partitioned_by_case, as_of, rows_per_piece,
                        stacklevel + 1, reading, dd, delayed)
    except BaseException:
        if started:
            _close(client)
        raise


def _close(client) -> None:
    cluster = getattr(client, "cluster", None)
    client.close()
    if cluster is not None:
        cluster.close()


def _load_on(client, started, source, process, npartitions, partitioned_by_case, as_of, rows_per_piece,
             stacklevel, reading, dd, delayed):
    items, name = _sources(source, rows_per_piece)
    if reading.get("cases") is not None and len(items) > 1:
        raise CaseLogError("cases= (a table of case attributes) is not supported with engine='dask' for a "
                           "source of several pieces; join it to the events before loading.")
    if reading.get("milestone_columns") and len(items) > 1:
        raise CaseLogError("milestone_columns= (a tracker sheet) is not supported with engine='dask' for a "
                           "source of several pieces; read it with engine='pandas'.")
    # 1. Each piece read on a worker by read_caselog (the mapping, column names and values applied there).
    raws = client.compute([delayed(_read_piece)(item, name, reading) for item in items])
    infos = client.gather(client.map(_piece_info, raws))
    columns = list(dict.fromkeys(c for info in infos for c in info["columns"]))
    offsets = np.concatenate([[0], np.cumsum([info["rows"] for info in infos])[:-1]]).astype(np.int64)
    malformed = [{**m, "row": int(m["row"]) + int(off)} for info, off in zip(infos, offsets)
                 for m in info["malformed"]]
    raw_notes = list(dict.fromkeys(n for info in infos for n in info["notes"]))
    first = infos[0]
    row_type = np.int32 if sum(info["rows"] for info in infos) < np.iinfo(np.int32).max else np.int64
    numbered = [client.submit(_numbered, raw, int(off), columns, row_type) for raw, off in zip(raws, offsets)]
    meta = client.submit(lambda f: f.iloc[:0], numbered[0]).result()
    del raws
    # 2. Whole dossiers per partition. Pieces sorted by case id, one after the other in id
    # order (a log written by case, read by its row groups), only move the dossiers cut at
    # their ends. Otherwise each piece is split by a hash of the case id and each partition
    # joined from its groups. (Dask's own shuffle took 5–7 s at 1M dossiers, against 2.5 s:
    # each group it moves keeps all its piece's case-id categories, so every partition ends
    # up with all of them.)
    seams = None
    if not partitioned_by_case and npartitions in (None, len(items)) and len(items) >= sum(
            client.nthreads().values()):
        seams = _seams(infos)
    if seams is not None:
        leads = {k: client.submit(_lead, numbered[k], n) for k, n, _ in seams}
        cut = {k: n for k, n, _ in seams}
        frames = [client.submit(_rest, piece, cut.get(i, 0), *[leads[k] for k, _, to in seams if to == i])
                  if i in cut or any(to == i for _, _, to in seams) else piece for i, piece in enumerate(numbered)]
    elif not partitioned_by_case:
        n_out = npartitions or max(len(items), sum(client.nthreads().values()))  # (every thread busy)
        splits = [client.submit(_split_by_case, piece, n_out) for piece in numbered]
        frames = [client.submit(_join_groups, *[client.submit(_group, s, j) for s in splits]) for j in range(n_out)]
        del splits
    elif npartitions not in (None, len(numbered)):
        raise CaseLogError(f"partitioned_by_case=True keeps the source's {len(numbered)} pieces as partitions; "
                           f"npartitions={npartitions} cannot apply.")
    else:
        frames = numbered
    sizes = client.gather(client.map(len, frames))
    parts_in = [p for p, size in zip(frames, sizes) if size] or frames[:1]
    del frames, numbered
    # 3. The day order of dates like 01/02/2025: decided once, for the whole log.
    dayfirst, day_note = first["dayfirst"], []
    if dayfirst is None and not pd.api.types.is_datetime64_any_dtype(meta["timestamp"].dtype):
        orders = client.gather([client.submit(lambda f: day_order(f["timestamp"], name), p) for p in parts_in])
        decided = {d for d, _ in orders if d is not None}
        if decided == {True, False} and any(seen for d, seen in orders if d):
            raise CaseLogError(f"{name}: column 'timestamp' has dates written day-first and month-first in "
                               "different partitions. Fix: export all dates in one format, or pass "
                               "dayfirst=True/False.")
        dayfirst = False if False in decided else (True if decided else None)
        if dayfirst is False or (dayfirst and not any(seen for _, seen in orders)):
            day_note = [DAY_ORDER_NOTES[dayfirst]]  # (what one validation says when it decides alone)
    info = {**first, "dayfirst": dayfirst, "malformed": []}
    # 4. Validation, partition by partition, by the in-memory code (malformed lines go to the first).
    part_info = [{**info, "malformed": malformed} if i == 0 else info for i in range(len(parts_in))]
    parts = [client.submit(_validate_one, p, part_info[i], process, as_of, None) for i, p in enumerate(parts_in)]
    stats = client.gather(client.map(_part_stats, parts))
    # 5. The global pass: future dates against the whole log's times.
    n = sum(s["n"] for s in stats)
    horizon = NO_HORIZON
    if n >= FUTURE_MIN_EVENTS:
        k = future_bulk_position(n)
        days = pd.concat([pd.Series(s["counts"], index=s["days"]) for s in stats if s["n"]]).groupby(level=0).sum()
        cum = days.cumsum().to_numpy()
        at = int(np.searchsorted(cum, k, side="right"))
        day = int(days.index[at])
        before = int(cum[at - 1]) if at else 0
        inside = np.sort(np.concatenate(client.gather(client.map(_values_in_day, parts, day=day))))
        horizon = future_horizon(n, int(inside[k - before]), min(s["min"] for s in stats if s["n"]))
    redo = [i for i, s in enumerate(stats) if s["n_future"] or (s["max"] is not None and s["max"] > horizon)]
    # Which columns hold social security numbers: decided over the whole log (a partition that
    # decided otherwise is validated again with the whole log's decision: privacy comes first).
    # (Both in one pass: the horizon only flags times, it keeps every row, so the counts hold.)
    whole = tuple(nir_columns_from_counts([s["nir"][k] for s in stats]) for k in (0, 1))
    again = [i for i, s in enumerate(stats) if tuple(nir_columns_from_counts([s["nir"][k]]) for k in (0, 1)) != whole]
    again = sorted(set(redo) | set(again))
    for i in again:
        parts[i] = client.submit(_validate_one, parts_in[i], part_info[i], process, as_of,
                                 horizon if i in redo else None, whole)
    if again:
        fresh = dict(zip(again, client.gather([client.submit(_part_stats, parts[i]) for i in again])))
        stats = [fresh.get(i, s) for i, s in enumerate(stats)]
    zones = sorted({s["zone"] for s in stats if s["zone"]})
    if len(zones) > 1:
        raise CaseLogError(f"{name}: some dossiers have times with a UTC offset and some without ({zones}). "
                           "Export every time the same way.")
    # 6. Look-alike case ids over the whole log's distinct ids.
    odd = sorted({v for s in stats for v in s["odd"]})
    keys = sorted({lookalike_key(v) for v in odd} - set(odd))
    plain = sorted({k for found in client.gather(client.map(_present, parts, keys=keys)) for k in found}) if keys else []
    global_notes = day_note + (lookalike_note(pd.Index(sorted(set(odd) | set(plain)), dtype=object)) if odd else [])
    unknown = [s["unknown"] for s in stats if len(s["unknown"])]
    if unknown:
        global_notes += unknown_label_notes(pd.concat(unknown, ignore_index=True), process, first["labels"])
    # 7. One report.
    reports = [s["report"] for s in stats]
    merged = merge_reports(reports, name)
    kept = [i for i, s in enumerate(stats) if s["n"]]
    if not kept:
        reasons = merged.set_aside
        raise CaseLogError(f"{name}: no usable rows: all {merged.rows_read:,} rows were set aside ({reasons}). "
                           "Check the column mapping, the date format and the as_of date.")
    aware = stats[kept[0]]["aware"]
    future = sum(int(r.set_aside.get("future_timestamp", 0)) for r in reports) or any(
        (r.failures["check"] == "future_timestamp").any() for r in reports)
    ends = [s["max"] if s["max"] <= horizon else None for s in stats if s["n"]]
    plausible = [r.plausible_end for r in reports if r.plausible_end is not None and not pd.isna(r.plausible_end)]
    plausible += [from_ns(np.array([e]), aware)[0] for e in ends if e is not None]
    plausible_end = max(plausible) if future and plausible else None
    failures_head = merged.failures.sort_values(["row", "check"], kind="mergesort").head(REPORT_HEAD)
    aside_head = merged.set_aside_rows.sort_values("row", kind="mergesort").head(REPORT_HEAD) if len(
        merged.set_aside_rows) else merged.set_aside_rows
    notes = list(dict.fromkeys([*raw_notes, *merged.notes, *global_notes]))
    quality = replace(merged, failures=failures_head.reset_index(drop=True), set_aside_rows=aside_head.reset_index(
        drop=True), notes=notes, plausible_end=plausible_end, time_zone=zones[0] if zones else merged.time_zone)
    # 8. Events (non-empty partitions), their small categoricals made one list for all (known to Dask).
    cats_per_part = [stats[i]["categories"] for i in kept]
    vocabularies = {"event": list(process.vocabulary), "trigger": list(process.triggers)}
    categories = {c: union_categories([p[c][0] for p in cats_per_part if c in p], vocabularies.get(c, ()),
                                      [p[c][1] for p in cats_per_part if c in p], c in SORTED_ATTRIBUTES)
                  for c in dict.fromkeys(c for p in cats_per_part for c in p)}
    events_parts = [client.submit(lambda p, cats: _with_categories(p.log.events, cats), parts[i], categories)
                    for i in kept]
    failure_parts = [client.submit(lambda p: p.log.quality.failures, part) for part in parts]
    ev_meta, failures_meta = client.gather([client.submit(lambda f: f.iloc[:0], first)
                                            for first in (events_parts[0], failure_parts[0])])
    events = dd.from_delayed(events_parts, meta=_unknown_case_ids(ev_meta), verify_meta=False)
    failures = dd.from_delayed(failure_parts, meta=failures_meta, verify_meta=False)
    events, failures = client.persist([events, failures])
    last_event = plausible_end if plausible_end is not None else quality.last_event
    # A case attribute: declared or known, or a column that changes within no dossier of any partition.
    per_part = [stats[i]["case_attributes"] for i in kept]
    case_attributes = tuple(a for a in per_part[0] if all(a in other for other in per_part[1:]))
    del parts, parts_in
    log = DistributedLog(events=events, quality=quality, failures=failures, process=process, last_event=last_event,
                         client=client, case_attributes=case_attributes, labels=first["labels"],
                         owns_client=started)
    if quality.n_set_aside:
        warnings.warn(
            f"{name}: {quality.n_set_aside:,} of {quality.rows_read:,} rows set aside "
            f"({', '.join(f'{k}: {v}' for k, v in quality.set_aside.items())}); see .quality.",
            DataQualityWarning, stacklevel=stacklevel)
    return log


def _unknown_case_ids(meta: pd.DataFrame) -> pd.DataFrame:
    """Dask's meta with the case ids an unknown categorical (each partition has its own ids)."""
    from dask.dataframe.utils import clear_known_categories

    if not isinstance(meta["case_id"].dtype, pd.CategoricalDtype):
        return meta
    return clear_known_categories(meta, cols=["case_id"])


@dataclass(frozen=True, eq=False)
class DistributedLog:
    """Validated events on a Dask cluster.

    Attributes
    ----------
    events : dask DataFrame
        The columns and dtypes of :attr:`CaseLog.events`; every partition
        holds whole dossiers, sorted within as ``CaseLog.events`` is.
    quality : QualityReport
        Merged over the partitions (``rows_read == rows_kept + set aside``
        over all of them); its ``failures`` and ``set_aside_rows`` hold the
        first rows only when they are many (see ``failures``).
    failures : dask DataFrame
        Every problem, one row each, as ``QualityReport.failures``.
    process : ProcessModel
    case_attributes : tuple of str
    labels : mapping
    last_event : Timestamp
        The latest plausible event over the whole log (the default ``as_of``),
        found by a global pass.
    client : distributed.Client
    """

    events: Any
    quality: QualityReport
    failures: Any
    process: ProcessModel
    last_event: pd.Timestamp
    client: Any
    case_attributes: tuple[str, ...] = ()
    labels: Mapping[str, Mapping[Any, str]] = field(default_factory=dict)
    owns_client: bool = False  # the client (and its LocalCluster) was started for this log

    distributed = True  # what the in-memory analyses look for

    def close(self) -> None:
        """Close the client and its cluster if :func:`load` started them for this log (else nothing:
        a client you gave, or the default client, stays yours to close)."""
        if self.owns_client and self.client is not None:
            _close(self.client)

    @property
    def npartitions(self) -> int:
        return self.events.npartitions

    def as_of(self, as_of=None) -> AsOf:
        """The cut: ``as_of`` parsed, or the latest plausible event of the whole log."""
        aware = getattr(self.events["timestamp"].dtype, "tz", None) is not None
        return AsOf.parse(self.last_event if as_of is None else as_of, aware=aware)

    @classmethod
    def from_caselog(cls, log: CaseLog, *, npartitions: int, client=None) -> "DistributedLog":
        """An in-memory log split into ``npartitions`` partitions of whole dossiers (for tests and
        small logs; :func:`load` with ``engine="dask"`` is the way in for large ones)."""
        dd, _ = import_dask()
        events = log.events
        n = len(events)
        if n == 0:
            raise CaseLogError("An empty log cannot be distributed.")
        ids = events["case_id"].to_numpy()
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])  # (events are sorted by case)
        cuts = [0]
        for k in range(1, npartitions):
            at = starts[np.searchsorted(starts, k * n // npartitions)] if k * n // npartitions <= starts[-1] else n
            if at > cuts[-1]:
                cuts.append(int(at))
        cuts.append(n)
        cuts = sorted(set(cuts))
        parts = [events.iloc[a:b] for a, b in zip(cuts[:-1], cuts[1:])]
        frame = dd.from_pandas(parts[0], npartitions=1) if len(parts) == 1 else dd.concat(
            [dd.from_pandas(p, npartitions=1) for p in parts])
        failures = dd.from_pandas(log.quality.failures, npartitions=1)
        return cls(events=frame, quality=log.quality, failures=failures, process=log.process,
                   last_event=log.last_timestamp, client=client, case_attributes=log.case_attributes,
                   labels=log.labels)

    def case_table(self, *, as_of=None, days: str = "calendar") -> "DistributedCaseTable":
        """The case table, partition by partition, by the in-memory :func:`~vitale_analysis.case_table`."""
        cut = self.as_of(as_of)
        quality = replace(self.quality, failures=self.quality.failures.iloc[:0],
                          set_aside_rows=self.quality.set_aside_rows.iloc[:0])  # (shipped to every task)
        process, attributes, labels = self.process, self.case_attributes, self.labels

        def one(part: pd.DataFrame) -> pd.DataFrame:
            if len(part) and not cut.keeps(part["timestamp"]).any():  # (no dossier of it yet at the cut:
                part = part.iloc[:0]  # none in the table, as in memory; an empty log gives an empty table)
            log = CaseLog(events=part.reset_index(drop=True), quality=quality, process=process,
                          case_attributes=attributes, labels=labels)
            return case_table(log, as_of=cut, days=days).to_frame()

        # The events' categoricals are one list for all partitions (load), so the table's are too;
        # only the case ids differ from partition to partition: an unknown categorical to Dask.
        # (the meta from the first rows of the first partition: a whole partition would travel)
        head = self.events.partitions[0].map_partitions(lambda part: part.iloc[:_META_ROWS], meta=self.events._meta)
        meta = _unknown_case_ids(one(_run(self.client, head)[0]).iloc[:0])
        return DistributedCaseTable(frame=self.events.map_partitions(one, meta=meta), as_of=cut, days=days,
                                    process=process, log=self)

    def to_caselog(self) -> CaseLog:
        """The whole log gathered into memory (events in case-id order, every failure in the report):
        for the analyses that have no distributed form yet, on a log that fits in memory."""
        events, failures = self.client.compute([self.events, self.failures], sync=True)
        ids = events["case_id"]
        if isinstance(ids.dtype, pd.CategoricalDtype):
            events["case_id"] = ids.cat.set_categories(pd.Index(sorted(ids.cat.categories), dtype=ids.cat.categories.dtype))
        events = events.sort_values("case_id", kind="mergesort").reset_index(drop=True)  # (within a case: as validated)
        failures = failures.sort_values(["row", "check"], kind="mergesort").reset_index(drop=True)
        return CaseLog(events=events, quality=replace(self.quality, failures=failures), process=self.process,
                       case_attributes=self.case_attributes, labels=self.labels)

    # -------------------------------------------------------------- summaries (of its case table)
    def phase_summary(self, *, by=None, as_of=None, days=None, **kw) -> pd.DataFrame:
        """:func:`~vitale_analysis.phase_summary` of the log: see :meth:`DistributedCaseTable.phase_summary`."""
        return self.case_table(as_of=as_of, days=days or "calendar").phase_summary(by=by, **kw)

    def phase_thresholds(self, *, as_of=None, days=None, **kw) -> dict[str, float]:
        """:func:`~vitale_analysis.phase_thresholds` of the log, from the merged curves."""
        return self.case_table(as_of=as_of, days=days or "calendar").phase_thresholds(**kw)

    def stalled(self, *, as_of=None, days=None, **kw) -> DistributedWorklist:
        """:func:`~vitale_analysis.stalled` of the log: a :class:`DistributedWorklist`."""
        return self.case_table(as_of=as_of, days=days or "calendar").stalled(**kw)

    def trigger_summary(self, *, as_of=None, days=None, **kw) -> pd.DataFrame:
        """:func:`~vitale_analysis.trigger_summary` of the log: see :meth:`DistributedCaseTable.trigger_summary`."""
        return self.case_table(as_of=as_of, days=days or "calendar").trigger_summary(**kw)

    def __repr__(self) -> str:
        return (f"DistributedLog: {self.quality.rows_kept:,} events of {self.quality.n_cases:,} dossiers "
                f"in {self.npartitions} partitions, process {self.process.name!r}")


@dataclass(frozen=True, eq=False)
class DistributedCaseTable:
    """The case table on a Dask cluster: one row per dossier, partitions as the log's.

    Attributes
    ----------
    frame : dask DataFrame
        Each partition is ``case_table(partition's log, as_of=…).to_frame()``.
    as_of : AsOf
    days : {"calendar", "working"}
    process : ProcessModel
    log : DistributedLog
    """

    frame: Any
    as_of: AsOf
    days: str
    process: ProcessModel
    log: DistributedLog | None
    tables: list | None = None  # once persisted: each partition's in-memory CaseTable (futures)

    distributed = True

    def head(self, n: int = 10) -> pd.DataFrame:
        return self.frame.head(n, npartitions=-1)

    def persist(self) -> "DistributedCaseTable":
        """The table computed once and kept on the workers, for several summaries in a row.

        Each partition's in-memory case table (with its events, which the log
        holds anyway) stays on its worker: ``phase_summary``, ``stalled`` and
        ``trigger_summary`` of the persisted table reuse it rather than making
        it again from the events. It takes about 230 MB per million dossiers
        on the workers.
        """
        if self.tables is not None:
            return self
        client = self.client
        if client is None or self.log is None:  # (Dask's default scheduler: no futures to keep)
            return replace(self, frame=self.frame.persist())
        from dask import delayed

        dd, _ = import_dask()
        one = self._partition_fn(_itself)
        tables = client.compute([delayed(one, pure=True)(part) for part in self.log.events.to_delayed()])
        frames = [client.submit(_frame_of, table) for table in tables]
        return replace(self, frame=dd.from_delayed(frames, meta=self.frame._meta, verify_meta=False), tables=tables)

    def to_parquet(self, path, **kw) -> None:
        self.frame.to_parquet(path, **kw)

    # -------------------------------------------------------------- summaries
    @property
    def client(self):
        return self.log.client if self.log is not None else None

    def _check_cut(self, as_of, days) -> None:
        """As :func:`~vitale_analysis.cases.as_case_table`: a table keeps its own as_of and day count."""
        if as_of is not None and AsOf.parse(as_of, aware=self.as_of.at.tzinfo is not None) != self.as_of:
            raise CaseLogError(f"This case table was computed as of {self.as_of}; as_of={as_of!r} differs. "
                               "Recompute it with case_table(log, as_of=...) or drop as_of.")
        if days is not None and check_days(days) != self.days:
            raise CaseLogError(f"This case table counts {self.days} days; days={days!r} differs. "
                               "Recompute it with case_table(log, days=...).")

    def _partition_fn(self, fn):
        """events of whole dossiers → ``fn(their in-memory case table, as of this cut)``."""
        if self.log is None:
            raise CaseLogError("This distributed case table holds no events; make it with case_table(log).")
        dlog, cut, days = self.log, self.as_of, self.days
        quality = replace(dlog.quality, failures=dlog.quality.failures.iloc[:0],
                          set_aside_rows=dlog.quality.set_aside_rows.iloc[:0])  # (shipped to every task)
        process, attributes, labels = dlog.process, dlog.case_attributes, dlog.labels

        def one(part: pd.DataFrame):
            if len(part) and not cut.keeps(part["timestamp"]).any():  # (no dossier of it yet at the cut:
                part = part.iloc[:0]  # none in the table, as in memory; an empty log gives an empty table)
            log = CaseLog(events=part.reset_index(drop=True), quality=quality, process=process,
                          case_attributes=attributes, labels=labels)
            return fn(case_table(log, as_of=cut, days=days))

        return one

    def _partition_tables(self, fn, meta=None):
        """``fn(case table of a partition)`` over the log's partitions: delayed results, or with a
        ``meta`` a dask DataFrame."""
        if self.tables is not None:  # (persisted: the tables are on the workers)
            from dask import delayed

            dd, _ = import_dask()
            parts = [delayed(fn, pure=True)(table) for table in self.tables]
            return parts if meta is None else dd.from_delayed(parts, meta=meta, verify_meta=False)
        one, dlog = self._partition_fn(fn), self.log
        if meta is None:
            from dask import delayed

            return [delayed(one, pure=True)(part) for part in dlog.events.to_delayed()]
        return dlog.events.map_partitions(one, meta=meta)

    def phase_counts(self, *, by=None):
        """The merged :func:`phase_counts` of every partition (a delayed dict: compute it)."""
        from dask import delayed

        cohort_columns(self.frame._meta, by)  # (a bad ``by`` fails here, named, not in a task)
        phases = list(self.process.phase_keys)
        one = delayed(partial(phase_counts, by=by, phases=phases), pure=True)
        return _tree([one(part) for part in self.frame.to_delayed()], merge_phase_counts)

    def phase_summary(self, *, by=None, as_of=None, days=None, percentiles=DEFAULT_PERCENTILES,
                      confidence: float | None = 0.95) -> pd.DataFrame:
        """:func:`~vitale_analysis.phase_summary`, the same pandas frame, from mergeable counts.

        Each partition counts, per (group,) phase and distinct duration, the
        dossiers that finished and those censored there (and the dossiers per
        state); the counts are summed over partitions and the Kaplan–Meier
        percentiles, the median's interval and the completed-only median are
        computed from them by the in-memory arithmetic: the numbers equal
        ``phase_summary(case_table(log))``'s. The merged counts have one row
        per (group, phase, distinct duration): few for whole days, up to one
        per dossier for durations to the second.

        Examples
        --------
        >>> import vitale_analysis as va
        >>> from vitale_analysis.distributed import DistributedLog
        >>> log = va.load("data/sample_caselog.csv")
        >>> dlog = DistributedLog.from_caselog(log, npartitions=3)  # (client=None: Dask's default scheduler)
        >>> summary = va.phase_summary(dlog, by="channel", as_of="2025-06-30")
        >>> summary.equals(va.phase_summary(log, by="channel", as_of="2025-06-30"))
        True
        """
        self._check_cut(as_of, days)
        percentile_levels(percentiles)
        if confidence is not None:
            check_confidence(confidence)
        from dask import delayed

        # (the estimates are made where the merged counts are, on a worker: only the summary comes back)
        summary = delayed(summary_from_counts, pure=True)(
            self.phase_counts(by=by), phases=list(self.process.phase_keys), percentiles=percentiles,
            confidence=confidence, attrs={"as_of": self.as_of, "days": self.days,
                                               "labels": self.log.labels if self.log else {}})
        return _run(self.client, summary)[0]

    def phase_thresholds(self, *, as_of=None, days=None, percentile: float = 90, thresholds=None) -> dict[str, float]:
        """:func:`~vitale_analysis.phase_thresholds` from the merged curves: the same days per phase."""
        self._check_cut(as_of, days)
        phases = list(self.process.phase_keys)
        given = checked_thresholds(phases, thresholds, percentile)
        if len(given) == len(phases):
            return {p: float(given[p]) for p in phases}
        from dask import delayed

        limits = delayed(thresholds_from_counts, pure=True)(self.phase_counts(), phases=phases,
                                                            percentile=percentile, given=given)
        return _run(self.client, limits)[0]

    def stalled(self, *, as_of=None, by=None, days=None, thresholds=None, percentile: float = 90,
                followup_days: float = 14) -> DistributedWorklist:
        """:func:`~vitale_analysis.stalled` as a :class:`DistributedWorklist`.

        The thresholds come from the merged curves (:meth:`phase_thresholds`);
        each partition's worklist is the in-memory ``stalled`` of its dossiers
        with those thresholds (its events give the next actions: partitions
        hold whole dossiers). ``.compute()`` equals the in-memory worklist.
        """
        if by is not None:
            cohort_columns(self.frame._meta, by)
        limits = self.phase_thresholds(as_of=as_of, days=days, percentile=percentile, thresholds=thresholds)
        given = {p: v for p, v in limits.items() if not np.isnan(v)}  # (no sample anywhere: none in a part)

        def worklist(table: CaseTable) -> pd.DataFrame:
            out = stalled(table, by=by, thresholds=given, percentile=percentile, followup_days=followup_days)
            out.attrs = {}  # (Parquet keeps attrs as JSON: the as-of cut is on the worklist object instead)
            return out

        first = self.log.events.partitions[0].head(200)  # (the columns and types, from a few rows)
        meta = self._partition_fn(worklist)(first).iloc[:0]
        frame = self._partition_tables(worklist, meta=meta)
        return DistributedWorklist(frame=frame, thresholds=limits, as_of=self.as_of, days=self.days,
                                   followup_days=followup_days, client=self.client)

    def trigger_summary(self, *, by=None, as_of=None, days=None, n_boot: int = 200, seed: int = 0,
                        confidence: float = 0.95, bootstrap_cap: int = 2000) -> pd.DataFrame:
        """:func:`~vitale_analysis.trigger_summary`, the same frame, by gathering what its bootstrap resamples.

        The interval of the extra days resamples each (group, phase)'s
        dossiers with one seeded generator per (group, trigger): to draw the
        same resamples as in memory, the client gathers, per dossier, each
        phase's days and state and the ``by`` columns (about 63 bytes, plus a
        few per ``by`` column: some 65 MB per million dossiers), and per
        trigger raised its dossier's row, key, phase and days to the next
        milestone (about 20 bytes each), and runs the in-memory computation on
        them. Counts, medians and intervals equal the in-memory path's.
        """
        self._check_cut(as_of, days)
        if by is not None:
            cohort_columns(self.frame._meta, by)
        phases = list(self.process.phase_keys)
        parts = _run(self.client, *self._partition_tables(
            lambda table: trigger_inputs(table, by=by, phases=phases)))
        frame, raised = gathered_triggers(list(parts), self.process)
        table = CaseTable(frame, as_of=self.as_of, days=self.days, process=self.process, log=None)
        return summarise_triggers(table, raised, by=by, n_boot=n_boot, seed=seed, confidence=confidence,
                                  bootstrap_cap=bootstrap_cap)

    def __repr__(self) -> str:
        return (f"DistributedCaseTable as of {self.as_of}, {self.days} days, "
                f"{self.frame.npartitions} partitions, process {self.process.name!r}")


def _itself(table: CaseTable) -> CaseTable:
    return table


def _frame_of(table: CaseTable) -> pd.DataFrame:
    return table.to_frame()


# ============================================================================ summaries
# Each summary maps one function over the partitions (whole dossiers each) and merges what
# it returns: counts summed (a tree of merges, eight at a time, so that only the last task
# holds the whole merged counts), then the in-memory arithmetic on the merged counts.

def _run(client, *objs):
    """``dask.compute`` on ``client`` (None: the default scheduler, or the current client)."""
    import dask

    return dask.compute(*objs, scheduler=client) if client is not None else dask.compute(*objs)


def _tree(parts: list, merge, fan_in: int = 8):
    """The parts (delayed) merged ``fan_in`` at a time, level by level, into one delayed result
    (few levels: each level goes over all the counts again; no task holds them all but the last)."""
    from dask import delayed

    merge = delayed(merge, pure=True)
    while len(parts) > 1:
        parts = [merge(*parts[k:k + fan_in]) if k + 1 < len(parts) else parts[k]
                 for k in range(0, len(parts), fan_in)]
    return parts[0]


def _unify_categories(frames: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """The frames with each categorical column on one dtype (the union of the categories, sorted when
    every part's were), so that concatenating them keeps it categorical, sorting as in memory."""
    frames = [f for f in frames if f is not None]
    if len(frames) < 2:
        return frames
    out = [f.copy(deep=False) for f in frames]
    for column in frames[0].columns:
        dtypes = [f[column].dtype for f in frames]
        if not all(isinstance(d, pd.CategoricalDtype) for d in dtypes) or all(d == dtypes[0] for d in dtypes):
            continue
        names = list(dict.fromkeys(c for d in dtypes for c in d.categories))
        if all(d.categories.is_monotonic_increasing for d in dtypes):
            names = sorted(names)
        dtype = pd.CategoricalDtype(pd.Index(names, dtype=dtypes[0].categories.dtype), ordered=dtypes[0].ordered)
        for f in out:
            f[column] = f[column].astype(dtype)
    return out


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The frames one after the other; empty ones left out (their columns may lack the types an
    empty result cannot infer, e.g. text as object)."""
    full = [f for f in frames if len(f)] or frames[:1]
    return pd.concat(_unify_categories(full), ignore_index=True)


def _state_codes(frame: pd.DataFrame, phase: str) -> np.ndarray:
    """A phase's state codes (positions in PHASE_STATES; -1: never entered), read by name."""
    states = list(PHASE_STATES)
    values = frame[f"{phase}_state"]
    lookup = np.array([states.index(str(c)) for c in values.cat.categories] + [-1], dtype=np.int8)
    return lookup[values.cat.codes.to_numpy()]


def phase_counts(frame: pd.DataFrame, *, by, phases: list) -> dict:
    """One partition's mergeable phase statistics (a case table's frame, whole dossiers).

    Returns a dict: ``states`` (per group and phase position: ``n``,
    ``n_finished``, ``n_open``, ``n_closed``, ``n_no_duration``; every group
    of the partition, every phase), ``km`` (:func:`~vitale_analysis.km.km_counts`
    of the timed durations by group and phase), ``n_cases`` and ``n_open``
    (dossiers open at as_of). :func:`merge_phase_counts` merges them.
    """
    cases, groups = cohort_columns(frame, by)
    n, n_phases = len(frame), len(phases)
    timed_codes = [list(PHASE_STATES).index(s) for s in TIMED_STATES]
    untimed_codes = [list(PHASE_STATES).index(s) for s in UNTIMED_STATES]
    finished_code, open_code, closed_code = (list(PHASE_STATES).index(s) for s in ("finished", "open", "closed"))
    state = np.concatenate([_state_codes(frame, p) for p in phases]) if n else np.zeros(0, dtype=np.int8)
    days = np.concatenate([frame[f"{p}_days"].to_numpy(dtype=float) for p in phases]) if n else np.zeros(0)
    phase = np.repeat(np.arange(n_phases, dtype=np.int64), n)
    keys = {g: pd.concat([cases[g].reset_index(drop=True)] * n_phases, ignore_index=True) for g in groups}
    timed = np.isin(state, timed_codes)
    states = pd.DataFrame({**keys, "phase": phase, "n": timed, "n_finished": state == finished_code,
                           "n_open": state == open_code, "n_closed": state == closed_code,
                           "n_no_duration": np.isin(state, untimed_codes)})
    counted = ["n", "n_finished", "n_open", "n_closed", "n_no_duration"]
    states[counted] = states[counted].astype(np.int64)
    states = states.groupby([*groups, "phase"], sort=True, dropna=False, observed=True)[counted].sum().reset_index()
    km = km_counts(days[timed], (state == finished_code)[timed],
                   keys={**{g: v[timed] for g, v in keys.items()}, "phase": phase[timed]})
    return {"groups": groups, "states": states, "km": km, "n_cases": n,
            "n_open": int((frame["status"] == "open").sum())}


def merge_phase_counts(*parts: dict) -> dict:
    """Partitions' :func:`phase_counts` as one: counts summed per key (one concatenation and one
    grouping for all of them)."""
    groups = parts[0]["groups"]
    states = _concat([p["states"] for p in parts])
    counted = ["n", "n_finished", "n_open", "n_closed", "n_no_duration"]
    states = states.groupby([*groups, "phase"], sort=True, dropna=False, observed=True)[counted].sum().reset_index()
    return {"groups": groups, "states": states,
            "km": merge_km_counts(_unify_categories([p["km"] for p in parts]), keys=[*groups, "phase"]),
            "n_cases": sum(p["n_cases"] for p in parts), "n_open": sum(p["n_open"] for p in parts)}


def summary_from_counts(counts: dict, *, phases: list, percentiles, confidence, attrs: dict) -> pd.DataFrame:
    """:func:`~vitale_analysis.phase_summary` from merged :func:`phase_counts`: the same frame, the same
    numbers (each estimate by the in-memory arithmetic on the sample the counts describe)."""
    groups, states, km = counts["groups"], counts["states"], counts["km"]
    levels = percentile_levels(percentiles)
    n_phases = len(phases)
    if groups:
        group_values = states[groups].drop_duplicates().reset_index(drop=True)  # (sorted as groupby sorts)
        both = _concat([group_values, km[groups]])
        codes = both.groupby(groups, sort=True, dropna=False, observed=True).ngroup().to_numpy()
        km_group = codes[len(group_values):]
        state_group = np.repeat(np.arange(len(group_values)), n_phases)
    else:
        group_values = pd.DataFrame(index=[0])
        km_group = np.zeros(len(km), dtype=np.int64)
        state_group = np.zeros(n_phases, dtype=np.int64)
    n_groups = len(group_values) if counts["n_cases"] else 0
    n_cells = n_groups * n_phases
    stats = {}
    for name in ("n", "n_finished", "n_open", "n_closed", "n_no_duration"):
        stats[name] = np.zeros(n_cells, dtype=np.int64)
        if n_cells:
            stats[name][state_group * n_phases + states["phase"].to_numpy()] = states[name].to_numpy()
    estimates = np.full((n_cells, len(levels)), np.nan)
    median_ci = np.full((n_cells, 2), np.nan)
    completed = np.full(n_cells, np.nan)
    km_phase = km["phase"].to_numpy()
    for j in range(n_phases):
        rows = np.flatnonzero(km_phase == j)
        days, events, censored = (km[c].to_numpy()[rows] for c in ("days", "events", "censored"))
        cells = np.arange(n_groups) * n_phases + j
        if not n_groups or not len(rows):
            continue
        if n_groups == 1:  # (as in memory: one curve, summed as the sorted sample's)
            estimates[cells], median_ci[cells] = km_counts_summary(days, events, censored, levels, confidence)
            completed[cells[0]] = median_from_counts(days, events)
            continue
        g = km_group[rows]
        estimates[cells], intervals = km_grouped_counts_summary(g, days, events, censored, n_groups, levels,
                                                                confidence)
        if intervals is not None:
            median_ci[cells] = intervals
        bounds = np.r_[np.flatnonzero(np.r_[True, g[1:] != g[:-1]]), len(g)]
        for lo, hi in pairwise(bounds):
            if events[lo:hi].sum():
                completed[cells[g[lo]]] = median_from_counts(days[lo:hi], events[lo:hi])
    return phase_summary_frame(stats, estimates, median_ci, completed, phases=phases, n_groups=n_groups,
                               groups=groups, group_values=group_values, percentiles=percentiles,
                               confidence=confidence, attrs={**attrs, "n_cases": counts["n_cases"],
                                                             "n_open": counts["n_open"]})


def thresholds_from_counts(counts: dict, *, phases: list, percentile: float, given: dict) -> dict[str, float]:
    """:func:`~vitale_analysis.phase_thresholds` from merged :func:`phase_counts` (no ``by``)."""
    km = counts["km"]
    out = {}
    for j, phase in enumerate(phases):
        if phase in given:
            out[phase] = float(given[phase])
            continue
        rows = km[km["phase"] == j]
        days, events, censored = (rows[c].to_numpy() for c in ("days", "events", "censored"))
        if not len(rows):
            out[phase] = float("nan")
            continue
        value = km_counts_summary(days, events, censored, (1 - percentile / 100,), None)[0][0]
        if np.isinf(value):  # (as in memory: the plain percentile of every duration)
            value = percentile_from_counts(days, events + censored, percentile)
        out[phase] = float(value)
    return out


# ============================================================================ the worklist
@dataclass(frozen=True, eq=False)
class DistributedWorklist:
    """The follow-up worklist (:func:`~vitale_analysis.stalled`) on a Dask cluster.

    Each partition is the in-memory ``stalled`` of its dossiers, against the
    caseload's thresholds (merged curves, :attr:`thresholds`) and the one
    as-of cut; each partition is sorted as the worklist is (``days_over``
    largest first, then ``case_id``).

    Attributes
    ----------
    frame : dask DataFrame
        The worklist, partition by partition (sorted within each).
    thresholds : dict
        Days per phase key, as :func:`~vitale_analysis.phase_thresholds` gives.
    as_of : AsOf
    days : {"calendar", "working"}
    followup_days : float
    client : distributed.Client or None

    Examples
    --------
    >>> import vitale_analysis as va
    >>> log = va.load("data/sample_caselog.csv")
    >>> worklist = va.stalled(DistributedLog.from_caselog(log, npartitions=3), as_of="2025-06-30")
    >>> worklist.head(3).equals(va.stalled(log, as_of="2025-06-30").head(3))
    True
    """

    frame: Any
    thresholds: dict
    as_of: AsOf
    days: str
    followup_days: float
    client: Any = None

    distributed = True

    def _sorted(self, out: pd.DataFrame) -> pd.DataFrame:
        out = out.sort_values(["days_over", "case_id"], ascending=[False, True], kind="mergesort")
        out = out.reset_index(drop=True)
        out.attrs.update(as_of=self.as_of, followup_days=self.followup_days, days=self.days)
        return out

    def compute(self) -> pd.DataFrame:
        """The whole worklist as a pandas DataFrame: the in-memory ``stalled``'s rows, in its order."""
        parts = _run(self.client, *self.frame.to_delayed())
        return self._sorted(_concat(list(parts)))

    def head(self, n: int = 10) -> pd.DataFrame:
        """The ``n`` dossiers furthest over their threshold (each partition's first ``n``, merged)."""
        tops = self.frame.map_partitions(lambda part: part.head(n), meta=self.frame._meta)
        return self._sorted(_concat(list(_run(self.client, *tops.to_delayed())))).head(n)

    def to_parquet(self, path, **kw) -> None:
        """Write the worklist as a Parquet folder, one file per partition (each sorted on its own)."""
        self.frame.to_parquet(path, **kw)

    def __len__(self) -> int:
        return int(_run(self.client, self.frame.map_partitions(len).sum())[0])

    def __repr__(self) -> str:
        return (f"DistributedWorklist as of {self.as_of}, {self.frame.npartitions} partitions "
                "→ .head(n), .compute() or .to_parquet(path)")


# ============================================================================ triggers
def trigger_inputs(table: CaseTable, *, by, phases: list) -> tuple[pd.DataFrame, dict]:
    """What one partition sends for :func:`~vitale_analysis.trigger_summary`: per dossier, the
    ``by`` columns (or ``started_at``) and each phase's days and state; per trigger raised, its
    dossier's row, key, phase and days to the next milestone; the trigger names the partition's
    events use (for the log's trigger keys)."""
    frame = table.to_frame()
    names = by_names(by)
    keep = [c for c in names if c in frame.columns]
    if any(c in DERIVED_COHORTS and c not in frame.columns for c in names):
        keep.append("started_at")
    keep += [f"{p}_{what}" for p in phases for what in ("days", "state")]
    raised = raised_triggers(table)
    trigger = table.log.events["trigger"]
    used = trigger.cat.categories[np.unique(trigger.cat.codes.to_numpy()[trigger.cat.codes.to_numpy() >= 0])]
    return frame[list(dict.fromkeys(keep))], {
        "case_pos": np.asarray(raised.case_pos, dtype=np.int64), "keys": list(raised.keys),
        "key_code": np.asarray(raised.key_code, dtype=np.int64), "raised_in": np.asarray(raised.raised_in),
        "to_next": np.asarray(raised.to_next, dtype=float), "has_next": np.asarray(raised.has_next, dtype=bool),
        "used": [str(c) for c in used]}


def gathered_triggers(parts: list, process: ProcessModel) -> tuple[pd.DataFrame, RaisedTriggers]:
    """The partitions' :func:`trigger_inputs` as one table frame and one :class:`RaisedTriggers`: rows
    in partition order, the raised triggers' rows shifted by the rows before them, their keys
    the log's (the process model's triggers, then the unknown ones used anywhere, sorted, as
    validation orders them)."""
    known = list(process.triggers)
    unknown = sorted({name for _, r in parts for name in r["used"]} - set(known))
    keys = known + unknown
    frame = _concat([f for f, _ in parts])
    offsets = np.cumsum([0] + [len(f) for f, _ in parts[:-1]])
    recode = [np.array([keys.index(k) for k in r["keys"]] + [-1], dtype=np.int64) for _, r in parts]
    raised = RaisedTriggers(
        None,
        np.concatenate([r["case_pos"] + off for (_, r), off in zip(parts, offsets)]),
        keys,
        np.concatenate([look[r["key_code"]] for (_, r), look in zip(parts, recode)]),
        np.concatenate([r["raised_in"] for _, r in parts]),
        np.concatenate([r["to_next"] for _, r in parts]),
        np.concatenate([r["has_next"] for _, r in parts]),
    )
    return frame, raised
