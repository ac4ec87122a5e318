"""CSV for every list: `?format=csv` or `Accept: text/csv` gives the JSON rows as CSV.

Columns are the view's `csv_columns(request)` when it has one (stable even for an empty page),
else the first row's keys. A paginated answer renders the page's rows; the total and the next
page travel in the `X-Total-Count` and `Link` headers. Lists of plain values are joined with
`|`, nested objects are written as JSON, null is an empty cell. Cells go through the
platform's one CSV writer (`core.csvsafe`), so text a spreadsheet would run as a formula is
prefixed with `'`; numbers stay numbers.
"""

import io
import json

from rest_framework.renderers import BaseRenderer

from . import csvsafe

LIST_SEPARATOR = "|"


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        renderer_context = renderer_context or {}
        if data is None:
            return b""
        rows = self._rows(data, renderer_context.get("response"))
        columns = self._columns(rows, renderer_context)
        out = io.StringIO()
        writer = csvsafe.writer(out, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([cell(row.get(column)) for column in columns])
        return out.getvalue().encode(self.charset)

    @staticmethod
    def _rows(data, response) -> list[dict]:
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            if response is not None:
                response["X-Total-Count"] = str(data.get("count", len(data["results"])))
                if data.get("next"):
                    response["Link"] = f'<{data["next"]}>; rel="next"'
            data = data["results"]
        if isinstance(data, dict):
            return [data]
        return [row if isinstance(row, dict) else {"value": row} for row in data]

    @staticmethod
    def _columns(rows: list[dict], renderer_context: dict) -> list[str]:
        view = renderer_context.get("view")
        request = renderer_context.get("request")
        if view is not None and hasattr(view, "csv_columns"):
            return list(view.csv_columns(request))
        return list(rows[0]) if rows else []


def cell(value):
    """One CSV cell from a JSON value (the writer neutralises formulas)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return LIST_SEPARATOR.join(str(cell(v)) for v in value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value
