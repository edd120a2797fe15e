"""The depthwise path of both fast passes: stride 1, one input channel per group.

Their products would have an inner dimension of 1, so each kernel tap is one
long multiply-add over a whole image instead.

With stride 1, output row ``i`` of channel ``c`` reads rows ``i + m*dH`` of
the padded input. Flatten each padded channel: output ``(i, j)`` then reads
flat index ``(i*Wp + j) + (m*dH*Wp + n*dW)``, so tap ``(m, n)`` is ONE
contiguous slice of the flat channel. Computing outputs on the "wide" grid
of width ``Wp`` (the extra ``Wp - W_out`` columns of each row are thrown
away) turns every tap into one long, fast multiply-add. No junk cell
reaches a result, so inf and NaN spread exactly as in PyTorch.
"""

import numpy as np

from .threads import map_images
from .workspace import workspace

__all__ = ["is_depthwise", "forward_depthwise", "backward_depthwise"]


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
    finite_weight = bool(np.isfinite(weight).all())
    junk = np.arange(length) % plan.padded_hw[1] >= plan.out_w  # the wide grid's junk columns
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
                with np.errstate(invalid="ignore"):  # an inf weight times a junk zero: see below
                    np.multiply(g, scale[:, m, k], out=tmp)
                if not finite_weight:
                    tmp[:, junk] = 0  # no output there: nothing may reach dx
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
