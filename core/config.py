"""Loading the declarative YAML files (catalogue, regions) with one message per problem.

A mistake is a `CatalogueError` naming the file, the entry and the field, so a partner editing
`regions.yaml` or staff adding an indicator see at once what to fix.
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

# libyaml's parser (PyYAML's C extension, in its wheels) reads the same YAML as the pure-Python
# SafeLoader about ten times faster: the catalogue, regions and locales took about 1 s of every
# command's start-up. The pure-Python loader stays the fallback where the extension is missing.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_yaml(text: str):
    """`yaml.safe_load`, through libyaml when it is there."""
    return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader, C or Python


class CatalogueError(ValueError):
    """A catalogue or regions file is invalid; the message names entry and field."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    nl: str
    en: str


def load_yaml(path: Path, model: type[BaseModel], list_key: str, id_key: str = "id"):
    """The file validated as `model`; read once per version of the file in a process (the
    models are frozen, so every consumer can share one)."""
    stat = Path(path).stat()
    return _load_yaml(Path(path).resolve(), stat.st_mtime_ns, stat.st_size, model, list_key,
                      id_key)


@functools.lru_cache(maxsize=32)
def _load_yaml(path: Path, _mtime_ns: int, _size: int, model: type[BaseModel], list_key: str,
               id_key: str = "id"):
    try:
        raw = safe_yaml(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{Path(path).name}: not valid YAML: {exc}") from None
    try:
        loaded = model.model_validate(raw)
    except ValidationError as exc:
        raise CatalogueError(describe_errors(Path(path).name, raw, list_key, exc, id_key)) from None
    ids = [getattr(item, id_key) for item in getattr(loaded, list_key)]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise CatalogueError(f"{Path(path).name}: duplicate id(s) {duplicates}")
    return loaded


def describe_errors(filename: str, raw, list_key: str, exc: ValidationError,
                    id_key: str = "id") -> str:
    """One line per problem: file, entry id and field, and what is wrong."""
    lines = []
    for error in exc.errors():
        loc = list(error["loc"])
        entry = "file"
        if len(loc) >= 2 and loc[0] == list_key and isinstance(loc[1], int):
            items = (raw or {}).get(list_key) or []
            item = items[loc[1]] if loc[1] < len(items) else {}
            item = item if isinstance(item, dict) else {}
            entry = f"{list_key.removesuffix('s')} {item.get(id_key, '#' + str(loc[1]))!r}"
            loc = loc[2:]
        field = ".".join(str(part) for part in loc)
        message = error["msg"].removeprefix("Value error, ")  # pydantic's wrapper adds nothing
        if not field and entry == "file":  # a rule across entries: its message names them
            lines.extend(f"{filename}: {part}" for part in message.splitlines())
            continue
        lines.append(f"{filename}: {entry}, field '{field or '(entry)'}': {message}")
    return "\n".join(lines)


