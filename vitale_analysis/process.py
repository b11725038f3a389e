"""The process model: milestones, phases, events, delay triggers, as data.

The Carte Vitale route is the default (:data:`CARTE_VITALE`, read from
``carte_vitale.toml`` beside this module). Any other administrative process can
be described the same way, from a dict or a TOML file; only ``milestones`` and
``phases`` are required::

    >>> from vitale_analysis import ProcessModel
    >>> permit = ProcessModel.from_dict({
    ...     "name": "permit",
    ...     "milestones": ["received", "checked", "decided"],
    ...     "phases": ["intake", {"key": "decision", "label": {"en": "Decision"}}],
    ... })
    >>> [p.key for p in permit.phases]
    ['intake', 'decision']
    >>> permit.phase("decision").start, permit.phase("decision").end
    ('checked', 'decided')
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from .errors import CaseLogError
from .timeutil import WorkingCalendars, holiday_subdivisions

__all__ = ["CARTE_VITALE", "Phase", "ProcessModel", "Trigger", "HolidayRules", "WAITING_PARTIES", "LANGUAGES",
           "check_lang"]

#: Who a dossier can be waiting on after an event.
WAITING_PARTIES = ("applicant", "office", "third_party")
LANGUAGES = ("en", "fr")


class _Unfrozen(dict):
    """A read-only mapping (``MappingProxyType``) while it is pickled: proxies cannot be."""


def _unfreeze(value):
    if isinstance(value, MappingProxyType):
        return _Unfrozen({k: _unfreeze(v) for k, v in value.items()})
    if isinstance(value, tuple):
        return tuple(_unfreeze(v) for v in value)
    return value


def _freeze(value):
    if isinstance(value, _Unfrozen):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, tuple):
        return tuple(_freeze(v) for v in value)
    return value


def _rebuild(cls, state: dict):
    obj = object.__new__(cls)
    for name, value in state.items():
        object.__setattr__(obj, name, _freeze(value))
    return obj


class _Picklable:
    """Frozen dataclasses holding read-only mappings, made picklable (to ship a model to Dask's
    workers or another process): the proxies travel as dicts and come back as proxies."""

    def __reduce__(self):
        return _rebuild, (type(self), {f.name: _unfreeze(getattr(self, f.name)) for f in fields(self)})


def _labels(value: Any, default: str, where: str) -> Mapping[str, str]:
    """Normalise a label given as a string or an ``{"en": …, "fr": …}`` table."""
    if value is None:
        value = {}
    if isinstance(value, str):
        value = {"en": value}
    if not isinstance(value, Mapping):
        raise CaseLogError(
            f"{where}: a label must be a string or a table like "
            f'{{en = "…", fr = "…"}}, got {value!r}.'
        )
    unknown = set(value) - set(LANGUAGES)
    if unknown:
        raise CaseLogError(
            f"{where}: unknown language(s) {sorted(unknown)} in a label; use 'en' and 'fr'."
        )
    en = str(value.get("en") or value.get("fr") or default)
    fr = str(value.get("fr") or en)
    return MappingProxyType({"en": en, "fr": fr})


@dataclass(frozen=True)
class Phase(_Picklable):
    """A phase runs from the first time ``start`` is reached to the first time ``end`` is."""

    key: str
    start: str
    end: str
    label: Mapping[str, str]
    next_action: Mapping[str, str]

    def label_in(self, lang: str = "en") -> str:
        return self.label[check_lang(lang)]


@dataclass(frozen=True)
class Trigger(_Picklable):
    """A delay trigger: a problem detected on an event, its phase and how to prevent it."""

    key: str
    phase: str | None
    label: Mapping[str, str]
    prevention: Mapping[str, str]

    def label_in(self, lang: str = "en") -> str:
        return self.label[check_lang(lang)]


@dataclass(frozen=True)
class HolidayRules(_Picklable):
    """Which public holidays a dossier's working days skip, from its office (the fund).

    Attributes
    ----------
    country : str
        A country code of the ``holidays`` package (``"FR"``).
    default : str
        The subdivision for offices no rule matches and dossiers without an
        office: ``""`` is the national list (metropolitan France).
    offices : tuple of (key, subdivision)
        In the order written; the first rule whose key is in the office label
        as a whole word wins. Case and accents are ignored, and a hyphen joins
        words: ``"57"`` matches ``"CPAM 57"`` and ``"CPAM de la Moselle (57)"``,
        not ``"CPAM 5700"``; ``"Moselle"`` does not match
        ``"CPAM Meurthe-et-Moselle"``. Subdivisions are the package's codes
        (an alias given in the file is stored as its code).

    Examples
    --------
    >>> from vitale_analysis import CARTE_VITALE
    >>> rules = CARTE_VITALE.holidays
    >>> [rules.subdivision_of(office) for office in ("CPAM 34", "CPAM 57", "CGSS 974", "CSS 976", None)]
    ['', '57', '974', '976', '']
    """

    country: str = "FR"
    default: str = ""
    offices: tuple[tuple[str, str], ...] = ()

    def subdivision_of(self, office) -> str:
        """The subdivision code for one office label (``default`` when none matches or it is missing)."""
        if office is None or office is pd.NA or (isinstance(office, float) and office != office):
            return self.default
        label = _folded(str(office))
        for key, subdivision in self.offices:
            if _key_pattern(key).search(label):
                return subdivision
        return self.default

    def calendars_for(self, offices, n: int | None = None) -> WorkingCalendars:
        """The calendars of dossiers with these offices (one value per dossier), or of ``n`` dossiers
        without an office (``offices=None``): each distinct office label is matched once."""
        names = [self.default]
        if offices is None:
            return WorkingCalendars(self.country, tuple(names), np.zeros(n or 0, dtype=np.int8))
        office_codes, labels = pd.factorize(pd.Series(offices, copy=False), use_na_sentinel=True)
        per_label = []
        for label in labels:
            subdivision = self.subdivision_of(label)
            if subdivision not in names:
                names.append(subdivision)
            per_label.append(names.index(subdivision))
        lookup = np.array(per_label + [0], dtype=np.int8)  # (the last one: a missing office, code -1)
        return WorkingCalendars(self.country, tuple(names), lookup[office_codes])


def _folded(text: str) -> str:
    """Lower case, accents off: the form office labels and rule keys are compared in."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=256)
