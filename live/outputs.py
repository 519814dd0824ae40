"""What the user keeps: recordings of the window, snapshots, and saved mosaics, each written so none is lost."""

from __future__ import annotations

import contextlib
import errno
import itertools
import json
import logging
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import cv2
import numpy as np

try:
    import fcntl  # a larger pipe to the writing process, on Linux
except ImportError:  # Windows
    fcntl = None

from live import cut_off
from live.children import start_python
from live.errors import OutputError
from live.wording import counted

log = logging.getLogger(__name__)

RECORD_FPS = 30.0
MAX_CATCH_UP_SECONDS = 1.0  # a real-time recording further behind the clock than this moves the clock instead
MAX_WRITE_SECONDS = 0.1  # and it writes no more missing frames at once than its writer takes in this time
FINISH_SECONDS = 60.0  # the longest a program's end waits for its recording to be finished
BEHIND_SAID_SECONDS = 0.5  # frames left out, in the file's time, before a recording is said to fall behind
MP4_MAX_WIDTH = 8190  # OpenCV's MPEG-4 writer refuses frames 8192 pixels wide or more (measured)
DISK_RESERVE_BYTES = 64 * 1024 * 1024  # stop recording while this much is still free, so the file can be finished


def check_writable(path: Path, what: str) -> None:
    """Fail now, with a sentence, if `path` cannot be created later (missing or read-only folder)."""
    folder = path.parent if path.parent != Path("") else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{what} '{path}': the folder '{folder}' does not exist")
    _try_writing(folder, f"{what} '{path}'")


def check_folder(folder: Path, what: str) -> None:
    """Fail now, with a sentence, if `folder` cannot be made or written later: its nearest existing part is
    tried, since the folder itself is made only when something is saved."""
    existing = _existing_part(folder)
    if not existing.is_dir():
        raise OutputError(f"{what} '{folder}': '{existing}' is a file, not a folder")
    _try_writing(existing, f"{what} '{folder}'")


