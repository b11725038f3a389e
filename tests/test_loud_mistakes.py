"""A wrong mapping is said out loud, with the fix (issue 18, "loud mistakes").

Each test breaks the bundled French export's mapping the way a user would (a label misspelt, the
day/month order, the delimiter) and checks what the command line and Python say. Expected counts
and row numbers are worked out here from the file itself with the csv module, not by the package.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import tomllib
import warnings
from pathlib import Path

import pandas as pd
import pytest

import vitale_analysis as va
from vitale_analysis.cli import EXIT_MOSTLY_SET_ASIDE

DATA = Path(__file__).resolve().parents[1] / "data"
EXPORT = DATA / "sample_export_fr.csv"
MAPPING = DATA / "sample_export_fr.mapping.toml"


def run(*args):
    return subprocess.run([sys.executable, "-m", "vitale_analysis", *args], capture_output=True, text=True,
                          timeout=120)


def rows_of_export() -> list[tuple[int, dict]]:
    """(source row, record) of the export; rows are numbered as the quality report does (1 = the first
    row under the header)."""
    with EXPORT.open(encoding="cp1252", newline="") as fh:
        return [(n, record) for n, record in enumerate(csv.DictReader(fh, delimiter=";"), start=1)]


def broken_mapping(tmp_path, old: str, new: str) -> Path:
    text = MAPPING.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "broken.mapping.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def load_quietly(path, mapping):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        return va.load(path, mapping=mapping)


def test_misspelt_labels_are_named_with_their_rows_and_closest_step(tmp_path):
    spec = tomllib.loads(MAPPING.read_text(encoding="utf-8"))["values"]["event"]
    typos = {"Complément envoyé": "Complement envoye", "Carte Vitale reçue": "Carte vitale recue"}
    mapping = MAPPING.read_text(encoding="utf-8")
    for right, wrong in typos.items():
        mapping = mapping.replace(f'"{right}" =', f'"{wrong}" =', 1)
    path = tmp_path / "typos.mapping.toml"
    path.write_text(mapping, encoding="utf-8")
    counts = {right: sum(r["Étape"] == right for _, r in rows_of_export()) for right in typos}
    assert all(counts.values())

    notes = load_quietly(EXPORT, path).quality.notes
    for right, n in counts.items():
        note = next(note for note in notes if note.startswith(f"event {right!r}") or
                    note.startswith(f'event "{right}"'))
        code = spec[right]  # the step the right mapping gives the label
        assert f": {n:,} rows, not a step" in note, note
        assert f"closest known: {code} (" in note, note
        assert f'e.g. "{right}" = "{code}"' in note and "[values.event]" in note, note

    result = run("validate", str(EXPORT), "--mapping", str(path))
    assert result.returncode == 0, result.stderr
    assert all(right in result.stdout for right in typos)


def test_a_wrong_day_month_order_names_the_setting(tmp_path):
    mapping = broken_mapping(tmp_path, "dayfirst = true", "dayfirst = false")
    records = rows_of_export()
    # Read month-first, a date whose first field is above 12 is no date at all.
    unreadable = {n for n, r in records if int(r["Date"].split("/")[0]) > 12}
    assert 2 * len(unreadable) > len(records)  # (most of them: the exit status below)

    quality = load_quietly(EXPORT, mapping).quality
    aside = quality.failures[quality.failures["check"] == "unparseable_timestamp"]
    assert set(aside["row"]) == unreadable
    note = next(note for note in quality.notes if "dayfirst = true" in note)
    assert f"{len(unreadable):,} of the {len(unreadable):,} timestamps" in note
    assert "dayfirst = true in the mapping file (or dayfirst=True)" in note  # (Python's words)

    result = run("validate", str(EXPORT), "--mapping", str(mapping))
    assert result.returncode == EXIT_MOSTLY_SET_ASIDE == 3, result.stderr
    assert "dayfirst = true in the mapping file (--mapping FILE)" in result.stdout  # (the command line's)
    assert "dayfirst=True" not in result.stdout
    assert f"More than half of the rows were set aside ({len(unreadable):,} of {len(records):,})" in result.stderr

    # Given the right order, nothing is said about it.
    assert not any("dayfirst" in note for note in load_quietly(EXPORT, MAPPING).quality.notes)


@pytest.mark.parametrize("interface", ["command line", "python"])
def test_a_wrong_delimiter_names_the_right_one(tmp_path, interface):
    mapping = broken_mapping(tmp_path, 'delimiter = ";"', 'delimiter = ","')
    if interface == "command line":
        result = run("validate", str(EXPORT), "--mapping", str(mapping))
        assert result.returncode == 2
        message = result.stderr
    else:
        with pytest.raises(va.CaseLogError) as error:
            va.load(EXPORT, mapping=mapping)
        message = str(error.value)
    assert "the file's delimiter looks like ';'" in message
    assert 'Fix: delimiter = ";" in the mapping file' in message
    assert ("(--mapping FILE)" in message) == (interface == "command line")
    assert ("(or delimiter=';')" in message) == (interface == "python")


def test_a_wrong_delimiter_without_a_mapping_names_the_right_one():
    with pytest.raises(va.CaseLogError) as error:
        va.read_caselog(EXPORT, delimiter=",", encoding="cp1252")
    assert "the file's delimiter looks like ';'" in str(error.value)
    assert "Pass delimiter=';'" in str(error.value)


def test_details_list_every_problem_with_its_fix(tmp_path):
    mapping = broken_mapping(tmp_path, "dayfirst = true", "dayfirst = false")
    table = tmp_path / "problems.csv"
    result = run("validate", str(EXPORT), "--mapping", str(mapping), "--details", "--details-csv", str(table))
    assert result.returncode == 3
    quality = load_quietly(EXPORT, mapping).quality
    written = pd.read_csv(table, encoding="utf-8-sig", dtype={"case_id": "string", "value": "string"})
    assert list(written.columns) == ["row", "case_id", "column", "check", "value", "action", "fix"]
    assert len(written) == len(quality.failures)
    assert written["fix"].notna().all()
    unreadable = {n for n, r in rows_of_export() if int(r["Date"].split("/")[0]) > 12}
    assert set(written.loc[written["check"] == "unparseable_timestamp", "row"]) == unreadable
    # In the terminal: each check once with its count and fix, then its rows.
    out = result.stdout
    assert f"unparseable_timestamp ({len(unreadable):,} rows, set aside): fix: write the date as" in out
    first = min(unreadable)
    date = dict(rows_of_export())[first]["Date"]
    assert f"  row {first}  " in out and f"timestamp: {date!r}" in out
    assert "→ --details lists every problem" in out and ".failures" not in out  # (the command line's words)


def test_details_in_french(tmp_path):
    """``validate --lang fr``: the summary, every check's name, action and fix, the row lines, the
    CSV's fixes and the closing message are in French (the texts from the catalogue, checked
    here against words written by hand)."""
    mapping = broken_mapping(tmp_path, "dayfirst = true", "dayfirst = false")
    table = tmp_path / "problemes.csv"
    result = run("validate", str(EXPORT), "--mapping", str(mapping), "--details", "--details-csv", str(table),
                 "--lang", "fr")
    assert result.returncode == 3
    unreadable = {n for n, r in rows_of_export() if int(r["Date"].split("/")[0]) > 12}
    out = result.stdout
    n = f"{len(unreadable):,}".replace(",", "\u202f")
    assert (f"Date illisible ({n} lignes, mise de côté) : correction : écrivez la date comme 31/01/2025 14:30"
            in out), out[:2000]
    first = min(unreadable)
    assert f"  ligne {first}  " in out
    assert "→ --details liste chaque problème" in out and "Problèmes écrits dans" in out
    for english in ("rows read", "fix:", "set aside)", "  row ", "Problems written"):
        assert english not in out
    assert "Plus de la moitié des lignes ont été mises de côté" in result.stderr
    written = pd.read_csv(table, encoding="utf-8-sig")
    fixes = set(written.loc[written["check"] == "unparseable_timestamp", "fix"])
    assert fixes == {"écrivez la date comme 31/01/2025 14:30 ou 2025-01-31 14:30 ; vérifiez l'ordre jour/mois "
                     "(dayfirst) et les notes"}


def test_details_of_a_clean_log_say_so(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("case_id,event,timestamp\nA,registration_submitted,2025-01-06 09:00\n", encoding="utf-8")
    result = run("validate", str(path), "--details")
    assert result.returncode == 0
    assert "No problems: nothing set aside or flagged." in result.stdout


def test_a_missing_column_names_the_fix_of_the_interface(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("Dossier;Etape;Quand\nA;registration_submitted;2025-01-06 09:00\n", encoding="utf-8")
    with pytest.raises(va.CaseLogError) as error:
        va.load(path)
    assert "pass columns={'Dossier': 'case_id', 'Etape': 'event'," in str(error.value)
    result = run("validate", str(path))
    assert result.returncode == 2
    assert 'give --mapping FILE whose [columns] table maps them (header = name: "Dossier" = "case_id"; ' \
        '"Etape" = "event"; "<header for timestamp>" = "timestamp")' in result.stderr
    assert "columns={" not in result.stderr


def test_many_unknown_labels_name_the_most_frequent_and_count_the_rest(tmp_path):
    # Label "qqq k" on k rows (k = 1..12), after a registration: 12 unknown labels, 78 rows.
    lines = ["case_id,event,timestamp"]
    for k in range(1, 13):
        for i in range(k):
            lines += [f"C{k}_{i},registration_submitted,2025-01-06 09:00", f"C{k}_{i},qqq {k},2025-01-07 09:00"]
    path = tmp_path / "log.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    notes = load_quietly(path, None).quality.notes
    named = [note for note in notes if note.startswith("event 'qqq")]
    assert [note.split(":")[0] for note in named] == [f"event 'qqq {k}'" for k in range(12, 2, -1)]
    assert all("nothing close in the model" in note for note in named)
    assert "event 'qqq 12': 12 rows," in named[0] and "event 'qqq 3': 3 rows," in named[-1]
    assert "... and 2 more unknown event labels (.failures lists every row, check 'unknown_event')." in notes
    result = run("validate", str(path))
    assert "... and 2 more unknown event labels (--details lists every row)." in result.stdout


def test_the_summary_names_unknown_labels_in_the_readers_language(tmp_path):
    """describe() in French names each unknown step with its rows and the closest known steps, in French."""
    path = broken_mapping(tmp_path, '"Carte Vitale reçue" =', '"Carte vitale recue" =')
    log = load_quietly(EXPORT, path)
    n = sum(r["Étape"] == "Carte Vitale reçue" for _, r in rows_of_export())
    text = str(va.describe(log, lang="fr"))
    line = next(x for x in text.splitlines() if "« Carte Vitale reçue »" in x)
    assert f"({n} lignes)" in line
    assert "« Carte reçue »" in line.split(";", 1)[1]  # (card_received under its French label)
    assert "[values.event]" in line
    html = va.describe(log, lang="en")._repr_html_()
    assert "Unknown step &quot;Carte Vitale reçue&quot;" in html and "&quot;Card received&quot;" in html
