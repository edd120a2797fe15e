"""convlab.nn layers: forward and backward against torch autograd and finite differences."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from convlab import nn
from convlab.gradcheck import check_gradients
from torch_reference import torch_conv_tensors

METHODS = ["loops", "shift", "im2row", "fast", ("matrix", "flip")]


CONV_ARGS = ("stride", "padding", "dilation", "groups")  # the layer arguments torch's conv takes


def t(a, grad=True):
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=grad)


def layer_check(layer, x, param_names=()):
    """convlab.gradcheck of a layer's backward w.r.t. its input and the named params."""

    def f(x, *ps):
        for name, p in zip(param_names, ps):
            layer.params[name][...] = p
        return layer.forward(x)

    def analytic(g, x, *ps):
        y = f(x, *ps)
        assert y.shape == g.shape
        dx = layer.backward(g)
        return [dx] + [layer.grads[name].copy() for name in param_names]

    inputs = [x] + [layer.params[name].copy() for name in param_names]
    return check_gradients(f, inputs, analytic, names=("x",) + tuple(param_names))


# ------------------------------------------------------------------ Conv2d
CONV_CASES = [
    dict(in_channels=2, out_channels=3, kernel_size=3),
    dict(in_channels=2, out_channels=4, kernel_size=(2, 3), stride=2, padding=1),
    dict(in_channels=3, out_channels=2, kernel_size=3, padding="same", dilation=2),
    dict(in_channels=4, out_channels=6, kernel_size=3, stride=(2, 1), padding=(1, 2), groups=2),
    dict(in_channels=2, out_channels=2, kernel_size=2, padding="same", bias=False),
    dict(in_channels=1, out_channels=2, kernel_size=3, padding=((2, 0), (0, 1))),
]


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("method", METHODS, ids=str)
@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: str(sorted(c.items())))
def test_conv2d_matches_torch(case, method):
    rng = np.random.default_rng(1)
    layer = nn.Conv2d(**case, method=method, rng=rng)
    x = rng.standard_normal((2, case["in_channels"], 7, 6))
    y = layer.forward(x)
    g = rng.standard_normal(y.shape)
    dx = layer.backward(g)

    xt, wt = t(x), t(layer.params["weight"])
    bt = t(layer.params["bias"]) if "bias" in layer.params else None
    yt = torch_conv_tensors(xt, wt, bt, **{k: v for k, v in case.items() if k in CONV_ARGS})
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(layer.grads["weight"], wt.grad.numpy(), atol=1e-12)
    if bt is not None:
        np.testing.assert_allclose(layer.grads["bias"], bt.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("case", CONV_CASES[:4], ids=lambda c: str(sorted(c.items())))
def test_conv2d_gradcheck(case):
    rng = np.random.default_rng(2)
    layer = nn.Conv2d(**case, method="im2row", rng=rng)
    x = rng.standard_normal((2, case["in_channels"], 5, 5))
    result = layer_check(layer, x, ("weight", "bias"))
    assert result, result


def test_conv2d_init_is_seeded_and_torch_like():
    a = nn.Conv2d(4, 8, 3, rng=0)
    b = nn.Conv2d(4, 8, 3, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(a.params["weight"], b.params["weight"])
    bound = 1 / np.sqrt(4 * 9)
    assert np.abs(a.params["weight"]).max() <= bound
    assert np.abs(a.params["weight"]).max() > 0.8 * bound
    assert a.params["weight"].shape == (8, 4, 3, 3) and a.params["bias"].shape == (8,)
    assert nn.Conv2d(4, 8, 3, groups=2, rng=0).params["weight"].shape == (8, 2, 3, 3)
    assert nn.Conv2d(1, 1, 3, dtype=np.float32).params["weight"].dtype == np.float32


def test_conv2d_does_not_modify_input():
    x = np.random.default_rng(0).standard_normal((1, 1, 4, 4))
    before = x.copy()
    layer = nn.Conv2d(1, 1, 3, padding=1, rng=0)
    layer.backward(np.ones_like(layer.forward(x)))
    np.testing.assert_array_equal(x, before)


# ------------------------------------------------------------------ Linear
def test_linear_matches_torch_and_gradcheck():
    rng = np.random.default_rng(3)
    layer = nn.Linear(5, 3, rng=rng)
    x = rng.standard_normal((4, 5))
    g = rng.standard_normal((4, 3))
    y = layer.forward(x)
    dx = layer.backward(g)
    xt, wt, bt = t(x), t(layer.params["weight"]), t(layer.params["bias"])
    yt = F.linear(xt, wt, bt)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(layer.grads["weight"], wt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(layer.grads["bias"], bt.grad.numpy(), atol=1e-12)
    assert layer_check(layer, x, ("weight", "bias"))


def test_linear_without_bias():
    layer = nn.Linear(3, 2, bias=False, rng=0)
    assert list(layer.params) == ["weight"]
    x = np.random.default_rng(0).standard_normal((2, 3))
    assert layer_check(layer, x, ("weight",))


# ------------------------------------------------------------- activations
@pytest.mark.parametrize("layer, ref", [
    (nn.ReLU(), F.relu),
    (nn.LeakyReLU(), lambda x: F.leaky_relu(x, 0.01)),
    (nn.LeakyReLU(0.2), lambda x: F.leaky_relu(x, 0.2)),
], ids=["relu", "leaky", "leaky0.2"])
def test_activations_match_torch_and_gradcheck(layer, ref):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 4, 4))
    x[np.abs(x) < 1e-3] = 0.5  # keep finite differences away from the kink
    x[0, 0, 0, :2] = 0.0  # but test the kink itself against torch
    g = rng.standard_normal(x.shape)
    y = layer.forward(x)
    dx = layer.backward(g)
    xt = t(x)
    yt = ref(xt)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-15)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-15)
    x[0, 0, 0, :2] = 0.7
    assert layer_check(layer, x)


