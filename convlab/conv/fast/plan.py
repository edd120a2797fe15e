"""`Plan`: the sizes and blocks of one fast call, and the copies between images and phases.

The padded images are split into their stride *phases*: phase ``(a, b)``
holds the padded pixels ``(u*sH + a, v*sW + b)`` at ``(u, v)`` (with stride 1
the one phase is the padded image). A kernel tap then reads a stride-1
window of one phase. Only the phases some tap reads are built — at most
``min(sH, kH) * min(sW, kW)`` of them — so a stride far larger than the
kernel costs no more than a small one. Outputs are computed on the "wide"
grid, rows as long as the phase rows (the last ``Wq - W_out`` columns are
junk, thrown away), so that each tap of a block is ONE contiguous run of
each channel, copied or added in one go. Layers with few input channels
compute on the *exact* grid instead (`exact_rows_win`): rows of ``W_out``
columns, so the products write the output (and read the output gradient)
in place, with no junk columns to copy past, zero or pad.

Plans are pure functions of a call's shapes and the settings in force:
`plan_for` keeps the last `PLAN_CACHE_SIZE` of them (`PLANS`, a thread-safe LRU),
so a layer called again with the same shapes skips building one.
"""

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ...shapes import conv_geometry
from .cache import LruCache
from .config import settings
from .threads import image_threads

__all__ = ["Plan", "plan_for", "exact_rows_win", "phase_images", "phase_gradients", "fill_patches",
           "PLAN_CACHE_SIZE", "PLANS"]

#: Plans `plan_for` keeps (least recently used dropped first): a network's layers, both passes.
PLAN_CACHE_SIZE = 64
#: The plans themselves, keyed by shapes and the settings in force (block sizes depend on them).
PLANS = LruCache(PLAN_CACHE_SIZE)

#: Layers whose patch columns are shorter than this compute on the exact grid (`exact_rows_win`).
EXACT_ROWS_MAX_PATCH = 64


def exact_rows_win(c_group, kh, kw):
    """True for layers with few input numbers per output (``C_in/groups * kH * kW`` under 64).

    Their product is cheap next to the copies around it, so writing the output in
    place (no junk columns, no copy of the valid ones, no zeroed junk gradient) wins.

    Examples
    --------
    >>> exact_rows_win(3, 3, 3), exact_rows_win(64, 3, 3)
    (True, False)
    """
    return c_group * kh * kw < EXACT_ROWS_MAX_PATCH


def plan_for(x_shape, weight_shape, stride, padding, dilation, groups, itemsize):
    """The `Plan` of a call, built once per shapes and settings (see the module notes).

    Arguments as `Plan`'s, normalised (tuples of ints).
    """
    s = settings()
    key = (tuple(x_shape), tuple(weight_shape), tuple(stride), tuple(map(tuple, padding)),
           tuple(dilation), groups, itemsize, s, s.thread_count)
    plan = PLANS.get(key)
    if plan is None:
        plan = Plan(x_shape, weight_shape, stride, padding, dilation, groups, itemsize)
        PLANS.put(key, plan)
    return plan


def _read_phases(size, stride, dilation):
    """The phases along one axis that some kernel tap reads, in order."""
    return sorted({tap * dilation % stride for tap in range(min(size, stride))})


