"""The EU ETS installations file (`families/emissions/installations.yaml`), validated on load
like the regions and catalogue files: a mistake is a `CatalogueError` naming the file, the
installation (its `entity`) and the field.

Kept here, light (pydantic and YAML only), so `transition-monitor check` reads it in
milliseconds; `families.emissions` turns the entries into `EtsInstallation`s.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from core.config import Strict, load_yaml
from core.geography import MUNICIPALITY_CODE


class InstallationEntry(Strict):
    entity: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    region_code: str = Field(pattern=MUNICIPALITY_CODE)
    registry: str = Field(pattern=r"^[A-Z]{2}$")  # the Union Registry's country code
    installation_ids: list[str | int] = []
    name_pattern: str | None = None

    @field_validator("installation_ids")
    @classmethod
    def _ids_as_text(cls, ids: list[str | int]) -> list[str]:
        text = [str(i).strip() for i in ids]
        if any(not i for i in text):
            raise ValueError("an empty installation id; write the registry's identifier")
        return text

    @field_validator("name_pattern")
    @classmethod
    def _a_regex(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return pattern

    @model_validator(mode="after")
    def _identified(self) -> InstallationEntry:
        if not self.installation_ids and not self.name_pattern:
            raise ValueError("give 'installation_ids', or a 'name_pattern' to resolve the "
                             "installation by name while its id is not configured")
        return self


class InstallationsFile(Strict):
    installations: list[InstallationEntry] = []


def load_installations_file(path: Path | str) -> InstallationsFile:
    return load_yaml(Path(path), InstallationsFile, "installations", id_key="entity")
