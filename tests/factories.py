"""Test inputs built from the real schemas: the registered families' clean tables, so a test
frame cannot drift from what the pipeline writes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import polars as pl

from indicators.changes import CHANGE_SCHEMA
from indicators.compute import INDICATOR_SCHEMA, REGION_SCHEMA, TARGET_SCHEMA, VALUE_SCHEMA
from indicators.progress import ASSESSMENT_SCHEMA
from reports.contract import EditionInputs, SourceUse
from warehouse.schema import clean_table

AIR_QUALITY_HOURLY = clean_table("clean_air_quality_hourly")
AIR_QUALITY_VALIDATED_HOURLY = clean_table("clean_air_quality_validated_hourly")
EMISSIONS = clean_table("clean_emissions")
EMPLOYMENT = clean_table("clean_employment")
TRAINING = clean_table("clean_training")
OFFSHORE_WIND = clean_table("clean_offshore_wind")


def feed(name: str):
    """(family, feed) of a registered feed, by feed name."""
    from families.registry import feeds

    return next((f, fd) for f, fd in feeds() if fd.name == name)


def demo_geography():
    """What the demo snapshot holds: the geography snapshot-mode fetches use."""
    from core.geography import Geography
    from sources.snapshot import DEMO_MUNICIPALITIES, DEMO_NUTS, DEMO_STATIONS

    return Geography(tuple(sorted(DEMO_MUNICIPALITIES)), tuple(sorted(DEMO_STATIONS)), DEMO_NUTS)


# -- a small edition's inputs, in the schemas the indicator layer declares -----------------

XSS = '<script>alert(1)</script>" onmouseover="alert(2)'
GENERATED_AT = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)

REGIONS = [
    ("ijmond", "IJmond", "IJmond", False, {"GM0453": "Velsen", "GM0375": "Beverwijk",
                                            "GM0396": "Heemskerk"},
     {"NL49551": "IJmuiden-Kanaalstraat", "NL49570": "Beverwijk-Creutzberglaan"}),
    ("cleantech", "Cleantech Regio", "Cleantech Region", False,
     {"GM0200": "Apeldoorn", "GM0150": "Deventer"}, {}),
    ("den_haag", "Den Haag", "The Hague", False, {"GM0518": "'s-Gravenhage"},
     {"NL10404": "Den Haag-Rebecquestraat"}),
    ("nl", "Nederland", "The Netherlands", True, {"NL01": "Nederland"}, {}),
]

# indicator kinds cycled through when more indicators are asked for
KINDS = [
    {"id": "pm10", "theme": "air", "agenda": "green_industrial_zone", "unit": "µg/m³",
     "direction": "lower_is_better", "base": 24.0, "step": -0.45, "target": "threshold"},
    {"id": "co2", "theme": "climate", "agenda": "green_industrial_zone", "unit": "kt CO2",
     "direction": "lower_is_better", "base": 9800.0, "step": -180.0, "target": "trajectory"},
    {"id": "participation", "theme": "work", "agenda": "inclusion", "unit": "%",
     "direction": "higher_is_better", "base": 66.0, "step": 0.35, "target": "trajectory"},
    {"id": "bbl", "theme": "learning", "agenda": "inclusion", "unit": "per 1.000",
     "direction": "higher_is_better", "base": 0.52, "step": 0.01, "target": None},
    {"id": "wind", "theme": "offshore_wind", "agenda": "green_industrial_zone", "unit": "MW",
     "direction": "higher_is_better", "base": 120.0, "step": 230.0, "target": "trajectory"},
]


def _indicator_specs(n: int) -> list[dict]:
    specs = []
    for i in range(n):
        kind = dict(KINDS[i % len(KINDS)])
        kind["id"] = kind["id"] if i < len(KINDS) else f"{kind['id']}_{i}"
        specs.append(kind)
    return specs


def _indicators(specs: list[dict]) -> pl.DataFrame:
    return pl.DataFrame([{
        "indicator_id": s["id"], "theme": s["theme"], "agenda": s["agenda"],
        "name_nl": f"Indicator {s['id']} (nl)", "name_en": f"Indicator {s['id']} (en)",
        "description_nl": "Beschrijving.", "description_en": "Description.",
        "definition_nl": "Jaargemiddelde.", "definition_en": "Annual mean.", "unit": s["unit"],
        "unit_nl": s["unit"], "unit_en": s["unit"],
        "direction": s["direction"], "aggregation": "sum", "context_only": s["target"] is None,
        "source_tables": ["air_station_annual" if s["theme"] == "air" else "clean_emissions"],
        "validated_tables": (["clean_air_quality_hourly", "clean_air_quality_validated_hourly"]
                             if s["theme"] == "air" else ["clean_emissions"]),
    } for s in specs], schema=INDICATOR_SCHEMA)


def _targets(specs: list[dict]) -> pl.DataFrame:
    rows = []
    for s in specs:
        if s["target"] == "threshold":
            rows.append(_target(s["id"], f"{s['id']}-who", "threshold", 15.0, None,
                                "WHO-advieswaarde", "WHO guideline"))
            rows.append(_target(s["id"], f"{s['id']}-eu", "threshold", 40.0, None,
                                "EU-grenswaarde", "EU limit value"))
        elif s["target"] == "trajectory":
            goal = s["base"] + s["step"] * 20
            rows.append(_target(s["id"], f"{s['id']}-2030", "trajectory", goal, 2030,
                                "Doel 2030", "2030 target"))
    return pl.DataFrame(rows, schema=TARGET_SCHEMA)




def _target(indicator_id, target_id, kind, value, year, label_nl, label_en) -> dict:
    return {"indicator_id": indicator_id, "target_id": target_id, "kind": kind, "value": value,
            "target_year": year, "baseline_year": 2015 if kind == "trajectory" else None,
            "value_change_pct": None, "baseline_from_year": None,
            "label_nl": label_nl, "label_en": label_en, "document": "Beleidsdocument",
            "document_nl": "Beleidsdocument", "document_en": "Policy document",
            "url": "https://example.org/doc", "applies_to": None,
            "scope_nl": "Reikwijdte", "scope_en": "Scope", "assessed": True,
            "scope_note_nl": None, "scope_note_en": None}


def region_row(region_id: str, name_nl: str, name_en: str, benchmark: bool,
               municipalities: dict[str, str], stations: dict[str, str],
               kind: str = "region", nuts: tuple[str, ...] = (),
               definition: tuple[str, str] | None = None) -> dict:
    return {"region_id": region_id, "name_nl": name_nl, "name_en": name_en, "kind": kind,
            "benchmark": benchmark, "municipalities": list(municipalities),
            "municipality_names": list(municipalities.values()), "stations": list(stations),
            "station_names": list(stations.values()), "nuts": list(nuts),
            "definition_nl": definition[0] if definition else None,
            "definition_en": definition[1] if definition else None}


def _regions() -> pl.DataFrame:
    return pl.DataFrame([region_row(*r) for r in REGIONS], schema=REGION_SCHEMA)




def _values(specs: list[dict], years: list[int], station: str) -> pl.DataFrame:
    rows = []
    for s in specs:
        for r, (rid, *_rest) in enumerate(REGIONS):
            if s["theme"] == "air" and rid == "cleantech":
                continue  # no station there: the report must say "not measured"
            for k, year in enumerate(years):
                value = s["base"] * (1 + 0.07 * r) + s["step"] * k + (0.3 if k % 3 == 0 else 0)
                rows.append(_value_row(s, rid, None, year, value, k, len(years)))
        if s["theme"] == "air":
            for k, year in enumerate(years):
                rows.append(_value_row(s, "ijmond", station, year, s["base"] + 2 - 0.4 * k, k,
                                       len(years)))
    return pl.DataFrame(rows, schema=VALUE_SCHEMA)


def _value_row(s, region_id, station, year, value, k, n) -> dict:
    return {"indicator_id": s["id"], "region_id": region_id, "station_code": station,
            "year": year, "value": value, "unit": s["unit"], "is_provisional": k == n - 1,
            "coverage_pct": 80.0 if k == 2 else 99.0, "low_coverage": k == 2,
            "members_expected": 3, "members_reporting": 3, "note": None}




def _assessments(values: pl.DataFrame, targets: pl.DataFrame, specs: list[dict]) -> pl.DataFrame:
    rows = []
    region_rows = values.filter(pl.col("station_code").is_null())
    for s in specs:
        for rid, *_rest in REGIONS:
            series = region_rows.filter((pl.col("indicator_id") == s["id"])
                                        & (pl.col("region_id") == rid)).sort("year")
            for t in targets.filter(pl.col("indicator_id") == s["id"]).to_dicts():
                rows.append(_assessment(s, rid, t, series))
            if s["target"] is None:
                rows.append(_assessment(s, rid, None, series))
    return pl.DataFrame(rows, schema=ASSESSMENT_SCHEMA)


def _assessment(s: dict, region_id: str, target: dict | None, series: pl.DataFrame) -> dict:
    base = {"indicator_id": s["id"], "region_id": region_id,
            "target_id": target["target_id"] if target else None,
            "target_kind": target["kind"] if target else None, "n_points": series.height,
            "trend": "down", "flags": "", "reason": None, "base_year": None,
            "base_value": None, "latest_year": None, "latest_value": None,
            "target_value": target["value"] if target else None,
            "target_year": target["target_year"] if target else None,
            "observed_cagr": None, "required_cagr": None, "ratio": None}
    if series.height == 0:
        return {**base, "status": "not_measured", "reason": "no station in this region"}
    latest = series.row(-1, named=True)
    base.update(latest_year=latest["year"], latest_value=latest["value"])
    if target is None:
        return {**base, "status": "context"}
    if target["kind"] == "threshold":
        return {**base, "status": "met" if latest["value"] <= target["value"] else "not_met"}
    first = series.row(0, named=True)
    ratio = {"ijmond": 0.7, "cleantech": 1.1, "den_haag": -0.2, "nl": 0.3}[region_id]
    status = {"ijmond": "acceleration_needed", "cleantech": "on_track",
              "den_haag": "moving_away", "nl": "limited_progress"}[region_id]
    return {**base, "status": status, "base_year": first["year"], "base_value": first["value"],
            "ratio": ratio, "observed_cagr": -0.01, "required_cagr": -0.02}


def make_inputs(*, n_indicators: int = 5, n_years: int = 10, edition_id: str = "2026-11-23",
                demo_data: bool = True, station: str = "NL49551",
                source_title: str = "RIVM Luchtmeetnet", indicator_name: str | None = None,
                generated_at: datetime = GENERATED_AT) -> EditionInputs:
    """A small, deterministic edition: 4 regions, `n_indicators` over `n_years` years."""
    specs = _indicator_specs(n_indicators)
    years = list(range(2025 - n_years, 2025))
    indicators = _indicators(specs)
    if indicator_name:
        indicators = indicators.with_columns(
            name_nl=pl.when(pl.col("indicator_id") == "pm10").then(pl.lit(indicator_name))
            .otherwise("name_nl"))
    targets = _targets(specs)
    values = _values(specs, years, station)
    return EditionInputs(
        edition_id=edition_id, generated_at=generated_at, demo_data=demo_data,
        indicators=indicators, targets=targets, regions=_regions(), values=values,
        assessments=_assessments(values, targets, specs), sources=_sources(source_title),
        validation=_validation(), validation_failures=_failures(),
        changes=_changes(), indicator_sources={s["id"]: [SourceUse(
            # a name the locales do not know, so the page shows this title as given
            source="factory_source", title=source_title, licence="CC BY 4.0",
            url="https://example.org/source",
            retrieved_at=datetime(2026, 11, 22, 6, 0, tzinfo=UTC), newest_period="2024")]
            for s in specs})


FEATURED = [rid for rid, *_rest in REGIONS]


def with_many_regions(inputs: EditionInputs, n: int,
                      featured: list[str] | None = FEATURED) -> EditionInputs:
    """`inputs` plus `n` synthetic municipalities, as a national deployment has: each a
    scaled copy of IJmond's series (so every year has a spread of values) and assessments."""
    ids = [f"gm{i:04d}" for i in range(n)]
    regions = pl.concat([inputs.regions, pl.DataFrame([
        region_row(rid, f"Gemeente {i:04d}", f"Municipality {i:04d}", False,
                   {f"GM{i:04d}": f"Gemeente {i:04d}"}, {}, kind="municipality")
        for i, rid in enumerate(ids)], schema=REGION_SCHEMA)])
    ijmond = inputs.values.filter((pl.col("region_id") == "ijmond")
                                  & pl.col("station_code").is_null())
    values = pl.concat([inputs.values, *[
        ijmond.with_columns(region_id=pl.lit(rid), value=pl.col("value") * (0.6 + 0.8 * i / n))
        for i, rid in enumerate(ids)]])
    assessed = inputs.assessments.filter(pl.col("region_id") == "ijmond")
    assessments = pl.concat([inputs.assessments, *[
        assessed.with_columns(region_id=pl.lit(rid)) for rid in ids]])
    return replace(inputs, regions=regions, values=values, assessments=assessments,
                   featured_regions=featured)


