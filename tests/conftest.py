"""Shared fixtures: real videos and images written with OpenCV, real Keras models, a real X server."""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"  # files made once, each said in its README
sys.path.insert(0, str(ROOT))


def write_video(path: Path, frames: list[np.ndarray], fps: float = 25.0) -> Path:
    """A lossless-enough AVI (MJPG) of BGR frames, read back later through the real source code."""
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def count_frames(path: Path) -> int:
    """How many frames OpenCV decodes from a video file (0 for one without its index, or none at all)."""
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    return count


def frames_said_saved(log: str) -> int:
    """The frame count in the program's 'recording saved: PATH (N frames)' line, which may go on with the frames
    left out where its writer fell behind (a busy machine): '(39 frames; 6 left out ...)'."""
    found = re.search(r"recording saved: .* \((\d+) frames?[);]", log)
    assert found, f"no 'recording saved' line in: {log}"
    return int(found.group(1))


def frames_said_left_out(log: str) -> int:
    """The frames a recording's writer had no time for, as its 'recording saved' line counts them; 0 where it names
    none."""
    found = re.search(r"recording saved: .*; (\d+) left out where its writer fell behind", log)
    return int(found.group(1)) if found else 0


def frames_once_finished(path: Path, at_least: int, seconds: float = 20) -> int:
    """`count_frames` of a recording that a writer process may still be finishing after its program died."""
    deadline = time.monotonic() + seconds
    while (count := count_frames(path)) < at_least and time.monotonic() < deadline:
        time.sleep(0.2)
    return count


