"""Every kind of frame source behind one interface: camera, video file, still image, a folder of images (a
slideshow), stream URL and `demo`.

A source is a context manager; `read()` returns the next frame as 8-bit BGR (height, width, 3), or
None when there is none (end of a file, a camera that stopped delivering).
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import logging
import math
import os
import re
import threading
import time
from pathlib import Path

import cv2
import numpy as np

from live.devices import camera_candidates, camera_name, device_of, not_allowed, permission_advice
from live.errors import SourceError, UsageError
from live.files import CUT_SHORT, cut_short, why_unreadable
from live.images import CameraPictures, fit_still, read_image, to_bgr8
from live.stderr import decoder_lines
from live.urls import why_not_opened, without_secrets
from live.wording import counted

cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
log = logging.getLogger(__name__)

STREAM_TIMEOUT_MS = 5000
DEFAULT_FPS = 30.0
DEMO_HW = (480, 640)  # (height, width) of the demo scene's pictures, a webcam's usual size
CLOSE_WAIT_S = 2.0  # how long closing waits for a frame that another thread is reading
SNAPSHOT_CHECKS_S = (0.0, 0.5)  # an image behind a URL is asked for again after these pauses: a camera's changes
SNAPSHOT_MAX_FPS = 30.0  # a camera's snapshot URL is asked for a new picture at most this often
SLIDE_SECONDS = 3.0  # how long a slideshow holds each image, unless --seconds-per-image says otherwise
PATTERN_CHARS = "*?["  # a --source with these that names no file is a pattern of image files: 'photos/*.jpg'
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v")  # named where a folder holds videos, not images
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pbm", ".pnm")
AUDIO_SUFFIXES = (".mp3", ".wav", ".m4a", ".aac", ".flac", ".ogg", ".oga", ".opus", ".wma", ".aiff", ".aif")
HEIC_SUFFIXES = (".heic", ".heif")  # an iPhone's photos, unless set to "Most Compatible": OpenCV reads none
HEIC_CONVERT = "JPEG or PNG first (on a Mac, Preview's File > Export; on Linux, heif-convert)"


def not_an_image(path: str, guess: str) -> str:
    """Why the file at `path`, named as an image, could not be read: what its bytes say, else the `guess`."""
    why = why_unreadable(path)
    return f"'{path}' {why}" if why else f"'{path}' could not be read as an image {guess}"


class FrameSource:
    """Base of all sources: a name for messages, a nominal frame rate, and whether it is a live device."""

    kind = "source"
    live = False  # a camera or stream: never paced by us, retried when it stops
    mirror_by_default = False
    loops_by_default = False  # an animated GIF plays over and over, as it does everywhere else
    opened = False
    origin: str | None = None  # the file the last frame read came from, where a source has several (a slideshow)
    position: int | None = None  # the last frame's number in a video file, from 0
    picture_hw: tuple[int, int] | None = None  # (height, width) of its first picture, once open

    STEPS = ". and , step through a slideshow's images, and a frozen video file's frames"

    def __init__(self, spec: str):
        self.spec = spec
        self.shown = without_secrets(spec)  # the name in messages, on screen too, where a projector shows it
        self.fps = DEFAULT_FPS

    def open(self) -> "FrameSource":
        self.opened = True
        return self

    def read(self) -> np.ndarray | None:
        raise NotImplementedError

    def preview(self) -> np.ndarray | None:
        """A picture for the window while the model loads, taken without using up any of the run's frames (None
        where there is none)."""
        return None

    def close(self) -> None:
        self.opened = False

    def rewind(self) -> bool:
        """Start again from the first frame; False where that means nothing (cameras, streams)."""
        return False

    def label(self, origin: str | None) -> str:
        """A line for the window naming the file a frame came from (its `origin`), where the source has several
        (a slideshow); else ''."""
        return ""

    def step(self, delta: int, shown) -> str:
        """Keys . and ,: go `delta` frames or images on (back, if negative) from `shown`, the frame on screen (the
        last one read may be further on); the next read gives it. Returns '' or, where a source cannot, why not."""
        return self.STEPS

    def mirrors(self, asked: bool | None) -> bool:
        """Whether its pictures are shown mirrored: as --mirror asks, else a camera's (a mirror's view of oneself)."""
        return self.mirror_by_default if asked is None else asked

    def loops(self, asked: bool) -> bool:
        """Whether it starts over at its end: when asked to (--loop), and an animated GIF always."""
        return asked or self.loops_by_default

    def __enter__(self) -> "FrameSource":
        """Open, unless it is open already: a camera opened twice may refuse the second handle while the
        first one streams (the Linux UVC driver answers EBUSY)."""
        return self if self.opened else self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    def __str__(self) -> str:
        return f"{self.kind} {self.shown}"


class CaptureSource(FrameSource):
    """A `cv2.VideoCapture`: camera index or device, video file, or stream URL."""

    def __init__(self, spec: str, kind: str, size_hw: tuple[int, int] | None = None):
        super().__init__(spec)
        self.kind = kind
        self.size_hw = size_hw if kind == "camera" else None  # (height, width) to ask a camera for
        self.live = kind in ("camera", "stream")
        self.mirror_by_default = kind == "camera"
        self.loops_by_default = kind == "video" and Path(spec).suffix.lower() == ".gif"
        self._capture = None
        self._pending: list[np.ndarray] = []  # frames read while opening, handed out first
        self._still: np.ndarray | None = None  # an image file behind a URL: its one frame, held
        self._snapshots = False  # a camera's snapshot URL: a new picture at each request, asked for at each read
        self._next_fetch = 0.0
        self._reading = threading.Lock()  # held while a frame is read: the capture is never released under it
        self._left_busy = False  # closing found a read stuck in progress and left the capture alone
        self.position = None  # a video file's frames are counted: the keys . and , step from the one on screen
        self._opened_before = False
        self._pictures = CameraPictures(str(self)) if kind == "camera" else None
        self._decodes_jpeg = False  # a camera sending JPEG pictures (MJPG): decoded apart from the wait for them

    def _new_capture(self):
        if self.kind == "camera":
            target = int(self.spec) if self.spec.isdigit() else self.spec
            return cv2.VideoCapture(target)
        if self.kind == "stream":
            params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, STREAM_TIMEOUT_MS,
                      cv2.CAP_PROP_READ_TIMEOUT_MSEC, STREAM_TIMEOUT_MS]
            return cv2.VideoCapture(self.spec, cv2.CAP_FFMPEG, params)
        with decoder_lines(wait=False) as said:  # OpenCV's own AVI reader, tried after FFmpeg, writes to stderr
            capture = cv2.VideoCapture(self.spec)
        if said:
            log.debug("'%s': OpenCV's reader said: %s", self.spec, "; ".join(said))
        return capture

    def open(self) -> "CaptureSource":
        """Open and read the first frame now, so that a dead camera or a broken file fails at once."""
        self.close()  # never two handles on one device
        began = time.monotonic()
        self._capture = self._new_capture()
        if not self._capture.isOpened():
            self.close()
            raise SourceError(self._open_failure(time.monotonic() - began))
        if self.size_hw is not None:
            self._ask_size()
        self._decodes_jpeg = self._pictures is not None and self._codec().upper() in ("MJPG", "JPEG")
        ok, frame = self._read_capture()
        first = to_bgr8(frame) if ok else None
        if first is None:
            codec = self._codec()
            self.close()
            if self.kind == "video" and Path(self.spec).suffix.lower() in IMAGE_SUFFIXES:
                # OpenCV's reader of numbered images opens any such name; only its read fails
                raise SourceError(not_an_image(self.spec, "(is it truncated or corrupt, or another kind of file "
                                                          "with an image's name?)"))
            why = why_unreadable(self.spec) if self.kind == "video" and codec.upper() != "AV01" else None
            raise SourceError(f"'{self.spec}' {why}" if why else f"{self} opened but gave no frame" +
                              self._why_no_frame(codec))
        self._pending = [first]
        self.picture_hw = first.shape[:2]
        self.position = -1 if self.kind == "video" else None  # the first read gives frame 0
        fps = self._capture.get(cv2.CAP_PROP_FPS)
        self.fps = fps if math.isfinite(fps) and 1 <= fps <= 240 else DEFAULT_FPS
        said = self._tell_url_apart(first) if self.kind == "stream" else None
        height, width = first.shape[:2]
        log.log(logging.DEBUG if self._opened_before else logging.INFO,  # opened again: "back" says so
                "opened %s: %dx%d%s", self, width, height, f" at {self.fps:.1f} fps" if said is None else said)
        if self._decodes_jpeg:
            self._pictures.tell()
        if self.kind == "video" and not self._opened_before and cut_short(self.spec):
            log.warning("'%s' %s, so it plays only up to where the file stops", self.spec, CUT_SHORT)
        self._opened_before = True
        if self.size_hw is not None and self.size_hw != (height, width):
            log.warning("%s gives %dx%d pictures, not the %dx%d asked for with --camera-size (the size it gives is "
                        "its nearest, or the only one it has)", self, width, height, self.size_hw[1], self.size_hw[0])
        return super().open()

    def _codec(self) -> str:
        """The four letters of the codec FFmpeg found ('AV01', 'h264'), or '' where there is none to tell."""
        code = int(self._capture.get(cv2.CAP_PROP_FOURCC)) if self._capture is not None else 0
        letters = code.to_bytes(4, "little").decode("ascii", "replace") if 0 < code < 2**32 else ""
        return letters if letters.isprintable() and letters.strip() else ""

    def _why_no_frame(self, codec: str) -> str:
        """The end of the sentence for a file or stream that opens but gives no frame. AV1 is the usual reason
        for a good file: the FFmpeg inside opencv-python has no AV1 decoder (only a hardware one, rarely there),
        and phones, browsers and video sites now save AV1."""
        if codec.upper() == "AV01":
            path = Path(self.spec)
            target = path.with_name(f"{path.stem}_h264.mp4") if self.kind == "video" else "out.mp4"
            return (f": it is AV1 video, which OpenCV cannot decode here; convert it to H.264, for example with "
                    f"ffmpeg -i '{self.shown}' -c:v libx264 -crf 18 '{target}'")
        return " (is the file truncated or corrupt?)" if self.kind == "video" else ""

    def _tell_url_apart(self, first: np.ndarray) -> str | None:
        """What a URL serves, told apart once open; returns what the opening line says in place of the frame rate
        ("" for nothing), or None to give the rate. A video file plays at its own rate to its end (FFmpeg counts
        its frames; a live MJPEG stream gets -2**63, RTSP 0). A URL that gives one picture and ends is an image,
        held, or, where asking again gives another picture, a camera's snapshot URL (`snapshot.cgi`,
        `shot.jpg`), asked for a new picture at each read. Before, an image was known by the URL's suffix alone:
        a camera's `shot.jpg` stayed still, and a `snapshot.cgi` was a stream lost and back three times a second."""
        self._snapshots = False
        count = self._capture.get(cv2.CAP_PROP_FRAME_COUNT)
        if math.isfinite(count) and 2 <= count < 2**31:
            self.kind, self.live = "video", False
            return None
        ok, frame = self._capture.read()
        second = to_bgr8(frame) if ok else None
        if second is not None:  # a live stream
            self._pending.append(second)
            return None
        self._capture.release()  # one picture, and the end: the connection is not needed any more
        if self._changes(first):
            self._snapshots, self.fps = True, SNAPSHOT_MAX_FPS
            return (f", a new picture at each request (a camera's snapshots): asked for up to "
                    f"{SNAPSHOT_MAX_FPS:.0f} times a second")
        self.kind, self.live = "image", False
        self._still, self.fps, self._pending = fit_still(first, self.spec), DEFAULT_FPS, []
        return ""

    def _changes(self, first: np.ndarray) -> bool:
        """Whether the URL gives another picture when asked again (a camera's snapshot), or the same (an image)."""
        for pause in SNAPSHOT_CHECKS_S:
            time.sleep(pause)
            again = self._fetch()
            if again is not None and (again.shape != first.shape or not np.array_equal(again, first)):
                self._pending.append(again)
                return True
        return False

    def _fetch(self) -> np.ndarray | None:
        """One picture from a snapshot URL, through a connection of its own, or None."""
        capture = self._new_capture()
        try:
            ok, frame = capture.read() if capture.isOpened() else (False, None)
            return to_bgr8(frame) if ok else None
        finally:
            capture.release()

    def _ask_size(self) -> None:
        """Ask the camera for frames of `size_hw`, in MJPG first: most USB webcams give 720p or 1080p only a few
        times a second uncompressed. A camera that cannot keeps its own format and picks its nearest size;
        the first frame says which."""
        height, width = self.size_hw
        self._capture.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG"))
        self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)

    def _open_failure(self, seconds: float) -> str:
        if self.kind == "camera":
            denied = not_allowed([device_of(self.spec)])
            if denied:
                return f"camera {self.shown} could not be opened: {permission_advice(denied)}"
            return f"camera {self.shown} could not be opened (is it connected, and not used by another program?)"
        if self.kind == "stream":
            if seconds >= 0.9 * STREAM_TIMEOUT_MS / 1000:
                return f"stream {self.shown} did not answer within {STREAM_TIMEOUT_MS // 1000} s"
            return why_not_opened(self.spec)
        why = why_unreadable(self.spec)
        if why is not None:
            return f"'{self.spec}' {why}"
        if Path(self.spec).suffix.lower() in HEIC_SUFFIXES:
            return (f"'{self.spec}' is an HEIC photo (an iPhone's format), which OpenCV cannot read: convert it to "
                    f"{HEIC_CONVERT}")
        if Path(self.spec).suffix.lower() in AUDIO_SUFFIXES:  # the talk's sound track, picked for its video
            return f"'{self.spec}' is a sound file, with no pictures to show: give a video or an image"
        return f"'{self.spec}' is not a video or image that OpenCV can read"

    def read(self) -> np.ndarray | None:
        if self._still is not None:
            return self._still
        if self._pending:
            self._count_frame()
            return self._pending.pop(0)
        if self._snapshots:
            time.sleep(max(0.0, self._next_fetch - time.monotonic()))
            self._next_fetch = time.monotonic() + 1 / SNAPSHOT_MAX_FPS
            with self._reading:  # as a camera's read: closing waits for it, or leaves it
                return self._fetch()
        with self._reading:
            if self._capture is None:
                return None
            ok, frame = self._read_capture()
            if ok:
                self._count_frame()
        if self._decodes_jpeg:
            self._pictures.tell()
        return to_bgr8(frame) if ok else None

    def _read_capture(self) -> tuple[bool, np.ndarray | None]:
        """The capture's next frame; a camera's JPEG pictures with libjpeg's lines about them kept off the
        terminal (CameraPictures), the wait for the picture outside of that."""
        if not self._decodes_jpeg:
            return self._capture.read()
        if not self._capture.grab():
            return False, None
        return self._pictures.retrieve(self._capture)

    def preview(self) -> np.ndarray | None:
        """A camera's or stream's next frame (the presenter sees the picture and takes their place meanwhile); a
        video file's first frame, read when it opened and still the run's."""
        if self.live:
            return self.read()
        return self._pending[0] if self._pending else None

    def _count_frame(self) -> None:
        if self.position is not None:
            self.position += 1

    def rewind(self) -> bool:
        if self._still is not None:
            return True
        if self.kind != "video" or self._capture is None:
            return False
        self.position = -1
        return bool(self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0))

    def step(self, delta: int, shown) -> str:
        """A video file, frame by frame: seek to the frame `delta` from the one on screen (OpenCV decodes from the
        key frame before it), kept within the file."""
        if self.kind != "video" or self._capture is None or shown is None or shown.position is None:
            return self.STEPS
        count = self._capture.get(cv2.CAP_PROP_FRAME_COUNT)
        last = int(count) - 1 if math.isfinite(count) and count >= 1 else shown.position + max(delta, 0)
        target = min(max(shown.position + delta, 0), last)
        with self._reading:
            self._pending = []
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, target)
            self.position = target - 1
        return ""

    def reconnect(self) -> bool:
        """Close and open again (a camera that was unplugged, a stream that dropped); True when it works."""
        self.close()
        try:
            self.open()
            return True
        except SourceError:
            return False

    def close(self) -> None:
        """Release the device; if another thread is stuck reading from it (a camera pulled out mid-frame), leave
        it to the end of the program rather than release it under that read, which can crash OpenCV."""
        self.opened = False
        if not self._reading.acquire(timeout=0 if self._left_busy else CLOSE_WAIT_S):
            if not self._left_busy:  # said once; closing again (leaving the `with`) does not wait again
                log.warning("%s is still busy reading a frame after %.0f s; it is released when the program ends",
                            self, CLOSE_WAIT_S)
            self._left_busy = True
            return
        self._left_busy = False
        try:
            if self._capture is not None:
                self._capture.release()
                self._capture = None
        finally:
            self._reading.release()


