"""Build ``data/tcga_acc.h5mu`` from the ``miniACC`` object of Bioconductor's MultiAssayExperiment.

The source is the Debian package ``r-bioc-multiassayexperiment`` (Artistic-2.0), which ships
``MultiAssayExperiment/data/miniACC.RData``: a small TCGA adrenocortical carcinoma cohort
(92 patients, 5 assays). R is not needed: the serialised R object tree is parsed with the pure
Python ``rdata`` package and walked by hand.

Usage (from the repository root)::

    python data/build_tcga_acc.py                       # apt-get download + convert
    python data/build_tcga_acc.py --rdata miniACC.RData # convert an already extracted file

The output is deterministic: the same ``miniACC.RData`` gives a byte-identical ``.h5mu``.
This script is a build tool; the installed package only reads the resulting file.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

import anndata as ad
import h5py
import mudata as md
import numpy as np
import pandas as pd
import rdata
from rdata.parser import RObjectType as T

DEB_PACKAGE = "r-bioc-multiassayexperiment"
RDATA_IN_DEB = "usr/lib/R/site-library/MultiAssayExperiment/data/miniACC.RData"

# R assay name -> modality name used by omicvae.
ASSAYS = {
    "RNASeq2GeneNorm": "rna",
    "miRNASeqGene": "mirna",
    "gistict": "cnv",
    "RPPAArray": "protein",
    "Mutations": "mutation",
}
# Expected (n_features, n_samples) per R assay, from the upstream object.
EXPECTED_SHAPES = {
    "RNASeq2GeneNorm": (198, 79),
    "gistict": (198, 90),
    "RPPAArray": (33, 46),
    "Mutations": (97, 90),
    "miRNASeqGene": (471, 80),
}
# colData columns that are labels (stored as pandas categoricals).
LABEL_COLUMNS = (
    "Histology",
    "C1A.C1B",
    "mRNA_K4",
    "MethyLevel",
    "miRNA.cluster",
    "SCNA.cluster",
    "protein.cluster",
    "COC",
    "OncoSign",
)
# Recommended observation model per modality (see data/README.md for the reasoning).
LIKELIHOODS = {
    "rna": "normal",
    "mirna": "nb",
    "cnv": "normal",
    "protein": "normal",
    "mutation": "bernoulli",
}
LAYERS = {"rna": "log1p"}
R_INT_NA = np.iinfo(np.int32).min


# --------------------------------------------------------------------------- R object helpers
def _deref(obj):
    return obj.referenced_object if obj.info.type == T.REF else obj


def _name(obj) -> str | None:
    """Python string of an R SYM / CHAR (None for NA_character_)."""
    obj = _deref(obj)
    if obj.info.type == T.SYM:
        obj = obj.value
    if obj.info.type != T.CHAR:
        raise TypeError(f"expected an R symbol or string, got {obj.info.type.name}")
    return None if obj.value is None else obj.value.decode("utf-8")


def _pairlist(obj) -> dict:
    """Tagged R pairlist (attributes, S4 slots) as an ordered ``{tag: object}`` dict."""
    out = {}
    while obj is not None and obj.info.type == T.LIST:
        car, cdr = obj.value
        out[_name(obj.tag) if obj.tag is not None else f"_{len(out)}"] = car
        obj = cdr
    return out


def _attrs(obj) -> dict:
    return _pairlist(obj.attributes) if obj.attributes is not None else {}


def _strings(obj) -> list[str | None]:
    if obj.info.type != T.STR:
        raise TypeError(f"expected an R character vector, got {obj.info.type.name}")
    return [_name(x) for x in obj.value]


def _numeric(obj) -> np.ndarray:
    """R numeric/integer/logical vector as float64 with NaN for NA."""
    values = obj.value
    if np.ma.isMaskedArray(values):
        values = values.astype(np.float64).filled(np.nan)
    values = np.asarray(values, dtype=np.float64)
    if obj.info.type in (T.INT, T.LGL):
        values[values == R_INT_NA] = np.nan
    return values


def _find_matrices(obj, found: list, seen: set) -> None:
    """Collect every numeric vector carrying a ``dim`` attribute below ``obj``."""
    if obj is None or id(obj) in seen:
        return
    seen.add(id(obj))
    kind = obj.info.type
    if kind in (T.REAL, T.INT, T.LGL) and "dim" in _attrs(obj):
        found.append(obj)
    if kind == T.ENV:
        _find_matrices(obj.value.frame, found, seen)
        _find_matrices(obj.value.hash_table, found, seen)
    elif kind in (T.VEC, T.LIST, T.S4) and isinstance(obj.value, list | tuple):
        for child in obj.value:
            _find_matrices(child, found, seen)
    if obj.attributes is not None:
        _find_matrices(obj.attributes, found, seen)


def _assay_frame(assay_name: str, experiment) -> pd.DataFrame:
    """Features x samples matrix of one experiment (SummarizedExperiment or bare matrix)."""
    found: list = []
    _find_matrices(experiment, found, set())
    if len(found) != 1:
        raise ValueError(f"assay {assay_name!r}: expected one numeric matrix, found {len(found)}")
    mat = found[0]
    attrs = _attrs(mat)
    n_rows, n_cols = (int(x) for x in attrs["dim"].value)
    if (n_rows, n_cols) != EXPECTED_SHAPES[assay_name]:
        raise ValueError(
            f"assay {assay_name!r}: expected shape {EXPECTED_SHAPES[assay_name]}, got "
            f"{(n_rows, n_cols)}"
        )
    rows, cols = (_strings(x) for x in attrs["dimnames"].value)
    values = _numeric(mat).reshape((n_rows, n_cols), order="F")
    return pd.DataFrame(values, index=pd.Index(rows), columns=pd.Index(cols))


def _coldata(mae_slots: dict) -> pd.DataFrame:
    slots = _attrs(mae_slots["colData"])
    listdata = slots["listData"]
    names = _strings(_attrs(listdata)["names"])
    rownames = _strings(slots["rownames"])
    columns = {}
    for name, col in zip(names, listdata.value, strict=True):
        if col.info.type == T.STR:
            columns[name] = pd.Series(_strings(col), index=rownames, dtype=object)
        else:
            values = _numeric(col)
            is_int = col.info.type in (T.INT, T.LGL) and not np.isnan(values).any()
            columns[name] = pd.Series(values.astype(np.int64) if is_int else values, index=rownames)
    return pd.DataFrame(columns, index=pd.Index(rownames, name=None))


def _metadata(mae_slots: dict) -> dict[str, str]:
    meta = mae_slots["metadata"]
    names = _strings(_attrs(meta)["names"])
    return {n: _strings(v)[0] for n, v in zip(names, meta.value, strict=True)}


# --------------------------------------------------------------------------- conversion
def patient_obs(coldata: pd.DataFrame) -> pd.DataFrame:
    """Patient-level ``.obs``: clinical columns, categorical labels and survival."""
    obs = coldata.copy()
    if not obs.index.equals(pd.Index(obs["patientID"])):
        raise ValueError("colData: rownames differ from the patientID column")
    obs = obs.drop(columns="patientID")
    for name in obs.columns:
        col = obs[name]
        if name in LABEL_COLUMNS or col.dtype == object:
            if col.dtype != object:  # integer-coded clusters, e.g. protein.cluster
                col = col.map(lambda v: np.nan if pd.isna(v) else str(int(v)))
            cats = sorted(col.dropna().unique())
            obs[name] = pd.Categorical(col, categories=cats)
    dead = obs["vital_status"].to_numpy() == 1
    if obs["vital_status"].isna().any() or not obs["vital_status"].isin([0, 1]).all():
        raise ValueError("colData: vital_status must be 0 (alive) or 1 (dead) for every patient")
    obs["survival_event"] = dead.astype(np.int64)
    obs["survival_time"] = np.where(
        dead, obs["days_to_death"].to_numpy(), obs["days_to_last_followup"].to_numpy()
    ).astype(np.float64)
    return obs


def modality(name: str, frame: pd.DataFrame) -> ad.AnnData:
    """One modality as AnnData with patients as obs (first aliquot per patient, sorted)."""
    aliquots = sorted(frame.columns)  # sorted aliquots give sorted patients
    patients = [a[:12] for a in aliquots]
    keep = ~pd.Index(patients).duplicated(keep="first")
    if not keep.all():
        print(f"{name}: dropping {int((~keep).sum())} extra aliquot(s) of repeated patients")
    aliquots = [a for a, k in zip(aliquots, keep, strict=True) if k]
    sample_type = [a[13:15] for a in aliquots]
    obs = pd.DataFrame(
        {"barcode": aliquots, "sample_type": pd.Categorical(sample_type)},
        index=pd.Index([a[:12] for a in aliquots]),
    )
    features = frame.index.astype(str)
    # MuData's own convention for feature names shared between modalities (the five assays
    # measure overlapping gene panels): "<modality>:<feature>"; the plain name stays in var.
    var = pd.DataFrame({"feature_name": features}, index=pd.Index(f"{name}:{f}" for f in features))
    adata = ad.AnnData(X=frame[aliquots].to_numpy().T.astype(np.float32), obs=obs, var=var)
    if name in LAYERS:
        adata.layers[LAYERS[name]] = np.log1p(adata.X)
    return adata


def build(rdata_path: Path, deb_version: str | None) -> md.MuData:
    parsed = rdata.parser.parse_file(rdata_path)
    mae = _pairlist(parsed.object)["miniACC"]
    slots = _attrs(mae)
    experiments = _attrs(slots["ExperimentList"])["listData"]
    exp_names = _strings(_attrs(experiments)["names"])
    if sorted(exp_names) != sorted(ASSAYS):
        raise ValueError(f"miniACC: expected assays {sorted(ASSAYS)}, found {exp_names}")
    mods = {}
    for r_name, exp in zip(exp_names, experiments.value, strict=True):
        mods[ASSAYS[r_name]] = modality(ASSAYS[r_name], _assay_frame(r_name, exp))
    mods = {m: mods[m] for m in LIKELIHOODS}  # fixed modality order

    obs = patient_obs(_coldata(slots))
    with md.set_options(pull_on_update=False):  # global obs = patient table, set explicitly
        mdata = md.MuData(mods)
        if set(mdata.obs_names) != set(obs.index):
            raise ValueError("miniACC: patients with assays differ from the colData patients")
        mdata = mdata[obs.index.sort_values()].copy()  # all patients, sorted barcodes
        mdata.obs = obs.loc[mdata.obs_names].copy()

    meta = _metadata(slots)
    mdata.uns["omicvae_dataset"] = {
        "name": "tcga_acc",
        "description": "TCGA adrenocortical carcinoma (miniACC), 92 patients, 5 omics",
        "source": (
            f"Debian package {DEB_PACKAGE}"
            + (f" {deb_version}" if deb_version else "")
            + f", file {RDATA_IN_DEB} (Bioconductor MultiAssayExperiment::miniACC)"
        ),
        "source_sha256": hashlib.sha256(rdata_path.read_bytes()).hexdigest(),
        "licence": (
            "Artistic-2.0 (MultiAssayExperiment package); underlying data: TCGA open access"
        ),
        "publication": f"{meta.get('title', '')} (PMID {meta.get('PMID', '')})",
        "upstream_url": meta.get("sourceURL", ""),
        "assays": {v: k for k, v in ASSAYS.items()},
        "likelihoods": dict(LIKELIHOODS),
        "layers": dict(LAYERS),
        "build_script": "data/build_tcga_acc.py",
    }
    return mdata


def _download_rdata(workdir: Path) -> tuple[Path, str]:
    subprocess.run(["apt-get", "download", DEB_PACKAGE], cwd=workdir, check=True)
    (deb,) = sorted(workdir.glob(f"{DEB_PACKAGE}_*.deb"))
    version = deb.name.split("_")[1]
    subprocess.run(["dpkg-deb", "-x", str(deb), str(workdir / "root")], check=True)
    return workdir / "root" / RDATA_IN_DEB, version


def write_deterministic(mdata: md.MuData, out: Path) -> None:
    """Write with HDF5 object timestamps disabled, so rebuilding gives identical bytes."""
    original = h5py.Group.create_dataset

    def create_dataset(self, *args, **kwargs):
        kwargs.setdefault("track_times", False)
        return original(self, *args, **kwargs)

    h5py.Group.create_dataset = create_dataset
    try:
        mdata.write_h5mu(out, compression="gzip")
    finally:
        h5py.Group.create_dataset = original


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rdata", type=Path, help="existing miniACC.RData (skip apt-get)")
    parser.add_argument("--deb-version", help="version string to record with --rdata")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent / "tcga_acc.h5mu"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.rdata is None:
            rdata_path, version = _download_rdata(Path(tmp))
        else:
            rdata_path, version = args.rdata, args.deb_version
        with md.set_options(pull_on_update=False):
            mdata = build(rdata_path, version)
            write_deterministic(mdata, args.out)
    print(
        f"wrote {args.out}: {mdata.n_obs} patients, "
        + ", ".join(f"{m} {a.shape}" for m, a in mdata.mod.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
