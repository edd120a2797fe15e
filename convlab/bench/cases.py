"""The layer shapes the benchmark times, and the calls it times on them.

A `Case` is one convolution layer (or the Sobel filter on one image). For each
case and method this module builds argument-free callables — forward,
backward, forward+backward — for convlab and for PyTorch, on the same float32
numbers, so the timing code knows nothing about convolutions.
"""

from dataclasses import dataclass

import numpy as np

import convlab as cl

#: Teaching formulations that only run where they finish in seconds (see `too_slow`).
SLOW_METHODS = ("loops", "matrix")
#: Largest loop count ``N * C_out * H_out * W_out`` the "loops" methods are given.
MAX_LOOP_OUTPUTS = 10_000
#: Largest dense convolution matrix (entries, all groups) the "matrix" method builds.
MAX_MATRIX_ENTRIES = 20_000_000


@dataclass(frozen=True)
class Case:
    """One benchmark layer: ``N`` images of ``C_in`` channels, ``size`` x ``size`` pixels."""

    name: str
    n: int
    c_in: int
    c_out: int
    size: int
    kernel: int
    stride: int = 1
    padding: int = 0
    groups: int = 1
    sobel: bool = False  # the Sobel edge magnitude of one image instead of a layer

    @property
    def out_size(self):
        return cl.conv_output_size(self.size, self.kernel, self.stride, self.padding)

    @property
    def flops(self):
        """Multiply-adds x 2 of the forward pass, counted for the direct (dense) kernel."""
        if self.sobel:  # two 3x3 kernels and the magnitude (2 squares, 1 add, 1 root)
            return self.size * self.size * (2 * 2 * 9 + 4)
        per_output = 2 * (self.c_in // self.groups) * self.kernel ** 2
        return self.n * self.c_out * self.out_size ** 2 * per_output

    def describe(self):
        if self.sobel:
            return f"Sobel magnitude, one {self.size}x{self.size} image"
        text = (f"N={self.n}, {self.c_in}->{self.c_out}, {self.size}x{self.size}, "
                f"k{self.kernel} s{self.stride} p{self.padding}")
        return text + (f" groups={self.groups}" if self.groups > 1 else "")


CASES = (
    Case("tiny", 2, 3, 8, 16, 3, padding=1),
    Case("small", 8, 3, 16, 32, 3, padding=1),
    Case("resnet", 16, 64, 64, 56, 3, padding=1),
    Case("strided", 16, 64, 128, 56, 3, stride=2, padding=1),
    Case("large_kernel", 4, 3, 32, 128, 7, stride=2, padding=3),
    Case("depthwise", 16, 64, 64, 56, 3, padding=1, groups=64),
    Case("sobel", 1, 1, 2, 512, 3, padding=1, sobel=True),
)
CASE_NAMES = tuple(case.name for case in CASES)


def methods_for(case):
    """The convlab methods timed on ``case``, in table order (PyTorch is added by the runner)."""
    if case.sobel:
        return ("filters.sobel", "fast")
    names = tuple(dict.fromkeys((*cl.FORWARD_METHODS, *cl.BACKWARD_METHODS)))
    return tuple(m for m in names if m != "fast") + ("fast",)  # the engineered method last


def applies(case, method):
    """False for a method that does not handle ``case``'s layer (winograd: 3x3 stride 1 only)."""
    if method.startswith("winograd"):
        return not case.sobel and case.kernel == 3 and case.stride == 1
    return True


def too_slow(case, method):
    """True when a slow teaching formulation would take more than a few seconds on ``case``."""
    if case.sobel or method not in SLOW_METHODS:
        return False
    if method == "loops":
        return case.n * case.c_out * case.out_size ** 2 > MAX_LOOP_OUTPUTS
    entries = case.c_out * case.out_size ** 2 * (case.c_in // case.groups) * case.size ** 2
    return entries > MAX_MATRIX_ENTRIES


def make_arrays(case, seed=0):
    """float32 input, weight, bias and output gradient for ``case``."""
    rng = np.random.default_rng(seed)
    if case.sobel:
        image = rng.random((case.size, case.size), dtype=np.float32)
        return {"x": image}
    x = rng.standard_normal((case.n, case.c_in, case.size, case.size), dtype=np.float32)
    weight = rng.standard_normal((case.c_out, case.c_in // case.groups, case.kernel, case.kernel),
                                 dtype=np.float32) / np.float32(case.kernel * np.sqrt(case.c_in))
    bias = rng.standard_normal(case.c_out, dtype=np.float32)
    grad_out = rng.standard_normal((case.n, case.c_out, case.out_size, case.out_size),
                                   dtype=np.float32)
    return {"x": x, "weight": weight, "bias": bias, "grad_out": grad_out}


def _sobel_weight():
    from convlab.filters import SOBEL_X, SOBEL_Y

    return np.stack([SOBEL_X, SOBEL_Y])[:, None].astype(np.float32)  # (2, 1, 3, 3)


def numpy_calls(case, method, arrays):
    """``{"forward": f, "backward": g, "fwd_bwd": h}`` for a convlab method (phases it has)."""
    if case.sobel:
        image = arrays["x"]
        if method == "filters.sobel":
            from convlab.filters import sobel

            return {"forward": lambda: sobel(image)}
        weight = _sobel_weight()
        return {"forward": lambda: np.hypot(*cl.conv2d(image[None], weight, padding=1,
                                                      method=method))}
    x, weight, bias, grad_out = arrays["x"], arrays["weight"], arrays["bias"], arrays["grad_out"]
    geometry = dict(stride=case.stride, padding=case.padding, groups=case.groups)
    calls = {}
    if method in cl.FORWARD_METHODS:
        calls["forward"] = lambda: cl.conv2d(x, weight, bias, method=method, **geometry)
    if method in cl.BACKWARD_METHODS:
        calls["backward"] = lambda: cl.conv2d_backward(grad_out, x, weight, method=method, **geometry)
    if method in cl.FORWARD_METHODS and method in cl.BACKWARD_METHODS:
        def fwd_bwd():
            y = cl.conv2d(x, weight, bias, method=method, **geometry)
            return y, cl.conv2d_backward(grad_out, x, weight, method=method, **geometry)
        calls["fwd_bwd"] = fwd_bwd
    return calls


def torch_calls(case, arrays):
    """The same phases in PyTorch: ``F.conv2d`` and ``aten.convolution_backward`` (what autograd runs)."""
    import torch
    import torch.nn.functional as F

    if case.sobel:
        image = torch.from_numpy(arrays["x"])[None, None]
        weight = torch.from_numpy(_sobel_weight())

        def sobel_torch():
            g = F.conv2d(image, weight, padding=1)[0]  # (2, H, W): the two responses
            return torch.sqrt(g[0] * g[0] + g[1] * g[1])
        return {"forward": sobel_torch}
    x, weight, bias, grad_out = (torch.from_numpy(arrays[k]) for k in ("x", "weight", "bias", "grad_out"))
    stride, padding = [case.stride] * 2, [case.padding] * 2

    def forward():
        return F.conv2d(x, weight, bias, stride, padding, 1, case.groups)

    def backward():
        return torch.ops.aten.convolution_backward(
            grad_out, x, weight, [case.c_out], stride, padding, [1, 1], False, [0, 0],
            case.groups, [True, True, True])

    def fwd_bwd():
        return forward(), backward()

    return {"forward": forward, "backward": backward, "fwd_bwd": fwd_bwd}


def first_output(result):
    """The forward output inside whatever a call returned, as numpy (for the error check)."""
    while isinstance(result, tuple):
        result = result[0]
    return result.numpy() if hasattr(result, "numpy") else np.asarray(result)
