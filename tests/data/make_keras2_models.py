"""Writes small models saved by Keras 2 (tf_keras), with what Keras 3 cannot read in such files as they are, and
the maps Keras 2 itself gives for one input: keras2_transfer.h5 / .npz, of TensorFlow's transfer-learning
tutorial's shape, and keras2_sequential.h5 / .npz, of its image-classification tutorial's; the same in Keras 2's
other formats (a .keras archive, SavedModel folders); keras2_functional.keras / .npz; keras2_own_layer.keras;
keras2_resized.h5 / .keras / .npz; keras2_mixed.h5 / .npz; keras2_layers.h5 / .npz; keras2_locally.h5;
keras2_tf212.keras / .npz, the functional model as TensorFlow 2.12 saved a .keras name, and
keras2_tf212_wrapped.h5 / .npz; keras2_attention.h5 / _savedmodel / .npz; keras2_hard_sigmoid.h5 / .keras /
.npz.

Run once with tf_keras installed (not a requirement of the program): `pip install tf_keras==2.21.0`, then
`python tests/data/make_keras2_models.py` from the repository's folder; the keras2_tf212 files with TensorFlow
2.12's own tf.keras instead (`pip install tensorflow==2.12.1`, Python 3.11 at the latest, without tf_keras).
"""

import os
from pathlib import Path

os.environ["TF_USE_LEGACY_KERAS"] = "1"

import numpy as np  # noqa: E402

try:
    import tf_keras as keras
    from tf_keras.src.applications.convnext import LayerScale
except ImportError:  # TensorFlow 2.12, whose own tf.keras is Keras 2 (keras2_tf212.keras)
    from keras.applications.convnext import LayerScale
    from tensorflow import keras

HERE = Path(__file__).resolve().parent


def base() -> keras.Model:
    """A nested functional model, as keras.applications bases are: depthwise and separable convolutions (Keras 2
    wrote them a `groups` setting), layer names with '/' (DenseNet's and MobileNetV3's), a residual sum written
    as `x + y` (a TFOpLambda with a tensor argument, as ConvNeXt's), a slice `x[..., ::-1]` (SlicingOpLambda)
    and ConvNeXt's LayerScale."""
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", name="stem/conv")(inputs)
    x = keras.layers.BatchNormalization(name="stem/bn")(x)
    y = keras.layers.DepthwiseConv2D(3, padding="same", name="block/depthwise")(x[..., ::-1])  # SlicingOpLambda
    y = keras.layers.SeparableConv2D(8, 3, padding="same", name="block/separable")(y)
    y = LayerScale(0.5, 8, name="block/scale")(y)
    return keras.Model(inputs, keras.layers.ReLU(name="block/out")(x + y), name="base")


def main() -> None:
    rng = np.random.default_rng(0)
    augment = keras.Sequential([keras.layers.RandomFlip("horizontal"), keras.layers.RandomRotation(0.2)],
                               name="augment")  # the random layers' rng_type setting
    inputs = keras.Input((32, 32, 3))
    x = keras.applications.mobilenet_v2.preprocess_input(augment(inputs))  # x / 127.5 - 1: two TFOpLambda layers
    features = base()
    maps = features(x, training=False)
    model = keras.Model(inputs, keras.layers.Dense(2, name="head")(keras.layers.GlobalAveragePooling2D()(maps)))
    for layer in features.layers:  # weights that are not their initial values, so that loading them shows
        layer.set_weights([rng.normal(0.5, 0.3, w.shape).astype("float32") for w in layer.get_weights()])
    model.save(HERE / "keras2_transfer.h5")
    pixels = rng.uniform(0, 255, (1, 32, 32, 3)).astype("float32")
    probe = keras.Model(inputs, [x, maps])
    scaled, maps = probe(pixels, training=False)
    np.savez(HERE / "keras2_transfer.npz", pixels=pixels, scaled=scaled.numpy(), maps=maps.numpy())


