"""Shared test fixtures: a loopback-only socket guard, fast retries, a temporary warehouse.

The socket guard makes every test fail loudly if code tries to reach any host other than
loopback, so "the offline build makes no outside connection" is checked on every test.
"""

from __future__ import annotations

import ipaddress
import socket

import pytest

from sources.http import RetryPolicy
from warehouse.store import Warehouse

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


class OutsideNetworkAttempt(AssertionError):
    pass


def _check_address(address) -> None:
    if isinstance(address, str | bytes):  # AF_UNIX path
        return
    host = address[0]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost":
            return
        raise OutsideNetworkAttempt(f"test tried to reach {host!r}") from None
    if not ip.is_loopback:
        raise OutsideNetworkAttempt(f"test tried to reach {host!r}")


def _guarded_connect(self, address):
    _check_address(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    _check_address(address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def loopback_only():
    """Only loopback connections are allowed during tests."""
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    yield
    socket.socket.connect = _real_connect
    socket.socket.connect_ex = _real_connect_ex


@pytest.fixture(autouse=True)
def fresh_source_throttles(monkeypatch):
    """Each test starts with empty rate-limit windows (live clients share one per process)."""
    monkeypatch.setattr("sources.registry._THROTTLES", {})


@pytest.fixture
def fast_retry() -> RetryPolicy:
    """Bounded retries with waits small enough for tests (Retry-After still honoured, capped)."""
    return RetryPolicy(max_attempts=3, initial_wait_s=0.01, max_wait_s=0.05)


@pytest.fixture
def sleeps() -> list[float]:
    """Collects the waits a client asked for, instead of sleeping."""
    return []


@pytest.fixture
def warehouse(tmp_path) -> Warehouse:
    wh = Warehouse(tmp_path / "warehouse.duckdb", lock_timeout_s=1.0)
    wh.initialise()
    return wh


@pytest.fixture(scope="session")
def snapshot_build(tmp_path_factory):
    """The README's `build` on the bundled snapshot in a fresh home, run once per session
    with its sockets guarded: (home, the finished process, the guard's folder). Shared by the
    end-to-end tests and the distributed tier's comparison; tests that change it copy it."""
    from test_build_end_to_end import GUARD, cli

    home = tmp_path_factory.mktemp("home")
    guard_dir = tmp_path_factory.mktemp("guard")
    (guard_dir / "sitecustomize.py").write_text(GUARD)
    result = cli(home, "build", guard_dir=guard_dir)
    return home, result, guard_dir
