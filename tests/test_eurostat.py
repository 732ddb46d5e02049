"""Eurostat's API Statistics (JSON-stat 2.0): the client's requests, the parser on payloads in
the real format (tests/payloads/eurostat/README.md says what evidence they follow) and in
every JSON-stat variant, the family's rules, and the province figure a region gets."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import polars as pl
import pytest
from factories import demo_geography

from core.errors import ContractError
from core.payload import Payload
from families.eu_regional import DATASETS, FAMILY
from sources import eurostat
from sources.http import RetryPolicy, SourceHttp
from sources.registry import SOURCES, make_http
from transforms.jsonstat import DatasetSpec, parse_dataset

PAYLOADS = Path(__file__).parent / "payloads" / "eurostat"
TRAINING = DatasetSpec("trng_lfse_04", "adult_learning_4w_pct", "%",
                       {"unit": "PC", "sex": "T", "age": "Y25-64"})
NEET = DatasetSpec("edat_lfse_22", "neet_15_29_pct", "%",
                   {"unit": "PC", "sex": "T", "age": "Y15-29"})


def fixture(name: str) -> dict:
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


def payload(doc: dict, dataset: str = "trng_lfse_04") -> Payload:
    return Payload(source="eurostat", dataset="eurostat_regional_lfs", request_key=dataset,
                   url=f"https://ec.test/{dataset}", media_type="application/json",
                   body=json.dumps(doc).encode(), fetched_at=datetime(2026, 5, 1, tzinfo=UTC))


def figures(frame: pl.DataFrame) -> dict:
    return {(r["region_code"], r["year"]): (r["value"], r["is_provisional"], r["missing_reason"])
            for r in frame.iter_rows(named=True)}


READ = {("NL", 2022): (26.9, False, None), ("NL", 2023): (27.4, True, None),
        ("NL32", 2022): (29.8, False, None),
        ("NL32", 2023): (None, False, "not available (Eurostat ':')")}


def test_the_real_format_is_read_cell_by_cell_with_flags():
    assert figures(parse_dataset(TRAINING, payload(fixture("trng_lfse_04.json")))) == READ


def _as_lists(doc: dict) -> dict:
    """The same dataset with JSON-stat's other spellings: value and status as full lists,
    category index as a list of codes, no index on the one-category dimensions."""
    doc = copy.deepcopy(doc)
    total = 1
    for n in doc["size"]:
        total *= n
    doc["value"] = [doc["value"].get(str(i)) for i in range(total)]
    doc["status"] = [doc["status"].get(str(i)) for i in range(total)]
    for dim in doc["dimension"].values():
        index = dim["category"]["index"]
        if len(index) == 1:
            del dim["category"]["index"]
        else:
            dim["category"]["index"] = sorted(index, key=index.get)
    return doc


def test_every_json_stat_spelling_reads_the_same():
    doc = fixture("trng_lfse_04.json")
    assert figures(parse_dataset(TRAINING, payload(_as_lists(doc)))) == READ


def test_only_the_held_category_of_a_dimension_is_read():
    frame = parse_dataset(NEET, payload(fixture("edat_lfse_22_two_sexes.json"), "edat_lfse_22"))
    assert figures(frame) == {("NL33", 2022): (5.0, False, None), ("NL33", 2023): (5.2, False, None)}


@pytest.mark.parametrize(("held", "message"), [
    ({"unit": "PC", "age": "Y15-29"}, "dimension 'sex' has categories ['F', 'T'] and the spec holds it at none"),
    ({"unit": "PC", "sex": "M", "age": "Y15-29"}, "dimension 'sex' lacks category 'M'"),
    ({"unit": "PC", "sex": "T", "age": "Y18-24"}, "dimension 'age' lacks category 'Y18-24'"),
])
def test_a_figure_at_an_unintended_slice_is_refused(held, message):
    spec = DatasetSpec("edat_lfse_22", "neet_15_29_pct", "%", held)
    with pytest.raises(ContractError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_dataset(spec, payload(fixture("edat_lfse_22_two_sexes.json"), "edat_lfse_22"))


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.update(size=[1, 1, 1, 1, 3, 2]), "category counts"),
    (lambda d: d["value"].update({"9": 1.0}), "cell index 9 lies outside the cube of 4"),
    (lambda d: d["value"].update({"0": "26,9"}), "is not a number"),
    (lambda d: d["dimension"]["time"]["category"].update(index={"2022-Q1": 0, "2023": 1}),
     "period '2022-Q1' is not a year"),
])
def test_a_broken_cube_is_a_contract_error(change, message):
    doc = fixture("trng_lfse_04.json")
    change(doc)
    with pytest.raises(ContractError, match=message):
        parse_dataset(TRAINING, payload(doc))


def test_an_error_answer_says_what_eurostat_said():
    with pytest.raises(ContractError, match="Eurostat answered with an error.*no_such_dataset"):
        parse_dataset(TRAINING, payload(fixture("error.json")))


def test_the_client_asks_each_dataset_once_for_every_nuts_code_at_the_held_categories():
    seen = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, content=(PAYLOADS / "trng_lfse_04.json").read_bytes(),
                              headers={"content-type": "application/json"})

    http = SourceHttp(source="eurostat", base_url=SOURCES["eurostat"].base_url,
                      transport=httpx.MockTransport(answer), retry=RetryPolicy(max_attempts=1))
    pages = eurostat.fetch_datasets(http, [TRAINING], ["NL32", "NL"])
    assert [p.request_key for p in pages] == ["trng_lfse_04"]
    url = seen[0]
    assert url.path == "/eurostat/api/dissemination/statistics/1.0/data/trng_lfse_04"
    assert parse_qsl(urlsplit(str(url)).query) == [
        ("format", "JSON"), ("lang", "EN"), ("geo", "NL"), ("geo", "NL32"), ("age", "Y25-64"),
        ("sex", "T"), ("unit", "PC")]
    assert eurostat.fetch_datasets(http, [TRAINING], []) == [] and len(seen) == 1


# -- the family on the snapshot, its rules and the province figure a region gets ------------

@pytest.fixture(scope="module")
def snapshot_rows(tmp_path_factory) -> pl.DataFrame:
    """The family's feed on the snapshot its generator writes (as a fresh home does)."""
    from sources.generators.eurostat import eurostat_generator

    generated = tmp_path_factory.mktemp("generated")
    eurostat_generator(DATASETS).write(generated)
    feed = FAMILY.feeds[0]
    return feed.parse(feed.fetch(make_http("eurostat", mode="snapshot", generated_dir=generated),
                                 demo_geography()))


