"""The engineered Winograd F(4x4, 3x3) path against PyTorch, float64 and float32.

Called with normalised arguments (the internal contract of `forward_fast` /
`backward_fast`), with the tile blocks shrunk so that every configuration
also meets the paths of several images per block, one image per block and
a few tile rows per block, and with the thread pool forced on or off.
"""


import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch_reference import MAX_ERRORS, scaled_error

from convlab.conv import fast
from convlab.conv.fast.winograd import backward_winograd_fast, forward_winograd_fast

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def torch_result(x, weight, bias, padding, groups, grad_out):
    (top, bottom), (left, right) = padding
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(weight, requires_grad=True)
    bt = torch.zeros(weight.shape[0], dtype=xt.dtype) if bias is None else torch.tensor(bias)
    bt.requires_grad_(True)
    y = F.conv2d(F.pad(xt, (left, right, top, bottom)), wt, bt, groups=groups)
    y.backward(torch.tensor(grad_out))
    return y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()




def blocks_and_threads(tiles_per_block, threaded):
    """Small tile blocks, and (if ``threaded``) every call shared out over two worker threads."""
    if threaded:
        return fast.configure(winograd_tiles_per_block=tiles_per_block, min_parallel_macs=0,
                              min_images_per_thread=1, threads=2)
    return fast.configure(winograd_tiles_per_block=tiles_per_block, threads=1)


@st.composite
def layers(draw):
    groups = draw(st.integers(1, 3))
    c_in, c_out = groups * draw(st.integers(1, 4)), groups * draw(st.integers(1, 4))
    padding = tuple((draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(2))
    size = tuple(draw(st.integers(max(1, 3 - sum(p)), 19)) for p in padding)
    n = draw(st.integers(1, 4))
    return dict(shape=(n, c_in) + size, weight=(c_out, c_in // groups, 3, 3), padding=padding,
                groups=groups, bias=draw(st.booleans()), seed=draw(st.integers(0, 2**32 - 1)),
                tiles=draw(st.sampled_from([1, 3, 40, 256])), threaded=draw(st.booleans()))


def _arrays(layer, dtype):
    rng = np.random.default_rng(layer["seed"])
    x = rng.standard_normal(layer["shape"]).astype(dtype)
    weight = (rng.standard_normal(layer["weight"]) / 3).astype(dtype)
    bias = rng.standard_normal(layer["weight"][0]).astype(dtype) if layer["bias"] else None
    return x, weight, bias


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-10), (np.float32, 2e-5)])
def test_matches_torch(dtype, tol):
    @PROPERTY
    @given(layer=layers())
    def check(layer):
        x, weight, bias = _arrays(layer, dtype)
        args = ((1, 1), layer["padding"], (1, 1), layer["groups"])
        with blocks_and_threads(layer["tiles"], layer["threaded"]):
            y = forward_winograd_fast(x, weight, bias, *args)
            grad_out = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
            grads = backward_winograd_fast(grad_out, x, weight, *args)
        expected = torch_result(x, weight, bias, layer["padding"], layer["groups"], grad_out)
        for name, got, want in zip(("y", "dx", "dw", "db"), (y,) + tuple(grads), expected):
            assert got.dtype == dtype and got.shape == want.shape, name
            error = scaled_error(got, want)
            key = (f"{name} {np.dtype(dtype).name}", "winograd_fast*")
            MAX_ERRORS[key] = max(MAX_ERRORS.get(key, 0.0), error)
            assert error <= tol, f"{name}: {error:.3g} > {tol:g}"

    check()


def test_resnet_like_float32_error_within_budget():
    """Unit-scale inputs on a ResNet-like layer (64 -> 64): F(4x4, 3x3) stays far under 1e-4."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 64, 28, 28))
    w = rng.standard_normal((64, 64, 3, 3)) / np.sqrt(64 * 9)
    g = rng.standard_normal((2, 64, 28, 28))
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    expected = torch_result(x, w, None, args[1], 1, g)
    x32, w32, g32 = (a.astype(np.float32) for a in (x, w, g))
    got = (forward_winograd_fast(x32, w32, None, *args),) + backward_winograd_fast(g32, x32, w32, *args)
    errors = [scaled_error(mine, theirs) for mine, theirs in zip(got, expected)]
    assert max(errors) <= 2e-5, errors


def test_inputs_are_not_modified():
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((3, 4, 9, 9)), rng.standard_normal((4, 4, 3, 3))
    g = rng.standard_normal((3, 4, 9, 9))
    for a in (x, w, g):
        a.flags.writeable = False
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    forward_winograd_fast(x, w, None, *args)
    backward_winograd_fast(g, x, w, *args)


@pytest.mark.parametrize("weight_shape, stride", [((2, 2, 5, 5), (1, 1)), ((2, 2, 3, 3), (2, 2)),
                                                  ((2, 2, 1, 3), (1, 1))])
def test_other_geometries_raise(weight_shape, stride):
    x, w = np.ones((1, 2, 8, 8)), np.ones(weight_shape)
    with pytest.raises(ValueError, match="3x3 kernel"):
        forward_winograd_fast(x, w, None, stride, ((0, 0), (0, 0)), (1, 1), 1)
    with pytest.raises(ValueError, match="3x3 kernel"):
        backward_winograd_fast(np.ones((1, 2, 6, 6)), x, w, stride, ((0, 0), (0, 0)), (1, 1), 1)


def test_products_around_the_pool_call_run_on_single_threaded_blas(monkeypatch):
    """BLAS's idle workers spin after a multithreaded product and would take a core from the pool
    (see `convlab.conv.fast.threads`): the kernel transforms run under `quiet_blas` when the pool runs."""
    from threadpoolctl import threadpool_limits

    from convlab.conv.fast import threads, winograd

    seen = []
    transform = winograd._kernel_frequencies

    def recording(weight):
        seen.append(threads.blas_threads())
        return transform(weight)

    monkeypatch.setattr(winograd, "_kernel_frequencies", recording)
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((4, 16, 8, 8)), rng.standard_normal((16, 16, 3, 3))
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    with threadpool_limits(limits=2, user_api="blas"):
        with fast.configure(min_parallel_macs=0, min_images_per_thread=1, threads=2):  # the pool runs
            y = forward_winograd_fast(x, w, None, *args)
            backward_winograd_fast(y, x, w, *args)
        assert seen == [1, 1]
        with fast.configure(threads=1):  # no pool: BLAS keeps its threads for the products
            forward_winograd_fast(x, w, None, *args)
        assert seen[-1] == threads.blas_threads()  # its own count: 2 wherever BLAS can have 2
