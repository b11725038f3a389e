"""The report's "Where the loops are" section and the workbook's process map, paths and rework sheets.

Expected values are written out by hand (the milestones' words, the number formats) or counted
from the events in plain Python, never taken from the report's own formatting code.
"""

from __future__ import annotations

import re
import warnings
from html import unescape
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
from openpyxl import load_workbook

import vitale_analysis as va
from vitale_analysis.report import report_charts, report_tables, write_html, write_report

matplotlib.use("Agg")

PROJECT = Path(__file__).resolve().parents[1]
SAMPLE = PROJECT / "data" / "sample_caselog.csv"
NNBSP = "\u202f"

#: The milestones' words, as a reader of each language expects them.
MILESTONE_WORDS = {
    "en": {"registration_submitted": "Registration submitted", "registration_accepted": "Registration accepted",
           "nir_permanent": "Permanent number received", "dossier_submitted": "Dossier submitted",
           "rights_opened": "attestation de droits (rights opened)", "card_received": "Card received",
           "card_activated": "Card activated", "first_reimbursement": "First reimbursement"},
    "fr": {"registration_submitted": "Déclaration d'activité déposée", "registration_accepted": "Déclaration acceptée",
           "nir_permanent": "Numéro définitif attribué", "dossier_submitted": "Dossier envoyé",
           "rights_opened": "attestation de droits (droits ouverts)", "card_received": "Carte reçue",
           "card_activated": "Carte activée", "first_reimbursement": "Premier remboursement"},
}
HEADINGS = {"en": "Where the loops are: the process map", "fr": "Où sont les boucles : la carte du processus"}


def _load(source):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        return va.load(source) if isinstance(source, Path) else va.validate(va.read_caselog(source))


@pytest.fixture(scope="module")
def sample():
    return _load(SAMPLE)


@pytest.fixture(scope="module")
def written(sample, tmp_path_factory):
    """The sample's report and workbook in both languages, with the charts."""
    out = tmp_path_factory.mktemp("pmreport")
    files = {}
    for lang in ("en", "fr"):
        tables = report_tables(sample, lang=lang)
        files[lang] = write_report(tables, out, charts=report_charts(tables))
    matplotlib.pyplot.close("all")
    return files


def _section(html: str, key: str) -> str:
    match = re.search(rf'<section id="{key}">(.*?)</section>', html, re.S)
    assert match, f"no section {key!r}"
    return match.group(1)


def _tables(fragment: str) -> list[list[list[str]]]:
    """Each table of an HTML fragment as rows of cell texts (the header row first)."""
    out = []
    for table in re.findall(r"<table>(.*?)</table>", fragment, re.S):
        rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
        out.append([[unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)]
                    for r in rows])
    return out


