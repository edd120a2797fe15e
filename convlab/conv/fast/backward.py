"""The fast backward pass by cache-sized patch blocks (`backward_blocks`).

It walks the same blocks as `forward_blocks`:

* ``dw += grad_block @ patches.T`` (the patches are rebuilt, not stored;
  computed transposed, ``patches @ grad_block.T``, the faster product shape);
* ``dpatches = weight.T @ grad_block``, then each kernel tap ``(m, n)`` adds
  its slice of ``dpatches`` into the stride phases of the padded input
  gradient with one slice-add (a contiguous run of each channel): ``kH*kW``
  vectorised adds per block, no index arrays;
* ``db`` sums the output gradient.

Non-finite values follow PyTorch: only products of a real output's gradient
reach ``dx`` and ``dw``. The junk columns of the wide grid get a zero
gradient and zero patches, and when ``weight`` holds an inf or NaN their
``dpatches`` (``inf * 0``) are zeroed before the slice-adds.
"""

import numpy as np

from .plan import fill_patches, phase_gradients, phase_images
from .threads import map_images
from .workspace import workspace

__all__ = ["backward_blocks"]


def backward_blocks(grad_out, x, weight, plan):
    """Gradients by cache-sized patch blocks (see `fast.backward_fast`)."""
    groups, c_group_out = plan.groups, plan.c_out // plan.groups
    w_groups = weight.reshape(groups, c_group_out, plan.patch_len)  # (G, C_out/G, C_g*kH*kW)
    w_groups_t = w_groups.transpose(0, 2, 1)  # (G, C_g*kH*kW, C_out/G)
    finite_weight = bool(np.isfinite(weight).all())
    dx = np.empty_like(x) if plan.reads_every_phase else np.zeros_like(x)

    def work(start, stop):
        dw_t = np.zeros_like(w_groups_t)  # dw transposed: patches @ g.T runs faster than g @ patches.T
        db = np.zeros(w_groups.shape[:2], x.dtype)  # (G, C_out/G)
        scratch, dscratch = plan.phase_buffer("phases", x.dtype), plan.phase_buffer("dphases", x.dtype)
        buffer, dbuffer = plan.buffer("patches", x.dtype), plan.buffer("dpatches", x.dtype)
        wide_grad = workspace("wide_grad", plan.images * plan.c_out * plan.rows * plan.row_len, x.dtype)
        tap_adds = {}  # (n, r0) -> the (cells, values) pairs of `slice_adds`
        for i0, i1, r0, r1 in plan.blocks(start, stop):
            n, r = i1 - i0, r1 - r0
            if r0 == 0:
                phases = phase_images(x, i0, i1, plan, scratch)
                dphases = dscratch[:n]  # (n, phases, C_in, Hq + 1, Wq)
            patches = fill_patches(buffer, phases, plan, r0, r1)  # (n, C_in, kH, kW, r, row_len)
            patches[..., plan.out_w:] = 0  # junk cells: 0 * inf would spoil dw
            g_wide = wide_grad[:n * plan.c_out * r * plan.row_len].reshape(n, plan.c_out, r, -1)
            g_wide[..., :plan.out_w] = grad_out[i0:i1, :, r0:r1]
            g_wide[..., plan.out_w:] = 0  # the junk outputs get no gradient
            g_block = g_wide.reshape(n, groups, c_group_out, -1)  # (n, G, C_out/G, r*row_len)
            columns = patches.reshape(n, groups, plan.patch_len, -1)  # (n, G, C_g*kH*kW, r*row_len)
            dw_t += np.matmul(columns, g_block.transpose(0, 1, 3, 2)).sum(axis=0)
            db += g_block.sum(axis=(0, 3))
            dpatches = dbuffer[:patches.size].reshape(columns.shape)
            with np.errstate(invalid="ignore"):  # inf weight * junk zero: zeroed just below
                np.matmul(w_groups_t, g_block, out=dpatches)
            if not finite_weight:
                dpatches.reshape(patches.shape)[..., plan.out_w:] = 0
            if (n, r0) not in tap_adds:  # the same buffers serve every image: make the views once
                dpatches = dpatches.reshape(patches.shape)  # (n, C_in, kH, kW, r, row_len)
                tap_adds[n, r0] = list(slice_adds(dscratch[:n], dpatches, plan, r0, r1))
            for cells, values in tap_adds[n, r0]:
                cells += values
            if r1 == plan.out_h:
                phase_gradients(dphases, dx[i0:i1], plan)
                dphases[...] = 0
        return dw_t, db

    parts = map_images(work, plan.n_images, 3 * plan.macs)
    dw_t, db = (sum(part[k] for part in parts) for k in (0, 1))
    return dx, dw_t.transpose(0, 2, 1).reshape(weight.shape), db.reshape(-1)


def slice_adds(dphases, dpatches, plan, r0, r1):
    """Yield ``(cells, values)`` per tap: ``cells += values`` adds the tap's patch gradients.

    ``dpatches`` has shape (n, C_in, kH, kW, r, row_len); ``cells`` are where the
    tap read its patches, in the phases of the input gradient (see `Plan.tap_view`).
    """
    for m in range(plan.kh):
        for k in range(plan.kw):
            yield plan.tap_view(dphases, m, k, r0, r1), dpatches[:, :, m, k]
