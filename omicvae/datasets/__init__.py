"""Data sets as MuData: TCGA cohorts, a TCGA reader, PolyMNIST-Quadrant, UCI digits, simulations."""

from ._multifeature import uci_multifeature
from ._polymnist import polymnist_quadrant
from ._read_tcga import read_tcga
from ._simulate import simulate
from ._tcga_acc import TCGA_ACC_LABELS, tcga_acc
from ._tcga_brca import tcga_brca

__all__ = [
    "TCGA_ACC_LABELS",
    "polymnist_quadrant",
    "read_tcga",
    "simulate",
    "tcga_acc",
    "tcga_brca",
    "uci_multifeature",
]
