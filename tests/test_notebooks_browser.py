"""The notebooks and the dashboard in a real browser: JupyterLab and Voilà in Debian's headless Chromium.

JupyterLab opens each explorer notebook, runs every cell, and the explorer must show a chart
(``.vitale-chart img``; the stall explorer's heat map is an HTML table, ``.vitale-heatmap
table``) and a table; in the caseload overview, picking an office in the office dropdown
must change both the chart image and the table text. Voilà serves the dashboard, in English
and, on the French export, in French, and an advisor's way of using it is checked the way
they do it: a date typed key by key (applied to every tab and the headline, nothing applied
in between), a dossier number typed in lower case, as bare digits, or wrong, the worklist
downloaded and opened, the page's language, title, alt texts and accessible names, the tabs
on a 1024×768 screen, and the kernels of closed pages culled.

Screenshots go to the test's temporary folder only; ``docs/make_screenshots.py`` is the
script that regenerates ``docs/screenshots/`` with the same servers and steps.

Every server runs on 127.0.0.1 on a free port, from a temporary copy of ``notebooks/`` and
the sample data (the committed notebooks and their outputs are never touched), with private
Jupyter config, data, runtime, settings and workspace folders. Each server runs in its own
process group, which a fixture finaliser stops: a test run leaves no server behind.

Chromium is Debian's (``apt-get install -y chromium``; ``.ci/run`` does it), driven by
Playwright with ``executable_path``: no browser download. The tests fail, they are not
skipped, when it is missing.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a real browser
PROJECT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DATA_FILES = ["sample_caselog.csv", "sample_export_fr.csv", "sample_export_fr.mapping.toml"]
SERVER_START_TIMEOUT = 90  # seconds
RUN_ALL_TIMEOUT = 180_000  # ms: every cell of a notebook, kernel start included
CHANGE_TIMEOUT = 30_000  # ms: a control change to a new chart
VIEWPORT = {"width": 1400, "height": 1000}
#: Kernel culling as the README's launch command sets it (a page closed for 15 minutes).
CULL_ARGS = ["--MappingKernelManager.cull_idle_timeout=900", "--MappingKernelManager.cull_interval=60"]

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
        env.pop(name, None)  # the dashboard shows the sample unless a test says otherwise
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


def kernels(server: Server) -> list[int]:
    """The kernel processes a server holds (Voilà answers no kernel list: /api/kernels redirects)."""
    import psutil

    found = []
    for pid in _descendants(server.process.pid):
        try:
            child = psutil.Process(pid)
            if child.status() != psutil.STATUS_ZOMBIE and "ipykernel" in " ".join(child.cmdline()):
                found.append(pid)
        except psutil.NoSuchProcess:
            pass
    return found


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


def copy_notebooks(root: Path) -> Path:
    """A copy of notebooks/ and the sample data in ``root``: the repository's notebooks stay as committed."""
    shutil.copytree(PROJECT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (root / "data").mkdir()
    for name in DATA_FILES:
        shutil.copy2(PROJECT / "data" / name, root / "data" / name)
    return root


@contextlib.contextmanager
def lab_server(workdir: Path, home: Path):
    """JupyterLab on 127.0.0.1, a free port and a known token, serving ``workdir``; stopped on exit."""
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


@contextlib.contextmanager
def voila_server(workdir: Path, home: Path, *, lang: str = "en", args=CULL_ARGS):
    """Voilà serving notebooks/dashboard.ipynb on 127.0.0.1 and a free port; in French on the French
    export (through the VITALE_* variables, as the README says); stopped on exit."""
    env = _private_jupyter_env(home)
    if lang == "fr":
        env.update(VITALE_CASELOG=str(workdir / "data" / "sample_export_fr.csv"),
                   VITALE_MAPPING=str(workdir / "data" / "sample_export_fr.mapping.toml"), VITALE_LANG="fr")
    port = _free_port()
    log = home / "voila.log"
    process = _start(
        [sys.executable, "-m", "voila", "notebooks/dashboard.ipynb", "--no-browser", f"--port={port}",
         "--Voila.ip=127.0.0.1", *args],
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


@contextlib.contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), (
        f"Chromium is missing at {CHROMIUM}: apt-get install -y chromium (.ci/run does it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return copy_notebooks(tmp_path_factory.mktemp("notebooks_browser"))


@pytest.fixture(scope="module")
def lab(workdir, tmp_path_factory):
    with lab_server(workdir, tmp_path_factory.mktemp("lab_home")) as server:
        yield server


@pytest.fixture(scope="module")
def voila(workdir, tmp_path_factory):
    with voila_server(workdir, tmp_path_factory.mktemp("voila_home")) as server:
        yield server


@pytest.fixture(scope="module")
def voila_fr(workdir, tmp_path_factory):
    with voila_server(workdir, tmp_path_factory.mktemp("voila_fr_home"), lang="fr") as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def new_page(browser, viewport=VIEWPORT):
    context = browser.new_context(viewport=viewport, device_scale_factor=1, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.problems = []
    page.on("pageerror", lambda exc: page.problems.append(str(exc)))
    return page


@pytest.fixture
def page(browser):
    page = new_page(browser)
    try:
        yield page
    finally:
        page.context.close()


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


def office_dropdown(page, root: str, all_offices: str = "All offices"):
    """The explorer's office filter: a ``.widget-dropdown`` whose first option is "All offices"."""
    select = page.locator(f"{root} .widget-dropdown.vitale-control-office select").filter(
        has=page.locator("option", has_text=all_offices))
    select.first.wait_for(state="visible", timeout=RUN_ALL_TIMEOUT)
    return select.first


def chart_image(root: str) -> str:
    return f"{root} .vitale-chart img"


def wait_for_chart(page, root: str) -> str:
    """The ``src`` of the explorer's chart image, once it has loaded."""
    selector = chart_image(root)
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
        arg=[chart_image(root), before_src], timeout=CHANGE_TIMEOUT)
    page.wait_for_function(
        "([sel, before]) => { const table = document.querySelector(sel);"
        " return table && table.innerText.trim() !== before; }",
        arg=[f"{root} .vitale-table table", before_text], timeout=CHANGE_TIMEOUT)
    after_text = table_text(page, root)
    assert after_text != before_text and "Rights opening" in after_text
    status = page.locator(f"{root} .vitale-status").first.inner_text()
    assert "dossiers in this selection" in status, status
    return office


def screenshot(page, locator, path: Path) -> Path:
    """Save a screenshot of one element (the whole of it: the viewport grows to fit) at ``path``."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    needed = int(box["height"]) + 160
    if needed > page.viewport_size["height"]:
        page.set_viewport_size({"width": page.viewport_size["width"], "height": needed})
        locator.scroll_into_view_if_needed()
        page.wait_for_timeout(300)  # let JupyterLab lay the taller notebook out
    path.parent.mkdir(parents=True, exist_ok=True)
    locator.screenshot(path=str(path), animations="disabled")
    return path


def open_dashboard(page, server: Server) -> None:
    """Open the dashboard in Voilà and wait until its first tab shows its chart."""
    page.goto(server.url + "/")
    page.locator(".vitale-dashboard .vitale-headline p").wait_for(state="visible", timeout=RUN_ALL_TIMEOUT)
    wait_for_chart(page, CASELOAD)


def screenshot_dashboard(page, path: Path) -> Path:
    """The page down to the end of the first tab: title, introduction, date, headline, tabs, chart, table."""
    bottom = page.locator(CASELOAD).bounding_box()
    page.set_viewport_size({"width": page.viewport_size["width"], "height": int(bottom["y"] + bottom["height"]) + 24})
    page.evaluate("() => window.scrollTo(0, 0)")
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), animations="disabled")
    return path


def show_tab(page, title: str) -> None:
    page.locator(".vitale-tabs .lm-TabBar-tab", has_text=title).first.click()


def text(page, selector: str) -> str:
    return page.locator(selector).first.inner_text().replace("\xa0", " ").replace("\u202f", " ")


def type_into(page, selector: str, typed: str) -> None:
    """Clear a text field and type into it key by key, as a person does (200 ms a key), then Enter."""
    field = page.locator(selector).first
    field.click()
    field.press("Control+a")
    field.press("Delete")
    field.press_sequentially(typed, delay=200)
    assert field.input_value() == typed  # nothing rewrote it while it was typed
    field.press("Enter")


# ============================================================================ tests: JupyterLab
CASELOAD = ".vitale-caseload-explorer"
DATE_FIELD = ".vitale-dashboard .vitale-control-as-of input"
DOSSIER_FIELD = ".vitale-case-viewer .vitale-control-dossier input"


def test_caseload_explorer_in_jupyterlab(page, lab, tmp_path):
    open_and_run(page, lab, "01_caseload_overview.ipynb")
    assert page.locator(CASELOAD).count() == 1
    change_office_and_check(page, CASELOAD)
    screenshot(page, page.locator(CASELOAD), tmp_path / "caseload_explorer.png")
    assert page.problems == []


def heatmap_text(page, root: str) -> str:
    """The stall heat map (an HTML table of coloured cells, not an image): its caption and cells."""
    heatmap = page.locator(f"{root} .vitale-chart .vitale-heatmap table")
    heatmap.first.wait_for(state="visible", timeout=RUN_ALL_TIMEOUT)
    return heatmap.first.inner_text()


EXPLORER_NOTEBOOKS = [
    ("02_where_dossiers_stall.ipynb", ".vitale-stall-explorer", "heatmap", "stall_explorer.png"),
    ("03_delay_triggers.ipynb", ".vitale-trigger-explorer", None, "trigger_explorer.png"),
    ("04_case_explorer.ipynb", ".vitale-case-viewer", "image", "case_viewer.png"),
]


@pytest.mark.parametrize(("notebook", "root", "chart", "name"), EXPLORER_NOTEBOOKS)
def test_explorer_in_jupyterlab(page, lab, notebook, root, chart, name, tmp_path):
    open_and_run(page, lab, notebook)
    assert page.locator(root).count() == 1
    if chart == "image":
        wait_for_chart(page, root)
        assert page.locator(chart_image(root)).first.get_attribute("alt").startswith("Dossier ")
    elif chart == "heatmap":
        text = heatmap_text(page, root)
        assert "stalled dossiers by office and phase" in text and "Rights opening" in text, text
    assert table_text(page, root)
    screenshot(page, page.locator(root), tmp_path / name)
    assert page.problems == []


# ============================================================================ tests: Voilà
_UNNAMED_CONTROLS = """() => {
    const unnamed = [];
    for (const el of document.querySelectorAll('.vitale-dashboard input, .vitale-dashboard select,'
                                               + ' .vitale-dashboard [role=slider]')) {
        const byLabel = el.labels && [...el.labels].map(l => l.textContent.trim()).join(' ');
        const name = (el.getAttribute('aria-label') || byLabel || '').trim();
        if (!name) unnamed.push(el.outerHTML.slice(0, 120));
    }
    return unnamed;
}"""


def test_dashboard_in_voila(page, voila, tmp_path):
    open_dashboard(page, voila)
    change_office_and_check(page, CASELOAD)
    tabs = [t.replace("\xa0", " ") for t in page.locator(".vitale-tabs .lm-TabBar-tab").all_inner_texts()]
    assert tabs == ["Time per phase", "Stalled dossiers", "Delay triggers", "One dossier", "Process map"]
    assert page.locator("h1").first.inner_text().startswith("Carte Vitale caseload dashboard")
    # The page's language and title; every chart image, input, list and slider has a name.
    assert page.evaluate("() => document.documentElement.lang") == "en"
    assert page.title() == "Carte Vitale caseload dashboard"
    alt = page.locator(chart_image(CASELOAD)).first.get_attribute("alt")
    assert alt.startswith("Time per phase"), alt
    for title in tabs:  # (every tab drawn, so that its controls exist in the page)
        show_tab(page, title)
    show_tab(page, tabs[0])
    page.wait_for_function("() => [...document.querySelectorAll('.vitale-dashboard [role=slider]')]"
                           ".every(h => h.getAttribute('aria-label'))")
    assert page.evaluate(_UNNAMED_CONTROLS) == []
    assert page.get_by_role("textbox", name="As of").count() == 1
    assert page.get_by_role("slider", name="Started — first month").count() == 1
    show_tab(page, "Stalled dossiers")
    assert page.get_by_role("slider", name="Stalled above percentile").count() == 1
    show_tab(page, "Process map")
    wait_for_chart(page, ".vitale-process-map")
    alt = page.locator(chart_image(".vitale-process-map")).first.get_attribute("alt")
    assert alt.startswith("Process map: how dossiers move from step to step"), alt
    assert page.get_by_role("slider", name="Hide moves made by fewer than (% of dossiers)").count() == 1
    show_tab(page, tabs[0])
    headline = text(page, ".vitale-headline")
    assert headline.startswith("3,000 dossiers as of 30 June 2025: 975 still open"), headline
    screenshot_dashboard(page, tmp_path / "dashboard.png")
    assert page.problems == []


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_dashboard_tabs_visible_on_a_small_screen(browser, voila, voila_fr, lang):
    """On a 1024×768 screen, the title, the introduction, the date, the headline and the tab bar
    fit without scrolling."""
    page = new_page(browser, {"width": 1024, "height": 768})
    try:
        open_dashboard(page, voila if lang == "en" else voila_fr)
        page.evaluate("() => window.scrollTo(0, 0)")
        bar = page.locator(".vitale-tabs .lm-TabBar").first.bounding_box()
        assert bar["y"] >= 0 and bar["y"] + bar["height"] <= 768, bar
        assert page.evaluate("() => document.documentElement.lang") == lang
        if lang == "fr":
            assert page.title() == "Tableau de bord des dossiers Carte Vitale"
        assert page.problems == []
    finally:
        page.context.close()


_WATCH_HEADLINE = """() => {
    const headline = document.querySelector('.vitale-dashboard .vitale-headline');
    window.vitaleHeadlines = [headline.innerText];
    new MutationObserver(() => {
        const now = headline.innerText;
        if (now !== window.vitaleHeadlines[window.vitaleHeadlines.length - 1]) window.vitaleHeadlines.push(now);
    }).observe(headline, {subtree: true, childList: true, characterData: true});
}"""


@pytest.mark.parametrize("lang, typed, day, tabs", [
    ("fr", "31/03/2025", "31 mars 2025", ["Durée des phases", "Dossiers bloqués", "Motifs de retard", "Un dossier",
                                          "Carte du processus"]),
    ("en", "2025-03-31", "31 March 2025", ["Time per phase", "Stalled dossiers", "Delay triggers", "One dossier",
                                           "Process map"]),
])
def test_a_date_typed_key_by_key_applies_to_every_tab(page, voila, voila_fr, lang, typed, day, tabs):
    """Typed at 200 ms a key, the date is applied once, when Enter is pressed: the headline changes
    once, from the last event's day to that day, and every tab shows that day."""
    open_dashboard(page, voila if lang == "en" else voila_fr)
    first = text(page, ".vitale-headline")
    assert ("30 juin 2025" if lang == "fr" else "30 June 2025") in first
    page.evaluate(_WATCH_HEADLINE)
    type_into(page, DATE_FIELD, typed)
    page.wait_for_function("day => document.querySelector('.vitale-headline').innerText.includes(day)", arg=day,
                           timeout=CHANGE_TIMEOUT)
    page.wait_for_timeout(1500)  # (anything else the kernel would still send)
    seen = [line.replace("\xa0", " ").replace("\u202f", " ") for line in page.evaluate("() => window.vitaleHeadlines")]
    assert len(seen) == 2 and seen[0] == first and day in seen[1], f"one change only, to {day}: {seen}"
    assert page.locator(DATE_FIELD).input_value() == typed
    for title in tabs:
        show_tab(page, title)
        status = page.locator(".vitale-dashboard .vitale-status:visible").first
        status.wait_for(state="visible")
        assert day in status.inner_text().replace("\xa0", " "), (title, status.inner_text())
    # A date outside the log is refused with a message, and nothing changes.
    type_into(page, DATE_FIELD, "2026-01-01" if lang == "en" else "01/01/2026")
    alert = page.locator(".vitale-dashboard .vitale-date-error").first
    alert.wait_for(state="visible", timeout=CHANGE_TIMEOUT)
    assert ("2 January 2024" if lang == "en" else "2 janvier 2025") in alert.inner_text()
    assert len(page.evaluate("() => window.vitaleHeadlines")) == 2
    assert page.problems == []


def test_dossier_numbers_as_advisors_type_them(page, voila):
    open_dashboard(page, voila)
    show_tab(page, "One dossier")
    viewer = ".vitale-case-viewer"
    wait_for_chart(page, viewer)
    type_into(page, DOSSIER_FIELD, "D999999")
    page.wait_for_function("() => document.querySelector('.vitale-case-viewer .vitale-status')"
                           ".innerText.includes('No dossier D999999')", timeout=CHANGE_TIMEOUT)
    assert text(page, f"{viewer} .vitale-status") == "No dossier D999999 — check the number."
    assert page.locator(chart_image(viewer)).count() == 0 and page.locator(f"{viewer} .vitale-table table").count() == 0
    for typed in ("d000425", "425"):
        type_into(page, DOSSIER_FIELD, "D000001")
        page.wait_for_function("() => document.querySelector('.vitale-case-viewer .vitale-status')"
                               ".innerText.startsWith('Dossier D000001')", timeout=CHANGE_TIMEOUT)
        type_into(page, DOSSIER_FIELD, typed)
        page.wait_for_function("() => document.querySelector('.vitale-case-viewer .vitale-status')"
                               ".innerText.startsWith('Dossier D000425:')", timeout=CHANGE_TIMEOUT)
        assert wait_for_chart(page, viewer)
        page.wait_for_function("() => document.querySelector('.vitale-case-viewer .vitale-table table')"
                               ".innerText.includes('D000425')", timeout=CHANGE_TIMEOUT)
        assert page.locator(chart_image(viewer)).first.get_attribute("alt").startswith("Dossier D000425")
    assert page.problems == []


def test_worklist_download_in_voila(page, voila_fr, workdir, tmp_path):
    """The button offers the worklist as a browser download (nothing written on the server); the file
    says its settings in its name and above its table, and starts with the most overdue dossier."""
    import warnings

    from openpyxl import load_workbook

    import vitale_analysis as va

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        log = va.load(PROJECT / "data" / "sample_export_fr.csv", mapping=PROJECT / "data" / "sample_export_fr.mapping.toml")
    expected = va.stalled(va.case_table(log), percentile=90, followup_days=14)
    open_dashboard(page, voila_fr)
    show_tab(page, "Dossiers bloqués")
    served = sorted(workdir.rglob("*.xlsx"))
    page.locator(".vitale-stall-explorer .vitale-control-save").first.click()
    link = page.locator(".vitale-stall-explorer a.vitale-download").first
    link.wait_for(state="visible", timeout=CHANGE_TIMEOUT)
    with page.expect_download() as download:
        link.click()
    name = "a_relancer_toutes-phases_p90_relance14j_au_2025-06-30.xlsx"
    assert download.value.suggested_filename == name
    path = tmp_path / name
    download.value.save_as(path)
    sheet = load_workbook(path).active
    rows = list(sheet.values)
    assert [row[0] for row in rows[:4]] == [
        "Dossiers à relancer, au 30 juin 2025",
        "Source : sample_export_fr.csv",
        ("Phase : Toutes les phases ; bloqué : plus de jours dans la phase que le 90e centile de ses dossiers ; "
        "relance après 14 jours sans nouvelles."),
        f"{len(expected)} dossiers, les plus en retard d'abord.",
    ]
    header = next(i for i, row in enumerate(rows) if row[0] == "Dossier")
    assert rows[header + 1][0] == expected["case_id"].iloc[0]
    assert len(rows) - header - 1 == len(expected)
    assert sorted(workdir.rglob("*.xlsx")) == served  # nothing written on the server
    assert page.problems == []


def test_voila_kernels_of_closed_pages_are_culled(browser, workdir, tmp_path):
    """Each page load starts a kernel; with the README's culling settings (shortened here), the kernels
    of closed pages are stopped and the count falls back, while open pages keep theirs."""
    with voila_server(workdir, tmp_path / "home", args=["--MappingKernelManager.cull_idle_timeout=4",
                                                        "--MappingKernelManager.cull_interval=2"]) as server:
        # (Voilà has no kernel list to ask: /api/kernels is not one of its handlers.)
        request = urllib.request.Request(server.url + "/api/kernels")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                listed = response.geturl() == server.url + "/api/kernels" and response.status == 200
        except urllib.error.HTTPError:
            listed = False
        assert not listed
        pages = [new_page(browser) for _ in range(3)]
        for page in pages:
            open_dashboard(page, server)
        assert len(kernels(server)) == 3
        time.sleep(8)  # idle longer than the timeout, but connected: kept
        assert len(kernels(server)) == 3
        for page in pages:
            page.close(run_before_unload=True)
            page.context.close()
        deadline = time.monotonic() + 60
        while kernels(server) and time.monotonic() < deadline:
            time.sleep(1)
        assert kernels(server) == []
        culled = re.findall(r"Culling 'idle' kernel", server.log.read_text(errors="replace"))
        assert len(culled) >= 3, server.log.read_text(errors="replace")[-3000:]
