"""convlab.bench runs on a tiny case and returns well-formed rows (no timing assertions)."""

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from convlab.bench import CASES, Case, format_table, run
from convlab.bench.measure import rss_peak_bytes, time_block, torch_peak_bytes, traced_call

KEYS = {"case", "method", "description", "forward_ms", "backward_ms", "fwd_bwd_ms", "forward_ratio",
        "backward_ratio", "fwd_bwd_ratio", "forward_spread", "backward_spread", "fwd_bwd_spread",
        "unsteady", "block_ratios", "gflops", "peak_mb", "memory_by", "max_error", "skipped",
        "threads_blas", "threads_torch", "blas", "machine", "sgemm_gflops", "blocks", "rough"}


@pytest.fixture(scope="module")
def tiny_rows():
    return run(cases=["tiny"], methods=["fast", "im2row", "matrix", "flip"], quick=True, progress=False)


def test_rows_are_well_formed(tiny_rows):
    assert [row["method"] for row in tiny_rows] == ["torch", "im2row", "matrix", "flip", "fast"]
    for row in tiny_rows:
        assert set(row) == KEYS, row["method"]
        assert row["case"] == "tiny" and row["skipped"] is None
        assert row["threads_blas"] == row["threads_torch"] == os.cpu_count()
    by_method = {row["method"]: row for row in tiny_rows}
    assert by_method["torch"]["fwd_bwd_ratio"] == 1.0
    fast = by_method["fast"]
    assert all(fast[f"{phase}_ms"] > 0 for phase in ("forward", "backward", "fwd_bwd"))
    # the ratio is the median over interleaved blocks of (fast's time / PyTorch's time in that block)
    ratios = fast["block_ratios"]["fwd_bwd"]
    assert len(ratios) == 3 and fast["fwd_bwd_ratio"] == pytest.approx(sorted(ratios)[1])
    assert fast["fwd_bwd_spread"] == pytest.approx((max(ratios) - min(ratios)) / sorted(ratios)[1])
    assert fast["peak_mb"] > 0 and fast["memory_by"] == "tracemalloc"
    assert fast["max_error"] < 1e-5  # float32 output agrees with PyTorch's
    # methods without a phase report None for it, never a made-up number
    assert by_method["matrix"]["backward_ms"] is None and by_method["matrix"]["fwd_bwd_ms"] is None
    assert by_method["flip"]["forward_ms"] is None and by_method["flip"]["max_error"] is None


def test_rows_serialise_and_format(tiny_rows):
    assert json.loads(json.dumps(tiny_rows)) == tiny_rows
    table = format_table(tiny_rows)
    assert table.splitlines()[0] == tiny_rows[0]["machine"]
    assert "tiny: N=2, 3->8, 16x16, k3 s1 p1" in table
    for method in ("torch", "fast", "im2row", "matrix", "flip"):
        assert any(line.startswith(method) for line in table.splitlines())


def test_slow_methods_are_skipped_and_said_so():
    rows = run(cases=["small"], methods=["loops"], quick=True, progress=False)
    loops = rows[1]
    assert loops["method"] == "loops" and loops["skipped"] == "too slow"
    assert loops["fwd_bwd_ms"] is None
    assert "loops           skipped (too slow)" in format_table(rows)


def test_custom_case_and_threads():
    case = Case("mine", n=1, c_in=2, c_out=3, size=9, kernel=3, stride=2, padding=1, groups=1)
    rows = run(cases=[case], methods=["shift"], quick=True, threads=1, progress=False)
    assert [(r["case"], r["method"]) for r in rows] == [("mine", "torch"), ("mine", "shift")]
    assert rows[1]["threads_blas"] == rows[1]["threads_torch"] == 1
    assert rows[1]["max_error"] < 1e-5


def test_unknown_names_raise():
    with pytest.raises(ValueError, match=r"cases must be among .*got \['resnet50'\]"):
        run(cases=["resnet50"], progress=False)
    with pytest.raises(ValueError, match=r"methods must be among .*got \['fft'\]"):
        run(cases=["tiny"], methods=["fft"], progress=False)
    # the wording of convlab._checks.check_int, which run uses for every int
    with pytest.raises(ValueError, match="repeats must be a positive int; got 0"):
        run(cases=["tiny"], repeats=0, progress=False)
    with pytest.raises(TypeError, match=r"threads must be an int; got 2.5 \(float\)"):
        run(cases=["tiny"], threads=2.5, progress=False)
    with pytest.raises(ValueError, match="blocks must be a >= 3 int; got 2"):
        run(cases=["tiny"], blocks=2, progress=False)


