"""The case table of a caseload larger than memory, built batch by batch.

Everything the case table says about a dossier depends on that dossier's
events only. A Parquet file (or a folder of Parquet files, read in name order)
whose rows are **grouped by case, in case-id order** can therefore be read in
batches of whole cases: each batch is validated and turned into case-table
rows, then dropped, so memory is bounded by the batch size (and by the case
table itself, about 0.24 KB per dossier), not by the number of events.
Measured: 5 million dossiers (54 million events) in 2.2 GB peak resident
memory, case table and phase summary included (benchmarks/bench_batched.py).

The rows of one dossier may straddle two batches of the file: the last case
of each batch is held back and joined to the next batch. A case id that goes
back (the file is not in case order) stops the run with a clear error, as the
case table of a dossier seen in two places would be wrong.

``as_of`` must be given: the default elsewhere (the log's last event) is only
known at the end.

With the Dask extra installed (``pip install "vitale-analysis[dask]"``),
:func:`case_table_batched` is a thin layer over the distributed log
(:mod:`vitale_analysis.distributed`): the file is read and validated on the
current default Dask client, or on a ``LocalCluster`` started and closed for
the call; its rows need not be in case order there (they are shuffled by
case). Without the extra it runs the batch loop below, as before; both give
the same table and report (the report's ``set_aside_rows`` holds the first
10,000 rows on Dask).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from .caselog import QualityReport, merge_reports
from .cases import CaseTable, case_table
from .errors import CaseLogError, DataQualityWarning
from .process import CARTE_VITALE, ProcessModel
from .read import REQUIRED_COLUMNS, RawLog, arrow_to_frame, number_rows
from .validate import validate_part

__all__ = ["case_table_batched", "iter_case_batches"]


def _trim_heap() -> None:
    """Hand freed heap memory back to the system (glibc only; elsewhere nothing).

    A batch's arrays of a few megabytes live in the C heap; once freed, glibc
    keeps their pages for reuse by the same process, so resident memory only
    grows while the case table is assembled. ``malloc_trim`` returns the
    free pages (measured at 5 million dossiers: 0.9 GB less at the peak).
    """
    global _MALLOC_TRIM
    if _MALLOC_TRIM is None:
        try:
            import ctypes

            _MALLOC_TRIM = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _MALLOC_TRIM = False
    if _MALLOC_TRIM:
        _MALLOC_TRIM(0)


_MALLOC_TRIM = None


def _dataset(path: Path):
    import pyarrow as pa
    import pyarrow.dataset as ds

    if not path.exists():
        raise CaseLogError(f"{path}: no such file or folder. Check the path.")
    try:
        schema = ds.dataset(path, format="parquet").schema
        text = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
        fmt = ds.ParquetFileFormat(read_options=ds.ParquetReadOptions(dictionary_columns=text))
        return ds.dataset(path, format=fmt)
    except (pa.ArrowInvalid, OSError) as exc:
        raise CaseLogError(
            f"{path}: cannot read it as a Parquet file or folder of Parquet files ({exc}). "
            "Batched reading takes Parquet only; convert the log first (e.g. vitale-analysis simulate writes Parquet)."
        ) from None


def iter_case_batches(path, *, batch_rows: int = 1_000_000) -> Iterator[pd.DataFrame]:
    """Yield raw event frames of about ``batch_rows`` rows, each holding whole cases.

    Each frame has a ``row`` column (the row number in the whole file, from 1)
    and text columns as categoricals, ready for :func:`validate`.

    Raises
    ------
    CaseLogError
        The file is missing or not Parquet, lacks a required column, or its
        rows are not grouped by case in case-id order.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    path = Path(path)
    if not (isinstance(batch_rows, int) and batch_rows > 0):
        raise CaseLogError(f"batch_rows={batch_rows!r} must be a positive whole number of rows.")
    data = _checked_dataset(path)
    held: pa.Table | None = None
    offset = 0  # rows already handed out
    last_id = None
    # No read-ahead: by default Arrow reads up to 16 batches and 4 files ahead, which
    # on a folder of large parts held ~1 GB more than the batch being worked on.
    for batch in data.to_batches(batch_size=batch_rows, batch_readahead=0, fragment_readahead=0):
        if batch.num_rows == 0:
            continue
        table = pa.Table.from_batches([batch])
        if held is not None:
            table = pa.concat_tables([held, table.cast(held.schema)], promote_options="permissive")
        ids = pc.cast(table["case_id"].combine_chunks().dictionary_decode()
                      if pa.types.is_dictionary(table["case_id"].type) else table["case_id"].combine_chunks(),
                      pa.string())
        if ids.null_count:
            ids = pc.fill_null(ids, "")
        if len(ids) > 1 and not pc.all(pc.less_equal(ids[:-1], ids[1:])).as_py() or (
                last_id is not None and ids[0].as_py() < last_id):
            bad = _first_step_back(ids, last_id)
            raise CaseLogError(
                f"{path}: batched reading needs the rows grouped by case in case-id order, but case "
                f"{bad!r} (around row {offset + 1:,}) comes after a later one. Write the file sorted "
                "by case_id, then time (e.g. in DuckDB: COPY (SELECT * FROM 'log.parquet' ORDER BY case_id, "
                "timestamp) TO 'sorted.parquet'), or read it whole with load()."
            )
        # Hold back the last case: its rows may go on in the next batch.
        last = ids[-1]
        tail = len(ids) - int(pc.sum(pc.equal(ids, last)).as_py())
        if tail == 0:  # one case fills the whole batch: keep reading
            held = table
            continue
        held = table.slice(tail)
        last_id = ids[tail - 1].as_py()
        yield _frame(table.slice(0, tail), offset)
        offset += tail
    if held is not None and held.num_rows:
        yield _frame(held, offset)


