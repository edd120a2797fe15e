"""Every public callable refuses every bad argument, naming it, before any work.

The walk is by introspection: every name in ``convlab.__all__`` and in the
``__all__`` of each submodule (exercise checkers excepted: they take learner
functions), every parameter of every function, and of every class's
constructor and public methods. A new public function or parameter cannot
dodge it: without a valid baseline call in `BASELINES` and a category for
each parameter in `CATEGORY_OF` the test fails.

For each (callable, parameter) the baseline call is repeated with that one
argument replaced by each bad value of its category; every call must raise
``ValueError`` or ``TypeError`` whose message names the parameter, leave the
baseline's arrays unchanged and return within 2 s. A hypothesis variant
draws further bad values at random.
"""

import importlib
import inspect
import time
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convlab as cl

WALKED = ["convlab"] + [f"convlab.{m}" for m in cl._SUBMODULES if m != "exercises"]

# Plain records (named tuples, dataclasses) and abstract bases: nothing to validate.
RECORDS = {"convlab.Grads", "convlab.data.Digits", "convlab.training.TrainingResult",
           "convlab.learn_kernel.LearnedKernel", "convlab.gradcheck.GradcheckResult",
           "convlab.bench.Case", "convlab.nn.Layer", "convlab.coverage.ConvGeometry",
           "convlab.widgets.Explorer",  # abstract base of the explorers
           # torch's autograd.Function protocol (apply/forward/backward with ctx), reached
           # and validated through convlab.autograd.conv2d
           "convlab.autograd.Conv2dFunction"}

SECONDS_PER_CALL = 2.0
STATS = {"calls": 0, "worst_seconds": (0.0, ""), "worst_bytes": (0, "")}


def R(*shape):
    return np.random.default_rng(0).standard_normal(shape)


# ------------------------------------------------------------------ bad values
INT_POS = [0, -1, 1.5, "2", True, np.nan, np.array([[1, 1]]), 2.0]
INT_NONNEG = [-1, 1.5, "2", True, np.nan, 2.0]
INT_PAIR = INT_POS + [(1, 2, 3), (0, 1), (1, -1), np.array([1.5, 2.0]), (1, "a")]
POSITION = [-1, 1.5, "a", True, 10 ** 6]
BAD = {
    "array": [None, "abc", np.array(["a", "b"]), np.array([1, None], dtype=object),
              np.ones((2, 2), "m8[s]"), np.ones((2, 2), "M8[D]"), [[1.0, 2.0], [3.0]],
              np.ones((2, 2), complex), {"a": 1}],
    "int_pos": INT_POS + [None], "int_nonneg": INT_NONNEG + [None], "int_pair": INT_PAIR + [None],
    "position": POSITION + [None], "pair_nonneg": [(-1, 0), (1.5, 0), "a", (0, 0, 0), None],
    "padding": [-1, "half", (1, 2, 3), 1.5, None, ((1, -1), (0, 0)), True, np.array([[[1]]]),
                ("same", 1)],
    "method": ["nope", 3, None, ("matrix",), ("loops", "nope"), ("nope", "loops")],
    "pos_float": ["a", np.nan, np.inf, -1.0, 0.0, True, 1j, [1.0], None],
    "unit": [-0.1, 1.0, np.nan, "a", True, None, 1.5],
    "real": [np.nan, np.inf, "a", True, 1j, None],
    "nonneg_float": [-1.0, np.nan, "a", True, None],
    "value": ["a", None, True, 1j, [1.0]],
    "bool": ["yes", 2, 1, None, np.array([True, False])],
    "rng": ["seed", 1.5, -1, True, object()],
    "dtype": ["float99", np.int32, "int64", object],
    "shape": [9, (3, -1), (3.5, 4), "abc", None, (1, 2, 3, 4, 5), (0, 3)],
    "choice": ["nope", 3, None],
    "cmap": ["nope", 3],  # None is matplotlib's default colour map
    "callable": [3, "f", None],
    "analytic": ["a", 3, None],
    "inputs": [np.ones(2), "a", [np.array(["a"])], None],
    "params_and_grads": [3, [np.zeros(2)], [(np.zeros(2), np.zeros(3))], None],
    "layers": [[3], ["relu"], [None], [cl.nn.ReLU(), 3]],
    "model": [3, None, "net"],
    "data": [3, "d", (1, 2)],
    "wrt": [5, -1, "a", 1.5, [0, 5]],
    "names": [3, "x", [1]],
    "limit": [0, -5, 1.5, "2G", True],
    "channels": [(0, 1), (1, 2, 3), 1.5, "a", None],
    "int_list": [[0], "a", [1.5], None, [-1, 2]],
    "layer_names": ["nope", ["nope"], 3],
    "rows": [3, "a", [3]],
    "tensor": [np.ones((1, 1, 3, 3)), "a", None, 3],
    "axes": [3, "ax"],
    "text": [3, ["a"]],
    "figsize": [(0, 1), "a", -1, (1, 2, 3)],
    "history": [3, "a", None],
    "kernels": [3, "k", [np.array(["a"])]],
    # bench: case and method names, rounds of blocks, the sgemm floor, table rows
    "bench_cases": ["nope", ["nope"], 3, [3], [], ["tiny", "tiny"], ("tiny", None), {"tiny": 1}],
    "bench_methods": ["nope", ["nope"], 3, [3], "torch", ["fast", None], {"fast": 1}],
    "blocks": INT_POS + [2, None],
    "sgemm": [3, "a", [1.0, 2.0], {"numpy": 1.0}, {"numpy": "a", "torch": 1.0},
              {"numpy": -1.0, "torch": 1.0}],
    "bench_rows": [3, "a", [3], [{"case": "tiny"}], [{"case": 3, "method": "fast", "skipped": "x"}],
                   [{"case": "tiny", "method": "fast", "skipped": None, "forward_ms": "1",
                     "backward_ms": None, "fwd_bwd_ms": None, "gflops": None, "peak_mb": None}],
                   None],
    # rows of a 3 x 3-output patch matrix (9 rows: 0..8)
    "row_indices": [3, "a", [1.5], [-1], [9], [True], ["0"]],
}