def sequential() -> None:
    """A Sequential model with its augmentation as a nested Sequential whose first layer was given the input
    shape (Keras 2 wrote it there as well as in an InputLayer), as TensorFlow's image-classification tutorial
    builds it."""
    rng = np.random.default_rng(1)
    augment = keras.Sequential([keras.layers.RandomFlip("horizontal", input_shape=(32, 32, 3)),
                                keras.layers.RandomZoom(0.1)])
    model = keras.Sequential([augment, keras.layers.Rescaling(1 / 255), keras.layers.Conv2D(8, 3, name="conv"),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(5)])
    model.save(HERE / "keras2_sequential.h5")
    pixels = rng.uniform(0, 255, (1, 32, 32, 3)).astype("float32")
    maps = keras.Model(model.inputs, model.get_layer("conv").output)(pixels, training=False)
    np.savez(HERE / "keras2_sequential.npz", pixels=pixels, maps=maps.numpy())


def functional_archive(name: str = "keras2_functional") -> None:
    """A functional model as a .keras archive, of what Keras 3 reads there only translated: a BatchNormalization
    (whose axis Keras 2 wrote as a list), preprocess_input (TFOpLambda layers), a depthwise convolution and
    ConvNeXt's LayerScale in a nested model. TensorFlow 2.12 writes it as HDF5 under the .keras name."""
    rng = np.random.default_rng(2)
    inner_inputs = keras.Input((16, 16, 8))
    inner = keras.Model(inner_inputs, LayerScale(0.5, 8, name="scale")(
        keras.layers.DepthwiseConv2D(3, padding="same", name="depthwise")(inner_inputs)), name="inner")
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", name="conv")(
        keras.applications.mobilenet_v2.preprocess_input(inputs))
    model = keras.Model(inputs, inner(keras.layers.BatchNormalization(name="bn")(x)))
    for layer in [*model.layers, *inner.layers]:
        if not isinstance(layer, keras.Model):
            layer.set_weights([rng.normal(0.5, 0.3, w.shape).astype("float32") for w in layer.get_weights()])
    model.save(HERE / f"{name}.keras")
    pixels = rng.uniform(0, 255, (1, 32, 32, 3)).astype("float32")
    np.savez(HERE / f"{name}.npz", pixels=pixels, maps=model(pixels, training=False).numpy())


def other_formats() -> None:
    """The same models in Keras 2's other formats, holding the same weights, so that the .npz maps hold for them
    too: the Sequential one as a .keras archive (TensorFlow 2.13 to 2.15 on a .keras name; Keras 2 cannot write
    the transfer model's slice `...` there) and both as SavedModel folders (their default without a suffix)."""
    for name in ("keras2_transfer", "keras2_sequential"):
        model = keras.models.load_model(HERE / f"{name}.h5", custom_objects={"LayerScale": LayerScale}, compile=False)
        if name == "keras2_sequential":
            model.save(HERE / f"{name}.keras")
        model.save(HERE / f"{name}_savedmodel", save_format="tf")


class Half(keras.layers.Layer):
    """A layer of one's own, as if from the file layers_keras2.py that the model was built with."""

    def call(self, x):
        return x * 0.5


Half.__module__ = "layers_keras2"  # what Keras 2 writes into the archive as the class's module


def own_layer_archive() -> None:
    """A .keras archive with a layer of one's own, whose module Keras 2 names in its settings."""
    inputs = keras.Input((16, 16, 3))
    model = keras.Model(inputs, Half(name="half")(keras.layers.Conv2D(4, 3, padding="same", name="conv")(inputs)))
    model.save(HERE / "keras2_own_layer.keras")


