"""Check the shape of Dash callback POSTs before Dash reads them: 400 with a reason, never a 500.

Dash's dispatcher trusts the body its renderer sends: a body that is not JSON, names an unknown
output, lacks ``inputs`` or sends the wrong number of them fails inside Dash with a ``KeyError``
or ``TypeError`` (HTTP 500) before any page code runs. :func:`check_callback_request` runs
as a ``before_request`` hook (after the same-origin check) and refuses such bodies with ``400``
and a one-line reason, logged as a warning. Values of the right shape but the wrong type reach
the page callbacks, whose failures :mod:`app.failures` turns into a notice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, Final

import flask

log = logging.getLogger(__name__)

CALLBACK_PATH: Final = "/_dash-update-component"
MAX_BODY_BYTES: Final = 2_000_000  # the largest honest body (a form of many fields) is ~50 KB


class BadCallbackRequestError(ValueError):
    """A callback POST that Dash could not dispatch; the message says why."""


def install(server: flask.Flask, callback_map: Mapping[str, Mapping[str, Any]]) -> None:
    """Check every callback POST against ``callback_map`` (the app's, filled in later)."""

    def check() -> flask.Response | None:
        if flask.request.path != CALLBACK_PATH or flask.request.method != "POST":
            return None
        try:
            check_callback_request(_body(), callback_map)
        except BadCallbackRequestError as exc:
            log.warning("refused callback request from %s: %s", flask.request.remote_addr, exc)
            return flask.Response(f"bad callback request: {exc}", status=400,
                                  mimetype="text/plain")
        return None

    server.before_request(check)


def _body() -> Any:
    if (flask.request.content_length or 0) > MAX_BODY_BYTES:
        raise BadCallbackRequestError(f"body larger than {MAX_BODY_BYTES:,} bytes")
    if not flask.request.is_json:
        raise BadCallbackRequestError("the body must be JSON (Content-Type: application/json)")
    try:
        return json.loads(flask.request.get_data(cache=True))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadCallbackRequestError(f"the body is not valid JSON ({exc})") from exc


def check_callback_request(body: Any, callback_map: Mapping[str, Mapping[str, Any]]) -> None:
    """Raise :class:`BadCallbackRequestError` unless ``body`` is a callback Dash can dispatch.

    Parameters
    ----------
    body
        The decoded JSON body.
    callback_map
        ``dash.Dash.callback_map``: output key → callback spec (``inputs``, ``state``).
    """
    if not isinstance(body, dict):
        raise BadCallbackRequestError(f"the body must be a JSON object, not {type(body).__name__}")
    output = body.get("output")
    if not isinstance(output, str):
        raise BadCallbackRequestError("'output' is missing or not a string")
    spec = callback_map.get(output)
    if spec is None:
        raise BadCallbackRequestError(f"no callback has the output {output[:120]!r}")
    if "callback" not in spec:
        raise BadCallbackRequestError(f"the callback of {output[:120]!r} runs in the browser")
    _check_outputs(body.get("outputs"), output, spec)
    for field in ("inputs", "state"):
        _check_dependencies(field, body.get(field, [] if field == "state" else None),
                            spec.get(field, []))
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        raise BadCallbackRequestError("'changedPropIds' must be a list of strings")


def _check_outputs(outputs: Any, output: str, spec: Mapping[str, Any]) -> None:
    if spec.get("no_output"):
        return
    multi = output.startswith("..")
    expected = _output_parts(output)
    if not multi:
        outputs = [outputs]
    if not isinstance(outputs, list) or len(outputs) != len(expected):
        raise BadCallbackRequestError(f"'outputs' must list the {len(expected)} output(s) of {output[:120]!r}")
    for item, want in zip(outputs, expected, strict=True):
        if isinstance(item, list):  # a pattern-matching output: concrete items
            if not all(_is_dependency(i) for i in item):
                raise BadCallbackRequestError("a pattern-matching output needs objects with id and property")
            continue
        if not _is_dependency(item):
            raise BadCallbackRequestError("each output needs an 'id' and a 'property'")
        if isinstance(item["id"], str) and f"{item['id']}.{_strip_hash(item['property'])}" != want:
            raise BadCallbackRequestError(f"output {item['id']}.{item['property']} is not {want!r}")


def _output_parts(output: str) -> list[str]:
    if output.startswith(".."):
        return [_strip_hash(p) for p in output[2:-2].split("...")]
    return [_strip_hash(output)]


def _strip_hash(value: Any) -> str:
    return str(value).split("@", 1)[0]


def _check_dependencies(field: str, given: Any, expected: list[Mapping[str, Any]]) -> None:
    if not isinstance(given, list):
        raise BadCallbackRequestError(f"'{field}' is missing or not a list")
    if len(given) != len(expected):
        raise BadCallbackRequestError(f"'{field}' has {len(given)} item(s); the callback takes "
                                 f"{len(expected)}")
    for item, want in zip(given, expected, strict=True):
        pattern = str(want["id"]).startswith("{")
        if isinstance(item, list) and pattern:
            if not all(_is_dependency(i) and i["property"] == want["property"] for i in item):
                raise BadCallbackRequestError(f"'{field}': a pattern-matching item needs objects "
                                         f"with id and property {want['property']!r}")
            continue
        if not _is_dependency(item):
            raise BadCallbackRequestError(f"'{field}': each item needs an 'id' and a 'property'")
        if not pattern and (item["id"], item["property"]) != (want["id"], want["property"]):
            raise BadCallbackRequestError(f"'{field}': {item['id']}.{item['property']} is not "
                                     f"{want['id']}.{want['property']}")
        if pattern and not isinstance(item["id"], dict):
            raise BadCallbackRequestError(f"'{field}': {want['id']} needs an object id")


def _is_dependency(item: Any) -> bool:
    return (isinstance(item, dict) and isinstance(item.get("id"), str | dict)
            and isinstance(item.get("property"), str))
