"""Three explorers: the forward sweep, the backward sums, filters on a photograph.

Each one only wires controls to :mod:`convlab.viz` and the core; the
numbers in the summaries come from the library (:func:`convlab.conv_output_size`,
:func:`convlab.conv2d_backward`, :mod:`convlab.coverage`, :mod:`convlab.filters`).
"""
import html

import ipywidgets as widgets
import numpy as np

import convlab as cl
from convlab import coverage
from convlab.viz import BACKWARD_VIEWS, show_backward, show_filters, show_sliding_window
from convlab.viz.grid import reuse_axes
from convlab.viz.sliding import sample_input
from convlab.widgets.base import Explorer

__all__ = ["conv_explorer", "backward_explorer", "filter_explorer", "PADDING_CHOICES"]

#: Padding choices offered by the explorers: explicit amounts and the three modes.
PADDING_CHOICES = (0, 1, 2, 3, "valid", "same", "full")

_STYLE = {"description_width": "90px"}


def _slider(description, value, lo, hi):
    return widgets.IntSlider(value=value, min=lo, max=hi, description=description,
                             continuous_update=True, style=_STYLE)


def _padding_dropdown(value=0):
    return widgets.Dropdown(options=[(str(p), p) for p in PADDING_CHOICES], value=value,
                            description="padding", style=_STYLE)


def _limit(slider, size):
    """Let ``slider`` range over 0..size-1, keeping its value inside."""
    hi = max(size - 1, 0)
    if slider.value > hi:
        slider.value = hi
    slider.max = hi


def _times(n):
    return "\u00d7".join(str(v) for v in n)


def _formula(n, k, s, pads, d, n_out):
    """The output-size formula with this axis' numbers written in (n_out from the library)."""
    return (f"\u230a({n} + {pads[0]} + {pads[1]} \u2212 {d}\u00b7({k} \u2212 1) \u2212 1) / {s}\u230b"
            f" + 1 = {n_out}")


def _geometry_or_none(values):
    try:
        return coverage.geometry(values["size"], values["kernel_size"], values["stride"],
                                 values["padding"], values["dilation"])
    except ValueError:
        return None


# ------------------------------------------------------------------ forward
def conv_explorer(size=7, kernel_size=3, stride=1, padding=0, dilation=1):
    """Sliders for input size, kernel size, stride, padding and dilation over the sliding window.

    Shows the padded input with the window at the chosen output position,
    the input cells no window reads, the output (from :func:`convlab.conv2d`),
    and the output-size formula with its numbers.

    Returns
    -------
    convlab.widgets.base.Explorer
        ``.controls`` holds ``size``, ``kernel_size``, ``stride``, ``padding``,
        ``dilation``, ``i``, ``j``; ``.summary`` the text; ``.figure`` the figure.

    Examples
    --------
    >>> ex = conv_explorer(size=7, kernel_size=3, stride=2, padding=1)
    >>> "output 4\u00d74" in ex.summary_text()
    True
    >>> ex.controls["stride"].value = 3
    >>> "output 3\u00d73" in ex.summary_text()
    True
    """
    controls = {
        "size": _slider("input size", size, 3, 12),
        "kernel_size": _slider("kernel size", kernel_size, 1, 5),
        "stride": _slider("stride", stride, 1, 4),
        "padding": _padding_dropdown(padding),
        "dilation": _slider("dilation", dilation, 1, 3),
        "i": _slider("output row i", 0, 0, 0),
        "j": _slider("output col j", 0, 0, 0),
    }

    def adjust(ex):
        g = _geometry_or_none(ex.values())
        if g is not None:
            _limit(ex.controls["i"], g.output_shape[0])
            _limit(ex.controls["j"], g.output_shape[1])

    def draw(fig, v):
        g = coverage.geometry(v["size"], v["kernel_size"], v["stride"], v["padding"], v["dilation"])
        n, k, s, d, pads = v["size"], v["kernel_size"], v["stride"], v["dilation"], g.padding[0]
        n_out = cl.conv_output_size(n, k, s, pads, d)
        ax = reuse_axes(fig, (0.0, 0.0, 1.0, 0.97))
        show_sliding_window(sample_input((n, n)), k, v["i"], v["j"], s, g.padding, d, ax=ax,
                            annotate=g.padded_shape[0] <= 12, legend=False)
        rows, _ = coverage.uncovered_cells(n, k, s, g.padding, d)
        left_out = ", ".join(map(str, rows)) if len(rows) else "none"
        return (f"input {n}\u00d7{n}, kernel {k}\u00d7{k}, stride {s}, padding {pads}, "
                f"dilation {d} \u2192 "
                f'<b class="convlab-output">output {n_out}\u00d7{n_out}</b> = '
                f"{_formula(n, k, s, pads, d, n_out)} \u00b7 window of output ({v['i']}, {v['j']}) "
                f"\u00b7 never-read rows/cols: {left_out}")

    return Explorer(controls, draw, adjust, figsize=(7.6, 3.6), title="Convolution explorer")


