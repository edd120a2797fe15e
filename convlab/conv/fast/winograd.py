"""Winograd F(4x4, 3x3) engineered for speed: the engine `fast` uses for 3x3 stride-1 layers.

The teaching version (`convlab.conv.winograd`) transforms every tile with
small matrix products ``B^T d B``; numpy runs those one 6x6 product at a
time, which is slow. Here every transform is one large GEMM instead, and
the work is cut into cache-sized blocks:

* **Transforms as GEMMs.** ``B^T d B`` for all tiles at once is
  ``kron(B^T, B^T) (36 x 36) @ D (36, tiles * C_in)``, where row ``(u, v)``
  of ``D`` holds pixel ``(u, v)`` of every tile and channel; likewise the
  kernels (``kron(G, G)``, once per call) and the outputs
  (``kron(A^T, A^T)``, 16 x 36). The result of each is already laid out
  for the next GEMM.
* **Per-frequency GEMMs.** ``M[f] = V[f] (tiles, C_in) @ U[f]^T (C_in, C_out)``
  for the 36 frequencies: 4x fewer multiply-adds than the direct sum.
* **Channels last for the gather.** Each image is split into its four
  column phases with channels innermost, copied straight from the input
  (only the border cells are zeroed); the 36 tile pixels of a block are
  then four copies of runs of ``C_in`` contiguous numbers (see
  `_input_frequencies`). ``M`` and the output transform reuse the
  buffers of the pixels and of ``V`` once those are done with.
* **Bias for free.** ``A^T`` has a column of ones, so the bias added to one
  frequency of ``M`` reaches all 16 outputs of a tile: one row of ``M``
  instead of a pass over the output.
* **Blocks.** A few whole images at a time (or a few tile rows of one
  image, when it has more than ``winograd_tiles_per_block`` tiles, see
  `configure`), in scratch arrays kept between calls
  (`convlab.conv.fast.workspace.Scratch`).
* **Threads over images.** `convlab.conv.fast.threads.map_images` shares
  the batch out over worker threads on single-threaded BLAS, each with its
  own scratch arrays; the backward's workers compute ``dx`` and their share
  of ``dw`` for their images. That beats BLAS's threads sharing each
  product: the per-frequency GEMMs are too small to gain from a second BLAS
  thread, and the copies would use one core. The kernel and ``dw``
  transforms around the pool call run on single-threaded BLAS too
  (`convlab.conv.fast.threads.quiet_blas`), or BLAS's spinning idle worker
  would take one of the pool's cores.
* **A checked memory plan.** `winograd_scratch` declares which buffers
  share memory (``M`` and ``E`` reuse the gathered pixels, ``Y`` reuses
  ``V``); taking one while its partner is in use raises.

F(4x4, 3x3) is used because its float32 error stays small on unit-scale
layers, far under the 1e-4 allowed (F(2x2, 3x3) and the direct sum are more
accurate still, and slower). The measurements behind these choices are in
the repository's ``docs/BENCH.md``.

`forward_winograd_fast` and `backward_winograd_fast` take the normalised
arguments of every method; they handle groups group by group.
"""

import functools

import numpy as np

from ..winograd import check_winograd_geometry, transform_matrices
from .config import settings
from .threads import map_images, quiet_blas
from .workspace import Scratch

#: Outputs per tile side: F(4x4, 3x3), 6x6 input tiles, 36 frequencies.
TILE = 4

#: `fast` runs Winograd when each group has at least this many input and output channels:
#: with fewer, the per-frequency GEMMs are too thin and the transforms cost more than they save.
MIN_CHANNELS = 16

#: Phase buffers up to this size are zeroed whole, larger ones only on their borders.
WHOLE_ZEROING_BYTES = 64 << 10


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


@functools.lru_cache(maxsize=None)
def _all_ones_frequency():
    """The frequency ``(k, k)`` whose output transform is a tile of ones: adding the bias there
    adds it to every output of the tile, at the cost of one row of ``M`` instead of the output."""
    A_T = transform_matrices(TILE, 3)[2]
    k = next(k for k in range(A_T.shape[1]) if np.all(A_T[:, k] == 1))
    return k * A_T.shape[1] + k


