"""The dashboard's first step: which case log to read and how (:class:`SourceStep`), and where paths start.

An advisor sends a file from their computer (an upload), types a path, or picks a
file of the folder the dashboard was started from; they say how to read it (as it
is, with a mapping file, or with a mapping suggested from the file and edited in
the page). Reading shows its progress, and whatever stops it is said in the page,
the :class:`~vitale_analysis.CaseLogError` message as the toolkit gives it: the
page stays usable to try another file.
"""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
import traceback
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from html import escape
from pathlib import Path, PurePath

import ipywidgets as W

from .. import i18n
from ..caselog import CaseLog
from ..display import safe_text
from ..errors import CaseLogError, DataQualityWarning, closest_names
from ..read import read_caselog, read_mapping
from ..validate import validate
from ._base import _STYLE

__all__ = ["DATA_SUFFIXES", "MAPPING_SUFFIXES", "UPLOAD_LIMIT_MB", "SourceStep", "find_file", "start_folder"]

#: What the upload control offers (``accept``): the formats ``read_caselog`` reads.
DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xls", ".parquet", ".xes", ".xes.gz", ".gz")
MAPPING_SUFFIXES = (".toml", ".json")
#: The upload size the page announces: the README's launch command raises Voilà's websocket limit to 300 MB
#: (``--Voila.tornado_settings``); a 150 MB file was checked through Chromium.
UPLOAD_LIMIT_MB = 150
_FILES_LISTED = 200
_SERVERS = ("voila", "jupyter")  # a kernel's parent process whose command line names one of them is its server


# ============================================================================ where paths start
def start_folder() -> Path:
    """The folder paths typed in the page start from: the folder the dashboard was started from.

    ``VITALE_FOLDER`` when it is set; otherwise the working folder of the
    Voilà or Jupyter server that started this kernel (``voila
    notebooks/dashboard.ipynb`` run in the project folder: the project
    folder; Voilà itself runs the notebook in the notebook's own folder);
    otherwise the kernel's working folder.
    """
    given = os.environ.get("VITALE_FOLDER")
    if given:
        return Path(given).expanduser().resolve()
    try:
        import psutil  # (ipykernel's own dependency)

        parent = psutil.Process(os.getppid())
        if any(server in " ".join(parent.cmdline()).lower() for server in _SERVERS):
            return Path(parent.cwd())
    except Exception:  # noqa: BLE001, S110 (no psutil, no access to the parent: the kernel's own folder)
        pass
    return Path.cwd()


def find_file(text: str, folder, lang: str = "en", *, suffixes: tuple[str, ...] | None = None) -> Path:
    """The file a path typed in the page names: absolute, or relative to ``folder``.

    Quotes around it (Windows' *Copy as path*) and ``~`` are understood. A
    path that names no file raises :class:`CaseLogError` with the page's
    message: ``No file X in folder Y.``, and the closest names there (of
    the files ending in one of ``suffixes``, when given).

    Examples
    --------
    >>> find_file("data/sample_caselog.csv", ".").name
    'sample_caselog.csv'
    >>> try:
    ...     find_file("data/sample_caselog.cvs", ".")
    ... except CaseLogError as error:
    ...     print(str(error).replace(str(Path.cwd()), "…"))
    No file sample_caselog.cvs in folder …/data. Did you mean sample_caselog.csv, sample_export_fr.csv?
    """
    name = str(text).strip().strip('"').strip("'").strip()
    path = Path(name).expanduser()
    candidate = path if path.is_absolute() else Path(folder) / path
    if candidate.is_file():
        return candidate
    where = candidate.parent.resolve()
    if candidate.is_dir():
        raise CaseLogError(i18n.t("ui.source.is_folder", lang, name=candidate.name, folder=str(where)))
    message = i18n.t("ui.source.no_file", lang, name=candidate.name or "''", folder=str(where))
    try:
        names = [p.name for p in where.iterdir() if p.is_file()] if where.is_dir() else []
        near = closest_names(candidate.name, [n for n in names if suffixes is None or n.lower().endswith(suffixes)])
    except OSError:
        near = []
    if near:
        message += " " + i18n.t("ui.source.closest", lang, names=", ".join(near))
    raise CaseLogError(message)


