"""A learner-style capstone layer in numpy, and the classic ways to get it wrong.

Written from the defining sum (one loop over output positions, the
integrated scatter for the backward), independently of convlab, the way a
student would; ``layer(bug)`` returns the ``(forward, backward)`` pair with
one known mistake switched on. The capstone checker must accept
``layer(None)`` and localise every other one.
"""

import numpy as np

BUGS = {
    "flipped_kernel": "kernel",
    "stride_ignored_backward": "stride",
    "dilation_off_by_one": "dilation",
    "padding_wrong_side": "asymmetric",
    "groups_mixing_channels": "groups",
    "bias_grad_first_image": "batch",
    "overwrite": "overlap",
    "input_grad_size_from_output": "remainder",
}
"""Each mistake and the feature the checker must name for it."""


def _geometry(x_shape, w_shape, stride, padding, dilation):
    (_, _, h, w), (_, _, kh, kw) = x_shape, w_shape
    (top, bottom), (left, right) = padding
    ho = (h + top + bottom - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (w + left + right - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    return ho, wo


def _group_of(o, c_out, groups, bug):
    if bug == "groups_mixing_channels":
        return o % groups  # deals output channels round-robin: wrong when a group has several
    return o // (c_out // groups)


def _window(i, j, kh, kw, stride, dilation, bug=None, backward=False):
    """Rows and columns of the padded input read by output (i, j)."""
    si, sj = (1, 1) if bug == "stride_ignored_backward" and backward else stride
    dh, dw = dilation
    if bug == "dilation_off_by_one" and backward:
        dh, dw = (d + 1 if d > 1 else d for d in (dh, dw))  # d zeros between taps, not d - 1
    return (slice(i * si, i * si + dh * (kh - 1) + 1, dh),
            slice(j * sj, j * sj + dw * (kw - 1) + 1, dw))


def layer(bug=None):
    """``(conv2d_forward, conv2d_backward)`` with the mistake ``bug`` (a key of :data:`BUGS`), or right."""

    def conv2d_forward(x, weight, bias, stride, padding, dilation, groups):
        (top, bottom), (left, right) = padding
        xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
        w = weight[:, :, ::-1, ::-1] if bug == "flipped_kernel" else weight
        c_out, c_group, kh, kw = w.shape
        ho, wo = _geometry(x.shape, w.shape, stride, padding, dilation)
        y = np.zeros((x.shape[0], c_out, ho, wo))
        for i in range(ho):
            for j in range(wo):
                rows, cols = _window(i, j, kh, kw, stride, dilation)
                for o in range(c_out):
                    g = _group_of(o, c_out, groups, bug)
                    patch = xp[:, g * c_group:(g + 1) * c_group, rows, cols]
                    y[:, o, i, j] = np.einsum("ncmq,cmq->n", patch, w[o])
        if bias is not None:
            y += bias[:, None, None]
        return y

    def conv2d_backward(grad_out, x, weight, stride, padding, dilation, groups):
        (top, bottom), (left, right) = padding
        xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
        w = weight[:, :, ::-1, ::-1] if bug == "flipped_kernel" else weight
        c_out, c_group, kh, kw = w.shape
        ho, wo = grad_out.shape[2:]
        dxp = np.zeros_like(xp)
        dw = np.zeros_like(w)
        for i in range(ho):
            for j in range(wo):
                rows, cols = _window(i, j, kh, kw, stride, dilation, bug, backward=True)
                for o in range(c_out):
                    g = _group_of(o, c_out, groups, bug)
                    ins = slice(g * c_group, (g + 1) * c_group)
                    contribution = grad_out[:, o, i, j, None, None, None] * w[o]
                    if bug == "overwrite":
                        dxp[:, ins, rows, cols] = contribution
                    else:
                        dxp[:, ins, rows, cols] += contribution
                    dw[o] += np.einsum("n,ncmq->cmq", grad_out[:, o, i, j], xp[:, ins, rows, cols])
        if bug == "flipped_kernel":
            dw = dw[:, :, ::-1, ::-1]
        h, wd = x.shape[2:]
        if bug == "input_grad_size_from_output":  # the size a transposed conv gives without output_padding
            h = (ho - 1) * stride[0] + dilation[0] * (kh - 1) + 1 - top - bottom
            wd = (wo - 1) * stride[1] + dilation[1] * (kw - 1) + 1 - left - right
        if bug == "padding_wrong_side":
            top, left = bottom, right
        dx = dxp[:, :, top:top + h, left:left + wd]
        db = grad_out[:1].sum(axis=(0, 2, 3)) if bug == "bias_grad_first_image" else grad_out.sum(
            axis=(0, 2, 3))
        return dx, dw, db

    return conv2d_forward, conv2d_backward
