"""Check a suggested mapping with drop-downs and save it: :class:`MappingEditor`.

The notebook and dashboard step of the mapping assistant: each header and label of the
export on a line, with what the assistant proposes (sure, to check, not placed) in a
drop-down of the process model's names, in the reader's language; "Save the mapping"
writes the commented TOML (a line changed by hand says so); "Use this mapping" hands the
mapping to the page (the dashboard loads the file with it).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

import ipywidgets as W

from .. import i18n
from ..assistant import TARGETS, MappingSuggestion, suggest_mapping
from ..display import safe_text
from ..errors import CaseLogError
from ..process import CARTE_VITALE, ProcessModel, check_lang
from ._base import _STYLE, _paragraph

__all__ = ["MappingEditor"]

_SECTIONS = ("column", "milestone_column", "event", "trigger", "channel", "route", "born_abroad")
_COLOURS = {"sure": "#1b7837", "check": "#b35806", "todo": "#b2182b", "chosen": "#2166ac"}


def _choices(kind: str, process: ProcessModel, lang: str) -> list[tuple[str, Any]]:
    """The names a label of ``kind`` can take, each under its readable label."""
    if kind == "column":
        return [(i18n.t(f"col.{t}", lang) if i18n.has(f"col.{t}") else t.replace("_", " "), t) for t in TARGETS]
    if kind in ("event", "milestone_column"):
        names = process.vocabulary if kind == "event" else (*process.milestones, *(
            n for n in process.vocabulary if n not in process.milestones))
        return [(i18n.event_label(n, lang, process), n) for n in names]
    if kind == "trigger":
        return [(t.label_in(lang), key) for key, t in process.triggers.items()]
    if kind == "born_abroad":
        return [(i18n.t("ui.mapping.yes", lang), True), (i18n.t("ui.mapping.no", lang), False)]
    values = sorted({key.split(".")[2] for key in i18n.CATALOGUE if key.startswith(f"value.{kind}.")}
                    | set(process.synonyms.get(kind, {})))
    return [(i18n.value_label(kind, v, lang), v) for v in values]


class MappingEditor(W.VBox):
    """The mapping assistant's proposals, each in a drop-down to check or change, and a save button.

    Parameters
    ----------
    source : path or MappingSuggestion
        The export (it is read by :func:`~vitale_analysis.suggest_mapping`), or a suggestion.
    process : ProcessModel, optional
        Default: Carte Vitale (or the suggestion's own).
    lang : {"en", "fr"}
    save_to : path, optional
        Where "Save the mapping" writes (default: ``<export>.mapping.toml`` beside the export).
    on_use : callable, optional
        Called with :attr:`mapping` when "Use this mapping" is pressed (the button shows only then).

    Attributes
    ----------
    controls : dict
        ``(kind, label)`` → the Dropdown of that line (``kind``: ``column``, ``milestone_column``,
        ``event``, ``trigger``, ``channel``, ``route`` or ``born_abroad``); ``save_to`` (Text),
        ``replace`` (Checkbox), ``save`` and ``use`` (Buttons).
    message : HTML
        What the last save said.
    """

    def __init__(self, source, process: ProcessModel | None = None, *, lang: str = "en", save_to=None,
                 on_use: Callable[[dict], Any] | None = None):
        self.lang = check_lang(lang)
        if isinstance(source, MappingSuggestion):
            self.suggestion = source
        else:
            self.suggestion = suggest_mapping(source, process or CARTE_VITALE)
        self.process = self.suggestion.process
        self.on_use = on_use
        name = Path(self.suggestion.source)
        default = name.with_name(name.name.split(".")[0] + ".mapping.toml")
        self.controls: dict = {}
        rows: list[W.Widget] = []
        counts = self.suggestion.counts()
        rows.append(W.HTML(f"<h3>{escape(i18n.t('ui.mapping.title', lang, source=safe_text(name.name)))}</h3>"))
        rows.append(W.HTML(_paragraph(i18n.t("ui.mapping.intro", lang, source=safe_text(name.name),
                                             sure=counts["sure"], check=counts["check"], todo=counts["todo"]))))
        settings = ", ".join(f"{k} = {v}" for k, v in self.suggestion.settings.items())
        if settings:
            rows.append(W.HTML(_paragraph(i18n.t("ui.mapping.settings", lang, settings=settings))))
        wide, narrow = W.Layout(width="40%"), W.Layout(width="20%")  # (shared: one model each, not one per line)
        for kind in _SECTIONS:
            lines = [p for p in self.suggestion.proposals if p.kind == kind]
            if not lines:
                continue
            rows.append(W.HTML(f"<h4>{escape(i18n.t(f'ui.mapping.section.{kind}', lang))}</h4>"))
            options = [(i18n.t("ui.mapping.leave", lang), None), *_choices(kind, self.process, lang)]
            for p in lines:
                known = [value for _, value in options]
                row_options = options if p.target in known else [*options, (str(p.target), p.target)]
                menu = W.Dropdown(options=row_options, value=p.target, layout=wide)
                self.controls[(kind, p.label)] = menu
                status = i18n.t(f"ui.mapping.status.{p.status}", lang, score=round(p.score))
                count = f" · {i18n.t('ui.mapping.rows', lang, n=p.count)}" if p.count else ""
                label = W.HTML(f"<span>{escape(safe_text(str(p.label)))}</span>", layout=wide)
                badge = W.HTML(f'<span style="color:{_COLOURS.get(p.status, "#333")}">{escape(status)}'
                               f"{escape(count)}</span>", layout=narrow)
                rows.append(W.HBox([label, badge, menu]))
        # (the field shows a file name, masked like every text on screen; the real path stays in Python)
        self._save_path = Path(save_to or default)
        self._save_shown = safe_text(self._save_path.name)
        self.controls["save_to"] = W.Text(value=self._save_shown, description=i18n.t("ui.mapping.save_to", lang),
                                          style=_STYLE, layout=W.Layout(width="70%"))
        self.controls["replace"] = W.Checkbox(value=False, description=i18n.t("ui.mapping.replace", lang),
                                              indent=False)
        self.controls["save"] = W.Button(description=i18n.t("ui.mapping.save", lang), button_style="primary")
        self.controls["use"] = W.Button(description=i18n.t("ui.mapping.use", lang), button_style="success")
        self.controls["save"].on_click(lambda _: self.save())
        self.controls["use"].on_click(lambda _: self.use())
        self.message = W.HTML()
        buttons = [self.controls["save"]] + ([self.controls["use"]] if on_use is not None else [])
        rows += [W.HBox([self.controls["save_to"], self.controls["replace"]]), W.HBox(buttons), self.message]
        super().__init__(rows)

    # ------------------------------------------------------------------ state
    def chosen(self) -> MappingSuggestion:
        """The suggestion with the drop-downs' current values."""
        choices = {key: menu.value for key, menu in self.controls.items() if isinstance(key, tuple)}
        return self.suggestion.with_choices(choices)

    @property
    def mapping(self) -> dict:
        """The mapping as the drop-downs say now (for ``read_caselog(path, mapping=...)``)."""
        return self.chosen().mapping

    def to_toml(self) -> str:
        return self.chosen().to_toml()

    # ------------------------------------------------------------------ actions
    def save(self) -> Path | None:
        """Write the mapping to the "Save to" file (never over an existing one unless "replace" is ticked)."""
        typed = self.controls["save_to"].value.strip()
        if typed == self._save_shown:
            path = self._save_path
        else:  # (a name typed by the person: beside the default file unless a full path)
            path = Path(typed).expanduser()
            if not path.is_absolute():
                path = self._save_path.parent / path
        if path.exists() and not self.controls["replace"].value:
            self._say(i18n.t("ui.mapping.exists", self.lang, path=path.name), error=True)
            return None
        try:
            path.write_text(self.to_toml(), encoding="utf-8")
        except OSError as exc:
            self._say(i18n.t("ui.mapping.not_written", self.lang, path=path.name, why=exc.strerror or str(exc)),
                      error=True)
            return None
        self._say(i18n.t("ui.mapping.saved", self.lang, path=path.name))
        return path

    def use(self) -> None:
        if self.on_use is None:
            raise CaseLogError("MappingEditor: no on_use callback was given.")
        self.on_use(self.mapping)

    def _say(self, text: str, *, error: bool = False) -> None:
        colour = "#b2182b" if error else "#1b7837"
        self.message.value = f'<p style="color:{colour}">{escape(safe_text(text))}</p>'
