"""Regenerate the screenshots of the README (docs/screenshots/*.png) in a real browser.

    python docs/make_screenshots.py            # into docs/screenshots/
    python docs/make_screenshots.py --out DIR  # somewhere else

The explorers are shown in JupyterLab (notebooks 01–04, every cell run) and the dashboard in
Voilà, on a temporary copy of notebooks/ and the sample data, with the servers, Chromium and
steps of the browser tests (tests/test_notebooks_browser.py, which writes its own screenshots
only to a temporary folder). Every server is stopped at the end. Needs the ``dev`` extra and
Debian's Chromium (``apt-get install -y chromium``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "tests"))

import test_notebooks_browser as browser_tests


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT / "docs" / "screenshots",
                        help="folder for the PNG files (default: docs/screenshots)")
    out = parser.parse_args(argv).out
    written = []
    with tempfile.TemporaryDirectory(prefix="vitale-screenshots-") as folder:
        root = Path(folder)
        work = browser_tests.copy_notebooks(root / "work")
        with browser_tests.chromium() as chromium:
            with browser_tests.lab_server(work, root / "lab") as lab:
                page = browser_tests.new_page(chromium)
                browser_tests.open_and_run(page, lab, "01_caseload_overview.ipynb")
                browser_tests.wait_for_chart(page, browser_tests.CASELOAD)
                written.append(browser_tests.screenshot(page, page.locator(browser_tests.CASELOAD),
                                                        out / "caseload_explorer.png"))
                page.context.close()
                for notebook, css, chart, name in browser_tests.EXPLORER_NOTEBOOKS:
                    page = browser_tests.new_page(chromium)
                    browser_tests.open_and_run(page, lab, notebook)
                    if chart == "image":
                        browser_tests.wait_for_chart(page, css)
                    elif chart == "heatmap":
                        browser_tests.heatmap_text(page, css)
                    browser_tests.table_text(page, css)
                    written.append(browser_tests.screenshot(page, page.locator(css), out / name))
                    page.context.close()
            with browser_tests.voila_server(work, root / "voila") as voila:
                page = browser_tests.new_page(chromium)
                browser_tests.open_dashboard(page, voila)
                written.append(browser_tests.screenshot_dashboard(page, out / "dashboard.png"))
                page.context.close()
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
