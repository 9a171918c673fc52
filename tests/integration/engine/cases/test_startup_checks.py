"""The raw queries LiteLLM's proxy runs at startup and on its health/watchdog paths.

Covers (litellm/proxy/utils.py PrismaClient unless named otherwise):
  * the engine's life cycle as LiteLLM drives it: connect, SIGTERM of the engine PID on reconnect
    (db/prisma_client.py PrismaWrapper._kill_engine_process) and prisma-client-py's disconnect,
    each ending the process and its Postgres sessions, and a fresh client working afterwards;
  * connect + ``SELECT 1`` health probe (``_run_health_probe`` / ``health_check`` /
    ``_db_health_watchdog_loop``);
  * the writer writability probe (``_WRITER_WRITABILITY_PROBE_SQL``);
  * the view-setup gate ``to_regclass($1) IS NOT NULL`` (``_view_setup_gate_table_present``);
  * the ``reltuples::BIGINT`` row estimate (``_get_spend_logs_row_count`` and
    db/create_views.py ``should_create_missing_views``);
  * ``check_view_exists``'s CTE (bigint count + ``ARRAY_AGG`` of view names), run inside a
    rolled-back transaction after creating LiteLLM's views with db/create_views.py's DDL, so the
    answer is deterministic and nothing is left behind;
  * the view probe on a missing relation failing with "does not exist" and a duplicate CREATE
    VIEW failing with "already exists" (create_views.create_missing_views /
    create_view_tolerating_race match on those words);
  * the worker heartbeat (db/proxy_worker_heartbeat.py BEAT/PRUNE/COUNT/DEREGISTER SQL);
  * the proxy's ``get_generic_data(table_name="config")`` ``find_first`` and
    ``prefetch_config_params``'s ``find_many(param_name in)`` on LiteLLM_Config, and the model list
    read from LiteLLM_ProxyModelTable (repositories/model_repository.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import unittest

import prisma.errors

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # _support, however the cases are run

from _support import EngineTestCase, close_shared_client, new_client, uid

tearDownModule = close_shared_client  # disconnect the module's shared client

# db/create_views.py create_missing_views, verbatim DDL (the first is the variant
# check_view_exists creates when only the token view is missing).
LITELLM_VIEWS = {
    "LiteLLM_VerificationTokenView": """
                CREATE VIEW "LiteLLM_VerificationTokenView" AS
                SELECT
                v.*,
                t.spend AS team_spend,
                t.max_budget AS team_max_budget,
                t.model_max_budget AS team_model_max_budget,
                t.tpm_limit AS team_tpm_limit,
                t.rpm_limit AS team_rpm_limit,
                t.tpd_limit AS team_tpd_limit,
                p.project_alias AS project_alias
                FROM "LiteLLM_VerificationToken" v
                LEFT JOIN "LiteLLM_TeamTable" t ON v.team_id = t.team_id
                LEFT JOIN "LiteLLM_ProjectTable" p ON v.project_id = p.project_id;
            """,
    "MonthlyGlobalSpend": """
        CREATE OR REPLACE VIEW "MonthlyGlobalSpend" AS
        SELECT
        DATE("startTime") AS date,
        SUM("spend") AS spend
        FROM
        "LiteLLM_SpendLogs"
        WHERE
        "startTime" >= (CURRENT_DATE - INTERVAL '30 days')
        GROUP BY
        DATE("startTime");
        """,
    "Last30dKeysBySpend": """
        CREATE OR REPLACE VIEW "Last30dKeysBySpend" AS
        SELECT
        L."api_key",
        V."key_alias",
        V."key_name",
        SUM(L."spend") AS total_spend
        FROM
        "LiteLLM_SpendLogs" L
        LEFT JOIN
        "LiteLLM_VerificationToken" V
        ON
        L."api_key" = V."token"
        WHERE
        L."startTime" >= (CURRENT_DATE - INTERVAL '30 days')
        GROUP BY
        L."api_key", V."key_alias", V."key_name"
        ORDER BY
        total_spend DESC;
        """,
    "Last30dModelsBySpend": """
        CREATE OR REPLACE VIEW "Last30dModelsBySpend" AS
        SELECT
        "model",
        SUM("spend") AS total_spend
        FROM
        "LiteLLM_SpendLogs"
        WHERE
        "startTime" >= (CURRENT_DATE - INTERVAL '30 days')
        AND "model" != ''
        GROUP BY
        "model"
        ORDER BY
        total_spend DESC;
        """,
    "MonthlyGlobalSpendPerKey": """
            CREATE OR REPLACE VIEW "MonthlyGlobalSpendPerKey" AS
            SELECT
            DATE("startTime") AS date,
            SUM("spend") AS spend,
            api_key as api_key
            FROM
            "LiteLLM_SpendLogs"
            WHERE
            "startTime" >= (CURRENT_DATE - INTERVAL '30 days')
            GROUP BY
            DATE("startTime"),
            api_key;
        """,
    "MonthlyGlobalSpendPerUserPerKey": """
            CREATE OR REPLACE VIEW "MonthlyGlobalSpendPerUserPerKey" AS
            SELECT
            DATE("startTime") AS date,
            SUM("spend") AS spend,
            api_key as api_key,
            "user" as "user"
            FROM
            "LiteLLM_SpendLogs"
            WHERE
            "startTime" >= (CURRENT_DATE - INTERVAL '30 days')
            GROUP BY
            DATE("startTime"),
            "user",
            api_key;
        """,
    "DailyTagSpend": """
        CREATE OR REPLACE VIEW "DailyTagSpend" AS
        SELECT
            jsonb_array_elements_text(request_tags) AS individual_request_tag,
            DATE(s."startTime") AS spend_date,
            COUNT(*) AS log_count,
            SUM(spend) AS total_spend
        FROM "LiteLLM_SpendLogs" s
        GROUP BY individual_request_tag, DATE(s."startTime");
        """,
    "Last30dTopEndUsersSpend": """
        CREATE VIEW "Last30dTopEndUsersSpend" AS
        SELECT end_user, COUNT(*) AS total_events, SUM(spend) AS total_spend
        FROM "LiteLLM_SpendLogs"
        WHERE end_user <> '' AND end_user <> user
        AND "startTime" >= CURRENT_DATE - INTERVAL '30 days'
        GROUP BY end_user
        ORDER BY total_spend DESC
        LIMIT 100;
        """,
}

# PrismaClient.check_view_exists, built the way it builds it (pg_schema = "public").
EXPECTED_VIEWS = [
    "LiteLLM_VerificationTokenView",
    "MonthlyGlobalSpend",
    "Last30dKeysBySpend",
    "Last30dModelsBySpend",
    "MonthlyGlobalSpendPerKey",
    "MonthlyGlobalSpendPerUserPerKey",
    "Last30dTopEndUsersSpend",
    "DailyTagSpend",
]
_EXPECTED_VIEWS_STR = ", ".join(f"'{view}'" for view in EXPECTED_VIEWS)
CHECK_VIEW_EXISTS_SQL = f"""
                WITH existing_views AS (
                    SELECT viewname
                    FROM pg_views
                    WHERE schemaname = 'public' AND viewname IN (
                        {_EXPECTED_VIEWS_STR}
                    )
                )
                SELECT
                    (SELECT COUNT(*) FROM existing_views) AS view_count,
                    ARRAY_AGG(viewname) AS view_names
                FROM existing_views
                """

# db/proxy_worker_heartbeat.py, verbatim.
BEAT_SQL = """
INSERT INTO "LiteLLM_ProxyWorkerHeartbeat" (worker_id, hostname, last_heartbeat_at)
VALUES ($1, $2, NOW())
ON CONFLICT (worker_id) DO UPDATE SET last_heartbeat_at = NOW()
"""
PRUNE_SQL = """
DELETE FROM "LiteLLM_ProxyWorkerHeartbeat"
WHERE last_heartbeat_at < NOW() - make_interval(secs => $1)
"""
COUNT_SQL = """
SELECT COUNT(*)::int AS live_workers FROM "LiteLLM_ProxyWorkerHeartbeat"
WHERE last_heartbeat_at > NOW() - make_interval(secs => $1)
"""
DEREGISTER_SQL = """
DELETE FROM "LiteLLM_ProxyWorkerHeartbeat" WHERE worker_id = $1
"""


class _Rollback(Exception):
    pass


class StartupChecks(EngineTestCase):
    async def test_health_probe_select_1(self):
        # utils.py PrismaClient._run_health_probe: query_raw("SELECT 1")
        self.assertTrue(self.db.is_connected())
        rows = await self.db.query_raw("SELECT 1")
        self.assertEqual(rows, [{"?column?": 1}])
        # the watchdog loop probes repeatedly on the same client
        for _unused in range(3):
            self.assertEqual(await self.db.query_raw("SELECT 1"), [{"?column?": 1}])

    async def test_writer_writability_probe(self):
        # utils.py _WRITER_WRITABILITY_PROBE_SQL; LiteLLM compares the text 'on'/'off'
        rows = await self.db.query_raw("SELECT current_setting('transaction_read_only') AS transaction_read_only")
        self.assertEqual(rows, [{"transaction_read_only": "off"}])

    async def test_view_setup_gate(self):
        # utils.py PrismaClient._view_setup_gate_table_present: a bool column, text parameter
        rows = await self.db.query_raw("SELECT to_regclass($1) IS NOT NULL AS present", '"LiteLLM_SpendLogs"')
        self.assertEqual(rows, [{"present": True}])
        rows = await self.db.query_raw("SELECT to_regclass($1) IS NOT NULL AS present", f'"{uid("missing")}"')
        self.assertEqual(rows, [{"present": False}])

    async def test_spend_logs_reltuples(self):
        # utils.py _get_spend_logs_row_count / create_views.should_create_missing_views:
        # query_raw(query=...) keyword form; reltuples::BIGINT must come back as a Python int
        result = await self.db.query_raw(
            query="""
            SELECT reltuples::BIGINT
            FROM pg_class
            WHERE oid = '"LiteLLM_SpendLogs"'::regclass;
            """
        )
        self.assertIsInstance(result, list)
        self.assertEqual(len(result), 1)
        self.assertEqual(set(result[0]), {"reltuples"})
        self.assertIsInstance(result[0]["reltuples"], int)
        self.assertGreaterEqual(result[0]["reltuples"], -1)

    async def test_check_view_exists_with_all_views(self):
        # utils.py PrismaClient.check_view_exists: view_count (bigint) == 8 and view_names a
        # list of names, after create_missing_views' DDL ran (execute_raw inside a tx, rolled back)
        with self.assertRaises(_Rollback):
            async with self.db.tx() as tx:
                existing = await tx.query_raw(
                    "SELECT viewname FROM pg_views WHERE schemaname = 'public' AND viewname = ANY($1::text[])",
                    list(LITELLM_VIEWS),
                )
                present = {row["viewname"] for row in existing}
                for name, ddl in LITELLM_VIEWS.items():
                    if name not in present:
                        self.assertEqual(await tx.execute_raw(ddl), 0)
                ret = await tx.query_raw(CHECK_VIEW_EXISTS_SQL)
                self.assertEqual(len(ret), 1)
                self.assertEqual(ret[0]["view_count"], 8)
                self.assertIsInstance(ret[0]["view_count"], int)
                self.assertIsInstance(ret[0]["view_names"], list)
                self.assertEqual(sorted(ret[0]["view_names"]), sorted(LITELLM_VIEWS))
                self.assertIn("LiteLLM_VerificationTokenView", ret[0]["view_names"])
                # create_missing_views' probe of an existing view
                self.assertIsInstance(await tx.query_raw('SELECT 1 FROM "MonthlyGlobalSpend" LIMIT 1'), list)
                raise _Rollback()

    async def test_check_view_exists_shape_as_is(self):
        # the same query against the database as it stands: with no view, ARRAY_AGG is NULL
        ret = await self.db.query_raw(CHECK_VIEW_EXISTS_SQL)
        self.assertEqual(len(ret), 1)
        self.assertIsInstance(ret[0]["view_count"], int)
        if ret[0]["view_count"] == 0:
            self.assertIsNone(ret[0]["view_names"])
        else:
            self.assertIsInstance(ret[0]["view_names"], list)
            self.assertEqual(len(ret[0]["view_names"]), ret[0]["view_count"])

    async def test_missing_view_probe_says_does_not_exist(self):
        # create_views.create_missing_views: the probe of a missing view must fail with an error
        # whose text contains one of _VIEW_NOT_FOUND_MARKERS, and the client stays usable
        missing = uid("view")
        with self.assertRaises(prisma.errors.PrismaError) as caught:
            await self.db.query_raw(f'SELECT 1 FROM "{missing}" LIMIT 1')
        self.assertIsInstance(caught.exception, prisma.errors.RawQueryError)
        message = str(caught.exception).lower()
        self.assertTrue(
            any(marker in message for marker in ("does not exist", "no such table", "undefined table")),
            message,
        )
        self.assertEqual(await self.db.query_raw("SELECT 1"), [{"?column?": 1}])

    async def test_duplicate_create_view_says_already_exists(self):
        # create_views.create_view_tolerating_race: a lost CREATE VIEW race must read "already exists"
        name = uid("view")
        self.cleanup_call(lambda: self.db.execute_raw(f'DROP VIEW IF EXISTS "{name}"'))
        ddl = f'CREATE VIEW "{name}" AS SELECT 1 AS one'
        self.assertEqual(await self.db.execute_raw(ddl), 0)
        with self.assertRaises(prisma.errors.PrismaError) as caught:
            await self.db.execute_raw(ddl)
        message = str(caught.exception).lower()
        self.assertTrue(
            any(marker in message for marker in ("already exists", "duplicate object", "duplicate table")),
            message,
        )
        self.assertEqual(await self.db.query_raw(f'SELECT one FROM "{name}"'), [{"one": 1}])

    async def test_worker_heartbeat(self):
        # db/proxy_worker_heartbeat.py ProxyWorkerHeartbeat.beat / deregister / count_live_proxy_workers
        worker_id = uid("worker")
        self.cleanup_call(lambda: self.db.execute_raw(DEREGISTER_SQL, worker_id))
        self.assertEqual(await self.db.execute_raw(BEAT_SQL, worker_id, "qe-host"), 1)
        self.assertEqual(await self.db.execute_raw(BEAT_SQL, worker_id, "qe-host"), 1)  # ON CONFLICT update
        pruned = await self.db.execute_raw(PRUNE_SQL, 3600)
        self.assertIsInstance(pruned, int)
        rows = await self.db.query_raw(COUNT_SQL, 180)
        self.assertEqual(len(rows), 1)
        self.assertIsInstance(rows[0]["live_workers"], int)
        self.assertGreaterEqual(rows[0]["live_workers"], 1)
        self.assertEqual(await self.db.execute_raw(DEREGISTER_SQL, worker_id), 1)
        self.assertEqual(await self.db.execute_raw(DEREGISTER_SQL, worker_id), 0)

    async def test_engine_recreate_after_sigterm(self):
        # db/prisma_client.py PrismaWrapper._kill_engine_process (SIGTERM, then SIGKILL after 0.5 s) and
        # the recreate that follows; prisma-client-py's own disconnect() (SIGINT). Either way the
        # engine exits and its Postgres sessions go away, and a new client works.
        async def backend_gone(backend_pid: int) -> bool:
            for _unused in range(100):
                rows = await self.db.query_raw(
                    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1", backend_pid
                )
                if rows[0]["n"] == 0:
                    return True
                await asyncio.sleep(0.05)
            return False

        victim = new_client()
        await victim.connect()
        process = victim._engine.process
        backend = (await victim.query_raw("SELECT pg_backend_pid() AS pid"))[0]["pid"]
        os.kill(process.pid, signal.SIGTERM)
        for _unused in range(100):
            if process.poll() is not None:
                break
            await asyncio.sleep(0.05)
        exited = process.poll() is not None
        if not exited:
            process.kill()  # what LiteLLM does next; keeps the suite from leaking the engine
            process.wait(5)
        with contextlib.suppress(Exception):
            await victim.disconnect()
        self.assertTrue(exited, "the engine did not exit within 5 s of SIGTERM")
        self.assertTrue(await backend_gone(backend), "the killed engine's Postgres session stayed open")

        fresh = new_client()
        await fresh.connect()
        self.assertEqual(await fresh.query_raw("SELECT 1 AS ok"), [{"ok": 1}])
        fresh_process = fresh._engine.process
        fresh_backend = (await fresh.query_raw("SELECT pg_backend_pid() AS pid"))[0]["pid"]
        await fresh.disconnect()
        self.assertIsNotNone(fresh_process.poll())
        self.assertFalse(fresh.is_connected())
        self.assertTrue(await backend_gone(fresh_backend), "a disconnected engine's Postgres session stayed open")

    async def test_proxy_models_loaded_at_startup(self):
        # repositories/model_repository.py create_model / find_all_unblocked / update_model: the
        # model list the proxy loads from LiteLLM_ProxyModelTable (litellm_params json.dumps'd)
        ids = [uid("model") for _unused in range(3)]
        self.cleanup_where("litellm_proxymodeltable", {"model_id": {"in": ids}})
        for i, model_id in enumerate(ids):
            await self.db.litellm_proxymodeltable.create(
                data={
                    "model_id": model_id,
                    "model_name": f"qe-model-{i}",
                    "litellm_params": json.dumps({"model": "openai/gpt-4o", "api_key": "os.environ/KEY", "rpm": i}),
                    "model_info": json.dumps({"id": model_id, "access_groups": ["g"]}),
                    "created_by": "qe",
                    "updated_by": "qe",
                    "blocked": i == 2,
                }
            )
        unblocked = await self.db.litellm_proxymodeltable.find_many(where={"blocked": False, "model_id": {"in": ids}})
        self.assertEqual(sorted(m.model_id for m in unblocked), sorted(ids[:2]))
        self.assertEqual(unblocked[0].litellm_params["model"], "openai/gpt-4o")
        self.assertEqual(unblocked[0].model_info["access_groups"], ["g"])
        others = await self.db.litellm_proxymodeltable.find_many(where={"model_id": {"not": ids[0], "in": ids}})
        self.assertEqual(sorted(m.model_id for m in others), sorted(ids[1:]))
        updated = await self.db.litellm_proxymodeltable.update(
            where={"model_id": ids[2]}, data={"updated_by": "qe2", "blocked": False, "model_info": json.dumps({})}
        )
        self.assertEqual((updated.blocked, updated.model_info), (False, {}))

    async def test_config_lookups_at_startup(self):
        # utils.py get_generic_data(table_name="config"): find_first(where={key: value});
        # prefetch_config_params: find_many(where={"param_name": {"in": [...]}})
        names = [uid("param") for _unused in range(3)]
        self.cleanup_where("litellm_config", {"param_name": {"in": names}})
        await self.db.litellm_config.create(data={"param_name": names[0], "param_value": '{"a": 1}'})
        await self.db.litellm_config.create(data={"param_name": names[1], "param_value": '["x"]'})
        row = await self.db.litellm_config.find_first(where={"param_name": names[0]})
        self.assertIsNotNone(row)
        self.assertEqual(row.param_value, {"a": 1})
        self.assertIsNone(await self.db.litellm_config.find_first(where={"param_name": names[2]}))
        rows = await self.db.litellm_config.find_many(where={"param_name": {"in": names}})
        self.assertEqual({r.param_name: r.param_value for r in rows}, {names[0]: {"a": 1}, names[1]: ["x"]})


if __name__ == "__main__":
    unittest.main()
