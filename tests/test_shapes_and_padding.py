"""Output sizes, padding modes (TensorFlow "same" with stride), the channels-last worked
example, receptive fields and the building blocks, against torch and hand-worked values."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import convlab as cl
from convlab.shapes import receptive_field, resolve_padding, uncovered_count


@settings(max_examples=300, deadline=None)
@given(n=st.integers(1, 40), k=st.integers(1, 7), s=st.integers(1, 4), d=st.integers(1, 3),
       before=st.integers(0, 4), after=st.integers(0, 4))
def test_conv_output_size_matches_torch(n, k, s, d, before, after):
    if d * (k - 1) + 1 > n + before + after:
        with pytest.raises(ValueError, match="kernel is larger than the padded input"):
            cl.conv_output_size(n, k, s, (before, after), d)
        return
    x = F.pad(torch.zeros(1, 1, n), (before, after))
    expected = F.conv1d(x, torch.zeros(1, 1, k), stride=s, dilation=d).shape[-1]
    assert cl.conv_output_size(n, k, s, (before, after), d) == expected


@settings(max_examples=300, deadline=None)
@given(n=st.integers(1, 30), k=st.integers(1, 6), s=st.integers(1, 4), d=st.integers(1, 3))
def test_same_padding_is_tensorflow_same(n, k, s, d):
    n_out = math.ceil(n / s)  # TensorFlow's definition
    total = max((n_out - 1) * s + d * (k - 1) + 1 - n, 0)
    assert cl.conv_output_size(n, k, s, "same", d) == n_out
    assert resolve_padding("same", (k,), (s,), (d,), (n,)) == ((total // 2, total - total // 2),)


def test_same_with_stride_equals_explicit_asymmetric_padding_then_torch():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 7, 10)), rng.standard_normal((4, 3, 4, 3))
    got = cl.conv2d(x, w, stride=(2, 3), padding="same")
    assert got.shape[-2:] == (math.ceil(7 / 2), math.ceil(10 / 3))
    # by hand: H needs (4-1)*2 + 4 - 7 = 3 -> (1, 2); W needs (4-1)*3 + 3 - 10 = 2 -> (1, 1)
    expected = F.conv2d(F.pad(torch.tensor(x), (1, 1, 1, 2)), torch.tensor(w), stride=(2, 3)).numpy()
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_same_stride_one_matches_torch_same_for_odd_and_even_kernels():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 2, 6, 7))
    for kernel in [(3, 3), (2, 4), (5, 2)]:
        w = rng.standard_normal((3, 2) + kernel)
        expected = F.conv2d(torch.tensor(x), torch.tensor(w), padding="same").numpy()
        np.testing.assert_allclose(cl.conv2d(x, w, padding="same"), expected, atol=1e-12)


def test_full_padding_grows_to_n_plus_k_minus_1():
    assert cl.conv_output_size(5, 3, padding="full") == 7
    assert cl.conv2d(np.ones((1, 4, 6)), np.ones((1, 1, 3, 2)), padding="full").shape == (1, 6, 7)


def test_concepts_worked_example_same_padding_from_channels_last():
    # The worked example of lesson 03: a 3x3 image with 2 channels in [H, W, C] layout, a 2x2 kernel of ones, SAME.
    channel0 = [[2, 1, 1.5], [3, 2.2, 5], [5, 3, 2]]
    channel1 = [[7.3, 4, 2], [4, 3, 2], [0.8, 2.7, 3.9]]
    image_hwc = np.stack([channel0, channel1], axis=-1)  # [H, W, C] = [3, 3, 2]
    kernel_kkco = np.ones((2, 2, 2, 1))  # [k, k, C, O]
    x, w = cl.to_nchw(image_hwc), cl.to_nchw(kernel_kkco, kind="kernel")
    assert x.shape == (2, 3, 3) and w.shape == (1, 2, 2, 2)
    got = cl.conv2d(x, w, padding="same")
    # SAME for n=3, k=2, s=1 pads one row/column at the bottom/right only
    expected = F.conv2d(F.pad(torch.tensor(x), (0, 1, 0, 1)), torch.tensor(w)).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-12)
    # one entry by hand: the top-left window sums 2 + 1 + 3 + 2.2 and 7.3 + 4 + 4 + 3
    assert got[0, 0, 0] == pytest.approx(8.2 + 18.3)
    # the bottom-right window sees only the last pixel of each channel (the rest is padding)
    assert got[0, 2, 2] == pytest.approx(2 + 3.9)
    assert cl.to_nhwc(got).shape == (3, 3, 1)


def test_uncovered_rows_get_zero_input_gradient():
    # n=8, k=3, s=2: windows start at 0, 2, 4 and reach row 6; row 7 is never read
    assert uncovered_count(8, 3, stride=2) == 1
    g = np.ones((1, 3, 3))
    dx = cl.conv2d_backward(g, np.ones((1, 8, 8)), np.ones((1, 1, 3, 3)), stride=2, method="flip").dx
    assert np.all(dx[0, 7, :] == 0) and np.all(dx[0, :, 7] == 0) and np.all(dx[0, :7, :7] > 0)


def test_receptive_field_hand_values():
    assert receptive_field([3, 3]) == 5
    assert receptive_field([3, 3], stride=[2, 1]) == 7  # 1 + 2 + 2*2
    assert receptive_field([3, 3, 3], dilation=[1, 2, 4]) == 15


def test_building_blocks_hand_examples():
    np.testing.assert_array_equal(cl.pad(np.ones((1, 1)), ((1, 0), (0, 2))), [[0, 0, 0], [1, 0, 0]])
    np.testing.assert_array_equal(cl.zero_insert(np.array([[1, 2]]), (1, 3)), [[1, 0, 0, 2]])
    np.testing.assert_array_equal(cl.flip_kernel(np.arange(6).reshape(1, 2, 3)), [[[5, 4, 3], [2, 1, 0]]])
    # convolution = correlation with the flipped kernel, checked against numpy's own 1-D convolve
    p, w = np.array([1.0, 3.0, -2.0, 5.0]), np.array([2.0, -1.0, 0.5])
    np.testing.assert_allclose(cl.conv1d(p[None], cl.flip_kernel(w)[None, None])[0], np.convolve(p, w, "valid"))
    np.testing.assert_allclose(cl.correlate2d(p[None], w[None]), [np.correlate(p, w, "valid")])