def _try_writing(folder: Path, subject: str) -> None:
    """Make and drop a nameless file in `folder`: permissions alone say nothing for root, nor about /proc."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:  # ENOENT: a folder such as /proc, where no file can be made
        reason = "" if exc.errno == errno.ENOENT else f" ({exc.strerror or exc})"
        raise OutputError(f"{subject}: the folder '{folder}' cannot be written{reason}") from None


def _free_bytes(folder: Path) -> int:
    """Bytes free for a user in `folder`'s file system (statvfs's f_bavail, on every system); 0 if unknown."""
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return 0


def _existing_part(path: Path) -> Path:
    """`path`, or the nearest folder above it that exists: what is there to be tried before it is made."""
    return next((part for part in (path, *path.parents) if part.exists()), Path("."))


def check_room(folder: Path, subject: str) -> None:
    """Fail now, with a sentence, where a recording into `folder` (made later, if need be) would stop at its first
    frame: a recording stops while DISK_RESERVE_BYTES are still free, so that its file can be finished."""
    free = _free_bytes(_existing_part(folder))
    if free < DISK_RESERVE_BYTES:
        raise OutputError(f"{subject}: its disk has {_megabytes(free)} free, and a recording stops while "
                          f"{_megabytes(DISK_RESERVE_BYTES)} are still free, so that its file can be finished")


def free_path(path: Path) -> Path:
    """`path`, or where a file of that name exists, the first free `<stem>_1<suffix>`, `<stem>_2<suffix>`, ...:
    what the user made in an earlier run is never written over."""
    path = Path(path)
    if not path.exists():
        return path
    return next(candidate for n in itertools.count(1)
                if not (candidate := path.with_name(f"{path.stem}_{n}{path.suffix}")).exists())


def letterbox(image: np.ndarray, size_hw: tuple[int, int]) -> np.ndarray:
    """`image` scaled to fit (height, width) `size_hw` without changing its shape, centred on black: a recording's
    frames keep one size while the window's changes (a slideshow's portrait photo after a landscape one)."""
    height, width = size_hw
    scale = min(height / image.shape[0], width / image.shape[1])
    fitted_hw = (min(height, max(1, round(image.shape[0] * scale))), min(width, max(1, round(image.shape[1] * scale))))
    if abs(fitted_hw[0] - height) <= 2 and abs(fitted_hw[1] - width) <= 2:  # the same shape, but for rounding
        return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    framed = np.zeros((height, width, 3), np.uint8)
    top, left = (height - fitted_hw[0]) // 2, (width - fitted_hw[1]) // 2
    framed[top:top + fitted_hw[0], left:left + fitted_hw[1]] = cv2.resize(image, fitted_hw[::-1],
                                                                            interpolation=cv2.INTER_AREA)
    return framed


def _file_size_hw(path: Path, size_hw: tuple[int, int]) -> tuple[int, int]:
    """The (height, width) a file is written at: the canvas's, scaled down with its aspect ratio to MP4's
    width limit where it is wider (a panorama beside its mosaic, say)."""
    height, width = size_hw
    if path.suffix.lower() != ".mp4" or width <= MP4_MAX_WIDTH:
        return size_hw
    return max(2, round(height * MP4_MAX_WIDTH / width)), MP4_MAX_WIDTH


def _plays(path: Path) -> bool:
    """Whether OpenCV reads a first frame from the video file at `path`."""
    capture = cv2.VideoCapture(str(path))
    try:
        return capture.isOpened() and capture.grab()
    finally:
        capture.release()


def _megabytes(count: int) -> str:
    """Bytes as whole megabytes, rounded down: 63.9 MB free is not said to be the 64 MB a recording keeps free."""
    return f"{count // 2**20} MB"


def _fourcc_for(path: Path) -> str:
    return "MJPG" if path.suffix.lower() == ".avi" else "mp4v"


class Encoder:
    """A child process that owns the video file: frames go to it through a pipe, and it finishes the file when
    the pipe closes, also when this process dies without closing it (kill -9, a crash, the X server cutting
    the window off, on which Qt ends the process at once). An MP4 writes its index only when it is finished:
    written in this process, any such end left the whole recording unplayable (an AVI lost its last frames).

    The child runs in a session of its own, so that Ctrl+C or a closed terminal reaches only this process,
    which then finishes the recording in order. A thread of this process feeds the pipe, so that the window
    does not wait while the child encodes the frame before (31 ms at 1440 pixels high here, which held a
    30 fps window to 24): at most one frame waits for it, and one is in the pipe, which a hard end loses.
    """

    def __init__(self):
        """Start the child now: it imports OpenCV while this process goes on, until `begin` names the file. A
        window keeps one ready, so that the key r starts recording without waiting for it."""
        self.path = None
        try:
            self._child = start_python(["-c", "from live.outputs import encode_from_stdin; encode_from_stdin()"],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        except OSError as exc:
            raise OutputError(f"could not start the recording process: {exc.strerror or exc}") from exc
        with contextlib.suppress(OSError, AttributeError):  # a larger pipe: the child reads while this one goes on
            fcntl.fcntl(self._child.stdin.fileno(), fcntl.F_SETPIPE_SZ, 1024 * 1024)
        self._waiting = queue.Queue(maxsize=1)  # (frame, copies) for the feeding thread; None ends it
        self._free_frames = []  # frames written, to be filled again rather than allocated at each write
        self._feeder = None
        self._failed = None  # why the feeding thread stopped writing, said at the next write
        self.frame_seconds = 0.0  # how long the child takes for one frame, on average lately

    def begin(self, path: Path, fourcc: str, fps: float, size_hw: tuple[int, int]) -> None:
        """Name the file and the frames' size; the child opens the file, or this raises OutputError."""
        self.path = path
        header = {"path": str(path), "fourcc": fourcc, "fps": float(fps), "height": size_hw[0], "width": size_hw[1]}
        try:
            self._child.stdin.write(json.dumps(header).encode() + b"\n")
            self._child.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass
        answer = self._child.stdout.readline().strip()
        if answer != b"opened":
            self._child.kill()
            self._child.wait()
            if answer == b"failed":
                raise OutputError(f"could not start recording to '{path}' at {size_hw[1]}x{size_hw[0]}: OpenCV could "
                                  f"not open it for writing")
            raise OutputError(f"could not start recording to '{path}': its writer process ended "
                              f"(exit code {self._child.returncode})")
        self._feeder = threading.Thread(target=self._feed, name="recording", daemon=True)
        self._feeder.start()

    @property
    def failed(self) -> str | None:
        """Why the writing stopped before the end (a full disk), or None."""
        return self._failed

    @property
    def busy(self) -> bool:
        """Whether a `write` now would wait for the frame before it to be taken."""
        return self._waiting.full()

    def write(self, bgr: np.ndarray, copies: int = 1) -> None:
        """Hand `copies` copies of one (height, width, 3) uint8 frame of the file's size to the child; `bgr` is
        copied, and may be drawn over as soon as this returns. Waits only while another frame is waiting."""
        if self._failed:
            raise OutputError(self._failed)
        frame = self._free_frames.pop() if self._free_frames else np.empty(bgr.shape, np.uint8)
        np.copyto(frame, bgr)
        self._waiting.put((frame, copies))

    def _feed(self) -> None:
        """The feeding thread: each waiting frame into the pipe, timed; after a failure, frames are dropped
        (so that `write` never waits for a thread that stopped) until `finish`."""
        while (item := self._waiting.get()) is not None:
            frame, copies = item
            if not self._failed:
                began = time.perf_counter()
                try:
                    for _ in range(copies):
                        self._child.stdin.write(frame.data)
                        self._child.stdin.flush()
                except (OSError, ValueError):  # the child ended (a broken pipe), or the pipe was closed
                    self._failed = self._failure()
                else:
                    seconds = (time.perf_counter() - began) / copies  # the child's pace, once the pipe is full
                    self.frame_seconds = 0.8 * self.frame_seconds + 0.2 * seconds if self.frame_seconds else seconds
            if len(self._free_frames) < 2:
                self._free_frames.append(frame)

    def _failure(self) -> str:
        self._child.wait()
        if self._child.stdout.read().strip() == b"write failed":
            return f"writing to '{self.path}' failed (disk full?)"
        return f"the process writing '{self.path}' ended (exit code {self._child.returncode})"

    def finish(self) -> bool:
        """Write what is waiting, close the pipe and wait for the child to finish the file; False if it did not
        end normally. Waits FINISH_SECONDS at most, so that a child that takes nothing more (stopped, or stuck
        on a dead network disk) cannot keep the program from ending: it is left to finish the file itself."""
        deadline = time.monotonic() + FINISH_SECONDS
        if self._feeder is not None:
            with contextlib.suppress(queue.Full):
                self._waiting.put(None, timeout=FINISH_SECONDS)
            self._feeder.join(max(0.0, deadline - time.monotonic()))
            if self._feeder.is_alive():
                log.warning("the recording '%s' is still being finished in the background", self.path)
                return True
        with contextlib.suppress(BrokenPipeError, ValueError):
            self._child.stdin.close()
        try:
            return self._child.wait(timeout=max(0.0, deadline - time.monotonic())) == 0
        except subprocess.TimeoutExpired:
            log.warning("the recording '%s' is still being finished in the background", self.path)
            return True

    def end_at_once(self, seconds: float) -> int | None:
        """Close the pipe now, under the feeding thread (this process is ending: see live/cut_off.py), and wait up to
        `seconds` for the child to finish the file: its exit code, None where it is still at it. The pipe's end is
        replaced by /dev/null's rather than closed, so that no file opened meanwhile gets its number and the
        feeding thread's frames."""
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._child.stdin.fileno())
            os.close(devnull)
        except (OSError, ValueError):  # closed already: the child has its end of file
            pass
        try:
            return self._child.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return None


