"""Per-modality observation models (likelihoods) and the registry that names them.

Importing this package registers the built-in likelihoods, in this order: ``nb``, ``zinb``,
``normal``, ``laplace``, ``bernoulli``, ``image``, ``categorical``.
"""

from ._base import Likelihood
from ._registry import (
    NETWORKS,
    infer_likelihood,
    likelihood_class,
    likelihood_names,
    make_likelihood,
    register_likelihood,
    registered_likelihoods,
    unregister_likelihood,
)

# registration order is import order: keep it as the documented order above
from ._counts import NegativeBinomialLikelihood, ZINBLikelihood  # isort: skip
from ._continuous import LaplaceLikelihood, NormalLikelihood  # isort: skip
from ._binary import BernoulliLikelihood  # isort: skip
from ._image import ImageLikelihood  # isort: skip
from ._categorical import CategoricalLikelihood  # isort: skip

__all__ = [
    "NETWORKS",
    "BernoulliLikelihood",
    "CategoricalLikelihood",
    "ImageLikelihood",
    "LaplaceLikelihood",
    "Likelihood",
    "NegativeBinomialLikelihood",
    "NormalLikelihood",
    "ZINBLikelihood",
    "infer_likelihood",
    "likelihood_class",
    "likelihood_names",
    "make_likelihood",
    "register_likelihood",
    "registered_likelihoods",
    "unregister_likelihood",
]
