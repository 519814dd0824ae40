"""The one tf.function against a direct Keras call; traced once; every normalization mode keeps its promise."""

import numpy as np
import pytest

from live.extractor import Extractor, to_gray_levels
from live.preprocess import prepare_rgb
from live.tiler import to_levels
from tests.conftest import direct_feature_map, moving_frames


def levels(out):
    """Gray levels 0..255 of an extraction, whichever side normalized it."""
    return to_levels(out.maps_hwk, out.offset, out.scale)


both_sides = pytest.mark.parametrize("in_graph", [True, False], ids=["graph", "host"])


def minmax_uint8(fmap):
    low, high = fmap.min(axis=(0, 1)), fmap.max(axis=(0, 1))
    span = np.where(high > low, high - low, 1)
    return np.where(high > low, (fmap - low) / span * 255, 0)


@both_sides
def test_matches_a_direct_keras_call(vgg16, in_graph):
    rgb = prepare_rgb(moving_frames(1)[0], vgg16.input_hw)
    extractor = Extractor(vgg16, "block1_conv1", 64, in_graph)
    out = extractor(rgb, np.arange(64))
    assert out.maps_hwk.shape == (224, 224, 64)
    assert out.maps_hwk.dtype == (np.uint8 if in_graph else np.float32)
    assert (extractor.host_scaling is None) == in_graph  # on the host, OpenCV scales VGG16's input
    expected = minmax_uint8(direct_feature_map(vgg16, "block1_conv1", rgb))
    assert np.abs(levels(out) - expected).max() <= 1.0
    np.testing.assert_allclose(extractor.activations(rgb), direct_feature_map(vgg16, "block1_conv1", rgb), atol=1e-3)


@both_sides
def test_traces_once_across_frames_pages_and_modes(vgg16, in_graph):
    extractor = Extractor(vgg16, "block3_conv3", 64, in_graph)
    frames = [prepare_rgb(f, vgg16.input_hw) for f in moving_frames(4)]
    pages = [np.arange(64) + 64 * p for p in range(4)]
    for frame in frames:
        for page in pages:
            for mode in ("channel", "layer", "percentile"):
                out = extractor(frame, page, mode)
                assert out.maps_hwk.shape == (56, 56, 64)
    extractor(frames[0], np.array([200, 3, 77]), "channel")  # an arbitrary selection gathers
    extractor(frames[0], np.arange(64), "steady", np.zeros(64), np.ones(64))
    assert extractor.trace_count == 1


@both_sides
def test_pages_show_the_requested_channels(vgg16, in_graph):
    rgb = prepare_rgb(moving_frames(1)[0], vgg16.input_hw)
    extractor = Extractor(vgg16, "block3_conv3", 64, in_graph)
    whole = minmax_uint8(extractor.activations(rgb))
    for channels in (np.arange(64, 128), np.array([255, 0, 130])):
        out = extractor(rgb, channels)
        shown = levels(out)[:, :, out.columns]
        assert np.abs(shown.astype(float) - whole[:, :, channels]).max() <= 1.0


def test_plan_slices_contiguous_pages_and_gathers_the_rest(vgg16):
    extractor = Extractor(vgg16, "block3_conv3", 64)
    block, columns, gather = extractor.plan(np.arange(224, 256))  # a last page of 32
    assert not gather and block[0] == 192 and columns.tolist() == list(range(32, 64))
    block, columns, gather = extractor.plan(np.array([5, 250]))
    assert gather and block[:2].tolist() == [5, 250] and columns.tolist() == [0, 1]
    with pytest.raises(ValueError):
        extractor.plan(np.array([256]))


@both_sides
def test_layer_mode_keeps_the_ratio_between_channels(vgg16, in_graph):
    rgb = prepare_rgb(moving_frames(1)[0], vgg16.input_hw)
    extractor = Extractor(vgg16, "block1_conv1", 64, in_graph)
    raw = extractor.activations(rgb)
    out = levels(extractor(rgb, np.arange(64), "layer")).astype(float)
    low, high = raw.min(), raw.max()
    np.testing.assert_allclose(out, (raw - low) / (high - low) * 255, atol=1.0)
    strong, weak = np.argmax(raw.max(axis=(0, 1))), np.argmin(raw.max(axis=(0, 1)))
    assert out[:, :, strong].max() == 255 and out[:, :, weak].max() < 255


