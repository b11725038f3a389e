"""Identifiers on screen: never a full social security number.

A French NIR (and an NIA, which looks the same and may start with 7 or 8) is
13 digits, or 15 with its key, sometimes written with spaces, dots or dashes,
and with ``2A``/``2B`` for Corsica. Any run of 13 to 15 such characters is
shown masked — the sex digit, the year of birth and the key stay, the rest
becomes dots: ``2 95 •• •• ••• ••• 93`` — wherever it stands (an id, a note,
a message). Other identifiers (``D000123``) are shown as they are.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["looks_like_nir", "mask_identifier", "mask_identifiers", "mask_text"]

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


def mask_identifiers(values: pd.Series) -> pd.Series:
    """:func:`mask_identifier` over a column; a vectorised search first, as most ids are not NIRs."""
    text = values.astype("string")
    hit = text.str.contains(_NIR_LIKE, na=False).to_numpy(dtype=bool)
    if not hit.any():
        return values
    out = values.astype(object).copy()
    out[hit] = [mask_text(v) for v in text[hit]]
    return out
