"""Transposed convolution against torch; im2row, row2im and the convolution matrix
as adjoint pairs that reproduce the convolution."""

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from torch_reference import assert_close, conv_configs, reference

import convlab as cl

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def transposed_configs(draw, spatial=2):
    groups = draw(st.integers(1, 3))
    c_in, c_out = groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(spatial))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(spatial))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(spatial))
    size = tuple(draw(st.integers(1, 6)) for _ in range(spatial))
    pads = tuple((draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(spatial))
    output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    full = [(n - 1) * s + d * (k - 1) + 1 for n, s, d, k in zip(size, stride, dilation, kernel)]
    assume(all(f - sum(p) + op >= 1 for f, p, op in zip(full, pads, output_padding)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    batch = draw(st.integers(0, 2))
    x = rng.standard_normal(((batch,) if batch else ()) + (c_in,) + size)
    weight = rng.standard_normal((c_in, c_out // groups) + kernel)
    bias = rng.standard_normal(c_out) if draw(st.booleans()) else None
    return dict(x=x, weight=weight, bias=bias, stride=stride, pads=pads, dilation=dilation,
                groups=groups, output_padding=output_padding)


def torch_transposed(c):
    """torch's transposed convolution without padding, then the padding trimmed explicitly."""
    spatial = c["weight"].ndim - 2
    transpose = F.conv_transpose2d if spatial == 2 else F.conv_transpose1d
    x = c["x"] if c["x"].ndim == spatial + 2 else c["x"][None]
    y = transpose(torch.tensor(x), torch.tensor(c["weight"]), stride=c["stride"], dilation=c["dilation"],
                  groups=c["groups"]).numpy()
    for axis, ((before, after), op) in enumerate(zip(c["pads"], c["output_padding"]), start=2):
        y = np.concatenate([y, np.zeros(y.shape[:axis] + (op,) + y.shape[axis + 1:])], axis=axis)
        y = np.take(y, range(before, y.shape[axis] - after), axis=axis)
    if c["bias"] is not None:
        y = y + c["bias"].reshape((1, -1) + (1,) * spatial)
    return y if c["x"].ndim == spatial + 2 else y[0]


def _transpose(c, conv=cl.conv_transpose2d):
    padding = c["pads"] if c["weight"].ndim == 4 else c["pads"][0]
    return conv(c["x"], c["weight"], c["bias"], stride=c["stride"], padding=padding,
                output_padding=c["output_padding"], dilation=c["dilation"], groups=c["groups"])


@SETTINGS
@given(c=transposed_configs())
def test_conv_transpose2d_matches_torch(c):
    assert_close(_transpose(c), torch_transposed(c), "transpose2d", "flip")


@SETTINGS
@given(c=transposed_configs(spatial=1))
def test_conv_transpose1d_matches_torch(c):
    assert_close(_transpose(c, cl.conv_transpose1d), torch_transposed(c), "transpose1d", "flip")


def test_symmetric_padding_matches_torch_directly():
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((2, 4, 5, 6)), rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(6)
    expected = F.conv_transpose2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), stride=(2, 3),
                                  padding=(1, 2), output_padding=(1, 0), dilation=(2, 1), groups=2).numpy()
    got = cl.conv_transpose2d(x, w, b, stride=(2, 3), padding=(1, 2), output_padding=(1, 0),
                              dilation=(2, 1), groups=2)
    assert_close(got, expected, "transpose2d", "flip")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.filter_too_much])
@given(c=conv_configs(max_size=6, max_kernel=3, max_channels=2))
def test_conv_matrix_adjoint_transposed_and_backward_agree(c):
    x = c["x"] if c["x"].ndim == 3 else c["x"][0]
    args = dict(stride=c["stride"], padding=c["padding"], dilation=c["dilation"], groups=c["groups"])
    T = cl.conv_matrix(c["weight"], x.shape, **args)
    y = cl.conv2d(x, c["weight"], **args, method="shift")
    assert_close(T @ x.ravel(), y.ravel(), "conv_matrix", "forward")
    rng = np.random.default_rng(0)
    g = rng.standard_normal(y.shape)
    # adjoint identity: <T x, g> == <x, T^T g>
    assert np.isclose(np.dot(T @ x.ravel(), g.ravel()), np.dot(x.ravel(), T.T @ g.ravel()), rtol=1e-12, atol=1e-12)
    backward_dx = cl.conv2d_backward(g, x, c["weight"], **args, method="im2row").dx
    assert_close((T.T @ g.ravel()).reshape(x.shape), backward_dx, "conv_matrix.T", "backward dx")
    # conv_matrix(w).T is the transposed convolution, when the stride leaves no remainder rows
    pads = c["pads"]
    out_padding = tuple((n + sum(p) - d * (k - 1) - 1) % s for n, p, d, k, s in zip(
        x.shape[1:], pads, c["dilation"], c["weight"].shape[2:], c["stride"]))
    assume(all(op < max(s, d) for op, s, d in zip(out_padding, c["stride"], c["dilation"])))
    transposed = cl.conv_transpose2d(g, c["weight"], stride=c["stride"], padding=pads, output_padding=out_padding,
                                     dilation=c["dilation"], groups=c["groups"])
    assert_close(transposed, (T.T @ g.ravel()).reshape(x.shape), "conv_matrix.T", "conv_transpose2d")


def test_conv_matrix_is_doubly_block_toeplitz():
    w = np.arange(1.0, 5.0).reshape(2, 2)
    T = cl.conv_matrix(w, (3, 4)).reshape(2, 3, 3, 4)  # (row block i, col in block, input row, input col)
    for i in range(2):  # each block row holds blocks for input rows i and i+1: w's rows, as Toeplitz bands
        np.testing.assert_array_equal(T[i, :, i], [[1, 2, 0, 0], [0, 1, 2, 0], [0, 0, 1, 2]])
        np.testing.assert_array_equal(T[i, :, i + 1], [[3, 4, 0, 0], [0, 3, 4, 0], [0, 0, 3, 4]])
    assert np.count_nonzero(T) == 2 * 3 * 4


@SETTINGS
@given(c=conv_configs())
def test_im2row_times_kernels_is_the_convolution_and_row2im_is_its_adjoint(c):
    x = c["x"] if c["x"].ndim == 4 else c["x"][None]
    w = c["weight"]
    if c["groups"] != 1:
        w = w[: w.shape[0] // c["groups"]]
        x = x[:, : w.shape[1]]
    kernel = w.shape[2:]
    args = dict(stride=c["stride"], padding=c["padding"], dilation=c["dilation"])
    rows = cl.im2row(x, kernel, **args)
    y = reference(dict(c, x=x, weight=w, bias=None, groups=1))
    n, c_out = y.shape[:2]
    assert_close((rows @ w.reshape(c_out, -1).T).transpose(0, 2, 1).reshape(y.shape), y, "im2row", "forward")
    r = np.random.default_rng(0).standard_normal(rows.shape)
    assert np.isclose(np.sum(rows * r), np.sum(x * cl.row2im(r, x.shape, kernel, **args)), rtol=1e-11, atol=1e-11)


def test_row2im_sums_overlaps_hand_example():
    # a 3x3 input, 2x2 windows, stride 1: the centre is in all four windows
    np.testing.assert_array_equal(cl.row2im(np.ones((4, 4)), (1, 3, 3), 2)[0],
                                  [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
