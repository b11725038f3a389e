"""Preparing a case log to share: identifying columns replaced by salted-hash tokens."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac

import pandas as pd

from .caselog import CaseLog
from .errors import CaseLogError
from .read import RawLog

__all__ = ["pseudonymise"]


def _token(value, key: bytes) -> str:
    digest = hmac.new(key, str(value).strip().encode("utf-8"), hashlib.sha256).hexdigest()
    return "P-" + digest[:12]


def _pseudo_series(values: pd.Series, key: bytes) -> pd.Series:
    """Tokens for the non-empty values; empty stays empty. Categoricals stay categorical."""
    is_cat = isinstance(values.dtype, pd.CategoricalDtype)
    obj = values.astype(object)
    present = obj.notna() & (obj.astype("string").str.strip() != "").fillna(False)
    uniques = pd.unique(obj[present])
    table = {u: _token(u, key) for u in uniques}
    out = obj.where(~present, obj.map(table))
    out = out.where(present, pd.NA)
    return out.astype("category") if is_cat else out.astype("string")


def pseudonymise(log_or_frame, columns, salt):
    """Replace identifying columns by stable salted-hash tokens (``"P-" + 12 hex``).

    The same value with the same salt always gives the same token, so cases can
    still be followed and joined; another salt gives other tokens. The token is
    an HMAC-SHA256 of the trimmed value keyed by the salt. The salt is not kept
    anywhere in the result: keep it secret, and keep it if tokens must match
    across exports.

    Parameters
    ----------
    log_or_frame : RawLog, DataFrame or CaseLog
        What :func:`read_caselog` returns (or its frame), or a validated ``CaseLog``.
    columns : str or list of str
        The columns to replace (e.g. ``["case_id", "nir"]``).
    salt : str or bytes
        Secret, not empty.

    Returns
    -------
    The same type: a new RawLog or DataFrame, or a new CaseLog whose events are replaced
    (and re-sorted by the new case ids, each case's events keeping their order)
    and whose quality report shows the tokens too: in ``failures`` (the case of a
    kept row, and the value of a problem in a replaced column) and in
    ``set_aside_rows``. Set-aside values that were stored masked are tokenised as
    masked, so they do not match the tokens of the kept rows.

    Raises
    ------
    CaseLogError
        The salt is empty, or a column is not in the data.
    """
    if isinstance(salt, str):
        key = salt.encode("utf-8")
    elif isinstance(salt, (bytes, bytearray)):
        key = bytes(salt)
    else:
        raise CaseLogError(f"pseudonymise(): salt must be a text, got {type(salt).__name__}.")
    if not key.strip():
        raise CaseLogError("pseudonymise(): the salt is empty; give a secret text (and keep it secret).")
    if isinstance(columns, str):
        columns = [columns]
    columns = list(columns)
    if not columns:
        raise CaseLogError("pseudonymise(): give at least one column to replace.")

    raw = None
    if isinstance(log_or_frame, CaseLog):
        log = log_or_frame
        events = log.events
    elif isinstance(log_or_frame, RawLog):
        log, raw, events = None, log_or_frame, log_or_frame.frame
    elif isinstance(log_or_frame, pd.DataFrame):
        log, events = None, log_or_frame
    else:
        raise CaseLogError(
            f"pseudonymise() takes a RawLog, a DataFrame or a CaseLog, got {type(log_or_frame).__name__}."
        )
    missing = [c for c in columns if c not in events.columns]
    if missing:
        raise CaseLogError(
            f"pseudonymise(): no column {missing} in the data; columns are {list(map(str, events.columns))}."
        )

    out = events.copy()
    for column in columns:
        out[column] = _pseudo_series(events[column], key)
    if log is None:
        return out if raw is None else raw.replace_frame(out)

    if "case_id" in columns:
        out = out.sort_values("case_id", kind="mergesort").reset_index(drop=True)
    q = log.quality
    failures = q.failures.copy()
    rows = failures["row"]
    if "row" in out.columns and not failures.empty:
        by_row = out.drop_duplicates("row").set_index("row")
        known = rows.isin(by_row.index).fillna(False).to_numpy(dtype=bool)
        if "case_id" in columns:
            new_case = failures["case_id"].astype("string").copy()
            new_case[known] = by_row.loc[rows[known].astype("int64"), "case_id"].astype("string").to_numpy()
            unknown = ~known & new_case.notna().to_numpy()
            new_case[unknown] = _pseudo_series(failures["case_id"][unknown], key).astype("string").to_numpy()
            failures["case_id"] = new_case
        for column in columns:
            here = (failures["column"] == column).fillna(False).to_numpy(dtype=bool)
            if not here.any():
                continue
            new_value = failures["value"].astype("string").copy()
            hit = here & known
            new_value[hit] = by_row.loc[rows[hit].astype("int64"), column].astype("string").to_numpy()
            rest = here & ~known
            new_value[rest] = _pseudo_series(failures["value"][rest], key).astype("string").to_numpy()
            failures["value"] = new_value
    aside = q.set_aside_rows.copy()
    for column in columns:
        if column in aside.columns:
            aside[column] = _pseudo_series(aside[column], key).astype(object)
    notes = [*q.notes, f"columns {columns} pseudonymised (salted hash tokens)"]
    quality = dataclasses.replace(q, failures=failures, set_aside_rows=aside, notes=notes)
    return dataclasses.replace(log, events=out, quality=quality)
