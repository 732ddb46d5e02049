"""Every upstream the monitor reads, declared once: base URL, key handling, snapshot home.

`make_http` turns a declaration into a `SourceHttp` for live or snapshot mode. Nothing else
in the project builds HTTP clients, so retries, redaction and the snapshot work the same for
every source.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import MissingCredential

if TYPE_CHECKING:  # the clients are imported where they are made: `status` reads only specs
    from sources.http import RetryPolicy, SourceHttp, Throttle

SNAPSHOT_DIR = Path(__file__).parent / "snapshot"
# Files of file sources as the snapshot bundles them (`<source>/<file name>`), standing in for
# the drop folder `$TRANSITION_MONITOR_HOME/drop/<source>/` of live mode (see sources.files).
SNAPSHOT_FILES_DIR = SNAPSHOT_DIR / "files"


@dataclass(frozen=True)
class SourceSpec:
    name: str
    title: str
    base_url: str
    licence: str
    key_env: str | None = None  # environment variable holding the key, if any
    key_param: str | None = None  # key sent as this query parameter ...
    key_header: str | None = None  # ... or as this header
    # Freshness, declared next to the source: how old (days) the newest data period may be,
    # and how long (days) since the last successful fetch, before a check fails and alerts.
    max_data_age_days: int = 400
    max_fetch_age_days: int = 35
    # The upstream's request-rate limit as (requests, seconds), kept in live mode by one
    # throttle per source and process (`shared_throttle`); None: no limit known.
    rate_limit: tuple[int, float] | None = None
    # When new figures appear, for readers' "next expected update": "continuous" (new
    # measurements every hour), "yearly" (one new year at a time) or "irregular". A yearly
    # source names `release_month` only where the publisher's calendar is documented;
    # otherwise the next year is expected within `max_data_age_days` of the newest period.
    cadence: str = "yearly"
    release_month: int | None = None
    home_url: str = ""  # the page a reader follows (base_url is often a bare API endpoint)
    # The largest answer (decompressed) one request may bring; more is refused. Generous
    # bounds on the sizes seen, not measured upstream limits.
    max_response_mb: int = 64
    # Other hosts the source's payloads link to for files it serves (EU ETS: the download
    # page lists workbooks on the Commission's document host and blob storage). With the base
    # URL overridden, links to these hosts are followed on the configured base as well.
    link_hosts: tuple[str, ...] = ()
    url_env_alias: str | None = None  # a shorter variable name accepted too

    @property
    def link(self) -> str:
        return self.home_url or self.base_url

    @property
    def url_env(self) -> str:
        """The environment variable that overrides the base URL (mirrors, proxies, tests)."""
        return f"TRANSITION_MONITOR_{self.name.upper()}_URL"

    @property
    def secret_names(self) -> frozenset[str]:
        return frozenset(n for n in (self.key_param, self.key_header) if n)


SOURCES: dict[str, SourceSpec] = {
    s.name: s
    for s in (
        SourceSpec("luchtmeetnet", "Luchtmeetnet open API (RIVM, GGD, provinces)",
                   "https://api.luchtmeetnet.nl/open_api", "CC0 / open data, Luchtmeetnet",
                   max_data_age_days=3, max_fetch_age_days=2,
                   # about 100 requests per 5 minutes allowed (SOURCES.md, Corrections);
                   # 90 leaves room for a clock that drifts or a request outside this client
                   rate_limit=(90, 300.0), cadence="continuous",
                   home_url="https://www.luchtmeetnet.nl"),
        SourceSpec("rivm_air_quality", "RIVM validated air-quality data (yearly CSV)",
                   "https://data.rivm.nl/data/luchtmeetnet", "CC-BY 4.0, RIVM",
                   max_data_age_days=550, max_response_mb=256),
        SourceSpec("klimaatmonitor", "Klimaatmonitor Open Data Service (Rijkswaterstaat)",
                   "https://klimaatmonitor.databank.nl/jiveservices/odata",
                   "Klimaatmonitor open data terms", key_env="KLIMAATMONITOR_API_KEY",
                   key_header="apikey", max_data_age_days=900,
                   home_url="https://klimaatmonitor.databank.nl"),
        # A file source: the export is made in the browser wizard at this page and dropped in
        # $TRANSITION_MONITOR_HOME/drop/emissieregistratie/ (sources.emissieregistratie).
        SourceSpec("emissieregistratie", "Emissieregistratie (RIVM) data export (file source)",
                   "https://www.emissieregistratie.nl/data/data-export",
                   "CC-BY 4.0, Emissieregistratie", max_data_age_days=900),
        SourceSpec("eu_ets", "EU ETS verified emissions (Union Registry)",
                   "https://union-registry-data.ec.europa.eu",
                   "CC BY 4.0 (European Commission legal notice), source acknowledged",
                   link_hosts=("climate.ec.europa.eu", "dlsclimabi.blob.core.windows.net"),
                   # verified emissions of year t are published in April of t+1
                   # (research/ets_er_entsoe.md: "Last data update: 2025-04-01")
                   max_data_age_days=700, release_month=4, max_response_mb=256),
        SourceSpec("cbs_statline", "CBS StatLine OData v4", "https://datasets.cbs.nl/odata/v1/CBS",
                   "CC BY 4.0, source: CBS", max_data_age_days=550,
                   url_env_alias="TRANSITION_MONITOR_CBS_URL",
                   home_url="https://opendata.cbs.nl/statline"),
        SourceSpec("duo", "DUO open onderwijsdata (CKAN)", "https://onderwijsdata.duo.nl/api/3/action",
                   "CC0, DUO", max_data_age_days=550, home_url="https://onderwijsdata.duo.nl"),
        SourceSpec("wind_farms", "Register of offshore wind farms (project file, sourced per farm)",
                   "https://www.rvo.nl/onderwerpen/windenergie-op-zee",
                   "compiled by the project from public sources", max_data_age_days=1000,
                   cadence="irregular"),
        # API Statistics (JSON-stat 2.0, no key); regional LFS figures yearly, NUTS 2.
        SourceSpec("eurostat", "Eurostat dissemination API (API Statistics, JSON-stat)",
                   "https://ec.europa.eu/eurostat/api/dissemination/statistics/1.0/data",
                   "CC BY 4.0 (European Commission reuse policy), source: Eurostat",
                   max_data_age_days=800,
                   home_url="https://ec.europa.eu/eurostat/data/database"),
        SourceSpec("entsoe", "ENTSO-E Transparency Platform", "https://web-api.tp.entsoe.eu/api",
                   "ENTSO-E Transparency terms", key_env="ENTSOE_API_KEY",
                   key_param="securityToken", max_data_age_days=40, cadence="continuous",
                   home_url="https://transparency.entsoe.eu"),
    )
}


def snapshot_roots(extra: Path | None = None) -> list[Path]:
    """Bundled recordings first, then generated (synthesized) files if a cache is given."""
    roots = [SNAPSHOT_DIR / "recorded"]
    if extra is not None:
        roots.append(extra)
    return roots


def configured_base_url(name: str, environ: Mapping[str, str] | None = None) -> str:
    """The base URL a source is reached at: `$TRANSITION_MONITOR_<SOURCE>_URL` if set (or the
    spec's shorter alias), else the publisher's own."""
    spec, environ = SOURCES[name], os.environ if environ is None else environ
    for env in (spec.url_env, spec.url_env_alias):
        if env and environ.get(env, "").strip():
            return environ[env].strip()
    return spec.base_url


def base_url_overrides(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """{source: base URL} for every source whose base URL the environment overrides."""
    return {name: url for name in SOURCES
            if (url := configured_base_url(name, environ)) != SOURCES[name].base_url}


_THROTTLES: dict[str, Throttle] = {}


def shared_throttle(name: str) -> Throttle | None:
    """The one throttle of a rate-limited source in this process (every client shares it)."""
    from sources.http import Throttle

    limit = SOURCES[name].rate_limit
    if limit is None:
        return None
    if name not in _THROTTLES:
        _THROTTLES[name] = Throttle(*limit)
    return _THROTTLES[name]


def make_http(name: str, *, mode: str = "snapshot", base_url: str | None = None,
              key: str | None = None, generated_dir: Path | None = None,
              retry: RetryPolicy | None = None, timeout_s: float = 30.0,
              drop_dir: Path | None = None, **kwargs) -> SourceHttp:
    """A client for one source. Live mode without a needed key fails this source alone.

    `drop_dir` (live mode) is the home's `drop` folder: the client's `files` reads
    `<drop_dir>/<source>/`; in snapshot mode `files` reads the bundled snapshot's files. In
    live mode a rate-limited source gets its shared throttle unless `throttle=` is given (a
    test's, with a fake clock); snapshot mode reads files and is never throttled."""
    from sources.files import FileDrop, drop_folder
    from sources.http import RetryPolicy, SnapshotTransport, SourceHttp

    spec = SOURCES[name]
    if mode not in ("snapshot", "live"):
        raise ValueError(f"source mode must be 'snapshot' or 'live', not {mode!r}")
    headers: dict[str, str] = {}
    params: dict[str, str] = {}
    transport = None
    files = FileDrop(name, drop_folder(drop_dir, name)) if drop_dir is not None else None
    if mode == "snapshot":
        transport = SnapshotTransport(snapshot_roots(generated_dir), spec.secret_names)
        files = FileDrop(name, drop_folder(SNAPSHOT_FILES_DIR, name))
    elif spec.key_env:
        key = key if key is not None else os.environ.get(spec.key_env)
        if not key:
            raise MissingCredential(name, f"live mode needs an API key in ${spec.key_env}")
    if key and mode == "live":
        if spec.key_header:
            headers[spec.key_header] = key
        if spec.key_param:
            params[spec.key_param] = key
    if mode == "live":
        kwargs.setdefault("throttle", shared_throttle(name))
    kwargs.setdefault("max_bytes", spec.max_response_mb * 2**20)
    if base_url is None:  # a snapshot is keyed by the publisher's URLs, never a mirror's
        base_url = configured_base_url(name) if mode == "live" else spec.base_url
    return SourceHttp(source=name, base_url=base_url,
                      upstream_url=spec.base_url, link_hosts=spec.link_hosts, transport=transport,
                      headers=headers, params=params, secret_names=spec.secret_names,
                      retry=retry or RetryPolicy(), timeout_s=timeout_s, files=files, **kwargs)