def _files_in(folder: Path) -> list[str]:
    """Case logs in ``folder`` and its subfolders one level down (paths relative to it), for the picker."""
    found = []
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            inner = sorted(entry.iterdir()) if entry.is_dir() else [entry]
        except OSError:
            continue
        for path in inner:
            if path.is_file() and _is_data(path.name) and not path.name.startswith("."):
                found.append(path.relative_to(folder).as_posix())
                if len(found) >= _FILES_LISTED:
                    return found
    return found


def _is_data(name: str) -> bool:
    return name.lower().endswith(DATA_SUFFIXES)


def _safe_name(name: str, default: str) -> str:
    """An uploaded file's own name, without any folder part (a browser may send one)."""
    clean = PurePath(str(name).replace("\\", "/")).name.strip()
    return clean if clean and clean not in (".", "..") else default


# ============================================================================ the file to read
class _Chosen:
    """The case log picked: a file on the server, or the bytes of an upload (written to a temporary file,
    with its own name, only while it is read; the file is removed afterwards)."""

    def __init__(self, name: str, *, path: Path | None = None, content=None):
        self.name, self.path, self.content = name, path, content

    @contextmanager
    def local(self):
        if self.path is not None:
            yield self.path
            return
        folder = Path(tempfile.mkdtemp(prefix="vitale_upload_"))
        try:
            path = folder / self.name
            with open(path, "wb") as out:
                out.write(self.content)
            yield path
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _mapping_from_bytes(name: str, content) -> dict:
    """A mapping file sent from the page, read by ``read_mapping`` (so its messages are the usual ones)."""
    folder = Path(tempfile.mkdtemp(prefix="vitale_mapping_"))
    try:
        path = folder / name
        path.write_bytes(bytes(content))
        try:
            return read_mapping(path)
        except CaseLogError as error:
            raise CaseLogError(str(error).replace(str(path), name)) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ============================================================================ the step
