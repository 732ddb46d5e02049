"""File sources in their published formats: the Emissieregistratie data export (XLSX a person
drops in the drop folder) and the EU ETS verified emissions (the registry's workbook at any
header depth, or the long daily CSV, found through the download page's listing).

Every payload here is written by the test in the real layout, from public evidence:
- ER export: sheet `Emissies`, header in row 1, columns Stof, Gebiedsindeling, Code_gebied,
  Gebied, Sector, Subsector, Emissie, Eenheid, Jaar (Deltares Ribasim-NL script reading a real
  `ER_DataExport-*.xlsx`; an R script merging ER lists). Municipal code spellings and a text
  value with a decimal comma are unverified variants, handled on purpose.
- ETS workbook: columns as ghgsql loads `verified_emissions_2024_en.xlsx`; header row 21 in
  the 2022-2024 files, 3 banner rows and a Read Me sheet in 2025, sheet `verified_emissions_2021`
  in 2021 (carbondata's reader). Long CSV: eu-ets-mcp's column list, -1 = no data, zero grid.
- Listing: a JSON array of objects with `url` and `action` (eu-ets-mcp).
The figures are test values, not official ones.
"""

from __future__ import annotations

import gzip
import logging
from datetime import UTC, datetime

import polars as pl
import pytest
from factories import demo_geography

from core.errors import ContractError, SourceError
from core.payload import Payload
from families import emissions as emissions_family
from sources import emissieregistratie, eu_ets
from sources.generators.emissions_wind import (
    ER_EXPORT_NAME,
    ETS_DEMO_ID,
    emissieregistratie_xlsx,
    ets_data_rows,
    ets_workbook,
    xlsx_bytes,
)
from sources.registry import SNAPSHOT_FILES_DIR, make_http
from sources.snapshot import RECORDED_DIR
from transforms.air_quality import SchemaDriftWarning
from transforms.emissions import EtsInstallation, parse_emissieregistratie, parse_eu_ets

# -- helpers -----------------------------------------------------------------------------------

ER_HEADER = ["Stof", "Gebiedsindeling", "Code_gebied", "Gebied", "Sector", "Subsector",
             "Emissie", "Eenheid", "Jaar"]


def er_row(code, sector="Overige industrie", value=1_000_000, unit="kg", year=2022,
           division="Gemeente", stof="Koolstofdioxide", subsector="Basismetaal"):
    return [stof, division, code, "Velsen", sector, subsector, value, unit, year]


def er_payload(rows, name="ER_DataExport-2024-06-03-101500.xlsx", header=ER_HEADER,
               sheet="Emissies", fetched=datetime(2024, 6, 3, tzinfo=UTC)) -> Payload:
    body = xlsx_bytes([(sheet, [header, *rows])])
    return Payload(source="emissieregistratie", dataset="co2_per_sector",
                   request_key="co2_per_sector/export", url=f"drop:emissieregistratie/{name}",
                   media_type="application/xlsx", body=body, fetched_at=fetched)


def value(frame: pl.DataFrame, **key) -> float | None:
    rows = frame.filter(**key)
    assert rows.height == 1, (key, rows)
    return rows["value"][0]


TATA = EtsInstallation(entity="tata_steel_ijmuiden", region_code="GM0453", registry="NL",
                       name_pattern="^tata steel ijmuiden")
PINNED = EtsInstallation(entity="tata_steel_ijmuiden", region_code="GM0453", registry="NL",
                         installation_ids=("101",))
ETS_ROWS = [  # registry, name, id, activity, {year: tonnes or marker}
    ("NL", "Tata Steel IJmuiden BV", "101", 24,
     {2021: 6_000_000, 2022: 5_800_000, 2023: 4_500_000, 2024: "Excluded"}),
    ("DE", "Stahlwerk Test", "101", 24, {2021: 7, 2022: 7, 2023: 7, 2024: 7}),
    ("NL", "Other Installation", "102", 20, {2021: 50, 2022: 50, 2023: 50, 2024: 50}),
    ("NL", "ETS2 aggregate", "103", 60, {2024: 1}),
]


