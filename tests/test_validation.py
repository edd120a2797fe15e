"""Bad input is refused before any work with a message naming the argument; inputs are
never modified; dtypes follow the documented rules; `import convlab` stays light."""

import subprocess
import sys

import numpy as np
import pytest

import convlab as cl

X = np.ones((2, 4, 8, 8))
W = np.ones((5, 4, 3, 3))

CONV_ERRORS = [
    (dict(x=np.ones((8, 8))), ValueError, r"x must be a 3-D \(C_in, H, W\) or 4-D \(N, C_in, H, W\) array; got shape \(8, 8\)"),
    (dict(weight=np.ones((5, 4, 3))), ValueError, r"weight must be a 4-D \(C_out, C_in // groups, kH, kW\) array; got shape"),
    (dict(weight=np.ones((5, 3, 3, 3))), ValueError,
     r"weight has 3 input channels but x has 4 \(x.shape=\(2, 4, 8, 8\), weight.shape=\(5, 3, 3, 3\)\)"),
    (dict(groups=3), ValueError, r"groups=3 must divide both the input channels \(4\) and the output channels \(5\)"),
    (dict(weight=np.ones((6, 4, 3, 3)), groups=2), ValueError, r"weight has 4 input channels per group \(x groups=2 = 8\) but x has 4"),
    (dict(groups=0), ValueError, r"groups must be a positive int; got 0"),
    (dict(groups=True), TypeError, r"groups must be an int; got True"),
    (dict(weight=np.ones((5, 4, 9, 3))), ValueError, r"kernel is larger than the padded input along H: dilated kernel size 9"),
    (dict(dilation=4), ValueError, r"kernel is larger than the padded input along H: dilated kernel size 9 \(kernel_size=3, dilation=4\)"),
    (dict(stride=0), ValueError, r"stride must be a positive int; got 0"),
    (dict(stride=1.5), TypeError, r"stride must be an int; got 1.5 \(float\)"),
    (dict(stride=(1, 2, 3)), ValueError, r"stride must be an int or a sequence of 2 ints; got \(1, 2, 3\)"),
    (dict(dilation=-1), ValueError, r"dilation must be a positive int; got -1"),
    (dict(padding=-1), ValueError, r"padding must be a >= 0 int; got -1"),
    (dict(padding=((1, -2), (0, 0))), ValueError, r"padding must be a >= 0 int; got -2"),
    (dict(padding=(1, 2, 3)), ValueError, r"padding must be an int, a pair \(pH, pW\), a pair of pairs"),
    (dict(padding="half"), ValueError, r"padding must be an int, a pair \(pH, pW\), a pair of pairs \(\(top, bottom\), \(left, right\)\) or one of \('valid', 'same', 'full'\); got 'half'"),
    (dict(padding=None), TypeError, r"padding must be an int, a pair .*; got None"),
    (dict(bias=np.ones(4)), ValueError, r"bias must have shape \(C_out,\) = \(5,\); got \(4,\)"),
    (dict(method="fft"), ValueError, r"method must be one of \('loops', 'shift', 'im2row', 'matrix', 'winograd', 'fast'\); got 'fft'"),
    (dict(method=None), TypeError, r"method must be one of"),
    (dict(x=np.array([["a"]])), TypeError, r"x must hold real numbers; got dtype <U1"),
    (dict(x=np.ones((1, 4, 8, 8), complex)), TypeError, r"x must hold real numbers; got complex dtype complex128"),
    (dict(x=np.ones((0, 4, 8, 8))), ValueError, r"x must not have empty dimensions; got shape \(0, 4, 8, 8\)"),
    (dict(x=[[1, 2], [3]]), TypeError, r"x must be array-like; got list"),
]


def _conv_kwargs(overrides):
    kwargs = dict(x=X, weight=W)
    kwargs.update(overrides)
    return kwargs


@pytest.mark.parametrize("overrides, error, message", CONV_ERRORS)
def test_conv2d_refuses_bad_input(overrides, error, message):
    with pytest.raises(error, match=message):
        cl.conv2d(**_conv_kwargs(overrides))


@pytest.mark.parametrize("overrides, error, message",
                         [e for e in CONV_ERRORS if "bias" not in e[0] and "method" not in e[0]])
def test_conv2d_backward_refuses_bad_input_before_looking_at_grad_out(overrides, error, message):
    with pytest.raises(error, match=message):
        cl.conv2d_backward(np.ones((2, 5, 6, 6)), **_conv_kwargs(overrides))


