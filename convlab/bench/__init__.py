"""Time every convolution method against PyTorch: ``python -m convlab.bench``.

For each layer shape in `CASES` and each method (plus PyTorch), `run`
measures the median forward, backward and forward+backward times, the ratio
to PyTorch measured in the same process, GFLOP/s and the peak extra memory,
all in float32 with the same thread count for numpy's BLAS and for PyTorch.
`format_table` prints the rows as the plain-text table of the README.

This module imports torch; ``import convlab`` does not import it.
"""

import os
import statistics

import numpy as np
import torch
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from .._checks import check_bool, check_int, check_memory, check_sequence, check_text
from ..conv.fast import clear_workspaces
from ..conv.fast import configure as fast_configure
from ..conv.fast.threads import blas_threads
from .cases import (
    CASE_NAMES,
    CASES,
    Case,
    applies,
    first_output,
    make_arrays,
    methods_for,
    numpy_calls,
    too_slow,
    torch_calls,
)
from .measure import SETTLE_SECONDS, blas_description, sgemm_gflops, time_block, torch_peak_bytes
from .table import UNSTEADY, format_table, machine_line

__all__ = ["CASES", "KNOWN_METHODS", "Case", "run", "format_table", "machine_line"]

PHASES = ("forward", "backward", "fwd_bwd")


#: Every method name `run` knows: the convlab methods of every case, in table order.
KNOWN_METHODS = tuple(dict.fromkeys(m for c in CASES for m in methods_for(c)))


def _names(requested, known, name, allow_case=False):
    """``requested`` (None = all of ``known``) as a list, after checking every item is known."""
    if requested is None:
        return list(known)
    single = (str, Case) if allow_case else str
    items = "case names or Case objects" if allow_case else "method names"
    requested = [requested] if isinstance(requested, single) else check_sequence(requested, name, items)
    for i, item in enumerate(requested):
        if allow_case and isinstance(item, Case):
            continue
        if not isinstance(item, str):
            raise TypeError(f"{name}[{i}] must be one of {list(known)}"
                            f"{' or a Case' if allow_case else ''}; got {item!r} ({type(item).__name__})")
    unknown = [r for r in requested if isinstance(r, str) and r not in known]
    if unknown:
        raise ValueError(f"{name} must be among {list(known)} (or None for all); got {unknown}")
    return requested


def _checked_case(case, where):
    """``case`` after checking its fields describe a layer (or a Sobel image) that fits in memory."""
    check_text(case.name, f"{where}.name", optional=False)
    check_bool(case.sobel, f"{where}.sobel")
    for field in ("n", "c_in", "c_out", "size", "kernel", "stride", "groups"):
        check_int(getattr(case, field), f"{where}.{field}", 1)
    check_int(case.padding, f"{where}.padding", 0)
    if case.c_in % case.groups or case.c_out % case.groups:
        raise ValueError(f"{where}.groups must divide c_in and c_out; got groups={case.groups}, "
                         f"c_in={case.c_in}, c_out={case.c_out}")
    if case.kernel > case.size + 2 * case.padding:
        raise ValueError(f"{where}.kernel must fit the padded input (size + 2 * padding = "
                         f"{case.size + 2 * case.padding}); got {case.kernel}")
    check_memory(f"{where}'s input", (case.n, case.c_in, case.size, case.size), np.float32)
    check_memory(f"{where}'s output", (case.n, case.c_out, case.out_size, case.out_size), np.float32)
    return case


def _checked_cases(cases):
    """The `Case` objects ``cases`` names (None = all of `CASES`), each checked, names distinct."""
    by_name = dict(zip(CASE_NAMES, CASES))
    named = _names(cases, CASE_NAMES, "cases", allow_case=True)
    if not named:
        raise ValueError("cases must name at least one case (or be None for all); got []")
    selected = [_checked_case(c, f"cases[{i}]") if isinstance(c, Case) else by_name[c]
                for i, c in enumerate(named)]
    names = [c.name for c in selected]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"cases must have distinct names (rows are grouped by name); got {twice} twice")
    return selected