def encode_from_stdin() -> None:
    """The child's side of `Encoder`: stdin gives a JSON line (path, fourcc, fps, height, width), then raw BGR
    frames of that size."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # this process stops when the pipe closes, not before
    source, out = sys.stdin.buffer, sys.stdout.buffer
    header = source.readline()
    if not header:
        return  # closed before the first frame: no file
    spec = json.loads(header)
    height, width = spec["height"], spec["width"]
    writer = cv2.VideoWriter(spec["path"], cv2.VideoWriter_fourcc(*spec["fourcc"]), spec["fps"], (width, height))
    if not writer.isOpened():
        out.write(b"failed\n")
        return
    out.write(b"opened\n")
    out.flush()
    frame = np.empty((height, width, 3), np.uint8)
    view = memoryview(frame).cast("B")
    try:
        while _read_into(source, view):
            if writer.write(frame) is False:  # OpenCV 5 reports a failed write
                out.write(b"write failed\n")
                break
    finally:
        writer.release()


def _read_into(source, view: memoryview) -> bool:
    """Fill `view` from `source`; False at the end of the stream (a partial frame is dropped)."""
    filled = 0
    while filled < len(view):
        count = source.readinto(view[filled:])
        if not count:
            return False
        filled += count
    return True


class Recorder:
    """Writes canvases to a video file.

    With `real_time` each canvas is written as often as the wall clock asks at a fixed frame rate, so the
    file plays at the speed it was seen, a frozen picture included (written as it is shown again); otherwise
    each new canvas is written once at `fps`. With `every_canvas` too (a file played at its own frame rate),
    no new canvas is left out when two come within one frame's time.

    A real-time file is caught up by at most what its writer takes in 0.1 s, and not at all past a second
    behind: at large sizes the writing process encodes slower than the clock (2160-pixel pictures: 70 ms a
    frame here), and writing every missing frame would only put it further behind while the window waits.
    Nor does the window wait for a writer still busy with the canvas before: the new one is left out. The
    frames left out make the file play faster than it was seen, which is said once they add up to half a
    second, and counted when the file is saved. A file played at its own rate, or rendered, keeps every
    canvas, and waits.
    """

    def __init__(self, path: Path, fps: float = RECORD_FPS, real_time: bool = False,
                 reserve_bytes: int = DISK_RESERVE_BYTES, every_canvas: bool = False, encoder: Encoder | None = None):
        self.path, self.fps, self.real_time = free_path(path), fps, real_time
        self.every_canvas = every_canvas
        if self.path != Path(path):
            log.warning("'%s' already exists and is kept; recording to '%s' instead", path, self.path)
        self.reserve_bytes = reserve_bytes
        self._encoder = encoder or Encoder()  # started now, so that it is ready by the first canvas
        self._size = None
        self._start = None
        self._behind_said = False
        self.frames_written = 0
        self.frames_left_out = 0  # by a real-time recording, where its writer fell behind the clock

    def write(self, canvas: np.ndarray, new: bool = True) -> None:
        """Write `canvas` as often as it is due; `new` is False for a picture shown again (frozen, say), which
        only a real-time file records, as time passes."""
        height, width = canvas.shape[:2]
        if self._start is None:
            self._size = _file_size_hw(self.path, (height, width))
            if self._size != (height, width):
                log.info("recording '%s' at %dx%d, scaled down: MP4 takes frames up to %d pixels wide (AVI has no "
                         "such limit)", self.path, self._size[1], self._size[0], MP4_MAX_WIDTH)
            self._encoder.begin(self.path, _fourcc_for(self.path), self.fps, self._size)
            self._start = time.monotonic()
            cut_off.recording(self)
        copies = 1 if new else 0
        if self.real_time:
            copies = max(1 if self.every_canvas and new else 0, self._due())
        if not copies:
            return
        if _free_bytes(self.path.parent) < self.reserve_bytes:
            raise OutputError(f"the disk holding '{self.path}' is nearly full (under {_megabytes(self.reserve_bytes)} "
                              f"free, which finishing the file may need)")
        if self.real_time and not (self.every_canvas and new) and self._encoder.busy:  # rather than wait for it
            self._leave_out(copies)
            return
        if (height, width) != self._size:  # the canvas changed size, or is too wide: fit it to the file's frames
            canvas = letterbox(canvas, self._size)
        self._encoder.write(canvas, copies)
        self.frames_written += copies
        if not self.path.exists():
            raise OutputError(f"recording to '{self.path}' failed: the file disappeared")

    def _due(self) -> int:
        """Frames the clock asks for now, as many as the writer can take without holding up the window; the
        clock is moved up past the ones left out."""
        now = time.monotonic()
        due = int((now - self._start) * self.fps) + 1 - self.frames_written
        if due > self.fps * MAX_CATCH_UP_SECONDS:  # this process stood still (a new layer built, say)
            log.debug("recording '%s': %.1f s the program stood still left out", self.path, (due - 1) / self.fps)
            self._start += (due - 1) / self.fps
            return 1
        pace = self._encoder.frame_seconds
        affordable = max(1, int(MAX_WRITE_SECONDS / pace)) if pace else due
        if due > affordable:  # the writer is slower than the clock
            self._leave_out(due - affordable)
            due = affordable
        return due

    def _leave_out(self, count: int) -> None:
        """Move the clock past `count` frames the writer had no time for; said once they add up to half a
        second, since a frame or two left out now and then (the writer descheduled a moment) shows in no file."""
        self._start += count / self.fps
        self.frames_left_out += count
        if not self._behind_said and self.frames_left_out >= self.fps * BEHIND_SAID_SECONDS:
            log.warning("the recording '%s' cannot keep up with %g fps at %dx%d: it plays faster than it was seen "
                        "(a lower --panel-height records at full speed)", self.path, self.fps, self._size[1],
                        self._size[0])
            self._behind_said = True

    def close(self) -> bool:
        """Finish the file so it plays; False if it does not (its writing process stopped before, or its writing
        failed before an MP4's end). Safe to call twice."""
        if self._encoder is None:
            return True
        failed = self._encoder.failed
        finished = self._encoder.finish()  # a recorder that never wrote ends its child without making a file
        self._encoder = None
        cut_off.recorded(self)
        if self._start is None:
            return True
        if self.frames_written == 0:  # stopped before its first frame: a header, not a recording
            with contextlib.suppress(OSError):
                self.path.unlink()
            log.info("nothing was recorded to '%s'", self.path)
            return True
        if failed and finished:  # its writing failed (a full disk), and the writing process ended as it should
            if _plays(self.path):
                log.warning("the recording '%s' is kept, cut short where its writing failed: it plays up to there",
                            self.path)
                return True
            log.warning("the recording '%s' does not play: its writing failed before the file was finished (an .mp4 "
                        "needs its end; an .avi keeps what was written before such a failure)", self.path)
            return False
        if finished:
            left_out = f"; {self.frames_left_out} left out where its writer fell behind" if self.frames_left_out else ""
            log.info("recording saved: %s (%s%s)", self.path, counted(self.frames_written, "frame"), left_out)
        else:
            log.warning("the recording '%s' could not be finished: its writing process was stopped", self.path)
        return finished

    def end_at_once(self, seconds: float) -> str:
        """What becomes of the file when this process ends under the recording, its window cut off: the frames on
        their way to the writing process are lost, and the file is finished by that process, if it can be."""
        code = self._encoder.end_at_once(seconds) if self._encoder is not None else 0
        if code == 0:
            return f"recording saved: {self.path} (about {counted(self.frames_written, 'frame')})"
        if code is None:
            return f"the recording '{self.path}' is still being finished by its writing process"
        return f"the recording '{self.path}' could not be finished: its writing process ended with exit code {code}"


def write_atomically(path: Path, write) -> None:
    """Call write(temporary_path), then rename over `path`: a reader never sees half a file."""
    path = Path(path)
    temporary = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        write(temporary)
        os.replace(temporary, path)
    except Exception:
        temporary.unlink(missing_ok=True)
        raise


def _write_png(path: Path, image: np.ndarray) -> None:
    if not cv2.imwrite(str(path), image):  # OpenCV says no more (libpng's "Write Error" goes to the terminal)
        raise OSError(errno.EIO, "OpenCV could not write it")


def _reason(exc: OSError, folder: Path, needed: int) -> str:
    """Why a file of about `needed` bytes could not be written into `folder`, in words. A full disk is told by the
    room left, since neither OpenCV nor numpy's np.save ('3211264 requested and 81888 written') says so."""
    free = _free_bytes(folder)
    if exc.errno == errno.ENOSPC or free < needed:
        return f"its disk has {_megabytes(free)} free, too little for it"
    return exc.strerror or str(exc)


def save_png(path: Path, image: np.ndarray) -> None:
    """A lossless PNG, written atomically."""
    try:
        write_atomically(path, lambda tmp: _write_png(tmp, image))
    except OSError as exc:
        raise OutputError(f"could not write '{path}': {_reason(exc, path.parent, image.nbytes)}") from exc


def make_folder(folder: Path, what: str = "the folder") -> None:
    """A folder for snapshots, recordings or mosaics, made where missing, or OutputError with the reason."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"could not create {what} '{folder}': {exc.strerror or exc}") from exc


def save_snapshot(folder: Path, canvas: np.ndarray, activations_hwc: np.ndarray, info: dict,
                  model_input: np.ndarray | None = None) -> Path:
    """Write `<stem>.png` (the window), `<stem>.npy` (raw float32 activations), `<stem>_input.png` (the RGB
    picture the model was given, before its own scaling: the activations can be computed again from it) and
    `<stem>.json`; return the stem."""
    folder = Path(folder)
    make_folder(folder)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    stem = free_path(folder / f"snapshot_{stamp}_{info.get('frame', 0):06d}.json").with_suffix("")
    written = []

    def write(path: Path, needed: int, how) -> None:
        try:
            write_atomically(path, how)
        except OSError as exc:  # what was written is kept: on a full disk, the window's picture often fits
            kept = f" (kept: {', '.join(written)})" if written else ""
            raise OutputError(f"could not write the snapshot '{stem}': {_reason(exc, folder, needed)}{kept}") from exc
        written.append(path.name)

    write(stem.with_suffix(".png"), canvas.nbytes, lambda tmp: _write_png(tmp, canvas))
    activations = activations_hwc.astype(np.float32, copy=False)
    write(stem.with_suffix(".npy"), activations.nbytes, lambda tmp: np.save(tmp, activations))
    if model_input is not None:
        input_path = stem.with_name(f"{stem.name}_input.png")
        bgr = cv2.cvtColor(model_input, cv2.COLOR_RGB2BGR)
        write(input_path, bgr.nbytes, lambda tmp: _write_png(tmp, bgr))
        info = {**info, "input": input_path.name}
    text = json.dumps(info, indent=2)
    write(stem.with_suffix(".json"), len(text), lambda tmp: tmp.write_text(text))
    return stem
