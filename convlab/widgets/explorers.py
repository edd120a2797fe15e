"""Three client-side explorers: the forward sweep, the backward sums, filters on a photograph.

Each is an :class:`anywidget.AnyWidget`.  Python validates the controls,
computes one payload per setting (:mod:`convlab.widgets.payloads`,
:mod:`convlab.widgets.filter_payload`) and sends it once; the ES module
``static/explorer.js`` draws SVG and answers hover, click and play in the
browser with no round trip.  A control change in the browser sets a trait,
Python recomputes the payload, the browser redraws.  An impossible
combination (say a dilated kernel larger than the padded input) keeps the
last picture, greyed, with the message beside it (``.error``).
"""
import numpy as np
import traitlets

from .._checks import check_cell, check_settings
from ..conv.transposed import transposed_output_size
from .base import Explorer, inside, new_figure, shown_once
from .filter_payload import filter_payload
from .payloads import backward_payload, conv_payload
from .settings import BACKWARD_CONTROLS, CONV_CONTROLS, FILTER_CONTROLS

__all__ = ["ConvExplorer", "BackwardExplorer", "FilterExplorer",
           "conv_explorer", "backward_explorer", "filter_explorer"]


class _GeometryExplorer(Explorer):
    """An explorer of one convolution: input size, kernel size, stride, padding, dilation."""

    # Controls are Any traits: the one validator (Explorer._validate_control) checks their
    # values, so a bad value is a ValueError/TypeError naming the control, not a TraitError.
    size = traitlets.Any(7).tag(sync=True)
    kernel_size = traitlets.Any(3).tag(sync=True)
    stride = traitlets.Any(1).tag(sync=True)
    padding = traitlets.Any(0).tag(sync=True)  # an int or a mode ("valid", "same", "full")
    dilation = traitlets.Any(1).tag(sync=True)


class ConvExplorer(_GeometryExplorer):
    """See :func:`conv_explorer`."""

    channels = traitlets.Any(1).tag(sync=True)
    _TABLE = CONV_CONTROLS

    def __init__(self, **values):
        super().__init__("conv", **values)

    _PREFETCH = True

    def _compute(self, values):
        return conv_payload(**values)

    def snapshot(self, cell=None):
        """The window of output ``cell`` (default: the one last clicked) as a matplotlib figure.

        Multi-channel settings show channel 0 (the figure is single-channel).
        A ``cell`` given outside the output is refused (``ValueError`` naming
        ``cell``); the last click is moved inside a grid that has since shrunk.

        Examples
        --------
        >>> fig = conv_explorer(7, 3, stride=2, padding=1).snapshot(cell=(1, 2))
        >>> type(fig).__name__, len(fig.axes) > 0
        ('Figure', True)
        """
        from ..viz import show_sliding_window

        p = self.payload
        if cell is None:
            i, j = inside(self.selected, p["output_shape"])
        else:
            i, j = check_cell(cell, "cell", p["output_shape"], "the output")
        ax = show_sliding_window(np.array(p["x"][0], float), p["kernel_size"][0], i, j, self.stride,
                                 [tuple(a) for a in p["padding"]], self.dilation,
                                 weight=np.array(p["w"][0], float))
        return shown_once(ax.figure)


class BackwardExplorer(_GeometryExplorer):
    """See :func:`backward_explorer`."""

    output_padding = traitlets.Any(0).tag(sync=True)
    target = traitlets.Any("dx").tag(sync=True)
    view = traitlets.Any("scatter").tag(sync=True)
    _TABLE = BACKWARD_CONTROLS
    _LOCAL = ("target", "view")

    def __init__(self, output_padding=None, **values):
        if output_padding is not None:  # checked before any work, like the other controls
            output_padding = check_settings(self._TABLE, {"output_padding": output_padding})[
                "output_padding"]
        super().__init__("backward", **values)
        self._quiet = True
        self.output_padding = self.payload["output_padding"]
        self._quiet = False
        if output_padding is not None:
            self.output_padding = output_padding
            if self.error:
                raise ValueError(self.error)

    def _on_control(self, change):
        if self._quiet:
            return
        if change["name"] == "output_padding":
            self._resize_for(change["new"])
        else:
            self._refresh()

    def _resize_for(self, op):
        """Keep G's size and grow (or shrink) the input to the size ``output_padding`` gives back."""
        p = self.payload
        s, d, k = self.stride, self.dilation, self.kernel_size
        if op >= max(s, d) or op >= s:
            self.error = (f"output_padding must be smaller than the stride ({s}); got {op}: "
                          "larger values would give an input that G does not come from")
            return
        n = transposed_output_size(p["output_shape"][0], k, s, p["padding"][0], d, op)
        lo, hi = BACKWARD_CONTROLS["size"][2:4]
        try:
            fits = lo <= n <= hi and backward_payload(n, k, s, self.padding, d)["output_padding"] == op
        except ValueError:
            fits = False
        if not fits:
            self.error = (f"output_padding {op} is impossible here: it needs input size {n}, where "
                          f"padding {self.padding!r} (size range {lo}..{hi}) does not give back "
                          f"G {p['output_shape'][0]}\u00d7{p['output_shape'][1]}")
            return
        self._quiet = True
        self.size = n
        self._quiet = False
        self._refresh()

    def _refresh(self):
        super()._refresh()
        if not self.error and self.output_padding != self.payload["output_padding"]:
            self._quiet = True
            self.output_padding = self.payload["output_padding"]
            self._quiet = False

    def _compute(self, values):
        return backward_payload(values["size"], values["kernel_size"], values["stride"],
                                values["padding"], values["dilation"])

    def snapshot(self, cell=None):
        """The current target, view and cell (default: the one last clicked) as a matplotlib figure.

        A ``cell`` given outside ``dx`` (or ``dw``) is refused by name; the last
        click is moved inside a grid that has since shrunk.

        Examples
        --------
        >>> fig = backward_explorer(6, 3, stride=2, view="gather").snapshot(cell=(2, 3))
        >>> type(fig).__name__
        'Figure'
        """
        from ..viz import show_backward

        p = self.payload
        shape = p["input_shape"] if self.target == "dx" else p["kernel_size"]
        if cell is None:
            cell = inside(self.selected, shape)
        else:
            cell = check_cell(cell, "cell", shape, self.target)
        # sized by the figure itself: cells large enough for values, filled pairs and letters
        ax = show_backward(np.array(p["x"], float), np.array(p["w"], float),
                           np.array(p["grad_out"], float), self.target, cell, self.view, self.stride,
                           [tuple(a) for a in p["padding"]], self.dilation)
        return shown_once(ax.figure)


