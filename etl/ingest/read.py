"""The read step: readers for the file formats :func:`etl.ingest.ingest` accepts: CSV, Parquet and GeoPackage.

Each reader returns a :class:`RawTable`: the file's own column names, every value as text (or
``None`` when empty) so the validator sees what the user typed, the original line (CSV) or row
(Parquet, GeoPackage) number of every record, the geometry column if the file has one, and the
file's CRS. Anything structurally wrong with a file raises :class:`IngestFileError` with a message
that says what is wrong, where, and how to fix it -- never a parser traceback.

CSV encodings: UTF-8 (with or without BOM), UTF-16 with BOM (Excel "Unicode text") and CP949 /
EUC-KR (the usual encoding of files from the Korean public data portal) are decoded. Anything else
is refused with the encoding ``charset_normalizer`` detects and a conversion command.
"""

from __future__ import annotations

import codecs
import csv
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

import numpy as np
import pandas as pd
from pyproj import CRS

from etl.ingest.errors import IngestFileError

log = logging.getLogger(__name__)

CSV_SUFFIXES: Final = (".csv",)
PARQUET_SUFFIXES: Final = (".parquet", ".geoparquet", ".pq")
GPKG_SUFFIXES: Final = (".gpkg",)
SUPPORTED_SUFFIXES: Final = (*CSV_SUFFIXES, *PARQUET_SUFFIXES, *GPKG_SUFFIXES)

#: Cell texts read as "no value".
MISSING_TOKENS: Final = frozenset({"", "na", "n/a", "nan", "null", "none", "<na>", "nat"})

_SAMPLE_BYTES: Final = 1 << 20  # bytes used to detect the encoding
_DELIMITERS: Final = (",", "\t", ";", "|")
_HANGUL: Final = re.compile("[\uac00-\ud7a3]")
_MAX_LISTED: Final = 10  # lines listed in one error message
#: Longest CSV field read; longer values are rejected row by row by the schema limits step.
MAX_FIELD_CHARS: Final = 1 << 20
#: Encodings that decode as CP949 by accident, with what they are.
_NOT_KOREAN: Final = {
    "cp932": "Japanese Shift-JIS",
    "shift_jis": "Japanese Shift-JIS",
    "shift_jis_2004": "Japanese Shift-JIS",
    "euc_jp": "Japanese EUC-JP",
    "gb2312": "Simplified Chinese GB2312",
    "gbk": "Simplified Chinese GBK",
    "gb18030": "Simplified Chinese GB18030",
    "big5": "Traditional Chinese Big5",
    "cp950": "Traditional Chinese Big5",
}


@dataclass(frozen=True, slots=True)
class RawTable:
    """A file read as text, before validation.

    Attributes
    ----------
    frame
        One column per file column (original names, in file order); values are ``str`` or
        ``None``. The geometry column of spatial files is not included.
    lines
        For each record, the line of the file where it starts (CSV, header = line 1) or its
        1-based row number (Parquet, GeoPackage).
    line_label
        ``"line"`` for CSV, ``"row"`` otherwise.
    geometry
        Shapely geometries (object array, ``None`` for missing) or ``None`` if the file has no
        geometry column.
    crs
        The CRS the file declares, if any.
    encoding
        The text encoding a CSV was decoded with (``None`` for binary formats).
    """

    frame: pd.DataFrame
    lines: np.ndarray
    line_label: str
    geometry: np.ndarray | None = None
    crs: CRS | None = None
    encoding: str | None = None


