"""The threaded loop: newest frame wins, every frame when unpaced, a lost camera comes back, clean stops."""

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from live.cli import parse_config
from live.config import Config
from live.kernels import SlowNote
from live.notices import Notices
from live.pipeline import FIGURES_SECONDS, Stats, Visualizer
from live.sources import FrameSource
from tests.conftest import (ROOT, count_frames, frames_said_left_out, frames_said_saved, moving_frames,
                            transfer_model, write_video)


class FlakyCamera(FrameSource):
    """Stands in for a camera that is unplugged after a while and plugged in again.

    It delivers `before` frames, then nothing; reconnecting fails `failures` times, then frames come back.
    """

    kind = "camera"
    live = True

    def __init__(self, before: int = 5, failures: int = 2):
        super().__init__("flaky")
        self.before, self.failures = before, failures
        self.delivered, self.reconnects, self.closed = 0, 0, False
        self.frames = moving_frames(4, 120, 160)
        self.unplugged = False

    def read(self):
        if self.unplugged:
            return None
        if self.delivered == self.before and self.reconnects == 0:
            self.unplugged = True
            return None
        self.delivered += 1
        time.sleep(0.01)
        return self.frames[self.delivered % 4]

    def reconnect(self) -> bool:
        self.reconnects += 1
        if self.reconnects <= self.failures:
            return False
        self.unplugged = False
        return True

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize("kind", ["camera", "stream"])
def test_lost_camera_is_retried_and_the_run_goes_on(vgg16, caplog, monkeypatch, kind):
    """Said once when lost and once when back, not at every attempt; the time lost (3.3 s here) is not counted
    in the run's frame rate, as a frozen picture's is not."""
    monkeypatch.setattr("live.capture.RETRY_DELAYS", (0.3, 1.5))
    source = FlakyCamera(before=5, failures=2)
    source.kind = kind
    visualizer = Visualizer(Config(max_frames=12, channels=16), source, vgg16)
    with caplog.at_level(logging.INFO):
        summary = visualizer.run()
    assert summary.frames == 12
    assert source.reconnects == 3 and source.closed
    assert caplog.text.count(f"{kind} lost, retrying") == 1 and caplog.text.count(f"{kind} back") == 1
    assert summary.seconds < 2.0
    assert visualizer._lost_status == ""  # the window's "lost" line is gone once frames are back


def test_a_layer_of_fewer_channels_than_a_page_is_said_only_when_more_were_asked(tmp_path, caplog):
    """MobileNetV2's first layer has 32 channels: all of them show, and a warning about --channels, which the
    user never typed, would only puzzle; one who asked for more is told why fewer show."""
    from live.sources import open_source
    from models import load_model

    path = tmp_path / "small.keras"
    transfer_model(sequential=False).save(path)
    loaded = load_model(str(path))
    with caplog.at_level(logging.INFO):
        Visualizer(Config(source="demo"), open_source("demo"), loaded)
    assert "fewer than" not in caplog.text
    with caplog.at_level(logging.INFO):
        Visualizer(Config(source="demo", channels=12), open_source("demo"), loaded)
    assert "layer base/base_conv has 4 channels, fewer than --channels 12: showing all 4" in caplog.text


def test_camera_pictures_go_round_instead_of_being_made_per_frame(vgg16):
    """The workers scale the camera picture into images that the main thread hands back once shown."""
    from live.sources import open_source

    visualizer = Visualizer(Config(source="demo", unpaced=True, max_frames=60, channels=8), open_source("demo"),
                            vgg16)
    assert visualizer.run().frames == 60
    assert visualizer.last.picture.shape == (720, 960, 3)
    assert 1 <= visualizer.inference.pictures.allocated <= 5  # frames in flight, not frames shown


def test_pictures_of_results_dropped_unshown_go_back_to_the_pool(vgg16, monkeypatch):
    """A main thread slower than the camera drops results; their pictures are reused, not left to pile up."""
    from live.sources import open_source

    original, shown = Visualizer._show, []

    def slow_show(self, result, new):
        shown.append(result.frame.index)
        time.sleep(0.08)  # over two frame intervals of the 30 FPS demo: results are replaced unshown
        return original(self, result, new)

    monkeypatch.setattr(Visualizer, "_show", slow_show)
    visualizer = Visualizer(Config(source="demo", max_frames=12, channels=8), open_source("demo"), vgg16)
    visualizer.run()
    dropped = shown[-1] - shown[0] + 1 - len(shown)
    assert dropped >= 5, shown
    assert visualizer.inference.pictures.allocated <= 4


