"""TensorFlow and the device: the GPU or the CPU, a GPU TensorFlow cannot use, and the host's threads."""

import os
import platform
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from tests.conftest import ROOT, in_own_mounts, needs_own_mounts


@pytest.mark.parametrize("on_gpu, cores, threads", [(False, 2, 1), (False, 64, 1), (True, 2, 1), (True, 8, 2),
                                                    (True, 16, 4), (True, 128, 4)])
def test_host_steps_get_one_thread_beside_a_cpu_model_and_a_few_beside_a_gpu(on_gpu, cores, threads):
    from live.device import host_threads

    assert host_threads(on_gpu, cores) == threads


def test_configure_device_on_the_cpu_keeps_numba_and_opencv_to_one_thread():
    import numba

    from live.device import configure_device, import_tensorflow

    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    cv2.setNumThreads(4)
    assert configure_device(import_tensorflow(), "cpu") == "CPU"
    assert numba.get_num_threads() == 1 and cv2.getNumThreads() == 1


def test_tensorflow_is_imported_without_matplotlib_or_ipython_which_import_afterwards(tmp_path):
    """Keras imports matplotlib's pyplot, and IPython, whenever they are installed: half a second or more of every
    start each, for plots and notebook displays that nothing here shows. They are kept out, and import as usual
    afterwards (the benchmark's lesson plots). IPython, which the requirements do not install, is a package of
    that name here (ahead of any installed one), which Keras would import as it imports IPython."""
    (tmp_path / "IPython").mkdir()
    (tmp_path / "IPython" / "__init__.py").write_text("def get_ipython():\n    return None\n")
    code = ("import sys\nfrom live.device import import_tensorflow\nimport_tensorflow()\n"
            "print('matplotlib' in sys.modules, 'IPython' in sys.modules)\nimport matplotlib.pyplot, IPython\n"
            "print(callable(matplotlib.pyplot.figure), IPython.get_ipython())")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])})
    assert done.stdout.split() == ["False", "False", "True", "None"], done.stdout + done.stderr


def test_other_threads_log_records_wait_for_tensorflow_s_import_rather_than_vanish():
    """stderr goes to /dev/null while TensorFlow imports (its start-up chatter); the window's thread, which runs
    meanwhile, logs to stderr too: its records wait, and are all said once the import is done."""
    code = ("import logging, sys, threading, time\n"
            "logging.basicConfig(level=logging.INFO, format='%(message)s', stream=sys.stderr)\n"
            "from live.device import import_tensorflow\n"
            "done, said = threading.Event(), []\n"
            "def talk():\n"
            "    while not done.is_set():\n"
            "        said.append(len(said)); logging.info('record %d', said[-1]); time.sleep(0.05)\n"
            "talker = threading.Thread(target=talk); talker.start(); time.sleep(0.2)\n"
            "began = time.monotonic(); import_tensorflow(); done.set(); talker.join()\n"
            "print(len(said), time.monotonic() - began)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    count, seconds = done.stdout.split()
    records = [line for line in done.stderr.splitlines() if line.startswith("record ")]
    assert float(seconds) > 0.5 and records == [f"record {n}" for n in range(int(count))], done.stderr


def test_an_nvidia_driver_that_tensorflow_cannot_use_gets_the_install_hint(tmp_path, monkeypatch, caplog):
    import live.device
    from live.errors import UsageError

    tf = live.device.import_tensorflow()
    if tf.config.list_physical_devices("GPU"):
        pytest.skip("TensorFlow sees a GPU here")
    driver = tmp_path / "version"
    driver.write_text("NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.159.04\n")
    monkeypatch.setattr(live.device, "NVIDIA_DRIVER", driver)  # stands in for /proc/driver/nvidia/version
    with pytest.raises(UsageError, match=r"tensorflow\[and-cuda\]"):
        live.device.configure_device(tf, "gpu")
    with caplog.at_level("WARNING", logger="live"):
        assert live.device.configure_device(tf, "auto") == "CPU"
    assert "tensorflow[and-cuda]" in caplog.text
    caplog.clear()
    monkeypatch.setattr(live.device, "NVIDIA_DRIVER", tmp_path / "absent")
    with caplog.at_level("WARNING", logger="live"):
        assert live.device.configure_device(tf, "auto") == "CPU"
    assert "NVIDIA" not in caplog.text


@pytest.mark.parametrize("preset, expected", [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_numba_workers_wait_passively_unless_the_user_says_otherwise(preset, expected):
    """Set before numba starts its OpenMP threads (libgomp reads it then), in a process of its own."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if preset:
        env["OMP_WAIT_POLICY"] = preset
    code = ("import os; from live.device import share_host_cores; share_host_cores(True); "
            "print(os.environ['OMP_WAIT_POLICY'])")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == [expected], out.stderr


def without_avx(cpu_info: str) -> str:
    """/proc/cpuinfo's text with the flag 'avx' taken out of its flags lines, as a processor without AVX gives it."""
    return "".join((" ".join(word for word in line.split(" ") if word != "avx") if line.startswith("flags") else line)
                   + "\n" for line in cpu_info.splitlines())


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64") or not Path("/proc/cpuinfo").exists(),
                    reason="an x86-64 Linux's /proc/cpuinfo")
def test_a_processor_without_avx_is_told_before_tensorflow_s_import_would_end_the_process():
    """TensorFlow's wheel is built for AVX, which a virtual machine's default processor model may leave out
    (Proxmox's x86-64-v2): its import then ends the process with "Illegal instruction", unexplained. This machine's
    own processor information, with and without that flag."""
    from live.device import lacks_avx

    cpu_info = Path("/proc/cpuinfo").read_text()
    flags = [line for line in cpu_info.splitlines() if line.startswith("flags")]
    assert flags and " avx " in flags[0] + " "  # this machine runs TensorFlow, so it has AVX
    assert not lacks_avx() and not lacks_avx(cpu_info) and lacks_avx(without_avx(cpu_info))
    assert not lacks_avx("processor\t: 0\n")  # no flags line to tell by: TensorFlow is tried


@needs_own_mounts
@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="AVX is x86-64's")
def test_the_program_says_so_where_the_processor_lacks_avx(tmp_path):
    """The program itself, shown (in a mount namespace of its own) this machine's /proc/cpuinfo without AVX."""
    cpu_info = tmp_path / "cpuinfo"
    cpu_info.write_text(without_avx(Path("/proc/cpuinfo").read_text()))
    done = in_own_mounts('mount --bind "$1" /proc/cpuinfo && shift && exec "$@"', str(cpu_info), sys.executable,
                         str(ROOT / "run_live.py"), "--source", "demo", "--headless", "--max-frames", "3")
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("error: TensorFlow's wheel needs a processor with AVX instructions, which this one "
                                  "does not offer"), done.stderr
