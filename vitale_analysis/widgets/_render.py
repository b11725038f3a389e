"""Charts drawn for the explorers: Agg without pyplot, PNG bytes, shown as an ``<img>`` with its alt text.

The explorers redraw a chart on every control change, so drawing is kept
cheap: one draw per image (:func:`_png`), the phase chart's frame laid out
once per kind of chart (:class:`_FrozenLayout`) and the parts a new selection
leaves as they are pasted back (:class:`_StaticParts`).
"""

from __future__ import annotations

import base64
from html import escape

import ipywidgets as W
from matplotlib.figure import Figure
from matplotlib.text import Annotation

from .. import plots
from ..display import safe_text

_DPI = 90  # on screen; plots.save_figure writes 300 dpi files for reports
# plots.plot_phase_durations draws 8.5 in wide; its legend below the axes, in French, needs a little more.
_PHASE_CHART_WIDTH = 9.6


def _png(fig: Figure) -> bytes:
    """The figure as PNG bytes, drawn once.

    ``savefig`` lays a constrained-layout figure out in an extra drawing pass
    before the real one; drawing on the canvas once (layout included) and
    encoding its pixels with a light compression, as the canvas's own
    ``print_png`` does, suits an image sent to the browser right away. The
    figures are sized so that their legends fit (see _PHASE_CHART_WIDTH), so
    no "tight" bounding box either.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig.set_dpi(_DPI)
    fig.set_facecolor("white")
    # A figure drawn again keeps its canvas (and the canvas its renderer, which remembers text sizes).
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    return _encoded(canvas)


def _encoded(canvas) -> bytes:
    """What the canvas holds, as PNG bytes, lightly compressed (what its ``print_png`` writes)."""
    return plots.canvas_png(canvas, compress_level=1)


class _StaticParts:
    """The parts of a kept phase chart that a new selection leaves as they are, drawn once and pasted back.

    Once an explorer's chart is shown new numbers in place, its row labels, the
    x axis' title and the legend are the same text at the same place; drawing
    text is most of the cost of a chart. So after a full draw their pixels are
    kept, and the next draws leave them out and paste them back. Only regions
    that nothing else can reach are kept: the row labels lie left of the axes,
    between the tick numbers under it and the title above it; the axis title
    and the legend lie below the tick numbers (which move only sideways).
    Otherwise nothing is kept and every draw is a full one.
    """

    def __init__(self, fig: Figure, ax, regions: list):
        self.fig, self.ax, self.regions = fig, ax, regions
        self.position = ax.get_position().bounds

    @classmethod
    def capture(cls, fig: Figure, ax):
        """From a figure just drawn in full; None when a region could meet a changing part."""
        renderer = fig.canvas.get_renderer()
        legend = ax.get_legend()
        row_labels = [t for t in ax.get_yticklabels() if t.get_visible() and t.get_text()]
        ticks = [t for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
        if ax.get_gid() == "nothing-to-show" or legend is None or not row_labels or not ticks:
            return None
        from matplotlib.transforms import Bbox

        def extent(artists):
            return Bbox.union([a.get_window_extent(renderer) for a in artists]).padded(2)

        axes, title = ax.get_window_extent(renderer), ax.title.get_window_extent(renderer)
        tick_band = extent(ticks)
        rows, below = extent(row_labels), [extent([ax.xaxis.label]), extent([legend])]
        if not (rows.x1 < axes.x0 and rows.y0 > tick_band.y1 and rows.y1 < title.y0
                and all(box.y1 < tick_band.y0 for box in below)):
            return None
        canvas = fig.canvas
        return cls(fig, ax, [canvas.copy_from_bbox(box) for box in (rows, *below)])

    def png(self) -> bytes:
        """Draw the figure without the kept parts, paste them back, and encode it."""
        ax, legend, label = self.ax, self.ax.get_legend(), self.ax.xaxis.label
        ax.yaxis.set_tick_params(labelleft=False)
        legend.set_visible(False)
        label.set_visible(False)
        try:
            canvas = self.fig.canvas
            canvas.draw()
            for region in self.regions:
                canvas.restore_region(region)
        finally:
            ax.yaxis.set_tick_params(labelleft=True)
            legend.set_visible(True)
            label.set_visible(True)
        return _encoded(canvas)


def _img_html(png: bytes, alt: str) -> str:
    """One PNG as an ``<img>`` whose alt text is the chart's title (masked, escaped)."""
    data = base64.b64encode(png).decode("ascii")
    return (f'<img src="data:image/png;base64,{data}" alt="{escape(safe_text(alt), quote=True)}" '
            'style="max-width:100%;height:auto">')


