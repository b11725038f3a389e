"""Words for the keys the analyses return: phase and trigger labels, prevention hints, next actions.

The computations (``trigger_summary``, ``stalled``) return keys (``trigger``,
``phase``, ``reason``, ``document``); the words come from the process model, in
English or French, when a table is shown: in the report, the widgets, the
command line, or a notebook::

    >>> import vitale_analysis as va
    >>> from vitale_analysis.labels import with_next_actions
    >>> log = va.load("data/sample_caselog.csv")
    >>> worklist = with_next_actions(va.stalled(log), log.process, lang="fr")
    >>> list(worklist.columns[:4]), worklist.columns[-1]
    (['case_id', 'office', 'phase', 'phase_label'], 'next_action')
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from . import i18n
from .process import ProcessModel, check_lang

__all__ = ["next_action", "with_next_actions", "with_trigger_labels"]



def next_action(process: ProcessModel, reason: str, phase: str, document: str | None, lang: str = "en",
                labels: Mapping | None = None) -> str:
    """The next action for a stalled dossier, from the process model (see :data:`~vitale_analysis.NEXT_ACTION_REASONS`);
    the document a complement waits for is named by the user's own label (``labels``: trigger → label) if given."""
    check_lang(lang)
    if reason == "mediator":
        return process.mediator_action[lang] or process.complaint_action[lang]
    if reason == "complaint":
        return process.complaint_action[lang]
    if reason == "nia_only":
        return process.nia_action[lang]
    if reason == "complement_pending":
        model = process.triggers.get(document) if isinstance(document, str) else None
        own = (labels or {}).get(document) if isinstance(document, str) else None
        document = own or (model.label_in(lang) if model else i18n.t("label.document", lang))
        return process.complement_action[lang].replace("{document}", document)
    if reason == "no_movement":
        action, pack = process.followup_action.get(lang, ""), process.evidence_pack.get(lang, "")
        if not pack:  # (a model without an evidence pack: the follow-up action alone)
            return action
        return f"{action} {i18n.t('label.evidence_pack', lang)}{i18n.colon(lang)} {pack}.".strip()
    return process.phase(phase).next_action[lang]


def with_next_actions(worklist: pd.DataFrame, process: ProcessModel, *, lang: str = "en",
                      labels: Mapping | None = None) -> pd.DataFrame:
    """A copy of a :func:`~vitale_analysis.stalled` worklist with ``phase_label`` (after ``phase``)
    and ``next_action`` (last) in ``lang``; ``labels`` (trigger → the user's own label, e.g.
    ``log.labels.get("trigger")``) names the documents."""
    check_lang(lang)
    out = worklist.copy()
    phases = out["phase"].astype(object).tolist()
    labels = {p: process.phase(p).label_in(lang) for p in set(phases)}
    out.insert(list(out.columns).index("phase") + 1, "phase_label", [labels[p] for p in phases])
    documents = out["document"].astype(object).where(out["document"].notna(), None).tolist()
    said: dict = {}  # (reason, phase, document) → the action: a few dozen distinct ones
    actions = []
    for key in zip(out["reason"].astype(str).tolist(), phases, documents):
        if key not in said:
            said[key] = next_action(process, *key, lang=lang, labels=labels)
        actions.append(said[key])
    out["next_action"] = actions
    return out


def with_trigger_labels(summary: pd.DataFrame, process: ProcessModel, *, lang: str = "en",
                        labels: Mapping | None = None) -> pd.DataFrame:
    """A copy of a :func:`~vitale_analysis.trigger_summary` table with ``label`` (after ``trigger``)
    and ``prevention`` (last) in ``lang``. The label is the user's own (``labels``: trigger → label, e.g.
    ``log.labels.get("trigger")``), else the model's; a trigger neither knows keeps its key as label."""
    check_lang(lang)
    out = summary.copy()
    keys = out["trigger"].astype(object).tolist()
    models = [process.triggers.get(k) for k in keys]
    out.insert(list(out.columns).index("trigger") + 1, "label",
               pd.array([(labels or {}).get(k) or (m.label_in(lang) if m else str(k)) for k, m in zip(keys, models)],
                        dtype=object))
    out["prevention"] = pd.array([m.prevention[lang] if m else "" for m in models], dtype=object)
    return out
