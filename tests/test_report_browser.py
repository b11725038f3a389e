"""The HTML report opened in a real browser: Debian's Chromium, headless, driven by Playwright.

On a screen every image loads and the page logs no console error. On A4 paper (the page printed
to PDF by Chromium, then read back page by page with pypdf) no table row, heading or caption is
split from what follows it and no text runs past the page edge. On a phone (390 px) the page is
never wider than the screen: tables scroll inside their own wrapper. Screenshots go to the test's
temporary folder only; docs/make_report_screenshots.py makes the committed ones.
.ci/run installs chromium; the tests fail (they are not skipped) when the browser is missing,
so CI cannot pass without it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from vitale_analysis.report import _PORTRAIT_WIDE_CSS

pytestmark = pytest.mark.slow  # a real browser

PROJECT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LANGS = ["en", "fr"]
#: A4 in PDF points, and the width of the page's content on portrait and on landscape A4 in CSS
#: pixels (less the 12 mm margins each side, at 96 px per inch).
A4_POINTS = (595.3, 841.9)
PORTRAIT_CONTENT_PX = (210 - 24) / 25.4 * 96
LANDSCAPE_CONTENT_PX = (297 - 24) / 25.4 * 96
IMAGE = "\x00"  # stands for an image in a page's text stream


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Chromium is missing: apt-get install -y chromium (.ci/run does it)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    """The bundled sample's report, written by the command line, in English and in French."""
    out = tmp_path_factory.mktemp("report")
    pages = {}
    for lang in LANGS:
        result = subprocess.run([sys.executable, "-m", "vitale_analysis", "report", "--lang", lang, "--out", str(out)],
                                check=False, capture_output=True, text=True, cwd=PROJECT, timeout=300)
        assert result.returncode == 0, result.stderr
        pages[lang] = out / ("report.html" if lang == "en" else "report_fr.html")
    return pages


@pytest.mark.parametrize("lang", LANGS)
def test_report_opens_cleanly_in_chromium(browser, reports, tmp_path, lang):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(reports[lang].as_uri())
    page.wait_for_load_state("load")
    images = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth, e.alt])")
    assert len(images) >= 1, "the report embeds its charts"
    broken = [alt for complete, width, alt in images if not complete or width == 0]
    assert not broken, f"images that did not load: {broken}"
    assert errors == []
    heading = page.inner_text("h1")
    assert heading == ("Carte Vitale caseload report" if lang == "en" else "Rapport sur les dossiers Carte Vitale")
    assert page.title() == (f"{heading} — as of 30 June 2025" if lang == "en" else f"{heading} — au 30 juin 2025")
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 10_000
    page.close()


