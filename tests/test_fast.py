"""The "fast" method against PyTorch: every configuration, both dtypes, threads and blocks.

`forward_fast` / `backward_fast` are called with normalised arguments (the
internal contract); PyTorch sees the same numbers with the (possibly
asymmetric) padding applied by ``F.pad``. The property tests also shrink the
patch buffer (so images are cut into blocks of one output row) and force the
thread pool on, so those paths meet every configuration too.
"""

import contextlib

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from threadpoolctl import threadpool_limits

import convlab as cl
from convlab.conv import fast_forward
from convlab.conv.fast import backward_fast, forward_fast

try:  # the worst errors join the end-of-run report of tests/conftest.py when it has one
    from torch_reference import MAX_ERRORS
except ImportError:
    MAX_ERRORS = {}

PROPERTY = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def scaled_error(got, expected, kind=None):
    """Max absolute error divided by the scale of the expected values (at least 1)."""
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    error = float(np.max(np.abs(got - expected), initial=0.0)) / scale
    if kind is not None:
        key = (kind, "fast*")  # "*": called directly with normalised arguments
        MAX_ERRORS[key] = max(MAX_ERRORS.get(key, 0.0), error)
    return error


def torch_reference(x, weight, bias, stride, padding, dilation, groups, grad_out=None):
    """PyTorch's output (and with ``grad_out`` its ``(dx, dw, db)``) in x's dtype."""
    (top, bottom), (left, right) = padding
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(weight, requires_grad=True)
    bt = torch.tensor(bias, requires_grad=True) if bias is not None else None
    y = F.conv2d(F.pad(xt, (left, right, top, bottom)), wt, bt, stride, 0, dilation, groups)
    if grad_out is None:
        return y.detach().numpy()
    y.backward(torch.tensor(grad_out))
    db = torch.tensor(grad_out).sum(dim=(0, 2, 3)).numpy()
    return xt.grad.numpy(), wt.grad.numpy(), db


@contextlib.contextmanager
def engine(patch_bytes, threaded):
    """Run the fast method with a given patch-buffer size, and the thread pool forced on or not."""
    saved = fast_forward.PATCH_BYTES, fast_forward.MIN_PARALLEL_MACS, fast_forward.MIN_IMAGES_PER_THREAD
    fast_forward.PATCH_BYTES = patch_bytes
    fast_forward.MIN_PARALLEL_MACS = 0 if threaded else 10**18
    fast_forward.MIN_IMAGES_PER_THREAD = 1
    try:
        with threadpool_limits(limits=2, user_api="blas"):
            yield
    finally:
        fast_forward.PATCH_BYTES, fast_forward.MIN_PARALLEL_MACS, fast_forward.MIN_IMAGES_PER_THREAD = saved


