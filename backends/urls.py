"""Parsing of database URLs (SPEC §2) into a `DatabaseURL` value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .errors import ImproperlyConfigured

__all__ = ["DatabaseURL", "parse_url", "mask_password", "SCHEMES"]

#: URL scheme -> vendor.
SCHEMES: dict[str, str] = {
    "sqlite": "sqlite",
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
}

_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}
_ISOLATION_LEVELS = ("serializable", "repeatable_read", "read_committed", "read_uncommitted")
_DEFAULT_CONNECT_TIMEOUT = 10.0


def mask_password(url: str) -> str:
    """Return ``url`` with the password (if any) replaced by ``***``."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
    except ValueError:
        netloc = ""
        parts = None
    if parts is None or "@" not in netloc:
        return url
    userinfo, _, hostinfo = netloc.rpartition("@")
    if ":" not in userinfo:
        return url
    user = userinfo.split(":", 1)[0]
    masked_netloc = f"{user}:***@{hostinfo}"
    return url.replace(netloc, masked_netloc, 1)


@dataclass(frozen=True)
class DatabaseURL:
    """A parsed database URL; its repr and str never show the password.

    ``options`` are the query-string options passed to the driver; our own
    options (``isolation_level``, ``pool_size``, ``connect_timeout``,
    ``conn_max_age``) are parsed into their fields.
    """

    vendor: str
    scheme: str
    name: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    host: str | None = None
    port: int | None = None
    options: tuple[tuple[str, str], ...] = ()
    isolation_level: str | None = None
    pool_size: int | None = None
    connect_timeout: float = _DEFAULT_CONNECT_TIMEOUT
    conn_max_age: float | None = None
    raw: str = field(default="", repr=False, compare=False)

    @property
    def driver_options(self) -> dict[str, str]:
        """The query-string options for the driver, as a dict."""
        return dict(self.options)

    @property
    def masked(self) -> str:
        """The URL as given, with the password replaced by ``***``."""
        return mask_password(self.raw) if self.raw else self._rebuild()

    def _rebuild(self) -> str:
        if self.vendor == "sqlite":
            return f"sqlite:///{self.name}"
        auth = ""
        if self.user:
            auth = self.user + (":***" if self.password else "") + "@"
        port = f":{self.port}" if self.port else ""
        return f"{self.scheme}://{auth}{self.host or ''}{port}/{self.name}"

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"DatabaseURL({self.masked!r})"


def _bad(url: str, problem: str) -> ImproperlyConfigured:
    supported = ", ".join(f"{scheme}://" for scheme in SCHEMES)
    return ImproperlyConfigured(
        f"Invalid database URL {mask_password(url)!r}: {problem}. "
        f"Supported schemes: {supported} "
        "(e.g. sqlite:///db.sqlite3, postgresql://user:pass@host:5432/name)."
    )


def _number(url: str, key: str, value: str, kind: type) -> Any:
    try:
        number = kind(value)
    except ValueError:
        raise _bad(url, f"option {key}={value!r} is not a number") from None
    if number < 0:
        raise _bad(url, f"option {key}={value!r} must not be negative")
    return number


def parse_url(url: str | DatabaseURL) -> DatabaseURL:
    """Parse a database URL; raise ImproperlyConfigured (password masked) if it is wrong."""
    if isinstance(url, DatabaseURL):
        return url
    if not isinstance(url, str) or "://" not in url:
        raise _bad(str(url), "expected scheme://...")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise _bad(url, f"malformed ({error})") from None
    scheme = parts.scheme.lower()
    vendor = SCHEMES.get(scheme)
    if vendor is None:
        raise _bad(url, f"unknown scheme {parts.scheme!r}")

    own: dict[str, Any] = {}
    options: list[tuple[str, str]] = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "isolation_level":
            level = value.lower().replace(" ", "_").replace("-", "_")
            if level not in _ISOLATION_LEVELS:
                raise _bad(url, f"isolation_level must be one of {', '.join(_ISOLATION_LEVELS)}")
            own["isolation_level"] = level
        elif key == "pool_size":
            own["pool_size"] = _number(url, key, value, int)
        elif key == "connect_timeout":
            own["connect_timeout"] = _number(url, key, value, float)
        elif key == "conn_max_age":
            own["conn_max_age"] = _number(url, key, value, float)
        elif key == "prepare_threshold" and vendor == "postgresql":
            if value.lower() not in ("none", "off"):
                _number(url, key, value, int)
            options.append((key, value))
        else:
            options.append((key, value))

    if vendor == "sqlite":
        if parts.netloc:
            raise _bad(
                url, "a sqlite URL has no host: use sqlite:///relative.db or sqlite:////abs.db"
            )
        # sqlite:///rel.db -> path "/rel.db" -> "rel.db"; sqlite:////abs.db -> "/abs.db"
        name = unquote(parts.path[1:]) if parts.path.startswith("/") else unquote(parts.path)
        if not name:
            raise _bad(url, "missing database path (use sqlite:///:memory: for memory)")
        return DatabaseURL(
            vendor=vendor, scheme=scheme, name=name, options=tuple(options), raw=url, **own
        )

    if not parts.hostname:
        raise _bad(url, "missing host")
    name = unquote(parts.path.lstrip("/"))
    if not name or "/" in name:
        raise _bad(url, "missing or invalid database name after the host")
    return DatabaseURL(
        vendor=vendor,
        scheme=scheme,
        name=name,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        host=parts.hostname,
        port=port or _DEFAULT_PORTS[vendor],
        options=tuple(options),
        raw=url,
        **own,
    )
