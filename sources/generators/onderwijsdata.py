"""Deterministic synthesized DUO datastore_search pages (CKAN JSON) for the snapshot.

mbo students by home municipality (BBL, BOL day/full time, by sector chamber) and diplomas,
2015-2024, for every municipality in the configured regions. All values are synthesized,
scaled to population (see the manifest `duo.json`)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from sources.generators.statline import POPULATION
from sources.onderwijsdata import (
    DIPLOMA_RESOURCE,
    ENROLMENT_RESOURCE,
    PAGE_SIZE,
    search_query,
)
from sources.registry import make_http
from sources.snapshot import DEMO_MUNICIPALITIES, Generator, write_recording

YEARS = range(2015, 2025)
SECTORS = {  # sector chamber -> share of mbo students (synthesized)
    "Techniek en gebouwde omgeving": 0.22, "Mobiliteit, transport, logistiek en maritiem": 0.08,
    "ICT en creatieve industrie": 0.09, "Zorg, welzijn en sport": 0.31,
    "Handel": 0.12, "Specialistische vakmanschap": 0.18}
FIELDS = {"enrolment": ["JAAR", "GEMEENTENUMMER", "GEMEENTENAAM", "SECTORKAMER", "BBL", "BOLDT", "BOLVT"],
          "diplomas": ["JAAR", "GEMEENTENUMMER", "GEMEENTENAAM", "SECTORKAMER", "DIPMAN", "DIPVROUW"]}


def _rows(kind: str, rng: np.random.Generator) -> list[dict]:
    rows = []
    for code in (c for c in sorted(DEMO_MUNICIPALITIES) if c.startswith("GM")):
        students = POPULATION[code] * 0.028  # about 2.8% of residents are in mbo
        for year in YEARS:
            bbl_share = 0.24 + 0.01 * (year - 2015) / 3 + rng.normal(0, 0.01)
            for sector, share in SECTORS.items():
                n = students * share * (1 + rng.normal(0, 0.04))
                base = {"_id": len(rows) + 1, "JAAR": year, "GEMEENTENUMMER": code[2:],
                        "GEMEENTENAAM": code, "SECTORKAMER": sector}
                if kind == "enrolment":
                    rows.append({**base, "BBL": round(n * bbl_share), "BOLDT": round(n * 0.04),
                                 "BOLVT": round(n * (0.96 - bbl_share))})
                else:
                    rows.append({**base, "DIPMAN": round(n * 0.16), "DIPVROUW": round(n * 0.15)})
    return rows


def write_onderwijsdata(root: Path) -> None:
    http = make_http("duo", mode="snapshot")
    rng = np.random.default_rng(2015)
    for kind, resource in (("enrolment", ENROLMENT_RESOURCE), ("diplomas", DIPLOMA_RESOURCE)):
        rows = _rows(kind, rng)
        for offset in range(0, max(len(rows), 1), PAGE_SIZE):
            doc = {"help": "datastore_search", "success": True, "result": {
                "resource_id": resource, "fields": [{"id": "_id", "type": "int"}]
                + [{"id": f, "type": "text"} for f in FIELDS[kind]],
                "records": rows[offset:offset + PAGE_SIZE], "total": len(rows),
                "limit": PAGE_SIZE, "offset": offset}}
            url = http.url_for("datastore_search", search_query(resource, offset))
            write_recording(root, url, json.dumps(doc).encode(), "json", compress=True)


GENERATORS = [Generator(source="duo", version="1", write=write_onderwijsdata)]
