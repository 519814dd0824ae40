"""Pictures as the window shows them: any frame to 8-bit BGR, image files read upright, scaled down once, cut short
JPEGs told from whole ones."""

import logging

import cv2
import numpy as np
import pytest

from live.images import read_image, to_bgr8
from tests.conftest import moving_frames


@pytest.mark.parametrize("frame", [
    np.full((5, 7), 90, np.uint8),                      # gray
    np.full((5, 7, 1), 90, np.uint8),                   # gray with a channel axis
    np.full((5, 7, 4), 90, np.uint8),                   # BGRA
    np.full((5, 7, 3), 90 * 257, np.uint16),            # 16-bit
    np.full((5, 7, 3), 90 / 255, np.float32),           # float 0..1
])
def test_any_frame_becomes_8bit_bgr(frame):
    bgr = to_bgr8(frame)
    assert bgr.shape == (5, 7, 3) and bgr.dtype == np.uint8
    assert abs(int(bgr[0, 0, 0]) - 90) <= 1


def test_tiny_and_empty_frames():
    assert to_bgr8(np.zeros((1, 1, 3), np.uint8)).shape == (1, 1, 3)
    assert to_bgr8(np.zeros((0, 0, 3), np.uint8)) is None
    assert to_bgr8(None) is None


def test_a_photo_larger_than_the_window_can_show_is_scaled_down_once(tmp_path, caplog):
    """A 48-megapixel photo was copied and scaled every frame: 13.6 FPS against the demo's 30."""
    path = tmp_path / "huge.png"
    cv2.imwrite(str(path), np.tile(moving_frames(1, 240, 440)[0], (10, 10, 1)))  # 4400x2400
    with caplog.at_level(logging.INFO, logger="live.images"):
        frame = read_image(str(path))
    assert frame.shape == (2095, 3840, 3)
    assert "is 4400x2400: shown scaled down once to 3840x2095" in caplog.text


def test_a_photo_is_turned_as_its_exif_orientation_says(tmp_path):
    """Phones store portrait photos sideways with an orientation tag; the picture must stand upright."""
    from PIL import Image

    stored = np.zeros((100, 200, 3), np.uint8)
    stored[:, :100] = (0, 0, 255)  # the left half red, as stored
    photo = Image.fromarray(stored[..., ::-1])
    exif = photo.getexif()
    exif[0x0112] = 6  # "turn 90 degrees clockwise to view"
    path = tmp_path / "portrait.jpg"
    photo.save(path, exif=exif)
    upright = read_image(str(path))
    assert upright.shape == (200, 100, 3)
    assert upright[:90, :, 2].mean() > 200 and upright[110:, :, 2].mean() < 50  # the red half now on top
