"""The run's settings, frozen once the command line is parsed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Config:
    source: str | None = None  # None: camera 0, or the demo scene when there is no camera
    camera_size: tuple[int, int] | None = None  # (height, width) to ask a camera for; None: its default
    seconds_per_image: float | None = None  # how long a slideshow holds each image; None: SLIDE_SECONDS
    model: str = "vgg16"
    custom_objects: tuple[Path, ...] = ()  # Python files that define a model file's own layers
    trust_lambda: bool = False  # run the Python code a model file's Lambda layers store (Keras' safe mode off)
    input_size: tuple[int, int] | None = None  # (height, width) for a model of open size; None: the pictures' shape
    weights: str = "auto"
    preprocess: str = "auto"
    layer: str | None = None  # None: the first conv layer
    channels: int = 64
    gap: int = 1
    colormap: str = "gray"
    normalize: str = "channel"
    normalize_in: str = "auto"  # graph | host | auto (graph on a GPU, host on a CPU)
    order: str = "index"
    page: int = 0  # zero-based here; the command line counts from 1
    focus: int | None = None
    mirror: bool | None = None  # None: on for cameras
    fullscreen: bool = False
    monitor: int | None = None  # the monitor the window opens on, 1 the primary; None: the window manager's choice
    labels: bool = False
    text: bool = True  # the lines over the camera picture; --hide-text starts without them
    device: str = "auto"
    headless: bool = False
    output: Path | None = None
    max_frames: int | None = None
    save_mosaics: Path | None = None
    snapshot_dir: Path = Path("snapshots")
    panel_height: int = 720
    unpaced: bool = False
    loop: bool = False
