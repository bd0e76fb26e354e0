"""URL parsing, password masking and connection failures."""

from __future__ import annotations

import socket
import time

import pytest

import backends
from backends import ImproperlyConfigured, OperationalError, parse_url


def test_sqlite_urls_give_relative_absolute_and_memory_paths():
    assert parse_url("sqlite:///relative/db.sqlite3").name == "relative/db.sqlite3"
    assert parse_url("sqlite:////abs/db.sqlite3").name == "/abs/db.sqlite3"
    assert parse_url("sqlite:///:memory:").name == ":memory:"


@pytest.mark.parametrize(
    ("url", "vendor"),
    [
        ("postgresql://u:p@h:1/n", "postgresql"),
        ("postgres://u:p@h:1/n", "postgresql"),
        ("mysql://u:p@h:1/n", "mysql"),
        ("mariadb://u:p@h:1/n", "mysql"),
    ],
)
def test_server_schemes_map_to_vendors(url, vendor):
    parsed = parse_url(url)
    assert (parsed.vendor, parsed.user, parsed.password, parsed.host, parsed.port, parsed.name) == (
        vendor, "u", "p", "h", 1, "n",
    )  # fmt: skip


def test_default_ports_and_percent_decoding():
    parsed = parse_url("postgresql://app:s%40cret@db.example/app%20db")
    assert parsed.port == 5432 and parsed.password == "s@cret" and parsed.name == "app db"
    assert parse_url("mysql://root@h/x").port == 3306


def test_own_options_are_parsed_and_the_rest_go_to_the_driver():
    parsed = parse_url(
        "postgresql://u@h/n?sslmode=require&pool_size=5&connect_timeout=3"
        "&conn_max_age=60&isolation_level=serializable"
    )
    assert parsed.driver_options == {"sslmode": "require"}
    assert (parsed.pool_size, parsed.connect_timeout, parsed.conn_max_age) == (5, 3.0, 60.0)
    assert parsed.isolation_level == "serializable"
    assert parse_url("sqlite:///:memory:").connect_timeout == 10.0


def test_repr_and_str_mask_the_password():
    parsed = parse_url("postgresql://app:hunter2@h:5432/n")
    assert "hunter2" not in repr(parsed) and "hunter2" not in str(parsed)
    assert "app:***@h" in repr(parsed)


@pytest.mark.parametrize(
    "url",
    [
        "oracle://app:hunter2@h/n",
        "postgresql://app:hunter2@h:notaport/n",
        "postgresql://app:hunter2@/n",
        "mysql://app:hunter2@h",
        "not a url",
        "postgresql://app:hunter2@h/n?isolation_level=chaos",
        "postgresql://app:hunter2@h/n?pool_size=many",
    ],
)
def test_bad_urls_raise_improperly_configured_with_the_password_masked(url):
    with pytest.raises(ImproperlyConfigured) as caught:
        parse_url(url)
    message = str(caught.value)
    assert "hunter2" not in message
    assert "sqlite://" in message and "postgresql://" in message and "mysql://" in message
    if "@" in url:
        assert "***" in message


def test_sqlite_in_a_missing_directory_raises_operational_error(tmp_path):
    missing = tmp_path / "nope" / "db.sqlite3"
    with pytest.raises(OperationalError, match="does not exist"):
        backends.connect(f"sqlite:///{missing}")
    assert not missing.parent.exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("scheme", ["postgresql", "mysql"])
def test_server_down_raises_operational_error_naming_host_and_port(scheme):
    port = _free_port()
    started = time.monotonic()
    with pytest.raises(OperationalError) as caught:
        backends.connect(f"{scheme}://app:hunter2@127.0.0.1:{port}/n?connect_timeout=3")
    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert f"127.0.0.1:{port}" in message
    assert "hunter2" not in message
    assert caught.value.__cause__ is not None
