"""convlab.filters: separable Sobel and Gaussian against 2-D kernels and scipy.ndimage."""

import numpy as np
import pytest
import scipy.ndimage as ndi

import convlab as cl
from convlab.data import load_photo
from convlab.filters import (
    BORDER_MODES,
    SOBEL_X,
    SOBEL_Y,
    gaussian_blur,
    gaussian_kernel,
    gaussian_kernel1d,
    sobel,
    sobel_gradients,
)


@pytest.fixture(scope="module")
def photo():
    return load_photo(downscale=8)  # (75, 64), a real photograph


def test_sobel_kernels():
    np.testing.assert_array_equal(SOBEL_X, [[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    np.testing.assert_array_equal(SOBEL_Y, [[1, 2, 1], [0, 0, 0], [-1, -2, -1]])
    np.testing.assert_array_equal(SOBEL_X, np.outer([1, 2, 1], [1, 0, -1]))  # separable
    with pytest.raises(ValueError):
        SOBEL_X[0, 0] = 5  # the constants are read-only


def test_separable_sobel_equals_2d_kernels(photo):
    gx, gy = sobel_gradients(photo)
    np.testing.assert_allclose(gx, cl.correlate2d(photo, SOBEL_X, padding="same"), atol=1e-12)
    np.testing.assert_allclose(gy, cl.correlate2d(photo, SOBEL_Y, padding="same"), atol=1e-12)
    np.testing.assert_allclose(sobel(photo), np.hypot(gx, gy), atol=1e-12)


@pytest.mark.parametrize("mode", BORDER_MODES)
def test_sobel_matches_scipy(photo, mode):
    gx = ndi.correlate(photo, SOBEL_X, mode=mode)
    gy = ndi.correlate(photo, SOBEL_Y, mode=mode)
    mine_x, mine_y = sobel_gradients(photo, mode=mode)
    np.testing.assert_allclose(mine_x, gx, atol=1e-12)
    np.testing.assert_allclose(mine_y, gy, atol=1e-12)
    np.testing.assert_allclose(sobel(photo, mode=mode), np.hypot(gx, gy), atol=1e-12)


def test_sobel_sign_convention_is_cross_correlation():
    img = np.zeros((5, 6))
    img[:, :3] = 1.0  # bright left half, dark right half
    gx, gy = sobel_gradients(img, mode="nearest")
    assert gx[2, 2] == 4.0 and gx[2, 3] == 4.0  # left minus right: positive
    np.testing.assert_array_equal(gy, 0)
    # mathematical convolution flips the kernel and hence the sign
    np.testing.assert_allclose(ndi.convolve(img, SOBEL_X, mode="nearest"), -gx)
    np.testing.assert_allclose(cl.correlate2d(img, cl.flip_kernel(SOBEL_X), padding="same")[1:-1, 1:-1],
                               -gx[1:-1, 1:-1])


def test_sobel_on_a_stack_of_channels(photo):
    stack = np.stack([photo, 1 - photo, photo ** 2])
    out = sobel(stack)
    for c in range(3):
        np.testing.assert_allclose(out[c], sobel(stack[c]), atol=1e-12)


def test_dtypes_and_input_untouched():
    img32 = np.random.default_rng(0).random((40, 50)).astype(np.float32)
    before = img32.copy()
    assert sobel(img32).dtype == np.float32
    assert gaussian_blur(img32, 1.0).dtype == np.float32
    np.testing.assert_array_equal(img32, before)
    np.testing.assert_allclose(sobel(img32), sobel(img32.astype(np.float64)), rtol=1e-5, atol=1e-5)
    ints = np.arange(20).reshape(4, 5)
    assert sobel(ints).dtype == np.float64
    np.testing.assert_allclose(sobel(ints), sobel(ints.astype(float)))


def test_sobel_large_image_uses_strips_consistently():
    img = np.random.default_rng(1).random((300, 700)).astype(np.float32)  # several strips
    np.testing.assert_allclose(sobel(img),
                               np.hypot(ndi.correlate(img.astype(float), SOBEL_X, mode="constant"),
                                        ndi.correlate(img.astype(float), SOBEL_Y, mode="constant")),
                               rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- Gaussian
def test_gaussian_kernel_is_normalised_separable_and_centred():
    k = gaussian_kernel(5, 1.0)
    assert k.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(k, k.T)
    np.testing.assert_allclose(k, k[::-1, ::-1])
    assert np.unravel_index(k.argmax(), k.shape) == (2, 2)
    assert np.linalg.matrix_rank(k) == 1
    t = np.arange(5) - 2.0
    expected = np.exp(-(t[:, None] ** 2 + t[None, :] ** 2) / 2)
    np.testing.assert_allclose(k, expected / expected.sum())
    np.testing.assert_allclose(gaussian_kernel1d(4, 0.8), gaussian_kernel1d(4, 0.8)[::-1])


@pytest.mark.parametrize("size, sigma", [(5, 1.0), (3, 0.5), (4, 1.0), (8, 2.0), (1, 1.0)])
def test_separable_blur_equals_2d_kernel(photo, size, sigma):
    expected = cl.correlate2d(photo, gaussian_kernel(size, sigma), padding="same")
    np.testing.assert_allclose(gaussian_blur(photo, sigma, size), expected, atol=1e-12)


@pytest.mark.parametrize("mode", BORDER_MODES)
@pytest.mark.parametrize("size, sigma", [(5, 1.0), (7, 2.5)])
def test_blur_matches_scipy(photo, mode, size, sigma):
    expected = ndi.correlate(photo, gaussian_kernel(size, sigma), mode=mode)
    np.testing.assert_allclose(gaussian_blur(photo, sigma, size, mode=mode), expected, atol=1e-12)


def test_blur_default_size_covers_three_sigma(photo):
    np.testing.assert_allclose(gaussian_blur(photo, 1.5), gaussian_blur(photo, 1.5, size=11))
    flat = np.ones((20, 20))
    inner = gaussian_blur(flat, 1.0)[5:-5, 5:-5]
    np.testing.assert_allclose(inner, 1.0)  # normalised: a flat image stays flat
    assert gaussian_blur(flat, 1.0)[0, 0] < 0.5  # zero padding darkens the corner


@pytest.mark.parametrize("call, error, match", [
    (lambda: sobel(np.zeros(5)), ValueError, r"image must be an array with at least 2 dimensions .*\(5,\)"),
    (lambda: sobel(np.zeros((0, 3))), ValueError, "image must not be empty"),
    (lambda: sobel(np.array([["a"]])), TypeError, "image must hold real numbers"),
    (lambda: sobel(np.zeros((3, 3)), mode="zeros"), ValueError, "mode must be one of .*got 'zeros'"),
    (lambda: gaussian_blur(np.zeros((3, 3)), 0), ValueError, "sigma must be positive; got 0"),
    (lambda: gaussian_blur(np.zeros((3, 3)), "1"), TypeError, "sigma must be a number"),
    (lambda: gaussian_blur(np.zeros((3, 3)), 1.0, size=0), ValueError, "size must be a positive int"),
    (lambda: gaussian_kernel(2.5, 1.0), TypeError, "size must be an int"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
