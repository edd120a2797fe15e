"""The worked backprop problem of lesson 11, computed with convlab's layers.

A 4×4 grey image with ones at (1, 1) and (2, 2); two 3×3 kernels without
bias or padding; ReLU; 2×2 max pooling over each 2×2 map; a fully connected
layer ``W = I₂`` without bias; softmax and the negative log-likelihood of the
second class.  Every intermediate value and gradient is returned so a lesson
can display them (and a test compares each with torch autograd).
"""

import numpy as np

from .layers import Conv2d, Flatten, Linear, ReLU
from .loss import SoftmaxCrossEntropy
from .pooling import MaxPool2d

__all__ = ["worked_problem_inputs", "worked_problem"]


def worked_problem_inputs():
    """The image ``(1, 1, 4, 4)``, kernels ``(2, 1, 3, 3)``, FC weight ``(2, 2)`` and label.

    Examples
    --------
    >>> inputs = worked_problem_inputs()
    >>> inputs["weight"][0, 0]
    array([[ 0.,  0.,  0.],
           [-1.,  1.,  0.],
           [ 0.,  0.,  0.]])
    """
    image = np.zeros((1, 1, 4, 4))
    image[0, 0, 1, 1] = image[0, 0, 2, 2] = 1.0
    weight = np.zeros((2, 1, 3, 3))
    weight[0, 0, 1, 0], weight[0, 0, 1, 1] = -1.0, 1.0  # w1: centre minus its left neighbour
    weight[1, 0, 2, 1], weight[1, 0, 1, 1] = -1.0, 1.0  # w2: centre minus the one below
    return {"image": image, "weight": weight, "fc_weight": np.eye(2), "label": np.array([1])}


def worked_problem(method="fast"):
    """Run the worked problem forward and backward; return every intermediate.

    Parameters
    ----------
    method : str or (str, str), default "fast"
        The convolution method of the ``Conv2d`` layer.

    Returns
    -------
    dict
        Inputs (``image``, ``weight``, ``fc_weight``, ``label``), forward values
        (``conv``, ``relu``, ``pool``, ``flat``, ``logits``, ``probs``, ``loss``)
        and gradients of the loss (``d_logits``, ``d_fc_weight``, ``d_flat``,
        ``d_pool``, ``d_relu``, ``d_conv``, ``d_weight``, ``d_image``); every
        array keeps its layer shape, batch axis included.

    Notes
    -----
    Both feature maps are ``[[1, -1], [0, 1]]``: the max pool has a tie and,
    as in PyTorch, the first maximum (top-left) receives the gradient.  The
    logits are equal, so ``p = (1/2, 1/2)`` and ``∂L/∂logits = p - e₂ =
    (1/2, -1/2)``.  Each kernel's gradient is that value times the 3×3 input
    patch under the winning position: ``+1/2`` (kernel 1) and ``-1/2``
    (kernel 2) at (1, 1) and (2, 2).  A descent step therefore weakens kernel
    1's response to this image (class 1 logit down) and strengthens kernel 2's
    (class 2 logit up).

    Examples
    --------
    >>> r = worked_problem()
    >>> round(r["loss"], 6), r["d_logits"]
    (0.693147, array([[ 0.5, -0.5]]))
    >>> r["d_weight"][1, 0]
    array([[ 0. ,  0. ,  0. ],
           [ 0. , -0.5,  0. ],
           [ 0. ,  0. , -0.5]])
    """
    inputs = worked_problem_inputs()
    conv = Conv2d(1, 2, 3, bias=False, method=method)
    conv.params["weight"][...] = inputs["weight"]
    fc = Linear(2, 2, bias=False)
    fc.params["weight"][...] = inputs["fc_weight"]
    relu, pool, flatten = ReLU(), MaxPool2d(2), Flatten()
    loss_fn = SoftmaxCrossEntropy()

    r = dict(inputs)
    r["conv"] = conv.forward(inputs["image"])
    r["relu"] = relu.forward(r["conv"])
    r["pool"] = pool.forward(r["relu"])
    r["flat"] = flatten.forward(r["pool"])
    r["logits"] = fc.forward(r["flat"])
    r["loss"] = loss_fn.forward(r["logits"], inputs["label"])
    r["probs"] = loss_fn._cache[0].copy()

    r["d_logits"] = loss_fn.backward()
    r["d_flat"] = fc.backward(r["d_logits"])
    r["d_fc_weight"] = fc.grads["weight"].copy()
    r["d_pool"] = flatten.backward(r["d_flat"])
    r["d_relu"] = pool.backward(r["d_pool"])
    r["d_conv"] = relu.backward(r["d_relu"])
    r["d_image"] = conv.backward(r["d_conv"])
    r["d_weight"] = conv.grads["weight"].copy()
    return r