def resized() -> None:
    """Keras 2's random resizing (RandomHeight, RandomWidth), which Keras 3 no longer has, before a convolution,
    as an .h5 file and a .keras archive."""
    rng = np.random.default_rng(7)
    model = keras.Sequential([keras.layers.RandomHeight(0.2, input_shape=(32, 32, 3)), keras.layers.RandomWidth(0.2),
                              keras.layers.Rescaling(1 / 255), keras.layers.Conv2D(8, 3, name="conv"),
                              keras.layers.GlobalAveragePooling2D()])
    conv = model.get_layer("conv")
    conv.set_weights([rng.normal(0.5, 0.3, w.shape).astype("float32") for w in conv.get_weights()])
    for suffix in (".h5", ".keras"):
        model.save(HERE / f"keras2_resized{suffix}")
    pixels = rng.uniform(0, 255, (1, 32, 32, 3)).astype("float32")
    maps = keras.Model(model.inputs, conv.output)(pixels, training=False)
    np.savez(HERE / "keras2_resized.npz", pixels=pixels, maps=maps.numpy())


def mixed_precision() -> None:
    """A model trained in mixed precision (mixed_float16), whose layers' dtype Keras 2 wrote as a policy object, as an
    .h5 file."""
    rng = np.random.default_rng(8)
    keras.mixed_precision.set_global_policy("mixed_float16")
    inputs = keras.Input((32, 32, 3))
    conv = keras.layers.Conv2D(8, 3, name="conv")
    x = keras.layers.BatchNormalization(name="bn")(conv(keras.layers.Rescaling(1 / 255)(inputs)))
    model = keras.Model(inputs, keras.layers.Dense(2, dtype="float32")(keras.layers.GlobalAveragePooling2D()(x)))
    keras.mixed_precision.set_global_policy("float32")
    conv.set_weights([rng.normal(0.5, 0.3, w.shape).astype("float32") for w in conv.get_weights()])
    model.save(HERE / "keras2_mixed.h5")
    pixels = rng.uniform(0, 255, (1, 32, 32, 3)).astype("float32")
    maps = keras.Model(model.inputs, model.get_layer("bn").output)(pixels, training=False)
    np.savez(HERE / "keras2_mixed.npz", pixels=pixels, maps=maps.numpy().astype("float32"))


def dropped_layers() -> None:
    """Layers of Keras 2 that Keras 3 has in another form or not at all: SpatialDropout2D (settings Keras 3 refuses)
    and ThresholdedReLU, which it dropped, before a convolution, as keras2_layers.h5; LocallyConnected2D, which
    has weights and no Keras 3 counterpart, as keras2_locally.h5."""
    rng = np.random.default_rng(9)
    inputs = keras.Input((32, 32, 3))
    conv = keras.layers.Conv2D(8, 3, name="conv")
    x = keras.layers.ThresholdedReLU(100.0, name="thresholded")(keras.layers.SpatialDropout2D(0.2)(inputs))
    model = keras.Model(inputs, conv(x))
    conv.set_weights([rng.normal(0.5, 0.3, w.shape).astype("float32") for w in conv.get_weights()])
    model.save(HERE / "keras2_layers.h5")
    pixels = rng.uniform(0, 255, (1, 32, 32, 3)).astype("float32")
    np.savez(HERE / "keras2_layers.npz", pixels=pixels, maps=model(pixels, training=False).numpy())
    inputs = keras.Input((8, 8, 3))
    keras.Model(inputs, keras.layers.LocallyConnected2D(2, 3)(inputs)).save(HERE / "keras2_locally.h5")


def wrapped(name: str = "keras2_tf212_wrapped") -> None:
    """A layer inside TimeDistributed, whose settings TensorFlow 2.12 wrote without the module Keras 3 looks it up
    by, as an .h5 file: TimeDistributed(Dense) over the rows of the picture, then a convolution."""
    rng = np.random.default_rng(10)
    inputs = keras.Input((32, 32, 3))
    rows = keras.layers.TimeDistributed(keras.layers.Dense(96), name="rows")(keras.layers.Reshape((32, 96))(inputs))
    model = keras.Model(inputs, keras.layers.Conv2D(8, 3, name="conv")(keras.layers.Reshape((32, 32, 3))(rows)))
    for layer in (model.get_layer("rows"), model.get_layer("conv")):
        layer.set_weights([rng.normal(0, 0.1, w.shape).astype("float32") for w in layer.get_weights()])
    model.save(HERE / f"{name}.h5")
    pixels = rng.uniform(0, 255, (1, 32, 32, 3)).astype("float32")
    np.savez(HERE / f"{name}.npz", pixels=pixels, maps=model(pixels, training=False).numpy())


