"""Filters on real images, and training curves."""
import matplotlib.pyplot as plt
import numpy as np

from .. import _checks
from ..conv import correlate2d
from .cells import heat_norm
from .describe import describe
from .grid import clear_artists, plot_row
from .style import FONT_PT, SIGNED_CMAP, TITLE_PT, wrap_to_width

__all__ = ["show_filters", "plot_history"]


def _default_kernels():
    from .. import filters

    return {"Sobel x": filters.SOBEL_X, "Sobel y": filters.SOBEL_Y,
            "Gaussian 5\u00d75, \u03c3=1": filters.gaussian_kernel(5, 1.0)}


def _named_kernels(kernels):
    """``kernels`` as a dict name -> 2-D array; a list or tuple is named "kernel 1", "kernel 2", ..."""
    if kernels is None:
        kernels = _default_kernels()
    elif isinstance(kernels, (list, tuple)):
        kernels = {f"kernel {k + 1}": v for k, v in enumerate(kernels)}
    elif isinstance(kernels, np.ndarray) and kernels.ndim == 2:
        kernels = {"kernel": kernels}
    if not isinstance(kernels, dict):
        raise TypeError("kernels must be a dict of name to 2-D kernel, or a list of kernels; "
                        f"got {type(kernels).__name__}")
    named = {}
    for name, kernel in kernels.items():
        kernel = _checks.as_array(kernel, f"kernels[{name!r}]")
        _checks.check_ndim(kernel, f"kernels[{name!r}]", (2,), "a 2-D kernel (kH, kW)")
        named[str(name)] = kernel.astype(float)
    return named


def show_filters(image, kernels=None, results=None, fig=None, cmap="gray"):
    """An image, some kernels and what each kernel makes of the image, side by side.

    Column 0 is the image; every further column shows a result with the
    kernel that made it right below (numbers when they fit and the kernel is
    at most 7 x 7, a heatmap with a colour bar otherwise).  The result is
    :func:`convlab.correlate2d` with "same" padding unless ``results``
    supplies it; a signed result is drawn with a diverging colour map
    centred on 0, and every result has a colour bar.

    Parameters
    ----------
    image : array_like, shape (H, W)
    kernels : dict of str to array_like (kH, kW), or a list of kernels, optional
        Default: Sobel x, Sobel y and a 5x5 Gaussian from :mod:`convlab.filters`.
    results : dict of str to array_like (H, W), optional
        Results to show instead of computing them; a key that is not in
        ``kernels`` gets a column of its own with no kernel above it
        (e.g. the Sobel magnitude).
    fig : matplotlib Figure, optional
        Cleared and drawn into; default a new figure.
    cmap : str
        Colour map for the image and unsigned results.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> img = np.zeros((8, 8)); img[:, 4:] = 1.0
    >>> fig = show_filters(img, {"box": np.ones((3, 3)) / 9})
    >>> [ax.get_title() for ax in fig.axes]
    ['image', 'box', 'image \u22c6 box']
    >>> [ax.get_title() for ax in show_filters(img, [np.ones((3, 3))]).axes]
    ['image', 'kernel 1', 'image \u22c6 kernel 1']
    """
    _checks.check_figure(fig)
    image = _checks.as_array(image, "image")
    _checks.check_ndim(image, "image", (2,), "a 2-D greyscale array (H, W)")
    image = image.astype(float)
    kernels = _named_kernels(kernels)
    if results is not None and not isinstance(results, dict):
        raise TypeError(f"results must be a dict of name to 2-D array; got {type(results).__name__}")
    results = {str(k): _checks.as_array(v, f"results[{k!r}]") for k, v in (results or {}).items()}
    names = list(kernels) + [name for name in results if name not in kernels]
    if fig is None:
        fig = plt.figure(figsize=(2.6 * (len(names) + 1), 5.0))
    layout = tuple(name in kernels for name in names)
    axes = _filter_axes(fig, layout)
    ax = axes[0]
    ax.imshow(image, cmap=cmap)
    ax.set_title("image", fontsize=TITLE_PT, y=1.0)  # a fixed y skips the slow automatic placement
    for col, name in enumerate(names, start=1):
        k_ax, r_ax = axes[2 * col - 1], axes[2 * col]
        if name in kernels:
            kernel = kernels[name]
            plot_row(k_ax, [dict(values=np.round(kernel, 3), name="grid")], legend=False,
                     annotate=None if max(kernel.shape) <= 7 else False, title=name,
                     valign="top")
        out = results[name] if name in results else correlate2d(image, kernel, padding="same")
        _show_result(r_ax, np.asarray(out, dtype=float), cmap)
        # wrapped to its column, so neighbouring titles never run into each other
        room = 72 * r_ax.get_position().width * fig.get_figwidth()
        r_ax.set_title(wrap_to_width(f"image \u22c6 {name}" if name in kernels else name, room),
                       fontsize=TITLE_PT, y=1.0)
    lines = max(ax.get_title().count("\n") + 1 for ax in axes if ax is not None)
    fig._convlab_filter_grid.update(top=_top(fig, lines))
    fig.convlab_description = ""
    shown = ", ".join(f"{name} (its {kernels[name].shape[0]}\u00d7{kernels[name].shape[1]} kernel "
                      "below it)" if name in kernels else name for name in names)
    return describe(fig, f"Greyscale image ({image.shape[0]}\u00d7{image.shape[1]}) and, beside it, "
                    f"what each filter makes of it: {shown}. Signed results are blue below zero and "
                    "red above it, each with a colour bar.")