def test_the_snapshot_passes_the_family_rules_and_a_municipal_code_does_not(snapshot_rows):
    import great_expectations as gx

    assert set(snapshot_rows["measure"]) == {d.measure for d in DATASETS}
    assert set(snapshot_rows["region_code"]) == {"NL", "NL21", "NL22", "NL32", "NL33"}
    definition = gx.get_context(mode="ephemeral").data_sources.add_pandas("p") \
        .add_dataframe_asset("a").add_batch_definition_whole_dataframe("b")

    def passes(frame: pl.DataFrame) -> list[bool]:
        batch = definition.get_batch(batch_parameters={"dataframe": frame.to_pandas()})
        return [batch.validate(rule).success for rule in FAMILY.rules()]

    assert all(passes(snapshot_rows))
    assert passes(snapshot_rows.with_columns(region_code=pl.lit("GM0453")))[0] is False


def test_a_region_gets_its_one_province_and_the_cleantech_regio_none(snapshot_rows):
    from indicators.catalogue import load_catalogue, load_regions
    from indicators.compute import compute_indicator_values, regions_with_inputs

    full = load_catalogue()
    catalogue = full.model_copy(update={"indicators": [
        i for i in full.indicators if i.aggregation == "nuts_region"]})
    assert {i.id for i in catalogue.indicators} == {
        "adult_learning_province", "neet_province", "labour_slack_province"}
    tables = {"clean_eu_regional": snapshot_rows}
    values = compute_indicator_values(catalogue, load_regions(), tables)
    published = {(r["region_code"], r["measure"], r["year"]): r["value"]
                 for r in snapshot_rows.iter_rows(named=True) if r["value"] is not None}
    measure = {i.id: i.source_tables[0].measure for i in catalogue.indicators}
    province = {"ijmond": "NL32", "ijmond_jtf": "NL32", "den_haag": "NL33", "nederland": "NL"}
    assert set(values["region_id"]) == set(province)  # not the Cleantech Regio
    for row in values.iter_rows(named=True):
        assert row["value"] == published[(province[row["region_id"]],
                                          measure[row["indicator_id"]], row["year"])]
    expected = regions_with_inputs(catalogue, load_regions(), tables)
    assert {r for _, r in expected} == set(province)


def test_no_nuts_code_configured_fetches_and_reads_nothing():
    from transforms.jsonstat import parse_datasets

    assert FAMILY.feeds[0].fetch(None, demo_geography().__class__((), ())) == []
    assert parse_datasets(DATASETS, []).is_empty()
    with pytest.raises(ContractError, match="no payload for dataset edat_lfse_22"):
        parse_datasets(DATASETS, [payload(fixture("trng_lfse_04.json"))])
