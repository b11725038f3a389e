"""Handing the log to other tools: PM4Py's columns (to_pm4py) and XES files (write_xes).

Expected values are worked out by hand on small logs, or read from the written file with
a plain ``xml.etree`` parse (not the package's reader). The round trips read the written
file with the package's own reader and compare every event, value by value, with the log
that was written: hand-built logs with awkward text, aware and naive times, the sample,
and the real public receipt log (and BPIC 2012 with its lifecycle transitions, slow).
"""

from __future__ import annotations

import gzip
import math
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd
import pytest

import vitale_analysis as va
from vitale_analysis import interop

HERE = Path(__file__).resolve().parent
RECEIPT = HERE / "data" / "external" / "receipt.xes.gz"
BPIC = HERE / "data" / "external" / "bpic2012.xes.gz"
X = "{http://www.xes-standard.org/}"


def _validate(raw: pd.DataFrame) -> va.CaseLog:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        return va.validate(raw)


def _reload(path, process=va.CARTE_VITALE, **kw) -> va.CaseLog:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        return va.validate(va.read_caselog(path, **kw), process)


def _values(events: pd.DataFrame, drop=()) -> dict[str, list]:
    """Column → its values as plain Python objects (missing: None), the source row numbers left out."""
    out = {}
    for column in sorted(c for c in events.columns if c not in ("row", *drop)):
        values = events[column]
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            out[column] = [None if pd.isna(v) else v for v in values]
        else:
            out[column] = [None if pd.isna(v) else v for v in values.astype(object)]
    return out


def assert_same_events(got: va.CaseLog, want: va.CaseLog, drop=()):
    a, b = _values(got.events, drop), _values(want.events)
    assert list(a) == list(b), f"columns differ: {sorted(set(a) ^ set(b))}"
    differ = [c for c in a if a[c] != b[c]]
    assert not differ, f"values differ in {differ}"


def _xml(path) -> ET.Element:
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as fh:
        return ET.parse(fh).getroot()


def _attrs(element) -> dict[str, tuple[str, str]]:
    """An element's own attributes: key → (type, value as written)."""
    return {child.get("key"): (child.tag[len(X):], child.get("value"))
            for child in element if child.tag[len(X):] in ("string", "int", "float", "boolean", "date")}


# --------------------------------------------------------------------------- a hand-built log
def hand_raw() -> pd.DataFrame:
    """Two dossiers with awkward text: markup characters, quotes, accents, emoji, tabs and line breaks."""
    return pd.DataFrame({
        "case_id": ["A&B <1>", "A&B <1>", "A&B <1>", 'Zoé "2" 🎉', 'Zoé "2" 🎉'],
        "event": ["registration_submitted", "registration_accepted", "dossier_submitted",
                  "registration_submitted", "appel à l'usager & <suivi>"],
        "timestamp": ["2025-01-02 09:00", "2025-01-05 10:30", "2025-02-01 08:00", "2025-01-03 11:00",
                      "2025-01-04 12:00"],
        "trigger": [None, "rib_mismatch", None, None, None],
        "note": ["tab\there", "line1\nline2\r\nline3", "  spaced  ", None, "emoji 😀 & 'quote' \"dq\" é"],
        "office": ["CPAM 75", "CPAM 75", "CPAM 75", "CGSS 974", "CGSS 974"],
        "born_abroad": [True, True, True, False, False],
        "advisor": ["A1", "A1", "A1", "A2", "A2"],
        "amount": pd.array([3, 3, 3, None, None], dtype="Int64"),
        "score": [1.5, 1.5, 1.5, np.inf, np.inf],
        "clerk": ["x", "y", "x", "z", None],
    })


@pytest.fixture(scope="module")
def hand_log():
    log = _validate(hand_raw())
    # What the rest of this file relies on: the validator's view of the columns.
    assert log.case_attributes == ("office", "born_abroad", "advisor", "amount", "score")
    assert log.event_attributes == ("clerk",)
    return log


