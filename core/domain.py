"""A domain declares, in one `Domain` object, everything it plugs into the app; core registers it.

Each domain package has `<domain>/domain.py` with `DOMAIN = Domain(...)` built from plain imports.
The composition root (the `composition` package, beside wsgi.py and above the layers) imports every
domain's DOMAIN and hands them to `core.app.create_app(domains=...)`, which calls `install` for
each one. Core keeps its registries (navigation, entities, timeline, import kinds, seeders, jobs,
metrics) and fills them only from here: no domain calls a registry itself.
"""
from dataclasses import dataclass
from typing import Callable

import click
from flask import Blueprint, Flask, current_app

from core import api, export_jobs, home, imports, indicators, nav, records, scheduler, seed, timeline
from core.home import HomeProvider
from core.export_jobs import ExportKind
from core.imports import ImportKind
from core.indicators import Indicator
from core.nav import NavItem
from core.records import Entity
from core.scheduler import Job

EXTENSION_KEY = "yz-domains"


@dataclass(frozen=True)
class Domain:
    """What one domain contributes. Every field but `name` is optional."""

    name: str                                   # "finance": the permission prefix, e.g. finance.view
    blueprint: Blueprint | None = None          # the HTML pages
    api: Blueprint | None = None                # a core.api.Blueprint mounted on the one /api/v1
    entities: tuple[Entity, ...] = ()           # archivable records: history, archive, restore, import undo
    nav: tuple[NavItem, ...] = ()               # menu entries (shown to users holding their permission)
    timeline: Callable | None = None            # fn(firm_id, user) -> [TimelineItem] for the firm page
    import_kinds: tuple[ImportKind, ...] = ()   # spreadsheets the import pages and CLI accept
    export_kinds: tuple[ExportKind, ...] = ()   # long exports run as jobs (core.export_jobs)
    seeders: tuple[Callable, ...] = ()          # fn() -> str, loading reference data idempotently
    jobs: tuple[Job, ...] = ()                  # periodic jobs run by the one scheduler process
    metrics: tuple[Indicator, ...] = ()         # numbers goals/ can track, as of any date
    quality_checks: tuple[Callable, ...] = ()   # fn(today) -> [core.quality.Finding], run nightly by goals/
    commands: tuple[click.Command, ...] = ()    # `flask --app wsgi <command>`
    home: HomeProvider | None = None            # panels of the home page and the nav badge's count


def install(app: Flask, domain: Domain) -> None:
    """Register everything `domain` declares on `app` and in core's registries."""
    if domain.blueprint is not None:
        app.register_blueprint(domain.blueprint)
    if domain.api is not None:
        api.register_blueprint(app, domain.api)
    for entity in domain.entities:
        records.register_entity(entity)
    for item in domain.nav:
        nav.register(item)
    if domain.timeline is not None:
        timeline.register_provider(domain.timeline)
    for kind in domain.import_kinds:
        imports.register_kind(kind)
    for export in domain.export_kinds:
        export_jobs.register_kind(export)
    for seeder in domain.seeders:
        seed.register_seeder(seeder)
    scheduler.register_jobs(domain.jobs)
    for metric in domain.metrics:
        indicators.register(metric)
    for command in domain.commands:
        app.cli.add_command(command)
    if domain.home is not None:
        home.register(domain.home)
    app.extensions.setdefault(EXTENSION_KEY, []).append(domain)


def installed(app: Flask | None = None) -> tuple[Domain, ...]:
    """The domains wired into `app` (default: the current app), in the order they were installed."""
    app = app or current_app
    return tuple(app.extensions.get(EXTENSION_KEY, ()))


def quality_checks(app: Flask | None = None) -> list[Callable]:
    """Every installed domain's data-quality checks."""
    return [check for domain in installed(app) for check in domain.quality_checks]
