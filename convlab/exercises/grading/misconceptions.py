"""The known mistakes the checkers can name, and the table of who names what.

Each key below is a misconception; its message is what a learner reads.
The wrong implementations themselves live next to the checker they belong
to (``forward.py``, ``backward.py``, ...), as small functions listed in that
checker's ``mistakes``. A checker names a misconception only when running
that wrong implementation on the failing case reproduces the learner's
answer exactly.
"""

MESSAGES = {
    # cross-correlation and convolution
    "kernel_flipped": "your kernel is flipped: you computed a true convolution, but deep "
                      "learning's 'convolution' is a cross-correlation (slide the kernel as "
                      "it is, no flip).",
    "kernel_not_flipped": "your kernel is not flipped: a true convolution (and the input "
                          "gradient) uses the kernel rotated by 180 degrees.",
    "flipped_one_axis": "you flipped the kernel along one axis only: a 180-degree rotation "
                        "flips both rows and columns.",
    "last_position_missing": "off by one: your loop stops one position early; there are "
                             "n - k + 1 positions, so use range(n - k + 1).",
    "hw_swapped": "H and W swapped: the height (rows) comes first and the width (columns) "
                  "second, for the input, the kernel and the output.",
    # output size and padding
    "floor_ceil": "floor/ceil mix-up in the output size: a window that does not fit is not "
                  "computed, so the convolution rounds down; only TensorFlow's SAME output "
                  "ceil(n / s) rounds up.",
    "dilation_from_0": "dilation counted from 0: in PyTorch and convlab dilation=1 is a dense "
                       "kernel, so a dilated kernel spans d*(k-1)+1 cells (some texts write "
                       "d-1 for the same thing).",
    "dilation_ignored": "dilation ignored: a kernel with dilation d spans d*(k-1)+1 cells, "
                        "not k.",
    "padding_one_side": "padding applied to one side only: padding p adds p cells before "
                        "*and* p after, 2p in total.",
    "plus_one_forgotten": "forgot the + 1: floor((n + 2p - d(k-1) - 1) / s) counts the "
                          "steps; the first position comes on top of them.",
    "same_pad_side": "the odd SAME padding cell is on the wrong side: it goes after "
                     "(bottom/right), as in TensorFlow.",
    "half_padding_same": "you used the stride-1 'half' padding (k-1)/2 on each side; SAME "
                         "padding for stride s makes ceil(n / s) outputs, so the total "
                         "depends on n and s.",
    "wrong_channels": "wrong number of output channels: they come from the weight's first "
                      "axis, C_out, not from the input.",
    # channels, bias, vectorising
    "forgot_bias": "you forgot the bias: add b[o] to every position of output channel o.",
    "bias_per_input_channel": "bias added once per input channel: add b[o] once per output "
                              "value, outside the sum over input channels.",
    "stride_ignored": "stride ignored: with stride s only every s-th window position is "
                      "computed.",
    "channels_last_order": "patch entries in channels-last order (m, n, c); convlab's "
                           "columns run over (c, m, n), matching weight.reshape(C_out, -1).",
    "matrix_transposed": "your matrix is transposed: it maps the flattened input (H*W entries) "
                         "to the flattened output, so its shape is (H_out*W_out, H*W).",
    "weight_flatten_order": "weight flattened in another order than the patch columns: "
                            "weight.reshape(C_out, -1) follows im2row's (c, m, n) order.",
    "reshape_without_transpose": "you reshaped (N, H_out*W_out, C_out) straight into "
                                 "(N, C_out, H_out, W_out): move the channel axis first "
                                 "(transpose), then reshape.",
    # backward: bias and kernel
    "bias_grad_not_summed_over_batch": "bias gradient not summed over the batch: every "
                                       "example contributes, so sum over N (not only the "
                                       "first example, not the mean).",
    "bias_grad_not_summed_over_positions": "bias gradient not summed over positions: the "
                                           "bias is used at every (i, j), so sum over H_out "
                                           "and W_out too.",
    "grad_not_summed_over_batch": "kernel gradient not summed over the batch: the kernel "
                                  "is shared by every example, so add up their "
                                  "contributions (not only the first, not the mean).",
    "scatter_flipped": "you scattered the flipped kernel: each grad_out[i, j] adds "
                       "grad_out[i, j] * weight, unflipped, into the window it came from.",
    "grad_flipped": "your kernel gradient is rotated by 180 degrees: dW[m, n] pairs "
                    "grad_out[i, j] with x[i + m, j + n] (a correlation, no flip).",
    "grad_channels_swapped": "channel axes swapped: dW has the weight's shape "
                             "(C_out, C_in, kH, kW).",
    # backward: input
    "overwrite": "you overwrite overlapping windows (`=` where `+=` is needed): where "
                 "windows overlap, their contributions must be added.",
    "padding_half_not_full": "the gradient was padded by (k-1)//2 instead of k-1 on each "
                             "side: the input gradient is a *full* correlation.",
    "weight_channels_not_swapped": "weight's channel axes not swapped: the input gradient "
                                   "sums over output channels, so use the weight as "
                                   "(C_in, C_out, kH, kW).",
    "stride_ignored_backward": "stride ignored in the backward pass (no zero insertion): "
                               "insert stride-1 zeros between gradient entries first.",
    "zero_insert_trailing": "zeros also inserted after the last entry: stride-1 zeros go "
                            "*between* entries only, giving (n-1)*s + 1 entries.",
    "zero_insert_count": "s zeros inserted instead of s-1: with stride s, consecutive "
                         "entries end up s apart, so s-1 zeros go between them.",
    "zero_insert_one_axis": "zeros inserted along one axis only: stride applies to rows and "
                            "columns.",
    # autograd
    "ignored_grad_output": "backward ignored grad_output: multiply by the incoming gradient "
                           "instead of assuming it is all ones.",
    # layers
    "linear_weight_transposed": "transposed weight in the linear backward: with W of shape "
                                "(out, in), dx = grad_out @ W, not grad_out @ W.T.",
    "linear_dw_transposed": "dW transposed: dW = grad_out.T @ x has W's shape (out, in).",
    "relu_grad_at_zero": "ReLU gradient at 0: the mask is x > 0 (strict), so an input of "
                         "exactly 0 passes no gradient.",
    "relu_uses_output": "you multiplied by the ReLU's output instead of its mask: the "
                        "gradient is grad_out * (x > 0).",
    "relu_mask_only": "you returned the mask alone: multiply it by grad_out.",
    "maxpool_all_cells": "max-pool gradient sent to all cells of the window: only the "
                         "maximum receives it.",
    "maxpool_all_ties": "gradient sent to every tied maximum: only the first maximum "
                        "(row-major order, as in PyTorch) receives it.",
    "maxpool_average": "that is the average-pool gradient: max pooling sends the whole "
                       "gradient to the maximum.",
    # filters and FFT
    "no_sqrt": "forgot the square root: the magnitude is sqrt(gx**2 + gy**2).",
    "abs_sum": "|gx| + |gy| is an approximation; the magnitude is sqrt(gx**2 + gy**2).",
    "one_direction": "only one direction: the magnitude combines the x and the y Sobel "
                     "responses.",
    "valid_not_same": "valid instead of same padding: pad the image with zeros so that the "
                      "output keeps the image's shape.",
    "gaussian_not_normalised": "kernel not normalised: divide by its sum so that blurring "
                               "keeps the mean brightness.",
    "gaussian_off_centre": "kernel off centre: the centre of a size-k kernel is at "
                           "(k - 1) / 2.",
    "gaussian_sigma_not_squared": "exp(-r**2 / (2*sigma)): sigma must be squared, "
                                  "exp(-r**2 / (2*sigma**2)).",
    "one_pass_only": "only one 1-D pass: a separable blur filters the rows *and* the "
                     "columns.",
    "linear_not_circular": "zero padding instead of wrap-around: the DFT computes a "
                           "circular correlation, the image wraps at its borders.",
    # geometry: unread cells and the receptive field
    "unread_remainder_is_padding": (
        "the remainder counts cells of the *padded* axis: its last p cells are padding, "
        "so only max(r - p, 0) real cells are left over at the end (and look for gaps "
        "between windows too)."),
    "unread_gaps_missed": (
        "you only looked at the end of the axis: when the kernel is shorter than the stride, "
        "or a dilated kernel's taps are further apart than the stride, cells between taps "
        "are skipped too; mark the cells every tap of every window lands on."),
    "unread_dilated_span_contiguous": (
        "a dilated window reads only its taps, d cells apart, not every cell of its span: "
        "the cells between two taps are read only if another window's tap lands there."),
    "receptive_order_reversed": (
        "the lists go first layer first: the stride of a layer widens the steps of the "
        "layers *above* it, so read the layers from the input upwards."),
    "unread_padding_not_shifted": (
        "the windows' positions count from the start of the *padded* axis: subtract p to "
        "get the input cell a tap reads."),
    "receptive_strides_ignored": (
        "strides ignored: after a stride-s layer, one step in the layer above spans s cells "
        "below, so later kernels grow the field s times faster."),
    "receptive_own_stride": (
        "a layer's own stride does not widen its own window: multiply (k_l - 1) by the "
        "strides of the layers *below* it only."),
    "receptive_overlap_counted_twice": (
        "neighbouring windows overlap: a k-tap layer adds k - 1 cells to the field, not k "
        "(the field of one cell is 1, not 0)."),
    # the layer interface
    "mean_inside_layer": "you divided by the batch size inside the layer: a layer sums "
                         "over the batch; the 1/N of a mean loss is already inside grad_out.",
    "forward_difference": "one-sided difference (f(x + eps) - f(x)) / eps: its error is of "
                          "order eps; the central difference (f(x + eps) - f(x - eps)) / (2 eps) "
                          "is exact for quadratics and has error of order eps**2.",
    "central_difference_not_halved": "you divided by eps instead of 2 eps: the two probes "
                                     "x + eps and x - eps are 2 eps apart.",
    # one-matmul kernel gradient, integrated strided input gradient
    "batch_mixed_in_reshape": "grad_out reshaped to (C_out, N*P) without moving C_out first: "
                              "that mixes examples and channels; transpose to (C_out, N, P) "
                              "before the reshape.",
    "zero_insert_one_row_too_many": "one row (and column) too many: that is the full "
                                    "correlation of a gradient zero-inserted *after* its last "
                                    "entry too; the windows end at s*(H_out-1) + k - 1.",
    # the worked problem and average pooling
    "winner_last_tie": "on a tie you picked the last maximum; PyTorch (and this exercise) "
                       "send the gradient to the first maximum in row-major order.",
    "winner_column_major": "winner searched column by column: row-major order scans row 0 "
                           "left to right, then row 1, ... (np.argmax on the flattened map).",
    "winner_flat_index": "you returned the flat index; return (row, column), e.g. with "
                         "np.unravel_index.",
    "softmax_grad_sign": "sign flipped: dL/dz = softmax(z) - onehot(label), not the other "
                         "way round (the loss falls when the right logit rises).",
    "softmax_grad_no_onehot": "you returned softmax(z) alone: subtract 1 at the true label.",
    "worked_relu_ignored": "the ReLU was ignored: where the winning pre-activation is <= 0 "
                           "the ReLU blocks the gradient, so that kernel gets 0.",
    "avgpool_not_divided": "the gradient was not divided by the window size: each output "
                           "is the *mean* of k*k inputs, so each input gets grad_out / k**2.",
    "avgpool_to_one_cell": "the whole gradient went to one cell of the window; an average "
                           "depends on every cell equally, so each gets grad_out / k**2.",
    "worked_patch_at_origin": "you always took the patch under output (0, 0); take the patch "
                              "under the *winning* position of each map.",
    # fitting a kernel, rank-one factors
    "mean_factor_missing": "the factor 2/(H*W) is missing: the loss is a *mean* of "
                           "squares, so its gradient is (2 / (H*W)) * correlate(pad(I), R).",
    "square_factor_missing": "the factor 2 of the square is missing: d(r**2)/dr = 2r.",
    "zero_pivot": "you divided by an entry that is 0 (a zero corner): pick the largest "
                  "entry as pivot, or use the SVD.",
}


