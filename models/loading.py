"""Model names, files and weights → a Keras model with its preprocessing and its feature-map layers."""

from __future__ import annotations

import contextlib
import importlib
import logging
import math
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable

from live import files
from live.errors import LayerError, ModelError, UsageError
from live.urls import without_secrets
from live.wording import counted
from models import custom_objects, earlier_keras3, hed_weights, keras2, lambdas
from models.layers import FeatureLayer, cut_at, feature_layers, sized, stage_starts
from models.registry import close_names, find_spec, list_models

log = logging.getLogger(__name__)

WEIGHTS_CHOICES = ("auto", "hed", "imagenet", "none")
PREPROCESS_CHOICES = ("auto", "none", "unit", "symmetric", "caffe", "torch")
DEFAULT_INPUT_HW = (224, 224)
SIDE_MULTIPLE = 32  # an open-size model run at a picture's shape gets sides of this multiple: five halvings
WIDEST = 4.0  # the longest side at most this many times the shortest: a panorama is cut to it
FIT_PROBE = 1024  # the input side, a power of two, at which a model's halvings are counted
MODEL_FILE_SUFFIXES = (".keras", ".h5", ".hdf5")
PER_COLOUR = ("caffe", "torch")  # preprocessing with a mean per colour: RGB models only


@dataclass
class LoadedModel:
    """A built model, ready to cut at any feature layer, with what the user needs to know about it."""

    name: str
    model: object
    weights: str
    input_hw: tuple[int, int]
    preprocess: Callable = field(repr=False)
    layers: list[FeatureLayer] = field(default_factory=list)
    input_channels: int = 3  # 1 for a model of gray images, which gets the frame's gray levels

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(height, width, channels) of one input image."""
        return (*self.input_hw, self.input_channels)

    @property
    def takes_any_shape(self) -> bool:
        """Both sides of its input left open (a fully convolutional model): a run gives it the shape of the
        source's pictures, unless --input-size says otherwise."""
        return tuple(self.model.inputs[0].shape[1:3]) == (None, None)

    @cached_property
    def host_scaling(self):
        """The preprocessing as a matrix OpenCV can apply on the host, or None (`live.preprocess.HostScaling`):
        checked once per model, not once per layer."""
        from live.preprocess import HostScaling

        return HostScaling.of(self.preprocess, self.input_hw)

    def layer(self, name: str, listing: str = "--list-layers") -> FeatureLayer:
        """The feature layer called `name`, or a LayerError that lists close names, or points to `listing`, the
        command that lists them all."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        same = [layer for layer in self.layers if layer.name.casefold() == name.casefold()]
        if len(same) == 1:  # BLOCK1_CONV2, as a paper's table or Caps Lock writes it
            return same[0]
        slashed = [layer for layer in self.layers if keras2.keras3_name(layer.name) == keras2.keras3_name(name)]
        if "/" in name and len(slashed) == 1:  # conv1/conv of a Keras 2 file, whose '/' are '_' here
            return slashed[0]
        try:
            found = self.model.get_layer(name)
        except ValueError:
            found = None
        if found is not None:
            raise LayerError(self._not_maps(found, listing))
        import difflib

        folded = {layer.name.casefold(): layer.name for layer in self.layers}
        close = [layer.name for layer in same] or [
            folded[hit] for hit in difflib.get_close_matches(name.casefold(), list(folded), n=4, cutoff=0.4)]
        hint = f" Did you mean: {', '.join(close)}?" if close else f" See {listing}."
        if name.strip().isdigit() and 1 <= int(name) <= len(self.stage_starts):  # a number, as the digit keys take
            stage = self.layers[self.stage_starts[int(name) - 1]].name
            hint = (f" --layer takes a layer's name (see {listing}); stage {int(name)}, which the key "
                    f"{int(name)} jumps to, is {stage}.")
        raise LayerError(f"model '{self.name}' has no layer '{name}'.{hint}")

    def _not_maps(self, layer, listing: str) -> str:
        """Why `layer`, which the model has, is not one whose maps can be shown, and which one to ask for instead:
        an engineer often tries the input, or the last layer (a Dense layer's vector of classes)."""
        if type(layer).__name__ == "InputLayer":
            return (f"layer '{layer.name}' is the model's input, the picture before any layer has worked on it; the "
                    f"first layer that gives maps is {self.layers[0].name} ({listing} lists them all)")
        try:
            shape = f"gives {tuple(layer.output.shape)}"
        except (AttributeError, ValueError):  # a layer called more than once has no one output
            shape = "does not give maps"
        return (f"layer '{layer.name}' ({type(layer).__name__}) {shape}, not maps of (height, width, channels); the "
                f"last layer that gives maps is {self.layers[-1].name} ({listing} lists them all)")

    @property
    def default_layer(self) -> str:
        """The first convolution (not a padding or rescaling layer that happens to come first)."""
        for layer in self.layers:
            if "Conv" in layer.kind:
                return layer.name
        return self.layers[0].name

    @cached_property
    def stage_starts(self) -> list[int]:
        """Indices into `layers` of the first convolution of each stage (`models.layers.stage_starts`)."""
        return stage_starts(self.layers)

    def index_of(self, name: str) -> int:
        return [layer.name for layer in self.layers].index(self.layer(name).name)

    def cut(self, name: str):
        """A Keras model from this model's input to the output of layer `name` (`base/Conv1` inside a nested model)."""
        self.layer(name)
        return cut_at(self.model, name)


def _preprocess_fn(mode: str) -> Callable:
    """A graph-friendly function from RGB float32 in 0..255 to the model's expected input."""
    import tensorflow as tf

    if mode == "none":
        return lambda rgb: rgb
    if mode == "unit":
        return lambda rgb: rgb / 255.0
    if mode == "symmetric":
        return lambda rgb: rgb / 127.5 - 1.0
    if mode == "caffe":
        mean = tf.constant([103.939, 116.779, 123.68], tf.float32)
        return lambda rgb: rgb[..., ::-1] - mean
    if mode == "hed":
        mean = tf.constant(hed_weights.HED_BGR_MEAN, tf.float32)
        return lambda rgb: rgb[..., ::-1] - mean
    if mode == "torch":
        mean = tf.constant([0.485, 0.456, 0.406], tf.float32)
        std = tf.constant([0.229, 0.224, 0.225], tf.float32)
        return lambda rgb: (rgb / 255.0 - mean) / std
    raise ModelError(f"unknown preprocessing '{mode}'; choose one of {', '.join(PREPROCESS_CHOICES)}")


def is_model_file(name: str) -> bool:
    """Whether `--model` names a file (.keras, .h5), or a SavedModel folder that Keras 2 wrote, rather than a
    model by name."""
    return Path(name).suffix.lower() in MODEL_FILE_SUFFIXES or keras2.saved_model_folder(Path(name)) is not None


def check_choice(name: str, weights: str = "auto", preprocess: str = "auto", custom: tuple = (),
                 trust_lambda: bool = False) -> None:
    """What can be told about a model choice without TensorFlow: the options, a known name, a model file that
    exists and is of its kind, the files of its own layers. Run before anything slow starts, so that a typo fails
    at once; Keras can still refuse a file later, for reasons only it can tell."""
    if WEB_ADDRESS.match(name):  # before, read as a path: "model file 'https:/host/m.keras' does not exist"
        shown = without_secrets(name)  # a command with its password hidden would not work: none given then
        web = name.lower().startswith(("http:", "https:")) and shown.lower() == name.lower()
        fetch = f" (curl -LO '{name}', say)" if web else ""
        raise UsageError(f"--model '{shown}' is a web address; this program opens a model file on "
                         f"this machine, or a keras.applications name: download the file first{fetch}, then give "
                         f"its name")
    for given, flag in ((custom, "--custom-objects"), (trust_lambda, lambdas.FLAG)):
        if given and not is_model_file(name):
            raise UsageError(f"{flag} goes with a model file (.keras, .h5); '{name}' is not one")
    custom_objects.check_files(custom)
    if weights not in WEIGHTS_CHOICES:
        raise ModelError(f"unknown weights '{weights}'; choose one of {', '.join(WEIGHTS_CHOICES)}")
    if preprocess not in PREPROCESS_CHOICES:
        raise ModelError(f"unknown preprocessing '{preprocess}'; choose one of {', '.join(PREPROCESS_CHOICES)}")
    if is_model_file(name):
        _check_file(Path(name), weights)
        return
    spec = find_spec(name)
    if spec is None:
        path = Path(name)
        if path.exists():
            raise ModelError(f"--model '{name}' is {_not_a_model(path)}")
        if len(path.parts) > 1 or path.suffix:  # no model's name has a folder or a dot in it: a file was meant
            raise ModelError(f"model file '{name}' does not exist")
        close = close_names(name)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise UsageError(f"unknown model '{name}'.{hint} Known names: {', '.join(list_models())}, "
                         f"or a path to a .keras or .h5 file.")
    if weights == "hed" and spec.name != "vgg16":
        raise ModelError(f"--weights hed is the bundled VGG16 backbone and fits only vgg16, not {spec.name}")


WEB_ADDRESS = re.compile(r"[a-z][a-z0-9+.-]+://", re.IGNORECASE)  # https://, hf:// (Keras 3's Hugging Face Hub)
OTHER_FRAMEWORKS = {".pt": "a PyTorch file", ".pth": "a PyTorch file", ".onnx": "an ONNX model",
                    ".safetensors": "a file of weights (safetensors)"}


def _not_a_model(path: Path) -> str:
    """What a file or folder given as --model is instead of a Keras model, and how to get one, for 'is ...'."""
    if path.is_dir() and not (path / "saved_model.pb").is_file():
        try:
            inside = sorted(p.name for p in path.iterdir() if is_model_file(p.name))[:3]
        except OSError:  # a folder that cannot be listed
            inside = []
        found = f"; it holds {', '.join(inside)}: give the file itself" if inside else ""
        return f"a folder, not a .keras or .h5 model file or a model name{found}"
    suffix = path.suffix.lower()
    if suffix in OTHER_FRAMEWORKS:
        return (f"{OTHER_FRAMEWORKS[suffix]}, not a Keras model; this program opens Keras models (.keras or .h5 "
                f"files, or a keras.applications name), whose layers it can show")
    if suffix == ".tflite":
        return ("a TensorFlow Lite model, which runs whole and gives no maps of its layers; give the Keras model it "
                "was converted from (.keras or .h5)")
    if path.is_dir() or path.name == "saved_model.pb":
        return ("a TensorFlow SavedModel without the settings of its layers that Keras 2's model.save() writes "
                "beside it (keras_metadata.pb): one written by model.export() or tf.saved_model.save(), which "
                "runs whole and cannot be opened layer by layer; give the Keras model it was written from "
                "(.keras or .h5)")
    return "a file, not a .keras or .h5 model file or a model name"


def _check_file(path: Path, weights: str) -> None:
    """A model file that exists and is a zip archive (.keras) or an HDF5 file (.h5): Keras itself says
    "File not found" for a .keras file that is not a zip archive."""
    if weights != "auto":
        raise ModelError("--weights applies to models chosen by name; a model file brings its own weights")
    if keras2.saved_model_folder(path) is not None:
        return
    if not path.is_file():
        raise ModelError(f"model file '{path}' does not exist")
    why = files.why_unreadable(str(path), "a Keras model file")  # a download's web page, a copy cut short
    if why is not None:
        raise ModelError(f"'{path}' {why}")
    if path.suffix.lower() == ".keras" and not _hdf5_under_keras_name(path):
        import zipfile

        if not zipfile.is_zipfile(path):
            raise ModelError(f"'{path}' is not a Keras model file: a .keras file is the zip archive that "
                             f"model.save() writes (or, up to TensorFlow 2.12, an HDF5 file), and this one is "
                             f"neither")
    else:
        import h5py

        if not h5py.is_hdf5(path):
            raise ModelError(f"'{path}' is not an HDF5 file, which a {path.suffix} model file must be "
                             f"(model.save() on a .h5 name writes one)")
        try:
            with h5py.File(path, "r") as contents:
                whole = "model_config" in contents.attrs
        except OSError as exc:
            raise ModelError(f"'{path}' could not be read as an HDF5 file: {exc}") from None
        if not whole:
            raise ModelError(f"'{path}' holds weights without the model they belong to (what "
                             f"model.save_weights() writes): load them into the model in Python, then save it "
                             f"whole with model.save('model.keras')")


def _load_named(spec_name: str, weights: str, input_hw: tuple[int, int] | None = None) -> tuple[object, str, Callable]:
    """A `keras.applications` model without its classifier, built at `input_hw` (height, width), by default at the
    size Keras gives it."""
    spec = find_spec(spec_name)
    import keras

    if weights == "auto":
        weights = "hed" if spec.name == "vgg16" else "imagenet"
    constructor = getattr(keras.applications, spec.class_name)
    module = importlib.import_module(f"keras.applications.{spec.module}")
    shape = (*(input_hw or spec.input_hw), 3)
    try:
        model = constructor(include_top=False, weights="imagenet" if weights == "imagenet" else None, input_shape=shape)
    except Exception as exc:  # Keras raises bare Exceptions for failed downloads.
        if input_hw is not None and str(exc).startswith("Input size must be"):  # "... at least 32x32; Received: ..."
            raise UsageError(f"--input-size {input_hw[1]}x{input_hw[0]} is too small for {spec.name}: "
                             f"{str(exc).split(';')[0].lower()}") from exc
        if weights == "imagenet":
            raise ModelError(f"could not get the ImageNet weights of {spec.name} ({exc}). They download once into "
                             f"~/.keras/models; offline, use --weights none"
                             f"{' or the default bundled weights' if spec.name == 'vgg16' else ''}.") from exc
        raise ModelError(f"could not build {spec.name}: {exc}") from exc
    if weights == "hed":
        hed_weights.load_into_vgg16(model)
        description = hed_weights.DESCRIPTION
        preprocess = _preprocess_fn("hed")
    else:
        description = "ImageNet (Keras)" if weights == "imagenet" else "random initialization"
        preprocess = module.preprocess_input
    return model, description, preprocess


def _load_file(path: Path, preprocess: str, custom: tuple = (), trust_lambda: bool = False
               ) -> tuple[object, str, Callable]:
    own = custom_objects.load(custom)
    with _named_for_keras(path) as named:
        return _load_named_file(path, named, preprocess, own, custom, trust_lambda)


def _load_named_file(path: Path, named: Path, preprocess: str, own: dict, custom: tuple, trust_lambda: bool
                     ) -> tuple[object, str, Callable]:
    """`_load_file` of `path` through `named`, the name under which Keras reads it as what it holds; messages
    name `path`."""
    import keras

    translate = None
    try:
        translate = keras2.saved_model_config(named) if named.is_dir() else keras2.config_to_translate(named)
        if named.is_dir() and translate is None:
            raise ModelError(f"'{path}' is a SavedModel whose {keras2.SAVED_MODEL_METADATA}, the settings of its "
                             f"layers that Keras 2 wrote beside it, " +
                             ("describe no graph of layers: a subclassed model, whose call() runs its layers in "
                              "Python, so their outputs cannot be taken one by one; build it as a functional or "
                              "Sequential model" if keras2.saved_by(named) else "could not be read"))
        mended = None if translate is not None or named.is_dir() else earlier_keras3.config_to_mend(named)
        with lambdas.trusted(path, own) if trust_lambda else contextlib.nullcontext():
            if translate is not None:  # a Keras 2 file with settings Keras 3 refuses
                model = keras2.load(named, translate, own, safe_mode=not trust_lambda)
            elif mended is not None:  # a Keras 3 file with settings this Keras refuses
                model = earlier_keras3.load(named, mended, own, safe_mode=not trust_lambda)
            else:
                model = keras.models.load_model(named, custom_objects=own, compile=False, safe_mode=not trust_lambda)
    except Exception as exc:
        ours = next((error for error in _chain(exc) if isinstance(error, ModelError)), None)
        if ours is not None:  # a stored lambda refused while Keras read it, and passed on by Keras as its own error
            raise ours from exc
        text = str(exc)
        if text.startswith(lambdas.REFUSED):
            raise ModelError(lambdas.refused_message(path)) from exc
        if trust_lambda and lambdas.NO_SHAPE in text:  # Keras' words for any error of the lambda as it ran
            raise ModelError(lambdas.failed_message(path, list(_chain(exc))[-1])) from exc
        unknown = custom_objects.missing(text, list(_chain(exc)))
        if unknown:
            name, module = unknown
            if module is None and translate is not None:  # dropped with the Keras 2 settings Keras 3 reads
                module = keras2.module_of(translate, name)
            raise ModelError(custom_objects.missing_message(path, name, module, custom)) from exc
        version = keras2.saved_by(named)
        if version.startswith("2."):
            raise ModelError(f"'{path}' was saved by Keras {version} (tf.keras, or tf_keras), and its model could "
                             f"not be rebuilt for Keras 3 ({_first_line(text, exc)}): load it there and save it "
                             f"with model.save('model.h5')") from exc
        raise ModelError(f"could not load the model file '{path}': {_first_line(text, exc)}") from exc
    if trust_lambda:
        stored = lambdas.stored(model)
        if stored:
            log.warning("'%s' runs the Python code stored in %s %s (%s)", path.name,
                        "its Lambda layers" if len(stored) > 1 else "its Lambda layer",
                        ", ".join(f"'{name}'" for name in stored), lambdas.FLAG)
    _check_graph(model, path)
    if len(model.inputs) != 1 or len(model.inputs[0].shape) != 4:
        raise ModelError(f"'{path}' must take one image input (batch, height, width, channels); "
                         f"it takes {[tuple(i.shape) for i in model.inputs]}")
    channels = model.inputs[0].shape[3]
    if channels not in (1, 3) and model.inputs[0].shape[1] in (1, 3):
        raise ModelError(f"'{path}' takes images channels first, {tuple(model.inputs[0].shape[1:])} as (channels, "
                         f"height, width); this program gives them channels last, as Keras does by default: build "
                         f"the model with data_format='channels_last' (convolution kernels carry over as they are) "
                         f"and save it again")
    if channels not in (1, 3):
        raise ModelError(f"'{path}' must take RGB (3-channel) or gray (1-channel) images; its input has {channels} "
                         f"channels")
    preprocess_fn = _preprocess_fn("none" if preprocess == "auto" else preprocess)
    if preprocess == "auto" and _scales_its_input(model) is False:
        log.info("'%s' gets pixels of 0 to 255 as they are, having no Rescaling layer before its first convolution; if "
                 "it was trained on pixels of 0 to 1 or -1 to 1, add --preprocess unit or symmetric", path.name)
    if channels == 1:
        if preprocess in PER_COLOUR:
            raise ModelError(f"--preprocess {preprocess} works on the three colours of an RGB image, but '{path}' "
                             f"takes gray images; use none, unit or symmetric")
        preprocess_fn = _from_gray(preprocess_fn)
    return model, f"from {path.name}", preprocess_fn


def _hdf5_under_keras_name(path: Path) -> bool:
    """Whether `path` is a .keras file that holds HDF5: model.save('model.keras') wrote the .h5 format under that
    name up to TensorFlow 2.12 (the zip archive came with 2.13), which Colab ran into the summer of 2023."""
    if path.suffix.lower() != ".keras" or not path.is_file():
        return False
    import h5py

    return h5py.is_hdf5(path)


@contextlib.contextmanager
def _named_for_keras(path: Path):
    """`path`, or a link to it named with the suffix of what it holds, in lower case: Keras tells formats apart by
    the suffix as written, refusing MODEL.KERAS or MODEL.H5 (a file from a Windows machine or a FAT memory
    stick), and reads a .keras name as a zip archive only (TensorFlow up to 2.12 wrote HDF5 there)."""
    suffix = path.suffix.lower()
    if _hdf5_under_keras_name(path):
        log.info("'%s' is an HDF5 file, as TensorFlow up to 2.12 wrote under a .keras name: it is read as an .h5 "
                 "file", path.name)
        suffix = ".h5"
    if path.suffix == suffix:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="live-model-") as folder:
        link = Path(folder) / f"{path.stem}{suffix}"
        try:
            link.symlink_to(path.resolve())
        except OSError:  # a file system without links: a copy
            shutil.copyfile(path, link)
        yield link


