"""method="winograd" against PyTorch: forward, dx and dw, 1-D and 2-D, both tile sizes."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch_reference import MAX_ERRORS, assert_close, reference, scaled_error

import convlab as cl
from convlab.shapes import resolve_padding
from convlab.conv.winograd import (backward_winograd, forward_winograd, transform_matrices,
                                   winograd_multiplications)

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def winograd_configs(draw, spatial=2):
    """A legal 3x3 (or size-3) stride-1 convolution with every padding form, groups and batch."""
    groups = draw(st.integers(1, 3))
    c_in, c_out = groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    form = draw(st.sampled_from(["int", "pairs", "valid", "same", "full"]))
    if form == "int":
        padding = draw(st.integers(0, 3))
    elif form == "pairs":
        pairs = tuple((draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(spatial))
        padding = pairs if spatial == 2 else pairs[0]
    else:
        padding = form
    kernel, ones = (3,) * spatial, (1,) * spatial
    pads = resolve_padding(padding, kernel, ones, ones, (9,) * spatial)
    size = tuple(draw(st.integers(max(1, 3 - before - after), 11)) for before, after in pads)
    pads = resolve_padding(padding, kernel, ones, ones, size)
    batch = draw(st.integers(0, 3))  # 0: unbatched
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal(((batch,) if batch else ()) + (c_in,) + size)
    weight = rng.standard_normal((c_out, c_in // groups) + kernel)
    bias = rng.standard_normal(c_out) if draw(st.booleans()) else None
    return dict(x=x, weight=weight, bias=bias, stride=ones, padding=padding, pads=pads,
                dilation=ones, groups=groups)


@pytest.mark.parametrize("spatial", [1, 2])
def test_forward_matches_torch(spatial):
    conv = cl.conv2d if spatial == 2 else cl.conv1d

    @PROPERTY
    @given(config=winograd_configs(spatial))
    def check(config):
        got = conv(config["x"], config["weight"], config["bias"], padding=config["padding"],
                   groups=config["groups"], method="winograd")
        assert_close(got, reference(config), f"forward{spatial}d", "winograd")

    check()


@pytest.mark.parametrize("spatial", [1, 2])
def test_backward_matches_torch_autograd(spatial):
    backward = cl.conv2d_backward if spatial == 2 else cl.conv1d_backward

    @PROPERTY
    @given(config=winograd_configs(spatial))
    def check(config):
        grad_out = np.random.default_rng(1).standard_normal(reference(config).shape)
        _, (dx, dw, db) = reference(config, grad_out)
        got = backward(grad_out, config["x"], config["weight"], padding=config["padding"],
                       groups=config["groups"], method="winograd")
        assert isinstance(got, cl.Grads)
        for name, mine, theirs in zip("dx dw db".split(), got, (dx, dw, db)):
            assert_close(mine, theirs, f"backward{spatial}d.{name}", "winograd")

    check()


@PROPERTY
@given(config=winograd_configs(2))
def test_f4x4_matches_torch(config):
    """F(4x4, 3x3) through the internal contract (the public method runs F(2x2, 3x3))."""
    x = config["x"] if config["x"].ndim == 4 else config["x"][None]
    args = (config["weight"], (1, 1), config["pads"], (1, 1), config["groups"])
    batched = dict(config, x=x)
    y = reference(batched)
    grad_out = np.random.default_rng(2).standard_normal(y.shape)
    _, expected = reference(batched, grad_out)
    got_y = forward_winograd(x, config["weight"], config["bias"], *args[1:], output_tile=4)
    assert_close(got_y, y, "forward2d F(4x4)", "winograd")
    got = backward_winograd(grad_out, x, *args, output_tile=4)
    for name, mine, theirs in zip("dx dw db".split(), got, expected):
        assert_close(mine, theirs, f"backward2d.{name} F(4x4)", "winograd")


def test_f23_by_hand():
    """Two outputs of a 3-tap correlation from 4 products, worked by hand."""
    B_T, G, A_T = transform_matrices(2)
    d, g = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, -1.0, 3.0])
    products = (G @ g) * (B_T @ d)
    assert products.shape == (4,)
    # y0 = 1*2 + 2*(-1) + 3*3 = 9, y1 = 2*2 + 3*(-1) + 4*3 = 13
    np.testing.assert_allclose(A_T @ products, [9.0, 13.0])


@pytest.mark.parametrize("kwargs, needs", [
    (dict(weight_shape=(2, 2, 5, 5)), "got kernel (5, 5)"),
    (dict(weight_shape=(2, 2, 2, 2)), "got kernel (2, 2)"),
    (dict(stride=2), "stride (2, 2)"),
    (dict(dilation=(1, 2)), "dilation (1, 2)"),
])
def test_other_geometries_raise(kwargs, needs):
    x = np.ones((1, 2, 8, 8))
    weight = np.ones(kwargs.pop("weight_shape", (2, 2, 3, 3)))
    message = r"method='winograd' needs a 3x3 kernel \(size 3 in 1-D\), stride 1 and dilation 1; got"
    with pytest.raises(ValueError, match=message) as forward:
        cl.conv2d(x, weight, method="winograd", **kwargs)
    assert needs in str(forward.value)
    g = np.ones(cl.conv2d(x, weight, **kwargs).shape)
    with pytest.raises(ValueError, match=message):
        cl.conv2d_backward(g, x, weight, method="winograd", **kwargs)


def test_1d_kernel_other_than_3_raises():
    with pytest.raises(ValueError, match="needs a 3x3 kernel"):
        cl.conv1d(np.ones((1, 8)), np.ones((1, 1, 4)), method="winograd")


def test_inputs_unchanged_and_dtypes_kept():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 4, 6, 6)).astype(np.float32), rng.standard_normal((6, 2, 3, 3)).astype(np.float32)
    b, g = rng.standard_normal(6).astype(np.float32), rng.standard_normal((2, 6, 6, 6)).astype(np.float32)
    for a in (x, w, b, g):
        a.flags.writeable = False  # a write would raise
    y = cl.conv2d(x, w, b, padding=1, groups=2, method="winograd")
    grads = cl.conv2d_backward(g, x, w, padding=1, groups=2, method="winograd")
    assert y.dtype == np.float32 and {a.dtype for a in grads} == {np.dtype(np.float32)}
    assert cl.conv2d(x.astype(int), w.astype(int), groups=2, method="winograd").dtype == np.float64


def test_nan_and_inf_stay_inside_their_tiles():
    """A transform mixes a tile's inputs, so inf becomes NaN there -- but never beyond its tiles."""
    x = np.zeros((1, 1, 12, 12))
    x[0, 0, 0, 0] = np.inf
    y = cl.conv2d(x, np.ones((1, 1, 3, 3)), method="winograd")
    assert not np.isfinite(y[0, 0, :2, :2]).all()
    np.testing.assert_array_equal(y[0, 0, 2:, :], 0.0)
    np.testing.assert_array_equal(y[0, 0, :, 2:], 0.0)


