"""Soak: 20,000 frames headless with no error and little memory growth. Slow: `python -m pytest -m slow`."""

import pytest

from live.bench import stability


@pytest.mark.slow
def test_20000_frames_headless_without_error_or_memory_growth(vgg16):
    from live.device import configure_device, import_tensorflow

    configure_device(import_tensorflow(), "auto")  # OpenCV's and numba's threads as a run sets them
    report = stability(vgg16, frames=20000, warm_up=1000)
    print(f"20000 frames: {report['first_fps']} FPS first, {report['last_fps']} FPS last "
          f"({report['first_cpu_ms_per_frame']} then {report['last_cpu_ms_per_frame']} ms of CPU a frame; the model "
          f"alone {report['model_alone_fps_before']} FPS before, {report['model_alone_fps_after']} after); "
          f"resident memory grew by {report['memory_growth_mb']} MB after warm-up")
    assert report["frames"] == 20000
    assert report["memory_growth_mb"] < 50
