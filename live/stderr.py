"""What C libraries write straight to the process's stderr, which Python cannot catch: TensorFlow's start-up
chatter, kept off the terminal, and the lines of the image decoders inside OpenCV, collected while a still image
or a camera's JPEG picture is decoded (or a video file opened: OpenCV's own AVI reader has its lines too), so that
the program can say them with the file's or the camera's name or leave them out.

libjpeg and libpng print such lines ("Premature end of JPEG file", "libpng error: Read Error") straight to the
process's stderr, naming no file, and Python cannot catch them. While a decoder runs, stderr goes to a temporary
file instead, and the decoders' lines are handed back. Other threads' log records wait meanwhile (the decode's
few milliseconds), so that none lands among the decoder's words; a line written to stderr by other means (a
library's own, again) is passed on to the terminal afterwards.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import tempfile
import threading

DECODER_LINE = re.compile(  # libpng's lines, libjpeg's warnings (its JWRN_ messages) and errors, and those of
    # OpenCV's own reader of MJPEG AVI files, tried after FFmpeg on one that FFmpeg cannot open (cut short)
    r"(libpng (warning|error): |Corrupt JPEG data|Premature end of JPEG file|Invalid SOS parameters|Inconsistent "
    r"progression sequence|Unknown Adobe color transform|Warning: unknown JFIF revision|Application transferred too "
    r"many scanlines|Unsupported marker type|Not a JPEG file|JPEG datastream contains no image|Bogus |Unexpected "
    r"element\. )")
_taken = threading.RLock()  # stderr is the whole process's: one taker at a time
_saved: list[int] = []  # while stderr is taken, where it went before, the first one the terminal's


@contextlib.contextmanager
def decoder_lines(wait: bool = True):
    """Within the block, stderr goes to a temporary file; afterwards the list it yields holds the decoders' lines
    (without their line ends), and the rest has gone to the terminal. Where stderr cannot be taken (it is
    closed, or no temporary file can be made), the list stays empty and nothing is moved; so too, without `wait`,
    where another thread holds it (TensorFlow's import sends it to /dev/null for seconds, which a camera's picture
    on the loading window must not wait for): the lines then go where stderr goes."""
    said: list[str] = []
    if not _taken.acquire(blocking=wait):
        yield said
        return
    with contextlib.ExitStack() as held:
        held.callback(_taken.release)
        held.enter_context(records_held())
        try:
            spool = held.enter_context(tempfile.TemporaryFile())
        except OSError:  # a full or read-only disk: the lines go where they went
            spool = None
        if spool is None:
            yield said
            return
        with redirected(spool):
            yield said
        spool.seek(0)
        others = []
        for line in spool.read().decode(errors="replace").splitlines(keepends=True):
            if DECODER_LINE.match(line):
                said.append(line.rstrip("\r\n"))
            else:
                others.append(line)
        _write_all(2, "".join(others).encode())


@contextlib.contextmanager
def records_held():
    """Within the block, other threads' log records to stderr wait (the handlers' locks are re-entrant: this
    thread's still go out), rather than land among a decoder's lines or, while TensorFlow imports with stderr sent
    to /dev/null, vanish (the window's, as the model loads)."""
    with contextlib.ExitStack() as held:
        for handler in _stderr_handlers():
            held.enter_context(handler.lock or contextlib.nullcontext())
        yield


@contextlib.contextmanager
def redirected(into):
    """Within the block, what is written to stderr (file descriptor 2, the C libraries' as well as Python's) goes
    to the open file `into`, other threads' log records waiting meanwhile (`records_held`); where stderr cannot be
    taken (closed), it stays where it was. One thread at a time: stderr is taken before it is saved, else a second
    taker would save the first one's file as stderr and put it back afterwards, for good."""
    with _taken:
        try:
            saved = os.dup(2)
        except OSError:
            yield
            return
        with records_held():
            _flush()
            os.dup2(into.fileno(), 2)
            _saved.append(saved)
            try:
                yield
            finally:
                _flush()
                _saved.remove(saved)
                os.dup2(saved, 2)
                os.close(saved)


def terminal() -> int:
    """The file descriptor of stderr as the user gave it (the terminal, say), also while it is taken."""
    return _saved[0] if _saved else 2


def _stderr_handlers() -> list[logging.Handler]:
    """The handlers that write log records to stderr (the command line's), whose locks hold other threads' records
    back while stderr is taken."""
    streams = {id(sys.stderr), id(sys.__stderr__)}
    return [handler for handler in logging.getLogger().handlers
            if isinstance(handler, logging.StreamHandler) and id(getattr(handler, "stream", None)) in streams]


def _write_all(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data):]


def _flush() -> None:
    """Python's own buffer goes out before stderr changes hands, so that its text lands where it was written."""
    with contextlib.suppress(Exception):
        sys.stderr.flush()