@both_sides
def test_percentile_mode_clips_outliers(vgg16, in_graph):
    rgb = prepare_rgb(moving_frames(1)[0], vgg16.input_hw)
    extractor = Extractor(vgg16, "block1_conv1", 64, in_graph)
    channel = levels(extractor(rgb, np.arange(64), "channel"))
    clipped = levels(extractor(rgb, np.arange(64), "percentile"))
    # Clipping 1 % at each end saturates more pixels than a plain min-max does.
    assert (clipped == 255).sum() > (channel == 255).sum()


@both_sides
def test_steady_mode_varies_less_than_channel_mode_on_a_noisy_still_scene(vgg16, in_graph):
    from live.capture import Frame
    from live.inference import Inference, Request

    rng = np.random.default_rng(0)
    still = moving_frames(1)[0].astype(np.int16)
    inference = Inference(vgg16, 64, None, None, None, None, in_graph=in_graph)
    changes = {}
    for mode in ("channel", "steady"):
        request = Request("block1_conv1", np.arange(64, dtype=np.int32), mode, False, False)
        previous, diffs = None, []
        for i in range(12):
            noisy = np.clip(still + rng.normal(0, 6, still.shape), 0, 255).astype(np.uint8)
            maps = levels(inference.process(Frame(i, noisy, 0.0), request).extraction).astype(float)
            if previous is not None and i >= 4:
                diffs.append(np.abs(maps - previous).mean())
            previous = maps
        changes[mode] = np.mean(diffs)
    assert changes["steady"] < changes["channel"]


@both_sides
def test_constant_nan_and_inf_channels_are_blank(in_graph):
    import keras

    inputs = keras.Input((16, 16, 3))
    zero = keras.layers.Conv2D(4, 1, kernel_initializer="zeros", name="flat")(inputs)  # constant maps
    model = keras.Model(inputs, zero)
    from models.layers import feature_layers
    from models.loading import LoadedModel

    nan_pre = lambda rgb: rgb * np.float32(np.nan)  # noqa: E731
    loaded = LoadedModel("tiny", model, "none", (16, 16), lambda rgb: rgb, feature_layers(model))
    out = Extractor(loaded, "flat", 4, in_graph)(np.full((16, 16, 3), 9, np.uint8), np.arange(4))
    assert (levels(out) == 0).all()
    loaded_nan = LoadedModel("tiny", keras.Model(inputs, keras.layers.Conv2D(2, 1, name="c")(inputs)), "none",
                             (16, 16), nan_pre, [])
    loaded_nan.layers = feature_layers(loaded_nan.model)
    for mode in ("channel", "layer", "percentile"):
        out = Extractor(loaded_nan, "c", 2, in_graph)(np.full((16, 16, 3), 9, np.uint8), np.arange(2), mode)
        assert (levels(out) == 0).all()
    inf_pre = lambda rgb: rgb * np.float32(np.inf)  # noqa: E731
    loaded_inf = LoadedModel("tiny", loaded_nan.model, "none", (16, 16), inf_pre, loaded_nan.layers)
    out = Extractor(loaded_inf, "c", 2, in_graph)(np.full((16, 16, 3), 9, np.uint8), np.arange(2))
    assert (levels(out) == 0).all()


