"""The X server behind the window: its monitors, one by one, the screen kept awake, the wheel turned over the
window, and a window left unpainted mapped again."""

import os
import shutil
import subprocess
import sys
import time

import pytest

from live.screen import XScreen, monitor_at, numbered
from tests.conftest import ROOT, window_manager, xvfb


def test_screen_size_from_the_x_server(xserver, monkeypatch):
    monkeypatch.setitem(os.environ, "DISPLAY", xserver)
    assert listed_monitors() == [(0, 0, 1080, 1920)]
    monkeypatch.setitem(os.environ, "DISPLAY", ":999")  # no such server: the canvas keeps its size
    assert listed_monitors() == [] and monitor_at([], (10, 10, 100, 100)) is None


def listed_monitors() -> list[tuple[int, int, int, int]]:
    """The monitors as a window's XScreen lists them at its start."""
    screen = XScreen()
    try:
        return screen.monitors
    finally:
        screen.close()


def test_the_x_server_keeps_a_client_from_the_display_check_to_the_window(projector_xserver, monkeypatch):
    """The check that a display can be reached closed its connection, leaving a bare Xvfb without a client: it
    then resets, and refused the window's own connection for a moment. On a loaded machine the window was then
    never fitted to the screen (1687 pixels wide on a 1024x768 projector). Clients are counted with X-Resource."""
    from Xlib import display as xdisplay

    from live import screen

    monkeypatch.setitem(os.environ, "DISPLAY", projector_xserver)
    observer = xdisplay.Display(projector_xserver)

    def clients() -> int:  # connected now, the server's own (resource base 0) left out
        return sum(client.resource_base != 0 for client in observer.res_query_clients().clients)

    try:
        problem, connection = screen.check_display()
        assert problem is None and clients() == 2  # the observer and the check's, still open
        window_screen = screen.XScreen(connection)
        assert clients() == 2  # the window's is that same one
        assert window_screen.monitors == [(0, 0, 768, 1024)]
        window_screen.close()
        assert clients() == 1
    finally:
        observer.close()


def test_the_monitors_of_one_x_screen_are_listed_each(two_monitors, monkeypatch):
    monkeypatch.setitem(os.environ, "DISPLAY", two_monitors)
    monitors = listed_monitors()
    assert monitors == [(0, 0, 1080, 1920), (0, 1920, 720, 1280)]  # the primary, the laptop's, first
    assert monitor_at(monitors, (2400, 300, 200, 200)) == (0, 1920, 720, 1280)  # (x, y, width, height)
    assert monitor_at(monitors, (800, 300, 200, 200)) == (0, 0, 1080, 1920)
    # Its centre past the projector's far edge, or below its foot: still on the projector, which it covers most.
    assert monitor_at(monitors, (2800, 100, 1216, 519)) == monitor_at(monitors, (2000, 600, 800, 400)) == monitors[1]
    off_all = (4000, -5, 100, 100)
    assert monitor_at(monitors, None) == monitor_at(monitors, off_all) == (0, 0, 1080, 1920)  # not known, or off all


AWAKE = """
import time
import cv2
import numpy as np
import live.display
import live.screen
live.screen.AWAKE_SECONDS = 0.5  # the screen saver comes on after 2 s in this test, not minutes
window = live.display.Window("awake")
end = time.monotonic() + 3.5
while time.monotonic() < end:  # moving pictures
    window.show(np.full((240, 320, 3), int(end - time.monotonic()) * 60, np.uint8))
    cv2.waitKey(30)
print("shown", flush=True)
end = time.monotonic() + 3.5
while time.monotonic() < end:  # frozen: the same picture, only the keys looked at
    window.poll()
    cv2.waitKey(30)
"""


