"""Questions of lessons 01-04 (the forward pass): what each asks and why each wrong answer is wrong.

Declared here once and asked from the lessons by name, ``ask("name", answer)``;
``python -m convlab.exercises misconceptions`` lists them.
"""

from .questions import INVALID, multiple_choice, predict_shape, predict_value

# ------------------------------------------------------------ lesson 01
multiple_choice(
    "impulse_flip", lesson="01",
    prompt="An image is all zeros except a single 1 in its middle. You cross-correlate it with "
           "a 3x3 kernel K (padding 'same', so the output keeps the image's size). What does "
           "the output show around the centre?",
    choices={"a": "K itself",
             "b": "K rotated by 180 degrees",
             "c": "K transposed",
             "d": "one number, the sum of K's entries"},
    correct="b",
    explain={"a": "that is what a true convolution gives (its impulse response is the kernel). "
                  "In a correlation the window that has the 1 under its last tap sits up and to "
                  "the left of it, so K comes out reversed on both axes.",
             "c": "a transpose swaps rows and columns; correlation reverses both axes, which is a "
                  "180-degree rotation.",
             "d": "each output cell multiplies the single 1 by one kernel entry: the output is "
                  "a copy of K (reversed), not a sum."},
    why_right="correlating an impulse prints the flipped kernel; convolving it prints the kernel.")

predict_value(
    "valid_length", lesson="01",
    prompt="p has 10 entries and w has 4. How many entries has the valid cross-correlation q?",
    correct=7,
    wrong={6: "n - k counts the steps between the first and the last position; the first "
              "position itself comes on top: n - k + 1.",
           10: "that is the length with 'same' padding; without padding the kernel must fit "
               "inside p.",
           13: "that is the full correlation, n + k - 1, which needs k - 1 zeros on each side.",
           4: "that is the kernel's length."},
    hint="count the positions where all 4 taps lie inside p.")

# ------------------------------------------------------------ lesson 02
predict_shape(
    "strided_output_shape", lesson="02",
    prompt="x has shape (1, 3, 9, 9), weight has shape (8, 3, 3, 3); stride 2, padding 1. "
           "What is the shape of cl.conv2d(x, weight, stride=2, padding=1)?",
    correct=(1, 8, 5, 5),
    wrong={(1, 8, 4, 4): "that is without padding: (9 - 3) // 2 + 1 = 4; padding 1 adds a cell "
                         "on both sides, (9 + 2 - 3) // 2 + 1 = 5.",
           (1, 3, 5, 5): "the output has one channel per kernel: weight.shape[0] = 8.",
           (1, 8, 9, 9): "the stride skips positions: only every 2nd window is computed.",
           (1, 8, 6, 6): "you left out the kernel's span: subtract k (in general d(k - 1) + 1) "
                         "before dividing, (9 + 2 - 3) // 2 + 1 = 5."},
    hint="floor((n + 2p - k) / s) + 1 along each axis; channels come from weight.shape[0].")

predict_shape(
    "kernel_too_large", lesson="02",
    prompt="x has shape (1, 1, 4, 4), weight has shape (1, 1, 5, 5), stride 1, no padding. What "
           "is the output's shape? Answer 'invalid' if the setting has no output.",
    correct=INVALID,
    wrong={(1, 1, 0, 0): "floor((4 - 5) / 1) + 1 = 0 positions: a 5x5 window fits nowhere in 4x4. "
                         "convlab and PyTorch refuse it with an error instead of returning an "
                         "empty array.",
           (1, 1, 1, 1): "a 5x5 window does not fit in a 4x4 input at all.",
           (1, 1, 4, 4): "without padding the output cannot be as large as the input."},
    hint="can a 5x5 window be placed inside a 4x4 image?")

predict_value(
    "dilated_span", lesson="02",
    prompt="A kernel has 3 taps and dilation 3 (in convlab's convention, 1 = dense). How many "
           "input cells does one window span, from its first tap to its last?",
    correct=7,
    wrong={9: "d * k counts one gap too many (or counts dilation from 0, taps 4 apart): in "
              "convlab 3 taps with dilation 3 have 2 steps of 3 cells, plus the first cell, "
              "d(k - 1) + 1 = 7.",
           3: "dilation spreads the taps apart: they are 3 cells apart.",
           6: "d(k - 1) counts the gaps; add the first cell: d(k - 1) + 1.",
           10: "d * k + 1: 3 taps have 2 gaps between them, not 3; the span is d(k - 1) + 1."},
    hint="draw the taps on a line: positions 0, d, 2d.")

