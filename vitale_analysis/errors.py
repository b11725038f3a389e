"""The project's own exception and warning types.

Every problem a user can act on raises :class:`CaseLogError` (a ``ValueError``)
whose message names the file, the row or case, the column, the bad value and the
fix. Data-quality problems that do not stop the analysis are not exceptions: they
become rows of the :class:`~vitale_analysis.validate.QualityReport` and, when
rows are set aside, a :class:`DataQualityWarning`.
"""

from __future__ import annotations

import contextvars
import difflib
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from .masking import mask_text

__all__ = ["CaseLogError", "DataQualityWarning", "closest_names", "fold", "fix_for", "interface"]


class CaseLogError(ValueError):
    """A case log, mapping or process model that cannot be used as given.

    The message says what is wrong, where (file, row, column), and how to fix it.
    A social-security-like number in it (a header or value it quotes, a file
    name) is masked: messages are printed, logged and shown in notebooks.
    """

    def __init__(self, message="", *args):
        super().__init__(mask_text(message) if isinstance(message, str) else message, *args)


class DataQualityWarning(UserWarning):
    """Rows were set aside or flagged while validating a case log (its message masked as
    :class:`CaseLogError`'s)."""

    def __init__(self, message="", *args):
        super().__init__(mask_text(message) if isinstance(message, str) else message, *args)


def closest_names(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Candidates that look like ``name`` (case and accents loosely ignored)."""
    candidates = [str(c) for c in candidates]
    folded = {fold(c): c for c in candidates}
    hits = difflib.get_close_matches(fold(name), list(folded), n=n, cutoff=0.6)
    return [folded[h] for h in hits]


def fold(text: str) -> str:
    """``text`` lower-cased, without accents, spaces or punctuation: how names are compared."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return "".join(ch for ch in text.lower() if ch.isalnum())


# The interface a message will be shown in: its fix names that interface's setting
# (``mapping=…`` in Python, ``--mapping FILE`` on the command line).
_INTERFACE: contextvars.ContextVar[str] = contextvars.ContextVar("vitale_analysis_interface", default="python")


@contextmanager
def interface(name: str) -> Iterator[None]:
    """Within the block, messages name the fixes of ``name``: ``"python"`` (the default) or ``"cli"``
    (the command line sets it)."""
    if name not in ("python", "cli"):
        raise ValueError(f"interface {name!r}: use 'python' or 'cli'")
    token = _INTERFACE.set(name)
    try:
        yield
    finally:
        _INTERFACE.reset(token)


def fix_for(python: str, cli: str) -> str:
    """The fix in the words of the interface the message is shown in (see :func:`interface`)."""
    return cli if _INTERFACE.get() == "cli" else python
