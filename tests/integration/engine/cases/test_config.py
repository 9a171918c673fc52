"""LiteLLM_Config: the proxy's DB-backed config rows (Json param_value, BigInt reload_revision).

Covers:
  * ``upsert(create/update param_value=json.dumps(...))`` run concurrently with
    ``asyncio.gather`` (utils.py PrismaClient.insert_data table_name="config") and
    ConfigRepository.set_param, with every JSON shape LiteLLM stores (dict, list, nested, unicode,
    empty dict, string, number, bool);
  * ``find_unique`` (ConfigRepository.get_param, periodic_reload_schedule.read_reload_schedule),
    ``find_many()`` (get_all_params);
  * ``update_many(param_value)`` / ``update_many(last_run_at)`` (periodic_reload_schedule
    clear_reload_interval / record_reload_run) and ``upsert`` with
    ``{"reload_revision": {"increment": 1}}`` on the BigInt column (record_manual_reload);
  * the compare-and-set raw SQL ``INSERT ... SELECT $1, $2::jsonb ... WHERE $3::int = 0 ON
    CONFLICT ... RETURNING`` and its ``UPDATE ... RETURNING`` twin (ConfigRepository
    set_param_if_revision);
  * the section write under ``tx.query_raw("SELECT 1 AS locked FROM pg_advisory_xact_lock(...)")``
    followed by ``find_first`` and ``upsert`` in the same tx (proxy_server.py
    ProxyConfig._upsert_changed_config_section);
  * ``delete`` and delete of a missing row returning None (ConfigRepository.delete_param).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import unittest
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # _support, however the cases are run

from _support import EngineTestCase, close_shared_client, uid

tearDownModule = close_shared_client  # disconnect the module's shared client

SET_IF_REVISION_ZERO_SQL = """INSERT INTO "LiteLLM_Config" (param_name, param_value, last_run_at)
               SELECT $1, $2::jsonb, NOW() WHERE $3::int = 0
               ON CONFLICT (param_name) DO UPDATE
               SET param_value = EXCLUDED.param_value, last_run_at = NOW()
               WHERE COALESCE(("LiteLLM_Config".param_value->>'revision')::int, 0) = $3::int
               RETURNING param_name"""
SET_IF_REVISION_SQL = """UPDATE "LiteLLM_Config" SET param_value = $2::jsonb, last_run_at = NOW()
               WHERE param_name = $1 AND COALESCE((param_value->>'revision')::int, 0) = $3::int
               RETURNING param_name"""
CONFIG_SECTION_LOCK_SQL = "SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtext($1))"

JSON_VALUES = {
    "dict": {"model": "gpt-4o", "n": 1, "f": 0.5, "ok": True, "none": None},
    "list": [1, "two", {"three": [3]}, None, False],
    "nested": {"a": {"b": {"c": {"d": [{"e": "deep"}]}}}},
    "unicode": {"emoji": "🚀✓", "accents": "ünïcödé", "cjk": "漢字", "quote": 'he said "hi"\n\ttab\\'},
    "empty_dict": {},
    "empty_list": [],
    "string": "just a string",
    "number": 12345.5,
    "bool": True,
}


class ConfigTable(EngineTestCase):
    async def test_insert_data_config_and_reads(self):
        # utils.py PrismaClient.insert_data(table_name="config"); ConfigRepository.get_param / get_all_params
        names = {kind: uid(f"cfg-{kind.replace('_', '-')}") for kind in JSON_VALUES}
        self.cleanup_where("litellm_config", {"param_name": {"in": list(names.values())}})
        # insert_data(table_name="config"): one upsert per param, gathered
        await asyncio.gather(
            *(
                self.db.litellm_config.upsert(
                    where={"param_name": names[kind]},
                    data={
                        "create": {"param_name": names[kind], "param_value": json.dumps(value)},
                        "update": {"param_value": json.dumps(value)},
                    },
                )
                for kind, value in JSON_VALUES.items()
            )
        )
        for kind, value in JSON_VALUES.items():
            row = await self.db.litellm_config.find_unique(where={"param_name": names[kind]})
            self.assertEqual(row.param_value, value, kind)
            self.assertEqual(row.reload_revision, 0)
            self.assertIsNone(row.last_run_at)
        # update path of the same upsert
        changed = {"general_settings": {"x": [1, 2]}}
        row = await self.db.litellm_config.upsert(
            where={"param_name": names["dict"]},
            data={
                "create": {"param_name": names["dict"], "param_value": json.dumps(changed)},
                "update": {"param_value": json.dumps(changed)},
            },
        )
        self.assertEqual(row.param_value, changed)
        everything = await self.db.litellm_config.find_many()
        ours = {r.param_name: r.param_value for r in everything if r.param_name in names.values()}
        self.assertEqual(len(ours), len(names))
        # the raw read of the same column yields decoded JSON
        raw = await self.db.query_raw(
            'SELECT param_name, param_value FROM "LiteLLM_Config" WHERE param_name = $1', names["unicode"]
        )
        self.assertEqual(raw, [{"param_name": names["unicode"], "param_value": JSON_VALUES["unicode"]}])

    async def test_reload_schedule(self):
        # common_utils/periodic_reload_schedule.py
        name = uid("cfg-reload")
        self.cleanup_where("litellm_config", {"param_name": name})
        interval = json.dumps({"interval_hours": 6})
        await self.db.litellm_config.upsert(
            where={"param_name": name},
            data={"create": {"param_name": name, "param_value": interval}, "update": {"param_value": interval}},
        )
        ran_at = datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)
        self.assertEqual(
            await self.db.litellm_config.update_many(data={"last_run_at": ran_at}, where={"param_name": name}), 1
        )
        revisions = []
        for _unused in range(3):
            row = await self.db.litellm_config.upsert(
                where={"param_name": name},
                data={
                    "create": {"param_name": name, "last_run_at": ran_at, "reload_revision": 1},
                    "update": {"last_run_at": ran_at, "reload_revision": {"increment": 1}},
                },
            )
            revisions.append(int(row.reload_revision))
        self.assertEqual(revisions, [1, 2, 3])
        row = await self.db.litellm_config.find_unique(where={"param_name": name})
        self.assertEqual(row.last_run_at, ran_at)
        self.assertEqual(row.param_value, {"interval_hours": 6})
        # clear_reload_interval nulls inside the JSON
        cleared = json.dumps({"interval_hours": None})
        self.assertEqual(
            await self.db.litellm_config.update_many(data={"param_value": cleared}, where={"param_name": name}), 1
        )
        self.assertEqual(
            (await self.db.litellm_config.find_unique(where={"param_name": name})).param_value, {"interval_hours": None}
        )
        # a row created by record_manual_reload (create branch)
        fresh = uid("cfg-reload")
        self.cleanup_where("litellm_config", {"param_name": fresh})
        created = await self.db.litellm_config.upsert(
            where={"param_name": fresh},
            data={
                "create": {"param_name": fresh, "last_run_at": ran_at, "reload_revision": 1},
                "update": {"last_run_at": ran_at, "reload_revision": {"increment": 1}},
            },
        )
        self.assertEqual((created.reload_revision, created.param_value), (1, None))
        # BigInt above 2**53 on the revision column
        big = await self.db.litellm_config.update(where={"param_name": fresh}, data={"reload_revision": 2**62 + 1})
        self.assertEqual(big.reload_revision, 2**62 + 1)
        bumped = await self.db.litellm_config.update(
            where={"param_name": fresh}, data={"reload_revision": {"increment": 1}}
        )
        self.assertEqual(bumped.reload_revision, 2**62 + 2)

    async def test_set_param_if_revision(self):
        # repositories/config_repository.py ConfigRepository.set_param_if_revision
        name = uid("cfg-cas")
        self.cleanup_where("litellm_config", {"param_name": name})
        v1 = {"revision": 1, "models": ["a"]}
        rows = await self.db.query_raw(SET_IF_REVISION_ZERO_SQL, name, json.dumps(v1), 0)
        self.assertEqual(rows, [{"param_name": name}])
        # the same revision-0 write again loses: the stored revision is 1
        self.assertEqual(await self.db.query_raw(SET_IF_REVISION_ZERO_SQL, name, json.dumps(v1), 0), [])
        v2 = {"revision": 2, "models": ["a", "b"]}
        self.assertEqual(await self.db.query_raw(SET_IF_REVISION_SQL, name, json.dumps(v2), 1), [{"param_name": name}])
        self.assertEqual(await self.db.query_raw(SET_IF_REVISION_SQL, name, json.dumps(v2), 1), [])
        row = await self.db.litellm_config.find_unique(where={"param_name": name})
        self.assertEqual(row.param_value, v2)
        self.assertIsNotNone(row.last_run_at)

    async def test_config_section_under_lock(self):
        # proxy_server.py ProxyConfig._upsert_changed_config_section
        name = uid("cfg-section")
        self.cleanup_where("litellm_config", {"param_name": name})
        for attempt in range(2):
            async with self.db.tx() as tx:
                locked = await tx.query_raw(CONFIG_SECTION_LOCK_SQL, name)
                self.assertEqual(locked, [{"locked": 1}])
                existing = await tx.litellm_config.find_first(where={"param_name": name})
                current = existing.param_value if existing is not None else {}
                self.assertEqual(current, {} if attempt == 0 else {"k0": 0})
                merged = json.dumps({**current, f"k{attempt}": attempt})
                await tx.litellm_config.upsert(
                    where={"param_name": name},
                    data={"create": {"param_name": name, "param_value": merged}, "update": {"param_value": merged}},
                )
        self.assertEqual(
            (await self.db.litellm_config.find_unique(where={"param_name": name})).param_value, {"k0": 0, "k1": 1}
        )

    async def test_delete_param(self):
        # repositories/config_repository.py ConfigRepository.delete_param
        name = uid("cfg-del")
        self.cleanup_where("litellm_config", {"param_name": name})
        await self.db.litellm_config.create(data={"param_name": name, "param_value": json.dumps({"x": 1})})
        deleted = await self.db.litellm_config.delete(where={"param_name": name})
        self.assertEqual((deleted.param_name, deleted.param_value), (name, {"x": 1}))
        self.assertIsNone(await self.db.litellm_config.delete(where={"param_name": name}))
        self.assertIsNone(await self.db.litellm_config.find_unique(where={"param_name": name}))


if __name__ == "__main__":
    unittest.main()
