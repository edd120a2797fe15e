"""When the FFT pays: multiplication counts of direct and FFT convolution.

`direct_cost` counts the products of the sliding window; `fft_cost` those of
`convlab.spectral.fft_conv2d` under a textbook FFT cost model. Both take
shapes only, so a lesson can tabulate them for any layer without arrays.
"""

import math

from ._checks import check_bool, check_channels, check_shape

__all__ = ["direct_cost", "fft_cost"]


def _cost_shapes(input_shape, weight_shape):
    """Normalise to ((N, C_in, H, W), (C_out, C_in, kH, kW))."""
    given_input = check_shape(input_shape, "input_shape", (2, 3, 4), "(H, W), (C_in, H, W) or (N, C_in, H, W)")
    given_weight = check_shape(weight_shape, "weight_shape", (2, 4), "(kH, kW) or (C_out, C_in, kH, kW)")
    inp = (1,) * (4 - len(given_input)) + given_input
    wgt = (1,) * (4 - len(given_weight)) + given_weight
    check_channels(wgt[1], inp[1], given_input, given_weight, x_name="input_shape",
                   weight_name="weight_shape")
    return inp, wgt


def direct_cost(input_shape, weight_shape):
    """Real multiplications of a direct "same"-size, stride-1 convolution.

    ``N * C_out * H * W * C_in * kH * kW``: one product per kernel tap per output.

    Examples
    --------
    >>> direct_cost((256, 256), (3, 3))
    589824
    """
    (n, c_in, height, width), (c_out, _, kh, kw) = _cost_shapes(input_shape, weight_shape)
    return n * c_out * height * width * c_in * kh * kw


def fft_cost(input_shape, weight_shape, kernel_transforms=True):
    """Real multiplications of `fft_conv2d`, under a textbook cost model.

    A complex FFT of ``P = H W`` points takes about ``(P / 2) log2 P``
    complex multiplications, i.e. ``2 P log2 P`` real ones; a complex
    product takes 4. The convolution needs ``N C_in`` forward transforms of
    the input, ``C_out C_in`` of the kernels (skip them with
    ``kernel_transforms=False`` when the kernels are fixed and transformed
    once), ``N C_out C_in P`` complex products and ``N C_out`` inverse
    transforms. The kernel size does not appear.

    Examples
    --------
    >>> fft_cost((256, 256), (3, 3)) // (256 * 256)  # per pixel: 3 transforms x 32 + 4
    100
    """
    (n, c_in, height, width), (c_out, _, _, _) = _cost_shapes(input_shape, weight_shape)
    kernel_transforms = check_bool(kernel_transforms, "kernel_transforms")
    points = height * width
    transform = 2 * points * math.log2(points) if points > 1 else 0
    transforms = n * c_in + n * c_out + (c_out * c_in if kernel_transforms else 0)
    return int(round(transforms * transform + 4 * n * c_out * c_in * points))
