"""Integer-code helpers against plain-Python loops."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vitale_analysis.codes import used_text_codes


def _reference(values: list) -> tuple[list[int], list[str]]:
    """Trim each value, drop empty and missing ones (code -1), number the rest in text order."""
    texts = [None if v is None or v is pd.NA else str(v).strip() or None for v in values]
    cats = sorted({t for t in texts if t is not None})
    position = {t: i for i, t in enumerate(cats)}
    return [-1 if t is None else position[t] for t in texts], cats


WORDS = ["Lyon", " Lyon", "Paris ", "Évry", "Nice", "", "  ", None, "Arles"]


@pytest.mark.parametrize("kind", ["object", "string", "categorical", "categorical_extra", "categorical_clean"])
def test_used_text_codes_matches_a_python_loop(kind):
    rng = np.random.default_rng(7)
    for trial in range(40):
        n = int(rng.integers(0, 60))
        values = [WORDS[i] for i in rng.integers(0, len(WORDS), n)]
        if kind == "object":
            series = pd.Series(values, dtype=object)
        elif kind == "string":
            series = pd.Series(values, dtype="string")
        elif kind == "categorical":
            series = pd.Series(values, dtype="category")
        elif kind == "categorical_extra":  # categories no row uses, untrimmed ones among them
            present = [v for v in WORDS if v is not None]
            series = pd.Series(pd.Categorical(values, categories=list(dict.fromkeys(present + ["Zut ", "Agen"]))))
        else:  # already trimmed, non-empty and sorted: the codes may stand as they are
            clean = sorted({v.strip() for v in WORDS if v and v.strip()})
            values = [clean[i] for i in rng.integers(0, len(clean), n)]
            series = pd.Series(pd.Categorical(values, categories=clean if trial % 2 else clean + ["Zz"]))
        codes, cats = used_text_codes(series)
        want_codes, want_cats = _reference(values)
        assert list(cats) == want_cats, (kind, trial)
        assert codes.tolist() == want_codes, (kind, trial)


def test_violation_counts_match_a_python_loop():
    """Per case: milestones first reached strictly before the latest first time of the earlier ones,
    with times (missing: NaT, the smallest int64) or first rows (missing: -1)."""
    from vitale_analysis.cases import _NAT
    from vitale_analysis.codes import order_violation_counts

    rng = np.random.default_rng(5)
    for missing in (_NAT, -1):
        for n_m in (1, 2, 3, 8):
            first = rng.integers(0, 6, size=(300, n_m)).astype(np.int64)
            first[rng.random((300, n_m)) < 0.3] = missing  # milestones never reached
            want = []
            for row in first.tolist():
                reached_before = []
                count = 0
                for value in row:
                    if value != missing and reached_before and value < max(reached_before):
                        count += 1
                    if value != missing:
                        reached_before.append(value)
                want.append(count)
            assert order_violation_counts(first, missing).tolist() == want
