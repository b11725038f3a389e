"""The one as-of rule (timeutil.AsOf), worked out by hand.

A bare date is the end of that day: the next midnight, excluded. A time, a Timestamp or
the log's latest event is that instant, included. An aware log's cut is in UTC.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import vitale_analysis as va
from vitale_analysis.timeutil import AsOf, to_ns

T = pd.Timestamp


@pytest.mark.parametrize("value, at, inclusive, day", [
    ("2025-06-30", T("2025-07-01 00:00"), False, dt.date(2025, 6, 30)),
    (" 2025-6-3 ", T("2025-06-04 00:00"), False, dt.date(2025, 6, 3)),
    (dt.date(2025, 6, 30), T("2025-07-01 00:00"), False, dt.date(2025, 6, 30)),
    ("2025-06-30 17:58", T("2025-06-30 17:58"), True, dt.date(2025, 6, 30)),
    ("2025-06-30T00:00", T("2025-06-30 00:00"), True, dt.date(2025, 6, 30)),
    (T("2025-07-01 00:00"), T("2025-07-01 00:00"), True, dt.date(2025, 7, 1)),
    (dt.datetime(2025, 6, 30, 9, 0), T("2025-06-30 09:00"), True, dt.date(2025, 6, 30)),
])
def test_parse(value, at, inclusive, day):
    cut = AsOf.parse(value)
    assert (cut.at, cut.inclusive, cut.day()) == (at, inclusive, day)
    assert AsOf.parse(cut) == cut  # (an AsOf stands as it is)


def test_keeps_the_events_on_or_before_the_cut():
    times = pd.Series(pd.to_datetime(["2025-06-30 23:59", "2025-07-01 00:00", "2025-07-01 00:01"]))
    assert AsOf.parse("2025-06-30").keeps(times).tolist() == [True, False, False]
    assert AsOf.parse("2025-07-01 00:00").keeps(times).tolist() == [True, True, False]
    assert AsOf.parse("2025-07-01 00:00").keeps(to_ns(times)).tolist() == [True, True, False]
    assert AsOf.parse("2025-06-30").ns == T("2025-07-01").value


def test_latest_event_and_aware_logs():
    cut = AsOf.parse(None, latest=T("2025-06-30 17:58"))
    assert (cut.at, cut.inclusive) == (T("2025-06-30 17:58"), True)
    aware = AsOf.parse("2025-06-30", aware=True)  # a date without a zone, for a UTC log: read as UTC
    assert (aware.at, aware.inclusive, aware.day()) == (T("2025-07-01 00:00", tz="UTC"), False, dt.date(2025, 6, 30))
    assert aware.ns == T("2025-07-01").value
    paris = AsOf.parse(T("2025-07-01 02:00", tz="Europe/Paris"), aware=True)
    assert paris.at == T("2025-07-01 00:00", tz="UTC") and paris.inclusive


@pytest.mark.parametrize("value, message", [
    ("2025-06", "not a date"),          # pandas would read 1 June
    ("01/02/2025", "not a date"),       # pandas would read 2 January
    ("someday", "not a date"),
    ("2025-02-30", "not a date"),
    (None, "no date given"),
])
def test_refused(value, message):
    with pytest.raises(va.CaseLogError, match=message):
        AsOf.parse(value)


def test_a_zone_on_a_naive_log_is_refused():
    with pytest.raises(va.CaseLogError, match="time zone"):
        AsOf.parse(T("2025-06-30 12:00", tz="UTC"), aware=False)


def test_every_step_cuts_the_same():
    """validate(as_of=…), case_table(as_of=…) and the log's own cut agree on a midnight event."""
    rows = pd.DataFrame({"case_id": ["A", "A", "B"],
                         "event": ["registration_submitted", "registration_accepted", "registration_submitted"],
                         "timestamp": ["2025-03-03 09:00", "2025-04-01 00:00", "2025-03-31 23:59"]})
    log = va.validate(rows)
    assert log.as_of("2025-03-31") == AsOf(T("2025-04-01"), False)
    table = va.case_table(log, as_of="2025-03-31")
    assert table.as_of == AsOf(T("2025-04-01"), False)
    assert table.to_frame().set_index("case_id").loc["A", "status"] == "open"
    assert pd.isna(table.to_frame().set_index("case_id").loc["A", "registration_accepted_at"])
    with pytest.warns(va.DataQualityWarning):
        cut = va.validate(rows, as_of="2025-03-31")
    assert cut.quality.set_aside == {"after_as_of": 1}
    assert np.array_equal(va.case_table(cut).to_frame()["case_id"], ["A", "B"])
