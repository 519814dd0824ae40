"""Python child processes of this program (the recording's encoder, numba's compiling ahead): started with this
checkout importable wherever the user runs from, in a session of their own, so that a Ctrl+C in the terminal
reaches only this process, which ends them in order."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[1])  # the folder that holds `live` and `models`


def start_python(args: list[str], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL) -> subprocess.Popen:
    """`python args...` with this interpreter, its stderr discarded; raises OSError where it cannot start."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
    return subprocess.Popen([sys.executable, *args], stdin=stdin, stdout=stdout, stderr=subprocess.DEVNULL,
                            env=env, start_new_session=True)
