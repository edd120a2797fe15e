"""Output sizes, padding resolution, the one convolution geometry, windows, receptive fields.

Everything here is arithmetic on sizes; no arrays are touched.
`conv_geometry` resolves a call's stride, padding and dilation once into a
frozen `ConvGeometry` that the convolution methods, the transposed
convolution, the fast engine's plan and `convlab.coverage` all read.
"""

from dataclasses import dataclass

from ._checks import PADDING_MODES, check_int, check_padding, int_tuple


def effective_kernel_size(kernel_size, dilation=1):
    """Span of a dilated kernel: ``dilation * (kernel_size - 1) + 1``."""
    return dilation * (kernel_size - 1) + 1

def same_padding(n, kernel_size, stride=1, dilation=1):
    """TensorFlow-style ``"same"`` padding along one axis, as ``(before, after)``.

    The output has ``ceil(n / stride)`` entries; the total padding is
    ``max((n_out - 1) * stride + dilation * (k - 1) + 1 - n, 0)`` and the odd
    cell goes after (bottom/right).

    Examples
    --------
    >>> same_padding(5, 3)
    (1, 1)
    >>> same_padding(6, 3, stride=2)
    (0, 1)
    >>> same_padding(4, 2)
    (0, 1)
    """
    n_out = -(-n // stride)
    total = max((n_out - 1) * stride + effective_kernel_size(kernel_size, dilation) - n, 0)
    return (total // 2, total - total // 2)

def _pads_along_axis(padding, n, kernel_size, stride, dilation, name):
    """One axis' ``(before, after)`` from an int, a pair, or a mode."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0)
        if padding == "same":
            return same_padding(n, kernel_size, stride, dilation)
        if padding == "full":
            full = effective_kernel_size(kernel_size, dilation) - 1
            return (full, full)
        raise ValueError(f"{name} must be an int, a pair or one of {PADDING_MODES}; got {padding!r}")
    return int_tuple(padding, name, 2, minimum=0)

def resolve_padding(padding, kernel_size, stride, dilation, input_size):
    """Turn any accepted ``padding`` into explicit ``(before, after)`` pairs.

    Parameters
    ----------
    padding : int, sequence or str
        For 2-D: an int (all sides), ``(pH, pW)`` (symmetric per axis),
        ``((top, bottom), (left, right))``, or a mode ``"valid"``, ``"same"``
        or ``"full"``. For 1-D: an int, ``(before, after)`` or a mode.
    kernel_size, stride, dilation, input_size : tuple of int
        One entry per spatial axis.

    Returns
    -------
    tuple of (int, int)
        ``(before, after)`` for each spatial axis.

    Raises
    ------
    ValueError, TypeError
        Negative padding, a malformed sequence or an unknown mode.

    Examples
    --------
    >>> resolve_padding("same", (3, 2), (1, 1), (1, 1), (5, 5))
    ((1, 1), (0, 1))
    >>> resolve_padding(2, (3,), (1,), (1,), (8,))
    ((2, 2),)
    >>> resolve_padding((1, 0), (3, 3), (1, 1), (1, 1), (5, 5))
    ((1, 1), (0, 0))
    """
    ndim = len(kernel_size)
    axes = range(ndim)
    if isinstance(padding, str):
        if padding not in PADDING_MODES:
            raise ValueError(
                f"padding must be an int, a sequence or one of {PADDING_MODES}; got {padding!r}"
            )
        return tuple(
            _pads_along_axis(padding, input_size[a], kernel_size[a], stride[a], dilation[a], "padding")
            for a in axes
        )
    if not isinstance(padding, (tuple, list)):
        before_after = int_tuple(padding, "padding", 1, minimum=0) * 2
        return (before_after,) * ndim
    if ndim == 1:
        if len(padding) == 1:
            return ((int_tuple(padding[0], "padding", 1, minimum=0) * 2),)
        return (int_tuple(padding, "padding", 2, minimum=0),)
    if len(padding) != ndim:
        raise ValueError(
            f"padding must be an int, a pair (pH, pW), a pair of pairs "
            f"((top, bottom), (left, right)) or one of {PADDING_MODES}; got {padding!r}"
        )
    resolved = []
    for entry in padding:
        if isinstance(entry, (tuple, list)):
            resolved.append(int_tuple(entry, "padding", 2, minimum=0))
        else:
            resolved.append((check_int(entry, "padding", 0),) * 2)
    return tuple(resolved)

def conv_output_size(n, kernel_size, stride=1, padding=0, dilation=1):
    """Length of a convolution's output along one axis.

    ``floor((n + before + after - dilation * (kernel_size - 1) - 1) / stride) + 1``

    Parameters
    ----------
    n : int
        Input length.
    kernel_size, stride, dilation : int
        Positive ints (dilation 1 is a dense kernel).
    padding : int, (int, int) or str
        Zeros on each side, ``(before, after)``, or ``"valid"``, ``"same"``, ``"full"``.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If the (dilated) kernel is larger than the padded input.

    Examples
    --------
    >>> conv_output_size(7, 3)
    5
    >>> conv_output_size(7, 3, stride=2, padding=1)
    4
    >>> conv_output_size(7, 3, stride=2, padding="same")
    4
    >>> conv_output_size(5, 3, padding="full")
    7
    """
    n = check_int(n, "n", 1)
    kernel_size = check_int(kernel_size, "kernel_size", 1)
    stride = check_int(stride, "stride", 1)
    dilation = check_int(dilation, "dilation", 1)
    padding = check_padding(padding, spatial=1)
    before, after = _pads_along_axis(padding, n, kernel_size, stride, dilation, "padding")
    return _output_length(n, kernel_size, stride, (before, after), dilation)

def _output_length(n, kernel_size, stride, pads, dilation, axis_name="the axis"):
    span = effective_kernel_size(kernel_size, dilation)
    padded = n + pads[0] + pads[1]
    if span > padded:
        raise ValueError(
            f"kernel is larger than the padded input along {axis_name}: dilated kernel size "
            f"{span} (kernel_size={kernel_size}, dilation={dilation}) > padded input size "
            f"{padded} (input {n} + padding {pads})"
        )
    return (padded - span) // stride + 1

def output_shape(input_size, kernel_size, stride, padding, dilation, axis_names=("H", "W")):
    """Output sizes for every spatial axis, from resolved ``padding`` pairs."""
    return tuple(
        _output_length(n, k, s, p, d, name)
        for n, k, s, p, d, name in zip(input_size, kernel_size, stride, padding, dilation, axis_names)
    )

def uncovered_count(n, kernel_size, stride=1, padding=0, dilation=1):
    """How many trailing padded-input cells no window reaches along one axis (a count).

    The count is of cells of the *padded* axis: ``(n + pads - dilation * (k - 1) - 1) % stride``.
    Some or all of them may be padding (then every real input cell is still read), and
    cells skipped *between* windows (a kernel shorter than the stride, dilation gaps) are
    not counted. `convlab.coverage.uncovered_cells` lists the input cells that no window
    reads, whatever the reason: those get a zero input gradient.

    Examples
    --------
    >>> uncovered_count(7, 3, stride=2)
    0
    >>> uncovered_count(8, 3, stride=2)
    1
    """
    before, after = _pads_along_axis(padding, n, kernel_size, stride, dilation, "padding")
    span = effective_kernel_size(kernel_size, dilation)
    return (n + before + after - span) % stride


def receptive_field(kernel_size, stride=1, dilation=1):
    """Receptive field of one output cell of a stack of convolutions, along one axis.

    ``r = 1 + sum_l dilation_l * (k_l - 1) * prod_{j<l} stride_j``

    Parameters
    ----------
    kernel_size : int or sequence of int
        One entry per layer, first layer first.
    stride, dilation : int or sequence of int
        Same length as ``kernel_size`` (an int applies to every layer).

    Examples
    --------
    >>> receptive_field(3)
    3
    >>> receptive_field([3, 3, 3])
    7
    >>> receptive_field([3, 3], stride=[2, 1])
    7
    >>> receptive_field(3, dilation=2)
    5
    """
    kernels = list(kernel_size) if isinstance(kernel_size, (list, tuple)) else [kernel_size]
    layers = len(kernels)
    strides = list(stride) if isinstance(stride, (list, tuple)) else [stride] * layers
    dilations = list(dilation) if isinstance(dilation, (list, tuple)) else [dilation] * layers
    if not len(strides) == len(dilations) == layers:
        raise ValueError(
            f"kernel_size, stride and dilation must have one entry per layer; got "
            f"{layers}, {len(strides)} and {len(dilations)} entries"
        )
    field, jump = 1, 1
    for k, s, d in zip(kernels, strides, dilations):
        k = check_int(k, "kernel_size", 1)
        s = check_int(s, "stride", 1)
        d = check_int(d, "dilation", 1)
        field += d * (k - 1) * jump
        jump *= s
    return field

@dataclass(frozen=True)
class ConvGeometry:
    """The sizes of one convolution, resolved once; one entry per spatial axis.

    Attributes
    ----------
    input_shape, kernel_size : tuple of int
        Unpadded input size and kernel size.
    stride, dilation : tuple of int
    padding : tuple of (int, int)
        The resolved ``(before, after)`` zeros of each axis.
    padded_shape : tuple of int
        ``input + before + after``.
    effective_kernel_size : tuple of int
        Span of the dilated kernel, ``dilation * (k - 1) + 1``.
    output_shape : tuple of int
        ``(padded - effective_kernel_size) // stride + 1``.
    """

    input_shape: tuple
    kernel_size: tuple
    stride: tuple
    padding: tuple
    dilation: tuple
    padded_shape: tuple
    effective_kernel_size: tuple
    output_shape: tuple

    def with_leading_axis(self):
        """The same geometry with a trivial first axis (size 1, no padding): 1-D run as 2-D."""
        return ConvGeometry((1,) + self.input_shape, (1,) + self.kernel_size, (1,) + self.stride,
                            ((0, 0),) + self.padding, (1,) + self.dilation, (1,) + self.padded_shape,
                            (1,) + self.effective_kernel_size, (1,) + self.output_shape)


def conv_geometry(input_size, kernel_size, stride, padding, dilation, axis_names=("H", "W")):
    """Normalise ``stride``, ``padding`` and ``dilation`` and compute every size, once.

    Parameters
    ----------
    input_size, kernel_size : tuple of int
        One entry per spatial axis.
    stride, dilation : int or tuple of int
    padding : int, sequence or str
        Any form `resolve_padding` accepts.
    axis_names : tuple of str
        Names for error messages (the last ``len(input_size)`` are used).

    Returns
    -------
    ConvGeometry

    Raises
    ------
    ValueError, TypeError
        Bad stride, dilation or padding, or a kernel larger than the padded input.

    Examples
    --------
    >>> g = conv_geometry((5, 6), (3, 3), 2, "same", 1)
    >>> g.padding, g.output_shape, g.padded_shape
    (((1, 1), (0, 1)), (3, 3), (7, 7))
    """
    ndim = len(input_size)
    input_size, kernel_size = tuple(int(n) for n in input_size), tuple(int(k) for k in kernel_size)
    stride = int_tuple(stride, "stride", ndim)
    dilation = int_tuple(dilation, "dilation", ndim)
    pads = tuple((int(before), int(after)) for before, after in
                 resolve_padding(padding, kernel_size, stride, dilation, input_size))
    out = output_shape(input_size, kernel_size, stride, pads, dilation, axis_names[-ndim:])
    padded = tuple(n + before + after for n, (before, after) in zip(input_size, pads))
    span = tuple(effective_kernel_size(k, d) for k, d in zip(kernel_size, dilation))
    return ConvGeometry(input_size, kernel_size, stride, pads, dilation, padded, span, out)


def window_slice(i, kernel_size, stride, dilation):
    """The padded-input positions output ``i`` reads along one axis, as a slice.

    Output ``i`` meets kernel tap ``m`` at ``i * stride + m * dilation``.

    Examples
    --------
    >>> window_slice(2, 3, stride=2, dilation=2)
    slice(4, 9, 2)
    """
    start = i * stride
    return slice(start, start + effective_kernel_size(kernel_size, dilation), dilation)


def offset_slice(offset, dilation, stride, out_len):
    """The padded-input positions kernel tap ``offset`` meets, as a slice.

    Output ``i`` reads padded input ``i * stride + offset * dilation``.

    Examples
    --------
    >>> offset_slice(2, 1, 2, 3)
    slice(2, 7, 2)
    """
    start = offset * dilation
    return slice(start, start + stride * (out_len - 1) + 1, stride)
