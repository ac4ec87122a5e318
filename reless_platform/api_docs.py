"""The API's reference page: light, server-rendered from the OpenAPI schema, readable on a phone.

Swagger UI (about 530 KB of script) stays available at /api/v1/docs/try/ for developers who want
to send requests from the browser; the reference page itself weighs a few KB.
"""

from functools import lru_cache

from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_safe
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView

from core.api import ApiViewMixin

from .security import DEFAULT_POLICY

METHODS = ("get", "post", "put", "patch", "delete")


@lru_cache(maxsize=4)
def reference(language: str) -> list[dict]:
    """The schema's operations grouped by their first path segment, in `language`."""
    spec = SchemaGenerator().get_schema(request=None, public=True)
    groups: dict[str, list[dict]] = {}
    for path, item in spec["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            group = path.removeprefix("/api/v1/").split("/", 1)[0] or "api"
            groups.setdefault(group, []).append({
                "method": method.upper(), "path": path, "id": operation.get("operationId", ""),
                # A long path may wrap after a slash on a phone, never inside a word.
                "path_html": mark_safe(escape(path).replace("/", "/<wbr>")),
                "summary": operation.get("summary", ""),
                "description": operation.get("description", ""),
                "parameters": [_parameter(p) for p in operation.get("parameters", [])],
                "responses": sorted(operation.get("responses", {})),
            })
    return [{"name": name, "operations": operations} for name, operations in groups.items()]


def _parameter(parameter: dict) -> dict:
    kind = parameter.get("schema", {})
    bounds = [f"{label} {kind[key]}" for key, label in (("minimum", "≥"), ("maximum", "≤"))
              if key in kind]
    return {"name": parameter["name"], "in": parameter["in"],
            "type": kind.get("type", ""), "required": parameter.get("required", False),
            "enum": [value for value in kind.get("enum", []) if value],
            "bounds": " ".join(bounds),
            "description": parameter.get("description", "").split("\n\n", 1)[0]}


@require_safe
def api_reference(request):
    return render(request, "api/reference.html", {"groups": reference(get_language())})


class ApiTryView(ApiViewMixin, SpectacularSwaggerSplitView):
    """Swagger UI from our static files; its start-up script is a separate request (no inline
    script). Swagger UI sets inline styles, so this page alone allows them."""

    empty_parameters = frozenset({"script"})  # the address of its start-up script
    # Our template gives the page its language and a stylesheet for contrast and small screens.
    template_name = "api_docs.html"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response.headers["Content-Security-Policy"] = DEFAULT_POLICY.replace(
            "style-src 'self'", "style-src 'self' 'unsafe-inline'")
        return response