class ImageSource(FrameSource):
    """A still image, repeated as a stream so the feature maps stay on screen."""

    kind = "image"

    def open(self) -> "ImageSource":
        self._image = read_image(self.spec)
        if self._image is None:
            raise SourceError(not_an_image(self.spec, "(is it truncated or corrupt?)"))
        self.picture_hw = self._image.shape[:2]
        return super().open()

    def read(self) -> np.ndarray | None:
        return self._image

    preview = read

    def rewind(self) -> bool:
        return True


class SlideshowSource(FrameSource):
    """The images of a folder, or of a pattern ('photos/*.jpg'), in name order (img2 before img10), each held for
    `seconds` as a video of stills at DEFAULT_FPS: keys act at once, space holds an image, and it ends, loops
    (--loop) and records as a video file does. An image that cannot be read is skipped with a warning."""

    kind = "slideshow"

    def __init__(self, spec: str, seconds: float = SLIDE_SECONDS):
        super().__init__(spec)
        self.seconds = seconds
        self.hold = max(1, round(seconds * self.fps))  # frames each image is read for
        self.paths: list[str] = []
        self._numbers: dict[str, int] = {}  # path → its place in the show, from 1
        self._position = -1  # the image now read, an index into paths
        self._image: np.ndarray | None = None
        self._left = 0  # reads left for that image
        self._lock = threading.Lock()  # the capture thread reads; the main thread steps (keys . and ,)
        fixed = itertools.takewhile(lambda part: not any(char in part for char in PATTERN_CHARS), Path(spec).parts)
        self._fixed = Path(*fixed)  # the folder, or a pattern's folders before its first wildcard: names start there

    def open(self) -> "SlideshowSource":
        files = slideshow_files(self.spec)
        self._set_paths(sorted((path for path in files if cv2.haveImageReader(path)), key=_natural_order))
        heic = [path for path in files if Path(path).suffix.lower() in HEIC_SUFFIXES]
        if heic:  # left out, or nothing to show at all
            said = (f"{counted(len(heic), 'HEIC photo')} (an iPhone's format), which OpenCV cannot read: convert "
                    f"{'it' if len(heic) == 1 else 'them'} to {HEIC_CONVERT}")
            if not self.paths:
                raise SourceError(f"source '{self.spec}' holds {said}")
            log.warning("%s: leaving out %s", self, said)
        videos = sorted((path for path in files if Path(path).suffix.lower() in VIDEO_SUFFIXES), key=_natural_order)
        if not self.paths:
            raise SourceError(self._nothing_to_show(videos))
        if videos:  # a presenter's folder of photos and clips: the clips went missing without a word
            log.warning("%s: leaving out %s, which a slideshow does not play; a video plays on its own: --source "
                        "'%s'", self, counted(len(videos), "video"), videos[0])
        self.rewind()
        if not self._next_image():
            raise SourceError(f"source '{self.spec}': none of its images could be read (are they truncated or "
                              f"corrupt?)")
        self._left = self.hold
        self.picture_hw = self._image.shape[:2]
        log.info("opened %s: %s, each for %s s (space holds one, . and , step through them; --seconds-per-image "
                 "changes it)", self, counted(len(self.paths), "image"), f"{self.seconds:g}")
        return super().open()

    def _set_paths(self, paths: list[str]) -> None:
        self.paths = paths
        self._numbers = {path: number for number, path in enumerate(paths, 1)}

    def _nothing_to_show(self, videos: list[str]) -> str:
        """Why a slideshow has no image; `videos` are the files of the folder or pattern that are videos."""
        if not Path(self.spec).is_dir():
            return f"source '{self.spec}' matches no image that OpenCV can read"
        entries = sorted(path for path in Path(self.spec).iterdir() if not path.name.startswith("."))
        files = [path for path in entries if path.is_file()]
        folders = [path for path in entries if path.is_dir()]
        said = (f"source '{self.spec}' is a folder without an image that OpenCV can read (a folder plays its images "
                f"as a slideshow)")
        if videos:
            return f"{said}; a video plays on its own: --source '{videos[0]}'"
        if folders:  # a dataset's folder of classes, say
            return (f"{said}; it holds {counted(len(folders), 'folder')}: for the images in them, --source "
                    f"'{Path(self.spec) / '**' / '*'}' (in quotes)")
        return f"{said}; it holds {counted(len(files), 'other file')}"

    def _next_image(self) -> bool:
        """Move to the next image that can be read; False at the end."""
        while self._position + 1 < len(self.paths):
            self._position += 1
            path = self.paths[self._position]
            image = read_image(path)
            if image is not None:
                self._image = image
                return True
            why = why_unreadable(path) or "could not be read as an image"
            log.warning("%s: skipping '%s', which %s", self, path, why)
            self._set_paths(self.paths[:self._position] + self.paths[self._position + 1:])  # nor tried at the next loop
            self._position -= 1
        return False

    def preview(self) -> np.ndarray | None:
        """The image shown first, read when the show opened."""
        return self._image

    def read(self) -> np.ndarray | None:
        with self._lock:
            if self._left == 0:
                if not self._next_image():
                    return None
                self._left = self.hold
            self._left -= 1
            self.origin = self.paths[self._position]
            return self._image

    def step(self, delta: int, shown) -> str:
        """Round from the last image to the first; the image stepped to is held for its whole time."""
        origin = shown.origin if shown is not None else None
        with self._lock:
            if self.paths:
                position = self._numbers[origin] - 1 if origin in self._numbers else self._position
                self._position = (position + delta) % len(self.paths) - 1
                self._left = 0
        return ""

    def rewind(self) -> bool:
        with self._lock:
            self._position, self._left = -1, 0
            return bool(self.paths)  # images deleted while it ran: none is left to start over with

    def each_image_once(self) -> None:
        """One frame for each image (mosaics saved from a slideshow: one for each image, not one for each frame)."""
        self.hold = 1
        self._left = min(self._left, 1)

    def label(self, origin: str | None) -> str:
        """`image 3/12: cat.jpg`; from a pattern over folders ('data/**/*'), with the folders under its fixed part
        (`image 3/12: cat/0042.jpg`): a dataset's class."""
        number = self._numbers.get(origin)
        if not number:
            return ""
        try:
            name = str(Path(origin).relative_to(self._fixed))
        except ValueError:
            name = Path(origin).name
        return f"image {number}/{len(self.paths)}: {name}"