def test_activations_keep_float32():
    x = np.linspace(-1, 1, 6, dtype=np.float32)
    assert nn.ReLU().forward(x).dtype == np.float32
    assert nn.LeakyReLU().forward(x).dtype == np.float32


# ----------------------------------------------------------------- pooling
POOL_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=1),  # heavily overlapping windows
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1)),
]


@pytest.mark.parametrize("case", POOL_CASES, ids=lambda c: str(sorted(c.items())))
def test_maxpool_matches_torch_and_gradcheck(case):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 7, 6))
    layer = nn.MaxPool2d(**case)
    y = layer.forward(x)
    g = rng.standard_normal(y.shape)
    dx = layer.backward(g)
    xt = t(x)
    yt = F.max_pool2d(xt, case["kernel_size"], case.get("stride"), case.get("padding", 0))
    yt.backward(torch.tensor(g))
    np.testing.assert_array_equal(y, yt.detach().numpy())
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-14)
    assert layer_check(layer, x)


@pytest.mark.parametrize("case", POOL_CASES, ids=lambda c: str(sorted(c.items())))
def test_maxpool_ties_go_where_torch_sends_them(case):
    rng = np.random.default_rng(6)
    x = rng.integers(0, 3, (2, 2, 7, 6)).astype(np.float64)  # many ties
    layer = nn.MaxPool2d(**case)
    y = layer.forward(x)
    g = rng.standard_normal(y.shape)
    dx = layer.backward(g)
    xt = t(x)
    F.max_pool2d(xt, case["kernel_size"], case.get("stride"), case.get("padding", 0)).backward(
        torch.tensor(g))
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-14)


def test_maxpool_tie_goes_to_first_in_row_major_order():
    layer = nn.MaxPool2d(2)
    layer.forward(np.array([[[[0.0, 2.0], [2.0, 2.0]]]]))
    np.testing.assert_array_equal(layer.backward(np.ones((1, 1, 1, 1)))[0, 0], [[0, 1], [0, 0]])


def test_maxpool_overlapping_windows_accumulate():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 5.0  # the centre wins all four 2x2 windows
    layer = nn.MaxPool2d(2, stride=1)
    assert np.all(layer.forward(x) == 5.0)
    dx = layer.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    assert dx[0, 0, 1, 1] == 10.0 and dx.sum() == 10.0


def test_global_maxpool_matches_torch_including_ties():
    rng = np.random.default_rng(7)
    for x in (rng.standard_normal((3, 4, 5, 5)), rng.integers(0, 2, (3, 4, 5, 5)).astype(float)):
        layer = nn.GlobalMaxPool2d()
        y = layer.forward(x)
        g = rng.standard_normal(y.shape)
        dx = layer.backward(g)
        xt = t(x)
        yt = F.adaptive_max_pool2d(xt, 1).flatten(1)
        yt.backward(torch.tensor(g))
        np.testing.assert_array_equal(y, yt.detach().numpy())
        np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-15)
    assert layer_check(nn.GlobalMaxPool2d(), rng.standard_normal((2, 3, 4, 4)))


# ------------------------------------------------------------ flatten, loss
def test_flatten_matches_torch():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 3, 4, 5))
    g = rng.standard_normal((2, 60))
    layer = nn.Flatten()
    y = layer.forward(x)
    xt = t(x)
    yt = torch.flatten(xt, 1)
    yt.backward(torch.tensor(g))
    np.testing.assert_array_equal(y, yt.detach().numpy())
    np.testing.assert_array_equal(layer.backward(g), xt.grad.numpy())
    assert layer_check(layer, x)