def _first_step_back(ids, last_id) -> str:
    values = ids.to_pylist()
    if last_id is not None and values[0] < last_id:
        return values[0]
    for a, b in zip(values, values[1:]):
        if b < a:
            return b
    return values[-1]


def _frame(table, offset: int) -> pd.DataFrame:
    frame = arrow_to_frame(table)
    frame.columns = [str(c) for c in frame.columns]
    number_rows(frame, offset + 1)
    return frame


def case_table_batched(
    path,
    *,
    as_of,
    process: ProcessModel = CARTE_VITALE,
    days: str = "calendar",
    batch_rows: int = 1_000_000,
) -> tuple[CaseTable, QualityReport]:
    """The case table of a Parquet caseload, built in batches of whole cases (bounded memory).

    Parameters
    ----------
    path : str or Path
        A Parquet file, or a folder of Parquet files read in name order, with
        canonical column names and rows grouped by case in case-id order.
    as_of : date-like
        Required (see the module docstring).
    process, days :
        As for :func:`case_table`.
    batch_rows : int
        Events per batch (about; a batch always ends at a case boundary).
        Memory grows with it: about 0.2 GB per million events.

    Returns
    -------
    (cases, quality)
        The same case table :func:`case_table` gives for the whole log with
        the same ``as_of`` (rows in case-id order), and one QualityReport for
        the whole file (row numbers are the file's). The table holds no
        events (``cases.log`` is None): ``phase_summary`` and the chart tables
        take it; the analyses that read events need the whole log.

    Examples
    --------
    The sample written to Parquet, then read back in batches of about 5,000 events (2,866 dossiers
    reached the ssn phase; 22 of them out of order, counted but not timed, so ``n`` is 2,844):

    >>> from vitale_analysis import case_table_batched, load, phase_summary, write_events
    >>> path = write_events(load("data/sample_caselog.csv").events, getfixture("tmp_path") / "log.parquet")
    >>> cases, quality = case_table_batched(path, as_of="2025-06-30", batch_rows=5_000)
    >>> len(cases), quality.rows_read, cases.log is None
    (3000, 31479, True)
    >>> phase_summary(cases)[["phase", "n"]].head(2)
              phase     n
    0  registration  3000
    1           ssn  2844
    """
    if as_of is None:
        raise CaseLogError("case_table_batched needs as_of= (e.g. '2025-06-30'): the log's last event is not known "
                           "until the whole file is read.")
    path = Path(path)
    if dask_installed():
        _checked_dataset(path)
        return _case_table_on_dask(path, as_of=as_of, process=process, days=days, batch_rows=batch_rows)
    parts: list[dict] = []
    reports: list[QualityReport] = []
    cut = None
    for frame in iter_case_batches(path, batch_rows=batch_rows):
        log = validate_part(RawLog(frame, source=str(path)), process, as_of=as_of)  # (warned once, below)
        del frame
        reports.append(log.quality)
        if len(log.events):  # else every row of the batch was set aside
            part = case_table(log, as_of=as_of, days=days)
            cut = part.as_of
            parts.append(_columns(part.to_frame()))
            del part
        del log
        _trim_heap()
    if not parts:
        raise CaseLogError(f"{path}: no usable rows in any batch. Check the as_of date and the columns.")
    cases = CaseTable(_concat_cases(parts), as_of=cut, days=days, process=process, log=None)
    quality = merge_reports(reports, str(path))
    if quality.n_set_aside:
        warnings.warn(
            f"{path}: {quality.n_set_aside:,} of {quality.rows_read:,} rows set aside "
            f"({', '.join(f'{k}: {v}' for k, v in quality.set_aside.items())}); see the quality report.",
            DataQualityWarning,
            stacklevel=2,
        )
    return cases, quality


