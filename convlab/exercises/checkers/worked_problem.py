"""Checkers for lesson 11's worked problem, solved in four stages by the learner.

The worked problem of lesson 11: a 4x4 image, two 3x3 kernels without bias or padding,
ReLU, a global max pool over each 2x2 map, a fully connected layer and
softmax with the negative log-likelihood. The stages:

1. ``feature_maps(image, kernels)`` -- the valid cross-correlations;
2. ``pool_winners(maps)`` -- where each map's global maximum is (first one
   in row-major order on a tie, as PyTorch chooses);
3. ``logit_grads(logits, target)`` -- dL/dlogits of softmax + NLL;
4. ``kernel_grads(image, kernels, d_pooled)`` -- dL/dkernels given the
   gradient of the pooled values.

References: PyTorch (``F.conv2d``, ``F.cross_entropy`` and the whole branch
under autograd) and NumPy's ``argmax`` for the winners; the first case of
each checker is the worked problem itself (values of
:func:`convlab.nn.worked_problem`).
"""

import numpy as np

from ..grading.definition import exercise
from ..grading.engine import case
from .common import LOOPS, NO_AUTOGRAD, import_torch, ints


def _worked_inputs():
    from ...nn import worked_problem_inputs
    inputs = worked_problem_inputs()
    return inputs["image"][0, 0], inputs["weight"][:, 0]


# ------------------------------------------------------------- stage 1
def _feature_maps(image, kernels):
    import torch
    out = torch.nn.functional.conv2d(torch.tensor(image)[None, None], torch.tensor(kernels)[:, None])
    return out[0].numpy()


@exercise(**LOOPS, reference=_feature_maps, mistakes=[
    ("kernel_flipped", lambda image, k: _feature_maps(image, k[:, ::-1, ::-1].copy())),
])
def check_feature_maps():
    """Check ``feature_maps(image, kernels)``: ``(H, W)`` image, ``(K, k, k)`` kernels -> ``(K, H-k+1, W-k+1)``.

    Valid cross-correlation of the image with each kernel, no bias.
    Reference: ``torch.nn.functional.conv2d``.

    Examples
    --------
    >>> def feature_maps(image, kernels):
    ...     k = kernels.shape[-1]
    ...     h, w = image.shape[0] - k + 1, image.shape[1] - k + 1
    ...     return np.array([[[np.sum(image[i:i + k, j:j + k] * kernel) for j in range(w)]
    ...                       for i in range(h)] for kernel in kernels])
    >>> r = check_feature_maps(feature_maps)
    feature_maps: passed 4 cases.
    """
    import_torch()
    rng = np.random.default_rng(131)
    image, kernels = _worked_inputs()
    return [case("the worked problem", image=image, kernels=kernels),
            case("one kernel", image=ints(rng, 4, 4), kernels=ints(rng, 1, 3, 3)),
            case("non-square image", image=ints(rng, 5, 4), kernels=ints(rng, 2, 3, 3)),
            case("2x2 kernels", image=ints(rng, 4, 5), kernels=ints(rng, 3, 2, 2))]


# ------------------------------------------------------------- stage 2
def _winners(maps, order="C", last=False):
    rows = []
    for m in maps:
        flat = m.ravel(order=order)
        index = len(flat) - 1 - int(np.argmax(flat[::-1])) if last else int(np.argmax(flat))
        rows.append(np.unravel_index(index, m.shape, order=order))
    return np.array(rows, dtype=np.int64)


