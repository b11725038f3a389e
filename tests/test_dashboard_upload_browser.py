"""The dashboard's first step in a real browser: Voilà started with the README's launch command, a file
sent from the browser, its mapping file sent next, the headline of the right number of dossiers; a broken
file, and its error said in the page, which stays usable.

ipywidgets 8's FileUpload keeps its ``<input type=file>`` out of the page (it clicks a detached one), so a
file is sent the way a person does it: click the upload button, answer the browser's file chooser
(Playwright's ``expect_file_chooser``). Servers, Chromium and folders as in ``test_notebooks_browser.py``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from test_notebooks_browser import (
    CASELOAD,
    CHANGE_TIMEOUT,
    CULL_ARGS,
    RUN_ALL_TIMEOUT,
    chromium,
    copy_notebooks,
    new_page,
    open_dashboard,
    text,
    voila_server,
)

pytestmark = pytest.mark.slow  # a real browser
PROJECT = Path(__file__).resolve().parents[1]
#: The README's launch command: Voilà's own websocket limit raised (a FileUpload sends a file in one message).
UPLOAD_ARGS = ["--Voila.tornado_settings={'websocket_max_message_size': 314572800}", *CULL_ARGS]
LOAD_TIMEOUT = 60_000  # ms: a file sent, read and every tab drawn


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return copy_notebooks(tmp_path_factory.mktemp("upload_browser"))


@pytest.fixture(scope="module")
def voila(workdir, tmp_path_factory):
    with voila_server(workdir, tmp_path_factory.mktemp("voila_upload_home"), args=UPLOAD_ARGS) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    page = new_page(browser)
    try:
        yield page
    finally:
        page.context.close()


def send(page, control: str, path: Path) -> None:
    """Click an upload button of the first step and pick ``path`` in the browser's file chooser."""
    with page.expect_file_chooser() as chooser:
        page.locator(f".vitale-source .vitale-control-{control}").first.click()
    chooser.value.set_files(str(path))


def open_source_step(page) -> None:
    """Unfold the first step (folded while a log is shown, under the title)."""
    assert not page.locator(".vitale-source .vitale-control-upload").first.is_visible()
    page.locator(".vitale-source-accordion .jupyter-widget-Collapse-header").first.click()
    page.locator(".vitale-source .vitale-control-upload").first.wait_for(state="visible", timeout=CHANGE_TIMEOUT)


def dossiers_in_export(path: Path) -> int:
    with open(path, encoding="cp1252", newline="") as fh:
        return len({row["N° dossier"] for row in csv.DictReader(fh, delimiter=";")})


def test_a_file_and_its_mapping_sent_from_the_browser(page, voila, workdir, tmp_path):
    export = workdir / "data" / "sample_export_fr.csv"
    n = dossiers_in_export(export)
    assert n == 164
    open_dashboard(page, voila)
    assert text(page, ".vitale-headline").startswith("3,000 dossiers")
    open_source_step(page)
    send(page, "upload", export)
    # Without its mapping the French headers are not understood: said in the page, the sample still shown.
    error = page.locator(".vitale-source .vitale-source-error").first
    error.wait_for(state="visible", timeout=LOAD_TIMEOUT)
    assert "sample_export_fr.csv could not be used" in error.inner_text()
    assert "required column(s) 'case_id'" in error.inner_text()
    assert text(page, ".vitale-headline").startswith("3,000 dossiers")
    page.locator(".vitale-source .vitale-control-mapping select").first.select_option(label="A mapping file (.toml or .json)")
    send(page, "mapping-upload", workdir / "data" / "sample_export_fr.mapping.toml")
    page.wait_for_function("n => document.querySelector('.vitale-headline').innerText.startsWith(n + ' dossiers')",
                           arg=str(n), timeout=LOAD_TIMEOUT)
    assert text(page, ".vitale-headline").startswith(f"{n} dossiers as of 30 June 2025")
    done = text(page, ".vitale-source .vitale-source-done")
    assert "sample_export_fr.csv: 1,102 rows read, 1,101 kept, 1 set aside." in done
    assert page.locator(".vitale-source-error").count() == 0
    page.locator(f"{CASELOAD} .vitale-chart img").first.wait_for(state="visible", timeout=RUN_ALL_TIMEOUT)
    page.screenshot(path=str(tmp_path / "upload.png"), full_page=True)
    assert page.problems == []


def test_a_broken_file_is_said_in_the_page(page, voila, tmp_path):
    broken = tmp_path / "broken.csv"
    broken.write_text("case_id,event,timestamp\nD1,registration_submitted,31/02/2025\n", encoding="utf-8")
    open_dashboard(page, voila)
    open_source_step(page)
    send(page, "upload", broken)
    error = page.locator(".vitale-source .vitale-source-error").first
    error.wait_for(state="visible", timeout=LOAD_TIMEOUT)
    shown = error.inner_text()
    assert "broken.csv could not be used" in shown and "vitale_upload_" not in shown, shown
    assert "Choose another file or another mapping above" in shown
    assert text(page, ".vitale-headline").startswith("3,000 dossiers")  # the page as it was
    # … and usable: a path typed in the page (from the folder Voilà was started in) is read.
    field = page.locator(".vitale-source .vitale-control-path input").first
    field.fill("data/sample_caselog.csv")
    field.press("Enter")
    page.locator(".vitale-source .vitale-source-done").first.wait_for(state="visible", timeout=LOAD_TIMEOUT)
    assert page.locator(".vitale-source-error").count() == 0
    field.fill("data/nothing.csv")
    field.press("Enter")
    error.wait_for(state="visible", timeout=LOAD_TIMEOUT)
    assert "No file nothing.csv in folder" in error.inner_text()
    assert page.problems == []