def read_table(path: Path, *, layer: str | None = None) -> RawTable:
    """Read ``path`` by its extension.

    Parameters
    ----------
    path
        A ``.csv``, ``.parquet`` (or ``.geoparquet``/``.pq``) or ``.gpkg`` file.
    layer
        GeoPackage layer to read; needed only when the file has several layers.

    Returns
    -------
    RawTable
        The file's records as text, with line numbers, geometry and CRS.

    Raises
    ------
    IngestFileError
        Missing, empty, unsupported, undecodable, truncated or otherwise malformed file.
    """
    path = Path(path)
    if not path.exists():
        raise IngestFileError(f"{path}: file not found")
    if not path.is_file():
        raise IngestFileError(f"{path}: not a file")
    if path.stat().st_size == 0:
        raise IngestFileError(f"{path}: the file is empty (0 bytes)")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        table = _read_csv(path)
    elif suffix in PARQUET_SUFFIXES:
        table = _read_parquet(path)
    elif suffix in GPKG_SUFFIXES:
        table = _read_gpkg(path, layer)
    else:
        hint = " (save the sheet as 'CSV UTF-8' in Excel)" if suffix in (".xls", ".xlsx") else ""
        raise IngestFileError(
            f"{path}: unsupported file type {suffix or '(no extension)'!r}; expected one of "
            f"{', '.join(SUPPORTED_SUFFIXES)}{hint}"
        )
    if not len(table.frame):
        raise IngestFileError(
            f"{path}: no data rows (only a header with columns {list(table.frame.columns)})"
        )
    return table


