"""Handing a case log to process-mining tools: PM4Py's event frame and XES files.

:func:`to_pm4py` gives the events as a DataFrame with PM4Py's column names;
:func:`write_xes` writes them as an XES file (IEEE 1849-2016) that PM4Py, ProM,
Disco or Celonis open, and that :func:`~vitale_analysis.read_caselog` reads back
to the same events. Both follow the analyses' calling convention: a CaseLog or a
CaseTable (its own dossiers, as of its own cut), then ``as_of=``.

What goes out
-------------
* The events kept at validation, up to ``as_of`` (rows set aside are not events);
  values as they are in the log: codes, not the mapping's labels.
* Case attributes take the dossier's value, its first non-empty one (the value the
  case table and every summary use; rows flagged ``conflicting_attribute`` in the
  quality report are the ones that differed).
* Columns named after an event-level XES extension (``lifecycle:…``, ``org:…``,
  ``concept:…``, ``time:…``) stay event attributes, even when validation found them
  constant within each dossier.

Privacy: an export is the user's explicit act, so identifiers go out as they are
in the log, in full. Before sharing one, replace them with
:func:`~vitale_analysis.pseudonymise` (salted-hash tokens); a column that holds
social security numbers (:func:`~vitale_analysis.nir_columns`) raises a
:class:`~vitale_analysis.DataQualityWarning` that names it (never its values).
"""

from __future__ import annotations

import gzip
import os
import re
import tempfile
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ._version import __version__
from .caselog import CaseLog
from .cases import CaseTable, log_and_cut
from .errors import CaseLogError, DataQualityWarning
from .eventcore import case_values, event_core
from .privacy import nir_columns
from .timeutil import NAT

__all__ = ["to_pm4py", "write_xes", "XES_EXTENSIONS", "EVENT_KEY_PREFIXES", "PM4PY_COLUMNS"]