# parameter name -> category (a default of True/False makes a parameter "bool")
CATEGORY_OF = {
    **dict.fromkeys(["x", "weight", "image", "kernel", "grad_out", "rows", "logits", "labels", "y",
                     "grad", "array", "target_kernel", "bias"], "array"),
    **dict.fromkeys(["groups", "n", "size", "steps", "epochs", "batch_size", "in_channels",
                     "out_channels", "in_features", "out_features", "downscale", "repeats",
                     "threads", "n_layers", "interval", "dpi"], "int_pos"),
    **dict.fromkeys(["kernel_size", "stride", "dilation"], "int_pair"),
    **dict.fromkeys(["seed"], "int_nonneg"),
    "output_padding": "pair_nonneg", "cell": "pair_nonneg",
    **dict.fromkeys(["i", "j", "m", "position"], "position"),
    "padding": "padding", "method": "method",
    **dict.fromkeys(["eps", "lr", "sigma"], "pos_float"),
    **dict.fromkeys(["momentum", "test_fraction"], "unit"),
    "negative_slope": "real", **dict.fromkeys(["rtol", "atol"], "nonneg_float"),
    "value": "value", "rng": "rng", "dtype": "dtype",
    **dict.fromkeys(["input_shape", "weight_shape", "shape", "input_size"], "shape"),
    **dict.fromkeys(["mode", "kind", "target", "view", "filter"], "choice"), "cmap": "cmap",
    "max_frames": "int_pos",
    **dict.fromkeys(["f", "draw"], "callable"), "analytic": "analytic", "inputs": "inputs",
    "params_and_grads": "params_and_grads", "layers": "layers", "model": "model", "data": "data",
    "wrt": "wrt", "names": "names", "limit": "limit", "channels": "channels",
    **dict.fromkeys(["kernel_sizes", "strides", "dilations"], "int_list"),
    **dict.fromkeys(["cases", "methods"], "layer_names"), "rows": "rows",
    **dict.fromkeys(["threads_blas", "threads_torch"], "int_pos"),
    **dict.fromkeys(["ax", "fig"], "axes"), **dict.fromkeys(["title", "blas"], "text"),
    "figsize": "figsize", "history": "history", "annotate": "bool", "grad": "array",
    "kinds": "history", "controls": "history", "adjust": "callable", **dict.fromkeys(["kernels", "results"], "kernels"),
}
# where a parameter's name means something else
CATEGORY_OVERRIDES = {
    ("convlab.viz.describe", "target"): "axes",
    ("convlab.viz.description", "target"): "axes",
    ("convlab.viz.describe", "text"): "text",
    ("convlab.coverage.geometry", "input_shape"): "int_pair",
    ("convlab.coverage.ConvGeometry", "input_shape"): "int_pair",
    ("convlab.coverage.covered_mask", "input_shape"): "int_pair",
    ("convlab.coverage.uncovered_cells", "input_shape"): "int_pair",
    ("convlab.coverage.dx_contributions", "input_shape"): "int_pair",
    ("convlab.coverage.dw_contributions", "input_shape"): "int_pair",
    ("convlab.coverage.gather_gradient", "input_shape"): "int_pair",
    ("convlab.coverage.gather_cells", "input_shape"): "int_pair",
    ("convlab.coverage.receptive_field_cells", "input_size"): "int_pos",
    ("convlab.receptive_field", "kernel_size"): "int_list",
    ("convlab.receptive_field", "stride"): "int_list",
    ("convlab.receptive_field", "dilation"): "int_list",
    ("convlab.coverage.dw_contributions", "n"): "position",
    ("convlab.conv_output_size", "padding"): "padding",
    ("convlab.autograd.conv2d", "x"): "tensor", ("convlab.autograd.conv2d", "weight"): "tensor",
    ("convlab.autograd.validation_network", "x"): "array",
    ("convlab.autograd.Conv2d.forward", "x"): "tensor",
    ("convlab.viz.show_receptive_field", "input_size"): "int_pos",
    ("convlab.viz.show_conv_matrix", "input_shape"): "int_pair",
    ("convlab.viz.show_im2row", "rows"): "row_indices",
    ("convlab.widgets.backward_explorer", "output_padding"): "int_nonneg",
    ("convlab.widgets.BackwardExplorer", "output_padding"): "int_nonneg",
    ("convlab.bench.run", "cases"): "bench_cases", ("convlab.bench.run", "methods"): "bench_methods",
    ("convlab.bench.run", "blocks"): "blocks", ("convlab.bench.machine_line", "sgemm"): "sgemm",
    ("convlab.bench.format_table", "rows"): "bench_rows",
    ("convlab.coverage.window_cells", "i"): "int_nonneg", ("convlab.coverage.window_cells", "j"): "int_nonneg",
}


