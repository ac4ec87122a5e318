from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The ground floor: plumbing every app's views share (API error shape, parsers,
    renderers, pagination, the CSV writer, request parsing helpers). Imports no other app."""

    name = "core"
    verbose_name = "Core"

    def ready(self):
        from . import db_loaders, json_text, search  # noqa: F401  (connection set-up:
        # SQLite's text folding, PostgreSQL's compiled timestamp reader and json as text)
