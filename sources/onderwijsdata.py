"""DUO open onderwijsdata (CKAN): mbo students by home municipality, and mbo diplomas.

`datastore_search?resource_id=&limit=&offset=` paged by offset until `total`. Resource ids
are declared here and must be checked against the CKAN catalogue where a network exists.
"""

from __future__ import annotations

from dataclasses import replace

from sources.http import Payload, SourceHttp, paginate
from transforms.onderwijsdata import SOURCE, envelope

PAGE_SIZE = 1000
# (resource id, what it holds). Home-municipality resource of mbo-studenten-per-instelling.
ENROLMENT_RESOURCE = "0e6b1a2c-5d3f-4c47-9a61-mbo-woongemeente"
DIPLOMA_RESOURCE = "7c9d2e41-8b0a-4f6e-b3d5-mbo-gediplomeerden"


def search_query(resource: str, offset: int) -> dict[str, str | int]:
    return {"resource_id": resource, "limit": PAGE_SIZE, "offset": offset}


def fetch_resource(http: SourceHttp, resource: str) -> list[Payload]:
    """Every page of one datastore resource, each fetched once."""
    def at(offset: int) -> Payload:
        page = http.get(resource, "datastore_search", search_query(resource, offset))
        return replace(page, request_key=f"{resource}/{offset:08d}")

    def next_url(page: Payload) -> str | None:
        result = envelope(page)
        offset = int(page.request_key.rsplit("/", 1)[1]) + PAGE_SIZE
        if offset >= int(result.get("total", 0)) or not result.get("records"):
            return None
        return str(offset)

    return list(paginate(SOURCE, lambda: at(0), next_url, lambda offset: at(int(offset))))


def fetch_training(http: SourceHttp) -> list[Payload]:
    return fetch_resource(http, ENROLMENT_RESOURCE) + fetch_resource(http, DIPLOMA_RESOURCE)
