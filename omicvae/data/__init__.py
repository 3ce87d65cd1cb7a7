"""Data registry, validation and tensors behind ``IDMVAE.setup_mudata``.

:func:`setup_registry` validates a MuData (never modifying it) and records each modality's layer,
likelihood and features in a :class:`DataRegistry`; :func:`write_setup` records it in
``mdata.uns[SETUP_UNS_KEY]`` (``"omicvae_setup"``, the one key ``setup_mudata`` writes), where it
survives ``mdata.copy()`` and ``.h5mu`` files, and :func:`read_setup` reads it back.
:func:`build_tensors` checks a MuData against a registry (values already checked at setup are not
scanned again) and converts it into :class:`MultiModalTensors`, aligned on ``mdata.obs_names``;
:class:`MultiModalDataset` serves batches of those tensors to a DataLoader (``collate_batch``).
Library sizes of count modalities are computed in ``_library`` only (:func:`library_rows`,
:func:`typical_library`, :func:`draw_library`); :func:`split_indices` draws a model's training and
validation samples.
:func:`get_matrix` reads a modality's ``.X`` or layer as numpy or scipy sparse, without copying.
"""

from ._access import get_matrix
from ._dataset import MultiModalDataset, collate_batch
from ._library import draw_library, library_rows, typical_library
from ._registry import (
    SETUP_UNS_KEY,
    DataRegistry,
    ModalitySpec,
    read_setup,
    setup_registry,
    write_setup,
)
from ._split import split_indices
from ._tensors import MultiModalTensors, build_tensors, csr_rows_to_dense

__all__ = [
    "SETUP_UNS_KEY",
    "DataRegistry",
    "ModalitySpec",
    "MultiModalDataset",
    "MultiModalTensors",
    "build_tensors",
    "collate_batch",
    "csr_rows_to_dense",
    "draw_library",
    "get_matrix",
    "library_rows",
    "read_setup",
    "setup_registry",
    "split_indices",
    "typical_library",
    "write_setup",
]
