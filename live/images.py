"""Pictures as the window shows them: any frame to 8-bit BGR, and an image file read upright, scaled down once if
huge, with damage named once in words (the decoders' own lines name no file); a camera's JPEG pictures' too."""

from __future__ import annotations

import logging
import re

import cv2
import numpy as np

from live.files import jpeg_cut_short
from live.stderr import decoder_lines

log = logging.getLogger(__name__)

STILL_MAX_HW = (2160, 3840)  # a larger still image is scaled down once to fit: the window shows no more
STRAY_BYTES = re.compile(r"Corrupt JPEG data: \d+ extraneous bytes before marker")  # between a JPEG's parts


def to_bgr8(frame: np.ndarray | None) -> np.ndarray | None:
    """Any frame OpenCV can hand over (gray, BGRA, 16-bit, float) as contiguous 8-bit BGR, or None if empty."""
    if frame is None or frame.size == 0:
        return None
    if frame.dtype == np.uint16:
        frame = (frame >> 8).astype(np.uint8)
    elif frame.dtype in (np.float32, np.float64):
        peak = 1.0 if np.nanmax(frame) <= 1.0 else 255.0
        frame = np.clip(np.nan_to_num(frame) * (255.0 / peak), 0, 255).astype(np.uint8)
    elif frame.dtype != np.uint8:
        frame = np.clip(frame, 0, 255).astype(np.uint8)
    if frame.ndim == 2 or (frame.ndim == 3 and frame.shape[2] == 1):
        return cv2.cvtColor(frame.reshape(frame.shape[:2]), cv2.COLOR_GRAY2BGR)
    if frame.ndim == 3 and frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
    if frame.ndim == 3 and frame.shape[2] == 3:
        return np.ascontiguousarray(frame)
    return None


def read_image(path: str) -> np.ndarray | None:
    """An image file as 8-bit BGR, or None where it cannot be read. Any depth and colour, as the file has it, but
    turned as its EXIF orientation says: a phone's portrait photo is stored sideways (IMREAD_UNCHANGED would
    ignore the tag; an alpha channel is dropped either way). A huge one is scaled down once (fit_still)."""
    with decoder_lines() as said:
        image = to_bgr8(cv2.imread(path, cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR))
    if said:
        log.debug("'%s': the image decoder said: %s", path, "; ".join(said))
    if image is None:
        return None  # which the caller says, in its own words
    if path not in _looked_at:
        _looked_at.add(path)
        _say_damage(path, said)
    return fit_still(image, path)


def _say_damage(path: str, said: list[str]) -> None:
    """Name a file that shows with parts missing or garbled: libjpeg's own line names no file ("Premature end of
    JPEG file"). libpng's warnings (an odd colour profile) leave the picture whole and are not repeated."""
    damage = [line for line in said if not line.startswith("libpng warning")]
    if jpeg_cut_short(path):
        log.warning("'%s' is cut short: the end of the JPEG is missing (a download or copy that did not finish?), "
                    "so what it lacks shows gray or blurred", path)
    elif damage:
        log.warning("'%s' holds damaged data, so parts of it may show garbled (the image decoder says: %s)", path,
                    "; ".join(damage))


_looked_at: set[str] = set()  # the files looked at for damage: once each, not at each turn of a slideshow


def fit_still(image: np.ndarray, spec: str) -> np.ndarray:
    """A still image no larger than STILL_MAX_HW, scaled down once if it is: a camera's 48-megapixel photo, copied
    and scaled every frame, cost half the frame rate, and the window shows no more. It is handed out as the frame
    again and again, so it is made read-only rather than copied for each frame: nothing downstream writes into a
    frame, and anything that tried would fail at once instead of changing the frames after it."""
    height, width = image.shape[:2]
    shrink = min(STILL_MAX_HW[0] / height, STILL_MAX_HW[1] / width)
    if shrink < 1:
        size_hw = (max(1, round(height * shrink)), max(1, round(width * shrink)))
        log.info("%s is %dx%d: shown scaled down once to %dx%d, as large as the window can show it", spec, width,
                 height, size_hw[1], size_hw[0])
        image = cv2.resize(image, size_hw[::-1], interpolation=cv2.INTER_AREA)
    image.flags.writeable = False
    return image


class CameraPictures:
    """A camera's JPEG pictures (MJPG, which webcams send for 720p and 1080p) decoded with libjpeg's lines kept off
    the terminal and said once, in words, naming the camera. Some webcams (Logitech's C270 and C310 among them)
    put stray bytes between a picture's parts, and libjpeg then wrote "Corrupt JPEG data: 2 extraneous bytes
    before marker 0xd9" at every picture, 30 lines a second that buried every other line of the run."""

    def __init__(self, name: str):
        self.name = name
        self._said_stray = self._said_damage = False
        self._unsaid: list[str] = []

    def retrieve(self, capture: cv2.VideoCapture) -> tuple[bool, np.ndarray | None]:
        """`capture.retrieve()`, where OpenCV decodes the picture that `grab()` took (its V4L2 backend through
        `imdecode`, and so libjpeg); the camera's wait for a picture stays outside, in `grab`. While TensorFlow's
        import has stderr (its lines go to /dev/null then, and so do libjpeg's), the loading window's picture of
        the camera does not wait for it. What libjpeg said waits for `tell`."""
        with decoder_lines(wait=False) as said:
            ok, frame = capture.retrieve()
        if said:
            log.debug("%s: the image decoder said: %s", self.name, "; ".join(said))
            self._unsaid.extend(said)
        return ok, frame

    def tell(self) -> None:
        """Say, once for each kind, what libjpeg said of the pictures since: after each picture, but the first,
        whose lines come after the line that says the camera opened."""
        said, self._unsaid = self._unsaid, []
        stray = [line for line in said if STRAY_BYTES.match(line)]
        if stray and not self._said_stray:
            self._said_stray = True
            log.info("%s sends JPEG pictures with stray bytes between their parts, as some webcams do, and libjpeg "
                     "says so at every picture (%s): the pictures are whole, and its lines are kept off the "
                     "terminal (--debug shows them)", self.name, stray[0])
        damage = [line for line in said if not STRAY_BYTES.match(line)]
        if damage and not self._said_damage:
            self._said_damage = True
            log.warning("%s sent a JPEG picture with damaged data, which may show garbled or gray where data is "
                        "missing (libjpeg says: %s; a USB port or hub short of bandwidth?); such lines are kept "
                        "off the terminal (--debug shows them)", self.name, "; ".join(damage))
