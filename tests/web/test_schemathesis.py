"""Schemathesis against the OpenAPI document: no request makes the API fail with a 500."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")


def test_openapi_no_server_errors(app):
    from hypothesis import HealthCheck, given, settings

    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures = []
    operations = list(schema.get_all_operations())
    assert len(operations) == 3  # editions, tables, table
    for operation in operations:
        op = operation.ok()

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy())
        def check(case):
            response = case.call()
            assert response.status_code < 500, (case.path, case.query, response.text[:300])

        try:
            check()
        except Exception as exc:  # collect, so one report names every failing operation
            failures.append(f"{op.label}: {exc}")
    assert not failures, "\n".join(failures)
