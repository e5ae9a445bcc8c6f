"""``TemporaryPostgres``: a throwaway PostgreSQL server for tests, benchmarks and the demo.

It runs the machine's own PostgreSQL server programs (``initdb``, ``pg_ctl``; Debian's
``postgresql`` package puts them in ``/usr/lib/postgresql/<version>/bin``) on a new data
directory in a temporary folder, listening on ``127.0.0.1`` at a free port and on a Unix socket
in that folder, with ``trust`` authentication (nothing but this machine reaches it), and removes
everything when it stops::

    with TemporaryPostgres() as server:
        store = PostgresStorage(server.url)

The server refuses to run as root: when this process is root, the data directory is given to a
dedicated system user (``postgres``, which Debian's package creates; ``user=`` to choose) and the
server programs are run as that user with ``runuser``. Nothing is installed or downloaded here:
when no server program is found, or it cannot start, ``PostgresUnavailableError`` says why (the
tests skip with that line, or fail under ``CI=true``).

``fast=True`` turns durability off (``fsync``, ``synchronous_commit``, ``full_page_writes``):
right for tests, whose data is thrown away; the benchmarks keep the defaults.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

__all__ = ["PostgresUnavailableError", "TemporaryPostgres", "find_postgres_bindir"]


class PostgresUnavailableError(RuntimeError):
    """No PostgreSQL server could be started here (the message says why, in one line)."""


def find_postgres_bindir() -> Path:
    """Where the server programs are: ``$SMS_PG_BINDIR``, else the newest
    ``/usr/lib/postgresql/*/bin`` (Debian), else the folder of ``pg_ctl`` on the ``PATH``."""
    chosen = os.environ.get("SMS_PG_BINDIR")
    if chosen:
        candidates = [Path(chosen)]
    else:
        debian = sorted(
            glob.glob("/usr/lib/postgresql/*/bin"),
            key=lambda p: [int(x) if x.isdigit() else 0 for x in Path(p).parent.name.split(".")],
        )
        candidates = [Path(p) for p in reversed(debian)]
        on_path = shutil.which("pg_ctl")
        if on_path:
            candidates.append(Path(on_path).resolve().parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    raise PostgresUnavailableError(
        "no PostgreSQL server programs (initdb, pg_ctl) found: install Debian's 'postgresql' "
        "package, or set SMS_PG_BINDIR"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class TemporaryPostgres:
    """A PostgreSQL server of its own, started by ``start()`` (or ``with``), removed by
    ``stop()``. ``url`` and ``conninfo`` reach its ``postgres`` database as the superuser
    ``postgres``; ``create_database(name)`` makes another one and returns its URL."""

    def __init__(
        self,
        *,
        user: str = "postgres",
        fast: bool = True,
        settings: dict[str, str] | None = None,
        start_timeout: float = 60.0,
    ) -> None:
        self._user = user
        self._fast = fast
        self._settings = dict(settings or {})
        self._start_timeout = start_timeout
        self._folder: Path | None = None
        self.port = 0

    @property
    def data(self) -> Path:
        if self._folder is None:
            raise PostgresUnavailableError("the server is not started")
        return self._folder / "data"

    @property
    def url(self) -> str:
        """``postgresql://postgres@127.0.0.1:<port>/postgres``."""
        return self.url_of("postgres")

    def url_of(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def conninfo(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    def _as_server_user(self, command: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return command
        runuser = shutil.which("runuser")
        if runuser is None:  # pragma: no cover - util-linux is on every Debian
            raise PostgresUnavailableError(
                "running as root and no 'runuser' to drop to the server user"
            )
        return [runuser, "-u", self._user, "--", *command]

    def _run(self, command: list[str]) -> None:
        done = subprocess.run(  # noqa: S603 - the server's own programs, no shell
            self._as_server_user(command), capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise PostgresUnavailableError(f"{Path(command[0]).name} failed: {last[0]}")

    def start(self) -> TemporaryPostgres:
        bindir = find_postgres_bindir()
        folder = Path(tempfile.mkdtemp(prefix="sms-pg-"))
        self._folder = folder
        try:
            if os.geteuid() == 0:
                import pwd

                try:
                    entry = pwd.getpwnam(self._user)
                except KeyError:
                    raise PostgresUnavailableError(
                        f"running as root and there is no {self._user!r} system user for the "
                        "server (Debian's postgresql package creates it)"
                    ) from None
                os.chown(folder, entry.pw_uid, entry.pw_gid)
            self._run(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(folder / "data"),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-sync",
                ]
            )
            options = {
                "listen_addresses": "127.0.0.1",
                "unix_socket_directories": str(folder),
                "max_connections": "200",
                "log_min_messages": "warning",
            }
            if self._fast:
                options.update(fsync="off", synchronous_commit="off", full_page_writes="off")
            options.update(self._settings)
            with (folder / "data" / "postgresql.auto.conf").open("a") as conf:
                for name, value in options.items():
                    conf.write(f"{name} = '{value}'\n")
            deadline = time.monotonic() + self._start_timeout
            while True:
                self.port = _free_port()
                try:
                    self._run(
                        [
                            str(bindir / "pg_ctl"),
                            "-D",
                            str(folder / "data"),
                            "-l",
                            str(folder / "server.log"),
                            "-o",
                            f"-p {self.port}",
                            "-w",
                            "-t",
                            str(int(self._start_timeout)),
                            "start",
                        ]
                    )
                    break
                except PostgresUnavailableError:
                    if time.monotonic() > deadline:  # pragma: no cover - a broken server
                        raise PostgresUnavailableError(
                            f"the server did not start: {self._log_tail()}"
                        ) from None
                    # Most likely the port was taken between the probe and the start: again.
        except BaseException:
            self._remove()
            raise
        return self

    def _log_tail(self) -> str:
        log = self.data.parent / "server.log"
        with contextlib.suppress(OSError):
            lines = log.read_text(errors="replace").strip().splitlines()
            if lines:
                return lines[-1]
        return "no log"

    def create_database(self, name: str) -> str:
        """A new database on this server (its name as given); its URL."""
        import psycopg

        with psycopg.connect(self.conninfo, autocommit=True) as connection:
            connection.execute(
                psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name))
            )
        return self.url_of(name)

    def stop(self) -> None:
        """Stop the server and remove its files (a second call does nothing)."""
        if self._folder is None:
            return
        bindir = find_postgres_bindir()
        with contextlib.suppress(PostgresUnavailableError):
            self._run(
                [str(bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]
            )
        self._remove()

    def _remove(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def __enter__(self) -> TemporaryPostgres:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
