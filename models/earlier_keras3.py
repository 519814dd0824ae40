"""Model files of Keras 3 with settings that the installed Keras 3 refuses, although a Keras 3 wrote them.

Two random augmentation layers, which the tutorials of transfer learning and image classification put before
the model: RandomRotation's `value_range`, which Keras 3.0 to 3.5 wrote and 3.6 dropped, and RandomShear's
factors, which Keras 3.8 on writes as the range (-f, f) that its own constructor refuses (keras-team/keras#21110).
Keras then refuses the whole model. Such layers do nothing outside training, so the maps are those of the file:
the settings are mended, the model built from them and its weights read from the file as Keras reads them.
"""

from __future__ import annotations

import copy
import inspect
import logging
from pathlib import Path

from models import keras2

log = logging.getLogger(__name__)


def _rotation(options: dict) -> list[str]:
    """RandomRotation's settings without the `value_range` that this Keras no longer takes; the keys left out."""
    import keras

    if "value_range" in options and "value_range" not in inspect.signature(keras.layers.RandomRotation).parameters:
        del options["value_range"]
        return ["value_range"]
    return []


def _shear(options: dict) -> list[str]:
    """RandomShear's factors, written as the range (-f, f), given as the number f they were made from; the keys
    mended."""
    mended = []
    for key in ("x_factor", "y_factor"):
        value = options.get(key)
        if isinstance(value, list) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value) \
                and value[0] < 0 and value[0] == -value[1]:
            options[key] = value[1]  # the number it was made from: (-f, f) again
            mended.append(key)
    return mended


MENDS = {"RandomRotation": _rotation, "RandomShear": _shear}


def config_to_mend(path: Path) -> dict | None:
    """The settings of a Keras 3 .keras archive or .h5 file, mended, where they hold what the installed Keras
    refuses; None for any other file. Says what was mended."""
    version, config = keras2.file_settings(path)
    if not version.startswith("3.") or config is None:
        return None
    config, mended = copy.deepcopy(config), []
    for layer in keras2.layers_in(config):
        mend = MENDS.get(layer.get("class_name"))
        options = layer.get("config")
        keys = mend(options) if mend is not None and isinstance(options, dict) else []
        if keys:
            mended.append(f"{layer['class_name']} '{options.get('name', '?')}': {' and '.join(keys)}")
    if not mended:
        return None
    import keras

    log.info("'%s' was saved by Keras %s with settings of random augmentation that Keras %s refuses (%s): mended, "
             "as such layers do nothing outside training", path.name, version, keras.__version__, ", ".join(mended))
    return config


def load(path: Path, config: dict, own: dict, safe_mode: bool):
    """The model of a Keras 3 file from its mended settings, with its weights from the file (`path` with its suffix
    in lower case, as Keras needs it)."""
    from keras.src.saving import serialization_lib

    if path.suffix != ".keras":  # as Keras reads an .h5 file's model_config
        return keras2.rebuilt(path, config, own, safe_mode)
    with serialization_lib.ObjectSharingScope():  # as Keras reads an archive's config.json
        model = serialization_lib.deserialize_keras_object({**config, "compile_config": None}, custom_objects=own,
                                                           safe_mode=safe_mode)
    keras2.load_weights(model, path)
    return model
