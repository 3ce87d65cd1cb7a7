"""``omicvae fit`` on every input it takes (.h5mu, .h5ad, CSV/TSV, TCGA) and on bad input files."""

import warnings

import mudata as md
import numpy as np
import pandas as pd
import pytest

import omicvae as ov
from omicvae.cli import main

# one epoch, tiny latents and no diffusion prior: these tests are about reading the inputs
FAST = ["--epochs", "1", "--no-progress", "--threads", "1", "--n-shared", "2", "--n-private", "2",
        "--batch-size", "16", "--no-diffusion"]  # fmt: skip


def _read(path):
    with md.set_options(pull_on_update=False):
        return md.read_h5mu(path)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The same simulated data as .h5mu, .h5ad per modality, CSV and (transposed) TSV."""
    root = tmp_path_factory.mktemp("inputs")
    with warnings.catch_warnings():  # mudata's notice about its next version's defaults
        warnings.simplefilter("ignore", FutureWarning)
        mdata = ov.datasets.simulate(n_obs=40, n_features=8)
        mdata.write(root / "data.h5mu")
    out = {"h5mu": root / "data.h5mu"}
    for name, adata in mdata.mod.items():
        adata.write_h5ad(root / f"{name}.h5ad")
        out[f"{name}.h5ad"] = root / f"{name}.h5ad"
    # digits-like feature names, the same in both files ("<modality>:" keeps them apart)
    left = pd.DataFrame(mdata.mod["m0"].X, index=mdata.obs_names, columns=map(str, range(8)))
    right = pd.DataFrame(mdata.mod["m1"].X, index=mdata.obs_names, columns=map(str, range(8)))
    left.to_csv(root / "left.csv", index_label="sample")
    right.to_csv(root / "right.tsv", sep="\t", index_label="sample")
    right.T.to_csv(root / "right_t.tsv", sep="\t", index_label="feature")
    right.to_csv(root / "right.tsv.gz", sep="\t", index_label="sample")
    mdata.obs[["shared_label"]].to_csv(root / "labels.csv", index_label="sample")
    out.update(
        left=root / "left.csv",
        right=root / "right.tsv",
        right_t=root / "right_t.tsv",
        right_gz=root / "right.tsv.gz",
        labels=root / "labels.csv",
        root=root,
    )
    return out


def _fit(tmp_path, *args):
    out = tmp_path / "out"
    return main(["fit", *args, "--out", str(out), *FAST]), out / "idmvae.h5mu"


def _has_embeddings(path, n_obs, mods):
    mdata = _read(path)
    assert mdata.n_obs == n_obs
    assert mdata.obsm["X_idmvae_shared"].shape == (n_obs, 2)
    for mod in mods:
        assert mdata.obsm[f"X_idmvae_private_{mod}"].shape == (n_obs, 2)
    assert "idmvae_leiden" in mdata.obs
    return mdata


def test_fit_on_one_h5mu(files, tmp_path, capsys):
    code, h5mu = _fit(tmp_path, "--mudata", str(files["h5mu"]), "--label", "shared_label")
    assert code == 0
    assert "Prediction of 'shared_label'" in capsys.readouterr().out
    mdata = _has_embeddings(h5mu, 40, ["m0", "m1", "m2"])
    assert list(mdata.mod) == ["m0", "m1", "m2"]


def test_fit_on_some_modalities_of_an_h5mu(files, tmp_path):
    args = ["--mudata", str(files["h5mu"]), "--modalities", "m2", "m0"]
    code, h5mu = _fit(tmp_path, *args, "--label", "shared_label")
    assert code == 0
    mdata = _has_embeddings(h5mu, 40, ["m2", "m0"])
    assert list(mdata.mod) == ["m2", "m0"]
    assert "X_idmvae_private_m1" not in mdata.obsm
    assert "shared_label" in mdata.obs  # the file's global obs is kept


def test_fit_on_h5ad_per_modality(files, tmp_path):
    args = ["--mod", f"a={files['m0.h5ad']}", "--mod", f"b={files['m1.h5ad']}"]
    code, h5mu = _fit(tmp_path, *args, "--likelihood", "a=nb")
    assert code == 0
    _has_embeddings(h5mu, 40, ["a", "b"])


def test_fit_on_csv_and_transposed_tsv(files, tmp_path, capsys):
    args = ["--mod", f"left={files['left']}", "--mod", f"right={files['right_t']}",
            "--transpose", "right", "--clinical", str(files["labels"]),
            "--label", "shared_label"]  # fmt: skip
    code, h5mu = _fit(tmp_path, *args)
    assert code == 0
    printed = capsys.readouterr().out
    assert "left.csv read as a matrix, samples x features" in printed
    assert "right_t.tsv read as a matrix, features x samples" in printed
    mdata = _has_embeddings(h5mu, 40, ["left", "right"])
    assert mdata.mod["left"].var_names[0] == "left:0"
    assert mdata.mod["right"].var["feature_name"].tolist() == [str(i) for i in range(8)]
    assert mdata.obs["shared_label"].notna().all()
    expected = pd.read_csv(files["right"], sep="\t", index_col=0)
    np.testing.assert_allclose(
        mdata.mod["right"][expected.index].X, expected.to_numpy(dtype=np.float32)
    )


def test_fit_mixes_h5ad_and_gzipped_tsv(files, tmp_path):
    args = ["--mod", f"m0={files['m0.h5ad']}", "--mod", f"right={files['right_gz']}"]
    code, h5mu = _fit(tmp_path, *args)
    assert code == 0
    _has_embeddings(h5mu, 40, ["m0", "right"])


def test_h5ad_layer_it_holds_and_sparse_values(files, tmp_path):
    import anndata as ad
    import scipy.sparse as sp

    source = ad.read_h5ad(files["m0.h5ad"])  # counts
    adata = ad.AnnData(sp.csr_matrix(np.log1p(source.X)), obs=source.obs[[]], var=source.var[[]])
    adata.layers["counts"] = sp.csr_matrix(source.X)
    adata.write_h5ad(tmp_path / "sparse.h5ad")
    args = ["--mod", f"a={tmp_path / 'sparse.h5ad'}", "--mod", f"b={files['m1.h5ad']}",
            "--layer", "a=counts", "--likelihood", "a=nb"]  # fmt: skip
    code, h5mu = _fit(tmp_path, *args)
    assert code == 0
    _has_embeddings(h5mu, 40, ["a", "b"])


def _tcga_tsv(root, name="tcga.tsv", types=("01",), sep="\t"):
    rng = np.random.default_rng(1)
    cols = [f"TCGA-AB-{1000 + i}-{types[i % len(types)]}A" for i in range(20)]
    frame = pd.DataFrame(rng.normal(size=(6, 20)), index=[f"g{i}" for i in range(6)], columns=cols)
    frame.to_csv(root / name, sep=sep, index_label="gene")
    return root / name


def test_tcga_detected_only_from_barcode_columns(tmp_path, capsys):
    rna, mirna = _tcga_tsv(tmp_path, "rna.tsv"), _tcga_tsv(tmp_path, "mirna.csv", sep=",")
    code, h5mu = _fit(tmp_path, "--mod", f"rna={rna}", "--mod", f"mirna={mirna}")
    assert code == 0
    assert "rna.tsv read as a TCGA matrix, features x samples" in capsys.readouterr().out
    mdata = _has_embeddings(h5mu, 20, ["rna", "mirna"])
    assert mdata.obs_names[0] == "TCGA-AB-1000"  # patient barcodes
    assert mdata.mod["rna"].obs["sample_type"].eq("01").all()


@pytest.mark.filterwarnings("ignore:training on 10 samples")  # the fixture is tiny on purpose
def test_sample_types_all_keeps_every_tcga_sample(tmp_path):
    rna = _tcga_tsv(tmp_path, "rna.tsv", types=("01", "11"))
    cnv = _tcga_tsv(tmp_path, "cnv.tsv", types=("01", "11"))
    mods = ["--mod", f"rna={rna}", "--mod", f"cnv={cnv}"]
    code, h5mu = _fit(tmp_path, *mods, "--sample-types", "all")
    assert code == 0
    assert _read(h5mu).n_obs == 20
    # the default (01) keeps the primary tumours only
    assert _fit(tmp_path, *mods)[0] == 0
    assert _read(h5mu).n_obs == 10


def test_format_matrix_reads_barcode_columns_as_plain_names(tmp_path):
    rna, cnv = _tcga_tsv(tmp_path, "rna.tsv"), _tcga_tsv(tmp_path, "cnv.tsv")
    args = ["--mod", f"rna={rna}", "--mod", f"cnv={cnv}", "--format", "matrix",
            "--transpose", "rna", "--transpose", "cnv"]  # fmt: skip
    code, h5mu = _fit(tmp_path, *args)
    assert code == 0
    assert _read(h5mu).obs_names[0] == "TCGA-AB-1000-01A"  # no patient collapsing


def _bad(tmp_path, capsys, args):
    code = main(["fit", *args, "--out", str(tmp_path / "bad"), *FAST])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    first, *rest = err.strip().splitlines()
    assert first.startswith("omicvae fit: error: ")
    assert rest == ["(see: omicvae fit --help)"]
    return first


def _write(root, name, data: bytes | str):
    path = root / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


@pytest.mark.parametrize(
    "make, messages",
    [
        (lambda f, r: ["--mod", f"x={f['h5mu']}"], ["--mod x=", "give it as --mudata"]),
        (lambda f, r: ["--mod", "x=" + str(_write(r, "m.xlsx", "a"))], ["x=", "'.xlsx'", ".csv"]),
        (
            lambda f, r: ["--mod", "x=" + str(_write(r, "h.tsv", f["h5mu"].read_bytes()))],
            ["--mod x=", "h.tsv is an HDF5 file", ".h5ad"],
        ),
        (
            lambda f, r: ["--mod", "x=" + str(_write(r, "b.csv", bytes(range(256))))],
            ["--mod x=", "b.csv is a binary file"],
        ),
        (
            lambda f, r: ["--mod", "x=" + str(_write(r, "l.csv", b"a,b\ns1,\xe9\n"))],
            ["l.csv is not UTF-8 text"],
        ),
        (lambda f, r: ["--mod", "x=" + str(_write(r, "e.csv", ""))], ["e.csv is empty"]),
        (
            lambda f, r: ["--mod", "x=" + str(_write(r, "n.csv", "s,a,b\nx,1,foo\ny,2,3\n"))],
            ["--mod x=", "expected numbers", "'b'", "['foo']"],
        ),
        (
            lambda f, r: ["--mod", "x=" + str(_write(r, "t.csv", "s\ta\nx\t1\n"))],
            ["t.csv has a single column", "comma-separated"],
        ),
        (
            lambda f, r: ["--mod", "x=" + str(_write(r, "d.csv", "s,a\nx,1\nx,2\n"))],
            ["sample name 'x' appears more than once in d.csv"],
        ),
        (
            lambda f, r: ["--mod", "x=" + str(_write(r, "i.csv", "s,a\nx,1\ny,inf\n"))],
            ["i.csv holds infinite values"],
        ),
        (
            lambda f, r: [
                "--mod",
                f"x={f['left']}",
                "--mod",
                "y=" + str(_write(r, "o.csv", "s,a\nq,1\n")),
            ],
            ["modality 'x'", "left.csv", "shares no sample name with 'y'"],
        ),
        (
            lambda f, r: ["--mod", "x=" + str(_write(r, "not.h5ad", "a,b"))],
            ["--mod x=", "not.h5ad is not an HDF5 file"],
        ),
        (lambda f, r: ["--mudata", str(f["left"])], ["--mudata", "expected an .h5mu file"]),
        (lambda f, r: ["--mudata", str(f["m0.h5ad"])], ["give an .h5ad per modality with --mod"]),
        (
            lambda f, r: ["--mudata", str(_write(r, "x.h5mu", "text"))],
            ["--mudata", "x.h5mu is not an HDF5 file"],
        ),
        (lambda f, r: ["--mudata", str(f["h5mu"]), "--modalities", "rna"], ["no modality 'rna'"]),
        (lambda f, r: ["--mudata", str(r / "nope.h5mu")], ["--mudata", "does not exist"]),
        (
            lambda f, r: ["--mudata", str(f["h5mu"]), "--transpose", "m0"],
            ["--transpose applies to text matrices"],
        ),
        (
            lambda f, r: ["--mod", f"x={f['left']}", "--modalities", "m0"],
            ["--modalities chooses modalities of a --mudata file"],
        ),
        (
            lambda f, r: ["--mod", f"x={f['left']}", "--format", "tcga"],
            ["--mod x=", "--format tcga expects TCGA sample barcodes", "--format matrix"],
        ),
        (
            lambda f, r: ["--mod", f"x={f['left']}", "--sample-types", "all"],
            ["--sample-types all: applies to TCGA matrices"],
        ),
        (lambda f, r: ["--mod", f"x={f['left']}", "--sample-types", "tumour"], ["two-digit"]),
        (
            lambda f, r: ["--mod", f"x={f['m0.h5ad']}", "--transpose", "x"],
            ["--transpose applies to text matrices", "m0.h5ad is AnnData"],
        ),
        (lambda f, r: ["--mod", f"x={f['left']}", "--transpose", "y"], ["unknown modality 'y'"]),
        (
            lambda f, r: ["--mod", f"x={f['left']}", "--clinical", str(f["h5mu"])],
            ["--clinical", "expected a text table"],
        ),
        (
            lambda f, r: [
                "--mod",
                f"x={f['left']}",
                "--clinical",
                str(_write(r, "c.csv", "s,a\nq,1\n")),
            ],
            ["--clinical", "no row of c.csv names a sample"],
        ),
        (
            lambda f, r: ["--mod", f"x={f['m0.h5ad']}", "--layer", "x=counts"],
            ["modality 'x' has no layer 'counts'"],
        ),
    ],
)
def test_bad_inputs_exit_2_with_one_line(files, tmp_path, capsys, make, messages):
    line = _bad(tmp_path, capsys, make(files, tmp_path))
    for message in messages:
        assert message in line


def test_sample_types_without_a_match(tmp_path, capsys):
    rna = _tcga_tsv(tmp_path, types=("11",))
    line = _bad(tmp_path, capsys, ["--mod", f"rna={rna}"])
    assert "--mod rna=" in line and "no sample of type 01" in line and "types found: 11" in line
    assert "--sample-types all" in line


def test_csv_with_format_tcga_and_sample_types_all_is_a_message(files, tmp_path, capsys):
    """The newcomer's case: a traceback (TypeError in _tcga_matrix) before."""
    args = ["--mod", f"left={files['left']}", "--format", "tcga", "--sample-types", "all"]
    line = _bad(tmp_path, capsys, args)
    assert "--mod left=" in line and "TCGA sample barcodes" in line


def test_read_tcga_without_sample_columns_is_a_value_error(tmp_path):
    path = _write(tmp_path, "comma.tsv", "gene,TCGA-AB-1000-01\ng1,1\n")  # not tab-separated
    with pytest.raises(ValueError, match="no sample columns"):
        ov.datasets.read_tcga({"rna": path}, sample_types=None)
