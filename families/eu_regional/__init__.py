"""EU regional labour-force figures: adult learning, young people neither in employment nor
in education or training (NEET) and labour-market slack, per NUTS 2 region (a province) and
for the country, from Eurostat's dissemination API. The EU Labour Force Survey publishes no
municipal figures: a region gets its province's figure when it lies in one province
(indicators.compute, aggregation "nuts_region"); the Cleantech Regio spans two and gets none.

Datasets and the category each other dimension is held at (docs/evidence/eurostat.md):
- trng_lfse_04 "Participation rate in education and training (last 4 weeks) by NUTS 2
  regions": unit PC, sex T, age Y25-64 (public clients filter exactly these).
- edat_lfse_22 "Young people neither in employment nor in education and training (NEET) by
  sex and NUTS 2 regions": unit PC, sex T, age Y15-29 (age bands Y15-29 and Y18-24 are read
  in public code). Whether it has further dimensions (training, employment status) is
  unverified: the parser accepts one only when it has a single category, else fails naming it.
- lfst_r_sla_ga "Labour market slack by sex, age and NUTS 2 regions": unit PC_ELF (percentage
  of the extended labour force), sex T, age Y15-74, wstatus SLACK (public code filters these;
  another reads age Y_GE15, so the age band is checked in the answer, not assumed).
"""

from __future__ import annotations

from core.geography import Geography
from core.tables import STAT_SHAPE
from families.base import Family, Feed
from sources import eurostat
from transforms.jsonstat import DatasetSpec, parse_datasets
from transforms.stat_rules import NUTS_CODES, common_stat_rules, share_rules

DATASETS: tuple[DatasetSpec, ...] = (
    DatasetSpec("trng_lfse_04", "adult_learning_4w_pct", "%",
                {"unit": "PC", "sex": "T", "age": "Y25-64"}),
    DatasetSpec("edat_lfse_22", "neet_15_29_pct", "%",
                {"unit": "PC", "sex": "T", "age": "Y15-29"}),
    DatasetSpec("lfst_r_sla_ga", "labour_slack_pct", "%",
                {"unit": "PC_ELF", "sex": "T", "age": "Y15-74", "wstatus": "SLACK"}),
)
MEASURES = tuple(d.measure for d in DATASETS)


def fetch(http, geography: Geography) -> list:
    """Each dataset for the NUTS regions the configured regions lie in (regions.yaml `nuts`)."""
    return eurostat.fetch_datasets(http, DATASETS, geography.nuts)


FAMILY = Family(
    name="eu_regional",
    table=STAT_SHAPE.table("clean_eu_regional", "Adult learning, NEET and labour-market slack "
                           "per NUTS 2 region and for the country (Eurostat, EU-LFS)."),
    rules=lambda: common_stat_rules(NUTS_CODES) + share_rules(MEASURES),
    sources=("eurostat",),
    cadence="monthly",
    feeds=(Feed(name="eurostat_regional_lfs", source="eurostat",
                description="Eurostat API Statistics (JSON-stat 2.0): "
                            + ", ".join(d.dataset for d in DATASETS),
                fetch=fetch, parse=lambda payloads: parse_datasets(DATASETS, payloads)),),
)
