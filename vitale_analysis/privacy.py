"""Identifiers on screen: never a full social security number.

A French NIR (and an NIA, which looks the same and may start with 7 or 8) is
13 digits, or 15 with its key, sometimes written with spaces, dots or dashes,
and with ``2A``/``2B`` for Corsica. Any run of 13 to 15 such characters is
shown masked — the sex digit, the year of birth and the key stay, the rest
becomes dots: ``2 95 •• •• ••• ••• 93`` — wherever it stands (an id, a note,
a message). Other identifiers (``D000123``) are shown as they are.

:func:`nir_columns` finds the columns that hold such numbers, :func:`nir_key_ok`
checks a 15-character number's key (``python-stdnum``); :func:`mask_frame`
masks a whole table for display. (:func:`~vitale_analysis.sharing.pseudonymise`
replaces identifying columns by salted-hash tokens.) Whether a number is an
NIA or a permanent NIR is never guessed from its digits (see DOMAIN.md).
"""

from __future__ import annotations

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
