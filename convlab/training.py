"""Train a small CNN on real handwritten digits with nothing but convlab.

The network (``digits_cnn``) is built from ``convlab.nn`` layers; the loop in
``train_digits`` is the textbook one — shuffle, mini-batches, forward, loss,
backward, SGD step — with a ``tqdm`` progress bar and a per-epoch history that
a lesson can plot.  Everything is seeded, so a lesson shows the same numbers
on every run.
"""

import time
from typing import NamedTuple

import numpy as np
import tqdm

from . import nn
from ._checks import check_array, check_bool, check_int, check_number, check_rng, int_tuple
from .data import Digits, load_digits
from .nn.layers import conv_method

__all__ = ["digits_cnn", "accuracy", "train_digits", "TrainingResult"]


def digits_cnn(method="fast", rng=0, dtype=np.float32, channels=(16, 32)):
    """A small CNN for ``(N, 1, 8, 8)`` digits: two conv blocks and a linear classifier.

    ``Conv 3×3 (c1) → ReLU → MaxPool 2 → Conv 3×3 (c2) → ReLU → MaxPool 2 →
    Flatten → Linear(c2·2·2, 10)``; both convolutions use ``"same"`` padding.

    Parameters
    ----------
    method : str or (str, str), default "fast"
        The convolution method of both ``Conv2d`` layers.
    rng : None, int or numpy.random.Generator, default 0
        Seeds the initialisation.
    dtype : floating dtype, default float32
    channels : (int, int), default (16, 32)

    Examples
    --------
    >>> net = digits_cnn()
    >>> net.forward(np.zeros((5, 1, 8, 8), np.float32)).shape
    (5, 10)
    """
    rng = check_rng(rng)
    c1, c2 = int_tuple(channels, "channels", 2)
    return nn.Sequential(
        nn.Conv2d(1, c1, 3, padding="same", method=method, rng=rng, dtype=dtype),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 8x8 -> 4x4
        nn.Conv2d(c1, c2, 3, padding="same", method=method, rng=rng, dtype=dtype),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 4x4 -> 2x2
        nn.Flatten(),
        nn.Linear(c2 * 2 * 2, 10, rng=rng, dtype=dtype),
    )


def accuracy(model, x, y, batch_size=256):
    """Share of ``x`` that ``model`` classifies as ``y``.

    Examples
    --------
    >>> model = nn.Sequential(nn.Flatten())
    >>> accuracy(model, np.eye(3).reshape(3, 3, 1, 1), np.array([0, 1, 1]))
    0.6666666666666666
    """
    if not hasattr(model, "forward"):
        raise TypeError(f"model must have a forward method; got {type(model).__name__}")
    x = check_array(x, "x")
    y = check_array(y, "y", 1, "(N,)")
    if len(y) != len(x):
        raise ValueError(f"y must have one label per image of x ({len(x)}); got shape {y.shape}")
    batch_size = check_int(batch_size, "batch_size", 1)
    correct = 0
    for start in range(0, len(x), batch_size):
        logits = model.forward(x[start : start + batch_size])
        correct += int(np.sum(np.argmax(logits, axis=1) == y[start : start + batch_size]))
    return correct / len(x)


class TrainingResult(NamedTuple):
    """``model`` (a ``convlab.nn.Sequential``) and ``history`` (a dict of per-epoch lists)."""

    model: nn.Sequential
    history: dict


def train_digits(epochs=10, batch_size=32, lr=0.1, momentum=0.9, seed=0, method="fast",
                 progress=True, data=None):
    """Train :func:`digits_cnn` on scikit-learn's 8×8 digits.

    Parameters
    ----------
    epochs : int, default 10
    batch_size : int, default 32
    lr : float, default 0.1
        Initial SGD step; it follows a cosine schedule down towards 0.
    momentum : float, default 0.9
    seed : int, default 0
        Seeds the initialisation, the train/test split and the shuffling: the
        same seed gives the same numbers.
    method : str or (str, str) or (callable, callable), default "fast"
        convlab convolution method, or your own ``(forward, backward)`` pair
        (see :func:`convlab.nn.conv_method`).
    progress : bool, default True
        Show a ``tqdm`` progress bar (on stderr) over the batches.
    data : Digits, optional
        A ``convlab.data.load_digits`` split; default ``load_digits(seed=seed)``.

    Returns
    -------
    TrainingResult
        ``(model, history)``; ``history`` has ``"epoch"``, ``"loss"`` (mean
        training loss), ``"train_accuracy"``, ``"test_accuracy"`` (one entry per
        epoch) and ``"seconds"`` (total wall time).

    Examples
    --------
    >>> result = train_digits(epochs=2, progress=False)
    >>> sorted(result.history), result.history["test_accuracy"][-1] > 0.8
    (['epoch', 'loss', 'seconds', 'test_accuracy', 'train_accuracy'], True)
    """
    epochs = check_int(epochs, "epochs", 1)
    batch_size = check_int(batch_size, "batch_size", 1)
    seed = check_int(seed, "seed", 0)
    lr = check_number(lr, "lr", 0, low_open=True)
    momentum = check_number(momentum, "momentum", 0, 1, high_open=True)
    progress = check_bool(progress, "progress")
    conv_method(method)
    if data is None:
        data = load_digits(seed=seed, dtype=np.float32)
    elif not isinstance(data, tuple) or len(data) != len(Digits._fields):
        raise TypeError(f"data must be a Digits split (x_train, y_train, x_test, y_test); "
                        f"got {type(data).__name__}")
    x_train, y_train, x_test, y_test = data
    rng = np.random.default_rng(seed)
    model = digits_cnn(method=method, rng=rng, dtype=x_train.dtype)
    loss_fn = nn.SoftmaxCrossEntropy()
    opt = nn.SGD(model.parameters(), lr=lr, momentum=momentum)
    history = {"epoch": [], "loss": [], "train_accuracy": [], "test_accuracy": []}
    n_batches = -(-len(x_train) // batch_size)
    start = time.perf_counter()
    bar = tqdm.tqdm(total=epochs * n_batches, desc="training", unit="batch", disable=not progress,
                    leave=False)
    try:
        for epoch in range(1, epochs + 1):
            # cosine schedule: big steps first, small ones to settle at the end
            opt.lr = 0.5 * lr * (1 + np.cos(np.pi * (epoch - 1) / epochs))
            order = rng.permutation(len(x_train))
            losses = []
            for b in range(n_batches):
                idx = order[b * batch_size : (b + 1) * batch_size]
                loss = loss_fn.forward(model.forward(x_train[idx]), y_train[idx])
                model.backward(loss_fn.backward().astype(x_train.dtype))
                opt.step()
                losses.append(loss)
                bar.update()
            history["epoch"].append(epoch)
            history["loss"].append(float(np.mean(losses)))
            history["train_accuracy"].append(accuracy(model, x_train, y_train))
            history["test_accuracy"].append(accuracy(model, x_test, y_test))
            bar.set_postfix(loss=f"{history['loss'][-1]:.3f}",
                            test_acc=f"{history['test_accuracy'][-1]:.3f}")
    finally:
        bar.close()
    history["seconds"] = time.perf_counter() - start
    return TrainingResult(model, history)
