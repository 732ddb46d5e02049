"""DUO open onderwijsdata (CKAN): mbo students by home municipality.

`datastore_search?resource_id=&limit=&offset=`, paged by offset. CKAN always sends
`_links.next` (even on the last page), so paging stops on `total` or on an empty page, and
steps by the `limit` the server echoes (it may cap the one asked for).

Resources (DUO catalogue, as listed by cedanl/rio-onderwijsdata `duo_resources.json`):
- ENROLMENT_RESOURCE "Studenten per sectorkamer leerweg niveau woongemeente woonprovincie"
  (dataset mbo-studenten-per-sectorkamer-en-leerweg): read. It carries the sector chamber, so
  it gives BBL, BOL and technical-sector counts by home municipality.
- INSTITUTION_RESOURCE "Studenten per instelling plaats instelling leerweg woongemeente
  woonprovincie leeftijdscategorie" (dataset mbo-studenten-per-instelling): the same students by
  institution; not read, as it has no sector chamber and its columns are unverified.
Diplomas ("Gediplomeerde mbo-studenten") are published per institution without the home
municipality, so no diploma feed is read. Whether these resources are loaded into the
datastore (`datastore_active`) is unverified; if not, `datastore_search` answers
`success: false` and the feed fails with that message.
"""

from __future__ import annotations

from dataclasses import replace

from sources.http import Payload, SourceHttp, paginate
from transforms.onderwijsdata import SOURCE, envelope

PAGE_SIZE = 32000  # CKAN's default `ckan.datastore.search.rows_max`
ENROLMENT_RESOURCE = "44a2a5e0-8218-44ed-bc5b-33b4bcceb480"
INSTITUTION_RESOURCE = "4ca1ec61-61aa-46f2-b01f-b657633fadf0"
ENROLMENT_TABLE = "mbo-studenten-per-sectorkamer-en-leerweg/sectorkamer03"


def search_query(resource: str, offset: int) -> dict[str, str | int]:
    return {"resource_id": resource, "limit": PAGE_SIZE, "offset": offset}


def next_offset(page: Payload) -> str | None:
    """The offset of the following page, or None after the last (by `total` or an empty page;
    `_links.next` is no signal: CKAN always sends it)."""
    result = envelope(page)
    records = result.get("records") or []
    offset = int(page.request_key.rsplit("/", 1)[1]) + int(result.get("limit") or PAGE_SIZE)
    total = result.get("total")
    if not records or (total is not None and offset >= int(total)):
        return None
    return str(offset)


def fetch_resource(http: SourceHttp, resource: str) -> list[Payload]:
    """Every page of one datastore resource, each fetched once."""
    def at(offset: int) -> Payload:
        page = http.get(resource, "datastore_search", search_query(resource, offset))
        return replace(page, request_key=f"{resource}/{offset:08d}")

    return list(paginate(SOURCE, lambda: at(0), next_offset, lambda offset: at(int(offset))))


def fetch_training(http: SourceHttp) -> list[Payload]:
    return fetch_resource(http, ENROLMENT_RESOURCE)
