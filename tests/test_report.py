"""The report: CLI runs as subprocesses, the workbook read back with openpyxl, masking, formulas."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

import vitale_analysis as va
from vitale_analysis.labels import with_next_actions, with_trigger_labels
from vitale_analysis.report import HEADERS, report_tables, write_html, write_report

PROJECT = Path(__file__).resolve().parents[1]
SAMPLE = PROJECT / "data" / "sample_caselog.csv"


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "vitale_analysis", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    result = run("report", "--out", str(out), cwd=PROJECT)  # no LOG: the bundled sample
    assert result.returncode == 0, result.stderr
    return out, result


def test_report_on_the_bundled_sample(sample_report):
    out, result = sample_report
    assert "sample_caselog.csv" in result.stdout and "3,000 dossiers" in result.stdout
    assert str(out / "report.html") in result.stdout
    html = (out / "report.html").read_text(encoding="utf-8")
    # Population and as-of stated; every section present.
    assert "3,000 dossiers: 975 open, 1,833 complete, 192 closed" in html
    assert "as of 30 June 2025" in html
    for title in ("Data quality", "Time per phase", "Dossiers to follow up", "Delay triggers", "Steps out of order",
                  "Where the loops are: the process map"):
        assert f"<h2>{title}</h2>" in html
    assert "<script" not in html  # self-contained and static
    # Charts embedded: time per phase + time to rights, stall heatmap + open by age, the
    # trigger Pareto, the forecast of rights openings per week, the process map, throughput + work in
    # progress + waiting on = 10 images, all inline.
    assert html.count('<img src="data:image/png;base64,') == 10
    assert 'src="http' not in html and 'src="file' not in html


def test_workbook_equals_the_summary_tables(sample_report):
    out, _ = sample_report
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        log = va.load(SAMPLE)
    cases = va.case_table(log)
    book = load_workbook(out / "report.xlsx")
    assert book.sheetnames == ["Worklist", "Phase summary", "Delay triggers", "Out of order", "Quality failures",
                               "Expected dates", "Process map", "Paths", "Rework"]
    h = HEADERS["en"]

    def sheet_frame(name):
        rows = list(book[name].values)
        return pd.DataFrame(rows[1:], columns=rows[0])

    phases = sheet_frame("Phase summary")
    expected = va.phase_summary(cases)
    assert phases[h["phase"]].tolist() == [log.process.phase(p).label_in("en") for p in expected["phase"]]
    assert phases[h["n"]].tolist() == expected["n"].tolist()
    assert phases[h["n_open"]].tolist() == expected["n_open"].tolist()
    np.testing.assert_allclose(phases[h["median_days"]].astype(float), expected["median_days"].round(1))
    np.testing.assert_allclose(phases[h["median_days_completed_only"]].astype(float),
                               expected["median_days_completed_only"].round(1))
    for column in ("median_days_ci_low", "median_days_ci_high"):  # (numbers in the workbook, to sort and filter)
        np.testing.assert_allclose(phases[h[column]].astype(float), expected[column].round(1))

    worklist = sheet_frame("Worklist")
    expected = with_next_actions(va.stalled(cases), log.process, lang="en")
    assert worklist[h["case_id"]].tolist() == expected["case_id"].tolist()
    np.testing.assert_allclose(worklist[h["days_over"]].astype(float), expected["days_over"].round(1))
    assert worklist[h["next_action"]].tolist() == expected["next_action"].tolist()

    triggers = sheet_frame("Delay triggers")
    expected = with_trigger_labels(va.trigger_summary(cases), log.process, lang="en")
    assert triggers[h["label"]].tolist() == expected["label"].tolist()
    assert triggers[h["cases_affected"]].tolist() == expected["cases_affected"].tolist()
    np.testing.assert_allclose(triggers[h["share"]].astype(float), expected["share"].round(4))

    order = sheet_frame("Out of order")
    assert len(order) == len(va.conformance(log))
    failures = sheet_frame("Quality failures")
    assert len(failures) == len(log.quality.failures)
    assert book["Worklist"].freeze_panes == "A2"
    assert book["Worklist"].column_dimensions["N"].width == 60  # next action: wide, capped


def test_report_shows_the_median_interval(sample_report):
    out, _ = sample_report
    html = (out / "report.html").read_text(encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        summary = va.phase_summary(va.load(SAMPLE)).set_index("phase")
    assert ">Median, 95% CI (days)</th>" in html
    assert "The 95% confidence interval (CI)" in html
    for phase in ("registration", "rights", "reimbursement"):
        low, high = summary.loc[phase, ["median_days_ci_low", "median_days_ci_high"]]
        assert f"{low:,.1f}–{high:,.1f}" in html, phase


def test_interval_text_in_both_languages():
    from vitale_analysis.display import readable, with_interval_text

    frame = pd.DataFrame({"phase": ["ssn", "rights", "card"], "median_days": [41.25, 60.0, float("inf")],
                          "median_days_ci_low": [38.04, 52.5, 300.0], "median_days_ci_high": [47.0, float("inf"), float("inf")],
                          "n": [10, 4, 2]})
    en, fr = (readable(with_interval_text(frame, lang), lang) for lang in ("en", "fr"))
    assert list(en.columns)[2] == "Median, 95% CI (days)"
    assert en.iloc[:, 2].tolist() == ["38.0–47.0", "52.5 or more", "300.0 or more"]
    assert fr.iloc[:, 2].tolist() == ["38,0–47,0", "52,5 ou plus", "300,0 ou plus"]
    assert list(fr.columns)[2] == "Médiane, IC à 95\u202f% (jours)"
    missing = frame.assign(median_days_ci_low=float("nan"), median_days_ci_high=float("nan"))
    assert with_interval_text(missing, "en")["median_days_ci"].tolist() == ["", "", ""]


def test_report_in_french_from_the_french_export(tmp_path):
    result = run("report", str(PROJECT / "data" / "sample_export_fr.csv"), "--mapping",
                 str(PROJECT / "data" / "sample_export_fr.mapping.toml"), "--lang", "fr", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "report_fr.html").read_text(encoding="utf-8")
    assert "<h2>Durée de chaque phase</h2>" in html and "Ouverture des droits" in html
    book = load_workbook(tmp_path / "report_fr.xlsx")
    assert book.sheetnames[0] == "À relancer"


def test_report_missing_and_malformed_files(tmp_path):
    missing = run("report", str(tmp_path / "absent.csv"), "--out", str(tmp_path))
    assert missing.returncode == 2 and "absent.csv" in missing.stderr and "does not exist" in missing.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("dossier;quand\nA;01/02/2025\n", encoding="utf-8")
    malformed = run("report", str(bad), "--out", str(tmp_path))
    assert malformed.returncode == 2 and "required column(s)" in malformed.stderr
    assert "Traceback" not in malformed.stderr + missing.stderr
    assert not (tmp_path / "report.html").exists()


def _small_log(case_ids, note=None):
    rows = []
    for i, case in enumerate(case_ids):
        rows += [
            {"case_id": case, "event": "registration_submitted", "timestamp": f"2025-01-0{i + 1} 09:00", "note": note},
            {"case_id": case, "event": "registration_accepted", "timestamp": "2025-01-20 09:00", "note": note},
        ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        return va.validate(va.read_caselog(pd.DataFrame(rows)))


def test_no_full_social_security_number_in_the_report(tmp_path):
    nir = "295017512345651"  # a made-up number with a valid key: 97 - 2950175123456 % 97 = 51
    assert 97 - int(nir[:13]) % 97 == int(nir[13:])
    log = _small_log([nir, "D000002", "1 84 12 2A 123 456 78"], note=f"called about {nir}")
    # An unknown event puts the case (and so its id) in the quality table of both outputs.
    extra = pd.DataFrame([{"case_id": nir, "event": "appel_client", "timestamp": "2025-01-25 09:00",
                           "note": f"called about {nir}"}])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        log = va.validate(va.read_caselog(pd.concat([log.events.drop(columns="row").astype(object), extra])))
    assert log.quality.count("unknown_event") == 1
    tables = report_tables(log, as_of="2025-03-31")
    html, xlsx = write_report(tables, tmp_path)
    text = html.read_text(encoding="utf-8")
    for sheet in load_workbook(xlsx).worksheets:
        for row in sheet.iter_rows(values_only=True):
            text += " ".join(str(v) for v in row if v is not None)
    assert nir not in text and "2A 123 456" not in text
    assert "2 95 •• •• ••• ••• 51" in text  # the masked form is what is shown


def test_formula_like_text_stays_text_in_the_workbook(tmp_path):
    rows = [{"case_id": "A", "event": "registration_submitted", "timestamp": "2025-01-02 09:00"}]
    for i, text in enumerate(["=cmd|' /C calc'!A0", "+SUM(1,2)", "-2+3", "@A1"]):
        rows.append({"case_id": "A", "event": text, "timestamp": f"2025-01-1{i} 09:00"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        log = va.validate(va.read_caselog(pd.DataFrame(rows)))
    assert log.quality.count("unknown_event") == 4  # they reach the quality sheet as values
    tables = report_tables(log, as_of="2025-06-30")
    _, xlsx = write_report(tables, tmp_path)
    book = load_workbook(xlsx)
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row
             if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    assert {c.value for c in cells} >= {"=cmd|' /C calc'!A0", "+SUM(1,2)", "-2+3", "@A1"}
    assert all(c.data_type == "s" for c in cells)


def test_figure_png_draws_the_whole_figure_at_the_dpi_asked_and_leaves_it_as_it_was():
    import io

    from matplotlib.figure import Figure
    from PIL import Image

    from vitale_analysis.report import figure_png

    fig = Figure(figsize=(4, 2.5), dpi=72, layout="constrained")
    ax = fig.add_subplot()
    ax.bar(["a", "b"], [3, 5])
    canvas_before = fig.canvas
    image = Image.open(io.BytesIO(figure_png(fig, dpi=100)))
    assert image.format == "PNG" and image.size == (400, 250)  # 4 × 2.5 inches at 100 dpi
    assert set(image.info) == {"dpi"}  # no text chunk (no tool version)
    pixels = np.asarray(image.convert("RGB"))
    assert (pixels[0, 0] == 255).all() and (pixels < 250).any()  # white margin, something drawn
    assert fig.dpi == 72 and fig.canvas is canvas_before


def test_another_process_gets_its_own_title_and_no_carte_vitale_advice(tmp_path):
    """A log of another administrative process: the report and the dashboard are titled with the
    model's own label (its name when it has none), in either language, and no stalled dossier gets
    the Carte Vitale follow-up text (the model gives none)."""
    import warnings

    from vitale_analysis.widgets import Dashboard

    spec = {"name": "building_permit", "milestones": ["filed", "complete", "decided"],
            "phases": ["check", "decision"], "label": {"en": "Building permit", "fr": "Permis de construire"}}
    steps = (("filed", 1), ("complete", 2), ("decided", 3))  # (step, month); two dossiers in three not decided
    rows = [{"case_id": f"P{i}", "event": e, "timestamp": f"2025-0{m}-1{i % 9} 09:00"}
            for i in range(12) for e, m in steps if not (i % 3 and e == "decided")]
    rows += [{"case_id": "P99", "event": "filed", "timestamp": "2024-06-01 09:00"}]  # long stalled in "check"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        unlabelled = {k: v for k, v in spec.items() if k != "label"}
        for model, en, fr in [
            (spec, "Building permit: caseload report", "Permis de construire : rapport sur les dossiers"),
            (unlabelled, "building permit: caseload report", "building permit : rapport sur les dossiers"),
        ]:
            log = va.validate(pd.DataFrame(rows), va.ProcessModel.from_dict(model))
            for lang, title in (("en", en), ("fr", fr)):
                tables = report_tables(log, lang=lang)
                page = write_html(tables, tmp_path / f"{lang}.html").read_text(encoding="utf-8")
                assert f"<h1>{title}</h1>" in page
                assert "Carte Vitale" not in page and "Evidence pack" not in page and "dossier de preuves" not in page
                assert "P99" in set(tables.worklist["case_id"])
                board = title.replace("rapport sur les", "tableau de bord des").replace("report", "dashboard")
                assert Dashboard(log, lang=lang).title == board
        assert Dashboard(va.load(SAMPLE)).title == "Carte Vitale caseload dashboard"
