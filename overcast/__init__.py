"""Overcast: a local AWS cloud in one process on one port."""

__version__ = "0.1.0"
