"""Checkers for lesson 13 (FFT, circulant matrices, Winograd): a circular correlation
through the FFT, the circulant matrix, and Winograd's F(2, 3) by hand.

A circular correlation is a valid correlation of the image padded by wrapping
around (reference :func:`convlab.correlate2d`). ``winograd_f23(d, g)`` returns the
two outputs ``y = A^T [(G g) * (B^T d)]`` of a 3-tap correlation of four inputs
(reference :func:`convlab.conv1d`); its known mistakes are Winograd's own: a
transform transposed, the kernel transform's halves forgotten, a sign lost in
``A^T``, or the kernel flipped.
"""

import numpy as np

from ...conv import conv1d, correlate2d
from ...conv.winograd import transform_matrices
from ..grading.definition import exercise
from ..grading.engine import case
from ..grading.misconceptions import MESSAGES
from ..grading.questions import multiple_choice, predict_value
from .common import NO_SHORTCUT, ints


def _circular(image, kernel):
    wrapped = np.pad(image, ((0, kernel.shape[0] - 1), (0, kernel.shape[1] - 1)), mode="wrap")
    return correlate2d(wrapped, kernel)


def _circular_convolution(image, kernel):
    f = np.fft
    return f.ifft2(f.fft2(image) * f.fft2(kernel, s=image.shape)).real


@exercise(**NO_SHORTCUT, reference=_circular, mistakes=[
    ("kernel_flipped", _circular_convolution),
    ("linear_not_circular", lambda image, kernel: correlate2d(
        image, kernel, padding=((0, kernel.shape[0] - 1), (0, kernel.shape[1] - 1)))),
])
def check_circular_correlate_fft():
    """Check ``circular_correlate_fft(image, kernel)``: circular cross-correlation via the 2-D FFT.

    ``out[i, j] = sum_{m, n} image[(i + m) % H, (j + n) % W] kernel[m, n]``,
    shape (H, W), real (``kernel`` no larger than ``image``).
    Reference: :func:`convlab.correlate2d` on the image padded by wrapping.

    Examples
    --------
    >>> fft = np.fft
    >>> r = check_circular_correlate_fft(lambda image, kernel: fft.ifft2(
    ...     fft.fft2(image) * np.conj(fft.fft2(kernel, s=image.shape))).real)
    circular_correlate_fft: passed 5 cases.
    """
    rng = np.random.default_rng(111)
    return [case("1x1 kernel", image=ints(rng, 2, 3), kernel=np.array([[2.0]])),
            case("kernel as large as the image", image=ints(rng, 2, 2), kernel=ints(rng, 2, 2)),
            case("wrap-around at the border", image=ints(rng, 3, 3), kernel=ints(rng, 2, 2)),
            case("non-square", image=ints(rng, 4, 6), kernel=ints(rng, 3, 2)),
            case("larger image", image=ints(rng, 8, 8), kernel=ints(rng, 3, 3))]


def _circulant(w, n):
    return np.stack([_circular(np.eye(n)[j][None], w[None])[0] for j in range(n)], axis=1)


@exercise(**NO_SHORTCUT, reference=_circulant, mistakes=[
    ("matrix_transposed", lambda w, n: _circulant(w, n).T),
    ("kernel_flipped", lambda w, n: _circulant(w[::-1], n)),
])
def check_circulant_matrix():
    """Check ``circulant_matrix(w, n)``: the (n, n) matrix of 1-D circular correlation with ``w``.

    ``(C @ p)[i] = sum_u p[(i + u) % n] w[u]``; every row is the previous one
    shifted right by one (wrapping). Reference: columns from
    :func:`convlab.correlate2d` on wrapped unit vectors.

    Examples
    --------
    >>> def circulant_matrix(w, n):
    ...     first_row = np.zeros(n)
    ...     first_row[:len(w)] = w
    ...     return np.array([np.roll(first_row, i) for i in range(n)])
    >>> r = check_circulant_matrix(circulant_matrix)
    circulant_matrix: passed 5 cases.
    """
    return [case("kernel of length 1", w=np.array([2.0]), n=3),
            case("n equal to the kernel length", w=np.array([1.0, 2.0]), n=2),
            case("short kernel", w=np.array([1.0, 2.0, 3.0]), n=4),
            case("kernel [1, -1]", w=np.array([1.0, -1.0]), n=5),
            case("longer", w=np.array([3.0, 0.0, -1.0, 2.0]), n=6)]


