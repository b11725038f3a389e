"""The mapping assistant (suggest_mapping, ``vitale-analysis mapping``) on the test corpus.

The corpus (tests/data/exports, written by make_exports.py before the assistant) has the
answer of each export in ``<file>.truth.json``, written from the wording tables of the
script, not by the assistant. What must hold, file by file:

- no ``sure`` proposal is wrong (on the held-out files too);
- the settings (encoding, delimiter, sheet, header row, day/month order) are the answer's;
- the file loads with the suggested mapping plus the TODO lines filled in, and with the
  ``check`` lines corrected it gives the same events as the answer's mapping;
- the model file's synonyms hold no wording that only a held-out file uses.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
import warnings
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pytest

import vitale_analysis as va
from vitale_analysis import i18n
from vitale_analysis.assistant import normalise, suggest_mapping

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "exports"
EXPORTS = sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".csv", ".tsv", ".xlsx", ".parquet"))
HELD_OUT = [name for name in EXPORTS if name.startswith("heldout_")]


def truth(name: str) -> dict:
    return json.loads((CORPUS / f"{name}.truth.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def suggested(name: str):
    return suggest_mapping(CORPUS / name)


def answer(proposal, mapping: dict):
    if proposal.kind == "column":
        return mapping.get("columns", {}).get(proposal.label)
    if proposal.kind == "milestone_column":
        return mapping.get("milestone_columns", {}).get(proposal.label)
    return mapping.get("values", {}).get(proposal.kind, {}).get(proposal.label)


def quiet_load(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        return va.load(path, **kw)


def test_the_corpus_is_large_enough_and_a_third_is_held_out():
    assert len(EXPORTS) >= 12
    assert len(HELD_OUT) * 3 >= len(EXPORTS)
    kinds = {Path(n).suffix for n in EXPORTS}
    assert {".csv", ".xlsx", ".parquet"} <= kinds
    assert sum(1 for n in EXPORTS if "milestone_columns" in truth(n)["mapping"]) >= 2  # (trackers)


@pytest.mark.parametrize("name", EXPORTS)
def test_no_sure_proposal_is_wrong(name):
    mapping = truth(name)["mapping"]
    wrong = [(p.kind, p.label, p.target, answer(p, mapping), round(p.score))
             for p in suggested(name).proposals if p.status == "sure" and p.target != answer(p, mapping)]
    assert not wrong


@pytest.mark.parametrize("name", EXPORTS)
def test_the_settings_are_found_from_the_file(name):
    mapping = truth(name)["mapping"]
    settings = suggested(name).settings
    for key in ("encoding", "delimiter", "sheet", "header_row", "dayfirst"):
        assert settings.get(key) == mapping.get(key), key


def filled(text: str, mapping: dict, *, fix_checks: bool) -> dict:
    """The suggested TOML with its TODO lines filled in from the answer (and, with ``fix_checks``, its
    'check' lines set to the answer's value), parsed."""
    lines, table = [], None
    for line in text.splitlines():
        header = re.match(r"^\[(.+?)\]", line)
        if header:
            table = header.group(1)
        todo = re.match(r'^# TODO (".*?") = ""', line)
        check = re.match(r'^(".*?") = .*# check', line)
        if (todo or (check and fix_checks)) and table:
            label = tomllib.loads(f"x = {(todo or check).group(1)}")["x"]
            where = mapping.get(table, {}) if "." not in table else mapping["values"].get(table.split(".")[1], {})
            value = where.get(label)
            if value is None:
                if check:
                    continue  # (a guess for a label with no place: left out)
                lines.append(line)
                continue
            rendered = ("true" if value else "false") if isinstance(value, bool) else json.dumps(value)
            line = f"{(todo or check).group(1)} = {rendered}"
        lines.append(line)
    return tomllib.loads("\n".join(lines))


@pytest.mark.parametrize("name", EXPORTS)
def test_the_file_loads_with_the_suggestion_and_the_todo_lines_filled(name):
    mapping = truth(name)["mapping"]
    text = suggested(name).to_toml()
    expected = quiet_load(CORPUS / name, mapping=mapping)
    got = quiet_load(CORPUS / name, mapping=filled(text, mapping, fix_checks=False))
    assert got.quality.rows_read == expected.quality.rows_read
    assert got.events["case_id"].nunique() == expected.events["case_id"].nunique()
    # With the guesses corrected as well, the events are the answer's, row for row.
    fixed = quiet_load(CORPUS / name, mapping=filled(text, mapping, fix_checks=True))
    columns = ["case_id", "event", "timestamp", "trigger"]
    pd.testing.assert_frame_equal(fixed.events[columns].astype(str).reset_index(drop=True),
                                  expected.events[columns].astype(str).reset_index(drop=True))


def test_the_labels_the_model_has_no_place_for_are_todo_lines():
    for name in EXPORTS:
        unknown = truth(name)["unknown"]["event"]
        by_label = {p.label: p for p in suggested(name).proposals if p.kind == "event"}
        for label in unknown:
            assert by_label[label].status == "todo", (name, label)
            line = next(x for x in suggested(name).to_toml().splitlines() if x.startswith(f'# TODO "{label}"'))
            assert f"{by_label[label].count} rows" in line


def labels_of(names) -> list[str]:
    out = []
    for name in names:
        mapping = truth(name)["mapping"]
        out += [*mapping.get("columns", {}), *mapping.get("milestone_columns", {})]
        for table in mapping.get("values", {}).values():
            out += list(table)
    return out


def test_the_synonyms_hold_no_wording_of_the_held_out_files_only():
    """A synonym or a short form written for a held-out label would make its numbers a tuning score."""
    model = va.CARTE_VITALE
    short = {k.lower(): v for k, v in model.abbreviations.items()}
    tuning = [n for n in EXPORTS if n not in HELD_OUT]
    seen = {normalise(x, short) for x in labels_of(tuning)}
    seen |= {normalise(x, short) for pair in i18n.CATALOGUE.values() for x in pair}  # (the model's own words)
    held = {normalise(x, short) for x in labels_of(HELD_OUT)}
    synonyms = [w for table in model.synonyms.values() for ws in table.values() for w in ws]
    leaked = sorted(w for w in synonyms if normalise(w, short) in held and normalise(w, short) not in seen)
    assert not leaked
    # A short form must be one a tuning file (or the model's own labels) uses.
    tokens = {t for x in labels_of(tuning) for t in re.split(r"[^0-9a-z]+", fold_words(x)) if t}
    unused = sorted(k for k in short if fold_words(k) not in tokens)
    assert not unused


def fold_words(text: str) -> str:
    import unicodedata

    return "".join(ch for ch in unicodedata.normalize("NFKD", str(text)) if not unicodedata.combining(ch)).lower()


def test_day_order_is_read_from_the_dates(tmp_path):
    day_first = tmp_path / "d.csv"
    day_first.write_text("Dossier;Étape;Date\nA1;Dossier envoyé;03/02/2025\nA1;Carte Vitale reçue;25/02/2025\n",
                         encoding="utf-8")
    month_first = tmp_path / "m.csv"
    month_first.write_text("Case,Step,Date\nA1,Dossier submitted,02/03/2025\nA1,Card received,02/25/2025\n",
                           encoding="utf-8")
    unclear = tmp_path / "u.csv"
    unclear.write_text("Dossier;Étape;Date\nA1;Dossier envoyé;03/02/2025\nA1;Carte Vitale reçue;04/02/2025\n",
                       encoding="utf-8")
    assert suggest_mapping(day_first).settings["dayfirst"] is True
    assert suggest_mapping(month_first).settings["dayfirst"] is False
    s = suggest_mapping(unclear)
    assert "dayfirst" not in s.settings
    assert "# TODO dayfirst = true" in s.to_toml()
    iso = tmp_path / "i.csv"
    iso.write_text("Dossier;Étape;Date\nA1;Dossier envoyé;2025-02-03\n", encoding="utf-8")
    assert "dayfirst" not in suggest_mapping(iso).to_toml()  # (nothing to decide: no TODO line either)


def test_words_are_compared_without_accents_case_typos_or_short_forms():
    abbreviations = {"cv": "carte vitale", "decl": "déclaration"}
    assert normalise("Décl. d'activité ACCEPTÉE", abbreviations) == normalise("declaration activite acceptee")
    assert normalise("CV reçue", abbreviations) == normalise("Carte Vitale reçue")
    s = suggest_mapping(CORPUS / "fautes_frappe.csv")
    by_label = {p.label: p for p in s.proposals if p.kind == "event"}
    assert by_label["attestaion de droits disponible"].target == "rights_opened"  # (a typo)
    assert by_label["Carte vitale recu"].target == "card_received"  # (no accent, no agreement)


def test_the_toml_is_valid_and_says_how_sure_each_line_is():
    s = suggested("caisse_export_fr.csv")
    text = s.to_toml()
    parsed = tomllib.loads(text)
    assert parsed == {k: v for k, v in s.mapping.items()}  # (what the file says is .mapping)
    for line in text.splitlines():
        if line.startswith('"'):
            assert re.search(r"# (sure|check) \(\d+\)", line), line
    counts = s.counts()
    assert f"{counts['sure']} sure, {counts['check']} to check, {counts['todo']} TODO" in text


def test_another_process_is_matched_against_its_own_names(tmp_path):
    model = va.ProcessModel.from_dict({
        "name": "permit",
        "milestones": ["application_received", "completeness_checked", "decision_sent"],
        "phases": ["intake", "decision"],
        "events": ["site_visit"],
        "synonyms": {"event": {"site_visit": ["visite sur place"]}},
    })
    path = tmp_path / "permits.csv"
    rows = ["Ref;What;When"]
    for i in range(6):
        rows += [f"P{i};Application received;0{i + 1}/03/2025", f"P{i};Completeness checked;1{i}/03/2025",
                 f"P{i};Visite sur place;20/03/2025", f"P{i};Decision sent;2{i}/04/2025"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    s = suggest_mapping(path, model)
    assert s.mapping["values"]["event"] == {"Application received": "application_received",
                                            "Completeness checked": "completeness_checked",
                                            "Visite sur place": "site_visit", "Decision sent": "decision_sent"}
    assert s.mapping["columns"]["Ref"] == "case_id"
    log = quiet_load(path, process=model, mapping=s.mapping)
    assert set(log.events["event"]) == {"application_received", "completeness_checked", "site_visit",
                                        "decision_sent"}


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "vitale_analysis", *args], cwd=cwd, capture_output=True,
                          text=True, env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})


