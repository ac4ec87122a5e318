import os

from django.core.wsgi import get_wsgi_application
from django.db import connections
from django.urls import get_resolver

from core.warm import freeze_loaded

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reless_platform.settings")
application = get_wsgi_application()

# Load the URLconf (and every view module it imports) now rather than on the first request:
# with gunicorn's preload_app the workers are forked with it loaded.
_loaded = get_resolver().url_patterns
connections.close_all()  # nothing opened while loading may be shared by the forked workers
freeze_loaded()  # what is loaded lives as long as the worker: no collection walks it again
