"""The transfer exercises of lessons 00-06: each checker passes an independent solution and
names every mistake it lists when the mistake is written the way a learner writes it."""

import exercise_solutions as sol
import numpy as np
import pytest

from convlab import exercises as ex


def _named(result, key):
    assert not result, result.text
    assert key in dict(result.misconceptions), result.text
    assert ex.MESSAGES[key] in result.text


# ------------------------------------------------------------------ lesson 05
def test_a_layer_that_rebinds_its_gradient_is_caught_by_one_sgd_step():
    class Rebinding(sol.AffineLayer):
        def backward(self, grad_out):
            self.grads["weight"] = grad_out.T @ self.x      # a new array: the optimiser never sees it
            self.grads["bias"] = grad_out.sum(axis=0)
            return grad_out @ self.params["weight"]
    _named(ex.check_affine_layer(Rebinding), "gradient_rebound")


def test_a_layer_without_gradient_arrays_before_backward_is_told_to_create_them():
    class Lazy(sol.AffineLayer):
        def __init__(self, weight, bias):
            super().__init__(weight, bias)
            self.grads = {}
    result = ex.check_affine_layer(Lazy)
    assert not result and "must create grads['weight']" in result.text, result.text


def test_the_in_place_solution_passes():
    assert ex.check_affine_layer(sol.AffineLayer)
    assert ex.check_residual_backprop(sol.residual_backprop)


def _forward(layers, x):
    h = x
    for layer in layers:
        h = layer.forward(h)
    return h


def _skip_dropped(layers, x, loss_grad):  # only the branch carries the gradient back
    g = loss_grad(x + _forward(layers, x))
    for layer in reversed(layers):
        g = layer.backward(g)
    return g


def _branch_dropped(layers, x, loss_grad):  # only the skip: the layers get no backward
    return loss_grad(x + _forward(layers, x))


def _not_reversed(layers, x, loss_grad):  # backward through the layers in forward order
    g = loss_grad(x + _forward(layers, x))
    branch = g
    for layer in layers:
        branch = layer.backward(branch)
    return g + branch


@pytest.mark.parametrize("learner, key", [(_skip_dropped, "residual_skip_dropped"),
                                          (_branch_dropped, "residual_branch_dropped"),
                                          (_not_reversed, "backward_not_reversed")])
def test_each_residual_slip_is_named(learner, key):
    """Each slip written by hand in the learner's notebook style (no convlab calls)."""
    _named(ex.check_residual_backprop(learner), key)


def test_a_residual_backward_that_forgets_the_skip_written_by_hand_is_named():
    def chain_only(layers, x, loss_grad):
        h = x
        for layer in layers:
            x_next = layer.forward(x if layer is layers[0] else h)
            h = x_next
        g = loss_grad(x + h)
        for layer in reversed(layers):
            g = layer.backward(g)
        return g
    _named(ex.check_residual_backprop(chain_only), "residual_skip_dropped")


# ------------------------------------------------------------------ lesson 06
@pytest.mark.parametrize("wrong, key", [
    (lambda x, g, k, s, d: np.array([g @ x[d * u:d * u + len(g)] for u in range(k)]), "stride_ignored"),
    (lambda x, g, k, s, d: np.array([g @ x[u:u + s * (len(g) - 1) + 1:s] for u in range(k)]),
     "dilation_ignored"),
    (lambda x, g, k, s, d: np.array([g @ x[u:u + len(g)] for u in range(k)]),
     "stride_and_dilation_ignored"),
    (lambda x, g, k, s, d: sol.kernel_grad_1d_strided(x, g, k, s, d)[::-1], "grad_flipped"),
])
def test_each_strided_1d_kernel_gradient_slip_is_named(wrong, key):
    _named(ex.check_kernel_grad_1d_strided(wrong), key)


def _nhwc_dense(i, g, k, s):
    """The channels-last gradient written for stride 1 (slices without a step)."""
    h_out, w_out = g.shape[1:3]
    return np.stack([np.stack([np.einsum("eijc,eijo->co", i[:, m:m + h_out, n:n + w_out], g)
                               for n in range(k[1])]) for m in range(k[0])])


@pytest.mark.parametrize("wrong, key", [
    (lambda i, g, k, s: sol.kernel_grad_nhwc(i[:1], g[:1], k, s), "kernel_grad_not_summed_over_batch"),
    (_nhwc_dense, "stride_ignored"),
    (lambda i, g, k, s: sol.kernel_grad_nhwc(i, g, k, s)[::-1, ::-1], "grad_flipped"),
    (lambda i, g, k, s: np.einsum("mnco->mnoc", sol.kernel_grad_nhwc(i, g, k, s)),
     "channels_last_in_out_swapped"),
    (lambda i, g, k, s: np.einsum("mnco->ocmn", sol.kernel_grad_nhwc(i, g, k, s)),
     "channels_last_returned_channels_first"),
])
def test_each_channels_last_kernel_gradient_slip_is_named(wrong, key):
    _named(ex.check_kernel_grad_nhwc(wrong), key)


# ------------------------------------------------------------------ lesson 04
def _by_rows(grad_out, weight, flip=True, swap=True, pad=True, transpose=True):
    """The input gradient as a learner writes it with cl.im2row, each step switchable."""
    import convlab as cl
    n, c_out, h_out, w_out = grad_out.shape
    _, c_in, kh, kw = weight.shape
    g = cl.pad(grad_out, (kh - 1, kw - 1)) if pad else grad_out
    rows = cl.im2row(g, (kh, kw))
    kernel = cl.flip_kernel(weight) if flip else weight
    matrix = (kernel.transpose(1, 0, 2, 3) if swap else kernel).reshape(c_in, -1)
    dx = rows @ matrix.T
    h, w = g.shape[2] - kh + 1, g.shape[3] - kw + 1
    return dx.transpose(0, 2, 1).reshape(n, c_in, h, w) if transpose else dx.reshape(n, c_in, h, w)


