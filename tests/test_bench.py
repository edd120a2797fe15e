"""convlab.bench runs on a tiny case and returns well-formed rows (no timing assertions)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

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
    with pytest.raises(ValueError, match="repeats must be a positive integer; got 0"):
        run(cases=["tiny"], repeats=0, progress=False)
    with pytest.raises(ValueError, match="threads must be a positive integer; got 2.5"):
        run(cases=["tiny"], threads=2.5, progress=False)
    with pytest.raises(ValueError, match="blocks must be an integer >= 3; got 2"):
        run(cases=["tiny"], blocks=2, progress=False)


def test_default_cases_cover_the_issue():
    names = [case.name for case in CASES]
    for name in ("small", "resnet", "strided", "large_kernel", "depthwise", "sobel"):
        assert name in names
    depthwise = dict(zip(names, CASES))["depthwise"]
    assert depthwise.groups == depthwise.c_in == depthwise.c_out


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
def test_torch_memory_subprocess():
    peaks = torch_peak_bytes(["tiny"], threads=1)
    assert set(peaks) == {"tiny"} and peaks["tiny"] >= 0


def test_cli_json_quick():
    command = [sys.executable, "-m", "convlab.bench", "--json", "--quick", "--case", "tiny",
               "--method", "fast", "--no-progress"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    rows = json.loads(done.stdout)
    assert [row["method"] for row in rows] == ["torch", "fast"]
    assert all(set(row) == KEYS for row in rows)


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