def _relative_error(got, expected):
    scale = max(float(np.max(np.abs(expected))), 1e-30)
    return float(np.max(np.abs(got - expected))) / scale


def run(cases=None, methods=None, repeats=7, quick=False, threads=None, progress=True, blocks=3):
    """Benchmark convlab's methods against PyTorch.

    Parameters
    ----------
    cases : str, Case or sequence of them, optional
        Case names from `CASES` (default: all) or your own `Case` objects
        (distinct names; their arrays must fit the memory limit).
    methods : str or sequence of str, optional
        convlab methods to time, from `KNOWN_METHODS` (default: every method
        of each case; ``[]``: PyTorch only); PyTorch is always timed, as the
        reference.
    repeats : int, default 7
        Timed calls per block, at least 1 (fewer for calls slower than ~0.3 s).
    quick : bool, default False
        1 timed call per block after 1 warm-up call (not the
        `convlab.bench.measure.SETTLE_SECONDS` of warm-up of a full run), no
        memory subprocess for PyTorch: rough ratios (the rows say so, ``rough=True``).
    threads : int, optional
        Threads for numpy's BLAS and for PyTorch, at least 1 (default: all cores).
    progress : bool, default True
        Show a tqdm progress bar on stderr.
    blocks : int, default 3
        Rounds (at least 3): each times PyTorch and then every method, one
        block each, so a slow spell of the machine hits them alike. A ratio
        is the median over the rounds of (method time / PyTorch's time).

    Returns
    -------
    list of dict
        One row per (case, method) with keys ``case``, ``method``,
        ``forward_ms``, ``backward_ms``, ``fwd_bwd_ms`` (None when the method
        has no such phase), ``forward_ratio``, ``backward_ratio``,
        ``fwd_bwd_ratio`` (median over blocks of time / PyTorch's),
        ``forward_spread``, ``backward_spread``, ``fwd_bwd_spread`` ((max -
        min) / median of the blocks' ratios ``block_ratios[phase]``), ``unsteady`` (a spread above
        `UNSTEADY`), ``gflops``, ``peak_mb``, ``memory_by``, ``max_error``
        (forward output vs PyTorch, relative to its scale), ``skipped`` (a
        reason, or None) and the settings ``threads_blas``,
        ``threads_torch``, ``blas``, ``sgemm_gflops`` (``{"numpy": ...,
        "torch": ...}``, `sgemm_gflops`), ``blocks``, ``rough`` and ``machine``.

    Raises
    ------
    TypeError, ValueError
        For any bad argument, naming it, before anything is timed.

    Examples
    --------
    >>> rows = run(cases=["tiny"], methods=["fast"], quick=True, progress=False)
    >>> [row["method"] for row in rows]
    ['torch', 'fast']
    >>> run(cases=["tiny"], blocks=2)
    Traceback (most recent call last):
    ...
    ValueError: blocks must be a >= 3 int; got 2
    """
    repeats = check_int(repeats, "repeats", 1)
    blocks = check_int(blocks, "blocks", 3)
    threads = None if threads is None else check_int(threads, "threads", 1)
    quick, progress = check_bool(quick, "quick"), check_bool(progress, "progress")
    selected = _checked_cases(cases)
    if methods is not None:
        methods = _names(methods, KNOWN_METHODS, "methods")
    threads = threads or os.cpu_count() or 1
    repeats, warmup = (1, 1) if quick else (repeats, 2)
    previous_torch_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    rows = []
    try:
        with threadpool_limits(limits=threads, user_api="blas"), fast_configure(threads=threads):
            settings = {"threads_blas": blas_threads(), "threads_torch": torch.get_num_threads(),
                        "blas": blas_description(), "sgemm_gflops": sgemm_gflops(blocks),
                        "blocks": blocks, "rough": bool(quick)}
            settings["machine"] = machine_line(settings["blas"], settings["threads_blas"],
                                               settings["threads_torch"], settings["sgemm_gflops"])
            plan = [(case, [m for m in methods_for(case) if methods is None or m in methods])
                    for case in selected]
            bar = tqdm(total=blocks * sum(1 + len(ms) for _, ms in plan), disable=not progress,
                       desc="convlab.bench", unit="block")
            for case, case_methods in plan:
                rows += _run_case(case, case_methods, repeats, warmup, blocks, bar,
                                  settle=0.0 if quick else SETTLE_SECONDS)
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


