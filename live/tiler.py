"""Channels → mosaic: the grid shape, colormaps, the fused numba kernel and its plain-numpy reference.

The numba kernel goes in one pass from the maps (height, width, k) to the pixels on screen: tile
placement, gaps, scaling to gray levels and the colormap lookup (one table per tile for uint8 maps),
nearest-neighbour resizing, written straight into a view of the window's canvas. `reference_mosaic`
computes the same bytes the obvious way: paste the tiles at their natural size, color them, then pick
the rows and columns to show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic, overload

from live.errors import UsageError

BACKGROUND = 40  # gray level of gaps and empty cells: visibly not a feature value of 0
MAX_GAP_SHARE = 16  # an enlarged gap pixel is drawn at most a tile's width / this wide
_NO_TABLES = np.zeros((0, 256), np.uint32)  # float maps are scaled to gray levels, without tables
_NOTHING = np.zeros(0, np.uint32)


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
        """The largest (height, width) with the mosaic's aspect ratio inside the given box, trimmed to whole
        tiles of equal size so that no margin is left over."""
        scale = min(max_height / self.height, max_width / self.width)
        height, width = max(1, round(self.height * scale)), max(1, round(self.width * scale))
        rows = axis_plan(height, self.rows, self.tile_height, self.gap)
        cols = axis_plan(width, self.cols, self.tile_width, self.gap)
        return (min(height, self.rows * rows.pitch - rows.gap), min(width, self.cols * cols.pitch - cols.gap))

    def tile_at(self, y: int, x: int, height: int, width: int) -> int | None:
        """Index of the tile under pixel (y, x) of the mosaic drawn at (height, width), or None over a gap."""
        if not (0 <= y < height and 0 <= x < width):
            return None
        row = axis_plan(height, self.rows, self.tile_height, self.gap).tile_at(y, self.rows)
        col = axis_plan(width, self.cols, self.tile_width, self.gap).tile_at(x, self.cols)
        return None if row is None or col is None else row * self.cols + col


@dataclass(frozen=True)
class AxisPlan:
    """Where tiles sit along one on-screen axis: every tile `cell` pixels, `gap` apart, after `lead` pixels.

    All tiles get the same size, so one pass can read a source pixel's channels together and write
    them to every tile; `inside[j]` is the source pixel shown at pixel j of a tile.
    """

    lead: int
    cell: int
    gap: int
    inside: np.ndarray

    @property
    def pitch(self) -> int:
        return self.cell + self.gap

    def tile_at(self, position: int, count: int) -> int | None:
        """Which of `count` tiles covers `position` on screen; None over a gap or a margin."""
        index, offset = divmod(position - self.lead, self.pitch)
        return index if position >= self.lead and index < count and offset < self.cell else None


def axis_plan(out_size: int, count: int, tile: int, gap: int) -> AxisPlan:
    """The plan for `count` tiles of `tile` pixels with `gap` (natural size) drawn over `out_size` pixels.

    At the natural size this is the identity. Scaled, a gap stays at least one pixel wide, so the grid is
    still visible when 1-pixel gaps are shrunk for the screen, and enlarged it grows to at most a
    sixteenth of a tile a pixel of gap: maps of 1x1 would otherwise be drawn with gaps as wide as their tiles,
    half the mosaic background. The few pixels left over after equal tiles are split into margins before and
    after them. Each pixel shows the source pixel under its centre.
    """
    natural = count * tile + (count - 1) * gap
    if out_size == natural:
        return AxisPlan(0, tile, gap, np.arange(tile, dtype=np.int32))
    zoom = out_size / natural
    screen_gap = 0 if gap == 0 else max(1, round(gap * min(zoom, max(1.0, tile * zoom / MAX_GAP_SHARE))))
    cell = (out_size - (count - 1) * screen_gap) // count
    if cell < 1:  # too small to show gaps at all: tiles side by side
        screen_gap, cell = 0, max(1, out_size // count)
    lead = max(0, (out_size - count * cell - (count - 1) * screen_gap) // 2)
    inside = np.minimum((2 * np.arange(cell) + 1) * tile // (2 * cell), tile - 1).astype(np.int32)
    return AxisPlan(lead, cell, screen_gap, inside)


def source_positions(out_size: int, count: int, tile: int, gap: int) -> np.ndarray:
    """For each of `out_size` output pixels along one axis, the pixel of the natural-size mosaic it shows (-1: gap)."""
    plan = axis_plan(out_size, count, tile, gap)
    position = np.arange(out_size) - plan.lead
    index, offset = np.divmod(np.maximum(position, 0), plan.pitch)
    shown = (position >= 0) & (index < count) & (offset < plan.cell)
    return np.where(shown, index * (tile + gap) + plan.inside[np.minimum(offset, plan.cell - 1)], -1)


@njit(cache=True, nogil=True)
def _fill_background(plain_rows, plain_spans, background, out):
    """The background around the tiles: `plain_rows` have no tile pixel; `plain_spans` are the (start, stop)
    column ranges between and beside tiles. Serial: it writes a few thousand pixels (0.03 ms), and a
    parallel kernel takes seconds longer to compile on a machine's first start."""
    for oy in range(out.shape[0]):
        if plain_rows[oy]:
            out[oy] = background
        else:
            for span in range(plain_spans.shape[0]):
                out[oy, plain_spans[span, 0]:plain_spans[span, 1]] = background


