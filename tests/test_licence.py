"""The code's licence file matches pyproject.toml; the bundled data's terms are stated per
source in the snapshot manifest, the same as the source declarations."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from sources.registry import SOURCES
from sources.snapshot import MANIFEST_DIR

ROOT = Path(__file__).resolve().parent.parent


def test_the_licence_file_is_the_eupl_1_2_pyproject_declares():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]
    assert declared == {"text": "EUPL-1.2"}
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("EUROPEAN UNION PUBLIC LICENCE v. 1.2\n")
    # the whole text, not a summary: its last article and the appendix of compatible licences
    assert "15.Applicable Law" in text and "Appendix" in text and "‘Compatible Licences’" in text
    assert len(text) > 12000


def test_every_manifest_states_its_sources_licence():
    manifests = {p.stem: json.loads(p.read_text(encoding="utf-8"))
                 for p in MANIFEST_DIR.glob("*.json")}
    assert set(manifests) == set(SOURCES)
    for name, manifest in manifests.items():
        assert manifest["licence"]["terms"] == SOURCES[name].licence, name
        assert "synthesized" in manifest["licence"]["applies_to"]