def _check_graph(model, path: Path) -> None:
    """A model whose layers form a graph from a defined input: only then can it be cut at any layer."""
    import keras

    try:
        model.inputs[0]
    except (AttributeError, IndexError, TypeError, ValueError):
        if isinstance(model, keras.Sequential):
            raise ModelError(f"'{path}' holds a Sequential model saved before it was built, so it has no input "
                             f"shape: start it with keras.Input(shape=(height, width, 3)), or call "
                             f"model.build((None, height, width, 3)), then save it again") from None
        raise ModelError(f"'{path}' holds a subclassed model ({type(model).__name__}), whose call() runs its layers "
                         f"in Python, so their outputs cannot be taken one by one: build it as a functional or "
                         f"Sequential model") from None


def _size_it_runs_at(model, label: str, layers: list[FeatureLayer], input_hw: tuple[int, int], channels: int,
                     asked: bool, from_picture: bool = False) -> tuple[int, int]:
    """`input_hw` (height, width) for a model of open size, which can still refuse a size: a U-Net whose halved
    maps no longer meet their skip connections. One call on a blank image says so now, not as a deeper layer is
    chosen (Keras' symbolic shapes do not catch it). The size it runs at by default then becomes the nearest one
    it takes, with a warning; a size the user asked for is refused, naming that nearest size."""
    problem = _fails_at(model, (*input_hw, channels))
    if problem is None:
        return input_hw
    size = f"{input_hw[1]}x{input_hw[0]}"
    where = (f"--input-size {size}" if asked else f"{size}, the shape of the source's pictures" if from_picture
             else f"{size}, the size it runs at when it leaves its own open")
    steps = _halving_steps(model, layers, channels)
    fit = None if steps is None else tuple(max(step, step * math.floor(side / step + 0.5))
                                           for side, step in zip(input_hw, steps))
    if fit is not None and (fit == tuple(input_hw) or _fails_at(model, (*fit, channels)) is not None):
        fit = None  # that size does not run either
    if fit is not None and not asked:
        log.warning("%s cannot run at %s (%s); running at %dx%d, the nearest size whose maps halve evenly "
                    "(--input-size chooses another)", label, where if from_picture else f"the default {size}",
                    problem, fit[1], fit[0])
        return fit
    if fit is None:  # no size near it runs either: something other than halving
        raise UsageError(f"{label} cannot run at {where} ({problem}), nor at the sizes near it whose maps halve "
                         f"evenly; choose another with --input-size")
    multiple = f"{steps[0]}" if steps[0] == steps[1] else f"{steps[1]} wide and {steps[0]} high"
    raise UsageError(f"{label} cannot run at {where} ({problem}); choose one with --input-size that halves "
                     f"evenly, such as {fit[1]}x{fit[0]} (a multiple of {multiple})")


