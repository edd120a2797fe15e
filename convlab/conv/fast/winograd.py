"""Winograd F(4x4, 3x3) engineered for speed: the engine `fast` uses for 3x3 stride-1 layers.

The teaching version (`convlab.conv.winograd`) transforms every tile with
small matrix products ``B^T d B``; numpy runs those one 6x6 product at a
time, which is slow. Here every transform is one large GEMM instead, and
the work is cut into cache-sized blocks:

* **Transforms as GEMMs.** ``B^T d B`` for all tiles at once is
  ``kron(B^T, B^T) (36 x 36) @ D (36, C_in * tiles)``, where row ``(u, v)``
  of ``D`` holds pixel ``(u, v)`` of every tile; likewise the kernels
  (``kron(G, G)``, once per call) and the outputs (``kron(A^T, A^T)``,
  16 x 36). The result of each is already laid out for the next GEMM.
* **Per-frequency GEMMs.** ``M[f] = U[f] (C_out, C_in) @ V[f] (C_in, tiles)``
  for the 36 frequencies: 4x fewer multiply-adds than the direct sum.
* **Blocks.** One image at a time (tile rows split when an image has more
  than ``winograd_tiles_per_block`` tiles, see `configure`), in scratch arrays kept between calls
  (`convlab.conv.fast.workspace.workspace`), images shared out over threads
  (`convlab.conv.fast.threads.map_images`).

F(4x4, 3x3) is used because its float32 error stays small on unit-scale
layers: measured about 5e-6 relative to the output's scale (F(2x2, 3x3) and
the direct float32 sum: a few 1e-7), far under the 1e-4 allowed.

`forward_winograd_fast` and `backward_winograd_fast` take the normalised
arguments of every method; they handle groups group by group.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..winograd import check_winograd_geometry, transform_matrices
from .config import settings
from .threads import map_images
from .workspace import workspace

#: Outputs per tile side: F(4x4, 3x3), 6x6 input tiles, 36 frequencies.
TILE = 4
#: Upper bound on the tiles transformed together (a block's arrays are ~36 x channels x tiles).


#: `fast` runs Winograd when each group has at least this many input and output channels:
#: with fewer, the per-frequency GEMMs are too thin and the transforms cost more than they save.
MIN_CHANNELS = 16


def winograd_wins(weight_shape, stride, dilation, groups):
    """True where `fast` should use this engine: 3x3, stride 1, dilation 1, wide enough groups.

    Examples
    --------
    >>> winograd_wins((64, 64, 3, 3), (1, 1), (1, 1), 1), winograd_wins((64, 1, 3, 3), (1, 1), (1, 1), 64)
    (True, False)
    """
    c_out, c_group, kh, kw = weight_shape
    return ((kh, kw) == (3, 3) and tuple(stride) == (1, 1) and tuple(dilation) == (1, 1)
            and c_group >= MIN_CHANNELS and c_out // groups >= MIN_CHANNELS)


def _kron_matrices(dtype):
    """2-D transforms as matrices on flattened tiles: input (36, 36), kernel (36, 9), output (16, 36)."""
    B_T, G, A_T = transform_matrices(TILE, 3)
    return {"input": np.kron(B_T, B_T).astype(dtype), "kernel": np.kron(G, G).astype(dtype),
            "output": np.kron(A_T, A_T).astype(dtype), "grad": np.kron(A_T.T, A_T.T).astype(dtype),
            "weight_grad": np.kron(G.T, G.T).astype(dtype)}


class _Grid:
    """Tile counts and block rows of a stride-1 3x3 correlation on a (padded) ``Hp x Wp`` input."""

    def __init__(self, padded_hw):
        self.out_h, self.out_w = padded_hw[0] - 2, padded_hw[1] - 2
        self.tiles_h, self.tiles_w = -(-self.out_h // TILE), -(-self.out_w // TILE)
        rows = max(1, min(self.tiles_h, settings().winograd_tiles_per_block // self.tiles_w))
        self.blocks = [(r, min(r + rows, self.tiles_h)) for r in range(0, self.tiles_h, rows)]
        # rows for every tile; columns a whole number of 4-column groups (see `_column_phases`)
        self.buffer_hw = (TILE * self.tiles_h + 2, TILE * (self.tiles_w + 1))


def _padded_image(image, pads, grid, name):
    """``image`` (C, H, W) zero-padded by ``pads`` (a negative pad crops) into a kept buffer."""
    (top, _), (left, _) = pads
    buffer = workspace(name, (image.shape[0],) + grid.buffer_hw, image.dtype)
    buffer[...] = 0
    rows = slice(max(0, -top), min(image.shape[1], grid.buffer_hw[0] - top))
    cols = slice(max(0, -left), min(image.shape[2], grid.buffer_hw[1] - left))
    # only the cells the padded image really has (its bottom/right padding stays zero)
    rows = slice(rows.start, min(rows.stop, grid.out_h + 2 - top))
    cols = slice(cols.start, min(cols.stop, grid.out_w + 2 - left))
    buffer[:, rows.start + top:rows.stop + top, cols.start + left:cols.stop + left] = image[:, rows, cols]
    return buffer


def _column_phases(padded):
    """``phases[p, c, h, j] = padded[c, h, 4 j + p]``: tile pixel ``(u, v)`` of tile ``(i, j)``
    is then ``phases[v % 4, c, 4 i + u, j + v // 4]``, runs of contiguous numbers."""
    channels, rows, cols = padded.shape
    phases = workspace("winograd_phases", (TILE, channels, rows, cols // TILE), padded.dtype)
    phases[...] = padded.reshape(channels, rows, cols // TILE, TILE).transpose(3, 0, 1, 2)
    return phases


def _input_frequencies(phases, r0, r1, grid, input_t):
    """``V`` (36, C, tiles) of tile rows ``r0:r1``: gather the 36 tile pixels, one GEMM."""
    channels, n_tiles = phases.shape[1], (r1 - r0) * grid.tiles_w
    pixels = workspace("winograd_pixels", (6, 6, channels, r1 - r0, grid.tiles_w), phases.dtype)
    for u in range(6):
        rows = slice(TILE * r0 + u, TILE * (r1 - 1) + u + 1, TILE)
        for v in range(6):
            pixels[u, v] = phases[v % TILE, :, rows, v // TILE:v // TILE + grid.tiles_w]
    V = workspace("winograd_v", (36, channels, n_tiles), phases.dtype)
    np.matmul(input_t, pixels.reshape(36, -1), out=V.reshape(36, -1))
    return V


def _correlate_images(images, kernel_freq, pads, out, start, stop, bias=None):
    """``out[b] = correlate(pad(images[b], pads), kernel)`` for ``b`` in ``start:stop``.

    ``kernel_freq`` is ``U`` (36, C_out, C_in), the kernels in the frequency domain.
    """
    dtype, c_out = images.dtype, kernel_freq.shape[1]
    (top, bottom), (left, right) = pads
    grid = _Grid((images.shape[2] + top + bottom, images.shape[3] + left + right))
    mats = _kron_matrices(dtype)
    for b in range(start, stop):
        phases = _column_phases(_padded_image(images[b], pads, grid, "winograd_padded"))
        for r0, r1 in grid.blocks:
            V = _input_frequencies(phases, r0, r1, grid, mats["input"])
            M = workspace("winograd_m", (36, c_out, V.shape[2]), dtype)
            np.matmul(kernel_freq, V, out=M)  # one GEMM per frequency
            Y = workspace("winograd_y", (16, c_out * V.shape[2]), dtype)
            np.matmul(mats["output"], M.reshape(36, -1), out=Y)
            # y[o, 4 i + r, 4 j + s] = Y[r, s, o, i, j]
            blocks = Y.reshape(TILE, TILE, c_out, r1 - r0, grid.tiles_w).transpose(2, 3, 0, 4, 1)
            rows, keep = (r1 - r0) * TILE, min((r1 - r0) * TILE, grid.out_h - r0 * TILE)
            target = out[b, :, r0 * TILE:r0 * TILE + keep]
            if keep == rows and grid.out_w == grid.tiles_w * TILE:  # whole tiles: one copy
                target = target.reshape(blocks.shape)
            else:  # partial tiles at the bottom/right edge: through a kept buffer
                wide = workspace("winograd_wide", (c_out, rows, grid.tiles_w * TILE), out.dtype)
                wide.reshape(blocks.shape)[...] = blocks
                blocks = wide[:, :keep, :grid.out_w]
            if bias is None:
                target[...] = blocks
            else:
                np.add(blocks, bias.reshape((-1,) + (1,) * (blocks.ndim - 1)), out=target)


def _kernel_frequencies(weight):
    """``U`` (36, C_out, C_in) = ``G g G^T`` of every kernel, as one GEMM."""
    c_out, c_in = weight.shape[:2]
    U = _kron_matrices(weight.dtype)["kernel"] @ weight.reshape(c_out * c_in, 9).T
    return np.ascontiguousarray(U.reshape(36, c_out, c_in))


def _check(weight, stride, dilation):
    check_winograd_geometry(weight.shape[-2:], stride, dilation)
    if weight.shape[-2:] != (3, 3):
        raise ValueError(f"the engineered Winograd path needs a 3x3 kernel; got {weight.shape[-2:]}")


def _group_slices(groups, c_in, c_out):
    return [(slice(k * c_in // groups, (k + 1) * c_in // groups),
             slice(k * c_out // groups, (k + 1) * c_out // groups)) for k in range(groups)]


def forward_winograd_fast(x, weight, bias, stride, padding, dilation, groups):
    """Forward pass of a 3x3 stride-1 convolution by F(4x4, 3x3) in cache-sized blocks.

    Same arguments and result as `convlab.conv.fast.forward_fast`.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> forward_winograd_fast(x, np.ones((1, 1, 3, 3)), None, (1, 1), ((0, 0), (0, 0)), (1, 1), 1)[0, 0]
    array([[45., 54.],
           [81., 90.]])
    """
    _check(weight, stride, dilation)
    n_images, c_in, height, width = x.shape
    c_out = weight.shape[0]
    (top, bottom), (left, right) = padding
    y = np.empty((n_images, c_out, height + top + bottom - 2, width + left + right - 2), x.dtype)
    for inputs, outputs in _group_slices(groups, c_in, c_out):
        U = _kernel_frequencies(weight[outputs])
        part_bias = None if bias is None else bias[outputs]
        part = y[:, outputs]

        def work(start, stop, xs=x[:, inputs], U=U, part=part, part_bias=part_bias):
            _correlate_images(xs, U, padding, part, start, stop, part_bias)

        map_images(work, n_images, x[:, inputs].size * c_out // groups * 9)
    return y


def _weight_grad_range(x, grad_out, pads, start, stop):
    """``sum over images start:stop and tiles of (A e A^T) * (B^T d B)`` per frequency: (36, C_out, C_in)."""
    dtype, c_in, c_out = x.dtype, x.shape[1], grad_out.shape[1]
    (top, bottom), (left, right) = pads
    grid = _Grid((x.shape[2] + top + bottom, x.shape[3] + left + right))
    mats = _kron_matrices(dtype)
    total = np.zeros((36, c_out, c_in), dtype)
    for b in range(start, stop):
        phases = _column_phases(_padded_image(x[b], pads, grid, "winograd_padded"))
        grad = workspace("winograd_grad", (c_out, grid.tiles_h * TILE, grid.tiles_w * TILE), dtype)
        grad[...] = 0
        grad[:, :grid.out_h, :grid.out_w] = grad_out[b]
        for r0, r1 in grid.blocks:
            V = _input_frequencies(phases, r0, r1, grid, mats["input"])
            rows = grad[:, r0 * TILE:r1 * TILE].reshape(c_out, r1 - r0, TILE, grid.tiles_w, TILE)
            e = workspace("winograd_e", (TILE, TILE, c_out, r1 - r0, grid.tiles_w), dtype)
            e[...] = rows.transpose(2, 4, 0, 1, 3)  # e[r, s, o, i, j] = g[o, 4 i + r, 4 j + s]
            E = workspace("winograd_ef", (36, c_out, V.shape[2]), dtype)
            np.matmul(mats["grad"], e.reshape(16, -1), out=E.reshape(36, -1))
            total += E @ V.transpose(0, 2, 1)  # per frequency: (C_out, tiles) @ (tiles, C_in)
    return total


def backward_winograd_fast(grad_out, x, weight, stride, padding, dilation, groups):
    """``(dx, dw, db)`` of a 3x3 stride-1 convolution by F(4x4, 3x3) in cache-sized blocks.

    Same arguments and results as `convlab.conv.fast.backward_fast`.
    ``dx`` is the correlation of the gradient padded by ``2 - padding`` (a
    negative pad crops) with the rotated kernels, channels swapped; ``dw``
    is F(3x3, 4x4) with F(4x4, 3x3)'s matrices in exchanged roles (see
    `convlab.conv.winograd`).

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> dx, dw, db = backward_winograd_fast(np.ones((1, 1, 2, 2)), x, np.ones((1, 1, 3, 3)),
    ...                                     (1, 1), ((0, 0), (0, 0)), (1, 1), 1)
    >>> dx[0, 0, 0], dw[0, 0, 0], db
    (array([1., 2., 2., 1.]), array([10., 14., 18.]), array([4.]))
    """
    _check(weight, stride, dilation)
    n_images, c_in = x.shape[:2]
    c_out = weight.shape[0]
    grad_out = np.ascontiguousarray(grad_out)
    (top, bottom), (left, right) = padding
    back_pads = ((2 - top, 2 - bottom), (2 - left, 2 - right))
    dx = np.empty_like(x)
    dw = np.empty_like(weight)
    weight_grad_t = _kron_matrices(x.dtype)["weight_grad"]
    macs = x.size * c_out // groups * 9
    for inputs, outputs in _group_slices(groups, c_in, c_out):
        rotated = weight[outputs, :, ::-1, ::-1].transpose(1, 0, 2, 3)  # (C_in/g, C_out/g, 3, 3)
        U = _kernel_frequencies(np.ascontiguousarray(rotated))
        g_part, x_part, dx_part = grad_out[:, outputs], x[:, inputs], dx[:, inputs]

        def work(start, stop, g_part=g_part, x_part=x_part, dx_part=dx_part, U=U):
            _correlate_images(g_part, U, back_pads, dx_part, start, stop)
            return _weight_grad_range(x_part, g_part, padding, start, stop)

        M = sum(map_images(work, n_images, 2 * macs))
        dw_part = weight_grad_t @ M.reshape(36, -1)  # G^T M G: (9, C_out/g * C_in/g)
        dw[outputs] = dw_part.reshape(3, 3, -1, c_in // groups).transpose(2, 3, 0, 1)
    return dx, dw, grad_out.sum(axis=(0, 2, 3))
