"""Bounded memory: every function refuses an array over the limit before allocating it."""

import os
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

import convlab as cl
from convlab import filters, spectral


def R(*shape):
    return np.random.default_rng(0).standard_normal(shape)


@pytest.fixture
def restore_limit():
    previous = cl.set_memory_limit(cl.get_memory_limit())
    yield
    cl.set_memory_limit(previous)


# Each of these asked for 9-23 GiB before anything said no.
HUGE_CALLS = {
    "pad": (lambda: cl.pad(R(2, 3, 4, 5), 8000), r"pad's output of shape \(2, 3, 16004, 16005\) \(float64\) needs 11\.5 GiB"),
    "conv_matrix": (lambda: cl.conv_matrix(R(2, 3, 2, 2), (3, 150, 150)), r"conv_matrix's matrix of shape \(44402, 67500\)"),
    "zero_insert": (lambda: cl.zero_insert(R(2, 3, 4, 5), 4000), r"zero_insert's output of shape \(2, 3, 12001, 16001\)"),
    "gaussian_kernel": (lambda: filters.gaussian_kernel(40000, 1.0), r"gaussian_kernel's kernel of shape \(40000, 40000\)"),
    "gaussian_blur": (lambda: filters.gaussian_blur(R(4, 4), 1.0, size=100000), r"gaussian_blur's padded image"),
    "dft_matrix": (lambda: spectral.dft_matrix(30000), r"dft_matrix's matrix of shape \(30000, 30000\) \(complex128\)"),
    "dft2_matrix": (lambda: spectral.dft2_matrix((200, 200)), r"dft2_matrix's matrix of shape \(40000, 40000\)"),
    "circulant_matrix": (lambda: spectral.circulant_matrix(R(3, 3), (300, 300)), r"circulant_matrix's matrix"),
    "fft_conv2d": (lambda: spectral.fft_conv2d(R(4, 4), R(3, 3), padding=20000), r"fft_conv2d's padded input"),
    "im2row": (lambda: cl.im2row(R(1, 1, 2, 2), 1, padding=20000), r"im2row's patch matrix of shape \(1, 40002, 40002, 1, 1, 1\)"),
    "row2im": (lambda: cl.row2im(R(1, 4), (1, 1, 1), 2, padding=10000, dilation=20000),
               r"row2im's padded output of shape \(1, 1, 20001, 20001\)"),
    "conv2d": (lambda: cl.conv2d(R(2, 3, 4, 5), R(1, 3, 2, 2), padding=8000), r"the convolution's output"),
    "conv2d/matrix": (lambda: cl.conv2d(R(1, 1, 200, 200), R(1, 1, 1, 1), method="matrix"),
                      r"method='matrix''s convolution matrix of shape \(40000, 40000\)"),
    "conv2d_backward": (lambda: cl.conv2d_backward(R(1, 1, 1, 1), R(1, 1, 1, 1), R(1, 1, 1, 1), padding=(0, 10 ** 9)),
                        r"the convolution's output of shape \(1, 1, 1, 2000000001\)"),
    "conv1d": (lambda: cl.conv1d(R(1, 3), R(1, 1, 3), padding=10 ** 10), r"the convolution's output"),
    "conv_transpose2d": (lambda: cl.conv_transpose2d(R(1, 2, 2), R(1, 1, 2, 2), stride=10 ** 5),
                         r"the transposed convolution's output"),
}


@pytest.mark.parametrize("name", list(HUGE_CALLS))
def test_huge_outputs_are_refused_before_allocating(name):
    call, message = HUGE_CALLS[name]
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=message + r".*over convlab's memory limit of 2\.0 GiB.*set_memory_limit"):
            call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * 2 ** 20, f"{name} allocated {peak} bytes before refusing"


def test_set_memory_limit_lowers_raises_and_removes_the_limit(restore_limit):
    assert cl.get_memory_limit() == 2 * 1024 ** 3
    previous = cl.set_memory_limit(1000)
    assert previous == 2 * 1024 ** 3 and cl.get_memory_limit() == 1000
    with pytest.raises(ValueError, match=r"pad's output of shape \(12, 12\) \(float64\) needs 1\.1 KiB, "
                                         r"over convlab's memory limit of 1000 bytes"):
        cl.pad(np.ones((10, 10)), 1)
    assert cl.pad(np.ones((8, 8)), 1).shape == (10, 10)  # 800 bytes fit
    cl.set_memory_limit(None)
    assert cl.get_memory_limit() is None
    assert cl.pad(np.ones((10, 10)), 1).shape == (12, 12)


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-5, ValueError), (1.5, TypeError), ("2G", TypeError)])
def test_set_memory_limit_refuses_bad_limits(bad, error, restore_limit):
    with pytest.raises(error, match="limit must be"):
        cl.set_memory_limit(bad)
    assert cl.get_memory_limit() == 2 * 1024 ** 3


def _limit_in_subprocess(value):
    env = dict(os.environ, CONVLAB_MEMORY_LIMIT=value)
    code = "import convlab; print(convlab.get_memory_limit())"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)


@pytest.mark.parametrize("value, limit", [("1048576", "1048576"), ("512M", str(512 * 2 ** 20)),
                                          ("4GiB", str(4 * 2 ** 30)), ("none", "None")])
def test_environment_variable_sets_the_limit(value, limit):
    run = _limit_in_subprocess(value)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == limit


def test_a_bad_environment_variable_is_named():
    run = _limit_in_subprocess("lots")
    assert "CONVLAB_MEMORY_LIMIT must be a number of bytes" in run.stderr and "'lots'" in run.stderr
