"""Every output in the language asked for: no English word in French, no French word in English,
and no raw ``snake_case`` code in any visible text.

Rendered here: the HTML report (visible text, image alt texts, captions, title), the Excel
workbook (every cell and sheet name), the command line's summary and report messages, every
chart's texts (titles, labels, ticks, legends, annotations), the explorers' visible texts
(HTML, option labels, descriptions, tab titles) and every notebook's outputs, run again with
``lang = "fr"``. The word lists hold words that differ between the two languages (never
"phase", "date" or "dossier"), matched as whole words.
"""

from __future__ import annotations

import json
import re
import shutil
import warnings
from html.parser import HTMLParser
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from openpyxl import load_workbook  # noqa: E402

import vitale_analysis as va  # noqa: E402
from vitale_analysis import chartdata, plots  # noqa: E402
from vitale_analysis.cli import main, summary_text  # noqa: E402
from vitale_analysis.report import report_charts, report_tables, write_report  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample_caselog.csv"
FRENCH = ROOT / "data" / "sample_export_fr.csv"
MAPPING = ROOT / "data" / "sample_export_fr.mapping.toml"

#: English words that must not reach a French reader (whole words, any case).
ENGLISH = ["the", "and", "of", "with", "without", "days", "day", "open", "still", "stalled", "set aside", "flagged",
           "not yet", "median", "share", "office", "offices", "channel", "rows", "row", "read", "kept", "events",
           "event", "trigger", "triggers", "delay", "none", "time", "per", "next", "worklist", "yes",
           "no", "applicant", "complete", "closed", "month", "week", "since", "before", "after", "submitted",
           "received", "waiting", "follow", "report", "quality", "percentile", "finished", "missing", "count",
           "all", "selection", "nothing", "show", "reached", "started", "card", "number", "registration",
           "rights", "first", "third", "party", "post", "account", "threshold", "over", "steps", "order",
           "problem", "why", "duplicate", "dossiers affected", "extra", "attributable", "fix", "more", "written"]
# ("action", "message", "note", "total", "phase", "date", "dossier" are French words too; "compte ameli",
# "Carte Vitale", "attestation de droits", "médiateur" and "Démarches" are names of French services and
# documents, which English texts name as they are.)
#: French words that must not reach an English reader.
FRENCH_WORDS = ["jours", "jour", "en cours", "caisse", "caisses", "médiane", "relance", "relancer", "lignes", "ligne",
                "mise de côté", "mises de côté", "étape", "étapes", "motif", "retard", "canal", "oui", "non", "terminé",
                "terminés", "clos", "depuis", "jusqu'au", "envoyé", "demandeur", "courrier", "premier", "numéro",
                "carte reçue", "aucun", "aucune", "dossiers bloqués", "seuil", "centile", "semaine", "mois",
                "janvier", "février", "juin", "juillet", "signalée", "gardée", "gardées", "durée", "délai",
                "cause de retard", "part des", "indépendant", "salarié"]
# Texts a reader sees that hold words of the other language on purpose: French administrative terms
# inside English labels ("attestation de droits (rights opened)", "médiateur", "(Démarches)").
_SNAKE = re.compile(r"(?<![\w./\\-])[a-z]+(?:_[a-z0-9]+)+(?![\w.-])")
# "1,102" or "74.3" in French; "74,3" or "1 102" in English (dates, times and versions aside).
_EN_NUMBER = re.compile(r"(?<![\d.,/:-])\d{1,3}(?:,\d{3})+(?![\d,])|(?<![\d./:-])\d+\.\d(?![\d.])")
_FR_NUMBER = re.compile(r"(?<![\d.,])\d+,\d{1,2}(?![\d,])|\d\u202f\d{3}")
_FILE = re.compile(r"\S+\.(?:csv|xlsx|parquet|toml|xes|gz|html|png)\b", re.IGNORECASE)