def _natural_order(path: str) -> list:
    """Sort key for file names as a person counts: img2 before img10."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part.lower()) for part in re.split(r"(\d+)", path)]


def slideshow_files(spec: str) -> list[str]:
    """The files of a folder, or those a pattern matches ('photos/*.jpg', or 'dataset/**/*' for those of its
    folders and theirs), but hidden ones (`.DS_Store`). Which are images, OpenCV judges by their first bytes
    (cv2.haveImageReader), leaving out a video or a text file."""
    folder = Path(spec)
    candidates = [str(path) for path in folder.iterdir()] if folder.is_dir() else glob.glob(spec, recursive=True)
    return [path for path in candidates if not Path(path).name.startswith(".") and os.path.isfile(path)]


def _demo_photo() -> np.ndarray:
    """Grace Hopper's portrait from matplotlib's sample data, or a synthetic texture if it is missing."""
    import importlib.util

    spec = importlib.util.find_spec("matplotlib")
    if spec is not None and spec.origin:
        path = Path(spec.origin).parent / "mpl-data" / "sample_data" / "grace_hopper.jpg"
        image = cv2.imread(str(path))
        if image is not None:
            return image
    y, x = np.mgrid[0:512, 0:512].astype(np.float32)
    texture = np.stack([128 + 100 * np.sin(x / 17), 128 + 100 * np.sin(y / 23), 128 + 100 * np.sin((x + y) / 31)], -1)
    return texture.astype(np.uint8)


class DemoSource(FrameSource):
    """A built-in animated scene: slow pan and zoom over a photo plus moving shapes; frame n is always the same."""

    kind = "demo"

    def __init__(self, spec: str = "demo", height: int = DEMO_HW[0], width: int = DEMO_HW[1],
                 fps: float = DEFAULT_FPS):
        super().__init__(spec)
        self.height, self.width, self.fps = height, width, fps
        self.index = 0
        self._previewed = 0  # frames of the scene shown while the model loads: the run still starts at frame 0

    def open(self) -> "DemoSource":
        self._photo = _demo_photo()
        self.picture_hw = (self.height, self.width)
        return super().open()

    def frame_at(self, index: int) -> np.ndarray:
        """The scene at frame `index`, computed from the index alone."""
        t = index / self.fps
        photo_h, photo_w = self._photo.shape[:2]
        # A window of the photo that drifts and breathes, scaled to the frame: a slow pan and zoom.
        zoom = 1.15 + 0.12 * math.sin(t * 0.45)  # never below 1: the view stays inside the photo
        view_w = min(photo_w, photo_h * self.width / self.height) / zoom
        view_h = view_w * self.height / self.width
        center_x = photo_w / 2 + (photo_w - view_w) / 2 * math.sin(t * 0.31)
        center_y = photo_h / 2.4 + (photo_h - view_h) / 3 * math.sin(t * 0.23 + 1.0)
        left = int(min(max(center_x - view_w / 2, 0), photo_w - view_w))
        top = int(min(max(center_y - view_h / 2, 0), photo_h - view_h))
        view = self._photo[top:top + int(view_h), left:left + int(view_w)]
        frame = cv2.resize(view, (self.width, self.height), interpolation=cv2.INTER_LINEAR)
        ball = (int(self.width * (0.5 + 0.38 * math.sin(t * 1.3))), int(self.height * (0.5 + 0.35 * math.sin(t * 0.9))))
        cv2.circle(frame, ball, self.height // 12, (40, 200, 255), -1, cv2.LINE_AA)
        box = ((self.width * 0.78, self.height * 0.25), (self.height / 5, self.height / 9), math.degrees(t) * 40)
        cv2.fillPoly(frame, [cv2.boxPoints(box).astype(np.int32)], (220, 80, 40), cv2.LINE_AA)
        for i in range(6):  # stripes sliding along the bottom: strong oriented edges
            x0 = int((t * 60 + i * 40) % (self.width + 40)) - 40
            cv2.rectangle(frame, (x0, self.height - 36), (x0 + 18, self.height - 8), (255, 255, 255), -1)
        return frame

    def read(self) -> np.ndarray | None:
        frame = self.frame_at(self.index)
        self.index += 1
        return frame

    def preview(self) -> np.ndarray | None:
        self._previewed += 1
        return self.frame_at(self._previewed - 1)

    def rewind(self) -> bool:
        self.index = 0
        return True


def describe_kind(spec: str) -> str:
    """Which kind of source a `--source` value names: camera, stream, demo, image or video."""
    if spec == "demo":
        return "demo"
    if not spec.strip():
        raise SourceError("--source is empty: give a camera index, 'demo', a stream URL or a file")
    if spec.isdigit() or spec.startswith("/dev/"):
        return "camera"
    if "://" in spec:
        from urllib.parse import urlsplit

        try:
            urlsplit(spec).port  # a host or port that cannot be read raises here
        except ValueError as exc:
            raise SourceError(f"source '{without_secrets(spec)}' is not a URL that can be read ({exc})") from None
        return "stream"
    path = Path(spec)
    if not path.exists():
        if any(char in spec for char in PATTERN_CHARS):
            return "slideshow"  # a pattern of image files ('photos/*.jpg'), quoted so that the shell left it
        raise SourceError(f"source '{spec}' is not a camera index, 'demo', a stream URL or an existing file")
    if path.is_dir():
        return "slideshow"
    if not os.access(path, os.R_OK):
        raise SourceError(f"source '{spec}' cannot be read (permission denied)")
    if path.suffix.lower() == ".gif" and _frame_count(spec) > 1:
        return "video"  # an animated GIF plays (FFmpeg reads it frame by frame); imread would give its first frame
    return "image" if cv2.haveImageReader(spec) else "video"


def _frame_count(spec: str) -> int:
    try:
        return cv2.imcount(spec)
    except cv2.error:
        return 0


def list_cameras(candidates: list[str] | None = None) -> list[tuple[str, tuple[int, int], str, bool]]:
    """(spec, (height, width) of its first frame, name, whether that frame is gray) for each camera that opens
    and gives a frame.

    Each is opened and closed in turn; a video device that gives no picture (Linux lists a second,
    metadata-only device for many webcams) is left out. A gray picture is most often a laptop's infrared
    camera, whose name the kernel cuts short ("Integrated Camera: Integrated I").
    """
    found = []
    quiet = [logging.getLogger(name) for name in (__name__, "live.images")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.WARNING)  # no "opened camera" line for each, nor the line about its JPEG pictures
    try:
        for spec in camera_candidates() if candidates is None else candidates:
            source = CaptureSource(spec, "camera")
            try:
                with source.open():
                    frame = source.read()
            except SourceError:
                continue
            if frame is not None:
                found.append((spec, frame.shape[:2], camera_name(spec), is_gray(frame)))
    finally:
        for logger, level in zip(quiet, levels):
            logger.setLevel(level)
    return found


def _cameras_here(but: str) -> str:
    """The cameras that open, for the sentence about one that does not (the device `but`): `--source 1` on a laptop
    whose webcam is /dev/video2 gets the name to use instead of a guess."""
    cameras = [f"{spec} ({name})" if name else spec for spec, _, name, _ in list_cameras()]
    if not cameras:
        return f"no camera opens here{cameras_not_allowed(but)} (--source demo plays the built-in scene)"
    return f"{'the camera that opens' if len(cameras) == 1 else 'the cameras that open'} here: {', '.join(cameras)}"


def cameras_not_allowed(but: str = "") -> str:
    """Where video devices are there that this user may not open (`but` one named already): why, and what lets them
    in, to end a sentence about cameras that did not open; else ''."""
    denied = [device for device in not_allowed(camera_candidates()) if device != but]
    return f"; {permission_advice(denied)}" if denied else ""


def is_gray(bgr: np.ndarray) -> bool:
    """Whether a picture has no colour (an infrared or monochrome camera's), within a JPEG's rounding."""
    sample = bgr[::4, ::4].astype(np.int16)
    return int((sample.max(axis=2) - sample.min(axis=2)).max()) <= 2


KIND_NAMES = {"video": "a video file", "image": "an image", "stream": "a stream", "demo": "the built-in demo scene",
              "slideshow": "a slideshow of images", "camera": "a camera"}


def make_source(spec: str, camera_size: tuple[int, int] | None = None,
                seconds_per_image: float | None = None) -> FrameSource:
    """An unopened source for a `--source` value; a camera is asked for `camera_size` (height, width), and a
    slideshow holds each image `seconds_per_image`; any other kind of source refuses these."""
    kind = describe_kind(spec)
    if camera_size is not None and kind != "camera":
        raise UsageError(f"--camera-size asks a camera for a picture size, but --source "
                         f"'{without_secrets(spec)}' is {KIND_NAMES[kind]}, which keeps its own size")
    if seconds_per_image is not None and kind != "slideshow":
        raise UsageError(f"--seconds-per-image is how long a slideshow (a folder of images, or a pattern such as "
                         f"'photos/*.jpg') holds each image, but --source '{without_secrets(spec)}' is "
                         f"{KIND_NAMES[kind]}")
    if kind == "demo":
        return DemoSource()
    if kind == "image":
        return ImageSource(spec)
    if kind == "slideshow":
        return SlideshowSource(spec, SLIDE_SECONDS if seconds_per_image is None else seconds_per_image)
    return CaptureSource(spec, kind, camera_size)


def open_source(spec: str | None, camera_size: tuple[int, int] | None = None,
                seconds_per_image: float | None = None) -> FrameSource:
    """Open `spec`; with no source named, camera 0, else the first other camera that gives colour pictures (a USB
    webcam on a laptop whose own camera is switched off is /dev/video2), else one that gives gray pictures (an
    infrared camera), else the demo scene."""
    if spec is not None:
        source = make_source(spec, camera_size, seconds_per_image)
        try:
            return source.open()
        except SourceError as exc:
            if source.kind != "camera":
                raise
            raise SourceError(f"{exc}; {_cameras_here(but=device_of(source.spec))}") from None
    if seconds_per_image is not None:
        raise UsageError("--seconds-per-image is for a slideshow: give --source a folder of images, or a pattern "
                         "such as 'photos/*.jpg'")
    try:
        return make_source("0", camera_size).open()
    except SourceError:
        pass
    # The others as --list-cameras finds them: a camera of colour pictures first, then one of gray pictures.
    others = list_cameras([spec for spec in camera_candidates() if spec not in ("0", "/dev/video0")])
    for spec, _, name, gray in sorted(others, key=lambda found: found[3]):
        with contextlib.suppress(SourceError):
            camera = CaptureSource(spec, "camera", camera_size).open()
            log.warning("camera 0 could not be opened; showing camera %s%s, the first other one that gives "
                        "pictures%s (--source chooses another, --list-cameras lists them)", spec,
                        f" ({name})" if name else "", "; its pictures are gray (an infrared camera?)" if gray else "")
            return camera
    log.warning("no camera could be opened (one in use by another program, a video call say, cannot be)%s; showing "
                "the built-in demo scene instead%s", cameras_not_allowed(),
                " (--camera-size is for cameras: the demo stays 640x480)" if camera_size else "")
    return DemoSource().open()
