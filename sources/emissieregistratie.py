"""Emissieregistratie (RIVM and partners): CO2 per municipality, sector and year, a FILE source.

The Emissieregistratie has no HTTP export API: its data export is a browser wizard at
https://www.emissieregistratie.nl/data/data-export that produces a workbook
`ER_DataExport-YYYY-MM-DD-HHMMSS.xlsx` with a sheet `Emissies` (evidence: Deltares' public
Ribasim-NL ER-to-Delwaq script reads such an export with `pd.read_excel(...,
sheet_name="Emissies")`; the column names are in `transforms.emissions`). A person makes the export (substance CO2, area division
"Gemeente" with the monitored municipalities, and "Nederland") and drops it in
`$TRANSITION_MONITOR_HOME/drop/emissieregistratie/`; in snapshot mode the bundled snapshot
holds one (`sources/snapshot/files/emissieregistratie/`).

The newest export, by the timestamp in its name, is the one current payload: a new export is a
new vintage of the same request (`co2_per_sector/export`), so older exports may stay in the
folder. Final figures for year t appear about two years later, provisional ones the summer after.
Parsing lives in `transforms.emissions.parse_emissieregistratie`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from core.errors import SourceError
from sources.files import require_files
from sources.http import Payload, SourceHttp

SOURCE = "emissieregistratie"
DATASET = "co2_per_sector"
REQUEST_KEY = f"{DATASET}/export"
EXPORT_FILE = re.compile(r"ER_DataExport-(\d{4}-\d{2}-\d{2}-\d{6})(?: ?\(\d+\))?\.xlsx")
EXPORT_PAGE = "https://www.emissieregistratie.nl/data/data-export"


def export_stamp(name: str) -> str:
    """'ER_DataExport-2026-09-16-103931.xlsx' -> '2026-09-16-103931' (sortable)."""
    match = EXPORT_FILE.fullmatch(name)
    return match.group(1) if match else ""


def fetch_exports(http: SourceHttp, regions: Iterable[str] = (),
                  partition: str | None = None) -> list[Payload]:
    """The newest dropped export as one payload. `regions` is what the export should cover;
    the export holds what the person selected, and the parser keeps every area in it."""
    files = require_files(http.files, SOURCE)
    exports = files.matching(EXPORT_FILE)
    if not exports:
        wanted = ", ".join(regions) or "the monitored municipalities and Nederland"
        raise SourceError(
            SOURCE, f"no ER_DataExport-*.xlsx in the drop folder {files.folder}",
            partition=partition,
            hint=f"Export CO2 ('Gemeente' for {wanted}; 'Nederland' for NL01) at {EXPORT_PAGE} "
                 f"and save the downloaded workbook, unchanged, in {files.folder}.")
    newest = max(exports, key=lambda p: (export_stamp(p.name), p.name))
    return [files.read(newest, DATASET, REQUEST_KEY, expect="xlsx")]