def _words_found(texts, words) -> list[tuple[str, str]]:
    patterns = [(w, re.compile(rf"(?<![\w'’-]){re.escape(w)}(?![\w'’-])", re.IGNORECASE)) for w in words]
    found = []
    for text in texts:
        clean = _FILE.sub(" ", str(text))
        for word, pattern in patterns:
            if pattern.search(clean):
                found.append((word, str(text)[:160]))
    return found


def _snake_found(texts) -> list[str]:
    return [f"{m.group()} in {str(text)[:160]!r}" for text in texts
            for m in _SNAKE.finditer(_FILE.sub(" ", str(text)))]


def check(texts, lang: str, where: str) -> None:
    texts = [t for t in texts if t and str(t).strip()]
    assert texts, f"{where}: nothing rendered"
    other = _words_found(texts, ENGLISH if lang == "fr" else FRENCH_WORDS)
    assert not other, f"{where} ({lang}): words of the other language: {other[:12]}"
    snake = _snake_found(texts)
    assert not snake, f"{where} ({lang}): raw codes shown: {snake[:12]}"
    numbers = [str(t)[:160] for t in texts if (_EN_NUMBER if lang == "fr" else _FR_NUMBER).search(_FILE.sub(" ", str(t)))]
    assert not numbers, f"{where} ({lang}): numbers written the other language's way: {numbers[:12]}"


def test_the_checks_can_fail():
    with pytest.raises(AssertionError, match="other language"):
        check(["12 jours de retard", "Dossiers still open"], "fr", "a mixed text")
    with pytest.raises(AssertionError, match="raw codes"):
        check(["Complément : complement_sent"], "fr", "a code")
    with pytest.raises(AssertionError, match="other language"):
        check(["Median of 12 jours"], "en", "a mixed text")
    with pytest.raises(AssertionError, match="numbers"):
        check(["3,000 dossiers"], "fr", "an English number")
    with pytest.raises(AssertionError, match="numbers"):
        check(["médiane 74.3"], "fr", "an English decimal")
    with pytest.raises(AssertionError, match="numbers"):
        check(["median 74,3"], "en", "a French decimal")
    check(["Rapport au 30 juin 2025, fichier sample_caselog.csv, version 0.1.0, 14:31, 3\u202f000"], "fr",
          "a file name is not a code, nor a version or a time a number")


# ============================================================================ inputs
@pytest.fixture(scope="module")
def logs():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        return {"en": va.load(SAMPLE), "fr": va.load(FRENCH, mapping=MAPPING)}


CASES = [("en", "en"), ("fr", "fr"), ("en", "fr")]  # (which log, which language): the English log in French too
IDS = ["english-log-en", "french-export-fr", "english-log-fr"]


class _Visible(HTMLParser):
    """The text a reader sees in an HTML page: text nodes (not style or script), alt texts, the title."""

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1
        for name, value in attrs:
            if name in ("alt", "title", "aria-label", "placeholder") and value:
                self.texts.append(value)

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data.strip())


def visible_text(html: str) -> list[str]:
    parser = _Visible()
    parser.feed(html)
    return parser.texts


# ============================================================================ report and workbook
@pytest.mark.parametrize("which, lang", CASES, ids=IDS)
def test_report_and_workbook_speak_one_language(logs, tmp_path, which, lang):
    log = logs[which]
    tables = report_tables(log, lang=lang)
    html, xlsx = write_report(tables, tmp_path, charts=report_charts(tables), source=log.quality.source)
    page = html.read_text(encoding="utf-8")
    assert f'<html lang="{lang}"' in page
    check(visible_text(page), lang, html.name)
    book = load_workbook(xlsx, read_only=True)
    cells = list(book.sheetnames)
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            cells += [v for v in row if isinstance(v, str)]
    check(cells, lang, xlsx.name)
    plt.close("all")


