"""A seeded simulator of Carte Vitale case logs, for the bundled sample and tests.

:func:`simulate` draws ``n_cases`` dossiers of self-employed people through the
Carte Vitale route and returns their events in the canonical long format (one
row per event, columns ``case_id, event, timestamp, trigger, office, channel,
route, born_abroad, advisor``). Every number it uses is a field of
:class:`SimulationParams`, and each field says whether it comes from a public
source (``../shared/DOMAIN.md``: ameli, service-public, INSEE) or is an
assumption of the simulator. Nobody publishes a national timeline: **the
durations below are assumptions**, good enough to exercise the analysis, not
facts about the funds.

How a dossier is drawn
----------------------
Each random quantity is one NumPy array over all dossiers (no Python loop over
dossiers or events). A dossier walks the milestones in order; each phase is the
office's base time plus one *complement loop* per delay trigger it hits
(``complement_requested`` carrying the trigger, then ``complement_sent``); a
no-response stall is followed by ``followup_message`` (carrying ``no_response``),
``followup_call`` (3646), sometimes ``complaint_filed`` and ``mediator_referral``.
Some people born abroad send the rights dossier on their provisional NIA, before
``nir_permanent`` (an order violation, trigger ``nia_not_permanent``), and wait
longer for it. Salaried people who tried to self-file are usually closed.
Some dossiers are abandoned (``case_closed``). With
``SimulationParams.delay_drift_per_year`` the fund's own waits (permanent
number, rights opening, card delivery) grow, or shrink, over time. Events after ``as_of`` are not
emitted, so the log holds a realistic share of open dossiers.

Time runs on a working-time clock: only working days (Monday to Friday by
default, never a Sunday nor a French public holiday from the ``holidays``
package) and working hours (09:00-18:00 by default), to the minute. Durations
are given in calendar days and converted with the calendar's own ratio of
working days to calendar days, so that measured calendar durations stay close
to the stated medians.

Finally the simulator plants the data problems a real log has, at the rates in
the parameters: exact duplicate rows and same-time ties (two different events
of one dossier at the same minute), so that validation has something to find.

Examples
--------
>>> from vitale_analysis.simulate import simulate
>>> events = simulate(50, seed=1, as_of="2025-06-30")
>>> list(events.columns)
['case_id', 'event', 'timestamp', 'trigger', 'office', 'channel', 'route', 'born_abroad', 'advisor']
>>> events["case_id"].iloc[0], events["event"].iloc[0]
('D000001', 'registration_submitted')
>>> bool(events["timestamp"].max() < pd.Timestamp("2025-07-01"))  # as_of: end of 30 June
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
import pyarrow as pa

from .errors import CaseLogError
from .process import CARTE_VITALE, ProcessModel
from .timeutil import AsOf, french_holidays

__all__ = ["SIMULATED_COLUMNS", "Delay", "SimulationParams", "simulate", "write_events"]

#: Columns of the event log :func:`simulate` returns, in order (the canonical
#: columns plus the case attributes repeated on each row).
SIMULATED_COLUMNS = (
    "case_id", "event", "timestamp", "trigger", "office", "channel", "route",
    "born_abroad", "advisor",
)

#: Timestamp format of :func:`write_events` CSV output.
CSV_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"

CHANNELS = ("ameli", "postal")
ROUTES = ("self_employed", "salaried")
# Events are ordered on a clock 64 times finer than a minute before being
# rounded to the minute; events closer than that keep the order they were added.
_SUBMINUTE = 64

# Triggers raised on the rights-opening dossier, in the order the office
# detects them (a dossier sent to the wrong fund is forwarded before anyone
# reads it; identity and documents are checked next). The postal channel
# multiplies the probability of the paperwork ones.
_RIGHTS_TRIGGERS = (
    "wrong_office", "identity_inconsistency", "missing_translation",
    "address_proof_expired", "unreadable_scan", "rib_mismatch",
)
_PAPERWORK_TRIGGERS = (
    "identity_inconsistency", "missing_translation", "address_proof_expired",
    "unreadable_scan", "rib_mismatch",
)
# Triggers whose probability is set in SimulationParams.trigger_probability;
# salaried_route follows from the route instead.
_PROBABILITY_TRIGGERS = (
    "registration_missing", "birth_certificate_format", "nia_not_permanent",
    *_RIGHTS_TRIGGERS, "no_response", "activation_failed",
)
# Triggers answered by the applicant in a complement loop (reply delay needed).
_REPLY_TRIGGERS = (
    "registration_missing", "salaried_route", "birth_certificate_format",
    "nia_not_permanent", *_RIGHTS_TRIGGERS,
)


@dataclass(frozen=True)
class Delay:
    """A positive duration in calendar days, drawn from a log-normal distribution.

    Parameters
    ----------
    median_days : float
        Median of the duration, in calendar days.
    sigma : float
        Standard deviation of the log of the duration (0 gives a fixed duration;
        0.5 puts the 90th percentile at about 1.9 times the median).
    """

    median_days: float
    sigma: float

    def __post_init__(self) -> None:
        if not (self.median_days > 0 and math.isfinite(self.median_days)):
            raise CaseLogError(f"Delay median_days must be a positive number of days, got {self.median_days!r}.")
        if not (self.sigma >= 0 and math.isfinite(self.sigma)):
            raise CaseLogError(f"Delay sigma must be zero or positive, got {self.sigma!r}.")


def _frozen(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class SimulationParams:
    """Every number the simulator uses, each an assumption or a sourced fact.

    Durations are :class:`Delay` objects in calendar days; probabilities are
    shares of the dossiers named in the comment ("eligible" dossiers). Change a
    field with :func:`dataclasses.replace`, e.g.
    ``replace(SimulationParams(), abandon_share=0.0)``.

    Sources: "DOMAIN" is ``shared/DOMAIN.md`` (ameli, service-public, INSEE,
    applicant forums, marked "likely" there when only secondary sources say it);
    "assumption" means nobody publishes the number and the simulator made it up
    to look plausible.
    """

    # ----------------------------------------------------------- who and where
    #: Offices (funds) and their relative weight in the caseload. Names follow
    #: DOMAIN (``CPAM <department>``, ``CGSS 971``-``974``, ``CSS 976``). Weight
    #: is the department population in millions (INSEE, rounded): assumption
    #: that a caseload is spread like the population. Only the 20 largest
    #: departments plus the overseas funds are listed.
    offices: tuple[tuple[str, float], ...] = (
        ("CPAM 59", 2.6), ("CPAM 75", 2.1), ("CPAM 13", 2.0), ("CPAM 69", 1.9),
        ("CPAM 93", 1.7), ("CPAM 33", 1.7), ("CPAM 92", 1.6), ("CPAM 62", 1.5),
        ("CPAM 78", 1.4), ("CPAM 77", 1.4), ("CPAM 94", 1.4), ("CPAM 31", 1.4),
        ("CPAM 44", 1.4), ("CPAM 91", 1.3), ("CPAM 95", 1.3), ("CPAM 38", 1.3),
        ("CPAM 34", 1.2), ("CPAM 67", 1.1), ("CPAM 06", 1.1), ("CPAM 35", 1.1),
        ("CGSS 971", 0.4), ("CGSS 972", 0.35), ("CGSS 973", 0.3), ("CGSS 974", 0.9),
        ("CSS 976", 0.3),
    )
    #: Spread (log-sd) of a per-office speed factor multiplying the office's
    #: own processing times in the rights phase. Assumption: funds differ, by
    #: about 25 % either way.
    office_speed_sigma: float = 0.25
    #: Drift of the fund's waiting times over time, per year (log scale): the
    #: waits the fund controls — the NIA letter (``nia_letter``), the permanent
    #: number (``nir_permanent_wait``, ``nir_existing``), the rights-phase
    #: processing times (``rights_ameli``, ``rights_postal``, ``rights_review``,
    #: ``out_of_order_penalty``, ``rights_after_escalation``) and card delivery
    #: (``card_delivery_ameli``, ``card_delivery_postal``) — are multiplied by
    #: ``exp(delay_drift_per_year * years)``, ``years`` counted from ``start``
    #: to the moment the dossier begins that wait. 0.4 makes them about 49 %
    #: longer a year later; a negative value, shorter (a backlog clearing).
    #: The applicant's replies and the advisor's own steps do not drift.
    #: Assumption (default 0: no drift, the log of earlier versions).
    delay_drift_per_year: float = 0.0
    #: Share of offices that use form S1106 (``s1106_completed`` event). DOMAIN
    #: says "where the office uses it"; the share is an assumption.
    s1106_office_share: float = 0.7
    #: Number of advisors (``A01``, ``A02``, …), dossiers spread evenly. Assumption.
    n_advisors: int = 6
    #: Share of dossiers for people born abroad. Assumption: advisors' clients
    #: include many expats.
    born_abroad_share: float = 0.35
    #: Share of people born abroad who first get a provisional NIA (the others
    #: already hold a permanent number from an earlier stay). DOMAIN for the NIA
    #: route; the share is an assumption.
    nia_share_born_abroad: float = 0.8
    #: Share of dossiers sent by post, for people born in France. Assumption.
    postal_share: float = 0.2
    #: Share of dossiers sent by post, for people born abroad (no compte ameli
    #: while on an NIA, DOMAIN). Assumption.
    postal_share_born_abroad: float = 0.4
    #: Share of dossiers of salaried people who tried to self-file (route
    #: ``salaried``, trigger ``salaried_route``). DOMAIN says they follow an
    #: employer-led route; the share is an assumption.
    salaried_share: float = 0.02
    #: Share of those salaried dossiers that the advisor closes once the fund
    #: answers (the rest carry on). Assumption.
    salaried_closed_share: float = 0.85
    #: Share of the other dossiers abandoned (moved away, gave up) at a uniform
    #: random point of their life: ``case_closed``. Assumption.
    abandon_share: float = 0.05

    # --------------------------------------------------------------- triggers
    #: Probability that an eligible dossier hits each delay trigger. Order
    #: follows DOMAIN's ranking: birth-certificate problems (format, missing
    #: translation) ≫ incomplete file (unreadable scan, RIB, proof of address)
    #: > no reply > stuck on an NIA ≈ identity refused > residence proof >
    #: change of fund > steps out of order. The numbers are assumptions.
    #: Eligible dossiers: ``birth_certificate_format`` and ``nia_not_permanent``
    #: — NIA holders (``nia_not_permanent`` only by post: an NIA gives no compte
    #: ameli); ``missing_translation`` — born abroad; the rest — every dossier
    #: on the self-employed route that reaches the phase. The paperwork triggers
    #: (identity, translation, address, scan, RIB) are multiplied by
    #: ``postal_complement_factor`` for postal dossiers. A trigger left out of
    #: a mapping you pass never happens.
    trigger_probability: Mapping[str, float] = field(default_factory=lambda: _frozen({
        "registration_missing": 0.015,
        "birth_certificate_format": 0.40,
        "nia_not_permanent": 0.35,
        "wrong_office": 0.02,
        "identity_inconsistency": 0.04,
        "missing_translation": 0.30,
        "address_proof_expired": 0.03,
        "unreadable_scan": 0.06,
        "rib_mismatch": 0.03,
        "no_response": 0.08,
        "activation_failed": 0.04,
    }))
    #: Postal dossiers get this many times more paperwork complements (paper
    #: copies, no upload check). Assumption.
    postal_complement_factor: float = 1.5
    #: Time the applicant takes to answer a complement request, per trigger.
    #: Assumption: documents from abroad (civil-status copy, sworn translation)
    #: take weeks, a new scan or RIB a few days.
    reply_delay: Mapping[str, Delay] = field(default_factory=lambda: _frozen({
        "registration_missing": Delay(10, 0.6),
        "salaried_route": Delay(10, 0.6),
        "birth_certificate_format": Delay(35, 0.5),
        "nia_not_permanent": Delay(7, 0.5),
        "wrong_office": Delay(14, 0.5),
        "identity_inconsistency": Delay(10, 0.6),
        "missing_translation": Delay(21, 0.5),
        "address_proof_expired": Delay(5, 0.6),
        "unreadable_scan": Delay(3, 0.6),
        "rib_mismatch": Delay(5, 0.6),
    }))
    #: Postal replies take this many times longer (mail both ways). Assumption.
    postal_reply_factor: float = 1.3

    # ---------------------------------------------------- 1 Registration
    #: Guichet unique: declaration submitted to accepted/transmitted. Assumption.
    registration: Delay = Delay(10, 0.6)
    #: Time until the guichet unique rejects a declaration
    #: (``registration_missing``) or the fund answers a salaried person
    #: (``salaried_route``). Assumption.
    registration_review: Delay = Delay(8, 0.5)
    #: From the fund's answer to ``case_closed`` for a salaried person. Assumption.
    salaried_close: Delay = Delay(5, 0.6)

    # ---------------------------------------------- 2 Social security number
    #: Registration accepted to the NIA letter (``nia_assigned``). DOMAIN says
    #: the NIA comes by letter; the delay is an assumption.
    nia_letter: Delay = Delay(21, 0.5)
    #: NIA to permanent number (``nir_permanent``), without a birth-certificate
    #: problem. DOMAIN: "can take up to about 9 months"; median 80 days and
    #: log-sd 0.45 put the 99th percentile near 8 months (assumption).
    nir_permanent_wait: Delay = Delay(80, 0.45)
    #: Registration accepted to the permanent number being recorded, for people
    #: who already hold one (born in France or an earlier stay). Assumption.
    nir_existing: Delay = Delay(3, 0.8)
    #: Time until the fund rejects the civil-status document
    #: (``birth_certificate_format``), counted from the NIA letter. Assumption.
    birth_certificate_review: Delay = Delay(30, 0.5)

    # ------------------------------------------------- 3 Dossier preparation
    #: Permanent number to ``documents_collected``. Assumption.
    documents: Delay = Delay(10, 0.6)
    #: Documents collected to ``s1106_completed`` (offices that use S1106). Assumption.
    s1106: Delay = Delay(3, 0.7)
    #: Last preparation step to ``dossier_submitted``. Assumption.
    submit: Delay = Delay(3, 0.7)
    #: NIA letter to a dossier sent on the NIA (out of order). Assumption.
    early_submit: Delay = Delay(20, 0.5)
    #: Submission to ``submission_confirmed`` in Démarches (ameli). Assumption.
    confirm_ameli: Delay = Delay(1, 0.5)
    #: Share of ameli submissions whose confirmation the advisor logs. Assumption.
    confirm_ameli_share: float = 0.95
    #: Submission to an acknowledgement of a postal dossier. Assumption.
    confirm_postal: Delay = Delay(14, 0.5)
    #: Share of postal submissions that get a logged acknowledgement. Assumption.
    confirm_postal_share: float = 0.5

    # ---------------------------------------------------- 4 Rights opening
    #: Complete dossier to ``rights_opened``, ameli. Assumption.
    rights_ameli: Delay = Delay(20, 0.5)
    #: Complete dossier to ``rights_opened``, post: slower (mail, manual
    #: scanning). Assumption.
    rights_postal: Delay = Delay(35, 0.5)
    #: Time until the office asks for a complement in the rights phase
    #: (scaled by the office speed factor). Assumption.
    rights_review: Delay = Delay(15, 0.5)
    #: Extra wait of a dossier sent on an NIA once it is resubmitted with the
    #: permanent number (back of the queue): the price of doing steps out of
    #: order. Assumption.
    out_of_order_penalty: Delay = Delay(30, 0.5)
    #: Silence before the advisor sends ``followup_message`` on a no-response
    #: stall. DOMAIN: "no reply for weeks or months"; the delay is an assumption.
    followup_after: Delay = Delay(40, 0.3)
    #: Message to ``followup_call`` (3646) when the message gets no answer. Assumption.
    followup_call_after: Delay = Delay(14, 0.4)
    #: Share of stalled dossiers that go on to ``complaint_filed``. Assumption.
    complaint_share: float = 0.35
    #: Call to ``complaint_filed`` ("Réclamation" by mail). Assumption.
    complaint_after: Delay = Delay(14, 0.4)
    #: Share of complaints escalated to the médiateur. Assumption.
    mediator_share: float = 0.25
    #: Complaint to ``mediator_referral``. Assumption.
    mediator_after: Delay = Delay(30, 0.4)
    #: Last escalation step to ``rights_opened``. Assumption.
    rights_after_escalation: Delay = Delay(10, 0.6)

    # ----------------------------------------------------- 5 Card issuance
    #: Rights opened to ``card_requested`` (photo and ID sent). Assumption.
    card_request: Delay = Delay(5, 0.8)
    #: Card ordered online to ``card_received``. DOMAIN: likely ~2 weeks.
    card_delivery_ameli: Delay = Delay(14, 0.35)
    #: Card ordered by post to ``card_received``. DOMAIN: likely ~3 weeks.
    card_delivery_postal: Delay = Delay(21, 0.35)
    #: Share of first card requests refused (photo, ID) and sent again
    #: (a second ``card_requested``). DOMAIN says applicants report it; the
    #: share is an assumption.
    card_rejection_share: float = 0.10
    #: First request to the second one after a refusal. Assumption.
    card_rerequest: Delay = Delay(12, 0.5)

    # ---------------------------------------------------- 6 Card activation
    #: Card received to ``card_activated``. Assumption.
    activation: Delay = Delay(5, 0.8)
    #: Card received to ``activation_failed`` (trigger ``activation_failed``). Assumption.
    activation_attempt: Delay = Delay(3, 0.8)
    #: Failed activation to ``card_updated`` by the office. Assumption.
    activation_fix: Delay = Delay(10, 0.5)
    #: Card updated to ``card_activated``. Assumption.
    activation_retry: Delay = Delay(2, 0.8)

    # ------------------------------------------------ 7 First reimbursement
    #: Card activated to ``first_reimbursement``: first visit plus about a week
    #: with the card (DOMAIN); the whole delay is an assumption.
    reimbursement: Delay = Delay(21, 0.7)
    #: Share of complete dossiers where the card is later lost (``card_lost``,
    #: then a new ``card_requested``). Assumption.
    card_lost_share: float = 0.01
    #: First reimbursement to ``card_lost``. Assumption.
    card_lost_after: Delay = Delay(90, 0.8)
    #: Card lost to the new ``card_requested``. Assumption.
    card_rerequest_after_loss: Delay = Delay(3, 0.6)

    # ------------------------------------------------------- working time
    #: Days of the week when events happen (0 = Monday). French public
    #: holidays (``holidays.France``, metropolitan list, for every office, the
    #: CGSS and Alsace-Moselle ones too: one clock for the whole caseload) are
    #: excluded too. Assumption: funds and advisors work Monday to Friday.
    working_weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    #: Working hours [start, end) in whole hours; events fall inside. Assumption.
    working_hours: tuple[int, int] = (9, 18)

    # ------------------------------------------------ planted data problems
    #: Share of events written twice (exact duplicate rows), for validation to
    #: find. Planted on purpose.
    duplicate_row_share: float = 0.005
    #: Share of events moved to the exact minute of the dossier's previous,
    #: different event (a same-time tie). Planted on purpose.
    same_time_tie_share: float = 0.003

    def __post_init__(self) -> None:
        # Read-only mappings, so that a params object cannot change after use.
        object.__setattr__(self, "trigger_probability", _frozen(self.trigger_probability))
        object.__setattr__(self, "reply_delay", _frozen(self.reply_delay))
        problems = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.endswith("_share") and not (0.0 <= value <= 1.0):
                problems.append(f"{f.name}={value!r} must be a share between 0 and 1")
        for key, value in self.trigger_probability.items():
            if not (0.0 <= value <= 1.0):
                problems.append(f"trigger_probability[{key!r}]={value!r} must be between 0 and 1")
        unknown = sorted(set(self.trigger_probability) - set(_PROBABILITY_TRIGGERS))
        if unknown:
            problems.append(
                f"trigger_probability has unknown trigger(s) {unknown}; the simulator "
                f"places {sorted(_PROBABILITY_TRIGGERS)} (salaried_route follows salaried_share)"
            )
        missing_reply = sorted(set(_REPLY_TRIGGERS) - set(self.reply_delay))
        if missing_reply:
            problems.append(f"reply_delay is missing trigger(s) {missing_reply}")
        not_delays = sorted(
            f.name for f in fields(self) if f.type in ("Delay", Delay) and not isinstance(getattr(self, f.name), Delay)
        ) + sorted(f"reply_delay[{k!r}]" for k, v in self.reply_delay.items() if not isinstance(v, Delay))
        if not_delays:
            problems.append(f"{not_delays} must be Delay(median_days, sigma) values")
        if not self.offices or any(w <= 0 for _, w in self.offices):
            problems.append("offices must be a non-empty tuple of (name, positive weight)")
        if len({name for name, _ in self.offices}) != len(self.offices):
            problems.append("offices lists an office more than once")
        if not isinstance(self.n_advisors, int) or self.n_advisors < 1:
            problems.append(f"n_advisors={self.n_advisors!r} must be at least 1")
        if not self.working_weekdays or not set(self.working_weekdays) <= set(range(7)):
            problems.append(f"working_weekdays={self.working_weekdays!r} must be weekday numbers 0-6")
        start_hour, end_hour = self.working_hours
        if not (0 <= start_hour < end_hour <= 24):
            problems.append(f"working_hours={self.working_hours!r} must be (start, end) with 0 <= start < end <= 24")
        for name in ("postal_complement_factor", "postal_reply_factor"):
            if not getattr(self, name) > 0:
                problems.append(f"{name} must be positive")
        if self.office_speed_sigma < 0:
            problems.append("office_speed_sigma must be zero or positive")
        if not (isinstance(self.delay_drift_per_year, (int, float)) and math.isfinite(self.delay_drift_per_year)):
            problems.append(f"delay_drift_per_year={self.delay_drift_per_year!r} must be a finite number (per year)")
        if problems:
            raise CaseLogError("Invalid SimulationParams: " + "; ".join(problems) + ".")

    @property
    def minutes_per_day(self) -> int:
        """Working minutes in a working day."""
        return (self.working_hours[1] - self.working_hours[0]) * 60


# --------------------------------------------------------------------- calendar
@dataclass(frozen=True)
class _Calendar:
    """The working-time clock between ``start`` and ``as_of``.

    Business minute ``m`` is minute ``m % minutes_per_day`` after the opening
    hour of working day ``m // minutes_per_day``; the mapping is monotone, so
    ordering events on this clock orders them in wall-clock time.
    """

    days: np.ndarray  # datetime64[D], working days from start on
    minutes_per_day: int
    opening_minute: int
    cut: int  # business minutes whose wall time is <= as_of
    days_per_calendar_day: float  # working days per calendar day in the window


def _calendar(start: pd.Timestamp, as_of: pd.Timestamp, params: SimulationParams) -> _Calendar:
    first, last = start.normalize(), as_of.normalize()
    all_days = pd.date_range(first, last, freq="D")
    holiday_days = french_holidays(first.year, last.year)
    dates = all_days.values.astype("datetime64[D]")
    working = np.isin(all_days.day_of_week, params.working_weekdays) & ~np.isin(dates, holiday_days)
    days = dates[working]
    per_day = params.minutes_per_day
    opening = params.working_hours[0] * 60
    before = int(np.searchsorted(days, np.datetime64(last.date(), "D"), side="left"))
    cut = before * per_day
    if before < len(days):  # as_of falls on a working day: count its minutes up to as_of
        minutes_since_opening = (as_of - last) / pd.Timedelta(minutes=1) - opening
        cut += int(np.clip(math.floor(minutes_since_opening) + 1, 0, per_day))
    if cut <= 0:
        raise CaseLogError(
            f"No working time between start={start} and as_of={as_of}; pick a later as_of."
        )
    calendar_days = (as_of - first) / pd.Timedelta(days=1)
    return _Calendar(days, per_day, opening, cut, (cut / per_day) / calendar_days)


# ---------------------------------------------------------------- event builder
class _EventLog:
    """Collects events as (dossier index, time) arrays, one block per event kind.

    Times are float working days since the first working day. Blocks are kept
    in the order they are added; that order breaks exact time ties.
    """

    def __init__(self, n_cases: int, events: tuple[str, ...], triggers: tuple[str, ...], horizon: float):
        self.n_cases = n_cases
        self.horizon = horizon  # events at or after it (after as_of) are not kept
        self.event_code = {name: i for i, name in enumerate(events)}
        self.trigger_code = {name: i for i, name in enumerate(triggers)}
        self.blocks: list[tuple[np.ndarray, np.ndarray, int, int]] = []

    def add(self, event: str, when: np.ndarray, mask: np.ndarray | None = None, trigger: str | None = None) -> None:
        visible = when < self.horizon
        cases = np.flatnonzero(visible if mask is None else visible & mask)
        trigger_code = -1 if trigger is None else self.trigger_code[trigger]
        self.blocks.append((cases, when[cases], self.event_code[event], trigger_code))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Dossier index, time, event code and trigger code (-1: none) of every event, block after block."""
        sizes = [len(b[0]) for b in self.blocks]
        case = np.concatenate([b[0] for b in self.blocks])
        when = np.concatenate([b[1] for b in self.blocks])
        event = np.repeat(np.array([b[2] for b in self.blocks], dtype=np.int16), sizes)
        trigger = np.repeat(np.array([b[3] for b in self.blocks], dtype=np.int16), sizes)
        self.blocks = []
        return case, when, event, trigger


