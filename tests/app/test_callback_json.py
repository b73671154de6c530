"""Callback outputs encoded once (app/callback_json.py): the same JSON text Dash would send."""

from __future__ import annotations

import datetime as dt

import dash
import numpy as np
import orjson
import pandas as pd
import pytest
from dash import ALL, Input, Output, dcc, html
from plotly.io.json import to_json_plotly

from app.callback_json import encoded_callback, output_json


def _mixed_output() -> list:
    """Components inside lists and inside plain dicts (checklist options), a figure with numpy
    arrays (one not contiguous), numpy scalars, NaN, dates and non-string keys."""
    grid = np.arange(12.0).reshape(3, 4)
    return [
        html.Div([html.P("메모", className="atlas-notice"), None, "text",
                  dcc.Checklist(id={"type": "pick", "index": 7}, value=[],
                                options=[{"label": html.Span("7 선택"), "value": 7}])],
                 **{"data-role": "box", "aria-label": "상자"}),
        {"data": [{"type": "scatter", "x": np.linspace(0, 1, 5), "y": grid[:, 1],
                   "customdata": np.array(["a", "b"], dtype=object), "z": [np.int64(3), np.nan],
                   "flag": np.bool_(True)}], "layout": {"height": np.float64(2.5)}},
        {1: "key", "day": dt.date(2026, 12, 1), "t": pd.Timestamp("2026-12-01 10:00"),
         "missing": pd.NaT, "nothing": None},
        "<script>&</script>",
    ]


def test_output_json_is_what_plotly_would_send() -> None:
    value = _mixed_output()
    assert orjson.loads(output_json(value)) == orjson.loads(to_json_plotly(value))
    wrapped = {"response": {"box": {"children": orjson.Fragment(output_json(value))}}}
    assert to_json_plotly(wrapped) == to_json_plotly({"response": {"box": {"children": value}}})


def test_output_json_refuses_what_nothing_can_encode() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        output_json({"x": object()})


def _app_with(function, *args) -> dash.Dash:
    app = dash.Dash(__name__)
    app.layout = html.Div([dcc.Input(id="in", value="x"), html.Div(id="a"), html.Div(id="b")])
    app.callback(*args)(function)
    return app


def _post(app: dash.Dash, outputs: str, value: object = "x") -> bytes:
    out = outputs.strip(".").split("...")
    body = {"output": outputs,
            "outputs": [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in out]
            if len(out) > 1 else {"id": out[0].split(".")[0], "property": out[0].split(".")[1]},
            "inputs": [{"id": "in", "property": "value", "value": value}],
            "changedPropIds": ["in.value"]}
    answer = app.server.test_client().post("/_dash-update-component", json=body)
    assert answer.status_code in (200, 204), answer.get_data(as_text=True)
    return answer.get_data()


def test_wrapped_callback_answers_byte_for_byte_as_dash_does() -> None:
    args = (Output("a", "children"), Output("b", "children"), Input("in", "value"))

    def both(_value: str) -> tuple:
        return _mixed_output()[0], _mixed_output()[1:]

    plain = _post(_app_with(both, *args), "..a.children...b.children..")
    encoded = _post(_app_with(encoded_callback(both, args), *args), "..a.children...b.children..")
    assert encoded == plain and b"\\u003cscript" in encoded


def test_no_update_and_single_outputs() -> None:
    args = (Output("a", "children"), Output("b", "children"), Input("in", "value"))

    def half(value: str) -> tuple:
        return dash.no_update, html.B(value)

    plain = _post(_app_with(half, *args), "..a.children...b.children..", "y")
    encoded = _post(_app_with(encoded_callback(half, args), *args),
                    "..a.children...b.children..", "y")
    assert encoded == plain and b'"a"' not in encoded
    one = (Output("a", "children"), Input("in", "value"))
    wrapped = encoded_callback(lambda v: html.I(v), one)
    assert isinstance(wrapped("z"), orjson.Fragment)
    assert encoded_callback(lambda v: dash.no_update, one)("z") is dash.no_update


def test_pattern_outputs_and_unencodable_values_are_left_to_dash() -> None:
    pattern = (Output({"type": "cell", "index": ALL}, "children"), Output("a", "children"),
               Input("in", "value"))
    wrapped = encoded_callback(lambda v: ([html.B(v)], html.I(v)), pattern)
    cells, other = wrapped("q")
    assert isinstance(cells, list) and isinstance(cells[0], html.B)
    assert isinstance(other, orjson.Fragment)
    odd = object()
    single = (Output("a", "children"), Input("in", "value"))
    assert encoded_callback(lambda v: odd, single)("q") is odd
    listed = ([Output("a", "children")], Input("in", "value"))
    function = lambda v: v  # noqa: E731 (the identity is what is checked)
    assert encoded_callback(function, listed) is function


def test_a_component_encoded_once_is_written_once() -> None:
    from app.callback_json import encode_once

    box = encode_once(html.Div([html.P("한 번"), dcc.Link("열기", href="/case/1")], id="once"))
    first = output_json([box, {"nested": box}])
    assert orjson.loads(first) == orjson.loads(to_json_plotly([box, {"nested": box}]))
    box.children = "changed"  # callers promise not to; shows the JSON is not written again
    assert output_json([box, {"nested": box}]) == first
    assert b"changed" in output_json(html.Div("changed"))


def test_background_callbacks_return_what_the_job_process_can_pickle() -> None:
    """A background callback's result is pickled into the background cache by its job process
    (the site plan's solve): it is registered unwrapped; every other callback is encoded."""
    import pickle

    from app.pages import callback_body

    def solve(value):
        return html.Div(f"plan {value}")

    args = (Output("out", "children"), Input("in", "value"))
    background = callback_body(solve, args, {"background": True})
    assert background is solve
    pickle.dumps(background(1))
    with pytest.raises(TypeError, match="pickle"):
        pickle.dumps(callback_body(solve, args, {})(1))  # what the job process choked on
