"""Exercise checkers: run a learner's function, explain the first failure.

Each ``check_*`` function takes the function a learner wrote, runs it on
small cases (edge cases first) against convlab or PyTorch, and shows a
verdict: "passed N cases", "not implemented yet", or the failing case with
expected and actual answers and, when a known mistake reproduces the
learner's answer, its name ("your kernel is flipped", ...). It returns a
:class:`CheckResult`, truthy on a pass, and never raises because of the
learner's code. The exercises are catalogued in ``docs/EXERCISES.md``;
student copies of the lessons come from ``python -m convlab.exercises
make-student lessons/ <out>``.

>>> from convlab.exercises import check_output_size
>>> r = check_output_size(lambda n, k, s, p, d: (n + 2 * p - d * (k - 1) - 1) // s + 1)
output_size: passed 8 cases.
"""

from .engine import DEFAULT_TIME_LIMIT, Case, case, run_check
from .forward import (check_convolve2d, check_correlate1d, check_correlate2d,
                      check_output_shape, check_output_size, check_same_padding)
from .vectorised import (check_conv_forward_loops, check_conv_forward_shift, check_conv_matrix,
                         check_conv_via_im2row, check_im2row)
from .backward import (check_bias_grad, check_input_grad, check_kernel_grad,
                       check_kernel_grad_1d, check_row2im, check_scatter_input_grad)
from .strided import check_strided_input_grad, check_strided_kernel_grad, check_zero_insert
from .torch_checks import check_conv2d_function, check_unfold_conv2d
from .layers import check_linear_backward, check_maxpool_backward, check_relu_backward
from .filtering import (check_circulant_matrix, check_circular_correlate_fft,
                        check_gaussian_kernel, check_separable_blur, check_sobel_magnitude)
from .misconceptions import MESSAGES, misconception_table
from .result import CheckResult

CHECKERS = (
    check_correlate1d, check_correlate2d, check_convolve2d,
    check_output_size, check_same_padding, check_output_shape,
    check_conv_forward_loops, check_conv_forward_shift,
    check_im2row, check_conv_matrix, check_conv_via_im2row,
    check_kernel_grad_1d, check_bias_grad, check_kernel_grad,
    check_input_grad, check_scatter_input_grad, check_row2im,
    check_zero_insert, check_strided_input_grad, check_strided_kernel_grad,
    check_conv2d_function, check_unfold_conv2d,
    check_relu_backward, check_maxpool_backward, check_linear_backward,
    check_sobel_magnitude, check_gaussian_kernel, check_separable_blur,
    check_circular_correlate_fft, check_circulant_matrix,
)
"""Every checker, in lesson order."""

__all__ = ["CHECKERS", "Case", "CheckResult", "DEFAULT_TIME_LIMIT", "MESSAGES", "case",
           "misconception_table", "run_check"] + [c.__name__ for c in CHECKERS]
