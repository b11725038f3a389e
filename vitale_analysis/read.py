"""Reading case logs: CSV, Excel, Parquet, XES or a DataFrame → raw events.

It reads case logs (batches.py reads Parquet in parts; simulate, report,
plots and widgets write files of their own). It renames columns to the
canonical names (``case_id``, ``event``, ``timestamp``, ``trigger``, ``note``
plus case attributes), maps the file's labels to the process vocabulary, and
keeps the timestamps as they were written: :func:`~vitale_analysis.validate`
parses them, so that a value it cannot read is counted and listed in the
quality report with the row it came from, not lost here.

:func:`read_caselog` returns a :class:`RawLog`: the raw frame, which has one
extra column, ``row`` (the 1-based number of the data row in the source: 1 =
the first row under the header; for XES, the event's position in the file),
and what reading found out that validation needs (the source's name, the
day-first setting, rows that could not be split into fields, notes, declared
case attributes), as plain fields.
"""

from __future__ import annotations

import ast
import csv
import gzip
import io
import json
import re
import tomllib
import zlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd

from .codes import code_width, distinct_categorical, text_codes, thread_map, widen
from .csvfast import DELIMITERS, TooManyColumns, excel_sep_line, read_csv_strict, sniff_delimiter
from . import i18n
from .errors import CaseLogError, closest_names, fix_for, fold
from .privacy import mask_frame, mask_text

__all__ = ["RawLog", "RawTable", "read_table", "read_caselog", "HEADER_SYNONYMS", "DEFAULT_LIMITS", "read_mapping",
           "require_columns", "number_rows", "arrow_to_frame", "CANONICAL_COLUMNS", "REQUIRED_COLUMNS",
           "LIFECYCLE_COLUMN", "LIFECYCLE_CHOICES", "lifecycle_codes"]

REQUIRED_COLUMNS = ("case_id", "event", "timestamp")
CANONICAL_COLUMNS = (*REQUIRED_COLUMNS, "trigger", "note")

#: The column of an event's lifecycle transition (XES ``lifecycle:transition``; PM4Py writes the same
#: header in its CSV and Parquet exports). Map another header to it with ``columns``.
LIFECYCLE_COLUMN = "lifecycle:transition"
#: What the ``lifecycle`` setting accepts (see :func:`read_caselog`):
#: ``"complete"`` keeps the events whose transition is ``complete`` (and those without one) and sets the
#: others aside as ``lifecycle_not_complete``; ``"all"`` keeps every event under its activity's name;
#: ``"name+lifecycle"`` keeps every event and names it ``activity+transition``. Not set: as
#: ``"complete"``, with a note naming the setting when something was set aside.
LIFECYCLE_CHOICES = ("complete", "all", "name+lifecycle")


@dataclass(frozen=True)
class RawLog:
    """Raw events as read, before validation, and what reading found out about them.

    Attributes
    ----------
    frame : DataFrame
        Canonical column names, case attributes, and ``row`` (source row
        number). Timestamps as written: :func:`~vitale_analysis.validate`
        parses them.
    source : str
        The file read, or ``"DataFrame"``.
    dayfirst : bool or None
        Whether ``01/02/2025`` is 1 February (None: detected at validation).
    case_attributes : tuple of str
        Columns the source declares as case attributes (XES trace
        attributes, a cases table).
    malformed_rows : tuple of dict
        Lines that could not be split into the header's fields (``row``,
        ``line``, ``fields``, ``expected``, ``value``): set aside at validation.
    notes : tuple of str
        How the file was read (encoding, delimiter, …).
    labels : dict
        Column → value → the file's own label, from the mapping's ``values``
        tables (the first label of each value): what tables and charts show in
        place of the code, e.g. ``{"channel": {"ameli": "Compte ameli"}}``.
    lifecycle : str or None
        The ``lifecycle`` setting chosen (one of :data:`LIFECYCLE_CHOICES`), or
        None when none was: validation then keeps ``complete`` transitions and
        says so in a note.
    not_personal : tuple of str
        Columns (canonical names) the mapping declares not personal: their
        social-security-shaped values (e.g. case ids that are epoch
        milliseconds) are shown in full, except those that pass the NIR key.

    A plain DataFrame can be validated too; ``dataclasses.replace(raw,
    frame=...)`` keeps what was read about a frame you changed.
    """

    frame: pd.DataFrame
    source: str = "DataFrame"
    dayfirst: bool | None = None
    case_attributes: tuple[str, ...] = ()
    malformed_rows: tuple[Mapping[str, Any], ...] = ()
    notes: tuple[str, ...] = ()
    labels: Mapping[str, Mapping[Any, str]] = field(default_factory=dict)
    lifecycle: str | None = None
    not_personal: tuple[str, ...] = ()

    @classmethod
    def of(cls, raw) -> "RawLog":
        """``raw`` itself, or a DataFrame read as it is (canonical column names expected)."""
        if isinstance(raw, RawLog):
            return raw
        if isinstance(raw, pd.DataFrame):
            return cls(raw)
        raise CaseLogError(
            f"validate() takes what read_caselog() returns (or a DataFrame), got {type(raw).__name__}; "
            "use load(path) to read and validate a file in one call."
        )

    def to_frame(self) -> pd.DataFrame:
        """The raw frame (a copy: changing it leaves this RawLog as it is)."""
        return self.frame.copy(deep=False)

    @property
    def columns(self) -> pd.Index:
        return self.frame.columns

    def __len__(self) -> int:
        return len(self.frame)

    def __getitem__(self, column):
        return self.frame[column]

    def replace_frame(self, frame: pd.DataFrame) -> "RawLog":
        """The same reading facts about another frame (e.g. pseudonymised)."""
        return replace(self, frame=frame)

    def __repr__(self) -> str:
        return (f"RawLog: {len(self.frame):,} rows from {mask_text(self.source)}, columns "
                f"{[c for c in self.frame.columns if c != 'row']}; "
                f"{len(self.malformed_rows):,} malformed lines → validate(raw) checks them")

    def _repr_html_(self) -> str:
        from html import escape

        head = mask_frame(self.frame.head(10))._repr_html_()
        return f"<p>{escape(repr(self))}</p>{head}"

#: What reading accepts before refusing a file as too large (a zip or gzip bomb, a runaway
#: export): pass ``limits={"bytes": …}`` etc. to read_caselog / load to raise one for a file
#: you trust. ``bytes``: the file's size once decompressed (CSV, XES, .xlsx); ``events``: rows
#: or events; ``columns``: header columns; ``value_chars``: one XES attribute value.
#: ``ratio``: decompressed ÷ compressed size of an ``.xes.gz`` or an ``.xlsx`` (a real export
#: compresses 5 to 40 times; a bomb, thousands of times), checked past 64 MB decompressed.
DEFAULT_LIMITS = MappingProxyType({"bytes": 8 * 2**30, "events": 200_000_000, "columns": 10_000,
                                   "value_chars": 1_000_000, "ratio": 200})
_RATIO_FLOOR = 64 * 2**20  # (below this, any ratio: a small file cannot hurt)


def _limits(given: Mapping[str, int] | None) -> dict[str, int]:
    limits = dict(DEFAULT_LIMITS)
    for key, value in dict(given or {}).items():
        if key not in DEFAULT_LIMITS:
            raise CaseLogError(f"limits: unknown limit {key!r}; the limits are {sorted(DEFAULT_LIMITS)}.")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise CaseLogError(f"limits: {key} must be a whole number above 0, got {value!r}.")
        limits[key] = value
    return limits


def _too_large(name: str, what: str, key: str, limit: int) -> CaseLogError:
    return CaseLogError(
        f"{name}: {what}, more than the limit of {limit:,} (limits['{key}']). If you trust the file, "
        f"read it with limits={{'{key}': …}} (read_caselog or load); otherwise export it again."
    )


# Header names other tools write for the canonical columns (PM4Py / XES style).
_ALIASES = {
    "case:concept:name": "case_id",
    "concept:name": "event",
    "time:timestamp": "timestamp",
}
_MAPPING_KEYS = {"columns", "values", "dayfirst", "delimiter", "encoding", "sheet", "header_row", "milestone_columns",
                 "lifecycle", "not_personal"}


# --------------------------------------------------------------------------- mapping
def read_mapping(path: str | Path) -> dict[str, Any]:
    """Read a mapping file (JSON or TOML) written once per export format.

    It may hold ``columns`` (file header → canonical name), ``values``
    (column → {file label → vocabulary value}), ``dayfirst``, ``delimiter``,
    ``encoding``, ``sheet``, ``lifecycle`` (which lifecycle transitions an
    event log's steps keep: see :data:`LIFECYCLE_CHOICES`), and for a tracker
    (one row per dossier, a date column per step) ``milestone_columns`` (date
    column header → event).
    ``encoding``, ``sheet``, and for a tracker (one row per dossier, a date
    column per step) ``milestone_columns`` (date column header → event), and
    ``not_personal`` (canonical column names whose ids are shown in full).
    """
    path = Path(path)
    if not path.exists():
        raise CaseLogError(f"Mapping file {str(path)!r} does not exist. Check the path.")
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            with path.open("rb") as fh:
                spec = tomllib.load(fh)
        elif suffix == ".json":
            spec = json.loads(path.read_text(encoding="utf-8-sig"))
        else:
            raise CaseLogError(
                f"Mapping file {str(path)!r}: unsupported format {suffix or '(no suffix)'!r}; "
                "write it as .toml or .json."
            )
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CaseLogError(f"Mapping file {str(path)!r} cannot be parsed: {exc}. Fix its syntax.") from None
    return _check_mapping(spec, str(path))


