"""Deterministic Eurostat API Statistics answers (JSON-stat 2.0) for the snapshot, in the
format Eurostat sends (transforms.jsonstat; docs/evidence/eurostat.md): one dataset per file,
`id`/`size`/`dimension` with `category.index` as an object of positions and `category.label`,
`value` and `status` as sparse objects keyed by the flat index as text. The dimension order
(freq, unit, sex, age, [wstatus], geo, time) follows Eurostat's usual order (freq first, geo
and time last); a `freq` dimension with the one category "A" is included because Eurostat's
API Statistics datasets carry one. Written into the working data directory on first use of snapshot mode (the datasets come from
the family's declaration: `families.registry.snapshot_generators`); every value is
synthesized (see the manifest `eurostat.json`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sources.eurostat import dataset_url
from sources.registry import make_http
from sources.snapshot import DEMO_NUTS, Generator, write_recording
from transforms.jsonstat import DatasetSpec

SEED = 20261202
YEARS = tuple(range(2013, 2025))
PROVISIONAL_YEAR = 2024
# Synthesized levels in 2013 and 2024 (%), of a plausible size, per measure and NUTS code.
LEVELS = {
    "adult_learning_4w_pct": {"NL": (17.5, 27.0), "NL21": (16.0, 25.5), "NL22": (17.0, 26.0),
                              "NL32": (19.5, 29.5), "NL33": (17.5, 27.5)},
    "neet_15_29_pct": {"NL": (7.0, 5.0), "NL21": (6.0, 4.5), "NL22": (6.5, 4.8),
                       "NL32": (7.0, 5.2), "NL33": (8.5, 6.0)},
    "labour_slack_pct": {"NL": (15.0, 9.5), "NL21": (13.5, 8.5), "NL22": (14.0, 9.0),
                         "NL32": (14.5, 9.5), "NL33": (17.0, 11.0)},
}
# A year Eurostat has no figure for, with its flag, placed on purpose (the parser's NULL path).
NOT_AVAILABLE = {("neet_15_29_pct", "NL21", 2014)}


def _dimension(label: str, codes: list[str], labels: dict[str, str] | None = None) -> dict:
    return {"label": label, "category": {"index": {c: i for i, c in enumerate(codes)},
                                         "label": labels or {c: c for c in codes}}}


def document(spec: DatasetSpec, nuts: list[str]) -> dict:
    """One dataset's JSON-stat answer for the held categories and the NUTS codes asked for."""
    rng = np.random.default_rng([SEED, len(spec.dataset)])
    held = [("freq", "A"), *((d, spec.held[d]) for d in ("unit", "sex", "age", "wstatus")
                             if d in spec.held)]
    ids = [d for d, _ in held] + ["geo", "time"]
    geo = sorted(nuts)
    times = [str(y) for y in YEARS]
    values, status = {}, {}
    for g, code in enumerate(geo):
        start, end = LEVELS[spec.measure][code]
        for t, year in enumerate(YEARS):
            flat = g * len(times) + t  # the held dimensions have one category each
            if (spec.measure, code, year) in NOT_AVAILABLE:
                status[str(flat)] = ":"
                continue
            trend = start + (end - start) * t / (len(YEARS) - 1)
            values[str(flat)] = round(float(trend * (1 + rng.normal(0, 0.03))), 1)
            if year == PROVISIONAL_YEAR:
                status[str(flat)] = "p"
            elif year == 2021:
                status[str(flat)] = "b"  # the 2021 break in the EU-LFS series
    dimension = {d: _dimension(d, [c]) for d, c in held}
    dimension["geo"] = _dimension("Geopolitical entity (reporting)", geo)
    dimension["time"] = _dimension("Time", times)
    return {"version": "2.0", "class": "dataset", "label": f"{spec.dataset} (synthesized)",
            "source": "ESTAT", "updated": "2026-04-24T23:00:00+0200", "value": values,
            "status": status, "id": ids, "size": [1] * len(held) + [len(geo), len(times)],
            "dimension": dimension,
            "extension": {"datasetId": spec.dataset, "lang": "EN",
                          "status": {"label": {"b": "break in time series", "p": "provisional",
                                               ":": "not available"}}}}


def eurostat_generator(specs: Sequence[DatasetSpec]) -> Generator:
    """The writer of one answer per dataset, for the demo regions' NUTS codes."""
    def write(root: Path) -> None:
        http = make_http("eurostat", mode="snapshot")
        nuts = DEMO_NUTS
        for spec in specs:
            body = json.dumps(document(spec, nuts), separators=(",", ":")).encode()
            write_recording(root, dataset_url(http, spec, nuts), body, "json", compress=True)

    return Generator(source="eurostat", version="1", write=write)
