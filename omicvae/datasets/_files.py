"""Locate data files shipped with omicvae (wheel, sdist or a source checkout)."""

from __future__ import annotations

from importlib import resources
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
