"""Client-side explorers (anywidget): Python computes, the browser draws and reacts.

``conv_explorer()``, ``backward_explorer()`` and ``filter_explorer()`` each
return a widget whose ``.payload`` is everything the browser draws for the
current setting (from :mod:`convlab.coverage` and the core) and whose
``.snapshot()`` returns the same state as a static matplotlib figure.
Hover, click and play run in the browser; ``python -m convlab latency``
times the payload computation behind a control change.
"""
from .base import Explorer
from .explorers import BackwardExplorer, ConvExplorer, FilterExplorer, backward_explorer, conv_explorer, filter_explorer
from .settings import PADDING_MODES

#: Padding choices offered by the explorers: explicit amounts and the three modes.
PADDING_CHOICES = (0, 1, 2, 3) + PADDING_MODES

__all__ = ["BackwardExplorer", "ConvExplorer", "Explorer", "FilterExplorer", "PADDING_CHOICES",
           "backward_explorer", "conv_explorer", "filter_explorer"]
