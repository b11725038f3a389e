"""Working days skip the public holidays of each dossier's fund (office).

Hand-counted dossiers: every event at 09:00; a phase's working days are the
weekdays from its start date up to, not including, its end date, without the
public holidays of the dossier's office. The holidays used below (2024–2025):

* everywhere: Wed 25 Dec 2024, Wed 1 Jan 2025, Mon 21 Apr 2025 (Easter Monday),
  Thu 29 May 2025 (Ascension);
* Alsace-Moselle (CPAM 57, 67, 68) also: Thu 26 Dec 2024, Fri 18 Apr 2025 (Good Friday);
* La Réunion (CGSS 974) also: Fri 20 Dec 2024 (abolition of slavery);
* Guadeloupe (CGSS 971) also: Tue 27 May 2025 (abolition of slavery).

Second method: on the bundled sample (3,000 dossiers, seven calendars), every
working-day duration equals a plain-Python day-by-day count with
``holidays.France(subdiv=...)``, the office mapped to its subdivision by a
table written here.
"""

from __future__ import annotations

import warnings
from datetime import date, timedelta

import holidays
import numpy as np
import pandas as pd
import pytest

import vitale_analysis as va
from vitale_analysis import CARTE_VITALE, ProcessModel
from vitale_analysis.chartdata import milestone_times
from vitale_analysis.flow import waiting_on
from vitale_analysis.timeutil import WorkingCalendars, elapsed_days

PHASES = list(CARTE_VITALE.phase_keys)
COLUMNS = ["case_id", "event", "timestamp", "office"]


