"""convlab.spectral against independent references: index arithmetic with explicit
modulo, scipy.ndimage.correlate(mode="wrap"), torch's circular padding, numpy's FFT."""

import numpy as np
import pytest
import scipy.ndimage as ndimage

import convlab as cl
from convlab import spectral

KERNELS = [(1, 1), (1, 3), (2, 2), (3, 3), (3, 2), (4, 5), (5, 5)]


def brute_circular(x, w):
    """y[i, j] = sum_{m,n} x[(i + m - a) % H, (j + n - b) % W] w[m, n], one term at a time."""
    (height, width), (kh, kw) = x.shape, w.shape
    a, b = (kh - 1) // 2, (kw - 1) // 2
    y = np.zeros((height, width))
    for i in range(height):
        for j in range(width):
            for m in range(kh):
                for n in range(kw):
                    y[i, j] += x[(i + m - a) % height, (j + n - b) % width] * w[m, n]
    return y


def scipy_circular(x, w):
    """scipy anchors a size-k kernel at k // 2; origin shifts it to (k - 1) // 2."""
    origin = [(k - 1) // 2 - k // 2 for k in w.shape]
    return ndimage.correlate(x, w, mode="wrap", origin=origin)


@pytest.mark.parametrize("kernel_size", KERNELS)
def test_circular_conv2d_matches_brute_force_and_scipy(kernel_size):
    rng = np.random.default_rng(sum(kernel_size))
    x, w = rng.standard_normal((5, 7)), rng.standard_normal(kernel_size)
    got = spectral.circular_conv2d(x, w)
    np.testing.assert_allclose(got, brute_circular(x, w), atol=1e-12)
    np.testing.assert_allclose(got, scipy_circular(x, w), atol=1e-12)


def test_circular_conv2d_multichannel_batched_with_bias_matches_scipy():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 2))
    bias = rng.standard_normal(4)
    got = spectral.circular_conv2d(x, w, bias)
    assert got.shape == (2, 4, 6, 5)
    for n in range(2):
        for o in range(4):
            expected = bias[o] + sum(scipy_circular(x[n, c], w[o, c]) for c in range(3))
            np.testing.assert_allclose(got[n, o], expected, atol=1e-12)
    np.testing.assert_allclose(spectral.circular_conv2d(x[0], w, bias), got[0], atol=1e-12)


def test_circular_conv2d_matches_torch_circular_padding():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((2, 3, 5, 3))
    expected = torch.nn.functional.conv2d(
        torch.nn.functional.pad(torch.from_numpy(x), (1, 1, 2, 2), mode="circular"),
        torch.from_numpy(w)).numpy()
    np.testing.assert_allclose(spectral.circular_conv2d(x, w), expected, atol=1e-12)


def test_circular_equals_zero_padded_same_away_from_the_border():
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((1, 8, 9)), rng.standard_normal((1, 1, 3, 3))
    circular = spectral.circular_conv2d(x, w)
    zero = cl.conv2d(x, w, padding="same")
    np.testing.assert_allclose(circular[:, 1:-1, 1:-1], zero[:, 1:-1, 1:-1], atol=1e-12)
    assert not np.allclose(circular[:, 0], zero[:, 0])  # the wrapped border row differs


@pytest.mark.parametrize("kernel_size", KERNELS)
def test_fft_conv2d_equals_direct_circular(kernel_size):
    rng = np.random.default_rng(10 + sum(kernel_size))
    x, w = rng.standard_normal((2, 2, 6, 7)), rng.standard_normal((3, 2) + kernel_size)
    bias = rng.standard_normal(3)
    np.testing.assert_allclose(spectral.fft_conv2d(x, w, bias), spectral.circular_conv2d(x, w, bias),
                               atol=1e-12)
    np.testing.assert_allclose(spectral.fft_conv2d(x[0, 0], w[0, 0]), brute_circular(x[0, 0], w[0, 0]),
                               atol=1e-12)


