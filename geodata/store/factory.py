"""Open stores: the configured one (PostGIS when ``ATLAS_DATABASE_URL`` is set) or one from a spec."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from geodata.settings import Settings, get_settings
from geodata.store.base import Store
from geodata.store.spec import StoreSpec


def open_store(source: Settings | StoreSpec | None = None) -> Store:
    """Return a store.

    Parameters
    ----------
    source
        ``Settings`` (or ``None`` for the process-wide settings): the configured store, one per
        process and configuration. A :class:`StoreSpec` (from ``Store.reopen_spec()``): a *new*
        store instance on the same data, with its own connections and caches -- what a
        background job or a forked worker needs.
    """
    if isinstance(source, StoreSpec):
        return _new_store(source)
    settings = source or get_settings()
    url = settings.database_url.get_secret_value() if settings.database_url else None
    return _cached_store(url, str(settings.embedded_dir))


@lru_cache(maxsize=4)
def _cached_store(url: str | None, embedded_dir: str) -> Store:
    if url:
        return _new_store(StoreSpec("postgis", url))
    return _new_store(StoreSpec("embedded", embedded_dir))


def _new_store(spec: StoreSpec) -> Store:
    if spec.kind == "postgis":
        from geodata.store.postgis import PostgisStore

        return PostgisStore.from_url(spec.location)
    from geodata.store.embedded import EmbeddedStore

    return EmbeddedStore(Path(spec.location))