def test_the_command_writes_a_mapping_that_validate_reads(tmp_path):
    out = tmp_path / "m.toml"
    run = cli("mapping", str(CORPUS / "abreviations.csv"), "--out", str(out), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert out.exists() and "to check" in run.stdout and "validate" in run.stdout
    again = cli("mapping", str(CORPUS / "abreviations.csv"), "--out", str(out), cwd=tmp_path)
    assert again.returncode == 2 and "--force" in again.stderr  # (an edited mapping is never overwritten)
    check = cli("validate", str(CORPUS / "abreviations.csv"), "--mapping", str(out), cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    printed = cli("mapping", str(CORPUS / "english_log.csv"), cwd=tmp_path)
    assert printed.returncode == 0
    assert tomllib.loads(printed.stdout)["columns"]["Case ID"] == "case_id"  # (stdout is the mapping alone)
    bad = cli("mapping", str(CORPUS / "abreviations.csv"), "--out", str(tmp_path / "m.txt"), cwd=tmp_path)
    assert bad.returncode == 2 and ".toml" in bad.stderr


# ============================================================================ the interactive step
def test_the_editor_lets_a_person_correct_and_save_the_mapping(tmp_path):
    from vitale_analysis.widgets import MappingEditor

    used = []
    target = tmp_path / "sigles.mapping.toml"
    editor = MappingEditor(CORPUS / "heldout_sigles.csv", lang="fr", save_to=target, on_use=used.append)
    assert "L&#x27;assistant a lu heldout_sigles.csv" in editor.children[1].value
    menu = editor.controls[("event", "Dépôt DA")]
    assert menu.value is None  # (not placed by the assistant)
    labels = dict(menu.options)
    assert labels["Déclaration d'activité déposée"] == "registration_submitted"  # (French labels, not codes)
    menu.value = "registration_submitted"
    editor.controls[("event", "Point téléphonique")].value = None  # (left as it is)
    assert editor.mapping["values"]["event"]["Dépôt DA"] == "registration_submitted"

    editor.controls["save"].click()
    assert target.exists() and "enregistrée" in editor.message.value
    text = target.read_text(encoding="utf-8")
    assert '"Dépôt DA" = "registration_submitted"  # chosen by hand' in text
    assert tomllib.loads(text)["values"]["event"]["Dépôt DA"] == "registration_submitted"
    target.write_text("# edited by hand\n", encoding="utf-8")
    editor.controls["save"].click()  # (an existing file is not replaced unless asked)
    assert target.read_text(encoding="utf-8") == "# edited by hand\n" and "existe déjà" in editor.message.value
    editor.controls["replace"].value = True
    editor.controls["save"].click()
    assert tomllib.loads(target.read_text(encoding="utf-8"))["values"]["event"]["Dépôt DA"] == "registration_submitted"

    editor.controls["use"].click()
    assert used == [editor.mapping]
    log = quiet_load(CORPUS / "heldout_sigles.csv", mapping=target)
    assert (log.events["event"] == "registration_submitted").sum() == 140  # (one per dossier of the export)


def test_the_proposals_table_speaks_the_readers_language():
    s = suggested("heldout_sigles.csv")
    table = s.table("fr", only=("check", "todo"))
    assert list(table.columns) == ["Quoi", "Dans le fichier", "Lu comme", "Certitude", "Lignes"]
    assert not any(i18n.snake_case_words(str(v)) for v in table.to_numpy().ravel())
    assert set(table["Certitude"].str.replace(r" \(\d+\)", "", regex=True)) <= {"à vérifier", "non placé"}


def test_a_log_of_another_process_is_told_to_bring_its_model():
    s = suggest_mapping(ROOT / "tests" / "data" / "external" / "receipt.xes.gz")  # (a Dutch permit log)
    assert s.counts()["sure"] == 0
    assert any("not in the process model" in n and "process=" in n for n in s.notes)
