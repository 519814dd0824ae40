"""TensorFlow and the device: imported without its start-up chatter, the model put on the GPU or the CPU, and the
host's cores shared between TensorFlow, numba and OpenCV so that their thread pools do not fight."""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import sys
from pathlib import Path

from live.errors import SetupError, UsageError
from live.stderr import redirected

log = logging.getLogger(__name__)

NVIDIA_DRIVER = Path("/proc/driver/nvidia/version")  # present wherever NVIDIA's kernel driver is loaded
CUDA_HINT = "pip install \"tensorflow[and-cuda]==2.21.0\" gives TensorFlow the CUDA libraries it needs"
CPU_INFO = Path("/proc/cpuinfo")


def import_tensorflow(debug: bool = False):
    """Import TensorFlow without its start-up messages on the user's terminal (nor matplotlib and IPython, which
    Keras takes when they are there)."""
    if lacks_avx():
        raise SetupError("TensorFlow's wheel needs a processor with AVX instructions, which this one does not offer; "
                         "in a virtual machine, give it the host's processor model (CPU type 'host' in Proxmox, "
                         "host-passthrough in virt-manager, -cpu host in QEMU), whose default models often leave AVX "
                         "out")
    if not debug:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with open(os.devnull, "w") as devnull, (contextlib.nullcontext() if debug else redirected(devnull)), \
            _without("matplotlib", "IPython"):
        import tensorflow as tf
        import keras  # noqa: F401
    tf.get_logger().setLevel(logging.ERROR)
    return tf


def lacks_avx(cpu_info: str | None = None) -> bool:
    """Whether this is an x86-64 processor without AVX, which TensorFlow's wheel is built for: importing it would end
    the process with "Illegal instruction" or an abort, its own words kept off the terminal with its chatter.
    `cpu_info`: /proc/cpuinfo's text (read here where not given); False where it cannot be told."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    if cpu_info is None:
        try:
            cpu_info = CPU_INFO.read_text()
        except OSError:
            return False
    flags = next((line.split(":", 1)[1].split() for line in cpu_info.splitlines() if line.startswith("flags")), None)
    return flags is not None and "avx" not in flags


@contextlib.contextmanager
def _without(*names: str):
    """Keras imports matplotlib's pyplot and patches, and IPython, whenever they are installed (matplotlib is, for
    the demo's photo and the benchmark; IPython is wherever Jupyter is): 0.5 to 0.9 s of every start each, for
    gallery plots and notebook displays that nothing here shows. Inside, importing them fails as if they were
    missing, which Keras allows for; afterwards they import again."""
    kept_out = [name for name in names if name not in sys.modules]  # one imported already: nothing to save
    for name in kept_out:
        sys.modules[name] = None
    try:
        yield
    finally:
        for name in kept_out:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]


def configure_device(tf, device: str) -> str:
    """Make TensorFlow use the chosen device; return a description of it."""
    gpus = tf.config.list_physical_devices("GPU")
    if device == "cpu" and gpus:
        tf.config.set_visible_devices([], "GPU")
        gpus = []
    driver_without_gpu = not gpus and device != "cpu" and NVIDIA_DRIVER.exists()
    if device == "gpu" and not gpus:
        raise UsageError("--device gpu: TensorFlow sees no GPU here; "
                         + (f"this machine has an NVIDIA driver: {CUDA_HINT}" if driver_without_gpu
                            else "use --device cpu or auto"))
    if driver_without_gpu:
        log.warning("this machine has an NVIDIA GPU but TensorFlow cannot use it, so the model runs on the CPU; "
                    "%s", CUDA_HINT)
    on_gpu = bool(gpus) and device != "cpu"
    share_host_cores(on_gpu)
    if on_gpu:
        for gpu in gpus:
            with contextlib.suppress(RuntimeError):
                tf.config.experimental.set_memory_growth(gpu, True)
        details = tf.config.experimental.get_device_details(gpus[0])
        return f"GPU ({details.get('device_name', gpus[0].name)})"
    return "CPU"


def host_threads(on_gpu: bool, cores: int | None = None) -> int:
    """Threads for the host steps (tile, compose, resize): one beside a CPU model, up to four beside a GPU.

    On a CPU the model needs every core, and pools that each want every core fight: numba's parallel tiler
    right after TensorFlow cost 1.7 times the sum of the two timed apart. Beside a GPU the host steps are
    what limits the frame rate, but all cores are too many: on an H200 machine with 16 cores, VGG16
    block1_conv1 with two frames in flight ran at 373 FPS with one thread, 551 with four and 115 with
    sixteen (the tiler then took 30 ms at p95 against 1.9).
    """
    cores = cores or os.cpu_count() or 1
    return max(1, min(4, cores // 4)) if on_gpu else 1


def share_host_cores(on_gpu: bool) -> None:
    """Set OpenCV's and numba's threads for the host steps; TensorFlow keeps its default pools (one thread
    per core within an operation, and enough between operations for two frames in flight).

    numba's OpenMP workers wait passively between kernels unless the user says otherwise: spinning, they
    took 7.7 ms of CPU a frame beside a GPU, against 2.5 ms passive, at the same frame rate (H200
    machine, VGG16 block1_conv1, 510 and 530 FPS). The setting is read when numba starts its threads.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import cv2
    import numba

    threads = min(host_threads(on_gpu), numba.config.NUMBA_NUM_THREADS)
    cv2.setNumThreads(threads)
    numba.set_num_threads(threads)
