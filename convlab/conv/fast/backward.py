"""The fast backward pass by cache-sized patch blocks (`backward_blocks`).

It walks the same blocks as `forward_blocks`, each in five named steps:

1. `output_gradient`: the block's output gradient ``G`` on the plan's grid
   (on the exact grid a view of ``grad_out``; on the wide grid a copy whose
   junk columns are zero, so they add nothing);
2. the patches, rebuilt (not stored) by `fill_patches`;
3. `weight_and_bias_gradients`: ``dw += G @ patches.T`` (computed
   transposed, ``patches @ G.T``, the faster product shape) and
   ``db += sum(G)``;
4. `patch_gradients`: ``dpatches = weight.T @ G``, in the patches' memory
   (they are done with: see `blocks_scratch`);
5. `add_to_phases`: each kernel tap ``(m, n)`` adds its slice of
   ``dpatches`` into the stride phases of the padded input gradient with one
   slice-add (on the wide grid a contiguous run of each channel); after a
   block's last rows, `phase_gradients` writes the phases into ``dx``.

Non-finite values follow PyTorch: only products of a real output's gradient
reach ``dx`` and ``dw``. On the wide grid the junk columns get a zero
gradient and zero patches, and when ``weight`` holds an inf or NaN their
``dpatches`` (``inf * 0``) are zeroed before the slice-adds; the exact grid
has no junk columns.
"""

import numpy as np

from .forward import block_view, blocks_scratch
from .plan import fill_patches, phase_gradients, phase_images
from .threads import map_images

__all__ = ["backward_blocks"]


def output_gradient(grad_out, i0, i1, r0, r1, plan, scratch):
    """Step 1: ``G`` of the block, (n, G, C_out/G, rows*cols) on the plan's grid."""
    if plan.exact:
        return block_view(grad_out, i0, i1, r0, r1, plan.groups)
    n, r = i1 - i0, r1 - r0
    wide = scratch.take("wide", (n, plan.c_out, r, plan.cols), grad_out.dtype)
    wide[..., :plan.out_w] = grad_out[i0:i1, :, r0:r1]
    wide[..., plan.out_w:] = 0  # the junk outputs get no gradient
    return wide.reshape(n, plan.groups, plan.c_out // plan.groups, -1)


def weight_and_bias_gradients(columns, g_block, dw_t, db):
    """Step 3: ``dw_t += patches @ G.T`` (dw transposed) and ``db += sum(G)``, summed over images."""
    with np.errstate(invalid="ignore"):  # an inf gradient times a zero pad: NaN, as in PyTorch
        dw_t += np.matmul(columns, g_block.transpose(0, 1, 3, 2)).sum(axis=0)
    db += g_block.sum(axis=(0, 3))


def patch_gradients(w_groups_t, g_block, patches, plan, finite_weight, scratch):
    """Step 4: ``dpatches = weight.T @ G``, shaped like ``patches``, in the patches' memory."""
    scratch.free("patches")  # their products are in dw: the patch gradients take their memory
    dpatches = plan.buffer(scratch, "dpatches", patches.dtype)[:patches.size]
    columns = dpatches.reshape(g_block.shape[:2] + (plan.patch_len, -1))
    with np.errstate(invalid="ignore"):  # inf weight * junk zero: zeroed just below
        np.matmul(w_groups_t, g_block, out=columns)
    dpatches = dpatches.reshape(patches.shape)  # (n, C_in, kH, kW, r, cols)
    if not finite_weight and not plan.exact:
        dpatches[..., plan.out_w:] = 0
    return dpatches


def add_to_phases(tap_adds, dphases, dpatches, plan, r0, r1):
    """Step 5: each tap's patch gradients added where it read its patches (`Plan.tap_view`).

    ``tap_adds`` keeps the views per block shape: the same buffers serve every image.
    """
    key = (dpatches.shape[0], r0)
    if key not in tap_adds:
        tap_adds[key] = [(plan.tap_view(dphases, m, k, r0, r1), dpatches[:, :, m, k])
                         for m in range(plan.kh) for k in range(plan.kw)]
    for cells, values in tap_adds[key]:
        cells += values


def backward_blocks(grad_out, x, weight, plan):
    """Gradients by cache-sized patch blocks (see `fast.backward_fast`)."""
    groups, c_group_out = plan.groups, plan.c_out // plan.groups
    w_groups = weight.reshape(groups, c_group_out, plan.patch_len)  # (G, C_out/G, C_g*kH*kW)
    w_groups_t = w_groups.transpose(0, 2, 1)  # (G, C_g*kH*kW, C_out/G)
    finite_weight = plan.exact or bool(np.isfinite(weight).all())
    dx = np.empty_like(x) if plan.reads_every_phase else np.zeros_like(x)

    def work(start, stop):
        dw_t = np.zeros_like(w_groups_t)  # dw transposed: patches @ g.T runs faster than g @ patches.T
        db = np.zeros(w_groups.shape[:2], x.dtype)  # (G, C_out/G)
        scratch = blocks_scratch()
        phase_buffer = plan.phase_buffer(scratch, "phases", x.dtype)
        dphase_buffer = plan.phase_buffer(scratch, "dphases", x.dtype)
        tap_adds = {}
        for i0, i1, r0, r1 in plan.blocks(start, stop):
            if r0 == 0:
                phases = phase_images(x, i0, i1, plan, phase_buffer)
                dphases = dphase_buffer[:i1 - i0]  # (n, phases, C_in, Hq + 1, Wq)
            g_block = output_gradient(grad_out, i0, i1, r0, r1, plan, scratch)
            patches = fill_patches(plan.buffer(scratch, "patches", x.dtype), phases, plan, r0, r1)
            if not plan.exact:
                patches[..., plan.out_w:] = 0  # junk cells: 0 * inf would spoil dw
            weight_and_bias_gradients(patches.reshape(g_block.shape[:2] + (plan.patch_len, -1)),
                                      g_block, dw_t, db)
            dpatches = patch_gradients(w_groups_t, g_block, patches, plan, finite_weight, scratch)
            add_to_phases(tap_adds, dphases, dpatches, plan, r0, r1)
            scratch.free("dpatches")
            if r1 == plan.out_h:
                phase_gradients(dphases, dx[i0:i1], plan)
                dphases[...] = 0
        return dw_t, db

    parts = map_images(work, plan.n_images, 3 * plan.macs)
    dw_t, db = (sum(part[k] for part in parts) for k in (0, 1))
    return dx, dw_t.transpose(0, 2, 1).reshape(weight.shape), db.reshape(-1)