def _check_mapping(spec: Any, where: str) -> dict[str, Any]:
    if not isinstance(spec, Mapping):
        raise CaseLogError(f"{where}: a mapping must be a table of settings, got {type(spec).__name__}.")
    unknown = sorted(set(spec) - _MAPPING_KEYS)
    if unknown:
        raise CaseLogError(
            f"{where}: unknown mapping setting(s) {unknown}; known settings are {sorted(_MAPPING_KEYS)}."
        )
    for key in ("columns", "values", "milestone_columns"):
        if key in spec and not isinstance(spec[key], Mapping):
            raise CaseLogError(f"{where}: `{key}` must be a table, got {spec[key]!r}.")
    for column, table in dict(spec.get("values", {})).items():
        if not isinstance(table, Mapping):
            raise CaseLogError(
                f"{where}: values.{column} must be a table of file label → value, got {table!r}."
            )
    for header, target in dict(spec.get("columns", {})).items():
        if not isinstance(target, str) or not target.strip():
            raise CaseLogError(
                f"{where}: columns.{header!r} must name a column as text (e.g. \"case_id\"), got {target!r}."
            )
    for header, target in dict(spec.get("milestone_columns", {})).items():
        if not isinstance(target, str) or not target.strip():
            raise CaseLogError(
                f"{where}: milestone_columns.{header!r} must name the step its dates record, as text "
                f"(e.g. \"rights_opened\"), got {target!r}."
            )
    if "not_personal" in spec and spec["not_personal"] is not None:
        declared = spec["not_personal"]
        if (isinstance(declared, (str, bytes, Mapping)) or not isinstance(declared, (list, tuple))
                or not all(isinstance(c, str) and c.strip() for c in declared)):
            raise CaseLogError(
                f"{where}: `not_personal` must be a list of column names as text, after renaming (e.g. "
                f"not_personal = [\"case_id\"]), got {declared!r} ({type(declared).__name__}). Fix the mapping."
            )
    # Settings of the wrong type would be read as something else: "false" is a true value in Python.
    expected = {"dayfirst": (bool, "true or false (without quotes)"),
                "delimiter": (str, "one of \";\", \",\" or a tab"),
                "encoding": (str, "a name such as \"utf-8\" or \"cp1252\""),
                "sheet": ((str, int), "a sheet name in quotes, or its number from 0"),
                "header_row": (int, "the sheet's row number of the header, from 1 (e.g. 3)")}
    for key, (kinds, example) in expected.items():
        value = spec.get(key)
        if value is None:
            continue
        if (not isinstance(value, kinds) or (key in ("sheet", "header_row") and isinstance(value, bool))
                or (key == "header_row" and value < 1)):
            raise CaseLogError(
                f"{where}: `{key}` must be {example}, got {value!r} ({type(value).__name__}). Fix the mapping."
            )
    value = spec.get("lifecycle")
    if value is not None and value not in LIFECYCLE_CHOICES:
        near = closest_names(str(value), list(LIFECYCLE_CHOICES)) if isinstance(value, str) else []
        choices = ", ".join(toml_string(c) for c in LIFECYCLE_CHOICES)
        raise CaseLogError(
            f"{where}: `lifecycle` must be one of {choices}, got {value!r} ({type(value).__name__})"
            + (f"; did you mean {toml_string(near[0])}?" if near else ".")
            + " \"complete\" keeps the events whose lifecycle:transition is complete (an activity is reached when "
            "it completes), \"all\" keeps every event under its activity's name, \"name+lifecycle\" makes each "
            "transition its own step (e.g. 'W_Completeren aanvraag+START')."
        )
    return dict(spec)


# --------------------------------------------------------------------------- entry point
def read_caselog(
    source: str | Path | pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    values: Mapping[str, Mapping[Any, Any]] | None = None,
    dayfirst: bool | None = None,
    sheet: str | int | None = None,
    mapping: str | Path | Mapping[str, Any] | None = None,
    cases: str | Path | pd.DataFrame | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    limits: Mapping[str, int] | None = None,
    milestone_columns: Mapping[str, str] | None = None,
    header_row: int | None = None,
    lifecycle: str | None = None,
    not_personal: list[str] | tuple[str, ...] | None = None,
) -> RawLog:
    """Read a case log into raw events with canonical column names.

    Parameters
    ----------
    source : path or DataFrame
        ``.csv`` / ``.txt`` / ``.tsv`` (delimiter ``,`` ``;`` or tab and
        encoding UTF-8, UTF-8 with BOM or cp1252 are detected), ``.xlsx``,
        ``.parquet``, ``.xes`` or ``.xes.gz`` (streamed; trace attributes
        become case attributes), or a pandas DataFrame.
    columns : dict, optional
        File header → canonical name, e.g. ``{"N° dossier": "case_id"}``.
    values : dict, optional
        Per column, file label → vocabulary value, e.g.
        ``{"event": {"Dossier envoyé": "dossier_submitted"},
        "born_abroad": {"oui": True, "non": False}}``.
    dayfirst : bool, optional
        Whether ``01/02/2025`` is 1 February. Detected when not given
        (French exports are day-first).
    sheet : str or int, optional
        Excel sheet (default: the first).
    header_row : int, optional
        Excel: the sheet's row number (from 1) that holds the headers. By
        default it is found: title rows above the table (a merged title, a
        date, a blank row: at most one filled cell each) are skipped, and a
        note says so.
    mapping : path or dict, optional
        A mapping file (JSON or TOML) holding any of ``columns``, ``values``,
        ``dayfirst``, ``delimiter``, ``encoding``, ``sheet``, ``header_row``,
        ``milestone_columns``, ``lifecycle``. Arguments given directly win
        over the file.
        ``milestone_columns``, ``not_personal``. Arguments given directly win
        over the file (``not_personal`` lists are joined).
    cases : path or DataFrame, optional
        A separate cases table (one row per ``case_id``) whose columns become
        case attributes, joined on ``case_id``. The same ``columns`` mapping
        applies to it.
    delimiter, encoding : str, optional
        Force the CSV delimiter or text encoding instead of detecting them.
    limits : dict, optional
        Raise some of :data:`DEFAULT_LIMITS` (``bytes``, ``events``, ``columns``,
        ``value_chars``) for a large file you trust.
    milestone_columns : dict, optional
        For a tracker, one row per dossier with a date column per step: date
        column header → the step it records (an event name, or a label the
        ``values`` table maps), in the order of the process, e.g.
        ``{"Date de dépôt": "registration_submitted", "Date attestation":
        "rights_opened"}``. Each filled date becomes one event of the
        dossier; the other columns are copied to each (case attributes). A
        ``trigger`` column (e.g. "Motif de blocage", renamed by ``columns``)
        is the dossier's current delay trigger: it goes to its last filled
        step (in this order). A row with no date at all is kept as one event
        with no timestamp, so validation sets it aside and names it. The
        quality report then counts events, not the tracker's rows (a note
        says how many rows made how many events); ``row`` stays the
        tracker's row.
    lifecycle : {"complete", "all", "name+lifecycle"}, optional
        What to do with the lifecycle transitions of an event log that has
        them (the ``lifecycle:transition`` column: XES, PM4Py's CSV and
        Parquet exports; a work item may be SCHEDULE'd, START'ed and
        COMPLETE'd). ``"complete"``: keep the events whose transition is
        ``complete`` (in any case) and those without one; validation sets
        the others aside, counted as ``lifecycle_not_complete``, so an
        activity is reached when it completes. ``"all"``: keep every event
        under its activity's name (an activity is then reached at its first
        transition, e.g. its SCHEDULE). ``"name+lifecycle"``: keep every
        event and name it ``activity+transition`` (``"W_Completeren
        aanvraag+START"``; events without a transition keep their name),
        after the ``values`` mapping, so each transition is its own step of
        the process model. Not given: as ``"complete"``, and the quality
        report's notes say what was set aside and how to choose.
    not_personal : list of str, optional
        Columns (canonical names, after renaming) that hold no personal
        data, e.g. ``["case_id"]`` when case ids are 13-digit epoch
        milliseconds: their values are shown in full in the quality report,
        the report, the widgets and the command line, where any number shaped
        like a social security number is otherwise masked. A value that
        passes the NIR key check (a real NIR) stays masked all the same, and
        a declared column that holds NIRs gets a warning. Joins the
        mapping's list.

    Returns
    -------
    RawLog
        ``.frame``: canonical columns, case attributes, and ``row`` (source
        row number); timestamps as written (:func:`validate` parses them).
        And what reading found: ``.source``, ``.dayfirst``,
        ``.malformed_rows``, ``.notes``, ``.case_attributes``.

    Examples
    --------
    >>> from vitale_analysis import read_caselog
    >>> raw = read_caselog("data/sample_caselog.csv")
    >>> list(raw.columns[:3]), raw.source
    (['case_id', 'event', 'timestamp'], 'data/sample_caselog.csv')
    """
    spec: dict[str, Any] = {}
    if mapping is not None:
        spec = read_mapping(mapping) if isinstance(mapping, (str, Path)) else _check_mapping(mapping, "mapping")
    columns = {**dict(spec.get("columns", {})), **dict(columns or {})}
    values = {**dict(spec.get("values", {})), **dict(values or {})}
    dayfirst = spec.get("dayfirst") if dayfirst is None else dayfirst
    sheet = spec.get("sheet") if sheet is None else sheet
    header_row = spec.get("header_row") if header_row is None else header_row
    delimiter = spec.get("delimiter") if delimiter is None else delimiter
    encoding = spec.get("encoding") if encoding is None else encoding
    given = {k: v for k, v in (("dayfirst", dayfirst), ("sheet", sheet), ("delimiter", delimiter),
                               ("encoding", encoding), ("header_row", header_row),
                               ("milestone_columns", milestone_columns), ("not_personal", not_personal))
             if v is not None}
    _check_mapping(given, "read_caselog()")  # (the same types as in a mapping file)
    milestones = {**dict(spec.get("milestone_columns", {})), **dict(milestone_columns or {})}
    lifecycle = spec.get("lifecycle") if lifecycle is None else lifecycle
    _check_mapping({"lifecycle": lifecycle}, "read_caselog()")
    not_personal = tuple(dict.fromkeys(c.strip() for c in [*(spec.get("not_personal") or ()), *(not_personal or ())]))
    if delimiter is not None and delimiter not in DELIMITERS:
        raise CaseLogError(f"delimiter={delimiter!r} is not supported; use one of {list(DELIMITERS)}.")

    bounds = _limits(limits)
    frame, name, malformed, notes, declared = _read_any(source, sheet=sheet, delimiter=delimiter, encoding=encoding,
                                                        header_row=header_row,
                                                        limits=bounds)
    if len(frame.columns) - 1 > bounds["columns"]:
        raise _too_large(name, f"{len(frame.columns) - 1:,} columns", "columns", bounds["columns"])
    if len(frame) + len(malformed) > bounds["events"]:
        raise _too_large(name, f"{len(frame) + len(malformed):,} rows", "events", bounds["events"])
    frame = _canonical_columns(frame, columns, name)
    if milestones:
        frame, tracker_note = _tracker_events(frame, milestones, name)
        notes = [*notes, tracker_note]
    require_columns(frame, REQUIRED_COLUMNS, name, columns)
    if values:
        frame = _map_values(frame, values, name)
    notes = [*notes, *_lifecycle_notes(frame, lifecycle)]
    if lifecycle == "name+lifecycle" and LIFECYCLE_COLUMN in frame.columns:
        frame = _name_with_lifecycle(frame)
    if cases is not None:
        before = set(frame.columns)
        frame = _join_cases(frame, cases, columns, values, sheet=sheet, delimiter=delimiter, encoding=encoding, events_name=name)
        declared = (*declared, *(c for c in frame.columns if c not in before))
    # Renamed declared attributes keep their new names.
    declared = tuple(columns.get(c, c) for c in declared)
    missing = [c for c in not_personal if c not in frame.columns or c == "row"]
    if missing:
        found = [c for c in frame.columns if c != "row"]
        raise CaseLogError(
            f"{name}: not_personal names column(s) {missing} that the log does not have. Columns (after "
            f"renaming) are: {found}. Fix: use these names in not_personal, e.g. [\"case_id\"]."
        )
    return RawLog(frame=frame, source=name, dayfirst=dayfirst, case_attributes=declared,
                  malformed_rows=tuple(malformed), notes=tuple(notes), labels=own_labels(values),
                  lifecycle=lifecycle, not_personal=not_personal)


