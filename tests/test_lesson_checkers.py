"""The checkers of the exercises added with the question API: a right answer passes,
each known mistake is named, and a stub is "not implemented yet"."""

import numpy as np
import pytest

import convlab as cl
from convlab import exercises as ex
from convlab.exercises import integrated, interface, kernel_fit, worked

CHECKERS = {c.__name__: c for c in ex.LESSON_CHECKERS}


def _stub(*args):
    raise NotImplementedError("your solution goes here")


# ----------------------------------------------- right answers, written as a learner would
def feature_maps(image, kernels):
    k = kernels.shape[-1]
    h, w = image.shape[0] - k + 1, image.shape[1] - k + 1
    return np.array([[[np.sum(image[i:i + k, j:j + k] * kern) for j in range(w)]
                      for i in range(h)] for kern in kernels])


def pool_winners(maps):
    return np.array([np.unravel_index(np.argmax(m), m.shape) for m in maps])


def logit_grads(logits, target):
    p = np.exp(logits - logits.max())
    p /= p.sum()
    p[target] -= 1
    return p


def kernel_grads(image, kernels, d_pooled):
    k = kernels.shape[-1]
    maps = feature_maps(image, kernels)
    grads = np.zeros_like(kernels)
    for index, (r, c) in enumerate(pool_winners(maps)):
        if maps[index, r, c] > 0:
            grads[index] = d_pooled[index] * image[r:r + k, c:c + k]
    return grads


def kernel_grad_one_matmul(x, grad_out, kernel_size):
    rows = cl.im2row(x, kernel_size)                                   # (N, P, C*k*k)
    rows = rows.reshape(-1, rows.shape[-1])                            # (N*P, C*k*k)
    delta = grad_out.transpose(1, 0, 2, 3).reshape(grad_out.shape[1], -1)   # (C_out, N*P)
    return (delta @ rows).reshape(grad_out.shape[1], x.shape[1], *kernel_size)


def integrated_input_grad(grad_out, weight, stride, input_size):
    n, _, h_out, w_out = grad_out.shape
    _, c_in, kh, kw = weight.shape
    dx = np.zeros((n, c_in, *input_size))
    for m in range(kh):
        for q in range(kw):
            dx[:, :, m:m + stride * h_out:stride, q:q + stride * w_out:stride] += np.einsum(
                "boij,oc->bcij", grad_out, weight[:, :, m, q])
    return dx


class AffineLayer(cl.nn.Layer):
    def __init__(self, weight, bias):
        super().__init__()
        self.params = {"weight": weight, "bias": bias}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def forward(self, x):
        self.x = x
        return x @ self.params["weight"].T + self.params["bias"]

    def backward(self, grad_out):
        self.grads["weight"] = grad_out.T @ self.x
        self.grads["bias"] = grad_out.sum(axis=0)
        return grad_out @ self.params["weight"]


def backprop(layers, x, loss_grad):
    for layer in layers:
        x = layer.forward(x)
    g = loss_grad(x)
    for layer in reversed(layers):
        g = layer.backward(g)
    return g


def numerical_gradient(f, x, eps):
    grad = np.zeros_like(x, dtype=float)
    x = x.astype(float)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + eps
        up = f(x)
        x[index] = old - eps
        down = f(x)
        x[index] = old
        grad[index] = (up - down) / (2 * eps)
    return grad


def kernel_loss_grad(image, kernel, target):
    p = kernel.shape[0] // 2
    residual = cl.correlate2d(image, kernel, padding=p) - target
    return 2 / image.size * cl.correlate2d(cl.pad(image, p), residual)


def rank_one_factors(kernel):
    u, s, vt = np.linalg.svd(kernel)
    return u[:, 0] * s[0], vt[0]


SOLUTIONS = {f.__name__: f for f in (feature_maps, pool_winners, logit_grads, kernel_grads,
                                     kernel_grad_one_matmul, integrated_input_grad, backprop,
                                     numerical_gradient, kernel_loss_grad, rank_one_factors)}
SOLUTIONS["AffineLayer"] = AffineLayer


def _solution(name):
    return SOLUTIONS[name[len("check_"):]] if name != "check_affine_layer" else AffineLayer


