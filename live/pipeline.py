"""The loop: the capture thread (`live.capture`) → the inference workers (`live.inference`) → the main
thread, which tiles, composes and shows each result and turns keys and clicks into requests; and a clean
stop on every exit path.

Each hand-over keeps only the newest item, so a slow model drops frames instead of delaying them.
With `unpaced` the hand-overs block instead, so every frame of a file is processed (benchmarks).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np

from live.capture import Capture, Frame
from live.controls import Controls, ViewState
from live.compose import Composer, text_zoom
from live.config import Config
from live.errors import OutputError
from live.extractor import Extraction
from live.handover import END, BufferPool, Handover
from live.inference import Inference, Request, Result, normalize_in_graph
from live.kernels import FIRST_START_NOTE, SlowNote
from live.normalize import compile_ranges
from live.notices import ON_WINDOW, Notices, reading_seconds
from live.outputs import RECORD_FPS, Encoder, Recorder, check_room, make_folder, save_png, save_snapshot
from live.preprocess import crop_box
from live.tiler import MosaicLayout, colormap_lut, colormap_names
from live.wording import counted

log = logging.getLogger(__name__)

MESSAGE_SECONDS = 2.0
DARK_LEVEL = 8.0  # mean gray level under which a camera's picture counts as black (a closed cover gives 0 to 3)
DARK_SECONDS = 2.0  # how long it stays black before the window says so
THROUGHPUT_WORKERS = 2  # frames in flight through the model with --unpaced; live and paced sources keep one
FIGURES_SECONDS = 0.25  # how often the overlay's FPS and latency figures change
NOTICE_GAP = 0.5  # a warning not drawn for longer than this was hidden by another message (drawn every 20 ms)


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

    def __init__(self, config, source, loaded, window=None, stats: Stats | None = None,
                 notices: Notices | None = None):
        self.config, self.source, self.loaded, self.window = config, source, loaded, window
        self.notices = notices  # the warnings, shown at the foot of the picture after the messages of keys
        self.stats = stats or Stats()
        first_layer = config.layer or loaded.default_layer
        names = [layer.name for layer in loaded.layers]
        state = ViewState(layer_index=loaded.index_of(first_layer), page=config.page, order=config.order,
                          normalize=config.normalize, colormap=config.colormap, mirror=source.mirrors(config.mirror),
                          fullscreen=config.fullscreen, labels=config.labels, focus=config.focus,
                          text=config.text)
        self.controls = Controls(names, [layer.channels for layer in loaded.layers], config.channels,
                                 colormap_names(), state, stage_starts=loaded.stage_starts)
        layer = loaded.layer(first_layer)
        if layer.channels < config.channels != Config.channels:  # asked for; by default all of a layer's show
            log.warning("layer %s has %s, fewer than --channels %d: showing %s", layer.name,
                        counted(layer.channels, 'channel'), config.channels,
                        "it" if layer.channels == 1 else f"all {layer.channels}")
        self.composer = Composer(config.panel_height)
        self.stop = threading.Event()
        self.pictures = BufferPool()  # the camera pictures scaled by the workers go round: workers → here → workers
        self._incoming = Handover(blocking=config.unpaced)  # capture → inference
        self._results = Handover(blocking=config.unpaced, on_drop=self._recycle)  # inference → here
        self.capture: Capture | None = None
        self.inference: Inference | None = None  # made by `prepare`
        self.recorder = None
        self.user_recorder = None
        self._spare_encoder = None  # with a window, a writer process kept ready for the key r
        self.message, self.message_until = "", 0.0
        self._notice, self._notice_until, self._notice_seen = "", 0.0, 0.0
        self.version = 0
        self._request: Request | None = None
        self.ended = False  # a file's frames are all shown; its last one stays in the window
        self._first_shown = None  # when the first frame was shown
        # Frozen, or the camera or stream lost: not playback, so left out of the frame rates. Why it is paused
        # now, the seconds paused since the first frame before that, and since when now.
        self._pausing: set[str] = set()
        self._paused, self._paused_since = 0.0, None
        self._ranked_version = 0  # the first request in the order by mean activation
        self.last: Result | None = None
        self.frames = 0
        self._lost_status = ""
        self._dark_since, self._dark_notice = None, ""
        self._composed = None  # what the canvas was last drawn from
        self._key = -1
        self._figures, self._figures_at = "", -1.0
        self._range, self._range_at = ("", None), -1.0  # (the range text shown, (layer, channel)), and when

    # --- requests to the inference thread -------------------------------------------------------------
    def request(self) -> Request:
        state = self.controls.state
        self.version += 1
        self._request = Request(self.controls.layer_name, self.controls.visible_channels(), state.normalize,
                                state.mirror, state.frozen, self.version)
        return self._request

    def show(self, text: str) -> None:
        """A message on the window for a few seconds."""
        self.message, self.message_until = text, time.monotonic() + MESSAGE_SECONDS

    def say(self, text: str) -> None:
        """A message on the window and in the log."""
        self.show(text)
        log.info("%s", text)

    def _status(self, text: str, lost: bool) -> None:
        """The capture thread's word on a live source: while it is lost, the window keeps saying so."""
        self._lost_status = text if lost else ""
        self.show(text)
        (log.warning if lost else log.info)("%s", text, extra=ON_WINDOW)

    # --- the loop ----------------------------------------------------------------------------------------
    def prepare(self) -> None:
        """The seconds before the first frame, done once: the first layer's extractor built and traced, and its
        first canvas composed (numba's kernels compiled, or loaded from their cache), so that none of that happens
        inside the loop and no frame is dropped for it. `run` does it if it was not done before; with a window it
        is done while the model loads, beside the loading card, which then keeps moving. No thread of the loop
        starts here."""
        if self.inference is not None:
            return
        config = self.config
        # The writer processes start first: each imports OpenCV meanwhile (0.3 to 0.5 s of a core here), which
        # beside the first frames dropped a tenth of a video file's frames from its recording.
        if config.output is not None:
            self.recorder = _make_recorder(config.output, self.source, config.unpaced)
        if self.window is not None:
            self._spare_encoder = _ready_encoder()  # for the key r
        workers = THROUGHPUT_WORKERS if config.unpaced and (os.cpu_count() or 1) > 1 else 1
        request = self.request()
        self.inference = Inference(self.loaded, config.channels, self._incoming, self._results, self.stop, request,
                                   normalize_in_graph(config.normalize_in), workers, config.panel_height,
                                   self.pictures)
        # Each part explains its own long wait: the note about numba's first start was also given for a deep layer
        # of a large model, cache or not. numba's kernels come in two parts, the channel ranges (the host's
        # normalization, compiled before the layer is built so that its seconds are not put down to the layer) and
        # the tiler's; one note covers both.
        first_start = SlowNote(FIRST_START_NOTE)
        try:
            if not self.inference.in_graph:
                with first_start:
                    compile_ranges()
            with SlowNote(f"preparing the first frame: building {self.loaded.name}'s layers up to "
                           f"{request.layer} (a deep layer of a large model takes a few seconds)"):
                first = self.inference.warm_up(request)
            with first_start:
                self._compose(first)
        except BaseException:
            self.close_outputs()
            raise

    def close_outputs(self) -> None:
        """Finish the recordings and end the writer process kept ready for the key r (it never began a file): at
        the end of a run, or where a prepared Visualizer is not run (the user quit while the model loaded)."""
        for recorder in (self.recorder, self.user_recorder):
            if recorder is not None:
                recorder.close()
        if self._spare_encoder is not None:
            self._spare_encoder.finish()

    def _recycle(self, dropped) -> None:
        """A result replaced before it was shown gives its picture back."""
        if isinstance(dropped, Result):
            self.pictures.give(dropped.picture)

    def run(self) -> Summary:
        config = self.config
        self.prepare()
        if self.window is not None:  # the window's own state: f may have been pressed while the model loaded
            self.controls.state.fullscreen = self.window.fullscreen
        pictures, frames, results, inference = self.pictures, self._incoming, self._results, self.inference
        capture = Capture(self.source, frames, not config.unpaced, self.source.loops(config.loop), self.stop,
                          self._status)
        self.capture = capture
        started = time.monotonic()
        shown_by_end = None  # (frames, seconds of playback) when a file's last frame came: held, it is not playback
        capture.start()
        inference.start()
        try:
            while not self.stop.is_set():
                self._pause("lost", bool(self._lost_status))
                result = results.take(0.02 if self.window is not None else 0.1)
                if result is END:
                    for thread in (capture, inference):
                        if thread.error is not None:
                            raise thread.error
                    if self.window is None or self.last is None:
                        break
                    self.ended, shown_by_end = True, (self.frames, self._playback_seconds(started))
                    self.say(f"end of the {self.source.kind}: its last frame stays; q quits")
                    result = None
                elif result is None and self.ended and self.last.request.version != self.version:
                    result = inference.process(self.last.frame, self._request)  # the workers have stopped
                if result is not None and self.controls.state.order == "mean":
                    if self.controls.ranking is None:  # --order mean, or o before any frame: ranked on this one
                        self._rank(result.rgb)
                        inference.update(self.request())
                    if result.request.version < self._ranked_version:  # asked for before the ranking
                        result = inference.process(result.frame, self._request)
                if result is not None:
                    if self.last is not None:
                        pictures.give(self.last.picture)  # no longer shown: the workers may reuse it
                    self.last = result
                    self._watch_darkness(result.frame.bgr)
                    self._show(result, new=True)
                    self._first_shown = self._first_shown or time.monotonic()
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
            self.close_outputs()  # first: what the user made comes before all
            for thread in (capture, inference):
                thread.join(timeout=5)
            self.source.close()
            if self.window is not None:
                self.window.close()
        frames, seconds = shown_by_end or (self.frames, self._playback_seconds(started))
        return Summary(frames, seconds if frames > 1 else 0.0, self.stats)

    def _playback_seconds(self, started: float) -> float:
        """Seconds from the first frame shown to now, less the pauses. Taken when a file ends, so that a freeze on
        its held last frame is not taken off the playback before it, which had made the closing line's FPS too high,
        or left it out."""
        now = time.monotonic()
        return now - (self._first_shown or started) - self._paused_until(now)

    def _show(self, result: Result, new: bool) -> None:
        began = time.perf_counter()
        canvas, changed = self._compose(result)
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
        if new or not self.ended:  # a frozen picture is recorded as long as it is shown; a file's held end is not
            self._record(canvas, new)
        if self.window is not None and not changed:
            self._key = self.window.poll()  # the same picture: only the keys and the mouse are looked at
        elif self.window is not None:
            began = time.perf_counter()
            self._key = self.window.show(canvas)
            self.stats.add("display", time.perf_counter() - began)
        if self.window is not None and self.composer.set_text_zoom(text_zoom(self.window.shown_scale())):
            self._composed = None  # shown smaller or larger (a small screen, a window resized): drawn again

    def _compose(self, result: Result) -> tuple[np.ndarray, bool]:
        """The canvas for one result, as the view's state asks: mosaic or focus, labels, text, help; and whether
        it changed. The loop shows the last result again between frames (every 20 ms with a window), so that a
        key, the mouse or a message shows at once; when nothing of these changed, the canvas is left as it is,
        which saves the main thread a tiling and the window a repaint (a tenth of a core at 30 FPS here)."""
        state = self.controls.state
        extraction = result.extraction
        layout, lut = self._layout(extraction), colormap_lut(state.colormap)
        focus_column = None
        if state.focus is not None and result.request.layer == self.controls.layer_name:
            focus_column = result.column_of(state.focus)
        labels = dict(enumerate(str(c) for c in result.request.channels)) if state.labels else {}
        hover = self._hovered_tile(len(result.request.channels))
        if hover is not None:
            labels[hover] = f"channel {result.request.channels[hover]}"
        inputs = (result.bgr, extraction, layout, lut, self._overlay_lines(result, hover), self._message(result),
                  focus_column, crop_box(result.bgr.shape[:2], result.extractor.input_hw), labels, state.help,
                  result.picture)
        if self._composed is not None and all(map(_same, inputs, self._composed)):
            return self.composer.canvas, False
        self._composed = inputs
        return self.composer.compose(*inputs), True

    def _layout(self, extraction: Extraction) -> MosaicLayout:
        return MosaicLayout.for_count(len(extraction.columns), *extraction.maps_hwk.shape[:2], self.config.gap)

    def _hovered_tile(self, count: int) -> int | None:
        """The tile under the mouse pointer, if any, so that it can show its channel index."""
        if self.window is None or self.window.pointer is None:
            return None
        tile = self.composer.tile_at(*self.window.pointer)
        return tile if tile is not None and tile < count else None

    def _overlay_lines(self, result: Result, hover: int | None = None) -> list[str]:
        """The text over the camera picture (none when `t` hid it); `hover` is the tile under the mouse pointer,
        whose channel's range of raw activations is shown (the focused channel's in focus mode)."""
        state, layer = self.controls.state, result.extractor.layer
        if not state.text:
            return []
        shape = "{}x{}x{}".format(*result.extractor.map_hw, layer.channels)  # a model of open size: its maps' size
        normalize = result.extractor.mode_for(state.normalize)
        if normalize != state.normalize:
            normalize += " (1x1 maps)"
        first = (f"{self.loaded.name} | {layer.name} {shape} | page {state.page + 1}/{self.controls.pages}"
                 f" | {state.order} | {normalize} | {state.colormap}")
        now = time.monotonic()
        if now - self._figures_at >= FIGURES_SECONDS:  # readable, and the text is not redrawn every frame
            fps = self.stats.fps()  # 0 until two frames were shown (at start, after a pause)
            rate = f"{fps:5.1f} FPS" if fps else "  ... FPS"
            latency = f"{self.stats.median_ms('latency'):4.0f} ms" if self.stats.stages.get("latency") else " ... ms"
            self._figures = f"{rate} | latency {latency}"  # the first picture, from the warm-up, has neither
            self._figures_at = now
        # A held frame has no frame rate: the last live figures would stay on screen as if they were current.
        held = [word for word, holds in (("FROZEN", state.frozen), ("END", self.ended)) if holds]
        if held and result.frame.position is not None:  # a video file's frame, for stepping with . and ,
            held.append(f"frame {result.frame.position}")
        second = " | ".join(held) if held else self._figures
        if self.user_recorder is not None:
            second += " | REC"
        if state.focus is not None:
            second += f" | focus: {self._range_text(result, state.focus)}"
        elif hover is not None:
            second += f" | {self._range_text(result, int(result.request.channels[hover]))}"
        named = self.source.label(result.frame.origin)  # a slideshow's image: `image 3/12: cat.jpg`
        return [first, second] + ([named] if named else []) + ([] if state.help else ["h: help"])

    def _range_text(self, result: Result, channel: int) -> str:
        """`channel 12: -3.21 to 45.1`: the raw activations' range on this frame, which the mosaic's scaling to
        0-255 hides (a dead channel reads 0 to 0). Like the FPS, it changes at most every FIGURES_SECONDS."""
        key, now = (result.request.layer, channel), time.monotonic()
        if self._range[1] == key and now - self._range_at < FIGURES_SECONDS:
            return self._range[0]
        text = f"channel {channel}"
        column = result.column_of(channel)
        if column is not None:
            low, high = float(result.extraction.low[column]), float(result.extraction.high[column])
            text += f": {low:.3g} to {high:.3g}" if np.isfinite([low, high]).all() else ": NaN or Inf"
        self._range, self._range_at = (text, key), now
        return text

    def _message(self, result: Result) -> str:
        """What the foot of the camera picture says: a lost or black camera for as long as it lasts, else the last
        message for a few seconds, else a layer asked for and not shown yet, else a warning (`notices`)."""
        now = time.monotonic()
        return (self._lost_status or self._dark_notice or (self.message if now < self.message_until else "")
                or self._switching(result) or self._next_notice(now))

    def _next_notice(self, now: float) -> str:
        """The warning shown now, each for the time it takes to read, one after the other. Its time runs only while
        it shows: one hidden by a key's message or by a lost camera is shown for the rest of it afterwards."""
        if self.notices is None or self.capture is None:  # not the canvas prepared while the model loads
            return ""
        if self._notice and now - self._notice_seen > NOTICE_GAP:  # hidden meanwhile: that time is given back
            self._notice_until += now - self._notice_seen
        if not self._notice or now >= self._notice_until:
            self._notice = self.notices.take()
            self._notice_until = now + reading_seconds(self._notice)
        self._notice_seen = now
        return self._notice

    def _switching(self, result: Result) -> str:
        """`switching to conv_7b_ac...` while a layer asked for with a key is still being built and traced (a
        deep layer of a large model can take longer than the key's own message lasts), so that the key does not
        seem to have been missed."""
        asked = self.controls.layer_name
        return "" if result.request.layer == asked else f"switching to {asked}..."

    def _watch_darkness(self, bgr: np.ndarray) -> None:
        """A camera whose picture stays black (a closed cover or privacy shutter, a presenter's most common "it
        does not work") is said on the window for as long as it lasts, and once in the log."""
        if self.source.kind != "camera":
            return
        now = time.monotonic()
        sample = bgr[::8, ::8]
        if float(sample.mean()) >= DARK_LEVEL or np.percentile(sample, 99) >= 4 * DARK_LEVEL:  # a lamp in the night
            if self._dark_notice:
                log.info("the camera's picture is back")
            self._dark_since, self._dark_notice = None, ""
            return
        self._dark_since = self._dark_since or now
        if not self._dark_notice and now - self._dark_since >= DARK_SECONDS:
            self._dark_notice = "the camera's picture is black: is its cover or privacy shutter closed?"
            log.warning("%s", self._dark_notice, extra=ON_WINDOW)

    def _save_mosaic(self, result: Result) -> None:
        from live.tiler import render_mosaic

        extraction = result.extraction
        mosaic = render_mosaic(extraction.maps_hwk, extraction.columns, self._layout(extraction),
                               colormap_lut(self.controls.state.colormap), offset=extraction.offset,
                               scale=extraction.scale)
        save_png(self.config.save_mosaics / f"mosaic_{self.frames - 1:06d}.png", mosaic)

    def _record(self, canvas: np.ndarray, new: bool) -> None:
        for attr in ("recorder", "user_recorder"):
            recorder = getattr(self, attr)
            if recorder is None:
                continue
            try:
                recorder.write(canvas, new)
            except (OutputError, OSError, cv2.error) as exc:
                recorder.close()
                setattr(self, attr, None)
                if self.window is None:  # headless, the recording is what the run is for: it ends, exit code 1
                    raise OutputError(f"recording stopped: {exc}") from None
                self.say(f"recording stopped: {exc}; the live view goes on")

    # --- keys and clicks -------------------------------------------------------------------------------
    def _handle_window(self) -> bool:
        """Apply pending keys and clicks; True when the user asked to quit or closed the window."""
        key, self._key = self._key, -1
        actions = self.controls.press(key)
        for y, x in self.window.clicks:
            actions += self.controls.click(self.composer.tile_at(y, x))
        self.window.clicks.clear()
        notches = self.window.take_scroll()  # the wheel pages through the channels: down for the next page
        for _ in range(abs(notches)):
            actions += self.controls.press(ord("[" if notches > 0 else "]"))
        if "quit" in actions or self.window.closed():
            return True
        if actions:  # a new request only when something changed: a frozen frame is not recomputed for nothing
            self.apply(actions)
        return False

    def apply(self, actions: list[str]) -> None:
        """Carry out what the controls asked for, and pass the new state to the inference thread."""
        if "message" in actions:
            self.say(self.controls.message)
        if "freeze" in actions:
            self._pause("frozen", self.controls.state.frozen)
            if self.capture is not None:
                self.capture.hold(self.controls.state.frozen)
        if "rank" in actions and self.last is not None:
            self._rank(self.last.rgb)
        if "fullscreen" in actions:
            self.window.set_fullscreen(self.controls.state.fullscreen)
        if "step on" in actions or "step back" in actions:
            self._step(1 if "step on" in actions else -1)
        if "snapshot" in actions:
            self.snapshot()
        if "record" in actions:
            self.toggle_recording()
        self.inference.update(self.request())

    def _step(self, delta: int) -> None:
        """Keys . and ,: a slideshow's next or previous image, a frozen video file's next or previous frame. Playing,
        the capture thread reads it next; frozen, or at the end, it is read here and takes the held frame's place,
        so that it stays held."""
        held = self.controls.state.frozen or self.ended
        if self.source.kind == "video" and not held:
            self.say("frozen (space), . and , step a video file frame by frame")
            return
        why_not = self.source.step(delta, self.last.frame if self.last is not None else None)
        if why_not:
            self.say(why_not)
            return
        if not held or self.last is None:
            return
        bgr = self.source.read()  # the capture thread is held, or has finished
        if bgr is None:
            return
        frame = Frame(self.last.frame.index, bgr, time.monotonic(), origin=self.source.origin,
                      position=self.source.position)
        if self.ended:
            self.last.frame = frame  # computed again by the main loop, the workers having stopped
        else:
            self.inference.hold_frame(frame)

    def _pause(self, reason: str, on: bool) -> None:
        """Begin or end a pause for `reason` ('frozen', 'lost'); playback is paused while any reason holds."""
        if on == (reason in self._pausing):
            return
        now = time.monotonic()
        if on:
            self._paused_since = self._paused_since or now
            self._pausing.add(reason)
        else:
            self._pausing.discard(reason)
            if not self._pausing:
                self._paused, self._paused_since = self._paused_until(now), None
        self.stats.shown.clear()  # the frame rate starts over: a pause is not an interval between frames

    def _paused_until(self, now: float) -> float:
        """Seconds paused after the first frame was shown, up to `now`."""
        if self._paused_since is None or self._first_shown is None:
            return self._paused
        return self._paused + max(0.0, now - max(self._paused_since, self._first_shown))

    def _rank(self, rgb: np.ndarray) -> None:
        """Order the layer's channels by their mean activation on this model input. The next request carries
        that order; results asked for before it are computed again on their frame, so that none shows the old
        order."""
        extractor = self.inference.extractor(self.controls.layer_name)
        self.controls.set_ranking(extractor.activations(rgb).mean(axis=(0, 1)))
        self._ranked_version = self.version + 1

    def snapshot(self) -> None:
        result = self.last
        if result is None:
            return
        state = self.controls.state
        info = {
            "source": self.source.shown, "model": self.loaded.name, "weights": self.loaded.weights,
            "layer": result.extractor.layer.name,
            "shape": [*result.extractor.map_hw, result.extractor.layer.channels],
            "page": state.page + 1, "pages": self.controls.pages, "order": state.order,
            "normalization": result.extractor.mode_for(result.request.normalize), "colormap": state.colormap,
            "channels": result.request.channels.tolist(), "focus": state.focus, "frame": result.frame.index,
            **({"image": result.frame.origin} if result.frame.origin else {}),
            **({"video_frame": result.frame.position} if result.frame.position is not None else {}),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        try:
            stem = save_snapshot(self.config.snapshot_dir, self.composer.canvas,
                                 result.extractor.activations(result.rgb), info, result.rgb)
            self.say(f"snapshot saved: {stem}.png")
        except OutputError as exc:
            self.say(f"snapshot failed: {exc}")

    def toggle_recording(self) -> None:
        if self.user_recorder is not None:
            saved = self.user_recorder.close()  # which logs the file and its frame count
            self.show(f"recording {'saved' if saved else 'could not be finished'}: {self.user_recorder.path}")
            self.user_recorder = None
            return
        path = self.config.snapshot_dir / f"recording_{time.strftime('%Y%m%d-%H%M%S')}.mp4"
        try:
            check_room(self.config.snapshot_dir, f"--snapshot-dir '{self.config.snapshot_dir}'")  # not at its 1st frame
            make_folder(self.config.snapshot_dir)
            spare = self._spare_encoder  # with a window, the one kept ready, replaced for the next recording
            self._spare_encoder = _ready_encoder() if spare is not None else None
            self.user_recorder = _make_recorder(path, self.source, self.config.unpaced, spare)
        except OutputError as exc:
            self.say(f"cannot record: {exc}")
            return
        self.say(f"recording {self.user_recorder.path}")


def _same(a, b) -> bool:
    """One input of a composition unchanged: the same arrays and objects (a frame's), equal text and numbers."""
    return a is b or (isinstance(a, VALUE_TYPES) and type(a) is type(b) and a == b)


VALUE_TYPES = (str, int, tuple, list, dict, MosaicLayout)


def _ready_encoder() -> Encoder | None:
    """A writer process started ahead of a recording, so that starting one does not wait for it; None if it
    cannot be started now (a recording then starts its own, or says why it cannot)."""
    try:
        return Encoder()
    except OutputError as exc:
        log.warning("%s", exc)
        return None


def _make_recorder(path, source, unpaced: bool, encoder=None):
    """A camera's or a stream's recording follows the clock at a fixed rate. An unpaced file's is a rendering,
    each frame once at the file's frame rate. A file played at its own rate is recorded at that rate too,
    every frame shown, and a frame repeated where the model fell behind, so that it plays as it was seen."""
    if source.live:
        return Recorder(path, RECORD_FPS, real_time=True, encoder=encoder)
    return Recorder(path, source.fps, real_time=not unpaced, every_canvas=not unpaced, encoder=encoder)
