"""Time: the as-of cut every analysis shares, and elapsed days between event times.

:class:`AsOf` is the one rule for ``as_of``, parsed once: a bare date
(``"2025-06-30"``) means up to the end of that day (the next midnight, which
belongs to the next day, is left out); a time (``"2025-06-30 17:58"``, a
Timestamp) means up to and including that instant; no ``as_of`` means the
log's latest event, included. Validation, the case table, every summary,
chart, widget and the report take the same value.

Elapsed time between event times, in calendar days or French working days:

Calendar days are exact: ``(end - start) / 24 h`` as a float. Working days
(``days="working"``) are whole *jours ouvrés*: Monday to Friday, public holidays
excluded (from the ``holidays`` package), counted from the start date up to, not
including, the end date — so an event on Friday followed by one on the next
Monday is 1 working day apart. Times in UTC are first converted to Europe/Paris
dates. Which public holidays: metropolitan France unless a
:class:`WorkingCalendars` gives each row its own list (the process model's
``[holidays]`` table picks it from each dossier's office: Alsace-Moselle and the
overseas funds have holidays of their own).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from types import MappingProxyType

import numpy as np
import pandas as pd

from .errors import CaseLogError

__all__ = ["AsOf", "elapsed_days", "DAY_MODES", "check_days", "to_ns", "from_ns", "NAT", "DAY_NS",
           "WorkingCalendars", "public_holidays", "french_holidays", "holiday_subdivisions"]

DAY_MODES = ("calendar", "working")
NAT = np.iinfo(np.int64).min
DAY_NS = 86_400 * 10**9


@dataclass(frozen=True)
class AsOf:
    """The instant an analysis describes, and whether an event exactly then counts.

    Attributes
    ----------
    at : Timestamp
        The cut: naive (local wall-clock time, as the log's times) or UTC.
    inclusive : bool
        True: events at ``at`` count (an explicit time, or the latest event).
        False: they do not (a bare date: ``at`` is the next midnight).

    Examples
    --------
    >>> from vitale_analysis.timeutil import AsOf
    >>> end_of_june = AsOf.parse("2025-06-30")
    >>> end_of_june.at, end_of_june.inclusive, end_of_june.day()
    (Timestamp('2025-07-01 00:00:00'), False, datetime.date(2025, 6, 30))
    >>> AsOf.parse("2025-06-30 17:58").inclusive
    True
    """

    at: pd.Timestamp
    inclusive: bool

    @classmethod
    def parse(cls, value, *, aware: bool = False, latest=None) -> "AsOf":
        """Read ``value`` (a date, a date and time, a Timestamp, an ``AsOf``, or None).

        ``aware``: whether the log's times are in UTC (then a value without a
        zone is read as UTC); ``latest``: the log's latest event, the default
        when ``value`` is None.
        """
        if isinstance(value, AsOf):
            return value._in_clock(aware)
        if value is None:
            if latest is None or pd.isna(latest):
                raise CaseLogError("as_of: no date given and no event to take the latest from.")
            return cls(pd.Timestamp(latest), True)._in_clock(aware)
        if isinstance(value, str) and not _ISO_DAY.match(value.strip()):
            # (pandas would read "2025-06" as 1 June and "01/02/2025" as 2 January)
            raise CaseLogError(
                f"as_of={value!r} is not a date written year-month-day; write it like '2025-06-30' "
                "(the end of that day) or '2025-06-30 17:00' (that instant)."
            )
        try:
            ts = pd.Timestamp(value)
        except (ValueError, TypeError, OverflowError):
            raise CaseLogError(f"as_of={value!r} is not a date; write it like '2025-06-30'.") from None
        if pd.isna(ts):
            raise CaseLogError(f"as_of={value!r} is not a date; write it like '2025-06-30'.")
        bare = _is_bare_date(value)
        if bare:  # the end of that day: the next midnight, left out
            ts = ts.normalize() + pd.Timedelta(days=1)
        if not aware and ts.tzinfo is not None:
            raise CaseLogError(
                f"as_of={value!r} has a time zone but the log's times have none; give as_of without one."
            )
        return cls(ts, not bare)._in_clock(aware)

    def _in_clock(self, aware: bool) -> "AsOf":
        at = self.at
        if aware:
            at = at.tz_localize("UTC") if at.tzinfo is None else at.tz_convert("UTC")
        elif at.tzinfo is not None:
            raise CaseLogError(
                f"as_of {at} has a time zone but the log's times have none; give as_of without one."
            )
        return self if at is self.at else AsOf(at, self.inclusive)

    @property
    def ns(self) -> int:
        """The cut as int64 nanoseconds (UTC for an aware log), as :func:`to_ns` gives event times."""
        at = self.at.tz_convert("UTC").tz_localize(None) if self.at.tzinfo is not None else self.at
        return int(at.as_unit("ns").value)

    def keeps(self, times) -> np.ndarray:
        """Which times are on or before the cut: a Series of times, or int64 ns from :func:`to_ns`.

        A missing time (NaT) is kept: it is not after the cut.
        """
        ns = to_ns(times) if isinstance(times, pd.Series) else np.asarray(times, dtype=np.int64)
        return (ns <= self.ns) if self.inclusive else (ns < self.ns)

    def day(self) -> date:
        """The last day the cut covers, in the log's clock: a bare date's own day."""
        last = self.at if self.inclusive else self.at - pd.Timedelta(1, "ns")
        return last.date()

    def __str__(self) -> str:
        if not self.inclusive and self.at == self.at.normalize():
            return f"{self.day():%Y-%m-%d} (end of day)"
        return f"{self.at:%Y-%m-%d %H:%M:%S}".removesuffix(":00") + (" UTC" if self.at.tzinfo is not None else "")


_ISO_DAY = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:$|[ T])")


def _is_bare_date(value) -> bool:
    if isinstance(value, str):
        return len(value.strip()) <= 10
    return isinstance(value, date) and not isinstance(value, datetime)


def to_ns(times: pd.Series) -> np.ndarray:
    """Event times as int64 nanoseconds (UTC for aware times), NaT as :data:`NAT`."""
    if times.dt.tz is not None:
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    return times.to_numpy(dtype="datetime64[ns]").view(np.int64)


def from_ns(ns: np.ndarray, aware: bool) -> pd.Series:
    """int64 nanoseconds (:data:`NAT` = missing) back to times: UTC-aware when ``aware``.

    A contiguous array is taken as it is (NAT has NaT's bits), not copied: callers
    pass arrays they no longer change.
    """
    ns = np.asarray(ns, dtype=np.int64)
    values = ns.view("datetime64[ns]") if ns.flags.c_contiguous else ns.astype("datetime64[ns]")
    out = pd.Series(values, copy=False)
    return out.dt.tz_localize("UTC") if aware else out


def check_days(days: str) -> str:
    if days not in DAY_MODES:
        raise CaseLogError(f"days={days!r} is not supported; use 'calendar' or 'working'.")
    return days


@lru_cache(maxsize=256)
def public_holidays(country: str, subdivision: str, first_year: int, last_year: int) -> np.ndarray:
    """Public holidays of a country (``subdivision`` "" = its national list) between two years, as datetime64[D].

    ``country`` and ``subdivision`` are codes of the ``holidays`` package
    (:func:`holiday_subdivisions` lists a country's), e.g. ``("FR", "974")``.
    """
    import holidays

    days = holidays.country_holidays(country, subdiv=subdivision or None, years=range(first_year, last_year + 1))
    return np.array(sorted(days), dtype="datetime64[D]")


def french_holidays(first_year: int, last_year: int) -> np.ndarray:
    """French public holidays (metropolitan) between two years, as datetime64[D]."""
    return public_holidays("FR", "", first_year, last_year)


@lru_cache(maxsize=16)
def holiday_subdivisions(country: str) -> Mapping[str, str]:
    """The subdivisions the ``holidays`` package knows for ``country``: each code and alias → its code.

    >>> from vitale_analysis.timeutil import holiday_subdivisions
    >>> holiday_subdivisions("FR")["974"], holiday_subdivisions("FR")["Moselle"]
    ('974', '57')
    """
    import holidays

    try:
        calendar = type(holidays.country_holidays(country, years=()))
    except NotImplementedError:
        raise CaseLogError(
            f"country={country!r} is not a country code of the holidays package (version {holidays.__version__}); "
            "use a two-letter code such as 'FR'."
        ) from None
    codes = {str(code): str(code) for code in calendar.subdivisions}
    aliases = {str(alias): str(code) for alias, code in getattr(calendar, "subdivisions_aliases", {}).items()}
    return MappingProxyType({**aliases, **codes})


@dataclass(frozen=True)
class WorkingCalendars:
    """Which public holidays each row's working days skip.

    Row ``i`` uses the holidays of subdivision ``subdivisions[codes[i]]`` of
    ``country`` (a code of the ``holidays`` package; "" is the national list).
    ``codes`` has one value per row of the times it goes with, or broadcasts to
    them (``codes[:, None]`` for a dossiers × phases matrix).

    Examples
    --------
    >>> import numpy as np
    >>> from vitale_analysis.timeutil import WorkingCalendars, elapsed_days
    >>> day = lambda text: np.datetime64(text, "ns").astype(np.int64)
    >>> start, end = [day("2024-12-19")] * 2, [day("2024-12-23")] * 2  # Thursday to Monday
    >>> calendars = WorkingCalendars("FR", ("", "974"), np.array([0, 1]))  # Paris, La Réunion
    >>> elapsed_days(start, end, days="working", calendars=calendars)  # Friday 20 December: a holiday in 974
    array([2., 1.])
    """

    country: str
    subdivisions: tuple[str, ...]
    codes: np.ndarray

    def take(self, positions) -> "WorkingCalendars":
        """The calendars of the rows at ``positions`` (as many rows as positions, in their order)."""
        return WorkingCalendars(self.country, self.subdivisions, np.asarray(self.codes)[positions])

    def per_row(self, shape: tuple[int, ...]) -> "WorkingCalendars":
        """The same calendars, with ``codes`` as a column for times of ``shape`` (rows × columns)."""
        codes = np.asarray(self.codes)
        return WorkingCalendars(self.country, self.subdivisions, codes.reshape(codes.shape + (1,) * (len(shape) - 1)))


#: Metropolitan France: the working days of a process model without a ``[holidays]`` table.
_METROPOLITAN = ("FR", "")


def _dates(ns: np.ndarray, aware: bool) -> np.ndarray:
    if not aware:
        return ns.astype("datetime64[ns]").astype("datetime64[D]")
    local = pd.DatetimeIndex(ns.astype("datetime64[ns]")).tz_localize("UTC").tz_convert("Europe/Paris")
    return local.tz_localize(None).to_numpy().astype("datetime64[D]")


def elapsed_days(start_ns, end_ns, *, days: str = "calendar", aware: bool = False,
                 calendars: WorkingCalendars | None = None) -> np.ndarray:
    """Days from ``start_ns`` to ``end_ns`` (int64 nanoseconds, NaT = int64 min) → float, NaN where either is missing.

    ``calendars``: the public holidays of each row for ``days="working"``
    (default: metropolitan France for every row); rows are counted calendar by
    calendar, one ``numpy.busday_count`` per calendar in use.
    """
    check_days(days)
    start_ns = np.asarray(start_ns, dtype=np.int64)
    end_ns = np.broadcast_to(np.asarray(end_ns, dtype=np.int64), start_ns.shape)
    ok = (start_ns != NAT) & (end_ns != NAT)
    out = np.full(start_ns.shape, np.nan)
    if not ok.any():
        return out
    if days == "calendar":  # on every element, then NaN where either is missing (no gathers)
        with np.errstate(over="ignore"):  # (NaT differences are garbage, overwritten below)
            diff = np.subtract(end_ns, start_ns)
        np.divide(diff, DAY_NS, out=out)
        out[~ok] = np.nan
        return out
    s = _dates(start_ns[ok], aware)
    e = _dates(end_ns[ok], aware)
    years = np.concatenate([s, e]).astype("datetime64[Y]").astype(int) + 1970
    first_year, last_year = int(years.min()), int(years.max())
    # busday_count is signed: an end before its start gives a negative count.
    if calendars is None:
        hol = public_holidays(*_METROPOLITAN, first_year, last_year)
        out[ok] = np.busday_count(s, e, weekmask="1111100", holidays=hol).astype(float)
        return out
    codes = np.broadcast_to(np.asarray(calendars.codes), start_ns.shape)[ok]
    used = np.flatnonzero(np.bincount(codes, minlength=len(calendars.subdivisions)))
    if len(used) == 1:  # one calendar for every row: one count, no gathers
        hol = public_holidays(calendars.country, calendars.subdivisions[used[0]], first_year, last_year)
        out[ok] = np.busday_count(s, e, weekmask="1111100", holidays=hol).astype(float)
        return out
    counts = np.empty(len(s))
    for code in used:  # (a national caseload: ~100 offices, a handful of calendars)
        rows = codes == code
        hol = public_holidays(calendars.country, calendars.subdivisions[code], first_year, last_year)
        counts[rows] = np.busday_count(s[rows], e[rows], weekmask="1111100", holidays=hol)
    out[ok] = counts
    return out
