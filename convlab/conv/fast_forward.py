"""The "fast" forward pass (`forward_blocks`) and the machinery both passes share.

The teaching method ``im2row`` builds one patch matrix for the whole batch
and multiplies it by the flattened kernels. That is the right idea and the
wrong memory plan: for a ResNet-like layer the patch matrix is ~10x the
input. This module keeps the idea and changes three things.

1. **Small, reused patch buffers.** Patches are copied for a block of a few
   output rows of one image (or a few whole images, when they are small)
   into a buffer of about ``PATCH_BYTES``, which stays in the CPU cache and
   is reused for the next block, and kept for the next call (`workspace`).
2. **Columns, not rows.** The buffer holds patches as *columns*, shape
   ``(C_in*kH*kW, rows*W_out)``, so the copy runs along contiguous input
   rows and ``weight (C_out, C_in*kH*kW) @ patches`` lands directly in the
   ``(C_out, H_out*W_out)`` layout of the output: no transpose afterwards.
   The padded images are split into their ``sH*sW`` stride *phases* (with
   stride 1, the one phase is the padded image), where every tap reads a
   stride-1 window, and output rows are computed as wide as the phase rows
   (the few extra columns are thrown away): then each kernel tap's copy,
   and its slice-add in the backward pass, is one long contiguous run.
3. **Threads over the batch.** Worker threads take ranges of images in
   turn, each with its own buffers and single-threaded BLAS, so the copies
   run in parallel too (numpy releases the GIL in both). With only a few
   images per thread, BLAS threads share each GEMM (and a bigger block).

`Plan` holds the sizes of one call and its blocks; `map_images` runs a
function over the batch on the worker threads.
"""

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np
from numpy.lib.stride_tricks import as_strided

#: Target size in bytes of one patch buffer: about a core's L2 cache (1-2 MB).
PATCH_BYTES = 2 << 20
#: Below this many multiply-adds a call runs in the calling thread only.
MIN_PARALLEL_MACS = 20_000_000
#: The batch is cut into up to this many image ranges per thread.
CHUNKS_PER_THREAD = 4
#: Threads take image ranges only if each gets this many images; else BLAS splits each GEMM.
MIN_IMAGES_PER_THREAD = 4

#: Scratch arrays up to this size are kept between calls, one set per thread.
MAX_KEPT_BYTES = 8 << 20

_pool = None
_blas = None
_parallel_lock = threading.Lock()
_workspaces = {}  # thread id -> {(name, dtype): flat array}


# ---------------------------------------------------------------- scratch memory

def workspace(name, shape, dtype, zero=False):
    """This thread's scratch array called ``name``, kept between calls (zeroed if asked).

    Re-using buffers, rather than allocating and freeing megabytes on every
    call, keeps them in cache and spares the allocator (and the kernel's page
    faults) a lot of work. Arrays bigger than ``MAX_KEPT_BYTES`` are not kept.
    """
    dtype = np.dtype(dtype)
    shape = (shape,) if isinstance(shape, int) else shape
    size = math.prod(shape)
    if size * dtype.itemsize > MAX_KEPT_BYTES:
        return (np.zeros if zero else np.empty)(shape, dtype)
    kept = _workspaces.setdefault(threading.get_ident(), {})
    flat = kept.get((name, dtype))
    if flat is None or flat.size < size:
        flat = kept[(name, dtype)] = np.empty(size, dtype)
    array = flat[:size].reshape(shape)
    if zero:
        array[...] = 0
    return array


def clear_workspaces():
    """Free every kept scratch array (the next call allocates them again)."""
    _workspaces.clear()


# ---------------------------------------------------------------- threads

def _blas_controller():
    """numpy's BLAS, as a threadpoolctl controller (created on first use)."""
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController

        _blas = ThreadpoolController().select(user_api="blas")
    return _blas


def blas_threads():
    """How many threads numpy's BLAS may use now: the fast method uses as many."""
    counts = [lib["num_threads"] for lib in _blas_controller().info()]
    return max(counts, default=1)


