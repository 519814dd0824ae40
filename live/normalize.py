"""Channel ranges on the host: min-max and percentiles → an offset and a scale per channel.

On a CPU it is cheaper to read the float activations once here (numba, one pass) and let the tiler
scale the few pixels it shows than to normalize every pixel in the graph. Both ways give the same
bytes: `(value - offset) * scale + 0.5`, clipped to 0..255; a scale of 0 marks a blank channel.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types

PERCENTILE_SAMPLES = 4096  # pixels per channel used to estimate the 1st and 99th percentiles
TENSOR_MAPS = types.Array(types.float32, 3, "C", readonly=True)  # maps as numba sees a tensor's host buffer


@njit(cache=True, nogil=True)
def channel_ranges(maps_hwk):
    """Per-channel min and max of float maps (height, width, k); NaN where a channel holds NaN or Inf.

    Four pixels at a time: their min and max are taken in registers before the running ones are updated,
    which halves the time of a pixel-by-pixel pass (measured). `x * 0` is 0 for finite x and NaN for NaN
    and Inf, so one sum per channel tells whether all of its values were finite.
    """
    height, width, count = maps_hwk.shape
    flat = maps_hwk.reshape(height * width, count)
    pixels = flat.shape[0]
    low = np.full(count, np.inf, np.float32)
    high = np.full(count, -np.inf, np.float32)
    finite = np.zeros(count, np.float32)
    zero = np.float32(0)
    for p in range(0, pixels, 4):
        a, b = flat[p], flat[min(p + 1, pixels - 1)]  # past the end: the last pixel again
        c, d = flat[min(p + 2, pixels - 1)], flat[min(p + 3, pixels - 1)]
        for k in range(count):
            low[k] = min(low[k], min(min(a[k], b[k]), min(c[k], d[k])))
            high[k] = max(high[k], max(max(a[k], b[k]), max(c[k], d[k])))
            finite[k] += (a[k] * zero + b[k] * zero) + (c[k] * zero + d[k] * zero)
    for k in range(count):
        if finite[k] != zero:
            low[k] = np.nan
            high[k] = np.nan
    return low, high


def compile_ranges() -> None:
    """Compile `channel_ranges` for the maps it is given, or load it from numba's cache: a few seconds on a
    machine's first start, which are then said as numba's and not put down to the first layer built."""
    channel_ranges.compile((TENSOR_MAPS,))


def percentile_ranges(maps_hwk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 1st and 99th percentile of each channel, from an even grid of about PERCENTILE_SAMPLES pixels."""
    height, width, count = maps_hwk.shape
    stride = max(1, int(np.sqrt(height * width / PERCENTILE_SAMPLES)))
    sample = maps_hwk[::stride, ::stride, :].reshape(-1, count)
    with np.errstate(invalid="ignore"):
        low, high = np.percentile(sample, [1, 99], axis=0, method="nearest")
    return low.astype(np.float32), high.astype(np.float32)


def offsets_and_scales(low: np.ndarray, high: np.ndarray, mode: str, channel_low: np.ndarray,
                       channel_high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Offset and scale per channel for a mode's range (low, high); blank (scale 0) where it is unusable.

    `channel_low` / `channel_high` are the plain min-max: a channel with NaN or Inf there stays blank.
    """
    if mode == "layer":
        finite = np.isfinite(channel_low) & np.isfinite(channel_high)
        if finite.any():
            low = np.full_like(low, channel_low[finite].min())
            high = np.full_like(high, channel_high[finite].max())
    valid = np.isfinite(channel_low) & np.isfinite(channel_high) & np.isfinite(low) & np.isfinite(high) & (high > low)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(valid, np.float32(255.0) / np.where(valid, high - low, 1), 0).astype(np.float32)
    offset = np.where(valid, low, 0).astype(np.float32)
    return offset, scale
