"""What the program needs from this machine beneath its own code: the Python packages of requirements.txt, and the
system libraries under them.

The packages are most often missing from the Python that runs the program, not from the machine: a virtual
environment not activated, or the requirements never installed; Python then says only "No module named 'numpy'".
OpenCV's wheel (opencv-python, with its window) needs a few system libraries that a minimal Linux lacks: a Docker
image, a cloud server, WSL. Its import then fails naming the library alone ("libGL.so.1: cannot open shared object
file"); where a library that only its window's Qt plugin needs is missing (libSM), Qt ends the process with
"Reinstalling the application may fix this problem". Each is said here with the way to install it."""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

NEEDED = {"numpy": "numpy", "cv2": "opencv-python", "numba": "numba", "tensorflow": "tensorflow", "keras": "keras"}
# ^ what every run imports, by its import name -> the package that pip installs; below, what imports fail without
# at times: numba's compiler, Keras' file format (when Keras is imported), the benchmark's plot of the lesson's way
NEEDED_AT_TIMES = {"llvmlite": "llvmlite", "h5py": "h5py", "matplotlib": "matplotlib"}
REQUIREMENTS = Path(__file__).resolve().parents[1] / "requirements.txt"
PYTHONS = ((3, 11), (3, 13))  # the Python versions that pip finds the pinned requirements for, first and last
MISSING = re.compile(r"(lib[\w+.-]*?\.so[\d.]*): cannot open shared object file")
DEBIAN_PACKAGES = {  # a library's name (as the error gives it) -> the Debian and Ubuntu package that installs it
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libGLdispatch.so.0": "libglvnd0",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libX11.so.6": "libx11-6",
    "libxcb.so.1": "libxcb1",
    "libXext.so.6": "libxext6",
    "libXau.so.6": "libxau6",
    "libXdmcp.so.6": "libxdmcp6",
    "libSM.so.6": "libsm6",
    "libICE.so.6": "libice6",
    "libgomp.so.1": "libgomp1",
}
PACKAGES = {"cv2": "OpenCV", "tensorflow": "TensorFlow", "llvmlite": "numba's llvmlite"}  # others by their own name
OPENCV_WITHOUT_WINDOWS = "opencv-python-headless==5.0.0.93"  # the requirements' version, built without windows


def unmet_need(exc: BaseException) -> str | None:
    """The sentence for an import that failed for want of something this machine's setup should give (a system
    library, a package of requirements.txt), or None where it failed otherwise: a bug, said as one."""
    if not isinstance(exc, ImportError):
        return None
    return missing_library(exc) or missing_package(exc)


def missing_packages(needed: dict[str, str] = NEEDED) -> str | None:
    """The sentence for the packages among `needed` that this Python lacks, found without importing them (2 ms,
    against seconds for TensorFlow), or None where it has them all."""
    missing = [package for name, package in needed.items() if importlib.util.find_spec(name) is None]
    return _not_installed(missing) if missing else None


def missing_package(exc: ImportError) -> str | None:
    """The sentence for an import that failed, during a run, for want of a package of requirements.txt (h5py for a
    Keras 2 file, say), or None where it failed otherwise: a module missing from within an installed package is a
    broken install, and a module that a user's own file imports is theirs to name."""
    top = (exc.name or "").split(".")[0] if isinstance(exc, ModuleNotFoundError) else ""
    package = {**NEEDED, **NEEDED_AT_TIMES}.get(top)
    if package is None or importlib.util.find_spec(top) is not None:
        return None
    return _not_installed([package])


def _not_installed(packages: list[str]) -> str:
    """That `packages` are not installed for this Python, with the commands that install them where it runs."""
    listed = packages[0] if len(packages) == 1 else f"{', '.join(packages[:-1])} and {packages[-1]}"
    said = f"{listed} {'is' if len(packages) == 1 else 'are'} not installed"
    requirements = shlex.quote(_shown(REQUIREMENTS))
    python = shlex.quote(sys.executable)
    activate = r".venv\Scripts\activate" if os.name == "nt" else "source .venv/bin/activate"
    (first, last), version = PYTHONS, sys.version_info[:2]
    if not first <= version <= last:  # pip would find none of them for this Python (Ubuntu 22.04's 3.10, say)
        newest = f"python{last[0]}.{last[1]}"
        return (f"{said} for this Python ({sys.executable}), which is Python {version[0]}.{version[1]}: the "
                f"requirements are pinned to versions made for Python {first[0]}.{first[1]} to "
                f"{last[0]}.{last[1]}, so make a virtual environment with one of those ({newest} -m venv .venv, "
                f"say), then {activate} and pip install -r {requirements}")
    if sys.prefix != sys.base_prefix:  # a virtual environment, whose packages went elsewhere or not at all
        return (f"{said} in this virtual environment ({sys.prefix}), and the program needs "
                f"{'it' if len(packages) == 1 else 'them'}: {python} -m pip install -r {requirements}")
    return (f"{said} for this Python ({sys.executable}), and the program needs "
            f"{'it' if len(packages) == 1 else 'them'}: where the requirements went into a virtual environment, "
            f"activate it first ({activate}); else make one for them: {python} -m venv .venv, then {activate} and "
            f"pip install -r {requirements}")


def _shown(path: Path) -> str:
    """`path` as the user would type it here: relative to the current folder where it lies below it."""
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):  # elsewhere, or the current folder was removed
        return str(path)


def missing_library(exc: ImportError) -> str | None:
    """The sentence for an import that failed for want of a system library, or None where it failed otherwise."""
    found = MISSING.search(str(exc))
    if found is None:
        return None
    top = (exc.name or "").split(".")[0]
    said = (f"{PACKAGES.get(top, top or 'a library')} cannot start here: the system library {found[1]} is missing, "
            f"as on a minimal Linux (a Docker image, a server); {_install([found[1]])}")
    if top == "cv2":
        said += (f". Without a window (--headless, the benchmark), OpenCV's build without windows needs none of "
                 f"these: pip uninstall opencv-python, then pip install {OPENCV_WITHOUT_WINDOWS}")
    return said


def missing_for_window() -> str | None:
    """Why OpenCV's window cannot start here, or None: the system libraries its Qt plugin needs and this machine
    lacks (libSM, libICE beside an installed libGL), found with `ldd` before Qt tries, which would end the process.
    None too where that cannot be told (another build of OpenCV, without Qt's plugin, or no ldd)."""
    import cv2

    plugin = Path(cv2.__file__).parent / "qt" / "plugins" / "platforms" / "libqxcb.so"
    if not plugin.is_file() or shutil.which("ldd") is None:
        return None
    try:
        listed = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    missing = list(dict.fromkeys(line.split()[0] for line in listed.splitlines() if "=> not found" in line))
    if not missing:
        return None
    return (f"OpenCV's window cannot start here: the system {'library' if len(missing) == 1 else 'libraries'} "
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing, which its Qt plugin needs; "
            f"{_install(missing)}")


def _install(libraries: list[str]) -> str:
    """How to install `libraries`: the apt line where each one's package is known."""
    packages = [DEBIAN_PACKAGES.get(library) for library in libraries]
    if None in packages:
        return ("install the system package that provides it" if len(libraries) == 1 else
                "install the system packages that provide them")
    return f"on Debian or Ubuntu: sudo apt-get install {' '.join(dict.fromkeys(packages))}"
