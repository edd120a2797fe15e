"""The benchmark rows as a plain-text table, headed by the date and machine line."""

import datetime
import os
import platform

import numpy as np

from .._checks import check_int, check_number, check_sequence, check_text
from .measure import SETTLE_SECONDS, SGEMM_SHAPE, SLOW_SECONDS

#: Ratios whose blocks disagree by more than this get a ``!`` (as `convlab.bench.UNSTEADY`).
UNSTEADY = 0.25

NOTES = (
    "times: median of repeated calls after at least {settle:g} s of warm-up (idle thread pools asleep; "
    "one call with --quick), each method timed in its own block "
    "(calls slower than {slow:g} s: timed once), {blocks} rounds of blocks interleaved with PyTorch's; "
    "x torch = median over the rounds of time / PyTorch's time, ±: (max - min) / median of "
    "those ratios, ! when above 25 % (a busy machine: rerun).",
    "GFLOP/s: 2 x multiply-adds of the direct convolution (x3 for fwd+bwd), whatever the method "
    "really computes.",
    "peak MB: extra memory of one fwd+bwd call (or of the one phase a method has), outputs "
    "included; numpy methods by tracemalloc, PyTorch by the rise of peak RSS in a fresh "
    "subprocess (glibc mmap threshold 64 KiB).",
    "error: max |y - y_torch| / max |y_torch| of the forward output (float32).",
)


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


ROUGH = ("--quick: ROUGH ratios, one call per block; run without --quick before quoting a "
         "number.")


def _checked_sgemm(sgemm):
    """None, or ``{"numpy": GFLOP/s, "torch": GFLOP/s}`` with two non-negative numbers."""
    if sgemm is None:
        return None
    if not isinstance(sgemm, dict) or set(sgemm) != {"numpy", "torch"}:
        raise TypeError(f"sgemm must be None or a dict with keys 'numpy' and 'torch' (GFLOP/s); "
                        f"got {sgemm!r} ({type(sgemm).__name__})")
    for key in ("numpy", "torch"):
        check_number(sgemm[key], f"sgemm[{key!r}]", 0)
    return sgemm


def machine_line(blas="", threads_blas=None, threads_torch=None, sgemm=None):
    """``"2026-11-21 09:40 UTC | AMD EPYC (2 cores) | ... | load average 0.10 at start"``: when and where.

    Parameters
    ----------
    blas : str
        numpy's BLAS, as `convlab.bench.measure.blas_description` says it.
    threads_blas, threads_torch : int, optional
        Thread counts (positive), shown as given.
    sgemm : dict, optional
        ``{"numpy": GFLOP/s, "torch": GFLOP/s}`` of the sgemm floor.

    Examples
    --------
    >>> "openblas], 1 BLAS threads" in machine_line("openblas", 1, 1)
    True
    >>> machine_line("openblas", threads_blas=0)
    Traceback (most recent call last):
    ...
    ValueError: threads_blas must be a positive int; got 0
    """
    check_text(blas, "blas", optional=False)
    for value, name in ((threads_blas, "threads_blas"), (threads_torch, "threads_torch")):
        if value is not None:
            check_int(value, name, 1)
    _checked_sgemm(sgemm)
    import torch

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    try:  # other programs running at the same time make every figure noisier
        load = f" | load average {os.getloadavg()[0]:.2f} at start"
    except (AttributeError, OSError):
        load = ""
    floor = (f" | sgemm {'x'.join(map(str, SGEMM_SHAPE))}: numpy {sgemm['numpy']} GFLOP/s, "
             f"torch {sgemm['torch']} GFLOP/s" if sgemm else "")
    return (f"{now} | {_cpu_model()} ({os.cpu_count()} cores) | Python {platform.python_version()} | "
            f"numpy {np.__version__} [{blas}], {threads_blas} BLAS threads | "
            f"torch {torch.__version__}, {threads_torch} threads | float32{floor}{load}")


def _number(value, digits=2, suffix=""):
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:.0f}{suffix}"
    return f"{value:.{digits}f}{suffix}"


COLUMNS = ("method", "fwd ms", "x torch", "bwd ms", "x torch", "fwd+bwd ms", "x torch",
           "GFLOP/s", "peak MB", "error")


def _ratio(row, phase):
    """``"1.23x±4%"``, and ``!`` after it when the blocks disagree by more than 25 %."""
    ratio, spread = row.get(f"{phase}_ratio"), row.get(f"{phase}_spread")
    if ratio is None or spread is None:
        return _number(ratio, suffix="x")
    percent = f"{100 * spread:.0f}%" if spread < 10 else ">999%"
    return f"{_number(ratio, suffix='x')}±{percent}" + ("!" if spread > UNSTEADY else "")


