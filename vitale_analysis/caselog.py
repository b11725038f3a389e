"""The validated case log and its quality report (what :func:`~vitale_analysis.validate` returns).

Nothing is dropped silently. Every row read is either kept or set aside with a
reason, and ``rows_read == rows_kept + rows set aside`` always holds. Problems
that do not stop the analysis are flagged (the row is kept) and listed in the
report's tidy ``failures`` table: one row per problem with the source ``row``,
``case_id``, ``column``, ``check``, ``value`` and ``action``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any

import pandas as pd

from .errors import CaseLogError
from .i18n import t
from .privacy import mask_text
from .process import CARTE_VITALE, ProcessModel
from .read import CANONICAL_COLUMNS
from .timeutil import AsOf

__all__ = ["CaseLog", "QualityReport", "CHECKS", "FIXES", "SET_ASIDE", "FAILURE_COLUMNS", "merge_reports"]

#: Every check the report can list: name → (action, plain description).
CHECKS: dict[str, tuple[str, str]] = {
    "malformed_row": ("set aside", "the row could not be split into the header's columns"),
    "empty_case_id": ("set aside", "no case id"),
    "empty_event": ("set aside", "no event name"),
    "lifecycle_not_complete": ("set aside", "a lifecycle transition other than complete (e.g. scheduled, started)"),
    "missing_timestamp": ("set aside", "no timestamp"),
    "unparseable_timestamp": ("set aside", "the timestamp is not a date and time that exists"),
    "duplicate_row": ("set aside", "exact copy of an earlier row (removed, the first copy is kept)"),
    "after_as_of": ("set aside", "event after the as_of date of the analysis"),
    "unknown_event": ("flagged", "event name not in the process vocabulary (kept)"),
    "unknown_trigger": ("flagged", "delay trigger not in the process model (kept)"),
    "same_time_tie": ("flagged", "another event of the same case has the same timestamp (order by process)"),
    "no_start_milestone": ("flagged", "the case never reaches the start milestone"),
    "order_violation": ("flagged", "a milestone reached before an earlier one"),
    "conflicting_attribute": ("flagged", "a case attribute differs between rows of one case (first value kept)"),
    "unreadable_value": ("flagged", "a yes/no attribute that is neither (left empty)"),
    "nir_bad_key": ("flagged", "a 15-character social security number whose key is wrong (kept; shown masked)"),
    "future_timestamp": ("flagged", "a time far past nearly all others (more than a year, or the log's own "
                                    "span, after 99 % of them; a typo date?): kept, but left out of the default "
                                    "as-of date"),
}
SET_ASIDE = tuple(k for k, (action, _) in CHECKS.items() if action == "set aside")

#: What to do about each check's problems (shown by ``vitale-analysis validate --details``), in
#: English; the catalogue holds them in French too (``i18n.t("fix.<check>", "fr")``).
FIXES: dict[str, str] = {check: t(f"fix.{check}", "en") for check in CHECKS}

FAILURE_COLUMNS = ["row", "case_id", "column", "check", "value", "action"]


@dataclass(frozen=True)
class QualityReport:
    """What validation kept, set aside and flagged.

    Attributes
    ----------
    source : str
        The file (or "DataFrame") the rows came from.
    rows_read, rows_kept : int
    set_aside : dict
        Reason → number of rows set aside; ``rows_read == rows_kept + sum``.
    failures : DataFrame
        One row per problem: ``row``, ``case_id``, ``column``, ``check``,
        ``value``, ``action`` (``"set aside"`` or ``"flagged"``).
    set_aside_rows : DataFrame
        The raw rows that were set aside, as read, with a ``reason`` column.
    n_cases : int
    first_event, last_event : Timestamp or None
    time_zone : str
        ``"naive (local wall-clock time)"`` or ``"UTC (converted from offsets)"``.
    notes : list of str
        How the file was read and what was assumed (e.g. day-first dates).
    not_personal : tuple of str
        The columns the mapping declared not personal (``not_personal``).
    unmasked : frozenset of str
        Their social-security-shaped values that are shown in full (compact
        form; those passing the NIR key are not among them): ``failures``,
        the reprs, the report, the widgets and the command line leave these
        numbers as written and mask every other one.
    """

    source: str
    rows_read: int
    rows_kept: int
    set_aside: dict[str, int]
    failures: pd.DataFrame
    set_aside_rows: pd.DataFrame
    n_cases: int
    first_event: Any = None
    last_event: Any = None
    time_zone: str = ""
    notes: list[str] = field(default_factory=list)
    plausible_end: Any = None  # the latest time not flagged future_timestamp (None: last_event)
    not_personal: tuple[str, ...] = ()
    unmasked: frozenset[str] = frozenset()

    @property
    def n_set_aside(self) -> int:
        return int(sum(self.set_aside.values()))

    def counts(self) -> pd.DataFrame:
        """One row per check that found something: check, action, count, description."""
        if self.failures.empty:
            return pd.DataFrame(columns=["check", "action", "count", "description"])
        counts = self.failures.groupby("check", observed=True).size()
        order = [c for c in CHECKS if c in counts.index]
        return pd.DataFrame(
            {
                "check": order,
                "action": [CHECKS[c][0] for c in order],
                "count": [int(counts[c]) for c in order],
                "description": [CHECKS[c][1] for c in order],
            }
        )

    def count(self, check: str) -> int:
        """How many problems of one kind were found (0 if none)."""
        if check not in CHECKS:
            raise CaseLogError(f"No check {check!r}; checks are {list(CHECKS)}.")
        return int((self.failures["check"] == check).sum())

    @property
    def ok(self) -> bool:
        """True when nothing was set aside or flagged."""
        return self.failures.empty

    def __repr__(self) -> str:
        return self.summary()

    def summary(self, more: str = "→ .failures lists every problem (row, case, column, value); "
                                  ".set_aside_rows holds the rows set aside.") -> str:
        """The report in a few lines (its ``repr``); ``more`` is the line that says where the details are
        (the command line names its own options there)."""
        lines = [
            f"QualityReport for {mask_text(self.source, self.unmasked)}",
            f"  rows read {self.rows_read:,} = kept {self.rows_kept:,} + set aside {self.n_set_aside:,}",
            f"  cases {self.n_cases:,}; events from {fmt_time(self.first_event)} to {fmt_time(self.last_event)}"
            f"; times {self.time_zone}",
        ]
        counts = self.counts()
        if counts.empty:
            lines.append("  no problems found")
        else:
            width = max(len(c) for c in counts["check"])
            for rec in counts.itertuples(index=False):
                lines.append(f"  {rec.check:<{width}}  {rec.count:>7,}  {rec.action:<9}  {rec.description}")
            lines.append(f"  {more}")
        for note in self.notes:
            lines.append(f"  note: {mask_text(note, self.unmasked)}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        counts = self.counts()
        head = (
            f"<p><b>Quality report</b> for <code>{escape(mask_text(self.source, self.unmasked))}</code>: "
            f"{self.rows_read:,} rows read = {self.rows_kept:,} kept + {self.n_set_aside:,} set aside; "
            f"{self.n_cases:,} cases, events from {escape(fmt_time(self.first_event))} "
            f"to {escape(fmt_time(self.last_event))} ({escape(self.time_zone)}).</p>"
        )
        if counts.empty:
            body = "<p>No problems found.</p>"
        else:
            body = counts.to_html(index=False, border=0) + (
                "<p><code>.failures</code> lists every problem with its row, case, column and value; "
                "<code>.set_aside_rows</code> holds the rows set aside.</p>"
            )
        notes = "".join(f"<li>{escape(mask_text(n, self.unmasked))}</li>" for n in self.notes)
        return head + body + (f"<ul>{notes}</ul>" if notes else "")


def fmt_time(value) -> str:
    """A time for messages and reprs: ``YYYY-MM-DD HH:MM``, or a dash when missing."""
    if value is None or pd.isna(value):
        return "—"
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class CaseLog:
    """Validated events with their quality report and the process model.

    ``events`` has one row per kept event, sorted by ``case_id`` then time
    (ties ordered by the process, then by source row), with typed columns:
    ``case_id`` (string), ``event`` and ``trigger`` (categoricals), ``timestamp``
    (naive, or UTC), ``note``, the case attributes, and ``row``. ``labels`` holds
    the file's own labels of the values a mapping translated (see :class:`RawLog`).
    """

    events: pd.DataFrame
    quality: QualityReport
    process: ProcessModel = CARTE_VITALE
    case_attributes: tuple[str, ...] = ()
    #: The user's own words for the values they mapped (column → value → the file's label, from the
    #: mapping's ``values`` tables): tables and charts show these rather than the codes.
    labels: Mapping[str, Mapping[Any, str]] = field(default_factory=dict)

    @property
    def last_timestamp(self) -> pd.Timestamp:
        """The latest event time, the default ``as_of`` of every analysis; times flagged
        ``future_timestamp`` (a typo like 2099) are left out."""
        end = self.quality.plausible_end
        return self.events["timestamp"].max() if end is None or pd.isna(end) else end

    @property
    def not_personal(self) -> tuple[str, ...]:
        """The columns the mapping declared not personal (``not_personal = ["case_id"]``)."""
        return self.quality.not_personal

    @property
    def unmasked(self) -> frozenset[str]:
        """The numbers shown in full: the social-security-shaped values of the columns declared not
        personal, but those passing the NIR key (real NIRs stay masked). Pass it as ``shown`` to
        :func:`~vitale_analysis.privacy.mask_text` and the display functions."""
        return self.quality.unmasked

    @property
    def aware(self) -> bool:
        """Whether the times are UTC (converted from offsets) rather than local wall-clock times."""
        return self.events["timestamp"].dt.tz is not None

    def as_of(self, value=None) -> AsOf:
        """``value`` read as this log's as-of cut (None: its latest event, included); see :class:`AsOf`."""
        return AsOf.parse(value, aware=self.aware, latest=self.last_timestamp if value is None else None)

    @property
    def event_attributes(self) -> tuple[str, ...]:
        """Other columns, whose value belongs to each event (e.g. who handled it)."""
        return tuple(
            c for c in self.events.columns
            if c not in (*CANONICAL_COLUMNS, "row") and c not in self.case_attributes
        )

    def __repr__(self) -> str:
        q = self.quality
        return (
            f"CaseLog: {len(self.events):,} events in {q.n_cases:,} cases "
            f"({fmt_time(q.first_event)} → {fmt_time(q.last_event)}), process {self.process.name!r}; "
            f"{q.n_set_aside:,} rows set aside, {len(q.failures) - q.n_set_aside:,} flagged "
            "(see .quality)"
        )

    def _repr_html_(self) -> str:
        return f"<p>{escape(repr(self))}</p>" + self.quality._repr_html_()


