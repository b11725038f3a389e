"""No full social security number (NIR) anywhere the toolkit shows data.

A 200-dossier simulated caseload whose case ids are replaced by made-up NIRs
with valid keys (some Corsican, 2A/2B), with a ``nir`` column and NIRs written
inside notes (spaced, dotted). Then every output is scanned for a full NIR:
the report (CLI subprocess, en and fr: HTML and every Excel cell), every
notebook executed on a copy (all outputs and the saved widget state), the four
widgets built in-process (their ``.shown`` tables, HTML widget values, option
labels and the text drawn in their figures), and the text artists of every
chart ``report_charts`` draws. Masked forms must appear, so the scan can fail.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import unicodedata
import sys
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

import vitale_analysis as va  # noqa: E402
from vitale_analysis import DataQualityWarning  # noqa: E402

pytestmark = pytest.mark.slow  # every notebook executed, two reports written: about 35 s

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
AS_OF = "2025-06-30"

# A full NIR: 13 or 15 characters, spaces/dots/dashes allowed between groups, 2A/2B for Corsica.
_SEP = r"[ .\-\u00a0]?"
FULL_NIR = re.compile(
    rf"(?<![0-9A-Za-z])[1-478]{_SEP}\d\d{_SEP}\d\d{_SEP}(?:\d\d|2[AB]){_SEP}\d{{3}}{_SEP}\d{{3}}(?:{_SEP}\d\d)?(?![0-9A-Za-z])",
    re.IGNORECASE,
)
MASKED = re.compile(r"[12] \d\d •• •• ••• •••")


def nir_key(first13: str) -> str:
    numeric = first13.upper().replace("2A", "19").replace("2B", "18")
    return f"{97 - int(numeric) % 97:02d}"


def make_nir(rng: np.random.Generator, i: int) -> str:
    sex = "12"[i % 2]
    year = f"{rng.integers(50, 99):02d}"
    month = f"{rng.integers(1, 13):02d}"
    dept = "2A" if i % 17 == 0 else "2B" if i % 19 == 0 else f"{rng.integers(1, 96):02d}"
    first13 = sex + year + month + dept + f"{rng.integers(1, 999):03d}" + f"{rng.integers(1, 999):03d}"
    return first13 + nir_key(first13)


def spaced(nir: str) -> str:
    return " ".join([nir[0], nir[1:3], nir[3:5], nir[5:7], nir[7:10], nir[10:13], nir[13:]])


def find_full(text: str) -> list[str]:
    """Full NIRs in a text: the written forms the regex knows, and any planted number however it
    is written (full-width digits, no-break and thin spaces, slashes, underscores, glued to letters)."""
    text = re.sub(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+", "", text)  # embedded PNG bytes are not text
    found = [m.group(0) for m in FULL_NIR.finditer(text)]
    flat = "".join(ch for ch in unicodedata.normalize("NFKC", text).upper() if ch not in _SEPARATORS)
    found += [n for n in PLANTED if n in flat]
    return found


#: Every NIR planted in the log (15 characters, upper case), filled by the fixture.
PLANTED: list[str] = []
#: What may stand between the digits of a written number (spaces of every kind, invisible joiners,
#: dots, dashes, slashes, underscores): removed before looking for a planted number.
_SEPARATORS = set(" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                  "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\u200b\u200c\u200d\u2060\ufeff"
                  "./_-\u00b7\u2010\u2011\u2012\u2013\u2014\u2015\u2212")

#: The ways people write a NIR (issue 23): each dossier's number is written in one of them.
FORMS = {
    "plain": lambda n: n,
    "spaced": lambda n: spaced(n),
    "dotted": lambda n: ".".join(spaced(n).split()),
    "no-break spaces": lambda n: "\u00a0".join(spaced(n).split()),
    "narrow no-break spaces": lambda n: "\u202f".join(spaced(n).split()),
    "thin spaces": lambda n: "\u2009".join(spaced(n).split()),
    "double spaces": lambda n: "  ".join(spaced(n).split()),
    "slashes": lambda n: "/".join(spaced(n).split()),
    "underscores": lambda n: "_".join(spaced(n).split()),
    "tabs": lambda n: "\t".join(spaced(n).split()),
    "glued to letters": lambda n: "NIR" + n,
    "full-width digits": lambda n: n.translate({ord(c): 0xFF10 + int(c) for c in "0123456789"}),
}


@pytest.fixture(scope="module")
def nir_log(tmp_path_factory):
    """200 dossiers whose case ids are NIRs, each written in one of FORMS; NIRs also in the
    office, channel and route (some dossiers), the advisor, a nir column, the notes, unknown
    event names and unknown trigger values, and in the file's own name."""
    events = va.simulate(200, seed=3, as_of=AS_OF)
    rng = np.random.default_rng(11)
    ids = sorted(events["case_id"].unique())
    nirs = {cid: make_nir(rng, i) for i, cid in enumerate(ids)}
    assert len(set(nirs.values())) == len(nirs)
    for n in nirs.values():
        assert va.privacy.nir_key_ok(n) is True, n
    PLANTED[:] = [n.upper() for n in nirs.values()]
    forms = list(FORMS.values())
    written = {cid: forms[i % len(forms)](n) for i, (cid, n) in enumerate(nirs.items())}
    events = events.copy()
    events["nir"] = events["case_id"].map(nirs)
    events["advisor"] = events["case_id"].map({cid: f"conseiller {forms[(i + 3) % len(forms)](n)}"
                                               for i, (cid, n) in enumerate(nirs.items())})
    some = events["case_id"].isin(ids[::7])
    events.loc[some, "office"] = events.loc[some, "case_id"].map(lambda c: "CPAM " + FORMS["spaced"](nirs[c]))
    some = events["case_id"].isin(ids[3::11])
    events.loc[some, "channel"] = events.loc[some, "case_id"].map(lambda c: "canal " + FORMS["slashes"](nirs[c]))
    some = events["case_id"].isin(ids[5::13])
    events.loc[some, "route"] = events.loc[some, "case_id"].map(lambda c: "parcours " + FORMS["tabs"](nirs[c]))
    odd = events.index[::97]
    events.loc[odd, "event"] = [f"appel {forms[k % len(forms)](nirs[c])}" for k, c in
                                enumerate(events.loc[odd, "case_id"])]
    events.loc[events.index[5::89], "trigger"] = [f"motif {forms[k % len(forms)](nirs[c])}" for k, c in
                                                   enumerate(events.loc[events.index[5::89], "case_id"])]
    events["case_id"] = events["case_id"].map(written)
    notes = pd.Series(pd.NA, index=events.index, dtype="object")
    for k, idx in enumerate(events.index[::3]):
        notes[idx] = f"numéro de sécu du client : {forms[k % len(forms)](events.at[idx, 'nir'])}, à rappeler"
    events["note"] = notes
    folder = tmp_path_factory.mktemp("nirlog") / f"dossiers {FORMS['spaced'](PLANTED[0])}"
    folder.mkdir()
    path = folder / f"export {PLANTED[1]}.csv"
    events.to_csv(path, index=False)
    # The scan finds the numbers as written (so a miss below means masking, not a blind scan).
    text = path.read_text(encoding="utf-8")
    assert set(find_full(text)) >= set(PLANTED)
    n = next(v for v in nirs.values() if "2A" in v)
    for name, form in FORMS.items():
        assert find_full(f"note: {form(n)}, end"), name
        assert not find_full(va.mask_identifier(form(n))) and MASKED.search(va.mask_identifier(form(n))), name
    return path, events


