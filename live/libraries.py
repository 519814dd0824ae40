"""The system's libraries under the Python packages. OpenCV's wheel (opencv-python, with its window) needs a few that
a minimal Linux lacks: a Docker image, a cloud server, WSL. Its import then fails naming the library alone
("libGL.so.1: cannot open shared object file"), which is said here with the package that installs it."""

from __future__ import annotations

import re

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
PACKAGES = {"cv2": "OpenCV", "tensorflow": "TensorFlow", "numba": "numba", "llvmlite": "numba's llvmlite",
            "h5py": "h5py"}
OPENCV_WITHOUT_WINDOWS = "opencv-python-headless==5.0.0.93"  # the requirements' version, built without windows


def missing_library(exc: ImportError) -> str | None:
    """The sentence for an import that failed for want of a system library, or None where it failed otherwise."""
    found = MISSING.search(str(exc))
    if found is None:
        return None
    library = found[1]
    top = (exc.name or "").split(".")[0]
    package = DEBIAN_PACKAGES.get(library)
    install = (f"on Debian or Ubuntu: sudo apt-get install {package}" if package else
               "install the system package that provides it")
    said = (f"{PACKAGES.get(top, top or 'a library')} cannot start here: the system library {library} is missing, as "
            f"on a minimal Linux (a Docker image, a server); {install}")
    if top == "cv2":
        said += (f". Without a window (--headless, the benchmark), OpenCV's build without windows needs none of "
                 f"these: pip uninstall opencv-python, then pip install {OPENCV_WITHOUT_WINDOWS}")
    return said