def lifecycle_codes(frame: pd.DataFrame) -> tuple[np.ndarray, pd.Index] | None:
    """The lifecycle transitions of ``frame`` as ``(codes, categories)`` (trimmed text; -1: none
    written), or None when it has no :data:`LIFECYCLE_COLUMN`."""
    if LIFECYCLE_COLUMN not in frame.columns:
        return None
    codes, cats = text_codes(frame[LIFECYCLE_COLUMN])
    return np.asarray(codes), cats


def _lifecycle_notes(frame: pd.DataFrame, lifecycle: str | None) -> list[str]:
    """What reading says about the lifecycle setting (validation says what ``complete`` set aside)."""
    found = lifecycle_codes(frame)
    if lifecycle is None or lifecycle == "complete":
        return []  # (validation counts what it sets aside, and names the setting)
    if found is None:
        return [(f"lifecycle = {toml_string(lifecycle)}: the log has no {LIFECYCLE_COLUMN!r} column, so every event "
                 "keeps its name and is kept")]
    codes, cats = found
    other = np.array([fold(c) != "complete" for c in cats], dtype=bool)
    n_other = int(np.count_nonzero((codes >= 0) & np.append(other, False)[codes]))
    if lifecycle == "all":
        return [(f"lifecycle = \"all\": every event is kept under its activity's name, whatever its transition "
                 f"({n_other:,} {'is' if n_other == 1 else 'are'} not 'complete'); an activity is reached at its "
                 "first event, e.g. when it is scheduled")]
    return [(f"lifecycle = \"name+lifecycle\": each event is named activity+transition (e.g. "
             f"{_combined_example(frame, codes, cats)!r}), so each transition is its own step; the process model "
             "must name the steps that way")]


def _combined_example(frame: pd.DataFrame, codes: np.ndarray, cats: pd.Index) -> str:
    hit = np.flatnonzero(codes >= 0)
    if not len(hit):
        return "W_Completeren aanvraag+START"
    return f"{str(frame['event'].iloc[hit[0]]).strip()}+{cats[codes[hit[0]]]}"


def _name_with_lifecycle(frame: pd.DataFrame) -> pd.DataFrame:
    """``event`` becomes ``event+transition`` where a transition is written (as written, trimmed).

    Built on the distinct (name, transition) pairs, not row by row: the result is a categorical."""
    life, life_cats = lifecycle_codes(frame)
    if not (life >= 0).any():
        return frame
    names, name_cats = text_codes(frame["event"])
    pair = widen(names) * (len(life_cats) + 1) + (widen(life) + 1)  # (a missing name stays missing)
    pairs, inverse = np.unique(pair, return_inverse=True)
    labels = []
    for key in pairs.tolist():
        name, transition = divmod(key, len(life_cats) + 1)
        labels.append(None if name < 0 else name_cats[name] if transition == 0
                      else f"{name_cats[name]}+{life_cats[transition - 1]}")
    known = {label: k for k, label in enumerate(label for label in dict.fromkeys(labels) if label is not None)}
    lookup = np.array([known.get(label, -1) for label in labels], dtype=np.int64)
    frame = frame.copy(deep=False)
    frame["event"] = pd.Categorical.from_codes(lookup[inverse].astype(code_width(len(known))),
                                               categories=pd.Index(list(known), dtype="string"), validate=False)
    return frame


@dataclass(frozen=True)
class RawTable:
    """A file's table as written (its own headers and labels) and how it was read: what the
    mapping assistant starts from, and the settings a mapping file would hold.

    ``encoding`` and ``delimiter`` are set for text files, ``sheet`` (its name), ``sheets``
    (all of them) and ``header_row`` (from 1) for Excel; ``kind`` is ``csv``, ``excel``,
    ``parquet``, ``xes`` or ``frame``.
    """

    frame: pd.DataFrame
    source: str
    kind: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sheets: tuple[str, ...] = ()
    header_row: int | None = None
    notes: tuple[str, ...] = ()
    malformed_rows: int = 0


_READ_AS = re.compile(r"read as (?P<encoding>[^,]+), delimiter (?P<delimiter>'.*?')")


def read_table(source: str | Path | pd.DataFrame, *, sheet: str | int | None = None, header_row: int | None = None,
               delimiter: str | None = None, encoding: str | None = None,
               limits: Mapping[str, int] | None = None) -> RawTable:
    """Read a file's table as it is written (no renaming, no value mapping) and say how.

    Detection is the same as :func:`read_caselog`'s (encoding, delimiter, Excel sheet and
    title rows); the facts come back as fields, ready to be written into a mapping.

    >>> from vitale_analysis.read import read_table
    >>> table = read_table("data/sample_export_fr.csv")
    >>> table.encoding, table.delimiter, list(table.frame.columns[:2])
    ('cp1252', ';', ['N° dossier', 'Étape'])
    """
    bounds = _limits(limits)
    kind, sheets, sheet_name = "frame", (), None
    if isinstance(source, (str, Path)):
        path = Path(source)
        suffix = "".join(s.lower() for s in path.suffixes[-2:])
        if suffix.endswith((".xlsx", ".xlsm")) and path.is_file():
            kind = "excel"
            try:
                with pd.ExcelFile(path, engine="calamine") as book:
                    sheets = tuple(book.sheet_names)
                    if sheet is None:
                        sheet = _default_sheet(path, list(sheets))[0]
                    if isinstance(sheet, int) and 0 <= sheet < len(sheets):
                        sheet = sheets[sheet]
                    if header_row is None and sheet in sheets:
                        header_row = _header_row(pd.read_excel(book, sheet_name=sheet, header=None,
                                                               nrows=_TITLE_ROWS, dtype=object))
            except Exception:  # (_read_any below names what is wrong with the file)
                pass
            sheet_name = sheet if isinstance(sheet, str) else None
        elif suffix.endswith((".csv", ".txt", ".tsv")):
            kind = "csv"
        elif suffix.endswith((".parquet", ".pq")):
            kind = "parquet"
        elif suffix.endswith((".xes", ".xes.gz")):
            kind = "xes"
    frame, name, malformed, notes, _ = _read_any(source, sheet=sheet, delimiter=delimiter, encoding=encoding,
                                                 header_row=header_row, limits=bounds)
    used_encoding, used_delimiter = encoding, delimiter
    for note in notes:
        found = _READ_AS.match(note)
        if found:
            used_encoding = found["encoding"]
            used_delimiter = ast.literal_eval(found["delimiter"])
    return RawTable(frame=frame, source=name, kind=kind, encoding=used_encoding if kind == "csv" else None,
                    delimiter=used_delimiter if kind == "csv" else None, sheet=sheet_name, sheets=sheets,
                    header_row=header_row if kind == "excel" else None, notes=tuple(notes),
                    malformed_rows=len(malformed))


def _tracker_events(frame: pd.DataFrame, milestones: Mapping[str, str], name: str) -> tuple[pd.DataFrame, str]:
    """A tracker (one row per dossier, a date column per step) as events: one per filled date, in
    tracker-row order then the order of ``milestones``; see ``milestone_columns`` in :func:`read_caselog`."""
    headers = list(milestones)
    found = [c for c in frame.columns if c != "row"]
    absent = [h for h in headers if h not in frame.columns]
    if absent:
        hints = [f"{h!r}" + (f" (closest: {near[0]!r})" if (near := closest_names(h, found)) else "") for h in absent]
        raise CaseLogError(
            f"{name}: the tracker's date column(s) {', '.join(hints)} (milestone_columns) are not in the file. "
            f"Columns found: {found}. Fix the headers in milestone_columns."
        )
    taken = [c for c in ("event", "timestamp") if c in frame.columns]
    if taken:
        raise CaseLogError(
            f"{name}: the file has a {' and a '.join(repr(c) for c in taken)} column and milestone_columns: a "
            "tracker's steps and dates come from its date columns. Fix: leave milestone_columns out for an "
            "event log (one row per step), or do not map a column to 'event' or 'timestamp' for a tracker."
        )
    if "case_id" not in frame.columns:
        require_columns(frame, ("case_id",), name, {})
    n = len(frame)
    filled = np.zeros((n, len(headers)), dtype=bool)
    for k, header in enumerate(headers):
        cells = frame[header]
        text = cells.astype("string").str.strip()
        filled[:, k] = (cells.notna() & text.notna() & (text != "")).to_numpy(dtype=bool, na_value=False)
    any_date = filled.any(axis=1)
    last = np.where(any_date, len(headers) - 1 - np.argmax(filled[:, ::-1], axis=1), -1)
    keep = [c for c in frame.columns if c not in headers and c != "trigger"]
    base = frame[keep].reset_index(drop=True)
    trigger = frame["trigger"].astype(object).reset_index(drop=True) if "trigger" in frame.columns else None
    parts, order = [], []
    for k, header in enumerate(headers):
        idx = np.flatnonzero(filled[:, k])
        part = base.iloc[idx].reset_index(drop=True)
        part["event"] = milestones[header]
        part["timestamp"] = frame[header].astype(object).to_numpy()[idx]
        if trigger is not None:
            part["trigger"] = np.where(last[idx] == k, trigger.to_numpy()[idx], None)
        parts.append(part)
        order.append(np.column_stack([idx, np.full(len(idx), k)]))
    empty = np.flatnonzero(~any_date)
    if len(empty):  # kept with no timestamp: validation sets it aside (missing_timestamp) and names its row
        part = base.iloc[empty].reset_index(drop=True)
        part["event"] = milestones[headers[0]]
        part["timestamp"] = None
        if trigger is not None:
            part["trigger"] = trigger.to_numpy()[empty]
        parts.append(part)
        order.append(np.column_stack([empty, np.full(len(empty), -1)]))
    events = pd.concat(parts, ignore_index=True)
    keys = np.concatenate(order)
    events = events.iloc[np.lexsort((keys[:, 1], keys[:, 0]))].reset_index(drop=True)
    for column in ("event", "trigger"):
        if column in events.columns:
            events[column] = events[column].astype("string")
    columns = ["case_id", "event", "timestamp"] + (["trigger"] if trigger is not None else [])
    events = events[columns + [c for c in events.columns if c not in columns]]
    note = (f"tracker: {n:,} dossier {'row' if n == 1 else 'rows'} read as {int(filled.sum()):,} events, one per "
            f"filled date of {', '.join(repr(h) for h in headers)}"
            + (f"; {len(empty):,} {'row has' if len(empty) == 1 else 'rows have'} no date at all (set aside as "
               "missing_timestamp)" if len(empty) else "")
            + ("; the trigger column goes to each dossier's last filled step" if trigger is not None else ""))
    return events, note


