"""Social security numbers: key check, masking everywhere, pseudonymisation.

The NIRs here are made by hand; their keys are computed in the test with the
published formula (97 - number mod 97, 2A → 19, 2B → 18), independently of
python-stdnum, which the package uses.
"""

from __future__ import annotations

import re
import warnings

import pandas as pd
import pytest

import vitale_analysis as va
from vitale_analysis import (
    CHECKS,
    CaseLog,
    CaseLogError,
    RawLog,
    case_table,
    load,
    pseudonymise,
    read_caselog,
    validate,
)
from vitale_analysis.errors import DataQualityWarning
from vitale_analysis.privacy import mask_identifier, nir_columns, nir_key_ok


def key(first13: str) -> str:
    digits = first13.upper().replace("2A", "19").replace("2B", "18")
    return f"{97 - int(digits) % 97:02d}"


def nir(first13: str) -> str:
    """A 15-character NIR with its right key."""
    return first13 + key(first13)


def bad(first13: str) -> str:
    """The same number with a wrong key (the right one plus one, mod 97)."""
    wrong = (int(key(first13)) + 1) % 100
    return first13 + f"{wrong:02d}"


GOOD_A = nir("1850575123456")
GOOD_CORSICA = nir("290012A045012")  # born in Corse-du-Sud
GOOD_NIA = nir("7960399123001")  # an NIA looks the same
BAD_B = bad("2850699123457")
BAD_C = bad("1920213055078")
SHORT_D = "1750133012345"  # 13 characters: no key, not checked

ALL_NUMBERS = [GOOD_A, GOOD_CORSICA, GOOD_NIA, BAD_B, BAD_C, SHORT_D]


def test_hand_made_keys_agree_with_stdnum():
    assert key("1850575123456") == "73"
    assert key("2900119045012") == key("290012A045012")  # 2A → 19
    for number in (GOOD_A, GOOD_CORSICA, GOOD_NIA):
        assert nir_key_ok(number) is True
    for number in (BAD_B, BAD_C):
        assert nir_key_ok(number) is False
    assert nir_key_ok(SHORT_D) is None
    assert nir_key_ok("D000123") is None
    spaced = " ".join([GOOD_A[0], GOOD_A[1:3], GOOD_A[3:5], GOOD_A[5:7], GOOD_A[7:10], GOOD_A[10:13], GOOD_A[13:]])
    assert nir_key_ok(spaced) is True


def test_nir_columns():
    frame = pd.DataFrame(
        {
            "case_id": ["D1", "D2", "D3", "D4", "D5"],
            "nir": [GOOD_A, BAD_B, "", SHORT_D, GOOD_CORSICA],  # empty is ignored
            "mixed": [GOOD_A, "x", "y", "z", None],  # 1 in 4: not mostly
            "note": ["appel", "mail", "rdv", "", None],
            "n": [1, 2, 3, 4, 5],
        }
    )
    assert nir_columns(frame) == ["nir"]
    assert nir_columns(frame.assign(case_id=[GOOD_A, BAD_B, BAD_C, SHORT_D, GOOD_NIA])) == ["case_id", "nir"]
    assert nir_columns(pd.DataFrame({"x": [None, None]})) == []


# --------------------------------------------------------------------------- in validate
def _rows(case, nir_value, start_day):
    return [
        (case, "registration_submitted", f"2025-01-{start_day:02d} 09:00", nir_value),
        (case, "registration_accepted", f"2025-01-{start_day + 3:02d} 09:00", nir_value),
    ]


def _log_with_nir_column(tmp_path):
    rows = []
    for i, number in enumerate(ALL_NUMBERS):
        rows += _rows(f"D{i + 1:03d}", number, i + 1)
    text = "case_id,event,timestamp,nir\n" + "\n".join(",".join(r) for r in rows) + "\n"
    path = tmp_path / "nir.csv"
    path.write_text(text, encoding="utf-8")
    return load(path)


def assert_no_full_number(text: str, numbers=ALL_NUMBERS):
    for number in numbers:
        assert number not in text
        assert number[:13] not in text
        assert number[3:13] not in text  # not even the birth place and order


