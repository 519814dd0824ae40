"""A library ending the process with C's exit, as Qt does when the window's X connection breaks: one sentence, and
the recording finished by its writing process and named, before the process ends."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import count_frames

ROOT = Path(__file__).parents[1]

PROGRAM = """
import ctypes, sys
from live import cut_off
from live.outputs import Recorder
from tests.test_outputs import canvas

assert cut_off.arm() and cut_off.arm()  # armed twice, as the program does once its libraries are loaded
if sys.argv[2] == "window":
    cut_off.window_opened(":42")
recorder = Recorder(sys.argv[1], fps=20)
for i in range(20):
    recorder.write(canvas(i))
sys.stdout.flush()
ctypes.CDLL(None).exit(1)  # what Qt does when the X connection breaks, in the middle of the loop
"""


def ended_by_c(path: Path, window: bool) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROGRAM, str(path), "window" if window else "none"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", ["cut.mp4", "cut.avi"])
def test_the_window_cut_off_is_said_and_the_recording_finished_before_the_end(tmp_path, name):
    done = ended_by_c(tmp_path / name, window=True)
    assert done.returncode == 1, done.stderr
    assert ("error: the window's connection to the X display ':42' was lost (its X server ended, an ssh -X "
            "connection dropped, or xkill)") in done.stderr
    assert f"recording saved: {tmp_path / name} (about 20 frames)" in done.stderr
    assert 18 <= count_frames(tmp_path / name) <= 20  # finished by the time the process ended, not later
    assert "Traceback" not in done.stderr and "terminate called" not in done.stderr


def test_without_a_window_nothing_is_said_and_the_exit_goes_on(tmp_path):
    done = ended_by_c(tmp_path / "cut.mp4", window=False)
    assert done.returncode == 1, done.stderr
    assert "X display" not in done.stderr and "recording saved" not in done.stderr
