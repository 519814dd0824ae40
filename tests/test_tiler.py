"""The numba mosaic kernel against its plain-numpy reference, byte for byte, and the grid rules."""

import numpy as np
import pytest

from live.errors import UsageError
from live.tiler import (BACKGROUND, MosaicLayout, Tiler, colormap_lut, colormap_names, grid_shape, reference_mosaic,
                        render_mosaic)


@pytest.mark.parametrize("count, expected", [(1, (1, 1)), (3, (2, 2)), (4, (2, 2)), (10, (3, 4)), (64, (8, 8)),
                                             (100, (10, 10)), (256, (16, 16))])
def test_grid_shape_is_as_square_as_possible(count, expected):
    rows, cols = grid_shape(count)
    assert (rows, cols) == expected
    assert rows * cols >= count > (rows - 1) * cols


@pytest.mark.parametrize("count", [0, -3])
def test_grid_shape_rejects_no_channels(count):
    with pytest.raises(UsageError, match="at least 1"):
        grid_shape(count)


@pytest.mark.parametrize("count", [1, 3, 10, 64, 100])
@pytest.mark.parametrize("gap", [0, 1, 3])
@pytest.mark.parametrize("colormap", ["gray", "viridis", "jet"])
def test_numba_equals_reference_at_natural_size(count, gap, colormap):
    rng = np.random.default_rng(count * 10 + gap)
    maps = rng.integers(0, 256, (17, 23, count), dtype=np.uint8)
    columns = rng.permutation(count).astype(np.int32)
    layout = MosaicLayout.for_count(count, 17, 23, gap)
    lut = colormap_lut(colormap)
    fast = render_mosaic(maps, columns, layout, lut)
    slow = reference_mosaic(maps, columns, layout, lut)
    assert fast.shape == (layout.height, layout.width, 3)
    np.testing.assert_array_equal(fast, slow)


@pytest.mark.parametrize("out_hw", [(720, 720), (333, 777), (50, 40), (16, 8), (1000, 1300)])
def test_numba_equals_reference_when_scaled(out_hw):
    rng = np.random.default_rng(1)
    maps = rng.integers(0, 256, (56, 56, 80), dtype=np.uint8)
    columns = np.arange(64, dtype=np.int32) + 16  # a page that starts inside the block
    layout = MosaicLayout.for_count(64, 56, 56, 2)
    lut = colormap_lut("turbo")
    np.testing.assert_array_equal(render_mosaic(maps, columns, layout, lut, *out_hw),
                                  reference_mosaic(maps, columns, layout, lut, *out_hw))


def test_tiles_are_in_channel_order_row_major_with_blank_cells_and_gaps():
    maps = np.zeros((4, 4, 3), np.uint8)
    for channel in range(3):
        maps[:, :, channel] = 100 + channel
    layout = MosaicLayout.for_count(3, 4, 4, 1)  # 2 x 2 grid, one empty cell
    mosaic = render_mosaic(maps, np.arange(3, dtype=np.int32), layout, colormap_lut("gray"))
    assert mosaic.shape == (9, 9, 3)
    assert mosaic[0, 0, 0] == 100 and mosaic[0, 5, 0] == 101 and mosaic[5, 0, 0] == 102
    assert (mosaic[5:, 5:] == BACKGROUND).all()  # empty cell
    assert (mosaic[4, :] == BACKGROUND).all() and (mosaic[:, 4] == BACKGROUND).all()  # the gaps


def test_zero_gap_keeps_every_pixel():
    maps = np.arange(2 * 2 * 4, dtype=np.uint8).reshape(2, 2, 4)
    layout = MosaicLayout.for_count(4, 2, 2, 0)
    mosaic = render_mosaic(maps, np.arange(4, dtype=np.int32), layout, colormap_lut("gray"))[:, :, 0]
    np.testing.assert_array_equal(mosaic[:2, :2], maps[:, :, 0])
    np.testing.assert_array_equal(mosaic[2:, 2:], maps[:, :, 3])


def test_draw_writes_into_a_view_of_a_larger_canvas():
    maps = np.full((8, 8, 4), 200, np.uint8)
    layout = MosaicLayout.for_count(4, 8, 8, 0)
    canvas = np.zeros((40, 100, 3), np.uint8)
    view = canvas[5:37, 50:82]
    Tiler(layout, 32, 32).draw(maps, np.arange(4, dtype=np.int32), colormap_lut("gray"), view)
    assert (canvas[5:37, 50:82] == 200).all()
    assert canvas[:5].sum() == 0 and canvas[:, :50].sum() == 0


