"""Every forward and backward method against torch, on random legal configurations."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from torch_reference import assert_close, conv_configs, reference

import convlab as cl

# Plain numpy loops and the dense matrix are slow: fewer, smaller examples for them.
EXAMPLES = {"loops": 60, "matrix": 60}
# winograd needs 3x3 stride-1 kernels: tests/test_winograd.py checks it on those.
FORWARD = tuple(m for m in cl.FORWARD_METHODS if m != "winograd")
BACKWARD = tuple(m for m in cl.BACKWARD_METHODS if m != "winograd")
SMALL = dict(max_size=6, max_kernel=3, max_channels=2, max_batch=2)
FAST_SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _settings(method):
    return settings(max_examples=EXAMPLES.get(method, 200), **FAST_SETTINGS)


def _conv_args(config):
    return dict(stride=config["stride"], padding=config["padding"], dilation=config["dilation"],
                groups=config["groups"])


def _strategy(method, spatial):
    return conv_configs(spatial=spatial, **(SMALL if method in EXAMPLES else {}))


def _forward_test(method, spatial):
    conv = cl.conv2d if spatial == 2 else cl.conv1d

    @_settings(method)
    @given(config=_strategy(method, spatial))
    def check(config):
        got = conv(config["x"], config["weight"], config["bias"], method=method, **_conv_args(config))
        assert_close(got, reference(config), f"forward{spatial}d", method)

    return check


def _backward_test(method, spatial):
    backward = cl.conv2d_backward if spatial == 2 else cl.conv1d_backward

    @_settings(method)
    @given(config=_strategy(method, spatial))
    def check(config):
        y = reference(config)
        grad_out = np.random.default_rng(1).standard_normal(y.shape)
        _, (dx, dw, db) = reference(config, grad_out)
        got = backward(grad_out, config["x"], config["weight"], method=method, **_conv_args(config))
        assert isinstance(got, cl.Grads)
        assert_close(got.dx, dx, f"backward{spatial}d.dx", method)
        assert_close(got.dw, dw, f"backward{spatial}d.dw", method)
        assert_close(got.db, db, f"backward{spatial}d.db", method)

    return check


@pytest.mark.parametrize("method", FORWARD)
def test_forward_2d_matches_torch(method):
    _forward_test(method, 2)()


@pytest.mark.parametrize("method", BACKWARD)
def test_backward_2d_matches_torch_autograd(method):
    _backward_test(method, 2)()


@pytest.mark.parametrize("method", FORWARD)
def test_forward_1d_matches_torch(method):
    _forward_test(method, 1)()


@pytest.mark.parametrize("method", BACKWARD)
def test_backward_1d_matches_torch_autograd(method):
    _backward_test(method, 1)()


@pytest.mark.parametrize("method", FORWARD)
def test_nan_and_inf_are_legal_and_propagate(method):
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 0, 0], x[0, 0, 3, 3] = np.nan, np.inf
    weight = np.ones((1, 1, 2, 2))
    y = cl.conv2d(x, weight, method=method)
    if method == "matrix":  # documented: the dense matrix multiplies its zeros by inf
        assert np.isnan(y).all()
    else:
        expected = reference(dict(x=x, weight=weight, bias=None, stride=(1, 1), pads=((0, 0), (0, 0)),
                                  dilation=(1, 1), groups=1))
        np.testing.assert_array_equal(y, expected)  # NaN where torch has NaN, inf where it has inf
