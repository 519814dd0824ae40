"""The window's canvas: the camera picture, the mosaic beside it and the text over them, drawn into one array."""

from __future__ import annotations

import re
import time
from functools import lru_cache

import cv2
import numpy as np
from numba import njit

from live.controls import HELP
from live.tiler import MosaicLayout, Tiler, to_levels

SEPARATOR = 8  # pixels between camera picture and mosaic
CROP_MARK = (230, 230, 230)  # the corners of the part of the picture the model sees, where it is not all of it
FONT = cv2.FONT_HERSHEY_SIMPLEX
TEXT_SCALE, TEXT_SCALE_MIN = 0.55, 0.3  # OpenCV font scales of the text over the pictures
TEXT_SHOWN_MIN = 0.85  # a canvas shown smaller than this (a projector of 1024x768) gets its text drawn larger
TEXT_ZOOM_MAX = 1.6  # at most this much larger, and no wider than the camera picture for a long first line:
LONG_LINE = "mobilenet_v2 | block_16_project_BN 7x7x320 | page 1/5 | mean | percentile | gray"
HEAT_WEIGHT = 0.55
DEFAULT_MOSAIC = MosaicLayout.for_count(64, 224, 224, 1)  # VGG16's first layer, the program's default, 8x8
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


def mosaic_panel_hw(layout: MosaicLayout, panel_height: int) -> tuple[int, int]:
    """(height, width) of the mosaic in the window: as high as the panel, and at least as wide (a row of tiles)."""
    return layout.fit(panel_height, max(panel_height, round(panel_height * layout.width / layout.height)))


def loading_canvas(picture: np.ndarray | None, picture_hw: tuple[int, int], panel_height: int,
                   lines: list[str], zoom: float = 1.0) -> np.ndarray:
    """The window's canvas while the model loads: the source's `picture` (or black of its shape, `picture_hw`), and
    beside it, where the mosaic will be, `lines` saying what is loading, drawn `zoom` times larger (see text_zoom).
    The size of the canvas of the default mosaic, so that the window keeps its size when that comes."""
    camera_h, camera_w = camera_panel_hw(picture_hw, panel_height)
    canvas = np.zeros((panel_height, camera_w + SEPARATOR + mosaic_panel_hw(DEFAULT_MOSAIC, panel_height)[1], 3),
                      np.uint8)
    if picture is not None:
        top = (panel_height - camera_h) // 2
        cv2.resize(picture, (camera_w, camera_h), dst=canvas[top:top + camera_h, :camera_w],
                   interpolation=cv2.INTER_AREA)
    scale = max(TEXT_SCALE_MIN, 0.9 * panel_height / 720) * zoom
    margin = round(40 * scale)
    rows = [(row, scale if i == 0 else 0.75 * scale)  # the first line larger; each broken to fit the panel
            for i, line in enumerate(lines) for row in _wrapped(line, scale, panel_height - 2 * margin)]
    line_h = round(40 * scale)
    top = (panel_height - line_h * (len(rows) - 1)) // 2
    for i, (row, size) in enumerate(rows):
        _outlined(canvas, row, (camera_w + SEPARATOR + margin, top + i * line_h), size)
    return canvas


def text_zoom(shown_scale: float | None) -> float:
    """How much larger to draw the text of a canvas that the window shows at `shown_scale` of its size, so that it
    reads as at TEXT_SHOWN_MIN at least: a 1687-pixel canvas on a 1024x768 projector is shown at 0.58, and its text
    was 9 pixels high (a digit). In steps of a tenth, so that a window resized by hand does not draw new glyphs at each
    pixel; 1 where the canvas is shown at least that large, or headless."""
    if not shown_scale:
        return 1.0
    return round(min(TEXT_ZOOM_MAX, max(1.0, TEXT_SHOWN_MIN / shown_scale)), 1)


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
        self.mosaic_h, self.mosaic_w = mosaic_panel_hw(layout, height)
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
        help_top = self._help_top(canvas.shape[0], below=self._line * len(lines) + 8) if show_help else None
        self._draw_text(canvas, lines, message, above=help_top)
        if help_top is not None:
            self._draw_help(canvas, help_top)
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

    def _draw_text(self, canvas, lines: list[str], message: str, above: int | None = None) -> None:
        """The lines at the top of the camera picture, those that end `above` a row (the help box's top) only: at
        --panel-height 240 the help covers the second line, which showed in bits beside and under it."""
        y = self._line + 2
        for line in lines:
            if above is not None:  # only while the help shows: the lines' bands are not measured at each frame
                mask, rise = _glyphs(line, self._text)
                if y - rise + mask.shape[0] > above:
                    break
            _outlined(canvas, line, (10, y), self._text)
            y += self._line
        if message:  # at the foot of the camera picture, broken into lines that stay on it
            scale = self._text * 0.6 / TEXT_SCALE
            rows = _wrapped(message, scale, self.camera_w - 20)
            for i, row in enumerate(rows):
                y = canvas.shape[0] - 14 - (len(rows) - 1 - i) * round(22 * scale / TEXT_SCALE)
                _outlined(canvas, row, (10, y), scale, (80, 255, 80))

    def _help_height(self) -> int:
        return round(30 * self._text / TEXT_SCALE) + self._line * len(HELP)

    def _help_top(self, canvas_height: int, below: int) -> int:
        """The help box's top row: centred on the canvas's height, but below the lines of text (`below` pixels)
        where it fits."""
        height = self._help_height()
        return max(0, min(max(below, (canvas_height - height) // 2), canvas_height - height))

    def _draw_help(self, canvas, top: int) -> None:
        """The keys, in a darkened box from row `top`."""
        ratio = self._text / TEXT_SCALE
        height = self._help_height()
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


@lru_cache(maxsize=64)
def _wrapped(text: str, scale: float, width: int) -> tuple[str, ...]:
    """`text` broken between words into lines no wider than `width` pixels, a word too long for a line (a path)
    after one of its slashes, and a part still too long (a long file name) where the line ends. A message naming
    a snapshot on a full disk ran across the mosaic, over the maps."""
    def wide(line: str) -> int:
        return cv2.getTextSize(line, FONT, scale, 1)[0][0]

    def cut(part: str) -> list[str]:
        """`part` in pieces that each fit on a line: after its last `_`, `-` or `.` that fits, else where it ends."""
        pieces = []
        while wide(part) > width and len(part) > 1:
            fit = next((n for n in range(len(part) - 1, 1, -1) if wide(part[:n]) <= width), 1)
            fit = next((n for n in range(fit, fit // 2, -1) if part[n - 1] in "_-."), fit)
            pieces.append(part[:fit])
            part = part[fit:]
        return [*pieces, part]

    pieces = []  # (piece, whether a space comes before it)
    for word in text.split(" "):
        parts = [word] if wide(word) <= width else re.findall(r"[^/]*/|[^/]+$", word) or [word]
        parts = [piece for part in parts for piece in cut(part)]
        pieces += [(part, i == 0) for i, part in enumerate(parts)]
    rows, row = [], ""
    for piece, spaced in pieces:
        longer = (f"{row} {piece}" if spaced else row + piece) if row else piece
        if row and wide(longer) > width:
            rows.append(row)
            row = piece
        else:
            row = longer
    return (*rows, row)


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
