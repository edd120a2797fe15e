"""The checkers of the exercises added with the question API (lessons 05, 06, 08, 11, 12)
beyond the general suite of ``test_exercises.py`` (which runs an independent solution and
every known mistake through each of them): a stub is "not implemented yet", and mistakes
written the way learners make them are named."""

import numpy as np
import pytest

import convlab as cl
import exercise_solutions as sol
from convlab import exercises as ex
from convlab.exercises.checkers import worked_problem as worked
from convlab.exercises.checkers import backward_stride, filters_photographs, layer_interface

LESSON_CHECKERS = (ex.check_affine_layer, ex.check_backprop, ex.check_numerical_gradient,
                   ex.check_kernel_grad_one_matmul, ex.check_integrated_input_grad,
                   ex.check_feature_maps, ex.check_pool_winners, ex.check_logit_grads,
                   ex.check_kernel_grads, ex.check_avgpool_backward, ex.check_kernel_loss_grad,
                   ex.check_rank_one_factors)
CHECKERS = {c.__name__: c for c in LESSON_CHECKERS}


def _stub(*args):
    raise NotImplementedError("your solution goes here")


def test_the_lesson_checkers_are_in_the_one_tuple_and_importable_from_their_lessons_modules():
    assert set(LESSON_CHECKERS) <= set(ex.CHECKERS)
    assert layer_interface.check_affine_layer is ex.check_affine_layer
    assert backward_stride.check_integrated_input_grad is ex.check_integrated_input_grad
    assert filters_photographs.check_rank_one_factors is ex.check_rank_one_factors
    assert worked.check_avgpool_backward is ex.check_avgpool_backward


@pytest.mark.parametrize("name", sorted(set(CHECKERS) - {"check_affine_layer"}))
def test_a_stub_is_not_implemented_yet(name):
    assert CHECKERS[name](_stub).status == "not implemented"


def test_a_stub_class_is_not_implemented_yet():
    class Stub(cl.nn.Layer):
        def __init__(self, weight, bias):
            raise NotImplementedError("your solution goes here")
    assert ex.check_affine_layer(Stub).status == "not implemented"


def test_the_layer_checker_needs_a_class_with_backward():
    with pytest.raises(TypeError, match="AffineLayer must be the layer class you wrote"):
        ex.check_affine_layer(sol.numerical_gradient)


def test_the_layer_verdict_is_named_after_the_learners_class():
    assert ex.check_affine_layer(sol.AffineLayer).name == "AffineLayer"


# ------------------------------------------- mistakes written the way learners make them
def test_a_layer_that_divides_by_the_batch_size_is_told_where_the_mean_goes():
    class MeanLayer(sol.AffineLayer):
        def backward(self, grad_out):
            dx = super().backward(grad_out)
            for grad in self.grads.values():      # in place, as the layer contract asks
                grad /= len(self.x)
            return dx
    result = ex.check_affine_layer(MeanLayer)
    assert not result and result.misconception == "mean_inside_layer", result.text


def test_a_transposed_weight_gradient_is_named():
    class Transposed(sol.AffineLayer):
        def backward(self, grad_out):
            dx = super().backward(grad_out)
            self.grads["weight"] = self.x.T @ grad_out
            return dx
    result = ex.check_affine_layer(Transposed)
    assert not result and "linear_dw_transposed" in dict(result.misconceptions), result.text


def test_backprop_in_the_forward_order_fails():
    def forward_order(layers, x, loss_grad):
        for layer in layers:
            x = layer.forward(x)
        g = loss_grad(x)
        for layer in layers:
            g = layer.backward(g)
        return g
    assert not ex.check_backprop(forward_order)


def test_a_pivot_at_a_zero_corner_is_named():
    def naive(kernel):
        return kernel[:, 0], kernel[0] / kernel[0, 0]
    result = ex.check_rank_one_factors(naive)
    assert not result and result.misconception == "zero_pivot", result.text


def test_ignoring_the_stride_in_the_integrated_backward_is_named():
    def no_stride(grad_out, weight, stride, input_size):
        return sol.integrated_input_grad(grad_out, weight, 1, input_size)
    result = ex.check_integrated_input_grad(no_stride)
    assert not result and result.misconception == "stride_ignored_backward", result.text


def test_the_worked_problem_cases_match_the_library_reference():
    r = cl.nn.worked_problem()
    image, kernels = r["image"][0, 0], r["weight"][:, 0]
    assert np.allclose(worked._feature_maps(image, kernels), r["conv"][0])
    assert np.allclose(worked._kernel_grads(image, kernels, r["d_pool"].ravel()), r["d_weight"][:, 0])
    assert np.allclose(worked._logit_grads(r["logits"][0], 1), r["d_logits"][0])
    assert worked._winners(r["relu"][0]).tolist() == [[0, 0], [0, 0]]
