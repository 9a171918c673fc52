"""Spend logs (LiteLLM_SpendLogs): the batched writes, the UI/API reads and the aggregates.

Covers:
  * the batch write ``create_many(data=rows, skip_duplicates=True)`` of jsonify_object'd payloads
    (json.dumps'd metadata/request_tags/messages/response, DateTimes, ints, floats), its row count,
    re-sending the same batch writing 0 rows (utils.py _create_spend_logs_with_poison_isolation,
    db_spend_update_writer._claim_batch_cost_spend_log) and a 200-row batch;
  * a row Postgres rejects (NUL byte) failing the whole statement with a base
    ``prisma.errors.DataError`` and writing nothing (the poison-isolation bisection relies on
    PrismaDBExceptionHandler.is_prisma_data_error: ``type(e) is DataError``);
  * ``find_unique(request_id)`` / ``update_many(where request_id, call_type, status, spend 0.0)``
    (_take_over_uncharged_batch_cost_row);
  * ``find_many(where={key: value})`` and ``find_many(order={"startTime": "desc"})`` (utils.py
    PrismaClient.get_data table_name="spend");
  * the Json path filters ``{"path": [...], "string_contains": ...}`` / ``equals`` and DateTime
    filters given as ISO strings (spend_tracking/spend_management_endpoints.py ui_view_spend_logs
    where_conditions);
  * the UI list's raw SQL: ``$n::timestamptz AT TIME ZONE 'UTC'`` datetime parameters, one
    parameter used twice, float and int parameters, ``metadata->>'...' LIKE``, the bounded COUNT
    and LIMIT/OFFSET (ui_view_spend_logs' count_query / sql_query);
  * ``group_by(by=[field], where={field, startTime gte}, sum={"spend": True})``
    (db/spend_counter_reseed.py SpendCounterReseed.window_from_spend_logs);
  * ``query_raw`` of the spend-per-day aggregation over SpendLogs with date/numeric columns.
"""

from __future__ import annotations

import json
import os
import sys
import unittest
from datetime import datetime, timedelta, timezone

import prisma.errors

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # _support, however the cases are run

from _support import EngineTestCase, as_utc, close_shared_client, jsonify_object, uid, utc

tearDownModule = close_shared_client  # disconnect the module's shared client


def spend_log_payload(request_id: str, api_key: str, start: datetime, spend: float, **overrides):
    """A SpendLogsPayload as spend_tracking_utils.get_logging_payload builds it (already dumped)."""
    payload = {
        "request_id": request_id,
        "call_type": "acompletion",
        "api_key": api_key,
        "cache_hit": "False",
        "startTime": start,
        "endTime": start + timedelta(milliseconds=850),
        "completionStartTime": start + timedelta(milliseconds=120),
        "model": "gpt-4o",
        "user": "qe-user",
        "team_id": "qe-team",
        "organization_id": "",
        "metadata": json.dumps(
            {
                "user_api_key_alias": "Alias-Ünïcode",
                "error_information": {"error_code": "429", "error_message": "rate limited"},
                "additional_usage_values": {},
                "status": "success",
            }
        ),
        "cache_key": "Cache OFF",
        "spend": spend,
        "total_tokens": 30,
        "prompt_tokens": 10,
        "completion_tokens": 20,
        "request_tags": json.dumps(["prod", "tag-ü"]),
        "end_user": "",
        "api_base": "https://api.example.com",
        "model_group": "gpt-4o",
        "model_id": "model-1",
        "mcp_namespaced_tool_name": None,
        "agent_id": None,
        "billing_agent_id": None,
        "requester_ip_address": "127.0.0.1",
        "custom_llm_provider": "openai",
        "messages": json.dumps([{"role": "user", "content": "hi ✓"}]),
        "response": json.dumps({"choices": [{"message": {"content": "hello"}}]}),
        "proxy_server_request": "{}",
        "session_id": None,
        "request_duration_ms": 850,
        "status": "success",
        "litellm_call_id": request_id + "-call",
    }
    payload.update(overrides)
    return jsonify_object(payload)


