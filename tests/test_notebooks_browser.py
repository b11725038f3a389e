"""The notebooks and the dashboard in a real browser: JupyterLab and Voilà in Debian's headless Chromium.

JupyterLab opens each explorer notebook, runs every cell, and the explorer must show a chart
(``.widget-output img``; the stall explorer's heat map is an HTML table, ``.vitale-heatmap
table``) and a table; in the caseload overview, picking an office in the
office dropdown must change both the chart image and the table text. Voilà serves the
dashboard and the same office change must show in it. A screenshot of each explorer is
saved (under ``docs/screenshots/``, committed and shown in the README, with ``VITALE_SCREENSHOTS=1``).

Both servers run on 127.0.0.1 on a free port, from a temporary copy of ``notebooks/`` and
the sample data (the committed notebooks and their outputs are never touched), with private
Jupyter config, data, runtime, settings and workspace folders. Each server runs in its own
process group, which a fixture finaliser stops: a test run leaves no server behind.

Chromium is Debian's (``apt-get install -y chromium``; ``.ci/run`` does it), driven by
Playwright with ``executable_path``: no browser download. The tests fail, they are not
skipped, when it is missing.
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
# Screenshots go to docs/screenshots/ (committed, shown in the README) only when asked for with
# VITALE_SCREENSHOTS=1; otherwise to a temporary folder, so that a test run changes nothing.
SCREENSHOTS = (PROJECT / "docs" / "screenshots" if os.environ.get("VITALE_SCREENSHOTS")
               else Path(tempfile.mkdtemp(prefix="vitale-screenshots-")))
if not os.environ.get("VITALE_SCREENSHOTS"):
    atexit.register(shutil.rmtree, SCREENSHOTS, True)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DATA_FILES = ["sample_caselog.csv", "sample_export_fr.csv", "sample_export_fr.mapping.toml"]
SERVER_START_TIMEOUT = 90  # seconds
RUN_ALL_TIMEOUT = 180_000  # ms: every cell of a notebook, kernel start included
CHANGE_TIMEOUT = 30_000  # ms: a control change to a new chart
VIEWPORT = {"width": 1400, "height": 1000}

# Playwright is driven from the test process; JupyterLab's application object is reachable
# because the server runs with --LabApp.expose_app_in_browser=True.
_KERNEL_READY = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const kernel = panel && panel.sessionContext && panel.sessionContext.session
        && panel.sessionContext.session.kernel;
    return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}"""
# Done when every code cell has run, or as soon as one failed (run-all stops there).
_ALL_CELLS_RUN = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const kernel = panel.sessionContext.session.kernel;
    const cells = panel.content.widgets.filter(cell => cell.model.type === 'code');
    const failed = cells.some(cell => [...Array(cell.model.outputs.length).keys()]
        .some(i => cell.model.outputs.get(i).type === 'error'));
    return kernel.status === 'idle' && (failed || cells.every(cell => cell.model.executionCount !== null));
}"""
_ERROR_OUTPUTS = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const errors = [];
    for (const cell of panel.content.widgets) {
        if (cell.model.type !== 'code') continue;
        for (let i = 0; i < cell.model.outputs.length; i++) {
            const output = cell.model.outputs.get(i).toJSON();
            if (output.output_type === 'error') errors.push(output.ename + ': ' + output.evalue);
        }
    }
    return errors;
}"""


# ============================================================================ servers
@dataclass
class Server:
    url: str
    token: str
    process: subprocess.Popen
    log: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _private_jupyter_env(home: Path) -> dict[str, str]:
    """Jupyter folders of the test's own, so that no user setting or workspace leaks in or out."""
    dirs = {name: home / name.lower() for name in
            ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR",
             "JUPYTERLAB_WORKSPACES_DIR", "JUPYTER_DATA_DIR")}
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    # No "news" toast over the notebook (it would hide part of the screenshots).
    notification = dirs["JUPYTERLAB_SETTINGS_DIR"] / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True, exist_ok=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8")
    env = {**os.environ, **{name: str(path) for name, path in dirs.items()}}
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("JUPYTER_PATH", None)
    for name in ("VITALE_CASELOG", "VITALE_MAPPING", "VITALE_AS_OF", "VITALE_LANG"):
        env.pop(name, None)  # the dashboard must show the sample
    return env


