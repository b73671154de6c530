"""Ingest errors; ``str(error)`` is always a complete message for the user."""

from __future__ import annotations

from pathlib import Path


class IngestError(ValueError):
    """Base class of ingest errors; ``str(error)`` is a complete message for the user."""


class IngestFileError(IngestError):
    """The file cannot be read as a table: format, encoding, header or structure is wrong."""


class IngestRejectedError(IngestError):
    """Too many rows were rejected; nothing was written to the store.

    Attributes
    ----------
    share
        Rejected rows / rows read.
    reasons_count
        Rows per reason category.
    quarantine_path
        The quarantine CSV with every rejected row and its reasons.
    """

    def __init__(
        self, message: str, *, share: float, reasons_count: dict[str, int], quarantine_path: Path
    ) -> None:
        super().__init__(message)
        self.share = share
        self.reasons_count = reasons_count
        self.quarantine_path = quarantine_path