def _key_pattern(key: str) -> re.Pattern:
    return re.compile(r"(?<![\w-])" + re.escape(_folded(key.strip())) + r"(?![\w-])")


def check_lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise CaseLogError(f"lang={lang!r} is not supported; use one of {list(LANGUAGES)}.")
    return lang


@dataclass(frozen=True)
class ProcessModel(_Picklable):
    """An administrative process described as data.

    Attributes
    ----------
    name : str
    milestones : tuple of str
        Milestone events in their expected order. The first starts a case, the
        last completes it; phase ``i`` ends at ``milestones[i + 1]``.
    phases : tuple of Phase
        One fewer than the milestones.
    events : tuple of str
        Other (non-milestone) events the vocabulary knows.
    close_events : tuple of str
        Events that end a case without completing it (``case_closed``).
    triggers : mapping of str to Trigger
    waiting_on : mapping of str to str
        After each event, who the dossier waits on: ``applicant``, ``office`` or
        ``third_party``.
    provisional_number_event, permanent_number_event : str or None
        The events that give a provisional (NIA) and a permanent number, so that
        number status comes from events, never from the digits.
    submission_phase : str or None
        The phase whose start milestone sends the dossier (Carte Vitale:
        ``"rights"``, started by ``dossier_submitted``); its end is counted by
        ``throughput`` (``rights_opened``). Set in the model file, never taken
        from a phase's name.
    checks : tuple of str
        The Carte Vitale checks of :func:`~vitale_analysis.conformance` this
        model turns on (see :data:`OPTIONAL_CHECKS`): ``submitted_on_nia``
        (needs ``submission_phase`` and both number events),
        ``dossier_before_registration`` (needs ``submission_phase``) and
        ``salaried_route``. A model without them gets only ``milestone_order``.
    synonyms : mapping of str to mapping of str to tuple of str
        Other ways exports write things, for the mapping assistant
        (:func:`~vitale_analysis.suggest_mapping`): ``columns`` (canonical column →
        headers), ``event`` and ``trigger`` (name → labels), and any attribute
        (``channel``: value → labels).
    abbreviations : mapping of str to str
        Short forms exports use, and what they stand for (``cv`` → ``carte vitale``),
        expanded before labels are compared.
    holidays : HolidayRules or None
        The public holidays ``days="working"`` skips for each dossier, chosen
        from its ``office`` (a ``[holidays]`` table in the model file). None:
        metropolitan France for every dossier.
    followup_action, complaint_action, evidence_pack : mapping of language to text
        The escalation route for stalled dossiers (follow-up past the interval,
        médiateur once a complaint is filed) and what to bring.
    complement_action, nia_action, mediator_action : mapping of language to text
        Next actions that depend on a dossier's history: a complement requested
        and not sent (``{document}`` is replaced by the trigger's label), only a
        provisional number held, the médiateur already seized.
    """

    name: str
    milestones: tuple[str, ...]
    phases: tuple[Phase, ...]
    events: tuple[str, ...] = ()
    close_events: tuple[str, ...] = ()
    triggers: Mapping[str, Trigger] = field(default_factory=lambda: MappingProxyType({}))
    waiting_on: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    provisional_number_event: str | None = None
    permanent_number_event: str | None = None
    label: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    followup_action: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    complaint_action: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    evidence_pack: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    complement_action: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    nia_action: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    mediator_action: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    submission_phase: str | None = None
    checks: tuple[str, ...] = ()
    synonyms: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=lambda: MappingProxyType({}))
    abbreviations: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    holidays: HolidayRules | None = None

    # ------------------------------------------------------------------ views
    @property
    def phase_keys(self) -> tuple[str, ...]:
        return tuple(p.key for p in self.phases)

    @property
    def vocabulary(self) -> tuple[str, ...]:
        """Every event the model knows: milestones, other events, closing events."""
        seen: dict[str, None] = {}
        for name in (*self.milestones, *self.events, *self.close_events):
            seen.setdefault(name, None)
        for name in (self.provisional_number_event, self.permanent_number_event):
            if name:
                seen.setdefault(name, None)
        return tuple(seen)

    def phase(self, key: str) -> Phase:
        for p in self.phases:
            if p.key == key:
                return p
        raise CaseLogError(f"No phase {key!r} in process {self.name!r}; phases are {list(self.phase_keys)}.")

    def phase_labels(self, lang: str = "en") -> dict[str, str]:
        return {p.key: p.label_in(lang) for p in self.phases}

    def __repr__(self) -> str:  # short: the full dataclass repr is pages long
        return (
            f"ProcessModel({self.name!r}: {len(self.milestones)} milestones, "
            f"phases {list(self.phase_keys)}, {len(self.vocabulary)} known events, "
            f"{len(self.triggers)} triggers)"
        )

    # --------------------------------------------------------------- builders
    @classmethod
    def from_dict(cls, spec: Mapping[str, Any], *, source: str = "process model") -> "ProcessModel":
        """Build a model from a plain dict (the same shape as the TOML file).

        Required: ``milestones`` (list of event names, in order) and ``phases``
        (one per consecutive pair of milestones: a key, or a table with ``key``
        and optional ``label`` and ``next_action``). Everything else is optional.
        """
        if not isinstance(spec, Mapping):
            raise CaseLogError(f"{source}: expected a table of settings, got {type(spec).__name__}.")
        known_keys = {
            "name", "label", "milestones", "phases", "events", "close_events", "triggers",
            "waiting_on", "provisional_number_event", "permanent_number_event",
            "followup_action", "complaint_action", "evidence_pack", "complement_action",
            "nia_action", "mediator_action", "submission_phase", "checks", "synonyms", "abbreviations",
            "holidays",
        }
        unknown = sorted(set(spec) - known_keys)
        if unknown:
            raise CaseLogError(
                f"{source}: unknown setting(s) {unknown}; known settings are {sorted(known_keys)}."
            )
        missing = [k for k in ("milestones", "phases") if k not in spec]
        if missing:
            raise CaseLogError(
                f"{source}: missing required setting(s) {missing}. A process needs "
                "`milestones` (event names in their expected order) and `phases` "
                "(one name per pair of consecutive milestones)."
            )
        milestones = _str_list(spec["milestones"], f"{source}: milestones")
        if len(milestones) < 2:
            raise CaseLogError(f"{source}: at least two milestones are needed, got {milestones}.")
        dupes = sorted({m for m in milestones if milestones.count(m) > 1})
        if dupes:
            raise CaseLogError(f"{source}: milestone(s) {dupes} listed more than once.")

        raw_phases = spec["phases"]
        if not isinstance(raw_phases, (list, tuple)):
            raise CaseLogError(f"{source}: phases must be a list, got {raw_phases!r}.")
        if len(raw_phases) != len(milestones) - 1:
            raise CaseLogError(
                f"{source}: {len(milestones)} milestones need {len(milestones) - 1} phases "
                f"(one between each consecutive pair), got {len(raw_phases)}."
            )
        phases = []
        for i, raw in enumerate(raw_phases):
            if isinstance(raw, str):
                raw = {"key": raw}
            if not isinstance(raw, Mapping) or "key" not in raw:
                raise CaseLogError(f"{source}: phase {i + 1} needs a `key`, got {raw!r}.")
            key = str(raw["key"])
            phases.append(
                Phase(
                    key=key,
                    start=milestones[i],
                    end=milestones[i + 1],
                    label=_labels(raw.get("label"), key, f"{source}: phase {key}"),
                    next_action=_labels(raw.get("next_action"), "", f"{source}: phase {key}"),
                )
            )
        keys = [p.key for p in phases]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise CaseLogError(f"{source}: phase key(s) {dupes} used more than once.")

        triggers = {}
        for key, raw in dict(spec.get("triggers") or {}).items():
            raw = {"label": raw} if isinstance(raw, str) else dict(raw)
            phase = raw.get("phase")
            if phase is not None and phase not in keys:
                raise CaseLogError(
                    f"{source}: trigger {key!r} names phase {phase!r}, which is not one of {keys}."
                )
            triggers[str(key)] = Trigger(
                key=str(key),
                phase=phase,
                label=_labels(raw.get("label"), str(key), f"{source}: trigger {key}"),
                prevention=_labels(raw.get("prevention"), "", f"{source}: trigger {key}"),
            )

        waiting_on = {str(k): str(v) for k, v in dict(spec.get("waiting_on") or {}).items()}
        bad = {k: v for k, v in waiting_on.items() if v not in WAITING_PARTIES}
        if bad:
            raise CaseLogError(
                f"{source}: waiting_on values must be one of {list(WAITING_PARTIES)}; got {bad}."
            )

        model = cls(
            name=str(spec.get("name", "custom")),
            milestones=tuple(milestones),
            phases=tuple(phases),
            events=tuple(_str_list(spec.get("events", []), f"{source}: events")),
            close_events=tuple(_str_list(spec.get("close_events", []), f"{source}: close_events")),
            triggers=MappingProxyType(triggers),
            waiting_on=MappingProxyType(waiting_on),
            provisional_number_event=spec.get("provisional_number_event"),
            permanent_number_event=spec.get("permanent_number_event"),
            label=_labels(spec.get("label"), str(spec.get("name", "custom")), source),
            followup_action=_labels(spec.get("followup_action"), "", source),
            complaint_action=_labels(spec.get("complaint_action"), "", source),
            evidence_pack=_labels(spec.get("evidence_pack"), "", source),
            complement_action=_labels(spec.get("complement_action"), "", source),
            nia_action=_labels(spec.get("nia_action"), "", source),
            mediator_action=_labels(spec.get("mediator_action"), "", source),
            submission_phase=_submission_phase(spec.get("submission_phase"), [p.key for p in phases], source),
            checks=tuple(_str_list(spec.get("checks", []), f"{source}: checks")),
            synonyms=_synonyms(spec.get("synonyms"), source),
            abbreviations=_abbreviations(spec.get("abbreviations"), source),
            holidays=_holiday_rules(spec.get("holidays"), source),
        )
        _check_checks(model, source)
        unknown_waiting = sorted(set(waiting_on) - set(model.vocabulary))
        if unknown_waiting:
            raise CaseLogError(
                f"{source}: waiting_on names event(s) {unknown_waiting} that are neither "
                "milestones nor listed in `events`."
            )
        return model

    @classmethod
    def from_toml(cls, path: str | Path) -> "ProcessModel":
        """Read a model from a TOML file (see ``carte_vitale.toml`` for the shape)."""
        path = Path(path)
        try:
            with path.open("rb") as fh:
                spec = tomllib.load(fh)
        except FileNotFoundError:
            raise CaseLogError(f"Process model file {str(path)!r} does not exist.") from None
        except tomllib.TOMLDecodeError as exc:
            raise CaseLogError(f"Process model file {str(path)!r} is not valid TOML: {exc}.") from None
        return cls.from_dict(spec, source=str(path))


