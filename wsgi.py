"""WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi``."""

from app import create_app
from app.config import refuse_to_start_on_config_error

with refuse_to_start_on_config_error():
    app = create_app()
