"""Start-up cost: commands that validate nothing do not load Great Expectations, and XML is
parsed by the fast path only where that is safe."""

import subprocess
import sys

import pytest

from transforms.xml_safe import ParseError, check_xml, parse_xml


def test_definitions_and_publish_path_do_not_import_great_expectations():
    code = ("import sys, orchestration.definitions, orchestration.cli, reports.publish; "
            "print('great_expectations' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_status_loads_neither_the_http_clients_nor_the_pipeline():
    """`status` reads the warehouse and the source declarations only (issue 18: under 1 s)."""
    code = ("import sys, orchestration.cli, orchestration.status; "
            "print(sorted(m for m in ('httpx', 'tenacity', 'dagster', 'polars', "
            "'great_expectations', 'plotly') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_libyaml_reads_the_configuration_as_the_pure_python_loader_does():
    from pathlib import Path

    import yaml

    from core.config import safe_yaml

    root = Path(__file__).parents[1]
    files = [*root.glob("indicators/*.yaml"), *root.glob("reports/locales/*.yaml"),
             *root.glob("families/*/*.yaml")]
    assert len(files) >= 5
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert safe_yaml(text) == yaml.safe_load(text), path


DTD_BOMB = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            b"<x>&b;</x>")


@pytest.mark.parametrize("check", [check_xml, parse_xml])
def test_entities_are_refused_and_broken_xml_raises(check):
    with pytest.raises(ValueError):
        check(DTD_BOMB)
    with pytest.raises(ParseError):
        check(b"<a><b></a>")
    with pytest.raises((ParseError, ValueError)):
        check("<a>x</a>".encode("utf-16")[:5])


def test_fast_path_gives_the_same_tree_as_defusedxml():
    import defusedxml.ElementTree as SafeET

    body = (b'<?xml version="1.0" encoding="UTF-8"?>\n<d xmlns="urn:x"><p><q>1</q><q>2'
            b"</q></p><p><q>3</q></p></d>")
    fast, safe = parse_xml(body), SafeET.fromstring(body)
    assert [(e.tag, e.text) for e in fast.iter()] == [(e.tag, e.text) for e in safe.iter()]
    check_xml(body)
    # a UTF-16 body (where a byte search for a DOCTYPE would be blind) goes the safe way
    utf16 = '<?xml version="1.0" encoding="UTF-16"?><d><p>1</p></d>'.encode("utf-16")
    assert parse_xml(utf16).find("p").text == "1"


def test_the_install_compiled_the_projects_own_modules():
    """README's setup: hatch_build.py compiles the project's modules when uv builds the editable
    install, so a command does not compile them again (0.8 s a process where
    PYTHONDONTWRITEBYTECODE is set). Each module has bytecode made from its current source."""
    import importlib.util
    import tomllib
    from pathlib import Path

    root = Path(__file__).parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    packages = config["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    sources = [p for package in packages for p in (root / package).rglob("*.py")]
    assert len(sources) > 100
    missing, stale = [], []
    for source in sources:
        cached = Path(importlib.util.cache_from_source(str(source)))
        if not cached.exists():
            missing.append(str(source.relative_to(root)))
            continue
        header = cached.read_bytes()[:16]  # magic, flags, source mtime, source size
        stat = source.stat()
        if (int.from_bytes(header[8:12], "little") != int(stat.st_mtime) & 0xFFFFFFFF
                or int.from_bytes(header[12:16], "little") != stat.st_size & 0xFFFFFFFF):
            stale.append(str(source.relative_to(root)))
    assert not missing, f"no bytecode for {missing[:5]} (run `uv sync --compile-bytecode`)"
    assert not stale, f"bytecode older than {stale[:5]}"


def test_the_console_script_is_the_entry_that_tunes_the_collector():
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text("utf-8"))
    assert config["project"]["scripts"]["transition-monitor"] == "orchestration.cli:entry"


def test_collector_paused_at_start_up_is_frozen_and_running_again_after_it():
    code = ("import gc; from orchestration import collector; "
            "collector.settle(); untouched = (gc.isenabled(), gc.get_freeze_count()); "
            "collector.pause_for_start_up(); paused = gc.isenabled(); "
            "made = [[] for _ in range(1000)]; collector.settle(); "
            "print(untouched, paused, gc.isenabled(), gc.get_freeze_count() >= 1000)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "(True, 0) False True True"


def test_a_command_called_in_process_leaves_the_collector_alone():
    """Tests (and any caller of `main`) keep a normal collector; only the console script
    tunes it for its own short process."""
    code = ("import gc; from orchestration.cli import main; rc = main(['check']); "
            "print(rc, gc.isenabled(), gc.get_freeze_count())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "0 True 0", out.stderr[-2000:]


def test_the_console_script_freezes_the_heap_before_the_shutdown():
    code = ("import gc; from orchestration.cli import main; rc = main(['check'], "
            "own_process=True); print(rc, gc.isenabled(), gc.get_freeze_count() > 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "0 True True", out.stderr[-2000:]
