"""The method tables: which function computes each named formulation.

``FORWARD_METHODS["shift"]`` *is* `convlab.conv.forward.forward_shift`, so
"go to definition" follows a method name to its code. Every function in a
table keeps the internal contract of `convlab.conv.forward` (validated,
normalised, batched 2-D arguments)::

    forward(x, weight, bias, stride, padding, dilation, groups) -> y
    backward(grad_out, x, weight, stride, padding, dilation, groups) -> (dx, dw, db)

**Adding a method** is one line in each table it belongs to, below (plus the
import of its module): e.g. ``"winograd": forward_winograd,`` in
``FORWARD_METHODS``. Everything else (``method=`` validation, error messages,
the layers, the bench, the tests parametrised over the tables) reads them.
"""

from collections.abc import Mapping

from .backward import backward_flip, backward_im2row, backward_loops, backward_shift
from .fast import backward_fast, forward_fast
from .forward import forward_im2row, forward_loops, forward_matrix, forward_shift
from .winograd import backward_winograd, forward_winograd

__all__ = ["MethodTable", "FORWARD_METHODS", "BACKWARD_METHODS", "resolve_method"]


class MethodTable(Mapping):
    """Method name -> function, in a fixed order: a read-only mapping.

    It iterates over its names and indexes by name (``for name in
    cl.FORWARD_METHODS``, ``"fast" in cl.FORWARD_METHODS``,
    ``cl.FORWARD_METHODS["fast"]``), and prints as what it is: a table of
    names, not a tuple (``FORWARD_METHODS[0]`` is a ``KeyError``, like any
    mapping's).

    Examples
    --------
    >>> table = MethodTable({"double": lambda v: 2 * v, "triple": lambda v: 3 * v})
    >>> table, "double" in table, table["double"](4), list(table)
    (MethodTable(double, triple), True, 8, ['double', 'triple'])
    """

    def __init__(self, functions):
        self._functions = dict(functions)

    def __getitem__(self, name):
        return self._functions[name]

    def __iter__(self):
        return iter(self._functions)

    def __len__(self):
        return len(self._functions)

    def __repr__(self):
        return f"MethodTable({', '.join(self._functions)})"


FORWARD_METHODS = MethodTable({
    "loops": forward_loops,
    "shift": forward_shift,
    "im2row": forward_im2row,
    "matrix": forward_matrix,
    "winograd": forward_winograd,
    "fast": forward_fast,
})

BACKWARD_METHODS = MethodTable({
    "loops": backward_loops,
    "shift": backward_shift,
    "flip": backward_flip,
    "im2row": backward_im2row,
    "winograd": backward_winograd,
    "fast": backward_fast,
})


def resolve_method(method):
    """``(forward_method, backward_method)`` from a name or a pair of names.

    A single name must be valid in both directions (``"loops"``, ``"shift"``,
    ``"im2row"``, ``"fast"``); ``"matrix"`` (forward only) and ``"flip"``
    (backward only) go in a pair, e.g. ``("matrix", "flip")``.

    Examples
    --------
    >>> resolve_method("shift")
    ('shift', 'shift')
    >>> resolve_method(("matrix", "flip"))
    ('matrix', 'flip')
    """
    if isinstance(method, str):
        if method not in FORWARD_METHODS or method not in BACKWARD_METHODS:
            both = tuple(m for m in FORWARD_METHODS if m in BACKWARD_METHODS)
            raise ValueError(
                f"method must be one of {both} or a (forward, backward) pair with forward in "
                f"{FORWARD_METHODS} and backward in {BACKWARD_METHODS}; got {method!r}"
            )
        return method, method
    if isinstance(method, (tuple, list)) and len(method) == 2:
        fwd, bwd = method
        if not isinstance(fwd, str) or fwd not in FORWARD_METHODS:
            raise ValueError(f"method[0] (forward) must be one of {FORWARD_METHODS}; got {fwd!r}")
        if not isinstance(bwd, str) or bwd not in BACKWARD_METHODS:
            raise ValueError(f"method[1] (backward) must be one of {BACKWARD_METHODS}; got {bwd!r}")
        return fwd, bwd
    raise TypeError(
        f"method must be a method name or a (forward, backward) pair of names; got {method!r}"
    )
