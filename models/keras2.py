"""Model files of Keras 2 (tf.keras before TensorFlow 2.16, tf_keras) with what Keras 3 cannot read in them.

Keras 3 opens no Keras 2 .keras archive (their settings name Keras 2's modules) or SavedModel folder, and of Keras
2's .h5 files only simple ones, refusing much of what transfer learning puts in them: a TensorFlow function called
on a layer's output (`preprocess_input(x)`, `x + y`, `x[..., :2]`), which Keras 2 saved as a `TFOpLambda` or
`SlicingOpLambda` layer; a base model nested under a new head, whose calls Keras 2 counted from 1; settings of
depthwise and separable convolutions, of the random augmentation layers and of spatial dropout that Keras 3 no
longer takes; a mixed-precision policy as a layer's dtype; layers it dropped (ThresholdedReLU, RandomHeight,
RandomWidth); a wrapped layer without its module (TensorFlow 2.12); another layer's output as an argument
(MultiHeadAttention's `value`); an activation that Keras 3 computes otherwise under its name (hard_sigmoid);
ConvNeXt's own layers; and '/' in layer names. Such a file's model is rebuilt from its settings, translated, and its
weights are read from the file: an .h5 file's and a .keras archive's as Keras reads them (Keras 2 laid out an
archive's weights as Keras 3 does), a SavedModel's from its checkpoint, found by the layers' names (and their
sublayers' attributes).
"""

from __future__ import annotations

import copy
import functools
import json
import logging
from pathlib import Path

log = logging.getLogger(__name__)

TF_OP_LAYERS = ("TFOpLambda", "SlicingOpLambda")  # SlicingOpLambda: x[:, :, :, :2], its slices saved as dicts
# Settings that Keras 2 wrote and Keras 3 refuses, left out where they change nothing: the random augmentation
# layers' generator, and what depthwise and separable convolutions took from plain ones (one group; the kernel
# settings of which they have two of their own).
DROPPED = {"rng_type": None, "groups": 1, "softmax_robust_masking": False}  # the last: attention's, off
SEPARABLE_DROPPED = ("kernel_initializer", "kernel_regularizer", "kernel_constraint")
# Settings of spatial dropout that Keras 3 refuses (its `trainable` too), which change nothing outside training;
# the shapes a MultiHeadAttention was built for, which Keras 3 takes from its call
CLASS_DROPPED = {**{f"SpatialDropout{d}D": ("trainable", "noise_shape") for d in (1, 2, 3)},
                 "MultiHeadAttention": ("query_shape", "key_shape", "value_shape")}
# Layers that Keras 3 has under another name or with settings named otherwise: ReLU(threshold=) does what
# ThresholdedReLU did; LeakyReLU's `alpha`, which Keras 3 still takes, had it warn at each start in Python's words
RENAMED = {"ThresholdedReLU": ("ReLU", {"theta": "threshold"}), "LeakyReLU": ("LeakyReLU", {"alpha": "negative_slope"})}
APPLICATION_LAYERS = {"LayerScale": "convnext", "StochasticDepth": "convnext"}  # keras.applications' own layers
# Keras 2's random resizing, which Keras 3 dropped: outside training they pass the picture on as it is
GONE_AUGMENTATION = ("RandomHeight", "RandomWidth")
KEPT_OPTIONS = ("name", "trainable", "dtype", "batch_input_shape")  # of such a layer, as an Identity layer
POLICIES = ("Policy", "PolicyV1")  # Keras 2's mixed precision (mixed_float16), a layer's dtype by name in Keras 3
SAVED_MODEL_METADATA = "keras_metadata.pb"  # Keras 2's settings of the model, beside a SavedModel
# Activations that Keras 3 has under the same name but computes otherwise, and the name of Keras 2's own here:
# Keras 2's hard_sigmoid is clip(0.2 x + 0.5, 0, 1), Keras 3's clip(x / 6 + 0.5, 0, 1), maps that differ silently
CHANGED_ACTIVATIONS = {"hard_sigmoid": "keras2_hard_sigmoid"}