# --------------------------------------------------------------------------- CSV
def detect_encoding(sample: bytes, *, path: Path | str = "file") -> str:
    """Return the codec to decode a CSV whose first bytes are ``sample``.

    UTF-8 (BOM or not) and UTF-16 with a BOM are recognised; then CP949 (a superset of EUC-KR)
    is accepted when it decodes the sample and yields Hangul.

    Raises
    ------
    IngestFileError
        If the sample is binary or in another encoding; the message names the encoding that
        ``charset_normalizer`` detects and how to convert the file to UTF-8.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        raise IngestFileError(
            f"{path}: this is not a text CSV file (it contains NUL bytes); is it a spreadsheet "
            "or a Parquet/GeoPackage file with a .csv name?"
        )
    if _decodes(sample, "utf-8"):
        return "utf-8"
    if _decodes(sample, "cp949") and _HANGUL.search(
        codecs.getincrementaldecoder("cp949")().decode(sample, final=False)
    ):
        # Shift-JIS (and other CJK encodings) often decode as CP949 too, into nonsense Hangul
        # from CP949's extension area; plain EUC-KR text does not need that area.
        if _decodes(sample, "euc-kr"):
            return "cp949"
        detected = _guess_encoding(sample)
        if detected.replace("-", "_").lower() not in _NOT_KOREAN:
            return "cp949"
        raise IngestFileError(
            f"{path}: the file looks like {detected} ({_NOT_KOREAN[detected.replace('-', '_').lower()]}), "
            f"not Korean CP949/EUC-KR: decoded as Korean it gives meaningless Hangul; convert it "
            f"to UTF-8, e.g. `iconv -f {detected.upper()} -t UTF-8 in.csv > out.csv`, or save it "
            "from Excel as 'CSV UTF-8'"
        )
    detected = _guess_encoding(sample)
    raise IngestFileError(
        f"{path}: the file is neither UTF-8 nor CP949/EUC-KR (detected encoding: {detected}); "
        f"convert it to UTF-8, e.g. `iconv -f {detected.upper()} -t UTF-8 in.csv > out.csv`, "
        "or save it from Excel as 'CSV UTF-8'"
    )


def _decodes(sample: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _guess_encoding(sample: bytes) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    return best.encoding if best is not None else "unknown"


def _read_csv(path: Path) -> RawTable:
    with open(path, "rb") as fh:
        sample = fh.read(_SAMPLE_BYTES)
    encoding = detect_encoding(sample, path=path)
    if encoding == "cp949":
        log.info("%s: decoding as CP949 (EUC-KR)", path.name)
    try:
        with open(path, encoding=encoding, errors="strict", newline="") as fh:
            header, records, lines = _parse_csv(fh, path, encoding)
    except UnicodeDecodeError as exc:
        raise IngestFileError(
            f"{path}: bytes at offset {exc.start} are not valid {encoding} (the file mixes "
            f"encodings or is damaged); re-export it as UTF-8"
        ) from None
    frame = pd.DataFrame(records, columns=header, dtype=object)
    frame = frame.apply(_blank_to_none) if len(frame) else frame
    return RawTable(
        frame=frame,
        lines=np.asarray(lines, dtype=np.int64),
        line_label="line",
        encoding="utf-8" if encoding == "utf-8-sig" else encoding,
    )


def _parse_csv(
    fh: IO[str], path: Path, encoding: str
) -> tuple[list[str], list[list[str]], list[int]]:
    """Parse a CSV stream, returning header, records and each record's starting line."""
    first = fh.readline()
    if not first.strip().lstrip("\ufeff"):
        rest = fh.read(1)
        raise IngestFileError(
            f"{path}: the file is empty"
            if not rest
            else f"{path}: line 1 is blank; the first line must be the header with the column names"
        )
    delimiter = max(_DELIMITERS, key=first.count)
    if csv.field_size_limit() < MAX_FIELD_CHARS:
        csv.field_size_limit(MAX_FIELD_CHARS)
    reader = csv.reader(_chain(first, fh), delimiter=delimiter, strict=True)
    problems: list[str] = []
    records: list[list[str]] = []
    lines: list[int] = []
    header: list[str] = []
    prev_end = 0
    short_last: int | None = None  # set when the latest record is short, cleared by a good one
    try:
        for row in reader:
            start = prev_end + 1
            prev_end = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            if not header:
                header = [h.strip().lstrip("\ufeff") for h in row]
                continue
            short_last = None
            if len(row) != len(header):
                problems.append(f"line {start} has {len(row)} fields, the header has {len(header)}")
                short_last = start if len(row) < len(header) else None
                continue
            records.append(row)
            lines.append(start)
    except csv.Error as exc:
        line = prev_end + 1
        if "field larger than field limit" in str(exc):
            raise IngestFileError(
                f"{path}: a field starting on or after line {line} is longer than "
                f"{MAX_FIELD_CHARS:,} characters; no column holds that much text, so a quote is "
                "probably never closed (or the file is not a CSV)"
            ) from None
        if "end of data" in str(exc):
            raise IngestFileError(
                f"{path}: truncated or malformed CSV: a quoted field opened on or after line "
                f"{line} is never closed (the file may have been cut off; check the last line)"
            ) from None
        raise IngestFileError(f"{path}: malformed CSV near line {reader.line_num}: {exc}") from None
    _check_header(header, path)
    if problems:
        last_short = short_last is not None and len(problems) == 1
        if last_short:
            raise IngestFileError(
                f"{path}: the file looks truncated: {problems[0]} (the last record is cut short)"
            )
        shown = "; ".join(problems[:_MAX_LISTED])
        more = f" (and {len(problems) - _MAX_LISTED} more)" if len(problems) > _MAX_LISTED else ""
        raise IngestFileError(
            f"{path}: {len(problems)} records do not have as many fields as the header "
            f"(delimiter {delimiter!r}): {shown}{more}; quote fields that contain the delimiter"
        )
    log.debug(
        "%s: %d records, delimiter %r, encoding %s", path.name, len(records), delimiter, encoding
    )
    return header, records, lines


def _chain(first: str, rest: IO[str]) -> Iterator[str]:
    yield first
    yield from rest


def _check_header(header: list[str], path: Path) -> None:
    numeric = [h for h in header if re.fullmatch(r"[-+]?[\d.,]+", h)]
    if header and len(numeric) * 2 >= len(header):
        shown = ", ".join(repr(h) for h in header[:4])
        raise IngestFileError(
            f"{path}: the first line looks like data, not a header ({shown}, ...); add a header "
            "line with the column names"
        )
    problems: list[str] = []
    empty = [i + 1 for i, h in enumerate(header) if not h]
    if empty:
        problems.append(f"columns {empty} have no name")
    counts = pd.Series(header).value_counts()
    dups = sorted(counts[(counts > 1) & (counts.index != "")].index)
    if dups:
        problems.append(f"duplicate column names {dups}")
    if problems:
        raise IngestFileError(f"{path}: bad header line: " + "; ".join(problems))


