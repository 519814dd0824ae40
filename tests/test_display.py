"""Composing the canvas; fitting the window to the monitor it is on, and keeping the screen awake."""

import os
import subprocess
import sys

import numpy as np
import pytest

from live.display import CROP_MARK, Composer, XScreen, fit_window, monitor_at, wheel_notches
from live.tiler import BACKGROUND, MosaicLayout, colormap_lut
from tests.conftest import ROOT, _start_xvfb, extraction


def test_canvas_has_camera_left_and_mosaic_right():
    composer = Composer(panel_height=240)
    bgr = np.zeros((120, 160, 3), np.uint8)
    bgr[..., 2] = 255
    canvas = composer.compose(bgr, extraction(), MosaicLayout.for_count(4, 8, 8, 1), colormap_lut("gray"), [])
    assert canvas.shape[0] == 240 and canvas.shape[1] == 320 + 8 + 239  # tiles of 116, a gap of 7 (a 16th of one)
    assert (canvas[200, 100] == (0, 0, 255)).all()  # the camera picture, scaled
    assert (canvas[200, 340] == 200).all() and (canvas[120, 450] == BACKGROUND).all()  # a tile and a gap
    assert composer.tile_at(10, 340) == 0 and composer.tile_at(200, 560) == 3 and composer.tile_at(10, 10) is None


def test_corners_mark_what_the_model_sees_of_a_wide_picture():
    from live.preprocess import crop_box

    layout, lut = MosaicLayout.for_count(4, 8, 8, 1), colormap_lut("gray")
    wide = np.zeros((120, 160, 3), np.uint8)
    box = crop_box(wide.shape[:2], (224, 224))  # a square out of the middle: columns 20 to 140
    canvas = Composer(panel_height=240).compose(wide, extraction(), layout, lut, [], crop_box=box)
    marked = np.flatnonzero((canvas[:, :320] == CROP_MARK).all(axis=2).any(axis=0))
    assert marked.min() == 40 and marked.max() == 279  # inside the crop's 40..279 on the panel, to its edges
    assert (canvas[120, :320] == 0).all()  # corners only: the middle of each side is left alone
    square = np.zeros((120, 120, 3), np.uint8)
    canvas = Composer(panel_height=240).compose(square, extraction(), layout, lut, [],
                                                crop_box=crop_box(square.shape[:2], (224, 224)))
    assert (canvas[:, :240] == 0).all()  # the model sees all of it: nothing to mark


def test_camera_picture_scaled_elsewhere_is_copied_in_unchanged():
    """A worker's `scale_camera` picture gives the canvas that scaling in `compose` gives."""
    from live.display import scale_camera

    bgr = np.random.default_rng(5).integers(0, 256, (90, 120, 3), dtype=np.uint8)
    layout, lut = MosaicLayout.for_count(4, 8, 8, 1), colormap_lut("gray")
    here = Composer(panel_height=150).compose(bgr, extraction(), layout, lut, ["text"]).copy()
    picture = scale_camera(bgr, 150)
    assert picture.shape == (150, 200, 3)
    elsewhere = Composer(panel_height=150).compose(np.zeros_like(bgr), extraction(), layout, lut, ["text"],
                                                   picture=picture)
    assert np.array_equal(here, elsewhere)


def test_canvas_is_reused_frame_after_frame():
    composer = Composer(panel_height=120)
    layout = MosaicLayout.for_count(4, 8, 8, 1)
    first = composer.compose(np.zeros((60, 80, 3), np.uint8), extraction(), layout, colormap_lut("gray"), ["a"])
    second = composer.compose(np.zeros((60, 80, 3), np.uint8), extraction(), layout, colormap_lut("gray"), ["b"])
    assert first is second


def test_window_is_shrunk_to_fit_a_small_screen():
    assert fit_window((720, 1688), (1080, 1920)) == (720, 1688)
    height, width = fit_window((720, 1688), (720, 1280))
    assert height <= 0.9 * 720 and width <= 0.95 * 1280
    assert abs(width / height - 1688 / 720) < 0.01
    assert fit_window((720, 1688), None) == (720, 1688)


def test_screen_size_from_the_x_server(xserver, monkeypatch):
    monkeypatch.setitem(os.environ, "DISPLAY", xserver)
    assert listed_monitors() == [(0, 0, 1080, 1920)]
    monkeypatch.setitem(os.environ, "DISPLAY", ":999")  # no such server: the canvas keeps its size
    assert listed_monitors() == [] and monitor_at([], (10, 10)) is None