@pytest.mark.parametrize("padding", [0, 1, (2, 0), ((0, 2), (1, 0)), "valid", "same", "full"])
@pytest.mark.parametrize("kernel_size", [(1, 1), (2, 3), (3, 3), (4, 2)])
def test_fft_conv2d_with_zero_padding_matches_torch(padding, kernel_size):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(60 + sum(kernel_size))
    x, w = rng.standard_normal((2, 2, 6, 5)), rng.standard_normal((3, 2) + kernel_size)
    bias = rng.standard_normal(3)
    pads = cl.shapes.resolve_padding(padding, kernel_size, (1, 1), (1, 1), (6, 5))
    (top, bottom), (left, right) = pads
    expected = torch.nn.functional.conv2d(
        torch.nn.functional.pad(torch.from_numpy(x), (left, right, top, bottom)),
        torch.from_numpy(w), torch.from_numpy(bias)).numpy()
    got = spectral.fft_conv2d(x, w, bias, padding=padding)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-12)
    np.testing.assert_allclose(spectral.fft_conv2d(x[0, 0], w[0, 0], padding=padding),
                               cl.conv2d(x[:1, :1], w[:1, :1], padding=padding)[0, 0], atol=1e-12)


def test_fft_conv2d_zero_padding_allows_a_kernel_larger_than_the_image():
    x, w = np.arange(4.0).reshape(2, 2), np.arange(9.0).reshape(3, 3)
    np.testing.assert_allclose(spectral.fft_conv2d(x, w, padding=1), cl.correlate2d(x, w, padding=1),
                               atol=1e-12)


def test_fft_conv2d_keeps_float32_and_integer_inputs_compute_in_float64():
    x = np.arange(30, dtype=np.float32).reshape(5, 6)
    w = np.ones((3, 3), dtype=np.float32)
    assert spectral.fft_conv2d(x, w).dtype == np.float32
    assert spectral.circular_conv2d(x, w).dtype == np.float32
    ints = spectral.fft_conv2d(np.arange(30).reshape(5, 6), np.ones((3, 3), dtype=int))
    assert ints.dtype == np.float64
    np.testing.assert_allclose(ints, brute_circular(np.arange(30.0).reshape(5, 6), np.ones((3, 3))))


def test_circular_pad_matches_index_arithmetic():
    x = np.arange(12).reshape(3, 4)
    got = spectral.circular_pad(x, ((2, 1), (3, 4)))
    expected = np.array([[x[(i - 2) % 3, (j - 3) % 4] for j in range(4 + 7)] for i in range(3 + 3)])
    np.testing.assert_array_equal(got, expected)
    assert spectral.circular_pad(np.ones((2, 5, 5)), 1).shape == (2, 7, 7)


@pytest.mark.parametrize("kernel_size", [(1, 1), (2, 3), (3, 3)])
def test_circulant_matrix_multiplies_like_the_convolution(kernel_size):
    rng = np.random.default_rng(20)
    x, w = rng.standard_normal((2, 4, 5)), rng.standard_normal((3, 2) + kernel_size)
    matrix = spectral.circulant_matrix(w, x.shape)
    assert matrix.shape == (3 * 20, 2 * 20)
    np.testing.assert_allclose(matrix @ x.ravel(), brute_circular_multi(x, w).ravel(), atol=1e-12)


def brute_circular_multi(x, w):
    return np.stack([sum(brute_circular(x[c], w[o, c]) for c in range(x.shape[0]))
                     for o in range(w.shape[0])])


def test_circulant_matrix_is_doubly_block_circulant():
    rng = np.random.default_rng(21)
    height, width = 4, 5
    matrix = spectral.circulant_matrix(rng.standard_normal((3, 3)), (height, width))
    blocks = matrix.reshape(height, width, height, width).transpose(0, 2, 1, 3)  # [i, r] block
    for i in range(height):
        for r in range(height):
            # block (i, r) depends only on r - i mod H ...
            np.testing.assert_array_equal(blocks[i, r], blocks[0, (r - i) % height])
            # ... and is itself circulant: each row the previous shifted right by one
            for j in range(1, width):
                np.testing.assert_array_equal(np.roll(blocks[i, r][j - 1], 1), blocks[i, r][j])


