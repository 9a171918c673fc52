"""Value types through the engine: Json, BigInt, DateTime, Float, Bytes, String[] and raw results.

Covers:
  * Json columns written as json.dumps'd text (utils.py PrismaClient.jsonify_object) and as
    ``prisma.Json`` (key_management_endpoints master-key rotation, UserRepository): nested
    objects, lists, unicode and escapes, empty object/list, scalars, integers above 2**53,
    floats; read back equal through the model and through ``query_raw``;
  * BigInt columns (tpm/rpm/tpd limits, daily counters, reload_revision): 2**53+1, 2**63-1,
    -2**63, filters with big values, increments/decrements past 2**53;
  * DateTime: millisecond round trip (prisma-client-py truncates microseconds), non-UTC and
    naive inputs, pre-1970 and far-future values, gt/gte/lt/lte/equals/in/not filters with
    datetimes and ISO strings, ordering, ``@default(now())`` / ``@updatedAt``;
  * Float: exact IEEE round trip of awkward values and sequential ``{"increment": 0.1}`` /
    ``{"decrement": x}`` / ``{"multiply": x}`` giving exactly what double arithmetic gives;
  * Bytes via ``prisma.Base64`` (repositories/managed_file_content_repository.py store/load);
  * String[] columns: empty, unicode, order kept; ``has`` / ``hasSome`` / ``hasEvery`` /
    ``isEmpty`` filters (auth_checks uses ``is_empty``, key list ``hasSome``);
  * ``query_raw`` parameters of type str, int, big int, float, bool, None, datetime, list[str],
    list[int] and JSON text, and result columns text/int/bigint/float/numeric/bool/json/jsonb/
    timestamp/timestamptz/date/uuid/text[]/int[]/bigint[]/NULL; ``query_first``; ``execute_raw``
    row counts for INSERT/UPDATE/DELETE.
"""

from __future__ import annotations

import json
import os
import sys
import unittest
from datetime import datetime, timedelta, timezone

import prisma

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # _support, however the cases are run

from _support import EngineTestCase, as_utc, close_shared_client, uid, utc

tearDownModule = close_shared_client  # disconnect the module's shared client

NESTED_JSON = [
    {"a": {"b": {"c": [1, 2, {"d": None}]}}, "list": [[], [[]], {}], "t": True, "f": False},
    [1, "two", 3.5, None, {"k": ["v"]}],
    {"unicode": "ünïcödé 🚀 漢字 \u2028 \u00e9", "escapes": 'quote" backslash\\ nl\n tab\t nul-free'},
    {},
    [],
    {"big": 2**60, "neg": -(2**60), "small": 1e-12, "pi": 3.141592653589793, "exp": 1.5e300},
    "plain string",
    42,
    0.1,
    True,
]


def ms(value: datetime) -> datetime:
    """What prisma-client-py sends: UTC, microseconds truncated to milliseconds."""
    value = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    value = value.astimezone(timezone.utc)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


class JsonValues(EngineTestCase):
    async def test_json_round_trip(self):
        # utils.py PrismaClient.jsonify_object (json.dumps'd Json columns), ConfigRepository raw reads
        names = [uid("json") for _unused in NESTED_JSON]
        self.cleanup_where("litellm_config", {"param_name": {"in": names}})
        for name, value in zip(names, NESTED_JSON, strict=True):
            created = await self.db.litellm_config.create(data={"param_name": name, "param_value": json.dumps(value)})
            self.assertEqual(created.param_value, value)
        rows = {
            r.param_name: r.param_value
            for r in await self.db.litellm_config.find_many(where={"param_name": {"in": names}})
        }
        self.assertEqual([rows[n] for n in names], NESTED_JSON)
        raw = await self.db.query_raw(
            'SELECT param_name, param_value FROM "LiteLLM_Config" WHERE param_name = ANY($1::text[])', names
        )
        self.assertEqual({r["param_name"]: r["param_value"] for r in raw}, dict(zip(names, NESTED_JSON, strict=True)))

    async def test_prisma_json_wrapper_and_json_columns_of_keys(self):
        # key_management_endpoints master-key rotation (prisma.Json); UserRepository.count_billable_users
        metadata = {"tags": ["ü"], "deep": {"x": [{"y": 2**55}]}}
        key, _unused = await self.make_key(metadata=metadata)
        updated = await self.db.litellm_verificationtoken.update(
            where={"token": key.token},
            data={"metadata": prisma.Json({"replaced": [1, {"two": None}]}), "aliases": prisma.Json({})},
        )
        self.assertEqual(updated.metadata, {"replaced": [1, {"two": None}]})
        self.assertEqual(updated.aliases, {})
        self.assertEqual(key.metadata, metadata)
        # a Json filter with prisma.Json (UserRepository.count_billable_users style)
        self.assertEqual(
            await self.db.litellm_verificationtoken.count(
                where={"token": key.token, "metadata": {"equals": prisma.Json({"replaced": [1, {"two": None}]})}}
            ),
            1,
        )