def _run_case(case, methods, repeats, warmup, blocks, bar, settle):
    """Every row of one case: ``blocks`` rounds, each timing PyTorch and every method in turn."""
    arrays = make_arrays(case)
    rows, timed = [], []  # timed: (row, calls, {phase: [seconds per block]})
    for method in ["torch"] + list(methods):
        row = {"case": case.name, "method": method, "skipped": None}
        calls = None
        if method == "torch":
            calls = torch_calls(case, arrays)
        elif too_slow(case, method):
            row["skipped"] = "too slow"
        elif not applies(case, method):
            row["skipped"] = "not for this layer"
        else:
            try:
                calls = numpy_calls(case, method, arrays)
            except ImportError as error:  # e.g. convlab.filters not available yet
                row["skipped"] = f"unavailable ({error})"
        rows.append(row)
        if calls:
            timed.append((row, calls, {phase: [] for phase in PHASES if phase in calls}))
    for block in range(blocks):  # interleaved: a slow spell hits every method of one block alike
        for row, calls, times in timed:
            bar.set_postfix_str(f"{case.name} {row['method']} block {block + 1}/{blocks}")
            _time_phases(row, calls, times, repeats, warmup if block == 0 else 1, first=block == 0,
                         settle=settle)
            bar.update()
    reference = rows[0]
    for row, _, times in timed:
        for phase, seconds in times.items():
            row[f"{phase}_ms"] = 1e3 * statistics.median(seconds)
            ratios = [mine / theirs for mine, theirs in zip(seconds, timed[0][2][phase])]
            row.setdefault("block_ratios", {})[phase] = ratios
            row[f"{phase}_ratio"] = statistics.median(ratios)
            row[f"{phase}_spread"] = (max(ratios) - min(ratios)) / statistics.median(ratios)
    for row in rows[1:] + rows[:1]:  # PyTorch's own row last: it holds the reference output
        _finish(row, reference, case)
    return rows


def _time_phases(row, calls, times, repeats, warmup, first, settle):
    """Time each phase of one method in its own block; the first block also traces memory."""
    traced = next(p for p in ("fwd_bwd", "forward", "backward") if p in calls)
    for phase in times:
        trace = first and phase == traced and row["method"] != "torch"  # torch's allocator is invisible to tracemalloc
        if trace and row["method"].startswith("fast"):
            clear_workspaces()  # so the traced call counts the scratch memory "fast" keeps
        seconds, _, result, peak = time_block(calls[phase], repeats, warmup, trace=trace, settle=settle)
        times[phase].append(seconds)
        if trace:
            row["peak_mb"], row["memory_by"] = peak / 2**20, "tracemalloc"
        if first and phase == "forward":
            row["output"] = first_output(result)


def _finish(row, reference, case):
    """Ratios to PyTorch, GFLOP/s, error against PyTorch, and every key present."""
    for phase in PHASES:
        for key in ("ms", "ratio", "spread"):
            row.setdefault(f"{phase}_{key}", None)
    row["unsteady"] = any((row[f"{phase}_spread"] or 0) > UNSTEADY for phase in PHASES)
    best = row["fwd_bwd_ms"] if row["fwd_bwd_ms"] is not None else row["forward_ms"]
    flops = case.flops * (3 if row["fwd_bwd_ms"] is not None else 1)
    row["gflops"] = flops / best / 1e6 if best else None
    output = row.pop("output", None)
    row["max_error"] = (_relative_error(output, reference["output"])
                        if output is not None and "output" in reference else None)
    row.setdefault("block_ratios", {})
    for key in ("peak_mb", "memory_by", "skipped"):
        row.setdefault(key, None)
    row["description"] = case.describe()