def ets_payload(body: bytes, name="verified_emissions_2024_en.xlsx") -> Payload:
    return Payload(source="eu_ets", dataset="verified_emissions",
                   request_key="verified_emissions/emissions",
                   url=f"https://climate.ec.europa.eu/document/download/x_en?filename={name}",
                   media_type="application/xlsx", body=body, fetched_at=datetime.now(UTC))


def tata_series(frame: pl.DataFrame) -> dict[int, float | None]:
    mine = frame.filter(entity="tata_steel_ijmuiden").sort("year")
    return dict(zip(mine["year"].to_list(), mine["value"].to_list(), strict=True))


def gz_csv(lines: list[str], bom: bool = False) -> bytes:
    text = ("\ufeff" if bom else "") + "\n".join(lines) + "\n"
    return gzip.compress(text.encode("utf-8"), mtime=0)


# -- Emissieregistratie: the export's contents -------------------------------------------------

def test_export_rows_become_co2_per_sector_in_kt_summed_over_subsectors():
    frame = parse_emissieregistratie([er_payload([
        er_row("GM0453", value=4_000_000, subsector="Basismetaal"),
        er_row("GM0453", value=321_500, subsector="Overig"),
        er_row("GM0453", sector="Verkeer en vervoer", value=2.5, unit="kton"),
        er_row("NL", division="Nederland", sector="Raffinaderijen", value=9_500, unit="ton"),
        er_row("GM0453", stof="Stikstofoxiden (NOx)", value=99),  # another substance
        er_row("GM0453", stof="Kortcyclisch CO2", value=99),  # biogenic: not CO2 here
    ])])
    assert value(frame, region_code="GM0453", entity="overige_industrie") == pytest.approx(4.3215)
    assert value(frame, region_code="GM0453", entity="verkeer_en_vervoer") == 2.5
    assert value(frame, region_code="NL01", entity="raffinaderijen") == 9.5
    assert frame.height == 3 and set(frame["unit"]) == {"kt CO2"}


@pytest.mark.parametrize("code", ["GM0453", "453", "0453", 453, 453.0, "gm0453 "])
def test_every_spelling_of_a_municipality_code_becomes_the_cbs_code(code):
    frame = parse_emissieregistratie([er_payload([er_row(code)])])
    assert frame["region_code"].to_list() == ["GM0453"]


def test_an_unreadable_municipality_code_breaks_the_contract():
    with pytest.raises(ContractError, match="Code_gebied"):
        parse_emissieregistratie([er_payload([er_row("Velsen")])])


@pytest.mark.parametrize(("text", "kt"), [("1234,5", 1.2345), ("1.234,5", 1.2345),
                                          ("1234", 1.234), ("-", None), ("", None)])
def test_values_that_come_as_text_may_use_a_decimal_comma(text, kt):
    frame = parse_emissieregistratie([er_payload([er_row("GM0453", value=text, unit="ton")])])
    assert value(frame, region_code="GM0453") == (pytest.approx(kt) if kt else None)


def test_markers_say_why_a_value_is_missing():
    frame = parse_emissieregistratie([er_payload([
        er_row("GM0453", value="-"), er_row("GM0453", sector="Natuur", value=None)])])
    reasons = dict(frame.select("entity", "missing_reason").rows())
    assert reasons == {"overige_industrie": "not estimated by the Emissieregistratie",
                       "natuur": "empty in the Emissieregistratie export"}


@pytest.mark.parametrize("text", ["12.5", "1,234.5", "n.v.t."])
def test_ambiguous_or_foreign_text_values_break_the_contract(text):
    with pytest.raises(ContractError, match="Emissie"):
        parse_emissieregistratie([er_payload([er_row("GM0453", value=text)])])


def test_a_number_cell_with_a_fraction_is_read_as_a_number():
    frame = parse_emissieregistratie([er_payload([er_row("GM0453", value=12.5, unit="ton")])])
    assert value(frame, region_code="GM0453") == pytest.approx(0.0125)


@pytest.mark.parametrize("unit", ["pond", "m3", None])
def test_an_unknown_or_missing_unit_breaks_the_contract(unit):
    with pytest.raises(ContractError, match="Eenheid"):
        parse_emissieregistratie([er_payload([er_row("GM0453", unit=unit)])])


