"""Recordings, snapshots and mosaics: written whole, and a full disk stops a recording without losing it."""

import json
import re
import subprocess
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from live.errors import OutputError
from live.outputs import Recorder, check_folder, check_writable, free_path, save_png, save_snapshot, write_atomically
from tests.conftest import count_frames, frames_once_finished, small_disk


def canvas(i: int) -> np.ndarray:
    image = np.zeros((120, 200, 3), np.uint8)
    cv2.putText(image, str(i), (20, 90), cv2.FONT_HERSHEY_SIMPLEX, 2, (255, 255, 255), 3)
    return image


@pytest.mark.parametrize("name", ["out.mp4", "out.avi"])
def test_recorder_writes_each_canvas_once(tmp_path, name):
    recorder = Recorder(tmp_path / name, fps=20)
    for i in range(15):
        recorder.write(canvas(i))
    recorder.close()
    recorder.close()  # twice is harmless
    assert count_frames(tmp_path / name) == 15
    capture = cv2.VideoCapture(str(tmp_path / name))
    for i in range(15):  # each frame is its canvas, through the writer process's pipe (lossy codecs: close)
        ok, frame = capture.read()
        assert ok and np.abs(frame.astype(int) - canvas(i)).mean() < 4


@pytest.mark.parametrize("system", ["macOS", "Windows"])
def test_recording_works_without_linux_pipe_sizes(tmp_path, monkeypatch, system):
    """A larger pipe to the writing process is Linux's own: macOS has fcntl without F_SETPIPE_SZ, Windows no
    fcntl at all. The writer was started with the window, so every start with a window on a Mac failed with
    'unexpected failure: AttributeError'. Here the constant, or the module, is taken away as those systems lack
    it; the rest is the real recording."""
    import fcntl

    import live.outputs

    if system == "macOS":
        monkeypatch.delattr(fcntl, "F_SETPIPE_SZ")
    else:
        monkeypatch.setattr(live.outputs, "fcntl", None)
    recorder = Recorder(tmp_path / "out.mp4", fps=20)
    for i in range(5):
        recorder.write(canvas(i))
    assert recorder.close() and count_frames(tmp_path / "out.mp4") == 5


@pytest.mark.parametrize("name", ["crash.mp4", "crash.avi"])
def test_a_recording_survives_the_program_being_killed(tmp_path, name):
    """kill -9, a crash, or Qt ending the process when the X server cuts the window off: the file is finished
    by the writer process all the same (an MP4 without its index, written at the end, plays nothing). Only the
    frames still being handed to it are lost: the one waiting for the feeding thread, and the one it was
    putting into the pipe."""
    import sys

    program = ("import os, signal, sys\n"
               "from live.outputs import Recorder\n"
               "from tests.test_outputs import canvas\n"
               "recorder = Recorder(sys.argv[1], fps=20)\n"
               "for i in range(20):\n"
               "    recorder.write(canvas(i))\n"
               "os.kill(os.getpid(), signal.SIGKILL)\n")
    done = subprocess.run([sys.executable, "-c", program, str(tmp_path / name)], cwd=Path(__file__).parents[1])
    assert done.returncode == -9
    assert 18 <= frames_once_finished(tmp_path / name, 18) <= 20


def test_a_stopped_writing_process_is_reported_not_called_saved(tmp_path, caplog):
    caplog.set_level("INFO")
    recorder = Recorder(tmp_path / "out.mp4", fps=20)
    recorder.write(canvas(0))
    recorder._encoder._child.kill()  # as the out-of-memory killer would
    with pytest.raises(OutputError, match="ended"):
        for i in range(50):  # the pipe may take a frame or two before it breaks
            recorder.write(canvas(i))
    assert recorder.close() is False
    assert "could not be finished" in caplog.text and "recording saved" not in caplog.text


def test_free_path_never_names_an_existing_file(tmp_path):
    path = tmp_path / "talk.mp4"
    assert free_path(path) == path
    path.write_bytes(b"earlier")
    (tmp_path / "talk_1.mp4").write_bytes(b"earlier too")
    assert free_path(path) == tmp_path / "talk_2.mp4"


