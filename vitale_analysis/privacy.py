"""Identifiers on screen: never a full social security number.

A French NIR (and an NIA, which looks the same and may start with 7 or 8) is
13 digits, or 15 with its key, with ``2A``/``2B`` for Corsica, written in many
ways. Any run of 13 to 15 such characters is shown masked — the sex digit, the
year of birth and the key stay, the rest becomes dots: ``2 95 •• •• ••• ••• 93``
— wherever it stands (an id, a note, a label, a message, a path): see
:mod:`vitale_analysis.masking` for the forms recognised. Other identifiers
(``D000123``) are shown as they are.

:func:`nir_columns` finds the columns that hold such numbers, as their keys
show, :func:`nir_key_ok` checks a 15-character number's key (``python-stdnum``);
:func:`mask_frame` masks a whole table for display. Ids that only look like a
NIR (13-digit epoch milliseconds) are masked too, unless the mapping declares
their column ``not_personal``: :func:`shown_numbers` lists those that may then
be shown (never one that passes the NIR key). (:func:`~vitale_analysis.sharing.pseudonymise`
replaces identifying columns by salted-hash tokens.) Whether a number is an
NIA or a permanent NIR is never guessed from its digits (see DOMAIN.md).
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from .codes import distinct_codes
from .masking import NIR_PATTERN, compact_nir, looks_like_nir, mask_identifier, mask_identifiers, mask_text, maybe_nir

__all__ = [
    "looks_like_nir",
    "mask_identifier",
    "mask_frame",
    "mask_identifiers",
    "mask_text",
    "nir_columns",
    "nir_key_ok",
    "nir_shaped",
    "shown_numbers",
    "SEX_DIGITS",
]

def mask_frame(frame: pd.DataFrame, shown: Collection[str] = ()) -> pd.DataFrame:
    """A copy for display: every social-security-like number in any text column masked.

    Notebooks wrap the tables they show in it, so that a log whose case ids are
    NIRs never puts a full number in a stored output. ``shown``: numbers left as
    they are (a log's :attr:`~vitale_analysis.CaseLog.unmasked`: ids declared not personal).
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object or isinstance(values.dtype, (pd.StringDtype, pd.CategoricalDtype)):
            masked = mask_identifiers(values, shown)
            if masked is not values:
                out[column] = masked.to_numpy()
    if out.index.dtype == object or isinstance(out.index.dtype, pd.StringDtype):
        out.index = pd.Index(mask_identifiers(pd.Series(out.index, dtype=object), shown).to_numpy(),
                             name=out.index.name)
    return out


#: First characters a social security number can start with: 1 (man), 2 (woman), 3 and 4 (people
#: born abroad while being registered), 7 and 8 (temporary numbers, NIA).
SEX_DIGITS = frozenset("123478")


def nir_shaped(value) -> bool:
    """True when the whole value is a 13- or 15-character social-security-like number whose first
    digit is a plausible sex digit (1, 2, 3, 4, 7 or 8); spaces, dots and dashes allowed.

    >>> nir_shaped("2 95 05 75 123 456 18"), nir_shaped("1712345678901"), nir_shaped("5712345678901")
    (True, True, False)
    """
    if not looks_like_nir(value):
        return False
    number = compact_nir(value.strip())
    return len(number) in (13, 15) and number[0] in SEX_DIGITS


def nir_columns(frame: pd.DataFrame, *, share: float = 0.8, key_share: float = 0.5) -> list[str]:
    """Columns that hold social security numbers (NIRs), as their keys show.

    A column holds NIRs when both hold:

    * at least ``share`` (80 %) of its non-empty rows are NIR-shaped (:func:`nir_shaped`:
      13 or 15 characters, sex digit 1, 2, 3, 4, 7 or 8; ``2A``/``2B`` for Corsica);
    * at least ``key_share`` (half) of its distinct 15-character values pass the key check
      (:func:`nir_key_ok`). A number that is not a NIR has the right key by chance once in
      97; half of them right means NIRs, some with a typo.

    A column without any 15-character value (13-digit numbers only: epoch milliseconds,
    other ids, or NIRs written without their key) has no key to check and is not listed:
    its values are masked on screen all the same (:func:`mask_text`). Empty columns are
    not NIR columns.
    """
    return nir_columns_from_counts([nir_column_counts(frame)], share=share, key_share=key_share)


def nir_column_counts(frame: pd.DataFrame) -> dict[str, dict]:
    """What :func:`nir_columns` decides on, for each column with NIR-like values, in a form that
    adds up over parts of a log: ``n`` (non-empty rows), ``like`` (NIR-shaped rows), and the
    hashes of the distinct 15-character NIR-shaped values (trimmed) whose key is right
    (``ok``) and wrong (``bad``), so that a value in two parts counts once.
    """
    counts = {}
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
        # no candidate at all (most columns) is done without counting its rows.
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
            like[maybe] = [nir_shaped(v) for v in text.iloc[maybe]]
        shaped = text.iloc[np.flatnonzero(like)]
        keys = [nir_key_ok(v) for v in shaped]  # None: 13 characters, no key
        distinct = pd.unique(shaped.to_numpy(dtype=object))  # (trimmed: two spellings of one value count once)
        hashed = dict(zip(distinct, pd.util.hash_array(distinct) if len(distinct) else []))
        ok = np.unique([hashed[v] for v, k in zip(shaped, keys) if k is True]).astype(np.uint64)
        bad = np.unique([hashed[v] for v, k in zip(shaped, keys) if k is False]).astype(np.uint64)
        counts[str(column)] = {"n": n, "like": int(weight[present & like].sum()), "ok": ok, "bad": bad}
    return counts


def nir_columns_from_counts(parts: list[dict[str, dict]], *, share: float = 0.8,
                            key_share: float = 0.5) -> list[str]:
    """:func:`nir_columns` of a whole log from its parts' :func:`nir_column_counts`: rows summed,
    distinct keyed values counted once over all parts. Columns in the order first seen."""
    found = []
    for column in dict.fromkeys(c for part in parts for c in part):
        mine = [part[column] for part in parts if column in part]
        n, like = sum(m["n"] for m in mine), sum(m["like"] for m in mine)
        if n == 0 or like < share * n:
            continue
        ok = np.unique(np.concatenate([m["ok"] for m in mine]))
        keyed = len(np.union1d(ok, np.concatenate([m["bad"] for m in mine])))
        if keyed and len(ok) >= key_share * keyed:
            found.append(column)
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


def shown_numbers(values: pd.Series) -> tuple[frozenset[str], int]:
    """The social-security-shaped numbers of a column declared not personal that may be shown,
    and how many of its distinct numbers stay masked because they pass the NIR key.

    Numbers are written as :func:`compact_nir` writes them (what :func:`mask_text`'s
    ``shown`` takes). A 15-character number with a valid key is a real NIR, whatever the
    mapping says: it stays masked. A 13-character number has no key to check: the
    declaration is all there is, and it is shown.

    >>> shown_numbers(pd.Series(["1712345678901", "D1", "1 85 05 75 123 456 73"]))
    (frozenset({'1712345678901'}), 1)
    """
    _, uniques = distinct_codes(values)
    text = pd.Series(np.asarray(uniques, dtype=object), dtype=object).astype("string")
    hit = maybe_nir(text)
    shown, real = set(), set()
    for value in text[hit]:
        for match in NIR_PATTERN.finditer(value):
            number = compact_nir(match.group(0))
            (real if len(number) == 15 and nir_key_ok(number) else shown).add(number)
    return frozenset(shown), len(real)
