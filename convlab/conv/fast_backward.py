"""The "fast" backward pass (`backward_blocks`), and the depthwise path of both passes.

The backward pass walks the same cache-sized blocks as `forward_blocks`:

* ``dw += grad_block @ patches.T`` (the patches are rebuilt, not stored;
  computed transposed, ``patches @ grad_block.T``, the faster GEMM shape);
* ``dpatches = weight.T @ grad_block``, then each kernel tap ``(m, n)`` adds
  its slice of ``dpatches`` into the stride phases of the padded input
  gradient with one slice-add (a contiguous run of each channel): ``kH*kW``
  vectorised adds per block, no index arrays;
* ``db`` sums the output gradient.

Depthwise layers (``C_in // groups == 1``, stride 1) skip GEMMs, whose inner
dimension would be 1: each tap is one multiply-add over a whole image.
"""

import numpy as np

from .fast_forward import fill_patches, map_images, phase_gradients, phase_images, workspace


def backward_blocks(grad_out, x, weight, plan):
    """Gradients by cache-sized patch blocks (see `fast.backward_fast`)."""
    groups, c_group_out = plan.groups, plan.c_out // plan.groups
    w_groups = weight.reshape(groups, c_group_out, plan.patch_len)  # (G, C_out/G, C_g*kH*kW)
    w_groups_t = w_groups.transpose(0, 2, 1)  # (G, C_g*kH*kW, C_out/G)
    dx = np.empty_like(x)

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
                dphases = dscratch[:n]  # (n, sH*sW, C_in, Hq + 1, Wq)
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
            np.matmul(w_groups_t, g_block, out=dpatches)
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


# ---------------------------------------------------------------- depthwise
#
# With stride 1, output row i of channel c reads rows i + m*dH of the padded
# input. Flatten each padded channel: output (i, j) then reads flat index
# (i*Wp + j) + (m*dH*Wp + n*dW), so tap (m, n) is ONE contiguous slice of
# the flat channel. Computing outputs on the "wide" grid of width Wp (the
# extra Wp - W_out columns of each row are thrown away) turns every tap
# into one long, fast multiply-add.


def is_depthwise(plan):
    """Stride-1 layers with one input channel per group take the depthwise path."""
    return plan.groups > 1 and plan.patch_len == plan.kh * plan.kw and plan.stride == (1, 1)


def _wide_offsets(plan):
    """Flat offset of each tap (m, n) and the wide output length."""
    wp = plan.padded_hw[1]
    length = (plan.out_h - 1) * wp + plan.out_w  # the last wide row stops at W_out
    offsets = [(m, k, m * plan.dilation[0] * wp + k * plan.dilation[1])
               for m in range(plan.kh) for k in range(plan.kw)]
    return offsets, length


