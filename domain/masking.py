"""Masked personal identifiers shown in lists before a record is opened."""

from __future__ import annotations

__all__ = ["mask_name"]


def mask_name(name: str | None) -> str:
    """Mask a Korean name: 김철수 → 김*수, 이수 → 이*, 남궁민수 → 남**수."""
    if not name:
        return ""
    name = str(name)
    if len(name) <= 2:
        return name[0] + "*" * (len(name) - 1)
    return name[0] + "*" * (len(name) - 2) + name[-1]
