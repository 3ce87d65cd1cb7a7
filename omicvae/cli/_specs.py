"""Parsing and checking of the ``NAME=VALUE`` options of the command line."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

__all__ = ["UsageError", "check_paths", "parse_devices", "parse_pairs"]


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
            raise UsageError(
                f"{option} {raw!r}: expected NAME={what}, e.g. {option} rna={_example(what)}"
            )
        if name in pairs:
            raise UsageError(f"{option}: modality {name!r} is given twice")
        pairs[name] = value
    return pairs


def _example(what: str) -> str:
    return {"PATH": "rna.tsv", "LIKELIHOOD": "normal", "LAYER": "log1p"}.get(what, "VALUE")


def check_known(pairs: dict[str, str], known: Iterable[str], option: str) -> None:
    """Every name in ``pairs`` must be a known modality."""
    known = list(known)
    unknown = [name for name in pairs if name not in known]
    if unknown:
        raise UsageError(f"{option}: unknown modality {unknown[0]!r}; the modalities are {known}")


def check_likelihoods(likelihoods: dict[str, str]) -> None:
    """Every value must be one of the supported likelihoods."""
    from ..distributions import likelihood_names

    known = list(likelihood_names())
    for name, lik in likelihoods.items():
        if lik not in known:
            raise UsageError(
                f"--likelihood {name}={lik}: unknown likelihood {lik!r}; choose one of {known}"
            )


def check_paths(paths: dict[str, str], option: str) -> dict[str, Path]:
    """Every path must be an existing file; returns them as :class:`~pathlib.Path`.

    A name ``""`` stands for an option that takes a path alone (``--mudata PATH``).
    """
    out = {}
    for name, raw in paths.items():
        path = Path(raw).expanduser()
        if not path.is_file():
            what = "is a folder, not a file" if path.is_dir() else "does not exist"
            given = f"{name}={raw}" if name else raw
            raise UsageError(f"{option} {given}: file {str(path)!r} {what}")
        out[name] = path
    return out


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