def test_circulant_matrix_first_row_is_the_embedded_kernel():
    w = np.arange(1.0, 10.0).reshape(3, 3)
    matrix = spectral.circulant_matrix(w, (4, 4))
    np.testing.assert_array_equal(matrix[0].reshape(4, 4), spectral.embed_kernel(w, (4, 4)))
    # the window of output (0, 0) on the wrapped image: centre tap w[1, 1] on pixel (0, 0)
    assert matrix[0, 0] == 5.0 and matrix[0, 4 * 3 + 3] == 1.0


def test_circulant_differs_from_toeplitz_only_in_wrapped_entries():
    w = np.arange(1.0, 10.0).reshape(3, 3)
    circulant = spectral.circulant_matrix(w, (5, 5))
    toeplitz = cl.conv_matrix(w, (5, 5), padding="same")
    np.testing.assert_array_equal(circulant[toeplitz != 0], toeplitz[toeplitz != 0])
    assert np.count_nonzero(circulant) == 25 * 9
    assert np.count_nonzero(toeplitz) < np.count_nonzero(circulant)


def test_dft_matrices_match_numpy_fft():
    rng = np.random.default_rng(30)
    v, image = rng.standard_normal(7), rng.standard_normal((3, 4))
    np.testing.assert_allclose(spectral.dft_matrix(7) @ v, np.fft.fft(v), atol=1e-12)
    np.testing.assert_allclose(spectral.dft2_matrix((3, 4)) @ image.ravel(), np.fft.fft2(image).ravel(),
                               atol=1e-12)


@pytest.mark.parametrize("shape,kernel_size", [((4, 4), (3, 3)), ((3, 5), (2, 3)), ((6, 2), (1, 2))])
def test_the_dft_diagonalises_the_circulant_matrix(shape, kernel_size):
    rng = np.random.default_rng(31)
    w = rng.standard_normal(kernel_size)
    matrix = spectral.circulant_matrix(w, shape)
    dft = spectral.dft2_matrix(shape)
    transformed = dft @ matrix @ np.linalg.inv(dft)
    diagonal = np.diag(transformed)
    np.testing.assert_allclose(transformed - np.diag(diagonal), 0, atol=1e-10)
    np.testing.assert_allclose(diagonal, spectral.circulant_eigenvalues(w, shape).ravel(), atol=1e-10)
    # the same numbers as numpy's eigenvalue solver finds (compared as sorted multisets)
    eig = np.linalg.eigvals(matrix)
    np.testing.assert_allclose(np.sort_complex(np.round(eig, 8)), np.sort_complex(np.round(diagonal, 8)),
                               atol=1e-7)


def test_costs_match_hand_counts():
    assert spectral.direct_cost((256, 256), (3, 3)) == 256 * 256 * 9
    assert spectral.direct_cost((2, 3, 8, 8), (4, 3, 5, 5)) == 2 * 4 * 64 * 3 * 25
    # 16 x 16 = 256 points: one transform 2 * 256 * 8 = 4096 real multiplications
    assert spectral.fft_cost((16, 16), (3, 3)) == 3 * 4096 + 4 * 256
    assert spectral.fft_cost((16, 16), (3, 3), kernel_transforms=False) == 2 * 4096 + 4 * 256
    assert spectral.fft_cost((2, 3, 16, 16), (4, 3, 7, 7)) == (6 + 8 + 12) * 4096 + 4 * 2 * 4 * 3 * 256
    # the fft cost does not depend on the kernel size, the direct cost grows with k^2
    assert spectral.fft_cost((64, 64), (3, 3)) == spectral.fft_cost((64, 64), (15, 15))
    assert spectral.direct_cost((256, 256), (9, 9)) < spectral.fft_cost((256, 256), (9, 9))
    assert spectral.direct_cost((256, 256), (11, 11)) > spectral.fft_cost((256, 256), (11, 11))


def test_inputs_are_not_modified():
    rng = np.random.default_rng(40)
    x, w = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((2, 2, 3, 3))
    x_copy, w_copy = x.copy(), w.copy()
    spectral.circular_conv2d(x, w)
    spectral.fft_conv2d(x, w)
    spectral.fft_conv2d(x, w, padding="same")
    spectral.circulant_matrix(w, (2, 5, 5))
    spectral.circular_pad(x, 2)
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(w, w_copy)


