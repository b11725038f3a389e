"""Validation: raw events → clean, typed, sorted events plus a QualityReport.

Nothing is dropped silently. Every row read is either kept or set aside with a
reason, and ``rows_read == rows_kept + rows set aside`` always holds. Problems
that do not stop the analysis are flagged (the row is kept) and listed in the
report's tidy ``failures`` table: one row per problem with the source ``row``,
``case_id``, ``column``, ``check``, ``value`` and ``action``.

Time-zone policy
----------------
A case log is either **naive** (no UTC offset anywhere: the times are the local
wall-clock times the advisor wrote, kept as they are) or **aware** (every time
has an offset or ``Z``: all are converted to UTC, so that durations across a
daylight-saving change are exact). A log that mixes the two is refused with a
:class:`CaseLogError` naming one row of each kind, because any silent choice
would shift some events by one or two hours. An ``as_of`` given without a
zone for an aware log is read as UTC.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape
from typing import Any

import numpy as np
import pandas as pd

from .errors import CaseLogError, DataQualityWarning
from .privacy import mask_identifiers, mask_text, nir_columns, nir_key_ok
from .process import CARTE_VITALE, ProcessModel
from .read import ATTRS_KEY, CANONICAL_COLUMNS, REQUIRED_COLUMNS, _require, read_caselog

__all__ = ["CaseLog", "QualityReport", "validate", "load", "CHECKS"]

#: Every check the report can list: name → (action, plain description).
CHECKS: dict[str, tuple[str, str]] = {
    "malformed_row": ("set aside", "the row could not be split into the header's columns"),
    "empty_case_id": ("set aside", "no case id"),
    "empty_event": ("set aside", "no event name"),
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
}
SET_ASIDE = tuple(k for k, (action, _) in CHECKS.items() if action == "set aside")

_FAILURE_COLUMNS = ["row", "case_id", "column", "check", "value", "action"]
_BOOLEAN_ATTRIBUTES = ("born_abroad",)
_CATEGORY_ATTRIBUTES = ("office", "channel", "route", "advisor")
_TRUE = {"true", "1", "yes", "y", "oui", "o", "vrai", "x"}
_FALSE = {"false", "0", "no", "n", "non", "faux", ""}
_MIN_YEAR, _MAX_YEAR = 1900, 2200


# --------------------------------------------------------------------------- report
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
        lines = [
            f"QualityReport for {mask_text(self.source)}",
            f"  rows read {self.rows_read:,} = kept {self.rows_kept:,} + set aside {self.n_set_aside:,}",
            f"  cases {self.n_cases:,}; events from {_fmt_time(self.first_event)} to {_fmt_time(self.last_event)}"
            f"; times {self.time_zone}",
        ]
        counts = self.counts()
        if counts.empty:
            lines.append("  no problems found")
        else:
            width = max(len(c) for c in counts["check"])
            for rec in counts.itertuples(index=False):
                lines.append(f"  {rec.check:<{width}}  {rec.count:>7,}  {rec.action:<9}  {rec.description}")
            lines.append("  → .failures lists every problem (row, case, column, value); "
                         ".set_aside_rows holds the rows set aside.")
        for note in self.notes:
            lines.append(f"  note: {mask_text(note)}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        counts = self.counts()
        head = (
            f"<p><b>Quality report</b> for <code>{escape(mask_text(self.source))}</code>: "
            f"{self.rows_read:,} rows read = {self.rows_kept:,} kept + {self.n_set_aside:,} set aside; "
            f"{self.n_cases:,} cases, events from {escape(_fmt_time(self.first_event))} "
            f"to {escape(_fmt_time(self.last_event))} ({escape(self.time_zone)}).</p>"
        )
        if counts.empty:
            body = "<p>No problems found.</p>"
        else:
            body = counts.to_html(index=False, border=0) + (
                "<p><code>.failures</code> lists every problem with its row, case, column and value; "
                "<code>.set_aside_rows</code> holds the rows set aside.</p>"
            )
        notes = "".join(f"<li>{escape(mask_text(n))}</li>" for n in self.notes)
        return head + body + (f"<ul>{notes}</ul>" if notes else "")


def _fmt_time(value) -> str:
    if value is None or pd.isna(value):
        return "—"
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class CaseLog:
    """Validated events with their quality report and the process model.

    ``events`` has one row per kept event, sorted by ``case_id`` then time
    (ties ordered by the process, then by source row), with typed columns:
    ``case_id`` (string), ``event`` and ``trigger`` (categoricals), ``timestamp``
    (naive, or UTC), ``note``, the case attributes, and ``row``.
    """

    events: pd.DataFrame
    quality: QualityReport
    process: ProcessModel = CARTE_VITALE
    case_attributes: tuple[str, ...] = ()

    @property
    def last_timestamp(self) -> pd.Timestamp:
        """The latest event time: the default ``as_of`` of every analysis."""
        return self.events["timestamp"].max()

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
            f"({_fmt_time(q.first_event)} → {_fmt_time(q.last_event)}), process {self.process.name!r}; "
            f"{q.n_set_aside:,} rows set aside, {len(q.failures) - q.n_set_aside:,} flagged "
            "(see .quality)"
        )

    def _repr_html_(self) -> str:
        return f"<p>{escape(repr(self))}</p>" + self.quality._repr_html_()


# --------------------------------------------------------------------------- timestamps
_ISO = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}")
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)
_DMY = (
    r"^(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?P<y>\d{2}|\d{4})"
    r"(?:[ T]+(?P<H>\d{1,2})[:hH](?P<M>\d{2})(?::(?P<S>\d{2}))?)?$"
)


@dataclass
class _Parsed:
    times: pd.Series  # datetime64, NaT where missing or unparseable
    missing: np.ndarray  # bool
    aware: bool
    notes: list[str]


def _parse_timestamps(values: pd.Series, rows: pd.Series, name: str, dayfirst: bool | None) -> _Parsed:
    notes: list[str] = []
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        times = _to_unit(values.dt.tz_convert("UTC"), "datetime64[ns, UTC]")
        return _Parsed(times, values.isna().to_numpy(), True, notes)
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return _Parsed(_to_unit(values, "datetime64[ns]"), values.isna().to_numpy(), False, notes)

    obj = values.astype(object)
    if pd.api.types.infer_dtype(obj, skipna=True) in ("string", "empty"):
        is_dt = np.zeros(len(obj), dtype=bool)  # plain text: no per-value scan needed
    else:  # Excel cells: datetime objects and text side by side
        is_dt = obj.map(lambda v: isinstance(v, (datetime, date, pd.Timestamp))).to_numpy(dtype=bool)
    text = obj.where(~is_dt).astype("string").str.strip()
    missing = (text.isna() | (text == "")).to_numpy() & ~is_dt
    text = text.where(~pd.Series(missing, index=text.index))

    # Aware or naive, per value; mixing is refused (see the module docstring).
    dt_aware = np.zeros(len(obj), dtype=bool)
    if is_dt.any():
        dt_aware[is_dt] = [getattr(v, "tzinfo", None) is not None for v in obj[is_dt]]
    txt_aware = text.str.contains(_OFFSET, na=False).to_numpy() & text.str.contains(_ISO, na=False).to_numpy()
    aware_mask = dt_aware | txt_aware
    present = ~missing
    naive_mask = present & ~aware_mask
    if aware_mask.any() and naive_mask.any():
        a, n = int(np.argmax(aware_mask)), int(np.argmax(naive_mask))
        raise CaseLogError(
            f"{name}: column 'timestamp' mixes times with a UTC offset (row {rows.iloc[a]}: "
            f"{str(obj.iloc[a])!r}) and times without one (row {rows.iloc[n]}: {str(obj.iloc[n])!r}). "
            "Durations would be off by the offset. Fix: export every time the same way "
            "(all local times, or all with an offset)."
        )
    aware = bool(aware_mask.any())
    unit = "datetime64[ns, UTC]" if aware else "datetime64[ns]"
    out = pd.Series(pd.NaT, index=values.index, dtype=unit)

    if is_dt.any():
        converted = pd.to_datetime(obj[is_dt].map(pd.Timestamp), utc=aware, errors="coerce")
        out[is_dt] = _to_unit(converted, unit).array

    iso = text.str.contains(_ISO, na=False).to_numpy()
    if iso.any():
        parsed = pd.to_datetime(text[iso], format="ISO8601", errors="coerce", utc=aware)
        out[iso] = _to_unit(parsed, unit).array

    rest = present & ~is_dt & ~iso
    if rest.any():
        parts = text[rest].str.extract(_DMY)
        matched = parts["a"].notna()
        if matched.any():
            a = parts["a"].astype(float)
            b = parts["b"].astype(float)
            if dayfirst is None:
                day_first_seen, month_first_seen = (a > 12).any(), (b > 12).any()
                if day_first_seen and month_first_seen:
                    rest_rows = rows[rest]
                    raise CaseLogError(
                        f"{name}: column 'timestamp' has dates written day-first (row "
                        f"{rest_rows[(a > 12).to_numpy()].iloc[0]}: {text[rest][a > 12].iloc[0]!r}) and "
                        f"month-first (row {rest_rows[(b > 12).to_numpy()].iloc[0]}: "
                        f"{text[rest][b > 12].iloc[0]!r}). "
                        "Fix: export all dates in one format, or pass dayfirst=True/False."
                    )
                if month_first_seen:
                    dayfirst = False
                    notes.append("dates like 01/02/2025 read month-first (a day above 12 was seen second)")
                else:
                    dayfirst = True
                    if not day_first_seen:
                        notes.append(
                            "dates like 01/02/2025 read day-first (1 February), the French convention; "
                            "pass dayfirst=False if the file is month-first"
                        )
            day, month = (a, b) if dayfirst else (b, a)
            year = parts["y"].astype(float)
            year = year.where(year >= 100, year + 2000)
            fields = pd.DataFrame(
                {
                    "year": year,
                    "month": month,
                    "day": day,
                    "hour": parts["H"].astype(float).fillna(0),
                    "minute": parts["M"].astype(float).fillna(0),
                    "second": parts["S"].astype(float).fillna(0),
                }
            )
            ok = (
                fields["month"].between(1, 12)
                & fields["day"].between(1, 31)
                & fields["hour"].between(0, 23)
                & fields["minute"].between(0, 59)
                & fields["second"].between(0, 59)
                & fields["year"].between(_MIN_YEAR, _MAX_YEAR)
                & matched
            )
            built = pd.Series(pd.NaT, index=fields.index, dtype="datetime64[ns]")
            if ok.any():
                built[ok] = pd.to_datetime(fields[ok].astype(int), errors="coerce")
            if aware:  # aware logs hold no day-first text (it carries no offset)
                built = built.dt.tz_localize("UTC")
            out[rest] = built.astype(unit).to_numpy()

    years = out.dt.year
    implausible = years.notna() & ~years.between(_MIN_YEAR, _MAX_YEAR)
    if implausible.any():
        out[implausible] = pd.NaT
    return _Parsed(out, missing, aware, notes)


def _to_unit(times: pd.Series, unit: str) -> pd.Series:
    """Times as nanoseconds; years outside 1900–2200 become NaT first (e.g. 9999-12-31 would overflow)."""
    years = times.dt.year
    far = (years.notna() & ~years.between(_MIN_YEAR, _MAX_YEAR)).to_numpy(dtype=bool)
    if not far.any():
        return times.astype(unit)
    out = pd.Series(pd.NaT, index=times.index, dtype=unit)
    out[~far] = times[~far].astype(unit).to_numpy()
    return out


def _is_bare_date(value) -> bool:
    if isinstance(value, str):
        return len(value.strip()) <= 10
    return isinstance(value, date) and not isinstance(value, datetime)


def _to_as_of(as_of, aware: bool) -> pd.Timestamp | None:
    if as_of is None:
        return None
    try:
        ts = pd.Timestamp(as_of)
    except (ValueError, TypeError):
        raise CaseLogError(f"as_of={as_of!r} is not a date; write it like '2025-06-30'.") from None
    if pd.isna(ts):
        raise CaseLogError(f"as_of={as_of!r} is not a date; write it like '2025-06-30'.")
    if _is_bare_date(as_of):
        # A bare date means the end of that day (midnight): its events count,
        # events at that midnight do not (see _after_as_of).
        ts = ts.normalize() + pd.Timedelta(days=1)
    if aware:
        return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    if ts.tzinfo is not None:
        raise CaseLogError(
            f"as_of={as_of!r} has a time zone but the log's times have none; give as_of without one."
        )
    return ts


def _after_as_of(times: pd.Series, as_of, as_of_ts: pd.Timestamp) -> np.ndarray:
    """Events after as_of. A bare date ends at midnight, which itself belongs to the next day."""
    if _is_bare_date(as_of):
        return (times >= as_of_ts).to_numpy(dtype=bool)
    return (times > as_of_ts).to_numpy(dtype=bool)


# --------------------------------------------------------------------------- validate
def validate(
    raw: pd.DataFrame,
    process: ProcessModel = CARTE_VITALE,
    *,
    as_of=None,
    dayfirst: bool | None = None,
    _stacklevel: int = 2,
) -> CaseLog:
    """Clean, type and sort raw events; count and list every problem.

    Parameters
    ----------
    raw : DataFrame
        From :func:`read_caselog` (or any frame with ``case_id``, ``event``,
        ``timestamp`` columns).
    process : ProcessModel
        The vocabulary and milestones to check against (default Carte Vitale).
    as_of : date-like, optional
        Events after it are set aside (reason ``after_as_of``). A bare date
        (``"2025-06-30"``) includes that whole day.
    dayfirst : bool, optional
        Overrides what :func:`read_caselog` was told or detected.

    Returns
    -------
    CaseLog
        ``.events`` (clean, typed, sorted), ``.quality`` (QualityReport), ``.process``.

    Raises
    ------
    CaseLogError
        A required column is missing, times mix aware and naive values, or
        no usable row is left.
    """
    if not isinstance(raw, pd.DataFrame):
        raise CaseLogError(
            f"validate() takes the DataFrame from read_caselog(), got {type(raw).__name__}; "
            "use load(path) to read and validate a file in one call."
        )
    info = dict(raw.attrs.get(ATTRS_KEY, {}))
    name = info.get("source", "DataFrame")
    if dayfirst is None:
        dayfirst = info.get("dayfirst")
    _require(raw, REQUIRED_COLUMNS, name, {})
    malformed = list(info.get("malformed_rows", []))
    notes = list(info.get("notes", []))

    frame = raw.copy()
    if "row" not in frame.columns:
        frame["row"] = np.arange(1, len(frame) + 1)
    frame = frame.reset_index(drop=True)
    rows_read = len(frame) + len(malformed)
    failures: list[pd.DataFrame] = []
    aside_parts: list[pd.DataFrame] = []

    if malformed:
        failures.append(
            pd.DataFrame(
                {
                    "row": [m["row"] for m in malformed],
                    "case_id": pd.NA,
                    "column": "(whole row)",
                    "check": "malformed_row",
                    "value": [
                        f"line {m.get('line')}: {m.get('fields', '?')} fields, expected {m.get('expected', '?')}: "
                        f"{m['value']}" if "fields" in m else f"line {m.get('line')}: {m['value']}"
                        for m in malformed
                    ],
                }
            )
        )
        aside_parts.append(
            pd.DataFrame({"row": [m["row"] for m in malformed], "reason": "malformed_row",
                          "raw_text": [m["value"] for m in malformed]})
        )

    def set_aside(mask: np.ndarray, check: str, column: str, value: pd.Series) -> None:
        nonlocal frame
        if not mask.any():
            return
        bad = frame[mask]
        failures.append(
            pd.DataFrame(
                {
                    "row": bad["row"].to_numpy(),
                    "case_id": bad["case_id"].astype("string").to_numpy(),
                    "column": column,
                    "check": check,
                    "value": value[mask].astype("string").to_numpy(),
                }
            )
        )
        aside_parts.append(bad.assign(reason=check))
        frame = frame[~mask].reset_index(drop=True)

    # Identifiers and event names: trimmed text; empty is unusable.
    case_text = frame["case_id"].astype("string").str.strip()
    frame["case_id"] = case_text
    set_aside((case_text.isna() | (case_text == "")).to_numpy(), "empty_case_id", "case_id", frame["case_id"])
    event_text = frame["event"].astype("string").str.strip()
    frame["event"] = event_text
    set_aside((event_text.isna() | (event_text == "")).to_numpy(), "empty_event", "event", frame["event"])
    if "trigger" in frame.columns:
        trig = frame["trigger"].astype("string").str.strip()
        frame["trigger"] = trig.where(trig != "")
    else:
        frame["trigger"] = pd.Series(pd.NA, index=frame.index, dtype="string")

    # Timestamps.
    raw_times = frame["timestamp"]
    parsed = _parse_timestamps(raw_times, frame["row"], name, dayfirst)
    notes.extend(parsed.notes)
    frame["timestamp"] = parsed.times
    set_aside(parsed.missing, "missing_timestamp", "timestamp", raw_times.astype("string").fillna(""))
    raw_times = raw_times[~parsed.missing].reset_index(drop=True)
    bad_time = frame["timestamp"].isna().to_numpy()
    set_aside(bad_time, "unparseable_timestamp", "timestamp", raw_times)

    # Exact duplicates (every column but the row number), first copy kept.
    content = [c for c in frame.columns if c != "row"]
    dup = frame.duplicated(subset=content, keep="first").to_numpy()
    set_aside(dup, "duplicate_row", "(whole row)", frame["event"])

    as_of_ts = _to_as_of(as_of, parsed.aware)
    if as_of_ts is not None:
        late = _after_as_of(frame["timestamp"], as_of, as_of_ts)
        set_aside(late, "after_as_of", "timestamp", frame["timestamp"].astype("string"))

    if rows_read == 0:
        raise CaseLogError(
            f"{name}: no usable rows: the file has a header but no data rows. Export the case log again with its rows."
        )
    if frame.empty:
        reasons = pd.concat(failures)["check"].value_counts().to_dict() if failures else {}
        raise CaseLogError(
            f"{name}: no usable rows: all {rows_read:,} rows were set aside ({reasons}). "
            "Check the column mapping, the date format and the as_of date."
        )

    # Typed, ordered events: by case, time, then the process order, then source row.
    vocabulary = list(process.vocabulary)
    rank = {e: i for i, e in enumerate(vocabulary)}
    frame["_rank"] = frame["event"].map(rank).fillna(len(vocabulary)).astype(int)
    frame = frame.sort_values(["case_id", "timestamp", "_rank", "row"], kind="mergesort").reset_index(drop=True)
    frame = frame.drop(columns="_rank")

    flagged: list[pd.DataFrame] = []

    def flag(mask: np.ndarray, check: str, column: str, value) -> None:
        if not np.any(mask):
            return
        sub = frame[mask]
        vals = value[mask] if isinstance(value, (pd.Series, np.ndarray)) else value
        flagged.append(
            pd.DataFrame(
                {
                    "row": sub["row"].to_numpy(),
                    "case_id": sub["case_id"].to_numpy(),
                    "column": column,
                    "check": check,
                    "value": pd.Series(np.asarray(vals, dtype=object)).astype("string").to_numpy()
                    if not isinstance(vals, str) else vals,
                }
            )
        )

    known = frame["event"].isin(vocabulary).to_numpy()
    flag(~known, "unknown_event", "event", frame["event"])
    has_trigger = frame["trigger"].notna().to_numpy()
    known_trigger = frame["trigger"].isin(list(process.triggers)).to_numpy()
    flag(has_trigger & ~known_trigger, "unknown_trigger", "trigger", frame["trigger"])

    def same_as_previous(column: str) -> np.ndarray:
        values = frame[column]
        return (values == values.shift()).fillna(False).to_numpy(dtype=bool)

    same_case = same_as_previous("case_id")
    same_time = same_as_previous("timestamp")
    other_event = ~same_as_previous("event")
    tie = same_case & same_time & other_event
    flag(tie, "same_time_tie", "timestamp",
         frame["event"].shift().astype("string") + " and " + frame["event"].astype("string") + " at "
         + frame["timestamp"].astype("string"))

    first_of_case = ~same_case
    start = process.milestones[0]
    has_start = frame["case_id"].isin(frame.loc[frame["event"] == start, "case_id"].unique()).to_numpy()
    flag(first_of_case & ~has_start, "no_start_milestone", "event",
         pd.Series(f"no {start}", index=frame.index))

    flag_order = _order_violation_rows(frame, process)
    if flag_order is not None:
        mask, text = flag_order
        flag(mask, "order_violation", "event", text)

    frame, attr_flags, case_attributes = _type_attributes(frame, name, tuple(info.get("case_attributes", ())))
    for mask, check, column, value in attr_flags:
        flag(mask, check, column, value)

    # Social security numbers: a 15-character number's key must match (13 have none).
    for column in nir_columns(frame.drop(columns=["row"])):
        text = frame[column].astype("string")
        wrong = [v for v in text.dropna().unique() if nir_key_ok(v) is False]  # once per distinct number
        bad = text.isin(wrong).fillna(False).to_numpy(dtype=bool)
        flag(bad, "nir_bad_key", column, mask_identifiers(text))

    # Categoricals: small vocabularies repeated over millions of rows.
    unknown_events = sorted(set(frame["event"].dropna()) - set(vocabulary))
    frame["event"] = pd.Categorical(frame["event"], categories=vocabulary + unknown_events)
    trigger_names = list(process.triggers)
    unknown_triggers = sorted(set(frame["trigger"].dropna()) - set(trigger_names))
    frame["trigger"] = pd.Categorical(frame["trigger"], categories=trigger_names + unknown_triggers)
    if "note" in frame.columns:
        frame["note"] = frame["note"].astype("string")
    ordered = [c for c in CANONICAL_COLUMNS if c in frame.columns]
    frame = frame[ordered + [c for c in frame.columns if c not in ordered and c != "row"] + ["row"]]

    all_failures = failures + flagged
    if all_failures:
        table = pd.concat(all_failures, ignore_index=True)
    else:
        table = pd.DataFrame(columns=_FAILURE_COLUMNS[:-1])
    table["action"] = table["check"].map(lambda c: CHECKS[c][0])
    # Never a full social security number in the report (see privacy.py).
    table["case_id"] = mask_identifiers(table["case_id"].astype("string"))
    table["value"] = mask_identifiers(table["value"].astype("string"))
    table = table[_FAILURE_COLUMNS].astype(
        {"row": "Int64", "case_id": "string", "column": "string", "check": "string", "value": "string",
         "action": "string"}
    )
    table = table.sort_values(["row", "check"], kind="mergesort").reset_index(drop=True)

    set_aside_counts = {k: int(v) for k, v in table.loc[table["action"] == "set aside", "check"].value_counts().items()}
    aside_rows = (
        pd.concat([p.astype(object) for p in aside_parts], ignore_index=True).sort_values("row", kind="mergesort")
        .reset_index(drop=True)
        if aside_parts else pd.DataFrame(columns=["row", "reason"])
    )
    for column in aside_rows.columns:
        if column not in ("row", "reason") and aside_rows[column].dtype == object:
            aside_rows[column] = mask_identifiers(aside_rows[column])
    report = QualityReport(
        source=name,
        rows_read=rows_read,
        rows_kept=len(frame),
        set_aside=set_aside_counts,
        failures=table,
        set_aside_rows=aside_rows,
        n_cases=int(frame["case_id"].nunique()),
        first_event=frame["timestamp"].min(),
        last_event=frame["timestamp"].max(),
        time_zone="UTC (converted from offsets)" if parsed.aware else "naive (local wall-clock time)",
        notes=notes,
    )
    assert report.rows_read == report.rows_kept + report.n_set_aside, "row accounting broken"
    if report.n_set_aside:
        warnings.warn(
            f"{name}: {report.n_set_aside:,} of {rows_read:,} rows set aside "
            f"({', '.join(f'{k}: {v}' for k, v in set_aside_counts.items())}); see .quality.",
            DataQualityWarning,
            stacklevel=_stacklevel,  # the user's line, through load() too
        )
    return CaseLog(events=frame, quality=report, process=process, case_attributes=case_attributes)


def _order_violation_rows(frame: pd.DataFrame, process: ProcessModel):
    """Rows of milestones first reached before an earlier milestone's first time."""
    index = {m: i for i, m in enumerate(process.milestones)}
    midx = frame["event"].map(index)
    is_m = midx.notna().to_numpy()
    if not is_m.any():
        return None
    ms = frame.loc[is_m, ["case_id", "timestamp", "event"]].assign(m=midx[is_m].astype(int).to_numpy())
    first = ms.drop_duplicates(["case_id", "m"], keep="first")  # frame is time-sorted
    times = first.pivot(index="case_id", columns="m", values="timestamp")
    times = times.reindex(columns=range(len(process.milestones)))
    from .cases import _violations_from_times  # shared with the case table

    viol, culprit = _violations_from_times(times.to_numpy(dtype="datetime64[ns]").astype("int64"))
    if not viol.any():
        return None
    cases_idx, m_idx = np.nonzero(viol)
    key = pd.DataFrame({"case_id": times.index[cases_idx], "m": m_idx})
    key["text"] = [
        f"{process.milestones[m]} before {process.milestones[c]}"
        for m, c in zip(m_idx, culprit[cases_idx, m_idx])
    ]
    hits = first.reset_index().merge(key, on=["case_id", "m"])
    mask = np.zeros(len(frame), dtype=bool)
    text = pd.Series(pd.NA, index=frame.index, dtype="string")
    mask[hits["index"].to_numpy()] = True
    text.iloc[hits["index"].to_numpy()] = hits["text"].to_numpy()
    return mask, text


