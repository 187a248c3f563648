"""Importable only because the working directory is on sys.path (``python -m pytest``)."""

VALUE = 42
