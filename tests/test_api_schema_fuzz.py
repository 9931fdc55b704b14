"""schemathesis against the app's own OpenAPI schema (issue 14, item 8): generated requests to every
documented route never get a 5xx, and every answer conforms to the schema (status code, content
type, headers, body). The app runs in-process on both databases with a real Redis, authenticated
with a real API key; examples are bounded and derandomized so CI runs the same cases every time.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)

from service_support import DATABASES, in_process_app, postgres_url, redis_server  # noqa: F401

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
# Requests outside the schema (wrong types, missing fields): refused in the JSON error shape, never a 5xx.
NEGATIVE_CHECKS = [not_a_server_error, content_type_conformance]
BOUNDED = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@pytest.fixture(scope="module", params=DATABASES)
def api_key_and_schema(request, tmp_path_factory, redis_server) -> Iterator[tuple[str, schemathesis.BaseSchema]]:
    app, key = in_process_app(request, tmp_path_factory, redis_server.url, "schema-fuzz")
    yield key, schemathesis.openapi.from_asgi("/openapi.json", app)
    app.state.engine.dispose()


def test_every_documented_route_answers_within_its_schema(api_key_and_schema):
    api_key, api_schema = api_key_and_schema
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10, "the schema lost its routes"
    for operation in operations:
        @given(case=operation.as_strategy())
        @BOUNDED
        def answers_within_its_schema(case):
            case.call_and_validate(headers={"X-API-Key": api_key}, checks=CHECKS)

        answers_within_its_schema()


def test_invalid_requests_get_a_documented_4xx_never_a_5xx(api_key_and_schema):
    api_key, api_schema = api_key_and_schema
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if not list(operation.iter_parameters()) and not operation.get_request_payload_content_types():
            continue  # nothing in the request to get wrong (/healthz)

        @given(case=operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
        @BOUNDED
        def is_refused_cleanly(case):
            case.call_and_validate(headers={"X-API-Key": api_key}, checks=NEGATIVE_CHECKS)

        is_refused_cleanly()
