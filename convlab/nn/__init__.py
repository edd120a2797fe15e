"""Neural-network layers in numpy with hand-written backward passes.

Every layer has ``forward(x)`` (caches what backward needs),
``backward(grad_out) -> grad_in`` (also fills ``grads``) and ``params`` /
``grads`` dicts; ``Sequential`` chains them and ``SGD`` updates the
parameters.  Signatures follow ``torch.nn`` so code carries over.

>>> import numpy as np
>>> from convlab import nn
>>> net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, rng=0), nn.ReLU(), nn.MaxPool2d(2),
...                     nn.Flatten(), nn.Linear(4 * 4 * 4, 10, rng=1))
>>> loss_fn = nn.SoftmaxCrossEntropy()
>>> x, labels = np.random.default_rng(0).random((8, 1, 8, 8)), np.arange(8)
>>> loss = loss_fn.forward(net.forward(x), labels)
>>> _ = net.backward(loss_fn.backward())
>>> nn.SGD(net, lr=0.1).step()
"""

from ..conv.methods import resolve_method
from .base import Layer
from .containers import SGD, Sequential
from .layers import Conv2d, Flatten, LeakyReLU, Linear, ReLU, conv_method
from .loss import SoftmaxCrossEntropy, softmax
from .pooling import GlobalMaxPool2d, MaxPool2d
from .worked import worked_problem, worked_problem_inputs

__all__ = [
    "Layer", "Conv2d", "Linear", "ReLU", "LeakyReLU", "MaxPool2d", "GlobalMaxPool2d", "Flatten",
    "SoftmaxCrossEntropy", "softmax", "Sequential", "SGD", "worked_problem",
    "worked_problem_inputs", "resolve_method",
    "conv_method",
]
