"""Names for the warehouse's SQL views: the catalogue's indicators, the regions and the
stations, as small reference tables (`ref_indicators`, `ref_regions`, `ref_stations`), written
with the indicator values so a query shows names next to ids (see warehouse/views.py)."""

from __future__ import annotations

import polars as pl

from indicators.catalogue import Catalogue, Regions


def reference_frames(catalogue: Catalogue, regions: Regions) -> dict[str, pl.DataFrame]:
    indicators = pl.DataFrame(
        [{"indicator_id": i.id, "name_nl": i.name.nl, "name_en": i.name.en, "theme": i.theme,
          "agenda": i.agenda, "unit": i.unit, "direction": i.direction,
          "definition_nl": i.definition.nl, "definition_en": i.definition.en}
         for i in catalogue.indicators])
    region_rows = pl.DataFrame(
        [{"region_id": r.id, "name_nl": r.name.nl, "name_en": r.name.en, "kind": r.kind,
          "benchmark": r.benchmark} for r in regions.regions])
    stations = pl.DataFrame(
        [{"station_code": s.code, "name": s.name, "municipality": s.municipality}
         for s in regions.station_register],
        schema={"station_code": pl.String, "name": pl.String, "municipality": pl.String})
    return {"ref_indicators": indicators, "ref_regions": region_rows, "ref_stations": stations}