def _flat_inputs(x, i, plan, scratch):
    """Image ``i`` zero-padded, one flat row per *output* channel: (C_out, Hp*Wp)."""
    plan.interior(scratch)[0] = x[i]
    flat = scratch[0].reshape(plan.c_in, -1)
    return np.repeat(flat, plan.c_out // plan.c_in, axis=0) if plan.c_out > plan.c_in else flat


def forward_depthwise(x, weight, bias, plan):
    """Depthwise forward: ``y_wide += weight[:, 0, m, n] * xp_flat[:, offset(m, n) + p]`` per tap."""
    y = np.empty((plan.n_images, plan.c_out, plan.out_h, plan.out_w), dtype=x.dtype)
    offsets, length = _wide_offsets(plan)
    scale = weight.reshape(plan.c_out, plan.kh, plan.kw, 1)  # one scale per channel and tap

    def work(start, stop):
        scratch = workspace("padded", (1, plan.c_in) + plan.padded_hw, x.dtype, zero=True)
        # the output on the wide grid: rows of width Wp
        wide = workspace("wide", (plan.c_out, plan.out_h * plan.padded_hw[1]), x.dtype)
        tmp = workspace("product", (plan.c_out, length), x.dtype)
        for i in range(start, stop):
            flat = _flat_inputs(x, i, plan, scratch)  # (C_out, Hp*Wp)
            out = wide[:, :length]
            for t, (m, k, offset) in enumerate(offsets):
                tap = flat[:, offset:offset + length]
                if t == 0:
                    np.multiply(tap, scale[:, m, k], out=out)
                else:
                    np.multiply(tap, scale[:, m, k], out=tmp)
                    out += tmp
            valid = wide.reshape(plan.c_out, plan.out_h, -1)[:, :, :plan.out_w]  # drop the junk columns
            if bias is None:
                y[i] = valid
            else:
                np.add(valid, bias.reshape(-1, 1, 1), out=y[i])

    map_images(work, plan.n_images, plan.macs)
    return y


def backward_depthwise(grad_out, x, weight, plan):
    """Depthwise backward on the wide grid: per tap, a dot product per channel and a slice-add."""
    offsets, length = _wide_offsets(plan)
    scale = weight.reshape(plan.c_out, plan.kh, plan.kw, 1)
    dx = np.empty_like(x)

    def work(start, stop):
        dw = np.zeros((plan.c_out, plan.kh, plan.kw), x.dtype)
        scratch = workspace("padded", (1, plan.c_in) + plan.padded_hw, x.dtype, zero=True)
        wide_grad = workspace("wide", (plan.c_out, plan.out_h, plan.padded_hw[1]), x.dtype,
                              zero=True)  # junk columns stay 0
        dflat = workspace("dpadded", (plan.c_out, plan.padded_hw[0] * plan.padded_hw[1]), x.dtype,
                          zero=True)
        tmp = workspace("product", (plan.c_out, length), x.dtype)
        for i in range(start, stop):
            flat = _flat_inputs(x, i, plan, scratch)  # (C_out, Hp*Wp)
            wide_grad[:, :, :plan.out_w] = grad_out[i]
            g = wide_grad.reshape(plan.c_out, -1)[:, :length]  # (C_out, L)
            for m, k, offset in offsets:
                tap = flat[:, offset:offset + length]
                # dw[c, m, k] += g[c] . tap[c]: one dot product per channel (junk cells: g = 0;
                # einsum, unlike a stack of tiny matmuls, lets the other threads run meanwhile)
                with np.errstate(invalid="ignore"):  # unless a junk cell holds inf: see below
                    dw[:, m, k] += np.einsum("cp,cp->c", g, tap)
                np.multiply(g, scale[:, m, k], out=tmp)
                dflat[:, offset:offset + length] += tmp
            # (C_in, Hp, Wp): each input channel's gradient, summed over its output channels
            dpadded = dflat.reshape(plan.c_in, -1, *plan.padded_hw).sum(axis=1)
            dx[i] = plan.interior(dpadded[None])[0]
            dflat[...] = 0
        if not np.isfinite(dw).all():  # inf or NaN input: 0 * inf in a junk cell is not ours to add
            dw = _depthwise_dw_exact(grad_out, x, plan, start, stop, scratch)
        return dw

    dw = sum(map_images(work, plan.n_images, 3 * plan.macs))
    return dx, dw.reshape(plan.c_out, 1, plan.kh, plan.kw), grad_out.sum(axis=(0, 2, 3))


def _depthwise_dw_exact(grad_out, x, plan, start, stop, scratch):
    """``dw`` of images ``start:stop`` summed over the valid output cells only (for non-finite inputs)."""
    dw = np.zeros((plan.c_out, plan.kh, plan.kw), x.dtype)
    dil_h, dil_w = plan.dilation
    for i in range(start, stop):
        source = _flat_inputs(x, i, plan, scratch).reshape(plan.c_out, *plan.padded_hw)
        for m in range(plan.kh):
            for k in range(plan.kw):
                tap = source[:, m * dil_h:m * dil_h + plan.out_h, k * dil_w:k * dil_w + plan.out_w]
                dw[:, m, k] += np.einsum("chw,chw->c", grad_out[i], tap)
    return dw
