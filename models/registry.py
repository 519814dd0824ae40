"""The table of models known by name: each name's Keras constructor and preprocessing module."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelSpec:
    """How to build one `keras.applications` model: its class, the module holding its `preprocess_input`, and the
    input size Keras gives it with its classifier, which its ImageNet weights were trained at."""

    name: str
    class_name: str
    module: str
    input_hw: tuple[int, int] = (224, 224)


_TABLE = [
    ("vgg16", "VGG16", "vgg16"),
    ("vgg19", "VGG19", "vgg19"),
    ("resnet50", "ResNet50", "resnet50"),
    ("resnet101", "ResNet101", "resnet"),
    ("resnet152", "ResNet152", "resnet"),
    ("resnet50_v2", "ResNet50V2", "resnet_v2"),
    ("resnet101_v2", "ResNet101V2", "resnet_v2"),
    ("resnet152_v2", "ResNet152V2", "resnet_v2"),
    ("mobilenet", "MobileNet", "mobilenet"),
    ("mobilenet_v2", "MobileNetV2", "mobilenet_v2"),
    ("mobilenet_v3_small", "MobileNetV3Small", "mobilenet_v3"),
    ("mobilenet_v3_large", "MobileNetV3Large", "mobilenet_v3"),
    ("densenet121", "DenseNet121", "densenet"),
    ("densenet169", "DenseNet169", "densenet"),
    ("densenet201", "DenseNet201", "densenet"),
    ("inception_v3", "InceptionV3", "inception_v3"),
    ("inception_resnet_v2", "InceptionResNetV2", "inception_resnet_v2"),
    ("xception", "Xception", "xception"),
    ("nasnet_mobile", "NASNetMobile", "nasnet"),
    ("nasnet_large", "NASNetLarge", "nasnet"),
    ("convnext_tiny", "ConvNeXtTiny", "convnext"),
    ("convnext_small", "ConvNeXtSmall", "convnext"),
    ("convnext_base", "ConvNeXtBase", "convnext"),
    ("convnext_large", "ConvNeXtLarge", "convnext"),
    ("convnext_xlarge", "ConvNeXtXLarge", "convnext"),
] + [(f"efficientnet_b{i}", f"EfficientNetB{i}", "efficientnet") for i in range(8)] + [
    (f"efficientnet_v2_{v.lower()}", f"EfficientNetV2{v}", "efficientnet_v2")
    for v in ("B0", "B1", "B2", "B3", "S", "M", "L")
]

# Keras' own sizes (`default_size` in keras.applications) where they are not 224: all ran at 224x224 here,
# Inception and Xception as well as EfficientNetB7, whose own is 600x600.
_SIDES = {"inception_v3": 299, "inception_resnet_v2": 299, "xception": 299, "nasnet_large": 331,
          **{f"efficientnet_b{i}": side for i, side in enumerate((224, 240, 260, 300, 380, 456, 528, 600))},
          "efficientnet_v2_b1": 240, "efficientnet_v2_b2": 260, "efficientnet_v2_b3": 300, "efficientnet_v2_s": 384,
          "efficientnet_v2_m": 480, "efficientnet_v2_l": 480}

MODELS: dict[str, ModelSpec] = {name: ModelSpec(name, cls, module, (_SIDES.get(name, 224),) * 2)
                                for name, cls, module in _TABLE}


def _squash(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def list_models() -> list[str]:
    """Every model name that `--model` accepts besides a file path."""
    return sorted(MODELS)


def find_spec(name: str) -> ModelSpec | None:
    """The spec for a model name, forgiving case, dashes and underscores (`MobileNetV2` is `mobilenet_v2`)."""
    wanted = _squash(name)
    for spec in MODELS.values():
        if _squash(spec.name) == wanted or _squash(spec.class_name) == wanted:
            return spec
    return None


def close_names(name: str, limit: int = 4) -> list[str]:
    """Known model names that look like a mistyped one, for the error message."""
    by_squash = {_squash(n): n for n in MODELS}
    hits = difflib.get_close_matches(_squash(name), list(by_squash), n=limit, cutoff=0.5)
    return [by_squash[h] for h in hits]