def attention() -> None:
    """A convolution's map attended to as a vision transformer's block does (MobileViT's): its pixels as tokens,
    each through TimeDistributed(Dense), then MultiHeadAttention(x, x), whose second argument Keras 2 wrote as
    another layer's output among its call's settings, with the shapes it was built for; then a convolution. As
    an .h5 file and a SavedModel folder, whose checkpoint keeps these layers' weights under their sublayers."""
    rng = np.random.default_rng(11)
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="stem")(inputs / 255.0)
    tokens = keras.layers.TimeDistributed(keras.layers.Dense(8), name="embed")(keras.layers.Reshape((64, 8))(x))
    attended = keras.layers.MultiHeadAttention(2, 4, name="attend")(tokens, tokens)
    x = keras.layers.Reshape((8, 8, 8))(keras.layers.Add()([tokens, attended]))
    model = keras.Model(inputs, keras.layers.Conv2D(4, 3, name="conv")(x))
    for layer in model.layers:
        layer.set_weights([rng.normal(0, 0.3, w.shape).astype("float32") for w in layer.get_weights()])
    model.save(HERE / "keras2_attention.h5")
    model.save(HERE / "keras2_attention_savedmodel")
    pixels = rng.uniform(0, 255, (1, 16, 16, 3)).astype("float32")
    np.savez(HERE / "keras2_attention.npz", pixels=pixels, maps=model(pixels, training=False).numpy())


def hard_sigmoid() -> None:
    """Keras 2's hard_sigmoid, clip(0.2 x + 0.5, 0, 1), which Keras 3 computes as clip(x / 6 + 0.5, 0, 1) under the
    same name, as a convolution's activation and as an Activation layer, then a convolution whose activation is
    a layer (its settings a dict where a name was looked for), as an .h5 file and a .keras archive."""
    rng = np.random.default_rng(12)
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(8, 3, activation="hard_sigmoid", name="gate")(keras.layers.Rescaling(1 / 64)(inputs))
    x = keras.layers.Activation("hard_sigmoid", name="conv")(keras.layers.Conv2D(4, 3, name="mix")(x))
    model = keras.Model(inputs, keras.layers.Conv2D(4, 1, activation=keras.layers.LeakyReLU(0.1), name="leaky")(x))
    for layer in (model.get_layer("gate"), model.get_layer("mix"), model.get_layer("leaky")):
        layer.set_weights([rng.normal(0, 1, w.shape).astype("float32") for w in layer.get_weights()])
    model.save(HERE / "keras2_hard_sigmoid.h5")
    model.save(HERE / "keras2_hard_sigmoid.keras")
    pixels = rng.uniform(0, 255, (1, 16, 16, 3)).astype("float32")
    maps = keras.Model(inputs, [model.get_layer(name).output for name in ("gate", "conv", "leaky")])(pixels)
    np.savez(HERE / "keras2_hard_sigmoid.npz", pixels=pixels, **{name: layer_maps.numpy() for name, layer_maps
                                                                 in zip(("gate", "conv", "leaky"), maps)})


if __name__ == "__main__":
    if keras.__version__.startswith("2.12."):  # pip install tensorflow==2.12.1: only its .keras file, which is HDF5
        functional_archive("keras2_tf212")
        wrapped()
        raise SystemExit
    if not (HERE / "keras2_transfer.h5").exists():  # made once: their augmentation and head start at random
        main()
        sequential()
    other_formats()
    functional_archive()
    own_layer_archive()
    resized()
    mixed_precision()
    dropped_layers()
