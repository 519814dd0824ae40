"""Every kind of source, read through the real OpenCV code on files written in the test."""

import logging
import os
import re
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from live.capture import Frame
from live.errors import SourceError, UsageError
from live.devices import camera_candidates
from live.sources import (SNAPSHOT_MAX_FPS, CaptureSource, DemoSource, ImageSource, SlideshowSource, describe_kind,
                          list_cameras, open_source)
from tests.conftest import DATA, gray_frames, jpeg_bytes, moving_frames, write_video


def test_video_file_gives_every_frame_then_none(tmp_path):
    frames = moving_frames(6, 120, 160)
    path = write_video(tmp_path / "clip.avi", frames, fps=12)
    with open_source(str(path)) as source:
        assert isinstance(source, CaptureSource) and source.kind == "video" and not source.live
        assert source.fps == pytest.approx(12)
        read = []
        while (frame := source.read()) is not None:
            read.append(frame)
    assert len(read) == 6
    assert read[0].shape == (120, 160, 3) and read[0].dtype == np.uint8
    assert np.abs(read[3].astype(int) - frames[3]).mean() < 6  # MJPG is lossy, but close


def test_an_open_source_is_entered_without_opening_it_again(tmp_path, caplog):
    """The command line opens the source early, to fail fast, then enters it: one device handle, not two."""
    caplog.set_level(logging.DEBUG, logger="live.sources")  # opened again: at debug level
    path = write_video(tmp_path / "clip.avi", moving_frames(4, 64, 64))
    source = open_source(str(path))
    with source as entered:
        frames = 0
        while entered.read() is not None:
            frames += 1
        assert entered is source and frames == 4  # the first frame, read at opening, is not lost
    assert caplog.text.count("opened video") == 1 and not source.opened
    with source:  # closed: entering opens it again, from the first frame
        assert source.read() is not None
    assert caplog.text.count("opened video") == 2


def test_closing_never_releases_under_a_read_in_progress(tmp_path, caplog, monkeypatch):
    """A read stuck in another thread (a camera pulled out mid-frame) keeps its capture; closing says so."""
    import threading

    import live.sources

    monkeypatch.setattr(live.sources, "CLOSE_WAIT_S", 0.2)
    source = open_source(str(write_video(tmp_path / "clip.avi", moving_frames(3, 64, 64))))
    source.read()  # the first frame, read at opening
    reading, done, released = threading.Event(), threading.Event(), []

    class StuckCapture:
        """The real capture, whose next read hangs until the test lets it go."""

        def __init__(self, real):
            self.real = real

        def read(self):
            reading.set()
            done.wait(5)
            return self.real.read()

        def release(self):
            released.append(done.is_set())
            self.real.release()

    source._capture = StuckCapture(source._capture)
    reader = threading.Thread(target=source.read)
    reader.start()
    reading.wait(5)
    source.close()
    assert "still busy reading a frame" in caplog.text and released == []  # not released under the read
    began = time.monotonic()
    source.close()  # leaving the `with` closes again: no second wait, no second warning
    assert time.monotonic() - began < 0.1 and caplog.text.count("still busy") == 1 and released == []
    done.set()
    reader.join(5)
    source.close()
    assert released == [True] and source._capture is None


def test_video_rewinds_for_loop(tmp_path):
    path = write_video(tmp_path / "clip.avi", moving_frames(3, 64, 64))
    with open_source(str(path)) as source:
        first = source.read()
        while source.read() is not None:
            pass
        assert source.rewind()
        np.testing.assert_array_equal(source.read(), first)


def test_image_repeats_as_a_stream(tmp_path):
    path = tmp_path / "still.png"
    image = moving_frames(1, 90, 70)[0]
    cv2.imwrite(str(path), image)
    with open_source(str(path)) as source:
        assert isinstance(source, ImageSource)
        for _ in range(3):
            np.testing.assert_array_equal(source.read(), image)


