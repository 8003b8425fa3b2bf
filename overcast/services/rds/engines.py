"""The database engines behind DB instances: PostgreSQL for `postgres` (and aurora-postgresql),
MariaDB for `mariadb`, `mysql` (and aurora-mysql) — MySQL-compatible, stated in the instance's
events. Each knows how to create a database server in an engine home, the command that runs
it, when it is ready, how to run SQL on it as its administrator, and how to copy its data.

Every call here blocks (initdb takes about a second): it runs in the instance's background
work, never in a request."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from overcast.engines.process import Binaries, Launch, Supervisor, find_binary, installed_versions

#: PostgreSQL's bootstrap superuser in every instance, as on RDS; disabled once the master user exists.
ADMIN_USER = "rdsadmin"
_TEMPLATE_LOCK = threading.Lock()

POSTGRES = Binaries("postgres", "postgresql", ("/usr/lib/postgresql/*/bin",))
MARIADB = Binaries("mariadb", "mariadb-server-core", ("/usr/sbin",))
MARIADB_CLIENT = Binaries("mariadb", "mariadb-client-core", ("/usr/bin",))


class EngineError(Exception):
    """An engine step failed: the message says what the engine said."""


def _check(result: subprocess.CompletedProcess[bytes], what: str) -> str:
    if result.returncode != 0:
        said = (result.stderr or result.stdout or b"").decode(errors="replace").strip()
        raise EngineError(f"{what} failed: {said[-800:]}")
    return result.stdout.decode(errors="replace")


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


@dataclass
class Server:
    """One engine server as the provider describes it to an engine."""

    key: str
    port: int
    master_user: str
    master_password: str
    version: str | None = None
    parameters: dict[str, str] | None = None
    #: IAM database authentication: the port of the token front (iam_auth.py), 0 when the
    #: instance has it disabled, and the resource id its tokens are for.
    iam_auth_port: int = 0
    iam_resource_id: str = ""
    #: Where a PostgreSQL primary archives its WAL (point-in-time restore), "" for none.
    wal_archive: str = ""
    #: The loopback address clients reach it on, and every address it listens on (a cluster's
    #: reader endpoint is a second address of one member: clusters.py).
    host: str = "127.0.0.1"
    listen: str = ""


#: The role whose members log in with IAM tokens, as RDS for PostgreSQL has it.
IAM_ROLE = "DO $$BEGIN CREATE ROLE rds_iam; EXCEPTION WHEN duplicate_object THEN NULL; END$$"


class PostgresEngine:
    name = "postgres"
    binaries = POSTGRES
    admin_database = "postgres"

    def check_installed(self, version: str | None) -> None:
        for program in ("initdb", "postgres", "psql", "pg_basebackup"):
            find_binary(POSTGRES, program, version)

    def runs(self, version: str | None) -> str:
        """The PostgreSQL major that serves the requested version (its own, or the nearest)."""
        installed = installed_versions(POSTGRES)
        wanted = (version or "").split(".")[0]
        if wanted in installed or not installed:
            return wanted or (installed[0] if installed else "")
        if wanted.isdigit():
            return min(installed, key=lambda v: (abs(int(v) - int(wanted)), -int(v)))
        return installed[0]

    def _bin(self, server: Server, program: str) -> str:
        return str(find_binary(POSTGRES, program, self.runs(server.version)))

    def data(self, sup: Supervisor, server: Server) -> str:
        return f"{sup.visible(server.key)}/pgdata"

    def template(self, sup: Supervisor, server: Server) -> tuple[str, str]:
        """A freshly initialized cluster of the server's major, made once (initdb is most of the
        cost of a new instance) and copied for each new instance: its key and the password of
        its bootstrap superuser, rdsadmin (as on RDS), which is disabled in each copy."""
        major = self.runs(server.version)
        key = f"template-postgres{major}"
        secret = sup.root / f"{key}.secret"
        with _TEMPLATE_LOCK:
            if (sup.root / key / "pgdata" / "PG_VERSION").exists() and secret.exists():
                return key, secret.read_text().strip()
            sup.remove_home(key)
            home = sup.home(key)
            password = secrets.token_urlsafe(24)
            pwfile = home / ".pwfile"
            pwfile.write_text(password + "\n")
            pwfile.chmod(0o600)
            sup.own(pwfile)
            try:
                _check(
                    sup.run(
                        key,
                        [
                            self._bin(server, "initdb"),
                            "-D",
                            f"{sup.visible(key)}/pgdata",
                            "-U",
                            ADMIN_USER,
                            "--auth=scram-sha-256",
                            f"--pwfile={sup.visible(key)}/.pwfile",
                            "-E",
                            "UTF8",
                            "--no-sync",
                        ],
                    ),
                    "initdb",
                )
            finally:
                pwfile.unlink(missing_ok=True)
            with (home / "pgdata" / "postgresql.conf").open("a") as out:
                out.write("\n# Overcast: the RDS parameter group, then the engine's own settings.\n")
                out.write("include_if_exists = 'rds-parameters.conf'\n")
                out.write("include_if_exists = 'overcast-engine.conf'\n")
            fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(password)
            return key, password

    def initialize(self, sup: Supervisor, server: Server, database: str | None) -> None:
        key, _ = self.template(sup, server)
        sup.copy_home(key, server.key)
        self.configure(sup, server)

    def create_master(self, sup: Supervisor, server: Server, database: str | None) -> None:
        """In a copy of the template: the master user (a superuser), rdsadmin disabled, the
        database."""
        _, password = self.template(sup, server)
        admin = Server(server.key, server.port, ADMIN_USER, password, server.version)
        master = quote_ident(server.master_user)
        statements = [
            f"CREATE ROLE {master} WITH SUPERUSER CREATEDB CREATEROLE REPLICATION"
            f" LOGIN PASSWORD {quote_literal(server.master_password)}"
        ]
        if database:
            statements.append(f"CREATE DATABASE {quote_ident(database)} OWNER {master}")
        statements.append(IAM_ROLE)
        statements.append(f"ALTER ROLE {ADMIN_USER} WITH NOLOGIN PASSWORD NULL")
        self.sql(sup, admin, statements)

    def configure(self, sup: Supervisor, server: Server, primary: Server | None = None) -> None:
        """Write the settings Overcast owns (port, listen address, the parameter group; a
        replica's primary) into the data directory."""
        pgdata = sup.home(server.key) / "pgdata"
        lines = [
            f"listen_addresses = {quote_literal(server.listen or server.host)}",
            f"port = {server.port}",
            "unix_socket_directories = ''",
        ]
        if primary is not None:
            conninfo = (
                f"host={primary.host} port={primary.port} user={primary.master_user}"
                f" password={primary.master_password} application_name={server.key}"
            )
            lines.append(f"primary_conninfo = {quote_literal(conninfo)}")
        if server.wal_archive:
            archive = sup.home(server.key) / "wal-archive"
            archive.mkdir(exist_ok=True)
            sup.own(archive)
            lines += [
                "archive_mode = on",
                "archive_command = "
                + quote_literal(f"test ! -f {server.wal_archive}/%f && cp %p {server.wal_archive}/%f"),
                # A segment is archived at least this often, so the latest restorable time is
                # within five minutes, as on RDS (a restore also switches to a new segment).
                "archive_timeout = 300",
            ]
        _write_owned(sup, pgdata / "overcast-engine.conf", "\n".join(lines) + "\n")
        params = "".join(
            f"{name} = {quote_literal(str(value))}\n"
            for name, value in sorted((server.parameters or {}).items())
        )
        _write_owned(sup, pgdata / "rds-parameters.conf", params)

    def write_hba(self, sup: Supervisor, server: Server) -> None:
        """Client authentication: passwords (SCRAM), except members of rds_iam, who log in with
        an IAM token checked by Overcast's token front over LDAP simple bind (iam_auth.py), or
        not at all while the instance has IAM database authentication disabled (as on RDS)."""
        if server.iam_auth_port:
            iam = (
                f'ldap ldapserver=127.0.0.1 ldapport={server.iam_auth_port} ldapprefix=""'
                f' ldapsuffix="@{server.iam_resource_id}"'
            )
        else:
            iam = "reject"
        lines = [
            "local all all scram-sha-256",
            f"host all +rds_iam 127.0.0.0/8 {iam}",
            "host all all 127.0.0.0/8 scram-sha-256",
            "host all all ::1/128 scram-sha-256",
            "local replication all scram-sha-256",
            "host replication all 127.0.0.0/8 scram-sha-256",
            "host replication all ::1/128 scram-sha-256",
        ]
        _write_owned(sup, sup.home(server.key) / "pgdata" / "pg_hba.conf", "\n".join(lines) + "\n")

    def launch(self, sup: Supervisor, server: Server) -> Launch:
        self.write_hba(sup, server)
        return Launch(
            [self._bin(server, "postgres"), "-D", self.data(sup, server)],
            ready=lambda: postgres_ready(server.port, server.host),
            stop_signal=signal.SIGINT,  # fast shutdown: clients are disconnected, data is safe
        )

    def sql(
        self, sup: Supervisor, server: Server, statement: str | list[str], database: str | None = None
    ) -> str:
        """Run SQL as `server`'s master user; a list runs each statement on its own (CREATE
        DATABASE cannot share a transaction), in one session."""
        statements = [statement] if isinstance(statement, str) else statement
        return _check(
            sup.run(
                None,
                [
                    self._bin(server, "psql"),
                    "-X",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-At",
                    "-h",
                    server.host,
                    "-p",
                    str(server.port),
                    "-U",
                    server.master_user,
                    "-d",
                    database or self.admin_database,
                    *(part for text in statements for part in ("-c", text)),
                ],
                env={"PGPASSWORD": server.master_password, "PGCONNECT_TIMEOUT": "10"},
            ),
            "psql",
        )

    def create_database(self, sup: Supervisor, server: Server, database: str) -> None:
        self.sql(sup, server, f"CREATE DATABASE {quote_ident(database)}")

    def set_password(self, sup: Supervisor, server: Server, password: str) -> None:
        self.sql(
            sup,
            server,
            f"ALTER ROLE {quote_ident(server.master_user)} WITH PASSWORD {quote_literal(password)}",
        )

    def reload(self, sup: Supervisor, server: Server) -> None:
        self.sql(sup, server, "SELECT pg_reload_conf()")

    def base_backup(self, sup: Supervisor, source: Server, target_key: str) -> None:
        """A consistent copy of a running server's data into `target_key`'s home."""
        sup.home(target_key)
        _check(
            sup.run(
                target_key,
                [
                    self._bin(source, "pg_basebackup"),
                    "-h",
                    source.host,
                    "-p",
                    str(source.port),
                    "-U",
                    source.master_user,
                    "-D",
                    f"{sup.visible(target_key)}/pgdata",
                    "-X",
                    "stream",
                    "-c",
                    "fast",
                    "--no-sync",
                ],
                env={"PGPASSWORD": source.master_password},
            ),
            "pg_basebackup",
        )

    def make_replica(self, sup: Supervisor, primary: Server, replica: Server) -> None:
        self.base_backup(sup, primary, replica.key)
        _write_owned(sup, sup.home(replica.key) / "pgdata" / "standby.signal", "")
        self.configure(sup, replica, primary)

    def repoint(self, sup: Supervisor, replica: Server, primary: Server) -> None:
        self.configure(sup, replica, primary)
        self.reload(sup, replica)

    def promote(self, sup: Supervisor, server: Server) -> None:
        self.sql(sup, server, "SELECT pg_promote(true, 60)")
        (sup.home(server.key) / "pgdata" / "standby.signal").unlink(missing_ok=True)
        self.configure(sup, server)

    def switch_wal(self, sup: Supervisor, server: Server, timeout: float = 15) -> None:
        """Close the current WAL segment and wait until the archiver has copied it: everything
        written until now can be replayed from the archive."""
        segment = self.sql(sup, server, "SELECT pg_walfile_name(pg_switch_wal())").strip()
        target = sup.home(server.key) / "wal-archive" / segment
        deadline = time.monotonic() + timeout
        while not target.exists() and time.monotonic() < deadline:
            time.sleep(0.05)

    def recover_to(self, sup: Supervisor, server: Server, source_key: str, moment: str) -> None:
        """A copied base backup replays the source's archived WAL up to `moment` when it next
        starts, then becomes a primary of its own (point-in-time recovery). The segments are
        linked into its own home (an engine sees no other's)."""
        home = sup.home(server.key)
        replay = home / "restore-wal"
        replay.mkdir(exist_ok=True)
        for segment in sorted((sup.home(source_key) / "wal-archive").iterdir()):
            try:
                os.link(segment, replay / segment.name)
            except OSError:
                shutil.copyfile(segment, replay / segment.name)
        sup.own(replay, recursive=True)
        pgdata = home / "pgdata"
        text = (pgdata / "overcast-engine.conf").read_text()
        text += "".join(
            f"{name} = {quote_literal(value)}\n"
            for name, value in (
                ("restore_command", f"cp {sup.visible(server.key)}/restore-wal/%f %p"),
                ("recovery_target_time", moment),
                ("recovery_target_action", "promote"),
            )
        )
        _write_owned(sup, pgdata / "overcast-engine.conf", text)
        _write_owned(sup, pgdata / "recovery.signal", "")

    def wait_promoted(self, sup: Supervisor, server: Server, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while self.sql(sup, server, "SELECT pg_is_in_recovery()").strip() != "f":
            if time.monotonic() > deadline:
                raise EngineError("the point-in-time recovery did not finish")
            time.sleep(0.05)
        shutil.rmtree(sup.home(server.key) / "restore-wal", ignore_errors=True)

    def after_copy(self, sup: Supervisor, server: Server) -> None:
        """A data directory copied from another server (a snapshot restored) is made this one's."""
        pgdata = sup.home(server.key) / "pgdata"
        for name in ("standby.signal", "postmaster.pid"):
            (pgdata / name).unlink(missing_ok=True)
        self.configure(sup, server)

    def describe_config(self, version: str | None) -> list[dict[str, Any]]:
        """Every parameter the engine has, as `postgres --describe-config` lists it."""
        binary = str(find_binary(POSTGRES, "postgres", self.runs(version)))
        try:
            out = subprocess.run(
                [binary, "--describe-config"], capture_output=True, timeout=30, check=False, user=_nobody()
            ).stdout.decode(errors="replace")
        except (OSError, subprocess.SubprocessError):
            return []
        params = []
        for line in out.splitlines():
            fields = line.split("\t")
            if len(fields) < 8:
                continue
            name, context, _group, kind, default, low, high, short = fields[:8]
            params.append(
                {
                    "name": name,
                    "static": context in ("postmaster", "internal"),
                    "modifiable": context not in ("internal",),
                    "type": kind,
                    "default": default,
                    "range": f"{low}-{high}" if low or high else "",
                    "description": short,
                }
            )
        return params


def _nobody() -> str | None:
    import os

    return "nobody" if os.geteuid() == 0 else None


def postgres_ready(port: int, host: str = "127.0.0.1") -> bool:
    """Whether PostgreSQL accepts a session: a startup message is answered with an
    authentication request ('R'), not 'the database system is starting up'."""
    with socket.create_connection((host, port), timeout=1) as conn:
        body = b"user\0overcast-probe\0database\0postgres\0\0"
        conn.sendall(struct.pack("!ii", len(body) + 8, 196608) + body)
        kind = conn.recv(1)
        return kind == b"R"


class MariaDBEngine:
    """MariaDB serving the MySQL and MariaDB engines."""

    name = "mariadb"
    binaries = MARIADB

    def check_installed(self, version: str | None) -> None:
        for program in ("mariadbd", "mariadb-install-db"):
            find_binary(MARIADB, program)
        find_binary(MARIADB_CLIENT, "mariadb")

    def runs(self, version: str | None) -> str:
        try:
            out = subprocess.run(
                [str(find_binary(MARIADB, "mariadbd")), "--version"], capture_output=True, timeout=10
            ).stdout.decode()
        except (OSError, subprocess.SubprocessError):
            return ""
        match = re.search(r"(\d+\.\d+\.\d+)-MariaDB", out)
        return match.group(1) if match else ""

    def _os_user(self, sup: Supervisor) -> str:
        user = sup.user()
        if user is not None:
            return user.pw_name
        import getpass

        return getpass.getuser()

    def initialize(self, sup: Supervisor, server: Server, database: str | None) -> None:
        home = sup.home(server.key)
        vis = sup.visible(server.key)
        (home / "data").mkdir(exist_ok=True)
        sup.own(home / "data")
        _check(
            sup.run(
                server.key,
                [
                    str(find_binary(MARIADB, "mariadb-install-db")),
                    "--no-defaults",
                    f"--datadir={vis}/data",
                    f"--user={self._os_user(sup)}",
                    "--auth-root-authentication-method=socket",
                    "--skip-test-db",
                    "--skip-name-resolve",
                ],
            ),
            "mariadb-install-db",
        )
        self.configure(sup, server)

    def configure(self, sup: Supervisor, server: Server, primary: Server | None = None) -> None:
        vis = sup.visible(server.key)
        settings = {
            "innodb_log_file_size": "16M",
            "innodb_buffer_pool_size": "64M",
            "performance_schema": "OFF",
            **{name: str(value) for name, value in (server.parameters or {}).items()},
            "datadir": f"{vis}/data",
            "port": str(server.port),
            "bind_address": server.listen or server.host,
            "socket": f"{vis}/mysqld.sock",
            "pid_file": f"{vis}/mysqld.pid",
            "skip_name_resolve": "ON",
            "log_bin": f"{vis}/binlog",
            "server_id": str(server.port),
        }
        if primary is not None:
            settings.update(read_only="ON", relay_log=f"{vis}/relay", log_slave_updates="ON")
        text = "[mysqld]\n" + "".join(f"{name} = {value}\n" for name, value in settings.items())
        _write_owned(sup, sup.home(server.key) / "my.cnf", text)

    def launch(self, sup: Supervisor, server: Server) -> Launch:
        vis = sup.visible(server.key)
        return Launch(
            [str(find_binary(MARIADB, "mariadbd")), f"--defaults-file={vis}/my.cnf"],
            ready=lambda: mariadb_ready(server.port, server.host),
        )

    def sql(self, sup: Supervisor, server: Server, statement: str, database: str | None = None) -> str:
        """As the engine's administrator: the OS user over the socket, which only Overcast reaches."""
        argv = [
            str(find_binary(MARIADB_CLIENT, "mariadb")),
            "--no-defaults",
            f"--socket={sup.visible(server.key)}/mysqld.sock",
            "-u",
            self._os_user(sup),
            "-N",
            "-B",
            "-e",
            statement,
        ]
        if database:
            argv.insert(-2, database)
        return _check(sup.run(server.key, argv), "mariadb")

    def create_master(self, sup: Supervisor, server: Server, database: str | None) -> None:
        user = quote_literal(server.master_user)
        statements = [
            f"CREATE USER {user}@'%' IDENTIFIED BY {quote_literal(server.master_password)}",
            f"GRANT ALL PRIVILEGES ON *.* TO {user}@'%' WITH GRANT OPTION",
        ]
        if database:
            statements.append(f"CREATE DATABASE `{database}`")
        self.sql(sup, server, "; ".join(statements))

    def create_database(self, sup: Supervisor, server: Server, database: str) -> None:
        self.sql(sup, server, f"CREATE DATABASE `{database}`")

    def set_password(self, sup: Supervisor, server: Server, password: str) -> None:
        self.sql(
            sup,
            server,
            f"ALTER USER {quote_literal(server.master_user)}@'%' IDENTIFIED BY {quote_literal(password)}",
        )

    def reload(self, sup: Supervisor, server: Server) -> None:
        for name, value in (server.parameters or {}).items():
            try:
                self.sql(sup, server, f"SET GLOBAL {name} = {_mysql_value(value)}")
            except EngineError:
                pass  # a static variable: applied at the next reboot

    def make_replica(self, sup: Supervisor, primary: Server, replica: Server) -> None:
        """The replica's data is a copy the provider took of the stopped primary; here it
        becomes a read-only server of its own (its port, its server id)."""
        self.after_copy(sup, replica, primary)

    def start_replication(self, sup: Supervisor, primary: Server, replica: Server) -> None:
        """Binlog replication from the primary, from the position the copy was taken at (the
        copy's GTID state); the master user cannot write on the replica."""
        self.sql(
            sup,
            replica,
            # The copy holds the primary's binlog: replication goes on from its last GTID.
            "STOP SLAVE; SET GLOBAL gtid_slave_pos = @@gtid_binlog_pos; "
            f"CHANGE MASTER TO MASTER_HOST='{primary.host}', MASTER_PORT={primary.port},"
            f" MASTER_USER={quote_literal(primary.master_user)}, MASTER_PASSWORD={quote_literal(primary.master_password)},"
            " MASTER_USE_GTID=slave_pos; START SLAVE; "
            f"REVOKE READ_ONLY ADMIN ON *.* FROM {quote_literal(replica.master_user)}@'%'",
        )

    def repoint(self, sup: Supervisor, replica: Server, primary: Server) -> None:
        self.sql(
            sup,
            replica,
            f"STOP SLAVE; CHANGE MASTER TO MASTER_PASSWORD={quote_literal(primary.master_password)}; START SLAVE",
        )

    def promote(self, sup: Supervisor, server: Server) -> None:
        self.sql(
            sup,
            server,
            "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only = OFF; "
            f"GRANT READ_ONLY ADMIN ON *.* TO {quote_literal(server.master_user)}@'%'",
        )
        self.configure(sup, server)

    def after_copy(self, sup: Supervisor, server: Server, primary: Server | None = None) -> None:
        home = sup.home(server.key)
        for name in ("mysqld.pid", "mysqld.sock", "auto.cnf", "master.info", "relay-log.info"):
            (home / name).unlink(missing_ok=True)
            (home / "data" / name).unlink(missing_ok=True)
        self.configure(sup, server, primary)


def _mysql_value(value: str) -> str:
    return value if re.fullmatch(r"-?\d+(\.\d+)?|ON|OFF|on|off", value) else quote_literal(value)


def mariadb_ready(port: int, host: str = "127.0.0.1") -> bool:
    """Whether MariaDB answers a client: its handshake (protocol 10), or an error packet such as
    "host not allowed" before any user may connect over TCP — it listens only once started."""
    with socket.create_connection((host, port), timeout=1) as conn:
        header = conn.recv(5)
        return len(header) == 5 and header[4] in (10, 0xFF)


def _write_owned(sup: Supervisor, path: Path, text: str) -> None:
    path.write_text(text)
    sup.own(path)


ENGINES: dict[str, PostgresEngine | MariaDBEngine] = {
    "postgres": PostgresEngine(),
    "aurora-postgresql": PostgresEngine(),
    "mysql": MariaDBEngine(),
    "mariadb": MariaDBEngine(),
    "aurora-mysql": MariaDBEngine(),
}