# -------------------------------------------------------------------- simulate
def simulate(
    n_cases: int,
    *,
    seed: int,
    start: str | pd.Timestamp | None = None,
    as_of: str | pd.Timestamp,
    process: ProcessModel = CARTE_VITALE,
    params: SimulationParams | None = None,
) -> pd.DataFrame:
    """Simulate a case log of ``n_cases`` dossiers, in the canonical format.

    Parameters
    ----------
    n_cases : int
        Number of dossiers. Their first events (``registration_submitted``)
        are spread evenly over the working time from ``start`` to ``as_of``;
        case ids (``D000001``, …) follow that order.
    seed : int
        Seed of :func:`numpy.random.default_rng`: the same seed (and the same
        other arguments) gives the identical log.
    start : str or Timestamp, optional
        Earliest day a dossier can start. Defaults to 18 months before ``as_of``.
    as_of : str or Timestamp
        When the log is observed: events after it are not emitted, so dossiers
        still under way are open. A bare date (``"2025-06-30"``) means the end
        of that day, as everywhere in the package.
    process : ProcessModel, default CARTE_VITALE
        Must know every event and trigger the simulator emits (the Carte Vitale
        route: the simulator encodes its steps).
    params : SimulationParams, optional
        Every rate and duration; defaults to ``SimulationParams()``.

    Returns
    -------
    pandas.DataFrame
        One row per event, columns ``case_id, event, timestamp, trigger,
        office, channel, route, born_abroad, advisor``; ``timestamp`` is
        ``datetime64[ns]`` naive local time to the minute; ``trigger`` is
        missing except on the event where a problem was detected. Rows are
        sorted by ``case_id`` then ``timestamp``; the planted duplicate rows
        and same-time ties sit in place.

    Raises
    ------
    CaseLogError
        If ``n_cases`` is not positive, ``start`` is not before ``as_of``, or
        ``process`` lacks an event or trigger the simulator emits.

    Examples
    --------
    >>> events = simulate(200, seed=7, start="2024-01-02", as_of="2025-06-30")
    >>> int(events["case_id"].nunique())
    200
    >>> bool((events["timestamp"].dt.day_of_week < 5).all())
    True
    """
    params = SimulationParams() if params is None else params
    if isinstance(n_cases, bool) or not isinstance(n_cases, (int, np.integer)) or n_cases < 1:
        raise CaseLogError(f"n_cases must be a positive whole number of dossiers, got {n_cases!r}.")
    n = int(n_cases)
    cut = AsOf.parse(as_of)  # the package's one rule: a bare date means the end of that day
    as_of = cut.at
    start = as_of - pd.DateOffset(months=18) if start is None else _timestamp(start, "start")
    if start >= as_of:
        raise CaseLogError(f"start ({start}) must be before as_of ({as_of}).")
    triggers = _check_process(process)
    # A bare date ends at midnight, and that midnight belongs to the next day.
    last_instant = as_of if cut.inclusive else as_of - pd.Timedelta(1, "ns")
    calendar = _calendar(start, last_instant, params)
    rng = np.random.default_rng(seed)
    log = _EventLog(n, process.vocabulary, triggers, horizon=calendar.cut / calendar.minutes_per_day)
    cases = _draw_dossiers(rng, n, calendar, params)
    closed_at = _draw_events(rng, log, cases, calendar, params)
    return _assemble(rng, log, closed_at, cases, calendar, params, process.vocabulary, triggers)


