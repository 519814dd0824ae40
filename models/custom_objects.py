"""A model's own layers and functions, from the Python files that define them (`--custom-objects`).

Keras writes a custom layer into a model file by name only; loading it needs the code, which the user's
own file brings. Its classes and functions are handed to Keras by name, and those it registers with
`@keras.saving.register_keras_serializable` are found by Keras itself once the file has run.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import inspect
import itertools
import logging
import re
import sys
from pathlib import Path

from live.errors import ModelError, UsageError

log = logging.getLogger(__name__)

LIBRARIES = ("keras", "tensorflow", "numpy", "tf_keras")  # what a file imports is not its own

# What Keras says when a name in the file has no code: Keras 3's .keras format, then the legacy .h5 loader.
_NOT_FOUND = (re.compile(r"Could not locate (?:class|function) '([^']+)'"),
              re.compile(r"Unknown [a-z ]+: '([^']+)'"))
_MODULE = "'module': '([^']+)', 'class_name': '{}'"
_NUMBERS = itertools.count(1)  # names for files whose own name is taken by a loaded module
_NOT_IN_KERAS = re.compile(r"Could not deserialize '(keras(?:\.\w+)*)\.(\w+)' because it is not a KerasSaveable")


def check_files(paths) -> None:
    """Each file exists and is Python source: told before TensorFlow starts."""
    for path in paths:
        path = Path(path)
        if path.suffix.lower() != ".py":
            raise UsageError(f"--custom-objects '{path}' must be a Python file (.py) that defines the model's own "
                             f"layers")
        if not path.is_file():
            raise UsageError(f"--custom-objects '{path}' does not exist")


def load(paths) -> dict:
    """Run each file once and return the classes and functions it defines, by name, for `keras.models.load_model`."""
    found: dict = {}
    for path in map(Path, paths):
        module = _run(path)
        own = {name: value for name, value in vars(module).items()
               if not name.startswith("_") and (inspect.isclass(value) or inspect.isfunction(value))
               and (getattr(value, "__module__", "").split(".")[0] not in LIBRARIES or _of_applications(value))}
        log.debug("--custom-objects %s: %s", path, ", ".join(sorted(own)) or "nothing of its own")
        found.update(own)
    return found


def _of_applications(value) -> bool:
    """A function of a keras.applications model (`preprocess_input`), which a Lambda layer saves by its name alone:
    imported into a file for that, it counts as the file's own."""
    return inspect.isfunction(value) and value.__module__.startswith(("keras.src.applications.", "keras.applications."))


def applications_with(name: str) -> list[str]:
    """The keras.applications modules that define a function `name` (each model its own `preprocess_input`)."""
    import keras

    return [module for module in dir(keras.applications) if not module.startswith("_")
            and inspect.ismodule(getattr(keras.applications, module))
            and inspect.isfunction(getattr(getattr(keras.applications, module), name, None))]


def _is_keras_operation(name: str) -> bool:
    """Whether `name` is one of Keras 3's operations (keras.ops), which a functional model records as it is
    built from them."""
    import importlib

    try:  # Keras' own modules, as Keras 3.15 lays them out
        from keras.src.ops.operation import Operation

        modules = [importlib.import_module(f"keras.src.ops.{module}")
                   for module in ("numpy", "math", "nn", "core", "image", "linalg")]
    except ImportError:
        return False
    return any(inspect.isclass(getattr(module, name, None)) and issubclass(getattr(module, name), Operation)
               for module in modules)


