"""Exercises hold the learner to what they must write: a library call that does the
work is found in the learner's code (and in the notebook functions it calls) before
any case runs, and the verdict says what was used and why it is not allowed."""

import numpy as np
import pytest
import scipy.signal

import convlab as cl
from convlab import exercises as ex
from convlab.exercises.grading.forbidden import forbid_argument, forbidden_uses


def test_numpy_correlate_does_not_pass_the_loop_exercise():
    result = ex.check_correlate1d(lambda p, w: np.correlate(p, w, mode="valid"))
    assert not result and result.reason == "forbidden call"
    assert "`numpy.correlate`" in result.text and "write the loops" in result.text


def test_scipy_signal_does_not_pass_the_2d_loop_exercise():
    result = ex.check_correlate2d(lambda image, kernel: scipy.signal.correlate2d(
        image, kernel, mode="valid"))
    assert result.reason == "forbidden call" and "`scipy.signal.correlate2d`" in result.text


def _helper(p, w):  # a function of the learner's notebook, called by the one checked
    from numpy import convolve as c
    return c(p, w[::-1], mode="valid")


def test_a_forbidden_call_in_a_helper_of_the_notebook_is_found():
    result = ex.check_correlate1d(lambda p, w: _helper(p, w))
    assert result.reason == "forbidden call"
    assert "`numpy.convolve` (in `_helper`" in result.text


def test_convlab_and_torch_are_found_under_any_name():
    import torch
    from torch.nn.functional import conv2d as mine
    alias = cl

    def with_torch(x, weight, bias):
        return mine(torch.tensor(x), torch.tensor(weight), torch.tensor(bias)).numpy()

    assert "`torch" in ex.check_conv_forward_loops(with_torch).text
    result = ex.check_correlate2d(lambda image, kernel: alias.correlate2d(image, kernel))
    assert "`convlab.correlate2d`" in result.text


def test_a_default_argument_is_code_too():
    def correlate1d(p, w, do=np.correlate):
        return do(p, w, "valid")
    assert ex.check_correlate1d(correlate1d).reason == "forbidden call"


def test_a_loop_with_allowed_numpy_passes():
    def correlate1d(p, w):
        k = len(w)
        return np.array([np.dot(p[i:i + k], w) for i in range(len(p) - k + 1)])
    assert ex.check_correlate1d(correlate1d)
    assert forbidden_uses(correlate1d, ("numpy.correlate", "torch", "convlab")) == []


def test_an_exercise_that_allows_convlab_helpers_allows_them():
    def conv_via_im2row(x, weight, bias):
        n, _, h, w = x.shape
        c_out, _, kh, kw = weight.shape
        rows = cl.im2row(x, (kh, kw))
        y = rows @ weight.reshape(c_out, -1).T + bias
        return y.transpose(0, 2, 1).reshape(n, c_out, h - kh + 1, w - kw + 1)
    assert ex.check_conv_via_im2row(conv_via_im2row)
    result = ex.check_conv_via_im2row(lambda x, weight, bias: cl.conv2d(x, weight, bias))
    assert result.reason == "forbidden call" and "`convlab.conv2d`" in result.text


@pytest.mark.parametrize("bad", ["numpy.correlate", ["numpy..x"], [3], None])
def test_a_bad_forbid_is_refused(bad):
    with pytest.raises((TypeError, ValueError), match="forbid must"):
        forbid_argument(bad)


def test_every_checker_declares_what_it_forbids():
    assert all(checker.exercise.forbid for checker in ex.CHECKERS)
