"""The system's libraries under the Python packages. OpenCV's wheel (opencv-python, with its window) needs a few that
a minimal Linux lacks: a Docker image, a cloud server, WSL. Its import then fails naming the library alone
("libGL.so.1: cannot open shared object file"); where a library that only its window's Qt plugin needs is missing
(libSM), Qt ends the process with "Reinstalling the application may fix this problem". Both are said here with the
packages that install them."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

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