# --------------------------------------------------------------------------- per format
def number_rows(frame: pd.DataFrame, first: int = 1) -> None:
    """Give ``frame`` its ``row`` column: ``first``, ``first + 1``, … in its order (in place).

    32-bit integers while the numbers fit (files of up to two billion rows):
    half the memory of 64-bit ones, on every copy validation makes. Handed to
    pandas as a Series: an ndarray set as a column is copied (80 MB for ten
    million rows).
    """
    last = first + len(frame)
    dtype = np.int32 if last <= np.iinfo(np.int32).max else np.int64
    frame["row"] = pd.Series(np.arange(first, last, dtype=dtype), index=frame.index, copy=False)


def _keep_file_row(frame: pd.DataFrame) -> list[str]:
    """Rename a column the file itself calls ``row`` (``row`` holds the row numbers the quality
    report names) to ``file_row`` (or ``file_row_2`` …), in place; the note saying so, if any."""
    if "row" not in frame.columns:
        return []
    new, k = "file_row", 1
    while new in frame.columns:
        k += 1
        new = f"file_row_{k}"
    frame.columns = [new if c == "row" else c for c in frame.columns]  # (in place: the caller's frame)
    return [f"the file's own column 'row' was renamed {new!r}: 'row' holds the row numbers "
            "the quality report names"]


def _read_any(source, *, sheet, delimiter, encoding, limits=DEFAULT_LIMITS, header_row=None):
    """Return (frame with a `row` column, source name, malformed rows, notes, declared case attributes)."""
    if header_row is not None and not (isinstance(source, (str, Path))
                                       and Path(source).suffix.lower() in (".xlsx", ".xlsm")):
        raise CaseLogError(f"header_row={header_row} applies to Excel sheets only; {str(source)[:80]!r} is not "
                           "one. Fix: leave header_row out (a CSV's header is its first line).")
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
        frame.columns = [str(c) for c in frame.columns]
        frame = frame.reset_index(drop=True)
        notes = _keep_file_row(frame)
        number_rows(frame)
        return frame, "DataFrame", [], notes, ()
    if not isinstance(source, (str, Path)):
        raise CaseLogError(
            f"Cannot read a case log from a {type(source).__name__}; "
            "give a file path (.csv, .xlsx, .parquet, .xes, .xes.gz) or a pandas DataFrame."
        )
    path = Path(source)
    name = str(path)
    if not path.exists():
        hint = ""
        if path.parent.exists():
            near = closest_names(path.name, [p.name for p in path.parent.iterdir()])
            if near:
                hint = f" Did you mean {near[0]!r}?"
        raise CaseLogError(f"Case log {name!r} does not exist.{hint} Check the path.")
    if path.is_dir():
        raise CaseLogError(f"Case log {name!r} is a folder; give the path of a file inside it.")
    suffixes = "".join(s.lower() for s in path.suffixes[-2:])
    suffix = path.suffix.lower()
    if suffixes.endswith(".xes.gz") or suffix == ".xes":
        frame, trace_keys, notes, orphans = _read_xes(path, limits)
        return frame, name, orphans, notes, trace_keys
    if suffix in (".csv", ".txt", ".tsv"):
        if path.stat().st_size > limits["bytes"]:
            raise _too_large(name, f"{path.stat().st_size:,} bytes", "bytes", limits["bytes"])
        try:
            frame, malformed, notes = _read_csv(path, delimiter=delimiter, encoding=encoding,
                                                max_columns=limits["columns"])
        except TooManyColumns as exc:
            count, exact = exc.args
            raise _too_large(name, f"{'' if exact else 'at least '}{count:,} columns", "columns",
                             limits["columns"]) from None
        return frame, name, malformed, notes, ()
    if suffix in (".xlsx", ".xlsm"):
        _check_unzipped_size(path, name, limits["bytes"], limits["ratio"])
        frame, notes = _read_excel(path, sheet, header_row)
        return frame, name, [], notes, ()
    if suffix in (".parquet", ".pq"):
        frame, notes = _read_parquet(path)
        return frame, name, [], notes, ()
    if suffix == ".xls":
        raise CaseLogError(
            f"{name}: the old Excel .xls format is not supported; open it in Excel or "
            "LibreOffice and save it as .xlsx (or export it as CSV)."
        )
    raise CaseLogError(
        f"{name}: unsupported file format {suffix or '(no suffix)'!r}. Supported: .csv (also .txt, .tsv), "
        ".xlsx, .parquet, .xes, .xes.gz — or pass a pandas DataFrame."
    )


def _decode(data: bytes, name: str, encoding: str | None) -> tuple[str, str]:
    """Decode bytes: the given encoding, else UTF-8 (with or without BOM), else cp1252."""
    if encoding is not None:
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise CaseLogError(f"{name}: unknown encoding {encoding!r}; use e.g. 'utf-8' or 'cp1252'.") from None
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise CaseLogError(
                f"{name}: line {line} is not valid {encoding} (byte {data[exc.start:exc.start + 1]!r} "
                f"at offset {exc.start}). Fix: re-export the file as UTF-8, or leave `encoding` "
                "unset to let it be detected."
            ) from None
    utf16 = _utf16_kind(data)
    if utf16 is not None:
        try:
            return data.decode(utf16), f"{utf16.upper().replace('-SIG', '')} (UTF-16 detected)"
        except UnicodeDecodeError:
            pass  # not UTF-16 after all: the usual candidates below
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ("utf-8-sig",)
    else:
        candidates = ("utf-8", "cp1252")
        mixed = _decode_mixed(data)
        if mixed is not None:
            return mixed
    last_error = None
    for enc in candidates:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError as exc:
            last_error = exc
    exc = last_error  # where the last fallback (cp1252) failed: a byte no candidate reads
    line = data[: exc.start].count(b"\n") + 1
    raise CaseLogError(
        f"{name}: cannot read the text: line {line} has a byte ({data[exc.start:exc.start + 1]!r}, offset "
        f"{exc.start}) that is neither UTF-8 nor Windows-1252 (cp1252). Fix: re-export the file "
        "as 'CSV UTF-8', or pass encoding= with the file's real encoding."
    )


