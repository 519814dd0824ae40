"""The OpenCV window that shows the canvas: fitted to its monitor, on black of its own shape, fullscreen on a key;
keys, clicks and the mouse wheel."""

from __future__ import annotations

import logging
import os
import re
import time

import cv2
import numpy as np

from live import cut_off
from live.screen import XScreen, monitor_at, numbered
from live.wording import counted

log = logging.getLogger(__name__)

SETTLE_SECONDS = 0.5  # a window moved onto another monitor is fitted to it once it has stayed put this long
RATIO_TRIES = 30  # shown frames during which the window is looked for on the X server, to learn Qt's pixel ratio
WHEEL_NOTCH = 120  # Qt's (and OpenCV's) mouse wheel delta for one notch
UNZOOM_SECONDS = 0.25  # turns down sent to undo Qt's zoom are waited for this long; not sent, asked again after it
PAINT_CHECKS = (1.5, 4.0)  # seconds after the first picture at which a window Qt left unpainted is mapped again


def no_windows(builds: list[str]) -> str:
    """What to do where this OpenCV has no windows, given the OpenCV packages installed (`builds`): each puts its
    own cv2 in the same place, so all of them go before requirements.txt's build, which has windows, goes in."""
    if not builds:  # built from source, or the system's own package
        return ("this OpenCV was built without windows: for the window, rebuild it with Qt or GTK, or pip install "
                "-r requirements.txt in a venv of its own")
    return (f"this OpenCV was built without windows ({', '.join(builds)}, as servers and many ML images have): "
            f"for the window, pip uninstall -y {' '.join(builds)}, then pip install -r requirements.txt")


def built_without_windows(build_information: str | None = None) -> bool:
    """Whether this OpenCV says in its build information that it has no window toolkit (GUI: NONE), as
    opencv-python-headless: its namedWindow then fails with a hint to rebuild OpenCV from source, where installing
    the other build is the fix. A build that does not say (neither Qt, GTK, Win32 nor Cocoa named) is tried."""
    text = cv2.getBuildInformation() if build_information is None else build_information
    found = re.search(r"^\s*GUI:\s*(\S+)", text, re.MULTILINE)
    return found is not None and found.group(1).upper() == "NONE"


