"""200 uploads from 20 concurrent clients over loopback against a real `intake serve`: every one
acknowledged, every one processed, none lost or duplicated."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from service_support import (postgres_url, redis_server, service_fixture,  # noqa: F401
                             tagged_pdf)

pytestmark = pytest.mark.slow

CLIENTS = 20
UPLOADS_PER_CLIENT = 10


service = service_fixture("concurrency", workers=2)


def test_200_concurrent_uploads_are_all_acknowledged_and_processed_once(service):
    packets = {f"client{c}-upload{u}": tagged_pdf(f"client{c}-upload{u}")
               for c in range(CLIENTS) for u in range(UPLOADS_PER_CLIENT)}

    def client_session(client_index: int) -> list[tuple[int, dict]]:
        answers = []
        with service.client() as client:
            for u in range(UPLOADS_PER_CLIENT):
                response = service.upload(packets[f"client{client_index}-upload{u}"], client=client)
                answers.append((response.status_code, response.json()))
        return answers

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = [a for batch in pool.map(client_session, range(CLIENTS)) for a in batch]

    assert [code for code, _ in answers] == [202] * len(packets)
    ids = [body["id"] for _, body in answers]
    assert len(set(ids)) == len(packets)
    assert service.wait_final(ids, timeout=900) == {i: "ready_for_review" for i in ids}
    service.assert_processed_exactly_once(ids)
