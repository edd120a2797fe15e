"""convlab's numpy convolution inside PyTorch's autograd.

``Conv2dFunction`` is a ``torch.autograd.Function`` whose ``forward`` calls
``convlab.conv2d`` and whose ``backward`` calls ``convlab.conv2d_backward``,
both on numpy copies of the tensors.  ``conv2d`` is the functional form,
``Conv2d`` the module (its parameters copy to and from ``torch.nn.Conv2d``).
With it a student's own convolution trains inside any torch model, and
``torch.autograd.gradcheck`` verifies the backward against finite differences.

torch is imported here only; ``import convlab`` does not load this module.
"""

import numpy as np
import torch
from torch.autograd.function import once_differentiable

from ._checks import as_array, check_bool, check_int, check_number, check_padding, check_tensor, int_tuple
from .conv import conv2d as _np_conv2d
from .conv import conv2d_backward as _np_conv2d_backward
from .conv.methods import resolve_method

__all__ = ["Conv2dFunction", "conv2d", "Conv2d", "validation_network"]


def _numpy(tensor):
    return tensor.detach().cpu().numpy()


def _tensor(array, like):
    return torch.from_numpy(np.ascontiguousarray(array)).to(device=like.device)


class Conv2dFunction(torch.autograd.Function):
    """``torch.autograd.Function`` running convlab's numpy forward and backward.

    ``Conv2dFunction.apply(x, weight, bias, stride, padding, dilation, groups, method)``;
    prefer :func:`conv2d`, which checks its arguments first.

    Notes
    -----
    ``forward`` saves ``x`` and ``weight``; ``backward`` receives
    ``grad_out = ∂L/∂y`` and returns ``(∂L/∂x, ∂L/∂weight, ∂L/∂bias)`` from
    ``convlab.conv2d_backward`` (plus ``None`` for the non-tensor arguments).
    The backward is not itself differentiable (no double backward).

    See Also
    --------
    conv2d : the checked functional form; Conv2d : the module.

    Examples
    --------
    >>> x = torch.randn(1, 2, 5, 5, dtype=torch.float64, requires_grad=True)
    >>> w = torch.randn(3, 2, 3, 3, dtype=torch.float64, requires_grad=True)
    >>> y = Conv2dFunction.apply(x, w, None, 2, 1, 1, 1, "loops")  # stride 2, padding 1
    >>> y.shape, torch.allclose(y, torch.nn.functional.conv2d(x, w, stride=2, padding=1))
    (torch.Size([1, 3, 3, 3]), True)
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups, method):
        forward_method, backward_method = resolve_method(method)
        y = _np_conv2d(_numpy(x), _numpy(weight), None if bias is None else _numpy(bias),
                       stride=stride, padding=padding, dilation=dilation, groups=groups,
                       method=forward_method)
        ctx.save_for_backward(x, weight)
        ctx.conf = dict(stride=stride, padding=padding, dilation=dilation, groups=groups,
                        method=backward_method)
        ctx.has_bias = bias is not None
        return _tensor(y, x)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        dx, dw, db = _np_conv2d_backward(_numpy(grad_out), _numpy(x), _numpy(weight), **ctx.conf)
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        return (_tensor(dx, x) if need_x else None,
                _tensor(dw, weight) if need_w else None,
                _tensor(db, weight) if ctx.has_bias and need_b else None,
                None, None, None, None, None)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, method="fast"):
    """``torch.nn.functional.conv2d`` computed by convlab, differentiable.

    Parameters
    ----------
    x : torch.Tensor, shape (N, C_in, H, W) or (C_in, H, W)
    weight : torch.Tensor, shape (C_out, C_in // groups, kH, kW)
    bias : torch.Tensor, shape (C_out,), optional
    stride, padding, dilation, groups
        As in ``convlab.conv2d``.
    method : str or (str, str), default "fast"
        A convlab method for forward and backward, or a ``(forward, backward)`` pair
        such as ``("matrix", "flip")``.

    Returns
    -------
    torch.Tensor
        Same values as ``torch.nn.functional.conv2d``; gradients flow back
        through ``convlab.conv2d_backward``.

    Raises
    ------
    TypeError
        If ``x``, ``weight`` or ``bias`` is not a floating tensor.
    ValueError
        For shapes or arguments ``convlab.conv2d`` rejects, or an unknown method.

    Examples
    --------
    >>> x = torch.ones(1, 1, 3, 3, dtype=torch.float64, requires_grad=True)
    >>> w = torch.ones(1, 1, 2, 2, dtype=torch.float64, requires_grad=True)
    >>> y = conv2d(x, w, method="im2row")
    >>> y.sum().backward()
    >>> y.detach().numpy()[0, 0], x.grad[0, 0]
    (array([[4., 4.],
           [4., 4.]]), tensor([[1., 2., 1.],
            [2., 4., 2.],
            [1., 2., 1.]], dtype=torch.float64))
    """
    check_tensor(x, "x")
    check_tensor(weight, "weight")
    check_tensor(bias, "bias", optional=True)
    resolve_method(method)
    return Conv2dFunction.apply(x, weight, bias, stride, padding, dilation, groups, method)


class Conv2d(torch.nn.Module):
    """A ``torch.nn.Module`` like ``torch.nn.Conv2d`` that runs convlab's convolution.

    Parameters
    ----------
    in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias
        As in ``torch.nn.Conv2d`` (zero padding only).
    method : str or (str, str), default "fast"
        The convlab method(s).
    device, dtype
        Passed to the parameters.

    Notes
    -----
    Parameters are initialised by ``torch.nn.Conv2d`` itself, so
    ``torch.manual_seed`` gives the same start as the built-in layer.

    Examples
    --------
    >>> ref = torch.nn.Conv2d(2, 3, 3, padding=1).double()
    >>> mine = Conv2d.from_torch(ref, method="im2row")
    >>> x = torch.randn(1, 2, 5, 5, dtype=torch.float64)
    >>> torch.allclose(mine(x), ref(x))
    True
    >>> torch.equal(mine.to_torch().weight, ref.weight)
    True
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, method="fast", device=None, dtype=None):
        super().__init__()
        resolve_method(method)
        for value, name in ((in_channels, "in_channels"), (out_channels, "out_channels"), (groups, "groups")):
            check_int(value, name, 1)
        for value, name in ((kernel_size, "kernel_size"), (stride, "stride"), (dilation, "dilation")):
            int_tuple(value, name, 2)
        check_padding(padding, modes=("valid", "same"))
        check_bool(bias, "bias")
        # torch validates the configuration and initialises the parameters.
        ref = torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride,
                              padding=padding, dilation=dilation, groups=groups, bias=bias,
                              device=device, dtype=dtype)
        self._configure_from(ref, method)
        self.weight = torch.nn.Parameter(ref.weight.detach().clone())
        self.bias = None if ref.bias is None else torch.nn.Parameter(ref.bias.detach().clone())

    def _configure_from(self, ref, method):
        self.in_channels, self.out_channels = ref.in_channels, ref.out_channels
        self.kernel_size, self.stride = tuple(ref.kernel_size), tuple(ref.stride)
        self.padding = ref.padding if isinstance(ref.padding, str) else tuple(ref.padding)
        self.dilation, self.groups = tuple(ref.dilation), ref.groups
        self.method = method

    def forward(self, x):
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                      self.groups, self.method)

    @classmethod
    def from_torch(cls, module, method="fast"):
        """A convlab ``Conv2d`` with ``module``'s configuration and a copy of its parameters."""
        if not isinstance(module, torch.nn.Conv2d):
            raise TypeError(f"module must be a torch.nn.Conv2d; got {type(module).__name__}")
        if module.padding_mode != "zeros":
            raise ValueError(f"module.padding_mode must be 'zeros' (convlab pads with zeros); "
                             f"got {module.padding_mode!r}")
        resolve_method(method)
        new = cls.__new__(cls)
        torch.nn.Module.__init__(new)
        new._configure_from(module, method)
        new.weight = torch.nn.Parameter(module.weight.detach().clone())
        new.bias = None if module.bias is None else torch.nn.Parameter(module.bias.detach().clone())
        return new

    def to_torch(self):
        """A ``torch.nn.Conv2d`` with this configuration and a copy of the parameters."""
        ref = torch.nn.Conv2d(self.in_channels, self.out_channels, self.kernel_size,
                              stride=self.stride, padding=self.padding, dilation=self.dilation,
                              groups=self.groups, bias=self.bias is not None,
                              device=self.weight.device, dtype=self.weight.dtype)
        with torch.no_grad():
            ref.weight.copy_(self.weight)
            if self.bias is not None:
                ref.bias.copy_(self.bias)
        return ref

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}, "
                f"groups={self.groups}, bias={self.bias is not None}, method={self.method!r}")