def saved_by(path: Path) -> str:
    """The Keras version that a .keras archive or a SavedModel folder says it was saved by ('' when it does not
    say, and for other files)."""
    import zipfile

    if path.is_dir():
        root = next((settings for found, settings in _saved_layers(path) if found == ("root",)), {})
        return str(root.get("keras_version", ""))
    if path.suffix.lower() != ".keras":
        return ""
    try:
        with zipfile.ZipFile(path) as archive:
            return str(json.loads(archive.read("metadata.json")).get("keras_version", ""))
    except (KeyError, ValueError, OSError, zipfile.BadZipFile, AttributeError):
        return ""


def file_settings(path: Path) -> tuple[str, dict | None]:
    """The Keras version that a .keras archive or an .h5 file says it was saved by ('' where it does not say) and
    its model's settings (None where it holds none that can be read), read without Keras."""
    import h5py

    if path.suffix.lower() == ".keras":  # a zip archive, not HDF5
        return saved_by(path), _archive_config(path)
    try:
        with h5py.File(path, "r") as contents:
            version = contents.attrs.get("keras_version", b"")
            config = contents.attrs.get("model_config")
        config = None if config is None else json.loads(config.decode() if isinstance(config, bytes) else config)
    except (OSError, ValueError):
        return "", None
    version = version.decode() if isinstance(version, bytes) else str(version)
    return version, config if isinstance(config, dict) else None


def config_to_translate(path: Path) -> dict | None:
    """The model settings of a Keras 2 file that Keras 3 cannot read as they are, or None (any other file): every
    .keras archive of Keras 2, and .h5 files with what Keras 3 refuses."""
    version, config = file_settings(path)
    if not version.startswith("2.") or config is None:
        return None
    if path.suffix.lower() == ".keras":
        return config
    return config if any(_refused(layer) or _is_model(layer) for layer in layers_in(config)) else None


def _archive_config(path: Path) -> dict | None:
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (KeyError, ValueError, OSError, zipfile.BadZipFile):
        return None  # Keras says what is wrong with it
    return config if isinstance(config, dict) else None


def saved_model_folder(path: Path) -> Path | None:
    """The folder of a SavedModel that Keras 2 wrote with the settings of its layers (keras_metadata.pb), given
    as the folder or as its saved_model.pb; None for anything else."""
    folder = path.parent if path.name == "saved_model.pb" else path
    if (folder / "saved_model.pb").is_file() and (folder / SAVED_MODEL_METADATA).is_file():
        return folder
    return None


def saved_model_config(folder: Path) -> dict | None:
    """The model settings that Keras 2 wrote beside a SavedModel (keras_metadata.pb), or None where there are
    none (a SavedModel of TensorFlow's own, or of Keras 3's model.export()) or they are not of a graph of
    layers (a subclassed model)."""
    root = next((node for node in _saved_layers(folder) if node[0] == ("root",)), None)
    if root is None or root[1].get("class_name") not in ("Functional", "Sequential", "Model") \
            or not isinstance(root[1].get("config"), dict):
        return None
    return {"class_name": root[1]["class_name"], "config": root[1]["config"]}


def _saved_layers(folder: Path) -> list[tuple[tuple[str, ...], dict]]:
    """(path, settings) of the model and each of its layers in a SavedModel's keras_metadata.pb: the path of
    names by which the checkpoint reaches it ("root", "layer_with_weights-0", ...), the settings JSON with its
    tuples as lists. A protocol buffer of three fields read by hand: node_path (3) and metadata (5) of each
    node (1)."""
    try:
        data = (folder / SAVED_MODEL_METADATA).read_bytes()
        nodes = [dict(_fields(node)) for number, node in _fields(data) if number == 1]
        return [(tuple(node[3].decode().split(".")), json.loads(node[5], object_hook=_tuples))
                for node in nodes if isinstance(node.get(3), bytes) and isinstance(node.get(5), bytes)]
    except (OSError, ValueError, IndexError, UnicodeDecodeError):
        return []


