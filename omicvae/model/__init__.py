"""User-facing models."""

from ._idmvae import IDMVAE
from ._mmvaeplus import MMVAEPlus

__all__ = ["IDMVAE", "MMVAEPlus"]
