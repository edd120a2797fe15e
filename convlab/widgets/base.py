"""The frame every explorer shares: controls, a one-line summary, one reused figure.

The figure is a plain :class:`matplotlib.figure.Figure` on an Agg canvas,
never registered with pyplot (so ``plt.get_fignums()`` does not change and
nothing leaks); every update clears it, redraws, and sends PNG bytes to an
:class:`ipywidgets.Image`.  Nothing starts a thread or a timer, so building
an explorer in a headless kernel (nbval, nbconvert) is safe.
"""
import html
import io
import time

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from convlab.viz.grid import drawn_cells, legend_html

__all__ = ["Explorer"]


class Explorer(widgets.VBox):
    """Controls on the left; summary and figure on the right; redraw on every change.

    Parameters
    ----------
    controls : dict of str to ipywidgets.ValueWidget
        Exposed as ``.controls``; every value change redraws.
    draw : callable
        ``draw(figure, values) -> summary_html``: draws into the figure
        (reusing its Axes where it can) from ``values`` (a dict of control values) and returns the
        summary.  It may raise ``ValueError`` for an impossible setting; the
        message is shown instead of the figure.
    adjust : callable, optional
        ``adjust(explorer)`` runs before drawing, to update the ranges of
        dependent controls (e.g. the output position when the output shrinks).
    figsize, dpi
        Size of the rendered PNG.

    Attributes
    ----------
    controls : dict
    summary : ipywidgets.HTML
    figure : matplotlib.figure.Figure
    image : ipywidgets.Image
    legend : ipywidgets.HTML
        The legend of the kinds of cells drawn, as HTML swatches (the
        browser draws it, which keeps redraws fast).
    last_render_ms : float
        Time of the last redraw (draw plus PNG encoding), in milliseconds.
    """

    def __init__(self, controls, draw, adjust=None, figsize=(8, 3.6), dpi=80, title=""):
        self.controls = dict(controls)
        self._draw = draw
        self._adjust = adjust
        self._busy = False
        self.summary = widgets.HTML(layout=widgets.Layout(min_height="2.6em", margin="0 0 0 8px",
                                                          max_width=f"{figsize[0] * dpi}px"))
        self.summary.add_class("convlab-summary")
        self.legend = widgets.HTML(layout=widgets.Layout(margin="0 0 0 8px"))
        self.legend.add_class("convlab-legend")
        self.image = widgets.Image(format="png", layout=widgets.Layout(width=f"{figsize[0] * dpi}px"))
        self.figure = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.figure)
        self.last_render_ms = float("nan")
        self.error = None
        for control in self.controls.values():
            control.layout.width = "300px"
        panel = widgets.VBox(list(self.controls.values()),
                             layout=widgets.Layout(min_width="310px", padding="0 16px 0 0"))
        heading = widgets.HTML(f"<b>{html.escape(title)}</b>") if title else None
        body = widgets.HBox([panel, widgets.VBox([self.summary, self.image, self.legend])])
        super().__init__([heading, body] if heading else [body])
        self.add_class("convlab-explorer")
        for name, control in self.controls.items():
            control.add_class(f"convlab-control-{name}")
            control.observe(self._on_change, names="value")
        self.update()

    def values(self):
        """Current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def set(self, **values):
        """Set several controls at once, with a single redraw.

        Examples
        --------
        >>> from convlab.widgets import conv_explorer
        >>> ex = conv_explorer()
        >>> ex.set(stride=2, padding=1)
        >>> ex.values()["stride"], ex.values()["padding"]
        (2, 1)
        """
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown controls {sorted(unknown)}; the controls are {list(self.controls)}")
        self._busy = True
        try:
            for name, value in values.items():
                self.controls[name].value = value
        finally:
            self._busy = False
        self.update()

    def _on_change(self, change):
        if not self._busy:
            self.update()

    def update(self):
        """Adjust dependent controls, redraw the figure, refresh summary and image."""
        self._busy = True
        try:
            start = time.perf_counter()
            if self._adjust is not None:
                self._adjust(self)
            try:
                summary = self._draw(self.figure, self.values())
                self.error = None
            except ValueError as err:
                self.figure.clear()
                self.error = str(err)
                summary = f'<span style="color:#D55E00">{html.escape(str(err))}</span>'
            buffer = io.BytesIO()
            self.figure.savefig(buffer, format="png", dpi=self.figure.dpi,
                                pil_kwargs={"compress_level": 1})
            self.image.value = buffer.getvalue()
            self.summary.value = f'<div style="line-height:1.4;padding-top:4px">{summary}</div>'
            self.legend.value = " ".join(legend_html(ax) for ax in self.figure.axes
                                         if drawn_cells(ax) and ax.get_legend() is None)
            self.last_render_ms = 1000 * (time.perf_counter() - start)
        finally:
            self._busy = False

    def summary_text(self):
        """The summary without HTML tags (for tests and printing)."""
        import re

        return html.unescape(re.sub(r"<[^>]+>", "", self.summary.value))
