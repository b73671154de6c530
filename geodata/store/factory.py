"""Choose the store from the settings: PostGIS when ``ATLAS_DATABASE_URL`` is set."""

from __future__ import annotations

from functools import lru_cache

from geodata.settings import Settings, get_settings
from geodata.store.base import Store


def open_store(settings: Settings | None = None) -> Store:
    """Return the configured store (one per process and configuration).

    Parameters
    ----------
    settings
        Settings to use; the process-wide settings when omitted.
    """
    settings = settings or get_settings()
    url = settings.database_url.get_secret_value() if settings.database_url else None
    return _cached_store(url, str(settings.embedded_dir))


@lru_cache(maxsize=4)
def _cached_store(url: str | None, embedded_dir: str) -> Store:
    if url:
        from geodata.store.postgis import PostgisStore

        return PostgisStore.from_url(url)
    from pathlib import Path

    from geodata.store.embedded import EmbeddedStore

    return EmbeddedStore(Path(embedded_dir))
