"""`transition-monitor record` against the stand-in for the live services (tests/live_mirror.py):
payloads land where snapshot mode reads them, keyed by the publisher's URL, each with a
manifest entry (URL without keys, retrieval time, SHA-256, licence); a failing source is one
line and leaves the others recorded."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import date

from orchestration.record import record
from sources.http import SnapshotTransport
from sources.registry import SNAPSHOT_DIR, SOURCES
from tests.live_mirror import Mirror

KEYS = {"KLIMAATMONITOR_API_KEY": "fake-record-key-5a7c21", "ENTSOE_API_KEY": "fake-record-tok-9e3b84"}


def test_recorded_payloads_are_found_by_snapshot_mode_with_their_manifest(tmp_path,
                                                                           monkeypatch):
    with Mirror([SNAPSHOT_DIR / "recorded"], failing="klimaatmonitor") as mirror:
        for name, value in {**mirror.base_url_env(), **KEYS}.items():
            monkeypatch.setenv(name, value)
        said: list[str] = []
        failed = record([date(2025, 1, 6)], [], say=said.append,
                        only=["luchtmeetnet", "entsoe", "klimaatmonitor", "eu_ets"],
                        root=tmp_path / "recorded", manifest_dir=tmp_path / "manifest")
    assert len(failed) == 1 and failed[0].startswith("FAILED klimaatmonitor: ")
    assert not (tmp_path / "manifest" / "klimaatmonitor.json").exists()
    text = "\n".join(p.read_text() for p in (tmp_path / "manifest").iterdir())
    assert "127.0.0.1" not in text and "fake-record" not in text and "securityToken" not in text
    for source in ("luchtmeetnet", "entsoe"):
        manifest = json.loads((tmp_path / "manifest" / f"{source}.json").read_text())
        assert manifest["files"], source
        transport = SnapshotTransport([tmp_path / "recorded"], SOURCES[source].secret_names)
        for entry in manifest["files"]:
            assert entry["url"].startswith(SOURCES[source].base_url)
            assert entry["licence"] == SOURCES[source].licence and entry["retrieved_at"]
            found = transport.locate(entry["url"])
            assert found == tmp_path / "recorded" / entry["path"]
            body = gzip.decompress(found.read_bytes()) if found.suffix == ".gz" else found.read_bytes()
            assert hashlib.sha256(body).hexdigest() == entry["sha256"]
    # a file the EU ETS listing names on the Commission's document host is recorded there
    ets = json.loads((tmp_path / "manifest" / "eu_ets.json").read_text())["files"]
    assert {e["url"].split("/")[2] for e in ets} == {"union-registry-data.ec.europa.eu",
                                                     "climate.ec.europa.eu"}
    # the station pages recorded are the ones served: byte for byte the bundled recordings
    bundled = SnapshotTransport([SNAPSHOT_DIR / "recorded"])
    page = next(e for e in json.loads((tmp_path / "manifest" / "luchtmeetnet.json").read_text())
                ["files"] if "measurements" in e["url"])
    assert gzip.decompress(bundled.locate(page["url"]).read_bytes()) == gzip.decompress(
        (tmp_path / "recorded" / page["path"]).read_bytes())
