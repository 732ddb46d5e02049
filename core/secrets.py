"""Keys never leak (RELIABILITY.md case 22): every active secret is redacted from error messages,
exception chains, log records and stored bodies, whatever code raised or logged it.

The active secrets are the values registered by the code that uses them (a source client
registers its key when it is built) plus the environment's values of variables named like a
secret (`*_API_KEY`, `*_TOKEN`, `*_SECRET`, `*_SECRET_KEY`, `*_PASSWORD`). A key is searched in
each form an upstream may echo it in: as is, URL-encoded, JSON-escaped (.NET services escape
`+`, `/` and `=` as `\\u002B`), and XML/HTML-escaped.
"""

from __future__ import annotations

import html
import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping
from urllib.parse import unquote_plus

REDACTED = "***"
SECRET_ENV = re.compile(r".*(_API_KEY|_TOKEN|_SECRET|_SECRET_KEY|_PASSWORD)$")
MIN_LENGTH = 6  # shorter values ("1", "true") would redact ordinary text

_registered: set[str] = set()
_lock = threading.Lock()


def register(*values: str | None) -> None:
    """Make values active secrets for the rest of the process."""
    with _lock:
        _registered.update(v for v in values if v and len(v) >= MIN_LENGTH)


def active_secrets(env: Mapping[str, str] | None = None) -> list[str]:
    """Every active secret value, longest first (a key containing another is replaced whole)."""
    env = os.environ if env is None else env
    found = {value for name, value in env.items()
             if SECRET_ENV.match(name.upper()) and len(value) >= MIN_LENGTH}
    with _lock:
        found |= _registered
    return sorted(found, key=len, reverse=True)


def _char_pattern(c: str) -> str:
    """A key's character as an upstream may write it: as is, or (not a letter or digit)
    JSON-escaped (`\\u002B`, `\\/`), URL-encoded (`%2B`, `+` for a space) or as an XML/HTML
    character reference (`&#43;`, `&#x2B;`, `&amp;`)."""
    if c.isalnum():
        return re.escape(c)
    code = ord(c)
    ways = [re.escape(c), rf"\\u{code:04x}", rf"%{code:02x}", rf"&#0*{code};", rf"&#x0*{code:x};"]
    if c == "/":
        ways.append(r"\\/")
    if c == " ":
        ways.append(r"\+")
    named = html.escape(c)
    if named != c:
        ways.append(re.escape(named))
    return "(?:" + "|".join(ways) + ")"


def secret_pattern(values: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern matching every active secret in any mix of the escapes above."""
    alternatives = ["".join(_char_pattern(c) for c in v)
                    for v in sorted(set(values), key=len, reverse=True)]
    return re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None


def _pattern(secrets: Iterable[str] | None) -> re.Pattern[str] | None:
    return secret_pattern(active_secrets() if secrets is None else secrets)


def redact_text(text: str, secrets: Iterable[str] | None = None) -> str:
    """`text` with every active secret, in any form, replaced by ***."""
    pattern = _pattern(secrets)
    return pattern.sub(REDACTED, text) if pattern is not None and text else text


def redact_bytes(body: bytes, secrets: Iterable[str] | None = None) -> bytes:
    pattern = _pattern(secrets)
    if pattern is None or not body:
        return body
    binary = re.compile(pattern.pattern.encode(), re.IGNORECASE)
    return binary.sub(REDACTED.encode(), body)


_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def _unescaped(text: str) -> str:
    """Text with JSON `\\uXXXX` and `\\/` escapes, HTML/XML entities and URL escapes undone."""
    text = _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text).replace("\\/", "/")
    return unquote_plus(html.unescape(text))


def holds_secret(data: str | bytes, secrets: Iterable[str] | None = None) -> bool:
    """Whether an active secret occurs in `data`, in any form: also once every escape is
    undone, so an echo in a mix of escapes no redaction matched is still found."""
    values = active_secrets() if secrets is None else list(secrets)
    if not values:
        return False
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    plain = _unescaped(text)
    pattern = secret_pattern(values)
    return bool(pattern.search(text) or pattern.search(plain))


def _redact_value(value: object, secrets: list[str], seen: set[int]) -> object:
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, bytes):
        return redact_bytes(value, secrets)
    if isinstance(value, BaseException):
        redact_exception(value, secrets, seen)
        return value
    if isinstance(value, tuple):
        return tuple(_redact_value(v, secrets, seen) for v in value)
    if isinstance(value, list):
        return [_redact_value(v, secrets, seen) for v in value]
    return value


def redact_exception(exc: BaseException, secrets: Iterable[str] | None = None,
                     seen: set[int] | None = None) -> BaseException:
    """Redact an exception in place: its args, its text attributes (a `SourceError`'s message,
    URL and hint; an HTTP error's body), its notes, and every exception it chains to through
    `__cause__` and `__context__`. Returns it, so `raise redact_exception(exc)` reads well."""
    secrets = active_secrets() if secrets is None else list(secrets)
    seen = set() if seen is None else seen
    if id(exc) in seen or not secrets:
        return exc
    seen.add(id(exc))
    try:
        exc.args = tuple(_redact_value(a, secrets, seen) for a in exc.args)
    except (AttributeError, TypeError):  # an exception type that refuses new args
        pass
    for name, value in list(getattr(exc, "__dict__", {}).items()):
        if name == "__notes__" or isinstance(value, str | bytes | tuple | list | BaseException):
            try:
                setattr(exc, name, _redact_value(value, secrets, seen))
            except (AttributeError, TypeError):
                pass
    for linked in (exc.__cause__, exc.__context__):
        if linked is not None:
            redact_exception(linked, secrets, seen)
    return exc


class RedactingFilter(logging.Filter):
    """Redacts a log record's message and exception text (attach to handlers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    secrets = active_secrets()
    if not secrets:
        return record
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        message = str(record.msg)
    clean = redact_text(message, secrets)
    if clean != message or record.args:
        record.msg, record.args = clean, ()
    if record.exc_info and record.exc_info[1] is not None:
        redact_exception(record.exc_info[1], secrets)
        record.exc_text = None
    return record


_factory_installed = False


def install_log_redaction() -> None:
    """Redact every log record of the process at its creation (any logger, Dagster's included:
    the record factory is where all of them are made)."""
    global _factory_installed
    with _lock:
        if _factory_installed:
            return
        _factory_installed = True
    make = logging.getLogRecordFactory()

    def redacting_factory(*args, **kwargs) -> logging.LogRecord:
        return redact_record(make(*args, **kwargs))

    logging.setLogRecordFactory(redacting_factory)