def test_an_animated_gif_plays_and_a_still_one_is_an_image(tmp_path):
    from PIL import Image

    frames = [Image.fromarray(np.full((48, 64, 3), 20 * i, np.uint8)) for i in range(6)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    frames[0].save(tmp_path / "still.gif")
    with open_source(str(tmp_path / "anim.gif")) as source:
        assert source.kind == "video" and source.loops_by_default  # as a GIF does everywhere
        levels = []
        while (frame := source.read()) is not None:
            levels.append(int(frame.mean()))
    assert len(levels) == 6 and levels == sorted(levels) and levels[-1] > levels[0] + 50
    assert describe_kind(str(tmp_path / "still.gif")) == "image"


def test_demo_is_deterministic_moving_and_natural():
    with open_source("demo") as source:
        first = [source.read() for _ in range(3)]
    with DemoSource().open() as again:
        np.testing.assert_array_equal(again.read(), first[0])
        assert not np.array_equal(again.frame_at(0), again.frame_at(30))  # it moves
    assert first[0].shape == (480, 640, 3)
    assert first[0].std() > 30  # a photo, not a flat color


def test_a_preview_while_the_model_loads_takes_none_of_the_run_s_frames(tmp_path):
    """The window shows the source's picture while the model loads, taking nothing from the run: a camera's or
    stream's frames (live: the next one), an image, a video file's first frame and a slideshow's first image (both
    still shown first by the run), the demo scene (which still starts at frame 0)."""
    from tests.conftest import web_server

    with open_source("demo") as demo:
        previews = [demo.preview() for _ in range(3)]
        assert not np.array_equal(previews[0], previews[2])  # it moves meanwhile
        np.testing.assert_array_equal(demo.read(), demo.frame_at(0))
        np.testing.assert_array_equal(demo.read(), demo.frame_at(1))
    frames = moving_frames(6, 96, 128)
    video = write_video(tmp_path / "talk.avi", frames)
    with open_source(str(video)) as played:
        assert np.abs(played.preview().astype(int) - frames[0]).mean() < 3
        assert np.abs(played.preview().astype(int) - frames[0]).mean() < 3  # the same first frame, not the next
        assert np.abs(played.read().astype(int) - frames[0]).mean() < 3 and played.position == 0
        assert np.abs(played.read().astype(int) - frames[1]).mean() < 3
    cv2.imwrite(str(tmp_path / "photo.png"), frames[2])
    with open_source(str(tmp_path / "photo.png")) as photo:
        np.testing.assert_array_equal(photo.preview(), frames[2])
    cv2.imwrite(str(tmp_path / "zz_last.png"), frames[4])
    with open_source(str(tmp_path)) as slideshow:
        assert slideshow.kind == "slideshow"
        np.testing.assert_array_equal(slideshow.preview(), frames[2])  # photo.png, the first by name
        np.testing.assert_array_equal(slideshow.read(), frames[2])
        assert slideshow.origin.endswith("photo.png")
    with web_server(tmp_path, mjpeg_frames=frames) as url, open_source(f"{url}/live") as stream:
        assert stream.preview().shape == (96, 128, 3)


@pytest.mark.parametrize("spec, sentence", [
    ("", "--source is empty: give a camera index, 'demo', a stream URL or a file"),  # was: "'' is a folder"
    ("  ", "--source is empty"),
    ("http://[::1/live", "source 'http://[::1/live' is not a URL that can be read (Invalid IPv6 URL)"),  # traceback
    ("rtsp://admin:hunter2@[::1/live", "source 'rtsp://***@[::1/live' is not a URL that can be read"),
    ("http://camera:80a/live", "source 'http://camera:80a/live' is not a URL that can be read (Port could not"),
])
def test_sources_that_cannot_be_read_as_such_get_a_sentence(spec, sentence):
    with pytest.raises(SourceError) as refused:
        open_source(spec)
    assert str(refused.value).startswith(sentence) and "hunter2" not in str(refused.value)


def test_an_av1_video_is_named_as_such_with_the_way_to_convert_it(tmp_path):
    """AV1, which phones, browsers and video sites now save, opens but gives no frame: OpenCV's FFmpeg has no
    decoder for it. It was told "is the file truncated or corrupt?", which sends the user the wrong way."""
    video = tmp_path / "talk.mp4"
    video.write_bytes((DATA / "av1_320x240.mp4").read_bytes())
    with pytest.raises(SourceError) as refused:
        open_source(str(video))
    assert str(refused.value) == (f"video {video} opened but gave no frame: it is AV1 video, which OpenCV cannot "
                                  f"decode here; convert it to H.264, for example with ffmpeg -i '{video}' -c:v "
                                  f"libx264 -crf 18 '{tmp_path / 'talk_h264.mp4'}'")


def test_an_iphone_photo_in_heic_gets_the_way_to_convert_it(tmp_path):
    """OpenCV reads no HEIC, the format an iPhone saves its photos in; the sentence said only that it could not
    read the file. (No HEIC encoder here: a file of that name that OpenCV cannot read stands in for one.)"""
    photo = tmp_path / "IMG_0042.HEIC"
    photo.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(2000))
    with pytest.raises(SourceError, match="IMG_0042.HEIC' is an HEIC photo \\(an iPhone's format\\), which OpenCV "
                                          "cannot read: convert it to JPEG or PNG first"):
        open_source(str(photo))


