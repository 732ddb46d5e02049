"""Access to S3-compatible object storage, read from the environment once for every user (the
lake's Parquet files and the payload store's bodies): endpoint, TLS and credentials.

    TM_LAKE_S3_ENDPOINT   host:port of an S3-compatible endpoint (unset: AWS itself)
    TM_LAKE_S3_USE_SSL    false for a plain-HTTP endpoint (default true)
    AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION (default us-east-1)

The secret is an active secret of core.secrets (its variable is named like one), so it is
redacted from every message and log record.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class S3Access:
    endpoint: str | None = None  # host:port (None: AWS)
    key_id: str | None = None
    secret: str | None = None
    region: str = "us-east-1"
    use_ssl: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> S3Access:
        env = os.environ if environ is None else environ
        return cls(endpoint=env.get("TM_LAKE_S3_ENDPOINT") or None,
                   key_id=env.get("AWS_ACCESS_KEY_ID") or None,
                   secret=env.get("AWS_SECRET_ACCESS_KEY") or None,
                   region=env.get("AWS_REGION") or "us-east-1",
                   use_ssl=env.get("TM_LAKE_S3_USE_SSL", "true").lower() != "false")

    def client(self, max_connections: int = 10):
        """A boto3 S3 client (path-style addressing for a custom endpoint, as DuckDB's httpfs
        uses it); boto3 is in the `distributed` dependency group."""
        try:
            import boto3
            from botocore.config import Config
        except ImportError:
            raise RuntimeError("S3 storage needs boto3 (dependency group `distributed`; "
                               "`uv sync` installs it)") from None
        config = Config(retries={"mode": "standard", "max_attempts": 5},
                        max_pool_connections=max_connections,
                        s3={"addressing_style": "path"} if self.endpoint else None)
        endpoint = (f"{'https' if self.use_ssl else 'http'}://{self.endpoint}"
                    if self.endpoint else None)
        return boto3.client("s3", endpoint_url=endpoint, region_name=self.region,
                            aws_access_key_id=self.key_id, aws_secret_access_key=self.secret,
                            config=config)


def split_s3_url(url: str) -> tuple[str, str]:
    """`s3://bucket/prefix/` -> (bucket, "prefix/"); the prefix ends with "/" unless empty."""
    if not url.startswith("s3://"):
        raise ValueError(f"not an s3:// URL: {url!r}")
    bucket, _, prefix = url[len("s3://"):].partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {url!r}")
    return bucket, (prefix.rstrip("/") + "/") if prefix.strip("/") else ""
