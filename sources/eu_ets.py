"""EU ETS verified emissions (Union Registry): the files the registry publishes.

Two publications carry installation-level verified emissions (t CO2e):
- the annual workbook `verified_emissions_<year>_en.xlsx` (wide: one VERIFIED_EMISSIONS_YYYY
  column per year since 2008; the header row sits at a different depth per vintage), and
- the long, daily-refreshed `operators_yearly_activity_daily.csv.gz` (REGISTRY_CODE,
  INSTALLATION_IDENTIFIER, PERIOD_YEAR, VERIFIED_EMISSIONS, ...), with the installation names
  in `operators_daily.csv.gz`.

Their addresses change per upload, so they are found through the JSON the registry's download
page loads, `{base}/api/data-download` (base `https://union-registry-data.ec.europa.eu`): a
list of objects with a `url` and an `action`. Files are picked by the file name in the URL (its
`?filename=` or the path's last part), never by `action` (its values carry typos), and fetched
only from the listing's own host, *.europa.eu or the registry's blob storage. Evidence: the
public eu-ets-mcp client (LISTING_URL, resolve-by-file-name, host allowlist) and ghgsql's
download of the 2024 workbook; the endpoint itself is undocumented.

A file dropped in `$TRANSITION_MONITOR_HOME/drop/eu_ets/` (same file names) is used instead of
fetching. No key is needed. Parsing lives in `transforms.emissions.parse_eu_ets`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from core.errors import ContractError
from sources.http import Payload, SourceHttp

SOURCE = "eu_ets"
DATASET = "verified_emissions"
LISTING_PATH = "api/data-download"
# One request key per role: a newer file is a new vintage of the same request.
EMISSIONS_KEY = f"{DATASET}/emissions"
NAMES_KEY = f"{DATASET}/installation_names"

WORKBOOK_FILE = re.compile(r"verified_emissions_(\d{4})_en(?:_(\d+))?\.xlsx")
YEARLY_FILE = "operators_yearly_activity_daily.csv.gz"
OPERATORS_FILE = "operators_daily.csv.gz"
BLOB_HOSTS = ("dlsclimabi.blob.core.windows.net",)
EUROPA_SUFFIX = ".europa.eu"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Listed:
    name: str
    url: str


def file_name(url: str) -> str:
    """The file a URL serves: its `?filename=` if given, else the last path segment."""
    parts = urlsplit(url)
    named = parse_qs(parts.query).get("filename")
    return (named[0] if named else parts.path.rsplit("/", 1)[-1]).strip()


def workbook_rank(name: str) -> tuple[int, int] | None:
    """(year, re-upload number) of a verified-emissions workbook name, else None."""
    match = WORKBOOK_FILE.fullmatch(name)
    return (int(match.group(1)), int(match.group(2) or 0)) if match else None


def parse_listing(payload: Payload) -> list[Listed]:
    """The listing's files, by file name; an unexpected shape breaks the contract."""
    doc = payload.json()
    if not isinstance(doc, list) or not all(isinstance(e, dict) for e in doc):
        raise ContractError(SOURCE, "the download listing is not a list of objects",
                            url=payload.url)
    listed = [Listed(file_name(e["url"]), e["url"]) for e in doc
              if isinstance(e.get("url"), str) and e["url"]]
    if not listed:
        raise ContractError(SOURCE, "the download listing names no file URL", url=payload.url)
    return listed


def check_host(url: str, listing_url: str) -> str:
    """Only https (or loopback http) on the listing's host, *.europa.eu or the blob storage."""
    parts, listing = urlsplit(url), urlsplit(listing_url)
    host, listing_host = (parts.hostname or "").lower(), (listing.hostname or "").lower()
    if parts.username or parts.password:
        raise ContractError(SOURCE, f"the listing points to a URL with credentials on {host}")
    # plain http only on loopback, or on a mirror that serves the listing itself over http
    plain_ok = host in LOOPBACK or (host == listing_host and listing.scheme == "http")
    if parts.scheme != "https" and not (parts.scheme == "http" and plain_ok):
        raise ContractError(SOURCE, f"the listing points to a non-https URL on {host or '?'}")
    if host != listing_host and host not in BLOB_HOSTS and not host.endswith(EUROPA_SUFFIX):
        raise ContractError(SOURCE, f"the listing points to host {host}, which is not fetched "
                            "from (allowed: the listing's host, *.europa.eu, the registry's "
                            "blob storage)", url=listing_url)
    return url


def choose(listed: list[Listed]) -> list[tuple[Listed, str, str]]:
    """(file, request key, format) to fetch: the newest workbook, else the long CSV (with the
    operators file, whose names the by-name fallback may need)."""
    workbooks = [(rank, item) for item in listed if (rank := workbook_rank(item.name))]
    if workbooks:
        return [(max(workbooks, key=lambda w: w[0])[1], EMISSIONS_KEY, "xlsx")]
    by_name = {item.name: item for item in listed}
    if YEARLY_FILE in by_name:
        chosen = [(by_name[YEARLY_FILE], EMISSIONS_KEY, "gzip")]
        if OPERATORS_FILE in by_name:
            chosen.append((by_name[OPERATORS_FILE], NAMES_KEY, "gzip"))
        return chosen
    raise ContractError(SOURCE, "the download listing has neither a verified_emissions_<year>"
                        f"_en.xlsx nor {YEARLY_FILE}; it lists "
                        f"{sorted(by_name)[:12]}", hint="The registry's download page changed: "
                        "download the file by hand into the eu_ets drop folder.")


def dropped(http: SourceHttp) -> list[Payload]:
    """Files a person put in the drop folder, chosen like listed files; [] when none."""
    if http.files is None:
        return []
    names = [Listed(p.name, str(p)) for p in http.files.matching(
        re.compile(rf"{WORKBOOK_FILE.pattern}|{re.escape(YEARLY_FILE)}|{re.escape(OPERATORS_FILE)}"))]
    if not names:
        return []
    return [http.files.read(Path(item.url), DATASET, key, expect=kind)
            for item, key, kind in choose(names)]


def fetch_verified_emissions(http: SourceHttp, partition: str | None = None) -> list[Payload]:
    """The verified-emissions file(s): dropped ones if any, else the newest listed."""
    if files := dropped(http):
        return files
    listing = http.get(DATASET, LISTING_PATH, expect="json", request_key=f"{DATASET}/listing",
                       partition=partition)
    return [http.get(DATASET, "", url=check_host(item.url, listing.url), expect=kind,
                     request_key=key, partition=partition)
            for item, key, kind in choose(parse_listing(listing))]
