"""Rows → table / JSON / CSV text. Core helper shared by the CLI (and anything that exports)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from .views import View

FORMATS = ("table", "json", "csv")
# A cell a spreadsheet would run as a formula (OWASP's CSV-injection list). CSV listings and the
# coaching workbook put an apostrophe in front of such text, which spreadsheets show as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: Any) -> Any:
    """``value`` with a leading apostrophe when it is text that starts like a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def as_rows(rows: Sequence[Mapping[str, Any] | View]) -> list[Mapping[str, Any]]:
    """Rows as mappings: a view by its ``to_dict``."""
    return [r.to_dict() if isinstance(r, View) else r for r in rows]


def to_json(rows: Sequence[Mapping[str, Any] | View] | Mapping[str, Any] | View) -> str:
    """JSON text: a list of objects (or one object) with snake_case keys, NaN as null."""
    if isinstance(rows, View):
        rows = rows.to_dict()
    if isinstance(rows, Mapping):
        return json.dumps(_jsonable(rows), indent=2, ensure_ascii=False)
    rows = as_rows(rows)
    return json.dumps([_jsonable(r) for r in rows], indent=2, ensure_ascii=False)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(_jsonable(value), ensure_ascii=False)
    return value


def to_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None, *,
           raw: bool = False) -> str:
    """CSV text with a header row. Text cells starting with ``= + - @``, a tab or a carriage
    return get a leading apostrophe (as in the workbook), unless ``raw``."""
    cols = list(columns or (rows[0].keys() if rows else []))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(cols if raw else [escape_formula(c) for c in cols])
    for row in rows:
        cells = [_csv_cell(row.get(c)) for c in cols]
        writer.writerow(cells if raw else [escape_formula(v) for v in cells])
    return buf.getvalue()
