"""Deterministic DUO `datastore_search` pages (CKAN JSON) for the snapshot, in the portal's format.

Resource 44a2a5e0-8218-44ed-bc5b-33b4bcceb480, "Studenten per sectorkamer leerweg niveau
woongemeente woonprovincie" (file 2021-2025-sectorkamer03-...; DUO catalogue as listed by
cedanl/rio-onderwijsdata `src/riodata/data/duo_resources.json`). The columns follow its sibling
sectorkamer01 (`SECTORKAMER NAAM, HOOFDGROEP NAAM, LEERWEG, NIVEAU, WOONPROVINCIE, JAAR_2021 ...
JAAR_2025`, same source) plus a home-municipality column; that column's name ("WOONGEMEENTE",
with upper-case names here), the level and main-group values and the datastore field types
(text, the xloader default) are unverified. The envelope follows CKAN's own `datastore_search`
(`success`, `result` with `fields`, `records` with `_id`, `_links` whose `next` is always present,
`total`, the applied `limit`), answering at most 250 rows a page as a capped server does.
Every count is synthesized (about 2.8% of residents in mbo, fixed sector shares, seeded noise;
small cells suppressed as -1): see the manifest `duo.json`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from sources.generators.statline import POPULATION
from sources.onderwijsdata import ENROLMENT_RESOURCE, search_query
from sources.registry import make_http
from sources.snapshot import DEMO_MUNICIPALITIES, Generator, write_recording

YEARS = range(2021, 2026)
SERVER_LIMIT = 250  # rows the synthesized server answers per page, whatever is asked
SECTORS = {  # sector chamber -> (main group, share of mbo students), synthesized shares
    "Techniek en gebouwde omgeving": ("Techniek", 0.22),
    "Mobiliteit, transport, logistiek en maritiem": ("Transport en logistiek", 0.08),
    "ICT en creatieve industrie": ("ICT", 0.09), "Zorg, welzijn en sport": ("Zorg en welzijn", 0.31),
    "Handel": ("Handel en ondernemerschap", 0.12),
    "Specialistisch vakmanschap": ("Ambacht", 0.18)}
LEVELS = {"1": 0.05, "2": 0.2, "3": 0.3, "4": 0.45}
COLUMNS = ["SECTORKAMER NAAM", "HOOFDGROEP NAAM", "LEERWEG", "NIVEAU", "WOONGEMEENTE",
           "WOONPROVINCIE", *(f"JAAR_{y}" for y in YEARS)]
PROVINCES = {"GM0453": "Noord-Holland", "GM0375": "Noord-Holland", "GM0396": "Noord-Holland",
             "GM0383": "Noord-Holland", "GM0450": "Noord-Holland", "GM0518": "Zuid-Holland"}
OUTSIDE = ("AMSTERDAM", "Noord-Holland", 920_000)  # a municipality not configured: dropped


def _rows(rng: np.random.Generator) -> list[dict]:
    places = [(DEMO_MUNICIPALITIES[c].upper(), PROVINCES.get(c, "Gelderland"), POPULATION[c])
              for c in sorted(DEMO_MUNICIPALITIES) if c.startswith("GM")] + [OUTSIDE]
    rows = []
    for name, province, population in places:
        students = population * 0.028  # about 2.8% of residents are in mbo
        for sector, (group, share) in SECTORS.items():
            for route, route_share in (("BBL", 0.27), ("BOL", 0.73)):
                for level, level_share in LEVELS.items():
                    counts = {}
                    for i, year in enumerate(YEARS):
                        n = round(students * share * route_share * level_share
                                  * (1 + 0.01 * i) * (1 + rng.normal(0, 0.04)))
                        counts[f"JAAR_{year}"] = str(n if n >= 5 else -1)  # suppressed
                    rows.append({"_id": len(rows) + 1, "SECTORKAMER NAAM": sector,
                                 "HOOFDGROEP NAAM": group, "LEERWEG": route, "NIVEAU": level,
                                 "WOONGEMEENTE": name, "WOONPROVINCIE": province, **counts})
    return rows


def write_onderwijsdata(root: Path) -> None:
    http = make_http("duo", mode="snapshot")
    rows = _rows(np.random.default_rng(2015))
    fields = [{"id": "_id", "type": "int"}] + [{"id": c, "type": "text"} for c in COLUMNS]
    for offset in range(0, len(rows), SERVER_LIMIT):
        query = search_query(ENROLMENT_RESOURCE, offset)
        start = f"/api/3/action/datastore_search?resource_id={ENROLMENT_RESOURCE}&limit={query['limit']}"
        doc = {"help": f"{http.base_url.rstrip('/')}/help_show?name=datastore_search",
               "success": True, "result": {
                   "include_total": True, "limit": SERVER_LIMIT, "records_format": "objects",
                   "resource_id": ENROLMENT_RESOURCE, "total_estimation_threshold": None,
                   "records": rows[offset:offset + SERVER_LIMIT], "fields": fields,
                   "_links": {"start": start, "next": f"{start}&offset={offset + SERVER_LIMIT}"},
                   "total": len(rows), "offset": offset}}
        write_recording(root, http.url_for("datastore_search", query), json.dumps(doc).encode(),
                        "json", compress=True)


GENERATORS = [Generator(source="duo", version="3", write=write_onderwijsdata)]
