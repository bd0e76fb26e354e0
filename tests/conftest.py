"""Test harness: throwaway database servers and the per-backend fixtures.

Fixtures (usable from every test and conftest under ``tests/``):

``vendor``
    ``"sqlite"``, ``"postgresql"`` or ``"mysql"`` (MariaDB); parametrised, so a
    test that asks for ``vendor`` -- directly or through ``db_url``/``db`` --
    runs once per backend, with ids ``[sqlite]``, ``[postgresql]``, ``[mysql]``.
``db_url``
    URL of a fresh, empty database of that backend, removed after the test.
``db``
    ``backends.connect(db_url)``, closed after the test.
``new_db_url``
    a function returning the URL of one more fresh empty database of the
    test's backend (``new_db_url()``) or of another (``new_db_url("sqlite")``),
    for tests that need several databases.
``database_urls``
    (session) vendor -> administrative URL of each server that is up.

Only some backends: ``@pytest.mark.backends("postgresql", "mysql")`` (the
other parameters are deselected), or ``@pytest.mark.parametrize("vendor",
["postgresql"])``.

Environment:
``MANOUCHE_TEST_BACKENDS=sqlite,postgresql``  run only these backends;
``MANOUCHE_TEST_POSTGRESQL_URL`` / ``MANOUCHE_TEST_MYSQL_URL``  use an existing
server (its user must be allowed to create databases) instead of starting one;
``CI=true``  a backend whose server cannot start fails the run instead of
being skipped.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

if __package__:  # tests/ is a package: pytest imported us as tests.conftest
    from .servers import ServerPool, ServerUnavailable
else:  # rootdir-less test folders: pytest put tests/ itself on sys.path
    from servers import ServerPool, ServerUnavailable

VENDORS = ("sqlite", "postgresql", "mysql")
SERVER_VENDORS = ("postgresql", "mysql")
VENDOR_ALIASES = {"postgres": "postgresql", "pg": "postgresql", "mariadb": "mysql"}

_pool_key = pytest.StashKey[ServerPool]()


def selected_vendors() -> list[str]:
    """The backends to test: MANOUCHE_TEST_BACKENDS (a comma list), else all."""
    raw = os.environ.get("MANOUCHE_TEST_BACKENDS", "").strip()
    if not raw:
        return list(VENDORS)
    chosen: list[str] = []
    for word in raw.split(","):
        name = VENDOR_ALIASES.get(word.strip().lower(), word.strip().lower())
        if not name:
            continue
        if name not in VENDORS:
            raise pytest.UsageError(
                f"MANOUCHE_TEST_BACKENDS: unknown backend {word.strip()!r} "
                f"(choose from {', '.join(VENDORS)})"
            )
        if name not in chosen:
            chosen.append(name)
    return chosen


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


# -- hooks -------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "backends(*vendors): run this test only with the named backends "
        "(sqlite, postgresql, mysql); the other parameters of `vendor` are deselected",
    )
    config.stash[_pool_key] = ServerPool()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        vendor = _item_vendor(item)
        marker = item.get_closest_marker("backends")
        if vendor is not None and marker is not None:
            allowed = {VENDOR_ALIASES.get(name, name) for name in marker.args}
            if vendor not in allowed:
                deselected.append(item)
                continue
        kept.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
    if config.option.collectonly:
        return
    # Start the servers the selected tests need now, in parallel, so that they
    # come up while the first tests (and the other server) are running.
    needed = {_item_vendor(item) for item in items} & set(SERVER_VENDORS)
    if any("database_urls" in getattr(item, "fixturenames", ()) for item in items):
        needed |= set(SERVER_VENDORS) & set(selected_vendors())
    config.stash[_pool_key].start(sorted(v for v in needed if v is not None))


def pytest_unconfigure(config: pytest.Config) -> None:
    pool = config.stash.get(_pool_key, None)
    if pool is not None:
        # Connection pools left open would try to reconnect to the stopped server.
        try:
            from backends.postgresql.connection import close_pools
        except ImportError:
            pass
        else:
            close_pools()
        pool.stop_all()


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    pool = config.stash.get(_pool_key, None)
    if pool is None:
        return
    status = pool.status()
    if not status:
        return
    terminalreporter.section("database servers")
    for vendor, (server, reason) in status.items():
        if server is None:
            if reason == "still starting":  # the run ended before any test needed it
                terminalreporter.write_line(f"{vendor}: not used (the run ended while it started)")
            else:
                outcome = "the run fails (CI=true)" if in_ci() else "its tests were skipped"
                terminalreporter.write_line(
                    f"{vendor}: NOT AVAILABLE, {outcome}: {reason}", red=True
                )
            continue
        origin = (
            "given by URL" if server.process is None else f"started in {server.started_in:.1f}s"
        )
        timings = pool.create_seconds.get(vendor, [])
        created = (
            f"; {len(timings)} test databases, created in {1000 * sum(timings) / len(timings):.0f} ms on average"
            if timings
            else ""
        )
        terminalreporter.write_line(f"{vendor}: {origin}{created}")
        for error in server.drop_errors[:5]:
            terminalreporter.write_line(f"{vendor}: could not drop {error}", yellow=True)


def _item_vendor(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return None
    value = callspec.params.get("vendor")
    return value if isinstance(value, str) else None


# -- fixtures ----------------------------------------------------------------


def _server_or_skip(config: pytest.Config, vendor: str):  # type: ignore[no-untyped-def]
    try:
        return config.stash[_pool_key].get(vendor)
    except ServerUnavailable as error:
        message = f"{vendor} test server unavailable: {error}"
        if in_ci():
            pytest.exit(f"{message} (CI=true: every backend is required)", returncode=1)
        pytest.skip(message)


@pytest.fixture(scope="session")
def database_urls(pytestconfig: pytest.Config) -> dict[str, str]:
    """vendor -> administrative URL of each server that is up (sqlite has none).

    A server that could not start is missing from the dict locally (the
    terminal summary says why) and fails the run under CI=true.
    """
    urls: dict[str, str] = {}
    for vendor in SERVER_VENDORS:
        if vendor not in selected_vendors():
            continue
        try:
            urls[vendor] = pytestconfig.stash[_pool_key].get(vendor).url
        except ServerUnavailable as error:
            if in_ci():
                pytest.exit(f"{vendor} test server unavailable: {error} (CI=true)", returncode=1)
    return urls


@pytest.fixture(params=selected_vendors())
def vendor(request: pytest.FixtureRequest) -> str:
    """The backend under test: "sqlite", "postgresql" or "mysql"."""
    return str(request.param)


@pytest.fixture
def new_db_url(
    request: pytest.FixtureRequest, vendor: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., str]]:
    """A function making one more fresh empty database (of ``vendor`` by default)."""
    pool = request.config.stash[_pool_key]
    made: list[tuple[object, str]] = []

    def make(of_vendor: str | None = None) -> str:
        chosen = VENDOR_ALIASES.get(of_vendor, of_vendor) if of_vendor else vendor
        if chosen == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'db.sqlite3'}"
        _server_or_skip(request.config, chosen)
        server, name, url = pool.fresh_database(chosen)
        made.append((server, name))
        return url

    yield make
    for server, name in made:
        server.drop_database_soon(name)  # type: ignore[attr-defined]


@pytest.fixture
def db_url(vendor: str, new_db_url: Callable[..., str]) -> str:
    """URL of a fresh, empty database of the backend under test."""
    return new_db_url(vendor)


@pytest.fixture
def db(db_url: str) -> Iterator[object]:
    """A ``backends`` connection to a fresh, empty database, closed afterwards."""
    import backends

    connection = backends.connect(db_url)
    try:
        yield connection
    finally:
        connection.close()
