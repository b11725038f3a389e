"""Cohorts: the ``by=`` argument every summary accepts.

``by`` is ``None``, a column name, or a list of them. A name is any case
attribute of the case table (``office``, ``channel``, ``born_abroad``, …) or
one of the derived cohorts ``start_month`` / ``start_quarter`` / ``start_year``
(the period of the dossier's start).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .errors import CaseLogError, closest_names

__all__ = ["DERIVED_COHORTS", "by_names", "cohort_columns", "group_codes"]

DERIVED_COHORTS = {"start_month": "M", "start_quarter": "Q", "start_year": "Y"}


def by_names(by: str | Sequence[str] | None) -> list[str]:
    """``by`` as a list of names (none for None)."""
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def cohort_columns(cases: pd.DataFrame, by: str | Sequence[str] | None) -> tuple[pd.DataFrame, list[str]]:
    """Add derived cohort columns the ``by`` asks for; return (cases, list of group columns).

    ``cases`` is a case table's frame (``table.to_frame()``) or any frame with
    the ``by`` columns (and ``started_at`` for a derived cohort).
    """
    if by is None:
        return cases, []
    names = by_names(by)
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