def test_softmax_cross_entropy_matches_torch_and_gradcheck():
    rng = np.random.default_rng(9)
    logits = rng.standard_normal((6, 4)) * 3
    labels = rng.integers(0, 4, 6)
    loss_fn = nn.SoftmaxCrossEntropy()
    loss = loss_fn.forward(logits, labels)
    grad = loss_fn.backward()
    lt = t(logits)
    ref = F.cross_entropy(lt, torch.tensor(labels))
    ref.backward()
    assert loss == pytest.approx(ref.item(), abs=1e-14)
    np.testing.assert_allclose(grad, lt.grad.numpy(), atol=1e-15)
    result = check_gradients(lambda z: np.array(nn.SoftmaxCrossEntropy().forward(z, labels)),
                             [logits], [grad], grad_out=np.array(1.0))
    assert result, result


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    loss_fn = nn.SoftmaxCrossEntropy()
    loss = loss_fn.forward(np.array([[1000.0, 0.0], [0.0, 1000.0]]), np.array([0, 0]))
    assert np.isfinite(loss) and loss == pytest.approx(500.0)
    assert np.all(np.isfinite(loss_fn.backward()))


# ------------------------------------------------------------ Sequential, SGD
def build_pair(rng):
    net = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1, method="im2row", rng=rng), nn.LeakyReLU(0.1),
                        nn.MaxPool2d(2), nn.Conv2d(3, 4, 2, method="im2row", rng=rng), nn.ReLU(),
                        nn.GlobalMaxPool2d(), nn.Linear(4, 3, rng=rng))
    tnet = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3, padding=1), torch.nn.LeakyReLU(0.1),
                               torch.nn.MaxPool2d(2), torch.nn.Conv2d(3, 4, 2), torch.nn.ReLU(),
                               torch.nn.AdaptiveMaxPool2d(1), torch.nn.Flatten(),
                               torch.nn.Linear(4, 3)).double()
    with torch.no_grad():
        for mine, theirs in zip([net[0], net[3], net[6]], [tnet[0], tnet[3], tnet[7]]):
            theirs.weight.copy_(torch.tensor(mine.params["weight"]))
            theirs.bias.copy_(torch.tensor(mine.params["bias"]))
    return net, tnet


def test_sequential_backprop_matches_torch():
    rng = np.random.default_rng(10)
    net, tnet = build_pair(rng)
    x = rng.standard_normal((5, 1, 8, 8))
    labels = rng.integers(0, 3, 5)
    loss_fn = nn.SoftmaxCrossEntropy()
    loss = loss_fn.forward(net.forward(x), labels)
    dx = net.backward(loss_fn.backward())
    xt = t(x)
    ref = F.cross_entropy(tnet(xt), torch.tensor(labels))
    ref.backward()
    assert loss == pytest.approx(ref.item(), abs=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-12)
    tparams = [p for p in tnet.parameters()]
    mine = net.parameters()
    assert len(mine) == len(tparams) == 6
    for (p, g), tp in zip(mine, tparams):
        np.testing.assert_allclose(p, tp.detach().numpy(), atol=0)
        np.testing.assert_allclose(g, tp.grad.numpy(), atol=1e-12)


def test_sequential_gradcheck():
    rng = np.random.default_rng(12)
    net = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1, method="im2row", rng=rng), nn.LeakyReLU(0.1),
                        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(12, 2, rng=rng))
    x = rng.standard_normal((2, 2, 4, 4))

    def analytic(g, x):
        net.forward(x)
        return [net.backward(g)]

    result = check_gradients(net.forward, [x], analytic, names=["x"])
    assert result, result