def _by_hand(value: float, lang: str, decimals: int) -> str:
    text = f"{value:,.{decimals}f}"
    return text.replace(",", NNBSP).replace(".", ",") if lang == "fr" else text


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_section_shows_the_map_the_paths_and_the_rework(sample, written, lang):
    html = written[lang][0].read_text(encoding="utf-8")
    section = _section(html, "pmap")
    assert f"<h2>{HEADINGS[lang]}</h2>" in section
    assert section.count('<img src="data:image/png;base64,') == 1
    alt = re.search(r'<img [^>]*alt="([^"]+)"', section).group(1)
    assert alt.startswith("Chart: process map" if lang == "en" else "Graphique : carte du processus")
    note = {"en": "only the moves made by at least 2% of the dossiers",
            "fr": f"que les passages faits par au moins 2{NNBSP}% des dossiers"}[lang]
    assert note in unescape(section)
    variants_table, rework_table = _tables(section)

    # The paths: va.variants computed here, each cell written out by hand.
    expected = va.variants(sample, level="milestones", top=10)
    words, not_yet = MILESTONE_WORDS[lang], {"en": "not yet", "fr": "pas encore"}[lang]
    rows = []
    for rank, path, dossiers, share, median in zip(expected["rank"], expected["path"], expected["dossiers"],
                                                   expected["share"], expected["median_total_days"]):
        percent = _by_hand(100 * share, lang, 1) + (f"{NNBSP}%" if lang == "fr" else "%")
        rows.append([str(rank), " → ".join(words[e] for e in path), _by_hand(dossiers, lang, 0), percent,
                     not_yet if median == float("inf") else _by_hand(median, lang, 1)])
    assert variants_table[0] == {"en": ["Rank", "Path", "Dossiers", "Share of dossiers",
                                        "Median total days (Kaplan–Meier)"],
                                 "fr": ["Rang", "Chemin", "Dossiers", "Part des dossiers",
                                        "Durée totale médiane (jours, Kaplan–Meier)"]}[lang]
    assert variants_table[1:] == rows
    assert len(rows) == 10 and not_yet in {r[-1] for r in rows}  # (open dossiers: medians not reached)

    # The rework by channel: one row per channel, the dossiers adding up to the caseload.
    assert rework_table[0][0] == {"en": "Channel", "fr": "Canal"}[lang]
    assert [r[0] for r in rework_table[1:]] == {"en": ["ameli account", "post"], "fr": ["Compte ameli", "Courrier"]}[lang]
    assert sum(int(r[1].replace(",", "").replace(NNBSP, "")) for r in rework_table[1:]) == 3000


def _sheet(path: Path, name: str) -> pd.DataFrame:
    rows = list(load_workbook(path, read_only=True)[name].values)
    return pd.DataFrame(rows[1:], columns=rows[0])


def _rework_by_hand(events: pd.DataFrame) -> dict[str, tuple[int, int, int]]:
    """Per dossier, in plain Python: complement requests, submissions after the first, cards ordered
    after an earlier order or a loss (events in the log's order, exact repeats counted once)."""
    out, seen = {}, set()
    for case, event, when in zip(events["case_id"], events["event"], events["timestamp"]):
        if (case, event, when) in seen:
            continue
        seen.add((case, event, when))
        rounds, submitted, reorders, carded = out.get(case, (0, 0, 0, False))
        rounds += event == "complement_requested"
        submitted += event == "dossier_submitted"
        if event == "card_requested":
            reorders += carded
        carded = carded or event in ("card_requested", "card_lost")
        out[case] = (rounds, submitted, reorders, carded)
    return {case: (r, max(s - 1, 0), o) for case, (r, s, o, _) in out.items()}


def test_the_workbook_holds_the_map_the_paths_and_the_rework(sample, written):
    xlsx = written["en"][1]
    names = load_workbook(xlsx, read_only=True).sheetnames
    assert names[-3:] == ["Process map", "Paths", "Rework"]

    edges = _sheet(xlsx, "Process map")
    everything = va.process_map(sample)  # (every move: the workbook is not filtered)
    assert len(edges) == len(everything.edges)
    first = edges.iloc[0]
    assert (first["From step"], first["To step"], first["Dossiers"]) == ("Start", "Registration submitted", 3000)
    assert "registration_submitted" not in set(edges["From step"]) | set(edges["To step"])
    assert {"Ended (complete or closed)", "Still open at the cut"} <= set(edges["To step"])
    assert "Median days between the steps" in edges.columns  # (plain quantiles: not labelled Kaplan–Meier)

    paths = _sheet(xlsx, "Paths")
    n_paths = min(20, len(va.variants(sample, level="milestones", top=None)))  # (14 on the sample)
    assert len(paths) == n_paths and paths["Rank"].tolist() == list(range(1, n_paths + 1))
    assert paths["Path"].iloc[0] == " → ".join(MILESTONE_WORDS["en"].values())

    rework = _sheet(xlsx, "Rework")
    by_hand = _rework_by_hand(sample.events)
    concerned = {case for case, counts in by_hand.items() if any(counts)}
    assert len(rework) == len(concerned)
    assert set(rework["Dossier"]) == concerned  # (D-numbers: not personal, shown as they are)
    row = rework.set_index("Dossier").loc[sorted(concerned)[0]]
    assert (row["Complement rounds"], row["Submitted again"], row["Cards ordered again"]) == by_hand[sorted(concerned)[0]]
    days = rework["Days in loops"].astype(float)
    assert (days.diff().dropna() <= 0).all()  # most days in loops first


