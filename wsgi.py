"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""
from composition import create_app

app = create_app()
