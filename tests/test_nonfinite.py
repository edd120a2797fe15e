"""inf and NaN spread through every convolution method exactly as they do in PyTorch.

PyTorch's pattern is the one of the defining sums: an output (or a gradient
cell) is NaN or inf when one of *its* products is, and only then. "loops"
and "fast" (the training engine) compute exactly those products and are
held to it on random configurations. "flip" and "matrix" also multiply
zeros the formula inserts or pads by the other operand, and their own
pattern is pinned by hand-worked examples below. ("shift" and "im2row"
compute the right products too, but hand some of them to BLAS calls that
may skip a zero operand, so ``NaN * 0`` can come back as 0 there.)
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch_reference import conv_configs, reference

import convlab as cl

FORWARD = BACKWARD = ("loops", "fast")
SPECIALS = (np.inf, -np.inf, np.nan)


def inject(array, rng, count):
    """A copy of ``array`` with ``count`` cells set to inf, -inf or NaN."""
    array = np.array(array, dtype=float)
    for _ in range(count):
        array.flat[rng.integers(array.size)] = SPECIALS[rng.integers(len(SPECIALS))]
    return array


def assert_same_pattern(got, expected, what):
    """Same NaN, +inf and -inf cells; the finite cells agree to float64 accuracy."""
    for name, test in (("NaN", np.isnan), ("+inf", np.isposinf), ("-inf", np.isneginf)):
        mismatch = np.argwhere(test(got) != test(expected))
        assert mismatch.size == 0, f"{what}: {name} differs from torch first at {tuple(mismatch[0])}"
    finite = np.isfinite(expected)
    scale = max(1.0, float(np.max(np.abs(expected[finite]), initial=0.0)))
    assert np.max(np.abs(got[finite] - expected[finite]), initial=0.0) <= 1e-9 * scale, what


def _call(config, method, spatial, **arrays):
    args = dict(stride=config["stride"], padding=config["padding"], dilation=config["dilation"],
                groups=config["groups"], method=method)
    if "grad_out" in arrays:
        backward = cl.conv2d_backward if spatial == 2 else cl.conv1d_backward
        return backward(arrays["grad_out"], arrays["x"], arrays["weight"], **args)
    forward = cl.conv2d if spatial == 2 else cl.conv1d
    return forward(arrays["x"], arrays["weight"], arrays["bias"], **args)


PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(spatial=st.sampled_from([1, 2]), data=st.data(), seed=st.integers(0, 2**32 - 1),
       where=st.sampled_from(["x", "weight", "both"]), count=st.integers(1, 3))
def test_forward_nonfinite_like_torch(spatial, data, seed, where, count):
    config = data.draw(conv_configs(spatial=spatial))
    rng = np.random.default_rng(seed)
    if where in ("x", "both"):
        config["x"] = inject(config["x"], rng, count)
    if where in ("weight", "both"):
        config["weight"] = inject(config["weight"], rng, count)
    expected = reference(config)
    for method in FORWARD:
        with np.errstate(invalid="ignore", over="ignore"):
            got = _call(config, method, spatial, x=config["x"], weight=config["weight"], bias=config["bias"])
        assert_same_pattern(got, expected, f"forward {method}")


@PROPERTY
@given(spatial=st.sampled_from([1, 2]), data=st.data(), seed=st.integers(0, 2**32 - 1),
       where=st.sampled_from(["x", "weight", "grad_out", "all"]), count=st.integers(1, 3))
def test_backward_nonfinite_like_torch(spatial, data, seed, where, count):
    config = data.draw(conv_configs(spatial=spatial))
    rng = np.random.default_rng(seed)
    grad_out = rng.standard_normal(np.shape(reference(config)))
    if where in ("x", "all"):
        config["x"] = inject(config["x"], rng, count)
    if where in ("weight", "all"):
        config["weight"] = inject(config["weight"], rng, count)
    if where in ("grad_out", "all"):
        grad_out = inject(grad_out, rng, count)
    _, (dx, dw, db) = reference(config, grad_out)
    for method in BACKWARD:
        with np.errstate(invalid="ignore", over="ignore"):
            got = _call(config, method, spatial, x=config["x"], weight=config["weight"], grad_out=grad_out)
        for name, mine, theirs in zip(("dx", "dw", "db"), got, (dx, dw, db)):
            assert_same_pattern(mine, theirs, f"backward {method} {name}")


@pytest.mark.parametrize("method", BACKWARD)
@pytest.mark.parametrize("groups", [1, 3])  # 3: the depthwise path of "fast"
def test_inf_weight_leaves_dx_finite_where_torch_does(method, groups):
    """An inf in the weight reaches only the dx cells that meet that tap (the issue's reproducer)."""
    weight = np.ones((groups, 1, 2, 2))
    weight[:, 0, 1, 1] = np.inf
    x = np.ones((1, groups, 4, 4))
    dx = cl.conv2d_backward(np.ones((1, groups, 3, 3)), x, weight, groups=groups, method=method).dx
    # by hand: dx[2, 0] = w[0, 0] + w[1, 0] (outputs (1, 0) and (2, 0)); dx[3, 0] = w[1, 0] (output (2, 0))
    np.testing.assert_array_equal(dx[0, :, 2:, 0], np.full((groups, 2), [2.0, 1.0]))
    assert np.isposinf(dx[0, :, 1:, 1:]).all()  # every cell (i, j) with i, j >= 1 meets w[1, 1]


def test_flip_multiplies_the_padded_zeros_by_the_weight():
    """flip's dx is a full correlation: w[1, 1] (rotated to [0, 0]) also meets the padding zeros."""
    weight = np.ones((1, 1, 2, 2))
    weight[0, 0, 1, 1] = np.inf
    with np.errstate(invalid="ignore"):
        dx = cl.conv2d_backward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 4, 4)), weight, method="flip").dx[0, 0]
    # by hand: dx[i, j] = sum_{m,n} spread[i + m, j + n] * rotated[m, n], spread = g padded by 1;
    # rotated[0, 0] = inf meets spread[i, j], a padding zero in row 0 and column 0 -> NaN there
    on_border = np.zeros((4, 4), dtype=bool)
    on_border[0, :] = on_border[:, 0] = True
    np.testing.assert_array_equal(np.isnan(dx), on_border)
    assert np.isposinf(dx[1:, 1:]).all()