def test_main_thread_steps_are_prepared_before_the_first_frame_is_read(vgg16, monkeypatch):
    """numba compiles (or loads) the tiler's kernels on a blank frame before capture starts, not in the loop."""
    from live.compose import Composer
    from live.sources import open_source

    original, calls = Composer.compose, []

    def watched(self, bgr, *args, **kwargs):
        calls.append((bgr.shape, any(t.name == "capture" for t in threading.enumerate())))
        return original(self, bgr, *args, **kwargs)

    monkeypatch.setattr(Composer, "compose", watched)
    Visualizer(Config(source="demo", max_frames=3, channels=8), open_source("demo"), vgg16).run()
    assert calls[0] == ((224, 224, 3), False)  # the model's blank input, before the capture thread runs
    assert [shape for shape, _ in calls[1:]] == [(480, 640, 3)] * 3


def test_the_recording_s_writer_starts_before_the_warm_up_and_a_run_never_started_leaves_no_file(vgg16, tmp_path):
    """Its process imports OpenCV (0.3 to 0.5 s of a core) beside the warm-up: started after it, the first frame
    waited for it, and a video file played at its own rate lost 9 to 13 of its first 60 frames from the recording.
    Prepared while the model loads and then not run (q meanwhile), it ends without making a file."""
    from live.sources import open_source

    output = tmp_path / "out.mp4"
    visualizer = Visualizer(Config(source="demo", channels=8, output=output), open_source("demo"), vgg16)
    visualizer.prepare()
    encoder = visualizer.recorder._encoder
    assert encoder is not None and encoder._child.poll() is None  # started, waiting for its file's name
    visualizer.close_outputs()
    assert encoder._child.poll() == 0 and not output.exists()


def test_a_slow_first_frame_is_put_down_to_the_part_that_is_slow(vgg16, monkeypatch, caplog):
    """A deep layer of a large model takes seconds to build and trace, with numba's cache warm: the note said
    that numba was compiling its kernels on a first start, which was not so."""
    import functools

    from live.inference import Inference
    from live.sources import open_source

    monkeypatch.setattr("live.pipeline.SlowNote", functools.partial(SlowNote, after=0.8))
    warm_up = Inference.warm_up

    def slow_model(self, request):
        time.sleep(1.2)  # a deep layer being built and traced
        return warm_up(self, request)

    monkeypatch.setattr(Inference, "warm_up", slow_model)
    with caplog.at_level(logging.INFO):
        Visualizer(Config(source="demo", max_frames=3, channels=8), open_source("demo"), vgg16).run()
    assert "building vgg16's layers up to block1_conv1 (a deep layer of a large model" in caplog.text
    assert "numba compiles" not in caplog.text  # loading the kernels took 0.3 s, not 0.8: they were cached


def test_unpaced_file_processes_every_frame_and_stops_at_its_end(vgg16, tmp_path):
    from live.sources import open_source

    video = write_video(tmp_path / "clip.avi", moving_frames(9, 96, 128))
    source = open_source(str(video))
    summary = Visualizer(Config(source=str(video), unpaced=True, channels=8), source, vgg16).run()
    assert summary.frames == 9
    assert not [t for t in threading.enumerate() if t.name == "capture" or t.name.startswith("inference")]


