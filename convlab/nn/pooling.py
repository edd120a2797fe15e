"""Max pooling: the gradient goes to the winner of each window only.

``MaxPool2d`` remembers, for every output, which offset ``(m, n)`` of its
window held the maximum; backward adds the output gradient there.  Windows
that overlap (stride < kernel) may share a winner, whose gradient is then the
sum — hence ``+=``.  Ties go to the first maximum in row-major order within
the window, exactly as PyTorch's CPU kernel does.
"""

import numpy as np

from .._checks import check_array, check_grad_out, int_tuple
from ..shapes import offset_slice, output_shape
from .base import Layer

__all__ = ["MaxPool2d", "GlobalMaxPool2d"]


def _grad_dtype(grad_out):
    """The input gradient's dtype: floating ``grad_out`` keeps its own (float16 stays float16)."""
    return grad_out.dtype if np.issubdtype(grad_out.dtype, np.floating) else np.dtype(np.float64)


class MaxPool2d(Layer):
    """Max over ``kernel_size`` windows moved by ``stride``.

    Parameters
    ----------
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Default ``kernel_size`` (non-overlapping windows).
    padding : int or (int, int), default 0
        Implicit ``-inf`` on both sides, at most half the kernel (as in PyTorch).

    Notes
    -----
    ``y[b, c, i, j] = max_{m, n} x[b, c, i sH + m, j sW + n]`` and
    ``∂L/∂x[b, c, i sH + m*, j sW + n*] += ∂L/∂y[b, c, i, j]`` for the argmax
    ``(m*, n*)``; every other entry of the window gets nothing from that output.
    Ties go to the first maximum in row-major order; a NaN wins (as in PyTorch).

    Examples
    --------
    >>> pool = MaxPool2d(2)
    >>> x = np.array([[[[1.0, 3.0], [3.0, 0.0]]]])
    >>> pool.forward(x)
    array([[[[3.]]]])
    >>> pool.backward(np.ones((1, 1, 1, 1)))  # the first 3 (row-major) wins
    array([[[[0., 1.],
             [0., 0.]]]])
    """

    repr_fields = ("kernel_size", "stride", "padding")

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = int_tuple(kernel_size, "kernel_size", 2)
        self.stride = self.kernel_size if stride is None else int_tuple(stride, "stride", 2)
        self.padding = int_tuple(padding, "padding", 2, minimum=0)
        for p, k in zip(self.padding, self.kernel_size):
            if 2 * p > k:
                raise ValueError(f"padding must be at most half of kernel_size={self.kernel_size}; "
                                 f"got padding={self.padding}")

    def _out_size(self, h, w):
        pads = tuple((p, p) for p in self.padding)
        return output_shape((h, w), self.kernel_size, self.stride, pads, (1, 1))

    def _window(self, xp, m, n, out):
        (sh, sw), (ho, wo) = self.stride, out
        return xp[:, :, offset_slice(m, 1, sh, ho), offset_slice(n, 1, sw, wo)]  # tap (m, n) of every window

    def forward(self, x):
        """``(N, C, H, W)`` → ``(N, C, H_out, W_out)``."""
        x = check_array(x, "x", 4, "(N, C, H, W)", floating=True)
        out = self._out_size(*x.shape[2:])
        (ph, pw), (kh, kw) = self.padding, self.kernel_size
        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf) if ph or pw else x
        y = self._window(xp, 0, 0, out).copy()
        arg = np.zeros(y.shape, dtype=np.intp)  # winning offset m * kW + n
        for m in range(kh):
            for n in range(kw):
                if m == n == 0:
                    continue
                v = self._window(xp, m, n, out)
                wins = (v > y) | np.isnan(v)  # strict: an equal later value does not win
                y = np.where(wins, v, y)
                arg[wins] = m * kw + n
        self._cache = (x.shape, xp.shape, arg, out)
        return y

    def backward(self, grad_out):
        """Route each output gradient to its window's maximum (overlaps add up)."""
        x_shape, xp_shape, arg, out = self._cached()
        g = check_grad_out(grad_out, arg.shape, "MaxPool2d")
        (ph, pw), (kh, kw) = self.padding, self.kernel_size
        dxp = np.zeros(xp_shape, dtype=_grad_dtype(g))
        for m in range(kh):
            for n in range(kw):
                self._window(dxp, m, n, out)[...] += np.where(arg == m * kw + n, g, 0)
        return dxp[:, :, ph : ph + x_shape[2], pw : pw + x_shape[3]]


class GlobalMaxPool2d(Layer):
    """Max over all positions: ``(N, C, H, W)`` → ``(N, C)``.

    Examples
    --------
    >>> pool = GlobalMaxPool2d()
    >>> x = np.array([[[[1.0, 5.0], [5.0, 2.0]]]])
    >>> pool.forward(x), pool.backward(np.array([[2.0]]))
    (array([[5.]]), array([[[[0., 2.],
             [0., 0.]]]]))
    """

    def forward(self, x):
        x = check_array(x, "x", 4, "(N, C, H, W)", floating=True)
        flat = x.reshape(x.shape[0], x.shape[1], -1)
        arg = np.argmax(flat, axis=-1)  # first maximum in row-major order
        self._cache = (x.shape, arg)
        return np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]

    def backward(self, grad_out):
        shape, arg = self._cached()
        g = check_grad_out(grad_out, shape[:2], "GlobalMaxPool2d")
        dx = np.zeros((shape[0], shape[1], shape[2] * shape[3]), dtype=_grad_dtype(g))
        np.put_along_axis(dx, arg[..., None], g[..., None], axis=-1)
        return dx.reshape(shape)