def _utf16_kind(data: bytes) -> str | None:
    """``"utf-16"`` (with a byte-order mark), ``"utf-16-le"`` or ``"utf-16-be"`` (without: the
    zero bytes of ASCII text fall on odd or even offsets), else None."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = data[:4096]
    if len(head) < 8 or head.count(0) < len(head) // 4:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd > 0.4 * len(head) / 2 and even < 0.05 * len(head) / 2:
        return "utf-16-le"
    if even > 0.4 * len(head) / 2 and odd < 0.05 * len(head) / 2:
        return "utf-16-be"
    return None


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")


def _decode_mixed(data: bytes) -> tuple[str, str] | None:
    """A UTF-8 file with a few lines saved in cp1252 (copy-pasted from another export).

    Decoding it all as cp1252 would garble every accent of the UTF-8 lines; so
    when the file fails as UTF-8 but holds real UTF-8 accents, each line is read
    as UTF-8 and, failing that, as cp1252, and those lines are named in the
    quality report's notes. Returns None for a file that is not mixed.
    """
    try:
        data.decode("utf-8")
        return None
    except UnicodeDecodeError:
        pass
    if not _UTF8_MULTIBYTE.search(data):
        return None
    lines, fallback = [], []
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            try:
                lines.append(line.decode("cp1252"))
            except UnicodeDecodeError:
                return None  # neither: let the caller report the byte
            fallback.append(number)
    shown = ", ".join(str(n) for n in fallback[:20]) + (" …" if len(fallback) > 20 else "")
    return "\n".join(lines), f"utf-8, but line(s) {shown} were not UTF-8 and were read as cp1252: check their accents"


def _unclosed_quote_line(text: str, delim: str) -> int | None:
    """The line of a quote that opens a cell never closed, else None. A quote opens a cell
    only at its start: one inside an unquoted cell (``dit "urgent``) is a plain character,
    as the parsers read it."""
    if text.count('"') % 2 == 0:
        return None
    inside, opened_at = False, 0
    for number, line in enumerate(text.split("\n"), start=1):
        if '"' not in line:
            continue
        was_inside = inside
        inside = _still_quoted(line, delim, inside)
        if inside and not was_inside:
            opened_at = number
    return opened_at if inside else None


def _read_csv(path: Path, *, delimiter: str | None, encoding: str | None, max_columns: int | None = None):
    """A CSV file: the fast strict way (csvfast.py) when it can, else the tolerant way below."""
    fast = read_csv_strict(path, delimiter=delimiter, encoding=encoding, max_columns=max_columns)
    if fast is not None:
        table, names, used, delim, rows, malformed = fast
        frame = arrow_to_frame(table, sorted_chunks=False)
        del table
        frame.columns = names
        notes = _keep_file_row(frame)
        if rows is None:
            number_rows(frame)
        else:
            frame["row"] = pd.Series(rows.astype(np.int32 if len(rows) and rows[-1] < 2**31 - 1 else np.int64),
                                     copy=False)
        return frame, malformed, [f"read as {used}, delimiter {delim!r}", *_sep_note(path), *notes]
    return _read_csv_text(path, delimiter=delimiter, encoding=encoding, max_columns=max_columns)


_SEP_NOTE = "the first line 'sep={}' (written by Excel) names the delimiter; it was not read as the header"


def _sep_note(path: Path) -> list[str]:
    with path.open("rb") as fh:
        head = fh.read(16).decode("latin-1")
    found = excel_sep_line(head.lstrip("\ufeff").lstrip("ï»¿"))
    return [_SEP_NOTE.format(found)] if found else []


def _read_csv_text(path: Path, *, delimiter: str | None, encoding: str | None, max_columns: int | None = None):
    """The tolerant way: the whole text decoded (encodings detected line by line if need be),
    pandas' parser, and Python's csv module for files with malformed rows."""
    name = str(path)
    data = path.read_bytes()
    if not data.strip():
        raise CaseLogError(f"{name}: the file is empty. Export the case log again (with its header row).")
    text, used = _decode(data, name, encoding)
    del data
    if text.startswith("\ufeff"):
        text = text[1:]
    excel_sep = excel_sep_line(text)
    if excel_sep:  # Excel's "sep=;" line: the delimiter, not the header
        text = "\n" + text.split("\n", 1)[1] if "\n" in text else ""  # (a blank line: line numbers stay)
    delim = delimiter or excel_sep or sniff_delimiter(text)
    if max_columns is not None:  # (before pandas builds them: 200,000 columns would take minutes)
        first = next((line for line in text.split("\n", 50)[:50] if line.strip()), "")
        if first.count(delim) + 1 > max_columns:
            raise TooManyColumns(first.count(delim) + 1, True)
    open_line = _unclosed_quote_line(text, delim)
    if open_line is not None:
        raise CaseLogError(
            f"{name}: line {open_line} opens a quote (\") that is never closed, so every line after it "
            "would be read as one cell. Fix: close the quote or remove it, then export again."
        )
    notes = [f"read as {used}, delimiter {delim!r}"] + ([_SEP_NOTE.format(excel_sep)] if excel_sep else [])
    text, stray_notes = _neutralise_stray_quotes(text, delim)
    notes += stray_notes
    malformed: list[dict[str, Any]] = []
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delim,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=True,
            engine="c",
        )
    except pd.errors.EmptyDataError:
        raise CaseLogError(f"{name}: the file has no header row. Export the case log again with its headers.") from None
    except pd.errors.ParserError:
        # Rows with a wrong number of fields: split them with the csv module so
        # each bad row is set aside with its line number instead of lost.
        frame, malformed = _read_csv_tolerant(text, delim, name)
    if stray_notes:  # the quotes read as plain characters get their own character back
        for column in frame.columns:
            if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column].dtype):
                frame[column] = frame[column].str.replace(_PLAIN_QUOTE, '"', regex=False)
        for m in malformed:
            m["value"] = str(m["value"]).replace(_PLAIN_QUOTE, '"')
    notes += _keep_file_row(frame)
    if malformed:
        # Rows set aside keep their place in the row numbering of the file.
        frame["row"] = _renumber_around(len(frame), [m["row"] for m in malformed])
    else:
        number_rows(frame)
    return frame, malformed, notes


_PLAIN_QUOTE = "\ue000"  # (a private-use character: a quote read as a plain character)


def _neutralise_stray_quotes(text: str, delim: str) -> tuple[str, list[str]]:
    """Quotes that open a field closed only lines later, with lines between that look like rows
    of their own (as many delimiters as the header): stray quotes, which would swallow those
    events into one cell. Their lines' quotes become plain characters, so that each line is a
    row; a note names the lines. Returns the text and the notes."""
    lines = text.split("\n")
    header = next((line for line in lines if line.strip()), "")
    needed = header.count(delim)  # (a row holds at least as many delimiters as the header)
    if not needed or '"' not in text:
        return text, []
    regions, inside, start, rowlike = [], False, 0, False
    for i, line in enumerate(lines):
        if inside and line.count(delim) >= needed:
            rowlike = True
        if '"' not in line:
            continue
        was_inside = inside
        inside = _still_quoted(line, delim, inside)
        if not was_inside and inside:
            start, rowlike = i, False
        elif was_inside and not inside and rowlike:
            regions.append((start, i))
    if not regions:
        return text, []
    for first, last in regions:
        for i in range(first, last + 1):
            lines[i] = lines[i].replace('"', _PLAIN_QUOTE)
    shown = ", ".join(f"{a + 1}–{b + 1}" for a, b in regions[:10]) + (" …" if len(regions) > 10 else "")
    n_lines = sum(b - a + 1 for a, b in regions)
    return "\n".join(lines), [
        f"stray quotes: {len(regions):,} quote(s) opened a cell that closed only lines later, over lines that "
        f"look like rows of their own (lines {shown}); their quotes were read as plain characters, so those "
        f"{n_lines:,} lines are rows of their own. Check them, and fix the quotes in the export."]


def _still_quoted(line: str, delim: str, inside: bool) -> bool:
    """Whether a quoted cell is still open at the end of ``line`` (``inside``: open at its start).
    A quote opens a cell only at its start; inside, ``""`` is a quote character."""
    at_start, i, n = not inside, 0, len(line)
    while i < n:
        ch = line[i]
        if inside:
            if ch == '"':
                if i + 1 < n and line[i + 1] == '"':
                    i += 2
                    continue
                inside = False
        elif ch == '"' and at_start:
            inside = True
        at_start = ch == delim and not inside
        i += 1
    return inside


def _read_csv_tolerant(text: str, delim: str, name: str):
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    try:
        header = next(reader)
        while not any(cell.strip() for cell in header):
            header = next(reader)
    except StopIteration:
        raise CaseLogError(f"{name}: the file has no header row.") from None
    except csv.Error as exc:
        raise CaseLogError(f"{name}: the header line cannot be read ({exc}). Check the quoting.") from None
    good, malformed = [], []
    row = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            row += 1
            malformed.append({"row": row, "line": reader.line_num, "value": f"({exc})"})
            continue
        if not any(cell.strip() for cell in record):
            continue
        row += 1
        if len(record) < len(header):
            # Trailing empty fields left out, as some exports do: padded, as pandas does.
            record = record + [""] * (len(header) - len(record))
        if len(record) != len(header):
            malformed.append(
                {
                    "row": row,
                    "line": reader.line_num,
                    "value": delim.join(record)[:200],
                    "fields": len(record),
                    "expected": len(header),
                }
            )
        else:
            good.append(record)
    frame = pd.DataFrame(good, columns=header, dtype=object)
    frame = frame.replace({"": None})
    return frame, malformed


def _renumber_around(n_good: int, bad_rows: list[int]) -> np.ndarray:
    """Row numbers of the good rows when the bad row numbers are taken out."""
    total = n_good + len(bad_rows)
    keep = np.ones(total, dtype=bool)
    keep[np.asarray(bad_rows, dtype=int) - 1] = False
    return np.arange(1, total + 1)[keep]


def _read_excel(path: Path, sheet, header_row: int | None = None) -> tuple[pd.DataFrame, list[str]]:
    """An .xlsx sheet read by calamine (Rust): formula cells give the value Excel saved.

    Returns the frame and notes: formula cells with no saved value (a file written by
    a program, never opened in Excel) are read as empty and named one by one; title
    rows skipped above the header (``header_row``, found when not given).
    """
    name = str(path)
    try:
        book = pd.ExcelFile(path, engine="calamine")
    except Exception as exc:  # zip or XML errors inside calamine
        raise CaseLogError(
            f"{name}: cannot open it as an Excel workbook ({type(exc).__name__}: {exc}). "
            "The file may be damaged or not really .xlsx; open and re-save it in Excel, or export CSV."
        ) from None
    notes: list[str] = []
    with book:
        sheets = book.sheet_names
        if sheet is None:
            sheet, notes = _default_sheet(path, sheets)
        if isinstance(sheet, int):
            if not 0 <= sheet < len(sheets):
                raise CaseLogError(f"{name}: there is no sheet number {sheet}; sheets are {sheets}.")
        elif sheet not in sheets:
            near = closest_names(str(sheet), sheets)
            hint = f" Did you mean {near[0]!r}?" if near else ""
            raise CaseLogError(f"{name}: no sheet {sheet!r}.{hint} Sheets are {sheets}.")
        try:
            if header_row is None:
                header_row = _header_row(pd.read_excel(book, sheet_name=sheet, header=None, nrows=_TITLE_ROWS,
                                                       dtype=object))
                if header_row > 1:
                    notes.append(f"the header is on row {header_row} of the sheet: the "
                                 f"{i18n.count(header_row - 1, 'row', 'en')} above (a title) skipped; set "
                                 "header_row in the mapping if another row holds the headers")
            frame = pd.read_excel(book, sheet_name=sheet, dtype=object, header=header_row - 1)
        except Exception as exc:
            raise CaseLogError(f"{name}: sheet {sheet!r} cannot be read ({type(exc).__name__}: {exc}).") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    notes += _keep_file_row(frame)
    for column in frame.columns:
        frame[column] = _excel_column(frame[column])
    # Number rows before dropping blank ones, so row numbers match the sheet's.
    number_rows(frame)
    blank = frame.drop(columns="row").isna().all(axis=1)
    sheet_name = sheets[sheet] if isinstance(sheet, int) else sheet
    return frame[~blank].reset_index(drop=True), notes + _unsaved_formula_notes(path, sheet_name)


#: Rows at the top of a sheet looked at for the header (title rows above it are skipped).
_TITLE_ROWS = 20


def _header_row(top: pd.DataFrame) -> int:
    """The sheet row (from 1) of the header: the first of the top rows with two or more filled cells, when
    the rows above it have at most one each (a merged title, a date line, a blank row); else row 1."""
    filled = top.notna().to_numpy() & (top.astype(str).apply(lambda c: c.str.strip()).to_numpy() != "")
    counts = filled.sum(axis=1)
    for i, count in enumerate(counts):
        if count >= 2:
            return i + 1 if (counts[:i] <= 1).all() else 1
    return 1


def _default_sheet(path: Path, sheets: list[str]) -> tuple[int, list[str]]:
    """The sheet Excel shows on opening (the active one), unless hidden: then the first visible
    one. Hidden sheets passed over are named in a note (``sheet=`` reads any sheet)."""
    import zipfile

    from python_calamine import CalamineWorkbook, SheetVisibleEnum

    try:
        visible = [m.visible == SheetVisibleEnum.Visible for m in CalamineWorkbook.from_path(str(path)).sheets_metadata]
        with zipfile.ZipFile(path) as book:
            found = re.search(rb'activeTab="(\d+)"', book.read("xl/workbook.xml"))
    except Exception:  # (calamine has just opened it: a failure here only loses the refinement)
        return 0, []
    if len(visible) != len(sheets) or all(visible):
        active = int(found.group(1)) if found else 0
        return (active if 0 <= active < len(sheets) else 0), []
    active = int(found.group(1)) if found else 0
    if not (0 <= active < len(sheets) and visible[active]):
        active = next((i for i, v in enumerate(visible) if v), 0)
    hidden = [name for name, v in zip(sheets, visible) if not v]
    return active, [f"hidden sheet(s) {hidden} were passed over; read the visible sheet {sheets[active]!r} "
                    "(pass sheet= to read another)"]


def _excel_column(values: pd.Series) -> pd.Series:
    """:func:`_excel_cell` on a column, each distinct value once (a column of a million
    cells holds a few thousand distinct ones)."""
    if values.dtype != object:
        values = values.astype(object)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty", "boolean"):
        return values.where(values.notna(), None)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    kinds = {type(v) for v in uniques}
    if bool in kinds and kinds & {int, float, np.float64, np.int64}:  # True and 1.0 hash alike
        return values.map(_excel_cell)
    cells = np.array([_excel_cell(v) for v in uniques] + [None], dtype=object)
    return pd.Series(cells[codes], index=values.index, dtype=object, copy=False)


_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
_ATTRIBUTE = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')
_RELATION_TAG = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_FORMULA_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*)>((?:(?!</(?:\w+:)?c>).)*?<(?:\w+:)?f\b.*?)</(?:\w+:)?c>", re.S)
_VALUE = re.compile(rb"<(?:\w+:)?v>[^<]+</(?:\w+:)?v>")


def _unsaved_formula_notes(path: Path, sheet_name: str, limit: int = 20) -> list[str]:
    """Notes naming the formula cells of ``sheet_name`` that hold no saved value.

    Looked for in the sheet's XML: a file without any ``<f>`` element (nearly every
    export) costs one scan; only then are cells looked at one by one.
    """
    import html
    import zipfile

    try:
        with zipfile.ZipFile(path) as book:
            workbook = book.read("xl/workbook.xml")
            relations = book.read("xl/_rels/workbook.xml.rels")
            target = None
            for tag in _SHEET_TAG.findall(workbook):
                attrs = dict(_ATTRIBUTE.findall(tag))
                if html.unescape(attrs.get(b"name", b"").decode("utf-8")) == sheet_name:
                    rid = next((v for k, v in attrs.items() if k.endswith(b":id")), None)
                    for rel in _RELATION_TAG.findall(relations):
                        rel_attrs = dict(_ATTRIBUTE.findall(rel))
                        if rel_attrs.get(b"Id") == rid:
                            target = rel_attrs.get(b"Target", b"").decode("utf-8")
            if not target:
                return []
            member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            found = False
            with book.open(member) as fh:
                tail = b""
                while chunk := fh.read(16 << 20):
                    if re.search(rb"<(?:\w+:)?f\b", tail + chunk):
                        found = True
                        break
                    tail = chunk[-8:]
            if not found:
                return []
            xml = book.read(member)
    except (KeyError, OSError, zipfile.BadZipFile, UnicodeDecodeError):
        return []
    cells = []
    for match in _FORMULA_CELL.finditer(xml):
        if _VALUE.search(match.group(2)):
            continue
        ref = dict(_ATTRIBUTE.findall(match.group(1))).get(b"r", b"?").decode("ascii", "replace")
        cells.append(ref)
    if not cells:
        return []
    shown = ", ".join(cells[:limit]) + (f" and {len(cells) - limit:,} more" if len(cells) > limit else "")
    return [f"{len(cells):,} formula cell(s) of sheet {sheet_name!r} have no saved value and were read as empty: "
            f"{shown}. Fix: open the file in Excel (or LibreOffice) and save it, so the values are computed "
            "and saved."]


def _excel_cell(value):
    """Excel gives numbers for numeric-looking ids: 123.0 → '123'; text stays text."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(value)
    return value


