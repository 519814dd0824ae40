"""Composing the canvas: the camera picture, the mosaic beside it, and the text over them."""

import numpy as np
import pytest

from live.compose import CROP_MARK, TEXT_SCALE, Composer, text_zoom
from live.tiler import BACKGROUND, MosaicLayout, colormap_lut
from tests.conftest import extraction


def test_canvas_has_camera_left_and_mosaic_right():
    composer = Composer(panel_height=240)
    bgr = np.zeros((120, 160, 3), np.uint8)
    bgr[..., 2] = 255
    canvas = composer.compose(bgr, extraction(), MosaicLayout.for_count(4, 8, 8, 1), colormap_lut("gray"), [])
    assert canvas.shape[0] == 240 and canvas.shape[1] == 320 + 8 + 239  # tiles of 116, a gap of 7 (a 16th of one)
    assert (canvas[200, 100] == (0, 0, 255)).all()  # the camera picture, scaled
    assert (canvas[200, 340] == 200).all() and (canvas[120, 450] == BACKGROUND).all()  # a tile and a gap
    assert composer.tile_at(10, 340) == 0 and composer.tile_at(200, 560) == 3 and composer.tile_at(10, 10) is None


def test_the_loading_card_has_the_size_of_the_first_mosaic_s_canvas_and_says_what_loads():
    """While the model loads, the window shows the source's picture and, where the mosaic will be, what is loading;
    the size of VGG16's first canvas (64 maps of 224x224, 8x8), so that the window keeps its size when it comes."""
    from live.compose import loading_canvas

    bgr = np.zeros((480, 640, 3), np.uint8)
    bgr[..., 2] = 255
    first = Composer(panel_height=720).compose(bgr, extraction(64, 224), MosaicLayout.for_count(64, 224, 224, 1),
                                               colormap_lut("gray"), [])
    card = loading_canvas(bgr, bgr.shape[:2], 720, ["loading vgg16", "TensorFlow and the model: 3 s", "q quits"])
    assert card.shape == first.shape == (720, 960 + 8 + 719, 3)  # 8 tiles of 89 and 7 gaps of 1
    assert (card[:, :960] == (0, 0, 255)).all(axis=2).mean() > 0.99  # the picture, scaled to its panel
    words = card[:, 968:].max(axis=2) > 128
    assert 0.002 < words.mean() < 0.05 and not words[:200].any() and not words[-200:].any()  # text, in the middle
    empty = loading_canvas(None, (480, 640), 720, ["loading vgg16"])  # a video file's: black, of its shape
    assert empty.shape == card.shape and not empty[:, :960].any()


def test_the_loading_card_s_text_is_drawn_larger_for_a_window_shown_small():
    """On a 1024x768 projector the card is shown at 0.58 of its size: its text is drawn as much larger as the
    running window's (text_zoom), else its smaller lines were 9 pixels high there."""
    from live.compose import loading_canvas

    lines = ["loading vgg16", "TensorFlow and the model: 3 s", "q quits"]
    heights = []
    for zoom in (1.0, text_zoom(0.58)):
        words = loading_canvas(None, (480, 640), 720, lines, zoom)[:, 968:].max(axis=2) > 128
        rows = np.flatnonzero(words.any(axis=1))
        heights.append(rows[-1] - rows[0])
    assert text_zoom(0.58) == 1.5 and heights[1] > 1.4 * heights[0], heights


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
    from live.compose import scale_camera

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


def test_overlay_text_is_blended_like_opencv_draws_it_on_a_darkened_band():
    import cv2

    from live.compose import FONT, _outlined

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
    from live.compose import text_zoom

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
        else:  # over the second line, which showed in bits beside the box and under it: not drawn
            top = composer._help_top(helped.shape[0], composer._line * len(lines) + 8)
            left = round(40 * composer._text / TEXT_SCALE)
            bare = Composer(panel_height).compose(bright, extraction(), layout, lut, [], show_help=True)
            assert 0 < top < composer._line * 3 and np.array_equal(helped[top:, :left], bare[top:, :left])
            assert not np.array_equal(helped[:top, :left], bare[:top, :left])  # the first line is above it


def test_the_camera_picture_is_at_most_2_4_panel_heights_wide():
    """A 16:9 or 21:9 picture fills the panel's height; a wider one (a phone's panorama) is scaled to 2.4 panel
    heights wide, whole, rather than made as wide as the panel's height would have it."""
    from live.compose import MAX_PICTURE_ASPECT, camera_panel_hw

    assert MAX_PICTURE_ASPECT == 2.4
    assert camera_panel_hw((480, 640), 720) == (720, 960)
    assert camera_panel_hw((720, 1280), 720) == (720, 1280)
    assert camera_panel_hw((1080, 2560), 720) == (720, 1707)  # 21:9
    assert camera_panel_hw((1000, 4000), 720) == (432, 1728)  # 4:1
    assert camera_panel_hw((50, 10000), 720) == (9, 1728)  # 200:1, which made a canvas of 144,000 pixels
    assert camera_panel_hw((8000, 40), 720) == (720, 4)  # tall and thin: its own width


def test_a_panorama_sits_whole_in_the_middle_of_its_panel_with_its_marks_and_focus():
    from live.compose import scale_camera
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


def test_a_long_message_is_broken_into_lines_on_the_camera_picture():
    """A message naming a snapshot on a full disk ran across the mosaic, over the maps. It is broken between words
    into lines at the foot of the camera picture; a short one keeps its one line where it was."""
    layout, lut = MosaicLayout.for_count(4, 8, 8, 0), colormap_lut("gray")
    long = ("snapshot failed: could not write the snapshot 'talks/today/snaps/snapshot_20261127-111037_000280': its "
            "disk has 0 MB free, too little for it (kept: snapshot_20261127-111037_000280.png)")

    def message_rows(message, frame_hw=(480, 640)):
        canvas = Composer(720).compose(np.zeros((*frame_hw, 3), np.uint8), extraction(level=0), layout, lut, [],
                                       message)
        green = (canvas[..., 1] > 150) & (canvas[..., 2] < 150)  # the message's colour
        return np.flatnonzero(green.any(axis=1)), np.flatnonzero(green.any(axis=0)), canvas

    rows, columns, canvas = message_rows("snapshot saved: snapshots/snapshot_20261127-111037_000280.png")
    assert columns.max() < 960 and rows.max() - rows.min() < 20  # one line
    short_bottom = rows.max()
    rows, columns, _ = message_rows(long)
    assert columns.max() < 960 - 10  # on the camera picture (960 wide at 720 high), not over the mosaic
    assert rows.max() == short_bottom and rows.max() - rows.min() > 30  # two lines, the last where one line goes
    # Beside a portrait photo (a picture 405 wide), a path too long for a line is broken after one of its slashes.
    path_message = long.replace("talks/today/snaps", "/home/presenter/talks/2026-11-27-berlin/snapshots")
    rows, columns, _ = message_rows(path_message, frame_hw=(640, 360))
    assert columns.max() < 405 - 10 and rows.max() == short_bottom
    # A long name without a slash (a file name beside a narrow picture) is broken where the line ends.
    rows, columns, _ = message_rows("could not write 'snapshot_20261127-111037_000280_activations_float32.npy'",
                                    frame_hw=(900, 300))
    assert columns.max() < 240 - 10 and abs(rows.max() - short_bottom) <= 3 and rows.max() - rows.min() > 30
