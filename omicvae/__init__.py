"""omicvae: the information-disentangled multimodal VAE (IDMVAE) for multi-omics and images."""

from importlib.metadata import PackageNotFoundError, version

from ._logging import logger

try:
    __version__ = version("omicvae")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["logger", "__version__"]