def _check_unzipped_size(path: Path, name: str, limit: int, max_ratio: int) -> None:
    """Refuse an .xlsx whose parts add up to more than ``limit`` bytes once unzipped (a zip bomb)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as book:
            size = sum(info.file_size for info in book.infolist())
            packed = sum(info.compress_size for info in book.infolist())
    except (zipfile.BadZipFile, OSError):
        return  # (calamine then says the file is damaged)
    if size > limit:
        raise _too_large(name, f"{size:,} bytes once unzipped", "bytes", limit)
    if size > _RATIO_FLOOR and size > max_ratio * max(packed, 1):
        raise _too_large(name, f"its parts grow {size / max(packed, 1):,.0f} times when unzipped (a zip bomb?)",
                         "ratio", max_ratio)


class _DuplicateColumns(Exception):
    """A Parquet schema naming a column twice (args[0]: the names)."""


def _read_parquet(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """A Parquet file, its text columns as categoricals.

    Case logs repeat a few names (events, offices, channels) over millions of
    rows: reading text columns as dictionaries and handing pandas the codes
    avoids making one Python string per cell (measured: 1.8 s → 0.8 s for the
    conversion of 10.7 million events, and about a sixth of the memory).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
        repeated = sorted(n for n, k in Counter(schema.names).items() if k > 1)
        if repeated:
            raise _DuplicateColumns(repeated)
        text = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
        table = pq.read_table(path, read_dictionary=text)
        if schema.pandas_metadata:  # a pandas index written as a column is not event data
            index_columns = [c for c in schema.pandas_metadata.get("index_columns", []) if isinstance(c, str)]
            table = table.drop_columns([c for c in index_columns if c in table.column_names])
        frame = arrow_to_frame(table)
        del table
    except _DuplicateColumns as exc:
        raise CaseLogError(
            f"{str(path)}: the Parquet file has column(s) {exc.args[0]} more than once, so which one holds "
            "the data is unclear. Fix: write the file again with each column name once."
        ) from None
    except Exception as exc:
        raise CaseLogError(
            f"{str(path)}: cannot read it as Parquet ({type(exc).__name__}: {exc}). "
            "The file may be truncated or not Parquet."
        ) from None
    frame.columns = [str(c) for c in frame.columns]
    notes = _keep_file_row(frame)
    number_rows(frame)
    return frame, notes


_THREADED_ROWS = 200_000  # (below, a thread pool costs more than it saves)


def arrow_to_frame(table, *, sorted_chunks: bool = True) -> pd.DataFrame:
    """An Arrow table as a DataFrame; dictionary (text) columns become categoricals from their codes.

    ``sorted_chunks=False`` skips the look for row groups of sorted dictionaries
    (a Parquet file sorted by case), which a CSV file's blocks never have."""
    import pyarrow as pa

    def convert(name: str):
        col = table[name]
        if pa.types.is_dictionary(col.type) and col.num_chunks:
            return (sorted_chunks and _sorted_chunks_categorical(col)) or _unified_categorical(col)
        return col.to_pandas()

    # Arrow and NumPy let go of the GIL here: two columns at a time take half the time
    # (0.56 s → 0.30 s for the nine columns of a million dossiers read from a CSV).
    names = table.column_names
    if table.num_rows >= _THREADED_ROWS:
        converted = thread_map(convert, names)
    else:
        converted = [convert(name) for name in names]
    return pd.DataFrame(dict(zip(names, converted)), copy=False)  # the arrays are fresh: no copy again


def _chunk_codes(chunks, lookups, n_categories: int) -> np.ndarray:
    """The chunks' dictionary indices (through each one's lookup, if any) as one array of codes,
    -1 for a null, in the width pandas keeps codes for ``n_categories`` (8 bits for a few
    dozen names): one pass, no second conversion by pandas."""
    import pyarrow.compute as pc

    width = code_width(n_categories)
    parts = []
    for chunk, lookup in zip(chunks, lookups):
        indices = chunk.indices
        codes = (pc.fill_null(indices, -1) if indices.null_count else indices).to_numpy(zero_copy_only=False)
        parts.append(codes if lookup is None else lookup[codes])
    return np.concatenate(parts, dtype=width, casting="same_kind") if parts else np.zeros(0, dtype=width)


def _dictionary_key(dictionary) -> tuple:
    """What identifies a chunk's dictionary: its buffers (chunks of one Parquet row group share them)."""
    return (dictionary.offset, len(dictionary), *(b.address if b is not None else 0 for b in dictionary.buffers()))