def test_units_are_read_per_row():
    frame = parse_emissieregistratie([er_payload([
        er_row("GM0453", value=1_000_000, unit="kg"), er_row("GM0453", value=1, unit="kton"),
        er_row("GM0453", value=1, unit="mln kg")])])
    assert value(frame, region_code="GM0453") == pytest.approx(3.0)


def test_the_newest_year_is_provisional_when_recent_for_the_export_date():
    rows = [er_row("GM0453", year=y) for y in (2021, 2022, 2023)]
    recent = parse_emissieregistratie([er_payload(rows, name="ER_DataExport-2025-05-12-093000.xlsx")])
    assert recent.filter("is_provisional")["year"].to_list() == [2023]
    old = parse_emissieregistratie([er_payload(rows, name="ER_DataExport-2027-09-01-080000.xlsx")])
    assert old.filter("is_provisional").is_empty()  # 2023 is final by late 2027


def test_other_area_divisions_are_left_out_with_a_warning():
    with pytest.warns(SchemaDriftWarning, match="Provincie"):
        frame = parse_emissieregistratie([er_payload([
            er_row("GM0453"), er_row(27, division="Provincie")])])
    assert frame["region_code"].to_list() == ["GM0453"]


@pytest.mark.parametrize(("payload", "message"), [
    (lambda: er_payload([er_row("GM0453")], sheet="Blad1"), "Emissies"),
    (lambda: er_payload([er_row("GM0453")[:-1]], header=ER_HEADER[:-1]), "Jaar"),
    (lambda: er_payload([er_row("GM0453")], header=[*ER_HEADER[:6], "Waarde", *ER_HEADER[7:]]),
     "Emissie"),
    (lambda: er_payload([er_row("GM0453", stof="Fijn stof (PM10)")]), "no CO2"),
    (lambda: er_payload([er_row("GM0453", year="twintig")]), "Jaar"),
])
def test_a_changed_export_breaks_the_contract(payload, message):
    with pytest.raises(ContractError, match=message):
        parse_emissieregistratie([payload()])


def test_a_body_that_is_no_workbook_breaks_the_contract():
    bad = Payload(source="emissieregistratie", dataset="d", request_key="k", url="drop:x",
                  media_type="x", body=b"PK\x03\x04 not really a zip", fetched_at=datetime.now(UTC))
    with pytest.raises(ContractError, match="XLSX"):
        parse_emissieregistratie([bad])


# -- Emissieregistratie: the drop folder --------------------------------------------------------

@pytest.fixture
def er_drop(tmp_path):
    folder = tmp_path / "drop" / "emissieregistratie"
    folder.mkdir(parents=True)
    http = make_http("emissieregistratie", mode="live", drop_dir=tmp_path / "drop")
    return folder, http


def test_the_newest_dropped_export_is_read_as_a_payload(er_drop):
    folder, http = er_drop
    old = xlsx_bytes([("Emissies", [ER_HEADER, er_row("GM0453", value=1)])])
    new = xlsx_bytes([("Emissies", [ER_HEADER, er_row("GM0453", value=2_000_000)])])
    (folder / "ER_DataExport-2024-01-29-142759.xlsx").write_bytes(old)
    (folder / "ER_DataExport-2026-09-16-103931.xlsx").write_bytes(new)
    (folder / "notes.txt").write_text("not an export")
    [payload] = emissieregistratie.fetch_exports(http, ["GM0453"])
    assert payload.url == "drop:emissieregistratie/ER_DataExport-2026-09-16-103931.xlsx"
    assert payload.request_key == emissieregistratie.REQUEST_KEY
    assert str(folder) not in payload.url
    assert parse_emissieregistratie([payload])["value"].to_list() == [2.0]


def test_an_empty_drop_folder_says_where_to_put_the_export(er_drop):
    folder, http = er_drop
    with pytest.raises(SourceError, match="no ER_DataExport") as caught:
        emissieregistratie.fetch_exports(http, ["GM0453"])
    assert str(folder) in caught.value.hint and "data-export" in caught.value.hint


def test_a_dropped_file_that_is_no_workbook_is_refused(er_drop):
    folder, http = er_drop
    (folder / "ER_DataExport-2026-09-16-103931.xlsx").write_text("Stof;Emissie\nCO2;1,5\n")
    with pytest.raises(ContractError, match="xlsx"):
        emissieregistratie.fetch_exports(http, ["GM0453"])