def test_backward_refuses_wrong_grad_out_shape_and_method():
    with pytest.raises(ValueError, match=r"grad_out must have the output's shape \(2, 5, 6, 6\) .* got \(2, 5, 6, 5\)"):
        cl.conv2d_backward(np.ones((2, 5, 6, 5)), X, W)
    with pytest.raises(ValueError, match=r"method must be one of \('loops', 'shift', 'flip', 'im2row', 'winograd', 'fast'\); got 'matrix'"):
        cl.conv2d_backward(np.ones((2, 5, 6, 6)), X, W, method="matrix")


@pytest.mark.parametrize("call, error, message", [
    (lambda: cl.conv1d(np.ones((2, 3)), np.ones((1, 3, 3, 3))), ValueError, r"weight must be a 3-D \(C_out, C_in // groups, kL\) array"),
    (lambda: cl.conv1d(np.ones((2, 3)), np.ones((1, 2, 5))), ValueError, r"kernel is larger than the padded input along L"),
    (lambda: cl.conv1d(np.ones((2, 3)), np.ones((1, 2, 2)), padding=(1, 2, 3)), ValueError, r"padding must be an int, a pair \(before, after\) or one of \('valid', 'same', 'full'\); got \(1, 2, 3\)"),
    (lambda: cl.conv_transpose2d(np.ones((2, 3, 3)), np.ones((3, 1, 2, 2))), ValueError, r"weight has 3 input channels \(its first axis\) but x has 2"),
    (lambda: cl.conv_transpose2d(np.ones((2, 3, 3)), np.ones((2, 1, 2, 2)), stride=2, output_padding=2), ValueError,
     r"output_padding must be smaller than stride or dilation; got output_padding=\(2, 2\), stride=\(2, 2\)"),
    (lambda: cl.conv_transpose2d(np.ones((2, 3, 3)), np.ones((2, 1, 2, 2)), padding="same"), ValueError,
     r"padding must be an int, a pair \(pH, pW\) or a pair of pairs .* for a transposed convolution; got 'same'"),
    (lambda: cl.conv_transpose2d(np.ones((2, 1, 1)), np.ones((2, 1, 1, 1)), padding=1), ValueError, r"leaves no output"),
    (lambda: cl.conv_transpose2d(np.ones((2, 3, 3)), np.ones((2, 1, 2, 2)), bias=np.ones(2)), ValueError, r"bias must have shape \(C_out,\) = \(1,\)"),
    (lambda: cl.correlate2d(np.ones((1, 4, 4)), np.ones((2, 2))), ValueError, r"image must be a 2-D \(H, W\) array; got shape \(1, 4, 4\)"),
    (lambda: cl.correlate2d(np.ones((4, 4)), np.ones(2)), ValueError, r"kernel must be a 2-D \(kH, kW\) array; got shape \(2,\)"),
    (lambda: cl.im2row(np.ones((4, 4)), 2), ValueError, r"x must be a 3-D \(C, H, W\) or 4-D \(N, C, H, W\) array"),
    (lambda: cl.im2row(np.ones((1, 4, 4)), 0), ValueError, r"kernel_size must be a positive int; got 0"),
    (lambda: cl.row2im(np.ones((4, 3)), (1, 3, 3), 2), ValueError, r"rows must have shape \(4, 4\) for input_shape=\(1, 3, 3\)"),
    (lambda: cl.row2im(np.ones((4, 4)), 9, 2), ValueError, r"input_shape must be \(C, H, W\) or \(N, C, H, W\); got 9"),
    (lambda: cl.conv_matrix(np.ones((1, 2, 2, 2)), (3, 4, 4)), ValueError, r"weight has 2 input channels but input_shape has 3 \(input_shape=\(3, 4, 4\), weight.shape=\(1, 2, 2, 2\)\)"),
    (lambda: cl.conv_matrix(np.ones((1, 1, 2, 2)), (4, 4, 4, 4)), ValueError, r"input_shape must be \(C_in, H, W\) or \(H, W\)"),
    (lambda: cl.pad(np.ones((3, 3)), "same"), ValueError, r"padding must be an int, a pair \(pH, pW\) or a pair of pairs .* for pad\(\) \(a mode needs a kernel size\); got 'same'"),
    (lambda: cl.pad(np.ones((3, 3)), -1), ValueError, r"padding must be a >= 0 int; got -1"),
    (lambda: cl.zero_insert(np.ones((3, 3)), 0), ValueError, r"stride must be a positive int; got 0"),
    (lambda: cl.to_nchw(np.ones((3, 3))), ValueError, r"array must be a 3-D \[H, W, C\] or 4-D \[N, H, W, C\] array for kind='image'; got shape \(3, 3\)"),
    (lambda: cl.to_nchw(np.ones((3, 3, 1)), kind="kernel"), ValueError, r"array must be a 4-D \[kH, kW, C_in, C_out\] kernel"),
    (lambda: cl.to_nhwc(np.ones((3, 3, 1)), kind="filter"), ValueError, r"kind must be one of \('image', 'kernel'\); got 'filter'"),
    (lambda: cl.conv_output_size(0, 3), ValueError, r"n must be a positive int; got 0"),
    (lambda: cl.conv_output_size(5, 3, padding="half"), ValueError, r"padding must be an int, a pair \(before, after\) or one of \('valid', 'same', 'full'\); got 'half'"),
    (lambda: cl.conv_output_size(2, 3), ValueError, r"kernel is larger than the padded input"),
    (lambda: cl.receptive_field([3, 3], stride=[1]), ValueError, r"one entry per layer; got 2, 1 and 2 entries"),
])
def test_other_public_functions_refuse_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def _frozen(*arrays):
    """Read-only copies: any write raises; compare against the originals after the call."""
    frozen = []
    for a in arrays:
        a = np.array(a)
        a.flags.writeable = False
        frozen.append(a)
    return frozen


