"""Bernoulli likelihood for binary features (e.g. mutations)."""

from __future__ import annotations

from torch.distributions import Bernoulli, Independent

from ._base import Likelihood
from ._registry import register_likelihood


@register_likelihood
class BernoulliLikelihood(Likelihood):
    """Bernoulli on logits; needs values in {0, 1} and is inferred when all values are 0 or 1."""

    name = "bernoulli"
    infer_priority = 200

    @classmethod
    def check_values(cls, summary, *, modality, location, n_categories=None):
        if summary.n_non_binary:
            raise ValueError(
                f"{cls._message_prefix(modality)} needs values in {{0, 1}}, found "
                f"{summary.n_non_binary} other values in {location} "
                f"(e.g. {summary.example_non_binary:g})"
            )

    @classmethod
    def infer_reason(cls, summary, image_shape):
        return "all values are 0 or 1" if summary.n_non_binary == 0 else None

    @property
    def heads(self) -> dict[str, int]:
        return {"logits": self.n_features}

    def distribution(self, out, library=None):
        return Independent(Bernoulli(logits=out["logits"], validate_args=False), 1)
