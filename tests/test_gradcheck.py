"""convlab.gradcheck against hand-derived gradients and torch autograd."""

import numpy as np
import pytest
import torch

import convlab as cl
from convlab.gradcheck import GradcheckResult, check_gradients, numerical_gradients


def test_numerical_gradients_of_a_product_match_calculus():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    g = rng.standard_normal((3, 2))
    da, db = numerical_gradients(lambda a, b: a @ b, [a, b], grad_out=g)
    np.testing.assert_allclose(da, g @ b.T, atol=1e-9)
    np.testing.assert_allclose(db, a.T @ g, atol=1e-9)


def test_numerical_gradients_match_torch_autograd():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3))
    g = rng.standard_normal((2, 3))
    (num,) = numerical_gradients(lambda x: np.tanh(x) * np.exp(x.sum(axis=1, keepdims=True)), [x],
                                 grad_out=g)
    xt = torch.tensor(x, requires_grad=True)
    (torch.tanh(xt) * torch.exp(xt.sum(1, keepdim=True))).backward(torch.tensor(g))
    np.testing.assert_allclose(num, xt.grad.numpy(), rtol=1e-7, atol=1e-9)


def test_check_passes_for_convlab_conv_backward():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    conf = dict(stride=2, padding=1, method="im2row")
    result = check_gradients(lambda x, w: cl.conv2d(x, w, **conf), [x, w],
                             lambda g, x, w: cl.conv2d_backward(g, x, w, **conf)[:2],
                             names=("x", "weight"))
    assert result and isinstance(result, GradcheckResult)
    assert result.max_rel_error < 1e-6
    assert repr(result).startswith("<gradcheck passed: worst entry ")


def test_check_reports_the_worst_entry():
    x = np.array([1.0, 2.0, 3.0])
    analytic = 2 * x
    analytic[1] += 0.5  # a wrong entry
    result = check_gradients(lambda x: x ** 2, [x], [analytic], grad_out=np.ones(3), names=["x"])
    assert not result
    assert result.input_index == 0 and result.index == (1,)
    assert result.analytic == pytest.approx(4.5) and result.numeric == pytest.approx(4.0, abs=1e-6)
    assert result.rel_error == pytest.approx(0.5 / 4.5, rel=1e-6)
    assert repr(result).startswith("<gradcheck FAILED: worst entry x[1] analytic=4.5 numeric=4")


def test_check_finds_the_wrong_input_among_several():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal(4), rng.standard_normal(4)
    result = check_gradients(lambda a, b: a * b, [a, b], lambda g, a, b: [g * b, g * b])
    assert not result and result.input_index == 1


def test_wrt_and_none_skip_inputs():
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    assert check_gradients(lambda a, b: a * b, [a, b], [b.copy(), None], grad_out=np.ones(2))
    res = check_gradients(lambda a, b: a * b, [a, b], [b.copy(), np.zeros(2)], grad_out=np.ones(2),
                          wrt=0)
    assert res


def test_inputs_are_never_modified():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    before = x.copy()

    def f(x):
        return x ** 3

    def analytic(g, x):
        x += 100  # even a misbehaving backward only sees a copy
        return [3 * (x - 100) ** 2 * g]

    assert check_gradients(f, [x], analytic)
    numerical_gradients(f, [x])
    np.testing.assert_array_equal(x, before)


def test_integer_inputs_are_checked_in_float64():
    result = check_gradients(lambda x: x * 0.5, [np.array([1, 2, 3])], [np.full(3, 0.5)],
                             grad_out=np.ones(3))
    assert result


def test_default_grad_out_is_seeded_random():
    x = np.arange(3.0)
    g1 = numerical_gradients(lambda x: 2 * x, [x])[0]
    g2 = numerical_gradients(lambda x: 2 * x, [x])[0]
    np.testing.assert_array_equal(g1, g2)
    assert len(set(np.round(g1, 6))) == 3  # not all equal, so not a grad_out of ones


@pytest.mark.parametrize("call, error, match", [
    (lambda: check_gradients(lambda x: x, np.zeros(2), [np.zeros(2)]), TypeError,
     "inputs must be a list or tuple of arrays; got ndarray"),
    (lambda: check_gradients(lambda x: x, [np.array(["a"])], [np.zeros(1)]), TypeError,
     r"inputs\[0\] must hold real numbers"),
    (lambda: check_gradients(lambda x: x, [np.zeros(2)], np.zeros(2)), TypeError,
     "analytic must be a callable or a list/tuple"),
    (lambda: check_gradients(lambda x: x, [np.zeros(2)], [np.zeros(2), np.zeros(2)]), ValueError,
     r"analytic must give one gradient per input \(1\); got 2"),
    (lambda: check_gradients(lambda x: x, [np.zeros(2)], [np.zeros(3)]), ValueError,
     r"analytic\[0\] must have the shape of inputs\[0\] \(2,\); got \(3,\)"),
    (lambda: numerical_gradients(lambda x: x, [np.zeros(2)], grad_out=np.ones(3)), ValueError,
     r"grad_out must have the output's shape \(2,\); got \(3,\)"),
    (lambda: numerical_gradients(3, [np.zeros(2)]), TypeError, "f must be callable; got int"),
    (lambda: numerical_gradients(lambda x: x, [np.zeros(2)], eps=0), ValueError,
     "eps must be positive; got 0"),
    (lambda: numerical_gradients(lambda x: x, [np.zeros(2)], wrt=[1]), ValueError,
     r"wrt must be an int in \[0, 0\]; got 1"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
