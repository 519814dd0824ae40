"""Channels → mosaic: the grid shape, colormaps, the fused numba kernel and its plain-numpy reference.

The numba kernel goes in one pass from the uint8 maps (height, width, k) to the pixels on screen:
tile placement, gaps, the colormap lookup and nearest-neighbour scaling, written straight into a
view of the window's canvas. `reference_mosaic` computes the same bytes the obvious way: paste
the tiles at their natural size, color them, then pick the rows and columns to show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numba import njit, prange

from live.errors import UsageError

BACKGROUND = 40  # gray level of gaps and empty cells: visibly not a feature value of 0


def _colormap_ids() -> dict[str, int]:
    import cv2

    return {name[len("COLORMAP_"):].lower(): getattr(cv2, name) for name in dir(cv2) if name.startswith("COLORMAP_")}


def colormap_names() -> list[str]:
    """`gray` followed by OpenCV's colormaps by name, the order in which `c` cycles through them."""
    return ["gray"] + sorted(_colormap_ids())


@lru_cache(maxsize=None)
def colormap_lut(name: str) -> np.ndarray:
    """A (256, 3) uint8 BGR table for a colormap name."""
    if name == "gray":
        ramp = np.arange(256, dtype=np.uint8)
        return np.ascontiguousarray(np.stack([ramp, ramp, ramp], axis=1))
    ids = _colormap_ids()
    if name not in ids:
        raise UsageError(f"unknown colormap '{name}'; choose one of {', '.join(colormap_names())}")
    import cv2

    ramp = np.arange(256, dtype=np.uint8).reshape(256, 1)
    return np.ascontiguousarray(cv2.applyColorMap(ramp, ids[name]).reshape(256, 3))


def grid_shape(count: int) -> tuple[int, int]:
    """(rows, cols) for `count` tiles: as square as possible, filled row by row, at most one row short."""
    if count < 1:
        raise UsageError(f"the number of channels to show must be at least 1, got {count}")
    cols = math.ceil(math.sqrt(count))
    return math.ceil(count / cols), cols