@exercise(vary=False, **LOOPS, reference=_winners, mistakes=[
    ("winner_last_tie", lambda maps: _winners(maps, last=True)),
    ("winner_column_major", lambda maps: _winners(maps, order="F")),
    ("winner_flat_index", lambda maps: np.array([int(np.argmax(m)) for m in maps])),
])
def check_pool_winners():
    """Check ``pool_winners(maps)``: ``(K, h, w)`` maps -> ``(K, 2)`` int array of (row, col).

    The position of each map's global maximum; on a tie the first in
    row-major order. Reference: ``np.argmax`` of the flattened map.

    Examples
    --------
    >>> def pool_winners(maps):
    ...     return np.array([np.unravel_index(np.argmax(m), m.shape) for m in maps])
    >>> r = check_pool_winners(pool_winners)
    pool_winners: passed 4 cases.
    """
    import_torch()
    rng = np.random.default_rng(132)
    image, kernels = _worked_inputs()
    return [case("the worked problem (ties)", maps=_feature_maps(image, kernels)),
            case("no ties", maps=np.array([[[1.0, 5.0], [2.0, 0.0]], [[0.0, 1.0], [7.0, 3.0]]])),
            case("a tie down a column", maps=np.array([[[0.0, 4.0, 1.0], [0.0, 1.0, 4.0], [4.0, 0.0, 0.0]]])),
            case("three maps", maps=rng.normal(size=(3, 3, 4)))]


# ------------------------------------------------------------- stage 3
def _logit_grads(logits, target):
    import torch
    z = torch.tensor(logits, requires_grad=True)
    torch.nn.functional.cross_entropy(z[None], torch.tensor([target])).backward()
    return z.grad.numpy()


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


@exercise(vary=False, **LOOPS, reference=_logit_grads, mistakes=[
    ("softmax_grad_sign", lambda z, t: np.eye(len(z))[t] - _softmax(z)),
    ("softmax_grad_no_onehot", lambda z, t: _softmax(z)),
])
def check_logit_grads():
    """Check ``logit_grads(logits, target)``: dL/dz for ``L = -log softmax(z)[target]``.

    ``logits`` a 1-D array, ``target`` the int label; returns an array like ``logits``.
    Reference: ``torch.nn.functional.cross_entropy`` under autograd.

    Examples
    --------
    >>> def logit_grads(logits, target):
    ...     p = np.exp(logits - logits.max())
    ...     p = p / p.sum()
    ...     p[target] -= 1
    ...     return p
    >>> r = check_logit_grads(logit_grads)
    logit_grads: passed 4 cases.
    """
    import_torch()
    return [case("the worked problem", logits=np.array([1.0, 1.0]), target=1),
            case("three classes", logits=np.array([2.0, -1.0, 0.5]), target=0),
            case("large logits", logits=np.array([1000.0, 999.0, 0.0]), target=2),
            case("one class", logits=np.array([3.0]), target=0)]


# ------------------------------------------------------------- stage 4
def _kernel_grads(image, kernels, d_pooled):
    import torch
    w = torch.tensor(kernels, requires_grad=True)
    maps = torch.relu(torch.nn.functional.conv2d(torch.tensor(image)[None, None], w[:, None]))[0]
    pooled = maps.flatten(1).max(dim=1).values  # global max pool; ties: first index
    pooled.backward(torch.tensor(d_pooled))
    return w.grad.numpy()


def _kernel_grads_mistake(image, kernels, d_pooled, relu=True, at_origin=False):
    k = kernels.shape[-1]
    maps = _feature_maps(image, kernels)
    grads = np.zeros_like(kernels)
    for index, (r, c) in enumerate(_winners(maps)):
        r, c = (0, 0) if at_origin else (r, c)
        if maps[index, r, c] > 0 or not relu:
            grads[index] = d_pooled[index] * image[r:r + k, c:c + k]
    return grads