@st.composite
def configs(draw, dtype=np.float64):
    """A legal convolution in normalised form, its arrays, and how the engine should run."""
    depthwise = draw(st.booleans()) and draw(st.booleans())
    groups = draw(st.integers(1, 3)) if not depthwise else draw(st.integers(2, 5))
    c_group = 1 if depthwise else draw(st.integers(1, 3))
    c_out = groups * draw(st.integers(1, 2 if depthwise else 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = tuple((draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(2))
    height = draw(st.integers(1, 9))  # height 1 is how 1-D convolutions arrive
    width = draw(st.integers(1, 9))
    assume(height + sum(padding[0]) >= dilation[0] * (kh - 1) + 1)
    assume(width + sum(padding[1]) >= dilation[1] * (kw - 1) + 1)
    n = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((n, groups * c_group, height, width)).astype(dtype)
    weight = rng.standard_normal((c_out, c_group, kh, kw)).astype(dtype)
    bias = rng.standard_normal(c_out).astype(dtype) if draw(st.booleans()) else None
    run = {"patch_bytes": draw(st.sampled_from([1, 2 << 20])), "threaded": draw(st.booleans())}
    return x, weight, bias, (stride, padding, dilation, groups), run, rng


@PROPERTY
@given(configs())
def test_forward_matches_torch(config):
    x, weight, bias, args, run, _ = config
    with engine(**run):
        y = forward_fast(x, weight, bias, *args)
    expected = torch_reference(x, weight, bias, *args)
    assert y.shape == expected.shape and y.dtype == x.dtype
    assert scaled_error(y, expected, f"forward {x.dtype}") <= 1e-10


@PROPERTY
@given(configs())
def test_backward_matches_torch(config):
    x, weight, _, args, run, rng = config
    out_shape = torch_reference(x, weight, None, *args).shape
    grad_out = rng.standard_normal(out_shape)
    with engine(**run):
        grads = backward_fast(grad_out, x, weight, *args)
    for name, got, expected in zip(("dx", "dw", "db"), grads, torch_reference(x, weight, None, *args, grad_out)):
        assert got.shape == expected.shape and got.dtype == x.dtype, name
        assert scaled_error(got, expected, f"{name} {x.dtype}") <= 1e-10, name


LAYERS = [  # (x shape, weight shape, stride, padding, dilation, groups): big enough for threads and blocks
    ((4, 16, 40, 40), (32, 16, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1),
    ((4, 16, 40, 40), (32, 16, 3, 3), (2, 2), ((1, 0), (2, 1)), (1, 1), 1),
    ((3, 3, 70, 70), (16, 3, 7, 7), (2, 2), ((3, 3), (3, 3)), (1, 1), 1),
    ((4, 32, 30, 30), (32, 1, 3, 3), (1, 1), ((1, 1), (1, 1)), (2, 2), 32),   # depthwise
    ((4, 16, 30, 30), (32, 1, 3, 3), (2, 1), ((1, 1), (0, 2)), (1, 1), 16),   # depthwise x2, strided
    ((5, 12, 25, 31), (12, 4, 2, 3), (3, 2), ((0, 2), (1, 0)), (2, 1), 3),
    # stride phases shared by several taps: evenly spaced tap grids in one phase
    ((2, 5, 23, 26), (6, 5, 3, 4), (2, 3), ((1, 2), (0, 3)), (2, 3), 1),
    ((2, 5, 23, 26), (6, 5, 4, 5), (2, 3), ((2, 1), (3, 0)), (3, 2), 1),
]


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("threads", [1, 2])
def test_float32_layers_match_torch(layer, threads):
    x_shape, w_shape, *args = layer
    rng = np.random.default_rng(1)
    x = rng.standard_normal(x_shape, dtype=np.float32)
    weight = rng.standard_normal(w_shape, dtype=np.float32)
    bias = rng.standard_normal(w_shape[0], dtype=np.float32)
    copies = x.copy(), weight.copy(), bias.copy()
    with threadpool_limits(limits=threads, user_api="blas"):
        y = forward_fast(x, weight, bias, *args)
        grad_out = rng.standard_normal(y.shape, dtype=np.float32)
        grads = backward_fast(grad_out, x, weight, *args)
    assert y.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)
    assert scaled_error(y, torch_reference(x, weight, bias, *args), "forward float32") <= 1e-5
    for name, got, expected in zip(("dx", "dw", "db"), grads,
                                   torch_reference(x, weight, bias, *args, grad_out)):
        assert scaled_error(got, expected, f"{name} float32") <= 2e-5
    for before, after in zip(copies, (x, weight, bias)):
        np.testing.assert_array_equal(before, after)  # inputs are never modified


def test_threads_are_deterministic_and_agree_with_one_thread():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((9, 16, 32, 32))  # 4+ images per thread: threads over the batch
    weight = rng.standard_normal((16, 16, 3, 3))
    grad_out = rng.standard_normal((9, 16, 32, 32))
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    with threadpool_limits(limits=2, user_api="blas"):
        first = backward_fast(grad_out, x, weight, *args)
        second = backward_fast(grad_out, x, weight, *args)
    with threadpool_limits(limits=1, user_api="blas"):
        serial = backward_fast(grad_out, x, weight, *args)
    for a, b, c in zip(first, second, serial):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-10)


def test_non_contiguous_inputs():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 7, 6, 4)).transpose(1, 0, 3, 2)  # (7, 5, 4, 6), a strided view
    weight = rng.standard_normal((3, 5, 2, 2))
    grad_out = rng.standard_normal((3, 7, 4, 3)).transpose(1, 0, 2, 3)  # (7, 3, 4, 3)
    for args in [((1, 2), ((1, 0), (0, 1)), (1, 1), 1),   # padded: the images are copied
                 ((1, 2), ((0, 0), (0, 0)), (1, 1), 1)]:  # unpadded, strided: read in place
        y = forward_fast(x, weight, None, *args)
        assert scaled_error(y, torch_reference(x, weight, None, *args)) <= 1e-10
        grad = grad_out[:, :, :y.shape[2], :y.shape[3]]  # a strided view too
        for got, expected in zip(backward_fast(grad, x, weight, *args),
                                 torch_reference(np.ascontiguousarray(x), weight, None, *args, grad)):
            assert scaled_error(got, expected) <= 1e-10