# ------------------------------------------------------------------ backward
def backward_explorer(size=5, kernel_size=3, stride=1, padding=0, dilation=1,
                      target="dx", view="scatter"):
    """Pick an entry of dX or dW and see every product ``G \u00b7 w`` (or ``G \u00b7 x``) that adds up to it.

    The views (scatter, gather, im2row) are those of :func:`convlab.viz.show_backward`.

    Returns
    -------
    convlab.widgets.base.Explorer
        ``.controls`` holds ``size``, ``kernel_size``, ``stride``, ``padding``,
        ``dilation``, ``target``, ``row``, ``col``, ``view``.

    Examples
    --------
    >>> ex = backward_explorer(size=4, kernel_size=2)
    >>> ex.controls["row"].value, ex.controls["col"].value = 1, 1
    >>> ex.summary_text().startswith("dX[1, 1] = sum of 4 products")
    True
    """
    controls = {
        "size": _slider("input size", size, 2, 8),
        "kernel_size": _slider("kernel size", kernel_size, 1, 4),
        "stride": _slider("stride", stride, 1, 3),
        "padding": _padding_dropdown(padding),
        "dilation": _slider("dilation", dilation, 1, 3),
        "target": widgets.ToggleButtons(options=[("dX", "dx"), ("dW", "dw")], value=target,
                                        description="gradient", style=_STYLE),
        "row": _slider("row", 0, 0, size - 1),
        "col": _slider("col", 0, 0, size - 1),
        "view": widgets.ToggleButtons(options=list(BACKWARD_VIEWS), value=view,
                                      description="view", style=_STYLE),
    }

    def adjust(ex):
        v = ex.values()
        limit = v["size"] if v["target"] == "dx" else v["kernel_size"]
        _limit(ex.controls["row"], limit)
        _limit(ex.controls["col"], limit)

    def draw(fig, v):
        n, k, s, d = v["size"], v["kernel_size"], v["stride"], v["dilation"]
        g = coverage.geometry(n, k, s, v["padding"], d)
        x = sample_input((n, n))
        w = np.random.default_rng(2).choice([-2.0, -1.0, 1.0, 2.0, 3.0], (k, k))
        grad_out = np.random.default_rng(1).choice([-3.0, -2.0, -1.0, 1.0, 2.0, 3.0], g.output_shape)
        cell = (v["row"], v["col"])
        ax = reuse_axes(fig, (0.0, 0.0, 1.0, 0.93))
        show_backward(x, w, grad_out, v["target"], cell, v["view"], s, g.padding, d, ax=ax,
                      legend=False)
        grads = cl.conv2d_backward(grad_out[None, None], x[None, None], w[None, None],
                                   stride=s, padding=g.padding, dilation=d)
        if v["target"] == "dx":
            pairs = coverage.dx_contributions(*cell, n, k, s, g.padding, d)
            terms = [f"G[{o[0]},{o[1]}]\u00b7w[{t[0]},{t[1]}]" for o, t in pairs]
            value, name = grads.dx[0, 0][cell], "dX"
        else:
            pairs = coverage.dw_contributions(*cell, n, k, s, g.padding, d)
            terms = [f"G[{o[0]},{o[1]}]\u00b7x[{r},{c}]" for o, (r, c) in pairs]
            value, name = grads.dw[0, 0][cell], "dW"
        shown = " + ".join(terms[:6]) + (" + \u2026" if len(terms) > 6 else "")
        noun = "product" if len(pairs) == 1 else "products"
        return (f"{name}[{cell[0]}, {cell[1]}] = sum of {len(pairs)} {noun}"
                f"{': ' + shown if terms else ''} = <b>{value:g}</b> "
                f"(G {_times(g.output_shape)}, x {n}\u00d7{n}, w {k}\u00d7{k}, padding {g.padding[0]})")

    return Explorer(controls, draw, adjust, figsize=(7.6, 3.6), title="Backward explorer")