def _blank_to_none(column: pd.Series) -> pd.Series:
    values = column.to_numpy(dtype=object)
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        if v is None:
            out[i] = None
            continue
        s = str(v).strip()
        out[i] = None if s.lower() in MISSING_TOKENS else s
    return pd.Series(out, index=column.index, dtype=object, name=column.name)


# --------------------------------------------------------------------------- Parquet
def _read_parquet(path: Path) -> RawTable:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(path)
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise IngestFileError(
            f"{path}: not a readable Parquet file (truncated or corrupt: {_short(exc)}); "
            "re-export the file"
        ) from None
    kv = meta.metadata or {}
    geometry: np.ndarray | None = None
    crs: CRS | None = None
    if b"geo" in kv:
        import geopandas as gpd

        try:
            gdf = gpd.read_parquet(path)
        except Exception as exc:
            raise IngestFileError(
                f"{path}: bad GeoParquet geometry metadata: {_short(exc)}"
            ) from None
        geom_name = gdf.geometry.name
        geometry = np.asarray(gdf.geometry.to_numpy(), dtype=object)
        crs = gdf.crs
        frame = pd.DataFrame(gdf.drop(columns=[geom_name]))
    else:
        frame = table.to_pandas()
    return RawTable(
        frame=_stringify(frame),
        lines=np.arange(1, len(frame) + 1, dtype=np.int64),
        line_label="row",
        geometry=geometry,
        crs=crs,
    )


# --------------------------------------------------------------------------- GeoPackage
def _read_gpkg(path: Path, layer: str | None) -> RawTable:
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError

    try:
        layers = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    except (DataSourceError, DataLayerError, OSError) as exc:
        raise IngestFileError(f"{path}: not a readable GeoPackage ({_short(exc)})") from None
    if layer is None:
        if len(layers) != 1:
            raise IngestFileError(
                f"{path}: the GeoPackage has {len(layers)} layers {layers}; pass layer= to choose one"
            )
        layer = layers[0]
    elif layer not in layers:
        raise IngestFileError(f"{path}: no layer {layer!r}; layers: {layers}")
    try:
        gdf = pyogrio.read_dataframe(path, layer=layer)
    except (DataSourceError, DataLayerError, OSError) as exc:
        raise IngestFileError(f"{path}: cannot read layer {layer!r} ({_short(exc)})") from None
    geometry = None
    crs = None
    if "geometry" in getattr(gdf, "columns", []) and hasattr(gdf, "crs"):
        geometry = np.asarray(gdf.geometry.to_numpy(), dtype=object)
        crs = gdf.crs
        frame = pd.DataFrame(gdf.drop(columns=["geometry"]))
    else:
        frame = pd.DataFrame(gdf)
    return RawTable(
        frame=_stringify(frame),
        lines=np.arange(1, len(frame) + 1, dtype=np.int64),
        line_label="row",
        geometry=geometry,
        crs=crs,
    )


def _stringify(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as text (``None`` for missing), as if it had been read from a CSV."""
    out = {}
    for col in frame.columns:
        series = frame[col]
        missing = series.isna().to_numpy()
        if pd.api.types.is_float_dtype(series.dtype):
            text = [_format_float(v) for v in series.to_numpy()]
        elif pd.api.types.is_datetime64_any_dtype(series.dtype):
            text = [v.isoformat() if not pd.isna(v) else None for v in series]
        else:
            text = [str(v) for v in series.to_numpy(dtype=object)]
        values = np.asarray(text, dtype=object)
        values[missing] = None
        out[str(col)] = pd.Series(values, dtype=object)
    result = pd.DataFrame(out, index=pd.RangeIndex(len(frame)))
    return result.apply(_blank_to_none) if len(result) else result


def _format_float(value: float) -> str | None:
    if value != value:  # NaN
        return None
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
