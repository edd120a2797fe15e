"""Timing and memory measurements, and the thread settings they run under.

* Time: a block is a few warm-up calls, then ``repeats`` timed calls of one
  method in a row (never alternating call by call with another method,
  which would leave idle thread pools spinning), reported as the median.
  Calls slower than ``SLOW_SECONDS`` are timed once. The runner interleaves
  whole blocks: round after round, PyTorch then every method.
* Idle thread pools: after its last call, each library's worker threads
  spin for a while before they sleep (OpenBLAS's and PyTorch's OpenMP
  threads), and on a machine with few cores they slow down whatever runs
  next. Measured on 2 cores: a PyTorch ResNet-layer forward right after one
  numpy product took 46-87 ms instead of 25-29 ms; 0.1 s later 30-39 ms;
  0.3 s later 26-35 ms. A block of 7 calls of 25 ms used to sit mostly
  inside that spell, which biased every ratio against whichever library
  ran second. So a full (not ``--quick``) block keeps warming up for
  ``SETTLE_SECONDS``: by then the other library's threads sleep, and the
  call's own caches and threads are warm. (It removes that bias, not the
  machine's own swings: the spreads stay large on a shared machine.)
* The floor: `sgemm_gflops` times a float32 matrix product of the size of a
  ResNet layer's im2row GEMM in numpy and in PyTorch.
* numpy memory: `tracemalloc` sees every array numpy allocates, so the peak
  traced size during one call, minus the size before, is the call's peak
  extra memory (outputs and temporaries). The traced call is the first
  warm-up call of the block.
* PyTorch memory: torch's CPU allocator is invisible to tracemalloc, so a
  fresh subprocess (``python -m convlab.bench.measure``) runs the call after a
  warm-up with glibc's mmap threshold fixed at 64 KiB (every large buffer is
  mapped on allocation and returned to the OS when freed) and reports the
  rise of its peak resident set size (``VmHWM``, reset through
  ``/proc/self/clear_refs``). Linux only; elsewhere the figure is missing.
"""

import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc

#: Longest a timing block may take: slower calls get fewer repeats.
BLOCK_SECONDS = 1.0
#: A call slower than this is timed once (see `time_block`).
SLOW_SECONDS = 0.3
#: Least warm-up time of a full block, so that the previous block's idle thread pools are asleep.
SETTLE_SECONDS = 0.3


def time_block(call, repeats, warmup=2, trace=False, settle=0.0):
    """Time ``call`` in one block; return ``(median seconds, times, last result, peak bytes)``.

    The first call is a warm-up; with ``trace=True`` it runs under
    `tracemalloc` and gives the peak extra memory (else None). Warm-up goes
    on for ``warmup`` calls and at least ``settle`` seconds (see the module
    notes). A call slower than ``SLOW_SECONDS`` is then timed once: by the
    first call itself when ``settle`` is 0 (warm-up changes little at that
    scale, and the tracing overhead is negligible for a few large arrays),
    else by one more call. Faster calls get ``repeats`` timed calls, fewer
    if the block would exceed ``BLOCK_SECONDS``.
    """
    start = time.perf_counter()
    result, peak = traced_call(call) if trace else (call(), None)
    first = time.perf_counter() - start
    if first > SLOW_SECONDS:
        if not settle:
            return first, [first], result, peak
        again = time.perf_counter()
        result = call()
        once = time.perf_counter() - again
        return once, [once], result, peak
    calls = 1
    while calls < warmup or time.perf_counter() - start < settle:
        result = call()
        calls += 1
    repeats = max(1, min(repeats, int(BLOCK_SECONDS / max(first, 1e-9))))
    times = []
    for _ in range(repeats):
        begin = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - begin)
    return statistics.median(times), times, result, peak


def traced_call(call):
    """``(result, peak bytes)``: what one call returns and the peak memory it allocates (tracemalloc)."""
    already = tracemalloc.is_tracing()
    if not already:
        tracemalloc.start()
    tracemalloc.reset_peak()
    before, _ = tracemalloc.get_traced_memory()
    try:
        result = call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not already:
            tracemalloc.stop()
    return result, peak - before


def blas_description():
    """numpy's BLAS as text, e.g. ``"openblas 0.3.31 (Haswell kernels)"``."""
    from threadpoolctl import threadpool_info

    for lib in threadpool_info():
        if lib["user_api"] == "blas" and "numpy" in lib["filepath"]:
            arch = f" ({lib['architecture']} kernels)" if lib.get("architecture") else ""
            return f"{lib['internal_api']} {lib['version']}{arch}"
    return "unknown BLAS"


#: ``(M, K, N)`` of the sgemm `sgemm_gflops` times: one image of a ResNet layer
#: (56 x 56 outputs, 64 x 3 x 3 patch entries, 64 filters).
SGEMM_SHAPE = (3136, 576, 64)


def sgemm_gflops(blocks=3, shape=SGEMM_SHAPE):
    """``{"numpy": GFLOP/s, "torch": GFLOP/s}`` of one float32 matmul, median over interleaved blocks.

    What the BLAS under numpy (and PyTorch's) reaches on this machine now:
    the floor under every GEMM-based method.
    """
    import numpy as np
    import torch

    m, k, n = shape
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((m, k), dtype=np.float32), rng.standard_normal((k, n), dtype=np.float32)
    at, bt = torch.from_numpy(a), torch.from_numpy(b)
    calls = {"numpy": lambda: a @ b, "torch": lambda: at @ bt}
    seconds = {name: [] for name in calls}
    for _ in range(blocks):
        for name, call in calls.items():
            seconds[name].append(time_block(call, repeats=10, warmup=2)[0])
    return {name: round(2 * m * k * n / statistics.median(times) / 1e9, 1)
            for name, times in seconds.items()}


# ---------------------------------------------------------------- PyTorch memory (subprocess)

def _status_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1])
    raise OSError(f"{field} not in /proc/self/status")


def rss_peak_bytes(call, warmup=2):
    """Rise of the peak resident set size during one ``call`` (Linux), after ``warmup`` calls."""
    for _ in range(warmup):
        call()
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # reset VmHWM to the current resident size
    before = _status_kib("VmRSS:")
    result = call()
    peak = _status_kib("VmHWM:")
    del result
    return (peak - before) * 1024


def torch_peak_bytes(case_names, threads):
    """``{case: bytes}`` of PyTorch's forward+backward peak extra memory, from a fresh subprocess.

    Cases whose measurement fails (not Linux, no /proc) are left out.
    """
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536", OMP_NUM_THREADS=str(threads))
    command = [sys.executable, "-m", "convlab.bench.measure", str(threads), *case_names]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=True)
        return {name: int(value) for name, value in json.loads(done.stdout).items()}
    except (subprocess.SubprocessError, OSError, ValueError):
        return {}


def _main(argv):
    """Subprocess entry: print ``{case: peak bytes}`` for PyTorch's forward+backward."""
    import torch

    from .cases import CASES, make_arrays, torch_calls

    torch.set_num_threads(int(argv[0]))
    peaks = {}
    for case in CASES:
        if case.name in argv[1:]:
            calls = torch_calls(case, make_arrays(case))
            try:
                peaks[case.name] = rss_peak_bytes(calls.get("fwd_bwd", calls["forward"]))
            except OSError:
                pass
    print(json.dumps(peaks))


if __name__ == "__main__":
    _main(sys.argv[1:])
