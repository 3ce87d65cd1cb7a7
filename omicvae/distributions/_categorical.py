"""Categorical likelihood for token sequences: one independent categorical per position."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.distributions import Categorical, Independent

from ._base import Likelihood
from ._checks import require_non_negative_integers
from ._registry import register_likelihood


@register_likelihood
class CategoricalLikelihood(Likelihood):
    """Independent categorical per position for token sequences.

    The data are token ids ``(n, length)``; the encoder sees them one-hot, ``(n, length * n_categories)``,
    and GenAug re-encodes the decoder's probabilities in the same space.
    """

    name = "categorical"
    needs_n_categories = True

    def __init__(self, n_features: int, n_categories: int):
        super().__init__(n_features)
        if n_categories < 2:
            raise ValueError(f"categorical likelihood needs n_categories >= 2, got {n_categories}")
        self.n_categories = int(n_categories)

    @classmethod
    def from_options(cls, n_features, *, n_categories=None, **options):
        if n_categories is None:
            raise ValueError(f"likelihood {cls.name!r} needs n_categories")
        return cls(n_features, n_categories)

    @classmethod
    def check_values(cls, summary, *, modality, location, n_categories=None):
        prefix = cls._message_prefix(modality)
        require_non_negative_integers(
            summary, f"{prefix} needs non-negative integer token ids", location
        )
        if n_categories is not None and summary.max >= n_categories:
            raise ValueError(
                f"{prefix} expects token ids in 0..{n_categories - 1}, found token "
                f"{int(summary.max)} in {location}"
            )

    @property
    def heads(self) -> dict[str, int]:
        return {"logits": self.n_features * self.n_categories}

    @property
    def encoder_dim(self) -> int:
        return self.n_features * self.n_categories

    def encoder_input(self, x: torch.Tensor) -> torch.Tensor:
        return F.one_hot(x.long(), self.n_categories).to(torch.get_default_dtype()).flatten(1)

    def _logits(self, out):
        return out["logits"].view(-1, self.n_features, self.n_categories)

    def distribution(self, out, library=None):
        return Independent(Categorical(logits=self._logits(out), validate_args=False), 1)

    def log_prob(self, x, out, library=None):
        return self.distribution(out, library).log_prob(x.long())

    def mean(self, out, library=None):
        """Per-position class probabilities, ``(n, length, n_categories)``."""
        return torch.softmax(self._logits(out), dim=-1)

    def sample(self, params, library=None, generator=None):
        """Token ids ``(n, length)`` as floats of the logits' dtype, like the data tensors."""
        tokens = super().sample(params, library, generator)
        return tokens.to(params["logits"].dtype)

    def mean_encoder_input(self, out, library=None):
        return self.mean(out, library).flatten(1)
