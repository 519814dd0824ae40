"""What a file is, read from its own bytes: the sentences for files OpenCV cannot read, and videos cut short.
The files are real: videos written by OpenCV's VideoWriter (and two by FFmpeg, in tests/data), images by
cv2.imencode, then cut as a download that did not finish cuts them; they are opened as the program opens them."""

import logging
import re
import shutil

import cv2
import numpy as np
import pytest

from live.errors import SourceError
from live.files import CUT_SHORT, cut_short, jpeg_cut_short, why_unreadable
from live.sources import open_source
from tests.conftest import DATA, jpeg_bytes, moving_frames

DRIVE_PAGE = (b"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Google Drive - Virus scan warning</title>"
              b"</head><body><p>Google Drive can't scan this file for viruses.</p></body></html>")


def written(path, fourcc: str, count: int = 12):
    """A real video file of `count` moving frames, as OpenCV's VideoWriter writes it."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 25, (64, 48))
    assert writer.isOpened()
    for frame in moving_frames(count, 48, 64):
        writer.write(frame)
    writer.release()
    return path


def cut(path, fraction: float, name: str | None = None):
    """The first `fraction` of the file, as a copy or download that stopped there leaves it."""
    data = path.read_bytes()
    short = path.with_name(name or f"cut_{path.name}")
    short.write_bytes(data[:int(len(data) * fraction)])
    return short


def told_cut_short(path) -> str:
    """The pattern of the whole sentence for a file cut short that cannot be read at all."""
    return "^" + re.escape(f"'{path}' {CUT_SHORT}") + "$"


def frames_of(source) -> int:
    count = 0
    while source.read() is not None:
        count += 1
    return count


@pytest.mark.parametrize("name", ["talk.mp4", "photo.jpg", "slides.png"])
def test_an_empty_file_is_called_empty(tmp_path, name):
    """OpenCV said only that it could not read it."""
    (tmp_path / name).write_bytes(b"")
    with pytest.raises(SourceError, match=f"^'{tmp_path / name}' is empty \\(0 bytes\\): a copy or download that "
                                          f"did not finish\\?$"):
        open_source(str(tmp_path / name))


@pytest.mark.parametrize("name", ["talk.mp4", "photo.jpg"])
def test_a_web_page_saved_under_a_videos_name_is_named_by_its_title(tmp_path, name):
    """A download from a sharing site that saved its sign-in or virus-scan page was 'not a video or image that
    OpenCV can read', and a presenter went looking for a codec."""
    (tmp_path / name).write_bytes(b"\xef\xbb\xbf\n  " + DRIVE_PAGE)  # a byte-order mark and a blank line first
    with pytest.raises(SourceError) as raised:
        open_source(str(tmp_path / name))
    assert str(raised.value) == (f"'{tmp_path / name}' is a web page ('Google Drive - Virus scan warning'), not a "
                                 f"video or image: the download saved the site's page in place of the file; download "
                                 f"the file itself (the page's own download button or link)")
    (tmp_path / "untitled.mp4").write_text("<html><body>Access denied</body></html>")
    assert why_unreadable(str(tmp_path / "untitled.mp4")).startswith("is a web page, not a video or image: ")


def test_text_and_drawings_are_named_for_what_they_are(tmp_path):
    notes = tmp_path / "notes.mp4"
    notes.write_text("Talk outline\n\n1. Feature maps\n2. " + "x" * 100)
    with pytest.raises(SourceError, match=f"^'{notes}' is a text file, not a video or image \\(it begins 'Talk "
                                          f"outline 1. Feature maps 2. x+…'\\)$"):
        open_source(str(notes))
    logo = tmp_path / "logo.svg"
    logo.write_text('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"></svg>')
    with pytest.raises(SourceError, match="logo.svg' is an SVG drawing, which OpenCV cannot read: export it to PNG"):
        open_source(str(logo))
    ascii_image = tmp_path / "gray.pgm"  # an image that is text: OpenCV's to read
    ascii_image.write_text("P2\n2 2\n255\n0 64\n128 255\n")
    with open_source(str(ascii_image)) as source:
        assert source.read()[:, :, 0].tolist() == [[0, 64], [128, 255]]


@pytest.mark.parametrize("suffix, fourcc", [(".mp4", "mp4v"), (".mov", "mp4v")])
def test_an_mp4_cut_before_its_index_says_so(tmp_path, suffix, fourcc):
    """OpenCV's VideoWriter, as a phone or camera, writes an MP4's index (moov) last: a copy cut short has none,
    and OpenCV cannot open it. It was 'not a video or image that OpenCV can read'."""
    whole = written(tmp_path / f"clip{suffix}", fourcc)
    assert not cut_short(str(whole)) and why_unreadable(str(whole)) is None
    short = cut(whole, 0.7)
    assert cut_short(str(short))
    with pytest.raises(SourceError, match=f"^'{short}' is a video cut short: the file ends before its index \\(the "
                                          f"part of an MP4 or MOV file that says where each frame is, written when "
                                          f"the recording stops\\), as when a copy or download did not finish or the "
                                          f"recording was not stopped cleanly; the whole file is needed$"):
        open_source(str(short))


