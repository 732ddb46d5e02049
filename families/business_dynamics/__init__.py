"""Business dynamics: new establishments (start-ups, CBS 83631NED "Vestigingen van bedrijven;
oprichtingen, bedrijfstak, regio"), closed establishments (closures, CBS 83635NED "Vestigingen
van bedrijven; opheffingen, bedrijfstak, regio") and their net change, per COROP area and for
the Netherlands, all economic activities.

CBS publishes these per COROP area, province and the country, not per municipality
(docs/evidence/green_zone_more.md G6), so both tables are read at every COROP code and NL01;
`indicators/areas.yaml` says which COROP area holds which configured region, and the page says
so next to the figures. The net change (start-ups minus closures) is derived per area and year
(`transforms.green_zone.add_net_change`).

Evidence (G6): 83631NED's SBI dimension `BedrijfstakkenBranchesSBI2008` with total `T001081`
and COROP codes `CR01`-`CR40` in `RegioS`, from a public build script reading the table's v3
data; the v3 keys `OprichtingenVanVestigingen_1` and `OpheffingenVanVestigingen_1` from a
public pipeline's glossary of fields landed from the v3 service (both secondary). Not verified:
the v4 identifiers of both measures (the titles below are the wording of the v3 keys, resolved
by title and unit at runtime), their unit (number, "aantal"), and 83635NED's region codes and
SBI total, taken as in its twin 83631NED: a live fetch that finds any of them missing stops
with a contract error.
"""

from __future__ import annotations

from families.cbs import cbs_family
from transforms.green_zone import CLOSURES, STARTUPS, add_net_change, business_dynamics_rules
from transforms.stat_rules import COROP_OR_COUNTRY
from transforms.statline import MeasureSpec, TableSpec

COROP_CODES = tuple(f"CR{n:02d}" for n in range(1, 41))  # the 40 COROP areas
CBS_TABLES: tuple[TableSpec, ...] = (
    TableSpec("83631NED", (
        MeasureSpec(STARTUPS, "Oprichtingen van vestigingen", "establishments", "aantal"),),
        region_codes=(*COROP_CODES, "NL01")),
    TableSpec("83635NED", (
        MeasureSpec(CLOSURES, "Opheffingen van vestigingen", "establishments", "aantal"),),
        region_codes=(*COROP_CODES, "NL01")),
)

# Feed `cbs_business_dynamics`, table `clean_business_dynamics`; region codes CR.. and NL01.
FAMILY = cbs_family("business_dynamics", "New and closed establishments and their net change "
                    "per COROP area and for the Netherlands.", CBS_TABLES,
                    business_dynamics_rules, region_pattern=COROP_OR_COUNTRY,
                    derive=add_net_change)
