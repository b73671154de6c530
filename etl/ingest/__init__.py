"""Validate and load households, facilities and crisis signals from files into the store.

:func:`ingest` (in :mod:`etl.ingest.pipeline`) reads a CSV (UTF-8 or CP949), Parquet/GeoParquet or GeoPackage file, checks every
row (all problems of a row are recorded, not just the first), writes the rejected rows with their
reasons to a quarantine CSV and loads the rest with **one** ``store.write_frame(..., mode="upsert")``
call, so a load is atomic and loading the same file twice changes nothing. If more than
``max_reject_share`` of the rows are rejected, nothing is written to the store.

Policies (see ``docs/ingest.md``):

* **Region codes.** Missing ``emd_code`` is derived from the point (point in 읍면동 polygon; a point
  up to 250 m outside every polygon, e.g. on a pier, takes the nearest one). A given ``emd_code``
  must exist; if the point lies outside that 읍면동 but within 500 m of it the declared code is kept
  and the row is counted under ``warnings_count``; farther away the row is rejected.
  ``sigungu_code`` and ``sido_code`` are always derived from the 읍면동; given values that
  disagree reject the row.
* **Facility types.** The portal's 시설종류 text is matched to ``etl/reference/facility_types.csv``
  exactly, then after normalisation (spaces, dots and brackets removed, a trailing "서비스"
  ignored), then by containment (the longest type name contained in the text). Text that matches
  no type, or two types equally well, is rejected -- never mapped to a generic type, because the
  supply/demand analysis groups facilities by target group and function.
* **Duplicates.** Every copy of a duplicated key is rejected (each names the other lines).

The package is one module per step: :mod:`~etl.ingest.read` (file formats), :mod:`~etl.ingest.columns`
(column aliases), :mod:`~etl.ingest.parse` (cell parsers), :mod:`~etl.ingest.crs` (coordinates),
:mod:`~etl.ingest.regions` (region codes), one validator per kind (:mod:`~etl.ingest.households`,
:mod:`~etl.ingest.facilities`, :mod:`~etl.ingest.signals`), :mod:`~etl.ingest.checks` (problem
collection), :mod:`~etl.ingest.quarantine` and :mod:`~etl.ingest.write`; :mod:`~etl.ingest.pipeline`
runs them in order.
"""

from etl.ingest.crs import SUPPORTED_EPSG
from etl.ingest.errors import IngestError, IngestFileError, IngestRejectedError
from etl.ingest.pipeline import IngestReport, Kind, ingest

__all__ = [
    "SUPPORTED_EPSG",
    "IngestError",
    "IngestFileError",
    "IngestRejectedError",
    "IngestReport",
    "Kind",
    "ingest",
]