def test_gray_levels_are_a_clip_and_truncate_byte_for_byte():
    """The in-graph scaling avoids tf.where and tf.clip_by_value (slow to start on a GPU) yet gives their bytes,
    also for values a hair below a whole gray level, where `255 - relu(255 - x)` rounds up."""
    import tensorflow as tf

    k = 8
    lo = np.zeros(k, np.float32)
    hi = np.full(k, 255, np.float32)
    hi[1] = 100  # values go above 255
    lo[2] = np.nan  # a range that is not finite, or empty, or too wide, gives a blank channel
    hi[3] = np.inf
    lo[4] = hi[4] = 5
    lo[5], hi[5] = -3e38, 3e38
    finite = np.ones(k, np.float32)
    finite[6] = 0  # the raw maps held NaN or Inf
    near = [np.float32(n - 0.5) + sign * np.float32(d) for n in range(256)
            for d in (0, 2 ** -18, 2 ** -17, 2 ** -16, 1e-7) for sign in (-1, 1)]
    odd = [1e30, -1e30, 300, -7, np.inf, -np.inf, np.nan, -0.0]
    column = np.array(near + odd, np.float32)
    noise = np.random.default_rng(0).normal(100, 200, 400).astype(np.float32)
    maps = np.repeat(np.concatenate([column, noise])[:, None], k, axis=1)[:, None, :]  # (height, 1, k)

    got = to_gray_levels(tf.constant(maps), tf.constant(lo), tf.constant(hi), tf.constant(finite)).numpy()

    valid = (finite > 0) & np.isfinite(lo) & np.isfinite(hi) & (hi > lo)
    with np.errstate(all="ignore"):
        scale = np.where(valid, np.float32(255) / np.where(valid, hi - lo, 1), 0).astype(np.float32)
        level = np.clip((maps - np.where(valid, lo, 0).astype(np.float32)) * scale + np.float32(0.5), 0, 255)
        expected = np.where(valid & ~np.isnan(level), np.nan_to_num(level).astype(np.uint8), 0)
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, expected)
    assert (got[:, :, [2, 3, 4, 5, 6]] == 0).all() and got[:, :, 1].max() == 255


@both_sides
def test_a_mixed_precision_model_gives_float32_maps(in_graph):
    """Layers under Keras' mixed_float16 policy give float16 maps, which numba and the normalization take as
    float32; before the cast the run stopped with NotImplementedError: float16."""
    import keras

    from models.layers import feature_layers
    from models.loading import LoadedModel

    inputs = keras.Input((16, 16, 3))
    half = keras.layers.Conv2D(4, 3, dtype="mixed_float16", name="half")(inputs)
    model = keras.Model(inputs, half)
    assert model.get_layer("half").compute_dtype == "float16"
    loaded = LoadedModel("mixed", model, "none", (16, 16), lambda rgb: rgb, feature_layers(model))
    rgb = prepare_rgb(moving_frames(1)[0], (16, 16))
    out = Extractor(loaded, "half", 4, in_graph)(rgb, np.arange(4))
    expected = minmax_uint8(np.asarray(model(rgb[None].astype(np.float32)), np.float32)[0])
    assert np.abs(levels(out) - expected).max() <= 1.0
    assert levels(out).std() > 10


@both_sides
def test_maps_of_one_pixel_are_scaled_together_and_open_sizes_are_known(in_graph):
    """A 1x1 map is one value a channel: a range per channel blanked every tile, so they are scaled as a layer."""
    import keras

    from models.layers import feature_layers
    from models.loading import LoadedModel

    inputs = keras.Input((None, None, 3))
    squeezed = keras.layers.Conv2D(6, 16, strides=16, name="squeezed", kernel_initializer="zeros",
                                   bias_initializer=keras.initializers.Constant([3.0, 0, 5, 1, 4, 2]))(inputs)
    model = keras.Model(inputs, squeezed)
    single = LoadedModel("one", model, "none", (16, 16), lambda rgb: rgb, feature_layers(model))
    extractor = Extractor(single, "squeezed", 6, in_graph)
    assert single.layer("squeezed").height is None and extractor.map_hw == (1, 1)
    assert [extractor.mode_for(m) for m in ("channel", "percentile", "steady", "layer")] == ["layer"] * 4
    rgb = prepare_rgb(moving_frames(1)[0], (16, 16))
    out = extractor(rgb, np.arange(6), extractor.mode_for("channel"))
    np.testing.assert_array_equal(levels(out)[0, 0], (np.array([3, 0, 5, 1, 4, 2]) * 51 + 0.5).astype(np.uint8))
    wider = LoadedModel("two", model, "none", (32, 32), lambda rgb: rgb, feature_layers(model))
    extractor = Extractor(wider, "squeezed", 6, in_graph)
    assert extractor.map_hw == (2, 2) and extractor.mode_for("channel") == "channel"