@njit(cache=True, nogil=True, inline="always")
def _level(value, shift, factor):
    """(value - shift) * factor + 0.5, clipped to 0..255 (NaN: 0), as an index into a 256-entry table.

    Clipped with min and max rather than ifs: percentile and layer ranges clip many pixels, and branches
    that go either way cost five times the whole kernel on such maps (measured). NaN, rare, is one
    predictable branch.
    """
    scaled = min(max((np.float32(value) - shift) * factor + np.float32(0.5), np.float32(0)), np.float32(255))
    if scaled != scaled:
        scaled = np.float32(0)
    return np.uint32(scaled)


@njit(cache=True, nogil=True)
def _pack_colours(lut, packed):
    """A (256, 3) BGR table as 256 uint32 (blue in the lowest byte), so one load fetches a whole colour."""
    for value in range(256):
        packed[value] = np.uint32(lut[value, 0]) | (np.uint32(lut[value, 1]) << 8) | (np.uint32(lut[value, 2]) << 16)


@njit(cache=True, nogil=True)
def _tile_tables(columns, offset, scale, colours, tables):
    """For uint8 maps: each tile's 256 packed colours, its channel's scaling and the colormap in one table,
    written into `tables` (the tiler's own, reused every frame)."""
    for t in range(columns.shape[0]):
        shift, factor = offset[columns[t]], scale[columns[t]]
        for value in range(256):
            tables[t, value] = colours[_level(value, shift, factor)]


@intrinsic
def _store4(typingctx, row, offset, colour):
    """Write the 4 bytes of `colour` at byte `offset` of a uint8 array's data, unaligned: one store for a
    3-byte pixel whose 4th byte spills into the next pixel, which is written after it. Little-endian, as
    every machine this runs on: the colour's lowest byte (blue) lands first."""
    if not (isinstance(row, types.Array) and row.dtype == types.uint8):
        return None

    def codegen(context, builder, signature, args):
        data = cgutils.create_struct_proxy(signature.args[0])(context, builder, value=args[0]).data
        target = builder.bitcast(builder.gep(data, [args[1]]), ir.IntType(32).as_pointer())
        builder.store(builder.trunc(args[2], ir.IntType(32)) if args[2].type.width > 32 else args[2], target,
                      align=1)
        return context.get_dummy_value()

    return types.void(row, types.intp, colour), codegen


@njit(cache=True, nogil=True, inline="always")
def _store3(row, b, colour):
    """Pixel b of a row, byte by byte: the last pixel of a tile row, where 4 bytes would spill into the gap."""
    row[b, 0] = np.uint8(colour & 255)
    row[b, 1] = np.uint8((colour >> 8) & 255)
    row[b, 2] = np.uint8((colour >> 16) & 255)


