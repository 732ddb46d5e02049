"""Installing a missing program from Debian's packages: apt-get is replaced by a script on PATH
that records its arguments and, for `install`, writes the program the package provides."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from core import debian_packages
from core.debian_packages import ProgramMissing, ensure_program
from reports import pdf


def _fake_apt(folder: Path, program: Path, *, provides: bool) -> Path:
    """An `apt-get` that logs each call and, on install, creates `program` when `provides`."""
    log = folder / "apt.log"
    script = folder / "apt-get"
    make = f'printf "#!/bin/sh\\n" > "{program}"; chmod +x "{program}"' if provides else ":"
    script.write_text("#!/bin/sh\n"
                      f'echo "$DEBIAN_FRONTEND $*" >> "{log}"\n'
                      f'if [ "$1" = install ]; then {make}; fi\n'
                      'echo "E: nothing here" >&2\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return log


@pytest.fixture
def root_with_apt(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(debian_packages.os, "geteuid", lambda: 0)
    return bin_dir


def test_a_present_program_is_returned_without_apt(tmp_path, root_with_apt):
    program = tmp_path / "chromium"
    program.write_text("")
    log = _fake_apt(root_with_apt, program, provides=True)
    assert ensure_program("chromium", program, purpose="p") == program
    assert not log.exists()


def test_a_missing_program_is_installed_noninteractively_and_announced(tmp_path, root_with_apt):
    program = tmp_path / "chromium"
    log = _fake_apt(root_with_apt, program, provides=True)
    said: list[str] = []
    assert ensure_program("chromium", program, purpose="to print", say=said.append) == program
    assert log.read_text().splitlines() == ["noninteractive update",
                                            "noninteractive install -y chromium"]
    assert len(said) == 1 and "installing Debian's chromium package (to print)" in said[0]


def test_an_install_that_gives_no_program_says_what_apt_printed(tmp_path, root_with_apt):
    program = tmp_path / "chromium"
    _fake_apt(root_with_apt, program, provides=False)
    with pytest.raises(ProgramMissing, match="(?s)did not give .*E: nothing here"):
        ensure_program("chromium", program, purpose="p", say=lambda _: None)


def test_without_root_nothing_is_run_and_the_package_is_named(tmp_path, root_with_apt,
                                                               monkeypatch):
    program = tmp_path / "chromium"
    log = _fake_apt(root_with_apt, program, provides=True)
    monkeypatch.setattr(debian_packages.os, "geteuid", lambda: 1000)
    with pytest.raises(ProgramMissing, match="needs root and apt-get.*Debian's chromium package "
                                             r"\(for the PDF\)"):
        ensure_program("chromium", program, purpose="for the PDF")
    assert not log.exists() and not program.exists()


def test_the_print_reports_why_chromium_is_missing(tmp_path, root_with_apt, monkeypatch):
    """`build` and `publish` call this before their runs: the reason reaches the terminal."""
    monkeypatch.setattr(pdf, "find_chromium", lambda chromium=None: None)
    monkeypatch.setattr(pdf, "DEFAULT_CHROMIUM", str(tmp_path / "chromium"))
    monkeypatch.setattr(debian_packages.os, "geteuid", lambda: 1000)
    assert "install Debian's chromium package" in pdf.ensure_chromium(say=lambda _: None)
    monkeypatch.setattr(debian_packages.os, "geteuid", lambda: 0)
    _fake_apt(root_with_apt, tmp_path / "chromium", provides=True)
    assert pdf.ensure_chromium(say=lambda _: None) is None
    assert (tmp_path / "chromium").is_file()
