"""The "fast" method against PyTorch: every configuration, both dtypes, threads and blocks.

`forward_fast` / `backward_fast` are called with normalised arguments (the
internal contract); PyTorch sees the same numbers with the (possibly
asymmetric) padding applied by ``F.pad``. The property tests also shrink the
patch buffer (so images are cut into blocks of one output row) and force the
thread pool on, so those paths meet every configuration too.
"""

import os
import signal
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import convlab as cl
from convlab.conv import fast
from convlab.conv.fast import backward_fast, configure, forward_fast
from convlab.conv.fast.plan import Plan
from torch_reference import scaled_error, torch_conv

PROPERTY = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FAST = "fast*"  # the end-of-run report's name for fast called directly with normalised arguments


def torch_reference(x, weight, bias, stride, padding, dilation, groups, grad_out=None):
    """PyTorch's output (and with ``grad_out`` its ``(dx, dw, db)``) in x's dtype."""
    result = torch_conv(x, weight, bias, stride, padding, dilation, groups, grad_out, dtype=None)
    return result if grad_out is None else result[1]


def engine(patch_bytes, threaded, layout=None):
    """Run the fast method with a given patch-buffer size, the thread pool forced on or not, and
    the blocks engine on a given grid (None: its own choice)."""
    return configure(patch_bytes=patch_bytes, min_parallel_macs=0 if threaded else 10**18,
                     min_images_per_thread=1, threads=2, layout=layout)


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
    run = {"patch_bytes": draw(st.sampled_from([1, 2 << 20])), "threaded": draw(st.booleans()),
           "layout": draw(st.sampled_from([None, "wide", "exact"]))}
    return x, weight, bias, (stride, padding, dilation, groups), run, rng


@PROPERTY
@given(configs())
def test_forward_matches_torch(config):
    x, weight, bias, args, run, _ = config
    with engine(**run):
        y = forward_fast(x, weight, bias, *args)
    expected = torch_reference(x, weight, bias, *args)
    assert y.shape == expected.shape and y.dtype == x.dtype
    assert scaled_error(y, expected, f"forward {x.dtype}", FAST) <= 1e-10


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
        assert scaled_error(got, expected, f"{name} {x.dtype}", FAST) <= 1e-10, name


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
    with configure(threads=threads):
        y = forward_fast(x, weight, bias, *args)
        grad_out = rng.standard_normal(y.shape, dtype=np.float32)
        grads = backward_fast(grad_out, x, weight, *args)
    assert y.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)
    assert scaled_error(y, torch_reference(x, weight, bias, *args), "forward float32", FAST) <= 1e-5
    for name, got, expected in zip(("dx", "dw", "db"), grads,
                                   torch_reference(x, weight, bias, *args, grad_out)):
        assert scaled_error(got, expected, f"{name} float32", FAST) <= 2e-5
    for before, after in zip(copies, (x, weight, bias)):
        np.testing.assert_array_equal(before, after)  # inputs are never modified


def test_threads_are_deterministic_and_agree_with_one_thread():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((9, 16, 32, 32))  # 4+ images per thread: threads over the batch
    weight = rng.standard_normal((16, 16, 3, 3))
    grad_out = rng.standard_normal((9, 16, 32, 32))
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    with configure(threads=2):
        first = backward_fast(grad_out, x, weight, *args)
        second = backward_fast(grad_out, x, weight, *args)
    with configure(threads=1):
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
    fast.clear_workspaces()
    first = forward_fast(*big, None, *args)
    kept = first.copy()
    for x, weight in (small, big, small):
        y = forward_fast(x, weight, None, *args)
        assert scaled_error(y, torch_reference(x, weight, None, *args)) <= 1e-10
        grads = backward_fast(np.ones_like(y), x, weight, *args)
        for got, expected in zip(grads, torch_reference(x, weight, None, *args, np.ones_like(y))):
            assert scaled_error(got, expected) <= 1e-10
    np.testing.assert_array_equal(first, kept)
    assert fast.kept_bytes() > 0  # buffers were kept ...
    fast.clear_workspaces()
    assert fast.kept_bytes() == 0  # ... and can be freed


