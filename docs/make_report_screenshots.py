"""Screenshots of the HTML report for the README: on a screen, printed on A4, on a phone.

    python docs/make_report_screenshots.py           # English, into docs/
    python docs/make_report_screenshots.py --lang fr --out /tmp/shots

Writes ``report.png`` (a 1280 px wide screen), ``report_print_a4.png`` (the first page and the
first worklist page of the A4 PDF, as Chromium prints them) and ``report_phone.png`` (two screens
of a 390 px phone: the top of the report and the worklist in its sideways-scrolling wrapper).
The report itself is written from the bundled sample into a temporary folder, removed at the
end: the checkout is left as it was, but for these images. Run it by hand (the tests never write
into docs/); it needs the dev extra (Playwright, pypdf) and Debian's Chromium.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageChops
from pypdf import PdfReader, PdfWriter

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PRINT_HEIGHT = 1000  # px, the height of each page in report_print_a4.png


def write_sample_report(out: Path, lang: str) -> Path:
    """The bundled sample's report, written by the command line into ``out``."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    subprocess.run([sys.executable, "-m", "vitale_analysis", "report", "--lang", lang, "--out", str(out)],
                   check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    return out / ("report.html" if lang == "en" else "report_fr.html")


def _png(image: Image.Image, path: Path) -> Path:
    # (a 256-colour palette: the pages are mostly flat colour, and the files stay small)
    image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    return path


def _pdf_page_image(browser, pdf: Path, number: int, work: Path) -> Image.Image:
    """Page ``number`` of ``pdf`` as Chromium's PDF viewer draws it, cropped to the paper."""
    single = work / f"page{number}.pdf"
    writer = PdfWriter()
    writer.add_page(PdfReader(pdf).pages[number])
    writer.write(single)
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    page.goto(f"{single.as_uri()}#toolbar=0&navpanes=0&view=Fit")
    page.wait_for_timeout(2000)  # (the viewer draws the page after the load event)
    shot = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    page.close()
    background = Image.new("RGB", shot.size, shot.getpixel((1, 1)))
    box = ImageChops.difference(shot, background).getbbox()
    paper = shot.crop(box)
    return paper.resize((round(paper.width * PRINT_HEIGHT / paper.height), PRINT_HEIGHT), Image.LANCZOS)


def print_screenshot(browser, html: Path, out: Path, work: Path) -> Path:
    page = browser.new_page()
    page.goto(html.as_uri())
    page.emulate_media(media="print")
    pdf = work / "report.pdf"
    page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
    first_row = page.eval_on_selector("#stalled tbody td", "e => e.innerText")
    page.close()
    pages = PdfReader(pdf).pages
    worklist = next(i for i, p in enumerate(pages) if first_row in p.extract_text())
    images = [_pdf_page_image(browser, pdf, i, work) for i in (0, worklist)]
    gap = 24
    sheet = Image.new("RGB", (sum(i.width for i in images) + gap * (len(images) + 1), PRINT_HEIGHT + 2 * gap), "#5f6368")
    x = gap
    for image in images:
        sheet.paste(image, (x, gap))
        x += image.width + gap
    return _png(sheet, out / "report_print_a4.png")


def phone_screenshot(browser, html: Path, out: Path) -> Path:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    page = context.new_page()
    page.goto(html.as_uri())
    page.wait_for_load_state("load")
    top = Image.open(io.BytesIO(page.screenshot()))
    page.eval_on_selector("#stalled .wide", "e => { e.scrollIntoView(); window.scrollBy(0, -12); }")
    worklist = Image.open(io.BytesIO(page.screenshot()))
    context.close()
    gap = 40
    sheet = Image.new("RGB", (top.width * 2 + gap * 3, top.height + gap * 2), "#5f6368")
    sheet.paste(top, (gap, gap))
    sheet.paste(worklist, (top.width + 2 * gap, gap))
    sheet = sheet.resize((sheet.width // 2, sheet.height // 2), Image.LANCZOS)  # 390 px a screen
    return _png(sheet, out / "report_phone.png")


def screen_screenshot(browser, html: Path, out: Path) -> Path:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(html.as_uri())
    page.wait_for_load_state("load")
    path = out / "report.png"
    page.screenshot(path=str(path), full_page=False)
    page.close()
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", default="en", choices=["en", "fr"])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNGs (default: docs/)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vitale-report-shots-") as work, sync_playwright() as p:
        work = Path(work)
        html = write_sample_report(work, args.lang)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            written = [screen_screenshot(browser, html, args.out), print_screenshot(browser, html, args.out, work),
                       phone_screenshot(browser, html, args.out)]
        finally:
            browser.close()
    for path in written:
        print(f"{path} ({path.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
