"""Masking social-security-like numbers in any text, however they are written.

A French NIR (and an NIA, which looks the same) is 13 characters, or 15 with its
key, with ``2A``/``2B`` for Corsica. People write it with spaces, dots, dashes,
slashes or underscores between the digits, with no-break or thin spaces (a French
keyboard's thousands separator), with several spaces or a tab, glued to letters
(``NIR184127645108946``) or in full-width digits. Every such run of 13 to 15
digits (and A/B) is masked wherever it stands — the sex digit, the year of birth
and the key stay, the rest becomes dots: ``2 95 •• •• ••• ••• 93``. A run of 16
or more digits is not a social security number and is left as it is.

This module imports nothing of the package: the error type masks its messages
with it (:mod:`vitale_analysis.errors`), and so does every output.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

import numpy as np
import pandas as pd

__all__ = ["MASK", "NIR_PATTERN", "compact_nir", "looks_like_nir", "mask_identifier", "mask_identifiers",
           "mask_text", "maybe_nir", "printable"]

MASK = "•"

#: Every character ``str.isspace`` calls a space (tab, no-break space, thin and narrow
#: no-break spaces, ideographic space, …), written out for Arrow's RE2 engine.
SPACES = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
          "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
#: Characters that may stand between the digits of a written number: spaces, invisible
#: joiners (zero-width space, word joiner, byte-order mark), dots, dashes, slashes, underscores.
SEPARATORS = SPACES + "\u200b\u200c\u200d\u2060\ufeff./_-\u00b7\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_SEP = "[" + re.escape(SEPARATORS) + "]{0,3}"
_CHAR = r"[\dAaBb\uff21\uff22\uff41\uff42]"  # a digit of any script (full-width included), or 2A/2B's letter

#: A social-security-like number inside a text: a digit not after a digit, then 12 to 14
#: more digits (or A/B), at most three separators between two of them, and no digit after.
NIR_PATTERN = re.compile(rf"(?<!\d)\d(?:{_SEP}{_CHAR}){{12,14}}(?!\d)")
_GROUPS = (1, 2, 2, 2, 3, 3, 2)  # sex, year, month, department, commune, order, key

# For Arrow's RE2 (no look-arounds; \d and \s are ASCII there): every value NIR_PATTERN
# finds something in is also found by this, so it is a fast, exact pre-filter.
_RE2_SEP = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in SEPARATORS) + "]{0,3}"
_RE2_RUN = rf"\p{{Nd}}(?:{_RE2_SEP}[\p{{Nd}}AaBb\x{{ff21}}\x{{ff22}}\x{{ff41}}\x{{ff42}}]){{12}}"


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    r"""``text`` with control characters (NUL, VT, ESC, FF, …; not tab or line break) shown as
    ``\ufffd``: a workbook cannot hold them and a page or chart would hide them.

    >>> printable("CPAM\x1b[31m 75\x00") == "CPAM\ufffd[31m 75\ufffd"
    True
    """
    return _CONTROL.sub("\ufffd", text)


def compact_nir(text: str) -> str:
    """The characters of a written number: separators dropped, digits of any script as ASCII,
    letters upper-case (``"２ Ａ"`` → ``"2A"``)."""
    out = []
    for ch in text:
        if ch in SEPARATORS:
            continue
        digit = unicodedata.digit(ch, None)
        out.append(str(digit) if digit is not None else unicodedata.normalize("NFKC", ch).upper())
    return "".join(out)


def _mask_number(match: re.Match) -> str:
    chars = compact_nir(match.group(0))
    shown = {0, 1, 2}  # sex and year of birth
    if len(chars) == 15:
        shown |= {13, 14}  # the key
    masked = "".join(c if i in shown else MASK for i, c in enumerate(chars))
    groups, pos = [], 0
    for size in _GROUPS:
        if pos >= len(masked):
            break
        groups.append(masked[pos:pos + size])
        pos += size
    return " ".join(groups)


def looks_like_nir(value) -> bool:
    """True when the whole value (spaces around it aside) is a social-security-like number."""
    return isinstance(value, str) and bool(NIR_PATTERN.fullmatch(value.strip(SPACES)))


def mask_text(text: str, shown: Collection[str] = ()) -> str:
    """Mask every social-security-like number inside a text; the rest is unchanged.

    ``shown``: numbers (as :func:`compact_nir` writes them) to leave as written, the ids a
    mapping declared not personal (:attr:`CaseLog.unmasked <vitale_analysis.CaseLog.unmasked>`).

    Examples
    --------
    >>> mask_text("NIR 1 84 12 76 451 089 46, tel. 01 84 90 36 46")
    'NIR 1 84 •• •• ••• ••• 46, tel. 01 84 90 36 46'
    >>> mask_text("n°\\u00a01\\u202f84\\u202f12\\u202f76\\u202f451\\u202f089\\u202f46")
    'n°\\xa01 84 •• •• ••• ••• 46'
    >>> mask_text("NIR184127645108946")
    'NIR1 84 •• •• ••• ••• 46'
    >>> mask_text("dossiers 1712345678901 and 1712345678902", shown={"1712345678901"})
    'dossiers 1712345678901 and 1 71 •• •• ••• •••'
    """
    if not shown:
        return NIR_PATTERN.sub(_mask_number, text)
    return NIR_PATTERN.sub(lambda m: _mask_unless_shown(m, shown), text)


_SEPARATOR_RUN = re.compile("([" + re.escape(SEPARATORS) + "]+)")


def _mask_unless_shown(match: re.Match, shown: Collection[str]) -> str:
    """A number left as written when it is in ``shown``. A run may also hold a shown number
    beside other digits (``row 4  1712345678901``: 14 digits in all): the shown number, between
    separators, stays and the rest is masked on its own."""
    text = match.group(0)
    if compact_nir(text) in shown:
        return text
    parts = _SEPARATOR_RUN.split(text)  # digit groups at even positions, separators between
    n = len(parts)
    for size in range(n - (2 if n > 1 else 0), 0, -2):  # the longest run of whole groups first
        for start in range(0, n - size + 1, 2):
            middle = "".join(parts[start:start + size])
            if compact_nir(middle) in shown:
                left, right = "".join(parts[:start]), "".join(parts[start + size:])
                return mask_text(left, shown) + middle + mask_text(right, shown)
    return _mask_number(match)


def mask_identifier(value, shown: Collection[str] = ()) -> str:
    """The text of an identifier with any social-security-like number masked (but those in ``shown``).

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
    return mask_text(str(value), shown)