# ============================================================================ paper
def _norm(text: str) -> str:
    """Text as compared between the page and the PDF: ligatures undone (NFKC), soft hyphens and
    every kind of space (line breaks, the narrow no-break space of French numbers) left out."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).replace("\xad", ""))


def _page_items(pdf_page) -> dict:
    """One PDF page: its size in points, its text in drawing order (an image drawn stands as
    :data:`IMAGE`) and where each piece of text starts."""
    stream, starts = [], []

    def on_text(text, cm, tm, font, size):
        if text.strip():
            stream.append(_norm(text))
            starts.append(tm[4] * cm[0] + cm[4] if tm and cm else 0.0)

    def on_operator(operator, operands, cm, tm):
        if operator == b"Do":
            stream.append(IMAGE)

    pdf_page.extract_text(visitor_text=on_text, visitor_operand_before=on_operator)
    return {"size": (float(pdf_page.mediabox.width), float(pdf_page.mediabox.height)),
            "text": "".join(stream), "x": starts}


def pdf_pages(path: Path) -> list[dict]:
    """Each page of a PDF, as :func:`_page_items` reads it."""
    from pypdf import PdfReader

    return [_page_items(pdf_page) for pdf_page in PdfReader(path).pages]


# What the printed page holds, read from the page itself: every table row's cells, every heading
# and caption with what must follow it on the same page, the worklist's next actions.
_LAYOUT_JS = """() => {
  const t = e => e.innerText;
  const tables = [...document.querySelectorAll('table')].map(table => ({
    section: table.closest('section') ? table.closest('section').id : '',
    caption: table.caption ? t(table.caption) : '',
    head: [...table.tHead.rows[0].cells].map(t),
    rows: [...table.tBodies[0].rows].map(r => [...r.cells].map(t)),
  }));
  const follows = e => {  // what comes right after a heading: an image, or the start of a text
    const next = e.nextElementSibling;
    if (!next) return null;
    if (next.tagName === 'FIGURE' || next.tagName === 'IMG') return {image: true};
    return {text: t(next)};
  };
  const headings = [...document.querySelectorAll('h1, h2')].map(h => ({text: t(h), next: follows(h)}));
  return {tables, headings};
}"""

# Anything wider than the page's content (text past the page edge), with the page laid out at the
# width of the content of the pages it is printed on: ``wide`` true for what goes on landscape
# pages (inside ``.wide``), false for the rest.
_OVERFLOW_JS = """([width, wide]) => {
  const out = [];
  const name = e => `${e.tagName} "${(e.innerText || e.alt || '').slice(0, 60)}"`;
  for (const e of document.querySelectorAll('h1, h2, p, li, figure, img, table, caption, th, td')) {
    if (Boolean(e.closest('.wide')) !== wide) continue;
    const box = e.getBoundingClientRect();
    if (box.right > width + 1) out.push(`${name(e)} ends at ${Math.round(box.right)}px of ${Math.round(width)}`);
    if ((e.tagName === 'TD' || e.tagName === 'TH') && e.scrollWidth > e.clientWidth + 1)
      out.push(`${name(e)} overflows its cell`);
  }
  return out;
}"""


def print_problems(layout: dict, pages: list[dict]) -> list[str]:
    """What is wrong with the printed report: rows split across pages or cut, headings and captions
    at the bottom of a page apart from what follows them, table headers not repeated, text past the
    page edge, pages not A4."""
    problems = []
    texts = [page["text"] for page in pages]

    def pages_with(fragment: str) -> list[int]:
        return [i for i, text in enumerate(texts) if fragment in text]

    for i, page in enumerate(pages):
        width, height = sorted(page["size"])
        if abs(width - A4_POINTS[0]) > 2 or abs(height - A4_POINTS[1]) > 2:
            problems.append(f"page {i + 1} is {page['size']} points, not A4")
        outside = [x for x in page["x"] if x < 0 or x >= page["size"][0]]
        if outside:
            problems.append(f"page {i + 1}: text starts outside the page at x = {outside[:3]}")
    for heading in layout["headings"]:
        after = heading["next"]
        if after is None:
            continue
        following = IMAGE if after.get("image") else _norm(after["text"])[:40]
        if not pages_with(_norm(heading["text"]) + following):
            where = pages_with(_norm(heading["text"]))
            problems.append(f"heading {heading['text']!r} (page {[p + 1 for p in where]}) is not followed on its "
                            "page by what comes under it")
    for table in layout["tables"]:
        name = table["caption"] or table["section"]
        head = "".join(_norm(cell) for cell in table["head"])
        if table["caption"] and table["rows"]:
            start = _norm(table["caption"]) + head + _norm(table["rows"][0][0])
            if not pages_with(start):
                problems.append(f"caption {name!r} is not followed on its page by the header and a first row")
        for row in table["rows"]:
            whole = "".join(_norm(cell) for cell in row)
            found = pages_with(whole)
            if not found:
                problems.append(f"{name}: row {row[0]!r} is not whole on any one page (split or cut): {row}")
            elif not any(head in texts[i] for i in found):
                problems.append(f"{name}: on page {found[0] + 1} row {row[0]!r} is printed without the table's header")
    return problems


def print_report(browser, html: Path, pdf: Path, *, style: str = "",
                 landscape: bool = True) -> tuple[dict, list[dict], list[str]]:
    """Print ``html`` to an A4 PDF as a reader's browser does (print media, the page's own @page
    sizes), with an optional extra ``style``; returns the page's layout, the PDF's pages and what
    is wider than the page it is printed on (portrait; landscape inside ``.wide`` if ``landscape``)."""
    page = browser.new_page()
    page.goto(html.as_uri())
    page.wait_for_load_state("load")
    if style:
        page.add_style_tag(content=style)
    page.emulate_media(media="print")
    page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
    layout = page.evaluate(_LAYOUT_JS)
    overflow = []
    for width, wide in ((PORTRAIT_CONTENT_PX, False), (LANDSCAPE_CONTENT_PX if landscape else PORTRAIT_CONTENT_PX, True)):
        page.set_viewport_size({"width": int(width), "height": 1000})
        overflow += page.evaluate(_OVERFLOW_JS, [width, wide])
    page.close()
    return layout, pdf_pages(pdf), overflow


#: A browser that knows no named pages (``page: wide``) prints every page in portrait, with the
#: report's rules for that case (which Chromium, knowing named pages, never applies by itself).
NO_NAMED_PAGES = "@media print{ .wide{page:auto !important} " + _PORTRAIT_WIDE_CSS + " }"


@pytest.mark.parametrize("layout_kind", ["named pages", "portrait only"])
@pytest.mark.parametrize("lang", LANGS)
def test_report_prints_on_a4_without_cut_rows_or_stranded_headings(browser, reports, tmp_path, lang, layout_kind):
    portrait_only = layout_kind == "portrait only"
    layout, pages, overflow = print_report(browser, reports[lang], tmp_path / "report.pdf",
                                           style=NO_NAMED_PAGES if portrait_only else "", landscape=not portrait_only)
    assert overflow == [], f"wider than the A4 page: {overflow[:8]}"
    problems = print_problems(layout, pages)
    assert problems == [], f"{len(problems)} printing problems, the first: {problems[:8]}"

    # The worklist: 25 rows, each row's next action whole on one page, several rows a page.
    (worklist,) = [table for table in layout["tables"] if table["section"] == "stalled"]
    assert len(worklist["rows"]) == 25
    texts = [page["text"] for page in pages]
    holding = []
    for row in worklist["rows"]:
        action = _norm(row[-1])
        assert len(action) > 40 and any(action in text for text in texts), f"next action cut: {row[-1]!r}"
        holding.append(next(i for i, text in enumerate(texts) if "".join(_norm(c) for c in row) in text))
    per_page = [holding.count(i) for i in sorted(set(holding))]
    # (pages the worklist fills: in landscape it starts a page; in portrait it starts under the charts)
    full = per_page[:-1] if not portrait_only else per_page[1:-1]
    assert full and min(full) >= 5, f"worklist rows per page: {per_page}"
    landscape = [page["size"][0] > page["size"][1] for page in pages]
    if portrait_only:
        assert not any(landscape)
    else:
        assert not landscape[0], "the first page is portrait"
        assert all(landscape[i] for i in set(holding)), "the worklist is printed on landscape pages"
    if not portrait_only:
        # (the report before its print styles had 14 in English; the forecast section adds a chart and a table,
        # the process map section a tall chart and two tables: 18 in French)
        assert len(pages) <= 18, f"{len(pages)} A4 pages"


def test_the_print_checks_find_split_rows_and_stranded_headings(browser, reports, tmp_path):
    """Without the report's print rules (rows and headings free to break), the checks above fail."""
    old = ("@media print{ tr,figure,img,.keep{break-inside:auto !important}"
           " h1,h2,caption,.note{break-after:auto !important} .wide{page:auto !important}"
           " thead{display:table-row-group !important} }")
    layout, pages, _ = print_report(browser, reports["en"], tmp_path / "report.pdf", style=old)
    problems = print_problems(layout, pages)
    assert any("not whole on any one page" in p for p in problems), problems[:8]


