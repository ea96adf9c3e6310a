"""The test host's WSGI application under :mod:`reliability.settings` (for gunicorn)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reliability.settings")
application = get_wsgi_application()
