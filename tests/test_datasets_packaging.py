import tomllib
from pathlib import Path

from setuptools import find_namespace_packages

from omicvae.datasets._files import shipped_file

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_file_resolves():
    path = shipped_file("tcga_acc.h5mu")
    assert path.is_file() and 100_000 < path.stat().st_size < 2_000_000


def test_every_subpackage_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {
        p
        for p in find_namespace_packages(str(ROOT), include=["omicvae*"])
        if "__pycache__" not in p
    }
    missing = sorted(found - listed)
    assert not missing, f"add {missing} to [tool.setuptools] packages in pyproject.toml"
    assert config["package-dir"]["omicvae.datasets._data"] == "data"
