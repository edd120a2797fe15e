"""After a wrong answer, the checker searches the exercise's case space and shows the
smallest failing case, naming the feature that breaks (issue 21, scope 1)."""

import time

import numpy as np
import pytest

import exercise_solutions as sol
from convlab import exercises as ex
from convlab.exercises.grading.shrink import Space, differing_cells, figure_png, smallest_failure


def _no_stride_layer(x, weight, bias, stride):
    return sol.conv_forward_shift(x, weight, bias, 1)


def _stride_forgotten_in_backward(grad_out, weight, stride, input_size):
    """Scatters each gradient at (i, j) instead of (s*i, s*j): right only for stride 1."""
    n, c_out, h_out, w_out = grad_out.shape
    _, c_in, kh, kw = weight.shape
    dx = np.zeros((n, c_in) + tuple(input_size))
    for i in range(h_out):
        for j in range(w_out):
            dx[:, :, i:i + kh, j:j + kw] += np.einsum("bo,ocuv->bcuv", grad_out[:, :, i, j], weight)
    return dx


def _flipped_1d(p, w):
    return sol.correlate1d(p, w[::-1])


def _transposed_kernel(image, kernel):
    return sol.correlate2d(image, kernel.T) if kernel.shape[0] == kernel.shape[1] else \
        sol.correlate2d(image, kernel)


WRONG = [  # (checker, wrong implementation, statement expected, smallest configuration)
    (ex.check_correlate1d, _flipped_1d, "correct whenever k = 1; wrong for k 2 with n=2",
     {"n": 2, "k": 2}),
    (ex.check_conv_forward_shift, _no_stride_layer, "correct whenever stride = 1; wrong for stride 2",
     {"stride": 2, "k": 1, "size": 2}),
    (ex.check_strided_input_grad, _stride_forgotten_in_backward,
     "correct whenever stride = 1; wrong for stride 2", {"stride": 2, "size": 3, "k": 1}),
    (ex.check_integrated_input_grad, _stride_forgotten_in_backward,
     "correct whenever stride = 1; wrong for stride 2", {"stride": 2, "size": 3, "k": 1}),
    (ex.check_correlate2d, _transposed_kernel,
     "correct whenever kh = 1 or kw = 1; wrong for kh 2, kw 2 with h=2, w=2", {"kh": 2, "kw": 2}),
]


@pytest.mark.parametrize("checker, wrong, statement, config", WRONG,
                         ids=[w[1].__name__ for w in WRONG])
def test_a_known_bug_is_shrunk_to_its_smallest_case_and_named(checker, wrong, statement, config):
    start = time.monotonic()
    result = checker(wrong)
    assert not result and result.smallest is not None
    assert result.smallest.statement.startswith(statement), result.smallest.statement
    assert config.items() <= result.smallest.config.items(), result.smallest.config
    assert f"smallest failing case: {result.smallest.statement}" in result.text
    assert time.monotonic() - start < 5  # the search itself has a 2 s budget (see the bench)


def test_the_search_is_deterministic_per_seed():
    space = ex.check_correlate1d.exercise.space
    reference = ex.check_correlate1d.exercise.reference
    first = smallest_failure(_flipped_1d, space, reference, seed=3)
    again = smallest_failure(_flipped_1d, space, reference, seed=3)
    assert first.config == again.config and first.statement == again.statement
    assert all(np.array_equal(a, b) for a, b in zip(first.case.values, again.case.values))


def test_a_correct_function_has_no_failing_case():
    space = ex.check_correlate1d.exercise.space
    assert smallest_failure(sol.correlate1d, space, ex.check_correlate1d.exercise.reference) is None


def test_a_hand_worked_space():
    # ceil(n / s) by hand: n // s is right exactly when s = 1 or s divides n
    space = Space((("n", (1, 2, 3, 4, 5)), ("s", (1, 2, 3))),
                  lambda rng, c: ex.case("", n=c["n"], s=c["s"]), features=(("s", 1),))
    found = smallest_failure(lambda n, s: n // s, space, lambda n, s: -(-n // s))
    assert found.config == {"n": 1, "s": 2}
    assert found.statement == "correct whenever s = 1; wrong for s 2 with n=1"


def test_the_figure_marks_the_differing_cells_and_has_a_text_alternative():
    result = ex.check_correlate2d(_transposed_kernel)
    png, alt = figure_png(result.smallest)
    assert png.startswith(b"\x89PNG")
    cells = differing_cells(result.smallest.expected, result.smallest.got)
    assert cells and f"the {len(cells)} cell(s) that differ are marked" in alt
    assert "data:image/png;base64," in result._repr_html_() and "alt=" in result._repr_html_()
