"""Identifiers on screen: never a full social security number.

A French NIR (and an NIA, which looks the same and may start with 7 or 8) is
13 digits, or 15 with its key, with ``2A``/``2B`` for Corsica, written in many
ways. Any run of 13 to 15 such characters is shown masked — the sex digit, the
year of birth and the key stay, the rest becomes dots: ``2 95 •• •• ••• ••• 93``
— wherever it stands (an id, a note, a label, a message, a path): see
:mod:`vitale_analysis.masking` for the forms recognised. Other identifiers
(``D000123``) are shown as they are.

:func:`nir_columns` finds the columns that hold such numbers, :func:`nir_key_ok`
checks a 15-character number's key (``python-stdnum``); :func:`mask_frame`
masks a whole table for display. (:func:`~vitale_analysis.sharing.pseudonymise`
replaces identifying columns by salted-hash tokens.) Whether a number is an
NIA or a permanent NIR is never guessed from its digits (see DOMAIN.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .codes import distinct_codes
from .masking import compact_nir, looks_like_nir, mask_identifier, mask_identifiers, mask_text, maybe_nir

__all__ = [
    "looks_like_nir",
    "mask_identifier",
    "mask_frame",
    "mask_identifiers",
    "mask_text",
    "nir_columns",
    "nir_key_ok",
]

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
        maybe = np.flatnonzero(maybe_nir(text))
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
            like[maybe] = [looks_like_nir(v) and len(compact_nir(v)) in (13, 15) for v in cand]
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
    number = compact_nir(value.strip())
    if len(number) != 15:
        return None
    from stdnum.fr import nir

    return bool(nir.is_valid(number))
