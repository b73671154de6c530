"""Dated parameter files: loading, validity periods, sources, reforms as overrides."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from eligibility.parameters import (
    ParameterDateError,
    ParameterFileError,
    ParameterSet,
    current_law,
    load_reform,
)


def test_every_bundled_value_has_a_source_and_a_check_note() -> None:
    params = current_law().parameters
    assert {"median_income", "selection_line", "pension_selection_amount", "property_rule"} <= set(params)
    for param in params.values():
        for value in param.values:
            assert value.source.strip(), param.name
            assert value.checked.strip(), param.name


def test_median_income_is_dated_by_year() -> None:
    """기준 중위소득 1인: 2024 2,228,445 / 2025 2,392,013 / 2026 2,564,238 (고시 2023-150,
    2024-162, 2025-135 as listed in shared/REFERENCE-FACTS.md)."""
    law = current_law()
    assert law.at(dt.date(2024, 12, 31))["median_income"][0] == 2_228_445
    assert law.at(dt.date(2025, 1, 1))["median_income"][0] == 2_392_013
    assert law.at(dt.date(2025, 12, 31))["median_income"][3] == 6_097_773
    assert law.at(dt.date(2026, 1, 1))["median_income"][3] == 6_494_738
    assert "2025-135" in law.at(dt.date(2026, 6, 1)).source("median_income")


@pytest.mark.parametrize("when", [dt.date(2023, 12, 31), dt.date(2027, 1, 1)])
def test_dates_outside_the_known_periods_are_refused_with_the_periods(when: dt.date) -> None:
    with pytest.raises(ParameterDateError, match=r"not known for .*median_income .*known periods: 2024-01-01\.\.2024-12-31"):
        current_law().at(when)


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_overlapping_periods_are_a_file_error(tmp_path: Path) -> None:
    path = _write(tmp_path, """
x:
  description: d
  unit: u
  values:
    - {valid_from: 2024-01-01, valid_to: 2024-12-31, value: 1, source: s, checked: c}
    - {valid_from: 2024-06-01, valid_to: null, value: 2, source: s, checked: c}
""")
    with pytest.raises(ParameterFileError, match="overlap"):
        ParameterSet.load([path])


def test_a_value_without_source_is_a_file_error(tmp_path: Path) -> None:
    path = _write(tmp_path, """
x:
  values:
    - {valid_from: 2024-01-01, valid_to: null, value: 1, checked: c}
""")
    with pytest.raises(ParameterFileError, match="missing source"):
        ParameterSet.load([path])


def test_values_of_different_shapes_are_a_file_error(tmp_path: Path) -> None:
    path = _write(tmp_path, """
x:
  values:
    - {valid_from: 2024-01-01, valid_to: 2024-12-31, value: [1, 2], source: s, checked: c}
    - {valid_from: 2025-01-01, valid_to: null, value: 3, source: s, checked: c}
""")
    with pytest.raises(ParameterFileError, match="different shapes"):
        ParameterSet.load([path])


def test_the_seed_reform_overrides_only_the_property_rule() -> None:
    reform = load_reform("seed_standardisation")
    base = current_law().at(dt.date(2026, 1, 1))
    reformed = current_law().with_reform(reform).at(dt.date(2026, 1, 1))
    assert reformed["property_rule"]["near_poor"] == "type2"
    assert reformed["property_rule"]["basic_pension"] == "type3"
    assert base["property_rule"]["near_poor"] == "blsa"
    assert reformed.reform == "seed_standardisation"
    assert "표준화" in reformed.source("property_rule")
    changed = [n for n in base.values if base[n] != reformed[n]]
    assert changed == ["property_rule"]


def test_a_reform_naming_an_unknown_parameter_or_key_is_refused(tmp_path: Path) -> None:
    good = load_reform("seed_standardisation")
    bad_name = type(good)(**{**good.__dict__, "overrides": {"no_such": 1}})
    with pytest.raises(ParameterFileError, match="unknown parameter no_such"):
        current_law().with_reform(bad_name)
    bad_key = type(good)(**{**good.__dict__, "overrides": {"selection_line": {"luxury": 0.9}}})
    with pytest.raises(ParameterFileError, match="unknown keys"):
        current_law().with_reform(bad_key)
    with pytest.raises(ParameterFileError, match="does not exist"):
        load_reform(tmp_path / "missing.yaml")
