"""The loop: capture thread → inference thread → main thread (tile, compose, show), and a clean stop.

Each hand-over keeps only the newest item, so a slow model drops frames instead of delaying them.
With `unpaced` the hand-overs block instead, so every frame of a file is processed (benchmarks).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field

import cv2
import numpy as np

from live.controls import Controls, ViewState
from live.display import Composer, camera_panel_hw, scale_camera
from live.errors import OutputError
from live.extractor import STEADY_RATE, Extraction, Extractor
from live.preprocess import crop_box, prepare_rgb
from live.tiler import MosaicLayout, colormap_lut, colormap_names

log = logging.getLogger(__name__)

END = object()  # sent through the hand-overs when the source has no more frames
RETRY_DELAYS = (0.25, 0.5, 1.0, 2.0)  # back-off between attempts to reopen a lost camera or stream
MESSAGE_SECONDS = 2.0
THROUGHPUT_WORKERS = 2  # frames in flight through the model with --unpaced; live and paced sources keep one
FIGURES_SECONDS = 0.25  # how often the overlay's FPS and latency figures change


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


@dataclass
class Frame:
    index: int
    bgr: np.ndarray
    captured: float  # time.monotonic() when it was read
    read_seconds: float = 0.0


@dataclass
class Request:
    """What the inference thread should compute, as set by the main thread."""

    layer: str
    channels: np.ndarray
    normalize: str
    mirror: bool
    frozen: bool
    version: int = 0


@dataclass
class Result:
    frame: Frame
    bgr: np.ndarray  # the picture as shown (mirrored when asked)
    rgb: np.ndarray  # the model's input
    request: Request
    extractor: Extractor
    extraction: Extraction
    timings: dict = field(default_factory=dict)
    picture: np.ndarray | None = None  # `bgr` at its size in the window (from the pool), scaled by the worker


class Stats:
    """Per-stage durations and the times frames were shown, for the overlay (a sliding window) and the
    benchmark (`keep_all`: everything, to drop the warm-up and take medians afterwards)."""

    def __init__(self, window: int = 60, keep_all: bool = False):
        self.window = None if keep_all else window
        self.stages: dict[str, deque] = {}
        self.shown = deque(maxlen=self.window)

    def add(self, stage: str, seconds: float) -> None:
        self.stages.setdefault(stage, deque(maxlen=self.window)).append(seconds)

    def fps(self, last: int = 60) -> float:
        """Frames per second over the last `last` frames: N − 1 intervals."""
        count = min(last, len(self.shown))
        if count < 2 or self.shown[-1] <= self.shown[-count]:
            return 0.0
        return (count - 1) / (self.shown[-1] - self.shown[-count])

    def median_ms(self, stage: str, last: int = 60) -> float:
        values = self.stages.get(stage)
        if not values:
            return 0.0
        return float(np.median([values[i] for i in range(-min(last, len(values)), 0)]) * 1000)


class Capture(threading.Thread):
    """Reads the source, paced at its own frame rate unless unpaced or live; retries a lost live source."""

    def __init__(self, source, out: Handover, paced: bool, loop: bool, stop: threading.Event, status):
        super().__init__(name="capture", daemon=True)
        self.source, self.out, self.paced, self.loop, self.stop, self.status = source, out, paced, loop, stop, status
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # handed to the main thread, which reports it once
            self.error = exc
            self.out.put(END)

    def _run(self) -> None:
        index, start = 0, time.monotonic()
        while not self.stop.is_set():
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
            if not self.out.put(Frame(index, bgr, time.monotonic(), time.monotonic() - began)):
                return
            index += 1
        self.out.put(END)

    def _reconnect(self) -> bool:
        """Keep trying to get frames back with growing delays, until they come or the run stops."""
        attempt = 0
        while not self.stop.is_set():
            self.status(f"camera lost, retrying ({self.source})")
            log.warning("%s stopped delivering frames; retrying", self.source)
            self.stop.wait(RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)])
            attempt += 1
            if self.source.reconnect():
                self.status("camera back")
                log.info("%s is back", self.source)
                return True
        return False


class Inference:
    """Turns frames into maps on `workers` threads, with the extractor of the requested layer (built once).

    One worker keeps the latency to one model call. With two (throughput mode, `--unpaced`) a second frame
    goes through the model while the first is finished: on a CPU, an operation split across both cores
    waits for its slower half whenever tiling or capture takes a core, and a second frame in flight fills
    that gap. Results leave in the order their frames arrived.

    With `panel_height` the workers also scale the camera picture to its size in the window (into images
    from `pictures`), which takes that step off the main thread: beside a GPU it is what sets the pace.
    """

    def __init__(self, loaded, per_page: int, frames: Handover, out: Handover, stop: threading.Event, request: Request,
                 in_graph: bool = False, workers: int = 1, panel_height: int | None = None,
                 pictures: BufferPool | None = None):
        self.loaded, self.per_page, self.frames, self.out, self.stop = loaded, per_page, frames, out, stop
        self.in_graph = in_graph
        self.panel_height, self.pictures = panel_height, pictures or BufferPool()
        self.extractors: dict[str, Extractor] = {}
        self._request = request
        self._changed = threading.Event()
        self._steady: dict = {}
        self._built = threading.Lock()  # one build (and trace) per layer, even when two workers ask at once
        self._steady_lock = threading.Lock()
        self._taking = threading.Lock()  # a frame and its place in the order are taken together
        self._turn = threading.Condition()
        self._taken = self._delivered = 0
        self._running = workers
        self._last: Frame | None = None
        self.error: BaseException | None = None
        self._threads = [threading.Thread(target=self._work, args=(worker,), name=f"inference-{worker}", daemon=True)
                         for worker in range(workers)]

    def extractor(self, layer: str) -> Extractor:
        with self._built:
            if layer not in self.extractors:
                began = time.monotonic()
                self.extractors[layer] = Extractor(self.loaded, layer, self.per_page, self.in_graph)
                log.debug("built the sub-model up to %s in %.2f s", layer, time.monotonic() - began)
            return self.extractors[layer]

    def warm_up(self, request: Request) -> Result:
        """Build and trace the requested layer's extractor on a blank frame, and return that frame's result,
        so that the main thread can prepare its own steps on it too. Nothing is kept (no steady range)."""
        extractor = self.extractor(request.layer)
        blank = np.zeros((*extractor.input_hw, 3), np.uint8)
        extraction = extractor(blank, request.channels)
        return Result(Frame(-1, blank, time.monotonic()), blank, blank, request, extractor, extraction)

    def update(self, request: Request) -> None:
        self._request = request
        self._changed.set()

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def join(self, timeout: float) -> None:
        for thread in self._threads:
            thread.join(timeout)

    def _work(self, worker: int) -> None:
        try:
            self._run(worker)
        except BaseException as exc:  # handed to the main thread, which reports it once
            self.error = self.error or exc
            self.out.put(END)
        finally:
            with self._turn:
                self._running -= 1
                last = self._running == 0
            if last:
                self.out.put(END)

    def _take(self):
        """The next frame and its ticket, the order in which its result must leave."""
        with self._taking:
            frame = self.frames.take(0.1)
            if frame is None or frame is END:
                return frame, -1
            self._last = frame
            self._taken += 1
            return frame, self._taken - 1

    def _deliver(self, ticket: int, result: Result) -> bool:
        with self._turn:
            while self._delivered != ticket and not self.stop.is_set():
                self._turn.wait(0.1)
        delivered = self.out.put(result)
        with self._turn:
            self._delivered += 1
            self._turn.notify_all()
        return delivered

    def _run(self, worker: int) -> None:
        frozen_frame, done_version = None, -1
        while not self.stop.is_set():
            request = self._request
            if request.frozen and self._last is not None:
                if worker:  # one worker is enough to redraw a frozen frame
                    self.stop.wait(0.05)
                    continue
                frozen_frame = frozen_frame or self._last
                if request.version == done_version:
                    self._changed.wait(0.05)
                    self._changed.clear()
                    continue
                with self._taking:
                    frame, ticket = frozen_frame, self._taken
                    self._taken += 1
            else:
                frozen_frame = None
                frame, ticket = self._take()
                if frame is None:
                    continue
                if frame is END:
                    self.frames.put(END)  # for the other workers
                    return
            done_version = request.version
            if not self._deliver(ticket, self.process(frame, request)):
                return

    def process(self, frame: Frame, request: Request) -> Result:
        timings = {"capture": frame.read_seconds}
        began = time.perf_counter()
        bgr = cv2.flip(frame.bgr, 1) if request.mirror else frame.bgr
        extractor = self.extractor(request.layer)
        rgb = prepare_rgb(bgr, extractor.input_hw)
        picture = None
        if self.panel_height is not None:
            picture = self.pictures.take((*camera_panel_hw(bgr.shape[:2], self.panel_height), 3))
            scale_camera(bgr, self.panel_height, out=picture)
        timings["preprocess"] = time.perf_counter() - began
        began = time.perf_counter()
        key = (request.layer, tuple(request.channels.tolist()))
        with self._steady_lock:
            steady = self._steady.get(key) if request.normalize == "steady" else None
        if steady is not None:
            extraction = extractor(rgb, request.channels, "steady", *steady)
            with self._steady_lock:
                low, high = self._steady.get(key, steady)
                self._steady[key] = (_follow(low, extraction.low), _follow(high, extraction.high))
        else:
            mode = "channel" if request.normalize == "steady" else request.normalize
            extraction = extractor(rgb, request.channels, mode)
            if request.normalize == "steady":
                with self._steady_lock:
                    self._steady[key] = (extraction.low.copy(), extraction.high.copy())
        timings["model"] = time.perf_counter() - began
        return Result(frame, bgr, rgb, request, extractor, extraction, timings, picture)


def _follow(steady: np.ndarray, current: np.ndarray) -> np.ndarray:
    """Move a steady range a step towards the current frame's; start again where it is not finite."""
    moved = steady + STEADY_RATE * (current - steady)
    return np.where(np.isfinite(moved), moved, current).astype(np.float32)