BAD_RUN_ARGUMENTS = [
    (dict(cases=3), TypeError, r"cases must be a sequence of case names or Case objects; got 3"),
    (dict(cases=[]), ValueError, r"cases must name at least one case"),
    (dict(cases=["tiny", None]), TypeError, r"cases\[1\] must be one of \['tiny'.* or a Case; got None"),
    (dict(cases=["tiny", "tiny"]), ValueError, r"cases must have distinct names .*\['tiny'\] twice"),
    (dict(methods="torch"), ValueError, r"methods must be among \[.*'fast'.*\] .*got \['torch'\]"),
    (dict(methods=[3]), TypeError, r"methods\[0\] must be one of .*; got 3 \(int\)"),
    (dict(quick="yes"), TypeError, r"quick must be True or False; got 'yes' \(str\)"),
    (dict(progress=1), TypeError, r"progress must be True or False; got 1 \(int\)"),
    (dict(repeats=True), TypeError, r"repeats must be an int; got True \(bool\)"),
    (dict(threads=0), ValueError, r"threads must be a positive int; got 0"),
    (dict(blocks=3.0), TypeError, r"blocks must be an int; got 3.0 \(float\)"),
    (dict(cases=[Case("mine", 1, 2, 3, 9, 3, groups=2)]), ValueError,
     r"cases\[0\].groups must divide c_in and c_out; got groups=2, c_in=2, c_out=3"),
    (dict(cases=[Case("mine", 1, 2, 3, 4, 7)]), ValueError,
     r"cases\[0\].kernel must fit the padded input \(size \+ 2 \* padding = 4\); got 7"),
    (dict(cases=[Case("mine", 0, 2, 3, 9, 3)]), ValueError, r"cases\[0\].n must be a positive int; got 0"),
    (dict(cases=[Case("mine", 1, 2, 3, 9, 3, padding=-1)]), ValueError,
     r"cases\[0\].padding must be a >= 0 int; got -1"),
    (dict(cases=[Case("huge", 64, 64, 64, 4096, 3)]), ValueError,
     r"cases\[0\]'s input of shape \(64, 64, 4096, 4096\) \(float32\) needs .* over convlab's memory limit"),
]


@pytest.mark.parametrize("kwargs, error, message", BAD_RUN_ARGUMENTS)
def test_bad_arguments_are_refused_before_any_timing(monkeypatch, kwargs, error, message):
    import convlab.bench as bench

    def must_not_run(*args, **kwargs):
        raise AssertionError("work started before the arguments were checked")

    for name in ("sgemm_gflops", "make_arrays", "torch_peak_bytes", "blas_description"):
        monkeypatch.setattr(bench, name, must_not_run)
    threads_before = bench.torch.get_num_threads()
    with pytest.raises(error, match=message):
        run(**dict(dict(cases=["tiny"], progress=False), **kwargs))
    assert bench.torch.get_num_threads() == threads_before


def test_bad_rows_and_machine_arguments_are_refused_by_name():
    from convlab.bench import machine_line

    with pytest.raises(TypeError, match=r"rows must be a sequence of row dicts .*; got 3 \(int\)"):
        format_table(3)
    with pytest.raises(TypeError, match=r"rows\[1\] must be a row dict .*; got 'a' \(str\)"):
        format_table([{"case": "tiny", "method": "fast", "skipped": "too slow"}, "a"])
    with pytest.raises(ValueError, match=r"rows\[0\] must have the keys .*; got no \['gflops', 'peak_mb'\]"):
        format_table([{"case": "tiny", "method": "fast", "forward_ms": 1.0, "backward_ms": None,
                       "fwd_bwd_ms": None}])
    with pytest.raises(TypeError, match=r"rows\[0\]\['forward_ratio'\] must be a number; got '2' \(str\)"):
        format_table([{"case": "tiny", "method": "fast", "skipped": "x", "forward_ratio": "2"}])
    with pytest.raises(ValueError, match=r"rows\[0\]\['threads_blas'\] must be a positive int; got 0"):
        format_table([{"case": "tiny", "method": "fast", "skipped": "x", "threads_blas": 0}])
    skipped = {"case": "tiny", "method": "loops", "skipped": "too slow"}  # a skipped row needs no timings
    assert format_table([skipped]).splitlines()[-1] == "loops           skipped (too slow)"
    with pytest.raises(TypeError, match=r"blas must be a str; got 3 \(int\)"):
        machine_line(3)
    with pytest.raises(ValueError, match=r"threads_torch must be a positive int; got -1"):
        machine_line("openblas", 1, -1)
    with pytest.raises(TypeError, match=r"sgemm must be None or a dict with keys 'numpy' and 'torch'"):
        machine_line("openblas", 1, 1, sgemm={"numpy": 1.0})
    with pytest.raises(ValueError, match=r"sgemm\['torch'\] must be >= 0; got -2.0"):
        machine_line("openblas", 1, 1, sgemm={"numpy": 1.0, "torch": -2.0})
    line = machine_line("openblas", 1, 2, sgemm={"numpy": 10.5, "torch": 11})
    assert "[openblas], 1 BLAS threads" in line and ", 2 threads | float32" in line
    assert "numpy 10.5 GFLOP/s, torch 11 GFLOP/s" in line


