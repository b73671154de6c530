"""Small reusable components: a plain accessible HTML table (dash_table is deprecated in Dash 4)
for short tables, and a paginated grid (dash-ag-grid) for long ones.

Tables are rendered server-side as ``<table>`` elements; optional per-row checkboxes use
pattern-matching ids ``{"type": select_type, "index": row_id}`` so a callback can read the
selection with ``State({"type": select_type, "index": ALL}, "value")``. A table of the same rows
and options is built once and handed out again (a visit list refreshed without a change is not
rebuilt, nor encoded again: :func:`app.callback_json.encode_once`).
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Final

import dash_ag_grid as dag
import pandas as pd
from dash import dcc, html

from app.callback_json import encode_once

_TABLES_KEPT: Final = 128


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
    shown = [dict(row) for row in list(rows)[:max_rows]]
    options = (tuple(columns), table_id, select_type, row_key,
               tuple(sorted((links or {}).items())), empty)
    key = _rows_key(shown)
    if key is None:
        return _build(shown, *options)
    try:
        return _kept(key, options)
    except TypeError:  # an option that is not hashable
        return _build(shown, *options)


def _rows_key(rows: list[dict[str, Any]]) -> Hashable | None:
    """The rows as a hashable value that tells ``1``, ``1.0`` and ``True`` apart; ``None`` when a
    value is not hashable (the table is then built without keeping it)."""
    key = tuple(tuple((k, type(v), v) for k, v in row.items()) for row in rows)
    try:
        hash(key)
    except TypeError:
        return None
    return key


@functools.lru_cache(maxsize=_TABLES_KEPT)
def _kept(key: tuple, options: tuple) -> html.Div:
    rows = [{k: v for k, _type, v in row} for row in key]
    return encode_once(_build(rows, *options))


def _build(rows: list[dict[str, Any]], columns: tuple[tuple[str, str], ...], table_id: str | None,
           select_type: str | None, row_key: str, links_items: tuple[tuple[str, str], ...],
           empty: str) -> html.Div:
    links = dict(links_items)
    head = [html.Th("", scope="col")] if select_type else []
    head += [html.Th(header, scope="col") for _, header in columns]
    body = []
    for row in rows:
        cells = []
        if select_type:
            cells.append(html.Td(dcc.Checklist(id={"type": select_type, "index": row[row_key]},
                                               options=[{"label": html.Span(f"{row_key} {row[row_key]} 선택",
                                                                    className="atlas-sr-only"),
                                                          "value": row[row_key]}],
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
    # the wrap scrolls sideways on narrow screens: a focusable, named region so keyboard users
    # can scroll it too (axe: scrollable-region-focusable)
    return html.Div(children, className="atlas-table-wrap", tabIndex="0", role="region",
                    **{"aria-label": "표"}, **({"id": table_id} if table_id else {}))


def frame_table(frame: pd.DataFrame | None, *, empty: str, table_id: str | None = None) -> html.Div:
    """A table of every column of ``frame`` (headers = column names)."""
    if frame is None or frame.empty:
        return html.Div(html.P(empty, className="atlas-muted"), **({"id": table_id} if table_id else {}))
    return table(frame.to_dict("records"), [(c, c) for c in frame.columns], table_id=table_id)


#: Korean labels of the grid's own controls (pagination, filters, empty grid).
GRID_LOCALE_KO: dict[str, str] = {
    "page": "쪽", "of": "/", "to": "–", "more": "더", "next": "다음", "last": "마지막",
    "first": "처음", "previous": "이전", "pageSizeSelectorLabel": "쪽당 행",
    "noRowsToShow": "표시할 자료가 없습니다.", "loadingOoo": "불러오는 중…",
    "filterOoo": "필터…", "equals": "같음", "notEqual": "같지 않음", "lessThan": "미만",
    "greaterThan": "초과", "lessThanOrEqual": "이하", "greaterThanOrEqual": "이상",
    "inRange": "범위", "contains": "포함", "notContains": "미포함", "startsWith": "시작",
    "endsWith": "끝", "blank": "빈 값", "notBlank": "값 있음", "andCondition": "그리고",
    "orCondition": "또는", "applyFilter": "적용", "resetFilter": "초기화",
    "clearFilter": "지우기", "ariaRowSelect": "행 선택",
}


def grid_column(field: str, header: str, *, kind: str = "text", digits: int = 0,
                missing: str = "", width: int | None = None) -> dict[str, Any]:
    """An AG Grid column definition: sortable and filterable, numbers formatted in the browser.

    Parameters
    ----------
    field, header
        Row key and header text.
    kind
        ``'text'``, ``'number'`` or ``'percent'`` (a share 0–1 shown as ``12.3%``).
    digits
        Decimals of numbers.
    missing
        Text for a missing value (e.g. 비공개 for a suppressed cell): numbers stay numbers so that
        sorting and filtering work, only the display changes.
    """
    col: dict[str, Any] = {"field": field, "headerName": header, "sortable": True,
                           "filter": "agTextColumnFilter", "resizable": True}
    if kind in ("number", "percent"):
        fmt = f",.{digits}f" if kind == "number" else f".{digits}%"
        text = missing.replace("\\", "\\\\").replace("'", "\\'")
        col |= {"filter": "agNumberColumnFilter", "type": "rightAligned",
                "valueFormatter": {"function": f"params.value == null ? '{text}' : "
                                               f"d3.format('{fmt}')(params.value)"}}
    if width:
        col["minWidth"] = width
    return col


def data_grid(grid_id: str, columns: Sequence[Mapping[str, Any]], *, rows: Sequence[Mapping[str, Any]] = (),
              lang: str = "ko", page_size: int = 20, label: str = "") -> Any:
    """A paginated, sortable, filterable table (dash-ag-grid) that renders only visible rows.

    An HTML table puts every cell in the page as a Dash component: a thousand rows of eight
    columns made the supply page spend 30–150 s of browser script time. The grid is one
    component whatever the row count; rows arrive as data (``rowData``).

    Parameters
    ----------
    grid_id
        Component id (callbacks set ``rowData``).
    columns
        From :func:`grid_column`.
    rows
        Initial rows.
    lang
        ``'ko'`` gives Korean control labels.
    page_size
        Rows per page.
    label
        Accessible name of the grid.
    """
    options: dict[str, Any] = {"pagination": True, "paginationPageSize": page_size,
                               "paginationPageSizeSelector": [20, 50, 100],
                               "domLayout": "autoHeight", "enableCellTextSelection": True,
                               "ensureDomOrder": True, "suppressColumnVirtualisation": True}
    if lang == "ko":
        options["localeText"] = GRID_LOCALE_KO
    return html.Div(dag.AgGrid(id=grid_id, columnDefs=list(columns), rowData=list(rows),
                               defaultColDef={"flex": 1, "minWidth": 110},
                               dashGridOptions=options, className="atlas-grid",
                               style={"width": "100%"}),
                    className="atlas-grid-wrap", role="region",
                    **({"aria-label": label} if label else {}))
