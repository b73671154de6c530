"""Dated parameters: every figure with its validity period and its legal or official source.

The parameter files (``eligibility/parameters/*.yaml``) hold one entry per parameter::

    median_income:
      description: 기준 중위소득 (월, 원), 가구원 수 1–7인
      unit: KRW per month, indexed by household size 1..7
      values:
        - valid_from: 2026-01-01
          valid_to: 2026-12-31          # inclusive; null = until further notice
          value: [2564238, ...]         # a number, a list or a mapping
          source: 보건복지부 고시 제2025-135호
          checked: where the figure was confirmed, or why it is uncertain

The idea is OpenFisca's (parameters as dated values with references, looked up for the
period being computed); the loader is ours (see ``docs/eligibility.md`` for why). A reform is
a set of parameter overrides, as in PolicyEngine: :meth:`ParameterSet.with_reform` returns a
new set in which the named values are replaced for every period, with the reform as source.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from domain.errors import InputError

__all__ = [
    "PARAMETER_DIR",
    "REFORM_DIR",
    "DatedValue",
    "Law",
    "Parameter",
    "ParameterDateError",
    "ParameterFileError",
    "ParameterSet",
    "Reform",
    "current_law",
    "load_reform",
]

PARAMETER_DIR = Path(__file__).with_name("parameters")
REFORM_DIR = Path(__file__).with_name("reforms")

_REQUIRED_VALUE_KEYS = ("valid_from", "valid_to", "value", "source", "checked")


class ParameterFileError(ValueError):
    """A parameter or reform file is malformed (missing field, overlapping periods, ...)."""


class ParameterDateError(InputError):
    """No value of a parameter is valid on the requested date."""


@dataclass(frozen=True)
class DatedValue:
    """One value of a parameter with its validity period (inclusive) and its source."""

    valid_from: dt.date
    valid_to: dt.date | None
    value: Any
    source: str
    checked: str

    def covers(self, when: dt.date) -> bool:
        """Whether ``when`` lies in this value's validity period."""
        return self.valid_from <= when and (self.valid_to is None or when <= self.valid_to)


@dataclass(frozen=True)
class Parameter:
    """A named parameter and its dated values, oldest first, without overlaps."""

    name: str
    description: str
    unit: str
    values: tuple[DatedValue, ...]

    def at(self, when: dt.date) -> DatedValue:
        """The value valid on ``when``.

        Raises
        ------
        ParameterDateError
            If no value covers ``when`` (the message gives the covered periods).
        """
        for value in self.values:
            if value.covers(when):
                return value
        periods = ", ".join(
            f"{v.valid_from.isoformat()}..{v.valid_to.isoformat() if v.valid_to else '(open)'}"
            for v in self.values
        )
        raise ParameterDateError(
            f"{self.name} ({self.description}) has no value for {when.isoformat()}; "
            f"known periods: {periods}"
        )


@dataclass(frozen=True)
class Reform:
    """A named set of parameter overrides (PolicyEngine-style reform)."""

    name: str
    label_ko: str
    label_en: str
    description: str
    source: str
    overrides: Mapping[str, Any]


@dataclass(frozen=True)
class Law:
    """All parameters resolved on one date: the rules a calculation for that date uses."""

    date: dt.date
    values: Mapping[str, DatedValue]
    reform: str | None = None

    def __getitem__(self, name: str) -> Any:
        return self.values[name].value

    def source(self, name: str) -> str:
        """The legal or official source of a parameter's value on this date."""
        return self.values[name].source


def _as_date(raw: Any, where: str) -> dt.date | None:
    if raw is None:
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, str):
        try:
            return dt.date.fromisoformat(raw)
        except ValueError as err:
            raise ParameterFileError(f"{where}: {raw!r} is not an ISO date") from err
    raise ParameterFileError(f"{where}: {raw!r} is not a date")


def _shape(value: Any) -> tuple[str, Any]:
    if isinstance(value, Mapping):
        return ("mapping", tuple(sorted(value)))
    if isinstance(value, list):
        return ("list", len(value))
    return ("scalar", type(value).__name__ if isinstance(value, str) else "number")


def _parse_parameter(name: str, raw: Any, origin: str) -> Parameter:
    where = f"{origin}: {name}"
    if not isinstance(raw, Mapping) or "values" not in raw:
        raise ParameterFileError(f"{where}: needs description, unit and values")
    values: list[DatedValue] = []
    for i, item in enumerate(raw["values"] or []):
        missing = [k for k in _REQUIRED_VALUE_KEYS if not isinstance(item, Mapping) or k not in item]
        if missing:
            raise ParameterFileError(f"{where} value {i}: missing {', '.join(missing)}")
        start = _as_date(item["valid_from"], f"{where} value {i} valid_from")
        if start is None:
            raise ParameterFileError(f"{where} value {i}: valid_from may not be empty")
        end = _as_date(item["valid_to"], f"{where} value {i} valid_to")
        if end is not None and end < start:
            raise ParameterFileError(f"{where} value {i}: valid_to {end} is before valid_from {start}")
        if not str(item["source"]).strip():
            raise ParameterFileError(f"{where} value {i}: source may not be empty")
        values.append(DatedValue(start, end, item["value"], str(item["source"]), str(item["checked"])))
    if not values:
        raise ParameterFileError(f"{where}: has no values")
    values.sort(key=lambda v: v.valid_from)
    for before, after in itertools.pairwise(values):
        if before.valid_to is None or before.valid_to >= after.valid_from:
            raise ParameterFileError(
                f"{where}: periods overlap ({before.valid_from}..{before.valid_to} and "
                f"{after.valid_from}..{after.valid_to})"
            )
    if len({_shape(v.value) for v in values}) != 1:
        raise ParameterFileError(f"{where}: values of different shapes across periods")
    return Parameter(name, str(raw.get("description", "")), str(raw.get("unit", "")), tuple(values))