# ============================================================================ command line
@pytest.mark.parametrize("which, lang", CASES, ids=IDS)
def test_command_line_speaks_one_language(logs, which, lang, tmp_path, capsys):
    check(summary_text(logs[which], lang=lang).splitlines(), lang, "summary")
    args = ["report", str(SAMPLE if which == "en" else FRENCH), "--lang", lang, "--out", str(tmp_path)]
    if which == "fr":
        args += ["--mapping", str(MAPPING)]
    assert main(args) == 0
    out = capsys.readouterr().out
    check([line.replace(str(tmp_path), "") for line in out.splitlines()], lang, "report command")
    if lang == "fr":  # validate in French, every problem listed (in English it names the checks by their codes,
        # as the failures table and its CSV do); the rows' own lines show the file's values
        args = ["validate", str(SAMPLE if which == "en" else FRENCH), "--lang", lang, "--details"]
        main(args + (["--mapping", str(MAPPING)] if which == "fr" else []))
        out = capsys.readouterr().out.splitlines()
        check([line for line in out if not line.startswith("  ligne ")], lang, "validate command")


# ============================================================================ charts
def _chart_texts(ax) -> list[str]:
    fig = ax.figure
    fig.canvas.draw()
    texts = [t.get_text() for t in fig.findobj(Text)]
    for axes in fig.axes:
        texts += [t.get_text() for t in axes.get_xticklabels() + axes.get_yticklabels()]
    return texts


@pytest.mark.parametrize("which, lang", CASES, ids=IDS)
def test_every_chart_speaks_one_language(logs, which, lang):
    log = logs[which]
    cases = va.case_table(log)
    work = va.stalled(cases)
    flow = va.throughput(cases, freq="M")
    drawn = [
        plots.plot_phase_durations(chartdata.phase_quartiles(cases, by="channel"), lang=lang),
        plots.plot_phase_durations(chartdata.phase_quartiles(cases, by="born_abroad"), lang=lang),
        plots.plot_survival(chartdata.km_curves(chartdata.milestone_times(cases, "rights_opened", by="channel"),
                                                by="channel"), lang=lang),
        plots.plot_survival(chartdata.km_curves(chartdata.phase_times(cases, "card")), lang=lang),
        plots.plot_stalled_heatmap(chartdata.stalled_matrix(work, cases=cases), lang=lang),
        plots.plot_open_by_age(chartdata.open_by_age(cases), lang=lang),
        plots.plot_trigger_pareto(chartdata.trigger_pareto(va.trigger_summary(cases, n_boot=0)), lang=lang),
        plots.plot_throughput(flow, lang=lang, population=cases),
        plots.plot_wip(flow, lang=lang, population=cases),
        plots.plot_waiting_on(va.waiting_on_summary(cases, by="channel"), by="channel", lang=lang, population=cases),
        plots.plot_dossier_timeline(chartdata.dossier_timeline(cases, str(work["case_id"].iloc[0])), lang=lang),
    ]
    for ax in drawn:
        check(_chart_texts(ax), lang, f"chart {ax.get_title()[:40]!r}")
    check(visible_text(plots.stalled_heatmap_html(chartdata.stalled_matrix(work, cases=cases), lang=lang)),
          lang, "the stall heat map (HTML)")
    plt.close("all")


# ============================================================================ notebooks
NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb"))