def test_bad_keys_are_flagged_masked(tmp_path):
    log = _log_with_nir_column(tmp_path)
    q = log.quality
    assert "nir_bad_key" in CHECKS and CHECKS["nir_bad_key"][0] == "flagged"
    assert q.count("nir_bad_key") == 4  # two cases with a wrong key, two rows each
    f = q.failures[q.failures["check"] == "nir_bad_key"]
    assert set(f["column"]) == {"nir"}
    assert f["case_id"].tolist() == ["D004", "D004", "D005", "D005"]
    assert sorted(set(f["value"])) == sorted({mask_identifier(BAD_B), mask_identifier(BAD_C)})
    assert mask_identifier(BAD_B) == f"{BAD_B[0]} {BAD_B[1:3]} •• •• ••• ••• {BAD_B[13:]}"
    assert set(f["action"]) == {"flagged"}
    # Flagged, not set aside: every row is kept, with its number unchanged for the analysis.
    assert q.rows_read == q.rows_kept == 12 and q.n_set_aside == 0
    assert set(log.events["nir"]) == set(ALL_NUMBERS)
    assert_no_full_number(q.failures.to_csv())
    assert_no_full_number(repr(q))
    assert_no_full_number(q._repr_html_())
    assert_no_full_number(repr(log) + log._repr_html_())
    assert "nir_bad_key" in repr(q)


def test_nir_case_ids_masked_in_failures_and_set_aside_rows(tmp_path):
    rows = [
        (GOOD_A, "registration_submitted", "2025-01-06 09:00"),
        (GOOD_A, "registration_accepted", "2025-01-10 09:00"),
        (GOOD_A, "registration_accepted", "pas de date"),  # set aside
        (BAD_B, "registration_submitted", "2025-01-07 09:00"),  # wrong key, in case_id
        (BAD_B, "registration_accepted", ""),  # set aside
        (SHORT_D, "registration_submitted", "2025-01-08 09:00"),
        (SHORT_D, "rendez_vous_caf", "2025-01-09 09:00"),  # unknown event, flagged
    ]
    text = "case_id,event,timestamp\n" + "\n".join(",".join(r) for r in rows) + "\n"
    text += f"{GOOD_CORSICA},registration_submitted,2025-01-10 09:00,EXTRA\n"  # malformed row
    path = tmp_path / "ids.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.warns(DataQualityWarning) as caught:
        log = load(path)
    q = log.quality
    assert q.rows_read == 8 and q.rows_kept == 5 and q.n_set_aside == 3
    assert q.count("nir_bad_key") == 1
    f = q.failures.set_index("check")
    assert f.loc["nir_bad_key", "case_id"] == mask_identifier(BAD_B)
    assert f.loc["nir_bad_key", "value"] == mask_identifier(BAD_B)
    assert f.loc["nir_bad_key", "column"] == "case_id"
    assert f.loc["unknown_event", "case_id"] == mask_identifier(SHORT_D) == "1 75 •• •• ••• •••"
    assert f.loc["unparseable_timestamp", "case_id"] == mask_identifier(GOOD_A)
    assert f.loc["missing_timestamp", "case_id"] == mask_identifier(BAD_B)
    assert mask_identifier(GOOD_CORSICA) in f.loc["malformed_row", "value"]
    assert_no_full_number(q.failures.to_csv())
    assert_no_full_number(q.set_aside_rows.to_csv())
    assert_no_full_number(repr(q) + q._repr_html_() + repr(log) + log._repr_html_())
    assert_no_full_number(" ".join(str(w.message) for w in caught))
    # The events themselves keep the real ids (they are the data being analysed).
    assert set(log.events["case_id"]) == {GOOD_A, BAD_B, SHORT_D}


def test_nir_check_on_a_dataframe_without_nirs_finds_nothing():
    raw = pd.DataFrame(
        {"case_id": ["D1", "D1"], "event": ["registration_submitted", "registration_accepted"],
         "timestamp": ["2025-01-06 09:00", "2025-01-10 09:00"], "nir": [GOOD_A, GOOD_A]}
    )
    q = validate(raw).quality
    assert q.ok and q.count("nir_bad_key") == 0