def _unified_categorical(col) -> pd.Categorical:
    """A dictionary column as one categorical: each distinct dictionary is hashed once.

    The chunks of one Parquet row group share its dictionary, so Arrow's
    ``unify_dictionaries`` would hash it once per chunk (measured on a million
    dossiers in 9 row groups of 8 chunks: 12.5 million case ids hashed, 0.52 s,
    where 1.6 million are enough). The categories are in order of first
    appearance, as ``unify_dictionaries`` gives them; a value written twice in a
    dictionary is one category. When no dictionary is shared (a CSV's blocks),
    Arrow's unification remaps the rows itself.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    dictionaries, which, seen = [], [], {}
    for chunk in col.chunks:
        key = _dictionary_key(chunk.dictionary)
        if key not in seen:
            seen[key] = len(dictionaries)
            dictionaries.append(chunk.dictionary)
        which.append(seen[key])
    if len(dictionaries) == len(which) and not any(d.null_count for d in dictionaries):
        # No dictionary shared (a CSV's blocks): Arrow's own remapping is the faster (0.43 s
        # against 0.67 s for the nine columns of a million dossiers).
        col = col.unify_dictionaries()
        categories = pd.Index(col.chunks[0].dictionary.to_pandas())
        codes = _chunk_codes(col.chunks, [None] * col.num_chunks, len(categories))
        return distinct_categorical(codes, categories)  # (a unified dictionary holds each value once)
    # A null entry names no value (its rows are missing); Arrow's unification refuses them.
    entry_maps = []
    for k, d in enumerate(dictionaries):
        if d.null_count:
            valid = pc.is_valid(d).to_numpy(zero_copy_only=False)
            entry_maps.append(np.where(valid, np.cumsum(valid) - 1, -1))
            dictionaries[k] = d.filter(pa.array(valid))
        else:
            entry_maps.append(None)
    # Each distinct dictionary as a chunk naming its own entries in order: unified, the chunk
    # says where each entry went (Arrow's unification, without the rows).
    own = pa.chunked_array([pa.DictionaryArray.from_arrays(pa.array(np.arange(len(d), dtype=np.int32)), d)
                            for d in dictionaries]).unify_dictionaries()
    per_dictionary = []
    for chunk, entry_map in zip(own.chunks, entry_maps):
        position = chunk.indices.to_numpy(zero_copy_only=False)
        if entry_map is not None:
            position = np.append(position, np.int32(-1))[entry_map]  # (a null entry → -1)
        per_dictionary.append(np.append(position, np.int32(-1)))  # (code -1: a missing row)
    unified = own.chunks[0].dictionary
    categories = pd.Index(unified.to_pandas())
    lookups = [per_dictionary[k] for k in which]
    return distinct_categorical(_chunk_codes(col.chunks, lookups, len(categories)), categories)


def _sorted_chunks_categorical(col) -> pd.Categorical | None:
    """A dictionary column whose chunks' dictionaries, one after the other, are in sorted order.

    That is how a log sorted by case id reads: each row group has its own
    dictionary of the case ids it holds, and a case straddling two row groups is
    in both. Merging them is then a matter of dropping the repeats at the seams
    (measured on 1 million case ids in 11 row groups: 0.65 s for Arrow's
    ``unify_dictionaries``, which hashes every id, against about 0.1 s). Anything
    else returns None, for the general way.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    chunks = [chunk for chunk in col.chunks if len(chunk)]
    if not chunks or not all(pa.types.is_string(c.dictionary.type) or pa.types.is_large_string(c.dictionary.type)
                             for c in chunks):
        return None
    # Consecutive chunks of one row group share its dictionary (the same buffers).
    dictionaries, which = [], []
    for chunk in chunks:
        d = chunk.dictionary
        key = _dictionary_key(d)
        if not dictionaries or key != dictionaries[-1][0]:
            dictionaries.append((key, d))
        which.append(len(dictionaries) - 1)
    if len(dictionaries) < 2:
        return None
    merged = pa.concat_arrays([d.cast(pa.large_string()) for _, d in dictionaries])
    if merged.null_count or len(merged) < 2:
        return None
    head, tail = merged.slice(0, len(merged) - 1), merged.slice(1)
    if not pc.all(pc.less_equal(head, tail)).as_py():
        return None
    new = np.ones(len(merged), dtype=bool)
    new[1:] = pc.not_equal(head, tail).to_numpy(zero_copy_only=False)
    position = np.cumsum(new, dtype=np.int32) - 1  # merged entry → its distinct value
    starts = np.cumsum([0] + [len(d) for _, d in dictionaries[:-1]])
    per_dictionary = [np.append(position[s:s + len(d)], np.int32(-1)) for s, (_, d) in zip(starts, dictionaries)]
    lookups = [per_dictionary[k] for k in which]
    categories = pd.Index(merged.filter(pa.array(new)).to_pandas())
    # (distinct: sorted, and each repeat dropped)
    return distinct_categorical(_chunk_codes(chunks, lookups, len(categories)), categories)


# --------------------------------------------------------------------------- XES
_XES_NS = "{http://www.xes-standard.org/}"


def _xes_value(elem: ET.Element):
    tag = elem.tag.rsplit("}", 1)[-1]
    value = elem.get("value")
    if value is None:
        return None
    if tag in ("int",):
        try:
            return int(value)
        except ValueError:
            return value
    if tag in ("float",):
        try:
            return float(value)
        except ValueError:
            return value
    if tag == "boolean":
        return value.strip().lower() == "true"
    return value  # string, date (parsed by validate), id


class _BoundedXml:
    """A binary file wrapper for the XML parser that stops a file past ``max_bytes`` (once
    decompressed) or holding a run of more than ``max_value`` bytes without ``<`` or ``>`` (one
    huge attribute value or text, which expat parses in quadratic time). Linear: one regex scan
    of each chunk."""

    _MARK = re.compile(rb"[<>]")

    def __init__(self, fh, name: str, max_bytes: int, max_value: int, compressed: int | None = None,
                 max_ratio: int = 0):
        self.fh, self.name, self.max_bytes, self.max_value = fh, name, max_bytes, max_value
        self.compressed, self.max_ratio = compressed, max_ratio
        self.total, self.run = 0, 0
        self._long = re.compile(rb"[^<>]{%d}" % (max_value + 1))

    def read(self, size: int = -1) -> bytes:
        chunk = self.fh.read(size if size and size > 0 else 1 << 16)
        self.total += len(chunk)
        if self.total > self.max_bytes:
            raise _too_large(self.name, "the XES file holds more than that many bytes once decompressed",
                             "bytes", self.max_bytes)
        if (self.compressed and self.total > _RATIO_FLOOR
                and self.total > self.max_ratio * self.compressed):
            raise _too_large(self.name, f"the file grows more than {self.max_ratio} times when decompressed "
                             "(a compression bomb?)", "ratio", self.max_ratio)
        if not chunk:
            return chunk
        first = self._MARK.search(chunk)
        if first is None:
            self.run += len(chunk)
        else:
            self.run += first.start()
            if self.run <= self.max_value and self._long.search(chunk, first.start()):
                self.run = self.max_value + 1
            elif self.run <= self.max_value:
                self.run = len(chunk) - 1 - max(chunk.rfind(b"<"), chunk.rfind(b">"))
        if self.run > self.max_value:
            raise _too_large(self.name, "one XES value or text is longer than that many bytes", "value_chars",
                             self.max_value)
        return chunk


def _read_xes(path: Path, limits: Mapping[str, int] = DEFAULT_LIMITS
              ) -> tuple[pd.DataFrame, tuple[str, ...], list[str], list[dict[str, Any]]]:
    """Stream an XES log: one row per event, trace attributes repeated as case attributes.

    Returns the frame (``row``: the event's position among the file's events), the trace
    attributes' keys (case attributes), notes, and the events outside any trace (set
    aside at validation, each with its position).

    The trace's ``concept:name`` becomes ``case_id``; the event's
    ``concept:name`` and ``time:timestamp`` become ``event`` and ``timestamp``.
    Other attributes keep their XES keys; an event attribute whose key is also a
    trace attribute is prefixed with ``event:``. Nested attributes are not read.
    """
    name = str(path)
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    rows: list[dict[str, Any]] = []
    trace_attrs: dict[str, Any] = {}
    trace_events: list[dict[str, Any]] = []
    depth_stack: list[str] = []
    trace_keys: set[str] = set()
    date_keys: set[str] = set()
    orphans: list[dict[str, Any]] = []
    position = 0  # events in file order: an event's row number
    try:
        with opener(path, "rb") as raw_fh:
            fh = _BoundedXml(raw_fh, name, limits["bytes"], limits["value_chars"],
                             path.stat().st_size if opener is gzip.open else None, limits["ratio"])
            for action, elem in ET.iterparse(fh, events=("start", "end")):
                tag = elem.tag.rsplit("}", 1)[-1]
                if action == "start":
                    depth_stack.append(tag)
                    continue
                depth_stack.pop()
                parent = depth_stack[-1] if depth_stack else None
                if tag == "event":
                    position += 1
                    if position > limits["events"]:
                        raise _too_large(name, "the XES file holds more events than that", "events",
                                         limits["events"])
                    event = {}
                    for child in elem:
                        key = child.get("key")
                        if key is not None:
                            # Names are text, whatever the type written: <int> 012 stays "012".
                            event[key] = child.get("value") if key == "concept:name" else _xes_value(child)
                    if "trace" not in depth_stack:
                        label = event.get("concept:name")
                        orphans.append({"row": position, "line": None, "value": (
                            f"an <event> outside any <trace>{f' ({label!r})' if label is not None else ''}: "
                            "it belongs to no dossier. Fix: put it inside its case's <trace> in the export")})
                    else:
                        event["\x00position"] = position
                        trace_events.append(event)
                    elem.clear()
                elif tag == "trace":
                    case = trace_attrs.pop("concept:name", None)
                    trace_keys.update(trace_attrs)
                    for event in trace_events:
                        row = {"case_id": case, "\x00row": event.pop("\x00position")}
                        for key, value in trace_attrs.items():
                            row[key] = value
                        for key, value in event.items():
                            if key == "concept:name":
                                row["event"] = value
                            elif key == "time:timestamp":
                                row["timestamp"] = value
                            elif key in trace_attrs or key in ("case_id", "event", "timestamp"):
                                row[f"event:{key}"] = value
                            else:
                                row[key] = value
                        rows.append(row)
                    trace_attrs, trace_events = {}, []
                    elem.clear()
                elif parent == "trace" and tag != "event":
                    key = elem.get("key")
                    if key is not None:
                        trace_attrs[key] = elem.get("value") if key == "concept:name" else _xes_value(elem)
                        if tag == "date":
                            date_keys.add(key)
    except ET.ParseError as exc:
        raise CaseLogError(
            f"{name}: not a well-formed XES file ({exc}). The file may be truncated or damaged; "
            "export it again."
        ) from None
    except (EOFError, OSError, zlib.error) as exc:
        raise CaseLogError(
            f"{name}: the compressed file cannot be read to the end ({type(exc).__name__}: {exc}). "
            "It is probably truncated; download or export it again."
        ) from None
    if not rows:
        raise CaseLogError(f"{name}: the XES file holds no events (no <trace> with <event> inside).")
    frame = pd.DataFrame(rows)
    # Typed <date> case attributes (deadlines, planned end dates) become UTC times.
    for key in sorted(date_keys - {"concept:name"}):
        if key in frame.columns:
            frame[key] = pd.to_datetime(frame[key], format="ISO8601", utc=True, errors="coerce")
    for column in ("case_id", "event", "timestamp"):
        if column not in frame:
            frame[column] = None
    positions = frame.pop("\x00row").to_numpy(dtype=np.int64)
    notes = _keep_file_row(frame)  # (an event attribute with the key "row")
    frame["row"] = pd.Series(positions.astype(np.int32 if position < 2**31 - 1 else np.int64), copy=False)
    return frame, tuple(sorted(trace_keys)), notes, orphans