def _sources(title: str) -> pl.DataFrame:
    return pl.DataFrame([
        {"source": "luchtmeetnet", "title": title, "licence": "CC BY 4.0",
         "url": "https://api.luchtmeetnet.nl/open_api",
         "last_fetched_at": datetime(2026, 11, 22, 6, 0, tzinfo=UTC),
         "newest_period": "2026-11-21", "rows": 123456, "stale": False},
        {"source": "cbs", "title": "CBS StatLine", "licence": "CC BY 4.0",
         "url": "javascript:alert(3)", "last_fetched_at": None, "newest_period": None,
         "rows": 0, "stale": True}])


def _validation() -> pl.DataFrame:
    when = datetime(2026, 11, 22, 6, 5, tzinfo=UTC)
    return pl.DataFrame({
        "table_name": ["clean_air_quality_hourly", "clean_air_quality_hourly", "clean_emissions"],
        "partition_key": ["2026-11-20", "2026-11-21", ""], "validated_at": [when] * 3,
        "success": [True, False, True], "row_count": [240, 238, 1200],
        "expectations": [12, 12, 9], "failed": [0, 1, 0]})


def _failures() -> pl.DataFrame:
    return pl.DataFrame({
        "table_name": ["clean_air_quality_hourly"], "partition_key": ["2026-11-21"],
        "expectation": ["expect_column_values_to_be_between"], "column_name": ["value_ugm3"],
        # as warehouse.store.record_validation stores a rule's parameters (sorted JSON)
        "parameters": ['{"column": "value_ugm3", "max_value": 1000, "min_value": 0}'],
        "unexpected_count": [2], "unexpected_examples": [f"[1000000.0, {XSS!r}]"]})


def _changes() -> pl.DataFrame:
    return pl.DataFrame(schema=CHANGE_SCHEMA, data=[
        {"indicator_id": "pm10", "region_id": "ijmond", "change": "revision", "year": 2023,
         "old_value": 20.1, "new_value": 20.4, "old_status": None, "new_status": None,
         "explanation": "provisional became final"},
        {"indicator_id": "co2", "region_id": "ijmond", "change": "status_change", "year": None,
         "old_value": None, "new_value": None, "old_status": "on_track",
         "new_status": "acceleration_needed", "explanation": ""}])


