"""Validation: raw events → clean, typed, sorted events plus a QualityReport (a :class:`CaseLog`).

Nothing is dropped silently. Every row read is either kept or set aside with a
reason, and ``rows_read == rows_kept + rows set aside`` always holds. Problems
that do not stop the analysis are flagged (the row is kept) and listed in the
report's tidy ``failures`` table (see :mod:`vitale_analysis.caselog`).

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
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .caselog import CHECKS, FAILURE_COLUMNS, CaseLog, QualityReport
from .codes import (case_runs, code_width, distinct_categorical, drop_unused, first_value_per_case, labels,
                    milestone_rows, order_violation_counts, order_violations, run_starts, sort_order, text_codes,
                    take_all, thread_map, used_text_codes, widen)
from . import i18n
from .errors import CaseLogError, DataQualityWarning, closest_names, fix_for
from .privacy import mask_identifiers, nir_columns, nir_key_ok, shown_numbers
from .process import CARTE_VITALE, ProcessModel
from .read import (CANONICAL_COLUMNS, LIFECYCLE_COLUMN, REQUIRED_COLUMNS, RawLog, lifecycle_codes, read_caselog,
                   require_columns, toml_string)
from .timeutil import NAT, AsOf, from_ns

__all__ = ["validate", "validate_part", "load", "unknown_labels", "future_horizon", "day_order", "lookalike_note",
           "lookalike_key", "unknown_label_notes"]

_BOOLEAN_ATTRIBUTES = ("born_abroad",)
_CATEGORY_ATTRIBUTES = ("office", "channel", "route", "advisor")
#: Case attributes validation gives categories sorted as text (other text columns keep the reader's order).
SORTED_ATTRIBUTES = _CATEGORY_ATTRIBUTES
_TRUE = {"true", "1", "yes", "y", "oui", "o", "vrai", "x"}
_FALSE = {"false", "0", "no", "n", "non", "faux", ""}
_MIN_YEAR, _MAX_YEAR = 1900, 2200
_CORE_COLUMNS = ("case_id", "event", "timestamp", "trigger", "row")  # (validation types these itself)
_FUTURE_MARGIN_NS = 365 * 86_400 * 10**9  # future_timestamp: a year past 99 % of the times …
_FUTURE_MIN_EVENTS = 10  # … in a log of at least 10 events
FUTURE_MIN_EVENTS = _FUTURE_MIN_EVENTS
#: No time is flagged future_timestamp past this horizon (a log too small to say).
NO_HORIZON = np.iinfo(np.int64).max


def future_bulk_position(n_events: int) -> int:
    """The position (from 0, in time order) of the time that ends the bulk of ``n_events`` times: 99 % of the way."""
    return int(0.99 * (n_events - 1))


def future_horizon(n_events: int, bulk_end: int, first: int) -> int:
    """The time (int64 ns) past which an event is flagged ``future_timestamp``: a year past the bulk's
    end (:func:`future_bulk_position`), or the bulk's own span past it if longer; :data:`NO_HORIZON`
    for a log of fewer than ``FUTURE_MIN_EVENTS`` events. Shared by :func:`validate` (the whole log)
    and the distributed log (the global pass)."""
    if n_events < _FUTURE_MIN_EVENTS:
        return NO_HORIZON
    return int(bulk_end) + max(_FUTURE_MARGIN_NS, int(bulk_end) - int(first))


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
    dayfirst: bool | None = None  # how day/month dates were read (None: there were none)
    day_first_seen: bool = False  # a first number above 12 was seen


def _parse_timestamps(values: pd.Series, rows: pd.Series, name: str, dayfirst: bool | None) -> _Parsed:
    """Timestamps as written → times. Text is parsed once per distinct value (a categorical's
    categories), by Arrow's strict ISO cast when every value is ISO (:func:`_iso_times`), else
    by Arrow with one format found on a sample (:func:`_parse_arrow`); values that format does
    not read go the general way (:func:`_parse_general`)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return _parse_categories(values, rows, name, dayfirst)
    if values.dtype != object or pd.api.types.infer_dtype(values, skipna=True) == "string":
        fast = _parse_arrow(values, rows, name, dayfirst)
        if fast is not None:
            return fast
    return _parse_general(values, rows, name, dayfirst)


