"""The interpretation methods of IDMVAE, gathered in one mixin."""

from __future__ import annotations

from ._attribution import FeatureAttributionMixin
from ._differential import DifferentialMixin
from ._variance import VarianceExplainedMixin


class InterpretationMixin(VarianceExplainedMixin, FeatureAttributionMixin, DifferentialMixin):
    """What z and w_m mean: variance explained, feature attribution and differential analysis."""