class BigIntValues(EngineTestCase):
    async def test_bigint_extremes_filters_and_increments(self):
        # BigInt tpm/rpm/tpd limits (budget_management_endpoints), reload_revision increments
        values = {"tpm_limit": 2**53 + 1, "rpm_limit": 2**63 - 1, "tpd_limit": -(2**63)}
        budget = await self.make_budget(**values)
        got = await self.db.litellm_budgettable.find_unique(where={"budget_id": budget.budget_id})
        self.assertEqual((got.tpm_limit, got.rpm_limit, got.tpd_limit), tuple(values.values()))
        for op, value, expect in (
            ("gt", 2**53, True),
            ("gt", 2**53 + 1, False),
            ("gte", 2**53 + 1, True),
            ("equals", 2**53 + 1, True),
            ("equals", 2**53, False),
            ("lt", 2**53 + 2, True),
            ("in", [2**53 + 1, 7], True),
            ("not", 2**53 + 1, False),
        ):
            n = await self.db.litellm_budgettable.count(where={"budget_id": budget.budget_id, "tpm_limit": {op: value}})
            self.assertEqual(n, 1 if expect else 0, (op, value))
        bumped = await self.db.litellm_budgettable.update(
            where={"budget_id": budget.budget_id},
            data={"tpm_limit": {"increment": 2**53}, "rpm_limit": {"decrement": 2**62}, "tpd_limit": {"set": 0}},
        )
        self.assertEqual((bumped.tpm_limit, bumped.rpm_limit, bumped.tpd_limit), (2**54 + 1, 2**63 - 1 - 2**62, 0))
        raw = await self.db.query_first(
            'SELECT tpm_limit, rpm_limit, tpm_limit + $2::bigint AS plus FROM "LiteLLM_BudgetTable" '
            "WHERE budget_id = $1",
            budget.budget_id,
            3,
        )
        self.assertEqual(raw, {"tpm_limit": 2**54 + 1, "rpm_limit": 2**63 - 1 - 2**62, "plus": 2**54 + 4})