def _fields(data: bytes):
    """(field number, value) of a protocol buffer message: integers, and bytes for what has a length."""
    def varint(at: int) -> tuple[int, int]:
        value = shift = 0
        while True:
            byte = data[at]
            value, shift, at = value | (byte & 0x7F) << shift, shift + 7, at + 1
            if byte < 0x80:
                return value, at

    at = 0
    while at < len(data):
        key, at = varint(at)
        kind = key & 7
        if kind == 0:
            value, at = varint(at)
        elif kind == 2:
            length, at = varint(at)
            value, at = data[at:at + length], at + length
        elif kind in (1, 5):
            value, at = data[at:at + (8 if kind == 1 else 4)], at + (8 if kind == 1 else 4)
        else:
            raise ValueError(f"protocol buffer field of kind {kind}")
        yield key >> 3, value


def _tuples(value: dict):
    """Keras 2's JSON for tuples and shapes ({"class_name": "__tuple__", "items": [...]}) as lists."""
    if value.get("class_name") in ("__tuple__", "TensorShape") and "items" in value:
        return value["items"]
    return value


def _models(config: dict):
    """The settings of a model and of every model nested in it, each with its "layers"."""
    inner = config.get("config")
    if isinstance(inner, dict) and isinstance(inner.get("layers"), list):
        yield inner
        for layer in inner["layers"]:
            yield from _models(layer)


def layers_in(config: dict):
    """Every layer's settings, those inside nested models too."""
    for model in _models(config):
        yield from model["layers"]


def module_of(config: dict, class_name: str) -> str | None:
    """The module that a Keras 2 .keras archive says its layer class `class_name` came from (the code the model
    was built with), which `translated` leaves out; None where it does not say (.h5 files, SavedModels)."""
    for layer in layers_in(config):
        if class_name in (layer.get("class_name"), layer.get("registered_name")) and layer.get("module"):
            return layer["module"]
    return None


def _name(layer: dict) -> str:
    return str(layer.get("name") or _options(layer).get("name") or "")


def _is_model(layer: dict) -> bool:
    return next(_models(layer), None) is not None


def _options(layer: dict) -> dict:
    return layer["config"] if isinstance(layer.get("config"), dict) else {}


def keras3_name(name: str) -> str:
    """A layer's name as Keras 3 takes it: '/', which Keras 2 allowed (DenseNet's conv1/conv), made '_'."""
    return name.replace("/", "_")


def _dropped(layer: dict) -> list[str]:
    """The settings of a layer that Keras 3 refuses and that change nothing, to be left out."""
    options = _options(layer)
    keys = [key for key, value in DROPPED.items() if key in options and value in (None, options[key])]
    if layer.get("class_name", "").startswith("Separable"):
        keys += [key for key in SEPARABLE_DROPPED if key in options]
    return keys + [key for key in CLASS_DROPPED.get(layer.get("class_name"), ()) if key in options]


def _refused(layer: dict) -> bool:
    """Whether Keras 3 would refuse the layer's settings as Keras 2 wrote them, or read them otherwise."""
    return (layer.get("class_name") in (*TF_OP_LAYERS, *APPLICATION_LAYERS, *GONE_AUGMENTATION, *RENAMED)
            or "/" in _name(layer) or bool(_dropped(layer)) or _policy(layer) is not None
            or _wrapped_without_module(layer) is not None or _called_with_outputs(layer)
            or bool(_changed_activations(layer)) or bool(_renamed_activations(layer)))


def _activations(layer: dict) -> list[tuple[str, object]]:
    """A layer's settings of activations (`activation`, a ConvLSTM2D's `recurrent_activation`): (key, value)."""
    return [(key, value) for key, value in _options(layer).items() if key.endswith("activation")]


def _changed_activations(layer: dict) -> list[str]:
    """The keys of a layer's settings that name an activation of CHANGED_ACTIVATIONS."""
    return [key for key, value in _activations(layer) if _activation_name(value) in CHANGED_ACTIVATIONS]


