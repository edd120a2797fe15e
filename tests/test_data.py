"""convlab.data: the photograph and the digits, offline, with clear errors."""

import sys

import matplotlib.image as mpimg
import numpy as np
import pytest
from matplotlib import cbook
from sklearn import datasets

from convlab import data


def test_photo_grey_and_colour():
    grey = data.load_photo()
    colour = data.load_photo(color=True)
    assert grey.shape == (600, 512) and colour.shape == (600, 512, 3)
    assert grey.dtype == colour.dtype == np.float64
    assert 0 <= grey.min() and grey.max() <= 1 and 0 <= colour.min() and colour.max() <= 1
    raw = mpimg.imread(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    np.testing.assert_allclose(colour, raw / 255.0)
    np.testing.assert_allclose(grey, raw @ [0.299, 0.587, 0.114] / 255.0)
    assert grey.std() > 0.1  # a real picture, not a blank


def test_photo_downscale_averages_blocks():
    full = data.load_photo()
    small = data.load_photo(downscale=4, dtype=np.float32)
    assert small.shape == (150, 128) and small.dtype == np.float32
    np.testing.assert_allclose(small[3, 5], full[12:16, 20:24].mean(), rtol=1e-6)
    assert data.load_photo(color=True, downscale=7).shape == (85, 73, 3)


def test_digits_split_is_seeded_and_complete():
    d = data.load_digits()
    ref = datasets.load_digits()
    assert d.x_train.shape == (1348, 1, 8, 8) and d.x_test.shape == (449, 1, 8, 8)
    assert d.y_train.dtype == np.int64 and set(np.unique(d.y_test)) == set(range(10))
    assert d.x_train.min() == 0 and d.x_train.max() == 1
    again = data.load_digits()
    for a, b in zip(d, again):
        np.testing.assert_array_equal(a, b)
    other = data.load_digits(seed=1)
    assert not np.array_equal(d.y_train, other.y_train)
    # every original image appears exactly once, with its label
    images = np.concatenate([d.x_train, d.x_test])[:, 0] * 16
    labels = np.concatenate([d.y_train, d.y_test])
    order = np.lexsort(images.reshape(len(images), -1).T)
    ref_order = np.lexsort(ref.images.reshape(len(ref.images), -1).T)
    np.testing.assert_array_equal(images[order], ref.images[ref_order])
    np.testing.assert_array_equal(np.sort(labels), np.sort(ref.target))
    assert data.load_digits(test_fraction=0.5).x_test.shape[0] == 898


def test_missing_sklearn_names_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match="load_digits needs scikit-learn .*pip install scikit-learn"):
        data.load_digits()


def test_missing_photo_names_the_file(monkeypatch):
    def missing(name, asfileobj=True):
        raise FileNotFoundError(name)

    monkeypatch.setattr(cbook, "get_sample_data", missing)
    with pytest.raises(FileNotFoundError, match="sample photograph 'grace_hopper.jpg' was not found"):
        data.load_photo()


@pytest.mark.parametrize("call, error, match", [
    (lambda: data.load_photo(downscale=0), ValueError, "downscale must be a positive int; got 0"),
    (lambda: data.load_photo(downscale=2.0), TypeError, "downscale must be an int"),
    (lambda: data.load_photo(downscale=1000), ValueError, "downscale must be at most the image size"),
    (lambda: data.load_photo(color="yes"), TypeError, "color must be True or False"),
    (lambda: data.load_photo(dtype=np.uint8), TypeError, "dtype must be a floating dtype"),
    (lambda: data.load_digits(test_fraction=1.5), ValueError, r"test_fraction must be in \(0, 1\)"),
    (lambda: data.load_digits(seed=-1), ValueError, "seed must be a >= 0 int; got -1"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
