"""Linux's video devices, where the cameras are: which there are, the name each gives itself, and which this user may
not open. A camera's device belongs to the group 'video': the user at a desktop's own screen is let in by the seat,
but one logged in over ssh, or a program in a container, needs the group, and OpenCV then says only that the camera
did not open."""

from __future__ import annotations

import grp
import os
import sys
from pathlib import Path


def camera_candidates(devices_dir: Path = Path("/dev")) -> list[str]:
    """Where cameras may be: the video devices on Linux (in number order), the first few indices elsewhere."""
    if sys.platform.startswith("linux"):
        devices = [path for path in Path(devices_dir).glob("video*") if path.name[5:].isdigit()]
        return [str(path) for path in sorted(devices, key=lambda path: int(path.name[5:]))]
    return [str(index) for index in range(6)]


def camera_name(spec: str) -> str:
    """The name a Linux video device gives itself ("HD Pro Webcam C920"), or '' where there is none to read."""
    try:
        return (Path("/sys/class/video4linux") / Path(spec).name / "name").read_text().strip()
    except OSError:
        return ""


def device_of(spec: str) -> str:
    """The device a camera's --source names (camera 3 is /dev/video3 on Linux), or '' where it names none."""
    if spec.isdigit() and sys.platform.startswith("linux"):
        return f"/dev/video{spec}"
    return spec if spec.startswith("/dev/") else ""


def not_allowed(devices: list[str]) -> list[str]:
    """Those of `devices` that are there but that this user may not open (read and write, as a camera's driver
    wants)."""
    return [device for device in devices
            if device and os.path.exists(device) and not os.access(device, os.R_OK | os.W_OK)]


def permission_advice(devices: list[str]) -> str:
    """Why `devices` (from `not_allowed`) did not open, and what lets this user in."""
    groups = sorted({_group(device) for device in devices})
    which = (f"{devices[0]} is there, but this user may not open it" if len(devices) == 1 else
             f"{', '.join(devices)} are there, but this user may not open them")
    if len(groups) == 1 and groups[0] not in ("", "root"):
        return f"{which} (sudo usermod -aG {groups[0]} $USER lets this user in, from the next login)"
    return f"{which} (permission denied)"


def _group(device: str) -> str:
    try:
        return grp.getgrgid(os.stat(device).st_gid).gr_name
    except (KeyError, OSError):
        return ""