@pytest.mark.parametrize("out", [np.zeros((32, 32, 4), np.uint8), np.zeros((32, 64, 3), np.uint8)[:, ::2],
                                 np.zeros((32, 32, 3), np.float32)])
def test_draw_refuses_a_target_whose_pixels_are_not_packed_bgr(out):
    """The kernel writes each pixel with one 4-byte store that spills into the next: it needs 3-byte pixels."""
    tiler = Tiler(MosaicLayout.for_count(4, 8, 8, 0), 32, 32)
    with pytest.raises(ValueError, match="3 bytes apart"):
        tiler.draw(np.zeros((8, 8, 4), np.uint8), np.arange(4, dtype=np.int32), colormap_lut("gray"), out)


def test_tile_at_finds_the_tile_under_a_pixel_and_none_over_gaps():
    layout = MosaicLayout.for_count(64, 10, 10, 2)  # natural size 94 x 94
    assert layout.tile_at(0, 0, 94, 94) == 0
    assert layout.tile_at(0, 12, 94, 94) == 1
    assert layout.tile_at(12, 0, 94, 94) == 8
    assert layout.tile_at(10, 5, 94, 94) is None
    assert layout.tile_at(188 - 4, 188 - 4, 188, 188) == 63  # tiles of 21, gaps of 2, margins of 3
    assert layout.tile_at(188 - 1, 188 - 1, 188, 188) is None