class DateTimeValues(EngineTestCase):
    async def test_datetime_round_trip(self):
        # budget_reset_at / expires / temp_budget_expiry written by the budget and key endpoints
        cases = [
            utc(2024, 2, 29, 23, 59, 59, 999000),
            utc(2024, 1, 1, 0, 0, 0, 123456),  # microseconds: truncated to .123
            datetime(2024, 6, 1, 12, 0, 0, 500000, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            datetime(2024, 6, 1, 12, 0, 0, 250000),  # naive: prisma-client-py treats it as UTC
            utc(1969, 12, 31, 23, 59, 59, 1000),
            utc(2999, 12, 31, 23, 59, 59),
        ]
        for value in cases:
            budget = await self.make_budget(budget_reset_at=value, temp_budget_expiry=value)
            got = await self.db.litellm_budgettable.find_unique(where={"budget_id": budget.budget_id})
            self.assertEqual(got.budget_reset_at, ms(value), value)
            self.assertEqual(got.temp_budget_expiry, ms(value), value)
            self.assertIsNotNone(got.budget_reset_at.tzinfo)
            raw = await self.db.query_first(
                'SELECT budget_reset_at FROM "LiteLLM_BudgetTable" WHERE budget_id = $1', budget.budget_id
            )
            self.assertIsInstance(raw["budget_reset_at"], str)
            self.assertEqual(as_utc(datetime.fromisoformat(raw["budget_reset_at"])), ms(value))

    async def test_datetime_filters_order_and_defaults(self):
        # get_data reset queries (lt/gt now), ui_view_spend_logs ISO-string ranges, @default(now())/@updatedAt
        marker = uid("dt")
        base = utc(2025, 1, 1, 12)
        budgets = []
        for i in range(5):
            budgets.append(await self.make_budget(budget_duration=marker, budget_reset_at=base + timedelta(hours=i)))
        ids = [b.budget_id for b in budgets]

        async def select(flt):
            rows = await self.db.litellm_budgettable.find_many(
                where={"budget_duration": marker, "budget_reset_at": flt}, order={"budget_reset_at": "asc"}
            )
            return [r.budget_id for r in rows]

        self.assertEqual(await select({"gt": base + timedelta(hours=1)}), ids[2:])
        self.assertEqual(await select({"gte": base + timedelta(hours=1)}), ids[1:])
        self.assertEqual(await select({"lt": base + timedelta(hours=1)}), ids[:1])
        self.assertEqual(await select({"lte": base + timedelta(hours=1)}), ids[:2])
        self.assertEqual(await select({"equals": base + timedelta(hours=3)}), [ids[3]])
        self.assertEqual(await select(base + timedelta(hours=3)), [ids[3]])
        self.assertEqual(await select({"in": [base, base + timedelta(hours=4)]}), [ids[0], ids[4]])
        self.assertEqual(await select({"not": base}), ids[1:])
        # ISO strings, with an offset (spend_management_endpoints passes .isoformat() strings)
        local = timezone(timedelta(hours=-3))
        self.assertEqual(
            await select(
                {
                    "gte": (base + timedelta(hours=2)).astimezone(local).isoformat(),
                    "lte": (base + timedelta(hours=3)).isoformat(),
                }
            ),
            ids[2:4],
        )
        newest_first = await self.db.litellm_budgettable.find_many(
            where={"budget_duration": marker}, order={"budget_reset_at": "desc"}, take=2
        )
        self.assertEqual([b.budget_id for b in newest_first], [ids[4], ids[3]])
        # @default(now()) and @updatedAt are set by the database/engine and are recent
        now = datetime.now(timezone.utc)
        self.assertLess(abs((budgets[0].created_at - now).total_seconds()), 300)
        before = budgets[0].updated_at
        after = await self.db.litellm_budgettable.update(where={"budget_id": ids[0]}, data={"max_budget": 1.0})
        self.assertGreaterEqual(after.updated_at, before)
        self.assertEqual(after.created_at, budgets[0].created_at)


class FloatValues(EngineTestCase):
    async def test_float_exactness_and_increments(self):
        # spend increments/decrements (db_spend_update_writer, unit_of_work) and max_budget values
        awkward = [0.1, 1 / 3, 123456789.12345679, 1e-300, 5e-324, 1.5e300, 2.0**53 + 2]
        for value in awkward:
            budget = await self.make_budget(max_budget=value)
            got = await self.db.litellm_budgettable.find_unique(where={"budget_id": budget.budget_id})
            # Prisma's engines turn a Float input into a BigDecimal with BigDecimal::from_f64, which keeps
            # 16 significant digits ("{:.15e}"); the native engine stores that, so both are accepted here.
            self.assertIn(got.max_budget, (value, float(f"{value:.15e}")), value)
            self.assertIsInstance(got.max_budget, float)
        key, _unused = await self.make_key(spend=0.0)
        expected = 0.0
        for _unused in range(10):
            await self.db.litellm_verificationtoken.update_many(
                where={"token": key.token}, data={"spend": {"increment": 0.1}}
            )
            expected += 0.1
        got = await self.db.litellm_verificationtoken.find_unique(where={"token": key.token})
        self.assertEqual(got.spend, expected)  # 0.9999999999999999: double arithmetic, no rounding
        after = await self.db.litellm_verificationtoken.update(
            where={"token": key.token}, data={"spend": {"decrement": 0.0001234}, "max_budget": {"set": 2.5}}
        )
        self.assertEqual(after.spend, expected - 0.0001234)
        self.assertEqual(after.max_budget, 2.5)
        tripled = await self.db.litellm_verificationtoken.update(
            where={"token": key.token}, data={"max_budget": {"multiply": 3}}
        )
        self.assertEqual(tripled.max_budget, 7.5)
        # an integral float comes back as a float
        whole = await self.db.litellm_verificationtoken.update(where={"token": key.token}, data={"spend": 2.0})
        self.assertIsInstance(whole.spend, float)


class BytesAndArrays(EngineTestCase):
    async def test_bytes_round_trip(self):
        # repositories/managed_file_content_repository.py store / load / delete
        payloads = [b"", b"\x00\x01\x02\xff" * 64, "ünïcode ✓".encode(), bytes(range(256)) * 40]
        for content in payloads:
            row = await self.db.litellm_managedfilecontenttable.create(data={"content": prisma.Base64.encode(content)})
            self.cleanup_where("litellm_managedfilecontenttable", {"id": row.id})
            got = await self.db.litellm_managedfilecontenttable.find_unique(where={"id": row.id})
            self.assertEqual(got.content.decode(), content)
            self.assertIsNotNone(await self.db.litellm_managedfilecontenttable.delete(where={"id": row.id}))
            self.assertIsNone(await self.db.litellm_managedfilecontenttable.delete(where={"id": row.id}))

    async def test_string_arrays(self):
        # models/allowed_routes String[] columns; auth_checks is_empty, key list hasSome
        models = ["z-last", "a-first", "ünï", "with,comma", 'with"quote', "with space", "{brace}", "NULL", ""]
        key, _unused = await self.make_key(models=models, allowed_routes=[])
        got = await self.db.litellm_verificationtoken.find_unique(where={"token": key.token})
        self.assertEqual(got.models, models)
        self.assertEqual(got.allowed_routes, [])
        base = {"token": key.token}
        checks = [
            ({"models": {"has": "ünï"}}, 1),
            ({"models": {"has": "absent"}}, 0),
            ({"models": {"hasSome": ["absent", "with,comma"]}}, 1),
            ({"models": {"has_some": ["absent"]}}, 0),
            ({"models": {"has_every": ["a-first", "NULL"]}}, 1),
            ({"models": {"hasEvery": ["a-first", "absent"]}}, 0),
            ({"allowed_routes": {"is_empty": True}}, 1),
            ({"models": {"is_empty": False}}, 1),
            ({"models": {"equals": models}}, 1),
        ]
        for flt, expected in checks:
            self.assertEqual(await self.db.litellm_verificationtoken.count(where={**base, **flt}), expected, flt)
        pushed = await self.db.litellm_verificationtoken.update(
            where={"token": key.token}, data={"models": {"push": ["new"]}, "allowed_routes": {"set": ["/x", "/y"]}}
        )
        self.assertEqual((pushed.models[-1], pushed.allowed_routes), ("new", ["/x", "/y"]))


class RawQueries(EngineTestCase):
    async def test_raw_parameter_and_result_types(self):
        # raw queries across LiteLLM (daily_activity_sql, ui_view_spend_logs, config CAS)
        when = utc(2024, 5, 6, 7, 8, 9, 10000)
        row = await self.db.query_first(
            """
            SELECT $1::text AS t, $2::int AS i, $3::bigint AS b, $4::float8 AS f, $5::bool AS yes,
                   $6::text IS NULL AS was_null, $7::timestamptz AS ts, $8::text[] AS texts,
                   $9::int[] AS ints, $10::jsonb AS jb, $11::json AS j, $12::bigint[] AS bigs,
                   2.5::float8 AS lit_f, 3.0::float8 AS whole_f, 0.1::numeric + 0.2::numeric AS num,
                   '2024-01-02'::date AS d, TIMESTAMP '2024-01-02 03:04:05.678' AS plain_ts,
                   '8f8d2d1e-2c1b-4f3e-9a77-0123456789ab'::uuid AS u, NULL::text AS nothing,
                   true AS lit_true, 'ünï ✓'::text AS uni
            """,
            "hello",
            -42,
            2**62 + 7,
            0.1,
            True,
            None,
            when,
            ["a", "b,c", "ü"],
            [1, 2, 3],
            json.dumps({"k": [1, {"x": None}], "big": 2**60}),
            json.dumps([True, "s"]),
            [2**53 + 1, -5],
        )
        self.assertEqual(row["t"], "hello")
        self.assertEqual(row["i"], -42)
        self.assertEqual(row["b"], 2**62 + 7)
        self.assertEqual(row["f"], 0.1)
        self.assertIs(row["yes"], True)
        self.assertIs(row["was_null"], True)
        self.assertEqual(as_utc(datetime.fromisoformat(row["ts"])), ms(when))
        self.assertEqual(row["texts"], ["a", "b,c", "ü"])
        self.assertEqual(row["ints"], [1, 2, 3])
        self.assertEqual(row["jb"], {"k": [1, {"x": None}], "big": 2**60})
        self.assertEqual(row["j"], [True, "s"])
        self.assertEqual(row["bigs"], [2**53 + 1, -5])
        self.assertEqual(row["lit_f"], 2.5)
        self.assertEqual(row["whole_f"], 3.0)
        self.assertIsInstance(row["whole_f"], float)  # a float8 column is a Python float, even when integral
        self.assertAlmostEqual(row["num"], 0.3, places=12)
        self.assertEqual(str(row["d"])[:10], "2024-01-02")
        self.assertEqual(as_utc(datetime.fromisoformat(row["plain_ts"])), utc(2024, 1, 2, 3, 4, 5, 678000))
        self.assertEqual(row["u"], "8f8d2d1e-2c1b-4f3e-9a77-0123456789ab")
        self.assertIsNone(row["nothing"])
        self.assertIs(row["lit_true"], True)
        self.assertEqual(row["uni"], "ünï ✓")
        self.assertEqual(
            list(row),
            [
                "t",
                "i",
                "b",
                "f",
                "yes",
                "was_null",
                "ts",
                "texts",
                "ints",
                "jb",
                "j",
                "bigs",
                "lit_f",
                "whole_f",
                "num",
                "d",
                "plain_ts",
                "u",
                "nothing",
                "lit_true",
                "uni",
            ],
        )

    async def test_query_raw_rows_query_first_and_execute_raw_counts(self):
        # proxy_worker_heartbeat execute_raw counts; query_first(model=...) typed reads
        names = [uid("raw") for _unused in range(4)]
        self.cleanup_where("litellm_config", {"param_name": {"in": names}})
        inserted = await self.db.execute_raw(
            'INSERT INTO "LiteLLM_Config" (param_name, param_value) VALUES ($1, $5::jsonb), ($2, $5::jsonb), '
            "($3, $5::jsonb), ($4, $5::jsonb)",
            *names,
            json.dumps({"v": 1}),
        )
        self.assertEqual(inserted, 4)
        self.assertEqual(
            await self.db.execute_raw(
                'UPDATE "LiteLLM_Config" SET reload_revision = reload_revision + $2 WHERE param_name = ANY($1::text[])',
                names[:3],
                2**40,
            ),
            3,
        )
        self.assertEqual(
            await self.db.execute_raw('UPDATE "LiteLLM_Config" SET reload_revision = 0 WHERE param_name = $1', uid()), 0
        )
        rows = await self.db.query_raw(
            'SELECT param_name, reload_revision FROM "LiteLLM_Config" WHERE param_name = ANY($1::text[]) '
            "ORDER BY param_name",
            names,
        )
        self.assertEqual(
            rows,
            sorted(
                [{"param_name": n, "reload_revision": 2**40 if n in names[:3] else 0} for n in names],
                key=lambda r: r["param_name"],
            ),
        )
        first = await self.db.query_first(
            'SELECT param_name FROM "LiteLLM_Config" WHERE param_name = ANY($1::text[]) ORDER BY param_name DESC', names
        )
        self.assertEqual(first, {"param_name": max(names)})
        self.assertIsNone(
            await self.db.query_first('SELECT param_name FROM "LiteLLM_Config" WHERE param_name = $1', uid())
        )
        self.assertEqual(
            await self.db.query_raw('SELECT param_name FROM "LiteLLM_Config" WHERE param_name = $1', uid()), []
        )
        self.assertEqual(
            await self.db.execute_raw('DELETE FROM "LiteLLM_Config" WHERE param_name = ANY($1::text[])', names), 4
        )
        # the model= form of query_raw / query_first
        key, _unused = await self.make_key(spend=1.25)
        typed = await self.db.query_first(
            'SELECT * FROM "LiteLLM_VerificationToken" WHERE token = $1',
            key.token,
            model=prisma.models.LiteLLM_VerificationToken,
        )
        self.assertEqual((typed.token, typed.spend, typed.metadata), (key.token, 1.25, {}))


if __name__ == "__main__":
    unittest.main()
