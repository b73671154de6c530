"""Region codes and their hierarchy: 시도 (2 digits) ⊃ 시군구 (5) ⊃ 읍면동 (8).

A code's level is its length, and a code's parent is its prefix: ``11110515`` (청운효자동) lies
in 시군구 ``11110`` (종로구), which lies in 시도 ``11`` (서울특별시). Every derivation of a
parent code or a level goes through these helpers instead of slicing strings in place.
"""

from __future__ import annotations

from typing import Final, Literal, NewType

__all__ = [
    "CODE_LENGTHS",
    "Level",
    "RegionCode",
    "is_code_of",
    "level_of",
    "sido_of",
    "sigungu_of",
    "within",
]

#: A 시도, 시군구 or 읍면동 code (digits only).
RegionCode = NewType("RegionCode", str)
Level = Literal["sido", "sigungu", "emd"]
#: Digits of a code per level.
CODE_LENGTHS: Final[dict[Level, int]] = {"sido": 2, "sigungu": 5, "emd": 8}
_LEVELS: Final[dict[int, Level]] = {n: level for level, n in CODE_LENGTHS.items()}


def level_of(code: str) -> Level:
    """The level of a region code (``'sido'``, ``'sigungu'`` or ``'emd'``).

    Raises
    ------
    ValueError
        If ``code`` is not 2, 5 or 8 digits.
    """
    text = str(code)
    level = _LEVELS.get(len(text))
    if level is None or not text.isdigit():
        raise ValueError(f"{code!r} is not a 시도 (2), 시군구 (5) or 읍면동 (8) digit code")
    return level


def is_code_of(code: object, level: Level) -> bool:
    """Whether ``code`` is a digit string of ``level``'s length (no exception)."""
    return isinstance(code, str) and len(code) == CODE_LENGTHS[level] and code.isdigit()


def sigungu_of(code: str) -> RegionCode:
    """The 시군구 code of a 시군구 or 읍면동 code (``'11110515'`` → ``'11110'``)."""
    return RegionCode(str(code)[: CODE_LENGTHS["sigungu"]])


def sido_of(code: str) -> RegionCode:
    """The 시도 code of any region code (``'11110515'`` → ``'11'``)."""
    return RegionCode(str(code)[: CODE_LENGTHS["sido"]])


def within(code: str | None, area: str | None) -> bool:
    """Whether region ``code`` lies in (or is) region ``area``; ``False`` if either is missing."""
    if not code or not area:
        return False
    return str(code).startswith(str(area))
