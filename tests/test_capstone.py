"""The capstone checker: the right layer passes, each classic wrong layer is localised.

The wrong layers (``tests/capstone_layers.py``) are written independently of
the checker; each must be reported with the feature that breaks it and a
smallest failing case that is no larger than the first failing geometry of
the suite and still fails. The references are PyTorch (inside the checker)
and, for the layer hook, PyTorch again.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from capstone_layers import BUGS, layer

import convlab as cl
from convlab import nn
from convlab.exercises import check_conv2d_layer, check_digits_training
from convlab.exercises.checkers.capstone import show_smallest_case
from convlab.exercises.checkers.capstone_geometry import FEATURES, SUITE
from convlab.exercises.checkers.capstone_localise import reference, run_pair
from convlab.exercises.grading.result import FAILED, NOT_IMPLEMENTED

LESSON = Path(__file__).parents[1] / "lessons" / "14_capstone.ipynb"
WRONG_WHEN = {f.key: f.wrong_when for f in FEATURES}


def lesson_pair():
    """The lesson's own solution cells, run as a student's would be."""
    namespace = {}
    for cell in json.loads(LESSON.read_text())["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and source.startswith(("def conv2d_forward",
                                                              "def conv2d_backward")):
            exec(compile(source, str(LESSON), "exec"), {"np": np}, namespace)
    return namespace["conv2d_forward"], namespace["conv2d_backward"]


@pytest.mark.parametrize("pair", [layer(None), lesson_pair()], ids=["test layer", "lesson solution"])
def test_right_layers_pass(pair):
    result = check_conv2d_layer(*pair)
    assert result.passed and result.text == f"conv2d_forward / conv2d_backward: passed {len(SUITE)} cases."


def test_the_suite_covers_every_feature():
    features = {f.key for _, g in SUITE for f in FEATURES if f.present(g)}
    assert features == set(WRONG_WHEN)
    assert all(g.valid for _, g in SUITE)


@pytest.mark.parametrize("bug", list(BUGS))
def test_each_wrong_layer_is_localised(bug):
    forward, backward = layer(bug)
    result = check_conv2d_layer(forward, backward)
    assert not result and result.status == FAILED
    assert BUGS[bug] in result.breaking
    assert "wrong when" in result.text and WRONG_WHEN[BUGS[bug]] in result.text
    assert "where to look: " in result.text and "no known mistake" not in result.text
    smallest = result.smallest_case
    first = next(g for label, g in SUITE if label == result.case)
    assert smallest.size() <= first.size()
    assert f"smallest failing case: {smallest.describe()}" in result.text
    # the smallest case does fail, and switching the named feature off makes it pass
    assert run_pair(forward, backward, [smallest], 5)[0] is not None
    feature = next(f for f in FEATURES if f.key == BUGS[bug])
    assert all(v is None for v in run_pair(forward, backward, feature.switched_off(smallest), 5))


def test_the_remainder_bug_reads_as_the_issue_asks():
    result = check_conv2d_layer(*layer("input_grad_size_from_output"))
    assert "correct for stride 1" in result.text
    assert "wrong when stride > 1 and the stride does not divide (H + p_top + p_bottom - d(k-1) - 1)" in result.text
    assert "1 row short" in result.text or "1 column short" in result.text


def test_a_wrong_forward_and_a_wrong_backward_are_told_apart_by_finite_differences():
    flipped = check_conv2d_layer(*layer("flipped_kernel"))  # forward and backward agree, both wrong
    assert "fix the forward first" in flipped.text
    overwrite = check_conv2d_layer(*layer("overwrite"))  # forward right, backward wrong
    assert "the backward is not the gradient of your forward" in overwrite.text
    assert "add them (+=), do not assign (=)" in overwrite.text


def test_the_smallest_case_is_drawn_with_a_text_alternative():
    result = check_conv2d_layer(*layer("overwrite"))
    ax = show_smallest_case(result)
    assert "wrong cells marked" in ax.convlab_alt and result.localisation.fault.text in ax.convlab_alt
    page = result._repr_html_()
    assert "<img" in page and "alt='Two grids of the smallest failing case" in page
    assert "yours dx[0, 0] (* marks a wrong cell)" in result.text and "*" in result.text
    data = result.verdict()  # the structured verdict a grader counts
    assert data["status"] == "failed" and data["smallest_failing_case"]["breaking"] == ["kernel", "overlap"]
    assert data["smallest_failing_case"]["config"]["kh"] == 2
    import matplotlib.pyplot as plt
    plt.close("all")


def test_not_implemented_is_not_a_failure():
    def stub(*args):
        raise NotImplementedError("your solution goes here")
    result = check_conv2d_layer(stub, stub)
    assert result.status == NOT_IMPLEMENTED


def test_convlab_and_torch_convolutions_are_refused_and_the_verdict_says_so():
    def forward(x, weight, bias, stride, padding, dilation, groups):
        return cl.conv2d(x, weight, bias, stride=stride, padding=padding, dilation=dilation,
                         groups=groups)

    def torch_forward(x, weight, bias, stride, padding, dilation, groups):
        import torch
        return torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(weight)).numpy()

    backward = layer(None)[1]
    for fn, called in ((forward, "`convlab.conv2d` (in `forward`"), (torch_forward, "`torch")):
        result = check_conv2d_layer(fn, backward)
        assert result.reason == "forbidden call"
        assert called in result.text and "write the whole layer in numpy" in result.text
    # the refusal ends with the check: the library works again afterwards
    assert cl.conv2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 1, 1))).shape == (1, 1, 2, 2)


def test_a_mutated_input_and_a_hang_are_verdicts():
    forward, backward = layer(None)

    def mutating(x, weight, bias, *settings):
        x += 1
        return forward(x, weight, bias, *settings)

    assert check_conv2d_layer(mutating, backward).reason == "mutated input"

    def hanging(*args):
        while True:
            pass
    assert check_conv2d_layer(hanging, backward, time_limit=0.5).reason == "too slow"


def test_misuse_is_refused_by_name():
    with pytest.raises(TypeError, match="conv2d_backward must be the function you wrote"):
        check_conv2d_layer(layer(None)[0], "backward")
    with pytest.raises(ValueError, match="time_limit must be greater than 0"):
        check_conv2d_layer(*layer(None), time_limit=0)


def test_reference_matches_convlab_on_the_hardest_geometry():
    g = SUITE[-1][1]
    x, weight, bias, grad_out = g.arrays()
    y, dx, dw, db = reference(g)
    ours = cl.conv2d_backward(grad_out, x, weight, **g.settings())
    np.testing.assert_allclose(y, cl.conv2d(x, weight, bias, **g.settings()), atol=1e-10)
    np.testing.assert_allclose(dx, ours.dx, atol=1e-10)
    np.testing.assert_allclose(dw, ours.dw, atol=1e-10)
    np.testing.assert_allclose(db, grad_out.sum(axis=(0, 2, 3)))


# ------------------------------------------------------------------ the layer hook
def test_conv2d_layer_runs_your_own_pair_like_torch():
    torch = pytest.importorskip("torch")
    conv = nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding="same", dilation=(1, 2), groups=2,
                     method=layer(None), rng=0)
    x = np.random.default_rng(1).standard_normal((2, 4, 7, 6))
    y = conv.forward(x)
    g = np.random.default_rng(2).standard_normal(y.shape)
    dx = conv.backward(g)
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(conv.params["weight"], requires_grad=True)
    bt = torch.tensor(conv.params["bias"], requires_grad=True)
    # "same", worked by hand: H gives ceil(7/2) = 4 rows, which need (4-1)*2 + 3 - 7 = 2 zero
    # rows (1 top, 1 bottom); W gives 6 columns, which need 5 + 2*(2-1) + 1 - 6 = 2 (1 left, 1 right)
    padded = torch.nn.functional.pad(xt, (1, 1, 1, 1))
    yt = torch.nn.functional.conv2d(padded, wt, bt, stride=(2, 1), dilation=(1, 2), groups=2)
    yt.backward(torch.tensor(g))
    assert y.shape == (2, 6, 4, 6)
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(conv.grads["weight"], wt.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(conv.grads["bias"], bt.grad.numpy(), atol=1e-10)
    assert "method='conv2d_forward'" in repr(conv)


def test_conv_method_wants_two_functions_or_names():
    with pytest.raises(TypeError, match="two functions"):
        nn.Conv2d(1, 1, 3, method=(layer(None)[0], "fast"))
    with pytest.raises(ValueError, match="method"):
        nn.Conv2d(1, 1, 3, method="nope")


# ------------------------------------------------------------------ training
def _fake_training(method, accuracy):
    """A training function that trains nothing and claims ``accuracy`` in its history."""
    def train_fn():
        model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, method=method, rng=0), nn.Flatten(),
                              nn.Linear(2 * 64, 10, rng=0))
        return model, {"test_accuracy": [accuracy]}
    return train_fn


def test_training_must_use_your_layer_and_reach_the_accuracy_itself():
    not_yours = check_digits_training(_fake_training("fast", 0.99))
    assert not_yours.reason == "not your layer"
    claimed = check_digits_training(_fake_training(layer(None), 0.99))  # untrained: ~10 %
    assert claimed.reason == "accuracy too low" and "below 95%" in claimed.text


def test_training_with_the_lesson_solution_passes():
    from convlab.training import train_digits
    forward, backward = lesson_pair()
    result = check_digits_training(
        lambda: train_digits(epochs=4, method=(forward, backward), progress=False))
    assert result.passed