def _timestamp(value, name: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise CaseLogError(f"{name}={value!r} is not a date; write it like '2025-06-30'.") from None
    if stamp is pd.NaT or stamp.tzinfo is not None:
        raise CaseLogError(f"{name}={value!r} must be a naive local date or time, like '2025-06-30'.")
    return stamp


_EMITTED_EVENTS = (
    "registration_submitted", "registration_accepted", "nia_assigned", "nir_permanent",
    "documents_collected", "s1106_completed", "dossier_submitted", "submission_confirmed",
    "complement_requested", "complement_sent", "followup_message", "followup_call",
    "complaint_filed", "mediator_referral", "rights_opened", "card_requested",
    "card_received", "activation_failed", "card_updated", "card_activated",
    "first_reimbursement", "card_lost", "case_closed",
)


def _check_process(process: ProcessModel) -> tuple[str, ...]:
    missing_events = [e for e in _EMITTED_EVENTS if e not in process.vocabulary]
    missing_triggers = [t for t in (*_PROBABILITY_TRIGGERS, "salaried_route") if t not in process.triggers]
    if missing_events or missing_triggers:
        raise CaseLogError(
            f"The simulator follows the Carte Vitale route; process {process.name!r} lacks "
            f"event(s) {missing_events} and trigger(s) {missing_triggers}. "
            "Pass a process model with the same vocabulary (e.g. CARTE_VITALE)."
        )
    return tuple(process.triggers)


@dataclass
class _Dossiers:
    """Per-dossier attributes, as codes (index into the parameter lists)."""

    start: np.ndarray  # float working days
    office: np.ndarray
    office_names: tuple[str, ...]
    office_speed: np.ndarray  # per dossier
    uses_s1106: np.ndarray
    channel: np.ndarray  # 0 ameli, 1 postal
    route: np.ndarray  # 0 self_employed, 1 salaried
    born_abroad: np.ndarray
    advisor: np.ndarray  # 0-based


def _draw_dossiers(rng: np.random.Generator, n: int, calendar: _Calendar, params: SimulationParams) -> _Dossiers:
    names = tuple(name for name, _ in params.offices)
    weights = np.array([w for _, w in params.offices], dtype=float)
    speed_by_office = np.exp(params.office_speed_sigma * rng.standard_normal(len(names)))
    s1106_by_office = rng.random(len(names)) < params.s1106_office_share
    # Case ids follow the order dossiers were opened, as an advisor numbers them.
    start = np.sort(rng.random(n)) * (calendar.cut / calendar.minutes_per_day)
    office = rng.choice(len(names), size=n, p=weights / weights.sum())
    born_abroad = rng.random(n) < params.born_abroad_share
    postal_share = np.where(born_abroad, params.postal_share_born_abroad, params.postal_share)
    channel = (rng.random(n) < postal_share).astype(np.int8)
    route = (rng.random(n) < params.salaried_share).astype(np.int8)
    advisor = rng.integers(0, params.n_advisors, size=n)
    return _Dossiers(
        start=start, office=office, office_names=names, office_speed=speed_by_office[office],
        uses_s1106=s1106_by_office[office], channel=channel, route=route,
        born_abroad=born_abroad, advisor=advisor,
    )


def _draw_events(
    rng: np.random.Generator, log: _EventLog, d: _Dossiers, calendar: _Calendar, params: SimulationParams
) -> np.ndarray:
    """Draw every dossier's timeline into ``log``; see the module docstring.

    Returns the time each dossier is closed (``inf`` for those never closed):
    events after it are dropped when the log is assembled.
    """
    n = log.n_cases
    per_day = calendar.days_per_calendar_day
    p = params.trigger_probability
    postal = d.channel == 1
    salaried = d.route == 1

    def days(delay: Delay, scale: np.ndarray | float = 1.0) -> np.ndarray:
        """A duration per dossier, calendar days converted to working days."""
        drawn = delay.median_days * np.exp(delay.sigma * rng.standard_normal(n))
        return drawn * scale * per_day

    def drift(at: np.ndarray) -> np.ndarray | float:
        """The fund's waits started at ``at`` (working days since start) are this many times longer."""
        if params.delay_drift_per_year == 0:
            return 1.0  # (no arithmetic at all: the log stays byte-identical to the one without drift)
        years = at / per_day / 365.25
        return np.exp(params.delay_drift_per_year * years)

    def hit(probability: np.ndarray | float) -> np.ndarray:
        return rng.random(n) < probability

    def reply(trigger: str) -> np.ndarray:
        return days(params.reply_delay[trigger], np.where(postal, params.postal_reply_factor, 1.0))

    def complement_loop(trigger: str, has: np.ndarray, cursor: np.ndarray, review: Delay, review_scale=1.0) -> np.ndarray:
        """Request (carrying the trigger) then reply; returns the moved cursor."""
        requested = cursor + days(review, review_scale)
        sent = requested + reply(trigger)
        log.add("complement_requested", requested, has, trigger)
        log.add("complement_sent", sent, has)
        return np.where(has, sent, cursor)

    closed_at = np.full(n, np.inf)

    # 1 Registration -------------------------------------------------------
    log.add("registration_submitted", d.start)
    cursor = d.start
    detected = cursor + days(params.registration_review)
    salaried_closed = salaried & hit(params.salaried_closed_share)
    log.add("complement_requested", detected, salaried, "salaried_route")
    closed_at = np.where(salaried_closed, detected + days(params.salaried_close), closed_at)
    sent = detected + reply("salaried_route")
    log.add("complement_sent", sent, salaried & ~salaried_closed)
    cursor = np.where(salaried, sent, cursor)
    cursor = complement_loop("registration_missing", hit(p.get("registration_missing", 0.0)), cursor, params.registration_review)
    registration_accepted = cursor + days(params.registration)
    log.add("registration_accepted", registration_accepted)

    # 2 Social security number ---------------------------------------------
    nia = d.born_abroad & hit(params.nia_share_born_abroad)
    nia_at = registration_accepted + days(params.nia_letter, drift(registration_accepted))
    log.add("nia_assigned", nia_at, nia)
    birth_certificate = nia & hit(p.get("birth_certificate_format", 0.0))
    cursor = complement_loop("birth_certificate_format", birth_certificate, nia_at, params.birth_certificate_review)
    nir_at = np.where(nia, cursor + days(params.nir_permanent_wait, drift(cursor)),
                      registration_accepted + days(params.nir_existing, drift(registration_accepted)))
    log.add("nir_permanent", nir_at)

    # 3 Dossier preparation (out of order: sent on the NIA, by post) -------
    early = nia & postal & hit(p.get("nia_not_permanent", 0.0))
    # Clamp so an early dossier really leaves before the permanent number.
    early_gap = np.minimum(days(params.early_submit), 0.8 * (nir_at - nia_at))
    documents_at = np.where(early, nia_at + 0.5 * early_gap, nir_at + days(params.documents))
    s1106_at = np.where(early, nia_at + 0.75 * early_gap, documents_at + days(params.s1106))
    ready_at = np.where(d.uses_s1106, s1106_at, documents_at)
    submitted_at = np.where(early, nia_at + early_gap, ready_at + days(params.submit))
    log.add("documents_collected", documents_at)
    log.add("s1106_completed", s1106_at, d.uses_s1106)
    log.add("dossier_submitted", submitted_at)
    confirmed_at = submitted_at + np.where(postal, days(params.confirm_postal), days(params.confirm_ameli))
    confirmed = hit(np.where(postal, params.confirm_postal_share, params.confirm_ameli_share))
    log.add("submission_confirmed", confirmed_at, confirmed)

    # 4 Rights opening -----------------------------------------------------
    office_review = d.office_speed
    rejected_at = submitted_at + days(params.rights_review, office_review * drift(submitted_at))
    resent_at = np.maximum(rejected_at, nir_at) + reply("nia_not_permanent")
    log.add("complement_requested", rejected_at, early, "nia_not_permanent")
    log.add("complement_sent", resent_at, early)
    cursor = np.where(early, resent_at + days(params.out_of_order_penalty, drift(resent_at)), submitted_at)
    paperwork_scale = np.where(postal, params.postal_complement_factor, 1.0)
    for trigger in _RIGHTS_TRIGGERS:
        probability = p.get(trigger, 0.0) * (paperwork_scale if trigger in _PAPERWORK_TRIGGERS else 1.0)
        has = hit(np.minimum(probability, 1.0))
        if trigger == "missing_translation":
            has &= d.born_abroad
        cursor = complement_loop(trigger, has, cursor, params.rights_review, office_review * drift(cursor))
    stalled = hit(p.get("no_response", 0.0))
    message_at = cursor + days(params.followup_after)
    call_at = message_at + days(params.followup_call_after)
    complaint = stalled & hit(params.complaint_share)
    complaint_at = call_at + days(params.complaint_after)
    mediator = complaint & hit(params.mediator_share)
    mediator_at = complaint_at + days(params.mediator_after)
    log.add("followup_message", message_at, stalled, "no_response")
    log.add("followup_call", call_at, stalled)
    log.add("complaint_filed", complaint_at, complaint)
    log.add("mediator_referral", mediator_at, mediator)
    last_escalation = np.where(mediator, mediator_at, np.where(complaint, complaint_at, call_at))
    base = np.where(postal, days(params.rights_postal, office_review * drift(cursor)),
                    days(params.rights_ameli, office_review * drift(cursor)))
    rights_at = np.where(stalled, last_escalation + days(params.rights_after_escalation, drift(last_escalation)),
                         cursor + base)
    log.add("rights_opened", rights_at)

    # 5 Card issuance ------------------------------------------------------
    requested_at = rights_at + days(params.card_request)
    refused = hit(params.card_rejection_share)
    rerequested_at = requested_at + days(params.card_rerequest)
    ordered_at = np.where(refused, rerequested_at, requested_at)
    delivery = np.where(postal, days(params.card_delivery_postal, drift(ordered_at)),
                        days(params.card_delivery_ameli, drift(ordered_at)))
    received_at = ordered_at + delivery
    log.add("card_requested", requested_at)
    log.add("card_requested", rerequested_at, refused)
    log.add("card_received", received_at)

    # 6 Card activation ----------------------------------------------------
    failed = hit(p.get("activation_failed", 0.0))
    failed_at = received_at + days(params.activation_attempt)
    updated_at = failed_at + days(params.activation_fix)
    activated_at = np.where(failed, updated_at + days(params.activation_retry), received_at + days(params.activation))
    log.add("activation_failed", failed_at, failed, "activation_failed")
    log.add("card_updated", updated_at, failed)
    log.add("card_activated", activated_at)

    # 7 First reimbursement, and a lost card later for a few ---------------
    reimbursed_at = activated_at + days(params.reimbursement)
    log.add("first_reimbursement", reimbursed_at)
    lost = hit(params.card_lost_share)
    lost_at = reimbursed_at + days(params.card_lost_after)
    log.add("card_lost", lost_at, lost)
    log.add("card_requested", lost_at + days(params.card_rerequest_after_loss), lost)

    # Abandoned dossiers close at a uniform point of the life they would have had.
    abandoned = ~salaried_closed & hit(params.abandon_share)
    fraction = rng.random(n)
    closed_at = np.where(abandoned, d.start + fraction * (reimbursed_at - d.start), closed_at)
    log.add("case_closed", closed_at, abandoned | salaried_closed)
    return closed_at


def _assemble(
    rng: np.random.Generator,
    log: _EventLog,
    closed_at: np.ndarray,
    d: _Dossiers,
    calendar: _Calendar,
    params: SimulationParams,
    events: tuple[str, ...],
    triggers: tuple[str, ...],
) -> pd.DataFrame:
    case, when, event, trigger = log.arrays()
    # Drop what happens after a dossier closes before sorting (what happens
    # after as_of was never kept): pushing ties apart below only ever moves
    # events later, so it cannot bring a dropped event back.
    per_day = calendar.minutes_per_day
    keep = when <= closed_at[case]
    case, when, event, trigger = case[keep], when[keep], event[keep], trigger[keep]

    # Sort by dossier, then time to 1/64 of a minute, then the order events
    # were added (a stable sort keeps it). Blocks are runs already sorted by
    # dossier, which the stable sort merges quickly.
    fine = np.floor(when * (per_day * _SUBMINUTE)).astype(np.int64)
    order = np.argsort(case * (calendar.cut * _SUBMINUTE + 1) + fine, kind="stable")
    case, event, trigger = case[order], event[order], trigger[order]
    minute = fine[order] // _SUBMINUTE
    del when, fine, order, keep

    # Strictly increasing minutes within a dossier, so that the only ties are
    # the planted ones: row i gets at least the minute of row i-1 plus one (a
    # running maximum of minute - row, kept apart per dossier by an offset).
    row = np.arange(len(minute), dtype=np.int64)
    span = calendar.cut + len(minute) + 1
    offset = case * span - row
    minute = np.maximum.accumulate(minute + offset) - offset
    emitted = minute < calendar.cut
    case, minute, event, trigger = case[emitted], minute[emitted], event[emitted], trigger[emitted]

    # Planted same-time ties: an event takes the minute of the dossier's previous, different event.
    same_case_as_previous = np.zeros(len(case), dtype=bool)
    same_case_as_previous[1:] = (case[1:] == case[:-1]) & (event[1:] != event[:-1])
    candidates = max(int(same_case_as_previous.sum()), 1)
    tie_probability = min(1.0, params.same_time_tie_share * len(case) / candidates)
    tied = same_case_as_previous & (rng.random(len(case)) < tie_probability)
    tied[1:] &= ~tied[:-1]  # never chain three events on one minute
    tied_rows = np.flatnonzero(tied)
    minute[tied_rows] = minute[tied_rows - 1]

    # Planted exact duplicate rows, right after their original.
    copies = 1 + (rng.random(len(case)) < params.duplicate_row_share)
    case, minute, event, trigger = (np.repeat(a, copies) for a in (case, minute, event, trigger))

    day_ns = calendar.days.astype("datetime64[ns]").astype(np.int64)
    timestamp_ns = day_ns[minute // per_day] + (calendar.opening_minute + minute % per_day) * 60_000_000_000
    width = max(6, len(str(len(d.start))))
    case_ids = np.char.add("D", np.char.zfill(np.arange(1, len(d.start) + 1).astype(str), width))
    advisor_width = max(2, len(str(params.n_advisors)))
    advisors = [f"A{i + 1:0{advisor_width}d}" for i in range(params.n_advisors)]
    # copy=False: the columns are new already, and at a million dossiers each
    # string column holds 100-250 MB.
    columns = {
        "case_id": _strings(case_ids, case),
        "event": _strings(events, event),
        "timestamp": pd.Series(timestamp_ns.view("datetime64[ns]")),
        "trigger": _strings(triggers, trigger),
        "office": _strings(d.office_names, d.office[case]),
        "channel": _strings(CHANNELS, d.channel[case]),
        "route": _strings(ROUTES, d.route[case]),
        "born_abroad": pd.Series(d.born_abroad[case]),
        "advisor": _strings(advisors, d.advisor[case]),
    }
    return pd.DataFrame(columns, columns=list(SIMULATED_COLUMNS), copy=False)


def _strings(labels, codes: np.ndarray) -> pd.Series:
    """``labels[codes]`` as a pandas ``str`` Series (code -1 gives a missing value).

    Taking from an Arrow array avoids building one Python string per row,
    which costs seconds and gigabytes at millions of rows.
    """
    codes = np.asarray(codes)
    indices = pa.array(codes, mask=codes < 0)
    # large_string is what pandas' "str" dtype holds: no cast afterwards.
    values = pa.array(np.asarray(labels, dtype=object).tolist(), type=pa.large_string()).take(indices)
    return pd.Series(pd.array(values, dtype="str"))


# ------------------------------------------------------------------------ write
def write_events(events: pd.DataFrame, path: str | Path) -> Path:
    """Write an event log to CSV or Parquet, chosen by the file suffix.

    CSV is UTF-8, comma-separated, ``\\n`` line ends, timestamps as
    ``YYYY-MM-DD HH:MM:SS``, missing values as empty fields: the same log gives
    the same bytes. Parquet keeps the column types.

    Parameters
    ----------
    events : pandas.DataFrame
        A canonical event log, e.g. from :func:`simulate`.
    path : str or Path
        Ends in ``.csv`` or ``.parquet``.

    Returns
    -------
    Path
        The path written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "log.csv"
    >>> _ = write_events(simulate(5, seed=1, as_of="2025-06-30"), out)
    >>> out.read_text().splitlines()[0]
    'case_id,event,timestamp,trigger,office,channel,route,born_abroad,advisor'
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        events.to_csv(path, index=False, encoding="utf-8", lineterminator="\n", date_format=CSV_TIMESTAMP_FORMAT)
    elif suffix == ".parquet":
        events.to_parquet(path, index=False)
    else:
        raise CaseLogError(f"Cannot write {str(path)!r}: the file name must end in .csv or .parquet.")
    return path
