"""Observation models p(x_m | z, w_m), one per modality.

A likelihood owns the per-feature parameters it learns (dispersion, scale), tells the decoder which
output heads it needs, scores observed data and gives the decoder mean. Densities come from torch and
pyro; nothing here hand-writes a log-probability.
"""

from __future__ import annotations

import math

import pyro.distributions as pdist
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import (
    Bernoulli,
    Categorical,
    Distribution,
    Independent,
    Laplace,
    NegativeBinomial,
    Normal,
)

_SOFTPLUS_ONE = math.log(math.e - 1.0)  # softplus(_SOFTPLUS_ONE) == 1
_EPS = 1e-8


class Likelihood(nn.Module):
    """Base class of an observation model for one modality.

    Parameters
    ----------
    n_features
        Number of features (columns of the modality).

    Notes
    -----
    Subclasses define :attr:`heads` (decoder output name -> width) and :meth:`distribution`. The
    decoder output is a dict with one tensor per head, shaped ``(n, width)``.
    """

    name: str = ""
    needs_library: bool = False

    def __init__(self, n_features: int):
        super().__init__()
        self.n_features = int(n_features)

    @property
    def heads(self) -> dict[str, int]:
        """Decoder output heads, name -> width."""
        raise NotImplementedError

    @property
    def encoder_dim(self) -> int:
        """Width of :meth:`encoder_input`."""
        return self.n_features

    def encoder_input(self, x: torch.Tensor) -> torch.Tensor:
        """Transform observed data into the encoder's input space."""
        return x

    def distribution(
        self, out: dict[str, torch.Tensor], library: torch.Tensor | None
    ) -> Distribution:
        """Return p(x | decoder output) with the features as one event dimension."""
        raise NotImplementedError

    def log_prob(
        self, x: torch.Tensor, out: dict[str, torch.Tensor], library: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Log-likelihood of ``x`` summed over features, shape ``(n,)``."""
        return self.distribution(out, library).log_prob(x)

    def mean(
        self, out: dict[str, torch.Tensor], library: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Decoder mean in data space, shaped like the data."""
        return self.distribution(out, library).mean

    def mean_encoder_input(
        self, out: dict[str, torch.Tensor], library: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Encoder input of the decoder mean (what GenAug re-encodes)."""
        return self.encoder_input(self.mean(out, library))


class _LearnedDispersionCounts(Likelihood):
    """Shared parts of the count likelihoods: softmax expression scaled by library size."""

    needs_library = True

    def __init__(self, n_features: int):
        super().__init__(n_features)
        # log inverse dispersion per feature; theta = 1 at init
        self.log_theta = nn.Parameter(torch.zeros(n_features))

    def encoder_input(self, x: torch.Tensor) -> torch.Tensor:
        return torch.log1p(x)

    def _nb_mean(self, out: dict[str, torch.Tensor], library: torch.Tensor) -> torch.Tensor:
        return library * torch.softmax(out["scale_logits"], dim=-1)

    def _nb_logits(self, mu: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        theta = self.log_theta.exp()
        # torch's NB has mean total_count * exp(logits), so logits = log(mu / theta)
        return theta, torch.log(mu + _EPS) - self.log_theta


class NegativeBinomialLikelihood(_LearnedDispersionCounts):
    """Negative binomial with mean ``library * softmax(h)`` and per-feature inverse dispersion."""

    name = "nb"

    @property
    def heads(self) -> dict[str, int]:
        return {"scale_logits": self.n_features}

    def distribution(self, out, library):
        theta, logits = self._nb_logits(self._nb_mean(out, library))
        return Independent(NegativeBinomial(theta, logits=logits, validate_args=False), 1)

    def mean(self, out, library=None):
        return self._nb_mean(out, library)


class ZINBLikelihood(_LearnedDispersionCounts):
    """Zero-inflated negative binomial: NB as :class:`NegativeBinomialLikelihood` plus a gate."""

    name = "zinb"

    @property
    def heads(self) -> dict[str, int]:
        return {"scale_logits": self.n_features, "gate_logits": self.n_features}

    def distribution(self, out, library):
        theta, logits = self._nb_logits(self._nb_mean(out, library))
        base = pdist.ZeroInflatedNegativeBinomial(
            theta, logits=logits, gate_logits=out["gate_logits"], validate_args=False
        )
        return Independent(base, 1)

    def mean(self, out, library=None):
        return torch.sigmoid(-out["gate_logits"]) * self._nb_mean(out, library)


class _LearnedScaleContinuous(Likelihood):
    """Location from the decoder, per-feature scale learned (softplus, init 1)."""

    _family: type[Distribution]
    min_scale = 1e-3

    def __init__(self, n_features: int):
        super().__init__(n_features)
        self.raw_scale = nn.Parameter(torch.full((n_features,), _SOFTPLUS_ONE))

    @property
    def heads(self) -> dict[str, int]:
        return {"loc": self.n_features}

    @property
    def scale(self) -> torch.Tensor:
        return F.softplus(self.raw_scale) + self.min_scale

    def distribution(self, out, library=None):
        loc = out["loc"]
        return Independent(self._family(loc, self.scale.expand_as(loc), validate_args=False), 1)

    def mean(self, out, library=None):
        return out["loc"]


class NormalLikelihood(_LearnedScaleContinuous):
    """Gaussian with learned per-feature standard deviation."""

    name = "normal"
    _family = Normal


class LaplaceLikelihood(_LearnedScaleContinuous):
    """Laplace with learned per-feature scale."""

    name = "laplace"
    _family = Laplace


class BernoulliLikelihood(Likelihood):
    """Bernoulli on logits (binary features such as mutations)."""

    name = "bernoulli"

    @property
    def heads(self) -> dict[str, int]:
        return {"logits": self.n_features}

    def distribution(self, out, library=None):
        return Independent(Bernoulli(logits=out["logits"], validate_args=False), 1)

    def mean(self, out, library=None):
        return torch.sigmoid(out["logits"])


class ImageLikelihood(Likelihood):
    """The paper's image likelihood: Laplace with a fixed scale around a sigmoid mean.

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

    def __init__(self, n_features: int, scale: float = 0.75, family: str = "laplace"):
        super().__init__(n_features)
        if family not in ("laplace", "bernoulli"):
            raise ValueError(
                f"image likelihood family must be 'laplace' or 'bernoulli', got {family!r}"
            )
        if not scale > 0:
            raise ValueError(f"image likelihood scale must be > 0, got {scale!r}")
        self.family = family
        self.fixed_scale = float(scale)

    @property
    def heads(self) -> dict[str, int]:
        return {"logits": self.n_features}

    def distribution(self, out, library=None):
        logits = out["logits"]
        if self.family == "bernoulli":
            # intensities in [0, 1] act as soft targets: the log-probability is minus the binary cross-entropy
            return Independent(Bernoulli(logits=logits, validate_args=False), 1)
        loc = torch.sigmoid(logits)
        return Independent(
            Laplace(loc, torch.full_like(loc, self.fixed_scale), validate_args=False), 1
        )

    def mean(self, out, library=None):
        return torch.sigmoid(out["logits"])


class CategoricalLikelihood(Likelihood):
    """Independent categorical per position for token sequences.

    The data are token ids ``(n, length)``; the encoder sees them one-hot, ``(n, length * n_categories)``,
    and GenAug re-encodes the decoder's probabilities in the same space.
    """

    name = "categorical"

    def __init__(self, n_features: int, n_categories: int):
        super().__init__(n_features)
        if n_categories < 2:
            raise ValueError(f"categorical likelihood needs n_categories >= 2, got {n_categories}")
        self.n_categories = int(n_categories)

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

    def mean_encoder_input(self, out, library=None):
        return self.mean(out, library).flatten(1)


def make_likelihood(
    name: str,
    n_features: int,
    *,
    n_categories: int | None = None,
    image_scale: float = 0.75,
    image_family: str = "laplace",
) -> Likelihood:
    """Build the likelihood called ``name`` for a modality with ``n_features`` features."""
    simple = {
        "nb": NegativeBinomialLikelihood,
        "zinb": ZINBLikelihood,
        "normal": NormalLikelihood,
        "laplace": LaplaceLikelihood,
        "bernoulli": BernoulliLikelihood,
    }
    if name in simple:
        return simple[name](n_features)
    if name == "image":
        return ImageLikelihood(n_features, scale=image_scale, family=image_family)
    if name == "categorical":
        if n_categories is None:
            raise ValueError("likelihood 'categorical' needs n_categories")
        return CategoricalLikelihood(n_features, n_categories)
    raise ValueError(
        f"unknown likelihood {name!r}; expected one of nb, zinb, normal, laplace, bernoulli, image, categorical"
    )
