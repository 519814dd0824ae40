"""The window: fitted to the monitor it is on, followed onto another, fullscreen and back, and the mouse wheel."""

import os
import shutil
import subprocess
import sys
from contextlib import nullcontext

import cv2
import numpy as np
import pytest

from live.display import built_without_windows, fit_window, no_windows, notches_to_unzoom, qt_zoom, wheel_notches
from tests.conftest import ROOT, installed_distributions, window_manager, xvfb


# The lines of `cv2.getBuildInformation()` that name the window toolkit, as opencv-python-headless 5.0.0.93 and
# opencv-python 5.0.0.93 print them on Linux.
HEADLESS_BUILD = "  Video I/O:\n\n  GUI:                           NONE\n    VTK support:                 NO\n"
QT_BUILD = "  GUI:                           QT5\n    QT:                          YES (ver 5.15.19 )\n"


def test_an_opencv_without_windows_is_told_from_one_with_them():
    """opencv-python-headless, common on servers and in ML images, fails at namedWindow with OpenCV's hint to
    rebuild it from source: the build that has no windows is known before, and the sentence says what to install."""
    assert built_without_windows(HEADLESS_BUILD)
    assert not built_without_windows(QT_BUILD)
    assert not built_without_windows("  Media I/O:\n    ZLib: YES\n")  # a build that does not say: tried all the same
    builds = installed_distributions() & {"opencv-python", "opencv-python-headless"}
    if len(builds) == 1:  # both: the cv2 of whichever was installed last
        assert built_without_windows() == (builds == {"opencv-python-headless"}), builds  # this machine's OpenCV


def test_the_advice_for_an_opencv_without_windows_swaps_every_opencv_installed():
    """Every OpenCV package puts its cv2 in the same place: with one headless build left in, requirements.txt's
    opencv-python could still give a cv2 without windows, so each one installed is named to go first."""
    assert no_windows(["opencv-python-headless"]).endswith(
        "(opencv-python-headless, as servers and many ML images have): for the window, "
        "pip uninstall -y opencv-python-headless, then pip install -r requirements.txt")
    assert ("pip uninstall -y opencv-python opencv-contrib-python-headless, then pip install -r requirements.txt"
            in no_windows(["opencv-python", "opencv-contrib-python-headless"]))
    from_source = no_windows([])  # no package to uninstall: an OpenCV built from source or the system's
    assert "rebuild it with Qt or GTK" in from_source and "uninstall" not in from_source


def test_window_is_shrunk_to_fit_a_small_screen():
    assert fit_window((720, 1688), (1080, 1920)) == (720, 1688)
    height, width = fit_window((720, 1688), (720, 1280))
    assert height <= 0.9 * 720 and width <= 0.95 * 1280
    assert abs(width / height - 1688 / 720) < 0.01
    assert fit_window((720, 1688), None) == (720, 1688)


WINDOW_ON = """
import sys
import cv2
import numpy as np
from live.display import Window
window = Window("fit")
if len(sys.argv) > 1:  # put where the user dragged it before the canvas is shown
    cv2.moveWindow("fit", int(sys.argv[1]), int(sys.argv[2]))
    cv2.waitKey(100)
for _ in range(10):
    window.show(np.zeros((720, 2008, 3), np.uint8))  # a 16:9 video beside its mosaic, at --panel-height 720
    cv2.waitKey(20)
print(*cv2.getWindowImageRect("fit"))
"""


