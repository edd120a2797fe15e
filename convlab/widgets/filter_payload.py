"""What the filter explorer sends: the photograph, the result and the kernel, as PNGs and numbers.

The filtering itself is :mod:`convlab.filters`; this module only turns
arrays into PNG data URLs (grey for images in [0, 1], a diverging map centred
on zero for signed results) and writes the summary.
"""
import base64
import io

import numpy as np

__all__ = ["filter_payload", "png_data_url", "FILTER_NAMES"]

#: How each filter choice reads in a sentence.
FILTER_NAMES = {"sobel": "Sobel gradient magnitude \u221a(Gx\u00b2 + Gy\u00b2)",
                "sobel x": "Sobel x (horizontal change, Gx)",
                "sobel y": "Sobel y (vertical change, Gy)",
                "gaussian": "Gaussian blur"}


_RESULT_LABELS = {"sobel": "\u221a(Gx\u00b2 + Gy\u00b2): edges of any direction",
                  "sobel x": "image \u22c6 Sobel x (blue < 0 < red)",
                  "sobel y": "image \u22c6 Sobel y (blue < 0 < red)",
                  "gaussian": "image \u22c6 Gaussian, \u03c3 = {sigma:g}"}


def png_data_url(array, signed=False):
    """An (H, W) array as a ``data:image/png;base64,...`` URL.

    Unsigned data is scaled from its minimum to its maximum in grey; signed
    data maps ``-max|a|..max|a|`` through a diverging map (blue, white, red).

    Examples
    --------
    >>> png_data_url(np.eye(3))[:22]
    'data:image/png;base64,'
    """
    from matplotlib import colormaps
    from PIL import Image

    a = np.asarray(array, dtype=float)
    if signed:
        top = float(np.abs(a).max()) or 1.0
        rgba = colormaps["RdBu_r"]((a / top + 1) / 2)
        pixels = (255 * rgba[..., :3]).round().astype(np.uint8)
    else:
        lo, hi = float(a.min()), float(a.max())
        scaled = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
        pixels = (255 * scaled).round().astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _kernel_and_result(image, name, sigma, size):
    from .. import filters

    if name == "gaussian":
        return filters.gaussian_kernel(size, sigma), filters.gaussian_blur(image, sigma, size=size)
    if name == "sobel":
        return np.stack([filters.SOBEL_X, filters.SOBEL_Y]), filters.sobel(image)
    gx, gy = filters.sobel_gradients(image)
    if name == "sobel x":
        return filters.SOBEL_X[None], gx
    return filters.SOBEL_Y[None], gy


def filter_payload(image, name, sigma=1.0, kernel_size=5):
    """Everything the filter explorer draws for one filter.

    Examples
    --------
    >>> p = filter_payload(np.eye(8), "gaussian", 1.0, 5)
    >>> p["kernels"][0]["shape"], p["summary"].split(",")[0]
    ([5, 5], 'image 8\u00d78 \u2192 Gaussian blur')
    """
    kernel, result = _kernel_and_result(image, name, sigma, kernel_size)
    kernels = kernel[None] if kernel.ndim == 2 else kernel
    labels = {"sobel": ["Sobel x", "Sobel y"], "sobel x": ["Sobel x"], "sobel y": ["Sobel y"],
              "gaussian": [f"Gaussian \u03c3={sigma:g}"]}[name]
    signed = name in ("sobel x", "sobel y")
    h, w = image.shape
    size = f"{h}\u00d7{w}"
    if name == "gaussian":
        k = kernel_size
        detail = (f"\u03c3 = {sigma:g}, {k}\u00d7{k} kernel (separable: 2k = {2 * k} instead of "
                  f"k\u00b2 = {k * k} multiplications per pixel)")
    elif name == "sobel":
        detail = "3\u00d73 kernels Gx and Gy"
    else:
        detail = "a 3\u00d73 kernel, signed result (blue < 0 < red)"
    summary = f"image {size} \u2192 {FILTER_NAMES[name]}, {detail}, zero padding, output {size}"
    if name == "gaussian" and kernel_size < 6 * sigma + 1:
        summary += (f' <b class="convlab-warning">\u26a0 the {kernel_size}\u00d7{kernel_size} window '
                    f"is smaller than 6\u03c3 + 1 = {6 * sigma + 1:g}: it cuts the Gaussian's tails "
                    "(it acts closer to a box filter)</b>")
    return {
        "kind": "filter", "image_shape": [h, w],
        "image": png_data_url(image), "result": png_data_url(result, signed=signed),
        "result_range": [float(result.min()), float(result.max())], "signed": signed,
        "result_label": _RESULT_LABELS[name].format(sigma=sigma),
        "kernels": [{"label": label, "shape": list(kk.shape), "values": np.round(kk, 4).tolist(),
                     "min": float(kk.min()), "max": float(kk.max())}
                    for label, kk in zip(labels, kernels)],
        "summary": summary,
    }
