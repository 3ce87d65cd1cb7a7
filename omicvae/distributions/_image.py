"""The paper's image likelihood, with convolutional networks: pixels in [0, 1]."""

from __future__ import annotations

from typing import ClassVar

import torch
from torch.distributions import Bernoulli, Independent, Laplace

from ._base import Likelihood
from ._checks import show_shape
from ._registry import register_likelihood


@register_likelihood
class ImageLikelihood(Likelihood):
    """Laplace with a fixed scale around a sigmoid mean (or Bernoulli on the same logits).

    Uses convolutional networks, so the modality needs ``uns['image_shape'] = (C, H, W)``; the
    likelihood is inferred whenever that key is present.

    Parameters
    ----------
    n_features
        ``C * H * W``.
    scale
        Fixed Laplace scale (0.75 in the published PolyMNIST runs).
    family
        ``"laplace"`` (default) or ``"bernoulli"`` (pixels as probabilities).
    """

    name = "image"
    network = "conv"
    infer_priority = 300
    families: ClassVar[tuple[str, ...]] = ("laplace", "bernoulli")
    """The accepted ``family`` values."""

    def __init__(self, n_features: int, scale: float = 0.75, family: str = "laplace"):
        super().__init__(n_features)
        if family not in self.families:
            raise ValueError(
                f"image likelihood family must be 'laplace' or 'bernoulli', got {family!r}"
            )
        if not scale > 0:
            raise ValueError(f"image likelihood scale must be > 0, got {scale!r}")
        self.family = family
        self.fixed_scale = float(scale)

    @classmethod
    def from_options(cls, n_features, *, image_scale=0.75, image_family="laplace", **options):
        return cls(n_features, scale=image_scale, family=image_family)

    @classmethod
    def check_values(cls, summary, *, modality, location, n_categories=None):
        if summary.n_outside_unit:
            raise ValueError(
                f"{cls._message_prefix(modality)} needs pixel values in [0, 1], found "
                f"{summary.n_outside_unit} values outside in {location} "
                f"(min {summary.min:g}, max {summary.max:g})"
            )

    @classmethod
    def infer_reason(cls, summary, image_shape):
        if image_shape is None:
            return None
        return f"uns['image_shape'] = {show_shape(image_shape)}"

    @property
    def heads(self) -> dict[str, int]:
        return {"logits": self.n_features}

    def distribution(self, out, library=None):
        logits = out["logits"]
        if self.family == "bernoulli":
            # intensities in [0, 1] act as soft targets: the log-probability is minus the binary
            # cross-entropy
            return Independent(Bernoulli(logits=logits, validate_args=False), 1)
        loc = torch.sigmoid(logits)
        return Independent(
            Laplace(loc, torch.full_like(loc, self.fixed_scale), validate_args=False), 1
        )
