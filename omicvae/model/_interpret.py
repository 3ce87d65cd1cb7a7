"""The interpretation methods of IDMVAE, gathered in one mixin."""

from __future__ import annotations

from ._variance import VarianceExplainedMixin


class InterpretationMixin(VarianceExplainedMixin):
    """What z and w_m mean: variance explained, feature attribution and differential analysis."""
