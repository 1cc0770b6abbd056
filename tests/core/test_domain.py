"""The composition root wires each declared Domain; YZ_DOMAINS limits which."""
from core import domain, imports, indicators, nav, records
from composition import DOMAINS
from incubation import jobs as incubation_jobs
from registry import jobs as registry_jobs
from tests.conftest import make_app


def test_every_domain_is_installed_with_what_it_declares(app):
    assert [d.name for d in domain.installed(app)] == ["registry", "incubation", "talent", "finance", "goals"]
    for d in DOMAINS:
        assert d.blueprint.name in app.blueprints and d.api.name in app.blueprints
        assert all(imports.kinds()[k.name] is k for k in d.import_kinds)
        assert all(records.ENTITIES[e.type] is e for e in d.entities)
        assert all(indicators.get(m.name)[0] is m for m in d.metrics)
        assert {i.endpoint for i in d.nav} <= {i.endpoint for i in nav.items()}
    assert "seed-plan" in app.cli.commands and "scheduler" in app.cli.commands


def test_quality_checks_come_from_the_domains_owning_the_data(app):
    assert domain.quality_checks(app) == [*registry_jobs.CHECKS, *incubation_jobs.CHECKS]


def test_yz_domains_wires_only_the_named_domains(tmp_path, monkeypatch):
    monkeypatch.setenv("YZ_DOMAINS", "registry")
    app = make_app(tmp_path)
    assert [d.name for d in domain.installed(app)] == ["registry"]
    assert "registry" in app.blueprints and "registry_api" in app.blueprints
    assert not {"incubation", "talent", "finance", "goals", "goals_api"} & set(app.blueprints)
    assert domain.quality_checks(app) == list(registry_jobs.CHECKS)
    client = app.test_client()
    assert client.get("/registry/").status_code == 302               # there, behind the login
    assert client.get("/goals/").status_code == 404                   # not wired
