"""Camera picture + mosaic + overlay composed into one canvas, and the OpenCV window that shows it."""

from __future__ import annotations

import logging
import os
import sys
import time
from functools import lru_cache

import cv2
import numpy as np
from numba import njit

from live.controls import HELP
from live.tiler import MosaicLayout, Tiler, to_levels

log = logging.getLogger(__name__)

SEPARATOR = 8  # pixels between camera picture and mosaic
CROP_MARK = (230, 230, 230)  # the corners of the part of the picture the model sees, where it is not all of it
FONT = cv2.FONT_HERSHEY_SIMPLEX
TEXT_SCALE, TEXT_SCALE_MIN = 0.55, 0.3  # OpenCV font scales of the text over the pictures
TEXT_SHOWN_MIN = 0.85  # a canvas shown smaller than this (a projector of 1024x768) gets its text drawn larger
TEXT_ZOOM_MAX = 1.6  # at most this much larger, and no wider than the camera picture for a long first line:
LONG_LINE = "mobilenet_v2 | block_16_project_BN 7x7x320 | page 1/5 | mean | percentile | gray"
HEAT_WEIGHT = 0.55
SETTLE_SECONDS = 0.5  # a window moved onto another monitor is fitted to it once it has stayed put this long
MONITORS_SECONDS = 1.0  # the monitors are listed again this often: a projector plugged in during the run
AWAKE_SECONDS = 10.0  # while the window shows moving pictures, the X server's idle clock is reset this often
RATIO_TRIES = 30  # shown frames during which the window is looked for on the X server, to learn Qt's pixel ratio
WHEEL_NOTCH = 120  # Qt's (and OpenCV's) mouse wheel delta for one notch
MAX_PICTURE_ASPECT = 2.4  # width / height: a wider picture is scaled to this width (21:9 cinema fits; 16:9 is 1.78)


def camera_panel_hw(frame_hw: tuple[int, int], panel_height: int) -> tuple[int, int]:
    """(height, width) of the camera picture in the window: the frame scaled to the panel's height, or, for a
    picture wider than MAX_PICTURE_ASPECT (a phone's panorama), to that many panel heights wide, so that it
    shows whole on black above and below. At the panel's height a 10:1 panorama made the window 7,200 pixels
    wide, shrunk on screen until the mosaic was a strip, and a 200:1 one took 2 GB for its canvas."""
    frame_h, frame_w = frame_hw
    width = max(1, round(frame_w * panel_height / frame_h))
    widest = round(MAX_PICTURE_ASPECT * panel_height)
    if width <= widest:
        return panel_height, width
    return max(1, round(frame_h * widest / frame_w)), widest


def scale_camera(bgr: np.ndarray, panel_height: int, out: np.ndarray | None = None) -> np.ndarray:
    """The camera picture at its size in the window, written into `out` when given (it must have that size).

    The pipeline's inference workers call this, so that the main thread only copies the picture in.
    """
    height, width = camera_panel_hw(bgr.shape[:2], panel_height)
    return cv2.resize(bgr, (width, height), dst=out, interpolation=cv2.INTER_LINEAR)


