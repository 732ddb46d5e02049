"""Dagster resources: one per external system (the warehouse, the sources, the notifier).

They hold configuration only and hand out plain objects (`Warehouse`, `SourceHttp`), so the
logic they wrap stays testable without Dagster. Keys are read from the environment through
`dg.EnvVar` where set; an unset key leaves that one source failing with a clear message.
"""


import json
import smtplib
import threading
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import dagster as dg
import httpx

from core.errors import SourceUnavailable
from core.geography import Geography, load_regions
from sources.http import RetryPolicy, SourceHttp
from sources.registry import make_http
from sources.snapshot import DEMO_MUNICIPALITIES, DEMO_NUTS, DEMO_STATIONS
from warehouse.store import Warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB file every asset reads and writes (writers serialised in one pool)."""

    path: str
    lock_timeout_s: float = 30.0

    def warehouse(self) -> Warehouse:
        # One object per file and thread for the process: its schema statements run once, not
        # in every asset (they cost tens of ms per open; BENCHMARKS.md). Its connections are
        # still opened per unit of work, so other processes can take the file in between.
        key = (str(Path(self.path).resolve()), self.lock_timeout_s, threading.get_ident())
        if key not in _WAREHOUSES:
            _WAREHOUSES[key] = Warehouse(self.path, lock_timeout_s=self.lock_timeout_s)
        return _WAREHOUSES[key]


_WAREHOUSES: dict[tuple[str, float, int], Warehouse] = {}


class SourcesResource(dg.ConfigurableResource):
    """How sources are reached: `snapshot` (bundled recordings) or `live` (the real APIs).

    `base_urls` overrides a source's base URL in live mode (mirrors, proxies; tests point
    sources at 127.0.0.1); by default it holds the `$TRANSITION_MONITOR_<SOURCE>_URL` variables
    that are set (`sources.registry.configured_base_url`). What is
    fetched follows the regions file (`regions_file`, default `indicators/regions.yaml`); in
    snapshot mode it is what the demo snapshot holds. A keyed source's key is the field
    `<source>_api_key` (see `sources.registry`).
    """

    mode: str = "snapshot"
    generated_dir: str | None = None
    drop_dir: str | None = None  # home's drop/ folder: files of file sources (live mode)
    regions_file: str | None = None
    base_urls: dict[str, str] = {}
    klimaatmonitor_api_key: str | None = None
    entsoe_api_key: str | None = None
    timeout_s: float = 30.0
    max_attempts: int = 5
    max_wait_s: float = 60.0
    # On top of the client's own retries: how often a run step re-tries a source that stayed
    # unavailable (transient faults only; a contract error fails at once), and how long apart.
    run_retries: int = 2
    run_retry_wait_s: float = 300.0

    def fetch(self, context: dg.AssetExecutionContext, source: str, fetch):
        """Call `fetch(client)`; a transient source fault asks Dagster to retry the step."""
        try:
            return fetch(self.client(source))
        except SourceUnavailable as exc:
            if context.retry_number >= self.run_retries:
                raise
            context.log.warning(f"{exc}; retrying the step in {self.run_retry_wait_s:.0f}s")
            raise dg.RetryRequested(max_retries=self.run_retries,
                                    seconds_to_wait=self.run_retry_wait_s) from exc

    def client(self, source: str, attempts: int | None = None) -> SourceHttp:
        """`attempts` overrides `max_attempts` (build's pre-run fetch tries once: on a fault
        the run fetches with every retry)."""
        return make_http(
            source, mode=self.mode,
            base_url=self.base_urls.get(source) if self.mode == "live" else None,
            key=getattr(self, f"{source}_api_key", None), timeout_s=self.timeout_s,
            generated_dir=Path(self.generated_dir) if self.generated_dir else None,
            drop_dir=Path(self.drop_dir) if self.drop_dir else None,
            retry=RetryPolicy(max_attempts=attempts or self.max_attempts,
                              max_wait_s=self.max_wait_s),
        )

    def geography(self) -> Geography:
        """The municipalities and stations to fetch: the configured regions' in live mode,
        everything the demo snapshot holds in snapshot mode (a configured region outside it
        is reported as not in the demo snapshot, not fetched)."""
        if self.mode == "snapshot":
            return Geography(tuple(sorted(DEMO_MUNICIPALITIES)), tuple(sorted(DEMO_STATIONS)),
                             DEMO_NUTS)
        return load_regions(self.regions_file).geography


class NotifierResource(dg.ConfigurableResource):
    """Where run and check failures are announced: a log file by default, webhook or e-mail.

    Messages carry job, run id, step and a hint, never secrets. A failing notifier is logged,
    never fatal: an alert problem must not hide the original failure.
    """

    kind: str = "file"  # file | webhook | smtp
    file_path: str = "notifications.log"
    webhook_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "transition-monitor@localhost"
    smtp_to: str | None = None

    def notify(self, subject: str, details: dict[str, object]) -> bool:
        record = {"at": datetime.now(UTC).isoformat(), "subject": subject, **details}
        try:
            if self.kind == "webhook" and self.webhook_url:
                httpx.post(self.webhook_url, json=record, timeout=10).raise_for_status()
            elif self.kind == "smtp" and self.smtp_host and self.smtp_to:
                self._send_mail(subject, record)
            else:
                path = Path(self.file_path)
                path.parent.mkdir(parents=True, exist_ok=True)
                with path.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(record, default=str) + "\n")
            return True
        except Exception as exc:  # noqa: BLE001 - an alerting fault must never be fatal
            dg.get_dagster_logger().warning(f"notifier ({self.kind}) failed: {exc}")
            return False

    def notify_once(self, key: str, subject: str, details: dict[str, object]) -> bool:
        """Send unless an alert with this key was sent before (the daemon's sensor and the
        `build` command may both see one run). Keys sent are kept beside the log, whatever
        the channel; returns whether it was sent now."""
        ledger = Path(f"{self.file_path}.sent")
        try:
            if ledger.exists() and key in ledger.read_text(encoding="utf-8").splitlines():
                return False
        except OSError:
            pass  # an unreadable ledger must not stop the alert: a duplicate beats silence
        if not self.notify(subject, {**details, "alert_key": key}):
            return False
        try:
            with ledger.open("a", encoding="utf-8") as fh:
                fh.write(key + "\n")
        except OSError as exc:
            dg.get_dagster_logger().warning(f"notifier could not record {key}: {exc}")
        return True

    def _send_mail(self, subject: str, record: dict[str, object]) -> None:
        msg = EmailMessage()
        msg["Subject"], msg["From"], msg["To"] = subject, self.smtp_from, self.smtp_to
        msg.set_content(json.dumps(record, indent=2, default=str))
        with smtplib.SMTP(self.smtp_host, self.smtp_port, timeout=10) as smtp:
            smtp.send_message(msg)


class SiteResource(dg.ConfigurableResource):
    """Where report editions are published (static files), and whether to print a PDF."""

    path: str
    pdf: bool = True

    def root(self) -> Path:
        return Path(self.path)
