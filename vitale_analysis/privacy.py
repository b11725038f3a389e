"""Identifiers on screen: never a full social security number.

A French NIR (and an NIA, which looks the same) is 13 digits, or 15 with its
key, sometimes written with spaces, and with ``2A``/``2B`` for Corsica. Any
identifier that looks like one is shown masked: the sex digit, the year of
birth and the key stay, the rest becomes dots — ``2 95 •• •• ••• ••• 93``.
Other identifiers (``D000123``) are shown as they are.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["looks_like_nir", "mask_identifier", "mask_identifiers"]

_NIR = re.compile(r"^[12]\s?\d{2}\s?\d{2}\s?(?:\d{2}|2[AB])\s?\d{3}\s?\d{3}(?:\s?\d{2})?$", re.IGNORECASE)
_NIR_ANYWHERE = re.compile(
    r"(?<![\dA-Za-z])[12]\s?\d{2}\s?\d{2}\s?(?:\d{2}|2[AB])\s?\d{3}\s?\d{3}(?:\s?\d{2})?(?![\dA-Za-z])",
    re.IGNORECASE,
)
MASK = "•"


def looks_like_nir(value) -> bool:
    """True for a 13- or 15-character French social security number (or NIA), spaced or not."""
    return isinstance(value, str) and bool(_NIR.match(value.strip()))


def mask_identifier(value):
    """``'295017512345693'`` → ``'2 95 •• •• ••• ••• 93'``; other values unchanged."""
    if not looks_like_nir(value):
        return value
    compact = re.sub(r"\s", "", value.strip()).upper()
    key = compact[13:15] if len(compact) == 15 else "••"
    return f"{compact[0]} {compact[1:3]} {MASK * 2} {MASK * 2} {MASK * 3} {MASK * 3} {key}"


def mask_identifiers(values: pd.Series) -> pd.Series:
    """:func:`mask_identifier` over a column (vectorised check first: most ids are not NIRs)."""
    text = values.astype("string")
    hit = text.str.strip().str.match(_NIR).fillna(False)
    if not hit.any():
        return values
    out = values.astype(object).copy()
    out[hit.to_numpy()] = [mask_identifier(v) for v in text[hit]]
    return out


def mask_text(text: str) -> str:
    """Mask every NIR-like number inside free text (notes, error messages)."""
    return _NIR_ANYWHERE.sub(lambda m: mask_identifier(m.group(0)), text)
