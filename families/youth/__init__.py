"""Youth: the labour-market position of 15-27 year olds and early school leavers per
municipality (CBS StatLine)."""

from __future__ import annotations

from families.cbs import cbs_family
from transforms.stat_rules import score_rules
from transforms.statline import MeasureSpec, TableSpec

# 86223NED "Arbeidsmarktsituatie jongeren (15 tot 27 jaar); regio (indeling 2025)".
# Verified (a third party's model of the v4 Observations): dimensions Onderwijsvolgend,
# Arbeidskenmerken, Uitkering, GeregistreerdWerkzoekendeBijUWV, RegioS, Perioden.
# Secondary (CSV exports read in public code): one measure "Jongeren (15 tot 27 jaar)" in
# "aantal" (v3 key Jongeren15Tot27Jaar_1), every dimension's total titled "Totaal", and the
# Arbeidskenmerken code "Arb.pos.: niet-werkzame bevolking". Identifiers are not pinned: the
# measure and the codes are resolved at runtime by title (and unit). Newer issues (a new
# regional division) are found in the CBS catalogue by the title stem. NEET (neither in
# education nor in work) would need the Onderwijsvolgend code for "not in education", whose
# title no public evidence shows: not built.
# 84780NED "Voortijdig schoolverlaters; geslacht, woonregio": v3 keys Leerlingen_1,
# VoortijdigSchoolverlaters_2 (titles matched on their letters), Geslacht at T001038, region
# dimension "Regiokenmerken" (its v4 Kind unverified, so named); school-year period codes are
# unverified (YYYYJJ00 and YYYYSJnn both read). Counts are stored; the indicators divide the
# region's sums (exact for a region of several municipalities).
CBS_TABLES: tuple[TableSpec, ...] = (
    TableSpec("86223NED", (
        MeasureSpec("youth_persons", "Jongeren (15 tot 27 jaar)", "persons", "aantal"),
        MeasureSpec("youth_not_working_persons", "Jongeren (15 tot 27 jaar)", "persons",
                    "aantal", slice=(("Arbeidskenmerken", "Arb.pos.: niet-werkzame bevolking"),))),
        catalogue_title="Arbeidsmarktsituatie jongeren (15 tot 27 jaar); regio"),
    TableSpec("84780NED", (
        MeasureSpec("pupils_persons", "Leerlingen", "persons", "aantal"),
        MeasureSpec("early_school_leavers_persons", "Voortijdig schoolverlaters", "persons",
                    "aantal")),
        period="school_year", geo_dimension="Regiokenmerken"),
)
COUNTS = ("youth_persons", "youth_not_working_persons", "pupils_persons",
          "early_school_leavers_persons")

FAMILY = cbs_family(
    "youth", "Young people (15-27) not in work and early school leavers per municipality.",
    CBS_TABLES, lambda: score_rules(COUNTS, 0, 1e8))
