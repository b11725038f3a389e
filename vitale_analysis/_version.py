"""The package version, in one place (read by the report and the package root)."""

__version__ = "0.1.0"