def maybe_nir(text: pd.Series) -> np.ndarray:
    """Values of a text column that may hold a social-security-like number (a superset), found in Arrow."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = pa.array(text.array, type=pa.large_string()) if len(text) else None
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arr = None
    if arr is None:
        return text.str.contains(NIR_PATTERN, na=False).to_numpy(dtype=bool)
    if not pc.any(pc.greater_equal(pc.utf8_length(arr), 13)).as_py():  # too short to hold 13 digits (most ids)
        return np.zeros(len(text), dtype=bool)
    return pc.fill_null(pc.match_substring_regex(arr, _RE2_RUN), False).to_numpy(zero_copy_only=False)


def mask_identifiers(values: pd.Series, shown: Collection[str] = ()) -> pd.Series:
    """:func:`mask_identifier` over a column; a vectorised search first, as most ids are not NIRs.

    Returns ``values`` itself when nothing needs masking.
    """
    text = values.astype("string")
    hit = maybe_nir(text)
    if hit.any():
        hit[hit] = text[hit].str.contains(NIR_PATTERN, na=False).to_numpy(dtype=bool)
    if not hit.any():
        return values
    masked = [mask_text(v, shown) for v in text[hit]]
    if shown and all(m == v for m, v in zip(masked, text[hit])):
        return values
    out = values.astype(object).copy()
    out[hit] = masked
    return out
