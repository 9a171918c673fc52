"""Concurrency: one client under a burst of mixed traffic, several transactions at once, two
clients (two engine processes, like two LiteLLM workers or pods) writing the same rows, and the
lock-timeout / deadlock errors LiteLLM's spend flush classifies and retries.

Covers:
  * ~50 concurrent mixed operations through one client (``asyncio.gather`` of creates, the auth
    ``query_first``, find_unique/find_many/count, ``update_many`` increments of one hot row,
    upserts, raw queries, transactions and batches), every result checked;
  * 10 interactive transactions open at once on one client, each incrementing the same row;
  * two clients flushing spend into the same key/team/user rows with LiteLLM's exact flush shape
    (``tx(timeout=60s)`` + ``set_config(lock_timeout)`` + ``batch_()`` of ``update_many``
    ``{"increment": x}``, db_spend_update_writer._commit_spend_updates_to_db) and with the raw
    daily-spend upsert (build_bulk_upsert), giving the exact totals;
  * a row lock held by the other worker making the flush fail with an error
    PrismaDBExceptionHandler.is_lock_timeout_error recognises (SQLSTATE 55P03, rollup
    ``lock_timeout``) both for the batched ``update_many`` and for ``execute_raw``, after which
    the retried flush succeeds;
  * a deadlock between two workers surfacing as an error is_deadlock_error recognises (P2034 /
    40P01) on one side while the other commits.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import unittest
import uuid
from datetime import datetime, timedelta, timezone

import prisma.errors

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # _support, however the cases are run

from _support import EngineTestCase, close_shared_client, hash_token, is_deadlock_error, is_lock_timeout_error, uid

tearDownModule = close_shared_client  # disconnect the module's shared client

ROLLUP_LOCK_TIMEOUT_SQL = "SELECT set_config('lock_timeout', $1::text, true)"


async def flush_spend(db, *, key_token: str, team_id: str, user_id: str, cost: float, lock_timeout: str = "5000ms"):
    """DBSpendUpdateWriter._commit_spend_updates_to_db: user, key and team branches."""
    async with db.tx(timeout=timedelta(seconds=60)) as transaction:
        await transaction.execute_raw(ROLLUP_LOCK_TIMEOUT_SQL, lock_timeout)
        async with transaction.batch_() as batcher:
            batcher.litellm_usertable.update_many(where={"user_id": user_id}, data={"spend": {"increment": cost}})
    async with db.tx(timeout=timedelta(seconds=60)) as transaction:
        await transaction.execute_raw(ROLLUP_LOCK_TIMEOUT_SQL, lock_timeout)
        async with transaction.batch_() as batcher:
            batcher.litellm_verificationtoken.update_many(
                where={"token": key_token},
                data={
                    "spend": {"increment": cost},
                    "total_spend": {"increment": cost},
                    "last_active": datetime.now(timezone.utc),
                },
            )
    async with db.tx(timeout=timedelta(seconds=60)) as transaction:
        await transaction.execute_raw(ROLLUP_LOCK_TIMEOUT_SQL, lock_timeout)
        async with transaction.batch_() as batcher:
            batcher.litellm_teamtable.update_many(where={"team_id": team_id}, data={"spend": {"increment": cost}})


DAILY_UPSERT_SQL = """
INSERT INTO "LiteLLM_DailyTeamSpend" ("id", "team_id", "date", "api_key", "model", "custom_llm_provider",
    "mcp_namespaced_tool_name", "endpoint", "model_group", "prompt_tokens", "api_requests", "spend", "updated_at")
VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::text, $9::text,
    $10::bigint, $11::bigint, $12::double precision, (NOW() AT TIME ZONE 'UTC'))
ON CONFLICT ("team_id", "date", "api_key", "model", "custom_llm_provider", "mcp_namespaced_tool_name", "endpoint")
DO UPDATE SET
  "prompt_tokens" = "LiteLLM_DailyTeamSpend"."prompt_tokens" + EXCLUDED."prompt_tokens",
  "api_requests" = "LiteLLM_DailyTeamSpend"."api_requests" + EXCLUDED."api_requests",
  "spend" = "LiteLLM_DailyTeamSpend"."spend" + EXCLUDED."spend",
  "updated_at" = (NOW() AT TIME ZONE 'UTC')
