"""`transition-monitor check`: the configuration files validated in about a second, before
any Dagster start-up, one message per problem naming the file, the entry and the field.

The files: the regions (`indicators/regions.yaml`, or $TRANSITION_MONITOR_REGIONS), the
indicator catalogue (`indicators/catalogue.yaml`, or $TRANSITION_MONITOR_CATALOGUE), the
regions' agendas (`indicators/agendas/*.yaml`), the holding areas (the COROP areas of
`indicators/areas.yaml`, for figures CBS publishes per area) and the sources' configuration (the
EU ETS installations, `families/emissions/installations.yaml`); then what one file says about
another (a target for a region that is not declared, an installation outside every region, an
agenda goal measured by an indicator the catalogue lacks, a municipality an area names otherwise
than regions.yaml does);
with `--source live`, the API keys live mode needs. Only pydantic and YAML are imported (no
Dagster, Polars or Great Expectations), which is what keeps it fast.
"""


import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.config import CatalogueError, load_yaml
from core.geography import load_regions, regions_file
from core.installations import load_installations_file

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE_FILE = ROOT / "indicators" / "catalogue.yaml"
CATALOGUE_FILE_ENV = "TRANSITION_MONITOR_CATALOGUE"  # as indicators.catalogue reads it
INSTALLATIONS_FILE = ROOT / "families" / "emissions" / "installations.yaml"
AREAS_FILE = ROOT / "indicators" / "areas.yaml"


@dataclass(frozen=True)
class ConfigFile:
    name: str  # what it configures (the key of its loaded contents)
    path: Path
    load: Callable[[Path], object]


def _load_catalogue(path: Path):
    from indicators.catalogue import load_catalogue  # pydantic only; kept lazy like the rest

    return load_catalogue(path)


def _load_areas(path: Path):
    from indicators.areas import load_areas

    return load_areas(path)


def config_files(regions: Path | None = None, catalogue: Path | None = None,
                 installations: Path | None = None,
                 areas: Path | None = None) -> list[ConfigFile]:
    return [ConfigFile("regions", Path(regions or regions_file()), load_regions),
            ConfigFile("catalogue", Path(catalogue or os.environ.get(CATALOGUE_FILE_ENV)
                                         or CATALOGUE_FILE), _load_catalogue),
            ConfigFile("installations", Path(installations or INSTALLATIONS_FILE),
                       load_installations_file),
            ConfigFile("areas", Path(areas or AREAS_FILE), _load_areas)]


def configuration_problems(regions: Path | None = None, catalogue: Path | None = None,
                           installations: Path | None = None, mode: str = "snapshot",
                           agendas: Path | None = None, areas: Path | None = None) -> list[str]:
    """Every problem, one line each ([] when the configuration is valid)."""
    loaded: dict[str, object] = {}
    problems: list[str] = []
    for config in config_files(regions, catalogue, installations, areas):
        if not config.path.is_file():
            problems.append(f"{config.path}: file not found ({config.name})")
            continue
        try:
            loaded[config.name] = config.load(config.path)
        except CatalogueError as exc:
            problems += str(exc).splitlines()
    problems += cross_references(loaded)
    problems += agenda_problems(agendas, loaded.get("catalogue"), loaded.get("regions"))
    if mode == "live":
        problems += missing_keys() + base_url_problems()
    return problems


def cross_references(loaded: dict[str, object]) -> list[str]:
    """What one file says about another, where both loaded."""
    if "regions" not in loaded:
        return []
    regions = loaded["regions"]
    region_ids = [r.id for r in regions.regions]
    problems = []
    for indicator in getattr(loaded.get("catalogue"), "indicators", []):
        for target in indicator.targets:
            unknown = [] if target.applies_to == "all" else \
                [r for r in target.applies_to if r not in region_ids]
            if unknown:
                problems.append(f"catalogue.yaml: indicator {indicator.id!r}, target "
                                f"{target.id!r}, field 'applies_to': unknown region id(s) "
                                f"{unknown}; regions.yaml declares {region_ids}")
    covered = set(regions.municipality_codes)
    for item in getattr(loaded.get("installations"), "installations", []):
        if item.region_code not in covered:
            problems.append(f"installations.yaml: installation {item.entity!r}, field "
                            f"'region_code': {item.region_code} is in no region of "
                            "regions.yaml, so its emissions would be reported nowhere")
    if "areas" in loaded:
        problems += area_names_disagree(loaded["areas"], regions)
    return problems


def area_names_disagree(areas, regions) -> list[str]:
    """A municipality code both files name, named differently: one of the two codes is wrong
    (a typo such as GM0435 for Velsen's GM0453 puts the wrong municipality in an area)."""
    declared = regions.municipality_names
    return [f"areas.yaml: corop {area!r}, field 'municipalities': {code} is {name!r} here "
            f"but {declared[code]!r} in regions.yaml; correct the code or the name"
            for (area, code), name in areas.municipality_names().items()
            if code in declared and declared[code] != name]


def agenda_problems(directory: Path | None, catalogue, regions) -> list[str]:
    """Each agenda file on its own (one broken file does not hide the others); checked against
    the catalogue and regions when both loaded."""
    from indicators.agenda import AGENDA_DIR, Agenda, check_agenda

    problems: list[str] = []
    seen: dict[str, str] = {}
    for path in sorted(Path(directory or AGENDA_DIR).glob("*.yaml")):
        try:
            agenda = load_yaml(path, Agenda, "themes")
            if catalogue is not None and regions is not None:
                check_agenda(agenda, path.name, catalogue, regions)
        except CatalogueError as exc:
            problems += str(exc).splitlines()
            continue
        if agenda.region in seen:
            problems.append(f"{path.name}: field 'region': a second agenda for region "
                            f"{agenda.region!r} (the first is {seen[agenda.region]})")
        seen.setdefault(agenda.region, path.name)
    return problems


def missing_keys() -> list[str]:
    """Live mode: the API keys that are not set (each fails its source's feeds)."""
    from sources.registry import SOURCES

    return [f"environment: ${s.key_env} is not set: live mode fails the {s.name} feeds "
            "(snapshot mode needs no key)" for s in SOURCES.values()
            if s.key_env and not os.environ.get(s.key_env)]


def base_url_problems() -> list[str]:
    """Live mode: base-URL variables that are set but are no http(s) URL with a host."""
    from urllib.parse import urlsplit

    from sources.registry import SOURCES

    problems = []
    for spec in SOURCES.values():
        for env in filter(None, (spec.url_env, spec.url_env_alias)):
            value = os.environ.get(env, "").strip()
            parts = urlsplit(value)
            if value and (parts.scheme not in ("http", "https") or not parts.hostname):
                problems.append(f"environment: ${env} is {value!r}, not an http(s) URL: live "
                                f"mode would fail the {spec.name} feeds")
    return problems
