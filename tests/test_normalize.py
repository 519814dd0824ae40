"""Channel ranges on the host: the numba pass against numpy, NaN and Inf marked, any pixel count."""

import numpy as np
import pytest

from live.normalize import TENSOR_MAPS, channel_ranges, offsets_and_scales


@pytest.mark.parametrize("hwk", [(224, 224, 64), (7, 5, 3), (1, 1, 1), (1, 3, 10), (56, 56, 256)])
def test_channel_ranges_equal_numpy(hwk):
    maps = np.random.default_rng(sum(hwk)).normal(0, 10, hwk).astype(np.float32)
    maps[-1, -1] = 1000  # the extremes in the last pixel, which a pass four pixels at a time reaches last
    maps[0, 0] = -1000
    low, high = channel_ranges(maps)
    np.testing.assert_array_equal(low, maps.min(axis=(0, 1)))
    np.testing.assert_array_equal(high, maps.max(axis=(0, 1)))


def test_channels_holding_nan_or_inf_get_nan_ranges():
    maps = np.random.default_rng(0).uniform(0, 1, (9, 11, 6)).astype(np.float32)
    maps[4, 5, 1] = np.nan
    maps[8, 10, 2] = np.inf
    maps[0, 0, 3] = -np.inf
    maps[:, :, 4] = np.nan
    low, high = channel_ranges(maps)
    bad = [1, 2, 3, 4]
    assert np.isnan(low[bad]).all() and np.isnan(high[bad]).all()
    np.testing.assert_array_equal(low[[0, 5]], maps[:, :, [0, 5]].min(axis=(0, 1)))
    np.testing.assert_array_equal(high[[0, 5]], maps[:, :, [0, 5]].max(axis=(0, 1)))
    offset, scale = offsets_and_scales(low, high, "channel", low, high)
    assert (scale[bad] == 0).all() and (scale[[0, 5]] > 0).all()


def test_huge_finite_values_are_not_taken_for_inf():
    maps = np.full((3, 3, 2), 3e38, np.float32)
    maps[1, 1] = -3e38
    low, high = channel_ranges(maps)
    np.testing.assert_array_equal(low, np.float32([-3e38, -3e38]))
    np.testing.assert_array_equal(high, np.float32([3e38, 3e38]))


def test_the_kernel_compiled_ahead_is_the_one_the_first_frame_calls(vgg16):
    """`compile_ranges` compiles before the layer is built: for maps of another type the first frame would compile
    once more, inside the layer's building, and a first start's seconds be put down to the layer."""
    import numba

    from live.extractor import Extractor

    extractor = Extractor(vgg16, "block1_conv1", 8, in_graph=False)
    extraction = extractor(np.zeros((*extractor.input_hw, 3), np.uint8), np.arange(8))
    assert numba.typeof(extraction.maps_hwk) == TENSOR_MAPS