def _merge(base: Any, override: Any, where: str) -> Any:
    if isinstance(base, Mapping):
        if not isinstance(override, Mapping):
            raise ParameterFileError(f"{where}: override must be a mapping like the parameter")
        unknown = sorted(set(override) - set(base))
        if unknown:
            raise ParameterFileError(f"{where}: unknown keys {unknown}")
        return {**base, **override}
    if _shape(base) != _shape(override):
        raise ParameterFileError(f"{where}: override has a different shape from the parameter")
    return override


class ParameterSet:
    """All parameters of the rules engine; :meth:`at` resolves them for one date."""

    def __init__(self, parameters: Mapping[str, Parameter], reform: str | None = None) -> None:
        self.parameters = dict(parameters)
        self.reform = reform

    @classmethod
    def load(cls, files: Iterable[Path] | None = None) -> ParameterSet:
        """Read parameter files (default: every ``*.yaml`` in :data:`PARAMETER_DIR`).

        Raises
        ------
        ParameterFileError
            On a malformed file or a parameter defined twice.
        """
        parameters: dict[str, Parameter] = {}
        for path in sorted(files if files is not None else PARAMETER_DIR.glob("*.yaml")):
            try:
                raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as err:
                raise ParameterFileError(f"{path.name}: not valid YAML ({err})") from err
            if not isinstance(raw, Mapping):
                raise ParameterFileError(f"{path.name}: top level must be a mapping of parameters")
            for name, body in raw.items():
                if name in parameters:
                    raise ParameterFileError(f"{path.name}: {name} is defined twice")
                parameters[name] = _parse_parameter(str(name), body, path.name)
        return cls(parameters)

    def at(self, when: dt.date) -> Law:
        """Every parameter's value valid on ``when`` ("과거시점" evaluation).

        Raises
        ------
        ParameterDateError
            If any parameter has no value for ``when``.
        """
        if not isinstance(when, dt.date):
            raise ParameterDateError(f"{when!r} is not a date")
        if isinstance(when, dt.datetime):
            when = when.date()
        values: dict[str, DatedValue] = {}
        problems: list[str] = []
        for name, param in self.parameters.items():
            try:
                values[name] = param.at(when)
            except ParameterDateError as err:
                problems.append(str(err))
        if problems:
            raise ParameterDateError(
                f"the rules are not known for {when.isoformat()} ({len(problems)} parameter(s)): "
                + " | ".join(problems)
            )
        return Law(when, values, self.reform)

    def with_reform(self, reform: Reform) -> ParameterSet:
        """A copy with the reform's overrides applied to every period of the named parameters.

        Raises
        ------
        ParameterFileError
            If the reform names an unknown parameter or key, or changes a value's shape.
        """
        changed = dict(self.parameters)
        for name, override in reform.overrides.items():
            if name not in changed:
                raise ParameterFileError(f"reform {reform.name}: unknown parameter {name}")
            param = changed[name]
            source = f"{reform.label_ko} ({reform.source})"
            changed[name] = replace(
                param,
                values=tuple(
                    replace(v, value=_merge(v.value, override, f"reform {reform.name}: {name}"),
                            source=source, checked="reform scenario")
                    for v in param.values
                ),
            )
        return ParameterSet(changed, reform=reform.name)


def load_reform(path_or_name: str | Path) -> Reform:
    """Read a reform file (a path, or the name of a file in :data:`REFORM_DIR`).

    Raises
    ------
    ParameterFileError
        If the file is missing or lacks ``name``, labels or ``overrides``.
    """
    path = Path(path_or_name)
    if not path.suffix:
        path = REFORM_DIR / f"{path_or_name}.yaml"
    if not path.is_file():
        raise ParameterFileError(f"reform file {path} does not exist")
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    missing = [k for k in ("name", "label_ko", "label_en", "source", "overrides") if k not in raw]
    if missing:
        raise ParameterFileError(f"{path.name}: missing {', '.join(missing)}")
    if not isinstance(raw["overrides"], Mapping):
        raise ParameterFileError(f"{path.name}: overrides must be a mapping")
    return Reform(
        name=str(raw["name"]),
        label_ko=str(raw["label_ko"]),
        label_en=str(raw["label_en"]),
        description=str(raw.get("description", "")).strip(),
        source=str(raw["source"]),
        overrides=dict(raw["overrides"]),
    )


@functools.cache
def current_law() -> ParameterSet:
    """The bundled parameter files (cached; the set is immutable in use)."""
    return ParameterSet.load()
