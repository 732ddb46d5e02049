"""File sources: payloads a person downloads and drops in a folder, read like fetched ones.

Some upstreams publish files, not an API: the Emissieregistratie export is made in a browser
wizard (`ER_DataExport-<timestamp>.xlsx`), and the EU ETS workbooks can be downloaded by hand.
Such a file is dropped in the source's drop folder, `$TRANSITION_MONITOR_HOME/drop/<source>/`,
and read by `FileDrop.read` into a `Payload` with the same body checks as `SourceHttp.get`
(`sources.http.check_body`). From there everything is shared with fetched payloads: the raw
payload store keeps a vintage per content hash, parsers and the GX gate validate it.

In snapshot mode the drop folder is the bundled snapshot's `sources/snapshot/files/<source>/`.
A payload's URL is `drop:<source>/<file name>`: no machine path leaks into the warehouse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from core.errors import ContractError, SourceError
from core.payload import Payload
from sources.http import MAGIC, check_body

DROP_DIR_NAME = "drop"
MEDIA_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "gzip": "application/gzip", "csv": "text/csv", "json": "application/json",
               "xml": "application/xml"}


def drop_folder(home_drop: Path, source: str) -> Path:
    """`<home>/drop/<source>`: where a person puts the files of one source."""
    return home_drop / source


@dataclass(frozen=True)
class FileDrop:
    """The files of one source in one folder (a drop folder, or the bundled snapshot's)."""

    source: str
    folder: Path

    def matching(self, pattern: re.Pattern[str]) -> list[Path]:
        """Files whose name matches `pattern` (fully), sorted by name; none if no folder."""
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.iterdir()
                      if p.is_file() and pattern.fullmatch(p.name))

    def read(self, path: Path, dataset: str, request_key: str, expect: str) -> Payload:
        """One dropped file as a payload, its body checked like a fetched body."""
        url = f"drop:{self.source}/{path.name}"
        try:
            body = path.read_bytes()
        except OSError as exc:
            raise SourceError(self.source, f"cannot read dropped file: {exc.strerror}", url=url,
                              hint=f"Check the file in {self.folder}.") from None
        if expect not in MAGIC and expect not in ("csv", "json", "xml"):
            raise ValueError(f"unknown file format {expect!r}")
        try:
            check_body(self.source, body, expect, url, None)
        except ContractError as exc:
            raise ContractError(self.source, exc.message, url=url,
                                hint=f"Replace {path.name} in {self.folder} with the file as "
                                "downloaded (not opened and re-saved in another format).") from None
        return Payload(source=self.source, dataset=dataset, request_key=request_key, url=url,
                       media_type=MEDIA_TYPES[expect], body=body, fetched_at=datetime.now(UTC))


def require_files(files: FileDrop | None, source: str) -> FileDrop:
    """The drop folder of a source that has no other way in."""
    if files is None:
        raise SourceError(source, "no drop folder is configured for this file source",
                          hint="Run through `transition-monitor` (it sets "
                          "$TRANSITION_MONITOR_HOME/drop/<source>/), or pass drop_dir to "
                          "sources.registry.make_http.")
    return files
