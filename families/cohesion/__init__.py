"""Social cohesion and liveability: the Veiligheidsmonitor per municipality (CBS StatLine),
published only for municipalities with a large enough sample; elsewhere "not measured"."""

from __future__ import annotations

from families.cbs import cbs_family
from transforms.stat_rules import score_rules
from transforms.statline import MeasureSpec, TableSpec

# 85146NED "Veiligheidsmonitor; kerncijfers, regio" (secondary: v3 code reads RegioS, Marges
# and Perioden 2021JJ00/2023JJ00/2025JJ00, key SocialeCohesieSchaalscore_15, and Marges
# MW00000 for the estimate). The v4 titles and units are unverified: the cohesion measure is
# matched on its letters ("Sociale cohesie (schaalscore)"); the liveability mark's title is
# not evidenced at all, so it is optional (left out when absent). Both are survey scores.
CBS_TABLES: tuple[TableSpec, ...] = (
    TableSpec("85146NED", (
        MeasureSpec("social_cohesion_score", "Sociale cohesie (schaalscore)", "score",
                    "schaalscore", aliases=("Sociale cohesie schaalscore",),
                    alt_units=("", "score")),
        MeasureSpec("liveability_mark_score", "Rapportcijfer leefbaarheid woonbuurt", "score",
                    "rapportcijfer", alt_units=("", "score"), optional=True)),
        if_present={"Marges": "MW00000"}),
)

FAMILY = cbs_family(
    "cohesion", "Social cohesion and liveability scores (Veiligheidsmonitor) where municipalities are covered.",
    CBS_TABLES, lambda: score_rules(("social_cohesion_score", "liveability_mark_score"), 0, 10))