"""


class OneClientBurst(EngineTestCase):
    async def test_fifty_mixed_concurrent_operations(self):
        # one LiteLLM worker under load: auth query_first, spend update_many, tx/batch writes, config creates
        hot, _unused = await self.make_key(spend=0.0)
        team = await self.make_team()
        user = await self.make_user()
        plain_key, plaintext = await self.make_key(user_id=user.user_id, team_id=team.team_id)
        new_params = [uid("param") for _unused in range(10)]
        self.cleanup_where("litellm_config", {"param_name": {"in": new_params}})

        async def increment_hot():
            return await self.db.litellm_verificationtoken.update_many(
                where={"token": hot.token}, data={"spend": {"increment": 0.25}}
            )

        async def create_param(name):
            row = await self.db.litellm_config.create(data={"param_name": name, "param_value": json.dumps({"n": name})})
            return row.param_name

        async def auth_lookup():
            row = await self.db.query_first(
                'SELECT v.token, t.team_id AS tid FROM "LiteLLM_VerificationToken" v '
                'LEFT JOIN "LiteLLM_TeamTable" t ON v.team_id = t.team_id WHERE v.token = $1',
                hash_token(plaintext),
            )
            return row["tid"]

        async def tx_increment():
            async with self.db.tx() as tx:
                await tx.litellm_teamtable.update(where={"team_id": team.team_id}, data={"spend": {"increment": 1.0}})
                return (await tx.litellm_teamtable.find_unique(where={"team_id": team.team_id})).team_id

        async def batch_increment():
            async with self.db.batch_() as batcher:
                batcher.litellm_usertable.update_many(
                    where={"user_id": user.user_id}, data={"spend": {"increment": 0.5}}
                )
            return True

        ops = []
        expected = []
        for i in range(50):
            kind = i % 8
            if kind == 0:
                ops.append(increment_hot())
                expected.append(1)
            elif kind == 1:
                name = new_params[i // 8]
                ops.append(create_param(name))
                expected.append(name)
            elif kind == 2:
                ops.append(auth_lookup())
                expected.append(team.team_id)
            elif kind == 3:
                ops.append(self.db.query_raw("SELECT $1::int + 1 AS n", i))
                expected.append([{"n": i + 1}])
            elif kind == 4:
                ops.append(tx_increment())
                expected.append(team.team_id)
            elif kind == 5:
                ops.append(batch_increment())
                expected.append(True)
            elif kind == 6:
                ops.append(
                    self.db.litellm_verificationtoken.count(where={"token": {"in": [hot.token, plain_key.token]}})
                )
                expected.append(2)
            else:
                ops.append(increment_hot())
                expected.append(1)
        results = await asyncio.gather(*ops)
        self.assertEqual(list(results), expected)
        n_hot = sum(1 for i in range(50) if i % 8 in (0, 7))
        n_tx = sum(1 for i in range(50) if i % 8 == 4)
        n_batch = sum(1 for i in range(50) if i % 8 == 5)
        self.assertEqual(
            (await self.db.litellm_verificationtoken.find_unique(where={"token": hot.token})).spend, 0.25 * n_hot
        )
        self.assertEqual(
            (await self.db.litellm_teamtable.find_unique(where={"team_id": team.team_id})).spend, 1.0 * n_tx
        )
        self.assertEqual(
            (await self.db.litellm_usertable.find_unique(where={"user_id": user.user_id})).spend, 0.5 * n_batch
        )
        n_created = sum(1 for i in range(50) if i % 8 == 1)
        self.assertEqual(await self.db.litellm_config.count(where={"param_name": {"in": new_params}}), n_created)

    async def test_eight_open_transactions(self):
        # the proxy's own pool settings: proxy_cli appends connection_limit=10&pool_timeout=60
        db = await self.connect_extra_client(connection_limit=10, pool_timeout=60)
        team = await self.make_team(spend=0.0)
        started = 0
        all_open = asyncio.Event()

        async def one(i):
            nonlocal started
            async with db.tx(timeout=timedelta(seconds=30)) as tx:
                await tx.query_raw("SELECT 1")
                started += 1
                if started == 8:
                    all_open.set()
                await asyncio.wait_for(all_open.wait(), 20)  # all eight are open at the same time
                await tx.litellm_teamtable.update_many(
                    where={"team_id": team.team_id}, data={"spend": {"increment": 0.125}}
                )
            return i

        self.assertEqual(sorted(await asyncio.gather(*(one(i) for i in range(8)))), list(range(8)))
        self.assertEqual((await self.db.litellm_teamtable.find_unique(where={"team_id": team.team_id})).spend, 1.0)

    async def test_transaction_start_with_pool_exhausted(self):
        # every connection of the engine's pool is held by an open transaction: starting one more
        # must fail within about max_wait with a prisma error (the native engine: P2028 "Unable to
        # start a transaction in the given time"), and the client must work again afterwards
        db = await self.connect_extra_client(connection_limit=2, pool_timeout=3)
        release = asyncio.Event()
        holding = 0

        async def hold():
            nonlocal holding
            async with db.tx(timeout=timedelta(seconds=30)) as tx:
                await tx.query_raw("SELECT 1")
                holding += 1
                await asyncio.wait_for(release.wait(), 25)

        holders = [asyncio.create_task(hold()) for _unused in range(2)]
        try:
            for _unused in range(200):
                if holding == 2:
                    break
                await asyncio.sleep(0.05)
            self.assertEqual(holding, 2)
            loop = asyncio.get_running_loop()
            started = loop.time()
            with self.assertRaises(prisma.errors.PrismaError):
                async with db.tx(max_wait=timedelta(milliseconds=500), timeout=timedelta(seconds=5)) as tx:
                    await tx.query_raw("SELECT 1")
            self.assertLess(loop.time() - started, 8.0)
        finally:
            release.set()
            await asyncio.gather(*holders, return_exceptions=True)
        self.assertEqual(await db.query_raw("SELECT 1 AS ok"), [{"ok": 1}])


class TwoWorkers(EngineTestCase):
    async def test_two_clients_increment_same_rows(self):
        # db_spend_update_writer.DBSpendUpdateWriter._commit_spend_updates_to_db run by two workers
        other = await self.connect_extra_client()
        key, _unused = await self.make_key(spend=0.0, total_spend=0.0)
        team = await self.make_team(spend=0.0)
        user = await self.make_user(spend=0.0)
        costs_a = [0.125 * (i % 4 + 1) for i in range(15)]  # exactly representable: order cannot matter
        costs_b = [0.0625 * (i % 3 + 1) for i in range(15)]

        async def worker(db, costs):
            for cost in costs:
                await flush_spend(db, key_token=key.token, team_id=team.team_id, user_id=user.user_id, cost=cost)

        await asyncio.gather(
            worker(self.db, costs_a), worker(other, costs_b), worker(self.db, costs_b), worker(other, costs_a)
        )
        total = 2 * (sum(costs_a) + sum(costs_b))
        k = await other.litellm_verificationtoken.find_unique(where={"token": key.token})
        self.assertEqual((k.spend, k.total_spend), (total, total))
        self.assertEqual((await self.db.litellm_teamtable.find_unique(where={"team_id": team.team_id})).spend, total)
        self.assertEqual((await self.db.litellm_usertable.find_unique(where={"user_id": user.user_id})).spend, total)

    async def test_two_clients_daily_upsert_same_row(self):
        # daily_spend_bulk_upsert.build_bulk_upsert statements from two workers on one conflict key
        other = await self.connect_extra_client()
        team_id = uid("team")
        self.cleanup_where("litellm_dailyteamspend", {"team_id": team_id})
        big = 2**53 + 1

        async def worker(db, n):
            for _unused in range(n):
                async with db.tx(timeout=timedelta(seconds=60)) as transaction:
                    await transaction.execute_raw(ROLLUP_LOCK_TIMEOUT_SQL, "5000ms")
                    await transaction.execute_raw(
                        DAILY_UPSERT_SQL,
                        str(uuid.uuid4()),
                        team_id,
                        "2025-12-24",
                        "k",
                        "m",
                        "p",
                        "",
                        "",
                        None,
                        big,
                        1,
                        0.375,
                    )

        await asyncio.gather(worker(self.db, 12), worker(other, 12), worker(other, 6))
        row = await self.db.litellm_dailyteamspend.find_first(where={"team_id": team_id})
        self.assertEqual((row.api_requests, row.prompt_tokens, row.spend), (30, 30 * big, 30 * 0.375))

    async def test_lock_timeout_is_recognised_and_retry_succeeds(self):
        # rollup_lock_timeout.apply_rollup_lock_timeout + DBSpendUpdateWriter.handle_spend_update_failure
        # (is_lock_timeout_error)
        other = await self.connect_extra_client()
        key, _unused = await self.make_key(spend=0.0)
        holder_has_lock = asyncio.Event()
        release = asyncio.Event()

        async def holder():
            async with other.tx(timeout=timedelta(seconds=30)) as tx:
                await tx.query_raw(
                    'SELECT token FROM "LiteLLM_VerificationToken" WHERE token = $1 FOR UPDATE', key.token
                )
                holder_has_lock.set()
                await asyncio.wait_for(release.wait(), 25)

        holding = asyncio.create_task(holder())
        try:
            await asyncio.wait_for(holder_has_lock.wait(), 20)
            # the batched update_many of the spend flush
            with self.assertRaises(prisma.errors.PrismaError) as caught:
                async with self.db.tx(timeout=timedelta(seconds=60)) as transaction:
                    await transaction.execute_raw(ROLLUP_LOCK_TIMEOUT_SQL, "300ms")
                    async with transaction.batch_() as batcher:
                        batcher.litellm_verificationtoken.update_many(
                            where={"token": key.token}, data={"spend": {"increment": 1.0}}
                        )
            self.assertTrue(is_lock_timeout_error(caught.exception), repr(caught.exception))
            # the raw daily upsert form
            with self.assertRaises(prisma.errors.PrismaError) as caught_raw:
                async with self.db.tx(timeout=timedelta(seconds=60)) as transaction:
                    await transaction.execute_raw(ROLLUP_LOCK_TIMEOUT_SQL, "300ms")
                    await transaction.execute_raw(
                        'UPDATE "LiteLLM_VerificationToken" SET spend = spend + $2 WHERE token = $1', key.token, 1.0
                    )
            self.assertTrue(is_lock_timeout_error(caught_raw.exception), repr(caught_raw.exception))
        finally:
            release.set()
            await holding
        # nothing applied; the retry (LiteLLM re-queues and re-sends) goes through
        self.assertEqual((await self.db.litellm_verificationtoken.find_unique(where={"token": key.token})).spend, 0.0)
        async with self.db.tx(timeout=timedelta(seconds=60)) as transaction:
            await transaction.execute_raw(ROLLUP_LOCK_TIMEOUT_SQL, "300ms")
            async with transaction.batch_() as batcher:
                batcher.litellm_verificationtoken.update_many(
                    where={"token": key.token}, data={"spend": {"increment": 1.0}}
                )
        self.assertEqual((await self.db.litellm_verificationtoken.find_unique(where={"token": key.token})).spend, 1.0)

    async def test_deadlock_is_recognised(self):
        # DBSpendUpdateWriter.handle_spend_update_failure (PrismaDBExceptionHandler.is_deadlock_error)
        other = await self.connect_extra_client()
        t1 = await self.make_team(spend=0.0)
        t2 = await self.make_team(spend=0.0)
        both_locked_first = asyncio.Barrier(2)

        async def worker(db, first, second):
            async with db.tx(timeout=timedelta(seconds=30)) as tx:
                await tx.litellm_teamtable.update_many(where={"team_id": first}, data={"spend": {"increment": 1.0}})
                await asyncio.wait_for(both_locked_first.wait(), 20)
                await tx.litellm_teamtable.update_many(where={"team_id": second}, data={"spend": {"increment": 1.0}})

        results = await asyncio.gather(
            worker(self.db, t1.team_id, t2.team_id), worker(other, t2.team_id, t1.team_id), return_exceptions=True
        )
        failures = [r for r in results if isinstance(r, BaseException)]
        self.assertEqual(len(failures), 1, results)
        self.assertTrue(is_deadlock_error(failures[0]), repr(failures[0]))
        # the survivor committed both increments, the victim none
        spends = [(await self.db.litellm_teamtable.find_unique(where={"team_id": t.team_id})).spend for t in (t1, t2)]
        self.assertEqual(spends, [1.0, 1.0])


if __name__ == "__main__":
    unittest.main()
