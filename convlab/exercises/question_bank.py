"""The lessons' questions: what each asks, its answer, and why each wrong answer is wrong.

Each question is declared once here and asked from its lesson by name,
``ask("name", answer)``; ``python -m convlab.exercises misconceptions``
lists them with what every wrong answer diagnoses.
"""

from .questions import INVALID, multiple_choice, predict_shape, predict_value

# ------------------------------------------------------------ the layer interface
predict_value(
    "jacobian_entries", lesson="045",
    prompt="A 3x3 convolution with padding 1 maps x of shape (1, 3, 32, 32) to y of shape "
           "(1, 16, 32, 32). How many entries has the Jacobian dy/dx, if it were stored?",
    correct=16 * 32 * 32 * 3 * 32 * 32,
    wrong={16 * 3 * 3 * 3: "that is the number of weights; the Jacobian has one entry per "
                           "(output, input) pair: 16*32*32 times 3*32*32.",
           16 * 32 * 32: "that is the number of outputs; each output has a row of 3*32*32 "
                         "partial derivatives, one per input.",
           16 * 32 * 32 * 27: "that counts only the non-zero entries (27 inputs per output); "
                              "stored, the tensor holds every (output, input) pair."},
    hint="one entry per pair (output entry, input entry).",
    why_right="the conv Jacobian is a huge, sparse tensor: backprop never forms it.")

predict_value(
    "fc_outer_product_cost", lesson="045",
    prompt="A fully connected layer maps p (784 values) to q (10 values). How many "
           "multiplications does dL/dW = (dL/dq)^T p^T, the outer product, take for one example?",
    correct=7840,
    wrong={78400: "that is multiplying dL/dq (1 x 10) by the whole Jacobian dq/dvec(W) "
                  "(10 x 7840); the outer product skips its zeros, one product per weight.",
           784: "that is one row of W; every one of the 7840 weights gets one product.",
           10: "that is one column of W; every one of the 7840 weights gets one product."},
    hint="one product per weight.")

multiple_choice(
    "batch_mean_scale", lesson="045",
    prompt="The loss is the mean of N per-example losses. Where does the 1/N end up in "
           "the backward pass?",
    choices={"a": "In G: the loss layer's gradient dL/dlogits is divided by N, and every "
                  "layer below just sums over the batch.",
             "b": "Every layer divides its parameter gradients by N.",
             "c": "Nowhere: the gradient of a mean equals the gradient of the sum.",
             "d": "Only in the bias gradients, which are sums over the batch."},
    correct="a",
    explain={"b": "then the gradients would be divided by N once per layer, and the layers "
                  "do not even know they are fed a mean; the 1/N enters once, at the loss, "
                  "and the chain rule carries it down inside G.",
             "c": "a mean is a sum times 1/N, and the derivative is linear: the gradient is "
                  "scaled by 1/N as well.",
             "d": "every parameter gradient is a sum over the batch (weights too, through "
                  "G^T P); they all carry the same 1/N, inherited from G."},
    why_right="G = dL/dY already holds the 1/N; layers sum over the batch.")

predict_value(
    "sphere_of_influence", lesson="045",
    prompt="A 6x6 input, a 3x3 kernel, stride 1, no padding (4x4 output). How many outputs "
           "does the input pixel at row 0, column 2 influence?",
    correct=3,
    wrong={9: "that is an interior pixel; a pixel in the top row is read only by windows "
              "that start in row 0, so only one row of outputs.",
           1: "that is a corner pixel; column 2 is read by windows starting at columns 0, 1 "
              "and 2.",
           4: "count windows: output (i, j) reads rows i..i+2 and columns j..j+2."},
    hint="output (i, j) reads rows i..i+2 and columns j..j+2 of the input.")

# ------------------------------------------------------------ lesson 05
predict_value(
    "bias_grad_value", lesson="05",
    prompt="G = dL/dY is all ones, of shape (N, C_out, H_out, W_out) = (4, 2, 3, 5). "
           "What is dL/db_0?",
    correct=60,
    wrong={4: "that sums over the batch only; the bias is added at all 3*5 positions too.",
           120: "that sums over both output channels; b_0 is added to channel 0 only.",
           15: "that is one example (or the batch mean); the bias is shared by the "
               "whole batch, so the 4 examples' contributions add up (any 1/N of a mean "
               "loss is already inside G).",
           1: "that is a mean over all entries; the bias gradient is a sum over the batch "
              "and every position."},
    hint="b_0 is added once to every position of channel 0 of every example.")

