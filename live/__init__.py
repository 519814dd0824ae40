"""Live CNN feature-map visualizer: frame → tensor → channels → mosaic → window."""

import os

# OpenCV's and FFmpeg's own warnings stay out of the user's terminal; set before cv2 is first imported.
os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

__version__ = "0.1.0"
