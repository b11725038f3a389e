"""Identifiers on screen: never a full social security number.

A French NIR (and an NIA, which looks the same and may start with 7 or 8) is
13 digits, or 15 with its key, sometimes written with spaces, dots or dashes,
and with ``2A``/``2B`` for Corsica. Any run of 13 to 15 such characters is
shown masked — the sex digit, the year of birth and the key stay, the rest
becomes dots: ``2 95 •• •• ••• ••• 93`` — wherever it stands (an id, a note,
a message). Other identifiers (``D000123``) are shown as they are.

:func:`nir_columns` finds the columns that hold such numbers, :func:`nir_key_ok`
checks a 15-character number's key (``python-stdnum``), and :func:`pseudonymise`
replaces identifying columns by salted-hash tokens. Whether a number is an NIA
or a permanent NIR is never guessed from its digits (see DOMAIN.md).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re

import numpy as np
import pandas as pd

from .codes import distinct_codes
from .errors import CaseLogError

__all__ = [
    "looks_like_nir",
    "mask_identifier",
    "mask_frame",
    "mask_identifiers",
    "mask_text",
    "nir_columns",
    "nir_key_ok",
    "pseudonymise",
]

_NIR_LIKE = re.compile(r"(?<![0-9A-Za-z])[0-9](?:[ .\-]?[0-9AaBb]){12,14}(?![0-9A-Za-z])")
_NIR_GROUPS = (1, 2, 2, 2, 3, 3, 2)  # sex, year, month, department, commune, order, key
MASK = "•"


def _mask_number(match: re.Match) -> str:
    chars = re.sub(r"[ .\-]", "", match.group(0))
    if not 13 <= len(chars) <= 15:
        return match.group(0)
    shown = set(range(3))  # sex and year of birth
    if len(chars) == 15:
        shown |= {13, 14}  # the key
    masked = "".join(c if i in shown else MASK for i, c in enumerate(chars))
    groups, pos = [], 0
    for size in _NIR_GROUPS:
        if pos >= len(masked):
            break
        groups.append(masked[pos:pos + size])
        pos += size
    return " ".join(groups)


def looks_like_nir(value) -> bool:
    """True when the whole value is a 13–15 character social-security-like number."""
    return isinstance(value, str) and bool(_NIR_LIKE.fullmatch(value.strip()))


def mask_text(text: str) -> str:
    """Mask every social-security-like number inside a text; the rest is unchanged."""
    return _NIR_LIKE.sub(_mask_number, text)


def mask_identifier(value) -> str:
    """The text of an identifier with any social-security-like number masked.

    Examples
    --------
    >>> mask_identifier("295057512345693")
    '2 95 •• •• ••• ••• 93'
    >>> mask_identifier("D000123")
    'D000123'
    >>> mask_identifier(None)
    ''
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return mask_text(str(value))


# Without the look-arounds (which Arrow's RE2 engine lacks): every value that
# _NIR_LIKE matches also matches this, so it is a fast, exact pre-filter.
_NIR_RUN = r"[0-9](?:[ .\-]?[0-9AaBb]){12}"


