"""Eurostat's dissemination API (API Statistics, JSON-stat 2.0, no key): one request per
dataset for the NUTS regions the configured regions lie in.

`{base}/{dataset}?format=JSON&lang=EN&geo=NL32&geo=NL&sex=T&...`: every dimension can be a
filter, repeated for several categories (Eurostat's API Statistics pages; docs/evidence/
eurostat.md). The figure's other dimensions are held at one category each by the filters the
family declares, so the answer is small; the parser checks that it was (transforms.jsonstat).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from core.payload import Payload
from sources.http import SourceHttp
from transforms.jsonstat import DatasetSpec


def query(spec: DatasetSpec, nuts: Sequence[str]) -> list[tuple[str, str]]:
    """The query of one dataset: format, language, each NUTS code, each held category
    (sorted, so one request always has one URL and one snapshot file)."""
    return [("format", "JSON"), ("lang", "EN"), *(("geo", code) for code in sorted(nuts)),
            *sorted(spec.held.items())]


def dataset_url(http: SourceHttp, spec: DatasetSpec, nuts: Sequence[str]) -> str:
    return f"{http.url_for(spec.dataset)}?{urlencode(query(spec, nuts))}"


def fetch_datasets(http: SourceHttp, specs: Sequence[DatasetSpec],
                   nuts: Sequence[str]) -> list[Payload]:
    """One payload per dataset (request key: the dataset code, which the parser matches on);
    no NUTS code, no request."""
    if not nuts:
        return []
    return [http.get(spec.dataset, spec.dataset, url=dataset_url(http, spec, nuts),
                     request_key=spec.dataset) for spec in specs]
