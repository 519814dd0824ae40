"""The capture thread: reads a source at its own frame rate (or as fast as taken, unpaced), hands on only
the newest frame, and keeps trying to get a lost camera or stream back."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import numpy as np

from live.handover import END, Handover

log = logging.getLogger(__name__)

RETRY_DELAYS = (0.25, 0.5, 1.0, 2.0)  # back-off between attempts to reopen a lost camera or stream


@dataclass
class Frame:
    index: int
    bgr: np.ndarray
    captured: float  # time.monotonic() when it was read
    read_seconds: float = 0.0
    origin: str | None = None  # the file it came from, where the source has several (a slideshow's image)
    position: int | None = None  # its number in a video file, from 0


class Capture(threading.Thread):
    """Reads the source, paced at its own frame rate unless unpaced or live; retries a lost live source."""

    def __init__(self, source, out: Handover, paced: bool, loop: bool, stop: threading.Event, status):
        super().__init__(name="capture", daemon=True)
        self.source, self.out, self.paced, self.loop, self.stop, self.status = source, out, paced, loop, stop, status
        self.error: BaseException | None = None
        self._playing = threading.Event()
        self._playing.set()

    def hold(self, on: bool) -> None:
        """Frozen: a file, a slideshow or the demo stops where it is and goes on from there when unfrozen. Before,
        it played on unseen: a video frozen for a minute while the presenter explained it had reached its end.
        A camera or stream is still read, so that its newest picture is there at once."""
        (self._playing.clear if on else self._playing.set)()

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # handed to the main thread, which reports it once
            self.error = exc
            self.out.put(END)

    def _run(self) -> None:
        index, start = 0, time.monotonic()
        while not self.stop.is_set():
            if not self._playing.is_set() and not self.source.live:
                held = time.monotonic()
                while not self._playing.wait(0.05) and not self.stop.is_set():
                    pass
                start += time.monotonic() - held  # the frames due meanwhile are not late
                continue
            if self.out.blocking:
                self.out.wait_empty()  # unpaced: a frame read now would only wait in the hand-over
            began = time.monotonic()
            bgr = self.source.read()
            if bgr is None:
                if self.source.live:
                    if not self._reconnect():
                        break
                    continue
                if self.loop and self.source.rewind():
                    continue
                break
            if self.paced and not self.source.live:
                due = start + index / self.source.fps
                delay = due - time.monotonic()
                if delay > 0:
                    self.stop.wait(delay)
                elif delay < -1.0:  # fell far behind (a stall): restart the clock instead of rushing
                    start = time.monotonic() - index / self.source.fps
            frame = Frame(index, bgr, time.monotonic(), time.monotonic() - began, self.source.origin,
                          self.source.position)
            if not self.out.put(frame):
                return
            index += 1
        self.out.finish()

    def _reconnect(self) -> bool:
        """Keep trying to get frames back with growing delays, until they come or the run stops."""
        self.status(f"{self.source.kind} lost, retrying ({self.source})", lost=True)
        attempt = 0
        while not self.stop.wait(RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]):
            attempt += 1
            log.debug("%s: attempt %d to open it again", self.source, attempt)
            if self.source.reconnect():
                self.status(f"{self.source.kind} back ({self.source})", lost=False)
                return True
        return False