#: The conformance checks a model turns on by name in its ``checks`` list (``milestone_order`` is always on).
OPTIONAL_CHECKS = ("submitted_on_nia", "dossier_before_registration", "salaried_route")


def _submission_phase(value: Any, keys: list[str], source: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in keys:
        raise CaseLogError(f"{source}: submission_phase must name one of the phases {keys}, got {value!r}.")
    return value


def _check_checks(model: "ProcessModel", source: str) -> None:
    unknown = [c for c in model.checks if c not in OPTIONAL_CHECKS]
    if unknown:
        raise CaseLogError(f"{source}: unknown check(s) {unknown} in `checks`; the optional checks are "
                           f"{list(OPTIONAL_CHECKS)}.")
    needs = {"submitted_on_nia": model.submission_phase and model.provisional_number_event
             and model.permanent_number_event,
             "dossier_before_registration": model.submission_phase}
    lacking = [c for c in model.checks if c in needs and not needs[c]]
    if lacking:
        raise CaseLogError(
            f"{source}: check(s) {lacking} need `submission_phase` (the phase whose start sends the dossier)"
            + (" and both `provisional_number_event` and `permanent_number_event`" if "submitted_on_nia" in lacking
               else "") + ". Fix: set them, or take the check out of `checks`.")


def _synonyms(value: Any, source: str) -> Mapping[str, Mapping[str, tuple[str, ...]]]:
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        raise CaseLogError(f"{source}: `synonyms` must be a table of tables (e.g. [synonyms.event]), got {value!r}.")
    out = {}
    for column, table in value.items():
        if not isinstance(table, Mapping):
            raise CaseLogError(f"{source}: synonyms.{column} must be a table of name → list of labels, got {table!r}.")
        out[str(column)] = MappingProxyType({
            str(key): tuple(_str_list([words] if isinstance(words, str) else words,
                                      f"{source}: synonyms.{column}.{key}"))
            for key, words in table.items()})
    return MappingProxyType(out)


def _abbreviations(value: Any, source: str) -> Mapping[str, str]:
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise CaseLogError(f"{source}: `abbreviations` must be a table of short form → words "
                           f"(e.g. cv = \"carte vitale\"), got {value!r}.")
    return MappingProxyType({str(k): v for k, v in value.items()})
def _holiday_rules(value: Any, source: str) -> HolidayRules | None:
    """The ``[holidays]`` table: every subdivision checked against the ``holidays`` package, all at once."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise CaseLogError(f"{source}: holidays must be a table (country, default, offices), got {value!r}.")
    unknown = sorted(set(value) - {"country", "default", "offices"})
    if unknown:
        raise CaseLogError(f"{source}: unknown setting(s) {unknown} in [holidays]; known: "
                           "['country', 'default', 'offices'].")
    country = value.get("country", "FR")
    if not isinstance(country, str):
        raise CaseLogError(f"{source}: holidays.country must be a country code such as \"FR\", got {country!r}.")
    known = holiday_subdivisions(country)
    offices = value.get("offices") or {}
    if not isinstance(offices, Mapping):
        raise CaseLogError(f"{source}: holidays.offices must be a table of office key = subdivision, got {offices!r}.")
    default = value.get("default", "")
    problems = []
    for where, subdivision in (("holidays.default", default), *((f"holidays.offices: office {k!r}", v)
                                                                 for k, v in offices.items())):
        if not isinstance(subdivision, str) or (subdivision and subdivision not in known):
            problems.append(f"{where} = {subdivision!r}")
    blank = [k for k in offices if not str(k).strip()]
    if blank:
        problems.append("an empty office key in holidays.offices")
    if problems:
        codes = sorted(set(known.values()))
        aliases = sorted(k for k, v in known.items() if k != v)
        raise CaseLogError(
            f"{source}: unknown holiday subdivision(s): {'; '.join(problems)}. The holidays package knows "
            f"these subdivisions of {country}: {codes} (aliases: {aliases}); \"\" is the national list. "
            "Fix: use one of them, or take the office out of [holidays.offices]."
        )
    return HolidayRules(
        country=country,
        default=known.get(default, ""),
        offices=tuple((str(k), known[v] if v else "") for k, v in offices.items()),
    )


def _str_list(value: Any, where: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise CaseLogError(f"{where} must be a list of names, got {value!r}.")
    return [str(v) for v in value]


def _load_default() -> ProcessModel:
    return ProcessModel.from_toml(Path(__file__).with_name("carte_vitale.toml"))


#: The Carte Vitale route for a self-employed person (the default process).
CARTE_VITALE: ProcessModel = _load_default()
