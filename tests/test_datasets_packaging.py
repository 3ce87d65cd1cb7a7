import tomllib
from pathlib import Path

from omicvae.datasets._files import shipped_file

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_file_resolves():
    path = shipped_file("tcga_acc.h5mu")
    assert path.is_file() and 100_000 < path.stat().st_size < 2_000_000


def python_subpackages(root: Path) -> set[str]:
    """Dotted names of the folders of ``root/omicvae`` (itself included) that hold .py files.

    Only the ``omicvae`` package tree counts: output folders beside it (``omicvae_demo/`` written
    by ``make demo``), ``__pycache__`` and folders without Python files are not subpackages.
    """
    package = root / "omicvae"
    folders = [package, *(p for p in package.rglob("*") if p.is_dir())]
    return {
        ".".join(folder.relative_to(root).parts)
        for folder in folders
        if "__pycache__" not in folder.parts and any(folder.glob("*.py"))
    }


def test_subpackages_are_the_python_folders_of_the_package_only(tmp_path):
    for folder, files in {
        "omicvae": ["__init__.py"],
        "omicvae/tl": ["__init__.py"],
        "omicvae/nspkg": ["_no_init.py"],  # namespace package: still has to be listed
        "omicvae/tl/__pycache__": ["x.cpython-311.pyc"],
        "omicvae/assets": ["logo.png"],
        "omicvae_demo": ["summary.txt"],  # `make demo` output beside the package
        "omicvae_fit/sub": ["helper.py"],  # even with Python files: not in the omicvae tree
    }.items():
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        for name in files:
            (tmp_path / folder / name).write_text("")
    assert python_subpackages(tmp_path) == {"omicvae", "omicvae.tl", "omicvae.nspkg"}


def test_every_subpackage_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = python_subpackages(ROOT)
    assert "omicvae.cli" in found
    missing = sorted(found - listed)
    assert not missing, f"add {missing} to [tool.setuptools] packages in pyproject.toml"
    assert config["package-dir"]["omicvae.datasets._data"] == "data"