multiple_choice(
    "matmul_gradient", lesson="05",
    prompt="Y = W X with W of shape (2, 3) and X of shape (3, 4); G = dL/dY. Which is dL/dW?",
    choices={"a": "G X^T", "b": "X^T G", "c": "G^T X", "d": "X G^T"},
    correct="a",
    explain={"b": "X^T G multiplies (4, 3) by (2, 4): the shapes do not even match. From "
                  "Y_ij = sum_k W_ik X_kj, dL/dW_ik = sum_j G_ij X_kj: the sum runs over "
                  "j, the second index of both G and X.",
             "c": "G^T X multiplies (4, 2) by (3, 4): the shapes do not match; the sum over "
                  "j pairs the columns of G with the columns of X, which is G X^T.",
             "d": "X G^T has shape (3, 2): it is (dL/dW)^T, the gradient transposed."},
    why_right="dL/dW_ik = sum_j G_ij X_kj = (G X^T)_ik.")

predict_value(
    "kernel_grad_products", lesson="05",
    prompt="x of shape (1, 1, 6, 6), a 3x3 kernel, stride 1, no padding. How many "
           "multiplications G_ij * x_(i+m, j+n) make up the whole kernel gradient dW?",
    correct=144,
    wrong={9: "that is the number of kernel entries; each is a sum over all 16 output "
              "positions.",
           16: "that is one kernel entry's sum; there are 9 entries.",
           36: "that is the input size; each of the 9 entries pairs G (4x4) with a 4x4 "
               "crop of the input."},
    hint="9 entries, each a dot product of G with a crop of the input the size of G.")

# ------------------------------------------------------------ lesson 06
predict_value(
    "impulse_response", lesson="06",
    prompt="A 5x5 image is 0 except a 1 at the centre (2, 2). It is cross-correlated, with "
           "padding 1, with w = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]. What is the output at "
           "(1, 1), up and left of the centre?",
    correct=9,
    wrong={1: "that would be a true convolution. Correlation: out(1, 1) = sum w[m, n] "
              "x[m, n] over the window rows 0..2, columns 0..2; the 1 sits at window offset "
              "(2, 2), so out(1, 1) = w[2, 2]. The impulse prints the kernel rotated.",
           5: "the centre weight meets the impulse only at output (2, 2).",
           0: "the window of output (1, 1) covers rows 0..2 and columns 0..2, which "
              "include the centre."},
    hint="write out(1, 1) = sum over m, n of w[m, n] x[m, n] (padding 1 shifts the window by one).")

multiple_choice(
    "why_rotated", lesson="06",
    prompt="Why is the kernel rotated by 180 degrees in dL/dX of a cross-correlation layer?",
    choices={"a": "Because dL/dx_t = sum_i g_i w_(t-i): as the output index i grows, the "
                  "kernel index t - i shrinks, so the kernel is read backwards.",
             "b": "Because PyTorch's conv2d is a true convolution, which flips the kernel.",
             "c": "To undo the flip of the forward pass.",
             "d": "Because the input gradient must have the input's shape."},
    correct="a",
    explain={"b": "conv2d is a cross-correlation: it never flips. The flip appears only in "
                  "the input gradient.",
             "c": "the forward pass does not flip (it is a correlation); the flip is created "
                  "by the index t - i of the backward pass.",
             "d": "the shape comes from the full padding (k - 1 each side), not from the flip."},
    why_right="substituting m' = k - 1 - m turns sum_m g_(t-m) w_m into a correlation with "
              "the reversed kernel.")

predict_shape(
    "input_grad_shape", lesson="06",
    prompt="A stride-1, unpadded conv2d has weight (4, 3, 3, 3) and output gradient G of "
           "shape (2, 4, 3, 3). What shape has dL/dX?",
    correct=(2, 3, 5, 5),
    wrong={(2, 4, 5, 5): "dX has the input's channels: C_in = 3 (the weight's second axis); "
                         "the input gradient sums over the 4 output channels.",
           (2, 3, 3, 3): "that is 'same' padding (k-1)//2; the forward had none, so the "
                         "gradient is a full correlation, H_out + k - 1 = 5.",
           (2, 3, 1, 1): "that is a valid correlation of G with the kernel; G must be padded "
                         "by k - 1 on each side (full correlation).",
           "invalid": "this is a valid setting: any G with the output's shape has an input "
                      "gradient."},
    hint="the input had H = H_out + k - 1 rows and C_in channels.")

# ------------------------------------------------------------ lesson 07
predict_value(
    "unread_rows_padded", lesson="07",
    prompt="n = 8, k = 3, stride 2, padding 1: (n + 2p - k) mod s = 1. How many of the 8 "
           "input rows get no gradient (are read by no window)?",
    correct=0,
    wrong={1: "the remainder counts a row of the *padded* input: windows start at padded "
              "rows 0, 2, 4, 6 and cover padded rows 0..8; the unread padded row 9 is "
              "padding, so every real row is read.",
           2: "with padding the windows reach padded row 8, which is input row 7."},
    hint="list the rows each window reads, in padded coordinates, then drop the padding.")

