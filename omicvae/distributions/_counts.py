"""Count likelihoods: negative binomial and zero-inflated negative binomial.

Both scale a softmax over features by the sample's library size and learn a per-feature inverse
dispersion ``theta``; the NB is torch's, the ZINB pyro's.
"""

from __future__ import annotations

import pyro.distributions as pdist
import torch
from torch import nn
from torch.distributions import Independent, NegativeBinomial

from ._base import Likelihood
from ._checks import require_non_negative_integers
from ._registry import register_likelihood

_EPS = 1e-8


class _LearnedDispersionCounts(Likelihood):
    """Shared parts of the count likelihoods: softmax expression scaled by library size."""

    needs_library = True

    def __init__(self, n_features: int):
        super().__init__(n_features)
        # log inverse dispersion per feature; theta = 1 at init
        self.log_theta = nn.Parameter(torch.zeros(n_features))

    @classmethod
    def check_values(cls, summary, *, modality, location, n_categories=None):
        what = f"{cls._message_prefix(modality)} needs non-negative integer counts"
        require_non_negative_integers(summary, what, location)

    def encoder_input(self, x: torch.Tensor) -> torch.Tensor:
        return torch.log1p(x)

    def mean(self, out, library=None):
        return library * torch.softmax(out["scale_logits"], dim=-1)

    def _nb_logits(self, mu: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        theta = self.log_theta.exp()
        # torch's NB has mean total_count * exp(logits), so logits = log(mu / theta)
        return theta, torch.log(mu + _EPS) - self.log_theta


@register_likelihood
class NegativeBinomialLikelihood(_LearnedDispersionCounts):
    """Negative binomial with mean ``library * softmax(h)`` and per-feature inverse dispersion.

    Inferred for non-negative integer values that are not all 0/1.
    """

    name = "nb"
    infer_priority = 100

    @classmethod
    def infer_reason(cls, summary, image_shape):
        if summary.n_negative or summary.n_non_integer:
            return None
        return "non-negative integer counts"

    @property
    def heads(self) -> dict[str, int]:
        return {"scale_logits": self.n_features}

    def distribution(self, out, library):
        theta, logits = self._nb_logits(self.mean(out, library))
        return Independent(NegativeBinomial(theta, logits=logits, validate_args=False), 1)


@register_likelihood
class ZINBLikelihood(_LearnedDispersionCounts):
    """Zero-inflated negative binomial: NB as :class:`NegativeBinomialLikelihood` plus a gate."""

    name = "zinb"

    @property
    def heads(self) -> dict[str, int]:
        return {"scale_logits": self.n_features, "gate_logits": self.n_features}

    def distribution(self, out, library):
        theta, logits = self._nb_logits(super().mean(out, library))
        base = pdist.ZeroInflatedNegativeBinomial(
            theta, logits=logits, gate_logits=out["gate_logits"], validate_args=False
        )
        return Independent(base, 1)

    def mean(self, out, library=None):
        return torch.sigmoid(-out["gate_logits"]) * super().mean(out, library)