# ------------------------------------------------------------------ baselines
def _digits():
    rng = np.random.default_rng(0)
    x, y = rng.random((8, 1, 8, 8)).astype(np.float32), np.arange(8) % 10
    return cl.data.Digits(x, y, x[:4], y[:4])


def _after_forward(layer, x):
    layer.forward(x)
    return layer


def _torch():
    return pytest.importorskip("torch")


def _viz():
    import matplotlib

    matplotlib.use("Agg")
    import convlab.viz

    return convlab.viz


def _axes():
    import matplotlib.pyplot as plt

    return plt.subplots()[1]


def _widgets():
    _viz()
    import convlab.widgets

    return convlab.widgets


def _close_figures():
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


# name -> () -> (callable, valid keyword arguments). Arrays are small: a call that
# wrongly accepts a bad value still returns quickly, and then fails the test.
BASELINES = {
    "convlab.conv1d": lambda: (cl.conv1d, dict(x=R(1, 2, 6), weight=R(2, 2, 3), bias=R(2), stride=1, padding=1,
                                                dilation=1, groups=1, method="fast")),
    "convlab.conv1d_backward": lambda: (cl.conv1d_backward, dict(grad_out=R(1, 2, 6), x=R(1, 2, 6), weight=R(2, 2, 3),
                                                                  stride=1, padding=1, dilation=1, groups=1, method="fast")),
    "convlab.conv2d": lambda: (cl.conv2d, dict(x=R(1, 2, 5, 5), weight=R(2, 2, 3, 3), bias=R(2), stride=1, padding=1,
                                                dilation=1, groups=1, method="fast")),
    "convlab.conv2d_backward": lambda: (cl.conv2d_backward, dict(grad_out=R(1, 2, 5, 5), x=R(1, 2, 5, 5),
                                                                  weight=R(2, 2, 3, 3), stride=1, padding=1, dilation=1,
                                                                  groups=1, method="fast")),
    "convlab.conv_transpose1d": lambda: (cl.conv_transpose1d, dict(x=R(1, 2, 4), weight=R(2, 2, 3), bias=R(2), stride=2,
                                                                    padding=1, output_padding=1, dilation=1, groups=1)),
    "convlab.conv_transpose2d": lambda: (cl.conv_transpose2d, dict(x=R(1, 2, 4, 4), weight=R(2, 2, 3, 3), bias=R(2),
                                                                    stride=2, padding=1, output_padding=1, dilation=1,
                                                                    groups=1)),
    "convlab.correlate2d": lambda: (cl.correlate2d, dict(image=R(5, 5), kernel=R(3, 3), padding="same", stride=1,
                                                          dilation=1)),
    "convlab.conv_matrix": lambda: (cl.conv_matrix, dict(weight=R(2, 1, 2, 2), input_shape=(1, 4, 4), stride=1,
                                                          padding=1, dilation=1, groups=1)),
    "convlab.conv_output_size": lambda: (cl.conv_output_size, dict(n=7, kernel_size=3, stride=2, padding=1, dilation=1)),
    "convlab.flip_kernel": lambda: (cl.flip_kernel, dict(weight=R(2, 3, 3))),
    "convlab.im2row": lambda: (cl.im2row, dict(x=R(1, 4, 4), kernel_size=2, stride=1, padding=1, dilation=1)),
    "convlab.row2im": lambda: (cl.row2im, dict(rows=R(9, 4), input_shape=(1, 4, 4), kernel_size=2, stride=1,
                                                padding=0, dilation=1)),
    "convlab.pad": lambda: (cl.pad, dict(x=R(3, 3), padding=1, value=0.5)),
    "convlab.zero_insert": lambda: (cl.zero_insert, dict(x=R(3, 3), stride=2)),
    "convlab.to_nchw": lambda: (cl.to_nchw, dict(array=R(4, 4, 3), kind="image")),
    "convlab.to_nhwc": lambda: (cl.to_nhwc, dict(array=R(3, 4, 4), kind="image")),
    "convlab.receptive_field": lambda: (cl.receptive_field, dict(kernel_size=[3, 3], stride=[1, 2], dilation=[1, 1])),
    "convlab.set_memory_limit": lambda: (lambda limit: cl.set_memory_limit(cl.set_memory_limit(limit)),
                                         dict(limit=2 ** 31)),
    # coverage
    "convlab.coverage.ConvGeometry": lambda: (cl.coverage.ConvGeometry, dict(input_shape=5, kernel_size=3, stride=1,
                                                                              padding=0, dilation=1)),
    "convlab.coverage.geometry": lambda: (cl.coverage.geometry, dict(input_shape=5, kernel_size=3, stride=1,
                                                                      padding=0, dilation=1)),
    "convlab.coverage.window_cells": lambda: (cl.coverage.window_cells, dict(i=0, j=1, kernel_size=2, stride=1,
                                                                              dilation=1)),
    "convlab.coverage.covered_mask": lambda: (cl.coverage.covered_mask, dict(input_shape=5, kernel_size=3, stride=2,
                                                                              padding=0, dilation=1)),
    "convlab.coverage.uncovered_cells": lambda: (cl.coverage.uncovered_cells, dict(input_shape=6, kernel_size=3, stride=2,
                                                                        padding=0, dilation=1)),
    "convlab.coverage.dx_contributions": lambda: (cl.coverage.dx_contributions, dict(
        i=1, j=1, input_shape=5, kernel_size=3, stride=1, padding=0, dilation=1)),
    "convlab.coverage.dw_contributions": lambda: (cl.coverage.dw_contributions, dict(
        m=1, n=1, input_shape=5, kernel_size=3, stride=1, padding=0, dilation=1)),
    "convlab.coverage.gather_gradient": lambda: (cl.coverage.gather_gradient, dict(
        grad_out=R(3, 3), input_shape=5, kernel_size=3, stride=1, padding=0, dilation=1)),
    "convlab.coverage.gather_cells": lambda: (cl.coverage.gather_cells, dict(input_shape=5, kernel_size=3, stride=1,
                                                                              padding=0, dilation=1)),
    "convlab.coverage.receptive_field_cells": lambda: (cl.coverage.receptive_field_cells, dict(
        kernel_sizes=[3, 3], strides=[1, 1], dilations=[1, 1], position=2, input_size=9)),
    # data, filters, gradcheck, learn_kernel, spectral, training
    "convlab.data.load_photo": lambda: (cl.data.load_photo, dict(color=False, downscale=8, dtype=np.float32)),
    "convlab.data.load_digits": lambda: (cl.data.load_digits, dict(test_fraction=0.25, seed=0, dtype=np.float32)),
    "convlab.filters.gaussian_kernel": lambda: (cl.filters.gaussian_kernel, dict(size=5, sigma=1.0)),
    "convlab.filters.gaussian_kernel1d": lambda: (cl.filters.gaussian_kernel1d, dict(size=5, sigma=1.0)),
    "convlab.filters.sobel": lambda: (cl.filters.sobel, dict(image=R(6, 6), mode="nearest")),
    "convlab.filters.sobel_gradients": lambda: (cl.filters.sobel_gradients, dict(image=R(6, 6), mode="nearest")),
    "convlab.filters.gaussian_blur": lambda: (cl.filters.gaussian_blur, dict(image=R(6, 6), sigma=1.0, size=3,
                                                                              mode="constant")),
    "convlab.gradcheck.numerical_gradients": lambda: (cl.gradcheck.numerical_gradients, dict(
        f=lambda a: a * 2, inputs=[R(3)], grad_out=R(3), eps=1e-6, wrt=[0])),
    "convlab.gradcheck.check_gradients": lambda: (cl.gradcheck.check_gradients, dict(
        f=lambda a: a * 2, inputs=[R(3)], analytic=lambda g, a: [2 * g], grad_out=R(3), eps=1e-6, rtol=1e-5,
        atol=1e-8, wrt=[0], names=["a"])),
    "convlab.learn_kernel.learn_kernel": lambda: (cl.learn_kernel.learn_kernel, dict(
        image=R(8, 8), target_kernel=R(3, 3), steps=2, lr=0.1, momentum=0.5, seed=0, standardize=True,
        method="fast")),
    "convlab.spectral.circular_pad": lambda: (cl.spectral.circular_pad, dict(x=R(4, 4), padding=1)),
    "convlab.spectral.circular_conv2d": lambda: (cl.spectral.circular_conv2d, dict(x=R(2, 5, 5), weight=R(3, 2, 3, 3),
                                                                                    bias=R(3))),
    "convlab.spectral.embed_kernel": lambda: (cl.spectral.embed_kernel, dict(weight=R(3, 3), input_shape=(5, 5))),
    "convlab.spectral.circulant_matrix": lambda: (cl.spectral.circulant_matrix, dict(weight=R(3, 3), input_shape=(4, 4))),
    "convlab.spectral.dft_matrix": lambda: (cl.spectral.dft_matrix, dict(n=4)),
    "convlab.spectral.dft2_matrix": lambda: (cl.spectral.dft2_matrix, dict(shape=(2, 3))),
    "convlab.spectral.circulant_eigenvalues": lambda: (cl.spectral.circulant_eigenvalues, dict(
        weight=R(3, 3), input_shape=(4, 4))),
    "convlab.spectral.fft_conv2d": lambda: (cl.spectral.fft_conv2d, dict(x=R(2, 5, 5), weight=R(3, 2, 3, 3), bias=R(3),
                                                                          padding="same")),
    "convlab.spectral.direct_cost": lambda: (cl.spectral.direct_cost, dict(input_shape=(8, 8), weight_shape=(3, 3))),
    "convlab.spectral.fft_cost": lambda: (cl.spectral.fft_cost, dict(input_shape=(8, 8), weight_shape=(3, 3),
                                                                      kernel_transforms=True)),
    "convlab.training.digits_cnn": lambda: (cl.training.digits_cnn, dict(method="fast", rng=0, dtype=np.float32,
                                                                          channels=(2, 2))),
    "convlab.training.accuracy": lambda: (cl.training.accuracy, dict(
        model=cl.nn.Sequential(cl.nn.Flatten()), x=R(3, 3, 1, 1), y=np.array([0, 1, 1]), batch_size=2)),
    "convlab.training.train_digits": lambda: (cl.training.train_digits, dict(
        epochs=1, batch_size=4, lr=0.1, momentum=0.9, seed=0, method="fast", progress=False, data=_digits())),
    # nn: constructors and the methods of a layer that has run forward
    "convlab.nn.Conv2d": lambda: (cl.nn.Conv2d, dict(in_channels=2, out_channels=2, kernel_size=3, stride=1, padding=1,
                                                      dilation=1, groups=1, bias=True, method="fast", rng=0,
                                                      dtype=np.float64)),
    "convlab.nn.Conv2d.forward": lambda: (cl.nn.Conv2d(2, 2, 3, rng=0).forward, dict(x=R(1, 2, 5, 5))),
    "convlab.nn.Conv2d.backward": lambda: (_after_forward(cl.nn.Conv2d(2, 2, 3, rng=0), R(1, 2, 5, 5)).backward,
                                           dict(grad_out=R(1, 2, 3, 3))),
    "convlab.nn.Linear": lambda: (cl.nn.Linear, dict(in_features=3, out_features=2, bias=True, rng=0, dtype=np.float64)),
    "convlab.nn.Linear.forward": lambda: (cl.nn.Linear(3, 2, rng=0).forward, dict(x=R(2, 3))),
    "convlab.nn.Linear.backward": lambda: (_after_forward(cl.nn.Linear(3, 2, rng=0), R(2, 3)).backward,
                                           dict(grad_out=R(2, 2))),
    "convlab.nn.ReLU.forward": lambda: (cl.nn.ReLU().forward, dict(x=R(2, 3))),
    "convlab.nn.ReLU.backward": lambda: (_after_forward(cl.nn.ReLU(), R(2, 3)).backward, dict(grad_out=R(2, 3))),
    "convlab.nn.LeakyReLU": lambda: (cl.nn.LeakyReLU, dict(negative_slope=0.1)),
    "convlab.nn.LeakyReLU.forward": lambda: (cl.nn.LeakyReLU().forward, dict(x=R(2, 3))),
    "convlab.nn.LeakyReLU.backward": lambda: (_after_forward(cl.nn.LeakyReLU(), R(2, 3)).backward,
                                              dict(grad_out=R(2, 3))),
    "convlab.nn.MaxPool2d": lambda: (cl.nn.MaxPool2d, dict(kernel_size=2, stride=2, padding=1)),
    "convlab.nn.MaxPool2d.forward": lambda: (cl.nn.MaxPool2d(2).forward, dict(x=R(1, 1, 4, 4))),
    "convlab.nn.MaxPool2d.backward": lambda: (_after_forward(cl.nn.MaxPool2d(2), R(1, 1, 4, 4)).backward,
                                              dict(grad_out=R(1, 1, 2, 2))),
    "convlab.nn.GlobalMaxPool2d.forward": lambda: (cl.nn.GlobalMaxPool2d().forward, dict(x=R(1, 2, 3, 3))),
    "convlab.nn.GlobalMaxPool2d.backward": lambda: (_after_forward(cl.nn.GlobalMaxPool2d(), R(1, 2, 3, 3)).backward,
                                                    dict(grad_out=R(1, 2))),
    "convlab.nn.Flatten.forward": lambda: (cl.nn.Flatten().forward, dict(x=R(2, 2, 2))),
    "convlab.nn.Flatten.backward": lambda: (_after_forward(cl.nn.Flatten(), R(2, 2, 2)).backward, dict(grad_out=R(2, 4))),
    "convlab.nn.SoftmaxCrossEntropy.forward": lambda: (cl.nn.SoftmaxCrossEntropy().forward, dict(
        logits=R(2, 3), labels=np.array([0, 2]))),
    "convlab.nn.softmax": lambda: (cl.nn.softmax, dict(logits=R(2, 3))),
    "convlab.nn.Sequential": lambda: (lambda layers: cl.nn.Sequential(*layers), dict(layers=[cl.nn.ReLU()])),
    "convlab.nn.Sequential.forward": lambda: (cl.nn.Sequential(cl.nn.ReLU()).forward, dict(x=R(2, 3))),
    "convlab.nn.Sequential.backward": lambda: (_after_forward(cl.nn.Sequential(cl.nn.ReLU()), R(2, 3)).backward,
                                               dict(grad_out=R(2, 3))),
    "convlab.nn.SGD": lambda: (cl.nn.SGD, dict(params_and_grads=[(np.zeros(2), np.zeros(2))], lr=0.1, momentum=0.5)),
    "convlab.nn.worked_problem": lambda: (cl.nn.worked_problem, dict(method="fast")),
    "convlab.nn.resolve_method": lambda: (cl.nn.resolve_method, dict(method="fast")),
    "convlab.nn.conv_method": lambda: (cl.nn.conv_method, dict(method="fast")),
    # autograd (torch)
    "convlab.autograd.conv2d": lambda: (cl.autograd.conv2d, dict(
        x=_torch().ones(1, 1, 4, 4, dtype=_torch().float64), weight=_torch().ones(1, 1, 2, 2, dtype=_torch().float64),
        bias=None, stride=1, padding=0, dilation=1, groups=1, method="fast")),
    "convlab.autograd.Conv2d": lambda: (cl.autograd.Conv2d, dict(in_channels=1, out_channels=1, kernel_size=2, stride=1,
                                                                  padding=0, dilation=1, groups=1, bias=True,
                                                                  method="fast")),
    # viz and widgets
    "convlab.viz.animate_conv": lambda: (_viz().animate_conv, dict(x=R(4, 4), kernel_size=2, stride=1, padding=0,
                                                                    dilation=1, weight=R(2, 2), interval=100,
                                                                    figsize=(3, 3))),
    "convlab.viz.drawn_cells": lambda: (_viz().drawn_cells, dict(ax=_axes())),
    "convlab.viz.drawn_numbers": lambda: (_viz().drawn_numbers, dict(ax=_axes())),
    "convlab.viz.legend_labels": lambda: (_viz().legend_labels, dict(ax=_axes())),
    "convlab.viz.plot_history": lambda: (_viz().plot_history, dict(history={
        "epoch": [1, 2], "loss": [1.0, 0.5], "train_accuracy": [0.5, 0.6], "test_accuracy": [0.5, 0.6]})),
    "convlab.viz.show_backward": lambda: (_viz().show_backward, dict(
        x=R(4, 4), weight=R(2, 2), grad_out=R(3, 3), target="dx", cell=(0, 0), view="scatter", stride=1, padding=0,
        dilation=1, ax=_axes(), annotate=True, legend=True)),
    "convlab.viz.show_conv_matrix": lambda: (_viz().show_conv_matrix, dict(
        weight=R(2, 2), input_shape=(3, 3), stride=1, padding=0, dilation=1, ax=_axes(), annotate=True)),
    "convlab.viz.show_filters": lambda: (_viz().show_filters, dict(image=R(6, 6), kernels={"a": R(3, 3)},
                                                                    cmap="gray")),
    "convlab.viz.describe": lambda: (_viz().describe, dict(target=_axes(), text="A 3x3 grid.", before=False)),
    "convlab.viz.description": lambda: (_viz().description, dict(target=_axes())),
    "convlab.viz.show_grid": lambda: (_viz().show_grid, dict(array=R(3, 3), ax=_axes(), annotate=True, title="t",
                                                              legend=True)),
    "convlab.viz.show_im2row": lambda: (_viz().show_im2row, dict(x=R(4, 4), kernel_size=2, stride=1, padding=0,
                                                                  dilation=1, ax=_axes(), annotate=True)),
    "convlab.viz.show_kernel_flip": lambda: (_viz().show_kernel_flip, dict(weight=R(3, 3), annotate=True)),
    "convlab.viz.show_receptive_field": lambda: (_viz().show_receptive_field, dict(
        n_layers=2, kernel_size=3, stride=1, dilation=1, position=2, input_size=9, ax=_axes())),
    "convlab.viz.show_sliding_window": lambda: (_viz().show_sliding_window, dict(
        x=R(4, 4), kernel_size=2, i=0, j=1, stride=1, padding=0, dilation=1, weight=R(2, 2), ax=_axes(),
        annotate=True, legend=True, title="t")),
    "convlab.viz.show_transposed_conv": lambda: (_viz().show_transposed_conv, dict(
        x=R(2, 2), weight=R(2, 2), stride=2, padding=0, output_padding=1, dilation=1, ax=_axes(), annotate=True)),
    "convlab.viz.show_zero_insertion": lambda: (_viz().show_zero_insertion, dict(grad=R(2, 2), stride=2, ax=_axes(),
                                                                                  annotate=True)),
    "convlab.widgets.conv_explorer": lambda: (_widgets().conv_explorer, dict(size=5, kernel_size=3, stride=1,
                                                                              padding=0, dilation=1)),
    "convlab.widgets.backward_explorer": lambda: (_widgets().backward_explorer, dict(
        size=5, kernel_size=3, stride=1, padding=0, dilation=1, target="dx", view="scatter")),
    "convlab.widgets.filter_explorer": lambda: (_widgets().filter_explorer, dict(image=R(8, 8))),
    "convlab.viz.lit_cells": lambda: (_viz().lit_cells, dict(ax=_axes())),
    "convlab.widgets.ConvExplorer.snapshot": lambda: (_widgets().ConvExplorer().snapshot, dict(cell=(0, 0))),
    "convlab.widgets.BackwardExplorer": lambda: (_widgets().BackwardExplorer, dict(output_padding=None)),
    "convlab.widgets.BackwardExplorer.snapshot": lambda: (_widgets().BackwardExplorer().snapshot, dict(cell=(0, 0))),
    "convlab.widgets.FilterExplorer": lambda: (_widgets().FilterExplorer, dict(image=R(8, 8))),
    # bench
    "convlab.bench.run": lambda: (cl.bench.run, dict(cases=[cl.bench.CASES[0].name], methods=["loops"], repeats=1,
                                                      quick=True, threads=1, progress=False)),
    "convlab.bench.format_table": lambda: (cl.bench.format_table, dict(rows=[])),
    "convlab.bench.machine_line": lambda: (cl.bench.machine_line, dict(blas="openblas", threads_blas=1,
                                                                        threads_torch=1)),
    "convlab.autograd.Conv2d.forward": lambda: (cl.autograd.Conv2d(1, 1, 2).forward, dict(
        x=_torch().ones(1, 1, 4, 4))),
    "convlab.autograd.validation_network": lambda: (cl.autograd.validation_network, dict(
        x=R(1, 1, 4, 4), weight=R(1, 1, 2, 2), bias=None, method="im2row", negative_slope=0.01)),
}

