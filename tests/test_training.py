"""Training a CNN on the digits, and learning a kernel, with convlab only."""

import time

import numpy as np
import pytest
import scipy.ndimage as ndi

from convlab import nn
from convlab.data import load_photo
from convlab.filters import SOBEL_X, SOBEL_Y
from convlab.learn_kernel import learn_kernel
from convlab.training import accuracy, digits_cnn, train_digits


@pytest.fixture(scope="module")
def trained():
    start = time.perf_counter()
    result = train_digits(progress=False)
    return result, time.perf_counter() - start


def test_cnn_reaches_97_percent_held_out_quickly(trained):
    (model, history), seconds = trained
    assert history["test_accuracy"][-1] >= 0.97
    assert seconds < 30  # "well under a minute" on 2 cores; ~2 s when the machine is idle
    assert history["epoch"] == list(range(1, 11))
    assert history["loss"][-1] < 0.2 * history["loss"][0]
    assert all(len(history[k]) == 10 for k in ("loss", "train_accuracy", "test_accuracy"))


def test_history_accuracy_is_the_models(trained):
    from convlab.data import load_digits

    (model, history), _ = trained
    d = load_digits(seed=0, dtype=np.float32)
    assert accuracy(model, d.x_test, d.y_test) == history["test_accuracy"][-1]
    predictions = np.argmax(model.forward(d.x_test), axis=1)
    assert np.mean(predictions == d.y_test) == pytest.approx(history["test_accuracy"][-1])


def test_training_is_seeded_and_uses_the_method():
    a = train_digits(epochs=2, progress=False)
    b = train_digits(epochs=2, progress=False)
    c = train_digits(epochs=2, progress=False, method="im2row")
    for key in ("loss", "train_accuracy", "test_accuracy"):
        assert a.history[key] == b.history[key]
        np.testing.assert_allclose(a.history[key], c.history[key], rtol=1e-4)
    assert a.model[0].method == ("fast", "fast") and c.model[0].method == ("im2row", "im2row")
    for (p, _), (q, _) in zip(a.model.parameters(), b.model.parameters()):
        np.testing.assert_array_equal(p, q)
    d = train_digits(epochs=1, seed=1, progress=False)
    assert d.history["loss"] != a.history["loss"][:1]


def test_progress_bar_goes_to_stderr_only_when_asked(capsys):
    train_digits(epochs=1, progress=False)
    out, err = capsys.readouterr()
    assert out == "" and err == ""
    train_digits(epochs=1, progress=True)
    out, err = capsys.readouterr()
    assert out == "" and "training" in err and "43/43" in err


def test_digits_cnn_shapes():
    net = digits_cnn(method="im2row", rng=3)
    assert isinstance(net, nn.Sequential)
    assert net.forward(np.zeros((2, 1, 8, 8), np.float32)).shape == (2, 10)
    assert net.forward(np.zeros((2, 1, 8, 8), np.float32)).dtype == np.float32


@pytest.mark.parametrize("call, error, match", [
    (lambda: train_digits(epochs=0), ValueError, "epochs must be a positive int; got 0"),
    (lambda: train_digits(batch_size=2.0), TypeError, "batch_size must be an int"),
    (lambda: train_digits(method="nope"), ValueError, "method must be one of"),
])
def test_training_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# -------------------------------------------------------------- learn a kernel
def test_learned_kernel_recovers_sobel():
    fit = learn_kernel()
    assert np.max(np.abs(fit.kernel - SOBEL_X)) < 1e-3
    assert fit.history["error"][-1] < 1e-3
    losses = np.array(fit.history["loss"])
    assert losses[-1] < 1e-8 * losses[0]
    assert fit.history["kernels"].shape == (501, 3, 3)
    np.testing.assert_array_equal(fit.history["kernels"][-1], fit.kernel)
    # independent check: the learned kernel filters the photo like scipy's Sobel
    img = load_photo(downscale=4)
    np.testing.assert_allclose(ndi.correlate(img, fit.kernel, mode="constant"),
                               ndi.correlate(img, SOBEL_X, mode="constant"), atol=1e-5)


def test_learned_kernel_other_targets_and_settings():
    rng = np.random.default_rng(5)
    img = rng.random((40, 40))  # white noise is perfectly conditioned
    target = rng.standard_normal((3, 3))
    fit = learn_kernel(img, target, steps=500, method="im2row")
    np.testing.assert_allclose(fit.kernel, target, atol=1e-6)
    fit_y = learn_kernel(steps=400, standardize=False, lr=0.3, target_kernel=SOBEL_Y)
    assert np.max(np.abs(fit_y.kernel - SOBEL_Y)) < 1e-2
    assert fit_y.lr == 0.3


@pytest.mark.parametrize("call, error, match", [
    (lambda: learn_kernel(np.zeros(5)), ValueError, r"image must be a 2-D \(H, W\) array; got shape \(5,\)"),
    (lambda: learn_kernel(target_kernel=np.ones((1, 3, 3))), ValueError, "target_kernel must be a 2-D \\(kH, kW\\) array"),
    (lambda: learn_kernel(steps=0), ValueError, "steps must be a positive int"),
    (lambda: learn_kernel(lr=-1.0), ValueError, "lr must be positive"),
    (lambda: learn_kernel(momentum=1.0), ValueError, r"momentum must be in \[0, 1\)"),
    (lambda: learn_kernel(standardize="yes"), TypeError, "standardize must be True or False"),
])
def test_learn_kernel_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
