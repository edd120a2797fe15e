"""Array arguments: real-number dtypes, dimensions, floating dtypes, bias, channels."""

import numpy as np

from .scalars import given_text

# dtype.kind -> what to call it in a message (all refused as "real numbers")
_KIND_NAMES = {"m": "timedelta", "M": "datetime", "U": "str", "S": "bytes", "O": "object",
               "V": "structured", "c": "complex"}


# -- arrays -------------------------------------------------------------------

def as_array(value, name, *, complex_ok=False):
    """Return ``value`` as an ndarray of real numbers (bool included), without copying.

    Parameters
    ----------
    value : array_like
    name : str
        The argument's name, used in the message.
    complex_ok : bool, default False
        Accept complex dtypes too.

    Raises
    ------
    TypeError
        Ragged nested lists, None, strings, or a dtype that is not a real number
        (timedelta, datetime, str, object, ...; complex unless ``complex_ok``).

    Examples
    --------
    >>> as_array([1, 2], "x")
    array([1, 2])
    >>> as_array(np.array([1], dtype="m8[s]"), "x")
    Traceback (most recent call last):
    ...
    TypeError: x must hold real numbers; got dtype timedelta64[s] (timedelta)
    """
    if value is None or isinstance(value, (str, bytes, dict, set)):
        raise TypeError(f"{name} must be array-like; got {given_text(value)}")
    try:
        array = np.asarray(value)
    except Exception as error:  # e.g. ragged nested lists
        raise TypeError(f"{name} must be array-like; got {type(value).__name__} ({error})") from None
    kind = array.dtype.kind
    if kind == "c" and not complex_ok:
        raise TypeError(f"{name} must hold real numbers; got complex dtype {array.dtype}")
    if kind in _KIND_NAMES and kind != "c":
        raise TypeError(f"{name} must hold real numbers; got dtype {array.dtype} ({_KIND_NAMES[kind]})")
    return array


def check_ndim(array, name, allowed, layout):
    """Raise ``ValueError`` unless ``array.ndim`` is in ``allowed`` and no axis is empty.

    ``layout`` completes "``name`` must be ...", e.g. ``"a 2-D (H, W) array"``.
    """
    if array.ndim not in allowed:
        raise ValueError(f"{name} must be {layout}; got shape {array.shape}")
    if 0 in array.shape:
        raise ValueError(f"{name} must not have empty dimensions; got shape {array.shape}")


def check_array(value, name, ndim=None, layout=None, *, min_ndim=None, floating=False,
                complex_ok=False):
    """An ndarray of real numbers with one of the allowed numbers of dimensions.

    Parameters
    ----------
    value : array_like
    name : str
    ndim : int or tuple of int, optional
        Allowed ``ndim``; default any (but at least one element).
    min_ndim : int, optional
        The least ``ndim`` when any larger one is fine, e.g. 2 for ``(..., H, W)``.
    layout : str, optional
        The axes, e.g. ``"(N, C, H, W)"``; the message then reads
        "x must be a 4-D (N, C, H, W) array; got shape (2, 3)".
    floating : bool, default False
        Convert integer and bool arrays to float64 (floating ones keep their dtype).
    complex_ok : bool, default False

    Examples
    --------
    >>> check_array([[1, 2]], "image", 2, "(H, W)", floating=True)
    array([[1., 2.]])
    >>> check_array(np.ones(3), "image", 2, "(H, W)")
    Traceback (most recent call last):
    ...
    ValueError: image must be a 2-D (H, W) array; got shape (3,)
    """
    array = as_array(value, name, complex_ok=complex_ok)
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if allowed is not None:
        dims = " or ".join(f"{d}-D" for d in allowed)
        check_ndim(array, name, allowed, f"a {dims}{' ' + layout if layout else ''} array")
    elif array.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {array.shape}")
    if min_ndim is not None and array.ndim < min_ndim:
        raise ValueError(f"{name} must be an array with at least {min_ndim} dimensions"
                         f"{' ' + layout if layout else ''}; got shape {array.shape}")
    if floating and array.dtype.kind in "biu":
        array = array.astype(np.float64)
    return array


