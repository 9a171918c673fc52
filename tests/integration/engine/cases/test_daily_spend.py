"""Daily spend rollups: LiteLLM_DailyUserSpend / DailyTeamSpend / DailyTagSpend (raw bulk upsert),
LiteLLM_DailyModelUsage / DailyToolSpend (prisma upserts with increment) and their reads.

Covers:
  * the single multi-row ``INSERT ... ON CONFLICT DO UPDATE`` with ``$n::bigint`` /
    ``$n::double precision`` / ``$n::text`` parameters, run with ``execute_raw`` inside the spend
    transaction after ``set_config('lock_timeout', ...)`` (db/daily_spend_bulk_upsert.py
    build_bulk_upsert, db_spend_update_writer DBSpendUpdateWriter daily upsert + _spend_update_tx),
    applied repeatedly so the counters add up exactly, including BigInt counters above 2**53 and
    the request_id COALESCE of the tag table;
  * ``batch_()`` with ``execute_raw(set_config)`` plus compound-key ``upsert``s whose update is
    ``{"increment": n}`` on BigInt and Float columns (db/model_usage_rollup.py
    flush_model_usage_transactions, db/spend_log_tool_index.py flush_tool_usage_transactions) and
    ``create_many(skip_duplicates=True)`` of the tool index rows;
  * reads: ``count`` + ``find_many(where date gte/lte, api_key in, entity not in / None,
    skip/take, order=(date desc, id asc))`` (repositories/daily_activity_repository.py paginated
    rows), the raw aggregate with ``= ANY($n::text[])`` list parameters and ``::bigint`` /
    ``::float`` sums (repositories/daily_activity_sql.py build_where_clause /
    _rollup_metric_select), and ``group_by(by=[...], sum=..., order={"date": "asc"})``
    (management_endpoints/model_insights_endpoints.py).
"""

from __future__ import annotations

import os
import sys
import unittest
import uuid
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # _support, however the cases are run

from _support import EngineTestCase, close_shared_client, uid, utc

tearDownModule = close_shared_client  # disconnect the module's shared client

ROLLUP_LOCK_TIMEOUT_SQL = "SELECT set_config('lock_timeout', $1::text, true)"

# --- db/daily_spend_bulk_upsert.py, reproduced (the SQL text and parameter order are LiteLLM's) ---
_KEY_COLUMNS = ("date", "api_key", "model", "custom_llm_provider", "mcp_namespaced_tool_name", "endpoint")
_COUNTER_COLUMNS = (
    "prompt_tokens",
    "completion_tokens",
    "api_requests",
    "successful_requests",
    "failed_requests",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "compression_saved_tokens",
    "total_response_time_ms",
    "timed_requests",
)
_SPEND_COLUMNS = (
    "spend",
    "compression_savings_spend",
    "prompt_caching_savings_spend",
    "gateway_injected_caching_savings_spend",
    "autorouter_savings_spend",
)
_CASTS = {**dict.fromkeys(_COUNTER_COLUMNS, "bigint"), **dict.fromkeys(_SPEND_COLUMNS, "double precision")}


def _quoted(columns):
    return ", ".join(f'"{column}"' for column in columns)


def build_bulk_upsert(table_name: str, entity_id_column: str, batch, carries_request_id: bool = False):
    columns = (
        "id",
        entity_id_column,
        *_KEY_COLUMNS,
        "model_group",
        *_COUNTER_COLUMNS,
        *_SPEND_COLUMNS,
        *(("request_id",) if carries_request_id else ()),
    )
    quoted_table = f'"{table_name}"'
    rows = ", ".join(
        "("
        + ", ".join(
            f"${row_index * len(columns) + offset + 1}::{_CASTS.get(column, 'text')}"
            for offset, column in enumerate(columns)
        )
        + ", (NOW() AT TIME ZONE 'UTC'))"
        for row_index in range(len(batch))
    )
    increments = ", ".join(
        f'"{column}" = {quoted_table}."{column}" + EXCLUDED."{column}"'
        for column in (*_COUNTER_COLUMNS, *_SPEND_COLUMNS)
    )
    request_id_update = (
        f', "request_id" = COALESCE(EXCLUDED."request_id", {quoted_table}."request_id")' if carries_request_id else ""
    )
    sql = (
        f'INSERT INTO {quoted_table} ({_quoted(columns)}, "updated_at")\n'
        f"VALUES {rows}\n"
        f"ON CONFLICT ({_quoted((entity_id_column, *_KEY_COLUMNS))}) DO UPDATE SET\n"
        f"  {increments}{request_id_update},\n"
        f"  \"updated_at\" = (NOW() AT TIME ZONE 'UTC')"
    )
    params = []
    for txn in batch:
        key = tuple("" if txn.get(c) is None else str(txn.get(c)) for c in (entity_id_column, *_KEY_COLUMNS))
        params.extend(
            (
                str(uuid.uuid4()),
                *key,
                txn.get("model_group"),
                *(int(txn.get(c, 0)) for c in _COUNTER_COLUMNS),
                *(float(txn.get(c, 0.0)) for c in _SPEND_COLUMNS),
                *((txn.get("request_id"),) if carries_request_id else ()),
            )
        )
    return sql, tuple(params)


