"""The transfer exercises of lessons 07-09 (stride, padding and dilation in the backward
pass; the transposed convolution): independent loop solutions pass, and each mistake,
written the way a learner writes it (loops, not the checker's own wrong implementations),
is rejected and named."""

import functools

import numpy as np
import pytest
import torch

from convlab import exercises as ex


# ---------------------------------------------------------------- solutions, from the index form
def subsample_grad(grad_out, stride, dense_shape, offset=False, repeat=False):
    sh, sw = (stride, stride) if np.isscalar(stride) else stride
    out = np.zeros(grad_out.shape[:-2] + tuple(dense_shape))
    for i, j in np.ndindex(*grad_out.shape[-2:]):
        a, b = (sh * i + sh - 1, sw * j + sw - 1) if offset else (sh * i, sw * j)
        if repeat:
            out[..., a:a + sh, b:b + sw] = grad_out[..., i, j][..., None, None]
        elif a < dense_shape[0] and b < dense_shape[1]:
            out[..., a, b] = grad_out[..., i, j]
    return out


def padded_dilated_input_grad(grad_out, weight, stride, padding, dilation, input_size,
                              tap=None, crop=True, flip=False):
    (n, _, h_out, w_out), (_, c_in, kh, kw) = grad_out.shape, weight.shape
    h, w = input_size
    tap = dilation if tap is None else tap
    if flip:
        weight = weight[:, :, ::-1, ::-1]
    dx = np.zeros((n, c_in, h + 2 * padding + kh * tap, w + 2 * padding + kw * tap))
    for i, j, m, q in np.ndindex(h_out, w_out, kh, kw):
        dx[:, :, stride * i + tap * m, stride * j + tap * q] += grad_out[:, :, i, j] @ weight[:, :, m, q]
    start = padding if crop else 0
    return dx[:, :, start:start + h, start:start + w]


def padded_dilated_kernel_grad(x, grad_out, stride, padding, dilation, kernel_size,
                               tap=None, pad=True, flip=False):
    p = padding if pad else 0
    xp = np.pad(x, ((0, 0), (0, 0), (p, p + 2 * padding), (p, p + 2 * padding)))
    tap = dilation if tap is None else tap
    (kh, kw), (h_out, w_out) = kernel_size, grad_out.shape[2:]
    dw = np.zeros((grad_out.shape[1], x.shape[1], kh, kw))
    for i, j, m, q in np.ndindex(h_out, w_out, kh, kw):
        dw[:, :, m, q] += grad_out[:, :, i, j].T @ xp[:, :, stride * i + tap * m, stride * j + tap * q]
    return dw[:, :, ::-1, ::-1] if flip else dw


def transposed_conv(x, weight, stride, padding, dilation, output_padding,
                    flip=False, use_output_padding=True, crop_both=True):
    (n, _, h, w), (_, c, kh, kw) = x.shape, weight.shape
    a = output_padding if use_output_padding else 0
    if flip:
        weight = weight[:, :, ::-1, ::-1]
    size = [(m - 1) * stride + dilation * (k - 1) + 1 + a for m, k in ((h, kh), (w, kw))]
    y = np.zeros((n, c, *size))
    for i, j, m, q in np.ndindex(h, w, kh, kw):
        y[:, :, stride * i + dilation * m, stride * j + dilation * q] += x[:, :, i, j] @ weight[:, :, m, q]
    top = padding if crop_both else 0
    return y[:, :, top:top + size[0] - 2 * padding, top:top + size[1] - 2 * padding]


