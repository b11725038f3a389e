"""The dashboard's first step without a browser: a file sent, typed or picked, its mapping, progress, errors.

An upload is simulated as ipywidgets 8 receives one from the browser: the FileUpload's
``value`` set to a list of dicts (name, type, size, last_modified, content as a memoryview).
The numbers shown are compared with ``va.load`` of the same file and with counts made here
with the csv module; the errors shown with the ``CaseLogError`` that ``va.load`` raises on the
same file. ``vitale_analysis.suggest_mapping`` is written elsewhere: its tests here put a stand-in
with the agreed API (``.mapping``, ``.to_toml()``, ``.todo``) in its place.
"""

from __future__ import annotations

import base64
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from types import SimpleNamespace

import pytest
from pandas.testing import assert_frame_equal
from test_languages import check, visible_text

import vitale_analysis as va
from vitale_analysis.widgets import Dashboard
from vitale_analysis.widgets.source import find_file, start_folder

PROJECT = Path(__file__).resolve().parents[1]
DATA = PROJECT / "data"
EXPORT = DATA / "sample_export_fr.csv"
MAPPING = DATA / "sample_export_fr.mapping.toml"


def sent(path: Path, name: str | None = None, kind: str = "text/csv") -> list[dict]:
    """What the kernel holds once the browser has sent ``path`` through a FileUpload (ipywidgets 8: the
    deserialized value, ``last_modified`` a datetime, ``content`` a memoryview)."""
    content = path.read_bytes()
    return [{"name": name or path.name, "type": kind, "size": len(content),
             "last_modified": datetime(2025, 1, 1, tzinfo=UTC), "content": memoryview(content)}]


def dossiers_in_export() -> int:
    """The French export's distinct dossier numbers, counted with the csv module (rows set aside by validation
    are exact duplicates, so they add no dossier)."""
    with open(EXPORT, encoding="cp1252", newline="") as fh:
        return len({row["N° dossier"] for row in csv.DictReader(fh, delimiter=";")})