predict_value(
    "unread_rows_small_kernel", lesson="07",
    prompt="n = 8, a 1x1 kernel, stride 2, no padding. How many of the 8 input rows get "
           "no gradient?",
    correct=4,
    wrong={1: "the remainder (8 - 1) mod 2 = 1 only looks at the end; with a kernel smaller "
              "than the stride there are gaps *between* windows: rows 1, 3, 5, 7 are skipped.",
           0: "a 1x1 window reads one row; with stride 2 it reads rows 0, 2, 4, 6 only."},
    hint="list the rows the windows at 0, 2, 4, 6 read.")

predict_value(
    "zero_insert_products", lesson="07",
    prompt="Stride 2, a 3x3 kernel, a 9x9 input, so G is 4x4. The zero-insertion input "
           "gradient is a full correlation of the 7x7 spread gradient: 81 outputs, 9 "
           "products each, 729 in all. How many products does the integrated (scatter) "
           "backward make: each G entry times the kernel, added into its window?",
    correct=144,
    wrong={729: "that is the zero-insertion count; scattering touches only the 16 real "
                "entries of G, 9 products each.",
           81: "that is one product per input cell; each of the 16 G entries multiplies all "
               "9 kernel weights.",
           16: "each G entry is multiplied by all 9 kernel weights."},
    hint="16 entries of G, each times 9 kernel weights.")

predict_shape(
    "output_padding_too_large", lesson="07",
    prompt="conv_transpose2d of G of shape (1, 1, 3, 3) with a (1, 1, 3, 3) kernel, "
           "stride 2, padding 1, output_padding 2. What shape comes out?",
    correct=INVALID,
    wrong={(1, 1, 7, 7): "output_padding picks one of the s input sizes that a stride-s "
                         "convolution maps to the same output size, so it must be smaller "
                         "than the stride: 2 is not allowed for stride 2.",
           (1, 1, 5, 5): "that is output_padding 0; and output_padding 2 is not allowed "
                         "for stride 2 (it must be less than the stride).",
           (1, 1, 6, 6): "that is output_padding 1; 2 is not allowed for stride 2."},
    hint="which values can output_padding take for stride s?")

# ------------------------------------------------------------ lesson 08
predict_value(
    "backward_outputs", lesson="08",
    prompt="forward(ctx, x, weight, bias, stride, padding) is a torch.autograd.Function's "
           "forward. How many values must backward(ctx, grad_out) return?",
    correct=5,
    wrong={3: "backward returns one value per argument of forward after ctx, tensors or "
              "not: None for stride and padding.",
           6: "ctx is not an input: one value per argument *after* ctx.",
           1: "backward returns a gradient for every input of forward, not just one."},
    hint="one per argument of forward after ctx.")

predict_shape(
    "unfold_shape", lesson="08",
    prompt="x has shape (2, 3, 6, 5). What shape has F.unfold(x, kernel_size=3, padding=1)?",
    correct=(2, 27, 30),
    wrong={(2, 30, 27): "that is im2row's layout (one row per position); F.unfold puts one "
                        "*column* per position: (N, C*kH*kW, H_out*W_out).",
           (2, 27, 12): "that forgets the padding: with padding 1 a 3x3 kernel keeps 6x5, "
                        "30 positions.",
           (2, 9, 30): "each column holds all channels: C*kH*kW = 3*3*3 = 27 entries."},
    hint="(N, C*kH*kW, H_out*W_out).")

multiple_choice(
    "float32_gradcheck", lesson="08",
    prompt="A correct backward fails torch.autograd.gradcheck in float32. Why?",
    choices={"a": "With eps = 1e-6, the change of the output is near float32's rounding "
                  "error (about 1e-7 relative), so the finite difference is mostly noise.",
             "b": "float32 backward passes are less accurate, so the analytic gradient is wrong.",
             "c": "gradcheck compares with PyTorch's conv2d, which runs in float64.",
             "d": "float32 cannot represent eps = 1e-6."},
    correct="a",
    explain={"b": "the analytic gradient is fine to ~1e-7; it is the *numerical* estimate "
                  "(y(x + eps) - y(x - eps)) / (2 eps) that divides rounding noise by a tiny eps.",
             "c": "gradcheck uses no reference implementation, only finite differences of "
                  "the function itself.",
             "d": "1e-6 is representable in float32 (float32 goes down to ~1e-38); the "
                  "problem is the *difference* of two nearly equal outputs."},
    why_right="rounding error / eps dominates the central difference in float32.")