@pytest.mark.parametrize("layout", [None, "wide", "exact"])
@pytest.mark.parametrize("groups, stride", [(1, 1), (3, 1), (1, 2)])  # blocks, depthwise, phases
def test_inf_and_nan_inputs_give_torchs_gradients(groups, stride, layout):
    """Cells thrown away by the wide grid must not turn 0 * inf into NaN (nor the exact grid's)."""
    x = np.zeros((2, 3, 6, 7))
    x[:, :, 0, 6], x[:, :, 3, 0] = np.inf, np.nan  # at the ends of rows: next to the junk cells
    weight = np.ones((3, 3 // groups, 3, 3))
    args = ((stride, stride), ((1, 1), (1, 1)), (1, 1), groups)
    with configure(layout=layout):
        y = forward_fast(x, weight, None, *args)
        grad_out = np.ones_like(y)
        grads = backward_fast(grad_out, x, weight, *args)
    np.testing.assert_array_equal(y, torch_reference(x, weight, None, *args))
    for got, expected in zip(grads, torch_reference(x, weight, None, *args, grad_out)):
        np.testing.assert_array_equal(got, expected)  # NaN where torch has NaN, inf where it has inf


@pytest.mark.parametrize("layout", ["wide", "exact"])
@pytest.mark.parametrize("stride", [1, 2])
def test_inf_and_nan_weights_bias_and_gradients_give_torchs_results(layout, stride):
    """A few-channel layer (the exact grid's) with inf/NaN in the weight, bias and output gradient."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 3, 9, 8))
    weight = rng.standard_normal((4, 3, 3, 3))
    weight[0, 1, 2, 2], weight[2, 0, 0, 0] = np.inf, np.nan
    bias = np.array([0.0, -np.inf, 1.0, np.nan])
    args = ((stride, stride), ((1, 1), (1, 1)), (1, 1), 1)
    with configure(layout=layout), np.errstate(invalid="ignore"):  # inf - inf is NaN, as in torch
        y = forward_fast(x, weight, bias, *args)
        grad_out = rng.standard_normal(y.shape)
        grad_out[1, 3, 0, -1] = np.inf
        grads = backward_fast(grad_out, x, weight, *args)
    np.testing.assert_array_equal(np.isnan(y), np.isnan(torch_reference(x, weight, bias, *args)))
    expected = torch_reference(x, weight, bias, *args, grad_out)
    for got, want in zip(grads, expected):
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
        finite = np.isfinite(want)
        np.testing.assert_allclose(got[finite], want[finite], rtol=1e-10, atol=1e-10)


# ---------------------------------------------------------------- bounded work, threads, memory

@pytest.mark.parametrize("stride", [3000, 10**9])
def test_huge_stride_costs_what_shift_costs(stride):
    """Only the stride phases some tap reads are built: a huge stride allocates no more than a small one."""
    import tracemalloc

    rng = np.random.default_rng(6)
    x, weight = rng.standard_normal((2, 3, 7, 8)), rng.standard_normal((4, 3, 3, 2))
    tracemalloc.start()
    try:
        y = cl.conv2d(x, weight, stride=stride, method="fast")
        grads = cl.conv2d_backward(np.ones_like(y), x, weight, stride=stride, method="fast")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20  # the stride-3000 call used to allocate 0.9 GB
    np.testing.assert_allclose(y, cl.conv2d(x, weight, stride=stride, method="shift"), atol=1e-12)
    for got, expected in zip(grads, cl.conv2d_backward(np.ones_like(y), x, weight, stride=stride,
                                                       method="shift")):
        np.testing.assert_allclose(got, expected, atol=1e-12)
    plan = Plan(x.shape, weight.shape, (stride, stride), ((0, 0), (0, 0)), (1, 1), 1, 8)
    assert plan.n_phases == 3 * 2  # one phase per kernel tap, not stride**2


def test_pool_results_are_bit_reproducible_while_other_threads_change_blas():
    """The work split depends on the configured thread count only, not on BLAS's setting meanwhile."""
    import threading

    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(7)
    x = rng.standard_normal((9, 8, 20, 20)).astype(np.float32)
    weight = rng.standard_normal((8, 8, 3, 3)).astype(np.float32)
    grad_out = rng.standard_normal((9, 8, 20, 20)).astype(np.float32)
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    pool = dict(min_parallel_macs=0, min_images_per_thread=1, threads=2)
    with configure(**pool):
        alone = backward_fast(grad_out, x, weight, *args)
    stop = threading.Event()

    def meddle():  # another thread changes BLAS's thread count and runs its own convolutions
        while not stop.is_set():
            for limit in (1, 2):
                with threadpool_limits(limits=limit, user_api="blas"):
                    cl.conv2d(x[:2], weight, padding=1)

    others = [threading.Thread(target=meddle) for _ in range(2)]
    for thread in others:
        thread.start()
    try:
        with configure(**pool):
            crowded = [backward_fast(grad_out, x, weight, *args) for _ in range(4)]
    finally:
        stop.set()
        for thread in others:
            thread.join()
    for grads in crowded:
        for a, b in zip(alone, grads):
            np.testing.assert_array_equal(a, b)


def test_scratch_memory_of_finished_threads_is_freed():
    """32 threads each keep their scratch buffers; when they end, the memory comes back."""
    import gc
    import threading
    import tracemalloc

    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 8, 24, 24))
    weight = rng.standard_normal((8, 8, 3, 3))

    held = []  # the scratch memory kept while all 32 threads are alive
    everyone_done = threading.Barrier(32, action=lambda: held.append(fast.kept_bytes()))

    def work(wait=True):
        y = cl.conv2d(x, weight, padding=1)
        cl.conv2d_backward(y, x, weight, padding=1)
        if wait:
            everyone_done.wait()

    work(wait=False)  # the calling thread's own buffers exist before we measure
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        threads = [threading.Thread(target=work) for _ in range(32)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        del threads
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held[0] > 16 << 20  # the threads really kept buffers (about 1 MB each) ...
    assert after - before < 10 << 20, f"{(after - before) / 2**20:.1f} MB still held after 32 threads ended"  # ... and gave them back


def test_blas_limit_is_shared_and_restored_by_the_last_user():
    """Concurrent pool calls share one single-thread BLAS limit; the original count comes back."""
    from convlab.conv.fast.threads import SINGLE_THREADED_BLAS, blas_threads

    before = blas_threads()
    with SINGLE_THREADED_BLAS:
        with SINGLE_THREADED_BLAS:  # a second, overlapping user
            assert blas_threads() == 1 and SINGLE_THREADED_BLAS.users == 2
        assert blas_threads() == 1  # still held by the first
    assert blas_threads() == before and SINGLE_THREADED_BLAS.users == 0


def test_configure_checks_its_arguments_and_restores():
    default = fast.settings()
    with pytest.raises(ValueError, match="patch_bytes must be a positive int; got 0"):
        with configure(patch_bytes=0):
            pass
    with pytest.raises(TypeError, match="threads must be an int; got 1.5"):
        with configure(threads=1.5):
            pass
    with configure(threads=1, patch_bytes=64) as inside:
        assert (inside.threads, inside.patch_bytes) == (1, 64)
        with configure(patch_bytes=128):
            assert (fast.settings().threads, fast.settings().patch_bytes) == (1, 128)
        assert fast.settings().patch_bytes == 64
    assert fast.settings() == default


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_can_use_the_pool_its_parent_used():
    # Checkers run learner code in a forked child; the parent's pool threads do not exist there.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 16, 32, 32)).astype(np.float32)
    w = rng.standard_normal((16, 16, 3, 3)).astype(np.float32)
    with configure(min_parallel_macs=0, min_images_per_thread=1, threads=2):
        expected = cl.conv2d(x, w, padding=1)
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: same call, report whether it matched
            try:
                same = np.array_equal(cl.conv2d(x, w, padding=1), expected)
                os.write(write_end, b"1" if same else b"0")
            finally:
                os._exit(0)
        os.close(write_end)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and os.waitpid(pid, os.WNOHANG) == (0, 0):
            time.sleep(0.05)
        finished = time.monotonic() < deadline
        if not finished:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        answer = os.read(read_end, 1)
        os.close(read_end)
    assert finished, "the child hung on the parent's worker pool"
    assert answer == b"1"