@njit(cache=True, nogil=True, inline="always")
def _paint_row(row, source, x_at, table):
    """One tile row's pixels: pixel b is the packed colour table[source[x_at[b]]], written left to right,
    each with one 4-byte store but the last."""
    last = x_at.shape[0] - 1
    for b in range(last):
        _store4(row, 3 * b, table[source[x_at[b]]])
    _store3(row, last, table[source[x_at[last]]])


@njit(cache=True, nogil=True)
def _row_levels(line, x_at, first, span, offset, scale, levels):
    """Float maps: the gray levels of one source row at the pixels `x_at`, for the `span` channels from
    `first` on, pixel by pixel. A pixel's channels are side by side in memory, so this loop compiles to
    vector instructions; the tiles are then painted from `levels` like uint8 maps. For a page of 64
    channels this takes a third less time than scaling each tile's pixels (measured), and each source
    pixel is scaled once however much the tiles are enlarged."""
    shifts, factors = offset[first:first + span], scale[first:first + span]
    for b in range(x_at.shape[0]):
        values = line[x_at[b] + first:x_at[b] + first + span]
        out = levels[b * span:(b + 1) * span]
        for c in range(span):
            out[c] = np.uint8(_level(values[c], shifts[c], factors[c]))


def _gray_row(line, read_at, first, span, offset, scale, levels):
    """The row that the tiles are painted from: uint8 maps as they are, float maps scaled to gray levels
    (`_row_levels`). Chosen by dtype when numba compiles `_draw`."""


@overload(_gray_row, inline="always")
def _gray_row_for(line, read_at, first, span, offset, scale, levels):
    if line.dtype == types.uint8:
        return lambda line, read_at, first, span, offset, scale, levels: line

    def scaled_row(line, read_at, first, span, offset, scale, levels):
        _row_levels(line, read_at, first, span, offset, scale, levels)
        return levels
    return scaled_row


@njit(parallel=True, cache=True, nogil=True)
def _draw(maps_hwk, tables, offset, scale, colours, columns, first, span, read_at, level_at, tops, lefts, y_inside,
          x_inside, background, out):
    """Maps → pixels, row by row of each tile, straight into `out`, whose pixels must be 3 bytes apart.

    uint8 maps come with `tables`, one per tile (`_tile_tables`): one lookup per pixel, no arithmetic.
    Float maps (an empty `tables`) are first scaled to gray levels a source row at a time, at the source
    pixels `read_at` that the tiles show, for the `span` channels from `first` on (`_row_levels`); pixel b
    of a tile is then the level at `level_at[b]` of its channel, looked up in the colormap itself (all
    from `Tiler._staging`). Indices go through unsigned ints and one-row slices, which lets the compiler
    drop the negative-index checks from the inner loop (measured twice as fast). Every row is painted, also
    where an enlarged tile shows a source row again: copying such rows byte by byte afterwards took longer
    than the lookups (64 maps of 56×56 to 720×720 on one core: 0.45 ms against 0.36 ms) and ran on one
    thread.
    """
    height, width, depth = maps_hwk.shape
    count, cell_w = columns.shape[0], x_inside.shape[0]
    flat = maps_hwk.reshape(height, width * depth)
    x_at = (x_inside * depth).astype(np.uint32)
    scaled = tables.shape[0] == 0
    for a in prange(y_inside.shape[0]):
        line = flat[y_inside[a]]
        levels = np.empty(read_at.shape[0] * span, np.uint8)  # a few kilobytes; nothing for uint8 maps
        source = _gray_row(line, read_at, first, span, offset, scale, levels)
        for t in range(tops.shape[0]):
            if tops[t] < 0:
                continue
            row = out[tops[t] + a, lefts[t]:lefts[t] + cell_w]
            if t >= count:
                row[:] = background  # a cell past the last channel
            elif scaled:
                _paint_row(row, source[columns[t] - first:], level_at, colours)
            else:
                _paint_row(row, source[columns[t]:], x_at, tables[t])


def _unit(count: int) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(count, np.float32), np.ones(count, np.float32)