def _run(path: Path):
    """Import a file by its path, with its folder on the import path so that it can import its neighbours.

    It is imported under its own name unless a module of that name is already loaded (a user's `models.py`
    must not replace this program's `models` package), and the folder goes last on the path for the same reason.
    """
    resolved = path.resolve()
    for loaded in list(sys.modules.values()):
        if getattr(loaded, "__file__", None) == str(resolved):
            return loaded
    name = path.stem
    if not name.isidentifier() or name in sys.modules:
        name = f"_custom_objects_{next(_NUMBERS)}"
    if str(resolved.parent) not in sys.path:
        sys.path.append(str(resolved.parent))
    loader = importlib.machinery.SourceFileLoader(name, str(resolved))  # any case of .py, as the file is named
    spec = importlib.util.spec_from_file_location(name, resolved, loader=loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        del sys.modules[name]
        raise ModelError(f"--custom-objects '{path}' is not valid Python: {exc.msg} (line {exc.lineno})") from exc
    except Exception as exc:
        del sys.modules[name]
        raise ModelError(f"--custom-objects '{path}' failed as it ran: {type(exc).__name__}: {exc}") from exc
    return module


def missing(text: str, errors=()) -> tuple[str, str | None] | None:
    """The name Keras found no code for in its error `text`, and the module it was defined in when the file says;
    `errors`, those it was raised from, tell of a library's module that could not be imported (keras_hub's)."""
    for error in errors:
        if isinstance(error, ModuleNotFoundError) and error.name:
            found = re.search(rf"'module': '({re.escape(error.name.split('.')[0])}\.[\w.]+)', 'class_name': "
                              rf"'(\w+)'", text)
            if found:
                return found.group(2), found.group(1)
    unknown_to_keras = _NOT_IN_KERAS.search(text)  # a class saved by a newer Keras
    if unknown_to_keras:
        return unknown_to_keras.group(2), unknown_to_keras.group(1)
    for pattern in _NOT_FOUND:
        match = pattern.search(text)
        if match:
            name = match.group(1)
            module = re.search(_MODULE.format(re.escape(name)), text)
            return name, module.group(1) if module else None
    return None


# Layers of Keras 2 with weights that Keras 3 no longer has, and no layer of its own does their work
KERAS2_ONLY_LAYERS = ("LocallyConnected1D", "LocallyConnected2D")


def _is_keras_layer(name: str) -> bool:
    """Whether `name` is a layer class of Keras' own (Dense), which Keras names as missing where it cannot read the
    settings it sits in (a layer inside TimeDistributed as TensorFlow 2.12 wrote it)."""
    import keras

    return isinstance(getattr(keras.layers, name, None), type)


def missing_message(path: Path, name: str, module: str | None, given) -> str:
    """A sentence for a model file that needs code it was not given."""
    where = f" (module '{module}')" if module else ""
    if name in KERAS2_ONLY_LAYERS and not given:
        return (f"'{path}' uses '{name}', a layer of Keras 2 that Keras 3 no longer has, so its model cannot be "
                f"rebuilt here; a Python file that defines a Keras 3 layer of that name, whose weights fit, can be "
                f"passed with --custom-objects")
    if module and module.split(".")[0] == "keras":  # saved by a newer Keras, with a class this one lacks
        import keras

        return (f"'{path}' uses '{name}'{where}, which Keras {keras.__version__} here does not have: it was probably "
                f"saved by a newer Keras (pip install -U keras)")
    if module is None and path.suffix.lower() != ".keras" and _is_keras_operation(name):
        return (f"'{path}' uses '{name}', an operation of Keras' own (keras.ops, such as x / 127.5 on a layer's "
                f"output), which Keras 3 writes into .h5 files but cannot read back from them: save the model as "
                f".keras instead (model.save('model.keras')); or, if '{name}' is a layer of your own, pass the "
                f"Python file that defines it with --custom-objects")
    if module is None and _is_keras_layer(name):  # inside settings that this Keras could not read as written
        import keras

        return (f"'{path}' holds Keras' own layer '{name}' in settings that Keras {keras.__version__} could not read "
                f"back: a file written by another Keras, which cannot be opened here as it is")
    package = module.split(".")[0] if module and ".src." in module else None  # laid out as Keras' own libraries are
    if package:  # a library of Keras' kind (keras_hub, keras_cv), not the user's code
        import importlib.util

        if importlib.util.find_spec(package):
            return (f"'{path}' uses '{name}'{where}, which comes from the library {package}, whose installed version "
                    f"does not have it: install the version the model was saved with")
        return (f"'{path}' uses '{name}'{where}, which comes from the library {package}, not installed here: pip "
                f"install {package} (the version the model was saved with), and Keras finds it there")
    models = applications_with(name) if module in (None, "builtins") else []
    if models:  # Lambda(preprocess_input): Keras saves the name without the module, and each model has its own
        example = "mobilenet_v2" if "mobilenet_v2" in models else models[0]
        return (f"'{path}' uses '{name}', saved by its name alone, which each keras.applications model (vgg16, "
                f"mobilenet_v2, ...) defines in its own way: pass a Python file with the line `from "
                f"keras.applications.{example} import {name}`, for the model it was built on, with --custom-objects")
    if given:
        files = ", ".join(f"'{p}'" for p in given)
        return (f"'{path}' uses '{name}'{where}, which is not defined in --custom-objects {files}: add the file that "
                f"defines it")
    example = f"{module.split('.')[-1]}.py" if module else "my_layers.py"
    return (f"'{path}' uses '{name}'{where}, which is not part of Keras: it was defined in the code the model was "
            f"built with. Pass that Python file with --custom-objects {example}")
