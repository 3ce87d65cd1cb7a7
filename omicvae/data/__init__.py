"""Data registry, validation and tensors behind ``IDMVAE.setup_mudata``.

:func:`setup_registry` validates a MuData (never modifying it) into a :class:`DataRegistry`, which
:func:`write_setup` records in ``mdata.uns[SETUP_UNS_KEY]`` and :func:`read_setup` reads back.
:func:`build_tensors` checks a MuData against a registry and converts it into
:class:`MultiModalTensors`, aligned on ``mdata.obs_names``; :class:`MultiModalDataset` serves
batches of them to a DataLoader (``collate_batch``). :func:`get_matrix` reads a modality's values
(``X`` or a layer). Library sizes of count modalities are computed in ``_library`` only
(:func:`library_rows`, :func:`typical_library`, :func:`draw_library`); :func:`split_indices` draws a
model's training and validation samples.
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