def test_to_pm4py_columns_and_values_by_hand(hand_log):
    frame = va.to_pm4py(hand_log)
    assert list(frame.columns) == [
        "case:concept:name", "concept:name", "time:timestamp", "org:resource", "trigger", "note", "clerk",
        "case:office", "case:born_abroad", "case:advisor", "case:amount", "case:score",
    ]
    # Sorted by dossier, then time (the log's order): "A&B <1>" sorts before "Zoé…".
    assert frame["case:concept:name"].tolist() == ["A&B <1>"] * 3 + ['Zoé "2" 🎉'] * 2
    assert frame["concept:name"].tolist() == ["registration_submitted", "registration_accepted",
                                              "dossier_submitted", "registration_submitted",
                                              "appel à l'usager & <suivi>"]
    assert frame["time:timestamp"].tolist() == [pd.Timestamp(t) for t in (
        "2025-01-02 09:00", "2025-01-05 10:30", "2025-02-01 08:00", "2025-01-03 11:00", "2025-01-04 12:00")]
    assert frame["time:timestamp"].dt.tz is None  # naive stays naive
    assert frame["org:resource"].astype(object).tolist() == ["A1", "A1", "A1", "A2", "A2"]  # the advisor
    assert frame["clerk"].astype(object).where(frame["clerk"].notna(), None).tolist() == ["x", "y", "x", "z", None]
    assert frame["case:born_abroad"].tolist() == [True, True, True, False, False]
    assert frame["case:amount"].astype(object).where(frame["case:amount"].notna(), None).tolist() == \
        [3, 3, 3, None, None]
    assert frame["case:score"].tolist() == [1.5, 1.5, 1.5, math.inf, math.inf]
    assert frame["note"].iloc[1] == "line1\nline2\r\nline3"
    assert "row" not in frame.columns


def test_to_pm4py_resource_choices(hand_log):
    assert "org:resource" not in va.to_pm4py(hand_log, resource=None).columns
    by_clerk = va.to_pm4py(hand_log, resource="clerk")
    assert by_clerk["org:resource"].astype(object).where(by_clerk["org:resource"].notna(), None).tolist() == \
        ["x", "y", "x", "z", None]
    assert "clerk" in by_clerk.columns  # (the column itself is kept too)
    with pytest.raises(va.CaseLogError, match=r"resource='handler' is not a column"):
        va.to_pm4py(hand_log, resource="handler")
    # A log without an advisor column simply has no org:resource by default.
    no_advisor = _validate(hand_raw().drop(columns="advisor"))
    assert "org:resource" not in va.to_pm4py(no_advisor).columns
    # A log with its own org:resource keeps it, whatever the advisor says.
    own = _validate(hand_raw().assign(**{"org:resource": ["r1", "r2", "r1", "r3", "r3"]}))
    frame = va.to_pm4py(own)
    assert frame["org:resource"].astype(object).tolist() == ["r1", "r2", "r1", "r3", "r3"]
    assert "case:org:resource" not in frame.columns and "case:advisor" in frame.columns


def test_case_attributes_take_the_dossiers_first_value():
    raw = hand_raw()
    raw["office"] = ["CPAM 75", "CPAM 13", "CPAM 75", None, "CGSS 974"]  # a conflict; a missing first value
    log = _validate(raw)
    assert log.quality.count("conflicting_attribute") == 1
    frame = va.to_pm4py(log)
    assert frame["case:office"].astype(object).tolist() == ["CPAM 75"] * 3 + ["CGSS 974"] * 2


def test_as_of_and_a_case_table_cut_the_export(hand_log):
    cut = va.to_pm4py(hand_log, as_of="2025-01-03")  # a bare date: up to the end of 3 January
    assert cut["concept:name"].tolist() == ["registration_submitted", "registration_submitted"]
    assert cut["case:concept:name"].tolist() == ["A&B <1>", 'Zoé "2" 🎉']
    table = va.case_table(hand_log, as_of="2025-01-31")
    mine = table[table["office"] == "CGSS 974"]
    frame = va.to_pm4py(mine)
    assert frame["case:concept:name"].unique().tolist() == ['Zoé "2" 🎉'] and len(frame) == 2
    # The table's own as_of: the 1 February event of the other dossier is not there either.
    assert len(va.to_pm4py(table)) == 4


