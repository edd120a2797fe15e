"""The worked backprop problem (lesson 11): every value and gradient against torch autograd."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from convlab.nn import worked_problem, worked_problem_inputs


def torch_worked_problem():
    inputs = worked_problem_inputs()
    image = torch.tensor(inputs["image"], requires_grad=True)
    weight = torch.tensor(inputs["weight"], requires_grad=True)
    fc_weight = torch.tensor(inputs["fc_weight"], requires_grad=True)
    r = {"image": image, "weight": weight, "fc_weight": fc_weight}
    r["conv"] = F.conv2d(image, weight)
    r["relu"] = F.relu(r["conv"])
    r["pool"] = F.max_pool2d(r["relu"], 2)
    r["flat"] = r["pool"].flatten(1)
    r["logits"] = r["flat"] @ fc_weight.T
    r["probs"] = F.softmax(r["logits"], dim=1)
    for key in ("conv", "relu", "pool", "flat", "logits"):
        r[key].retain_grad()
    r["loss"] = F.nll_loss(F.log_softmax(r["logits"], dim=1), torch.tensor(inputs["label"]))
    r["loss"].backward()
    return r


@pytest.mark.parametrize("method", ["fast", "loops", "im2row", ("matrix", "flip")], ids=str)
def test_every_value_and_gradient_matches_torch(method):
    mine = worked_problem(method=method)
    ref = torch_worked_problem()
    for key in ("conv", "relu", "pool", "flat", "logits", "probs"):
        np.testing.assert_allclose(mine[key], ref[key].detach().numpy(), atol=1e-15, err_msg=key)
    assert mine["loss"] == pytest.approx(ref["loss"].item(), abs=1e-15)
    grads = {"d_logits": ref["logits"].grad, "d_flat": ref["flat"].grad, "d_pool": ref["pool"].grad,
             "d_relu": ref["relu"].grad, "d_conv": ref["conv"].grad, "d_weight": ref["weight"].grad,
             "d_image": ref["image"].grad, "d_fc_weight": ref["fc_weight"].grad}
    for key, value in grads.items():
        assert mine[key].shape == tuple(value.shape), key
        np.testing.assert_allclose(mine[key], value.numpy(), atol=1e-15, err_msg=key)


def test_hand_worked_values():
    """The values worked out by hand in the lesson."""
    r = worked_problem()
    for c in range(2):
        np.testing.assert_array_equal(r["conv"][0, c], [[1, -1], [0, 1]])
    np.testing.assert_array_equal(r["pool"].ravel(), [1, 1])  # a tie: top-left wins
    assert r["loss"] == pytest.approx(np.log(2))
    np.testing.assert_array_equal(r["probs"], [[0.5, 0.5]])
    np.testing.assert_array_equal(r["d_logits"], [[0.5, -0.5]])
    np.testing.assert_array_equal(r["d_fc_weight"], [[0.5, 0.5], [-0.5, -0.5]])
    np.testing.assert_array_equal(r["d_conv"][0, 0], [[0.5, 0], [0, 0]])
    np.testing.assert_array_equal(r["d_conv"][0, 1], [[-0.5, 0], [0, 0]])
    patch = r["image"][0, 0, :3, :3]  # the input under the winning (top-left) position
    np.testing.assert_array_equal(r["d_weight"][0, 0], 0.5 * patch)
    np.testing.assert_array_equal(r["d_weight"][1, 0], -0.5 * patch)
    expected_dx = 0.5 * np.pad(r["weight"][0, 0], ((0, 1), (0, 1))) - 0.5 * np.pad(
        r["weight"][1, 0], ((0, 1), (0, 1)))
    np.testing.assert_array_equal(r["d_image"][0, 0], expected_dx)


def test_inputs_are_fresh_copies():
    a = worked_problem_inputs()
    a["image"][...] = 7
    assert worked_problem_inputs()["image"].sum() == 2
