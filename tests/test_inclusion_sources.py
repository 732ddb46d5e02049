"""Inclusion families (issue 16): contract tests of the CBS tables they read, in the OData v4
format, and of the parser rules they need (a measure read at a slice of a dimension, title and
unit variants, optional measures, Marges where present, a region dimension named, school-year
periods, a dimension with a single code).

Structure of the payloads: the v4 envelope and rows as in verbatim captures of
`https://datasets.cbs.nl/odata/v1/CBS/...` (Stefan7168/checkdecijfers `tests/fixtures/cbs/`,
docs/evidence/cbs_duo.md). Per table, what public evidence shows is named in the family's
declaration (families/youth, poverty, health, cohesion) and in the snapshot manifest; codes
spelled `SYN...` and every value here are made up for the test.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from core.errors import ContractError
from core.payload import Payload
from families import cohesion, health, poverty, youth
from transforms.statline import observations_filter, parse_table, resolve, title_key

BASE = "https://datasets.cbs.nl/odata/v1/CBS"
YOUTH, SCHOOL = youth.CBS_TABLES
POVERTY = poverty.CBS_TABLES[0]
HEALTH = health.CBS_TABLES[0]
COHESION = cohesion.CBS_TABLES[0]


def doc(rows: list[dict], key: str) -> Payload:
    return Payload(source="cbs_statline", dataset="t", request_key=key, url=f"{BASE}/{key}",
                   media_type="application/json",
                   body=json.dumps({"@odata.context": f"{BASE}/$metadata", "value": rows}).encode(),
                   fetched_at=datetime.now(UTC))


def dim(name: str, kind: str = "Dimension") -> dict:
    return {"Identifier": name, "Title": name, "Description": "", "MapYear": None,
            "ReleasePolicy": None, "Kind": kind, "ContainsGroups": False, "ContainsCodes": True,
            "CodesUrl": f"{BASE}/T/{name}Codes", "GroupsUrl": None}


def codes(*pairs: tuple[str, str]) -> list[dict]:
    return [{"Identifier": c, "Index": n, "Title": t, "Description": "", "DimensionGroupId": None}
            for n, (c, t) in enumerate(pairs)]


def measures(*rows: tuple[str, str, str]) -> list[dict]:
    return [{"Identifier": i, "Index": n, "Title": t, "Description": "", "MeasureGroupId": None,
             "DataType": "Double", "Unit": u, "Decimals": 1, "PresentationType": None}
            for n, (i, t, u) in enumerate(rows)]


def cell(measure: str, period: str, value, **dims) -> dict:
    return {"Id": 3, "Measure": measure, "ValueAttribute": "None", "Value": value,
            "StringValue": None, **dims, "Perioden": period}


def table(spec, dims: list[dict], measure_rows: list[dict], dim_codes: dict[str, list[dict]],
          rows: list[dict], periods: list[str]) -> list[Payload]:
    """The payloads `sources.statline.fetch_issue` stores for one issue."""
    def key(what: str) -> str:
        return f"{spec.table}/{spec.table}/{what}"

    period_rows = [{"Identifier": p, "Index": n, "Title": p[:4], "Description": "",
                    "DimensionGroupId": "0", "Status": "Definitief"} for n, p in enumerate(periods)]
    return [doc(dims, key("Dimensions")), doc(measure_rows, key("MeasureCodes")),
            doc(period_rows, key("PeriodenCodes")),
            *(doc(c, key(f"{d}Codes")) for d, c in dim_codes.items()),
            doc(rows, key("Observations/0000"))]


# -- youth: one measure read at its total and at a slice (86223NED) -----------------------------

YOUTH_DIMS = [dim("Onderwijsvolgend"), dim("Arbeidskenmerken"), dim("Uitkering"),
              dim("GeregistreerdWerkzoekendeBijUWV"), dim("RegioS", "GeoDimension"),
              dim("Perioden", "TimeDimension")]
TOTAL = ("SYN00", "Totaal ")  # CBS titles carry trailing spaces
YOUTH_CODES = {"Onderwijsvolgend": codes(TOTAL, ("SYN01", "Onderwijsvolgend")),
               "Arbeidskenmerken": codes(TOTAL, ("SYN11", "Arb.pos.: werkzame beroepsbevolking"),
                                         ("SYN12", "Arb.pos.: niet-werkzame bevolking")),
               "Uitkering": codes(TOTAL, ("SYN21", "Met uitkering")),
               "GeregistreerdWerkzoekendeBijUWV": codes(TOTAL, ("SYN31", "Geregistreerd"))}
OTHER_TOTALS = {"Onderwijsvolgend": "SYN00", "Uitkering": "SYN00",
                "GeregistreerdWerkzoekendeBijUWV": "SYN00"}


def youth_payloads(rows: list[dict]) -> list[Payload]:
    return table(YOUTH, YOUTH_DIMS, measures(("SYNM1", "Jongeren (15 tot 27 jaar)", "aantal")),
                 YOUTH_CODES, rows, ["2023JJ00"])


def youth_row(work: str, value, region: str = "GM0453", **overrides) -> dict:
    return cell("SYNM1", "2023JJ00", value, **(OTHER_TOTALS | overrides),
                Arbeidskenmerken=work, RegioS=region)


def test_youth_counts_at_the_total_and_at_the_not_working_slice():
    rows = [youth_row("SYN00", 5000), youth_row("SYN12", 1200), youth_row("SYN11", 3800),
            youth_row("SYN12", 999, Onderwijsvolgend="SYN01")]  # another slice: not ours
    frame = parse_table(YOUTH, youth_payloads(rows))
    got = dict(frame.select("measure", "value").rows())
    assert got == {"youth_persons": 5000.0, "youth_not_working_persons": 1200.0}
    assert set(frame["unit"]) == {"persons"}


def test_youth_filter_asks_for_both_slices_and_the_other_totals():
    payloads = youth_payloads([])
    meta = {p.request_key.split("/")[-1]: p for p in payloads[:-1]}
    query = observations_filter(YOUTH, resolve(YOUTH, "86223NED", meta), ["GM0453"])
    assert "(Arbeidskenmerken eq 'SYN00' or Arbeidskenmerken eq 'SYN12')" in query
    assert "Onderwijsvolgend eq 'SYN00'" in query and "Uitkering eq 'SYN00'" in query
    assert query.count("Measure eq 'SYNM1'") == 1


def test_a_missing_slice_title_is_a_contract_error():
    changed = dict(YOUTH_CODES, Arbeidskenmerken=codes(TOTAL, ("SYN12", "Niet werkzaam")))
    payloads = table(YOUTH, YOUTH_DIMS, measures(("SYNM1", "Jongeren (15 tot 27 jaar)", "aantal")),
                     changed, [], ["2023JJ00"])
    with pytest.raises(ContractError, match="Arbeidskenmerken: 0 codes titled"):
        parse_table(YOUTH, payloads)


# -- early school leavers: a named region dimension, school-year periods (84780NED) -------------

SCHOOL_DIMS = [dim("Geslacht"), dim("Regiokenmerken"), dim("Perioden", "TimeDimension")]
SCHOOL_MEASURES = measures(("SYNL1", "Leerlingen", "aantal"),
                           ("SYNL2", "Voortijdig schoolverlaters", "aantal"),
                           ("SYNL4", "Voortijdig schoolverlaters", "%"))


@pytest.mark.parametrize("period", ["2022JJ00", "2022SJ00"])
def test_early_school_leavers_in_either_period_coding(period):
    rows = [cell("SYNL1", period, 4000, Geslacht="T001038", Regiokenmerken="GM0375"),
            cell("SYNL2", period, 80, Geslacht="T001038", Regiokenmerken="GM0375"),
            cell("SYNL4", period, 2.0, Geslacht="T001038", Regiokenmerken="GM0375"),
            cell("SYNL2", period, 50, Geslacht="4000", Regiokenmerken="GM0375")]
    payloads = table(SCHOOL, SCHOOL_DIMS, SCHOOL_MEASURES,
                     {"Geslacht": codes(("T001038", "Totaal mannen en vrouwen"), ("4000", "Vrouwen"))},
                     rows, [period])
    frame = parse_table(SCHOOL, payloads)
    got = {(m, p, r): v for m, p, r, v in frame.select("measure", "period", "region_code", "value").rows()}
    assert got == {("pupils_persons", "2022", "GM0375"): 4000.0,
                   ("early_school_leavers_persons", "2022", "GM0375"): 80.0}


# -- poverty: a title matched on its letters, in % (86131NED) -----------------------------------

@pytest.mark.parametrize("title", ["Personen tot 105% armoedegrens",
                                   "Personen tot 105% armoedegrens (relatief)"])
def test_poverty_title_variants_resolve_to_the_share(title):
    dims = [dim("Persoonskenmerken"), dim("RegioS", "GeoDimension"), dim("Perioden", "TimeDimension")]
    rows = [cell("SYNP1", "2022JJ00", 6.4, Persoonskenmerken="T009002", RegioS="GM0396"),
            cell("SYNP2", "2022JJ00", 2500, Persoonskenmerken="T009002", RegioS="GM0396")]
    payloads = table(POVERTY, dims, measures(("SYNP1", title, "%"), ("SYNP2", title, "aantal")),
                     {"Persoonskenmerken": codes(("T009002", "Totaal personen"), ("SYN1", "Kinderen"))},
                     rows, ["2022JJ00"])
    frame = parse_table(POVERTY, payloads)
    assert frame.select("measure", "value").rows() == [("poverty_105_share_pct", 6.4)]


def test_title_key_ignores_case_spaces_and_punctuation():
    assert title_key("Sociale cohesie (schaalscore) ") == title_key("SocialeCohesieSchaalscore")
    assert title_key("Personen tot 105% armoedegrens") != title_key("Personen tot 100% armoedegrens")


# -- health: Marges where present, a single-code dimension, an optional measure (86137NED) ------

HEALTH_DIMS = [dim("Leeftijd"), dim("Marges"), dim("RegioS", "GeoDimension"),
               dim("Perioden", "TimeDimension")]
HEALTH_CODES = {"Leeftijd": codes(("SYN18", "18 jaar of ouder"))}


def test_health_reads_the_estimate_not_its_margins_and_tolerates_an_absent_optional_measure():
    rows = [cell(m, "2024JJ00", v, Leeftijd="SYN18", Marges=marge, RegioS="GM0518")
            for m, v, marge in (("SYNH1", 74.8, "MW00000"), ("SYNH1", 73.1, "MOG0095"),
                                ("SYNH1", 76.4, "MBG0095"), ("SYNH2", 10.1, "MW00000"))]
    payloads = table(HEALTH, HEALTH_DIMS,
                     measures(("SYNH1", "Ervaren gezondheid goed/zeer goed", "%"),
                              ("SYNH2", "Hoog risico op angst of depressie", "%")),
                     HEALTH_CODES, rows, ["2024JJ00"])
    frame = parse_table(HEALTH, payloads)  # "Moeite met rondkomen" absent: left out
    assert dict(frame.select("measure", "value").rows()) == {
        "good_health_pct": 74.8, "anxiety_depression_risk_pct": 10.1}


def test_a_required_health_measure_missing_fails_naming_its_titles():
    payloads = table(HEALTH, HEALTH_DIMS, measures(("SYNH2", "Hoog risico op angst of depressie", "%")),
                     HEALTH_CODES, [], ["2024JJ00"])
    with pytest.raises(ContractError, match="Goed ervaren gezondheid' or 'Ervaren gezondheid"):
        parse_table(HEALTH, payloads)


def test_health_without_a_marges_dimension_still_reads():
    dims = [d for d in HEALTH_DIMS if d["Identifier"] != "Marges"]
    rows = [cell("SYNH1", "2022JJ00", 77.0, Leeftijd="SYN18", RegioS="GM0518"),
            cell("SYNH2", "2022JJ00", 9.0, Leeftijd="SYN18", RegioS="GM0518")]
    payloads = table(HEALTH, dims, measures(("SYNH1", "Goed ervaren gezondheid", "%"),
                                            ("SYNH2", "Hoog risico op angststoornis of depressie", "%")),
                     HEALTH_CODES, rows, ["2022JJ00"])
    assert parse_table(HEALTH, payloads).height == 2


# -- cohesion: unit variants, only covered municipalities (85146NED) ---------------------------

@pytest.mark.parametrize("unit", ["schaalscore", "", "score"])
def test_cohesion_score_in_any_stated_unit_spelling(unit):
    dims = [dim("Marges"), dim("RegioS", "GeoDimension"), dim("Perioden", "TimeDimension")]
    rows = [cell("SYNC1", "2023JJ00", 5.9, Marges="MW00000", RegioS="GM0518"),
            cell("SYNC1", "2023JJ00", 5.7, Marges="MOG0095", RegioS="GM0518")]
    payloads = table(COHESION, dims, measures(("SYNC1", "Sociale cohesie (schaalscore)", unit)),
                     {}, rows, ["2023JJ00"])
    frame = parse_table(COHESION, payloads)
    assert frame.select("region_code", "measure", "value", "unit").rows() == [
        ("GM0518", "social_cohesion_score", 5.9, "score")]


def test_cohesion_in_an_unknown_unit_is_refused():
    dims = [dim("Marges"), dim("RegioS", "GeoDimension"), dim("Perioden", "TimeDimension")]
    payloads = table(COHESION, dims, measures(("SYNC1", "Sociale cohesie (schaalscore)", "%")),
                     {}, [], ["2023JJ00"])
    with pytest.raises(ContractError, match="expected 'schaalscore' or '' or 'score'"):
        parse_table(COHESION, payloads)


# -- the families' rules and indicators ------------------------------------------------------

def test_inclusion_indicators_have_texts_a_theme_and_no_invented_target():
    from indicators.catalogue import load_catalogue
    from reports.i18n import THEMES

    catalogue = load_catalogue()
    tables = {f"clean_{f.FAMILY.name}" for f in (youth, poverty, health, cohesion)}
    mine = [i for i in catalogue.indicators if {s.table for s in i.source_tables} & tables]
    assert len(mine) == 8
    for indicator in mine:
        assert indicator.agenda == "inclusion" and indicator.theme in THEMES
        assert indicator.name.nl != indicator.name.en and indicator.definition.nl
        assert indicator.targets == []  # no document sets one: direction of travel


def test_share_rule_fails_a_rate_above_100():
    import great_expectations as gx
    import pandas as pd

    from transforms.stat_rules import share_rules

    frame = pd.DataFrame({"measure": ["poverty_105_share_pct", "other"], "value": [120.0, 500.0]})
    context = gx.get_context(mode="ephemeral")
    batch = context.data_sources.add_pandas("p").add_dataframe_asset("a") \
        .add_batch_definition_whole_dataframe("b").get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(share_rules(("poverty_105_share_pct",))[0])
    assert not result.success and result.result["unexpected_count"] == 1