WINOGRAD_MESSAGES = {
    "winograd_b_not_transposed": "you applied B to the input tile instead of B^T: the input "
                                 "transform is m = B^T d, whose rows are (d0 - d2), (d1 + d2), "
                                 "(d2 - d1), (d1 - d3).",
    "winograd_kernel_not_halved": "the kernel transform lost its halves: the middle rows of G "
                                  "are (g0 + g1 + g2) / 2 and (g0 - g1 + g2) / 2, and without "
                                  "the / 2 both outputs come out wrong.",
    "winograd_output_sign": "a sign in the output transform: y1 = m1 - m2 - m3 (the second row "
                            "of A^T is 0, 1, -1, -1); check it by expanding y1 by hand.",
    "winograd_kernel_flipped": "your kernel is flipped: this is a true convolution. Deep "
                               "learning's correlation gives y0 = d0 g0 + d1 g1 + d2 g2.",
}
MESSAGES.update(WINOGRAD_MESSAGES)  # the checkers name mistakes through this one table


def _reference(d, g):
    return conv1d(np.asarray(d, float)[None], np.asarray(g, float)[None, None])[0]


def _with(B_T=None, G=None, A_T=None, flip=False):
    """A Winograd F(2, 3) with some of its matrices replaced: a known wrong implementation."""
    right = transform_matrices(2)
    B_T, G, A_T = (right[i] if m is None else np.asarray(m, float)
                   for i, m in enumerate((B_T, G, A_T)))

    def wrong(d, g):
        g = np.asarray(g, float)[::-1] if flip else np.asarray(g, float)
        return A_T @ ((G @ g) * (B_T @ np.asarray(d, float)))

    return wrong


_B_T, _G, _A_T = transform_matrices(2)


@exercise(**NO_SHORTCUT, reference=_reference, mistakes=[
    ("winograd_b_not_transposed", _with(B_T=_B_T.T)),
    ("winograd_kernel_not_halved", _with(G=_G * [[1], [2], [2], [1]])),
    ("winograd_output_sign", _with(A_T=[[1, 1, 1, 0], [0, 1, -1, 1]])),
    ("winograd_output_sign", _with(A_T=[[1, 1, 1, 0], [0, 1, 1, -1]])),
    ("winograd_kernel_flipped", _with(flip=True)),
])
def check_winograd_f23():
    """Check ``winograd_f23(d, g)``: the two outputs of F(2, 3) from four products.

    ``d`` has 4 entries, ``g`` 3; the answer is an array of 2 numbers equal to
    ``[d0 g0 + d1 g1 + d2 g2, d1 g0 + d2 g1 + d3 g2]``.

    Examples
    --------
    >>> B_T, G, A_T = transform_matrices(2)
    >>> r = check_winograd_f23(lambda d, g: A_T @ ((G @ np.asarray(g)) * (B_T @ np.asarray(d))))
    winograd_f23: passed 6 cases.
    """
    rng = np.random.default_rng(111)
    return [
        case("the identity kernel [1, 0, 0]", d=np.array([1.0, 2.0, 3.0, 4.0]),
             g=np.array([1.0, 0.0, 0.0])),
        case("a worked example", d=np.array([1.0, 2.0, 3.0, 4.0]), g=np.array([2.0, -1.0, 3.0])),
        case("an asymmetric kernel", d=np.array([0.0, 1.0, 0.0, 0.0]), g=np.array([1.0, 2.0, 4.0])),
        case("a constant input", d=np.ones(4), g=np.array([1.0, -2.0, 0.5])),
        case("small random integers", d=rng.integers(-5, 6, 4).astype(float),
             g=rng.integers(-5, 6, 3).astype(float)),
        case("random reals", d=rng.standard_normal(4), g=rng.standard_normal(3)),
    ]


# ------------------------------------------------------------------ questions
predict_value(
    "winograd_tile_products", lesson="12",
    prompt="F(4x4, 3x3) computes a 4x4 block of outputs of one channel pair from a 6x6 input "
           "tile. How many multiplications does it take in the frequency domain?",
    correct=36,
    wrong={144: "that is the direct sum: 16 outputs x 9 taps. Winograd multiplies once per "
                "entry of the transformed 6x6 tile.",
           16: "that is the number of outputs; the products are one per frequency, and a "
               "6x6 tile has 36 of them.",
           6: "that is F(4, 3) in 1-D; nesting it in 2-D gives 6 x 6 products."},
    hint="one product per entry of (G g G^T) * (B^T d B).",
    why_right="36 products for 16 outputs: 4x fewer than the direct 144.")

