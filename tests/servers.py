"""Throwaway PostgreSQL and MariaDB servers for the test suite.

Each server runs on 127.0.0.1 on a free port, from a temporary data directory
that is removed when the server stops. ``start_postgresql()`` and
``start_mariadb()`` return a running ``Server``; ``Server.stop()`` shuts it
down by pid. Per-test databases are made with ``Server.create_database()``
and removed with ``Server.drop_database()``.

The same ``Server`` can also stand for a server that already exists
(``Server.from_url()``), which is how MANOUCHE_TEST_POSTGRESQL_URL and
MANOUCHE_TEST_MYSQL_URL are honoured.
"""

from __future__ import annotations

import itertools
import os
import queue
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

POSTGRESQL_BIN = Path(os.environ.get("MANOUCHE_POSTGRESQL_BIN", "/usr/lib/postgresql/15/bin"))
STARTUP_TIMEOUT = 90.0
USER = "manouche"
MYSQL_PASSWORD = "manouche"


class ServerUnavailable(Exception):
    """A server could not be started or reached; the message says why."""


@dataclass
class Server:
    """A database server the tests may create databases on.

    ``url`` is an administrative URL (a user allowed to create databases);
    ``process`` and ``data_dir`` are set only for servers started here.
    """

    vendor: str
    url: str
    process: subprocess.Popen[bytes] | None = None
    data_dir: Path | None = None
    pid_file: Path | None = None
    log_file: Path | None = None
    stop_signal: int = signal.SIGTERM
    started_in: float = 0.0
    drop_errors: list[str] = field(default_factory=list)
    _admin: object = field(default=None, repr=False)
    _drops: queue.Queue[str | None] | None = field(default=None, repr=False)

    @classmethod
    def from_url(cls, vendor: str, url: str) -> Server:
        server = cls(vendor=vendor, url=url)
        wait_until_ready(server, process=None, timeout=10.0)
        return server

    # -- per-test databases ------------------------------------------------

    def database_url(self, name: str) -> str:
        """The URL of database ``name`` on this server, with the same user."""
        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))

    def create_database(self, name: str) -> str:
        """Create the empty database ``name``; returns its URL."""
        sql = f"CREATE DATABASE {self._quote(name)}"
        if self.vendor == "postgresql" and self._admin_connection().info.server_version >= 150000:
            # Copying template1's files is about twice as fast as the default
            # WAL_LOG strategy with fsync off (8 ms against 20 ms on tmpfs).
            sql += " STRATEGY = FILE_COPY"
        self._execute(sql)
        return self.database_url(name)

    def drop_database_soon(self, name: str) -> None:
        """Drop database ``name`` on a background thread.

        DROP DATABASE takes ~0.1 s on PostgreSQL (it waits for a checkpoint);
        done in the background it overlaps the next test instead of adding up.
        """
        if self._drops is None:
            self._drops = queue.Queue()
            threading.Thread(
                target=self._drop_worker, name=f"drop-{self.vendor}", daemon=True
            ).start()
        self._drops.put(name)

    def _drop_worker(self) -> None:
        assert self._drops is not None
        # A connection of its own: pymysql connections are not thread-safe.
        worker = Server(vendor=self.vendor, url=self.url)
        while (name := self._drops.get()) is not None:
            try:
                worker.drop_database(name)
            except Exception as error:
                self.drop_errors.append(f"{name}: {error}")
            finally:
                self._drops.task_done()
        self._drops.task_done()
        worker.close_admin_connection()

    def finish_drops(self) -> None:
        """Wait until every database given to ``drop_database_soon`` is gone."""
        if self._drops is not None:
            self._drops.put(None)
            self._drops.join()
            self._drops = None

    def drop_database(self, name: str) -> None:
        if self.vendor == "postgresql":
            # WITH (FORCE) ends connections a test forgot to close.
            self._execute(f"DROP DATABASE IF EXISTS {self._quote(name)} WITH (FORCE)")
            return
        # MariaDB waits for metadata locks held by open connections to the
        # database (an unfinished transaction): end those connections first.
        cursor = self._admin_connection().cursor()
        cursor.execute(
            "SELECT id FROM information_schema.processlist WHERE db = %s AND id <> CONNECTION_ID()",
            (name,),
        )
        for (thread_id,) in cursor.fetchall():
            try:
                cursor.execute(f"KILL {int(thread_id)}")
            except Exception:  # the connection ended on its own meanwhile
                pass
        cursor.execute(f"DROP DATABASE IF EXISTS {self._quote(name)}")

    def _quote(self, name: str) -> str:
        return f'"{name}"' if self.vendor == "postgresql" else f"`{name}`"

    def _execute(self, sql: str) -> None:
        self._admin_connection().cursor().execute(sql)

    def _admin_connection(self):  # type: ignore[no-untyped-def]
        if self._admin is None:
            self._admin = connect_driver(self.vendor, self.url)
        return self._admin

    # -- shutting down -----------------------------------------------------

    def close_admin_connection(self) -> None:
        if self._admin is not None:
            try:
                self._admin.close()  # type: ignore[attr-defined]
            except Exception:
                pass
            self._admin = None

    def stop(self, timeout: float = 20.0) -> None:
        """Drop what is left to drop, then stop a server started here (by pid)
        and remove its data directory. A server given by URL keeps running."""
        self.finish_drops()
        self.close_admin_connection()
        if self.process is not None:
            stop_process(self.process, self._server_pid(), self.stop_signal, timeout)
            self.process = None
        if self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None

    def _server_pid(self) -> int | None:
        """The pid of the server itself (under runuser, a child of ``process``)."""
        if self.pid_file is None:
            return None
        try:
            return int(self.pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None


# -- starting servers --------------------------------------------------------


def start_postgresql() -> Server:
    """Start PostgreSQL 15 with trust authentication; the superuser is ``manouche``."""
    initdb = POSTGRESQL_BIN / "initdb"
    postgres = POSTGRESQL_BIN / "postgres"
    if not postgres.exists():
        raise ServerUnavailable(
            f"no PostgreSQL server at {postgres} (install postgresql-15, or set "
            "MANOUCHE_TEST_POSTGRESQL_URL to an existing server)"
        )
    run_as = _run_as_postgres_prefix()
    started = time.monotonic()
    base = Path(tempfile.mkdtemp(prefix="manouche-pg-", dir=scratch_root()))
    try:
        if run_as:
            shutil.chown(base, "postgres", "postgres")
        data = base / "data"
        log = base / "server.log"
        init_command = [
            str(initdb), "-D", str(data), "-U", USER, "-A", "trust", "-E", "UTF8",
            "--no-sync", "--no-instructions",
        ]  # fmt: skip
        # C.UTF-8 sorts like C but knows the case of non-ASCII letters (UPPER('é')).
        for locale in ("C.UTF-8", "C"):
            shutil.rmtree(data, ignore_errors=True)
            result = subprocess.run(
                [*run_as, *init_command, f"--locale={locale}"],
                cwd=base, capture_output=True, text=True,
            )  # fmt: skip
            if result.returncode == 0:
                break
        else:
            raise ServerUnavailable(f"initdb failed: {_tail(result.stderr or result.stdout)}")
        port = free_port()
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(port),
            "unix_socket_directories": str(base),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
            "logging_collector": "off",
        }
        command = [str(postgres), "-D", str(data)]
        for name, value in settings.items():
            command += ["-c", f"{name}={value}"]
        with open(log, "wb") as log_handle:
            if run_as:
                os.chown(log, *_postgres_ids())
            process = subprocess.Popen(
                [*run_as, *command], cwd=base, stdin=subprocess.DEVNULL,
                stdout=log_handle, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        server = Server(
            vendor="postgresql",
            url=f"postgresql://{USER}@127.0.0.1:{port}/postgres",
            process=process,
            data_dir=base,
            pid_file=data / "postmaster.pid",
            log_file=log,
            stop_signal=signal.SIGINT,  # "fast" shutdown: no waiting for clients
        )
        try:
            wait_until_ready(server, process, STARTUP_TIMEOUT)
        except BaseException:
            server.stop()
            raise
        server.started_in = time.monotonic() - started
        return server
    except BaseException:
        shutil.rmtree(base, ignore_errors=True)
        raise


def start_mariadb() -> Server:
    """Start MariaDB; the user ``manouche`` (password ``manouche``) may do anything."""
    mariadbd = shutil.which("mariadbd", path=_sbin_path()) or shutil.which(
        "mysqld", path=_sbin_path()
    )
    install_db = shutil.which("mariadb-install-db", path=_sbin_path()) or shutil.which(
        "mysql_install_db", path=_sbin_path()
    )
    if not mariadbd or not install_db:
        raise ServerUnavailable(
            "no MariaDB server (install the Debian package mariadb-server, or set "
            "MANOUCHE_TEST_MYSQL_URL to an existing server)"
        )
    started = time.monotonic()
    base = Path(tempfile.mkdtemp(prefix="manouche-mariadb-", dir=scratch_root()))
    try:
        data = base / "data"
        sock = base / "mysqld.sock"
        log = base / "server.log"
        pid_file = base / "mysqld.pid"
        # mariadbd refuses to run as root unless told to.
        as_user = ["--user=root"] if os.geteuid() == 0 else []
        result = subprocess.run(
            [
                install_db, "--no-defaults", f"--datadir={data}", *as_user,
                "--auth-root-authentication-method=normal", "--skip-test-db",
                "--skip-name-resolve",
            ],
            cwd=base, capture_output=True, text=True,
        )  # fmt: skip
        if result.returncode != 0:
            raise ServerUnavailable(
                f"mariadb-install-db failed: {_tail(result.stderr or result.stdout)}"
            )
        port = free_port()
        command = [
            mariadbd, "--no-defaults", f"--datadir={data}", f"--socket={sock}",
            f"--port={port}", "--bind-address=127.0.0.1", f"--pid-file={pid_file}",
            f"--log-error={log}", f"--tmpdir={base}", *as_user,
            "--skip-name-resolve", "--skip-log-bin",
            "--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0",
            "--innodb-buffer-pool-size=256M", "--max-connections=300",
            "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
        ]  # fmt: skip
        process = subprocess.Popen(
            command, cwd=base, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        server = Server(
            vendor="mysql",
            url=f"mysql://root@localhost/mysql?unix_socket={quote(str(sock), safe='')}",
            process=process,
            data_dir=base,
            pid_file=pid_file,
            log_file=log,
        )
        try:
            wait_until_ready(server, process, STARTUP_TIMEOUT)
            # root has no password and logs in through the socket; the tests
            # use TCP with a password, as an application would.
            cursor = server._admin_connection().cursor()
            for host in ("127.0.0.1", "localhost"):
                cursor.execute(f"CREATE USER '{USER}'@'{host}' IDENTIFIED BY '{MYSQL_PASSWORD}'")
                cursor.execute(
                    f"GRANT ALL PRIVILEGES ON *.* TO '{USER}'@'{host}' WITH GRANT OPTION"
                )
            server.close_admin_connection()
            server.url = f"mysql://{USER}:{MYSQL_PASSWORD}@127.0.0.1:{port}/mysql?charset=utf8mb4"
        except BaseException:
            server.stop()
            raise
        server.started_in = time.monotonic() - started
        return server
    except BaseException:
        shutil.rmtree(base, ignore_errors=True)
        raise


# -- the servers of one test session ------------------------------------------

URL_OVERRIDES = {
    "postgresql": "MANOUCHE_TEST_POSTGRESQL_URL",
    "mysql": "MANOUCHE_TEST_MYSQL_URL",
}
STARTERS = {"postgresql": start_postgresql, "mysql": start_mariadb}


class ServerPool:
    """The database servers of one test session, started in parallel on demand.

    ``start(vendors)`` returns at once; ``get(vendor)`` waits for that server
    and raises ``ServerUnavailable`` (with the reason) if it could not start.
    A vendor whose MANOUCHE_TEST_<VENDOR>_URL is set uses that server instead.
    """

    def __init__(self) -> None:
        self._futures: dict[str, Future[Server]] = {}
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="db-server")
        self._lock = threading.Lock()
        self._database_counter = itertools.count(1)
        self.create_seconds: dict[str, list[float]] = {}

    def start(self, vendors: Iterable[str]) -> None:
        with self._lock:
            for vendor in vendors:
                if vendor not in self._futures:
                    self._futures[vendor] = self._executor.submit(self._start_one, vendor)

    def _start_one(self, vendor: str) -> Server:
        override = os.environ.get(URL_OVERRIDES[vendor], "").strip()
        if override:
            try:
                return Server.from_url(vendor, override)
            except ServerUnavailable:
                raise
            except Exception as error:
                raise ServerUnavailable(
                    f"{URL_OVERRIDES[vendor]}={_mask(override)} does not answer: {error}"
                ) from error
        return STARTERS[vendor]()

    def get(self, vendor: str) -> Server:
        self.start([vendor])
        future = self._futures[vendor]
        try:
            return future.result()
        except ServerUnavailable:
            raise
        except Exception as error:  # a bug in the harness, or an odd machine
            raise ServerUnavailable(f"{type(error).__name__}: {error}") from error

    def fresh_database(self, vendor: str) -> tuple[Server, str, str]:
        """Create an empty database; returns the server, its name and its URL."""
        server = self.get(vendor)
        name = f"manouche_test_{os.getpid()}_{next(self._database_counter)}"
        began = time.perf_counter()
        url = server.create_database(name)
        self.create_seconds.setdefault(vendor, []).append(time.perf_counter() - began)
        return server, name, url

    def status(self) -> dict[str, tuple[Server | None, str]]:
        """vendor -> (server, "") when up, (None, reason) when not; only vendors asked for."""
        result: dict[str, tuple[Server | None, str]] = {}
        for vendor, future in sorted(self._futures.items()):
            if not future.done():
                result[vendor] = (None, "still starting")
            elif future.exception() is not None:
                result[vendor] = (None, str(future.exception()))
            else:
                result[vendor] = (future.result(), "")
        return result

    def stop_all(self) -> None:
        for future in self._futures.values():
            try:
                server = future.result()
            except Exception:
                continue
            server.stop()
        self._executor.shutdown(wait=True)


# -- plumbing ----------------------------------------------------------------


def connect_driver(vendor: str, url: str):  # type: ignore[no-untyped-def]
    """An autocommit DB-API connection to ``url`` through the plain driver."""
    parts = urlsplit(url)
    database = unquote(parts.path.lstrip("/"))
    if vendor == "postgresql":
        import psycopg

        return psycopg.connect(
            host=parts.hostname, port=parts.port or 5432, user=unquote(parts.username or ""),
            password=unquote(parts.password or "") or None, dbname=database,
            autocommit=True, connect_timeout=5,
        )  # fmt: skip
    if vendor == "mysql":
        import pymysql

        options = dict(pair.split("=", 1) for pair in parts.query.split("&") if "=" in pair)
        socket_path = unquote(options.get("unix_socket", ""))
        return pymysql.connect(
            host=parts.hostname or "127.0.0.1", port=parts.port or 3306,
            user=unquote(parts.username or ""), password=unquote(parts.password or ""),
            database=database or None, unix_socket=socket_path or None,
            charset=options.get("charset", "utf8mb4"), autocommit=True, connect_timeout=5,
        )  # fmt: skip
    raise ValueError(f"no driver for vendor {vendor!r}")


def wait_until_ready(
    server: Server, process: subprocess.Popen[bytes] | None, timeout: float
) -> None:
    """Poll a connection until the server answers, the process dies, or ``timeout``."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ServerUnavailable(
                f"{server.vendor} server exited with code {process.returncode} during start-up: "
                f"{_tail(_read(server.log_file))}"
            )
        try:
            connection = connect_driver(server.vendor, server.url)
        except Exception as error:  # not up yet
            last_error = error
            time.sleep(0.1)
            continue
        connection.close()
        return
    raise ServerUnavailable(
        f"{server.vendor} server at {_mask(server.url)} did not answer within {timeout:.0f}s "
        f"({last_error}); {_tail(_read(server.log_file))}"
    )


def stop_process(
    process: subprocess.Popen[bytes], server_pid: int | None, sig: int, timeout: float
) -> None:
    """Send ``sig`` to the server by pid, then kill it if it has not gone
    within ``timeout``."""
    target = server_pid or process.pid
    try:
        os.kill(target, sig)
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        for pid in {target, process.pid}:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait(5)


def scratch_root() -> str | None:
    """Where the data directories go: MANOUCHE_TEST_TMPDIR, else /dev/shm when
    it has room, else the system's temporary directory.

    On this project's machines, CREATE DATABASE in PostgreSQL takes 7 ms on
    tmpfs against 70-250 ms (and very uneven) on the virtual disk, and both
    servers start in 0.5 s instead of 1-2 s.
    """
    chosen = os.environ.get("MANOUCHE_TEST_TMPDIR", "").strip()
    if chosen:
        return chosen
    shm = "/dev/shm"
    try:
        stats = os.statvfs(shm)
    except OSError:
        return None
    if os.access(shm, os.W_OK | os.X_OK) and stats.f_bavail * stats.f_frsize >= 2 * 1024**3:
        return shm
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run_as_postgres_prefix() -> list[str]:
    """PostgreSQL refuses to run as root: then run it as the ``postgres`` user."""
    if os.geteuid() != 0:
        return []
    try:
        _postgres_ids()
    except KeyError:
        raise ServerUnavailable(
            "running as root and there is no 'postgres' system user to run PostgreSQL as"
        ) from None
    runuser = shutil.which("runuser", path=_sbin_path())
    if runuser is None:
        raise ServerUnavailable("running as root and runuser(1) is missing")
    return [runuser, "-u", "postgres", "--"]


def _postgres_ids() -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam("postgres")
    return entry.pw_uid, entry.pw_gid


def _sbin_path() -> str:
    return os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin", "/usr/bin"])


def _read(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _tail(text: str, lines: int = 5) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()][-lines:]
    return " | ".join(kept) if kept else "(no output)"


def _mask(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)