_AXES = {1: ("L",), 2: ("H", "W")}


def check_conv_arrays(x, weight, spatial, names=("x", "weight"), weight_axes="C_out, C_in // groups"):
    """A convolution's input and weight as arrays, checked for their dimensions.

    ``x`` is batched or not, ``(N, C_in, *spatial)`` or ``(C_in, *spatial)``;
    ``weight`` is ``(weight_axes, *kernel)`` with ``spatial`` 1 or 2.
    """
    x_name, w_name = names
    x, weight = as_array(x, x_name), as_array(weight, w_name)
    dims = ", ".join(_AXES[spatial])
    check_ndim(x, x_name, (spatial + 1, spatial + 2),
               f"a {spatial + 1}-D (C_in, {dims}) or {spatial + 2}-D (N, C_in, {dims}) array")
    kdims = ", ".join("k" + a for a in _AXES[spatial])
    check_ndim(weight, w_name, (spatial + 2,), f"a {spatial + 2}-D ({weight_axes}, {kdims}) array")
    return x, weight


def check_kernel_fits(kernel_size, image_size, what, why=""):
    """Raise ``ValueError`` unless the kernel fits in ``what`` (e.g. "the image") along both axes."""
    (kh, kw), (height, width) = kernel_size, image_size
    if kh > height or kw > width:
        raise ValueError(f"weight's kernel ({kh}, {kw}) must fit in {what} ({height}, {width})"
                         + (f" {why}" if why else ""))


def check_grad_out(grad_out, shape, source):
    """``grad_out`` as a real array of ``shape``, the shape of ``source``'s last output."""
    g = as_array(grad_out, "grad_out")
    if g.shape != tuple(shape):
        raise ValueError(
            f"grad_out must have the shape of {source}'s last output {tuple(shape)}; got {g.shape}")
    return g


def compute_dtype(*arrays):
    """The floating dtype a computation on ``arrays`` runs in.

    Floating inputs keep their (promoted) dtype; integer and boolean inputs
    compute in float64.
    """
    dtype = np.result_type(*arrays)
    return dtype if np.issubdtype(dtype, np.floating) else np.dtype(np.float64)


def check_dtype(dtype, name="dtype"):
    """A floating numpy dtype from ``dtype`` (a name such as ``"float32"`` or a type).

    >>> check_dtype("float32")
    dtype('float32')
    """
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a floating dtype such as float32 or float64; "
                        f"got {given_text(dtype)}") from None
    if not np.issubdtype(dt, np.floating):
        raise TypeError(f"{name} must be a floating dtype; got {dt}")
    return dt


def check_bias(bias, c_out):
    """Return ``bias`` as an array of shape ``(c_out,)``, or None."""
    if bias is None:
        return None
    bias = as_array(bias, "bias")
    if bias.shape != (c_out,):
        raise ValueError(f"bias must have shape (C_out,) = ({c_out},); got {bias.shape}")
    return bias


def check_channels(weight_channels, x_channels, x_shape, weight_shape, *, x_name="x",
                   weight_name="weight", groups=1, axis_note=""):
    """Raise the one channel-mismatch message unless ``weight_channels * groups == x_channels``.

    The message reads "weight has 3 input channels but x has 4 (x.shape=...,
    weight.shape=...)"; a name ending in ``shape`` (``input_shape``) is shown
    as it is. ``axis_note`` says where the weight keeps them, e.g. " (its first axis)".

    >>> check_channels(3, 4, (2, 4, 8, 8), (5, 3, 3, 3))
    Traceback (most recent call last):
    ...
    ValueError: weight has 3 input channels but x has 4 (x.shape=(2, 4, 8, 8), weight.shape=(5, 3, 3, 3))
    """
    if weight_channels * groups == x_channels:
        return
    label = lambda n: n if n.endswith("shape") else f"{n}.shape"  # noqa: E731
    per_group = "" if groups == 1 else f" per group (x groups={groups} = {weight_channels * groups})"
    raise ValueError(
        f"{weight_name} has {weight_channels} input channels{axis_note}{per_group} but {x_name} has "
        f"{x_channels} ({label(x_name)}={tuple(x_shape)}, {label(weight_name)}={tuple(weight_shape)})")


