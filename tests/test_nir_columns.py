"""Which columns hold social security numbers (their keys say so), and ids declared not personal.

Case ids that are 13-digit epoch milliseconds (``1712345678901``) look like a NIR
without its key: they are masked on screen by default, are not a NIR column, and
with ``not_personal = ["case_id"]`` in the mapping they are shown in full in the
quality report, the command line, the report and the widgets. Keys are computed
by hand here (97 - number mod 97, 2A → 19, 2B → 18), not by python-stdnum, which
the package uses.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import pandas as pd
import pytest
from openpyxl import load_workbook

import vitale_analysis as va
from vitale_analysis import CaseLogError, load, read_caselog
from vitale_analysis.errors import DataQualityWarning
from vitale_analysis.masking import mask_text
from vitale_analysis.privacy import mask_identifier, nir_columns, nir_shaped, shown_numbers


def key(first13: str) -> str:
    digits = first13.upper().replace("2A", "19").replace("2B", "18")
    return f"{97 - int(digits) % 97:02d}"


def nir(first13: str) -> str:
    return first13 + key(first13)


def bad(first13: str) -> str:
    return first13 + f"{(int(key(first13)) + 1) % 100:02d}"


# Epoch milliseconds of three dossiers (April 2024), and how they are shown masked:
# the sex digit and the "year" stay, the rest is dots (no key: 13 characters).
EPOCH = ["1712345678901", "1712345999000", "1712400000123"]
EPOCH_MASKED = ["1 71 •• •• ••• •••"] * 3


def _write(path, rows, header="case_id,event,timestamp"):
    path.write_text(header + "\n" + "\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    return path


def _epoch_log(tmp_path):
    """Three dossiers with epoch-millisecond ids: one unknown step (flagged), one unreadable date (set aside)."""
    rows = [
        (EPOCH[0], "registration_submitted", "2025-01-06 09:00"),
        (EPOCH[0], "registration_accepted", "2025-01-10 09:00"),
        (EPOCH[1], "registration_submitted", "2025-01-07 09:00"),
        (EPOCH[1], "rendez_vous_caf", "2025-01-08 09:00"),  # unknown event: flagged
        (EPOCH[2], "registration_submitted", "2025-01-08 09:00"),
        (EPOCH[2], "registration_accepted", "pas de date"),  # set aside
    ]
    return _write(tmp_path / "epoch.csv", rows)


def _load_quiet(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return load(path, **kw)


# --------------------------------------------------------------------------- the rule
def test_hand_made_masks_and_shapes():
    assert mask_identifier(EPOCH[0]) == EPOCH_MASKED[0]
    assert nir_shaped(EPOCH[0]) and nir_shaped(nir("1850575123456"))
    assert not nir_shaped("5712345678901")  # 5 is no sex digit
    assert not nir_shaped("17123456789012")  # 14 characters
    assert key("1850575123456") == "73" and key("290012A045012") == key("2900119045012")


def test_epoch_ids_are_not_a_nir_column():
    frame = pd.DataFrame({"case_id": EPOCH, "n": [1, 2, 3]})
    assert nir_columns(frame) == []  # 13 digits, no key: nothing says these are NIRs


def test_fifteen_digit_ids_whose_keys_fail_are_not_a_nir_column(tmp_path):
    """Numeric ids of 15 digits (say epoch milliseconds and a two-digit counter): their last two digits
    match the NIR key only by chance, so they are not NIRs and get no nir_bad_key."""
    ids = [f"17123456789{i:02d}00" for i in range(10, 30)]
    assert sum(i[13:] == key(i[:13]) for i in ids) == 0  # (worked out with the hand formula)
    rows = [(i, "registration_submitted", f"2025-01-{n + 1:02d} 09:00") for n, i in enumerate(ids)]
    log = _load_quiet(_write(tmp_path / "ids15.csv", rows))
    assert nir_columns(log.events) == []
    assert log.quality.count("nir_bad_key") == 0


def test_real_nir_column_bad_keys_counted_by_hand(tmp_path):
    good = [nir("1850575123456"), nir("290012A045012"), nir("292012B123456"), nir("7960399123001")]
    wrong = [bad("2850699123457"), bad("1920213055078")]
    keyless = "1750133012345"  # 13 characters: no key, never flagged
    numbers = good + wrong + [keyless]
    rows = []
    for n, number in enumerate(numbers):
        case = f"D{n + 1:03d}"
        rows += [(case, "registration_submitted", f"2025-01-{n + 1:02d} 09:00", number),
                 (case, "registration_accepted", f"2025-01-{n + 10:02d} 09:00", number)]
    log = _load_quiet(_write(tmp_path / "nirs.csv", rows, "case_id,event,timestamp,nir"))
    # 6 numbers with a key, 4 of them right: at least half, a NIR column.
    assert nir_columns(log.events) == ["nir"]
    bad_rows = log.quality.failures[log.quality.failures["check"] == "nir_bad_key"]
    assert len(bad_rows) == 4  # the two wrong numbers, on both rows of their dossier
    assert bad_rows["case_id"].tolist() == ["D005", "D005", "D006", "D006"]
    assert set(bad_rows["value"]) == {mask_identifier(w) for w in wrong}
    for number in numbers:
        assert number not in log.quality.failures.to_csv()


def test_mostly_wrong_keys_are_not_a_nir_column():
    """1 key right in 4 (a random 15-digit number has the right key once in 97, NIRs nearly always):
    under half, so the column is not judged a NIR column and nothing is flagged."""
    frame = pd.DataFrame({"ref": [nir("1850575123456"), bad("2850699123457"), bad("1920213055078"),
                                  bad("2900119045012")]})
    assert nir_columns(frame) == []
    two_of_four = frame.assign(ref=[nir("1850575123456"), nir("290012A045012"), bad("1920213055078"),
                                    bad("2900119045012")])
    assert nir_columns(two_of_four) == ["ref"]


def test_malformed_catalogue_file_still_flags_its_bad_key():
    log = _load_quiet("tests/data/malformed/nir_bad_key.csv")
    assert log.quality.count("nir_bad_key") == 1  # 3 distinct keyed numbers, 2 right


# --------------------------------------------------------------------------- masked by default
def test_epoch_ids_masked_by_default_and_no_bad_key(tmp_path):
    log = _load_quiet(_epoch_log(tmp_path))
    q = log.quality
    assert q.count("nir_bad_key") == 0
    assert q.rows_read == 6 and q.rows_kept == 5 and q.n_set_aside == 1
    f = q.failures.set_index("check")
    assert f.loc["unknown_event", "case_id"] == EPOCH_MASKED[1]
    assert f.loc["unparseable_timestamp", "case_id"] == EPOCH_MASKED[2]
    assert q.set_aside_rows["case_id"].tolist() == [EPOCH_MASKED[2]]
    assert log.not_personal == () and log.unmasked == frozenset()
    for number in EPOCH:
        assert number not in q.failures.to_csv() + repr(q) + q._repr_html_()
    assert set(log.events["case_id"]) == set(EPOCH)  # the analysis keeps the real ids


# --------------------------------------------------------------------------- not_personal
def test_not_personal_shows_the_ids_in_the_quality_report(tmp_path):
    mapping = tmp_path / "m.toml"
    mapping.write_text('not_personal = ["case_id"]\n', encoding="utf-8")
    log = _load_quiet(_epoch_log(tmp_path), mapping=mapping)
    assert log.not_personal == ("case_id",)
    assert log.unmasked == frozenset(EPOCH)
    q = log.quality
    f = q.failures.set_index("check")
    assert f.loc["unknown_event", "case_id"] == EPOCH[1]
    assert f.loc["unparseable_timestamp", "case_id"] == EPOCH[2]
    assert q.set_aside_rows["case_id"].tolist() == [EPOCH[2]]
    # The argument gives the same as the mapping setting.
    same = _load_quiet(_epoch_log(tmp_path), not_personal=["case_id"])
    pd.testing.assert_frame_equal(same.quality.failures, q.failures)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "vitale_analysis", *args], capture_output=True, text=True,
                          timeout=120)


def test_cli_validate_details_masks_unless_declared(tmp_path):
    path = _epoch_log(tmp_path)
    masked = _cli("validate", str(path), "--details")
    assert masked.returncode == 0, masked.stderr
    assert "row 4  1 71 •• •• ••• •••  event: 'rendez_vous_caf'" in masked.stdout
    assert not any(number in masked.stdout for number in EPOCH)
    mapping = tmp_path / "m.toml"
    mapping.write_text('not_personal = ["case_id"]\n', encoding="utf-8")
    shown = _cli("validate", str(path), "--details", "--mapping", str(mapping))
    assert shown.returncode == 0, shown.stderr
    assert f"row 4  {EPOCH[1]}  event: 'rendez_vous_caf'" in shown.stdout  # (rows: data rows from 1)
    assert f"row 6  {EPOCH[2]}  timestamp: 'pas de date'" in shown.stdout


def _report_text(log, out):
    from vitale_analysis.report import report_tables, write_report

    html, xlsx = write_report(report_tables(log, as_of="2025-03-31"), out)
    text = html.read_text(encoding="utf-8")
    for sheet in load_workbook(xlsx).worksheets:
        for row in sheet.iter_rows(values_only=True):
            text += " ".join(str(v) for v in row if v is not None)
    return text


def test_report_shows_declared_ids_only(tmp_path):
    path = _epoch_log(tmp_path)
    default = _report_text(_load_quiet(path), tmp_path / "a")
    assert not any(number in default for number in EPOCH)
    assert EPOCH_MASKED[0] in default
    declared = _report_text(_load_quiet(path, not_personal=["case_id"]), tmp_path / "b")
    assert EPOCH[1] in declared  # its unknown step is in the quality failures sheet
    assert EPOCH[2] in declared  # its set-aside row too


def test_widgets_show_declared_ids(tmp_path):
    pytest.importorskip("ipywidgets")
    from vitale_analysis.widgets import CaseViewer

    path = _epoch_log(tmp_path)
    masked = CaseViewer(_load_quiet(path))
    assert list(masked.controls["dossier"].options) == ["1 71 •• •• ••• •••", "1 71 •• •• ••• ••• (2)",
                                                       "1 71 •• •• ••• ••• (3)"]
    shown = CaseViewer(_load_quiet(path, not_personal=["case_id"]))
    assert list(shown.controls["dossier"].options) == EPOCH
    assert EPOCH[0] in shown._table.value


def test_an_undeclared_column_stays_masked(tmp_path):
    """Declaring case_id says nothing of another column: a keyless NIR there stays masked."""
    keyless = "2750133012345"
    rows = [(EPOCH[0], "registration_submitted", "2025-01-06 09:00", keyless),
            (EPOCH[0], "rendez_vous_caf", "2025-01-07 09:00", keyless)]
    log = _load_quiet(_write(tmp_path / "x.csv", rows, "case_id,event,timestamp,ref"), not_personal=["case_id"])
    assert log.unmasked == frozenset({EPOCH[0]})
    assert mask_text(f"{EPOCH[0]} {keyless}", log.unmasked) == f"{EPOCH[0]} 2 75 •• •• ••• •••"


def test_declared_column_holding_nirs_is_not_honoured(tmp_path):
    numbers = [nir("1850575123456"), nir("290012A045012"), nir("292012B123456")]
    rows = [(n, "registration_submitted", f"2025-01-0{i + 1} 09:00") for i, n in enumerate(numbers)]
    rows.append((numbers[0], "rendez_vous_caf", "2025-01-09 09:00"))
    path = _write(tmp_path / "nirs.csv", rows)
    with pytest.warns(DataQualityWarning, match="declared not_personal but holds social security numbers"):
        log = load(path, not_personal=["case_id"])
    assert log.not_personal == () and log.unmasked == frozenset()
    assert any("stays masked" in note for note in log.quality.notes)
    assert log.quality.failures.set_index("check").loc["unknown_event", "case_id"] == mask_identifier(numbers[0])


def test_a_declared_value_with_a_valid_key_stays_masked(tmp_path):
    """Among 15-digit ids declared not personal, one has the right key by chance (1 in 5: not a NIR
    column): it stays masked all the same and a note counts it; the others are shown."""
    lucky = nir("1712345678901")
    ids = [lucky] + [bad(f"17123456789{i:02d}") for i in (2, 3, 4, 5)]
    numbers, n_real = shown_numbers(pd.Series(ids + ["D1", None]))
    assert numbers == frozenset(ids[1:]) and n_real == 1
    rows = [(i, "registration_submitted", "2025-01-06 09:00") for i in ids] + [
        (lucky, "rendez_vous_caf", "2025-01-07 09:00"), (ids[1], "rendez_vous_caf", "2025-01-07 09:00")]
    log = _load_quiet(_write(tmp_path / "ids.csv", rows), not_personal=["case_id"])
    assert log.not_personal == ("case_id",) and log.unmasked == frozenset(ids[1:])
    assert log.quality.count("nir_bad_key") == 0  # 1 key right in 5: not a NIR column
    cases = log.quality.failures[log.quality.failures["check"] == "unknown_event"]["case_id"].tolist()
    assert sorted(cases) == sorted([ids[1], mask_identifier(lucky)])
    assert any("1 distinct value(s) of column 'case_id' pass" in note for note in log.quality.notes)


def test_one_real_nir_among_epoch_ids_is_a_nir_column(tmp_path):
    """Epoch ids (no key) and one number whose key is right: the only key there is says NIR, so the
    declaration is not honoured (privacy first: the 13-digit values could be NIRs without their key)."""
    real = nir("1850575123456")
    rows = [(i, "registration_submitted", "2025-01-06 09:00") for i in EPOCH + [real]]
    with pytest.warns(DataQualityWarning, match="declared not_personal"):
        log = load(_write(tmp_path / "ids.csv", rows), not_personal=["case_id"])
    assert log.unmasked == frozenset() and log.quality.count("nir_bad_key") == 0


@pytest.mark.parametrize("setting", ['"case_id"', "[1]", '[""]', "{ case_id = true }", "true"])
def test_not_personal_of_the_wrong_type_is_a_clear_error(tmp_path, setting):
    mapping = tmp_path / "m.toml"
    mapping.write_text(f"not_personal = {setting}\n", encoding="utf-8")
    with pytest.raises(CaseLogError, match=r"`not_personal` must be a list of column names as text.*Fix"):
        read_caselog(_epoch_log(tmp_path), mapping=mapping)


def test_not_personal_argument_checked_and_unknown_columns_named(tmp_path):
    path = _epoch_log(tmp_path)
    with pytest.raises(CaseLogError, match="read_caselog\\(\\): `not_personal` must be a list"):
        read_caselog(path, not_personal="case_id")
    with pytest.raises(CaseLogError, match=r"not_personal names column\(s\) \['dossier'\].*'case_id'"):
        read_caselog(path, not_personal=["dossier"])
    raw = read_caselog(path, mapping={"not_personal": ["case_id"]}, not_personal=["event"])
    assert raw.not_personal == ("case_id", "event")
    assert "not_personal" in va.read_caselog.__doc__


def test_case_table_and_mask_frame_show_declared_ids(tmp_path):
    path = _epoch_log(tmp_path)
    masked = va.case_table(_load_quiet(path), as_of="2025-03-31")
    assert not any(number in masked._repr_html_() for number in EPOCH)
    log = _load_quiet(path, not_personal=["case_id"])
    shown = va.case_table(log, as_of="2025-03-31")
    assert all(number in shown._repr_html_() for number in EPOCH)
    frame = pd.DataFrame({"case_id": EPOCH, "nir": [nir("1850575123456")] * 3})
    out = va.mask_frame(frame, log.unmasked)
    assert out["case_id"].tolist() == EPOCH and out["nir"].tolist() == ["1 85 •• •• ••• ••• 73"] * 3


def test_the_decision_adds_up_over_parts_of_a_log():
    """A log cut into parts (a Dask partition each) is judged on its parts' counts as on the
    whole: rows are summed, and a NIR in two parts counts once among the distinct keyed values."""
    from vitale_analysis.privacy import nir_column_counts, nir_columns_from_counts

    good = [nir(f"18505751230{k:02d}") for k in range(6)]
    wrong = [bad(f"28505751231{k:02d}") for k in range(5)]
    # By hand. Column "a": 12 rows, 10 NIR-shaped (83 % ≥ 80 %); distinct keyed values: 3 right
    # (two of them in both parts) and 3 wrong: 3 ≥ half of 6, a NIR column. Part 2 alone has 4
    # of 6 rows shaped (67 %): alone it would not be one. Column "b": 2 right and 3 wrong distinct
    # values (the right one repeated in both parts): 2 < half of 5, not a NIR column, though
    # part 1 alone (2 right of 3) would say it is.
    part1 = pd.DataFrame({"a": [good[0], good[1], good[2], wrong[0], good[0], good[1]],
                          "b": [good[3], good[3], good[4], wrong[1], good[3], good[4]]})
    part2 = pd.DataFrame({"a": [good[0], wrong[1], wrong[2], good[2], "REF-1", "REF-2"],
                          "b": [good[3], wrong[2], wrong[3], wrong[3], wrong[2], good[3]]})
    whole = pd.concat([part1, part2], ignore_index=True)
    assert nir_columns(whole) == ["a"]
    assert nir_columns(part2) == [] and nir_columns(part1) == ["a", "b"]
    counts = [nir_column_counts(part1), nir_column_counts(part2)]
    assert nir_columns_from_counts(counts) == nir_columns(whole) == ["a"]
    assert nir_columns_from_counts(counts[:1]) == nir_columns(part1)
