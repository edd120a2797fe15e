"""convlab: how a convolution layer computes its output and its gradients.

The core (this namespace) is plain numpy. Submodules that need heavier
libraries load them only when first used: `convlab.autograd` (torch),
`convlab.viz` (matplotlib), `convlab.widgets` (ipywidgets), `convlab.bench`.

>>> import convlab as cl
>>> cl.conv_output_size(32, 3, stride=2, padding="same")
16

Every function refuses an array larger than the memory limit before
allocating it: 2 GiB by default, set with `set_memory_limit` or the
environment variable ``CONVLAB_MEMORY_LIMIT`` (e.g. ``512M``, ``none``).
"""

import importlib

from ._checks import get_memory_limit, set_memory_limit
from .blocks import flip_kernel, pad, to_nchw, to_nhwc, zero_insert
from .conv import (
    BACKWARD_METHODS,
    FORWARD_METHODS,
    Grads,
    conv1d,
    conv1d_backward,
    conv2d,
    conv2d_backward,
    conv_transpose1d,
    conv_transpose2d,
    correlate2d,
)
from .matrices import conv_matrix, im2row, row2im
from .shapes import conv_output_size, receptive_field

__version__ = "0.1.0"

_SUBMODULES = ("autograd", "bench", "coverage", "data", "exercises", "filters", "gradcheck", "learn_kernel", "nn",
               "spectral", "training", "viz", "widgets")

__all__ = [
    "BACKWARD_METHODS", "FORWARD_METHODS", "Grads", "conv1d", "conv1d_backward", "conv2d",
    "conv2d_backward", "conv_matrix", "conv_output_size", "conv_transpose1d", "conv_transpose2d",
    "correlate2d", "flip_kernel", "get_memory_limit", "im2row", "pad", "receptive_field", "row2im",
    "set_memory_limit", "to_nchw", "to_nhwc", "zero_insert",
]


def __getattr__(name):
    """Load heavy submodules (``cl.viz``, ``cl.nn``, ...) on first use."""
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'convlab' has no attribute {name!r}")
