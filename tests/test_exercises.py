"""The exercise checkers: right answers pass, each known mistake is named, and
nothing a learner's function does (raise, return None, hang, mutate) crashes them."""

import inspect
import signal
import sys
import threading
import time

import numpy as np
import pytest
import torch

import convlab as cl
import exercise_solutions as sol
from convlab.exercises.checkers import layer_interface
from convlab import exercises as ex
from convlab.exercises.grading import engine
from convlab.exercises.sandbox import isolation

CHECKERS = {c.__name__: c for c in ex.CHECKERS}


# ------------------------------------------------- learner-style torch code (lesson 10)
def _numpy(*tensors):
    return [t.detach().numpy() for t in tensors]


def make_function(slip=None):
    """A learner's Conv2dFunction on the numpy solutions of lessons 03 and 08 (no library
    convolution: the exercise forbids them), optionally with one slip."""
    class Conv2dFunction(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, weight, bias, stride, padding):
            x_, w_, b_ = _numpy(x, weight, bias)
            if slip == "kernel_flipped":
                w_ = w_[:, :, ::-1, ::-1]
            ctx.save_for_backward(x, weight)
            ctx.geometry = stride, padding
            b_ = 0 * b_ if slip == "forgot_bias" else b_
            p = padding
            y = sol.conv_forward_shift(np.pad(x_, ((0, 0), (0, 0), (p, p), (p, p))), w_, b_, stride)
            return torch.from_numpy(y)

        @staticmethod
        def backward(ctx, grad_out):
            x_, w_ = _numpy(*ctx.saved_tensors)
            g = grad_out.numpy()
            if slip == "ignored_grad_output":
                g = np.ones_like(g)
            if slip == "kernel_flipped":
                w_ = w_[:, :, ::-1, ::-1]
            stride, p = ctx.geometry
            padded = np.pad(x_, ((0, 0), (0, 0), (p, p), (p, p)))
            dx = sol.strided_input_grad(g, w_, stride, padded.shape[2:])
            dx = dx[:, :, p:dx.shape[2] - p, p:dx.shape[3] - p]
            dw = sol.strided_kernel_grad(padded, g, stride, w_.shape[2:])
            db = g.sum(axis=(0, 2, 3))
            if slip == "kernel_flipped":
                dw = dw[:, :, ::-1, ::-1]
            if slip == "bias_grad_not_summed_over_batch":
                db = g[0].sum(axis=(1, 2))
            return (torch.from_numpy(dx.copy()), torch.from_numpy(dw.copy()),
                    torch.from_numpy(db), None, None)
    return Conv2dFunction


def conv2d_unfold(x, weight, bias, slip=None):
    n, _, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    cols = torch.nn.functional.unfold(x, (kh, kw))  # (N, C*kh*kw, P)
    flat = weight.permute(0, 2, 3, 1) if slip == "weight_flatten_order" else weight
    y = flat.reshape(c_out, -1) @ cols  # (N, C_out, P)
    if slip != "forgot_bias":
        y = y + bias[:, None]
    if slip == "reshape_without_transpose":
        y = y.transpose(1, 2)
    return y.reshape(n, c_out, h - kh + 1, w - kw + 1)


