"""Elapsed time between event times, in calendar days or French working days.

Calendar days are exact: ``(end - start) / 24 h`` as a float. Working days
(``days="working"``) are whole *jours ouvrés*: Monday to Friday, French public
holidays excluded (from the ``holidays`` package, metropolitan list), counted
from the start date up to, not including, the end date — so an event on Friday
followed by one on the next Monday is 1 working day apart. Times in UTC are
first converted to Europe/Paris dates.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from .errors import CaseLogError

__all__ = ["elapsed_days", "DAY_MODES"]

DAY_MODES = ("calendar", "working")
NAT = np.iinfo(np.int64).min
DAY_NS = 86_400 * 10**9


def check_days(days: str) -> str:
    if days not in DAY_MODES:
        raise CaseLogError(f"days={days!r} is not supported; use 'calendar' or 'working'.")
    return days


@lru_cache(maxsize=64)
def french_holidays(first_year: int, last_year: int) -> np.ndarray:
    """French public holidays (metropolitan) between two years, as datetime64[D]."""
    import holidays

    days = holidays.France(years=range(first_year, last_year + 1))
    return np.array(sorted(days), dtype="datetime64[D]")


def _dates(ns: np.ndarray, aware: bool) -> np.ndarray:
    if not aware:
        return ns.astype("datetime64[ns]").astype("datetime64[D]")
    local = pd.DatetimeIndex(ns.astype("datetime64[ns]")).tz_localize("UTC").tz_convert("Europe/Paris")
    return local.tz_localize(None).to_numpy().astype("datetime64[D]")


def elapsed_days(start_ns, end_ns, *, days: str = "calendar", aware: bool = False) -> np.ndarray:
    """Days from ``start_ns`` to ``end_ns`` (int64 nanoseconds, NaT = int64 min) → float, NaN where either is missing."""
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
    hol = french_holidays(int(years.min()), int(years.max()))
    # busday_count is signed: an end before its start gives a negative count.
    out[ok] = np.busday_count(s, e, weekmask="1111100", holidays=hol).astype(float)
    return out
