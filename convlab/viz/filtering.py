"""Filters on real images, and training curves."""
import matplotlib.pyplot as plt
import numpy as np

import convlab as cl
from convlab.viz.grid import clear_artists, show_grid

__all__ = ["show_filters", "plot_history"]


def _default_kernels():
    from convlab import filters

    return {"Sobel x": filters.SOBEL_X, "Sobel y": filters.SOBEL_Y,
            "Gaussian 5\u00d75, \u03c3=1": filters.gaussian_kernel(5, 1.0)}


def show_filters(image, kernels=None, results=None, fig=None, cmap="gray"):
    """An image, some kernels and what each kernel makes of the image, side by side.

    Column 0 is the image; every further column shows a result above the
    kernel that made it (annotated when small): the result is :func:`convlab.correlate2d` with "same"
    padding unless ``results`` supplies it.

    Parameters
    ----------
    image : array_like, shape (H, W)
    kernels : dict of str to array_like (kH, kW), optional
        Default: Sobel x, Sobel y and a 5x5 Gaussian from :mod:`convlab.filters`.
    results : dict of str to array_like (H, W), optional
        Results to show instead of computing them; a key that is not in
        ``kernels`` gets a column of its own with no kernel above it
        (e.g. the Sobel magnitude).
    fig : matplotlib Figure, optional
        Cleared and drawn into; default a new figure.
    cmap : str
        Colour map for image and results.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> img = np.zeros((8, 8)); img[:, 4:] = 1.0
    >>> fig = show_filters(img, {"box": np.ones((3, 3)) / 9})
    >>> [ax.get_title() for ax in fig.axes]
    ['image', 'box', 'image \u22c6 box']
    >>> plt.close("all")
    """
    image = np.asarray(image, dtype=float)
    if image.ndim != 2:
        raise ValueError(f"image must be a 2-D greyscale array (H, W); got shape {image.shape}")
    kernels = dict(_default_kernels() if kernels is None else kernels)
    results = dict(results or {})
    names = list(kernels) + [name for name in results if name not in kernels]
    if fig is None:
        fig = plt.figure(figsize=(2.6 * (len(names) + 1), 5.0))
    layout = tuple(name in kernels for name in names)
    axes = _filter_axes(fig, layout)
    ax = axes[0]
    ax.imshow(image, cmap=cmap)
    ax.set_title("image", fontsize=10, y=1.0)  # a fixed y skips the slow automatic placement
    for col, name in enumerate(names, start=1):
        k_ax, r_ax = axes[2 * col - 1], axes[2 * col]
        if name in kernels:
            kernel = np.asarray(kernels[name], dtype=float)
            show_grid(np.round(kernel, 3), ax=k_ax, legend=False, annotate=max(kernel.shape) <= 5)
            k_ax.set_title(name, fontsize=10, y=1.0)
        if name in results:
            out = np.asarray(results[name], dtype=float)
        else:
            out = cl.correlate2d(image, kernel, padding="same")
        r_ax.imshow(out, cmap=cmap)
        r_ax.set_title(f"image \u22c6 {name}" if name in kernels else name, fontsize=10, y=1.0)
        r_ax.set_axis_off()
    return fig


def _filter_axes(fig, layout):
    """Axes [image, kernel 1, result 1, kernel 2, ...] for ``layout`` (kernel shown per column).

    A figure drawn with the same layout before keeps its Axes, emptied, so a
    widget redraws fast; otherwise the figure is cleared and laid out anew.
    Columns without a kernel get ``None`` in the kernel slot.
    """
    if getattr(fig, "_convlab_filter_layout", None) == layout and fig._convlab_filter_axes[0] in fig.axes:
        return [ax if ax is None else clear_artists(ax) for ax in fig._convlab_filter_axes]
    fig.clear()
    grid = fig.add_gridspec(2, len(layout) + 1, height_ratios=[2.0, 1.3], hspace=0.3)
    axes = [fig.add_subplot(grid[0, 0])]
    for col, has_kernel in enumerate(layout, start=1):
        axes.append(fig.add_subplot(grid[1, col]) if has_kernel else None)
        axes.append(fig.add_subplot(grid[0, col]))
    for ax in axes:
        if ax is not None:
            ax.set_axis_off()
    fig._convlab_filter_layout, fig._convlab_filter_axes = layout, axes
    return axes


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
    >>> import matplotlib; matplotlib.use("Agg")
    >>> fig = plot_history({"loss": [1.0, 0.5], "accuracy": [0.4, 0.8]})
    >>> [line.get_label() for ax in fig.axes for line in ax.get_lines()]
    ['loss', 'accuracy']
    >>> plt.close("all")
    """
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
            values = np.asarray(history[key], dtype=float)
            ax.plot(np.arange(1, len(values) + 1), values, marker="o", markersize=3, label=key)
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend(frameon=False)
    fig.tight_layout()
    return fig
