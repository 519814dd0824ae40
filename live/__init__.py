"""Live CNN feature-map visualizer: frame → tensor → channels → mosaic → window."""

__version__ = "0.1.0"