def _maybe_nir(text: pd.Series) -> np.ndarray:
    """Values that may hold a social-security-like number (a superset), found in Arrow."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = pa.array(text.array, type=pa.large_string()) if len(text) else None
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arr = None
    if arr is None:
        return text.str.contains(_NIR_RUN, na=False).to_numpy(dtype=bool)
    if not pc.any(pc.greater_equal(pc.utf8_length(arr), 13)).as_py():  # too short to hold 13 digits (most ids)
        return np.zeros(len(text), dtype=bool)
    return pc.fill_null(pc.match_substring_regex(arr, _NIR_RUN), False).to_numpy(zero_copy_only=False)


def mask_identifiers(values: pd.Series) -> pd.Series:
    """:func:`mask_identifier` over a column; a vectorised search first, as most ids are not NIRs."""
    text = values.astype("string")
    hit = _maybe_nir(text)
    if hit.any():
        hit[hit] = text[hit].str.contains(_NIR_LIKE, na=False).to_numpy(dtype=bool)
    if not hit.any():
        return values
    out = values.astype(object).copy()
    out[hit] = [mask_text(v) for v in text[hit]]
    return out


def mask_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy for display: every social-security-like number in any text column masked.

    Notebooks wrap the tables they show in it, so that a log whose case ids are
    NIRs never puts a full number in a stored output.
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object or isinstance(values.dtype, (pd.StringDtype, pd.CategoricalDtype)):
            masked = mask_identifiers(values)
            if masked is not values:
                out[column] = masked.to_numpy()
    if out.index.dtype == object or isinstance(out.index.dtype, pd.StringDtype):
        out.index = pd.Index(mask_identifiers(pd.Series(out.index, dtype=object)).to_numpy(), name=out.index.name)
    return out


def _compact(value: str) -> str:
    return re.sub(r"[ .\-]", "", value.strip()).upper()


def nir_columns(frame: pd.DataFrame, *, share: float = 0.8) -> list[str]:
    """Columns whose non-empty values are mostly (``share``, default 80 %) NIR-like numbers.

    A value is NIR-like when the whole of it is a 13- or 15-character
    social-security-like number (spaces, dots and dashes allowed; ``2A``/``2B``
    for Corsica). Empty columns are not NIR columns.
    """
    found = []
    for column in frame.columns:
        values = frame[column]
        if isinstance(values, pd.DataFrame):  # duplicated header: look at neither
            continue
        if pd.api.types.is_datetime64_any_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
            continue
        if pd.api.types.is_float_dtype(values.dtype):
            continue
        # Judge each distinct value once, weighted by how often it occurs. A cheap
        # filter first (in Arrow, on the distinct values as they are): a column with
        # no candidate at all (most columns, case ids included) is done without
        # counting its rows.
        codes, uniques = distinct_codes(values)
        if isinstance(uniques.dtype, pd.StringDtype):
            text = pd.Series(uniques, copy=False)
        else:
            text = pd.Series(np.asarray(uniques, dtype=object), dtype=object).astype("string")
        maybe = np.flatnonzero(_maybe_nir(text))
        if len(maybe) == 0:
            continue
        text = text.str.strip()
        present = (text.notna() & (text != "")).to_numpy(dtype=bool)
        weight = np.bincount(codes[codes >= 0], minlength=len(uniques))
        n = int(weight[present].sum())
        if n == 0:
            continue
        # The exact pattern on what is left.
        maybe = maybe[present[maybe]]
        like = np.zeros(len(text), dtype=bool)
        if len(maybe):
            cand = text.iloc[maybe]
            compact = cand.str.replace(r"[ .\-]", "", regex=True)
            like[maybe] = (cand.str.fullmatch(_NIR_LIKE).fillna(False) & compact.str.len().isin([13, 15])).to_numpy(
                dtype=bool)
        if int(weight[present & like].sum()) >= share * n:
            found.append(str(column))
    return found


def nir_key_ok(value) -> bool | None:
    """Whether a NIR's key is right: ``True``/``False`` for a 15-character number, else ``None``.

    13-character numbers have no key and are not checked; values that are not
    NIR-like give ``None`` too. Uses ``stdnum.fr.nir``.

    Examples
    --------
    >>> nir_key_ok("2 95 05 75 123 456 18")  # 97 - 2950575123456 % 97 = 18
    True
    >>> nir_key_ok("295057512345619")
    False
    >>> nir_key_ok("2950575123456") is None
    True
    """
    if not looks_like_nir(value):
        return None
    number = _compact(value)
    if len(number) != 15:
        return None
    from stdnum.fr import nir

    return bool(nir.is_valid(number))


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
    log_or_frame : DataFrame or CaseLog
        A raw frame (from :func:`read_caselog`) or a validated ``CaseLog``.
    columns : str or list of str
        The columns to replace (e.g. ``["case_id", "nir"]``).
    salt : str or bytes
        Secret, not empty.

    Returns
    -------
    The same type: a new DataFrame, or a new CaseLog whose events are replaced
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
    from .validate import CaseLog  # here: validate imports this module

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

    if isinstance(log_or_frame, CaseLog):
        log = log_or_frame
        events = log.events
    elif isinstance(log_or_frame, pd.DataFrame):
        log, events = None, log_or_frame
    else:
        raise CaseLogError(
            f"pseudonymise() takes a DataFrame or a CaseLog, got {type(log_or_frame).__name__}."
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
        return out

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
