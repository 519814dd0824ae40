"""The X server behind the window: whether one can be reached, its monitors, the window's pixel ratio where Qt
scales, the screen kept awake, the wheel turned over the window, and a window Qt left unpainted mapped again."""

from __future__ import annotations

import getpass
import logging
import os
import sys
import time

log = logging.getLogger(__name__)

MONITORS_SECONDS = 1.0  # the monitors are listed again this often: a projector plugged in during the run
AWAKE_SECONDS = 10.0  # while the window shows moving pictures, the X server's idle clock is reset this often
BLANK_ROWS = 16  # rows of the window looked at for a picture, in `map_again_if_blank`


def check_display():
    """Why no window can be opened here (None when one can), and the connection to the X server made to find out,
    for the window's XScreen (None where none was made).

    OpenCV's Qt draws through X11 only, and when it cannot reach an X server it aborts the whole process
    (SIGABRT, no exception to catch): so on Linux the X display is connected to first, with python-xlib. That
    connection is kept: closed, it had left the X server without a client, and a server that then resets (a bare
    Xvfb, Xorg without -noreset) refused the next connection for a moment: on a loaded machine the window's,
    which was then never fitted to the screen.
    """
    if not sys.platform.startswith("linux"):
        return None, None
    name = os.environ.get("DISPLAY")
    if not name:
        if os.environ.get("WAYLAND_DISPLAY"):
            return ("only a Wayland display is set, and OpenCV's window needs X11 (XWayland, with DISPLAY set, "
                    "would do)"), None
        return "no display available", None
    try:
        from Xlib import display as xdisplay
    except ImportError:  # cannot check: leave it to OpenCV
        return None, None
    try:
        return None, xdisplay.Display(name)
    except Exception as exc:  # Xlib's connection errors say what failed
        return _unreachable(name, exc), None


