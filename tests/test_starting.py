"""While the model loads: the keys the loading card takes, and the main thread left as the loading set it up. The card
in a real window: tests/test_window.py."""

import os
import subprocess
import sys

import pytest

from live.controls import ESC
from live.starting import loading_key
from tests.conftest import ROOT


@pytest.mark.parametrize("key, fullscreen, action", [
    (ord("q"), False, "quit"),
    (ord("Q"), False, "quit"),  # Caps Lock left on
    (ord("q") | 0x100000, False, "quit"),  # OpenCV's GTK window adds the modifiers' bits
    (ESC, False, "quit"),
    (ESC, True, "fullscreen"),  # leaves fullscreen first, as once it runs: a presenter's remote sends Esc
    (ord("q"), True, "quit"),
    (ord("f"), False, "fullscreen"),
    (ord("f"), True, "fullscreen"),
    (ord("n"), False, None),  # the other keys wait for the model
    (-1, False, None),
])
def test_keys_while_the_model_loads(key, fullscreen, action):
    assert loading_key(key, fullscreen) == action


LOAD_BESIDE_A_WINDOW = """
import numba
from live.display import Window
from live.sources import DemoSource
from live.starting import load_in_window
import threading

def load(phase):  # as configure_device does, in the loading thread: numba's count is that thread's own
    numba.set_num_threads(1)
    return "loaded"

window = Window()
with DemoSource().open() as source:
    print(numba.get_num_threads(), load_in_window(load, window, source, "vgg16", False, 240, threading.Event()),
          numba.get_num_threads())
window.close()
"""


def test_the_main_thread_tiles_with_the_numba_threads_chosen_while_loading(xserver):
    """numba.set_num_threads applies to the calling thread only: set while loading, beside the window, the main
    thread kept every core for the tiler, which then fought the model (1.7 times the time of the two apart)."""
    import numba

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("one core: nothing to choose")
    done = subprocess.run([sys.executable, "-c", LOAD_BESIDE_A_WINDOW], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, DISPLAY=xserver))
    assert done.stdout.split() == [str(numba.config.NUMBA_NUM_THREADS), "loaded", "1"], done.stdout + done.stderr