@functools.lru_cache(maxsize=None)
def _kron_matrices(dtype):
    """2-D transforms as matrices on flattened tiles: input (36, 36), kernel (36, 9), output (16, 36).

    Cached per dtype, as read-only arrays."""
    B_T, G, A_T = transform_matrices(TILE, 3)
    mats = {"input": np.kron(B_T, B_T), "kernel": np.kron(G, G), "output": np.kron(A_T, A_T),
            "grad": np.kron(A_T.T, A_T.T), "weight_grad": np.kron(G.T, G.T)}
    for name, matrix in mats.items():
        mats[name] = matrix.astype(dtype)
        mats[name].flags.writeable = False
    return mats


class _Grid:
    """Tiles and blocks of a stride-1 3x3 correlation of ``n_images`` (padded) ``Hp x Wp`` inputs.

    A block is a few whole images, when an image has at most
    ``winograd_tiles_per_block`` tiles (see `configure`), or else a few tile
    rows of one image: ``blocks`` yields ``(b0, b1, r0, r1)``, images
    ``b0:b1`` and tile rows ``r0:r1``.
    """

    def __init__(self, padded_hw, n_images):
        self.out_h, self.out_w = padded_hw[0] - 2, padded_hw[1] - 2
        self.tiles_h, self.tiles_w = -(-self.out_h // TILE), -(-self.out_w // TILE)
        per_block = settings().winograd_tiles_per_block
        image_tiles = self.tiles_h * self.tiles_w
        self.images = max(1, min(n_images, per_block // image_tiles))
        self.rows = self.tiles_h if image_tiles <= per_block else max(1, per_block // self.tiles_w)
        # whole 4-row and 4-column groups covering every tile (see `_input_frequencies`)
        self.buffer_hw = (TILE * (self.tiles_h + 1), TILE * (self.tiles_w + 1))

    def blocks(self, start, stop):
        for b0 in range(start, stop, self.images):
            for r0 in range(0, self.tiles_h, self.rows):
                yield b0, min(b0 + self.images, stop), r0, min(r0 + self.rows, self.tiles_h)


def winograd_scratch():
    """The engine's memory plan: the products ``M`` and ``E`` reuse the gathered pixels' memory,
    the output transform ``Y`` reuses ``V``'s (each once the other is done with)."""
    return Scratch("winograd", ["phases", "pixels", "V", "M", "Y", "E", "e", "grad", "wide"],
                   shares=[("pixels", "M", "E"), ("V", "Y")])


def _column_phases(images, pads, grid, scratch):
    """``images`` (n, C, H, W) zero-padded by ``pads`` (a negative pad crops), split into column phases.

    ``phases[p, b, h, j, c] = padded[b, c, h, 4 j + p]``, channels last: tile pixel ``(u, v)``
    of the tiles ``(i, j)`` is ``phases[v % 4, :, 4 i + u, j + v // 4]``, long contiguous runs.
    Each phase is copied straight from ``images``; only its border cells are zeroed
    (all of a buffer under `WHOLE_ZEROING_BYTES`: one pass beats four strips per phase).
    """
    (top, _), (left, _) = pads
    n, channels, height, width = images.shape
    rows, cols = grid.buffer_hw
    phases = scratch.take("phases", (TILE, n, rows, cols // TILE, channels), images.dtype)
    # the image rows and columns the padded image really has (its bottom/right padding stays zero)
    r0, r1 = max(0, -top), min(height, rows - top, grid.out_h + 2 - top)
    c0, c1 = max(0, -left), min(width, cols - left, grid.out_w + 2 - left)
    whole = phases.nbytes <= WHOLE_ZEROING_BYTES
    if whole:
        phases[...] = 0
    for p in range(TILE):
        first = c0 + (p - left - c0) % TILE  # the first image column at padded column 4 j + p
        count = len(range(first, c1, TILE))
        j0 = (first + left - p) // TILE
        phase = phases[p]
        if not whole:
            phase[:, :top + r0] = 0
            phase[:, top + r1:] = 0
            phase[:, :, :j0] = 0
            phase[:, :, j0 + count:] = 0
        phase[:, top + r0:top + r1, j0:j0 + count] = images[:, :, r0:r1, first:c1:TILE].transpose(0, 2, 3, 1)
    return phases


def _input_frequencies(phases, r0, r1, grid, input_t, scratch):
    """``V`` (36, tiles, C) of tile rows ``r0:r1`` of a block's images: gather the 36 tile pixels, one GEMM.

    The tiles are in the order (image, tile row, tile column). With the rows
    of the phases in groups of four, pixel ``(u, v)`` of tile ``(i, j)`` is
    ``grouped[v % 4, b, i + u // 4, u % 4, j + v // 4]``: the pixels with
    ``u, v < 4`` are one view of ``grouped``, and so are each of the three
    sets with ``u >= 4`` or ``v >= 4`` (one tile row or column further on),
    so the gather is four copies.
    """
    n, rows, cols, channels = phases.shape[1:]
    grouped = phases.reshape(TILE, n, rows // TILE, TILE, cols, channels)
    pixels = scratch.take("pixels", (6, 6, n, r1 - r0, grid.tiles_w, channels), phases.dtype)
    for u0, u1, down in ((0, 4, 0), (4, 6, 1)):
        for v0, v1, across in ((0, 4, 0), (4, 6, 1)):
            view = grouped[:v1 - v0, :, r0 + down:r1 + down, :u1 - u0, across:across + grid.tiles_w]
            pixels[u0:u1, v0:v1] = view.transpose(3, 0, 1, 2, 4, 5)  # (u, v, b, i, j, c)
    V = scratch.take("V", (36, n * (r1 - r0) * grid.tiles_w, channels), phases.dtype)
    np.matmul(input_t, pixels.reshape(36, -1), out=V.reshape(36, -1))
    scratch.free("pixels")
    return V


def _correlate_images(images, kernel_freq, pads, out, bias=None):
    """``out[b] = correlate(pad(images[b], pads), kernel) (+ bias)`` for every image.

    ``kernel_freq`` is ``U`` (36, C_out, C_in), the kernels in the frequency domain.
    """
    dtype, c_out = images.dtype, kernel_freq.shape[1]
    (top, bottom), (left, right) = pads
    grid = _Grid((images.shape[2] + top + bottom, images.shape[3] + left + right), images.shape[0])
    mats = _kron_matrices(dtype)
    kernel_t = np.ascontiguousarray(kernel_freq.transpose(0, 2, 1))  # (36, C_in, C_out)
    scratch = winograd_scratch()
    for b0, b1, r0, r1 in grid.blocks(0, images.shape[0]):
        if r0 == 0:
            phases = _column_phases(images[b0:b1], pads, grid, scratch)
        V = _input_frequencies(phases, r0, r1, grid, mats["input"], scratch)
        M = scratch.take("M", (36, V.shape[1], c_out), dtype)
        np.matmul(V, kernel_t, out=M)  # one GEMM per frequency: (tiles, C_in) @ (C_in, C_out)
        scratch.free("V")
        if bias is not None:
            M[_all_ones_frequency()] += bias
        Y = scratch.take("Y", (16, c_out * M.shape[1]), dtype)
        np.matmul(mats["output"], M.reshape(36, -1), out=Y)
        scratch.free("M")
        # y[b, o, 4 i + r, 4 j + s] = Y[r, s, b, i, j, o]
        n, rows = b1 - b0, r1 - r0
        blocks = Y.reshape(TILE, TILE, n, rows, grid.tiles_w, c_out).transpose(2, 5, 3, 0, 4, 1)
        keep = min(rows * TILE, grid.out_h - r0 * TILE)
        target = out[b0:b1, :, r0 * TILE:r0 * TILE + keep]
        if keep == rows * TILE and grid.out_w == grid.tiles_w * TILE:  # whole tiles: one copy
            target = target.reshape(blocks.shape)
        else:  # partial tiles at the bottom/right edge: through a kept buffer
            wide = scratch.take("wide", (n, c_out, rows * TILE, grid.tiles_w * TILE), out.dtype)
            wide.reshape(blocks.shape)[...] = blocks
            blocks = wide[:, :, :keep, :grid.out_w]
        target[...] = blocks
        scratch.free("Y")


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
    macs = x.size // groups * (c_out // groups) * 9
    with quiet_blas(n_images, macs):  # the kernel transforms too: see `convlab.conv.fast.threads`
        for inputs, outputs in _group_slices(groups, c_in, c_out):
            U = _kernel_frequencies(weight[outputs])
            part_bias = None if bias is None else bias[outputs]
            xs, ys = x[:, inputs], y[:, outputs]

            def work(start, stop, xs=xs, ys=ys, U=U, part_bias=part_bias):
                _correlate_images(xs[start:stop], U, padding, ys[start:stop], part_bias)

            map_images(work, n_images, macs)
    return y


def _weight_frequencies(x, grad_out, pads):
    """``sum over images and tiles of (A e A^T) * (B^T d B)`` per frequency: (36, C_out, C_in)."""
    dtype, c_in, c_out = x.dtype, x.shape[1], grad_out.shape[1]
    (top, bottom), (left, right) = pads
    grid = _Grid((x.shape[2] + top + bottom, x.shape[3] + left + right), x.shape[0])
    mats = _kron_matrices(dtype)
    total = np.zeros((36, c_out, c_in), dtype)
    product = np.empty_like(total)
    scratch = winograd_scratch()
    for b0, b1, r0, r1 in grid.blocks(0, x.shape[0]):
        n, rows = b1 - b0, r1 - r0
        if r0 == 0:
            phases = _column_phases(x[b0:b1], pads, grid, scratch)
            grad = grad_out[b0:b1]
            if grad.shape[2:] != (grid.tiles_h * TILE, grid.tiles_w * TILE):  # partial tiles: pad with 0
                grad = scratch.take("grad", (n, c_out, grid.tiles_h * TILE, grid.tiles_w * TILE), dtype,
                                    zero=True)
                grad[:, :, :grid.out_h, :grid.out_w] = grad_out[b0:b1]
        V = _input_frequencies(phases, r0, r1, grid, mats["input"], scratch)
        block = grad[:, :, r0 * TILE:r1 * TILE].reshape(n, c_out, rows, TILE, grid.tiles_w, TILE)
        e = scratch.take("e", (TILE, TILE, c_out, n, rows, grid.tiles_w), dtype)
        e[...] = block.transpose(3, 5, 1, 0, 2, 4)  # e[r, s, o, b, i, j] = g[b, o, 4 i + r, 4 j + s]
        E = scratch.take("E", (36, c_out, V.shape[1]), dtype)
        np.matmul(mats["grad"], e.reshape(16, -1), out=E.reshape(36, -1))
        total += np.matmul(E, V, out=product)  # per frequency: (C_out, tiles) @ (tiles, C_in)
        scratch.free("E", "V")
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
    c_in, c_out = x.shape[1], weight.shape[0]
    grad_out = np.ascontiguousarray(grad_out)
    (top, bottom), (left, right) = padding
    back_pads = ((2 - top, 2 - bottom), (2 - left, 2 - right))
    dx = np.empty_like(x)
    dw = np.empty_like(weight)
    weight_grad_t = _kron_matrices(x.dtype)["weight_grad"]
    macs = 2 * x.size // groups * (c_out // groups) * 9
    with quiet_blas(x.shape[0], macs):  # the kernel and dw transforms too: see `convlab.conv.fast.threads`
        for inputs, outputs in _group_slices(groups, c_in, c_out):
            rotated = weight[outputs, :, ::-1, ::-1].transpose(1, 0, 2, 3)  # (C_in/g, C_out/g, 3, 3)
            U = _kernel_frequencies(np.ascontiguousarray(rotated))
            gs, xs, dxs = grad_out[:, outputs], x[:, inputs], dx[:, inputs]

            def work(start, stop, gs=gs, xs=xs, dxs=dxs, U=U):
                _correlate_images(gs[start:stop], U, back_pads, dxs[start:stop])
                return _weight_frequencies(xs[start:stop], gs[start:stop], padding)

            M = sum(map_images(work, x.shape[0], macs))  # in range order: reproducible
            dw_part = weight_grad_t @ M.reshape(36, -1)  # G^T M G: (9, C_out/g * C_in/g)
            dw[outputs] = dw_part.reshape(3, 3, -1, c_in // groups).transpose(2, 3, 0, 1)
    return dx, dw, grad_out.sum(axis=(0, 2, 3))
