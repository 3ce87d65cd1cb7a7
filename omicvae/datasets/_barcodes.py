"""TCGA barcodes: patient keys and sample types from sample/aliquot barcodes."""

from __future__ import annotations

import re

# TCGA-<TSS>-<participant>[-<sample type><vial>[-<portion><analyte>-<plate>-<centre>]]
_BARCODE = re.compile(r"^TCGA-[A-Z0-9]{2}-[A-Z0-9]{4}(-(?P<type>\d{2})[A-Z]?)?(-|$)")


def normalise(barcode: str) -> str:
    """Upper-case a barcode and undo the ``.`` separators R's ``make.names`` introduces."""
    return str(barcode).strip().upper().replace(".", "-")


def is_barcode(value: object) -> bool:
    """Whether ``value`` looks like a TCGA patient, sample or aliquot barcode."""
    return isinstance(value, str) and _BARCODE.match(normalise(value)) is not None


def _match(barcode: str) -> re.Match:
    match = _BARCODE.match(normalise(barcode))
    if match is None:
        raise ValueError(f"not a TCGA barcode: {barcode!r} (expected e.g. TCGA-OR-A5J1-01A)")
    return match


def patient(barcode: str) -> str:
    """12-character patient barcode, e.g. ``TCGA-OR-A5J1`` for ``TCGA-OR-A5J1-01A-11R-A29S-07``.

    Raises
    ------
    ValueError
        When ``barcode`` is not a TCGA barcode.
    """
    return _match(barcode).string[:12]


def sample_type(barcode: str) -> str | None:
    """Two-digit sample type (``"01"`` primary tumour, ``"11"`` normal tissue, ...).

    Returns None for a patient-level barcode, which carries no sample type.
    """
    return _match(barcode).group("type")