def test_flip_dw_multiplies_inserted_zeros_by_unread_input():
    """flip's dw correlates x with the zero-inserted gradient: unread cells of x meet its zeros."""
    x = np.ones((1, 1, 5, 5))
    x[0, 0, 2, 2] = np.inf  # kernel 2, stride 3: windows cover rows 0-1 and 3-4; row 2 is never read
    g, w = np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2))
    with np.errstate(invalid="ignore"):
        dw = cl.conv2d_backward(g, x, w, stride=3, method="flip").dw[0, 0]
    # by hand: dw[m, n] = sum_{a, b} x[m + a, n + b] * spread[a, b], spread = zero_insert(g, 3) (4x4,
    # ones at the corners); x[2, 2] meets spread[2 - m, 2 - n], an inserted zero, for every m, n in {0, 1}
    assert np.isnan(dw).all()
    # the defining sum never reads x[2, 2]: dw[m, n] = sum_{i, j} x[m + 3i, n + 3j] = 4, as torch says
    np.testing.assert_array_equal(cl.conv2d_backward(g, x, w, stride=3, method="loops").dw[0, 0],
                                  np.full((2, 2), 4.0))


def test_matrix_multiplies_the_zeros_of_the_matrix_by_the_input():
    """matrix's y = T x: an inf in x meets the zeros of T in every output that does not read it."""
    x = np.ones((1, 1, 3, 3))
    x[0, 0, 0, 0] = np.inf
    with np.errstate(invalid="ignore"):
        y = cl.conv2d(x, np.ones((1, 1, 2, 2)), method="matrix")[0, 0]
    # by hand: output (0, 0) reads x[0, 0] (inf * 1 + 3 = inf); (0, 1), (1, 0), (1, 1) do not: 0 * inf = NaN
    assert np.isposinf(y[0, 0])
    assert np.isnan(y.ravel()[1:]).all()
    # where torch (and loops) gives inf, 4, 4, 4
    np.testing.assert_array_equal(cl.conv2d(x, np.ones((1, 1, 2, 2)), method="loops")[0, 0],
                                  [[np.inf, 4.0], [4.0, 4.0]])


@pytest.mark.parametrize("where", ["x", "weight", "bias", "grad_out"])
def test_fast_leaves_winograd_when_an_array_is_not_finite(where):
    """A layer Winograd would take (3x3, stride 1, 16 channels): one inf or NaN keeps torch's pattern.

    Winograd's transforms mix a whole tile, so it would spread the NaN over every output of the tile.
    """
    rng = np.random.default_rng(7)
    config = dict(x=rng.standard_normal((2, 16, 9, 9)), weight=rng.standard_normal((16, 16, 3, 3)),
                  bias=rng.standard_normal(16), stride=(1, 1), padding=1, pads=((1, 1), (1, 1)),
                  dilation=(1, 1), groups=1)
    grad_out = rng.standard_normal((2, 16, 9, 9))
    arrays = dict(config, grad_out=grad_out)
    arrays[where] = arrays[where].copy()
    arrays[where].flat[[5, 11]] = [np.nan, np.inf]
    config.update({k: arrays[k] for k in ("x", "weight", "bias")})
    expected_y = reference(config)
    _, expected_grads = reference(config, arrays["grad_out"])
    with np.errstate(invalid="ignore", over="ignore"):
        y = _call(config, "fast", 2, x=config["x"], weight=config["weight"], bias=config["bias"])
        grads = _call(config, "fast", 2, x=config["x"], weight=config["weight"], grad_out=arrays["grad_out"])
    assert_same_pattern(y, expected_y, f"forward fast ({where})")
    for name, mine, theirs in zip(("dx", "dw", "db"), grads, expected_grads):
        assert_same_pattern(mine, theirs, f"backward fast {name} ({where})")
