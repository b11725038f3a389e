"""The HTML report opened in a real browser: Debian's Chromium, headless, driven by Playwright.

Every image must load, the page must log no console error, and a screenshot is taken
(saved as docs/report.png, committed and shown in the README, with VITALE_SCREENSHOTS=1).
.ci/run installs chromium; the test fails (it is not skipped) when the browser is missing,
so CI cannot pass without it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Chromium is missing: apt-get install -y chromium (.ci/run does it)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_report_opens_cleanly_in_chromium(browser, tmp_path, lang):
    result = subprocess.run([sys.executable, "-m", "vitale_analysis", "report", "--lang", lang, "--out", str(tmp_path)],
                            capture_output=True, text=True, cwd=PROJECT, timeout=300)
    assert result.returncode == 0, result.stderr
    page_path = tmp_path / ("report.html" if lang == "en" else "report_fr.html")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(page_path.as_uri())
    page.wait_for_load_state("load")
    images = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth, e.alt])")
    assert len(images) >= 1, "the report embeds its charts"
    broken = [alt for complete, width, alt in images if not complete or width == 0]
    assert not broken, f"images that did not load: {broken}"
    assert errors == []
    heading = page.inner_text("h1")
    assert heading == ("Carte Vitale caseload report" if lang == "en" else "Rapport sur les dossiers Carte Vitale")
    if lang == "en":
        shot = PROJECT / "docs" / "report.png" if os.environ.get("VITALE_SCREENSHOTS") else tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=False)
        assert shot.stat().st_size > 10_000
    page.close()