def fit_window(canvas_hw: tuple[int, int], monitor_hw: tuple[int, int] | None) -> tuple[int, int]:
    """The window's (height, width): the canvas, shrunk with its aspect ratio kept to fit the monitor."""
    height, width = canvas_hw
    if monitor_hw is None:
        return height, width
    scale = min(1.0, 0.9 * monitor_hw[0] / height, 0.95 * monitor_hw[1] / width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def qt_zoom(zoom: float, delta: int) -> float:
    """The zoom of OpenCV's Qt view after a turn of the wheel by `delta` (up positive), worked out as its
    DefaultViewPort::scaleView does, to the last bit: a tenth in for a notch up, a tenth out for one down, never
    below the whole picture, and no further in past 100. Qt draws its overview box wherever it comes out above 1."""
    factor = delta / 240 / 5 + 1
    if zoom == 1 and factor < 1:
        return zoom
    if zoom * factor < 1:
        factor = 1 / zoom
    if zoom > 100 and factor > 1:
        return zoom
    return zoom * factor


def notches_to_unzoom(zoom: float) -> int:
    """The notches down that bring Qt's view back from `zoom` to the whole picture."""
    notches = 0
    while zoom > 1:
        zoom, notches = qt_zoom(zoom, -WHEEL_NOTCH), notches + 1
    return notches


def wheel_notches(delta: int) -> tuple[int, int]:
    """Whole notches in a sum of wheel deltas (up positive), and what is left over for the next: a touchpad
    sends a notch in several smaller steps, and a step back the other way takes back what is left."""
    notches = int(delta / WHEEL_NOTCH)  # towards zero, either way
    return notches, delta - notches * WHEEL_NOTCH


class Window:
    """The one OpenCV window: shows the canvas, returns key presses and left clicks, notices when it is closed."""

    def __init__(self, title: str = "live feature maps", fullscreen: bool = False, monitor: int | None = None,
                 x_connection=None):
        """`x_connection`: check_display's connection to the X server, kept for the window (see there)."""
        self.title = title  # OpenCV's name for the window
        self._caption = title  # what its title bar says, and the X server calls it (see `show`)
        self.monitor_number = monitor  # --monitor (1: the primary); None: where the window manager puts it
        self._monitor_said = False
        self.screen = XScreen(x_connection)
        # FREERATIO: Qt stretches what it is given to the window, and is given the canvas on black of the window's
        # shape (_on_black), so nothing is stretched and no band of Qt's light gray shows around the picture.
        cv2.namedWindow(title, cv2.WINDOW_NORMAL | cv2.WINDOW_FREERATIO | cv2.WINDOW_GUI_NORMAL)
        cut_off.window_opened(os.environ.get("DISPLAY", ""))
        self.clicks: list[tuple[int, int]] = []
        self.pointer: tuple[int, int] | None = None
        self._scrolled = 0  # the mouse wheel's turn not yet taken, in Qt's units: 120 a notch, up positive
        self._zoom = 1.0  # how far Qt's view has zoomed in on the wheel's turns (see `_unzoom`)
        self._unzooming = 0  # notches down sent to undo it, not yet come back
        self._unzoom_sent = self._unzoom_failed = 0.0  # when they were last sent; when they last could not be
        cv2.setMouseCallback(title, self._on_mouse)
        self._sized = None
        self._centred = False  # put in the middle of its monitor, once: after that, where the user puts it
        self._centred_rect = None  # Qt's rect where a window put in the middle came to rest, until it is moved
        self._settling_centred = False  # put in the middle, not yet at rest
        self._monitor = None  # the monitor it was last fitted to, in the X server's pixels
        self._fitted_ratio = 1.0  # Qt's scale there when it was fitted
        self._moved = None  # (where, since when) while the window or the monitors change: it is looked at once still
        self._still = None  # where it was last looked at
        self._ratio = 1.0  # X pixels per pixel of Qt's, whose sizes and positions the window is given in
        self._ratio_tries = 0
        self._shown = False
        self._shown_hw = None  # the (height, width) of the canvas last shown
        self.fullscreen = fullscreen  # applied once the window is on screen: Qt ignores it before
        self._covered_from = None  # where the window was before it covered its monitor itself (`_cover_monitor`)
        self._black: np.ndarray | None = None  # the canvas centred on black of the window's shape, where they differ
        self._placed = None  # the shapes `_black` was made for
        self._offset = (0, 0)  # where the canvas sits in what is shown: mouse positions are moved back by it
        self._first_shown_at = 0.0  # when the first picture was shown (monotonic)
        self._paint_checks = list(PAINT_CHECKS)  # those not yet made: none left, nothing more to do a frame

    def _on_mouse(self, event, x, y, flags, param) -> None:
        y, x = y - self._offset[0], x - self._offset[1]
        self.pointer = (y, x)
        if event == cv2.EVENT_LBUTTONDOWN:
            self.clicks.append((y, x))
        elif event == cv2.EVENT_MOUSEWHEEL:
            delta = flags >> 16  # the wheel's delta, signed, in the flags' upper 16 bits
            self._zoom = qt_zoom(self._zoom, delta)
            if delta < 0 and self._unzooming:  # a notch sent by `_unzoom`, not the user's
                self._unzooming -= 1
            else:
                self._scrolled += delta

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
        if self.fullscreen and not self.screen.has_window_manager():
            self._cover_monitor()
        elif not self.fullscreen and self._covered_from is not None:  # back where it was
            x, y, width, height = self._covered_from
            cv2.resizeWindow(self.title, width, height)
            cv2.moveWindow(self.title, x, y)
            self._covered_from = None
        if not self.fullscreen and self._sized != self._shown_hw:  # a canvas of another shape came meanwhile
            self._centred = False  # resized at the next show, which Qt's restored place does not survive: centred

    def _cover_monitor(self) -> None:
        """Fullscreen where no window manager grants it (a kiosk's bare X server, started with xinit, where Qt's
        does nothing): the window, which has no frame there, is made as large as its monitor and put on it."""
        rect = self._rect()
        monitor = self._monitor_of(rect)
        if rect is None or monitor is None:
            return
        top, left, height, width = monitor
        self._covered_from = rect
        cv2.moveWindow(self.title, left, top)
        cv2.resizeWindow(self.title, round(width / self._ratio), round(height / self._ratio))
        log.debug("no window manager: the window covers its monitor (%dx%d) itself, for fullscreen", width, height)

    def show(self, canvas: np.ndarray, caption: str | None = None) -> int:
        """Show the canvas; return the key pressed meanwhile (-1 for none). The screen is kept awake meanwhile.
        `caption`, for the title bar, stays until a canvas is shown without one (the title again): the start's
        card says there what is loading.

        Fullscreen is set once the window is on screen, and the window is not resized while fullscreen: Qt ignored
        --fullscreen set before the first picture, and resizing leaves fullscreen (a slideshow's portrait photo
        after a landscape one). Both were seen under Xvfb with a window manager (openbox)."""
        rect = self._rect()
        if self._ratio_tries < RATIO_TRIES and rect is not None:
            self._learn_ratio(rect)
        placing = not self._shown and self.monitor_number  # onto the monitor asked for, before it goes fullscreen
        if self._sized != canvas.shape[:2] and (not self.fullscreen or placing):
            asked = self._asked_monitor() if not self._centred else None
            monitor = asked or self._monitor_of(rect)
            if not self._centred or monitor == self._monitor:  # one on its way to another: `_follow_monitor`'s
                # Centred once (Qt's small first window, grown in place, met the monitor's edge), then resized where
                # it is, kept whole on its monitor (a slideshow's portrait photo after a landscape one), or in the
                # middle still where the user left it there
                centred = not self._centred or (rect is not None and rect == self._centred_rect)
                self._fit(canvas.shape[:2], monitor, centred=centred,
                          at_xy=None if centred or rect is None else rect[:2])
                self._centred = self._centred or monitor is not None
                rect = self._rect()  # resized
            self._sized = canvas.shape[:2]
        elif not self.fullscreen and self._follow_monitor(canvas.shape[:2], rect):
            rect = self._rect()
        if (caption or self.title) != self._caption:
            self._caption = caption or self.title
            cv2.setWindowTitle(self.title, self._caption)
        cv2.imshow(self.title, self._on_black(canvas, rect))
        self._shown_hw = canvas.shape[:2]
        self._look_for_paint(canvas)
        self.screen.keep_awake()  # a picture shown: new frames, or a key's change (frozen or at its end, poll() only)
        if not self._shown:
            self._shown = True
            if self.fullscreen:
                self._apply_fullscreen()
        return self.poll()

    def _look_for_paint(self, canvas: np.ndarray) -> None:
        """At PAINT_CHECKS seconds after the first picture, a window that shows nothing of the pictures given to it
        is mapped again: Qt left it unpainted (see XScreen.map_again_if_blank)."""
        if not self._paint_checks:
            return
        now = time.monotonic()
        self._first_shown_at = self._first_shown_at or now
        due = sum(now - self._first_shown_at >= at for at in self._paint_checks)
        if due and canvas.any():
            del self._paint_checks[:due]  # one look for those due together
            if self.screen.map_again_if_blank(self._caption):
                log.debug("Qt had not painted the window (it missed the X server's word that the window is on "
                          "screen): mapped again")

    def _asked_monitor(self) -> tuple[int, int, int, int] | None:
        """The monitor --monitor asks for (a presenter's projector, so that the window, fullscreen or not, opens
        there rather than on the laptop's screen, to be dragged across), or None: not asked, or not there."""
        if not self.monitor_number:
            return None
        monitors = numbered(self.screen.monitors_now())
        if self.monitor_number > len(monitors):
            log.warning("--monitor %d: %s; the window opens where the window manager puts it", self.monitor_number,
                        f"this screen has {counted(len(monitors), 'monitor')}" if monitors else
                        "the monitors cannot be listed here")
            self.monitor_number = None
            return None
        monitor = monitors[self.monitor_number - 1]
        if not self._monitor_said:  # once: it is placed again where Qt's scaling is learnt after the first picture
            log.info("the window opens on monitor %d of %d (%dx%d)", self.monitor_number, len(monitors), monitor[3],
                     monitor[2])
            self._monitor_said = True
        return monitor

    def _fit(self, canvas_hw: tuple[int, int], monitor: tuple[int, int, int, int] | None, centred: bool,
             at_xy: tuple[int, int] | None = None) -> None:
        """Size the window to the canvas fitted to `monitor` (top, left, height, width in the X server's pixels), and
        put it in the monitor's middle (`centred`) or at `at_xy` (Qt's pixels, where it is), kept whole on it.

        Qt is given sizes and places in its own pixels, which put each monitor at its own top-left corner, scaled
        by its own factor (a monitor at x = 1920 of 1280x720 is at x = 1920, 640x360, where Qt scales it by 2). The
        canvas is fitted in those pixels, so that on a HiDPI screen it looks as large as on any other. The factor
        is the one last measured, on the monitor the window was on, which `_follow_monitor` corrects if this one
        turns out to have another (QT_SCREEN_SCALE_FACTORS, a HiDPI laptop's screen beside a projector)."""
        ratio = self._ratio
        if monitor is None:
            height, width = fit_window(canvas_hw, None)
            cv2.resizeWindow(self.title, width, height)
        else:
            top, left = monitor[:2]
            monitor_h, monitor_w = round(monitor[2] / ratio), round(monitor[3] / ratio)  # in Qt's pixels
            height, width = fit_window(canvas_hw, (monitor_h, monitor_w))
            cv2.resizeWindow(self.title, width, height)
            if centred or at_xy is not None:
                x, y = at_xy or (left + (monitor_w - width) // 2, top + (monitor_h - height) // 2)
                whole = (min(max(x, left), left + max(0, monitor_w - width)),
                         min(max(y, top), top + max(0, monitor_h - height)))
                if centred or whole != (x, y):  # not moved where it is already (the user may be dragging it)
                    cv2.moveWindow(self.title, *whole)
        self._monitor, self._fitted_ratio, self._moved = monitor, ratio, None
        self._settling_centred = centred and monitor is not None
        self._centred_rect = None

    def _follow_monitor(self, canvas_hw: tuple[int, int], rect: tuple[int, int, int, int] | None) -> bool:
        """A window moved onto another monitor (dragged from the laptop's screen onto the projector), or whose
        monitor changed under it (a lower resolution, to mirror onto a projector; unplugged), is fitted to that
        one, and kept on it, once it has stayed put for SETTLE_SECONDS: not while it is being dragged. Where it
        is then is taken from Qt, with Qt's scale there asked of the X server, once. True when it was resized."""
        monitors = self.screen.monitors_now()
        where = (rect, tuple(monitors))
        if rect is None or where == self._still:
            self._moved = None
            return False
        now = time.monotonic()
        if self._moved is None or self._moved[0] != where:
            self._moved = (where, now)
            return False
        if now - self._moved[1] < SETTLE_SECONDS:
            return False
        self._still, self._moved = where, None
        if self._settling_centred:
            self._centred_rect, self._settling_centred = rect, False
        self._measure_ratio(rect)
        monitor = self._monitor_of(rect)
        rescaled = abs(self._ratio - self._fitted_ratio) > 0.02  # fitted with the last monitor's scale, not this one's
        if monitor is None or (monitor == self._monitor and not rescaled):
            return False
        same = monitor == self._monitor  # only its scale was not known: centred again, as it was
        self._fit(canvas_hw, monitor, centred=same, at_xy=None if same else rect[:2])
        log.debug("the window is on another monitor (%dx%d), or at another scale: fitted to it", *monitor[:1:-1])
        return True

    def _learn_ratio(self, rect: tuple[int, int, int, int]) -> None:
        """Learn how many X pixels make one of Qt's, once the window is found on the X server. Where Qt scales
        (QT_SCALE_FACTOR=2, a HiDPI desktop), a window fitted to a monitor as X measures it, but sized in Qt's
        pixels, was twice too large, and off the screen. A window sized before it was found is fitted again."""
        if not self._measure_ratio(rect):
            self._ratio_tries += 1
            return
        self._ratio_tries = RATIO_TRIES
        if abs(self._ratio - 1.0) > 0.02:
            log.debug("Qt draws the window at %.2f X pixels a pixel: its sizes are given in its pixels", self._ratio)
            self._sized, self._centred = None, False

    def _measure_ratio(self, rect: tuple[int, int, int, int]) -> bool:
        """Learn Qt's scale where the window is: its width in the X server's pixels over Qt's `rect`'s; False while X
        cannot say. A scale is taken only where width and height agree: on its way out of fullscreen, the window
        had X's new size and Qt's old one."""
        x_hw = self.screen.window_hw(self._caption)
        if x_hw is None:
            return False
        if rect[2] > 0 and rect[3] > 0:
            ratio = x_hw[1] / rect[2]
            if abs(x_hw[0] / rect[3] - ratio) <= 0.01 * ratio + 1 / rect[3]:  # Qt rounds to whole pixels
                self._ratio = ratio
        return True

    def _monitor_of(self, rect: tuple[int, int, int, int] | None) -> tuple[int, int, int, int] | None:
        """The monitor (in the X server's pixels) that the window at Qt's `rect` is on, each monitor taken in Qt's
        pixels at its own top-left corner, at the scale last learnt. From Qt, not X: a window just moved is where
        Qt put it at once, and where a window manager puts it a moment later."""
        monitors = self.screen.monitors_now()
        in_qt = [(top, left, round(height / self._ratio), round(width / self._ratio))
                 for top, left, height, width in monitors]
        found = monitor_at(in_qt, rect)
        return monitors[in_qt.index(found)] if found is not None else None

    def shown_scale(self) -> float | None:
        """The size on screen of the canvas last shown, over its own (0.58 for a 1687-pixel canvas on a 1024x768
        projector); None before the first, or where Qt cannot say."""
        rect = self._rect()
        if rect is None or self._shown_hw is None or rect[2] <= 0 or rect[3] <= 0:
            return None
        return min(rect[2] / self._shown_hw[1], rect[3] / self._shown_hw[0])

    def _rect(self) -> tuple[int, int, int, int] | None:
        """(x, y, width, height) of the window's picture (the whole window, with FREERATIO) in Qt's pixels; None if
        Qt cannot say."""
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
        if self._zoom > 1 or self._unzooming:
            self._unzoom()
        return cv2.waitKeyEx(1)

    def _unzoom(self) -> None:
        """Undo the zoom of Qt's view with as many turns of the wheel down, sent over the window through X.

        OpenCV's Qt window zooms in by a tenth at each turn of the wheel up, after handing the turn to us
        (DefaultViewPort::wheelEvent), in GUI_NORMAL mode too: the wheel, which pages back through the channels,
        left a cropped, enlarged picture with an overview box in its corner. OpenCV gives no way to turn that
        off, nor to reset it where its toolbar and shortcuts are not shown; a turn down zooms out, never below
        the whole picture. The turns sent come back through `_on_mouse`, which does not count them as the
        user's; they are sent only while the pointer is over the window, and again if they did not come back."""
        now = time.monotonic()
        if self._unzooming and now - self._unzoom_sent > UNZOOM_SECONDS:
            self._unzooming = 0  # they did not come back: the pointer left the window before X sent them
        notches = notches_to_unzoom(self._zoom) - self._unzooming  # less those on their way
        if notches > 0 and now - self._unzoom_failed >= UNZOOM_SECONDS:  # not over the window: asked again later
            if self.screen.wheel_down(self._caption, notches):
                self._unzooming += notches
                self._unzoom_sent = now
            else:
                self._unzoom_failed = now

    def closed(self) -> bool:
        try:
            return cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1
        except cv2.error:
            return True

    def close(self) -> None:
        cut_off.window_closed()
        self.screen.close()
        try:
            cv2.destroyWindow(self.title)
            cv2.waitKeyEx(1)
        except cv2.error:
            pass