def test_default_cases_cover_the_issue():
    names = [case.name for case in CASES]
    for name in ("small", "resnet", "strided", "large_kernel", "depthwise", "sobel"):
        assert name in names
    depthwise = dict(zip(names, CASES))["depthwise"]
    assert depthwise.groups == depthwise.c_in == depthwise.c_out


def test_a_full_block_warms_up_for_the_settling_time():
    """Idle thread pools of the library timed before spin for ~0.1 s: a block warms up for `settle` seconds."""
    count = [0]

    def call(pause=0.002):
        count[0] += 1
        time.sleep(pause)

    time_block(call, repeats=3, warmup=2)
    assert count[0] == 2 + 3  # no settling time: the warm-up calls asked for, then the timed ones
    count[0] = 0
    started = time.perf_counter()
    *_, times, _, _ = time_block(call, repeats=3, warmup=2, settle=0.1)
    assert time.perf_counter() - started >= 0.1 and len(times) == 3
    assert count[0] >= 3 + 0.1 / 0.01  # warm-up went on for 0.1 s (each call takes 2-10 ms)
    count[0] = 0
    median, times, _, _ = time_block(lambda: call(pause=0.31), repeats=3, settle=0.1)
    assert count[0] == 2 and times == [median] and median >= 0.31  # slow: one warm-up, one timed call


