"""A system library missing under a Python package (OpenCV's libGL on a minimal Linux): said with the package that
installs it, not as an unexpected failure."""

import os
import shutil
import subprocess
import sys

import pytest

from live.libraries import missing_library
from tests.conftest import ROOT

WITHOUT_LIBRARY = r"""
set -e
name=$1; shift
dir=$(dirname "$(ldconfig -p | awk -v n="$name" '$1 == n {print $NF; exit}')")
tmp=$(mktemp -d)
mkdir "$tmp/orig" "$tmp/fake"
mount --bind "$dir" "$tmp/orig"
for f in "$tmp"/orig/*; do [ "${f##*/}" = "$name" ] || ln -s "$f" "$tmp/fake/"; done
mount --bind "$tmp/fake" "$dir"
exec "$@"
"""


def can_hide_libraries() -> bool:
    """Whether a command can be run here in a mount namespace of its own (root, with unshare) where OpenCV's libGL
    can be left out of the system's library folder."""
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("ldconfig") is None:
        return False
    listed = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout.split()
    return "libGL.so.1" in listed and subprocess.run(["unshare", "-m", "true"]).returncode == 0


@pytest.mark.skipif(not can_hide_libraries(), reason="needs root and unshare, to leave libGL.so.1 out of one process")
@pytest.mark.parametrize("command", [["run_live.py", "--source", "demo", "--headless", "--max-frames", "3"],
                                     ["-m", "live.bench", "--quick"]])
def test_opencv_without_its_system_library_is_said_with_the_package_to_install(command):
    """As on a Docker image or a cloud server: `import cv2` fails with "libGL.so.1: cannot open shared object
    file". The program and the benchmark name it, with the apt package, and the build of OpenCV without windows."""
    done = subprocess.run(["unshare", "-m", "bash", "-c", WITHOUT_LIBRARY, "-", "libGL.so.1", sys.executable,
                           *command], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("error: OpenCV cannot start here: the system library libGL.so.1 is missing"), \
        done.stderr
    assert "sudo apt-get install libgl1" in done.stderr and "pip install opencv-python-headless==" in done.stderr
    assert "unexpected" not in done.stderr and "Traceback" not in done.stderr


def test_the_headless_build_named_is_the_required_version_of_opencv():
    from live.libraries import OPENCV_WITHOUT_WINDOWS

    required = next(line for line in (ROOT / "requirements.txt").read_text().splitlines()
                    if line.startswith("opencv-python=="))
    assert OPENCV_WITHOUT_WINDOWS == required.replace("opencv-python", "opencv-python-headless")


@pytest.mark.parametrize("message, name, said", [
    ("libgthread-2.0.so.0: cannot open shared object file: No such file or directory", "cv2",
     "OpenCV cannot start here: the system library libgthread-2.0.so.0 is missing"),
    ("libcudnn.so.9: cannot open shared object file: No such file or directory", "tensorflow.python.pywrap",
     "TensorFlow cannot start here: the system library libcudnn.so.9 is missing, as on a minimal Linux (a Docker "
     "image, a server); install the system package that provides it"),
])
def test_the_library_and_the_package_it_belongs_to_are_named(message, name, said):
    assert missing_library(ImportError(message, name=name)).startswith(said)


def test_other_import_failures_are_left_to_the_usual_sentence():
    assert missing_library(ImportError("No module named 'cv2'", name="cv2")) is None
    assert missing_library(ImportError("/lib/libstdc++.so.6: version `GLIBCXX_3.4.32' not found")) is None
