"""Validation of facility files (table ``facility``; the data portal's 사회복지시설 layout or ours)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

from domain.progress import Progress
from etl.ingest.checks import Checks
from etl.ingest.columns import Columns, field_label, missing_columns_error
from etl.ingest.crs import read_coordinates, with_points
from etl.ingest.parse import (
    int_text,
    map_obj,
    normalise_code,
    parse_count,
    reject_duplicates,
    require,
)
from etl.ingest.read import RawTable
from etl.ingest.regions import assign_regions, load_regions
from geodata.store.base import Store

_FACILITY_ID: Final = ("facility_id", "시설코드", "시설id", "시설아이디")
_FACILITY_NAME: Final = ("name", "시설명", "기관명", "시설이름")
_FACILITY_TYPE_TEXT: Final = (
    "type_name",
    "시설종류상세명",
    "시설종류상세",
    "세부시설종류",
    "시설종류명",
    "시설종류",
    "시설유형",
    "시설구분",
)
_FACILITY_CAPACITY: Final = ("capacity", "정원", "입소정원", "이용정원", "정원수", "정원(명)")
_FACILITY_USERS: Final = ("current_users", "현원", "입소현원", "이용현원", "현원수", "현원(명)")
_FACILITY_ADDRESS: Final = (
    "address",
    "주소",
    "소재지도로명주소",
    "도로명주소",
    "소재지주소",
    "소재지지번주소",
    "지번주소",
)
#: Common names that differ from the reference names in more than spacing.
_TYPE_ALIASES: Final[dict[str, str]] = {
    "노인종합복지관": "F06",
    "장애인종합복지관": "F24",
    "종합사회복지관": "F55",
    "그룹홈": "F37",
    "아동그룹홈": "F37",
    "재가노인복지시설방문요양": "F09",
    "주야간보호": "F10",
    "방문요양": "F09",
}


def _normalise_type(text: str) -> str:
    s = unicodedata.normalize("NFC", str(text))
    s = re.sub(r"[\s·ㆍ・.,()\[\]\-/_'\"]", "", s)
    return s.removesuffix("서비스")


class _TypeMatcher:
    """Matches facility type text to the reference types (exact, normalised, contained)."""

    def __init__(self, types: pd.DataFrame) -> None:
        self.types = types.set_index("type_code", drop=False)
        self.exact = {
            str(n).strip(): str(c)
            for c, n in zip(types["type_code"], types["type_name"], strict=True)
        }
        self.norm = {_normalise_type(n): c for n, c in self.exact.items()}
        self.norm |= {k: v for k, v in _TYPE_ALIASES.items() if v in self.types.index}
        self.codes = {str(c).upper(): str(c) for c in types["type_code"]}

    def match(self, text: str) -> tuple[str | None, str | None]:
        """Return (type_code, None) or (None, problem)."""
        t = text.strip()
        if t.upper() in self.codes:
            return self.codes[t.upper()], None
        if t in self.exact:
            return self.exact[t], None
        n = _normalise_type(t)
        if n in self.norm:
            return self.norm[n], None
        contained = [(len(k), c, k) for k, c in self.norm.items() if k and k in n]
        if not contained:
            return None, "unknown"
        longest = max(contained)[0]
        best = sorted({c for length, c, _ in contained if length == longest})
        if len(best) > 1:
            return None, "ambiguous (" + ", ".join(
                f"{c} {self.types.loc[c, 'type_name']}" for c in best
            ) + ")"
        return best[0], None


def _facility_types() -> pd.DataFrame:
    from etl.reference_data import facility_types

    return facility_types()


def validate_facilities(
    raw: RawTable, checks: Checks, store: Store, crs: int | None, path: Path, step: Progress
) -> tuple[gpd.GeoDataFrame, int]:
    cols = Columns(raw)
    name_col = cols.find(*_FACILITY_NAME)
    type_code_col = cols.find("type_code", "시설종류코드")
    type_cols = cols.find_all(*_FACILITY_TYPE_TEXT)
    cap_col = cols.find(*_FACILITY_CAPACITY)
    users_col = cols.find(*_FACILITY_USERS)
    missing = []
    if name_col is None:
        missing.append("시설명 (name)")
    if type_code_col is None and not type_cols:
        missing.append("시설종류 (type_name or type_code)")
    if cap_col is None:
        missing.append("정원 (capacity)")
    if users_col is None:
        missing.append("현원 (current_users)")
    if not cols.has_geometry() and cols.coordinate_columns() is None:
        missing.append("경도/위도 (lon/lat, x/y or a point geometry)")
    if missing:
        raise missing_columns_error(path, "facilities", missing, raw.frame.columns)
    assert name_col and cap_col and users_col
    n = len(raw.frame)
    name = cols.values(name_col).astype(object)
    require(cols.values(name_col), field_label(name_col, "name"), checks)
    types = _facility_types()
    matcher = _TypeMatcher(types)
    type_code = _match_types(cols, type_code_col, type_cols, matcher, checks, n)
    capacity = parse_count(cols.values(cap_col), field_label(cap_col, "capacity"), checks)
    users = parse_count(cols.values(users_col), field_label(users_col, "current_users"), checks)
    checks.add(
        (users > capacity).to_numpy(),
        "more users than capacity",
        field_label(users_col, "current_users")
        + " "
        + cols.values(users_col).astype(object).astype(str)
        + " exceeds "
        + field_label(cap_col, "capacity")
        + " "
        + cols.values(cap_col).astype(object).astype(str),
    )
    address_cols = cols.find_all(*_FACILITY_ADDRESS)
    address = pd.Series([None] * n, dtype=object)
    for c in address_cols:
        address = address.where(address.notna(), cols.values(c).astype(object))
    lon, lat, epsg = read_coordinates(raw, cols, checks, crs, path)

    id_col = cols.find(*_FACILITY_ID)
    if id_col is not None:
        ids_raw = cols.values(id_col).astype(object)
        require(cols.values(id_col), field_label(id_col, "facility_id"), checks)
        ids = pd.Series([_facility_id_from_code(v) for v in ids_raw], dtype="float64")
        reject_duplicates(
            pd.DataFrame({"id": ids}),
            lambda k: f"{field_label(id_col, 'facility_id')} {int_text(k[0])}",
            "duplicate facility_id",
            checks,
        )
    else:
        ids = pd.Series(
            [
                float(_stable_id(nm, ad, x, y))
                if nm is not None and np.isfinite(x) and np.isfinite(y)
                else np.nan
                for nm, ad, x, y in zip(name, address, lon, lat, strict=True)
            ],
            dtype="float64",
        )
        reject_duplicates(
            pd.DataFrame({"id": ids}),
            lambda _k: "facility (same name, address and coordinates)",
            "duplicate facility",
            checks,
        )
    step(0.6, "regions")
    codes = assign_regions(cols, lon, lat, checks, load_regions(store))
    ref = types.set_index("type_code")
    tc = map_obj(type_code, lambda c: c)
    frame = pd.DataFrame(
        {
            "facility_id": ids,
            "name": name,
            "type_code": tc,
            "type_name": map_obj(tc, lambda c: None if c is None else ref.at[c, "type_name"]),
            "target_group": map_obj(tc, lambda c: None if c is None else ref.at[c, "target_group"]),
            "function": map_obj(tc, lambda c: None if c is None else ref.at[c, "function"]),
            "capacity": capacity,
            "current_users": users,
            "address": address,
        }
    )
    frame = pd.concat([frame, codes], axis=1)
    return with_points(frame, lon, lat), epsg


def _match_types(
    cols: Columns,
    type_code_col: str | None,
    type_cols: list[str],
    matcher: _TypeMatcher,
    checks: Checks,
    n: int,
) -> pd.Series:
    result = pd.Series([None] * n, dtype=object)
    problem = pd.Series([None] * n, dtype=object)
    shown = pd.Series([None] * n, dtype=object)
    sources = ([type_code_col] if type_code_col else []) + type_cols
    for col in sources:
        values = cols.values(col).astype(object)
        uniques = set(values.dropna().unique())
        matched = {v: matcher.match(str(v)) for v in uniques}
        code = map_obj(values, lambda v, m=matched: None if v is None else m[v][0])
        why = map_obj(values, lambda v, m=matched: None if v is None else m[v][1])
        todo = result.isna()
        result = result.where(~todo, code)
        first_problem = todo & problem.isna() & why.notna()
        problem = problem.where(~first_problem, why)
        shown = shown.where(~(todo & shown.isna() & values.notna()), values)
    none_given = shown.isna().to_numpy()
    label = "/".join(sources)
    checks.add(
        none_given & result.isna().to_numpy(),
        "missing required field",
        f"missing required field {label}",
    )
    bad = (result.isna() & shown.notna()).to_numpy()
    if bad.any():
        msgs = [
            f"{'ambiguous' if str(p).startswith('ambiguous') else 'unknown'} facility type '{s}'"
            + (
                f": {p.removeprefix('ambiguous ')}"
                if str(p).startswith("ambiguous")
                else " (not in etl/reference/facility_types.csv)"
            )
            for s, p in zip(shown, problem, strict=True)
        ]
        checks.add(bad, "unknown facility type", pd.Series(msgs, dtype=object))
    return result


def _facility_id_from_code(value: object) -> float:
    if value is None:
        return np.nan
    text = normalise_code(value) or ""
    if re.fullmatch(r"\d{1,18}", text):
        return float(int(text)) if int(text) < 2**53 else float(_hash63("code:" + text))
    return float(_hash63("code:" + text))


def _stable_id(name: str, address: str | None, lon: float, lat: float) -> int:
    """A positive 53-bit id from name, address and coordinates (stable across re-loads)."""
    norm_name = re.sub(r"\s+", "", unicodedata.normalize("NFC", name))
    norm_addr = re.sub(r"\s+", "", unicodedata.normalize("NFC", address or ""))
    return _hash63(f"{norm_name}|{norm_addr}|{lon:.5f}|{lat:.5f}")


def _hash63(text: str) -> int:
    # 53 bits so the id survives float64 round trips (pandas NaN-able id columns).
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") & ((1 << 53) - 1)