def test_export_refuses_what_is_not_a_log(tmp_path):
    with pytest.raises(va.CaseLogError, match="takes a CaseLog"):
        va.to_pm4py(hand_raw())
    with pytest.raises(va.CaseLogError, match=r"\.xes or \.xes\.gz"):
        va.write_xes(_validate(hand_raw()), tmp_path / "log.csv")


# --------------------------------------------------------------------------- the XES file itself
def test_write_xes_declarations_read_back_with_etree(hand_log, tmp_path):
    path = va.write_xes(hand_log, tmp_path / "hand.xes")
    assert path == tmp_path / "hand.xes"
    root = _xml(path)
    assert root.tag == f"{X}log" and root.get("xes.version") == "1849-2016"
    extensions = {e.get("prefix"): (e.get("name"), e.get("uri")) for e in root.findall(f"{X}extension")}
    assert extensions == {
        "concept": ("Concept", "http://www.xes-standard.org/concept.xesext"),
        "time": ("Time", "http://www.xes-standard.org/time.xesext"),
        "org": ("Organizational", "http://www.xes-standard.org/org.xesext"),  # org:resource is written
    }
    globals_ = {g.get("scope"): _attrs(g) for g in root.findall(f"{X}global")}
    assert set(globals_["trace"]) == {"concept:name"}
    assert set(globals_["event"]) == {"concept:name", "time:timestamp", "org:resource"}  # every event has one
    classifiers = {c.get("name"): c.get("keys") for c in root.findall(f"{X}classifier")}
    assert classifiers == {"Activity": "concept:name", "Resource classifier": "org:resource"}


def test_write_xes_traces_events_and_types_by_hand(hand_log, tmp_path):
    root = _xml(va.write_xes(hand_log, tmp_path / "hand.xes", resource="clerk"))
    traces = root.findall(f"{X}trace")
    assert [_attrs(t) for t in traces] == [
        {"concept:name": ("string", "A&B <1>"), "office": ("string", "CPAM 75"),
         "born_abroad": ("boolean", "true"), "advisor": ("string", "A1"), "amount": ("int", "3"),
         "score": ("float", "1.5")},
        {"concept:name": ("string", 'Zoé "2" 🎉'), "office": ("string", "CGSS 974"),
         "born_abroad": ("boolean", "false"), "advisor": ("string", "A2"),  # amount missing: no attribute
         "score": ("float", "INF")},
    ]
    events = [_attrs(e) for t in traces for e in t.findall(f"{X}event")]
    assert events == [
        {"concept:name": ("string", "registration_submitted"), "time:timestamp": ("date", "2025-01-02T09:00:00.000"),
         "org:resource": ("string", "x"), "note": ("string", "tab\there"), "clerk": ("string", "x")},
        {"concept:name": ("string", "registration_accepted"), "time:timestamp": ("date", "2025-01-05T10:30:00.000"),
         "org:resource": ("string", "y"), "trigger": ("string", "rib_mismatch"),
         "note": ("string", "line1\nline2\r\nline3"), "clerk": ("string", "y")},
        {"concept:name": ("string", "dossier_submitted"), "time:timestamp": ("date", "2025-02-01T08:00:00.000"),
         "org:resource": ("string", "x"), "note": ("string", "  spaced  "), "clerk": ("string", "x")},
        {"concept:name": ("string", "registration_submitted"), "time:timestamp": ("date", "2025-01-03T11:00:00.000"),
         "org:resource": ("string", "z"), "clerk": ("string", "z")},
        {"concept:name": ("string", "appel à l'usager & <suivi>"),
         "time:timestamp": ("date", "2025-01-04T12:00:00.000"), "note": ("string", "emoji 😀 & 'quote' \"dq\" é")},
    ]
    # Tabs and line breaks are written as references (a parser would turn raw ones into spaces).
    text = (tmp_path / "hand.xes").read_text(encoding="utf-8")
    assert 'value="line1&#10;line2&#13;&#10;line3"' in text and 'value="tab&#9;here"' in text