def _renamed_activations(layer: dict) -> list[dict]:
    """The settings of layers of RENAMED given as a layer's activation (`activation=LeakyReLU(0.1)`)."""
    return [value for _, value in _activations(layer) if isinstance(value, dict) and value.get("class_name") in RENAMED]


def _renamed(layer: dict) -> None:
    """A layer of RENAMED made as Keras 3 has it: its class, and the names of its settings."""
    layer["class_name"], names = RENAMED[layer["class_name"]]
    layer["config"] = {names.get(key, key): value for key, value in _options(layer).items()}


def _activation_name(value) -> str | None:
    """The name of an activation as a layer's settings give it: a name, or in a .keras archive {"class_name":
    "function", "config": name}; None for one given otherwise (a layer as activation, its settings a dict)."""
    name = value.get("config") if isinstance(value, dict) else value
    return name if isinstance(name, str) else None


def _called_with_outputs(layer: dict) -> bool:
    """Whether a layer (not a TFOpLambda) is called with another layer's output as an argument after its first:
    MultiHeadAttention's `value`, which Keras 2 wrote as ["layer", node, tensor] and Keras 3 passes on as that
    list, so that the layer was built without it ("build() missing 1 required positional argument: 'value_shape'")."""
    return layer.get("class_name") not in TF_OP_LAYERS and any(
        isinstance(arguments, dict) and any(_is_reference(value) for value in arguments.values())
        for node in layer.get("inbound_nodes", []) if isinstance(node, list)
        for call in node if isinstance(call, list) for arguments in call[3:])


def _wrapped_without_module(layer: dict) -> dict | None:
    """The settings of the layer inside a wrapper (TimeDistributed, Bidirectional) where TensorFlow 2.12 wrote them
    without its module, by which Keras 3 looks a wrapped layer up as in a .keras archive."""
    wrapped = _options(layer).get("layer")
    return wrapped if isinstance(wrapped, dict) and "class_name" in wrapped and "module" not in wrapped else None


def _policy(layer: dict) -> str | None:
    """The name of the mixed-precision policy that Keras 2 wrote as a layer's dtype ('mixed_float16'), which Keras 3
    cannot read there: it takes the name."""
    dtype = _options(layer).get("dtype")
    if isinstance(dtype, dict) and dtype.get("class_name") in POLICIES and isinstance(dtype.get("config"), dict):
        return dtype["config"].get("name")
    return None


def translated(config: dict) -> dict:
    """Keras 2 settings as Keras 3 reads them: '/' in layer names (which Keras 3 refuses) made '_', calls of
    nested models counted from 0, the settings Keras 3 lacks or takes only from an InputLayer left out, and a
    TFOpLambda's call written as every other layer's, its tensor arguments (`y` of `x + y`) among its inputs."""
    config = copy.deepcopy(config)
    for layer in (config, *layers_in(config)):  # a .keras archive's Keras 2 modules: read as from an .h5 file
        layer.pop("module", None)
        layer.pop("registered_name", None)
    for model in _models(config):
        nested = {keras3_name(_name(layer)) for layer in model["layers"] if _is_model(layer)}

        def changed(reference, nested=nested):
            name = keras3_name(reference[0])
            return [name, reference[1] - 1 if name in nested and reference[1] > 0 else reference[1], *reference[2:]]

        for key in ("input_layers", "output_layers"):
            if key in model:
                model[key] = _references_changed(model[key], changed)
        has_input = any(layer.get("class_name") == "InputLayer" for layer in model["layers"])
        for layer in model["layers"]:  # a functional model's layers are named twice; a Sequential's in "config"
            if has_input and layer.get("class_name") != "InputLayer":  # the shape given to a Sequential's first
                _options(layer).pop("batch_input_shape", None)  # layer, also in its InputLayer, which Keras 3 keeps
            for named in (layer, _options(layer)):
                if isinstance(named.get("name"), str):
                    named["name"] = keras3_name(named["name"])
            if "inbound_nodes" in layer:
                layer["inbound_nodes"] = [_references_changed(node, changed) for node in layer["inbound_nodes"]]
    for layer in layers_in(config):
        for key in _dropped(layer):
            del layer["config"][key]
        if (policy := _policy(layer)) is not None:
            layer["config"]["dtype"] = policy
        for key in _changed_activations(layer):
            layer["config"][key] = CHANGED_ACTIVATIONS[_activation_name(layer["config"][key])]
        if (wrapped := _wrapped_without_module(layer)) is not None:
            wrapped.update(module="keras.layers", registered_name=None)
        for renamed in (layer, *_renamed_activations(layer)):
            if renamed.get("class_name") in RENAMED:
                _renamed(renamed)
        if layer.get("class_name") in GONE_AUGMENTATION:
            layer["class_name"] = "Identity"
            layer["config"] = {key: value for key, value in _options(layer).items() if key in KEPT_OPTIONS}
        if layer.get("class_name") in TF_OP_LAYERS:
            layer["inbound_nodes"] = [_op_node(node, _options(layer)) for node in layer.get("inbound_nodes", [])]
        elif _called_with_outputs(layer):
            layer["inbound_nodes"] = [_call_node(node) for node in layer["inbound_nodes"]]
    return config