def _fails_at(model, input_shape: tuple[int, int, int]) -> str | None:
    """Why one call of the model on a blank image of `input_shape` (height, width, channels) fails, or None."""
    import numpy as np

    try:
        model(np.zeros((1, *input_shape), model.inputs[0].dtype), training=False)
    except Exception as exc:
        log.debug("one call at %s failed", input_shape, exc_info=True)
        return _reason(exc)
    return None


def _halving_steps(model, layers: list[FeatureLayer], channels: int) -> tuple[int, int] | None:
    """What the sides (height, width) of the input sizes a model runs at are multiples of: 2 to the number of times
    its maps are halved (a U-Net of 6 levels: 64), counted from their smallest size at a large power of two; None
    where Keras cannot size them."""
    probed = sized(model, layers, (FIT_PROBE, FIT_PROBE, channels))
    smallest = (min((layer.height for layer in probed if layer.height), default=None),
                min((layer.width for layer in probed if layer.width), default=None))
    if not all(smallest):
        return None
    height, width = (2 ** max(0, math.ceil(math.log2(FIT_PROBE / side))) for side in smallest)
    return height, width


def _reason(exc: Exception) -> str:
    """The line of a Keras / TensorFlow error that says what went wrong, without its decorations."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    layer = re.search(r"calling (\w+)\.call\(\)", text)
    op = re.search(r"}} (.+?)(?: \[Op:|$)", text, re.MULTILINE)
    if op:
        return f"{layer[1]}: {op[1]}" if layer else op[1]
    return _first_line(text, exc)


def _chain(exc: BaseException):
    """An error, then the errors it was raised from or while handling, back to the first."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _first_line(text: str, exc: Exception) -> str:
    """The first line of an error's text, or its type's name where it has none."""
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def _scales_its_input(model) -> bool | None:
    """Whether a Rescaling or Normalization layer comes before the first convolution (nested models opened):
    then the model takes pixels of 0-255 itself. None where it has no convolution, whose input there is
    nothing to say about (such a model has no feature maps to show either), or where code that may scale its
    input in its own way comes first: a Lambda layer, a layer from --custom-objects, a TensorFlow function of a
    Keras 2 file (`models.keras2`)."""
    for layer in model.layers:
        kind = type(layer).__name__
        if kind in ("Rescaling", "Normalization"):
            return True
        if kind == "Lambda" or type(layer).__module__.split(".")[0] != "keras":
            return None
        if hasattr(layer, "layers"):
            inside = _scales_its_input(layer)
            if inside is not None:
                return inside
        elif "Conv" in kind:
            return False
    return None


