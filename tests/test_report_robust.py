"""Every accepted log gives a whole report, or a clear error before any work; never half a report.

Logs the loader accepts but that once crashed the report: a span of decades (one typo date),
control characters in shown texts, more quality problems than a sheet holds; and ``--out``
naming a file or a folder that cannot be made. Expected outcomes worked out by hand.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

import vitale_analysis as va  # noqa: E402
from vitale_analysis import report  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def rows(case, events, office="CPAM 75", note=None):
    return [{"case_id": case, "event": e, "timestamp": t, "office": office, "note": note} for e, t in events]


def quiet_load(frame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        return va.validate(frame)


def whole_report(log, out: Path, **kw):
    tables = report.report_tables(log, **kw)
    html, xlsx = report.write_report(tables, out, charts=report.report_charts(tables))
    return tables, html, xlsx


def test_a_typo_date_decades_back_still_gives_a_report(tmp_path):
    log = quiet_load(pd.DataFrame(
        rows("A", [("registration_submitted", "1970-01-01 09:00"), ("registration_accepted", "2025-01-10 09:00")])
        + rows("B", [("registration_submitted", "2025-02-03 09:00")])))
    tables, html, xlsx = whole_report(log, tmp_path)
    assert html.exists() and xlsx.exists()
    assert len(tables.flow) == 662  # one month from January 1970 to February 2025: 55 × 12 + 2


def test_control_characters_are_shown_not_crashing(tmp_path):
    import openpyxl

    office = "CPAM\x0b 75\x1b[0m"
    log = quiet_load(pd.DataFrame(
        rows("A\x00", [("registration_submitted", "2025-01-06 09:00")], office=office, note="x\x0cy")
        + rows("B", [("registration_submitted", "2025-01-07 09:00"), ("bogus\x07event", "2025-01-08 09:00")],
               office=office)))
    tables, html, xlsx = whole_report(log, tmp_path)
    page = html.read_text(encoding="utf-8")
    assert "\x0b" not in page and "\x1b" not in page and "\x07" not in page
    cells = [str(c.value) for sheet in openpyxl.load_workbook(xlsx).worksheets for row in sheet.iter_rows()
             for c in row if c.value is not None]
    assert any("bogus\ufffdevent" in c for c in cells)  # the unknown event, flagged, shown readable


def test_a_sheet_holds_its_first_rows_and_says_how_many_more(tmp_path, monkeypatch):
    import openpyxl

    log = quiet_load(pd.DataFrame(
        [{"case_id": f"C{i:03d}", "event": "unheard_of", "timestamp": "2025-01-06 09:00"} for i in range(30)]
        + [{"case_id": f"C{i:03d}", "event": "registration_submitted", "timestamp": "2025-01-06 09:00"}
           for i in range(30)]))
    assert log.quality.count("unknown_event") == 30
    monkeypatch.setattr(report, "SHEET_ROWS", 10)
    _, _, xlsx = whole_report(log, tmp_path)
    sheet = openpyxl.load_workbook(xlsx)["Quality failures"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    problems = len(log.quality.failures)
    assert len(values) == 1 + 10 + 1  # header, the first 10 problems, the note
    assert values[-1][0].startswith(f"{problems - 10:,} more rows not shown (the first 10 are above)")


def test_a_failed_write_leaves_the_earlier_report_as_it_was(tmp_path, monkeypatch):
    log = quiet_load(pd.DataFrame(rows("A", [("registration_submitted", "2025-01-06 09:00")])))
    tables, html, xlsx = whole_report(log, tmp_path)
    before = html.read_bytes(), xlsx.read_bytes()

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report, "write_workbook", broken)
    with pytest.raises(va.CaseLogError, match="no file was changed"):
        report.write_report(tables, tmp_path, charts={})
    assert (html.read_bytes(), xlsx.read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "report.xlsx"]  # no temporary left


@pytest.mark.parametrize("where", ["a file", "inside a file"])
def test_a_wrong_out_is_said_before_the_work(tmp_path, where):
    target = tmp_path / "taken.txt"
    target.write_text("not a folder")
    out = target if where == "a file" else target / "report"
    proc = subprocess.run([sys.executable, "-m", "vitale_analysis", "report", "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2
    assert "--out" in proc.stderr and "Traceback" not in proc.stderr
    assert target.read_text() == "not a folder"


def _catalogue():
    import test_malformed as catalogue

    return catalogue


def _loadable():
    try:
        catalogue = _catalogue()
    except ImportError:  # (pytest run with --import-mode=importlib: tests/ is not on sys.path)
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        catalogue = _catalogue()
    return catalogue, sorted(name for name, entry in catalogue.CATALOGUE.items() if isinstance(entry, catalogue.Loads))


@pytest.mark.slow  # a whole report per catalogue file: about 35 s
@pytest.mark.parametrize("name", _loadable()[1])
def test_every_loadable_file_of_the_catalogue_gives_a_whole_report(name, tmp_path):
    catalogue, _ = _loadable()
    entry = catalogue.CATALOGUE[name]
    log = catalogue._load(name, entry.kw)
    for lang in ("en", "fr"):
        tables = report.report_tables(log, lang=lang)
        html, xlsx = report.write_report(tables, tmp_path / lang, charts=report.report_charts(tables))
        assert html.stat().st_size > 0 and xlsx.stat().st_size > 0
    import matplotlib.pyplot as plt
    plt.close("all")