def _cells(row):
    if row.get("skipped"):
        return [row["method"], f"skipped ({row['skipped']})"]
    error = row.get("max_error")
    return [row["method"],
            _number(row["forward_ms"], 3 if (row["forward_ms"] or 0) < 1 else 2),
            _ratio(row, "forward"),
            _number(row["backward_ms"], 3 if (row["backward_ms"] or 0) < 1 else 2),
            _ratio(row, "backward"),
            _number(row["fwd_bwd_ms"], 3 if (row["fwd_bwd_ms"] or 0) < 1 else 2),
            _ratio(row, "fwd_bwd"),
            _number(row["gflops"], 1),
            _number(row["peak_mb"], 1),
            "-" if error is None else f"{error:.0e}"]


#: Keys a row must have for its table line (a skipped row needs only ``case`` and ``method``).
MEASURED_KEYS = ("forward_ms", "backward_ms", "fwd_bwd_ms", "gflops", "peak_mb")
#: Keys that, when present, hold None or a number.
NUMBER_KEYS = MEASURED_KEYS + ("forward_ratio", "backward_ratio", "fwd_bwd_ratio", "forward_spread",
                               "backward_spread", "fwd_bwd_spread", "max_error")


def _checked_rows(rows):
    """``rows`` as a list, after checking each is a row dict `format_table` can print."""
    rows = check_sequence(rows, "rows", "row dicts (as convlab.bench.run returns)")
    for i, row in enumerate(rows):
        where = f"rows[{i}]"
        if not isinstance(row, dict):
            raise TypeError(f"{where} must be a row dict (as convlab.bench.run returns); "
                            f"got {row!r} ({type(row).__name__})")
        needed = ("case", "method") + (() if row.get("skipped") else MEASURED_KEYS)
        missing = [key for key in needed if key not in row]
        if missing:
            raise ValueError(f"{where} must have the keys {list(needed)}; got no {missing}")
        check_text(row["case"], f"{where}['case']", optional=False)
        check_text(row["method"], f"{where}['method']", optional=False)
        for key in NUMBER_KEYS:
            if row.get(key) is not None:
                check_number(row[key], f"{where}[{key!r}]", finite=False)
    for key in ("threads_blas", "threads_torch"):  # the machine line of the first row shows them
        if rows and rows[0].get(key) is not None:
            check_int(rows[0][key], f"rows[0][{key!r}]", 1)
    return rows


def format_table(rows):
    """The rows of `convlab.bench.run` as a plain-text table, one block per case.

    Parameters
    ----------
    rows : list of dict
        Rows as `convlab.bench.run` returns them (``case``, ``method`` and, unless
        ``skipped``, the timings of `MEASURED_KEYS`; numbers or None).

    Examples
    --------
    >>> row = {"case": "tiny", "method": "fast", "description": "a layer", "forward_ms": 0.5,
    ...        "forward_ratio": 2.0, "backward_ms": None, "backward_ratio": None,
    ...        "fwd_bwd_ms": None, "fwd_bwd_ratio": None, "gflops": 1.5, "peak_mb": 0.1,
    ...        "max_error": 1e-7, "skipped": None}
    >>> print(format_table([row]).splitlines()[-1])
    fast            0.500    2.00x        -        -            -           -            1.5      0.1      1e-07
    >>> format_table([{"case": "tiny"}])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: rows[0] must have the keys ['case', 'method', ...]; got no ['method', 'forward_ms', ...]
    """
    rows = _checked_rows(rows)
    lines = []
    first = rows[0] if rows else {}
    if "threads_blas" in first:
        lines.append(first.get("machine") or machine_line(first.get("blas", ""), first["threads_blas"],
                                                          first.get("threads_torch")))
        if first.get("rough"):
            lines.append(ROUGH)
        lines += [f"  {note.format(blocks=first.get('blocks', 3), settle=SETTLE_SECONDS, slow=SLOW_SECONDS)}"
                  for note in NOTES]
    widths = [max(len(c), 14 if i == 0 else 11 if c == "x torch" else 7) for i, c in enumerate(COLUMNS)]
    for case in dict.fromkeys(row["case"] for row in rows):
        block = [r for r in rows if r["case"] == case]
        lines += ["", f"{case}: {block[0].get('description', '')}",
                  "  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths)).rstrip()]
        for row in block:
            cells = _cells(row)
            lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip())
    return "\n".join(lines).lstrip("\n")