# ============================================================================ phone
@pytest.mark.parametrize("lang", LANGS)
def test_report_on_a_phone(browser, reports, tmp_path, lang):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    page = context.new_page()
    page.goto(reports[lang].as_uri())
    page.wait_for_load_state("load")
    assert page.get_attribute("html", "lang") == lang
    assert page.eval_on_selector('meta[name="viewport"]', "e => e.content") == "width=device-width, initial-scale=1"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page is wider than the phone"
    tables = page.eval_on_selector_all("table", """els => els.map(t => {
        const wrap = t.parentElement, box = wrap.getBoundingClientRect();
        return {caption: t.caption ? t.caption.innerText : '', wrapped: wrap.classList.contains('table-wrap'),
                overflow: getComputedStyle(wrap).overflowX, right: box.right,
                scrolls: wrap.scrollWidth > wrap.clientWidth};
    })""")
    assert len(tables) == 8  # (with the weeks of the forecast, the paths and the rework by channel)
    for table in tables:
        assert table["caption"].strip(), f"a table without a caption: {table}"
        assert table["wrapped"] and table["overflow"] in ("auto", "scroll"), f"not in a scrolling wrapper: {table}"
        assert table["right"] <= 390, f"the wrapper is wider than the phone: {table}"
    assert any(table["scrolls"] for table in tables), "the wide tables scroll sideways inside their wrapper"
    caption = {"en": "Dossiers to follow up, most overdue first (the first 25 of 85)",
               "fr": "Dossiers à relancer, les plus en retard d'abord (les 25 premiers sur 85)"}[lang]
    assert caption in [table["caption"] for table in tables]
    images = page.eval_on_selector_all("img", "els => els.map(e => [e.alt, e.getBoundingClientRect().width])")
    assert len(images) == 10  # (with the forecast per week and the process map)
    alts = [alt for alt, _ in images]
    assert all(len(alt.split()) >= 4 for alt in alts), f"alt texts that say too little: {alts}"
    assert len(set(alts)) == len(alts), f"alt texts that do not tell the charts apart: {alts}"
    assert all(width <= 390 for _, width in images), "images scale down to the phone"
    shot = tmp_path / "phone.png"
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 10_000
    context.close()