def _load(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return va.load(path)


# --------------------------------------------------------------------------- the report
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_report_html_and_excel(nir_log, tmp_path, lang):
    import openpyxl

    path, _ = nir_log
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "vitale_analysis", "report", str(path), "--as-of", AS_OF, "--lang", lang,
         "--out", str(out)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert not find_full(proc.stdout + proc.stderr)
    suffix = "" if lang == "en" else "_fr"
    html = (out / f"report{suffix}.html").read_text(encoding="utf-8")
    assert not find_full(html), find_full(html)[:5]
    assert MASKED.search(html), "masked NIRs are shown in the report"
    book = openpyxl.load_workbook(out / f"report{suffix}.xlsx")
    cells, masked = [], 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                value = str(cell.value)
                cells.extend(f"{sheet.title}!{cell.coordinate}: {v}" for v in find_full(value))
                masked += bool(MASKED.search(value))
    assert not cells, cells[:5]
    assert masked > 0, "masked NIRs are shown in the workbook"


# --------------------------------------------------------------------------- notebooks
def _run_notebooks(path: Path, tmp_path: Path, nir: str) -> dict[str, Path]:
    """Execute a copy of every notebook (in parallel), parameters pointed at the NIR log."""
    import nbformat

    work = tmp_path / "notebooks"
    work.mkdir()
    procs = {}
    env = {**os.environ, "VITALE_CASELOG": str(path), "VITALE_AS_OF": AS_OF, "MPLBACKEND": "Agg"}
    for source in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(source, as_version=4)
        if source.stem != "dashboard":
            cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
            lines = [f"log_path = {str(path)!r}", "mapping = None", f"as_of = {AS_OF!r}", "lang = 'en'",
                     "followup_days = 14", f"out_dir = {str(tmp_path / 'nb_report')!r}", f"case_id = {nir!r}"]
            cell.source = "\n".join(lines)
        copy = work / source.name
        nbformat.write(nb, copy)
        procs[source.name] = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace",
             "--ExecutePreprocessor.timeout=180", "--ExecutePreprocessor.kernel_name=python3", str(copy)],
            cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
    for name, proc in procs.items():
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, f"{name}: {err[-2000:]}"
    return {name: work / name for name in procs}


