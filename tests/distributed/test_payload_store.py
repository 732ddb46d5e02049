"""Raw payload bodies in S3-compatible object storage (moto's server on 127.0.0.1): the same
write-once, content-addressed store as the folder, verified on every read, refusing bodies that
hold a key, and shared by processes that share no folder."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from test_lake import ROOT

from benchmarks import services
from core.errors import ContractError
from core.payload import Payload
from warehouse.payload_store import PayloadCorrupted, S3PayloadStore, open_payload_store
from warehouse.store import Warehouse

PAYLOAD_WORKER = ROOT / "tests" / "distributed" / "payload_worker.py"
_prefixes = iter(range(1, 10_000))


@pytest.fixture
def s3_env(s3_endpoint, monkeypatch) -> dict[str, str]:
    """The payload store in a fresh prefix of the test bucket, set in this process."""
    env = {"TM_PAYLOAD_PATH": f"s3://{services.BUCKET}/payloads{next(_prefixes)}/",
           "TM_LAKE_S3_ENDPOINT": s3_endpoint, "TM_LAKE_S3_USE_SSL": "false",
           "AWS_ACCESS_KEY_ID": services.S3_KEY, "AWS_SECRET_ACCESS_KEY": services.S3_KEY}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def warehouse(tmp_path, s3_env) -> Warehouse:
    """The embedded file with its payload bodies in S3."""
    return Warehouse(tmp_path / "warehouse.duckdb", lake=None)


def _objects(store: S3PayloadStore) -> dict[str, bytes]:
    client = store.client
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=store.bucket,
                                                              Prefix=store.prefix)
    return {o["Key"]: client.get_object(Bucket=store.bucket, Key=o["Key"])["Body"].read()
            for page in pages for o in page.get("Contents", [])}


def payload(body: bytes, key: str = "k1") -> Payload:
    return Payload(source="luchtmeetnet", dataset="measurements", request_key=key,
                   url="https://example.invalid/x", media_type="application/json", body=body,
                   fetched_at=datetime.now(UTC))


def test_the_environment_chooses_the_store(tmp_path, s3_env):
    store = open_payload_store(tmp_path / "beside")
    assert isinstance(store, S3PayloadStore) and store.prefix == s3_env["TM_PAYLOAD_PATH"][
        len(f"s3://{services.BUCKET}/"):]
    assert open_payload_store(tmp_path / "beside", {}).root == tmp_path / "beside"
    assert Warehouse(tmp_path / "wh.duckdb", lake=False).payloads.root == tmp_path / "wh-payloads"
    inside = {**s3_env, "TM_LAKE_DATA_PATH": s3_env["TM_PAYLOAD_PATH"].rsplit("/", 2)[0] + "/"}
    with pytest.raises(RuntimeError, match="inside the lake"):
        open_payload_store(tmp_path, inside)  # DuckLake's clean-up would delete the bodies


def test_bodies_are_stored_once_per_hash_and_a_changed_object_is_caught(warehouse, tmp_path):
    assert warehouse.record_payloads([payload(b"same", "k1"), payload(b"same", "k2")]) == 2
    store = warehouse.payloads
    assert isinstance(store, S3PayloadStore)
    digest = hashlib.sha256(b"same").hexdigest()
    assert _objects(store) == {store.key(digest): b"same"}  # identical content stored once
    assert not (tmp_path / "warehouse-payloads").exists()  # nothing in a local folder
    assert [p.body for p in warehouse.current_payloads("luchtmeetnet")] == [b"same", b"same"]
    store.client.put_object(Bucket=store.bucket, Key=store.key(digest), Body=b"tampered")
    with pytest.raises(PayloadCorrupted, match="does not match its hash"):
        warehouse.current_payloads("luchtmeetnet")
    store.client.delete_object(Bucket=store.bucket, Key=store.key(digest))
    with pytest.raises(PayloadCorrupted, match="is missing"):
        warehouse.current_payloads("luchtmeetnet")


def test_an_object_is_written_once_and_a_wrong_hash_stores_nothing(warehouse):
    store = warehouse.payloads
    bodies = [(hashlib.sha256(b).hexdigest(), b) for b in (f"page {i}".encode() for i in range(40))]
    store.put_many(bodies[:30])
    assert all(store.get(h) == b for h, b in bodies[:30])
    with pytest.raises(ValueError, match="does not match"):
        store.put_many([*bodies[30:], (bodies[0][0], b"not page 0")])
    assert len(_objects(store)) == 30  # none of the batch was sent
    # Write-once: an object already under a key is never replaced (If-None-Match: *), even by
    # the right body; reading it says it is damaged.
    key = store.key(bodies[31][0])
    store.client.put_object(Bucket=store.bucket, Key=key, Body=b"planted")
    store.put(*bodies[31])
    store.put_many(bodies[31:34])
    assert _objects(store)[key] == b"planted"
    with pytest.raises(PayloadCorrupted):
        store.get(bodies[31][0])


def test_an_endpoint_without_conditional_puts_gets_check_then_put(warehouse, monkeypatch):
    """An S3-compatible store answering 501 to If-None-Match: the store checks, then puts."""
    from botocore.exceptions import ClientError

    store = warehouse.payloads
    put = store.client.put_object

    def no_conditions(**kwargs):
        if "IfNoneMatch" in kwargs:
            raise ClientError({"Error": {"Code": "NotImplemented", "Message": "no"},
                               "ResponseMetadata": {"HTTPStatusCode": 501}}, "PutObject")
        return put(**kwargs)

    monkeypatch.setattr(store.client, "put_object", no_conditions)
    first, second = ((hashlib.sha256(b).hexdigest(), b) for b in (b"one", b"two"))
    store.put(*first)
    assert not store.conditional_puts and store.get(first[0]) == b"one"
    put(Bucket=store.bucket, Key=store.key(second[0]), Body=b"planted")
    store.put(*second)  # there already: left as it is
    assert _objects(store)[store.key(second[0])] == b"planted"


def test_a_body_holding_a_key_is_refused_and_nothing_reaches_the_bucket(warehouse):
    from core import secrets

    key = "s3-test-key-0123456789"
    secrets.register(key)
    with pytest.raises(ContractError, match="holds an API key"):
        warehouse.record_payloads([payload(b"fine", "k1"),
                                   payload(f'{{"echo": "{key}"}}'.encode(), "k2")])
    assert _objects(warehouse.payloads) == {}
    assert warehouse.query("SELECT count(*) AS n FROM raw_payloads")["n"][0] == 0


def test_a_body_written_by_one_worker_is_read_by_another_process_with_no_shared_folder(
        tmp_path, lake_env):
    """Two processes as on two machines: each its own home (and HOME), the lake and the
    payload store in common; the reader gets the writer's body, verified by its hash."""
    body = os.urandom(1 << 20) + b"; a yearly file's bytes"
    (tmp_path / "body").write_bytes(body)

    def run(*args: str, home: str) -> subprocess.CompletedProcess:
        env = {**os.environ, **lake_env, "HOME": str(tmp_path / home),
               "TRANSITION_MONITOR_HOME": str(tmp_path / home)}
        (tmp_path / home).mkdir(exist_ok=True)
        return subprocess.run([sys.executable, str(PAYLOAD_WORKER), args[0],
                               str(tmp_path / home), *args[1:]], cwd=ROOT, env=env,
                              capture_output=True, timeout=300, check=False)

    wrote = run("write", "NL49551-2024", str(tmp_path / "body"), home="machine-a")
    assert wrote.returncode == 0, wrote.stderr.decode()[-3000:]
    assert wrote.stdout.strip() == b"1"
    read = run("read", "NL49551-2024", home="machine-b")
    assert read.returncode == 0, read.stderr.decode()[-3000:]
    assert read.stdout == body
    assert not list(tmp_path.rglob("*-payloads"))  # no folder held a body
    store = open_payload_store(tmp_path, lake_env)
    assert store.get(hashlib.sha256(body).hexdigest()) == body
