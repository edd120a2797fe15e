"""Helpers shared by the checker modules: readable inputs and gradient references.

Inputs are integer-valued floats in [-3, 3], so that the arrays a verdict
prints stay readable; the gradient references come from
:func:`convlab.conv2d_backward`, called with a zero array of the right shape
for the argument whose gradient is not asked. The library functions are
bound here when convlab is imported, so a learner who rebinds
``convlab.conv2d`` in the session cannot change what the references compute.
"""

import numpy as np

from convlab import conv2d, conv2d_backward, conv_output_size

from ..grading.engine import case


def ints(rng, *shape):
    """Integer-valued float64 array in [-3, 3] (readable in a verdict).

    Examples
    --------
    >>> ints(np.random.default_rng(0), 2, 3).shape
    (2, 3)
    """
    return rng.integers(-3, 4, size=shape).astype(np.float64)


def cases_of_shapes(seed, names, table):
    """One case per row ``(label, shape, shape, ...)``: :func:`ints` arrays of those shapes, named ``names``.

    Examples
    --------
    >>> [c.label for c in cases_of_shapes(0, ("x", "g"), [("tiny", (1,), (2,))])]
    ['tiny']
    """
    rng = np.random.default_rng(seed)
    return [case(label, **{name: ints(rng, *shape) for name, shape in zip(names, shapes)})
            for label, *shapes in table]


