"""Analysis tools (``ov.tl``): disentanglement probes, a label-free redundancy check, label
prediction, clustering, survival and generation coherence. Each reads embeddings from
``mdata.obsm`` in scanpy style ``f(mdata, *, ...)``: by default those a model recorded in
``mdata.uns["idmvae"]`` (the last written; ``key_prefix=`` chooses another model's, explicit keys
still win). Seeds are ``random_state=`` (``seed=`` still works, with a ``FutureWarning``); what a
function writes into ``mdata`` goes to ``key_added``."""

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