SOLUTIONS = {
    "check_correlate1d": sol.correlate1d, "check_correlate2d": sol.correlate2d,
    "check_convolve2d": sol.convolve2d, "check_output_size": sol.output_size,
    "check_same_padding": sol.same_padding, "check_output_shape": sol.output_shape,
    "check_unread_cells": sol.unread_cells, "check_receptive_field": sol.receptive_field,
    "check_conv_forward_loops": sol.conv_forward_loops,
    "check_conv_forward_shift": sol.conv_forward_shift, "check_im2row": sol.im2row,
    "check_conv_matrix": sol.conv_matrix, "check_conv_via_im2row": sol.conv_via_im2row,
    "check_kernel_grad_1d": sol.kernel_grad_1d, "check_bias_grad": sol.bias_grad,
    "check_kernel_grad": sol.kernel_grad, "check_input_grad": sol.input_grad,
    "check_scatter_input_grad": sol.scatter_input_grad, "check_row2im": sol.row2im,
    "check_zero_insert": sol.zero_insert, "check_strided_input_grad": sol.strided_input_grad,
    "check_strided_kernel_grad": sol.strided_kernel_grad,
    "check_conv2d_function": make_function(), "check_conv2d_unfold": conv2d_unfold,
    "check_relu_backward": sol.relu_backward, "check_maxpool_backward": sol.maxpool_backward,
    "check_linear_backward": sol.linear_backward,
    "check_sobel_magnitude": sol.sobel_magnitude, "check_gaussian_kernel": sol.gaussian_kernel,
    "check_separable_blur": sol.separable_blur,
    "check_circular_correlate_fft": sol.circular_correlate_fft,
    "check_circulant_matrix": sol.circulant_matrix, "check_winograd_f23": sol.winograd_f23,
    "check_affine_layer": sol.AffineLayer, "check_backprop": sol.backprop,
    "check_residual_backprop": sol.residual_backprop,
    "check_input_grad_im2row": sol.input_grad_im2row,
    "check_convolve_full1d": sol.convolve_full1d,
    "check_chain_rule_grad": sol.chain_rule_grad,
    "check_affine_weight_jacobian": sol.affine_weight_jacobian, "check_vec_kron": sol.vec_kron,
    "check_channel_mix": sol.channel_mix, "check_cross_entropy_grad": sol.cross_entropy_grad,
    "check_padding_for_size": sol.padding_for_size,
    "check_kernel_grad_1d_strided": sol.kernel_grad_1d_strided,
    "check_kernel_grad_nhwc": sol.kernel_grad_nhwc,
    "check_numerical_gradient": sol.numerical_gradient,
    "check_kernel_grad_one_matmul": sol.kernel_grad_one_matmul,
    "check_integrated_input_grad": sol.integrated_input_grad,
    "check_feature_maps": sol.feature_maps, "check_pool_winners": sol.pool_winners,
    "check_logit_grads": sol.logit_grads, "check_kernel_grads": sol.kernel_grads,
    "check_avgpool_backward": sol.avgpool_backward,
    "check_kernel_loss_grad": sol.kernel_loss_grad, "check_rank_one_factors": sol.rank_one_factors,
}


def test_every_checker_has_a_solution_here():
    assert set(SOLUTIONS) == set(CHECKERS)


@pytest.mark.parametrize("name", sorted(SOLUTIONS))
def test_an_independent_solution_passes(name, capsys):
    result = CHECKERS[name](SOLUTIONS[name])
    assert result, result.text
    assert result.n_passed == result.n_cases >= 3
    assert capsys.readouterr().out == f"{result.name}: passed {result.n_cases} cases.\n"


def _as_learner(checker, wrong):
    """The mistake as a learner would write it, where the checker's mistakes take other arguments."""
    if checker is ex.check_conv2d_function:
        return None  # a Function class is needed: see test_conv2d_function_slips
    if checker is ex.check_conv2d_unfold:  # mistakes run a slipped forward under autograd
        key = next(k for k, f in checker.mistakes if f is wrong)
        return lambda x, weight, bias: conv2d_unfold(x, weight, bias, slip=key)
    if checker is ex.check_residual_backprop:  # mistakes build the network from its seed
        slip = next(k for k, f in checker.mistakes if f is wrong)
        slip = {"residual_skip_dropped": "skip_dropped", "residual_branch_dropped": "branch_dropped",
                "backward_not_reversed": "not_reversed"}[slip]
        # reached through sys.modules: the exercise forbids convlab names in learner code, and
        # this learner is the checker's own slipped solution
        module = "convlab.exercises.checkers.layer_interface"
        return lambda layers, x, loss_grad: sys.modules[module].residual_backprop_slipped(
            layers, x, loss_grad, slip)
    if checker is ex.check_affine_layer:  # mistakes give (y, dx, dW, db): a layer answering them
        return _layer_answering(wrong)
    if checker is ex.check_rank_one_factors:  # its one mistake: the pivot at the corner
        return lambda kernel: (kernel[:, 0], kernel[0] / kernel[0, 0])
    return wrong


def _layer_answering(wrong):
    class Slipped:
        def __init__(self, weight, bias):
            self.params = {"weight": weight, "bias": bias}
            self.grads = {"weight": np.zeros_like(weight), "bias": np.zeros_like(bias)}

        def forward(self, x):
            self.x = x
            return x @ self.params["weight"].T + self.params["bias"]

        def backward(self, grad_out):
            weight = self.params["weight"]
            _, dx, dw, db, stepped = wrong(self.x, weight, self.params["bias"], grad_out)
            if stepped:
                self.grads["weight"][...], self.grads["bias"][...] = dw, db    # in place
            else:
                self.grads = {"weight": dw, "bias": db}                        # rebound
            return dx
    return Slipped


MISTAKES = [(name, key, index) for name, checker in CHECKERS.items()
            for index, (key, _) in enumerate(checker.mistakes)
            if name != "check_conv2d_function"]


@pytest.mark.parametrize("name, key, index", MISTAKES,
                         ids=[f"{n[6:]}-{k}-{i}" for n, k, i in MISTAKES])
