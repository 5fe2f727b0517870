"""hailong: citizen satisfaction surveys for one-stop public administration units."""

__version__ = "0.1.0"