def test_a_recording_never_replaces_an_earlier_one(tmp_path, caplog):
    earlier = tmp_path / "talk.mp4"
    first = Recorder(earlier, fps=20)
    first.write(canvas(1))
    first.close()
    assert first.path == earlier
    kept = earlier.read_bytes()
    again = Recorder(earlier, fps=20)
    for i in range(3):
        again.write(canvas(i))
    again.close()
    assert again.path == tmp_path / "talk_1.mp4" and "already exists and is kept" in caplog.text
    assert earlier.read_bytes() == kept and count_frames(again.path) == 3


def test_real_time_recording_follows_the_clock(tmp_path):
    import time

    recorder = Recorder(tmp_path / "rt.mp4", fps=30, real_time=True)
    recorder.write(canvas(0))  # the clock starts at the first canvas
    began = time.monotonic()
    while time.monotonic() - began < 1.0:
        recorder.write(canvas(0))
        time.sleep(0.1)  # a slow pipeline: 10 canvases a second
    recorder.close()
    assert 27 <= count_frames(tmp_path / "rt.mp4") <= 34  # about one second at 30 fps


def test_a_played_file_is_recorded_with_every_canvas_and_at_the_speed_it_was_seen(tmp_path):
    import time

    recorder = Recorder(tmp_path / "file.avi", fps=30, real_time=True, every_canvas=True)
    for value in range(5):  # five canvases within one frame's time: all kept (the clock alone keeps one)
        recorder.write(canvas(value * 40))
    assert recorder.frames_written == 5
    time.sleep(0.5)  # the model fell behind: the last canvas is repeated until the clock is caught up
    recorder.write(canvas(250))
    recorder.close()
    assert 14 <= count_frames(tmp_path / "file.avi") <= 18  # about half a second at 30 fps, plus the five


def test_snapshot_writes_its_files_with_one_stem(tmp_path):
    """The window, the activations, the JSON, and the model's input picture (RGB), without which the activations
    could not be computed again: the window shows the camera picture scaled, overlaid and uncropped."""
    activations = np.random.default_rng(0).normal(size=(8, 8, 5)).astype(np.float32)
    rgb = np.random.default_rng(1).integers(0, 256, (32, 48, 3), np.uint8)
    stem = save_snapshot(tmp_path / "snaps", canvas(1), activations, {"layer": "x", "frame": 7}, rgb)
    assert cv2.imread(str(stem.with_suffix(".png"))).shape == (120, 200, 3)
    np.testing.assert_array_equal(np.load(stem.with_suffix(".npy")), activations)
    info = json.loads(stem.with_suffix(".json").read_text())
    assert info["frame"] == 7 and info["input"] == f"{stem.name}_input.png"
    np.testing.assert_array_equal(cv2.imread(str(stem.parent / info["input"]))[..., ::-1], rgb)
    again = save_snapshot(tmp_path / "snaps", canvas(1), activations, {"layer": "x", "frame": 7})
    assert again != stem  # never overwrites
    assert not list((tmp_path / "snaps").glob(".*partial*"))


def test_a_snapshot_on_a_full_disk_says_so_and_keeps_what_fitted(tmp_path):
    """s on a full disk said `could not write '.../.snapshot_....partial.png'`, a hidden temporary name without a
    reason (OpenCV only returns False), or, where the window's picture fitted but the activations did not, numpy's
    '3211264 requested and 81888 written'. It names the snapshot and the room left, and what was kept."""
    noise = np.random.default_rng(2).integers(0, 256, (720, 1688, 3), np.uint8)  # does not compress: 3.6 MB
    with small_disk(tmp_path / "tiny", megabytes=2) as mount:
        with pytest.raises(OutputError) as failed:
            save_snapshot(mount / "snaps", noise, np.zeros((8, 8, 4), np.float32), {"frame": 3})
        said = (rf"could not write the snapshot '{mount}/snaps/snapshot_[0-9-]+_00000\d': "
                r"its disk has [012] MB free, too little for it")
        assert re.fullmatch(said, str(failed.value)), str(failed.value)
        assert not list((mount / "snaps").iterdir())
        activations = np.ones((224, 224, 64), np.float32)  # 12.8 MB: the window's picture fits, they do not
        with pytest.raises(OutputError) as failed:
            save_snapshot(mount / "snaps", np.zeros((720, 1688, 3), np.uint8), activations, {"frame": 4})
        assert re.fullmatch(said + r" \(kept: snapshot_[0-9-]+_000004\.png\)", str(failed.value)), str(failed.value)
        assert [path.suffix for path in (mount / "snaps").iterdir()] == [".png"]