@pytest.fixture(scope="module")
def executed_notebooks(nir_log, tmp_path_factory):
    path, events = nir_log
    nir = events.loc[events["trigger"].notna(), "case_id"].iloc[0]  # a dossier with a delay trigger
    return _run_notebooks(path, tmp_path_factory.mktemp("nb"), nir)


# Known leaks (package bugs, reported): a raw DataFrame displayed with its case ids unmasked.
# These two show no dossier at all (phase summaries, charts): nothing masked to find.
_AGGREGATES_ONLY = {"01_caseload_overview.ipynb", "05_report_charts.ipynb"}
_NOTEBOOK_NAMES = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))


@pytest.mark.parametrize(
    "name",
    _NOTEBOOK_NAMES,
)
def test_notebook_outputs_and_widget_state(executed_notebooks, name):
    nb = json.loads(executed_notebooks[name].read_text(encoding="utf-8"))
    metadata = json.dumps(nb.get("metadata", {}), ensure_ascii=False)
    if name != "05_report_charts.ipynb":  # the others show widgets: their state is saved and scanned
        assert "application/vnd.jupyter.widget-state+json" in metadata
    texts = [metadata]
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error", f"{name}: {output.get('ename')}: {output.get('evalue')}"
            texts.append(json.dumps(output, ensure_ascii=False))
        texts.append(json.dumps(cell.get("metadata", {}), ensure_ascii=False))
    blob = "\n".join(texts)
    found = find_full(blob)
    assert not found, f"{name}: {found[:5]}"
    assert re.search(r"200 (?:cases|dossiers)", blob), f"{name}: the NIR log (200 dossiers) was analysed"
    if name not in _AGGREGATES_ONLY:
        assert MASKED.search(blob), f"{name}: masked NIRs are shown"


# --------------------------------------------------------------------------- widgets in-process
def _widget_texts(widget) -> list[str]:
    """HTML values, labels, option labels and Output contents of a widget tree."""
    import ipywidgets as W

    texts, stack = [], [widget]
    while stack:
        w = stack.pop()
        for attr in ("value", "description", "placeholder", "tooltip"):
            v = getattr(w, attr, None)
            if isinstance(v, str):
                texts.append(v)
        for attr in ("options", "_options_labels"):  # (what the page shows: a (label, value) pair's label)
            v = getattr(w, attr, None)
            if isinstance(v, (list, tuple)):
                texts.extend(str(o[0]) if isinstance(o, tuple) else str(o) for o in v)
        if isinstance(w, W.Output):
            texts.append(json.dumps(list(w.outputs), ensure_ascii=False))
        stack.extend(getattr(w, "children", ()) or ())
    return texts


def _figure_texts(fig) -> list[str]:
    from matplotlib.text import Text

    if fig is None:
        return []
    fig.canvas.draw()  # tick labels exist once drawn
    return [t.get_text() for t in fig.findobj(Text)]