def test_number_status_comes_from_events_not_digits():
    """A NIR-looking id (even a valid 15-character one) says nothing about the number status."""
    raw = pd.DataFrame(
        {
            "case_id": [GOOD_A, GOOD_A, GOOD_NIA, GOOD_NIA, GOOD_NIA],
            "event": ["registration_submitted", "registration_accepted",
                      "registration_submitted", "registration_accepted", "nir_permanent"],
            "timestamp": ["2025-01-06 09:00", "2025-01-10 09:00",
                          "2025-01-06 09:00", "2025-01-10 09:00", "2025-01-20 09:00"],
        }
    )
    table = case_table(validate(raw), as_of="2025-06-30").to_frame().set_index("case_id")
    assert table.loc[GOOD_A, "number_status"] == "none"
    assert table.loc[GOOD_NIA, "number_status"] == "permanent"  # the event says so, not the leading 7


# --------------------------------------------------------------------------- pseudonymise
TOKEN = re.compile(r"^P-[0-9a-f]{12}$")


def _raw():
    return pd.DataFrame(
        {
            "case_id": ["D1", "D1", "D2", "D2", " D1 "],
            "event": ["registration_submitted", "registration_accepted"] * 2 + ["nir_permanent"],
            "timestamp": ["2025-01-06 09:00", "2025-01-10 09:00", "2025-01-07 09:00", "2025-01-11 09:00",
                          "2025-01-20 09:00"],
            "nir": [GOOD_A, GOOD_A, BAD_B, BAD_B, None],
        }
    )


def test_pseudonymise_frame_is_stable_and_salted():
    raw = _raw()
    out = pseudonymise(raw, ["case_id", "nir"], salt="s3cret")
    assert isinstance(out, pd.DataFrame) and out is not raw
    assert raw["case_id"].tolist()[0] == "D1"  # the input is left alone
    assert out["case_id"].map(lambda v: bool(TOKEN.match(v))).all()
    assert out["case_id"].iloc[0] == out["case_id"].iloc[1] == out["case_id"].iloc[4]  # trimmed, same case
    assert out["case_id"].iloc[0] != out["case_id"].iloc[2]
    assert pd.isna(out["nir"].iloc[4])  # empty stays empty
    assert out["event"].tolist() == raw["event"].tolist()  # other columns untouched
    again = pseudonymise(raw, ["case_id", "nir"], salt="s3cret")
    pd.testing.assert_frame_equal(out, again)
    other = pseudonymise(raw, ["case_id", "nir"], salt="another")
    assert set(other["case_id"]).isdisjoint(set(out["case_id"]))
    assert set(other["nir"].dropna()).isdisjoint(set(out["nir"].dropna()))
    assert pseudonymise(raw, "case_id", salt="s3cret")["case_id"].tolist() == out["case_id"].tolist()
    # The salt is stored nowhere.
    dumped = out.to_csv() + repr(out.attrs)
    assert "s3cret" not in dumped
    assert_no_full_number(dumped)


def test_pseudonymise_refuses_bad_input():
    raw = _raw()
    for salt in ("", "   ", b"", None):
        with pytest.raises(CaseLogError, match="salt"):
            pseudonymise(raw, ["case_id"], salt=salt)
    with pytest.raises(CaseLogError, match="no column"):
        pseudonymise(raw, ["nom"], salt="x")
    with pytest.raises(CaseLogError):
        pseudonymise([1, 2], ["case_id"], salt="x")


