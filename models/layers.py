"""A model's feature layers (every layer with a 4-D output), nested models opened, and the model cut at one.

Transfer learning usually puts a whole model (a `keras.applications` base) inside the user's model as one
layer; its own layers are what there is to see, so they are listed as `base/Conv1` and can be cut at.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)

NESTED = "/"  # between a nested model's name and its layer's; Keras does not allow it in layer names


@dataclass(frozen=True)
class FeatureLayer:
    """A layer whose output is a 4-D feature map (batch, height, width, channels)."""

    name: str
    height: int | None
    width: int | None
    channels: int
    kind: str = ""  # the Keras layer class, e.g. Conv2D


TRAINING_ONLY = {"Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout", "AlphaDropout"}


def training_only(kind: str) -> bool:
    """Whether a layer of the Keras class `kind` acts in training only, and passes its input on unchanged while the
    model runs (training=False): data augmentation (RandomFlip, RandomRotation, ..., but RandomCrop, which crops),
    dropout and noise. Its maps are those of the layer before it."""
    return kind.startswith("Random") and kind != "RandomCrop" or kind in TRAINING_ONLY


STAGE_SHRINK = 1.5  # a stage's maps have at most 1/1.5 of the area of the stage's before: a stride halves each side


def stage_starts(layers: list[FeatureLayer]) -> list[int]:
    """Where each stage of a network begins, as indices into `layers`: the first convolution at each map size
    smaller than every one before it (block1_conv1, block2_conv1, ... block5_conv1 for VGG16).

    Smaller means by a stride or a pooling: a convolution without padding takes a border off (Inception's and
    Xception's 111x111 to 109x109), which made two stages of one. A size that holds no convolution (a padding
    layer's, a pooling's before the next block) is passed over, and so are layers whose size is left open by the
    model, and 1x1 maps with larger ones after them: a squeeze-and-excitation branch's (EfficientNet,
    MobileNetV3), which took the second key and left none for the stages after it.
    """
    areas = [None if layer.height is None or layer.width is None else layer.height * layer.width for layer in layers]
    starts, stage_area, waiting = [], float("inf"), False
    for index, (layer, area) in enumerate(zip(layers, areas)):
        if area is None or area == 1 and any(later is not None and later > 1 for later in areas[index + 1:]):
            continue
        if area * STAGE_SHRINK <= stage_area:
            stage_area, waiting = area, True
        if waiting and area <= stage_area and "Conv" in layer.kind:
            starts.append(index)
            waiting = False
    return starts


def feature_layers(model, prefix: str = "") -> list[FeatureLayer]:
    """Every layer of `model` whose output is 4-D, in model order, with its (height, width, channels).

    A model used inside the model as one layer (a `keras.applications` base under a new head, the usual
    way of transfer learning) is opened: its layers are listed as `base/Conv1`, before the base itself.
    """
    import keras

    found = []
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        if isinstance(layer, keras.Model):
            if _feed(layer) is None:
                continue  # called on several tensors: no one output to show
            found += feature_layers(layer, f"{prefix}{layer.name}{NESTED}")
        try:
            shape = tuple(layer.output.shape)
        except (AttributeError, ValueError):
            continue  # a layer used several times has no single output
        if len(shape) == 4 and shape[3]:
            found.append(FeatureLayer(prefix + layer.name, shape[1], shape[2], int(shape[3]), type(layer).__name__))
    return found


def sized(model, layers: list[FeatureLayer], input_shape: tuple[int, int, int]) -> list[FeatureLayer]:
    """`layers` of a model that leaves its input size open, with the size of their maps for an input of
    `input_shape` (height, width, channels), the size it runs at here: for the listing and the stage keys.
    Worked out symbolically, without computing anything; a layer Keras cannot size keeps its open size."""
    import dataclasses

    import keras

    probe = keras.KerasTensor((1, *input_shape), dtype=model.inputs[0].dtype)
    shapes = {}
    # A plain layer's output is a tensor of this model's graph: all of them in one pass. A nested model and the
    # layers inside it are reached through a cut of their own (`_cut`).
    plain = [layer.name for layer in layers
             if NESTED not in layer.name and not isinstance(model.get_layer(layer.name), keras.Model)]
    try:
        if plain:
            outputs = [model.get_layer(name).output for name in plain]
            specs = keras.Model(model.inputs[0], outputs).compute_output_spec(probe)
            specs = specs if isinstance(specs, (list, tuple)) else [specs]
            shapes.update(zip(plain, [tuple(spec.shape) for spec in specs]))
        for name in (layer.name for layer in layers if layer.name not in shapes):
            shapes[name] = tuple(cut_at(model, name).compute_output_spec(probe).shape)
    except Exception as exc:  # any failure only leaves the sizes open, as Keras gave them
        log.debug("could not size the layers at %s: %s", input_shape, exc)
    return [dataclasses.replace(layer, height=shapes[layer.name][1], width=shapes[layer.name][2])
            if layer.name in shapes else layer for layer in layers]


def _feed(layer):
    """For a model nested in another as a layer, called once on one image tensor: the tensor it is called on in
    the outer model's graph. None for any other layer."""
    import keras

    if not isinstance(layer, keras.Model) or len(getattr(layer, "inputs", None) or []) != 1:
        return None
    # Keras 3 keeps no public way to this tensor (should a later Keras drop these attributes, nested models are
    # left out rather than failing). A Sequential model loaded from a file calls its layers once per rebuild,
    # always on the same tensor: what counts is that there is one.
    fed = {id(tensor): tensor for node in getattr(layer, "_inbound_nodes", [])
           for tensor in getattr(node, "input_tensors", ())}
    if len(fed) != 1:
        return None
    (tensor,) = fed.values()
    return tensor if len(tensor.shape) == 4 else None


def _cut(model, path: list[str]):
    """`model` from its input to the output of the layer at `path`: a layer's name, or a nested model's name
    followed by the path inside it. Keras cannot connect the outer input to an inner layer's output
    ("graph disconnected"), so the outer layers before the nested model and the cut of the nested model
    are called one after the other."""
    import keras

    layer = model.get_layer(path[0])
    feed = _feed(layer)
    if feed is None:  # a plain layer: its output is a tensor of this model's graph
        return keras.Model(model.inputs[0], layer.output)
    # A nested model's own `output` is a tensor of its inner graph, even when it is cut whole.
    inner = layer if len(path) == 1 else _cut(layer, path[1:])
    image = keras.Input(model.inputs[0].shape[1:], dtype=model.inputs[0].dtype)
    before = image if feed is model.inputs[0] else keras.Model(model.inputs[0], feed)(image)
    return keras.Model(image, inner(before))


def cut_at(model, name: str):
    """A Keras model from `model`'s input to the output of layer `name` (`base/Conv1` inside a nested model)."""
    return _cut(model, name.split(NESTED))
