"""The mapping assistant: read an export, propose the mapping that reads it.

:func:`suggest_mapping` reads a file as it is written (:func:`~vitale_analysis.read.read_table`:
encoding, delimiter, Excel sheet and title rows), looks at the data for the date order
(a first field above 12 means day-first), and proposes:

- the **columns**: which header holds the dossier number, the step, the date, the delay
  trigger and the case attributes (office, channel, route, born abroad, advisor), from the
  headers (compared with the canonical names, their English and French labels and the
  synonyms kept in the process model's file) and from the values (dates, ``CPAM 75``,
  step labels, yes/no);
- for a **tracker** (one row per dossier, a date column per step), the milestone columns;
- the **labels**: each step, trigger and attribute value of the file compared with the
  process model's names, English and French labels and synonyms, with rapidfuzz
  (accents, case, punctuation, word order and small typos ignored; the model's
  abbreviations expanded first).

Every proposal has a score from 0 to 100 and a status: ``sure`` (a close match, clearly
ahead of the next candidate), ``check`` (a guess to confirm), or ``todo`` (nothing close
enough: a ``# TODO`` line with its row count and the closest candidates).
:meth:`MappingSuggestion.to_toml` writes it all as a commented mapping file::

    >>> import vitale_analysis as va
    >>> suggestion = va.suggest_mapping("data/sample_export_fr.csv")
    >>> suggestion.settings["delimiter"], suggestion.settings["dayfirst"]
    (';', True)
    >>> suggestion.mapping["columns"]["N° dossier"], suggestion.mapping["values"]["event"]["Carte Vitale reçue"]
    ('case_id', 'card_received')
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import i18n
from ._version import __version__
from .errors import CaseLogError, fix_for
from .privacy import mask_text
from .process import CARTE_VITALE, ProcessModel, check_lang
from .read import HEADER_SYNONYMS, RawTable, read_table, toml_string

__all__ = ["MappingSuggestion", "Proposal", "suggest_mapping", "SURE", "CHECK", "STATUSES"]

#: A proposal at or above this score, and :data:`MARGIN` ahead of the next candidate, is ``sure``.
SURE = 90
#: A proposal at or above this score (and not sure) is ``check``; below it, ``todo``.
CHECK = 70
#: How far ahead of the next candidate (another name) a sure proposal must be.
MARGIN = 8
STATUSES = ("sure", "check", "todo")

#: Candidates below this score are not named in a comment (they are not close at all).
_SHOWN = 30

#: Rows read to propose a mapping (the labels and their counts come from these).
SAMPLE_ROWS = 200_000

_STOP = frozenset("""
de du des d la le les l un une au aux a à en et par pour sur dans avec
the of a an to by for in on and with at from
""".split())
_DATE_WORDS = frozenset("date dt le on jour when quand".split())
_BOOL = {True: ("oui", "o", "yes", "y", "true", "vrai", "1", "x"), False: ("non", "n", "no", "false", "faux", "0")}
_OFFICE = re.compile(r"^\s*(cpam|cgss|css|msa|caf|urssaf)\b", re.I)
_DAY_MONTH = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})\b")
_ISO = re.compile(r"^\s*\d{4}-\d{1,2}-\d{1,2}")

#: Columns the assistant can propose, in the order a mapping lists them.
TARGETS = ("case_id", "event", "timestamp", "trigger", "note", "office", "channel", "route", "born_abroad",
           "advisor")


@dataclass(frozen=True)
class Proposal:
    """One line of a suggested mapping: ``label`` (a header or a value of the file) → ``target``."""

    kind: str  # "column", "milestone_column" or the column whose values it maps ("event", "trigger", …)
    label: Any
    target: Any
    score: float
    status: str
    count: int = 0
    alternatives: tuple[tuple[Any, float], ...] = ()
    reason: str = ""
    examples: tuple[str, ...] = ()


@dataclass
class MappingSuggestion:
    """What :func:`suggest_mapping` found: settings, proposals, notes.

    ``mapping`` is the suggested mapping as a dict (``sure`` and ``check`` proposals),
    ready for ``read_caselog(path, mapping=...)`` or ``load``; ``todo`` lists what it
    could not place; :meth:`to_toml` / :meth:`save` write the commented file.
    """

    source: str
    process: ProcessModel
    settings: dict[str, Any]
    proposals: list[Proposal]
    notes: list[str] = field(default_factory=list)
    rows: int = 0
    shape: str = "long"
    ambiguous_dates: bool = False

    @property
    def mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: v for k, v in self.settings.items() if v is not None}
        placed = [p for p in self.proposals if p.status != "todo" and p.target is not None]
        columns = {p.label: p.target for p in placed if p.kind == "column"}
        if columns:
            out["columns"] = columns
        milestones = {p.label: p.target for p in placed if p.kind == "milestone_column"}
        if milestones:
            out["milestone_columns"] = milestones
        values: dict[str, dict] = {}
        for p in placed:
            if p.kind not in ("column", "milestone_column"):
                values.setdefault(p.kind, {})[p.label] = p.target
        if values:
            out["values"] = values
        return out

    @property
    def todo(self) -> list[Proposal]:
        return [p for p in self.proposals if p.status == "todo"]

    def counts(self) -> dict[str, int]:
        """Proposals per status (``sure``, ``check``, ``todo``, and ``chosen`` once a person chose)."""
        out = {status: sum(p.status == status for p in self.proposals) for status in STATUSES}
        chosen = sum(p.status == "chosen" for p in self.proposals)
        return {**out, "chosen": chosen} if chosen else out

    def with_choices(self, choices: Mapping[tuple[str, Any], Any]) -> "MappingSuggestion":
        """A copy with a person's choices: ``{(kind, label): target}`` (``None`` leaves the label out).
        A choice that differs from the proposal (or places a TODO) becomes status ``chosen``."""
        from dataclasses import replace

        out = []
        for p in self.proposals:
            key = (p.kind, p.label)
            if key not in choices:
                out.append(p)
                continue
            target = choices[key]
            if target == p.target and p.status != "todo":
                out.append(p)
            elif target is None:
                out.append(replace(p, target=None, status="todo", reason="left out by hand"))
            else:
                out.append(replace(p, target=target, status="chosen", reason="chosen by hand"))
        return replace(self, proposals=out)

    def table(self, lang: str | None = None, *, only: tuple[str, ...] | None = None) -> pd.DataFrame:
        """The proposals as a table (one row each, in the file's order within each kind); ``only``: the
        statuses to keep (e.g. ``("check", "todo")``). With ``lang``, for a reader: the names under their
        labels in that language, readable headers, no codes."""
        rows = [p for p in self.proposals if only is None or p.status in only]
        if lang is None:
            return pd.DataFrame([{
                "kind": p.kind, "label": p.label, "target": p.target, "score": round(p.score), "status": p.status,
                "rows": p.count, "also": ", ".join(f"{a} ({s:.0f})" for a, s in p.alternatives), "why": p.reason,
            } for p in rows], columns=["kind", "label", "target", "score", "status", "rows", "also", "why"])
        check_lang(lang)
        head = {k: i18n.t(f"ui.mapping.col.{k}", lang) for k in ("kind", "label", "target", "status", "rows")}
        return pd.DataFrame([{
            head["kind"]: i18n.t(f"ui.mapping.section.{p.kind}", lang),
            head["label"]: mask_text(str(p.label)),
            head["target"]: _readable_target(p, self.process, lang),
            head["status"]: i18n.t(f"ui.mapping.status.{p.status}", lang, score=round(p.score)),
            head["rows"]: i18n.number(p.count, lang) if p.count else "",
        } for p in rows], columns=list(head.values()))

    def summary(self, lang: str = "en") -> str:
        """One paragraph: what was read, and how many lines are sure, to check, not placed."""
        c = self.counts()
        return i18n.t("ui.mapping.intro", check_lang(lang), source=mask_text(Path(self.source).name),
                      sure=c["sure"], check=c["check"], todo=c["todo"])

    def to_toml(self) -> str:
        """The suggestion as a commented mapping file (TOML)."""
        return _toml(self)

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_toml` to ``path`` (UTF-8) and return it."""
        path = Path(path)
        path.write_text(self.to_toml(), encoding="utf-8")
        return path

    def __repr__(self) -> str:
        c = self.counts()
        return (f"MappingSuggestion for {self.source}: {self.shape}, {c['sure']} sure, {c['check']} to check, "
                f"{c['todo']} TODO → .to_toml() / .save(path)")


def _readable_target(p: Proposal, process: ProcessModel, lang: str) -> str:
    """A proposal's name as a reader sees it in ``lang`` ("" when not placed)."""
    if p.target is None:
        return ""
    if p.kind == "column":
        key = f"col.{p.target}"
        return i18n.t(key, lang) if i18n.has(key) else str(p.target).replace("_", " ")
    if p.kind in ("event", "milestone_column"):
        return i18n.event_label(p.target, lang, process)
    if p.kind == "trigger" and p.target in process.triggers:
        return process.triggers[p.target].label_in(lang)
    if isinstance(p.target, bool):
        return i18n.t(f"ui.mapping.{'yes' if p.target else 'no'}", lang)
    return i18n.value_label(p.kind, p.target, lang)


# --------------------------------------------------------------------------- words
def _strip_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def _stem(word: str) -> str:
    """A light stem: gender, plural and past-participle endings off (``envoyée`` → ``envoy``)."""
    if len(word) <= 4 or word.isdigit():
        return word
    for end in ("ees", "ee", "es", "er", "ed", "e", "s"):
        if word.endswith(end) and len(word) - len(end) >= 4:
            return word[: -len(end)]
    return word


def normalise(text: Any, abbreviations: Mapping[str, str] | None = None, *, drop: frozenset = frozenset()) -> str:
    """Words to compare: accents, case and punctuation off, abbreviations expanded, small words and
    ``drop`` words left out, each word lightly stemmed."""
    raw = _strip_accents(str(text)).lower()
    out: list[str] = []
    for token in re.split(r"[^0-9a-z°]+", raw):
        token = token.strip("°")
        if not token:
            continue
        if abbreviations and token in abbreviations:
            out.extend(w for w in re.split(r"[^0-9a-z]+", _strip_accents(abbreviations[token]).lower()) if w)
            continue
        out.append(token)
    return " ".join(_stem(w) for w in out if w not in _STOP and w not in drop)


def _abbreviations(process: ProcessModel) -> dict[str, str]:
    return {_strip_accents(k).lower().strip("."): v for k, v in process.abbreviations.items()}


def _candidates(process: ProcessModel, column: str) -> dict[Any, list[str]]:
    """Name → the texts a label of ``column`` may be written as (names, English/French labels, synonyms)."""
    out: dict[Any, list[str]] = {}
    synonyms = process.synonyms.get(column, {})
    if column == "event":
        for name in process.vocabulary:
            out[name] = [name.replace("_", " "), *i18n.EVENT_LABELS.get(name, ()), *synonyms.get(name, ())]
    elif column == "trigger":
        for name, trigger in process.triggers.items():
            out[name] = [name.replace("_", " "), trigger.label["en"], trigger.label["fr"],
                         *synonyms.get(name, ())]
    else:
        values = {key.split(".")[2] for key in i18n.CATALOGUE if key.startswith(f"value.{column}.")}
        for name in sorted(values | set(synonyms)):
            texts = [str(name).replace("_", " ")]
            if f"value.{column}.{name}" in i18n.CATALOGUE:
                texts += [i18n.t(f"value.{column}.{name}", lang) for lang in ("en", "fr")]
            out[name] = texts + list(synonyms.get(name, ()))
    return out


def _word_sim(a: str, b: str) -> float:
    """How alike two words are, 0–1: equal 1; a short form of the other (``activ``, ``justif``) 0.9;
    a small typo (rapidfuzz's ratio of 80 or more) that ratio; else 0."""
    from rapidfuzz import fuzz

    if a == b:
        return 1.0
    if len(a) >= 3 and len(b) >= 3 and (b.startswith(a) or a.startswith(b)) and not (a.isdigit() or b.isdigit()):
        return 0.9
    if a[0] != b[0]:  # (a typo seldom hits the first letter: "declaration" is not "reclamation")
        return 0.0
    r = fuzz.ratio(a, b) / 100
    return r if r >= 0.8 and min(len(a), len(b)) >= 4 else 0.0


class _Matcher:
    """Scores a label against named candidates word by word: each word weighs by how rare it is
    among the candidates (``declaration`` or ``carte`` tell little, ``accept`` or ``echec`` much),
    and words match despite a typo or a short form; a soft Dice coefficient over the weights."""

    def __init__(self, candidates: Mapping[Any, list[str]], abbreviations: Mapping[str, str],
                 drop: frozenset = frozenset()):
        self.abbreviations, self.drop = abbreviations, drop
        self.texts = {name: [w for w in {tuple(normalise(t, abbreviations, drop=drop).split()) for t in texts} if w]
                      for name, texts in candidates.items()}
        df: dict[str, int] = {}
        for variants in self.texts.values():
            for word in {w for v in variants for w in v}:
                df[word] = df.get(word, 0) + 1
        n = max(len(self.texts), 1)
        self.idf = {w: float(np.log(1 + n / d)) for w, d in df.items()}
        self.unknown = float(np.log(1 + n))  # (a word no candidate has: as rare as can be)

    def weight(self, word: str) -> float:
        return self.idf.get(word, self.unknown)

    def score(self, mine: tuple[str, ...], theirs: tuple[str, ...]) -> float:
        if not mine or not theirs:
            return 0.0
        if mine == theirs:
            return 100.0
        a = sum(self.weight(w) * max(_word_sim(w, t) for t in theirs) for w in mine)
        b = sum(self.weight(t) * max(_word_sim(t, w) for w in mine) for t in theirs)
        mine_total, theirs_total = sum(self.weight(w) for w in mine), sum(self.weight(t) for t in theirs)
        dice = (a + b) / (mine_total + theirs_total)
        # A label that holds all of a candidate's words and more ("dossier clos (abandon ou
        # déménagement)" for "dossier clos") is close, but never sure on one word alone; a label
        # whose words are all in a candidate ("date de dépôt" in "dépôt de la déclaration") only a guess.
        holds = b / theirs_total * (0.9 if len(theirs) >= 2 else 0.85)
        within = a / mine_total * 0.8
        return 100.0 * max(dice, holds, within)

    def rank(self, label: Any) -> list[tuple[Any, float]]:
        mine = tuple(normalise(label, self.abbreviations, drop=self.drop).split())
        scored = [(name, max((self.score(mine, v) for v in variants), default=0.0))
                  for name, variants in self.texts.items()]
        scored.sort(key=lambda pair: (-pair[1], str(pair[0])))
        return scored



def _status(ranked: list[tuple[Any, float]]) -> str:
    if not ranked:
        return "todo"
    best = ranked[0][1]
    runner = ranked[1][1] if len(ranked) > 1 else 0.0
    if best >= SURE and best - runner >= MARGIN:
        return "sure"
    return "check" if best >= CHECK else "todo"


# --------------------------------------------------------------------------- columns
def _texts(series: pd.Series) -> pd.Series:
    values = series.dropna()
    return values.astype(str).str.strip().loc[lambda s: s != ""]


def _date_share(series: pd.Series) -> float:
    """The share of filled cells that hold a date (a date cell, or text written as a date)."""
    values = series.dropna()
    if values.empty:
        return 0.0
    if pd.api.types.is_datetime64_any_dtype(values):
        return 1.0
    head = values.head(2000)
    dated = pd.Series([hasattr(v, "year") and hasattr(v, "month") for v in head], index=head.index, dtype=bool)
    texts = head[~dated].astype(str).str.strip()
    written = texts.str.match(_DAY_MONTH) | texts.str.match(_ISO)
    return float((dated.sum() + written.sum()) / len(head))


def _day_order(frame: pd.DataFrame, date_columns: list[str]) -> tuple[bool | None, str]:
    """Day-first or month-first, from the data: a first field above 12 is a day, a second above 12 is."""
    first = second = 0
    for column in date_columns:
        texts = _texts(frame[column])
        parts = texts.str.extract(_DAY_MONTH)
        if parts.empty:
            continue
        a = pd.to_numeric(parts[0], errors="coerce")
        b = pd.to_numeric(parts[1], errors="coerce")
        first += int((a > 12).sum())
        second += int((b > 12).sum())
    if first and not second:
        return True, f"{first:,} dates have a first field above 12 (31/01/2025): day first"
    if second and not first:
        return False, f"{second:,} dates have a second field above 12 (01/31/2025): month first"
    if first and second:
        return None, (f"dates disagree: {first:,} look day-first, {second:,} month-first; set dayfirst "
                      "yourself and check the file")
    written = sum(int(_texts(frame[c]).str.match(_DAY_MONTH).sum()) for c in date_columns)
    if written:
        return None, (f"{written:,} dates are written like 01/02/2025 and none has a field above 12: "
                      "the day/month order cannot be told from the data")
    return None, ""


def _bool_values(values: list[str]) -> dict[str, bool] | None:
    folded = {v: normalise(v) for v in values}
    out = {}
    for value, word in folded.items():
        hit = [flag for flag, words in _BOOL.items() if word in words]
        if len(hit) != 1:
            return None
        out[value] = hit[0]
    return out if set(out.values()) == {True, False} else None


@dataclass
class _Column:
    header: str
    filled: float
    distinct: int
    date_share: float
    repeat: float  # rows per distinct value
    counts: pd.Series  # label → rows (text columns)


def _profile(frame: pd.DataFrame) -> list[_Column]:
    out = []
    n = max(len(frame), 1)
    for header in frame.columns:
        if header == "row":
            continue
        series = frame[header]
        texts = _texts(series)
        counts = texts.value_counts()
        out.append(_Column(header=str(header), filled=len(series.dropna()) / n, distinct=len(counts),
                           date_share=_date_share(series), repeat=len(texts) / max(len(counts), 1),
                           counts=counts))
    return out


def _value_match(counts: pd.Series, matcher: _Matcher, limit: int = 60) -> float:
    """The share of a column's rows whose label matches a candidate at :data:`CHECK` or above."""
    if counts.empty or not matcher.texts:
        return 0.0
    top = counts.head(limit)
    hit = sum(int(c) for label, c in top.items() if matcher.rank(label)[0][1] >= CHECK)
    return hit / int(top.sum())


def _header_matcher(process: ProcessModel, abbreviations) -> _Matcher:
    """Headers compared with each canonical column's name, labels and synonyms (built once per file)."""
    texts: dict[str, list[str]] = {}
    for target in TARGETS:
        words = [target.replace("_", " "), *HEADER_SYNONYMS.get(target, ()), *process.synonyms.get("columns", {}).get(target, ())]
        for key in (f"col.{target}", f"column.{target}"):
            if key in i18n.CATALOGUE:
                words += [i18n.t(key, lang) for lang in ("en", "fr")]
        texts[target] = words
    return _Matcher(texts, abbreviations)


def _header_scores(header: str, matcher: _Matcher) -> dict[str, float]:
    aliases = {"case:concept:name": "case_id", "concept:name": "event", "time:timestamp": "timestamp"}
    plain = header.lower().strip()
    if plain in aliases:
        return {t: (100.0 if t == aliases[plain] else 0.0) for t in TARGETS}
    if plain.startswith("case:"):
        header = header[5:]
    return dict(matcher.rank(header))


def _columns(profile: list[_Column], process: ProcessModel, abbreviations) -> tuple[list[Proposal], list[str], str]:
    """Column proposals, the date columns, and the shape (``long`` or ``tracker``)."""
    events = _Matcher(_candidates(process, "event"), abbreviations)
    triggers = _Matcher(_candidates(process, "trigger"), abbreviations)
    attributes = {a: _Matcher(_candidates(process, a), abbreviations) for a in ("channel", "route")}
    headers = _header_matcher(process, abbreviations)
    dates = [c.header for c in profile if c.date_share >= 0.8 and c.filled > 0]
    evidence: dict[str, dict[str, tuple[float, str]]] = {}
    for col in profile:
        head = _header_scores(col.header, headers)
        content: dict[str, tuple[float, str]] = {}
        is_date = col.header in dates
        labels = list(col.counts.index[:60])
        if is_date:
            content["timestamp"] = (95.0, f"{col.date_share:.0%} of the cells are dates")
        elif labels:
            ev = _value_match(col.counts, events)
            tr = _value_match(col.counts, triggers)
            if ev >= 0.5 and col.distinct >= 3:
                content["event"] = (60 + 40 * ev, f"{ev:.0%} of the rows are steps of the process")
            if tr >= 0.5 and col.filled < 0.9:
                content["trigger"] = (60 + 40 * tr, f"{tr:.0%} of the filled rows are delay triggers")
            elif col.filled < 0.9 and 2 <= col.distinct <= 3 * max(len(process.triggers), 10):
                content["trigger"] = (CHECK + 1.0, "filled on some rows only, with few values: a delay "
                                                   "trigger, most likely")
            office = float(pd.Series(labels).str.match(_OFFICE).mean())
            if office >= 0.8:
                content["office"] = (95.0, "values are fund names (CPAM, CGSS …)")
            if 2 <= col.distinct <= 3 and _bool_values(labels[:2]) is not None:
                content["born_abroad"] = (75.0, "two values, yes and no")
            for attribute in ("channel", "route"):
                share = _value_match(col.counts, attributes[attribute])
                if share >= 0.9 and col.distinct <= 4:
                    content[attribute] = (70 + 20 * share, f"values are {attribute} names")
            if col.repeat >= 2 and col.distinct >= 5 and ev < 0.3 and tr < 0.3 and office < 0.5:
                content["case_id"] = (70.0, f"{col.distinct:,} values, each on about {col.repeat:.0f} rows")
        scores = {}
        for target in TARGETS:
            h = head.get(target, 0.0)
            c, why = content.get(target, (0.0, ""))
            if target == "timestamp" and not is_date:
                h = min(h, CHECK - 1)  # (a header that says "date" over cells that are not dates)
            if target != "timestamp" and is_date:
                h = c = 0.0
            if h and c:
                s = max(h, c) + min(h, c) / 10
            else:
                s = max(h, c)
            scores[target] = (min(s, 100.0), why or ("header" if h >= CHECK else ""))
        evidence[col.header] = scores
    tracker = len(dates) >= 3 and not any(evidence[c.header]["event"][0] >= SURE for c in profile)
    proposals: list[Proposal] = []
    taken_targets: set[str] = set()
    taken_headers: set[str] = set()
    if tracker:
        taken_headers.update(dates)
        taken_targets.add("timestamp")
        taken_targets.add("event")
        for col in profile:  # (one row per dossier: the id column holds a different value on each row)
            if col.header not in dates and col.repeat <= 1.0 and col.filled >= 0.99:
                s = evidence[col.header]["case_id"]
                evidence[col.header]["case_id"] = (min(max(s[0], 80.0) + 5, 100.0), "a different value on each row")
    pairs = sorted(((s[0], h, t, s[1]) for h, ts in evidence.items() for t, s in ts.items()),
                   key=lambda x: (-x[0], x[1], TARGETS.index(x[2])))
    for score, header, target, why in pairs:
        if header in taken_headers or target in taken_targets or score < CHECK:
            continue
        others = sorted((s[0] for t, s in evidence[header].items() if t != target), reverse=True)
        ranked = [(target, score), *(("", o) for o in others[:1])]
        status = _status(ranked)
        alternatives = tuple((t, s[0]) for t, s in sorted(evidence[header].items(), key=lambda kv: -kv[1][0])
                             if t != target and s[0] >= 50)[:2]
        proposals.append(Proposal("column", header, target, score, status, alternatives=alternatives, reason=why))
        taken_headers.add(header)
        taken_targets.add(target)
    for col in profile:  # (the other columns: a TODO line each, with the names still free)
        if col.header in taken_headers:
            continue
        free = sorted(((t, s[0]) for t, s in evidence[col.header].items() if t not in taken_targets and s[0] >= 40),
                      key=lambda pair: -pair[1])[:3]
        proposals.append(Proposal("column", col.header, None, free[0][1] if free else 0.0, "todo",
                                  alternatives=tuple(free), reason="kept as a case attribute under its own name",
                                  examples=tuple(mask_text(str(v))[:40] for v in col.counts.index[:3])))
    order = {c.header: i for i, c in enumerate(profile)}
    proposals.sort(key=lambda p: order[p.label])
    return proposals, dates, "tracker" if tracker else "long"


def _milestone_columns(dates: list[str], process: ProcessModel, abbreviations) -> list[Proposal]:
    events = _candidates(process, "event")
    milestones = {name: texts for name, texts in events.items() if name in process.milestones}
    out = []
    matcher = _Matcher(milestones, abbreviations, drop=_DATE_WORDS)
    ranked_all = {h: matcher.rank(h) for h in dates}
    used: dict[str, float] = {}
    for header in sorted(dates, key=lambda h: -ranked_all[h][0][1]):
        ranked = [r for r in ranked_all[header] if r[0] not in used]
        status = _status(ranked) if ranked else "todo"
        best = ranked[0] if ranked else (None, 0.0)
        out.append(Proposal("milestone_column", header, best[0] if status != "todo" else None, best[1], status,
                            alternatives=tuple(ranked[1:3]) if status != "todo" else tuple(ranked[:3]),
                            reason="header"))
        if status != "todo":
            used[best[0]] = best[1]
    order = {h: i for i, h in enumerate(dates)}
    return sorted(out, key=lambda p: order[p.label])


def _labels(column: str, counts: pd.Series, process: ProcessModel, abbreviations) -> list[Proposal]:
    """Label proposals for one column's values (events, triggers, channel, route or yes/no)."""
    labels = list(counts.index)
    if column == "born_abroad":
        flags = _bool_values(labels)
        if flags is None:
            return [Proposal(column, label, None, 0.0, "todo", int(counts[label])) for label in labels]
        return [Proposal(column, label, flag, 100.0, "sure", int(counts[label]), reason="yes/no")
                for label, flag in flags.items()]
    candidates = _candidates(process, column)
    if not candidates:
        return []
    matcher = _Matcher(candidates, abbreviations)
    ranked = {label: matcher.rank(label) for label in labels}
    out: list[Proposal] = []
    claimed: dict[Any, str] = {}
    # The best-matching labels claim their names first: a second label on the same name is only a guess.
    for label in sorted(labels, key=lambda lb: -ranked[lb][0][1]):
        r = ranked[label]
        status = _status(r)
        target = r[0][0]
        if status == "sure" and target in claimed:
            status = "check"
        if status == "todo":
            out.append(Proposal(column, label, None, r[0][1], status, int(counts[label]),
                                alternatives=tuple(r[:3])))
            continue
        claimed.setdefault(target, label)
        out.append(Proposal(column, label, target, r[0][1], status, int(counts[label]),
                            alternatives=tuple(r[1:3])))
    order = {label: i for i, label in enumerate(labels)}
    return sorted(out, key=lambda p: order[p.label])


# --------------------------------------------------------------------------- entry point
def suggest_mapping(source: str | Path, process: ProcessModel | None = None, *, sheet: str | int | None = None,
                    sample_rows: int = SAMPLE_ROWS) -> MappingSuggestion:
    """Propose the mapping that reads ``source`` (CSV, Excel, Parquet or XES) into the case-log format.

    Parameters
    ----------
    source : path
        The export, as it is.
    process : ProcessModel, optional
        The process whose steps and triggers the labels are matched to (default: Carte Vitale).
    sheet : str or int, optional
        Excel: the sheet to read (default: the one Excel opens on).
    sample_rows : int
        Rows looked at (the first ones); the counts in the proposals are over these.

    Returns
    -------
    MappingSuggestion
        ``.mapping`` (a dict for ``mapping=``), ``.to_toml()``, ``.save(path)``, ``.todo``,
        ``.table()`` (every proposal with its score and status), ``.notes``.
    """
    process = process or CARTE_VITALE
    if isinstance(source, pd.DataFrame):
        raise CaseLogError("suggest_mapping() reads a file (CSV, Excel, Parquet, XES); give its path.")
    table: RawTable = read_table(source, sheet=sheet)
    frame = table.frame.head(sample_rows)
    abbreviations = _abbreviations(process)
    notes = [n for n in table.notes]
    settings: dict[str, Any] = {}
    if table.kind == "csv":
        settings["encoding"] = table.encoding
        settings["delimiter"] = table.delimiter
    if table.kind == "excel":
        settings["sheet"] = table.sheet
        settings["header_row"] = table.header_row
        if len(table.sheets) > 1:
            notes.append(f"the workbook has sheets {list(table.sheets)}; read {table.sheet!r}")
    if table.kind == "xes":
        notes.append("an XES file names its columns itself: only the labels need a mapping")
    profile = _profile(frame)
    if table.kind == "xes":
        column_proposals, dates, shape = [], [], "long"
    else:
        column_proposals, dates, shape = _columns(profile, process, abbreviations)
    proposals: list[Proposal] = list(column_proposals)
    if shape == "tracker":
        proposals += _milestone_columns(dates, process, abbreviations)
        date_columns = dates
    else:
        date_columns = [p.label for p in column_proposals if p.target == "timestamp"]
    dayfirst, why = _day_order(frame, date_columns)
    if dayfirst is not None:
        settings["dayfirst"] = dayfirst
    if why:
        notes.append(why)
    chosen = {p.target: p.label for p in column_proposals}
    if table.kind == "xes":
        chosen = {"event": "event", "trigger": "trigger"}
    by_header = {c.header: c for c in profile}
    for column in ("event", "trigger", "channel", "route", "born_abroad"):
        header = chosen.get(column)
        if header is None or header not in by_header:
            continue
        proposals += _labels(column, by_header[header].counts, process, abbreviations)
    steps = [p for p in proposals if p.kind == "event"]
    placed_rows = sum(p.count for p in steps if p.status != "todo")
    all_rows = sum(p.count for p in steps)
    if all_rows and placed_rows < all_rows / 5:
        label = process.label.get("en") or process.name
        give = fix_for("process=ProcessModel.from_toml(FILE)", "--process FILE")
        notes.append(f"{all_rows - placed_rows:,} of {all_rows:,} rows have a step that is not in the process "
                     f"model ({label}): if the log follows another process, describe it in a model file "
                     f"(milestones, phases, synonyms) and give it with {give}")
    return MappingSuggestion(source=table.source, process=process, settings=settings, proposals=proposals,
                             notes=notes, rows=len(table.frame), shape=shape,
                             ambiguous_dates=dayfirst is None and "cannot be told" in why)


# --------------------------------------------------------------------------- TOML
def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return toml_string(str(value))


def _comment(p: Proposal) -> str:
    if p.status == "chosen":
        return "  # chosen by hand"
    parts = [f"{p.status} ({p.score:.0f})"]
    if p.count:
        parts.append(i18n.count(p.count, "row", "en"))
    if p.reason:
        parts.append(p.reason)
    also = [f"{a} ({s:.0f})" for a, s in p.alternatives if a and s >= _SHOWN]
    if also and p.status != "sure":
        parts.append("also: " + ", ".join(also))
    return "  # " + "; ".join(parts)


def _toml(s: MappingSuggestion) -> str:
    c = s.counts()
    lines = [
        f"# Mapping suggested by vitale-analysis {__version__} for {Path(s.source).name}",
        f"# ({s.rows:,} rows read; a {'tracker: one row per dossier' if s.shape == 'tracker' else 'case log: one row per event'}).",
        f"# {c['sure']} sure, {c['check']} to check, {c['todo']} TODO"
        + (f", {c['chosen']} chosen by hand" if c.get("chosen") else "")
        + ". Each line ends with how sure the assistant is:",
        "#   sure  = a close match, well ahead of the next name;",
        "#   check = a guess: confirm it (the names after 'also:' came next);",
        "#   TODO  = not placed: write the name on the right and remove the '#' at the start of the line,",
        "#           or leave it (the rows are then kept and flagged as unknown).",
        f"# Use it with:  vitale-analysis validate {Path(s.source).name} --mapping THIS_FILE",
        "#          or:  va.load(path, mapping=\"THIS_FILE\")",
        "",
    ]
    for note in s.notes:
        lines.append(f"# note: {note}")
    if s.notes:
        lines.append("")
    explain = {"encoding": "detected", "delimiter": "detected", "sheet": "the sheet read",
               "header_row": "the sheet's row that holds the headers",
               "dayfirst": "from the dates themselves"}
    for key, value in s.settings.items():
        if value is not None:
            lines.append(f"{key} = {_value(value)}  # {explain.get(key, '')}")
    if "dayfirst" not in s.settings and s.ambiguous_dates:
        lines.append("# TODO dayfirst = true  # no date tells the order (all fields 12 or below): true if 01/02 "
                     "is 1 February, false if it is 2 January")
    groups = [("column", "columns", "file header -> canonical name"),
              ("milestone_column", "milestone_columns", "date column -> the step it records")]
    for kind, table, comment in groups:
        rows = [p for p in s.proposals if p.kind == kind]
        if not rows:
            continue
        lines += ["", f"[{table}]  # {comment}"]
        lines += _lines(rows)
    for column in ("event", "trigger", "channel", "route", "born_abroad"):
        rows = [p for p in s.proposals if p.kind == column]
        if rows:
            lines += ["", f"[values.{column}]  # file label -> {_what(column)}"]
            lines += _lines(rows)
    return "\n".join(lines) + "\n"


def _what(column: str) -> str:
    return {"event": "step of the process", "trigger": "delay trigger", "born_abroad": "true or false"}.get(
        column, f"{column} value")


def _lines(rows: list[Proposal]) -> list[str]:
    out = []
    for p in rows:
        if p.status == "todo":
            closest = ", ".join(f"{a} ({s:.0f})" for a, s in p.alternatives if a and s >= _SHOWN)
            what = f"{i18n.count(p.count, 'row', 'en')}; " if p.count else ""
            hint = f"closest: {closest}" if closest else "nothing close in the process model"
            if p.reason == "left out by hand":
                hint = f"left out by hand; {hint}"
            if p.kind == "column":
                if p.examples:
                    hint += "; values like " + ", ".join(toml_string(str(e)) for e in p.examples)
                hint += "; left as it is, it is kept as a case attribute under its own name"
            out.append(f"# TODO {toml_string(str(p.label))} = \"\"  # {what}{hint}")
        else:
            out.append(f"{toml_string(str(p.label))} = {_value(p.target)}{_comment(p)}")
    return out
