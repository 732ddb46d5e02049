"""A region's own agenda: its goals, in its own words, each with the document it comes from and
the indicators that measure it, or the reason no open data does (indicators/agendas/<region>.yaml).

Validated on load against the catalogue and regions: an unknown region or indicator id, a goal
without a document, or a goal with neither indicators nor a "not measured" reason is a
`CatalogueError` naming the file, the goal and the field.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from core.config import CatalogueError, Strict, Text, load_yaml
from indicators.catalogue import Catalogue, Regions, load_catalogue, load_regions

AGENDA_DIR = Path(__file__).parent / "agendas"


class Document(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    publisher: str
    year: int | None = None


class Goal(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: Text  # in the agenda's own words
    document: str  # a Document id
    indicators: list[str] = []
    not_measured: Text | None = None  # why no open data measures it (yet)

    @model_validator(mode="after")
    def _measured_or_said_why_not(self) -> Goal:
        if not self.indicators and self.not_measured is None:
            raise ValueError("give 'indicators' or say in 'not_measured' why none measures it")
        return self


class Theme(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: Text
    goals: list[Goal] = Field(min_length=1)


class Agenda(Strict):
    region: str
    documents: list[Document] = Field(min_length=1)
    themes: list[Theme] = Field(min_length=1)

    @property
    def goals(self) -> list[Goal]:
        return [g for t in self.themes for g in t.goals]


def check_agenda(agenda: Agenda, name: str, catalogue: Catalogue, regions: Regions) -> None:
    problems = []
    if agenda.region not in {r.id for r in regions.regions}:
        problems.append(f"region {agenda.region!r} is not declared in regions.yaml")
    documents = {d.id for d in agenda.documents}
    indicators = {i.id for i in catalogue.indicators}
    goal_ids = [g.id for g in agenda.goals]
    problems += [f"duplicate goal id {g!r}" for g in sorted({g for g in goal_ids
                                                             if goal_ids.count(g) > 1})]
    for goal in agenda.goals:
        if goal.document not in documents:
            problems.append(f"goal {goal.id!r}, field 'document': unknown document "
                            f"{goal.document!r} (declare it under documents)")
        unknown = [i for i in goal.indicators if i not in indicators]
        if unknown:
            problems.append(f"goal {goal.id!r}, field 'indicators': not in the catalogue: {unknown}")
    if problems:
        raise CatalogueError("\n".join(f"{name}: {p}" for p in problems))


def load_agendas(directory: Path | None = None, catalogue: Catalogue | None = None,
                 regions: Regions | None = None) -> dict[str, Agenda]:
    """Every region's agenda, keyed by region id (a region without a file has none)."""
    catalogue, regions = catalogue or load_catalogue(), regions or load_regions()
    agendas = {}
    for path in sorted(Path(directory or AGENDA_DIR).glob("*.yaml")):
        agenda = load_yaml(path, Agenda, "themes")
        check_agenda(agenda, path.name, catalogue, regions)
        if agenda.region in agendas:
            raise CatalogueError(f"{path.name}: a second agenda for region {agenda.region!r}")
        agendas[agenda.region] = agenda
    return agendas


def agendas_for(catalogue: Catalogue, regions: Regions,
                directory: Path | None = None) -> dict[str, Agenda]:
    """The agendas an edition shows: those that fit this deployment's catalogue and regions.
    A deployment with its own catalogue or regions (another monitor) leaves out the shipped
    agendas that name indicators or regions it lacks; `check` reports each such file, so a
    mistake in an agenda is never silent."""
    out: dict[str, Agenda] = {}
    for path in sorted(Path(directory or AGENDA_DIR).glob("*.yaml")):
        agenda = load_yaml(path, Agenda, "themes")
        try:
            check_agenda(agenda, path.name, catalogue, regions)
        except CatalogueError:
            continue
        out.setdefault(agenda.region, agenda)
    return out
