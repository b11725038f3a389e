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

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from .caselog import CaseLog, QualityReport
from .cases import case_table
from .errors import CaseLogError
from .process import ProcessModel
from .timeutil import AsOf

DASK_EXTRA = 'pip install "vitale-analysis[dask]"'


def import_dask():
    """``(dask.dataframe, distributed)``, or a clear error naming the extra to install."""
    try:
        import dask.dataframe as dd
        import distributed
    except ImportError as err:  # pragma: no cover - the dev extra installs dask
        raise CaseLogError(f"The Dask engine needs the dask extra: {DASK_EXTRA} ({err}).") from None
    return dd, distributed


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

    distributed = True  # what the in-memory analyses look for

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
            log = CaseLog(events=part.reset_index(drop=True), quality=quality, process=process,
                          case_attributes=attributes, labels=labels)
            return case_table(log, as_of=cut, days=days).to_frame()

        meta = one(self.events.partitions[0].compute()).iloc[:0]
        return DistributedCaseTable(frame=self.events.map_partitions(one, meta=meta), as_of=cut, days=days,
                                    process=process, log=self)

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

    distributed = True

    def head(self, n: int = 10) -> pd.DataFrame:
        return self.frame.head(n, npartitions=-1)

    def to_parquet(self, path, **kw) -> None:
        self.frame.to_parquet(path, **kw)

    def __repr__(self) -> str:
        return (f"DistributedCaseTable as of {self.as_of}, {self.days} days, "
                f"{self.frame.npartitions} partitions, process {self.process.name!r}")
