"""Data registry, validation and tensors behind ``IDMVAE.setup_mudata``.

:func:`setup_registry` validates a MuData (never modifying it) and records each modality's layer,
likelihood and features in a :class:`DataRegistry`; :func:`build_tensors` re-validates a MuData
against a registry and converts it into :class:`MultiModalTensors`, aligned on ``mdata.obs_names``;
:class:`MultiModalDataset` serves batches of those tensors to a DataLoader (``collate_batch``).
"""

from ._dataset import MultiModalDataset, collate_batch
from ._registry import DataRegistry, ModalitySpec, setup_registry
from ._tensors import MultiModalTensors, build_tensors, csr_rows_to_dense

__all__ = [
    "DataRegistry",
    "ModalitySpec",
    "MultiModalDataset",
    "MultiModalTensors",
    "build_tensors",
    "collate_batch",
    "csr_rows_to_dense",
    "setup_registry",
]