def listed_monitors() -> list[tuple[int, int, int, int]]:
    """The monitors as a window's XScreen lists them at its start."""
    screen = XScreen()
    try:
        return screen.monitors
    finally:
        screen.close()


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


def test_a_window_that_qt_scales_is_fitted_and_centred_in_the_screens_own_pixels(xserver):
    """Where Qt scales its windows (QT_SCALE_FACTOR=2, or a desktop's scaling for a HiDPI screen), the window was
    sized in Qt's pixels for a monitor measured in the X server's: 3648x1308 on a 1920x1080 screen, the mosaic
    off its edge. It is fitted and centred as on a screen without scaling."""
    from Xlib import display as xdisplay

    env = dict(os.environ, DISPLAY=xserver, PYTHONPATH=str(ROOT), QT_SCALE_FACTOR="2")
    shown = subprocess.Popen([sys.executable, "-c", WINDOW_ON + "import time; print(flush=True); time.sleep(30)"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert shown.stdout.readline(), shown.stderr.read()  # Qt's own rect, then shown and waiting
        assert shown.stdout.readline() == "\n", shown.stderr.read()
        connection = xdisplay.Display(xserver)
        root = connection.screen().root
        window = next(child for child in root.query_tree().children if child.get_wm_name() == "fit")
        geometry = window.get_geometry()
        connection.close()
    finally:
        shown.kill()
        shown.wait()
    height, width = fit_window((720, 2008), (1080, 1920))
    assert abs(geometry.width - width) <= 2 and abs(geometry.height - height) <= 2, (geometry.width, geometry.height)
    assert abs(geometry.x - (1920 - width) // 2) <= 3 and abs(geometry.y - (1080 - height) // 2) <= 3


FULLSCREEN_AND_BACK = """
import cv2
import numpy as np
from live.display import Window
window = Window("back")

def shown(canvas, frames=25):
    for _ in range(frames):
        window.show(canvas)
        cv2.waitKey(20)
    print(*cv2.getWindowImageRect("back"), flush=True)

video, portrait = np.zeros((720, 1687, 3), np.uint8), np.zeros((720, 1000, 3), np.uint8)
shown(video)
for canvas in (video, portrait):  # f, and f again: the second time a canvas of another shape came meanwhile
    window.set_fullscreen(True)
    shown(canvas)
    window.set_fullscreen(False)
    shown(canvas)
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
from live.display import MONITORS_SECONDS, SETTLE_SECONDS, Window
window = Window("fit")
canvas = np.zeros((720, 2008, 3), np.uint8)

def shown_for(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        window.show(canvas)
        cv2.waitKey(20)
    return " ".join(map(str, cv2.getWindowImageRect("fit")))
"""

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


CHANGED = SHOWN_FOR + """
def xrandr(*args):
    subprocess.run(["xrandr", *args], check=True, capture_output=True, timeout=10)

print(shown_for(0.5))  # on the laptop's screen, the only monitor at the start
if sys.argv[1] == "plugged":  # a projector plugged in beside the laptop, and the window dragged onto it
    xrandr("--setmonitor", "projector", "1280/338x720/190+1920+0", "none")
    cv2.moveWindow("fit", 2100, 40)
else:  # the laptop's screen set to the projector's 1024x768, to mirror onto it
    xrandr("--delmonitor", "laptop")
    xrandr("--setmonitor", "*laptop", "1024/270x768/203+0+0", "DUMMY0")
print(shown_for(MONITORS_SECONDS + SETTLE_SECONDS + 1))
"""


@pytest.mark.parametrize("change, monitor", [("plugged", (0, 1920, 720, 1280)), ("mirrored", (0, 0, 768, 1024))])
def test_a_monitor_plugged_in_or_changed_during_the_run_is_followed(two_monitors, change, monitor):
    """The monitors were listed once, when the window opened: a presenter who started the program on the laptop
    alone, then plugged in the projector and dragged the window onto it, got the laptop's size there, over the
    projector's edge; a laptop screen set to 1024x768 to mirror onto a projector kept a window too wide for it."""
    env = dict(os.environ, DISPLAY=two_monitors, PYTHONPATH=str(ROOT))
    subprocess.run(["xrandr", "--delmonitor", "projector"], env=env, check=True, capture_output=True, timeout=10)
    shown = subprocess.run([sys.executable, "-c", CHANGED, change], env=env, capture_output=True, text=True,
                           timeout=60)
    assert shown.returncode == 0, shown.stderr
    before, after = [tuple(map(int, line.split())) for line in shown.stdout.split("\n") if line.strip()]
    assert (before[3], before[2]) == fit_window((720, 2008), (1080, 1920))
    x, y, width, height = after
    top, left, monitor_h, monitor_w = monitor
    assert (height, width) == fit_window((720, 2008), (monitor_h, monitor_w))
    assert left <= x and x + width <= left + monitor_w and top <= y and y + height <= top + monitor_h  # whole on it


def test_the_monitors_of_one_x_screen_are_listed_each(two_monitors, monkeypatch):
    monkeypatch.setitem(os.environ, "DISPLAY", two_monitors)
    monitors = listed_monitors()
    assert monitors == [(0, 0, 1080, 1920), (0, 1920, 720, 1280)]  # the primary, the laptop's, first
    assert monitor_at(monitors, (400, 2500)) == (0, 1920, 720, 1280)
    assert monitor_at(monitors, (400, 900)) == (0, 0, 1080, 1920)
    assert monitor_at(monitors, None) == monitor_at(monitors, (-5, 4000)) == (0, 0, 1080, 1920)  # not known, or off all


AWAKE = """
import time
import cv2
import numpy as np
import live.display
live.display.AWAKE_SECONDS = 0.5  # the screen saver comes on after 2 s in this test, not minutes
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
    from Xlib import X
    from Xlib import display as xdisplay
    from Xlib.ext import screensaver

    display, server = _start_xvfb()
    try:
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
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert moving.state == screensaver.StateOff and moving.idle < 1500, (moving.state, moving.idle)  # 3.5 s of frames
    assert frozen.state == screensaver.StateOn and frozen.idle > 3000, (frozen.state, frozen.idle)


def test_overlay_text_is_blended_like_opencv_draws_it_on_a_darkened_band():
    import cv2

    from live.display import FONT, _outlined

    picture = np.random.default_rng(3).integers(0, 256, (60, 400, 3), dtype=np.uint8)
    text, origin, color = "block1_conv1 | 143.0 FPS", (10, 30), (80, 255, 80)
    ours = picture.copy()
    _outlined(ours, text, origin, 0.6, color)
    (width, height), baseline = cv2.getTextSize(text, FONT, 0.6, 1)
    expected = picture.copy()
    band = expected[30 - height - 4:30 + baseline + 2, 7:10 + width + 3]
    band //= 3
    cv2.putText(expected, text, origin, FONT, 0.6, color, 1, cv2.LINE_AA)
    difference = np.abs(ours.astype(int) - expected)
    assert np.percentile(difference, 99) <= 4 and difference.mean() < 0.5
    assert (ours[:30 - height - 4] == picture[:30 - height - 4]).all()  # nothing outside the band changes
    assert (difference[:, 10 + width + 3:] == 0).all()


def test_the_text_fits_on_a_4_3_camera_picture_at_every_panel_height():
    """The longest usual first line stays on the camera picture down to --panel-height 240, its smallest, and
    keeps its full size from 480 up. Maps of 0 draw a black mosaic, so any bright pixel there is text."""
    line = "mobilenet_v2 | block_16_project_BN 7x7x320 | page 1/5 | mean | percentile | gray"
    layout, lut = MosaicLayout.for_count(4, 8, 8, 0), colormap_lut("gray")
    zero = extraction(level=0)
    widths = {}
    for panel_height in (240, 360, 480, 720):
        composer = Composer(panel_height)
        canvas = composer.compose(np.zeros((480, 640, 3), np.uint8), zero, layout, lut, [line, "30.1 FPS"])
        bright = np.flatnonzero((canvas.max(axis=2) > 150).any(axis=0))
        assert bright.max() < composer.camera_w, panel_height  # nothing spills onto the mosaic
        widths[panel_height] = bright.max()
    assert widths[480] == widths[720] > widths[360] > widths[240]


@pytest.mark.parametrize("shown_scale, zoom", [(None, 1.0), (2.0, 1.0), (1.0, 1.0), (0.85, 1.0), (0.77, 1.1),
                                               (0.58, 1.5), (0.3, 1.6)])
def test_the_text_of_a_canvas_shown_smaller_is_drawn_larger(shown_scale, zoom):
    """A 1687-pixel canvas on a 1024x768 projector is shown at 0.58 of its size (a 1366x768 laptop: 0.77)."""
    from live.display import text_zoom

    assert text_zoom(shown_scale) == zoom


@pytest.mark.parametrize("frame_hw, grows", [((480, 640), True), ((480, 480), True), ((640, 480), False)])
def test_larger_text_still_fits_on_the_camera_picture(frame_hw, grows):
    """Drawn larger for a small screen, a long first line stays on the camera picture: as large as asked on a
    4:3 one, less on a square one, and its own size on a portrait one, which it already overfills."""
    layout, lut = MosaicLayout.for_count(4, 8, 8, 0), colormap_lut("gray")
    zero = extraction(level=0)
    composer = Composer(720)
    lines = ["mobilenet_v2 | block_16_project_BN 7x7x320 | page 1/5 | mean | percentile | gray", "30.1 FPS"]

    def text_width():
        canvas = composer.compose(np.zeros((*frame_hw, 3), np.uint8), zero, layout, lut, lines)
        bright = np.flatnonzero((canvas.max(axis=2) > 150).any(axis=0))
        assert bright.max() < composer.camera_w or not grows  # nothing spills onto the mosaic
        return bright.max()

    plain = text_width()
    assert composer.set_text_zoom(1.5) == grows and not composer.set_text_zoom(1.5)  # changed once
    larger = text_width()
    if frame_hw == (480, 640):
        assert 1.45 < larger / plain < 1.55
    else:
        assert larger > plain if grows else larger == plain


@pytest.mark.parametrize("count, size, grows", [(64, 224, True), (256, 56, False)])
def test_channel_numbers_grow_with_the_text_as_far_as_their_tiles_allow(count, size, grows):
    """On a small screen the channel numbers (l) grow with the rest of the text, on 8 x 8 tiles of 90 pixels;
    on 16 x 16 tiles of 45 a larger number would cover its tile, and they keep their size."""
    maps = extraction(count, size, level=0)
    layout, lut = MosaicLayout.for_count(count, size, size, 1), colormap_lut("gray")
    heights = []
    for zoom in (1.0, 1.5):
        composer = Composer(720)
        composer.set_text_zoom(zoom)
        canvas = composer.compose(np.zeros((480, 640, 3), np.uint8), maps, layout, lut, [],
                                  labels={tile: str(tile) for tile in range(count)})
        first = canvas[:composer.mosaic_h // layout.rows, composer.mosaic_x:composer.mosaic_x + 40]  # the label 0
        heights.append(np.flatnonzero((first.max(axis=2) > 150).any(axis=1)).size)
    assert heights[1] > 1.3 * heights[0] if grows else heights[1] == heights[0], heights


def test_the_help_stays_below_the_lines_of_text_where_it_fits():
    """The help box was centred on the picture's height: at --panel-height 360 it covered a third line of text (a
    slideshow's `image 2/3: cat.jpg`). It now starts below the text when there is room, and still fits at 240."""
    layout, lut = MosaicLayout.for_count(4, 8, 8, 0), colormap_lut("gray")
    lines = ["vgg16 | block1_conv1 224x224x64", "30.1 FPS", "image 2/3: cat.jpg"]
    for panel_height in (240, 360, 720):
        bright = np.full((480, 640, 3), 255, np.uint8)  # the help darkens what is under its box
        composer = Composer(panel_height)
        plain = composer.compose(bright, extraction(), layout, lut, lines).copy()
        helped = composer.compose(bright, extraction(), layout, lut, lines, show_help=True)
        darkened = np.flatnonzero((helped[:, :composer.camera_w] != plain[:, :composer.camera_w]).any(axis=(1, 2)))
        assert darkened.size and darkened.max() < panel_height, panel_height  # the whole box is on the picture
        if panel_height >= 360:
            assert darkened.min() > composer._line * len(lines), panel_height  # under the third line


def test_the_camera_picture_is_at_most_2_4_panel_heights_wide():
    """A 16:9 or 21:9 picture fills the panel's height; a wider one (a phone's panorama) is scaled to 2.4 panel
    heights wide, whole, rather than made as wide as the panel's height would have it."""
    from live.display import MAX_PICTURE_ASPECT, camera_panel_hw

    assert MAX_PICTURE_ASPECT == 2.4
    assert camera_panel_hw((480, 640), 720) == (720, 960)
    assert camera_panel_hw((720, 1280), 720) == (720, 1280)
    assert camera_panel_hw((1080, 2560), 720) == (720, 1707)  # 21:9
    assert camera_panel_hw((1000, 4000), 720) == (432, 1728)  # 4:1
    assert camera_panel_hw((50, 10000), 720) == (9, 1728)  # 200:1, which made a canvas of 144,000 pixels
    assert camera_panel_hw((8000, 40), 720) == (720, 4)  # tall and thin: its own width


def test_a_panorama_sits_whole_in_the_middle_of_its_panel_with_its_marks_and_focus():
    from live.display import scale_camera
    from live.preprocess import crop_box

    layout, lut = MosaicLayout.for_count(4, 8, 8, 1), colormap_lut("gray")
    panorama = np.zeros((100, 1000, 3), np.uint8)
    panorama[..., 1] = 255
    box = crop_box(panorama.shape[:2], (224, 224))  # the middle square: columns 450 to 550
    composer = Composer(panel_height=240)
    canvas = composer.compose(panorama, extraction(), layout, lut, [], crop_box=box).copy()
    assert canvas.shape[:2] == (240, 576 + 8 + 239)
    green = np.flatnonzero((canvas[:, :576] == (0, 255, 0)).all(axis=2).any(axis=1))
    assert green.min() == 91 and green.max() == 91 + 58 - 1  # 58 rows high, centred: 91 black rows above
    assert (canvas[:91, :576] == 0).all() and (canvas[91 + 58:, :576] == 0).all()
    marked = np.flatnonzero((canvas[:, :576] == CROP_MARK).all(axis=2).any(axis=1))
    assert marked.min() >= 91 and marked.max() < 91 + 58  # the crop's corners, on the picture
    # Scaled by a worker, the picture is copied into the same place.
    elsewhere = Composer(panel_height=240).compose(np.zeros_like(panorama), extraction(), layout, lut, [],
                                                   crop_box=box, picture=scale_camera(panorama, 240))
    assert np.array_equal(canvas, elsewhere)
    # In focus, the channel's heat map covers the model's square of the picture, and nothing outside the picture.
    focused = composer.compose(panorama, extraction(), layout, lut, [], focus_column=0, crop_box=box)
    changed = np.argwhere((focused[:, :576] != canvas[:, :576]).any(axis=2))
    assert changed[:, 0].min() >= 91 and changed[:, 0].max() < 91 + 58
    assert changed[:, 1].min() >= 259 and changed[:, 1].max() <= 317  # 450/1000 and 550/1000 of 576


def test_nothing_of_the_help_or_the_text_stays_after_them_beside_a_portrait_photo_or_a_panorama():
    """The help box is wider than a portrait photo's panel: hidden again, its right end stayed in the strip
    between the pictures. Over a panorama the text sits on black, which was never drawn again."""
    layout, lut = MosaicLayout.for_count(4, 8, 8, 1), colormap_lut("gray")
    for shape in ((800, 600), (1000, 400), (50, 10000)):
        picture = np.full((*shape, 3), 128, np.uint8)
        composer = Composer(panel_height=720)
        before = composer.compose(picture, extraction(), layout, lut, ["vgg16"]).copy()
        composer.compose(picture, extraction(), layout, lut, ["vgg16"], show_help=True)
        composer.compose(picture, extraction(), layout, lut, ["vgg16 | 29.9 FPS", "a second line"], "a message")
        after = composer.compose(picture, extraction(), layout, lut, ["vgg16"])
        assert np.array_equal(before, after), shape


def test_the_wheel_turns_whole_notches_and_a_touchpad_s_small_steps_add_up():
    assert wheel_notches(120) == (1, 0) and wheel_notches(-240) == (-2, 0)  # a mouse: 120 a notch
    assert wheel_notches(40) == (0, 40) and wheel_notches(40 + 40 + 45) == (1, 5)  # a touchpad's steps
    assert wheel_notches(-130) == (-1, -10) and wheel_notches(-10 + 30) == (0, 20)  # back the other way