# ------------------------------------------------------------ lesson 09
predict_value(
    "last_max_tie", lesson="09",
    prompt="In the worked problem, suppose the max pool sent a tied gradient to the *last* "
           "maximum (row-major) instead of the first. What would dL/dw1 be at (0, 0)?",
    correct=0.5,
    wrong={0: "with the last maximum the gradient comes from output (1, 1), whose window "
              "starts at input (1, 1): the image's ones then sit at kernel offsets (0, 0) "
              "and (1, 1).",
           -0.5: "the sign comes from dL/dlogit_1 = p_1 - 0 = +1/2, as before; only the "
                 "position changes."},
    hint="which input patch lies under output (1, 1)?")

multiple_choice(
    "not_a_subgradient", lesson="09",
    prompt="q = max(p) over p = [[1, -1], [0, 1]] (two tied maxima). Which of these is "
           "NOT a valid choice for dq/dp (a subgradient)?",
    choices={"a": "[[1, 0], [0, 0]]", "b": "[[0, 0], [0, 1]]", "c": "[[0.5, 0], [0, 0.5]]",
             "d": "[[1, 0], [0, 1]]"},
    correct="d",
    explain={"a": "that is the first-maximum choice (PyTorch's): it is valid.",
             "b": "that is the last-maximum choice: also valid, it is the gradient of max "
                  "if the second 1 were a little larger.",
             "c": "any weighted average of the one-hot choices is a subgradient of max "
                  "(max is convex): valid, though no library uses it."},
    why_right="subgradients of max at a tie are the averages of the one-hot vectors of the "
              "tied maxima; their entries sum to 1.")

multiple_choice(
    "avgpool_as_conv", lesson="09",
    prompt="Which convolution computes a 2x2 average pool with stride 2 of a 1-channel image?",
    choices={"a": "conv2d with weight np.full((1, 1, 2, 2), 0.25), stride 2",
             "b": "conv2d with weight np.ones((1, 1, 2, 2)), stride 2",
             "c": "conv2d with weight np.full((1, 1, 2, 2), 0.25), stride 1",
             "d": "none: pooling has no weights, so it is not a convolution"},
    correct="a",
    explain={"b": "that sums the window; the average divides by the 4 cells.",
             "c": "stride 1 computes every 2x2 window, overlapping; pooling with stride 2 "
                  "takes every second one.",
             "d": "a fixed kernel is still a kernel: average pooling is a convolution with "
                  "constant weights 1/k^2 (per channel) that are not learned."},
    why_right="average pooling = convolution with a fixed kernel of 1/k^2, stride k.")

predict_value(
    "maxpool_output_length", lesson="09",
    prompt="F.max_pool1d with kernel 2 (stride 2) on a signal of length 7: how many outputs?",
    correct=3,
    wrong={4: "that rounds up, ceil(7 / 2); PyTorch (ceil_mode=False) drops the incomplete "
              "last window: floor((7 - 2) / 2) + 1 = 3.",
           "invalid": "a window of 2 fits in a length of 7: the setting is valid."},
    hint="n_out = floor((n - k) / s) + 1.")

# ------------------------------------------------------------ lesson 10
predict_value(
    "separable_products", lesson="10",
    prompt="Blurring a 100x100 image ('same' padding) with a 9x9 Gaussian as two 1-D "
           "passes: how many multiplications in all?",
    correct=2 * 9 * 100 * 100,
    wrong={81 * 100 * 100: "that is the 2-D kernel, k^2 per pixel; two passes cost 2k per pixel.",
           9 * 100 * 100: "that is one pass; the columns pass and the rows pass each cost k "
                          "per pixel.",
           18: "that is per pixel; there are 100*100 pixels."},
    hint="k products per pixel per pass, two passes.")

multiple_choice(
    "sobel_flip", lesson="10",
    prompt="You convolve (flip the kernel, as in mathematics) a photograph with Sobel x "
           "instead of correlating it. What changes?",
    choices={"a": "The x response changes sign; the edge magnitude does not change.",
             "b": "Nothing: Sobel is symmetric.",
             "c": "The x response becomes the y response.",
             "d": "The edge magnitude changes sign."},
    correct="a",
    explain={"b": "Sobel x is antisymmetric: rotating it by 180 degrees gives -Sobel x.",
             "c": "the y kernel is the transpose, not the rotation; a 180-degree rotation "
                  "of Sobel x is -Sobel x.",
             "d": "a magnitude sqrt(gx^2 + gy^2) is never negative; squaring removes the sign."},
    why_right="rot180(K1) = -K1, and the magnitude squares the responses.")