def _type_attributes(frame: pd.DataFrame, name: str, declared: tuple[str, ...]):
    """Type known attributes, tell case attributes from event attributes, flag conflicts.

    Case attributes are the known ones (office, channel, route, born_abroad,
    advisor), those the source declares (XES trace attributes, a cases table),
    and any other column that never changes within a case. Known or declared
    attributes whose value changes within a case are flagged; other changing
    columns are event attributes (e.g. the clerk who handled each event).
    """
    flags = []
    case_attributes = []
    attrs = [c for c in frame.columns if c not in (*CANONICAL_COLUMNS, "row")]
    for column in attrs:
        if column in _BOOLEAN_ATTRIBUTES:
            values = frame[column]
            if values.dtype == bool or isinstance(values.dtype, pd.BooleanDtype):
                frame[column] = values.astype("boolean")
            else:
                text = values.astype("string").str.strip().str.casefold()
                out = pd.Series(pd.NA, index=frame.index, dtype="boolean")
                out[text.isin(_TRUE).fillna(False).to_numpy()] = True
                out[(text.isin(_FALSE) & (text != "")).fillna(False).to_numpy()] = False
                bad = (text.notna() & (text != "") & ~text.isin(_TRUE) & ~text.isin(_FALSE)).to_numpy(dtype=bool)
                flags.append((bad, "unreadable_value", column, values.astype("string")))
                frame[column] = out
        elif column in _CATEGORY_ATTRIBUTES:
            frame[column] = frame[column].astype("string").str.strip().astype("category")
        # Conflicts: a row whose non-empty value differs from the case's first non-empty value.
        values = frame[column]
        first = values.groupby(frame["case_id"], sort=False, observed=True).transform("first")
        differs = (values.notna() & first.notna() & (values.astype(object) != first.astype(object)))
        differs = differs.fillna(False).to_numpy(dtype=bool)
        if column in _BOOLEAN_ATTRIBUTES or column in _CATEGORY_ATTRIBUTES or column in declared:
            case_attributes.append(column)
            flags.append((differs, "conflicting_attribute", column, values.astype("string")))
        elif not differs.any():
            case_attributes.append(column)
    return frame, flags, tuple(case_attributes)


def load(source, process: ProcessModel = CARTE_VITALE, *, as_of=None, **read_kw) -> CaseLog:
    """Read and validate a case log in one call (for notebooks).

    ``read_kw`` goes to :func:`read_caselog` (``columns``, ``values``,
    ``mapping``, ``cases``, ``dayfirst``, ``sheet``, ``delimiter``, ``encoding``).

    Examples
    --------
    >>> from vitale_analysis import load
    >>> log = load("data/sample_caselog.csv")  # doctest: +SKIP
    >>> log.quality  # doctest: +SKIP
    """
    raw = read_caselog(source, **read_kw)
    return validate(raw, process, as_of=as_of, _stacklevel=3)