def test_without_a_drop_folder_the_file_source_fails_alone():
    http = make_http("emissieregistratie", mode="live")
    with pytest.raises(SourceError, match="drop folder"):
        emissieregistratie.fetch_exports(http)


def test_dropped_exports_get_the_same_vintages_as_fetched_payloads(er_drop, warehouse):
    folder, http = er_drop
    first = folder / "ER_DataExport-2025-05-12-093000.xlsx"
    first.write_bytes(xlsx_bytes([("Emissies", [ER_HEADER, er_row("GM0453")])]))
    assert warehouse.record_payloads(emissieregistratie.fetch_exports(http)) == 1
    assert warehouse.record_payloads(emissieregistratie.fetch_exports(http)) == 0  # same hash
    (folder / "ER_DataExport-2026-05-11-090000.xlsx").write_bytes(
        xlsx_bytes([("Emissies", [ER_HEADER, er_row("GM0453", value=7_000_000)])]))
    assert warehouse.record_payloads(emissieregistratie.fetch_exports(http)) == 1
    [current] = warehouse.current_payloads("emissieregistratie")
    assert current.url.endswith("2026-05-11-090000.xlsx")
    assert parse_emissieregistratie([current])["value"].to_list() == [7.0]


# -- EU ETS: the workbook at any header depth ---------------------------------------------------

@pytest.mark.parametrize("layout", [
    {"banner_rows": 20},  # 2022-2024: Read Me text down to row 20, header in row 21
    {"banner_rows": 3, "before": ("Read Me",)},  # 2025: 3 banner rows, a Read Me sheet first
    {"banner_rows": 1, "sheet": "verified_emissions_2021", "file_year": 2021},  # 2021 sheet name
])
def test_the_header_is_found_at_any_depth_and_sheet(layout):
    body = ets_workbook(rows=ETS_ROWS, **{"file_year": 2024, **layout})
    frame = parse_eu_ets([ets_payload(body)], [PINNED])
    published = {2021: 6000.0, 2022: 5800.0, 2023: 4500.0}
    expected = {y: v for y, v in published.items() if y <= layout.get("file_year", 2024)}
    assert {y: v for y, v in tata_series(frame).items() if y in published} == expected
    assert set(frame["region_code"]) == {"GM0453"}


def test_two_vintages_with_different_depths_give_the_same_rows():
    older = parse_eu_ets([ets_payload(ets_workbook(banner_rows=20, rows=ETS_ROWS))], [PINNED])
    newer = parse_eu_ets([ets_payload(ets_workbook(banner_rows=3, before=("Read Me",),
                                                   rows=ETS_ROWS))], [PINNED])
    assert older.drop("source_table").equals(newer.drop("source_table"))


def test_a_header_in_a_later_column_is_found_too():
    rows = [[None, *row] for row in ets_data_rows(ETS_ROWS)]
    frame = parse_eu_ets([ets_payload(xlsx_bytes([("data", [["banner"], *rows])]))], [PINNED])
    assert tata_series(frame)[2022] == 5800.0


def test_a_pinned_id_is_read_in_its_own_registry_only():
    frame = parse_eu_ets([ets_payload(ets_workbook(banner_rows=20, rows=ETS_ROWS))], [PINNED])
    assert tata_series(frame)[2021] == 6000.0  # the DE installation 101 adds nothing
    assert frame["source_table"].unique().to_list() == [
        "EU ETS verified_emissions_2024_en.xlsx; installation NL 101 (configured)"]


def test_a_pinned_id_does_not_care_about_the_name():
    renamed = [("NL", "Renamed Steelworks BV", *ETS_ROWS[0][2:]), *ETS_ROWS[1:]]
    frame = parse_eu_ets([ets_payload(ets_workbook(banner_rows=20, rows=renamed))], [PINNED])
    assert tata_series(frame)[2022] == 5800.0


def test_excluded_and_empty_cells_become_null_with_a_reason():
    frame = parse_eu_ets([ets_payload(ets_workbook(banner_rows=20, rows=ETS_ROWS))], [PINNED])
    gaps = dict(frame.filter(pl.col("value").is_null()).select("year", "missing_reason").rows())
    assert gaps[2024] == "installation excluded"
    assert gaps[2010] == "no verified emissions reported"