class Tiler:
    """Draws mosaics of one layout at one on-screen size; where each tile goes is worked out once per size."""

    def __init__(self, layout: MosaicLayout, height: int, width: int):
        self.layout = layout
        self.height, self.width = height, width
        self._rows = axis_plan(height, layout.rows, layout.tile_height, layout.gap)
        self._cols = axis_plan(width, layout.cols, layout.tile_width, layout.gap)
        tiles = np.arange(layout.rows * layout.cols)
        tops = self._rows.lead + tiles // layout.cols * self._rows.pitch
        lefts = self._cols.lead + tiles % layout.cols * self._cols.pitch
        on_screen = (tops + self._rows.cell <= height) & (lefts + self._cols.cell <= width)
        self._tops = np.where(on_screen, tops, -1).astype(np.int32)
        self._lefts = np.where(on_screen, lefts, -1).astype(np.int32)
        rows_drawn, cols_drawn = np.zeros(height, np.bool_), np.zeros(width, np.bool_)
        for top, left in zip(self._tops[on_screen], self._lefts[on_screen]):
            rows_drawn[top:top + self._rows.cell] = True
            cols_drawn[left:left + self._cols.cell] = True
        self._plain_rows = ~rows_drawn
        edges = np.flatnonzero(np.diff(np.concatenate([[True], cols_drawn, [True]]).astype(np.int8)))
        self._plain_spans = edges.reshape(-1, 2).astype(np.int64)  # (start, stop) of each run of plain columns
        # The source pixels a tile row shows (each once), and for each pixel on screen which of them it is.
        self._x_read, self._x_level = np.unique(self._cols.inside, return_inverse=True)
        self._tables = np.empty((len(tiles), 256), np.uint32)  # colour tables for uint8 maps, one per tile
        self._colours = np.empty(256, np.uint32)  # the colormap, packed

    def _staging(self, maps_hwk: np.ndarray, columns: np.ndarray):
        """For float maps: the first channel and the number of channels scaled a row at a time (from the
        lowest channel shown to the highest), where those rows are read, and where a tile finds its levels."""
        if maps_hwk.dtype == np.uint8 or not len(columns):
            return 0, 0, _NOTHING, _NOTHING
        first, span = int(columns.min()), int(columns.max()) - int(columns.min()) + 1
        return (first, span, (self._x_read * maps_hwk.shape[2]).astype(np.uint32),
                (self._x_level * span).astype(np.uint32))

    def origin(self, tile: int) -> tuple[int, int]:
        """(top, left) of a tile on screen."""
        return int(self._tops[tile]), int(self._lefts[tile])

    def draw(self, maps_hwk: np.ndarray, columns: np.ndarray, lut: np.ndarray, out: np.ndarray,
             offset: np.ndarray | None = None, scale: np.ndarray | None = None) -> np.ndarray:
        """Write the mosaic of maps_hwk[..., columns] into `out` (height, width, 3), a view of the canvas.

        Each map's gray level is (value - offset) * scale + 0.5, clipped to 0..255 (default: the uint8 value
        as it is); a scale of 0 draws the tile blank.
        """
        if out.shape[:2] != (self.height, self.width):
            raise ValueError(f"out is {out.shape[:2]}, expected (height, width) {(self.height, self.width)}")
        if out.dtype != np.uint8 or out.shape[2:] != (3,) or out.strides[1:] != (3, 1):
            raise ValueError("out must be uint8 BGR pixels packed 3 bytes apart, like a row of an image")
        if len(columns) > len(self._tops):
            raise ValueError(f"{len(columns)} channels do not fit a layout of {len(self._tops)} tiles")
        if offset is None or scale is None:
            offset, scale = _unit(maps_hwk.shape[2])
        if not maps_hwk.flags.c_contiguous:
            maps_hwk = np.ascontiguousarray(maps_hwk)
        background = np.uint8(BACKGROUND)
        places = (self._tops, self._lefts, self._rows.inside, self._cols.inside, background, out)
        _fill_background(self._plain_rows, self._plain_spans, background, out)
        _pack_colours(lut, self._colours)
        tables = _NO_TABLES
        if maps_hwk.dtype == np.uint8:
            tables = self._tables[:len(columns)]
            _tile_tables(columns, offset, scale, self._colours, tables)
        _draw(maps_hwk, tables, offset, scale, self._colours, columns, *self._staging(maps_hwk, columns), *places)
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