@pytest.mark.parametrize("name", sorted(CHECKERS))
def test_a_right_answer_passes(name):
    result = CHECKERS[name](_solution(name))
    assert result and result.status == "passed", result.text
    assert result.assert_passed() is None


@pytest.mark.parametrize("name", sorted(set(CHECKERS) - {"check_affine_layer"}))
def test_a_stub_is_not_implemented_yet(name):
    assert CHECKERS[name](_stub).status == "not implemented"


def test_a_stub_class_is_not_implemented_yet():
    class Stub(cl.nn.Layer):
        def __init__(self, weight, bias):
            raise NotImplementedError("your solution goes here")
    assert ex.interface.check_affine_layer(Stub).status == "not implemented"


MISTAKES = [(name, key, index) for name, checker in CHECKERS.items()
            for index, (key, _) in enumerate(getattr(checker, "mistakes", ()))
            if name not in ("check_affine_layer", "check_rank_one_factors")]


@pytest.mark.parametrize("name, key, index", MISTAKES, ids=[f"{n[6:]}-{k}-{i}" for n, k, i in MISTAKES])
def test_each_known_mistake_is_named(name, key, index):
    checker = CHECKERS[name]
    result = checker(checker.mistakes[index][1])
    assert not result and result.status == "failed", result.text
    assert key in dict(result.misconceptions), result.text
    assert ex.MESSAGES[key] in result.text


# ------------------------------------------- mistakes written the way learners make them
def test_a_layer_that_divides_by_the_batch_size_is_told_where_the_mean_goes():
    class MeanLayer(AffineLayer):
        def backward(self, grad_out):
            dx = super().backward(grad_out)
            self.grads = {k: v / len(self.x) for k, v in self.grads.items()}
            return dx
    result = ex.interface.check_affine_layer(MeanLayer)
    assert not result and result.misconception == "mean_inside_layer", result.text


def test_a_transposed_weight_gradient_is_named():
    class Transposed(AffineLayer):
        def backward(self, grad_out):
            dx = super().backward(grad_out)
            self.grads["weight"] = self.x.T @ grad_out
            return dx
    result = ex.interface.check_affine_layer(Transposed)
    assert not result and "linear_dw_transposed" in dict(result.misconceptions), result.text


def test_backprop_in_the_forward_order_fails():
    def forward_order(layers, x, loss_grad):
        for layer in layers:
            x = layer.forward(x)
        g = loss_grad(x)
        for layer in layers:
            g = layer.backward(g)
        return g
    assert not ex.interface.check_backprop(forward_order)


def test_a_pivot_at_a_zero_corner_is_named():
    def naive(kernel):
        return kernel[:, 0], kernel[0] / kernel[0, 0]
    result = ex.kernel_fit.check_rank_one_factors(naive)
    assert not result and result.misconception == "zero_pivot", result.text


def test_ignoring_the_stride_in_the_integrated_backward_is_named():
    def no_stride(grad_out, weight, stride, input_size):
        return integrated_input_grad(grad_out, weight, 1, input_size)
    result = ex.integrated.check_integrated_input_grad(no_stride)
    assert not result and result.misconception == "stride_ignored_backward", result.text


def test_the_worked_problem_cases_match_the_library_reference():
    r = cl.nn.worked_problem()
    image, kernels = r["image"][0, 0], r["weight"][:, 0]
    assert np.allclose(worked._feature_maps(image, kernels), r["conv"][0])
    assert np.allclose(worked._kernel_grads(image, kernels, r["d_pool"].ravel()), r["d_weight"][:, 0])
    assert np.allclose(worked._logit_grads(r["logits"][0], 1), r["d_logits"][0])
    assert worked._winners(r["relu"][0]).tolist() == [[0, 0], [0, 0]]


def avgpool_backward(x, grad_out, kernel_size):
    k = kernel_size
    dx = np.zeros_like(x)
    spread = np.repeat(np.repeat(grad_out, k, axis=2), k, axis=3) / k**2
    dx[:, :, :spread.shape[2], :spread.shape[3]] = spread
    return dx


SOLUTIONS["avgpool_backward"] = avgpool_backward