#: The standard XES extensions :func:`write_xes` declares when it uses their keys: prefix → (name, URI).
XES_EXTENSIONS = {
    "concept": ("Concept", "http://www.xes-standard.org/concept.xesext"),
    "time": ("Time", "http://www.xes-standard.org/time.xesext"),
    "lifecycle": ("Lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
    "org": ("Organizational", "http://www.xes-standard.org/org.xesext"),
}
#: Column names with these prefixes are event attributes in an export, whatever validation found.
EVENT_KEY_PREFIXES = ("lifecycle:", "org:", "concept:", "time:")
#: The log's canonical columns → PM4Py's (and XES's) keys.
PM4PY_COLUMNS = {"case_id": "case:concept:name", "event": "concept:name", "timestamp": "time:timestamp"}

_LIFECYCLE = "lifecycle:transition"
_RESOURCE = "org:resource"
_DEFAULT_RESOURCE = "advisor"
# Characters XML 1.0 cannot hold, not even as a character reference (and lone surrogates,
# which UTF-8 cannot encode).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# In an attribute value: the markup characters, and the whitespace a parser would turn into spaces.
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                          "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
_CHUNK_EVENTS = 50_000  # events rendered and written at a time (whole dossiers)


# =========================================================================== what is exported
@dataclass(frozen=True)
class _Export:
    """The cut events and, per exported key, where its values come from."""

    events: pd.DataFrame  # the events up to the cut, sorted by case then time
    case_codes: np.ndarray  # per event, its dossier (0, 1, … in order)
    case_ids: pd.Index  # per dossier
    first_rows: np.ndarray  # per dossier, its first event's row
    event_keys: dict[str, pd.Series]  # key → one value per event (time:timestamp, lifecycle, org:resource, …)
    case_keys: dict[str, pd.Series]  # key → one value per dossier (case attributes)


def _plan(log_or_table, as_of, resource: str | None, who: str) -> _Export:
    if not isinstance(log_or_table, (CaseLog, CaseTable)):
        raise CaseLogError(
            f"{who} takes a CaseLog (from load() or validate()) or a CaseTable, got "
            f"{type(log_or_table).__name__}. Run vitale_analysis.load(path) first."
        )
    log, cut, _ = log_and_cut(log_or_table, as_of=as_of)
    core = event_core(log, cut)
    ev = core.ev
    columns = [c for c in ev.columns if c != "row"]
    if resource is not None and resource not in columns and resource != _DEFAULT_RESOURCE:
        raise CaseLogError(
            f"{who}: resource={resource!r} is not a column of the log; columns are "
            f"{[c for c in columns if c not in PM4PY_COLUMNS]}. Give the column of who handled each event, "
            "or resource=None for no org:resource."
        )
    case_attributes = [c for c in log.case_attributes if c in columns and not c.startswith(EVENT_KEY_PREFIXES)]
    event_columns = [c for c in columns if c not in PM4PY_COLUMNS and c not in case_attributes]

    event_keys: dict[str, pd.Series] = {"time:timestamp": ev["timestamp"]}
    per_case = {c: case_values(core, c) for c in case_attributes}
    if _LIFECYCLE in event_columns:
        event_keys[_LIFECYCLE] = ev[_LIFECYCLE]
    if _RESOURCE in event_columns:
        event_keys[_RESOURCE] = ev[_RESOURCE]
    elif resource is not None and resource in per_case:  # the dossier's advisor, on each of its events
        event_keys[_RESOURCE] = _per_event(per_case[resource], core.codes)
    elif resource is not None and resource in event_columns:
        event_keys[_RESOURCE] = ev[resource]
    for column in event_columns:
        event_keys.setdefault(column, ev[column])
    case_keys = {column: per_case[column] for column in case_attributes}

    taken = ["case:concept:name", "concept:name", *event_keys, *(f"case:{c}" for c in case_keys)]
    clash = sorted(k for k, n in Counter(taken).items() if n > 1)
    if clash:
        raise CaseLogError(
            f"{who}: the log's columns give the key(s) {clash} twice (an event attribute named like a case "
            "attribute with 'case:' before it). Rename one of them in log.events before exporting."
        )
    _warn_identifiers(ev, who)
    return _Export(events=ev, case_codes=core.codes, case_ids=core.case_ids, first_rows=core.first_idx,
                   event_keys=event_keys, case_keys=case_keys)


def _per_event(per_case: pd.Series, case_codes: np.ndarray) -> pd.Series:
    """A per-dossier column repeated on each event of the dossier."""
    return pd.Series(per_case.array.take(np.asarray(case_codes, dtype=np.int64)), copy=False)


def _warn_identifiers(events: pd.DataFrame, who: str) -> None:
    found = nir_columns(events.drop(columns=["timestamp", "row"], errors="ignore"))
    if found:
        warnings.warn(DataQualityWarning(
            f"{who}: column(s) {found} hold social security numbers, exported in full. To share the export, "
            f"replace them first: pseudonymise(log, {found}, salt=…) gives salted-hash tokens."
        ), stacklevel=4)


# =========================================================================== PM4Py
def to_pm4py(log_or_table: CaseLog | CaseTable, *, as_of=None, resource: str | None = "advisor") -> pd.DataFrame:
    """The events with PM4Py's column names, ready for ``pm4py`` functions.

    Parameters
    ----------
    log_or_table : CaseLog or CaseTable
        From :func:`load` or :func:`validate`, or a case table of it (its own
        dossiers, as of its own ``as_of``).
    as_of : date-like, optional
        Default: the log's latest timestamp. A bare date means the end of that
        day. Events after it are left out.
    resource : str or None
        The column copied to ``org:resource`` (who handled the event), default
        ``"advisor"`` when the log has it: PM4Py's organisational mining reads that
        key. A log that already has an ``org:resource`` column keeps its own.
        None: no ``org:resource``.

    Returns
    -------
    DataFrame
        One row per event, sorted by dossier then time:

        * ``case:concept:name`` (the case id, text), ``concept:name`` (the event,
          text), ``time:timestamp`` (naive, or UTC-aware, as in the log);
        * ``lifecycle:transition`` when the log kept one, ``org:resource`` (see
          ``resource``);
        * ``trigger``, ``note`` and the event attributes, under their own names;
        * each case attribute as ``case:<name>``, the dossier's value on each of
          its rows (its first non-empty value, as in the case table).

        The source row numbers (``row``) are not exported. Identifiers are
        exported as they are (see the module's notes on privacy).

    Examples
    --------
    >>> import vitale_analysis as va
    >>> frame = va.to_pm4py(va.load("data/sample_caselog.csv"))
    >>> list(frame.columns[:4])
    ['case:concept:name', 'concept:name', 'time:timestamp', 'org:resource']
    >>> frame["case:concept:name"].nunique(), len(frame)
    (3000, 31479)
    """
    plan = _plan(log_or_table, as_of, resource, "to_pm4py()")
    ev = plan.events
    out = {
        "case:concept:name": ev["case_id"].astype("str"),
        "concept:name": ev["event"].astype("str"),
    }
    for key, values in plan.event_keys.items():
        out[key] = values
    for key, values in plan.case_keys.items():
        out[f"case:{key}"] = _per_event(values, plan.case_codes)
    return pd.DataFrame({key: values.array for key, values in out.items()}, copy=False)


# =========================================================================== XES
def _escape(text: str, where) -> str:
    """``text`` for a double-quoted XML attribute; refused when XML 1.0 cannot hold one of its characters."""
    bad = _NOT_XML.search(text)
    if bad:
        raise CaseLogError(where(f"U+{ord(bad.group(0)):04X}"))
    return text.translate(_ESCAPES)


def _float_text(value: float) -> str:
    if np.isinf(value):
        return "INF" if value > 0 else "-INF"
    return repr(float(value))


def _xes_type(values: pd.Series) -> str:
    """The XES type of a column: string, int, float, boolean or date."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        values = pd.Series(dtype.categories)
        dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "date"
    if dtype == object:
        kind = pd.api.types.infer_dtype(values, skipna=True)
        return {"boolean": "boolean", "integer": "int", "floating": "float", "mixed-integer-float": "float",
                "datetime": "date", "datetime64": "date"}.get(kind, "string")
    return "string"


def _value_text(value, tag: str) -> str:
    if tag == "boolean":
        return "true" if bool(value) else "false"
    if tag == "int":
        return str(int(value))
    if tag == "float":
        return _float_text(float(value))
    if tag == "date":
        return pd.Timestamp(value).isoformat()
    return str(value)


def _time_unit(ns: np.ndarray) -> str:
    """The coarsest of ms, us, ns that writes every time exactly."""
    ok = ns[ns != NAT]
    if not (ok % 1_000_000).any():
        return "ms"
    return "us" if not (ok % 1_000).any() else "ns"


class _Pieces:
    """One key's ``<tag key="…" value="…"/>`` lines for a range of rows ("" where the value is missing)."""

    def __init__(self, key: str, values: pd.Series, indent: str, where):
        self.indent = indent
        tag = _xes_type(values)
        key_text = _escape(str(key), lambda ch: where(None, f"the column name {str(key)!r} holds {ch}"))
        self.prefix = f'{indent}<{tag} key="{key_text}" value="'
        self.ns = None
        if tag == "date" and pd.api.types.is_datetime64_any_dtype(values.dtype):
            aware = values.dt.tz is not None
            if aware:
                values = values.dt.tz_convert("UTC").dt.tz_localize(None)
            self.ns = values.to_numpy(dtype="datetime64[ns]").view(np.int64)
            self.unit = _time_unit(self.ns)
            self.suffix = '"/>\n' if not aware else '+00:00"/>\n'
            return
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes, uniques = values.cat.codes.to_numpy(), values.cat.categories
        else:
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
        texts = []
        for k, value in enumerate(uniques):
            if tag == "float" and np.isnan(value):
                texts.append("")
                continue
            text = _value_text(value, tag)
            texts.append(self.prefix + _escape(text, lambda ch, k=k: where(np.flatnonzero(codes == k),
                                                                          f"{key!r} holds {ch}")) + '"/>\n')
        self.codes = np.asarray(codes, dtype=np.int64)
        self.texts = np.array([*texts, ""], dtype=object)  # (code -1 → the last: nothing)

    def render(self, start: int, stop: int) -> np.ndarray:
        if self.ns is None:
            return self.texts[self.codes[start:stop]]
        ns = self.ns[start:stop]
        stamps = np.datetime_as_string(ns.view("datetime64[ns]").astype(f"datetime64[{self.unit}]"),
                                       unit=self.unit).astype(object)
        out = self.prefix + stamps + self.suffix
        out[ns == NAT] = ""
        return out


def _open(path: Path):
    """A temporary file next to ``path`` (renamed to it once complete) and the stream to write."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    raw = os.fdopen(handle, "wb")
    stream = gzip.GzipFile(filename=path.name[:-3], mode="wb", fileobj=raw, compresslevel=6, mtime=0) \
        if path.name.lower().endswith(".gz") else raw
    return Path(temporary), raw, stream


def write_xes(log_or_table: CaseLog | CaseTable, path, *, as_of=None, resource: str | None = "advisor") -> Path:
    """Write the events as an XES file (IEEE 1849-2016), one ``<trace>`` per dossier.

    Parameters
    ----------
    log_or_table : CaseLog or CaseTable
        As for :func:`to_pm4py`.
    path : str or Path
        Ending in ``.xes``, or ``.xes.gz`` for a gzip-compressed file.
    as_of : date-like, optional
        Default: the log's latest timestamp; events after it are left out.
    resource : str or None
        The column written as each event's ``org:resource`` (default
        ``"advisor"``, when the log has it); see :func:`to_pm4py`.

    Returns
    -------
    Path
        ``path``. The file is written under a temporary name in the same folder
        and renamed when complete: an error leaves no partial file.

    Notes
    -----
    * The log declares the Concept and Time extensions, Lifecycle and
      Organizational when their keys are written; ``<global>`` declarations for
      the keys every trace or every event has (``concept:name``,
      ``time:timestamp``, and ``lifecycle:transition`` / ``org:resource`` when
      no event lacks one), and the classifiers PM4Py and ProM write ("Activity":
      ``concept:name``; "Activity classifier": ``concept:name
      lifecycle:transition``; "Resource classifier": ``org:resource``).
    * A trace holds the dossier's ``concept:name`` (its case id) and its case
      attributes; an event its ``concept:name``, ``time:timestamp``, then the
      other keys of :func:`to_pm4py`. A missing value is no attribute at all.
      Types follow the columns: ``boolean`` (``true``/``false``), ``int``,
      ``float`` (``INF``/``-INF``; NaN is missing), ``date``, else ``string``.
      Read back, the values are the same; an ``int`` column with missing
      values comes back as floats (pandas), ``date`` case attributes in UTC.
    * Times: a log with UTC times writes them with their offset
      (``2025-03-01T09:30:00.000+00:00``); a log of naive local times writes
      them as they are, without an offset (``2025-03-01T09:30:00.000``), which
      XML Schema allows and PM4Py reads as UTC. Milliseconds, or micro- or
      nanoseconds when a time needs them.
    * Text: ``& < > "`` and tab, line feed and carriage return are written as
      references, so they read back as they were. Other control characters
      (U+0000–U+001F) cannot be held by XML 1.0 at all: the export is refused
      with an error naming the column and the dossier.
    * The file is written a few thousand dossiers at a time, never as one
      string: a million dossiers fit in memory.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import vitale_analysis as va
    >>> log = va.load("data/sample_caselog.csv")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = va.write_xes(log, Path(folder) / "caseload.xes.gz")
    ...     va.load(path).quality.n_cases
    3000
    """
    path = Path(path)
    name = path.name.lower()
    if not (name.endswith(".xes") or name.endswith(".xes.gz")):
        raise CaseLogError(
            f"write_xes(): {path.name!r} does not end in .xes or .xes.gz; name the file so that tools (and "
            "read_caselog) know it is XES, e.g. 'caseload.xes.gz'."
        )
    if not path.parent.is_dir():
        raise CaseLogError(f"write_xes(): the folder {str(path.parent)!r} does not exist; create it first.")
    plan = _plan(log_or_table, as_of, resource, "write_xes()")
    ev, case_ids = plan.events, plan.case_ids

    def where(rows, what):
        if rows is None:
            return f"write_xes(): {what}, which XML cannot hold. Rename the column before exporting."
        case = case_ids[plan.case_codes[rows[0]]] if len(rows) else "?"
        return (f"write_xes(): dossier {case!r}: {what}, a control character XML cannot hold (not even "
                "escaped). Fix: remove it from the log's events (e.g. with .str.replace) before exporting.")

    def case_where(rows, what):
        return where(None if rows is None else plan.first_rows[rows], what)

    trace_name = _Pieces("concept:name", pd.Series(case_ids, copy=False), "\t\t", case_where)
    trace_pieces = [_Pieces(k, v, "\t\t", case_where) for k, v in plan.case_keys.items()]
    event_pieces = [_Pieces("concept:name", ev["event"], "\t\t\t", where)]
    event_pieces += [_Pieces(k, v, "\t\t\t", where) for k, v in plan.event_keys.items()]
    head = _header(plan)

    temporary, raw, stream = _open(path)
    try:
        with raw:
            stream.write(head.encode("utf-8"))
            for text in _chunks(plan, trace_name, trace_pieces, event_pieces):
                stream.write(text.encode("utf-8"))
            stream.write(b"</log>\n")
            if stream is not raw:
                stream.close()
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def _header(plan: _Export) -> str:
    keys = set(plan.event_keys)
    prefixes = ["concept", "time"] + [p for p in ("lifecycle", "org") if any(k.startswith(p + ":") for k in keys)]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f"<!-- XES (IEEE 1849-2016) written by vitale-analysis {__version__} -->",
             '<log xes.version="1849-2016" xes.features="" xmlns="http://www.xes-standard.org/">']
    lines += [f'\t<extension name="{XES_EXTENSIONS[p][0]}" prefix="{p}" uri="{XES_EXTENSIONS[p][1]}"/>'
              for p in prefixes]
    lines += ['\t<global scope="trace">', '\t\t<string key="concept:name" value="UNKNOWN"/>', "\t</global>",
              '\t<global scope="event">', '\t\t<string key="concept:name" value="UNKNOWN"/>',
              '\t\t<date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>']
    always = [k for k in (_LIFECYCLE, _RESOURCE) if k in keys and plan.event_keys[k].notna().all()]
    lines += [f'\t\t<string key="{k}" value="UNKNOWN"/>' for k in always]
    lines += ["\t</global>", '\t<classifier name="Activity" keys="concept:name"/>']
    if _LIFECYCLE in keys:
        lines.append(f'\t<classifier name="Activity classifier" keys="concept:name {_LIFECYCLE}"/>')
    if _RESOURCE in keys:
        lines.append(f'\t<classifier name="Resource classifier" keys="{_RESOURCE}"/>')
    return "\n".join(lines) + "\n"


def _chunks(plan: _Export, trace_name: _Pieces, trace_pieces: list[_Pieces], event_pieces: list[_Pieces]):
    """The XML of the traces, a few thousand whole dossiers at a time."""
    first_rows = np.asarray(plan.first_rows, dtype=np.int64)
    n_events, n_cases = len(plan.events), len(first_rows)
    bounds = np.append(first_rows, n_events)  # dossier k: rows bounds[k] to bounds[k + 1]
    case_start = 0
    while case_start < n_cases:
        # Whole dossiers, about _CHUNK_EVENTS events (at least one dossier).
        case_stop = int(np.searchsorted(bounds, bounds[case_start] + _CHUNK_EVENTS, side="right")) - 1
        case_stop = min(max(case_stop, case_start + 1), n_cases)
        start, stop = int(bounds[case_start]), int(bounds[case_stop])
        heads = "\t<trace>\n" + trace_name.render(case_start, case_stop)
        for pieces in trace_pieces:
            heads = heads + pieces.render(case_start, case_stop)
        opening = np.full(stop - start, "\t\t<event>\n", dtype=object)
        opening[bounds[case_start:case_stop] - start] = heads + "\t\t<event>\n"
        closing = np.full(stop - start, "\t\t</event>\n", dtype=object)
        closing[bounds[case_start + 1:case_stop + 1] - start - 1] = "\t\t</event>\n\t</trace>\n"
        grid = np.column_stack([opening, *(p.render(start, stop) for p in event_pieces), closing])
        yield "".join(grid.ravel().tolist())
        case_start = case_stop
