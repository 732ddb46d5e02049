"""Build hook: the project's own modules compiled to bytecode when the project is installed.

`uv sync --compile-bytecode` compiles what it installs into the environment, but the project is
installed editable (its modules stay in this tree), so they were never compiled; where
PYTHONDONTWRITEBYTECODE is set, every command then compiled all 135 of them again, about 0.8 s
a process (BENCHMARKS.md, "Bytecode at install, and the collector"). The editable install is
built by this hook's wheel build, so the tree is compiled there, at install; uv builds it again
when a module changes (`[tool.uv] cache-keys` in pyproject.toml), so the bytecode stays current.
"""

from __future__ import annotations

import compileall
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompileProjectBytecode(BuildHookInterface):
    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel" or version != "editable":
            return  # a regular wheel carries sources; the installer compiles those
        for package in self.build_config.packages:
            compileall.compile_dir(Path(self.root) / package, quiet=1)
