"""Soak: 20,000 frames headless with no error and little memory growth. Slow: `python -m pytest -m slow`."""

import threading
import time

import pytest

from live.config import Config
from live.pipeline import Visualizer
from live.sources import DemoSource

FRAMES = 20000
WARM_UP = 1000


def resident_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


@pytest.mark.slow
def test_20000_frames_headless_without_error_or_memory_growth(vgg16):
    visualizer = Visualizer(Config(unpaced=True, max_frames=FRAMES), DemoSource().open(), vgg16)
    after_warm_up = []

    def watch():
        while visualizer.frames < WARM_UP and not visualizer.stop.is_set():
            time.sleep(0.05)
        after_warm_up.append(resident_mb())

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    summary = visualizer.run()
    watcher.join(5)
    growth = resident_mb() - after_warm_up[0]
    print(f"{FRAMES} frames at {summary.fps:.1f} FPS; resident memory grew by {growth:.1f} MB after warm-up")
    assert summary.frames == FRAMES
    assert growth < 50
