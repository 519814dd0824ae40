"""Linux's video devices: which this user may not open, said with what lets them in."""

import grp
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from live.devices import device_of
from tests.conftest import ROOT, in_own_mounts, needs_own_mounts

UNOPENABLE_CAMERA = r"""
set -e
tmp=$(mktemp -d)
mount -t tmpfs -o mode=755 tmpfs "$tmp"
for f in null zero random urandom tty full; do cp -a "/dev/$f" "$tmp/"; done
mkdir "$tmp/shm" "$tmp/pts"
mount --rbind /dev/shm "$tmp/shm"
mount --rbind /dev/pts "$tmp/pts"
ln -s /proc/self/fd "$tmp/fd"
touch "$tmp/video0"
chgrp video "$tmp/video0"
chmod 660 "$tmp/video0"
mount --bind "$tmp/video0" "$tmp/video0"
mount -o remount,ro,bind "$tmp/video0"
mount --rbind "$tmp" /dev
exec "$@"
"""
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


@needs_own_mounts
@pytest.mark.skipif(not _has_group("video"), reason="needs the group 'video', to give the stand-in device")
@pytest.mark.parametrize("args, said", [
    (["--list-cameras"], "no camera could be opened here (one in use by another program cannot be); /dev/video0 is "
                         "there, but this user may not open it (sudo usermod -aG video $USER lets this user in, from "
                         "the next login); --source demo shows the built-in scene\n"),
    (["--source", "0"], "error: camera 0 could not be opened: /dev/video0 is there, but this user may not open it "
                        "(sudo usermod -aG video $USER lets this user in, from the next login); no camera opens here "
                        "(--source demo plays the built-in scene)\n"),
    ([], "no camera could be opened (one in use by another program, a video call say, cannot be); /dev/video0 is "
         "there, but this user may not open it (sudo usermod -aG video $USER lets this user in, from the next "
         "login); showing the built-in demo scene instead\n"),
])
def test_the_program_says_which_camera_this_user_may_not_open(args, said):
    """The three places that look for a camera, in a /dev of the program's own whose video0 (a file standing in,
    root:video, 0660) is on a read-only mount, which even root may not open for writing. Before, each said only
    that no camera opened. The default search goes on to the demo: its first line is taken, and the run ended."""
    command = [sys.executable, "run_live.py", *args, "--headless", "--max-frames", "1"]
    if args:
        done = in_own_mounts(UNOPENABLE_CAMERA, *command)
        assert done.returncode == (0 if args == ["--list-cameras"] else 1), done.stderr
        told = done.stdout + done.stderr
    else:
        with subprocess.Popen(["unshare", "-m", "bash", "-c", UNOPENABLE_CAMERA, "-", *command], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as running:
            watchdog = threading.Timer(60, running.kill)  # a program that says nothing fails the test, not hangs it
            watchdog.start()
            told = running.stderr.readline()
            watchdog.cancel()
            running.kill()
    assert told == said
