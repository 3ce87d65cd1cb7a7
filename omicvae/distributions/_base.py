"""The :class:`Likelihood` base class: what every observation model p(x_m | z, w_m) provides."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import torch
from torch import nn
from torch.distributions import Distribution

from ._rng import rng_from

if TYPE_CHECKING:
    from omicvae.data._validate import ValueSummary


class Likelihood(nn.Module):
    """Base class of an observation model for one modality.

    Parameters
    ----------
    n_features
        Number of features (columns of the modality).

    Attributes
    ----------
    name
        Registry name (``""`` for an abstract class, which is not registered).
    needs_library
        True when the decoder mean is scaled by the sample's library size (row total).
    needs_n_categories
        True when the likelihood needs a vocabulary size (``uns['n_categories']`` or inferred).
    network
        Encoder/decoder kind: ``"mlp"``, or ``"conv"`` (needs ``uns['image_shape']``).
    infer_priority
        Order of this likelihood's inference rule (highest tried first); None when it is never
        inferred from data and must be asked for by name.

    Notes
    -----
    Subclasses define :attr:`heads` (decoder output name -> width) and :meth:`distribution`, then
    register with :func:`~omicvae.distributions.register_likelihood`. The decoder output
    (``params`` / ``out`` below) is a dict with one tensor per head, shaped ``(n, width)``.
    """

    name: ClassVar[str] = ""
    needs_library: ClassVar[bool] = False
    needs_n_categories: ClassVar[bool] = False
    network: ClassVar[str] = "mlp"
    infer_priority: ClassVar[int | None] = None

    def __init__(self, n_features: int):
        super().__init__()
        self.n_features = int(n_features)

    # ------------------------------------------------------------------ class-level declarations
    @classmethod
    def from_options(cls, n_features: int, **options) -> Likelihood:
        """Build an instance from :func:`~omicvae.distributions.make_likelihood`'s options.

        The base class takes ``n_features`` only and ignores the other options.
        """
        return cls(n_features)

    @classmethod
    def check_values(
        cls,
        summary: ValueSummary,
        *,
        modality: str,
        location: str,
        n_categories: int | None = None,
    ) -> None:
        """Raise a ValueError when a modality's finite values do not suit this likelihood.

        Parameters
        ----------
        summary
            The modality's value summary (NaN and infinite values are checked before).
        modality
            Modality name, for the message.
        location
            Where the values live, for the message (``".X"`` or ``"layer 'counts'"``).
        n_categories
            Vocabulary size, for likelihoods that need one.
        """

    @classmethod
    def infer_reason(cls, summary: ValueSummary, image_shape) -> str | None:
        """Why this likelihood fits values described by ``summary``, or None when it does not.

        Only consulted when :attr:`infer_priority` is not None.
        """
        return None

    @classmethod
    def _message_prefix(cls, modality: str) -> str:
        return f"modality {modality!r}: likelihood {cls.name!r}"

    # ------------------------------------------------------------------ per-instance model
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

    def fit_data_scale(self, loc: torch.Tensor, scale: torch.Tensor) -> None:
        """Receive the training data's per-feature mean and standard deviation.

        Called once before training when inputs are standardised, with the statistics of
        :meth:`encoder_input` of the training samples (features that are almost constant have
        scale 1). The default ignores them; real-valued likelihoods decode in these units.

        Parameters
        ----------
        loc, scale
            ``(n_features,)`` tensors.
        """

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

    def sample(
        self,
        params: dict[str, torch.Tensor],
        library: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Draw one observation per row from :meth:`distribution`, shaped like the data.

        Parameters
        ----------
        params
            Decoder output, one ``(n, width)`` tensor per head.
        library
            ``(n, 1)`` library sizes, for likelihoods that need them.
        generator
            Makes the draw reproducible; the global RNG is left as it was (see ``rng_from``).
            None draws from the global RNG.

        Returns
        -------
        torch.Tensor
            ``(n, n_features)``, no gradient.
        """
        dist = self.distribution(params, library)
        device = next(iter(params.values())).device
        with torch.no_grad(), rng_from(generator, device):
            return dist.sample()

    def mean_encoder_input(
        self, out: dict[str, torch.Tensor], library: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Encoder input of the decoder mean (what GenAug re-encodes)."""
        return self.encoder_input(self.mean(out, library))
