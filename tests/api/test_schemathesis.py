"""Property-based tests of the whole API from its own OpenAPI document (schemathesis, in-process WSGI).

As an admin with a bearer token, every GET and POST operation gets a bounded number of generated
requests (valid and invalid): no 5xx, and every response (errors included) matches the document.
"""
import random

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from core.db import db
from registry import uscc as uscc_mod

schemathesis.openapi.format("uscc", st.builds(lambda seed: uscc_mod.generate(rng=random.Random(seed)),
                                              st.integers(0, 2**32)) | st.text(max_size=20))

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_token(app, admin, token_for, code):
    """An admin token, plus a few records so that ids 1–2 and the seeded pools resolve."""
    from tests.api.conftest import JsonClient
    client = JsonClient(app, token_for(admin))
    firms = [client.post("/api/v1/firms", json={"uscc": code(), "name": f"宁波样本{i}有限公司"}).json for i in (1, 2)]
    client.post("/api/v1/pools/single_champion/memberships", json={"uscc": firms[0]["uscc"], "entered_on": "2018-01-01"})
    carrier = client.post("/api/v1/carriers", json={"name": "样本孵化器", "carrier_type": "孵化器", "level": "区级",
                                                    "opened_on": "2016-01-01"}).json
    client.post("/api/v1/tenancies", json={"carrier_id": carrier["id"], "uscc": firms[1]["uscc"],
                                           "entered_on": "2017-01-01"})
    client.post("/api/v1/ipo-candidates", json={"uscc": firms[0]["uscc"], "entered_on": "2018-01-01", "board": "创业板"})
    client.post("/api/v1/financing-events", json={"uscc": firms[0]["uscc"], "kind": "IPO", "amount": 100,
                                                  "on": "2018-01-01"})
    db.session.commit()
    return client.headers["Authorization"].split(" ", 1)[1]


@pytest.fixture
def api_schema(app, api_token):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app,
                                          headers={"Authorization": f"Bearer {api_token}"})


SETTINGS = settings(max_examples=10, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


def _operations(api_schema):
    for result in api_schema.include(method=["GET", "POST"]).get_all_operations():
        yield result.ok()


def _run(operation, mode, headers) -> str | None:
    """Run `operation` with generated cases; the failure's text, or None."""
    @SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - schemathesis' FailureGroup is a BaseExceptionGroup
        return f"{operation.label} [{mode.value}]: {str(exc)[:1500]}"
    return None


def test_api_conforms_to_its_schema(api_schema, api_token):
    """Every GET/POST operation, positive and negative data: no 5xx, responses as documented.

    (schemathesis' own pytest plugin does not run under pytest 9, hence the explicit loop.)
    """
    headers = {"Authorization": f"Bearer {api_token}"}
    operations = list(_operations(api_schema))
    assert len(operations) >= 20
    failures = [f for op in operations for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
                if (f := _run(op, mode, headers))]
    assert failures == [], "\n\n".join(failures)
