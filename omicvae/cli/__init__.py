"""The ``omicvae`` command line: ``omicvae demo`` (TCGA-ACC) and ``omicvae fit`` (your own data)."""

from ._main import build_parser, main

__all__ = ["build_parser", "main"]