def test_two_frames_in_flight_are_shown_in_their_order(vgg16, tmp_path, monkeypatch):
    """Unpaced, two workers run the model; one that finishes first still waits for the frame before it."""
    import random

    from live.inference import Inference
    from live.sources import open_source

    original, workers = Inference.process, set()

    def uneven(self, frame, request):  # the second frame in flight often finishes first
        workers.add(threading.current_thread().name)
        time.sleep(random.Random(frame.index).uniform(0, 0.03))
        return original(self, frame, request)

    monkeypatch.setattr(Inference, "process", uneven)
    frames = [np.full((96, 128, 3), 20 + 10 * i, np.uint8) for i in range(20)]
    video = write_video(tmp_path / "ramp.avi", frames)
    output = tmp_path / "shown.avi"
    config = Config(source=str(video), unpaced=True, channels=8, output=output)
    summary = Visualizer(config, open_source(str(video)), vgg16).run()
    assert summary.frames == 20 and workers == {"inference-0", "inference-1"}
    capture, brightness = cv2.VideoCapture(str(output)), []
    while True:
        ok, canvas = capture.read()
        if not ok:
            break
        height = canvas.shape[0]
        brightness.append(canvas[height * 2 // 5:height * 3 // 5, 100:300].mean())  # the camera picture
    assert len(brightness) == 20
    assert all(later > earlier + 5 for earlier, later in zip(brightness, brightness[1:])), brightness


def test_loop_starts_the_file_over(vgg16, tmp_path):
    from live.sources import open_source

    video = write_video(tmp_path / "clip.avi", moving_frames(4, 96, 128))
    source = open_source(str(video))
    summary = Visualizer(Config(unpaced=True, loop=True, max_frames=10, channels=8), source, vgg16).run()
    assert summary.frames == 10


def test_an_animated_gif_loops_without_being_asked(vgg16, tmp_path):
    from PIL import Image

    from live.sources import open_source

    frames = [Image.fromarray(frame[..., ::-1]) for frame in moving_frames(4, 96, 128)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=40, loop=0)
    summary = Visualizer(Config(unpaced=True, max_frames=10, channels=8), open_source(str(tmp_path / "anim.gif")),
                         vgg16).run()
    assert summary.frames == 10  # 4 frames in the file


def test_paced_file_plays_at_its_own_frame_rate(vgg16, tmp_path):
    from live.sources import open_source

    video = write_video(tmp_path / "clip.avi", moving_frames(10, 96, 128), fps=10)
    source = open_source(str(video))
    began = time.monotonic()
    summary = Visualizer(Config(channels=8), source, vgg16).run()
    assert summary.frames >= 8  # paced playback may drop a frame on a busy machine, never queue
    assert time.monotonic() - began >= 0.85  # 10 frames at 10 fps: about a second, not as fast as possible


@pytest.mark.parametrize("count, slow", [(1, False), (3, False), (3, True)])
def test_paced_file_always_shows_its_last_frame(vgg16, tmp_path, monkeypatch, count, slow):
    """Dropping frames to keep up never drops the end: neither the frame nor its result is replaced by the
    end of the file (a one-frame video showed nothing), even with a model slower than the file."""
    from live.inference import Inference
    from live.sources import open_source

    if slow:
        original = Inference.process
        monkeypatch.setattr(Inference, "process", lambda self, *args: time.sleep(0.15) or original(self, *args))
    video = write_video(tmp_path / "short.avi", moving_frames(count, 96, 128), fps=30)
    visualizer = Visualizer(Config(channels=8), open_source(str(video)), vgg16)
    summary = visualizer.run()
    assert summary.frames >= 1 and visualizer.last.frame.index == count - 1


def test_a_recording_of_a_file_played_slower_than_its_rate_plays_as_it_was_seen(vgg16, tmp_path, monkeypatch,
                                                                                caplog):
    """A model slower than the file shows a third of its frames; the recording repeats each of them instead
    of playing three times too fast. Frames its writer had no time for (on a loaded machine) are said, and
    counted here with those in the file."""
    from live.inference import Inference
    from live.sources import open_source

    original = Inference.process
    monkeypatch.setattr(Inference, "process", lambda self, *args: time.sleep(0.1) or original(self, *args))
    video = write_video(tmp_path / "clip.avi", moving_frames(10, 96, 128), fps=30)
    output = tmp_path / "seen.avi"
    visualizer = Visualizer(Config(channels=8, loop=True, max_frames=12, output=output), open_source(str(video)),
                            vgg16)
    caplog.set_level(logging.INFO, logger="live.outputs")
    summary = visualizer.run()
    recording = cv2.VideoCapture(str(output))
    count = 0
    while recording.read()[0]:
        count += 1
    in_time = count + frames_said_left_out(caplog.text)
    assert summary.frames == 12 and in_time >= 0.8 * 30 * summary.seconds and count > 2 * summary.frames, caplog.text


def test_a_slow_model_drops_frames_instead_of_queueing_them(vgg16, monkeypatch):
    from live.inference import Inference
    from live.sources import DemoSource

    original = Inference.process

    def slow(self, frame, request):
        time.sleep(0.1)
        return original(self, frame, request)

    monkeypatch.setattr(Inference, "process", slow)
    source = DemoSource(fps=100).open()
    visualizer = Visualizer(Config(max_frames=8, channels=8), source, vgg16)
    summary = visualizer.run()
    assert summary.frames == 8
    assert source.index > 30  # the camera ran on; frames were skipped, not queued
    # Shown fresh: within 1.5 times a frame's processing (as the benchmark's latency target), where a queue would
    # add a model step (0.1 s and more) for each frame taken before it. Relative, for a loaded machine.
    stages = visualizer.stats.stages
    processing = 0.1 + sum(np.median(stages[stage]) for stage in ("preprocess", "model", "tile", "compose"))
    assert np.median(stages["latency"]) < 1.5 * processing, (np.median(stages["latency"]), processing)


def signals_as_in_a_terminal() -> None:
    """Ctrl+C, kill and a closed terminal stop the program as they would where a person started it. A test run
    started under nohup, or as a shell's background job, passes its ignored SIGHUP or SIGINT down, and the
    program keeps such a choice on purpose (see the nohup test): it then ran on, and the test waited in vain."""
    for signum in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_recording_leaves_a_whole_file(tmp_path, signum):
    output = tmp_path / "talk.mp4"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("DISPLAY", None)
    process = subprocess.Popen([sys.executable, str(ROOT / "run_live.py"), "--source", "demo", "--headless",
                                "--output", str(output)], env=env, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                               preexec_fn=signals_as_in_a_terminal)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and (not output.exists() or output.stat().st_size < 20000):
        time.sleep(0.2)
    time.sleep(1)
    process.send_signal(signum)
    try:
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()  # still running only where the signal did not stop it: a failure, not to be left behind
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr and f"stopped by {signum.name}" in stderr
    processed = int(stderr.split("processed ")[1].split(" frames")[0])
    capture = cv2.VideoCapture(str(output))
    frames = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        assert frame.shape[1] > frame.shape[0]
        frames += 1
    # Every frame written plays, and every frame shown was written: the demo plays at its own rate, so a
    # frame shown late (a busy machine) is written twice, to keep the file at the speed it was seen.
    assert frames == frames_said_saved(stderr) >= processed > 10


def test_closing_the_terminal_during_recording_leaves_a_whole_file(tmp_path):
    """SIGHUP, and the terminal gone: what it said can no longer be written, but the recording is finished."""
    output = tmp_path / "talk.mp4"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("DISPLAY", None)
    process = subprocess.Popen([sys.executable, str(ROOT / "run_live.py"), "--source", "demo", "--headless",
                                "--output", str(output)], env=env, stderr=subprocess.PIPE, cwd=ROOT,
                               preexec_fn=signals_as_in_a_terminal)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and (not output.exists() or output.stat().st_size < 20000):
        time.sleep(0.2)
    time.sleep(1)
    process.stderr.close()  # the terminal is gone: writing to it fails from now on
    process.send_signal(signal.SIGHUP)
    try:
        process.wait(timeout=60)
    finally:
        process.kill()
    assert count_frames(output) > 10  # an MP4 that was not finished has no index and gives no frame at all


@pytest.mark.parametrize("normalize_in", ["host", "graph"])
def test_the_overlay_gives_the_raw_range_of_the_focused_or_hovered_channel(vgg16, normalize_in):
    """The mosaic scales every channel to 0-255; the overlay says what the activations really span."""
    from live.sources import DemoSource

    def shown_range(line: str, channel: int) -> tuple[float, float]:
        text = line.split(f"channel {channel}: ")[1].split(" | ")[0]
        low, high = text.split(" to ")
        return float(low), float(high)

    visualizer = Visualizer(Config(max_frames=3, focus=5, normalize_in=normalize_in), DemoSource().open(), vgg16)
    visualizer.run()
    last = visualizer.last
    activations = last.extractor.activations(last.rgb)
    time.sleep(FIGURES_SECONDS)  # the text is held that long, for reading: it may still be an earlier frame's
    focused = visualizer._overlay_lines(last)[1]
    assert "focus: channel 5: " in focused
    np.testing.assert_allclose(shown_range(focused, 5), (activations[..., 5].min(), activations[..., 5].max()),
                               rtol=0.01, atol=0.01)
    visualizer.controls.state.focus = None
    hovered = visualizer._overlay_lines(last, hover=9)[1]  # tile 9 shows channel 9 on the first page
    np.testing.assert_allclose(shown_range(hovered, 9), (activations[..., 9].min(), activations[..., 9].max()),
                               rtol=0.01, atol=0.01)
    assert "channel" not in visualizer._overlay_lines(last)[1]  # no pointer over a tile, no focus: no range
    assert " FPS | latency " in visualizer._overlay_lines(last)[1]
    assert len(visualizer.stats.shown) == 3
    visualizer.apply(visualizer.controls.press(ord(" ")))  # frozen: the live figures would stay unchanged, so they go
    assert visualizer._overlay_lines(last)[1] == "FROZEN"
    assert len(visualizer.stats.shown) == 0  # and the frame rate starts over, rather than counting the pause
    visualizer.ended = True
    assert visualizer._overlay_lines(last, hover=9)[1] == "FROZEN | END | channel 9: " + hovered.split("channel 9: ")[1]
    visualizer.ended = False
    visualizer.apply(visualizer.controls.press(ord(" ")))
    time.sleep(FIGURES_SECONDS)
    assert visualizer._overlay_lines(last)[1].startswith("  ... FPS | latency")  # not 0.0 FPS: unknown yet
    visualizer.stats = Stats()  # as on the first picture, composed at the warm-up: no frame has been timed
    time.sleep(FIGURES_SECONDS)
    assert visualizer._overlay_lines(last)[1] == "  ... FPS | latency  ... ms"  # not 'latency 0 ms'
    visualizer.controls.press(ord("t"))  # text hidden, for a clean recording
    assert visualizer._overlay_lines(last, hover=9) == []
    hidden = Visualizer(parse_config(["--hide-text"])[0], DemoSource().open(), vgg16)  # hidden from the start
    assert not hidden.controls.state.text


def test_under_nohup_closing_the_terminal_does_not_stop_the_run():
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("DISPLAY", None)
    process = subprocess.Popen([sys.executable, str(ROOT / "run_live.py"), "--source", "demo", "--headless"], env=env,
                               stderr=subprocess.PIPE, text=True, cwd=ROOT,
                               preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))  # as nohup does
    deadline = time.monotonic() + 90
    line = ""
    while time.monotonic() < deadline and "running" not in line:
        line = process.stderr.readline()
    process.send_signal(signal.SIGHUP)
    time.sleep(2)
    assert process.poll() is None  # still running
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0 and "stopped by SIGTERM" in stderr, stderr


def test_a_failing_worker_stops_the_run_with_its_error(vgg16, monkeypatch):
    from live.inference import Inference
    from live.sources import DemoSource

    original = Inference.process

    def failing(self, frame, request):
        if frame.index == 5:
            raise RuntimeError("the model fell over")
        return original(self, frame, request)

    monkeypatch.setattr(Inference, "process", failing)
    visualizer = Visualizer(Config(unpaced=True, max_frames=50, channels=8), DemoSource().open(), vgg16)
    began = time.monotonic()
    with pytest.raises(RuntimeError, match="fell over"):
        visualizer.run()
    assert time.monotonic() - began < 10 and visualizer.frames <= 5
    time.sleep(0.3)
    assert not [t for t in threading.enumerate() if t.name == "capture" or t.name.startswith("inference")]


def test_order_by_mean_from_the_start_ranks_the_first_frame_and_shows_no_other_order(vgg16, tmp_path):
    """--order mean used to be named in the text while the tiles kept index order: the ranking was only made
    when the key o was pressed. Every frame of a still image is the same, so every mosaic must be the same,
    and in the order Keras' own activations give."""
    from live.preprocess import prepare_rgb
    from live.sources import open_source
    from tests.test_extractor import direct_feature_map

    frame = moving_frames(1)[0]
    cv2.imwrite(str(tmp_path / "still.png"), frame)
    out = tmp_path / "mosaics"
    out.mkdir()
    config = Config(order="mean", unpaced=True, max_frames=5, save_mosaics=out, channels=16)
    visualizer = Visualizer(config, open_source(str(tmp_path / "still.png")), vgg16)
    visualizer.run()
    means = direct_feature_map(vgg16, "block1_conv1", prepare_rgb(frame, vgg16.input_hw)).mean(axis=(0, 1))
    ranked = np.argsort(-means, kind="stable")[:16]
    np.testing.assert_array_equal(visualizer.last.request.channels, ranked)
    mosaics = [cv2.imread(str(path)) for path in sorted(out.glob("mosaic_*.png"))]
    assert len(mosaics) == 5 and all((mosaic == mosaics[0]).all() for mosaic in mosaics)


def freeze_while_running(visualizer: Visualizer, after_frames: int, seconds: float) -> threading.Thread:
    """A thread that presses space after `after_frames` frames, as the key does on a headless run, and again
    `seconds` later; started, for the caller to join."""
    def press_twice():
        while visualizer.frames < after_frames and not visualizer.stop.is_set():
            time.sleep(0.01)
        visualizer.apply(visualizer.controls.press(ord(" ")))
        time.sleep(seconds)
        visualizer.apply(visualizer.controls.press(ord(" ")))

    presser = threading.Thread(target=press_twice)
    presser.start()
    return presser


def test_the_closing_frame_rate_leaves_out_the_time_spent_frozen(vgg16):
    """A pause to explain a frozen picture is not playback: 2 s frozen among 1.5 s of frames at 30 FPS read as
    about 13 FPS at the end, as if the program had been slow."""
    from live.sources import DemoSource

    visualizer = Visualizer(Config(max_frames=45, channels=8), DemoSource().open(), vgg16)
    presser = freeze_while_running(visualizer, after_frames=10, seconds=2)
    began = time.monotonic()
    summary = visualizer.run()
    wall = time.monotonic() - began
    presser.join()
    assert summary.frames == 45 and wall > 3
    assert summary.seconds < wall - 1.8, (summary.seconds, wall)  # the 2 s frozen are left out
    assert summary.seconds > 1.0  # and the 1.5 s of frames are not


def test_a_view_with_nothing_new_is_not_drawn_again_and_any_change_is(vgg16, monkeypatch):
    """With a window, the loop shows the last result again every 20 ms between frames, so that keys, the mouse
    and messages show at once. When none of them changed, the canvas is left as it is: tiling it again and
    repainting the window took a tenth of a core at 30 FPS."""
    from live.sources import DemoSource

    monkeypatch.setattr("live.pipeline.MESSAGE_SECONDS", 600)  # on a busy machine, not gone between two calls
    monkeypatch.setattr("live.pipeline.FIGURES_SECONDS", 0)  # FPS and latency worked out at each call: the same
    visualizer = Visualizer(Config(max_frames=3, channels=8), DemoSource().open(), vgg16)
    visualizer.run()
    result = visualizer.last
    visualizer._compose(result)  # its FPS figures, the last frames' included, brought up to date
    assert visualizer._compose(result)[1] is False
    before = visualizer.composer.canvas.copy()
    for change in (lambda: visualizer.show("snapshot saved"), lambda: visualizer.controls.press(ord("h")),
                   lambda: visualizer.controls.press(ord("l")), lambda: visualizer.controls.press(ord("t"))):
        change()
        canvas, changed = visualizer._compose(result)
        assert changed and not np.array_equal(canvas, before)
        assert visualizer._compose(result)[1] is False
        before = canvas.copy()
    visualizer.controls.press(ord("c"))  # another colormap
    assert visualizer._compose(result)[1] is True


def test_a_cameras_snapshot_url_runs_live_and_is_never_lost(vgg16, caplog, tmp_path):
    """An IP camera's `snapshot.cgi` ends after each picture: it was a stream lost and back three times a second,
    two lines each time, and the window said "stream lost" as often."""
    from live.sources import open_source
    from tests.conftest import web_server

    with web_server(tmp_path, mjpeg_frames=moving_frames(6, 120, 160)) as url:
        with caplog.at_level(logging.INFO), open_source(f"{url}/snapshot.cgi") as source:
            summary = Visualizer(Config(max_frames=30, channels=16), source, vgg16).run()
    assert summary.frames == 30
    assert "lost" not in caplog.text and "a new picture at each request (a camera's snapshots)" in caplog.text


def test_a_black_camera_picture_is_said_while_it_lasts(vgg16, caplog, monkeypatch, tmp_path):
    """A closed cover or privacy shutter gives a black picture and black maps, with nothing to say why. A video
    file opened as a camera (through the same OpenCV calls) stands in: black frames, then a scene again."""
    from live.sources import CaptureSource

    monkeypatch.setattr("live.pipeline.DARK_SECONDS", 0.05)
    black = [np.full((120, 160, 3), 2, np.uint8)] * 40
    night = np.full((120, 160, 3), 2, np.uint8)
    night[8:24, 16:40] = 255  # a lamp in a dark room: as dark on average (a mean of 7), but not a closed cover
    path = write_video(tmp_path / "covered.avi", [night] * 20 + black + moving_frames(20, 120, 160))
    shown = []
    original = Visualizer._show

    def watched(self, result, new):
        shown.append(self._message(result))
        return original(self, result, new)

    monkeypatch.setattr(Visualizer, "_show", watched)
    with caplog.at_level(logging.INFO), CaptureSource(str(path), "camera") as camera:
        Visualizer(Config(max_frames=80, channels=8, unpaced=True), camera, vgg16).run()
    notice = "the camera's picture is black: is its cover or privacy shutter closed?"
    assert caplog.text.count(notice) == 1 and caplog.text.count("the camera's picture is back") == 1
    assert notice not in shown[:20]  # the dark room with its lamp
    assert notice in shown[25:60] and notice not in shown[-5:]  # on the window while black, gone after


def test_a_slideshow_names_the_image_on_screen_and_in_a_snapshot(vgg16, tmp_path):
    """Which photo of a folder is on screen is said over the picture, and a snapshot's JSON names its file, so that
    its activations can be traced to it."""
    import json

    from live.sources import open_source

    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("cat.png", "dog.png"):
        cv2.imwrite(str(folder / name), moving_frames(1, 60, 80)[0])
    source = open_source(str(folder), seconds_per_image=0.1)  # 3 frames each
    config = Config(source=str(folder), unpaced=True, channels=8, snapshot_dir=tmp_path / "snaps")
    visualizer = Visualizer(config, source, vgg16)
    assert visualizer.run().frames == 6
    assert visualizer._overlay_lines(visualizer.last)[2:] == ["image 2/2: dog.png", "h: help"]
    visualizer.snapshot()
    info = json.loads(next((tmp_path / "snaps").glob("*.json")).read_text())
    assert info["image"] == str(folder / "dog.png") and info["source"] == str(folder) and info["frame"] == 5


@pytest.mark.parametrize("kind", ["video", "slideshow"])
def test_a_frozen_file_goes_on_from_where_it_was_frozen(vgg16, tmp_path, kind):
    """Frozen, a video or a slideshow stops where it is. Before, it played on unseen: a 2 s clip frozen for 2.5 s
    while a presenter explained a frame had reached its end when unfrozen, and the run ended at once."""
    from live.sources import open_source

    frames = moving_frames(20, 96, 128)
    if kind == "video":
        spec = str(write_video(tmp_path / "clip.avi", frames, fps=10))
    else:
        (tmp_path / "photos").mkdir()
        for i, frame in enumerate(frames[:4]):
            cv2.imwrite(str(tmp_path / "photos" / f"{i}.png"), frame)
        spec = str(tmp_path / "photos")
    source = open_source(spec, **({"seconds_per_image": 0.5} if kind == "slideshow" else {}))  # 2 s in all too
    visualizer = Visualizer(Config(source=spec, channels=8), source, vgg16)
    presser = freeze_while_running(visualizer, after_frames=3, seconds=2.5)
    began = time.monotonic()
    summary = visualizer.run()
    presser.join()
    assert time.monotonic() - began > 4  # 2 s of playing and 2.5 s frozen
    assert summary.frames >= (15 if kind == "video" else 40), summary.frames  # the rest played after the pause


def test_keys_step_through_a_slideshow_and_a_held_image_stays_held(vgg16, tmp_path):
    """Keys . and , go to a slideshow's next and previous image. Frozen (a presenter talking about one photo, an
    engineer looking at one test image), the image stepped to is shown and stays held; unfrozen, it plays on."""
    from live.sources import open_source

    folder = tmp_path / "photos"
    folder.mkdir()
    for i, name in enumerate(("a.png", "b.png", "c.png")):
        cv2.imwrite(str(folder / name), np.full((60, 80, 3), 40 * (i + 1), np.uint8))
    visualizer = Visualizer(Config(channels=8), open_source(str(folder), seconds_per_image=30), vgg16)
    seen = {}

    def shown_after(key: str, name: str) -> None:
        visualizer.apply(visualizer.controls.press(ord(key)))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and visualizer.last.frame.origin != str(folder / name):
            time.sleep(0.02)
        time.sleep(0.3)  # and it stays
        seen[f"{key} {name}"] = (Path(visualizer.last.frame.origin).name, int(visualizer.last.frame.bgr[0, 0, 0]),
                                 visualizer._overlay_lines(visualizer.last)[2])

    def press():
        while visualizer.frames < 2:
            time.sleep(0.01)
        shown_after(".", "b.png")  # playing: the capture thread reads it next
        shown_after(" ", "b.png")
        shown_after(".", "c.png")  # frozen
        shown_after(",", "b.png")
        shown_after(",", "a.png")
        shown_after(" ", "a.png")  # playing again, from there
        visualizer.stop.set()

    presser = threading.Thread(target=press)
    presser.start()
    visualizer.run()
    presser.join()
    assert seen == {". b.png": ("b.png", 80, "image 2/3: b.png"), "  b.png": ("b.png", 80, "image 2/3: b.png"),
                    ". c.png": ("c.png", 120, "image 3/3: c.png"), ", b.png": ("b.png", 80, "image 2/3: b.png"),
                    ", a.png": ("a.png", 40, "image 1/3: a.png"), "  a.png": ("a.png", 40, "image 1/3: a.png")}


def test_a_frozen_video_steps_frame_by_frame(vgg16, tmp_path):
    """Frozen, . and , show a video file's next and previous frame, held; playing, they say how to use them."""
    from live.sources import open_source

    frames = [np.full((60, 80, 3), 5 * i, np.uint8) for i in range(40)]
    video = write_video(tmp_path / "ramp.avi", frames, fps=10)
    visualizer = Visualizer(Config(channels=8), open_source(str(video)), vgg16)
    seen = []

    def shown_after(key: str, position=None) -> None:
        visualizer.apply(visualizer.controls.press(ord(key)))
        deadline = time.monotonic() + 5
        while position is not None and time.monotonic() < deadline and visualizer.last.frame.position != position:
            time.sleep(0.02)
        time.sleep(0.3)  # and it stays
        frame = visualizer.last.frame
        seen.append((frame.position, round(float(frame.bgr.mean()) / 5)))

    def press():
        while visualizer.frames < 3:
            time.sleep(0.01)
        shown_after(".")  # playing: a message, no step
        assert visualizer.message == "frozen (space), . and , step a video file frame by frame"
        shown_after(" ")
        held = visualizer.last.frame.position
        shown_after(".", held + 1)
        shown_after(",", held)
        shown_after(",", held - 1)
        visualizer.stop.set()

    presser = threading.Thread(target=press)
    presser.start()
    visualizer.run()
    presser.join()
    held = seen[1][0]
    assert seen[2:] == [(held + 1, held + 1), (held, held), (held - 1, held - 1)], seen
    assert visualizer._overlay_lines(visualizer.last)[1] == f"FROZEN | frame {held - 1}"  # which frame is held


def test_a_layer_slow_to_build_is_said_to_be_on_its_way(vgg16, monkeypatch):
    """A deep layer of a large model can take longer to build and trace at its first use than the key's own
    message lasts (`layer ... (N channels)`, 2 s): the window then says that the layer is on its way, until it
    shows, rather than seem to have missed the key."""
    from live.inference import Inference
    from live.sources import DemoSource

    original = Inference.extractor

    def slow_for_new_layers(self, layer):
        if layer not in self.extractors and layer != "block1_conv1":
            time.sleep(3.0)  # as inception_resnet_v2's conv_7b_ac takes here
        return original(self, layer)

    monkeypatch.setattr(Inference, "extractor", slow_for_new_layers)
    visualizer = Visualizer(Config(channels=8), DemoSource().open(), vgg16)
    said = {}

    def press():
        try:
            keys()
        finally:
            visualizer.stop.set()

    def keys():
        while visualizer.frames < 2:
            time.sleep(0.01)
        visualizer.apply(visualizer.controls.press(ord("n")))
        time.sleep(0.1)
        said["at once"] = visualizer._message(visualizer.last)
        time.sleep(2.2)
        said["the key's message gone"] = visualizer._message(visualizer.last)
        deadline = time.monotonic() + 10
        while visualizer.last.request.layer != "block1_conv2" and time.monotonic() < deadline:
            time.sleep(0.02)
        said["shown"] = visualizer._message(visualizer.last)
        visualizer.apply(visualizer.controls.press(ord("b")))  # built before: back within a frame or two
        time.sleep(2.2)
        said["back"] = (visualizer.last.request.layer, visualizer._message(visualizer.last))

    presser = threading.Thread(target=press)
    presser.start()
    visualizer.run()
    presser.join()
    assert said == {"at once": "layer block1_conv2 (64 channels)",
                    "the key's message gone": "switching to block1_conv2...", "shown": "", "back": ("block1_conv1", "")}


def test_warnings_show_at_the_foot_of_the_picture_one_after_the_other(vgg16, tmp_path, monkeypatch):
    """A presenter looks at the window, not at the terminal: the warnings of the start (here a video cut short,
    said by the source, and more channels asked for than the layer has, said by the loop) show on the picture
    after one another, each for its reading time, then none."""
    from live.sources import CaptureSource

    monkeypatch.setattr("live.notices.SHOWN_SECONDS", (0.6, 0.6))
    video = write_video(tmp_path / "talk.avi", moving_frames(90, 120, 160), fps=30)
    video.write_bytes(video.read_bytes()[:video.stat().st_size * 2 // 3])
    shown = []
    original = Visualizer._show

    def watched(self, result, new):
        shown.append((time.monotonic(), self._message(result)))
        return original(self, result, new)

    monkeypatch.setattr(Visualizer, "_show", watched)
    with Notices() as notices, CaptureSource(str(video), "video") as source:
        Visualizer(Config(channels=100), source, vgg16, notices=notices).run()
    said = [text for i, (_, text) in enumerate(shown) if i == 0 or text != shown[i - 1][1]]
    cut = f"'{video}' is cut short: the file ends before its data does"
    assert len(said) == 3 and said[0].startswith(cut) and said[0].endswith("plays only up to where the file stops")
    assert said[1:] == ["layer block1_conv1 has 64 channels, fewer than --channels 100: showing all 64", ""]
    for text in said[:2]:
        times = [at for at, shown_text in shown if shown_text == text]
        assert 0.4 < times[-1] - times[0] < 0.9  # each for its time, 0.6 s, give or take a frame or two


def test_a_warning_hidden_by_a_key_s_message_is_shown_for_the_rest_of_its_time(vgg16):
    """A warning's time runs only while it shows: a key pressed at the start (its message, 2 s) or a lost
    camera hides it, and it comes back for the rest of its time, then the next one shows."""
    from live.notices import reading_seconds
    from live.sources import DemoSource

    with Notices() as notices:
        logging.getLogger("live.sources").warning("first warning, of six words")
        logging.getLogger("models.loading").warning("second warning, of six words too")
        logging.getLogger("live.sources").warning("first warning, of six words")  # said twice: shown once
        visualizer = Visualizer(Config(), DemoSource().open(), vgg16, notices=notices)
    assert reading_seconds("first warning, of six words") == 4.0  # the least: six words are read in 2 s
    visualizer.capture = object()  # as when the loop runs: before it, the canvas prepared is not the one shown

    def watched(start: float, end: float) -> list[tuple[str, float]]:
        """What shows from `start` to `end`, drawn every 20 ms as with a window: (text, from about when) each."""
        spans = []
        for step in range(round((end - start) / 0.02)):
            text = visualizer._next_notice(start + step * 0.02)
            if not spans or spans[-1][0] != text:
                spans.append((text, round(step * 0.02, 1)))
        return spans

    first, second = "first warning, of six words", "second warning, of six words too"
    assert watched(0, 1) == [(first, 0)]
    # hidden from 1 s to 10 s (a key's message, a lost camera): 3 s of its 4 are still to come, then the next
    assert watched(10, 20) == [(first, 0), (second, 3.0), ("", 7.0)]
    logging.getLogger("live.capture").warning("the camera's picture is black", extra={"on_window": True})
    assert watched(30, 31) == [("", 0)]  # shown on the window by its own code already