def gradients(grad_out, x_shape, weight_shape, stride=1, x=None, weight=None):
    """``conv2d_backward`` with zeros for the array whose gradient is not asked.

    Examples
    --------
    >>> g = gradients(np.ones((1, 1, 2, 2)), (1, 1, 3, 3), None, weight=np.ones((1, 1, 2, 2)))
    >>> g.dx[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    x = np.zeros(x_shape) if x is None else x
    weight = np.zeros(weight_shape) if weight is None else weight
    return conv2d_backward(grad_out, x, weight, stride=stride)


def full_correlation(grad_out, weight, padding):
    """``grad_out`` correlated with ``weight``, its channel axes swapped (the input gradient's shape).

    Examples
    --------
    >>> full_correlation(np.ones((1, 1, 1, 1)), np.ones((1, 1, 2, 2)), "full").shape
    (1, 1, 2, 2)
    """
    return conv2d(grad_out, weight.transpose(1, 0, 2, 3), padding=padding)


# ------------------------------------------------ strided backward (lesson 08)
def zero_insert_trailing(g, stride):
    """``g`` spread ``stride`` apart with zeros after the last entry too (a classic slip).

    Examples
    --------
    >>> zero_insert_trailing(np.array([[1.0, 2.0]]), 2)
    array([[1., 0., 2., 0.],
           [0., 0., 0., 0.]])
    """
    spread = np.zeros(g.shape[:-2] + (g.shape[-2] * stride, g.shape[-1] * stride))
    spread[..., ::stride, ::stride] = g
    return spread


def fit_to_size(dx, input_size):
    """Crop or zero-pad the last two axes of ``dx`` (N, C, h, w) to ``input_size`` (bottom/right).

    Examples
    --------
    >>> fit_to_size(np.ones((1, 1, 2, 3)), (3, 2))[0, 0]
    array([[1., 1.],
           [1., 1.],
           [0., 0.]])
    """
    out = np.zeros(dx.shape[:2] + tuple(input_size))
    h, w = min(dx.shape[2], input_size[0]), min(dx.shape[3], input_size[1])
    out[:, :, :h, :w] = dx[:, :, :h, :w]
    return out


def strided_input_grad_reference(grad_out, weight, stride, input_size):
    """``dx`` of a stride-``stride`` convolution without padding, by ``conv2d_backward``.

    Examples
    --------
    >>> strided_input_grad_reference(np.ones((1, 1, 1, 1)), np.ones((1, 1, 2, 2)), 2, (3, 3))[0, 0]
    array([[1., 1., 0.],
           [1., 1., 0.],
           [0., 0., 0.]])
    """
    x_shape = (len(grad_out), weight.shape[1], *input_size)
    return gradients(grad_out, x_shape, None, stride=stride, weight=weight).dx


STRIDED_SHAPES = [("stride 1", 1, (1, 1, 3, 3), (1, 1, 2, 2)),
                  ("1x1 kernel, stride 2", 2, (1, 1, 3, 3), (1, 1, 1, 1)),
                  ("stride 2, dividing", 2, (1, 1, 5, 5), (1, 1, 3, 3)),
                  ("stride 2, remainder not covered", 2, (1, 1, 6, 5), (1, 1, 2, 2)),
                  ("stride 3, channels", 3, (1, 2, 7, 8), (2, 2, 3, 2)),
                  ("stride larger than the kernel", 3, (2, 1, 7, 7), (1, 1, 2, 2))]
"""Rows ``(label, stride, x shape, weight shape)`` of the strided-gradient cases, edge cases first."""


def strided_cases(seed, with_weight):
    """Cases of :data:`STRIDED_SHAPES`: ``(grad_out, weight, stride, input_size)`` if ``with_weight``,
    else ``(x, grad_out, stride, kernel_size)``.

    Examples
    --------
    >>> [c.label for c in strided_cases(0, True)][:2]
    ['stride 1', '1x1 kernel, stride 2']
    """
    rng = np.random.default_rng(seed)
    cases = []
    for label, s, x_shape, w_shape in STRIDED_SHAPES:
        out = tuple(conv_output_size(n, k, s) for n, k in zip(x_shape[2:], w_shape[2:]))
        g = ints(rng, x_shape[0], w_shape[0], *out)
        if with_weight:
            cases.append(case(label, grad_out=g, weight=ints(rng, *w_shape), stride=s,
                              input_size=x_shape[2:]))
        else:
            cases.append(case(label, x=ints(rng, *x_shape), grad_out=g, stride=s,
                              kernel_size=w_shape[2:]))
    return cases


# PyTorch's first import takes seconds; if it happens inside a time-limited call (the
# learner's function, or a reference it calls) the alarm can interrupt it half way and
# leave torch unusable for the session, so checkers import it before any learner code runs.
def import_torch():
    """Import and return :mod:`torch` (fast after the first time)."""
    import torch
    return torch


def layer_cases(seed, strides=(1,)):
    """Cases of a layer with batch, channels and bias (lessons 03-04), at each stride."""
    rng = np.random.default_rng(seed)
    shapes = [("batch of one, single channel", (1, 1, 3, 3), (1, 1, 2, 2)),
              ("1x1 kernel", (1, 2, 2, 3), (3, 2, 1, 1)),
              ("several input channels", (1, 3, 4, 4), (1, 3, 2, 2)),
              ("non-square kernel", (2, 2, 4, 5), (2, 2, 2, 3)),
              ("batch and channels", (2, 3, 5, 4), (2, 3, 3, 3))]
    cases = []
    for stride in strides:
        for label, x_shape, w_shape in shapes:
            if stride > 1:
                label = f"{label}, stride {stride}"
            args = dict(x=ints(rng, *x_shape), weight=ints(rng, *w_shape),
                        bias=ints(rng, w_shape[0]))
            if len(strides) > 1:
                args["stride"] = stride
            cases.append(case(label, **args))
    return cases


def conv_layer(x, weight, bias, stride=1):
    """The reference layer of lessons 03-04."""
    return conv2d(x, weight, bias, stride=stride)


# ---------------------------------------- what the learner must write (forbidden calls)
_CONVOLUTIONS = ("numpy.correlate", "numpy.convolve", "scipy.signal", "scipy.ndimage", "torch")

LOOPS = dict(forbid=_CONVOLUTIONS + ("convlab",), forbid_why=(
    "this exercise asks you to write the loops (or slicing) yourself: numpy's correlate/"
    "convolve, scipy.signal/ndimage, torch and convlab would compute the answer for you."))
"""``@exercise(**LOOPS, ...)``: no library convolution and no convlab."""

FORMULA = dict(forbid=("convlab", "torch"), forbid_why=(
    "this exercise asks for the formula itself: convlab's and torch's shape helpers "
    "would compute it for you."))
"""``@exercise(**FORMULA, ...)``: sizes worked out by hand, not by a library."""

NO_CONVOLUTION = dict(forbid=_CONVOLUTIONS + (
    "convlab.conv1d", "convlab.conv2d", "convlab.correlate2d", "convlab.conv1d_backward",
    "convlab.conv2d_backward", "convlab.conv_transpose1d", "convlab.conv_transpose2d"),
    forbid_why=("this exercise asks you to build the convolution from the pieces of the lesson "
                "(e.g. `im2row` and one matrix product); a library convolution would skip them."))
"""``@exercise(**NO_CONVOLUTION, ...)``: convlab's helpers allowed, not its convolutions."""

NO_BACKWARD = dict(forbid=("scipy.signal", "scipy.ndimage", "torch", "convlab.conv2d_backward",
                           "convlab.conv1d_backward", "convlab.conv_transpose2d"), forbid_why=(
    "this exercise asks you to derive the gradient yourself; convlab's backward, a transposed "
    "convolution or torch's autograd would compute it for you (a forward `conv2d` is fine)."))
"""``@exercise(**NO_BACKWARD, ...)``: forward convolutions allowed, library gradients not."""

TORCH_BY_HAND = dict(forbid=("torch.conv2d", "torch.nn.functional.conv2d", "torch.nn.grad",
                             "torch.nn.Conv2d", "convlab.conv2d", "convlab.conv2d_backward",
                             "convlab.correlate2d"), forbid_why=(
    "this exercise asks you to write the forward and backward passes yourself; a library "
    "convolution (torch's or convlab's) would skip them."))
"""``@exercise(**TORCH_BY_HAND, ...)``: torch tensors and `unfold` allowed, its convolution not."""

NO_AUTOGRAD = dict(forbid=("torch", "convlab"), forbid_why=(
    "this exercise asks you to compute it with numpy; torch's autograd or convlab would do "
    "it for you."))
"""``@exercise(**NO_AUTOGRAD, ...)``: plain numpy."""

NO_FILTER_LIBRARY = dict(forbid=("scipy.signal", "scipy.ndimage", "torch", "convlab.filters",
                                 "skimage", "cv2"), forbid_why=(
    "this exercise asks you to build the filter yourself; convlab.filters, scipy and image "
    "libraries already have it (a plain `correlate2d` is fine)."))
"""``@exercise(**NO_FILTER_LIBRARY, ...)``: no ready-made filter."""

NO_SHORTCUT = dict(forbid=("scipy.signal", "scipy.ndimage", "scipy.linalg", "torch", "convlab"),
                   forbid_why=("this exercise asks you to build it from numpy (its `fft` is "
                               "fine); convlab, scipy and torch would give it to you ready-made."))
"""``@exercise(**NO_SHORTCUT, ...)``: numpy only."""


# ---------------------------------------- case spaces (the smallest failing case)
def values(rng, kind, *shape):
    """``"ones"`` (the simplest to read) or ``"ints"`` (:func:`ints`) of ``shape``."""
    return np.ones(shape) if kind == "ones" else ints(rng, *shape)


_VALUES = ("values", ("ones", "ints"))
_SIZES = tuple(range(1, 9))


def _correlate1d_case(rng, c):
    if c["k"] > c["n"]:
        return None
    return case(f"n={c['n']}, k={c['k']}", p=values(rng, c["values"], c["n"]),
                w=values(rng, c["values"], c["k"]))


def _image_case(rng, c):
    if c["kh"] > c["h"] or c["kw"] > c["w"]:
        return None
    return case(f"{c['h']}x{c['w']} image, {c['kh']}x{c['kw']} kernel",
                image=values(rng, c["values"], c["h"], c["w"]),
                kernel=values(rng, c["values"], c["kh"], c["kw"]))


def _space(*args, **kwargs):
    from ..grading.shrink import Space
    return Space(*args, **kwargs)


CORRELATE1D_SPACE = _space((("n", _SIZES), ("k", (1, 2, 3, 4)), _VALUES), _correlate1d_case,
                           features=(("k", 1),))
"""1-D correlation: input length, kernel length, values."""

IMAGE_SPACE = _space((("h", _SIZES[:6]), ("w", _SIZES[:6]), ("kh", (1, 2, 3)), ("kw", (1, 2, 3)),
                      _VALUES), _image_case, features=(("kh", 1), ("kw", 1)))
"""2-D correlation of one image: its size, the kernel's, values."""


def _layer_case(rng, c):
    if c["k"] > c["size"]:
        return None
    return case(f"{c['size']}x{c['size']} input, {c['k']}x{c['k']} kernel, stride {c['stride']}",
                x=values(rng, c["values"], c["batch"], c["c_in"], c["size"], c["size"]),
                weight=values(rng, c["values"], c["c_out"], c["c_in"], c["k"], c["k"]),
                bias=values(rng, c["values"], c["c_out"]), stride=c["stride"])


STRIDED_LAYER_SPACE = _space((("stride", (1, 2, 3)), ("size", _SIZES[:7]), ("k", (1, 2, 3)),
                              ("c_in", (1, 2)), ("c_out", (1, 2)), ("batch", (1, 2)), _VALUES),
                             _layer_case, features=(("stride", 1), ("c_in", 1), ("c_out", 1),
                                                    ("batch", 1)))
"""A layer with stride: stride, input size, kernel size, channels, batch, values."""


def _strided_grad_case(rng, c):
    if c["k"] > c["size"]:
        return None
    out = conv_output_size(c["size"], c["k"], c["stride"])
    return case(f"input {c['size']}x{c['size']}, kernel {c['k']}, stride {c['stride']}",
                grad_out=values(rng, c["values"], 1, c["c"], out, out),
                weight=values(rng, c["values"], c["c"], c["c"], c["k"], c["k"]),
                stride=c["stride"], input_size=(c["size"], c["size"]))


STRIDED_GRAD_SPACE = _space((("stride", (1, 2, 3)), ("size", _SIZES[1:]), ("k", (1, 2, 3)),
                             ("c", (1, 2)), _VALUES), _strided_grad_case,
                            features=(("stride", 1), ("k", 1)))
"""The strided input gradient: stride, input size, kernel size, channels, values."""
