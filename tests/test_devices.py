"""Linux's video devices: which this user may not open, said with what lets them in."""

import grp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from live.devices import device_of

ROOT = Path(__file__).parents[1]
SYSTEM_PYTHON = "/usr/bin/python3"  # another user may run it; this one's Python may sit in root's own folder


def can_be_another_user() -> bool:
    return (os.geteuid() == 0 and shutil.which("setpriv") is not None and os.access(SYSTEM_PYTHON, os.X_OK)
            and sys.platform.startswith("linux"))


@pytest.mark.skipif(not can_be_another_user(), reason="needs root, setpriv and the system's python3, to be 'nobody'")
def test_a_camera_this_user_may_not_open_is_named_with_the_group_that_lets_them_in():
    """As a user logged in over ssh, whom the seat does not let at the camera: the device is there, but crw-rw----
    root:video. Files stand in for the devices; the check is the same for both."""
    group = next((name for name in ("video", "plugdev", "users") if _has_group(name)), None)
    if group is None:
        pytest.skip("no group to give the stand-in device")
    folder = Path(tempfile.mkdtemp())
    try:
        folder.chmod(0o755)
        for name, mode in (("video0", 0o660), ("video1", 0o666), ("video2", 0o600)):
            (folder / name).touch()
            (folder / name).chmod(mode)
        os.chown(folder / "video0", 0, grp.getgrnam(group).gr_gid)
        program = ("import sys; from live.devices import not_allowed, permission_advice\n"
                   "devices = [sys.argv[1] + name for name in ('/video0', '/video1', '/video3')]\n"
                   "print(not_allowed(devices)); print(permission_advice(not_allowed(devices)))\n"
                   "print(permission_advice(not_allowed([sys.argv[1] + '/video0', sys.argv[1] + '/video2'])))")
        done = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", SYSTEM_PYTHON, "-c",
                               program, str(folder)], cwd=ROOT, capture_output=True, text=True, timeout=60,
                              env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)})
    finally:
        shutil.rmtree(folder)
    assert done.returncode == 0, done.stderr
    listed, advice, mixed = done.stdout.splitlines()
    assert listed == repr([f"{folder}/video0"])  # video1 is open to all; video3 is not there
    assert advice == (f"{folder}/video0 is there, but this user may not open it (sudo usermod -aG {group} $USER lets "
                      f"this user in, from the next login)")
    assert mixed == f"{folder}/video0, {folder}/video2 are there, but this user may not open them (permission denied)"


def _has_group(name: str) -> bool:
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux names its cameras' devices so")
def test_a_camera_index_is_its_video_device():
    assert device_of("3") == "/dev/video3" and device_of("/dev/video2") == "/dev/video2" and device_of("rtsp://x") == ""
