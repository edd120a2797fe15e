"""One legend per figure that lists exactly the kinds of cell drawn, as matplotlib or as HTML."""
import numpy as np
from matplotlib.patches import Patch

from .. import _checks
from .style import FONT_PT, KINDS, PAIR_COLORS, text_width_pt

__all__ = ["kinds_drawn", "legend_handles", "add_legend", "legend_rows",
           "legend_labels", "PAIR_LABEL"]

#: Legend label of product pairs drawn by :func:`convlab.viz.cells.draw_pairs`.
PAIR_LABEL = "contributes: one product per colour and letter"


def kinds_drawn(ax):
    """Kinds drawn in ``ax`` in drawing order (plain cells excluded), with pairs as ``"pair"``.

    A kind drawn only as outlines over heatmaps is reported as ``"<kind>/outline"``.
    """
    seen = {}
    for coll in ax.collections:
        label = coll.get_label()
        if ":" not in label or label.endswith(":numbers"):
            continue
        kind = label.split(":", 1)[1]
        if kind == "cell" or (kind not in KINDS and kind != "contrib"):
            continue
        if kind == "contrib" and hasattr(coll, "pair_index"):
            kind = "pair"
        outline = getattr(coll, "heat", False)
        seen[kind] = seen.get(kind, True) and outline
    return [f"{k}/outline" if outline and k in KINDS and KINDS[k]["alpha"] < 1 else k
            for k, outline in seen.items()]


def _handle(kind):
    if kind == "pair":
        return Patch(facecolor=PAIR_COLORS[0], edgecolor="#333333", alpha=0.6, label=PAIR_LABEL)
    base, _, outline = kind.partition("/")
    style = KINDS[base]
    if outline:
        return Patch(facecolor="none", edgecolor=style["edgecolor"], linewidth=2.0,
                     label=style["label"])
    return Patch(facecolor=style["facecolor"], edgecolor=style["edgecolor"], hatch=style["hatch"],
                 alpha=style["alpha"], label=style["label"])


def legend_handles(kinds):
    """Patches for ``kinds`` (names from :func:`kinds_drawn`)."""
    return [_handle(k) for k in kinds]


def _entry_pt(label):
    return text_width_pt(label) + 34.0


def legend_rows(labels, width_pt):
    """How many rows ``labels`` need in ``width_pt`` points, and entries per row."""
    if not labels:
        return 0, 1
    widest = max(_entry_pt(lab) for lab in labels)
    per_row = int(max(1, min(len(labels), width_pt // widest)))
    return int(np.ceil(len(labels) / per_row)), per_row


def add_legend(ax, anchor, width_pt, handles=()):
    """Legend of the kinds drawn (plus ``handles``), its top centre at data point ``anchor``."""
    handles = legend_handles(kinds_drawn(ax)) + list(handles)
    if not handles:
        return None
    _, per_row = legend_rows([h.get_label() for h in handles], width_pt)
    return ax.legend(handles=handles, loc="upper center", bbox_to_anchor=anchor,
                     bbox_transform=ax.transData, ncol=per_row, frameon=False,
                     fontsize=FONT_PT, handlelength=1.6, borderaxespad=0.0, borderpad=0.2,
                     columnspacing=1.2)




def legend_labels(ax):
    """The legend's labels, in order (empty when there is no legend)."""
    _checks.check_axes(ax, optional=False)
    legend = ax.get_legend()
    return [] if legend is None else [t.get_text() for t in legend.get_texts()]
