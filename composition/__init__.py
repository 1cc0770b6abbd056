"""The composition root: the one package that names every domain and builds the app from them.

It sits above the layers (import-linter's top layer), so the whole composition is visible to the
layers contract; wsgi.py, the tests, the benchmarks and the CLI all build the app through it.
"""
from flask import Flask

from core import app as core_app
from finance.domain import DOMAIN as finance
from goals.domain import DOMAIN as goals
from incubation.domain import DOMAIN as incubation
from registry.domain import DOMAIN as registry
from talent.domain import DOMAIN as talent

DOMAINS = (registry, incubation, talent, finance, goals)


def create_app(overrides: dict | None = None) -> Flask:
    """The app with every domain (YZ_DOMAINS=registry,… limits them). `overrides` (tests) win over the environment."""
    return core_app.create_app(overrides, domains=DOMAINS)
