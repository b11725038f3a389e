"""The follow-up worklist and where dossiers stall: :class:`StallExplorer`."""

from __future__ import annotations

import base64
import io
import re
import unicodedata
from collections import OrderedDict
from html import escape
from pathlib import Path

import ipywidgets as W
import pandas as pd

from .. import chartdata, i18n, plots
from .._version import __version__
from ..caselog import CaseLog
from ..display import DAYS_COLUMNS, FORECAST_CONFIDENCE, html_table, readable, safe_text, with_expected_dates
from ..labels import with_next_actions
from ..report import SHEET_ROWS, add_sheet
from ..stalls import phase_thresholds, stalled
from ..timeutil import AsOf
from ._base import (
    _CACHE_SIZE,
    _STYLE,
    ALL,
    _CaseTables,
    _Explorer,
    _local_times,
    _paragraph,
    _source_name,
)
from ._render import _new_figure

__all__ = ["XLSX_MIME", "StallExplorer"]

#: The media type of an Excel workbook (the download link's ``data:`` URL).
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _slug(text: str) -> str:
    """A phase's label as part of a file name: no accents, lower case, words joined by hyphens."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "phase"


class StallExplorer(_Explorer):
    """The follow-up worklist: which dossiers are stalled now, where, and what to do next.

    Parameters
    ----------
    log : CaseLog
    as_of : date-like, optional
        Default: the log's latest event (as :func:`~vitale_analysis.stalled`).
    lang : {"en", "fr"}
    output_dir : str or Path
        Where :meth:`save` writes when it is given no path (created if needed).
        The button does not write on the server: it offers the file as a download.
    top : int
        How many of the most overdue dossiers the table shows (the count
        above it and the workbook cover them all).
    source : str, optional
        The name of the log's file as the workbook states it (default: the
        file the log was read from).

    Attributes
    ----------
    controls : dict
        ``percentile`` (IntSlider 50–99: a dossier is stalled past this
        percentile of its phase's durations in the caseload), ``followup_days``
        (IntSlider, days without news after which the next action is a
        follow-up), ``phase`` (Dropdown, :data:`ALL` or a phase key) and
        ``save`` (Button: builds the workbook in memory and shows a link that
        downloads it, named after the settings, :attr:`file_name`).
    cases : CaseTable
        The case table (computed once per ``as_of``).
    worklist : DataFrame
        ``stalled(cases, percentile=…, followup_days=…)`` with its next actions in
        words (``labels.with_next_actions(…, lang=…)``).
    result : DataFrame
        The worklist rows of the chosen phase (all rows for :data:`ALL`):
        the table shown (its first ``top`` rows), the heat map and the workbook.
    shown : DataFrame
        The first ``top`` rows as the table shows them (masked ids, events
        in words, readable headers, as in the report), with the expected
        rights opening and its range (``display.with_expected_dates`` of
        ``forecast(cases)``: an estimate from past dossiers; empty for
        dossiers whose rights are already open).
    matrix : DataFrame
        ``chartdata.stalled_matrix(result, cases=cases, thresholds=…)``: what the heat map shows.
    figure : Figure
        The same heat map drawn by matplotlib (``plots.plot_stalled_heatmap``
        of ``matrix``), for saving or a report; drawn when first asked for.
    last_saved : Path or None
        The file :meth:`save` wrote last.

    Notes
    -----
    The heat map on screen is an HTML table (``plots.stalled_heatmap_html``:
    the chart's colours, numbers and labels, in text a screen reader reads),
    not a picture: it takes a few ms where Agg took hundreds.

    Examples
    --------
    >>> from vitale_analysis import load
    >>> from vitale_analysis.widgets import StallExplorer
    >>> explorer = StallExplorer(load("data/sample_caselog.csv"))
    >>> explorer.controls["phase"].value = "rights"
    >>> explorer.file_name
    'worklist_rights-opening_p90_followup14d_as-of_2025-06-30.xlsx'
    >>> explorer.save(getfixture("tmp_path")).name  # (a folder: the file is named as above)
    'worklist_rights-opening_p90_followup14d_as-of_2025-06-30.xlsx'
    """

    kind = "stall-explorer"

    def __init__(self, log: CaseLog, *, as_of=None, lang: str = "en", output_dir=".", top: int = 25,
                 source: str | None = None, _tables: _CaseTables | None = None):
        super().__init__(log, lang=lang, tables=_tables)
        self.output_dir = Path(output_dir)
        self.top = int(top)
        self.source = _source_name(log, source)
        self.last_saved: Path | None = None
        self._download_key = None  # the settings of the workbook the link offers
        t = self._t
        percentile = self._control("percentile", W.IntSlider(value=90, min=50, max=99, step=1,
                                                              description=t("percentile"),
                                                              continuous_update=False, style=_STYLE))
        followup = self._control("followup_days", W.IntSlider(value=14, min=0, max=90, step=1,
                                                              description=t("followup_days"),
                                                              continuous_update=False, style=_STYLE))
        phase = self._control("phase", W.Dropdown(
            options=[(t("all_phases"), ALL)] + [(p.label_in(self.lang), p.key) for p in self.process.phases],
            value=ALL, description=t("phase"), style=_STYLE))
        save = self._control("save", W.Button(description=t("save"), icon="download", tooltip=t("save_hint"),
                                              layout=W.Layout(width="auto")))
        self._status = self._html("vitale-status")
        self._saved = self._html("vitale-save-status")
        self._chart = self._html("vitale-chart")
        self._table = self._html("vitale-table")
        self.widget = self._root([
            W.HBox([percentile, followup]),
            W.HBox([phase, save, self._saved], layout=W.Layout(align_items="center")),
            self._status, self._table, self._chart,
        ])
        self._load(log.as_of(as_of))
        self._observe(self._update, "percentile", "followup_days", "phase")
        save.on_click(self._on_save)
        self._update()

    def _load(self, cut: AsOf) -> None:
        self.cases = self._case_table(cut)
        self._n_open = int((self.cases["status"] == "open").sum())
        self._worklists: OrderedDict = OrderedDict()
        self._views: OrderedDict = OrderedDict()
        self._drawn: tuple | None = None  # (matrix, Figure): the last heat map asked for as a figure

    @property
    def figure(self):
        """The heat map of :attr:`matrix` drawn by ``plots.plot_stalled_heatmap`` (once per matrix shown)."""
        if self._drawn is None or self._drawn[0] is not self.matrix:
            fig, ax = _new_figure(8.5, max(3.5, 0.3 * len(self.matrix) + 2.6))
            plots.plot_stalled_heatmap(self.matrix, lang=self.lang, process=self.process, ax=ax)
            self._drawn = (self.matrix, fig)
        return self._drawn[1]

    def _settings(self) -> tuple:
        c = self.controls
        return (self.as_of, c["percentile"].value, c["followup_days"].value, c["phase"].value)

    def _worklist(self, percentile: int, followup_days: int) -> tuple[pd.DataFrame, dict]:
        """The worklist in words and the thresholds it used, for these settings (kept)."""
        key = (percentile, followup_days)
        if key not in self._worklists:
            work = stalled(self.cases, percentile=percentile, followup_days=followup_days)
            self._worklists[key] = (with_next_actions(work, self.process, lang=self.lang),
                                    phase_thresholds(self.cases, percentile=percentile))
            if len(self._worklists) > _CACHE_SIZE:
                self._worklists.popitem(last=False)
        return self._worklists[key]

    def _update(self, _change=None) -> None:
        c = self.controls
        key = (c["percentile"].value, c["followup_days"].value, c["phase"].value)
        view = self._views.get(key)
        if view is None:
            worklist, thresholds = self._worklist(*key[:2])
            phase = key[2]
            if phase == ALL:
                result = worklist
            else:
                result = worklist[(worklist["phase"].astype(object) == phase).to_numpy()].reset_index(drop=True)
                result.attrs.update(worklist.attrs)
            by_office = "office" in result.columns

            def chart_key(view_key):
                # Offices × phases does not depend on the follow-up delay (only the reasons do):
                # a follow-up change reuses the chart drawn for the same percentile and phase.
                percentile, followup_days, phase = view_key
                return percentile, phase, None if by_office else followup_days

            chart = next((v[2:] for k, v in self._views.items() if chart_key(k) == chart_key(key)), None)
            if chart is None:
                if by_office:
                    matrix = chartdata.stalled_matrix(result, cases=self.cases, thresholds=thresholds)
                else:  # a log without offices: where they stall by next-action reason instead
                    matrix = chartdata.stalled_matrix(result, rows="reason", cases=self.cases, thresholds=thresholds)
                chart = (matrix, plots.stalled_heatmap_html(matrix, lang=self.lang, process=self.process))
            view = (worklist, result, *chart)
            self._views[key] = view
            if len(self._views) > _CACHE_SIZE:
                self._views.popitem(last=False)
        else:
            self._views.move_to_end(key)
        self.worklist, self.result, self.matrix, heatmap = view
        self.shown = self._display(self.result.head(self.top), numbers=False)  # what the table shows
        if len(self.result):
            text = self._t("worklist", n=len(self.result), open=self._n_open, day=i18n.day(self.as_of, self.lang))
            if len(self.result) > self.top:
                text += self._t("worklist_top", top=self.top)
        else:
            text = self._t("no_stalled")
        note = self._view(self.as_of).forecast("rights_opened") is not None  # (the expected dates are shown)
        self._status.value = _paragraph(text) + (_paragraph(i18n.t(
            "report.forecast_worklist_note", self.lang, share=i18n.percent(100 * FORECAST_CONFIDENCE, self.lang)),
            **{"class_": "vitale-note"}) if note and len(self.result) else "")
        self._table.value = html_table(self.shown, shown=self.unmasked)
        self._chart.value = heatmap
        if self._download_key != self._settings():  # a file made for other settings is not offered
            self._saved.value = ""
            self._download_key = None

    def _display(self, worklist: pd.DataFrame, *, numbers: bool) -> pd.DataFrame:
        """The worklist as an advisor reads it (masked ids, words, readable headers), as the report shows it."""
        words = worklist.drop(columns=["phase", "document"]).rename(columns={"phase_label": "phase"})
        # (the expected rights opening beside the days over: an estimate from past dossiers, as the report has it)
        words = with_expected_dates(words, self._view(self.as_of).forecast("rights_opened"), self.lang,
                                    name="expected_rights", after="days_over")
        return readable(_local_times(words), self.lang, labels=self.labels, days_columns=DAYS_COLUMNS,
                        numbers=numbers, shown=self.unmasked)

    # ------------------------------------------------------------------ the workbook
    @property
    def file_name(self) -> str:
        """The workbook's name: what it holds and its settings, e.g.
        ``worklist_all-phases_p90_followup14d_as-of_2025-06-30.xlsx`` /
        ``a_relancer_toutes-phases_p90_relance14j_au_2025-06-30.xlsx``."""
        c = self.controls
        phase = c["phase"].value
        parts = [self._t("file.worklist"),
                 self._t("file.all_phases") if phase == ALL else _slug(self._phase_label(phase)),
                 f"p{int(c['percentile'].value)}", self._t("file.followup", d=int(c["followup_days"].value)),
                 self._t("file.as_of"), self.as_of.day().isoformat()]
        return "_".join(parts) + ".xlsx"

    def _percentile_words(self, percentile: int) -> str:
        suffix = "th" if 10 <= percentile % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(percentile % 10, "th")
        return self._t(f"percentile_{suffix}", p=percentile)

    def settings_lines(self) -> list[str]:
        """What the workbook states above its table: the worklist and its date, the source, the settings."""
        c = self.controls
        phase = c["phase"].value
        return [
            self._t("sheet_title", day=i18n.day(self.as_of, self.lang)),
            self._t("sheet_source", source=self.source),
            self._t("sheet_settings", phase=self._t("all_phases") if phase == ALL else self._phase_label(phase),
                    percentile=self._percentile_words(int(c["percentile"].value)),
                    f=int(c["followup_days"].value)),
            self._t("sheet_count", n=len(self.result)),
            self._t("sheet_made", v=__version__),
        ]

    def workbook(self) -> bytes:
        """The current worklist (:attr:`result`, every row) as an Excel workbook, in memory.

        One sheet: the lines of :meth:`settings_lines` (bold title first), an empty
        row, then the table with readable headers, identifiers masked, days as
        numbers (a header row frozen, a filter on it); text that starts like a
        formula (``=``, ``+``, ``-``, ``@``) is kept as text.
        """
        from openpyxl import Workbook
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        frame = self._display(self.result, numbers=True)
        book = Workbook()
        book.remove(book.active)
        add_sheet(book, self._t("sheet"), frame, lang=self.lang)
        sheet = book.worksheets[0]
        lines = self.settings_lines()
        sheet.insert_rows(1, amount=len(lines) + 1)
        for row, line in enumerate(lines, start=1):
            cell = sheet.cell(row=row, column=1, value=safe_text(line))
            cell.data_type = "s"
            if row == 1:
                cell.font = Font(bold=True, size=13)
        header = len(lines) + 2
        sheet.freeze_panes = f"A{header + 1}"
        if len(frame):
            last = header + min(len(frame), SHEET_ROWS)
            sheet.auto_filter.ref = f"A{header}:{get_column_letter(frame.shape[1])}{last}"
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()

    def _on_save(self, _button) -> None:
        settings = self._settings()
        try:
            data = self.workbook()
        except Exception as error:  # noqa: BLE001 (a callback: say it on the page, not in a log nobody reads)
            self._saved.value = _paragraph(self._t("download_failed", error=str(error)), role="alert")
            return
        name = self.file_name
        href = f"data:{XLSX_MIME};base64,{base64.b64encode(data).decode('ascii')}"
        label = self._t("download", file=name, n=len(self.result))
        self._saved.value = (f'<a class="vitale-download" download="{escape(name, quote=True)}" href="{href}">'
                             f"{escape(safe_text(label))}</a>")
        self._download_key = settings

    def save(self, path=None) -> Path:
        """Write the workbook (:meth:`workbook`) where asked: ``path`` a file (``….xlsx``) or a folder
        to put :attr:`file_name` in; default ``output_dir``. Returns the file's path."""
        target = Path(path) if path is not None else self.output_dir
        if path is None or target.suffix.lower() != ".xlsx":
            target.mkdir(parents=True, exist_ok=True)
            target = target / self.file_name
        data = self.workbook()
        target.write_bytes(data)
        self.last_saved = target.resolve()
        return self.last_saved

    def __repr__(self) -> str:
        return f"StallExplorer({len(self.result):,} dossiers to follow up, lang={self.lang!r})"
