import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reless_platform.settings")

app = Celery("reless_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Each app's `tasks` module, and those of the apps' packages that have their own.
app.autodiscover_tasks(["cooperatives.imports"])