@pytest.mark.parametrize("slip, key", [
    ({"flip": False}, "kernel_not_flipped"),
    ({"swap": False}, "input_grad_channels_not_swapped"),
    ({"pad": False}, "input_grad_not_fully_padded"),
    ({"transpose": False}, "input_grad_reshape_without_transpose"),
])
def test_each_im2row_input_gradient_slip_is_named(slip, key):
    assert ex.check_input_grad_im2row(_by_rows)
    _named(ex.check_input_grad_im2row(lambda g, w: _by_rows(g, w, **slip)), key)


# ------------------------------------------------------------------ lesson 02
def _total(n, n_out, k, s, d):
    return (n_out - 1) * s + d * (k - 1) + 1 - n


@pytest.mark.parametrize("wrong, key", [
    (lambda n, n_out, k, s, d: sol.padding_for_size(n, -(-n // s), k, s, d), "same_formula_reused"),
    (lambda n, n_out, k, s, d: sol.padding_for_size(n, n_out, k, s, 1), "padding_dilation_ignored"),
    (lambda n, n_out, k, s, d: sol.padding_for_size(n, n_out, k, s, d)[::-1], "same_pad_side"),
    (lambda n, n_out, k, s, d: (_total(n, n_out, k, s, d) // 2,
                                _total(n, n_out, k, s, d) - _total(n, n_out, k, s, d) // 2),
     "negative_padding"),
])
def test_each_padding_for_size_slip_is_named(wrong, key):
    _named(ex.check_padding_for_size(wrong), key)


# ------------------------------------------------------------------ lesson 01
def _full_correlation(x, w):
    padded = np.concatenate([np.zeros(len(w) - 1), x, np.zeros(len(w) - 1)])
    return np.array([padded[i:i + len(w)] @ w for i in range(len(x) + len(w) - 1)])


@pytest.mark.parametrize("wrong, key", [
    (_full_correlation, "kernel_not_flipped"),
    (lambda x, w: np.array([x[i:i + len(w)] @ w[::-1] for i in range(len(x) - len(w) + 1)]),
     "full_convolution_valid_only"),
    (lambda x, w: sol.convolve_full1d(x, w)[:len(x)], "full_convolution_one_side"),
    (lambda x, w: sol.convolve_full1d(x, w)[::-1], "full_convolution_output_reversed"),
])
def test_each_full_convolution_slip_is_named(wrong, key):
    _named(ex.check_convolve_full1d(wrong), key)


# ------------------------------------------------------------------ lesson 00 (primer)
PRIMER_SLIPS = [
    (ex.check_chain_rule_grad, lambda w1, w2, x, g: (g @ w2) @ w1, "chain_activation_derivative_missing"),
    (ex.check_chain_rule_grad, lambda w1, w2, x, g: ((g @ w2) * (1 - (w1 @ x) ** 2)) @ w1,
     "chain_derivative_of_wrong_quantity"),
    (ex.check_chain_rule_grad, lambda w1, w2, x, g: w1 @ ((w2 @ g) * (1 - np.tanh(w1 @ x) ** 2)),
     "chain_matrices_not_transposed"),
    (ex.check_affine_weight_jacobian, lambda w, x: sol.affine_weight_jacobian(w, x).T, "jacobian_transposed"),
    (ex.check_affine_weight_jacobian, lambda w, x: np.kron(x, np.eye(len(w))), "vec_column_major"),
    (ex.check_affine_weight_jacobian, lambda w, x: w.copy(), "jacobian_with_respect_to_input"),
    (ex.check_vec_kron, lambda a, b, s: np.kron(b.T, a), "vec_column_major"),
    (ex.check_vec_kron, lambda a, b, s: np.kron(a, b), "kron_without_transpose"),
    (ex.check_vec_kron, lambda a, b, s: np.kron(b, a), "kron_factors_swapped"),
    (ex.check_channel_mix, lambda w, x: np.einsum("oc,ecij->oij", w, x), "einsum_batch_summed"),
    (ex.check_channel_mix, lambda w, x: np.einsum("oc,ecij->oeij", w, x), "einsum_axes_out_of_order"),
    (ex.check_channel_mix, lambda w, x: np.einsum("co,ecij->eoij", w, x), "einsum_weight_transposed"),
    (ex.check_cross_entropy_grad, lambda z, t: sol.cross_entropy_grad(z, t) * len(t), "mean_forgotten"),
    (ex.check_cross_entropy_grad, lambda z, t: -sol.cross_entropy_grad(z, t), "onehot_minus_softmax"),
    (ex.check_cross_entropy_grad,
     lambda z, t: (np.exp(z) / np.exp(z).sum(axis=0) - np.eye(z.shape[1])[t]) / len(t),
     "softmax_over_batch_axis"),
]


@pytest.mark.parametrize("checker, wrong, key", PRIMER_SLIPS,
                         ids=[f"{c.__name__[6:]}-{k}" for c, _, k in PRIMER_SLIPS])
def test_each_primer_slip_is_named(checker, wrong, key):
    _named(checker(wrong), key)
