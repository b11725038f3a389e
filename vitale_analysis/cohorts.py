"""Cohorts: the ``by=`` argument every summary accepts, and the log-or-cases input.

``by`` is ``None``, a column name, or a list of them. A name is any case
attribute of the case table (``office``, ``channel``, ``born_abroad``, …) or
one of the derived cohorts ``start_month`` / ``start_quarter`` / ``start_year``
(the period of the dossier's start).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .cases import case_table
from .errors import CaseLogError, closest_names
from .validate import CaseLog

__all__ = ["DERIVED_COHORTS", "as_cases", "cohort_columns", "group_codes"]

DERIVED_COHORTS = {"start_month": "M", "start_quarter": "Q", "start_year": "Y"}


def as_cases(log_or_cases: CaseLog | pd.DataFrame, *, as_of=None, days: str = "calendar") -> pd.DataFrame:
    """A case table: computed from a CaseLog, or the given one (already computed and maybe filtered).

    Passing a precomputed case table is how widgets stay fast: compute it
    once, filter rows, summarise. Its own ``as_of`` (in ``attrs``) then applies;
    asking for another one is an error rather than a silent mismatch.
    """
    if isinstance(log_or_cases, CaseLog):
        return case_table(log_or_cases, as_of=as_of, days=days)
    if isinstance(log_or_cases, pd.DataFrame):
        if "status" not in log_or_cases.columns or "case_id" not in log_or_cases.columns:
            raise CaseLogError(
                "Expected a CaseLog or a case table from case_table(); this DataFrame has no 'status' "
                "column. Pass load(path) or case_table(log)."
            )
        table_as_of = log_or_cases.attrs.get("as_of")
        if as_of is not None and table_as_of is not None:
            from .validate import _to_as_of

            wanted = _to_as_of(as_of, getattr(table_as_of, "tzinfo", None) is not None)
            if wanted != table_as_of:
                raise CaseLogError(
                    f"This case table was computed as of {table_as_of}; as_of={as_of!r} differs. "
                    "Recompute it with case_table(log, as_of=...) or drop as_of."
                )
        table_days = log_or_cases.attrs.get("days", "calendar")
        if days != "calendar" and days != table_days:
            raise CaseLogError(
                f"This case table counts {table_days} days; days={days!r} differs. "
                "Recompute it with case_table(log, days=...)."
            )
        return log_or_cases
    raise CaseLogError(
        f"Expected a CaseLog (from load) or a case table (from case_table), got {type(log_or_cases).__name__}."
    )


def cohort_columns(cases: pd.DataFrame, by: str | Sequence[str] | None) -> tuple[pd.DataFrame, list[str]]:
    """Add derived cohort columns the ``by`` asks for; return (cases, list of group columns)."""
    if by is None:
        return cases, []
    names = [by] if isinstance(by, str) else list(by)
    missing = [n for n in names if n not in cases.columns and n not in DERIVED_COHORTS]
    if missing:
        options = sorted(set(cases.columns) | set(DERIVED_COHORTS))
        hints = "; ".join(
            f"{m!r}" + (f" (did you mean {closest_names(m, options)[0]!r}?)" if closest_names(m, options) else "")
            for m in missing
        )
        attributes = [c for c in cases.columns if not c.startswith(("trigger_",)) and not c.endswith(("_at", "_days", "_state"))]
        raise CaseLogError(
            f"by={by!r}: no column {hints}. Group by a case attribute ({attributes}) "
            f"or by {list(DERIVED_COHORTS)}."
        )
    derived = [n for n in names if n in DERIVED_COHORTS and n not in cases.columns]
    if derived:
        cases = cases.copy()
        started = cases["started_at"]
        if started.dt.tz is not None:
            started = started.dt.tz_convert("Europe/Paris").dt.tz_localize(None)
        for name in derived:
            cases[name] = started.dt.to_period(DERIVED_COHORTS[name]).astype(str)
    return cases, names


def group_codes(frame: pd.DataFrame, names: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer group per row and the table of group values (one row per group, sorted).

    A missing attribute value is a group of its own, so that group totals add
    up to the whole caseload. With no names, everything is group 0.
    """
    if not names:
        return np.zeros(len(frame), dtype=np.int64), pd.DataFrame(index=[0])
    grouped = frame.groupby(names, sort=True, dropna=False, observed=True)
    codes = grouped.ngroup().to_numpy(dtype=np.int64)  # numbered in the sorted order of size()
    return codes, grouped.size().reset_index()[names]
