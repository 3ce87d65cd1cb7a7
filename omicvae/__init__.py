"""omicvae: the information-disentangled multimodal VAE (IDMVAE) for multi-omics and images."""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("omicvae")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

from . import datasets, pl, tl  # noqa: E402
from ._logging import logger  # noqa: E402
from .model import IDMVAE, MMVAEPlus  # noqa: E402

__all__ = ["IDMVAE", "MMVAEPlus", "__version__", "datasets", "logger", "pl", "tl"]