def merge_reports(reports: list[QualityReport], source: str) -> QualityReport:
    """One report for parts of one log (batches, partitions): counts summed, spans joined, notes once."""
    set_aside: dict[str, int] = {}
    for r in reports:
        for k, v in r.set_aside.items():
            set_aside[k] = set_aside.get(k, 0) + v
    notes: list[str] = []
    for r in reports:
        notes.extend(n for n in r.notes if n not in notes)
    firsts = [r.first_event for r in reports if r.first_event is not None and not pd.isna(r.first_event)]
    lasts = [r.last_event for r in reports if r.last_event is not None and not pd.isna(r.last_event)]
    aside = [r.set_aside_rows for r in reports if len(r.set_aside_rows)]
    zones = sorted({r.time_zone for r in reports if r.time_zone})
    if len(zones) > 1:
        raise CaseLogError(f"{source}: some batches have times with a UTC offset and some without ({zones}). "
                           "Export every time the same way.")
    return QualityReport(
        source=source,
        rows_read=sum(r.rows_read for r in reports),
        rows_kept=sum(r.rows_kept for r in reports),
        set_aside=set_aside,
        failures=pd.concat([r.failures for r in reports], ignore_index=True),
        set_aside_rows=pd.concat(aside, ignore_index=True) if aside else reports[0].set_aside_rows,
        n_cases=sum(r.n_cases for r in reports),
        first_event=min(firsts) if firsts else None,
        last_event=max(lasts) if lasts else None,
        time_zone=zones[0] if zones else "",
        notes=notes,
        not_personal=reports[0].not_personal,
        unmasked=frozenset().union(*(r.unmasked for r in reports)),
    )
