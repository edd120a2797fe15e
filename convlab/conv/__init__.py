"""Convolution forward and backward in several formulations, 1-D and 2-D, and transposed.

Modules: `api` (public functions, validation, dispatch), `methods` (the
tables from method name to function, and `resolve_method`), `forward` and
`backward` (the teaching formulations), `fast` (the engineered one, a
package), `groups`, `transposed`, `correlate`.
"""

from .api import Grads, conv1d, conv1d_backward, conv2d, conv2d_backward
from .correlate import correlate2d
from .methods import BACKWARD_METHODS, FORWARD_METHODS, resolve_method
from .transposed import conv_transpose1d, conv_transpose2d

__all__ = ["FORWARD_METHODS", "BACKWARD_METHODS", "Grads", "conv1d", "conv1d_backward", "conv2d",
           "conv2d_backward", "conv_transpose1d", "conv_transpose2d", "correlate2d", "resolve_method"]
