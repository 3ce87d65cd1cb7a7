"""Registries made by ``setup_mudata``, recorded in the MuData's ``uns`` (see :mod:`omicvae.data`)."""

from __future__ import annotations

from ..data import DataRegistry, read_setup, write_setup


def remember(mdata, registry: DataRegistry) -> None:
    """Record ``registry`` in ``mdata.uns["omicvae_setup"]`` (``omicvae.data.SETUP_UNS_KEY``)."""
    write_setup(mdata, registry)


def recall(mdata, model_name: str) -> DataRegistry:
    """The registry recorded in ``mdata``; a clear error when ``setup_mudata`` was not called on it."""
    return read_setup(mdata, model_name)