def _references_changed(node, change):
    """A layer's call with `change` made to each reference to another layer's output in it: its inputs, each
    ["layer", node, tensor, {arguments}] (a TFOpLambda's call is one such, not a list of them), and arguments
    that are outputs ["layer", node, tensor] themselves."""
    if not isinstance(node, list) or not node:
        return node
    if not isinstance(node[0], str):
        return [_references_changed(part, change) for part in node]
    arguments = [{key: change(value) if _is_reference(value) else value for key, value in part.items()}
                 if isinstance(part, dict) else part for part in node[3:]]
    return [*change(node[:3]), *arguments]


def _op_node(node: list, options: dict) -> list:
    """Keras 2 wrote a TFOpLambda's call as ["input", node, tensor, {arguments}], an argument that is another
    layer's output as ["layer", node, tensor]: here, a list of inputs, those arguments after the first, named
    in the layer's settings (`tensor_arguments`) so that its call puts them back."""
    if not node or not isinstance(node[0], str):
        return node
    name, index, tensor, arguments = (*node, {})[:4]
    tensors = {key: value for key, value in arguments.items() if _is_reference(value)}
    constants = {key: value for key, value in arguments.items() if key not in tensors}
    options["tensor_arguments"] = list(tensors)
    # Keras 3 takes a call's arguments from its inputs' last entry: each input carries them
    return [[name, index, tensor, constants], *[[*value, constants] for value in tensors.values()]]


def _call_node(node: list) -> dict:
    """A layer's call as Keras 3 writes one, {"args", "kwargs"}, each output in it a tensor that names the layer it
    comes from, as Keras 3 reads them in its arguments too (in Keras 2's form, only its inputs). The arguments
    are the last input's, as Keras 3 takes them from a call in Keras 2's form."""
    inputs = [_tensor(call[:3]) for call in node]
    arguments = node[-1][3] if node and len(node[-1]) > 3 else {}
    return {"args": [inputs[0] if len(inputs) == 1 else inputs],
            "kwargs": {key: _tensor(value) if _is_reference(value) else value for key, value in arguments.items()}}


def _tensor(reference: list) -> dict:
    """A layer's output as Keras 3 writes one in a call; its shape and type are those of the output it names,
    which takes its place as the model is rebuilt."""
    return {"class_name": "__keras_tensor__", "config": {"shape": [], "dtype": "float32", "keras_history": reference}}


def _is_reference(value) -> bool:
    """Whether a call's argument is another layer's output, as Keras 2 wrote one: ["layer", node, tensor]."""
    return (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
            and all(isinstance(part, int) for part in value[1:]))


