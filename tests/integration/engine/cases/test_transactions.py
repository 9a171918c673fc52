"""Interactive transactions (``db.tx()``) and batches (``db.batch_()``).

LiteLLM opens interactive transactions for team/key/org writes (team_endpoints,
key_management_endpoints, organization_endpoints, bulk helpers) and for every spend flush
(db_spend_update_writer._spend_update_tx, utils.ProxyUpdateSpend); it batches the reset-budget
writes (repositories/unit_of_work.py), the rollups (model_usage_rollup, spend_log_tool_index) and
update_data's ``update_many`` branches (utils.py). Covers:
  * commit: writes of every kind in the tx are visible after ``async with`` exits, not before
    (read-committed isolation against the outer client), and read-your-writes inside the tx;
  * rollback: an exception in the block rolls back model writes and raw writes and propagates;
    a database error inside the tx (unique violation) rolls everything back and the client stays
    usable; the explicit ``tx_manager = db.tx()`` / ``async with tx_manager as tx`` form
    (organization_endpoints) and ``start()/rollback()``;
  * ``tx(timeout=...)``, ``tx(max_wait=..., timeout=...)`` (lens/repository.py) and a tx that
    outlives its timeout: its next query and its commit fail with prisma.errors.TransactionError
    and nothing is committed;
  * ``batch_()`` as a context manager and with ``commit()``: all-or-nothing when a statement
    violates a unique key or updates a missing row (RecordNotFoundError, P2025), ``update_many``
    of a missing row being harmless, ``execute_raw`` in a batch, and a batch inside a tx rolled back
    with the tx;
  * ``SELECT ... FOR UPDATE`` inside a tx (model_management_endpoints) blocking a second tx of the
    same client until the first commits (the engine must run transactions on separate
    connections);
  * a long transaction (200 statements).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import unittest
from datetime import timedelta

import prisma.engine.errors
import prisma.errors

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # _support, however the cases are run

from _support import EngineTestCase, close_shared_client, uid

tearDownModule = close_shared_client  # disconnect the module's shared client


class _Boom(Exception):
    pass


class InteractiveTransactions(EngineTestCase):
    async def test_commit_visibility_and_read_your_writes(self):
        # team_endpoints.new_team / _spend_update_tx: writes committed only when the tx block exits
        team_id, user_id, param = uid("team"), uid("user"), uid("param")
        self.cleanup_where("litellm_teamtable", {"team_id": team_id})
        self.cleanup_where("litellm_usertable", {"user_id": user_id})
        self.cleanup_where("litellm_config", {"param_name": param})
        async with self.db.tx(timeout=timedelta(seconds=60)) as tx:
            await tx.litellm_teamtable.create(data={"team_id": team_id, "admins": [], "members": [], "models": []})
            await tx.litellm_usertable.create(data={"user_id": user_id, "models": [], "teams": [team_id]})
            await tx.execute_raw(
                'INSERT INTO "LiteLLM_Config" (param_name, param_value) VALUES ($1, $2::jsonb)',
                param,
                json.dumps({"a": 1}),
            )
            # read-your-writes inside the tx
            self.assertIsNotNone(await tx.litellm_teamtable.find_unique(where={"team_id": team_id}))
            self.assertEqual(await tx.litellm_usertable.count(where={"teams": {"has": team_id}}), 1)
            self.assertEqual(
                await tx.query_raw('SELECT param_value FROM "LiteLLM_Config" WHERE param_name = $1', param),
                [{"param_value": {"a": 1}}],
            )
            # not visible outside before commit
            self.assertIsNone(await self.db.litellm_teamtable.find_unique(where={"team_id": team_id}))
            self.assertEqual(
                await self.db.query_raw('SELECT 1 AS x FROM "LiteLLM_Config" WHERE param_name = $1', param), []
            )
        self.assertIsNotNone(await self.db.litellm_teamtable.find_unique(where={"team_id": team_id}))
        self.assertIsNotNone(await self.db.litellm_usertable.find_unique(where={"user_id": user_id}))
        self.assertEqual((await self.db.litellm_config.find_unique(where={"param_name": param})).param_value, {"a": 1})

    async def test_rollback_on_exception(self):
        # prisma_client.tx() blocks in team/key endpoints raising HTTPException mid-way
        team_id, param = uid("team"), uid("param")
        existing = await self.make_team(spend=1.0)
        self.cleanup_where("litellm_teamtable", {"team_id": team_id})
        self.cleanup_where("litellm_config", {"param_name": param})
        with self.assertRaises(_Boom):
            async with self.db.tx() as tx:
                await tx.litellm_teamtable.create(data={"team_id": team_id, "admins": [], "members": [], "models": []})
                await tx.litellm_teamtable.update(
                    where={"team_id": existing.team_id}, data={"spend": {"increment": 5.0}}
                )
                await tx.execute_raw('INSERT INTO "LiteLLM_Config" (param_name) VALUES ($1)', param)
                raise _Boom()
        self.assertIsNone(await self.db.litellm_teamtable.find_unique(where={"team_id": team_id}))
        self.assertEqual((await self.db.litellm_teamtable.find_unique(where={"team_id": existing.team_id})).spend, 1.0)
        self.assertIsNone(await self.db.litellm_config.find_unique(where={"param_name": param}))

    async def test_database_error_rolls_back_and_client_recovers(self):
        # bulk_user_creation / team_endpoints tx hitting a unique violation
        dup = await self.make_user()
        new_user = uid("user")
        self.cleanup_where("litellm_usertable", {"user_id": new_user})
        for _unused in range(2):  # twice: the failed tx must not poison a pooled connection
            with self.assertRaises(prisma.errors.UniqueViolationError):
                async with self.db.tx() as tx:
                    await tx.litellm_usertable.create(data={"user_id": new_user, "models": []})
                    await tx.litellm_usertable.create(data={"user_id": dup.user_id, "models": []})
            self.assertIsNone(await self.db.litellm_usertable.find_unique(where={"user_id": new_user}))
        async with self.db.tx() as tx:
            await tx.litellm_usertable.create(data={"user_id": new_user, "models": []})
        self.assertIsNotNone(await self.db.litellm_usertable.find_unique(where={"user_id": new_user}))
        # an update of a missing row inside a tx returns None and leaves the tx usable
        other = uid("user")
        self.cleanup_where("litellm_usertable", {"user_id": other})
        async with self.db.tx() as tx:
            self.assertIsNone(await tx.litellm_usertable.update(where={"user_id": uid("user")}, data={"spend": 1.0}))
            await tx.litellm_usertable.create(data={"user_id": other, "models": []})
        self.assertIsNotNone(await self.db.litellm_usertable.find_unique(where={"user_id": other}))

    async def test_explicit_manager_forms(self):
        # organization_endpoints.update_organization (tx_manager = prisma_client.db.tx()); lens/repository.py
        # tx(max_wait=..)
        a, b = uid("param"), uid("param")
        self.cleanup_where("litellm_config", {"param_name": {"in": [a, b]}})
        tx_manager = self.db.tx(max_wait=timedelta(seconds=30), timeout=timedelta(seconds=30))
        async with tx_manager as tx:
            await tx.litellm_config.create(data={"param_name": a})
        self.assertIsNotNone(await self.db.litellm_config.find_unique(where={"param_name": a}))
        manager = self.db.tx()
        tx = await manager.start()
        await tx.litellm_config.create(data={"param_name": b})
        self.assertIsNotNone(await tx.litellm_config.find_unique(where={"param_name": b}))
        await manager.rollback()
        self.assertIsNone(await self.db.litellm_config.find_unique(where={"param_name": b}))

    async def test_expired_transaction(self):
        # bulk_team_member_budgets / bulk_user_deletion tx(timeout=_BATCH_TX_TIMEOUT) overrunning
        param = uid("param")
        self.cleanup_where("litellm_config", {"param_name": param})
        with self.assertRaises(prisma.errors.TransactionError):
            async with self.db.tx(timeout=timedelta(milliseconds=400)) as tx:
                await tx.litellm_config.create(data={"param_name": param})
                await asyncio.sleep(1.2)
                await tx.litellm_config.find_unique(where={"param_name": param})
        # leaving the block commits: the engine must refuse, the tx being rolled back already. (The
        # native engine answers that commit with a non-2xx status, which prisma-client-py raises as
        # EngineRequestError; a P2028 body in a 2xx answer raises TransactionError: both are fine.)
        with self.assertRaises((prisma.errors.TransactionError, prisma.engine.errors.EngineRequestError)):
            async with self.db.tx(timeout=timedelta(milliseconds=400)) as tx:
                await tx.litellm_config.create(data={"param_name": param})
                await asyncio.sleep(1.2)
        self.assertIsNone(await self.db.litellm_config.find_unique(where={"param_name": param}))
        # and the row is not locked by a leaked transaction
        async with self.db.tx(timeout=timedelta(seconds=5)) as tx:
            await tx.litellm_config.create(data={"param_name": param})
        self.assertIsNotNone(await self.db.litellm_config.find_unique(where={"param_name": param}))

    async def test_for_update_blocks_second_transaction(self):
        # model_management_endpoints: 'SELECT model_id FROM "LiteLLM_ProxyModelTable" WHERE model_id = $1 FOR UPDATE'
        param = uid("param")
        self.cleanup_where("litellm_config", {"param_name": param})
        await self.db.litellm_config.create(data={"param_name": param, "reload_revision": 0})
        order: list[str] = []
        holder_locked = asyncio.Event()

        async def holder():
            async with self.db.tx(timeout=timedelta(seconds=20)) as tx:
                await tx.query_raw('SELECT param_name FROM "LiteLLM_Config" WHERE param_name = $1 FOR UPDATE', param)
                holder_locked.set()
                await asyncio.sleep(0.5)
                await tx.litellm_config.update(where={"param_name": param}, data={"reload_revision": {"increment": 1}})
                order.append("holder-commit")

        async def waiter():
            await holder_locked.wait()
            async with self.db.tx(timeout=timedelta(seconds=20)) as tx:
                rows = await tx.query_raw(
                    'SELECT reload_revision FROM "LiteLLM_Config" WHERE param_name = $1 FOR UPDATE', param
                )
                order.append("waiter-locked")
                # the lock was granted only after the holder committed: it sees its increment
                self.assertEqual(rows, [{"reload_revision": 1}])
                await tx.litellm_config.update(where={"param_name": param}, data={"reload_revision": {"increment": 1}})

        await asyncio.wait_for(asyncio.gather(holder(), waiter()), 30)
        self.assertEqual(order, ["holder-commit", "waiter-locked"])
        self.assertEqual((await self.db.litellm_config.find_unique(where={"param_name": param})).reload_revision, 2)

    async def test_long_transaction(self):
        # management_helpers/bulk_user_creation.py: many statements in one tx
        names = [uid("param") for _unused in range(200)]
        self.cleanup_where("litellm_config", {"param_name": {"in": names}})
        async with self.db.tx(timeout=timedelta(seconds=60)) as tx:
            for name in names:
                await tx.litellm_config.create(data={"param_name": name, "param_value": json.dumps({"n": name})})
        self.assertEqual(await self.db.litellm_config.count(where={"param_name": {"in": names}}), 200)


class Batches(EngineTestCase):
    async def test_batch_commits_atomically(self):
        # utils.py update_data(query_type="update_many") batches; model_usage_rollup batch with execute_raw
        a, b = uid("param"), uid("param")
        self.cleanup_where("litellm_config", {"param_name": {"in": [a, b]}})
        async with self.db.batch_() as batcher:
            batcher.litellm_config.create(data={"param_name": a, "param_value": json.dumps([1])})
            batcher.litellm_config.create(data={"param_name": b})
            batcher.litellm_config.update(where={"param_name": a}, data={"reload_revision": 5})
            batcher.litellm_config.update_many(where={"param_name": uid("missing")}, data={"reload_revision": 1})
            batcher.execute_raw(
                'UPDATE "LiteLLM_Config" SET reload_revision = reload_revision + 1 WHERE param_name = $1', b
            )
        rows = {r.param_name: r for r in await self.db.litellm_config.find_many(where={"param_name": {"in": [a, b]}})}
        self.assertEqual((rows[a].reload_revision, rows[a].param_value, rows[b].reload_revision), (5, [1], 1))

    async def test_failing_batch_leaves_nothing(self):
        # unit_of_work / reset_budget_job batches: all-or-nothing commit
        existing = await self.make_user()
        fresh = [uid("param"), uid("param")]
        self.cleanup_where("litellm_config", {"param_name": {"in": fresh}})
        # a unique violation in the middle
        with self.assertRaises(prisma.errors.UniqueViolationError):
            async with self.db.batch_() as batcher:
                batcher.litellm_config.create(data={"param_name": fresh[0]})
                batcher.litellm_usertable.create(data={"user_id": existing.user_id, "models": []})
                batcher.litellm_config.create(data={"param_name": fresh[1]})
        self.assertEqual(await self.db.litellm_config.count(where={"param_name": {"in": fresh}}), 0)
        # an update of a missing row (update, not update_many: P2025)
        batcher = self.db.batch_()
        batcher.litellm_config.create(data={"param_name": fresh[0]})
        batcher.litellm_usertable.update(where={"user_id": uid("user")}, data={"spend": 1.0})
        with self.assertRaises(prisma.errors.RecordNotFoundError):
            await batcher.commit()
        self.assertEqual(await self.db.litellm_config.count(where={"param_name": {"in": fresh}}), 0)
        # a raw statement that fails
        with self.assertRaises(prisma.errors.PrismaError):
            async with self.db.batch_() as batcher:
                batcher.litellm_config.create(data={"param_name": fresh[1]})
                batcher.execute_raw('UPDATE "LiteLLM_Config" SET reload_revision = 1/0 WHERE param_name = $1', fresh[1])
        self.assertEqual(await self.db.litellm_config.count(where={"param_name": {"in": fresh}}), 0)
        # the client is fine and a later batch commits
        async with self.db.batch_() as batcher:
            batcher.litellm_config.create(data={"param_name": fresh[0]})
        self.assertEqual(await self.db.litellm_config.count(where={"param_name": {"in": fresh}}), 1)

    async def test_batch_inside_transaction_rolls_back_with_it(self):
        # db_spend_update_writer: transaction.batch_() inside _spend_update_tx
        names = [uid("param"), uid("param")]
        self.cleanup_where("litellm_config", {"param_name": {"in": names}})
        with self.assertRaises(_Boom):
            async with self.db.tx(timeout=timedelta(seconds=60)) as tx:
                await tx.execute_raw("SELECT set_config('lock_timeout', $1::text, true)", "5000ms")
                async with tx.batch_() as batcher:
                    for name in names:
                        batcher.litellm_config.create(data={"param_name": name})
                # the batch ran inside the tx: visible in it, not outside
                self.assertEqual(await tx.litellm_config.count(where={"param_name": {"in": names}}), 2)
                self.assertEqual(await self.db.litellm_config.count(where={"param_name": {"in": names}}), 0)
                raise _Boom()
        self.assertEqual(await self.db.litellm_config.count(where={"param_name": {"in": names}}), 0)
        async with self.db.tx() as tx, tx.batch_() as batcher:
            for name in names:
                batcher.litellm_config.create(data={"param_name": name})
        self.assertEqual(await self.db.litellm_config.count(where={"param_name": {"in": names}}), 2)


if __name__ == "__main__":
    unittest.main()