def quiet_load(rows, process=CARTE_VITALE):
    frame = pd.DataFrame(rows, columns=COLUMNS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        return va.validate(va.read_caselog(frame), process)


def dossier(case, office, days):
    """One dossier reaching the first milestones on these days, in order."""
    return [(case, event, f"{day} 09:00", office) for event, day in zip(CARTE_VITALE.milestones, days)]


# Reaches rights opening's start on Tue 22 April 2025 and is still there on 30 April.
#   registration Mon 23 Dec 2024 → Mon 30 Dec: 23, 24, 26, 27 = 4 (Moselle: 23, 24, 27 = 3)
#   ssn Mon 30 Dec → Mon 14 Apr 2025: 15 weeks = 75 weekdays, less 1 Jan = 74 (both)
#   dossier Mon 14 Apr → Tue 22 Apr: 14–18 = 5, 21 is Easter Monday (Moselle: less Good Friday = 4)
#   rights, open, Tue 22 Apr → as_of 30 Apr (end of day): 22–25, 28–30 = 7 (both)
ALSACE_DAYS = ["2024-12-23", "2024-12-30", "2025-04-14", "2025-04-22"]
ALSACE_AS_OF = "2025-04-30"


def test_a_moselle_dossier_counts_26_december_and_good_friday_off():
    log = quiet_load(dossier("MOSELLE", "CPAM 57", ALSACE_DAYS) + dossier("HERAULT", "CPAM 34", ALSACE_DAYS))
    cases = va.case_table(log, as_of=ALSACE_AS_OF, days="working").to_frame().set_index("case_id")
    by_phase = ["registration_days", "ssn_days", "dossier_days", "rights_days"]
    assert cases.loc["HERAULT", by_phase].tolist() == [4.0, 74.0, 5.0, 7.0]
    assert cases.loc["MOSELLE", by_phase].tolist() == [3.0, 74.0, 4.0, 7.0]
    assert cases.loc["MOSELLE", "days_in_phase"] == cases.loc["HERAULT", "days_in_phase"] == 7.0
    # The long table says the same.
    durations = va.phase_durations(log, as_of=ALSACE_AS_OF, days="working")
    total = durations.groupby("case_id")["days"].sum()
    assert total["HERAULT"] - total["MOSELLE"] == 2.0
    # Calendar days do not change with the office.
    calendar = va.case_table(log, as_of=ALSACE_AS_OF).to_frame().set_index("case_id")
    assert calendar.loc["MOSELLE", by_phase].tolist() == calendar.loc["HERAULT", by_phase].tolist() == [
        7.0, 105.0, 8.0, 8.625]


@pytest.mark.parametrize("office", ["CPAM 67", "CPAM 68", "CPAM du Bas-Rhin", "CPAM de la Moselle (57)",
                                    "CPAM Alsace-Moselle"])
def test_every_alsace_moselle_office_has_the_same_holidays(office):
    log = quiet_load(dossier("X", office, ALSACE_DAYS))
    cases = va.case_table(log, as_of=ALSACE_AS_OF, days="working")
    assert cases["registration_days"].tolist() == [3.0]
    assert cases["dossier_days"].tolist() == [4.0]


def test_a_reunion_dossier_counts_20_december_off():
    # Registration Thu 19 Dec 2024 → Mon 23 Dec: 19, 20 = 2; in La Réunion 20 December is a holiday: 1.
    days = ["2024-12-19", "2024-12-23"]
    log = quiet_load(dossier("REUNION", "CGSS 974", days) + dossier("PARIS", "CPAM 75", days)
                     + dossier("REUNION_BY_NAME", "CGSS La Réunion", days))
    cases = va.case_table(log, days="working").to_frame().set_index("case_id")
    assert cases["registration_days"].to_dict() == {"PARIS": 2.0, "REUNION": 1.0, "REUNION_BY_NAME": 1.0}


def test_a_guadeloupe_dossier_counts_27_may_off():
    # Registration Mon 26 May 2025 → Mon 2 June: 26, 27, 28, 30 = 4 (29 is Ascension); Guadeloupe: 3.
    days = ["2025-05-26", "2025-06-02"]
    log = quiet_load(dossier("GUADELOUPE", "CGSS 971", days) + dossier("LYON", "CPAM 69", days))
    cases = va.case_table(log, days="working").to_frame().set_index("case_id")
    assert cases["registration_days"].to_dict() == {"GUADELOUPE": 3.0, "LYON": 4.0}


@pytest.mark.parametrize("office", ["CPAM 5700", "CPAM Meurthe-et-Moselle", "France Services Metz", None])
def test_an_office_no_rule_matches_or_no_office_counts_metropolitan_holidays(office):
    log = quiet_load(dossier("X", office, ALSACE_DAYS))
    cases = va.case_table(log, as_of=ALSACE_AS_OF, days="working")
    assert [cases[f"{p}_days"].iloc[0] for p in PHASES[:4]] == [4.0, 74.0, 5.0, 7.0]


def test_a_log_without_an_office_column_counts_metropolitan_holidays():
    rows = [row[:3] for row in dossier("X", None, ALSACE_DAYS)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        log = va.validate(va.read_caselog(pd.DataFrame(rows, columns=COLUMNS[:3])))
    cases = va.case_table(log, as_of=ALSACE_AS_OF, days="working")
    assert [cases[f"{p}_days"].iloc[0] for p in PHASES[:4]] == [4.0, 74.0, 5.0, 7.0]


def test_a_model_without_a_holidays_table_counts_metropolitan_holidays_everywhere():
    spec = {"milestones": list(CARTE_VITALE.milestones), "phases": PHASES}
    model = ProcessModel.from_dict(spec)
    assert model.holidays is None
    log = quiet_load(dossier("MOSELLE", "CPAM 57", ALSACE_DAYS) + dossier("REUNION", "CGSS 974", ALSACE_DAYS),
                     process=model)
    cases = va.case_table(log, as_of=ALSACE_AS_OF, days="working").to_frame().set_index("case_id")
    for case in ("MOSELLE", "REUNION"):
        assert cases.loc[case, [f"{p}_days" for p in PHASES[:4]]].tolist() == [4.0, 74.0, 5.0, 7.0]


def test_the_analyses_that_count_days_use_the_office_calendar():
    # Each dossier: registration Mon 23 Dec 2024 → Mon 30 Dec (a Moselle office: 3 working days, else 4),
    # then open in ssn; as_of Fri 3 Jan 2025 (end of day): ssn 30, 31 Dec, 2, 3 Jan = 4 in both.
    days = ["2024-12-23", "2024-12-30"]
    log = quiet_load(dossier("MOSELLE", "CPAM 57", days) + dossier("HERAULT", "CPAM 34", days))
    cases = va.case_table(log, as_of="2025-01-03", days="working")

    waits = waiting_on(cases).set_index("case_id")  # first event → as_of: 3 + 4 and 4 + 4
    assert waits["total_days"].to_dict() == {"HERAULT": 8.0, "MOSELLE": 7.0}

    reached = milestone_times(cases, "registration_accepted").set_index("case_id")
    assert reached["days"].to_dict() == {"HERAULT": 4.0, "MOSELLE": 3.0}

    # The stall worklist (every open dossier past 0 days): last event Mon 30 Dec → as_of: 4 in both.
    work = va.stalled(cases, thresholds={p: 0 for p in PHASES}).set_index("case_id")
    assert work["days_since_last_event"].to_dict() == {"HERAULT": 4.0, "MOSELLE": 4.0}
    # As of Mon 30 Dec (end of day), the last event Mon 23 Dec: 23, 24, 26, 27, 30 = 5 (Moselle: 4).
    first_only = quiet_load(dossier("MOSELLE", "CPAM 57", days[:1]) + dossier("HERAULT", "CPAM 34", days[:1]))
    work = va.stalled(first_only, as_of="2024-12-30", days="working",
                      thresholds={p: 0 for p in PHASES}).set_index("case_id")
    assert work["days_since_last_event"].to_dict() == {"HERAULT": 5.0, "MOSELLE": 4.0}


def test_conformance_and_triggers_count_the_office_calendar():
    # The dossier is submitted Mon 23 Dec 2024, its permanent number comes Mon 30 Dec:
    # an order violation 4 working days apart (Moselle: 3). A trigger raised on Mon 23 Dec
    # waits for the next milestone on Mon 30 Dec: 4 (Moselle: 3).
    rows = []
    for case, office in (("MOSELLE", "CPAM 57"), ("HERAULT", "CPAM 34")):
        rows += [(case, "registration_submitted", "2024-12-16 09:00", office),
                 (case, "registration_accepted", "2024-12-17 09:00", office),
                 (case, "dossier_submitted", "2024-12-23 09:00", office),
                 (case, "nir_permanent", "2024-12-30 09:00", office)]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["trigger"] = np.where(frame["event"] == "dossier_submitted", "missing_translation", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", va.DataQualityWarning)
        log = va.validate(va.read_caselog(frame))
    violations = va.conformance(log, days="working")
    order = violations[violations["kind"] == "milestone_order"].set_index("case_id")
    assert order["days_apart"].to_dict() == {"HERAULT": 4.0, "MOSELLE": 3.0}
    raised = va.trigger_events(log, days="working").set_index("case_id")
    assert raised["days_to_next_milestone"].to_dict() == {"HERAULT": 4.0, "MOSELLE": 3.0}


# ============================================================================ the sample, against a loop
#: Office → subdivision of holidays.France, written out for the bundled sample's offices.
SAMPLE_SUBDIVISIONS = {"CPAM 67": "6AE", "CGSS 971": "971", "CGSS 972": "972", "CGSS 973": "973",
                       "CGSS 974": "974", "CSS 976": "976"}


def reference_working_days(start: date, end: date, subdivision: str | None) -> int:
    """Weekdays from ``start`` up to, not including, ``end`` that are not public holidays there."""
    public = holidays.France(subdiv=subdivision, years=range(start.year, end.year + 1))
    count, day = 0, start
    while day < end:
        count += day.weekday() < 5 and day not in public
        day += timedelta(days=1)
    return count


def test_a_mixed_caseload_matches_a_day_by_day_count(sample_log):
    as_of = "2025-06-30"
    end_of_as_of = date(2025, 7, 1)
    calendar = va.case_table(sample_log, as_of=as_of).to_frame()
    working = va.case_table(sample_log, as_of=as_of, days="working").to_frame()
    assert set(calendar["office"].dropna()) >= set(SAMPLE_SUBDIVISIONS)  # seven calendars in use
    milestones = CARTE_VITALE.milestones
    checked = 0
    for row, (_, case) in enumerate(calendar.iterrows()):
        subdivision = SAMPLE_SUBDIVISIONS.get(case["office"])
        for j, phase in enumerate(PHASES):
            state = case[f"{phase}_state"]
            if state not in ("finished", "open", "closed"):
                assert np.isnan(working.at[row, f"{phase}_days"])
                continue
            start = case[f"{milestones[j]}_at"]
            if pd.isna(start):  # (a dossier without its first milestone starts at its first event)
                start = case["started_at"]
            end = {"finished": case[f"{milestones[j + 1]}_at"], "closed": case["closed_at"]}.get(state)
            end_day = end_of_as_of if end is None else end.date()
            expected = reference_working_days(start.date(), end_day, subdivision)
            assert working.at[row, f"{phase}_days"] == expected, (case["case_id"], phase, case["office"])
            checked += 1
    assert checked > 10_000


def test_grouped_counts_equal_one_calendar_at_a_time():
    rng = np.random.default_rng(7)
    n = 1_000
    start = np.datetime64("2023-01-01", "ns") + rng.integers(0, 3 * 365, n).astype("timedelta64[D]")
    end = start + rng.integers(0, 200, n).astype("timedelta64[D]")
    start_ns, end_ns = start.astype(np.int64), end.astype(np.int64)
    start_ns[::50] = np.iinfo(np.int64).min  # missing times stay missing
    subdivisions = ("", "57", "971", "974")
    codes = rng.integers(0, len(subdivisions), n).astype(np.int8)
    mixed = elapsed_days(start_ns, end_ns, days="working", calendars=WorkingCalendars("FR", subdivisions, codes))
    for code, subdivision in enumerate(subdivisions):
        alone = elapsed_days(start_ns, end_ns, days="working",
                             calendars=WorkingCalendars("FR", (subdivision,), np.zeros(n, dtype=np.int8)))
        np.testing.assert_array_equal(mixed[codes == code], alone[codes == code])
    assert np.isnan(mixed[::50]).all()
    # One calendar, the metropolitan one: the same as no calendars at all.
    metropolitan = WorkingCalendars("FR", ("",), np.zeros(n, dtype=np.int8))
    np.testing.assert_array_equal(elapsed_days(start_ns, end_ns, days="working", calendars=metropolitan),
                                  elapsed_days(start_ns, end_ns, days="working"))


# ============================================================================ the model file
def model_with(holidays_table, tmp_path):
    text = (
        'milestones = ["a", "b"]\nphases = ["p"]\n\n[holidays]\n'
        + "".join(f"{key} = {value}\n" for key, value in holidays_table.items() if key != "offices")
        + "\n[holidays.offices]\n"
        + "".join(f'"{office}" = "{subdivision}"\n' for office, subdivision in holidays_table["offices"].items())
    )
    path = tmp_path / "model.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_model_file_reads_rules_and_stores_an_alias_as_its_code(tmp_path):
    path = model_with({"country": '"FR"', "default": '""', "offices": {"CPAM 57": "Moselle", "Tahiti": ""}},
                      tmp_path)
    rules = ProcessModel.from_toml(path).holidays
    assert rules.country == "FR" and rules.default == ""
    assert rules.offices == (("CPAM 57", "57"), ("Tahiti", ""))
    assert rules.subdivision_of("cpam 57") == "57"
    assert rules.subdivision_of("CPAM 34") == ""


def test_an_unknown_subdivision_names_the_office_and_the_valid_codes(tmp_path):
    path = model_with({"offices": {"CGSS Guadeloupe": "971", "CPAM Tahiti": "987", "CPAM 68": "68"}}, tmp_path)
    with pytest.raises(va.CaseLogError) as caught:
        ProcessModel.from_toml(path)
    message = str(caught.value)
    assert str(path) in message
    assert "'CPAM Tahiti'" in message and "'987'" in message
    assert "'CPAM 68'" in message and "'68'" in message  # every bad one at once
    assert "CGSS Guadeloupe" not in message
    for code in ("57", "6AE", "971", "974", "976"):
        assert f"'{code}'" in message


def test_an_unknown_default_or_country_is_an_error():
    base = {"milestones": ["a", "b"], "phases": ["p"]}
    with pytest.raises(va.CaseLogError, match=r"holidays.default = 'Lorraine'.*'6AE'"):
        ProcessModel.from_dict({**base, "holidays": {"default": "Lorraine"}})
    with pytest.raises(va.CaseLogError, match=r"country='XX' is not a country code"):
        ProcessModel.from_dict({**base, "holidays": {"country": "XX"}})
    with pytest.raises(va.CaseLogError, match=r"unknown setting\(s\) \['office'\] in \[holidays\]"):
        ProcessModel.from_dict({**base, "holidays": {"office": {"CPAM 57": "57"}}})


def test_the_bundled_model_maps_the_funds_of_the_domain_notes():
    rules = CARTE_VITALE.holidays
    expected = {"CPAM 34": "", "CPAM 75": "", "CPAM 57": "57", "CPAM 67": "6AE", "CPAM 68": "6AE",
                "CGSS 971": "971", "CGSS 972": "972", "CGSS 973": "973", "CGSS 974": "974", "CSS 976": "976",
                "CGSS Martinique": "972", "CGSS de la Guyane": "973", "CSS Mayotte": "976"}
    assert {office: rules.subdivision_of(office) for office in expected} == expected
