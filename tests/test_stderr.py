import os
import subprocess
import sys
import tempfile

import cv2
import numpy as np

from live.stderr import decoder_lines
from tests.conftest import ROOT


def broken_png(folder) -> str:
    """A PNG cut in half, as a download that did not finish: libpng writes 'libpng error: Read Error' itself."""
    data = cv2.imencode(".png", np.random.default_rng(0).integers(0, 256, (120, 160, 3), dtype=np.uint8))[1]
    path = folder / "cut.png"
    path.write_bytes(data.tobytes()[:len(data) // 2])
    return str(path)


def test_the_decoders_own_lines_are_handed_back_and_others_still_reach_the_terminal(tmp_path, capfd):
    with decoder_lines() as said:
        assert cv2.imread(broken_png(tmp_path)) is None
        os.write(2, b"a line written by other means\n")
    assert said == ["libpng error: Read Error"]
    err = capfd.readouterr().err
    assert "a line written by other means\n" in err and "libpng" not in err


def test_without_room_for_a_temporary_file_the_image_is_read_all_the_same(tmp_path, capfd):
    """A full or read-only disk: no temporary file to take stderr into. The decoder's lines go to the terminal, as
    they did before, rather than the slideshow stopping."""
    path, good = broken_png(tmp_path), tmp_path / "good.png"
    cv2.imwrite(str(good), np.zeros((8, 8, 3), np.uint8))
    before, tempfile.tempdir = tempfile.tempdir, str(tmp_path / "no such folder")
    try:  # put back before the test ends: pytest's own capture needs temporary files
        with decoder_lines() as said:
            assert cv2.imread(path) is None and cv2.imread(str(good)) is not None
    finally:
        tempfile.tempdir = before
    assert said == [] and "libpng error: Read Error" in capfd.readouterr().err


def test_stderr_is_itself_again_after_two_threads_took_it_at_once(tmp_path):
    """TensorFlow's import sends stderr to /dev/null while the loading window decodes a camera's pictures with
    stderr taken into a file: the import saved that file as stderr, and put it back afterwards, so that every later
    line of the run, its last included, went into a deleted file. The import now waits for the decode."""
    import threading

    from live.stderr import redirected

    before = os.fstat(2)
    decoding, imported = threading.Event(), threading.Event()

    def decode():
        with decoder_lines():
            decoding.set()
            imported.wait(0.5)  # the import's turn comes meanwhile, as a camera's pictures keep coming

    def import_():
        with open(os.devnull, "w") as devnull, redirected(devnull):
            imported.set()

    decoder = threading.Thread(target=decode)
    decoder.start()
    assert decoding.wait(10)
    importer = threading.Thread(target=import_)
    importer.start()
    decoder.join(10)
    importer.join(10)
    after = os.fstat(2)
    assert (after.st_dev, after.st_ino) == (before.st_dev, before.st_ino)


def damaged_jpeg(folder) -> str:
    """A large photo with bytes overwritten in its middle: slow enough to decode (tens of milliseconds) that other
    threads write meanwhile, and libjpeg says 'Corrupt JPEG data: ...' itself."""
    picture = cv2.resize(np.random.default_rng(1).integers(0, 256, (300, 400, 3), dtype=np.uint8), (4000, 3000))
    data = bytearray(cv2.imencode(".jpg", picture)[1].tobytes())
    data[len(data) // 2:len(data) // 2 + 400] = b"U" * 400
    path = folder / "damaged.jpg"
    path.write_bytes(bytes(data))
    return str(path)


CHATTER = """
import itertools, logging, sys, threading, time
import cv2
from live.stderr import decoder_lines
from tests.conftest import ROOT

logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)  # as the command line does
stop, written = threading.Event(), []

def chatter():
    for number in itertools.count():
        if stop.is_set():
            return
        logging.info("line %d", number)
        written.append(number)
        time.sleep(0.0005)

writer = threading.Thread(target=chatter)
writer.start()
time.sleep(0.05)
for _ in range(8):
    with decoder_lines() as said:
        assert cv2.imread(sys.argv[1]) is not None
    assert said and all(line.startswith("Corrupt JPEG data") for line in said), said
stop.set()
writer.join()
print(len(written))
"""


def test_what_other_threads_log_meanwhile_all_arrives_in_its_order(tmp_path):
    """stderr is the whole process's: what other threads log while a photo is decoded (tens of milliseconds here)
    reaches the terminal, in its order, and none of the decoder's own words do."""
    done = subprocess.run([sys.executable, "-c", CHATTER, damaged_jpeg(tmp_path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    written = int(done.stdout)
    assert done.stderr.splitlines() == [f"line {n}" for n in range(written)]
