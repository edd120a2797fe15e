"""Learning a kernel: gradient descent recovers Sobel from a filtered photograph.

Given an image ``I`` and a target ``T = I ⋆ SOBEL_X``, fit a 3×3 kernel ``K``
by minimising ``L(K) = mean((I ⋆ K - T)²)``.  The gradient is exactly a
convolution layer's weight gradient,
``∂L/∂K = conv2d_backward(2 (I ⋆ K - T) / size, I, K).dw`` — a correlation
of the input with the output error — so this is the smallest possible
"training" of a convolution.  The problem is a linear least-squares fit, so
the optimum is unique (for a textured image) and equals the target kernel.
"""

from typing import NamedTuple

import numpy as np

from . import conv2d, conv2d_backward, im2row
from ._checks import check_array, check_bool, check_int, check_number, check_rng
from .filters import SOBEL_X
from .conv.methods import resolve_method

__all__ = ["learn_kernel", "LearnedKernel"]


class LearnedKernel(NamedTuple):
    """Result of :func:`learn_kernel`."""

    kernel: np.ndarray  # (kH, kW), the fitted kernel
    history: dict  # "loss", "error" (max |K - target|), "kernels" (steps + 1, kH, kW)
    lr: float  # the step size used


def learn_kernel(image=None, target_kernel=SOBEL_X, steps=500, lr=None, momentum=0.9, seed=0,
                 standardize=True, method="fast"):
    """Fit a kernel by gradient descent so ``image ⋆ kernel`` matches ``image ⋆ target_kernel``.

    Parameters
    ----------
    image : array_like, shape (H, W), optional
        Default: the greyscale photograph, downscaled 4× (``convlab.data.load_photo``).
    target_kernel : array_like, shape (kH, kW), default SOBEL_X
        Produces the target output; the fit only ever sees that output.
    steps : int, default 500
        Gradient-descent steps.
    lr : float, optional
        Step size; default ``1 / λ_max``, the inverse of the loss's largest
        curvature (from the 9×9 patch covariance) — the largest safe step.
    momentum : float, default 0.9
        Heavy-ball momentum; plain descent (0) needs ~10× more steps here.
    seed : int, default 0
        Seeds the random initial kernel (normal, std 0.1).
    standardize : bool, default True
        Shift and scale the image to zero mean and unit variance first; the
        mean brightness otherwise dominates the curvature and slows descent.
    method : str or (str, str), default "fast"
        The convlab convolution method.

    Returns
    -------
    LearnedKernel
        ``kernel`` (the fit), ``history`` with per-step ``"loss"`` and
        ``"error"`` (``max |kernel - target_kernel|``) and the ``"kernels"``
        visited (initial one first), and the ``lr`` used.

    Notes
    -----
    ``L(K) = mean((I ⋆ K - T)²)`` with "same" zero padding;
    ``∂L/∂K[m, n] = Σ_ij 2 (I ⋆ K - T)[i, j] / size · I_pad[i + m, j + n]``.

    Examples
    --------
    >>> fit = learn_kernel(steps=300)
    >>> fit.kernel.round(3) + 0.0  # + 0.0 turns -0. into 0.
    array([[ 1.,  0., -1.],
           [ 2.,  0., -2.],
           [ 1.,  0., -1.]])
    >>> bool(fit.history["error"][-1] < 1e-3)
    True
    """
    if image is None:
        from .data import load_photo

        image = load_photo(downscale=4)
    img = check_array(image, "image", 2, "(H, W)").astype(np.float64)
    target_kernel = check_array(target_kernel, "target_kernel", 2, "(kH, kW)").astype(np.float64)
    steps = check_int(steps, "steps", 1)
    seed = check_int(seed, "seed", 0)
    lr = None if lr is None else check_number(lr, "lr", 0, low_open=True)
    momentum = check_number(momentum, "momentum", 0, 1, high_open=True)
    standardize = check_bool(standardize, "standardize")
    fwd, bwd = resolve_method(method)
    if standardize:
        std = img.std()
        img = (img - img.mean()) / (std if std > 0 else 1.0)

    x = img[None, None]  # (1, 1, H, W)
    kshape = (1, 1) + target_kernel.shape
    target = conv2d(x, target_kernel.reshape(kshape), padding="same", method=fwd)
    if lr is None:
        # L(K) is quadratic with Hessian 2 PᵀP / size, P the patch matrix.
        patches = im2row(x, target_kernel.shape, padding="same")[0]
        hessian = 2 * patches.T @ patches / target.size
        lr = 1.0 / float(np.linalg.eigvalsh(hessian)[-1])

    kernel = check_rng(seed).normal(0.0, 0.1, kshape)
    velocity = np.zeros_like(kernel)
    history = {"loss": [], "error": [], "kernels": [kernel[0, 0].copy()]}
    for _ in range(steps):
        residual = conv2d(x, kernel, padding="same", method=fwd) - target
        history["loss"].append(float(np.mean(residual ** 2)))
        grad = conv2d_backward(2 * residual / residual.size, x, kernel, padding="same",
                               method=bwd).dw
        velocity = momentum * velocity + grad
        kernel = kernel - lr * velocity
        history["kernels"].append(kernel[0, 0].copy())
        history["error"].append(float(np.max(np.abs(kernel[0, 0] - target_kernel))))
    history["kernels"] = np.array(history["kernels"])
    return LearnedKernel(kernel[0, 0], history, float(lr))