def moving_frames(count: int, height: int = 224, width: int = 224) -> list[np.ndarray]:
    """Smooth synthetic frames with a moving disc and gradients: plenty of structure for conv filters."""
    y, x = np.mgrid[0:height, 0:width]
    frames = []
    for i in range(count):
        frame = np.stack([(x * 255 // width), (y * 255 // height), np.full_like(x, 60 + 10 * i)], -1).astype(np.uint8)
        cv2.circle(frame, (40 + 12 * i, height // 2), height // 6, (255, 255, 255), -1)
        frames.append(frame)
    return frames


def gray_frames(count: int, height: int, width: int) -> list[np.ndarray]:
    """`moving_frames` without colour, as a laptop's infrared camera gives them (three equal channels)."""
    return [cv2.cvtColor(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
            for frame in moving_frames(count, height, width)]


@contextmanager
def web_server(folder: Path, mjpeg_frames: list[np.ndarray] | None = None, stall: tuple[int, float] | None = None):
    """A real HTTP server on this machine, in a thread: the files of `folder`, and, if frames are given, at /live
    (and at /video.jpg, as some cameras name it) a live MJPEG stream of them over and over at 30 frames a second,
    as a phone's webcam app or an IP camera sends it (multipart/x-mixed-replace, no end; with `stall`, (frames,
    seconds), it stops after that many frames for that long, as over a network that stalls), and at /snapshot.cgi
    and /shot.jpg the next of them as one JPEG at each request, as an IP camera's snapshot URL gives it. Under
    /private/ the same, for the user admin with the password hunter2 only (HTTP Basic, 401 without). Yields its
    base URL."""
    import base64
    import functools
    import itertools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    requests = itertools.count()

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            route = self.path.partition("?")[0]  # a camera's URL may carry fields, its password say
            if route.startswith("/private/"):
                if self.headers.get("Authorization") != "Basic " + base64.b64encode(b"admin:hunter2").decode():
                    self.send_response(401, "Unauthorized")
                    self.send_header("WWW-Authenticate", 'Basic realm="camera"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                route = route[len("/private"):]
                self.path = self.path[len("/private"):]
            if route in ("/snapshot.cgi", "/shot.jpg") and mjpeg_frames is not None:
                jpeg = cv2.imencode(".jpg", mjpeg_frames[next(requests) % len(mjpeg_frames)])[1].tobytes()
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(jpeg)))
                self.end_headers()
                self.wfile.write(jpeg)
                return None
            if route not in ("/live", "/video.jpg") or mjpeg_frames is None:
                return super().do_GET()
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
            self.end_headers()
            try:
                for index in range(10 ** 6):
                    jpeg = cv2.imencode(".jpg", mjpeg_frames[index % len(mjpeg_frames)])[1].tobytes()
                    self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n%s\r\n"
                                     % (len(jpeg), jpeg))
                    time.sleep(1 / 30)
                    if stall is not None and index + 1 == stall[0]:
                        self.wfile.flush()
                        time.sleep(stall[1])
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def video_224(tmp_path_factory) -> Path:
    return write_video(tmp_path_factory.mktemp("video") / "moving.avi", moving_frames(8))


@pytest.fixture(scope="session")
def vgg16():
    from models import load_model

    return load_model("vgg16")


def direct_feature_map(loaded, layer, rgb):
    """The lesson's way: the layer output through Keras on the same frame, preprocessed as HED's VGG16 is."""
    import keras

    from models.hed_weights import HED_BGR_MEAN

    sub = keras.Model(loaded.model.inputs[0], loaded.model.get_layer(layer).output)
    x = rgb[None].astype(np.float32)[..., ::-1] - np.array(HED_BGR_MEAN, np.float32)
    return np.asarray(sub(x, training=False))[0]


def transfer_model(sequential: bool):
    """A small base model nested as one layer under a new head, the usual way of transfer learning; with
    `sequential`, the base comes first in a Sequential model (no layer of the outer model before it)."""
    import keras

    base_in = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", name="base_conv")(base_in)
    x = keras.layers.Conv2D(6, 3, strides=2, padding="same", activation="relu", name="base_conv2")(x)
    base = keras.Model(base_in, x, name="base")
    if sequential:
        return keras.Sequential([keras.Input((32, 32, 3)), base, keras.layers.GlobalAveragePooling2D(),
                                 keras.layers.Dense(2)], name="transfer")
    inputs = keras.Input((32, 32, 3))
    x = base(keras.layers.Rescaling(1 / 127.5, offset=-1, name="scale")(inputs))
    return keras.Model(inputs, keras.layers.Dense(2)(keras.layers.GlobalAveragePooling2D()(x)), name="transfer")


def extraction(count: int = 4, size: int = 8, level: int = 200):
    """A page of `count` maps of size x size, all at `level` (0: a black mosaic, so any bright pixel is text)."""
    from live.extractor import Extraction

    maps = np.full((size, size, count), level, np.uint8)
    return Extraction(maps, np.zeros(count), np.ones(count), np.arange(count, dtype=np.int32),
                      np.zeros(count, np.float32), np.ones(count, np.float32))


@contextmanager
def small_disk(mount: Path, megabytes: int):
    """A real file system of `megabytes` (tmpfs) at `mount`, so that a disk can be filled; the test is skipped
    where mounting is not allowed."""
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(mount)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def _own_mounts_possible() -> bool:
    """Whether a process can be given a mount namespace of its own here (root, with unshare, allowed to make one:
    a container may refuse it even to root), to show the program another machine's files."""
    return (sys.platform.startswith("linux") and os.geteuid() == 0 and shutil.which("unshare") is not None
            and subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0)


needs_own_mounts = pytest.mark.skipif(not _own_mounts_possible(),
                                      reason="needs root and unshare, for mounts in a process of its own")


def in_own_mounts(script: str, *args: str, **run: object) -> subprocess.CompletedProcess:
    """Run the bash `script` with `args` ($1, $2, ...) in a mount namespace of its own, where it mounts what it
    needs and then execs its command; text output captured, from the repository's root unless `run` says."""
    return subprocess.run(["unshare", "-m", "bash", "-c", script, "-", *args],
                          **{"cwd": ROOT, "capture_output": True, "text": True, "timeout": 120, **run})


def run_cli(*args: str, timeout: float = 240, env_extra: dict | None = None, cwd: Path | None = None):
    """Run `python run_live.py ARGS` as a user would; return the CompletedProcess."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("DISPLAY", None)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, str(ROOT / "run_live.py"), *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=cwd or ROOT)


def _start_x(command: list[str]) -> tuple[str, subprocess.Popen]:
    """An X server started by `command` on a display number that it picks itself (-displayfd): free even when
    test workers in parallel (pytest -n) start servers at the same moment. (display, process) once it takes
    connections; display is '' where it did not start within 30 s."""
    read_end, write_end = os.pipe()
    server = subprocess.Popen([*command, "-displayfd", str(write_end)], pass_fds=(write_end,),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    with os.fdopen(read_end) as told:
        ready = select.select([told], [], [], 30)[0]  # the number comes once it is ready; nothing if it fails
        number = told.readline().strip() if ready else ""
    return (f":{number}" if number else ""), server


def start_xvfb(size_wh: str = "1920x1080", *options: str) -> tuple[str, subprocess.Popen]:
    """An Xvfb server of 1920x1080 (or `size_wh`), with Xvfb's `options`, on a free display number: (display,
    process)."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb)")
    # -noreset: as a desktop's X server, which always has clients, never resets. A bare Xvfb resets whenever its
    # last client leaves, as each xdotool call that looks for the window does, and refuses connections while it
    # resets (the window's own was seen refused so, under load).
    display, server = _start_x(["Xvfb", "-screen", "0", f"{size_wh}x24", "-nolisten", "tcp", "-noreset", *options])
    if not display:
        server.kill()
        raise RuntimeError("Xvfb did not start")
    return display, server


@contextmanager
def xvfb(size_wh: str = "1920x1080"):
    """An Xvfb server of its own while in the block: its display; skipped where Xvfb is not installed."""
    display, server = start_xvfb(size_wh)
    try:
        yield display
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def xserver():
    """A real X server (Xvfb) for window tests; skipped where Xvfb is not installed."""
    with xvfb() as display:
        yield display


DUMMY_DRIVER = Path("/usr/lib/xorg/modules/drivers/dummy_drv.so")
TWO_MONITORS_CONF = """
Section "Device"
    Identifier "card"
    Driver "dummy"
    VideoRam 64000
EndSection
Section "Monitor"
    Identifier "monitor"
    HorizSync 5.0 - 1000.0
    VertRefresh 5.0 - 200.0
    Modeline "3200x1080" 285.0 3200 3264 3352 3400 1080 1083 1093 1110
EndSection
Section "Screen"
    Identifier "screen"
    Device "card"
    Monitor "monitor"
    DefaultDepth 24
    SubSection "Display"
        Depth 24
        Modes "3200x1080"
    EndSubSection
EndSection
"""


@pytest.fixture
def two_monitors(tmp_path):
    """An X server whose one screen spans two monitors, as a laptop (1920x1080, primary) with a projector
    (1280x720) to its right gives it: two outputs of Xorg's dummy driver, DUMMY0 and DUMMY1, set by xrandr (Xvfb
    has one). Skipped where these are not installed (apt-get install xserver-xorg-core xserver-xorg-video-dummy
    x11-xserver-utils)."""
    if shutil.which("Xorg") is None or shutil.which("xrandr") is None or not DUMMY_DRIVER.exists():
        pytest.skip("Xorg's dummy driver or xrandr is not installed "
                    "(apt-get install xserver-xorg-core xserver-xorg-video-dummy x11-xserver-utils)")
    (tmp_path / "two.conf").write_text(TWO_MONITORS_CONF)
    display, server = _start_x(["Xorg", "-noreset", "-nolisten", "tcp", "-config", str(tmp_path / "two.conf"),
                                "-logfile", str(tmp_path / "xorg.log")])
    try:
        if not display:
            pytest.skip(f"Xorg's dummy driver did not start (see {tmp_path / 'xorg.log'})")
        env = dict(os.environ, DISPLAY=display)
        # Two of the driver's outputs, as a laptop's screen and a projector's cable give them: the X screen grows
        # and shrinks with them, and Qt sees two screens, as it would there.
        for command in (["--addmode", "DUMMY1", "1280x720"],
                        ["--output", "DUMMY0", "--mode", "1920x1080", "--pos", "0x0", "--primary",
                         "--output", "DUMMY1", "--mode", "1280x720", "--pos", "1920x0"]):
            subprocess.run(["xrandr", *command], env=env, capture_output=True, timeout=10)
        listed = subprocess.run(["xrandr", "--listmonitors"], env=env, capture_output=True, text=True, timeout=10)
        if "Monitors: 2" not in listed.stdout:
            pytest.skip(f"Xorg's dummy driver did not start with two monitors (see {tmp_path / 'xorg.log'})")
        yield display
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def projector_xserver():
    """An X server of its own whose screen is a 1024x768 projector's (Xvfb); skipped where Xvfb is not installed."""
    with xvfb("1024x768") as display:
        yield display


@pytest.fixture
def managed_xserver():
    """An X server of its own with a window manager (openbox), as on a desktop: fullscreen is the window
    manager's to grant, so it cannot be seen on a bare Xvfb. Skipped where openbox is not installed."""
    with xvfb() as display, window_manager(display):
        yield display


@contextmanager
def window_manager(display: str):
    """openbox managing the windows of `display` while in the block; skipped where it is not installed."""
    if shutil.which("openbox") is None:
        pytest.skip("openbox is not installed (apt-get install openbox)")
    manager = subprocess.Popen(["openbox"], env=dict(os.environ, DISPLAY=display), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        _wait_for_window_manager(display, manager)
        yield
    finally:
        manager.terminate()
        manager.wait(timeout=10)


def _wait_for_window_manager(display: str, manager: subprocess.Popen, seconds: float = 30.0) -> None:
    """Until the window manager says on the root window that it manages the screen (EWMH's
    _NET_SUPPORTING_WM_CHECK, as the program reads it): a window opened before that is not its to make
    fullscreen, and on a busy machine openbox took more than the second once waited for."""
    from Xlib import display as xdisplay

    from live.screen import XScreen

    screen = XScreen(xdisplay.Display(display))
    try:
        deadline = time.monotonic() + seconds
        while not screen.has_window_manager():
            assert manager.poll() is None, f"openbox ended (exit {manager.returncode}) before managing {display}"
            assert time.monotonic() < deadline, f"openbox did not manage {display} within {seconds:.0f} s"
            time.sleep(0.05)
    finally:
        screen.close()


def jpeg_bytes(progressive: bool = False, thumbnail: bool = False, after_end: bytes = b"") -> bytes:
    """A JPEG photo as OpenCV writes it; with an EXIF segment holding a whole small JPEG, as a camera's thumbnail
    (its own end-of-image marker comes long before the photo's), and with bytes after its end, as a phone's motion
    photo appends its video."""
    picture = cv2.GaussianBlur(np.random.default_rng(1).integers(0, 256, (240, 320, 3), dtype=np.uint8), (9, 9), 3)
    data = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_PROGRESSIVE, int(progressive)])[1].tobytes()
    if thumbnail:
        small = cv2.imencode(".jpg", picture[::8, ::8])[1].tobytes()
        exif = b"Exif\x00\x00" + small
        data = data[:2] + b"\xff\xe1" + (len(exif) + 2).to_bytes(2, "big") + exif + data[2:]
    return data + after_end


def installed_distributions() -> set[str]:
    """The names of the Python packages installed, in lower case ('opencv-python-headless', say)."""
    from importlib import metadata

    return {dist.metadata["Name"].lower() for dist in metadata.distributions()}
