"""numba's kernels compiled ahead by a child process, on maps of the first frame's types; long waits explained."""

import logging
import os
import subprocess
import sys
import threading
import time

import numba
import numpy as np
import pytest

from live.kernels import CompiledAhead, SlowNote, compile_kernels, sample_extraction
from tests.conftest import ROOT, in_own_mounts, needs_own_mounts


def test_a_slow_start_is_explained_and_a_quick_one_is_not(caplog):
    with caplog.at_level(logging.INFO):
        with SlowNote("still compiling", after=0.05):
            pass
        time.sleep(0.1)
        assert "still compiling" not in caplog.text
        with SlowNote("still compiling", after=0.05):
            time.sleep(0.2)
    assert caplog.text.count("still compiling") == 1


def test_a_wait_in_parts_is_explained_once_when_the_parts_add_up(caplog):
    """numba's kernels compile in two parts, around the layer's building: one note for both, said once."""
    note = SlowNote("still compiling", after=0.3)
    with caplog.at_level(logging.INFO):
        with note:
            time.sleep(0.2)
        time.sleep(0.3)  # another part's time (the layer built) does not count
        assert "still compiling" not in caplog.text
        with note:
            time.sleep(0.3)
        with note:
            time.sleep(0.4)
    assert caplog.text.count("still compiling") == 1


@pytest.mark.parametrize("in_graph", [False, True], ids=["host", "graph"])
def test_the_sample_maps_have_the_types_of_a_real_frame(vgg16, in_graph):
    """The child compiles for the sample's types: for another type (a writable array where a tensor's buffer is
    read-only, say) the first frame compiles once more, for seconds, and nothing was gained."""
    from live.extractor import Extractor

    extractor = Extractor(vgg16, "block1_conv1", 8, in_graph=in_graph)
    real = extractor(np.zeros((*extractor.input_hw, 3), np.uint8), np.arange(8))
    sample = sample_extraction(float_maps=not in_graph)
    for field in ("maps_hwk", "columns", "offset", "scale"):
        assert numba.typeof(getattr(sample, field)) == numba.typeof(getattr(real, field)), field


def test_kernels_in_the_cache_are_seen_there(tmp_path):
    """Where numba's cache holds them, no child is started (it cost a warm start 0.4 s); an empty one is seen."""
    def seen(env: dict) -> list[str]:
        look = [sys.executable, "-c", "from live.kernels import cached; print(cached())"]
        return subprocess.run(look, env=env, cwd=ROOT, capture_output=True, text=True).stdout.split()[-1:]

    assert seen(dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))) == ["False"]
    compile_kernels(float_maps=True)  # into the default cache, or loaded from it
    assert seen(dict(os.environ)) == ["True"]


def test_the_child_is_ended_where_the_program_stops_before_the_first_frame(monkeypatch):
    """q while the model loads, or a source that does not open: nothing is left compiling after the program."""
    monkeypatch.setattr("live.kernels.cached", lambda: False)  # as on a machine's first start
    with CompiledAhead(float_maps=True) as ahead:
        child = ahead._child
        assert child.poll() is None
    assert child.poll() is not None  # ended with the block
    stop = threading.Event()
    stop.set()
    with CompiledAhead(float_maps=True) as ahead:
        began = time.monotonic()
        ahead.wait(stop)
        assert time.monotonic() - began < 1 and ahead._child.poll() is not None


READ_ONLY = r"""
set -e
mount --bind "$1" "$1" && mount -o remount,bind,ro "$1"
mount --bind "$2" "$2" && mount -o remount,bind,ro "$2"
shift 2
exec "$@"
"""


@needs_own_mounts
def test_the_kernels_are_cached_in_the_temporary_folder_where_neither_the_code_nor_home_can_be_written(tmp_path):
    """A read-only checkout run by a user without a home of their own (a container run with --user): numba refused
    to define the kernels, "cannot cache function 'channel_ranges': no locator available"."""
    home, temporary = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    temporary.mkdir()
    program = "import os, live.normalize, live.tiler; print(os.environ['NUMBA_CACHE_DIR'])"
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(temporary)}
    env.pop("NUMBA_CACHE_DIR", None)
    env.pop("XDG_CACHE_HOME", None)
    done = in_own_mounts(READ_ONLY, str(ROOT), str(home), sys.executable, "-c", program, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(temporary / f"live-numba-cache-{os.getuid()}")