def test_a_configured_id_missing_from_the_file_breaks_the_contract():
    missing = EtsInstallation("tata_steel_ijmuiden", "GM0453", "NL", installation_ids=("999",))
    with pytest.raises(ContractError, match="999"):
        parse_eu_ets([ets_payload(ets_workbook(banner_rows=20, rows=ETS_ROWS))], [missing])


def test_without_a_configured_id_the_name_fallback_is_logged_and_recorded(caplog):
    with caplog.at_level(logging.WARNING, logger="transforms.emissions"):
        frame = parse_eu_ets([ets_payload(ets_workbook(banner_rows=20, rows=ETS_ROWS))], [TATA])
    assert tata_series(frame)[2022] == 5800.0
    assert "resolved by name" in caplog.text and "NL 101" in caplog.text
    assert frame["source_table"].unique().to_list() == [
        "EU ETS verified_emissions_2024_en.xlsx; installation NL 101 resolved by name "
        "/^tata steel ijmuiden/i (id not configured)"]


def test_the_name_fallback_refuses_more_than_one_match():
    doubled = [*ETS_ROWS, ("NL", "Tata Steel IJmuiden BV - Kooksfabriek", "104", 24, {2022: 1})]
    with pytest.raises(ContractError, match="matched 2 installations") as caught:
        parse_eu_ets([ets_payload(ets_workbook(banner_rows=20, rows=doubled))], [TATA])
    assert "104" in str(caught.value) and "installations.yaml" in caught.value.hint


def test_the_name_fallback_refuses_no_match_and_never_takes_an_ets2_account():
    ets2_only = [("NL", "Tata Steel IJmuiden ETS2", "103", 60, {2024: 1}), *ETS_ROWS[1:3]]
    with pytest.raises(ContractError, match="matched 0 installations"):
        parse_eu_ets([ets_payload(ets_workbook(banner_rows=20, rows=ets2_only))], [TATA])


def test_a_workbook_without_the_header_breaks_the_contract():
    body = xlsx_bytes([("data", [["Verified emissions"], ["REGISTRY", "INSTALLATION"]])])
    with pytest.raises(ContractError, match="REGISTRY_CODE"):
        parse_eu_ets([ets_payload(body)], [PINNED])


# -- EU ETS: the long daily CSV ------------------------------------------------------------------

YEARLY = ["REGISTRY_CODE,INSTALLATION_IDENTIFIER,PERIOD_YEAR,VERIFIED_EMISSIONS,"
          "CH_VERIFIED_EMISSIONS,ALLOCATION,ALLOCATION_RES,ALLOCATION_TRA,EXCLUDED,SURR_ALL",
          "NL,101,2021,6000000,0,1,0,0,NO,6000000",
          "NL,101,2022,5800000,0,1,0,0,NO,5800000",
          "NL,101,2023,-1,0,1,0,0,NO,0",
          "NL,101,2024,4000000,0,1,0,0,YES,0",
          "NL,101,2025,0,0,0,0,0,NO,0",  # the zero grid after the newest reported year
          "NL,101,2030,0,0,0,0,0,NO,0",
          "DE,101,2022,7,0,0,0,0,NO,7",
          "NL,102,2022,50,0,0,0,0,NO,50"]
OPERATORS = ["REGISTRY_CODE,REGISTRY_NAME,INSTALLATION_IDENTIFIER,INSTALLATION_NAME,"
             "PERMIT_IDENTIFIER,ACTIVITY_TYPE_CODE,CITY",
             "NL,Netherlands,101,Tata Steel IJmuiden BV\x00,NL-1,24,Velsen-Noord",
             "NL,Netherlands,102,Other Installation,NL-2,20,Elsewhere"]


def csv_payload(lines: list[str], key: str, name: str, bom: bool = False) -> Payload:
    return Payload(source="eu_ets", dataset="verified_emissions", request_key=key,
                   url=f"https://dlsclimabi.blob.core.windows.net/x/{name}",
                   media_type="application/gzip", body=gz_csv(lines, bom),
                   fetched_at=datetime.now(UTC))