def _outputs_said(model, most: int = 4) -> str:
    """What the model's layers give instead of feature maps, for the sentence that refuses it: 'its layers give
    Flatten (None, 12288), Dense (None, 10)'."""
    said = []
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        try:
            said.append(f"{type(layer).__name__} {tuple(layer.output.shape)}")
        except (AttributeError, ValueError):
            continue
    more = f", and {len(said) - most} more" if len(said) > most else ""
    return f"its layers give {', '.join(said[:most])}{more}" if said else "it has no layers"


def _from_gray(preprocess: Callable) -> Callable:
    """`preprocess` applied to the gray levels of an RGB image (ITU-R 601 weights, as OpenCV and TensorFlow use)."""
    import tensorflow as tf

    return lambda rgb: preprocess(tf.image.rgb_to_grayscale(rgb))


def input_for_picture(picture_hw: tuple[int, int]) -> tuple[int, int]:
    """(height, width) for a model of open size to see a whole picture of `picture_hw`: about as many pixels as
    224x224, sides a multiple of 32, and of the sizes near that the one closest to the picture's shape (16:9
    gives 160x288). A shape beyond 4:1 is taken as 4:1, and the picture cut to it."""
    height, width = picture_hw
    aspect = min(max(width / height, 1 / WIDEST), WIDEST)
    area = DEFAULT_INPUT_HW[0] * DEFAULT_INPUT_HW[1]
    sizes = [(side, max(SIDE_MULTIPLE, SIDE_MULTIPLE * round(side * aspect / SIDE_MULTIPLE)))
             for side in range(SIDE_MULTIPLE, 4 * DEFAULT_INPUT_HW[0], SIDE_MULTIPLE)]
    near = [size for size in sizes if 0.6 * area <= size[0] * size[1] <= 1.5 * area] or sizes
    return min(near, key=lambda size: (round(abs(math.log(size[1] / size[0] / aspect)), 3),
                                       abs(math.log(size[0] * size[1] / area))))