BIG = 2**53 + 1  # not representable as a double


class DailySpendBulkUpsert(EngineTestCase):
    async def _flush(self, table_name, entity_id_column, batch, carries_request_id=False):
        sql, params = build_bulk_upsert(table_name, entity_id_column, batch, carries_request_id)
        async with self.db.tx(timeout=timedelta(seconds=60)) as transaction:
            await transaction.execute_raw(ROLLUP_LOCK_TIMEOUT_SQL, "5000ms")
            return await transaction.execute_raw(sql, *params)

    async def test_daily_user_spend_upsert_increments(self):
        # DBSpendUpdateWriter daily user spend commit: build_bulk_upsert + _spend_update_tx
        user_id = uid("user")
        api_key = uid("key")
        self.cleanup_where("litellm_dailyuserspend", {"user_id": user_id})
        day = "2025-09-01"
        batch = [
            {
                "user_id": user_id,
                "date": day,
                "api_key": api_key,
                "model": "gpt-4o",
                "model_group": "gpt-4o",
                "custom_llm_provider": "openai",
                "mcp_namespaced_tool_name": None,
                "endpoint": "/chat/completions",
                "prompt_tokens": BIG,
                "completion_tokens": 20,
                "api_requests": 1,
                "successful_requests": 1,
                "failed_requests": 0,
                "total_response_time_ms": 850,
                "timed_requests": 1,
                "spend": 0.1,
                "prompt_caching_savings_spend": 0.01,
            },
            {
                "user_id": user_id,
                "date": day,
                "api_key": api_key,
                "model": "claude-3",
                "model_group": None,
                "custom_llm_provider": "anthropic",
                "mcp_namespaced_tool_name": None,
                "endpoint": None,
                "prompt_tokens": 5,
                "completion_tokens": 6,
                "api_requests": 2,
                "successful_requests": 1,
                "failed_requests": 1,
                "spend": 0.2,
            },
        ]
        self.assertEqual(await self._flush("LiteLLM_DailyUserSpend", "user_id", batch), 2)
        self.assertEqual(await self._flush("LiteLLM_DailyUserSpend", "user_id", batch), 2)
        self.assertEqual(await self._flush("LiteLLM_DailyUserSpend", "user_id", batch[:1]), 1)
        rows = await self.db.litellm_dailyuserspend.find_many(where={"user_id": user_id}, order={"model": "desc"})
        self.assertEqual([r.model for r in rows], ["gpt-4o", "claude-3"])
        gpt, claude = rows
        self.assertEqual(gpt.prompt_tokens, 3 * BIG)  # exact, above 2**53
        self.assertEqual(gpt.completion_tokens, 60)
        self.assertEqual(gpt.api_requests, 3)
        self.assertEqual(gpt.total_response_time_ms, 2550)
        self.assertAlmostEqual(gpt.spend, 0.3, places=12)
        self.assertAlmostEqual(gpt.prompt_caching_savings_spend, 0.03, places=12)
        self.assertEqual(
            (gpt.endpoint, gpt.mcp_namespaced_tool_name, gpt.model_group), ("/chat/completions", "", "gpt-4o")
        )
        self.assertEqual((claude.endpoint, claude.model_group, claude.failed_requests), ("", None, 2))
        self.assertAlmostEqual(claude.spend, 0.4, places=12)
        self.assertIsNotNone(gpt.updated_at)

    async def test_daily_team_and_tag_spend(self):
        # build_bulk_upsert for DAILY_SPEND_TABLES team and tag (carries_request_id)
        team_id = uid("team")
        tag = uid("tag")
        api_key = uid("key")
        self.cleanup_where("litellm_dailyteamspend", {"team_id": team_id})
        self.cleanup_where("litellm_dailytagspend", {"tag": tag})
        base = {
            "date": "2025-09-02",
            "api_key": api_key,
            "model": "m",
            "custom_llm_provider": "p",
            "prompt_tokens": 1,
            "completion_tokens": 2,
            "api_requests": 1,
            "successful_requests": 1,
            "spend": 1.5,
        }
        for _unused in range(4):
            await self._flush("LiteLLM_DailyTeamSpend", "team_id", [{**base, "team_id": team_id}])
        team_row = await self.db.litellm_dailyteamspend.find_first(where={"team_id": team_id})
        self.assertEqual((team_row.spend, team_row.api_requests, team_row.ptu_flat_cost), (6.0, 4, 0.0))
        await self._flush("LiteLLM_DailyTagSpend", "tag", [{**base, "tag": tag, "request_id": "req-1"}], True)
        await self._flush("LiteLLM_DailyTagSpend", "tag", [{**base, "tag": tag, "request_id": None}], True)
        tag_row = await self.db.litellm_dailytagspend.find_first(where={"tag": tag})
        self.assertEqual((tag_row.request_id, tag_row.spend, tag_row.prompt_tokens), ("req-1", 3.0, 2))

    async def test_paginated_rows_and_raw_aggregate(self):
        # repositories/daily_activity_repository.py paginated rows + daily_activity_sql.build_where_clause
        users = [uid("user") for _unused in range(3)]
        api_keys = [uid("key"), uid("key")]
        self.cleanup_where("litellm_dailyuserspend", {"user_id": {"in": users}})
        batch = []
        for d in range(3):
            for i, user in enumerate(users):
                batch.append(
                    {
                        "user_id": user,
                        "date": f"2025-10-0{d + 1}",
                        "api_key": api_keys[i % 2],
                        "model": "gpt",
                        "custom_llm_provider": "openai",
                        "prompt_tokens": 10 * (i + 1),
                        "completion_tokens": BIG,
                        "api_requests": 1,
                        "successful_requests": 1,
                        "spend": 0.25 * (i + 1),
                    }
                )
        self.assertEqual(await self._flush("LiteLLM_DailyUserSpend", "user_id", batch), 9)
        # DailyActivityRepository paginated read
        conditions = {
            "date": {"gte": "2025-10-02", "lte": "2025-10-03"},
            "user_id": {"in": users},
            "OR": [{"user_id": None}, {"user_id": {"not": {"in": [users[2]]}}}],
            "model": "gpt",
            "api_key": {"in": api_keys},
        }
        total = await self.db.litellm_dailyuserspend.count(where=conditions)
        self.assertEqual(total, 4)
        page1 = await self.db.litellm_dailyuserspend.find_many(
            where=conditions, skip=0, take=3, order=({"date": "desc"}, {"id": "asc"})
        )
        page2 = await self.db.litellm_dailyuserspend.find_many(
            where=conditions, skip=3, take=3, order=({"date": "desc"}, {"id": "asc"})
        )
        self.assertEqual([r.date for r in page1 + page2], ["2025-10-03", "2025-10-03", "2025-10-02", "2025-10-02"])
        self.assertEqual(sorted(page1[:2], key=lambda r: r.id), page1[:2])
        self.assertEqual({r.user_id for r in page1 + page2}, set(users[:2]))
        self.assertTrue(all(r.completion_tokens == BIG for r in page1 + page2))
        # daily_activity_sql: where with text[] parameters, sums cast to bigint / float
        result = await self.db.query_raw(
            """
            SELECT date,
                   SUM(spend)::float AS spend,
                   SUM(prompt_tokens)::bigint AS prompt_tokens,
                   SUM(completion_tokens)::bigint AS completion_tokens,
                   SUM(api_requests)::bigint AS api_requests,
                   COUNT(DISTINCT api_key) AS distinct_api_keys
            FROM "LiteLLM_DailyUserSpend"
            WHERE date >= $1 AND date <= $2 AND "user_id" = ANY($3::text[])
              AND api_key = ANY($4::text[])
            GROUP BY date ORDER BY date
            """,
            "2025-10-01",
            "2025-10-03",
            users,
            api_keys,
        )
        self.assertEqual([r["date"] for r in result], ["2025-10-01", "2025-10-02", "2025-10-03"])
        for r in result:
            self.assertAlmostEqual(r["spend"], 1.5, places=12)
            self.assertIsInstance(r["spend"], float)
            self.assertEqual(r["prompt_tokens"], 60)
            self.assertEqual(r["completion_tokens"], 3 * BIG)  # bigint beyond 2**53, exact
            self.assertEqual(r["api_requests"], 3)
            self.assertEqual(r["distinct_api_keys"], 2)
        empty = await self.db.query_raw(
            'SELECT COUNT(*) AS n FROM "LiteLLM_DailyUserSpend" WHERE "user_id" = ANY($1::text[])', []
        )
        self.assertEqual(empty, [{"n": 0}])


