"""convlab.coverage against brute force through the core.

Every index map is recovered independently: one-hot output gradients (and
one-hot kernels or inputs) pushed through ``cl.conv2d_backward`` show exactly
which products reach which gradient entry.
"""
import itertools

import numpy as np
import pytest

import convlab as cl
from convlab import coverage
from convlab.shapes import receptive_field

# (input size (H, W), kernel (kH, kW), stride, padding, dilation)
CASES = [
    ((5, 5), (3, 3), 1, 0, 1),
    ((5, 6), (3, 2), 2, 1, 1),
    ((7, 7), (3, 3), 2, 0, 1),          # remainder: the last row/col is never read
    ((6, 6), (3, 3), 2, "same", 1),     # asymmetric padding (0, 1)
    ((5, 5), (2, 2), 1, "full", 1),
    ((7, 6), (2, 3), 3, 1, 2),          # dilation gaps
    ((4, 4), (2, 2), 1, 3, 1),          # padding wider than the kernel: the gather view crops
    ((6, 5), (3, 2), (2, 1), ((0, 2), (1, 0)), (1, 2)),
    ((3, 3), (1, 1), 2, 0, 1),
]
IDS = [f"{c[0]}-k{c[1]}-s{c[2]}-p{c[3]}-d{c[4]}" for c in CASES]


def _backward(grad_out, x, weight, stride, padding, dilation):
    return cl.conv2d_backward(grad_out[None, None], x[None, None], weight[None, None],
                              stride=stride, padding=padding, dilation=dilation)


def _one_hot(shape, index):
    a = np.zeros(shape)
    a[index] = 1.0
    return a


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_dx_contributions_match_one_hot_backward(case):
    shape, ksize, stride, padding, dilation = case
    g = coverage.geometry(shape, ksize, stride, padding, dilation)
    expected = {cell: set() for cell in np.ndindex(shape)}
    x = np.zeros(shape)
    for o in np.ndindex(g.output_shape):
        for t in np.ndindex(ksize):
            dx = _backward(_one_hot(g.output_shape, o), x, _one_hot(ksize, t),
                           stride, padding, dilation).dx[0, 0]
            for cell in zip(*np.nonzero(dx)):
                expected[tuple(int(v) for v in cell)].add((o, t))
    for cell in np.ndindex(shape):
        pairs = coverage.dx_contributions(*cell, shape, ksize, stride, padding, dilation)
        assert len(pairs) == len(set(pairs))
        assert set(pairs) == expected[cell], cell


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_dw_contributions_match_one_hot_backward(case):
    shape, ksize, stride, padding, dilation = case
    g = coverage.geometry(shape, ksize, stride, padding, dilation)
    expected = {t: set() for t in np.ndindex(ksize)}
    w = np.zeros(ksize)
    for o in np.ndindex(g.output_shape):
        for r in np.ndindex(shape):
            dw = _backward(_one_hot(g.output_shape, o), _one_hot(shape, r), w,
                           stride, padding, dilation).dw[0, 0]
            for t in zip(*np.nonzero(dw)):
                expected[tuple(int(v) for v in t)].add((o, r))
    for t in np.ndindex(ksize):
        pairs = coverage.dw_contributions(*t, shape, ksize, stride, padding, dilation)
        assert set(pairs) == expected[t], t


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_contributions_sum_to_the_gradients(case):
    shape, ksize, stride, padding, dilation = case
    rng = np.random.default_rng(0)
    g = coverage.geometry(shape, ksize, stride, padding, dilation)
    x, w, grad_out = rng.normal(size=shape), rng.normal(size=ksize), rng.normal(size=g.output_shape)
    grads = _backward(grad_out, x, w, stride, padding, dilation)
    for cell in np.ndindex(shape):
        pairs = coverage.dx_contributions(*cell, shape, ksize, stride, padding, dilation)
        total = sum(grad_out[o] * w[t] for o, t in pairs)
        assert total == pytest.approx(grads.dx[0, 0][cell], abs=1e-12)
    for t in np.ndindex(ksize):
        pairs = coverage.dw_contributions(*t, shape, ksize, stride, padding, dilation)
        total = sum(grad_out[o] * x[r] for o, r in pairs)
        assert total == pytest.approx(grads.dw[0, 0][t], abs=1e-12)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_window_cells_are_what_one_output_reads(case):
    shape, ksize, stride, padding, dilation = case
    g = coverage.geometry(shape, ksize, stride, padding, dilation)
    (top, _), (left, _) = g.padding
    for o in np.ndindex(g.output_shape):
        # the input gradient of one output with a kernel of ones marks the cells it reads
        read = _backward(_one_hot(g.output_shape, o), np.zeros(shape), np.ones(ksize),
                         stride, padding, dilation).dx[0, 0] != 0
        rows, cols = coverage.window_cells(*o, ksize, g.stride, g.dilation)
        mask = np.zeros(g.padded_shape, dtype=bool)
        mask[np.ix_(rows, cols)] = True
        np.testing.assert_array_equal(mask[top:top + shape[0], left:left + shape[1]], read)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_covered_and_uncovered_cells(case):
    shape, ksize, stride, padding, dilation = case
    g = coverage.geometry(shape, ksize, stride, padding, dilation)
    dx = _backward(np.ones(g.output_shape), np.zeros(shape), np.ones(ksize),
                   stride, padding, dilation).dx[0, 0]
    mask = coverage.covered_mask(shape, ksize, stride, padding, dilation)
    np.testing.assert_array_equal(mask, dx != 0)
    rows, cols = coverage.uncovered_cells(shape, ksize, stride, padding, dilation)
    np.testing.assert_array_equal(rows, np.flatnonzero((dx == 0).all(axis=1)))
    np.testing.assert_array_equal(cols, np.flatnonzero((dx == 0).all(axis=0)))


