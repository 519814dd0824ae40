"""Hand-overs between the pipeline's threads: a one-item slot where the newest item wins, and a pool of
images that go round between threads instead of being allocated per frame."""

from __future__ import annotations

import threading

import numpy as np

END = object()  # sent through the hand-overs when the source has no more frames


class Handover:
    """A one-item slot between two threads: `put` replaces (or, blocking, waits for) the item; `take` waits.

    `on_drop` is called with an item that `put` replaced before anyone took it.
    """

    def __init__(self, blocking: bool = False, on_drop=None):
        self.blocking = blocking
        self.on_drop = on_drop
        self._item = None
        self._closed = False
        self._cond = threading.Condition()

    def put(self, item) -> bool:
        with self._cond:
            while self.blocking and self._item is not None and not self._closed:
                self._cond.wait(0.1)
            if self._closed:
                return False
            dropped, self._item = self._item, item
            self._cond.notify_all()
        if dropped is not None and self.on_drop is not None:
            self.on_drop(dropped)
        return True

    def wait_empty(self) -> None:
        """Block until the item was taken (or the hand-over closed): read the next frame only when it is wanted."""
        with self._cond:
            while self._item is not None and not self._closed:
                self._cond.wait(0.1)

    def finish(self) -> None:
        """Send END once the item waiting here was taken: the end of a file must not replace its last frame."""
        self.wait_empty()
        self.put(END)

    def take(self, timeout: float):
        with self._cond:
            if self._item is None:
                self._cond.wait(timeout)
            item, self._item = self._item, None
            self._cond.notify_all()
            return item

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


class BufferPool:
    """Images handed round between threads and back, so that no large buffer is allocated per frame."""

    KEEP = 8  # free images kept; older ones (of a size no longer asked for, say) are let go

    def __init__(self):
        self._free: list[np.ndarray] = []
        self._lock = threading.Lock()
        self.allocated = 0  # images made so far: a few in a whole run, one more for each result dropped unshown

    def take(self, shape: tuple[int, ...]) -> np.ndarray:
        with self._lock:
            for i, image in enumerate(self._free):
                if image.shape == shape:
                    return self._free.pop(i)
            self.allocated += 1
        return np.empty(shape, np.uint8)

    def give(self, image: np.ndarray | None) -> None:
        if image is None:
            return
        with self._lock:
            self._free.append(image)
            del self._free[:-self.KEEP]