def normalize_in_graph(choice: str) -> bool:
    """Where maps are normalized: `graph`, `host`, or `auto` (in the graph when TensorFlow has a GPU)."""
    if choice != "auto":
        return choice == "graph"
    import tensorflow as tf

    return bool(tf.config.list_logical_devices("GPU"))


@dataclass
class Summary:
    frames: int
    seconds: float
    stats: Stats

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


class Visualizer:
    """The main thread's side: results → canvas → window and files; keys and clicks → controls → requests."""

    def __init__(self, config, source, loaded, window=None, stats: Stats | None = None):
        self.config, self.source, self.loaded, self.window = config, source, loaded, window
        self.stats = stats or Stats()
        first_layer = config.layer or loaded.default_layer
        names = [layer.name for layer in loaded.layers]
        mirror = source.mirror_by_default if config.mirror is None else config.mirror
        state = ViewState(layer_index=loaded.index_of(first_layer), page=config.page, order=config.order,
                          normalize=config.normalize, colormap=config.colormap, mirror=mirror,
                          fullscreen=config.fullscreen, labels=config.labels, focus=config.focus)
        self.controls = Controls(names, [layer.channels for layer in loaded.layers], config.channels,
                                 colormap_names(), state)
        layer = loaded.layer(first_layer)
        if layer.channels < config.channels:
            log.warning("layer %s has %d channels, fewer than --channels %d: showing all %d",
                        layer.name, layer.channels, config.channels, layer.channels)
        self.composer = Composer(config.panel_height)
        self.stop = threading.Event()
        self.recorder = None
        self.user_recorder = None
        self.message, self.message_until = "", 0.0
        self.version = 0
        self.last: Result | None = None
        self.frames = 0
        self._lost_status = ""
        self._key = -1
        self._figures, self._figures_at = "", -1.0

    # --- requests to the inference thread -------------------------------------------------------------
    def request(self) -> Request:
        state = self.controls.state
        self.version += 1
        return Request(self.controls.layer_name, self.controls.visible_channels(), state.normalize, state.mirror,
                       state.frozen, self.version)

    def say(self, text: str) -> None:
        self.message, self.message_until = text, time.monotonic() + MESSAGE_SECONDS
        log.info("%s", text)

    def _status(self, text: str) -> None:
        self._lost_status = "" if text == "camera back" else text
        self.say(text)

    # --- the loop ----------------------------------------------------------------------------------------
    def run(self) -> Summary:
        config = self.config
        paced = not config.unpaced
        pictures = BufferPool()  # the camera pictures scaled by the workers go round: workers → here → workers

        def recycle(dropped) -> None:  # a result replaced before it was shown gives its picture back
            if isinstance(dropped, Result):
                pictures.give(dropped.picture)

        frames = Handover(blocking=config.unpaced)
        results = Handover(blocking=config.unpaced, on_drop=recycle)
        capture = Capture(self.source, frames, paced, config.loop, self.stop, self._status)
        workers = THROUGHPUT_WORKERS if config.unpaced and (os.cpu_count() or 1) > 1 else 1
        inference = Inference(self.loaded, config.channels, frames, results, self.stop, self.request(),
                              normalize_in_graph(config.normalize_in), workers, config.panel_height, pictures)
        self.inference = inference
        if config.output is not None:
            self.recorder = _make_recorder(config.output, self.source, real_time=self.source.live)
        # Trace the graph and compile (or load) numba's kernels before the first frame arrives, so that none
        # of that happens inside the loop and no frame is dropped for it.
        with _note_if_slow(FIRST_START_NOTE):
            self._compose(inference.warm_up(self.request()))
        started = time.monotonic()
        first_shown = None
        capture.start()
        inference.start()
        try:
            while not self.stop.is_set():
                result = results.take(0.02 if self.window is not None else 0.1)
                if result is END:
                    for thread in (capture, inference):
                        if thread.error is not None:
                            raise thread.error
                    break
                if result is not None:
                    if self.last is not None:
                        pictures.give(self.last.picture)  # no longer shown: the workers may reuse it
                    self.last = result
                    self._show(result, new=True)
                    first_shown = first_shown or time.monotonic()
                    if config.max_frames is not None and self.frames >= config.max_frames:
                        break
                elif self.last is not None and self.window is not None:
                    self._show(self.last, new=False)
                if self.window is not None and self._handle_window():
                    break
        finally:
            self.stop.set()
            frames.close()
            results.close()
            for thread in (capture, inference):
                thread.join(timeout=5)
            self.source.close()
            for recorder in (self.recorder, self.user_recorder):
                if recorder is not None:
                    recorder.close()
            if self.window is not None:
                self.window.close()
        seconds = time.monotonic() - (first_shown or started)
        return Summary(self.frames, seconds if self.frames > 1 else 0.0, self.stats)

    def _show(self, result: Result, new: bool) -> None:
        began = time.perf_counter()
        canvas = self._compose(result)
        now = time.monotonic()
        if new:
            self.frames += 1
            self.stats.shown.append(now)
            self.stats.add("compose", time.perf_counter() - began - self.composer.tile_seconds)
            self.stats.add("tile", self.composer.tile_seconds)
            self.stats.add("latency", now - result.frame.captured)
            for stage, seconds in result.timings.items():
                self.stats.add(stage, seconds)
            if self.config.save_mosaics is not None:
                self._save_mosaic(result)
            self._record(canvas)
        if self.window is not None:
            began = time.perf_counter()
            self._key = self.window.show(canvas)
            self.stats.add("display", time.perf_counter() - began)

    def _compose(self, result: Result) -> np.ndarray:
        """The canvas for one result, as the view's state asks: mosaic or focus, labels, text, help."""
        config, state = self.config, self.controls.state
        extraction = result.extraction
        layout, lut = self._layout(extraction), colormap_lut(state.colormap)
        focus_column = None
        if state.focus is not None and result.request.layer == self.controls.layer_name:
            hits = np.flatnonzero(result.request.channels == state.focus)
            if hits.size:
                focus_column = int(extraction.columns[hits[0]])
        labels = dict(enumerate(str(c) for c in result.request.channels)) if state.labels else {}
        hover = self._hovered_tile(len(result.request.channels))
        if hover is not None:
            labels[hover] = f"channel {result.request.channels[hover]}"
        return self.composer.compose(
            result.bgr, extraction, layout, lut, self._overlay_lines(result), self._message(),
            focus_column, crop_box(result.bgr.shape[:2], result.extractor.input_hw), labels, state.help,
            result.picture)

    def _layout(self, extraction: Extraction) -> MosaicLayout:
        return MosaicLayout.for_count(len(extraction.columns), *extraction.maps_hwk.shape[:2], self.config.gap)

    def _hovered_tile(self, count: int) -> int | None:
        """The tile under the mouse pointer, if any, so that it can show its channel index."""
        if self.window is None or self.window.pointer is None:
            return None
        tile = self.composer.tile_at(*self.window.pointer)
        return tile if tile is not None and tile < count else None

    def _overlay_lines(self, result: Result) -> list[str]:
        state, layer = self.controls.state, result.extractor.layer
        shape = f"{layer.height}x{layer.width}x{layer.channels}"
        first = (f"{self.loaded.name} | {layer.name} {shape} | page {state.page + 1}/{self.controls.pages}"
                 f" | {state.order} | {state.normalize} | {state.colormap}")
        now = time.monotonic()
        if now - self._figures_at >= FIGURES_SECONDS:  # readable, and the text is not redrawn every frame
            self._figures = f"{self.stats.fps():5.1f} FPS | latency {self.stats.median_ms('latency'):4.0f} ms"
            self._figures_at = now
        second = self._figures
        if state.frozen:
            second += " | FROZEN"
        if self.user_recorder is not None:
            second += " | REC"
        if state.focus is not None:
            second += f" | focus: channel {state.focus}"
        return [first, second, "h: help"] if not state.help else [first, second]

    def _message(self) -> str:
        if self._lost_status:
            return self._lost_status
        return self.message if time.monotonic() < self.message_until else ""

    def _save_mosaic(self, result: Result) -> None:
        from live.outputs import save_png
        from live.tiler import render_mosaic

        extraction = result.extraction
        mosaic = render_mosaic(extraction.maps_hwk, extraction.columns, self._layout(extraction),
                               colormap_lut(self.controls.state.colormap), offset=extraction.offset,
                               scale=extraction.scale)
        save_png(self.config.save_mosaics / f"mosaic_{self.frames - 1:06d}.png", mosaic)

    def _record(self, canvas: np.ndarray) -> None:
        for attr in ("recorder", "user_recorder"):
            recorder = getattr(self, attr)
            if recorder is None:
                continue
            try:
                recorder.write(canvas)
            except (OutputError, OSError, cv2.error) as exc:
                recorder.close()
                setattr(self, attr, None)
                self.say(f"recording stopped: {exc}; the live view goes on")

    # --- keys and clicks -------------------------------------------------------------------------------
    def _handle_window(self) -> bool:
        """Apply pending keys and clicks; True when the user asked to quit or closed the window."""
        key, self._key = self._key, -1
        actions = self.controls.press(key)
        for y, x in self.window.clicks:
            actions += self.controls.click(self.composer.tile_at(y, x))
        self.window.clicks.clear()
        if "quit" in actions or self.window.closed():
            return True
        self.apply(actions)
        return False

    def apply(self, actions: list[str]) -> None:
        """Carry out what the controls asked for, and pass the new state to the inference thread."""
        if "message" in actions:
            self.say(self.controls.message)
        if "rank" in actions and self.last is not None:
            extractor = self.inference.extractor(self.controls.layer_name)
            means = extractor.activations(self.last.rgb).mean(axis=(0, 1))
            self.controls.set_ranking(means)
        if "fullscreen" in actions:
            self.window.set_fullscreen(self.controls.state.fullscreen)
        if "snapshot" in actions:
            self.snapshot()
        if "record" in actions:
            self.toggle_recording()
        self.inference.update(self.request())

    def snapshot(self) -> None:
        from live.outputs import save_snapshot

        result = self.last
        if result is None:
            return
        state = self.controls.state
        info = {
            "model": self.loaded.name, "weights": self.loaded.weights, "layer": result.extractor.layer.name,
            "shape": [result.extractor.layer.height, result.extractor.layer.width, result.extractor.layer.channels],
            "page": state.page + 1, "pages": self.controls.pages, "order": state.order,
            "normalization": result.request.normalize, "colormap": state.colormap,
            "channels": result.request.channels.tolist(), "focus": state.focus, "frame": result.frame.index,
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        try:
            stem = save_snapshot(self.config.snapshot_dir, self.composer.canvas,
                                 result.extractor.activations(result.rgb), info)
            self.say(f"snapshot saved: {stem}.png")
        except OutputError as exc:
            self.say(f"snapshot failed: {exc}")

    def toggle_recording(self) -> None:
        if self.user_recorder is not None:
            self.user_recorder.close()
            self.say(f"recording saved: {self.user_recorder.path}")
            self.user_recorder = None
            return
        try:
            self.config.snapshot_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.say(f"cannot record: {exc}")
            return
        path = self.config.snapshot_dir / f"recording_{time.strftime('%Y%m%d-%H%M%S')}.mp4"
        self.user_recorder = _make_recorder(path, self.source, real_time=True)
        self.say(f"recording {path}")


FIRST_START_NOTE = ("preparing the first frame: numba compiles its kernels on a machine's first start (a few "
                    "seconds); later starts load them from its cache")


@contextmanager
def _note_if_slow(note: str, after: float = 2.0):
    """Log `note` if the block is still running `after` seconds in, so that a long wait is explained."""
    timer = threading.Timer(after, log.info, args=("%s", note))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def _make_recorder(path, source, real_time: bool):
    from live.outputs import RECORD_FPS, Recorder

    return Recorder(path, RECORD_FPS if real_time else source.fps, real_time=real_time)
