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

__all__ = ["Explorer"]


class Explorer(widgets.VBox):
    """Controls on the left; summary and figure on the right; redraw on every change.

    Parameters
    ----------
    controls : dict of str to ipywidgets.ValueWidget
        Exposed as ``.controls``; every value change redraws.
    draw : callable
        ``draw(figure, values) -> summary_html``: draws into the cleared
        figure from ``values`` (a dict of control values) and returns the
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
    last_render_ms : float
        Time of the last redraw (draw plus PNG encoding), in milliseconds.
    """

    def __init__(self, controls, draw, adjust=None, figsize=(8, 3.6), dpi=72, title=""):
        self.controls = dict(controls)
        self._draw = draw
        self._adjust = adjust
        self._busy = False
        self.summary = widgets.HTML(layout=widgets.Layout(min_height="1.6em"))
        self.summary.add_class("convlab-summary")
        self.image = widgets.Image(format="png", layout=widgets.Layout(width=f"{figsize[0] * dpi}px"))
        self.figure = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.figure)
        self.last_render_ms = float("nan")
        self.error = None
        panel = widgets.VBox(list(self.controls.values()),
                             layout=widgets.Layout(min_width="270px", padding="0 12px 0 0"))
        heading = widgets.HTML(f"<b>{html.escape(title)}</b>") if title else None
        body = widgets.HBox([panel, widgets.VBox([self.summary, self.image])])
        super().__init__([heading, body] if heading else [body])
        self.add_class("convlab-explorer")
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.update()

    def values(self):
        """Current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

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
            self.figure.clear()
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
            self.summary.value = summary
            self.last_render_ms = 1000 * (time.perf_counter() - start)
        finally:
            self._busy = False

    def summary_text(self):
        """The summary without HTML tags (for tests and printing)."""
        import re

        return html.unescape(re.sub(r"<[^>]+>", "", self.summary.value))