@pytest.mark.parametrize("tile, screen_gap", [(224, 1), (56, 2), (14, 5), (7, 5), (1, 3)])
def test_an_enlarged_gap_is_at_most_a_sixteenth_of_a_tile(tile, screen_gap):
    """A 1-pixel gap between 1x1 maps was drawn as wide as the tiles (48 pixels at 720): half the mosaic gray."""
    layout = MosaicLayout.for_count(64, tile, tile, 1)
    height, width = layout.fit(720, 720)
    maps = np.full((tile, tile, 64), 255, np.uint8)
    mosaic = render_mosaic(maps, np.arange(64, dtype=np.int32), layout, colormap_lut("gray"), height, width)
    row = mosaic[np.flatnonzero((mosaic[:, :, 0] == 255).any(axis=1))[0], :, 0]  # through the first row of tiles
    lit = np.flatnonzero(row == 255)
    gaps = np.diff(lit)[np.diff(lit) > 1] - 1
    assert len(gaps) == 7 and set(gaps.tolist()) == {screen_gap}
    assert len(lit) == 8 * ((width - 7 * screen_gap) // 8)


def test_colormaps_include_gray_and_opencv_names():
    names = colormap_names()
    assert names[0] == "gray" and "viridis" in names and "turbo" in names
    assert colormap_lut("jet").shape == (256, 3)
    assert not np.array_equal(colormap_lut("jet"), colormap_lut("gray"))
    with pytest.raises(UsageError, match="unknown colormap 'nope'.*viridis"):
        colormap_lut("nope")


def test_negative_gap_is_refused():
    with pytest.raises(UsageError, match="--gap"):
        MosaicLayout.for_count(4, 2, 2, -1)


def _maps_with_scaling(dtype, channels=12):
    """`channels` channels of 20 x 30 with an offset and scale each: float maps scaled in the kernel,
    uint8 maps through one colour table per tile. Channel 5 clips, channel 7 is blank."""
    rng = np.random.default_rng(7)
    if dtype == "float32":
        maps = rng.normal(0, 50, (20, 30, channels)).astype(np.float32)
        maps[3, 4, 5] = 1e30  # far above the range: clipped to 255
        maps[:, :, 7] = np.nan
        low, high = maps.min(axis=(0, 1)), maps.max(axis=(0, 1))
        offset = low.astype(np.float32)
        scale = np.where(high > low, 255 / (high - low), 0).astype(np.float32)
        scale[5] = 255 / 100
        maps[::3, ::4, 3] = np.nan  # NaN pixels in a channel with a usable range: drawn as level 0
    else:
        maps = rng.integers(0, 256, (20, 30, channels), dtype=np.uint8)
        offset = np.linspace(-20, 120, channels).astype(np.float32)  # below 0 and inside the range
        scale = np.linspace(0.5, 3, channels).astype(np.float32)  # some clip at 255
    scale[7] = 0
    return maps, offset, scale


@pytest.mark.parametrize("dtype", ["float32", "uint8"])
@pytest.mark.parametrize("out_hw", [None, (300, 410)])
def test_maps_scaled_in_the_kernel_equal_the_reference(dtype, out_hw):
    maps, offset, scale = _maps_with_scaling(dtype)
    columns = np.array([5, 7, 0, 11, 3, 5], np.int32)  # a channel may be shown twice
    layout = MosaicLayout.for_count(6, 20, 30, 2)
    lut = colormap_lut("inferno")
    size = out_hw or (None, None)
    fast = render_mosaic(maps, columns, layout, lut, *size, offset=offset, scale=scale)
    slow = reference_mosaic(maps, columns, layout, lut, *size, offset=offset, scale=scale)
    np.testing.assert_array_equal(fast, slow)
    assert len(np.unique(fast.reshape(-1, 3), axis=0)) > 50  # real colours, not one flat table entry
    blank = render_mosaic(maps, np.array([7], np.int32), MosaicLayout.for_count(1, 20, 30, 0), lut,
                          offset=offset, scale=scale)
    assert (blank == lut[0]).all()


@pytest.mark.parametrize("columns", [np.arange(40), np.arange(8, 24), np.arange(0, 40, 2),
                                     np.random.default_rng(3).permutation(40), np.array([3, 5, 7] * 6)],
                         ids=["all", "a page", "every other", "by mean", "repeated"])
@pytest.mark.parametrize("out_hw", [None, (300, 410)])
def test_float_maps_of_many_channels_equal_the_reference(columns, out_hw):
    """Float maps are scaled a source row at a time, for every channel from the lowest shown to the highest,
    before painting: pages, gaps between the channels shown, any order, a channel twice."""
    maps, offset, scale = _maps_with_scaling("float32", channels=40)
    columns = columns.astype(np.int32)
    layout = MosaicLayout.for_count(len(columns), 20, 30, 1)
    size = out_hw or (None, None)
    lut = colormap_lut("turbo")
    fast = render_mosaic(maps, columns, layout, lut, *size, offset=offset, scale=scale)
    np.testing.assert_array_equal(fast, reference_mosaic(maps, columns, layout, lut, *size, offset=offset,
                                                         scale=scale))


@pytest.mark.parametrize("out_hw", [(720, 720), (333, 777), (1000, 1300)])
def test_scaled_tiles_are_all_the_same_size_with_visible_gaps(out_hw):
    layout = MosaicLayout.for_count(64, 224, 224, 1)
    maps = np.full((224, 224, 64), 255, np.uint8)
    mosaic = render_mosaic(maps, np.arange(64, dtype=np.int32), layout, colormap_lut("gray"), *out_hw)[:, :, 0]
    lit_rows, lit_cols = (mosaic == 255).any(axis=1), (mosaic == 255).any(axis=0)

    def runs(lit):  # lengths of the runs of lit pixels, i.e. the tiles' sizes along one axis
        edges = np.flatnonzero(np.diff(np.concatenate([[0], lit.astype(np.int8), [0]])))
        return edges[1::2] - edges[::2]

    for lit in (lit_rows, lit_cols):
        sizes = runs(lit)
        assert len(sizes) == 8 and len(set(sizes.tolist())) == 1, sizes
    assert (mosaic[~lit_rows] == BACKGROUND).all() and (mosaic[:, ~lit_cols] == BACKGROUND).all()


def test_enlarged_tiles_repeat_source_pixels_exactly():
    maps = np.arange(4 * 4 * 4, dtype=np.uint8).reshape(4, 4, 4) * 3
    layout = MosaicLayout.for_count(4, 4, 4, 0)
    mosaic = render_mosaic(maps, np.arange(4, dtype=np.int32), layout, colormap_lut("gray"), 80, 80)[:, :, 0]
    np.testing.assert_array_equal(mosaic[:40, :40], np.kron(maps[:, :, 0], np.ones((10, 10), np.uint8)))
    np.testing.assert_array_equal(mosaic[40:, 40:], np.kron(maps[:, :, 3], np.ones((10, 10), np.uint8)))