def test_the_long_csv_reads_sentinels_exclusions_and_drops_the_zero_grid():
    frame = parse_eu_ets([csv_payload(YEARLY, eu_ets.EMISSIONS_KEY, eu_ets.YEARLY_FILE, bom=True)],
                         [PINNED])
    assert tata_series(frame) == {2021: 6000.0, 2022: 5800.0, 2023: None, 2024: None}
    reasons = dict(frame.filter(pl.col("value").is_null()).select("year", "missing_reason").rows())
    assert reasons == {2023: "no verified emissions reported (-1 in the registry file)",
                       2024: "installation excluded"}


def test_the_long_csv_uses_the_operators_file_for_the_name_fallback():
    payloads = [csv_payload(YEARLY, eu_ets.EMISSIONS_KEY, eu_ets.YEARLY_FILE),
                csv_payload(OPERATORS, eu_ets.NAMES_KEY, eu_ets.OPERATORS_FILE)]
    frame = parse_eu_ets(payloads, [TATA])
    assert tata_series(frame)[2022] == 5800.0
    assert "NL 101 resolved by name" in frame["source_table"][0]
    with pytest.raises(ContractError, match="matched 0 installations"):
        parse_eu_ets(payloads[:1], [TATA])  # no names, no configured id: refuse


def test_a_long_csv_without_its_columns_breaks_the_contract():
    broken = [YEARLY[0].replace("VERIFIED_EMISSIONS,", "EMISSIONS,", 1), *YEARLY[1:]]
    with pytest.raises(ContractError, match="VERIFIED_EMISSIONS"):
        parse_eu_ets([csv_payload(broken, eu_ets.EMISSIONS_KEY, eu_ets.YEARLY_FILE)], [PINNED])


# -- EU ETS: the listing, live -------------------------------------------------------------------

WORKBOOK = ets_workbook(banner_rows=20, rows=ETS_ROWS)


def serve_listing(httpserver, entries: list[dict]) -> None:
    httpserver.expect_request("/api/data-download").respond_with_json(entries)


def live_ets(httpserver, fast_retry, **kwargs):
    return make_http("eu_ets", mode="live", base_url=httpserver.url_for("/").rstrip("/"),
                     retry=fast_retry, **kwargs)


def test_the_newest_workbook_is_picked_from_the_listing_by_file_name(httpserver, fast_retry):
    url = httpserver.url_for
    serve_listing(httpserver, [
        {"action": "d_operators_dayli", "url": url("/blob/operators_daily.csv.gz")},
        {"action": "d_verified_2023", "url": url("/doc/a_en") + "?filename=verified_emissions_2023_en_1.xlsx"},
        {"action": "typo_d_verified", "url": url("/doc/b_en") + "?filename=verified_emissions_2024_en.xlsx"},
        {"action": "compliance", "url": url("/doc/c_en") + "?filename=compliance_2024_code_en.xlsx"},
    ])
    httpserver.expect_request("/doc/b_en").respond_with_data(WORKBOOK)
    payloads = eu_ets.fetch_verified_emissions(live_ets(httpserver, fast_retry))
    assert [p.request_key for p in payloads] == [eu_ets.EMISSIONS_KEY]
    assert payloads[0].url.endswith("filename=verified_emissions_2024_en.xlsx")
    assert tata_series(parse_eu_ets(payloads, [PINNED]))[2022] == 5800.0


def test_without_a_workbook_the_long_csv_and_operators_are_fetched(httpserver, fast_retry):
    serve_listing(httpserver, [
        {"action": "d_operators_dayli", "url": httpserver.url_for("/blob/operators_daily.csv.gz")},
        {"action": "d_yearly", "url": httpserver.url_for(f"/blob/{eu_ets.YEARLY_FILE}")}])
    httpserver.expect_request(f"/blob/{eu_ets.YEARLY_FILE}").respond_with_data(gz_csv(YEARLY))
    httpserver.expect_request("/blob/operators_daily.csv.gz").respond_with_data(gz_csv(OPERATORS))
    payloads = eu_ets.fetch_verified_emissions(live_ets(httpserver, fast_retry))
    assert [p.request_key for p in payloads] == [eu_ets.EMISSIONS_KEY, eu_ets.NAMES_KEY]
    assert tata_series(parse_eu_ets(payloads, [TATA]))[2021] == 6000.0


