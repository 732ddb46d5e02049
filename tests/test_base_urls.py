"""Base URLs a user sets (`$TRANSITION_MONITOR_<SOURCE>_URL`, the resource's `base_urls`): every
request of a live client goes to the configured base, links in payloads that name the
publisher's host included; snapshot mode keeps the publisher's URLs (its recordings are keyed
by them)."""

from __future__ import annotations

import pytest

from orchestration.resources import SourcesResource
from sources.registry import SOURCES, base_url_overrides, configured_base_url, make_http

MIRROR = "http://mirror.test:8080/m"


def test_every_source_has_its_own_variable_and_an_unset_one_keeps_the_publisher():
    names = {spec.url_env for spec in SOURCES.values()}
    assert len(names) == len(SOURCES)
    assert "TRANSITION_MONITOR_LUCHTMEETNET_URL" in names
    assert configured_base_url("luchtmeetnet", {}) == SOURCES["luchtmeetnet"].base_url
    assert base_url_overrides({}) == {}


def test_the_variable_and_the_cbs_alias_override_the_base(monkeypatch):
    env = {"TRANSITION_MONITOR_ENTSOE_URL": MIRROR, "TRANSITION_MONITOR_CBS_URL": MIRROR + "/cbs"}
    assert base_url_overrides(env) == {"entsoe": MIRROR, "cbs_statline": MIRROR + "/cbs"}
    monkeypatch.setenv("TRANSITION_MONITOR_DUO_URL", MIRROR)
    assert make_http("duo", mode="live").base_url == MIRROR
    assert make_http("duo", mode="snapshot").base_url == SOURCES["duo"].base_url


def test_the_resource_config_wins_over_the_variable_in_live_mode_only(monkeypatch):
    monkeypatch.setenv("TRANSITION_MONITOR_DUO_URL", MIRROR)
    live = SourcesResource(mode="live", base_urls={"duo": "http://127.0.0.1:9/duo"})
    assert live.client("duo").base_url == "http://127.0.0.1:9/duo"
    assert SourcesResource(mode="live").client("duo").base_url == MIRROR
    snapshot = SourcesResource(mode="snapshot", base_urls={"duo": "http://127.0.0.1:9/duo"})
    assert snapshot.client("duo").base_url == SOURCES["duo"].base_url


@pytest.mark.parametrize(("source", "link", "expected"), [
    # an OData nextLink under the publisher's base keeps its remainder
    ("cbs_statline", "https://datasets.cbs.nl/odata/v1/CBS/85969NED/Observations?$skip=100",
     MIRROR + "/85969NED/Observations?$skip=100"),
    ("klimaatmonitor", "https://klimaatmonitor.databank.nl/jiveservices/odata/Variables?$skip=5",
     MIRROR + "/Variables?$skip=5"),
    # a listed file on another host of the publisher keeps its path and query
    ("eu_ets", "https://climate.ec.europa.eu/document/download/x_en?filename=v.xlsx",
     MIRROR + "/document/download/x_en?filename=v.xlsx"),
    # a link already on the mirror, and one to an unrelated host, are left alone
    ("cbs_statline", MIRROR + "/85969NED/Observations", MIRROR + "/85969NED/Observations"),
    ("cbs_statline", "https://elsewhere.test/x", "https://elsewhere.test/x"),
])
def test_links_to_the_publisher_are_followed_on_the_configured_base(source, link, expected):
    assert make_http(source, mode="live", base_url=MIRROR, key="k").on_base(link) == expected


def test_without_an_override_links_are_untouched():
    http = make_http("cbs_statline", mode="live")
    link = "https://datasets.cbs.nl/odata/v1/CBS/85969NED/Observations?$skip=100"
    assert http.on_base(link) == link


def test_a_nextlink_naming_the_publisher_is_fetched_from_the_mirror(httpserver):
    base = httpserver.url_for("/odata")
    real = SOURCES["cbs_statline"].base_url
    httpserver.expect_ordered_request("/odata/T/Observations").respond_with_json(
        {"value": [1], "@odata.nextLink": f"{real}/T/Observations?$skip=1"})
    httpserver.expect_ordered_request("/odata/T/Observations").respond_with_json({"value": [2]})
    http = make_http("cbs_statline", mode="live", base_url=base)
    first = http.get("T", "T/Observations")
    second = http.get("T", "", url=first.json()["@odata.nextLink"])
    assert second.json() == {"value": [2]}
    assert len(httpserver.log) == 2


def test_a_payload_fetched_on_the_mirror_knows_its_publisher_url():
    http = make_http("eu_ets", mode="live", base_url=MIRROR)
    link = "https://climate.ec.europa.eu/document/download/x_en?filename=v.xlsx"
    shown = http.on_base(link)
    http._links[shown] = link  # as `get` notes a followed link
    assert http.publisher_url(shown) == link
    assert http.publisher_url(MIRROR + "/api/data-download") == (
        "https://union-registry-data.ec.europa.eu/api/data-download")


def test_check_names_a_base_url_variable_that_is_no_url(monkeypatch):
    from orchestration.configcheck import base_url_problems

    monkeypatch.setenv("TRANSITION_MONITOR_ENTSOE_URL", "127.0.0.1:8080/api")
    monkeypatch.setenv("TRANSITION_MONITOR_DUO_URL", MIRROR)
    problems = base_url_problems()
    assert len(problems) == 1 and "$TRANSITION_MONITOR_ENTSOE_URL" in problems[0]
