"""Softmax followed by cross-entropy (negative log-likelihood), fused.

With ``p = softmax(z)`` and the true class ``t``, the loss of one example is
``-log p_t`` and its gradient is simply ``p - onehot(t)``; the mean over the
batch divides by ``N``.  Computing ``log p`` as ``z - logsumexp(z)`` keeps
large logits from overflowing.
"""

import numpy as np

from .._checks import as_array, check_array

__all__ = ["SoftmaxCrossEntropy", "softmax"]


def softmax(logits):
    """Row-wise softmax of ``(N, K)`` logits (shift-invariant, so subtract the max).

    Examples
    --------
    >>> softmax(np.array([[0.0, 0.0], [1000.0, 1000.0]]))
    array([[0.5, 0.5],
           [0.5, 0.5]])
    """
    z = check_array(logits, "logits", floating=True)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class SoftmaxCrossEntropy:
    """Mean cross-entropy of softmax probabilities; ``backward()`` gives ``∂L/∂logits``.

    Examples
    --------
    >>> loss = SoftmaxCrossEntropy()
    >>> round(loss.forward(np.array([[1.0, 1.0]]), np.array([1])), 6)  # log 2
    0.693147
    >>> loss.backward()
    array([[ 0.5, -0.5]])
    """

    def __init__(self):
        self._cache = None

    def __call__(self, logits, labels):
        return self.forward(logits, labels)

    def forward(self, logits, labels):
        """Return the mean of ``-log softmax(logits)[n, labels[n]]`` (a float)."""
        z = check_array(logits, "logits", 2, "(N, num_classes)", floating=True)
        y = as_array(labels, "labels")
        if not np.issubdtype(y.dtype, np.integer):
            raise TypeError(f"labels must be integers; got dtype {y.dtype}")
        if y.shape != (z.shape[0],):
            raise ValueError(f"labels must have shape (N,) = ({z.shape[0]},); got {y.shape}")
        if y.size and (y.min() < 0 or y.max() >= z.shape[1]):
            raise ValueError(f"labels must lie in [0, {z.shape[1]}); got values from "
                             f"{y.min()} to {y.max()}")
        shifted = z - z.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self._cache = (np.exp(log_p), y)
        return float(-log_p[np.arange(len(y)), y].mean())

    def backward(self):
        """``(softmax(logits) - onehot(labels)) / N``."""
        if self._cache is None:
            raise RuntimeError("SoftmaxCrossEntropy.backward called before forward")
        p, y = self._cache
        grad = p.copy()
        grad[np.arange(len(y)), y] -= 1
        return grad / len(y)

    def __repr__(self):
        return "SoftmaxCrossEntropy()"
