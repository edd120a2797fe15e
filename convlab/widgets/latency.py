"""How long a slider change takes to redraw: ``python -m convlab.widgets.latency``.

A benchmark, not a test: it sets a control ~20 times and reports the median
round trip (the value assignment, the redraw and the PNG encoding), as wall
time and as this process' CPU time (which other load on the machine does not
inflate).
"""
import statistics
import time

__all__ = ["measure_latency"]


def measure_latency(explorer, control, values, repeats=20):
    """Median and maximum milliseconds per change of ``explorer.controls[control]``.

    ``values`` are cycled through ``repeats`` times (a value equal to the
    current one is skipped, since it would not trigger a redraw).

    Examples
    --------
    >>> from convlab.widgets import conv_explorer
    >>> stats = measure_latency(conv_explorer(), "stride", [1, 2], repeats=2)
    >>> sorted(stats)
    ['max_ms', 'median_cpu_ms', 'median_ms', 'n']
    """
    widget = explorer.controls[control]
    times, cpu = [], []
    k = 0
    while len(times) < repeats:
        value = values[k % len(values)]
        k += 1
        if value == widget.value:
            continue
        start, start_cpu = time.perf_counter(), time.process_time()
        widget.value = value
        times.append(1000 * (time.perf_counter() - start))
        cpu.append(1000 * (time.process_time() - start_cpu))
    return {"median_ms": statistics.median(times), "max_ms": max(times),
            "median_cpu_ms": statistics.median(cpu), "n": len(times)}


def main():
    """Print the median redraw time of every explorer."""
    import numpy as np

    from convlab.widgets import backward_explorer, conv_explorer, filter_explorer

    cases = [
        ("conv_explorer", conv_explorer, "stride", [1, 2, 3]),
        ("conv_explorer (12x12, full)", lambda: conv_explorer(12, 5, padding="full"), "stride",
         [1, 2, 3]),
        ("backward_explorer", backward_explorer, "stride", [1, 2]),
        ("backward_explorer (gather)", lambda: backward_explorer(view="gather"), "row", [0, 1, 2, 3]),
        ("backward_explorer (im2row)", lambda: backward_explorer(8, view="im2row"), "row",
         [0, 3, 5, 7]),
        ("filter_explorer", lambda: filter_explorer(), "sigma", list(np.arange(0.5, 3.01, 0.25))),
    ]
    for name, make, control, values in cases:
        stats = measure_latency(make(), control, values)
        print(f"{name:30s} {control:6s} median {stats['median_ms']:6.1f} ms "
              f"(CPU {stats['median_cpu_ms']:6.1f} ms)   max {stats['max_ms']:6.1f} ms   "
              f"({stats['n']} changes)")


if __name__ == "__main__":
    main()