def load(path: Path, config: dict, own: dict, safe_mode: bool):
    """The model of a Keras 2 file whose settings needed translating, with its weights from the file (`path`
    with its suffix in lower case, as Keras needs it)."""
    import importlib

    objects = {**dict(zip(TF_OP_LAYERS, tf_op_layers())), **keras2_activations(),
               **{name: getattr(importlib.import_module(f"keras.src.applications.{module}"), name)
                  for name, module in APPLICATION_LAYERS.items()}, **own}
    model = rebuilt(path, translated(config), objects, safe_mode)
    log.debug("'%s': Keras 2 settings translated for Keras 3", path)
    gone = [f"{layer['class_name']} '{_name(layer)}'" for layer in layers_in(config)
            if layer.get("class_name") in GONE_AUGMENTATION]
    if gone:
        log.info("'%s' was saved by Keras 2 with %s, random augmentation that Keras 3 no longer has: it passes the "
                 "picture on as it is, as it did outside training", path.name, ", ".join(gone))
    slashed = [_name(layer) for layer in layers_in(config) if "/" in _name(layer)]
    if slashed:
        log.info("'%s' was saved by Keras 2, whose layer names may hold '/', which Keras 3 refuses: they are "
                 "written with '_' here (%s is %s; --layer takes either)", path.name, slashed[0],
                 keras3_name(slashed[0]))
    return model


def rebuilt(path: Path, config: dict, objects: dict, safe_mode: bool):
    """The model of settings written as an .h5 file holds them (Keras' legacy form), with its weights from the file
    at `path` (its suffix in lower case, as Keras needs it)."""
    from keras.src.legacy.saving import saving_options, saving_utils
    from keras.src.saving import serialization_lib

    with saving_options.keras_option_scope(use_legacy_config=True), serialization_lib.SafeModeScope(safe_mode):
        model = saving_utils.model_from_config(config, custom_objects=objects)
    load_weights(model, path)
    return model


