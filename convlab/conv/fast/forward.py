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
   ``(C_in*kH*kW, rows*W_out)``, so the copy runs along contiguous input
   rows (of the stride phases, see `Plan`) and
   ``weight (C_out, C_in*kH*kW) @ patches`` lands directly in the
   ``(C_out, H_out*W_out)`` layout of the output: no transpose afterwards.
3. **Threads over the batch** (`map_images`), each with its own buffers.
"""

import numpy as np

from .plan import fill_patches, phase_images
from .threads import map_images
from .workspace import workspace

__all__ = ["forward_blocks"]


def forward_blocks(x, weight, bias, plan):
    """Forward pass by cache-sized patch blocks, one product per block (see `fast.forward_fast`)."""
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
            with np.errstate(invalid="ignore"):  # junk columns may hold 0 * inf; they are dropped
                np.matmul(w_groups, columns, out=out)
            valid = out.reshape(n, plan.c_out, r, plan.row_len)[..., :plan.out_w]  # drop the junk
            if bias is None:
                y[i0:i1, :, r0:r1] = valid
            else:
                np.add(valid, bias.reshape(-1, 1, 1), out=y[i0:i1, :, r0:r1])

    map_images(work, plan.n_images, plan.macs)
    return y