def test_measurements_on_known_work():
    median, times, result, peak = time_block(lambda: sum(range(1000)), repeats=5, warmup=1)
    assert len(times) == 5 and min(times) <= median <= max(times)
    assert result == 499500 and peak is None
    megabytes = 8 * 2**20
    ones, peak = traced_call(lambda: np.ones(megabytes // 8))
    assert ones.shape == (2**20,) and megabytes <= peak <= megabytes + 2**16
    *_, peak = time_block(lambda: np.ones(megabytes // 8), repeats=2, trace=True)
    assert megabytes <= peak <= megabytes + 2**16
    if sys.platform.startswith("linux"):
        rise = rss_peak_bytes(lambda: np.ones(64 * 2**20 // 8), warmup=0)  # 64 MiB, written
        assert 48 * 2**20 <= rise <= 96 * 2**20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peak RSS is read from /proc")
@pytest.mark.slow  # a subprocess or a timed epoch
def test_torch_memory_subprocess():
    peaks = torch_peak_bytes(["tiny"], threads=1)
    assert set(peaks) == {"tiny"} and peaks["tiny"] >= 0


@pytest.mark.slow  # a subprocess or a timed epoch
def test_cli_json_quick():
    command = [sys.executable, "-m", "convlab.bench", "--json", "--quick", "--case", "tiny",
               "--method", "fast", "--no-progress"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    rows = json.loads(done.stdout)
    assert [row["method"] for row in rows] == ["torch", "fast"]
    assert all(set(row) == KEYS for row in rows)


@pytest.mark.slow  # a subprocess or a timed epoch
def test_cli_rejects_bad_arguments():
    done = subprocess.run([sys.executable, "-m", "convlab.bench", "--case", "nope"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "invalid choice: 'nope'" in done.stderr
    done = subprocess.run([sys.executable, "-m", "convlab.bench", "--blocks", "2"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--blocks must be an integer >= 3; got 2" in done.stderr


def test_ratios_are_medians_of_interleaved_blocks(tiny_rows):
    for row in tiny_rows:
        assert row["blocks"] == 3 and row["rough"] is True
        for phase in ("forward", "backward", "fwd_bwd"):
            if row[f"{phase}_ms"] is None:
                assert row[f"{phase}_ratio"] is None and row[f"{phase}_spread"] is None
            else:
                assert row[f"{phase}_spread"] >= 0
        spreads = [row[f"{p}_spread"] or 0 for p in ("forward", "backward", "fwd_bwd")]
        assert row["unsteady"] == (max(spreads) > 0.25)
    torch_row = tiny_rows[0]
    assert torch_row["fwd_bwd_spread"] == 0.0  # PyTorch against itself, block by block


def test_unsteady_rows_are_flagged_and_quick_says_rough():
    base = {"case": "tiny", "description": "a layer", "backward_ms": None, "backward_ratio": None,
            "fwd_bwd_ms": None, "fwd_bwd_ratio": None, "gflops": 1.0, "peak_mb": None,
            "max_error": None, "skipped": None, "threads_blas": 2, "threads_torch": 2,
            "machine": "the machine", "blocks": 3}
    steady = dict(base, method="fast", forward_ms=1.0, forward_ratio=1.2, forward_spread=0.05)
    shaky = dict(base, method="im2row", forward_ms=2.0, forward_ratio=2.5, forward_spread=0.4)
    table = format_table([steady, shaky])
    assert "1.20x±5% " in table and "2.50x±40%!" in table
    wild = dict(shaky, forward_spread=25.0)  # a block 25x off: the cell keeps its width
    assert "2.50x±>999%!" in format_table([wild])
    assert "ROUGH" not in table
    assert "ROUGH ratios" in format_table([dict(steady, rough=True)]).splitlines()[1]


def test_machine_line_shows_blas_and_the_sgemm_floor(tiny_rows):
    row = tiny_rows[0]
    assert row["blas"] != "unknown BLAS" and "kernels" in row["blas"]  # threadpoolctl's architecture
    assert set(row["sgemm_gflops"]) == {"numpy", "torch"}
    assert all(value > 0 for value in row["sgemm_gflops"].values())
    assert f"numpy {row['sgemm_gflops']['numpy']} GFLOP/s" in row["machine"]
    assert row["blas"] in row["machine"]


def test_winograd_rows_only_where_it_applies():
    rows = run(cases=["strided"], methods=["winograd"], quick=True, progress=False)
    assert rows[1]["method"] == "winograd" and rows[1]["skipped"] == "not for this layer"
    rows = run(cases=["tiny"], methods=["winograd"], quick=True, progress=False)
    assert rows[1]["skipped"] is None and rows[1]["max_error"] < 1e-5


# ---------------------------------------------------------------- the training case

def test_torch_digits_cnn_computes_what_the_convlab_network_computes():
    from convlab.bench.training import torch_digits_cnn
    from convlab.training import digits_cnn

    model = digits_cnn(rng=3, dtype=np.float32)
    x = np.random.default_rng(0).random((5, 1, 8, 8), dtype=np.float32)
    expected = torch_digits_cnn(model)(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(model.forward(x), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.slow  # a subprocess or a timed epoch
def test_training_epochs_do_the_same_work_and_are_timed():
    from convlab.bench.training import format_training, run_training

    row = run_training(blocks=1, threads=1)
    assert row["case"] == "training" and row["threads"] == 1
    assert row["convlab_s"] > 0 and row["torch_s"] > 0 and len(row["block_ratios"]) == 1
    assert row["ratio"] == pytest.approx(row["convlab_s"] / row["torch_s"])
    # the same start, batches and steps: the epochs' mean losses agree to float32 rounding (about
    # 1e-8; a change of rounding grows to 2e-4 over 43 steps); lr 0.09, batches of 31 or another
    # order differ by 3-6 %
    assert row["loss_difference"] < 2e-3
    assert "x torch" in format_training(row)
    with pytest.raises(ValueError, match="blocks"):
        run_training(blocks=0)


@pytest.mark.slow  # a subprocess or a timed epoch
def test_cli_training_only_prints_the_epoch_row():
    command = [sys.executable, "-m", "convlab.bench", "--training-only", "--threads", "1", "--json",
               "--no-progress"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)
    (row,) = json.loads(done.stdout)
    assert row["case"] == "training" and row["loss_difference"] < 2e-3
    done = subprocess.run([sys.executable, "-m", "convlab.bench", "--training-only", "--case", "tiny"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--training-only" in done.stderr