def test_hand_log_round_trip(hand_log, tmp_path):
    path = va.write_xes(hand_log, tmp_path / "hand.xes.gz", resource=None)
    back = _reload(path)
    assert_same_events(back, hand_log)
    assert back.case_attributes == hand_log.case_attributes
    assert back.quality.n_set_aside == 0


def test_control_characters_are_refused_and_leave_no_file(tmp_path):
    raw = hand_raw()
    raw.loc[3, "note"] = "bell\x07"
    log = _validate(raw)
    with pytest.raises(va.CaseLogError, match=r"dossier 'Zoé \"2\" 🎉': 'note' holds U\+0007"):
        va.write_xes(log, tmp_path / "bell.xes")
    assert list(tmp_path.iterdir()) == []  # no partial file, no temporary file
    raw = hand_raw()
    raw.loc[0:2, "case_id"] = "A\x1bB"
    with pytest.raises(va.CaseLogError, match=r"dossier 'A\\x1bB': 'concept:name' holds U\+001B"):
        va.write_xes(_validate(raw), tmp_path / "escape.xes")
    assert list(tmp_path.iterdir()) == []
    # to_pm4py hands a DataFrame over: nothing to refuse there.
    assert va.to_pm4py(log)["note"].iloc[3] == "bell\x07"


def test_gzip_and_chunks_give_the_same_xml(hand_log, tmp_path, monkeypatch):
    plain = va.write_xes(hand_log, tmp_path / "a.xes")
    packed = va.write_xes(hand_log, tmp_path / "a.xes.gz")
    assert packed.read_bytes()[:2] == b"\x1f\x8b"
    assert gzip.decompress(packed.read_bytes()) == plain.read_bytes()
    before = packed.read_bytes()
    assert va.write_xes(hand_log, packed).read_bytes() == before  # reproducible (no time in the gzip header)
    # Written one dossier at a time (each chunk cut at a dossier's end) the file is the same.
    monkeypatch.setattr(interop, "_CHUNK_EVENTS", 1)
    assert va.write_xes(hand_log, tmp_path / "c.xes").read_bytes() == plain.read_bytes()


# --------------------------------------------------------------------------- times
def test_aware_times_keep_their_instant(tmp_path):
    raw = hand_raw()
    raw["timestamp"] = ["2025-01-02T09:00:00+01:00", "2025-01-05T10:30:00+01:00", "2025-02-01T08:00:00-05:00",
                        "2025-01-03T11:00:00+04:00", "2025-01-04T12:00:00.250+04:00"]
    log = _validate(raw)
    assert log.aware
    frame = va.to_pm4py(log)
    assert str(frame["time:timestamp"].dt.tz) == "UTC"
    root = _xml(va.write_xes(log, tmp_path / "aware.xes"))
    written = [_attrs(e)["time:timestamp"][1] for t in root.findall(f"{X}trace") for e in t.findall(f"{X}event")]
    assert written == ["2025-01-02T08:00:00.000+00:00", "2025-01-05T09:30:00.000+00:00",
                       "2025-02-01T13:00:00.000+00:00", "2025-01-03T07:00:00.000+00:00",
                       "2025-01-04T08:00:00.250+00:00"]
    # The same instants as the source's own offsets.
    source = [datetime.fromisoformat(t) for t in raw["timestamp"]]
    assert [datetime.fromisoformat(t) for t in written] == source
    assert_same_events(_reload(tmp_path / "aware.xes"), log, drop=("org:resource",))