class RollupUpserts(EngineTestCase):
    async def test_model_usage_batch_upserts(self):
        # db/model_usage_rollup.py flush_model_usage_transactions
        model_group = uid("mg")
        self.cleanup_where("litellm_dailymodelusage", {"model_group": model_group})
        days = ["2025-11-01", "2025-11-02"]
        for _round in range(3):
            async with self.db.batch_() as batcher:
                batcher.execute_raw(ROLLUP_LOCK_TIMEOUT_SQL, "5000ms")
                for day in days:
                    key_fields = {
                        "date": day,
                        "model_group": model_group,
                        "model": "gpt-4o",
                        "custom_llm_provider": "openai",
                        "task_type": "chat",
                    }
                    batcher.litellm_dailymodelusage.upsert(
                        where={"date_model_group_model_custom_llm_provider_task_type": key_fields},
                        data={
                            "create": {
                                **key_fields,
                                "spend": 0.5,
                                "prompt_tokens": BIG,
                                "completion_tokens": 3,
                                "request_count": 1,
                                "successful_requests": 1,
                                "failed_requests": 0,
                            },
                            "update": {
                                "spend": {"increment": 0.5},
                                "prompt_tokens": {"increment": BIG},
                                "completion_tokens": {"increment": 3},
                                "request_count": {"increment": 1},
                                "successful_requests": {"increment": 0},
                                "failed_requests": {"increment": 1},
                            },
                        },
                    )
        rows = await self.db.litellm_dailymodelusage.find_many(
            where={"model_group": model_group}, order={"date": "asc"}
        )
        self.assertEqual([r.date for r in rows], days)
        for r in rows:
            self.assertEqual((r.spend, r.prompt_tokens, r.completion_tokens), (1.5, 3 * BIG, 9))
            self.assertEqual((r.request_count, r.successful_requests, r.failed_requests), (3, 1, 2))
        # model_insights_endpoints: group_by with sum and order
        window = {"date": {"gte": days[0], "lte": days[1]}, "model_group": model_group}
        by_model = await self.db.litellm_dailymodelusage.group_by(
            by=["model_group", "model", "custom_llm_provider"],
            sum={"spend": True, "prompt_tokens": True, "request_count": True, "failed_requests": True},
            where=window,
        )
        self.assertEqual(len(by_model), 1)
        sums = by_model[0]["_sum"]
        self.assertAlmostEqual(float(sums["spend"]), 3.0, places=12)
        self.assertEqual(int(sums["prompt_tokens"]), 6 * BIG)  # BigInt sum, exact
        self.assertEqual(int(sums["request_count"]), 6)
        self.assertEqual(int(sums["failed_requests"]), 4)
        by_date = await self.db.litellm_dailymodelusage.group_by(
            by=["date"], sum={"spend": True}, where=window, order={"date": "asc"}
        )
        self.assertEqual([row["date"] for row in by_date], days)

    async def test_tool_spend_rollup(self):
        # db/spend_log_tool_index.py flush_tool_usage_transactions
        tool = uid("tool")
        request_ids = [uid("req") for _unused in range(3)]
        self.cleanup_where("litellm_spendlogtoolindex", {"tool_name": tool})
        self.cleanup_where("litellm_dailytoolspend", {"tool_name": tool})
        index_rows = [
            {"request_id": r, "tool_name": tool, "start_time": utc(2025, 12, 1, i)} for i, r in enumerate(request_ids)
        ]
        self.assertEqual(await self.db.litellm_spendlogtoolindex.create_many(data=index_rows, skip_duplicates=True), 3)
        self.assertEqual(await self.db.litellm_spendlogtoolindex.create_many(data=index_rows, skip_duplicates=True), 0)
        for _unused in range(2):
            async with self.db.batch_() as batcher:
                batcher.execute_raw(ROLLUP_LOCK_TIMEOUT_SQL, "5000ms")
                batcher.litellm_dailytoolspend.upsert(
                    where={"date_tool_name": {"date": "2025-12-01", "tool_name": tool}},
                    data={
                        "create": {
                            "date": "2025-12-01",
                            "tool_name": tool,
                            "spend": 0.75,
                            "total_tokens": BIG,
                            "request_count": 3,
                        },
                        "update": {
                            "spend": {"increment": 0.75},
                            "total_tokens": {"increment": BIG},
                            "request_count": {"increment": 3},
                        },
                    },
                )
        row = await self.db.litellm_dailytoolspend.find_unique(
            where={"date_tool_name": {"date": "2025-12-01", "tool_name": tool}}
        )
        self.assertEqual((row.spend, row.total_tokens, row.request_count), (1.5, 2 * BIG, 6))


if __name__ == "__main__":
    unittest.main()
