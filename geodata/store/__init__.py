"""Stores behind one sealed interface; :func:`open_store` picks one from the settings or a spec.

See :mod:`geodata.store.base` for the contract (result order, errors, repositories, caches).
"""

from __future__ import annotations

from geodata.store.base import Store, StoreError, StoreInputError
from geodata.store.factory import open_store
from geodata.store.spec import StoreSpec

__all__ = ["Store", "StoreError", "StoreInputError", "StoreSpec", "open_store"]
