"""The tree's architecture, checked: imports run down the layers only, and each concept
(families, keyed sources, geography) is declared once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["orchestration", "reports", "indicators", "warehouse", "families", "sources",
          "transforms", "core"]


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--config",
                           str(root / "pyproject.toml"), "--no-cache"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120)


def test_the_tree_keeps_the_layer_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory) -> Path:
    """The project's packages and import-linter configuration, copied (Python files only)."""
    root = tmp_path_factory.mktemp("tree")
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    for layer in LAYERS:
        shutil.copytree(ROOT / layer, root / layer,
                        ignore=shutil.ignore_patterns("*.yaml", "*.json*", "*.csv", "*.gz",
                                                      "templates", "static", "snapshot"))
    return root


@pytest.mark.parametrize(("lower", "upper"), [("core/payload.py", "orchestration.cli"),
                                               ("sources/http.py", "warehouse.store"),
                                               ("transforms/statline.py", "sources.statline")])
def test_an_upward_import_breaks_the_contract(tree_copy, lower, upper):
    module = tree_copy / lower
    original = module.read_text()
    module.write_text(original + f"\nimport {upper}  # an upward import\n")
    try:
        result = lint_imports(tree_copy)
    finally:
        module.write_text(original)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    importer = lower.removesuffix(".py").replace("/", ".")
    assert f"{importer} -> {upper}" in result.stdout


def test_every_keyed_source_has_its_resource_field_and_environment_variable():
    from orchestration.definitions import KEY_ENV
    from orchestration.resources import SourcesResource
    from sources.registry import SOURCES

    keyed = {s.name for s in SOURCES.values() if s.key_env}
    assert keyed == {"klimaatmonitor", "entsoe"}
    assert {f"{name}_api_key" for name in keyed} <= set(SourcesResource.model_fields)
    assert KEY_ENV == {f"{name}_api_key": SOURCES[name].key_env for name in keyed}


def test_every_family_is_wired_into_assets_and_freshness_checks():
    from families.registry import FAMILIES, feeds
    from orchestration.definitions import build_defs
    from orchestration.freshness import CLEAN_TABLE_SOURCES, raw_asset_sources
    from warehouse.schema import CLEAN_TABLES

    defs = build_defs()
    keys = {k.to_user_string() for k in defs.resolve_all_asset_keys()}
    tables = {f.table_name for f in FAMILIES}
    assert tables <= keys and set(CLEAN_TABLES) == tables == set(CLEAN_TABLE_SOURCES)
    assert {f"raw_{feed.name}" for _, feed in feeds()} <= set(raw_asset_sources()) <= keys
