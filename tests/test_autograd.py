"""convlab.autograd: convlab's numpy convolution inside torch autograd."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from convlab import autograd as ca

pytestmark = pytest.mark.slow  # gradcheck in float64 (the quick tier runs convlab.autograd's doctests)

METHODS = ["loops", "shift", "im2row", "fast", ("matrix", "flip")]
CASES = [
    dict(),
    dict(stride=2),
    dict(stride=(2, 1), padding=1),
    dict(padding=(0, 2), dilation=2),
    dict(padding="same"),
    dict(padding="same", dilation=(1, 2)),
    dict(padding="valid", stride=(1, 3)),
    dict(groups=2, stride=2, padding=1),
    dict(groups=4, padding="same"),  # depthwise
]


def tensors(rng, case, kernel=(3, 3), bias=True):
    groups = case.get("groups", 1)
    x = torch.tensor(rng.standard_normal((2, 4, 6, 5)), requires_grad=True)
    w = torch.tensor(rng.standard_normal((4, 4 // groups) + kernel), requires_grad=True)
    b = torch.tensor(rng.standard_normal(4), requires_grad=True) if bias else None
    return x, w, b


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("method", METHODS, ids=str)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_torch_gradcheck_passes(case, method):
    rng = np.random.default_rng(0)
    kernel = (2, 3) if case.get("padding") == "same" else (3, 3)  # even kernel: uneven "same" pad
    x, w, b = tensors(rng, case, kernel)
    x = x[:1].detach().requires_grad_()  # keep the Jacobian small
    assert torch.autograd.gradcheck(
        lambda x, w, b: ca.conv2d(x, w, b, method=method, **case), (x, w, b), eps=1e-6, atol=1e-8)


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("method", METHODS, ids=str)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_forward_and_backward_equal_torch(case, method):
    rng = np.random.default_rng(1)
    kernel = (2, 3) if case.get("padding") == "same" else (3, 3)  # even kernel: uneven "same" pad
    x, w, b = tensors(rng, case, kernel)
    g = torch.tensor(rng.standard_normal(F.conv2d(x, w, b, **case).shape))
    grads = {}
    for name, conv in (("mine", lambda: ca.conv2d(x, w, b, method=method, **case)),
                       ("torch", lambda: F.conv2d(x, w, b, **case))):
        y = conv()
        y.backward(g)
        grads[name] = [y.detach().clone()] + [t.grad.clone() for t in (x, w, b)]
        for t in (x, w, b):
            t.grad = None
    for mine, ref in zip(grads["mine"], grads["torch"]):
        torch.testing.assert_close(mine, ref, rtol=0, atol=1e-12)


def test_unbatched_input_and_no_bias():
    rng = np.random.default_rng(2)
    x = torch.tensor(rng.standard_normal((3, 5, 5)), requires_grad=True)
    w = torch.tensor(rng.standard_normal((2, 3, 3, 3)), requires_grad=True)
    y = ca.conv2d(x, w, method="im2row")
    assert y.shape == (2, 3, 3)
    assert torch.autograd.gradcheck(lambda x, w: ca.conv2d(x, w, method="im2row"), (x, w))


def test_float32_stays_float32_and_only_needed_grads():
    x = torch.randn(1, 1, 4, 4)
    w = torch.randn(1, 1, 3, 3, requires_grad=True)
    y = ca.conv2d(x, w, method="im2row")
    assert y.dtype == torch.float32
    y.sum().backward()
    assert x.grad is None and w.grad.dtype == torch.float32


# ------------------------------------------------------------------ module
@pytest.mark.parametrize("kwargs", [
    dict(in_channels=3, out_channels=4, kernel_size=3),
    dict(in_channels=4, out_channels=2, kernel_size=(2, 3), stride=2, padding=1, groups=2, bias=False),
    dict(in_channels=2, out_channels=2, kernel_size=3, padding="same", dilation=2),
], ids=str)
def test_module_copies_to_and_from_torch(kwargs):
    torch.manual_seed(0)
    ref = torch.nn.Conv2d(**kwargs).double()
    mine = ca.Conv2d.from_torch(ref, method="im2row")
    assert mine.weight is not ref.weight and torch.equal(mine.weight, ref.weight)
    x = torch.randn(2, kwargs["in_channels"], 7, 7, dtype=torch.float64)
    torch.testing.assert_close(mine(x), ref(x), rtol=0, atol=1e-12)
    mine(x).square().sum().backward()
    ref(x).square().sum().backward()
    torch.testing.assert_close(mine.weight.grad, ref.weight.grad, rtol=0, atol=1e-10)
    back = mine.to_torch()
    assert isinstance(back, torch.nn.Conv2d)
    for a, b in zip(back.parameters(), ref.parameters()):
        assert torch.equal(a, b)
    assert (back.stride, back.padding, back.dilation, back.groups) == (
        ref.stride, ref.padding, ref.dilation, ref.groups)


def test_module_initialises_like_torch():
    torch.manual_seed(3)
    mine = ca.Conv2d(2, 3, 3, method="im2row")
    torch.manual_seed(3)
    ref = torch.nn.Conv2d(2, 3, 3)
    assert torch.equal(mine.weight, ref.weight) and torch.equal(mine.bias, ref.bias)
    assert [n for n, _ in mine.named_parameters()] == ["weight", "bias"]
    assert "method='im2row'" in repr(mine)


def test_module_trains_inside_a_torch_model():
    torch.manual_seed(0)
    model = torch.nn.Sequential(ca.Conv2d(1, 2, 3, method="im2row"), torch.nn.ReLU(),
                                torch.nn.Flatten(), torch.nn.Linear(2 * 4 * 4, 1)).double()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    x = torch.randn(8, 1, 6, 6, dtype=torch.float64)
    target = x[:, :, 1:5, 1:5].sum(dim=(1, 2, 3)).unsqueeze(1)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = F.mse_loss(model(x), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_errors():
    x = torch.zeros(1, 1, 4, 4)
    w = torch.zeros(1, 1, 3, 3)
    with pytest.raises(TypeError, match="x must be a torch.Tensor; got ndarray"):
        ca.conv2d(np.zeros((1, 1, 4, 4)), w)
    with pytest.raises(TypeError, match="weight must be a floating tensor; got dtype torch.int64"):
        ca.conv2d(x, torch.zeros(1, 1, 3, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="method must be one of .*got 'magic'"):
        ca.conv2d(x, w, method="magic")
    with pytest.raises(ValueError, match="weight has 1 input channels but x has 2"):
        ca.conv2d(torch.zeros(1, 2, 4, 4), w)
    with pytest.raises(TypeError, match="module must be a torch.nn.Conv2d; got Linear"):
        ca.Conv2d.from_torch(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="module.padding_mode must be 'zeros'"):
        ca.Conv2d.from_torch(torch.nn.Conv2d(1, 1, 3, padding=1, padding_mode="reflect"))


# ------------------------------------------------ the validation network (§8)
@pytest.mark.parametrize("method", ["im2row", "loops"])
@pytest.mark.parametrize("case", [dict(), dict(stride=2, padding=1), dict(padding="same", dilation=2),
                                  dict(groups=3, stride=(1, 2))], ids=str)
def test_validation_network_matches_builtin_layers(method, case):
    """Conv2d -> LeakyReLU -> mean: same output and input/weight/bias gradients as torch."""
    rng = np.random.default_rng(4)
    groups = case.get("groups", 1)
    x = rng.standard_normal((2, 3, 7, 6))
    w = rng.standard_normal((6, 3 // groups, 3, 3))
    b = rng.standard_normal(6)
    r = ca.validation_network(x, w, b, method=method, negative_slope=0.1, **case)
    assert set(r["max_abs_diff"]) == {"output", "dx", "dw", "db"}
    for key, diff in r["max_abs_diff"].items():
        assert diff <= 1e-12, (key, diff)

    # and independently of the helper: the built-in layers, written out
    conv = torch.nn.Conv2d(3, 6, 3, bias=True, **case).double()
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(w))
        conv.bias.copy_(torch.tensor(b))
    xt = torch.tensor(x, requires_grad=True)
    out = torch.nn.LeakyReLU(0.1)(conv(xt)).mean()
    out.backward()
    assert r["convlab"]["output"] == pytest.approx(out.item(), abs=1e-14)
    np.testing.assert_allclose(r["convlab"]["dx"], xt.grad.numpy(), atol=1e-14)
    np.testing.assert_allclose(r["convlab"]["dw"], conv.weight.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(r["convlab"]["db"], conv.bias.grad.numpy(), atol=1e-12)


def test_import_convlab_and_numpy_modules_do_not_import_torch():
    code = ("import sys, convlab, convlab.nn, convlab.gradcheck, convlab.filters, convlab.data; "
            "bad = [m for m in ('torch', 'matplotlib', 'ipywidgets') if m in sys.modules]; "
            "assert not bad, bad")
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(root))
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root, env=env)
