"""Alembic environment for the PostGIS store.

GeoAlchemy2's helpers keep autogenerate from duplicating spatial indexes and render geometry
types correctly. The connection comes from ``config.attributes['connection']`` (set by
``PostgisStore.init``) or, on the command line, from ``ATLAS_DATABASE_URL``.
"""

from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine

from geodata.schema import Base
from geodata.settings import get_settings

config = context.config
target_metadata = Base.metadata


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=alembic_helpers.include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        compare_type=True,
    )


def run_migrations_online() -> None:
    """Run migrations on the given connection or on ``ATLAS_DATABASE_URL``."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = get_settings().database_url
    if url is None:
        raise SystemExit("ATLAS_DATABASE_URL is not set: there is no PostGIS database to migrate")
    engine = create_engine(url.get_secret_value())
    with engine.begin() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
