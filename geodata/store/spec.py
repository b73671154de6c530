"""How to open a store again: a small, picklable value that names the store, not its kind's details.

A background job runs in another process; it reopens the store it was started from with
``open_store(store.reopen_spec())`` and never needs to know which kind of store that is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.engine import make_url

StoreKind = Literal["embedded", "postgis"]


@dataclass(frozen=True, slots=True)
class StoreSpec:
    """Where a store lives.

    Attributes
    ----------
    kind
        ``"embedded"`` (``location`` is a folder) or ``"postgis"`` (``location`` is a
        SQLAlchemy URL, password included: keep specs server-side, never send them to a client).
    """

    kind: StoreKind
    location: str = field(repr=False)

    def __post_init__(self) -> None:
        if self.kind not in ("embedded", "postgis"):
            raise ValueError(f"store kind must be 'embedded' or 'postgis', not {self.kind!r}")
        if not self.location:
            raise ValueError("a store spec needs a location (a folder or a database URL)")

    @property
    def display(self) -> str:
        """The location with any password hidden (for logs and messages)."""
        if self.kind == "postgis":
            return make_url(self.location).render_as_string(hide_password=True)
        return self.location

    def __repr__(self) -> str:
        return f"StoreSpec(kind={self.kind!r}, location={self.display!r})"
