"""How long the kernel takes to answer a control change: ``python -m convlab latency``.

The explorers draw and react in the browser; the only server-side work is
recomputing the payload when a control changes (validation, the core's
arrays and index maps, JSON-ready lists).  This benchmark sets a control ~20
times and reports the median and maximum of that work, as wall time and as
this process' CPU time (which other load on the machine does not inflate).
The browser side (hover -> lit, control -> redrawn) is measured by
``tests/test_browser.py``.
"""
import statistics
import time

__all__ = ["measure_latency"]


def measure_latency(explorer, control, values, repeats=20):
    """Median and maximum milliseconds per change of ``explorer.<control>``.

    ``values`` are cycled through ``repeats`` times (a value equal to the
    current one is skipped, since it would not trigger a recomputation).

    Examples
    --------
    >>> from convlab.widgets import conv_explorer
    >>> stats = measure_latency(conv_explorer(), "stride", [1, 2], repeats=2)
    >>> sorted(stats)
    ['max_ms', 'median_cpu_ms', 'median_ms', 'n']
    """
    times, cpu = [], []
    k = 0
    while len(times) < repeats:
        value = values[k % len(values)]
        k += 1
        if value == getattr(explorer, control):
            continue
        start, start_cpu = time.perf_counter(), time.process_time()
        setattr(explorer, control, value)
        times.append(1000 * (time.perf_counter() - start))
        cpu.append(1000 * (time.process_time() - start_cpu))
    return {"median_ms": statistics.median(times), "max_ms": max(times),
            "median_cpu_ms": statistics.median(cpu), "n": len(times)}


def add_arguments(parser):
    """``python -m convlab latency`` takes no options."""


def run(args):
    """Print the median payload time of every explorer; return the exit status."""
    from . import backward_explorer, conv_explorer, filter_explorer

    cases = [
        ("conv_explorer", conv_explorer, "stride", [1, 2, 3]),
        ("conv_explorer (16x16, 3 ch, full)",
         lambda: conv_explorer(16, 5, padding="full", channels=3), "stride", [1, 2, 3]),
        ("backward_explorer", backward_explorer, "stride", [1, 2]),
        ("backward_explorer (10x10, k5, full)",
         lambda: backward_explorer(10, 5, padding="full"), "stride", [1, 2, 3]),
        ("filter_explorer (gaussian)", lambda: filter_explorer(filter="gaussian"), "sigma",
         [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]),
        ("filter_explorer (filter)", filter_explorer, "filter", ["sobel", "sobel x", "gaussian"]),
    ]
    for name, make, control, values in cases:
        stats = measure_latency(make(), control, values)
        print(f"{name:36s} {control:7s} median {stats['median_ms']:6.1f} ms "
              f"(CPU {stats['median_cpu_ms']:6.1f} ms)   max {stats['max_ms']:6.1f} ms   "
              f"({stats['n']} changes)")
    return 0


if __name__ == "__main__":
    run(None)
