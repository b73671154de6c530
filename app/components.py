"""Small reusable components: a plain accessible HTML table (dash_table is deprecated in Dash 4).

Tables are rendered server-side as ``<table>`` elements; optional per-row checkboxes use
pattern-matching ids ``{"type": select_type, "index": row_id}`` so a callback can read the
selection with ``State({"type": select_type, "index": ALL}, "value")``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from dash import dcc, html


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    return value


def table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[tuple[str, str]],
    *,
    table_id: str | None = None,
    select_type: str | None = None,
    row_key: str = "id",
    links: Mapping[str, str] | None = None,
    empty: str = "",
    max_rows: int = 500,
) -> html.Div:
    """An HTML table.

    Parameters
    ----------
    rows
        Records (dicts).
    columns
        ``(key, header)`` pairs in display order.
    table_id
        Id of the wrapping ``div``.
    select_type
        Adds a checkbox column with ids ``{"type": select_type, "index": row[row_key]}``.
    links
        ``{column: url_template}``: the cell becomes a link, e.g. ``{"link": "/case/{id}"}``.
    empty
        Text shown when there are no rows.
    """
    links = links or {}
    head = [html.Th("", scope="col")] if select_type else []
    head += [html.Th(header, scope="col") for _, header in columns]
    body = []
    for row in list(rows)[:max_rows]:
        cells = []
        if select_type:
            cells.append(html.Td(dcc.Checklist(id={"type": select_type, "index": row[row_key]},
                                               options=[{"label": "", "value": row[row_key]}],
                                               value=[], className="atlas-row-select")))
        for key, _ in columns:
            value = _cell(row.get(key))
            if key in links:
                value = dcc.Link(str(value), href=links[key].format(**row))
            cells.append(html.Td(value))
        body.append(html.Tr(cells))
    children: list[Any] = [html.Table([html.Thead(html.Tr(head)), html.Tbody(body)],
                                      className="atlas-table")]
    if not body and empty:
        children.append(html.P(empty, className="atlas-muted"))
    return html.Div(children, className="atlas-table-wrap", **({"id": table_id} if table_id else {}))


def frame_table(frame: pd.DataFrame | None, *, empty: str, table_id: str | None = None) -> html.Div:
    """A table of every column of ``frame`` (headers = column names)."""
    if frame is None or frame.empty:
        return html.Div(html.P(empty, className="atlas-muted"), **({"id": table_id} if table_id else {}))
    return table(frame.to_dict("records"), [(c, c) for c in frame.columns], table_id=table_id)
