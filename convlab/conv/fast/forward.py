"""The fast forward pass by cache-sized patch blocks (`forward_blocks`).

The teaching method ``im2row`` builds one patch matrix for the whole batch
and multiplies it by the flattened kernels. That is the right idea and the
wrong memory plan: for a ResNet-like layer the patch matrix is ~10x the
input. This pass keeps the idea and changes three things.

1. **Small, reused patch buffers.** Patches are copied for a block of a few
   output rows of one image (or a few whole images, when they are small)
   into a buffer of about ``patch_bytes`` (see `configure`), which stays in
   the CPU cache, is reused for the next block, and kept for the next call
   (`workspace`).
2. **Columns, not rows.** The buffer holds patches as *columns*, shape
   ``(C_in*kH*kW, rows*cols)``, so the copy runs along input rows (of the
   stride phases, see `Plan`) and ``weight (C_out, C_in*kH*kW) @ patches``
   lands in the ``(C_out, H_out*W_out)`` layout of the output: no transpose
   afterwards. On the exact grid (few input channels, see `Plan`) the
   product writes straight into the output; on the wide grid it writes
   wide rows whose valid columns are copied out.
3. **Threads over the batch** (`map_images`), each with its own buffers.
"""

import numpy as np

from .plan import fill_patches, phase_images
from .threads import map_images
from .workspace import Scratch

__all__ = ["forward_blocks", "block_view", "blocks_scratch"]


def blocks_scratch():
    """The blocks engine's memory plan (both passes): the patch gradients reuse the patches."""
    return Scratch("blocks", ["phases", "dphases", "patches", "dpatches", "wide"],
                   shares=[("patches", "dpatches")])


def block_view(array, i0, i1, r0, r1, groups):
    """Rows ``r0:r1`` of images ``i0:i1`` of an (N, C, H, W) array as (n, G, C/G, rows*W), a view."""
    block = array[i0:i1, :, r0:r1]
    view = block.reshape(i1 - i0, groups, -1, (r1 - r0) * array.shape[3])
    if not np.may_share_memory(view, array):  # whole rows of a C-contiguous array always are views
        raise RuntimeError("block_view needs an array whose rows are contiguous")
    return view


def forward_blocks(x, weight, bias, plan):
    """Forward pass by cache-sized patch blocks, one product per block (see `fast.forward_fast`)."""
    groups, c_group_out = plan.groups, plan.c_out // plan.groups
    y = np.empty((plan.n_images, plan.c_out, plan.out_h, plan.out_w), dtype=x.dtype)
    w_groups = weight.reshape(groups, c_group_out, plan.patch_len)  # (G, C_out/G, C_g*kH*kW)
    bias_column = None if bias is None else bias.reshape(groups, c_group_out, 1)

    def work(start, stop):
        scratch = blocks_scratch()
        phase_buffer = plan.phase_buffer(scratch, "phases", x.dtype)
        for i0, i1, r0, r1 in plan.blocks(start, stop):
            n, r = i1 - i0, r1 - r0
            if r0 == 0:
                phases = phase_images(x, i0, i1, plan, phase_buffer)
            patches = fill_patches(plan.buffer(scratch, "patches", x.dtype), phases, plan, r0, r1)
            columns = patches.reshape(n, groups, plan.patch_len, -1)  # (n, G, C_g*kH*kW, r*cols)
            if plan.exact:  # the product writes the output rows in place
                out = block_view(y, i0, i1, r0, r1, groups)  # (n, G, C_out/G, r*W_out)
                np.matmul(w_groups, columns, out=out)
                if bias_column is not None:
                    out += bias_column
                continue
            wide = scratch.take("wide", (n, groups, c_group_out, r * plan.cols), x.dtype)
            with np.errstate(invalid="ignore"):  # junk columns may hold 0 * inf; they are dropped
                np.matmul(w_groups, columns, out=wide)
            valid = wide.reshape(n, plan.c_out, r, plan.cols)[..., :plan.out_w]  # drop the junk
            if bias is None:
                y[i0:i1, :, r0:r1] = valid
            else:
                np.add(valid, bias.reshape(-1, 1, 1), out=y[i0:i1, :, r0:r1])

    map_images(work, plan.n_images, plan.macs)
    return y
