"""The input files of ``omicvae fit``: one .h5mu, an .h5ad per modality, or text matrices.

Text matrices are read as ``matrix`` (samples as rows) or ``tcga`` (features as rows, TCGA barcodes
as columns; samples named by patient barcode); ``omicvae fit --help`` describes both. Every problem
is raised as a one-line :class:`~._specs.UsageError` that names the option, the modality and the
file.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from ._specs import UsageError

FORMATS = ("auto", "tcga", "matrix")
TEXT_SEPARATORS = {".csv": ",", ".tsv": "\t", ".txt": "\t", ".tab": "\t", "": "\t"}
ACCEPTED = ".h5ad, .csv, .tsv, .txt or .tab (text also gzipped, .gz)"
DEFAULT_SAMPLE_TYPES = ("01",)


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _suffix(path: Path) -> tuple[str, bool]:
    """Lower-case extension without ``.gz``, and whether the file is gzipped."""
    name = path.name.lower()
    return Path(name.removesuffix(".gz")).suffix, name.endswith(".gz")


def _kind(path: Path, label: str) -> str:
    """``"h5ad"``, ``"h5mu"`` or ``"text"`` from the extension; anything else is an error."""
    suffix, gz = _suffix(path)
    if suffix in (".h5ad", ".h5mu") and not gz:
        return suffix[1:]
    if suffix in TEXT_SEPARATORS:
        return "text"
    shown = suffix + (".gz" if gz else "")
    raise UsageError(f"{label}: unsupported file type {shown!r}; expected {ACCEPTED}")


def _separator(path: Path) -> str:
    return TEXT_SEPARATORS[_suffix(path)[0]]


def _check_text(path: Path, label: str) -> None:
    """Refuse binary files given as text tables, with what they look like instead."""
    import h5py

    gz = _suffix(path)[1]
    try:
        with open(path, "rb") as handle:
            head = handle.read(1024)
    except OSError as err:
        raise UsageError(f"{label}: cannot read {str(path)!r} ({_one_line(err)})") from None
    if not gz and h5py.is_hdf5(path):
        raise UsageError(
            f"{label}: {path.name} is an HDF5 file (AnnData/MuData), not a text table; name an "
            "AnnData file .h5ad, or give a MuData file with --mudata"
        )
    if head.startswith(b"\x1f\x8b") and not gz:
        raise UsageError(f"{label}: {path.name} is gzip-compressed; name it {path.name}.gz")
    if head.startswith(b"PK\x03\x04"):
        raise UsageError(
            f"{label}: {path.name} is a ZIP archive (an Excel workbook?), not a text table; "
            "export it as CSV or TSV"
        )
    if not gz and b"\x00" in head:
        raise UsageError(f"{label}: {path.name} is a binary file, not a text table ({ACCEPTED})")


def _read_csv(path: Path, label: str, **kwargs) -> pd.DataFrame:
    """:func:`pandas.read_csv` with its errors turned into one-line usage errors."""
    try:
        return pd.read_csv(path, sep=_separator(path), **kwargs)
    except pd.errors.EmptyDataError:
        raise UsageError(f"{label}: {path.name} is empty") from None
    except UnicodeDecodeError as err:
        raise UsageError(
            f"{label}: {path.name} is not UTF-8 text ({err.reason} at byte {err.start}); "
            f"expected {ACCEPTED}"
        ) from None
    except (pd.errors.ParserError, ValueError, OSError, EOFError) as err:
        raise UsageError(
            f"{label}: cannot read {path.name} as a table ({_one_line(err)})"
        ) from None


def _sep_name(path: Path) -> str:
    return "comma-separated" if _separator(path) == "," else "tab-separated"


def _numeric(frame: pd.DataFrame, path: Path, label: str, what: str) -> pd.DataFrame:
    """The frame as float64; non-numeric columns are an error that shows a few offending values."""
    bad = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad:
        col = frame[bad[0]]
        wrong = col[pd.to_numeric(col, errors="coerce").isna() & col.notna()]
        examples = [str(v) for v in pd.unique(wrong.astype(str))[:3]]
        raise UsageError(
            f"{label}: expected numbers, but {what} {str(bad[0])!r} of {path.name} holds "
            f"{examples} ({len(bad)} non-numeric {what}(s)); put sample annotations such as "
            "labels in --clinical"
        )
    values = frame.astype(np.float64)
    if np.isinf(values.to_numpy()).any():
        raise UsageError(f"{label}: {path.name} holds infinite values; expected finite numbers")
    return values


def _is_tcga_header(columns: list[str]) -> bool:
    from ..datasets import _barcodes

    return len(columns) > 1 and all(_barcodes.is_barcode(c) for c in columns[1:])


def _read_plain(name: str, path: Path, label: str, transpose: bool):
    """A samples x features (or, transposed, features x samples) text matrix as AnnData."""
    import anndata as ad

    frame = _read_csv(path, label, index_col=0)
    if frame.shape[1] == 0:
        raise UsageError(
            f"{label}: {path.name} has a single column; expected a {_sep_name(path)} table "
            "(.csv files are read as comma-separated, .tsv/.txt/.tab as tab-separated)"
        )
    if frame.shape[0] == 0:
        raise UsageError(f"{label}: {path.name} has a header but no rows")
    rows, cols = ("feature", "sample") if transpose else ("sample", "feature")
    if frame.index.isna().any():
        row = int(np.flatnonzero(frame.index.isna())[0]) + 2
        raise UsageError(
            f"{label}: line {row} of {path.name} has no {rows} name in its first column"
        )
    frame.index = frame.index.astype(str)
    first = pd.to_numeric(pd.Series(frame.index), errors="coerce")
    if first.notna().all() and (first % 1 != 0).any():
        raise UsageError(
            f"{label}: the first column of {path.name} holds numbers such as "
            f"{frame.index[0]!r}; it must hold the {rows} names"
        )
    frame = _numeric(frame, path, label, f"{cols} column")
    if transpose:
        frame = frame.T
    samples = frame.index.astype(str)
    if samples.duplicated().any():
        where = "the header" if transpose else "the first column"
        raise UsageError(
            f"{label}: sample name {samples[samples.duplicated()][0]!r} appears more than once "
            f"in {path.name} ({where} must hold one name per sample)"
        )
    features = pd.Index(frame.columns.astype(str))
    if features.duplicated().any():
        print(
            f"modality {name!r}: made {int(features.duplicated().sum())} repeated feature "
            f"name(s) of {path.name} unique"
        )
    unique = ad.utils.make_index_unique(features)
    # MuData's convention for feature names that several modalities share: "<modality>:<name>".
    var = pd.DataFrame(
        {"feature_name": features.to_numpy()}, index=pd.Index([f"{name}:{v}" for v in unique])
    )
    return ad.AnnData(X=frame.to_numpy(dtype=np.float32), obs=pd.DataFrame(index=samples), var=var)


def _read_tcga_matrix(name: str, path: Path, label: str, types: tuple[str, ...] | None):
    """A features x barcodes TCGA matrix as patients x features AnnData (read_tcga's reader)."""
    from ..datasets import _barcodes
    from ..datasets._tcga_matrix import matrix_to_anndata, read_matrix

    if _separator(path) == "\t":
        try:
            frame = read_matrix(path)  # also skips a Firehose second header row
        except ValueError as err:  # non-numeric values
            raise UsageError(f"{label}: {_one_line(err)}") from None
    else:
        frame = _numeric(_read_csv(path, label, index_col=0), path, label, "sample column")
    found = [_barcodes.sample_type(str(c)) for c in frame.columns]
    if types is not None and not any(t is None or t in types for t in found):
        raise UsageError(
            f"{label}: no sample of type {','.join(types)} among the {len(found)} barcodes of "
            f"{path.name} (types found: {','.join(sorted({t for t in found if t}))}); choose "
            "them with --sample-types, e.g. --sample-types all"
        )
    try:
        return matrix_to_anndata(frame, modality=name, source=path.name, sample_types=types)
    except ValueError as err:
        raise UsageError(f"{label}: {_one_line(err)}") from None


def _read_hdf5(path: Path, label: str, kind: str):
    """An AnnData (``kind`` ``"h5ad"``) or MuData (``"h5mu"``) file, with one-line errors."""
    import anndata as ad
    import h5py
    import mudata as md

    if kind == "h5ad":
        read, what = ad.read_h5ad, "AnnData"
        hint = "an .h5ad is written by AnnData.write_h5ad (text tables need a .csv/.tsv/.txt extension)"
    else:
        read, what = md.read_h5mu, "MuData"
        hint = "an .h5mu is written by MuData.write (for text tables use --mod NAME=PATH)"
    if not h5py.is_hdf5(path):
        raise UsageError(f"{label}: {path.name} is not an HDF5 file; {hint}")
    try:
        return read(path)
    except Exception as err:  # noqa: BLE001 - any reader failure is a bad input file
        raise UsageError(f"{label}: cannot read {path.name} as {what} ({_one_line(err)})") from None


def _read_h5mu(path: Path, modalities: list[str] | None):
    import mudata as md

    label = f"--mudata {path}"
    suffix, gz = _suffix(path)
    if suffix != ".h5mu" or gz:
        per_mod = "an .h5ad" if suffix == ".h5ad" and not gz else "a text matrix"
        raise UsageError(
            f"{label}: expected an .h5mu file (MuData), got {path.name}; give {per_mod} per "
            f"modality with --mod NAME={path.name}"
        )
    with md.set_options(pull_on_update=False):
        mdata = _read_hdf5(path, label, "h5mu")
    if not mdata.mod:
        raise UsageError(f"{label}: {path.name} holds no modality")
    if modalities:
        unknown = [m for m in modalities if m not in mdata.mod]
        if unknown:
            raise UsageError(
                f"--modalities: {path.name} has no modality {unknown[0]!r}; its modalities are "
                f"{list(mdata.mod)}"
            )
        if len(set(modalities)) < len(modalities):
            raise UsageError("--modalities: a modality is named twice")
        if list(modalities) != list(mdata.mod):
            with md.set_options(pull_on_update=False):
                kept = md.MuData({m: mdata.mod[m] for m in modalities})
            kept.obs = mdata.obs.reindex(kept.obs_names)
            kept.uns.update(mdata.uns)
            mdata = kept
    return mdata


def _check_anndata(name: str, adata, label: str) -> None:
    """Samples, features, unique sample names and numeric values in one modality."""
    if adata.n_obs == 0 or adata.n_vars == 0:
        raise UsageError(
            f"{label}: modality {name!r} is empty ({adata.n_obs} samples x {adata.n_vars} features)"
        )
    if not adata.obs_names.is_unique:
        dup = adata.obs_names[adata.obs_names.duplicated()][0]
        raise UsageError(f"{label}: modality {name!r}: sample name {dup!r} appears more than once")
    X = adata.X
    if X is not None:
        dtype = getattr(X, "dtype", np.dtype(object))
        if not (np.issubdtype(dtype, np.number) or np.issubdtype(dtype, np.bool_)):
            raise UsageError(
                f"{label}: modality {name!r}: expected numbers in .X, found dtype {dtype}"
            )


def _check_overlap(mdata, sources: dict[str, str]) -> None:
    """Every modality must share sample names with at least one other modality."""
    mods = mdata.mod
    if len(mods) < 2:
        return
    for name, adata in mods.items():
        others = [m for m in mods if m != name]
        union = pd.Index([]).append([mods[m].obs_names for m in others])
        if not adata.obs_names.isin(union).any():
            other = others[0]
            raise UsageError(
                f"modality {name!r} ({sources[name]}) shares no sample name with "
                f"{', '.join(repr(m) for m in others)}: e.g. {list(adata.obs_names[:3])} vs "
                f"{list(mods[other].obs_names[:3])} in {other!r}; every file must name the same "
                "samples (rows, or columns with --transpose)"
            )


def parse_sample_types(raw: str | None) -> tuple[str, ...] | None:
    """``"01,06"`` -> ``("01", "06")``; ``"all"`` -> None; None (not given) -> ``("01",)``."""
    if raw is None:
        return DEFAULT_SAMPLE_TYPES
    if raw.strip().lower() == "all":
        return None
    parts = [t.strip() for t in raw.split(",") if t.strip()]
    if not parts or not all(t.isdigit() and len(t) <= 2 for t in parts):
        raise UsageError(
            f"--sample-types {raw!r}: expected two-digit TCGA sample types, comma-separated "
            "(e.g. 01 or 01,06), or 'all'"
        )
    return tuple(t.zfill(2) for t in parts)


def read_inputs(args: argparse.Namespace, files: dict[str, Path] | None):
    """Read ``--mudata`` or the ``--mod`` files (the parsed ``omicvae fit`` ``args``) into one MuData.

    Parameters
    ----------
    files
        Modality -> path of the ``--mod`` files (None with ``--mudata``).

    Returns
    -------
    ``(mdata, sources)``, ``sources`` mapping each modality to the file it was read from.
    """
    import mudata as md

    types = parse_sample_types(args.sample_types)
    if args.clinical is not None:  # before reading the (maybe large) omics files
        label = f"--clinical {args.clinical}"
        if _kind(args.clinical, label) != "text":
            raise UsageError(f"{label}: expected a text table (.csv, .tsv, .txt, .tab)")
        _check_text(args.clinical, label)
    transpose = list(dict.fromkeys(args.transpose or ()))
    formats = {}  # modality -> "h5ad", "matrix" or "tcga" (--mod files only)
    if args.mudata is not None:
        for option, given in (
            ("--format", args.format != "auto"),
            ("--transpose", bool(transpose)),
            ("--sample-types", args.sample_types is not None),
        ):
            if given:
                raise UsageError(
                    f"{option} applies to text matrices given with --mod, not to --mudata"
                )
        mdata = _read_h5mu(args.mudata, args.modalities)
        sources = {m: f"{args.mudata.name}[{m}]" for m in mdata.mod}
        for name, adata in mdata.mod.items():
            _check_anndata(name, adata, f"--mudata {args.mudata}")
    else:
        if args.modalities:
            raise UsageError("--modalities chooses modalities of a --mudata file; use --mod alone")
        unknown = [t for t in transpose if t not in files]
        if unknown:
            raise UsageError(
                f"--transpose: unknown modality {unknown[0]!r}; the modalities are {list(files)}"
            )
        mods = {}
        for name, path in files.items():
            label = f"--mod {name}={path}"
            kind = _kind(path, label)
            if kind == "h5mu":
                raise UsageError(
                    f"{label}: an .h5mu holds all modalities; give it as --mudata {path} "
                    "(with --modalities to choose some) instead of --mod"
                )
            if kind == "h5ad":
                for option, given in (
                    ("--format tcga", args.format == "tcga"),
                    ("--transpose", name in transpose),
                ):
                    if given:
                        raise UsageError(
                            f"{label}: {option} applies to text matrices, and {path.name} is "
                            "AnnData (.h5ad)"
                        )
                mods[name], formats[name] = _read_hdf5(path, label, "h5ad"), "h5ad"
            else:
                _check_text(path, label)
                header = [str(c) for c in _read_csv(path, label, nrows=0, index_col=None).columns]
                tcga = args.format != "matrix" and _is_tcga_header(header)
                if args.format == "tcga" and not tcga:
                    raise UsageError(
                        f"{label}: --format tcga expects TCGA sample barcodes as the column names "
                        f"of {path.name} (features x samples), found {header[1:4]}; "
                        "use --format matrix for other tables"
                    )
                if tcga:
                    mods[name] = _read_tcga_matrix(name, path, label, types)
                else:
                    mods[name] = _read_plain(name, path, label, name in transpose)
                formats[name] = "tcga" if tcga else "matrix"
            _check_anndata(name, mods[name], label)
        if args.sample_types is not None and "tcga" not in formats.values():
            raise UsageError(
                f"--sample-types {args.sample_types}: applies to TCGA matrices (barcodes as "
                "column names), and none of the --mod files is one"
            )
        with md.set_options(pull_on_update=False):
            mdata = md.MuData(mods)
            if set(formats.values()) == {"tcga"}:  # patient barcodes, sorted (as read_tcga does)
                mdata = mdata[mdata.obs_names.sort_values()].copy()
        sources = {m: str(p) for m, p in files.items()}
        for name, fmt in formats.items():
            if fmt != "h5ad":
                how = "TCGA matrix" if fmt == "tcga" else "matrix"
                features_as_rows = fmt == "tcga" or name in transpose
                layout = "features x samples" if features_as_rows else "samples x features"
                print(f"modality {name!r}: {files[name].name} read as a {how}, {layout}")
    _check_overlap(mdata, sources)
    if args.clinical is not None:
        _add_clinical(mdata, args.clinical, tcga="tcga" in formats.values())
    return mdata, sources


def _add_clinical(mdata, path: Path, tcga: bool) -> None:
    """Join a clinical table to ``mdata.obs`` (``tcga``: keyed by patient barcode)."""
    import mudata as md

    from ..datasets._tcga_clinical import MISSING, _typed, add_survival, read_clinical

    label = f"--clinical {path}"
    if tcga:
        if _separator(path) != "\t":
            raise UsageError(
                f"{label}: the clinical table of TCGA matrices is read tab-separated; "
                f"{path.name} is named as comma-separated (give a .tsv or .txt)"
            )
        try:
            table = read_clinical(path)
        except (ValueError, KeyError, OSError) as err:
            raise UsageError(f"{label}: {_one_line(err)}") from None
    else:
        raw = _read_csv(path, label, index_col=0, dtype=str, keep_default_na=False)
        if raw.shape[1] == 0:
            raise UsageError(
                f"{label}: {path.name} has a single column; expected a {_sep_name(path)} table "
                "with sample names in the first column"
            )
        raw.index = raw.index.astype(str)
        if raw.index.duplicated().any():
            dup = raw.index[raw.index.duplicated()][0]
            raise UsageError(f"{label}: sample {dup!r} has more than one row in {path.name}")
        raw.columns = [str(c).strip() for c in raw.columns]
        table = _typed(raw.where(~raw.isin(MISSING)))
    table = add_survival(table)
    matched = table.index.isin(mdata.obs_names)
    if not matched.any():
        raise UsageError(
            f"{label}: no row of {path.name} names a sample of the data: e.g. "
            f"{list(table.index[:3])} vs {list(mdata.obs_names[:3])}"
        )
    obs = mdata.obs.drop(columns=[c for c in table.columns if c in mdata.obs.columns])
    with md.set_options(pull_on_update=False):
        mdata.obs = obs.join(table.reindex(mdata.obs_names))
    missing = int((~mdata.obs_names.isin(table.index)).sum())
    if missing:
        print(f"clinical table: no row for {missing} of {mdata.n_obs} samples")
