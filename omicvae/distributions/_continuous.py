"""Real-valued likelihoods with a learned per-feature scale: normal and Laplace."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Distribution, Independent, Laplace, Normal

from ._base import Likelihood
from ._registry import register_likelihood

_SOFTPLUS_ONE = math.log(math.e - 1.0)  # softplus(_SOFTPLUS_ONE) == 1


class _LearnedScaleContinuous(Likelihood):
    """Location from the decoder, per-feature scale learned (softplus, init 1).

    Any finite value is accepted. The decoder works in units of the training data: after
    :meth:`fit_data_scale` with a feature's mean ``m`` and standard deviation ``s``, the location is
    ``m + s * loc`` and the scale ``s * softplus(raw_scale)``, so a feature measured in thousands
    and one measured in thousandths start equally well fitted and weigh alike in the gradient
    (before the fit, ``m = 0`` and ``s = 1``: the decoder output is the location itself).
    """

    _family: type[Distribution]
    min_scale = 1e-3

    def __init__(self, n_features: int):
        super().__init__(n_features)
        self.raw_scale = nn.Parameter(torch.full((n_features,), _SOFTPLUS_ONE))
        self.register_buffer("data_loc", torch.zeros(n_features))
        self.register_buffer("data_scale", torch.ones(n_features))

    @property
    def heads(self) -> dict[str, int]:
        return {"loc": self.n_features}

    @property
    def scale(self) -> torch.Tensor:
        """Per-feature scale in data units."""
        return self.data_scale * (F.softplus(self.raw_scale) + self.min_scale)

    @torch.no_grad()
    def fit_data_scale(self, loc: torch.Tensor, scale: torch.Tensor) -> None:
        self.data_loc.copy_(loc)
        self.data_scale.copy_(scale)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # models saved before the data scale existed decoded in data units: identity statistics
        for name, identity in (("data_loc", 0.0), ("data_scale", 1.0)):
            state_dict.setdefault(prefix + name, torch.full((self.n_features,), identity))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def distribution(self, out, library=None):
        loc = self.mean(out)
        return Independent(self._family(loc, self.scale.expand_as(loc), validate_args=False), 1)

    def mean(self, out, library=None):
        return self.data_loc + self.data_scale * out["loc"]


@register_likelihood
class NormalLikelihood(_LearnedScaleContinuous):
    """Gaussian with learned per-feature standard deviation; inferred for any other real values."""

    name = "normal"
    _family = Normal
    infer_priority = 0

    @classmethod
    def infer_reason(cls, summary, image_shape):
        return "real-valued data"


@register_likelihood
class LaplaceLikelihood(_LearnedScaleContinuous):
    """Laplace with learned per-feature scale."""

    name = "laplace"
    _family = Laplace