def _float32_error(output_tile, seed=0):
    """Worst relative error (to scale) of float32 Winograd vs float64 PyTorch, unit-scale inputs."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((4, 64, 20, 20))
    w = rng.standard_normal((64, 64, 3, 3)) / np.sqrt(64 * 9)  # unit-scale outputs
    g = rng.standard_normal((4, 64, 20, 20))
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    yt = F.conv2d(xt, wt, padding=1)
    yt.backward(torch.tensor(g))
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    x32, w32, g32 = (a.astype(np.float32) for a in (x, w, g))
    y = forward_winograd(x32, w32, None, *args, output_tile=output_tile)
    dx, dw, _ = backward_winograd(g32, x32, w32, *args, output_tile=output_tile)
    errors = {"y": scaled_error(y, yt.detach().numpy()), "dx": scaled_error(dx, xt.grad.numpy()),
              "dw": scaled_error(dw, wt.grad.numpy())}
    for name, error in errors.items():
        key = (f"float32 {name} F({output_tile}x{output_tile})", "winograd")
        MAX_ERRORS[key] = max(MAX_ERRORS.get(key, 0.0), error)
    return errors


@pytest.mark.parametrize("output_tile, bound", [(2, 2e-6), (4, 1e-5)])
def test_float32_precision(output_tile, bound):
    errors = _float32_error(output_tile)
    direct = scaled_error(cl.conv2d(np.ones((1, 1, 4, 4), np.float32), np.ones((1, 1, 3, 3), np.float32)), 9.0)
    assert direct == 0.0
    assert max(errors.values()) <= bound, errors


def test_multiplication_count_resnet_layer():
    winograd, direct = winograd_multiplications(16, 64, 64, (56, 56), output_tile=2)
    assert direct == 16 * 64 * 64 * 56 * 56 * 9
    assert direct / winograd == pytest.approx(2.25)
    winograd4, _ = winograd_multiplications(16, 64, 64, (56, 56), output_tile=4)
    assert direct / winograd4 == pytest.approx(4.0)


@pytest.mark.parametrize("output_tile", [2, 4])
def test_the_batched_engine_is_the_per_tile_formula_on_every_tile(output_tile):
    """winograd_correlate (all tiles, channels, groups at once) = winograd_tile on each tile,
    summed over the input channels of the group, then checked against PyTorch too."""
    from convlab.conv.winograd import winograd_correlate, winograd_tile

    rng = np.random.default_rng(7)
    m, groups = output_tile, 2
    xp = rng.standard_normal((2, 4, 2 * m + 2, 3 * m + 2))
    weight = rng.standard_normal((6, 2, 3, 3))
    batched = winograd_correlate(xp, weight, groups, output_tile)
    per_tile = np.zeros_like(batched)
    for n in range(2):
        for o in range(6):
            g = o // 3
            for p in range(2):
                for q in range(3):
                    block = sum(winograd_tile(xp[n, 2 * g + c, p * m:p * m + m + 2, q * m:q * m + m + 2],
                                              weight[o, c], output_tile) for c in range(2))
                    per_tile[n, o, p * m:(p + 1) * m, q * m:(q + 1) * m] = block
    np.testing.assert_allclose(batched, per_tile, rtol=1e-10, atol=1e-10)
    expected = torch.nn.functional.conv2d(torch.from_numpy(xp), torch.from_numpy(weight), groups=groups).numpy()
    np.testing.assert_allclose(batched, expected, rtol=1e-9, atol=1e-9)