multiple_choice(
    "winograd_float32", lesson="12",
    prompt="Why does F(4x4, 3x3) lose more float32 precision than F(2x2, 3x3)?",
    choices={"a": "It multiplies fewer numbers, so rounding errors do not cancel.",
             "b": "Its transforms hold larger constants (4, 5, 8, 1/24), so it adds and "
                  "subtracts numbers of very different sizes before the products.",
             "c": "It uses complex numbers, like the FFT.",
             "d": "It needs more tiles, and each tile adds its own error to the output."},
    correct="b",
    explain={"a": "fewer products is the gain, not the loss; the error comes from the "
                  "additions inside the transforms, where large terms cancel.",
             "c": "Winograd's transforms are real (integers and simple fractions); only the "
                  "FFT goes through complex numbers.",
             "d": "each output belongs to exactly one tile, and larger tiles mean fewer of "
                  "them; the error is inside each tile's transforms."},
    why_right="the points 0, +-1, +-2 give transform entries up to 8 and 1/24: cancellation "
              "in float32.")


# ------------------------------------------- F(3, 2): derived from the points 0, 1, -1, infinity
def _vandermonde(n):
    """Rows (1, t, ..., t^(n-1)) at t = 0, 1, -1 and (0, ..., 0, 1) at infinity: (4, n)."""
    rows = [[t ** p for p in range(n)] for t in (0.0, 1.0, -1.0)]
    return np.array(rows + [[0.0] * (n - 1) + [1.0]])


def _f32_with(kernel_halves=True, infinity_sign=1.0, flip=False):
    """F(3, 2) as y = V3^T [(V2 g) * (V4^-T d)], optionally with one known slip."""
    v4_inv_t = np.linalg.inv(_vandermonde(4)).T
    v2 = _vandermonde(2)
    if not kernel_halves:  # the 1/2 of V4^-T dropped instead of moved to the kernel side
        v4_inv_t = v4_inv_t * [[1], [2], [2], [1]]
    v4_inv_t = v4_inv_t * [[1], [1], [1], [infinity_sign]]

    def f32(d, g):
        g = np.asarray(g, float)[::-1] if flip else np.asarray(g, float)
        return _vandermonde(3).T @ ((v2 @ g) * (v4_inv_t @ np.asarray(d, float)))

    return f32


@exercise(**NO_SHORTCUT, reference=_reference, mistakes=[
    ("winograd_kernel_flipped", _f32_with(flip=True)),
    ("winograd_halves_dropped", _f32_with(kernel_halves=False)),
    ("winograd_infinity_row", _f32_with(infinity_sign=-1.0)),
])
def check_winograd_f32():
    """Check ``winograd_f32(d, g)``: the three outputs of F(3, 2) from four products.

    ``d`` has 4 entries, ``g`` 2; the answer is an array of 3 numbers equal to
    ``[d0 g0 + d1 g1, d1 g0 + d2 g1, d2 g0 + d3 g1]``.

    Examples
    --------
    >>> def winograd_f32(d, g):
    ...     m = np.array([d[0] - d[2], d[1] + d[2], d[2] - d[1], d[3] - d[1]]) * np.array(
    ...         [g[0], (g[0] + g[1]) / 2, (g[0] - g[1]) / 2, g[1]])
    ...     return np.array([m[0] + m[1] + m[2], m[1] - m[2], m[1] + m[2] + m[3]])
    >>> r = check_winograd_f32(winograd_f32)
    winograd_f32: passed 6 cases.
    """
    rng = np.random.default_rng(112)
    return [
        case("the identity kernel [1, 0]", d=np.array([1.0, 2.0, 3.0, 4.0]), g=np.array([1.0, 0.0])),
        case("the shift kernel [0, 1]", d=np.array([1.0, 2.0, 3.0, 4.0]), g=np.array([0.0, 1.0])),
        case("an asymmetric kernel", d=np.array([0.0, 1.0, 0.0, 2.0]), g=np.array([1.0, 3.0])),
        case("a constant input", d=np.ones(4), g=np.array([2.0, -1.0])),
        case("small random integers", d=rng.integers(-5, 6, 4).astype(float),
             g=rng.integers(-5, 6, 2).astype(float)),
        case("random reals", d=rng.standard_normal(4), g=rng.standard_normal(2)),
    ]
