"""Parsing and checking of the ``NAME=VALUE`` options of the command line."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

_EXAMPLES = {"PATH": "rna.tsv", "LIKELIHOOD": "normal", "LAYER": "log1p"}
"""The example value of a ``NAME=VALUE`` option in its error message."""


class UsageError(ValueError):
    """A problem with the command-line arguments; reported with exit code 2."""


def parse_pairs(values: Iterable[str] | None, option: str, what: str) -> dict[str, str]:
    """``["a=1", "b=2"]`` -> ``{"a": "1", "b": "2"}``, in the order given, with clear errors.

    ``option`` (``"--mod"``) and ``what`` (``"PATH"``) name the option and its value in messages.
    """
    pairs: dict[str, str] = {}
    for raw in values or ():
        name, sep, value = raw.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            example = _EXAMPLES.get(what, "VALUE")
            raise UsageError(f"{option} {raw!r}: expected NAME={what}, e.g. {option} rna={example}")
        if name in pairs:
            raise UsageError(f"{option}: modality {name!r} is given twice")
        pairs[name] = value
    return pairs


def check_known(known: Iterable[str], options: dict[str, dict[str, str]]) -> None:
    """Every name in the pairs of each option (``{"--layer": pairs}``) must be in ``known``."""
    known = list(known)
    for option, pairs in options.items():
        unknown = [name for name in pairs if name not in known]
        if unknown:
            raise UsageError(
                f"{option}: unknown modality {unknown[0]!r}; the modalities are {known}"
            )


def check_likelihoods(likelihoods: dict[str, str]) -> None:
    """Every value must be one of the supported likelihoods."""
    from ..distributions import likelihood_names

    known = list(likelihood_names())
    for name, lik in likelihoods.items():
        if lik not in known:
            raise UsageError(
                f"--likelihood {name}={lik}: unknown likelihood {lik!r}; choose one of {known}"
            )


def check_path(raw: str | Path, label: str) -> Path:
    """``raw`` as a :class:`~pathlib.Path` to an existing file; ``label`` names the option."""
    path = Path(raw).expanduser()
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise UsageError(f"{label}: file {str(path)!r} {what}")
    return path


def parse_devices(raw: str) -> str | int | list[int]:
    """Lightning's ``devices``: ``"auto"``, a count (``"2"``) or device ids (``"0,1"``)."""
    raw = raw.strip()
    if raw == "auto":
        return raw
    try:
        if "," in raw:
            return [int(part) for part in raw.split(",") if part.strip()]
        return int(raw)
    except ValueError:
        raise UsageError(
            f"--devices {raw!r}: expected 'auto', a number of devices (2) or device ids (0,1)"
        ) from None