def test_missing_camera_fails_clearly():
    with pytest.raises(SourceError, match="camera 7 could not be opened .*; no camera opens here \\(--source demo"):
        open_source("7")


def test_a_camera_that_does_not_open_names_those_that_do(tmp_path, monkeypatch):
    """`--source 1` on a laptop whose webcam is /dev/video2 said only that camera 1 could not be opened. No camera
    here: a video file named like a Linux video device stands in for one, opened through the same OpenCV calls."""
    import functools

    write_video(tmp_path / "webcam.avi", moving_frames(2, 48, 64)).rename(tmp_path / "video2")
    monkeypatch.setattr("live.sources.camera_candidates", functools.partial(camera_candidates, tmp_path))
    with pytest.raises(SourceError, match=f"camera 1 could not be opened .*; the camera that opens here: "
                                          f"{re.escape(str(tmp_path / 'video2'))}$"):
        open_source("1")


def test_default_source_falls_back_to_demo_without_a_camera(caplog):
    source = open_source(None)
    assert isinstance(source, DemoSource)
    assert "demo" in caplog.text and "--camera-size" not in caplog.text
    assert "(one in use by another program, a video call say, cannot be)" in caplog.text  # a presenter's Zoom
    caplog.clear()
    assert isinstance(open_source(None, (720, 1280)), DemoSource)
    assert "(--camera-size is for cameras: the demo stays 640x480)" in caplog.text


def test_without_camera_0_the_default_is_the_first_other_camera_that_gives_pictures(tmp_path, caplog, monkeypatch):
    """A laptop whose own camera is switched off, with a USB webcam at /dev/video3: the default source played the
    demo scene. A camera of gray pictures (the laptop's infrared camera, here /dev/video2) comes after any that
    gives colour. No camera here: video files named like Linux video devices stand in for them, opened through
    the same OpenCV calls; a device that gives no picture (a webcam's metadata node, here a text file) is passed."""
    import functools

    (tmp_path / "video1").write_text("no pictures here")
    infrared = gray_frames(3, 36, 36)
    write_video(tmp_path / "ir.avi", infrared).rename(tmp_path / "video2")
    write_video(tmp_path / "webcam.avi", moving_frames(3, 48, 64)).rename(tmp_path / "video3")
    monkeypatch.setattr("live.sources.camera_candidates", functools.partial(camera_candidates, tmp_path))
    with open_source(None) as camera:
        assert (camera.kind, camera.spec, camera.live) == ("camera", str(tmp_path / "video3"), True)
        assert camera.read().shape == (48, 64, 3)
    assert f"camera 0 could not be opened; showing camera {tmp_path / 'video3'}, the first other one" in caplog.text
    (tmp_path / "video3").unlink()
    with open_source(None) as camera:  # only the infrared camera: better than the demo scene, and said
        assert camera.spec == str(tmp_path / "video2") and camera.read().shape == (36, 36, 3)
    assert "gives pictures; its pictures are gray (an infrared camera?)" in caplog.text
    (tmp_path / "video2").unlink()
    assert isinstance(open_source(None), DemoSource)


def test_cameras_are_listed_in_device_order_with_their_picture_size(tmp_path, caplog):
    """No camera here: video files named like Linux video devices stand in for them, opened through the same
    OpenCV calls. A device that gives no picture (a webcam's metadata node, here a text file) is left out."""
    caplog.set_level(logging.INFO, logger="live.sources")
    write_video(tmp_path / "two.avi", moving_frames(2, 48, 64)).rename(tmp_path / "video2")
    write_video(tmp_path / "ten.avi", moving_frames(2, 72, 96)).rename(tmp_path / "video10")
    infrared = gray_frames(2, 36, 36)  # a laptop's infrared camera gives gray pictures
    write_video(tmp_path / "ir.avi", infrared).rename(tmp_path / "video11")
    (tmp_path / "video3").write_text("no pictures here")
    (tmp_path / "videos.txt").write_text("not a device name")
    candidates = camera_candidates(tmp_path)
    assert candidates == [str(tmp_path / name) for name in ("video2", "video3", "video10", "video11")]
    listed = list_cameras(candidates)
    assert listed == [(str(tmp_path / "video2"), (48, 64), "", False),
                      (str(tmp_path / "video10"), (72, 96), "", False),
                      (str(tmp_path / "video11"), (36, 36), "", True)]  # gray: told apart in the listing
    assert "opened camera" not in caplog.text  # one line per camera is printed, not the log of each opening
    assert list_cameras([]) == []


