"""The window cut off from its X display (the X server ended, an `ssh -X` connection dropped, xkill): Qt, which
draws OpenCV's window, then ends the process on the spot with C's `exit(1)`, in the middle of the loop, having
said at most "The X11 connection broke" (nothing at all while the model loads). C's exit then runs C++'s static
destructors under OpenCV's threads, still working, which crash the end ("terminate called ... Aborted").

A handler of C's exit, run before those destructors, says what happened in one sentence, waits for a recording's
process to finish the file and says so, and ends the process at once. It is Python code, which cannot run once
Python is finalized: so only the command line's entry arms it (`cli.run_and_exit`), whose process never ends
through Python's finalization; C's exit comes there from a library alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import weakref

from live.stderr import terminal

FINISH_SECONDS = 10.0  # how long a recording's process is waited for once its pipe is closed

_window = {"display": None}  # the X display of the window while one is open
_recordings = weakref.WeakSet()  # recorders whose files are open
_armed = []  # the handler, kept alive: C holds only its address


def arm() -> bool:
    """Register the handler with C's exit (glibc's `on_exit`, which gives it the exit status): whether it is. Only
    for a process that always ends through `os._exit` (see above); called again once the libraries are loaded
    (`arm_again`), since C's exit runs the last registered first, and so before the destructors of libraries
    loaded after it (TensorFlow's, Qt's)."""
    try:
        on_exit = ctypes.CDLL(None).on_exit
    except (AttributeError, OSError, TypeError):  # glibc's: not on macOS nor Windows, where this is untested anyway
        return False
    handler = _armed[0] if _armed else ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_void_p)(_ended_by_a_library)
    if on_exit(handler, None) != 0:
        return False
    _armed[:1] = [handler]
    return True


def arm_again() -> None:
    """Where it is armed, register the handler once more, to run before what was registered since."""
    if _armed:
        arm()


def window_opened(display: str) -> None:
    _window["display"] = display
    arm_again()  # after Qt's start


def window_closed() -> None:
    _window["display"] = None


def recording(recorder) -> None:
    """`recorder` has a file open: what becomes of it is said should the window take the process down."""
    _recordings.add(recorder)


def recorded(recorder) -> None:
    _recordings.discard(recorder)


def _ended_by_a_library(status: int, _argument) -> None:
    """C's exit handler: where a window is open, the window's X connection broke (Qt's, or Xlib's, exit); with no
    window, nothing is said and the exit goes on."""
    display = _window["display"]
    if display is None:
        return
    try:
        # Straight to the terminal: stderr may be sent elsewhere meanwhile (TensorFlow's import), its log records held
        _say(f"error: the window's connection to the X display '{display}' was lost (its X server ended, an ssh -X "
             f"connection dropped, or xkill), and Qt, which draws the window, ended the program")
        for recorder in list(_recordings):
            _say(recorder.end_at_once(FINISH_SECONDS))
    finally:
        os._exit(status or 1)


def _say(line: str) -> None:
    with contextlib.suppress(OSError):
        os.write(terminal(), f"{line}\n".encode())
