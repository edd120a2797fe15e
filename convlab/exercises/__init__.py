"""Exercise checkers: run a learner's function, explain the first failure.

Each ``check_*`` function takes the function a learner wrote, runs it on
small cases (edge cases first) against convlab or PyTorch, and shows a
verdict: "passed N cases", "not implemented yet", or the failing case with
expected and actual answers and, when a known mistake reproduces the
learner's answer, its name ("your kernel is flipped", ...). It returns a
:class:`CheckResult`, truthy on a pass, and never raises because of the
learner's code, which runs in a child process with a time and memory limit
(:mod:`convlab.exercises.sandbox`), so that it cannot hang, crash or
alter the session. The exercises are catalogued in ``docs/EXERCISES.md``.

The package has three rooms:

- ``checkers/``: one module per lesson, named like the lesson (``cross_correlation``
  serves ``01_cross_correlation.ipynb``), each checker declared once with
  :func:`~convlab.exercises.grading.definition.exercise`;
- ``grading/``: how a check runs and what it says -- the declaration, the engine,
  the comparison, the result card, the misconception messages and the questions;
- ``sandbox/``: where learner code runs (a forked child with time and memory
  limits) and the safe data its answers come back as.

Student copies of the lessons come from ``python -m convlab student``.

>>> from convlab.exercises import check_output_size
>>> r = check_output_size(lambda n, k, s, p, d: (n + 2 * p - d * (k - 1) - 1) // s + 1)
output_size: passed 8 cases.
"""

from .checkers.autograd_function import (
                                        check_conv2d_function,
                                        check_conv2d_unfold,
                                        check_unfold_conv2d,
)
from .checkers.backward_bias_kernel import (
                                        check_bias_grad,
                                        check_kernel_grad,
                                        check_kernel_grad_1d,
                                        check_kernel_grad_1d_strided,
                                        check_kernel_grad_nhwc,
                                        check_kernel_grad_one_matmul,
)
from .checkers.backward_input import (
                                        check_input_grad,
                                        check_row2im,
                                        check_scatter_input_grad,
)
from .checkers.backward_stride import (
                                        check_integrated_input_grad,
                                        check_strided_input_grad,
                                        check_strided_kernel_grad,
                                        check_zero_insert,
)
from .checkers.capstone import check_conv2d_layer  # the capstone: two functions, its own verdict
from .checkers.capstone_training import check_digits_training, time_against_fast
from .checkers.channels_and_vectorising import (
                                        check_conv_forward_loops,
                                        check_conv_forward_shift,
)
from .checkers.conv_as_matmul import (
                                        check_conv_matrix,
                                        check_conv_via_im2row,
                                        check_im2row,
                                        check_input_grad_im2row,
)
from .checkers.cross_correlation import (
                                        check_convolve2d,
                                        check_convolve_full1d,
                                        check_correlate1d,
                                        check_correlate2d,
)
from .checkers.fft_circulant import (
                                        check_circulant_matrix,
                                        check_circular_correlate_fft,
                                        check_winograd_f23,
)
from .checkers.filters_photographs import (
                                        check_gaussian_kernel,
                                        check_kernel_loss_grad,
                                        check_rank_one_factors,
                                        check_separable_blur,
                                        check_sobel_magnitude,
)
from .checkers.layer_interface import (
                                        check_affine_layer,
                                        check_backprop,
                                        check_numerical_gradient,
                                        check_residual_backprop,
)
from .checkers.layers_backprop import (
                                        check_linear_backward,
                                        check_maxpool_backward,
                                        check_relu_backward,
)
from .checkers.output_size import (
                                        check_output_shape,
                                        check_output_size,
                                        check_padding_for_size,
                                        check_receptive_field,
                                        check_same_padding,
                                        check_unread_cells,
)
from .checkers.primer import (
                                        check_affine_weight_jacobian,
                                        check_chain_rule_grad,
                                        check_channel_mix,
                                        check_cross_entropy_grad,
                                        check_vec_kron,
)
from .checkers.worked_problem import (
                                        check_avgpool_backward,
                                        check_feature_maps,
                                        check_kernel_grads,
                                        check_logit_grads,
                                        check_pool_winners,
)
from .grading.definition import Exercise, exercise
from .grading.engine import DEFAULT_TIME_LIMIT, Case, case, run_check
from .grading.misconceptions import MESSAGES, misconception_table
from .grading.questions import (  # questions with feedback
                                        ask,
                                        expect_shape,
                                        expect_value,
                                        question,
)
from .grading.result import VERDICT_MIME, CheckResult, NotPassed
from .grading.shrink import Space, smallest_failure
from .grading.variants import set_student, student