def test_a_camera_is_asked_for_a_size_and_says_what_it_gives(tmp_path, caplog):
    """No camera here: a video file opened as a camera stands in for one that cannot give the size asked for,
    through the same OpenCV calls. Asked again on reconnecting, as after a camera is plugged back in."""
    caplog.set_level(logging.INFO, logger="live.sources")
    path = str(write_video(tmp_path / "clip.avi", moving_frames(3, 120, 160)))
    refused = "camera {} gives 160x120 pictures, not the 1280x720 asked for with --camera-size".format(path)
    with CaptureSource(path, "camera", (720, 1280)).open() as camera:
        assert camera.read().shape == (120, 160, 3)
        assert caplog.text.count(refused) == 1
        assert camera.reconnect() and caplog.text.count(refused) == 2
    caplog.clear()
    with CaptureSource(path, "camera", (120, 160)).open():  # the size it gives: nothing to say
        assert "--camera-size" not in caplog.text and "opened camera" in caplog.text
    with CaptureSource(path, "video", (720, 1280)).open() as video:  # only cameras are asked
        assert video.size_hw is None and "--camera-size" not in caplog.text


@pytest.mark.parametrize("spec, message", [
    ("/no/such/file.mp4", "not a camera index, 'demo', a stream URL or an existing file"),
])
def test_bad_paths_fail_clearly(spec, message):
    with pytest.raises(SourceError, match=message):
        open_source(spec)


def test_folder_text_file_and_truncated_video_fail_clearly(tmp_path):
    with pytest.raises(SourceError, match="is a folder without an image that OpenCV can read"):
        open_source(str(tmp_path))
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(SourceError, match="not a video or image"):
        open_source(str(text))
    video = write_video(tmp_path / "clip.avi", moving_frames(5, 64, 64))
    broken = tmp_path / "broken.avi"
    broken.write_bytes(video.read_bytes()[:300])
    with pytest.raises(SourceError):
        open_source(str(broken))
    fake_png = tmp_path / "fake.png"
    fake_png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    with pytest.raises(SourceError):
        open_source(str(fake_png))


@pytest.mark.parametrize("name", ["notes.jpg", "page.PNG", "scan.tif"])
def test_a_file_named_as_an_image_that_is_none_is_called_an_image(tmp_path, name):
    """OpenCV opens any file with an image's name as a sequence of numbered images and fails only at the read: it
    was called a video, 'video notes.jpg opened but gave no frame'. Where its bytes tell what it is (text), that
    is said; otherwise the guess."""
    text = tmp_path / name
    text.write_text("hello")
    with pytest.raises(SourceError, match=f"^'{text}' is a text file, not a video or image \\(it begins 'hello'\\)$"):
        open_source(str(text))
    text.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(SourceError, match=f"^'{text}' could not be read as an image \\(is it truncated or corrupt, "
                                          f"or another kind of file with an image's name\\?\\)$"):
        open_source(str(text))


def test_a_stream_that_fails_at_once_says_why_not_that_it_timed_out():
    """A refused connection and a name that cannot be looked up (offline, or a typo) fail at once; they were
    reported as 'did not answer within 5 s'."""
    began = time.monotonic()
    with pytest.raises(SourceError, match="rtsp://127.0.0.1:9/none could not be opened: nothing listens on port 9"):
        open_source("rtsp://127.0.0.1:9/none")
    with pytest.raises(SourceError, match="the host name 'camera.invalid' could not be looked up \\(no network"):
        open_source("http://camera.invalid/stream.mjpg")
    assert time.monotonic() - began < 4