# ------------------------------------------------------------------ filters
FILTERS = ("sobel", "sobel x", "sobel y", "gaussian")


def _default_image():
    from convlab import data

    return data.load_photo(downscale=4)


def filter_explorer(image=None):
    """Filter a photograph with Sobel or a Gaussian whose \u03c3 is a slider.

    Parameters
    ----------
    image : array_like, shape (H, W), optional
        Default: the greyscale photograph of :func:`convlab.data.load_photo`, downscaled 4x.

    Returns
    -------
    convlab.widgets.base.Explorer
        ``.controls`` holds ``filter`` and ``sigma``.

    Examples
    --------
    >>> ex = filter_explorer(np.eye(16))
    >>> ex.controls["filter"].value = "gaussian"
    >>> "7\u00d77 kernel" in ex.summary_text()
    True
    """
    from convlab import filters

    image = _default_image() if image is None else np.asarray(image, dtype=float)
    if image.ndim != 2:
        raise ValueError(f"image must be a 2-D greyscale array (H, W); got shape {image.shape}")
    controls = {
        "filter": widgets.Dropdown(options=list(FILTERS), value="sobel", description="filter",
                                   style=_STYLE),
        "sigma": widgets.FloatSlider(value=1.0, min=0.5, max=4.0, step=0.25, description="\u03c3",
                                     style=_STYLE),
    }

    def draw(fig, v):
        name, sigma = v["filter"], v["sigma"]
        size = f"{image.shape[0]}\u00d7{image.shape[1]}"
        if name == "gaussian":
            kernel = filters.gaussian_kernel(2 * int(np.ceil(3 * sigma)) + 1, sigma)
            label = f"Gaussian \u03c3={sigma:g}"
            show_filters(image, {label: kernel}, {label: filters.gaussian_blur(image, sigma)}, fig=fig)
            k = kernel.shape[0]
            return (f"image {size} \u2192 Gaussian blur, \u03c3 = {sigma:g}, {k}\u00d7{k} kernel "
                    f"(separable: 2k = {2 * k} instead of k\u00b2 = {k * k} multiplications per pixel)")
        kernels = {"sobel x": {"Sobel x": filters.SOBEL_X}, "sobel y": {"Sobel y": filters.SOBEL_Y},
                   "sobel": {"Sobel x": filters.SOBEL_X, "Sobel y": filters.SOBEL_Y}}[name]
        results = {"magnitude": filters.sobel(image)} if name == "sobel" else None
        show_filters(image, kernels, results, fig=fig)
        what = "magnitude \u221a(Gx\u00b2 + Gy\u00b2)" if name == "sobel" else html.escape(name)
        return f"image {size} \u2192 Sobel {what}, 3\u00d73 kernels, zero padding, output {size}"

    return Explorer(controls, draw, figsize=(8.4, 4.0), title="Filter explorer")
