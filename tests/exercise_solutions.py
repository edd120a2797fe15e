"""Learner-style solutions and classic mistakes for the exercise checkers.

Written from the formulas with plain loops and numpy, independently of
convlab's library code, the way a student would: the checkers must accept
the right ones and name the mistake in the wrong ones.
"""

import math

import numpy as np


# ------------------------------------------------------------------ 01
def correlate1d(p, w):
    k = len(w)
    return np.array([sum(p[i + u] * w[u] for u in range(k)) for i in range(len(p) - k + 1)])


def correlate2d(image, kernel):
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def convolve2d(image, kernel):
    return correlate2d(image, kernel[::-1, ::-1])


# ------------------------------------------------------------------ 02
def output_size(n, k, s, p, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def same_padding(n, k, s, d):
    n_out = math.ceil(n / s)
    total = max((n_out - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def output_shape(x_shape, weight_shape, stride, padding):
    n, _, h, w = x_shape
    c_out, _, kh, kw = weight_shape
    return (n, c_out, output_size(h, kh, stride[0], padding[0], 1),
            output_size(w, kw, stride[1], padding[1], 1))


def unread_cells(n, k, s, p, d):
    # Lay out the padded axis, mark every cell a tap lands on, keep the unmarked real cells.
    padded = [None] * p + list(range(n)) + [None] * p
    seen = set()
    start = 0
    while start + d * (k - 1) < len(padded):
        seen.update(padded[start + t * d] for t in range(k))
        start += s
    return [cell for cell in range(n) if cell not in seen]


def receptive_field(kernel_sizes, strides):
    # Walk down from one top cell: an interval of cells widens by (k - 1) and scales by s.
    width = 1
    for k, s in reversed(list(zip(kernel_sizes, strides))):
        width = (width - 1) * s + k
    return width


# ------------------------------------------------------------------ 03
def conv_forward_loops(x, weight, bias):
    n, c_in, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    y = np.zeros((n, c_out, h - kh + 1, w - kw + 1))
    for b in range(n):
        for o in range(c_out):
            for i in range(y.shape[2]):
                for j in range(y.shape[3]):
                    y[b, o, i, j] = bias[o] + np.sum(x[b, :, i:i + kh, j:j + kw] * weight[o])
    return y


def conv_forward_shift(x, weight, bias, stride):
    n, c_in, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    h_out, w_out = (h - kh) // stride + 1, (w - kw) // stride + 1
    y = np.zeros((n, h_out, w_out, c_out)) + bias
    for m in range(kh):
        for k in range(kw):
            patch = x[:, :, m:m + stride * h_out:stride, k:k + stride * w_out:stride]
            y += patch.transpose(0, 2, 3, 1) @ weight[:, :, m, k].T
    return y.transpose(0, 3, 1, 2)


# ------------------------------------------------------------------ 04
def im2row(x, kernel_size, stride):
    c, h, w = x.shape
    kh, kw = kernel_size
    rows = []
    for i in range(0, h - kh + 1, stride):
        for j in range(0, w - kw + 1, stride):
            rows.append(x[:, i:i + kh, j:j + kw].ravel())
    return np.array(rows)


def conv_matrix(kernel, input_shape, stride):
    h, w = input_shape
    kh, kw = kernel.shape
    h_out, w_out = (h - kh) // stride + 1, (w - kw) // stride + 1
    t = np.zeros((h_out * w_out, h * w))
    for i in range(h_out):
        for j in range(w_out):
            for m in range(kh):
                for n in range(kw):
                    t[i * w_out + j, (i * stride + m) * w + j * stride + n] = kernel[m, n]
    return t


def conv_via_im2row(x, weight, bias):
    c_out, _, kh, kw = weight.shape
    rows = np.stack([im2row(image, (kh, kw), 1) for image in x])  # (N, P, C*kH*kW)
    y = rows @ weight.reshape(c_out, -1).T + bias  # (N, P, C_out)
    return y.transpose(0, 2, 1).reshape(len(x), c_out, x.shape[2] - kh + 1, x.shape[3] - kw + 1)


# ------------------------------------------------------------------ 05
class AffineLayer:
    def __init__(self, weight, bias):
        self.params = {"weight": weight, "bias": bias}
        self.grads = {"weight": np.zeros_like(weight), "bias": np.zeros_like(bias)}

    def forward(self, x):
        self.x = x
        return x @ self.params["weight"].T + self.params["bias"]

    def backward(self, grad_out):
        self.grads["weight"][...] = grad_out.T @ self.x
        self.grads["bias"][...] = grad_out.sum(axis=0)
        return grad_out @ self.params["weight"]


def backprop(layers, x, loss_grad):
    for layer in layers:
        x = layer.forward(x)
    g = loss_grad(x)
    for layer in layers[::-1]:
        g = layer.backward(g)
    return g


def residual_backprop(layers, x, loss_grad):
    out = x
    for layer in layers:
        out = layer.forward(out)
    g = loss_grad(x + out)
    through = g
    for layer in layers[::-1]:
        through = layer.backward(through)
    return through + g


def numerical_gradient(f, x, eps):
    grad = np.zeros(x.shape)
    probe = x.astype(float)  # a copy: x itself stays unchanged
    for index in np.ndindex(x.shape):
        old = probe[index]
        probe[index] = old + eps
        up = f(probe)
        probe[index] = old - eps
        down = f(probe)
        probe[index] = old
        grad[index] = (up - down) / (2 * eps)
    return grad


# ------------------------------------------------------------------ 06
def kernel_grad_1d(p, g):
    return np.array([g @ p[u:u + len(g)] for u in range(len(p) - len(g) + 1)])


def bias_grad(grad_out):
    return grad_out.sum(axis=(0, 2, 3))


def kernel_grad_one_matmul(x, grad_out, kernel_size):
    rows = np.stack([im2row(image, kernel_size, 1) for image in x])  # (N, P, C*kH*kW)
    rows = rows.reshape(-1, rows.shape[-1])  # (N*P, C*kH*kW): every example's patches
    c_out = grad_out.shape[1]
    delta = grad_out.transpose(1, 0, 2, 3).reshape(c_out, -1)  # (C_out, N*P), same order
    return (delta @ rows).reshape(c_out, x.shape[1], *kernel_size)


def kernel_grad(x, grad_out):
    n, c_out, h_out, w_out = grad_out.shape
    kh, kw = x.shape[2] - h_out + 1, x.shape[3] - w_out + 1
    dw = np.zeros((c_out, x.shape[1], kh, kw))
    for m in range(kh):
        for k in range(kw):
            dw[:, :, m, k] = np.einsum("boij,bcij->oc", grad_out, x[:, :, m:m + h_out, k:k + w_out])
    return dw


# ------------------------------------------------------------------ 07
def scatter_input_grad(grad_out, weight, accumulate=True):
    n, c_out, h_out, w_out = grad_out.shape
    _, c_in, kh, kw = weight.shape
    dx = np.zeros((n, c_in, h_out + kh - 1, w_out + kw - 1))
    for b in range(n):
        for o in range(c_out):
            for i in range(h_out):
                for j in range(w_out):
                    if accumulate:
                        dx[b, :, i:i + kh, j:j + kw] += grad_out[b, o, i, j] * weight[o]
                    else:  # the classic slip
                        dx[b, :, i:i + kh, j:j + kw] = grad_out[b, o, i, j] * weight[o]
    return dx


def input_grad(grad_out, weight, flip=True):
    kh, kw = weight.shape[2:]
    padded = np.pad(grad_out, ((0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
    rotated = weight[:, :, ::-1, ::-1] if flip else weight
    n, c_out, h, w = padded.shape
    dx = np.zeros((n, weight.shape[1], h - kh + 1, w - kw + 1))
    for i in range(dx.shape[2]):
        for j in range(dx.shape[3]):
            dx[:, :, i, j] = np.einsum("boij,ocij->bc", padded[:, :, i:i + kh, j:j + kw], rotated)
    return dx


def row2im(rows, input_shape, kernel_size, stride, accumulate=True):
    c, h, w = input_shape
    kh, kw = kernel_size
    image = np.zeros(input_shape)
    positions = [(i, j) for i in range(0, h - kh + 1, stride) for j in range(0, w - kw + 1, stride)]
    for (i, j), row in zip(positions, rows):
        if accumulate:
            image[:, i:i + kh, j:j + kw] += row.reshape(c, kh, kw)
        else:
            image[:, i:i + kh, j:j + kw] = row.reshape(c, kh, kw)
    return image


# ------------------------------------------------------------------ 08
def zero_insert(g, stride):
    h, w = g.shape[-2:]
    out = np.zeros(g.shape[:-2] + ((h - 1) * stride + 1, (w - 1) * stride + 1))
    out[..., ::stride, ::stride] = g
    return out


def strided_input_grad(grad_out, weight, stride, input_size, insert=True):
    g = zero_insert(grad_out, stride) if insert else grad_out
    dx = input_grad(g, weight)
    out = np.zeros(dx.shape[:2] + tuple(input_size))
    h, w = min(dx.shape[2], input_size[0]), min(dx.shape[3], input_size[1])
    out[:, :, :h, :w] = dx[:, :, :h, :w]
    return out


def integrated_input_grad(grad_out, weight, stride, input_size):
    # Scatter each kernel tap: tap (m, q) of output (i, j) lands on input (s*i + m, s*j + q).
    n, _, h_out, w_out = grad_out.shape
    _, c_in, kh, kw = weight.shape
    dx = np.zeros((n, c_in, *input_size))
    for m in range(kh):
        for q in range(kw):
            dx[:, :, m:m + stride * h_out:stride, q:q + stride * w_out:stride] += np.einsum(
                "boij,oc->bcij", grad_out, weight[:, :, m, q])
    return dx


def strided_kernel_grad(x, grad_out, stride, kernel_size):
    n, c_out, h_out, w_out = grad_out.shape
    kh, kw = kernel_size
    dw = np.zeros((c_out, x.shape[1], kh, kw))
    for m in range(kh):
        for k in range(kw):
            window = x[:, :, m:m + stride * h_out:stride, k:k + stride * w_out:stride]
            dw[:, :, m, k] = np.einsum("boij,bcij->oc", grad_out, window)
    return dw


# ------------------------------------------------------------------ 10
def feature_maps(image, kernels):
    return np.array([correlate2d(image, kernel) for kernel in kernels])


def pool_winners(maps):
    winners = []
    for m in maps:
        best = (0, 0)
        for r in range(m.shape[0]):
            for c in range(m.shape[1]):
                if m[r, c] > m[best]:  # strict: the first maximum stays on a tie
                    best = (r, c)
        winners.append(best)
    return np.array(winners)


def logit_grads(logits, target):
    p = np.exp(logits - logits.max())
    p /= p.sum()
    p[target] -= 1
    return p


def kernel_grads(image, kernels, d_pooled):
    k = kernels.shape[-1]
    maps = feature_maps(image, kernels)
    grads = np.zeros_like(kernels)
    for index, (r, c) in enumerate(pool_winners(maps)):
        if maps[index, r, c] > 0:  # the ReLU passes the gradient
            grads[index] = d_pooled[index] * image[r:r + k, c:c + k]
    return grads


def avgpool_backward(x, grad_out, kernel_size):
    k = kernel_size
    dx = np.zeros_like(x)
    for i in range(grad_out.shape[2]):
        for j in range(grad_out.shape[3]):
            dx[:, :, i * k:(i + 1) * k, j * k:(j + 1) * k] = grad_out[:, :, i:i + 1, j:j + 1] / k**2
    return dx


def relu_backward(x, grad_out):
    return grad_out * (x > 0)


def maxpool_backward(x, grad_out, kernel_size, stride, to_all_cells=False):
    dx = np.zeros_like(x)
    n, c, h_out, w_out = grad_out.shape
    for b in range(n):
        for ch in range(c):
            for i in range(h_out):
                for j in range(w_out):
                    window = x[b, ch, i * stride:i * stride + kernel_size,
                               j * stride:j * stride + kernel_size]
                    if to_all_cells:
                        dx[b, ch, i * stride:i * stride + kernel_size,
                           j * stride:j * stride + kernel_size] += grad_out[b, ch, i, j]
                        continue
                    m, k = np.unravel_index(np.argmax(window), window.shape)
                    dx[b, ch, i * stride + m, j * stride + k] += grad_out[b, ch, i, j]
    return dx


def linear_backward(x, weight, grad_out):
    return grad_out @ weight, grad_out.T @ x, grad_out.sum(axis=0)


# ------------------------------------------------------------------ 11
SOBEL_X = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])


def sobel_magnitude(image):
    padded = np.pad(image, 1)
    gx, gy = correlate2d(padded, SOBEL_X), correlate2d(padded, SOBEL_X.T)
    return np.sqrt(gx ** 2 + gy ** 2)


def kernel_loss_grad(image, kernel, target):
    # L = mean(r**2), r = correlate(pad(I), K) - T; dL/dK[m, n] = 2/(HW) sum r[i, j] pad(I)[i+m, j+n]
    padded = np.pad(image, kernel.shape[0] // 2)
    residual = correlate2d(padded, kernel) - target
    return 2 / image.size * correlate2d(padded, residual)


def gaussian_kernel(size, sigma):
    t = np.arange(size) - (size - 1) / 2
    g = np.exp(-(t[:, None] ** 2 + t[None, :] ** 2) / (2 * sigma ** 2))
    return g / g.sum()


def rank_one_factors(kernel):
    # Pivot on the largest entry: kernel = outer(column through it, row through it / pivot).
    r, c = np.unravel_index(np.argmax(np.abs(kernel)), kernel.shape)
    return kernel[:, c], kernel[r] / kernel[r, c]


def separable_blur(image, kernel1d):
    r = len(kernel1d) // 2
    padded = np.pad(image, r)
    columns = sum(kernel1d[u] * padded[u:u + image.shape[0], :] for u in range(len(kernel1d)))
    return sum(kernel1d[u] * columns[:, u:u + image.shape[1]] for u in range(len(kernel1d)))


# ------------------------------------------------------------------ 12
def circular_correlate_fft(image, kernel):
    spectrum = np.fft.fft2(image) * np.conj(np.fft.fft2(kernel, s=image.shape))
    return np.fft.ifft2(spectrum).real


def circulant_matrix(w, n):
    c = np.zeros((n, n))
    for i in range(n):
        for u in range(len(w)):
            c[i, (i + u) % n] += w[u]
    return c


def winograd_f23(d, g):
    m1 = (d[0] - d[2]) * g[0]
    m2 = (d[1] + d[2]) * (g[0] + g[1] + g[2]) / 2
    m3 = (d[2] - d[1]) * (g[0] - g[1] + g[2]) / 2
    m4 = (d[1] - d[3]) * g[2]
    return np.array([m1 + m2 + m3, m2 - m3 - m4])


def kernel_grad_1d_strided(x, g, k, s, d):
    dw = np.zeros(k)
    for i, gi in enumerate(g):
        for u in range(k):
            dw[u] += gi * x[s * i + d * u]
    return dw


def kernel_grad_nhwc(image, grad_out, kernel_size, stride):
    n_img, h_out, w_out, o = grad_out.shape
    dk = np.zeros(tuple(kernel_size) + (image.shape[3], o))
    for e in range(n_img):
        for i in range(h_out):
            for j in range(w_out):
                window = image[e, stride * i:stride * i + kernel_size[0],
                               stride * j:stride * j + kernel_size[1]]       # (kH, kW, C)
                dk += window[..., None] * grad_out[e, i, j]
    return dk


def input_grad_im2row(grad_out, weight):
    """Full correlation of G with the flipped kernel, each (e, c, i', j') by its own sum."""
    n, c_out, h_out, w_out = grad_out.shape
    _, c_in, kh, kw = weight.shape
    dx = np.zeros((n, c_in, h_out + kh - 1, w_out + kw - 1))
    for i in range(h_out):
        for j in range(w_out):
            # output (i, j) read x[:, :, i:i+kh, j:j+kw]: scatter G back through the weights
            dx[:, :, i:i + kh, j:j + kw] += np.einsum("eo,ocmn->ecmn", grad_out[:, :, i, j], weight)
    return dx


def padding_for_size(n, n_out, k, s, d):
    """Walk the total padding up from 0 until the window count reaches n_out."""
    total = 0
    while (n + total - d * (k - 1) - 1) // s + 1 < n_out:
        total += 1
    return (total // 2, (total + 1) // 2)


def convolve_full1d(x, w):
    """Scatter form: input x[t] adds x[t] * w to outputs t, ..., t + k - 1."""
    y = np.zeros(len(x) + len(w) - 1)
    for t, value in enumerate(x):
        y[t:t + len(w)] += value * w
    return y


def chain_rule_grad(w1, w2, x, g):
    h = np.tanh(w1 @ x)
    return ((g @ w2) * (1 - h ** 2)) @ w1


def affine_weight_jacobian(weight, x):
    d_out, d_in = weight.shape
    jac = np.zeros((d_out, d_out * d_in))
    for o in range(d_out):
        jac[o, o * d_in:(o + 1) * d_in] = x          # y_o = sum_c W[o, c] x_c
    return jac


def vec_kron(a, b, x_shape):
    p, q = a.shape[0], b.shape[1]
    r, c = x_shape
    m = np.zeros((p * q, r * c))
    for alpha in range(p):
        for beta in range(q):
            for i in range(r):
                for j in range(c):
                    m[alpha * q + beta, i * c + j] = a[alpha, i] * b[j, beta]
    return m


def channel_mix(weight, x):
    return np.tensordot(weight, x, axes=([1], [1])).transpose(1, 0, 2, 3)


def cross_entropy_grad(logits, labels):
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = shifted / shifted.sum(axis=1, keepdims=True)
    probs[np.arange(len(labels)), labels] -= 1.0
    return probs / len(labels)
