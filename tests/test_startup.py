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