def test_the_french_workbook_speaks_french(written):
    xlsx = written["fr"][1]
    assert load_workbook(xlsx, read_only=True).sheetnames[-3:] == ["Carte du processus", "Chemins", "Reprises"]
    edges = _sheet(xlsx, "Carte du processus")
    assert edges.iloc[0]["Étape de départ"] == "Début"
    assert edges.iloc[0]["Étape suivante"] == "Déclaration d'activité déposée"
    rework = _sheet(xlsx, "Reprises")
    assert {"Tours de complément", "Déposés à nouveau", "Cartes commandées à nouveau", "Jours dans des boucles",
            "Dans une boucle en ce moment", "Statut", "Canal", "Caisse"} <= set(rework.columns)
    assert set(rework["Dans une boucle en ce moment"]) <= {"oui", "non"}


def test_no_full_social_security_number_in_the_rework_and_paths_sheets(tmp_path):
    nirs = ["295017512345651", "184127512345678"]  # made-up numbers
    rows = []
    for i, nir in enumerate(nirs):
        rows += [
            {"case_id": nir, "event": "registration_submitted", "timestamp": f"2025-01-0{i + 1} 09:00"},
            {"case_id": nir, "event": "registration_accepted", "timestamp": "2025-01-10 09:00"},
            {"case_id": nir, "event": "nir_permanent", "timestamp": "2025-01-15 09:00"},
            {"case_id": nir, "event": "dossier_submitted", "timestamp": "2025-01-20 09:00"},
            {"case_id": nir, "event": "complement_requested", "timestamp": "2025-02-01 09:00"},
            {"case_id": nir, "event": "complement_sent", "timestamp": "2025-02-11 09:00"},
        ]
    log = _load(pd.DataFrame(rows))
    tables = report_tables(log, as_of="2025-03-31")
    html, xlsx = write_report(tables, tmp_path)
    rework = _sheet(xlsx, "Rework")
    assert len(rework) == 2 and rework["Complement rounds"].tolist() == [1, 1]
    assert rework["Days in loops"].astype(float).tolist() == [10.0, 10.0]  # 1 to 11 February
    text = html.read_text(encoding="utf-8")
    for sheet in load_workbook(xlsx).worksheets:
        for row in sheet.iter_rows(values_only=True):
            text += " ".join(str(v) for v in row if v is not None)
    for nir in nirs:
        assert nir not in text
    assert not re.search(r"\d{13}", text)
    assert "2 95 •• •• ••• ••• 51" in set(rework["Dossier"])


def test_another_process_gets_the_map_without_a_rework_table(tmp_path):
    spec = {"name": "building_permit", "milestones": ["filed", "complete", "decided"],
            "phases": ["check", "decision"]}
    rows = [{"case_id": f"P{i}", "event": e, "timestamp": f"2025-0{m}-1{i} 09:00"}
            for i in range(4) for e, m in (("filed", 1), ("complete", 2), ("decided", 3))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        log = va.validate(pd.DataFrame(rows), va.ProcessModel.from_dict(spec))
    tables = report_tables(log)
    page = write_html(tables, tmp_path / "r.html").read_text(encoding="utf-8")
    section = _section(page, "pmap")
    (variants_table,) = _tables(section)  # (no rework: the model knows none)
    assert variants_table[1] == ["1", "filed → complete → decided", "4", "100.0%", "59.0"]