def _output_texts(notebook: dict) -> list[str]:
    texts = []
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            if "application/vnd.jupyter.widget-view+json" in output.get("data", {}):
                continue  # (a widget: its text/plain is a fallback; the explorers' texts are checked apart)
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                texts += "".join(output["text"]).splitlines()
            data = output.get("data", {})
            if "text/html" in data:
                texts += visible_text("".join(data["text/html"]))
            elif "text/markdown" in data:
                texts += "".join(data["text/markdown"]).splitlines()
            elif "text/plain" in data and not str("".join(data["text/plain"])).startswith(("<Figure", "<Axes")):
                texts += "".join(data["text/plain"]).splitlines()
    return texts


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_outputs_in_french(path, tmp_path):
    """Each notebook run again with its parameters set to the French export and ``lang = "fr"``."""
    nbclient = pytest.importorskip("nbclient")  # (installed with nbval, a dev dependency)
    import nbformat

    (tmp_path / "data").symlink_to(ROOT / "data", target_is_directory=True)
    (tmp_path / "notebooks").mkdir()
    notebook = nbformat.read(path, as_version=4)
    params = next(c for c in notebook.cells if c.cell_type == "code")
    source = params.source
    for pattern, value in ((r'^lang = .*$', 'lang = "fr"'),
                           (r'^log_path = .*$', 'log_path = "../data/sample_export_fr.csv"'),
                           (r'^mapping = .*$', 'mapping = "../data/sample_export_fr.mapping.toml"'),
                           (r'^case_id = .*$', 'case_id = "D002116"'),  # (a dossier of the French export)
                           (r'^out_dir = .*$', f'out_dir = {str(tmp_path / "report")!r}')):
        source = re.sub(pattern, value, source, flags=re.MULTILINE)
    source = re.sub(r'os\.environ\.get\("VITALE_LANG", "en"\)', '"fr"', source)
    source = re.sub(r'os\.environ\.get\("VITALE_CASELOG", [^)]*\)', '"../data/sample_export_fr.csv"', source)
    source = re.sub(r'os\.environ\.get\("VITALE_MAPPING"\) or None', '"../data/sample_export_fr.mapping.toml"', source)
    assert 'lang = "fr"' in source or '"fr"' in source, f"{path.name}: no lang parameter found"
    params.source = source
    copy = tmp_path / "notebooks" / path.name
    nbformat.write(notebook, copy)
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(copy.parent)}})
    client.execute()
    check(_output_texts(json.loads(nbformat.writes(notebook))), "fr", path.name)
    shutil.rmtree(tmp_path / "notebooks", ignore_errors=True)


# ============================================================================ the user's own labels
def test_the_exports_own_labels_are_shown(logs):
    """A mapping's ``values`` tables, read backwards, name the codes in tables and charts, in either language."""
    import tomllib

    spec = tomllib.loads(MAPPING.read_text(encoding="utf-8"))
    expected = {}
    for column, table in spec["values"].items():
        for label, code in table.items():
            if not isinstance(code, bool):
                expected.setdefault(column, {}).setdefault(code, label)  # the first label of each code
    log = logs["fr"]
    assert {c: dict(v) for c, v in log.labels.items()} == expected
    cases = va.case_table(log)
    for lang in ("en", "fr"):
        ax = plots.plot_phase_durations(chartdata.phase_quartiles(cases, by="channel"), lang=lang)
        ticks = {t.get_text() for t in ax.get_yticklabels()}
        assert {"Compte ameli", "Courrier"} <= ticks, ticks
        shown = va.readable(va.stalled(cases).head(20), lang, process=log.process, labels=log.labels)
        last_events = set(shown.iloc[:, list(va.stalled(cases).columns).index("last_event")])
        assert last_events <= set(expected["event"].values()), last_events - set(expected["event"].values())
        timeline = chartdata.dossier_timeline(cases, "D002116")
        ax = plots.plot_dossier_timeline(timeline, lang=lang)
        events = set(timeline.events.loc[~timeline.events["milestone"], "event"])  # (milestones: phase rows)
        assert events
        assert {expected["event"][e] for e in events if e in expected["event"]} <= \
            {t.get_text() for t in ax.get_yticklabels()}
    plt.close("all")


def test_readable_names_phases_and_codes_without_being_told_the_model(logs):
    """``va.readable(frame, lang)`` alone (as a notebook calls it) gives the model's phase labels for a
    summary of the Carte Vitale model, and the mapping's labels the summary carries; a table of another
    model keeps its phase keys rather than taking a Carte Vitale label."""
    summary = va.phase_summary(logs["fr"])
    shown = va.readable(summary, "fr")
    expected = [va.CARTE_VITALE.phase(key).label_in("fr") for key in summary["phase"]]
    assert list(shown.iloc[:, 0]) == expected and expected[0] == "Immatriculation"
    other = summary.copy()
    other.attrs = {**summary.attrs, "process": "receipt"}
    assert list(va.readable(other, "fr").iloc[:, 0]) == list(summary["phase"])