@pytest.mark.parametrize("call,error,match", [
    (lambda: spectral.circular_conv2d(np.ones(5), np.ones((3, 3))), ValueError,
     r"x must be a 2-D .* got shape \(5,\)"),
    (lambda: spectral.circular_conv2d(np.ones((5, 5)), np.ones((1, 1, 3, 3))), ValueError,
     r"weight must be a 2-D \(kH, kW\) kernel for x of shape \(5, 5\); got shape \(1, 1, 3, 3\)"),
    (lambda: spectral.fft_conv2d(np.ones((2, 5, 5)), np.ones((1, 3, 3, 3))), ValueError,
     r"weight has 3 input channels but x has 2"),
    (lambda: spectral.fft_conv2d(np.ones((4, 4)), np.ones((5, 3))), ValueError,
     r"kernel \(5, 3\) must fit in the image \(4, 4\)"),
    (lambda: spectral.fft_conv2d(np.ones((4, 4)), np.ones((3, 3)), padding="reflect"), ValueError,
     r"padding must be an int, a pair .* or one of \('circular', 'valid', 'same', 'full'\); got 'reflect'"),
    (lambda: spectral.fft_conv2d(np.ones((2, 2)), np.ones((4, 3)), padding=((0, 1), (0, 1))), ValueError,
     r"kernel \(4, 3\) must fit in the padded image \(3, 3\)"),
    (lambda: spectral.fft_conv2d(np.ones((4, 4)), np.ones((3, 3)), padding=-1), ValueError,
     r"padding must be"),
    (lambda: spectral.circular_conv2d(np.ones((4, 4)), np.ones((3, 3)), bias=np.ones(2)), ValueError,
     r"bias must have shape"),
    (lambda: spectral.fft_conv2d(np.array([["a"]]), np.ones((1, 1))), TypeError,
     r"x must hold real numbers"),
    (lambda: spectral.circular_pad(np.ones((3, 3)), 4), ValueError,
     r"padding must be at most the axis length 3"),
    (lambda: spectral.circular_pad(np.ones((3, 3)), "same"), ValueError, r"padding must be an int"),
    (lambda: spectral.circular_pad(np.ones(3), 1), ValueError, r"x must have at least 2"),
    (lambda: spectral.circulant_matrix(np.ones((3, 3)), (2, 4, 4)), ValueError,
     r"weight has 1 input channels but input_shape has 2"),
    (lambda: spectral.circulant_matrix(np.ones((3, 3)), 4), ValueError, r"input_shape must be \(H, W\)"),
    (lambda: spectral.embed_kernel(np.ones((3, 3)), (2, 2)), ValueError, r"must fit in input_shape"),
    (lambda: spectral.dft_matrix(0), ValueError, r"n must be a positive int; got 0"),
    (lambda: spectral.dft_matrix(2.0), TypeError, r"n must be an int"),
    (lambda: spectral.direct_cost((8, 8), (3,)), ValueError, r"weight_shape must be"),
    (lambda: spectral.fft_cost((2, 8, 8), (1, 3, 3, 3)), ValueError,
     r"weight_shape has 3 input channels but input_shape has 2"),
])
def test_bad_input_raises_naming_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_top_left_anchored_correlation_is_a_roll_of_the_centred_one():
    """Lesson 13's exercises anchor the kernel at its top-left tap; spectral anchors at the centre."""
    rng = np.random.default_rng(50)
    x, w = rng.standard_normal((5, 6)), rng.standard_normal((3, 4))
    top_left = np.fft.ifft2(np.fft.fft2(x) * np.conj(np.fft.fft2(w, s=x.shape))).real
    a, b = (3 - 1) // 2, (4 - 1) // 2
    np.testing.assert_allclose(top_left, np.roll(spectral.circular_conv2d(x, w), (-a, -b), axis=(0, 1)),
                               atol=1e-12)
