"""Real images that ship with the dependencies — nothing is downloaded.

* :func:`load_photo` — Grace Hopper's portrait from matplotlib's sample data,
  greyscale or colour, as floats in [0, 1], optionally downscaled.
* :func:`load_digits` — scikit-learn's 1,797 handwritten 8×8 digits as
  ``(N, 1, 8, 8)`` float images in [0, 1] with a seeded train/test split.
"""

import os
from typing import NamedTuple

import numpy as np

from ._checks import check_bool, check_dtype, check_int, check_number

__all__ = ["load_photo", "load_digits", "Digits", "PHOTO_FILE"]

#: File name of the photograph inside matplotlib's sample data.
PHOTO_FILE = "grace_hopper.jpg"

# ITU-R BT.601 luma weights: how bright the eye finds red, green and blue.
_LUMA = np.array([0.299, 0.587, 0.114])


def _photo_path():
    try:
        from matplotlib import cbook
    except ImportError as exc:  # pragma: no cover - matplotlib is a dependency
        raise ImportError(
            "convlab.data.load_photo needs matplotlib (it ships the photograph "
            f"{PHOTO_FILE!r}); install it with `pip install matplotlib`"
        ) from exc
    try:
        path = cbook.get_sample_data(PHOTO_FILE, asfileobj=False)
    except (FileNotFoundError, OSError, ValueError) as exc:
        raise FileNotFoundError(
            f"matplotlib's sample photograph {PHOTO_FILE!r} was not found; "
            "reinstall matplotlib (its mpl-data/sample_data folder is missing)"
        ) from exc
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"matplotlib's sample photograph {PHOTO_FILE!r} was not found at {path}; "
            "reinstall matplotlib"
        )
    return path


def _downscale(img, factor):
    """Average non-overlapping ``factor × factor`` blocks (crops the remainder)."""
    if factor == 1:
        return img
    h, w = img.shape[0] // factor, img.shape[1] // factor
    img = img[: h * factor, : w * factor]
    return img.reshape(h, factor, w, factor, *img.shape[2:]).mean(axis=(1, 3))


def load_photo(color=False, downscale=1, dtype=np.float64):
    """Grace Hopper's portrait (matplotlib sample data) as a float image.

    Parameters
    ----------
    color : bool, default False
        False: greyscale ``(H, W)`` (BT.601 luma). True: ``(H, W, 3)`` RGB
        (channels-last, as matplotlib shows it; ``convlab.to_nchw`` gives
        ``(3, H, W)``).
    downscale : int, default 1
        Average ``downscale × downscale`` blocks; the full image is 600×512.
    dtype : floating dtype, default float64

    Returns
    -------
    ndarray
        Values in [0, 1].

    Raises
    ------
    FileNotFoundError
        If matplotlib's sample photograph is missing.
    ImportError
        If matplotlib (or Pillow, which reads JPEG) is not installed.

    Examples
    --------
    >>> img = load_photo(downscale=4)
    >>> img.shape, img.dtype.name, bool(0 <= img.min() <= img.max() <= 1)
    ((150, 128), 'float64', True)
    >>> load_photo(color=True).shape
    (600, 512, 3)
    """
    color = check_bool(color, "color")
    downscale = check_int(downscale, "downscale", 1)
    dt = check_dtype(dtype)
    path = _photo_path()
    try:
        import matplotlib.image as mpimg

        raw = mpimg.imread(path)
    except ImportError as exc:  # pragma: no cover
        raise ImportError(
            "convlab.data.load_photo needs Pillow to read JPEG files; "
            "install it with `pip install pillow`"
        ) from exc
    img = raw.astype(np.float64)
    if raw.dtype == np.uint8:
        img /= 255.0
    img = img[..., :3]
    if not color:
        img = img @ _LUMA
    if downscale > img.shape[0] or downscale > img.shape[1]:
        raise ValueError(
            f"downscale must be at most the image size {img.shape[:2]}; got {downscale}"
        )
    img = _downscale(img, downscale)
    return np.clip(img, 0.0, 1.0).astype(dt)


class Digits(NamedTuple):
    """Train/test split of the 8×8 digits: images ``(N, 1, 8, 8)``, labels ``(N,)``."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_digits(test_fraction=0.25, seed=0, dtype=np.float64):
    """scikit-learn's handwritten digits as ``(N, 1, 8, 8)`` images in [0, 1].

    Parameters
    ----------
    test_fraction : float, default 0.25
        Share of the 1,797 images held out for testing, in (0, 1).
    seed : int, default 0
        Seed of the shuffle: the same seed gives the same split.
    dtype : floating dtype, default float64

    Returns
    -------
    Digits
        ``(x_train, y_train, x_test, y_test)``; labels are int64 in 0..9.

    Raises
    ------
    ImportError
        If scikit-learn is not installed (it ships the images).

    Examples
    --------
    >>> d = load_digits()
    >>> d.x_train.shape, d.x_test.shape, d.y_train[:5].tolist()
    ((1348, 1, 8, 8), (449, 1, 8, 8), [3, 6, 0, 0, 3])
    """
    test_fraction = check_number(test_fraction, "test_fraction", 0, 1, low_open=True, high_open=True)
    seed = check_int(seed, "seed", 0)
    dt = check_dtype(dtype)
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
    except ImportError as exc:
        raise ImportError(
            "convlab.data.load_digits needs scikit-learn (it ships the 8x8 digits); "
            "install it with `pip install scikit-learn`"
        ) from exc
    bunch = _sk_load_digits()
    images = (bunch.images / 16.0).astype(dt)[:, None, :, :]
    labels = bunch.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(labels))
    n_test = int(round(test_fraction * len(labels)))
    test, train = order[:n_test], order[n_test:]
    return Digits(images[train], labels[train], images[test], labels[test])
