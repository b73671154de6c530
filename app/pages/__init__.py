"""The dashboard's pages and their registration with an app, free of import-time side effects.

A page module declares its page in ``PAGE`` (the keyword arguments of
:func:`dash.register_page`), its ``layout`` function, and marks its callbacks with
:func:`page_callback`, which only records them. Importing a page therefore touches no Dash
state; :func:`register_pages` finds the page modules of this package (every module not
starting with ``_``) and registers each page and its callbacks with one app, so tests may build
many apps in one process without purging ``sys.modules``. A new page is a new module here with
``PAGE``, ``layout`` and ``@page_callback`` callbacks; nothing else to list.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from types import ModuleType
from typing import Any, TypeVar

import dash

from app.callback_json import encoded_callback
from app.failures import guarded_layout

__all__ = ["page_callback", "page_modules", "register_pages"]

F = TypeVar("F", bound=Callable[..., Any])

#: Recorded callbacks: module → {function name: (callback args, callback kwargs, function)}.
_CALLBACKS: dict[str, dict[str, tuple[tuple[Any, ...], dict[str, Any], Callable[..., Any]]]] = {}


def page_callback(*args: Any, **kwargs: Any) -> Callable[[F], F]:
    """Record a page callback (the arguments of ``dash.callback``); returns the function as is."""
    def record(function: F) -> F:
        _CALLBACKS.setdefault(function.__module__, {})[function.__qualname__] = (
            args, kwargs, function)
        return function
    return record


def page_modules() -> list[ModuleType]:
    """The page modules of this package (names not starting with ``_``), imported, by name."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    return [importlib.import_module(f"{__name__}.{name}") for name in names]


def register_pages(app: dash.Dash) -> None:
    """Register every page of :func:`page_modules`, and its callbacks, with ``app``.

    The page registry of Dash is process-wide: it is refilled for the app being built. A page
    module may define ``on_register(app)`` for set-up that needs the app (e.g. job settings).
    Layouts show a notice instead of failing while the database is down (:mod:`app.failures`).
    Callback outputs are encoded to JSON as they are returned (:mod:`app.callback_json`;
    background callbacks excepted, :func:`callback_body`).
    """
    dash.page_registry.clear()
    for module in page_modules():
        name = module.__name__
        dash.register_page(name, layout=guarded_layout(module.layout), **module.PAGE)
        hook = getattr(module, "on_register", None)
        if hook is not None:
            hook(app)
        for args, kwargs, function in _CALLBACKS.get(name, {}).values():
            app.callback(*args, **kwargs)(callback_body(function, args, kwargs))


def callback_body(function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
                  ) -> Callable[..., Any]:
    """What is registered for a recorded callback: its outputs pre-encoded
    (:func:`app.callback_json.encoded_callback`), except for background callbacks, whose result
    the job process pickles into the background cache (an ``orjson.Fragment`` cannot be
    pickled) and whose answer is a one-off, not a hot path."""
    if kwargs.get("background"):
        return function
    return encoded_callback(function, args)
