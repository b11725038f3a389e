"""How the mapping assistant does on the test corpus: ``python benchmarks/assistant_corpus.py``.

For each export of ``tests/data/exports/`` (written by ``make_exports.py`` with its answer
in ``<file>.truth.json``), every proposal of :func:`vitale_analysis.suggest_mapping` is
graded against the answer: sure and right, sure and wrong, to check and right, to check
and wrong, TODO (not placed). The held-out files (``heldout_*``) are reported apart: they
were kept out of the tuning of the synonyms, abbreviations and thresholds. The settings
(encoding, delimiter, sheet, header row, day/month order) are graded too.

Results are written down in ``benchmarks/RESULTS_assistant.md``.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from vitale_analysis.assistant import suggest_mapping  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "exports"
SETTINGS = ("encoding", "delimiter", "sheet", "header_row", "dayfirst")
GRADES = ("sure_right", "sure_wrong", "check_right", "check_wrong", "todo_placeable", "todo_unknown")


def exports() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.suffix in (".csv", ".tsv", ".xlsx", ".parquet"))


def answer(proposal, mapping: dict):
    """What the answer maps the proposal's label to (None: no place in the model)."""
    if proposal.kind == "column":
        return mapping.get("columns", {}).get(proposal.label)
    if proposal.kind == "milestone_column":
        return mapping.get("milestone_columns", {}).get(proposal.label)
    return mapping.get("values", {}).get(proposal.kind, {}).get(proposal.label)


def grade(path: Path) -> tuple[dict[str, int], list[tuple], dict]:
    """Counts per grade, the wrong or unplaced proposals, and the settings that differ."""
    truth = json.loads((path.parent / (path.name + ".truth.json")).read_text(encoding="utf-8"))
    mapping = truth["mapping"]
    suggestion = suggest_mapping(path)
    counts = dict.fromkeys(GRADES, 0)
    misses = []
    for p in suggestion.proposals:
        want = answer(p, mapping)
        if p.status == "todo":
            counts["todo_placeable" if want is not None else "todo_unknown"] += 1
            if want is not None:
                misses.append((p.kind, p.label, None, want, p.status, round(p.score)))
            continue
        right = p.target == want
        counts[f"{p.status}_{'right' if right else 'wrong'}"] += 1
        if not right:
            misses.append((p.kind, p.label, p.target, want, p.status, round(p.score)))
    settings = {k: (suggestion.settings.get(k), mapping.get(k)) for k in SETTINGS
                if suggestion.settings.get(k) != mapping.get(k)}
    return counts, misses, settings


def main() -> None:
    warnings.simplefilter("ignore")
    totals = {"tuning": dict.fromkeys(GRADES, 0), "held-out": dict.fromkeys(GRADES, 0)}
    print("| file | set | " + " | ".join(GRADES) + " | settings wrong |")
    print("|---|---|" + "---|" * (len(GRADES) + 1))
    for path in exports():
        counts, misses, settings = grade(path)
        part = "held-out" if path.name.startswith("heldout_") else "tuning"
        for k, v in counts.items():
            totals[part][k] += v
        print(f"| {path.name} | {part} | " + " | ".join(str(counts[g]) for g in GRADES)
              + f" | {', '.join(settings) or '—'} |")
        if "-v" in sys.argv:
            for miss in misses:
                print("    ", miss)
    for part, counts in totals.items():
        print(f"| **all {part}** | | " + " | ".join(str(counts[g]) for g in GRADES) + " | |")


if __name__ == "__main__":
    main()