def _show_png(target: W.HTML, png: bytes, alt: str) -> None:
    """Show one static PNG image in an HTML widget, with ``alt`` (the chart's title) for screen readers.

    An HTML widget rather than an Output: JupyterLab's and Voilà's image renderer
    give an ``image/png`` output no alt text.
    """
    target.value = _img_html(png, alt)


def _new_figure(width: float, height: float, layout: str | None = "constrained"):
    # Not pyplot: nothing is registered with the notebook's backend, so the
    # chart only appears where the explorer puts it, and nothing is left open.
    fig = Figure(figsize=(width, height), layout=layout)
    return fig, fig.add_subplot()


def _chart_title(ax) -> str:
    return " — ".join(part for part in ax.get_title().splitlines() if part)


class _FrozenLayout:
    """One constrained layout per kind of chart, reused by the charts that fit it.

    Constrained layout measures every label of a figure before drawing it,
    which on the phase chart cost about as much as drawing it. An explorer's
    successive charts differ only in numbers: same rows, same axis label and
    legend, a title and ``n = …`` notes of about the same width. So the axes'
    place that constrained layout found for the first chart of a kind (its
    legend entries) is kept and given to the next ones, as long as their
    variable texts (the title's lines, the notes beside the rows) are no wider
    than those it was found for (or, for the title, than the axes); a wider
    one is laid out afresh, and its place kept instead. The frame stays still
    while filters change, and no label is cut.
    """

    def __init__(self, dpi: float):
        from matplotlib.backends.backend_agg import RendererAgg

        self._renderer = RendererAgg(1, 1, dpi)  # measures text only (its metrics at the charts' dpi)
        self._frames: dict = {}  # kind → (axes position, widest note, widest title line, axes width), pixels
        self._measured: dict = {}  # (line, font) → width in pixels: titles and notes repeat

    def _line_width(self, line: str, prop) -> float:
        key = line, prop
        if key not in self._measured:
            if len(self._measured) > 4096:
                self._measured.clear()
            self._measured[key] = self._renderer.get_text_width_height_descent(line, prop, ismath=False)[0]
        return self._measured[key]

    def _widths(self, ax) -> tuple[float, float]:
        def width(text) -> float:
            prop = text.get_fontproperties().copy()  # a snapshot: the key must not change under the cache
            return max((self._line_width(line, prop) for line in text.get_text().split("\n") if line),
                       default=0.0)

        notes = [child for child in ax.get_children() if isinstance(child, Annotation) and child.get_text()]
        return max((width(t) for t in notes), default=0.0), width(ax.title)

    @staticmethod
    def _kind(ax) -> tuple:
        legend = ax.get_legend()
        return (ax.get_gid(), len(legend.legend_handles) if legend is not None else 0)

    def apply(self, fig: Figure, ax) -> bool:
        """Place ``ax`` (of a figure made without a layout engine) as the kept frame of its kind if its
        texts fit it; else give the figure constrained layout.

        Returns True when the kept frame was used. After a fresh layout, call :meth:`keep` once drawn.
        """
        frame = self._frames.get(self._kind(ax))
        notes, title = self._widths(ax)
        if frame is not None:
            position, widest_note, widest_title, axes_width = frame
            if notes <= widest_note and title <= max(widest_title, axes_width):
                ax.set_position(position)
                return True
        fig.set_layout_engine("constrained")
        return False

    def keep(self, fig: Figure, ax) -> None:
        """Keep the place constrained layout gave ``ax`` (call after the figure was drawn)."""
        notes, title = self._widths(ax)
        position = ax.get_position()
        self._frames[self._kind(ax)] = (position, notes, title, position.width * fig.bbox.width)
