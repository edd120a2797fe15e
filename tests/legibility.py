"""Render-time legibility checks the figure sweep runs beside the overlap check.

- every text lies inside the figure (nothing cut off at an edge);
- titles, symbols, labels and tick labels stay off the grids, images and
  colour bars they do not belong to;
- every number and letter written on a cell has WCAG 2.1 contrast of at
  least 4.5:1 against the colour under it, measured on the rendered pixels
  (the figure drawn with and without its texts).
"""
import matplotlib
import numpy as np

ON_CELLS = ("pairlabel", "celltext", "cellnum")  # Text artists written on a cell


def luminance(rgb):
    """WCAG 2.1 relative luminance of sRGB values in 0..1 (any shape, last axis RGB)."""
    rgb = np.asarray(rgb, dtype=float)
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return lin @ np.array([0.2126, 0.7152, 0.0722])


def picture_regions(fig):
    """Display boxes of every grid, image and colour bar: ``[(what, Bbox)]``."""
    renderer = fig.canvas.get_renderer()
    found = []
    for ax in fig.axes:
        for x0, y0, w, h in getattr(ax, "convlab_boxes", ()):
            box = matplotlib.transforms.Bbox([[x0, y0], [x0 + w, y0 + h]]).transformed(ax.transData)
            found.append(("grid", box))
        found += [("image", im.get_window_extent(renderer)) for im in ax.images]
        found += [("colour bar", child.get_window_extent(renderer)) for child in ax.child_axes]
    return found


def _hits(a, b, slack=1.0):
    return a.x0 + slack < b.x1 and b.x0 < a.x1 - slack and a.y0 + slack < b.y1 and b.y0 < a.y1 - slack


def check_placement(fig, texts):
    """``texts``: ``[(text, Bbox, size, artist or None)]`` as the overlap check collects them."""
    width, height = fig.canvas.get_width_height()
    # figures whose size the grid layout chose (plot_row, the channel rows) must hold all their
    # text; the others (matrix, receptive field) rely on Jupyter's tight bounding box for now
    laid_out = any(hasattr(ax, "convlab_boxes") or hasattr(ax, "convlab_plan") for ax in fig.axes)
    outside = [t for t, bb, *_ in texts if bb.x0 < -1 or bb.y0 < -1 or bb.x1 > width + 1
               or bb.y1 > height + 1] if laid_out else []
    assert not outside, f"text cut off at the figure's edge: {outside[:4]}"
    regions = picture_regions(fig)
    covering = [(t, what) for t, bb, _, artist in texts
                if artist is not None and artist.get_gid() not in ON_CELLS
                for what, box in regions if _hits(bb, box)]
    assert not covering, f"text over a picture: {covering[:4]}"


def _pixels(fig):
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3] / 255.0


def check_contrast(fig, boxes, artists, minimum=4.5):
    """Every box (text written on cells) reads at ``minimum``:1 against what is under it.

    The figure is rendered with and without ``artists`` (the texts and
    number glyphs; a badge behind a text stays); where a text changed a
    pixel by at least 90 % of its largest change (the cores of its strokes,
    not their anti-aliased edges), ink and the colour under it are compared
    pixel by pixel, and the median must reach ``minimum``.
    """
    if not boxes:
        return
    shown = _pixels(fig)
    # hide the ink only: a text's badge (its bbox) is what the text sits on
    inks = [(a, a.get_color() if hasattr(a, "get_color") and not hasattr(a, "get_facecolor")
             else a.get_facecolor()) for a in artists]
    for artist, _ in inks:
        if hasattr(artist, "set_facecolor") and not hasattr(artist, "get_bbox_patch"):
            artist.set_facecolor("none")
        else:
            artist.set_color("none")
    try:
        under = _pixels(fig)
    finally:
        for artist, colour in inks:
            if hasattr(artist, "set_facecolor") and not hasattr(artist, "get_bbox_patch"):
                artist.set_facecolor(colour)
            else:
                artist.set_color(colour)
    height = shown.shape[0]
    lum_ink, lum_under = luminance(shown), luminance(under)
    poor = []
    for text, bb in boxes:
        x0, x1 = max(int(np.floor(bb.x0)), 0), max(int(np.ceil(bb.x1)), 0)
        y0, y1 = max(height - int(np.ceil(bb.y1)), 0), max(height - int(np.floor(bb.y0)), 0)
        ink, bg = lum_ink[y0:y1, x0:x1].ravel(), lum_under[y0:y1, x0:x1].ravel()
        change = np.abs(ink - bg)
        if change.size == 0 or change.max() < 1e-3:
            continue
        core = change >= 0.9 * change.max()
        ratios = (np.maximum(ink, bg)[core] + 0.05) / (np.minimum(ink, bg)[core] + 0.05)
        ratio = float(np.median(ratios))
        if ratio < minimum:
            poor.append((text, round(ratio, 2)))
    assert not poor, f"text with contrast under {minimum}:1 against its cell: {poor[:5]}"