# Parameters a baseline leaves at their default on purpose (e.g. torch's own device handling).
SKIPPED_PARAMETERS = {("convlab.autograd.Conv2d", "device"), ("convlab.autograd.Conv2d", "dtype"),
                      ("convlab.autograd.validation_network", "conv_kwargs")}


# ------------------------------------------------------------------ the walk
def _public_callables():
    """``[(qualified name, module name, signature)]`` for every public function, class and method."""
    found = []
    for module_name in WALKED:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            qualified = f"{module_name}.{name}"
            if not callable(obj) or qualified in RECORDS:
                continue
            if inspect.isclass(obj):
                found.append((qualified, module_name, inspect.signature(obj)))
                for method_name, method in vars(obj).items():
                    if not method_name.startswith("_") and inspect.isfunction(method):
                        found.append((f"{qualified}.{method_name}", module_name,
                                      inspect.signature(method)))
            else:
                found.append((qualified, module_name, inspect.signature(obj)))
    return found


def _cases():
    cases = []
    for qualified, _module_name, signature in _public_callables():
        for p in signature.parameters.values():
            if (p.name in ("self", "cls") or p.kind is p.VAR_KEYWORD
                    or (qualified, p.name) in SKIPPED_PARAMETERS):
                continue  # **options are reached through the functions that name them
            cases.append(pytest.param(qualified, p.name, p.default, id=f"{qualified}({p.name})"))
    return cases


