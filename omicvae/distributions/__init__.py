"""Per-modality observation models (likelihoods)."""

from ._likelihoods import (
    BernoulliLikelihood,
    CategoricalLikelihood,
    ImageLikelihood,
    LaplaceLikelihood,
    Likelihood,
    NegativeBinomialLikelihood,
    NormalLikelihood,
    ZINBLikelihood,
    make_likelihood,
)

__all__ = [
    "BernoulliLikelihood",
    "CategoricalLikelihood",
    "ImageLikelihood",
    "LaplaceLikelihood",
    "Likelihood",
    "NegativeBinomialLikelihood",
    "NormalLikelihood",
    "ZINBLikelihood",
    "make_likelihood",
]
