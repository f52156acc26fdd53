"""Handoff: shared sales and marketing numbers, measured against the agreement both teams signed."""

__version__ = "0.1.0"