def test_the_screen_is_kept_awake_while_the_pictures_move_not_while_frozen():
    """A presenter talks in front of the camera and touches nothing: the screen saver (or the monitor's power
    saving) blanked the demo after its timeout. While pictures move, the X server's idle clock is reset, as a
    video player does while it plays; frozen, it is not, as a paused player's is not."""
    with xvfb() as display:  # skipped without Xvfb, before Xlib is needed
        from Xlib import X
        from Xlib import display as xdisplay
        from Xlib.ext import screensaver

        connection = xdisplay.Display(display)
        connection.set_screen_saver(2, 0, X.DefaultBlanking, X.DefaultExposures)  # on after 2 s without input
        connection.sync()
        root = connection.screen().root
        env = dict(os.environ, DISPLAY=display, PYTHONPATH=str(ROOT))
        shown = subprocess.Popen([sys.executable, "-c", AWAKE], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
        assert shown.stdout.readline().strip() == "shown", shown.stderr.read()
        moving = root.screensaver_query_info()
        assert shown.wait(timeout=30) == 0, shown.stderr.read()
        frozen = root.screensaver_query_info()
        connection.close()
    assert moving.state == screensaver.StateOff and moving.idle < 1500, (moving.state, moving.idle)  # 3.5 s of frames
    assert frozen.state == screensaver.StateOn and frozen.idle > 3000, (frozen.state, frozen.idle)


WHEEL_DOWN = """
import subprocess
import cv2
import numpy as np
from live.display import Window
from live.screen import XScreen
window = Window("turned")
for _ in range(20):
    window.show(np.zeros((300, 400, 3), np.uint8))
    cv2.waitKey(20)
x, y, width, height = cv2.getWindowImageRect("turned")
screen = XScreen()
subprocess.run(["xdotool", "mousemove", "--sync", str(x + width + 50), str(y + height + 50)], check=True)
outside = screen.wheel_down("turned", 1)
subprocess.run(["xdotool", "mousemove", "--sync", str(x + width // 2), str(y + height // 2)], check=True)
inside = screen.wheel_down("turned", 2)
for _ in range(20):
    window.poll()
    cv2.waitKey(20)
print(outside, inside, window.take_scroll())
"""


@pytest.mark.skipif(shutil.which("xdotool") is None, reason="needs xdotool (apt-get install xdotool)")
def test_the_wheel_is_turned_over_the_window_only_while_the_pointer_is_over_it(xserver):
    """The turns down that undo Qt's zoom go where the pointer is: sent only while it is over the window, so that
    no other window (the presenter's notes beside it) is scrolled by them."""
    env = dict(os.environ, DISPLAY=xserver, PYTHONPATH=str(ROOT))
    turned = subprocess.run([sys.executable, "-c", WHEEL_DOWN], env=env, capture_output=True, text=True, timeout=60)
    assert turned.returncode == 0, turned.stderr
    assert turned.stdout.split() == ["False", "True", "-2"], turned.stdout  # the window got the two turns down


MAPPED_AGAIN = """
import cv2
import numpy as np
from live.display import Window
from live.screen import XScreen
window, screen = Window("painted"), XScreen()

def shown(canvas):
    for _ in range(25):
        window.show(canvas)
        cv2.waitKey(20)
    return screen.map_again_if_blank("painted")

def mapped_again_each_time(canvas):
    # False once the window is left alone: once Qt has painted it, which under load may take more than 25 frames,
    # or happen only once it was mapped again (Qt missed the X server's word, which the program is for)
    return all(shown(canvas) for _ in range(5))

picture = np.full((300, 400, 3), (40, 120, 200), np.uint8)
print(mapped_again_each_time(picture), shown(np.zeros_like(picture)), mapped_again_each_time(picture),
      window.closed())
"""


def test_a_window_that_shows_nothing_is_mapped_again_and_one_that_shows_a_picture_is_left(xserver):
    """Qt now and then leaves its window unpainted for the whole run on a busy machine, having missed the X
    server's word that it is on screen: at the start, a window that shows nothing is unmapped and mapped again,
    which gives it that word once more. Here a black picture stands for the unpainted window: mapped again, and
    painted after with the next picture; a window that shows its picture is left alone."""
    env = dict(os.environ, DISPLAY=xserver, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", MAPPED_AGAIN], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True", "False", "False"], done.stdout


FULLSCREEN_MAPPED_AGAIN = """
import time
import cv2
import numpy as np
from live.display import Window
from live.screen import XScreen
window, screen = Window("full"), XScreen()

def shown(wanted, seconds=10):
    deadline = time.monotonic() + seconds
    while True:  # until the window manager has done it, or 10 s: the test says whether it did
        window.show(np.zeros((720, 1280, 3), np.uint8))
        cv2.waitKey(20)
        rect = tuple(cv2.getWindowImageRect("full"))
        if rect == wanted or time.monotonic() > deadline:
            return " ".join(map(str, rect))

window.set_fullscreen(True)
print(shown((0, 0, 1920, 1080)), screen.map_again_if_blank("full"), sep=";")
print(shown((0, 0, 1920, 1080), seconds=3))
"""


def test_a_fullscreen_window_mapped_again_stays_fullscreen(managed_xserver):
    """Unmapped, a window is its window manager's no more, which forgets that it was fullscreen: a presenter's
    --fullscreen window that Qt left unpainted came back painted, but as a window. Its states are asked for again."""
    env = dict(os.environ, DISPLAY=managed_xserver, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", FULLSCREEN_MAPPED_AGAIN], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["0 0 1920 1080;True", "0 0 1920 1080"], done.stdout


def test_a_window_manager_is_told_from_one_that_ended_or_none():
    """Fullscreen is the window manager's to grant, and the window makes itself as large as its monitor only where
    there is none: one that ended leaves its word on the root window, naming a window that is gone."""
    with xvfb() as display:  # skipped without Xvfb, before Xlib is needed; of its own: left with that word
        from Xlib import display as xdisplay

        screen = XScreen(xdisplay.Display(display))
        bare = screen.has_window_manager()
        with window_manager(display):
            managed = screen.has_window_manager()
        deadline = time.monotonic() + 5  # its window is gone once the X server has seen it go
        while screen.has_window_manager() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (bare, managed, screen.has_window_manager()) == (False, True, False)
        screen.close()


def leave_a_crashed_window_managers_list(display: str) -> None:
    """The root window's list of windows as a window manager killed with a window of its list leaves it: naming a
    window that is gone by now (openbox, ended by SIGTERM, empties its list; killed, it leaves it as it was)."""
    from Xlib import Xatom
    from Xlib import display as xdisplay

    connection = xdisplay.Display(display)
    root = connection.screen().root
    gone = root.create_window(0, 0, 10, 10, 0, connection.screen().root_depth)
    gone.destroy()
    root.change_property(connection.intern_atom("_NET_CLIENT_LIST"), Xatom.WINDOW, 32, [gone.id])
    connection.close()


@pytest.mark.parametrize("ended", ["by SIGTERM", "killed"])
def test_a_window_is_found_after_its_window_manager_ended(ended):
    """A window manager that ended leaves its list of windows on the root window, empty or (killed) naming
    windows that are gone: the window was looked for there only, never found, and a window that Qt left
    unpainted stayed so."""
    with xvfb() as display:  # of its own: left with that list
        with window_manager(display):
            pass
        if ended == "killed":
            leave_a_crashed_window_managers_list(display)
        env = dict(os.environ, DISPLAY=display, PYTHONPATH=str(ROOT))
        done = subprocess.run([sys.executable, "-c", MAPPED_AGAIN], env=env, capture_output=True, text=True,
                              timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True", "False", "False"], done.stdout


def test_monitor_numbers_count_the_primary_first_then_the_others_from_the_left():
    laptop, right, middle = (0, 0, 1080, 1920), (0, 2944, 720, 1280), (0, 1920, 768, 1024)
    assert numbered([laptop, right, middle]) == [laptop, middle, right]
    assert numbered([]) == [] and numbered([right]) == [right]