def misconception_table(checkers):
    """Rows ``(checker name, [misconception keys])`` for ``checkers``.

    Examples
    --------
    >>> def check_f(fn): pass
    >>> check_f.mistakes = [("kernel_flipped", abs)]
    >>> misconception_table([check_f])
    [('check_f', ['kernel_flipped'])]
    """
    rows = []
    for checker in checkers:
        keys = []
        for key, _ in getattr(checker, "mistakes", ()):
            if key not in keys:
                keys.append(key)
        rows.append((checker.__name__, keys))
    return rows


# Lessons 00-06: messages of the transfer exercises (appended; keys unique).
MESSAGES.update({
    "gradient_rebound": "backward rebinds grads[name] to a new array, so an optimiser "
                        "holding the old (param, grad) pairs steps with stale zeros and the "
                        "weights never move: write in place, grads[name][...] = value.",
})
MESSAGES.update({
    "residual_skip_dropped": "you returned only the gradient that went through the layers: "
                             "x reaches the output along two paths (x itself and F(x)), and "
                             "the chain rule adds both, dL/dx = g + (g sent back through F).",
    "residual_branch_dropped": "you returned the output gradient unchanged: that is only the "
                               "skip path; x also reaches the output through the layers, whose "
                               "backward you must run (it also fills their grads).",
    "backward_not_reversed": "the backward calls ran in forward order: the gradient must meet "
                             "the last layer first, so loop over reversed(layers).",
})
MESSAGES.update({
    "stride_ignored": "you slid the gradient over the input one cell at a time: with stride s, "
                      "output i read input s*i + ..., so tap u met x[s*i + d*u], i.e. the slice "
                      "x[d*u : ... : s].",
    "dilation_ignored": "you took the taps next to each other: with dilation d, tap u sits d*u "
                        "cells from the window's start, so it met x[s*i + d*u].",
    "stride_and_dilation_ignored": "that is lesson 06's stride-1, dense formula x[i + u]: here "
                                   "output i read x[s*i + d*u] for tap u.",
    "kernel_grad_not_summed_over_batch": "only the first example counted: the kernel is shared "
                                         "by every example, so its gradient sums over the batch "
                                         "(and over every position).",
    "channels_last_in_out_swapped": "dK[m, n] is a C x O matrix (input channels are rows): "
                                    "the outer product is image column times grad_out row, "
                                    "not the other way round.",
    "channels_last_returned_channels_first": "you returned PyTorch's (O, C, kH, kW) layout: a "
                                             "channels-last kernel is [kH, kW, C, O].",
})
MESSAGES.update({
    "input_grad_channels_not_swapped": "the kernel matrix mixes its axes: a row must hold one "
                                       "input channel c with entries ordered (o, m, n), i.e. "
                                       "flip(weight).transpose(1, 0, 2, 3).reshape(C_in, -1), "
                                       "not weight.reshape(C_in, -1).",
    "input_grad_not_fully_padded": "the output gradient needs k - 1 zeros on every side (a "
                                   "full correlation): every input cell, even a corner read by "
                                   "one window only, gets a row of the patch matrix.",
    "input_grad_reshape_without_transpose": "you reshaped (N, H*W, C_in) straight into "
                                            "(N, C_in, H, W): move the channel axis first "
                                            "(transpose), then reshape.",
})
MESSAGES.update({
    "same_formula_reused": "you aimed at TensorFlow's ceil(n / s) outputs: the target here is "
                           "the n_out you were given; solve n_out = (n + total - d(k-1) - 1) // s + 1 "
                           "for the smallest total.",
    "padding_dilation_ignored": "the kernel spans d(k-1) + 1 cells, not k: a dilated kernel "
                                "needs more padding for the same output size.",
    "negative_padding": "you returned a negative padding: when (n_out - 1) s + d(k-1) + 1 < n, "
                        "the floor in the size formula already drops the leftover cells, so "
                        "no padding at all, (0, 0), gives n_out outputs.",
})
MESSAGES.update({
    "full_convolution_valid_only": "you returned only the H - k + 1 outputs where the kernel fits "
                                   "inside x: the full convolution has H + k - 1 outputs, every i "
                                   "where x[i - u] w[u] has at least one non-zero term.",
    "full_convolution_one_side": "you padded one side only: the full convolution runs from i = 0 "
                                 "(only x[0] w[0]) to i = H + k - 2 (only x[H-1] w[k-1]).",
    "full_convolution_output_reversed": "you reversed the output instead of the kernel: the flip "
                                        "belongs to w (x[i - u] pairs with w[u]), not to the result.",
})
MESSAGES.update({
    "chain_activation_derivative_missing": "the tanh in the middle has a derivative too: each "
                                           "hidden unit j multiplies the gradient by 1 - h_j**2.",
    "chain_derivative_of_wrong_quantity": "you used 1 - z**2 with z = w1 @ x: tanh's derivative "
                                          "is 1 - tanh(z)**2 = 1 - h**2, at the layer's output.",
    "chain_matrices_not_transposed": "dL/dh = g @ w2 (sum over the outputs o of g_o w2[o, j]), "
                                     "i.e. w2.T @ g as a column: the matrices enter transposed.",
    "jacobian_transposed": "a Jacobian has one row per output entry and one column per input "
                           "entry: (D_out, D_out * D_in) here.",
    "vec_column_major": "that is the column-stacking vec of linear-algebra texts: this course's "
                        "vec is row-major (x.reshape(-1)), where vec(A X B) = (A kron B^T) vec(X).",
    "jacobian_with_respect_to_input": "W is dy/dx, the Jacobian with respect to the input; the "
                                      "one asked for is with respect to the weights, I kron x^T.",
    "kron_without_transpose": "entry (alpha, beta) of A X B is sum A[alpha, r] X[r, c] B[c, beta]: "
                              "B enters through its column beta, so the factor is B^T.",
    "kron_factors_swapped": "row-major vec runs the row index slowest: A's index comes first, "
                            "M = kron(A, B^T).",
    "einsum_batch_summed": "the batch letter is missing from the output: einsum summed over "
                           "the examples. Keep e on the right of ->.",
    "einsum_axes_out_of_order": "the output letters are in the wrong order: (N, C_out, H, W) is "
                                "'eoij'.",
    "einsum_weight_transposed": "weight[o, c] is read as weight[c, o]: the first letter of the "
                                "weight is the output channel.",
    "mean_forgotten": "the loss is the batch mean: G carries the 1/N (divide by the number of "
                      "examples).",
    "onehot_minus_softmax": "the sign is reversed: dL/dz = softmax(z) - onehot(t), which is "
                            "positive for the wrong classes (raising them raises the loss).",
    "softmax_over_batch_axis": "softmax normalises each example's logits, along axis 1 (the "
                               "classes), not down the batch.",
})