@exercise(weight=2, **LOOPS, reference=_kernel_grads, mistakes=[
    ("worked_relu_ignored", lambda i, k, d: _kernel_grads_mistake(i, k, d, relu=False)),
    ("worked_patch_at_origin", lambda i, k, d: _kernel_grads_mistake(i, k, d, at_origin=True)),
    ("grad_flipped", lambda i, k, d: _kernel_grads(i, k, d)[:, ::-1, ::-1]),
])
def check_kernel_grads():
    """Check ``kernel_grads(image, kernels, d_pooled)``: dL/dkernels of conv -> ReLU -> global max pool.

    ``image`` (H, W), ``kernels`` (K, k, k), ``d_pooled`` (K,) the gradient of
    each map's pooled value; returns (K, k, k). Reference: the branch under
    torch autograd.

    Examples
    --------
    >>> def kernel_grads(image, kernels, d_pooled):
    ...     k = kernels.shape[-1]
    ...     h, w = image.shape[0] - k + 1, image.shape[1] - k + 1
    ...     grads = np.zeros_like(kernels)
    ...     for index, kernel in enumerate(kernels):
    ...         m = np.array([[np.sum(image[i:i + k, j:j + k] * kernel) for j in range(w)]
    ...                       for i in range(h)])
    ...         r, c = np.unravel_index(np.argmax(m), m.shape)
    ...         if m[r, c] > 0:  # the ReLU lets the gradient through
    ...             grads[index] = d_pooled[index] * image[r:r + k, c:c + k]
    ...     return grads
    >>> r = check_kernel_grads(kernel_grads)
    kernel_grads: passed 4 cases.
    """
    import_torch()
    image, kernels = _worked_inputs()
    blocked = np.array([[[0.0, 0.0], [0.0, -1.0]], [[1.0, 0.0], [0.0, 0.0]]])
    return [case("the worked problem", image=image, kernels=kernels, d_pooled=np.array([0.5, -0.5])),
            case("winner away from (0, 0)", image=np.array([[0.0, 0.0, 0.0], [0.0, 1.0, 2.0],
                                                            [0.0, 3.0, 4.0]]),
                 kernels=np.array([[[1.0, 0.0], [0.0, 1.0]]]), d_pooled=np.array([2.0])),
            case("a map whose maximum is negative (ReLU blocks)",
                 image=np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 0.0, 1.0]]),
                 kernels=-np.abs(blocked) - 0.5, d_pooled=np.array([1.0, -2.0])),
            case("three kernels", image=np.arange(20.0).reshape(4, 5) % 7,
                 kernels=np.array([[[1.0, -1.0], [0.0, 2.0]], [[0.5, 0.0], [1.0, 0.0]],
                                   [[-1.0, 0.0], [0.0, -1.0]]]), d_pooled=np.array([1.0, 2.0, -1.0]))]


# ------------------------------------------------------------- average pooling
def _avgpool_backward(x, grad_out, kernel_size):
    import torch
    xs = torch.tensor(x, requires_grad=True)
    torch.nn.functional.avg_pool2d(xs, kernel_size).backward(torch.tensor(grad_out))
    return xs.grad.numpy()


def _avgpool_mistake(x, grad_out, k, share):
    dx = np.zeros_like(x)
    h, w = grad_out.shape[2] * k, grad_out.shape[3] * k
    if share == "all":
        dx[:, :, :h, :w] = np.repeat(np.repeat(grad_out, k, axis=2), k, axis=3)
    else:
        dx[:, :, :h:k, :w:k] = grad_out
    return dx