def image_threads(n_images, macs):
    """How many threads `map_images` runs for this work (1: one call, and BLAS splits the GEMMs)."""
    if macs < MIN_PARALLEL_MACS:
        return 1
    return max(1, min(blas_threads(), n_images // MIN_IMAGES_PER_THREAD))


def map_images(work, n_images, macs):
    """Call ``work(start, stop)`` on contiguous image ranges; return the results in range order.

    With ``T = blas_threads() > 1``, enough work and at least
    ``MIN_IMAGES_PER_THREAD`` images per thread, the batch is cut into
    up to ``CHUNKS_PER_THREAD * T`` ranges that ``T`` threads (this one
    included) take in turn, each with single-threaded BLAS: a core slowed
    down by another program simply takes fewer ranges. Otherwise one call
    covers the whole batch and BLAS keeps its own threads: with only a few
    large images per thread (the large-kernel case: 4 images of 128x128),
    BLAS splitting each GEMM was measured about 1.5x faster. The ranges depend
    only on ``T`` and the batch size, and the results come back in range
    order, so sums over them are reproducible.
    """
    global _pool
    threads = image_threads(n_images, macs)
    if threads == 1:
        return [work(0, n_images)]
    n_ranges = min(n_images, CHUNKS_PER_THREAD * threads)
    bounds = [round(k * n_images / n_ranges) for k in range(n_ranges + 1)]
    results = [None] * n_ranges
    next_range = iter(range(n_ranges))
    take = threading.Lock()

    def worker():
        while True:
            with take:
                k = next(next_range, None)
            if k is None:
                return
            results[k] = work(bounds[k], bounds[k + 1])

    with _parallel_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 2,
                                       thread_name_prefix="convlab-fast")
        with _blas_controller().limit(limits=1):
            helpers = [_pool.submit(worker) for _ in range(threads - 1)]
            try:
                worker()  # the calling thread works too
            finally:
                wait(helpers)  # never leave a helper writing after we return (or raise)
            for helper in helpers:
                helper.result()  # re-raise a helper's error
    return results


# ---------------------------------------------------------------- geometry

class Plan:
    """Sizes shared by the forward and backward passes of one call."""

    def __init__(self, x_shape, weight_shape, stride, padding, dilation, groups, itemsize):
        self.n_images, self.c_in, self.height, self.width = x_shape
        self.c_out, c_group, self.kh, self.kw = weight_shape
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups
        (top, bottom), (left, right) = padding
        self.padded_hw = (self.height + top + bottom, self.width + left + right)
        self.out_h = (self.padded_hw[0] - dilation[0] * (self.kh - 1) - 1) // stride[0] + 1
        self.out_w = (self.padded_hw[1] - dilation[1] * (self.kw - 1) - 1) // stride[1] + 1
        self.patch_len = c_group * self.kh * self.kw  # one patch column of one group
        self.macs = self.n_images * self.c_out * self.patch_len * self.out_h * self.out_w
        # The padded images are split into their sH*sW stride phases (one, the padded image
        # itself, with stride 1): a tap then reads a stride-1 window of one phase. Outputs
        # are computed on the "wide" grid, rows as long as the phase rows (the last
        # Wq - W_out columns are junk, thrown away), so that each tap of a block is ONE
        # contiguous run of each channel, copied or added in one go.
        sh, sw = stride
        self.phase_hw = (-(-self.padded_hw[0] // sh), -(-self.padded_hw[1] // sw))  # (Hq, Wq)
        self.row_len = self.phase_hw[1]
        self.phase_cells = list(self._phase_cells())
        self.tap_grids = list(self._tap_grids())
        # Block sizes: a few rows of one image, or a few whole images, per patch buffer;
        # when BLAS threads share each GEMM of a big layer (too few images to share out,
        # see `map_images`), they share a bigger block.
        shared = 1
        if self.macs >= MIN_PARALLEL_MACS and image_threads(self.n_images, self.macs) == 1:
            shared = blas_threads()
        row_bytes = self.c_in * self.kh * self.kw * self.row_len * itemsize
        rows = min(max(shared * PATCH_BYTES // row_bytes, 1), self.out_h)
        self.rows = -(-self.out_h // -(-self.out_h // rows))  # as many blocks, evened out
        images = shared * PATCH_BYTES // (row_bytes * self.out_h)
        self.images = 1 if self.rows < self.out_h else min(max(images, 1), self.n_images)

    def _phase_cells(self):
        """Yield ``(p, phase rows, phase columns, image rows, image columns)`` as slices.

        Phase ``p = a*sW + b`` holds the padded pixel ``(u*sH + a, v*sW + b)`` at
        ``(u, v)``; image pixel ``(i, j)`` is padded pixel ``(i + top, j + left)``.
        """
        (sh, sw), ((top, _), (left, _)) = self.stride, self.padding

        def cells(phase, step, before, size):  # the image lines in a phase, and where they go
            first = (phase - before) % step
            count = len(range(first, size, step))
            start = (first + before) // step
            return slice(start, start + count), slice(first, None, step)

        for a in range(sh):
            phase_rows, image_rows = cells(a, sh, top, self.height)
            for b in range(sw):
                phase_cols, image_cols = cells(b, sw, left, self.width)
                yield a * sw + b, phase_rows, phase_cols, image_rows, image_cols

    def _tap_grids(self):
        """Yield ``(p, tap rows, tap columns, first, steps)``: the taps that read phase ``p``.

        They form a grid (slices of the kernel's rows and columns) whose windows
        are evenly spaced in the phase: the first tap's window starts at phase
        cell ``first = (u, v)``, and each next tap down (across) starts
        ``steps[0]`` rows (``steps[1]`` columns) further on.
        """
        def axis(size, stride, dilation):  # (taps, phase, first cell, step) along one axis
            step = stride // math.gcd(stride, dilation)  # taps t, t + step, ... share a phase
            for tap in range(min(step, size)):
                offset = tap * dilation  # in the padded image
                yield slice(tap, None, step), offset % stride, offset // stride, step * dilation // stride

        (sh, sw), (dh, dw) = self.stride, self.dilation
        for tap_rows, a, u, down in axis(self.kh, sh, dh):
            for tap_cols, b, v, across in axis(self.kw, sw, dw):
                yield a * sw + b, tap_rows, tap_cols, (u, v), (down, across)

    def blocks(self, start, stop):
        """Yield ``(i0, i1, r0, r1)``: images ``i0:i1``, output rows ``r0:r1``."""
        for i0 in range(start, stop, self.images):
            for r0 in range(0, self.out_h, self.rows):
                yield i0, min(i0 + self.images, stop), r0, min(r0 + self.rows, self.out_h)

    def buffer(self, name, dtype):
        """A flat scratch array big enough for one block's patches."""
        size = self.images * self.c_in * self.kh * self.kw * self.rows * self.row_len
        return workspace(name, size, dtype)

    def phase_buffer(self, name, dtype):
        """A zeroed scratch array for the phases of a block of images, (images, sH*sW, C_in, Hq + 1, Wq).

        The spare zero row is there because a tap's last wide row runs past its window.
        """
        shape = (self.images, self.stride[0] * self.stride[1], self.c_in,
                  self.phase_hw[0] + 1, self.phase_hw[1])
        return workspace(name, shape, dtype, zero=True)

    def interior(self, padded):
        """The unpadded part of a padded (n, C, Hp, Wp) array, as a view."""
        (top, _), (left, _) = self.padding
        return padded[:, :, top:top + self.height, left:left + self.width]

    def tap_view(self, phases, m, n, r0, r1):
        """The cells of ``phases`` that tap ``(m, n)`` meets for output rows ``r0:r1``.

        A view of shape (n_images, C, r1 - r0, row_len): cell ``[b, c, i, j]`` is
        padded pixel ``[b, c, (r0 + i)*sH + m*dH, j*sW + n*dW]`` for ``j < W_out``;
        ``j`` runs on into the next phase row, so the view is one run of each channel.
        """
        (sh, sw), (dh, dw) = self.stride, self.dilation
        down, right = m * dh, n * dw  # the tap's offset in the padded image
        phase = phases[:, (down % sh) * sw + right % sw]  # (n, C, Hq + 1, Wq), channels contiguous
        flat = phase.reshape(phase.shape[:2] + (-1,))
        start, length = (r0 + down // sh) * self.row_len + right // sw, (r1 - r0) * self.row_len
        return flat[:, :, start:start + length].reshape(phase.shape[:2] + (r1 - r0, self.row_len))


def phase_images(x, i0, i1, plan, scratch):
    """Images ``i0:i1`` of ``x`` zero-padded and split into phases in ``scratch`` (borders kept zero)."""
    phases = scratch[:i1 - i0]
    for p, phase_rows, phase_cols, image_rows, image_cols in plan.phase_cells:
        phases[:, p, :, phase_rows, phase_cols] = x[i0:i1, :, image_rows, image_cols]
    return phases


def phase_gradients(dphases, dx_block, plan):
    """Write the image cells of the phase gradients ``dphases`` into ``dx_block`` (n, C, H, W)."""
    for p, phase_rows, phase_cols, image_rows, image_cols in plan.phase_cells:
        dx_block[:, :, image_rows, image_cols] = dphases[:, p, :, phase_rows, phase_cols]


def fill_patches(buffer, phases, plan, r0, r1):
    """Copy output rows ``r0:r1`` of every tap into ``buffer``, as (n, C, kH, kW, r, row_len).

    One copy per grid of taps that read the same phase (see `Plan.tap_grids`).
    """
    n, r = phases.shape[0], r1 - r0
    patches = buffer[:n * plan.c_in * plan.kh * plan.kw * r * plan.row_len].reshape(
        n, plan.c_in, plan.kh, plan.kw, r * plan.row_len)
    for p, tap_rows, tap_cols, first, steps in plan.tap_grids:
        phase = phases[:, p, :, r0 + first[0]:, first[1]:]  # the first tap's window starts here
        s_image, s_channel, s_row, s_col = phase.strides
        target = patches[:, :, tap_rows, tap_cols]  # (n, C, taps down, taps across, r*row_len)
        # window[b, c, t, u, q] = phase[b, c, t*step_row, u*step_col + q]: q runs on along the rows
        window = as_strided(phase, shape=target.shape, writeable=False,
                            strides=(s_image, s_channel, steps[0] * s_row, steps[1] * s_col, s_col))
        np.copyto(target, window)
    return patches.reshape(n, plan.c_in, plan.kh, plan.kw, r, plan.row_len)


# ---------------------------------------------------------------- forward

def forward_blocks(x, weight, bias, plan):
    """Forward pass by cache-sized patch blocks, one GEMM per block (see `fast.forward_fast`)."""
    groups, c_group_out = plan.groups, plan.c_out // plan.groups
    y = np.empty((plan.n_images, plan.c_out, plan.out_h, plan.out_w), dtype=x.dtype)
    w_groups = weight.reshape(groups, c_group_out, plan.patch_len)  # (G, C_out/G, C_g*kH*kW)

    def work(start, stop):
        scratch = plan.phase_buffer("phases", x.dtype)
        buffer = plan.buffer("patches", x.dtype)
        wide_out = workspace("output", plan.images * plan.c_out * plan.rows * plan.row_len, x.dtype)
        for i0, i1, r0, r1 in plan.blocks(start, stop):
            n, r = i1 - i0, r1 - r0
            if r0 == 0:
                phases = phase_images(x, i0, i1, plan, scratch)
            patches = fill_patches(buffer, phases, plan, r0, r1)  # (n, C_in, kH, kW, r, row_len)
            columns = patches.reshape(n, groups, plan.patch_len, -1)  # (n, G, C_g*kH*kW, r*row_len)
            # out.shape = (n, G, C_out/G, r*row_len): the wide output rows
            out = wide_out[:n * plan.c_out * r * plan.row_len].reshape(n, groups, c_group_out, -1)
            np.matmul(w_groups, columns, out=out)
            valid = out.reshape(n, plan.c_out, r, plan.row_len)[..., :plan.out_w]  # drop the junk
            if bias is None:
                y[i0:i1, :, r0:r1] = valid
            else:
                np.add(valid, bias.reshape(-1, 1, 1), out=y[i0:i1, :, r0:r1])

    map_images(work, plan.n_images, plan.macs)
    return y