def test_naive_times_are_written_as_they_are_and_sub_milliseconds_kept(tmp_path):
    raw = hand_raw()
    raw["timestamp"] = ["2025-01-02 09:00:00.123456", "2025-01-05 10:30", "2025-02-01 08:00",
                        "2025-01-03 11:00", "2025-01-04 12:00"]
    log = _validate(raw)
    root = _xml(va.write_xes(log, tmp_path / "naive.xes"))
    written = [_attrs(e)["time:timestamp"][1] for t in root.findall(f"{X}trace") for e in t.findall(f"{X}event")]
    assert written[:2] == ["2025-01-02T09:00:00.123456", "2025-01-05T10:30:00.000000"]
    assert all(datetime.fromisoformat(t).tzinfo is None for t in written)
    back = _reload(tmp_path / "naive.xes")
    assert not back.aware
    assert_same_events(back, log, drop=("org:resource",))


def test_nanoseconds_are_kept(tmp_path):
    raw = hand_raw()
    raw["timestamp"] = pd.to_datetime(["2025-01-02 09:00", "2025-01-05 10:30", "2025-02-01 08:00",
                                       "2025-01-03 11:00", "2025-01-04 12:00"]) + pd.Timedelta(7, "ns")
    log = _validate(raw)
    root = _xml(va.write_xes(log, tmp_path / "ns.xes"))
    first = _attrs(root.find(f"{X}trace").find(f"{X}event"))["time:timestamp"][1]
    assert first == "2025-01-02T09:00:00.000000007"
    assert_same_events(_reload(tmp_path / "ns.xes"), log, drop=("org:resource",))


# --------------------------------------------------------------------------- privacy
def test_a_nir_column_is_exported_in_full_with_a_warning(tmp_path):
    raw = hand_raw()
    nirs = ["2 95 05 75 123 456 18", "1 85 05 75 123 456 73"]  # keys right: 18 and 73
    raw["nir"] = [nirs[0]] * 3 + [nirs[1]] * 2
    log = _validate(raw)
    with pytest.warns(va.DataQualityWarning, match=r"\['nir'\] hold social security numbers.*pseudonymise") as got:
        frame = va.to_pm4py(log)
    assert not any("123 456" in str(w.message) for w in got)  # the warning names the column, not the numbers
    assert frame["case:nir"].astype(object).tolist() == [nirs[0]] * 3 + [nirs[1]] * 2
    # Pseudonymised first: tokens go out, and nothing to warn about.
    shared = va.pseudonymise(log, ["nir"], salt="secret")
    with warnings.catch_warnings():
        warnings.simplefilter("error", va.DataQualityWarning)
        path = va.write_xes(shared, tmp_path / "shared.xes")
    text = path.read_text(encoding="utf-8")
    assert nirs[0] not in text and nirs[1] not in text and 'key="nir" value="P-' in text


# --------------------------------------------------------------------------- the sample and real logs
def test_sample_round_trip(sample_log, tmp_path):
    path = va.write_xes(sample_log, tmp_path / "sample.xes.gz")
    back = _reload(path)
    # org:resource is the advisor, written on each event: the one column the file adds.
    assert back.events["org:resource"].astype(object).tolist() == sample_log.events["advisor"].astype(object).tolist()
    assert_same_events(back, sample_log, drop=("org:resource",))
    assert back.quality.rows_read == len(sample_log.events)
    # Without it the file reads back to exactly the log's columns and case attributes.
    exact = _reload(va.write_xes(sample_log, tmp_path / "exact.xes", resource=None))
    assert_same_events(exact, sample_log)
    assert exact.case_attributes == sample_log.case_attributes


def test_sample_counts_from_an_independent_parse(sample_log, sample_path, tmp_path):
    root = _xml(va.write_xes(sample_log, tmp_path / "sample.xes"))
    traces = root.findall(f"{X}trace")
    events = [_attrs(e)["concept:name"][1] for t in traces for e in t.findall(f"{X}event")]
    # The CSV itself, read with plain pandas: its distinct rows are the log's events.
    csv = pd.read_csv(sample_path, dtype=str, keep_default_na=False).drop_duplicates()
    assert len(traces) == csv["case_id"].nunique() == 3000
    assert len(events) == len(csv) == 31_479
    assert pd.Series(events).value_counts().sort_index().to_dict() == \
        csv["event"].value_counts().sort_index().to_dict()