class Composer:
    """Owns the canvas: camera panel on the left, mosaic panel on the right, text on top.

    The canvas and the tilers are made again only when the frame size, the layout or the screen
    height changes, never per frame.
    """

    def __init__(self, panel_height: int = 720):
        self.panel_height = panel_height
        # Text keeps its size down to pictures 480 pixels high, then shrinks with them (to 0.3 at 262 and
        # below), so that the first line still fits on a 4:3 camera picture.
        self._text_base = max(TEXT_SCALE_MIN, min(TEXT_SCALE, TEXT_SCALE * panel_height / 480))
        self._text_zoom = 1.0  # as asked by set_text_zoom
        self._text = self._text_base
        self._line = round(22 * self._text / TEXT_SCALE)
        self.camera_w = 0
        self.canvas: np.ndarray | None = None
        self._key = None
        self._tilers: dict = {}
        self.tile_seconds = 0.0  # the last mosaic's time in the tiler, for the benchmark

    def _prepare(self, frame_hw, layout: MosaicLayout) -> None:
        key = (frame_hw, layout)
        if key == self._key:
            return
        height = self.panel_height
        self.picture_h, self.camera_w = camera_panel_hw(frame_hw, height)
        self.picture_y = (height - self.picture_h) // 2  # a panorama's picture sits in the middle of its panel
        self.mosaic_h, self.mosaic_w = layout.fit(height, max(height, round(height * layout.width / layout.height)))
        width = self.camera_w + SEPARATOR + self.mosaic_w
        if self.canvas is None or self.canvas.shape[:2] != (height, width):
            self.canvas = np.zeros((height, width, 3), np.uint8)
        self.canvas[:] = 0
        self.mosaic_x = self.camera_w + SEPARATOR
        self.mosaic_y = (height - self.mosaic_h) // 2
        self.layout = layout
        self._key = key
        self._tilers = {}
        self._size_text()

    def _tiler(self, layout: MosaicLayout) -> Tiler:
        if layout not in self._tilers:
            self._tilers[layout] = Tiler(layout, self.mosaic_h, self.mosaic_w)
        return self._tilers[layout]

    def set_text_zoom(self, zoom: float) -> bool:
        """Draw the text up to `zoom` times its size from the next canvas on (see text_zoom); True if that
        changed it."""
        self._text_zoom = zoom
        return self._size_text()

    def _size_text(self) -> bool:
        """The text's scale: its zoom, kept to what lets a long first line fit on the camera picture (a square
        or portrait one is narrower), but never below its own size. True if it changed."""
        text = self._text_base * self._text_zoom
        if self._text_zoom > 1 and self.camera_w:
            long_w = cv2.getTextSize(LONG_LINE, FONT, self._text_base, 1)[0][0]
            text = max(self._text_base, min(text, self._text_base * (self.camera_w - 20) / long_w))
        if text == self._text:
            return False
        self._text, self._line = text, round(22 * text / TEXT_SCALE)
        return True

    def compose(self, bgr: np.ndarray, extraction, layout: MosaicLayout,
                lut: np.ndarray, lines: list[str], message: str = "", focus_column: int | None = None,
                crop_box=None, labels: dict[int, str] | None = None, show_help: bool = False,
                picture: np.ndarray | None = None) -> np.ndarray:
        """Draw one frame into the canvas and return it (the same array every time).

        `picture` is `bgr` already scaled by `scale_camera`, when a worker thread has done that: it is
        copied in instead of scaling `bgr` here.
        """
        self._prepare(bgr.shape[:2], layout)
        canvas = self.canvas
        camera = canvas[self.picture_y:self.picture_y + self.picture_h, :self.camera_w]
        self._clear_around(canvas)
        if picture is not None and picture.shape == camera.shape:
            np.copyto(camera, picture)
        else:
            scale_camera(bgr, self.panel_height, out=camera)
        mosaic = canvas[self.mosaic_y:self.mosaic_y + self.mosaic_h, self.mosaic_x:self.mosaic_x + self.mosaic_w]
        began = time.perf_counter()
        if focus_column is None:
            self._tiler(layout).draw(extraction.maps_hwk, extraction.columns, lut, mosaic, extraction.offset,
                                     extraction.scale)
            self.tile_seconds = time.perf_counter() - began
            if labels:
                self._draw_labels(mosaic, layout, labels)
            self._mark_crop(camera, bgr.shape[:2], crop_box)
        else:
            single = MosaicLayout(1, 1, layout.tile_height, layout.tile_width, 0)
            self._tiler(single).draw(extraction.maps_hwk, np.array([focus_column], np.int32), lut, mosaic,
                                     extraction.offset, extraction.scale)
            self.tile_seconds = time.perf_counter() - began
            column = slice(focus_column, focus_column + 1)
            levels = to_levels(extraction.maps_hwk[:, :, column], extraction.offset[column], extraction.scale[column])
            self._overlay_heat(camera, levels[:, :, 0].astype(np.uint8), lut, bgr.shape[:2], crop_box)
        self._draw_text(canvas, lines, message)
        if show_help:
            self._draw_help(canvas, below=self._line * len(lines) + 8)
        return canvas

    def _clear_around(self, canvas: np.ndarray) -> None:
        """Black again where no picture is drawn each frame: above and below a panorama's picture, the strip
        between the pictures and the mosaic panel's margins. Text and the help box, drawn over the canvas, reach
        there (the help box is wider than a portrait photo's panel) and stayed after the help was hidden."""
        y0, y1 = self.picture_y, self.picture_y + self.picture_h
        canvas[:y0, :self.camera_w] = 0
        canvas[y1:, :self.camera_w] = 0
        canvas[:, self.camera_w:self.mosaic_x] = 0
        canvas[:self.mosaic_y, self.mosaic_x:] = 0
        canvas[self.mosaic_y + self.mosaic_h:, self.mosaic_x:] = 0

    def tile_at(self, y: int, x: int) -> int | None:
        """The tile under canvas pixel (y, x), or None outside the mosaic or over a gap."""
        if self._key is None:
            return None
        y, x = y - self.mosaic_y, x - self.mosaic_x
        if not (0 <= y < self.mosaic_h and 0 <= x < self.mosaic_w):
            return None
        return self.layout.tile_at(y, x, self.mosaic_h, self.mosaic_w)

    def _on_panel(self, frame_hw, crop_box) -> tuple[int, int, int, int]:
        """The model's crop of the frame, (top, bottom, left, right) in camera-panel pixels."""
        frame_h, frame_w = frame_hw
        top, left, bottom, right = crop_box or (0, 0, frame_h, frame_w)
        sy, sx = self.picture_h / frame_h, self.camera_w / frame_w
        return int(top * sy), int(bottom * sy), int(left * sx), int(right * sx)

    def _mark_crop(self, camera, frame_hw, crop_box) -> None:
        """Viewfinder corners around the part of the picture the model sees, when it does not see all of it:
        a wide camera's sides are cut off for a square model input, and the maps show nothing from there."""
        if crop_box is None or tuple(crop_box) == (0, 0, *frame_hw):
            return  # the model sees all of it
        y0, y1, x0, x1 = self._on_panel(frame_hw, crop_box)
        if y1 <= y0 or x1 <= x0:
            return
        arm = max(8, min(y1 - y0, x1 - x0) // 12)
        # 2-pixel lines drawn about their centre line: one pixel in from each edge keeps them whole
        for y, dy in ((y0 + 1, 1), (y1 - 2, -1)):
            for x, dx in ((x0 + 1, 1), (x1 - 2, -1)):
                cv2.line(camera, (x, y), (x + dx * arm, y), CROP_MARK, 2)
                cv2.line(camera, (x, y), (x, y + dy * arm), CROP_MARK, 2)

    def _overlay_heat(self, camera, map_hw, lut, frame_hw, crop_box) -> None:
        """Blend one channel's map, colored, over the part of the camera picture the model sees."""
        y0, y1, x0, x1 = self._on_panel(frame_hw, crop_box)
        if y1 <= y0 or x1 <= x0:
            return
        heat = lut[cv2.resize(np.ascontiguousarray(map_hw), (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)]
        region = camera[y0:y1, x0:x1]
        cv2.addWeighted(region, 1 - HEAT_WEIGHT, heat, HEAT_WEIGHT, 0, dst=region)

    def _draw_labels(self, mosaic, layout: MosaicLayout, labels: dict[int, str]) -> None:
        """Channel numbers at the tiles' top left corners: as large as the tiles allow, and larger with the rest
        of the text on a small screen, as far as a number of three digits still fits on its tile."""
        tiler = self._tiler(layout)
        tile_h = self.mosaic_h / layout.rows
        scale = max(0.3, min(0.6, tile_h / 70))
        scale = max(scale, min(scale * self._text / self._text_base, tile_h / 100))
        for tile, text in labels.items():
            top, left = tiler.origin(tile)
            _outlined(mosaic, text, (left + 2, int(top + 12 * scale / 0.4)), scale)

    def _draw_text(self, canvas, lines: list[str], message: str) -> None:
        y = self._line + 2
        for line in lines:
            _outlined(canvas, line, (10, y), self._text)
            y += self._line
        if message:
            _outlined(canvas, message, (10, canvas.shape[0] - 14), self._text * 0.6 / TEXT_SCALE, (80, 255, 80))

    def _draw_help(self, canvas, below: int) -> None:
        """The keys, centred on the canvas's height, but below the lines of text (`below` pixels) where it fits."""
        ratio = self._text / TEXT_SCALE
        height = round(30 * ratio) + self._line * len(HELP)
        top = max(0, min(max(below, (canvas.shape[0] - height) // 2), canvas.shape[0] - height))
        left = round(40 * ratio)
        box = canvas[top:top + height, left:left + round(560 * ratio)]
        box //= 4
        for i, (key, what) in enumerate(HELP):
            y = round(28 * ratio) + self._line * i
            _outlined(box, key, (round(12 * ratio), y), self._text, (120, 220, 255))
            _outlined(box, what, (round(110 * ratio), y), self._text)


def _outlined(image, text: str, org, scale: float, color=(255, 255, 255)) -> None:
    """Text on a darkened band, readable over any picture (an outline would change the glyphs' advance).

    The glyphs are drawn once per text and size (`_glyphs`); each frame only blends them in.
    """
    mask, above = _glyphs(text, scale)
    x, y = org
    _blend_text(image, mask, y - above, x - 3, *color)


@lru_cache(maxsize=1024)
def _glyphs(text: str, scale: float) -> tuple[np.ndarray, int]:
    """Coverage (0..255) of the text's anti-aliased glyphs on its band (3 pixels each side, 4 above, 2 below),
    and the band's rows above the text's origin line."""
    (width, height), baseline = cv2.getTextSize(text, FONT, scale, 1)
    mask = np.zeros((height + baseline + 6, width + 6), np.uint8)
    cv2.putText(mask, text, (3, height + 4), FONT, scale, 255, 1, cv2.LINE_AA)
    return mask, height + 4


@njit(cache=True, nogil=True)
def _blend_text(image, mask, top, left, blue, green, red):
    """Darken the band under `mask` to a third and blend the glyphs in with their coverage."""
    height, width = mask.shape
    color = (np.uint32(blue), np.uint32(green), np.uint32(red))
    for y in range(max(0, -top), min(height, image.shape[0] - top)):
        for x in range(max(0, -left), min(width, image.shape[1] - left)):
            cover = np.uint32(mask[y, x])
            for c in range(3):
                dark = np.uint32(image[top + y, left + x, c]) // 3
                image[top + y, left + x, c] = (dark * (255 - cover) + color[c] * cover + 127) // 255


def display_problem() -> str | None:
    """Why no window can be opened here, or None when one can.

    OpenCV's Qt draws through X11 only, and when it cannot reach an X server it aborts the whole process
    (SIGABRT, no exception to catch): so on Linux the X display is connected to first, with python-xlib.
    """
    if not sys.platform.startswith("linux"):
        return None
    name = os.environ.get("DISPLAY")
    if not name:
        if os.environ.get("WAYLAND_DISPLAY"):
            return ("only a Wayland display is set, and OpenCV's window needs X11 (XWayland, with DISPLAY set, "
                    "would do)")
        return "no display available"
    try:
        from Xlib import display as xdisplay
    except ImportError:  # cannot check: leave it to OpenCV
        return None
    try:
        xdisplay.Display(name).close()
    except Exception as exc:  # Xlib's connection errors say what failed
        return f"the X display '{name}' cannot be reached ({str(exc).strip() or type(exc).__name__})"
    return None


def _x_connection():
    """A connection to the X server of $DISPLAY, or None where there is none (or no python-xlib)."""
    try:
        from Xlib import display as xdisplay

        return xdisplay.Display()
    except Exception:  # no python-xlib, or not X11
        return None


def monitors_yxhw(connection) -> list[tuple[int, int, int, int]]:
    """Each monitor of the X screen as (top, left, height, width), the primary one first; the whole screen where
    the X server cannot list them (no RandR 1.5); [] where X cannot be asked. One X screen often spans two
    monitors side by side, a laptop's and the projector's beside it: a window fitted to the whole straddled them."""
    try:
        screen = connection.screen()
        try:
            listed = sorted(screen.root.xrandr_get_monitors().monitors, key=lambda monitor: not monitor.primary)
        except Exception:  # no RandR, or an older one
            listed = []
        found = [(monitor.y, monitor.x, monitor.height_in_pixels, monitor.width_in_pixels) for monitor in listed
                 if monitor.height_in_pixels and monitor.width_in_pixels]
        return found or [(0, 0, screen.height_in_pixels, screen.width_in_pixels)]
    except Exception:
        return []


class XScreen:
    """What the window needs of the X server, over one connection kept open: the monitors, listed again every
    MONITORS_SECONDS (0.1 ms a listing, against 15 to 30 ms to connect), so that a projector plugged in after the
    start, or the laptop's screen set to a lower resolution to mirror onto one, is followed; and the screen kept
    awake while the pictures move."""

    def __init__(self):
        self._connection = _x_connection()
        self.monitors = monitors_yxhw(self._connection) if self._connection is not None else []
        self._listed_at = self._awake_at = time.monotonic()

    def monitors_now(self) -> list[tuple[int, int, int, int]]:
        if self._connection is not None and time.monotonic() - self._listed_at >= MONITORS_SECONDS:
            listed = monitors_yxhw(self._connection)
            if not listed:  # the X server went away: keep what was known
                self.close()
            elif listed != self.monitors:
                log.debug("the monitors changed: %s", listed)
                self.monitors = listed
            self._listed_at = time.monotonic()
        return self.monitors

    def keep_awake(self) -> None:
        """Reset the X server's idle clock, at most every AWAKE_SECONDS, as a video player does while it plays
        (mpv every 10 s): a presenter talking in front of the camera touches nothing for minutes, and the screen
        saver or the monitor's power saving blanked the demo. Under Wayland the desktop does not see it."""
        if self._connection is None or time.monotonic() - self._awake_at < AWAKE_SECONDS:
            return
        try:
            from Xlib import X

            self._connection.force_screen_saver(X.ScreenSaverReset)
            self._connection.flush()
        except Exception:  # the X server went away
            self.close()
        self._awake_at = time.monotonic()

    def pixel_ratio(self, title: str, qt_width: int) -> float | None:
        """X pixels per pixel of Qt's, from the width of this process's window called `title` as X gives it and as
        Qt does (`qt_width`): 2 with QT_SCALE_FACTOR=2, or on a desktop that scales Qt programs for a HiDPI
        screen, else 1. None while the window is not found."""
        if self._connection is None or qt_width <= 0:
            return None
        try:
            window = self._own_window(title)
            return window.get_geometry().width / qt_width if window is not None else None
        except Exception:  # a window gone meanwhile, or the X server
            return None

    def _own_window(self, title: str):
        """This process's top-level X window called `title`: among the window manager's list of windows, or the
        root window's children where there is no window manager."""
        from Xlib import X

        connection = self._connection
        root = connection.screen().root
        listed = root.get_full_property(connection.intern_atom("_NET_CLIENT_LIST"), X.AnyPropertyType)
        windows = ([connection.create_resource_object("window", number) for number in listed.value] if listed
                   else root.query_tree().children)
        pid = connection.intern_atom("_NET_WM_PID")
        for window in windows:
            owner = window.get_full_property(pid, X.AnyPropertyType)
            if owner and owner.value[0] == os.getpid() and window.get_wm_name() in (title, title.encode()):
                return window
        return None

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:
                pass
            self._connection = None


def monitor_at(monitors: list[tuple[int, int, int, int]],
               point_yx: tuple[int, int] | None) -> tuple[int, int, int, int] | None:
    """(top, left, height, width) of the monitor that holds `point_yx` (the window's centre), else of the first
    one (the primary); None where there are none."""
    if point_yx is not None:
        y, x = point_yx
        for top, left, height, width in monitors:
            if top <= y < top + height and left <= x < left + width:
                return top, left, height, width
    return monitors[0] if monitors else None


def fit_window(canvas_hw: tuple[int, int], monitor_hw: tuple[int, int] | None) -> tuple[int, int]:
    """The window's (height, width): the canvas, shrunk with its aspect ratio kept to fit the monitor."""
    height, width = canvas_hw
    if monitor_hw is None:
        return height, width
    scale = min(1.0, 0.9 * monitor_hw[0] / height, 0.95 * monitor_hw[1] / width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def text_zoom(shown_scale: float | None) -> float:
    """How much larger to draw the text of a canvas that the window shows at `shown_scale` of its size, so that it
    reads as at TEXT_SHOWN_MIN at least: a 1687-pixel canvas on a 1024x768 projector is shown at 0.58, and its text
    was 9 pixels high (a digit). In steps of a tenth, so that a window resized by hand does not draw new glyphs at each
    pixel; 1 where the canvas is shown at least that large, or headless."""
    if not shown_scale:
        return 1.0
    return round(min(TEXT_ZOOM_MAX, max(1.0, TEXT_SHOWN_MIN / shown_scale)), 1)


def wheel_notches(delta: int) -> tuple[int, int]:
    """Whole notches in a sum of wheel deltas (up positive), and what is left over for the next: a touchpad
    sends a notch in several smaller steps, and a step back the other way takes back what is left."""
    notches = int(delta / WHEEL_NOTCH)  # towards zero, either way
    return notches, delta - notches * WHEEL_NOTCH


def _centre_yx(rect: tuple[int, int, int, int] | None) -> tuple[int, int] | None:
    """Where the middle of a window's (x, y, width, height) is, which says the monitor it is on."""
    if rect is None:
        return None
    x, y, width, height = rect
    return y + height // 2, x + width // 2


class Window:
    """The one OpenCV window: shows the canvas, returns key presses and left clicks, notices when it is closed."""

    def __init__(self, title: str = "live feature maps", fullscreen: bool = False):
        self.title = title
        self.screen = XScreen()
        # FREERATIO: Qt stretches what it is given to the window, and is given the canvas on black of the window's
        # shape (_on_black), so nothing is stretched and no band of Qt's light gray shows around the picture.
        cv2.namedWindow(title, cv2.WINDOW_NORMAL | cv2.WINDOW_FREERATIO | cv2.WINDOW_GUI_NORMAL)
        self.clicks: list[tuple[int, int]] = []
        self.pointer: tuple[int, int] | None = None
        self._scrolled = 0  # the mouse wheel's turn not yet taken, in Qt's units: 120 a notch, up positive
        cv2.setMouseCallback(title, self._on_mouse)
        self._sized = None
        self._centred = False  # put in the middle of its monitor, once: after that, where the user puts it
        self._monitor = None  # the monitor it was last fitted to
        self._moved = None  # (where, since when) while it is on another monitor than the one it was fitted to
        self._ratio = 1.0  # X pixels per pixel of Qt's, whose sizes and positions the window is given in
        self._ratio_tries = 0
        self._shown = False
        self._shown_hw = None  # the (height, width) of the canvas last shown
        self.fullscreen = fullscreen  # applied once the window is on screen: Qt ignores it before
        self._black: np.ndarray | None = None  # the canvas centred on black of the window's shape, where they differ
        self._placed = None  # the shapes `_black` was made for
        self._offset = (0, 0)  # where the canvas sits in what is shown: mouse positions are moved back by it

    def _on_mouse(self, event, x, y, flags, param) -> None:
        y, x = y - self._offset[0], x - self._offset[1]
        self.pointer = (y, x)
        if event == cv2.EVENT_LBUTTONDOWN:
            self.clicks.append((y, x))
        elif event == cv2.EVENT_MOUSEWHEEL:
            self._scrolled += flags >> 16  # the wheel's delta, signed, in the flags' upper 16 bits

    def take_scroll(self) -> int:
        """Whole notches the mouse wheel turned since asked, up positive; a touchpad's smaller steps add up."""
        notches, self._scrolled = wheel_notches(self._scrolled)
        return notches

    def set_fullscreen(self, on: bool) -> None:
        self.fullscreen = on
        if self._shown:
            self._apply_fullscreen()

    def _apply_fullscreen(self) -> None:
        cv2.setWindowProperty(self.title, cv2.WND_PROP_FULLSCREEN,
                              cv2.WINDOW_FULLSCREEN if self.fullscreen else cv2.WINDOW_NORMAL)
        if not self.fullscreen and self._sized != self._shown_hw:  # a canvas of another shape came meanwhile
            self._centred = False  # resized at the next show, which Qt's restored place does not survive: centred

    def show(self, canvas: np.ndarray) -> int:
        """Show the canvas; return the key pressed meanwhile (-1 for none). The screen is kept awake meanwhile.

        Fullscreen is set once the window is on screen, and the window is not resized while fullscreen: Qt ignored
        --fullscreen set before the first picture, and resizing leaves fullscreen (a slideshow's portrait photo
        after a landscape one). Both were seen under Xvfb with a window manager (openbox)."""
        rect = self._rect()
        if self._ratio_tries < RATIO_TRIES and rect is not None:
            self._learn_ratio(rect[2])
        if self._sized != canvas.shape[:2] and not self.fullscreen:
            monitor = monitor_at(self._monitors(), _centre_yx(rect))
            height, width = fit_window(canvas.shape[:2], monitor[2:] if monitor else None)
            cv2.resizeWindow(self.title, width, height)
            if monitor is not None and not self._centred:  # Qt's small first window, grown in place, met the edge
                top, left, monitor_h, monitor_w = monitor
                cv2.moveWindow(self.title, left + max(0, monitor_w - width) // 2, top + max(0, monitor_h - height) // 2)
                self._centred = True
            self._sized, self._monitor, self._moved = canvas.shape[:2], monitor, None
            rect = self._rect()  # resized
        elif not self.fullscreen and self._follow_monitor(canvas.shape[:2], rect):
            rect = self._rect()
        cv2.imshow(self.title, self._on_black(canvas, rect))
        self._shown_hw = canvas.shape[:2]
        self.screen.keep_awake()  # a picture shown: new frames, or a key's change (frozen or at its end, poll() only)
        if not self._shown:
            self._shown = True
            if self.fullscreen:
                self._apply_fullscreen()
        return self.poll()

    def _follow_monitor(self, canvas_hw: tuple[int, int], rect: tuple[int, int, int, int] | None) -> bool:
        """A window moved onto another monitor (dragged from the laptop's screen onto the projector), or whose
        monitor changed under it (a lower resolution, to mirror onto a projector), is fitted to that one, and kept
        on it, once it has stayed put for SETTLE_SECONDS: not while it is being dragged. True when it was resized."""
        monitor = monitor_at(self._monitors(), _centre_yx(rect)) if rect is not None else None
        if monitor is None or monitor == self._monitor:
            self._moved = None
            return False
        now = time.monotonic()
        if self._moved is None or self._moved[0] != rect:
            self._moved = (rect, now)
            return False
        if now - self._moved[1] < SETTLE_SECONDS:
            return False
        x, y = rect[:2]
        top, left, monitor_h, monitor_w = monitor
        height, width = fit_window(canvas_hw, (monitor_h, monitor_w))
        cv2.resizeWindow(self.title, width, height)
        cv2.moveWindow(self.title, min(max(x, left), left + monitor_w - width),
                       min(max(y, top), top + monitor_h - height))  # kept whole on that monitor
        self._monitor, self._moved = monitor, None
        log.debug("the window is on another monitor (%dx%d): fitted to it", monitor_w, monitor_h)
        return True

    def _learn_ratio(self, qt_width: int) -> None:
        """Learn how many X pixels make one of Qt's, once the window is found on the X server. Where Qt scales
        (QT_SCALE_FACTOR=2, a HiDPI desktop), the window was fitted and centred in X's pixels but sized in Qt's:
        twice too large, and off the screen. A window sized before it was found is fitted and centred again."""
        ratio = self.screen.pixel_ratio(self.title, qt_width)
        if ratio is None:
            self._ratio_tries += 1
            return
        self._ratio_tries = RATIO_TRIES
        if abs(ratio - 1.0) > 0.02:
            log.debug("Qt draws the window at %.2f X pixels a pixel: the monitors are taken in its pixels", ratio)
            self._ratio = ratio
            self._sized, self._centred = None, False

    def _monitors(self) -> list[tuple[int, int, int, int]]:
        """The monitors as (top, left, height, width) in Qt's pixels, which the window is sized and moved in."""
        return [tuple(round(value / self._ratio) for value in monitor) for monitor in self.screen.monitors_now()]

    def shown_scale(self) -> float | None:
        """The size on screen of the canvas last shown, over its own (0.58 for a 1687-pixel canvas on a 1024x768
        projector); None before the first, or where Qt cannot say."""
        rect = self._rect()
        if rect is None or self._shown_hw is None or rect[2] <= 0 or rect[3] <= 0:
            return None
        return min(rect[2] / self._shown_hw[1], rect[3] / self._shown_hw[0])

    def _rect(self) -> tuple[int, int, int, int] | None:
        """(x, y, width, height) of the window's picture on the X screen (the whole window, with FREERATIO);
        None if Qt cannot say."""
        try:
            return tuple(cv2.getWindowImageRect(self.title))
        except cv2.error:
            return None

    def _on_black(self, canvas: np.ndarray, rect: tuple[int, int, int, int] | None) -> np.ndarray:
        """The canvas centred on black of the window's shape, where the two differ: fullscreen, or a window
        maximized or resized by hand. With Qt keeping the picture's shape itself, the rest was its light gray:
        bright bands above and below the picture on a projector."""
        self._offset = (0, 0)
        if rect is None:
            return canvas
        _, _, window_w, window_h = rect
        canvas_h, canvas_w = canvas.shape[:2]
        if window_h <= 0 or window_w <= 0:
            return canvas
        if canvas_w * window_h >= canvas_h * window_w:  # wider than the window: black above and below
            framed_hw = (round(canvas_w * window_h / window_w), canvas_w)
        else:
            framed_hw = (canvas_h, round(canvas_h * window_w / window_h))
        if abs(framed_hw[0] - canvas_h) <= 2 and abs(framed_hw[1] - canvas_w) <= 2:  # the same shape but rounding
            return canvas
        top, left = (framed_hw[0] - canvas_h) // 2, (framed_hw[1] - canvas_w) // 2
        if self._placed != (framed_hw, canvas.shape):
            self._black = np.zeros((*framed_hw, 3), np.uint8)  # a new shape: nothing of the last canvas left
            self._placed = (framed_hw, canvas.shape)
        self._black[top:top + canvas_h, left:left + canvas_w] = canvas
        self._offset = (top, left)
        return self._black

    def poll(self) -> int:
        """Let the window handle its events; return the key pressed meanwhile (-1 for none)."""
        return cv2.waitKeyEx(1)

    def closed(self) -> bool:
        try:
            return cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1
        except cv2.error:
            return True

    def close(self) -> None:
        self.screen.close()
        try:
            cv2.destroyWindow(self.title)
            cv2.waitKeyEx(1)
        except cv2.error:
            pass
