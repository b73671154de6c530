"""Stores behind one interface; :func:`open_store` picks one from the settings."""

from __future__ import annotations

from geodata.store.base import Store, StoreError, StoreInputError
from geodata.store.factory import open_store

__all__ = ["Store", "StoreError", "StoreInputError", "open_store"]
