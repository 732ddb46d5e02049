"""The outbound-connection guards themselves (issue 20: removing a guard left every test
green, so "the offline run makes no outside connection" was never really checked).

The in-process guard (conftest `loopback_only`) refuses any non-loopback address or host name;
the end-to-end build's guard (`test_build_end_to_end.GUARD`, a sitecustomize on PYTHONPATH)
logs and refuses attempts in the build's process and in every Python process it starts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from tests.test_build_end_to_end import GUARD

# TEST-NET-1 (RFC 5737): never routed, so even an unguarded attempt reaches nobody.
OUTSIDE = ("192.0.2.1", 9)


@pytest.mark.parametrize("address", [OUTSIDE, ("example.invalid", 80), ("2001:db8::1", 9)])
def test_the_in_process_guard_refuses_every_outside_address(address):
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.01)
        # the guard's own error (conftest.OutsideNetworkAttempt, an AssertionError), matched by
        # name: two conftest modules share the module name `conftest`, so it is not imported
        with pytest.raises(AssertionError, match="tried to reach") as connect:
            sock.connect(address)
        with pytest.raises(AssertionError, match="tried to reach") as connect_ex:
            sock.connect_ex(address)
        assert {type(connect.value).__name__, type(connect_ex.value).__name__} == {
            "OutsideNetworkAttempt"}


def test_the_in_process_guard_lets_loopback_through():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=5):
            pass


CHILD = ("import socket, subprocess, sys\n"
         "try:\n    socket.create_connection(('192.0.2.1', 9), timeout=0.01)\n"
         "except OSError:\n    pass\n"
         "if len(sys.argv) > 1:\n    subprocess.run([sys.executable, '-c', sys.argv[1]])\n")


def test_the_build_guard_logs_attempts_of_the_build_and_of_its_children(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(GUARD)
    log = tmp_path / "attempts.log"
    env = {**os.environ, "NETWORK_ATTEMPTS_LOG": str(log),
           "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, "-c", CHILD, CHILD], env=env, check=True, timeout=60)
    assert log.read_text().splitlines() == ["192.0.2.1", "192.0.2.1"]  # parent and child