# ------------------------------------------------------------ lesson 03
predict_value(
    "layer_parameters", lesson="03",
    prompt="A convolution layer has 16 input channels, 32 output channels, 5x5 kernels and a "
           "bias. How many parameters does it have?",
    correct=32 * 16 * 25 + 32,
    wrong={32 * 16 * 25: "you forgot the biases: one per output channel.",
           32 * 25 + 32: "each output channel has one 5x5 slice per input channel: 16 x 5 x 5 "
                         "weights, not 5 x 5.",
           16 * 25 + 16: "that is one kernel per input channel; there is one 16x5x5 kernel per "
                         "output channel.",
           32 * 16 * 25 + 16: "one bias per output channel (32), not per input channel."},
    hint="C_out * C_in * k * k weights plus C_out biases; the image size does not enter.")

predict_value(
    "one_by_one_cost", lesson="03",
    prompt="A 1x1 convolution maps 64 channels to 16 on one 28x28 image (no bias). How many "
           "multiplications does it take?",
    correct=16 * 64 * 28 * 28,
    wrong={16 * 64: "that is one pixel's matrix-vector product; it runs at all 28 x 28 pixels.",
           16 * 64 * 28 * 28 * 9: "a 1x1 kernel has a single tap: no factor k^2 = 9.",
           64 * 28 * 28: "each of the 16 outputs per pixel needs its own 64 products."},
    hint="C_out * C_in products per pixel, at every pixel.")

multiple_choice(
    "shift_loop_length", lesson="03",
    prompt="The 'shift' formulation computes a layer with a 3x5 kernel on a batch of 8 images "
           "of 100x100 pixels and 64 channels. How many times does its Python loop run?",
    choices={"a": "15", "b": "8 x 100 x 100", "c": "64 x 15", "d": "100 x 100"},
    correct="a",
    explain={"b": "that is the loop over output positions of the defining sum; 'shift' loops "
                  "over kernel offsets and handles all images and positions in one product.",
             "c": "the channels are mixed inside each offset's matrix product; they add no "
                  "iterations.",
             "d": "positions are what 'shift' no longer loops over."},
    why_right="one matrix product per kernel offset (m, n): kH * kW iterations.")

# ------------------------------------------------------------ lesson 04
predict_shape(
    "im2row_shape", lesson="04",
    prompt="x has shape (3, 8, 8). What is the shape of cl.im2row(x, (3, 3), padding=1)?",
    correct=(64, 27),
    wrong={(36, 27): "that is without padding (6 x 6 windows); padding 1 keeps 8 x 8 windows.",
           (27, 64): "that is im2col, the transpose: im2row has one row per window.",
           (64, 9): "each row holds the window of every channel: 3 x 3 x 3 = 27 values.",
           (64, 3, 3, 3): "im2row flattens each window into one row of a 2-D matrix."},
    hint="one row per output position, one column per (channel, kernel row, kernel column).")

predict_value(
    "conv_matrix_entries", lesson="04",
    prompt="The dense convolution matrix T of a 3x3 kernel over a single-channel 10x10 image "
           "(no padding, stride 1): how many entries does it have?",
    correct=64 * 100,
    wrong={9 * 64: "that is the number of non-zeros (9 per row); T stores every entry, zeros "
                   "included.",
           100 * 100: "T is not square: it has one row per *output* (8 x 8 = 64), one column "
                      "per input (100).",
           81 * 100: "the valid output is 8 x 8 = 64, not 9 x 9."},
    hint="rows = outputs, columns = inputs.")

multiple_choice(
    "matmul_memory", lesson="04",
    prompt="For a 3x3 convolution of one 224x224 image with 64 input and 64 output channels "
           "(padding 1), which statement about extra memory is true?",
    choices={"a": "im2row's patch matrix is about 9 times the input; the dense convolution "
                  "matrix is far larger, quadratic in the number of pixels.",
             "b": "Both are about 9 times the input.",
             "c": "The dense convolution matrix is smaller, because most of its entries are zero.",
             "d": "im2row needs no extra memory: it only re-orders the input."},
    correct="a",
    explain={"b": "only im2row copies each value into k^2 = 9 rows; T has (64*224*224) x "
                  "(64*224*224) entries.",
             "c": "stored densely the zeros take memory too; T has about 10^13 entries here.",
             "d": "neighbouring windows overlap, so im2row copies each input value up to 9 times."},
    why_right="im2row: O(HW C k^2) extra; dense T: O(H^2 W^2 C_in C_out).")
