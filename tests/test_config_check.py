"""`transition-monitor check`: the configuration validated, one message per
problem naming file, entry and field; exit 0 when valid, 1 on any problem."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from orchestration.cli import main
from orchestration.configcheck import (
    AREAS_FILE,
    CATALOGUE_FILE,
    INSTALLATIONS_FILE,
    configuration_problems,
)
from orchestration.configcheck import config_files as the_files

ROOT = Path(__file__).resolve().parent.parent
REGIONS_FILE = ROOT / "indicators" / "regions.yaml"


def write(tmp_path: Path, name: str, doc) -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, allow_unicode=True))
    return path


def real(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def region(doc, region_id):
    return next(r for r in doc["regions"] if r["id"] == region_id)


def indicator(doc, indicator_id):
    return next(i for i in doc["indicators"] if i["id"] == indicator_id)


def starts(lines: list[str], prefix: str) -> bool:
    return any(line.startswith(prefix) for line in lines)


def check(tmp_path, capsys, **files) -> tuple[int, list[str]]:
    args = ["check"]
    for option, path in files.items():
        args += [f"--{option}", str(path)]
    code = main(args)
    return code, capsys.readouterr().out.splitlines()


def test_the_shipped_configuration_is_valid(capsys):
    assert main(["check"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "configuration valid" in captured.err and "regions.yaml" in captured.err
    assert {f.name for f in the_files()} == {"regions", "catalogue", "installations", "areas"}


def test_check_imports_no_pipeline():
    """What keeps `check` at about a second (timed in benchmarks/, not here): a fresh
    interpreter runs it without importing Dagster, Polars, GX, DuckDB or pandas."""
    code = ("import sys; from orchestration.cli import main; rc = main(['check']); "
            "heavy = [m for m in ('dagster', 'polars', 'great_expectations', 'duckdb', 'pandas') "
            "if m in sys.modules]; print(rc, heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout.split(maxsplit=1)
    assert out[0] == "0" and out[1].strip() == "[]", out


def test_broken_regions_each_problem_named_by_file_entry_and_field(tmp_path, capsys):
    doc = real(REGIONS_FILE)
    region(doc, "ijmond")["municipalities"] = ["GM453", "GM0375"]
    region(doc, "den_haag")["stations"] = ["NL99999"]
    region(doc, "nederland")["kind"] = "nation"
    code, lines = check(tmp_path, capsys, regions=write(tmp_path, "regions.yaml", doc))
    assert code == 1
    assert "regions.yaml: region 'ijmond', field 'municipalities': malformed municipality " \
           "code(s) ['GM453']: write 'GM' and four digits, e.g. GM0453 (or NL01 for the " \
           "country)" in lines
    assert starts(lines, "regions.yaml: region 'nederland', field 'kind': Input should "
                               "be 'region', 'municipality' or 'country'")
    assert len(lines) == 2  # the undeclared station is reported once the codes load


def test_an_undeclared_station_is_reported_with_the_region(tmp_path, capsys):
    doc = real(REGIONS_FILE)
    region(doc, "den_haag")["stations"] = ["NL99999"]
    code, lines = check(tmp_path, capsys, regions=write(tmp_path, "regions.yaml", doc))
    assert code == 1
    assert lines == ["regions.yaml: region 'den_haag', field 'stations': unknown station "
                     "code(s) ['NL99999']; declare each under 'station_register' with its name"]


def test_a_file_that_is_not_yaml(tmp_path, capsys):
    code, lines = check(tmp_path, capsys,
                        catalogue=write(tmp_path, "catalogue.yaml", "indicators: [\n  - id: x\n"))
    assert code == 1
    assert len(lines) >= 1 and lines[0].startswith("catalogue.yaml: not valid YAML:")


def test_broken_catalogue_and_a_target_for_an_undeclared_region(tmp_path, capsys):
    doc = real(CATALOGUE_FILE)
    indicator(doc, "co2_per_inhabitant")["direction"] = "up"
    indicator(doc, "co2_per_inhabitant")["colour"] = "green"
    target = indicator(doc, "co2_total")["targets"][0]
    target["applies_to"] = ["nedrland"]
    code, lines = check(tmp_path, capsys, catalogue=write(tmp_path, "catalogue.yaml", doc))
    assert code == 1
    assert starts(lines, "catalogue.yaml: indicator 'co2_per_inhabitant', field "
                               "'direction': Input should be 'higher_is_better' or "
                               "'lower_is_better'")
    assert "catalogue.yaml: indicator 'co2_per_inhabitant', field 'colour': Extra inputs are " \
           "not permitted" in lines
    # the cross-file rule needs the catalogue to load: fixed fields, then it shows
    indicator(doc, "co2_per_inhabitant")["direction"] = "lower_is_better"
    del indicator(doc, "co2_per_inhabitant")["colour"]
    code, lines = check(tmp_path, capsys, catalogue=write(tmp_path, "catalogue.yaml", doc))
    assert code == 1
    assert lines == [f"catalogue.yaml: indicator 'co2_total', target '{target['id']}', field "
                     "'applies_to': unknown region id(s) ['nedrland']; regions.yaml declares "
                     f"{[r['id'] for r in real(REGIONS_FILE)['regions']]}"]


def test_broken_installations(tmp_path, capsys):
    doc = real(INSTALLATIONS_FILE)
    doc["installations"][0].update(installation_ids=[], name_pattern=None)
    doc["installations"].append({"entity": "other_plant", "region_code": "GM0999",
                                 "registry": "nl", "name_pattern": "(unclosed"})
    code, lines = check(tmp_path, capsys,
                        installations=write(tmp_path, "installations.yaml", doc))
    assert code == 1
    assert "installations.yaml: installation 'tata_steel_ijmuiden', field '(entry)': give " \
           "'installation_ids', or a 'name_pattern' to resolve the installation by name while " \
           "its id is not configured" in lines
    assert starts(lines, "installations.yaml: installation 'other_plant', field "
                               "'registry': String should match pattern")
    assert starts(lines, "installations.yaml: installation 'other_plant', field "
                               "'name_pattern': not a valid regular expression")


def test_an_installation_outside_every_region(tmp_path, capsys):
    doc = real(INSTALLATIONS_FILE)
    doc["installations"][0]["region_code"] = "GM0999"
    code, lines = check(tmp_path, capsys,
                        installations=write(tmp_path, "installations.yaml", doc))
    assert code == 1
    assert lines == ["installations.yaml: installation 'tata_steel_ijmuiden', field "
                     "'region_code': GM0999 is in no region of regions.yaml, so its emissions "
                     "would be reported nowhere"]


def test_problems_in_several_files_are_all_reported_and_a_missing_file_named(tmp_path):
    doc = real(REGIONS_FILE)
    region(doc, "ijmond")["municipalities"] = ["GM453"]
    problems = configuration_problems(regions=write(tmp_path, "regions.yaml", doc),
                                      catalogue=tmp_path / "nope.yaml")
    assert problems[0].startswith("regions.yaml: region 'ijmond', field 'municipalities'")
    assert problems[1] == f"{tmp_path / 'nope.yaml'}: file not found (catalogue)"
    assert len(problems) == 2


def test_live_mode_names_the_keys_that_are_not_set(monkeypatch):
    monkeypatch.delenv("KLIMAATMONITOR_API_KEY", raising=False)
    monkeypatch.setenv("ENTSOE_API_KEY", "x")
    assert configuration_problems(mode="snapshot") == []
    assert configuration_problems(mode="live") == [
        "environment: $KLIMAATMONITOR_API_KEY is not set: live mode fails the klimaatmonitor "
        "feeds (snapshot mode needs no key)"]


def test_the_regions_file_from_the_environment_is_the_one_checked(tmp_path, monkeypatch):
    doc = real(REGIONS_FILE)
    region(doc, "ijmond")["municipalities"] = ["GM453"]
    monkeypatch.setenv("TRANSITION_MONITOR_REGIONS", str(write(tmp_path, "mine.yaml", doc)))
    assert configuration_problems()[0].startswith("mine.yaml: region 'ijmond'")


def test_build_refuses_to_start_on_a_broken_configuration(tmp_path, monkeypatch, capsys):
    doc = real(REGIONS_FILE)
    region(doc, "ijmond")["municipalities"] = ["GM453"]
    monkeypatch.setenv("TRANSITION_MONITOR_REGIONS", str(write(tmp_path, "regions.yaml", doc)))
    assert main(["--home", str(tmp_path / "home"), "build"]) == 2
    err = capsys.readouterr().err
    assert "the configuration has errors" in err and "region 'ijmond'" in err
    assert not (tmp_path / "home" / "warehouse.duckdb").exists()


def test_the_catalogue_from_the_environment_is_the_one_checked(tmp_path, monkeypatch):
    doc = real(CATALOGUE_FILE)
    indicator(doc, "co2_total")["unit"] = None
    monkeypatch.setenv("TRANSITION_MONITOR_CATALOGUE", str(write(tmp_path, "mine.yaml", doc)))
    assert configuration_problems()[0].startswith("mine.yaml: indicator 'co2_total', field 'unit'")


AGENDA_DIR = ROOT / "indicators" / "agendas"


def test_broken_agendas_each_file_reported(tmp_path, capsys):
    """A goal measured by an indicator the catalogue lacks, a goal citing an undeclared
    document, and a file that does not parse: each named with file, goal and field."""
    folder = tmp_path / "agendas"
    folder.mkdir()
    ijmond = real(AGENDA_DIR / "ijmond.yaml")
    goal = ijmond["themes"][0]["goals"][0]
    goal["indicators"] = [*goal.get("indicators", []), "co2_totaal"]
    goal["document"] = "unknown_doc"
    write(folder, "ijmond.yaml", ijmond)
    haag = real(AGENDA_DIR / "den_haag.yaml")
    del haag["documents"]
    write(folder, "den_haag.yaml", haag)
    code, lines = check(tmp_path, capsys, agendas=folder)
    assert code == 1
    assert f"ijmond.yaml: goal {goal['id']!r}, field 'document': unknown document " \
           "'unknown_doc' (declare it under documents)" in lines
    assert f"ijmond.yaml: goal {goal['id']!r}, field 'indicators': not in the catalogue: " \
           "['co2_totaal']" in lines
    assert "den_haag.yaml: file, field 'documents': Field required" in lines
    assert len(lines) == 3


def test_two_agendas_for_one_region(tmp_path, capsys):
    folder = tmp_path / "agendas"
    folder.mkdir()
    write(folder, "a.yaml", real(AGENDA_DIR / "ijmond.yaml"))
    write(folder, "b.yaml", real(AGENDA_DIR / "ijmond.yaml"))
    code, lines = check(tmp_path, capsys, agendas=folder)
    assert code == 1
    assert lines == ["b.yaml: field 'region': a second agenda for region 'ijmond' (the first "
                     "is a.yaml)"]


def test_the_shipped_agendas_are_checked():
    assert len(list(AGENDA_DIR.glob("*.yaml"))) >= 1
    assert configuration_problems() == []


@pytest.mark.parametrize(("shape", "expected"), [
    ("bare string region", "regions.yaml: region '#1', field '(entry)': "),
    ("bare string station", "regions.yaml: file, field 'station_register.0': "),
    ("regions as a mapping", "regions.yaml: file, field 'regions': "),
    ("the file a list", "regions.yaml: "),
    ("the file a number", "regions.yaml: "),
])
def test_any_yaml_shape_is_a_config_error_not_a_crash(tmp_path, capsys, shape, expected):
    """Issue 20: a region written as a bare string crashed the error formatter
    (AttributeError). Every shape gives one line naming the file (and entry and field)."""
    from core.geography import load_regions

    doc = real(REGIONS_FILE)
    if shape == "bare string region":
        doc["regions"].insert(1, "IJmond")
    elif shape == "bare string station":
        doc["station_register"][0] = "NL49551"
    elif shape == "regions as a mapping":
        doc["regions"] = {"ijmond": "IJmond"}
    elif shape == "the file a list":
        doc = ["regions", "IJmond"]
    else:
        doc = "42"
    path = write(tmp_path, "regions.yaml", doc)
    code, lines = check(tmp_path, capsys, regions=path)
    assert code == 1 and lines and lines[0].startswith(expected), lines
    with pytest.raises(Exception, match="regions.yaml") as raised:  # the loader says the same
        load_regions(path)
    assert not isinstance(raised.value, AttributeError | TypeError | KeyError)


def area(doc, code):
    return next(a for a in doc["corop"] if a["code"] == code)


def test_broken_areas_each_problem_named_by_file_entry_and_field(tmp_path, capsys):
    """The holding areas (COROP): a malformed or non-existent area code, a malformed
    municipality code, a municipality listed twice in one area, and a name count that does
    not match; each one line naming file, area and field."""
    doc = real(AREAS_FILE)
    area(doc, "CR26")["code"] = "CR41"
    area(doc, "CR13")["code"] = "COROP13"
    ijmond = area(doc, "CR20")
    ijmond["municipalities"][0] = "GM375"
    ijmond["municipality_names"].pop()
    area(doc, "CR11")["municipalities"][2] = "GM0150"  # Deventer twice
    code, lines = check(tmp_path, capsys, areas=write(tmp_path, "areas.yaml", doc))
    assert code == 1
    assert starts(lines, "areas.yaml: corop 'CR41', field 'code': malformed COROP area code(s) "
                         "['CR41']: write 'CR' and the area's two-digit number, CR01 to CR40")
    assert starts(lines, "areas.yaml: corop 'COROP13', field 'code': malformed COROP area code")
    assert "areas.yaml: corop 'CR20', field 'municipalities': malformed municipality code(s) " \
           "['GM375']: write 'GM' and four digits, e.g. GM0453" in lines
    assert "areas.yaml: corop 'CR11', field 'municipalities': municipality code(s) ['GM0150'] " \
           "listed more than once" in lines
    assert len(lines) == 4, lines  # the name count is reported once the codes are valid


def test_a_municipality_in_two_areas(tmp_path, capsys):
    doc = real(AREAS_FILE)
    area(doc, "CR26")["municipalities"].append("GM0453")
    area(doc, "CR26")["municipality_names"].append("Velsen")
    code, lines = check(tmp_path, capsys, areas=write(tmp_path, "areas.yaml", doc))
    assert code == 1
    assert lines == ["areas.yaml: corop 'CR26', field 'municipalities': GM0453 is also in "
                     "'CR20'; a municipality belongs to one COROP area"]


def test_a_municipality_name_count_that_does_not_match(tmp_path, capsys):
    doc = real(AREAS_FILE)
    area(doc, "CR20")["municipality_names"].pop()
    code, lines = check(tmp_path, capsys, areas=write(tmp_path, "areas.yaml", doc))
    assert code == 1
    assert lines == ["areas.yaml: corop 'CR20', field '(entry)': 'municipality_names' needs "
                     "one name per municipality"]


def test_an_area_municipality_named_otherwise_than_in_regions(tmp_path, capsys):
    """A mistyped code (Velsen written GM0435 would still be well formed) shows as a
    municipality both files name differently."""
    doc = real(AREAS_FILE)
    ijmond = area(doc, "CR20")
    ijmond["municipality_names"][ijmond["municipalities"].index("GM0453")] = "Heemskerk"
    code, lines = check(tmp_path, capsys, areas=write(tmp_path, "areas.yaml", doc))
    assert code == 1
    assert lines == ["areas.yaml: corop 'CR20', field 'municipalities': GM0453 is 'Heemskerk' "
                     "here but 'Velsen' in regions.yaml; correct the code or the name"]


def test_a_missing_areas_file_and_an_area_listed_twice(tmp_path):
    assert configuration_problems(areas=tmp_path / "nope.yaml") == [
        f"{tmp_path / 'nope.yaml'}: file not found (areas)"]
    doc = real(AREAS_FILE)
    doc["corop"].append(area(doc, "CR20"))
    assert configuration_problems(areas=write(tmp_path, "areas.yaml", doc)) == [
        "areas.yaml: duplicate id(s) ['CR20']"]