def dask_installed() -> bool:
    """Whether the Dask extra (``dask[dataframe]`` and ``distributed``) can be imported."""
    try:
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


def _checked_dataset(path: Path):
    """The Parquet dataset at ``path``, or the errors the batch loop gives on a missing or
    non-Parquet file, or missing columns."""
    data = _dataset(path)
    missing = [c for c in REQUIRED_COLUMNS if c not in data.schema.names]
    if missing:
        raise CaseLogError(
            f"{path}: required column(s) {missing} not found. Columns found: {data.schema.names}. "
            "Batched reading takes the canonical column names; rename them when writing the Parquet file."
        )
    return data


def _case_table_on_dask(path: Path, *, as_of, process: ProcessModel, days: str, batch_rows: int):
    """:func:`case_table_batched` on Dask: the distributed log's case table, gathered in case-id order."""
    from dataclasses import replace

    from .distributed import get_client, load_distributed

    client, started = get_client(None)
    try:
        log = load_distributed(path, process, client=client, as_of=as_of, rows_per_piece=batch_rows, stacklevel=4)
        table = log.case_table(as_of=as_of, days=days)
        frame, failures = client.compute([table.frame, log.failures], sync=True)
    finally:
        if started:
            cluster = getattr(client, "cluster", None)
            client.close()
            if cluster is not None:
                cluster.close()
    ids = frame["case_id"]
    if isinstance(ids.dtype, pd.CategoricalDtype):  # (each partition had its own ids: one sorted list)
        cats = ids.cat.categories
        frame["case_id"] = ids.cat.set_categories(pd.Index(sorted(cats), dtype=cats.dtype))
    frame = frame.sort_values("case_id", kind="mergesort").reset_index(drop=True)
    failures = failures.sort_values(["row", "check"], kind="mergesort").reset_index(drop=True)
    quality = replace(log.quality, failures=failures)
    return CaseTable(frame, as_of=table.as_of, days=days, process=process, log=None), quality


def _columns(part: pd.DataFrame) -> dict:
    """A batch's case table as independent columns, so that each can be freed alone.

    A DataFrame keeps same-typed columns in one 2-D block: a column taken from
    it keeps the whole block alive until every column of that block is gone.
    """
    return {column: part[column].array.copy() for column in part.columns}


def _concat_cases(parts: list[dict]) -> pd.DataFrame:
    """Concatenate batches' case tables whose categoricals may have different categories.

    Column by column, each batch's column dropped once copied, so the whole
    table is never held twice (a million dossiers take about 0.23 GB).
    """
    names = list(parts[0])
    pieces = list(parts)
    parts.clear()  # the columns live on in `pieces` until copied
    columns = {}
    for column in names:
        values = [pd.Series(piece.pop(column), copy=False) for piece in pieces]
        first = values[0]
        if isinstance(first.dtype, pd.CategoricalDtype):
            if all(v.cat.categories.equals(first.cat.categories) for v in values):
                joined = pd.Categorical.from_codes(
                    np.concatenate([v.cat.codes.to_numpy() for v in values]), dtype=first.dtype)
            else:
                joined = union_categoricals([v.array for v in values], ignore_order=first.cat.ordered)
                if all(v.cat.categories.is_monotonic_increasing for v in values):  # e.g. offices: by name,
                    cats = joined.categories
                    joined = joined.set_categories(pd.Index(sorted(cats, key=str), dtype=cats.dtype))  # as whole
            columns[column] = joined
        else:
            columns[column] = pd.concat(values, ignore_index=True).array
        del values, first
        _trim_heap()
    return pd.DataFrame(columns, copy=False)
