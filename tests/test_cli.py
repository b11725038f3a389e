"""The command line, run as a user runs it: a subprocess, exit status and output checked."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd

from test_core import ROWS


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "vitale_analysis", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_summary_on_a_small_log(tmp_path):
    path = tmp_path / "log.csv"
    pd.DataFrame(ROWS).to_csv(path, index=False)
    result = run("summary", str(path), "--as-of", "2025-06-30")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # 12 dossiers: 9 open, 1 complete, 2 closed (worked out in test_core).
    assert "12 in all — 9 open, 1 complete, 2 closed" in out
    order = next(line for line in out.splitlines() if line.strip().startswith("Milestones out of order"))
    assert order.split()[4] == "1"  # C_VIOL only
    assert "60 rows read = 60 kept + 0 set aside." in out
    assert "_" not in out.replace(str(path), "")  # no raw code (milestone_order, …) in the summary
    # Registration: 12 dossiers — 10 finished (C_COMPLETE 3, O_2 7, O_3..O_7 3 each, C_NIA,
    # C_VIOL, C_CLOSED 2 each), O_1 still open (28.6 days), C_SAL closed in it after 7 days.
    # Kaplan–Meier: S(2) = 9/12, then 6 of 9 at 3 → S(3) = 0.25 ≤ 0.5: median 3.0; p75 3.0;
    # p90: after 3 days 3 remain (O_2 7, C_SAL 7 censored, O_1 28.6 censored); the event
    # at 7 comes before the censoring: S(7) = 0.25 × 2/3 = 0.167 > 0.1 → not reached.
    # Finished only: sorted 2,2,2,3,3,3,3,3,3,7 → 3.0.
    reg = next(line for line in out.splitlines() if line.strip().startswith("Registration"))
    assert reg.split()[1:] == ["12", "1", "3.0", "3.0", "not", "yet", "3.0"]


def test_summary_in_french(tmp_path):
    path = tmp_path / "log.csv"
    pd.DataFrame(ROWS).to_csv(path, index=False)
    result = run("summary", str(path), "--lang", "fr")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Ouverture des droits" in out
    assert "Salarié sur le parcours indépendant" in out
    # The same small log (12 dossiers: 9 open, 1 complete, 2 closed), in French words and plurals.
    assert "60 lignes lues = 60 gardées + 0 mise de côté." in out
    assert "12 en tout — 9 en cours, 1 terminé, 2 clos" in out
    reg = next(line for line in out.splitlines() if line.strip().startswith("Immatriculation"))
    assert reg.split()[1:] == ["12", "1", "3,0", "3,0", "pas", "encore", "3,0"]  # (see the English test)


def test_validate_prints_the_quality_report(tmp_path):
    path = tmp_path / "log.csv"
    frame = pd.DataFrame(ROWS)
    pd.concat([frame, frame.iloc[[0]]]).to_csv(path, index=False)
    result = run("validate", str(path))
    assert result.returncode == 0, result.stderr
    assert "rows read 61 = kept 60 + set aside 1" in result.stdout
    assert "duplicate_row" in result.stdout


def test_missing_file_exits_non_zero_with_a_clear_message(tmp_path):
    result = run("validate", str(tmp_path / "nope.csv"))
    assert result.returncode == 2
    assert "nope.csv" in result.stderr and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_file_exits_non_zero(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("dossier;étape;Date\nA;registration_submitted;01/02/2025\n", encoding="utf-8")
    result = run("validate", str(path))
    assert result.returncode == 2
    assert "required column(s)" in result.stderr and "case_id" in result.stderr
    assert "Traceback" not in result.stderr


def test_simulate_command_reproduces_the_bundled_sample(tmp_path):
    out = tmp_path / "sample.csv"
    result = run("simulate", "--cases", "3000", "--seed", "20251", "--as-of", "2025-06-30", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "3,000 dossiers" in result.stdout
    project = Path(__file__).resolve().parents[1]
    assert out.read_bytes() == (project / "data" / "sample_caselog.csv").read_bytes()


def test_simulate_parquet_and_bad_suffix(tmp_path):
    out = tmp_path / "small.parquet"
    result = run("simulate", "--cases", "50", "--seed", "1", "--as-of", "2025-06-30", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert pd.read_parquet(out)["case_id"].nunique() == 50
    bad = run("simulate", "--cases", "5", "--seed", "1", "--as-of", "2025-06-30", "--out", str(tmp_path / "x.txt"))
    assert bad.returncode == 2 and ".csv or a .parquet" in bad.stderr


def test_summary_defaults_to_the_bundled_sample():
    project = Path(__file__).resolve().parents[1]
    result = run("summary", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "sample_caselog.csv" in result.stdout
    assert "3,000 in all" in result.stdout


def test_summary_says_when_rights_are_expected():
    # The lines are forecast_completions' weeks, rounded (computed here directly, the same seed).
    import vitale_analysis as va

    project = Path(__file__).resolve().parents[1]
    result = run("summary", "--lang", "fr", cwd=project)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    head = next(k for k, line in enumerate(lines) if line.startswith("Quand les "))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weeks = va.forecast_completions(va.load(project / "data" / "sample_caselog.csv"), periods=6)
    assert lines[head].startswith(f"Quand les {weeks.attrs['n_open']} dossiers qui attendent encore leurs droits")
    assert "pas des promesses" in lines[head] and "80\u202f%" in lines[head]  # (a narrow no-break space)
    shown = lines[head + 1:head + 1 + len(weeks)]
    assert shown[0].split()[:2] == ["semaine", "du"] and shown[-1].split()[:2] == ["plus", "tard,"]
    for line, (_, row) in zip(shown, weeks.iterrows(), strict=True):
        found = re.search(r"(\d+)\s+\(de (\d+) à (\d+)\)$", line.rstrip())
        assert found, line
        assert found.groups() == (f"{row['expected']:.0f}", f"{row['low']:.0f}", f"{row['high']:.0f}"), line
