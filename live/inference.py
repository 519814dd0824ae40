"""The inference workers: frame → model input and camera picture → the layer's maps, in frame order,
with the extractor of the requested layer built once."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from live.capture import Frame
from live.compose import camera_panel_hw, scale_camera
from live.device import NVIDIA_DRIVER
from live.extractor import STEADY_RATE, Extraction, Extractor
from live.handover import END, BufferPool, Handover
from live.preprocess import prepare_rgb

log = logging.getLogger(__name__)


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

    def column_of(self, channel: int) -> int | None:
        """Where a requested channel sits along the last axis of the maps (and of low/high); None if not asked."""
        hits = np.flatnonzero(self.request.channels == channel)
        return int(self.extraction.columns[hits[0]]) if hits.size else None


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
        self._held: Frame | None = None  # a frame to hold in place of the frozen one
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

    def hold_frame(self, frame: Frame) -> None:
        """Frozen: show `frame` in place of the one held (a slideshow's image or a video's frame, stepped to with a
        key)."""
        self._held = frame

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
                self.out.finish()

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
                if self._held is not None:
                    frozen_frame, self._held = self._held, None
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
        normalize = extractor.mode_for(request.normalize)
        with self._steady_lock:
            steady = self._steady.get(key) if normalize == "steady" else None
        if steady is not None:
            extraction = extractor(rgb, request.channels, "steady", *steady)
            with self._steady_lock:
                low, high = self._steady.get(key, steady)
                self._steady[key] = (_follow(low, extraction.low), _follow(high, extraction.high))
        else:
            mode = "channel" if normalize == "steady" else normalize
            extraction = extractor(rgb, request.channels, mode)
            if normalize == "steady":
                with self._steady_lock:
                    self._steady[key] = (extraction.low.copy(), extraction.high.copy())
        timings["model"] = time.perf_counter() - began
        return Result(frame, bgr, rgb, request, extractor, extraction, timings, picture)


def _follow(steady: np.ndarray, current: np.ndarray) -> np.ndarray:
    """Move a steady range a step towards the current frame's; start again where it is not finite."""
    moved = steady + STEADY_RATE * (current - steady)
    return np.where(np.isfinite(moved), moved, current).astype(np.float32)


def normalize_in_graph_expected(choice: str, device: str) -> bool:
    """`normalize_in_graph`'s answer guessed before TensorFlow is imported (numba's kernels are compiled meanwhile,
    for maps of the type it implies): TensorFlow's GPU takes NVIDIA's driver, and none is used with --device cpu."""
    if choice != "auto":
        return choice == "graph"
    return device != "cpu" and NVIDIA_DRIVER.exists()


def normalize_in_graph(choice: str) -> bool:
    """Where maps are normalized: `graph`, `host`, or `auto` (in the graph when TensorFlow has a GPU)."""
    if choice != "auto":
        return choice == "graph"
    import tensorflow as tf

    return bool(tf.config.list_logical_devices("GPU"))