def _calls():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 4, 6, 6)), rng.standard_normal((6, 2, 3, 3)), rng.standard_normal(6)
    g = rng.standard_normal((2, 6, 3, 3))
    x1, w1, g1 = x[:, :, 0], w[:, :, 0], rng.standard_normal((2, 6, 3))
    args = dict(stride=2, padding="same", groups=2)
    calls = [(f"conv2d/{m}", lambda m=m: cl.conv2d(x, w, b, method=m, **args), (x, w, b)) for m in cl.FORWARD_METHODS if m != "winograd"]
    calls += [(f"conv2d_backward/{m}", lambda m=m: cl.conv2d_backward(g, x, w, method=m, **args), (g, x, w))
              for m in cl.BACKWARD_METHODS if m != "winograd"]  # winograd: tests/test_winograd.py
    calls += [
        ("conv1d", lambda: cl.conv1d(x1, w1, b, **args), (x1, w1, b)),
        ("conv1d_backward", lambda: cl.conv1d_backward(g1, x1, w1, **args), (g1, x1, w1)),
        ("conv_transpose2d", lambda: cl.conv_transpose2d(g, w, b[:4], stride=2, groups=2),
         (g, w, b)),
        ("conv_transpose1d", lambda: cl.conv_transpose1d(g1, w1.reshape(6, 2, 3), None, stride=2, groups=2), (g1, w1)),
        ("correlate2d", lambda: cl.correlate2d(x[0, 0], w[0, 0], padding="full"), (x, w)),
        ("pad", lambda: cl.pad(x, 1), (x,)), ("zero_insert", lambda: cl.zero_insert(x, 2), (x,)),
        ("flip_kernel", lambda: cl.flip_kernel(w), (w,)), ("to_nchw", lambda: cl.to_nchw(x), (x,)),
        ("to_nhwc", lambda: cl.to_nhwc(x), (x,)), ("im2row", lambda: cl.im2row(x, 3, padding=1), (x,)),
        ("row2im", lambda: cl.row2im(g.reshape(2, 9, 6)[:, :, :4].repeat(9, axis=2)[:, :, :36], (2, 4, 6, 6), 3, 2, 1), (g,)),
        ("conv_matrix", lambda: cl.conv_matrix(w, (4, 6, 6), groups=2), (w,)),
    ]
    return calls


@pytest.mark.parametrize("name, call, arrays", _calls(), ids=[c[0] for c in _calls()])
def test_public_functions_leave_their_inputs_unchanged(name, call, arrays):
    originals = [a.copy() for a in arrays]
    for a in arrays:
        a.flags.writeable = False  # a write attempt raises instead of passing silently
    try:
        call()
    finally:
        for a in arrays:
            a.flags.writeable = True
    for before, after in zip(originals, arrays):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("method", [m for m in cl.FORWARD_METHODS if m != "winograd"])
def test_forward_dtypes(method):
    x32, w32 = np.ones((1, 2, 5, 5), np.float32), np.ones((3, 2, 2, 2), np.float32)
    assert cl.conv2d(x32, w32, np.ones(3, np.float32), method=method).dtype == np.float32
    assert cl.conv2d(x32.astype(int), w32.astype(int), method=method).dtype == np.float64
    assert cl.conv2d(x32, w32.astype(np.float64), method=method).dtype == np.float64
    np.testing.assert_array_equal(cl.conv2d(x32.astype(int), w32.astype(int), method=method), 8.0)