class SpendLogs(EngineTestCase):
    def _cleanup_api_key(self, api_key: str) -> None:
        self.cleanup_where("litellm_spendlogs", {"api_key": api_key})

    async def test_create_many_skip_duplicates(self):
        # utils.py _create_spend_logs_with_poison_isolation (ProxyUpdateSpend.update_spend_logs)
        api_key = uid("apikey")
        self._cleanup_api_key(api_key)
        start = utc(2025, 1, 2, 3, 4, 5, 678000)
        rows = [spend_log_payload(uid("req"), api_key, start + timedelta(seconds=i), 0.001 * i) for i in range(3)]
        self.assertEqual(await self.db.litellm_spendlogs.create_many(data=rows, skip_duplicates=True), 3)
        self.assertEqual(await self.db.litellm_spendlogs.create_many(data=rows, skip_duplicates=True), 0)
        extra = spend_log_payload(uid("req"), api_key, start, 1.0)
        self.assertEqual(await self.db.litellm_spendlogs.create_many(data=rows + [extra], skip_duplicates=True), 1)
        got = await self.db.litellm_spendlogs.find_unique(where={"request_id": rows[1]["request_id"]})
        self.assertEqual(got.startTime, start + timedelta(seconds=1))
        self.assertEqual(got.completionStartTime, start + timedelta(seconds=1, milliseconds=120))
        self.assertEqual(got.metadata["error_information"]["error_code"], "429")
        self.assertEqual(got.request_tags, ["prod", "tag-ü"])
        self.assertEqual(got.messages, [{"role": "user", "content": "hi ✓"}])
        self.assertEqual(got.proxy_server_request, {})
        self.assertEqual((got.spend, got.total_tokens, got.request_duration_ms), (0.001, 30, 850))
        self.assertIsNone(got.session_id)
        self.assertIsNotNone(got.created_at)

    async def test_large_batch(self):
        # utils.py ProxyUpdateSpend.update_spend_logs BATCH_SIZE-sized create_many
        api_key = uid("apikey")
        self._cleanup_api_key(api_key)
        start = utc(2025, 2, 1)
        rows = [spend_log_payload(uid("req"), api_key, start + timedelta(seconds=i), 0.5) for i in range(200)]
        self.assertEqual(await self.db.litellm_spendlogs.create_many(data=rows, skip_duplicates=True), 200)
        self.assertEqual(await self.db.litellm_spendlogs.count(where={"api_key": api_key}), 200)

    async def test_poison_row_fails_whole_statement(self):
        # utils.py _create_spend_logs_with_poison_isolation (is_prisma_data_error)
        api_key = uid("apikey")
        self._cleanup_api_key(api_key)
        start = utc(2025, 3, 1)
        good = spend_log_payload(uid("req"), api_key, start, 0.1)
        bad = spend_log_payload(uid("req"), api_key, start, 0.2, call_type="acompletion\x00")
        with self.assertRaises(prisma.errors.PrismaError) as caught:
            await self.db.litellm_spendlogs.create_many(data=[good, bad], skip_duplicates=True)
        self.assertIs(type(caught.exception), prisma.errors.DataError, repr(caught.exception))
        self.assertEqual(await self.db.litellm_spendlogs.count(where={"api_key": api_key}), 0)
        # bisection: the good half alone goes in
        self.assertEqual(await self.db.litellm_spendlogs.create_many(data=[good], skip_duplicates=True), 1)

    async def test_batch_cost_row_take_over(self):
        # db_spend_update_writer._claim_batch_cost_spend_log / _take_over_uncharged_batch_cost_row
        api_key = uid("apikey")
        self._cleanup_api_key(api_key)
        request_id = uid("batch")
        row = spend_log_payload(request_id, api_key, utc(2025, 4, 1), 0.0, call_type="aretrieve_batch")
        self.assertEqual(await self.db.litellm_spendlogs.create_many(data=[row], skip_duplicates=True), 1)
        existing = await self.db.litellm_spendlogs.find_unique(where={"request_id": request_id})
        self.assertEqual((existing.call_type, existing.status, existing.spend), ("aretrieve_batch", "success", 0.0))
        update = {
            k: v for k, v in spend_log_payload(request_id, api_key, utc(2025, 4, 1), 12.5).items() if k != "request_id"
        }
        where = {"request_id": request_id, "call_type": "aretrieve_batch", "status": "success", "spend": 0.0}
        self.assertEqual(await self.db.litellm_spendlogs.update_many(data=update, where=where), 1)
        self.assertEqual(await self.db.litellm_spendlogs.update_many(data=update, where=where), 0)
        self.assertEqual((await self.db.litellm_spendlogs.find_unique(where={"request_id": request_id})).spend, 12.5)

    async def test_get_data_spend_and_filters(self):
        # utils.py get_data(table_name="spend"); spend_management_endpoints.ui_view_spend_logs where_conditions
        api_key = uid("apikey")
        self._cleanup_api_key(api_key)
        base = utc(2025, 5, 10, 12)
        rows = [spend_log_payload(uid("req"), api_key, base + timedelta(hours=i), 0.25 * (i + 1)) for i in range(4)]
        rows[3] = spend_log_payload(
            rows[3]["request_id"],
            api_key,
            base + timedelta(hours=3),
            1.0,
            metadata=json.dumps({"user_api_key_alias": "other", "error_information": {"error_code": "500"}}),
        )
        await self.db.litellm_spendlogs.create_many(data=rows, skip_duplicates=True)
        # get_data(table_name="spend", key_val={"key": "api_key", "value": ...}, query_type="find_all")
        by_key = await self.db.litellm_spendlogs.find_many(where={"api_key": api_key})
        self.assertEqual(len(by_key), 4)
        newest_first = await self.db.litellm_spendlogs.find_many(
            where={"api_key": api_key}, order={"startTime": "desc"}
        )
        self.assertEqual([r.request_id for r in newest_first], [r["request_id"] for r in reversed(rows)])
        # ui_view_spend_logs where_conditions: ISO-string datetime range, Json path filters, spend range
        window = {"gte": (base + timedelta(minutes=30)).isoformat(), "lte": (base + timedelta(hours=3)).isoformat()}
        in_window = await self.db.litellm_spendlogs.find_many(where={"api_key": api_key, "startTime": window})
        self.assertEqual({r.request_id for r in in_window}, {r["request_id"] for r in rows[1:]})
        alias_match = await self.db.litellm_spendlogs.find_many(
            where={"api_key": api_key, "metadata": {"path": ["user_api_key_alias"], "string_contains": "Ünï"}}
        )
        self.assertEqual({r.request_id for r in alias_match}, {r["request_id"] for r in rows[:3]})
        code_match = await self.db.litellm_spendlogs.find_many(
            where={
                "api_key": api_key,
                "AND": [{"metadata": {"path": ["error_information", "error_code"], "equals": '"500"'}}],
            }
        )
        self.assertEqual([r.request_id for r in code_match], [rows[3]["request_id"]])
        spend_range = await self.db.litellm_spendlogs.find_many(
            where={"api_key": api_key, "spend": {"gte": 0.5, "lte": 0.75}}, order={"spend": "asc"}
        )
        self.assertEqual([r.spend for r in spend_range], [0.5, 0.75])

    async def test_ui_list_raw_sql(self):
        # spend_management_endpoints.ui_view_spend_logs count_query / sql_query
        api_key = uid("apikey")
        self._cleanup_api_key(api_key)
        base = utc(2025, 6, 1, 8)
        rows = [
            spend_log_payload(uid("req"), api_key, base + timedelta(minutes=10 * i), 0.1 * (i + 1)) for i in range(6)
        ]
        await self.db.litellm_spendlogs.create_many(data=rows, skip_duplicates=True)
        start = base.astimezone(timezone(timedelta(hours=2)))  # an aware non-UTC datetime parameter
        end = base + timedelta(minutes=45)
        conditions = [
            "\"startTime\" >= ($1::timestamptz AT TIME ZONE 'UTC')",
            "\"startTime\" <= ($2::timestamptz AT TIME ZONE 'UTC')",
            "api_key = $3",
            "spend >= $4",
            "metadata->>'user_api_key_alias' LIKE $5",
        ]
        params = [start, end, api_key, 0.15, "%Ünï%"]
        joined = " AND ".join(conditions)
        count_rows = await self.db.query_raw(
            f"""
            SELECT COUNT(*) AS total_count
            FROM (
                SELECT 1
                FROM "LiteLLM_SpendLogs"
                WHERE {joined}
                LIMIT $6
            ) AS bounded_matches
        """,
            *params,
            10001,
        )
        self.assertEqual(int(count_rows[0]["total_count"]), 4)
        self.assertIsInstance(count_rows[0]["total_count"], int)
        page = await self.db.query_raw(
            f"""
            SELECT request_id, api_key, spend, "startTime", "endTime", metadata, request_tags, total_tokens
            FROM "LiteLLM_SpendLogs"
            WHERE {joined} AND (request_id = $6 OR litellm_call_id = $6 OR TRUE)
            ORDER BY (request_id = $6) DESC, "startTime" DESC
            LIMIT $7 OFFSET $8
        """,
            *params,
            rows[2]["request_id"],
            2,
            1,
        )
        # exact request-id first, then newest: rows 2, 4, 3, 1 -> offset 1, limit 2 -> 4, 3
        self.assertEqual([r["request_id"] for r in page], [rows[4]["request_id"], rows[3]["request_id"]])
        first = page[0]
        self.assertAlmostEqual(first["spend"], 0.5, places=12)
        self.assertIsInstance(first["total_tokens"], int)
        self.assertEqual(first["metadata"]["user_api_key_alias"], "Alias-Ünïcode")  # json -> parsed
        self.assertEqual(first["request_tags"], ["prod", "tag-ü"])
        # a raw timestamp column comes back as ISO-8601 text (the plain timestamp column is UTC)
        self.assertIsInstance(first["startTime"], str)
        self.assertEqual(as_utc(datetime.fromisoformat(first["startTime"])), base + timedelta(minutes=40))

    async def test_group_by_sum_window(self):
        # SpendCounterReseed.window_from_spend_logs
        api_key = uid("apikey")
        self._cleanup_api_key(api_key)
        window_start = utc(2025, 7, 1)
        rows = [
            spend_log_payload(uid("req"), api_key, window_start - timedelta(hours=1), 100.0),
            spend_log_payload(uid("req"), api_key, window_start, 0.1),
            spend_log_payload(uid("req"), api_key, window_start + timedelta(hours=1), 0.2),
            spend_log_payload(uid("req"), api_key, window_start + timedelta(hours=2), 0.3),
        ]
        await self.db.litellm_spendlogs.create_many(data=rows, skip_duplicates=True)
        response = await self.db.litellm_spendlogs.group_by(
            by=["api_key"], where={"api_key": api_key, "startTime": {"gte": window_start}}, sum={"spend": True}
        )
        self.assertEqual(len(response), 1)
        self.assertEqual(response[0]["api_key"], api_key)
        self.assertAlmostEqual(float(response[0]["_sum"]["spend"] or 0.0), 0.6, places=9)
        empty = await self.db.litellm_spendlogs.group_by(
            by=["api_key"], where={"api_key": uid("none"), "startTime": {"gte": window_start}}, sum={"spend": True}
        )
        self.assertEqual(empty, [])

    async def test_daily_aggregate_raw(self):
        # the Monthly/Daily spend views' aggregation, run as a raw query (DATE + SUM columns)
        api_key = uid("apikey")
        self._cleanup_api_key(api_key)
        day = utc(2025, 8, 15, 10)
        rows = [spend_log_payload(uid("req"), api_key, day + timedelta(days=i // 2), 1.25) for i in range(4)]
        await self.db.litellm_spendlogs.create_many(data=rows, skip_duplicates=True)
        result = await self.db.query_raw(
            """
            SELECT DATE("startTime") AS date, SUM("spend") AS spend, COUNT(*) AS log_count,
                   SUM(total_tokens)::bigint AS tokens
            FROM "LiteLLM_SpendLogs" WHERE api_key = $1
            GROUP BY DATE("startTime") ORDER BY date
            """,
            api_key,
        )
        self.assertEqual([str(r["date"])[:10] for r in result], ["2025-08-15", "2025-08-16"])
        self.assertEqual([r["spend"] for r in result], [2.5, 2.5])
        self.assertEqual([r["log_count"] for r in result], [2, 2])
        self.assertEqual([r["tokens"] for r in result], [60, 60])


if __name__ == "__main__":
    unittest.main()
