"""migrate.js, which applies LiteLLM's migrations as Prisma Migrate records them, against a PostgreSQL of its own."""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any

import pytest

PG_BIN = Path("/usr/lib/postgresql/15/bin")
MIGRATE_JS = Path(__file__).resolve().parents[3] / "roles/images/files/litellm/query-engine/migrate.js"
# The image's own node_modules (pg 8.12.0, as package-lock.json pins it): set by the node fixture.
NODE_MODULES: dict[str, Path] = {}
OWN_ENV = {"DATABASE_URL", "DATABASE_URL_FILE", "LITELLM_MIGRATIONS_DIR"}  # each run sets its own
PASSWORD = "pw-never-printed-7f3a"  # the test server trusts every local connection, so any password works

# Column by column, what Prisma's CREATE TABLE _prisma_migrations produces.
PRISMA_MIGRATIONS_COLUMNS = [
    ["id", "character varying", 36, "NO", None],
    ["checksum", "character varying", 64, "NO", None],
    ["finished_at", "timestamp with time zone", None, "YES", None],
    ["migration_name", "character varying", 255, "NO", None],
    ["logs", "text", None, "YES", None],
    ["rolled_back_at", "timestamp with time zone", None, "YES", None],
    ["started_at", "timestamp with time zone", None, "NO", "now()"],
    ["applied_steps_count", "integer", None, "NO", "0"],
]

# Names chosen so that byte order ("B" < "a") differs from a case-insensitive sort, and every
# statement fails if it runs twice.
FAKE = {
    "20240101000000_init": 'CREATE TABLE "Item" (id INTEGER PRIMARY KEY, name TEXT);\nINSERT INTO "Item" VALUES (1);\n',
    "20240102000000_a_lower": 'ALTER TABLE "Item" ADD COLUMN "lower" TEXT;\n',
    "20240102000000_B with spaces": 'ALTER TABLE "Item" ADD COLUMN "upper" TEXT;\n',
    "20240103000000_concurrent_index": '-- CreateIndex\nCREATE INDEX CONCURRENTLY "Item_name_idx" ON "Item"("name");\n',
}
BROKEN = "20240104000000_broken"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def server_user() -> pwd.struct_passwd | None:
    """Root may not run PostgreSQL: as root, initdb and pg_ctl run as the postgres OS user."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail("no postgres OS user to run the test server as: apt-get install postgresql")


def run_server_tool(user: pwd.struct_passwd | None, *command: str | Path, log: Path | None = None) -> None:
    as_user = ["runuser", "-u", user.pw_name, "--"] if user else []
    done = subprocess.run([*as_user, *map(str, command)], capture_output=True, text=True, timeout=120, check=False)
    server_log = log.read_text() if log and log.exists() else ""
    assert done.returncode == 0, f"{command[0]} failed:\n{done.stdout}{done.stderr}{server_log}"


@dataclass
class Server:
    port: int
    databases: Iterator[int]

    def url(self, database: str, query: str = "") -> str:
        base = f"postgresql://postgres:{PASSWORD}@127.0.0.1:{self.port}/{database}"
        return f"{base}?{query}" if query else base

    def psql(self, database: str, sql: str) -> str:
        answer = subprocess.run(
            [PG_BIN / "psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port)]
            + ["-U", "postgres", "-d", database, "-c", sql],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert answer.returncode == 0, answer.stderr
        return answer.stdout

    def rows(self, database: str, sql: str) -> list[Any]:
        return json.loads(self.psql(database, f"SELECT coalesce(json_agg(q), '[]') FROM ({sql}) q"))

    def create_database(self) -> str:
        name = f"mig_{next(self.databases)}"
        self.psql("postgres", f"CREATE DATABASE {name}")
        return name


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"PostgreSQL 15 server binaries are missing from {PG_BIN}: apt-get install postgresql")
    user = server_user()
    root = Path(tempfile.mkdtemp(prefix="migrate-js-pg-"))
    if user:
        os.chown(root, user.pw_uid, user.pw_gid)
    data, log, port = root / "data", root / "server.log", free_port()
    settings = (
        f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root}"
        " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        " -c shared_preload_libraries=pg_stat_statements"
    )
    try:
        initdb = ["-D", data, "-U", "postgres", "--auth=trust", "--no-locale", "-E", "UTF8", "--no-sync"]
        run_server_tool(user, PG_BIN / "initdb", *initdb)
        run_server_tool(
            user, PG_BIN / "pg_ctl", "-D", data, "-l", log, "-w", "-t", "60", "-o", settings, "start", log=log
        )
        running = Server(port, count(1))
        running.psql("postgres", "CREATE EXTENSION pg_stat_statements")
        yield running
    finally:
        stop(data / "postmaster.pid")
        shutil.rmtree(root, ignore_errors=True)


def stop(pid_file: Path) -> None:
    """Fast shutdown of this fixture's own postmaster; it removes its pid file once it is down."""
    if not pid_file.exists():
        return
    os.kill(int(pid_file.read_text().split()[0]), signal.SIGINT)
    deadline = time.monotonic() + 30
    while pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)