CASES = _cases()


def _category(qualified, parameter, default):
    if (qualified, parameter) in CATEGORY_OVERRIDES:
        return CATEGORY_OVERRIDES[(qualified, parameter)]
    if isinstance(default, bool):
        return "bool"
    category = CATEGORY_OF.get(parameter)
    if category is None:
        pytest.fail(f"{qualified}: parameter {parameter!r} has no category in CATEGORY_OF: "
                    f"say which bad values it must refuse")
    return category


def _bad_values(qualified, parameter, default):
    values = BAD[_category(qualified, parameter, default)]
    if default is None:  # None is this parameter's documented "not given"
        values = [v for v in values if v is not None]
    return values


def _baseline(qualified):
    if qualified not in BASELINES:
        pytest.fail(f"{qualified} has no valid baseline call in BASELINES: add one so that its "
                    f"arguments are checked")
    return BASELINES[qualified]()


def _frozen_arrays(kwargs):
    arrays = []
    for value in kwargs.values():
        if isinstance(value, np.ndarray):
            arrays.append(value)
        elif isinstance(value, (list, tuple)):
            arrays += [a for a in value if isinstance(a, np.ndarray)]
    for a in arrays:
        a.flags.writeable = False
    return [(a, a.copy()) for a in arrays]


def _try_bad(qualified, parameter, bad):
    """Call the baseline with ``parameter=bad``; return a failure description or None."""
    function, kwargs = _baseline(qualified)
    kwargs = dict(kwargs, **{parameter: bad})
    frozen = _frozen_arrays(kwargs)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        function(**kwargs)
        outcome = f"{parameter}={bad!r}: accepted"
    except (ValueError, TypeError) as error:
        message = str(error)
        outcome = None if parameter in message else f"{parameter}={bad!r}: message does not name it: {message}"
    except Exception as error:  # noqa: BLE001 - any other error is a failure to report
        outcome = f"{parameter}={bad!r}: raised {type(error).__name__}: {error}"
    finally:
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        _close_figures()
    label = f"{qualified}({parameter}={bad!r})"
    STATS["calls"] += 1
    STATS["worst_seconds"] = max(STATS["worst_seconds"], (seconds, label))
    STATS["worst_bytes"] = max(STATS["worst_bytes"], (peak, label))
    if seconds > SECONDS_PER_CALL:
        outcome = (outcome or "") + f" [took {seconds:.1f} s]"
    for array, original in frozen:
        if not np.array_equal(array, original, equal_nan=array.dtype.kind in "fc"):
            outcome = (outcome or "") + " [modified an input]"
    return outcome


