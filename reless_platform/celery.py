import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reless_platform.settings")

app = Celery("reless_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Each app's `tasks` module, and those of the apps' packages that have their own.
app.autodiscover_tasks(["cooperatives.imports"])


@signals.worker_init.connect
def _warm(**kwargs) -> None:
    """Before the pool forks: the URL resolver and the catalogues (core.warm)."""
    from core.warm import warm_worker

    warm_worker()
