"""The sub-model up to one layer, called through one `tf.function` that also selects and normalizes channels.

With `in_graph` (the default on a GPU) normalization runs inside the graph, so the activations stay on
the device and only the uint8 maps that are shown cross to the host. On a CPU nothing crosses anything:
OpenCV scales the input where the model's preprocessing allows (`live.preprocess`), the graph hands its
float activations over without a copy, one numba pass finds each channel's range (`live.normalize`), and
the tiler scales only the pixels it shows, which is several times cheaper.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from live.normalize import PERCENTILE_SAMPLES

log = logging.getLogger(__name__)

NORMALIZE_MODES = ("channel", "layer", "steady", "percentile")
STEADY_RATE = 0.15  # share of the new frame's range taken into the steady range each frame


# The in-graph normalization is written with operations whose GPU kernels start quickly. On an H200
# machine tf.where, tf.clip_by_value (minimum, maximum) and logical and each took 0.5 to 1.4 s on their
# first run, while comparisons, casts, relu and multiply_no_nan took 0.03 to 0.13 s; written with the
# latter, the first frame came 2.7 s sooner (start to first mosaic 9.4 to 10.8 s against 12.2 to 14.1 s),
# with the same bytes and the same time per frame. A choice between two values is a multiplication by a
# 0/1 flag: multiply_no_nan(x, 0) is 0 even where x is NaN or infinite, and x * 1 is x exactly.
_LAST_BELOW_255 = np.float32(255 - 2 ** -16)  # the float32 just below 255: x > it means x >= 255


def _flag(condition):
    """A boolean tensor as 1.0 / 0.0."""
    import tensorflow as tf

    return tf.cast(condition, tf.float32)


def _pick(value, flag, otherwise):
    """`value` where `flag` is 1, `otherwise` where it is 0, exactly (tf.where without its slow first run)."""
    import tensorflow as tf

    return tf.math.multiply_no_nan(value, flag) + (1.0 - flag) * otherwise


def to_gray_levels(maps, lo, hi, finite):
    """uint8 maps: `(maps - lo) * 255 / (hi - lo) + 0.5` clipped to 0..255 and truncated, per channel.

    The same bytes as `tf.cast(tf.clip_by_value(..., 0, 255), tf.uint8)`. A channel whose raw range is not
    `finite` (a 0/1 flag per channel), or whose lo/hi are not finite and increasing, is blank (0); so is a
    NaN pixel.
    """
    import tensorflow as tf

    valid = finite * _flag(tf.math.is_finite(lo)) * _flag(tf.math.is_finite(hi)) * _flag(hi > lo)
    scale = tf.math.divide_no_nan(255.0, tf.math.multiply_no_nan(hi - lo, valid))  # 0 for a blank channel
    level = tf.nn.relu(tf.math.multiply_no_nan(maps - lo, scale) + 0.5)
    below = _flag(255.0 > level)
    above = _flag(level > _LAST_BELOW_255)  # NaN is neither below nor above, and so becomes 0
    return tf.cast(tf.math.multiply_no_nan(level, below) + above * 255.0, tf.uint8)


@dataclass
class Extraction:
    """One frame's output: maps (height, width, k) and, per map, its raw range and how to scale it to 0..255.

    A pixel's gray level is `(value - offset) * scale + 0.5` clipped to 0..255 (uint8 maps from the graph
    come with offset 0 and scale 1); scale 0 means a blank channel.
    """

    maps_hwk: np.ndarray
    low: np.ndarray
    high: np.ndarray
    columns: np.ndarray  # for each requested channel, its position along the last axis of maps_hwk
    offset: np.ndarray
    scale: np.ndarray


class Extractor:
    """Feature maps of one layer for one RGB frame; traces its graph once and reuses it for every frame."""

    def __init__(self, loaded, layer_name: str, shown: int, in_graph: bool = True):
        import tensorflow as tf

        self.layer = loaded.layer(layer_name)
        self.input_hw = loaded.input_hw
        self.shown = max(1, min(shown, self.layer.channels))
        self.in_graph = in_graph
        self.trace_count = 0
        self.submodel = loaded.cut(layer_name)
        preprocess = self._preprocess = loaded.preprocess
        # On the host path the input's scaling is done by OpenCV where it can be: the graph then takes float32.
        self.host_scaling = None if in_graph else loaded.host_scaling
        scaled_on_host = self.host_scaling is not None
        height, width = self.input_hw
        k = self.shown

        def select(image, channels, gather):
            """`image`: the uint8 RGB frame, or the model's input when OpenCV has already scaled it."""
            self.trace_count += 1
            x = image[None] if scaled_on_host else preprocess(tf.cast(image[None], tf.float32))
            acts = self.submodel(x, training=False)[0]
            if acts.dtype != tf.float32:  # a mixed-precision model's float16 or bfloat16 maps
                acts = tf.cast(acts, tf.float32)
            if k == self.layer.channels:
                return acts  # every channel is shown: nothing to select
            # A contiguous block is a cheap slice; only an arbitrary set of channels needs the slower gather.
            return tf.cond(gather, lambda: tf.gather(acts, channels, axis=-1),
                           lambda: tf.slice(acts, tf.stack([0, 0, channels[0]]), [-1, -1, k]))

        def step(rgb, channels, gather, mode, steady_low, steady_high):
            selected = select(rgb, channels, gather)
            low = tf.reduce_min(selected, axis=(0, 1))
            high = tf.reduce_max(selected, axis=(0, 1))
            finite = _flag(tf.math.is_finite(low)) * _flag(tf.math.is_finite(high))

            def per_channel():
                return low, high

            def per_layer():
                big = tf.float32.max  # stands in for the range of a channel that is not finite
                lo = tf.reduce_min(_pick(low, finite, big))
                hi = tf.reduce_max(_pick(high, finite, -big))
                return tf.fill([k], lo), tf.fill([k], hi)

            def steady():
                return steady_low, steady_high

            def percentile():
                stride = max(1, int(np.sqrt(int(selected.shape[0]) * int(selected.shape[1]) / PERCENTILE_SAMPLES)))
                sample = tf.reshape(tf.transpose(selected[::stride, ::stride, :], (2, 0, 1)), (k, -1))
                ordered = tf.sort(sample, axis=-1)
                count = tf.shape(ordered)[1]
                top = count - 1
                lo_at = tf.cast(tf.round(tf.cast(top, tf.float32) * 0.01), tf.int32)
                hi_at = tf.cast(tf.round(tf.cast(top, tf.float32) * 0.99), tf.int32)
                return ordered[:, lo_at], ordered[:, hi_at]

            lo, hi = tf.switch_case(mode, [per_channel, per_layer, steady, percentile])
            return to_gray_levels(selected, lo, hi, finite), low, high

        signature = [
            tf.TensorSpec([height, width, 3], tf.uint8),
            tf.TensorSpec([k], tf.int32),
            tf.TensorSpec([], tf.bool),
            tf.TensorSpec([], tf.int32),
            tf.TensorSpec([k], tf.float32),
            tf.TensorSpec([k], tf.float32),
        ]
        # Traced here, once; the concrete function is then called directly, which skips the matching of
        # arguments to traces that a tf.function does on every call (about 0.15 ms a frame, measured).
        # No autograph: the graph's branches are explicit (tf.cond, tf.switch_case), and skipping the
        # source rewrite saves about 0.1 s at start-up.
        if in_graph:
            self._step = tf.function(step, input_signature=signature, autograph=False).get_concrete_function()
        else:
            if scaled_on_host:
                signature[0] = tf.TensorSpec([height, width, self.host_scaling.channels], tf.float32)
            self._select = tf.function(select, input_signature=signature[:3], autograph=False).get_concrete_function()
        traced = self._step.structured_outputs[0] if in_graph else self._select.structured_outputs
        self.map_hw = tuple(traced.shape[:2])  # (height, width) of the maps, known also for a model of open size
        self._constants: dict = {}  # (block, gather) as tensors, made once per page instead of every frame
        self._no_range = np.zeros(k, np.float32)
        self._unit_scale = (np.zeros(k, np.float32), np.ones(k, np.float32))

    def mode_for(self, mode: str) -> str:
        """The normalization that shows something: maps of 1x1 have one value a channel, which a range of its own
        (channel, percentile, steady) would blank, so they are scaled together, as `layer` does."""
        return "layer" if self.map_hw == (1, 1) else mode

    def __call__(self, rgb: np.ndarray, channels: np.ndarray, mode: str = "channel",
                 steady_low: np.ndarray | None = None, steady_high: np.ndarray | None = None) -> Extraction:
        """Maps of up to k `channels` for one RGB frame of the model's input size.

        `steady_low` / `steady_high` give the ranges for the `steady` mode, one per graph column.
        """
        block, columns, gather = self.plan(channels)
        if steady_low is None or steady_high is None:
            steady_low = steady_high = self._no_range
        if not self.in_graph:
            return self._on_host(rgb, block, columns, gather, mode, steady_low, steady_high)
        maps, low, high = self._step(rgb, *self._as_tensors(block, gather), np.int32(NORMALIZE_MODES.index(mode)),
                                     np.asarray(steady_low, np.float32), np.asarray(steady_high, np.float32))
        # np.asarray takes the tensor's own host buffer; .numpy() would copy it once more.
        return Extraction(np.asarray(maps), np.asarray(low), np.asarray(high), columns, *self._unit_scale)

    def _on_host(self, rgb, block, columns, gather, mode, steady_low, steady_high) -> Extraction:
        from live import normalize

        x = rgb if self.host_scaling is None else self.host_scaling.apply(rgb)
        maps = np.asarray(self._select(x, *self._as_tensors(block, gather)))  # a view of the graph's output
        low, high = normalize.channel_ranges(maps)
        if mode == "steady":
            range_low, range_high = np.asarray(steady_low, np.float32), np.asarray(steady_high, np.float32)
        elif mode == "percentile":
            range_low, range_high = normalize.percentile_ranges(maps)
        else:
            range_low, range_high = low, high
        offset, scale = normalize.offsets_and_scales(range_low, range_high, mode, low, high)
        return Extraction(maps, low, high, columns, offset, scale)

    def _as_tensors(self, block: np.ndarray, gather: bool):
        import tensorflow as tf

        key = (block.tobytes(), gather)
        if key not in self._constants:
            if len(self._constants) >= 64:
                self._constants.clear()
            self._constants[key] = (tf.constant(block), tf.constant(gather))
        return self._constants[key]

    def plan(self, channels) -> tuple[np.ndarray, np.ndarray, bool]:
        """The k channels the graph computes for a request, where each requested one lands, and whether to gather.

        Requests that fit in one block of k consecutive channels (every page in index order, and any
        order of a layer with no more than k channels) use a slice; others gather.
        """
        channels = np.asarray(channels, np.int32)
        k, total = self.shown, self.layer.channels
        if not 1 <= len(channels) <= k or channels.min() < 0 or channels.max() >= total:
            raise ValueError(f"channels must be 1..{k} indices in 0..{total - 1}, got {channels.tolist()}")
        start = min(int(channels.min()), total - k)
        if channels.max() < start + k:
            return np.arange(start, start + k, dtype=np.int32), channels - start, False
        block = np.zeros(k, np.int32)
        block[:len(channels)] = channels
        return block, np.arange(len(channels), dtype=np.int32), True

    def activations(self, rgb: np.ndarray) -> np.ndarray:
        """The layer's raw float32 activations (height, width, channels) for one RGB frame, for snapshots."""
        import tensorflow as tf

        x = self._preprocess(tf.cast(rgb[None], tf.float32))
        return np.asarray(self.submodel(x, training=False)[0], np.float32)
