"""The store is sealed: nothing outside ``geodata`` reaches into it.

import-linter forbids ``sqlalchemy`` imports outside ``geodata`` (pyproject); this test checks
what an import contract cannot see, in the source of every other package:

- no store internals: ``<...>store.session()``, ``.engine``, ``.kind``, ``.root``,
  ``._anything`` (services use the repositories, ``reopen_spec()`` and ``close()``);
- no caches keyed on ``id(store)`` (an id is reused after the store is collected: use
  ``store.cache``);
- no imports of one store's class (``geodata.store.embedded`` / ``geodata.store.postgis``):
  ``open_store`` picks the store.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("services", "app", "domain", "spatial", "models", "etl", "eligibility")
INTERNALS = frozenset({"session", "engine", "kind", "root", "_sessions", "_transaction"})
STORE_MODULES = ("geodata.store.embedded", "geodata.store.postgis", "sqlalchemy", "geoalchemy2")


def _sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES if (ROOT / pkg).is_dir() for p in (ROOT / pkg).rglob("*.py"))


def _names_a_store(node: ast.expr) -> bool:
    """``store``, ``self.store``, ``world_store``, ``job.store`` ... (any name ending in store)."""
    if isinstance(node, ast.Name):
        return node.id.lower().endswith("store")
    if isinstance(node, ast.Attribute):
        return node.attr.lower().endswith("store")
    if isinstance(node, ast.Call):  # world_store(app).session()
        return _names_a_store(node.func)
    return False


def _leaks(source: str, name: str) -> list[str]:
    """Every leak in ``source`` (the text of file ``name``), as ``name:line what``."""
    found = []
    for node in ast.walk(ast.parse(source, filename=name)):
        where = f"{name}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Attribute) and _names_a_store(node.value) and (
                node.attr in INTERNALS or (node.attr.startswith("_") and not node.attr.startswith("__"))):
            found.append(f"{where} uses store.{node.attr}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id == "id" and node.args and _names_a_store(node.args[0])):
            found.append(f"{where} keys on id(store)")
        elif isinstance(node, ast.Import):
            found += [f"{where} imports {a.name}" for a in node.names
                      if a.name.startswith(STORE_MODULES)]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(STORE_MODULES):
            found.append(f"{where} imports {node.module}")
    return found


def test_nothing_outside_geodata_reaches_into_a_store() -> None:
    sources = _sources()
    assert len(sources) > 50, "the packages to check were not found"
    leaks = [leak for path in sources
             for leak in _leaks(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))]
    assert leaks == [], "\n".join(leaks)


@pytest.mark.parametrize("snippet", [
    "with store.session() as s: pass",
    "store.engine.dispose()",
    "x = self.store.kind == 'embedded'",
    "root = world_store(app).root",
    "key = (id(store), 1)",
    "from geodata.store.embedded import EmbeddedStore",
    "from sqlalchemy import select",
    "store._arrow('household')",
])
def test_the_check_catches_each_kind_of_leak(snippet: str) -> None:
    assert len(_leaks(snippet + "\n", "probe.py")) == 1