@pytest.fixture(scope="module")
def node(litellm_image_files: dict[str, Path]) -> str:
    found = shutil.which("node")
    if found is None:
        pytest.fail("node is needed to run migrate.js: apt-get install nodejs")
    NODE_MODULES["path"] = litellm_image_files["node_modules"]
    if not (NODE_MODULES["path"] / "pg").is_dir():
        pytest.fail(f"pg is missing from the image's {NODE_MODULES['path']}")
    return found


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def json(self) -> Any:
        assert self.returncode == 0, self.stderr
        return json.loads(self.stdout)


def start_migrate(node: str, *args: str, url: str | None = None, **env: str) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if k not in OWN_ENV}
    clean.update(NODE_PATH=str(NODE_MODULES["path"]), **env)
    if url is not None:
        clean["DATABASE_URL"] = url
    return subprocess.Popen(
        [node, str(MIGRATE_JS), *args], env=clean, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(process: subprocess.Popen[str], began: float) -> Run:
    stdout, stderr = process.communicate(timeout=180)
    return Run(process.returncode, stdout, stderr, time.monotonic() - began)


def migrate(node: str, *args: str, url: str | None = None, **env: str) -> Run:
    began = time.monotonic()
    return finish(start_migrate(node, *args, url=url, **env), began)


def write_migrations(root: Path, migrations: dict[str, str]) -> Path:
    for name, sql in migrations.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        (root / name / "migration.sql").write_text(sql)
    return root


@pytest.fixture
def fake_dir(tmp_path: Path) -> Path:
    folder = write_migrations(tmp_path / "migrations", FAKE)
    # Neither of these is a migration, as for Prisma.
    (folder / "migration_lock.toml").write_text('provider = "postgresql"\n')
    (folder / "20240101000000_notes").mkdir()
    return folder


def history(server: Server, database: str, schema: str = "public") -> list[dict[str, Any]]:
    return server.rows(database, f"SELECT * FROM {schema}._prisma_migrations ORDER BY started_at, migration_name")


def table_exists(server: Server, database: str, name: str) -> bool:
    return server.rows(database, f"SELECT to_regclass('{name}') IS NOT NULL AS found")[0]["found"]


# LiteLLM's own migrations


@pytest.fixture(scope="module")
def litellm_migrations(litellm_image_files: dict[str, Path]) -> Path:
    """The migrations the LiteLLM stand-in image ships (litellm-proxy-extras, as litellm[proxy] pins it)."""
    return litellm_image_files["migrations"]


@pytest.fixture(scope="module")
def litellm_names(litellm_migrations: Path) -> list[str]:
    names = sorted(p.parent.name for p in litellm_migrations.glob("*/migration.sql"))
    assert len(names) > 200, names
    return names


@pytest.fixture(scope="module")
def litellm_db(node: str, server: Server, litellm_migrations: Path) -> dict[str, Any]:
    """One database taken from empty to LiteLLM's full schema; the tests below read what each step left."""
    database = server.create_database()
    url = server.url(database)
    plan = migrate(node, "plan", "--migrations", str(litellm_migrations), url=url).json
    no_table_after_plan = not table_exists(server, database, "_prisma_migrations")
    applied = migrate(node, "apply", "--migrations", str(litellm_migrations), url=url)
    return {"database": database, "url": url, "plan": plan, "plan_was_read_only": no_table_after_plan, "apply": applied}


def test_plan_on_a_fresh_database_lists_every_migration_and_writes_nothing(
    litellm_db: dict[str, Any], litellm_names: list[str]
) -> None:
    assert litellm_db["plan"] == {"applied": 0, "pending": litellm_names, "failed": [], "modified": []}
    assert litellm_db["plan_was_read_only"]


def test_apply_records_every_litellm_migration_as_prisma_does(
    litellm_db: dict[str, Any], litellm_names: list[str], litellm_migrations: Path, server: Server
) -> None:
    result = litellm_db["apply"].json
    assert result["applied_now"] == litellm_names
    assert result["already"] == 0
    print(f"applying {len(litellm_names)} migrations took {result['seconds']} s")

    database = litellm_db["database"]
    rows = history(server, database)
    assert [row["migration_name"] for row in rows] == litellm_names
    for row in rows:
        assert row["checksum"] == sha256(litellm_migrations / row["migration_name"] / "migration.sql")
        assert uuid.UUID(row["id"]).version == 4
        assert (row["applied_steps_count"], row["logs"], row["rolled_back_at"]) == (1, None, None)
        assert row["finished_at"] is not None
    columns = server.rows(
        database,
        "SELECT column_name, data_type, character_maximum_length, is_nullable, column_default"
        " FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position",
    )
    assert [list(c.values()) for c in columns] == PRISMA_MIGRATIONS_COLUMNS
    primary_key = server.rows(
        database,
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
        " WHERE i.indrelid = '_prisma_migrations'::regclass AND i.indisprimary",
    )
    assert primary_key == [{"attname": "id"}]
    assert table_exists(server, database, '"LiteLLM_VerificationToken"')
    # The CONCURRENTLY builds ran outside a transaction and completed.
    assert table_exists(server, database, '"LiteLLM_Lens_due_at_idx"')
    assert server.rows(database, "SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid") == []


def test_second_apply_runs_no_migration_sql(
    node: str, litellm_db: dict[str, Any], litellm_names: list[str], litellm_migrations: Path, server: Server
) -> None:
    assert litellm_db["apply"].returncode == 0
    database = litellm_db["database"]
    before = history(server, database)
    server.psql("postgres", "SELECT pg_stat_statements_reset()")

    again = migrate(node, "apply", "--migrations", str(litellm_migrations), url=litellm_db["url"])

    assert again.json["applied_now"] == []
    assert again.json["already"] == len(litellm_names)
    print(f"a no-op apply took {again.json['seconds']} s")
    statements = [
        row["query"]
        for row in server.rows(
            "postgres",
            "SELECT s.query FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
            f" WHERE d.datname = '{database}'",
        )
    ]
    assert any("_prisma_migrations" in query for query in statements), statements
    writes = [q for q in statements if any(w in q.upper() for w in ("CREATE", "ALTER", "INSERT", "UPDATE", "DROP"))]
    assert writes == []
    assert not any("LiteLLM" in query for query in statements), statements
    assert history(server, database) == before


def test_plan_after_apply_reports_everything_applied(
    node: str, litellm_db: dict[str, Any], litellm_names: list[str], litellm_migrations: Path
) -> None:
    assert litellm_db["apply"].returncode == 0
    plan = migrate(node, "plan", "--migrations", str(litellm_migrations), url=litellm_db["url"]).json
    assert plan == {"applied": len(litellm_names), "pending": [], "failed": [], "modified": []}


# A small migrations folder of the test's own


def test_applies_in_byte_order_with_spaces_and_a_concurrent_index(node: str, server: Server, fake_dir: Path) -> None:
    database = server.create_database()
    expected = sorted(FAKE)
    assert expected != sorted(FAKE, key=str.lower)

    first = migrate(node, "apply", "--migrations", str(fake_dir), url=server.url(database)).json

    assert first["applied_now"] == expected
    assert first["already"] == 0
    assert isinstance(first["seconds"], float | int)
    rows = history(server, database)
    assert [row["migration_name"] for row in rows] == expected
    assert [row["checksum"] for row in rows] == [sha256(fake_dir / name / "migration.sql") for name in expected]
    assert all(row["finished_at"] and row["applied_steps_count"] == 1 for row in rows)
    index = server.rows(database, "SELECT indisvalid FROM pg_index WHERE indexrelid = '\"Item_name_idx\"'::regclass")
    assert index == [{"indisvalid": True}]

    # Every statement in FAKE fails when run twice, so success means nothing ran.
    again = migrate(node, "apply", "--migrations", str(fake_dir), url=server.url(database)).json
    assert (again["applied_now"], again["already"]) == ([], len(FAKE))
    assert history(server, database) == rows


def test_failed_migration_is_recorded_then_refused_until_retried(node: str, server: Server, fake_dir: Path) -> None:
    database = server.create_database()
    url = server.url(database)
    broken = fake_dir / BROKEN / "migration.sql"
    write_migrations(
        fake_dir,
        {
            BROKEN: 'ALTER TABLE "Item" ADD COLUMN "extra" TEXT;\nINSERT INTO "Missing" VALUES (1);\n',
            "20240105000000_after": 'ALTER TABLE "Item" ADD COLUMN "after" TEXT;\n',
        },
    )

    failed = migrate(node, "apply", "--migrations", str(fake_dir), url=url)

    assert failed.returncode == 1
    assert failed.stdout == ""
    assert f'migration {BROKEN} failed: relation "Missing" does not exist' in failed.stderr
    rows = {row["migration_name"]: row for row in history(server, database)}
    assert sorted(rows) == sorted([*FAKE, BROKEN])
    assert rows[BROKEN]["finished_at"] is None
    assert rows[BROKEN]["applied_steps_count"] == 0
    assert 'relation "Missing" does not exist' in rows[BROKEN]["logs"]
    assert "42P01" in rows[BROKEN]["logs"]
    # The file ran as one implicit transaction: its first statement is undone too.
    assert server.rows(database, "SELECT 1 FROM information_schema.columns WHERE column_name = 'extra'") == []

    plan = migrate(node, "plan", "--migrations", str(fake_dir), url=url).json
    assert plan == {"applied": len(FAKE), "pending": ["20240105000000_after"], "failed": [BROKEN], "modified": []}

    refused = migrate(node, "apply", "--migrations", str(fake_dir), url=url)
    assert refused.returncode == 1
    assert BROKEN in refused.stderr
    assert "P3009" in refused.stderr
    assert "--retry-failed" in refused.stderr
    assert len(history(server, database)) == len(FAKE) + 1

    broken.write_text('CREATE TABLE "Missing" (id INTEGER);\nINSERT INTO "Missing" VALUES (1);\n')
    retried = migrate(node, "apply", "--retry-failed", "--migrations", str(fake_dir), url=url).json

    assert retried["applied_now"] == [BROKEN, "20240105000000_after"]
    attempts = [row for row in history(server, database) if row["migration_name"] == BROKEN]
    assert [(row["finished_at"] is None, row["rolled_back_at"] is None) for row in attempts] == [
        (True, False),
        (False, True),
    ]
    assert attempts[1]["checksum"] == sha256(broken)
    plan = migrate(node, "plan", "--migrations", str(fake_dir), url=url).json
    assert plan == {"applied": len(FAKE) + 2, "pending": [], "failed": [], "modified": []}


def test_modified_migration_is_reported_and_not_applied_again(node: str, server: Server, fake_dir: Path) -> None:
    database = server.create_database()
    url = server.url(database)
    assert migrate(node, "apply", "--migrations", str(fake_dir), url=url).json["applied_now"] == sorted(FAKE)
    spaced = fake_dir / "20240102000000_B with spaces" / "migration.sql"
    spaced.write_text(spaced.read_text() + "-- edited after it was applied\n")
    # Only line endings changed: Prisma accepts that as the same migration.
    init = fake_dir / "20240101000000_init" / "migration.sql"
    init.write_bytes(init.read_bytes().replace(b"\n", b"\r\n"))

    plan = migrate(node, "plan", "--migrations", str(fake_dir), url=url).json
    again = migrate(node, "apply", "--migrations", str(fake_dir), url=url)

    assert plan == {"applied": len(FAKE), "pending": [], "failed": [], "modified": ["20240102000000_B with spaces"]}
    assert again.json["applied_now"] == []
    assert "20240102000000_B with spaces" in again.stderr
    assert len(history(server, database)) == len(FAKE)


def test_concurrent_appliers_apply_each_migration_once(node: str, server: Server, tmp_path: Path) -> None:
    database = server.create_database()
    url = server.url(database)
    folder = write_migrations(
        tmp_path / "migrations",
        {"20240101000000_slow": 'SELECT pg_sleep(2);\nCREATE TABLE "Once" (id INTEGER);\n', **FAKE},
    )

    began = time.monotonic()
    processes = [start_migrate(node, "apply", "--migrations", str(folder), url=url) for _copy in range(2)]
    runs = [finish(process, began) for process in processes]

    applied = sorted((run.json["applied_now"] for run in runs), key=len)
    assert applied == [[], sorted(["20240101000000_slow", *FAKE])]
    assert any("advisory lock 72707369" in run.stderr for run in runs)
    assert len(history(server, database)) == len(FAKE) + 1


def test_non_empty_schema_without_history_is_refused(node: str, server: Server, fake_dir: Path) -> None:
    database = server.create_database()
    url = server.url(database)
    server.psql(database, 'CREATE TABLE "Preexisting" (id INTEGER)')

    refused = migrate(node, "apply", "--migrations", str(fake_dir), url=url)

    assert refused.returncode == 1
    assert "P3005" in refused.stderr
    assert "Preexisting" in refused.stderr
    assert not table_exists(server, database, "_prisma_migrations")


def test_schema_parameter_places_everything_and_prisma_only_parameters_are_dropped(
    node: str, server: Server, fake_dir: Path
) -> None:
    database = server.create_database()
    url = server.url(
        database,
        "schema=llm&connection_limit=5&pool_timeout=10&connect_timeout=5&pgbouncer=false"
        "&statement_cache_size=0&socket_timeout=30&sslmode=prefer",
    )

    applied = migrate(node, "apply", "--migrations", str(fake_dir), url=url)

    assert applied.json["applied_now"] == sorted(FAKE)
    assert applied.stderr == ""
    assert len(history(server, database, schema="llm")) == len(FAKE)
    assert table_exists(server, database, 'llm."Item"')
    assert server.rows(database, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'") == []
    plan = migrate(node, "plan", "--migrations", str(fake_dir), url=url).json
    assert plan["applied"] == len(FAKE)


def test_url_file_wins_over_url_and_dir_comes_from_the_environment(
    node: str, server: Server, fake_dir: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "database-url"
    secret.write_text(server.url(server.create_database()) + "\n")

    plan = migrate(
        node,
        "plan",
        url=f"postgresql://nobody:{PASSWORD}@127.0.0.1:{free_port()}/nowhere",
        DATABASE_URL_FILE=str(secret),
        LITELLM_MIGRATIONS_DIR=str(fake_dir),
    )

    assert plan.json["pending"] == sorted(FAKE)


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_migrations_dir_without_migrations_is_an_error_naming_it(node: str, tmp_path: Path, make: str) -> None:
    folder = tmp_path / "no such dir"
    if make == "empty":
        folder.mkdir()
        (folder / "migration_lock.toml").write_text('provider = "postgresql"\n')
        (folder / "20240101000000_no_sql").mkdir()

    failed = migrate(node, "apply", "--migrations", str(folder), url="postgresql://u@127.0.0.1:1/x")

    assert failed.returncode == 1
    assert str(folder) in failed.stderr


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_unreachable_database_names_host_port_not_the_password(
    node: str, fake_dir: Path, tmp_path: Path, command: str
) -> None:
    port = free_port()
    secret = tmp_path / "database-url"
    secret.write_text(f"postgresql://litellm:{PASSWORD}@127.0.0.1:{port}/litellm?schema=public\n")

    failed = migrate(node, command, "--migrations", str(fake_dir), DATABASE_URL_FILE=str(secret))

    assert failed.returncode == 1
    assert f"127.0.0.1:{port}/litellm" in failed.stderr
    assert "ECONNREFUSED" in failed.stderr
    assert PASSWORD not in failed.stdout + failed.stderr
    assert failed.seconds < 15


def test_silent_server_times_out_within_connect_timeout(node: str, fake_dir: Path) -> None:
    # The kernel completes the handshake for a listening socket nobody accepts on: a server that never answers.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        port = silent.getsockname()[1]
        url = f"postgresql://litellm:{PASSWORD}@127.0.0.1:{port}/litellm?connect_timeout=1"

        failed = migrate(node, "apply", "--migrations", str(fake_dir), url=url)

    assert failed.returncode == 1
    assert f"127.0.0.1:{port}/litellm: no answer within 1 s" in failed.stderr
    assert PASSWORD not in failed.stderr
    assert failed.seconds < 8


@pytest.mark.parametrize("args", [[], ["migrate"], ["plan", "--retry-failed"], ["apply", "--migrations"]])
def test_usage_errors_exit_2(node: str, args: list[str]) -> None:
    failed = migrate(node, *args, url="postgresql://u@127.0.0.1:1/x")

    assert failed.returncode == 2
    assert "usage: migrate.js" in failed.stderr