CHECKERS = (
    check_correlate1d, check_correlate2d, check_convolve2d,
    check_output_size, check_same_padding, check_output_shape,
    check_unread_cells, check_receptive_field,
    check_conv_forward_loops, check_conv_forward_shift,
    check_im2row, check_conv_matrix, check_conv_via_im2row,
    check_affine_layer, check_backprop, check_numerical_gradient,
    check_kernel_grad_1d, check_bias_grad, check_kernel_grad_one_matmul, check_kernel_grad,
    check_input_grad, check_scatter_input_grad, check_row2im,
    check_integrated_input_grad, check_zero_insert, check_strided_input_grad,
    check_strided_kernel_grad,
    check_conv2d_function, check_conv2d_unfold,
    check_feature_maps, check_pool_winners, check_logit_grads, check_kernel_grads,
    check_avgpool_backward, check_relu_backward, check_maxpool_backward, check_linear_backward,
    check_sobel_magnitude, check_kernel_loss_grad, check_gaussian_kernel,
    check_rank_one_factors, check_separable_blur,
    check_circular_correlate_fft, check_circulant_matrix, check_winograd_f23,
    # lessons 00-06, transfer tasks
    check_chain_rule_grad, check_affine_weight_jacobian, check_vec_kron, check_channel_mix,
    check_cross_entropy_grad, check_convolve_full1d, check_padding_for_size, check_input_grad_im2row,
    check_residual_backprop, check_kernel_grad_1d_strided,
    check_kernel_grad_nhwc,
)
"""Every checker, in lesson order."""

ALIASES = {"check_unfold_conv2d": check_unfold_conv2d}
"""Former names of checkers that lessons may still call."""

__all__ = (["ALIASES", "CHECKERS", "Case", "CheckResult", "DEFAULT_TIME_LIMIT", "Exercise",
            "MESSAGES", "NotPassed", "Space", "VERDICT_MIME", "ask", "case", "exercise",
            "expect_shape", "expect_value", "misconception_table", "question", "run_check",
            "set_student", "smallest_failure", "student",
            "check_conv2d_layer", "check_digits_training", "time_against_fast"]
           + [c.__name__ for c in CHECKERS] + list(ALIASES))

# lessons 08-09, transfer tasks (stride, padding and dilation; the transposed convolution)
from .checkers.backward_stride import (  # noqa: E402
                                        check_padded_dilated_input_grad,
                                        check_padded_dilated_kernel_grad,
                                        check_subsample_grad,
)
from .checkers.transposed_convolution import (  # noqa: E402
                                        check_output_padding_for,
                                        check_transposed_conv,
)

_LESSONS_B = (check_subsample_grad, check_padded_dilated_input_grad,
              check_padded_dilated_kernel_grad, check_transposed_conv, check_output_padding_for)
CHECKERS = CHECKERS + _LESSONS_B
__all__ += [c.__name__ for c in _LESSONS_B]

from .checkers.autograd_function import check_leaky_relu_backward  # noqa: E402

CHECKERS = CHECKERS + (check_leaky_relu_backward,)
__all__ += ["check_leaky_relu_backward"]

from .checkers.fft_circulant import check_winograd_f32  # noqa: E402

CHECKERS = CHECKERS + (check_winograd_f32,)
__all__ += ["check_winograd_f32"]

from .checkers.worked_problem import check_batch_logit_grads  # noqa: E402

CHECKERS = CHECKERS + (check_batch_logit_grads,)
__all__ += ["check_batch_logit_grads"]

from .checkers.filters_photographs import check_elliptical_gaussian  # noqa: E402

CHECKERS = CHECKERS + (check_elliptical_gaussian,)
__all__ += ["check_elliptical_gaussian"]