def output_padding_for(n, kernel_size, stride, padding, dilation):
    n_out = (n + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1
    return n - ((n_out - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + 1)


SOLUTIONS_B = {"check_subsample_grad": subsample_grad,
               "check_padded_dilated_input_grad": padded_dilated_input_grad,
               "check_padded_dilated_kernel_grad": padded_dilated_kernel_grad,
               "check_transposed_conv": transposed_conv,
               "check_output_padding_for": output_padding_for}
"""Independent solutions, also used by ``test_exercises.py``'s suite over every checker."""


def test_the_solutions_agree_with_torch_where_torch_has_the_operation():
    rng = np.random.default_rng(5)
    g, w = rng.standard_normal((1, 2, 3, 3)), rng.standard_normal((2, 3, 2, 2))
    ours = transposed_conv(g, w, 2, 1, 3, 2)
    theirs = torch.nn.functional.conv_transpose2d(torch.tensor(g), torch.tensor(w), stride=2,
                                                  padding=1, dilation=3, output_padding=2)
    assert np.allclose(ours, theirs.numpy())
    for n, k, s, p, d in [(12, 3, 3, 2, 2), (8, 3, 2, 1, 1), (11, 1, 4, 0, 1)]:
        y = torch.nn.functional.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=s,
                                       padding=p, dilation=d)
        back = torch.nn.functional.conv_transpose1d(
            y, torch.zeros(1, 1, k), stride=s, padding=p, dilation=d,
            output_padding=output_padding_for(n, k, s, p, d))
        assert back.shape[-1] == n


def _slip(solution, **slip):
    """The solution above, run with one of its slips switched on."""
    return functools.partial(solution, **slip)


LEARNER_MISTAKES = [  # (checker, the learner's wrong function, the mistake it must name)
    (ex.check_subsample_grad, _slip(subsample_grad, repeat=True), "upsample_repeat"),
    (ex.check_subsample_grad, _slip(subsample_grad, offset=True), "subsample_offset"),
    (ex.check_subsample_grad,
     lambda g, s, shape: subsample_grad(g, s if np.isscalar(s) else s[::-1], shape), "stride_axes_swapped"),
    (ex.check_padded_dilated_input_grad, _slip(padded_dilated_input_grad, tap=1), "dilation_ignored_backward"),
    (ex.check_padded_dilated_input_grad, _slip(padded_dilated_input_grad, crop=False), "padding_not_cropped"),
    (ex.check_padded_dilated_input_grad, _slip(padded_dilated_input_grad, flip=True), "kernel_not_flipped"),
    (ex.check_padded_dilated_kernel_grad, _slip(padded_dilated_kernel_grad, tap=1), "dilation_ignored_backward"),
    (ex.check_padded_dilated_kernel_grad, _slip(padded_dilated_kernel_grad, pad=False), "padding_ignored_backward"),
    (ex.check_padded_dilated_kernel_grad, _slip(padded_dilated_kernel_grad, flip=True), "grad_flipped"),
    (ex.check_transposed_conv, _slip(transposed_conv, flip=True), "kernel_not_flipped"),
    (ex.check_transposed_conv, _slip(transposed_conv, use_output_padding=False), "output_padding_ignored"),
    (ex.check_transposed_conv, _slip(transposed_conv, crop_both=False), "transposed_crop_one_side"),
    (ex.check_output_padding_for, lambda n, k, s, p, d: (n + 2 * p - k) % s, "output_padding_dilation_ignored"),
    (ex.check_output_padding_for, lambda n, k, s, p, d: (n - d * (k - 1) - 1) % s, "output_padding_padding_ignored"),
    (ex.check_output_padding_for,
     lambda n, k, s, p, d: (s - output_padding_for(n, k, s, p, d)) % s, "output_padding_complement"),
    (ex.check_output_padding_for, lambda n, k, s, p, d: (n + 2 * p - d * (k - 1)) % s, "plus_one_forgotten"),
]


# ------------------------------------------------------------------ lesson 10: LeakyReLU
def leaky_relu_backward(z, grad_out, negative_slope):
    slope = np.ones_like(z)
    slope[z <= 0] = negative_slope
    return grad_out * slope


SOLUTIONS_B["check_leaky_relu_backward"] = leaky_relu_backward


def test_leaky_relu_backward_agrees_with_torch_including_the_kink():
    z = torch.tensor([-2.0, 0.0, 3.0], dtype=torch.float64, requires_grad=True)
    torch.nn.functional.leaky_relu(z, 0.2).backward(torch.tensor([1.0, 1.0, 1.0], dtype=torch.float64))
    assert np.allclose(leaky_relu_backward(z.detach().numpy(), np.ones(3), 0.2), z.grad.numpy())


LEARNER_MISTAKES += [
    (ex.check_leaky_relu_backward, lambda z, g, a: g * (z > 0), "leaky_slope_ignored"),
    (ex.check_leaky_relu_backward, lambda z, g, a: np.where(z > 0, 1.0, a), "chain_rule_forgotten"),
    (ex.check_leaky_relu_backward, lambda z, g, a: g * np.where(z > 0, a, 1.0), "leaky_slope_sides_swapped"),
    (ex.check_leaky_relu_backward, lambda z, g, a: g * np.where(z < 0, a, 1.0), "leaky_kink_side"),
]


# ------------------------------------------------------------------ lesson 13: Winograd F(3, 2)
def winograd_f32(d, g):
    """Four products, from the points 0, 1, -1, infinity (the halves on the kernel side)."""
    kernel = [g[0], (g[0] + g[1]) / 2, (g[0] - g[1]) / 2, g[1]]
    data = [d[0] - d[2], d[1] + d[2], d[2] - d[1], d[3] - d[1]]
    m = [a * b for a, b in zip(data, kernel)]
    return np.array([m[0] + m[1] + m[2], m[1] - m[2], m[1] + m[2] + m[3]])


SOLUTIONS_B["check_winograd_f32"] = winograd_f32


def test_the_f32_solution_is_the_direct_correlation_by_hand():
    d, g = np.array([1.0, -2.0, 3.0, 5.0]), np.array([2.0, 7.0])
    assert np.allclose(winograd_f32(d, g), [d[i] * g[0] + d[i + 1] * g[1] for i in range(3)])


LEARNER_MISTAKES += [
    (ex.check_winograd_f32, lambda d, g: winograd_f32(d, g[::-1]), "winograd_kernel_flipped"),
    (ex.check_winograd_f32, lambda d, g: winograd_f32(d, g) + np.array([0, 0, 2 * (d[1] - d[3]) * g[1]]),
     "winograd_infinity_row"),
]


# ------------------------------------------------------------------ lesson 11: a batch of logits
def batch_logit_grads(logits, targets):
    grads = np.zeros_like(logits)
    for e, (z, t) in enumerate(zip(logits, targets)):
        p = np.exp(z - z.max())
        p = p / p.sum()
        p[t] -= 1.0
        grads[e] = p / len(logits)
    return grads


SOLUTIONS_B["check_batch_logit_grads"] = batch_logit_grads


LEARNER_MISTAKES += [
    (ex.check_batch_logit_grads, lambda z, t: batch_logit_grads(z, t) * len(z), "batch_mean_missing"),
    (ex.check_batch_logit_grads, lambda z, t: -batch_logit_grads(z, t), "softmax_grad_sign"),
]


# ------------------------------------------------------------------ lesson 12: elliptical Gaussian
def elliptical_gaussian(shape, sigmas, normalise=True):
    kernel = np.zeros(shape)
    for i in range(shape[0]):
        for j in range(shape[1]):
            u, v = i - (shape[0] - 1) / 2, j - (shape[1] - 1) / 2
            kernel[i, j] = np.exp(-u * u / (2 * sigmas[0] ** 2) - v * v / (2 * sigmas[1] ** 2))
    return kernel / kernel.sum() if normalise else kernel


SOLUTIONS_B["check_elliptical_gaussian"] = elliptical_gaussian


LEARNER_MISTAKES += [
    (ex.check_elliptical_gaussian, lambda shape, sigmas: elliptical_gaussian(shape, sigmas[::-1]),
     "gaussian_sigmas_swapped"),
    (ex.check_elliptical_gaussian, _slip(elliptical_gaussian, normalise=False), "gaussian_not_normalised"),
]


# ------------------------------------------------------------------ every checker above
@pytest.mark.parametrize("checker, wrong, key", LEARNER_MISTAKES,
                         ids=[f"{c.__name__[6:]}-{k}" for c, _, k in LEARNER_MISTAKES])
def test_a_learner_style_mistake_is_rejected_and_named(checker, wrong, key):
    result = checker(wrong)
    assert not result
    assert key in dict(result.misconceptions), result.text
    assert ex.MESSAGES[key] in result.text


@pytest.mark.parametrize("checker", [getattr(ex, n) for n in sorted(SOLUTIONS_B)])
def test_each_named_mistake_of_the_checker_is_rejected(checker):
    for key, wrong in checker.mistakes:
        result = checker(wrong)
        assert not result and key in dict(result.misconceptions), (key, result.text)


@pytest.mark.parametrize("name", sorted(SOLUTIONS_B))
def test_the_independent_solution_passes(name):
    result = getattr(ex, name)(SOLUTIONS_B[name])
    assert result and result.n_passed == result.n_cases >= 5