@exercise(**LOOPS, reference=_avgpool_backward, mistakes=[
    ("avgpool_not_divided", lambda x, g, k: _avgpool_mistake(x, g, k, "all")),
    ("avgpool_to_one_cell", lambda x, g, k: _avgpool_mistake(x, g, k, "first") * k * k),
    ("avgpool_to_one_cell", lambda x, g, k: _avgpool_mistake(x, g, k, "first")),
])
def check_avgpool_backward():
    """Check ``avgpool_backward(x, grad_out, kernel_size)``: dL/dx of a k x k average pool, stride k.

    ``x`` (N, C, H, W), ``grad_out`` (N, C, H // k, W // k); rows and columns
    left over by the last window get 0. Reference: ``F.avg_pool2d`` under
    torch autograd.

    Examples
    --------
    >>> def avgpool_backward(x, grad_out, kernel_size):
    ...     k = kernel_size
    ...     h, w = grad_out.shape[2] * k, grad_out.shape[3] * k
    ...     dx = np.zeros_like(x)
    ...     dx[:, :, :h, :w] = np.repeat(np.repeat(grad_out, k, axis=2), k, axis=3) / k**2
    ...     return dx
    >>> r = check_avgpool_backward(avgpool_backward)
    avgpool_backward: passed 4 cases.
    """
    import_torch()
    rng = np.random.default_rng(133)
    return [case("one window", x=ints(rng, 1, 1, 2, 2), grad_out=np.array([[[[4.0]]]]), kernel_size=2),
            case("2x2 windows", x=ints(rng, 1, 1, 4, 4), grad_out=ints(rng, 1, 1, 2, 2), kernel_size=2),
            case("a left-over row and column", x=ints(rng, 2, 1, 5, 5), grad_out=ints(rng, 2, 1, 2, 2),
                 kernel_size=2),
            case("3x3 windows, channels", x=ints(rng, 1, 2, 6, 6), grad_out=ints(rng, 1, 2, 2, 2),
                 kernel_size=3)]


# ------------------------------------------------------------- stage 3, for a batch
def _batch_logit_grads(logits, targets):
    import torch
    z = torch.tensor(logits, requires_grad=True)
    torch.nn.functional.cross_entropy(z, torch.tensor(targets)).backward()  # the batch mean
    return z.grad.numpy()


def _softmax_rows(z, axis=1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _onehot(targets, k):
    return np.eye(k)[np.asarray(targets)]


@exercise(**NO_AUTOGRAD, reference=_batch_logit_grads, mistakes=[
    ("batch_mean_missing", lambda z, t: _softmax_rows(z) - _onehot(t, z.shape[1])),
    ("softmax_wrong_axis", lambda z, t: (_softmax_rows(z, axis=0) - _onehot(t, z.shape[1])) / len(z)),
    ("softmax_grad_sign", lambda z, t: (_onehot(t, z.shape[1]) - _softmax_rows(z)) / len(z)),
    ("softmax_grad_no_onehot", lambda z, t: _softmax_rows(z) / len(z)),
])
def check_batch_logit_grads():
    """Check ``batch_logit_grads(logits, targets)``: dL/dZ for the batch-mean cross-entropy.

    ``logits`` (N, K), ``targets`` N int labels; ``L = mean over e of
    -log softmax(Z[e])[targets[e]]``; returns (N, K). Reference:
    ``torch.nn.functional.cross_entropy`` (mean reduction) under autograd.

    Examples
    --------
    >>> def batch_logit_grads(logits, targets):
    ...     p = np.exp(logits - logits.max(axis=1, keepdims=True))
    ...     p /= p.sum(axis=1, keepdims=True)
    ...     p[np.arange(len(p)), targets] -= 1
    ...     return p / len(p)
    >>> r = check_batch_logit_grads(batch_logit_grads)
    batch_logit_grads: passed 5 cases.
    """
    import_torch()
    rng = np.random.default_rng(161)
    return [case("one example, two classes", logits=np.array([[1.0, 1.0]]), targets=np.array([1])),
            case("two examples", logits=np.array([[2.0, -1.0, 0.5], [0.0, 0.0, 3.0]]),
                 targets=np.array([0, 2])),
            case("large logits (subtract each row's maximum)",
                 logits=np.array([[1000.0, 999.0], [-1000.0, 0.0], [5.0, 5.0]]), targets=np.array([1, 1, 0])),
            case("a batch of five, four classes", logits=ints(rng, 5, 4), targets=rng.integers(0, 4, 5)),
            case("every example the same class", logits=rng.standard_normal((3, 3)),
                 targets=np.array([2, 2, 2]))]
