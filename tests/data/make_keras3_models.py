"""Writes small models saved by earlier Keras 3 versions with settings that the installed Keras refuses, and the
maps that the saving Keras itself gives for one input: keras3_4_augmented.keras / .npz, saved by Keras 3.4.1
(RandomRotation's value_range; it writes no .h5 file of that layer), and keras3_14_sheared.keras / .h5 / .npz,
saved by Keras 3.14.1 (RandomShear's factors).

Run once in a virtual environment of its own: `pip install tensorflow==2.17.1 keras==3.4.1`, then
`python tests/data/make_keras3_models.py` from the repository's folder; again after `pip install keras==3.14.1`.
Each Keras version writes only its own files.
"""

from pathlib import Path

import keras
import numpy as np

HERE = Path(__file__).resolve().parent


def augmented_model(augment: list) -> keras.Model:
    """The image-classification tutorial's shape: random augmentation as a nested Sequential, then rescaling and
    a convolution whose weights are not their initial values, so that loading them shows."""
    rng = np.random.default_rng(4)
    inputs = keras.Input((32, 32, 3))
    x = keras.Sequential(augment, name="augment")(inputs)
    x = keras.layers.Rescaling(1 / 255, name="scale")(x)
    conv = keras.layers.Conv2D(8, 3, name="conv")
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(conv(x)))
    conv.set_weights([rng.normal(0.5, 0.3, w.shape).astype("float32") for w in conv.get_weights()])
    return model


def save(model: keras.Model, name: str, suffixes: tuple[str, ...]) -> None:
    for suffix in suffixes:
        model.save(HERE / f"{name}{suffix}")
    pixels = np.random.default_rng(5).uniform(0, 255, (1, 32, 32, 3)).astype("float32")
    maps = keras.Model(model.inputs, model.get_layer("conv").output)(pixels, training=False)
    np.savez(HERE / f"{name}.npz", pixels=pixels, maps=np.asarray(maps))


if __name__ == "__main__":
    if keras.__version__ == "3.4.1":
        save(augmented_model([keras.layers.RandomFlip("horizontal"), keras.layers.RandomRotation(0.2)]),
             "keras3_4_augmented", (".keras",))
    elif keras.__version__ == "3.14.1":
        save(augmented_model([keras.layers.RandomFlip("horizontal"), keras.layers.RandomShear(0.2, 0.1)]),
             "keras3_14_sheared", (".keras", ".h5"))
    else:
        raise SystemExit(f"Keras {keras.__version__}: install 3.4.1 or 3.14.1 (see the docstring)")