@pytest.mark.parametrize("kind", ["faststart mp4", "mkv", "webm", "avi"])
def test_a_video_cut_short_that_plays_says_it_stops_early(tmp_path, caplog, kind):
    """An MP4 whose index comes first (a web video's), a Matroska or WebM file, and an AVI play up to where a
    copy cut short stops, and the video seemed to end there: it is said at the start."""
    if kind == "faststart mp4":
        whole = shutil.copy(DATA / "faststart_64x48.mp4", tmp_path / "web.mp4")
    else:
        whole = written(tmp_path / f"clip.{kind}", {"mkv": "MJPG", "webm": "VP90", "avi": "MJPG"}[kind])
    with caplog.at_level(logging.INFO), open_source(str(whole)) as source:
        full = frames_of(source)
    assert full >= 12 and "cut short" not in caplog.text
    short = cut(whole, 0.9 if kind in ("avi", "faststart mp4") else 0.6)  # whose first frames are whole
    caplog.clear()
    with caplog.at_level(logging.INFO), open_source(str(short)) as source:
        assert 0 < frames_of(source) < full
    assert f"'{short}' {CUT_SHORT}, so it plays only up to where the file stops" in caplog.text
    assert caplog.text.count("cut short") == 1


def test_an_avi_that_cannot_be_opened_is_cut_short_and_opencv_s_own_line_stays_off_the_terminal(tmp_path, capfd):
    """OpenCV's own AVI reader, tried when FFmpeg cannot open the file, wrote 'Unexpected element. Expected: LIST.
    Got: JUNK.' to the terminal before the program's sentence."""
    short = cut(written(tmp_path / "clip.avi", "MJPG"), 0.3)  # inside its header
    with pytest.raises(SourceError, match=told_cut_short(short)):
        open_source(str(short))
    assert "Unexpected element" not in capfd.readouterr().err


def test_a_sound_file_under_a_videos_name_is_called_sound(tmp_path):
    """An MP4 that holds only a sound track (a talk's audio, exported as .mp4) is told by its tracks."""
    talk = shutil.copy(DATA / "sound_only.m4a", tmp_path / "talk.mp4")
    with pytest.raises(SourceError, match="talk.mp4' holds sound only, with no pictures to show: give a video or an "
                                          "image$"):
        open_source(str(talk))


@pytest.mark.parametrize("suffix", [".png", ".webp"])
def test_an_image_cut_short_says_so(tmp_path, suffix):
    """It was 'could not be read as an image (is it truncated or corrupt?)': now which of the two."""
    image = tmp_path / f"photo{suffix}"
    image.write_bytes(cv2.imencode(suffix, np.random.default_rng(1).integers(0, 256, (60, 80, 3), np.uint8))[1])
    assert not cut_short(str(image)) and why_unreadable(str(image)) is None
    short = cut(image, 0.5)
    with pytest.raises(SourceError, match=told_cut_short(short)):
        open_source(str(short))


def test_an_image_in_heifs_box_layout_is_no_video_without_its_index(tmp_path):
    """HEIC and AVIF photos are laid out as an MP4 is, without its index; they are not called videos cut short."""
    photo = tmp_path / "IMG_0001.jpg"  # an iPhone's photo, renamed: the suffix tells nothing
    photo.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00\x00\x00\x10meta" + bytes(8))
    assert why_unreadable(str(photo)) is None and not cut_short(str(photo))


@pytest.mark.parametrize("kind", ["baseline", "progressive", "thumbnail", "motion photo"])
def test_a_jpeg_cut_short_is_told_from_a_whole_one(tmp_path, kind):
    data = jpeg_bytes(kind == "progressive", kind == "thumbnail", b"ftypmp42" * 500 if kind == "motion photo" else b"")
    whole, cut_jpeg, header = tmp_path / "whole.jpg", tmp_path / "cut.jpg", tmp_path / "header.jpg"
    whole.write_bytes(data)
    cut_jpeg.write_bytes(data[:len(data) * 6 // 10])
    header.write_bytes(data[:30])
    assert not jpeg_cut_short(str(whole)) and jpeg_cut_short(str(cut_jpeg)) and jpeg_cut_short(str(header))
    assert cut_short(str(cut_jpeg)) and not cut_short(str(whole))
    assert cv2.imread(str(cut_jpeg)) is not None  # what OpenCV shows all the same, gray where the data ends
    png = tmp_path / "named.jpg"
    png.write_bytes(cv2.imencode(".png", np.zeros((4, 4, 3), np.uint8))[1].tobytes())  # not a JPEG at all
    assert not jpeg_cut_short(str(png)) and not jpeg_cut_short(str(tmp_path / "missing.jpg"))


@pytest.mark.parametrize("libver", ["earliest", "latest"])
def test_an_hdf5_file_cut_short_is_told_by_its_superblock_of_either_version(tmp_path, libver):
    """A Keras 2 model's .h5 file: h5py writes the superblock's first version by default, the third with 'latest'."""
    import h5py

    whole = tmp_path / "model.h5"
    with h5py.File(whole, "w", libver=libver) as contents:
        contents["weights"] = np.arange(4096, dtype=np.float32)
    assert not cut_short(str(whole))
    assert cut_short(str(cut(whole, 0.8))) and cut_short(str(cut(whole, 0.002, "header.h5")))
