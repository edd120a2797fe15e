"""Figures that draw what the library computes.

Every function takes ``ax=None`` (or ``fig=None`` for several panels) and
returns what it drew into.  Cells are styled by kind (padding, kernel
window, never-covered input, inserted zero, ...) with the colour-blind-safe
Okabe-Ito palette plus hatching; numbers are written only where they fit at
9 pt, otherwise a grid is a heatmap with a colour bar.  :func:`drawn_cells`,
:func:`lit_cells` and :func:`drawn_numbers` report what was drawn.  Every
figure carries a text alternative in words (:func:`description`; a figure
drawn by hand gets one with :func:`describe`), which Jupyter keeps as the
PNG output's ``alt`` metadata.
"""
from .backward import BACKWARD_VIEWS, show_backward
from .describe import describe, description
from .filtering import plot_history, show_filters
from .flip import show_kernel_flip, show_transposed_conv, show_zero_insertion
from .grid import drawn_cells, drawn_numbers, lit_cells, show_grid
from .legend import legend_labels
from .matrices import show_conv_matrix, show_im2row
from .receptive import show_receptive_field
from .sliding import animate_conv, show_sliding_window
from .style import KINDS, OKABE_ITO

__all__ = [
    "describe",
    "description",
    "BACKWARD_VIEWS",
    "KINDS",
    "OKABE_ITO",
    "animate_conv",
    "drawn_cells",
    "drawn_numbers",
    "legend_labels",
    "lit_cells",
    "plot_history",
    "show_backward",
    "show_conv_matrix",
    "show_filters",
    "show_grid",
    "show_im2row",
    "show_kernel_flip",
    "show_receptive_field",
    "show_sliding_window",
    "show_transposed_conv",
    "show_zero_insertion",
]