def test_uncovered_cells_stride_remainder_agrees_with_shapes_count():
    from convlab.shapes import uncovered_count as trailing

    for n, k, s in itertools.product(range(3, 9), range(1, 4), range(1, 4)):
        if s > k:  # windows leave gaps between them too, not only a remainder
            continue
        rows, _ = coverage.uncovered_cells((n, n), k, s)
        assert len(rows) == trailing(n, k, s)
        assert rows.tolist() == list(range(n - len(rows), n))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gather_gradient_gives_dx_by_a_valid_correlation(case):
    shape, ksize, stride, padding, dilation = case
    rng = np.random.default_rng(1)
    g = coverage.geometry(shape, ksize, stride, padding, dilation)
    w, grad_out = rng.normal(size=ksize), rng.normal(size=g.output_shape)
    spread = coverage.gather_gradient(grad_out, shape, ksize, stride, padding, dilation)
    assert spread.shape == (shape[0] + g.dilation[0] * (ksize[0] - 1),
                            shape[1] + g.dilation[1] * (ksize[1] - 1))
    dx = cl.correlate2d(spread, cl.flip_kernel(w), padding="valid", dilation=g.dilation)
    expected = _backward(grad_out, np.zeros(shape), w, stride, padding, dilation).dx[0, 0]
    np.testing.assert_allclose(dx, expected, atol=1e-12)
    labels = coverage.gather_cells(shape, ksize, stride, padding, dilation)
    assert labels.shape == spread.shape
    ones = coverage.gather_gradient(np.ones(g.output_shape), shape, ksize, stride, padding, dilation)
    np.testing.assert_array_equal(labels == 2, ones == 1)


def test_gather_gradient_rejects_a_wrong_shape():
    with pytest.raises(ValueError, match=r"grad_out must have shape \(3, 3\).*got \(2, 2\)"):
        coverage.gather_gradient(np.ones((2, 2)), 5, 3)


@pytest.mark.parametrize("layers", [
    ([3], [1], [1]), ([3, 3, 3], [1, 1, 1], [1, 1, 1]), ([3, 3], [2, 1], [1, 1]),
    ([2, 3], [2, 2], [1, 2]), ([5], [1], [2]),
])
def test_receptive_field_cells_match_shapes_and_backward(layers):
    ks, ss, ds = layers
    sizes, cells = coverage.receptive_field_cells(ks, ss, ds)
    assert len(cells[0]) <= receptive_field(ks, ss, ds)
    assert cells[0][-1] - cells[0][0] + 1 == receptive_field(ks, ss, ds)
    # push a one-hot gradient down the stack with all-ones kernels
    grad = _one_hot(sizes[-1], cells[-1][0])
    for level in range(len(ks) - 1, -1, -1):
        x = np.zeros((1, sizes[level]))
        w = np.ones((1, 1, ks[level]))
        grad = cl.conv1d_backward(grad[None], x, w, stride=ss[level], dilation=ds[level]).dx[0]
        np.testing.assert_array_equal(np.flatnonzero(grad), cells[level])


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="kernel_size must be a positive int; got 0"):
        coverage.geometry(5, 0)
    with pytest.raises(TypeError, match="stride must be an int; got '2'"):
        coverage.geometry(5, 3, stride="2")
    with pytest.raises(ValueError, match="position must lie in the top layer"):
        coverage.receptive_field_cells([3], [1], [1], position=7)
