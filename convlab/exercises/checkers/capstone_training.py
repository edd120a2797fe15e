"""Lesson 14 (capstone), after the layer: train the digits network with it, and time it.

:func:`check_digits_training` runs the learner's training function in the
sandbox (a forked child with a generous time limit) and checks that both
convolutions of the network ran the learner's own pair and that the test
accuracy reached :data:`TARGET_ACCURACY`. :func:`time_against_fast` times
the learner's pair against ``method="fast"`` on a ResNet-like layer (a
report for the optional extension, never a verdict).
"""

import time

import numpy as np

from ...data import load_digits
from ...nn.layers import Conv2d
from ...training import accuracy
from ..grading.result import FAILED, NOT_GRADED, NOT_IMPLEMENTED, PASSED, CheckResult
from ..grading.trusted import refusal
from ..sandbox.isolation import learner_calls
from ..sandbox.outcome import Opaque

__all__ = ["TARGET_ACCURACY", "check_digits_training", "time_against_fast"]

TARGET_ACCURACY = 0.95
"""Test accuracy the digits network must reach with the learner's layer."""

TRAINING_TIME_LIMIT = 180.0
"""Seconds the training may take (a few epochs take about 15 s with a vectorised layer)."""


class _TrainingVerdict(CheckResult):
    def _headline(self):
        if self.status == PASSED:
            return (f"{self.name}: passed: the digits network reached at least "
                    f"{TARGET_ACCURACY:.0%} test accuracy with your layer in both convolutions.")
        return super()._headline()


def _summarise(train_fn):
    """Runs in the child: the learner's training, read back as plain data.

    The test accuracy is measured here, on ``train_digits``' own test split (seed 0),
    with functions bound when convlab was imported: the history the training
    returns is not taken on trust.
    """
    model, history = train_fn()
    convs = [layer for layer in getattr(model, "layers", ()) if isinstance(layer, Conv2d)]
    own = [all(callable(m) and not str(getattr(m, "__module__", "")).startswith("convlab")
               for m in layer.method) for layer in convs]
    test = load_digits(seed=0, dtype=np.float32)
    return float(accuracy(model, test.x_test, test.y_test)), len(history["test_accuracy"]), own


def check_digits_training(train_fn, *, time_limit=TRAINING_TIME_LIMIT):
    """Check ``train_fn()``: it trains the digits CNN with the learner's pair and reaches 95 %.

    ``train_fn()`` returns what :func:`convlab.training.train_digits` returns,
    called with ``method=(conv2d_forward, conv2d_backward)``.

    Parameters
    ----------
    train_fn : callable
        What the learner wrote (no arguments).
    time_limit : float
        Seconds the training may take.

    Returns
    -------
    CheckResult
        Truthy when both convolutions ran the learner's functions and the
        last epoch's test accuracy is at least :data:`TARGET_ACCURACY`.
    """
    if not callable(train_fn):
        raise TypeError(f"train_fn must be the function you wrote (a callable), "
                        f"got {type(train_fn).__name__}: {train_fn!r:.60}")
    name = getattr(train_fn, "__name__", "train_fn")
    refused = refusal()
    if refused is not None:
        return _TrainingVerdict(name, NOT_GRADED, 1, reason="not graded",
                                details=[("", refused)]).show()
    with learner_calls(train_fn, lambda fn: _summarise(fn), [()], time_limit) as outcomes:
        outcome = next(iter(outcomes))
    if outcome.kind == "raised" and outcome.value.not_implemented:
        return _TrainingVerdict(name, NOT_IMPLEMENTED, 1).show()
    problem = _problem(outcome, time_limit)
    if problem is not None:
        reason, text = problem
        return _TrainingVerdict(name, FAILED, 1, reason=reason, details=[("", text)]).show()
    return _TrainingVerdict(name, PASSED, 1, 1).show()


def _problem(outcome, time_limit):
    """``(reason, sentence)`` when the training does not pass, else None."""
    if outcome.kind == "slow":
        return "too slow", (f"the training took more than {time_limit:g} s; use fewer epochs, "
                            "or vectorise your layer (one product per kernel offset).")
    if outcome.kind != "ok":
        text = outcome.value.text if outcome.kind == "raised" else str(outcome.value)
        return "raised", f"the training stopped: {text}"
    if isinstance(outcome.value, Opaque):
        return "wrong type", ("train_fn must return what train_digits returns (model, history); "
                              f"got {outcome.value}")
    accuracy, epochs, own = outcome.value
    if not own or not all(own):
        return "not your layer", ("the network's convolutions did not run your functions: pass "
                                  "method=(conv2d_forward, conv2d_backward) to train_digits.")
    if not accuracy >= TARGET_ACCURACY:
        return "accuracy too low", (f"test accuracy {accuracy:.1%} after {epochs} epochs, below "
                                    f"{TARGET_ACCURACY:.0%}: is your layer's check passing? Then "
                                    "train for more epochs.")
    return None


def _timings(pair, x_shape, out_channels, kernel_size, repeats):
    """Runs in the child: median seconds of (yours, fast), forward + backward, interleaved."""
    from ...conv.api import conv2d, conv2d_backward
    forward, backward = pair
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(np.float32)
    weight = rng.standard_normal((out_channels, x_shape[1], kernel_size, kernel_size)).astype(np.float32)
    bias = np.zeros(out_channels, np.float32)
    pad = (kernel_size - 1) // 2
    settings = ((1, 1), ((pad, pad), (pad, pad)), (1, 1), 1)

    def yours():
        y = forward(x, weight, bias, *settings)
        backward(np.ones_like(y), x, weight, *settings)

    def fast():
        y = conv2d(x, weight, bias, padding=pad)
        conv2d_backward(np.ones_like(y), x, weight, padding=pad)

    seconds = {yours: [], fast: []}
    for _ in range(repeats):
        for fn in (yours, fast):
            start = time.perf_counter()
            fn()
            seconds[fn].append(time.perf_counter() - start)
    return float(np.median(seconds[yours])), float(np.median(seconds[fast]))


def time_against_fast(conv2d_forward, conv2d_backward, x_shape=(8, 64, 28, 28), out_channels=64,
                      kernel_size=3, repeats=3, time_limit=120.0):
    """Time the learner's pair against ``method="fast"`` on a ResNet-like 3x3 layer; print and return the ratio.

    Forward and backward together, float32, ``padding = (k - 1) // 2``; medians
    over ``repeats`` interleaved runs. A report, not a verdict: returns
    ``yours / fast`` (None when the pair is not written yet or fails).
    """
    pair = (conv2d_forward, conv2d_backward)
    args = [(tuple(x_shape), int(out_channels), int(kernel_size), int(repeats))]
    with learner_calls(pair, _timings, args, time_limit) as outcomes:
        outcome = next(iter(outcomes))
    if outcome.kind == "raised" and outcome.value.not_implemented:
        print("not attempted yet: write conv2d_forward and conv2d_backward first.")
        return None
    if outcome.kind != "ok":
        print(f"could not time your layer: {getattr(outcome.value, 'text', outcome.value)}")
        return None
    yours, fast = outcome.value
    print(f"layer x {tuple(x_shape)}, {out_channels} filters {kernel_size}x{kernel_size}, "
          f"forward + backward: yours {yours * 1e3:.0f} ms, fast {fast * 1e3:.0f} ms "
          f"({yours / fast:.1f}x)")
    return yours / fast