class SourceStep:
    """Which case log the dashboard shows, and how to read it: upload, path, mapping, progress, messages.

    Parameters
    ----------
    lang : {"en", "fr"}
    folder : path, optional
        Where typed paths start (default: :func:`start_folder`).
    on_read : callable
        Called with ``(log, source_name)`` once a file is read and validated;
        it builds what shows the log and may call :meth:`step` to say how far
        it is. Whatever it raises is shown in the page too.

    Attributes
    ----------
    controls : dict
        ``upload`` (FileUpload), ``path`` (Text, applied on Enter), ``open``
        (Button), ``files`` (Dropdown of the folder's case logs),
        ``mapping`` (Dropdown: ``"none"``, ``"file"``, ``"suggest"``),
        ``mapping_upload`` (FileUpload), ``mapping_path`` (Text),
        ``suggested`` (Textarea: the suggested mapping as TOML, editable),
        ``save_mapping`` (Button). Each has the CSS class
        ``vitale-control-<key>``.
    progress : ipywidgets.IntProgress
        Steps done while a file is read (``vitale-progress``), with
        :attr:`status` beside it.
    message : ipywidgets.HTML
        What the last reading said (``vitale-source-message``): how many rows
        were read, kept and set aside, or why the file could not be used
        (``vitale-source-error``, the error's own text in ``<pre>``).
    box : ipywidgets.VBox
        The step (``vitale-source``).
    """

    _STEPS = ("step_read", "step_check", "step_cases", "step_tabs")

    def __init__(self, *, lang: str = "en", folder=None, on_read: Callable[[CaseLog, str], None]):
        self.lang = lang
        self.folder = Path(folder) if folder is not None else start_folder()
        self._on_read = on_read
        self.chosen: _Chosen | None = None
        self.mapping: dict | None = None  # the mapping file's settings (choice "file")
        self.mapping_name: str | None = None
        self.suggestion = None  # what suggest_mapping returned for the chosen file
        self.saved_mapping: Path | None = None
        self.error: str | None = None  # the last error's text, as shown
        t = self._t
        self.controls: dict[str, W.Widget] = {}
        upload = self._control("upload", W.FileUpload(
            accept=",".join(DATA_SUFFIXES), multiple=False, description=t("upload"), icon="upload",
            tooltip=t("upload_hint", size=UPLOAD_LIMIT_MB), layout=W.Layout(width="auto")))
        path = self._control("path", W.Text(
            description=t("path"), placeholder=t("path_placeholder"), continuous_update=False, style=_STYLE,
            tooltip=t("path_hint", folder=str(self.folder)), layout=W.Layout(width="26em")))
        opener = self._control("open", W.Button(description=t("open"), icon="folder-open",
                                                 tooltip=t("path_hint", folder=str(self.folder)),
                                                 layout=W.Layout(width="auto")))
        files = _files_in(self.folder)
        picker = self._control("files", W.Dropdown(
            options=[(t("files_pick"), "")] + [(safe_text(f), f) for f in files], value="", description=t("files"),
            disabled=not files, style=_STYLE, layout=W.Layout(width="auto", max_width="26em")))
        mapping = self._control("mapping", W.Dropdown(
            options=[(t(f"mapping_{key}"), key) for key in ("none", "file", "suggest")], value="none",
            description=t("mapping"), style=_STYLE, layout=W.Layout(width="auto")))
        mapping_upload = self._control("mapping_upload", W.FileUpload(
            accept=",".join(MAPPING_SUFFIXES), multiple=False, description=t("mapping_upload"), icon="upload",
            layout=W.Layout(width="auto")))
        mapping_path = self._control("mapping_path", W.Text(
            placeholder=t("mapping_path_placeholder"), continuous_update=False, description=t("path"),
            tooltip=t("path_hint", folder=str(self.folder)), style=_STYLE, layout=W.Layout(width="26em")))
        suggested = self._control("suggested", W.Textarea(
            rows=14, layout=W.Layout(width="100%", max_width="60em")))
        save = self._control("save_mapping", W.Button(description=t("save_mapping"), icon="save",
                                                      layout=W.Layout(width="auto")))
        self.progress = W.IntProgress(value=0, min=0, max=len(self._STEPS), layout=W.Layout(width="12em"))
        self.progress.add_class("vitale-progress")
        self.status = W.HTML()
        self.status.add_class("vitale-source-status")
        self.message = W.HTML()
        self.message.add_class("vitale-source-message")
        self._mapping_note = W.HTML()
        self._mapping_note.add_class("vitale-mapping-note")
        self._suggestion_text = W.HTML()
        self._suggestion_text.add_class("vitale-suggestion")
        self._mapping_link = W.HTML()
        self._mapping_link.add_class("vitale-mapping-link")
        folder_note = W.HTML(f'<span class="vitale-date-hint">{escape(safe_text(t("folder", folder=str(self.folder))))}'
                             "</span>")

        self._file_row = W.HBox([mapping_upload, mapping_path, self._mapping_note],
                                layout=W.Layout(align_items="center", flex_flow="row wrap", display="none"))
        self._suggest_box = W.VBox([self._suggestion_text, suggested, W.HBox([save, self._mapping_link],
                                    layout=W.Layout(align_items="center"))], layout=W.Layout(display="none"))
        self._progress_row = W.HBox([self.progress, self.status], layout=W.Layout(align_items="center",
                                                                                  display="none"))
        self.box = W.VBox([
            W.HBox([upload, path, opener, picker], layout=W.Layout(align_items="center", flex_flow="row wrap")),
            folder_note,
            W.HBox([mapping], layout=W.Layout(align_items="center")),
            self._file_row, self._suggest_box, self._progress_row, self.message])
        self.box.add_class("vitale-source")

        upload.observe(self._uploaded, names="value")
        path.observe(lambda change: self.open_path(change["new"]), names="value")
        opener.on_click(lambda _button: self.open_path(path.value))
        picker.observe(self._picked, names="value")
        mapping.observe(self._mapping_changed, names="value")
        mapping_upload.observe(self._mapping_uploaded, names="value")
        mapping_path.observe(lambda change: self.use_mapping_path(change["new"]), names="value")
        save.on_click(lambda _button: self.save_mapping())

    def _t(self, key: str, **fields) -> str:
        return i18n.t(f"ui.source.{key}", self.lang, **fields)

    def _control(self, key: str, control: W.Widget) -> W.Widget:
        control.add_class(f"vitale-control-{key.replace('_', '-')}")
        self.controls[key] = control
        return control

    # ------------------------------------------------------------------ choosing
    def _uploaded(self, change) -> None:
        files = change["new"]
        if not files:
            return
        sent = files[0]
        name = _safe_name(sent["name"], "upload.csv")
        self.choose(_Chosen(name, content=sent["content"]))

    def open_path(self, text: str) -> None:
        """Read the file a typed path names (relative to :attr:`folder`)."""
        if not str(text).strip():
            return
        try:
            path = find_file(text, self.folder, self.lang, suffixes=DATA_SUFFIXES)
        except CaseLogError as error:
            self.fail(str(text).strip(), error)
            return
        if not _is_data(path.name):
            self.fail(path.name, CaseLogError(self._t("wrong_kind", name=path.name, kinds=", ".join(DATA_SUFFIXES))))
            return
        self.choose(_Chosen(path.name, path=path))

    def open_file(self, path) -> None:
        """Read the file at ``path`` (already found), as if it had been picked."""
        path = Path(path)
        self.choose(_Chosen(path.name, path=path))

    def _picked(self, change) -> None:
        if change["new"]:
            self.controls["path"].value = change["new"]  # (which opens it)

    def choose(self, chosen: _Chosen) -> None:
        """Make ``chosen`` the file to read, and read it (or suggest its mapping first)."""
        self.chosen = chosen
        self.suggestion = None
        if self.controls["mapping"].value == "suggest":
            self.suggest()
        else:
            self.read()

    # ------------------------------------------------------------------ the mapping
    def _mapping_changed(self, change) -> None:
        choice = change["new"]
        self._file_row.layout.display = "flex" if choice == "file" else "none"
        self._suggest_box.layout.display = "flex" if choice == "suggest" and self.suggestion is not None else "none"
        if self.chosen is None:
            return
        if choice == "suggest":
            self.suggest()
        elif choice == "none" or self.mapping is not None:
            self.read()

    def _mapping_uploaded(self, change) -> None:
        files = change["new"]
        if not files:
            return
        name = _safe_name(files[0]["name"], "mapping.toml")
        try:
            self._set_mapping(_mapping_from_bytes(name, files[0]["content"]), name)
        except CaseLogError as error:
            self.fail(name, error)

    def use_mapping_path(self, text: str) -> None:
        """Use the mapping file a typed path names (relative to :attr:`folder`)."""
        if not str(text).strip():
            return
        try:
            path = find_file(text, self.folder, self.lang, suffixes=MAPPING_SUFFIXES)
            spec = read_mapping(path)
        except CaseLogError as error:
            self.fail(str(text).strip(), error)
            return
        self._set_mapping(spec, path.name)

    def use_mapping_file(self, path) -> bool:
        """Use the mapping file at ``path`` (already found); False (and the message shown) when it is wrong."""
        path = Path(path)
        try:
            spec = read_mapping(path)
        except CaseLogError as error:
            self.fail(path.name, error)
            return False
        self._set_mapping(spec, path.name)
        return True

    def _set_mapping(self, spec: dict, name: str) -> None:
        self.mapping, self.mapping_name = spec, name
        self._mapping_note.value = f"<span>{escape(safe_text(self._t('mapping_ready', name=name)))}</span>"
        if self.controls["mapping"].value != "file":
            self.controls["mapping"].value = "file"  # (which reads the chosen file with it)
        elif self.chosen is not None:
            self.read()

    def suggest(self) -> None:
        """Suggest a mapping for the chosen file (``vitale_analysis.suggest_mapping``) and show it as TOML
        to check and edit; :meth:`save_mapping` saves it and reads the file with it."""
        if self.chosen is None:
            return
        try:  # (written beside this step; absent from older versions)
            from vitale_analysis import suggest_mapping
        except ImportError:
            self.fail(self.chosen.name, None, text=self._t("suggest_missing"))
            return
        self._show_progress(0, "step_suggest")
        try:
            with self.chosen.local() as path:
                suggestion = suggest_mapping(path)
            toml_text = suggestion.to_toml()
        except Exception as error:  # noqa: BLE001 (said in the page)
            self.fail(self.chosen.name, error)
            return
        self._progress_row.layout.display = "none"
        self.suggestion = suggestion
        todo = [str(getattr(p, "label", p)) for p in (getattr(suggestion, "todo", None) or [])]  # (Proposal.label)
        text = self._t("suggested", source=self.chosen.name)
        paragraphs = [f"<p>{escape(safe_text(text))}</p>"]
        if todo:
            paragraphs.append(f"<p>{escape(safe_text(self._t('todo', labels=', '.join(todo))))}</p>")
        self._suggestion_text.value = "".join(paragraphs)
        self.controls["suggested"].value = toml_text
        self._mapping_link.value = ""
        self._suggest_box.layout.display = "flex"
        self.message.value = ""

    def save_mapping(self) -> None:
        """Save the mapping in the text box next to the data file (``<name>.mapping.toml``, never over another
        file), or offer it as a download when the file was sent from the browser; then read the file with it."""
        if self.chosen is None:
            return
        text = self.controls["suggested"].value
        stem = self.chosen.name.split(".")[0] or "export"
        try:
            spec = _mapping_from_bytes(f"{stem}.mapping.toml", text.encode("utf-8"))
        except CaseLogError as error:
            self.fail(f"{stem}.mapping.toml", error)
            return
        written = None
        if self.chosen.path is not None:
            written = _free_name(self.chosen.path.parent, stem)
            try:
                written.write_text(text, encoding="utf-8")
            except OSError:
                written = None
        if written is not None:
            self.saved_mapping = written
            self._mapping_link.value = f"<span>{escape(safe_text(self._t('mapping_saved', path=str(written))))}</span>"
            name = written.name
        else:
            name = f"{stem}.mapping.toml"
            href = "data:application/toml;base64," + base64.b64encode(text.encode("utf-8")).decode("ascii")
            self._mapping_link.value = (f'<a class="vitale-download" download="{escape(name, quote=True)}" '
                                        f'href="{href}">{escape(safe_text(self._t("mapping_download", file=name)))}</a>')
        self.read(mapping=spec, mapping_name=name)

    # ------------------------------------------------------------------ reading
    def _current_mapping(self):
        choice = self.controls["mapping"].value
        if choice == "file":
            return self.mapping
        if choice == "suggest" and self.suggestion is not None:
            return self.suggestion.mapping
        return None

    def read(self, *, mapping=None, mapping_name=None) -> CaseLog | None:
        """Read the chosen file with the chosen mapping, show the progress, hand the log to ``on_read``;
        whatever stops it is shown in :attr:`message`. Returns the log, or None."""
        if self.chosen is None:
            return None
        chosen = self.chosen
        mapping = self._current_mapping() if mapping is None else mapping
        try:
            with chosen.local() as path:
                self._show_progress(0, "step_read")
                try:
                    raw = read_caselog(path, mapping=mapping)
                    self._show_progress(1, "step_check")
                    with warnings.catch_warnings(record=True):
                        warnings.simplefilter("always", DataQualityWarning)  # (said in the page, below)
                        log = validate(raw)
                except CaseLogError as error:
                    if chosen.path is None:  # the temporary file's path means nothing to the advisor
                        raise CaseLogError(str(error).replace(str(path), chosen.name)) from None
                    raise
            self._show_progress(2, "step_cases")
            self._on_read(log, chosen.name)
        except Exception as error:  # noqa: BLE001 (a callback: said in the page, not only in the terminal)
            self.fail(chosen.name, error)
            return None
        self._done(log, chosen.name)
        return log

    def step(self, done: int) -> None:
        """Say that ``done`` of the reading steps are done (the dashboard calls it while it builds)."""
        self._show_progress(done, self._STEPS[min(done, len(self._STEPS) - 1)])

    def _show_progress(self, done: int, key: str) -> None:
        self.progress.bar_style = ""
        self.progress.value = done
        self.status.value = f'<span class="vitale-step">{escape(self._t(key))}</span>'
        self._progress_row.layout.display = "flex"

    def _done(self, log: CaseLog, name: str) -> None:
        self.error = None
        self._progress_row.layout.display = "none"
        quality = log.quality
        lines = [self._t("done", source=name, rows=int(quality.rows_read), kept=int(quality.rows_kept),
                         aside=int(quality.n_set_aside))]
        if quality.n_set_aside:
            reasons = ", ".join(f"{i18n.number(int(n), self.lang)} × "
                                + (i18n.t(f"check_name.{reason}", self.lang) if i18n.has(f"check_name.{reason}")
                                   else str(reason).replace("_", " "))
                                for reason, n in quality.set_aside.items() if n)
            lines.append(self._t("set_aside", reasons=reasons))
        self.message.value = ('<div class="vitale-source-done">'
                              + "".join(f"<p>{escape(safe_text(line))}</p>" for line in lines) + "</div>")

    def fail(self, name: str, error: BaseException | None, *, text: str | None = None) -> None:
        """Say in the page why ``name`` could not be used: the error's own text as it is."""
        self._progress_row.layout.display = "none"
        if text is not None:
            head, detail = text, None
        elif isinstance(error, CaseLogError):
            head, detail = self._t("failed", source=name), str(error)
        else:
            traceback.print_exception(error)  # (an unexpected error: its traceback for whoever runs the server)
            head, detail = self._t("failed_other", source=name, error=type(error).__name__), str(error)
        self.error = detail or head
        parts = [f"<p><b>{escape(safe_text(head))}</b></p>"]
        if detail:
            parts.append(f'<pre class="vitale-error-text">{escape(safe_text(detail))}</pre>')
        parts.append(f"<p>{escape(safe_text(self._t('try_again')))}</p>")
        self.message.value = f'<div class="vitale-source-error" role="alert">{"".join(parts)}</div>'


def _free_name(folder: Path, stem: str) -> Path:
    """``<stem>.mapping.toml`` in ``folder``, or ``<stem>.mapping-2.toml``, … : never a file that exists."""
    path = folder / f"{stem}.mapping.toml"
    number = 2
    while path.exists():
        path = folder / f"{stem}.mapping-{number}.toml"
        number += 1
    return path


STYLE = ("<style>.vitale-source-error{border:1px solid #b00020;background:#fdecee;color:#5f0010;padding:0.3em 0.8em;"
         "margin:0.3em 0;max-width:70em}.vitale-source-error pre{white-space:pre-wrap;font-size:0.95em;margin:0.3em 0}"
         ".vitale-source-done{border-left:4px solid #2e7d32;padding:0 0.6em;margin:0.3em 0;max-width:70em}"
         ".vitale-source-done p,.vitale-source-error p{margin:0.2em 0}.vitale-step{margin:0 0.6em}</style>")
