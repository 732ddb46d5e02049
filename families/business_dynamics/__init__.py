"""Business dynamics: new establishments (start-ups) per COROP area and for the Netherlands
(CBS 83631NED, "Vestigingen van bedrijven; oprichtingen, bedrijfstak, regio"), all economic
activities.

CBS publishes these per COROP area, province and the country, not per municipality
(docs/evidence/green_zone_more.md G6), so the table is read at every COROP code and NL01;
`indicators/areas.yaml` says which COROP area holds which configured region, and the page says
so next to the figures.

Evidence: the table, its SBI dimension `BedrijfstakkenBranchesSBI2008` with total `T001081`
and COROP codes `CR01`-`CR40` in `RegioS`, from a public build script reading the table's v3
data (secondary). Not verified: the v4 identifier of the measure (only its v3 key
`OprichtingenVanVestigingen_1` was seen: the title below is that key's wording, and it resolves
by title and unit at runtime) and its unit (number, "aantal"). Closures (83635NED): no measure
of it was seen, so it is not read.
"""

from __future__ import annotations

from families.cbs import cbs_family
from transforms.stat_rules import COROP_OR_COUNTRY
from transforms.statline import MeasureSpec, TableSpec

COROP_CODES = tuple(f"CR{n:02d}" for n in range(1, 41))  # the 40 COROP areas
CBS_TABLES: tuple[TableSpec, ...] = (
    TableSpec("83631NED", (
        MeasureSpec("establishment_startups", "Oprichtingen van vestigingen", "establishments",
                    "aantal"),),
        region_codes=(*COROP_CODES, "NL01")),
)


def business_dynamics_rules() -> list:
    import great_expectations as gx

    return [
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="value", min_value=0, description="start-ups are counts"),
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="unit", value_set=["establishments"], description="one unit"),
    ]


# Feed `cbs_business_dynamics`, table `clean_business_dynamics`; region codes CR.. and NL01.
FAMILY = cbs_family("business_dynamics", "New establishments (start-ups) per COROP area and "
                    "for the Netherlands.", CBS_TABLES, business_dynamics_rules,
                    region_pattern=COROP_OR_COUNTRY)