def test_sample_as_of_cut_round_trip(sample_log, tmp_path):
    back = _reload(va.write_xes(sample_log, tmp_path / "cut.xes", as_of="2024-06-30", resource=None))
    want = sample_log.events[sample_log.events["timestamp"] < pd.Timestamp("2024-07-01")]
    assert len(back.events) == len(want)
    assert back.events["timestamp"].max() < pd.Timestamp("2024-07-01")
    assert sorted(back.events["case_id"].astype(str).unique()) == sorted(want["case_id"].astype(str).unique())


needs_receipt = pytest.mark.skipif(not RECEIPT.exists(), reason=f"{RECEIPT} is absent (see tests/data/external/README.md)")


@needs_receipt
def test_receipt_read_write_read_gives_the_same_events(tmp_path):
    log = _reload(RECEIPT)
    path = va.write_xes(log, tmp_path / "receipt.xes.gz")
    root = _xml(path)
    traces = root.findall(f"{X}trace")
    assert len(traces) == 1434 and sum(len(t.findall(f"{X}event")) for t in traces) == 8577  # the data README's
    extensions = {e.get("prefix") for e in root.findall(f"{X}extension")}
    assert extensions == {"concept", "time", "lifecycle", "org"}
    classifiers = {c.get("name"): c.get("keys") for c in root.findall(f"{X}classifier")}
    assert classifiers["Activity classifier"] == "concept:name lifecycle:transition"
    # Typed trace attributes stay typed; lifecycle:transition stays on the events.
    first = _attrs(traces[0])
    assert first["deadline"][0] == "date" and first["deadline"][1].endswith("+00:00")
    assert "lifecycle:transition" not in first
    assert _attrs(traces[0].find(f"{X}event"))["lifecycle:transition"] == ("string", "complete")
    back = _reload(path)
    assert_same_events(back, log)
    assert back.case_attributes == log.case_attributes


@needs_receipt
def test_receipt_events_against_the_source_file(tmp_path):
    """The written file holds the source's events: (case, activity, instant, resource), by a plain parse of both."""
    def events(root):
        out = []
        for trace in root.findall(f"{X}trace"):
            case = _attrs(trace)["concept:name"][1]
            for ev in trace.findall(f"{X}event"):
                a = _attrs(ev)
                out.append((case, a["concept:name"][1], datetime.fromisoformat(a["time:timestamp"][1]),
                            a.get("org:resource", (None, None))[1]))
        return sorted(out, key=lambda e: (e[0], e[2].astimezone(timezone.utc), e[1], e[3] or ""))

    source = events(_xml(RECEIPT))
    written = events(_xml(va.write_xes(_reload(RECEIPT), tmp_path / "receipt.xes")))
    assert len(written) == len(source) == 8577
    assert [(c, a, r) for c, a, _, r in written] == [(c, a, r) for c, a, _, r in source]
    assert all(w[2] == s[2] for w, s in zip(written, source))  # same instants (offsets differ: UTC written)
    assert any(s[2].utcoffset() != timedelta(0) for s in source)


@pytest.mark.slow
@pytest.mark.skipif(not BPIC.exists(), reason=f"{BPIC} is absent (see tests/data/external/README.md)")
def test_bpic2012_lifecycle_round_trip(tmp_path):
    """Every transition kept (lifecycle="all"): written with its lifecycle:transition, read back the same."""
    log = _reload(BPIC, lifecycle="all")
    assert len(log.events) == 262_200
    back = _reload(va.write_xes(log, tmp_path / "bpic.xes.gz"), lifecycle="all")
    assert_same_events(back, log)
    transitions = back.events["lifecycle:transition"].astype(str).str.upper().value_counts().to_dict()
    assert transitions == {"COMPLETE": 164_506, "START": 71_376, "SCHEDULE": 26_318}  # the data README's