def load_weights(model, path: Path) -> None:
    """The weights of a model file (`path` with its suffix in lower case) into `model`, built from its settings:
    a SavedModel's from its checkpoint, an archive's and an .h5 file's as Keras reads them; raises where a layer's
    weights are missing or do not fit."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format
    from keras.src.saving import saving_lib

    if path.is_dir():
        _load_saved_model_weights(model, path)
    elif path.suffix == ".keras":
        saving_lib.load_weights_only(model, path)
    else:
        with h5py.File(path, "r") as contents:
            legacy_h5_format.load_weights_from_hdf5_group(contents["model_weights"], model)


def _load_saved_model_weights(model, folder: Path) -> None:
    """Each layer's weights from a SavedModel's checkpoint: keras_metadata.pb gives the path to each layer by
    its name, and the checkpoint's graph of objects leads along that path to the layer's variables, named as
    the layer's attributes that hold them (ConvNeXt's LayerScale 'gamma'), or as the variables are named (with
    'depthwise_' before it, as Keras 2 named a DepthwiseConv2D's kernel)."""
    import keras
    import tensorflow as tf
    from tensorflow.core.protobuf import trackable_object_graph_pb2

    reader = tf.train.load_checkpoint(str(folder / "variables" / "variables"))
    graph = trackable_object_graph_pb2.TrackableObjectGraph.FromString(
        reader.get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"))
    saved = {}  # (path of the model the layer is in, its Keras 3 name) -> its own path
    for path, settings in _saved_layers(folder):
        if len(path) > 1 and isinstance(settings.get("name"), str):
            saved[(path[:-1], keras3_name(settings["name"]))] = path

    def node_at(path: tuple[str, ...]) -> int:
        node = child(0, path[1:])
        if node is None:
            raise ValueError(f"the SavedModel's checkpoint has no {'.'.join(path)}")
        return node

    def child(node: int, names: tuple[str, ...]) -> int | None:
        for name in names:
            node = next((child.node_id for child in graph.nodes[node].children if child.local_name == name), None)
            if node is None:
                return None
        return node

    def load_layers(layers, model_path: tuple[str, ...]) -> None:
        for layer in layers:
            if not layer.weights:
                continue
            if (model_path, layer.name) not in saved:
                raise ValueError(f"the SavedModel holds no weights for layer '{layer.name}'")
            path = saved[(model_path, layer.name)]
            if isinstance(layer, keras.Model):
                load_layers(layer.layers, path)
                continue
            start = node_at(path)
            attributes = _attribute_paths(layer, keras)
            for variable in layer.weights:
                within = attributes.get(id(variable), ("",))[:-1]  # the sublayer it is in: ('_query_dense',)
                paths = (attributes.get(id(variable)), (*within, variable.name),
                         (*within, f"depthwise_{variable.name}"))
                node = next((found for path in paths if path and (found := child(start, path)) is not None), None)
                keys = [kept.checkpoint_key for kept in graph.nodes[node].attributes] if node is not None else []
                value = reader.get_tensor(keys[0]) if keys else None
                if value is None or tuple(value.shape) != tuple(variable.shape):
                    raise ValueError(f"the SavedModel's weights of layer '{layer.name}' do not fit it "
                                     f"('{variable.name}')")
                variable.assign(value)

    load_layers(model.layers, ("root",))


def _attribute_paths(layer, keras, depth: int = 3) -> dict[int, tuple[str, ...]]:
    """The attributes that lead from `layer` to each of its variables, by the variable's id: ('kernel',) for a
    convolution's, ('_query_dense', 'kernel') for an attention layer's, ('layer', 'kernel') for the layer inside
    a TimeDistributed; Keras 2 named the objects of its checkpoints so, and Keras 3 names its attributes alike."""
    found = {}
    for name, value in vars(layer).items():
        if isinstance(value, keras.Variable):
            found.setdefault(id(value), (name,))
        elif isinstance(value, keras.layers.Layer) and depth > 0:
            for key, path in _attribute_paths(value, keras, depth - 1).items():
                found.setdefault(key, (name, *path))
    return found


@functools.lru_cache(maxsize=None)
def keras2_activations() -> dict:
    """Keras 2's own activations of CHANGED_ACTIVATIONS, by the names its settings are translated to."""
    import keras

    def keras2_hard_sigmoid(x):
        return keras.ops.clip(0.2 * x + 0.5, 0.0, 1.0)

    return {"keras2_hard_sigmoid": keras2_hard_sigmoid}


@functools.lru_cache(maxsize=None)
def tf_op_layers():
    """The Keras 3 layers that stand for Keras 2's TFOpLambda and SlicingOpLambda: the TensorFlow function each
    names ("math.truediv", "__operators__.add", "__operators__.getitem"), called on its input with the arguments
    saved with the call (slices, for SlicingOpLambda, written as dicts)."""
    import keras
    import tensorflow as tf

    class TFOpLambda(keras.layers.Layer):
        def __init__(self, function: str, tensor_arguments=(), **kwargs):
            super().__init__(**kwargs)
            self.function, self.tensor_arguments = function, list(tensor_arguments)
            target = tf
            for part in function.split("."):
                target = getattr(target, part, None)
                if target is None:
                    raise ValueError(f"TensorFlow {tf.__version__} has no function tf.{function}")
            self._call = target

        def call(self, inputs, *args, **kwargs):
            kwargs.pop("name", None)
            if self.tensor_arguments:
                inputs, *tensors = inputs
                kwargs.update(zip(self.tensor_arguments, tensors))
            return self._call(inputs, *args, **kwargs)

        def get_config(self):
            return {**super().get_config(), "function": self.function, "tensor_arguments": self.tensor_arguments}

    class SlicingOpLambda(TFOpLambda):
        def call(self, inputs, *args, **kwargs):
            return super().call(inputs, *map(_sliced, args), **{key: _sliced(value) for key, value in kwargs.items()})

    return TFOpLambda, SlicingOpLambda


def _sliced(value):
    """Keras 2's saved slices as Python's: {"start", "stop", "step"} a slice, {"class_name": "__ellipsis__"} `...`."""
    if isinstance(value, dict) and {"start", "stop", "step"} <= set(value):
        return slice(value["start"], value["stop"], value["step"])
    if isinstance(value, dict) and value.get("class_name") == "__ellipsis__":
        return Ellipsis
    if isinstance(value, (list, tuple)):
        return type(value)(_sliced(part) for part in value)
    return value