@pytest.mark.parametrize("where, monitor", [((), (0, 0, 1080, 1920)), (("2100", "40"), (0, 1920, 720, 1280))])
def test_a_window_is_fitted_to_the_monitor_it_is_on_not_to_the_whole_x_screen(two_monitors, where, monitor):
    """A laptop's screen and the projector beside it make one X screen 3200 pixels wide: a 16:9 video's window,
    2008 wide, was fitted to that, and straddled the two on stage. It is fitted to the monitor it is on, and
    put in its middle."""
    env = dict(os.environ, DISPLAY=two_monitors, PYTHONPATH=str(ROOT))
    shown = subprocess.run([sys.executable, "-c", WINDOW_ON, *where], env=env, capture_output=True, text=True,
                           timeout=60)
    assert shown.returncode == 0, shown.stderr
    x, y, width, height = map(int, shown.stdout.split())
    top, left, monitor_h, monitor_w = monitor
    assert (height, width) == fit_window((720, 2008), (monitor_h, monitor_w))
    assert width <= 0.95 * monitor_w and abs(width / height - 2008 / 720) < 0.01
    assert abs(x - (left + (monitor_w - width) // 2)) <= 2 and abs(y - (top + (monitor_h - height) // 2)) <= 2


@pytest.mark.parametrize("screen_hw", [(1080, 1920), (2160, 3840)])
def test_a_window_that_qt_scales_is_fitted_and_centred_in_the_screens_own_pixels(screen_hw):
    """Where Qt scales its windows (QT_SCALE_FACTOR=2, or a desktop's scaling for a HiDPI screen), the window was
    sized in Qt's pixels for a monitor measured in the X server's: 3648x1308 on a 1920x1080 screen, the mosaic
    off its edge. It is fitted and centred in Qt's pixels of the screen, so that on a 4K laptop's screen scaled
    by 2 it looks as large as on a 1920x1080 one: 3648 of its pixels wide, not 2008, half that to the eye."""
    with xvfb(f"{screen_hw[1]}x{screen_hw[0]}") as xserver:  # skipped without Xvfb, before Xlib is needed
        env = dict(os.environ, DISPLAY=xserver, PYTHONPATH=str(ROOT), QT_SCALE_FACTOR="2")
        shown = subprocess.Popen([sys.executable, "-c", WINDOW_ON + "import time; print(flush=True); time.sleep(30)"],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert shown.stdout.readline(), shown.stderr.read()  # Qt's own rect, then shown and waiting
            assert shown.stdout.readline() == "\n", shown.stderr.read()
            from Xlib import display as xdisplay

            connection = xdisplay.Display(xserver)
            root = connection.screen().root
            window = next(child for child in root.query_tree().children if child.get_wm_name() == "fit")
            geometry = window.get_geometry()
            connection.close()
        finally:
            shown.kill()
            shown.wait()
    height, width = (2 * side for side in fit_window((720, 2008), (screen_hw[0] // 2, screen_hw[1] // 2)))
    assert abs(geometry.width - width) <= 2 and abs(geometry.height - height) <= 2, (geometry.width, geometry.height)
    assert abs(geometry.x - (screen_hw[1] - width) // 2) <= 3 and abs(geometry.y - (screen_hw[0] - height) // 2) <= 3


FULLSCREEN_AND_BACK = """
import time
import cv2
import numpy as np
from live.display import Window
window = Window("back")

def shown(canvas, wanted=lambda rect: True, seconds=10):
    # at least half a second of frames, then until the window is where it should be (the window manager is slow
    # to move it on a busy machine), or 10 s: what it is then is printed, and the test says whether it is right
    deadline, frames = time.monotonic() + seconds, 0
    while True:
        window.show(canvas)
        cv2.waitKey(20)
        frames, rect = frames + 1, tuple(cv2.getWindowImageRect("back"))
        if frames >= 25 and (wanted(rect) or time.monotonic() > deadline):
            print(*rect, flush=True)
            return rect

video, portrait = np.zeros((720, 1687, 3), np.uint8), np.zeros((720, 1000, 3), np.uint8)
before = shown(video)
for canvas, back in ((video, lambda rect: rect == before),  # f, and f again: where it was
                     (portrait, lambda rect: rect[2:] == (1000, 720) and rect[:2] != (0, 0))):  # another shape
    window.set_fullscreen(True)
    shown(canvas, lambda rect: rect == (0, 0, 1920, 1080))
    window.set_fullscreen(False)
    shown(canvas, back)
"""


def test_a_window_leaves_fullscreen_where_it_was(managed_xserver):
    """f, then f again, put the window in the screen's top left corner: it was resized at once, which Qt's
    return to where it was did not survive. It goes back there; after a canvas of another shape (a slideshow's
    portrait photo), which needs the window resized, it is centred."""
    env = dict(os.environ, DISPLAY=managed_xserver, PYTHONPATH=str(ROOT))
    shown = subprocess.run([sys.executable, "-c", FULLSCREEN_AND_BACK], env=env, capture_output=True, text=True,
                           timeout=60)
    assert shown.returncode == 0, shown.stderr
    before, full, back, _, centred = [tuple(map(int, line.split())) for line in shown.stdout.splitlines()]
    assert full == (0, 0, 1920, 1080) and back == before and before[:2] != (0, 0), shown.stdout
    x, y, width, height = centred
    assert (width, height) == (1000, 720) and abs(x - 460) <= 2 and abs(y - 180) <= 2, shown.stdout


SHOWN_FOR = """
import subprocess
import sys
import time
import cv2
import numpy as np
from live.display import SETTLE_SECONDS, Window
from live.screen import MONITORS_SECONDS
window = Window("fit")
canvas = np.zeros((720, 2008, 3), np.uint8)

def shown_for(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        window.show(canvas)
        cv2.waitKey(20)
    return " ".join(map(str, cv2.getWindowImageRect("fit")))
"""


PROJECTOR_FULLSCREEN = SHOWN_FOR + """
cv2.moveWindow("fit", 2100, 40)  # dragged onto the projector
print(shown_for(SETTLE_SECONDS + 1))
window.set_fullscreen(True)  # f, on stage
print(shown_for(1.5))
window.set_fullscreen(False)
print(shown_for(1.5))
"""


@pytest.mark.parametrize("managed", [True, False], ids=["window manager", "bare X"])
def test_fullscreen_fills_the_projector_the_window_is_on(two_monitors, managed):
    """On stage the window is dragged onto the projector and made fullscreen with f: it fills the projector,
    not the laptop's screen nor the X screen the two make together, and comes back where it was. On an X server
    without a window manager (a kiosk's, started with xinit), where Qt's fullscreen does nothing, too."""
    env = dict(os.environ, DISPLAY=two_monitors, PYTHONPATH=str(ROOT))
    with window_manager(two_monitors) if managed else nullcontext():
        shown = subprocess.run([sys.executable, "-c", PROJECTOR_FULLSCREEN], env=env, capture_output=True, text=True,
                               timeout=60)
    assert shown.returncode == 0, shown.stderr
    fitted, full, back = [tuple(map(int, line.split())) for line in shown.stdout.splitlines() if line.strip()]
    assert (fitted[3], fitted[2]) == fit_window((720, 2008), (720, 1280)) and fitted[0] >= 1920, shown.stdout
    assert full == (1920, 0, 1280, 720) and back == fitted, shown.stdout


DRAGGED = SHOWN_FOR + """
print(shown_for(0.5))  # on the laptop's screen
for x in (1400, 1800, 2100):  # dragged onto the projector
    cv2.moveWindow("fit", x, 40)
    print(shown_for(0.15))
print(shown_for(SETTLE_SECONDS + 1))  # and left there
"""


def test_a_window_dragged_onto_the_projector_is_fitted_to_it_once_it_stays_there(two_monitors):
    """Fitted to the laptop's screen, then dragged onto a smaller projector, the window hung over its edge
    (on stage, over the laptop's screen beside it). It is fitted to the projector once it stays there, and not
    resized while it is being dragged."""
    env = dict(os.environ, DISPLAY=two_monitors, PYTHONPATH=str(ROOT))
    shown = subprocess.run([sys.executable, "-c", DRAGGED], env=env, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    rects = [tuple(map(int, line.split())) for line in shown.stdout.split("\n") if line.strip()]
    laptop_hw, projector_hw = fit_window((720, 2008), (1080, 1920)), fit_window((720, 2008), (720, 1280))
    assert [(height, width) for _, _, width, height in rects[:4]] == [laptop_hw] * 4  # not while dragged
    x, y, width, height = rects[-1]
    assert (height, width) == projector_hw
    assert 1920 <= x and x + width <= 3200 and 0 <= y and y + height <= 720  # on the projector, whole


RESHAPED = SHOWN_FOR + """
cv2.moveWindow("fit", 2100, 40)  # onto the projector
shown_for(SETTLE_SECONDS + 1)
canvas = np.zeros((720, 1000, 3), np.uint8)  # a slideshow's portrait photo: a narrower window
shown_for(0.5)
cv2.moveWindow("fit", 2200, 40)  # towards the projector's right edge
print(shown_for(SETTLE_SECONDS + 1))
canvas = np.zeros((720, 2008, 3), np.uint8)  # a landscape one again: the window grows
print(shown_for(SETTLE_SECONDS + 1))
cv2.moveWindow("fit", 2600, 40)  # dragged partly past the projector's far edge
print(shown_for(SETTLE_SECONDS + 1))
"""


def test_a_window_stays_whole_on_its_monitor_as_it_grows_and_on_it_when_dragged_partly_off(two_monitors):
    """A slideshow's landscape photo after a portrait one grew the window where it was, over the projector's edge.
    It is kept whole on the projector. Dragged with its centre past the projector's far edge, it was taken for a
    window on no monitor and brought back to the laptop's screen: it stays where it was put."""
    env = dict(os.environ, DISPLAY=two_monitors, PYTHONPATH=str(ROOT))
    shown = subprocess.run([sys.executable, "-c", RESHAPED], env=env, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    portrait, grown, dragged = [tuple(map(int, line.split())) for line in shown.stdout.splitlines() if line.strip()]
    assert portrait[:2] == (2200, 40) and portrait[0] + portrait[2] <= 3200, shown.stdout
    projector_hw = fit_window((720, 2008), (720, 1280))
    assert (grown[3], grown[2]) == projector_hw and 1920 <= grown[0] and grown[0] + grown[2] <= 3200, shown.stdout
    assert dragged == (2600, 40, projector_hw[1], projector_hw[0]), shown.stdout


RECENTRED = SHOWN_FOR + """
shown_for(SETTLE_SECONDS + 1)  # in the middle of the laptop's screen
canvas = np.zeros((720, 1000, 3), np.uint8)  # a slideshow's portrait photo
print(shown_for(SETTLE_SECONDS + 1))
cv2.moveWindow("fit", 50, 100)  # put elsewhere by the user
shown_for(SETTLE_SECONDS + 1)
canvas = np.zeros((720, 2008, 3), np.uint8)  # a landscape one
print(shown_for(SETTLE_SECONDS + 1))
"""


def test_a_window_left_in_the_middle_stays_there_through_a_slideshow(two_monitors):
    """A slideshow's portrait photo after a landscape one narrowed the window from its right side: a window left
    in the middle of the screen moved off it, photo by photo. It stays in the middle; one the user put elsewhere
    is resized where it is."""
    env = dict(os.environ, DISPLAY=two_monitors, PYTHONPATH=str(ROOT))
    shown = subprocess.run([sys.executable, "-c", RECENTRED], env=env, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    portrait, moved = [tuple(map(int, line.split())) for line in shown.stdout.splitlines() if line.strip()]
    x, y, width, height = portrait
    assert (width, height) == (1000, 720) and abs(x - 460) <= 2 and abs(y - 180) <= 2, shown.stdout
    assert moved[:2] == (50, 100) and (moved[3], moved[2]) == fit_window((720, 2008), (1080, 1920)), shown.stdout


CHANGED = SHOWN_FOR + """
def xrandr(*args):
    subprocess.run(["xrandr", *args], check=True, capture_output=True, timeout=10)

print(shown_for(0.5))  # on the laptop's screen, the only monitor at the start
if sys.argv[1] == "plugged":  # a projector plugged in beside the laptop, and the window dragged onto it
    xrandr("--output", "DUMMY1", "--mode", "1280x720", "--pos", "1920x0")
    cv2.moveWindow("fit", 2100, 40)
else:  # the laptop's screen set to the projector's 1024x768, to mirror onto it
    xrandr("--output", "DUMMY0", "--mode", "1024x768")
print(shown_for(MONITORS_SECONDS + SETTLE_SECONDS + 1))
"""


@pytest.mark.parametrize("change, monitor", [("plugged", (0, 1920, 720, 1280)), ("mirrored", (0, 0, 768, 1024))])
def test_a_monitor_plugged_in_or_changed_during_the_run_is_followed(two_monitors, change, monitor):
    """The monitors were listed once, when the window opened: a presenter who started the program on the laptop
    alone, then plugged in the projector and dragged the window onto it, got the laptop's size there, over the
    projector's edge; a laptop screen set to 1024x768 to mirror onto a projector kept a window too wide for it."""
    env = dict(os.environ, DISPLAY=two_monitors, PYTHONPATH=str(ROOT))
    subprocess.run(["xrandr", "--output", "DUMMY1", "--off"], env=env, check=True, capture_output=True, timeout=10)
    shown = subprocess.run([sys.executable, "-c", CHANGED, change], env=env, capture_output=True, text=True,
                           timeout=60)
    assert shown.returncode == 0, shown.stderr
    before, after = [tuple(map(int, line.split())) for line in shown.stdout.split("\n") if line.strip()]
    assert (before[3], before[2]) == fit_window((720, 2008), (1080, 1920))
    x, y, width, height = after
    top, left, monitor_h, monitor_w = monitor
    assert (height, width) == fit_window((720, 2008), (monitor_h, monitor_w))
    assert left <= x and x + width <= left + monitor_w and top <= y and y + height <= top + monitor_h  # whole on it


ASKED = """
import logging
import sys
import time
started = time.monotonic()
import cv2
import numpy as np
from live.display import Window
logging.basicConfig(level=logging.INFO, format="%(message)s")
window = Window("fit", fullscreen=sys.argv[1] == "fullscreen", monitor=int(sys.argv[2]))
# Until the window has kept its place and size for a second: on a loaded machine the window manager's
# fullscreen came after the half second that 25 frames took.
rect, since = None, time.monotonic()
while time.monotonic() - since < 1 and time.monotonic() - started < 20:
    window.show(np.zeros((720, 2008, 3), np.uint8))
    cv2.waitKey(20)
    if (now := cv2.getWindowImageRect("fit")) != rect:
        rect, since = now, time.monotonic()
print(*rect)
"""


@pytest.mark.parametrize("mode, number, scaled, managed", [
    ("window", 2, {}, True), ("fullscreen", 2, {}, True), ("window", 3, {}, True),
    ("fullscreen", 2, {"QT_SCREEN_SCALE_FACTORS": "DUMMY0=2;DUMMY1=1"}, True), ("fullscreen", 2, {}, False)])
def test_the_window_opens_on_the_monitor_asked_for(two_monitors, mode, number, scaled, managed):
    """--monitor 2 opens the window on the projector beside the laptop (with --fullscreen, fullscreen there), rather
    than on the laptop's screen, from where it had to be dragged across, out of fullscreen and back, on stage; also
    beside a HiDPI laptop's screen that Qt scales by 2, and on an X server without a window manager (a kiosk's).
    A monitor that is not there is said, and the window opens where it would have."""
    env = dict(os.environ, DISPLAY=two_monitors, PYTHONPATH=str(ROOT), **scaled)
    with window_manager(two_monitors) if managed else nullcontext():
        shown = subprocess.run([sys.executable, "-c", ASKED, mode, str(number)], env=env, capture_output=True,
                               text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    x, y, width, height = map(int, shown.stdout.split())
    if number == 2:
        assert shown.stderr.count("the window opens on monitor 2 of 2 (1280x720)") == 1, shown.stderr
    if mode == "fullscreen":
        assert (x, y, width, height) == (1920, 0, 1280, 720)
    elif number == 2:
        assert (height, width) == fit_window((720, 2008), (720, 1280)) and 1920 <= x and x + width <= 3200
    else:
        assert (height, width) == fit_window((720, 2008), (1080, 1920)) and x + width <= 1920
        assert "--monitor 3: this screen has 2 monitors" in shown.stderr


SCALED = SHOWN_FOR.replace('Window("fit")', 'Window("fit", monitor=int(sys.argv[1]) or None)') + """
from Xlib import display as xdisplay

connection = xdisplay.Display()
root = connection.screen().root

def x_rect():
    window = next(child for child in root.query_tree().children if child.get_wm_name() == "fit")
    at, size = root.translate_coords(window, 0, 0), window.get_geometry()
    return window, f"{at.x} {at.y} {size.width} {size.height}"

print(shown_for(1.5), "|", x_rect()[1], flush=True)
if sys.argv[2] == "dragged":  # onto the projector, as a person drags it: in the X server's pixels
    x_rect()[0].configure(x=2100, y=40)
    connection.flush()
    print(shown_for(SETTLE_SECONDS + 1.5), "|", x_rect()[1])
"""


@pytest.mark.parametrize("scaled, monitor, move", [
    ({"QT_SCALE_FACTOR": "2"}, 0, "dragged"), ({"QT_SCALE_FACTOR": "2"}, 2, "opened"),
    ({"QT_SCREEN_SCALE_FACTORS": "DUMMY0=2;DUMMY1=1"}, 0, "dragged"),
    ({"QT_SCREEN_SCALE_FACTORS": "DUMMY0=2;DUMMY1=1"}, 2, "opened"),
    ({"QT_SCREEN_SCALE_FACTORS": "DUMMY0=1;DUMMY1=2"}, 0, "dragged")])
def test_a_window_that_qt_scales_goes_onto_the_projector_fitted_to_it(two_monitors, scaled, monitor, move):
    """A HiDPI laptop's desktop has Qt scale its windows, by 2 on every monitor (QT_SCALE_FACTOR) or on the laptop's
    own screen alone (QT_SCREEN_SCALE_FACTORS, as KDE sets it). Qt puts each monitor at its own top-left corner
    in its pixels, scaled by its own factor: the window dragged onto the projector kept the laptop's size, over
    the projector's edge, and --monitor 2 opened it on the laptop's screen or at half the projector's size."""
    env = dict(os.environ, DISPLAY=two_monitors, PYTHONPATH=str(ROOT), **scaled)
    shown = subprocess.run([sys.executable, "-c", SCALED, str(monitor), move], env=env, capture_output=True,
                           text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    x, y, width, height = map(int, shown.stdout.splitlines()[-1].split("|")[1].split())  # in the X server's pixels
    projector_hw = fit_window((720, 2008), (720, 1280))
    assert abs(height - projector_hw[0]) <= 2 and abs(width - projector_hw[1]) <= 2, shown.stdout
    assert 1920 <= x and x + width <= 3200 and 0 <= y and y + height <= 720, shown.stdout  # whole on the projector


UNPLUGGED = SHOWN_FOR + """
cv2.moveWindow("fit", 2100, 40)  # on the projector
print(shown_for(SETTLE_SECONDS + 1))
subprocess.run(["xrandr", "--output", "DUMMY1", "--off"], check=True, capture_output=True, timeout=10)  # unplugged
print(shown_for(MONITORS_SECONDS + SETTLE_SECONDS + 1))
"""


def test_a_window_on_a_projector_that_is_unplugged_comes_back_onto_the_laptop(two_monitors):
    """The talk over, the projector's cable is pulled with the window still on it: the X screen shrinks to the
    laptop's, and the window, left beyond its edge, is brought back onto the laptop's screen and fitted to it."""
    env = dict(os.environ, DISPLAY=two_monitors, PYTHONPATH=str(ROOT))
    shown = subprocess.run([sys.executable, "-c", UNPLUGGED], env=env, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    on_projector, after = [tuple(map(int, line.split())) for line in shown.stdout.splitlines() if line.strip()]
    assert on_projector[0] >= 1920, shown.stdout
    x, y, width, height = after
    assert (height, width) == fit_window((720, 2008), (1080, 1920)), shown.stdout
    assert 0 <= x and x + width <= 1920 and 0 <= y and y + height <= 1080, shown.stdout  # whole on the laptop's


def test_the_wheel_turns_whole_notches_and_a_touchpad_s_small_steps_add_up():
    assert wheel_notches(120) == (1, 0) and wheel_notches(-240) == (-2, 0)  # a mouse: 120 a notch
    assert wheel_notches(40) == (0, 40) and wheel_notches(40 + 40 + 45) == (1, 5)  # a touchpad's steps
    assert wheel_notches(-130) == (-1, -10) and wheel_notches(-10 + 30) == (0, 20)  # back the other way


def test_the_zoom_of_qt_s_view_is_followed_as_qt_works_it_out():
    assert qt_zoom(1.0, 120) == pytest.approx(1.1) and qt_zoom(1.1, 120) == pytest.approx(1.21)  # a notch up
    assert qt_zoom(1.0, -120) == 1.0 and qt_zoom(1.1, -120) == pytest.approx(1.0)  # up and down again: whole
    assert qt_zoom(qt_zoom(1.0, 45), -120) <= 1  # back to the whole picture: at 1, or a rounding under, never over
    assert qt_zoom(1.21, -120) == pytest.approx(1.089) and qt_zoom(101.0, 120) == 101.0  # no further in past 100
    assert qt_zoom(1.0, 40) == pytest.approx(1 + 40 / 1200)  # a touchpad's small step zooms a little
    assert [notches_to_unzoom(zoom) for zoom in (1.0, 1.05, 1.1, 1.21, 1.1 ** 3)] == [0, 1, 1, 2, 3]


WHEEL_UP = """
import subprocess
import sys
import time
import cv2
import numpy as np
from live.display import Window
window = Window("wheel")
rows, columns = np.indices((400, 600))
canvas = np.dstack([columns % 256, rows % 256, (columns // 256) * 90 + (rows // 256) * 40]).astype(np.uint8)

def xdotool(*args):
    return subprocess.run(["xdotool", *args], capture_output=True, text=True, check=True).stdout

def shown_for(seconds, frozen=False):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        window.poll() if frozen else window.show(canvas)  # frozen: the same picture, only the events looked at
        time.sleep(0.02)

def geometry():
    ids = xdotool("search", "--name", "^wheel$").split()
    values = dict(line.split("=") for line in xdotool("getwindowgeometry", "--shell", ids[-1]).split())
    return ids[-1], len(ids), int(values["X"]), int(values["Y"]), int(values["WIDTH"]), int(values["HEIGHT"])

shown_for(1.5)
for frozen in (False, True):
    _, *before = geometry()
    over = before[1] + before[3] // 2 + 40 * frozen, before[2] + before[4] // 2  # --sync waits long if not moved
    xdotool("mousemove", "--sync", *map(str, over), "click", "--repeat", "3", "--delay", "60", "4")
    shown_for(1.5, frozen)
    found, *after = geometry()
    print(*before, "|", *after, "|", window.take_scroll(), flush=True)
    subprocess.run(["import", "-window", found, sys.argv[1] + str(int(frozen)) + ".png"], check=True)
np.save(sys.argv[1] + ".npy", canvas)
"""


@pytest.mark.skipif(shutil.which("import") is None or shutil.which("xdotool") is None,
                    reason="needs ImageMagick's import and xdotool (apt-get install imagemagick xdotool)")
def test_the_wheel_turned_up_leaves_the_picture_whole_where_it_was(managed_xserver, tmp_path):
    """OpenCV's Qt window zooms in by a tenth at each turn of the wheel up, which pages back through the channels:
    the picture was left cropped and enlarged, with an overview box in a corner. Three notches up, while pictures
    are shown and while the picture stays (frozen): the window shows the whole picture, at its place and size,
    and the turns are counted."""
    env = dict(os.environ, DISPLAY=managed_xserver, PYTHONPATH=str(ROOT))
    shown = subprocess.run([sys.executable, "-c", WHEEL_UP, str(tmp_path / "shot")], env=env, capture_output=True,
                           text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    canvas = np.load(tmp_path / "shot.npy")
    for frozen, line in enumerate(shown.stdout.splitlines()):
        before, after, notches = [list(map(int, part.split())) for part in line.split("|")]
        assert after == before and before[0] == 1 and notches == [3], line  # one window, where it was
        shot = cv2.imread(str(tmp_path / f"shot{frozen}.png"))
        assert shot.shape == canvas.shape and np.abs(shot.astype(int) - canvas).mean() < 2, (frozen, line)
