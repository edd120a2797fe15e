"""ipywidgets explorers built on :mod:`convlab.viz`.

``conv_explorer()``, ``backward_explorer()`` and ``filter_explorer()`` each
return an :class:`~convlab.widgets.base.Explorer`: a ``VBox`` with
``.controls`` (a dict of widgets), ``.summary`` (an HTML widget) and
``.figure`` (the one figure it redraws).  ``python -m convlab.widgets.latency``
times slider round trips.
"""
from convlab.widgets.base import Explorer
from convlab.widgets.explorers import (
    PADDING_CHOICES,
    backward_explorer,
    conv_explorer,
    filter_explorer,
)

__all__ = ["Explorer", "PADDING_CHOICES", "backward_explorer", "conv_explorer", "filter_explorer"]