def test_sgd_with_momentum_matches_torch():
    rng = np.random.default_rng(11)
    net, tnet = build_pair(rng)
    opt = nn.SGD(net.parameters(), lr=0.05, momentum=0.9)
    topt = torch.optim.SGD(tnet.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.SoftmaxCrossEntropy()
    for step in range(4):
        x = rng.standard_normal((4, 1, 8, 8))
        labels = rng.integers(0, 3, 4)
        loss_fn.forward(net.forward(x), labels)
        net.backward(loss_fn.backward())
        opt.step()
        topt.zero_grad()
        F.cross_entropy(tnet(t(x, False)), torch.tensor(labels)).backward()
        topt.step()
    for (p, _), tp in zip(net.parameters(), tnet.parameters()):
        np.testing.assert_allclose(p, tp.detach().numpy(), atol=1e-12)


def test_sgd_accepts_a_model_and_zero_grad():
    net = nn.Sequential(nn.Linear(2, 2, rng=0))
    opt = nn.SGD(net, lr=0.1)
    net.backward(np.ones_like(net.forward(np.ones((1, 2)))))
    assert np.any(net[0].grads["weight"] != 0)
    opt.zero_grad()
    assert np.all(net[0].grads["weight"] == 0)


# -------------------------------------------------------------- validation
@pytest.mark.parametrize("make, error, match", [
    (lambda: nn.Conv2d(0, 2, 3), ValueError, "in_channels must be a positive int; got 0"),
    (lambda: nn.Conv2d(2, 2.5, 3), TypeError, "out_channels must be an int"),
    (lambda: nn.Conv2d(2, 2, (3, 3, 3)), ValueError, "kernel_size must be an int or a sequence of 2"),
    (lambda: nn.Conv2d(2, 2, 3, stride=0), ValueError, "stride must be a positive int; got 0"),
    (lambda: nn.Conv2d(2, 2, 3, padding="half"), ValueError, "padding must be .*'same'.*got 'half'"),
    (lambda: nn.Conv2d(2, 2, 3, padding=-1), ValueError, "padding must be a >= 0 int; got -1"),
    (lambda: nn.Conv2d(3, 2, 3, groups=2), ValueError, "groups=2 must divide both the in_channels \\(3\\) and the out_channels \\(2\\)"),
    (lambda: nn.Conv2d(2, 2, 3, method="matrix"), ValueError, "method must be one of .*got 'matrix'"),
    (lambda: nn.Conv2d(2, 2, 3, method=("matrix", "nope")), ValueError, r"method\[1\] \(backward\)"),
    (lambda: nn.Conv2d(2, 2, 3, bias=1), TypeError, "bias must be True or False"),
    (lambda: nn.Conv2d(2, 2, 3, rng="seed"), TypeError, "rng must be None, an int seed"),
    (lambda: nn.Conv2d(2, 2, 3, dtype=np.int32), TypeError, "dtype must be a floating dtype"),
    (lambda: nn.Linear(2, 0), ValueError, "out_features must be a positive int"),
    (lambda: nn.LeakyReLU("0.1"), TypeError, "negative_slope must be a number"),
    (lambda: nn.MaxPool2d(2, padding=2), ValueError, "padding must be at most half of kernel_size"),
    (lambda: nn.MaxPool2d(0), ValueError, "kernel_size must be a positive int"),
    (lambda: nn.Sequential(nn.ReLU(), 3), TypeError, r"layers\[1\] must have forward and backward"),
    (lambda: nn.SGD([(np.zeros(2), np.zeros(2))], lr=0), ValueError, "lr must be positive; got 0"),
    (lambda: nn.SGD([(np.zeros(2), np.zeros(2))], lr=0.1, momentum=1.0), ValueError,
     r"momentum must be in \[0, 1\)"),
    (lambda: nn.SGD([np.zeros(2)], lr=0.1), TypeError, r"params_and_grads\[0\] must be a \(param, grad\)"),
    (lambda: nn.SGD([(np.zeros(2), np.zeros(3))], lr=0.1), ValueError, "param shape"),
])
def test_constructor_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_forward_backward_errors():
    conv = nn.Conv2d(2, 3, 3, rng=0)
    with pytest.raises(ValueError, match=r"x must be a 4-D \(N, C_in, H, W\) array; got shape \(2, 5, 5\)"):
        conv.forward(np.zeros((2, 5, 5)))
    with pytest.raises(ValueError, match=r"x must have in_channels=2 channels .*got shape \(1, 3, 5, 5\)"):
        conv.forward(np.zeros((1, 3, 5, 5)))
    with pytest.raises(RuntimeError, match="Conv2d.backward called before forward"):
        conv.backward(np.zeros((1, 3, 3, 3)))
    conv.forward(np.zeros((1, 2, 5, 5)))
    with pytest.raises(ValueError, match=r"grad_out must have the shape of Conv2d's last output \(1, 3, 3, 3\)"):
        conv.backward(np.zeros((1, 3, 4, 4)))
    with pytest.raises(ValueError, match="x must have in_features=4 columns"):
        nn.Linear(4, 2).forward(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="kernel is larger than the padded input along H"):
        nn.MaxPool2d(3).forward(np.zeros((1, 1, 2, 5)))
    loss_fn = nn.SoftmaxCrossEntropy()
    with pytest.raises(TypeError, match="labels must be integers"):
        loss_fn.forward(np.zeros((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\); got values from 0 to 3"):
        loss_fn.forward(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"labels must have shape \(N,\) = \(2,\)"):
        loss_fn.forward(np.zeros((2, 3)), np.array([0]))
    with pytest.raises(RuntimeError, match="before forward"):
        nn.SoftmaxCrossEntropy().backward()
