"""The window while TensorFlow and the model load and the first frame is prepared, which takes seconds: the source's
picture where it has one to spare, and what is loading, so that a presenter sees at once that the program started
and takes their place."""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, TypeVar

import cv2
import numba

from live.compose import loading_canvas, text_zoom
from live.controls import ESC, key_char

log = logging.getLogger(__name__)

PREVIEW_FPS = 15  # the card is drawn again this often at most: the import beside it keeps most of the CPU

Loaded = TypeVar("Loaded")


def load_in_window(load: Callable[[Callable[[str], None]], Loaded], window, source, what: str, mirror: bool,
                   panel_height: int, stop: threading.Event,
                   discard: Callable[[Loaded], None] | None = None) -> Loaded | None:
    """Call `load(phase)` in a thread while `window` shows the loading card and takes its keys; return what `load`
    returned, or raise what it raised. `load` may call `phase(text)` to say on the card what it does next
    (TensorFlow and the model, at first). None where the user quit meanwhile (q, Esc, the window closed, or `stop`
    set by Ctrl+C or SIGTERM): TensorFlow's import cannot be cut short from another thread, so the window closes at
    once, `stop` is set (for `load` to skip what is left) and the loading is waited for, nothing else being started
    after it; what it made, if anything, is then handed to `discard`."""
    outcome = {}
    doing = ["TensorFlow and the model"]  # set by the loading thread, read by this one

    def phase(text: str) -> None:
        doing[0] = text

    def work() -> None:
        try:
            outcome["loaded"] = load(phase)
            outcome["numba_threads"] = numba.get_num_threads()  # as the device's set-up left them: see below
        except BaseException as exc:  # said by the main thread, as any other error
            outcome["error"] = exc

    thread = threading.Thread(target=work, name="loading")
    began = time.monotonic()
    previews = Previews(source, mirror)
    started = False
    try:
        while not started or thread.is_alive():
            drawn = time.monotonic()
            lines = [f"loading {what}", f"{doing[0]}: {drawn - began:.0f} s", "q quits"]
            canvas = loading_canvas(previews.picture, source.picture_hw, panel_height, lines,
                                    text_zoom(window.shown_scale()))  # larger where the window is shown small
            key = window.show(canvas, f"{window.title}: loading")
            action = loading_key(key, window.fullscreen)
            if action == "fullscreen":
                window.set_fullscreen(not window.fullscreen)
            if action == "quit" or window.closed() or stop.is_set():
                stop.set()  # `load` may skip what is left
                window.close()
                if started:
                    log.info("stopping once the loading is done (TensorFlow's import cannot be cut short)")
                break
            if not started:  # after the first card, which took 1.1 s beside the import (against 0.3 s): its first
                thread.start()  # calls (numba's text kernel from its cache, Qt) wait their turn for the interpreter
                previews.start()
                started = True
            thread.join(max(0.0, drawn + 1 / PREVIEW_FPS - time.monotonic()))
    except BaseException:
        window.close()
        raise
    finally:
        previews.stop()  # before the run's capture thread reads the source, and before it is closed
    if stop.is_set():  # quit, or a signal came, while loading (or just as it ended)
        window.close()
        if started:
            thread.join()
        if discard is not None and outcome.get("loaded") is not None:
            discard(outcome["loaded"])
        return None
    if "error" in outcome:
        window.close()
        raise outcome["error"]
    # numba's thread count is the calling thread's own (OpenCV's and TensorFlow's are the process's): the main
    # thread, which tiles, takes the count chosen while loading, else it tiled with every core, fighting the model.
    numba.set_num_threads(outcome["numba_threads"])
    return outcome["loaded"]


class Previews:
    """The source's pictures for the card, read in a thread of their own after the first (read at once, for the
    first card): a camera that stalls, or a stream that stops answering (5 s before a read gives up), held the
    card and its keys with them, q included."""

    def __init__(self, source, mirror: bool):
        self.source, self.mirror = source, mirror
        self.picture = None  # the newest, as shown
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._read_on, name="preview", daemon=True)
        self._read()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop reading; wait for a read under way, as the source allows (closing it also waits, or leaves it)."""
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()

    def _read(self) -> None:
        fresh = self.source.preview()
        if fresh is not None:
            self.picture = cv2.flip(fresh, 1) if self.mirror else fresh

    def _read_on(self) -> None:
        while not self._stopped.is_set():
            began = time.monotonic()
            self._read()
            self._stopped.wait(max(0.0, began + 1 / PREVIEW_FPS - time.monotonic()))


def loading_key(key: int, fullscreen: bool) -> str | None:
    """What a key does while the model loads: "quit" (q, and Esc), "fullscreen" (f, and Esc while fullscreen, which
    it leaves first, as once the program runs: a presenter's remote sends Esc), or None."""
    if key == -1:
        return None
    key, char = key_char(key)
    if char == "f" or (key == ESC and fullscreen):
        return "fullscreen"
    return "quit" if char == "q" or key == ESC else None