@pytest.mark.parametrize("qualified, parameter, default", CASES)
def test_every_bad_argument_is_refused_by_name(qualified, parameter, default):
    failures = []
    for bad in _bad_values(qualified, parameter, default):
        failure = _try_bad(qualified, parameter, bad)
        if failure is not None:
            failures.append(failure)
    assert not failures, "\n".join(failures)


def test_the_walk_covers_every_public_callable():
    walked = {c.values[0] for c in CASES}
    names = {q for q, _, _ in _public_callables()}
    assert {"convlab.conv2d", "convlab.nn.Conv2d.forward", "convlab.filters.sobel",
            "convlab.set_memory_limit"} <= walked
    missing = sorted(n for n in names if n in walked and n not in BASELINES)
    assert not missing, f"public callables without a baseline call: {missing}"


# ------------------------------------------------------------------ hypothesis
def _random_bad(category):
    """A strategy of values that ``category`` must refuse (beyond the fixed table)."""
    text = st.text(max_size=5).filter(lambda s: s not in ("valid", "same", "full", "circular"))
    floats = st.floats(allow_nan=True, allow_infinity=True)
    strategies = {
        "int_pos": st.one_of(st.integers(max_value=0), floats, text, st.booleans()),
        "int_pair": st.one_of(st.integers(max_value=0), floats, text, st.booleans(),
                              st.tuples(st.integers(max_value=0), st.integers(min_value=1, max_value=3))),
        "int_nonneg": st.one_of(st.integers(max_value=-1), floats, text, st.booleans()),
        "padding": st.one_of(st.integers(max_value=-1), floats, text, st.booleans(),
                             st.lists(st.integers(0, 3), min_size=3, max_size=5)),
        "pos_float": st.one_of(st.floats(max_value=0), st.just(float("nan")), st.just(float("inf")), text,
                               st.booleans()),
        "unit": st.one_of(st.floats(max_value=-1e-9), st.floats(min_value=1.0), text, st.booleans()),
        "bool": st.one_of(st.integers(), floats, text),
        "array": st.sampled_from(["U3", "O", "m8[s]", "M8[D]", "c16", "S2"]).map(
            lambda dtype: np.zeros((2, 3), dtype=dtype)),
        "shape": st.one_of(st.integers(), text, st.lists(st.integers(max_value=0), min_size=2, max_size=3)
                           .map(tuple)),
        "method": text, "choice": text,
    }
    return strategies.get(category, st.sampled_from(BAD[category]))


