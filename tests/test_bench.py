"""Smoke test of the benchmark script at its smallest settings (the real measurements run on request)."""

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def test_bench_quick_smoke(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, "-m", "live.bench", "--quick", "--frames", "4", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    assert report["machine"]["device"] in ("CPU",) or report["machine"]["device"].startswith("GPU")
    assert set(report["machine"]["versions"]) >= {"tensorflow", "numba", "opencv", "numpy"}
    layers = {(case["layer"], case["source"]) for case in report["cases"]}
    assert {("block1_conv1", "demo"), ("block1_conv2", "demo"), ("block3_conv3", "demo"), ("Conv1", "demo"),
            ("block1_conv1", "video")} <= layers
    for case in report["cases"]:
        assert case["fps"] > 0 and case["stages"]["model"]["median_ms"] > 0 and case["stages"]["latency"]["median_ms"] > 0
        assert case["ratio_to_model_alone"] > 0
        assert case["cpu_ms_per_frame"] > 0 and case["model_alone_cpu_ms"] > 0
    assert report["tiler"]["numba"]["median_ms"] > 0 and report["lesson"]["fps"] > 0
    assert "block1_conv1" in done.stdout and "[1/" in done.stderr  # the table, and progress while it runs
    assert "CPU time per frame" in done.stdout


def test_bench_without_a_gpu_says_so_in_one_sentence():
    done = subprocess.run([sys.executable, "-m", "live.bench", "--quick", "--device", "gpu", "--weights", "none"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    if done.returncode == 0:
        pytest.skip("this machine has a GPU: nothing to refuse")
    assert done.returncode == 2
    assert "TensorFlow sees no GPU" in done.stderr and "Traceback" not in done.stderr