def test_silent_stream_gives_up_within_seconds():
    """A server on this machine that accepts the connection and then says nothing."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    held = []

    def accept():
        try:
            while True:
                held.append(server.accept()[0])
        except OSError:
            pass

    threading.Thread(target=accept, daemon=True).start()
    began = time.monotonic()
    try:
        with pytest.raises(SourceError, match="did not answer within 5 s"):
            open_source(f"http://127.0.0.1:{server.getsockname()[1]}/stream.mjpg")
    finally:
        server.close()
        for connection in held:
            connection.close()
    assert time.monotonic() - began < 12


@pytest.mark.parametrize("spec, kind", [("demo", "demo"), ("0", "camera"), ("/dev/video3", "camera"),
                                        ("http://127.0.0.1:8080/x.mjpg", "stream")])
def test_kinds(spec, kind):
    assert describe_kind(spec) == kind


def test_a_live_stream_plays_and_files_behind_urls_play_as_files(tmp_path):
    """A live MJPEG stream (a phone's webcam app) is a stream: no end, retried when lost. A video or an image
    file behind a URL was taken for one too: its end was a lost stream, reopened over and over with two lines
    each time, the video ran unpaced, and the image was shown once between reconnections."""
    from tests.conftest import web_server

    frames = moving_frames(6, 96, 128)
    write_video(tmp_path / "talk.avi", frames, fps=20.0)
    cv2.imwrite(str(tmp_path / "photo.png"), frames[2])
    with web_server(tmp_path, mjpeg_frames=frames) as url:
        with open_source(f"{url}/live") as live:
            assert (live.kind, live.live) == ("stream", True)
            assert all(live.read().shape == (96, 128, 3) for _ in range(10))
            assert not live.rewind()
        with open_source(f"{url}/video.jpg") as named_like_an_image:  # was held as a still, by its suffix
            assert (named_like_an_image.kind, named_like_an_image.live) == ("stream", True)
        with open_source(f"{url}/talk.avi") as video:
            assert (video.kind, video.live, video.fps) == ("video", False, 20.0)
            read = [video.read() for _ in range(7)]
            assert all(frame is not None for frame in read[:6]) and read[6] is None  # its end
            assert np.abs(read[5].astype(int) - frames[5]).mean() < 3
            assert video.rewind() and np.abs(video.read().astype(int) - frames[0]).mean() < 3
        with open_source(f"{url}/photo.png") as photo:
            assert (photo.kind, photo.live) == ("image", False)
            held = [photo.read() for _ in range(5)]
            assert all(np.array_equal(frame, frames[2]) for frame in held) and photo.rewind()


@pytest.mark.parametrize("path", ["snapshot.cgi", "shot.jpg"])
def test_a_cameras_snapshot_url_gives_a_new_picture_at_each_read(tmp_path, path):
    """An IP camera's snapshot URL gives one JPEG and ends, a new one at each request. `shot.jpg` was held as a
    still image (by its suffix), and `snapshot.cgi` was a stream lost at each picture's end, then back."""
    from tests.conftest import web_server

    frames = moving_frames(6, 96, 128)
    cv2.imwrite(str(tmp_path / "still.jpg"), frames[0])
    with web_server(tmp_path, mjpeg_frames=frames) as url:
        with open_source(f"{url}/{path}") as camera:
            assert (camera.kind, camera.live, camera.mirror_by_default) == ("stream", True, False)
            began = time.monotonic()
            read = [camera.read() for _ in range(8)]
            assert all(frame is not None and frame.shape == (96, 128, 3) for frame in read)
            assert time.monotonic() - began >= 5 / SNAPSHOT_MAX_FPS  # asked for no faster than that
            follow = [int(np.abs(a.astype(int) - b).mean() > 1) for a, b in zip(read, read[1:])]
            assert sum(follow) == len(follow)  # each read a new picture
        with open_source(f"{url}/still.jpg") as still:  # the same picture at each request: an image, held
            assert (still.kind, still.live) == ("image", False)


def write_photos(folder, names_hw):
    """Images of one colour each (blue 10, 20, ...), of the given (height, width), under the given names."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, (name, size_hw) in enumerate(names_hw):
        cv2.imwrite(str(folder / name), np.full((*size_hw, 3), (10 * (i + 1), 0, 0), np.uint8))
    return folder


def test_a_folder_plays_its_images_in_name_order_each_held_for_its_time(tmp_path, caplog):
    """A folder of photos (a student's own, a presenter's chosen few) plays as a slideshow: in the order a person
    counts (img2 before img10), each held, at the frame rate of a video, skipping what is not an image. Before, a
    folder was refused."""
    folder = write_photos(tmp_path / "photos", [("img10.png", (40, 60)), ("img2.png", (60, 40)),
                                                ("img1.png", (30, 30)), (".hidden.png", (8, 8))])
    (folder / "notes.txt").write_text("not an image")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    with caplog.at_level(logging.INFO), open_source(str(folder), seconds_per_image=0.1) as source:
        assert isinstance(source, SlideshowSource) and source.kind == "slideshow" and not source.live
        assert source.fps == 30 and source.hold == 3
        shown = []
        while (frame := source.read()) is not None:
            shown.append((frame.shape[:2], int(frame[0, 0, 0])))
        assert shown == [((30, 30), 30)] * 3 + [((60, 40), 20)] * 3 + [((40, 60), 10)] * 3
        assert source.origin == str(folder / "img10.png") and source.label(source.origin) == "image 3/3: img10.png"
        assert source.rewind() and source.read()[0, 0, 0] == 30  # --loop: the first image again
        assert source.step(-1, None) == ""  # key ,: back from the first is round to the last, held for its whole time
        assert [None if (frame := source.read()) is None else frame[0, 0, 0] for _ in range(4)] == [10, 10, 10, None]
        source.step(1, None)  # key .: on from the last is round to the first
        assert source.read()[0, 0, 0] == 30 and source.label(source.origin) == "image 1/3: img1.png"
        on_screen = Frame(8, np.zeros((1, 1, 3), np.uint8), 0.0, origin=str(folder / "img10.png"))
        source.step(1, on_screen)  # from the image on screen, though the first was read since
        assert source.read()[0, 0, 0] == 30
    assert caplog.text.count("skipping") == 1
    assert "broken.png', which is cut short: the file ends before its data does" in caplog.text
    assert "opened slideshow" in caplog.text and "each for 0.1 s" in caplog.text


def test_a_photo_cut_short_is_named_once_as_an_image_and_in_a_slideshow(tmp_path, caplog):
    """A photo whose download did not finish showed gray below what arrived, and libjpeg wrote 'Premature end of
    JPEG file' to the terminal without naming the file: in a slideshow of a hundred, which one? It is named, once."""
    folder = tmp_path / "photos"
    folder.mkdir()
    data = jpeg_bytes()
    (folder / "a.jpg").write_bytes(data)
    (folder / "b.jpg").write_bytes(data[:len(data) // 2])
    (tmp_path / "single.jpg").write_bytes(data[:len(data) // 2])
    with caplog.at_level(logging.INFO), open_source(str(tmp_path / "single.jpg")) as source:
        assert isinstance(source, ImageSource) and source.read().shape == (240, 320, 3)
    assert "single.jpg' is cut short" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO), open_source(str(folder), seconds_per_image=0.1) as source:
        for _ in range(3):  # three turns of --loop
            while source.read() is not None:
                pass
            source.rewind()
    assert caplog.text.count("is cut short") == 1 and "b.jpg' is cut short" in caplog.text


def test_a_damaged_photo_is_named_once_and_the_decoders_own_lines_stay_off_the_terminal(tmp_path, caplog, capfd):
    """libjpeg and libpng wrote 'Corrupt JPEG data: ...' and 'libpng error: Read Error' to the terminal at each turn
    of a slideshow, naming no file: the photo that shows garbled is named once, in words; the one that cannot be
    read is skipped with its name, as before."""
    folder = tmp_path / "photos"
    folder.mkdir()
    data = bytearray(jpeg_bytes())
    data[len(data) // 2:len(data) // 2 + 400] = b"U" * 400
    (folder / "a_damaged.jpg").write_bytes(bytes(data))
    png = cv2.imencode(".png", np.random.default_rng(2).integers(0, 256, (60, 80, 3), dtype=np.uint8))[1].tobytes()
    (folder / "b_cut.png").write_bytes(png[:len(png) // 2])
    (folder / "c_whole.jpg").write_bytes(jpeg_bytes())
    with caplog.at_level(logging.INFO), open_source(str(folder), seconds_per_image=0.1) as source:
        for _ in range(3):  # three turns of --loop
            while source.read() is not None:
                pass
            source.rewind()
    assert caplog.text.count("holds damaged data") == 1
    assert "a_damaged.jpg' holds damaged data, so parts of it may show garbled (the image decoder says: Corrupt JPEG" \
        in caplog.text
    assert "skipping '" in caplog.text
    assert "b_cut.png', which is cut short: the file ends before its data does" in caplog.text
    err = capfd.readouterr().err
    assert "Corrupt JPEG" not in err and "libpng" not in err


def test_a_webcams_jpeg_pictures_are_decoded_without_libjpeg_s_lines_on_the_terminal(tmp_path, caplog, capfd,
                                                                                       monkeypatch):
    """Some webcams (Logitech's C270) send MJPG pictures with stray bytes between their parts, and libjpeg wrote
    'Corrupt JPEG data: 2 extraneous bytes before marker 0xdb' at each, 30 lines a second over the run's own. No
    webcam here: an MJPG file with the stray bytes of such a webcam stands in (`webcam_pictures`), one of its
    pictures ending early, as a picture cut short."""
    path = webcam_pictures(tmp_path / "webcam.avi", monkeypatch, damaged=4)
    with caplog.at_level(logging.DEBUG, logger="live"), CaptureSource(str(path), "camera") as camera:
        frames = [camera.read() for _ in range(6)]
    assert all(frame is not None and frame.shape == (120, 160, 3) for frame in frames)
    err = capfd.readouterr().err
    assert "JPEG" not in err, err
    said = [record.getMessage() for record in caplog.records if record.levelno >= logging.INFO]
    stray = [line for line in said if "stray bytes" in line]
    assert stray == [f"camera {path} sends JPEG pictures with stray bytes between their parts, as some webcams do, and "
                     "libjpeg says so at every picture (Corrupt JPEG data: 2 extraneous bytes before marker 0xdb): "
                     "the pictures are whole, and its lines are kept off the terminal (--debug shows them)"]
    damaged = [line for line in said if "damaged data" in line]
    assert len(damaged) == 1 and "libjpeg says: Corrupt JPEG data: premature end of data segment" in damaged[0], said
    assert said.index(stray[0]) == said.index(f"opened camera {path}: 160x120 at 30.0 fps") + 1  # once it is named
    assert caplog.text.count("the image decoder said: Corrupt JPEG data") == 6  # each picture's, with --debug
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="live"):
        assert [spec for spec, *_ in list_cameras([str(path)])] == [str(path)]
    assert caplog.text == "" and "JPEG" not in capfd.readouterr().err  # --list-cameras lists, and says no more


def test_a_webcams_jpeg_picture_does_not_wait_for_tensorflow_s_import(tmp_path, monkeypatch):
    """The loading window shows the camera while TensorFlow imports, which sends stderr to /dev/null for seconds:
    a camera's JPEG picture is decoded meanwhile rather than wait to collect libjpeg's lines."""
    import threading

    from live.stderr import redirected

    path = webcam_pictures(tmp_path / "webcam.avi", monkeypatch)
    frames = []
    with CaptureSource(str(path), "camera") as camera, open(os.devnull, "w") as devnull, redirected(devnull):
        reader = threading.Thread(target=lambda: frames.extend(camera.read() for _ in range(3)))
        reader.start()
        reader.join(10)
        assert not reader.is_alive() and len(frames) == 3 and all(frame is not None for frame in frames)


def webcam_pictures(path: Path, monkeypatch, damaged: int | None = None) -> Path:
    """Six MJPG pictures as some webcams send them, with two stray bytes between their parts (the JFIF segment
    said two bytes shorter than it is), but the one numbered `damaged`, which ends early instead, as a picture cut
    short on its way (libjpeg says one thing a picture). A camera source opens the file through OpenCV's own
    MJPEG reader, which decodes each picture in `retrieve` with `imdecode`, as the V4L2 backend does a webcam's."""
    monkeypatch.setattr(CaptureSource, "_new_capture", lambda self: cv2.VideoCapture(self.spec, cv2.CAP_OPENCV_MJPEG))
    writer = cv2.VideoWriter(str(path), cv2.CAP_OPENCV_MJPEG, cv2.VideoWriter_fourcc(*"MJPG"), 30, (160, 120))
    for frame in moving_frames(6, 120, 160):
        writer.write(frame)
    writer.release()
    data, at, starts = bytearray(path.read_bytes()), 0, []
    while (at := data.find(b"\xff\xd8\xff\xe0", at)) >= 0:
        starts.append(at)
        at += 4
    assert len(starts) == 6
    for number, start in enumerate(starts):
        if number == damaged:
            scan = data.find(b"\xff\xda", start)
            data[scan + 40:scan + 42] = b"\xff\xd9"
        else:
            data[start + 4:start + 6] = (int.from_bytes(data[start + 4:start + 6], "big") - 2).to_bytes(2, "big")
    path.write_bytes(bytes(data))
    return path


def test_a_quoted_pattern_plays_the_images_it_matches(tmp_path):
    folder = write_photos(tmp_path / "shots", [("a.png", (20, 20)), ("b.jpg", (20, 20)), ("c.png", (20, 20))])
    with open_source(str(folder / "*.png")) as source:
        assert source.kind == "slideshow" and [Path(path).name for path in source.paths] == ["a.png", "c.png"]
        assert source.hold == 90  # 3 s at 30 fps, unless --seconds-per-image says otherwise
        source.each_image_once()  # mosaics saved from it: one for each image
        assert len([source.read() for _ in range(2)]) == 2 and source.read() is None
    with pytest.raises(SourceError, match="matches no image that OpenCV can read"):
        open_source(str(folder / "*.gif"))


def test_a_sound_file_is_called_one(tmp_path):
    """A talk's sound track picked for its video was "not a video or image that OpenCV can read"."""
    import wave

    with wave.open(str(tmp_path / "talk.wav"), "wb") as sound:  # a real WAV: one second of a 440 Hz tone
        sound.setnchannels(1), sound.setsampwidth(2), sound.setframerate(8000)
        sound.writeframes((np.sin(np.arange(8000) * 2 * np.pi * 440 / 8000) * 8000).astype("<i2").tobytes())
    with pytest.raises(SourceError, match="talk.wav' is a sound file, with no pictures to show: give a video or an "
                                          "image$"):
        open_source(str(tmp_path / "talk.wav"))


def test_heic_photos_in_a_slideshow_are_named_not_silently_left_out(tmp_path, caplog):
    """An iPhone saves HEIC, which OpenCV cannot read: a folder of them said only that it held no image, and among
    JPEGs they went missing without a word."""
    folder = write_photos(tmp_path / "trip", [("IMG_0001.png", (20, 20))])
    for name in ("IMG_0002.HEIC", "IMG_0003.heic"):
        (folder / name).write_bytes(b"\x00\x00\x00\x18ftypheic" + bytes(64))  # an HEIC file's first bytes
    with caplog.at_level(logging.WARNING), open_source(str(folder)) as source:
        assert len(source.paths) == 1
    said = "leaving out 2 HEIC photos (an iPhone's format), which OpenCV cannot read: convert them to JPEG"
    assert said in caplog.text
    (folder / "IMG_0001.png").unlink()
    with pytest.raises(SourceError, match="holds 2 HEIC photos .* convert them to JPEG or PNG first"):
        open_source(str(folder))


def test_a_folder_of_videos_names_one_to_play(tmp_path, caplog):
    """Among photos, too: a presenter's folder of photos and clips showed the photos, the clips left out unsaid."""
    (tmp_path / "clips").mkdir()
    write_video(tmp_path / "clips" / "talk.avi", moving_frames(3, 32, 32))
    with pytest.raises(SourceError, match="is a folder without an image .*a video plays on its own: --source "
                                          "'.*talk.avi'"):
        open_source(str(tmp_path / "clips"))
    write_video(tmp_path / "clips" / "demo.avi", moving_frames(3, 32, 32))
    write_photos(tmp_path / "clips", [("slide.png", (20, 20))])
    with caplog.at_level(logging.WARNING), open_source(str(tmp_path / "clips")) as source:
        assert [Path(path).name for path in source.paths] == ["slide.png"]
    assert (f"leaving out 2 videos, which a slideshow does not play; a video plays on its own: --source "
            f"'{tmp_path / 'clips' / 'demo.avi'}'") in caplog.text


def test_a_dataset_of_class_folders_is_played_with_a_recursive_pattern(tmp_path):
    """An engineer's test set is often a folder of class folders; the folder alone says how to reach their images,
    and that pattern plays them, folder by folder."""
    write_photos(tmp_path / "data" / "cat", [("1.png", (20, 20)), ("2.png", (20, 20))])
    write_photos(tmp_path / "data" / "dog", [("1.png", (20, 20))])
    pattern = str(tmp_path / "data" / "**" / "*")
    said = f"it holds 2 folders: for the images in them, --source '{pattern}'"
    with pytest.raises(SourceError, match=re.escape(said)):
        open_source(str(tmp_path / "data"))
    with open_source(pattern) as source:
        assert [str(Path(path).relative_to(tmp_path / "data")) for path in source.paths] == [
            "cat/1.png", "cat/2.png", "dog/1.png"]
        assert source.label(source.paths[2]) == "image 3/3: dog/1.png"  # its class, on screen


def test_seconds_per_image_is_for_a_slideshow_only(tmp_path):
    with pytest.raises(UsageError, match="--seconds-per-image is how long a slideshow .* but --source 'demo' is the "
                                         "built-in demo scene"):
        open_source("demo", seconds_per_image=2)
    with pytest.raises(UsageError, match="--seconds-per-image is for a slideshow"):
        open_source(None, seconds_per_image=2)


def test_a_video_file_steps_frame_by_frame_from_the_frame_on_screen(tmp_path):
    """Keys . and , on a frozen video: the frame after or before the one on screen (the capture thread may have
    read further), kept within the file; a camera cannot, and says what the keys are for."""
    frames = [np.full((32, 32, 3), 10 * i, np.uint8) for i in range(12)]
    with open_source(str(write_video(tmp_path / "ramp.avi", frames))) as source:
        shown = [source.read() for _ in range(5)]
        assert source.position == 4
        on_screen = Frame(2, shown[2], 0.0, position=2)
        assert source.step(1, on_screen) == "" and abs(int(source.read()[0, 0, 0]) - 30) <= 3
        assert source.position == 3
        source.step(-1, Frame(3, shown[3], 0.0, position=3))
        assert abs(int(source.read()[0, 0, 0]) - 20) <= 3 and source.position == 2
        source.step(-1, Frame(0, shown[0], 0.0, position=0))  # not before the first
        assert abs(int(source.read()[0, 0, 0]) - 0) <= 3 and source.position == 0
        source.step(5, Frame(11, shown[0], 0.0, position=11))  # nor past the last
        assert abs(int(source.read()[0, 0, 0]) - 110) <= 3 and source.position == 11 and source.read() is None
        assert source.rewind() and source.read() is not None and source.position == 0
    assert DemoSource().open().step(1, None).startswith(". and , step through a slideshow's images")
