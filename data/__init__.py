"""Data files shipped with omicvae (mapped onto the package omicvae.datasets._data)."""
