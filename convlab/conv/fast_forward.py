"""The "fast" forward pass (`forward_blocks`) and the machinery both passes share.

The teaching method ``im2row`` builds one patch matrix for the whole batch
and multiplies it by the flattened kernels. That is the right idea and the
wrong memory plan: for a ResNet-like layer the patch matrix is ~10x the
input. This module keeps the idea and changes three things.

1. **Small, reused patch buffers.** Patches are copied for a block of a few
   output rows of one image (or a few whole images, when they are small)
   into a buffer of about ``PATCH_BYTES``, which stays in the CPU cache and
   is reused for the next block.
2. **Columns, not rows.** The buffer holds patches as *columns*, shape
   ``(C_in*kH*kW, rows*W_out)``, so the copy runs along contiguous input
   rows and ``weight (C_out, C_in*kH*kW) @ patches`` lands directly in the
   ``(C_out, H_out*W_out)`` layout of the output: no transpose afterwards.
3. **Threads over the batch.** Each worker thread gets a contiguous range of
   images and its own buffers, and BLAS runs single-threaded inside it, so
   the copies run in parallel too (numpy releases the GIL in both).

`Plan` holds the sizes of one call and its blocks; `map_images` runs a
function over the batch on the worker threads.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

#: Target size in bytes of one patch buffer: roughly a core's L2 cache.
PATCH_BYTES = 2 << 20
#: Below this many multiply-adds a call runs in the calling thread only.
MIN_PARALLEL_MACS = 20_000_000

_pool = None
_blas = None
_parallel_lock = threading.Lock()


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


def map_images(work, n_images, macs):
    """Call ``work(start, stop)`` on contiguous image ranges and return the results in order.

    With ``T = blas_threads() > 1`` and enough work, the batch is split into
    ``min(T, n_images)`` ranges processed by as many threads, each with
    single-threaded BLAS; otherwise one call covers the whole batch and BLAS
    keeps its own threads. The split depends only on ``T``, so results are
    reproducible.
    """
    global _pool
    workers = min(blas_threads(), n_images) if macs >= MIN_PARALLEL_MACS else 1
    if workers <= 1:
        return [work(0, n_images)]
    bounds = [round(k * n_images / workers) for k in range(workers + 1)]
    with _parallel_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 2,
                                       thread_name_prefix="convlab-fast")
        with _blas_controller().limit(limits=1):
            futures = [_pool.submit(work, a, b) for a, b in zip(bounds[1:-1], bounds[2:])]
            try:
                first = work(bounds[0], bounds[1])  # the calling thread does a share too
            finally:
                wait(futures)  # never leave a worker writing after we return (or raise)
            return [first] + [f.result() for f in futures]


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
        # Block sizes: a few rows of one image, or a few whole images, per patch buffer.
        row_bytes = self.c_in * self.kh * self.kw * self.out_w * itemsize
        self.rows = int(np.clip(PATCH_BYTES // row_bytes, 1, self.out_h))
        image_bytes = row_bytes * self.out_h
        self.images = 1 if self.rows < self.out_h else int(np.clip(PATCH_BYTES // image_bytes,
                                                                  1, self.n_images))

    @property
    def is_padded(self):
        return any(p for pair in self.padding for p in pair)

    def blocks(self, start, stop):
        """Yield ``(i0, i1, r0, r1)``: images ``i0:i1``, output rows ``r0:r1``."""
        for i0 in range(start, stop, self.images):
            for r0 in range(0, self.out_h, self.rows):
                yield i0, min(i0 + self.images, stop), r0, min(r0 + self.rows, self.out_h)

    def buffer(self, dtype):
        """A flat scratch array big enough for one block's patches."""
        return np.empty(self.images * self.c_in * self.kh * self.kw * self.rows * self.out_w, dtype)

    def interior(self, padded):
        """The unpadded part of a padded (n, C, Hp, Wp) array, as a view."""
        (top, _), (left, _) = self.padding
        return padded[:, :, top:top + self.height, left:left + self.width]

    def tap(self, m, n, r0, r1):
        """Index of the padded input cells that tap ``(m, n)`` reads for output rows ``r0:r1``."""
        (sh, sw), (dh, dw) = self.stride, self.dilation
        top, left = r0 * sh + m * dh, n * dw
        return (slice(None), slice(None),
                slice(top, top + sh * (r1 - r0 - 1) + 1, sh),
                slice(left, left + sw * (self.out_w - 1) + 1, sw))


def windows(padded, plan):
    """All kernel windows of a padded block, as a view of shape (n, C, kH, kW, H_out, W_out)."""
    (sh, sw), (dh, dw) = plan.stride, plan.dilation
    span = (dh * (plan.kh - 1) + 1, dw * (plan.kw - 1) + 1)
    view = sliding_window_view(padded, span, axis=(2, 3))  # (n, C, Hp-spanH+1, Wp-spanW+1, spanH, spanW)
    view = view[:, :, ::sh, ::sw, ::dh, ::dw][:, :, :plan.out_h, :plan.out_w]  # (n, C, H_out, W_out, kH, kW)
    return view.transpose(0, 1, 4, 5, 2, 3)


def padded_images(x, i0, i1, plan, scratch):
    """Images ``i0:i1`` of ``x`` zero-padded, using ``scratch`` (borders kept zero) when padding."""
    if not plan.is_padded:
        return x[i0:i1]
    padded = scratch[:i1 - i0]
    plan.interior(padded)[...] = x[i0:i1]
    return padded


def fill_patches(buffer, windows_view, r0, r1):
    """Copy output rows ``r0:r1`` of the windows into ``buffer``; return it as (n, C, kH, kW, r, W_out)."""
    block = windows_view[..., r0:r1, :]
    patches = buffer[:block.size].reshape(block.shape)
    np.copyto(patches, block)
    return patches


# ---------------------------------------------------------------- forward

def forward_blocks(x, weight, bias, plan):
    """Forward pass by cache-sized patch blocks, one GEMM per block (see `fast.forward_fast`)."""
    groups = plan.groups
    y = np.empty((plan.n_images, plan.c_out, plan.out_h, plan.out_w), dtype=x.dtype)
    # y_groups.shape = (N, G, C_out/G, H_out*W_out): the layout the GEMM writes
    y_groups = y.reshape(plan.n_images, groups, plan.c_out // groups, -1)
    w_groups = weight.reshape(groups, plan.c_out // groups, plan.patch_len)  # (G, C_out/G, C_g*kH*kW)

    def work(start, stop):
        scratch = np.zeros((plan.images, plan.c_in) + plan.padded_hw, x.dtype) if plan.is_padded else None
        buffer = plan.buffer(x.dtype)
        for i0, i1, r0, r1 in plan.blocks(start, stop):
            if r0 == 0:
                view = windows(padded_images(x, i0, i1, plan, scratch), plan)
            patches = fill_patches(buffer, view, r0, r1)  # (n, C_in, kH, kW, r, W_out)
            columns = patches.reshape(i1 - i0, groups, plan.patch_len, -1)  # (n, G, C_g*kH*kW, r*W_out)
            np.matmul(w_groups, columns, out=y_groups[i0:i1, :, :, r0 * plan.out_w:r1 * plan.out_w])
            if bias is not None and r1 == plan.out_h:
                y[i0:i1] += bias.reshape(-1, 1, 1)  # while the images are still in cache

    map_images(work, plan.n_images, plan.macs)
    return y
