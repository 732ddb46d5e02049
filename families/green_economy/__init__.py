"""Green economy and jobs: employee jobs per municipality by economic activity (CBS 83582NED,
"Banen van werknemers in december; economische activiteit (SBI2008), regio"), for the
transition sectors configured in `sectors.yaml`.

Evidence: the table, its measure "Banen van werknemers in december" in "x 1 000", its SBI
section titles and its municipal rows as StatLine shows them (cbs.nl/nl-nl/cijfers/detail/
83582NED); yearly period codes `YYYYJJ00` (a public v3 client strips "JJ00"). Not verified:
the v4 identifiers of the measure and of the SBI dimension and its codes: the measure resolves
by title and unit, the SBI dimension as the one whose codes carry the configured titles, at
runtime. Business dynamics (83631NED start-ups, 81578NED establishments) are published per
COROP region in the public evidence found, not per municipality, and are not read yet.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from core.config import safe_yaml
from core.tables import STAT_SHAPE
from families.base import Family
from families.cbs import cbs_feed
from transforms.green_zone import add_transition_jobs, green_economy_rules
from transforms.statline import MeasureSpec, Split, TableSpec

SECTORS_FILE = Path(__file__).parent / "sectors.yaml"


def load_sectors(path: Path = SECTORS_FILE) -> tuple[dict[str, str], tuple[str, ...]]:
    """(SBI title -> entity for the total and every transition sector, transition entities)."""
    doc = safe_yaml(path.read_text(encoding="utf-8")) or {}
    sectors = doc.get("transition_sectors") or []
    if not sectors or "total" not in doc:
        raise ValueError(f"{path}: needs 'total' and a non-empty 'transition_sectors' list")
    titles = {doc["total"]["title"]: doc["total"]["entity"]}
    titles |= {s["title"]: s["entity"] for s in sectors}
    if len(set(titles.values())) != len(titles):
        raise ValueError(f"{path}: every sector needs its own entity")
    return titles, tuple(s["entity"] for s in sectors)


SECTOR_TITLES, TRANSITION_SECTORS = load_sectors()
CBS_TABLES: tuple[TableSpec, ...] = (
    TableSpec("83582NED", (
        MeasureSpec("employee_jobs", "Banen van werknemers in december", "jobs", "x 1 000"),),
        split=Split(SECTOR_TITLES)),
)

FAMILY = Family(
    name="green_economy",
    table=STAT_SHAPE.table("clean_green_economy", "Employee jobs per municipality by "
                           "economic activity, with the configured transition sectors."),
    rules=partial(green_economy_rules, tuple(SECTOR_TITLES.values())),
    sources=("cbs_statline",),
    cadence="monthly",
    feeds=(cbs_feed("cbs_jobs_by_activity", "employee jobs by SBI section (the transition "
                    "sectors of sectors.yaml summed)", CBS_TABLES,
                    derive=partial(add_transition_jobs, transition=TRANSITION_SECTORS)),),
)