def load_quietly(path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        return va.load(path, **kwargs)


def page_text(dashboard) -> str:
    return unescape(dashboard.source_step.message.value)


@pytest.fixture
def folder(tmp_path) -> Path:
    """A start folder holding data/ with the French export and its mapping."""
    (tmp_path / "data").mkdir()
    for path in (EXPORT, MAPPING):
        shutil.copy2(path, tmp_path / "data" / path.name)
    return tmp_path


@pytest.fixture
def temp_root(tmp_path, monkeypatch) -> Path:
    """Python's temporary folder, pointed at an empty folder of the test's, to see what is left in it."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


# ============================================================================ upload
def test_an_upload_without_its_mapping_says_why_then_reads_with_it(folder, temp_root):
    dashboard = Dashboard(folder=folder)
    step = dashboard.source_step
    assert dashboard.log is None and dashboard.headline == "" and dashboard.explorers == []
    step.controls["upload"].value = sent(EXPORT)
    # French headers without the mapping: va.load's own message, in the page, about the file's own name.
    with pytest.raises(va.CaseLogError) as expected:
        load_quietly(EXPORT)
    shown = page_text(dashboard)
    assert str(expected.value).replace(str(EXPORT), "sample_export_fr.csv") in shown
    assert "required column(s) 'case_id'" in shown and str(temp_root) not in shown
    assert "could not be used" in shown and "vitale-source-error" in step.message.value
    assert dashboard.log is None
    # The mapping file sent next: the same upload is read with it.
    step.controls["mapping"].value = "file"
    step.controls["mapping_upload"].value = sent(MAPPING, kind="application/toml")
    reference = load_quietly(EXPORT, mapping=MAPPING)
    assert dashboard.log is not None and step.error is None
    assert_frame_equal(dashboard.log.events, reference.events)
    n = len(va.case_table(reference))
    assert n == dossiers_in_export() == 164
    assert dashboard.headline.startswith("164 dossiers as of 30 June 2025")
    assert "164 dossiers" in unescape(dashboard._headline.value)
    assert "sample_export_fr.csv: 1,102 rows read, 1,101 kept, 1 set aside." in page_text(dashboard)
    assert "1 × Duplicate row" in page_text(dashboard)
    assert [e.cases.as_of for e in dashboard.explorers] == [reference.as_of(None)] * 5  # (every tab)
    assert list(temp_root.iterdir()) == []  # the temporary copies are gone


def test_the_reading_steps_are_shown_in_order(folder):
    dashboard = Dashboard(folder=folder)
    step = dashboard.source_step
    seen = []
    step.status.observe(lambda change: seen.append((step.progress.value, unescape(change["new"]))), names="value")
    step.controls["mapping"].value = "file"
    step.controls["mapping_path"].value = "data/sample_export_fr.mapping.toml"
    step.controls["upload"].value = sent(EXPORT)
    texts = [text for _, text in seen]
    assert [value for value, _ in seen] == [0, 1, 2, 3]
    assert [t.split(">")[1].split("<")[0] for t in texts] == [
        "Reading the file…", "Checking the rows…", "Building the case table…", "Drawing the tabs…"]
    assert step._progress_row.layout.display == "none"  # hidden once done


def test_a_file_that_fails_later_leaves_the_page_as_it_was(folder, tmp_path):
    good = Dashboard.open(str(EXPORT), mapping=str(MAPPING), folder=folder)
    shown = good.log
    tabs = good.tabs
    broken = tmp_path / "broken.csv"
    broken.write_text("case_id,event,timestamp\nD1,registration_submitted,not a date\n", encoding="utf-8")
    good.source_step.controls["mapping"].value = "none"  # (reads the export again without its mapping: fails)
    good.source_step.controls["upload"].value = sent(broken)
    with pytest.raises(va.CaseLogError) as expected:
        load_quietly(broken)
    assert str(expected.value).replace(str(broken), "broken.csv") in page_text(good)
    assert good.log is shown and good.tabs is tabs and good.headline.startswith("164 dossiers")
    # … and usable: another file is read.
    good.source_step.controls["upload"].value = sent(DATA / "sample_caselog.csv")
    assert good.headline.startswith("3,000 dossiers as of 30 June 2025")


def test_an_unexpected_error_is_said_in_the_page_too(folder, monkeypatch, capsys):
    dashboard = Dashboard(folder=folder)

    def broken(*args, **kwargs):
        raise MemoryError("out of memory")

    monkeypatch.setattr("vitale_analysis.widgets.source.read_caselog", broken)
    dashboard.source_step.controls["upload"].value = sent(DATA / "sample_caselog.csv")
    assert "sample_caselog.csv could not be read (MemoryError)." in page_text(dashboard)
    assert "out of memory" in page_text(dashboard)
    assert "MemoryError" in capsys.readouterr().err  # the traceback, for whoever runs the server


# ============================================================================ paths
def test_a_relative_path_starts_from_the_start_folder(folder, monkeypatch, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # (the kernel's own folder is not where paths start)
    dashboard = Dashboard(folder=folder)
    step = dashboard.source_step
    step.controls["mapping_path"].value = "data/sample_export_fr.mapping.toml"
    step.controls["path"].value = "data/sample_export_fr.csv"
    assert dashboard.headline.startswith("164 dossiers as of 30 June 2025"), page_text(dashboard)
    step.controls["path"].value = "data/sample_export_fr.cvs"
    assert (f"No file sample_export_fr.cvs in folder {folder / 'data'}. Did you mean sample_export_fr.csv?"
            in page_text(dashboard))
    step.controls["path"].value = "missing.csv"
    assert f"No file missing.csv in folder {folder}." in page_text(dashboard)
    step.controls["path"].value = "data"
    assert f"data is a folder in {folder}, not a file." in page_text(dashboard)
    step.controls["path"].value = "data/sample_export_fr.mapping.toml"
    assert "sample_export_fr.mapping.toml is not a case log this page reads" in page_text(dashboard)
    assert dashboard.headline.startswith("164 dossiers")  # still the last file read


def test_the_file_picker_lists_the_start_folders_case_logs(folder):
    dashboard = Dashboard(folder=folder)
    picker = dashboard.source_step.controls["files"]
    assert [value for _, value in picker.options] == ["", "data/sample_export_fr.csv"]
    dashboard.source_step.controls["mapping_path"].value = str(folder / "data" / "sample_export_fr.mapping.toml")
    picker.value = "data/sample_export_fr.csv"
    assert dashboard.source_step.controls["path"].value == "data/sample_export_fr.csv"
    assert dashboard.headline.startswith("164 dossiers")


def test_find_file_quotes_and_absolute_paths(folder):
    assert find_file(f'"{folder / "data" / "sample_export_fr.csv"}"', "/nowhere") == folder / "data" / "sample_export_fr.csv"
    assert find_file("data/sample_export_fr.csv", folder) == folder / "data" / "sample_export_fr.csv"
    with pytest.raises(va.CaseLogError, match="Aucun fichier x.csv dans le dossier"):
        find_file("x.csv", folder, "fr")


@pytest.mark.parametrize("server", [True, False])
def test_start_folder_is_the_servers_folder(monkeypatch, tmp_path, server):
    """Under Voilà or Jupyter (the kernel's parent process names one of them), the server's working folder;
    otherwise the kernel's own; VITALE_FOLDER over both."""
    started_in, kernel_in = tmp_path / "started_here", tmp_path / "kernel"
    started_in.mkdir()
    kernel_in.mkdir()
    argv = [sys.executable, "-c", "import sys, time; time.sleep(60)"] + (["voila", "notebooks/dashboard.ipynb"]
                                                                        if server else ["something"])
    parent = subprocess.Popen(argv, cwd=started_in)
    try:
        monkeypatch.setattr(os, "getppid", lambda: parent.pid)
        monkeypatch.chdir(kernel_in)
        monkeypatch.delenv("VITALE_FOLDER", raising=False)
        assert start_folder() == (started_in if server else kernel_in)
        monkeypatch.setenv("VITALE_FOLDER", str(tmp_path))
        assert start_folder() == tmp_path.resolve()
    finally:
        parent.kill()
        parent.wait()


def test_open_keeps_the_environment_variable_way(folder, monkeypatch):
    """The notebook's VITALE_CASELOG / VITALE_MAPPING paths: absolute, relative to the kernel's folder (the
    notebook's), or relative to the start folder."""
    notebooks = folder / "notebooks"
    notebooks.mkdir()
    monkeypatch.chdir(notebooks)
    for path, mapping in [("../data/sample_export_fr.csv", "../data/sample_export_fr.mapping.toml"),
                          ("data/sample_export_fr.csv", "data/sample_export_fr.mapping.toml"),
                          (str(folder / "data" / "sample_export_fr.csv"), str(folder / "data" / MAPPING.name))]:
        dashboard = Dashboard.open(path, mapping=mapping, as_of="2025-03-31", lang="fr", folder=folder)
        assert dashboard.headline.startswith("au 31 mars 2025", dashboard.headline.index("dossiers") + 9), path
        assert dashboard.as_of == dashboard.log.as_of("2025-03-31")
        assert dashboard.source_step.controls["mapping"].value == "file"
    # The as_of given is the first file's only: a file read later opens at its own last event.
    dashboard.source_step.controls["mapping"].value = "none"
    dashboard.source_step.controls["upload"].value = sent(DATA / "sample_caselog.csv")
    assert "30 juin 2025" in dashboard.headline
    wrong = Dashboard.open("../data/nothing.csv", folder=folder, lang="fr")
    assert wrong.log is None and "Aucun fichier nothing.csv dans le dossier" in page_text(wrong)
    assert wrong.source_step.box.layout.display != "none" and wrong._accordion.selected_index == 0


def test_the_step_is_folded_when_a_log_is_given():
    dashboard = Dashboard(load_quietly(DATA / "sample_caselog.csv"), folder=DATA)
    assert dashboard._accordion.selected_index is None
    assert dashboard._accordion.titles[0] == "Case log: sample_caselog.csv (open another file)"
    assert dashboard.widget.children.index(dashboard._accordion) == 2  # under the title, above the intro


# ============================================================================ suggested mapping
@pytest.fixture
def suggestion(monkeypatch):
    """A stand-in for vitale_analysis.suggest_mapping with the agreed API; records the paths it was given."""
    calls = []
    toml_text = MAPPING.read_text(encoding="utf-8")

    def suggest_mapping(path):
        path = Path(path)
        calls.append((path, path.exists(), path.read_bytes() == EXPORT.read_bytes()))
        return SimpleNamespace(mapping=va.read_mapping(MAPPING), to_toml=lambda: toml_text, todo=["Relance faite"])

    monkeypatch.setattr(va, "suggest_mapping", suggest_mapping, raising=False)
    return calls


def test_a_suggested_mapping_is_shown_edited_saved_next_to_the_file_and_used(folder, suggestion):
    dashboard = Dashboard(folder=folder)
    step = dashboard.source_step
    step.controls["mapping"].value = "suggest"
    step.controls["path"].value = "data/sample_export_fr.csv"
    assert suggestion == [(folder / "data" / "sample_export_fr.csv", True, True)]
    assert dashboard.log is None  # nothing read before the advisor has checked the mapping
    assert step.controls["suggested"].value == MAPPING.read_text(encoding="utf-8")
    assert "Relance faite" in unescape(step._suggestion_text.value)
    assert step._suggest_box.layout.display == "flex"
    # The advisor changes a label, then saves: a new file next to the export (the existing one is kept).
    edited = step.controls["suggested"].value.replace('"Caisse" = "office"', '"Caisse" = "caisse"')
    step.controls["suggested"].value = edited
    step.controls["save_mapping"].click()
    written = folder / "data" / "sample_export_fr.mapping-2.toml"
    assert written.read_text(encoding="utf-8") == edited
    assert (folder / "data" / MAPPING.name).read_bytes() == MAPPING.read_bytes()
    assert step.saved_mapping == written and str(written) in unescape(step._mapping_link.value)
    reference = load_quietly(EXPORT, mapping=written)
    assert_frame_equal(dashboard.log.events, reference.events)
    assert "caisse" in dashboard.log.events.columns and "office" not in dashboard.log.events.columns


def test_a_suggested_mapping_of_an_upload_is_offered_as_a_download(folder, suggestion, temp_root):
    dashboard = Dashboard(folder=folder)
    step = dashboard.source_step
    step.controls["mapping"].value = "suggest"
    step.controls["upload"].value = sent(EXPORT)
    path, existed, same = suggestion[0]
    assert path.name == "sample_export_fr.csv" and existed and same and not path.exists()  # (removed afterwards)
    step.controls["save_mapping"].click()
    link = step._mapping_link.value
    assert 'download="sample_export_fr.mapping.toml"' in link
    href = link.split('href="')[1].split('"')[0]
    assert base64.b64decode(href.split(",", 1)[1]).decode("utf-8") == MAPPING.read_text(encoding="utf-8")
    assert dashboard.headline.startswith("164 dossiers")
    assert list(temp_root.iterdir()) == []


def test_a_suggested_mapping_that_does_not_parse_is_said(folder, suggestion):
    dashboard = Dashboard(folder=folder)
    step = dashboard.source_step
    step.controls["mapping"].value = "suggest"
    step.controls["path"].value = "data/sample_export_fr.csv"
    step.controls["suggested"].value = "[columns\n"
    step.controls["save_mapping"].click()
    assert "sample_export_fr.mapping.toml' cannot be parsed" in page_text(dashboard)
    assert dashboard.log is None and not (folder / "data" / "sample_export_fr.mapping-2.toml").exists()


def test_suggesting_without_suggest_mapping_says_so(folder, monkeypatch):
    monkeypatch.delattr(va, "suggest_mapping", raising=False)
    dashboard = Dashboard(folder=folder, lang="fr")
    dashboard.source_step.controls["mapping"].value = "suggest"
    dashboard.source_step.controls["path"].value = "data/sample_export_fr.csv"
    assert "demande une version plus récente" in page_text(dashboard)


# ============================================================================ words
def test_the_step_speaks_the_pages_language(folder):
    """The page's own words around an error are French; the error itself is the toolkit's (English)."""
    dashboard = Dashboard(folder=folder, lang="fr")
    step = dashboard.source_step
    step.controls["upload"].value = sent(EXPORT)
    message = step.message.value
    around = message.split("<pre")[0] + message.split("</pre>")[1]
    texts = visible_text(around) + list(dashboard._accordion.titles)
    for control in step.controls.values():
        texts += [getattr(control, attr, "") for attr in ("description", "placeholder", "tooltip")]
        texts += [str(label) for label in getattr(control, "_options_labels", ()) or ()]
    check(texts, "fr", "the source step")
    assert "Impossible d'utiliser sample_export_fr.csv" in unescape(around)
    step.controls["mapping_path"].value = "data/sample_export_fr.mapping.toml"
    done = visible_text(step.message.value)
    check(done, "fr", "the source step")
    assert "sample_export_fr.csv : 1 102 lignes lues, 1 101 gardées, 1 mise de côté." in " ".join(done).replace(
        "\u202f", " ")