def validation_network(x, weight, bias=None, method="im2row", negative_slope=0.01, **conv_kwargs):
    """Conv2d → LeakyReLU → mean, with convlab's convolution and with PyTorch's.

    Runs the same tiny network twice — once through :func:`conv2d` (convlab's
    numpy forward and backward) and once through ``torch.nn.functional.conv2d``
    — and returns both outputs and gradients.

    Parameters
    ----------
    x, weight, bias : array_like
        ``(N, C_in, H, W)``, ``(C_out, C_in // groups, kH, kW)``, ``(C_out,)`` or None.
    method : str or (str, str), default "im2row"
        ``"im2row"`` is unfold → matmul → fold, ``"loops"`` the explicit sums.
    negative_slope : float, default 0.01
    **conv_kwargs
        ``stride``, ``padding``, ``dilation``, ``groups``.

    Returns
    -------
    dict
        ``{"convlab": {...}, "torch": {...}, "max_abs_diff": {...}}`` where each
        inner dict holds ``"output"`` (a float), ``"dx"``, ``"dw"`` and ``"db"``
        (numpy arrays; ``db`` None without bias).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> r = validation_network(rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((4, 3, 3, 3)),
    ...                        rng.standard_normal(4), method="loops", stride=2, padding=1)
    >>> all(d < 1e-12 for d in r["max_abs_diff"].values())
    True
    """
    x, weight = as_array(x, "x").astype(np.float64), as_array(weight, "weight").astype(np.float64)
    bias = None if bias is None else as_array(bias, "bias").astype(np.float64)
    negative_slope = check_number(negative_slope, "negative_slope")
    resolve_method(method)

    def run(conv):
        xt = torch.tensor(x, requires_grad=True)
        wt = torch.tensor(weight, requires_grad=True)
        bt = None if bias is None else torch.tensor(bias, requires_grad=True)
        out = torch.nn.functional.leaky_relu(conv(xt, wt, bt), negative_slope).mean()
        out.backward()
        return {"output": out.item(), "dx": xt.grad.numpy(), "dw": wt.grad.numpy(),
                "db": None if bt is None else bt.grad.numpy()}

    mine = run(lambda xt, wt, bt: conv2d(xt, wt, bt, method=method, **conv_kwargs))
    theirs = run(lambda xt, wt, bt: torch.nn.functional.conv2d(xt, wt, bt, **conv_kwargs))
    diff = {"output": abs(mine["output"] - theirs["output"])}
    for key in ("dx", "dw", "db"):
        if mine[key] is not None:
            diff[key] = float(np.max(np.abs(mine[key] - theirs[key])))
    return {"convlab": mine, "torch": theirs, "max_abs_diff": diff}