def _show_result(ax, out, cmap):
    """``out`` as an image with a colour bar; diverging around 0 when it has negative values."""
    default, norm = heat_norm(out)
    signed = default == SIGNED_CMAP
    shown = ax.imshow(np.ma.masked_invalid(out), cmap=SIGNED_CMAP if signed else cmap,
                      norm=norm if signed else None)
    ax.set_axis_off()
    cax = ax.inset_axes([1.03, 0.0, 0.05, 1.0])
    cax.set_gid("colorbar")
    bar = ax.figure.colorbar(shown, cax=cax)
    cax.tick_params(labelsize=FONT_PT, length=2.5, pad=1.5)
    bar.outline.set_linewidth(0.6)


def _filter_axes(fig, layout):
    """Axes [image, kernel 1, result 1, kernel 2, ...] for ``layout`` (kernel shown per column).

    A figure drawn with the same layout before keeps its Axes, emptied, so a
    widget redraws fast; otherwise the figure is cleared and laid out anew.
    Columns without a kernel get ``None`` in the kernel slot.
    """
    if getattr(fig, "_convlab_filter_layout", None) == layout and fig._convlab_filter_axes[0] in fig.axes:
        return [ax if ax is None else clear_artists(ax) for ax in fig._convlab_filter_axes]
    fig.clear()
    # the right margin holds the last colour bar and its tick labels (about 0.6 in)
    grid = fig.add_gridspec(2, len(layout) + 1, height_ratios=[2.0, 1.3], hspace=0.12,
                            left=0.02, right=min(0.94, 1 - 0.6 / fig.get_figwidth()),
                            top=_top(fig, 1),
                            bottom=0.1 / fig.get_figheight(),
                            wspace=0.4)
    axes = [fig.add_subplot(grid[0, 0])]
    for col, has_kernel in enumerate(layout, start=1):
        axes.append(fig.add_subplot(grid[1, col]) if has_kernel else None)
        axes.append(fig.add_subplot(grid[0, col]))
    for k, ax in enumerate(axes):
        if ax is not None:
            ax.set_axis_off()
            ax.set_anchor("S" if k % 2 == 0 else "N")  # each kernel right under its result
    fig._convlab_filter_layout, fig._convlab_filter_axes = layout, axes
    fig._convlab_filter_grid = grid
    return axes


def _top(fig, lines):
    """Top of the grid (figure fraction) leaving room for titles of ``lines`` lines."""
    return min(0.93, 1 - (0.12 + 0.2 * lines) / fig.get_figheight())


def plot_history(history, fig=None):
    """Training curves: every loss in one panel, every accuracy in another, per epoch.

    Parameters
    ----------
    history : dict of str to list of float
        E.g. ``{"loss": [...], "val_loss": [...], "accuracy": [...]}``; keys
        containing "loss" go left, keys containing "acc" go right.
    fig : matplotlib Figure, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_history({"loss": [1.0, 0.5], "accuracy": [0.4, 0.8]})
    >>> [line.get_label() for ax in fig.axes for line in ax.get_lines()]
    ['loss', 'accuracy']
    """
    _checks.check_figure(fig)
    if not isinstance(history, dict) or not history:
        raise TypeError(f"history must be a non-empty dict of lists; got {type(history).__name__}")
    losses = [k for k in history if "loss" in k.lower()]
    accs = [k for k in history if "acc" in k.lower()]
    if not losses and not accs:
        raise ValueError(f"history needs a key containing 'loss' or 'acc'; got keys {list(history)}")
    panels = [(keys, label) for keys, label in ((losses, "loss"), (accs, "accuracy")) if keys]
    if fig is None:
        fig = plt.figure(figsize=(4.5 * len(panels), 3.2))
    else:
        fig.clear()
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (keys, label) in zip(axes, panels):
        for key in keys:
            values = _checks.as_array(history[key], f"history[{key!r}]").astype(float)
            ax.plot(np.arange(1, len(values) + 1), values, marker="o", markersize=3, label=key)
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend(frameon=False)
    fig.tight_layout()
    fig.convlab_description = ""
    curves = "; ".join(
        f"{key} from {float(history[key][0]):.3g} to {float(history[key][-1]):.3g} over "
        f"{len(history[key])} epochs" for keys, _ in panels for key in keys)
    return describe(fig, f"Training curves per epoch: {curves}.")