OWN_CASES = [c for c in CASES if not c.marks]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_bad_arguments_are_refused_by_name(data):
    qualified, parameter, default = data.draw(st.sampled_from(OWN_CASES).map(lambda c: c.values))
    bad = data.draw(_random_bad(_category(qualified, parameter, default)))
    if bad is None and default is None:
        return
    failure = _try_bad(qualified, parameter, bad)
    assert failure is None, failure


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    seconds, slow = STATS["worst_seconds"]
    peak, big = STATS["worst_bytes"]
    print(f"\n{STATS['calls']} bad calls; slowest {seconds:.3f} s ({slow}); "
          f"largest peak {peak / 1024:.1f} KiB ({big})")


# ------------------------------------------------------------------ one home for validators
# The one function named check_* outside convlab._checks (and the exercise checkers):
# gradcheck.check_gradients is gradcheck's public API (it compares gradients), not an
# argument check; the course tools check files, not arguments: solution markers and notebook
# cells (course.student) and a course's destination folder (course.nbgrader_course).
# Any other validator belongs in convlab._checks.
VALIDATORS_ELSEWHERE = {"convlab/gradcheck.py:check_gradients",
                        "convlab/course/student.py:check_solution_blocks",
                        "convlab/course/student.py:check_notebook",
                        "convlab/course/nbgrader_course.py:_check_destination"}


def test_validators_live_in_the_validator_package():
    import pathlib
    import re

    root = pathlib.Path(cl.__file__).parent
    found = set()
    for path in root.rglob("*.py"):
        relative = path.relative_to(root.parent).as_posix()
        if relative.startswith(("convlab/_checks/", "convlab/exercises/")):
            continue  # the validator itself, and the exercise checkers (check_<exercise>)
        for name in re.findall(r"^\s*def (_?check_\w+)\(", path.read_text(), flags=re.M):
            found.add(f"{relative}:{name}")
    assert found <= VALIDATORS_ELSEWHERE, f"validators outside convlab._checks: {sorted(found - VALIDATORS_ELSEWHERE)}"