def test_each_known_mistake_is_named(name, key, index):
    checker = CHECKERS[name]
    result = checker(_as_learner(checker, checker.mistakes[index][1]))
    assert not result
    assert result.status == "failed" and result.reason in ("wrong values", "wrong shape")
    assert key in dict(result.misconceptions), result.text
    assert ex.MESSAGES[key] in result.text


@pytest.mark.parametrize("slip", ["ignored_grad_output", "kernel_flipped", "forgot_bias",
                                  "bias_grad_not_summed_over_batch"])
def test_conv2d_function_slips(slip):
    result = ex.check_conv2d_function(make_function(slip))
    assert not result and slip in dict(result.misconceptions), result.text


def test_every_message_is_used_by_some_checker():
    used = {key for _, keys in ex.misconception_table(ex.CHECKERS)
            for key in keys}
    assert used == set(ex.MESSAGES)


# ------------------------------ the headline mistakes, written the way learners do
@pytest.mark.parametrize("checker, wrong, key, phrase", [
    (ex.check_correlate2d, lambda i, k: sol.correlate2d(i, k[::-1, ::-1]), "kernel_flipped",
     "your kernel is flipped"),
    (ex.check_scatter_input_grad, lambda g, w: sol.scatter_input_grad(g, w, accumulate=False),
     "overwrite", "you overwrite overlapping windows (`=` where `+=` is needed)"),
    (ex.check_row2im, lambda r, s, k, st: sol.row2im(r, s, k, st, accumulate=False),
     "overwrite", "`=` where `+=` is needed"),
    (ex.check_output_size, lambda n, k, s, p, d: -(-(n + 2 * p - d * (k - 1) - 1) // s) + 1,
     "floor_ceil", "floor/ceil mix-up in the output size"),
    (ex.check_output_size, lambda n, k, s, p, d: (n + 2 * p - (d + 1) * (k - 1) - 1) // s + 1,
     "dilation_from_0", "dilation counted from 0"),
    (ex.check_output_shape, lambda x, w, s, p: sol.output_shape(x, w, s, p)[:2]
     + sol.output_shape(x, w, s, p)[:1:-1], "hw_swapped", "H and W swapped"),
    (ex.check_bias_grad, lambda g: g[0].sum(axis=(1, 2)), "bias_grad_not_summed_over_batch",
     "bias gradient not summed over the batch"),
    (ex.check_bias_grad, lambda g: g.mean(axis=0).sum(axis=(1, 2)),
     "bias_grad_not_summed_over_batch", "bias gradient not summed over the batch"),
    (ex.check_strided_input_grad, lambda g, w, s, size: sol.strided_input_grad(
        g, w, s, size, insert=False), "stride_ignored_backward", "no zero insertion"),
    (ex.check_input_grad, lambda g, w: sol.input_grad(g, w, flip=False), "kernel_not_flipped",
     "not flipped"),
    (ex.check_conv_forward_loops, lambda x, w, b: sol.conv_forward_loops(x, w, 0 * b),
     "forgot_bias", "forgot the bias"),
    (ex.check_linear_backward, lambda x, w, g: (g @ w.T, g.T @ x, g.sum(axis=0)),
     "linear_weight_transposed", "transposed weight"),
    (ex.check_relu_backward, lambda x, g: g * (x >= 0), "relu_grad_at_zero", "ReLU gradient at 0"),
    (ex.check_relu_backward, lambda x, g: g * np.maximum(x, 0), "relu_uses_output", "output"),
    (ex.check_maxpool_backward, lambda x, g, k, s: sol.maxpool_backward(x, g, k, s, True),
     "maxpool_all_cells", "all cells of the window"),
])
def test_learner_style_mistakes(checker, wrong, key, phrase):
    result = checker(wrong)
    assert not result and result.misconception == key, result.text
    assert phrase in result.text


def test_a_wrong_answer_no_mistake_explains_gets_no_diagnosis():
    result = ex.check_correlate1d(lambda p, w: sol.correlate1d(p, w) + 1)
    assert not result and result.reason == "wrong values" and result.misconceptions == ()
    # shown on the smallest failing case: one entry, ones
    assert "smallest failing case: wrong even on the simplest case (n=1, k=1, values=ones)" in result.text
    assert "expected: [1.]" in result.text and "got: [2.]" in result.text
    assert "likely misconception" not in result.text


# ---------------------------------------------------------------- robustness
def _raise(exc):
    def f(*args):
        raise exc
    return f


def test_not_implemented_is_a_clean_verdict(capsys):
    result = ex.check_kernel_grad(_raise(NotImplementedError("your solution goes here")))
    assert not result and result.status == "not implemented"
    out = capsys.readouterr().out
    assert out.startswith("kernel_grad: not implemented yet.") and "Traceback" not in out


def test_not_implemented_after_some_cases_is_a_failure():
    result = ex.check_output_size(
        lambda n, k, s, p, d: sol.output_size(n, k, s, p, d) if d == 1 and k == 1 else _raise(
            NotImplementedError("dilation"))())
    assert result.status == "failed" and result.reason == "raised" and result.n_passed == 1


def test_an_exception_names_the_learners_line():
    def correlate1d(p, w):
        return p[len(p)] * w
    result = ex.check_correlate1d(correlate1d)
    assert result.reason == "raised"
    assert "IndexError: index 3 is out of bounds" in result.text
    assert "in `correlate1d`" in result.text and "return p[len(p)] * w" in result.text


@pytest.mark.parametrize("wrong, reason, phrase", [
    (lambda image, kernel: None, "returned None", "did you forget `return`"),
    (lambda image, kernel: sol.correlate2d(image, kernel)[None], "wrong shape",
     "expected of shape (1, 1), got shape (1, 1, 1)"),
    (lambda image, kernel: sol.correlate2d(image, kernel).astype(int), "wrong dtype",
     "expected of dtype float64, got int64"),
    (lambda image, kernel: sol.correlate2d(image, kernel).astype(np.float32), "wrong dtype",
     "lower precision"),
    (lambda image, kernel: sol.correlate2d(image, kernel) + 0j, "wrong dtype", "real part"),
    (lambda image, kernel: "not an array", "wrong type", "got a str"),
    (lambda image, kernel: [[object()]], "wrong type", "expected an array of shape (2, 3)"),
])
def test_bad_return_values_are_verdicts(wrong, reason, phrase):
    result = ex.check_correlate2d(wrong)
    assert not result and result.reason == reason and phrase in result.text, result.text


def test_a_float_size_is_a_wrong_type():
    result = ex.check_output_size(lambda n, k, s, p, d: (n + 2 * p - d * (k - 1) - 1) / s + 1)
    assert result.reason == "wrong type" and "use `//` or `int(...)`" in result.text


def test_tuples_must_have_the_right_length():
    result = ex.check_linear_backward(lambda x, w, g: (g @ w, g.T @ x))
    assert result.reason == "wrong type" and "a tuple of 3 values (dx, dw, db)" in result.text


def test_mutating_an_input_fails_and_leaves_the_case_intact():
    def correlate2d(image, kernel):
        image -= image.mean()
        return sol.correlate2d(image, kernel)
    result = ex.check_correlate2d(correlate2d)
    assert result.reason == "mutated input" and "modified its input `image`" in result.text
    assert bool(ex.check_correlate2d(sol.correlate2d))  # the cases were not spoiled


def test_an_endless_loop_is_stopped_on_the_main_thread():
    def forever(p, w):
        while True:
            pass
    handler = signal.getsignal(signal.SIGALRM)
    timer = signal.getitimer(signal.ITIMER_REAL)[0]  # e.g. pytest-timeout's
    start = time.monotonic()
    result = ex.check_correlate1d(forever, time_limit=0.2)
    assert result.reason == "too slow" and "no answer after 0.2 s" in result.text
    assert time.monotonic() - start < 2
    assert signal.getsignal(signal.SIGALRM) is handler
    left = signal.getitimer(signal.ITIMER_REAL)[0]
    assert left == 0 if timer == 0 else timer - 2 < left <= timer


def test_a_bare_except_cannot_swallow_the_time_limit():
    def stubborn(p, w):
        while True:
            try:
                time.sleep(0.01)
            except Exception:
                pass
    assert ex.check_correlate1d(stubborn, time_limit=0.2).reason == "too slow"


def test_the_time_limit_restores_a_running_timer_and_handler():
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *a: fired.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        assert ex.check_correlate1d(sol.correlate1d)
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 0 < remaining <= 0.5
        time.sleep(0.7)
        assert fired == [1]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_off_the_main_thread_a_daemon_thread_enforces_the_limit():
    results = []

    def run():
        results.append(ex.check_correlate1d(lambda p, w: time.sleep(5), time_limit=0.2))
        results.append(ex.check_correlate1d(sol.correlate1d))
    worker = threading.Thread(target=run)
    worker.start()
    worker.join(10)
    assert [r.reason for r in results] == ["too slow", None]
    assert results[1]
    assert engine.call_with_time_limit(lambda: 1, (), 1.0) == ("ok", 1)


def test_no_thread_is_left_behind_in_the_normal_case():
    end = time.monotonic() + 5  # earlier checks' children are reaped by short-lived threads
    while any(t.name == "convlab-reaper" for t in threading.enumerate()) and time.monotonic() < end:
        time.sleep(0.01)
    before = threading.active_count()
    isolation.call_in_thread(lambda: 3, (), 1.0)
    assert threading.active_count() == before


def test_learner_warnings_do_not_leak(recwarn):
    result = ex.check_correlate1d(lambda p, w: sol.correlate1d(p, w) + np.float64(1) / 0 * 0)
    assert not result
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("bad", [None, 3, "correlate1d", np.zeros(3)])
def test_a_non_callable_is_a_programmer_error(bad):
    with pytest.raises(TypeError, match="correlate1d must be the function you wrote"):
        ex.check_correlate1d(bad)


@pytest.mark.parametrize("limit, error", [
    (0, ValueError), (-1, ValueError), (float("inf"), ValueError), (float("nan"), ValueError),
    (1e300, ValueError), ("5", TypeError), (True, TypeError)])
def test_time_limit_is_validated(limit, error):
    with pytest.raises(error, match="time_limit must be"):
        ex.check_correlate1d(sol.correlate1d, time_limit=limit)


def test_conv2d_function_needs_a_function_class():
    with pytest.raises(TypeError, match="Conv2dFunction must be a torch.autograd.Function"):
        ex.check_conv2d_function(sol.correlate1d)


# -------------------------------------------------------------- the verdict
def test_the_verdict_is_deterministic_and_free_of_addresses():
    texts = {ex.check_input_grad(lambda g, w: sol.input_grad(g, w, flip=False)).text
             for _ in range(2)}
    assert len(texts) == 1
    text = texts.pop()
    assert "0x" not in text and " s " not in text.replace("0.2 s ", "")
    assert text.splitlines()[0] == "input_grad: failed on case 2 of 6 (wrong values)."


def test_large_arrays_are_summarised():
    result = engine.compare(np.zeros((10, 10)), np.eye(10))
    assert result[0] == "wrong values"
    assert ("got", "array of shape (10, 10), dtype float64") in result[1]
    assert ("largest difference", "at index (0, 0): expected 0.0, got 1.0") in result[1]


def test_the_result_object():
    passed = ex.check_zero_insert(sol.zero_insert)
    failed = ex.check_zero_insert(lambda g, s: sol.zero_insert(g, s + 1))
    assert passed and not failed and repr(failed) == failed.text
    html = failed._repr_html_()
    assert html.startswith("<div") and "#c62828" in html and "likely misconception" in html
    assert "#2e7d32" in passed._repr_html_()
    escaped = ex.CheckResult("f", "failed", 2, details=[("got", "<b>")])._repr_html_()
    assert "&lt;b&gt;" in escaped and "<b>&" not in escaped


def test_importing_the_checkers_does_not_import_torch():
    import subprocess
    import sys
    code = "import sys, convlab.exercises; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------ the declarations
@pytest.mark.parametrize("checker", ex.CHECKERS, ids=lambda c: c.__name__)
def test_each_checker_is_one_declaration_named_after_the_learners_function(checker):
    spec = checker.exercise
    assert checker.__name__ == f"check_{spec.name}" or spec.needs is not None
    assert list(inspect.signature(checker).parameters) == [spec.argument, "time_limit"]
    assert checker.mistakes == spec.mistakes
    doc = checker.__doc__
    sections = [doc.index(f"\n    {title}\n    {'-' * len(title)}\n")
                for title in ("Parameters", "Returns", "Examples")]
    assert sections == sorted(sections)
    examples = doc[sections[-1]:]
    assert f"{checker.__name__}(_" not in examples  # no private reference checked against itself


def test_a_checker_takes_its_argument_by_name_and_refuses_others():
    assert ex.check_correlate1d(correlate1d=sol.correlate1d)
    with pytest.raises(TypeError, match="correlate1d"):
        ex.check_correlate1d()
    with pytest.raises(TypeError):
        ex.check_correlate1d(sol.correlate1d, 1.0)  # time_limit is keyword-only


def test_the_former_name_of_the_unfold_checker_still_works():
    assert ex.check_unfold_conv2d is ex.check_conv2d_unfold
    assert ex.ALIASES == {"check_unfold_conv2d": ex.check_conv2d_unfold}
    assert ex.check_unfold_conv2d(conv2d_unfold)


def test_an_answer_too_large_to_send_back_is_still_a_wrong_shape():
    result = ex.check_correlate2d(lambda image, kernel: np.zeros((2000, 1000)))
    assert result.reason == "wrong shape" and "got shape (2000, 1000)" in result.text
