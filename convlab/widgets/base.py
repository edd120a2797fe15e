"""What every explorer shares: controls as synced traits, one payload, one error, snapshots.

:class:`Explorer` is an :class:`anywidget.AnyWidget` whose ES module and CSS
are the files in ``static/`` (shipped as package data; nothing is fetched).
Python validates every control against its table in
:mod:`convlab.widgets.settings` before any work and recomputes the payload
when one changes; the browser does the rest.
"""
import pathlib

import anywidget
import traitlets

from .._checks import check_settings
from ..viz.style import explorer_palette
from .prefetch import neighbours, value_key
from .settings import spec

__all__ = ["Explorer", "new_figure", "shown_once", "inside"]

_STATIC = pathlib.Path(__file__).parent / "static"


class Explorer(anywidget.AnyWidget):
    """What the three explorers share: controls as synced traits, one payload, one error.

    Subclasses set ``_TABLE`` (the control rules of :mod:`convlab.widgets.settings`),
    ``_LOCAL`` (controls the browser handles alone, e.g. the view) and
    ``_compute(values)`` (the payload for a dict of control values).
    """

    _esm = _STATIC / "explorer.js"
    _css = _STATIC / "explorer.css"
    kind = traitlets.Unicode("").tag(sync=True)
    controls = traitlets.List().tag(sync=True)
    payload = traitlets.Dict().tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    #: The figures' colours (:func:`convlab.viz.style.explorer_palette`), so both look alike.
    palette = traitlets.Dict(explorer_palette()).tag(sync=True)
    #: The output / gradient cell last clicked (or where play stopped), for :meth:`snapshot`.
    selected = traitlets.List([0, 0]).tag(sync=True)
    _TABLE = {}
    _LOCAL = ()
    _PREFETCH = False

    def __init__(self, kind, **values):
        values = check_settings(self._TABLE, values)
        self._quiet = True
        super().__init__(kind=kind, controls=spec(self._TABLE), **values)
        self._quiet = False
        self.payload = self._payload()  # an impossible setting raises here, before display
        self.observe(self._on_control, names=[n for n in self._TABLE if n not in self._LOCAL])

    @traitlets.validate("size", "kernel_size", "stride", "padding", "dilation", "channels",
                        "output_padding", "target", "view", "filter", "sigma")
    def _validate_control(self, proposal):
        name = proposal["trait"].name
        return check_settings(self._TABLE, {name: proposal["value"]})[name]

    def __repr__(self):
        settings = ", ".join(f"{name}={value!r}" for name, value in self.values().items())
        return f"{type(self).__name__}({settings})"

    def values(self):
        """Current value of every control, by name."""
        return {name: getattr(self, name) for name in self._TABLE}

    def set(self, **values):
        """Set several controls at once, with a single recomputation.

        Examples
        --------
        >>> from convlab.widgets import conv_explorer
        >>> ex = conv_explorer()
        >>> ex.set(stride=2, padding=1)
        >>> ex.values()["stride"], ex.payload["output_shape"]
        (2, [4, 4])
        """
        values = check_settings(self._TABLE, values)
        self._quiet = True
        try:
            for name, value in values.items():
                setattr(self, name, value)
        finally:
            self._quiet = False
        self._refresh()

    def _on_control(self, change):
        if not self._quiet:
            self._refresh()

    def _payload(self):
        """The payload with the settings it was made for (so two settings never look alike).

        Explorers with ``_PREFETCH`` add the payloads one step away along each
        control (:mod:`convlab.widgets.prefetch`), impossible ones left out.
        """
        values = self.values()
        payload = self._compute(values)
        payload["settings"] = values
        if self._PREFETCH:
            ahead = {}
            for name, value in neighbours(self._TABLE, values, self._prefetch_skip(values)):
                moved = dict(values, **{name: value})
                try:
                    near = self._compute(moved)
                except ValueError:
                    continue
                near["settings"] = moved
                ahead.setdefault(name, {})[value_key(value)] = near
            payload["next"] = ahead
        return payload

    def _prefetch_skip(self, values):
        """Controls whose neighbours are not worth sending for these values."""
        return self._LOCAL

    def _refresh(self):
        try:
            payload = self._payload()
        except ValueError as err:
            self.error = str(err)
            return
        self.error = ""
        self.payload = payload

    def summary_text(self):
        """The summary line as the browser shows it (the error, if any, after it)."""
        import html
        import re

        text = html.unescape(re.sub(r"<[^>]+>", "", self.payload.get("summary", "")))
        return f"{text} \u2014 {self.error}" if self.error else text

    def _compute(self, values):
        raise NotImplementedError


def new_figure(figsize):
    """A figure that Jupyter shows once when returned, and that pyplot no longer holds.

    Made through pyplot (so IPython's inline display of figures is set up)
    and closed at once (so it is not shown a second time, and nothing leaks).
    """
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize)
    plt.close(fig)
    return fig


def shown_once(fig):
    """``fig`` (made through pyplot) released by pyplot, so Jupyter shows it once, as the result."""
    import matplotlib.pyplot as plt

    plt.close(fig)
    return fig


def inside(cell, shape):
    """``cell`` moved inside ``shape`` (the last click may lie outside a grid that has since shrunk)."""
    return tuple(min(max(int(v), 0), n - 1) for v, n in zip(cell, shape))