def _start(cmd: list[str], *, cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start a server in a process group of its own (stopped as a group by :func:`_stop`)."""
    with open(log, "wb") as out:
        return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def _descendants(pid: int) -> list[int]:
    import psutil  # ipykernel's own dependency

    try:
        return [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _stop(process: subprocess.Popen) -> None:
    """Stop a server and everything it started: its process group, then kernels in their own sessions."""
    import psutil

    children = _descendants(process.pid)  # kernels run in sessions of their own (jupyter_client)
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)  # the server shuts its kernels down on SIGTERM
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(timeout=10)
    for pid in children:  # anything the server started and did not stop
        try:
            child = psutil.Process(pid)
            child.kill()
            child.wait(timeout=10)
        except psutil.NoSuchProcess:
            pass
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        return
    raise AssertionError(f"process group {process.pid} of {process.args[:4]} is still running")


def _wait_until(ready, process: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited with status {process.returncode}:\n{log.read_text(errors='replace')}")
        if ready():
            return
        time.sleep(0.25)
    raise AssertionError(f"{what} not ready after {SERVER_START_TIMEOUT} s:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A copy of notebooks/ and the sample data: the repository's notebooks stay as committed."""
    root = tmp_path_factory.mktemp("notebooks_browser")
    shutil.copytree(PROJECT / "notebooks", root / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (root / "data").mkdir()
    for name in DATA_FILES:
        shutil.copy2(PROJECT / "data" / name, root / "data" / name)
    return root


@pytest.fixture(scope="module")
def lab(workdir, tmp_path_factory):
    """JupyterLab on 127.0.0.1, a free port and a known token, serving the copy."""
    home = tmp_path_factory.mktemp("lab_home")
    env = _private_jupyter_env(home)
    port, token = _free_port(), secrets.token_hex(16)
    log = home / "jupyterlab.log"
    process = _start(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={workdir}",
         "--LabApp.expose_app_in_browser=True"],
        cwd=workdir, env=env, log=log)
    server = Server(url=f"http://127.0.0.1:{port}", token=token, process=process, log=log)
    try:
        def ready() -> bool:
            try:
                with urllib.request.urlopen(f"{server.url}/api/status?token={token}", timeout=2) as response:
                    return response.status == 200
            except (urllib.error.URLError, OSError):
                return False

        _wait_until(ready, process, log, "JupyterLab")
        yield server
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def voila(workdir, tmp_path_factory):
    """Voilà serving notebooks/dashboard.ipynb on 127.0.0.1 and a free port."""
    home = tmp_path_factory.mktemp("voila_home")
    env = _private_jupyter_env(home)
    port = _free_port()
    log = home / "voila.log"
    process = _start(
        [sys.executable, "-m", "voila", "notebooks/dashboard.ipynb", "--no-browser", f"--port={port}",
         "--Voila.ip=127.0.0.1"],
        cwd=workdir, env=env, log=log)
    server = Server(url=f"http://127.0.0.1:{port}", token="", process=process, log=log)
    try:
        def ready() -> bool:  # a GET would already run the notebook: a TCP connect is enough
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return True
            except OSError:
                return False

        _wait_until(ready, process, log, "Voilà")
        yield server
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), (
        f"Chromium is missing at {CHROMIUM}: apt-get install -y chromium (.ci/run does it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.problems = []
    page.on("pageerror", lambda exc: page.problems.append(str(exc)))
    try:
        yield page
    finally:
        context.close()


# ============================================================================ helpers
def open_and_run(page, lab: Server, notebook: str) -> None:
    """Open a notebook in JupyterLab, wait for its kernel, clear the stored outputs, run every cell."""
    page.goto(f"{lab.url}/lab/tree/notebooks/{notebook}?token={lab.token}&reset")
    page.wait_for_function(_KERNEL_READY, timeout=RUN_ALL_TIMEOUT, polling=200)
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")  # the notebook gets the whole width
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.wait_for_function("""() => window.jupyterapp.shell.currentWidget.content.widgets
        .filter(cell => cell.model.type === 'code').every(cell => cell.model.executionCount === null)""")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(_ALL_CELLS_RUN, timeout=RUN_ALL_TIMEOUT, polling=250)
    assert page.evaluate(_ERROR_OUTPUTS) == []


def office_dropdown(page, root: str):
    """The explorer's office filter: a ``.widget-dropdown`` whose first option is "All offices"."""
    select = page.locator(f"{root} .widget-dropdown.vitale-control-office select").filter(
        has=page.locator("option", has_text="All offices"))
    select.first.wait_for(state="visible", timeout=RUN_ALL_TIMEOUT)
    return select.first


def wait_for_chart(page, root: str) -> str:
    """The ``src`` of the explorer's chart (``.widget-output img``), once the image has loaded."""
    selector = f"{root} .widget-output img"
    page.locator(selector).first.wait_for(state="visible", timeout=RUN_ALL_TIMEOUT)
    page.wait_for_function(
        "sel => { const img = document.querySelector(sel); return img && img.complete && img.naturalWidth > 0; }",
        arg=selector, timeout=CHANGE_TIMEOUT)
    return page.locator(selector).first.get_attribute("src")


def table_text(page, root: str) -> str:
    tables = page.locator(f"{root} .vitale-table table")
    tables.first.wait_for(state="visible", timeout=RUN_ALL_TIMEOUT)
    return tables.first.inner_text().strip()


def change_office_and_check(page, root: str) -> str:
    """Pick another office: the chart image and the table text must change. Returns the office picked."""
    dropdown = office_dropdown(page, root)
    before_src = wait_for_chart(page, root)
    before_text = table_text(page, root)
    assert before_src.startswith("data:image/png;base64,") and len(before_src) > 1000
    assert "Rights opening" in before_text, before_text
    # ipywidgets writes option labels with non-breaking spaces
    labels = [label.replace("\xa0", " ") for label in dropdown.locator("option").all_inner_texts()]
    assert labels[0] == "All offices" and len(labels) > 2, f"the office filter lists the offices: {labels}"
    office = "CPAM 75" if "CPAM 75" in labels else labels[1]
    dropdown.select_option(index=labels.index(office))
    page.wait_for_function(
        "([sel, before]) => { const img = document.querySelector(sel);"
        " return img && img.getAttribute('src') !== before && img.complete && img.naturalWidth > 0; }",
        arg=[f"{root} .widget-output img", before_src], timeout=CHANGE_TIMEOUT)
    page.wait_for_function(
        "([sel, before]) => { const table = document.querySelector(sel);"
        " return table && table.innerText.trim() !== before; }",
        arg=[f"{root} .vitale-table table", before_text], timeout=CHANGE_TIMEOUT)
    after_text = table_text(page, root)
    assert after_text != before_text and "Rights opening" in after_text
    status = page.locator(f"{root} .vitale-status").first.inner_text()
    assert "dossiers in this selection" in status, status
    return office


def screenshot(page, locator, name: str) -> Path:
    """Save a screenshot of one element (the whole of it: the viewport grows to fit) in SCREENSHOTS."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    needed = int(box["height"]) + 160
    if needed > page.viewport_size["height"]:
        page.set_viewport_size({"width": page.viewport_size["width"], "height": needed})
        locator.scroll_into_view_if_needed()
        page.wait_for_timeout(300)  # let JupyterLab lay the taller notebook out
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    locator.screenshot(path=str(path), animations="disabled")
    return path


# ============================================================================ tests
CASELOAD = ".vitale-caseload-explorer"


def test_caseload_explorer_in_jupyterlab(page, lab):
    open_and_run(page, lab, "01_caseload_overview.ipynb")
    assert page.locator(CASELOAD).count() == 1
    change_office_and_check(page, CASELOAD)
    screenshot(page, page.locator(CASELOAD), "caseload_explorer.png")
    assert page.problems == []


def heatmap_text(page, root: str) -> str:
    """The stall heat map (an HTML table of coloured cells, not an image): its caption and cells."""
    heatmap = page.locator(f"{root} .vitale-chart .vitale-heatmap table")
    heatmap.first.wait_for(state="visible", timeout=RUN_ALL_TIMEOUT)
    return heatmap.first.inner_text()


@pytest.mark.parametrize(("notebook", "root", "chart", "name"), [
    ("02_where_dossiers_stall.ipynb", ".vitale-stall-explorer", "heatmap", "stall_explorer.png"),
    ("03_delay_triggers.ipynb", ".vitale-trigger-explorer", None, "trigger_explorer.png"),
    ("04_case_explorer.ipynb", ".vitale-case-viewer", "image", "case_viewer.png"),
])
def test_explorer_in_jupyterlab(page, lab, notebook, root, chart, name):
    open_and_run(page, lab, notebook)
    assert page.locator(root).count() == 1
    if chart == "image":
        wait_for_chart(page, root)
    elif chart == "heatmap":
        text = heatmap_text(page, root)
        assert "stalled dossiers by office and phase" in text and "Rights opening" in text, text
    assert table_text(page, root)
    screenshot(page, page.locator(root), name)
    assert page.problems == []


def test_dashboard_in_voila(page, voila):
    page.goto(voila.url + "/")
    change_office_and_check(page, CASELOAD)
    tabs = [t.replace("\xa0", " ") for t in page.locator(".widget-tab .lm-TabBar-tab").all_inner_texts()]
    assert tabs == ["Time per phase", "Stalled dossiers", "Delay triggers", "One dossier"]
    assert page.locator("h1").first.inner_text().startswith("Carte Vitale caseload dashboard")
    # The page down to the end of the explorer: title, explanation, tabs, controls, chart and table.
    bottom = page.locator(CASELOAD).bounding_box()
    page.set_viewport_size({"width": VIEWPORT["width"], "height": int(bottom["y"] + bottom["height"]) + 24})
    page.evaluate("() => window.scrollTo(0, 0)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), animations="disabled")
    assert page.problems == []