def test_widgets(nir_log):
    import matplotlib.pyplot as plt

    from vitale_analysis.widgets import CaseloadExplorer, CaseViewer, StallExplorer, TriggerExplorer

    path, events = nir_log
    log = _load(path)
    nir = events.loc[events["trigger"].notna(), "case_id"].iloc[0]
    masked_seen = 0
    for lang in ("en", "fr"):
        for make in (
            lambda: CaseloadExplorer(log, as_of=AS_OF, lang=lang),
            lambda: StallExplorer(log, as_of=AS_OF, lang=lang),
            lambda: TriggerExplorer(log, as_of=AS_OF, lang=lang),
            lambda: CaseViewer(log, as_of=AS_OF, lang=lang, case_id=nir),
        ):
            w = make()
            texts = [w.shown.to_csv(index=False)] if w.shown is not None else []
            texts += _widget_texts(w.widget)
            texts += _figure_texts(w.figure)
            blob = "\n".join(texts)
            found = find_full(blob)
            assert not found, f"{type(w).__name__} ({lang}): {found[:5]}"
            masked_seen += len(MASKED.findall(blob))
            if isinstance(w, CaseViewer):
                assert MASKED.search(w.shown.to_csv(index=False)), "the viewer shows the dossier, masked"
            plt.close("all")
    assert masked_seen > 0


# --------------------------------------------------------------------------- report charts
def test_report_chart_texts(nir_log, monkeypatch):
    """Every Text artist (titles, tick labels, annotations) of every chart the report draws."""
    from vitale_analysis import report

    path, _ = nir_log
    log = _load(path)
    texts: list[str] = []
    original = report.figure_png

    def capture(fig):
        texts.extend(_figure_texts(fig))
        return original(fig)

    monkeypatch.setattr(report, "figure_png", capture)
    for lang in ("en", "fr"):
        tables = report.report_tables(log, as_of=AS_OF, lang=lang)
        charts = report.report_charts(tables)
        assert sum(len(v) for v in charts.values()) >= 6
    assert len(texts) > 50
    found = find_full("\n".join(texts))
    assert not found, found[:5]
    # the dossier timeline chart (the one chart that names a dossier) shows it masked
    import matplotlib.pyplot as plt

    from vitale_analysis import chartdata, plots

    cases = tables.cases
    first = str(cases["case_id"].iloc[0])
    ax = plots.plot_dossier_timeline(chartdata.dossier_timeline(cases, first), lang="en")
    drawn = "\n".join(_figure_texts(ax.figure))
    plt.close(ax.figure)
    assert not find_full(drawn)
    assert MASKED.search(drawn), drawn


# --------------------------------------------------------------------------- messages, reprs, paths
def test_messages_reprs_and_paths(nir_log, tmp_path):
    """Error messages that quote the file's text, warnings, reprs and file names: masked."""
    path, events = nir_log
    first_row = events.iloc[0]
    headerless = tmp_path / f"sans en-tête {FORMS['spaced'](PLANTED[2])}.csv"
    headerless.write_text("\n".join(
        f"{FORMS[form](first_row['nir'])},registration_submitted,2025-01-06 09:00" for form in FORMS
    ) + "\n", encoding="utf-8")
    with pytest.raises(va.CaseLogError) as err:
        va.load(headerless)
    assert not find_full(str(err.value)), str(err.value)
    assert MASKED.search(str(err.value)), "the message quotes the header it found, masked"

    cases = tmp_path / "cases.csv"
    nir = FORMS["no-break spaces"](PLANTED[3])
    pd.DataFrame({"case_id": [nir, nir], "office": ["CPAM 75", "CPAM 13"]}).to_csv(cases, index=False)
    with pytest.raises(va.CaseLogError, match="more than once") as err:
        va.read_caselog(path, cases=cases)
    assert not find_full(str(err.value)), str(err.value)

    with pytest.warns(va.DataQualityWarning) as caught:
        log = va.load(path)
    texts = [str(w.message) for w in caught] + [repr(log), log._repr_html_(), repr(log.quality),
                                                log.quality._repr_html_(), log.quality.failures.to_csv(),
                                                log.quality.set_aside_rows.to_csv()]
    blob = "\n".join(texts)
    assert not find_full(blob), find_full(blob)[:5]
    assert MASKED.search(blob)