# --------------------------------------------------------------------------- columns and values
def _canonical_columns(frame: pd.DataFrame, columns: Mapping[str, str], name: str) -> pd.DataFrame:
    stripped = {c: str(c).strip().lstrip("\ufeff") for c in frame.columns}
    frame = frame.rename(columns=stripped)
    missing = [src for src in columns if src not in frame.columns]
    if missing:
        found = [c for c in frame.columns if c != "row"]
        hints = []
        for src in missing:
            near = closest_names(src, found)
            hints.append(f"{src!r}" + (f" (closest: {near[0]!r})" if near else ""))
        delimiter = _delimiter_in_header(found)
        fix = (f"The header was read as one column: the file's delimiter looks like {delimiter!r}, not the one "
               f"given or detected. Fix: delimiter = {toml_string(delimiter)} in the mapping file"
               + fix_for(f" (or delimiter={delimiter!r}).", " (--mapping FILE).")
               if delimiter else "Fix the mapping's `columns` table.")
        raise CaseLogError(
            f"{name}: the column mapping names column(s) {', '.join(hints)} that the file does not have. "
            f"Columns found: {found}. {fix}"
        )
    reserved = [src for src, target in columns.items() if target == "row"]
    if reserved:
        raise CaseLogError(
            f"{name}: the column mapping maps {reserved[0]!r} to 'row', a name the loader keeps for the "
            "row numbers the quality report names. Fix: map it to another name (e.g. 'file_row')."
        )
    rename = dict(columns)
    taken = set(rename.values())
    for column in frame.columns:
        if column in rename or column == "row":
            continue
        lowered = column.lower().replace(" ", "_")
        target = _ALIASES.get(column) or (lowered if lowered in CANONICAL_COLUMNS else None)
        if target and target not in taken and target not in frame.columns:
            rename[column] = target
            taken.add(target)
    frame = frame.rename(columns=rename)
    counts = Counter(frame.columns)  # (one pass: a header of thousands of columns stays fast)
    dupes = sorted(c for c, k in counts.items() if k > 1)
    if dupes:
        raise CaseLogError(
            f"{name}: after renaming, column(s) {dupes} appear more than once. "
            "Map only one file column to each canonical name."
        )
    return frame


def require_columns(frame: pd.DataFrame, required, name: str, columns: Mapping[str, str]) -> None:
    """Raise a :class:`CaseLogError` naming every required column ``frame`` lacks, the
    headers that probably hold them, and the fix (``columns``: the mapping used so far)."""
    missing = [c for c in required if c not in frame.columns]
    if not missing:
        return
    found = [c for c in frame.columns if c != "row"]
    parts, pairs, toml_pairs = [], [], []
    for column in missing:
        near = _likely_headers(column, found)
        parts.append(f"{column!r}" + (f" (closest: {', '.join(repr(n) for n in near)})" if near else ""))
        pairs.append(f"{near[0]!r}: {column!r}" if near else f"'<header for {column}>': {column!r}")
        toml_pairs.append((near[0] if near else f"<header for {column}>", column))
    delimiter = _delimiter_in_header(found)
    hint = (
        f" The header was read as one column ({found[0]!r}): the file's delimiter looks like {delimiter!r}, "
        f"not what was detected or given. "
        + fix_for(f"Pass delimiter={delimiter!r} (delimiter = {toml_string(delimiter)} in a mapping file)",
                  f"Give --mapping FILE with delimiter = {toml_string(delimiter)} in it")
        + ", or re-export the file with ';', ',' or a tab."
        if delimiter
        else ""
    )
    example = ", ".join(pairs)
    table = "; ".join(f"{toml_string(str(near))} = {toml_string(str(column))}" for near, column in toml_pairs)
    raise CaseLogError(
        f"{name}: required column(s) {', '.join(parts)} not found. Columns found: {found}.{hint} "
        + fix_for(f"Fix: rename them in the file, or pass columns={{{example}}} (or a mapping file).",
                  f"Fix: rename them in the file, or give --mapping FILE whose [columns] table maps them "
                  f"(header = name: {table}).")
    )


def _delimiter_in_header(found: list[str]) -> str | None:
    """The delimiter a header read as one column holds (the most frequent candidate), or None."""
    if len(found) != 1:
        return None
    counts = {ch: str(found[0]).count(ch) for ch in (*DELIMITERS, "|", ":")}
    best = max(counts, key=counts.get)
    return best if counts[best] else None


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string (a tab as ``"\\t"``)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t") + '"'


# Headers advisors' exports commonly use for the canonical columns.
HEADER_SYNONYMS = {
    "case_id": ("dossier", "n° dossier", "no dossier", "numéro de dossier", "numero dossier", "id dossier",
                "identifiant", "référence", "reference", "case", "case id", "id"),
    "event": ("étape", "etape", "événement", "evenement", "activité", "activite", "activity", "action",
              "statut", "step"),
    "timestamp": ("date", "date et heure", "horodatage", "date_heure", "datetime", "time", "heure"),
    "trigger": ("motif", "motif de retard", "cause", "cause du retard", "retard", "problème", "probleme"),
    "note": ("commentaire", "remarque", "observations", "comment"),
}


def _likely_headers(column: str, found: list[str]) -> list[str]:
    """Found headers that probably hold ``column``: known synonyms first, then spelling."""
    synonyms = {fold(s) for s in HEADER_SYNONYMS.get(column, ())}
    hits = [h for h in found if fold(h) in synonyms]
    return hits + [h for h in closest_names(column, found) if h not in hits]


def own_labels(values: Mapping[str, Mapping[Any, Any]]) -> dict:
    """Column → value → the file's own label: the mapping's ``values`` tables read backwards, the first
    label of each value kept (``{"channel": {"Compte ameli": "ameli"}}`` → ``{"channel": {"ameli": "Compte ameli"}}``).
    Labels that only differ from the value by case or spaces are left out (nothing to show)."""
    out: dict[str, dict] = {}
    for column, table in values.items():
        mine: dict = {}
        for label, value in table.items():
            if isinstance(value, bool) or value is None or not isinstance(label, str):
                continue  # (yes/no values are shown as yes/no in the reader's language)
            if value not in mine and fold(label) != fold(str(value)):
                mine[value] = label
        if mine:
            out[column] = mine
    return out


def _map_values(frame: pd.DataFrame, values: Mapping[str, Mapping[Any, Any]], name: str) -> pd.DataFrame:
    for column, table in values.items():
        if column not in frame.columns:
            raise CaseLogError(
                f"{name}: the value mapping is for column {column!r}, which the file does not have "
                f"(after renaming). Columns: {[c for c in frame.columns if c != 'row']}."
            )
        # Labels are matched after trimming spaces and ignoring case, as exports vary.
        folded = {str(k).strip().casefold(): v for k, v in table.items()}
        series = frame[column]
        if isinstance(series.dtype, pd.CategoricalDtype):
            frame[column] = _map_categories(series, folded)
            continue
        keys = series.astype("string").str.strip().str.casefold()
        mapped = keys.map(folded)
        hit = mapped.notna()
        if hit.any():
            out = series.astype(object).copy()
            out[hit.to_numpy()] = mapped[hit].to_numpy()
            frame[column] = out
    return frame


def _map_categories(series: pd.Series, folded: Mapping[str, Any]) -> pd.Series:
    """The value mapping on a categorical: each category is looked up once, and the codes
    are renumbered (two labels may map to one value), never the rows one by one."""
    categories = series.cat.categories
    new = [folded.get(str(c).strip().casefold(), c) for c in categories]
    if all(a is b or a == b for a, b in zip(new, categories)):
        return series
    codes, uniques = pd.factorize(pd.Series(new, dtype=object), use_na_sentinel=True)
    lookup = np.append(codes, -1).astype(code_width(len(uniques)))
    old = series.cat.codes.to_numpy()
    kinds = {type(v) for v in uniques}
    categories = pd.Index(uniques, dtype="string" if kinds == {str} else object)
    return pd.Series(pd.Categorical.from_codes(lookup[old], categories=categories, validate=False),
                     index=series.index, copy=False)


def _join_cases(frame, cases, columns, values, *, sheet, delimiter, encoding, events_name):
    table, name, malformed, _, _ = _read_any(cases, sheet=sheet, delimiter=delimiter, encoding=encoding)  # (default limits)
    if malformed:
        bad = ", ".join(str(m["row"]) for m in malformed[:10])
        raise CaseLogError(f"{name}: cases table row(s) {bad} have the wrong number of fields; fix them first.")
    table = table.drop(columns="row")
    mapping = {k: v for k, v in columns.items() if k in table.columns}
    table = _canonical_columns(table, mapping, name)
    require_columns(table, ("case_id",), name, columns)
    value_maps = {c: t for c, t in values.items() if c in table.columns and c != "case_id"}
    if value_maps:
        table = _map_values(table, value_maps, name)
    table["case_id"] = table["case_id"].astype("string").str.strip()
    dupes = table["case_id"][table["case_id"].duplicated(keep=False)]
    if len(dupes):
        rows = (dupes.index[:10] + 1).tolist()
        raise CaseLogError(
            f"{name}: case_id {dupes.iloc[0]!r} appears more than once in the cases table "
            f"(rows {rows}); a cases table has one row per case."
        )
    overlap = sorted((set(table.columns) & set(frame.columns)) - {"case_id"})
    if overlap:
        raise CaseLogError(
            f"{name}: column(s) {overlap} are both in the events ({events_name}) and in the cases table; "
            "keep each case attribute in one place."
        )
    key = frame["case_id"].astype("string").str.strip()
    joined = frame.assign(_key=key).merge(table.rename(columns={"case_id": "_key"}), on="_key", how="left")
    return joined.drop(columns="_key")
