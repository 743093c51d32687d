"""The package version, at the bottom of the layout so that every stage can name it."""

__version__ = "0.1.0"
