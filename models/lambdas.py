"""Lambda layers whose Python code is stored in the model file: refused unless the user trusts the file.

Keras stores a `Lambda(lambda t: ...)` as the lambda's compiled code, which it runs on loading only with its
safe mode off (`--trust-lambda`), as code from a file could do anything. That code keeps none of the names it
was written beside (`tf`, `np`, a constant of its script), and it is Python bytecode, which only the Python
version that saved it reads. So a trusted lambda gets the names such code commonly uses, and one that uses
others, or comes from another Python, is refused with a sentence rather than Keras' misleading error.
"""

from __future__ import annotations

import binascii
import builtins
import codecs
import contextlib
import dis
import marshal
import sys
import types
from pathlib import Path

from live.errors import ModelError

FLAG = "--trust-lambda"
REFUSED = "Requested the deserialization of a `Lambda` layer"  # the start of Keras' safe-mode refusal
NO_SHAPE = "could not automatically infer the shape of the Lambda's output"  # Keras' words for a lambda that failed
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def refused_message(path: Path) -> str:
    """Why a file with a stored lambda does not load by default, and the two ways on."""
    return (f"'{path}' has a Lambda layer whose Python code (a lambda) is stored in the file, and Keras runs code "
            f"from a model file only when told to: add {FLAG} if you made the file or trust where it came from, "
            f"or build the model with a named function (def) in a Python file and pass that file with "
            f"--custom-objects")


def failed_message(path: Path, error: BaseException) -> str:
    """A stored lambda that raised `error` as Keras ran it to build the model."""
    said = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return (f"'{path}' has a Lambda layer whose stored code failed as Keras ran it to build the model "
            f"({type(error).__name__}{': ' + said if said else ''}); if the file was saved by another Python "
            f"version than {PYTHON}, load it with that one, or build the model with a named function (def) in a "
            f"Python file and pass that file with --custom-objects")


def common_names() -> dict:
    """The modules a lambda in a Keras model usually calls, under the names they are usually imported as."""
    import keras
    import numpy
    import tensorflow

    return {"tf": tensorflow, "tensorflow": tensorflow, "keras": keras, "K": keras.backend, "ops": keras.ops,
            "np": numpy, "numpy": numpy}


@contextlib.contextmanager
def trusted(path: Path, own: dict):
    """While loading `path` with Keras' safe mode off: each stored lambda is read with the common names and the
    user's own (`--custom-objects`) as its globals, after a check that it needs no others and that this Python
    can read it. Keras reads lambdas through `keras.src.utils.python_utils.func_load` (checked with Keras 3.15);
    where a later Keras does not, the lambdas load as Keras reads them."""
    try:
        from keras.src.utils import python_utils
    except ImportError:
        python_utils = None
    original = getattr(python_utils, "func_load", None)
    if original is None:
        yield
        return
    names = {**common_names(), **own}

    def func_load(code, defaults=None, closure=None, globs=None):
        if isinstance(code, (tuple, list)):  # an older Keras' (code, defaults, closure)
            code, defaults, closure = code
        if isinstance(defaults, list):  # a lambda's default arguments, a list in JSON, which Keras 3.15 keeps
            defaults = tuple(defaults)
        return original(_checked(path, code, names), defaults=defaults, closure=closure, globs=names)

    python_utils.func_load = func_load
    try:
        yield
    finally:
        python_utils.func_load = original


def _checked(path: Path, code: str, names: dict) -> str:
    """`code` (a lambda's stored bytecode, base64 text) once this Python reads it and finds every global it uses."""
    try:
        compiled = marshal.loads(_raw(code))
    except Exception as exc:  # another Python's bytecode: "bad marshal data", or worse
        raise ModelError(_other_python(path)) from exc
    if not isinstance(compiled, types.CodeType):
        raise ModelError(_other_python(path))
    try:
        wanted = _globals_used(compiled)
    except Exception as exc:  # bytecode that this Python's disassembler cannot follow
        raise ModelError(_other_python(path)) from exc
    unknown = sorted(name for name in wanted if name not in names and not hasattr(builtins, name))
    if unknown:
        said = ", ".join(f"'{name}'" for name in unknown)
        raise ModelError(f"'{path}' has a Lambda layer whose stored code uses {said}, which a model file does not "
                         f"hold (Keras keeps the lambda, not the names around it; {', '.join(sorted(names))} are "
                         f"given to it here): build the model with a named function (def) in a Python file that "
                         f"defines {said}, and pass that file with --custom-objects")
    return code


def _raw(code: str) -> bytes:
    """The bytes of stored bytecode: base64 text, or, in files of an older Keras, the bytes as text."""
    try:
        return codecs.decode(code.encode("ascii"), "base64")
    except (UnicodeEncodeError, binascii.Error):
        return code.encode("raw_unicode_escape")


def _globals_used(code: types.CodeType) -> set[str]:
    """The global names a function's code and the functions inside it look up."""
    found = {instruction.argval for instruction in dis.get_instructions(code)
             if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            found |= _globals_used(constant)
    return found


def _other_python(path: Path) -> str:
    return (f"'{path}' has a Lambda layer whose stored code Python {PYTHON} cannot read: a lambda is kept as "
            f"Python bytecode, which only the Python version that saved the file reads. Load it with that "
            f"version, or build the model with a named function (def) in a Python file and pass that file with "
            f"--custom-objects")


def stored(model) -> list[str]:
    """The names of the model's Lambda layers that run code stored in the file (nested models included)."""
    import keras

    names = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            names += [f"{layer.name}/{name}" for name in stored(layer)]
        elif isinstance(layer, keras.layers.Lambda) and getattr(layer.function, "__name__", "") == "<lambda>":
            names.append(layer.name)
    return names