def test_pseudonymise_caselog(tmp_path):
    rows = [
        (GOOD_A, "registration_submitted", "2025-01-06 09:00", "CPAM 75"),
        (GOOD_A, "registration_accepted", "2025-01-10 09:00", "CPAM 75"),
        (BAD_B, "registration_submitted", "2025-01-07 09:00", "CPAM 92"),
        (BAD_B, "rendez_vous_caf", "2025-01-08 09:00", "CPAM 92"),  # flagged
        (BAD_B, "registration_accepted", "", "CPAM 92"),  # set aside
        ("D000123", "registration_submitted", "2025-01-08 09:00", "CPAM 93"),
        ("D000123", "registration_accepted", "jamais", "CPAM 93"),  # set aside
    ]
    path = tmp_path / "log.csv"
    path.write_text("case_id,event,timestamp,office\n" + "\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        log = load(path)
    out = pseudonymise(log, ["case_id"], salt="pepper")
    assert isinstance(out, CaseLog) and out is not log
    assert log.events["case_id"].iloc[0] in (GOOD_A, BAD_B, "D000123")  # the original is unchanged
    ids = out.events["case_id"]
    assert ids.map(lambda v: bool(TOKEN.match(v))).all() and ids.nunique() == 3
    assert ids.is_monotonic_increasing  # still sorted by case
    for case, group in out.events.groupby("case_id"):
        assert group["timestamp"].is_monotonic_increasing
    assert len(out.events) == len(log.events) and out.quality.rows_read == log.quality.rows_read
    # Tokens are the same as on the raw log with the same salt; what reading found is kept.
    raw = read_caselog(path)
    raw_tokens = pseudonymise(raw, "case_id", salt="pepper")
    assert isinstance(raw_tokens, RawLog) and raw_tokens.source == raw.source == str(path)
    assert set(ids) == set(raw_tokens["case_id"])
    token_of = dict(zip(raw["case_id"], raw_tokens["case_id"]))
    f = out.quality.failures.set_index("check")
    assert f.loc["unknown_event", "case_id"] == token_of[BAD_B]
    bad_key = f.loc[["nir_bad_key"]]
    assert len(bad_key) == 2  # the two kept rows of BAD_B (case_id is mostly NIRs: checked)
    assert set(bad_key["case_id"]) == set(bad_key["value"]) == {token_of[BAD_B]}
    assert f.loc["unparseable_timestamp", "case_id"] == token_of["D000123"]  # set aside, not masked: same token
    assert TOKEN.match(f.loc["missing_timestamp", "case_id"])  # set aside, stored masked: a token of the mask
    aside = out.quality.set_aside_rows
    assert aside["case_id"].map(lambda v: bool(TOKEN.match(v))).all()
    everything = (out.events.to_csv() + out.quality.failures.to_csv() + aside.to_csv() + repr(out)
                  + out._repr_html_() + repr(out.events.attrs) + repr(out.quality))
    assert "pepper" not in everything
    assert "D000123" not in everything
    assert_no_full_number(everything)
    # The analysis still works on the pseudonymised log.
    table = case_table(out, as_of="2025-06-30")
    assert len(table) == 3 and set(table["case_id"]) == set(ids)


def test_public_names():
    assert va.pseudonymise is pseudonymise
    for name in ("pseudonymise", "nir_columns", "mask_identifier"):
        assert name in va.__all__


def test_set_aside_rows_masked_in_categorical_columns_as_parquet_gives_them():
    """Columns read as categoricals (Parquet dictionaries) and real times: the set-aside rows
    still show no full number, whether it sits in the case id or in another column."""
    raw = pd.DataFrame({
        "case_id": pd.Categorical([GOOD_A, GOOD_A, GOOD_A, "D1", "D1"]),
        "event": pd.Categorical(["registration_submitted", "registration_accepted", "registration_accepted",
                                 "registration_submitted", "registration_submitted"]),
        "timestamp": pd.to_datetime(["2025-01-06 09:00", "2025-01-10 09:00", "2025-01-10 09:00",
                                     "2025-01-07 09:00", "2025-01-07 09:00"]),
        "advisor": pd.Categorical(["Ana", "Ana", "Ana", f"voir {GOOD_CORSICA}", f"voir {GOOD_CORSICA}"]),
        "office": pd.Categorical(["Lyon"] * 5),
    })
    with pytest.warns(DataQualityWarning):
        log = validate(raw)
    aside = log.quality.set_aside_rows
    assert list(aside["reason"]) == ["duplicate_row", "duplicate_row"]  # rows 3 and 5 repeat rows 2 and 4
    assert list(aside["case_id"]) == [mask_identifier(GOOD_A), "D1"]
    assert list(aside["advisor"]) == ["Ana", f"voir {mask_identifier(GOOD_CORSICA)}"]
    assert list(aside["office"]) == ["Lyon", "Lyon"]
    assert list(aside["timestamp"]) == [pd.Timestamp("2025-01-10 09:00"), pd.Timestamp("2025-01-07 09:00")]
    assert_no_full_number(aside.to_csv())