@pytest.mark.parametrize("method", [m for m in cl.BACKWARD_METHODS if m != "winograd"])
def test_backward_dtypes(method):
    x32, w32, g32 = np.ones((1, 2, 5, 5), np.float32), np.ones((3, 2, 2, 2), np.float32), np.ones((1, 3, 4, 4), np.float32)
    assert {a.dtype for a in cl.conv2d_backward(g32, x32, w32, method=method)} == {np.dtype(np.float32)}
    grads = cl.conv2d_backward(g32.astype(int), x32.astype(int), w32.astype(int), method=method)
    assert {a.dtype for a in grads} == {np.dtype(np.float64)}


def test_other_dtypes():
    x32 = np.ones((2, 4, 4), np.float32)
    assert cl.conv_transpose2d(x32, np.ones((2, 1, 2, 2), np.float32)).dtype == np.float32
    assert cl.correlate2d(np.ones((3, 3), int), np.ones((2, 2), int)).dtype == np.float64
    assert cl.im2row(x32, 2).dtype == np.float32 and cl.conv_matrix(np.ones((2, 2), int), (3, 3)).dtype == np.float64


def test_import_convlab_loads_no_heavy_library():
    code = ("import sys, convlab; heavy = [m for m in ('torch', 'matplotlib', 'ipywidgets') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ---------------------------------------------- every bad argument named (issue 10's cases)
def R(*shape):
    return np.random.default_rng(0).standard_normal(shape)


@pytest.mark.parametrize("call, expected", [
    # 0-d arrays count as the scalar they hold, everywhere
    (lambda: cl.conv2d(R(1, 1, 5, 5), R(1, 1, 3, 3), stride=np.array(2), padding=np.array(1),
                       dilation=np.array(1), groups=np.array(1)).shape, (1, 1, 3, 3)),
    (lambda: cl.im2row(R(1, 5, 5), np.array(3)).shape, (9, 9)),
    (lambda: cl.conv_output_size(np.array(7), np.array(3), stride=np.array(2), padding=np.array(1)), 4),
    (lambda: cl.zero_insert(R(2, 2), np.array(2)).shape, (3, 3)),
    (lambda: cl.nn.MaxPool2d(np.array(2)).forward(R(1, 1, 4, 4)).shape, (1, 1, 2, 2)),
    # a 1-D int array is a sequence for padding exactly as for stride
    (lambda: cl.conv2d(R(1, 1, 5, 5), R(1, 1, 3, 3), padding=np.array([1, 2]), stride=np.array([2, 2])).shape,
     (1, 1, 3, 4)),
    (lambda: cl.pad(R(2, 2), np.array([1, 2])).shape, (4, 6)),
    (lambda: cl.conv1d(R(1, 5), R(1, 1, 3), padding=np.array([1, 0])).shape, (1, 4)),
])
def test_array_scalars_and_sequences_are_accepted_consistently(call, expected):
    assert call() == expected


@pytest.mark.parametrize("call, error, message", [
    (lambda: cl.conv2d(np.ones((1, 1, 3, 3), "m8[s]"), R(1, 1, 2, 2)), TypeError,
     r"x must hold real numbers; got dtype timedelta64\[s\] \(timedelta\)"),
    (lambda: cl.conv2d(R(1, 1, 3, 3), np.ones((1, 1, 2, 2), "M8[D]")), TypeError,
     r"weight must hold real numbers; got dtype datetime64\[D\] \(datetime\)"),
    (lambda: cl.pad(R(2, 2), 1, value="a"), TypeError, r"value must be a number; got 'a' \(str\)"),
    (lambda: cl.gradcheck.numerical_gradients(lambda x: x, [np.ones(2)], eps=np.inf), ValueError,
     r"eps must be a finite number; got inf"),
    (lambda: cl.gradcheck.check_gradients(lambda x: x, [np.ones(2)], [np.ones(2)], eps=np.nan), ValueError,
     r"eps must be a finite number; got nan"),
    (lambda: cl.data.load_photo(dtype="float99"), TypeError,
     r"dtype must be a floating dtype such as float32 or float64; got 'float99'"),
    (lambda: cl.filters.sobel([[1, 2], [3]]), TypeError, r"image must be array-like; got list"),
    (lambda: cl.conv2d_backward(np.ones((1, 1, 2, 2), complex), R(1, 1, 3, 3), R(1, 1, 2, 2)), TypeError,
     r"grad_out must hold real numbers; got complex dtype complex128"),
    (lambda: cl.nn.ReLU().forward(np.ones(2, complex)), TypeError, r"x must hold real numbers; got complex"),
    (lambda: cl.nn.ReLU().forward(np.array([1, None])), TypeError, r"x must hold real numbers; got dtype object"),
    (lambda: cl.nn.LeakyReLU().forward(np.array(["a"])), TypeError, r"x must hold real numbers; got dtype <U1"),
    (lambda: _after_forward(cl.nn.ReLU(), R(2)).backward(np.array(["a", "b"])), TypeError,
     r"grad_out must hold real numbers; got dtype <U1 \(str\)"),
    (lambda: _after_forward(cl.nn.Linear(2, 1, rng=0), R(1, 2)).backward(np.array([["a"]])), TypeError,
     r"grad_out must hold real numbers"),
    (lambda: cl.nn.SGD([(np.zeros(2), np.zeros(2))], lr=np.inf), ValueError, r"lr must be a finite number; got inf"),
    (lambda: cl.nn.SGD([(np.zeros(2), np.zeros(2))], lr=0.1, momentum=np.nan), ValueError,
     r"momentum must be a finite number; got nan"),
    (lambda: cl.nn.LeakyReLU(np.nan), ValueError, r"negative_slope must be a finite number; got nan"),
    (lambda: cl.training.train_digits(progress="yes"), TypeError, r"progress must be True or False; got 'yes' \(str\)"),
    (lambda: cl.training.train_digits(lr=np.inf), ValueError, r"lr must be a finite number; got inf"),
    (lambda: cl.training.accuracy(cl.nn.Sequential(cl.nn.Flatten()), np.zeros((0, 3, 1, 1)), np.zeros(0, int)),
     ValueError, r"x must not be empty; got shape \(0, 3, 1, 1\)"),
    (lambda: cl.training.accuracy(cl.nn.Sequential(cl.nn.Flatten()), np.zeros((3, 3, 1, 1)), np.zeros(2, int)),
     ValueError, r"y must have one label per image of x \(3\); got shape \(2,\)"),
    (lambda: cl.filters.gaussian_blur(R(4, 4), np.inf), ValueError, r"sigma must be a finite number; got inf"),
    (lambda: cl.nn.Conv2d(1, 1, 3, rng=-1), ValueError, r"rng must be a >= 0 int; got -1"),
    (lambda: cl.spectral.circulant_matrix(R(3, 3), np.array([2, 4, 4])), ValueError,
     r"weight has 1 input channels but input_shape has 2 \(input_shape=\(2, 4, 4\), weight.shape=\(3, 3\)\)"),
])
def test_bad_arguments_of_issue_10_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


def _after_forward(layer, x):
    layer.forward(x)
    return layer


def test_channel_mismatch_has_one_message_everywhere():
    shapes = r"\(x.shape=\(2, 4, 8, 8\), weight.shape=\(5, 3, 3, 3\)\)"
    x, w = np.ones((2, 4, 8, 8)), np.ones((5, 3, 3, 3))
    for call in (lambda: cl.conv2d(x, w), lambda: cl.conv2d_backward(np.ones((2, 5, 6, 6)), x, w),
                 lambda: cl.spectral.fft_conv2d(x, w), lambda: cl.spectral.circular_conv2d(x, w)):
        with pytest.raises(ValueError, match=r"^weight has 3 input channels but x has 4 " + shapes + "$"):
            call()


def test_relu_propagates_nan_like_pytorch():
    torch = pytest.importorskip("torch")
    x = np.array([np.nan, -1.0, 0.0, 2.0, np.inf, -np.inf])
    ours = cl.nn.ReLU().forward(x)
    np.testing.assert_array_equal(ours, torch.relu(torch.from_numpy(x)).numpy())
    assert np.isnan(cl.nn.ReLU().forward([np.nan])[0])
    leaky = cl.nn.LeakyReLU(0.1).forward(x)
    np.testing.assert_array_equal(leaky, torch.nn.functional.leaky_relu(torch.from_numpy(x), 0.1).numpy())


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_max_pool_backward_keeps_the_gradient_dtype(dtype):
    for pool, shape in ((cl.nn.MaxPool2d(2), (1, 1, 1, 1)), (cl.nn.GlobalMaxPool2d(), (1, 1))):
        pool.forward(np.arange(4, dtype=dtype).reshape(1, 1, 2, 2))
        dx = pool.backward(np.ones(shape, dtype))
        assert dx.dtype == dtype
        assert dx[0, 0, 1, 1] == 1 and dx.sum() == 1
