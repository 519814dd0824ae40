"""Frame → model input: the crop and resize, and the model's scaling taken over by OpenCV only when it is exact."""

import numpy as np
import pytest

from live.preprocess import HostScaling, crop_box, prepare_rgb
from models.loading import PREPROCESS_CHOICES, _from_gray, _preprocess_fn


@pytest.mark.parametrize("frame_hw", [(480, 640), (640, 480), (224, 224), (1, 1), (2160, 3840)])
def test_prepare_crops_to_the_centre_and_resizes(frame_hw):
    frame = np.zeros((*frame_hw, 3), np.uint8)
    frame[..., 2] = 255  # red in BGR
    rgb = prepare_rgb(frame, (224, 224))
    assert rgb.shape == (224, 224, 3)
    assert rgb[0, 0, 0] == 255 and rgb[0, 0, 2] == 0  # now RGB


def test_prepare_keeps_the_centre():
    frame = np.zeros((100, 300, 3), np.uint8)
    frame[:, 100:200] = 255  # only the centre square is white
    assert prepare_rgb(frame, (50, 50)).min() == 255


@pytest.mark.parametrize("frame_hw, input_hw, box", [
    ((720, 1280), (160, 288), (0, 0, 720, 1280)),  # 1.78 against 1.8: seen whole, not 8 rows cut off and marked
    ((100, 101), (224, 224), (0, 0, 100, 101)),  # 1 % wider than square: whole
    ((100, 103), (224, 224), (0, 1, 100, 101)),  # 3 %: the middle square, as before
    ((480, 640), (224, 224), (0, 80, 480, 560)),
])
def test_a_frame_is_cut_to_the_models_shape_unless_within_2_percent_of_it(frame_hw, input_hw, box):
    assert crop_box(frame_hw, input_hw) == box


def _keras_preprocessors():
    import keras

    return {name: getattr(keras.applications, name).preprocess_input
            for name in ("vgg16", "mobilenet_v2", "resnet50", "densenet", "efficientnet")}


@pytest.mark.parametrize("mode", [m for m in PREPROCESS_CHOICES if m != "auto"] + ["hed", *_keras_preprocessors()])
def test_host_scaling_matches_the_graph_preprocessing(mode):
    """Every preprocessing the project ships, and Keras' own, is per-pixel affine: OpenCV gives the graph's
    numbers, to the last bit where the graph adds and multiplies as the matrix does (Caffe's BGR minus mean)."""
    import tensorflow as tf

    preprocess = _keras_preprocessors()[mode] if mode in _keras_preprocessors() else _preprocess_fn(mode)
    scaling = HostScaling.of(preprocess, (32, 48))
    assert scaling is not None
    rgb = np.random.default_rng(3).integers(0, 256, (32, 48, 3), dtype=np.uint8)
    expected = np.asarray(preprocess(tf.constant(rgb[None].astype(np.float32))))[0]
    got = scaling.apply(rgb)
    assert got.dtype == np.float32 and got.shape == (32, 48, 3)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    if mode in ("caffe", "hed", "vgg16", "none"):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("mode", ["none", "unit", "symmetric"])
def test_host_scaling_of_a_gray_model_takes_the_gray_levels_in_one_step(mode):
    import tensorflow as tf

    preprocess = _from_gray(_preprocess_fn(mode))
    scaling = HostScaling.of(preprocess, (32, 48))
    assert scaling is not None and scaling.channels == 1
    rgb = np.random.default_rng(4).integers(0, 256, (32, 48, 3), dtype=np.uint8)
    expected = np.asarray(preprocess(tf.constant(rgb[None].astype(np.float32))))[0]
    got = scaling.apply(rgb)
    assert got.shape == (32, 48, 1) == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_host_scaling_reads_the_channel_order():
    scaling = HostScaling.of(_preprocess_fn("hed"), (8, 8))
    red = np.zeros((8, 8, 3), np.uint8)
    red[..., 0] = 200
    out = scaling.apply(red)[0, 0]
    assert out[2] == pytest.approx(200 - 122.67892, abs=1e-4)  # red is the last channel for BGR models
    assert out[0] == pytest.approx(-104.00699, abs=1e-4)


@pytest.mark.parametrize("name", ["square", "inf", "image-mean", "two-channel", "raises"])
def test_preprocessing_that_is_not_a_per_pixel_affine_map_stays_in_the_graph(name):
    import tensorflow as tf

    preprocess = {"square": lambda rgb: rgb * rgb,
                  "inf": lambda rgb: rgb * np.float32(np.inf),
                  "image-mean": lambda rgb: rgb - tf.reduce_mean(rgb),  # depends on the whole image
                  "two-channel": lambda rgb: rgb[..., :2],  # neither RGB nor gray
                  "raises": lambda rgb: rgb.no_such_method()}[name]
    assert HostScaling.of(preprocess, (16, 16)) is None
