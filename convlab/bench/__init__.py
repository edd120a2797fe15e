"""Time every convolution method against PyTorch: ``python -m convlab.bench``.

For each layer shape in `CASES` and each method (plus PyTorch), `run`
measures the median forward, backward and forward+backward times, the ratio
to PyTorch measured in the same process, GFLOP/s and the peak extra memory,
all in float32 with the same thread count for numpy's BLAS and for PyTorch.
`format_table` prints the rows as the plain-text table of the README.

This module imports torch; ``import convlab`` does not import it.
"""

import os

import numpy as np
import torch
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from ..conv.fast import clear_workspaces
from ..conv.fast import configure as fast_configure
from .cases import (CASE_NAMES, CASES, Case, first_output, make_arrays, methods_for, numpy_calls,
                    too_slow, torch_calls)
from .measure import blas_description, blas_threads, time_block, torch_peak_bytes
from .table import format_table, machine_line

__all__ = ["CASES", "Case", "run", "format_table", "machine_line"]

PHASES = ("forward", "backward", "fwd_bwd")


def _names(requested, known, what):
    """``requested`` (None = all of ``known``) as a list, after checking every name is known."""
    if requested is None:
        return list(known)
    requested = [requested] if isinstance(requested, (str, Case)) else list(requested)
    unknown = [r for r in requested if not isinstance(r, Case) and r not in known]
    if unknown:
        raise ValueError(f"{what} must be among {list(known)}; got {unknown}")
    return requested


def _relative_error(got, expected):
    scale = max(float(np.max(np.abs(expected))), 1e-30)
    return float(np.max(np.abs(got - expected))) / scale


def _measure(case, method, calls, repeats, warmup):
    """One row: every phase timed in its own block; the biggest phase's first call is traced."""
    row = {"case": case.name, "method": method, "skipped": None}
    traced = next(p for p in ("fwd_bwd", "forward", "backward") if p in calls)
    for phase in PHASES:
        row[f"{phase}_ms"] = None
        if phase in calls:
            trace = phase == traced and method != "torch"  # torch's allocator is invisible to tracemalloc
            if trace and method == "fast":
                clear_workspaces()  # so the traced call counts the scratch memory "fast" keeps
            seconds, _, result, peak = time_block(calls[phase], repeats, warmup, trace=trace)
            row[f"{phase}_ms"] = 1e3 * seconds
            if trace:
                row["peak_mb"], row["memory_by"] = peak / 2**20, "tracemalloc"
            if phase == "forward":
                row["output"] = first_output(result)
    return row


def run(cases=None, methods=None, repeats=7, quick=False, threads=None, progress=True):
    """Benchmark convlab's methods against PyTorch.

    Parameters
    ----------
    cases : sequence of str or Case, optional
        Case names from `CASES` (default: all) or your own `Case` objects.
    methods : sequence of str, optional
        convlab methods to time (default: every method of each case); PyTorch
        is always timed, as the reference.
    repeats : int, default 7
        Timed calls per block (fewer for calls slower than ~0.3 s).
    quick : bool, default False
        2 repeats, 1 warm-up call, and no memory subprocess for PyTorch.
    threads : int, optional
        Threads for numpy's BLAS and for PyTorch (default: all cores).
    progress : bool, default True
        Show a tqdm progress bar on stderr.

    Returns
    -------
    list of dict
        One row per (case, method) with keys ``case``, ``method``,
        ``forward_ms``, ``backward_ms``, ``fwd_bwd_ms`` (None when the method
        has no such phase), ``forward_ratio``, ``backward_ratio``,
        ``fwd_bwd_ratio`` (time / PyTorch's), ``gflops``, ``peak_mb``,
        ``memory_by``, ``max_error`` (forward output vs PyTorch, relative
        to its scale), ``skipped`` (a reason, or None) and the settings
        ``threads_blas``, ``threads_torch``.

    Examples
    --------
    >>> rows = run(cases=["tiny"], methods=["fast"], quick=True, progress=False)
    >>> [row["method"] for row in rows]
    ['torch', 'fast']
    """
    for value, name in ((repeats, "repeats"), (threads, "threads")):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{name} must be a positive integer; got {value!r}")
    by_name = dict(zip(CASE_NAMES, CASES))
    selected = [c if isinstance(c, Case) else by_name[c] for c in _names(cases, CASE_NAMES, "cases")]
    if methods is not None:
        methods = _names(methods, tuple(dict.fromkeys(m for c in CASES for m in methods_for(c))),
                         "methods")
    threads = threads or os.cpu_count() or 1
    repeats, warmup = (2, 1) if quick else (repeats, 2)
    previous_torch_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    rows = []
    try:
        with threadpool_limits(limits=threads, user_api="blas"), fast_configure(threads=threads):
            settings = {"threads_blas": blas_threads(), "threads_torch": torch.get_num_threads(),
                        "blas": blas_description()}
            settings["machine"] = machine_line(settings["blas"], settings["threads_blas"],
                                               settings["threads_torch"])
            plan = [(case, [m for m in methods_for(case) if methods is None or m in methods])
                    for case in selected]
            bar = tqdm(total=sum(1 + len(ms) for _, ms in plan), disable=not progress,
                       desc="convlab.bench", unit="method")
            for case, case_methods in plan:
                rows += _run_case(case, case_methods, repeats, warmup, bar)
            bar.close()
    finally:
        torch.set_num_threads(previous_torch_threads)
    peaks = {} if quick else torch_peak_bytes([c.name for c in selected if c in CASES], threads)
    for row in rows:
        if row["method"] == "torch":
            row["peak_mb"] = peaks[row["case"]] / 2**20 if row["case"] in peaks else None
            row["memory_by"] = "RSS (subprocess)" if row["case"] in peaks else None
    for row in rows:
        row.update(settings)
    return rows


def _run_case(case, methods, repeats, warmup, bar):
    arrays = make_arrays(case)
    bar.set_postfix_str(f"{case.name} torch")
    reference = _measure(case, "torch", torch_calls(case, arrays), repeats, warmup)
    bar.update()
    rows = [reference]
    for method in methods:
        bar.set_postfix_str(f"{case.name} {method}")
        row = {"case": case.name, "method": method}
        if too_slow(case, method):
            row["skipped"] = "too slow"
        else:
            try:
                calls = numpy_calls(case, method, arrays)
            except ImportError as error:  # e.g. convlab.filters not available yet
                calls, row["skipped"] = None, f"unavailable ({error})"
            if calls:
                row = _measure(case, method, calls, repeats, warmup)
        rows.append(row)
        bar.update()
    for row in rows[1:] + rows[:1]:  # PyTorch's own row last: it holds the reference output
        _finish(row, reference, case)
    return rows


def _finish(row, reference, case):
    """Ratios to PyTorch, GFLOP/s, error against PyTorch, and every key present."""
    for phase in PHASES:
        mine, theirs = row.get(f"{phase}_ms"), reference.get(f"{phase}_ms")
        row.setdefault(f"{phase}_ms", None)
        row[f"{phase}_ratio"] = mine / theirs if mine is not None and theirs else None
    best = row["fwd_bwd_ms"] if row["fwd_bwd_ms"] is not None else row["forward_ms"]
    flops = case.flops * (3 if row["fwd_bwd_ms"] is not None else 1)
    row["gflops"] = flops / best / 1e6 if best else None
    output = row.pop("output", None)
    row["max_error"] = (_relative_error(output, reference["output"])
                        if output is not None and "output" in reference else None)
    for key in ("peak_mb", "memory_by", "skipped"):
        row.setdefault(key, None)
    row["description"] = case.describe()
