"""What the program needs beneath its own code, missing: the packages of requirements.txt from the Python that runs
it, or a system library under one of them (OpenCV's libGL on a minimal Linux). Each is said with the way to install
it, not as an unexpected failure."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from live import libraries
from live.libraries import missing_library, missing_package, missing_packages
from tests.conftest import ROOT, in_own_mounts, needs_own_mounts, xvfb

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


def system_libraries() -> set[str]:
    """The system's shared libraries by name, as the dynamic loader lists them."""
    if shutil.which("ldconfig") is None:
        return set()
    return set(subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout.split())


def without(library: str, *command: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`python command...` in a mount namespace of its own where the system library `library` is missing."""
    return in_own_mounts(WITHOUT_LIBRARY, library, sys.executable, *command, env=env)


needs_hiding = pytest.mark.skipif(not {"libGL.so.1", "libSM.so.6"} <= system_libraries(),
                                  reason="needs ldconfig to list libGL.so.1 and libSM.so.6, to leave them out")


@needs_own_mounts
@needs_hiding
@pytest.mark.parametrize("command", [["run_live.py", "--source", "demo", "--headless", "--max-frames", "3"],
                                     ["-m", "live.bench", "--quick"]])
def test_opencv_without_its_system_library_is_said_with_the_package_to_install(command):
    """As on a Docker image or a cloud server: `import cv2` fails with "libGL.so.1: cannot open shared object
    file". The program and the benchmark name it, with the apt package, and the build of OpenCV without windows."""
    done = without("libGL.so.1", *command)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("error: OpenCV cannot start here: the system library libGL.so.1 is missing"), \
        done.stderr
    assert "sudo apt-get install libgl1" in done.stderr and "pip install opencv-python-headless==" in done.stderr
    assert "unexpected" not in done.stderr and "Traceback" not in done.stderr


@needs_own_mounts
@needs_hiding
def test_a_window_whose_qt_plugin_lacks_a_library_is_said_and_the_run_goes_on_headless():
    """With libGL there (`import cv2` works) but not libSM, which only the window's Qt plugin needs: Qt would end the
    process (exit 134) saying "Reinstalling the application may fix this problem". Told before it tries."""
    with xvfb("1280x800") as display:
        done = without("libSM.so.6", "run_live.py", "--source", "demo", "--max-frames", "3",
                       env=dict(os.environ, DISPLAY=display))
    assert done.returncode == 0, done.stderr
    assert ("OpenCV's window cannot start here: the system library libSM.so.6 is missing, which its Qt plugin needs; "
            "on Debian or Ubuntu: sudo apt-get install libsm6; running headless") in done.stderr
    assert "processed 3 frames" in done.stderr and "Reinstalling" not in done.stderr


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


ALL_NEEDED = "numpy, opencv-python, numba, tensorflow and keras are not installed"


@pytest.mark.parametrize("command", [["run_live.py", "--source", "demo"], ["run_live.py", "--help"],
                                     ["-m", "live.bench", "--quick"]])
def test_a_virtual_environment_without_the_requirements_is_told_how_to_install_them(tmp_path, command):
    """A new user's first failure: the requirements installed for another Python, or not at all. Before, the program
    said "unexpected failure: ModuleNotFoundError: No module named 'numpy'", --help included, and the benchmark
    gave Python's traceback."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    done = subprocess.run([str(python), *command], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    needed = (ALL_NEEDED if command[0] == "run_live.py" else  # the benchmark: and its plot of the lesson's way
              "numpy, opencv-python, numba, tensorflow, keras and matplotlib are not installed")
    assert done.stderr == (f"error: {needed} in this virtual environment ({venv}), and the "
                           f"program needs them: {python} -m pip install -r requirements.txt\n")


def test_a_python_that_is_no_virtual_environment_is_told_to_activate_one_or_make_one(tmp_path):
    """Run from another folder, with a Python without the requirements (-S: without its site-packages), which is
    not a virtual environment: most often the one the requirements went into was not activated."""
    done = subprocess.run([sys.executable, "-S", str(ROOT / "run_live.py")], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith(f"error: {ALL_NEEDED} for this Python ({sys.executable}), and the program needs "
                                  f"them: where the requirements went into a virtual environment, activate it first "
                                  f"(source .venv/bin/activate); else make one for them: {sys.executable} -m venv "
                                  f".venv, then source .venv/bin/activate and pip install -r "
                                  f"{ROOT / 'requirements.txt'}"), done.stderr


def test_a_requirement_missing_during_a_run_is_said_as_the_others():
    """numba imports llvmlite, its compiler, when the program first tiles: a pip install cut short can leave it
    out. Blocked here as Python lets an import be blocked (None in sys.modules), the rest of the program real."""
    script = ("import sys; sys.modules['llvmlite'] = None; from live.cli import run_and_exit; "
              "run_and_exit(['--source', 'demo', '--headless', '--max-frames', '3'])")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("error: llvmlite is not installed "), done.stderr  # in a virtual environment or not
    assert "pip install -r" in done.stderr
    assert "unexpected" not in done.stderr and "Traceback" not in done.stderr


def test_only_the_requirements_that_are_missing_are_named(monkeypatch):
    assert missing_packages() is None  # this Python has them all
    assert missing_packages({"numpy": "numpy", "no_such_module_here": "no-such-package"}).startswith(
        "no-such-package is not installed")
    monkeypatch.setitem(libraries.NEEDED_AT_TIMES, "no_such_module_here", "no-such-package")
    assert missing_package(ModuleNotFoundError("gone", name="no_such_module_here.sub")).startswith(
        "no-such-package is not installed")
    assert missing_package(ModuleNotFoundError("broken install", name="numpy.no_such_part")) is None  # installed
    assert missing_package(ModuleNotFoundError("the user's own", name="torch")) is None  # not ours to name
    assert missing_package(ImportError("cannot import name 'x'", name="numpy")) is None


def an_older_python() -> str | None:
    """A Python older than the requirements are made for, on this machine (Ubuntu 22.04's 3.10, pyenv's), or None."""
    found = [shutil.which(f"python3.{minor}") for minor in (10, 9, 8)]
    found += sorted(str(path) for path in Path("~/.pyenv/versions").expanduser().glob("3.*/bin/python3"))
    for python in filter(None, found):
        try:
            version = subprocess.run([python, "-c", "import sys; print(sys.version_info[1])"], capture_output=True,
                                     text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            continue
        if version.isdigit() and 8 <= int(version) < libraries.PYTHONS[0][1]:
            return python
    return None


OLDER_PYTHON = an_older_python()


@pytest.mark.skipif(OLDER_PYTHON is None, reason="needs a Python 3.8 to 3.10 on this machine")
def test_a_python_too_old_for_the_requirements_is_told_to_make_the_environment_with_a_newer_one():
    """Ubuntu 22.04's own Python is 3.10, for which pip finds none of the pinned versions: being told to install
    them there would lead to "No matching distribution found for numpy==2.4.6"."""
    done = subprocess.run([OLDER_PYTHON, "run_live.py"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith(f"error: {ALL_NEEDED} for this Python ("), done.stderr
    assert ("the requirements are pinned to versions made for Python 3.11 to 3.13, so make a virtual environment "
            "with one of those (python3.13 -m venv .venv, say), then source .venv/bin/activate and pip install -r "
            "requirements.txt\n") in done.stderr


def test_the_python_versions_told_are_those_of_the_requirements(monkeypatch):
    """The versions said come from one place; a Python outside them is told so, inside them it is not."""
    monkeypatch.setattr(libraries, "PYTHONS", ((3, 99), (3, 100)))
    said = missing_packages({"no_such_module_here": "no-such-package"})
    assert f"which is Python {sys.version_info[0]}.{sys.version_info[1]}: the requirements are pinned to versions " \
           f"made for Python 3.99 to 3.100" in said and "python3.100 -m venv .venv" in said
    monkeypatch.setattr(libraries, "PYTHONS", (sys.version_info[:2], sys.version_info[:2]))
    assert "pinned" not in missing_packages({"no_such_module_here": "no-such-package"})