def test_a_failed_write_leaves_no_half_file(tmp_path):
    target = tmp_path / "kept.png"
    save_png(target, canvas(1))
    before = target.read_bytes()

    def broken(temporary):
        temporary.write_bytes(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        write_atomically(target, broken)
    assert target.read_bytes() == before
    assert list(tmp_path.iterdir()) == [target]


def test_check_writable_names_the_folder(tmp_path):
    with pytest.raises(OutputError, match="folder .* does not exist"):
        check_writable(tmp_path / "missing" / "out.mp4", "--output")
    check_writable(tmp_path / "out.mp4", "--output")


def test_a_folder_where_no_file_can_be_made_is_refused_even_for_root():
    """/proc lets no file be made in it, though its permissions let root write: the folder is tried, not asked."""
    with pytest.raises(OutputError, match="'/proc' cannot be written"):
        check_writable(Path("/proc/out.mp4"), "--output")


def test_check_folder_tries_the_nearest_part_that_exists(tmp_path):
    check_folder(tmp_path / "new" / "deeper", "--snapshot-dir")  # to be made later: fine
    assert not (tmp_path / "new").exists()  # and not made by the check
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(OutputError, match="notes.txt' is a file, not a folder"):
        check_folder(tmp_path / "notes.txt" / "snaps", "--snapshot-dir")
    with pytest.raises(OutputError, match="'/proc' cannot be written"):
        check_folder(Path("/proc/snaps"), "--snapshot-dir")


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 3 MB file system (tmpfs), so that a recording fills it; skipped where mounting is not allowed."""
    with small_disk(tmp_path / "tiny", megabytes=3) as mount:
        yield mount


def noisy_canvas(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (240, 320, 3), dtype=np.uint8)  # incompressible


def test_full_disk_stops_recording_and_keeps_a_playable_file(tiny_disk):
    recorder = Recorder(tiny_disk / "talk.avi", fps=30, reserve_bytes=1024 * 1024)
    with pytest.raises(OutputError, match="nearly full"):
        for i in range(500):
            recorder.write(noisy_canvas(i))
    written = recorder.frames_written
    recorder.close()
    assert written > 0
    assert count_frames(tiny_disk / "talk.avi") == written


@pytest.mark.parametrize("suffix, plays", [(".avi", True), (".mp4", False)])
def test_a_failed_write_is_reported_and_the_file_said_as_it_is(tiny_disk, caplog, suffix, plays):
    """Where writing itself fails (the disk filled faster than the reserve allows for, a quota), the closing line
    said 'recording saved (164 frames)' of an MP4 that does not play at all, and of an AVI that holds fewer."""
    recorder = Recorder(tiny_disk / f"talk{suffix}", fps=30, reserve_bytes=0)
    with pytest.raises(OutputError, match=r"failed \(disk full\?\)$"):
        for i in range(500):
            recorder.write(noisy_canvas(i))
    with caplog.at_level("INFO"):
        assert recorder.close() == plays
    assert "recording saved" not in caplog.text
    if plays:
        assert "is kept, cut short where its writing failed: it plays up to there" in caplog.text
        assert 0 < count_frames(tiny_disk / "talk.avi") <= recorder.frames_written
    else:
        assert "does not play: its writing failed before the file was finished" in caplog.text
        assert count_frames(tiny_disk / "talk.mp4") == 0


def test_a_recording_stopped_before_its_first_frame_leaves_no_empty_file(tiny_disk, caplog):
    """A disk nearly full already at the first frame left a file of 258 bytes, said to be saved with 0 frames."""
    recorder = Recorder(tiny_disk / "talk.mp4", fps=30)  # 64 MB kept free, on a disk of 3
    with pytest.raises(OutputError, match=r"nearly full \(under 64 MB free"):
        recorder.write(noisy_canvas(0))
    with caplog.at_level("INFO"):
        assert recorder.close()
    assert "nothing was recorded to" in caplog.text and "recording saved" not in caplog.text
    assert list(tiny_disk.iterdir()) == []


def test_a_canvas_too_wide_for_mp4_is_recorded_scaled_down(tmp_path, caplog):
    """OpenCV's MPEG-4 writer refuses frames 8192 pixels wide (a panorama beside the as wide maps of a model of
    open size, at a large --panel-height): the recording is scaled down to 8190 with its aspect ratio, and says so.
    AVI takes it whole."""
    wide = np.zeros((130, 8200, 3), np.uint8)
    wide[:, 4100:] = 255
    with caplog.at_level("INFO"):
        recorder = Recorder(tmp_path / "pano.mp4")
        recorder.write(wide)
        recorder.write(wide)
        assert recorder.close()
    assert "at 8190x130, scaled down: MP4 takes frames up to 8190 pixels wide" in caplog.text
    capture = cv2.VideoCapture(str(tmp_path / "pano.mp4"))
    ok, frame = capture.read()
    assert ok and frame.shape == (130, 8190, 3) and count_frames(tmp_path / "pano.mp4") == 2
    assert frame[:, :4000].mean() < 30 and frame[:, 4200:].mean() > 225  # the picture, not a crop of it
    recorder = Recorder(tmp_path / "pano.avi")
    recorder.write(wide)
    recorder.close()
    assert cv2.VideoCapture(str(tmp_path / "pano.avi")).get(cv2.CAP_PROP_FRAME_WIDTH) == 8200


def test_a_canvas_of_another_shape_is_recorded_whole_not_stretched(tmp_path):
    """The window changes shape with its picture (a slideshow's portrait photo after a landscape one); the
    recording keeps the first frame's size, and fits a later canvas into it on black rather than stretch it."""
    recorder = Recorder(tmp_path / "shapes.avi")
    recorder.write(np.full((100, 200, 3), 60, np.uint8))
    recorder.write(np.full((200, 100, 3), 255, np.uint8))  # portrait: 50 pixels wide at the file's height of 100
    assert recorder.close()
    capture = cv2.VideoCapture(str(tmp_path / "shapes.avi"))
    frames = [capture.read()[1] for _ in range(2)]
    assert frames[1].shape == (100, 200, 3)
    assert frames[1][:, 80:120].mean() > 240 and frames[1][:, :70].mean() < 15 and frames[1][:, 130:].mean() < 15


def test_a_real_time_recording_far_behind_the_clock_moves_the_clock_instead_of_catching_up(tmp_path):
    """Past a second behind (the program stood still: a new layer built, say) the missing frames are left out,
    rather than written at once while the window waits."""
    recorder = Recorder(tmp_path / "slow.mp4", fps=30, real_time=True)
    recorder.write(canvas(0))
    time.sleep(0.5)  # half a second behind: caught up, as before
    recorder.write(canvas(1))
    caught_up = recorder.frames_written
    assert 16 <= caught_up <= 20  # 1 + 15 frames for half a second, a few more on a busy machine
    time.sleep(1.5)  # further than a second behind: one frame
    recorder.write(canvas(2))
    assert recorder.frames_written == caught_up + 1  # 45 more before
    time.sleep(0.2)  # the clock now runs from there: about 6 frames
    recorder.write(canvas(3))
    recorder.close()
    assert 5 <= recorder.frames_written - caught_up - 1 <= 12
    assert count_frames(tmp_path / "slow.mp4") == recorder.frames_written


def test_a_writer_slower_than_the_clock_does_not_hold_up_the_window(tmp_path, caplog):
    """A 2160-pixel window takes the writer about 70 ms a frame here: writing every frame the clock asks for
    would put it further behind each time (3, 9, 25 frames... at 30 fps). Frames are left out instead, and it
    says so. At 240 fps, for a window drawn 30 times a second, the clock outruns the writer for certain,
    however fast this machine is today."""
    rng = np.random.default_rng(0)
    big = cv2.GaussianBlur(rng.integers(0, 256, (2160, 5040, 3), dtype=np.uint8), (0, 0), 3)
    recorder = Recorder(tmp_path / "big.mp4", fps=240, real_time=True)
    with caplog.at_level("WARNING"):
        for _ in range(30):
            recorder.write(big)
            time.sleep(1 / 30)
    recorder.close()
    assert recorder.frames_written <= 80, recorder.frames_written  # 240 asked for in a second
    assert "cannot keep up with 240 fps at 5040x2160: it plays faster than it was seen" in caplog.text
    assert count_frames(tmp_path / "big.mp4") == recorder.frames_written


def test_a_real_time_recording_never_waits_for_its_writing_process(tmp_path, caplog):
    """The window goes on to its next frame while the writing process still encodes the one before (31 ms at
    1440 pixels high here, which held a 30 fps window to 24): a canvas that comes meanwhile is left out, not
    waited for. Here the writing process is stopped outright, and each write still returns at once."""
    import os
    import signal
    import threading

    picture = noisy_canvas(0)
    big = np.tile(picture, (3, 4, 1))  # 720x1280: more than the pipe holds
    recorder = Recorder(tmp_path / "rt.mp4", fps=30, real_time=True)
    recorder.write(big)
    child = recorder._encoder._child
    os.kill(child.pid, signal.SIGSTOP)
    returned = threading.Event()

    def window():
        for _ in range(20):
            recorder.write(big)
            time.sleep(1 / 30)
        returned.set()

    threading.Thread(target=window, daemon=True).start()
    with caplog.at_level("WARNING"):
        all_returned = returned.wait(10)
        os.kill(child.pid, signal.SIGCONT)
        returned.wait(30)
    assert recorder.close()
    assert all_returned, "a write waited for the stopped writing process"
    assert "cannot keep up with 30 fps at 1280x720" in caplog.text
    assert count_frames(tmp_path / "rt.mp4") == recorder.frames_written < 20 and recorder.frames_left_out >= 15


def test_a_frame_or_two_left_out_now_and_then_is_not_called_falling_behind(tmp_path, caplog):
    """The writing process held up for a moment (descheduled on a busy machine): the canvases that come
    meanwhile are left out, which no one sees in the file, and only the closing line counts them."""
    import os
    import signal

    big = np.tile(noisy_canvas(1), (3, 4, 1))  # 720x1280: more than the pipe holds
    recorder = Recorder(tmp_path / "rt.mp4", fps=30, real_time=True)
    with caplog.at_level("INFO"):
        recorder.write(big)
        child = recorder._encoder._child
        os.kill(child.pid, signal.SIGSTOP)
        try:
            for _ in range(4):  # one more waits for the writer; the others are left out
                time.sleep(1 / 30)
                recorder.write(big)
        finally:
            os.kill(child.pid, signal.SIGCONT)
        for _ in range(5):
            time.sleep(1 / 30)
            recorder.write(big)
        assert recorder.close()
    assert 1 <= recorder.frames_left_out < 15
    assert "cannot keep up" not in caplog.text
    assert "left out where its writer fell behind" in caplog.text


def test_a_writing_process_that_takes_nothing_more_does_not_keep_the_program_from_ending(tmp_path, caplog,
                                                                                        monkeypatch):
    """Ctrl+C finishes a recording before the program ends; a writing process that has stopped taking frames
    (stopped, or stuck on a dead network disk) is waited for FINISH_SECONDS (60) at most, then left to finish
    the file itself."""
    import os
    import signal

    import live.outputs

    monkeypatch.setattr(live.outputs, "FINISH_SECONDS", 1.0)
    big = np.tile(noisy_canvas(2), (3, 4, 1))  # 720x1280: more than the pipe holds
    recorder = Recorder(tmp_path / "stuck.mp4", fps=30)
    recorder.write(big)
    child = recorder._encoder._child
    os.kill(child.pid, signal.SIGSTOP)
    try:
        recorder.write(big)  # the feeding thread is now stuck in the pipe, and this one waits for it
        began = time.monotonic()
        with caplog.at_level("WARNING"):
            recorder.close()
        assert time.monotonic() - began < 5
        assert "still being finished in the background" in caplog.text
    finally:
        child.kill()
        os.kill(child.pid, signal.SIGCONT)
        child.wait()
