"""Callback outputs encoded to JSON once, without plotly's cleaning walk over every value.

Dash serialises a callback's response with ``plotly.io.json.to_json_plotly``: orjson is tried
first, and when anything in the response is not plain JSON -- one Dash component (an
``html.P`` note, a table) is enough -- plotly falls back to ``clean_to_json_compatible``, a
Python walk over every value of the response, map GeoJSON coordinates included. On the risk-map,
visit-list and nearby callbacks that walk cost more than building the answer did (≈25 ms a
request, ``docs/benchmarks.md``, 50 users).

:func:`encoded_callback` wraps a page callback so that each of its outputs is encoded by orjson
straight away, components turned into the same ``{"props", "type", "namespace"}`` objects the
walk would give, and handed to Dash as an ``orjson.Fragment``: Dash's own orjson pass then
copies the bytes and finds nothing left to clean. The JSON sent is the same text
(:func:`output_json` is compared with plotly's encoder in the tests). Outputs that are
``no_update``, pattern-matching outputs (their value is one entry per matched component) and
values orjson cannot encode even with the components converted are passed on untouched, so
Dash's usual path and its error messages still apply to them.

A component that will not change again (a table kept for the same rows,
:func:`app.components.table`) is marked with :func:`encode_once`: its JSON is written the first
time it is sent and reused each time after.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

import numpy as np
import orjson
from dash import NoUpdate, Output
from dash.development.base_component import Component

__all__ = ["encode_once", "encoded_callback", "output_json"]

_OPTIONS: Final = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
C = TypeVar("C", bound=Component)


class _EncodedOnce:
    """Components marked unchanging, by identity, with their JSON once written (bounded: the
    least recently sent are forgotten, and then simply encoded again)."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[int, tuple[Component, bytes | None]] = OrderedDict()
        self._lock = threading.Lock()

    def mark(self, component: Component) -> None:
        with self._lock:
            if id(component) not in self._entries:
                self._entries[id(component)] = (component, None)
            self._trim()

    def json_of(self, component: Component) -> bytes | None:
        """The JSON of a marked component (written now if it never was); ``None`` if unmarked."""
        with self._lock:
            entry = self._entries.get(id(component))
            if entry is None or entry[0] is not component:
                return None
            self._entries.move_to_end(id(component))
        if entry[1] is not None:
            return entry[1]
        encoded = orjson.dumps(component.to_plotly_json(), default=_plain, option=_OPTIONS)
        with self._lock:
            if id(component) in self._entries:
                self._entries[id(component)] = (component, encoded)
        return encoded

    def _trim(self) -> None:
        while len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)


_ONCE: Final = _EncodedOnce(maxsize=256)


def encode_once(component: C) -> C:
    """Mark ``component`` as never changing again: its JSON is written once, when first sent,
    and reused. The caller must not modify it (nor anything inside it) afterwards."""
    _ONCE.mark(component)
    return component


class _NotEncodableError(TypeError):
    """A value orjson cannot encode even with components converted."""


def _plain(value: Any) -> Any:
    """orjson's ``default`` hook: a component as plotly would emit it; other values through
    plotly's own cleaning of that one value (dates, pandas and numpy oddities)."""
    if isinstance(value, Component):
        kept = _ONCE.json_of(value)
        return value.to_plotly_json() if kept is None else orjson.Fragment(kept)
    from plotly.io._json import clean_to_json_compatible, get_module

    modules = {"sage_all": None, "np": np, "pd": get_module("pandas", should_load=False),
               "image": get_module("PIL.Image", should_load=False)}
    cleaned = clean_to_json_compatible(value, numpy_allowed=True, datetime_allowed=True,
                                       modules=modules)
    if cleaned is value:
        raise _NotEncodableError(f"{type(value).__name__} is not JSON serializable")
    return cleaned


def output_json(value: Any) -> bytes:
    """The JSON of one callback output, as Dash (plotly's encoder) would write it.

    Raises
    ------
    TypeError
        A value neither orjson nor plotly's cleaning can encode.
    """
    return orjson.dumps(value, default=_plain, option=_OPTIONS)


def _encoded(value: Any) -> Any:
    if NoUpdate.is_no_update(value):
        return value
    try:
        return orjson.Fragment(output_json(value))
    except TypeError:  # leave it to Dash, which reports what it cannot send
        return value


def _output_slots(callback_args: Sequence[Any]) -> list[bool] | None:
    """For each output of a callback, whether it may be encoded (a plain component id);
    ``None`` when the outputs are not a flat list of :class:`dash.Output` arguments."""
    if any(isinstance(a, list | tuple) for a in callback_args):
        return None
    outputs = [a for a in callback_args if isinstance(a, Output)]
    return [isinstance(o.component_id, str) for o in outputs] or None


def encoded_callback(function: Callable[..., Any], callback_args: Sequence[Any]
                     ) -> Callable[..., Any]:
    """``function`` returning its outputs pre-encoded (:func:`output_json`) for Dash.

    Parameters
    ----------
    function
        The page callback.
    callback_args
        The positional arguments given to ``dash.callback`` (its ``Output``/``Input``/``State``).

    Returns
    -------
    callable
        ``function`` itself when its outputs cannot be told apart (none, or given as lists),
        otherwise a wrapper with the same signature.
    """
    slots = _output_slots(callback_args)
    if slots is None:
        return function
    single = len(slots) == 1

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = function(*args, **kwargs)
        if single:
            return _encoded(result) if slots[0] else result
        if not isinstance(result, list | tuple) or len(result) != len(slots):
            return result  # Dash reports the wrong shape
        return [_encoded(v) if ok else v for v, ok in zip(result, slots, strict=True)]

    return wrapper
