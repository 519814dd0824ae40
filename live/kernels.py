"""numba's kernels compiled into its cache by a process of their own while TensorFlow imports.

On a machine's first start numba compiles the tiler, the text and the channel ranges: seconds of one core
that the first mosaic waited for after TensorFlow and the model. A thread would not do: compiling is mostly
Python, and beside TensorFlow's import, Python too, it doubled that import's time (measured). A child process
compiles them on tiny maps of the types the first frame brings, on the other core, and the first frame
then loads them from the cache. Later starts find them there and start no child.
"""

from __future__ import annotations

import logging
import sys
import threading
import time

import numpy as np

from live.children import start_python

log = logging.getLogger(__name__)

GIVE_UP_SECONDS = 120  # a child that takes longer is ended, and the first frame compiles what it lacks
FIRST_START_NOTE = ("preparing the first frame: numba compiles its kernels on a machine's first start (a few "
                    "seconds); later starts load them from its cache")


class SlowNote:
    """Log `note` once the blocks it is used for have run `after` seconds together, so that a long wait is
    explained: said at most once, also where one wait comes in parts (numba's kernels)."""

    def __init__(self, note: str, after: float = 2.0):
        self.note, self.left = note, after
        self._said = threading.Event()
        self._timer: threading.Timer | None = None

    def _say(self) -> None:
        self._said.set()
        log.info("%s", self.note)

    def __enter__(self) -> None:
        self._started = time.monotonic()
        if not self._said.is_set():
            self._timer = threading.Timer(max(self.left, 0.0), self._say)
            self._timer.daemon = True
            self._timer.start()

    def __exit__(self, *exc) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.left -= time.monotonic() - self._started


def sample_extraction(float_maps: bool, k: int = 4):
    """Tiny maps of the types the extractor returns, for numba's sake: float32 on a CPU (scaled by the tiler),
    uint8 from the graph on a GPU, read-only as a tensor's host buffer is."""
    from live.extractor import Extraction

    maps = np.zeros((3, 3, k), np.float32 if float_maps else np.uint8)
    maps.flags.writeable = False
    return Extraction(maps, np.zeros(k, np.float32), np.ones(k, np.float32), np.arange(k, dtype=np.int32),
                      np.zeros(k, np.float32), np.ones(k, np.float32))


def compile_kernels(float_maps: bool) -> None:
    """Every kernel of a frame, through the code that calls them: the channel ranges (float maps), a canvas
    composed with its text, channel labels and the help (which draw on views of the canvas, another type)."""
    from live.compose import Composer
    from live.normalize import compile_ranges
    from live.tiler import MosaicLayout, colormap_lut

    if float_maps:
        compile_ranges()
    extraction = sample_extraction(float_maps)
    layout = MosaicLayout.for_count(len(extraction.columns), 3, 3, 1)
    Composer(240).compose(np.zeros((48, 64, 3), np.uint8), extraction, layout, colormap_lut("gray"), ["text"],
                          "a message", None, (0, 8, 48, 56), {0: "0"}, show_help=True)


def cached() -> bool:
    """Whether numba's cache holds a frame's kernels, compiled by an earlier start for this code and this numba
    (the index of each is read: numba drops one made for other source or another version). Then no child is
    started: beside TensorFlow's import it would cost a warm start about 0.4 s (measured)."""
    try:
        from live.compose import _blend_text
        from live.normalize import channel_ranges
        from live.tiler import _draw

        return all(kernel._cache._cache_file._load_index() for kernel in (_draw, _blend_text, channel_ranges))
    except Exception:  # numba's cache is read through its inner parts, which a later numba may rename
        log.debug("numba's cache could not be looked at", exc_info=True)
        return False


class CompiledAhead:
    """The child process that compiles them, from the program's start (before the window and the source open)
    until `wait`, before the first frame. Ended with the block where the program stops before (the user quit,
    a bad source), so that nothing is left running; where it cannot start or fails, the first frame compiles
    what it needs itself."""

    def __init__(self, float_maps: bool):
        self._child = None
        if cached() or not sys.executable:  # no interpreter to start (an embedded Python): the first frame compiles
            return
        try:
            self._child = start_python(["-m", "live.kernels", "float" if float_maps else "uint8"])
        except OSError as exc:
            log.debug("numba's kernels are compiled with the first frame: %s", exc)

    def __enter__(self) -> "CompiledAhead":
        return self

    def wait(self, stop: threading.Event | None = None) -> None:
        """Until the kernels are in the cache, explained after 2 s (a first start), or `stop` is set."""
        if self._child is None:
            return
        stop, given_up = stop or threading.Event(), time.monotonic() + GIVE_UP_SECONDS
        with SlowNote(FIRST_START_NOTE):
            while self._child.poll() is None and time.monotonic() < given_up and not stop.wait(0.05):
                pass
        self._end()
        if self._child.returncode:
            log.debug("compiling numba's kernels ahead ended with exit code %s", self._child.returncode)

    def __exit__(self, *exc) -> None:
        self._end()

    def _end(self) -> None:
        if self._child is not None and self._child.poll() is None:
            self._child.kill()
            self._child.wait()


if __name__ == "__main__":
    compile_kernels(sys.argv[1:] == ["float"])
