"""Winograd's minimal filtering: a convolution with fewer multiplications.

**F(2, 3) in 1-D.** Two outputs of a 3-tap correlation of the four inputs
``d0..d3`` with the kernel ``g0..g2`` are

    y0 = d0 g0 + d1 g1 + d2 g2
    y1 = d1 g0 + d2 g1 + d3 g2

six multiplications. Winograd's trick computes four products instead,

    m0 = (d0 - d2) g0                  m1 = (d1 + d2) (g0 + g1 + g2) / 2
    m3 = (d1 - d3) g2                  m2 = (d2 - d1) (g0 - g1 + g2) / 2

and ``y0 = m0 + m1 + m2``, ``y1 = m1 - m2 - m3`` (expand them: every cross
term cancels). The kernel sums are paid once per kernel, not per output.
In matrices, with the input tile ``d`` (4), the kernel ``g`` (3) and ``*``
the elementwise product,

    y = A^T [(G g) * (B^T d)]

with ``B^T``, ``G`` and ``A^T`` the constants of `transform_matrices`: the
input and kernel go to a 4-number "frequency" domain (the polynomial
evaluated at 0, 1, -1 and infinity), multiply there pointwise, and ``A^T``
brings back the two outputs. F(4, 3) uses the points 0, +-1, +-2, infinity:
a 6-tile gives 4 outputs with 6 products instead of 12.

**2-D: nest it.** Applying the 1-D algorithm along the rows and then along
the columns gives F(m x m, 3 x 3),

    Y = A^T [(G g G^T) * (B^T d B)] A,

on ``(m + 2) x (m + 2)`` input tiles that overlap by 2 and each give an
``m x m`` output block: F(2x2, 3x3) needs 16 products per 4 outputs instead of
36 (2.25x fewer), F(4x4, 3x3) 36 per 16 instead of 144 (4x fewer). With
channels, the sum over input channels happens in the frequency domain, so
for each of the ``(m + 2)^2`` frequencies it is one GEMM of the transformed
kernels (C_out, C_in) with the transformed tiles (C_in, tiles): a batched
matmul over frequencies.

**Backward.** ``dx`` (stride 1) is the correlation of the gradient padded
by 2 with the kernel rotated by 180 degrees, its in/out channels swapped:
again a 3x3 stride-1 correlation, so the same forward runs. ``dw`` is the
correlation of the input with the gradient, a 3x3 *output* from an
``m x m`` kernel: F(3, m). The same matrices serve with roles exchanged:
``sum_j g_j dw_j = sum_ij g_j e_i d_(i+j) = (G g) . ((A e) * (B^T d))`` for
any kernel ``g``, so a gradient tile ``e`` (m) and its input tile ``d``
(m + 2) give ``dw = G^T [(A e) * (B^T d)]`` and in 2-D
``dw = G^T [sum over tiles (A e A^T) * (B^T d B)] G``, the sum over tiles
and images being again one GEMM per frequency.

Winograd needs stride 1 and dilation 1 and kernels of size 3 (an axis of
size 1, as 1-D convolutions have after they are brought to 2-D, uses the
trivial F(1, 1)); anything else raises ``ValueError``. It loses a little
precision in float32: the transforms add numbers of different sizes before
multiplying (`forward_winograd` says how much).
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._checks import check_member, check_winograd_geometry
from ..blocks import pad

#: Output tile sizes implemented: F(2, 3) and F(4, 3).
OUTPUT_TILES = (2, 4)

_F23 = dict(  # points 0, 1, -1, infinity
    B_T=[[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
    G=[[1, 0, 0], [1 / 2, 1 / 2, 1 / 2], [1 / 2, -1 / 2, 1 / 2], [0, 0, 1]],
    A_T=[[1, 1, 1, 0], [0, 1, -1, -1]])
_F43 = dict(  # points 0, 1, -1, 2, -2, infinity
    B_T=[[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
         [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
    G=[[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
       [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]],
    A_T=[[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]])
_F11 = dict(B_T=[[1]], G=[[1]], A_T=[[1]])


def transform_matrices(output_tile=2, kernel_size=3, dtype=np.float64):
    """The matrices ``(B^T, G, A^T)`` of Winograd's F(output_tile, kernel_size).

    Parameters
    ----------
    output_tile : {2, 4}
        Outputs per tile ``m``; a tile holds ``m + kernel_size - 1`` inputs.
    kernel_size : {3, 1}
        1 gives the trivial algorithm (all three matrices ``[[1]]``).
    dtype : numpy dtype, default float64

    Returns
    -------
    B_T, G, A_T : ndarrays of shapes (t, t), (t, r), (m, t) with ``t = m + r - 1``

    Examples
    --------
    >>> B_T, G, A_T = transform_matrices(2)
    >>> d, g = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 0.0, -1.0])
    >>> A_T @ ((G @ g) * (B_T @ d))  # = [d0 - d2, d1 - d3]
    array([-2., -2.])
    """
    if kernel_size == 1:
        table = _F11
    elif kernel_size == 3 and output_tile in OUTPUT_TILES:
        table = _F23 if output_tile == 2 else _F43
    else:
        raise ValueError(f"Winograd F(m, r) is implemented for r = 3 with m in {OUTPUT_TILES} "
                         f"(and r = 1); got m={output_tile!r}, r={kernel_size!r}")
    return tuple(np.array(table[name], dtype=dtype) for name in ("B_T", "G", "A_T"))


def _axis_transforms(kernel_size, output_tile, dtype):
    """Per spatial axis: (B^T, G, A^T, m) -- the trivial F(1, 1) along an axis of size 1."""
    return [transform_matrices(output_tile if k == 3 else 1, k, dtype) + ((output_tile if k == 3 else 1),)
            for k in kernel_size]


def _tiles(a, tile, step, counts):
    """Overlapping ``tile`` windows of the last two axes of ``a`` every ``step`` cells.

    ``a`` is padded with zeros at the bottom/right so that ``counts`` tiles fit;
    the result has shape ``a.shape[:-2] + counts + tile``.
    """
    need = [(n - 1) * s + t for n, s, t in zip(counts, step, tile)]
    a = np.pad(a, [(0, 0)] * (a.ndim - 2) + [(0, max(0, k - n)) for k, n in zip(need, a.shape[-2:])])
    windows = sliding_window_view(a, tile, axis=(-2, -1))  # (..., H-t+1, W-t+1, tH, tW)
    return windows[..., :counts[0] * step[0]:step[0], :counts[1] * step[1]:step[1], :, :]


def winograd_tile(d, g, output_tile=2):
    """One tile by the formula, ``A^T [(G g G^T) * (B^T d B)] A``: the spec the batched code meets.

    Parameters
    ----------
    d : ndarray, shape (m + 2, m + 2), an input tile
    g : ndarray, shape (3, 3), a kernel
    output_tile : {2, 4}

    Returns
    -------
    ndarray, shape (m, m): the valid correlation of ``d`` with ``g``.

    Examples
    --------
    >>> d = np.arange(16.0).reshape(4, 4)
    >>> winograd_tile(d, np.ones((3, 3)))  # each output: the sum of a 3x3 window
    array([[45., 54.],
           [81., 90.]])
    """
    B_T, G, A_T = transform_matrices(output_tile, 3, np.result_type(d, g))
    return A_T @ ((G @ g @ G.T) * (B_T @ d @ B_T.T)) @ A_T.T


def winograd_correlate(xp, weight, groups=1, output_tile=2):
    """Valid stride-1 correlation of a padded input with 3x3 kernels, by Winograd F(m x m, 3 x 3).

    Parameters
    ----------
    xp : ndarray, shape (N, C_in, Hp, Wp), already padded
    weight : ndarray, shape (C_out, C_in // groups, kH, kW), each of kH, kW 3 or 1
    groups : int, default 1
    output_tile : {2, 4}, default 2

    Returns
    -------
    ndarray, shape (N, C_out, Hp - kH + 1, Wp - kW + 1)

    Notes
    -----
    Every tile is `winograd_tile`'s formula; here all tiles, channels and images
    at once, with the sum over input channels done in the frequency domain.

    Examples
    --------
    >>> xp = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> winograd_correlate(xp, np.ones((1, 1, 3, 3)))[0, 0]
    array([[45., 54.],
           [81., 90.]])
    """
    (bt_h, g_h, at_h, m_h), (bt_w, g_w, at_w, m_w) = _axis_transforms(
        weight.shape[-2:], output_tile, xp.dtype)
    n_images, c_in, c_out = xp.shape[0], xp.shape[1], weight.shape[0]
    out = (xp.shape[2] - weight.shape[2] + 1, xp.shape[3] - weight.shape[3] + 1)
    counts = (-(-out[0] // m_h), -(-out[1] // m_w))
    d = _tiles(xp, (bt_h.shape[0], bt_w.shape[0]), (m_h, m_w), counts)  # (N, C_in, th, tw, a, b)
    # Axes: n image, g group, c input channel, o output channel (both within the group),
    # p, q tile row and column, a, b frequency.
    c, o = c_in // groups, c_out // groups

    with np.errstate(invalid="ignore"):  # inf * 0 in a transform: NaN in that tile, by design
        V = bt_h @ d @ bt_w.T  # B^T d B: every input tile in the frequency domain
        U = g_h @ weight @ g_w.T  # G g G^T: every kernel in the frequency domain
        # (G g G^T) * (B^T d B), summed over input channels: at each frequency (a, b) and
        # group, one matrix product (o, c) @ (c, n p q).
        V_ab = np.einsum("ngcpqab->abgcnpq", V.reshape(n_images, groups, c, *counts, *V.shape[-2:]))
        U_ab = np.einsum("gocab->abgoc", U.reshape(groups, o, c, *U.shape[-2:]))
        M_ab = U_ab @ V_ab.reshape(*V_ab.shape[:4], -1)  # (a, b, g, o, n p q)
        M = np.einsum("abgonpq->ngopqab", M_ab.reshape(*M_ab.shape[:4], n_images, *counts))
        Y = at_h @ M.reshape(n_images, c_out, *counts, *M.shape[-2:]) @ at_w.T  # A^T M A
    # Each (p, q) tile gives an m x m block of the output: (n, o, p, i, q, j) -> rows, columns.
    y = np.einsum("nopqij->nopiqj", Y).reshape(n_images, c_out, counts[0] * m_h, counts[1] * m_w)
    return np.ascontiguousarray(y[:, :, :out[0], :out[1]])


def winograd_weight_grad(xp, grad_out, groups=1, output_tile=2):
    """``dw`` of a stride-1 correlation with 3x3 kernels: F(3, m) from F(m, 3)'s matrices.

    ``dw[o, c] = sum over images and tiles of G^T [(A e A^T) * (B^T d B)] G``
    for each ``m x m`` tile ``e`` of ``grad_out[:, o]`` and the
    ``(m + 2) x (m + 2)`` input tile ``d`` of ``xp[:, c]`` under it.

    Parameters
    ----------
    xp : ndarray, shape (N, C_in, Hp, Wp), the padded input
    grad_out : ndarray, shape (N, C_out, Hp - kH + 1, Wp - kW + 1)
    groups : int, default 1
    output_tile : {2, 4}, default 2

    Returns
    -------
    ndarray, shape (C_out, C_in // groups, kH, kW)

    Examples
    --------
    >>> xp = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> winograd_weight_grad(xp, np.ones((1, 1, 2, 2)))[0, 0]
    array([[10., 14., 18.],
           [26., 30., 34.],
           [42., 46., 50.]])
    """
    kernel = (xp.shape[2] - grad_out.shape[2] + 1, xp.shape[3] - grad_out.shape[3] + 1)
    (bt_h, g_h, at_h, m_h), (bt_w, g_w, at_w, m_w) = _axis_transforms(kernel, output_tile, xp.dtype)
    n_images, c_in, c_out = xp.shape[0], xp.shape[1], grad_out.shape[1]
    counts = (-(-grad_out.shape[2] // m_h), -(-grad_out.shape[3] // m_w))
    d = _tiles(xp, (bt_h.shape[0], bt_w.shape[0]), (m_h, m_w), counts)  # (N, C_in, th, tw, a, b)
    e = _tiles(grad_out, (m_h, m_w), (m_h, m_w), counts)  # (N, C_out, th, tw, m_h, m_w)
    c, o = c_in // groups, c_out // groups  # axes named as in winograd_correlate

    with np.errstate(invalid="ignore"):  # inf * 0 in a transform gives NaN, as it should
        V = bt_h @ d @ bt_w.T  # B^T d B: input tiles in the frequency domain
        E = at_h.T @ e @ at_w  # A e A^T: gradient tiles in the frequency domain
        # (A e A^T) * (B^T d B), summed over images and tiles: at each frequency (a, b) and
        # group, one matrix product (o, n p q) @ (n p q, c).
        a, b = V.shape[-2:]
        V_ab = np.einsum("ngcpqab->abgcnpq", V.reshape(n_images, groups, c, *counts, a, b))
        E_ab = np.einsum("ngopqab->abgonpq", E.reshape(n_images, groups, o, *counts, a, b))
        M_ab = E_ab.reshape(a, b, groups, o, -1) @ V_ab.reshape(a, b, groups, c, -1).swapaxes(-1, -2)
        M = np.einsum("abgoc->gocab", M_ab).reshape(c_out, c, a, b)
        return g_h.T @ M @ g_w  # G^T M G: (C_out, C_in/g, kH, kW)


def forward_winograd(x, weight, bias, stride, padding, dilation, groups, output_tile=2):
    """Convolution forward by Winograd F(2x2, 3x3) (or F(4x4, 3x3) with ``output_tile=4``).

    Takes the validated, normalised arguments of every method (see
    `convlab.conv.forward`); needs a 3x3 kernel (size 3 in 1-D), stride 1,
    dilation 1 (else ``ValueError``). Any padding, groups and batch.

    Notes
    -----
    ``y = bias + A^T [(G g G^T) * (B^T d B)] A`` per tile, the channel sums as
    one GEMM per frequency (`winograd_correlate`). float64 agrees with the
    direct sum to ~1e-15 relative. In float32, on unit-scale 64-channel
    layers, F(2x2, 3x3) is about as exact as the direct sum (both a few
    1e-7 relative) and F(4x4, 3x3) about 10x less (~5e-6): its transforms'
    larger constants add and subtract numbers of different sizes.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> forward_winograd(x, np.ones((1, 1, 3, 3)), None, (1, 1), ((0, 0), (0, 0)), (1, 1), 1)[0, 0]
    array([[45., 54.],
           [81., 90.]])
    """
    check_winograd_geometry(weight.shape[-2:], stride, dilation)
    check_member(output_tile, "output_tile", OUTPUT_TILES)
    y = winograd_correlate(pad(x, padding), weight, groups, output_tile)
    return y if bias is None else y + bias.reshape(1, -1, 1, 1)


def backward_winograd(grad_out, x, weight, stride, padding, dilation, groups, output_tile=2):
    """Gradients ``(dx, dw, db)`` of a 3x3 stride-1 convolution, both by Winograd.

    Notes
    -----
    ``dxp = correlate(pad(grad_out, k - 1), rot180(weight) with C_in, C_out swapped)``
    (`winograd_correlate`), cropped by the padding to ``dx``;
    ``dw`` by `winograd_weight_grad`; ``db`` the sum of ``grad_out``.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> dx, dw, db = backward_winograd(np.ones((1, 1, 2, 2)), x, np.ones((1, 1, 3, 3)),
    ...                                (1, 1), ((0, 0), (0, 0)), (1, 1), 1)
    >>> dx[0, 0]
    array([[1., 2., 2., 1.],
           [2., 4., 4., 2.],
           [2., 4., 4., 2.],
           [1., 2., 2., 1.]])
    >>> db
    array([4.])
    """
    check_winograd_geometry(weight.shape[-2:], stride, dilation)
    check_member(output_tile, "output_tile", OUTPUT_TILES)
    kh, kw = weight.shape[-2:]
    (top, bottom), (left, right) = padding
    c_out, c_group = weight.shape[:2]
    # rot180 and swap in/out channels inside each group: (C_in, C_out/g, kH, kW)
    rotated = weight[:, :, ::-1, ::-1].reshape(groups, c_out // groups, c_group, kh, kw)
    rotated = rotated.transpose(0, 2, 1, 3, 4).reshape(groups * c_group, c_out // groups, kh, kw)
    dxp = winograd_correlate(pad(grad_out, ((kh - 1, kh - 1), (kw - 1, kw - 1))), rotated, groups,
                             output_tile)
    dx = dxp[:, :, top:dxp.shape[2] - bottom, left:dxp.shape[3] - right]
    dw = winograd_weight_grad(pad(x, padding), grad_out, groups, output_tile)
    return np.ascontiguousarray(dx), dw, grad_out.sum(axis=(0, 2, 3))


def winograd_multiplications(n, c_in, c_out, out_size, output_tile=2):
    """Multiplications of a 3x3 stride-1 layer's forward: ``(Winograd, direct / im2row)``.

    Counts the products in the frequency domain (``(m + 2)^2`` per tile, per
    input and output channel pair) against the direct sum's ``9`` per
    output, per channel pair; the transforms (additions, and a few
    multiplications by constants) are not counted.

    Examples
    --------
    >>> winograd_multiplications(1, 1, 1, (4, 4))  # 4 tiles of 2x2: 4 * 16 vs 16 * 9
    (64, 144)
    """
    tiles = -(-out_size[0] // output_tile) * -(-out_size[1] // output_tile)
    direct = n * c_in * c_out * out_size[0] * out_size[1] * 9
    return n * c_in * c_out * tiles * (output_tile + 2) ** 2, direct
