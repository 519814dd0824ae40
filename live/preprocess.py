"""Frame → model input: centre crop, resize and RGB order, then the model's own scaling, on the host when it can.

Most models scale their input per channel (`x / 127.5 - 1`, Caffe's BGR minus a mean, ...). In a
TensorFlow graph on a CPU those few element-wise ops on a 224 × 224 image cost 0.3 to 1.3 ms a frame
(measured), as much as VGG16's first convolution itself; OpenCV does the same arithmetic in 0.05 ms.
`HostScaling.of` checks, by calling the model's preprocessing, whether it is such a per-pixel affine
map, and only then takes it over; anything else stays in the graph.
"""

from __future__ import annotations

import logging
import math

import numpy as np

log = logging.getLogger(__name__)

ASPECT_TOLERANCE = 0.02  # a frame within 2 % of the model's shape is seen whole, squashed that little, not cut


def crop_box(frame_hw: tuple[int, int], input_hw: tuple[int, int]) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) of the centre crop of a frame with the model's aspect ratio; the whole frame
    where their shapes differ by at most 2 % (a 16:9 camera and a model of open size run at 160x288), rather
    than a sliver cut off and marked on screen."""
    height, width = frame_hw
    target_h, target_w = input_hw
    if abs(math.log(height * target_w / (width * target_h))) <= math.log1p(ASPECT_TOLERANCE):
        return 0, 0, height, width
    if height * target_w > width * target_h:  # too tall: crop rows
        crop_h = max(1, round(width * target_h / target_w))
        top = (height - crop_h) // 2
        return top, 0, top + crop_h, width
    if height * target_w < width * target_h:  # too wide: crop columns
        crop_w = max(1, round(height * target_w / target_h))
        left = (width - crop_w) // 2
        return 0, left, height, left + crop_w
    return 0, 0, height, width


def prepare_rgb(bgr: np.ndarray, input_hw: tuple[int, int]) -> np.ndarray:
    """Centre-crop a BGR frame to the model's aspect ratio, resize it to (height, width) and convert to RGB."""
    import cv2

    target_h, target_w = input_hw
    top, left, bottom, right = crop_box(bgr.shape[:2], input_hw)
    bgr = bgr[top:bottom, left:right]
    if bgr.shape[:2] != (target_h, target_w):
        # Bilinear is ten times cheaper than area averaging; from a much larger frame, halve it first with
        # pyrDown (a proper low-pass) so that fine patterns do not alias into the feature maps.
        while bgr.shape[0] >= 4 * target_h and bgr.shape[1] >= 4 * target_w:
            bgr = cv2.pyrDown(bgr)
        bgr = cv2.resize(bgr, (target_w, target_h), interpolation=cv2.INTER_LINEAR)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


class HostScaling:
    """A model's preprocessing as one (channels, 4) matrix: output o = matrix[o, :3] · (r, g, b) + matrix[o, 3].

    Three output channels for an RGB model, one for a model of gray images (the gray weights then sit in
    the matrix too)."""

    TOLERANCE = 1e-4  # relative: the graph divides where this multiplies, a last-bit difference

    def __init__(self, matrix: np.ndarray):
        self.matrix = np.asarray(matrix, np.float32)

    @classmethod
    def of(cls, preprocess, input_hw: tuple[int, int]) -> "HostScaling | None":
        """The matrix of `preprocess` (RGB float32 in 0..255 → model input) if it is a per-pixel affine map of
        the three channels, else None. Fitted on a random image and then checked on another."""
        import tensorflow as tf

        rng = np.random.default_rng(0)
        fit, check = (rng.integers(0, 256, (1, *input_hw, 3)).astype(np.float32) for _ in range(2))
        try:
            fitted = np.asarray(preprocess(tf.constant(fit)), np.float64)
            checked = np.asarray(preprocess(tf.constant(check)), np.float64)
        except Exception as exc:  # any preprocessing this cannot call stays in the graph, where it ran before
            log.debug("preprocessing stays in the graph: %s", exc)
            return None
        if (fitted.shape[:3] != fit.shape[:3] or fitted.shape[3:] not in ((1,), (3,)) or not np.isfinite(fitted).all()
                or not np.isfinite(checked).all()):
            return None
        channels = fitted.shape[3]
        inputs = np.concatenate([fit.reshape(-1, 3), np.ones((fit[0, ..., 0].size, 1))], axis=1)
        solution, *_ = np.linalg.lstsq(inputs, fitted.reshape(-1, channels), rcond=None)
        matrix = solution.T  # (outputs, 3 inputs + offset)
        matrix[np.abs(matrix) < 1e-9] = 0  # exact zeros where a channel does not feed an output
        scaling = cls(matrix)
        error = np.abs(scaling.apply(check[0]) - checked[0])
        if not (error <= cls.TOLERANCE * np.maximum(1, np.abs(checked[0]))).all():
            log.debug("preprocessing stays in the graph: not a per-pixel affine map (error up to %.3g)", error.max())
            return None
        log.debug("input scaled on the host by OpenCV: %s", scaling.matrix.tolist())
        return scaling

    @property
    def channels(self) -> int:
        return self.matrix.shape[0]

    def apply(self, rgb: np.ndarray) -> np.ndarray:
        """The model's input for an RGB image (height, width, 3), uint8 or float32, as float32 (height, width,
        channels)."""
        import cv2

        out = cv2.transform(np.asarray(rgb, np.float32), self.matrix)
        return out.reshape(*rgb.shape[:2], self.channels)
