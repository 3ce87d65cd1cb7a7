"""Analysis tools (``ov.tl``): disentanglement probes, a label-free redundancy check, label
prediction, clustering, survival and generation coherence. Each reads embeddings from
``mdata.obsm`` in scanpy style ``f(mdata, *, ...)``."""

from ._cluster import cluster
from ._coherence import CoherenceResult, ImageCNNClassifier, coherence
from ._disentanglement import disentanglement
from ._prediction import PredictionResult, predict_labels
from ._redundancy import redundancy
from ._survival import CoxResult, SurvivalResult, survival, survival_cox

__all__ = [
    "CoherenceResult",
    "CoxResult",
    "ImageCNNClassifier",
    "PredictionResult",
    "SurvivalResult",
    "cluster",
    "coherence",
    "disentanglement",
    "predict_labels",
    "redundancy",
    "survival",
    "survival_cox",
]