def check_groups(groups, channels, context=""):
    """Return ``groups`` as a positive int that divides every count in ``channels``.

    ``channels`` maps a description to a count, e.g. ``{"input channels": 4,
    "output channels": 5}``; ``context`` ends the message (shapes, say).

    >>> check_groups(2, {"input channels": 4, "output channels": 6})
    2
    >>> check_groups(3, {"input channels": 4, "output channels": 5}, "(x.shape=(2, 4, 8, 8))")
    Traceback (most recent call last):
    ...
    ValueError: groups=3 must divide both the input channels (4) and the output channels (5) (x.shape=(2, 4, 8, 8))
    """
    from .scalars import check_int

    groups = check_int(groups, "groups", 1)
    if any(count % groups for count in channels.values()):
        listed = " and the ".join(f"{what} ({count})" for what, count in channels.items())
        both = "both the " if len(channels) == 2 else "the "
        raise ValueError(f"groups={groups} must divide {both}{listed}" + (f" {context}" if context else ""))
    return groups


def check_tensor(value, name, optional=False):
    """Raise unless ``value`` is a floating ``torch.Tensor`` (or None when ``optional``).

    torch is not imported here: a tensor is recognised by its type's module,
    so ``import convlab`` stays free of torch.
    """
    if optional and value is None:
        return
    if type(value).__module__.split(".")[0] != "torch" or not hasattr(value, "is_floating_point"):
        raise TypeError(f"{name} must be a torch.Tensor; got {type(value).__name__}")
    if not value.is_floating_point():
        raise TypeError(f"{name} must be a floating tensor; got dtype {value.dtype}")


def check_image_and_kernel(x, weight, bias=None, fit=True):
    """Validate ``x`` and ``weight``; return batched 4-D copies, the bias and the caller's layout.

    Accepted pairs: ``x`` (H, W) with ``weight`` (kH, kW); ``x`` (C_in, H, W) or
    (N, C_in, H, W) with ``weight`` (C_out, C_in, kH, kW). With ``fit``, the
    kernel must also fit in the (unpadded) image (the convolutions of
    :mod:`convlab.spectral`).

    >>> x4, w4, bias, ndim = check_image_and_kernel(np.ones((4, 4)), np.ones((2, 2)))
    >>> x4.shape, w4.shape, bias, ndim
    ((1, 1, 4, 4), (1, 1, 2, 2), None, 2)
    """
    x, weight = as_array(x, "x"), as_array(weight, "weight")
    if x.ndim not in (2, 3, 4) or 0 in x.shape:
        raise ValueError(f"x must be a 2-D (H, W), 3-D (C_in, H, W) or 4-D (N, C_in, H, W) "
                         f"array; got shape {x.shape}")
    expected = "a 2-D (kH, kW) kernel" if x.ndim == 2 else "a 4-D (C_out, C_in, kH, kW) array"
    if weight.ndim != (2 if x.ndim == 2 else 4) or 0 in weight.shape:
        raise ValueError(f"weight must be {expected} for x of shape {x.shape}; got shape {weight.shape}")
    x4 = x.reshape((1,) * (4 - x.ndim) + x.shape)
    w4 = weight.reshape((1,) * (4 - weight.ndim) + weight.shape)
    check_channels(w4.shape[1], x4.shape[1], x.shape, weight.shape)
    if fit:
        check_kernel_fits(w4.shape[-2:], x4.shape[-2:], "the image", "for a circular convolution")
    bias = check_bias(bias, w4.shape[0])
    dtype = compute_dtype(x4, w4)
    return x4.astype(dtype, copy=False), w4.astype(dtype, copy=False), bias, x.ndim