def _parse_categories(values: pd.Series, rows: pd.Series, name: str, dayfirst: bool | None) -> _Parsed:
    """A categorical column: its used categories are parsed, then taken by the codes (each row's
    messages name the first row holding the value)."""
    codes = values.array.codes
    k = len(values.cat.categories)
    seen = np.zeros(k + 1, dtype=bool)
    seen[codes] = True  # (code -1 marks the extra last slot)
    used = np.flatnonzero(seen[:k])
    iso = _iso_categories(values.cat.categories.take(used))
    if iso is not None:  # every used value ISO: no row is named, none needs finding
        ns, absent = np.full(k + 1, NAT, dtype=np.int64), np.ones(k + 1, dtype=bool)
        ns[used], absent[used] = iso
        times = pd.Series(ns[codes].view("datetime64[ns]"), index=values.index, copy=False)
        return _Parsed(times, absent[codes], False, [], None, False)
    # A row holding each used value, for messages: written from the last row to the first, so
    # that (NumPy assigning in order) the first row holding it is the one left. One pass, no sort.
    holder = np.zeros(k + 1, dtype=np.int64)
    holder[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    first = holder[used]
    categories = pd.Series(values.cat.categories.take(used), copy=False).reset_index(drop=True)
    parsed = _parse_timestamps(categories, pd.Series(np.asarray(rows)[first]), name, dayfirst)
    position = np.full(len(values.cat.categories) + 1, -1, dtype=np.int64)
    position[used] = np.arange(len(used))
    pos = position[codes]  # (code -1 → the extra last slot → -1)
    times = pd.Series(parsed.times.array.take(pos, allow_fill=True), index=values.index, copy=False)
    missing = np.append(np.asarray(parsed.missing, dtype=bool), True)[pos]
    return _Parsed(times, missing, parsed.aware, parsed.notes, parsed.dayfirst, parsed.day_first_seen)


# Formats Arrow reads fast, each with the pattern a value must match to be taken as read
# (Arrow's strptime is lenient: it reads 31/02 as 3 March, a minute written "5", and second
# 60 as the next minute, where Python refuses it).
_FAST_FORMATS = {
    "iso": [("%Y-%m-%d %H:%M:%S", r"^\d{4}-\d{2}-(?P<d>\d{2}) \d{2}:\d{2}:[0-5]\d$"),
            ("%Y-%m-%dT%H:%M:%S", r"^\d{4}-\d{2}-(?P<d>\d{2})T\d{2}:\d{2}:[0-5]\d$"),
            ("%Y-%m-%d %H:%M", r"^\d{4}-\d{2}-(?P<d>\d{2}) \d{2}:\d{2}$"),
            ("%Y-%m-%dT%H:%M", r"^\d{4}-\d{2}-(?P<d>\d{2})T\d{2}:\d{2}$"),
            ("%Y-%m-%d", r"^\d{4}-\d{2}-(?P<d>\d{2})$")],
}
for _sep in "/.-":
    _e = re.escape(_sep)
    _FAST_FORMATS[f"dmy{_sep}"] = [
        (f"%d{_sep}%m{_sep}%Y %H:%M", rf"^(?P<d>\d{{1,2}}){_e}\d{{1,2}}{_e}\d{{4}} \d{{1,2}}:\d{{2}}$"),
        (f"%d{_sep}%m{_sep}%Y %H:%M:%S", rf"^(?P<d>\d{{1,2}}){_e}\d{{1,2}}{_e}\d{{4}} \d{{1,2}}:\d{{2}}:[0-5]\d$"),
        (f"%d{_sep}%m{_sep}%Y", rf"^(?P<d>\d{{1,2}}){_e}\d{{1,2}}{_e}\d{{4}}$"),
    ]
    _FAST_FORMATS[f"mdy{_sep}"] = [
        (f"%m{_sep}%d{_sep}%Y %H:%M", rf"^\d{{1,2}}{_e}(?P<d>\d{{1,2}}){_e}\d{{4}} \d{{1,2}}:\d{{2}}$"),
        (f"%m{_sep}%d{_sep}%Y %H:%M:%S", rf"^\d{{1,2}}{_e}(?P<d>\d{{1,2}}){_e}\d{{4}} \d{{1,2}}:\d{{2}}:[0-5]\d$"),
        (f"%m{_sep}%d{_sep}%Y", rf"^\d{{1,2}}{_e}(?P<d>\d{{1,2}}){_e}\d{{4}}$"),
    ]
_SAMPLE_TIMES = 2000


_THREADED_TIMES = 100_000  # values from which the two halves are read on two threads


def _strict_times(text, fmt: str, pattern: str):
    """``text`` (Arrow strings, trimmed) read with ``fmt``: int64 nanoseconds, null where the
    value does not match ``pattern``, names another day (31/02), or falls outside 1900–2200.

    Arrow's kernels let go of the GIL: from 100,000 values the two halves are read on two
    threads (a million distinct day-first times: 0.30 s → 0.16 s)."""
    import pyarrow as pa

    if len(text) < _THREADED_TIMES:
        return _strict_times_part(text, fmt, pattern)
    half = len(text) // 2
    parts = thread_map(lambda part: _strict_times_part(part, fmt, pattern), [text.slice(0, half), text.slice(half)])
    return pa.concat_arrays([chunk for part in parts
                             for chunk in (part.chunks if isinstance(part, pa.ChunkedArray) else [part])])


def _strict_times_part(text, fmt: str, pattern: str):
    import pyarrow as pa
    import pyarrow.compute as pc

    times = pc.strptime(text, format=fmt, unit="ns", error_is_null=True)
    day = pc.struct_field(pc.extract_regex(text, pattern), "d")
    same_day = pc.equal(pc.cast(day, pa.int64()), pc.day(times))
    year = pc.year(times)
    ok = pc.and_(same_day, pc.and_(pc.greater_equal(year, _MIN_YEAR), pc.less_equal(year, _MAX_YEAR)))
    return pc.if_else(ok, pc.cast(times, pa.int64()), None)


def _arrow_text(values: pd.Series):
    """Text times as trimmed Arrow strings: ``(text, present, present as NumPy)``, or None when
    they are not text or none is present (the general way then reads them)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        text = pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    text = pc.utf8_trim_whitespace(text)
    present = pc.fill_null(pc.not_equal(text, ""), False)
    present_np = present.to_numpy(zero_copy_only=False)
    return (text, present, present_np) if present_np.any() else None


def _iso_categories(categories: pd.Index) -> tuple[np.ndarray, np.ndarray] | None:
    """Distinct text times all read by :func:`_iso_times`: ``(int64 ns, absent)``, or None."""
    found = _arrow_text(pd.Series(categories, copy=False))
    if found is None:
        return None
    text, present, present_np = found
    ns = _iso_times(text, present)
    return None if ns is None else (ns, ~present_np)


_ISO_LENGTHS = (10, 16, 19)  # 2025-01-02, 2025-01-02 10:00, 2025-01-02 10:00:00 (or a T between)


def _iso_times(text, present) -> np.ndarray | None:
    """Every present value (Arrow strings, trimmed) read by Arrow's ISO-8601 cast, as int64
    nanoseconds (NaT where absent), or None: the way below then reads them.

    The cast is strict (it refuses 2025-02-31, hour 24, an offset in a naive type) and
    reads a million values in a few hundredths of a second, where the format search
    below checks each day with a pattern. It is taken only when each value is written
    as a date, a date and minutes or a date and seconds (their lengths), with years
    in 1900–2200: what the way below reads the same, with no note.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    kept = pc.if_else(present, text, pa.scalar(None, pa.string()))
    lengths = pc.fill_null(pc.utf8_length(kept), _ISO_LENGTHS[0])  # (an absent value: no length to check)
    if not pc.all(pc.is_in(lengths, value_set=pa.array(_ISO_LENGTHS, pa.int32()))).as_py():
        return None
    try:  # a sample first: a failing cast still reads every value (0.75 s on a million day-first dates)
        pc.cast(kept.slice(0, _SAMPLE_TIMES), pa.timestamp("ns"))
        times = pc.cast(kept, pa.timestamp("ns"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    span = pc.min_max(times)
    if span["min"].as_py() is not None and not (
            _MIN_YEAR <= span["min"].as_py().year and span["max"].as_py().year <= _MAX_YEAR):
        return None
    return np.array(pc.fill_null(pc.cast(times, pa.int64()), NAT).to_numpy(zero_copy_only=False), dtype=np.int64)


def _parse_arrow(values: pd.Series, rows: pd.Series, name: str, dayfirst: bool | None) -> _Parsed | None:
    """Naive text times read by Arrow with the format that reads a sample of them; the values it
    does not read go the general way. None when no format fits (offsets, Excel cells, …): the
    general way then reads the whole column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    found = _arrow_text(values)
    if found is None:
        return None
    text, present, present_np = found
    iso = _iso_times(text, present)
    if iso is not None:  # (the usual export: every time in one ISO form)
        return _Parsed(pd.Series(iso.view("datetime64[ns]"), index=values.index, copy=False), ~present_np,
                       False, [], None, False)
    sample = text.filter(present).slice(0, _SAMPLE_TIMES)
    families = ["iso"]
    if dayfirst is not False:
        families += ["dmy/", "dmy.", "dmy-"]
    if dayfirst is not True:
        families += ["mdy/", "mdy.", "mdy-"]
    best, best_hits = None, 0
    for family in families:
        for fmt, pattern in _FAST_FORMATS[family]:
            hits = _strict_times(sample, fmt, pattern).null_count
            hits = len(sample) - hits
            if hits > best_hits:
                best, best_hits = (family, fmt, pattern), hits
    if best is None:
        return None
    family, fmt, pattern = best
    order = {"dmy": True, "mdy": False}.get(family[:3])  # day/month order this format reads
    ns = _strict_times(text, fmt, pattern)
    read = ns.is_valid().to_numpy(zero_copy_only=False)
    t_ns = np.array(pc.fill_null(ns, NAT).to_numpy(zero_copy_only=False), dtype=np.int64)  # (writable)
    failed = present_np & ~read
    day_seen = order is True and bool(pc.any(pc.greater(pc.day(pc.cast(ns, pa.timestamp("ns"))), 12)).as_py())
    notes: list[str] = []
    decided = order
    if failed.any():
        idx = np.flatnonzero(failed)
        rest = _parse_general(pd.Series(text.take(pa.array(idx)).to_pylist(), dtype=object),
                              pd.Series(np.asarray(rows)[idx]), name, dayfirst)
        if rest.aware:
            return None  # offsets among naive times: the general way names one of each
        if order is not None and dayfirst is None and rest.dayfirst not in (None, order):
            return None  # both orders seen: the general way decides (or refuses) on every value
        day_seen = day_seen or rest.day_first_seen
        if order is None:
            decided = rest.dayfirst
            notes.extend(rest.notes)
        else:
            notes.extend(n for n in rest.notes if not n.startswith("dates like"))
        t_ns[idx] = rest.times.to_numpy(dtype="datetime64[ns]").view(np.int64)
    if dayfirst is None and order is True and not day_seen:
        notes.append(_NOTE_DAY_FIRST)
    elif dayfirst is None and order is False:
        notes.append(_NOTE_MONTH_FIRST)
    times = pd.Series(t_ns.view("datetime64[ns]"), index=values.index, copy=False)
    return _Parsed(times, ~present_np, False, notes, decided, day_seen)


_NOTE_DAY_FIRST = ("dates like 01/02/2025 read day-first (1 February), the French convention; "
                   "pass dayfirst=False if the file is month-first")
_NOTE_MONTH_FIRST = "dates like 01/02/2025 read month-first (a day above 12 was seen second)"
#: The notes saying how day/month dates were read when nobody said (the distributed log decides once).
DAY_ORDER_NOTES = {True: _NOTE_DAY_FIRST, False: _NOTE_MONTH_FIRST}


def _parse_general(values: pd.Series, rows: pd.Series, name: str, dayfirst: bool | None) -> _Parsed:
    """Every form the loader reads, value by value: Excel cells, offsets, ISO, day/month text."""
    notes: list[str] = []
    decided, day_first_seen = None, False  # (set where day/month text is read)
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
                    notes.append(_NOTE_MONTH_FIRST)
                else:
                    dayfirst = True
                    if not day_first_seen:
                        notes.append(_NOTE_DAY_FIRST)
            day, month = (a, b) if dayfirst else (b, a)
            decided, day_first_seen = bool(dayfirst), bool((a > 12).any())
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
    return _Parsed(out, missing, aware, notes, decided, day_first_seen)


def _to_unit(times: pd.Series, unit: str) -> pd.Series:
    """Times as nanoseconds; years outside 1900–2200 become NaT first (e.g. 9999-12-31 would overflow)."""
    low, high = times.min(), times.max()
    if pd.isna(low) or (_MIN_YEAR <= low.year and high.year <= _MAX_YEAR):  # the usual case: one pass
        return times.astype(unit)
    years = times.dt.year
    far = (years.notna() & ~years.between(_MIN_YEAR, _MAX_YEAR)).to_numpy(dtype=bool)
    if not far.any():
        return times.astype(unit)
    out = pd.Series(pd.NaT, index=times.index, dtype=unit)
    out[~far] = times[~far].astype(unit).to_numpy()
    return out


# --------------------------------------------------------------------------- validate
def validate(
    raw: RawLog | pd.DataFrame,
    process: ProcessModel = CARTE_VITALE,
    *,
    as_of=None,
    dayfirst: bool | None = None,
) -> CaseLog:
    """Clean, type and sort raw events; count and list every problem.

    Parameters
    ----------
    raw : RawLog or DataFrame
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
    return _validate(RawLog.of(raw), process, as_of=as_of, dayfirst=dayfirst, allow_empty=False, stacklevel=3)


def validate_part(raw: RawLog | pd.DataFrame, process: ProcessModel = CARTE_VITALE, *, as_of=None,
                  horizon: int | None = None, nir: tuple[list[str], list[str]] | None = None) -> CaseLog:
    """:func:`validate` for one part of a larger log (a batch of whole cases).

    A part may lose every row (its CaseLog then has no events) and no warning
    is given: the caller reports once for the whole log. ``horizon`` (int64
    ns, see :func:`future_horizon`), when given, is the whole log's: times past
    it are flagged ``future_timestamp`` instead of by the part's own times.
    ``nir``, when given, is the whole log's decision on which columns hold
    social security numbers (:func:`~vitale_analysis.privacy.nir_columns`):
    ``(declared not_personal columns holding them, event columns holding them)``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return _validate(RawLog.of(raw), process, as_of=as_of, dayfirst=None, allow_empty=True, stacklevel=3,
                         horizon=horizon, nir=nir)


def day_order(values: pd.Series, name: str = "log") -> tuple[bool | None, bool]:
    """How timestamps as written read day/month dates: ``(dayfirst, a_day_above_12_was_seen_first)``
    (``dayfirst`` None: no such date). The distributed log asks each partition, then decides once."""
    parsed = _parse_timestamps(values.reset_index(drop=True), pd.Series(np.arange(1, len(values) + 1)), name, None)
    return parsed.dayfirst, bool(parsed.day_first_seen)


def _validate(raw: RawLog, process: ProcessModel, *, as_of, dayfirst, allow_empty: bool, stacklevel: int,
              horizon: int | None = None, nir: tuple[list[str], list[str]] | None = None) -> CaseLog:
    name = raw.source
    if dayfirst is None:
        dayfirst = raw.dayfirst
    require_columns(raw.frame, REQUIRED_COLUMNS, name, {})
    malformed = list(raw.malformed_rows)
    notes = list(raw.notes)

    frame = raw.frame.reset_index(drop=True)  # the rows as read (copy-on-write: nothing is copied)
    if "row" not in frame.columns:
        frame = frame.assign(row=np.arange(1, len(frame) + 1))
    n_in = len(frame)
    rows = frame["row"].to_numpy()
    not_personal, unmasked = _not_personal(frame, raw.not_personal, name, notes, stacklevel + 1,
                                           holding=nir[0] if nir is not None else None)
    rows_read = n_in + len(malformed)
    failures: list[pd.DataFrame] = []
    aside: list[tuple[np.ndarray, str]] = []
    alive = np.ones(n_in, dtype=bool)

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
                        f"{m['value']}" if "fields" in m else (
                            f"line {m['line']}: {m['value']}" if m.get("line") is not None else str(m["value"]))
                        for m in malformed
                    ],
                }
            )
        )

    # Text columns as codes: only their distinct values are trimmed and compared.
    case_codes, case_cats = text_codes(frame["case_id"], sort=True)
    event_codes, event_cats = text_codes(frame["event"])
    if "trigger" in frame.columns:
        trig_codes, trig_cats = text_codes(frame["trigger"])
    else:
        trig_codes, trig_cats = np.full(n_in, -1, dtype=np.int32), pd.Index([], dtype="string")

    def raw_text(column: str, idx: np.ndarray) -> pd.Series:
        return frame[column].iloc[idx].astype("string").str.strip()

    def set_aside(mask: np.ndarray, check: str, column: str, value) -> None:
        hit = mask & alive
        if not hit.any():
            return
        idx = np.flatnonzero(hit)
        failures.append(_failure_rows(idx, rows, case_codes, case_cats, column, check, value))
        aside.append((idx, check))
        alive[idx] = False

    set_aside(case_codes < 0, "empty_case_id", "case_id", lambda idx: raw_text("case_id", idx).to_numpy())
    set_aside(event_codes < 0, "empty_event", "event", lambda idx: raw_text("event", idx).to_numpy())
    if raw.lifecycle in (None, "complete"):
        not_complete, life_notes = _not_complete(frame, event_codes, event_cats, alive, raw.lifecycle)
        notes.extend(life_notes)
        set_aside(not_complete, "lifecycle_not_complete", LIFECYCLE_COLUMN,
                  lambda idx: raw_text(LIFECYCLE_COLUMN, idx).to_numpy())

    # Timestamps, as int64 nanoseconds (naive local time, or UTC).
    everyone = bool(alive.all())  # (the usual case: no row lost so far, nothing to gather)
    live = None if everyone else np.flatnonzero(alive)
    raw_times = frame["timestamp"] if everyone else frame["timestamp"].iloc[live]
    parsed = _parse_timestamps(raw_times.reset_index(drop=True),
                               pd.Series(rows if everyone else rows[live], copy=False), name, dayfirst)
    notes.extend(parsed.notes)
    times = parsed.times.dt.tz_localize(None) if parsed.aware else parsed.times
    if everyone:  # (never written to below)
        t_ns = times.to_numpy(dtype="datetime64[ns]").view(np.int64)
        missing = np.asarray(parsed.missing, dtype=bool)
    else:
        t_ns = np.full(n_in, NAT, dtype=np.int64)
        t_ns[live] = times.to_numpy(dtype="datetime64[ns]").view(np.int64)
        missing = np.zeros(n_in, dtype=bool)
        missing[live] = parsed.missing
    set_aside(missing, "missing_timestamp", "timestamp",
              lambda idx: frame["timestamp"].iloc[idx].astype("string").fillna("").to_numpy())
    unread = (t_ns == NAT) & ~missing
    if dayfirst is not None and unread.any():
        notes.extend(_day_order_note(frame["timestamp"].iloc[np.flatnonzero(unread)], rows[unread], name, dayfirst))
    set_aside(t_ns == NAT, "unparseable_timestamp", "timestamp",
              lambda idx: frame["timestamp"].iloc[idx].astype("string").to_numpy())

    def time_text(idx: np.ndarray) -> np.ndarray:
        return _times_text(t_ns[idx], parsed.aware)

    # Order: by case, time, the process order of events at the same time, then source row.
    vocabulary = list(process.vocabulary)
    rank_of = {e: i for i, e in enumerate(vocabulary)}
    event_rank = np.array([rank_of.get(e, len(vocabulary)) for e in event_cats], dtype=np.int64)
    if alive.all():  # nothing set aside yet: no need to gather the live rows
        order, c_s, t_s = sort_order(case_codes, t_ns, event_codes, event_rank, rows, with_keys=True)
    else:
        live = np.flatnonzero(alive)
        order, c_s, t_s = sort_order(case_codes[live], t_ns[live], event_codes[live], event_rank, rows[live],
                                     with_keys=True)
        order = live[order]
    # (c_s, t_s: the case codes and times in that order)

    # A log already in case/time order (the usual export) keeps its rows where they are:
    # the kept rows are then taken by a mask (a sequential pass), not gathered by position.
    in_file_order = len(order) < 2 or bool((order[1:] > order[:-1]).all())

    # Exact duplicates (every column but the row number; the first copy is kept) share
    # case and time, so only rows tied on both are compared.
    tied = np.zeros(len(order), dtype=bool)
    if len(order) > 1:
        pair = (c_s[1:] == c_s[:-1]) & (t_s[1:] == t_s[:-1])
        tied[1:] |= pair
        tied[:-1] |= pair
    if tied.any():
        cand = np.sort(order[tied])  # file order: the first copy is the one kept
        content = {"case_id": case_codes[cand], "timestamp": t_ns[cand], "event": event_codes[cand],
                   "trigger": trig_codes[cand]}
        for column in frame.columns:
            if column not in content and column != "row":
                values = frame[column]  # (a categorical's codes: equal codes, equal values)
                content[column] = (values.array.codes[cand] if isinstance(values.dtype, pd.CategoricalDtype)
                                   else values.iloc[cand].to_numpy())
        dup = np.zeros(n_in, dtype=bool)
        dup[cand[pd.DataFrame(content).duplicated(keep="first").to_numpy()]] = True
        set_aside(dup, "duplicate_row", "(whole row)", lambda idx: labels(event_codes[idx], event_cats))

    if as_of is not None:
        cut = AsOf.parse(as_of, aware=parsed.aware)
        set_aside(~cut.keeps(t_ns) & (t_ns != NAT), "after_as_of", "timestamp", time_text)

    if rows_read == 0:
        raise CaseLogError(
            f"{name}: no usable rows: the file has a header but no data rows. Export the case log again with its rows."
        )
    kept_sorted = alive[order]  # (which of c_s, t_s are kept: they need no gather)
    if in_file_order:  # the kept rows, in order, are exactly the rows still alive
        positions = alive
        n_kept = int(np.count_nonzero(alive))
    else:
        order = order[kept_sorted]
        positions = order
        n_kept = len(order)

    if n_kept == 0 and not allow_empty:  # (batches: a batch may lose every row)
        reasons = pd.concat(failures)["check"].value_counts().to_dict() if failures else {}
        raise CaseLogError(
            f"{name}: no usable rows: all {rows_read:,} rows were set aside ({reasons}). "
            "Check the column mapping, the date format and the as_of date."
        )

    # The kept events, typed, in order.
    kept_codes, t = take_all([c_s, t_s], kept_sorted)
    runs = case_runs(kept_codes)  # (kept rows are in case order)
    c, used, case_starts = runs if runs is not None else (*drop_unused(kept_codes), None)
    del kept_codes
    case_cats = case_cats[used]
    n_cases = len(case_cats)
    notes.extend(lookalike_note(case_cats))
    # The other columns' kept rows, in order, all gathered at once (two at a time on threads):
    # categoricals and NumPy-backed columns (numbers, booleans, naive times) through their
    # arrays, the rest through pandas.
    others = [column for column in frame.columns if column not in _CORE_COLUMNS]
    arrays = {}
    for column in others:
        values = frame[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            arrays[column] = values.array.codes
        elif isinstance(values.dtype, np.dtype) and values.dtype != object:
            arrays[column] = values.to_numpy()
    ev_kept, tr_kept, out_rows, *taken = take_all([event_codes, trig_codes, rows, *arrays.values()], positions)
    taken = dict(zip(arrays, taken))
    trigger_names = list(process.triggers)
    ev_final, ev_names = _recode(ev_kept, event_cats, vocabulary)
    tr_final, tr_names = _recode(tr_kept, trig_cats, trigger_names)
    del ev_kept, tr_kept
    columns_out = {
        "case_id": distinct_categorical(c, case_cats),  # (distinct: text_codes sorted them strictly)
        "event": pd.Categorical.from_codes(ev_final, categories=ev_names),
        "timestamp": from_ns(t, parsed.aware),
        "trigger": pd.Categorical.from_codes(tr_final, categories=tr_names),
    }
    for column in others:
        values = frame[column]
        if column not in taken:
            columns_out[column] = (values[alive] if in_file_order else values.take(order)).reset_index(drop=True)
        elif isinstance(values.dtype, pd.CategoricalDtype):
            columns_out[column] = pd.Series(pd.Categorical.from_codes(taken[column], dtype=values.dtype,
                                                                      validate=False))
        else:
            columns_out[column] = pd.Series(taken[column], dtype=values.dtype, copy=False)
    del taken
    columns_out["row"] = pd.Series(out_rows, copy=False)  # (an ndarray would be copied)
    # One frame from every column at once: inserting them one by one is quadratic in their
    # number (a header of 9,000 columns took 80 s). The arrays are fresh: no copy.
    events = pd.DataFrame(columns_out, copy=False)

    flagged: list[pd.DataFrame] = []

    def flag(mask: np.ndarray, check: str, column: str, value) -> None:
        if not np.any(mask):
            return
        flagged.append(_failure_rows(np.flatnonzero(mask), out_rows, c, case_cats, column, check, value))

    flag(ev_final >= len(vocabulary), "unknown_event", "event", lambda idx: labels(ev_final[idx], ev_names))
    flag(tr_final >= len(trigger_names), "unknown_trigger", "trigger", lambda idx: labels(tr_final[idx], tr_names))

    if case_starts is None:
        case_starts = run_starts(c)
    same_case = np.ones(len(c), dtype=bool)
    same_case[case_starts] = False
    tie = same_case.copy()
    tie[1:] &= (t[1:] == t[:-1]) & (ev_final[1:] != ev_final[:-1])
    # A time far beyond nearly all others (one typo year) would become the default as-of.
    # The bulk: the times up to 99 % of the way along. Past it by more than a year, or than the
    # bulk's own span if longer (a log of several years may resume after a long pause), a time
    # is implausible. Too few events say nothing: at least _FUTURE_MIN_EVENTS.
    plausible_end = None
    if horizon is None and len(t) >= _FUTURE_MIN_EVENTS:
        k = future_bulk_position(len(t))
        horizon = future_horizon(len(t), int(np.partition(t, k)[k]), int(t.min()))
    if horizon is not None and horizon != NO_HORIZON and len(t):  # (given: the distributed log's global pass)
        future = t > horizon
        if future.any():
            flag(future, "future_timestamp", "timestamp", lambda idx: _times_text(t[idx], parsed.aware))
            plausible_end = from_ns(np.array([t[~future].max()]), parsed.aware)[0]
    flag(tie, "same_time_tie", "timestamp",
         lambda idx: (pd.Series(labels(ev_final[idx - 1], ev_names)) + " and " + pd.Series(labels(ev_final[idx], ev_names))
                      + " at " + pd.Series(_times_text(t[idx], parsed.aware), dtype="string")).to_numpy())

    # Per case, the row where it first reaches each milestone (-1: never), and its last milestone row.
    first_row, _ = milestone_rows(c, n_cases, ev_final, ev_names, process.milestones)

    start = process.milestones[0]
    has_start = first_row[:, 0] >= 0
    flag(~same_case & ~has_start[c], "no_start_milestone", "event", lambda idx: [f"no {start}"] * len(idx))

    mask, culprit_text = _order_violation_rows(first_row, t, len(c), process)
    flag(mask, "order_violation", "event", culprit_text)

    events, attr_flags, case_attributes = _type_attributes(events, c, case_starts, n_cases, raw.case_attributes)
    for mask, check, column, value in attr_flags:
        flag(mask, check, column, value)

    # Social security numbers: a 15-character number's key must match (13 have none).
    for column in (nir[1] if nir is not None else nir_columns(events.drop(columns=["row"]))):
        values = events[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            wrong_cat = np.array([nir_key_ok(v) is False for v in values.cat.categories], dtype=bool)
            codes = values.array.codes
            bad = (codes >= 0) & np.append(wrong_cat, False)[codes]
        else:
            text = values.astype("string")
            wrong = [v for v in text.dropna().unique() if nir_key_ok(v) is False]  # once per distinct number
            bad = text.isin(wrong).fillna(False).to_numpy(dtype=bool)
        flag(bad, "nir_bad_key", column,
             lambda idx, values=values: mask_identifiers(values.iloc[idx].astype("string")).to_numpy())

    if "note" in events.columns:
        events["note"] = events["note"].astype("string")
    ordered = [col for col in CANONICAL_COLUMNS if col in events.columns]
    events = events[ordered + [col for col in events.columns if col not in ordered and col != "row"] + ["row"]]

    all_failures = failures + flagged
    if all_failures:
        table = pd.concat(all_failures, ignore_index=True)
    else:
        table = pd.DataFrame(columns=FAILURE_COLUMNS[:-1])
    table["action"] = table["check"].map({check: action for check, (action, *_) in CHECKS.items()})
    # Never a full social security number in the report (see privacy.py).
    # (Save the numbers of the columns declared not personal: see _not_personal.)
    table["case_id"] = mask_identifiers(table["case_id"].astype("string"),
                                        unmasked if "case_id" in not_personal else ())
    table["value"] = mask_identifiers(table["value"].astype("string"), unmasked)
    table = table[FAILURE_COLUMNS].astype(
        {"row": "Int64", "case_id": "string", "column": "string", "check": "string", "value": "string",
         "action": "string"}
    )
    table = table.sort_values(["row", "check"], kind="mergesort").reset_index(drop=True)

    set_aside_counts = {k: int(v) for k, v in table.loc[table["action"] == "set aside", "check"].value_counts().items()}
    aside_parts = [frame.iloc[idx].assign(reason=check) for idx, check in aside]
    if malformed:
        aside_parts.append(pd.DataFrame({"row": [m["row"] for m in malformed], "reason": "malformed_row",
                                         "raw_text": [m["value"] for m in malformed]}))
    aside_rows = (
        pd.concat([_as_objects(p) for p in aside_parts], ignore_index=True).sort_values("row", kind="mergesort")
        .reset_index(drop=True)
        if aside_parts else pd.DataFrame(columns=["row", "reason"])
    )
    aside_positions = np.concatenate([idx for idx, _ in aside]) if aside else np.zeros(0, dtype=np.int64)
    for column in aside_rows.columns:
        if column not in ("row", "reason") and aside_rows[column].dtype == object and (
                column not in frame.columns or _may_hold_nir(frame[column], aside_positions)):
            aside_rows[column] = mask_identifiers(aside_rows[column],
                                                  unmasked if column in (*not_personal, "raw_text") else ())
    notes.extend(unknown_label_notes(table, process, raw.labels))
    span = from_ns(np.array([t.min(), t.max()]), parsed.aware) if len(t) else [None, None]
    report = QualityReport(
        source=name,
        rows_read=rows_read,
        rows_kept=len(events),
        set_aside=set_aside_counts,
        failures=table,
        set_aside_rows=aside_rows,
        n_cases=n_cases,
        first_event=span[0],
        last_event=span[1],
        time_zone="UTC (converted from offsets)" if parsed.aware else "naive (local wall-clock time)",
        notes=notes,
        plausible_end=plausible_end,
        not_personal=not_personal,
        unmasked=unmasked,
    )
    assert report.rows_read == report.rows_kept + report.n_set_aside, "row accounting broken"
    if report.n_set_aside:
        warnings.warn(
            f"{name}: {report.n_set_aside:,} of {rows_read:,} rows set aside "
            f"({', '.join(f'{k}: {v}' for k, v in set_aside_counts.items())}); see .quality.",
            DataQualityWarning,
            stacklevel=stacklevel,  # the user's line, through load() too
        )
    return CaseLog(events=events, quality=report, process=process, case_attributes=case_attributes,
                   labels=raw.labels)


def _not_complete(frame: pd.DataFrame, event_codes: np.ndarray, event_cats: pd.Index, alive: np.ndarray,
                  chosen: str | None) -> tuple[np.ndarray, list[str]]:
    """The rows whose lifecycle transition is written and is not ``complete`` (any case), and the
    note saying what setting them aside means (None: no setting was chosen, so say how to choose)."""
    found = lifecycle_codes(frame)
    if found is None:
        note = (["lifecycle = \"complete\": the log has no 'lifecycle:transition' column, so every event is kept"]
                if chosen == "complete" else [])
        return np.zeros(len(frame), dtype=bool), note
    codes, cats = found
    other = np.array([str(c).strip().casefold() != "complete" for c in cats], dtype=bool)
    mask = (codes >= 0) & np.append(other, False)[codes] & alive
    if not mask.any():
        return mask, []
    per_transition = pd.Series(np.asarray(cats, dtype=object)[codes[mask]]).value_counts()
    counts = ", ".join(f"{name}: {n:,}" for name, n in per_transition.items())
    n = int(np.count_nonzero(mask))
    # Activities with no event left at all (seen only scheduled, say) vanish from the analysis: name them.
    n_names = len(event_cats) + 1  # (code -1, no name, counted last)
    kept = np.bincount(widen(event_codes[alive & ~mask]) % n_names, minlength=n_names)[:-1] > 0
    dropped = np.bincount(widen(event_codes[mask]) % n_names, minlength=n_names)[:-1] > 0
    gone = sorted(str(event_cats[k]) for k in np.flatnonzero(dropped & ~kept))
    gone_text = (f"; {len(gone)} {'activity has' if len(gone) == 1 else 'activities have'} no complete event and "
                 f"so no event left: {', '.join(repr(g) for g in gone[:10])}{' …' if len(gone) > 10 else ''}"
                 if gone else "")
    if chosen == "complete":
        return mask, [(f"lifecycle = \"complete\": {n:,} {'event' if n == 1 else 'events'} with another "
                       f"lifecycle transition set aside ({counts}){gone_text}")]
    how = fix_for('set lifecycle = "all" (each event under its activity\'s name) or "name+lifecycle" (each '
                  'transition its own step, e.g. \'W_Completeren aanvraag+START\') in the mapping, or pass '
                  'lifecycle="all" or lifecycle="name+lifecycle" to load() / read_caselog(); lifecycle="complete" '
                  'states this choice (a shorter note)',
                  'set lifecycle = "all" (each event under its activity\'s name) or "name+lifecycle" (each '
                  'transition its own step, e.g. \'W_Completeren aanvraag+START\') in the mapping file given with '
                  '--mapping; lifecycle = "complete" states this choice (a shorter note)')
    return mask, [(f"LIFECYCLE: the log has lifecycle transitions other than complete and no lifecycle setting "
                   f"was chosen, so by default only complete events are kept (a step counts when it completes): "
                   f"{n:,} {'event' if n == 1 else 'events'} set aside as lifecycle_not_complete ({counts})"
                   f"{gone_text}. To keep them, {how}")]
def _not_personal(frame: pd.DataFrame, declared: tuple[str, ...], name: str, notes: list[str],
                  stacklevel: int, holding: list[str] | None = None) -> tuple[tuple[str, ...], frozenset[str]]:
    """The columns declared not personal that are honoured, and their numbers that may be shown in full.

    Privacy first: a declared column that holds NIRs (its keys say so, :func:`nir_columns`)
    is not honoured: a warning and a note say so and every number in it stays masked. In
    the other declared columns, a number that passes the NIR key (a real NIR, or an id with
    the right key by chance, once in 97) stays masked and a note counts them.
    """
    missing = [c for c in declared if c not in frame.columns or c == "row"]
    if missing:
        raise CaseLogError(
            f"{name}: not_personal names column(s) {missing} that the log does not have. Columns are: "
            f"{[c for c in frame.columns if c != 'row']}. Fix: use these names in not_personal."
        )
    if not declared:
        return (), frozenset()
    holding_nirs = set(nir_columns(frame[list(declared)]) if holding is None else holding)
    shown: set[str] = set()
    honoured = []
    for column in declared:
        numbers, n_real = shown_numbers(frame[column])
        if column in holding_nirs:
            message = (f"{name}: column {column!r} is declared not_personal but holds social security numbers "
                       f"({n_real:,} distinct values with a valid NIR key): it is personal data and stays masked "
                       f"everywhere. Fix: remove {column!r} from not_personal, or pseudonymise the column.")
            notes.append(message)
            warnings.warn(message, DataQualityWarning, stacklevel=stacklevel)
            continue
        if n_real:
            notes.append(f"not_personal: {n_real:,} distinct value(s) of column {column!r} pass the social security "
                         "number's key check (real NIRs, or ids with the right key by chance): they stay masked; "
                         "the column's other values are shown in full")
        shown |= numbers
        honoured.append(column)
    return tuple(honoured), frozenset(shown)


def lookalike_key(text: str) -> str:
    """What a case id looks like: Unicode compatibility form (full-width ``Ａ１`` → ``A1``),
    invisible characters (zero-width space, soft hyphen, …) removed."""
    import unicodedata

    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if unicodedata.category(ch) != "Cf")


def lookalike_note(case_ids: pd.Index, shown: int = 10) -> list[str]:
    """A note naming case ids that differ only in how they are written (they are counted as
    separate dossiers). Only ids with a non-ASCII character are looked at (checked in Arrow)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(case_ids):
        return []
    try:
        arr = pa.array(case_ids, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return []
    odd = np.flatnonzero(~pc.fill_null(pc.string_is_ascii(arr), True).to_numpy(zero_copy_only=False))
    if not len(odd):
        return []
    groups: dict[str, set[str]] = {}
    for text in arr.take(pa.array(odd)).to_pylist():
        groups.setdefault(lookalike_key(text), set()).add(text)
    present = pd.Index(case_ids).get_indexer(list(groups))  # the plain form, if the log has it
    for key, position in zip(list(groups), present):
        if position >= 0:
            groups[key].add(key)
    alike = [sorted(group) for group in groups.values() if len(group) > 1]
    if not alike:
        return []
    described = "; ".join(" / ".join(repr(_visible(v)) for v in group) for group in alike[:shown])
    more = f" and {len(alike) - shown:,} more" if len(alike) > shown else ""
    return [f"{len(alike):,} group(s) of case ids differ only in how they are written (full-width "
            f"characters, an invisible character, another Unicode form) and count as separate dossiers: "
            f"{described}{more}. Fix: correct the ids in the source file."]


def _visible(text: str) -> str:
    """``text`` with invisible characters shown as ``<U+200B>``."""
    import unicodedata

    return "".join(f"<U+{ord(ch):04X}>" if unicodedata.category(ch) == "Cf" else ch for ch in text)


def _as_objects(part: pd.DataFrame) -> pd.DataFrame:
    """``part.astype(object)``, but a categorical column's values are made from its codes:
    pandas would first turn every category into a Python object (a million case ids for a
    few set-aside rows)."""
    columns = {}
    for column in part.columns:
        values = part[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes = values.array.codes
            out = np.full(len(codes), np.nan, dtype=object)
            out[codes >= 0] = np.asarray(values.cat.categories.take(codes[codes >= 0]), dtype=object)
            columns[column] = out
        else:
            columns[column] = values.astype(object).to_numpy()
    return pd.DataFrame(columns, index=part.index, columns=part.columns, dtype=object)


def _may_hold_nir(values: pd.Series, positions: np.ndarray) -> bool:
    """False when no value of a column as read, at these positions, can be a
    social-security-like number: times and booleans (their text never has 13 digits in
    a row), or a categorical whose values there include none (each distinct value is
    checked once, not each row)."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):  # (first: is_bool_dtype of a categorical is deprecated)
        codes = values.array.codes[positions]
        categories = pd.Series(values.cat.categories[np.unique(codes[codes >= 0])], dtype=object)
        return mask_identifiers(categories) is not categories
    return not (pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))


def _day_order_note(unread: pd.Series, rows: np.ndarray, name: str, dayfirst: bool) -> list[str]:
    """When the day/month order was given and most of the times it could not read are read the
    other way, the note that says so and names the fix (the times it did read may be swapped too)."""
    other = _parse_timestamps(unread.reset_index(drop=True), pd.Series(rows, copy=False), name, not dayfirst)
    read = ~np.isnat(other.times.to_numpy(dtype="datetime64[ns]")) & ~np.asarray(other.missing, dtype=bool)
    if 2 * int(read.sum()) <= len(unread):
        return []
    example = str(unread.iloc[int(np.flatnonzero(read)[0])]).strip()
    given, wanted = ("day", "month") if dayfirst else ("month", "day")
    return [f"{int(read.sum()):,} of the {len(unread):,} timestamps that could not be read {given}-first read "
            f"{wanted}-first (e.g. {example!r}): the file's dates look {wanted}-first, and the dates that were "
            f"read may have day and month swapped. Fix: dayfirst = {str(not dayfirst).lower()} in the mapping file"
            + fix_for(f" (or dayfirst={not dayfirst})", " (--mapping FILE)")
            + ", or leave dayfirst out to let the dates decide."]


#: Unknown labels named one by one in the quality notes (the most frequent first); the rest are counted.
UNKNOWN_LABELS_SHOWN = 10


def unknown_labels(failures: pd.DataFrame, process: ProcessModel, own: Mapping | None = None, *,
                   limit: int | None = None) -> pd.DataFrame:
    """The event and trigger labels the process model does not know, most rows first: ``column``
    (``event`` or ``trigger``), ``label``, ``rows`` and ``closest`` (up to three known names, compared
    with the model's codes, its English and French labels and the mapping's own labels: case, accents
    and punctuation loosely ignored); past the first ``limit`` labels of a column, ``closest`` is empty."""
    own = own or {}
    out = []
    for check, column in (("unknown_event", "event"), ("unknown_trigger", "trigger")):
        counts = failures.loc[failures["check"] == check, "value"].value_counts()
        if counts.empty:
            continue
        codes = process.vocabulary if column == "event" else tuple(process.triggers)
        written: dict[str, str] = {}  # a way a label may be written → its code
        for code in codes:
            texts = [code, code.replace("_", " ")]
            if column == "event":
                texts += [i18n.event_label(code, lang) for lang in i18n.LANGUAGES]
            else:
                texts += [process.triggers[code].label_in(lang) for lang in i18n.LANGUAGES]
            texts += [str(own[column][code])] if code in own.get(column, {}) else []
            for text in texts:
                written.setdefault(text, code)
        for i, (value, n) in enumerate(counts.items()):
            close = ([] if limit is not None and i >= limit else
                     list(dict.fromkeys(written[text] for text in closest_names(value, written, n=6)))[:3])
            out.append({"column": column, "label": str(value), "rows": int(n), "closest": tuple(close)})
    return pd.DataFrame(out, columns=["column", "label", "rows", "closest"])


def unknown_label_notes(failures: pd.DataFrame, process: ProcessModel, own: Mapping) -> list[str]:
    """A note per event or trigger label the process model does not know (:func:`unknown_labels`):
    how many rows have it, the closest known names and the fix."""
    notes = []
    found = unknown_labels(failures, process, own, limit=UNKNOWN_LABELS_SHOWN)
    for column, kind, check in (("event", "step", "unknown_event"), ("trigger", "delay trigger", "unknown_trigger")):
        mine = found[found["column"] == column]
        if mine.empty:
            continue

        def named(code: str) -> str:
            label = i18n.event_label(code, "en") if column == "event" else process.triggers[code].label_in("en")
            return f"{code} ({label})"

        for rec in mine.head(UNKNOWN_LABELS_SHOWN).itertuples(index=False):
            close, value, n = list(rec.closest), rec.label, rec.rows
            hint = "closest known: " + ", ".join(map(named, close)) if close else "nothing close in the model"
            example = f", e.g. {toml_string(value)} = {toml_string(close[0])}" if close else ""
            notes.append(f"{column} {value!r}: {i18n.count(n, 'row', 'en')}, not a {kind} of the process model "
                         f"{process.name!r}; {hint}. Fix: add it to the mapping's [values.{column}] table{example}, "
                         f"or correct the file.")
        if len(mine) > UNKNOWN_LABELS_SHOWN:
            rest = len(mine) - UNKNOWN_LABELS_SHOWN
            where = fix_for(f".failures lists every row, check {check!r}", "--details lists every row")
            notes.append(f"... and {rest:,} more unknown {column} {'label' if rest == 1 else 'labels'} ({where}).")
    return notes


def _failure_rows(idx: np.ndarray, rows: np.ndarray, case_codes: np.ndarray, case_cats, column: str, check: str,
                  value) -> pd.DataFrame:
    """Rows of the failure table for the positions ``idx``: source row, case id, column, check, ``value(idx)``."""
    return pd.DataFrame(
        {
            "row": rows[idx],
            "case_id": labels(case_codes[idx], case_cats),
            "column": column,
            "check": check,
            "value": pd.array(np.asarray(value(idx), dtype=object), dtype="string"),
        }
    )


def _times_text(ns: np.ndarray, aware: bool) -> np.ndarray:
    """Each time as text, whatever the others: pandas would drop the time of day when every value
    is at midnight, and show fractions on all when one has one, so that a part of a log would
    write a time otherwise than the whole log does."""
    ns = np.asarray(ns, dtype=np.int64)
    out = np.char.replace(np.datetime_as_string(ns.view("datetime64[ns]").astype("datetime64[s]")), "T", " ")
    out = out.astype(object)
    if aware:
        out = out + "+00:00"
    fraction = (ns % 10**9 != 0) & (ns != NAT)
    for i in np.flatnonzero(fraction):  # (rare: exports write whole seconds)
        out[i] = str(from_ns(ns[i:i + 1], aware)[0])
    out[ns == NAT] = pd.NA
    return pd.array(out, dtype="string").to_numpy()


def _recode(codes: np.ndarray, cats: pd.Index, known: list[str]) -> tuple[np.ndarray, list[str]]:
    """Codes into ``known`` + the unknown names actually used (sorted); -1 stays missing."""
    position = {name: i for i, name in enumerate(known)}
    outside = [i for i, name in enumerate(cats) if name not in position]
    unknown = []
    if outside:  # only unknown names need a look at the rows (the usual log has none)
        seen = np.zeros(len(cats) + 1, dtype=bool)
        seen[codes] = True  # code -1 marks the extra last slot
        unknown = sorted(str(cats[i]) for i in outside if seen[i])
    names = list(known) + unknown
    position.update({name: len(known) + i for i, name in enumerate(unknown)})
    # (8-bit codes for a vocabulary of a few dozen names: the width pandas keeps them in)
    lookup = np.array([position.get(name, -1) for name in cats] + [-1], dtype=code_width(len(names)))
    return lookup[codes], names


def _order_violation_rows(first_row: np.ndarray, t: np.ndarray, n_rows: int, process: ProcessModel):
    """Rows of milestones first reached before an earlier milestone's first time, and their text.

    ``first_row``: per case, the row where it first reaches each milestone (-1: never).
    """
    mask = np.zeros(n_rows, dtype=bool)
    # Rows are time-sorted within a case: a case whose first milestone rows come in
    # process order has no violation; only cases where the order goes back are
    # checked on their times.
    suspects = np.flatnonzero(order_violation_counts(first_row, -1))
    if not len(suspects):
        return mask, lambda idx: []
    first_row = first_row[suspects]
    times = np.where(first_row >= 0, t[first_row], NAT)
    viol, culprit = order_violations(times, NAT)
    if not viol.any():
        return mask, lambda idx: []
    cases_idx, m_idx = np.nonzero(viol)
    text_of_row = dict(zip(
        first_row[cases_idx, m_idx].tolist(),
        (f"{process.milestones[m]} before {process.milestones[k]}"
         for m, k in zip(m_idx, culprit[cases_idx, m_idx])),
    ))
    mask[first_row[cases_idx, m_idx]] = True
    return mask, lambda idx: [text_of_row[i] for i in idx.tolist()]


def _differs_from_first(codes: np.ndarray, c: np.ndarray, case_starts: np.ndarray, n_cases: int) -> np.ndarray:
    """Rows whose value (a code, -1 = empty) differs from their case's first non-empty value.

    Most attributes never change within a case: the per-case smallest and
    largest non-empty codes (one pass each) find the few cases that do, and
    only their rows are compared.
    """
    differs = np.zeros(len(codes), dtype=bool)
    if not len(codes):
        return differs
    if codes.min() >= 0:  # no empty value: a case changes where two neighbours differ
        step = codes[1:] != codes[:-1]
        step[case_starts[1:] - 1] = False  # (not across two cases)
        if not step.any():
            return differs
        changing = np.unique(c[1:][step])
    else:
        high = np.maximum.reduceat(codes, case_starts)
        low = np.minimum.reduceat(np.where(codes < 0, np.iinfo(codes.dtype).max, codes), case_starts)
        changing = np.flatnonzero((high >= 0) & (low < high))
    if not len(changing):
        return differs
    in_changing = np.zeros(n_cases, dtype=bool)
    in_changing[changing] = True
    rows = np.flatnonzero(in_changing[c])
    first = first_value_per_case(codes[rows], c[rows], n_cases)
    sub, fc = codes[rows], first[c[rows]]
    differs[rows] = (sub >= 0) & (fc >= 0) & (sub != fc)
    return differs


def _type_attributes(events: pd.DataFrame, c: np.ndarray, case_starts: np.ndarray, n_cases: int,
                     declared: tuple[str, ...]):
    """Type known attributes, tell case attributes from event attributes, flag conflicts.

    Case attributes are the known ones (office, channel, route, born_abroad,
    advisor), those the source declares (XES trace attributes, a cases table),
    and any other column that never changes within a case. Known or declared
    attributes whose value changes within a case are flagged; other changing
    columns are event attributes (e.g. the clerk who handled each event).
    A row conflicts when its non-empty value differs from the case's first
    non-empty value. Work is on codes (rows are sorted by case).
    """
    flags = []
    case_attributes = []
    attrs = [col for col in events.columns if col not in (*CANONICAL_COLUMNS, "row")]
    for column in attrs:
        values = events[column]
        if column in _BOOLEAN_ATTRIBUTES:
            if values.dtype == bool or isinstance(values.dtype, pd.BooleanDtype):
                typed = values.astype("boolean")
                codes = np.where(typed.isna().to_numpy(), -1, typed.fillna(False).to_numpy(dtype=bool).astype(np.int8))
            else:
                raw_codes, cats = text_codes(values)
                folded = [str(v).casefold() for v in cats]
                meaning = np.array([1 if v in _TRUE else 0 if v in _FALSE else -2 for v in folded] + [-1], dtype=np.int8)
                codes = meaning[raw_codes]
                bad = codes == -2
                flags.append((bad, "unreadable_value", column,
                              lambda idx, values=values: values.iloc[idx].astype("string").to_numpy()))
                codes = np.where(bad, -1, codes)
                typed = pd.array(np.where(codes == 1, True, False), dtype="boolean")
                typed[codes < 0] = pd.NA
            events[column] = typed
        elif column in _CATEGORY_ATTRIBUTES:
            codes, cats = used_text_codes(values, first_look=case_starts)  # (each value is usually some case's first)
            events[column] = pd.Categorical.from_codes(codes, categories=cats)
        elif isinstance(values.dtype, pd.CategoricalDtype):
            codes = values.array.codes
        else:
            codes, _ = pd.factorize(values, use_na_sentinel=True)
        differs = _differs_from_first(codes, c, case_starts, n_cases)
        if column in _BOOLEAN_ATTRIBUTES or column in _CATEGORY_ATTRIBUTES or column in declared:
            case_attributes.append(column)
            flags.append((differs, "conflicting_attribute", column,
                          lambda idx, column=column: events[column].iloc[idx].astype("string").to_numpy()))
        elif not differs.any():
            case_attributes.append(column)
    return events, flags, tuple(case_attributes)


def load(
    source: str | Path | pd.DataFrame,
    process: ProcessModel = CARTE_VITALE,
    *,
    as_of=None,
    mapping: str | Path | Mapping[str, Any] | None = None,
    columns: Mapping[str, str] | None = None,
    values: Mapping[str, Mapping[Any, Any]] | None = None,
    cases: str | Path | pd.DataFrame | None = None,
    dayfirst: bool | None = None,
    sheet: str | int | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    limits: Mapping[str, int] | None = None,
    milestone_columns: Mapping[str, str] | None = None,
    header_row: int | None = None,
    lifecycle: str | None = None,
    not_personal: list[str] | tuple[str, ...] | None = None,
) -> CaseLog:
    """Read and validate a case log in one call (for notebooks).

    The reading arguments are :func:`read_caselog`'s; ``process`` and
    ``as_of`` are :func:`validate`'s.

    Examples
    --------
    >>> from vitale_analysis import load
    >>> log = load("data/sample_caselog.csv")
    >>> log.quality.rows_read == log.quality.rows_kept + log.quality.n_set_aside
    True
    """
    raw = read_caselog(source, columns=columns, values=values, dayfirst=dayfirst, sheet=sheet, mapping=mapping,
                       cases=cases, delimiter=delimiter, encoding=encoding, limits=limits,
                       milestone_columns=milestone_columns, header_row=header_row, lifecycle=lifecycle,
                       not_personal=not_personal)
    return _validate(raw, process, as_of=as_of, dayfirst=None, allow_empty=False, stacklevel=3)