@dataclass(frozen=True)
class MosaicLayout:
    """Where each tile sits in a mosaic of `rows` × `cols` tiles of (tile_height, tile_width) with `gap` pixels."""

    rows: int
    cols: int
    tile_height: int
    tile_width: int
    gap: int

    @classmethod
    def for_count(cls, count: int, tile_height: int, tile_width: int, gap: int) -> "MosaicLayout":
        if gap < 0:
            raise UsageError(f"--gap must be 0 or more pixels, got {gap}")
        return cls(*grid_shape(count), tile_height, tile_width, gap)

    @property
    def height(self) -> int:
        return self.rows * self.tile_height + (self.rows - 1) * self.gap

    @property
    def width(self) -> int:
        return self.cols * self.tile_width + (self.cols - 1) * self.gap

    def fit(self, max_height: int, max_width: int) -> tuple[int, int]:
        """The largest (height, width) with the mosaic's aspect ratio inside the given box."""
        scale = min(max_height / self.height, max_width / self.width)
        return max(1, round(self.height * scale)), max(1, round(self.width * scale))

    def tile_at(self, y: int, x: int, height: int, width: int) -> int | None:
        """Index of the tile under pixel (y, x) of the mosaic drawn at (height, width), or None over a gap."""
        if not (0 <= y < height and 0 <= x < width):
            return None
        row_tile, row_in, col_tile, col_in = self.axis_maps(height, width)
        if row_in[y] < 0 or col_in[x] < 0:
            return None
        return int(row_tile[y]) * self.cols + int(col_tile[x])

    def axis_maps(self, height: int, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For each output row and column: its tile row/col and the pixel inside the tile (-1 over a gap)."""
        return (*_axis_map(height, self.rows, self.tile_height, self.gap),
                *_axis_map(width, self.cols, self.tile_width, self.gap))


def source_positions(out_size: int, count: int, tile: int, gap: int) -> np.ndarray:
    """For each of `out_size` output pixels along one axis, the pixel of the natural-size mosaic it shows (-1: gap).

    At the natural size this is the identity. Scaled, the tiles share the space evenly and a gap stays at
    least one pixel wide, so the grid is still visible when 1-pixel gaps are shrunk for the screen.
    """
    natural = count * tile + (count - 1) * gap
    if out_size == natural:
        return np.arange(natural, dtype=np.int64)
    screen_gap = 0 if gap == 0 else max(1, round(gap * out_size / natural))
    cell = (out_size - (count - 1) * screen_gap) / count
    if cell <= 0:  # too small to show gaps at all: plain nearest-neighbour over the tiles
        screen_gap, cell = 0, out_size / count
    position = np.arange(out_size, dtype=np.float64)
    index = np.minimum((position // (cell + screen_gap)).astype(np.int64), count - 1)
    offset = position - index * (cell + screen_gap)
    inside = np.minimum((offset * tile / cell).astype(np.int64), tile - 1)
    return np.where(offset < cell, index * (tile + gap) + inside, -1)


def _axis_map(out_size: int, count: int, tile: int, gap: int) -> tuple[np.ndarray, np.ndarray]:
    source = source_positions(out_size, count, tile, gap)
    index, inside = np.divmod(np.maximum(source, 0), tile + gap)
    inside[(inside >= tile) | (source < 0)] = -1
    return index.astype(np.int32), inside.astype(np.int32)


@njit(parallel=True, cache=True, nogil=True)
def _render(maps_hwk, columns, offset, scale, cols, y_tile, y_in, x_tile, x_in, lut, background, out):
    height, width, depth = maps_hwk.shape
    count = columns.shape[0]
    rows = y_tile.max() + 1
    out_w = out.shape[1]
    # Per tile row and output column: where the value sits inside a map row (-1: gap or empty cell), and
    # its channel's offset and scale. A few thousand entries, so the pixel loop below only looks up.
    source = np.full((rows, out_w), -1, np.int64)
    shift = np.zeros((rows, out_w), np.float32)
    gain = np.zeros((rows, out_w), np.float32)
    for row in range(rows):
        for ox in range(out_w):
            tile = row * cols + x_tile[ox]
            if x_in[ox] >= 0 and tile < count:
                column = columns[tile]
                source[row, ox] = x_in[ox] * depth + column
                shift[row, ox] = offset[column]
                gain[row, ox] = scale[column]
    flat = maps_hwk.reshape(height, width * depth) if maps_hwk.flags.c_contiguous else maps_hwk.copy().reshape(
        height, width * depth)
    half = np.float32(0.5)
    for oy in prange(out.shape[0]):
        iy = y_in[oy]
        if iy < 0:
            for ox in range(out_w):
                out[oy, ox, 0] = background
                out[oy, ox, 1] = background
                out[oy, ox, 2] = background
            continue
        row = y_tile[oy]
        line = flat[iy]
        for ox in range(out_w):
            at = source[row, ox]
            if at < 0:
                out[oy, ox, 0] = background
                out[oy, ox, 1] = background
                out[oy, ox, 2] = background
                continue
            level = 0
            factor = gain[row, ox]
            if factor != 0:
                value = (np.float32(line[at]) - shift[row, ox]) * factor + half
                if value >= 255:
                    level = 255
                elif value > 0:
                    level = int(value)
            out[oy, ox, 0] = lut[level, 0]
            out[oy, ox, 1] = lut[level, 1]
            out[oy, ox, 2] = lut[level, 2]


def _unit(count: int) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(count, np.float32), np.ones(count, np.float32)


class Tiler:
    """Draws mosaics of one layout at one on-screen size; the index maps are computed once per size."""

    def __init__(self, layout: MosaicLayout, height: int, width: int):
        self.layout = layout
        self.height, self.width = height, width
        self._maps = layout.axis_maps(height, width)

    def draw(self, maps_hwk: np.ndarray, columns: np.ndarray, lut: np.ndarray, out: np.ndarray,
             offset: np.ndarray | None = None, scale: np.ndarray | None = None) -> np.ndarray:
        """Write the mosaic of maps_hwk[..., columns] into `out` (height, width, 3), a view of the canvas.

        Each map's gray level is (value - offset) * scale + 0.5, clipped to 0..255 (default: the uint8 value
        as it is); a scale of 0 draws the tile blank.
        """
        if out.shape[:2] != (self.height, self.width):
            raise ValueError(f"out is {out.shape[:2]}, expected (height, width) {(self.height, self.width)}")
        if offset is None or scale is None:
            offset, scale = _unit(maps_hwk.shape[2])
        y_tile, y_in, x_tile, x_in = self._maps
        _render(maps_hwk, columns, offset, scale, self.layout.cols, y_tile, y_in, x_tile, x_in, lut,
                np.uint8(BACKGROUND), out)
        return out


def render_mosaic(maps_hwk: np.ndarray, columns: np.ndarray, layout: MosaicLayout, lut: np.ndarray,
                  height: int | None = None, width: int | None = None, offset: np.ndarray | None = None,
                  scale: np.ndarray | None = None) -> np.ndarray:
    """A new BGR mosaic image, at its natural size unless (height, width) is given."""
    height, width = height or layout.height, width or layout.width
    out = np.empty((height, width, 3), np.uint8)
    return Tiler(layout, height, width).draw(maps_hwk, np.asarray(columns, np.int32), lut, out, offset, scale)


def to_levels(maps_hwk: np.ndarray, offset: np.ndarray | None = None, scale: np.ndarray | None = None) -> np.ndarray:
    """Gray levels 0..255 of every map, computed with numpy: the reference for the kernel's arithmetic."""
    if offset is None or scale is None:
        offset, scale = _unit(maps_hwk.shape[2])
    with np.errstate(invalid="ignore", over="ignore"):
        value = (maps_hwk.astype(np.float32) - offset) * scale + np.float32(0.5)
        levels = np.where(value >= 255, 255, np.where(value > 0, value, 0))
        levels = np.nan_to_num(levels, nan=0.0).astype(np.int32)
    return np.where(scale != 0, levels, 0)


def reference_mosaic(maps_hwk: np.ndarray, columns: np.ndarray, layout: MosaicLayout, lut: np.ndarray,
                     height: int | None = None, width: int | None = None, offset: np.ndarray | None = None,
                     scale: np.ndarray | None = None) -> np.ndarray:
    """The same mosaic built the plain way: scale, paste each tile, color it, then pick rows and columns."""
    th, tw, gap = layout.tile_height, layout.tile_width, layout.gap
    levels = to_levels(maps_hwk, offset, scale)
    mosaic = np.full((layout.height, layout.width), -1, np.int32)
    for tile, column in enumerate(columns):
        row, col = divmod(tile, layout.cols)
        top, left = row * (th + gap), col * (tw + gap)
        mosaic[top:top + th, left:left + tw] = levels[:, :, column]
    colored = np.where(mosaic[..., None] >= 0, lut[np.clip(mosaic, 0, 255)], np.uint8(BACKGROUND)).astype(np.uint8)
    height, width = height or layout.height, width or layout.width
    rows = source_positions(height, layout.rows, th, gap)
    cols = source_positions(width, layout.cols, tw, gap)
    scaled = colored[np.maximum(rows, 0)][:, np.maximum(cols, 0)]
    scaled[rows < 0] = BACKGROUND
    scaled[:, cols < 0] = BACKGROUND
    return scaled