def load_model(name: str, weights: str = "auto", preprocess: str = "auto", custom: tuple = (),
               input_hw: tuple[int, int] | None = None, picture_hw: tuple[int, int] | None = None,
               layers_only: bool = False, trust_lambda: bool = False) -> LoadedModel:
    """Build a model by name (`vgg16`, `mobilenet_v2`, ...) or load one from a `.keras` / `.h5` file, with the
    Python files (`custom`) that define its own layers, running the code its Lambda layers store only where the
    user trusts it (`trust_lambda`). A model that leaves its input size open runs at
    `input_hw` (height, width); by default at the shape of the source's pictures (`picture_hw`), so that it sees
    all of them, or at 224x224 where that is not known. With `layers_only` (--list-layers), a named model is
    built without weights, which its layers do not depend on: no download, and said so."""
    check_choice(name, weights, preprocess, custom, trust_lambda)
    path = keras2.saved_model_folder(Path(name)) or Path(name)
    if is_model_file(name):
        model, description, preprocess_fn = _load_file(path, preprocess, custom, trust_lambda)
        label = path.stem
    else:
        model, description, preprocess_fn = _load_named(name, "none" if layers_only else weights, input_hw)
        if layers_only:
            description = "its weights not loaded: the layers do not depend on them"
        if preprocess != "auto":
            preprocess_fn = _preprocess_fn(preprocess)
        label = find_spec(name).name
    height, width = model.inputs[0].shape[1:3]
    open_size = height is None or width is None
    if input_hw is not None and not open_size and (height, width) != tuple(input_hw):  # a file's fixed size
        raise UsageError(f"--input-size is for a model by name or one that leaves its input size open; {label} "
                         f"takes {width}x{height}")
    asked = input_hw
    from_picture = asked is None and picture_hw is not None and height is None and width is None
    fallback = input_hw or (input_for_picture(picture_hw) if from_picture else DEFAULT_INPUT_HW)
    input_hw = (height or fallback[0], width or fallback[1])
    layers = feature_layers(model)
    if not layers:
        raise ModelError(f"model '{label}' has no layer with a 4-D feature-map output (batch, height, width, "
                         f"channels), as a convolution gives: {_outputs_said(model)}")
    channels = model.inputs[0].shape[3]
    if open_size:  # run at input_hw: its maps have that input's sizes
        input_hw = _size_it_runs_at(model, label, layers, input_hw, channels, asked is not None, from_picture)
        layers = sized(model, layers, (*input_hw, channels))
    left_open = ""
    if open_size:
        left_open = (" (its size left open by the model" +
                     (": the pictures' shape; --input-size chooses another" if from_picture else "") + ")")
    log.info("model %s (%s), input %dx%d%s%s, %s", label, description, input_hw[1], input_hw[0],
             " gray" if channels == 1 else "", left_open, counted(len(layers), "feature layer"))
    return LoadedModel(label, model, description, input_hw, preprocess_fn, layers, channels)
