"""Model loading: names and files → Keras models, their weights, preprocessing and feature layers."""

from models.layers import FeatureLayer, feature_layers
from models.loading import LoadedModel, load_model
from models.registry import list_models

__all__ = ["FeatureLayer", "LoadedModel", "feature_layers", "load_model", "list_models"]