class FilterExplorer(Explorer):
    """See :func:`filter_explorer`."""

    filter = traitlets.Any("sobel").tag(sync=True)
    sigma = traitlets.Any(1.0).tag(sync=True)
    kernel_size = traitlets.Any(5).tag(sync=True)
    _TABLE = FILTER_CONTROLS

    def __init__(self, image, **values):
        self._image = image
        super().__init__("filter", **values)

    def _compute(self, values):
        return filter_payload(self._image, values["filter"], values["sigma"], values["kernel_size"])

    def snapshot(self):
        """The photograph, the kernel(s) and the result as a matplotlib figure.

        Examples
        --------
        >>> type(filter_explorer(np.eye(12), filter="sobel x").snapshot()).__name__
        'Figure'
        """
        from .. import filters
        from ..viz import show_filters

        p = self.payload
        kernels = {k["label"]: np.array(k["values"], float) for k in p["kernels"]}
        if self.filter == "gaussian":
            results = {p["kernels"][0]["label"]: filters.gaussian_blur(self._image, self.sigma,
                                                                       size=self.kernel_size)}
        elif self.filter == "sobel":
            results = {"magnitude": filters.sobel(self._image)}
        else:
            results = None
        fig = new_figure((9, 4))
        show_filters(self._image, kernels, results, fig=fig)
        return fig


def conv_explorer(size=7, kernel_size=3, stride=1, padding=0, dilation=1, channels=1):
    """Hover an output cell to light the window it reads; play sweeps it across the output.

    Controls: input size 1-16, kernel 1-7, stride 1-4, padding 0-3 or
    "valid"/"same"/"full", dilation 1-3, input channels 1-3 (stacked).  The
    output comes from :func:`convlab.conv2d`, the windows from
    :func:`convlab.coverage.window_cells`.

    Returns
    -------
    ConvExplorer
        A widget; ``.payload`` holds what the browser draws, ``.snapshot()``
        returns the current state as a matplotlib figure.

    Examples
    --------
    >>> ex = conv_explorer(size=7, kernel_size=3, stride=2, padding=1)
    >>> "output 4\u00d74" in ex.summary_text()
    True
    >>> ex.stride = 3
    >>> "output 3\u00d73" in ex.summary_text()
    True
    >>> conv_explorer(size=500)
    Traceback (most recent call last):
    ...
    ValueError: size must be an int in [1, 16]; got 500
    """
    return ConvExplorer(size=size, kernel_size=kernel_size, stride=stride, padding=padding,
                        dilation=dilation, channels=channels)


def backward_explorer(size=5, kernel_size=3, stride=1, padding=0, dilation=1, target="dx",
                      view="scatter", output_padding=None):
    """Click (or hover) a cell of dX or dW: every product ``G \u00b7 w`` (or ``G \u00b7 x``) in it lights up.

    Pairs share a colour and a number; the views are ``"scatter"`` (G and w
    apart), ``"gather"`` (the flipped kernel over the zero-inserted, padded
    G for dX; G spread by the stride over the padded x for dW) and
    ``"im2row"`` (the patch matrix).  Input cells no window reads are
    hatched.  ``output_padding`` (the transposed-convolution view) keeps G's
    size and picks which of the input sizes that give it back; by default it
    follows ``size``.

    Examples
    --------
    >>> ex = backward_explorer(size=4, kernel_size=2)
    >>> len(ex.payload["dx_pairs"][1][1])
    4
    >>> backward_explorer(size=8, stride=2, padding=1).output_padding
    1
    """
    return BackwardExplorer(size=size, kernel_size=kernel_size, stride=stride, padding=padding,
                            dilation=dilation, target=target, view=view,
                            output_padding=output_padding)


def filter_explorer(image=None, filter="sobel", sigma=1.0, kernel_size=5):
    """A photograph, a filter's kernel and its result; \u03c3 and size only show for the Gaussian.

    Parameters
    ----------
    image : array_like, shape (H, W), optional
        Default: the greyscale photograph of :func:`convlab.data.load_photo`, downscaled 4x.

    Examples
    --------
    >>> ex = filter_explorer(np.eye(16), filter="gaussian")
    >>> "5\u00d75 kernel" in ex.summary_text()
    True
    """
    from .._checks import as_array, check_ndim

    if image is None:
        from .. import data

        image = data.load_photo(downscale=4)
    image = as_array(image, "image").astype(float)
    check_ndim(image, "image", (2,), "a 2-D greyscale array (H, W)")
    return FilterExplorer(image, filter=filter, sigma=sigma, kernel_size=kernel_size)