def _unreachable(name: str, exc: Exception) -> str:
    """Why the X display `name` could not be reached, in words (python-xlib gives an X server's refusal as bytes).
    An X server lets in its desktop's own user alone: the program run with sudo, or by another user, is refused."""
    reason = getattr(exc, "msg", None) or str(exc)
    reason = (reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)).strip()
    if "authorization" in reason.lower():
        try:
            let_in = f", or let this one in with xhost +SI:localuser:{getpass.getuser()}"
        except Exception:  # a user id without a name (a container run with --user 1234): xhost needs a name
            let_in = ""
        return (f"the X display '{name}' refused this program ({reason}; an X server lets in its desktop's own user: "
                f"run the program as that user rather than with sudo{let_in})")
    return f"the X display '{name}' cannot be reached ({reason or type(exc).__name__})"


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

    def __init__(self, connection=None):
        """`connection`: one to the X server already open (check_display's), else one is made."""
        self._connection = connection if connection is not None else _x_connection()
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

    def has_window_manager(self) -> bool:
        """Whether a window manager says it manages the screen (EWMH's _NET_SUPPORTING_WM_CHECK on the root window,
        naming a window of its own that is there): fullscreen is its to grant, and without one (a kiosk's bare X,
        started with xinit) Qt's fullscreen does nothing. True where X cannot be asked: left to Qt then."""
        if self._connection is None:
            return True
        try:
            from Xlib import X, error

            check = self._connection.intern_atom("_NET_SUPPORTING_WM_CHECK")
            said = self._connection.screen().root.get_full_property(check, X.AnyPropertyType)
            if not said or not len(said.value):
                return False
            try:  # a window manager that ended left its word on the root window, and its window is gone
                self._connection.create_resource_object("window", said.value[0]).get_geometry()
            except (error.BadWindow, error.BadDrawable):
                return False
            return True
        except Exception:  # the X server
            return True

    def window_hw(self, title: str) -> tuple[int, int] | None:
        """(height, width) of this process's window called `title` in the X server's pixels, which Qt's are not
        where it scales (QT_SCALE_FACTOR=2, a desktop that scales Qt programs for a HiDPI screen); None while the
        window is not found."""
        if self._connection is None:
            return None
        try:
            window = self._own_window(title)
            if window is None:
                return None
            size = window.get_geometry()
            return size.height, size.width
        except Exception:  # a window gone meanwhile, or the X server
            return None

    def wheel_down(self, title: str, notches: int) -> bool:
        """Turn the mouse wheel down by `notches` over this process's window `title`, as a mouse does, through X's
        test extension; only where the pointer is over the window, so that no other window gets the turns. False
        where it did not (the pointer elsewhere, no XTEST, the window not found)."""
        if self._connection is None:
            return False
        try:
            from Xlib import X
            from Xlib.ext import xtest

            window = self._own_window(title) if self._connection.has_extension("XTEST") else None
            if window is None:
                return False
            pointer, size = window.query_pointer(), window.get_geometry()
            if not (pointer.same_screen and 0 <= pointer.win_x < size.width and 0 <= pointer.win_y < size.height):
                return False
            for _ in range(notches):
                xtest.fake_input(self._connection, X.ButtonPress, 5)  # X's button 5: the wheel down
                xtest.fake_input(self._connection, X.ButtonRelease, 5)
            self._connection.flush()
            return True
        except Exception:  # a window gone meanwhile, or the X server
            return False

    def map_again_if_blank(self, title: str) -> bool:
        """Map this process's window `title` again where it shows nothing at all (every pixel black, looked at
        along BLANK_ROWS rows), though a picture was given to it: Qt 5.15 now and then misses the X server's
        first word that the window is on screen, on a busy machine, and then never paints it. Unmapped and mapped
        again, it gets that word once more (8 windows left black out of 60 under four busy loops, OpenCV alone,
        all painted after). Its window manager's states (fullscreen, above) are asked for again: unmapped, the
        window is the manager's no more, and it forgets them. True where it did; False where the window shows
        something, is not found, is not wholly on screen, or the X server is gone."""
        if self._connection is None:
            return False
        try:
            from Xlib import X

            window = self._own_window(title)
            if window is None or window.get_attributes().map_state != X.IsViewable:
                return False
            size = window.get_geometry()
            for row in range(0, size.height, max(1, size.height // BLANK_ROWS)):
                if any(window.get_image(0, row, size.width, 1, X.ZPixmap, 0xFFFFFF).data):  # wholly on screen
                    return False
            states = window.get_full_property(self._connection.intern_atom("_NET_WM_STATE"), X.AnyPropertyType)
            window.unmap()
            self._connection.sync()
            window.map()
            self._ask_states(window, list(states.value) if states else [])
            self._connection.flush()
            return True
        except Exception:  # part of the window off the screen (BadMatch), a window gone meanwhile, the X server
            return False

    def _ask_states(self, window, states: list[int]) -> None:
        """Ask the window manager to add `states` (_NET_WM_STATE's atoms) to `window`, two to a message, as EWMH
        has a client do for a window on screen: sent after its map request, they reach the manager after it."""
        from Xlib import X, protocol

        connection = self._connection
        root, message = connection.screen().root, connection.intern_atom("_NET_WM_STATE")
        for first in range(0, len(states), 2):
            pair = (states[first:first + 2] + [0])[:2]
            event = protocol.event.ClientMessage(window=window, client_type=message,
                                                 data=(32, [1, *pair, 1, 0]))  # 1: add; 1: from an application
            root.send_event(event, event_mask=X.SubstructureRedirectMask | X.SubstructureNotifyMask)

    def _own_window(self, title: str):
        """This process's top-level X window called `title`: among the window manager's list of windows, else
        among the root window's children (no window manager, or one that ended and left its list behind)."""
        from Xlib import X, error

        connection = self._connection
        root = connection.screen().root
        listed = root.get_full_property(connection.intern_atom("_NET_CLIENT_LIST"), X.AnyPropertyType)
        pid = connection.intern_atom("_NET_WM_PID")

        def own(window) -> bool:
            try:
                owner = window.get_full_property(pid, X.AnyPropertyType)
                return bool(owner) and owner.value[0] == os.getpid() and window.get_wm_name() in (title, title.encode())
            except (error.BadWindow, error.BadDrawable):  # gone: in the list of a window manager that ended
                return False

        for number in listed.value if listed else ():
            if own(window := connection.create_resource_object("window", number)):
                return window
        return next((window for window in root.query_tree().children if own(window)), None)

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:
                pass
            self._connection = None


def monitor_at(monitors: list[tuple[int, int, int, int]],
               rect_xywh: tuple[int, int, int, int] | None) -> tuple[int, int, int, int] | None:
    """(top, left, height, width) of the monitor a window at `rect_xywh` (x, y, width, height) is on: the one that
    holds its centre, else the one it covers most (a window dragged partly past the projector's far edge is still
    on the projector), else the first one (the primary, where a window on none is brought back: its projector
    unplugged); None where there are none."""
    if rect_xywh is not None:
        x, y, width, height = rect_xywh
        centre_y, centre_x = y + height // 2, x + width // 2
        for top, left, monitor_h, monitor_w in monitors:
            if top <= centre_y < top + monitor_h and left <= centre_x < left + monitor_w:
                return top, left, monitor_h, monitor_w

        def covered(monitor) -> int:
            top, left, monitor_h, monitor_w = monitor
            return (max(0, min(x + width, left + monitor_w) - max(x, left))
                    * max(0, min(y + height, top + monitor_h) - max(y, top)))

        most = max(monitors, key=covered, default=None)
        if most is not None and covered(most) > 0:
            return most
    return monitors[0] if monitors else None


def numbered(monitors: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """The monitors in the order --monitor counts them from 1: the primary first (a laptop's own screen), then the
    others from left to right (the projector beside it)."""
    return monitors[:1] + sorted(monitors[1:], key=lambda monitor: (monitor[1], monitor[0]))