class Plan:
    """Sizes shared by the forward and backward passes of one call.

    Built from the call's `convlab.shapes.ConvGeometry` (normalised arguments:
    ``padding`` as ``((top, bottom), (left, right))``). ``cols`` is the width of
    the grid the blocks compute on: ``row_len`` (the wide grid) or ``out_w``
    (the exact grid, ``exact``), as the ``layout`` setting or `exact_rows_win` says.
    A plan is read-only once built: `plan_for` shares it between calls and threads.
    """

    def __init__(self, x_shape, weight_shape, stride, padding, dilation, groups, itemsize):
        self.n_images, self.c_in, self.height, self.width = x_shape
        self.c_out, c_group, self.kh, self.kw = weight_shape
        self.geometry = conv_geometry((self.height, self.width), (self.kh, self.kw), stride, padding,
                                      dilation)
        g = self.geometry
        self.stride, self.padding, self.dilation, self.groups = g.stride, g.padding, g.dilation, groups
        self.padded_hw = g.padded_shape
        self.out_h, self.out_w = g.output_shape
        self.patch_len = c_group * self.kh * self.kw  # one patch column of one group
        self.macs = self.n_images * self.c_out * self.patch_len * self.out_h * self.out_w
        (sh, sw), (dh, dw) = self.stride, self.dilation
        self.phase_hw = (-(-self.padded_hw[0] // sh), -(-self.padded_hw[1] // sw))  # (Hq, Wq)
        self.row_len = self.phase_hw[1]
        rows, cols = _read_phases(self.kh, sh, dh), _read_phases(self.kw, sw, dw)
        self._phase_index = {(a, b): i * len(cols) + j for i, a in enumerate(rows) for j, b in enumerate(cols)}
        self.n_phases = len(self._phase_index)
        self.reads_every_phase = self.n_phases == sh * sw  # else some image cells are never read
        layout = settings().layout
        self.exact = exact_rows_win(c_group, self.kh, self.kw) if layout is None else layout == "exact"
        self.cols = self.out_w if self.exact else self.row_len
        self.phase_cells = list(self._phase_cells())
        self.tap_grids = list(self._tap_grids())
        self._block_sizes(itemsize)

    def _block_sizes(self, itemsize):
        """A few rows of one image, or a few whole images, per patch buffer.

        When BLAS threads share each product of a big layer (too few images
        to share out, see `map_images`), they share a bigger block.
        """
        s = settings()
        shared = 1
        if self.macs >= s.min_parallel_macs and image_threads(self.n_images, self.macs) == 1:
            shared = s.thread_count
        row_bytes = self.c_in * self.kh * self.kw * self.cols * itemsize
        rows = min(max(shared * s.patch_bytes // row_bytes, 1), self.out_h)
        self.rows = -(-self.out_h // -(-self.out_h // rows))  # as many blocks, evened out
        images = shared * s.patch_bytes // (row_bytes * self.out_h)
        self.images = 1 if self.rows < self.out_h else min(max(images, 1), self.n_images)

    def _phase_cells(self):
        """Yield ``(p, phase rows, phase columns, image rows, image columns)`` as slices.

        Phase ``p`` (see `phase_index`) holds the padded pixel ``(u*sH + a, v*sW + b)``
        at ``(u, v)``; image pixel ``(i, j)`` is padded pixel ``(i + top, j + left)``.
        """
        (sh, sw), ((top, _), (left, _)) = self.stride, self.padding

        def cells(phase, step, before, size):  # the image lines in a phase, and where they go
            first = (phase - before) % step
            count = len(range(first, size, step))
            start = (first + before) // step
            return slice(start, start + count), slice(first, None, step)

        for (a, b), p in self._phase_index.items():
            phase_rows, image_rows = cells(a, sh, top, self.height)
            phase_cols, image_cols = cells(b, sw, left, self.width)
            yield p, phase_rows, phase_cols, image_rows, image_cols

    def phase_index(self, a, b):
        """Where phase ``(a, b)`` sits in a phase buffer."""
        return self._phase_index[a, b]

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
                yield self.phase_index(a, b), tap_rows, tap_cols, (u, v), (down, across)

    def blocks(self, start, stop):
        """Yield ``(i0, i1, r0, r1)``: images ``i0:i1``, output rows ``r0:r1``."""
        for i0 in range(start, stop, self.images):
            for r0 in range(0, self.out_h, self.rows):
                yield i0, min(i0 + self.images, stop), r0, min(r0 + self.rows, self.out_h)

    def buffer(self, scratch, name, dtype):
        """Buffer ``name`` of ``scratch`` (a `Scratch`), flat, big enough for one block's patches."""
        return scratch.take(name, self.buffer_size, dtype)

    @property
    def buffer_size(self):
        """Numbers in one block's patches: (images, C_in, kH, kW, rows, cols)."""
        return self.images * self.c_in * self.kh * self.kw * self.rows * self.cols

    def phase_buffer(self, scratch, name, dtype):
        """Buffer ``name`` of ``scratch``, zeroed, for the phases of a block of images.

        Shape (images, phases, C_in, Hq + 1, Wq): the spare zero row is there
        because a tap's last wide row runs past its window.
        """
        shape = (self.images, self.n_phases, self.c_in, self.phase_hw[0] + 1, self.phase_hw[1])
        return scratch.take(name, shape, dtype, zero=True)

    def interior(self, padded):
        """The unpadded part of a padded (n, C, Hp, Wp) array, as a view."""
        (top, _), (left, _) = self.padding
        return padded[:, :, top:top + self.height, left:left + self.width]

    def tap_view(self, phases, m, n, r0, r1):
        """The cells of ``phases`` that tap ``(m, n)`` meets for output rows ``r0:r1``.

        A view of shape (n_images, C, r1 - r0, cols): cell ``[b, c, i, j]`` is
        padded pixel ``[b, c, (r0 + i)*sH + m*dH, j*sW + n*dW]`` for ``j < W_out``;
        on the wide grid ``j`` runs on into the next phase row, so the view is one
        run of each channel.
        """
        (sh, sw), (dh, dw) = self.stride, self.dilation
        down, right = m * dh, n * dw  # the tap's offset in the padded image
        phase = phases[:, self.phase_index(down % sh, right % sw)]  # (n, C, Hq + 1, Wq)
        top, left = r0 + down // sh, right // sw
        if self.exact:
            return phase[:, :, top:top + r1 - r0, left:left + self.cols]
        flat = phase.reshape(phase.shape[:2] + (-1,))
        start, length = top * self.row_len + left, (r1 - r0) * self.row_len
        return flat[:, :, start:start + length].reshape(phase.shape[:2] + (r1 - r0, self.row_len))


def phase_images(x, i0, i1, plan, scratch):
    """Images ``i0:i1`` of ``x`` zero-padded and split into phases in ``scratch`` (borders kept zero)."""
    phases = scratch[:i1 - i0]
    for p, phase_rows, phase_cols, image_rows, image_cols in plan.phase_cells:
        phases[:, p, :, phase_rows, phase_cols] = x[i0:i1, :, image_rows, image_cols]
    return phases


def phase_gradients(dphases, dx_block, plan):
    """Write the image cells of the phase gradients ``dphases`` into ``dx_block`` (n, C, H, W).

    Cells of phases no tap reads are left alone: the caller zeroes them.
    """
    for p, phase_rows, phase_cols, image_rows, image_cols in plan.phase_cells:
        dx_block[:, :, image_rows, image_cols] = dphases[:, p, :, phase_rows, phase_cols]


def fill_patches(buffer, phases, plan, r0, r1):
    """Copy output rows ``r0:r1`` of every tap into ``buffer``, as (n, C, kH, kW, r, cols).

    One copy per grid of taps that read the same phase (see `Plan.tap_grids`).
    """
    n, r, cols = phases.shape[0], r1 - r0, plan.cols
    patches = buffer[:n * plan.c_in * plan.kh * plan.kw * r * cols].reshape(
        n, plan.c_in, plan.kh, plan.kw, r, cols)
    for p, tap_rows, tap_cols, first, steps in plan.tap_grids:
        phase = phases[:, p, :, r0 + first[0]:, first[1]:]  # the first tap's window starts here
        s_image, s_channel, s_row, s_col = phase.strides
        target = patches[:, :, tap_rows, tap_cols]  # (n, C, taps down, taps across, r, cols)
        # window[b, c, t, u, i, j] = phase[b, c, t*step_row + i, u*step_col + j]
        strides = (s_image, s_channel, steps[0] * s_row, steps[1] * s_col)
        if cols == plan.row_len:  # the wide grid: each row runs on into the next, one run per tap
            target = target.reshape(target.shape[:4] + (r * cols,))
            window = as_strided(phase, shape=target.shape, writeable=False, strides=strides + (s_col,))
        else:
            window = as_strided(phase, shape=target.shape, writeable=False, strides=strides + (s_row, s_col))
        np.copyto(target, window)
    return patches