@pytest.mark.parametrize(("entries", "message"), [
    ([{"action": "x", "url": "https://evil.example.com/verified_emissions_2024_en.xlsx"}],
     "evil.example.com"),
    ([{"action": "x", "url": "http://climate.ec.europa.eu/verified_emissions_2024_en.xlsx"}],
     "non-https"),
    ({"files": []}, "list of objects"),
    ([{"action": "x", "url": "https://climate.ec.europa.eu/other.xlsx"}], "neither"),
])
def test_a_listing_that_is_not_as_expected_is_refused(httpserver, fast_retry, entries, message):
    serve_listing(httpserver, entries)
    with pytest.raises(ContractError, match=message):
        eu_ets.fetch_verified_emissions(live_ets(httpserver, fast_retry))
    assert len(httpserver.log) == 1  # nothing but the listing was requested


def test_an_html_page_instead_of_the_workbook_is_refused(httpserver, fast_retry):
    serve_listing(httpserver, [{"action": "v", "url": httpserver.url_for("/doc/verified_emissions_2024_en.xlsx")}])
    httpserver.expect_request("/doc/verified_emissions_2024_en.xlsx").respond_with_data(
        "<!DOCTYPE html><html>maintenance</html>", content_type="text/html")
    with pytest.raises(ContractError, match="HTML|xlsx"):
        eu_ets.fetch_verified_emissions(live_ets(httpserver, fast_retry))


def test_a_dropped_workbook_is_used_instead_of_fetching(httpserver, fast_retry, tmp_path):
    folder = tmp_path / "drop" / "eu_ets"
    folder.mkdir(parents=True)
    (folder / "verified_emissions_2023_en.xlsx").write_bytes(b"PK\x03\x04 older")
    (folder / "verified_emissions_2024_en.xlsx").write_bytes(WORKBOOK)
    http = live_ets(httpserver, fast_retry, drop_dir=tmp_path / "drop")
    [payload] = eu_ets.fetch_verified_emissions(http)
    assert payload.url == "drop:eu_ets/verified_emissions_2024_en.xlsx"
    assert httpserver.log == []
    assert tata_series(parse_eu_ets([payload], [PINNED]))[2023] == 4500.0


# -- the snapshot holds both file sources in their true formats ---------------------------------

def test_the_committed_snapshot_files_are_what_the_generator_writes():
    er = SNAPSHOT_FILES_DIR / "emissieregistratie" / ER_EXPORT_NAME
    assert er.read_bytes() == emissieregistratie_xlsx()
    [recorded] = RECORDED_DIR.glob("climate.ec.europa.eu/**/*verified_emissions_2024_en.xlsx.xlsx")
    assert recorded.read_bytes() == ets_workbook(banner_rows=20)


def test_snapshot_mode_reads_the_export_and_the_listed_workbook(caplog):
    feeds = {f.source: f for f in emissions_family.FAMILY.feeds}
    er_http = make_http("emissieregistratie", mode="snapshot")
    [er] = feeds["emissieregistratie"].fetch(er_http, demo_geography())
    assert er.url == f"drop:emissieregistratie/{ER_EXPORT_NAME}"
    ets_http = make_http("eu_ets", mode="snapshot")
    with caplog.at_level(logging.WARNING, logger="transforms.emissions"):
        ets = feeds["eu_ets"].parse(feeds["eu_ets"].fetch(ets_http, demo_geography()))
    # the repository pins no Tata id (unverified), so the snapshot shows the logged fallback
    assert f"NL {ETS_DEMO_ID}" in caplog.text
    assert tata_series(ets)[2022] == 5800.0


def test_installation_ids_are_configuration_read_as_text(tmp_path):
    config = tmp_path / "installations.yaml"
    config.write_text("installations:\n  - {entity: tata_steel_ijmuiden, region_code: GM0453, "
                      "registry: NL, installation_ids: [101, ' 102 ']}\n")
    [tata] = emissions_family.load_installations(config)
    assert tata.installation_ids == ("101", "102") and tata.name_pattern is None
    body = ets_workbook(banner_rows=20, rows=ETS_ROWS)
    assert tata_series(parse_eu_ets([ets_payload(body)], [tata]))[2022] == pytest.approx(5800.05)  # 101 + 102 (50 t)
