"""The training case: one epoch of `convlab.training.train_digits` against the same in PyTorch.

A layer's speed is not a course's: the digits network of the training
lessons spends its time in many small calls (batches of 32 images of 8x8,
1 -> 16 -> 32 channels), pooling, the loss and the optimiser. `run_training`
times one whole epoch — shuffle, 43 mini-batches of forward, loss,
backward and an SGD step, then the accuracy on the training and test
images — in convlab (its `nn` layers, method "fast") and in PyTorch with the
same network, initial weights, batch order, batch size, learning rate and
momentum, round after round in one process. The ratio is the median over
rounds of (convlab's epoch / PyTorch's). Both epochs start from the same
weights and see the same batches, so their mean losses agree to float32
rounding (about 1e-8; a change of rounding grows over the epoch's steps to
1e-4 or so, where a different learning rate, batch size or order gives
several percent): the row reports the difference, a check that the two
runs did the same work.

It is not part of the default run (an epoch takes a second or so per
library): ``python -m convlab.bench --training`` adds it.
"""

import statistics
import time

import numpy as np

from .._checks import check_int

__all__ = ["run_training", "format_training", "torch_digits_cnn", "TRAINING"]

#: The epoch both libraries run: `train_digits`'s defaults, one epoch.
TRAINING = {"batch_size": 32, "lr": 0.1, "momentum": 0.9, "seed": 0}


def torch_digits_cnn(model):
    """A ``torch.nn.Sequential`` equal to the convlab `digits_cnn` ``model``, its weights copied."""
    import torch

    conv1, conv2, linear = model[0], model[3], model[7]
    net = torch.nn.Sequential(
        torch.nn.Conv2d(conv1.in_channels, conv1.out_channels, 3, padding=1), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(conv2.in_channels, conv2.out_channels, 3, padding=1), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(linear.in_features, linear.out_features))
    with torch.no_grad():
        for mine, theirs in ((conv1, net[0]), (conv2, net[3]), (linear, net[7])):
            theirs.weight.copy_(torch.from_numpy(mine.params["weight"]))
            theirs.bias.copy_(torch.from_numpy(mine.params["bias"]))
    return net


def _torch_accuracy(net, x, y, batch_size=256):
    import torch

    correct = 0
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            logits = net(torch.from_numpy(x[start:start + batch_size]))
            correct += int((logits.argmax(dim=1).numpy() == y[start:start + batch_size]).sum())
    return correct / len(x)


def torch_epoch(data, batch_size, lr, momentum, seed):
    """`train_digits`'s first epoch in PyTorch (same start, batches and schedule); its mean loss."""
    import torch
    import torch.nn.functional as F

    from ..training import digits_cnn

    x_train, y_train, x_test, y_test = data
    rng = np.random.default_rng(seed)  # drawn from as train_digits does: the weights, then the order
    net = torch_digits_cnn(digits_cnn(rng=rng, dtype=x_train.dtype))
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)  # the cosine schedule's first lr
    order = rng.permutation(len(x_train))
    labels = torch.from_numpy(y_train)
    losses = []
    for b in range(-(-len(x_train) // batch_size)):
        idx = order[b * batch_size:(b + 1) * batch_size]
        opt.zero_grad()
        loss = F.cross_entropy(net(torch.from_numpy(x_train[idx])), labels[idx])
        loss.backward()
        opt.step()
        losses.append(loss.item())
    _torch_accuracy(net, x_train, y_train)
    _torch_accuracy(net, x_test, y_test)
    return float(np.mean(losses))


def convlab_epoch(data, batch_size, lr, momentum, seed):
    """One epoch of `train_digits` (method "fast"); its mean loss."""
    from ..training import train_digits

    result = train_digits(epochs=1, batch_size=batch_size, lr=lr, momentum=momentum, seed=seed,
                          method="fast", progress=False, data=data)
    return result.history["loss"][0]


def run_training(blocks=3, threads=None):
    """Time one digits epoch in convlab and in PyTorch, ``blocks`` interleaved rounds.

    Parameters
    ----------
    blocks : int, default 3
        Rounds (at least 1), each one PyTorch epoch then one convlab epoch,
        after one warm-up epoch of each.
    threads : int, optional
        Threads for numpy's BLAS, the fast method and PyTorch (default: all cores).

    Returns
    -------
    dict
        ``case`` ("training"), ``description``, ``convlab_s`` and ``torch_s``
        (median seconds per epoch), ``ratio`` (median of the rounds'
        convlab / PyTorch), ``spread`` ((max - min) / median of those
        ratios), ``block_ratios``, ``loss_difference`` (the two epochs' mean
        losses, relative) and ``threads``.
    """
    import os

    import torch
    from threadpoolctl import threadpool_limits

    from ..conv.fast import configure
    from ..data import load_digits

    blocks = check_int(blocks, "blocks", 1)
    threads = os.cpu_count() or 1 if threads is None else check_int(threads, "threads", 1)
    data = load_digits(seed=TRAINING["seed"], dtype=np.float32)
    epochs = {"torch": torch_epoch, "convlab": convlab_epoch}
    seconds, losses = {name: [] for name in epochs}, {}
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads, user_api="blas"), configure(threads=threads):
            for name, epoch in epochs.items():  # warm-up: imports, caches, thread pools
                losses[name] = epoch(data, **TRAINING)
            for _ in range(blocks):
                for name, epoch in epochs.items():
                    start = time.perf_counter()
                    epoch(data, **TRAINING)
                    seconds[name].append(time.perf_counter() - start)
    finally:
        torch.set_num_threads(previous)
    ratios = [mine / theirs for mine, theirs in zip(seconds["convlab"], seconds["torch"])]
    ratio = statistics.median(ratios)
    return {"case": "training",
            "description": (f"one epoch of train_digits: {len(data.x_train)} digits 8x8, batch "
                            f"{TRAINING['batch_size']}, SGD momentum {TRAINING['momentum']}"),
            "convlab_s": statistics.median(seconds["convlab"]),
            "torch_s": statistics.median(seconds["torch"]),
            "ratio": ratio, "spread": (max(ratios) - min(ratios)) / ratio, "block_ratios": ratios,
            "loss_difference": abs(losses["convlab"] - losses["torch"]) / abs(losses["torch"]),
            "threads": threads}


def format_training(row):
    """The training row as text, in the layer table's style.

    Examples
    --------
    >>> print(format_training({"description": "one epoch", "convlab_s": 0.5, "torch_s": 0.4,
    ...                        "ratio": 1.25, "spread": 0.1, "loss_difference": 1e-7}))
    training: one epoch
    library      epoch s   x torch
    torch        0.400     1.00x
    convlab      0.500     1.25x±10%   (mean losses agree to 1e-07)
    """
    return "\n".join([
        f"training: {row['description']}",
        f"{'library':<12} {'epoch s':<9} x torch",
        f"{'torch':<12} {row['torch_s']:<9.3f} 1.00x",
        f"{'convlab':<12} {row['convlab_s']:<9.3f} {row['ratio']:.2f}x±{row['spread']:.0%}"
        f"   (mean losses agree to {row['loss_difference']:.0e})"])
