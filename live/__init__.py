"""Live CNN feature-map visualizer: frame → tensor → channels → mosaic → window."""

import os
import tempfile

# OpenCV's and FFmpeg's own warnings stay out of the user's terminal; set before cv2 is first imported.
os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

__version__ = "0.1.0"


def _writable(folder: str) -> bool:
    """Whether files can be made in `folder` (made if need be), tried as numba tries its cache folders."""
    try:
        os.makedirs(folder, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
        return True
    except OSError:
        return False


def _numba_cache_somewhere() -> None:
    """numba keeps its compiled kernels beside the code (live/__pycache__), else in the home folder's cache. Where
    neither can be written (a read-only checkout run by a user without a home of their own, as a container run with
    --user is), it refused to define them: "cannot cache function ...: no locator available". They are then kept
    in the temporary folder, set before numba is first imported."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    home = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "numba")
    if _writable(os.path.join(os.path.dirname(__file__), "__pycache__")) or os.path.isabs(home) and _writable(home):
        return
    elsewhere = os.path.join(tempfile.gettempdir(), f"live-numba-cache-{getattr(os, 'getuid', lambda: 0)()}")
    if _writable(elsewhere):
        os.environ["NUMBA_CACHE_DIR"] = elsewhere


_numba_cache_somewhere()
