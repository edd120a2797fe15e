"""The fast path's memos and memory plan: cached plans, remembered checks, the checked Scratch.

Every result is compared with PyTorch (never with the code under test);
the caches are shown bounded, shared safely between threads, and keyed so
that different geometries, settings and memory limits never collide.
"""

import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import convlab as cl
from convlab.conv import api
from convlab.conv.fast import configure, forward_fast
from convlab.conv.fast.cache import LruCache
from convlab.conv.fast.forward import blocks_scratch
from convlab.conv.fast.plan import PLAN_CACHE_SIZE, PLANS, plan_for
from convlab.conv.fast.winograd import winograd_scratch
from convlab.conv.fast.workspace import Scratch

NO_PAD = ((0, 0), (0, 0))


def torch_forward(x, weight, stride, padding):
    return F.conv2d(torch.from_numpy(x), torch.from_numpy(weight), stride=stride, padding=padding).numpy()


# ---------------------------------------------------------------- LruCache

def test_lru_cache_drops_the_least_recently_used():
    cache = LruCache(3)
    for key in "abc":
        cache.put(key, key.upper())
    assert cache.get("a") == "A"  # "a" is now the most recent: "b" goes first
    cache.put("d", "D")
    assert cache.get("b") is None and [cache.get(k) for k in "acd"] == ["A", "C", "D"]
    assert len(cache) == 3
    with pytest.raises(ValueError, match="maxsize"):
        LruCache(0)


def test_lru_cache_stays_bounded_and_consistent_under_threads():
    cache = LruCache(16)
    errors = []

    def hammer(seed):
        rng = np.random.default_rng(seed)
        for key in rng.integers(0, 64, 2000).tolist():
            value = cache.get(key)
            if value is not None and value != key * 7:
                errors.append((key, value))
            cache.put(key, key * 7)

    threads = [threading.Thread(target=hammer, args=(seed,)) for seed in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(cache) <= 16


# ---------------------------------------------------------------- plans

def test_plans_are_cached_per_geometry_and_settings_and_bounded():
    PLANS.clear()
    shapes = ((2, 3, 9, 9), (4, 3, 3, 3))
    first = plan_for(*shapes, (1, 1), ((1, 1), (1, 1)), (1, 1), 1, 8)
    assert plan_for(*shapes, (1, 1), ((1, 1), (1, 1)), (1, 1), 1, 8) is first  # built once
    other = plan_for(*shapes, (2, 2), ((1, 1), (1, 1)), (1, 1), 1, 8)
    assert other is not first and (other.out_h, other.out_w) == (5, 5) and (first.out_h, first.out_w) == (9, 9)
    with configure(patch_bytes=1):  # block sizes depend on the settings: another plan
        small_blocks = plan_for(*shapes, (1, 1), ((1, 1), (1, 1)), (1, 1), 1, 8)
    assert small_blocks is not first and small_blocks.rows == 1 and first.rows == 9
    for size in range(5, 5 + 2 * PLAN_CACHE_SIZE):  # more geometries than it keeps
        plan_for((1, 1, size, size), (1, 1, 3, 3), (1, 1), NO_PAD, (1, 1), 1, 8)
    assert len(PLANS) == PLAN_CACHE_SIZE


def test_threads_running_many_geometries_at_once_get_torchs_results():
    """Threads share the plan cache, each with geometries the others use too; no result mixes them up."""
    rng = np.random.default_rng(0)
    layers = []
    for k, (size, stride, pad) in enumerate([(9, 1, 1), (11, 2, 0), (8, 1, 0), (13, 3, 2), (10, 2, 1)]):
        x = rng.standard_normal((2, 3, size, size))
        weight = rng.standard_normal((4 + k, 3, 3, 3))
        layers.append((x, weight, stride, pad, torch_forward(x, weight, stride, pad)))
    PLANS.clear()
    failures = []

    def worker(seed):
        order = np.random.default_rng(seed).permutation(len(layers) * 20) % len(layers)
        with configure(threads=1):
            for i in order:
                x, weight, stride, pad, expected = layers[i]
                y = forward_fast(x, weight, None, (stride, stride), ((pad, pad), (pad, pad)), (1, 1), 1)
                if y.shape != expected.shape or not np.allclose(y, expected, rtol=1e-10, atol=1e-10):
                    failures.append(i)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


# ---------------------------------------------------------------- remembered checks in conv2d

def test_a_remembered_call_gives_torchs_result_for_each_geometry():
    rng = np.random.default_rng(1)
    x, weight = rng.standard_normal((2, 3, 10, 10)), rng.standard_normal((5, 3, 3, 3))
    api.PREPARED.clear()
    for _ in range(2):  # the second round reads the remembered checks
        for stride, padding in ((1, 0), (2, 1), (1, 2), (3, 1)):
            np.testing.assert_allclose(cl.conv2d(x, weight, stride=stride, padding=padding),
                                       torch_forward(x, weight, stride, padding), rtol=1e-10, atol=1e-10)
    assert len(api.PREPARED) == 4  # one entry per geometry
    unbatched = cl.conv2d(x[0], weight, padding=1)  # same arrays' dtype, another shape: another key
    assert unbatched.shape == (5, 10, 10)


def test_remembered_checks_still_refuse_what_changed():
    """Same shapes as a remembered call, but a bad argument, a list padding or a lower memory limit."""
    x, weight = np.ones((2, 4, 8, 8)), np.ones((6, 2, 3, 3))
    cl.conv2d(x, weight, groups=2)
    cl.conv2d(x, weight, groups=2)
    with pytest.raises(ValueError, match="groups=3 must divide"):
        cl.conv2d(x, weight, groups=3)
    with pytest.raises(ValueError, match="weight has 2 input channels"):
        cl.conv2d(x, weight)
    assert cl.conv2d(x, weight, padding=[1, 1], groups=2).shape == (2, 6, 8, 8)  # lists: checked each time
    previous = cl.set_memory_limit(1000)
    try:
        with pytest.raises(ValueError, match="memory limit"):
            cl.conv2d(x, weight, groups=2)
    finally:
        cl.set_memory_limit(previous)
    with pytest.raises(TypeError):
        cl.conv2d(x, weight, groups=True)  # a bool is not remembered as the int 1


# ---------------------------------------------------------------- Scratch: the checked memory plan

def test_scratch_refuses_a_buffer_whose_memory_is_in_use():
    plan = Scratch("test", ["a", "b", "c"], shares=[("a", "b")])
    a = plan.take("a", (3,), np.float64)
    plan.take("c", (3,), np.float64)  # its own memory: fine
    with pytest.raises(RuntimeError, match="'b' of test shares memory with 'a'"):
        plan.take("b", (3,), np.float64)
    plan.free("a")
    b = plan.take("b", (3,), np.float64)
    assert np.shares_memory(a, b)
    with pytest.raises(ValueError, match="not one of the buffers"):
        Scratch("test", ["a"], shares=[("a", "z")])


def test_the_engines_declare_what_shares_memory():
    blocks, winograd = blocks_scratch(), winograd_scratch()
    assert blocks.shared("patches", "dpatches") and not blocks.shared("phases", "dphases")
    assert winograd.shared("pixels", "M") and winograd.shared("pixels", "E")
    assert winograd.shared("V", "Y") and not winograd.shared("V", "M")