def test_public_api_dispatches_to_fast():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 4, 9, 8)).astype(np.float32)
    weight = rng.standard_normal((6, 2, 3, 3)).astype(np.float32)
    y = cl.conv2d(x, weight, stride=2, padding="same", groups=2, method="fast")
    assert y.dtype == np.float32
    expected = cl.conv2d(x.astype(np.float64), weight.astype(np.float64), stride=2, padding="same",
                         groups=2, method="shift")
    assert scaled_error(y, expected) <= 1e-5
    signal = rng.standard_normal((3, 2, 20))
    kernel = rng.standard_normal((4, 2, 5))
    y1 = cl.conv1d(signal, kernel, padding=2, dilation=2, method="fast")
    expected1 = F.conv1d(torch.tensor(signal), torch.tensor(kernel), padding=2, dilation=2).numpy()
    assert scaled_error(y1, expected1) <= 1e-10


def test_kept_scratch_arrays_never_leak_between_calls():
    """Outputs do not alias the kept buffers, and a smaller call after a bigger one is still right."""
    rng = np.random.default_rng(5)
    big = rng.standard_normal((2, 6, 20, 20)), rng.standard_normal((4, 6, 3, 3))
    small = rng.standard_normal((1, 6, 7, 5)), rng.standard_normal((4, 6, 3, 3))
    args = ((1, 1), ((2, 1), (1, 2)), (1, 1), 1)
    fast_forward.clear_workspaces()
    first = forward_fast(*big, None, *args)
    kept = first.copy()
    for x, weight in (small, big, small):
        y = forward_fast(x, weight, None, *args)
        assert scaled_error(y, torch_reference(x, weight, None, *args)) <= 1e-10
        grads = backward_fast(np.ones_like(y), x, weight, *args)
        for got, expected in zip(grads, torch_reference(x, weight, None, *args, np.ones_like(y))):
            assert scaled_error(got, expected) <= 1e-10
    np.testing.assert_array_equal(first, kept)
    assert fast_forward._workspaces  # buffers were kept ...
    fast_forward.clear_workspaces()
    assert not fast_forward._workspaces  # ... and can be freed


@pytest.mark.parametrize("groups, stride", [(1, 1), (3, 1), (1, 2)])  # blocks, depthwise, phases
def test_inf_and_nan_inputs_give_torchs_gradients(groups, stride):
    """Cells thrown away by the wide grid must not turn 0 * inf into NaN."""
    x = np.zeros((2, 3, 6, 7))
    x[:, :, 0, 6], x[:, :, 3, 0] = np.inf, np.nan  # at the ends of rows: next to the junk cells
    weight = np.ones((3, 3 // groups, 3, 3))
    args = ((stride, stride), ((1, 1), (1, 1)), (1, 1), groups)
    y = forward_fast(x, weight, None, *args)
    np.testing.assert_array_equal(y, torch_reference(x, weight, None, *args))
    grad_out = np.ones_like(y)
    for got, expected in zip(backward_fast(grad_out, x, weight, *args),
                             torch_reference(x, weight, None, *args, grad_out)):
        np.testing.assert_array_equal(got, expected)  # NaN where torch has NaN, inf where it has inf
